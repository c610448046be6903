"""Fixtures for the conformance tests of the lab's Azure simulator (and anyone who needs one).

Session fixture `azure_sim`: one simulator per test session (per xdist worker), started with
`python -m drlab.azure --port 0` in a temporary state directory, so it has its own database and its
own temporary lab CA. It yields an `AzureSim`:

    azure_sim.url / .base_url      https://127.0.0.1:<port>  (ARM endpoint, AAD authority, metadata host)
    azure_sim.ca                   path of the CA bundle that verifies its TLS certificate
    azure_sim.credential           a real azure.identity.ClientSecretCredential(tenant, client, secret,
                                   authority=url, disable_instance_discovery=True, connection_verify=ca)
    azure_sim.subscription_id, .tenant_id, .client_id, .client_secret
    azure_sim.credential_scopes    ["https://management.core.windows.net//.default"]
    azure_sim.client(Cls, **kw)    Cls(credential, subscription_id, base_url=url, credential_scopes=...,
                                   connection_verify=ca, **kw) for any azure-mgmt-* client
    azure_sim.client_kwargs()      those keyword arguments, for clients built by hand
    azure_sim.new_credential(**kw) a fresh ClientSecretCredential (e.g. another secret)
    azure_sim.admin                drlab.azure.client.AdminClient for /_lab: requests(), summary(),
                                   set_faults(), set_throttle(), advance(), set_durations(), token(), reset()
    azure_sim.settings             drlab.settings.Settings of this simulator (state_dir, port)
    azure_sim.process              the drlab.azure.client.SimulatorProcess (stop(), restart())

Other fixtures:
* `azure_clients` (session): `azure_clients(Cls, **kw)` is `azure_sim.client`.
* `resource_group` (session): `resource_group(name, location="westeurope")` creates (idempotently)
  a resource group and returns its name.
* `azure_lab` (function): `azure_sim`, with the runtime knobs (faults, throttle, runtime config,
  time scale) restored after the test. Tests never wipe the shared simulator's resources: they use
  unique names, so test modules can share it (and interleave under xdist).
* `azure_sim_factory` (function): `azure_sim_factory(config=None)` starts a separate, private
  simulator (own state dir, CA, port) and stops it after the test; `config` is a dict written as its
  configuration file.
* `asr_lab` (session): Azure Site Recovery lab: a private vcsim and a private Azure simulator whose
  replication appliance discovers it, the `lab up` seed (networks, storage account), a vault with the
  lab appliance registered, SDK clients and helpers (class `AsrLab` below).
* `asr_manual_clock` (module): the ASR lab at time scale 1 while a module runs (lab time moves by the
  tests' advance() calls), restored after; every test_asr_* module on `asr_lab` uses it. An autouse
  fixture puts back the clock scale, runtime config and faults after any test on `asr_lab` that changed
  them, so modules do not depend on each other's order.
"""
import dataclasses
import json
import os
import sys
import uuid

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if os.path.join(ROOT, "lab") not in sys.path:
    sys.path.insert(0, os.path.join(ROOT, "lab"))

from drlab.azure.client import AdminClient, SimulatorProcess  # noqa: E402
from drlab.settings import Settings  # noqa: E402
from drlab.testing.privatelab import free_port  # noqa: E402

AUDIENCE = "https://management.core.windows.net/"


