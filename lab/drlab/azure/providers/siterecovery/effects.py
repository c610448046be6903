"""Side effects of ASR actions outside the vault: what Site Recovery does to Azure and to vCenter.

Azure (through the simulator's own Compute and Network resource types, so the resources look and
behave exactly like resources a client created: etags, IP allocation, NIC/disk back-references):

* `create_azure_vm(ctx, spec)`        NICs, managed disks and the VM of a (test) failover, running
* `delete_azure_resources(ctx, created)`  the VM, its NICs and its disks (nothing orphaned)
* `set_azure_vm_power(ctx, vm_id, state)` / `azure_vm_power(ctx, vm_id)`  shut down / start again

vCenter (pyVmomi, through the appliance's link: each effect is one `vcenter.call`, run again after a new login
when vCenter ended the session under it):

* `source_power_state(source)`, `power_off_source(source, graceful=True)`, `power_on_source(source)`
* `power_off_sources(sources)`       many at once (a recovery plan's shutdown step): all started, then awaited
* `powered_on_together(sources)`     a block in which power_on_source() of these sources returns the outcome of
                                     one power-on of all of them (a Boot group's failback items due at once)
* `create_vm_in_vcenter(spec)`        the on-premises VM of an alternate-location failback
* `delete_vm_in_vcenter(source)`      (lab clean-up)

Every effect is idempotent: a task callback may run again after a crash, so a rerun finds what the
first run made (resources by their deterministic names, vCenter VMs by instance UUID) and completes
it instead of failing or duplicating. Without a lab vCenter (`vcenter.configured()` false) the
vCenter effects do nothing and say so (`{"skipped": True, "warning": ...}`); the caller reports that
as a task warning.

Names follow what ASR (modernized, the RCM "hydration") gives the resources of a failed-over VMware
VM, as seen on real subscriptions: VM `<name>` (test failover `<name>-test`), NIC `nic-<name>-00`
(`nic-<name>-00-test`) with IP configuration `<nic>-ipConfig`, OS disk `<name>-OSdisk-00`
(`<name>-OSdisk-00-test`), disks tagged `AzHydration-ManagedDisk-CreatedBy: Azure Site Recovery`.
Data disk names (`<name>-DataDisk-01`, ...) follow the same pattern but were not observed.
"""
import contextlib
import math
import re
import threading
import time

from pyVmomi import vim

from drlab.azure import metadata
from drlab.azure.rp import ArmError
from drlab.azure.providers import catalog
from drlab.azure.providers import compute
from drlab.azure.providers import network
from drlab.azure.providers.network import LAB, props, ref_id
from drlab.azure.providers.siterecovery import vcenter

#: the tag ASR puts on the managed disks it creates at failover [observed]
ASR_DISK_TAG = ("AzHydration-ManagedDisk-CreatedBy", "Azure Site Recovery")

#: InMageRcm licenseType -> Compute licenseType
_LICENSE = {"windowsserver": "Windows_Server"}

#: seconds a graceful guest shutdown may take before the VM is powered off (real vCenter; vcsim is
#: immediate)
SHUTDOWN_TIMEOUT = 30.0
_RG_RE = re.compile(r"^/subscriptions/([^/]+)/resourceGroups/([^/]+)", re.IGNORECASE)
TASK_TIMEOUT = 300.0


class EffectError(ArmError):
    """A side effect that cannot be done; a task callback lets it fail the task (and the job)."""

    def __init__(self, message, code="SiteRecoveryEffectFailed", status=400):
        super().__init__(status, code, message)


# ---------------------------------------------------------------------------------------------
# names


def resource_names(vm_name, suffix="", nic_count=1, data_disk_count=0):
    """The names ASR gives the resources of a failed-over VM (suffix "-test" for a test failover)."""
    return {
        "vm": vm_name + suffix,
        "nics": ["nic-%s-%02d%s" % (vm_name, i, suffix) for i in range(nic_count)],
        "os_disk": "%s-OSdisk-00%s" % (vm_name, suffix),
        "data_disks": ["%s-DataDisk-%02d%s" % (vm_name, i + 1, suffix) for i in range(data_disk_count)],
    }


def _rg_id(value):
    m = _RG_RE.match(value or "")
    if not m:
        raise EffectError("The resource group id '%s' is not valid." % value, code="InvalidParameter")
    return "/subscriptions/%s/resourceGroups/%s" % (m.group(1), m.group(2))


def _child(rg_id, full_type, name):
    return "%s/providers/%s/%s" % (rg_id, full_type, name)


