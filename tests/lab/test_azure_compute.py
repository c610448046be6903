"""Conformance of the lab's Microsoft.Compute provider, through azure-mgmt-compute.

Managed disks, virtual machines (size checks against the catalog, attached disks and NICs, power
actions, instance view, delete options), the location's VM sizes and the resource SKU list.
"""
import uuid

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.network import NetworkManagementClient
from azure.mgmt.storage import StorageManagementClient

LOCATION = "westeurope"


@pytest.fixture(scope="module")
def compute(azure_clients):
    return azure_clients(ComputeManagementClient)


@pytest.fixture(scope="module")
def network(azure_clients):
    return azure_clients(NetworkManagementClient)


@pytest.fixture(scope="module")
def storage(azure_clients):
    return azure_clients(StorageManagementClient)


@pytest.fixture(scope="module")
def rg(resource_group):
    return resource_group("drlab-compute", LOCATION)


def _name(prefix):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:6])


def _code(excinfo):
    return excinfo.value.error.code


# Helpers create their NICs and disks without waiting for the long-running operation (polling=False):
# the resource exists from the first answer on, and each wait would cost the simulator's Retry-After.
# The operations themselves are tested where they are the subject.

def _subnet(network, rg, location, prefix="10.50"):
    vnet = network.virtual_networks.begin_create_or_update(rg, _name("vnet"), {"location": location, "properties": {
        "addressSpace": {"addressPrefixes": [prefix + ".0.0/16"]},
        "subnets": [{"name": "default", "properties": {"addressPrefix": prefix + ".0.0/24"}}]}},
        polling=False).result()
    return vnet.properties.subnets[0].id


def _new_nic(network, rg, subnet_id, location=LOCATION):
    body = {"location": location, "properties": {"ipConfigurations": [
        {"name": "ipconfig1", "properties": {"subnet": {"id": subnet_id}}}]}}
    return network.network_interfaces.begin_create_or_update(rg, _name("nic"), body, polling=False).result()


def _new_disk(compute, rg, size_gb=32, sku="StandardSSD_LRS", os_type=None, generation=None, location=LOCATION):
    props = {"creationData": {"createOption": "Empty"}, "diskSizeGB": size_gb}
    if os_type:
        props.update(osType=os_type, hyperVGeneration=generation or "V1")
    name = _name("disk")
    body = {"location": location, "sku": {"name": sku}, "properties": props}
    compute.disks.begin_create_or_update(rg, name, body, polling=False)   # 202 without a body: read it back
    return compute.disks.get(rg, name)


@pytest.fixture(scope="module")
def subnet_id(network, rg):
    return _subnet(network, rg, LOCATION)


@pytest.fixture
def make_nic(network, rg, subnet_id):
    return lambda: _new_nic(network, rg, subnet_id)


@pytest.fixture
def make_disk(compute, rg):
    return lambda **kw: _new_disk(compute, rg, **kw)


def _vm_body(os_disk, nics, size="Standard_D2s_v5", data_disks=(), location=LOCATION, zones=None, **props):
    body = {"location": location, "properties": dict({
        "hardwareProfile": {"vmSize": size},
        "storageProfile": {"osDisk": {"createOption": "Attach", "osType": "Windows",
                                      "managedDisk": {"id": os_disk.id}},
                           "dataDisks": list(data_disks)},
        "networkProfile": {"networkInterfaces": [
            {"id": n.id, "properties": {"primary": i == 0}} for i, n in enumerate(nics)]},
    }, **props)}
    if zones:
        body["zones"] = zones
    return body


def _power(view):
    return [s.code for s in view.statuses if s.code.startswith("PowerState/")]


