#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: discovered_vm_info
short_description: The VMware VMs a replication appliance discovered, ready to protect with Azure Site Recovery
version_added: 0.1.0
description:
  - Lists the virtual machines the vault's replication appliances discovered in vCenter (modernized experience,
    from the Azure Migrate C(Microsoft.OffAzure) VMware site of each appliance fabric), with the machine id that
    enabling replication needs (C(fabricDiscoveryMachineId)), the VM's UUIDs, OS and power state.
  - Tells for each VM whether a Mobility agent is registered with the appliance, its version when ASR reports
    one, and whether the VM is already protected in the vault (and by which protected item).
  - When vSphere connection options are given (directly, through the environment, or with
    C(module_defaults) of the C(group/dr.asr.vsphere) action group), joins each VM with vCenter's facts of
    the same VM (by instance UUID, else BIOS UUID), read in one property-collector pass as
    M(dr.asr.source_vm_info) reads them.
  - Calls - the vault's fabrics, its protected items, one paged list of machines per Azure Migrate site;
    with the join, the vCenter property collector (two round trips) whatever the number of VMs.
author:
  - dr.asr maintainers (@dr-asr)
options:
  names:
    description:
      - Only VMs with these names; each item is a name or a shell-style glob (C(*), C(?), C([seq])),
        case-sensitive like vSphere.
    type: list
    elements: str
  only_unprotected:
    description:
      - Only VMs that are not protected in the vault yet.
    type: bool
    default: false
  include_deleted:
    description:
      - Also VMs the appliance saw once but that are gone from vCenter (Azure Migrate keeps them, marked deleted).
    type: bool
    default: false
  join_vcenter:
    description:
      - Whether to add vCenter's facts of each VM (RV(vms[].vcenter_facts)).
      - Unset joins when O(hostname) is set (or E(VMWARE_HOST)); V(true) without connection options is an error.
      - The join needs pyvmomi on the managed node; the rest of the module does not.
    type: bool
extends_documentation_fragment:
  - dr.asr.azure
  - dr.asr.asr_vault
  - dr.asr.vsphere
  - dr.asr.query
attributes:
  check_mode:
    support: full
    description: Reads only; runs the same in check mode.
  diff_mode:
    support: none
    description: Changes nothing, so there is no diff.
notes:
  - Azure knows of a Mobility agent only once it has registered with the appliance, and reports its version
    only for protected VMs; RV(vms[].agent_installed=false) means no agent known to ASR.
  - Discovery runs on the appliance's schedule; a VM created in vCenter appears after the appliance's next sync.
seealso:
  - module: dr.asr.appliance_info
  - module: dr.asr.source_vm_info
'''

EXAMPLES = r'''
- name: Unprotected web servers the appliance discovered, with vCenter facts
  dr.asr.discovered_vm_info:
    vault_name: rsv-dr-weu
    vault_resource_group: rg-dr
    names: ["web-*"]
    only_unprotected: true
    hostname: vcenter.example.com
    username: "{{ vcenter_user }}"
    password: "{{ vcenter_password }}"
  register: discovered

- name: Machine ids to enable replication with
  ansible.builtin.debug:
    msg: "{{ discovered.vms | items2dict(key_name='name', value_name='machine_id') }}"