def _tags(value):
    """ASR tags are lists of {tagName, tagValue} (UserCreatedResourceTag; {key, value} accepted too);
    Compute wants a dict."""
    if isinstance(value, dict):
        return dict(value)
    out = {}
    for tag in value or []:
        if isinstance(tag, dict) and (tag.get("tagName") or tag.get("key")):
            out[tag.get("tagName") or tag["key"]] = tag.get("tagValue", tag.get("value", "")) or ""
    return out


def _finish(body):
    """Bodies the simulator's types prepare carry an in-progress provisioningState: done now."""
    if isinstance(body.get("properties"), dict):
        body["properties"]["provisioningState"] = "Succeeded"
    return body


# ---------------------------------------------------------------------------------------------
# VM size


def generation_of(firmware):
    """VMware firmware -> Hyper-V generation: EFI/UEFI boots Gen2, BIOS Gen1."""
    return "V2" if (firmware or "").lower() in ("efi", "uefi") else "V1"


def pick_size(location, cores=None, memory_mb=None, generation="V1", premium=False, nic_count=1,
              data_disk_count=0):
    """The smallest lab size that fits the source VM (what ASR proposes when no size is set)."""
    fits = [s for s in catalog.sizes_in(location)
            if s.vcpus >= (cores or 1) and s.memory_mb >= (memory_mb or 0)
            and generation in s.hyperv_generations.split(",") and (s.premium_io or not premium)
            and s.max_nics >= nic_count and s.max_data_disks >= data_disk_count
            and catalog.restriction(s.name, location) is None]
    if not fits:
        raise EffectError("No virtual machine size in '%s' fits %s cores and %s MB of memory."
                          % (location, cores, memory_mb), code="TargetVmSizeNotFound")
    return min(fits, key=lambda s: (s.vcpus, s.memory_gb, not s.premium_io, s.name)).name


# ---------------------------------------------------------------------------------------------
# Azure: create / delete / power


def create_azure_vm(ctx, spec):
    """Create (or complete) the Azure VM of a failover; returns what exists afterwards.

    spec keys (from the protected item's InMageRcm details and the action's input):
      resource_group_id   target resource group (required)
      vm_name             base name (required); suffix "-test" for a test failover
      network_id          virtual network of the NICs (required)
      nics                [{"subnet": name, "static_ip": ip|None, "primary": bool, "source_nic_id"}]
                          (the source NICs selected for failover; at least one)
      disks               [{"disk_id": source disk id, "size_gb" | "capacity_bytes", "disk_type",
                            "is_os": bool, "seed_disk_id", "name"}] (OS disk required)
      os_type             "Windows" | "Linux"        firmware "bios" | "efi" (or generation "V1"/"V2")
      vm_size             Compute size name; None: the smallest that fits cores/memory_mb
      cores, memory_mb    the source VM's, to pick a size
      location            default: the virtual network's
      zone, availability_set_id, proximity_placement_group_id, boot_diagnostics_storage_account_id
      license_type        InMageRcm value (WindowsServer -> Windows_Server)
      vm_tags, nic_tags, disk_tags   dicts or ASR [{key, value}] lists
    Returns {"vmId", "vmName", "location", "vmSize", "nicIds", "diskIds", "osDiskId",
             "privateIpAddresses", "warnings"}.
    """
    rg_id = _rg_id(spec["resource_group_id"])
    sub, rg = _RG_RE.match(rg_id).groups()
    if not ctx.exists_rg(sub, rg):
        raise EffectError("The target resource group '%s' does not exist." % rg_id, code="ResourceGroupNotFound",
                          status=404)
    vnet = ctx.get(spec["network_id"]) if spec.get("network_id") else None
    if vnet is None or not network.same_type(vnet["id"], network.VNET):
        raise EffectError("The virtual network '%s' does not exist." % spec.get("network_id"),
                          code="InvalidResourceReference", status=404)
    location = catalog.region(spec.get("location") or vnet["location"]) or vnet["location"]
    suffix = spec.get("suffix") or ""
    nic_specs = [n for n in spec.get("nics") or [] if n.get("selected", True)]
    if not nic_specs:
        raise EffectError("The virtual machine '%s' has no network adapter selected for failover." % spec["vm_name"],
                          code="NoNicSelectedForFailover")
    disks = list(spec.get("disks") or [])
    os_disks = [d for d in disks if d.get("is_os")]
    if len(os_disks) != 1:
        raise EffectError("The virtual machine '%s' must have exactly one OS disk." % spec["vm_name"],
                          code="InvalidOsDisk")
    data_disks = [d for d in disks if not d.get("is_os")]
    names = resource_names(spec["vm_name"], suffix, len(nic_specs), len(data_disks))
    generation = spec.get("generation") or generation_of(spec.get("firmware"))
    os_type = spec.get("os_type") or "Linux"
    zones = [str(spec["zone"])] if spec.get("zone") else []

    premium = any((d.get("disk_type") or "").lower() in compute.PREMIUM_SKUS for d in disks)
    vm_size = spec.get("vm_size") or pick_size(location, spec.get("cores"), spec.get("memory_mb"), generation,
                                               premium, len(nic_specs), len(data_disks))
    size = catalog.size(vm_size)
    if size is None or location not in size.regions:
        raise compute.size_error(vm_size, location)
    for nic_spec in nic_specs:
        if ctx.get("%s/subnets/%s" % (vnet["id"], nic_spec.get("subnet") or "default")) is None:
            raise EffectError("The subnet '%s' does not exist in the virtual network '%s'."
                              % (nic_spec.get("subnet") or "default", vnet["id"]),
                              code="InvalidResourceReference", status=404)
    plan = {"spec": spec, "rg_id": rg_id, "vnet": vnet, "location": location, "nics": nic_specs,
            "os_disk": os_disks[0], "data_disks": data_disks, "names": names, "generation": generation,
            "os_type": os_type, "zones": zones, "vm_size": vm_size}
    made = []   # what this call creates: removed again when a later step fails
    try:
        return _create_all(ctx, plan, made)
    except Exception:
        delete_azure_resources(ctx, {"vmId": None, "nicIds": [m for m in made if "/networkInterfaces/" in m],
                                     "diskIds": [m for m in made if "/disks/" in m]})
        raise


