"""The simulated replication appliance (modernized VMware -> Azure: InMageRcm) and what it discovers.

How an appliance gets into a vault (what an admin does after deploying the OVA and pasting the
registration key), all in lab time:

* config `asr.appliance.auto_register` (default true): every new vault gets the lab appliance
  (`asr.appliance.name`, "drlab-appliance-01") `register_delay_seconds` after the vault was created,
  through a `RegisterAppliance` job;
* `POST /_lab/appliance/register {"vault_id", "name"}`: registers an appliance now.
* `POST /_lab/appliance/agent_version {"vault_id", "bios_id", "version", "without_reboot"?}`: a registered
  Mobility agent falls behind (the lab control of the agent upgrade through ASR, updateMobilityService).

Registration creates, in the vault: the InMageRcm fabric (`{stem}replicationfabric`, where stem is
the vault name and 4 digits), its protection container (`{stem}replicationcontainer`), the appliance's
Recovery Services provider (the DRA) and, with a vCenter, a `replicationvCenters` entry; in the
vault's resource group: the Azure Migrate site `Microsoft.OffAzure/VMwareSites/{stem}site` with the
appliance's run-as accounts (config `asr.appliance.credentials`: the push-install credentials, plus
the vCenter's) and the vCenter.

Discovery: the appliance reads the lab vCenter (drlab.azure.providers.siterecovery.vcenter, one
PropertyCollector retrieve for all VMs, hosts and datastores) and publishes every VM as
`Microsoft.OffAzure/VMwareSites/{site}/machines/{vcenter}_{instanceUuid}` (Azure Migrate's VMware
machine: displayName, biosGuid, instanceUuid, vmFqdn, powerStatus, operatingSystemDetails, disks,
networkAdapters, vCenterFQDN/vCenterId, hostName...). A VM that disappears stays with isDeleted true.
It syncs every `discovery_interval_seconds` of lab time, at registration, and on demand
(`POST /_lab/appliance/discover {"vault_id"}`, the fabric's `checkConsistency`, the provider's
`refreshProvider`).

Mobility agents register with the appliance at `POST /_lab/appliance/agents` (contract in
lab/drlab/mobility/README.md, checked with drlab.mobility.config.verify_request); a registered agent
shows in the fabric's `agentDetails` and on the protected item of its machine (matched by BIOS id).
"""
import hashlib
import logging
import os
import threading
import time
from urllib.parse import urlparse

from pyVmomi import vim, vmodl

from drlab.azure.providers.siterecovery import common, errors, jobs, policies, vcenter, vocabulary
from drlab.azure.providers.siterecovery.common import (CONTAINER, FABRIC, FABRIC_PATH, ITEM, MACHINE, RS_PROVIDER,
                                                       RUN_AS_ACCOUNT, SITE, SITE_VCENTER, VAULT_PATH, VCENTER,
                                                       private)
from drlab.azure.rp import ArmError, Paged, ResourceType
from drlab.mobility import config as mconfig

LOG = logging.getLogger("drlab.azure.asr.fabric")

SEEN_KEY = common.VAULTS_SEEN_KEY   # meta: {vault key: createdAt} of the vaults looked at
SITES_KEY = common.SITES_KEY        # meta: [site ids] the appliance keeps in sync
AGENTS_KEY = common.AGENTS_KEY      # meta: + vault key (or "legacy") -> {bios id: agent record}
FABRIC_PROVIDER = "InMageRcmFabric"
COMPONENT_VERSIONS = {"rcmProxy": "1.44.9645.8268", "pushInstaller": "1.47.9649.18387",
                      "replicationAgent": "1.45.9649.18472", "reprotectAgent": "1.48.9649.18457",
                      "marsAgent": "2.0.9955.0", "dra": "5.25.904.11"}
#: fn(ctx, vault_id, when, item_ids) called after every discovery sync of a vault's site (item_ids None: every item may
#: have changed; a list: only these items' machines did, fabric.power_seen): the modules' DISCOVERY_LISTENERS,
#: installed by the package's registry at start-up (registry.py)
_DISCOVERY_LISTENERS = []


def install_discovery_listeners(listeners):
    """The registry's discovery listeners (replaces what was installed)."""
    _DISCOVERY_LISTENERS[:] = list(listeners)


# -- names and lookups ---------------------------------------------------------------------------

def _stem(vault):
    """The vault name's first 10 characters and 4 digits [recorded: Rcm-Vault-150 -> Rcm-Vault-4678,
    PwsTest-rcm-vault -> PwsTest-rc0015; the digits: a hash, guessed]."""
    name = vault.rsplit("/", 1)[-1]
    digits = int(hashlib.sha256(vault.lower().encode()).hexdigest(), 16) % 10000
    return "%s%04d" % (name[:10], digits)


def names(vault):
    """The names registration gives to the vault's fabric, container and sites [recorded: `{vault}-vmwarefabric`,
    `{stem}replicationcontainer`, `{stem}vmwaresite`, `{stem}physicalsite`]."""
    stem = _stem(vault)
    return {"fabric": vault.rsplit("/", 1)[-1] + "-vmwarefabric", "container": stem + "replicationcontainer",
            "site": stem + "vmwaresite", "physical_site": stem + "physicalsite"}


def fabric_of(ctx, vault):
    """The vault's InMageRcm fabric body, or None."""
    for body in ctx.list(FABRIC, vault):
        if (body["properties"].get("customDetails") or {}).get("instanceType") == "InMageRcm":
            return body
    return None


def container_of(ctx, fabric):
    found = ctx.list(CONTAINER, fabric["id"])
    return found[0] if found else None


def site_of(ctx, fabric):
    return ctx.get(private(fabric)["site"])


def appliances(fabric):
    return private(fabric).get("appliances", [])


def appliance_by_process_server(fabric, process_server_id):
    for appliance in appliances(fabric):
        if appliance["ids"]["processServer"].lower() == (process_server_id or "").lower():
            return appliance
    return None


def machines(ctx, site_id):
    return ctx.list(MACHINE, site_id)


def run_as_accounts(ctx, site_id):
    return ctx.list(RUN_AS_ACCOUNT, site_id)


def bios_forms(bios_id):
    """A BIOS UUID as vSphere shows it and byte-swapped (what Linux reads from DMI on older VMs)."""
    value = (bios_id or "").strip().lower()
    parts = value.split("-")
    if len(parts) != 5:
        return {value}

    def swap(hex_text):
        return "".join(reversed([hex_text[i:i + 2] for i in range(0, len(hex_text), 2)]))
    return {value, "-".join([swap(parts[0]), swap(parts[1]), swap(parts[2]), parts[3], parts[4]])}


# -- agents (Mobility service registrations) -------------------------------------------------------

def _agents_key(vault):
    return AGENTS_KEY + (vault.lower() if vault else "legacy")


def agents(ctx, vault):
    return common.meta_get(ctx, _agents_key(vault), {})


def _set_agents(ctx, vault, registered):
    common.meta_set(ctx, _agents_key(vault), registered)
    ctx.memo.get("asr.agents", {}).pop(_agents_key(vault), None)


def agent_for_machine(ctx, vault, machine):
    """The agent registered for a discovered machine (matched by BIOS id), or None (a copy: for reading). The
    vault's registrations are read once per request (every item of a list asks; put_agent forgets them)."""
    memo = ctx.memo.setdefault("asr.agents", {})
    key = _agents_key(vault)
    if key not in memo:
        memo[key] = agents(ctx, vault)
    registered = memo[key]
    for form in bios_forms(machine["properties"].get("biosGuid")):
        if form in registered:
            return dict(registered[form])
    return None


def put_agent(ctx, vault, record):
    """Store an agent registration (keyed by its BIOS id, lower case)."""
    registered = agents(ctx, vault)
    registered[record["biosId"].lower()] = record
    _set_agents(ctx, vault, registered)