def test_disk_lifecycle(compute, storage, rg):
    name = _name("disk")
    disk = compute.disks.begin_create_or_update(rg, name, {"location": LOCATION, "sku": {"name": "Premium_LRS"},
                                                           "properties": {"creationData": {"createOption": "Empty"},
                                                                          "diskSizeGB": 64}}).result()
    assert disk.properties.provisioning_state == "Succeeded"
    assert disk.properties.disk_state == "Unattached"
    assert disk.managed_by is None
    assert disk.sku.name == "Premium_LRS" and disk.sku.tier == "Premium"
    assert disk.properties.tier == "P6"
    assert disk.properties.disk_size_gb == 64 and disk.properties.disk_size_bytes == 64 * 1024 ** 3
    assert disk.properties.unique_id and disk.properties.time_created
    assert disk.name in [d.name for d in compute.disks.list_by_resource_group(rg)]
    assert disk.name in [d.name for d in compute.disks.list()]

    grown = compute.disks.begin_update(rg, disk.name, {"properties": {"diskSizeGB": 128},
                                                       "tags": {"role": "cache"}}).result()
    assert grown.properties.disk_size_gb == 128 and grown.tags == {"role": "cache"}
    assert grown.properties.tier == "P10"
    with pytest.raises(HttpResponseError) as e:
        compute.disks.begin_update(rg, disk.name, {"properties": {"diskSizeGB": 16}}).result()
    assert e.value.status_code == 400

    copy_name = _name("copy")
    compute.disks.begin_create_or_update(rg, copy_name, {"location": LOCATION, "properties": {
        "creationData": {"createOption": "Copy", "sourceResourceId": disk.id}}}, polling=False)
    copy = compute.disks.get(rg, copy_name)
    assert copy.properties.disk_size_gb == 128 and copy.sku.name == "Standard_LRS"
    assert copy.properties.creation_data.source_unique_id == disk.properties.unique_id

    with pytest.raises(HttpResponseError) as e:
        compute.disks.begin_create_or_update(rg, _name("disk"), {"location": LOCATION, "properties": {
            "creationData": {"createOption": "Empty"}}}).result()
    assert _code(e) == "InvalidParameter" and e.value.error.target == "diskSizeGB"

    # Import (what a failover does with a replicated VHD) needs its storage account
    account = "drlabimp" + uuid.uuid4().hex[:8]
    storage.storage_accounts.begin_create(rg, account, {"location": LOCATION, "sku": {"name": "Standard_LRS"},
                                                        "kind": "StorageV2"}, polling=False)
    account_id = storage.storage_accounts.get_properties(rg, account).id
    vhd = "https://%s.blob.core.drlab.test/vhds/disk0.vhd" % account
    imported = _name("imported")
    compute.disks.begin_create_or_update(rg, imported, {"location": LOCATION, "properties": {
        "creationData": {"createOption": "Import", "sourceUri": vhd, "storageAccountId": account_id},
        "diskSizeGB": 40, "osType": "Windows", "hyperVGeneration": "V2"}}, polling=False)
    got = compute.disks.get(rg, imported)
    assert got.properties.creation_data.create_option == "Import"
    assert got.properties.creation_data.source_uri == vhd and got.properties.hyper_v_generation == "V2"
    with pytest.raises(HttpResponseError) as e:
        compute.disks.begin_create_or_update(rg, _name("imported"), {"location": LOCATION, "properties": {
            "creationData": {"createOption": "Import", "sourceUri": vhd,
                             "storageAccountId": account_id + "missing"}}})
    assert _code(e) == "InvalidParameter" and e.value.error.target == "creationData.storageAccountId"

    compute.disks.begin_delete(rg, copy.name).result()
    with pytest.raises(ResourceNotFoundError):
        compute.disks.get(rg, copy.name)


