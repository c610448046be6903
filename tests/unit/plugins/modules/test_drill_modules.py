"""drill_report (files written once, check mode writes nothing), recovered_vm_info (ASR's names, what exists, NICs
and disks), virtual_network_info (peerings in either direction)."""
import os

import pytest

from ansible_collections.dr.asr.plugins.module_utils._errors import InputError
from ansible_collections.dr.asr.plugins.module_utils._asr import recovered as rvi
from ansible_collections.dr.asr.plugins.modules import drill_report, virtual_network_info as vni
from ansible_collections.dr.asr.tests.unit.plugins.module_utils.drill_facts import facts
from ansible_collections.dr.asr.tests.unit.plugins.modules.utils import patch_exit_json, run_module, set_module_args

RG_ID = "/subscriptions/s/resourceGroups/rg-dr"
NET = RG_ID + "/providers/Microsoft.Network/virtualNetworks/"


# -- drill_report ----------------------------------------------------------------------------------------------

def test_report_written_once(monkeypatch, tmp_path):
    patch_exit_json(monkeypatch)
    where = str(tmp_path / "reports")
    args = {"path": where, "name": "drill-1", "facts": facts()}
    with set_module_args(args, check_mode=True):
        predicted = run_module(drill_report.main)
    assert predicted["changed"] and not os.path.exists(where)
    with set_module_args(args):
        first = run_module(drill_report.main)
    assert first["changed"] and first["result"] == "passed"
    assert sorted(os.listdir(where)) == ["drill-1.html", "drill-1.json", "drill-1.xml"]
    assert first["files"]["junit"] == os.path.join(where, "drill-1.xml")
    assert oct(os.stat(first["files"]["html"]).st_mode & 0o777) == "0o600"      # reports are private by default
    with set_module_args(args):
        again = run_module(drill_report.main)
    assert not again["changed"]
    with set_module_args(dict(args, formats=["json"]), check_mode=True):
        assert not run_module(drill_report.main)["changed"]
    changed = facts()
    changed["vms"][0]["smoke"][0].update(passed=False, rc=1)
    with set_module_args(dict(args, facts=changed)):
        third = run_module(drill_report.main)
    assert third["changed"] and third["result"] == "failed" and third["counts"]["failed"] == 1


# -- recovered_vm_info -----------------------------------------------------------------------------------------

DETAILS = {"instanceType": "InMageRcm", "targetVmName": "web-01", "targetResourceGroupId": RG_ID,
           "vmNics": [{"nicId": "a", "isSelectedForFailover": "true"}, {"nicId": "b", "isSelectedForFailover": "false"},
                      {"nicId": "c", "isSelectedForFailover": "true", "targetNicName": "web-01-back"}],
           "protectedDisks": [{"isOSDisk": "true"}, {"isOSDisk": "false"}, {"isOSDisk": "false", "customTargetDiskName": "logs"}]}
ITEM = {"name": "item-1", "properties": {"friendlyName": "web-01", "providerSpecificDetails": DETAILS}}


def test_asr_names():
    assert rvi.expected_names(DETAILS, "-test") == {
        "vm": "web-01-test", "nics": ["nic-web-01-00-test", "web-01-back-test"],
        "disks": ["web-01-OSdisk-00-test", "web-01-DataDisk-01-test", "logs-test"]}
    assert rvi.expected_names(dict(DETAILS, vmNics=[], protectedDisks=[]), "")["nics"] == ["nic-web-01-00"]
    assert rvi.expected_names({}, "") is None


def test_the_names_come_from_the_items_get_not_their_list():
    """A list of items has vmNics and protectedDisks empty [recorded]: the names of a second NIC or a data disk
    would be missed, and a cleanup that left them behind would pass. The items are read with a GET first."""
    listed = {"id": "/x/replicationProtectedItems/item-1", "name": "item-1", "properties": {
        "friendlyName": "web-01", "providerSpecificDetails": dict(DETAILS, vmNics=[], protectedDisks=[])}}
    full = dict(listed, properties=dict(listed["properties"], providerSpecificDetails=DETAILS))

    class Vault(object):
        gets = []

        def get_items(self, items):
            self.gets.extend(i["name"] for i in items)
            return {"/x/replicationprotecteditems/item-1": full}
    vault = Vault()
    [item] = rvi.full_items(vault, [listed])
    assert vault.gets == ["item-1"]
    assert rvi.expected_names(item["properties"]["providerSpecificDetails"], "-test")["disks"] == [
        "web-01-OSdisk-00-test", "web-01-DataDisk-01-test", "logs-test"]


class FakeReader(object):
    def __init__(self, resources):
        self.resources = dict((k.lower(), v) for k, v in resources.items())
        self.calls = []

    def _get(self, kind, rg, name):
        self.calls.append((kind, name))
        return self.resources.get(("%s/%s/%s" % (kind, rg, name)).lower())

    def vm(self, rg, name):
        return self._get("vm", rg, name)

    def nic(self, rg, name):
        return self._get("nic", rg, name)

    def disk(self, rg, name):
        return self._get("disk", rg, name)


def _nic(name, net, vm_id=None, ip="10.20.0.4"):
    return {"id": RG_ID + "/providers/Microsoft.Network/networkInterfaces/" + name, "name": name,
            "properties": {"virtualMachine": {"id": vm_id} if vm_id else None, "macAddress": "00-0D-3A-00-00-01",
                           "ipConfigurations": [{"properties": {"primary": True, "privateIPAddress": ip,
                                                                "subnet": {"id": NET + net + "/subnets/default"}}}]}}