def _appliance_identity(ctx, vault):
    fabric = fabric_of(ctx, vault) if vault else None
    if fabric is not None and appliances(fabric):
        first = appliances(fabric)[0]
        return {"id": first["ids"]["processServer"], "name": first["name"]}
    return mconfig.appliance(ctx.engine.app.settings)


def agent_registration(ctx, match, body):
    """POST /_lab/appliance/agents (lab/drlab/mobility/README.md, "Registration contract")."""
    try:
        info = mconfig.verify_request(ctx.engine.app.settings, body)
    except mconfig.ConfigError as err:
        return err.status, err.to_json()
    vault = body["config"].get("ResourceId") if info["csType"] == "CSPrime" else None
    if vault and ctx.get(vault) is not None:
        vault = ctx.engine.canonical(ctx.parse(vault)).id
    registered = agents(ctx, vault)
    key = info["biosId"].lower()
    now = common.to_iso(common.now_epoch(ctx))
    if info["action"] == "register":
        ident = info["identity"]
        record = {"biosId": info["biosId"], "fqdn": info["fqdn"], "agentVersion": info["agentVersion"],
                  "machineId": ident.get("MachineId") or common.stable_guid("agent", key),
                  "osName": ident.get("OsName", ""), "csType": info["csType"], "source": "Manual",
                  "registeredAt": registered.get(key, {}).get("registeredAt", now), "lastHeartbeat": now}
        registered[key] = record
        _set_agents(ctx, vault, registered)
        return 200, {"status": "Registered", "appliance": _appliance_identity(ctx, vault)}
    if key not in registered:
        return 404, {"error": {"code": "NotRegistered",
                               "message": "The machine with BIOS id %s is not registered with the appliance."
                               % info["biosId"]}}
    if info["action"] == "unregister":
        registered.pop(key)
        _set_agents(ctx, vault, registered)
        return 200, {"status": "Unregistered"}
    registered[key].update({"agentVersion": info["agentVersion"] or registered[key]["agentVersion"],
                            "lastHeartbeat": now})
    _set_agents(ctx, vault, registered)
    return 200, {"status": "Registered", "appliance": _appliance_identity(ctx, vault)}


# -- the vCenter as the appliance sees it ------------------------------------------------------------

def _vcenter_endpoint():
    if not vcenter.configured():
        return None
    url = urlparse(os.environ["DRLAB_VCENTER_URL"])
    return {"host": url.hostname, "port": url.port or 443}


def read_vcenter():
    """The lab vCenter's inventory in one PropertyCollector retrieve (continued while paged).

    Returns {"about": {...}, "vms": [{prop: value}], "hosts": {moid: {...}}, "datastores": [...]}.
    Raises vcenter.NoVCenter without a configured vCenter, or pyVmomi's errors (a lost session logs in again and
    reads again: vcenter.call).
    """
    return _inventory_of(*vcenter.call(_retrieve_inventory, "discovering the vCenter's inventory"))


def _retrieve_inventory(si):
    """(ServiceContent, ObjectContent list) of the VMs, hosts and datastores: one run of vcenter.call."""
    content = si.RetrieveContent()
    view = content.viewManager.CreateContainerView(content.rootFolder,
                                                   [vim.VirtualMachine, vim.HostSystem, vim.Datastore], True)
    try:
        collector = vmodl.query.PropertyCollector
        traversal = collector.TraversalSpec(name="view", path="view", skip=False, type=vim.view.ContainerView)
        spec = collector.FilterSpec(
            objectSet=[collector.ObjectSpec(obj=view, skip=True, selectSet=[traversal])],
            propSet=[collector.PropertySpec(type=vim.VirtualMachine, pathSet=[
                "name", "config.uuid", "config.instanceUuid", "config.hardware.device", "config.hardware.numCPU",
                "config.hardware.memoryMB", "config.guestFullName", "config.guestId", "config.firmware",
                "config.annotation", "config.changeTrackingEnabled", "runtime.powerState", "runtime.host",
                "guest.hostName", "guest.net", "guest.toolsRunningStatus", "guest.toolsStatus",
                "summary.config.vmPathName", "config.template"]),
                collector.PropertySpec(type=vim.HostSystem, pathSet=[
                    "name", "summary.config.product.version", "runtime.inMaintenanceMode", "runtime.powerState"]),
                collector.PropertySpec(type=vim.Datastore, pathSet=["name", "summary.capacity",
                                                                    "summary.freeSpace"])])
        result = content.propertyCollector.RetrievePropertiesEx([spec], collector.RetrieveOptions())
        objects = list(result.objects) if result else []
        while result is not None and result.token:
            result = content.propertyCollector.ContinueRetrievePropertiesEx(result.token)
            objects.extend(result.objects)
    finally:
        view.Destroy()
    return content, objects


def _inventory_of(content, objects):
    inventory = {"about": {"instanceUuid": content.about.instanceUuid, "fullName": content.about.fullName,
                           "version": content.about.version},
                 "vms": [], "hosts": {}, "datastores": []}
    for obj in objects:
        props = {p.name: p.val for p in obj.propSet}
        if isinstance(obj.obj, vim.VirtualMachine):
            props["_moid"] = obj.obj._moId   # pylint: disable=protected-access
            props["_host"] = props["runtime.host"]._moId if props.get("runtime.host") is not None else None  # noqa
            inventory["vms"].append(props)
        elif isinstance(obj.obj, vim.HostSystem):
            inventory["hosts"][obj.obj._moId] = props   # pylint: disable=protected-access
        else:
            inventory["datastores"].append({"name": props.get("name"), "capacity": props.get("summary.capacity"),
                                            "free": props.get("summary.freeSpace")})
    return inventory


_CONTROLLER_PREFIX = (("ParaVirtualSCSIController", "scsi"), ("VirtualLsiLogicSASController", "scsi"),
                      ("VirtualLsiLogicController", "scsi"), ("VirtualBusLogicController", "scsi"),
                      ("VirtualNVMEController", "nvme"), ("VirtualAHCIController", "sata"),
                      ("VirtualIDEController", "ide"))


def _controllers(devices):
    out = {}
    for dev in devices:
        kind = type(dev).__name__.rsplit(".", 1)[-1]
        for cls, prefix in _CONTROLLER_PREFIX:
            if kind.endswith(cls):
                out[dev.key] = (prefix, getattr(dev, "busNumber", 0))
    return out


def _disk_entries(devices, owner):
    controllers = _controllers(devices)
    out = []
    for dev in devices:
        if type(dev).__name__.rsplit(".", 1)[-1] != "VirtualDisk":
            continue
        backing = dev.backing
        prefix, bus = controllers.get(dev.controllerKey, ("scsi", 0))
        thin = bool(getattr(backing, "thinProvisioned", False))
        eager = bool(getattr(backing, "eagerlyScrub", False))
        out.append({"uuid": getattr(backing, "uuid", None) or common.stable_guid("disk", owner, dev.key),
                    "label": dev.deviceInfo.label if dev.deviceInfo else "Hard disk",
                    "diskProvisioningPolicy": "ThinProvisioned" if thin else "ThickProvisioned",
                    "diskScrubbingPolicy": "EagerlyScrubbed" if eager else "LazilyScrubbed",
                    "diskMode": getattr(backing, "diskMode", "persistent"),
                    "maxSizeInBytes": int(dev.capacityInBytes or (dev.capacityInKB or 0) * 1024),
                    "name": "%s%d:%d" % (prefix, bus, dev.unitNumber or 0), "diskType": "Static",
                    "lun": int(dev.unitNumber or 0), "path": getattr(backing, "fileName", "")})
    return out


