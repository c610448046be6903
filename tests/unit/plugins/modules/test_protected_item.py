# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""protected_item and protected_item_info end to end in-process, the real SDK clients talking to an
in-memory ASR at the network edge (tests/unit/asr_fake.py): the batch planner, check mode, errors before writes, resume,
timeouts with progress, and the call budget (reads do not grow with the number of VMs)."""

from __future__ import annotations

import pytest

from ansible_collections.dr.asr.plugins.module_utils._waiter import Waiter
from ansible_collections.dr.asr.plugins.module_utils._asr import tracker
from ansible_collections.dr.asr.plugins.modules import protected_item, protected_item_info
from ansible_collections.dr.asr.tests.unit.asr_fake import FakeAsr, RG, VAULT
from ansible_collections.dr.asr.tests.unit.plugins.modules.utils import (
    fail_module, patch_exit_json, run_module, set_module_args)

DEFAULTS = dict(vault_name=VAULT, vault_resource_group=RG, policy="pol-24h", run_as_account="linux-root",
                target_resource_group=RG, target_network="vnet-dr-recovery", test_network="vnet-dr-test",
                log_storage_account="stcache01", wait_sleep=0, wait_timeout=5)


@pytest.fixture
def arm(monkeypatch):
    patch_exit_json(monkeypatch)

    def use(vms, **kwargs):
        return FakeAsr(vms=vms, policies=["pol-24h"], **kwargs).patch(monkeypatch)
    return use


def run(args, check_mode=False, module=protected_item):
    with set_module_args(dict(DEFAULTS, **args) if module is protected_item else args, check_mode=check_mode):
        return run_module(module.main)


def fail(args, check_mode=False):
    with set_module_args(dict(DEFAULTS, **args), check_mode=check_mode):
        return fail_module(protected_item.main)


def names(count):
    return ["web-%02d" % i for i in range(1, count + 1)]


# -- the call budget ---------------------------------------------------------------------------------

@pytest.mark.parametrize("count", [1, 2, 25, 200])
def test_enable_reads_do_not_grow_with_the_vm_count(arm, count):
    fake = arm(names(count) + ["other-01", "other-02"])
    result = run(dict(vms=[{"name": n} for n in names(count)], target_vm_size="Standard_D4s_v5", wait="enabled"))
    assert result["changed"] and [v["action"] for v in result["vms"]] == ["enable"] * count
    assert fake.count("PUT") == count and len(fake.writes()) == count
    # fabrics, machines, items, containers, policies, mappings, run-as accounts, vault (region), SKUs,
    # resource group, two vnets, storage account (13); one item list for the report; the jobs: one GET per
    # poll for a single job, else one GET (the first job's start time) and one vault-wide list per poll
    assert fake.count("GET", "job_list") == (0 if count == 1 else 1)
    assert fake.count("GET", "job_get") == 1
    assert fake.count("GET") == (15 if count == 1 else 16)


@pytest.mark.parametrize("count", [1, 25])
def test_rerun_reads_three_lists_gets_the_compared_items_and_writes_nothing(arm, count):
    """A rerun reads three vault-wide lists (fabrics, machines, items) and GETs each item it compares: a list of
    items carries their disks and NICs empty [recorded], so comparing a list would see every disk and NIC setting
    changed. One GET per compared item (concurrent), no job reads (no item names a job), no writes."""
    fake = arm(names(count))
    run(dict(vms=[{"name": n} for n in names(count)]))
    fake.protect_all()
    fake.calls = []
    result = run(dict(vms=[{"name": n} for n in names(count)], wait="protected"))
    assert not result["changed"] and set(v["action"] for v in result["vms"]) == {"none"}
    assert [v["progress"] for v in result["vms"]] == [100] * count
    assert [v["phase"] for v in result["vms"]] == ["protected"] * count
    assert fake.writes() == []
    assert sorted(k for _m, k in fake.kinds()) == ["fabrics"] + ["item_get"] * count + ["item_list", "machines"]


def test_waiting_for_protection_lists_items_once_per_poll(arm, monkeypatch):
    """One item list per poll while waiting; before, one GET per item the run compares (a list has no disks and
    NICs), never one per poll."""
    fake = arm(names(5))
    run(dict(vms=[{"name": n} for n in names(5)], wait="none"))
    fake.calls = []
    sleeps = []

    def sleeper(seconds):
        sleeps.append(seconds)
        if len(sleeps) == 2:
            fake.protect_all()
    monkeypatch.setattr(tracker, "Waiter", lambda **kw: Waiter(sleeper=sleeper, **kw))
    result = run(dict(vms=[{"name": n} for n in names(5)], wait="protected", wait_sleep=7, wait_timeout=60))
    assert [v["state"] for v in result["vms"]] == ["Protected"] * 5
    assert sleeps == [1.75, 3.5]
    assert fake.count("GET", "item_list") == 3 and fake.count("GET", "job_list") == 0 and fake.writes() == []
    assert fake.count("GET", "item_get") == 5


# -- the planner ------------------------------------------------------------------------------------------

def test_batch_plans_enable_update_nothing_and_attach(arm):
    fake = arm(["web-01", "web-02", "web-03", "web-04"])
    run(dict(vms=[{"name": "web-02"}, {"name": "web-03"}, {"name": "web-04"}]))
    fake.protect_all()
    fake.busy("web-04", looks=2)        # still runs when the run reads it (once, to tell it from a failed job)
    fake.calls = []
    result = run(dict(vms=[{"name": "web-01"}, {"name": "web-02", "target_vm_size": "Standard_B1s"},
                           {"name": "web-03"}, {"name": "web-04"}], wait="none"))
    actions = dict((v["name"], (v["action"], v["changed"])) for v in result["vms"])
    assert actions == {"web-01": ("enable", True), "web-02": ("update", True), "web-03": ("none", False),
                       "web-04": ("attach", False)}
    assert (fake.count("PUT"), fake.count("PATCH"), fake.count("POST")) == (1, 1, 0)
    web02 = result["vms"][1]
    assert web02["diff"] == {"before": {"target_vm_size": "Standard_D2s_v5"}, "after": {"target_vm_size": "Standard_B1s"}}
    assert [d["before_header"] for d in result["diff"]] == ["web-01", "web-02"]
    # the two compared items are read with a GET each; web-04's running job is read once, its item not compared
    assert fake.count("GET", "item_get") == 2 and fake.count("GET", "job_get") >= 1


def test_check_mode_predicts_and_writes_nothing(arm):
    fake = arm(["web-01", "web-02"])
    run(dict(name="web-02"))
    fake.protect_all()
    fake.calls = []
    result = run(dict(vms=[{"name": "web-01"}, {"name": "web-02", "target_vm_size": "Standard_B1s"}]), check_mode=True)
    assert [v["action"] for v in result["vms"]] == ["enable", "update"] and result["changed"]
    assert fake.writes() == []
    assert result["vms"][0]["diff"]["before"] == {}
    assert result["vms"][0]["diff"]["after"]["target_network_id"].endswith("/virtualNetworks/vnet-dr-recovery")


def test_ids_compare_without_case_and_only_set_options_count(arm):
    fake = arm(["web-01"])
    run(dict(name="web-01", target_resource_group=RG.upper(), target_network="VNET-DR-RECOVERY"))
    fake.protect_all()
    fake.calls = []
    result = run(dict(name="web-01", target_network="vnet-dr-recovery", policy="POL-24H", run_as_account=None,
                      test_network=None, log_storage_account=None))
    assert not result["changed"] and fake.writes() == []


def test_nic_settings_are_applied_after_the_enable_job(arm):
    fake = arm(["app-01"])
    result = run(dict(name="app-01", nics=[{"nic": "Network adapter 1", "target_subnet": "app", "target_ip": "10.10.1.31"},
                                           {"nic": "Network adapter 2", "failover": False}]))
    assert result["vms"][0]["action"] == "enable" and result["vms"][0]["job"]["scenario"] == "UpdateVmProperties"
    assert (fake.count("PUT"), fake.count("PATCH")) == (1, 1)
    # the report's item comes from a list: its NICs are unknown (null), never a false empty list
    assert result["vms"][0]["item"]["nics"] is None
    info = run(dict(vault_name=VAULT, vault_resource_group=RG, vm_names=["app-01"]), module=protected_item_info)
    nics = info["protected_items"][0]["nics"]         # protected_item_info GETs the item
    assert (nics[0]["target_ip"], nics[0]["target_subnet"], nics[1]["failover"]) == ("10.10.1.31", "app", False)
    fake.calls = []
    again = run(dict(name="app-01", nics=[{"nic": "00:50:56:90:01:00", "target_subnet": "app", "target_ip": "10.10.1.31"},
                                          {"nic": "Network adapter 2", "failover": False}]))
    # compared with the GET (the list has no NICs): nothing to change
    assert not again["changed"] and fake.writes() == [] and fake.count("GET", "item_get") == 1


def test_per_disk_settings_are_compared_through_the_agents_disk_names(arm):
    """The item names its disks as the agent does (/dev/sda, /dev/sdb), not by the VMware disk UUID the options and
    the enable input use: the rerun matches them (rcm.disk_map: OS disk, capacity, position) on the item's GET."""
    fake = arm(["db-01"])
    disks = [{"disk": "Hard disk 1", "disk_type": "Premium_LRS"}, {"disk": "Hard disk 2", "exclude": True}]
    first = run(dict(name="db-01", disks=disks))
    assert first["vms"][0]["action"] == "enable"
    details = next(iter(fake.items.values()))["properties"]["providerSpecificDetails"]
    assert [d["diskId"] for d in details["protectedDisks"]] == ["/dev/sda"]
    assert [d["diskId"] for d in details["unprotectedDisks"]] == ["/dev/sdb"]
    fake.protect_all()
    fake.calls = []
    again = run(dict(name="db-01", disks=disks))
    assert not again["changed"] and fake.writes() == [] and fake.count("GET", "item_get") == 1
    failure = fail(dict(name="db-01", disks=[{"disk": "Hard disk 2", "exclude": False}]))
    assert failure["error"]["details"]["parameter"] == "disks" and fake.writes() == []
    assert "/dev/sdb" in failure["msg"]


