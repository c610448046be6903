"""ASR side effects outside the vault (drlab.azure.providers.siterecovery.effects), tested directly.

An Azure simulator runs in this process (its App served over TLS on a thread), so the effects are
called with the engine's own Context, exactly as a job's task callback calls them, and what they
made is then read back through the real Compute and Network SDKs. A private vcsim plays the
on-premises vCenter (the appliance's link is configured by DRLAB_VCENTER_* as `lab up` does).
"""
import dataclasses
import os
import signal
import threading

import pytest

from drlab import vcenter as labvcenter
from drlab.azure import config as azconfig
from drlab.azure.engine import Context
from drlab.azure.providers import compute, network, resources
from drlab.azure.providers.siterecovery import effects, vcenter
from drlab.azure.server import App, TLSServer, make_ssl_context
from drlab.settings import REPO_ROOT, Settings, get_settings
from drlab.testing.privatelab import free_port
from drlab.vcenter import build as vcbuild
from drlab.vcenter import inventory

pytest.importorskip("pyVim.connect")

SUB = Settings().subscription_id
RG = "rg-asr-effects"
RG_ID = "/subscriptions/%s/resourceGroups/%s" % (SUB, RG)
RECOVERY_VNET = RG_ID + "/providers/Microsoft.Network/virtualNetworks/vnet-recovery"
TEST_VNET = RG_ID + "/providers/Microsoft.Network/virtualNetworks/vnet-test"
YAML = os.path.join(REPO_ROOT, "lab", "config", "vcenter.yml")
SOURCE_DISK = "6000C29a-0000-4000-8000-00000000d001"


class InProcessSim:
    """An Azure simulator App in this process: `ctx()` for effects, `client(Cls)` for the SDKs."""

    def __init__(self, state_dir):
        self.settings = Settings(state_dir=state_dir, azure_port=0)
        self.server = TLSServer(("127.0.0.1", 0), make_ssl_context(self.settings))
        port = self.server.server_address[1]
        self.settings = dataclasses.replace(self.settings, azure_port=port)
        self.url = "https://127.0.0.1:%d" % port
        self.app = App(self.settings, azconfig.load(None), state_dir, self.url)
        self.server.app = self.app
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self.thread.start()

    def run(self, fn, *args, **kw):
        """fn(ctx, ...) inside one store transaction, as a request (or a job callback) runs."""
        with self.app.store.transaction():
            return fn(Context(self.app.engine, None, None, SUB), *args, **kw)

    def client(self, cls):
        from azure.identity import ClientSecretCredential
        cred = ClientSecretCredential(self.settings.tenant_id, self.settings.client_id, self.settings.client_secret,
                                      authority=self.url, disable_instance_discovery=True,
                                      connection_verify=self.settings.ca_pem)
        return cls(cred, SUB, base_url=self.url, connection_verify=self.settings.ca_pem,
                   credential_scopes=["https://management.core.windows.net//.default"], polling_interval=1)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.app.close()


def _seed(ctx):
    rg = resources.ResourceGroup().prepare_put(ctx, ctx.parse(RG_ID), {"location": "westeurope"}, None)
    ctx.put(RG_ID, rg)
    for vnet_id, space, subnets in ((RECOVERY_VNET, "10.10.0.0/16", {"default": "10.10.0.0/24", "app": "10.10.1.0/24"}),
                                    (TEST_VNET, "10.20.0.0/16", {"default": "10.20.0.0/24", "app": "10.20.1.0/24"})):
        body = network.VirtualNetwork().prepare_put(ctx, ctx.parse(vnet_id), {
            "location": "westeurope",
            "properties": {"addressSpace": {"addressPrefixes": [space]},
                           "subnets": [{"name": n, "properties": {"addressPrefix": p}} for n, p in subnets.items()]},
        }, None)
        body["properties"]["provisioningState"] = "Succeeded"
        ctx.put(vnet_id, body)


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    s = InProcessSim(str(tmp_path_factory.mktemp("asr-effects-azure")))
    s.run(_seed)
    yield s
    s.stop()


@pytest.fixture(scope="module")
def compute_client(sim):
    from azure.mgmt.compute import ComputeManagementClient
    return sim.client(ComputeManagementClient)


@pytest.fixture(scope="module")
def network_client(sim):
    from azure.mgmt.network import NetworkManagementClient
    return sim.client(NetworkManagementClient)


