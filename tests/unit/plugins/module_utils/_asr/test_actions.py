# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The DR actions as pure decisions: the state model (phases), the provider inputs, the recovery point choice, what
counts as done, what is refused and how the refusal reads, and the job actions' idempotency. A fake vault holds
REST dicts; nothing here talks to Azure."""

from __future__ import annotations

import datetime

import pytest

from ansible_collections.dr.asr.plugins.module_utils._errors import DrAsrError, InputError
from ansible_collections.dr.asr.plugins.module_utils._asr import actions, recovery_points as rp
from ansible_collections.dr.asr.plugins.module_utils._asr.providers import inmagercm_item as rcm
from ansible_collections.dr.asr.plugins.modules import failover as failover_module

V = "/Subscriptions/s/resourceGroups/rg/providers/Microsoft.RecoveryServices/vaults/v"
C = V + "/replicationFabrics/fab/replicationProtectionContainers/cont"
IDLE = {"scenarioName": "None", "jobId": V + "/replicationJobs/None", "startTime": "1753-01-01T01:01:01Z"}
ALLOWED = {
    "protected": ["UnplannedFailover", "DisableProtection", "TestFailover"],
    "test_failover": ["TestFailoverCleanup"],
    "failed_over": ["Commit", "DisableProtection", "ChangePit"],
    "committed": ["ReverseReplicate", "DisableProtection"],
    "reprotected": ["PlannedFailover", "DisableProtection"],
    "failed_back": ["Commit", "CancelFailover"],
    "failback_committed": ["ReverseReplicate", "DisableProtection"],
}
STATES = {   # phase -> (provider, activeLocation, protectionState, testFailoverState)
    "protected": ("InMageRcm", "Primary", "Protected", "None"),
    "test_failover": ("InMageRcm", "Primary", "Protected", "WaitingForCompletion"),
    "failed_over": ("InMageRcm", "Recovery", "UnplannedFailoverCommitPendingStatesBegin", "None"),
    "committed": ("InMageRcm", "Recovery", "CommitFailoverCompleted", "None"),
    "reprotected": ("InMageRcmFailback", "Recovery", "Protected", "None"),
    "failed_back": ("InMageRcmFailback", "Primary", "PlannedFailoverCommitRequired", "None"),
    "failback_committed": ("InMageRcmFailback", "Primary", "CommitFailoverCompleted", "None"),
}


def item(name, phase="protected", job=None, scenario=None, **details):
    provider, location, state, tfo = STATES[phase]
    current = dict(IDLE)
    if job is not None:
        current = {"scenarioName": scenario, "jobId": V + "/replicationJobs/" + job, "startTime": "2026-01-01T00:00:00Z"}
    return {"id": C + "/replicationProtectedItems/item-" + name, "name": "item-" + name, "properties": {
        "friendlyName": name, "protectionState": state, "activeLocation": location, "testFailoverState": tfo,
        "allowedOperations": [] if job else list(ALLOWED[phase]), "currentScenario": current,
        "providerSpecificDetails": dict({"instanceType": provider, "processServerName": "appliance-01",
                                         "targetResourceGroupId": "/subscriptions/s/resourceGroups/rg"}, **details)}}


def point(name, minute, kind="CrashConsistent", multi=False):
    return {"id": "x/recoveryPoints/" + name, "name": name, "properties": {
        "recoveryPointTime": "2026-01-01T00:%02d:00Z" % minute, "recoveryPointType": kind,
        "providerSpecificDetails": {"instanceType": "InMageRcm", "isMultiVmSyncPoint": "true" if multi else "false"}}}


class FakeVault(object):
    name, resource_group = "v", "rg"

    def __init__(self, items=(), plans=()):
        self.items = list(items)
        self.plans = list(plans)
        self.clients = type("Clients", (), {"subscription_id": "s"})()

    def protected_items(self):
        return self.items

    def recovery_plans(self):
        return self.plans

    def forget(self, *keys):
        pass


class FakeRun(actions.Run):
    """A Run whose recovery points come from a dict instead of Azure."""

    def __init__(self, vault, params, action, points=None):
        super().__init__(vault, params, action)
        self.fake_points = points or {}

    def points(self, item):
        return rp.newest_first(self.fake_points.get(item["properties"]["friendlyName"], []))


def params(**kw):
    out = dict(items=None, recovery_plan=None, wait=True, wait_timeout=60, wait_sleep=0, state="present",
               recovery_point=None, recovery_point_time=None, multi_vm_sync_point=None, network=None, subnet=None)
    out.update(kw)
    return out


# -- the state model -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("provider,location,state,tfo,phase", [
    ("InMageRcm", "Primary", "UnprotectedStatesBegin", "None", "initial_replication"),
    ("InMageRcm", "Primary", "InitialReplicationInProgress", None, "initial_replication"),
    ("InMageRcm", "Primary", "ReprotectInitiated", "None", "initial_replication"),
    ("InMageRcm", "Primary", "Protected", "None", "protected"),
    ("InMageRcm", "Primary", "Protected", "WaitingForCompletion", "test_failover"),
    ("InMageRcm", "Primary", "Protected", "MarkedForDeletion", "test_failover_cleanup"),
    ("InMageRcm", "Recovery", "UnplannedFailoverCommitPendingStatesBegin", "None", "failed_over"),
    ("InMageRcm", "Recovery", "CommitFailoverCompleted", "None", "committed"),
    ("InMageRcmFailback", "Recovery", "ReprotectInitiated", "None", "reprotecting"),
    # a reprotect's first tasks, before the item switches to the other direction's provider
    ("InMageRcm", "Recovery", "ReprotectInitiated", "None", "reprotecting"),
    ("InMageRcmFailback", "Primary", "ReprotectInitiated", "None", "initial_replication"),
    ("InMageRcmFailback", "Recovery", "InitialReplicationInProgress", "None", "reprotecting"),
    ("InMageRcmFailback", "Recovery", "Protected", "None", "reprotected"),
    ("InMageRcmFailback", "Primary", "PlannedFailoverCommitRequired", "None", "failed_back"),
    ("InMageRcmFailback", "Primary", "CommitFailoverCompleted", "None", "failback_committed"),
    ("InMageRcm", "Primary", "EnablingFailed", "None", "failed"),
    ("InMageRcm", "Primary", "DisablingProtection", "None", "disabling"),
    ("InMageRcm", "Primary", "SomethingNew", "None", "unknown"),
])
def test_phase(provider, location, state, tfo, phase):
    assert rcm.phase(provider, location, state, tfo) == phase


def test_replicates_to():
    assert rcm.replicates_to("InMageRcm", "Primary") == "recovery"
    assert rcm.replicates_to("InMageRcmFailback", "Recovery") == "primary"
    assert rcm.replicates_to("InMageRcm", "Recovery") is None
    assert rcm.replicates_to("InMageRcmFailback", "Primary") is None


# -- provider inputs ---------------------------------------------------------------------------------------------

def test_action_inputs():
    assert rcm.test_failover_input("net", None) == {"instanceType": "InMageRcm", "networkId": "net"}
    assert rcm.unplanned_failover_input(True, "rp1") == {"instanceType": "InMageRcm", "performShutdown": "true",
                                                         "recoveryPointId": "rp1"}
    assert rcm.unplanned_failover_input(False) == {"instanceType": "InMageRcm", "performShutdown": "false"}
    assert rcm.planned_failback_input("CrashConsistent") == {"instanceType": "InMageRcmFailback",
                                                             "recoveryPointType": "CrashConsistent"}
    assert rcm.apply_recovery_point_input("rp1") == {"instanceType": "InMageRcm", "recoveryPointId": "rp1"}
    assert rcm.reprotect_to_primary_input("agent", "ds1", "sa", None) == {
        "instanceType": "InMageRcm", "reprotectAgentId": "agent", "datastoreName": "ds1", "logStorageAccountId": "sa"}
    assert rcm.reprotect_to_recovery_input("ps", "pol") == {"instanceType": "InMageRcmFailback",
                                                            "processServerId": "ps", "policyId": "pol"}


@pytest.mark.parametrize("keyword,expected", [(None, "CrashConsistent"), ("Latest", "CrashConsistent"),
                                              ("LatestProcessed", "CrashConsistent"),
                                              ("LatestApplicationConsistent", "ApplicationConsistent"),
                                              ("LatestCrashConsistent", "CrashConsistent"), ("some-point-1", None)])
def test_failback_point_type(keyword, expected):
    assert rcm.failback_point_type(keyword) == expected


def test_plan_inputs():
    assert rcm.plan_failover_inputs("primary_to_recovery") == [{"instanceType": "InMageRcm",
                                                                "recoveryPointType": "LatestProcessed"}]
    assert rcm.plan_failover_inputs("primary_to_recovery", "Latest", True) == [
        {"instanceType": "InMageRcm", "recoveryPointType": "Latest", "useMultiVmSyncPoint": "True"}]
    assert rcm.plan_failover_inputs("recovery_to_primary", "LatestApplicationConsistent", False) == [
        {"instanceType": "InMageRcmFailback", "recoveryPointType": "ApplicationConsistent", "useMultiVmSyncPoint": "False"}]


# -- recovery point choice ---------------------------------------------------------------------------------------

POINTS = rp.newest_first([point("p-10", 10), point("p-20", 20, "ApplicationConsistent", multi=True), point("p-30", 30),
                          point("p-40", 40), point("p-00", 0, "ApplicationConsistent", multi=True)])


def test_parse_choice():
    assert rp.parse_choice() is None
    assert rp.parse_choice("latestprocessed").keyword == "LatestProcessed"
    assert rp.parse_choice("x/recoveryPoints/abc-123").value == "abc-123"
    assert rp.parse_choice(None, "2026-01-01T00:25:00Z").kind == "time"
    assert rp.parse_choice(None, None, multi_vm=True).multi_vm
    with pytest.raises(InputError) as err:
        rp.parse_choice("newest")
    assert "LatestApplicationConsistent" in err.value.message
    with pytest.raises(InputError):
        rp.parse_choice("p-1", "2h")


@pytest.mark.parametrize("text,time,multi,expected", [
    ("Latest", None, False, None),                      # no point id: ASR processes what is pending
    ("LatestProcessed", None, False, "p-40"),
    ("LatestApplicationConsistent", None, False, "p-20"),
    ("LatestCrashConsistent", None, False, "p-40"),
    ("p-10", None, False, "p-10"),
    (None, "2026-01-01T00:25:00Z", False, "p-20"),      # the newest at or before the time
    (None, "2026-01-01T00:30:00Z", False, "p-30"),
    ("Latest", None, True, "p-20"),                     # the newest multi-VM sync point
])
def test_choose(text, time, multi, expected):
    chosen = rp.choose(POINTS, rp.parse_choice(text, time, multi), "web-01")
    assert (chosen["name"] if chosen else None) == expected


def test_choose_errors_say_what_exists():
    with pytest.raises(InputError) as err:
        rp.choose(POINTS, rp.parse_choice("p-99"), "web-01")
    assert "a recovery point of web-01" in err.value.message and "newest p-40" in err.value.message
    with pytest.raises(InputError) as err:
        rp.choose(POINTS, rp.parse_choice(None, "2025-12-31T00:00:00Z"), "web-01")
    assert err.value.details["parameter"] == "recovery_point_time"
    with pytest.raises(InputError) as err:
        rp.choose([], rp.parse_choice("LatestApplicationConsistent"), "web-01")
    assert "an application-consistent recovery point of web-01" in err.value.message
    assert "no recovery points yet" in err.value.message


def test_multi_vm_horizon():
    other = [point("q-25", 25, "ApplicationConsistent", multi=True), point("q-05", 5, "ApplicationConsistent", multi=True)]
    horizon = rp.multi_vm_horizon({"web-01": POINTS, "web-02": other})
    assert horizon == rp.point_time(point("x", 20))
    assert rp.choose(other, rp.parse_choice("Latest", None, True), "web-02", at=horizon)["name"] == "q-05"
    assert rp.multi_vm_horizon({"web-01": POINTS, "web-02": [point("q", 1)]}) is None


def test_point_facts_age():
    now = datetime.datetime(2026, 1, 1, 1, 0, tzinfo=datetime.timezone.utc)
    facts = rp.point_facts(POINTS[0], now)
    assert facts == {"name": "p-40", "id": "x/recoveryPoints/p-40", "time": "2026-01-01T00:40:00Z",
                     "type": "CrashConsistent", "multi_vm_sync_point": False, "age_seconds": 1200}


# -- done, refused, started ----------------------------------------------------------------------------------------

def decide(action_class, items, **kw):
    vault = FakeVault(items)
    run = FakeRun(vault, params(items=[i["properties"]["friendlyName"] for i in items], **kw), action_class(params(**kw)),
                  points={i["properties"]["friendlyName"]: POINTS for i in items})
    run.resolve()
    run.decide()
    return run


@pytest.mark.parametrize("action_class,kw,phase,expected", [
    (actions.TestFailover, {}, "protected", "start"),
    (actions.TestFailover, {}, "test_failover", "none"),
    (actions.TestFailover, {"state": "absent"}, "test_failover", "start"),
    (actions.TestFailover, {"state": "absent"}, "protected", "none"),
    (actions.TestFailover, {"state": "absent"}, "failed_over", "none"),
    (actions.Failover, {}, "protected", "start"),
    (actions.Failover, {}, "failed_over", "none"),
    (actions.Failover, {}, "committed", "none"),
    (actions.Failover, {}, "reprotected", "none"),
    (actions.Failover, {"direction": "recovery_to_primary"}, "reprotected", "start"),
    (actions.Failover, {"direction": "recovery_to_primary"}, "failed_back", "none"),
    (actions.Failover, {"direction": "recovery_to_primary"}, "protected", "none"),
    (actions.FailoverCommit, {}, "failed_over", "start"),
    (actions.FailoverCommit, {}, "failed_back", "start"),
    (actions.FailoverCommit, {}, "committed", "none"),
    (actions.FailoverCommit, {}, "reprotected", "none"),
    (actions.FailoverCancel, {}, "failed_back", "start"),
    (actions.Reprotect, {"datastore": "ds1"}, "protected", "none"),
    (actions.Reprotect, {"datastore": "ds1"}, "reprotected", "none"),
])
def test_decisions(action_class, kw, phase, expected, monkeypatch):
    monkeypatch.setattr(actions.Run, "reprotect_inputs", lambda self, target, direction: None)
    monkeypatch.setattr(actions.Run, "test_network", lambda self, target: None)
    run = decide(action_class, [item("web-01", phase)], **kw)
    target = run.targets[0]
    assert target.action == expected
    assert target.changed == (expected == "start")
    if expected == "none":
        assert target.reason


def test_cancel_done_after_a_canceled_failback():
    run = decide(actions.FailoverCancel, [item("web-01", "reprotected", lastPlannedFailoverStatus="Cancelled")])
    assert run.targets[0].action == "none" and "was canceled" in run.targets[0].reason


def test_change_of_recovery_point_is_done_on_that_point():
    failed = item("web-01", "failed_over")
    failed["properties"]["failoverRecoveryPointId"] = "x/recoveryPoints/p-20"
    assert decide(actions.FailoverRecoveryPoint, [failed], recovery_point="p-20").targets[0].action == "none"
    assert decide(actions.FailoverRecoveryPoint, [failed], recovery_point="p-10").targets[0].action == "start"
    assert decide(actions.FailoverRecoveryPoint, [failed], recovery_point="LatestApplicationConsistent").targets[0].action \
        == "none"


@pytest.mark.parametrize("action_class,kw,phase,words", [
    (actions.Failover, {}, "test_failover", ["web-01 is in a test failover that waits for its cleanup",
                                             "allowed operations: TestFailoverCleanup",
                                             "Clean up the test failover first: dr.asr.test_failover with state=absent"]),
    (actions.FailoverCommit, {}, "protected", ["Cannot commit the failover: web-01 is protected (replicating to Azure)",
                                               "There is no failover to commit: fail over first (dr.asr.failover)"]),
    (actions.FailoverCancel, {}, "failed_over", ["A failover to Azure cannot be canceled"]),
    (actions.Reprotect, {}, "failed_over", ["Commit the failover first"]),
    (actions.Failover, {"direction": "recovery_to_primary"}, "committed",
     ["failed over to Azure and committed, not reprotected", "Reprotect the VM to on-premises (dr.asr.reprotect)"]),
    (actions.TestFailover, {}, "failed_over", ["failed over to Azure, commit pending", "Commit the failover"]),
])
def test_refusals_say_state_allowed_operations_and_what_to_do(action_class, kw, phase, words):
    with pytest.raises(DrAsrError) as err:
        decide(action_class, [item("web-01", phase)], **kw)
    summary = err.value.summary()
    for word in words:
        assert word in summary, summary
    assert err.value.details["allowed_operations"] == ALLOWED[phase]
    assert err.value.details["phase"] == phase


def test_every_target_is_checked_before_any_starts():
    with pytest.raises(DrAsrError) as err:
        decide(actions.FailoverCommit, [item("web-01", "failed_over"), item("web-02", "protected"),
                                        item("web-03", "test_failover")])
    assert "web-02" in err.value.message and "web-03" in err.value.message
    assert len(err.value.details["problems"]) == 2


def test_busy_with_the_same_scenario_attaches():
    run = decide(actions.TestFailover, [item("web-01", "protected", job="j1", scenario="TestFailover")])
    assert run.targets[0].action == "attach" and run.targets[0].job == "j1" and not run.targets[0].changed


def test_busy_with_another_job_waits_first_or_fails_without_wait():
    busy = item("web-01", "test_failover", job="j1", scenario="TestFailover")
    run = decide(actions.TestFailover, [busy], state="absent")
    assert run.targets[0].action == "after_job" and run.targets[0].followup
    with pytest.raises(DrAsrError) as err:
        decide(actions.TestFailover, [busy], state="absent", wait=False)
    assert err.value.code == "Busy" and "wait=true" in err.value.recommended_action


def test_wrong_reprotect_direction(monkeypatch):
    monkeypatch.setattr(actions.Run, "reprotect_inputs", lambda self, target, direction: None)
    with pytest.raises(DrAsrError) as err:
        decide(actions.Reprotect, [item("web-01", "committed")], direction="primary_to_recovery")
    assert err.value.code == "WrongDirection" and "recovery_to_primary" in err.value.recommended_action


def test_unknown_and_repeated_items():
    vault = FakeVault([item("web-01"), item("web-02")])
    with pytest.raises(InputError) as err:
        actions.resolve_items(vault, ["web-01", "web-0l"])
    assert err.value.details["parameter"] == "items[1]" and "Close matches: " in err.value.message and "web-01" in err.value.message
    with pytest.raises(InputError) as err:
        actions.resolve_items(vault, ["web-01", "item-web-01"])
    assert "same item" in err.value.message
    assert [i["name"] for _p, i in actions.resolve_items(vault, ["WEB-02", C + "/replicationProtectedItems/item-web-01"])] \
        == ["item-web-02", "item-web-01"]


# -- recovery plans ------------------------------------------------------------------------------------------------

def plan(members, allowed, status=None, job=None, scenario=None):
    props = {"friendlyName": "rp1", "allowedOperations": allowed, "groups": [
        {"groupType": "Boot", "replicationProtectedItems": [{"id": m["id"]} for m in members]}]}
    if job:
        props.update(currentScenario={"scenarioName": scenario, "jobId": V + "/replicationJobs/" + job},
                     currentScenarioStatus=status)
    return {"id": V + "/replicationRecoveryPlans/rp1", "name": "rp1", "properties": props}


def decide_plan(action_class, the_plan, members, **kw):
    run = FakeRun(FakeVault(members, [the_plan]), params(recovery_plan="rp1", **kw), action_class(params(**kw)))
    run.resolve()
    run.decide()
    return run


def test_plan_busy_job_follows_the_status():
    assert actions.plan_busy_job(plan([], [], "Suspended", "j1", "TestFailover")) == "j1"
    assert actions.plan_busy_job(plan([], [], "Succeeded", "j1", "TestFailover")) is None


def test_plan_decisions(monkeypatch):
    monkeypatch.setattr(actions.Run, "test_network", lambda self, target: None)
    drilled = [item("web-01", "test_failover"), item("web-02", "test_failover")]
    assert decide_plan(actions.TestFailover, plan(drilled, ["TestFailoverCleanup"]), drilled).targets[0].action == "none"
    fresh = [item("web-01"), item("web-02")]
    run = decide_plan(actions.TestFailover, plan(fresh, ["PlannedFailover", "UnplannedFailover", "TestFailover"]), fresh)
    assert run.targets[0].kind == "plan" and run.targets[0].action == "start"
    run = decide_plan(actions.TestFailover, plan(fresh, [], "Suspended", "j1", "TestFailover"), fresh)
    assert run.targets[0].action == "attach"
    mixed = [item("web-01", "test_failover"), item("web-02")]
    with pytest.raises(DrAsrError) as err:
        decide_plan(actions.TestFailover, plan(mixed, []), mixed)
    assert "Cannot start a test failover: recovery plan rp1 allows no operation now" in err.value.message
    assert "web-01 is in a test failover" in err.value.message and "web-02" not in err.value.message


def test_plan_reprotect_runs_on_the_members(monkeypatch):
    monkeypatch.setattr(actions.Run, "reprotect_inputs", lambda self, target, direction: None)
    members = [item("web-01", "committed"), item("web-02", "committed")]
    run = decide_plan(actions.Reprotect, plan(members, []), members)
    assert run.batch_of_plan and [t.kind for t in run.targets] == ["item", "item"]
    assert [t.action for t in run.targets] == ["start", "start"]
    assert "cannot reprotect a recovery plan" in run.plan.reason


def test_plan_takes_recovery_point_keywords_only():
    run = FakeRun(FakeVault(), params(recovery_point="p-10"), actions.Failover(params()))
    with pytest.raises(InputError) as err:
        run.choice(plan=True)
    assert "for a recovery plan" in err.value.message


# -- bodies ------------------------------------------------------------------------------------------------------

def test_item_bodies():
    run = FakeRun(FakeVault(), params(), actions.Failover(params()))
    target = actions.Target("item", item("web-01"), "web-01", "items[0]")
    target.extra["point"] = {"id": "rp-id", "name": "rp"}
    body = actions.Failover(params()).item_body(run, target)
    assert body == {"properties": {"failoverDirection": "PrimaryToRecovery", "sourceSiteOperations": "Required",
                                   "providerSpecificDetails": {"instanceType": "InMageRcm", "performShutdown": "true",
                                                               "recoveryPointId": "rp-id"}}}
    back = params(direction="recovery_to_primary", recovery_point="LatestApplicationConsistent")
    run = FakeRun(FakeVault(), back, actions.Failover(back))
    assert actions.Failover(back).item_body(run, target)["properties"] == {
        "failoverDirection": "RecoveryToPrimary", "providerSpecificDetails": {
            "instanceType": "InMageRcmFailback", "recoveryPointType": "ApplicationConsistent"}}
    cleanup = params(state="absent", comments="ok")
    assert actions.TestFailover(cleanup).item_body(run, target) == {"properties": {"comments": "ok"}}


def test_failback_refuses_a_given_point():
    with pytest.raises(InputError) as err:
        decide(actions.Failover, [item("web-01", "reprotected")], direction="recovery_to_primary", recovery_point="p-10")
    assert "recovery point type for a failback" in err.value.message


# -- the failover module's own checks -------------------------------------------------------------------------------

@pytest.mark.parametrize("kw,parameter", [
    ({"confirm": False}, "confirm"),
    ({"type": "planned"}, "type"),
    ({"direction": "recovery_to_primary", "type": "unplanned"}, "type"),
    ({"direction": "recovery_to_primary", "shutdown_source": False}, "shutdown_source"),
    ({"direction": "recovery_to_primary", "recovery_point_time": "2h"}, "recovery_point_time"),
])
def test_failover_options(kw, parameter):
    values = dict(confirm=True, direction="primary_to_recovery", type=None, shutdown_source=None, recovery_point_time=None)
    values.update(kw)
    with pytest.raises(InputError) as err:
        failover_module.check_options(values)
    assert err.value.details["parameter"] == parameter


# -- jobs ------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("state,allowed,action,changed,why", [
    ("InProgress", ["Cancel"], "cancel", True, None),
    ("Succeeded", [], "cancel", False, "not running any more"),
    ("Suspended", ["Cancel", "Resume"], "resume", True, None),
    ("InProgress", ["Cancel"], "resume", False, "not suspended"),
    ("Failed", ["Restart"], "restart", True, None),
    ("Succeeded", [], "restart", False, "has not failed"),
    ("InProgress", ["Cancel"], "wait", False, None),
])
def test_job_decision(state, allowed, action, changed, why):
    decided, reason = actions.job_decision({"name": "j1", "state": state, "allowed_actions": allowed}, action)
    assert decided == changed
    assert (why in reason) if why else reason is None


def test_job_outcome():
    suspended = {"job": {"name": "j1", "state": "Suspended", "tasks": [{"state": "Suspended", "friendly_name": "Check"}]}}
    assert "(Check)" in actions.job_outcome(suspended, "wait", True)[1]
    failed = {"job": {"name": "j1", "state": "Failed", "errors": [{"code": "9", "message": "boom"}]}}
    error, _warning = actions.job_outcome(failed, "wait", True)
    assert error.code == "9" and "boom" in error.message
    assert actions.job_outcome({"job": {"name": "j1", "state": "Cancelled"}}, "cancel", True) == (None, None)
    assert actions.job_outcome(failed, "wait", False) == (None, None)


class CountingJobs(object):
    """vault.jobs that counts its reads."""

    def __init__(self):
        self.gets, self.lists = [], []

    def get(self, name):
        self.gets.append(name)
        return {"name": name, "state": "InProgress", "start_time": "2026-01-01T00:00:00Z", "tasks": []}

    def list(self, odata_filter=None):
        self.lists.append(odata_filter)
        return [self.get(n) for n in ("j1", "j2")]


@pytest.mark.parametrize("jobs,gets,lists", [(["j1"], 1, 0), (["j1", "j2"], 3, 1)])
def test_a_look_at_started_jobs_reads_one_job_once(jobs, gets, lists):
    # wait=false reports the started jobs with one look: one GET for one job (not a second one for its start
    # time), one list filtered by the first job's start time for several
    vault = FakeVault([item("web-%02d" % i) for i in range(len(jobs))])
    vault.jobs = CountingJobs()
    run = FakeRun(vault, params(items=["web-%02d" % i for i in range(len(jobs))], wait=False), actions.TestFailover(params()))
    run.targets = [actions.Target("item", vault.items[i], "web-%02d" % i, "items") for i in range(len(jobs))]
    for target, job in zip(run.targets, jobs):
        target.job, target.action = job, "start"
    run._started = jobs[0]
    run.look_jobs()
    assert [t.job_facts["name"] for t in run.targets] == jobs
    assert len(vault.jobs.lists) == lists
    assert len(vault.jobs.gets) == gets
