"""Conformance of the lab's vCenter simulator (vcsim-lab) through pyvmomi, TLS verified by the lab CA.

The binary is built once (into the lab's state dir, default .lab/bin); each simulator started here
gets its own temporary state dir (fresh CA, datastores) and a free port.
"""
import json
import os
import signal
import ssl
import urllib.error
import urllib.request

import pytest

from drlab import vcenter
from drlab.settings import REPO_ROOT, Settings, get_settings
from drlab.testing.privatelab import free_port
from drlab.vcenter import build as vcbuild
from drlab.vcenter import inventory

pyVim_connect = pytest.importorskip("pyVim.connect")
from pyVmomi import vim  # noqa: E402

YAML = os.path.join(REPO_ROOT, "lab", "config", "vcenter.yml")

CONTROLLER_TYPES = {
    "pvscsi": vim.vm.device.ParaVirtualSCSIController,
    "lsilogic": vim.vm.device.VirtualLsiLogicController,
    "lsilogic-sas": vim.vm.device.VirtualLsiLogicSASController,
    "buslogic": vim.vm.device.VirtualBusLogicController,
    "nvme": vim.vm.device.VirtualNVMEController,
    "sata": vim.vm.device.VirtualAHCIController,
}
ADAPTER_TYPES = {
    "vmxnet3": vim.vm.device.VirtualVmxnet3,
    "e1000e": vim.vm.device.VirtualE1000e,
    "e1000": vim.vm.device.VirtualE1000,
}


@pytest.fixture(scope="session")
def vcsim_binary():
    return vcbuild.build(get_settings())


def _start(tmp_path_factory, binary, vm_count=0):
    settings = Settings(state_dir=str(tmp_path_factory.mktemp("vcsim")), vcenter_port=free_port(),
                        vcenter_inventory=YAML)
    inv_path = inventory.write_json(settings, vm_count=vm_count)
    proc = vcenter.start(settings, inv_path, timeout=30, binary=binary)
    return settings, inv_path, proc


def _stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except Exception:
            proc.kill()
            proc.wait()
    proc.stdout.close()


@pytest.fixture(scope="session")
def lab(tmp_path_factory, vcsim_binary):
    settings, inv_path, proc = _start(tmp_path_factory, vcsim_binary)
    try:
        vcenter.wait_ready(settings, timeout=20, proc=proc)
        yield settings, inventory.load_json(inv_path)
    finally:
        _stop(proc)


@pytest.fixture(scope="session")
def si(lab):
    settings = lab[0]
    si = vcenter.connect(settings)
    yield si
    pyVim_connect.Disconnect(si)


@pytest.fixture(scope="session")
def inv(lab):
    return lab[1]


def _objects(si, kind):
    content = si.RetrieveContent()
    view = content.viewManager.CreateContainerView(content.rootFolder, [kind], True)
    try:
        return {o.name: o for o in view.view}
    finally:
        view.Destroy()


@pytest.fixture(scope="session")
def vms(si):
    return _objects(si, vim.VirtualMachine)


@pytest.fixture(scope="session")
def hosts(si):
    return _objects(si, vim.HostSystem)


def _folder_path(vm, dc):
    parts = []
    f = vm.parent
    while f != dc.vmFolder:
        parts.append(f.name)
        f = f.parent
    return "/".join(reversed(parts))


def _rest(settings, method, path, auth=None, session=None, body=None):
    ctx = vcenter.ssl_context(settings)
    req = urllib.request.Request("https://%s:%d/rest%s" % (settings.host, settings.vcenter_port, path),
                                 method=method, data=json.dumps(body).encode() if body is not None else None)
    if auth:
        import base64
        req.add_header("Authorization", "Basic " + base64.b64encode(("%s:%s" % auth).encode()).decode())
    if session:
        req.add_header("vmware-api-session-id", session)
    if body is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=10) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, None


# --- authentication and TLS -----------------------------------------------------------------------

def test_login_with_lab_credentials_verifies_tls(lab, si):
    settings = lab[0]
    assert si.content.sessionManager.currentSession.userName == settings.vcenter_user


