# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The recovery plan model: ASR's normalized answer vs the user's intent (group order, members as sets, id
casing, actions in order, durations), the 100-item limit, the action input per kind, member resolution."""

from __future__ import annotations

import copy
import types

import pytest

from ansible_collections.dr.asr.plugins.module_utils._errors import InputError
from ansible_collections.dr.asr.plugins.module_utils._asr import plans

V = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.RecoveryServices/vaults/v"
FABRIC = V + "/replicationFabrics/fab1"
OTHER = V + "/replicationFabrics/fab2"


def item(vm, fabric=FABRIC, name=None):
    name = name or "item-" + vm
    rid = fabric + "/replicationProtectionContainers/c/replicationProtectedItems/" + name
    return {"id": "/Subscriptions/" + rid[len("/subscriptions/"):], "name": name, "properties": {"friendlyName": vm}}


ITEMS = [item("db-01"), item("app-01"), item("app-02"), item("web-01"), item("web-02")]
INDEX = plans.ItemIndex(ITEMS)
VAULT = types.SimpleNamespace(name="v")


def action(name="gate", kind="manual", **kwargs):
    out = dict(name=name, type=kind, description=None, path=None, runbook_id=None, fabric_location=None, timeout=None,
               failover_types=list(plans.FAILOVER_TYPES), failover_directions=["PrimaryToRecovery"])
    out.update(kwargs)
    return out


def params(groups=None, shutdown=None, failover=None, name="rp"):
    return dict(name=name, groups=groups, shutdown_group=shutdown, failover_group=failover, state="present")


def group(vms=None, items=None, pre=None, post=None):
    return dict(vms=vms, items=items, pre_actions=pre, post_actions=post)


def ref(vm, upper=False):
    found = next(i for i in ITEMS if i["properties"]["friendlyName"] == vm)
    rid = found["id"].upper() if upper else found["id"]
    return {"id": rid, "virtualMachineId": found["name"]}


def boot(*vms, start=(), end=()):
    return {"groupType": "Boot", "replicationProtectedItems": [ref(v) for v in vms],
            "startGroupActions": list(start), "endGroupActions": list(end)}


def plan_of(*boots, shutdown=None):
    return {"id": V + "/replicationRecoveryPlans/rp", "name": "rp", "properties": {
        "primaryFabricId": "/Subscriptions/" + FABRIC[len("/subscriptions/"):],
        "groups": [shutdown or plans.empty_group("Shutdown"), plans.empty_group("Failover")] + list(boots)}}


def want_of(p, plan=None):
    return plans.resolve(p, plan, INDEX, VAULT)


# -- groups and members ------------------------------------------------------------------------------------

def test_groups_are_found_by_type_wherever_asr_puts_them():
    shutdown = dict(plans.empty_group("Shutdown"), startGroupActions=[{"actionName": "x"}])
    groups = [boot("db-01"), plans.empty_group("Failover"), boot("web-01"), shutdown]
    found_shutdown, found_failover, boots = plans.split_groups(groups)
    assert found_shutdown is shutdown and found_failover["groupType"] == "Failover"
    assert [plans.member_keys(b) for b in boots] == [plans.member_keys(boot("db-01")), plans.member_keys(boot("web-01"))]
    assert plans.split_groups([])[0] == plans.empty_group("Shutdown")


def test_members_are_a_set_compared_without_case():
    have = [boot("app-01", "app-02")]
    want = [{"groupType": "Boot", "replicationProtectedItems": [ref("app-02", upper=True), ref("app-01")],
             "startGroupActions": [], "endGroupActions": []}]
    assert plans.same_boot_groups(have, want)


def test_boot_group_order_matters():
    assert not plans.same_boot_groups([boot("db-01"), boot("web-01")], [boot("web-01"), boot("db-01")])
    assert not plans.same_boot_groups([boot("db-01")], [boot("db-01"), boot()])


def test_reordering_members_is_no_change_moving_one_is():
    plan = plan_of(boot("db-01"), boot("app-01", "app-02"), boot("web-01", "web-02"))
    same = want_of(params([group(["db-01"]), group(["app-02", "app-01"]), group(["web-02", "web-01"])]), plan)
    assert plans.changes(plan, same) == []
    moved = want_of(params([group(["db-01"]), group(["app-02", "app-01", "web-01"]), group(["web-02"])]), plan)
    assert plans.changes(plan, moved) == ["groups"]


def test_asr_order_and_id_casing_of_the_answer_are_no_change():
    answered = plan_of(boot("db-01"), boot("web-01"))
    answered["properties"]["groups"] = answered["properties"]["groups"][2:] + answered["properties"]["groups"][:2]
    for g in answered["properties"]["groups"]:
        for r in g["replicationProtectedItems"]:
            r["id"] = r["id"].replace("/Subscriptions/", "/subscriptions/").replace("replicationProtectedItems", "REPLICATIONPROTECTEDITEMS")
    want = want_of(params([group(["db-01"]), group(items=["ITEM-WEB-01"])]), answered)
    assert plans.changes(answered, want) == []


def test_unset_parts_are_not_compared_and_are_sent_back_as_they_are():
    gate = {"actionName": "gate", "failoverTypes": ["TestFailover"], "failoverDirections": ["PrimaryToRecovery"],
            "customDetails": {"instanceType": "ManualActionDetails", "description": "ok?"}}
    plan = plan_of(boot("db-01"), shutdown=dict(plans.empty_group("Shutdown"), startGroupActions=[gate]))
    want = want_of(params(groups=[group(["db-01"]), group(["web-01"])]), plan)
    assert plans.changes(plan, want) == ["groups"]
    body = plans.body_groups(plan, want)
    assert [g["groupType"] for g in body] == ["Shutdown", "Failover", "Boot", "Boot"]
    assert body[0]["startGroupActions"] == [gate]
    nothing = want_of(params(), plan)
    assert plans.changes(plan, nothing) == []
    assert [plans.member_keys(g) for g in plans.body_groups(plan, nothing)[2:]] == [plans.member_keys(boot("db-01"))]


def test_a_given_fixed_group_is_described_whole():
    gate = plans.action_input(action(description="ok?"), "p")
    plan = plan_of(boot("db-01"), shutdown=dict(plans.empty_group("Shutdown"), startGroupActions=[gate]))
    assert plans.changes(plan, want_of(params(shutdown=dict(pre_actions=[action(description="ok?")]), ), plan)) == []
    assert plans.changes(plan, want_of(params(shutdown=dict(pre_actions=None, post_actions=None)), plan)) == \
        ["shutdown_group"]


# -- actions ----------------------------------------------------------------------------------------

def test_actions_compare_in_order_with_types_and_directions_as_sets():
    a = plans.action_input(action("a", failover_types=["TestFailover", "UnplannedFailover"]), "p")
    b = plans.action_input(action("b"), "p")
    a_shuffled = dict(copy.deepcopy(a), failoverTypes=["UnplannedFailover", "TestFailover"])
    assert plans.same_actions([a, b], [a_shuffled, b])
    assert not plans.same_actions([a, b], [b, a])
    assert not plans.same_actions([a], [dict(a, failoverDirections=["PrimaryToRecovery", "RecoveryToPrimary"])])


def test_timeouts_compare_as_durations_and_unset_is_not_compared():
    wanted = plans.action_input(action("s", "script", path="/x.sh", timeout="15"), "p")
    assert wanted["customDetails"]["timeout"] == "PT15M"
    answered = copy.deepcopy(wanted)
    answered["customDetails"]["timeout"] = "PT0H15M0S"
    assert plans.same_action(answered, wanted)
    answered["customDetails"]["timeout"] = "PT20M"
    assert not plans.same_action(answered, wanted)
    no_timeout = plans.action_input(action("s", "script", path="/x.sh"), "p")
    assert "timeout" not in no_timeout["customDetails"] and plans.same_action(answered, no_timeout)


def test_runbook_ids_compare_without_case():
    rid = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Automation/automationAccounts/aa/runbooks/notify"
    wanted = plans.action_input(action("n", "runbook", runbook_id=rid), "p")
    answered = copy.deepcopy(wanted)
    answered["customDetails"]["runbookId"] = rid.replace("/subscriptions/", "/Subscriptions/").upper()
    assert plans.same_action(answered, wanted)


def test_action_input_per_kind():
    assert plans.action_input(action("gate", description="Check replication lag"), "p") == {
        "actionName": "gate", "failoverTypes": ["TestFailover", "PlannedFailover", "UnplannedFailover"],
        "failoverDirections": ["PrimaryToRecovery"],
        "customDetails": {"instanceType": "ManualActionDetails", "description": "Check replication lag"}}
    assert plans.action_input(action("warm", "script", path="/opt/warm.sh", timeout="PT1H"), "p")["customDetails"] == {
        "instanceType": "ScriptActionDetails", "path": "/opt/warm.sh", "fabricLocation": "Recovery", "timeout": "PT1H"}
    rid = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Automation/automationAccounts/aa/runbooks/notify"
    assert plans.action_input(action("n", "runbook", runbook_id=rid, fabric_location="Primary"), "p")["customDetails"] == {
        "instanceType": "AutomationRunbookActionDetails", "runbookId": rid, "fabricLocation": "Primary"}


@pytest.mark.parametrize("bad,parameter", [
    (action("s", "script"), "groups[0].post_actions[0].path"),
    (action("m", path="/x.sh"), "groups[0].post_actions[0].path"),
    (action("m", timeout="PT5M"), "groups[0].post_actions[0].timeout"),
    (action("r", "runbook", runbook_id="notify"), "groups[0].post_actions[0].runbook_id"),
    (action("s", "script", path="/x", description="x"), "groups[0].post_actions[0].description"),
    (action("s", "script", path="/x", timeout="soon"), "groups[0].post_actions[0].timeout"),
    (action("m", failover_types=[]), "groups[0].post_actions[0].failover_types"),
])
def test_bad_actions_name_the_sub_option(bad, parameter):
    with pytest.raises(InputError) as err:
        plans.check_limits(params([group(["db-01"], post=[bad])]))
    assert err.value.parameter == parameter


def test_action_facts_read_back_as_options():
    rid = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Automation/automationAccounts/aa/runbooks/notify"
    for given in (action("gate", description="lag?"), action("s", "script", path="/x.sh", timeout="PT5M"),
                  action("n", "runbook", runbook_id=rid, timeout="PT5M")):
        facts = plans.action_facts(plans.action_input(given, "p"))
        expected = dict((k, v) for k, v in given.items() if v is not None)
        if given["type"] != "manual":
            expected.setdefault("fabric_location", "Recovery")
        assert dict((k, v) for k, v in facts.items() if v is not None) == expected


# -- limits and members -----------------------------------------------------------------------------

def test_the_100_item_limit_is_checked_on_the_options_alone():
    names = ["vm-%03d" % i for i in range(101)]
    with pytest.raises(InputError) as err:
        plans.check_limits(params([group(names[:60]), group(items=names[60:])]))
    assert err.value.parameter == "groups"
    assert "101" in err.value.message and "at most 100" in err.value.message
    plans.check_limits(params([group(names[:100])]))    # 100 is fine (unknown names are found later)


def test_unknown_vms_are_reported_together_with_close_matches():
    with pytest.raises(InputError) as err:
        want_of(params([group(["db-01", "web-1"]), group(items=["item-app-3"])]))
    assert err.value.parameter == "groups[0].vms[1]"
    assert "Close matches: web-01" in err.value.message and "item-app-01" in err.value.message
    assert [p["details"]["parameter"] for p in err.value.details["problems"]] == ["groups[0].vms[1]", "groups[1].items[0]"]


def test_an_item_once_per_plan_whatever_it_is_called():
    with pytest.raises(InputError) as err:
        want_of(params([group(["web-01"]), group(items=[ITEMS[3]["id"].lower()])]))
    assert err.value.parameter == "groups[1].items[0]" and "groups[0].vms[0]" in err.value.message


def test_members_must_be_of_the_primary_fabric():
    index = plans.ItemIndex(ITEMS + [item("far-01", OTHER)])
    with pytest.raises(InputError) as err:
        plans.resolve(params([group(["db-01", "far-01"])]), None, index, VAULT)
    assert err.value.parameter == "groups[0].vms[1]" and "fab2" in err.value.message and "fab1" in err.value.message
    with pytest.raises(InputError) as err:
        plans.resolve(params([group(["far-01"])]), plan_of(boot("db-01")), index, VAULT)
    assert "primary fabric fab1" in err.value.message


def test_a_vm_name_two_items_share_asks_for_the_item():
    index = plans.ItemIndex(ITEMS + [item("web-01", name="item-web-01-b")])
    with pytest.raises(InputError) as err:
        plans.resolve(params([group(["web-01"])]), None, index, VAULT)
    assert "item-web-01, item-web-01-b" in err.value.message
    want = plans.resolve(params([group(items=["item-web-01-b"])]), None, index, VAULT)
    assert want["groups"][0]["replicationProtectedItems"][0]["virtualMachineId"] == "item-web-01-b"


def test_the_new_plan_takes_its_members_fabric():
    want = want_of(params([group(["db-01"])]))
    assert want["fabric_id"].lower() == FABRIC.lower()
    body = plans.create_body(want["fabric_id"], plans.body_groups(None, want))
    assert body["properties"]["recoveryFabricId"] == "Microsoft Azure"
    assert [g["groupType"] for g in body["properties"]["groups"]] == ["Shutdown", "Failover", "Boot"]


# -- views -------------------------------------------------------------------------------------------------

def test_view_and_facts_speak_vm_names():
    plan = plan_of(boot("db-01"), boot("web-02", "web-01"))
    view = plans.view("rp", plan["properties"]["groups"], INDEX)
    assert [g["vms"] for g in view["groups"]] == [["db-01"], ["web-01", "web-02"]]
    facts = plans.plan_facts(plan, INDEX)
    assert facts["item_count"] == 3 and facts["groups"][1]["vms"] == ["web-02", "web-01"]
    assert facts["groups"][1]["members"][0]["item_name"] == "item-web-02"
    assert facts["primary_fabric"] == "fab1" and facts["current_job"] is None


def test_a_running_drill_makes_the_plan_busy_but_its_own_write_does_not():
    plan = plan_of(boot("db-01"))
    plan["properties"].update(currentScenario={"scenarioName": "TestFailover", "jobId": V + "/replicationJobs/j1",
                                               "startTime": "2026-01-01T00:00:00Z"}, currentScenarioStatus="Suspended")
    with pytest.raises(plans.DrAsrError) as err:
        plans.check_idle(plan)
    assert err.value.code == "RecoveryPlanBusy" and "j1" in err.value.message
    plan["properties"]["currentScenarioStatus"] = "Succeeded"
    plans.check_idle(plan)
    # the plan's own save [recorded: SaveRecoveryPlan for a create or an update] does not make it busy
    for scenario in ("SaveRecoveryPlan", "UpdateRecoveryPlan"):
        plan["properties"].update(currentScenarioStatus="InProgress", currentScenario=dict(
            plan["properties"]["currentScenario"], scenarioName=scenario))
        plans.check_idle(plan)