'''

RETURN = r'''
vms:
  description: The discovered VMs, sorted by name (empty when none).
  returned: always
  type: list
  elements: dict
  contains:
    machine_id:
      description: Id of the discovered machine, the C(fabricDiscoveryMachineId) that enabling replication needs.
      type: str
      sample: "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-dr/providers\
        /Microsoft.OffAzure/VMwareSites/rsv-dr-weu1234site/machines\
        /vcenter-weu_5010c3d4-0000-4000-8000-00000000e001"
    machine_name:
      description: Name of the discovered machine resource.
      type: str
      sample: vcenter-weu_5010c3d4-0000-4000-8000-00000000e001
    name:
      description: The VM's name in vCenter.
      type: str
      sample: web-01
    instance_uuid:
      description: The VM's vCenter instance UUID.
      type: str
      sample: 5010c3d4-0000-4000-8000-00000000e001
    bios_uuid:
      description: The VM's BIOS UUID.
      type: str
      sample: 4210a1b2-0000-4000-8000-00000000e001
    fqdn:
      description: The guest's FQDN (VMware Tools).
      type: str
      sample: web-01.example.com
    os_type:
      description: Guest OS type as discovered.
      type: str
      sample: linuxguest
    os_name:
      description: Guest OS name as discovered.
      type: str
      sample: Red Hat Enterprise Linux 8 (64-bit)
    firmware:
      description: bios or efi.
      type: str
      sample: bios
    power_state:
      description: poweredOn, poweredOff or suspended (as last discovered).
      type: str
      sample: poweredOn
    cpu_cores:
      description: Virtual CPU cores.
      type: int
      sample: 2
    memory_mb:
      description: Memory in MB.
      type: float
      sample: 4096.0
    host:
      description: ESXi host of the VM.
      type: str
      sample: esx01.example.com
    vcenter:
      description: The vCenter the VM was discovered in.
      type: str
      sample: vcenter.example.com
    ip_addresses:
      description: IP addresses of the VM's network adapters.
      type: list
      elements: str
      sample: [10.10.1.11]
    disks:
      description: Disks (uuid, label, name (controller location), lun, size_gb, path).
      type: list
      elements: dict
      sample: [{uuid: 6000c296-d086-5f2c-bc24-d17a4d6f6505, label: Hard disk 1, name: "scsi0:0", lun: 0, size_gb: 60.0,
                path: "[ds-prod-01] web-01/web-01.vmdk"}]
    nics:
      description: Network adapters (label, mac_address, network, ip_addresses).
      type: list
      elements: dict
      sample: [{label: Network adapter 1, mac_address: "00:50:56:90:00:01", network: Prod-App, ip_addresses: [10.10.1.11]}]
    deleted:
      description: Whether the VM is gone from vCenter (only with O(include_deleted)).
      type: bool
      sample: false
    agent_registered:
      description: Whether a Mobility agent on this VM (by BIOS UUID) is registered with the appliance.
      type: bool
      sample: true
    agent_installed:
      description: Whether ASR knows of a Mobility agent on the VM (registered, or reported by its protected item).
      type: bool
      sample: true
    agent_version:
      description: The Mobility agent's version as the VM's protected item reports it (null when not protected).
      type: str
      sample: 9.66.7643.1
    agent:
      description: The registered agent (agent_id, machine_id, bios_id, fqdn), null when none.
      type: dict
      sample: {agent_id: 2e0c1f6e-6a0e-5b6b-9d3c-1f1e0c9a7b01, bios_id: 4210a1b2-0000-4000-8000-00000000e001,
               fqdn: web-01.example.com, machine_id: 5c6d7e8f-0000-4000-8000-000000000001}
    protected:
      description: Whether the VM is protected (replicated) in the vault.
      type: bool
      sample: false
    protected_item:
      description: Name of the VM's protected item, null when not protected.
      type: str
      sample: null
    protected_item_id:
      description: Id of the VM's protected item, null when not protected.
      type: str
      sample: null
    fabric:
      description: The appliance fabric that discovered the VM.
      type: str
      sample: rsv-dr-weu1234replicationfabric
    site_id:
      description: The Azure Migrate VMware site of the machine.
      type: str
      sample: /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-dr/providers/Microsoft.OffAzure/VMwareSites/rsv-dr-weu1234site
    errors:
      description: Discovery errors Azure Migrate reports for the VM (code, message).
      type: list
      elements: dict
      sample: []
    joined:
      description: Whether vCenter's facts of the VM were found (false without the join).
      type: bool
      sample: true
    vcenter_facts:
      description:
        - vCenter's facts of the same VM, as M(dr.asr.source_vm_info) returns them (name, moid, instance_uuid,
          bios_uuid, power_state, guest_id, guest_family, firmware, num_cpu, memory_mb, disks, os_disk, nics,
          tools status, ip_address, hostname, host, cluster, datacenter, folder, resource_pool...); null when not joined.
      type: dict
      sample: {name: web-01, moid: vm-1001, power_state: poweredOn, guest_id: rhel8_64Guest, cluster: Prod, datacenter: DC1}
query_result:
  description: The value of O(query) over the result, when O(query) is set.
  returned: when O(query) is set
  type: raw
  sample: [web-03, db-01]
'''

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.dr.asr.plugins.module_utils._module import DrAsrModule, run
from ansible_collections.dr.asr.plugins.module_utils._errors import InputError
from ansible_collections.dr.asr.plugins.module_utils._vsphere.argspec import vsphere_argument_spec
from ansible_collections.dr.asr.plugins.module_utils._asr import lookup, offazure

ARGUMENT_SPEC = dict(
    names=dict(type="list", elements="str"),
    only_unprotected=dict(type="bool", default=False),
    include_deleted=dict(type="bool", default=False),
    join_vcenter=dict(type="bool"),
)


def wants_join(params):
    if params["join_vcenter"] is None:
        return bool(params.get("hostname"))
    if params["join_vcenter"] and not params.get("hostname"):
        raise InputError("hostname", None, "the vCenter host name (or VMWARE_HOST) for join_vcenter=true")
    return params["join_vcenter"]


def discovered(vault):
    """Facts of every machine the vault's appliance fabrics discovered (before filters and join)."""
    fabrics = lookup.vault_read(vault, vault.fabrics)
    sites = offazure.site_ids(fabrics)
    if not sites:
        return []
    protected = offazure.protected_index(vault.protected_items())
    out = []
    for fabric, site in sites:
        agents = offazure.registered_agents(fabric)
        out.extend(offazure.machine_facts(m, fabric, agents, protected)
                   for m in offazure.list_machines(vault.clients, site))
    return out


def vcenter_vms(module, names):
    from ansible_collections.dr.asr.plugins.module_utils._vsphere.client import HAS_PYVMOMI
    if not HAS_PYVMOMI:
        module.fail_json(msg=missing_required_lib("pyvmomi") + " (needed to join with vCenter; set join_vcenter=false)")
    from ansible_collections.dr.asr.plugins.module_utils._vsphere.facts import collect_vm_facts
    return collect_vm_facts(module.vsphere(), {"names": names, "include_templates": True})


def run_module(module):
    params = module.params
    join = wants_join(params)
    vault = module.asr_vault()
    vms = offazure.select(discovered(vault), params["names"], params["only_unprotected"], params["include_deleted"])
    if join and vms:
        offazure.join(vms, vcenter_vms(module, params["names"]))
    return dict(changed=False, vms=sorted(vms, key=lambda vm: ((vm["name"] or ""), vm["machine_id"] or "")))


def main():
    spec = dict(vsphere_argument_spec())
    spec.update(ARGUMENT_SPEC)
    run(lambda: DrAsrModule(spec, uses=("asr_vault", "query"),
                            azure_libraries=("azure.mgmt.recoveryservices", "azure.mgmt.recoveryservicessiterecovery")),
        run_module)


if __name__ == "__main__":
    main()