@pytest.fixture(scope="module")
def vcsim(tmp_path_factory):
    """A private vcsim, and the appliance's link to it (DRLAB_VCENTER_*) for this module."""
    binary = vcbuild.build(get_settings())
    settings = Settings(state_dir=str(tmp_path_factory.mktemp("asr-effects-vcsim")), vcenter_port=free_port(),
                        vcenter_inventory=YAML)
    inv_path = inventory.write_json(settings, vm_count=0)
    proc = labvcenter.start(settings, inv_path, timeout=30, binary=binary)
    mp = pytest.MonkeyPatch()
    try:
        labvcenter.wait_ready(settings, timeout=20, proc=proc)
        mp.setenv("DRLAB_VCENTER_URL", settings.vcenter_url)
        mp.setenv("DRLAB_VCENTER_USER", settings.vcenter_user)
        mp.setenv("DRLAB_VCENTER_PASSWORD", settings.vcenter_password)
        mp.setenv("DRLAB_VCENTER_CA", settings.ca_pem)
        vcenter.reset()
        yield {vm["name"]: vm for vm in inventory.load_json(inv_path)["datacenters"][0]["vms"]}
    finally:
        mp.undo()
        vcenter.reset()
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(15)
            except Exception:  # pylint: disable=broad-except
                proc.kill()
                proc.wait()
        proc.stdout.close()


def _spec(name, **kw):
    spec = {
        "resource_group_id": RG_ID,
        "vm_name": name,
        "network_id": RECOVERY_VNET,
        "vm_size": "Standard_D2s_v3",
        "os_type": "Linux",
        "firmware": "bios",
        "nics": [{"subnet": "app", "primary": True, "source_nic_id": "00:50:56:90:00:01"}],
        "disks": [{"disk_id": SOURCE_DISK, "capacity_bytes": 60 << 30, "disk_type": "Standard_LRS", "is_os": True},
                  {"disk_id": "6000C29a-0000-4000-8000-00000000d002", "size_gb": 100, "disk_type": "Premium_LRS"}],
        "vm_tags": [{"tagName": "app", "tagValue": "shop"}],
    }
    spec.update(kw)
    return spec


def _count(sim, full_type):
    return sim.run(lambda ctx: len(ctx.list(full_type, scope=RG_ID)))


# --- Azure: failover VM --------------------------------------------------------------------------------------


def test_failover_vm_in_target_network_with_size_ip_and_disks(sim, compute_client, network_client):
    created = sim.run(effects.create_azure_vm, _spec(
        "web-01", nics=[{"subnet": "app", "static_ip": "10.10.1.11", "primary": True}], zone="2",
        license_type="NoLicenseType", disk_tags=[{"key": "cost", "value": "dr"}]))
    assert created["vmName"] == "web-01" and created["vmSize"] == "Standard_D2s_v3"
    assert created["privateIpAddresses"] == ["10.10.1.11"] and created["warnings"] == []
    assert [i.rsplit("/", 1)[-1] for i in created["nicIds"]] == ["nic-web-01-00"]
    assert [i.rsplit("/", 1)[-1] for i in created["diskIds"]] == ["web-01-OSdisk-00", "web-01-DataDisk-01"]

    vm = compute_client.virtual_machines.get(RG, "web-01", expand="instanceView")
    assert vm.location == "westeurope" and vm.zones == ["2"] and vm.tags == {"app": "shop"}
    assert vm.hardware_profile.vm_size == "Standard_D2s_v3" and vm.provisioning_state == "Succeeded"
    assert "PowerState/running" in [s.code for s in vm.instance_view.statuses]
    assert vm.instance_view.hyper_v_generation == "V1"
    assert vm.storage_profile.os_disk.os_type == "Linux"
    assert vm.storage_profile.os_disk.managed_disk.id.lower() == created["osDiskId"].lower()
    assert [(d.lun, d.name, d.disk_size_gb) for d in vm.storage_profile.data_disks] == [(0, "web-01-DataDisk-01", 100)]
    assert vm.license_type is None

    nic = network_client.network_interfaces.get(RG, "nic-web-01-00")
    ipc = nic.ip_configurations[0]
    assert ipc.name == "nic-web-01-00-ipConfig"
    assert ipc.subnet.id.lower() == (RECOVERY_VNET + "/subnets/app").lower()
    assert (ipc.private_ip_address, ipc.private_ip_allocation_method) == ("10.10.1.11", "Static")
    assert nic.virtual_machine.id.lower() == vm.id.lower() and nic.primary and nic.mac_address

    os_disk = compute_client.disks.get(RG, "web-01-OSdisk-00")
    assert (os_disk.disk_size_gb, os_disk.sku.name, os_disk.os_type, os_disk.hyper_v_generation) == \
        (60, "Standard_LRS", "Linux", "V1")
    assert os_disk.tags == {"cost": "dr", "AzHydration-ManagedDisk-CreatedBy": "Azure Site Recovery"}
    assert os_disk.disk_state == "Attached" and os_disk.managed_by.lower() == vm.id.lower()
    data = compute_client.disks.get(RG, "web-01-DataDisk-01")
    assert (data.disk_size_gb, data.sku.name, data.zones) == (100, "Premium_LRS", ["2"])
    subnet = network_client.subnets.get(RG, "vnet-recovery", "app")
    assert any(c.id.lower().startswith(nic.id.lower() + "/") for c in subnet.ip_configurations)


