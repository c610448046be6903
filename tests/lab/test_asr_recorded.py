"""The lab answers what real ASR answered: the recorded sequences of a real modernized vault, replayed.

tests/recorded/asr_modernized.json holds what Azure PowerShell's test suite recorded against a real vault
(SessionRecords AsrV2ARCMTests, digested). This module walks one lab item through the same actions in the same
order as the recorded item Rcm-W2K19-152 (and Rcm-W2K19-155's reprotect before commit), with the recorded
request bodies (ids swapped for the lab's), and checks after every step that the lab answers the recorded
state tuple (provider, activeLocation, protectionState and its description, testFailoverState and its
description, allowedOperations in order, currentScenario), the recorded job (scenario, friendly name, target
type, task names, customDetails kind), the recorded LRO headers and the recorded list-versus-GET shapes. It
also checks the recorded policies, mappings, recovery plan and enable facts.

What no recording shows (the failback's commit, states while most jobs run) is tested in
test_asr_lifecycle.py against the lab's documented guesses (vocabulary.py).
"""
import json
import pathlib

import pytest
from azure.mgmt.recoveryservicessiterecovery import models as M

from drlab.azure.providers.siterecovery import vocabulary
from drlab.testing.fidelity import assert_fits

FACTS = json.loads((pathlib.Path(__file__).resolve().parents[1] / "recorded" / "asr_modernized.json").read_text())
VM = "rec-01"
POLICY = "rec-policy"


def recorded_state(state_id):
    """The recorded item state of id `state_id` (tests/recorded/asr_modernized.json item_states)."""
    found = [s for s in FACTS["item_states"] if s["id"] == state_id]
    assert found, state_id
    return found[0]


def recorded_job(scenario):
    found = [j for j in FACTS["jobs"] if j["scenarioName"] == scenario]
    assert found, scenario
    return found[0]


def recorded_request(source):
    found = [r for r in FACTS["requests"] if r["source"] == source]
    assert found, source
    return found[0]


def tuple_of(props):
    """The parts of an item the recordings are compared on."""
    scenario = (props.get("currentScenario") or {}).get("scenarioName") or "None"
    return dict(provider=(props.get("providerSpecificDetails") or {}).get("instanceType"),
                activeLocation=props.get("activeLocation"), protectionState=props.get("protectionState"),
                protectionStateDescription=props.get("protectionStateDescription"),
                testFailoverState=props.get("testFailoverState"),
                testFailoverStateDescription=props.get("testFailoverStateDescription"),
                allowedOperations=list(props.get("allowedOperations") or []), currentScenario=scenario)


def expected(state_id, **overrides):
    rec = recorded_state(state_id)
    out = dict(provider=rec["provider"], activeLocation=rec["activeLocation"], protectionState=rec["protectionState"],
               protectionStateDescription=rec["protectionStateDescription"],
               testFailoverState=rec["testFailoverState"],
               testFailoverStateDescription=rec["testFailoverStateDescription"],
               allowedOperations=rec["allowedOperations"], currentScenario=rec["currentScenario"]["scenarioName"])
    out.update(overrides)
    return out


class Replay:
    def __init__(self, lab):
        self.lab = lab
        self.path = "%s/replicationProtectedItems/%s" % (lab.container_id, VM)

    def get(self):
        body = self.lab.arm("GET", self.path).json()
        assert_fits(M.ReplicationProtectedItem, body)
        return body

    def props(self):
        return self.get()["properties"]

    def listed(self):
        page = self.lab.arm("GET", "%s/replicationProtectedItems" % self.lab.container_id).json()
        found = [i for i in page["value"] if i["name"] == VM]
        assert len(found) == 1
        assert_fits(M.ReplicationProtectedItem, found[0])
        return found[0]

    def post(self, action, body):
        """POST an action with a recorded body; check the recorded LRO answer; return the job's name."""
        resp = self.lab.arm("POST", "%s/%s" % (self.path, action), body)
        assert resp.status_code == 202, resp.text
        return lro_job(resp, self.path)

    def job(self, name):
        body = self.lab.arm("GET", "%s/replicationJobs/%s" % (self.lab.vault_id, name)).json()
        assert_fits(M.Job, body)
        return body["properties"]

    def wait_job(self, name, step=30, limit=20000):
        """Advance lab time until the job ended; its properties."""
        spent = 0
        while True:
            props = self.job(name)
            if props["state"] not in ("NotStarted", "InProgress"):
                return props
            assert spent < limit, "job %s did not end in %d lab seconds" % (name, limit)
            self.lab.advance(step)
            spent += step

    def until(self, predicate, step=30, limit=40000):
        """Advance lab time until predicate(item properties) holds; the properties."""
        spent = 0
        while True:
            props = self.props()
            if predicate(props):
                return props
            assert spent < limit, "not reached in %d lab seconds: %s" % (limit, tuple_of(props))
            self.lab.advance(step)
            spent += step


