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
from ansible_collections.dr.asr.plugins.module_utils._asr import jobcontrol, jobs, recovery_points as rp, resolve, state
from ansible_collections.dr.asr.plugins.module_utils._asr.actions import base, drill, failover, reprotect, run as run_module
from ansible_collections.dr.asr.plugins.module_utils._asr.providers import inmagercm_item as rcm
from ansible_collections.dr.asr.plugins.modules import failover as failover_module

V = "/Subscriptions/s/resourceGroups/rg/providers/Microsoft.RecoveryServices/vaults/v"
C = V + "/replicationFabrics/fab/replicationProtectionContainers/cont"
IDLE = {"scenarioName": "None", "jobId": V + "/replicationJobs/None", "startTime": "1753-01-01T01:01:01Z"}
# what real ASR allows per phase [recorded, tests/recorded/asr_modernized.json; test_failover: the REST spec's
# example; failback_committed: the lab's guess, no recording shows a failback commit]
ALLOWED = {
    "initial_replication": ["DisableProtection"],
    "protected": ["UnplannedFailover", "DisableProtection", "TestFailover"],
    "test_failover": ["TestFailoverCleanup"],
    "failed_over": ["CompleteMigration", "Commit", "DisableProtection", "ChangePit", "SwitchProtection"],
    "committed": ["CompleteMigration", "DisableProtection", "SwitchProtection"],
    "reprotecting": ["DisableProtection"],
    "reprotected": ["PlannedFailover", "DisableProtection"],
    "failed_back": ["CompleteMigration", "Commit", "DisableProtection", "SwitchProtection", "CancelFailover"],
    "failback_committed": ["DisableProtection", "SwitchProtection"],
}
STATES = {   # phase -> (provider, activeLocation, protectionState, testFailoverState)
    "initial_replication": ("InMageRcm", "Primary", "InitialReplicationRecoveryCompletionPending", "None"),
    "protected": ("InMageRcm", "Primary", "Protected", "None"),
    "test_failover": ("InMageRcm", "Primary", "Protected", "WaitingForCompletion"),
    "failed_over": ("InMageRcm", "Recovery", "UnplannedFailoverCommitPendingStatesBegin", "None"),
    "committed": ("InMageRcm", "Recovery", "UnplannedFailoverCommitted", "MarkedForDeletion"),
    # InMageRcmFailback: Primary is Azure, Recovery on-premises [recorded]
    "reprotecting": ("InMageRcmFailback", "Primary", "InitialReplicationInProgress", "None"),
    "reprotected": ("InMageRcmFailback", "Primary", "Protected", "None"),
    "failed_back": ("InMageRcmFailback", "Recovery", "CommitPendingStatesBegin", "None"),
    "failback_committed": ("InMageRcmFailback", "Recovery", "PlannedFailoverCommitted", "None"),
}


def item(name, phase="protected", job=None, scenario=None, allowed=None, **details):
    """An item in `phase`. With a `job`, its currentScenario names it and (as real ASR while a job runs) nothing is
    allowed, unless `allowed` says otherwise (a failed job ASR keeps as the currentScenario)."""
    provider, location, state, tfo = STATES[phase]
    current = dict(IDLE)
    if job is not None:
        current = {"scenarioName": scenario, "jobId": V + "/replicationJobs/" + job, "startTime": "2026-01-01T00:00:00Z"}
    if allowed is None:
        allowed = [] if job else list(ALLOWED[phase])
    return {"id": C + "/replicationProtectedItems/item-" + name, "name": "item-" + name, "properties": {
        "friendlyName": name, "protectionState": state, "activeLocation": location, "testFailoverState": tfo,
        "allowedOperations": list(allowed), "currentScenario": current,
        "providerSpecificDetails": dict({"instanceType": provider, "processServerName": "appliance-01",
                                         "targetResourceGroupId": "/subscriptions/s/resourceGroups/rg"}, **details)}}


