# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bad input and faults (issue 14), across every module:

* every number option has a range, checked with the arguments: out of range, the module fails before it reads or
  writes anything, naming the option, the bad value and what is valid (a negative wait_timeout used to delete a
  recovery plan or a vault first, then crash on "timeout must be >= 0" with changed: false);
* an exception that is not a DrAsrError (a bug) never leaves main() as a traceback: the module fails cleanly, saying
  whether anything had been written before it (changed, writes);
* ASR names (policies, their associations, plans) are checked before any request.

The network edge is the only thing patched: the in-memory ASR (asr_fake) behind the real SDK clients, or the
client factories themselves raising (nothing may reach them)."""

from __future__ import annotations

import glob
import importlib
import os

import pytest

from azure.core.rest import HttpRequest

from ansible_collections.dr.asr.plugins.module_utils import _module
from ansible_collections.dr.asr.plugins.module_utils._module import DrAsrModule
from ansible_collections.dr.asr.plugins.module_utils._asr.tracker import JobTracker
from ansible_collections.dr.asr.plugins.modules import recovery_plan, replication_policy, vault
from ansible_collections.dr.asr.tests.unit.asr_fake import RG, VAULT, FakeAsr
from ansible_collections.dr.asr.tests.unit.plugins.modules.utils import (
    fail_module, patch_exit_json, run_module, set_module_args)

MODULES_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "plugins", "modules")
#: drill_report and posture_report write files: their work runs in module.guard() too, but they report an OSError or
#: ValueError of that writing as "Could not write the drill/posture report" (tests/unit/plugins/modules/
#: test_drill_report.py, test_posture_report.py), not as a bug
NOT_HERE = ("drill_report", "posture_report")
MODULES = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(MODULES_DIR, "*.py"))
                 if not os.path.basename(p).startswith("_") and os.path.basename(p)[:-3] not in NOT_HERE)

VAULT_ARGS = dict(vault_name=VAULT, vault_resource_group=RG)
#: the least each module needs to get past its own argument checks and start its work
MINIMAL = {
    "appliance_info": VAULT_ARGS,
    "classic_info": VAULT_ARGS,
    "discovered_vm_info": VAULT_ARGS,
    "failover": dict(VAULT_ARGS, items=["web-01"], confirm=True),
    "failover_cancel": dict(VAULT_ARGS, items=["web-01"]),
    "failover_commit": dict(VAULT_ARGS, items=["web-01"]),
    "failover_recovery_point": dict(VAULT_ARGS, items=["web-01"], recovery_point="latest"),
    "job": dict(VAULT_ARGS, name="job-1"),
    "job_info": VAULT_ARGS,
    "mobility_service": dict(installer_path="/nonexistent/installer.tar.gz"),
    "mobility_service_upgrade": dict(VAULT_ARGS, items=["web-01"]),
    "protected_item": dict(VAULT_ARGS, name="web-01"),
    "protected_item_info": VAULT_ARGS,
    "protected_item_disks": dict(VAULT_ARGS, items=["web-01"]),
    "readiness": dict(hostname="vcenter.example.com", username="u", password="p"),
    "recovered_vm_info": dict(VAULT_ARGS, items=["web-01"]),
    "recovery_plan": dict(VAULT_ARGS, name="rp-shop", groups=[dict(vms=["web-01"])]),
    "recovery_plan_info": VAULT_ARGS,
    "recovery_point_info": dict(VAULT_ARGS, items=["web-01"]),
    "replication_policy": dict(VAULT_ARGS, name="pol"),
    "replication_policy_info": VAULT_ARGS,
    "reprotect": dict(VAULT_ARGS, items=["web-01"]),
    "resolve_health_errors": dict(VAULT_ARGS, items=["web-01"]),
    "resync": dict(VAULT_ARGS, items=["web-01"]),
    "switch_appliance": dict(VAULT_ARGS, items=["web-01"]),
    "switch_provider": dict(VAULT_ARGS, items=["web-01"], target_vault="rsv-dr-modern"),
    "source_vm_info": dict(hostname="vcenter.example.com", username="u", password="p"),
    "source_vm_power": dict(hostname="vcenter.example.com", username="u", password="p", names=["web-01"],
                            state="powered_on"),
    "test_failover": dict(VAULT_ARGS, items=["web-01"]),
    "vault": dict(name="rsv-dr", resource_group=RG),
    "vault_info": dict(),
    "virtual_network_info": dict(networks=["vnet-dr-recovery"]),
}


def boom(*args, **kwargs):
    raise ValueError("boom from our own code")


@pytest.fixture
def edges_raise(monkeypatch):
    """Every client factory raises a ValueError (what a bug below them would raise); so does the Mobility service's
    look at the machine."""
    patch_exit_json(monkeypatch)
    for name in ("azure", "asr_vault", "vsphere", "vsphere_rest"):
        monkeypatch.setattr(DrAsrModule, name, boom)
    from ansible_collections.dr.asr.plugins.module_utils import _mobility
    monkeypatch.setattr(_mobility, "detect", boom)
    monkeypatch.setattr(_mobility, "installer_info", boom)


def main_of(name):
    return importlib.import_module("ansible_collections.dr.asr.plugins.modules." + name).main


def test_every_module_is_listed():
    assert sorted(MINIMAL) == MODULES


@pytest.mark.parametrize("name", MODULES)
def test_an_unexpected_exception_is_a_clean_failure_not_a_traceback(edges_raise, name):
    with set_module_args(MINIMAL[name]):
        failure = fail_module(main_of(name))
    assert failure["error"]["kind"] == "internal" and failure["error"]["code"] == "UnexpectedError"
    assert "ValueError: boom from our own code" in failure["msg"]
    assert "Nothing was written before it." in failure["msg"] and failure["changed"] is False
    assert failure["writes"] == []
    assert "Traceback" in failure["exception"]     # for -vvv, not in msg
    assert "Traceback" not in failure["msg"]


# -- numbers out of range: refused with the arguments, before anything is read or written -------------------------

def _captured_spec_and_bounds(name, monkeypatch):
    """(argument spec, bounds) module `name` builds its DrAsrModule with: AnsibleModule and the range check stand in
    for the real ones, and stop the module there."""
    seen = {}

    class Stop(Exception):
        pass

    class Module(object):
        def __init__(self, argument_spec=None, **kwargs):
            seen["spec"] = argument_spec
            self.params = {}
            self.no_log_values = set()

    def capture(params, bounds):
        seen["bounds"] = bounds
        raise Stop()
    monkeypatch.setattr(_module, "AnsibleModule", Module)
    monkeypatch.setattr(_module, "check_bounds", capture)
    with pytest.raises(Stop):
        main_of(name)()
    return seen["spec"], seen["bounds"]


def _number_options(spec, prefix=""):
    for option, s in spec.items():
        if s.get("type") in ("int", "float"):
            yield prefix + option
        if s.get("options"):
            nested = list(_number_options(s["options"], prefix + option + "."))
            assert s.get("type") == "dict" or not nested, "numbers in a list of dicts: %s (no range check)" % nested
            yield from nested


#: numbers whose range is checked elsewhere, still before any request (the provider seam: its own ranges)
CHECKED_ELSEWHERE = {
    "replication_policy": ("retention_hours", "retention_minutes", "crash_consistent_frequency_minutes",
                           "app_consistent_frequency_minutes"),
}


@pytest.mark.parametrize("name", MODULES)
def test_every_number_option_has_a_range(name, monkeypatch):
    spec, bounds = _captured_spec_and_bounds(name, monkeypatch)
    numbers = set(_number_options(spec)) - set(CHECKED_ELSEWHERE.get(name, ()))
    assert numbers <= set(bounds), "number options without a range: %s" % sorted(numbers - set(bounds))


OUT_OF_RANGE = [
    ("recovery_plan", dict(wait_timeout=-1), "wait_timeout", "-1", "a number of 0 or more"),
    ("recovery_plan", dict(wait_sleep=-5), "wait_sleep", "-5", "a number of 0 or more"),
    ("recovery_plan", dict(wait_round=-60), "wait_round", "-60", "a number of 0 or more"),
    ("replication_policy", dict(wait_timeout=-1), "wait_timeout", "-1", "a number of 0 or more"),
    ("protected_item", dict(wait_timeout=-1), "wait_timeout", "-1", "a number of 0 or more"),
    ("test_failover", dict(wait_timeout=-1), "wait_timeout", "-1", "a number of 0 or more"),
    ("failover", dict(wait_round=-1), "wait_round", "-1", "a number of 0 or more"),
    ("reprotect", dict(wait_sleep=-1), "wait_sleep", "-1", "a number of 0 or more"),
    ("failover_commit", dict(wait_timeout=-3), "wait_timeout", "-3", "a number of 0 or more"),
    ("failover_cancel", dict(wait_timeout=-3), "wait_timeout", "-3", "a number of 0 or more"),
    ("failover_recovery_point", dict(wait_timeout=-3), "wait_timeout", "-3", "a number of 0 or more"),
    ("job", dict(wait_timeout=-3), "wait_timeout", "-3", "a number of 0 or more"),
    ("vault", dict(wait_timeout=-1, state="absent"), "wait_timeout", "-1", "a number of 0 or more"),
    ("appliance_info", dict(wait_for_appliance=dict(timeout=-1)), "wait_for_appliance.timeout", "-1",
     "a number of 0 or more"),
    ("appliance_info", dict(wait_for_appliance=dict(sleep=-1)), "wait_for_appliance.sleep", "-1",
     "a number of 0 or more"),
    ("recovery_point_info", dict(limit=0), "limit", "0", "a number of 1 or more"),
    ("mobility_service", dict(download_timeout=0), "download_timeout", "0", "a number of 1 or more"),
    ("mobility_service", dict(cs_port=70000), "cs_port", "70000", "a number from 1 to 65535"),
    ("source_vm_power", dict(task_timeout=-1), "task_timeout", "-1", "a number of 0 or more"),
    ("source_vm_power", dict(port=0), "port", "0", "a number from 1 to 65535"),
    ("source_vm_info", dict(port=65536), "port", "65536", "a number from 1 to 65535"),
    ("readiness", dict(churn=dict(days=0)), "churn.days", "0", "a number greater than 0"),
    ("readiness", dict(churn=dict(percentile=0)), "churn.percentile", "0", "a number from 1 to 100"),
]


@pytest.mark.parametrize("name,args,option,value,expected", OUT_OF_RANGE)
def test_a_number_out_of_range_is_refused_with_the_arguments(edges_raise, name, args, option, value, expected):
    with set_module_args(dict(MINIMAL[name], **args)):
        failure = fail_module(main_of(name))
    assert failure["error"]["kind"] == "input" and failure["error"]["details"]["parameter"] == option
    assert "'%s'" % option in failure["msg"] and value in failure["msg"] and expected in failure["msg"]
    assert "boom" not in failure["msg"]          # refused before any client was asked for
    assert "writes" not in failure


# -- the bug of the issue: a negative wait_timeout wrote, then crashed ---------------------------------------------

@pytest.fixture
def arm(monkeypatch):
    patch_exit_json(monkeypatch)
    return FakeAsr(protected=["web-01", "web-02"], policies=["pol"]).patch(monkeypatch)


def fail(module, args, check_mode=False):
    with set_module_args(dict(args), check_mode=check_mode):
        return fail_module(module.main)


def run(module, args):
    with set_module_args(dict(args)):
        return run_module(module.main)


@pytest.mark.parametrize("state,existing,groups", [
    ("present", False, [dict(vms=["web-01"])]),                  # create
    ("present", True, [dict(vms=["web-01", "web-02"])]),         # update
    ("absent", True, None),                                      # delete
])
def test_a_negative_wait_timeout_on_a_recovery_plan_writes_nothing(arm, state, existing, groups):
    base = dict(VAULT_ARGS, name="rp-shop", wait_sleep=0)
    if existing:
        run(recovery_plan, dict(base, groups=[dict(vms=["web-01"])]))
    writes = len(arm.writes())
    args = dict(base, state=state, wait_timeout=-1)
    if groups:
        args["groups"] = groups
    failure = fail(recovery_plan, args)
    assert failure["error"]["details"]["parameter"] == "wait_timeout"
    assert "-1" in failure["msg"] and "0 or more" in failure["msg"]
    assert len(arm.writes()) == writes and failure.get("changed", False) is False


def test_a_negative_wait_timeout_on_a_vault_deletion_sends_nothing(arm):
    failure = fail(vault, dict(name=VAULT, resource_group=RG, state="absent", wait_timeout=-10))
    assert failure["error"]["details"]["parameter"] == "wait_timeout" and "-10" in failure["msg"]
    assert arm.calls == []


def test_a_negative_wait_timeout_on_a_policy_writes_nothing(arm):
    failure = fail(replication_policy, dict(VAULT_ARGS, name="pol-new", retention_hours=24, wait_timeout=-1))
    assert failure["error"]["details"]["parameter"] == "wait_timeout" and arm.calls == []


def test_an_unexpected_error_after_a_write_says_what_was_written(arm, monkeypatch):
    """The plan's PUT went out, then our own code raised: the failure says changed, and which write."""
    monkeypatch.setattr(JobTracker, "wait_names", boom)
    failure = fail(recovery_plan, dict(VAULT_ARGS, name="rp-shop", wait_sleep=0, groups=[dict(vms=["web-01"])]))
    assert failure["changed"] is True and failure["error"]["kind"] == "internal"
    assert [w for w in failure["writes"] if w.startswith("PUT ") and w.endswith("/replicationRecoveryPlans/rp-shop")]
    assert "1 write(s) had been sent before it: PUT " in failure["msg"] and "half-applied" in failure["msg"]
    assert [m for m, _p, _b in arm.writes()] == ["PUT"]


