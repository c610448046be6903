# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The VMs protected_item works on: the appliance's discovered machines (Microsoft.OffAzure, listed by
`_asr.offazure`), as facts, and found by VM name, instance UUID or BIOS UUID with errors that name close
matches.

    index = MachineIndex(machine_facts(m) for m in offazure.list_machines(clients, site_id))
    machine = index.find(name="web-01", parameter="vms[0].name")
"""

from __future__ import annotations

from ansible_collections.dr.asr.plugins.module_utils._errors import InputError
from ansible_collections.dr.asr.plugins.module_utils._asr.common import close_matches
from ansible_collections.dr.asr.plugins.module_utils._asr.offazure import bios_forms


def _gb(size):
    try:
        return int(size) // (1024 ** 3)
    except (TypeError, ValueError):
        return None


def machine_facts(machine):
    """A discovered machine (REST dict) as protected_item uses it. `id` is the fabricDiscoveryMachineId an
    enable names; disk 0 is the OS disk, as ASR takes it; NICs are keyed by MAC (ASR's InMageRcm NIC id)."""
    props = machine.get("properties") or {}
    os_details = props.get("operatingSystemDetails") or {}
    disks = [dict(id=disk.get("uuid"), label=disk.get("label"), location=disk.get("name"),
                  size_gb=_gb(disk.get("maxSizeInBytes")), size_bytes=disk.get("maxSizeInBytes"), os_disk=index == 0,
                  position=index)
             for index, disk in enumerate(props.get("disks") or [])]
    nics = [dict(mac=(nic.get("macAddress") or "").lower(), label=nic.get("label"), network=nic.get("networkName"),
                 ip_addresses=nic.get("ipAddressList") or []) for nic in props.get("networkAdapters") or []]
    os_type = (os_details.get("osType") or "").lower()
    return dict(
        id=machine.get("id"), name=machine.get("name"), vm_name=props.get("displayName"),
        instance_uuid=props.get("instanceUuid"), bios_uuid=props.get("biosGuid"),
        os_type="windows" if os_type.startswith("windows") else "linux", os_name=os_details.get("osName"),
        firmware=(props.get("firmware") or "bios").lower(), power_state=props.get("powerStatus"),
        vcenter=props.get("vCenterFQDN"), deleted=bool(props.get("isDeleted")), disks=disks, nics=nics,
    )


class MachineIndex(object):
    """Discovered machines (machine_facts) by VM name, instance UUID and BIOS UUID (either byte order)."""

    def __init__(self, machines):
        self.machines = list(machines)
        self._by_name, self._by_instance, self._by_bios = {}, {}, {}
        for facts in self.machines:
            self._by_name.setdefault(facts["vm_name"], []).append(facts)
            if facts.get("instance_uuid"):
                self._by_instance.setdefault(facts["instance_uuid"].lower(), []).append(facts)
            for form in bios_forms(facts.get("bios_uuid")):
                self._by_bios.setdefault(form, []).append(facts)

    def find(self, parameter, name=None, instance_uuid=None, bios_uuid=None):
        """The one discovered, not deleted machine; InputError naming the parameter, the value and close matches."""
        if instance_uuid:
            value, found = instance_uuid, self._by_instance.get(instance_uuid.strip().lower(), [])
        elif bios_uuid:
            value, found = bios_uuid, []
            for form in sorted(bios_forms(bios_uuid)):
                found = found or self._by_bios.get(form, [])
        else:
            value, found = name, self._by_name.get(name, [])
        live = [f for f in found if not f["deleted"]]
        if not found:
            raise self._unknown(parameter, value, by_name=not (instance_uuid or bios_uuid))
        if not live:
            raise InputError(parameter, value, "a VM that exists in vCenter",
                             hint="The appliance saw it deleted from vCenter %s." % found[0]["vcenter"])
        if len(live) > 1:
            raise InputError(parameter, value, "a VM the appliance discovered once",
                             hint="%d discovered VMs match (%s); name the VM by instance_uuid instead." % (
                                 len(live), ", ".join("%s in %s" % (f["instance_uuid"], f["vcenter"]) for f in live)))
        return live[0]

    def _unknown(self, parameter, value, by_name):
        names = [m["vm_name"] for m in self.machines if not m["deleted"]]
        if by_name:
            close = close_matches(value, names)
            hint = ("Close matches: %s." % ", ".join(close)) if close else "No discovered VM has a similar name."
        else:
            hint = "No discovered VM has that UUID."
        hint += (" The appliance discovered %d VMs; one created since its last discovery appears after the next "
                 "(the appliance re-reads vCenter periodically)." % len(names))
        return InputError(parameter, value, "the name (or UUID) of a VM the vault's replication appliance discovered",
                          hint=hint)


def disk_difference(disk_map, machine, details):
    """A replicated VM's disks in vCenter (machine_facts) against the item's (its provider details, from a GET: a
    list carries them empty [recorded]): {add: the machine's disks the item does not replicate, removed: the item's
    protected disk ids vCenter no longer has (or marks unavailable), mapping: {VMware uuid: the item's disk id}}.
    `disk_map` is the provider's matcher (the item names disks as the Mobility agent does [recorded])."""
    mapping = disk_map(machine["disks"], details)
    protected = details.get("protectedDisks") or []
    ids = set((x.get("diskId") or "").lower() for x in protected)
    add = [disk for disk in machine["disks"] if (mapping.get((disk["id"] or "").lower()) or "").lower() not in ids]
    mapped = set((v or "").lower() for v in mapping.values())
    removed = [x.get("diskId") for x in protected
               if (x.get("diskId") or "").lower() not in mapped or (x.get("diskState") or "").lower() == "unavailable"]
    return dict(add=add, removed=removed, mapping=mapping)