def _create_all(ctx, plan, made):
    # NICs first (their IPs), then the disks, then the VM that attaches both
    spec, rg_id, location, names, zones = plan["spec"], plan["rg_id"], plan["location"], plan["names"], plan["zones"]
    nic_specs, os_disk, data_disks = plan["nics"], plan["os_disk"], plan["data_disks"]
    warnings = []
    nic_ids, ips = [], []
    primary_index = next((i for i, n in enumerate(nic_specs) if n.get("primary")), 0)
    for i, nic_spec in enumerate(nic_specs):
        nic_id = _child(rg_id, network.NIC, nic_spec.get("name") or names["nics"][i])
        nic = ctx.get(nic_id)
        if nic is None:
            nic = _create_nic(ctx, nic_id, location, plan["vnet"], nic_spec, _tags(spec.get("nic_tags")), warnings)
            made.append(nic["id"])
        nic_ids.append(nic["id"])
        ips.append(props((props(nic).get("ipConfigurations") or [{}])[0]).get("privateIPAddress"))

    disk_tags = dict(_tags(spec.get("disk_tags")))
    disk_tags.setdefault(*ASR_DISK_TAG)
    os_disk_id = _ensure_disk(ctx, rg_id, os_disk.get("name") or names["os_disk"], os_disk, location,
                              zones, disk_tags, made, os_type=plan["os_type"], generation=plan["generation"])
    data_disk_ids = [_ensure_disk(ctx, rg_id, d.get("name") or names["data_disks"][i], d, location, zones,
                                  disk_tags, made) for i, d in enumerate(data_disks)]

    vm_id = _child(rg_id, compute.VM, names["vm"])
    vm = ctx.get(vm_id)
    if vm is None:
        body = _vm_body(plan, nic_ids, primary_index, os_disk_id, data_disk_ids)
        rid = ctx.parse(vm_id)
        stored = compute.VirtualMachine().prepare_put(ctx, rid, body, None)
        stored["properties"]["provisioningState"] = "Succeeded"
        stored[LAB] = {"power": "running", "power_time": ctx.now_iso()}
        ctx.put(vm_id, stored)
        vm = ctx.get(vm_id)
    elif compute.vm_power(vm) != "running":
        set_azure_vm_power(ctx, vm_id, "running")
        vm = ctx.get(vm_id)
    return {
        "vmId": vm["id"],
        "vmName": vm["name"],
        "location": vm["location"],
        "vmSize": props(vm)["hardwareProfile"]["vmSize"],
        "nicIds": nic_ids,
        "diskIds": [os_disk_id] + data_disk_ids,
        "osDiskId": os_disk_id,
        "privateIpAddresses": ips,
        "warnings": warnings,
    }