def test_a_domain_error_after_a_write_says_what_was_written(arm):
    """An ASR job that fails after the policy's PUT: the failure says changed and lists the write."""
    arm.job_state = "Failed"
    failure = fail(replication_policy, dict(VAULT_ARGS, name="pol-new", wait_sleep=0))
    assert failure["changed"] is True
    assert any(w.startswith("PUT ") and w.endswith("/replicationPolicies/pol-new") for w in failure["writes"])


def test_a_refused_write_is_not_reported_as_written(arm):
    """A write ARM answers with an error (here: an unknown route, 404) changed nothing: not in the journal."""
    clients = arm.clients()
    client = clients.client("siterecovery")
    client.send_request(HttpRequest("PUT", "https://management.azure.com/subscriptions/x/nowhere?api-version=1",
                                    json={}))
    client.send_request(HttpRequest("GET", "https://management.azure.com" + arm_vault_path() + "?api-version=1"))
    assert clients.journal.entries == []


def test_a_write_whose_answer_was_lost_is_reported_as_maybe_written(arm):
    """The request reached ASR (it ran), the answer never came back: it may have written."""
    arm.lose_answers.add("plan_put")
    clients = arm.clients()
    with pytest.raises(Exception):
        clients.client("siterecovery").send_request(HttpRequest(
            "PUT", "https://management.azure.com" + arm_vault_path() + "/replicationRecoveryPlans/rp-x?api-version=1",
            json={"properties": {}}))
    assert clients.journal.entries == ["PUT %s/replicationRecoveryPlans/rp-x (answer lost)" % arm_vault_path()]