def test_disable_needs_confirmation_and_then_disables_once(arm):
    fake = arm(["web-01"])
    run(dict(name="web-01"))
    fake.calls = []
    failure = fail(dict(name="web-01", state="absent"))
    assert failure["error"]["details"]["parameter"] == "confirm_disable" and fake.calls == []
    result = run(dict(name="web-01", state="absent", confirm_disable=True))
    assert result["vms"][0]["action"] == "disable" and result["vms"][0]["state"] is None
    assert fake.count("POST") == 1
    assert not run(dict(name="web-01", state="absent", confirm_disable=True))["changed"]


# -- errors before any write, for all VMs -------------------------------------------------------------------

def test_every_bad_input_is_reported_before_any_write(arm):
    fake = arm(["web-01", "web-02", "web-03", "web-04"])
    failure = fail(dict(vms=[{"name": "web-01"}, {"name": "web-02", "target_vm_size": "Standard_X1"},
                             {"name": "web-03", "target_network": "vnet-nope"},
                             {"name": "web-04", "test_network": "vnet-dr-recovery"}]))
    assert fake.writes() == []
    problems = [p["details"]["parameter"] for p in failure["error"]["details"]["problems"]]
    assert problems == ["vms[1].target_vm_size", "vms[2].target_network", "vms[3].test_network"]
    assert "Standard_D4s_v5" in failure["msg"] and "vnet-dr-test" in failure["msg"]