def _nic_entries(devices, guest_net):
    ips = {}
    for net in guest_net or []:
        ips[(net.macAddress or "").lower()] = [str(ip) for ip in (net.ipAddress or []) if ":" not in str(ip)]
    out = []
    for dev in devices:
        if not hasattr(dev, "macAddress") or not hasattr(dev, "addressType"):
            continue
        mac = (dev.macAddress or "").lower()
        out.append({"label": dev.deviceInfo.label if dev.deviceInfo else "Network adapter",
                    "nicId": str(dev.key), "macAddress": mac, "ipAddressList": ips.get(mac, []),
                    "networkName": dev.deviceInfo.summary if dev.deviceInfo else "",
                    "ipAddressType": "Static" if (dev.addressType or "").lower() == "manual" else "Dynamic"})
    return out


_POWER = {"poweredOn": "ON", "poweredOff": "OFF", "suspended": "Suspended"}
_TOOLS = {"guestToolsRunning": "Running", "guestToolsNotRunning": "NotRunning"}


def machine_properties(vm, hosts, vcenter_fqdn, vcenter_id):
    """Azure Migrate's VMwareMachineProperties of one VM (vcsim properties as read_vcenter returns them)."""
    devices = list(vm.get("config.hardware.device") or [])
    host = hosts.get(vm.get("_host")) or {}
    guest_id = vm.get("config.guestId") or ""
    family = "windowsguest" if guest_id.lower().startswith("win") else \
        ("otherguest" if guest_id.lower().startswith("other") and "linux" not in guest_id.lower() else "linuxguest")
    tools = _TOOLS.get(str(vm.get("guest.toolsRunningStatus")), "NotRunning")
    if str(vm.get("guest.toolsStatus")) == "toolsNotInstalled":
        tools = "NotInstalled"
    return {
        "displayName": vm.get("name"), "description": vm.get("config.annotation") or "",
        "biosGuid": vm.get("config.uuid"), "biosSerialNumber": vm.get("config.uuid"),
        "instanceUuid": vm.get("config.instanceUuid"), "vmFqdn": vm.get("guest.hostName") or "",
        "powerStatus": _POWER.get(str(vm.get("runtime.powerState")), "Unknown"), "vMwareToolsStatus": tools,
        "firmware": vm.get("config.firmware") or "bios",
        "numberOfProcessorCore": int(vm.get("config.hardware.numCPU") or 0),
        "allocatedMemoryInMB": float(vm.get("config.hardware.memoryMB") or 0),
        "operatingSystemDetails": {"osType": family, "osName": vm.get("config.guestFullName") or "",
                                   "osVersion": None, "osArchitecture": "x86" if guest_id in (
                                       "otherGuest", "otherLinuxGuest", "windows7Guest") else "x64"},
        "guestOSDetails": {"osType": None, "osName": None, "osVersion": None, "osArchitecture": None},
        "disks": _disk_entries(devices, vm.get("config.instanceUuid")), "networkAdapters": _nic_entries(devices, vm.get("guest.net")),
        "vCenterFQDN": vcenter_fqdn, "vCenterId": vcenter_id, "dataCenterScope": vcenter_fqdn,
        "hostName": host.get("name", ""), "hostVersion": host.get("summary.config.product.version", ""),
        "hostPowerState": str(host.get("runtime.powerState", "unknown")),
        "hostInMaintenanceMode": bool(host.get("runtime.inMaintenanceMode", False)),
        "vmConfigurationFileLocation": vm.get("summary.config.vmPathName") or "",
        "changeTrackingSupported": True, "changeTrackingEnabled": bool(vm.get("config.changeTrackingEnabled")),
        "maxSnapshots": -1, "dependencyMapping": "Disabled", "dependencyMappingStartTime": None,
        "appsAndRoles": None, "numberOfApplications": 0, "guestDetailsDiscoveryTimestamp": None,
        "isGuestDetailsDiscoveryInProgress": False, "isDeleted": False, "errors": [],
    }


# -- discovery sync ----------------------------------------------------------------------------------

def _vcenter_names(site, about, endpoint):
    host = endpoint["host"]
    name = "%s-%s" % (host.replace(".", "-"), common.stable_guid("vcenter", about["instanceUuid"]))
    return name, "%s/vcenters/%s" % (site["id"], name)


#: a periodic discovery's vCenter read done ahead, outside the store lock (read_ahead, by the background advancer or a
#: thread a request starts): {"event", "inventory", "error", "started"}; whoever applies the due discovery first takes
#: it once it is done - nobody waits for it under the store lock
_AHEAD = {"read": None, "epoch": 0}
_AHEAD_LOCK = threading.Lock()
#: the read-ahead runs at time scales from this one up (the bench's 60); below (tests' manual clock, scale 1) the
#: request reads vCenter itself, exactly when the discovery is due
AHEAD_MIN_SCALE = 10.0
#: real seconds a finished read-ahead stays usable
AHEAD_TTL = 30.0


def _scheduled(ctx):
    """[(site id, vault id, lab time its periodic discovery is due)] of the sites whose vault exists (the site of a
    deleted vault is never discovered again): the one schedule advance, the read-ahead and the background advancer
    go by."""
    interval = float(common.appliance_setting(ctx, "discovery_interval_seconds") or 0)
    if interval <= 0:
        return []
    out = []
    for site_id in common.meta_get(ctx, SITES_KEY, []):
        site = ctx.get(site_id)
        if site is None:
            continue
        last, vault = private(site).get("last_sync"), private(site).get("vault")
        if last is not None and ctx.get(vault) is not None:
            out.append((site_id, vault, last + interval))
    return out


def _due_sites(ctx):
    """[(site id, vault id)] whose periodic discovery is due by now."""
    now = common.now_epoch(ctx)
    return [(site_id, vault) for site_id, vault, due in _scheduled(ctx) if due <= now]


def next_sync(ctx):
    """The lab time of the next periodic discovery (None: none scheduled)."""
    times = [due for _site, _vault, due in _scheduled(ctx)]
    return min(times) if times else None


def reads_ahead(ctx):
    """Is the periodic discovery read ahead (outside the lock) rather than by the request it is due in?"""
    return vcenter.configured() and ctx.engine.app.clock.time_scale >= AHEAD_MIN_SCALE


def read_ahead(ctx):
    """The background advancer's I/O, outside the store lock: when a periodic discovery is due (and the clock runs
    at AHEAD_MIN_SCALE or more), read vCenter now for it (one read: the lab has one vCenter), so that the request
    or background slice that applies the discovery need not read it under the lock."""
    if not reads_ahead(ctx) or not _due_sites(ctx):
        return
    read = _new_read()
    if read is not None:
        _read_into(read)


def _new_read():
    """A new read-ahead record (None: one is under way or done, not taken yet)."""
    with _AHEAD_LOCK:
        if _AHEAD["read"] is not None:
            return None
        read = _AHEAD["read"] = {"event": threading.Event(), "inventory": None, "error": None,
                                 "started": time.monotonic(), "epoch": _AHEAD["epoch"]}
        return read


def _read_into(read):
    try:
        read["inventory"] = read_vcenter()
    except Exception as err:  # pylint: disable=broad-except  # the discovery that applies it reports it
        read["error"] = err
    finally:
        read["event"].set()


def _take_ahead():
    """The finished read-ahead, consumed (never waited for: the store lock is held); None when there is none done,
    when it is older than AHEAD_TTL, or when the discovered state changed here after it started (a sync, the lab's
    own power change: applying it would undo that) - then it is dropped and the next read starts afresh."""
    with _AHEAD_LOCK:
        read = _AHEAD["read"]
        if read is None or not read["event"].is_set():
            return None
        _AHEAD["read"] = None
        stale = read["epoch"] != _AHEAD["epoch"]
    if stale or time.monotonic() - read["started"] > AHEAD_TTL:
        return None
    return read


def _discovered_changed():
    """The discovered machines changed here (a sync applied, the lab's own power change): a read-ahead started before
    now is stale."""
    with _AHEAD_LOCK:
        _AHEAD["epoch"] += 1


