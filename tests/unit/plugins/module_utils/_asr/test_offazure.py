# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Discovered machines: shaping, ASR's view (registered agents, protected items), filters, the vCenter join,
and the paged generic ARM list they are read with (through the SDK pipeline, real azure-core errors)."""

from __future__ import annotations

import pytest

from ansible_collections.dr.asr.plugins.module_utils._errors import AzureError
from ansible_collections.dr.asr.plugins.module_utils._azure import arm
from ansible_collections.dr.asr.plugins.module_utils._asr import appliances, offazure
from ansible_collections.dr.asr.plugins.module_utils._asr.vault import AsrVault
from ansible_collections.dr.asr.tests.unit.asr_fake import RG, SITE, VAULT, FakeAsr

BIOS = "4210a1b2-0000-4000-8000-00000000e001"
SWAPPED = "b2a11042-0000-0040-8000-00000000e001"


def machine(name, instance, bios, power="ON", deleted=False):
    return {"id": "%s/machines/vc1_%s" % (SITE, instance), "name": "vc1_" + instance, "properties": {
        "displayName": name, "instanceUuid": instance, "biosGuid": bios, "powerStatus": power, "isDeleted": deleted,
        "firmware": "bios", "operatingSystemDetails": {"osType": "linuxguest", "osName": "RHEL 8"},
        "disks": [{"uuid": "d1", "label": "Hard disk 1", "name": "scsi0:0", "lun": 0, "maxSizeInBytes": 64424509440}],
        "networkAdapters": [{"label": "nic1", "macAddress": "00:50:56:90:00:01", "networkName": "Prod",
                             "ipAddressList": ["10.0.0.2", "10.0.0.1"]}],
        "errors": [{"id": 1, "code": "101", "message": "Tools not running"}]}}


FABRIC = {"id": "/Subscriptions/s/fab1", "name": "fab1", "properties": {"customDetails": {
    "instanceType": "InMageRcm", "vmwareSiteId": SITE,
    "agentDetails": [{"agentId": "a1", "machineId": "m1", "biosId": SWAPPED.upper(), "fqdn": "web-01.lab"}]}}}


def test_bios_forms_include_the_byte_swapped_form():
    assert offazure.bios_forms(BIOS.upper()) == {BIOS, SWAPPED}
    assert offazure.bios_forms(SWAPPED) == {BIOS, SWAPPED}
    assert offazure.bios_forms("not-a-uuid") == {"not-a-uuid"}
    assert offazure.bios_forms(None) == set()


def test_machine_facts_with_agent_and_protection():
    web = machine("web-01", "i-1", BIOS)
    item = {"id": "/Subscriptions/s/items/item-1", "name": "item-1", "properties": {"providerSpecificDetails": {
        "instanceType": "InMageRcm", "fabricDiscoveryMachineId": web["id"].upper(),
        "mobilityAgentDetails": {"version": "9.66.7643.1"}}}}
    facts = offazure.machine_facts(web, FABRIC, offazure.registered_agents(FABRIC), offazure.protected_index([item]))
    assert facts["machine_id"] == web["id"] and facts["name"] == "web-01" and facts["power_state"] == "poweredOn"
    assert facts["agent_registered"] and facts["agent"]["fqdn"] == "web-01.lab"
    assert facts["agent_installed"] and facts["agent_version"] == "9.66.7643.1"
    assert facts["protected"] and facts["protected_item"] == "item-1"
    assert facts["site_id"] == SITE and facts["fabric"] == "fab1"
    assert facts["ip_addresses"] == ["10.0.0.1", "10.0.0.2"] and facts["disks"][0]["size_gb"] == 60.0
    assert facts["errors"] == [{"code": "101", "message": "Tools not running"}]
    other = offazure.machine_facts(machine("db-01", "i-2", "4210a1b2-0000-4000-8000-00000000e002", power="OFF"),
                                   FABRIC, offazure.registered_agents(FABRIC), offazure.protected_index([item]))
    assert not other["agent_registered"] and not other["agent_installed"] and not other["protected"]
    assert other["power_state"] == "poweredOff"


def test_filters():
    agents, protected = {}, {}
    vms = [offazure.machine_facts(m, FABRIC, agents, protected) for m in (
        machine("web-01", "i-1", BIOS), machine("web-02", "i-2", "b2"), machine("db-01", "i-3", "b3"),
        machine("gone-01", "i-4", "b4", deleted=True))]
    vms[1]["protected"] = True
    assert [v["name"] for v in offazure.select(vms)] == ["web-01", "web-02", "db-01"]
    assert [v["name"] for v in offazure.select(vms, names=["web-*"])] == ["web-01", "web-02"]
    assert [v["name"] for v in offazure.select(vms, names=["WEB-01"])] == []
    assert [v["name"] for v in offazure.select(vms, only_unprotected=True)] == ["web-01", "db-01"]
    assert [v["name"] for v in offazure.select(vms, include_deleted=True, names=["gone-*"])] == ["gone-01"]


def test_join_by_instance_uuid_then_bios_uuid():
    vms = [offazure.machine_facts(m, FABRIC, {}, {}) for m in (
        machine("web-01", "I-1", BIOS), machine("web-02", "i-unknown", "b2"), machine("db-01", "i-3", "b3"))]
    vcenter = [dict(name="web-01", moid="vm-1", instance_uuid="i-1", bios_uuid="x"),
               dict(name="web-02", moid="vm-2", instance_uuid="i-2", bios_uuid="B2")]
    offazure.join(vms, vcenter)
    assert [(v["joined"], (v["vcenter_facts"] or {}).get("moid")) for v in vms] == \
        [(True, "vm-1"), (True, "vm-2"), (False, None)]


def test_generic_list_pages_through_the_sdk_pipeline():
    fake = FakeAsr(page_size=2)
    fake.machines = [machine("vm-%d" % i, "i-%d" % i, "b-%d" % i) for i in range(5)]
    clients = fake.clients()
    found = offazure.list_machines(clients, SITE)
    assert [m["properties"]["displayName"] for m in found] == ["vm-%d" % i for i in range(5)]
    gets = fake.reads("/machines")
    assert len(gets) == 3 and gets[0][1]["api-version"] == offazure.OFFAZURE_API_VERSION


def test_generic_list_errors_are_azure_errors():
    fake = FakeAsr()
    with pytest.raises(AzureError) as info:
        arm.list_all(fake.clients().client("siterecovery"), SITE + "/nothing-here", "2020-01-01", "Listing nothing")
    assert info.value.status == 404 and info.value.message.startswith("Listing nothing failed")


def test_appliance_shaping():
    fake = FakeAsr()
    vault = AsrVault(fake.clients(), RG, VAULT)
    snap = appliances.snapshot(vault)
    assert appliances.registered(snap) and not appliances.registered(snap, "other")
    found, fabrics = appliances.collect(vault, snap)
    [appliance] = found
    assert appliance["health"] == "Warning"                      # the worst component health
    assert appliance["reprotect_agent"]["accessible_datastores"] == ["ds1"]
    assert appliance["process_server"]["last_heartbeat"] == "2026-01-01T00:00:00Z"
    assert appliance["containers"] == ["cont1"] and appliance["fabric"] == "fab1"
    assert appliance["push_install_credentials"] == ["linux-root"]
    assert [a["name"] for a in appliance["run_as_accounts"]] == ["linux-root", "vcenter"]
    assert fabrics[0]["experience"] == "modernized" and fabrics[0]["containers"][0]["name"] == "cont1"


def test_health_and_keys():
    assert appliances.worst_health(["Normal", None, "Critical", "Warning"]) == "Critical"
    assert appliances.worst_health([None, "Unknown"]) is None
    assert appliances.snake_keys({"lastHeartbeatUtc": 1, "healthErrors": [{"errorCode": "7"}]}) == \
        {"last_heartbeat": 1, "health_errors": [{"error_code": "7"}]}


def test_an_appliance_counts_as_registered_only_with_its_fabric_in_the_same_look():
    """The fabrics, containers and appliances are three reads: an appliance whose fabric the fabric list does not
    show (yet) is not registered, even when a container under that fabric id is listed."""
    fake = FakeAsr()
    vault = AsrVault(fake.clients(), RG, VAULT)
    fabrics, containers, listed = appliances.snapshot(vault)
    assert appliances.registered((fabrics, containers, listed))
    assert appliances.registered(([], containers, listed)) == []
    other = [dict(f, id=f["id"] + "-other") for f in fabrics]
    assert appliances.registered((other, containers, listed)) == []