def point(name, minute, kind="CrashConsistent", multi=False):
    return {"id": "x/recoveryPoints/" + name, "name": name, "properties": {
        "recoveryPointTime": "2026-01-01T00:%02d:00Z" % minute, "recoveryPointType": kind,
        "providerSpecificDetails": {"instanceType": "InMageRcm", "isMultiVmSyncPoint": "true" if multi else "false"}}}


class FakeJobs(object):
    """vault.jobs: the jobs an item's currentScenario names run unless listed in `ended` (a failed job ASR keeps
    there); counts the reads (`ended` is one read of all named jobs)."""

    def __init__(self, ended=()):
        self._ended = set(ended)
        self.reads = []

    def ended(self, resources):
        names = [n for n in (jobs.scenario_job_name(r) for r in resources) if n]
        if names:
            self.reads.append(sorted(names))
        return set(n for n in names if n in self._ended)


class FakePlans(object):
    """client.replication_recovery_plans: a plan GET answers the vault's plan (the list is not trusted)."""

    def __init__(self, vault):
        self.vault = vault
        self.gets = []

    def get(self, resource_group, vault, name):
        self.gets.append(name)
        return next(p for p in self.vault.plans if p["name"] == name)


class FakeVault(object):
    name, resource_group = "v", "rg"

    def __init__(self, items=(), plans=(), ended=()):
        self.items = list(items)
        self.plans = list(plans)
        self.clients = type("Clients", (), {"subscription_id": "s"})()
        self.jobs = FakeJobs(ended)
        self.client = type("Client", (), {})()
        self.client.replication_recovery_plans = FakePlans(self)
        self.full = {}          # id (lower) -> what a GET answers (default: the listed item)
        self.item_gets = []

    def protected_items(self, plan=None):
        if plan is None:
            return self.items
        plan = next(p for p in self.plans if p["name"].lower() == plan.lower())      # ASR's recoveryPlanName filter
        members = set(m.lower() for m in state.plan_member_ids(plan))
        return [i for i in self.items if i["id"].lower() in members]

    def recovery_plans(self):
        return self.plans

    def get_plan(self, name):
        return self.client.replication_recovery_plans.get("rg", "v", name)

    def get_items(self, items):
        self.item_gets.extend(i["name"] for i in items)
        return dict((i["id"].lower(), self.full.get(i["id"].lower(), i)) for i in items)

    def forget(self, *keys):
        pass


class FakeRun(run_module.Run):
    """A Run whose recovery points come from a dict instead of Azure."""

    def __init__(self, vault, params, action, points=None):
        super().__init__(vault, params, action)
        fake = points or {}
        self.points.of = lambda item: rp.newest_first(fake.get(item["properties"]["friendlyName"], []))


def params(**kw):
    out = dict(items=None, recovery_plan=None, wait=True, wait_timeout=60, wait_sleep=0, state="present",
               recovery_point=None, recovery_point_time=None, multi_vm_sync_point=None, network=None, subnet=None)
    out.update(kw)
    return out


# -- the state model -------------------------------------------------------------------------------------------

RUNS = ("EnableProtection", "SwitchProtection", "PlannedFailover", "UnplannedFailover", "TestFailover",
        "TestFailoverCleanup", "CommitFailover")