def _vm_body(plan, nic_ids, primary_index, os_disk_id, data_disk_ids):
    spec = plan["spec"]
    body = {
        "location": plan["location"],
        "tags": _tags(spec.get("vm_tags")),
        "properties": {
            "hardwareProfile": {"vmSize": plan["vm_size"]},
            "storageProfile": {
                "osDisk": {"osType": plan["os_type"], "createOption": "Attach", "caching": "ReadWrite",
                           "managedDisk": {"id": os_disk_id}},
                "dataDisks": [{"lun": lun, "createOption": "Attach", "caching": "None",
                               "managedDisk": {"id": disk_id}} for lun, disk_id in enumerate(data_disk_ids)],
            },
            "networkProfile": {"networkInterfaces": [
                {"id": nic_id, "properties": {"primary": i == primary_index}} for i, nic_id in enumerate(nic_ids)]},
        },
    }
    if plan["zones"]:
        body["zones"] = list(plan["zones"])
    p = body["properties"]
    license_type = _LICENSE.get((spec.get("license_type") or "").lower())
    if license_type:
        p["licenseType"] = license_type
    for key, field in (("availability_set_id", "availabilitySet"),
                       ("proximity_placement_group_id", "proximityPlacementGroup")):
        if spec.get(key):
            p[field] = {"id": spec[key]}
    if spec.get("boot_diagnostics_storage_account_id"):
        account = spec["boot_diagnostics_storage_account_id"].rstrip("/").rsplit("/", 1)[-1]
        p["diagnosticsProfile"] = {"bootDiagnostics": {
            "enabled": True, "storageUri": "https://%s.blob.%s/" % (account, metadata.STORAGE_SUFFIX)}}
    return body


def _create_nic(ctx, nic_id, location, vnet, nic_spec, tags, warnings):
    subnet_name = nic_spec.get("subnet") or "default"
    subnet_id = "%s/subnets/%s" % (vnet["id"], subnet_name)
    subnet = ctx.get(subnet_id)
    if subnet is None:
        raise EffectError("The subnet '%s' does not exist in the virtual network '%s'." % (subnet_name, vnet["id"]),
                          code="InvalidResourceReference", status=404)
    name = nic_id.rsplit("/", 1)[-1]
    ip_config = {"name": name + "-ipConfig",
                 "properties": {"subnet": {"id": subnet["id"]}, "primary": True,
                                "privateIPAllocationMethod": "Dynamic"}}
    body = {"location": location, "properties": {"ipConfigurations": [ip_config]}}
    if tags:
        body["tags"] = tags
    rid = ctx.parse(nic_id)
    static_ip = nic_spec.get("static_ip")
    if static_ip:
        ip_config["properties"].update(privateIPAllocationMethod="Static", privateIPAddress=static_ip)
        try:
            stored = network.NetworkInterface().prepare_put(ctx, rid, body, None)
        except ArmError as exc:
            # ASR uses the address "if it is available in the target IP range", else the next free one
            warnings.append("The IP address %s could not be assigned to %s (%s); the next available address of "
                            "subnet %s was used instead." % (static_ip, name, exc.code, subnet_name))
            ip_config["properties"].update(privateIPAllocationMethod="Dynamic")
            ip_config["properties"].pop("privateIPAddress", None)
            stored = network.NetworkInterface().prepare_put(ctx, rid, body, None)
    else:
        stored = network.NetworkInterface().prepare_put(ctx, rid, body, None)
    ctx.put(nic_id, _finish(stored))
    return ctx.get(nic_id)


def _disk_size_gb(disk):
    if disk.get("size_gb"):
        return int(disk["size_gb"])
    capacity = int(disk.get("capacity_bytes") or 0)
    return max(1, int(math.ceil(capacity / float(1024 ** 3)))) if capacity else 32


def _ensure_disk(ctx, rg_id, name, disk, location, zones, tags, made, os_type=None, generation=None):
    disk_id = _child(rg_id, compute.DISK, name)
    if ctx.get(disk_id) is not None:
        return ctx.get(disk_id)["id"]
    seed = disk.get("seed_disk_id")
    if seed and ctx.get(seed) is not None:
        creation = {"createOption": "Restore", "sourceResourceId": ctx.get(seed)["id"]}
    else:
        creation = {"createOption": "Empty"}
    body = {"location": location, "sku": {"name": disk.get("disk_type") or "Standard_LRS"}, "tags": dict(tags),
            "properties": {"creationData": creation, "diskSizeGB": _disk_size_gb(disk)}}
    if zones:
        body["zones"] = list(zones)
    if os_type:
        body["properties"].update(osType=os_type, hyperVGeneration=generation or "V1")
    stored = compute.Disk().prepare_put(ctx, ctx.parse(disk_id), body, None)
    ctx.put(disk_id, _finish(stored))
    made.append(ctx.get(disk_id)["id"])
    return made[-1]


