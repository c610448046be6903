"""The InMageRcm lifecycle of one replicated item, through the real SDK (begin_* pollers) against the
lab (session fixture `asr_lab`: private vcsim + Azure simulator with the lab appliance):

    enable -> Protected -> test failover -> cleanup -> a second drill -> failover (shutdown) -> change
    recovery point -> commit -> reprotect to on-premises -> planned failover back -> cancel -> planned
    failover back -> commit -> reprotect to Azure -> Protected -> agent maintenance -> a drill -> disable

and, on other items, a failback to an alternate location reprotected before each commit, and a purge during
a drill. States, allowedOperations, job and task names are vocabulary.py's (recorded where a recording shows
them, else the lab's guesses: the failback commit's PlannedFailoverCommitted).

At every step: protectionState, activeLocation, testFailoverState, allowedOperations (none while a job
runs), the job (tasks, customDetails), the side effects (Compute/Network resources, the VM's power state
in vcsim), illegal calls refused ASR-style with no job, and every payload against the SDK models
(fidelity). Lab time is advanced through the admin API, so the whole life takes a few seconds of real time.

The steps run in order (one module, one item `life-01`, the other items after it); each test starts where
the previous left it.
"""
import json

import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.network import NetworkManagementClient
from azure.mgmt.recoveryservicessiterecovery import models as M

from drlab.azure.providers.siterecovery import errors, vocabulary
from drlab.testing.fidelity import assert_fits

VM = "life-01"
TARGET_NAME = "life-01-dr"
TEST_VM = TARGET_NAME + "-test"
RG = "rg-dr-lab"            # drlab.seed's resource group (the target of the item)


# -- helpers -----------------------------------------------------------------------------------------

def _asr_error(err):
    body = json.loads(err.value.response.text())
    detail = body["error"]["details"][0]
    assert detail["code"].isdigit() and detail["possibleCauses"] is not None
    return err.value.status_code, detail["code"], body["error"]["message"]


class Life:
    def __init__(self, lab):
        self.lab = lab
        self.items = lab.asr.replication_protected_items
        self.compute = lab.sim.client(ComputeManagementClient)
        self.network = lab.sim.client(NetworkManagementClient)

    def raw(self):
        body = self.lab.arm("GET", "%s/replicationProtectedItems/%s" % (self.lab.container_id, VM)).json()
        assert_fits(M.ReplicationProtectedItem, body)
        return body

    def props(self):
        return self.raw()["properties"]

    def call(self, method, *args, advance=0):
        """Start an action with the SDK, let lab time pass, return the poller's result."""
        poller = getattr(self.items, "begin_" + method)(self.lab.rg, self.lab.vault, self.lab.fabric,
                                                        self.lab.container, VM, *args)
        if advance:
            self.lab.advance(advance)
        result = poller.result()
        assert isinstance(result, M.ReplicationProtectedItem) and result.name == VM
        return result

    def jobs(self):
        return list(self.lab.asr.replication_jobs.list(self.lab.rg, self.lab.vault,
                                                       filter="targetObjectName eq '%s'" % VM))

    def last_job(self, scenario):
        found = [j for j in self.jobs() if j.properties.scenario_name == scenario]
        assert found, scenario
        job = found[0]
        raw = self.lab.arm("GET", job.id).json()
        assert_fits(M.Job, raw)
        return raw["properties"]

    def refused(self, method, *args):
        """The call is refused ASR-style and starts no job: (status, code, message)."""
        before = len(self.jobs())
        with pytest.raises(HttpResponseError) as err:
            getattr(self.items, "begin_" + method)(self.lab.rg, self.lab.vault, self.lab.fabric,
                                                   self.lab.container, VM, *args)
        assert len(self.jobs()) == before
        return _asr_error(err)

    def vm_names(self):
        return {v.name for v in self.compute.virtual_machines.list(RG)}

    def nics(self, prefix):
        return [n for n in self.network.network_interfaces.list(RG) if n.name.startswith(prefix)]

    def disks(self, prefix):
        return [d for d in self.compute.disks.list_by_resource_group(RG) if d.name.startswith(prefix)]

    def power(self):
        return str(self.lab.vm(VM).runtime.powerState)

    def azure_power(self, name):
        view = self.compute.virtual_machines.instance_view(RG, name)
        return [s.code for s in view.statuses if s.code.startswith("PowerState/")][0]


def _tasks(job):
    return [t["friendlyName"] for t in job["tasks"]]


def _not_allowed(status_code):
    status, code, message = status_code
    assert (status, code) == (400, "990003"), status_code
    return message


def _create_source_vm(lab, name, disk_gb):
    """A powered-on VM (4 GB, 2 vCPUs) in the lab vCenter, then a discovery sync. Its disk is created with
    capacityInKB only: vcsim then reports capacityInBytes 0, and the appliance takes the size from
    capacityInKB (the initial replication's duration and the failover disk's size below depend on it)."""
    from pyVim.task import WaitForTask
    from pyVmomi import vim
    content = lab.si.RetrieveContent()
    dc = next(e for e in content.rootFolder.childEntity if isinstance(e, vim.Datacenter))
    view = content.viewManager.CreateContainerView(dc.hostFolder, [vim.ClusterComputeResource], True)
    cluster = view.view[0]
    view.Destroy()
    net = next(n for n in dc.network if n.name == "Prod-App")
    devices = [
        vim.vm.device.VirtualDeviceSpec(operation="add", device=vim.vm.device.ParaVirtualSCSIController(
            key=1000, busNumber=0, sharedBus="noSharing")),
        vim.vm.device.VirtualDeviceSpec(operation="add", fileOperation="create", device=vim.vm.device.VirtualDisk(
            key=2000, controllerKey=1000, unitNumber=0, capacityInKB=disk_gb << 20,
            backing=vim.vm.device.VirtualDisk.FlatVer2BackingInfo(diskMode="persistent", thinProvisioned=True,
                                                                  fileName="[ds-prod-01]"))),
        vim.vm.device.VirtualDeviceSpec(operation="add", device=vim.vm.device.VirtualVmxnet3(
            key=4000, backing=vim.vm.device.VirtualEthernetCard.NetworkBackingInfo(network=net, deviceName="Prod-App"),
            connectable=vim.vm.device.VirtualDevice.ConnectInfo(startConnected=True, connected=True),
            addressType="generated"))]
    spec = vim.vm.ConfigSpec(name=name, memoryMB=4096, numCPUs=2, guestId="ubuntu64Guest",
                             files=vim.vm.FileInfo(vmPathName="[ds-prod-01]"), deviceChange=devices)
    WaitForTask(dc.vmFolder.CreateVM_Task(config=spec, pool=cluster.resourcePool))
    lab.power(name, True)
    lab.discover()