def test_test_failover_vm_in_test_network_named_like_asr(sim, compute_client, network_client):
    created = sim.run(effects.create_azure_vm, _spec(
        "web-02", suffix="-test", network_id=TEST_VNET, firmware="efi", os_type="Windows",
        license_type="WindowsServer", nics=[{"subnet": "default", "primary": True}]))
    assert created["vmName"] == "web-02-test"
    assert [i.rsplit("/", 1)[-1] for i in created["nicIds"]] == ["nic-web-02-00-test"]
    assert [i.rsplit("/", 1)[-1] for i in created["diskIds"]] == ["web-02-OSdisk-00-test", "web-02-DataDisk-01-test"]
    vm = compute_client.virtual_machines.get(RG, "web-02-test", expand="instanceView")
    assert vm.instance_view.hyper_v_generation == "V2" and vm.license_type == "Windows_Server"
    nic = network_client.network_interfaces.get(RG, "nic-web-02-00-test")
    ipc = nic.ip_configurations[0]
    assert ipc.subnet.id.lower() == (TEST_VNET + "/subnets/default").lower()
    assert ipc.private_ip_allocation_method == "Dynamic" and ipc.private_ip_address == "10.20.0.4"
    sim.run(effects.delete_azure_resources, created)


def test_two_nics_primary_and_secondary_and_size_picked_from_the_source(sim, compute_client):
    created = sim.run(effects.create_azure_vm, _spec(
        "app-api-01", vm_size=None, cores=4, memory_mb=8192,
        nics=[{"subnet": "app", "primary": False}, {"subnet": "default", "primary": True},
              {"subnet": "app", "selected": False}]))
    assert len(created["nicIds"]) == 2       # the NIC not selected for failover is not created
    vm = compute_client.virtual_machines.get(RG, "app-api-01")
    cores_ok = {s.name: s for s in compute_client.virtual_machine_sizes.list("westeurope")}[vm.hardware_profile.vm_size]
    assert cores_ok.number_of_cores >= 4 and cores_ok.memory_in_mb >= 8192
    assert vm.hardware_profile.vm_size == created["vmSize"]
    primaries = {n.id.rsplit("/", 1)[-1]: n.primary for n in vm.network_profile.network_interfaces}
    assert primaries == {"nic-app-api-01-00": False, "nic-app-api-01-01": True}
    sim.run(effects.delete_azure_resources, created)


def test_rerun_of_a_create_is_a_no_op_and_completes_a_partial_one(sim):
    spec = _spec("db-pg-01")
    first = sim.run(effects.create_azure_vm, spec)
    counts = [_count(sim, t) for t in (compute.VM, compute.DISK, network.NIC)]
    again = sim.run(effects.create_azure_vm, spec)
    assert again == first
    assert [_count(sim, t) for t in (compute.VM, compute.DISK, network.NIC)] == counts

    # a crash after the NICs and disks were made, before the VM: the rerun reuses them
    vm = sim.run(lambda ctx: ctx.get(first["vmId"]))
    sim.run(lambda ctx: (ctx.delete(first["vmId"]), compute.VirtualMachine().on_deleted(ctx, ctx.parse(vm["id"]), vm)))
    third = sim.run(effects.create_azure_vm, spec)
    assert third["nicIds"] == first["nicIds"] and third["diskIds"] == first["diskIds"]
    assert third["privateIpAddresses"] == first["privateIpAddresses"]
    assert [_count(sim, t) for t in (compute.VM, compute.DISK, network.NIC)] == counts

    # a rerun finds a stopped VM started again
    sim.run(effects.set_azure_vm_power, first["vmId"], "deallocated")
    sim.run(effects.create_azure_vm, spec)
    assert sim.run(effects.azure_vm_power, first["vmId"]) == "running"
    sim.run(effects.delete_azure_resources, first)