def test_unknown_vm_names_close_matches(arm):
    fake = arm(["web-01", "web-02", "db-01"])
    failure = fail(dict(vms=[{"name": "web-01"}, {"name": "web-1"}]))
    assert failure["error"]["details"]["parameter"] == "vms[1].name"
    assert "Close matches: web-01, web-02" in failure["msg"] and fake.writes() == []


def test_static_ip_outside_its_subnet(arm):
    arm(["app-01"])
    failure = fail(dict(name="app-01", nics=[{"nic": "Network adapter 1", "target_subnet": "app", "target_ip": "10.10.9.9"}]))
    assert failure["error"]["details"]["parameter"] == "nics[0].target_ip" and "10.10.1.0/24" in failure["msg"]


def test_settings_asr_cannot_update_are_errors(arm):
    fake = arm(["web-01"])
    run(dict(name="web-01"))
    fake.calls = []
    failure = fail(dict(name="web-01", disk_type="Premium_LRS"))
    assert failure["error"]["details"]["parameter"] == "disk_type" and "enable it again" in failure["msg"]
    assert fail(dict(name="web-01", multi_vm_group="g2"))["error"]["details"]["parameter"] == "multi_vm_group"
    assert fake.writes() == []


def test_enable_without_agent_or_credentials_is_an_input_error(arm):
    arm(["web-01"])
    failure = fail(dict(name="web-01", run_as_account=None))
    assert failure["error"]["details"]["parameter"] == "run_as_account"


def test_a_registered_agent_needs_no_credentials(arm):
    fake = arm(["web-01"], agents=["web-01"])
    result = run(dict(name="web-01", run_as_account=None))
    assert result["vms"][0]["action"] == "enable" and fake.count("PUT") == 1


# -- jobs, resume, timeouts ---------------------------------------------------------------------------------