def test_vm_with_disks_and_nics(compute, network, rg, make_nic, make_disk):
    os_disk = make_disk(size_gb=127, sku="Premium_LRS", os_type="Windows")
    data = make_disk(size_gb=256)
    nic1, nic2 = make_nic(), make_nic()
    name = _name("vm")
    body = _vm_body(os_disk, [nic1, nic2], data_disks=[
        {"lun": 0, "createOption": "Attach", "managedDisk": {"id": data.id}},
        {"lun": 1, "createOption": "Empty", "diskSizeGB": 8}],
        securityProfile={"securityType": "TrustedLaunch",
                         "uefiSettings": {"secureBootEnabled": True, "vTpmEnabled": True}})
    body["tags"] = {"drill": "yes"}
    vm = compute.virtual_machines.begin_create_or_update(rg, name, body).result()

    assert vm.properties.provisioning_state == "Succeeded"
    assert vm.properties.vm_id and vm.properties.time_created
    assert vm.properties.hardware_profile.vm_size == "Standard_D2s_v5"
    assert vm.tags == {"drill": "yes"}
    assert vm.properties.security_profile.uefi_settings.secure_boot_enabled is True
    osd = vm.properties.storage_profile.os_disk
    assert osd.managed_disk.id == os_disk.id and osd.name == os_disk.name
    assert osd.managed_disk.storage_account_type == "Premium_LRS" and osd.disk_size_gb == 127
    assert osd.delete_option == "Detach"
    luns = {d.lun: d for d in vm.properties.storage_profile.data_disks}
    assert luns[0].managed_disk.id == data.id
    assert luns[1].create_option == "Empty" and luns[1].disk_size_gb == 8
    assert vm.properties.os_profile is None

    # back-references on the disks and NICs
    for disk_id in (os_disk.id, data.id, luns[1].managed_disk.id):
        disk = compute.disks.get(rg, disk_id.rsplit("/", 1)[-1])
        assert disk.managed_by == vm.id
        assert disk.properties.disk_state == "Attached"
    first = network.network_interfaces.get(rg, nic1.name)
    second = network.network_interfaces.get(rg, nic2.name)
    assert first.properties.virtual_machine.id == vm.id and first.properties.primary is True
    assert second.properties.virtual_machine.id == vm.id and second.properties.primary is False
    assert first.properties.mac_address and len(first.properties.mac_address.split("-")) == 6

    # in use: neither the NIC nor the disk can be deleted
    with pytest.raises(HttpResponseError) as e:
        network.network_interfaces.begin_delete(rg, nic1.name).result()
    assert _code(e) == "NicInUse"
    with pytest.raises(HttpResponseError) as e:
        compute.disks.begin_delete(rg, data.name).result()
    assert e.value.status_code == 409 and _code(e) == "OperationNotAllowed"

    # a second VM may not take them
    other = make_disk(os_type="Windows")
    with pytest.raises(HttpResponseError) as e:
        compute.virtual_machines.begin_create_or_update(rg, _name("vm"), _vm_body(other, [nic1])).result()
    assert _code(e) == "NicInUse"
    with pytest.raises(HttpResponseError) as e:
        compute.virtual_machines.begin_create_or_update(rg, _name("vm"), _vm_body(os_disk, [make_nic()])).result()
    assert e.value.status_code == 409 and _code(e) == "ConflictingUserInput"

    assert name in [v.name for v in compute.virtual_machines.list(rg)]
    assert name in [v.name for v in compute.virtual_machines.list_all()]

    # PATCH: tags and a resize; detach a data disk with a PUT
    updated = compute.virtual_machines.begin_update(rg, name, {
        "tags": {"drill": "no"}, "properties": {"hardwareProfile": {"vmSize": "Standard_D4s_v5"}}}).result()
    assert updated.tags == {"drill": "no"}
    assert updated.properties.hardware_profile.vm_size == "Standard_D4s_v5"
    current = compute.virtual_machines.get(rg, name)
    current.properties.storage_profile.data_disks = [
        d for d in current.properties.storage_profile.data_disks if d.lun != 0]
    compute.virtual_machines.begin_create_or_update(rg, name, current).result()
    freed = compute.disks.get(rg, data.name)
    assert freed.managed_by is None and freed.properties.disk_state == "Unattached"


