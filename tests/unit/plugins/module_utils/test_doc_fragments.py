"""Every shared argument spec is documented by exactly its doc fragment, option for option."""
import importlib

import pytest
import yaml

from ansible_collections.dr.asr.plugins.module_utils._azure.argspec import azure_argument_spec
from ansible_collections.dr.asr.plugins.module_utils._vsphere.argspec import vsphere_argument_spec
from ansible_collections.dr.asr.plugins.module_utils._query import QUERY_ARGUMENT_SPEC
from ansible_collections.dr.asr.plugins.module_utils._waiter import ROUND_ARGUMENT_SPEC, WAIT_ARGUMENT_SPEC
from ansible_collections.dr.asr.plugins.module_utils._asr.argspec import asr_vault_argument_spec
from ansible_collections.dr.asr.plugins.module_utils._asr.actions.base import TARGET_SPEC
from ansible_collections.dr.asr.plugins.module_utils._report_files import REPORT_ARGUMENT_SPEC


def fragment(name):
    module = importlib.import_module("ansible_collections.dr.asr.plugins.doc_fragments." + name)
    return yaml.safe_load(module.ModuleDocFragment.DOCUMENTATION)["options"]


@pytest.mark.parametrize("name,spec", [("azure", azure_argument_spec()), ("vsphere", vsphere_argument_spec()),
                                       ("wait", WAIT_ARGUMENT_SPEC), ("wait_rounds", ROUND_ARGUMENT_SPEC),
                                       ("query", QUERY_ARGUMENT_SPEC),
                                       ("asr_vault", asr_vault_argument_spec()),
                                       ("asr_action_target", TARGET_SPEC),
                                       ("report_files", REPORT_ARGUMENT_SPEC)])
def test_fragment_matches_spec(name, spec):
    doc = fragment(name)
    assert sorted(doc) == sorted(spec)
    for option, s in spec.items():
        d = doc[option]
        assert d["type"] == s["type"], option
        assert d.get("default") == s.get("default"), option
        assert d.get("choices") == s.get("choices"), option
        assert sorted(d.get("aliases", [])) == sorted(s.get("aliases", [])), option
        assert d.get("required", False) == s.get("required", False), option


def test_secrets_are_no_log():
    assert azure_argument_spec()["secret"]["no_log"] is True
    assert vsphere_argument_spec()["password"]["no_log"] is True


def test_every_module_with_shared_connection_options_is_in_its_action_group():
    """module_defaults: group/dr.asr.azure (and group/dr.asr.vsphere) reach every module that takes the Azure (vSphere)
    connection options: a module missing from meta/runtime.yml's action group gets no credentials from a play's
    module_defaults (the protect role's disks step failed on subscription_id so)."""
    import os
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
    with open(os.path.join(root, "meta", "runtime.yml")) as handle:
        groups = yaml.safe_load(handle)["action_groups"]
    folder = os.path.join(root, "plugins", "modules")
    missing = []
    for name in sorted(n[:-3] for n in os.listdir(folder) if n.endswith(".py") and not n.startswith("_")):
        doc = yaml.safe_load(importlib.import_module("ansible_collections.dr.asr.plugins.modules." + name).DOCUMENTATION)
        fragments = doc.get("extends_documentation_fragment") or []
        for group in ("azure", "vsphere"):
            if "dr.asr." + group in fragments and name not in groups[group]:
                missing.append("%s not in action_groups.%s" % (name, group))
    assert missing == []