def lro_job(resp, target_path):
    """The recorded LRO headers of a job-backed ASR call [TestV2ARCMEnableDR#19 and every POST]."""
    headers = resp.headers
    location, status = headers["Location"], headers["Azure-AsyncOperation"]
    job = location.split("/operationresults/")[1].split("?")[0]
    assert target_path.lower() in location.lower()
    assert ("/replicationOperationStatus/%s?" % job).lower() in status.lower()
    assert headers["Retry-After"].isdigit()
    assert headers["x-ms-request-id"].lower().endswith("/replicationjobs/%s" % job)
    return job


def check_job(props, scenario, context=""):
    """The job matches the recorded job of that scenario: friendly name, target type, task names, details."""
    rec = recorded_job(scenario)
    assert props["scenarioName"] == rec["scenarioName"], context
    assert props["friendlyName"] == rec["friendlyName"], context
    assert props["targetInstanceType"] == rec["targetInstanceType"], context
    assert [t["name"] for t in props["tasks"]] == rec["tasks"], context
    assert props["customDetails"]["instanceType"] == rec["customDetails"], context


@pytest.fixture(scope="module")
def replay(asr_lab, asr_manual_clock):
    """rec-01: a new vcsim VM with its agent registered, enabled like TestV2ARCMEnableDR#19 and Protected."""
    lab = asr_lab
    body = {"properties": {"providerSpecificInput": {"instanceType": "InMageRcm", "recoveryPointHistoryInMinutes": 2400,
                                                     "crashConsistentFrequencyInMinutes": 5,
                                                     "appConsistentFrequencyInMinutes": 60,
                                                     "enableMultiVmSync": "False"}}}
    resp = lab.arm("PUT", "%s/replicationPolicies/%s" % (lab.vault_id, POLICY), body)
    assert resp.status_code == 202
    out = Replay(lab)
    out.policy_job = out.wait_job(lro_job(resp, "%s/replicationPolicies/%s" % (lab.vault_id, POLICY)))
    policy_id = "%s/replicationPolicies/%s" % (lab.vault_id, POLICY)
    # TestV2ARCMContainerMapping#11: the generic mapping input
    mapping = "%s/replicationProtectionContainerMappings/rec-mapping" % lab.container_id
    resp = lab.arm("PUT", mapping, {"properties": {
        "targetProtectionContainerId": "Microsoft Azure", "policyId": policy_id,
        "providerSpecificInput": {"instanceType": "ReplicationProviderSpecificContainerMappingInput"}}})
    assert resp.status_code == 202, resp.text
    out.mapping_job = out.wait_job(lro_job(resp, mapping))
    out.mapping = lab.arm("GET", mapping).json()
    lab.create_vm(VM, disk_gb=10)
    lab.register_agent(VM)
    machine = lab.machine(VM)
    # TestV2ARCMEnableDR#19 with the lab's ids
    enable = {"properties": {"policyId": policy_id, "providerSpecificDetails": {
        "instanceType": "InMageRcm", "fabricDiscoveryMachineId": machine["id"],
        "disksDefault": {"logStorageAccountId": lab.storage_account_id, "diskType": "Standard_LRS"},
        "targetResourceGroupId": lab.target_rg_id, "targetNetworkId": lab.recovery_vnet_id,
        "testNetworkId": lab.test_vnet_id, "targetSubnetName": "app", "testSubnetName": "default",
        "targetVmName": VM, "runAsAccountId": lab.run_as["linux-root"], "processServerId": lab.process_server_id}}}
    resp = lab.arm("PUT", out.path, enable)
    assert resp.status_code == 202, resp.text
    out.enable_job_name = lro_job(resp, out.path)
    out.enabling = out.props()
    out.enable_job = out.wait_job(out.enable_job_name)
    out.seen = set()
    props = out.until(lambda p: out.seen.add((p["protectionState"], tuple(p["allowedOperations"]))) or
                      p["protectionState"] == "Protected", step=60)
    out.protected = props
    lab.advance(3600)                   # an hour of recovery points
    return out