def test_power_actions_and_instance_view(compute, rg, make_nic, make_disk):
    os_disk = make_disk(os_type="Linux", generation="V2")
    name = _name("vm")
    vm = compute.virtual_machines.begin_create_or_update(rg, name, _vm_body(os_disk, [make_nic()])).result()

    view = compute.virtual_machines.instance_view(rg, name)
    assert _power(view) == ["PowerState/running"]
    assert "ProvisioningState/succeeded" in [s.code for s in view.statuses]
    assert view.hyper_v_generation == "V2"
    assert [d.name for d in view.disks] == [os_disk.name]
    expanded = compute.virtual_machines.get(rg, name, expand="instanceView")
    assert _power(expanded.properties.instance_view) == ["PowerState/running"]
    assert compute.virtual_machines.get(rg, name).properties.instance_view is None

    compute.virtual_machines.begin_power_off(rg, name).result()
    assert _power(compute.virtual_machines.instance_view(rg, name)) == ["PowerState/stopped"]
    assert compute.disks.get(rg, os_disk.name).properties.disk_state == "Attached"

    compute.virtual_machines.begin_deallocate(rg, name).result()
    assert _power(compute.virtual_machines.instance_view(rg, name)) == ["PowerState/deallocated"]
    assert compute.disks.get(rg, os_disk.name).properties.disk_state == "Reserved"
    with pytest.raises(HttpResponseError) as e:
        compute.virtual_machines.begin_restart(rg, name).result()
    assert _code(e) == "OperationNotAllowed"

    compute.virtual_machines.begin_start(rg, name).result()
    assert _power(compute.virtual_machines.instance_view(rg, name)) == ["PowerState/running"]
    compute.virtual_machines.begin_restart(rg, name).result()
    assert _power(compute.virtual_machines.instance_view(rg, name)) == ["PowerState/running"]
    assert vm.properties.vm_id == compute.virtual_machines.get(rg, name).properties.vm_id
    assert "Standard_D4s_v5" in [s.name for s in compute.virtual_machines.list_available_sizes(rg, name)]

    with pytest.raises(ResourceNotFoundError):
        compute.virtual_machines.instance_view(rg, "no-such-vm")


def test_delete_honours_delete_options(compute, network, rg, make_nic, make_disk):
    os_disk, kept_disk = make_disk(os_type="Windows"), make_disk()
    nic_deleted, nic_kept = make_nic(), make_nic()
    name = _name("vm")
    body = _vm_body(os_disk, [nic_deleted, nic_kept], data_disks=[
        {"lun": 0, "createOption": "Attach", "managedDisk": {"id": kept_disk.id}}])
    body["properties"]["storageProfile"]["osDisk"]["deleteOption"] = "Delete"
    body["properties"]["networkProfile"]["networkInterfaces"][0]["properties"]["deleteOption"] = "Delete"
    compute.virtual_machines.begin_create_or_update(rg, name, body).result()

    compute.virtual_machines.begin_delete(rg, name).result()
    with pytest.raises(ResourceNotFoundError):
        compute.virtual_machines.get(rg, name)
    with pytest.raises(ResourceNotFoundError):
        compute.disks.get(rg, os_disk.name)
    with pytest.raises(ResourceNotFoundError):
        network.network_interfaces.get(rg, nic_deleted.name)
    kept = compute.disks.get(rg, kept_disk.name)
    assert kept.managed_by is None and kept.properties.disk_state == "Unattached"
    nic = network.network_interfaces.get(rg, nic_kept.name)
    assert nic.properties.virtual_machine is None and nic.properties.primary is None


@pytest.fixture(scope="module")
def free_parts(compute, network, resource_group):
    """A free NIC and a Gen2 OS disk per location, for VM creations that must fail (and leave them free)."""
    made = {}

    def parts(location):
        if location not in made:
            group = resource_group("drlab-compute-" + location, location)
            nic = _new_nic(network, group, _subnet(network, group, location, "10.60"), location)
            made[location] = group, nic, _new_disk(compute, group, os_type="Linux", generation="V2",
                                                   location=location)
        return made[location]
    return parts


