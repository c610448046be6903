#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: recovered_vm_info
short_description: The Azure VMs, NICs and disks a test failover (or failover) of protected items made
version_added: 1.0.0
description:
  - For each protected item (or each member of a recovery plan), reads through the Compute and Network APIs the Azure
    VM its test failover (O(kind=test_failover)) or failover (O(kind=failover)) runs as - whether it exists, its power
    state and size - with its NICs (subnet, virtual network, private IP) and managed disks.
  - Also finds the NICs and disks named after the VM that exist without it, so a drill can verify that its cleanup left
    nothing behind (RV(vms[].resources) is empty).
  - The names are ASR's (modernized experience) - the VM C(<target VM name>) (a test failover C(<target VM name>-test)),
    NICs C(nic-<target VM name>-NN) (or the item's target NIC name) and disks C(<target VM name>-OSdisk-00),
    C(<target VM name>-DataDisk-NN) (or the item's target disk names), with C(-test) for a test failover, in the item's
    target resource group.
author:
  - dr.asr maintainers (@dr-asr)
options:
  items:
    description:
      - The protected items, each by its VM name, item name or id (case-insensitive). With neither O(items) nor
        O(recovery_plan), every protected item of the vault.
    type: list
    elements: str
    aliases: [vms]
  recovery_plan:
    description:
      - A recovery plan (name or id) - its members, in the plan's order.
    type: str
  kind:
    description:
      - V(test_failover) - the VMs of a test failover (a drill).
      - V(failover) - the VMs of a failover to Azure.
    type: str
    choices: [test_failover, failover]
    default: test_failover
extends_documentation_fragment:
  - dr.asr.azure
  - dr.asr.asr_vault
  - dr.asr.query
attributes:
  check_mode:
    support: full
    description: Reads only; runs the same in check mode.
  diff_mode:
    support: none
    description: Changes nothing, so there is no diff.
notes:
  - Call budget - the vault's protected items listed once (and its recovery plans with O(recovery_plan)); per item one
    VM GET (with its instance view), one GET per NIC and per managed disk it has or ASR would name.
seealso:
  - module: dr.asr.test_failover
  - module: dr.asr.virtual_network_info
  - module: dr.asr.drill_report
'''

EXAMPLES = r'''
- name: The test VMs of the drill of web-01 and web-02
  dr.asr.recovered_vm_info:
    vault_name: rsv-dr-weu
    vault_resource_group: rg-dr
    items: [web-01, web-02]
  register: test_vms

- name: Every test VM runs, with all its NICs in the test network
  ansible.builtin.assert:
    that:
      - test_vms.vms | rejectattr('power_state', 'equalto', 'running') | list == []
      - test_vms.vms | map(attribute='nics') | flatten | map(attribute='network') | unique | list == ['vnet-dr-test']

- name: After the cleanup, nothing of the drill is left in Azure
  dr.asr.recovered_vm_info:
    vault_name: rsv-dr-weu
    vault_resource_group: rg-dr
    recovery_plan: rp-shop
  register: after
  failed_when: after.vms | map(attribute='resources') | flatten | length > 0
'''

RETURN = r'''
vms:
  description: One entry per protected item, in the order given (a plan's members in the plan's order).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The VM name (the item's C(friendlyName)).
      type: str
      sample: web-01
    item_name:
      description: Name of the protected item.
      type: str
    kind:
      description: V(test_failover) or V(failover).
      type: str
    exists:
      description: Whether the Azure VM exists.
      type: bool
    vm_name:
      description: Name of the Azure VM (of the test failover, C(<target VM name>-test)).
      type: str
      sample: web-01-test
    vm_id:
      description: Id of the Azure VM (also when it does not exist - where it would be).
      type: str
    resource_group:
      description: Resource group of the Azure VM (the item's target resource group).
      type: str
    location:
      description: Region of the Azure VM, null when it does not exist.
      type: str
    vm_size:
      description: Size of the Azure VM, null when it does not exist.
      type: str
      sample: Standard_D2s_v5
    power_state:
      description: Power state from the VM's instance view - V(running), V(stopped), V(deallocated), V(starting)...;
        null when it does not exist.
      type: str
      sample: running
    provisioning_state:
      description: Provisioning state of the Azure VM.
      type: str
    nics:
      description: The NICs of the VM, and those named after it that exist without it.
      type: list
      elements: dict
      contains:
        name:
          description: NIC name.
          type: str
          sample: nic-web-01-00-test
        id:
          description: NIC id.
          type: str
        attached:
          description: Whether the NIC is attached to the VM.
          type: bool
        primary:
          description: Whether it is the VM's primary NIC.
          type: bool
        private_ip:
          description: Private IP address of its primary IP configuration.
          type: str
          sample: 10.20.0.4
        subnet:
          description: Subnet name.
          type: str
          sample: default
        subnet_id:
          description: Subnet id.
          type: str
        network:
          description: Virtual network name.
          type: str
          sample: vnet-dr-test
        network_id:
          description: Virtual network id.
          type: str
        mac_address:
          description: MAC address (once the VM ran).
          type: str
    disks:
      description: The managed disks of the VM, and those named after it that exist without it.
      type: list
      elements: dict
      contains:
        name:
          description: Disk name.
          type: str
        id:
          description: Disk id.
          type: str
        attached:
          description: Whether the disk is attached to the VM.
          type: bool
        size_gb:
          description: Size, GiB.
          type: int
        sku:
          description: Disk type.
          type: str
    resources:
      description: Ids of everything that exists - the VM, its NICs and disks. Empty after a complete cleanup.
      type: list
      elements: str
query_result:
  description: The value of O(query) over the result, when O(query) is set.
  returned: when O(query) is set
  type: raw
  sample: [web-03, db-01]
'''

from ansible_collections.dr.asr.plugins.module_utils._module import DrAsrModule, run
from ansible_collections.dr.asr.plugins.module_utils._azure.models import parse_resource_id
from ansible_collections.dr.asr.plugins.module_utils._asr import lookup, resolve

ARGUMENT_SPEC = dict(
    items=dict(type="list", elements="str", aliases=["vms"]),
    recovery_plan=dict(type="str"),
    kind=dict(type="str", choices=["test_failover", "failover"], default="test_failover"),
)


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


def run_module(module):
    params = module.params
    vault = module.asr_vault()
    if params["recovery_plan"]:
        _plan, items = resolve.plan(vault, params["recovery_plan"])
    elif params["items"]:
        items = [item for _where, item in resolve.items(vault, params["items"])]
    else:
        items = lookup.vault_read(vault, vault.protected_items)
    reader = Reader(module.azure())
    return dict(changed=False, vms=[recovered(reader, item, params["kind"]) for item in items])


def main():
    run(lambda: DrAsrModule(ARGUMENT_SPEC, uses=("asr_vault", "query"),
                            azure_libraries=("azure.mgmt.recoveryservicessiterecovery", "azure.mgmt.compute",
                                             "azure.mgmt.network"),
                            mutually_exclusive=[["items", "recovery_plan"]]),
        run_module)


if __name__ == "__main__":
    main()