def delete_azure_resources(ctx, created):
    """Delete what `create_azure_vm` made: the VM first (releasing NICs and disks), then the NICs and
    the disks. Returns the ids that existed and are gone. Missing resources are fine (a rerun)."""
    created = created or {}
    gone = []
    vm_id = created.get("vmId")
    vm = ctx.get(vm_id) if vm_id else None
    if vm is not None:
        ctx.delete(vm["id"])
        compute.VirtualMachine().on_deleted(ctx, ctx.parse(vm["id"]), vm)   # release its NICs and disks
        gone.append(vm["id"])
    for rid in list(created.get("nicIds") or []) + list(created.get("diskIds") or []):
        body = ctx.get(rid)
        if body is None:
            continue
        ctx.delete(body["id"])
        gone.append(body["id"])
    return gone


def azure_vm_power(ctx, vm_id):
    vm = ctx.get(vm_id) if vm_id else None
    return compute.vm_power(vm) if vm is not None else None


def set_azure_vm_power(ctx, vm_id, state):
    """Power state of an Azure VM as the Compute provider keeps it (running/stopped/deallocated)."""
    vm = ctx.get(vm_id) if vm_id else None
    if vm is None:
        return None
    if compute.vm_power(vm) == state:
        return state
    vm = dict(vm)
    vm[LAB] = dict(vm.get(LAB) or {}, power=state, power_time=ctx.now_iso())
    ctx.put(vm["id"], vm)
    if state == "running":
        for n in (props(vm).get("networkProfile") or {}).get("networkInterfaces") or []:
            network.set_nic_mac(ctx, ref_id(n))
    return state


# ---------------------------------------------------------------------------------------------
# vCenter


def _skipped(what):
    return {"skipped": True, "warning": "The replication appliance has no vCenter server in this lab: %s was "
                                        "skipped." % what}


def wait_task(task, timeout=TASK_TIMEOUT):
    """The one waiter for vCenter tasks: the task's result, or EffectError with the task's fault."""
    deadline = time.monotonic() + timeout
    while True:
        info = task.info
        if info.state == "success":
            return info.result
        if info.state == "error":
            fault = info.error
            raise EffectError("vCenter task %s failed: %s" % (info.descriptionId or info.key,
                                                              getattr(fault, "msg", None) or type(fault).__name__),
                              code="VCenterTaskFailed")
        if time.monotonic() > deadline:
            raise EffectError("vCenter task %s did not finish in %ss." % (info.descriptionId or info.key, timeout),
                              code="VCenterTaskTimeout")
        time.sleep(0.05)


def find_vm(si, source):
    """The vim.VirtualMachine of `source` ({"instance_uuid", "bios_uuid"}), or None."""
    index = si.content.searchIndex
    if source.get("instance_uuid"):
        vm = index.FindByUuid(None, source["instance_uuid"], True, True)
        if vm is not None:
            return vm
    if source.get("bios_uuid"):
        return index.FindByUuid(None, source["bios_uuid"], True, False)
    return None


def _source_vm(si, source):
    vm = find_vm(si, source)
    if vm is None:
        raise EffectError("The virtual machine %s (instance UUID %s) was not found in vCenter."
                          % (source.get("name") or "", source.get("instance_uuid") or source.get("bios_uuid")),
                          code="SourceVmNotFound", status=404)
    return vm


def _vm_label(source):
    return source.get("name") or source.get("instance_uuid") or source.get("bios_uuid") or "?"


def source_power_state(source):
    """poweredOn / poweredOff / suspended of the source VM; None without a vCenter or when missing."""
    if not vcenter.configured():
        return None

    def read(si):
        vm = find_vm(si, source)
        return str(vm.runtime.powerState) if vm is not None else None
    return vcenter.call(read, "reading the power state of %s" % _vm_label(source))