@pytest.mark.parametrize("user, password", [(None, "wrong-password"), ("root", None), ("root", "x")])
def test_bad_credentials_are_rejected(lab, user, password):
    settings = lab[0]
    with pytest.raises(vim.fault.InvalidLogin):
        vcenter.connect(settings, user=user, password=password)


def test_untrusted_without_the_lab_ca(lab):
    settings = lab[0]
    ctx = ssl.create_default_context()  # system CAs only
    with pytest.raises(ssl.SSLError):
        pyVim_connect.SmartConnect(host=settings.host, port=settings.vcenter_port, user=settings.vcenter_user,
                                   pwd=settings.vcenter_password, sslContext=ctx)


def test_token_login_is_rejected(lab):
    settings = lab[0]
    envelope = ('<?xml version="1.0"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">'
                '<soapenv:Header><Security><Assertion><Subject><NameID>intruder</NameID></Subject></Assertion>'
                '</Security></soapenv:Header><soapenv:Body><LoginByToken xmlns="urn:vim25">'
                '<_this type="SessionManager">SessionManager</_this></LoginByToken></soapenv:Body></soapenv:Envelope>')
    req = urllib.request.Request(settings.vcenter_url, data=envelope.encode(), method="POST",
                                 headers={"Content-Type": "text/xml", "SOAPAction": "urn:vim25/8.0.2.0"})
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req, context=vcenter.ssl_context(settings), timeout=10)
    assert b"InvalidLogin" in err.value.read()


def test_rest_session_checks_credentials(lab):
    settings = lab[0]
    status = _rest(settings, "POST", "/com/vmware/cis/session", auth=(settings.vcenter_user, "nope"))[0]
    assert status == 401
    status, body = _rest(settings, "POST", "/com/vmware/cis/session",
                         auth=(settings.vcenter_user, settings.vcenter_password))
    assert status == 200 and body["value"]


# --- inventory ------------------------------------------------------------------------------------

def test_vcenter_about(si, inv):
    about = si.content.about
    assert about.apiType == "VirtualCenter"
    assert about.version == inv["vcenter"]["version"] == "8.0.2"
    assert about.apiVersion == "8.0.2.0"


def test_hosts_and_product_versions(si, hosts):
    expected = {"esx01.lab.local": ("7.0.3", "21424296", "7.0.3.0"),
                "esx02.lab.local": ("8.0.2", "22380479", "8.0.2.0"),
                "esx-legacy01.lab.local": ("6.0.0", "3620759", "6.0")}
    assert set(hosts) == set(expected)
    for name, (version, build, api) in expected.items():
        h = hosts[name]
        assert (h.summary.config.product.version, h.summary.config.product.build) == (version, build)
        assert (h.config.product.version, h.config.product.apiVersion) == (version, api)
        assert h.config.product.fullName == "VMware ESXi %s build-%s" % (version, build)
        assert h.runtime.connectionState == "connected"
    dc = si.content.rootFolder.childEntity[0]
    assert dc.name == "DC-Amsterdam"
    crs = {cr.name: cr for cr in dc.hostFolder.childEntity}
    assert isinstance(crs["Prod-Cluster"], vim.ClusterComputeResource)
    assert sorted(h.name for h in crs["Prod-Cluster"].host) == ["esx01.lab.local", "esx02.lab.local"]
    assert [h.name for h in crs["esx-legacy01.lab.local"].host] == ["esx-legacy01.lab.local"]