@pytest.mark.parametrize("provider,location,state,allowed,running,progress,phase", [
    # InMageRcm: on-premises at Primary
    ("InMageRcm", "Primary", "UnprotectedStatesBegin", [], "EnableProtection", None, "initial_replication"),
    ("InMageRcm", "Primary", "InitialReplicationStartInProgress", [], "EnableProtection", None, "initial_replication"),
    ("InMageRcm", "Primary", "InitialReplicationInProgress", ["DisableProtection"], None, 40, "initial_replication"),
    ("InMageRcm", "Primary", "InitialReplicationRecoveryCompletionPending", ["DisableProtection"], None, None,
     "initial_replication"),
    ("InMageRcm", "Primary", "Protected", ["UnplannedFailover", "DisableProtection", "TestFailover"], None, None,
     "protected"),
    ("InMageRcm", "Primary", "Protected", ["RepairReplication", "UnplannedFailover", "DisableProtection",
                                           "TestFailover"], None, None, "protected"),
    ("InMageRcm", "Primary", "Protected", ["TestFailoverCleanup"], None, None, "test_failover"),
    # a job runs, nothing allowed: the phase the job started from
    ("InMageRcm", "Primary", "Protected", [], "TestFailover", None, "protected"),
    ("InMageRcm", "Primary", "Protected", [], "UnplannedFailover", None, "protected"),
    ("InMageRcm", "Primary", "Protected", [], "TestFailoverCleanup", None, "test_failover"),
    # InMageRcm: in Azure at Recovery
    ("InMageRcm", "Recovery", "UnplannedFailoverCommitPendingStatesBegin",
     ["CompleteMigration", "Commit", "DisableProtection", "ChangePit", "SwitchProtection"], None, None, "failed_over"),
    ("InMageRcm", "Recovery", "UnplannedFailoverCommitted", ["CompleteMigration", "DisableProtection",
                                                             "SwitchProtection"], None, None, "committed"),
    ("InMageRcm", "Recovery", "SomeTransitionState", [], "CommitFailover", None, "failed_over"),
    # a reprotect's first tasks, before the item switches to the other direction's provider
    ("InMageRcm", "Recovery", "UnplannedFailoverCommitted", [], "SwitchProtection", None, "committed"),
    # InMageRcmFailback: in Azure at Primary
    ("InMageRcmFailback", "Primary", "InitialReplicationStartInProgress", [], "EnableProtection", None, "reprotecting"),
    ("InMageRcmFailback", "Primary", "InitialReplicationInProgress", ["DisableProtection"], None, None, "reprotecting"),
    ("InMageRcmFailback", "Primary", "Protected", ["PlannedFailover", "DisableProtection"], None, None, "reprotected"),
    ("InMageRcmFailback", "Primary", "PlannedFailoverTransitionStatesBegin", [], "PlannedFailover", None,
     "reprotected"),
    # InMageRcmFailback: on-premises at Recovery
    ("InMageRcmFailback", "Recovery", "CommitPendingStatesBegin",
     ["CompleteMigration", "Commit", "DisableProtection", "SwitchProtection", "CancelFailover"], None, None,
     "failed_back"),
    ("InMageRcmFailback", "Recovery", "PlannedFailoverCommitted", ["DisableProtection", "SwitchProtection"], None,
     None, "failback_committed"),
    ("InMageRcmFailback", "Recovery", "CommitPendingStatesBegin", [], "SwitchProtection", None, "failback_committed"),
    # failed, disabling, unknown
    ("InMageRcm", "Primary", "EnablingFailed", ["DisableProtection"], None, None, "failed"),
    ("InMageRcm", "Primary", "DisablingProtection", [], "DisableDr", None, "disabling"),
    ("InMageRcm", "Primary", "SomethingNew", ["DisableProtection"], None, None, "unknown"),
    ("InMageRcm", "Primary", "SomethingNew", [], None, None, "unknown"),
    ("InMageRcm", "Elsewhere", "Protected", ["UnplannedFailover"], None, None, "unknown"),
])
def test_phase(provider, location, state, allowed, running, progress, phase):
    assert rcm.phase(provider, location, state, allowed, running, progress) == phase


def test_test_failover_state_is_no_phase_input():
    """MarkedForDeletion stays after a cleanup has ended, with TestFailover allowed again [recorded]: the phase
    follows allowedOperations, not testFailoverState (rcm.phase does not take it)."""
    ops = ["UnplannedFailover", "DisableProtection", "TestFailover"]
    assert state.phase(item("web-01", "protected")) == "protected"
    marked = item("web-01", "protected")
    marked["properties"]["testFailoverState"] = "MarkedForDeletion"
    assert state.phase(marked) == "protected" and state.allowed(marked) == ops


