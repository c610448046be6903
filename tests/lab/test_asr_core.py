"""Azure Site Recovery core of the lab's Azure simulator (providers/siterecovery: jobs, fabric,
policies, items, providers), through the real SDK (`SiteRecoveryManagementClient` begin_* pollers).

Uses the session fixture `asr_lab` (tests/lab/conftest.py): a private vcsim and Azure simulator, the
seed of `lab up`, a vault with the lab appliance registered. Every response the tests read is checked
against the SDK model (drlab.testing.fidelity). The tests create their own VMs in vcsim (prefix
`core-`), policies and items, so other modules can share the lab.
"""
import json

import pytest
from azure.core.exceptions import HttpResponseError, ResourceExistsError
from azure.mgmt.recoveryservicessiterecovery import models as M

from drlab.testing.fidelity import assert_fits

INVENTORY_VMS = {"web-01": ("4210a1b2-0000-4000-8000-00000000e001", "5010c3d4-0000-4000-8000-00000000e001")}
HOUR = 3600


# -- helpers --------------------------------------------------------------------------------------

def _asr_error(exc_info):
    """(status, numeric ASR code, message) of an SDK error in ASR's envelope."""
    err = exc_info.value
    body = json.loads(err.response.text())
    detail = body["error"]["details"][0]
    assert set(detail) >= {"code", "message", "possibleCauses", "recommendedAction", "clientRequestId",
                           "activityId"}
    assert detail["code"].isdigit()
    return err.status_code, detail["code"], body["error"]["message"]


def _jobs(lab, **filters):
    flt = " and ".join("%s eq '%s'" % kv for kv in filters.items()) or None
    return list(lab.asr.replication_jobs.list(lab.rg, lab.vault, filter=flt))


def _item(lab, name):
    return lab.asr.replication_protected_items.get(lab.rg, lab.vault, lab.fabric, lab.container, name)


def _raw_item(lab, name):
    return lab.arm("GET", "%s/replicationProtectedItems/%s" % (lab.container_id, name)).json()


def _enable_input(lab, vm_name, policy_id, **extra):
    machine = lab.machine(vm_name)
    details = {"instanceType": "InMageRcm", "fabricDiscoveryMachineId": machine["id"],
               "processServerId": lab.process_server_id, "targetResourceGroupId": lab.target_rg_id,
               "targetNetworkId": lab.recovery_vnet_id, "targetSubnetName": "app",
               "testNetworkId": lab.test_vnet_id, "testSubnetName": "default",
               "disksDefault": {"logStorageAccountId": lab.storage_account_id, "diskType": "Standard_LRS"}}
    details.update(extra)
    return {"properties": {"policyId": policy_id, "providerSpecificDetails": details}}


def _wait(lab, poller, advance):
    lab.advance(advance)
    return poller.result()


@pytest.fixture(scope="module")
def policy(asr_lab):
    """An InMageRcm policy (crash every 5 min, app every 60 min, 24 h) mapped to the appliance's container."""
    lab = asr_lab
    poller = lab.asr.replication_policies.begin_create(lab.rg, lab.vault, "core-policy", {"properties": {
        "providerSpecificInput": {"instanceType": "InMageRcm", "recoveryPointHistoryInMinutes": 1440,
                                  "crashConsistentFrequencyInMinutes": 5, "appConsistentFrequencyInMinutes": 60,
                                  "enableMultiVmSync": "true"}}})
    created = _wait(lab, poller, 30)
    mapping = lab.asr.replication_protection_container_mappings.begin_create(
        lab.rg, lab.vault, lab.fabric, lab.container, "core-mapping",
        {"properties": {"targetProtectionContainerId": "Microsoft Azure", "policyId": created.id,
                        "providerSpecificInput": {"instanceType": "InMageRcm"}}})
    _wait(lab, mapping, 30)
    return created


@pytest.fixture(scope="module", autouse=True)
def _clock(asr_manual_clock):
    """Lab time moves with advance() while this module runs (conftest's asr_manual_clock)."""


# -- the appliance, the fabric, discovery ------------------------------------------------------------

def test_appliance_registers_into_new_vault(asr_lab):
    lab = asr_lab
    _wait(lab, lab.rs.vaults.begin_create_or_update(lab.rg, "core-new-vault", {
        "location": lab.location, "sku": {"name": "RS0"}}), 30)
    jobs = list(lab.asr.replication_jobs.list(lab.rg, "core-new-vault"))
    assert [j.properties.scenario_name for j in jobs] == ["RegisterAppliance"]
    assert jobs[0].properties.state == "InProgress"
    assert list(lab.asr.replication_fabrics.list(lab.rg, "core-new-vault")) == []
    lab.advance(360)
    job = lab.asr.replication_jobs.get(lab.rg, "core-new-vault", jobs[0].name)
    assert job.properties.state == "Succeeded"
    assert [t.state for t in job.properties.tasks] == ["Succeeded"] * 3
    fabric = next(iter(lab.asr.replication_fabrics.list(lab.rg, "core-new-vault")))
    assert fabric.properties.custom_details.instance_type == "InMageRcm"
    assert fabric.properties.custom_details.process_servers[0].name == "drlab-appliance-01"
    _wait(lab, lab.rs.vaults.begin_delete(lab.rg, "core-new-vault"), 30)