# -- protection --------------------------------------------------------------------------------------------

def test_default_policies_and_mappings_of_a_registered_appliance(replay):
    """A vault with a registered appliance has the recorded default policies and their mappings
    [TestV2ARCMProtectableItem#5-8: a vault without any protected item]."""
    lab = replay.lab
    policies = {p["name"]: p for p in lab.arm("GET", "%s/replicationPolicies" % lab.vault_id).json()["value"]}
    for rec in FACTS["policies"]:
        if rec["name"] not in ("24-hour-replication-policy", "crashconsistency-policy-failback",
                               "appconsistency-policy-failback"):
            continue
        details = policies[rec["name"]]["properties"]["providerSpecificDetails"]
        assert details["instanceType"] == rec["provider"]
        for key, value in rec["settings"].items():
            if key in details:
                assert str(details[key]).lower() == str(value).lower(), (rec["name"], key)
    mappings = {m["name"]: m["properties"] for m in lab.arm(
        "GET", "%s/replicationProtectionContainerMappings" % lab.container_id).json()["value"]}
    for rec in FACTS["mappings"]:
        if rec["name"] not in ("default-failover-containerpairing", "crashconsistency-failback-containerpairing",
                               "appconsistency-failback-containerpairing"):
            continue
        got = mappings[rec["name"]]
        assert (got["state"], got["health"]) == ("Paired", "Normal")
        if rec["policy_provider"] == "InMageRcmFailback":
            # failback mappings target the appliance's own container, without provider details
            assert got["targetProtectionContainerId"].lower() == lab.container_id.lower()
            assert got.get("providerSpecificDetails") is None
        else:
            assert got["targetProtectionContainerId"] == "Microsoft Azure"
            assert got["providerSpecificDetails"] == {"instanceType": "InMageRcm", "enableAgentAutoUpgrade": "true"}


def test_policy_and_association_jobs_are_the_recorded_ones(replay):
    check_job(replay.policy_job, "AddProtectionProfile")
    job = replay.mapping_job
    check_job(job, "AssociateProtectionProfile")
    assert job["targetObjectName"] == POLICY                  # the job's target is the policy
    props = replay.mapping["properties"]
    assert props["targetProtectionContainerId"] == "Microsoft Azure"
    # the generic input gives InMageRcm details with agent auto-upgrade on [TestV2ARCMContainerMapping#14]
    assert props["providerSpecificDetails"] == {"instanceType": "InMageRcm", "enableAgentAutoUpgrade": "true"}


def test_policy_update_is_modify_protection_profile(replay):
    lab = replay.lab
    path = "%s/replicationPolicies/%s" % (lab.vault_id, POLICY)
    body = recorded_request("TestV2ARCMPolicy#10")["body"]
    resp = lab.arm("PATCH", path, body)
    assert resp.status_code == 202, resp.text
    check_job(replay.wait_job(lro_job(resp, path)), "ModifyProtectionProfile")
    details = lab.arm("GET", path).json()["properties"]["providerSpecificDetails"]
    assert details["appConsistentFrequencyInMinutes"] == 300 and details["recoveryPointHistoryInMinutes"] == 2400


