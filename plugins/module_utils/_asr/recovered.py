# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Azure VM a test failover (or failover) of a protected item runs as, with its NICs and disks: what exists,
read through the Compute and Network APIs once per run (AzureClients.read), named the way ASR names them
(modernized experience). Used by recovered_vm_info and the protected_items inventory plugin.

The names come from the item's provider details (target VM name, its NICs' and disks' target names), which a LIST
of items carries empty [recorded]: `full_items` GETs the items first, so what a drill's cleanup must have removed
is never concluded from a list.
"""

from __future__ import annotations

from ansible_collections.dr.asr.plugins.module_utils._azure.models import parse_resource_id
from ansible_collections.dr.asr.plugins.module_utils._asr import lookup


def _props(resource):
    return (resource or {}).get("properties") or {}


def _true(value):
    return str(value).lower() == "true"


def expected_names(details, suffix):
    """The names ASR gives a failed-over VM's resources: {vm, nics: [...], disks: [...]} (from InMageRcm details)."""
    vm = details.get("targetVmName")
    if not vm:
        return None
    nics = []
    selected = [n for n in details.get("vmNics") or [] if str(n.get("isSelectedForFailover", "true")).lower() == "true"]
    for i, nic in enumerate(selected or [{}]):
        nics.append((nic.get("targetNicName") or "nic-%s-%02d" % (vm, i)) + suffix)
    disks = []
    data = 0
    for disk in details.get("protectedDisks") or []:
        if disk.get("customTargetDiskName"):
            disks.append(disk["customTargetDiskName"] + suffix)
        elif _true(disk.get("isOSDisk")):
            disks.append("%s-OSdisk-00%s" % (vm, suffix))
        else:
            data += 1
            disks.append("%s-DataDisk-%02d%s" % (vm, data, suffix))
    if not disks:
        disks.append("%s-OSdisk-00%s" % (vm, suffix))
    return dict(vm=vm + suffix, nics=nics, disks=disks)


def power_state(vm):
    for status in (_props(vm).get("instanceView") or {}).get("statuses") or []:
        code = status.get("code") or ""
        if code.lower().startswith("powerstate/"):
            return code.split("/", 1)[1]
    return None


def full_items(vault, items):
    """The items as a GET answers them (concurrent GETs; a list has their NICs and disks empty), in their order."""
    full = vault.get_items(items)
    return [full.get(item["id"].lower(), item) for item in items]


class Reader(object):
    """The resources of a recovered VM, each read once per run (None when it does not exist)."""

    def __init__(self, clients):
        self.clients = clients

    def _get(self, key, what, call):
        return self.clients.read(key, what, call)

    def vm(self, rg, name):
        compute = self.clients.client("compute")
        return self._get("vm/%s/%s" % (rg, name), "Reading virtual machine %s" % name,
                         lambda: compute.virtual_machines.get(rg, name, expand="instanceView"))

    def nic(self, rg, name):
        network = self.clients.client("network")
        return self._get("nic/%s/%s" % (rg, name), "Reading network interface %s" % name,
                         lambda: network.network_interfaces.get(rg, name))

    def disk(self, rg, name):
        compute = self.clients.client("compute")
        return self._get("disk/%s/%s" % (rg, name), "Reading managed disk %s" % name,
                         lambda: compute.disks.get(rg, name))


def nic_facts(nic, vm_id, primary=None):
    props = _props(nic)
    configs = props.get("ipConfigurations") or []
    config = next((c for c in configs if _props(c).get("primary")), configs[0] if configs else {})
    subnet_id = (_props(config).get("subnet") or {}).get("id")
    network_id = subnet_id.rstrip("/").rsplit("/subnets/", 1)[0] if subnet_id and "/subnets/" in subnet_id.lower() \
        else None
    if network_id is None and subnet_id:
        parts = subnet_id.rstrip("/").split("/")
        network_id = "/".join(parts[:-2])
    attached = bool(vm_id) and lookup.same_id((props.get("virtualMachine") or {}).get("id"), vm_id)
    return dict(name=nic.get("name"), id=nic.get("id"), attached=attached or primary is not None,
                primary=bool(primary if primary is not None else props.get("primary")),
                private_ip=_props(config).get("privateIPAddress"), subnet=lookup.last_segment(subnet_id) or None,
                subnet_id=subnet_id, network=lookup.last_segment(network_id) or None, network_id=network_id,
                mac_address=props.get("macAddress"))