def test_fabric_appliance_container_vcenter_fit_the_sdk(asr_lab):
    lab = asr_lab
    fabric = lab.arm("GET", lab.fabric_id).json()
    assert_fits(M.Fabric, fabric)
    details = fabric["properties"]["customDetails"]
    assert details["instanceType"] == "InMageRcm" and details["vmwareSiteId"].lower() == lab.site_id.lower()
    for key in ("processServers", "rcmProxies", "pushInstallers", "replicationAgents", "reprotectAgents",
                "marsAgents", "dras"):
        assert [c["name"] for c in details[key]] == [lab.appliance], key
        assert details[key][0]["health"] == "Normal" and details[key][0]["lastHeartbeatUtc"]
    assert fabric["id"].startswith("/Subscriptions/")
    appliances = lab.arm("GET", lab.vault_id + "/replicationAppliances").json()["value"]
    assert_fits(M.ReplicationAppliance, appliances[0])
    entry = appliances[0]["properties"]["providerSpecificDetails"]["appliances"][0]
    assert entry["name"] == lab.appliance and entry["processServer"]["id"] == lab.process_server_id
    sdk_appliances = list(lab.asr.replication_appliances.list(lab.rg, lab.vault))
    assert sdk_appliances[0].properties.provider_specific_details.appliances[0].name == lab.appliance
    container = lab.arm("GET", lab.container_id).json()
    assert_fits(M.ProtectionContainer, container)
    assert container["properties"]["fabricType"] == "InMageRcm"
    vcenters = lab.arm("GET", lab.fabric_id + "/replicationvCenters").json()["value"]
    assert len(vcenters) == 1
    assert_fits(M.VCenter, vcenters[0])
    assert vcenters[0]["properties"]["discoveryStatus"] == "Completed"
    assert [v.name for v in lab.asr.replicationv_centers.list(lab.rg, lab.vault)] == [vcenters[0]["name"]]
    providers = lab.arm("GET", lab.fabric_id + "/replicationRecoveryServicesProviders").json()["value"]
    assert_fits(M.RecoveryServicesProvider, providers[0])
    assert providers[0]["properties"]["machineName"] == lab.appliance
    site = lab.arm("GET", lab.site_id, api="2023-06-06").json()
    assert site["type"] == "Microsoft.OffAzure/VMwareSites" and site["location"] == lab.location
    assert set(lab.run_as) >= {"linux-root", "windows-admin"}


def test_discovery_publishes_the_vcenter_vms(asr_lab):
    lab = asr_lab
    lab.sim.admin.patch_config(page_size=5)               # restored after the test (conftest)
    first = lab.arm("GET", lab.site_id + "/machines", api="2023-06-06").json()
    assert len(first["value"]) == 5 and first["nextLink"]
    machines = {m["properties"]["displayName"]: m for m in lab.machines()}
    assert {"web-01", "web-02", "app-api-01", "db-pg-01", "win-dc-01", "test-vm-01"} <= set(machines)
    web = machines["web-01"]
    assert web["type"] == "Microsoft.OffAzure/VMwareSites/machines"
    assert (web["properties"]["biosGuid"], web["properties"]["instanceUuid"]) == INVENTORY_VMS["web-01"]
    assert web["name"].endswith("_" + INVENTORY_VMS["web-01"][1])
    props = web["properties"]
    assert props["powerStatus"] == "ON" and props["vmFqdn"] == "web-01.lab.local"
    assert props["operatingSystemDetails"]["osName"] == "Red Hat Enterprise Linux 8 (64-bit)"
    assert props["disks"][0]["maxSizeInBytes"] == 60 * 1024 ** 3 and props["disks"][0]["uuid"]
    assert props["networkAdapters"][0]["macAddress"] == "00:50:56:90:00:01"
    assert props["networkAdapters"][0]["ipAddressList"] == ["10.10.1.11"]
    assert props["hostName"] == "esx01.lab.local" and props["vCenterId"].lower().startswith(lab.site_id.lower())
    assert machines["test-vm-01"]["properties"]["powerStatus"] == "OFF"
    got = lab.arm("GET", web["id"], api="2023-06-06")
    assert got.status_code == 200 and got.json()["id"] == web["id"]


def test_discovery_resync_sees_vm_changes(asr_lab):
    lab = asr_lab
    lab.create_vm("core-new-01", disk_gb=10)
    machine = lab.machine("core-new-01")
    assert machine["properties"]["powerStatus"] == "ON"
    assert machine["properties"]["instanceUuid"] == lab.vm("core-new-01").config.instanceUuid
    lab.power("core-new-01", False)
    assert lab.machine("core-new-01")["properties"]["powerStatus"] == "ON"     # not seen before a sync
    lab.advance(900)                                                            # the periodic sync
    assert lab.machine("core-new-01")["properties"]["powerStatus"] == "OFF"
    from pyVim.task import WaitForTask
    WaitForTask(lab.vm("core-new-01").Destroy_Task())
    lab.discover()
    assert lab.machine("core-new-01")["properties"]["isDeleted"] is True


# -- policies and container mappings -------------------------------------------------------------------