def test_static_ip_in_use_falls_back_to_the_next_free_address(sim, network_client):
    taken = sim.run(effects.create_azure_vm, _spec("ip-a", nics=[{"subnet": "default", "static_ip": "10.10.0.50"}]))
    other = sim.run(effects.create_azure_vm, _spec("ip-b", nics=[{"subnet": "default", "static_ip": "10.10.0.50"}]))
    assert taken["privateIpAddresses"] == ["10.10.0.50"]
    assert other["privateIpAddresses"][0] != "10.10.0.50"
    assert "10.10.0.50" in other["warnings"][0] and "PrivateIPAddressIsAllocated" in other["warnings"][0]
    ipc = network_client.network_interfaces.get(RG, "nic-ip-b-00").ip_configurations[0]
    assert ipc.private_ip_allocation_method == "Dynamic"
    for c in (taken, other):
        sim.run(effects.delete_azure_resources, c)


def test_delete_leaves_nothing_behind(sim, compute_client, network_client):
    before = [_count(sim, t) for t in (compute.VM, compute.DISK, network.NIC)]
    static = [{"subnet": "app", "static_ip": "10.10.1.99"}]
    created = sim.run(effects.create_azure_vm, _spec("legacy-app-01", nics=static))
    gone = sim.run(effects.delete_azure_resources, created)
    made = [created["vmId"]] + created["nicIds"] + created["diskIds"]
    assert {g.lower() for g in gone} == {x.lower() for x in made}
    assert [_count(sim, t) for t in (compute.VM, compute.DISK, network.NIC)] == before
    names = {n.name for n in network_client.network_interfaces.list(RG)}
    names |= {d.name for d in compute_client.disks.list_by_resource_group(RG)}
    assert not [n for n in names if "legacy-app-01" in n]
    subnet = network_client.subnets.get(RG, "vnet-recovery", "app")
    assert not [c for c in subnet.ip_configurations or [] if "legacy-app-01" in c.id]
    assert sim.run(effects.delete_azure_resources, created) == []      # a rerun: nothing left to do
    # the IP is free again
    again = sim.run(effects.create_azure_vm, _spec("legacy-app-02", nics=static))
    assert again["warnings"] == [] and again["privateIpAddresses"] == ["10.10.1.99"]
    sim.run(effects.delete_azure_resources, again)


def test_restore_from_a_seed_disk_when_it_exists(sim, compute_client):
    seed_id = RG_ID + "/providers/Microsoft.Compute/disks/asrseeddisk-seeded-01-6000c29a"

    def make_seed(ctx):
        body = compute.Disk().prepare_put(ctx, ctx.parse(seed_id), {
            "location": "westeurope", "sku": {"name": "Standard_LRS"},
            "properties": {"creationData": {"createOption": "Empty"}, "diskSizeGB": 60}}, None)
        body["properties"]["provisioningState"] = "Succeeded"
        ctx.put(seed_id, body)
    sim.run(make_seed)
    created = sim.run(effects.create_azure_vm, _spec("seeded-01", disks=[
        {"disk_id": SOURCE_DISK, "capacity_bytes": 60 << 30, "disk_type": "StandardSSD_LRS", "is_os": True,
         "seed_disk_id": seed_id}]))
    disk = compute_client.disks.get(RG, "seeded-01-OSdisk-00")
    assert disk.creation_data.create_option == "Restore"
    assert disk.creation_data.source_resource_id.lower() == seed_id.lower()
    sim.run(effects.delete_azure_resources, created)