def _start_ahead():
    """A request found a periodic discovery due before any read-ahead: read it on a thread of its own (the request
    goes on; the discovery applies once the read is done, in a later request or background slice)."""
    read = _new_read()
    if read is not None:
        threading.Thread(target=_read_into, args=(read,), name="drlab-discovery-read", daemon=True).start()


def forget_ahead():
    with _AHEAD_LOCK:
        _AHEAD["read"] = None


def sync(ctx, vault, ahead=None):
    """Discover the lab vCenter into the vault's site now (with `ahead`: what `read_ahead` read for it). Returns the
    number of machines seen."""
    fabric = fabric_of(ctx, vault)
    site = site_of(ctx, fabric) if fabric is not None else None
    if site is None:
        raise errors.asr_error(404, errors.APPLIANCE, "No replication appliance is registered in the vault.",
                               "The vault has no InMageRcm fabric.",
                               "Register the lab appliance (POST /_lab/appliance/register) and retry.")
    now = common.now_epoch(ctx)
    lab = private(site)
    lab["last_sync"] = now
    _discovered_changed()
    endpoint = _vcenter_endpoint()
    if endpoint is None:
        ctx.put(site["id"], site)
        return 0
    try:
        if ahead is not None and ahead["error"] is not None:
            raise ahead["error"]
        inventory = ahead["inventory"] if ahead is not None else read_vcenter()
    except Exception as err:  # pylint: disable=broad-except  # an unreachable vCenter is a health error
        LOG.warning("discovery of %s failed: %s", vault, err)
        vcenter.reset()
        lab["sync_error"] = "%s: %s" % (type(err).__name__, err)
        ctx.put(site["id"], site)
        _notify(ctx, vault, now)
        return None
    lab["sync_error"] = None
    vc_name, vc_id = _vcenter_names(site, inventory["about"], endpoint)
    lab["vcenter"] = {"name": vc_name, "id": vc_id, "fqdn": endpoint["host"], "port": endpoint["port"],
                      "instanceUuid": inventory["about"]["instanceUuid"], "version": inventory["about"]["version"]}
    lab["datastores"] = inventory["datastores"]
    ctx.put(site["id"], site)
    _ensure_vcenters(ctx, fabric, site)
    seen = set()
    for vm in inventory["vms"]:
        if vm.get("config.template") or not vm.get("config.instanceUuid"):
            continue
        name = "%s_%s" % (vc_name, vm["config.instanceUuid"])
        seen.add(name.lower())
        _upsert_machine(ctx, site, name, machine_properties(vm, inventory["hosts"], endpoint["host"],
                                                            vc_id), vm["_moid"], now)
    for body in machines(ctx, site["id"]):
        if body["name"].lower() not in seen and not body["properties"].get("isDeleted"):
            body["properties"]["isDeleted"] = True
            body["properties"]["updatedTimestamp"] = common.to_iso(now)
            ctx.put(body["id"], body)
    _notify(ctx, vault, now)
    return len(seen)


def _notify(ctx, vault, when, item_ids=None):
    for fn in _DISCOVERY_LISTENERS:
        fn(ctx, vault, when, item_ids)


def _upsert_machine(ctx, site, name, props, moid, now):
    machine_id = "%s/machines/%s" % (site["id"], name)
    existing = ctx.get(machine_id)
    if existing is not None:
        old = {k: v for k, v in existing["properties"].items() if k not in ("createdTimestamp", "updatedTimestamp")}
        if old == props and private(existing).get("moid") == moid:
            return
        props["createdTimestamp"] = existing["properties"].get("createdTimestamp")
    else:
        props["createdTimestamp"] = common.to_iso(now)
    props["updatedTimestamp"] = common.to_iso(now)
    ctx.put(machine_id, {"id": machine_id, "name": name, "type": MACHINE, "properties": props,
                         common.PRIVATE: {"moid": moid}})


def _ensure_vcenters(ctx, fabric, site):
    """The vCenter as the site (Azure Migrate) and the fabric (ASR) list it."""
    info = private(site)["vcenter"]
    appliance = appliances(fabric)[0] if appliances(fabric) else None
    created = (ctx.get(info["id"]) or {}).get("properties", {}).get("createdTimestamp") or \
        common.to_iso(common.now_epoch(ctx))
    ctx.put(info["id"], {"id": info["id"], "name": info["name"], "type": SITE_VCENTER, "properties": {
        "fqdn": info["fqdn"], "port": str(info["port"]), "version": info["version"],
        "perfStatisticsLevel": "Level1", "instanceUuid": info["instanceUuid"], "friendlyName": info["fqdn"],
        "runAsAccountId": _vcenter_run_as_id(site), "createdTimestamp": created,
        "updatedTimestamp": common.to_iso(common.now_epoch(ctx)), "errors": []}})
    asr_vcenter = "%s/replicationvCenters/%s" % (fabric["id"], info["name"])
    ctx.put(asr_vcenter, {"id": asr_vcenter, "name": info["name"], "type": VCENTER, "properties": {
        "friendlyName": info["fqdn"], "internalId": info["instanceUuid"], "discoveryStatus": "Completed",
        "processServerId": appliance["ids"]["processServer"] if appliance else "",
        "ipAddress": info["fqdn"], "infrastructureId": info["id"], "port": str(info["port"]),
        "runAsAccountId": _vcenter_run_as_id(site), "fabricArmResourceName": fabric["name"],
        "healthErrors": []}})


def _vcenter_run_as_id(site):
    return "%s/runasaccounts/%s" % (site["id"], common.stable_guid(site["id"], "vcenter-credential"))


def datastores(ctx, vault):
    """The datastores the appliance saw in the lab vCenter at its last sync: [{"name", "capacity", "free"}]."""
    fabric = fabric_of(ctx, vault)
    site = site_of(ctx, fabric) if fabric is not None else None
    return list(private(site).get("datastores", [])) if site is not None else []


def power_seen(ctx, item, status):
    """The appliance's discovery sees the source machine of `item` with power `status` ("ON" or "OFF") now, as after a
    discovery: the lab knows the outcome of its own power operation, so it updates that one machine (and tells the
    discovery listeners) instead of reading all of vCenter - a recovery plan of 100 items did that 100 times, one per
    item's power task. A powered-off machine's VMware Tools stop running. False when the item has no discovered machine
    (the caller discovers then)."""
    machine = machine_for_item(ctx, item)
    if machine is None:
        return False
    props = machine["properties"]
    wanted = {"powerStatus": status}
    if status == "OFF":
        wanted["vMwareToolsStatus"] = _TOOLS["guestToolsNotRunning"]
    if any(props.get(k) != v for k, v in wanted.items()):
        now = common.now_epoch(ctx)
        props.update(wanted)
        props["updatedTimestamp"] = common.to_iso(now)
        ctx.put(machine["id"], machine)
        _discovered_changed()
        # only this item's machine changed: the listeners look at it alone (every item of the vault for each power
        # task made a 300-item plan failback quadratic: 90 s of lab time per run inside requests)
        _notify(ctx, common.vault_id_of(item["id"]), now, [item["id"]])
    return True


def machine_for_item(ctx, item):
    """The discovered machine (Microsoft.OffAzure) of a protected item, or None."""
    details = item["properties"].get("providerSpecificDetails") or {}
    machine_id = details.get("fabricDiscoveryMachineId") or private(item).get("machine")
    return ctx.get(machine_id) if machine_id else None


# -- registration ---------------------------------------------------------------------------------

def _appliance_record(vault, name, now):
    ids = {key: common.stable_guid(vault, "appliance", name, key) for key in (
        "processServer", "rcmProxy", "pushInstaller", "replicationAgent", "reprotectAgent", "marsAgent", "dra")}
    return {"name": name, "ids": ids, "biosId": common.stable_guid(vault, "appliance-bios", name).upper(),
            "fqdn": "%s.lab.local" % name, "ip": "127.0.0.1", "registered": now}