def test_policy_lifecycle_and_mapping(asr_lab, policy):
    lab = asr_lab
    raw = lab.arm("GET", policy.id).json()
    assert_fits(M.Policy, raw)
    assert raw["properties"]["providerSpecificDetails"] == {
        "instanceType": "InMageRcm", "recoveryPointHistoryInMinutes": 1440, "appConsistentFrequencyInMinutes": 60,
        "crashConsistentFrequencyInMinutes": 5, "enableMultiVmSync": "true"}
    add = [j for j in _jobs(lab, jobName="AddProtectionProfile") if j.properties.target_object_name == "core-policy"]
    assert add and add[0].properties.target_instance_type == "ProtectionProfile"
    # a failback policy, then an update through PATCH
    failback = _wait(lab, lab.asr.replication_policies.begin_create(lab.rg, lab.vault, "core-failback", {
        "properties": {"providerSpecificInput": {"instanceType": "InMageRcmFailback",
                                                 "crashConsistentFrequencyInMinutes": 10,
                                                 "appConsistentFrequencyInMinutes": 120}}}), 30)
    assert failback.properties.provider_specific_details.instance_type == "InMageRcmFailback"
    updated = _wait(lab, lab.asr.replication_policies.begin_update(lab.rg, lab.vault, "core-failback", {
        "properties": {"replicationProviderSettings": {"instanceType": "InMageRcmFailback",
                                                       "appConsistentFrequencyInMinutes": 240}}}), 30)
    assert updated.properties.provider_specific_details.app_consistent_frequency_in_minutes == 240
    assert updated.properties.provider_specific_details.crash_consistent_frequency_in_minutes == 10
    # mappings: per container and vault-wide
    mapping = lab.asr.replication_protection_container_mappings.get(lab.rg, lab.vault, lab.fabric, lab.container,
                                                                    "core-mapping")
    assert mapping.properties.state == "Paired" and mapping.properties.target_protection_container_id == "Microsoft Azure"
    assert_fits(M.ProtectionContainerMapping, lab.arm("GET", mapping.id).json())
    assert "core-mapping" in [m.name for m in lab.asr.replication_protection_container_mappings.list(lab.rg, lab.vault)]
    # a mapped policy can't be deleted (ASR error, no job); unmapped can
    before = len(_jobs(lab))
    with pytest.raises(HttpResponseError) as err:
        lab.asr.replication_policies.begin_delete(lab.rg, lab.vault, "core-policy")
    assert _asr_error(err)[0] == 400 and len(_jobs(lab)) == before
    _wait(lab, lab.asr.replication_policies.begin_delete(lab.rg, lab.vault, "core-failback"), 30)
    assert "core-failback" not in [p.name for p in lab.asr.replication_policies.list(lab.rg, lab.vault)]
    # a mapping that nothing uses can be removed
    _wait(lab, lab.asr.replication_policies.begin_create(lab.rg, lab.vault, "core-spare", {"properties": {
        "providerSpecificInput": {"instanceType": "InMageRcm"}}}), 30)
    spare = lab.asr.replication_policies.get(lab.rg, lab.vault, "core-spare")
    assert spare.properties.provider_specific_details.crash_consistent_frequency_in_minutes == 5   # defaults
    _wait(lab, lab.asr.replication_protection_container_mappings.begin_create(
        lab.rg, lab.vault, lab.fabric, lab.container, "core-spare-map",
        {"properties": {"targetProtectionContainerId": "Microsoft Azure", "policyId": spare.id}}), 30)
    _wait(lab, lab.asr.replication_protection_container_mappings.begin_delete(
        lab.rg, lab.vault, lab.fabric, lab.container, "core-spare-map",
        {"properties": {"providerSpecificInput": {"instanceType": "InMageRcm"}}}), 30)
    assert "core-spare-map" not in [m.name for m in lab.asr.replication_protection_container_mappings.list(
        lab.rg, lab.vault)]


@pytest.mark.parametrize("inp, code", [
    ({"instanceType": "InMageRcm", "appConsistentFrequencyInMinutes": 600, "recoveryPointHistoryInMinutes": 60},
     "990001"),
    ({"instanceType": "InMageRcm", "recoveryPointHistoryInMinutes": 99999}, "990001"),
    ({"instanceType": "InMageAzureV2", "multiVmSyncStatus": "Enable"}, "990007"),
    ({"instanceType": "A2A", "multiVmSyncStatus": "Enable"}, "990001"),
])
def test_policy_input_rejected_like_asr(asr_lab, inp, code):
    lab = asr_lab
    with pytest.raises(HttpResponseError) as err:
        lab.asr.replication_policies.begin_create(lab.rg, lab.vault, "core-bad", {"properties": {
            "providerSpecificInput": inp}})
    assert _asr_error(err)[:2] == (400, code)


# -- protected items ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def protected(asr_lab, policy):
    """Two VMs enabled: core-push-01 (push install with the linux-root credential) and core-agent-01
    (its agent registered through the appliance endpoint, no credentials). Returns the enable pollers'
    results and what the test saw on the way (states right after the PUT, the jobs)."""
    lab = asr_lab
    lab.create_vm("core-push-01", disk_gb=20)
    lab.create_vm("core-agent-01", disk_gb=40)
    registered = lab.register_agent("core-agent-01", version="9.63.0.0")
    push = lab.asr.replication_protected_items.begin_create(
        lab.rg, lab.vault, lab.fabric, lab.container, "core-push-01",
        _enable_input(lab, "core-push-01", policy.id, runAsAccountId=lab.run_as["linux-root"]))
    agent = lab.asr.replication_protected_items.begin_create(
        lab.rg, lab.vault, lab.fabric, lab.container, "core-agent-01",
        _enable_input(lab, "core-agent-01", policy.id, targetVmName="core-agent-01-dr"))
    seen = {"registered": registered, "push_item": _raw_item(lab, "core-push-01"),
            "agent_item": _raw_item(lab, "core-agent-01")}
    lab.advance(400)
    seen["push"], seen["agent"] = push.result(), agent.result()
    seen["jobs"] = {j.properties.target_object_name: j for j in _jobs(lab, jobName="EnableDr")}
    return seen