@pytest.fixture(scope="module")
def life(asr_lab, asr_manual_clock):
    """life-01 (a new vcsim VM, its agent registered) protected with an InMageRcm policy; a failback policy.
    Lab time moves by the tests' advance() calls only (asr_manual_clock)."""
    lab = asr_lab
    policy = lab.asr.replication_policies.begin_create(lab.rg, lab.vault, "life-policy", {"properties": {
        "providerSpecificInput": {"instanceType": "InMageRcm", "recoveryPointHistoryInMinutes": 1440,
                                  "crashConsistentFrequencyInMinutes": 5, "appConsistentFrequencyInMinutes": 60,
                                  "enableMultiVmSync": "true"}}})
    failback = lab.asr.replication_policies.begin_create(lab.rg, lab.vault, "life-failback", {"properties": {
        "providerSpecificInput": {"instanceType": "InMageRcmFailback", "crashConsistentFrequencyInMinutes": 5,
                                  "appConsistentFrequencyInMinutes": 60}}})
    lab.advance(60)
    policy, failback = policy.result(), failback.result()
    mapping = lab.asr.replication_protection_container_mappings.begin_create(
        lab.rg, lab.vault, lab.fabric, lab.container, "life-mapping",
        {"properties": {"targetProtectionContainerId": "Microsoft Azure", "policyId": policy.id,
                        "providerSpecificInput": {"instanceType": "InMageRcm"}}})
    lab.advance(60)
    mapping.result()
    _create_source_vm(lab, VM, disk_gb=20)
    lab.register_agent(VM)
    machine = lab.machine(VM)
    enable = lab.asr.replication_protected_items.begin_create(lab.rg, lab.vault, lab.fabric, lab.container, VM, {
        "properties": {"policyId": policy.id, "providerSpecificDetails": {
            "instanceType": "InMageRcm", "fabricDiscoveryMachineId": machine["id"],
            "processServerId": lab.process_server_id, "targetResourceGroupId": lab.target_rg_id,
            "targetNetworkId": lab.recovery_vnet_id, "targetSubnetName": "app", "testNetworkId": lab.test_vnet_id,
            "testSubnetName": "default", "targetVmName": TARGET_NAME, "targetVmSize": "Standard_D2s_v3",
            "disksDefault": {"logStorageAccountId": lab.storage_account_id, "diskType": "StandardSSD_LRS"}}}})
    lab.advance(300)
    enable.result()
    lab.advance(300 + 45 * 20 + 3600)         # initial replication of 20 GB, then an hour of recovery points
    out = Life(lab)
    out.policy, out.failback_policy, out.machine = policy, failback, machine
    assert out.props()["protectionState"] == "Protected"
    return out


# -- the life ------------------------------------------------------------------------------------------

def test_protected_and_illegal_first_steps(life):
    props = life.props()
    assert (props["protectionState"], props["activeLocation"], props["testFailoverState"]) == \
        ("Protected", "Primary", "None")
    assert "TestFailover" in props["allowedOperations"] and "UnplannedFailover" in props["allowedOperations"]
    assert _not_allowed(life.refused("failover_commit"))                                   # commit before failover
    assert _not_allowed(life.refused("test_failover_cleanup", {"properties": {"comments": "x"}}))
    assert _not_allowed(life.refused("reprotect", {"properties": {"providerSpecificDetails": {
        "instanceType": "InMageRcm", "reprotectAgentId": life.lab.reprotect_agent_id, "datastoreName": "ds-prod-01",
        "logStorageAccountId": life.lab.storage_account_id}}}))
    # VMware -> Azure has no planned failover (only InMageRcmFailback takes a plannedFailover input)
    message = _not_allowed(life.refused("planned_failover", {"properties": {"failoverDirection": "PrimaryToRecovery"}}))
    assert "plannedFailover" in message and "InMageRcm" in message
    # input errors: no job either
    status, code, message = life.refused("unplanned_failover", {"properties": {
        "failoverDirection": "PrimaryToRecovery", "providerSpecificDetails": {"instanceType": "InMageRcm"}}})
    assert (status, code) == (400, "990001") and "performShutdown" in message
    status, code, _msg = life.refused("test_failover", {"properties": {
        "failoverDirection": "PrimaryToRecovery", "networkType": "VmNetworkAsInput",
        "providerSpecificDetails": {"instanceType": "InMageRcm", "networkId": life.lab.test_vnet_id + "-nope"}}})
    assert (status, code) == (400, "990001")
    status, code, _msg = life.refused("test_failover", {"properties": {
        "failoverDirection": "PrimaryToRecovery", "providerSpecificDetails": {
            "instanceType": "InMageRcm", "recoveryPointId": life.lab.container_id + "/x/recoveryPoints/nope"}}})
    assert (status, code) == (400, "990001")