def test_failback_policy_mapping_targets_its_own_container(replay):
    lab = replay.lab
    policy = "%s/replicationPolicies/rec-failback" % lab.vault_id
    resp = lab.arm("PUT", policy, {"properties": {"providerSpecificInput": {
        "instanceType": "InMageRcmFailback", "crashConsistentFrequencyInMinutes": 5,
        "appConsistentFrequencyInMinutes": 60}}})
    replay.wait_job(lro_job(resp, policy))
    mapping = "%s/replicationProtectionContainerMappings/rec-failback-mapping" % lab.container_id
    refused = lab.arm("PUT", mapping, {"properties": {"targetProtectionContainerId": "Microsoft Azure",
                                                      "policyId": policy, "providerSpecificInput": {}}})
    assert refused.status_code == 400 and "container itself" in refused.json()["error"]["message"]
    resp = lab.arm("PUT", mapping, {"properties": {"targetProtectionContainerId": lab.container_id,
                                                   "policyId": policy, "providerSpecificInput": {}}})
    assert resp.status_code == 202, resp.text
    check_job(replay.wait_job(lro_job(resp, mapping)), "AssociateProtectionProfile")
    props = lab.arm("GET", mapping).json()["properties"]
    assert props["targetProtectionContainerId"].lower() == lab.container_id.lower()
    assert props.get("providerSpecificDetails") is None
    assert props["targetFabricFriendlyName"] == props["sourceFabricFriendlyName"]


def test_enable_job_and_item_while_it_runs(replay):
    check_job(replay.enable_job, "EnableDr")
    assert replay.enable_job["targetObjectId"] == replay.protected["providerSpecificDetails"]["internalIdentifier"]
    enabling = tuple_of(replay.enabling)
    assert enabling == expected("TestV2ARCMTestFailover#10:Rcm-W2K16-153:list",
                                protectionStateDescription="Enabling protection")
    assert replay.enabling["currentScenario"]["jobId"].endswith(replay.enable_job_name)


def test_initial_replication_states_are_recorded_ones(replay):
    """Every (state, allowedOperations) the item went through on its way to Protected was recorded for
    InMageRcm (or for initial replication of either provider)."""
    recorded = {(s["protectionState"], tuple(s["allowedOperations"])) for s in FACTS["item_states"]
                if s["activeLocation"] == "Primary"}
    assert replay.seen <= recorded, replay.seen - recorded
    assert ("InitialReplicationRecoveryCompletionPending", ("DisableProtection",)) in replay.seen or \
        ("InitialReplicationInProgress", ("DisableProtection",)) in replay.seen


def test_protected(replay):
    assert tuple_of(replay.protected) == expected("TestV2ARCMCommit#10:Rcm-Ub18-154:list")


def test_a_list_is_sparser_than_a_get(replay):
    """[TestV2ARCMReprotect#11-12]: the list carries protectedDisks, vmNics and agentUpgradeBlockingErrorDetails
    empty; the GET fills them. The agent names the disks (Linux: the device; recorded for Windows: {GUID})."""
    listed = replay.listed()["properties"]["providerSpecificDetails"]
    got = replay.get()["properties"]["providerSpecificDetails"]
    for key in vocabulary.WORDS["item_list_empty"].value:
        assert listed.get(key) == [], key
    assert got["protectedDisks"] and got["vmNics"]
    assert got["protectedDisks"][0]["diskId"] == "/dev/sda"
    machine = replay.lab.machine(VM)
    assert got["protectedDisks"][0]["diskId"] != machine["properties"]["disks"][0]["uuid"]
    listed_state = tuple_of(replay.listed()["properties"])
    assert listed_state == tuple_of(replay.props())          # the state itself is the same in both


def test_recovery_plan_save_groups_members_and_delete(replay):
    lab = replay.lab
    item = replay.get()
    plan = "%s/replicationRecoveryPlans/rec-rp" % lab.vault_id
    body = recorded_request("TestV2ARCMRecoveryPlan#13")["body"]
    body["properties"]["primaryFabricId"] = lab.fabric_id
    body["properties"]["groups"][0]["replicationProtectedItems"] = [
        {"id": item["id"], "virtualMachineId": item["properties"]["providerSpecificDetails"]["internalIdentifier"]}]
    resp = lab.arm("PUT", plan, body)
    assert resp.status_code == 202, resp.text
    check_job(replay.wait_job(lro_job(resp, plan)), "SaveRecoveryPlan")
    got = lab.arm("GET", plan).json()
    assert_fits(M.RecoveryPlan, got)
    props = got["properties"]
    rec = FACTS["recovery_plans"][0]
    assert [g["groupType"] for g in props["groups"]] == rec["response_groups"]
    member = props["groups"][-1]["replicationProtectedItems"][0]
    assert member["virtualMachineId"] == item["properties"]["providerSpecificDetails"]["internalIdentifier"]
    assert props["allowedOperations"] == rec["allowedOperations"] and props["replicationProviders"] == ["InMageRcm"]
    listed = lab.arm("GET", "%s/replicationProtectedItems?$filter=RecoveryPlanName eq 'rec-rp'" % lab.vault_id).json()
    assert [i["name"] for i in listed["value"]] == [VM]
    assert listed["value"][0]["properties"]["providerSpecificDetails"]["protectedDisks"] == []
    resp = lab.arm("DELETE", plan)
    assert resp.status_code == 202
    check_job(replay.wait_job(lro_job(resp, plan)), "DeleteRecoveryPlan")
    assert lab.arm("GET", plan).status_code == 404