def arm_vault_path():
    from ansible_collections.dr.asr.tests.unit.asr_fake import V
    return V


# -- ASR names --------------------------------------------------------------------------------------------------

# what cannot work in an ARM path or is outside ASCII (_asr/common.py ASR_NAME: loose on purpose - names with
# underscores or dots, short ones and ones starting with a digit stay manageable)
BAD_NAMES = ["pol icy", "a/b", "pölicy", "", "-pol", "pol.", "p" * 261, "pol\n", "pol?x", "a%2fb", "pol#1", "_pol"]


@pytest.mark.parametrize("bad", BAD_NAMES)
def test_a_policy_name_asr_would_not_take_is_refused_before_any_request(arm, bad):
    failure = fail(replication_policy, dict(VAULT_ARGS, name=bad, associate=True))
    assert failure["error"]["details"]["parameter"] == "name" and repr(bad) in failure["msg"]
    assert "ASCII letters, digits, hyphens, underscores and dots" in failure["msg"] and arm.calls == []


@pytest.mark.parametrize("bad", BAD_NAMES)
def test_a_plan_name_asr_would_not_take_is_refused_before_any_request(arm, bad):
    failure = fail(recovery_plan, dict(VAULT_ARGS, name=bad, groups=[dict(vms=["web-01"])]))
    assert failure["error"]["details"]["parameter"] == "name" and repr(bad) in failure["msg"]
    assert arm.calls == []