def power_off_source(source, graceful=True, shutdown_timeout=SHUTDOWN_TIMEOUT):
    """Shut the source VM down (guest shutdown when VMware Tools run, else power off).

    Returns {"action": "shutdownGuest"|"powerOff"|"none", "powerState": "poweredOff"} or a skip.
    """
    if not vcenter.configured():
        return _skipped("shutting down the source virtual machine")
    acted = {}      # what a run that lost its session had done: the run after the new login reports it
    return vcenter.call(lambda si: _power_off(_source_vm(si, source), graceful, shutdown_timeout, acted),
                        "shutting down %s" % _vm_label(source))


def _power_off(vm, graceful, shutdown_timeout, acted):
    if str(vm.runtime.powerState) == "poweredOff":
        return {"action": acted.get("action") or "none", "powerState": "poweredOff"}
    action = None
    if graceful and str(vm.runtime.powerState) == "poweredOn" \
            and str(vm.guest.toolsRunningStatus) == "guestToolsRunning":
        try:
            vm.ShutdownGuest()
            action = acted["action"] = "shutdownGuest"
        except Exception:  # pylint: disable=broad-except  # tools gone meanwhile: power off instead
            action = None
        deadline = time.monotonic() + shutdown_timeout
        while action and str(vm.runtime.powerState) != "poweredOff" and time.monotonic() < deadline:
            time.sleep(0.1)
    if str(vm.runtime.powerState) != "poweredOff":
        acted["action"] = "powerOff"
        wait_task(vm.PowerOffVM_Task())
        action = "powerOff"
    return {"action": action, "powerState": str(vm.runtime.powerState)}


def power_off_sources(sources, graceful=True, shutdown_timeout=SHUTDOWN_TIMEOUT):
    """Shut many source VMs down together (a recovery plan's shutdown step): every guest shutdown and power-off
    task is started first, then all are awaited at once, so n VMs take about as long as the slowest one and not
    the sum of all. Returns one outcome per source, in order: what `power_off_source` returns, or
    {"error": EffectError} for a VM that could not be shut down (the others go on). Idempotent like it: a VM found
    off is "none"; a run again after a lost session reports what an earlier run did."""
    if not vcenter.configured():
        return [_skipped("shutting down the source virtual machine") for _s in sources]
    acted = [{} for _s in sources]
    return vcenter.call(lambda si: _power_off_many(si, sources, graceful, shutdown_timeout, acted),
                        "shutting down %d virtual machines" % len(sources))


def _source_vms(si, sources):
    """([None] * len(sources) with {"error": EffectError} of a source vCenter does not have, {index: its VM})."""
    out, vms = [None] * len(sources), {}
    for i, source in enumerate(sources):
        try:
            vms[i] = _source_vm(si, source)
        except EffectError as err:
            out[i] = {"error": err}
    return out, vms


def _power_off_many(si, sources, graceful, shutdown_timeout, acted):
    out, vms = _source_vms(si, sources)
    guests, tasks = {}, {}
    for i, vm in vms.items():
        state = str(vm.runtime.powerState)
        if state == "poweredOff":
            out[i] = {"action": acted[i].get("action") or "none", "powerState": "poweredOff"}
            continue
        if graceful and state == "poweredOn" and str(vm.guest.toolsRunningStatus) == "guestToolsRunning":
            try:
                vm.ShutdownGuest()
                acted[i]["action"] = "shutdownGuest"
                guests[i] = vm
                continue
            except Exception:  # pylint: disable=broad-except  # tools gone meanwhile: power off instead
                pass
        acted[i]["action"] = "powerOff"
        tasks[i] = vm.PowerOffVM_Task()
    deadline = time.monotonic() + shutdown_timeout
    while guests:
        for i in [i for i, vm in guests.items() if str(vm.runtime.powerState) == "poweredOff"]:
            out[i] = {"action": "shutdownGuest", "powerState": "poweredOff"}
            del guests[i]
        if not guests or time.monotonic() >= deadline:
            break
        time.sleep(0.1)
    for i, vm in guests.items():        # the guest did not stop in time: power it off
        acted[i]["action"] = "powerOff"
        tasks[i] = vm.PowerOffVM_Task()
    for i, task in tasks.items():
        try:
            wait_task(task)
            out[i] = {"action": "powerOff", "powerState": str(vms[i].runtime.powerState)}
        except EffectError as err:
            out[i] = {"error": err}
    return out


def _source_key(source):
    return (source.get("instance_uuid") or "", source.get("bios_uuid") or "")


#: the outcomes of a powered_on_together block, by source (per thread: each request runs under the store lock)
_TOGETHER = threading.local()