# -- drills ----------------------------------------------------------------------------------------------

def _test_failover(replay):
    lab = replay.lab
    body = recorded_request("TestV2ARCMTestFailover#12")["body"]
    body["properties"]["networkId"] = body["properties"]["providerSpecificDetails"]["networkId"] = lab.test_vnet_id
    job = replay.wait_job(replay.post("testFailover", body), step=60)
    assert job["state"] == "Succeeded"
    return job


def test_test_failover_then_cleanup_leaves_marked_for_deletion(replay):
    job = _test_failover(replay)
    check_job(job, "TestFailover")
    details = job["customDetails"]
    internal = replay.protected["providerSpecificDetails"]["internalIdentifier"]
    assert details["testFailoverStatus"] == "Active" and details["protectedItemDetails"][0]["name"] == internal
    up = replay.props()
    assert up["testFailoverState"] == "WaitingForCompletion" and up["allowedOperations"] == ["TestFailoverCleanup"]
    cleanup = replay.wait_job(replay.post("testFailoverCleanup", recorded_request(
        "TestV2ARCMTestFailover#1083")["body"]), step=60)
    check_job(cleanup, "TestFailoverCleanup")
    props = replay.props()
    assert tuple_of(props) == expected("TestV2ARCMFailover#11:Rcm-W2K19-152:get")
    assert props["lastSuccessfulTestFailoverTime"] == job["startTime"]     # [TestV2ARCMReprotect#12]


def test_a_second_drill_after_the_first(replay):
    """MarkedForDeletion after a cleanup allows TestFailover again [recorded]: a second drill runs."""
    assert replay.props()["testFailoverState"] == "MarkedForDeletion"
    _test_failover(replay)
    replay.wait_job(replay.post("testFailoverCleanup", {"properties": {"comments": "second"}}), step=60)
    assert tuple_of(replay.props()) == expected("TestV2ARCMFailover#11:Rcm-W2K19-152:get")


# -- failover, commit, reprotect, failback, cancel -----------------------------------------------------------

def test_failover_without_shutdown_skips_it(replay):
    job = replay.wait_job(replay.post("unplannedFailover", recorded_request("TestV2ARCMFailover#12")["body"]), step=60)
    check_job(job, "UnplannedFailover")
    shutdown = job["tasks"][1]
    assert (shutdown["name"], shutdown["state"], shutdown["stateDescription"]) == \
        ("VmShutdownVmOnPrimary", "Other", "Skipped")
    assert tuple_of(replay.props()) == expected("TestV2ARCMCommit#11:Rcm-W2K19-152:get")


def test_commit(replay):
    check_job(replay.wait_job(replay.post("failoverCommit", {}), step=30), "CommitFailover")
    assert tuple_of(replay.props()) == expected("TestV2ARCMReprotect#12:Rcm-W2K19-152:get")


def _reprotect_to_onprem(replay):
    lab = replay.lab
    body = recorded_request("TestV2ARCMReprotect#14")["body"]
    psd = body["properties"]["providerSpecificDetails"]
    psd.update(reprotectAgentId=lab.reprotect_agent_id, datastoreName="ds-prod-01",
               logStorageAccountId=lab.storage_account_id,
               policyId="%s/replicationPolicies/appconsistency-policy-failback" % lab.vault_id)
    return replay.post("reProtect", body)