def test_datastores_and_networks(si, hosts):
    dc = si.content.rootFolder.childEntity[0]
    ds = {d.name: d for d in dc.datastore}
    assert set(ds) == {"ds-prod-01", "ds-prod-02", "ds-legacy-01"}
    assert ds["ds-prod-01"].summary.capacity == 20480 << 30
    assert 0 < ds["ds-prod-01"].summary.freeSpace < ds["ds-prod-01"].summary.capacity
    assert ds["ds-prod-01"].summary.type == "VMFS"
    assert sorted(m.key.name for m in ds["ds-prod-02"].host) == ["esx01.lab.local", "esx02.lab.local"]
    assert [d.name for d in hosts["esx-legacy01.lab.local"].datastore] == ["ds-legacy-01"]
    nets = {n.name: n for n in dc.network}
    assert {"VM Network", "Prod-App", "DR-Test"} <= set(nets)
    assert all(isinstance(n, vim.Network) for n in nets.values())
    vlans = {pg.spec.name: pg.spec.vlanId for pg in hosts["esx01.lab.local"].config.network.portgroup}
    assert vlans["Prod-App"] == 110 and vlans["DR-Test"] == 999
    assert {n.name for n in hosts["esx02.lab.local"].network} >= {"VM Network", "Prod-App", "DR-Test"}


def test_vm_folders(si, vms):
    dc = si.content.rootFolder.childEntity[0]
    assert _folder_path(vms["web-01"], dc) == "Production/Web"
    assert _folder_path(vms["db-pg-01"], dc) == "Production/DB"
    production = next(f for f in dc.vmFolder.childEntity if f.name == "Production")
    assert {"Web", "DB", "App"} <= {f.name for f in production.childEntity}


def test_every_vm_matches_the_inventory(si, inv, vms):
    dc = si.content.rootFolder.childEntity[0]
    specs = inv["datacenters"][0]["vms"]
    assert set(vms) == {v["name"] for v in specs}
    for spec in specs:
        vm = vms[spec["name"]]
        cfg = vm.config
        where = spec["name"]
        assert _folder_path(vm, dc) == spec["folder"], where
        assert vm.runtime.host.name == spec["host"], where
        assert (cfg.guestId, cfg.guestFullName) == (spec["guest_id"], spec["guest_full_name"]), where
        assert (cfg.hardware.numCPU, cfg.hardware.memoryMB) == (spec["num_cpu"], spec["memory_mb"]), where
        assert cfg.firmware == spec["firmware"], where
        assert bool(cfg.bootOptions.efiSecureBootEnabled) == spec["secure_boot"], where
        assert (cfg.uuid, cfg.instanceUuid) == (spec["uuid"], spec["instance_uuid"]), where
        assert vm.summary.config.uuid == spec["uuid"], where
        assert cfg.version == spec["hw_version"], where
        assert vm.runtime.powerState == spec["power_state"], where

        devices = {d.key: d for d in cfg.hardware.device}
        disks = [d for d in cfg.hardware.device if isinstance(d, vim.vm.device.VirtualDisk)]
        assert len(disks) == len(spec["disks"]) == vm.summary.config.numVirtualDisks, where
        for disk, d in zip(sorted(disks, key=lambda x: x.key), spec["disks"]):
            assert disk.capacityInKB == d["size_gb"] << 20, where
            assert disk.capacityInBytes == d["size_gb"] << 30, where
            assert disk.deviceInfo.label == d["label"], where
            assert disk.backing.diskMode == d["mode"], where
            assert disk.backing.sharing == d["sharing"], where
            assert disk.backing.thinProvisioned == d["thin"], where
            assert disk.backing.uuid == d["uuid"], where
            assert disk.backing.datastore.name == d["datastore"], where
            assert disk.backing.fileName.startswith("[%s] " % d["datastore"]), where
            controller = devices[disk.controllerKey]
            assert isinstance(controller, CONTROLLER_TYPES[d["controller"]]), where
            assert (controller.busNumber, disk.unitNumber) == (d["bus"], d["unit"]), where
            assert disk.key in controller.device, where

        nics = sorted((d for d in cfg.hardware.device if isinstance(d, vim.vm.device.VirtualEthernetCard)),
                      key=lambda x: x.key)
        assert len(nics) == len(spec["nics"]) == vm.summary.config.numEthernetCards, where
        for nic, n in zip(nics, spec["nics"]):
            assert isinstance(nic, ADAPTER_TYPES[n["adapter"]]), where
            assert nic.macAddress == n["mac"] and nic.addressType == n["address_type"], where
            assert nic.backing.deviceName == n["network"] and nic.backing.network.name == n["network"], where
        assert {n.name for n in vm.network} == {n["network"] for n in spec["nics"]}, where

        running = spec["power_state"] == "poweredOn" and spec["tools"] == "running"
        assert vm.guest.toolsRunningStatus == ("guestToolsRunning" if running else "guestToolsNotRunning"), where
        if running:
            assert vm.guest.hostName == spec["hostname"], where
            assert vm.guest.guestState == "running", where
            ips = [ip for n in spec["nics"] for ip in n["ips"]]
            assert vm.guest.ipAddress == (ips[0] if ips else None), where
            assert {(g.macAddress, tuple(g.ipAddress)) for g in vm.guest.net} == \
                {(n["mac"], tuple(n["ips"])) for n in spec["nics"]}, where
        else:
            assert not vm.guest.ipAddress and not vm.guest.net, where