def _disk(name, size=32):
    return {"id": RG_ID + "/providers/Microsoft.Compute/disks/" + name, "name": name, "sku": {"name": "Standard_LRS"},
            "properties": {"diskSizeGB": size}}


def test_a_running_test_vm_with_its_nics_and_disks():
    vm_id = RG_ID + "/providers/Microsoft.Compute/virtualMachines/web-01-test"
    vm = {"id": vm_id, "name": "web-01-test", "location": "westeurope", "properties": {
        "provisioningState": "Succeeded", "hardwareProfile": {"vmSize": "Standard_D2s_v5"},
        "instanceView": {"statuses": [{"code": "ProvisioningState/succeeded"}, {"code": "PowerState/running"}]},
        "networkProfile": {"networkInterfaces": [{"id": RG_ID + "/providers/Microsoft.Network/networkInterfaces/nic-web-01-00-test",
                                                  "properties": {"primary": True}}]},
        "storageProfile": {"osDisk": {"managedDisk": {"id": RG_ID + "/providers/Microsoft.Compute/disks/web-01-OSdisk-00-test"}},
                           "dataDisks": []}}}
    reader = FakeReader({"vm/rg-dr/web-01-test": vm,
                         "nic/rg-dr/nic-web-01-00-test": _nic("nic-web-01-00-test", "vnet-dr-test", vm_id),
                         "nic/rg-dr/web-01-back-test": _nic("web-01-back-test", "vnet-dr-test", ip="10.20.0.9"),
                         "disk/rg-dr/web-01-OSdisk-00-test": _disk("web-01-OSdisk-00-test"),
                         "disk/rg-dr/logs-test": _disk("logs-test", 8)})
    out = rvi.recovered(reader, ITEM, "test_failover")
    assert out["exists"] and out["power_state"] == "running" and out["vm_size"] == "Standard_D2s_v5"
    assert [(n["name"], n["attached"], n["network"], n["subnet"], n["private_ip"]) for n in out["nics"]] == [
        ("nic-web-01-00-test", True, "vnet-dr-test", "default", "10.20.0.4"),
        ("web-01-back-test", False, "vnet-dr-test", "default", "10.20.0.9")]
    assert out["nics"][0]["network_id"] == NET + "vnet-dr-test" and out["nics"][0]["primary"]
    assert [(d["name"], d["attached"]) for d in out["disks"]] == [("web-01-OSdisk-00-test", True), ("logs-test", False)]
    assert len(out["resources"]) == 5 and out["resources"][0] == vm_id
    assert ("nic", "nic-web-01-00-test") in reader.calls and reader.calls.count(("nic", "nic-web-01-00-test")) == 2


def test_nothing_left():
    out = rvi.recovered(FakeReader({}), ITEM, "failover")
    assert not out["exists"] and out["vm_name"] == "web-01" and out["resources"] == [] and out["resource_group"] == "rg-dr"
    assert out["vm_id"].endswith("/virtualMachines/web-01")


def test_left_behind_nic_without_vm():
    out = rvi.recovered(FakeReader({"nic/rg-dr/nic-web-01-00-test": _nic("nic-web-01-00-test", "vnet-dr-test")}),
                        ITEM, "test_failover")
    assert not out["exists"] and [n["attached"] for n in out["nics"]] == [False]
    assert out["resources"] == [RG_ID + "/providers/Microsoft.Network/networkInterfaces/nic-web-01-00-test"]


# -- virtual_network_info --------------------------------------------------------------------------------------

def _vnet(name, *remotes, state="Connected"):
    return {"id": NET + name, "name": name, "location": "westeurope", "properties": {
        "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
        "subnets": [{"name": "default", "id": NET + name + "/subnets/default", "properties": {"addressPrefix": "10.0.0.0/24"}}],
        "virtualNetworkPeerings": [{"name": "to-" + r, "id": NET + name + "/virtualNetworkPeerings/to-" + r,
                                    "properties": {"remoteVirtualNetwork": {"id": (NET + r).upper()}, "peeringState": state}}
                                   for r in remotes]}}


def test_peerings_in_either_direction():
    test = vni.network_facts(_vnet("vnet-test"), NET + "vnet-test")
    hub = vni.network_facts(_vnet("vnet-hub", "vnet-test"), NET + "vnet-hub")
    prod = vni.network_facts(_vnet("vnet-prod", "vnet-test", state="Initiated"), NET + "vnet-prod")
    assert test["peerings"] == [] and hub["peerings"][0]["remote_network"] == "VNET-TEST"
    assert vni.peered_pairs([test, prod]) == [dict(network=NET + "vnet-prod", remote_network=NET + "vnet-test",
                                                   peering="to-vnet-test", state="Initiated")]
    assert vni.peered_pairs([prod, hub]) == []
    missing = vni.network_facts(None, NET + "vnet-gone")
    assert not missing["exists"] and missing["name"] == "vnet-gone" and missing["resource_group"] == "rg-dr"


class Clients(object):
    subscription_id = "s"


def test_network_ids():
    assert vni.network_id(Clients(), "vnet-a", "rg-dr") == NET + "vnet-a"
    assert vni.network_id(Clients(), NET + "vnet-a", None) == NET + "vnet-a"
    with pytest.raises(InputError) as info:
        vni.network_id(Clients(), "vnet-a", None)
    assert info.value.parameter == "resource_group"
    with pytest.raises(InputError):
        vni.network_id(Clients(), RG_ID + "/providers/Microsoft.Compute/disks/d", None)