def test_test_failover_creates_the_test_vm_in_the_test_network(life):
    lab = life.lab
    latest = next(iter(lab.asr.recovery_points.list_by_replication_protected_items(
        lab.rg, lab.vault, lab.fabric, lab.container, VM)))
    result = life.call("test_failover", {"properties": {
        "failoverDirection": "PrimaryToRecovery", "networkType": "VmNetworkAsInput", "networkId": lab.test_vnet_id,
        "providerSpecificDetails": {"instanceType": "InMageRcm", "networkId": lab.test_vnet_id}}}, advance=600)
    props = life.props()
    assert result.properties.test_failover_state == "WaitingForCompletion"
    assert (props["protectionState"], props["protectionStateDescription"]) == \
        ("Protected", "Cleanup test failover pending")
    assert props["testFailoverStateDescription"] == "Waiting for user input"
    assert props["allowedOperations"] == ["TestFailoverCleanup"]          # [S] ReplicationProtectedItems_TestFailover
    assert props["activeLocation"] == "Primary"

    job = life.last_job("TestFailover")
    assert job["state"] == "Succeeded" and job["friendlyName"] == "Test failover"
    assert _tasks(job) == ["Prerequisites check for test failover", "Create test virtual machine",
                           "Preparing the virtual machine", "Start the virtual machine"]
    details = job["customDetails"]
    assert details["instanceType"] == "TestFailoverJobDetails" and details["networkName"] == "vnet-dr-test"
    item_details = details["protectedItemDetails"][0]
    assert item_details["testVmName"] == TEST_VM and item_details["subnet"] == "default"
    assert item_details["recoveryPointId"].lower() == latest.id.lower()
    assert item_details["recoveryPointTime"].startswith(latest.properties.recovery_point_time.strftime("%Y-%m-%dT%H:%M"))

    vm = life.compute.virtual_machines.get(RG, TEST_VM)
    assert vm.hardware_profile.vm_size == "Standard_D2s_v3" and life.azure_power(TEST_VM) == "PowerState/running"
    nic = life.network.network_interfaces.get(RG, "nic-%s-00-test" % TARGET_NAME)
    assert nic.ip_configurations[0].subnet.id.lower() == (lab.test_vnet_id + "/subnets/default").lower()
    assert nic.virtual_machine.id.lower() == vm.id.lower()
    assert [d.name for d in life.disks(TARGET_NAME)] == ["%s-OSdisk-00-test" % TARGET_NAME]
    assert life.power() == "poweredOn"                    # a drill does not touch the source
    # no disable while the test VM exists: ASR asks for the cleanup first (the test VM would be orphaned)
    status, code, message = life.refused("delete", {"properties": {"disableProtectionReason": "NotSpecified"}})
    assert (status, code) == (400, errors.TEST_FAILOVER_PENDING) and "testFailoverCleanup" in message
    assert TEST_VM in life.vm_names() and life.props()["testFailoverState"] == "WaitingForCompletion"
    # during the drill: no failover, no second drill
    assert _not_allowed(life.refused("unplanned_failover", {"properties": {"providerSpecificDetails": {
        "instanceType": "InMageRcm", "performShutdown": "false"}}}))
    assert _not_allowed(life.refused("test_failover", {"properties": {"networkId": lab.test_vnet_id}}))


def test_cleanup_removes_the_test_vm(life):
    result = life.call("test_failover_cleanup", {"properties": {"comments": "drill ok"}}, advance=300)
    props = life.props()
    # MarkedForDeletion stays after the cleanup, and a drill is allowed again [recorded: TestV2ARCMFailover#11]
    assert result.properties.test_failover_state == "MarkedForDeletion"
    assert props["testFailoverStateDescription"] == "Cleaning up test environment"
    assert (props["protectionState"], props["protectionStateDescription"]) == ("Protected", "Protected")
    assert props["allowedOperations"] == ["UnplannedFailover", "DisableProtection", "TestFailover"]
    assert props["lastSuccessfulTestFailoverTime"] == life.last_job("TestFailover")["startTime"]
    assert "161011" not in [e["errorCode"] for e in props["healthErrors"]]      # "no test failover" is gone
    job = life.last_job("TestFailoverCleanup")
    assert job["customDetails"]["comments"] == "drill ok"
    assert [t["name"] for t in job["tasks"]] == list(vocabulary.job("test_failover_cleanup").tasks)
    assert _tasks(job)[-1] == "Delete the test virtual machine"
    assert TEST_VM not in life.vm_names() and not life.nics("nic-%s" % TARGET_NAME) and not life.disks(TARGET_NAME)
    assert _not_allowed(life.refused("test_failover_cleanup", {"properties": {"comments": "again"}}))


def test_a_second_drill_after_the_cleanup(life):
    """MarkedForDeletion allows TestFailover [recorded]: a second drill makes the test VM again (same names, the
    first one's are gone) and its cleanup removes it; the item ends as after the first."""
    lab = life.lab
    life.call("test_failover", {"properties": {
        "failoverDirection": "PrimaryToRecovery", "networkType": "VmNetworkAsInput",
        "providerSpecificDetails": {"instanceType": "InMageRcm"}}}, advance=600)
    props = life.props()
    assert (props["testFailoverState"], props["allowedOperations"]) == ("WaitingForCompletion", ["TestFailoverCleanup"])
    assert life.azure_power(TEST_VM) == "PowerState/running"
    nic = life.network.network_interfaces.get(RG, "nic-%s-00-test" % TARGET_NAME)      # the item's testNetworkId
    assert nic.ip_configurations[0].subnet.id.lower() == (lab.test_vnet_id + "/subnets/default").lower()
    life.call("test_failover_cleanup", {"properties": {"comments": "second"}}, advance=300)
    props = life.props()
    assert (props["testFailoverState"], props["allowedOperations"]) == \
        ("MarkedForDeletion", ["UnplannedFailover", "DisableProtection", "TestFailover"])
    assert TEST_VM not in life.vm_names() and not life.nics("nic-%s" % TARGET_NAME) and not life.disks(TARGET_NAME)
    assert props["lastSuccessfulTestFailoverTime"] == life.last_job("TestFailover")["startTime"]