def start_registration(ctx, vault, name, start_at=None, delay=None):
    """Start a `RegisterAppliance` job that registers appliance `name` in the vault (see the module doc)."""
    delay = common.appliance_setting(ctx, "register_delay_seconds") if delay is None else delay
    deploy = max(0.0, float(delay) - 60.0) if delay else 0.0
    step = min(30.0, float(delay) / 2.0) if delay else 0.0
    fabric_id = "%s/replicationFabrics/%s" % (vault, names(vault)["fabric"])
    tasks = [jobs.Task("DeployApplianceTask", "Deploy and configure the replication appliance", deploy, stage=0),
             jobs.Task("RegisterApplianceTask", "Register the replication appliance with the vault", step,
                       callback="asr.fabric.register", args={"name": name}, stage=1),
             jobs.Task("DiscoverVCenterTask", "Discover the vCenter server", step, callback="asr.fabric.discover",
                       stage=2)]
    return jobs.start_job(ctx, vault, scenario="RegisterAppliance", friendly_name="Register replication appliance",
                          target_id=fabric_id, target_name=names(vault)["fabric"], target_type="Fabric",
                          tasks=tasks, start_at=start_at, fabric_id=fabric_id)


def register(ctx, vault, name, when=None):
    """Register appliance `name` into the vault now: fabric, container, site, provider (idempotent)."""
    vault_body = ctx.get(vault)
    if vault_body is None:
        raise errors.not_found("vault", vault)
    when = common.now_epoch(ctx) if when is None else when
    fabric = fabric_of(ctx, vault) or _new_fabric(ctx, vault, vault_body, when)
    if not any(a["name"].lower() == name.lower() for a in appliances(fabric)):
        record = _appliance_record(vault, name, when)
        private(fabric).setdefault("appliances", []).append(record)
        ctx.put(fabric["id"], fabric)
        _put_provider(ctx, fabric, record)
        _put_run_as_accounts(ctx, site_of(ctx, fabric), name)
    return ctx.get(fabric["id"])


def _new_fabric(ctx, vault, vault_body, when):
    parsed = ctx.parse(vault)
    n = names(vault)
    location = vault_body.get("location") or "westeurope"
    group = "/subscriptions/%s/resourceGroups/%s" % (parsed.subscription, parsed.resource_group)
    site_id = "%s/providers/%s/%s" % (group, SITE, n["site"])
    tenant = ctx.tenant_id
    spn = {"tenantId": tenant, "applicationId": common.stable_guid(vault, "spn-app"),
           "objectId": common.stable_guid(vault, "spn-object"), "audience": common.stable_guid(vault, "audience"),
           "aadAuthority": "%s/%s" % (ctx.base_url, tenant)}
    ctx.put(site_id, {"id": site_id, "name": n["site"], "type": SITE, "location": location, "tags": {},
                      "properties": {"servicePrincipalIdentityDetails": dict(spn, rawCertData=""),
                                     "agentDetails": {"id": common.stable_guid(vault, "site-agent"),
                                                      "version": "6.1.0.0", "lastHeartBeatUtc": None,
                                                      "keyVaultUri": "", "keyVaultId": ""},
                                     "applianceName": common.appliance_setting(ctx, "name"),
                                     "discoverySolutionId": "", "serviceEndpoint": ctx.base_url,
                                     "provisioningState": "Succeeded"},
                      common.PRIVATE: {"vault": vault, "last_sync": None, "sync_error": None}})
    sites = [s for s in common.meta_get(ctx, SITES_KEY, []) if not common.same_id(s, site_id)] + [site_id]
    common.meta_set(ctx, SITES_KEY, sites)
    fabric_id = "%s/replicationFabrics/%s" % (vault, n["fabric"])
    physical = "/subscriptions/%s/resourceGroups/%s/providers/%s/ServerSites/%s" % (
        parsed.subscription, parsed.resource_group, common.OFFAZURE, n["physical_site"])
    ctx.put(fabric_id, {"id": fabric_id, "name": n["fabric"], "type": FABRIC, "properties": {
        "friendlyName": n["fabric"], "encryptionDetails": {"kekState": "None"},
        "rolloverEncryptionDetails": {"kekState": "None"}, "internalIdentifier": common.internal_id(fabric_id),
        "bcdrState": "Valid", "customDetails": {
            "instanceType": "InMageRcm", "vmwareSiteId": site_id, "physicalSiteId": physical,
            "serviceEndpoint": ctx.base_url, "serviceResourceId": common.stable_guid(vault, "service"),
            "serviceContainerId": common.stable_guid(vault, "service-container"),
            "dataPlaneUri": ctx.base_url, "controlPlaneUri": ctx.base_url,
            "sourceAgentIdentityDetails": spn},
        "healthErrorDetails": [], "health": "Normal"},
        common.PRIVATE: {"site": site_id, "appliances": [], "registered": when}})
    container_id = "%s/replicationProtectionContainers/%s" % (fabric_id, n["container"])
    ctx.put(container_id, {"id": container_id, "name": n["container"], "type": CONTAINER, "properties": {
        "fabricFriendlyName": n["fabric"], "friendlyName": n["container"], "fabricType": "InMageRcm",
        "role": "Primary", "fabricSpecificDetails": None}})          # [recorded: null]
    policies.ensure_defaults(ctx, vault, ctx.get(container_id), ctx.get(fabric_id))
    return ctx.get(fabric_id)


def _put_provider(ctx, fabric, appliance):
    provider_id = "%s/replicationRecoveryServicesProviders/%s" % (fabric["id"], appliance["ids"]["dra"])
    details = (fabric["properties"]["customDetails"] or {}).get("sourceAgentIdentityDetails")
    ctx.put(provider_id, {"id": provider_id, "name": appliance["ids"]["dra"], "type": RS_PROVIDER, "properties": {
        "fabricType": "InMageRcm", "friendlyName": appliance["name"], "providerVersion": COMPONENT_VERSIONS["dra"],
        "serverVersion": COMPONENT_VERSIONS["dra"], "providerVersionState": "Latest",
        "fabricFriendlyName": fabric["name"], "connectionStatus": "Connected", "allowedScenarios": [],
        "healthErrorDetails": [], "draIdentifier": appliance["ids"]["dra"], "machineId": appliance["biosId"],
        "machineName": appliance["name"], "biosId": appliance["biosId"],
        "authenticationIdentityDetails": details, "resourceAccessIdentityDetails": details,
        "dataPlaneAuthenticationIdentityDetails": details,
        "providerVersionDetails": {"version": COMPONENT_VERSIONS["dra"], "status": "Supported"}}})


def _put_run_as_accounts(ctx, site, appliance_name):
    """The credentials an appliance's configuration manager adds to the vault's VMware site: each appliance its own
    accounts (their own ids, `applianceName` the appliance's), in the one site the appliances of a vault share
    [recorded: TestV2ARCMSwitchAppliance, appliances Rcm-App-150 and Rcm-App-151 of one vault, items' runAsAccountId
    in the one site Rcm-Vault-4678vmwaresite, two distinct account ids]. The vCenter credential is added once, by the
    first appliance. That each appliance adds credentials of the same names is the lab's setting, not evidence."""
    now = common.to_iso(common.now_epoch(ctx))
    creds = list(common.appliance_setting(ctx, "credentials") or [])
    first = common.appliance_setting(ctx, "name")
    accounts = [(common.stable_guid(site["id"], "credential", c["name"]) if appliance_name == first else
                 common.stable_guid(site["id"], "credential", appliance_name, c["name"]),
                 c["name"], c.get("type", "LinuxServer")) for c in creds]
    vcenter_account = _vcenter_run_as_id(site).rsplit("/", 1)[-1]
    if ctx.get("%s/runasaccounts/%s" % (site["id"], vcenter_account)) is None:
        accounts.append((vcenter_account, "vcenter-credential", "VMwareFabric"))
    for name, display, kind in accounts:
        account_id = "%s/runasaccounts/%s" % (site["id"], name)
        ctx.put(account_id, {"id": account_id, "name": name, "type": RUN_AS_ACCOUNT, "properties": {
            "displayName": display, "credentialType": kind, "createdTimestamp": now, "updatedTimestamp": now,
            "applianceName": appliance_name}})