@pytest.mark.parametrize("change, code", [
    ({"nics": [{"subnet": "nope"}]}, "InvalidResourceReference"),
    ({"network_id": RG_ID + "/providers/Microsoft.Network/virtualNetworks/missing"}, "InvalidResourceReference"),
    ({"resource_group_id": "/subscriptions/%s/resourceGroups/missing-rg" % SUB}, "ResourceGroupNotFound"),
    ({"nics": [{"subnet": "app", "selected": False}]}, "NoNicSelectedForFailover"),
    ({"vm_size": "Standard_Nope"}, "InvalidParameter"),
])
def test_create_errors_leave_no_vm(sim, change, code):
    with pytest.raises(effects.ArmError) as err:
        sim.run(effects.create_azure_vm, _spec("broken-01", **change))
    assert err.value.code == code
    assert sim.run(lambda ctx: ctx.get(RG_ID + "/providers/Microsoft.Compute/virtualMachines/broken-01")) is None


def test_azure_vm_power(sim, compute_client):
    created = sim.run(effects.create_azure_vm, _spec("pwr-01"))
    assert sim.run(effects.set_azure_vm_power, created["vmId"], "deallocated") == "deallocated"
    view = compute_client.virtual_machines.instance_view(RG, "pwr-01")
    assert "PowerState/deallocated" in [s.code for s in view.statuses]
    assert compute_client.disks.get(RG, "pwr-01-OSdisk-00").disk_state == "Reserved"
    sim.run(effects.set_azure_vm_power, created["vmId"], "running")
    assert sim.run(effects.azure_vm_power, created["vmId"]) == "running"
    assert sim.run(effects.azure_vm_power, RG_ID + "/providers/Microsoft.Compute/virtualMachines/none") is None
    sim.run(effects.delete_azure_resources, created)


# --- vCenter ---------------------------------------------------------------------------------------------------


def _ref(vms, name):
    return {"name": name, "instance_uuid": vms[name]["instance_uuid"], "bios_uuid": vms[name]["uuid"]}


def test_power_off_source_graceful_when_tools_run(vcsim):
    ref = _ref(vcsim, "web-01")
    assert effects.source_power_state(ref) == "poweredOn"
    assert effects.power_off_source(ref) == {"action": "shutdownGuest", "powerState": "poweredOff"}
    assert effects.source_power_state(ref) == "poweredOff"
    assert effects.power_off_source(ref) == {"action": "none", "powerState": "poweredOff"}   # rerun
    assert effects.power_on_source(ref) == {"action": "powerOn", "powerState": "poweredOn"}
    assert effects.power_on_source(ref) == {"action": "none", "powerState": "poweredOn"}


def test_power_off_source_hard_without_tools_or_when_not_graceful(vcsim):
    batch = _ref(vcsim, "app-batch-01")          # powered on, VMware Tools not running
    assert effects.power_off_source(batch) == {"action": "powerOff", "powerState": "poweredOff"}
    api = _ref(vcsim, "app-api-01")
    assert effects.power_off_source(api, graceful=False) == {"action": "powerOff", "powerState": "poweredOff"}
    effects.power_on_source(batch)
    effects.power_on_source(api)


def test_many_sources_power_off_together_each_with_its_outcome(vcsim):
    """A recovery plan's shutdown step: every VM shut down in one go (guest shutdown with tools, else power off), a
    missing VM its own error, the others unaffected; a rerun finds them off."""
    web, batch = _ref(vcsim, "web-01"), _ref(vcsim, "app-batch-01")
    missing = {"name": "gone", "instance_uuid": "50100000-0000-4000-8000-000000000001"}
    out = effects.power_off_sources([web, missing, batch])
    assert out[0] == {"action": "shutdownGuest", "powerState": "poweredOff"}
    assert out[2] == {"action": "powerOff", "powerState": "poweredOff"}
    assert out[1]["error"].code == "SourceVmNotFound"
    assert {effects.source_power_state(r) for r in (web, batch)} == {"poweredOff"}
    assert effects.power_off_sources([web, batch]) == [{"action": "none", "powerState": "poweredOff"}] * 2
    effects.power_on_source(web)
    effects.power_on_source(batch)


def test_source_found_by_bios_uuid_and_missing_source(vcsim):
    ref = {"bios_uuid": vcsim["web-02"]["uuid"]}
    assert effects.source_power_state(ref) == "poweredOn"
    missing = {"name": "gone", "instance_uuid": "50100000-0000-4000-8000-000000000000"}
    assert effects.source_power_state(missing) is None
    with pytest.raises(effects.EffectError) as err:
        effects.power_off_source(missing)
    assert err.value.code == "SourceVmNotFound" and err.value.status == 404