@contextlib.contextmanager
def powered_on_together(sources):
    """Power many source VMs on at once (a recovery plan's Boot group fails its items back together: one after the
    other, 100 power-ons took ~19 s inside one request): every power-on task is started first, then all are awaited.
    Inside the block, power_on_source() of one of these sources returns that outcome (or raises its error) instead
    of powering the VM on alone; the block's callbacks stay what they are for a single item."""
    done = {}
    if sources and vcenter.configured():
        acted = [{} for _s in sources]
        outcomes = vcenter.call(lambda si: _power_on_many(si, sources, acted),
                                "powering on %d virtual machines" % len(sources))
        done = dict((_source_key(s), o) for s, o in zip(sources, outcomes) if any(_source_key(s)))
    _TOGETHER.done = done
    try:
        yield
    finally:
        _TOGETHER.done = {}


def _power_on_many(si, sources, acted):
    out, vms = _source_vms(si, sources)
    tasks = {}
    for i, vm in vms.items():
        if str(vm.runtime.powerState) == "poweredOn":
            out[i] = {"action": acted[i].get("action") or "none", "powerState": "poweredOn"}
            continue
        acted[i]["action"] = "powerOn"
        tasks[i] = vm.PowerOnVM_Task()
    for i, task in tasks.items():
        try:
            wait_task(task)
            out[i] = {"action": "powerOn", "powerState": str(vms[i].runtime.powerState)}
        except EffectError as err:
            out[i] = {"error": err}
    return out


def power_on_source(source):
    """Power the on-premises VM on (failback). Returns {"action", "powerState"} or a skip. Inside a
    powered_on_together block that powered it on, that outcome."""
    together = getattr(_TOGETHER, "done", None) or {}
    outcome = together.pop(_source_key(source), None) if any(_source_key(source)) else None
    if outcome is None:
        if not vcenter.configured():
            return _skipped("powering on the on-premises virtual machine")
        acted = [{}]
        outcome = vcenter.call(lambda si: _power_on_many(si, [source], acted), "powering on %s" % _vm_label(source))[0]
    if outcome.get("error") is not None:
        raise outcome["error"]
    return outcome


def _datacenters(si):
    return [e for e in si.content.rootFolder.childEntity if isinstance(e, vim.Datacenter)]


def _find_in(si, kind, name, root=None):
    view = si.content.viewManager.CreateContainerView(root or si.content.rootFolder, [kind], True)
    try:
        return next((o for o in view.view if o.name == name), None)
    finally:
        view.Destroy()


def create_vm_in_vcenter(spec):
    """Create (or find again) the on-premises VM of an alternate-location failback.

    spec: name, datastore (name), host | cluster | resource_pool (names; default: a host that sees
    the datastore), datacenter, folder (vm folder name), guest_id, num_cpu, memory_mb, firmware,
    disks [{"size_gb"}], nics [{"network", "mac"}], instance_uuid (makes a rerun find it), bios_uuid
    (the identity of the machine it replaces: its Mobility agent registered with it), power_on.
    Returns {"name", "instance_uuid", "bios_uuid", "moref", "created": bool, "powerState"} or a skip.
    """
    if not vcenter.configured():
        return _skipped("creating the virtual machine %s in vCenter" % spec.get("name"))
    made = []       # a run that lost its session after the create finds the VM again: it was still made here

    def create(si):
        vm = find_vm(si, {"instance_uuid": spec.get("instance_uuid")}) if spec.get("instance_uuid") else None
        if vm is None:
            made.append(spec.get("name"))
            vm = _create_vm(si, spec)
        if spec.get("power_on", True) and str(vm.runtime.powerState) != "poweredOn":
            wait_task(vm.PowerOnVM_Task())
        return {"name": vm.name, "instance_uuid": vm.config.instanceUuid, "bios_uuid": vm.config.uuid,
                "moref": vm._moId, "created": bool(made),  # pylint: disable=protected-access
                "powerState": str(vm.runtime.powerState)}
    return vcenter.call(create, "creating the virtual machine %s" % spec.get("name"))