@pytest.mark.parametrize("size,location,zones,status,code", [
    ("Standard_Nope_v9", LOCATION, None, 400, "InvalidParameter"),
    ("Standard_L8s_v3", "ukwest", None, 400, "InvalidParameter"),          # not offered in the region
    ("Standard_L16s_v3", LOCATION, None, 409, "SkuNotAvailable"),          # restricted for the subscription
    ("Standard_D16s_v3", "northeurope", ["3"], 409, "SkuNotAvailable"),    # restricted in one zone
])
def test_vm_size_availability(compute, free_parts, size, location, zones, status, code):
    group, nic, disk = free_parts(location)
    with pytest.raises(HttpResponseError) as e:
        compute.virtual_machines.begin_create_or_update(
            group, _name("vm"), _vm_body(disk, [nic], size=size, location=location, zones=zones)).result()
    assert e.value.status_code == status and _code(e) == code
    if code == "InvalidParameter":
        assert e.value.error.target == "vmSize"


def test_vm_checks_against_the_size(compute, rg, make_nic, make_disk):
    nic, spare_nic, third_nic = make_nic(), make_nic(), make_nic()
    windows = make_disk(os_type="Windows")
    premium, gen1 = make_disk(os_type="Windows", sku="Premium_LRS"), make_disk(os_type="Linux", generation="V1")
    disks_before = {d.name for d in compute.disks.list_by_resource_group(rg)}

    def create(os_disk, nics, **kw):
        with pytest.raises(HttpResponseError) as e:
            compute.virtual_machines.begin_create_or_update(rg, _name("vm"), _vm_body(os_disk, nics, **kw)).result()
        return e

    # Standard_D2s_v5 takes 2 NICs and 4 data disks
    e = create(windows, [nic, spare_nic, third_nic])
    assert e.value.status_code == 400 and _code(e) == "NetworkInterfaceCountExceeded"
    e = create(windows, [nic], data_disks=[{"lun": i, "createOption": "Empty", "diskSizeGB": 4} for i in range(5)])
    assert e.value.status_code == 409 and _code(e) == "OperationNotAllowed"
    # two NICs need one primary
    body = _vm_body(windows, [nic, spare_nic])
    body["properties"]["networkProfile"]["networkInterfaces"][0]["properties"]["primary"] = False
    with pytest.raises(HttpResponseError) as e:
        compute.virtual_machines.begin_create_or_update(rg, _name("vm"), body).result()
    assert _code(e) == "InvalidParameter"
    # Standard_D2_v5 has no premium storage
    e = create(premium, [nic], size="Standard_D2_v5")
    assert _code(e) == "InvalidParameter" and "Premium_LRS" in e.value.error.message
    # Lsv3 boots Gen2 only
    e = create(gen1, [nic], size="Standard_L8s_v3")
    assert e.value.status_code == 400 and _code(e) == "BadRequest"
    # Attach takes no osProfile; the disk must exist
    e = create(windows, [nic], osProfile={"computerName": "x", "adminUsername": "u", "adminPassword": "P4ssw0rd!"})
    assert _code(e) == "InvalidParameter" and e.value.error.target == "osProfile"
    missing = windows.id.rsplit("/", 1)[0] + "/" + _name("missing")
    with pytest.raises(ResourceNotFoundError):
        compute.virtual_machines.begin_create_or_update(rg, _name("vm"), _vm_body(
            type("Disk", (), {"id": missing}), [nic])).result()
    # nothing of the failed attempts stuck: no disk created, none attached
    assert {d.name for d in compute.disks.list_by_resource_group(rg)} == disks_before
    assert compute.disks.get(rg, windows.name).managed_by is None