def test_enable_starts_with_the_item_and_a_job(asr_lab, protected):
    lab = asr_lab
    assert protected["registered"]["status"] == "Registered"
    assert protected["registered"]["appliance"]["name"] == lab.appliance
    for key in ("push_item", "agent_item"):
        item = protected[key]
        assert_fits(M.ReplicationProtectedItem, item)
        props = item["properties"]
        assert props["protectionState"] == "UnprotectedStatesBegin"
        assert props["protectionStateDescription"] == "Enabling protection"
        assert props["allowedOperations"] == []             # the enable job runs [recorded]
        assert props["currentScenario"]["scenarioName"] == "EnableProtection"     # the item's word for EnableDr
        assert props["currentScenario"]["jobId"].startswith("/Subscriptions/")
        assert props["recoveryFabricId"] == "Microsoft Azure" and props["primaryFabricProvider"] == "InMageRcmFabric"
    push_job, agent_job = protected["jobs"]["core-push-01"], protected["jobs"]["core-agent-01"]
    assert "Installing Mobility Service" in [t.friendly_name for t in push_job.properties.tasks]
    assert "Installing Mobility Service" not in [t.friendly_name for t in agent_job.properties.tasks]
    for job in (push_job, agent_job):
        assert job.properties.state == "Succeeded" and job.properties.target_instance_type == "ProtectionEntity"
        assert all(t.state == "Succeeded" for t in job.properties.tasks)
        assert_fits(M.Job, lab.arm("GET", job.id).json())
    assert isinstance(protected["push"], M.ReplicationProtectedItem)
    details = protected["push"].properties.provider_specific_details
    assert details.instance_type == "InMageRcm" and details.process_server_name == lab.appliance
    assert details.run_as_account_id == lab.run_as["linux-root"]
    assert protected["agent"].properties.provider_specific_details.target_vm_name == "core-agent-01-dr"


def test_initial_replication_then_protected_and_recovery_points(asr_lab, protected):
    lab = asr_lab
    item = _item(lab, "core-agent-01")
    props = item.properties
    assert props.protection_state == "InitialReplicationInProgress"
    first = props.provider_specific_details.initial_replication_progress_percentage
    assert 0 <= first < 100 and props.allowed_operations == ["DisableProtection"]
    assert props.current_scenario.scenario_name == "None"
    assert props.current_scenario.job_id.endswith("/replicationJobs/None")
    lab.advance(600)
    second = _item(lab, "core-agent-01").properties.provider_specific_details
    assert first < second.initial_replication_progress_percentage < 100
    assert second.initial_replication_progress_health == "InProgress"
    assert list(lab.asr.recovery_points.list_by_replication_protected_items(
        lab.rg, lab.vault, lab.fabric, lab.container, "core-agent-01")) == []
    lab.advance(2 * HOUR)                     # 300 s + 45 s/GB x 40 GB of initial replication, then 1 h+
    raw = _raw_item(lab, "core-agent-01")
    assert_fits(M.ReplicationProtectedItem, raw)
    props = raw["properties"]
    assert props["protectionState"] == "Protected"
    # [S] ReplicationProtectedItems_UpdateAppliance: an InMageRcm item has no planned failover
    assert props["allowedOperations"] == ["UnplannedFailover", "DisableProtection", "TestFailover"]
    details = props["providerSpecificDetails"]
    assert details["initialReplicationProgressPercentage"] is None and details["lastRpoInSeconds"] == 45
    assert props["replicationHealth"] == "Normal" and props["failoverHealth"] == "Warning"
    assert [e["errorCode"] for e in props["healthErrors"]] == ["161011"]
    assert details["mobilityAgentDetails"]["version"] == "9.63.0.0"
    assert all(d["isInitialReplicationComplete"] == "true" for d in details["protectedDisks"])
    points = list(lab.asr.recovery_points.list_by_replication_protected_items(
        lab.rg, lab.vault, lab.fabric, lab.container, "core-agent-01"))
    times = [p.properties.recovery_point_time for p in points]
    assert times == sorted(times, reverse=True) and len(points) >= 12
    kinds = {p.properties.recovery_point_type for p in points}
    assert kinds == {"CrashConsistent", "ApplicationConsistent"}
    gaps = {(a - b).total_seconds() for a, b in zip(times, times[1:])}
    assert gaps == {300.0}                                                   # every 5 minutes
    app = [p for p in points if p.properties.recovery_point_type == "ApplicationConsistent"]
    assert {(a.properties.recovery_point_time - b.properties.recovery_point_time).total_seconds()
            for a, b in zip(app, app[1:])} == {3600.0}                     # every 60 minutes
    assert details["lastRecoveryPointId"].endswith("/recoveryPoints/" + points[0].name)
    one = lab.arm("GET", points[0].id).json()
    assert_fits(M.RecoveryPoint, one)
    assert one["properties"]["providerSpecificDetails"]["instanceType"] == "InMageRcm"
    push = _item(lab, "core-push-01").properties
    assert push.protection_state == "Protected"
    assert push.provider_specific_details.mobility_agent_details.version == "9.66.7643.1"   # pushed by the appliance