def test_reprotect_to_on_premises(replay):
    job_name = _reprotect_to_onprem(replay)
    switched = replay.until(lambda p: p["providerSpecificDetails"]["instanceType"] == "InMageRcmFailback", step=15)
    assert tuple_of(switched) == expected("TestV2ARCMSwitchAppliance#10:Rcm-W2K19-155:list")
    job = replay.wait_job(job_name, step=30)
    check_job(job, "SwitchReplicationGroupProtection")
    assert job["tasks"][1]["state"] == "Other"        # VmCommitFailover: committed already
    replicating = replay.props()
    assert tuple_of(replicating) == expected("TestV2ARCMCancelFailover#10:Rcm-W2K19-155:list")
    props = replay.until(lambda p: p["protectionState"] == "Protected", step=120)
    assert tuple_of(props) == expected("TestV2ARCMFailback#11:Rcm-W2K19-152:get")


def _planned_failover(replay):
    body = recorded_request("TestV2ARCMFailback#12")["body"]
    assert "failoverDirection" not in body["properties"]        # the recorded failback sends none
    job_name = replay.post("plannedFailover", body)
    during = replay.until(lambda p: p["protectionState"] != "Protected", step=10)
    return job_name, during


def test_planned_failover_back(replay):
    job_name, during = _planned_failover(replay)
    assert tuple_of(during) == expected("TestV2ARCMUpdateProtection#10:Rcm-W2K19-152:list")
    check_job(replay.wait_job(job_name, step=60), "PlannedFailover")
    assert tuple_of(replay.props()) == expected("TestV2ARCM540Reprotect#13:Rcm-W2K19-152:get")


def test_cancel_failover_back(replay):
    job = replay.wait_job(replay.post("failoverCancel", {}), step=30)
    check_job(job, "CancelFailover")
    assert tuple_of(replay.props()) == expected("TestV2ARCMRecoveryPlan#10:Rcm-W2K19-152:list")


def test_reprotect_to_azure_before_the_failback_commit(replay):
    """[TestV2ARCM540Reprotect]: reprotect from CommitPendingStatesBegin, sent without failoverDirection; the job
    commits the failback on its way (VmCommitFailover) and the item replicates to Azure again."""
    job_name, _during = _planned_failover(replay)
    replay.wait_job(job_name, step=60)
    lab = replay.lab
    body = recorded_request("TestV2ARCM540Reprotect#15")["body"]
    assert "failoverDirection" not in body["properties"]
    body["properties"]["providerSpecificDetails"].update(
        processServerId=lab.process_server_id, runAsAccountId=lab.run_as["linux-root"],
        policyId="%s/replicationPolicies/%s" % (lab.vault_id, POLICY))
    job = replay.wait_job(replay.post("reProtect", body), step=30)
    check_job(job, "SwitchReplicationGroupProtection")
    assert job["tasks"][1]["state"] == "Succeeded"    # VmCommitFailover committed the pending failback
    props = replay.until(lambda p: p["protectionState"] == "Protected", step=120)
    assert tuple_of(props) == expected("TestV2ARCMCommit#10:Rcm-Ub18-154:list")


def test_reprotect_to_on_premises_before_the_commit(replay):
    """Rcm-W2K19-155 [TestV2ARCMTestFailover#10 -> TestV2ARCMSwitchAppliance#10]: reprotected straight from
    UnplannedFailoverCommitPendingStatesBegin; the reprotect commits the failover (VmCommitFailover)."""
    replay.lab.advance(1800)
    replay.wait_job(replay.post("unplannedFailover", recorded_request("TestV2ARCMFailover#12")["body"]), step=60)
    assert tuple_of(replay.props()) == expected("TestV2ARCMTestFailover#10:Rcm-W2K19-155:list")
    job = replay.wait_job(_reprotect_to_onprem(replay), step=30)
    assert job["tasks"][1]["name"] == "VmCommitFailover" and job["tasks"][1]["state"] == "Succeeded"
    props = replay.until(lambda p: p["protectionState"] == "Protected", step=120)
    assert tuple_of(props) == expected("TestV2ARCMFailback#11:Rcm-W2K19-152:get")


# -- enable failure, recovery plans ---------------------------------------------------------------------------