def test_an_association_name_is_checked_too(arm):
    failure = fail(replication_policy, dict(VAULT_ARGS, name="pol-new", associate=True, association_name="map 1"))
    assert failure["error"]["details"]["parameter"] == "association_name" and arm.calls == []
    default_too_long = "p" * 255     # a valid policy name whose default association name (+ -association) is not
    failure = fail(replication_policy, dict(VAULT_ARGS, name=default_too_long, associate=True))
    assert failure["error"]["details"]["parameter"] == "association_name" and arm.calls == []
    assert "-association" in failure["msg"]


@pytest.mark.parametrize("good", ["pol", "pol-24h", "v2aRcm-pwsh-testpolicy", "appconsistency-policy-failback",
                                  "P" + "1" * 64, "p1", "pol_1", "1pol", "pol.v2", "p" * 260])
def test_names_asr_takes_pass(arm, good):
    done = run(replication_policy, dict(VAULT_ARGS, name=good, wait_sleep=0))
    assert done["changed"]


def test_deleting_checks_no_name(arm):
    """A name outside the rule can only be one ASR has (created elsewhere) or none: deleting reads, then decides."""
    done = run(replication_policy, dict(VAULT_ARGS, name="pol icy", state="absent"))
    assert not done["changed"] and arm.writes() == []