def test_failover_shuts_the_source_down_and_creates_the_azure_vm(life):
    lab = life.lab
    points = list(lab.asr.recovery_points.list_by_replication_protected_items(
        lab.rg, lab.vault, lab.fabric, lab.container, VM))
    assert life.power() == "poweredOn"
    poller = life.items.begin_unplanned_failover(lab.rg, lab.vault, lab.fabric, lab.container, VM, {"properties": {
        "failoverDirection": "PrimaryToRecovery", "sourceSiteOperations": "Required",
        "providerSpecificDetails": {"instanceType": "InMageRcm", "performShutdown": "true"}}})
    lab.advance(60)
    running = life.props()            # while the job runs the item allows nothing; its scenario is the job's
    assert running["allowedOperations"] == [] and running["currentScenario"]["scenarioName"] == "UnplannedFailover"
    lab.advance(840)
    result = poller.result()
    props = life.props()
    assert (props["protectionState"], props["protectionStateDescription"], props["activeLocation"]) == \
        ("UnplannedFailoverCommitPendingStatesBegin", "Failover completed", "Recovery")
    assert result.properties.active_location == "Recovery"
    # [recorded: TestV2ARCMCommit#11] no CancelFailover: a failover to Azure cannot be canceled
    assert props["allowedOperations"] == ["CompleteMigration", "Commit", "DisableProtection", "ChangePit",
                                          "SwitchProtection"]
    assert props["currentScenario"]["scenarioName"] == "None"
    assert props["failoverRecoveryPointId"].lower() == points[0].id.lower()
    assert props["lastSuccessfulFailoverTime"] is not None
    assert life.power() == "poweredOff"                                             # performShutdown

    job = life.last_job("UnplannedFailover")
    assert [t["name"] for t in job["tasks"]] == list(vocabulary.job("unplanned_failover").tasks)
    assert _tasks(job) == ["Prerequisites check for failover", "Shut down the virtual machine",
                           "Start failover", "Starting Azure virtual machine"]
    shutdown = job["tasks"][1]
    assert shutdown["state"] == "Succeeded" and shutdown["errors"] == []
    details = job["customDetails"]
    assert details["instanceType"] == "FailoverJobDetails"
    item_details = details["protectedItemDetails"][0]
    assert item_details["recoveryPointId"].lower() == points[0].id.lower()
    assert item_details["networkFriendlyName"] == "vnet-dr-recovery" and item_details["subnet"] == "app"

    vm = life.compute.virtual_machines.get(RG, TARGET_NAME)
    assert vm.hardware_profile.vm_size == "Standard_D2s_v3" and life.azure_power(TARGET_NAME) == "PowerState/running"
    nic = life.network.network_interfaces.get(RG, "nic-%s-00" % TARGET_NAME)
    assert nic.ip_configurations[0].subnet.id.lower() == (lab.recovery_vnet_id + "/subnets/app").lower()
    os_disk = life.compute.disks.get(RG, "%s-OSdisk-00" % TARGET_NAME)
    assert (os_disk.sku.name, os_disk.disk_size_gb, os_disk.disk_state) == ("StandardSSD_LRS", 20, "Attached")
    # a reprotect is allowed before the commit (SwitchProtection), but its input is still checked (no job);
    # a failover to Azure cannot be canceled; no second failover
    status, code, message = life.refused("reprotect", {"properties": {"providerSpecificDetails": {
        "instanceType": "InMageRcm", "reprotectAgentId": lab.reprotect_agent_id, "datastoreName": "ds-nope",
        "logStorageAccountId": lab.storage_account_id, "policyId": life.failback_policy.id}}})
    assert (status, code) == (400, "990001") and "ds-nope" in message
    assert "failoverCancel" in _not_allowed(life.refused("failover_cancel"))
    assert _not_allowed(life.refused("unplanned_failover", {"properties": {"providerSpecificDetails": {
        "instanceType": "InMageRcm", "performShutdown": "false"}}}))
    life.points = points


def test_change_recovery_point_before_the_commit(life):
    older = life.points[2]
    life.call("apply_recovery_point", {"properties": {"recoveryPointId": older.id, "providerSpecificDetails": {
        "instanceType": "InMageRcm", "recoveryPointId": older.id}}}, advance=400)
    props = life.props()
    assert props["failoverRecoveryPointId"].lower() == older.id.lower()
    assert props["providerSpecificDetails"]["failoverRecoveryPointId"].lower() == older.id.lower()
    assert props["protectionState"] == "UnplannedFailoverCommitPendingStatesBegin"
    job = life.last_job(vocabulary.job("change_recovery_point").scenario)
    assert job["customDetails"]["protectedItemDetails"][0]["recoveryPointId"].lower() == older.id.lower()
    assert life.azure_power(TARGET_NAME) == "PowerState/running"