def test_failed_enable_keeps_its_job_as_current_scenario(replay):
    """[TestV2ARCMReprotect#11 Rcm-W2K16-153]: EnablingFailed allows DisableProtection only and its
    currentScenario still names the failed enable job (no job runs)."""
    lab = replay.lab
    lab.create_vm("rec-02", disk_gb=5, power_on=False)       # no agent, powered off: the push install fails
    machine = lab.machine("rec-02")
    path = "%s/replicationProtectedItems/rec-02" % lab.container_id
    resp = lab.arm("PUT", path, {"properties": {
        "policyId": "%s/replicationPolicies/%s" % (lab.vault_id, POLICY), "providerSpecificDetails": {
            "instanceType": "InMageRcm", "fabricDiscoveryMachineId": machine["id"],
            "disksDefault": {"logStorageAccountId": lab.storage_account_id, "diskType": "Standard_LRS"},
            "targetResourceGroupId": lab.target_rg_id, "runAsAccountId": lab.run_as["linux-root"],
            "processServerId": lab.process_server_id}}})
    name = lro_job(resp, path)
    assert replay.wait_job(name)["state"] == "Failed"
    props = lab.arm("GET", path).json()["properties"]
    assert tuple_of(props) == expected("TestV2ARCMReprotect#11:Rcm-W2K16-153:list")
    assert props["currentScenario"]["jobId"].endswith(name)


def test_refresh_provider_is_refresh_fabric_layout(replay):
    lab = replay.lab
    providers = lab.arm("GET", "%s/replicationRecoveryServicesProviders" % lab.fabric_id).json()["value"]
    path = providers[0]["id"]
    resp = lab.arm("POST", path + "/refreshProvider")
    assert resp.status_code == 202
    job = replay.wait_job(lro_job(resp, path))
    check_job(job, "RefreshFabricLayout")
    assert job["targetObjectName"] == providers[0]["properties"]["friendlyName"]


def test_every_recorded_state_is_in_the_vocabulary():
    """vocabulary.py has a row for every recorded item state and answers its recorded operations, its
    description and, for a running job, none."""
    for rec in FACTS["item_states"]:
        if rec["protectionState"] in (None, "") or "(not read" in str(rec["protectionState"]) or \
                rec["activeLocation"] not in ("Primary", "Recovery"):
            continue
        running = rec["currentScenario"]["scenarioName"] not in ("None", None) and \
            rec["protectionState"] != "EnablingFailed"
        details = {"resyncRequired": rec["details"].get("resyncRequired")}
        ops = vocabulary.operations(rec["provider"], rec["activeLocation"], rec["protectionState"],
                                    rec["testFailoverState"], details, running=running)
        assert ops == rec["allowedOperations"], rec["id"]
        row = vocabulary.state_row(rec["provider"], rec["activeLocation"], rec["protectionState"],
                                   rec["testFailoverState"])
        assert row is not None and row.source == vocabulary.RECORDED or \
            rec["protectionState"] == "InitialReplicationInProgress", rec["id"]
        if rec.get("protectionStateDescription"):
            assert row.description == rec["protectionStateDescription"], rec["id"]


def test_every_recorded_job_is_in_the_vocabulary():
    for rec in FACTS["jobs"]:
        if not rec.get("scenarioName"):
            continue            # a job known by its id only (an item's currentScenario)
        words = [w for w in vocabulary.JOBS.values() if w.scenario == rec["scenarioName"]]
        assert words, rec["scenarioName"]
        assert words[0].source == vocabulary.RECORDED
        assert (words[0].friendly, words[0].target_type, list(words[0].tasks), words[0].custom) == \
            (rec["friendlyName"], rec["targetInstanceType"], rec["tasks"], rec["customDetails"]), rec["scenarioName"]


def test_docs_table_is_the_vocabulary():
    """docs/lab-asr.md shows the vocabulary as it is (one table: every word with its source)."""
    doc = (pathlib.Path(__file__).resolve().parents[2] / "docs" / "lab-asr.md").read_text()
    block = doc.split("<!-- vocabulary:start -->\n", 1)[1].split("\n<!-- vocabulary:end -->", 1)[0]
    assert block == vocabulary.markdown()
    assert {row[3] for row in vocabulary.table()} <= set(vocabulary.SOURCES)