@pytest.mark.parametrize("provider,location,where", [
    ("InMageRcm", "Primary", "on-premises"), ("InMageRcm", "Recovery", "azure"), ("InMageRcm", None, "on-premises"),
    ("InMageRcmFailback", "Primary", "azure"), ("InMageRcmFailback", "Recovery", "on-premises"),
    ("InMageRcm", "Elsewhere", None),
])
def test_runs_in(provider, location, where):
    assert rcm.runs_in(provider, location) == where


def test_replicates_to():
    assert rcm.replicates_to("InMageRcm", "Primary") == "recovery"
    assert rcm.replicates_to("InMageRcmFailback", "Primary") == "primary"
    assert rcm.replicates_to("InMageRcm", "Recovery") is None
    assert rcm.replicates_to("InMageRcmFailback", "Recovery") is None


@pytest.mark.parametrize("scenario,action", [
    ("EnableDr", "enable"), ("EnableProtection", "enable"), ("SwitchReplicationGroupProtection", "reprotect"),
    ("SwitchProtection", "reprotect"), ("PlannedFailover", "failback"), ("UnplannedFailover", "failover"),
    ("TestFailoverCleanup", "test_failover_cleanup"), ("CommitFailover", "commit"), ("Something New", None),
    (None, None),
])
def test_scenario_action(scenario, action):
    assert rcm.scenario_action(scenario) == action


# -- provider inputs ---------------------------------------------------------------------------------------------

def test_action_inputs():
    assert rcm.test_failover_input("net", None) == {"instanceType": "InMageRcm", "networkId": "net"}
    assert rcm.unplanned_failover_input(True, "rp1") == {"instanceType": "InMageRcm", "performShutdown": "true",
                                                         "recoveryPointId": "rp1"}
    assert rcm.unplanned_failover_input(False) == {"instanceType": "InMageRcm", "performShutdown": "false"}
    assert rcm.apply_recovery_point_input("rp1") == {"instanceType": "InMageRcm", "recoveryPointId": "rp1"}
    # whole request bodies [recorded]: the failback and the reprotect to Azure go without failoverDirection
    assert rcm.planned_failback_input("CrashConsistent") == {"properties": {"providerSpecificDetails": {
        "instanceType": "InMageRcmFailback", "recoveryPointType": "CrashConsistent"}}}
    assert rcm.reprotect_to_primary_input("agent", "ds1", "sa", None) == {"properties": {
        "failoverDirection": "RecoveryToPrimary", "providerSpecificDetails": {
            "instanceType": "InMageRcm", "reprotectAgentId": "agent", "datastoreName": "ds1",
            "logStorageAccountId": "sa"}}}
    assert rcm.reprotect_to_recovery_input("ps", "pol") == {"properties": {"providerSpecificDetails": {
        "instanceType": "InMageRcmFailback", "processServerId": "ps", "policyId": "pol"}}}
    assert rcm.reprotect_to_recovery_input("ps", "pol", "ra")["properties"]["providerSpecificDetails"][
        "runAsAccountId"] == "ra"


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

def decide(action_class, items, ended=(), **kw):
    vault = FakeVault(items, ended=ended)
    run = FakeRun(vault, params(items=[i["properties"]["friendlyName"] for i in items], **kw), action_class(params(**kw)),
                  points={i["properties"]["friendlyName"]: POINTS for i in items})
    run.resolve()
    run.decide()
    return run


