"""Day-2 operations on a protected InMageRcm item, through the real SDK against the lab (session fixture
`asr_lab`): disks that follow the VM (a disk added in vcsim shows as an unprotected disk after the appliance's
discovery, addDisks protects it, removeDisks is refused for VMware items), resync (repairReplication after the
lab control `/_lab/items/resync_required`) and resolveHealthErrors (after `/_lab/items/health_errors`).

Each illegal call is refused ASR-style and starts no job; every payload fits the SDK models. The steps run in
order on one item (`day2-01`); lab time moves by the tests' advance() calls only.
"""
import json

import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.recoveryservicessiterecovery import models as M

from drlab.testing.fidelity import assert_fits

VM = "day2-01"


def _asr_error(err):
    body = json.loads(err.value.response.text())
    detail = body["error"]["details"][0]
    assert detail["code"].isdigit() and detail["possibleCauses"] is not None
    return err.value.status_code, detail["code"], body["error"]["message"]


class Item:
    def __init__(self, lab):
        self.lab = lab
        self.items = lab.asr.replication_protected_items

    def raw(self):
        body = self.lab.arm("GET", "%s/replicationProtectedItems/%s" % (self.lab.container_id, VM)).json()
        assert_fits(M.ReplicationProtectedItem, body)
        return body

    def props(self):
        return self.raw()["properties"]

    def details(self):
        return self.props()["providerSpecificDetails"]

    def call(self, method, *args, advance=0):
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
        raw = self.lab.arm("GET", found[0].id).json()
        assert_fits(M.Job, raw)
        return raw["properties"]

    def refused(self, method, *args):
        before = len(self.jobs())
        with pytest.raises(HttpResponseError) as err:
            getattr(self.items, "begin_" + method)(self.lab.rg, self.lab.vault, self.lab.fabric,
                                                   self.lab.container, VM, *args)
        assert len(self.jobs()) == before
        return _asr_error(err)

    def control(self, what, **body):
        return self.lab.sim.admin.call("POST", "items/" + what, dict(body, item_id=self.raw()["id"]))


def _vm_disks(lab, name):
    from pyVmomi import vim
    return [d for d in lab.vm(name).config.hardware.device if isinstance(d, vim.vm.device.VirtualDisk)]


def _add_vm_disk(lab, name, gb, unit):
    from pyVim.task import WaitForTask
    from pyVmomi import vim
    disk = vim.vm.device.VirtualDeviceSpec(operation="add", fileOperation="create", device=vim.vm.device.VirtualDisk(
        key=-100 - unit, controllerKey=1000, unitNumber=unit, capacityInKB=gb << 20,
        backing=vim.vm.device.VirtualDisk.FlatVer2BackingInfo(diskMode="persistent", thinProvisioned=True,
                                                              fileName="[ds-prod-01]")))
    WaitForTask(lab.vm(name).ReconfigVM_Task(spec=vim.vm.ConfigSpec(deviceChange=[disk])))
    lab.discover()


def _remove_vm_disk(lab, name, disk):
    from pyVim.task import WaitForTask
    from pyVmomi import vim
    change = vim.vm.device.VirtualDeviceSpec(operation="remove", fileOperation="destroy", device=disk)
    WaitForTask(lab.vm(name).ReconfigVM_Task(spec=vim.vm.ConfigSpec(deviceChange=[change])))
    lab.discover()


def _add_disks_input(lab, *uuids, instance_type="InMageRcm"):
    return {"properties": {"providerSpecificDetails": {"instanceType": instance_type, "disks": [
        {"diskId": u, "logStorageAccountId": lab.storage_account_id, "diskType": "Standard_LRS"} for u in uuids]}}}


@pytest.fixture(scope="module")
def day2(asr_lab, asr_manual_clock):
    lab = asr_lab
    policy = lab.asr.replication_policies.begin_create(lab.rg, lab.vault, "day2-policy", {"properties": {
        "providerSpecificInput": {"instanceType": "InMageRcm", "recoveryPointHistoryInMinutes": 1440,
                                  "crashConsistentFrequencyInMinutes": 5, "appConsistentFrequencyInMinutes": 60}}})
    lab.advance(60)
    policy = policy.result()
    mapping = lab.asr.replication_protection_container_mappings.begin_create(
        lab.rg, lab.vault, lab.fabric, lab.container, "day2-mapping",
        {"properties": {"targetProtectionContainerId": "Microsoft Azure", "policyId": policy.id,
                        "providerSpecificInput": {"instanceType": "InMageRcm"}}})
    lab.advance(60)
    mapping.result()
    lab.create_vm(VM, disk_gb=10)
    lab.register_agent(VM)
    machine = lab.machine(VM)
    enable = lab.asr.replication_protected_items.begin_create(lab.rg, lab.vault, lab.fabric, lab.container, VM, {
        "properties": {"policyId": policy.id, "providerSpecificDetails": {
            "instanceType": "InMageRcm", "fabricDiscoveryMachineId": machine["id"],
            "processServerId": lab.process_server_id, "targetResourceGroupId": lab.target_rg_id,
            "targetNetworkId": lab.recovery_vnet_id, "targetSubnetName": "default",
            "testNetworkId": lab.test_vnet_id, "targetVmName": VM + "-dr",
            "disksDefault": {"logStorageAccountId": lab.storage_account_id, "diskType": "Standard_LRS"}}}})
    lab.advance(300)
    enable.result()
    lab.advance(300 + 45 * 10 + 1800)
    out = Item(lab)
    assert out.props()["protectionState"] == "Protected"
    return out