def _register_callback(ctx, job, task):
    vault = private(job)["vault"]
    if ctx.get(vault) is None:
        raise errors.not_found("vault", vault)
    register(ctx, vault, task["args"]["name"], when=jobs.task_end(task))


def _discover_callback(ctx, job, task):
    vault = private(job)["vault"]
    if fabric_of(ctx, vault) is not None:
        sync(ctx, vault)


#: the job task callbacks of this module (keys stored with the jobs; installed by registry.py)
CALLBACKS = {"asr.fabric.register": _register_callback, "asr.fabric.discover": _discover_callback}


def advance(ctx, req=None):
    """Auto-registration of new vaults, periodic discovery syncs (called before ASR requests)."""
    _auto_register(ctx)
    sites = common.meta_get(ctx, SITES_KEY, [])
    live = [s for s in sites if ctx.get(s) is not None]
    if len(live) != len(sites):
        common.meta_set(ctx, SITES_KEY, live)
    due = _due_sites(ctx)
    if not due:
        return
    ahead = None
    if reads_ahead(ctx):
        # at the bench's time scales a request never reads vCenter (seconds at 500 VMs) nor waits for a read while
        # it holds the store lock: the discovery applies once a read-ahead is done (one read for every due site)
        ahead = _take_ahead()
        if ahead is None:
            _start_ahead()
            return
    for _site_id, vault in due:
        sync(ctx, vault, ahead)


def _auto_register(ctx):
    if not common.appliance_setting(ctx, "auto_register"):
        return
    seen = common.meta_get(ctx, SEEN_KEY, {})
    changed = False
    for vault in ctx.list(common.VAULT, "/subscriptions/%s" % ctx.subscription_id):
        created = (vault.get("systemData") or {}).get("createdAt") or ""
        key = vault["id"].lower()
        if seen.get(key) == created:
            continue
        seen[key] = created
        changed = True
        if fabric_of(ctx, vault["id"]) is None:
            start_registration(ctx, vault["id"], common.appliance_setting(ctx, "name"),
                               start_at=common.from_iso(created))
    if changed:
        common.meta_set(ctx, SEEN_KEY, seen)


# -- rendering --------------------------------------------------------------------------------------

def _heartbeat(ctx, seconds_ago=20):
    return common.to_iso(common.now_epoch(ctx) - seconds_ago)


def _component(ctx, appliance, key, dra=False):
    out = {"id": appliance["ids"][key], "name": appliance["name"], "biosId": appliance["biosId"],
           "version": COMPONENT_VERSIONS.get(key, "9.66.7614.1"), "lastHeartbeatUtc": _heartbeat(ctx),
           "health": "Normal", "healthErrors": []}
    if not dra:     # DraDetails has neither fqdn nor fabricObjectId
        out.update({"fqdn": appliance["fqdn"], "fabricObjectId": None})
    return out


def _process_server(ctx, appliance, protected_count):
    out = _component(ctx, appliance, "processServer")
    out.update({"ipAddresses": [appliance["ip"]],
                "version": common.appliance_setting(ctx, "version"),
                "totalMemoryInBytes": 34359738368, "availableMemoryInBytes": 20615843020,
                "usedMemoryInBytes": 13743895348, "memoryUsagePercentage": 40.0,
                "totalSpaceInBytes": 1099511627776, "availableSpaceInBytes": 989560464998,
                "usedSpaceInBytes": 109951162778, "freeSpacePercentage": 90.0,
                "throughputUploadPendingDataInBytes": 0, "throughputInBytes": 1048576 * protected_count,
                "processorUsagePercentage": 12.5, "throughputStatus": "Healthy", "systemLoad": 1,
                "systemLoadStatus": "Healthy", "diskUsageStatus": "Healthy", "memoryUsageStatus": "Healthy",
                "processorUsageStatus": "Healthy", "protectedItemCount": protected_count, "historicHealth": "Normal"})
    return out


def _reprotect_agent(ctx, appliance, fabric, site):
    out = _component(ctx, appliance, "reprotectAgent")
    info = private(site).get("vcenter") if site is not None else None
    out.update({"protectedItemCount": 0,
                "accessibleDatastores": [d["name"] for d in (private(site).get("datastores") or [])] if site else [],
                "vcenterId": "%s/replicationvCenters/%s" % (common.asr_id(fabric["id"]), info["name"]) if info else None,
                "lastDiscoveryInUtc": common.to_iso(private(site).get("last_sync")) if site else None})
    return out


def _protected_count(ctx, fabric, appliance):
    return count_for_process_server(ctx, fabric["id"], appliance["ids"]["processServer"])


def count_in_container(ctx, container_id):
    """The protected items of a container."""
    return len(ctx.list(ITEM, container_id))


def count_for_process_server(ctx, fabric_id, process_server_id):
    """The protected items of a fabric that replicate through a process server."""
    return sum(1 for item in common.list_in_vault(ctx, ITEM, fabric_id)
               if str((item["properties"].get("providerSpecificDetails") or {}).get("processServerId") or "").lower()
               == process_server_id.lower())


def _agent_details(ctx, vault, site):
    by_bios = {}
    for machine in (machines(ctx, site["id"]) if site is not None else []):
        for form in bios_forms(machine["properties"].get("biosGuid")):
            by_bios[form] = machine
    out = []
    for key, agent in sorted(agents(ctx, vault).items()):
        machine = by_bios.get(key)
        disks = []
        for i, disk in enumerate((machine or {}).get("properties", {}).get("disks", [])):
            disks.append({"diskId": disk["uuid"], "diskName": disk["label"], "isOSDisk": "true" if i == 0 else "false",
                          "capacityInBytes": disk["maxSizeInBytes"], "lunId": disk["lun"]})
        out.append({"agentId": common.stable_guid("agent", key), "machineId": agent.get("machineId"),
                    "biosId": agent["biosId"], "fqdn": agent.get("fqdn"), "disks": disks})
    return out


def render_fabric(ctx, stored):
    out = common.public(stored)
    out["id"] = common.asr_id(out["id"])
    details = out["properties"].get("customDetails") or {}
    if details.get("instanceType") != "InMageRcm":
        return out
    vault = common.vault_id_of(stored["id"])
    site = ctx.get(private(stored).get("site") or "")
    lab_appliances = appliances(stored)
    counts = {a["name"]: _protected_count(ctx, stored, a) for a in lab_appliances}
    details.update({
        "processServers": [_process_server(ctx, a, counts[a["name"]]) for a in lab_appliances],
        "rcmProxies": [dict(_component(ctx, a, "rcmProxy"), clientAuthenticationType="Certificate")
                       for a in lab_appliances],
        "pushInstallers": [_component(ctx, a, "pushInstaller") for a in lab_appliances],
        "replicationAgents": [_component(ctx, a, "replicationAgent") for a in lab_appliances],
        "reprotectAgents": [_reprotect_agent(ctx, a, stored, site) for a in lab_appliances],
        "marsAgents": [_component(ctx, a, "marsAgent") for a in lab_appliances],
        "dras": [dict(_component(ctx, a, "dra", dra=True), forwardProtectedItemCount=counts[a["name"]],
                      reverseProtectedItemCount=0) for a in lab_appliances],
        "agentDetails": _agent_details(ctx, vault, site)})
    health_errors = fabric_health_errors(ctx, stored)
    out["properties"]["healthErrorDetails"] = health_errors
    out["properties"]["health"] = "Warning" if health_errors else "Normal"
    return out


