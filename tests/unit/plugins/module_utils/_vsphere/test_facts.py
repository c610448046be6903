# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""VM facts: derivations (family, 64-bit, OS disk), device facts, filters (tags too), and the round-trip budget."""

from __future__ import annotations

from unittest import mock

import pytest
from pyVmomi import vim

from ansible_collections.dr.asr.plugins.module_utils._errors import InputError, VSphereError
from ansible_collections.dr.asr.plugins.module_utils._vsphere import client, facts
from ansible_collections.dr.asr.plugins.module_utils._vsphere.client import VSphereSession
from ansible_collections.dr.asr.plugins.module_utils._vsphere.rest import Tagging, VSphereRest
from ansible_collections.dr.asr.tests.unit.plugins.module_utils._vsphere.fake_vapi import (
    REQUEST, SMALL_INVENTORY_TAGS, FakeVapi)
from ansible_collections.dr.asr.tests.unit.plugins.module_utils._vsphere.fake_vcenter import (
    SMART_CONNECT, FakeVCenter, small_inventory)


def connect(fake):
    with mock.patch(SMART_CONNECT, fake.smart_connect):
        session = VSphereSession(fake.params())
    fake.calls.clear()
    return session


@pytest.fixture
def inv():
    fake, refs = small_inventory()
    return fake, refs, connect(fake)


def by_name(vms):
    return dict((vm["name"], vm) for vm in vms)


# -- guest OS derivation ----------------------------------------------------------------------------
@pytest.mark.parametrize("guest_id,family,bits64", [
    ("windows2019srv_64Guest", "windows", True),
    ("windows2019srvNext_64Guest", "windows", True),
    ("windows9Server64Guest", "windows", True),
    ("winNetEnterprise64Guest", "windows", True),
    ("winNetStandardGuest", "windows", False),
    ("windows7Guest", "windows", False),
    ("windowsHyperVGuest", "windows", True),
    ("rhel8_64Guest", "linux", True),
    ("rhel6Guest", "linux", False),
    ("ubuntu64Guest", "linux", True),
    ("centos7_64Guest", "linux", True),
    ("debian11_64Guest", "linux", True),
    ("sles15_64Guest", "linux", True),
    ("otherLinux64Guest", "linux", True),
    ("other5xLinuxGuest", "linux", False),
    ("oracleLinux9_64Guest", "linux", True),
    ("amazonlinux2_64Guest", "linux", True),
    ("vmwarePhoton64Guest", "linux", True),
    ("otherGuest", "other", False),
    ("otherGuest64", "other", True),
    ("freebsd13_64Guest", "other", True),
    ("solaris10Guest", "other", False),
    ("darwin64Guest", "other", True),
    ("vmkernel7Guest", "other", True),
    ("dosGuest", "other", False),
])
def test_family_and_64bit_from_guest_id(guest_id, family, bits64):
    assert facts.guest_family(guest_id) == family
    assert facts.is_64bit(guest_id) is bits64


def test_no_guest_id_is_unknown():
    assert facts.guest_family(None) is None and facts.is_64bit("") is None


def test_every_guest_id_pyvmomi_knows_is_classified():
    """Every Linux id of pyVmomi's enum is recognised as Linux; the rules cover the whole table."""
    ids = vim.vm.GuestOsDescriptor.GuestOsIdentifier.values
    linux_markers = ("linux", "rhel", "centos", "ubuntu", "debian", "sles", "suse", "fedora", "asianux",
                     "mandr", "redhat", "photon", "coreos", "nld", "sjds", "pardus", "fusionos")
    for guest_id in ids:
        family = facts.guest_family(guest_id)
        if guest_id.startswith("win"):
            assert family == "windows", guest_id
        elif any(marker in guest_id.lower() for marker in linux_markers):
            assert family == "linux", guest_id
        else:
            assert family == "other", guest_id
        if "64" in guest_id:
            assert facts.is_64bit(guest_id), guest_id