def test_registered_agents_show_on_the_fabric(asr_lab, protected):
    lab = asr_lab
    agents = lab.arm("GET", lab.fabric_id).json()["properties"]["customDetails"]["agentDetails"]
    machine = lab.machine("core-agent-01")
    mine = [a for a in agents if a["biosId"].lower() == machine["properties"]["biosGuid"].lower()]
    assert len(mine) == 1 and mine[0]["disks"][0]["capacityInBytes"] == 40 * 1024 ** 3
    assert lab.register_agent("core-agent-01", action="heartbeat", version="9.64.0.0")["status"] == "Registered"
    assert _item(lab, "core-agent-01").properties.provider_specific_details.mobility_agent_details.version == \
        "9.64.0.0"


def test_target_compute_sizes_and_vault_wide_list(asr_lab, protected):
    lab = asr_lab
    sizes = list(lab.asr.target_compute_sizes.list_by_replication_protected_items(
        lab.rg, lab.vault, lab.fabric, lab.container, "core-push-01"))
    assert "Standard_D2s_v5" in [s.name for s in sizes]
    raw = lab.arm("GET", "%s/replicationProtectedItems/core-push-01/targetComputeSizes" % lab.container_id).json()
    assert_fits(M.TargetComputeSize, raw["value"][0])
    assert protected["push"].properties.provider_specific_details.target_vm_size == "Standard_B2s"
    everything = list(lab.asr.replication_protected_items.list(lab.rg, lab.vault))
    assert {"core-push-01", "core-agent-01"} <= {i.name for i in everything}
    mine = list(lab.asr.replication_protected_items.list(lab.rg, lab.vault,
                                                         filter="sourceFabricName eq '%s'" % lab.fabric))
    assert {"core-push-01", "core-agent-01"} <= {i.name for i in mine}
    assert list(lab.asr.replication_protected_items.list(lab.rg, lab.vault, filter="instanceType eq 'A2A'")) == []


def test_illegal_calls_are_rejected_without_a_job(asr_lab, protected, policy):
    lab = asr_lab
    lab.create_vm("core-noagent-01", disk_gb=10)
    before = len(_jobs(lab))
    items = lab.asr.replication_protected_items

    def refused(name, body):
        with pytest.raises(HttpResponseError) as err:
            items.begin_create(lab.rg, lab.vault, lab.fabric, lab.container, name, body)
        return _asr_error(err)

    push_input = _enable_input(lab, "core-push-01", policy.id, runAsAccountId=lab.run_as["linux-root"])
    assert refused("core-push-01", push_input)[:2] == (409, "990005")                   # enable twice
    assert refused("core-push-again", push_input)[:2] == (409, "990005")                # same machine
    bogus = _enable_input(lab, "core-noagent-01", policy.id, runAsAccountId=lab.run_as["linux-root"])
    bogus["properties"]["providerSpecificDetails"]["fabricDiscoveryMachineId"] = \
        lab.site_id + "/machines/no-such-machine"
    assert refused("core-x", bogus)[:2] == (400, "990002")                              # unknown machine
    status, code, message = refused("core-x", _enable_input(
        lab, "core-noagent-01", policy.id, runAsAccountId=lab.run_as["linux-root"],
        targetNetworkId=lab.recovery_vnet_id.replace("vnet-dr-recovery", "vnet-missing")))
    assert (status, code) == (400, "990001") and "vnet-missing" in message            # missing target vnet
    status, code, message = refused("core-x", _enable_input(
        lab, "core-noagent-01", policy.id, runAsAccountId=lab.run_as["linux-root"], targetVmSize="Standard_Nope"))
    assert (status, code) == (400, "990001") and "Standard_Nope" in message            # bad size
    status, code, message = refused("core-x", _enable_input(lab, "core-noagent-01", policy.id))
    assert (status, code) == (400, "990006") and "Mobility service" in message         # no agent, no credentials
    spare = lab.asr.replication_policies.get(lab.rg, lab.vault, "core-spare")
    assert refused("core-x", _enable_input(lab, "core-noagent-01", spare.id,
                                           runAsAccountId=lab.run_as["linux-root"]))[:2] == (400, "78253")
    classic = _enable_input(lab, "core-noagent-01", policy.id)
    classic["properties"]["providerSpecificDetails"] = {"instanceType": "InMageAzureV2", "processServerId": "x"}
    assert refused("core-x", classic)[:2] == (400, "990007")
    assert len(_jobs(lab)) == before
    # an action outside allowedOperations, and a disable while a job runs
    with pytest.raises(HttpResponseError) as err:
        items.begin_update(lab.rg, lab.vault, lab.fabric, lab.container, "core-push-01",
                           {"properties": {"providerSpecificDetails": {"instanceType": "InMageRcm",
                                                                       "targetVmSize": "Standard_Nope"}}})
    assert _asr_error(err)[:2] == (400, "990001")
    update = items.begin_update(lab.rg, lab.vault, lab.fabric, lab.container, "core-push-01", {
        "properties": {"providerSpecificDetails": {"instanceType": "InMageRcm", "targetVmSize": "Standard_D2s_v5"}}})
    with pytest.raises(ResourceExistsError) as err:
        items.begin_delete(lab.rg, lab.vault, lab.fabric, lab.container, "core-push-01",
                           {"properties": {"disableProtectionReason": "NotSpecified"}})
    assert _asr_error(err)[:2] == (409, "990004")
    assert len(_jobs(lab)) == before + 1
    updated = _wait(lab, update, 60)
    assert updated.properties.provider_specific_details.target_vm_size == "Standard_D2s_v5"