class AzureSim:
    """A running simulator and what a client needs to use it (see the module docstring)."""

    def __init__(self, process, settings):
        self.process = process
        self.settings = settings
        self.tenant_id = settings.tenant_id
        self.subscription_id = settings.subscription_id
        self.client_id = settings.client_id
        self.client_secret = settings.client_secret
        self.credential_scopes = [AUDIENCE + "/.default"]
        self._refresh()

    def _refresh(self):
        self.url = self.base_url = self.process.url
        self.ca = self.process.ca_pem
        self.admin = AdminClient(self.url, self.ca)
        self.credential = self.new_credential()

    def new_credential(self, client_secret=None, client_id=None, **kw):
        from azure.identity import ClientSecretCredential
        return ClientSecretCredential(self.tenant_id, client_id or self.client_id,
                                      client_secret or self.client_secret, authority=self.url,
                                      disable_instance_discovery=True, connection_verify=self.ca, **kw)

    def client_kwargs(self, **extra):
        kw = {"base_url": self.url, "credential_scopes": list(self.credential_scopes),
              "connection_verify": self.ca}
        kw.update(extra)
        return kw

    def client(self, cls, credential=None, **kw):
        return cls(credential or self.credential, self.subscription_id, **self.client_kwargs(**kw))

    def restart(self):
        """Stop (SIGTERM) and start again on the same port with the same state."""
        self.process.restart()
        self._refresh()
        return self


def _start(state_dir, config=None):
    cfg_path = None
    if config is not None:
        cfg_path = os.path.join(state_dir, "azure-test.json")
        os.makedirs(state_dir, exist_ok=True)
        with open(cfg_path, "w") as f:
            json.dump(config, f)
    proc = SimulatorProcess(state_dir, port=0, config=cfg_path).start()
    settings = dataclasses.replace(Settings(), state_dir=state_dir, azure_port=proc.port)
    return AzureSim(proc, settings)


@pytest.fixture(scope="session")
def azure_sim(tmp_path_factory):
    sim = _start(str(tmp_path_factory.mktemp("azure-sim")))
    yield sim
    sim.process.stop()


@pytest.fixture(scope="session")
def azure_clients(azure_sim):
    return azure_sim.client


@pytest.fixture(scope="session")
def resource_group(azure_sim):
    from azure.mgmt.resource.resources import ResourceManagementClient
    rm = azure_sim.client(ResourceManagementClient)

    def make(name, location="westeurope", tags=None):
        body = {"location": location}
        if tags:
            body["tags"] = tags
        rm.resource_groups.create_or_update(name, body)
        return name
    return make


@pytest.fixture
def azure_lab(azure_sim):
    yield azure_sim
    admin = azure_sim.admin
    admin.clear_faults()
    admin.reset_throttle()
    admin.call("DELETE", "config")    # runtime config and time scale back to the startup values


@pytest.fixture
def azure_sim_factory(tmp_path):
    started = []

    def factory(config=None, name=None):
        sim = _start(str(tmp_path / (name or "sim-%d" % len(started))), config)
        started.append(sim)
        return sim
    yield factory
    for sim in started:
        sim.process.stop()


# ---------------------------------------------------------------------------------------------
# Azure Site Recovery lab: `asr_lab` (tests/lab/test_asr_*.py)

ASR_API = "2025-08-01"
OFFAZURE_API = "2023-06-06"
ASR_VAULT_GROUP, ASR_VAULT = "drlab-asr", "drlab-vault"   # drlab.mobility.config's default vault