# -- OS disk ----------------------------------------------------------------------------------------
def os_disk_of(disks, boot_disk=None, guest_id="rhel8_64Guest"):
    fake = FakeVCenter()
    dc = fake.datacenter("DC1")
    host = fake.host(dc, "esx01")
    folder = fake.vm_folder(dc, "")
    fake.vm("vm", folder, host, guest_id=guest_id, disks=disks, boot_disk=boot_disk)
    vm = facts.collect_vm_facts(connect(fake), {})[0]
    return vm["os_disk"], vm["os_disk_basis"]


def test_os_disk_is_the_first_disk_of_the_boot_order():
    disk, basis = os_disk_of([{"size_gb": 10}, {"size_gb": 3000, "bus": 1, "unit": 0}], boot_disk=1)
    assert (disk["size_gb"], disk["controller"], basis) == (3000.0, "scsi1", "boot_order")


def test_os_disk_is_the_lowest_bus_and_unit_without_boot_order():
    disk, basis = os_disk_of([{"size_gb": 500, "bus": 1, "unit": 0}, {"size_gb": 200, "unit": 3},
                              {"size_gb": 80, "unit": 1}])
    assert (disk["size_gb"], disk["controller"], disk["unit_number"], basis) == (80.0, "scsi0", 1,
                                                                                 "controller_order")


def test_os_disk_prefers_ide_then_sata_then_scsi_then_nvme():
    disk = os_disk_of([{"size_gb": 1, "controller": "nvme"}, {"size_gb": 2, "controller": "pvscsi"},
                       {"size_gb": 3, "controller": "sata"}, {"size_gb": 4, "controller": "ide"}])[0]
    assert disk["controller"] == "ide0"
    disk = os_disk_of([{"size_gb": 1, "controller": "nvme"}, {"size_gb": 2, "controller": "pvscsi"}])[0]
    assert disk["controller"] == "scsi0"


def test_vm_without_disks_has_no_os_disk():
    assert os_disk_of([]) == (None, None)


# -- one VM's facts ---------------------------------------------------------------------------------
def test_facts_of_one_vm(inv):
    fake, refs, session = inv
    vm = by_name(facts.collect_vm_facts(session, {"names": ["web-02"]}))["web-02"]
    props = fake.props(refs["web-02"])
    assert vm["moid"] == refs["web-02"]._moId
    assert vm["instance_uuid"] == props["config.instanceUuid"] and vm["bios_uuid"] == props["config.uuid"]
    assert (vm["power_state"], vm["template"], vm["guest_id"], vm["guest_family"], vm["is_64bit"]) == \
        ("poweredOn", False, "ubuntu64Guest", "linux", True)
    assert (vm["firmware"], vm["secure_boot"], vm["num_cpu"], vm["memory_mb"]) == ("efi", False, 2, 4096)
    assert (vm["host"], vm["cluster"], vm["esxi_version"], vm["datacenter"], vm["folder"]) == \
        ("esx02.lab.local", "Prod-Cluster", "8.0.2", "DC1", "Production/Web")
    assert vm["resource_pool"] == "Resources" and vm["vmx_path"] == "[ds] web-02/web-02.vmx"
    assert (vm["tools_running_status"], vm["tools_version_status"]) == ("guestToolsRunning", "guestToolsCurrent")
    assert [(d["label"], d["size_gb"], d["datastore"], d["controller"], d["unit_number"]) for d in vm["disks"]] == \
        [("Hard disk 1", 40.0, "ds-prod-01", "scsi0", 0), ("Hard disk 2", 100.0, "ds-prod-02", "scsi0", 1)]
    assert vm["os_disk"] == vm["disks"][0]