def _create_vm(si, spec):
    dcs = _datacenters(si)
    dc = next((d for d in dcs if d.name == spec.get("datacenter")), None) if spec.get("datacenter") else \
        (dcs[0] if dcs else None)
    if dc is None:
        raise EffectError("The datacenter '%s' was not found in vCenter." % spec.get("datacenter"),
                          code="DatacenterNotFound", status=404)
    datastore = next((d for d in dc.datastore if d.name == spec.get("datastore")), None)
    if datastore is None:
        raise EffectError("The datastore '%s' was not found in vCenter." % spec.get("datastore"),
                          code="DatastoreNotFound", status=404)
    host = pool = None
    if spec.get("resource_pool"):
        pool = _find_in(si, vim.ResourcePool, spec["resource_pool"], dc.hostFolder)
    elif spec.get("cluster"):
        cluster = _find_in(si, vim.ClusterComputeResource, spec["cluster"], dc.hostFolder)
        pool = cluster.resourcePool if cluster is not None else None
    else:
        host = _find_in(si, vim.HostSystem, spec["host"], dc.hostFolder) if spec.get("host") else \
            (datastore.host[0].key if datastore.host else None)
        pool = host.parent.resourcePool if host is not None else None
    if pool is None:
        raise EffectError("No resource pool, cluster or host '%s' was found in vCenter for the virtual machine."
                          % (spec.get("resource_pool") or spec.get("cluster") or spec.get("host")),
                          code="ComputeResourceNotFound", status=404)
    folder = dc.vmFolder
    if spec.get("folder"):
        folder = _find_in(si, vim.Folder, spec["folder"], dc.vmFolder) or folder

    windows = "windows" in (spec.get("guest_id") or "").lower()
    devices = []
    controller = (vim.vm.device.VirtualLsiLogicSASController if windows else vim.vm.device.ParaVirtualSCSIController)()
    controller.key = 1000
    controller.busNumber = 0
    controller.sharedBus = "noSharing"
    devices.append(vim.vm.device.VirtualDeviceSpec(operation="add", device=controller))
    for unit, disk in enumerate(spec.get("disks") or [{"size_gb": 30}]):
        backing = vim.vm.device.VirtualDisk.FlatVer2BackingInfo(diskMode="persistent", thinProvisioned=True,
                                                                fileName="[%s]" % datastore.name)
        dev = vim.vm.device.VirtualDisk(key=-(unit + 1), controllerKey=1000, unitNumber=unit if unit < 7 else unit + 1,
                                        capacityInKB=int(disk.get("size_gb") or 30) * 1024 * 1024, backing=backing)
        devices.append(vim.vm.device.VirtualDeviceSpec(operation="add", fileOperation="create", device=dev))
    for i, nic in enumerate(spec.get("nics") or []):
        net = next((n for n in dc.network if n.name == nic.get("network")), None)
        if net is None:
            raise EffectError("The network '%s' was not found in vCenter." % nic.get("network"),
                              code="NetworkNotFound", status=404)
        card = vim.vm.device.VirtualVmxnet3(key=-(100 + i))
        card.backing = vim.vm.device.VirtualEthernetCard.NetworkBackingInfo(deviceName=net.name, network=net)
        card.connectable = vim.vm.device.VirtualDevice.ConnectInfo(startConnected=True, connected=True,
                                                                   allowGuestControl=True)
        if nic.get("mac"):
            card.addressType, card.macAddress = "manual", nic["mac"]
        devices.append(vim.vm.device.VirtualDeviceSpec(operation="add", device=card))
    config = vim.vm.ConfigSpec(
        name=spec["name"], guestId=spec.get("guest_id") or "otherLinux64Guest",
        numCPUs=int(spec.get("num_cpu") or 2), memoryMB=int(spec.get("memory_mb") or 4096),
        firmware="efi" if (spec.get("firmware") or "").lower() in ("efi", "uefi") else "bios",
        files=vim.vm.FileInfo(vmPathName="[%s]" % datastore.name), deviceChange=devices)
    if spec.get("instance_uuid"):
        config.instanceUuid = spec["instance_uuid"]
    if spec.get("bios_uuid"):
        config.uuid = spec["bios_uuid"]
    return wait_task(folder.CreateVM_Task(config=config, pool=pool, host=host))


def delete_vm_in_vcenter(source):
    """Power off and destroy a vCenter VM (lab clean-up). Returns True when one was deleted."""
    if not vcenter.configured():
        return False
    gone = []       # a run that lost its session after the destroy finds nothing: it was still deleted here

    def delete(si):
        vm = find_vm(si, source)
        if vm is None:
            return bool(gone)
        if str(vm.runtime.powerState) != "poweredOff":
            wait_task(vm.PowerOffVM_Task())
        gone.append(vm)
        wait_task(vm.Destroy_Task())
        return True
    return vcenter.call(delete, "deleting the virtual machine %s" % _vm_label(source))