def test_failed_jobs_fail_the_module_after_the_others_are_done(arm):
    fake = arm(["web-01", "web-02"], job_state="Failed")
    failure = fail(dict(vms=[{"name": "web-01"}, {"name": "web-02"}]))
    assert "2 of 2 VMs failed" in failure["msg"] and "Push installation failed" in failure["msg"]
    assert [v["error"]["code"] for v in failure["vms"]] == ["95117", "95117"]
    assert fake.count("PUT") == 2
    # ASR keeps the failed enable as the items' currentScenario [recorded: EnablingFailed]: a rerun reads those jobs
    # once (one list for two), sees they ended, and reports the failed state instead of waiting for them
    fake.calls = []
    again = fail(dict(vms=[{"name": "web-01"}, {"name": "web-02"}]))
    assert [v["error"]["code"] for v in again["vms"]] == ["EnablingFailed", "EnablingFailed"]
    assert [v["phase"] for v in again["vms"]] == ["failed", "failed"]
    assert [v["item"]["current_job"]["running"] for v in again["vms"]] == [False, False]
    assert "job action=restart" in again["vms"][0]["error"]["recommended_action"]
    assert fake.writes() == [] and (fake.count("GET", "job_list"), fake.count("GET", "job_get")) == (1, 0)


def test_busy_item_is_attached_not_submitted_again(arm):
    fake = arm(["web-01"])
    run(dict(name="web-01", wait="none"))
    job = fake.busy("web-01", looks=2)
    fake.calls = []
    result = run(dict(name="web-01"))
    assert result["vms"][0]["action"] == "attach" and result["vms"][0]["job"]["name"] == job
    assert result["vms"][0]["job"]["state"] == "Succeeded"
    assert fake.writes() == [] and not result["changed"]


def test_busy_item_with_pending_settings_is_updated_once_its_job_ended(arm):
    fake = arm(["web-01"])
    run(dict(name="web-01", wait="none"))
    fake.busy("web-01")
    fake.calls = []
    result = run(dict(name="web-01", target_vm_size="Standard_B1s"))
    vm = result["vms"][0]
    assert (vm["action"], vm["changed"], vm["job"]["scenario"]) == ("update", True, "UpdateVmProperties")
    assert fake.count("PATCH") == 1 and vm["item"]["target"]["vm_size"] == "Standard_B1s"


def test_disabling_a_busy_item_waits_for_its_job_first(arm):
    fake = arm(["web-01"])
    run(dict(name="web-01", wait="none"))
    # looks=2: the job still runs when the run reads it first, and ends at the wait's look
    fake.busy("web-01", scenario="UpdateVmProperties", looks=2)
    fake.calls = []
    result = run(dict(name="web-01", state="absent", confirm_disable=True))
    assert result["vms"][0]["action"] == "disable" and fake.count("POST") == 1 and not fake.items


def test_timeout_waiting_for_protection_returns_progress_and_a_rerun_resumes(arm):
    fake = arm(["web-01", "web-02"])
    with set_module_args(dict(DEFAULTS, vms=[{"name": "web-01"}, {"name": "web-02"}], wait="protected", wait_timeout=0)):
        failure = fail_module(protected_item.main)
    assert failure["error"]["kind"] == "timeout" and failure["changed"]
    assert "web-01 0%" in failure["msg"]
    assert [v["progress"] for v in failure["partial"]["vms"]] == [0, 0]
    fake.protect_all()
    fake.calls = []
    result = run(dict(vms=[{"name": "web-01"}, {"name": "web-02"}], wait="protected"))
    assert [v["action"] for v in result["vms"]] == ["none", "none"] and fake.writes() == []


# -- info ------------------------------------------------------------------------------------------------------

def test_info_filters_by_vm_name_and_state_with_one_list(arm):
    fake = arm(["web-01", "web-02"])
    run(dict(vms=[{"name": "web-01"}, {"name": "web-02"}]))
    fake.calls = []
    result = run(dict(vault_name=VAULT, vault_resource_group=RG, vm_names=["WEB-02"],
                      states=["initialreplicationinprogress"]), module=protected_item_info)
    assert [i["vm_name"] for i in result["protected_items"]] == ["web-02"]
    assert result["protected_items"][0]["target"]["vm_size"] == "Standard_D2s_v5"
    # one list, then a GET of the one matching item for its disks and NICs (a list carries them empty)
    assert fake.kinds() == [("GET", "item_list"), ("GET", "item_get")]
    assert [d["id"] for d in result["protected_items"][0]["disks"]] == ["/dev/sda"]     # as the agent names it
    assert len(result["protected_items"][0]["nics"]) == 1
    fake.calls = []
    listed = run(dict(vault_name=VAULT, vault_resource_group=RG, vm_names=["WEB-02"], details=False),
                 module=protected_item_info)
    assert fake.kinds() == [("GET", "item_list")]
    assert listed["protected_items"][0]["disks"] is None and listed["protected_items"][0]["nics"] is None
    empty = run(dict(vault_name=VAULT, vault_resource_group=RG, states=["Protected"]), module=protected_item_info)
    assert empty["protected_items"] == []
    phases = run(dict(vault_name=VAULT, vault_resource_group=RG, phases=["initial_replication"], details=False),
                 module=protected_item_info)
    assert [i["vm_name"] for i in phases["protected_items"]] == ["web-01", "web-02"]