def test_disk_details(inv):
    _fake, _refs, session = inv
    vms = by_name(facts.collect_vm_facts(session, {"names": ["ora-rac-01", "fs-archive-01", "legacy-app-01"]}))
    shared, independent = vms["ora-rac-01"]["disks"][1], vms["ora-rac-01"]["disks"][2]
    assert (shared["size_gb"], shared["controller"], shared["controller_type"], shared["sharing"], shared["thin"]) == \
        (1024.0, "scsi1", "paravirtual", "sharingMultiWriter", False)
    assert (independent["mode"], independent["sharing"], independent["thin"]) == \
        ("independent_persistent", "sharingNone", True)
    big = vms["fs-archive-01"]["os_disk"]
    assert (big["size_gb"], big["controller_type"], big["backing"]) == (3000.0, "lsilogicsas", "flat")
    assert big["file"].startswith("[ds-prod-01] fs-archive-01/") and big["uuid"]
    sata = vms["legacy-app-01"]["os_disk"]
    assert (sata["controller"], sata["controller_type"]) == ("sata0", "ahci")


def test_rdm_disk_backing():
    fake = FakeVCenter()
    dc = fake.datacenter("DC1")
    host = fake.host(dc, "esx01")
    ds = fake.datastore(dc, "ds1")
    fake.vm("rdm", fake.vm_folder(dc, ""), host, datastore=ds,
            disks=[{"size_gb": 50}, {"size_gb": 500, "rdm": "physicalMode"}, {"size_gb": 5, "rdm": "virtualMode"}])
    vm = facts.collect_vm_facts(connect(fake), {})[0]
    assert [d["backing"] for d in vm["disks"]] == ["flat", "rdm_physical", "rdm_virtual"]
    assert vm["disks"][1]["datastore"] == "ds1" and vm["disks"][1]["thin"] is False


def test_nic_details(inv):
    _fake, _refs, session = inv
    vms = by_name(facts.collect_vm_facts(session, {}))
    nics = vms["app-api-01"]["nics"]
    assert [(n["label"], n["adapter_type"], n["network"], n["connected"], n["ip_addresses"]) for n in nics] == [
        ("Network adapter 1", "vmxnet3", "Prod-App", True, ["10.10.1.31"]),       # distributed port group
        ("Network adapter 2", "e1000e", "VM Network", True, ["192.168.10.31"]),   # standard port group
    ]
    assert vms["web-01"]["nics"][0]["mac"] == "00:50:56:90:00:01"
    assert vms["web-01"]["ip_address"] == "10.10.1.11" and vms["web-01"]["hostname"] == "web-01.lab.local"
    legacy = vms["legacy-app-01"]["nics"][0]
    assert (legacy["adapter_type"], legacy["ip_addresses"]) == ("e1000", [])


def test_secure_boot_and_standalone_host(inv):
    _fake, _refs, session = inv
    vms = by_name(facts.collect_vm_facts(session, {}))
    assert (vms["win-dc-01"]["firmware"], vms["win-dc-01"]["secure_boot"], vms["win-dc-01"]["guest_family"]) == \
        ("efi", True, "windows")
    legacy = vms["legacy-app-01"]
    assert (legacy["cluster"], legacy["host"], legacy["esxi_version"], legacy["is_64bit"]) == \
        (None, "esx-legacy01.lab.local", "6.0.0", False)
    assert vms["test-vm-01"]["power_state"] == "poweredOff"


# -- filters ----------------------------------------------------------------------------------------
def names(session, **filters):
    return [vm["name"] for vm in facts.collect_vm_facts(session, filters)]


ALL = ["app-api-01", "fs-archive-01", "legacy-app-01", "ora-rac-01", "test-vm-01", "web-01", "web-02", "win-dc-01"]


def test_all_vms_sorted_without_templates(inv):
    assert names(inv[2]) == ALL


def test_include_templates(inv):
    assert names(inv[2], include_templates=True) == sorted(ALL + ["tmpl-rhel9"])