def test_yaml_scenarios(vms, hosts):
    web = vms["web-01"]
    assert web.config.uuid == "4210a1b2-0000-4000-8000-00000000e001"
    assert web.config.instanceUuid == "5010c3d4-0000-4000-8000-00000000e001"
    assert web.guest.ipAddress == "10.10.1.11"
    nic = next(d for d in web.config.hardware.device if isinstance(d, vim.vm.device.VirtualEthernetCard))
    assert nic.macAddress == "00:50:56:90:00:01"

    sb = vms["win-dc-01"].config
    assert (sb.guestId, sb.firmware, sb.bootOptions.efiSecureBootEnabled) == ("windows2019srv_64Guest", "efi", True)
    assert vms["win-app-01"].config.guestId == "windows2019srvNext_64Guest"
    efi = vms["web-02"].config
    assert (efi.firmware, efi.bootOptions.efiSecureBootEnabled) == ("efi", False)

    big = vms["fs-archive-01"].config
    os_disk = next(d for d in big.hardware.device if isinstance(d, vim.vm.device.VirtualDisk))
    assert big.firmware == "bios" and os_disk.capacityInKB == 3000 * 1024 * 1024

    assert "sql_prod_01." in vms
    modes = [d.backing.diskMode for d in vms["db-pg-01"].config.hardware.device
             if isinstance(d, vim.vm.device.VirtualDisk)]
    assert "independent_persistent" in modes
    sharing = [d.backing.sharing for d in vms["ora-rac-01"].config.hardware.device
               if isinstance(d, vim.vm.device.VirtualDisk)]
    assert "sharingMultiWriter" in sharing
    assert vms["app-api-01"].summary.config.numEthernetCards == 2

    legacy = vms["legacy-app-01"]
    assert legacy.config.guestId == "otherGuest"
    assert legacy.runtime.host.summary.config.product.version == "6.0.0"

    assert vms["test-vm-01"].runtime.powerState == "poweredOff"
    batch = vms["app-batch-01"]
    assert batch.runtime.powerState == "poweredOn"
    assert batch.guest.toolsRunningStatus == "guestToolsNotRunning" and batch.guest.ipAddress is None


def test_custom_attributes(si, vms):
    fields = {f.key: f.name for f in si.content.customFieldsManager.field}
    assert {"Owner", "Application", "DR-Group"} <= set(fields.values())
    values = {fields[v.key]: v.value for v in vms["web-01"].customValue}
    assert values == {"Owner": "web-team", "Application": "shop"}


def test_tags_via_vapi(lab, vms):
    settings = lab[0]
    session = _rest(settings, "POST", "/com/vmware/cis/session",
                    auth=(settings.vcenter_user, settings.vcenter_password))[1]["value"]
    status, body = _rest(settings, "POST", "/com/vmware/cis/tagging/tag-association?~action=list-attached-tags",
                         session=session, body={"object_id": {"id": vms["web-01"]._moId, "type": "VirtualMachine"}})
    assert status == 200
    names = set()
    for tag_id in body["value"]:
        tag = _rest(settings, "GET", "/com/vmware/cis/tagging/tag/id:%s" % tag_id, session=session)[1]
        cat = _rest(settings, "GET", "/com/vmware/cis/tagging/category/id:%s" % tag["value"]["category_id"],
                    session=session)[1]
        names.add("%s/%s" % (cat["value"]["name"], tag["value"]["name"]))
    assert names == {"DR-Tier/tier-2", "Environment/production"}