def disk_facts(disk, attached):
    return dict(name=disk.get("name"), id=disk.get("id"), attached=attached,
                size_gb=_props(disk).get("diskSizeGB"), sku=(disk.get("sku") or {}).get("name"))


def recovered(reader, item, kind):
    """One item's recovered VM, its NICs and disks (what exists)."""
    props = _props(item)
    details = props.get("providerSpecificDetails") or {}
    suffix = "-test" if kind == "test_failover" else ""
    names = expected_names(details, suffix)
    rg_id = details.get("targetResourceGroupId") or ""
    rg = parse_resource_id(rg_id).get("resource_group")
    out = dict(name=props.get("friendlyName"), item_name=item.get("name"), kind=kind, exists=False,
               vm_name=names["vm"] if names else None, vm_id=None, resource_group=rg, location=None, vm_size=None,
               power_state=None, provisioning_state=None, nics=[], disks=[], resources=[])
    if not names or not rg:
        return out
    out["vm_id"] = "%s/providers/Microsoft.Compute/virtualMachines/%s" % (rg_id.rstrip("/"), names["vm"])
    vm = reader.vm(rg, names["vm"])
    nic_ids, disk_ids = [], []
    if vm is not None:
        vprops = _props(vm)
        out.update(exists=True, vm_id=vm.get("id"), location=vm.get("location"),
                   vm_size=(vprops.get("hardwareProfile") or {}).get("vmSize"), power_state=power_state(vm),
                   provisioning_state=vprops.get("provisioningState"))
        out["resources"].append(vm.get("id"))
        for ref in (vprops.get("networkProfile") or {}).get("networkInterfaces") or []:
            nic_ids.append((ref.get("id"), bool(_props(ref).get("primary", ref.get("primary")))))
        storage = vprops.get("storageProfile") or {}
        for disk in [storage.get("osDisk") or {}] + list(storage.get("dataDisks") or []):
            if (disk.get("managedDisk") or {}).get("id"):
                disk_ids.append(disk["managedDisk"]["id"])
    seen = set()
    for nic_id, primary in nic_ids:
        parsed = parse_resource_id(nic_id)
        nic = reader.nic(parsed.get("resource_group") or rg, parsed.get("name"))
        if nic is not None and nic["id"].lower() not in seen:
            seen.add(nic["id"].lower())
            out["nics"].append(nic_facts(nic, out["vm_id"], primary))
    for name in names["nics"]:
        nic = reader.nic(rg, name)
        if nic is not None and nic["id"].lower() not in seen:
            seen.add(nic["id"].lower())
            out["nics"].append(nic_facts(nic, out["vm_id"] if vm is not None else None))
    attached = set(d.lower() for d in disk_ids)
    for disk_id in disk_ids:
        parsed = parse_resource_id(disk_id)
        disk = reader.disk(parsed.get("resource_group") or rg, parsed.get("name"))
        if disk is not None and disk["id"].lower() not in seen:
            seen.add(disk["id"].lower())
            out["disks"].append(disk_facts(disk, True))
    for name in names["disks"]:
        disk = reader.disk(rg, name)
        if disk is not None and disk["id"].lower() not in seen:
            seen.add(disk["id"].lower())
            out["disks"].append(disk_facts(disk, disk["id"].lower() in attached))
    out["resources"].extend(n["id"] for n in out["nics"])
    out["resources"].extend(d["id"] for d in out["disks"])
    return out