def test_a_disk_added_in_vcenter_shows_as_unprotected_after_discovery(day2):
    lab = day2.lab
    before = day2.details()
    assert len(before["protectedDisks"]) == 1 and before["unprotectedDisks"] == []
    _add_vm_disk(lab, VM, 4, unit=1)
    machine = lab.machine(VM)
    assert len(machine["properties"]["disks"]) == 2
    details = day2.details()
    assert len(details["protectedDisks"]) == 1
    [new] = details["unprotectedDisks"]
    assert new["capacityInBytes"] == 4 << 30
    assert new["diskId"] not in {d["diskId"] for d in details["protectedDisks"]}   # the agent's name, a new one


def test_add_disks_refuses_bad_input_and_starts_no_job(day2):
    lab = day2.lab
    status, code, message = day2.refused("add_disks", _add_disks_input(lab, "6000c29f-0000-0000-0000-000000000000"))
    assert (status, code) == (400, "990001") and "not a disk of the machine" in message
    os_uuid = lab.machine(VM)["properties"]["disks"][0]["uuid"]
    status, code, message = day2.refused("add_disks", _add_disks_input(lab, os_uuid))
    assert (status, code) == (400, "990001") and "already protected" in message
    status, code, _message = day2.refused("add_disks", {"properties": {"providerSpecificDetails": {
        "instanceType": "InMageRcm"}}})
    assert (status, code) == (400, "990001")


def test_add_disks_protects_the_new_disk(day2):
    lab = day2.lab
    new_uuid = lab.machine(VM)["properties"]["disks"][1]["uuid"]
    unprotected = day2.details()["unprotectedDisks"][0]
    day2.call("add_disks", _add_disks_input(lab, new_uuid), advance=200)
    job = day2.last_job("AddDisks")
    assert job["state"] == "Succeeded"
    assert [t["name"] for t in job["tasks"]] == ["AddDisksPrerequisitesCheck", "AddDisksTask"]
    details = day2.details()
    assert details["unprotectedDisks"] == []
    added = [d for d in details["protectedDisks"] if d["diskId"] == unprotected["diskId"]]
    assert len(added) == 1 and added[0]["diskType"] == "Standard_LRS" and added[0]["isOSDisk"] == "false"
    assert day2.props()["protectionState"] == "Protected"
    status, code, message = day2.refused("add_disks", _add_disks_input(lab, new_uuid))     # once only
    assert (status, code) == (400, "990001") and "already protected" in message


def test_remove_disks_is_refused_for_a_vmware_item(day2):
    status, code, message = day2.refused("remove_disks", {"properties": {"providerSpecificDetails": {
        "instanceType": "InMageRcm"}}})
    assert (status, code) == (400, "990003") and "removeDisks" in message


def test_a_protected_disk_removed_in_vcenter_is_unavailable(day2):
    lab = day2.lab
    [_os, data] = _vm_disks(lab, VM)
    _remove_vm_disk(lab, VM, data)
    details = day2.details()
    states = sorted(d["diskState"] for d in details["protectedDisks"])
    assert states == ["Protected", "Unavailable"] and details["unprotectedDisks"] == []


def test_resync_when_asr_asks_for_it(day2):
    status, code, _message = day2.refused("repair_replication")
    assert (status, code) == (400, "990003")                          # no resync needed: not allowed
    ids = day2.control("resync_required")["errorIds"]
    props = day2.props()
    assert props["providerSpecificDetails"]["resyncRequired"] == "true"
    assert "RepairReplication" in props["allowedOperations"]
    assert ids[0] in [e["errorId"] for e in props["healthErrors"]] and props["replicationHealth"] == "Critical"
    day2.call("repair_replication", advance=200)
    assert day2.last_job("RepairReplication")["state"] == "Succeeded"
    props = day2.props()
    assert props["providerSpecificDetails"]["resyncRequired"] == "false"
    assert "RepairReplication" not in props["allowedOperations"]
    assert ids[0] not in [e["errorId"] for e in props["healthErrors"]]


def test_resolve_health_errors_by_id(day2):
    ids = day2.control("health_errors", errors=[{"code": "lab-a", "message": "A"},
                                                {"code": "lab-b", "message": "B"}])["errorIds"]
    listed = {e["errorId"]: e for e in day2.props()["healthErrors"]}
    assert set(ids) <= set(listed) and listed[ids[0]]["customerResolvability"] == "Allowed"
    bad = {"properties": {"healthErrors": [{"healthErrorId": "no-such-error"}]}}
    status, code, message = day2.refused("resolve_health_errors", bad)
    assert (status, code) == (400, "990001") and "no-such-error" in message
    status, code, _message = day2.refused("resolve_health_errors", {"properties": {}})
    assert (status, code) == (400, "990001")
    day2.call("resolve_health_errors", {"properties": {"healthErrors": [{"healthErrorId": ids[0]}]}}, advance=100)
    assert day2.last_job("ResolveHealthErrors")["state"] == "Succeeded"
    now = [e["errorId"] for e in day2.props()["healthErrors"]]
    assert ids[0] not in now and ids[1] in now