def test_commit(life):
    lab = life.lab
    life.call("failover_commit", advance=120)
    props = life.props()
    assert (props["protectionState"], props["protectionStateDescription"], props["activeLocation"]) == \
        ("UnplannedFailoverCommitted", "Failover committed", "Recovery")           # [recorded]
    assert props["allowedOperations"] == ["CompleteMigration", "DisableProtection", "SwitchProtection"]
    job = life.last_job("CommitFailover")
    assert [t["name"] for t in job["tasks"]] == list(vocabulary.job("commit").tasks)
    assert list(lab.asr.recovery_points.list_by_replication_protected_items(
        lab.rg, lab.vault, lab.fabric, lab.container, VM)) == []                   # the commit deletes them
    assert TARGET_NAME in life.vm_names()
    assert _not_allowed(life.refused("failover_commit"))                          # a rerun


def test_reprotect_to_on_premises(life):
    lab = life.lab
    reprotect = {"instanceType": "InMageRcm", "reprotectAgentId": lab.reprotect_agent_id,
                 "datastoreName": "ds-prod-01", "logStorageAccountId": lab.storage_account_id,
                 "policyId": life.failback_policy.id}
    poller = life.items.begin_reprotect(lab.rg, lab.vault, lab.fabric, lab.container, VM, {"properties": {
        "failoverDirection": "RecoveryToPrimary", "providerSpecificDetails": reprotect}})
    lab.advance(200)
    # the job switched the item to the failback provider and protects the replica [recorded]
    props = life.props()
    assert (props["providerSpecificDetails"]["instanceType"], props["activeLocation"], props["protectionState"]) == \
        ("InMageRcmFailback", "Primary", "InitialReplicationStartInProgress")
    assert props["allowedOperations"] == [] and props["currentScenario"]["scenarioName"] == "EnableProtection"
    lab.advance(100)
    result = poller.result()
    details = result.properties.provider_specific_details
    assert isinstance(details, M.InMageRcmFailbackReplicationDetails)
    assert details.target_data_store_name == "ds-prod-01" and details.reprotect_agent_id == lab.reprotect_agent_id
    props = life.props()
    assert (props["protectionState"], props["activeLocation"]) == ("InitialReplicationInProgress", "Primary")
    assert props["allowedOperations"] == ["DisableProtection"]
    assert life.power() == "poweredOff"                  # original location: the on-premises VM stays off
    job = life.last_job("SwitchReplicationGroupProtection")
    assert [t["name"] for t in job["tasks"]] == list(vocabulary.job("reprotect").tasks)
    assert job["tasks"][1]["state"] == "Other"           # VmCommitFailover: committed already
    assert "Prepare the on-premises virtual machine" in _tasks(job)
    lab.advance(300 + 45 * 20 + 60)
    props = life.props()
    assert (props["protectionState"], props["activeLocation"]) == ("Protected", "Primary")
    assert props["allowedOperations"] == ["PlannedFailover", "DisableProtection"]


def test_failback_planned_failover_then_cancel_then_again(life):
    lab = life.lab
    body = {"properties": {"failoverDirection": "RecoveryToPrimary", "providerSpecificDetails": {
        "instanceType": "InMageRcmFailback", "recoveryPointType": "CrashConsistent"}}}
    status, code, message = life.refused("planned_failover", {"properties": {"providerSpecificDetails": {
        "instanceType": "InMageRcmFailback"}}})
    assert (status, code) == (400, "990001") and "recoveryPointType" in message
    poller = life.items.begin_planned_failover(lab.rg, lab.vault, lab.fabric, lab.container, VM, body)
    lab.advance(60)
    props = life.props()                         # [recorded] while the planned failover runs
    assert (props["protectionState"], props["protectionStateDescription"], props["allowedOperations"]) == \
        ("PlannedFailoverTransitionStatesBegin", "Planned failover was initiated", [])
    assert props["currentScenario"]["scenarioName"] == "PlannedFailover"
    lab.advance(340)
    poller.result()
    props = life.props()
    assert (props["protectionState"], props["protectionStateDescription"], props["activeLocation"]) == \
        ("CommitPendingStatesBegin", "Planned failover finished", "Recovery")
    assert props["allowedOperations"] == ["CompleteMigration", "Commit", "DisableProtection", "SwitchProtection",
                                          "CancelFailover"]
    assert props["providerSpecificDetails"]["lastPlannedFailoverStatus"] == "Succeeded"
    assert life.power() == "poweredOn"                                               # back on-premises
    assert life.azure_power(TARGET_NAME) == "PowerState/deallocated"                # Azure VM shut down
    job = life.last_job("PlannedFailover")
    assert job["friendlyName"] == "Planned failover"
    assert [t["name"] for t in job["tasks"]] == list(vocabulary.job("planned_failover").tasks)
    point = job["customDetails"]["protectedItemDetails"][0]
    assert point["recoveryPointId"].lower() == props["failoverRecoveryPointId"].lower()
    assert point["recoveryPointTime"] is not None
    # the failback's recovery point (the latest changes of the Azure VM) is a recovery point of the item
    raw = lab.arm("GET", props["failoverRecoveryPointId"])
    assert raw.status_code == 200
    assert_fits(M.RecoveryPoint, raw.json())
    got = lab.asr.recovery_points.get(lab.rg, lab.vault, lab.fabric, lab.container, VM,
                                      props["failoverRecoveryPointId"].rsplit("/", 1)[-1])
    assert (got.properties.recovery_point_type, got.properties.recovery_point_time.isoformat()[:19]) == \
        ("CrashConsistent", point["recoveryPointTime"][:19])
    listed = list(lab.asr.recovery_points.list_by_replication_protected_items(
        lab.rg, lab.vault, lab.fabric, lab.container, VM))
    assert listed[0].id.lower() == props["failoverRecoveryPointId"].lower()          # the newest
    assert len(listed) > 1                         # and the failback policy's points since the reprotect
    first = props["failoverRecoveryPointId"]

    life.call("failover_cancel", advance=300)
    props = life.props()
    # back to where the planned failover started: replicating from Azure, active at Primary
    assert (props["protectionState"], props["activeLocation"]) == ("Protected", "Primary")
    assert props["allowedOperations"] == ["PlannedFailover", "DisableProtection"]
    assert props["providerSpecificDetails"]["lastPlannedFailoverStatus"] == "Cancelled"
    assert life.power() == "poweredOff" and life.azure_power(TARGET_NAME) == "PowerState/running"
    job = life.last_job("CancelFailover")
    assert job["friendlyName"] == "Cancel failover and resume replication"
    assert [t["name"] for t in job["tasks"]] == list(vocabulary.job("cancel_failover").tasks)

    life.call("planned_failover", body, advance=400)
    assert life.props()["protectionState"] == "CommitPendingStatesBegin" and life.power() == "poweredOn"
    again = life.props()["failoverRecoveryPointId"]
    assert lab.arm("GET", again).status_code == 200 and again.lower() != first.lower()
    assert lab.arm("GET", first).status_code == 200                 # the first one is still a point of the item