def test_vm_from_image_creates_its_os_disk(compute, rg, make_nic):
    name = _name("vm")
    body = {"location": LOCATION, "zones": ["2"], "properties": {
        "hardwareProfile": {"vmSize": "Standard_B2s"},
        "storageProfile": {"imageReference": {"publisher": "Canonical", "offer": "ubuntu-24_04-lts",
                                              "sku": "server", "version": "latest"},
                           "osDisk": {"createOption": "FromImage", "deleteOption": "Delete"}},
        "osProfile": {"computerName": "tfo01", "adminUsername": "azureuser", "adminPassword": "N0t-a-real-one!"},
        "networkProfile": {"networkInterfaces": [{"id": make_nic().id}]}}}
    vm = compute.virtual_machines.begin_create_or_update(rg, name, body).result()
    osd = vm.properties.storage_profile.os_disk
    assert osd.create_option == "FromImage" and osd.os_type == "Linux"
    assert osd.managed_disk.storage_account_type == "Premium_LRS" and osd.disk_size_gb == 30
    assert vm.properties.os_profile.computer_name == "tfo01"
    assert vm.properties.os_profile.admin_password is None           # never returned
    assert vm.zones == ["2"]
    os_disk = compute.disks.get(rg, osd.name)
    assert os_disk.managed_by == vm.id and os_disk.zones == ["2"]
    assert compute.virtual_machines.instance_view(rg, name).computer_name == "tfo01"
    compute.virtual_machines.begin_delete(rg, name).result()
    with pytest.raises(ResourceNotFoundError):
        compute.disks.get(rg, osd.name)


def test_vm_sizes_of_a_location(compute):
    sizes = {s.name: s for s in compute.virtual_machine_sizes.list(LOCATION)}
    d2 = sizes["Standard_D2s_v5"]
    assert (d2.number_of_cores, d2.memory_in_mb, d2.max_data_disk_count) == (2, 8192, 4)
    assert d2.os_disk_size_in_mb == 1047552 and d2.resource_disk_size_in_mb == 0
    assert sizes["Standard_B2ms"].resource_disk_size_in_mb == 16384
    assert {"Standard_B1s", "Standard_D4_v3", "Standard_E8s_v5", "Standard_F4s_v2", "Standard_L8s_v3"} <= set(sizes)
    assert "Standard_L8s_v3" not in {s.name for s in compute.virtual_machine_sizes.list("ukwest")}
    with pytest.raises(HttpResponseError):
        list(compute.virtual_machine_sizes.list("atlantis"))


def test_resource_skus(compute):
    skus = list(compute.resource_skus.list(filter="location eq 'westeurope'"))
    assert skus and all(s.locations == ["westeurope"] for s in skus)
    by_name = {s.name: s for s in skus if s.resource_type == "virtualMachines"}
    e4 = by_name["Standard_E4s_v5"]
    caps = {c.name: c.value for c in e4.capabilities}
    assert (e4.tier, e4.size, e4.family) == ("Standard", "E4s_v5", "standardESv5Family")
    assert caps["vCPUs"] == "4" and caps["MemoryGB"] == "32" and caps["MaxDataDiskCount"] == "8"
    assert caps["MaxNetworkInterfaces"] == "2" and caps["PremiumIO"] == "True"
    assert caps["HyperVGenerations"] == "V1,V2"
    assert {c.name: c.value for c in by_name["Standard_D4_v5"].capabilities}["PremiumIO"] == "False"
    assert e4.location_info[0].zones == ["1", "2", "3"]
    assert e4.restrictions == []
    restricted = by_name["Standard_L16s_v3"].restrictions
    assert [(r.type, r.reason_code) for r in restricted] == [("Location", "NotAvailableForSubscription")]
    everywhere = list(compute.resource_skus.list())
    assert len(everywhere) > len(skus)
    assert {s.locations[0] for s in everywhere} >= {"westeurope", "northeurope", "eastus"}
