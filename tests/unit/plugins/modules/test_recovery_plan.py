# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""recovery_plan and recovery_plan_info end to end in-process: the real SDK clients talk to an in-memory vault at
the network edge (tests/unit/asr_fake.py) that normalizes plans as ASR does. Check mode predicts, reruns write
nothing whatever order ASR answers in, a move is one PATCH of the whole groups list, limits fail before any request,
a rerun waits for a write job still running, a plan busy with a drill is not touched."""

from __future__ import annotations

import pytest

from ansible_collections.dr.asr.plugins.modules import recovery_plan, recovery_plan_info
from ansible_collections.dr.asr.tests.unit.asr_fake import FABRIC, RG, VAULT, FakeAsr, internal_id
from ansible_collections.dr.asr.tests.unit.plugins.modules.utils import (
    fail_module, patch_exit_json, run_module, set_module_args)

BASE = dict(vault_name=VAULT, vault_resource_group=RG, wait_sleep=0)
VMS = ["db-01", "app-01", "app-02", "web-01", "web-02"]
LAG = dict(name="check-replication-lag", type="manual", description="Check replication lag")
WARM = dict(name="warm-cache", type="script", path="/opt/dr/warm.sh", timeout="15")
THREE_TIER = [dict(vms=["db-01"]), dict(vms=["app-01", "app-02"], pre_actions=[LAG]),
              dict(vms=["web-01", "web-02"], post_actions=[WARM])]


@pytest.fixture
def arm(monkeypatch):
    patch_exit_json(monkeypatch)
    return FakeAsr(protected=VMS, far=["far-01"]).patch(monkeypatch)


def run(args, check_mode=False, module=recovery_plan):
    base = BASE if module is recovery_plan else dict(vault_name=VAULT, vault_resource_group=RG)
    with set_module_args(dict(base, **args), check_mode=check_mode):
        return run_module(module.main)


def fail(args, check_mode=False):
    with set_module_args(dict(BASE, **args), check_mode=check_mode):
        return fail_module(recovery_plan.main)


def test_check_mode_predicts_the_plan_and_writes_nothing(arm):
    check = run(dict(name="rp-shop", groups=THREE_TIER), check_mode=True)
    assert check["changed"] and arm.writes() == []
    assert check["diff"]["before"] == {}
    assert [g["vms"] for g in check["diff"]["after"]["groups"]] == [["db-01"], ["app-01", "app-02"], ["web-01", "web-02"]]
    done = run(dict(name="rp-shop", groups=THREE_TIER))
    assert done["changed"] and done["recovery_plan"]["id"].endswith("/replicationRecoveryPlans/rp-shop")
    assert check["recovery_plan"]["id"] is None
    predicted, actual = check["recovery_plan"], done["recovery_plan"]
    actual["groups"][2]["post_actions"][0]["timeout"] = "PT15M"     # ASR's spelling (PT0H15M0S) aside
    for key in ("groups", "shutdown_group", "failover_group", "item_count", "primary_fabric", "recovery_fabric"):
        assert predicted[key] == actual[key], key
    assert check["diff"]["after"] == done["diff"]["after"]
    assert len(done["jobs"]) == 1


def test_create_sends_shutdown_failover_then_boot_groups(arm):
    run(dict(name="rp-shop", groups=THREE_TIER))
    ((method, path, body),) = arm.writes()
    assert method == "PUT" and path.endswith("/replicationRecoveryPlans/rp-shop")
    props = body["properties"]
    assert props["primaryFabricId"].lower() == FABRIC.lower() and props["recoveryFabricId"] == "Microsoft Azure"
    assert props["failoverDeploymentModel"] == "ResourceManager"
    assert [g["groupType"] for g in props["groups"]] == ["Shutdown", "Failover", "Boot", "Boot", "Boot"]
    # members are named by their internalIdentifier [recorded: TestV2ARCMRecoveryPlan#13]
    assert [r["virtualMachineId"] for r in props["groups"][3]["replicationProtectedItems"]] == [
        internal_id("app-01"), internal_id("app-02")]
    assert props["groups"][3]["startGroupActions"][0]["customDetails"] == {
        "instanceType": "ManualActionDetails", "description": "Check replication lag"}
    assert props["groups"][4]["endGroupActions"][0]["customDetails"] == {
        "instanceType": "ScriptActionDetails", "path": "/opt/dr/warm.sh", "fabricLocation": "Recovery", "timeout": "PT15M"}


def test_rerun_and_reordered_members_write_nothing(arm):
    run(dict(name="rp-shop", groups=THREE_TIER))
    del arm.calls[:]
    again = run(dict(name="RP-SHOP", groups=THREE_TIER))
    reordered = run(dict(name="rp-shop", groups=[dict(vms=["db-01"]), dict(vms=["app-02"], items=["ITEM-APP-01"], pre_actions=[LAG]),
                                                 dict(vms=["web-02", "web-01"], post_actions=[dict(WARM, timeout="PT15M")])]))
    assert not again["changed"] and not reordered["changed"] and arm.writes() == []
    assert again["diff"]["before"] == again["diff"]["after"]
    assert len(arm.calls) == 6          # per run: one list of plans, a GET of the plan, one list of items; no job list


def test_a_rerun_reads_the_plans_members_only_a_new_member_the_vault(arm):
    """A plan's rerun resolves its VMs against ASR's list of the plan's members (recoveryPlanName filter); a VM that
    is no member yet, or a name no member has, is looked up among every protected item of the vault."""
    run(dict(name="rp-shop", groups=THREE_TIER))
    del arm.item_filters[:]
    assert not run(dict(name="rp-shop", groups=THREE_TIER))["changed"]
    assert arm.item_filters == ["recoveryPlanName eq 'rp-shop'"]
    fewer_vms = [dict(vms=["db-01"]), dict(vms=["app-01", "app-02"], pre_actions=[LAG]), dict(vms=["web-01"])]
    del arm.item_filters[:]
    fewer = run(dict(name="rp-shop", groups=fewer_vms))
    assert fewer["changed"] and arm.item_filters == ["recoveryPlanName eq 'rp-shop'"]     # web-02 leaves: members
    del arm.item_filters[:]
    back = run(dict(name="rp-shop", groups=THREE_TIER))
    assert back["changed"] and arm.item_filters == ["recoveryPlanName eq 'rp-shop'", None]  # web-02 joins: the vault
    assert [g["vms"] for g in back["recovery_plan"]["groups"]][2] == ["web-01", "web-02"]
    unknown = fail(dict(name="rp-shop", groups=[dict(vms=["db-01", "web-1"])]))
    assert "Close matches: web-01" in unknown["msg"]


def test_a_plan_asr_answers_in_its_own_order_is_no_change(arm):
    arm.add_plan("rp-seeded", [["db-01"], ["web-01", "web-02"]], reverse=True)
    same = run(dict(name="rp-seeded", groups=[dict(vms=["db-01"]), dict(vms=["web-02", "web-01"])]))
    assert not same["changed"] and arm.writes() == []


def test_moving_a_vm_is_one_patch_of_every_group_and_the_diff_shows_it(arm):
    run(dict(name="rp-shop", groups=THREE_TIER))
    moved = [dict(vms=["db-01"]), dict(vms=["app-01", "app-02", "web-01"], pre_actions=[LAG]),
             dict(vms=["web-02"], post_actions=[WARM])]
    check = run(dict(name="rp-shop", groups=moved), check_mode=True)
    done = run(dict(name="rp-shop", groups=moved))
    assert check["changed"] and done["changed"] and check["diff"] == done["diff"]
    assert done["diff"]["before"]["groups"][2]["vms"] == ["web-01", "web-02"]
    assert done["diff"]["after"]["groups"][1]["vms"] == ["app-01", "app-02", "web-01"]
    method, _path, body = arm.writes()[-1]
    assert method == "PATCH" and list(body["properties"]) == ["groups"]
    assert [g["groupType"] for g in body["properties"]["groups"]] == ["Shutdown", "Failover", "Boot", "Boot", "Boot"]
    assert done["recovery_plan"]["groups"][1]["vms"] == ["app-01", "app-02", "web-01"]
    assert not run(dict(name="rp-shop", groups=moved))["changed"]


def test_fixed_groups_keep_their_actions_unless_given(arm):
    run(dict(name="rp-shop", groups=THREE_TIER, failover_group=dict(post_actions=[dict(name="notify", type="manual")])))
    writes = len(arm.writes())
    kept = run(dict(name="rp-shop", groups=THREE_TIER))
    assert not kept["changed"] and len(arm.writes()) == writes
    assert kept["recovery_plan"]["failover_group"]["post_actions"][0]["name"] == "notify"
    cleared = run(dict(name="rp-shop", failover_group=dict()))
    assert cleared["changed"] and cleared["recovery_plan"]["failover_group"]["post_actions"] == []
    assert [g["vms"] for g in cleared["recovery_plan"]["groups"]] == [["db-01"], ["app-01", "app-02"], ["web-01", "web-02"]]


def test_101_items_fail_before_any_request(arm):
    names = ["vm-%03d" % i for i in range(101)]
    failure = fail(dict(name="rp-big", groups=[dict(vms=names[:50]), dict(vms=names[50:])]))
    assert failure["error"]["details"]["parameter"] == "groups"
    assert "at most 100 protected items" in failure["msg"] and "101" in failure["msg"]
    assert arm.calls == []


def test_unknown_vm_and_other_fabric_fail_before_any_write(arm):
    unknown = fail(dict(name="rp-shop", groups=[dict(vms=["db-01", "web-1"])]))
    assert unknown["error"]["details"]["parameter"] == "groups[0].vms[1]"
    assert "Close matches: web-01" in unknown["msg"]
    far = fail(dict(name="rp-shop", groups=[dict(vms=["db-01"]), dict(vms=["far-01"])]))
    assert far["error"]["details"]["parameter"] == "groups[1].vms[0]" and "fab2" in far["msg"]
    twice = fail(dict(name="rp-shop", groups=[dict(vms=["db-01"]), dict(items=["item-db-01"])]))
    assert twice["error"]["details"]["parameter"] == "groups[1].items[0]"
    assert arm.writes() == []


def test_a_failed_job_fails_with_asr_details(arm):
    arm.job_state = "Failed"
    failure = fail(dict(name="rp-shop", groups=THREE_TIER))
    # the job by its friendlyName, as ASR names a SaveRecoveryPlan job [recorded: TestV2ARCMRecoveryPlan#14-15]
    assert failure["error"]["code"] == "990023" and "Save a recovery plan" in failure["msg"]


def test_wait_false_returns_the_job_and_a_rerun_attaches(arm):
    arm.job_looks = 2
    started = run(dict(name="rp-shop", groups=THREE_TIER, wait=False))
    assert started["changed"] and len(started["jobs"]) == 1 and started["recovery_plan"]["id"] is None
    rerun = run(dict(name="rp-shop", groups=THREE_TIER))
    assert rerun["jobs"] == started["jobs"] and not rerun["changed"]
    assert len(arm.writes()) == 1
    assert rerun["recovery_plan"]["id"].endswith("/rp-shop")


def test_a_plan_busy_with_a_drill_is_not_changed(arm):
    arm.add_plan("rp-shop", [["db-01"]])
    job = arm.busy_plan("rp-shop")
    failure = fail(dict(name="rp-shop", groups=[dict(vms=["db-01", "web-01"])]))
    assert failure["error"]["code"] == "RecoveryPlanBusy" and job in failure["msg"] and "Suspended" in failure["msg"]
    assert arm.writes() == []
    assert not run(dict(name="rp-shop", groups=[dict(vms=["db-01"])]))["changed"]   # nothing to change: fine


def test_delete_and_delete_again(arm):
    run(dict(name="rp-shop", groups=THREE_TIER))
    check = run(dict(name="rp-shop", state="absent"), check_mode=True)
    assert check["changed"] and [m for m, _p, _b in arm.writes()] == ["PUT"]
    gone = run(dict(name="rp-shop", state="absent"))
    assert gone["changed"] and gone["diff"]["after"] == {} and gone["diff"]["before"]["groups"][0]["vms"] == ["db-01"]
    assert [m for m, _p, _b in arm.writes()] == ["PUT", "DELETE"] and len(gone["jobs"]) == 1
    again = run(dict(name="rp-shop", state="absent"))
    assert not again["changed"] and len(arm.writes()) == 2


def test_info_lists_plans_with_members_actions_and_state(arm):
    run(dict(name="rp-shop", groups=THREE_TIER))
    arm.add_plan("rp-db", [["db-01"]])
    job = arm.busy_plan("rp-db", state="InProgress")
    found = run(dict(), module=recovery_plan_info)["recovery_plans"]
    assert [p["name"] for p in found] == ["rp-db", "rp-shop"]
    shop = found[1]
    assert [g["vms"] for g in shop["groups"]] == [["db-01"], ["app-01", "app-02"], ["web-01", "web-02"]]
    assert shop["groups"][1]["members"][0]["item_name"] == "item-app-01"
    assert shop["groups"][1]["pre_actions"][0] == dict(name="check-replication-lag", type="manual",
                                                       description="Check replication lag",
                                                       failover_types=["TestFailover", "PlannedFailover", "UnplannedFailover"],
                                                       failover_directions=["PrimaryToRecovery"])
    assert shop["groups"][2]["post_actions"][0]["timeout"] == "PT0H15M0S"
    assert shop["allowed_operations"] == ["PlannedFailover", "UnplannedFailover", "TestFailover"]
    assert shop["providers"] == ["InMageRcm"] and shop["current_job"] is None
    assert found[0]["current_job"]["job"] == job and found[0]["current_job"]["running"]
    assert [p["name"] for p in run(dict(vm_name="web-02"), module=recovery_plan_info)["recovery_plans"]] == ["rp-shop"]
    assert run(dict(name="nope"), module=recovery_plan_info)["recovery_plans"] == []