def test_failback_commit_removes_the_azure_vm(life):
    life.call("failover_commit", advance=120)
    props = life.props()
    # [guessed: no recording shows a failback commit] PlannedFailoverCommitted, still active on-premises
    assert (props["protectionState"], props["protectionStateDescription"], props["activeLocation"]) == \
        ("PlannedFailoverCommitted", "Planned failover committed", "Recovery")
    assert props["allowedOperations"] == ["DisableProtection", "SwitchProtection"]
    assert TARGET_NAME not in life.vm_names()
    assert not life.nics("nic-%s" % TARGET_NAME) and not life.disks(TARGET_NAME)
    assert life.power() == "poweredOn"
    job = life.last_job("CommitFailover")
    assert [t["name"] for t in job["tasks"]] == list(vocabulary.job("commit").tasks)
    assert job["tasks"][-1]["endTime"] is not None and job["state"] == "Succeeded"
    assert _not_allowed(life.refused("failover_commit"))                          # a rerun
    assert _not_allowed(life.refused("failover_cancel"))                          # committed: no way back


def test_reprotect_to_azure_and_protected_again(life):
    lab = life.lab
    status, code, message = life.refused("reprotect", {"properties": {"providerSpecificDetails": {
        "instanceType": "InMageRcmFailback", "processServerId": lab.process_server_id}}})
    assert (status, code) == (400, "990001") and "policyId" in message
    reprotect = {"instanceType": "InMageRcmFailback", "processServerId": lab.process_server_id,
                 "policyId": life.policy.id}
    result = life.call("reprotect", {"properties": {"failoverDirection": "PrimaryToRecovery",
                                                    "providerSpecificDetails": reprotect}}, advance=300)
    assert isinstance(result.properties.provider_specific_details, M.InMageRcmReplicationDetails)
    props = life.props()
    assert props["activeLocation"] == "Primary" and props["protectionState"] == "InitialReplicationInProgress"
    assert props["allowedOperations"] == ["DisableProtection"]
    lab.advance(300 + 45 * 20 + 600)
    props = life.props()
    # MarkedForDeletion of the drills before the failover is gone with the reprotect
    assert (props["protectionState"], props["activeLocation"], props["testFailoverState"]) == \
        ("Protected", "Primary", "None")
    assert props["allowedOperations"] == ["UnplannedFailover", "DisableProtection", "TestFailover"]
    assert props["providerSpecificDetails"]["fabricDiscoveryMachineId"].lower() == life.machine["id"].lower()
    assert props["providerSpecificDetails"]["targetVmName"] == TARGET_NAME
    names = [j.properties.scenario_name for j in life.jobs()]
    for key in ("enable", "test_failover", "test_failover_cleanup", "unplanned_failover", "change_recovery_point",
                "commit", "reprotect", "planned_failover", "cancel_failover"):
        assert vocabulary.job(key).scenario in names
    assert all(j.properties.state == "Succeeded" for j in life.jobs())


def test_agent_maintenance_and_repair(life):
    lab = life.lab
    assert _not_allowed(life.refused("repair_replication"))                     # no resync needed
    agent = life.props()["providerSpecificDetails"]["mobilityAgentDetails"]
    latest = agent["latestVersion"]
    assert agent["version"] == "9.63.0.0" and agent["isUpgradeable"] == "true"
    life.call("update_mobility_service", {"properties": {}}, advance=400)
    details = life.props()["providerSpecificDetails"]
    assert details["mobilityAgentDetails"]["version"] == latest
    assert (details["agentUpgradeAttemptToVersion"], details["isLastUpgradeSuccessful"]) == (latest, "true")
    assert details["agentUpgradeJobId"].lower() == life.jobs()[0].id.lower()
    assert _not_allowed(life.refused("update_mobility_service", {"properties": {}}))   # already the latest
    status, code, message = life.refused("reinstall_mobility_service", {"properties": {}})
    assert (status, code) == (400, "990001") and "runAsAccountId" in message   # its agent registered by itself
    life.call("reinstall_mobility_service", {"properties": {"runAsAccountId": lab.run_as["linux-root"]}}, advance=400)
    job = life.last_job("ReinstallMobilityService")
    assert job["state"] == "Succeeded" and _tasks(job)[-1] == "Reinstall Mobility Service"


# -- failback to an alternate location ------------------------------------------------------------------------

ALR_VM = "life-alr-01"


