# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the option fuzz (tests/integration/test_fuzz_options.py, issue 14) found, pinned where it is fast:

* a suboption container holding an element that is no dict (`vms: [web-01]`) made ansible-core give up listing the
  no_log values (its _list_no_log_values raises): the argument error then showed every secret in the invocation, and
  did not say which option it was;
* numbers no float or sleep holds (10**400, inf, nan) passed the ranges and crashed the module or the waiting action;
* a tenant azure-identity refuses, a huge duration in since/until, an empty installer_checksum, a resource group or
  network with a '/', were internal errors (a ValueError, OverflowError, AttributeError, KeyError);
* drill_report checked the container's name only after it had written the report files;
* a URL option whose value is no URL (a SAS token alone) was shown whole.
"""

from __future__ import annotations

import contextlib
import io
import json

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.dr.asr.plugins.module_utils import _module, _report_files
from ansible_collections.dr.asr.plugins.module_utils._errors import InputError
from ansible_collections.dr.asr.plugins.module_utils._redact import redact_url, url_secrets
from ansible_collections.dr.asr.plugins.module_utils._asr import job_query
from ansible_collections.dr.asr.plugins.module_utils._azure import client
from ansible_collections.dr.asr.plugins.modules import mobility_service, protected_item, recovery_plan
from ansible_collections.dr.asr.plugins.modules import virtual_network_info
from ansible_collections.dr.asr.plugins.plugin_utils import _rounds

SECRET = "fuzz-finding-secret-value"
VAULT = dict(vault_name="rsv", vault_resource_group="rg", secret=SECRET, x509_certificate_password=SECRET + "-2")


def real_failure(module, args):
    """The JSON a module prints when it fails for real (no patched fail_json: Ansible's own hiding runs)."""
    out = io.StringIO()
    with patch_module_args(args), contextlib.redirect_stdout(out), pytest.raises(SystemExit):
        module.main()
    return out.getvalue(), json.loads(out.getvalue())


@pytest.mark.parametrize("module,args,where", [
    (protected_item, dict(VAULT, vms=["web-01"]), "vms[0]"),
    (protected_item, dict(VAULT, vms=[dict(name="web-01", disks=[None])]), "vms[0].disks[0]"),
    (recovery_plan, dict(VAULT, name="rp", groups=[dict(vms=["web-01"], post_actions=[[1]])]), "groups[0].post_actions[0]"),
    (recovery_plan, dict(VAULT, name="rp", shutdown_group="not-a-dict"), "shutdown_group"),
])
def test_a_container_of_the_wrong_shape_hides_every_secret_and_names_itself(module, args, where):
    text, failure = real_failure(module, args)
    assert SECRET not in text
    assert failure["invocation"]["module_args"]["secret"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
    assert where in failure["msg"]


def test_secret_values_walks_aliases_and_suboptions_of_any_shape():
    spec = dict(password=dict(no_log=True, aliases=["pwd"]),
                items=dict(type="list", elements="dict", options=dict(token=dict(no_log=True))))
    params = dict(pwd="p1", items=["text", None, dict(token="t1"), dict(token=["t2", {"k": "t3"}])])
    assert _module.secret_values(spec, params) == {"p1", "t1", "t2", "t3"}
    assert _module.misshapen(spec, params) == "items[0]"
    assert _module.misshapen(spec, dict(items=[dict(token="x"), "a=b"])) is None      # key=value text is a dict


@pytest.mark.parametrize("value", [10 ** 400, 10 ** 9 + 1, float("inf"), float("nan"), -(10 ** 400)])
def test_a_number_beyond_what_time_arithmetic_holds_is_refused(value):
    bounds = {"wait_timeout": dict(minimum=0)} if value != -(10 ** 400) else {"wait_timeout": dict(maximum=5)}
    with pytest.raises(InputError) as refused:
        _module.check_bounds(dict(wait_timeout=value), bounds)
    assert refused.value.parameter == "wait_timeout"
    _module.check_bounds(dict(wait_timeout=10 ** 9), {"wait_timeout": dict(minimum=0)})


def test_the_waiting_action_leaves_a_huge_timeout_to_the_module():
    with pytest.raises(ValueError):
        _rounds.timing(dict(wait_timeout=10 ** 400))
    assert _rounds.timing(dict(wait_timeout=600, wait_round=60)) == (600, 60)


@pytest.mark.parametrize("tenant", ["/subscriptions/x", "../../x", "nul\x00", u"t\u00e9nant", "a b"])
def test_a_tenant_azure_identity_refuses_is_an_input_error(tenant):
    with pytest.raises(InputError) as refused:
        client.check_tenant(tenant)
    assert refused.value.parameter == "tenant"
    client.check_tenant("72f988bf-0000-4000-8000-00000000d2a5")
    client.check_tenant("contoso.onmicrosoft.com")


@pytest.mark.parametrize("value", ["99999999999999999999d", "9" * 400 + "h"])
def test_a_duration_before_the_year_1_is_an_input_error(value):
    with pytest.raises(InputError) as refused:
        job_query.parse_time(value, "since")
    assert refused.value.parameter == "since"


def test_an_empty_installer_checksum_is_refused():
    params = dict(installer_url="https://h/x.tar.gz", installer_checksum="", install_dir="/usr/local/ASR",
                  experience="modernized", cs_endpoint=None, passphrase_path=None, passphrase=None,
                  config_json_path=None, config_json_content=None)
    with pytest.raises(InputError) as refused:
        mobility_service.validate(params)
    assert refused.value.parameter == "installer_checksum"


@pytest.mark.parametrize("network,resource_group,parameter", [
    ("vnet-a", "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st", "resource_group"),
    ("../../x", "rg", "networks"),
])
def test_a_network_name_or_resource_group_with_a_slash_is_refused(network, resource_group, parameter):
    class Clients(object):
        subscription_id = "s"
    with pytest.raises(InputError) as refused:
        virtual_network_info.network_id(Clients(), network, resource_group)
    assert refused.value.parameter == parameter


def test_the_container_is_checked_before_the_report_is_written():
    params = dict(blob_url=None, storage_account="st", container="/subscriptions/x", blob_prefix="", sas_token=None)
    with pytest.raises(InputError) as refused:
        _report_files.upload_target(params)
    assert refused.value.parameter == "container"


@pytest.mark.parametrize("value", ["sv=2022-11-02&sig=AbC", "st.blob.core.windows.net/c?sig=AbC"])
def test_a_url_option_that_holds_no_url_is_hidden_whole(value):
    assert url_secrets(value) == [value] and redact_url(value) == "********"


def test_a_float_option_given_an_integer_no_float_holds_is_refused_naming_it():
    from ansible_collections.dr.asr.plugins.modules import readiness
    text, failure = real_failure(readiness, dict(hostname="h", username="u", password=SECRET, names=["web-01"],
                                                 churn=dict(days=10 ** 400)))
    assert "Invalid value for parameter 'churn.days'" in failure["msg"] and SECRET not in text