def fabric_health_errors(ctx, fabric):
    site = ctx.get(private(fabric).get("site") or "")
    error = private(site).get("sync_error") if site is not None else None
    if not error:
        return []
    return [{"innerHealthErrors": [], "errorSource": "VCenter", "errorType": "VCenterUnreachable",
             "errorLevel": "Warning", "errorCategory": "FabricInfrastructure", "errorCode": errors.VCENTER_UNREACHABLE,
             "summaryMessage": "The appliance cannot reach the vCenter server.",
             "errorMessage": "Discovery of the vCenter server failed: %s" % error,
             "possibleCauses": "The vCenter server is down or unreachable from the appliance, or its "
                               "credentials changed.",
             "recommendedAction": "Check the vCenter server and the appliance's vCenter credentials.",
             "creationTimeUtc": common.to_iso(private(site).get("last_sync")),
             "entityId": fabric["name"], "errorId": common.stable_guid("vcenter-error", fabric["id"]),
             "customerResolvability": "Allowed"}]


def health_summary(ctx, vault):
    fabrics = list(ctx.list(FABRIC, vault))
    issues = []
    for fabric in fabrics:
        for err in fabric_health_errors(ctx, fabric):
            issues.append({"summaryCode": err["errorCode"], "category": "FabricInfrastructure",
                           "severity": "Warning", "summaryMessage": err["summaryMessage"],
                           "affectedResourceType": "replicationFabrics", "affectedResourceSubtype": "",
                           "affectedResourceCorrelationIds": [fabric["properties"].get("internalIdentifier")]})
    return {"resourceCount": len(fabrics), "issues": issues}


def containers_health_summary(ctx, vault):
    return {"resourceCount": len(common.list_in_vault(ctx, CONTAINER, vault)), "issues": []}


# -- resource types -----------------------------------------------------------------------------------

def _appliance_owned(what):
    return errors.asr_error(400, errors.APPLIANCE,
                            "%s of the InMageRcm (modernized) experience are created by the replication "
                            "appliance's registration, not through this API." % what,
                            "The replication appliance registers itself with the vault.",
                            "Register the lab appliance (POST /_lab/appliance/register) instead.")


class _ReadOnlyAsrType(ResourceType):
    tracked = False
    list_at_subscription = False
    what = "Objects"

    def prepare_put(self, ctx, rid, body, existing):
        raise _appliance_owned(self.what)

    def prepare_patch(self, ctx, rid, body, existing):
        raise _appliance_owned(self.what)

    def check_delete(self, ctx, rid, existing):
        raise _appliance_owned(self.what)

    def render(self, ctx, stored):
        out = common.public(stored)
        out["id"] = common.asr_id(out["id"])
        return out


class Fabric(_ReadOnlyAsrType):
    full_type = FABRIC
    parent_type = common.VAULT
    what = "Fabrics"

    def render(self, ctx, stored):
        return render_fabric(ctx, stored)


class ProtectionContainer(_ReadOnlyAsrType):
    full_type = CONTAINER
    parent_type = FABRIC
    what = "Protection containers"

    def render(self, ctx, stored):
        out = super().render(ctx, stored)
        mapped = ctx.list(common.MAPPING, stored["id"])
        out["properties"]["protectedItemCount"] = count_in_container(ctx, stored["id"])
        out["properties"]["pairingStatus"] = "Paired" if mapped else "NotPaired"
        return out


class ReplicationVCenter(_ReadOnlyAsrType):
    full_type = VCENTER
    parent_type = FABRIC
    what = "vCenter servers"

    def render(self, ctx, stored):
        out = super().render(ctx, stored)
        fabric = ctx.get(stored["id"].rsplit("/replicationvCenters/", 1)[0])
        site = ctx.get(private(fabric).get("site") or "") if fabric else None
        failing = bool(site is not None and private(site).get("sync_error"))
        out["properties"]["lastHeartbeat"] = common.to_iso(private(site).get("last_sync")) if site else None
        out["properties"]["discoveryStatus"] = "Failed" if failing else "Completed"
        out["properties"]["healthErrors"] = fabric_health_errors(ctx, fabric) if failing else []
        return out


class RecoveryServicesProvider(_ReadOnlyAsrType):
    full_type = RS_PROVIDER
    parent_type = FABRIC
    what = "Recovery Services providers"

    def render(self, ctx, stored):
        out = super().render(ctx, stored)
        fabric_id = stored["id"].rsplit("/replicationRecoveryServicesProviders/", 1)[0]
        out["properties"]["lastHeartBeat"] = _heartbeat(ctx)
        out["properties"]["protectedItemCount"] = len(common.list_in_vault(ctx, common.ITEM, fabric_id)) \
            if ctx.get(fabric_id) else 0
        return out


class _OffAzureType(ResourceType):
    """Microsoft.OffAzure resources: the appliance maintains them; read-only through ARM in the lab."""
    tracked = False
    list_at_subscription = False

    def prepare_put(self, ctx, rid, body, existing):
        raise ArmError(400, "OperationNotAllowed", "In the lab, the replication appliance maintains the Azure "
                                                   "Migrate (Microsoft.OffAzure) resources; they are read-only.")

    def prepare_patch(self, ctx, rid, body, existing):
        return self.prepare_put(ctx, rid, body, existing)

    def render(self, ctx, stored):
        return common.public(stored)


class VMwareSite(_OffAzureType):
    full_type = SITE
    tracked = True
    list_at_subscription = True

    def render(self, ctx, stored):
        out = common.public(stored)
        agent = out["properties"].get("agentDetails")
        if agent is not None:
            agent["lastHeartBeatUtc"] = _heartbeat(ctx)
        return out


#: VMwareMachineProperties names that changed between Microsoft.OffAzure 2020-01-01 (how the machines are
#: stored, what the collection reads) and 2023-06-06 (the OffAzure spec's VMwareMachine)
_MACHINE_FIELDS_2023 = {"vCenterFQDN": "vCenterFqdn", "allocatedMemoryInMB": "allocatedMemoryInMb",
                        "guestOSDetails": "guestOsDetails"}


class VMwareMachine(_OffAzureType):
    full_type = MACHINE
    parent_type = SITE

    def render(self, ctx, stored):
        """A machine with the field names of the request's api-version (2023-06-06 and later: camel case
        vCenterFqdn, allocatedMemoryInMb, guestOsDetails)."""
        out = common.public(stored)
        if (getattr(ctx, "api_version", None) or "") >= "2023-06-06":
            props = out.get("properties") or {}
            out["properties"] = {_MACHINE_FIELDS_2023.get(k, k): v for k, v in props.items()}
        return out


class VMwareRunAsAccount(_OffAzureType):
    full_type = RUN_AS_ACCOUNT
    parent_type = SITE


class VMwareSiteVCenter(_OffAzureType):
    full_type = SITE_VCENTER
    parent_type = SITE


# -- routes -----------------------------------------------------------------------------------------

def _vault_wide(full_type):
    def handler(ctx, match, query, body):
        vault = common.require_vault(ctx, match)
        return 200, Paged([common.render_with(ctx, b) for b in common.list_in_vault(ctx, full_type, vault)])
    handler.resource_type = full_type
    return handler