def test_rpo_and_health_follow_the_source_vm(asr_lab, protected):
    lab = asr_lab
    lab.power("core-agent-01", False)
    lab.discover()                                 # the appliance sees the VM off: data stops flowing
    lab.advance(HOUR + 600)
    raw = _raw_item(lab, "core-agent-01")
    props = raw["properties"]
    assert props["providerSpecificDetails"]["lastRpoInSeconds"] > HOUR
    assert props["replicationHealth"] == "Critical"
    assert "990010" in [e["errorCode"] for e in props["healthErrors"]]
    assert raw["properties"]["providerSpecificDetails"]["discoveredVmDetails"]["powerStatus"] == "OFF"
    newest = lab.asr.recovery_points.list_by_replication_protected_items(
        lab.rg, lab.vault, lab.fabric, lab.container, "core-agent-01")
    assert next(iter(newest)).name.lower() in props["providerSpecificDetails"]["lastRecoveryPointId"].lower()
    lab.discover()                                 # the periodic health check records the change
    events = list(lab.asr.replication_events.list(lab.rg, lab.vault, filter="eventType eq 'VmHealth'"))
    mine = [e for e in events if e.properties.affected_object_friendly_name == "core-agent-01"]
    assert mine and mine[0].properties.severity == "Critical"
    assert_fits(M.Event, lab.arm("GET", mine[0].id).json())
    health = lab.arm("GET", lab.vault_id + "/replicationVaultHealth").json()
    assert_fits(M.VaultHealthDetails, health)
    assert "990010" in [i["summaryCode"] for i in health["properties"]["protectedItemsHealth"]["issues"]]
    refreshed = _wait(lab, lab.asr.replication_vault_health.begin_refresh(lab.rg, lab.vault), 20)
    assert refreshed.properties.fabrics_health.resource_count == 1
    lab.power("core-agent-01", True)
    lab.discover()
    props = _raw_item(lab, "core-agent-01")["properties"]
    assert props["replicationHealth"] == "Normal" and props["providerSpecificDetails"]["lastRpoInSeconds"] == 45


def test_lro_headers_status_and_results(asr_lab):
    lab = asr_lab
    path = lab.vault_id + "/replicationPolicies/core-raw"
    r = lab.arm("PUT", path, {"properties": {"providerSpecificInput": {"instanceType": "InMageRcm"}}})
    assert r.status_code == 202 and r.content == b""
    job_name = r.headers["Location"].split("/operationresults/")[1].split("?")[0]
    assert r.headers["Location"].startswith(lab.sim.url + "/Subscriptions/")
    assert r.headers["Location"].endswith("/replicationPolicies/core-raw/operationresults/%s?api-version=2025-08-01"
                                          % job_name)
    assert r.headers["Azure-AsyncOperation"].endswith("/replicationOperationStatus/%s?api-version=2025-08-01" % job_name)
    assert r.headers["x-ms-request-id"] == "/Subscriptions/" + lab.vault_id[len("/subscriptions/"):] + \
        "/replicationJobs/" + job_name
    assert r.headers["Retry-After"] == "1"
    status = lab.arm("GET", r.headers["Azure-AsyncOperation"]).json()
    assert status["status"] == "InProgress" and status["name"] == job_name and status["error"] is None
    result = lab.arm("GET", r.headers["Location"])
    assert result.status_code == 202 and result.headers["Location"]
    assert lab.arm("GET", path).status_code == 404                     # the policy exists when the job is done
    lab.advance(30)
    status = lab.arm("GET", r.headers["Azure-AsyncOperation"]).json()
    assert status["status"] == "Succeeded" and status["endTime"] >= status["startTime"]
    result = lab.arm("GET", r.headers["Location"])
    assert result.status_code == 200 and result.json()["name"] == "core-raw"
    gone = lab.arm("DELETE", path)
    assert gone.status_code == 202
    lab.advance(30)
    assert lab.arm("GET", gone.headers["Location"]).status_code == 204
    assert lab.arm("DELETE", path).status_code == 204


def test_jobs_list_get_and_filter(asr_lab, protected):
    lab = asr_lab
    everything = _jobs(lab)
    assert everything == sorted(everything, key=lambda j: j.properties.start_time, reverse=True)
    enable = _jobs(lab, jobName="EnableDr")
    assert enable and {j.properties.scenario_name for j in enable} == {"EnableDr"}
    assert {j.properties.friendly_name for j in enable} == {"Enable replication"}
    succeeded = _jobs(lab, jobStatus="Succeeded", affectedObjectTypes="ProtectionEntity")
    assert succeeded and all(j.properties.state == "Succeeded" for j in succeeded)
    assert all(j.properties.target_instance_type == "ProtectionEntity" for j in succeeded)
    assert {j.name for j in _jobs(lab, fabricId=lab.fabric_id)} >= {j.name for j in enable}
    newest = everything[0].properties.start_time.replace(microsecond=0)
    recent = [j.name for j in everything if j.properties.start_time.replace(microsecond=0) >= newest]
    assert [j.name for j in _jobs(lab, startTime=newest.strftime("%Y-%m-%dT%H:%M:%SZ"))] == recent
    job = lab.asr.replication_jobs.get(lab.rg, lab.vault, enable[0].name)
    assert job.properties.tasks and job.properties.tasks[0].task_type == "TaskDetails"
    assert job.properties.custom_details.instance_type == "AsrJobDetails"
    raw = lab.arm("GET", lab.vault_id + "/replicationJobs").json()
    assert_fits(M.Job, raw["value"][0])
    with pytest.raises(HttpResponseError) as err:
        _jobs(lab, color="blue")
    assert err.value.status_code == 400
    exported = _wait(lab, lab.asr.replication_jobs.begin_export(lab.rg, lab.vault, {
        "startTime": newest.strftime("%Y-%m-%dT%H:%M:%SZ")}), 10)
    assert exported.properties.scenario_name == "ExportJobs"
    assert exported.properties.custom_details.instance_type == "ExportJobDetails"