def _enable(lab, name, policy, target_name):
    machine = lab.machine(name)
    poller = lab.asr.replication_protected_items.begin_create(lab.rg, lab.vault, lab.fabric, lab.container, name, {
        "properties": {"policyId": policy.id, "providerSpecificDetails": {
            "instanceType": "InMageRcm", "fabricDiscoveryMachineId": machine["id"],
            "processServerId": lab.process_server_id, "targetResourceGroupId": lab.target_rg_id,
            "targetNetworkId": lab.recovery_vnet_id, "targetSubnetName": "default",
            "testNetworkId": lab.test_vnet_id, "targetVmName": target_name,
            "disksDefault": {"logStorageAccountId": lab.storage_account_id, "diskType": "Standard_LRS"}}}})
    lab.advance(300)
    poller.result()
    lab.advance(300 + 45 * 10 + 1800)
    return machine


def test_failback_to_an_alternate_location_when_the_source_vm_is_gone(life):
    """Failover without shutdown (the shutdown task is skipped), the source VM is deleted: the reprotect,
    sent before any commit, commits the failover on its way (VmCommitFailover) and creates the VM on the
    chosen datastore (alternate location); the failback powers it on; the reprotect to Azure, sent before the
    failback's commit, commits it on its way (the Azure VM is removed) and the item follows the new machine
    [recorded: reprotect from commit pending, both ways: TestV2ARCMSwitchAppliance, TestV2ARCM540Reprotect]."""
    from pyVim.task import WaitForTask
    lab = life.lab
    items = lab.asr.replication_protected_items
    _create_source_vm(lab, ALR_VM, disk_gb=10)
    lab.register_agent(ALR_VM)
    machine = _enable(lab, ALR_VM, life.policy, ALR_VM + "-dr")

    def call(method, *args, advance=0):
        poller = getattr(items, "begin_" + method)(lab.rg, lab.vault, lab.fabric, lab.container, ALR_VM, *args)
        lab.advance(advance)
        return poller.result()

    def props():
        raw = lab.arm("GET", "%s/replicationProtectedItems/%s" % (lab.container_id, ALR_VM)).json()
        assert_fits(M.ReplicationProtectedItem, raw)
        return raw["properties"]

    def last_job(scenario, required=True):
        found = [j for j in lab.asr.replication_jobs.list(lab.rg, lab.vault, filter="targetObjectName eq '%s'" % ALR_VM)
                 if j.properties.scenario_name == scenario]
        assert found or not required, scenario
        return lab.arm("GET", found[0].id).json()["properties"] if found else None

    # the target IP set on the item is taken in Azure: ASR uses the next free address, the job warns
    subnet = lab.recovery_vnet_id + "/subnets/default"
    life.network.network_interfaces.begin_create_or_update(RG, "life-squatter", {
        "location": "westeurope", "properties": {"ipConfigurations": [{"name": "ip", "properties": {
            "subnet": {"id": subnet}, "privateIPAllocationMethod": "Static", "privateIPAddress": "10.10.0.50"}}]}}).result()
    nic_id = items.get(lab.rg, lab.vault, lab.fabric, lab.container, ALR_VM).properties \
        .provider_specific_details.vm_nics[0].nic_id
    update = items.begin_update(lab.rg, lab.vault, lab.fabric, lab.container, ALR_VM, {"properties": {
        "providerSpecificDetails": {"instanceType": "InMageRcm", "vmNics": [{
            "nicId": nic_id, "isPrimaryNic": "true", "isSelectedForFailover": "true", "targetSubnetName": "default",
            "targetStaticIPAddress": "10.10.0.50"}]}}})
    lab.advance(60)
    update.result()

    call("unplanned_failover", {"properties": {"providerSpecificDetails": {
        "instanceType": "InMageRcm", "performShutdown": "false"}}}, advance=900)
    assert str(lab.vm(ALR_VM).runtime.powerState) == "poweredOn"          # performShutdown false: untouched
    job = [j for j in lab.asr.replication_jobs.list(lab.rg, lab.vault, filter="targetObjectName eq '%s'" % ALR_VM)
           if j.properties.scenario_name == "UnplannedFailover"][0]
    raw_job = lab.arm("GET", job.id).json()
    assert_fits(M.Job, raw_job)
    tasks = {t["friendlyName"]: t for t in raw_job["properties"]["tasks"]}
    shutdown = tasks["Shut down the virtual machine"]           # [recorded] skipped without performShutdown
    assert (shutdown["name"], shutdown["state"], shutdown["stateDescription"]) == \
        ("VmShutdownVmOnPrimary", "Other", "Skipped")
    warning = tasks["Start failover"]["errors"][0]
    assert warning["errorLevel"] == "Warning" and "10.10.0.50" in warning["serviceErrorDetails"]["message"]
    assert raw_job["properties"]["state"] == "Succeeded"
    ipc = life.network.network_interfaces.get(RG, "nic-%s-dr-00" % ALR_VM).ip_configurations[0]
    assert ipc.private_ip_address != "10.10.0.50" and ipc.private_ip_allocation_method == "Dynamic"
    life.network.network_interfaces.begin_delete(RG, "life-squatter").result()
    assert props()["protectionState"] == "UnplannedFailoverCommitPendingStatesBegin"
    assert list(lab.asr.recovery_points.list_by_replication_protected_items(
        lab.rg, lab.vault, lab.fabric, lab.container, ALR_VM))

    old = lab.vm(ALR_VM)
    WaitForTask(old.PowerOffVM_Task())
    WaitForTask(old.Destroy_Task())
    lab.discover()
    call("reprotect", {"properties": {"providerSpecificDetails": {
        "instanceType": "InMageRcm", "reprotectAgentId": lab.reprotect_agent_id, "datastoreName": "ds-prod-02",
        "logStorageAccountId": lab.storage_account_id, "policyId": life.failback_policy.id}}}, advance=300)
    reprotect = last_job("SwitchReplicationGroupProtection")
    assert (reprotect["tasks"][1]["name"], reprotect["tasks"][1]["state"]) == ("VmCommitFailover", "Succeeded")
    committed = last_job("CommitFailover", required=False)
    assert committed is None                       # no commit job: the reprotect committed the failover
    assert ALR_VM + "-dr" in life.vm_names()       # an InMageRcm commit keeps the failed-over VM
    created = lab.vm(ALR_VM)
    assert created is not None and str(created.runtime.powerState) == "poweredOff"
    assert created.config.uuid == machine["properties"]["biosGuid"]          # its Mobility agent's identity
    assert created.config.instanceUuid != machine["properties"]["instanceUuid"]
    assert all(d.name == "ds-prod-02" for d in created.datastore)
    lab.advance(300 + 45 * 10 + 60)
    assert (props()["protectionState"], props()["activeLocation"]) == ("Protected", "Primary")

    call("planned_failover", {"properties": {"providerSpecificDetails": {
        "instanceType": "InMageRcmFailback", "recoveryPointType": "ApplicationConsistent"}}}, advance=400)
    assert str(lab.vm(ALR_VM).runtime.powerState) == "poweredOn"
    assert props()["protectionState"] == "CommitPendingStatesBegin"
    assert ALR_VM + "-dr" in life.vm_names()

    call("reprotect", {"properties": {"providerSpecificDetails": {
        "instanceType": "InMageRcmFailback", "processServerId": lab.process_server_id,
        "policyId": life.policy.id}}}, advance=300)
    reprotect = last_job("SwitchReplicationGroupProtection")          # the newest: back to Azure
    assert (reprotect["tasks"][1]["name"], reprotect["tasks"][1]["state"]) == ("VmCommitFailover", "Succeeded")
    assert ALR_VM + "-dr" not in life.vm_names()     # the failback's commit removes the Azure VM [D]
    assert not life.nics("nic-%s-dr" % ALR_VM) and not life.disks(ALR_VM + "-dr")
    lab.advance(300 + 45 * 10 + 600)
    final = props()
    assert (final["protectionState"], final["activeLocation"]) == ("Protected", "Primary")
    live = [m for m in lab.machines() if m["properties"]["displayName"] == ALR_VM and not m["properties"]["isDeleted"]]
    assert len(live) == 1 and live[0]["properties"]["instanceUuid"] == created.config.instanceUuid
    new_machine = live[0]
    assert final["providerSpecificDetails"]["fabricDiscoveryMachineId"].lower() == new_machine["id"].lower()


