# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection against RECORDED real ASR (tests/recorded/asr_modernized.json, Azure PowerShell's recordings of
a real modernized vault):

* every recorded item state maps to a phase and, for every action module, to a decision (start / none / attach /
  after_job / refused) - written down here by hand, so a change of the state model shows up as a failing row;
* the request body of every action is the recorded one (same keys, same values where they are not ids);
* a state never recorded gets a refusal naming the raw state and the allowed operations, or the right decision
  where allowedOperations make it clear.
"""

from __future__ import annotations

import copy

import pytest

from ansible_collections.dr.asr.plugins.module_utils._errors import DrAsrError
from ansible_collections.dr.asr.plugins.module_utils._asr import jobs, state as asr_state
from ansible_collections.dr.asr.plugins.module_utils._asr.actions import base, drill, failover, reprotect, run as run_module
from ansible_collections.dr.asr.plugins.module_utils._asr.providers import inmagercm_item as rcm
from ansible_collections.dr.asr.plugins.module_utils._asr.providers import inmagercm_policy as rcm_policy
from ansible_collections.dr.asr.tests.recorded import facts

V = "/Subscriptions/s/resourceGroups/rg/providers/Microsoft.RecoveryServices/vaults/v"
C = V + "/replicationFabrics/fab/replicationProtectionContainers/cont"
IDLE = {"scenarioName": "None", "jobId": V + "/replicationJobs/None", "startTime": "1753-01-01T01:01:01Z"}

# the decisions: (provider, activeLocation, protectionState, testFailoverState, allowedOperations, scenario,
# the scenario's job still runs) -> phase and the decision of each action
ACTIONS = ("test_failover", "cleanup", "failover", "failback", "commit", "cancel", "reprotect")
EXPECTED = {
    # enable running
    ("InMageRcm", "Primary", "UnprotectedStatesBegin", "None", (), "EnableProtection", True):
        ("initial_replication", dict.fromkeys(ACTIONS, "after_job")),
    ("InMageRcm", "Primary", "InitialReplicationStartInProgress", "None", (), "EnableProtection", True):
        ("initial_replication", dict.fromkeys(ACTIONS, "after_job")),
    # enable failed: its job stays the item's currentScenario, but nothing runs
    ("InMageRcm", "Primary", "EnablingFailed", "None", ("DisableProtection",), "EnableProtection", False):
        ("failed", dict(test_failover="refused", cleanup="none", failover="refused", failback="none",
                        commit="refused", cancel="refused", reprotect="refused")),
    ("InMageRcm", "Primary", "InitialReplicationRecoveryCompletionPending", "None", ("DisableProtection",), "None",
     False):
        ("initial_replication", dict(test_failover="refused", cleanup="none", failover="refused", failback="none",
                                     commit="refused", cancel="refused", reprotect="none")),
    ("InMageRcm", "Primary", "Protected", "None", ("UnplannedFailover", "DisableProtection", "TestFailover"), "None",
     False):
        ("protected", dict(test_failover="start", cleanup="none", failover="start", failback="none",
                           commit="refused", cancel="refused", reprotect="none")),
    ("InMageRcm", "Primary", "Protected", "None",
     ("RepairReplication", "UnplannedFailover", "DisableProtection", "TestFailover"), "None", False):
        ("protected", dict(test_failover="start", cleanup="none", failover="start", failback="none",
                           commit="refused", cancel="refused", reprotect="none")),
    # after a cleanup: MarkedForDeletion stays, a second drill is allowed
    ("InMageRcm", "Primary", "Protected", "MarkedForDeletion",
     ("UnplannedFailover", "DisableProtection", "TestFailover"), "None", False):
        ("protected", dict(test_failover="start", cleanup="none", failover="start", failback="none",
                           commit="refused", cancel="refused", reprotect="none")),
    # failed over, commit pending: reprotect (SwitchProtection) is allowed already
    ("InMageRcm", "Recovery", "UnplannedFailoverCommitPendingStatesBegin", "None",
     ("CompleteMigration", "Commit", "DisableProtection", "ChangePit", "SwitchProtection"), "None", False):
        ("failed_over", dict(test_failover="refused", cleanup="none", failover="none", failback="refused",
                             commit="start", cancel="refused", reprotect="start")),
    ("InMageRcm", "Recovery", "UnplannedFailoverCommitPendingStatesBegin", "MarkedForDeletion",
     ("CompleteMigration", "Commit", "DisableProtection", "ChangePit", "SwitchProtection"), "None", False):
        ("failed_over", dict(test_failover="refused", cleanup="none", failover="none", failback="refused",
                             commit="start", cancel="refused", reprotect="start")),
    # committed
    ("InMageRcm", "Recovery", "UnplannedFailoverCommitted", "MarkedForDeletion",
     ("CompleteMigration", "DisableProtection", "SwitchProtection"), "None", False):
        ("committed", dict(test_failover="refused", cleanup="none", failover="none", failback="refused",
                           commit="none", cancel="refused", reprotect="start")),
    # reprotected to on-premises: InMageRcmFailback, active at Primary (Azure)
    ("InMageRcmFailback", "Primary", "InitialReplicationStartInProgress", "None", (), "EnableProtection", True):
        ("reprotecting", dict.fromkeys(ACTIONS, "after_job")),
    ("InMageRcmFailback", "Primary", "InitialReplicationInProgress", "None", ("DisableProtection",), "None", False):
        ("reprotecting", dict(test_failover="refused", cleanup="none", failover="none", failback="refused",
                              commit="none", cancel="refused", reprotect="none")),
    ("InMageRcmFailback", "Primary", "Protected", "None", ("PlannedFailover", "DisableProtection"), "None", False):
        ("reprotected", dict(test_failover="refused", cleanup="none", failover="none", failback="start",
                             commit="none", cancel="refused", reprotect="none")),
    # the planned failover back runs: the failback attaches to it
    ("InMageRcmFailback", "Primary", "PlannedFailoverTransitionStatesBegin", "None", (), "PlannedFailover", True):
        ("reprotected", dict(dict.fromkeys(ACTIONS, "after_job"), failback="attach")),
    # failed back, commit pending (Recovery = on-premises): commit, cancel and reprotect are allowed
    ("InMageRcmFailback", "Recovery", "CommitPendingStatesBegin", "None",
     ("CompleteMigration", "Commit", "DisableProtection", "SwitchProtection", "CancelFailover"), "None", False):
        ("failed_back", dict(test_failover="refused", cleanup="none", failover="refused", failback="none",
                             commit="start", cancel="start", reprotect="start")),
}


def recorded_rows():
    """(key, state id) of every recorded item state whose fields were read."""
    out = []
    for state in facts.load()["item_states"]:
        if state["activeLocation"] not in ("Primary", "Recovery") or not state["protectionState"] or \
                "(not read" in str(state["protectionState"]):
            continue
        scenario = state["currentScenario"]["scenarioName"] or "None"
        # a job named by a recorded item runs unless the item's state says it failed
        running = scenario != "None" and not state["protectionState"].endswith("Failed")
        key = (state["provider"], state["activeLocation"], state["protectionState"], state["testFailoverState"],
               tuple(state["allowedOperations"]), scenario, running)
        out.append((key, state["id"]))
    return out


class FakeJobs(object):
    def __init__(self, ended):
        self._ended = set(ended)

    def ended(self, resources):
        return set(n for n in (jobs.scenario_job_name(r) for r in resources) if n in self._ended)


class FakeVault(object):
    name, resource_group = "v", "rg"

    def __init__(self, items, ended=()):
        self.items = list(items)
        self.jobs = FakeJobs(ended)
        self.clients = type("Clients", (), {"subscription_id": "s"})()

    def protected_items(self):
        return self.items

    def recovery_plans(self):
        return []

    def get_items(self, items):
        return dict((i["id"].lower(), i) for i in items)

    def forget(self, *keys):
        pass


def item_of(key, name="web-01"):
    provider, location, state, tfo, ops, scenario, _running = key
    current = dict(IDLE) if scenario == "None" else {
        "scenarioName": scenario, "jobId": V + "/replicationJobs/job-1", "startTime": "2026-01-01T00:00:00Z"}
    return {"id": C + "/replicationProtectedItems/item-" + name, "name": "item-" + name, "properties": {
        "friendlyName": name, "protectionState": state, "activeLocation": location, "testFailoverState": tfo,
        "allowedOperations": list(ops), "currentScenario": current,
        "providerSpecificDetails": {"instanceType": provider, "processServerName": "appliance-01",
                                    "targetResourceGroupId": "/subscriptions/s/resourceGroups/rg"}}}


def params(**kw):
    out = dict(items=None, recovery_plan=None, wait=True, wait_timeout=60, wait_sleep=0, state="present",
               recovery_point=None, recovery_point_time=None, multi_vm_sync_point=None, network=None, subnet=None,
               direction=None)
    out.update(kw)
    return out


def action_of(name):
    return {"test_failover": (drill.TestFailover, {}), "cleanup": (drill.TestFailover, {"state": "absent"}),
            "failover": (failover.Failover, {}),
            "failback": (failover.Failover, {"direction": "recovery_to_primary"}),
            "commit": (failover.FailoverCommit, {}), "cancel": (failover.FailoverCancel, {}),
            "reprotect": (reprotect.Reprotect, {})}[name]


def decision(key, name, monkeypatch):
    monkeypatch.setattr(reprotect.Inputs, "resolve", lambda self, direction: None)
    monkeypatch.setattr(drill, "test_network", lambda run, target: None)
    cls, kw = action_of(name)
    item = item_of(key)
    vault = FakeVault([item], ended=() if key[6] else ("job-1",))
    run = run_module.Run(vault, params(items=["web-01"], **kw), cls(params(**kw)))
    run.resolve()
    try:
        run.decide()
    except DrAsrError as err:
        return "refused", err
    return run.targets[0].action, None


def test_every_recorded_state_has_a_decision():
    rows = recorded_rows()
    assert len(rows) > 40
    missing = sorted(set(key for key, _id in rows) - set(EXPECTED))
    assert not missing, missing


@pytest.mark.parametrize("key", sorted(EXPECTED, key=str), ids=lambda k: "-".join(map(str, k[:4])))
def test_recorded_state_phase(key):
    item = item_of(key)
    ended = () if key[6] else ("job-1",)
    assert asr_state.phase(item, ended) == EXPECTED[key][0]


@pytest.mark.parametrize("key", sorted(EXPECTED, key=str), ids=lambda k: "-".join(map(str, k[:4])))
@pytest.mark.parametrize("name", ACTIONS)
def test_recorded_state_decision(key, name, monkeypatch):
    got, err = decision(key, name, monkeypatch)
    assert got == EXPECTED[key][1][name], (key, name, err and err.message)
    if got == "refused":
        # the refusal names the raw state and what ASR allows
        assert key[2] in err.message and "allowed operations: %s" % (", ".join(key[4]) or "none") in err.message


@pytest.mark.parametrize("state,ops,phase,failover", [
    # a state never recorded: decided where allowedOperations make it clear...
    ("SomeNewProtectedState", ("UnplannedFailover", "TestFailover"), "protected", "start"),
    # ... refused with its raw state otherwise
    ("SomeNewState", (), "unknown", "refused"),
    ("SomeNewState", ("DisableProtection",), "unknown", "refused"),
])
def test_a_state_never_seen(state, ops, phase, failover, monkeypatch):
    key = ("InMageRcm", "Primary", state, "None", ops, "None", False)
    assert asr_state.phase(item_of(key)) == phase
    got, err = decision(key, "failover", monkeypatch)
    assert got == failover
    if err is not None:
        assert state in err.message and err.code == "OperationNotAllowed"


def test_a_state_with_nothing_allowed_and_a_running_job_means_wait(monkeypatch):
    key = ("InMageRcm", "Recovery", "SomeTransitionState", "None", (), "CommitFailover", True)
    assert asr_state.phase(item_of(key)) == "failed_over"
    assert decision(key, "commit", monkeypatch)[0] == "attach"
    assert decision(key, "reprotect", monkeypatch)[0] == "after_job"


# -- request bodies ---------------------------------------------------------------------------------------------

def recorded_body(source):
    return copy.deepcopy(next(r for r in facts.load()["requests"] if r["source"] == source)["body"])


def shape(body):
    """The body with ids replaced by their key (what is compared: keys, and values that are not ids)."""
    if isinstance(body, dict):
        return dict((k, shape(v)) for k, v in body.items())
    if isinstance(body, list):
        return [shape(v) for v in body]
    if isinstance(body, str) and (body.startswith("/") or len(body) == 36 and body.count("-") == 4):
        return "<id>"
    return body


def test_reprotect_to_on_premises_body():
    body = rcm.reprotect_to_primary_input("7d30ec24-f20e-4c17-8dfd-d7ccb444b072", "SharedDS-84-85",
                                          "/subscriptions/s/sa", "/Subscriptions/s/policy")
    assert shape(body) == shape(recorded_body("TestV2ARCMReprotect#14"))


def test_reprotect_to_azure_body_has_no_direction():
    recorded = recorded_body("TestV2ARCM540Reprotect#15")
    psd = recorded["properties"]["providerSpecificDetails"]
    body = rcm.reprotect_to_recovery_input(psd["processServerId"], psd["policyId"], psd["runAsAccountId"])
    assert body == recorded


def test_failback_body_has_no_direction():
    assert rcm.planned_failback_input("ApplicationConsistent") == recorded_body("TestV2ARCMFailback#12")


def test_failover_body():
    action = failover.Failover(params(shutdown_source=False))
    target = base.Target("item", item_of(("InMageRcm", "Primary", "Protected", "None", (), "None", False)),
                         "web-01", "items[0]")
    body = action.item_body(None, target)
    recorded = recorded_body("TestV2ARCMFailover#12")
    # ASR takes "False" and "false" [recorded "False"; the SDK documents the lower case]
    recorded["properties"]["providerSpecificDetails"]["performShutdown"] = "false"
    assert body == recorded


def test_test_failover_body():
    recorded = recorded_body("TestV2ARCMTestFailover#12")
    network = recorded["properties"]["networkId"]
    action = drill.TestFailover(params())
    target = base.Target("item", item_of(("InMageRcm", "Primary", "Protected", "None", (), "None", False)),
                         "web-01", "items[0]")
    target.extra["network"] = network
    assert action.item_body(None, target) == recorded


def test_test_failover_cleanup_body():
    action = drill.TestFailover(params(state="absent", comments=""))
    assert action.item_body(None, None) == {"properties": {}}
    # the recorded cleanup sent an empty comment; an empty comment is left out (ASR takes both)
    assert recorded_body("TestV2ARCMTestFailover#1083") == {"properties": {"comments": ""}}


def test_plan_test_failover_without_a_network_is_no_network_attach():
    class Points(object):
        @staticmethod
        def choice(plan=False):
            return None

    class Run(object):
        points = Points()
    target = base.Target("plan", {"id": V + "/replicationRecoveryPlans/p", "name": "p"}, "p", "recovery_plan")
    body = drill.TestFailover(params()).plan_body(Run(), target)
    assert body["properties"]["networkType"] == "NoNetworkAttachAsInput" and "networkId" not in body["properties"]


def test_association_bodies():
    recorded = recorded_body("TestV2ARCMContainerMapping#11")
    body = rcm_policy.mapping_body(recorded["properties"]["policyId"], False, C)
    assert body == recorded
    failback = rcm_policy.mapping_body("/policy", True, C)
    # a failback association targets the container itself [the recorded failback mappings]
    assert failback["properties"]["targetProtectionContainerId"] == C
    mapping = next(m for m in facts.load()["mappings"] if m["policy_provider"] == "InMageRcmFailback")
    assert mapping["targetProtectionContainerId_is"].startswith("the")


def test_enable_body_needs_no_run_as_account():
    machine = {"id": "/machines/m1", "disks": [{"id": "6000C296-aaaa", "label": "Hard disk 1", "os_disk": True}]}
    want = {"target_resource_group_id": "/subscriptions/s/resourceGroups/rg", "log_storage_account_id": "/sa",
            "process_server_id": "ps-1"}
    body = rcm.enable_input(want, machine)
    assert "runAsAccountId" not in body
    recorded = recorded_body("TestV2ARCMEnableDR#19")["properties"]["providerSpecificDetails"]
    assert set(body) <= set(recorded) | {"targetResourceGroupId"}
    assert body["disksDefault"] == {"logStorageAccountId": "/sa", "diskType": "Standard_LRS"}


def test_agent_disk_ids_are_matched_to_vmware_disks():
    """The item names disks as the agent does [recorded: {GUID}, \\\\.\\PHYSICALDRIVE0/1]; per-disk settings are
    matched to vCenter's disks by OS disk, capacity, position."""
    recorded = next(s for s in facts.load()["item_states"] if s["id"] == "TestV2ARCMReprotect#12:Rcm-W2K19-152:get")
    assert recorded["counts"]["protectedDisks"] == 2
    details = {"protectedDisks": [
        {"diskId": "{6FF6083E-D5EF-4388-9699-232B33441056}", "diskName": "\\\\.\\PHYSICALDRIVE1",
         "capacityInBytes": 5368709120, "isOSDisk": "false"},
        {"diskId": "{F3A82FA8-88DC-42F9-9464-5E6893CAAF33}", "diskName": "\\\\.\\PHYSICALDRIVE0",
         "capacityInBytes": 32212254720, "isOSDisk": "true"}]}
    machine = [{"id": "6000C291-os", "os_disk": True, "size_bytes": 32212254720, "position": 0},
               {"id": "6000C292-data", "os_disk": False, "size_bytes": 5368709120, "position": 1}]
    assert rcm.disk_map(machine, details) == {"6000c291-os": "{F3A82FA8-88DC-42F9-9464-5E6893CAAF33}",
                                              "6000c292-data": "{6FF6083E-D5EF-4388-9699-232B33441056}"}
    # same sizes: the agent's drive order
    same = {"protectedDisks": [dict(d, capacityInBytes=10) for d in details["protectedDisks"]]}
    twins = [dict(machine[0], size_bytes=10), dict(machine[1], size_bytes=10)]
    assert rcm.disk_map(twins, same)["6000c292-data"] == "{6FF6083E-D5EF-4388-9699-232B33441056}"
    linux = {"protectedDisks": [{"diskId": "/dev/sdb", "capacityInBytes": 10, "isOSDisk": "false"},
                                {"diskId": "/dev/sda", "capacityInBytes": 10, "isOSDisk": "true"},
                                {"diskId": "/dev/sdc", "capacityInBytes": 10, "isOSDisk": "false"}]}
    three = twins + [dict(machine[1], id="6000C293-more", position=2)]
    assert rcm.disk_map(three, linux) == {"6000c291-os": "/dev/sda", "6000c292-data": "/dev/sdb",
                                          "6000c293-more": "/dev/sdc"}


def test_a_listed_item_has_no_disks_and_nics_facts():
    listed = {"instanceType": "InMageRcm", "protectedDisks": [], "vmNics": []}
    facts_ = rcm.item_facts(listed)
    assert facts_["disks"] is None and facts_["nics"] is None