def test_failed_job_restart_and_cancel(asr_lab, policy):
    lab = asr_lab
    lab.create_vm("core-off-01", disk_gb=10, power_on=False)
    poller = lab.asr.replication_protected_items.begin_create(
        lab.rg, lab.vault, lab.fabric, lab.container, "core-off-01",
        _enable_input(lab, "core-off-01", policy.id, runAsAccountId=lab.run_as["linux-root"]))
    lab.advance(400)
    with pytest.raises(HttpResponseError) as err:
        poller.result()
    assert err.value.error.code == "95117"                  # push install: the machine isn't reachable
    job = [j for j in _jobs(lab, jobName="EnableDr") if j.properties.target_object_name == "core-off-01"][0]
    assert job.properties.state == "Failed" and job.properties.allowed_actions == ["Restart"]
    failed = [t for t in job.properties.tasks if t.state == "Failed"]
    assert [t.friendly_name for t in failed] == ["Installing Mobility Service"]
    assert job.properties.errors[0].service_error_details.code == "95117"
    assert_fits(M.Job, lab.arm("GET", job.id).json())
    item = _item(lab, "core-off-01").properties
    assert item.protection_state == "EnablingFailed" and item.allowed_operations == ["DisableProtection"]
    lab.power("core-off-01", True)
    lab.discover()
    restart = lab.asr.replication_jobs.begin_restart(lab.rg, lab.vault, job.name).result()
    assert restart.properties.scenario_name == "RestartJob"
    assert lab.asr.replication_jobs.get(lab.rg, lab.vault, job.name).properties.state == "InProgress"
    lab.advance(400)
    assert lab.asr.replication_jobs.get(lab.rg, lab.vault, job.name).properties.state == "Succeeded"
    assert _item(lab, "core-off-01").properties.protection_state == "InitialReplicationInProgress"
    # cancel: a running job stops, its callbacks never run
    pending = lab.asr.replication_policies.begin_create(lab.rg, lab.vault, "core-cancelled", {
        "properties": {"providerSpecificInput": {"instanceType": "InMageRcm"}}})
    job = [j for j in _jobs(lab, jobStatus="InProgress") if j.properties.target_object_name == "core-cancelled"][0]
    cancelled = lab.asr.replication_jobs.begin_cancel(lab.rg, lab.vault, job.name).result()
    assert cancelled.properties.state == "Cancelled" and cancelled.properties.allowed_actions == []
    lab.advance(60)
    with pytest.raises(HttpResponseError):
        pending.result()
    assert "core-cancelled" not in [p.name for p in lab.asr.replication_policies.list(lab.rg, lab.vault)]
    with pytest.raises(HttpResponseError) as err:
        lab.asr.replication_jobs.begin_resume(lab.rg, lab.vault, job.name, {"properties": {"comments": ""}})
    assert _asr_error(err)[:2] == (400, "990009")


def test_disable_and_purge(asr_lab, protected, policy):
    lab = asr_lab
    items = lab.asr.replication_protected_items
    poller = items.begin_delete(lab.rg, lab.vault, lab.fabric, lab.container, "core-push-01",
                                {"properties": {"disableProtectionReason": "NotSpecified"}})
    props = _item(lab, "core-push-01").properties
    assert props.protection_state == "DisablingProtection" and props.allowed_operations == []
    assert props.current_scenario.scenario_name == "DisableDr"
    assert _wait(lab, poller, 90) is None
    assert "core-push-01" not in [i.name for i in items.list(lab.rg, lab.vault)]
    # purge (forced): while the enable job runs, which is cancelled
    lab.create_vm("core-purge-01", disk_gb=10)
    items.begin_create(lab.rg, lab.vault, lab.fabric, lab.container, "core-purge-01",
                       _enable_input(lab, "core-purge-01", policy.id, runAsAccountId=lab.run_as["linux-root"]))
    assert _wait(lab, items.begin_purge(lab.rg, lab.vault, lab.fabric, lab.container, "core-purge-01"), 30) is None
    assert "core-purge-01" not in [i.name for i in items.list(lab.rg, lab.vault)]
    mine = {j.properties.scenario_name: j.properties.state for j in _jobs(lab, targetObjectName="core-purge-01")}
    assert mine == {"EnableDr": "Cancelled", "PurgeProtection": "Succeeded"}