class AsrLab:
    """A private vCenter simulator and a private Azure simulator whose replication appliance reaches it.

    Session fixture `asr_lab` (see the fixture's docstring for what is prepared). Attributes:

        sim                AzureSim (same API as `azure_sim`: .admin, .client(Cls), .url, .ca ...)
        settings           drlab Settings of this lab: state_dir (shared by both simulators, one CA),
                           azure_port, vcenter_port, vcenter_url
        si                 pyVmomi ServiceInstance on the lab vCenter (vcsim), TLS verified
        asr, rs            SiteRecoveryManagementClient / RecoveryServicesClient (polling_interval=1)
        rg, vault          resource group and name of the vault ("drlab-asr", "drlab-vault")
        vault_id, location
        fabric, container  names of the appliance's InMageRcm fabric and protection container
        fabric_id, container_id, site_id
        appliance          appliance name ("drlab-appliance-01"); process_server_id, reprotect_agent_id
        run_as             {credential name: Microsoft.OffAzure run-as account id} ("linux-root", ...)
        target_rg_id, recovery_vnet_id, test_vnet_id, storage_account_id    (drlab.seed)

    Helpers: advance(seconds) (lab clock), discover() (the appliance syncs the vCenter now),
    arm(method, path, body=None, api=...) (raw ARM call -> requests.Response), machines(),
    machine(vm_name) (the Microsoft.OffAzure machine of a VM), vm(vm_name) (pyVmomi VM),
    create_vm(name, disk_gb=20, power_on=True, guest_id="ubuntu64Guest") (a new VM in vcsim,
    discovered), power(vm_name, on) (then discover() to let the appliance see it),
    register_agent(vm_name, version="9.63.0.0") (what the Mobility service's configurator does),
    restart() (the Azure simulator; same port and state; fresh SDK clients).

    Tests share the vault: use your own VMs (create_vm with a module prefix), policies and item names.
    """

    def __init__(self, sim, settings, vc_proc):
        self.sim = sim
        self.settings = settings
        self.vc_proc = vc_proc
        self.rg, self.vault = ASR_VAULT_GROUP, ASR_VAULT
        self.location = "westeurope"
        self.vault_id = "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.RecoveryServices/vaults/%s" % (
            sim.subscription_id, self.rg, self.vault)
        self._clients()
        from drlab import vcenter
        self.si = vcenter.connect(settings)

    def _clients(self):
        from azure.mgmt.recoveryservices import RecoveryServicesClient
        from azure.mgmt.recoveryservicessiterecovery import SiteRecoveryManagementClient
        self.asr = self.sim.client(SiteRecoveryManagementClient, polling_interval=1)
        self.rs = self.sim.client(RecoveryServicesClient, polling_interval=1)

    # -- ARM ---------------------------------------------------------------------------------
    def token(self):
        return self.sim.credential.get_token(self.sim.credential_scopes[0]).token

    def arm(self, method, path, body=None, api=ASR_API, headers=None):
        import requests
        url = path if path.startswith("https://") else self.sim.url + path
        if "api-version=" not in url:
            url += ("&" if "?" in url else "?") + "api-version=" + api
        hdrs = {"Authorization": "Bearer " + self.token()}
        hdrs.update(headers or {})
        return requests.request(method, url, json=body, headers=hdrs, verify=self.sim.ca, timeout=60)

    def advance(self, seconds):
        return self.sim.admin.advance(seconds)

    def discover(self):
        return self.sim.admin.call("POST", "appliance/discover", {"vault_id": self.vault_id})

    def machines(self):
        out, url = [], self.site_id + "/machines"
        while url:
            page = self.arm("GET", url, api=OFFAZURE_API).json()
            out.extend(page["value"])
            url = page.get("nextLink")
        return out

    def machine(self, vm_name):
        found = [m for m in self.machines() if m["properties"]["displayName"] == vm_name]
        return found[0] if found else None

    # -- the lab vCenter ----------------------------------------------------------------------
    def vm(self, name):
        from pyVmomi import vim
        content = self.si.RetrieveContent()
        view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
        try:
            return next((v for v in view.view if v.name == name), None)
        finally:
            view.Destroy()

    def power(self, name, on):
        from pyVim.task import WaitForTask
        vm = self.vm(name)
        WaitForTask(vm.PowerOnVM_Task() if on else vm.PowerOffVM_Task())

    def create_vm(self, name, disk_gb=20, power_on=True, guest_id="ubuntu64Guest", network="Prod-App"):
        """A new VM in the lab vCenter (cluster Prod-Cluster, ds-prod-01), then a discovery sync."""
        from pyVim.task import WaitForTask
        from pyVmomi import vim
        content = self.si.RetrieveContent()
        dc = next(e for e in content.rootFolder.childEntity if isinstance(e, vim.Datacenter))
        view = content.viewManager.CreateContainerView(dc.hostFolder, [vim.ClusterComputeResource], True)
        cluster = view.view[0]
        view.Destroy()
        net = next(n for n in dc.network if n.name == network)
        controller = vim.vm.device.VirtualDeviceSpec(
            operation="add", device=vim.vm.device.ParaVirtualSCSIController(key=1000, busNumber=0,
                                                                            sharedBus="noSharing"))
        disk = vim.vm.device.VirtualDeviceSpec(
            operation="add", fileOperation="create", device=vim.vm.device.VirtualDisk(
                key=2000, controllerKey=1000, unitNumber=0, capacityInKB=disk_gb * 1024 * 1024,
                backing=vim.vm.device.VirtualDisk.FlatVer2BackingInfo(diskMode="persistent", thinProvisioned=True,
                                                                      fileName="[ds-prod-01]")))
        nic = vim.vm.device.VirtualDeviceSpec(
            operation="add", device=vim.vm.device.VirtualVmxnet3(
                key=4000, backing=vim.vm.device.VirtualEthernetCard.NetworkBackingInfo(network=net,
                                                                                       deviceName=network),
                connectable=vim.vm.device.VirtualDevice.ConnectInfo(startConnected=True, connected=True),
                addressType="generated"))
        spec = vim.vm.ConfigSpec(name=name, memoryMB=2048, numCPUs=2, guestId=guest_id,
                                 files=vim.vm.FileInfo(vmPathName="[ds-prod-01]"),
                                 deviceChange=[controller, disk, nic])
        WaitForTask(dc.vmFolder.CreateVM_Task(config=spec, pool=cluster.resourcePool))
        if power_on:
            self.power(name, True)
        self.discover()
        return self.vm(name)

    # -- the appliance ------------------------------------------------------------------------
    def register_agent(self, vm_name, version="9.63.0.0", action="register"):
        """Register a Mobility agent for the VM with the appliance (the configurator's request)."""
        import base64
        from drlab.mobility import config as mconfig
        machine = self.machine(vm_name)
        ident = {"BiosId": machine["properties"]["biosGuid"],
                 "Fqdn": machine["properties"].get("vmFqdn") or vm_name + ".lab.local",
                 "MachineId": str(uuid.uuid5(uuid.NAMESPACE_URL, "agent:" + vm_name)), "OsName": "Ubuntu 22.04.4 LTS",
                 "AgentVersion": version}
        aci = base64.b64encode(json.dumps(ident).encode()).decode()
        config = mconfig.make_config(self.settings, aci, vault_id=self.vault_id, location=self.location)
        return self.sim.admin.call("POST", "appliance/agents", {
            "action": action, "identity": ident, "agentVersion": version, "csType": "CSPrime", "config": config})

    def protect(self, prefix, vms, disk_gb=10):
        """VMs created in vCenter, their agents registered, protected with a new InMageRcm policy `<prefix>-policy`
        (associated as `<prefix>-mapping`) until initial replication is done (lab time advanced by hand: use with
        asr_manual_clock). Returns the policy."""
        policy = self.asr.replication_policies.begin_create(self.rg, self.vault, prefix + "-policy", {"properties": {
            "providerSpecificInput": {"instanceType": "InMageRcm", "recoveryPointHistoryInMinutes": 1440,
                                      "crashConsistentFrequencyInMinutes": 5, "appConsistentFrequencyInMinutes": 60,
                                      "enableMultiVmSync": "true"}}})
        self.advance(60)
        policy = policy.result()
        mapping = self.asr.replication_protection_container_mappings.begin_create(
            self.rg, self.vault, self.fabric, self.container, prefix + "-mapping",
            {"properties": {"targetProtectionContainerId": "Microsoft Azure", "policyId": policy.id,
                            "providerSpecificInput": {"instanceType": "InMageRcm"}}})
        self.advance(60)
        mapping.result()
        pollers = []
        for vm in vms:
            self.create_vm(vm, disk_gb=disk_gb)
            self.register_agent(vm)
            machine = self.machine(vm)
            pollers.append(self.asr.replication_protected_items.begin_create(
                self.rg, self.vault, self.fabric, self.container, vm, {"properties": {
                    "policyId": policy.id, "providerSpecificDetails": {
                        "instanceType": "InMageRcm", "fabricDiscoveryMachineId": machine["id"],
                        "processServerId": self.process_server_id, "targetResourceGroupId": self.target_rg_id,
                        "targetNetworkId": self.recovery_vnet_id, "targetSubnetName": "app",
                        "testNetworkId": self.test_vnet_id, "testSubnetName": "default", "targetVmName": vm + "-dr",
                        "targetVmSize": "Standard_D2s_v3",
                        "disksDefault": {"logStorageAccountId": self.storage_account_id,
                                         "diskType": "Standard_LRS"}}}}))
        self.advance(300)
        for poller in pollers:
            poller.result()
        self.advance(300 + 45 * disk_gb + 3600)
        return policy

    def restart(self):
        """Restart the Azure simulator (same port and state). It starts at its configured time scale: the
        scale the lab ran at is set again, so a module's clock (asr_manual_clock) survives the restart."""
        scale = self.sim.admin.clock()["time_scale"]
        self.sim.restart()
        self._clients()
        if self.sim.admin.clock()["time_scale"] != scale:
            self.sim.admin.set_time_scale(scale)
        return self

    def close(self):
        from pyVim.connect import Disconnect
        Disconnect(self.si)