# -- disable / purge while a test failover exists -----------------------------------------------------------

TFO_VM = "life-tfo-01"


def test_purge_during_a_test_failover_leaves_nothing_behind(life):
    """A drill waits for its cleanup: disable is refused (clean up first); a purge (forced) removes the item
    and the test VM, its NICs and disks with it."""
    lab = life.lab
    items = lab.asr.replication_protected_items
    _create_source_vm(lab, TFO_VM, disk_gb=10)
    lab.register_agent(TFO_VM)
    _enable(lab, TFO_VM, life.policy, TFO_VM + "-dr")
    drill = items.begin_test_failover(lab.rg, lab.vault, lab.fabric, lab.container, TFO_VM, {"properties": {
        "failoverDirection": "PrimaryToRecovery", "networkType": "VmNetworkAsInput",
        "providerSpecificDetails": {"instanceType": "InMageRcm", "networkId": lab.test_vnet_id}}})
    lab.advance(600)
    assert drill.result().properties.test_failover_state == "WaitingForCompletion"
    test_vm = TFO_VM + "-dr-test"
    assert test_vm in life.vm_names() and life.nics("nic-%s-dr" % TFO_VM) and life.disks(TFO_VM + "-dr")
    with pytest.raises(HttpResponseError) as err:
        items.begin_delete(lab.rg, lab.vault, lab.fabric, lab.container, TFO_VM, {"properties": {}})
    assert _asr_error(err)[:2] == (400, errors.TEST_FAILOVER_PENDING)
    purge = items.begin_purge(lab.rg, lab.vault, lab.fabric, lab.container, TFO_VM)
    lab.advance(60)
    assert purge.result() is None
    assert TFO_VM not in [i.name for i in items.list(lab.rg, lab.vault)]
    assert test_vm not in life.vm_names()
    assert not life.nics("nic-%s-dr" % TFO_VM) and not life.disks(TFO_VM + "-dr")


def test_disable_after_a_cleaned_up_drill(life):
    """The end of life-01: a drill and its cleanup (testFailoverState stays MarkedForDeletion), then disable is
    accepted [recorded: MarkedForDeletion allows DisableProtection; only WaitingForCompletion refuses it] and
    the item is gone, with nothing of the drill left in Azure."""
    lab = life.lab
    life.call("test_failover", {"properties": {
        "failoverDirection": "PrimaryToRecovery", "networkType": "VmNetworkAsInput",
        "providerSpecificDetails": {"instanceType": "InMageRcm"}}}, advance=600)
    life.call("test_failover_cleanup", {"properties": {"comments": "last"}}, advance=300)
    props = life.props()
    assert props["testFailoverState"] == "MarkedForDeletion" and "DisableProtection" in props["allowedOperations"]
    poller = life.items.begin_delete(lab.rg, lab.vault, lab.fabric, lab.container, VM,
                                     {"properties": {"disableProtectionReason": "NotSpecified"}})
    props = life.props()
    assert props["protectionState"] == "DisablingProtection" and props["allowedOperations"] == []
    lab.advance(90)
    assert poller.result() is None
    assert VM not in [i.name for i in life.items.list(lab.rg, lab.vault)]
    assert TEST_VM not in life.vm_names() and not life.nics("nic-%s" % TARGET_NAME) and not life.disks(TARGET_NAME)