def test_names_exact_and_glob(inv):
    session = inv[2]
    assert names(session, names=["web-*"]) == ["web-01", "web-02"]
    assert names(session, names=["win-dc-01", "*-archive-??"]) == ["fs-archive-01", "win-dc-01"]
    assert names(session, names=["WEB-*"]) == []  # case-sensitive, like vSphere
    assert names(session, names=["nothing*"]) == []


def test_folder_is_recursive(inv):
    session = inv[2]
    assert names(session, folder="Production") == ["app-api-01", "ora-rac-01", "web-01", "web-02"]
    assert names(session, folder="Production/DB") == ["ora-rac-01"]
    assert names(session, folder="/DC1/vm/Infrastructure") == ["fs-archive-01", "win-dc-01"]


def test_cluster_and_datacenter(inv):
    session = inv[2]
    assert names(session, cluster="Prod-Cluster") == [n for n in ALL if n != "legacy-app-01"]
    assert names(session, datacenter="DC1") == ALL


def test_filters_combine(inv):
    session = inv[2]
    # test-vm-01 is in the Legacy folder but runs in the cluster; legacy-app-01 runs on the standalone host
    assert names(session, folder="Legacy", cluster="Prod-Cluster") == ["test-vm-01"]
    assert names(session, folder="Legacy", cluster="Prod-Cluster", names=["legacy-*"]) == []


@pytest.mark.parametrize("filters,kind", [
    ({"cluster": "Nope"}, "cluster"), ({"folder": "Nope"}, "folder"), ({"datacenter": "Nope"}, "datacenter")])
def test_unknown_scope_is_an_error_not_an_empty_list(inv, filters, kind):
    with pytest.raises(VSphereError) as raised:
        facts.collect_vm_facts(inv[2], filters)
    assert raised.value.code == "NotFound" and kind in raised.value.message and "Nope" in raised.value.message


def test_empty_inventory():
    fake = FakeVCenter()
    assert facts.collect_vm_facts(connect(fake), {}) == []
    assert fake.calls["RetrievePropertiesEx"] == 1  # nothing referenced: no second round trip