def test_job_survives_a_simulator_restart(asr_lab, policy):
    lab = asr_lab
    lab.create_vm("core-restart-01", disk_gb=10)
    lab.asr.replication_protected_items.begin_create(
        lab.rg, lab.vault, lab.fabric, lab.container, "core-restart-01",
        _enable_input(lab, "core-restart-01", policy.id, runAsAccountId=lab.run_as["linux-root"]))
    job = [j for j in _jobs(lab, jobStatus="InProgress") if j.properties.target_object_name == "core-restart-01"][0]
    lab.advance(100)                                  # prerequisites done, the push install runs
    states = [t.state for t in lab.asr.replication_jobs.get(lab.rg, lab.vault, job.name).properties.tasks]
    assert states[:2] == ["Succeeded", "Succeeded"] and "NotStarted" in states
    lab.restart()
    lab.advance(400)
    done = lab.asr.replication_jobs.get(lab.rg, lab.vault, job.name)
    assert done.properties.state == "Succeeded"
    assert [t.state for t in done.properties.tasks] == ["Succeeded"] * 5
    tasks = lab.arm("GET", done.id).json()["properties"]["tasks"]
    started = [t for t in tasks if t["friendlyName"] == "Starting initial replication"][0]["endTime"]
    for _round in range(2):                          # later requests don't run the callbacks again
        disk = _raw_item(lab, "core-restart-01")["properties"]["providerSpecificDetails"]["protectedDisks"][0]
        assert disk["irDetails"]["startTime"] == started
        lab.advance(10)
    _wait(lab, lab.asr.replication_protected_items.begin_purge(lab.rg, lab.vault, lab.fabric, lab.container,
                                                               "core-restart-01"), 30)


def test_engine_faults_apply_to_asr(asr_lab):
    lab = asr_lab
    lab.sim.admin.set_faults([{"name": "asr-503", "match": {"method": "GET", "path_regex": "/replicationJobs$"},
                               "error_rate": 1.0, "error_statuses": [503], "count": 2}], seed=1)
    assert _jobs(lab)                                 # the SDK retries the two 503s (faults cleared after the test)
    assert lab.sim.admin.faults()["rules"][0]["hits"] == 2


def test_mapping_removal_refused_while_items_use_it(asr_lab, protected):
    lab = asr_lab
    with pytest.raises(HttpResponseError) as err:
        lab.asr.replication_protection_container_mappings.begin_delete(
            lab.rg, lab.vault, lab.fabric, lab.container, "core-mapping", {"properties": {}})
    assert _asr_error(err)[:2] == (400, "990008")


def test_job_engine_stages_manual_tasks_and_exactly_once(tmp_path):
    """The job engine in-process: parallel tasks of a stage, stages in order, a manual task suspends
    the job until resumed, each callback runs once at its time, a failing callback fails the job."""
    import copy
    from drlab.azure import config as configmod
    from drlab.azure.providers.siterecovery import jobs
    from drlab.azure.server import App
    from drlab.settings import Settings
    app = App(Settings(state_dir=str(tmp_path)), configmod.load(), str(tmp_path), "https://127.0.0.1:1")
    calls = []
    jobs.register_callback("test.record", lambda ctx, job, task: calls.append((task["name"], jobs.task_end(task))))

    def boom(ctx, job, task):
        raise jobs.errors.asr_error(400, "990999", "boom")
    jobs.register_callback("test.boom", boom)
    vault = "/subscriptions/%s/resourceGroups/rg/providers/Microsoft.RecoveryServices/vaults/v" % (
        app.settings.subscription_id)
    # lab time stands still unless the test moves it: the job starts at t0 and every task ends at t0 + its
    # durations, however long the machine takes between two lines (at the default scale 60, 10 ms of real time
    # were 0.6 lab seconds: 46 == 45 under load)
    app.clock.set_scale(0)
    try:
        with app.store.transaction():
            ctx = app.engine.admin_context()
            ctx.put("/subscriptions/%s/resourceGroups/rg" % app.settings.subscription_id, {"location": "westeurope"})
            ctx.put(vault, {"location": "westeurope", "properties": {}})
            t0 = app.clock.now_epoch()
            job = jobs.start_job(ctx, vault, scenario="Drill", friendly_name="Drill", target_id=vault + "/x",
                                 target_name="x", target_type="Other", tasks=[
                                     jobs.Task("a", duration=10, callback="test.record", stage=0),
                                     jobs.Task("b", duration=30, callback="test.record", stage=0),
                                     jobs.Task("gate", manual=True, stage=1, state_description="WaitingForGate"),
                                     jobs.Task("c", duration=5, callback="test.record", stage=2)])
            assert jobs.active_job(ctx, vault + "/x")["id"] == job["id"]
            assert calls == []      # nothing is due before lab time moves
        app.clock.advance(40)
        with app.store.transaction():
            ctx = app.engine.admin_context()
            jobs.advance(ctx)
            jobs.advance(ctx)
            job = ctx.get(job["id"])
            assert [(n, t - t0) for n, t in calls] == [("a", 10), ("b", 30)]
            assert job["properties"]["state"] == "Suspended"
            assert job["properties"]["stateDescription"] == "WaitingForGate"
            assert jobs.render_job(job)["properties"]["allowedActions"] == ["Cancel", "Resume"]
            job = jobs.resume(ctx, job)
        app.clock.advance(5)
        with app.store.transaction():
            ctx = app.engine.admin_context()
            jobs.advance(ctx)
            job = ctx.get(job["id"])
            assert job["properties"]["state"] == "Succeeded" and [n for n, _t in calls] == ["a", "b", "c"]
            assert calls[2][1] - t0 == 45 and jobs.active_job(ctx, vault + "/x") is None
            rendered = jobs.render_job(copy.deepcopy(job))
            assert_fits(M.Job, rendered)
            assert [t["state"] for t in rendered["properties"]["tasks"]] == ["Succeeded"] * 4
            failing = jobs.start_job(ctx, vault, scenario="Fail", friendly_name="Fail", target_id=vault + "/y",
                                     target_name="y", target_type="Other",
                                     tasks=[jobs.Task("f", duration=0, callback="test.boom")])
            assert failing["properties"]["state"] == "Failed"
            assert failing["_lab"]["status_error"]["code"] == "990999"
    finally:
        app.close()