@pytest.mark.parametrize("action_class,kw,phase,expected", [
    (drill.TestFailover, {}, "protected", "start"),
    (drill.TestFailover, {}, "test_failover", "none"),
    (drill.TestFailover, {"state": "absent"}, "test_failover", "start"),
    (drill.TestFailover, {"state": "absent"}, "protected", "none"),
    (drill.TestFailover, {"state": "absent"}, "failed_over", "none"),
    (failover.Failover, {}, "protected", "start"),
    (failover.Failover, {}, "failed_over", "none"),
    (failover.Failover, {}, "committed", "none"),
    (failover.Failover, {}, "reprotected", "none"),
    (failover.Failover, {"direction": "recovery_to_primary"}, "reprotected", "start"),
    (failover.Failover, {"direction": "recovery_to_primary"}, "failed_back", "none"),
    (failover.Failover, {"direction": "recovery_to_primary"}, "failback_committed", "none"),
    (failover.Failover, {"direction": "recovery_to_primary"}, "protected", "none"),
    (failover.FailoverCommit, {}, "failed_over", "start"),
    (failover.FailoverCommit, {}, "failed_back", "start"),
    (failover.FailoverCommit, {}, "committed", "none"),
    (failover.FailoverCommit, {}, "reprotecting", "none"),
    (failover.FailoverCommit, {}, "reprotected", "none"),
    (failover.FailoverCommit, {}, "failback_committed", "none"),
    (failover.FailoverCancel, {}, "failed_back", "start"),
    (reprotect.Reprotect, {"datastore": "ds1"}, "protected", "none"),
    (reprotect.Reprotect, {"datastore": "ds1"}, "initial_replication", "none"),
    (reprotect.Reprotect, {"datastore": "ds1"}, "reprotecting", "none"),
    (reprotect.Reprotect, {"datastore": "ds1"}, "reprotected", "none"),
    # SwitchProtection is allowed before the commit too [recorded]: the reprotect commits on its way
    (reprotect.Reprotect, {"datastore": "ds1"}, "failed_over", "start"),
    (reprotect.Reprotect, {"datastore": "ds1"}, "committed", "start"),
    (reprotect.Reprotect, {}, "failed_back", "start"),
    (reprotect.Reprotect, {}, "failback_committed", "start"),
])
def test_decisions(action_class, kw, phase, expected, monkeypatch):
    monkeypatch.setattr(reprotect.Inputs, "resolve", lambda self, direction: None)
    monkeypatch.setattr(drill, "test_network", lambda run, target: None)
    run = decide(action_class, [item("web-01", phase)], **kw)
    target = run.targets[0]
    assert target.action == expected
    assert target.changed == (expected == "start")
    if expected == "none":
        assert target.reason


def test_cancel_done_after_a_canceled_failback():
    run = decide(failover.FailoverCancel, [item("web-01", "reprotected", lastPlannedFailoverStatus="Cancelled")])
    assert run.targets[0].action == "none" and "was canceled" in run.targets[0].reason


def test_change_of_recovery_point_is_done_on_that_point():
    failed = item("web-01", "failed_over")
    failed["properties"]["failoverRecoveryPointId"] = "x/recoveryPoints/p-20"
    assert decide(failover.FailoverRecoveryPoint, [failed], recovery_point="p-20").targets[0].action == "none"
    assert decide(failover.FailoverRecoveryPoint, [failed], recovery_point="p-10").targets[0].action == "start"
    assert decide(failover.FailoverRecoveryPoint, [failed], recovery_point="LatestApplicationConsistent").targets[0].action \
        == "none"


