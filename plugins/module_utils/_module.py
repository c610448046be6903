# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""DrAsrModule: wraps (does not inherit) AnsibleModule.

It merges the shared argument specs a module declares it uses (azure, vsphere, wait), checks the ranges of the
numbers they and the module take (`bounds`) with the other arguments, warns while TLS verification is off, hides
the secret parts of URL options (`secret_urls`), reports missing SDKs with missing_required_lib, hands out the
client factories lazily, and turns a DrAsrError into fail_json with code, message, possible causes and recommended
action.

Every module's work runs inside `guard()` (run(), _asr.pipeline.finish and the modules with a main() of their own):
an exception that is not a DrAsrError (a bug) becomes a clean failure, never a traceback, and every failure says
what the run had written before it (`journal`: `changed` and `writes`). Where ansible-core's own argument checks
neither hide the secrets nor name the option (a suboption container of the wrong shape, a float option no float
holds), the AnsibleModule it wraps does both (`_hiding`).
"""

from __future__ import annotations

import contextlib
import copy
import math
import sys
import traceback

from collections.abc import Mapping

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible.module_utils.common.validation import check_type_dict
from ansible.module_utils.errors import NoLogError

from ansible_collections.dr.asr.plugins.module_utils._errors import DrAsrError, InputError, UnexpectedError, WaitTimeout
from ansible_collections.dr.asr.plugins.module_utils._journal import Journal
from ansible_collections.dr.asr.plugins.module_utils._redact import url_secrets
from ansible_collections.dr.asr.plugins.module_utils._tls import unverified_warnings
from ansible_collections.dr.asr.plugins.module_utils._waiter import (
    ROUND_ARGUMENT_SPEC, ROUND_BOUNDS, WAIT_ARGUMENT_SPEC, WAIT_BOUNDS, Waiter)
from ansible_collections.dr.asr.plugins.module_utils._azure.argspec import azure_argument_spec
from ansible_collections.dr.asr.plugins.module_utils._vsphere.argspec import VSPHERE_BOUNDS, vsphere_argument_spec
from ansible_collections.dr.asr.plugins.module_utils._asr.argspec import asr_vault_argument_spec
from ansible_collections.dr.asr.plugins.module_utils import _query


def expected_range(bound):
    """What a number option takes, in words: `bound` is dict(minimum=, maximum=, above=, unit=)."""
    low, high, above = bound.get("minimum"), bound.get("maximum"), bound.get("above")
    if above is not None:
        text = "a number greater than %s" % above
    elif low is not None and high is not None:
        text = "a number from %s to %s" % (low, high)
    elif low is not None:
        text = "a number of %s or more" % low
    else:
        text = "a number of %s or less" % high
    return text + (" (%s)" % bound["unit"] if bound.get("unit") else "")


def _at(params, path):
    value = params
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


#: the largest number any option with a range takes: no count or duration means anything beyond it (10**9 seconds are
#: 31 years), and time arithmetic fails there (time.sleep takes ~9.2e9 seconds at most, a float no 10**400)
LARGEST = 10 ** 9


def check_bounds(params, bounds):
    """InputError for the first number outside its range. `bounds`: option (a.b for a suboption) -> bound."""
    for path, bound in bounds.items():
        value = _at(params, path)
        if value is None or isinstance(value, bool):
            continue
        if ((bound.get("above") is not None and not value > bound["above"])
                or (bound.get("minimum") is not None and value < bound["minimum"])
                or (bound.get("maximum") is not None and value > bound["maximum"])):
            raise InputError(path, value, expected_range(bound))
        if (isinstance(value, float) and not math.isfinite(value)) or abs(value) > LARGEST:
            raise InputError(path, value, "%s, at most %d" % (expected_range(bound), LARGEST))


def secret_values(spec, params):
    """The values of every no_log option (and alias) in `params`, suboptions included, whatever shape the containers
    have."""
    found = set()
    if not isinstance(params, Mapping):
        return found
    for name, option in spec.items():
        for key in [name] + list(option.get("aliases") or ()):
            value = params.get(key)
            if option.get("no_log"):
                found.update(_leaves(value))
            if option.get("options") and value is not None:
                for element in value if isinstance(value, list) else [value]:
                    found.update(secret_values(option["options"], element))
    return found


def _leaves(value):
    if isinstance(value, Mapping):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        return set(leaf for item in value for leaf in _leaves(item))
    return set() if value is None or isinstance(value, bool) or value == "" else {str(value)}


def misshapen(spec, params, prefix=""):
    """The first element of a suboption container that is no dict (a.b[0]), or None."""
    if not isinstance(params, Mapping):
        return None
    for name, option in spec.items():
        value = params.get(name)
        if not option.get("options") or value is None:
            continue
        for index, element in enumerate(value if isinstance(value, list) else [value]):
            where = prefix + name + ("[%d]" % index if isinstance(value, list) else "")
            if isinstance(element, str):
                try:
                    element = check_type_dict(element)
                except TypeError:
                    return where
            if not isinstance(element, Mapping):
                return where
            found = misshapen(option["options"], element, where + ".")
            if found:
                return found
    return None


def huge_float(spec, params, prefix=""):
    """The first float option (a.b for a suboption) holding an integer no float holds, or None."""
    if not isinstance(params, Mapping):
        return None
    for name, option in spec.items():
        value = params.get(name)
        if option.get("type") == "float" and isinstance(value, int) and not isinstance(value, bool):
            try:
                float(value)
            except OverflowError:
                return prefix + name
        for element in (value if isinstance(value, list) else [value]) if option.get("options") else ():
            found = huge_float(option["options"], element, prefix + name + ".")
            if found:
                return found
    return None


def _hiding(module_class):
    """`module_class` (AnsibleModule) whose argument errors hide every no_log value and name the option, where
    ansible-core does neither:
    * on a suboption container of the wrong shape (a text or null element where a dict belongs) ansible-core gives up
      listing the no_log values (module_utils/common/parameters.py _list_no_log_values raises; the validator records a
      NoLogError first): its error would show every secret in the invocation, and not say which option it is;
    * a float option given an integer no float holds (10**400) raises an OverflowError out of its type check (which
      catches TypeError and ValueError only): the module would end on the exception."""
    class HidingModule(module_class):
        def __init__(self, *args, **kwargs):
            try:
                super().__init__(*args, **kwargs)
            except OverflowError:
                given = getattr(self, "_given", None) or {}
                self.no_log_values.update(secret_values(self.argument_spec, given))
                self.fail_json(msg="Invalid value for parameter '%s': a number no float holds. Expected a number of "
                                   "at most %g." % (huge_float(self.argument_spec, given) or "?", sys.float_info.max))

        def _load_params(self):
            super()._load_params()
            self._given = copy.deepcopy(self.params)       # as given: the argument checks replace what they refuse

        def fail_json(self, msg, **kwargs):
            errors = getattr(getattr(self, "validation_result", None), "errors", None) or ()
            if any(isinstance(error, NoLogError) for error in errors):
                given = getattr(self, "_given", None) or self.params
                self.no_log_values.update(secret_values(self.argument_spec, given))
                where = misshapen(self.argument_spec, given)
                if where and isinstance(errors[0], NoLogError) and where not in str(msg):
                    msg = "Invalid value for parameter '%s': %s" % (where, msg)
            super().fail_json(msg, **kwargs)
    return HidingModule


class DrAsrModule(object):
    """The module object every dr.asr module uses.

    uses: iterable of "azure", "vsphere", "asr_vault", "wait", "rounds", "query" (shared option sets to merge;
          "asr_vault" implies "azure").
    azure_libraries: import names of the Azure SDK packages the module needs.
    bounds: option (a.b for a suboption) -> dict(minimum=, maximum=, above=, unit=): the range of a number option,
          checked with the arguments (the shared option sets bring theirs): a number out of range fails the module
          before it reads or writes anything, naming the option, the value and the range.
    secret_urls: options holding a URL that may carry a secret (a SAS token in its query, a password): no_log in
          the spec, then only their secret parts stay hidden (redact.url_secrets), in results and logs alike.
    """

    def __init__(self, argument_spec=None, uses=(), azure_libraries=(), supports_check_mode=True, bounds=None,
                 secret_urls=(), **kwargs):
        self.journal = Journal()     # what this run wrote (the Azure clients and the modules record into it)
        self._reported = False
        spec = {}
        all_bounds = {}
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
            all_bounds.update(WAIT_BOUNDS)
        if "rounds" in uses:
            spec.update(ROUND_ARGUMENT_SPEC)
            all_bounds.update(ROUND_BOUNDS)
        if "query" in uses:
            spec.update(_query.QUERY_ARGUMENT_SPEC)
        spec.update(argument_spec or {})
        if "port" in spec and "hostname" in spec:      # the vsphere options (also merged by hand where optional)
            all_bounds.update(VSPHERE_BOUNDS)
        all_bounds.update(bounds or {})
        for name in secret_urls:
            spec[name] = dict(spec[name], no_log=True)  # never in the invocation log; narrowed to its secret below
        self._module = _hiding(AnsibleModule)(argument_spec=spec, supports_check_mode=supports_check_mode, **kwargs)
        self._uses = tuple(uses)
        self._azure = None
        self._vsphere = None
        self._vsphere_rest = None
        self._hide_url_secrets(secret_urls)
        try:
            check_bounds(self.params, all_bounds)
        except InputError as error:
            self.fail_from(error)
        for warning in unverified_warnings(self.params):
            self.warn(warning)
        self._check_libraries(azure_libraries)

    def _hide_url_secrets(self, names):
        """Keep only the secret parts of the URL options in the no_log values: the rest of the URL is shown."""
        for name in names:
            url = self.params.get(name)
            if not isinstance(url, str):
                continue
            self._module.no_log_values.discard(url)
            self._module.no_log_values.update(url_secrets(url))

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
        self._reported = True
        self._module.exit_json(**result)

    def fail_json(self, msg, **result):
        """Fail; after writes (the journal), also say so: `changed` (unless the caller knows better) and `writes`."""
        self.close()
        if self.journal:
            result.setdefault("changed", True)
            result.setdefault("writes", list(self.journal.entries))
        self._reported = True
        self._module.fail_json(msg=msg, **result)

    def fail_from(self, error, **result):
        """Report a DrAsrError: summary line as msg, structured fields under `error`."""
        if isinstance(error, WaitTimeout) and error.partial is not None:
            result.setdefault("partial", error.partial)
        self.fail_json(msg=error.summary(), error=error.to_dict(), **result)

    @contextlib.contextmanager
    def guard(self):
        """Around a module's work: a DrAsrError that escaped is reported as such; any other exception (a bug, e.g. a
        ValueError from our own code) becomes a clean failure that names it and says what had been written before
        it - never a traceback on the user's screen (the traceback is in `exception`, shown with -vvv)."""
        try:
            yield
        except Exception as exc:  # pylint: disable=broad-except  # the one place: everything else becomes a failure
            if self._reported:      # exit_json/fail_json under a test harness that raises instead of exiting
                raise
            if isinstance(exc, DrAsrError):
                self.fail_from(exc)
                return
            error = UnexpectedError("Unexpected error (a bug in dr.asr; please report it): %s: %s. %s"
                                    % (type(exc).__name__, exc, self.journal.summary()),
                                    code="UnexpectedError", details={"exception_type": type(exc).__name__})
            self.fail_from(error, changed=bool(self.journal), writes=list(self.journal.entries),
                           exception=traceback.format_exc())

    # -- clients --------------------------------------------------------------------------------
    def azure(self):
        """The AzureClients factory for this run (auth resolved on first use); its writes go to the journal."""
        if self._azure is None:
            self._azure = self.new_azure_clients()
            self._azure.journal = self.journal
        return self._azure

    def new_azure_clients(self):
        from ansible_collections.dr.asr.plugins.module_utils._azure.client import AzureClients
        wait_sleep = self.params.get("wait_sleep") if "wait" in self._uses else None
        return AzureClients(self.params, wait_sleep=wait_sleep)

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
        """Close the sessions of this run, best effort: a failure to log out never hides the run's result."""
        for name in ("_azure", "_vsphere_rest", "_vsphere"):
            session = getattr(self, name)
            setattr(self, name, None)
            if session is not None:
                try:
                    session.close()
                except Exception:  # pylint: disable=broad-except
                    pass


def run(module_factory, runner):
    """The shape of every main(): build the module, run (its `query` applied), report the one domain error - and,
    through guard(), anything else."""
    module = module_factory()
    with module.guard():
        query = module.params.get("query") if "query" in module.uses else None
        if query:
            _query.compile_query(query)
        result = runner(module)
        if query:
            result["query_result"] = _query.apply(result, query)
        module.exit_json(**result)
