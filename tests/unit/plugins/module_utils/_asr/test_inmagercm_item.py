# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""InMageRcm protected items as pure functions: the enable and update inputs, what counts as a change
(only set options, ids without case), what ASR cannot change, and the facts."""

from __future__ import annotations

from azure.mgmt.recoveryservicessiterecovery import models

from ansible_collections.dr.asr.plugins.module_utils._asr.providers import inmagercm_item as rcm

G = "/subscriptions/s/resourceGroups/rg-dr"
VNET = G + "/providers/Microsoft.Network/virtualNetworks/vnet-dr-recovery"
TEST = G + "/providers/Microsoft.Network/virtualNetworks/vnet-dr-test"
SA = G + "/providers/Microsoft.Storage/storageAccounts/stcache"
MACHINE = {"id": G + "/providers/Microsoft.OffAzure/VMwareSites/s/machines/m1", "name": "m1", "vm_name": "app-01",
           "disks": [{"id": "d-os", "label": "Hard disk 1", "os_disk": True},
                     {"id": "d-data", "label": "Hard disk 2", "os_disk": False}],
           "nics": [{"mac": "00:50:56:00:00:01"}, {"mac": "00:50:56:00:00:02"}]}


def want(**kw):
    out = dict(target_resource_group_id=G, log_storage_account_id=SA, process_server_id="ps1")
    out.update(kw)
    return out


def details(**kw):
    """InMageRcm details as ASR answers them (/Subscriptions/, strings for booleans)."""
    out = {"instanceType": "InMageRcm", "processServerId": "ps1", "multiVmGroupName": None,
           "targetResourceGroupId": "/Subscriptions/s/resourceGroups/RG-DR", "targetNetworkId": "/Subscriptions" + VNET[14:],
           "testNetworkId": "/Subscriptions" + TEST[14:], "targetVmName": "app-01", "targetVmSize": "Standard_D2s_v5",
           "targetAvailabilityZone": "", "licenseType": "NoLicenseType", "targetVmTags": [{"tagName": "env", "tagValue": "dr"}],
           "protectedDisks": [{"diskId": "d-os", "diskType": "Standard_LRS", "logStorageAccountId": SA,
                               "customTargetDiskName": None, "capacityInBytes": 40 * 1024 ** 3, "isOSDisk": "true"}],
           "unprotectedDisks": [{"diskId": "d-data"}],
           "vmNics": [{"nicId": "00:50:56:00:00:01", "isPrimaryNic": "true", "isSelectedForFailover": "true",
                       "targetSubnetName": "default", "targetIPAddress": "", "testSubnetName": "default",
                       "testIPAddress": "", "targetNicName": ""},
                      {"nicId": "00:50:56:00:00:02", "isPrimaryNic": "false", "isSelectedForFailover": "true",
                       "targetSubnetName": "default", "targetIPAddress": "", "testSubnetName": "default",
                       "testIPAddress": "", "targetNicName": ""}]}
    out.update(kw)
    return out


def keys(changes):
    return dict((c.key, (c.before, c.after, c.updatable)) for c in changes)


# -- enable --------------------------------------------------------------------------------------------

def test_enable_input_with_one_disk_default_and_tags_as_lists():
    body = rcm.enable_input(want(target_network_id=VNET, target_subnet="app", target_vm_tags={"env": "dr", "n": 1},
                                 disk_type="Premium_LRS", multi_vm_group="shop"), MACHINE)
    assert body["instanceType"] == "InMageRcm" and body["fabricDiscoveryMachineId"] == MACHINE["id"]
    assert body["disksDefault"] == {"logStorageAccountId": SA, "diskType": "Premium_LRS"}
    assert "disksToInclude" not in body and "testNetworkId" not in body
    assert body["targetSubnetName"] == "app" and body["multiVmGroupName"] == "shop"
    assert body["targetVmTags"] == [{"tagName": "env", "tagValue": "dr"}, {"tagName": "n", "tagValue": "1"}]
    # the SDK model takes it as is (REST names, required fields present)
    model = models.InMageRcmEnableProtectionInput(body)
    assert model.fabric_discovery_machine_id == MACHINE["id"] and model.disks_default.disk_type == "Premium_LRS"


def test_enable_input_lists_disks_when_one_is_excluded_or_typed():
    body = rcm.enable_input(want(disks=[{"id": "d-data", "exclude": True}]), MACHINE)
    assert body["disksToInclude"] == [{"logStorageAccountId": SA, "diskId": "d-os", "diskType": "Standard_LRS"}]
    body = rcm.enable_input(want(disk_type="StandardSSD_LRS", disks=[{"id": "d-data", "disk_type": "Premium_LRS"}]), MACHINE)
    expected = [("d-os", "StandardSSD_LRS"), ("d-data", "Premium_LRS")]
    assert [(d["diskId"], d["diskType"]) for d in body["disksToInclude"]] == expected


# -- compare ---------------------------------------------------------------------------------------------

def test_unset_options_and_id_case_are_no_change():
    assert rcm.compare({}, details()) == []
    same = want(target_network_id=VNET, test_network_id=TEST.upper(), target_vm_size="standard_d2s_v5",
                target_vm_tags={"env": "dr"}, disk_type="standard_lrs", log_storage_account_id=SA.upper())
    assert rcm.compare(same, details()) == []


def test_updatable_changes():
    changes = keys(rcm.compare(want(target_vm_size="Standard_D4s_v5", availability_zone="2",
                                    target_vm_tags={"env": "prod"}, license_type="WindowsServer"), details()))
    assert changes == {"target_vm_size": ("Standard_D2s_v5", "Standard_D4s_v5", True),
                       "availability_zone": ("", "2", True),
                       "target_vm_tags": ({"env": "dr"}, {"env": "prod"}, True),
                       "license_type": ("NoLicenseType", "WindowsServer", True)}


def test_the_target_resource_group_can_change_in_place():
    changes = rcm.compare(want(target_resource_group_id=G + "2"), details())
    assert [(c.key, c.updatable) for c in changes] == [("target_resource_group_id", True)]
    body = rcm.update_input(changes, want(target_resource_group_id=G + "2"), details())
    assert body == {"instanceType": "InMageRcm", "targetResourceGroupId": G + "2"}
    assert models.InMageRcmUpdateReplicationProtectedItemInput(body).target_resource_group_id == G + "2"


def test_what_asr_cannot_update_is_marked_fixed():
    changes = keys(rcm.compare(want(process_server_id="ps2", multi_vm_group="g", log_storage_account_id=SA + "x",
                                    seed_disk_tags={"a": "b"}, disk_type="Premium_LRS",
                                    disks=[{"id": "d-data", "exclude": False}]), details()))
    fixed = set(k for k, v in changes.items() if not v[2])
    assert fixed == {"process_server_id", "multi_vm_group", "log_storage_account_id", "seed_disk_tags", "disk_type", "disks"}
    assert changes["disk_type"][:2] == ("Standard_LRS", "Premium_LRS")
    assert changes["disks"][:2] == ({"d-data": {"exclude": True}}, {"d-data": {"exclude": False}})


def test_top_level_subnet_applies_to_every_failover_nic_without_its_own():
    w = want(target_subnet="app", nics=[{"mac": "00:50:56:00:00:02", "target_subnet": "web"}])
    changes = keys(rcm.compare(w, details()))
    assert changes["nics"][:2] == ({"00:50:56:00:00:01": {"target_subnet": "default"},
                                    "00:50:56:00:00:02": {"target_subnet": "default"}},
                                   {"00:50:56:00:00:01": {"target_subnet": "app"}, "00:50:56:00:00:02": {"target_subnet": "web"}})
    w = want(target_subnet="app", nics=[{"mac": "00:50:56:00:00:02", "failover": False}])
    changes = keys(rcm.compare(w, details()))
    assert changes["nics"][1] == {"00:50:56:00:00:01": {"target_subnet": "app"}, "00:50:56:00:00:02": {"failover": False}}


def test_nic_update_input_carries_the_nic_whole():
    w = want(nics=[{"mac": "00:50:56:00:00:01", "target_ip": "10.10.1.5", "primary": True},
                   {"mac": "00:50:56:00:00:02", "failover": False}])
    changes = rcm.compare(w, details())
    body = rcm.update_input(changes, w, details())
    assert body["vmNics"] == [
        {"nicId": "00:50:56:00:00:01", "isPrimaryNic": "true", "isSelectedForFailover": "true",
         "targetSubnetName": "default", "targetStaticIPAddress": "10.10.1.5", "testSubnetName": "default",
         "testStaticIPAddress": "", "targetNicName": ""},
        {"nicId": "00:50:56:00:00:02", "isPrimaryNic": "false", "isSelectedForFailover": "false",
         "targetSubnetName": "default", "targetStaticIPAddress": "", "testSubnetName": "default",
         "testStaticIPAddress": "", "targetNicName": ""}]
    assert models.InMageRcmUpdateReplicationProtectedItemInput(body).vm_nics[0].target_static_ip_address == "10.10.1.5"


def test_moving_the_target_network_sends_every_failover_nic_with_its_subnet():
    new = G + "/providers/Microsoft.Network/virtualNetworks/vnet-other"
    w = want(target_network_id=new)
    body = rcm.update_input(rcm.compare(w, details()), w, details())
    assert body["targetNetworkId"] == new and [n["nicId"] for n in body["vmNics"]] == ["00:50:56:00:00:01",
                                                                                       "00:50:56:00:00:02"]


def test_target_disk_names_are_updatable():
    w = want(disks=[{"id": "D-OS", "target_disk_name": "app-01-os"}])
    changes = rcm.compare(w, details())
    assert [(c.key, c.updatable) for c in changes] == [("target_disk_names", True)]
    assert rcm.update_input(changes, w, details())["vmDisks"] == [{"diskId": "d-os", "targetDiskName": "app-01-os"}]


# -- facts -------------------------------------------------------------------------------------------------

def test_item_facts():
    facts = rcm.item_facts(details(initialReplicationProgressPercentage=42, lastRpoInSeconds=45,
                                   mobilityAgentDetails={"version": "9.66", "isUpgradeable": "false"}))
    assert (facts["progress"], facts["rpo_seconds"], facts["agent"]["version"]) == (42, 45, "9.66")
    assert facts["target"]["vm_tags"] == {"env": "dr"} and facts["target"]["availability_zone"] is None
    assert [(d["id"], d["excluded"]) for d in facts["disks"]] == [("d-os", False), ("d-data", True)]
    assert facts["nics"][0]["primary"] is True and facts["nics"][1]["failover"] is True