@pytest.mark.parametrize("action_class,kw,phase,words", [
    (failover.Failover, {}, "test_failover", ["web-01 is in a test failover that waits for its cleanup",
                                              "allowed operations: TestFailoverCleanup",
                                              "Clean up the test failover first: dr.asr.test_failover with state=absent"]),
    (failover.FailoverCommit, {}, "protected", ["Cannot commit the failover: web-01 is protected (replicating to Azure)",
                                                "There is no failover to commit: fail over first (dr.asr.failover)"]),
    (failover.FailoverCancel, {}, "failed_over", ["A failover to Azure cannot be canceled"]),
    (reprotect.Reprotect, {"direction": "recovery_to_primary"}, "protected",
     ["It replicates to Azure: a reprotect to on-premises needs a failover to Azure first (dr.asr.failover)"]),
    (failover.Failover, {}, "initial_replication", ["replicating to Azure, initial replication not finished",
                                                    "allowed operations: DisableProtection",
                                                    "Wait until initial replication has finished"]),
    (failover.Failover, {"direction": "recovery_to_primary"}, "committed",
     ["failed over to Azure and committed, not reprotected", "Reprotect the VM to on-premises (dr.asr.reprotect)"]),
    (drill.TestFailover, {}, "failed_over", ["failed over to Azure, commit pending", "Commit the failover"]),
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
        decide(failover.FailoverCommit, [item("web-01", "failed_over"), item("web-02", "protected"),
                                         item("web-03", "test_failover")])
    assert "web-02" in err.value.message and "web-03" in err.value.message
    assert len(err.value.details["problems"]) == 2


def test_busy_with_the_same_scenario_attaches():
    run = decide(drill.TestFailover, [item("web-01", "protected", job="j1", scenario="TestFailover")])
    assert run.targets[0].action == "attach" and run.targets[0].job == "j1" and not run.targets[0].changed
    assert run.vault.jobs.reads == [["j1"]]


@pytest.mark.parametrize("scenario,expected", [("SwitchProtection", "attach"),
                                               ("SwitchReplicationGroupProtection", "attach"),
                                               ("EnableProtection", "after_job")])
def test_a_running_reprotect_is_attached_by_its_names(scenario, expected, monkeypatch):
    """The reprotect's job is SwitchReplicationGroupProtection, the item's scenario SwitchProtection: a rerun attaches.
    Once its replication starts the item's scenario is EnableProtection [recorded for the failback item], an enable:
    the rerun waits for it and decides again (then done), it never starts a second reprotect."""
    monkeypatch.setattr(reprotect.Inputs, "resolve", lambda self, direction: None)
    run = decide(reprotect.Reprotect, [item("web-01", "reprotecting", job="j1", scenario=scenario)])
    assert run.targets[0].action == expected and run.targets[0].job == "j1" and not run.targets[0].changed


def test_a_failed_job_kept_as_current_scenario_makes_nothing_busy(monkeypatch):
    """ASR keeps a FAILED job as the item's currentScenario [recorded: EnablingFailed]: the named jobs are read once,
    and one that ended leaves the decision to allowedOperations."""
    monkeypatch.setattr(drill, "test_network", lambda run, target: None)
    failed = item("web-01", "protected", job="j1", scenario="TestFailover", allowed=ALLOWED["protected"])
    run = decide(drill.TestFailover, [failed, item("web-02", "protected", job="j2", scenario="TestFailover")],
                 ended=("j1",))
    assert [t.action for t in run.targets] == ["start", "attach"]
    assert run.targets[0].changed and run.targets[0].job is None and run.targets[1].job == "j2"
    assert run.vault.jobs.reads == [["j1", "j2"]]        # both jobs in one read
    assert run.targets[0].phase() == "protected"


def test_busy_with_another_job_waits_first_or_fails_without_wait():
    busy = item("web-01", "test_failover", job="j1", scenario="TestFailover")
    run = decide(drill.TestFailover, [busy], state="absent")
    assert run.targets[0].action == "after_job" and run.targets[0].followup
    with pytest.raises(DrAsrError) as err:
        decide(drill.TestFailover, [busy], state="absent", wait=False)
    assert err.value.code == "Busy" and "wait=true" in err.value.recommended_action


def test_wrong_reprotect_direction(monkeypatch):
    monkeypatch.setattr(reprotect.Inputs, "resolve", lambda self, direction: None)
    with pytest.raises(DrAsrError) as err:
        decide(reprotect.Reprotect, [item("web-01", "committed")], direction="primary_to_recovery")
    assert err.value.code == "WrongDirection" and "recovery_to_primary" in err.value.recommended_action


def test_unknown_and_repeated_items():
    vault = FakeVault([item("web-01"), item("web-02")])
    with pytest.raises(InputError) as err:
        resolve.items(vault, ["web-01", "web-0l"])
    assert err.value.details["parameter"] == "items[1]" and "Close matches: " in err.value.message and "web-01" in err.value.message
    with pytest.raises(InputError) as err:
        resolve.items(vault, ["web-01", "item-web-01"])
    assert "same item" in err.value.message
    assert [i["name"] for _p, i in resolve.items(vault, ["WEB-02", C + "/replicationProtectedItems/item-web-01"])] \
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
    assert state.plan_busy_job(plan([], [], "Suspended", "j1", "TestFailover")) == "j1"
    assert state.plan_busy_job(plan([], [], "Succeeded", "j1", "TestFailover")) is None


def test_plan_decisions(monkeypatch):
    monkeypatch.setattr(drill, "test_network", lambda run, target: None)
    drilled = [item("web-01", "test_failover"), item("web-02", "test_failover")]
    assert decide_plan(drill.TestFailover, plan(drilled, ["TestFailoverCleanup"]), drilled).targets[0].action == "none"
    fresh = [item("web-01"), item("web-02")]
    run = decide_plan(drill.TestFailover, plan(fresh, ["PlannedFailover", "UnplannedFailover", "TestFailover"]), fresh)
    assert run.targets[0].kind == "plan" and run.targets[0].action == "start"
    assert run.vault.client.replication_recovery_plans.gets == ["rp1"]     # the plan is read with a GET
    run = decide_plan(drill.TestFailover, plan(fresh, [], "Suspended", "j1", "TestFailover"), fresh)
    assert run.targets[0].action == "attach"
    mixed = [item("web-01", "test_failover"), item("web-02")]
    with pytest.raises(DrAsrError) as err:
        decide_plan(drill.TestFailover, plan(mixed, []), mixed)
    assert "Cannot start a test failover: recovery plan rp1 allows no operation now" in err.value.message
    assert "web-01 is in a test failover" in err.value.message and "web-02" not in err.value.message


def test_plan_reprotect_runs_on_the_members(monkeypatch):
    monkeypatch.setattr(reprotect.Inputs, "resolve", lambda self, direction: None)
    members = [item("web-01", "committed"), item("web-02", "committed")]
    run = decide_plan(reprotect.Reprotect, plan(members, []), members)
    assert run.batch_of_plan and [t.kind for t in run.targets] == ["item", "item"]
    assert [t.action for t in run.targets] == ["start", "start"]
    assert "cannot reprotect a recovery plan" in run.plan.reason
    # a reprotect to on-premises takes the log storage account of the item's disks: a list has them empty, so the
    # members are read with a GET each
    assert sorted(run.vault.item_gets) == ["item-web-01", "item-web-02"]


def test_plan_takes_recovery_point_keywords_only():
    run = FakeRun(FakeVault(), params(recovery_point="p-10"), failover.Failover(params()))
    with pytest.raises(InputError) as err:
        run.points.choice(plan=True)
    assert "for a recovery plan" in err.value.message


# -- bodies ------------------------------------------------------------------------------------------------------

def test_item_bodies():
    run = FakeRun(FakeVault(), params(), failover.Failover(params()))
    target = base.Target("item", item("web-01"), "web-01", "items[0]")
    target.extra["point"] = {"id": "rp-id", "name": "rp"}
    body = failover.Failover(params()).item_body(run, target)
    assert body == {"properties": {"failoverDirection": "PrimaryToRecovery", "sourceSiteOperations": "Required",
                                   "providerSpecificDetails": {"instanceType": "InMageRcm", "performShutdown": "true",
                                                               "recoveryPointId": "rp-id"}}}
    back = params(direction="recovery_to_primary", recovery_point="LatestApplicationConsistent")
    run = FakeRun(FakeVault(), back, failover.Failover(back))
    # the failback goes without failoverDirection [recorded: TestV2ARCMFailback#12]
    assert failover.Failover(back).item_body(run, target) == {"properties": {"providerSpecificDetails": {
        "instanceType": "InMageRcmFailback", "recoveryPointType": "ApplicationConsistent"}}}
    cleanup = params(state="absent", comments="ok")
    assert drill.TestFailover(cleanup).item_body(run, target) == {"properties": {"comments": "ok"}}


def test_failback_refuses_a_given_point():
    with pytest.raises(InputError) as err:
        decide(failover.Failover, [item("web-01", "reprotected")], direction="recovery_to_primary", recovery_point="p-10")
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
    decided, reason = jobcontrol.job_decision({"name": "j1", "state": state, "allowed_actions": allowed}, action)
    assert decided == changed
    assert (why in reason) if why else reason is None


def test_job_outcome():
    suspended = {"job": {"name": "j1", "state": "Suspended", "tasks": [{"state": "Suspended", "friendly_name": "Check"}]}}
    assert "(Check)" in jobcontrol.job_outcome(suspended, "wait", True)[1]
    failed = {"job": {"name": "j1", "state": "Failed", "errors": [{"code": "9", "message": "boom"}]}}
    error, _warning = jobcontrol.job_outcome(failed, "wait", True)
    assert error.code == "9" and "boom" in error.message
    assert jobcontrol.job_outcome({"job": {"name": "j1", "state": "Cancelled"}}, "cancel", True) == (None, None)
    assert jobcontrol.job_outcome(failed, "wait", False) == (None, None)


class CountingJobs(object):
    """vault.jobs that counts its reads (read() is the real Jobs.read over these get/list)."""

    read = jobs.Jobs.read
    complete = jobs.Jobs.complete
    probe = jobs.Jobs.probe

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
    run = FakeRun(vault, params(items=["web-%02d" % i for i in range(len(jobs))], wait=False), drill.TestFailover(params()))
    run.targets = [base.Target("item", vault.items[i], "web-%02d" % i, "items") for i in range(len(jobs))]
    for target, job in zip(run.targets, jobs):
        target.job, target.action = job, "start"
    run.tracker.first_started = jobs[0]
    run.look()
    assert [t.job_facts["name"] for t in run.targets] == jobs
    assert len(vault.jobs.lists) == lists
    assert len(vault.jobs.gets) == gets


# -- the reprotect's policy in a vault with default policies ----------------------------------------------------------

def policy(name, instance_type):
    return {"id": V + "/replicationPolicies/" + name, "name": name,
            "properties": {"friendlyName": name, "providerSpecificDetails": {"instanceType": instance_type}}}


class PolicyVault(FakeVault):
    """A vault whose appliance registered: its default policies [recorded: 24-hour-replication-policy and the two
    failback policies, each associated with the appliance's container], plus what dr.asr made."""

    def __init__(self, extra=()):
        super().__init__()
        self._policies = [policy("24-hour-replication-policy", "InMageRcm"),
                          policy("crashconsistency-policy-failback", "InMageRcmFailback"),
                          policy("appconsistency-policy-failback", "InMageRcmFailback")] + list(extra)

    def policies(self):
        return self._policies

    def mappings(self):
        return [{"id": C + "/replicationProtectionContainerMappings/m-" + p["name"], "name": "m-" + p["name"],
                 "properties": {"policyId": p["id"]}} for p in self._policies]


def failback_policy(run, item):
    target = base.Target("item", item, "web-01", "items[0]")
    return reprotect.Inputs(run, target).policy(item, rcm.FAILBACK_INSTANCE_TYPE, None)


def test_the_reprotect_takes_the_failback_policy_paired_with_the_items_policy():
    committed = item("web-01", "committed")
    committed["properties"]["policyFriendlyName"] = "pol-24h"
    mine = PolicyVault([policy("pol-24h", "InMageRcm"), policy("pol-24h-failback", "InMageRcmFailback")])
    run = FakeRun(mine, params(), reprotect.Reprotect(params()))
    assert failback_policy(run, committed).endswith("/pol-24h-failback")
    # only the vault's two default failback policies: which one is the user's choice
    run = FakeRun(PolicyVault(), params(), reprotect.Reprotect(params()))
    with pytest.raises(InputError) as err:
        failback_policy(run, committed)
    assert err.value.details["parameter"] == "policy"
    assert "crashconsistency-policy-failback" in err.value.message and "appconsistency-policy-failback" in err.value.message
    chosen = FakeRun(PolicyVault(), params(policy="appconsistency-policy-failback"), reprotect.Reprotect(params()))
    assert failback_policy(chosen, committed).endswith("/appconsistency-policy-failback")