def _appliances_list(ctx, match, query, body):
    vault = common.require_vault(ctx, match)
    out = []
    for fabric in ctx.list(FABRIC, vault):
        rendered = render_fabric(ctx, fabric)["properties"]["customDetails"]
        if rendered.get("instanceType") != "InMageRcm":
            continue
        entries = []
        for i, appliance in enumerate(appliances(fabric)):
            entries.append({"id": appliance["ids"]["processServer"], "name": appliance["name"],
                            "fabricArmId": common.asr_id(fabric["id"]),
                            "processServer": rendered["processServers"][i], "rcmProxy": rendered["rcmProxies"][i],
                            "pushInstaller": rendered["pushInstallers"][i],
                            "replicationAgent": rendered["replicationAgents"][i],
                            "reprotectAgent": rendered["reprotectAgents"][i],
                            "marsAgent": rendered["marsAgents"][i], "dra": rendered["dras"][i],
                            "switchProviderBlockingErrorDetails": []})
        out.append({"properties": {"providerSpecificDetails": {"instanceType": "InMageRcm", "appliances": entries}}})
    return 200, Paged(out)


_appliances_list.resource_type = common.VAULT + "/replicationAppliances"


def _discovery_job(ctx, vault, scenario, friendly, target_id, target_name, target_type, task_names=None):
    fabric = fabric_of(ctx, vault)
    names = task_names or ["RefreshDiscoveryTask"]
    share = common.duration(ctx, "discovery") / len(names)
    tasks = [jobs.Task(n, "Refresh the appliance's discovery", share, stage=i,
                       callback="asr.fabric.discover" if i == len(names) - 1 else None) for i, n in enumerate(names)]
    job = jobs.start_job(ctx, vault, scenario=scenario, friendly_name=friendly, target_id=target_id,
                         target_name=target_name, target_type=target_type, tasks=tasks,
                         fabric_id=fabric["id"] if fabric else None)
    return jobs.lro_response(ctx, job, target_id)


def _fabric_action(ctx, match, query, body):
    vault = common.require_vault(ctx, match)
    fabric = ctx.get("%s/replicationFabrics/%s" % (vault, match.group("fabric")))
    if fabric is None:
        raise errors.not_found("fabric", match.group("fabric"))
    if match.group("action").lower() != "checkconsistency":
        raise _appliance_owned("Fabric operations other than checkConsistency")
    return _discovery_job(ctx, vault, "CheckConsistency", "Check consistency", fabric["id"], fabric["name"], "Fabric")


_fabric_action.resource_type = FABRIC


def _provider_action(ctx, match, query, body):
    vault = common.require_vault(ctx, match)
    provider_id = "%s/replicationFabrics/%s/replicationRecoveryServicesProviders/%s" % (
        vault, match.group("fabric"), match.group("provider"))
    provider = ctx.get(provider_id)
    if provider is None:
        raise errors.not_found("Recovery Services provider", match.group("provider"))
    if match.group("action").lower() != "refreshprovider":
        raise _appliance_owned("Removing the appliance's provider")
    words = vocabulary.job("refresh_provider")      # [recorded: RefreshFabricLayout, target the appliance, Server]
    return _discovery_job(ctx, vault, words.scenario, words.friendly, provider["id"],
                          provider["properties"]["friendlyName"], words.target_type, list(words.tasks))


_provider_action.resource_type = RS_PROVIDER


def _protectable_items(ctx, match, query, body):
    """The modernized experience has no protectable items (Azure PowerShell #28680: the list is empty)."""
    vault = common.require_vault(ctx, match)
    if ctx.get("%s/replicationFabrics/%s/replicationProtectionContainers/%s" % (
            vault, match.group("fabric"), match.group("container"))) is None:
        raise errors.not_found("protection container", match.group("container"))
    if match.group("name"):
        raise errors.not_found("protectable item", match.group("name"))
    return 200, Paged([])


_protectable_items.resource_type = CONTAINER + "/replicationProtectableItems"


# -- admin routes (/_lab/appliance/...) ---------------------------------------------------------------

def _admin_vault(ctx, body):
    vault = (body or {}).get("vault_id")
    if not vault or ctx.get(vault) is None:
        raise ArmError(404, "NotFound", "vault_id: no such vault: %s" % vault)
    return ctx.engine.canonical(ctx.parse(vault)).id


def _admin_register(ctx, match, body):
    vault = _admin_vault(ctx, body)
    name = (body or {}).get("name") or common.appliance_setting(ctx, "name")
    job = start_registration(ctx, vault, name, delay=float((body or {}).get("delay_seconds", 0)))
    fabric = fabric_of(ctx, vault)
    appliance = next((a for a in appliances(fabric) if a["name"].lower() == name.lower()), None) if fabric else None
    return 200, {"job": common.asr_id(job["id"]), "state": job["properties"]["state"],
                 "fabric": common.asr_id(fabric["id"]) if fabric else None,
                 "site": private(fabric)["site"] if fabric else None,
                 "appliance": {"name": name, "processServerId": appliance["ids"]["processServer"]}
                 if appliance else None}


def _admin_discover(ctx, match, body):
    vault = _admin_vault(ctx, body)
    count = sync(ctx, vault)
    fabric = fabric_of(ctx, vault)
    site = site_of(ctx, fabric)
    return 200, {"site": site["id"], "machines": count, "error": private(site).get("sync_error")}


def _admin_agents(ctx, match, body):
    vault = (ctx.query or {}).get("vault_id")
    return 200, {"value": sorted(agents(ctx, vault).values(), key=lambda a: a["biosId"])}


def _admin_agent_version(ctx, match, body):
    """`POST /_lab/appliance/agent_version {"vault_id", "bios_id", "version", "without_reboot"?}`: the Mobility agent
    registered for a machine reports another version (an agent that fell behind the appliance's
    `asr.appliance.agent_version`); `without_reboot`: the newest version it upgrades to without a reboot (the item's
    mobilityAgentDetails.latestUpgradableVersionWithoutReboot; default: the appliance's version)."""
    vault = _admin_vault(ctx, body)
    bios = str((body or {}).get("bios_id") or "").lower()
    version = (body or {}).get("version")
    registered = agents(ctx, vault)
    key = next((f for f in bios_forms(bios) if f in registered), None)
    if key is None or not version:
        raise ArmError(404 if key is None else 400, "NotFound" if key is None else "BadRequest",
                       "bios_id: no agent registered for %s / version: required" % bios)
    registered[key].update({"agentVersion": str(version), "withoutRebootTo": (body or {}).get("without_reboot")})
    _set_agents(ctx, vault, registered)
    return 200, dict(registered[key])


ADMIN_ROUTES = [
    ("POST", r"appliance/register", _admin_register),
    ("POST", r"appliance/agent_version", _admin_agent_version),
    ("POST", r"appliance/discover", _admin_discover),
    ("POST", r"appliance/agents", agent_registration),
    ("GET", r"appliance/agents", _admin_agents),
]

RESOURCE_TYPES = [Fabric, ProtectionContainer, ReplicationVCenter, RecoveryServicesProvider, VMwareSite,
                  VMwareMachine, VMwareRunAsAccount, VMwareSiteVCenter]

ROUTES = [
    ("GET", VAULT_PATH + r"/replicationAppliances", _appliances_list),
    ("GET", VAULT_PATH + r"/replicationvCenters", _vault_wide(VCENTER)),
    ("GET", VAULT_PATH + r"/replicationProtectionContainers", _vault_wide(CONTAINER)),
    ("GET", VAULT_PATH + r"/replicationRecoveryServicesProviders", _vault_wide(RS_PROVIDER)),
    ("POST", FABRIC_PATH + r"/(?P<action>checkConsistency|remove|reassociateGateway|renewCertificate|migratetoaad|"
                           r"removeInfra)", _fabric_action),
    ("POST", FABRIC_PATH + r"/replicationRecoveryServicesProviders/(?P<provider>[^/]+)/"
                           r"(?P<action>refreshProvider|remove)", _provider_action),
    ("GET", FABRIC_PATH + r"/replicationProtectionContainers/(?P<container>[^/]+)/replicationProtectableItems"
                          r"(?:/(?P<name>[^/]+))?", _protectable_items),
]