# --- scale knob, lifecycle, build -----------------------------------------------------------------

def test_scale_knob_in_the_inventory(monkeypatch):
    base = len(inventory.build_inventory(YAML, vm_count=0)["datacenters"][0]["vms"])
    vms = inventory.build_inventory(YAML, vm_count=100)["datacenters"][0]["vms"]
    assert len(vms) == base + 100
    generated = vms[base:]
    assert [v["name"] for v in generated[:2]] == ["app-0001", "app-0002"] and generated[-1]["name"] == "app-0100"
    assert len({v["guest_id"] for v in generated}) >= 8 and {v["firmware"] for v in generated} == {"bios", "efi"}
    assert len({n["mac"] for v in vms for n in v["nics"]}) == sum(len(v["nics"]) for v in vms)
    assert inventory.build_inventory(YAML, vm_count=100) == inventory.build_inventory(YAML, vm_count=100)
    monkeypatch.setenv(inventory.VM_COUNT_ENV, "7")
    assert len(inventory.build_inventory(YAML)["datacenters"][0]["vms"]) == base + 7


def test_scale_knob_served_and_sigterm_stops(tmp_path_factory, vcsim_binary):
    base = len(inventory.build_inventory(YAML, vm_count=0)["datacenters"][0]["vms"])
    settings, unused_inv, proc = _start(tmp_path_factory, vcsim_binary, vm_count=40)
    try:
        si = vcenter.connect(settings)
        names = set(_objects(si, vim.VirtualMachine))
        pyVim_connect.Disconnect(si)
        assert len(names) == base + 40 and {"app-0001", "app-0040"} <= names
        pidfile = settings.path("vcenter", "vcsim-lab.pid")
        with open(pidfile) as f:
            assert int(f.read()) == proc.pid
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0
        proc.stdout.close()
    assert not os.path.exists(pidfile)
    assert not os.path.exists(settings.path("vcenter", "datastores"))
    with pytest.raises(Exception):
        vcenter.wait_ready(settings, timeout=0.5)


def test_build_is_skipped_when_fresh(vcsim_binary):
    mtime = os.path.getmtime(vcsim_binary)
    assert vcbuild.build(get_settings()) == vcsim_binary
    assert os.path.getmtime(vcsim_binary) == mtime


def test_build_names_missing_debian_packages(monkeypatch, tmp_path):
    with pytest.raises(vcbuild.BuildError, match="golang-github-vmware-govmomi-dev"):
        vcbuild._check_sources(gocode=str(tmp_path))
    monkeypatch.setattr(vcbuild.shutil, "which", lambda name: None)
    monkeypatch.setattr(vcbuild.os, "access", lambda path, mode: False)
    with pytest.raises(vcbuild.BuildError, match="golang-go"):
        vcbuild.build(Settings(state_dir=str(tmp_path)), force=True)


@pytest.mark.parametrize("vm, message", [
    ({"name": "x", "secure_boot": True}, "secure_boot needs firmware: efi"),
    ({"name": "x", "nics": [{"network": "Nope"}]}, "unknown network Nope"),
    ({"name": "x", "disk": []}, "unknown key"),
    ({"name": "web-01"}, "duplicate VM name"),
])
def test_inventory_errors_name_the_item(tmp_path, vm, message):
    import yaml
    with open(YAML) as f:
        data = yaml.safe_load(f)
    data["datacenters"][0]["vms"].append(vm)
    path = tmp_path / "vcenter.yml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(inventory.InventoryError, match=message):
        inventory.build_inventory(str(path), vm_count=0)
