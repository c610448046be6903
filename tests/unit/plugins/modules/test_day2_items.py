# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Day-2 modules end to end in-process against the in-memory ASR (tests/unit/asr_fake.py): protected_item_disks
(vCenter's disks as discovered against the item's disks), resync (only where ASR asks for it) and
resolve_health_errors (by id or code, resolvable ones only) - check mode predicts without writes, the run sends the
real request shape, a rerun writes nothing, refusals start nothing."""

from __future__ import annotations

import pytest

from ansible_collections.dr.asr.plugins.modules import protected_item, protected_item_disks, resolve_health_errors, resync
from ansible_collections.dr.asr.tests.unit.asr_fake import GROUP, RG, VAULT, FakeAsr
from ansible_collections.dr.asr.tests.unit.plugins.modules.utils import (
    fail_module, patch_exit_json, run_module, set_module_args)

BASE = dict(vault_name=VAULT, vault_resource_group=RG, wait_sleep=0, wait_timeout=5)
LOG = GROUP + "/providers/Microsoft.Storage/storageAccounts/stdrcache"
GB40 = 40 * 1024 ** 3


@pytest.fixture
def arm(monkeypatch):
    patch_exit_json(monkeypatch)

    def use(vms, **kwargs):
        return FakeAsr(protected=vms, **kwargs).patch(monkeypatch)
    return use


def run(module, args, check_mode=False):
    with set_module_args(dict(BASE, **args), check_mode=check_mode):
        return run_module(module.main)


def fail(module, args, check_mode=False):
    with set_module_args(dict(BASE, **args), check_mode=check_mode):
        return fail_module(module.main)


def _disks(fake, vm, protected=1, unprotected=0):
    """The item replicates its first `protected` disks (as the agent names them: /dev/sdX), the next ones unprotected."""
    details = fake.item(vm)["properties"]["providerSpecificDetails"]
    details["protectedDisks"] = [dict(diskId="/dev/sd" + "abc"[i], diskName="/dev/sd" + "abc"[i],
                                      isOSDisk="true" if i == 0 else "false", capacityInBytes=GB40,
                                      diskType="StandardSSD_LRS", logStorageAccountId=LOG, diskState="Protected")
                                 for i in range(protected)]
    details["unprotectedDisks"] = [dict(diskId="/dev/sd" + "abc"[i], diskName="/dev/sd" + "abc"[i],
                                        capacityInBytes=GB40) for i in range(protected, protected + unprotected)]


# -- protected_item_disks ---------------------------------------------------------------------------------------

def test_a_disk_added_in_vcenter_is_predicted_added_and_rerun_writes_nothing(arm):
    fake = arm(["db-01", "web-01"])         # db-01 has two disks in vCenter, web-01 one
    _disks(fake, "db-01", protected=1, unprotected=1)
    _disks(fake, "web-01", protected=1)
    check = run(protected_item_disks, dict(items=["db-01", "web-01"]), check_mode=True)
    assert check["changed"] and fake.writes() == []
    db, web = check["protected_items"]
    assert (db["action"], web["action"]) == ("start", "none") and "every disk" in web["reason"]
    before, after = db["diff"]["before"]["disks"], db["diff"]["after"]["disks"]
    assert [d["protected"] for d in before] == [True, False]
    assert [(d["id"], d["protected"], d["disk_type"]) for d in after] == [
        ("/dev/sda", True, "StandardSSD_LRS"), ("/dev/sdb", True, "StandardSSD_LRS")]

    result = run(protected_item_disks, dict(items=["db-01", "web-01"]))
    assert result["changed"] and fake.count("POST") == 1
    action, vm, body = fake.bodies[0]
    machine_disk = fake.machines[0]["properties"]["disks"][1]["uuid"]
    assert (action, vm) == ("adddisks", "db-01")
    assert body == {"properties": {"providerSpecificDetails": {"instanceType": "InMageRcm", "disks": [
        {"diskId": machine_disk, "logStorageAccountId": LOG, "diskType": "StandardSSD_LRS"}]}}}
    entry = result["protected_items"][0]
    assert entry["job"]["state"] == "Succeeded" and [d["protected"] for d in entry["disks"]] == [True, True]
    assert entry["diff"]["after"]["disks"][1]["state"] == "Protected"

    fake.calls = []
    again = run(protected_item_disks, dict(items=["db-01", "web-01"]))
    assert not again["changed"] and fake.writes() == [] and again["diff"] == []


def test_protected_item_reports_what_the_disks_module_would_find_from_its_one_read(arm):
    """protected_item compares vCenter's disks with the item's GET it reads anyway (the protect role then runs the
    disks step only for the VMs not in sync): the same verdicts as protected_item_disks, no second item read."""
    fake = arm(["db-01", "web-01", "web-02"])       # db-01 has two disks in vCenter, web-01 and web-02 one
    _disks(fake, "db-01", protected=1, unprotected=1)
    _disks(fake, "web-01", protected=1)
    _disks(fake, "web-02", protected=2)
    fake.calls = []
    result = run(protected_item, dict(vms=[{"name": n} for n in ("db-01", "web-01", "web-02")]))
    assert not result["changed"] and fake.writes() == [] and fake.count("GET", "item_get") == 3
    by = dict((v["name"], v["disks"]) for v in result["vms"])
    db_disk = fake.machines[0]["properties"]["disks"][1]
    assert by["db-01"] == dict(in_sync=False, removed=[], add=[dict(id=db_disk["uuid"], label=db_disk["label"],
                                                                    size_gb=db_disk["maxSizeInBytes"] // 1024 ** 3)])
    assert by["web-01"] == dict(in_sync=True, add=[], removed=[])
    assert by["web-02"] == dict(in_sync=False, add=[], removed=["/dev/sdb"])
    disks = run(protected_item_disks, dict(items=["db-01", "web-01", "web-02"]), check_mode=True)
    verdicts = dict((e["name"], e["action"]) for e in disks["protected_items"])
    assert verdicts == {"db-01": "start", "web-01": "none", "web-02": "none"}


def test_disk_type_and_log_storage_account_options_go_into_the_body(arm):
    fake = arm(["db-01"])
    _disks(fake, "db-01", protected=1, unprotected=1)
    run(protected_item_disks, dict(items=["db-01"], disk_type="Premium_LRS", log_storage_account="stother"))
    disk = fake.bodies[0][2]["properties"]["providerSpecificDetails"]["disks"][0]
    assert disk["diskType"] == "Premium_LRS"
    assert disk["logStorageAccountId"] == GROUP + "/providers/Microsoft.Storage/storageAccounts/stother"


def test_a_disk_vcenter_no_longer_has_is_reported_never_removed(arm):
    fake = arm(["web-01"])                  # one disk in vCenter, two protected
    _disks(fake, "web-01", protected=2)
    result = run(protected_item_disks, dict(items=["web-01"]))
    assert not result["changed"] and fake.writes() == []
    assert "/dev/sdb" in result["protected_items"][0]["reason"] and "cannot remove" in result["protected_items"][0]["reason"]


def test_disks_are_refused_before_initial_replication_is_done_and_nothing_starts(arm):
    fake = arm(["db-01", "db-02"])
    _disks(fake, "db-01", protected=1, unprotected=1)
    _disks(fake, "db-02", protected=1, unprotected=1)
    fake.item("db-02")["properties"]["protectionState"] = "InitialReplicationInProgress"
    failure = fail(protected_item_disks, dict(items=["db-01", "db-02"]))
    assert fake.writes() == [] and "db-02" in failure["msg"] and "InitialReplicationInProgress" in failure["msg"]


# -- resync -----------------------------------------------------------------------------------------------------

def test_resync_only_where_asr_asks_for_it(arm):
    fake = arm(["web-01", "web-02"])
    fake.item("web-02")["properties"]["providerSpecificDetails"]["resyncRequired"] = "true"
    check = run(resync, dict(items=["web-01", "web-02"]), check_mode=True)
    assert check["changed"] and fake.writes() == []
    one, two = check["protected_items"]
    assert one["action"] == "none" and "needs no resync" in one["reason"]
    assert two["action"] == "start"
    assert (two["diff"]["before"]["resync_required"], two["diff"]["after"]["resync_required"]) == (True, False)
    result = run(resync, dict(items=["web-01", "web-02"]))
    assert result["changed"] and fake.count("POST") == 1 and fake.bodies[0][:2] == ("repairreplication", "web-02")
    assert fake.bodies[0][2] is None                     # begin_repair_replication has no body
    assert result["protected_items"][1]["resync_required"] is False
    fake.calls = []
    assert not run(resync, dict(items=["web-01", "web-02"]))["changed"] and fake.writes() == []


def test_resync_needed_but_not_allowed_is_refused_with_the_state(arm):
    fake = arm(["web-01"])
    item = fake.item("web-01")["properties"]
    item["providerSpecificDetails"]["resyncRequired"] = "true"
    item["activeLocation"], item["protectionState"] = "Recovery", "UnplannedFailoverCommitPendingStatesBegin"
    failure = fail(resync, dict(items=["web-01"]))
    assert fake.writes() == [] and "allowed operations" in failure["msg"]


# -- resolve_health_errors ---------------------------------------------------------------------------------------

def _errors(fake, vm):
    fake.item(vm)["properties"]["healthErrors"] = [
        dict(errorId="e-1", errorCode="78144", errorLevel="Warning", errorMessage="No app-consistent point",
             customerResolvability="Allowed"),
        dict(errorId="e-2", errorCode="161011", errorLevel="Warning", errorMessage="No test failover",
             customerResolvability="Allowed"),
        dict(errorId="e-3", errorCode="990010", errorLevel="Error", errorMessage="RPO exceeded",
             customerResolvability="NotAllowed", recommendedAction="Check the source machine.")]


def test_resolve_every_resolvable_error_then_nothing(arm):
    fake = arm(["web-01", "web-02"])
    _errors(fake, "web-01")
    check = run(resolve_health_errors, dict(items=["web-01", "web-02"]), check_mode=True)
    assert fake.writes() == []
    one, two = check["protected_items"]
    assert (one["action"], two["action"]) == ("start", "none")
    assert (one["diff"]["before"]["health_errors"], one["diff"]["after"]["health_errors"]) == (
        ["e-1", "e-2", "e-3"], ["e-3"])
    result = run(resolve_health_errors, dict(items=["web-01", "web-02"]))
    assert fake.bodies == [("resolvehealtherrors", "web-01", {"properties": {"healthErrors": [
        {"healthErrorId": "e-1"}, {"healthErrorId": "e-2"}]}})]
    assert result["protected_items"][0]["health_errors"] == ["e-3"]
    fake.calls = []
    assert not run(resolve_health_errors, dict(items=["web-01", "web-02"]))["changed"] and fake.writes() == []


def test_resolve_by_code_and_a_not_resolvable_one_is_refused(arm):
    fake = arm(["web-01"])
    _errors(fake, "web-01")
    run(resolve_health_errors, dict(items=["web-01"], health_errors=["161011"]))
    assert fake.bodies[0][2]["properties"]["healthErrors"] == [{"healthErrorId": "e-2"}]
    failure = fail(resolve_health_errors, dict(items=["web-01"], health_errors=["E-3", "e-1"]))
    assert "e-3" in failure["msg"] and "Check the source machine." in str(failure)
    assert len(fake.bodies) == 1                          # nothing more was sent
    alone = fail(resolve_health_errors, dict(items=["web-01"], health_errors=["990010"]))
    assert alone["error"]["code"] == "NotResolvable" and len(fake.bodies) == 1


# -- an answer lost after the request ran: never sent again -------------------------------------------------------

@pytest.mark.parametrize("module, setup, action, scenario", [
    (resync, lambda f: f.item("web-01")["properties"]["providerSpecificDetails"].update(resyncRequired="true"),
     "repairreplication", "RepairReplication"),
    (resolve_health_errors, lambda f: _errors(f, "web-01"), "resolvehealtherrors", "ResolveHealthErrors"),
])
def test_a_503_after_the_request_ran_is_not_sent_again(arm, monkeypatch, module, setup, action, scenario):
    from ansible_collections.dr.asr.plugins.module_utils._asr import jobs
    monkeypatch.setattr(jobs, "RESEND_DELAY", 0)
    fake = arm(["web-01"])
    setup(fake)
    fake.fail_answers["day2_action"] = [503]
    result = run(module, dict(items=["web-01"]))
    entry = result["protected_items"][0]
    assert result["changed"] and entry["error"] is None, entry
    assert fake.fail_answers["day2_action"] == []                         # the 503 was answered
    assert [b[0] for b in fake.bodies] == [action]                       # sent once
    ran = [j for j in fake.jobs.values() if j["properties"]["scenarioName"] == scenario]
    assert len(ran) == 1 and entry["job"]["name"] == ran[0]["name"]


def test_a_503_after_add_disks_ran_is_not_sent_again(arm, monkeypatch):
    from ansible_collections.dr.asr.plugins.module_utils._asr import jobs
    monkeypatch.setattr(jobs, "RESEND_DELAY", 0)
    fake = arm(["db-01"])
    _disks(fake, "db-01", protected=1, unprotected=1)
    fake.fail_answers["day2_action"] = [503]
    result = run(protected_item_disks, dict(items=["db-01"]))
    assert result["changed"] and result["protected_items"][0]["error"] is None
    assert fake.fail_answers["day2_action"] == [] and [b[0] for b in fake.bodies] == ["adddisks"]
    assert "answer was lost" in result["protected_items"][0]["reason"]
