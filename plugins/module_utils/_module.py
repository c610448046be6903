# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""DrAsrModule: wraps (does not inherit) AnsibleModule.

It merges the shared argument specs a module declares it uses (azure, vsphere, wait), reports
missing SDKs with missing_required_lib, hands out the client factories lazily, and turns a
DrAsrError into fail_json with code, message, possible causes and recommended action.
"""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.dr.asr.plugins.module_utils._errors import DrAsrError, WaitTimeout
from ansible_collections.dr.asr.plugins.module_utils._waiter import ROUND_ARGUMENT_SPEC, WAIT_ARGUMENT_SPEC, Waiter
from ansible_collections.dr.asr.plugins.module_utils._azure.argspec import azure_argument_spec
from ansible_collections.dr.asr.plugins.module_utils._vsphere.argspec import vsphere_argument_spec
from ansible_collections.dr.asr.plugins.module_utils._asr.argspec import asr_vault_argument_spec
from ansible_collections.dr.asr.plugins.module_utils import _query


class DrAsrModule(object):
    """The module object every dr.asr module uses.

    uses: iterable of "azure", "vsphere", "asr_vault", "wait", "rounds", "query" (shared option sets to merge;
          "asr_vault" implies "azure").
    azure_libraries: import names of the Azure SDK packages the module needs.
    """

    def __init__(self, argument_spec=None, uses=(), azure_libraries=(), supports_check_mode=True, **kwargs):
        spec = {}
        if "asr_vault" in uses and "azure" not in uses:
            uses = tuple(uses) + ("azure",)
        if "azure" in uses:
            spec.update(azure_argument_spec())
        if "vsphere" in uses:
            spec.update(vsphere_argument_spec())
        if "asr_vault" in uses:
            spec.update(asr_vault_argument_spec())
        if "wait" in uses:
            spec.update(WAIT_ARGUMENT_SPEC)
        if "rounds" in uses:
            spec.update(ROUND_ARGUMENT_SPEC)
        if "query" in uses:
            spec.update(_query.QUERY_ARGUMENT_SPEC)
        spec.update(argument_spec or {})
        self._module = AnsibleModule(argument_spec=spec, supports_check_mode=supports_check_mode, **kwargs)
        self._uses = tuple(uses)
        self._azure = None
        self._vsphere = None
        self._vsphere_rest = None
        self._check_libraries(azure_libraries)

    def _check_libraries(self, azure_libraries):
        if "azure" in self._uses:
            from ansible_collections.dr.asr.plugins.module_utils._azure.client import missing_library
            for name in ("azure.identity",) + tuple(azure_libraries):
                missing = missing_library(name)
                if missing:
                    self._module.fail_json(msg=missing_required_lib(missing))
        if "vsphere" in self._uses:
            from ansible_collections.dr.asr.plugins.module_utils._vsphere.client import HAS_PYVMOMI
            if not HAS_PYVMOMI:
                self._module.fail_json(msg=missing_required_lib("pyvmomi"))
        if "query" in self._uses and self.params.get("query") and not _query.HAS_JMESPATH:
            self._module.fail_json(msg=missing_required_lib("jmespath"))

    @property
    def uses(self):
        return self._uses

    # -- AnsibleModule pass-through -------------------------------------------------------------
    @property
    def params(self):
        return self._module.params

    @property
    def check_mode(self):
        return self._module.check_mode

    def warn(self, message):
        self._module.warn(message)

    def run_command(self, args, **kwargs):
        return self._module.run_command(args, **kwargs)

    @property
    def tmpdir(self):
        return self._module.tmpdir

    @property
    def ansible_module(self):
        """The AnsibleModule itself, for ansible.module_utils helpers that take one (fetch_url)."""
        return self._module

    def exit_json(self, **result):
        self.close()
        self._module.exit_json(**result)

    def fail_json(self, msg, **result):
        self.close()
        self._module.fail_json(msg=msg, **result)

    def fail_from(self, error, **result):
        """Report a DrAsrError: summary line as msg, structured fields under `error`."""
        if isinstance(error, WaitTimeout) and error.partial is not None:
            result.setdefault("partial", error.partial)
        self.fail_json(msg=error.summary(), error=error.to_dict(), **result)

    # -- clients --------------------------------------------------------------------------------
    def azure(self):
        """The AzureClients factory for this run (auth resolved on first use)."""
        if self._azure is None:
            from ansible_collections.dr.asr.plugins.module_utils._azure.client import AzureClients
            wait_sleep = self.params.get("wait_sleep") if "wait" in self._uses else None
            self._azure = AzureClients(self.params, wait_sleep=wait_sleep)
        return self._azure

    def vsphere(self):
        """The connected vSphere session for this run (connects on first use)."""
        if self._vsphere is None:
            from ansible_collections.dr.asr.plugins.module_utils._vsphere.client import VSphereSession
            self._vsphere = VSphereSession(self.params)
        return self._vsphere

    def vsphere_rest(self):
        """The logged-in vSphere Automation REST session for this run (tags; logs in on first use)."""
        if self._vsphere_rest is None:
            from ansible_collections.dr.asr.plugins.module_utils._vsphere.rest import VSphereRest
            self._vsphere_rest = VSphereRest(self.params)
        return self._vsphere_rest

    def waiter(self):
        return Waiter.from_params(self.params)

    def asr_vault(self):
        """The AsrVault named by vault_name / vault_resource_group (modules using "asr_vault")."""
        from ansible_collections.dr.asr.plugins.module_utils._asr.vault import AsrVault
        return AsrVault(self.azure(), self.params["vault_resource_group"], self.params["vault_name"])

    def close(self):
        if self._azure is not None:
            self._azure.close()
            self._azure = None
        if self._vsphere_rest is not None:
            self._vsphere_rest.close()
            self._vsphere_rest = None
        if self._vsphere is not None:
            self._vsphere.close()
            self._vsphere = None


def run(module_factory, runner):
    """The shape of every main(): build the module, run (its `query` applied), report the one domain error."""
    module = module_factory()
    try:
        query = module.params.get("query") if "query" in module.uses else None
        if query:
            _query.compile_query(query)
        result = runner(module)
        if query:
            result["query_result"] = _query.apply(result, query)
        module.exit_json(**result)
    except DrAsrError as error:
        module.fail_from(error)