@pytest.fixture(scope="module")
def asr_manual_clock(asr_lab):
    """For a module on the ASR lab: lab time runs as fast as real time (time scale 1), so it moves by the
    test's advance() calls and not by how fast the machine runs the test (at the lab's default scale 60,
    a slow second adds a lab minute); the scale the lab had is restored after the module, whatever happens."""
    admin = asr_lab.sim.admin
    before = admin.clock()["time_scale"]
    admin.set_time_scale(1)
    try:
        yield asr_lab
    finally:
        admin.set_time_scale(before)


@pytest.fixture(autouse=True)
def _asr_lab_left_as_found(request):
    """Every test on the shared ASR lab leaves its clock scale, runtime configuration and faults as it
    found them (a test that changes one and fails half-way cannot change the next modules' lab)."""
    if "asr_lab" not in request.fixturenames:
        yield
        return
    from drlab.azure.config import RUNTIME_KEYS
    admin = request.getfixturevalue("asr_lab").sim.admin

    def runtime():
        return {k: v for k, v in admin.config().items() if k in RUNTIME_KEYS}

    def rules():
        return [{k: v for k, v in r.items() if k not in ("hits", "remaining", "matched", "storm_until_epoch")}
                for r in admin.faults().get("rules") or []]
    scale, config, faults = admin.clock()["time_scale"], runtime(), rules()
    yield
    if rules() != faults:
        admin.clear_faults()
    if runtime() != config:
        admin.call("DELETE", "config")           # the startup values (and time scale), then the test's start
        admin.patch_config(**config)
    if admin.clock()["time_scale"] != scale:
        admin.set_time_scale(scale)