# -- round trips ------------------------------------------------------------------------------------
def scaled_inventory(count):
    fake = FakeVCenter()
    dc = fake.datacenter("DC1")
    cluster = fake.cluster(dc, "C1")
    hosts = [fake.host(cluster, "esx%02d" % i) for i in range(4)]
    ds = [fake.datastore(dc, "ds%d" % i) for i in range(3)]
    nets = [fake.network(dc, "net%d" % i) for i in range(2)] + [fake.dvportgroup(dc, "dvpg")]
    folders = [fake.vm_folder(dc, "F%d/Sub" % i) for i in range(5)]
    for i in range(count):
        fake.vm("vm-%04d" % i, folders[i % 5], hosts[i % 4], datastore=ds[i % 3],
                disks=[{"size_gb": 40}, {"size_gb": 100, "datastore": ds[(i + 1) % 3]}],
                nics=[{"network": nets[i % 3], "ips": ["10.0.%d.%d" % (i // 200, i % 200)]}])
    return fake


@pytest.mark.parametrize("filters", [{}, {"names": ["vm-00*"]}])
def test_round_trips_do_not_grow_with_the_vm_count(filters):
    calls = {}
    for count in (1, 60):
        fake = scaled_inventory(count)
        vms = facts.collect_vm_facts(connect(fake), filters)
        assert vms and all(vm["cluster"] == "C1" and vm["folder"].endswith("/Sub") for vm in vms)
        calls[count] = fake.calls["RetrievePropertiesEx"]
    assert calls[1] == calls[60] == 2


def test_paging_continues_without_new_retrievals(monkeypatch):
    monkeypatch.setattr(client, "PAGE_SIZE", 7)
    fake = scaled_inventory(30)
    vms = facts.collect_vm_facts(connect(fake), {})
    assert len(vms) == 30 and len(set(vm["moid"] for vm in vms)) == 30
    assert fake.calls["RetrievePropertiesEx"] == 2
    assert fake.calls["ContinueRetrievePropertiesEx"] >= 4


def test_scope_lookup_costs_a_fixed_number_of_round_trips():
    fake = scaled_inventory(40)
    vms = facts.collect_vm_facts(connect(fake), {"datacenter": "DC1", "cluster": "C1", "folder": "F1"})
    assert len(vms) == 8
    assert fake.calls["RetrievePropertiesEx"] == 5  # datacenter, cluster, folders, VMs, references


# -- tags (vSphere Automation REST) -----------------------------------------------------------------
@pytest.fixture(params=["api", "rest"])
def tagged(request, inv):
    """(fake vCenter, refs, session, Tagging, fake vAPI) over small_inventory, SMALL_INVENTORY_TAGS attached."""
    fake, refs, session = inv
    vapi = FakeVapi(dialect=request.param)
    vapi.tag_vms(refs, SMALL_INVENTORY_TAGS)
    with mock.patch(REQUEST, vapi.request_class()):
        tagging = Tagging(VSphereRest(fake.params()))
        vapi.calls.clear()
        yield fake, refs, session, tagging, vapi


def tag_names(tagged, **filters):
    session, tagging = tagged[2], tagged[3]
    return [vm["name"] for vm in facts.collect_vm_facts(session, filters, tagging=tagging)]


def test_tag_filter_needs_all_tags(tagged):
    assert tag_names(tagged, tags=["tier-1"]) == ["fs-archive-01", "ora-rac-01", "win-dc-01"]
    assert tag_names(tagged, tags=["DR-Tier:tier-1", "Environment:production"]) == ["fs-archive-01"]
    assert tag_names(tagged, tags=["tier-2", "production"]) == ["web-01"]
    assert tag_names(tagged, tags=["tier-1", "tier-2"]) == []
    assert tag_names(tagged, tags=["tier-3"]) == []
    assert tag_names(tagged, tags=[]) == ALL  # an empty list filters nothing


def test_tag_filter_combines_with_the_other_filters(tagged):
    assert tag_names(tagged, tags=["tier-1"], folder="Infrastructure") == ["fs-archive-01", "win-dc-01"]
    assert tag_names(tagged, tags=["tier-1"], folder="Production", cluster="Prod-Cluster") == ["ora-rac-01"]
    assert tag_names(tagged, tags=["tier-1"], names=["win-*"], datacenter="DC1") == ["win-dc-01"]
    assert tag_names(tagged, tags=["tier-1"], include_templates=True) == [
        "fs-archive-01", "ora-rac-01", "tmpl-rhel9", "win-dc-01"]
    assert tag_names(tagged, tags=["test"], folder="Production") == []
    assert tag_names(tagged, tags=["Environment:test"], cluster="Prod-Cluster") == ["test-vm-01"]


def test_unknown_tag_is_an_input_error(tagged):
    with pytest.raises(InputError) as raised:
        facts.collect_vm_facts(tagged[2], {"tags": ["tier-1", "tier-9"]}, tagging=tagged[3])
    assert raised.value.parameter == "tags" and "'tier-9'" in raised.value.message
    assert "Known tags: DR-Tier:tier-1," in raised.value.message


def test_unknown_scope_is_reported_before_tags_are_read(tagged):
    with pytest.raises(VSphereError):
        facts.collect_vm_facts(tagged[2], {"tags": ["tier-1"], "cluster": "Nope"}, tagging=tagged[3])
    assert tagged[4].rest_calls() == 0


def test_include_tags(tagged):
    session, tagging = tagged[2], tagged[3]
    vms = by_name(facts.collect_vm_facts(session, {}, tagging=tagging, include_tags=True))
    assert vms["web-01"]["tags"] == [{"category": "DR-Tier", "name": "tier-2"},
                                     {"category": "Environment", "name": "production"}]
    assert vms["test-vm-01"]["tags"] == [{"category": "Environment", "name": "test"}]
    assert vms["app-api-01"]["tags"] == []
    assert all("tags" not in vm for vm in facts.collect_vm_facts(session, {}, tagging=tagging))
    assert all("tags" not in vm for vm in facts.collect_vm_facts(session, {}))


def test_tags_without_a_rest_session_is_a_programming_error(inv):
    with pytest.raises(ValueError):
        facts.collect_vm_facts(inv[2], {"tags": ["tier-1"]})
    with pytest.raises(ValueError):
        facts.collect_vm_facts(inv[2], {}, include_tags=True)


def test_tagged_vms_deleted_meanwhile_are_left_out(tagged):
    fake, refs = tagged[0], tagged[1]
    del fake.objects[refs["win-dc-01"]._moId]
    assert tag_names(tagged, tags=["tier-1"]) == ["fs-archive-01", "ora-rac-01"]


# -- tags: calls ------------------------------------------------------------------------------------
def tagged_scale(count, dialect):
    """scaled_inventory(count), VMs tagged in turn tier-1 / tier-2 / tier-3, every other one production."""
    fake = scaled_inventory(count)
    vapi = FakeVapi(dialect=dialect)
    ids = vapi.lab_tags()
    tiers = [ids["DR-Tier:tier-%d" % n] for n in (1, 2, 3)]
    vms = [ref for ref, _props in fake.objects.values() if isinstance(ref, vim.VirtualMachine)]
    for i, ref in enumerate(vms):
        vapi.attach(tiers[i % 3], ref._moId)
        if i % 2 == 0:
            vapi.attach(ids["Environment:production"], ref._moId)
    return fake, vapi


@pytest.mark.parametrize("dialect", ["api", "rest"])
@pytest.mark.parametrize("filters,include_tags", [
    ({"tags": ["tier-1"]}, False),
    ({"tags": ["DR-Tier:tier-1", "production"]}, False),
    ({"tags": ["tier-1"]}, True),
    ({}, True),
    ({"tags": ["tier-1", "production"], "folder": "F1", "cluster": "C1"}, True),
])
def test_tag_calls_do_not_grow_with_the_vm_count(dialect, filters, include_tags):
    soap, rest_calls, found = {}, {}, {}
    for count in (12, 90):
        fake, vapi = tagged_scale(count, dialect)
        session = connect(fake)
        with mock.patch(REQUEST, vapi.request_class()):
            tagging = Tagging(VSphereRest(fake.params()))
            vapi.calls.clear()
            vms = facts.collect_vm_facts(session, filters, tagging=tagging, include_tags=include_tags)
        assert vms
        if include_tags:
            assert all(vm["tags"] for vm in vms)
        found[count] = len(vms)
        soap[count] = dict(fake.calls)
        rest_calls[count] = dict(vapi.calls)
        assert vapi.calls["list-attached-objects-on-tags"] == (1 if filters.get("tags") else 0)
        assert vapi.calls["list-attached-tags-on-objects"] == (1 if include_tags else 0)
    assert found[90] > found[12]
    assert soap[12] == soap[90] and rest_calls[12] == rest_calls[90]
    scope_lookups = 2 if "folder" in filters else 0
    assert soap[90]["RetrievePropertiesEx"] == 2 + scope_lookups  # the VMs, what they reference
    # a tag filter reads the tagged VMs by reference: no container view for them
    assert soap[90].get("CreateContainerView", 0) == (scope_lookups if filters.get("tags") else 1)


def test_no_vm_with_all_tags_skips_the_property_collector():
    fake, vapi = tagged_scale(30, "api")
    session = connect(fake)
    with mock.patch(REQUEST, vapi.request_class()):
        tagging = Tagging(VSphereRest(fake.params()))
        assert facts.collect_vm_facts(session, {"tags": ["tier-1", "tier-2"]}, tagging=tagging) == []
    assert fake.calls["RetrievePropertiesEx"] == 0