def test_alternate_location_vm_appears_in_vcenter(vcsim):
    from pyVmomi import vim
    spec = {"name": "web-01-failback", "datastore": "ds-prod-02", "host": "esx02.lab.local",
            "folder": "Web", "guest_id": "rhel8_64Guest", "num_cpu": 2, "memory_mb": 4096, "firmware": "efi",
            "disks": [{"size_gb": 60}, {"size_gb": 20}], "nics": [{"network": "Prod-App"}],
            "instance_uuid": "5010c3d4-0000-4000-8000-0000000fb001"}
    out = effects.create_vm_in_vcenter(spec)
    assert out["created"] and out["powerState"] == "poweredOn" and out["name"] == "web-01-failback"
    assert out["instance_uuid"] == spec["instance_uuid"]
    vm = effects.find_vm(vcenter.service_instance(), {"instance_uuid": out["instance_uuid"]})
    assert vm.runtime.host.name == "esx02.lab.local" and vm.parent.name == "Web"
    assert (vm.config.firmware, vm.config.hardware.numCPU, vm.config.guestId) == ("efi", 2, "rhel8_64Guest")
    disks = [d for d in vm.config.hardware.device if isinstance(d, vim.vm.device.VirtualDisk)]
    assert sorted(d.capacityInKB >> 20 for d in disks) == [20, 60]
    assert all(d.backing.fileName.startswith("[ds-prod-02]") for d in disks)
    assert [n.name for n in vm.network] == ["Prod-App"]
    again = effects.create_vm_in_vcenter(spec)           # rerun: found, not duplicated
    assert not again["created"] and again["instance_uuid"] == out["instance_uuid"]
    view = vcenter.service_instance().content.viewManager.CreateContainerView(
        vcenter.service_instance().content.rootFolder, [vim.VirtualMachine], True)
    assert [v.name for v in view.view].count("web-01-failback") == 1
    view.Destroy()
    assert effects.delete_vm_in_vcenter(out) and not effects.delete_vm_in_vcenter(out)


def test_alternate_location_errors(vcsim):
    with pytest.raises(effects.EffectError) as err:
        effects.create_vm_in_vcenter({"name": "x-1", "datastore": "ds-nope"})
    assert err.value.code == "DatastoreNotFound"
    with pytest.raises(effects.EffectError) as err:
        effects.create_vm_in_vcenter({"name": "x-2", "datastore": "ds-prod-01", "cluster": "No-Cluster"})
    assert err.value.code == "ComputeResourceNotFound"
    with pytest.raises(effects.EffectError) as err:
        effects.create_vm_in_vcenter({"name": "x-3", "datastore": "ds-prod-01", "nics": [{"network": "nope"}]})
    assert err.value.code == "NetworkNotFound"


# --- vCenter: a lost session (the fault suite's vcenter_session lane, here at exact points, no timing) ----------


def _terminate_appliance_session():
    """Terminate the appliance's vCenter session from another session, as an administrator (or the fault suite's
    session killer) does."""
    from pyVim.connect import Disconnect
    key = vcenter.service_instance().content.sessionManager.currentSession.key
    admin = vcenter._connect()  # pylint: disable=protected-access  # a session of its own
    try:
        admin.content.sessionManager.TerminateSession([key])
    finally:
        Disconnect(admin)
    return key


def _appliance_session_key():
    return vcenter.service_instance().content.sessionManager.currentSession.key


def test_a_lost_session_mid_effect_logs_in_again_and_finishes_it(vcsim, monkeypatch, caplog):
    """The session ends while the effect waits for its vCenter task (the task ran): the appliance logs in again,
    runs the effect again, finds the VM powered off and reports what the first run did; the job goes on."""
    ref = _ref(vcsim, "app-api-01")
    real_wait = effects.wait_task
    killed = []

    def wait_then_lose_session(task, **kw):
        if not killed:
            killed.append(_terminate_appliance_session())
        return real_wait(task, **kw)
    monkeypatch.setattr(effects, "wait_task", wait_then_lose_session)
    with caplog.at_level("WARNING", logger="drlab.azure.asr.vcenter"):
        assert effects.power_off_source(ref, graceful=False) == {"action": "powerOff", "powerState": "poweredOff"}
        killed.clear()
        assert effects.power_on_source(ref) == {"action": "powerOn", "powerState": "poweredOn"}
    assert len(killed) == 1 and _appliance_session_key() != killed[0]
    lost = [r.getMessage() for r in caplog.records if "logging in again" in r.getMessage()]
    assert len(lost) == 2 and "shutting down app-api-01" in lost[0] and "powering on app-api-01" in lost[1]


