# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What disaster recovery needs to know about VMware VMs, read in two property-collector round trips.

1. One RetrievePropertiesEx over a ContainerView of the VMs in scope (root folder, or the given
   folder / cluster / datacenter), with only the property paths in VM_PROPERTIES, paged with
   ContinueRetrievePropertiesEx. Never one call per VM.
2. One RetrievePropertiesEx over the objects those VMs reference (hosts, folders, resource pools,
   datastores, networks), following `parent` upwards: host -> cluster, folder -> datacenter.

Looking up the scope (a folder, cluster or datacenter by name) costs one more round trip each.

Tags live in the vSphere Automation REST API, not in SOAP (rest.Tagging). The `tags` filter costs
one tag-association call for all listed tags (plus reading the tag and category names it needs,
once each), never a call per VM; with it, round trip 1 reads the tagged VMs by reference instead of
every VM in scope, and the scope is still checked. `include_tags` costs one more tag-association
call for all returned VMs (plus one read per distinct tag and category).

The OS disk (os_disk) is the first disk in the VM's boot order when the boot order names a disk
(os_disk_basis: boot_order); otherwise the first disk by controller kind (IDE, SATA, SCSI, NVMe,
the order the firmware enumerates them), then controller bus number, then unit number
(os_disk_basis: controller_order).
"""

from __future__ import annotations

import fnmatch
import re

try:
    from pyVmomi import vim, vmodl
except ImportError:  # HAS_PYVMOMI in client.py reports it
    vim = vmodl = None

from ansible_collections.dr.asr.plugins.module_utils._vsphere.client import properties
from ansible_collections.dr.asr.plugins.module_utils._vsphere.finders import (
    entity_path, get_cluster, get_datacenter, get_folder, unescape)

VM_PROPERTIES = (
    "name",
    "config.instanceUuid",
    "config.uuid",
    "config.guestId",
    "config.guestFullName",
    "config.firmware",
    "config.bootOptions",
    "config.template",
    "config.hardware.numCPU",
    "config.hardware.memoryMB",
    "config.hardware.device",
    "runtime.powerState",
    "runtime.host",
    "guest.toolsRunningStatus",
    "guest.toolsVersionStatus2",
    "guest.ipAddress",
    "guest.hostName",
    "guest.net",
    "parent",
    "resourcePool",
    "network",
    "summary.config.vmPathName",
)

# -- guest OS classification (config.guestId) ----------------------------------------------------
# Family: Windows ids start with "win"; Linux ids start with one of these prefixes. Everything else
# (BSD, Solaris, macOS, NetWare, OS/2, ESXi, DOS, "other") is "other".
LINUX_PREFIXES = (
    "almalinux", "amazonlinux", "asianux", "centos", "coreos", "debian", "fedora", "fusionos",
    "genericLinux", "kylinlinux", "mandrake", "mandriva", "miraclelinux", "nld", "opensuse",
    "oracleLinux", "other24xLinux", "other26xLinux", "other3xLinux", "other4xLinux", "other5xLinux",
    "other6xLinux", "other7xLinux", "otherLinux", "pardus", "prolinux", "redhat", "rhel",
    "rockylinux", "sjds", "sles", "suse", "turboLinux", "ubuntu", "vmwarePhoton",
)
# 64-bit: ids ending in 64Guest / _64Guest / Guest64, and these 64-bit-only systems whose id says not.
SIXTY_FOUR_BIT_IDS = frozenset((
    "windowsHyperVGuest", "vmkernelGuest", "vmkernel5Guest", "vmkernel6Guest", "vmkernel65Guest",
    "vmkernel7Guest", "vmkernel8Guest", "vmkernel9Guest", "crxPod1Guest", "crxSys1Guest",
))
_SIXTY_FOUR_BIT = re.compile(r"(64Guest|Guest64)$")


def guest_family(guest_id):
    """windows, linux or other (None without a guest id)."""
    if not guest_id:
        return None
    if guest_id.startswith("win"):
        return "windows"
    if guest_id.startswith(LINUX_PREFIXES):
        return "linux"
    return "other"


def is_64bit(guest_id):
    """True for a 64-bit guest OS id (None without a guest id)."""
    if not guest_id:
        return None
    return bool(_SIXTY_FOUR_BIT.search(guest_id)) or guest_id in SIXTY_FOUR_BIT_IDS


# -- devices ------------------------------------------------------------------------------------
def _controller_kinds():
    # (class, kind, type) most specific first; kinds also rank the OS disk fallback (ide first)
    d = vim.vm.device
    return (
        (d.ParaVirtualSCSIController, "scsi", "paravirtual"),
        (d.VirtualLsiLogicSASController, "scsi", "lsilogicsas"),
        (d.VirtualLsiLogicController, "scsi", "lsilogic"),
        (d.VirtualBusLogicController, "scsi", "buslogic"),
        (d.VirtualSCSIController, "scsi", "scsi"),
        (d.VirtualAHCIController, "sata", "ahci"),
        (d.VirtualSATAController, "sata", "sata"),
        (d.VirtualNVMEController, "nvme", "nvme"),
        (d.VirtualIDEController, "ide", "ide"),
    )


CONTROLLER_ORDER = ("ide", "sata", "scsi", "nvme")
# SCSI bus sharing (VirtualSCSIController.sharedBus) that lets other VMs (virtualSharing: on the same host;
# physicalSharing: on any host) use the controller's disks: guest clusters.
SHARED_BUS = ("virtualSharing", "physicalSharing")


def _nic_types():
    d = vim.vm.device
    return (
        (d.VirtualVmxnet3Vrdma, "vmxnet3vrdma"),
        (d.VirtualVmxnet3, "vmxnet3"),
        (d.VirtualVmxnet2, "vmxnet2"),
        (d.VirtualVmxnet, "vmxnet"),
        (d.VirtualE1000e, "e1000e"),
        (d.VirtualE1000, "e1000"),
        (d.VirtualPCNet32, "pcnet32"),
        (d.VirtualSriovEthernetCard, "sriov"),
    )


def _controllers(devices):
    """{key: {"kind", "type", "bus"}} of the disk controllers."""
    kinds = _controller_kinds()
    out = {}
    for device in devices:
        for cls, kind, ctype in kinds:
            if isinstance(device, cls):
                out[device.key] = {"kind": kind, "type": ctype, "bus": device.busNumber,
                                   "sharing": getattr(device, "sharedBus", None)}  # SCSI only
                break
    return out


def _datastore_name(backing, names):
    ref = getattr(backing, "datastore", None)
    if ref is not None and ref._moId in names:
        return names[ref._moId]
    match = re.match(r"^\[([^\]]+)\]", getattr(backing, "fileName", "") or "")
    return match.group(1) if match else None


def _disk_backing_kind(backing):
    if isinstance(backing, vim.vm.device.VirtualDisk.RawDiskMappingVer1BackingInfo):
        return "rdm_physical" if backing.compatibilityMode == "physicalMode" else "rdm_virtual"
    if isinstance(backing, vim.vm.device.VirtualDisk.FlatVer2BackingInfo):
        return "flat"
    if isinstance(backing, vim.vm.device.VirtualDisk.SeSparseBackingInfo):
        return "sesparse"
    return "other"


def _size_gb(disk):
    size_bytes = disk.capacityInBytes or (disk.capacityInKB or 0) * 1024
    return round(size_bytes / float(1024 ** 3), 3)


def disk_facts(devices, controllers, datastore_names):
    disks = []
    for device in devices:
        if not isinstance(device, vim.vm.device.VirtualDisk):
            continue
        backing = device.backing
        controller = controllers.get(device.controllerKey, {})
        disks.append({
            "label": device.deviceInfo.label if device.deviceInfo else None,
            "key": device.key,
            "size_gb": _size_gb(device),
            "controller": "%s%s" % (controller["kind"], controller["bus"]) if controller else None,
            "controller_type": controller.get("type"),
            "controller_key": device.controllerKey,
            "unit_number": device.unitNumber,
            "mode": getattr(backing, "diskMode", None),
            "sharing": getattr(backing, "sharing", None) or "sharingNone",
            "thin": bool(getattr(backing, "thinProvisioned", False)),
            "backing": _disk_backing_kind(backing),
            "datastore": _datastore_name(backing, datastore_names),
            "file": getattr(backing, "fileName", None),
            "uuid": getattr(backing, "uuid", None),
        })
        if controller.get("sharing") in SHARED_BUS:  # only then: a disk other VMs can reach through the bus
            disks[-1]["bus_sharing"] = controller["sharing"]
    return disks


def choose_os_disk(disks, controllers, boot_options):
    """(os disk, basis): the first boot-order disk, else the lowest controller kind/bus/unit."""
    if not disks:
        return None, None
    by_key = dict((disk["key"], disk) for disk in disks)
    for entry in getattr(boot_options, "bootOrder", None) or []:
        if isinstance(entry, vim.vm.BootOptions.BootableDiskDevice) and entry.deviceKey in by_key:
            return by_key[entry.deviceKey], "boot_order"

    def slot(disk):
        controller = controllers.get(disk["controller_key"], {})
        kind = controller.get("kind")
        rank = CONTROLLER_ORDER.index(kind) if kind in CONTROLLER_ORDER else len(CONTROLLER_ORDER)
        return (rank, controller.get("bus", 0), disk["unit_number"] if disk["unit_number"] is not None else 0,
                disk["key"])

    return sorted(disks, key=slot)[0], "controller_order"


def _nic_adapter_type(device):
    for cls, name in _nic_types():
        if isinstance(device, cls):
            return name
    return "other"


def _guest_ips(guest_net):
    """{device key: [ip, ...]} and {mac: [ip, ...]} reported by VMware Tools."""
    by_key, by_mac = {}, {}
    for nic in guest_net or []:
        ips = []
        if nic.ipConfig is not None and nic.ipConfig.ipAddress:
            ips = [address.ipAddress for address in nic.ipConfig.ipAddress]
        elif nic.ipAddress:
            ips = list(nic.ipAddress)
        if nic.deviceConfigId is not None and nic.deviceConfigId >= 0:
            by_key[nic.deviceConfigId] = ips
        if nic.macAddress:
            by_mac[nic.macAddress.lower()] = ips
    return by_key, by_mac


def _network_name(backing, index):
    b = vim.vm.device.VirtualEthernetCard
    if isinstance(backing, b.DistributedVirtualPortBackingInfo) and backing.port is not None:
        return index["dvpg_keys"].get(backing.port.portgroupKey)
    if isinstance(backing, b.OpaqueNetworkBackingInfo):
        return index["opaque_ids"].get(backing.opaqueNetworkId, backing.opaqueNetworkId)
    if isinstance(backing, b.NetworkBackingInfo):
        if backing.network is not None and backing.network._moId in index["names"]:
            return index["names"][backing.network._moId]
        return backing.deviceName
    return None


def nic_facts(devices, guest_net, index):
    by_key, by_mac = _guest_ips(guest_net)
    nics = []
    for device in devices:
        if not isinstance(device, vim.vm.device.VirtualEthernetCard):
            continue
        mac = device.macAddress
        connectable = device.connectable
        nics.append({
            "label": device.deviceInfo.label if device.deviceInfo else None,
            "key": device.key,
            "mac": mac,
            "adapter_type": _nic_adapter_type(device),
            "network": _network_name(device.backing, index),
            "connected": bool(connectable.connected) if connectable else False,
            "start_connected": bool(connectable.startConnected) if connectable else False,
            "ip_addresses": by_key.get(device.key, by_mac.get((mac or "").lower(), [])),
        })
    return nics


# -- round trip 2: what the VMs reference -------------------------------------------------------
def _ref_moid(value):
    return value._moId if value is not None else None


def referenced_objects(rows):
    """The distinct refs the VMs point at: [(ref, follow parents?)]."""
    refs = {}
    for props in rows:
        for path, up in (("runtime.host", True), ("parent", True), ("resourcePool", False)):
            if props.get(path) is not None:
                refs.setdefault(props[path]._moId, (props[path], up))
        for net in props.get("network") or []:
            refs.setdefault(net._moId, (net, False))
        for device in props.get("config.hardware.device") or []:
            ds = getattr(getattr(device, "backing", None), "datastore", None)
            if isinstance(device, vim.vm.device.VirtualDisk) and ds is not None:
                refs.setdefault(ds._moId, (ds, False))
    return list(refs.values())


def _object_specs(refs):
    pc = vmodl.query.PropertyCollector
    specs = []
    for index, (ref, up) in enumerate(refs):
        select = []
        if up:
            # named per object spec, so each recursion refers to its own traversal
            name = "up%d" % index
            select = [pc.TraversalSpec(name=name, type=vim.ManagedEntity, path="parent", skip=False,
                                       selectSet=[pc.SelectionSpec(name=name)])]
        specs.append(pc.ObjectSpec(obj=ref, skip=False, selectSet=select))
    return specs


def _resolve_property_specs():
    pc = vmodl.query.PropertyCollector
    return [
        pc.PropertySpec(type=vim.ManagedEntity, pathSet=["name", "parent"]),
        pc.PropertySpec(type=vim.HostSystem, pathSet=["summary.config.product.version"]),
        pc.PropertySpec(type=vim.dvs.DistributedVirtualPortgroup, pathSet=["key"]),
        pc.PropertySpec(type=vim.OpaqueNetwork, pathSet=["summary.opaqueNetworkId"]),
    ]


def resolve_references(session, rows):
    """{moid: node} for every referenced object and its ancestors, one round trip."""
    refs = referenced_objects(rows)
    if not refs:
        return {}
    contents = session.retrieve(_object_specs(refs), _resolve_property_specs(),
                                action="reading the hosts, folders, datastores and networks of the VMs")
    nodes = {}
    for content in contents:
        props = properties(content)
        opaque = props.get("summary.opaqueNetworkId")
        nodes[content.obj._moId] = {
            "type": content.obj._wsdlName,
            "name": props.get("name", ""),
            "parent": _ref_moid(props.get("parent")),
            "version": props.get("summary.config.product.version"),
            "key": props.get("key"),
            "opaque_id": opaque,
        }
    return nodes


def name_index(nodes):
    """Names by moid, distributed port group names by key, opaque network names by id."""
    names, dvpg_keys, opaque_ids = {}, {}, {}
    for moid, node in nodes.items():
        names[moid] = unescape(node["name"])
        if node.get("key"):
            dvpg_keys[node["key"]] = names[moid]
        if node.get("opaque_id"):
            opaque_ids[node["opaque_id"]] = names[moid]
    return {"names": names, "dvpg_keys": dvpg_keys, "opaque_ids": opaque_ids}


def _ancestors(nodes, moid):
    out = []
    while moid in nodes:
        out.append(moid)
        moid = nodes[moid]["parent"]
    return out


# -- one VM -------------------------------------------------------------------------------------
def _str(value):
    return str(value) if value is not None else None


def _placement(props, nodes):
    host = nodes.get(_ref_moid(props.get("runtime.host")), {})
    compute_moid = host.get("parent")
    compute = nodes.get(compute_moid, {})
    cluster = compute if compute.get("type") == "ClusterComputeResource" else None
    dc_moid, folder = entity_path(nodes, _ref_moid(props.get("parent")))
    if dc_moid is None:  # e.g. a VM in a vApp: its datacenter is the host's
        dc_moid = next((m for m in _ancestors(nodes, compute_moid) if nodes[m]["type"] == "Datacenter"), None)
    pool = nodes.get(_ref_moid(props.get("resourcePool")), {})
    return {
        "host": unescape(host["name"]) if host.get("name") else None,
        "cluster": unescape(cluster["name"]) if cluster else None,
        "esxi_version": host.get("version"),
        "datacenter": unescape(nodes[dc_moid]["name"]) if dc_moid else None,
        "folder": folder,
        "resource_pool": unescape(pool["name"]) if pool.get("name") else None,
        "_cluster": compute_moid if cluster else None,
        "_datacenter": dc_moid,
        "_ancestors": set(_ancestors(nodes, _ref_moid(props.get("parent")))),
    }


def vm_facts(moid, props, nodes, index):
    """The facts of one VM: its properties, and the referenced objects (nodes, name_index(nodes))."""
    devices = props.get("config.hardware.device") or []
    controllers = _controllers(devices)
    disks = disk_facts(devices, controllers, index["names"])
    boot = props.get("config.bootOptions")
    os_disk, basis = choose_os_disk(disks, controllers, boot)
    guest_id = props.get("config.guestId")
    firmware = _str(props.get("config.firmware"))
    facts = {
        "name": unescape(props.get("name", "")),
        "moid": moid,
        "instance_uuid": props.get("config.instanceUuid"),
        "bios_uuid": props.get("config.uuid"),
        "power_state": _str(props.get("runtime.powerState")),
        "template": bool(props.get("config.template", False)),
        "guest_id": guest_id,
        "guest_full_name": props.get("config.guestFullName"),
        "guest_family": guest_family(guest_id),
        "is_64bit": is_64bit(guest_id),
        "firmware": firmware,
        "secure_boot": firmware == "efi" and bool(getattr(boot, "efiSecureBootEnabled", False)),
        "num_cpu": props.get("config.hardware.numCPU"),
        "memory_mb": props.get("config.hardware.memoryMB"),
        "disks": disks,
        "os_disk": os_disk,
        "os_disk_basis": basis,
        "nics": nic_facts(devices, props.get("guest.net"), index),
        "tools_running_status": _str(props.get("guest.toolsRunningStatus")),
        "tools_version_status": _str(props.get("guest.toolsVersionStatus2")),
        "ip_address": props.get("guest.ipAddress"),
        "hostname": props.get("guest.hostName"),
        "vmx_path": props.get("summary.config.vmPathName"),
    }
    facts.update(_placement(props, nodes))
    return facts


# -- the one entry point ------------------------------------------------------------------------
def _scope(session, filters):
    """(container for the view, {"datacenter"/"cluster"/"folder": ref}) from the filters."""
    scope = {}
    if filters.get("datacenter"):
        scope["datacenter"] = get_datacenter(session, name=filters["datacenter"], fail_on_missing=True)
    dc = scope.get("datacenter")
    if filters.get("cluster"):
        scope["cluster"] = get_cluster(session, name=filters["cluster"], datacenter=dc, fail_on_missing=True)
    if filters.get("folder"):
        scope["folder"] = get_folder(session, path=filters["folder"], datacenter=dc, fail_on_missing=True)
    container = scope.get("folder") or scope.get("cluster") or dc
    return container, scope


def name_matches(name, patterns):
    """Exact name, or shell-style glob (*, ?, [seq]); case-sensitive like vSphere."""
    if not patterns:
        return True
    return any(name == pattern or fnmatch.fnmatchcase(name, pattern) for pattern in patterns)


def _in_scope(facts, scope):
    if "cluster" in scope and facts["_cluster"] != scope["cluster"]._moId:
        return False
    if "datacenter" in scope and facts["_datacenter"] != scope["datacenter"]._moId:
        return False
    if "folder" in scope and scope["folder"]._moId not in facts["_ancestors"]:
        return False
    return True


def list_vm_properties(session, container, moids=None):
    """[(moid, props)] of every VM under container (None: all), or of the VMs `moids` (container
    ignored: the caller checks the scope), one round trip plus pages. Deleted VMs are left out."""
    pc = vmodl.query.PropertyCollector
    prop_specs = [pc.PropertySpec(type=vim.VirtualMachine, pathSet=list(VM_PROPERTIES))]
    if moids is not None:
        specs = [pc.ObjectSpec(obj=session.ref(vim.VirtualMachine, moid), skip=False) for moid in sorted(moids)]
        contents = session.retrieve(specs, prop_specs, action="reading the tagged virtual machines")
    else:
        contents = session.retrieve_view(container, [vim.VirtualMachine], prop_specs,
                                         action="listing virtual machines")
    return [(content.obj._moId, properties(content)) for content in contents]


def collect_vm_facts(session, filters, tagging=None, include_tags=False):
    """Facts of the VMs matching filters (names, folder, cluster, datacenter, include_templates, tags).

    Sorted by name, then moid. An unknown folder, cluster or datacenter is an error (VSphereError
    NotFound), so is an unknown tag (InputError): a typo must not look like "no VMs".
    `tags`: a VM matches when it has all of them. `tagging` (a rest.Tagging) is needed for `tags`
    and for `include_tags`, which adds `tags: [{category, name}]` to each VM.
    """
    if (filters.get("tags") or include_tags) and tagging is None:
        raise ValueError("collect_vm_facts needs tagging for tags and include_tags")
    container, scope = _scope(session, filters)
    tagged = tagging.vms_with_all(filters["tags"]) if filters.get("tags") else None
    if tagged is not None and not tagged:
        return []
    rows = [(moid, props) for moid, props in list_vm_properties(session, container, tagged)
            if "name" in props and name_matches(unescape(props["name"]), filters.get("names"))
            and (filters.get("include_templates") or not props.get("config.template", False))]
    nodes = resolve_references(session, [props for _moid, props in rows])
    index = name_index(nodes)
    out = []
    for moid, props in rows:
        facts = vm_facts(moid, props, nodes, index)
        if _in_scope(facts, scope):
            out.append(dict((key, value) for key, value in facts.items() if not key.startswith("_")))
    if include_tags:
        tags = tagging.of_vms(vm["moid"] for vm in out)
        for vm in out:
            vm["tags"] = tags.get(vm["moid"], [])
    return sorted(out, key=lambda vm: (vm["name"], vm["moid"]))