@pytest.fixture(scope="session")
def asr_lab(tmp_path_factory):
    """The ASR lab of the session (one per xdist worker): see AsrLab.

    Prepared: a private vcsim with lab/config/vcenter.yml; a private Azure simulator started with
    DRLAB_VCENTER_* pointing at it (its appliance discovers that vCenter); the seed of `lab up`
    (drlab.seed: resource group rg-dr-lab with vnet-dr-recovery, vnet-dr-test and the storage account
    stdrlabcache01, westeurope); the vault drlab-asr/drlab-vault, into which the lab appliance
    auto-registered (the clock is advanced past the registration delay) and discovered the vCenter.
    No policy, mapping or protected item: tests create their own.
    """
    pytest.importorskip("pyVmomi")
    from drlab import seed, vcenter
    from drlab.settings import get_settings
    from drlab.vcenter import build as vcbuild
    from drlab.vcenter import inventory
    state = str(tmp_path_factory.mktemp("asr-lab"))
    settings = Settings(state_dir=state, vcenter_port=free_port(),
                        vcenter_inventory=os.path.join(ROOT, "lab", "config", "vcenter.yml"))
    vc_proc = vcenter.start(settings, inventory.write_json(settings, vm_count=0), timeout=60,
                            binary=vcbuild.build(get_settings()))
    env = {"DRLAB_VCENTER_URL": settings.vcenter_url, "DRLAB_VCENTER_USER": settings.vcenter_user,
           "DRLAB_VCENTER_PASSWORD": settings.vcenter_password, "DRLAB_VCENTER_CA": settings.ca_pem}
    proc = SimulatorProcess(state, port=0, env=env).start()
    settings = dataclasses.replace(settings, azure_port=proc.port)
    lab = AsrLab(AzureSim(proc, settings), settings, vc_proc)
    try:
        seed.seed_azure(settings)
        from azure.mgmt.resource.resources import ResourceManagementClient
        lab.sim.client(ResourceManagementClient).resource_groups.create_or_update(lab.rg, {"location": lab.location})
        lab.rs.vaults.begin_create_or_update(lab.rg, lab.vault, {"location": lab.location,
                                                                 "sku": {"name": "RS0"}}).result()
        lab.advance(lab.sim.admin.config()["asr"]["appliance"]["register_delay_seconds"] + 60)
        fabric = list(lab.asr.replication_fabrics.list(lab.rg, lab.vault))[0]
        details = fabric.properties.custom_details
        lab.fabric, lab.fabric_id = fabric.name, fabric.id
        lab.site_id = details.vmware_site_id
        lab.appliance = details.process_servers[0].name
        lab.process_server_id = details.process_servers[0].id
        lab.reprotect_agent_id = details.reprotect_agents[0].id
        container = list(lab.asr.replication_protection_containers.list_by_replication_fabrics(
            lab.rg, lab.vault, lab.fabric))[0]
        lab.container, lab.container_id = container.name, container.id
        accounts = lab.arm("GET", lab.site_id + "/runasaccounts", api=OFFAZURE_API).json()["value"]
        lab.run_as = {a["properties"]["displayName"]: a["id"] for a in accounts}
        azure = seed.inventory_vars(settings)["dr_asr_lab_azure"]
        lab.target_rg_id, lab.recovery_vnet_id = azure["resource_group_id"], azure["recovery_vnet_id"]
        lab.test_vnet_id, lab.storage_account_id = azure["test_vnet_id"], azure["storage_account_id"]
        yield lab
    finally:
        lab.close()
        lab.sim.process.stop()
        if vc_proc.poll() is None:
            vc_proc.terminate()
            vc_proc.wait(15)
        if vc_proc.stdout:
            vc_proc.stdout.close()


@pytest.fixture
def inprocess_app(tmp_path):
    """An Azure simulator App in this process, with no server and no background advancer: tests drive its engine
    (`app.engine.admin_context()`, `app.store.transaction()`) and its clock themselves."""
    from drlab.azure import config as configmod
    from drlab.azure.server import App
    out = App(Settings(state_dir=str(tmp_path)), configmod.load(), str(tmp_path), "https://127.0.0.1:1")
    yield out
    if out.engine.advancer is not None:
        out.engine.advancer.stop()
    out.close()


@pytest.fixture
def bare_vault():
    """`bare_vault(app)` -> (admin context, vault id): a resource group and a Recovery Services vault put straight into
    the in-process App's store (no appliance, no fabric)."""
    def make(app):
        vault = "/subscriptions/%s/resourceGroups/rg/providers/Microsoft.RecoveryServices/vaults/v" % (
            app.settings.subscription_id)
        ctx = app.engine.admin_context()
        ctx.put("/subscriptions/%s/resourceGroups/rg" % app.settings.subscription_id, {"location": "westeurope"})
        ctx.put(vault, {"location": "westeurope", "properties": {}})
        return ctx, vault
    return make