def test_a_lost_session_under_a_container_view_reads_again(vcsim):
    """vcsim answers ManagedObjectNotFound (not NotAuthenticated) for a view of a terminated session: the session is
    what decides, so the operation runs again from the start, with a new view in the new session."""
    from pyVmomi import vim
    runs = []

    def names(si):
        view = si.content.viewManager.CreateContainerView(si.content.rootFolder, [vim.VirtualMachine], True)
        runs.append(si)
        if len(runs) == 1:
            _terminate_appliance_session()
        return sorted(vm.name for vm in view.view)
    assert "web-01" in vcenter.call(names, "listing VMs")
    assert len(runs) == 2 and runs[0] is not runs[1]


def test_discovery_reads_again_after_a_lost_session(vcsim, monkeypatch):
    """The appliance's discovery (fabric.read_vcenter) whose session ends under it reads again after a new login,
    instead of recording a sync error (that would leave the vault's machines as they were)."""
    from drlab.azure.providers.siterecovery import fabric
    real_retrieve = fabric._retrieve_inventory  # pylint: disable=protected-access
    killed = []

    def lose_then_retrieve(si):
        if not killed:
            killed.append(_terminate_appliance_session())
        runs.append(si)
        return real_retrieve(si)
    runs = []
    monkeypatch.setattr(fabric, "_retrieve_inventory", lose_then_retrieve)
    vms = fabric.read_vcenter()["vms"]
    assert len(killed) == 1 and len(runs) == 2 and sorted(vm["name"] for vm in vms) == sorted(vcsim)


def test_an_error_with_the_session_alive_is_the_operations_own(vcsim):
    """No new login, no second run: an effect's own error (here a VM that is not there) is raised at once; a session
    lost on every run gives up after vcenter.ATTEMPTS runs."""
    key = _appliance_session_key()
    runs = []

    def fails(si):
        runs.append(si)
        raise ValueError("not a session problem")
    with pytest.raises(ValueError):
        vcenter.call(fails, "failing")
    assert len(runs) == 1 and _appliance_session_key() == key
    with pytest.raises(effects.EffectError) as err:
        effects.power_on_source({"name": "gone", "instance_uuid": "50100000-0000-4000-8000-000000000000"})
    assert err.value.code == "SourceVmNotFound" and _appliance_session_key() == key
    runs.clear()

    def always_lost(si):
        runs.append(si)
        _terminate_appliance_session()
        si.content.searchIndex.FindByUuid(None, "50100000-0000-4000-8000-000000000000", True, True)
    from pyVmomi import vim
    with pytest.raises(vim.fault.NotAuthenticated):
        vcenter.call(always_lost, "losing")
    assert len(runs) == vcenter.ATTEMPTS


def test_without_a_vcenter_source_effects_are_skipped(monkeypatch):
    monkeypatch.delenv("DRLAB_VCENTER_URL", raising=False)
    vcenter.reset()
    ref = {"name": "web-01", "instance_uuid": "5010c3d4-0000-4000-8000-00000000e001"}
    for out in (effects.power_off_source(ref), effects.power_on_source(ref),
                effects.create_vm_in_vcenter({"name": "web-01", "datastore": "ds-prod-01"})):
        assert out["skipped"] and "no vCenter" in out["warning"]
    assert effects.source_power_state(ref) is None
    assert effects.delete_vm_in_vcenter(ref) is False
    assert [o["skipped"] for o in effects.power_off_sources([ref, ref])] == [True, True]


def test_a_failed_create_removes_what_it_made(sim):
    spec = _spec("half-01", vm_size="Standard_D2_v3",      # no premium storage: the VM step fails
                 disks=[{"disk_id": SOURCE_DISK, "size_gb": 30, "disk_type": "Premium_LRS", "is_os": True}])

    def attempt(ctx):
        before = [len(ctx.list(t, scope=RG_ID)) for t in (compute.VM, compute.DISK, network.NIC)]
        with pytest.raises(effects.ArmError) as err:
            effects.create_azure_vm(ctx, spec)
        after = [len(ctx.list(t, scope=RG_ID)) for t in (compute.VM, compute.DISK, network.NIC)]
        return err.value.code, before, after
    code, before, after = sim.run(attempt)
    assert code == "InvalidParameter" and before == after
