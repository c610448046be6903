#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: source_vm_info
short_description: What disaster recovery needs to know about VMware virtual machines
description:
  - Lists the VMware virtual machines to protect with Azure Site Recovery, with the facts replication
    and failover depend on - guest OS family and bitness, firmware and secure boot, disks (size,
    controller, mode, sharing, datastore) and the OS disk, NICs with their networks and guest IP
    addresses, VMware Tools state, and placement (datacenter, cluster, host, ESXi version, folder).
  - Reads the whole inventory in scope in two property-collector round trips, however many VMs match.
  - Filters by vSphere tag and returns each VM's tags through the vSphere Automation REST API (see O(tags),
    O(include_tags)); neither costs a call per VM.
  - Changes nothing.
version_added: 1.0.0
author:
  - dr.asr maintainers (@dr-asr)
options:
  names:
    description:
      - Names of the VMs to return, exact or as shell-style glob patterns (V(*), V(?), V([seq])).
      - Matching is case-sensitive, as vSphere names are.
      - Omit to return every VM in scope.
    type: list
    elements: str
    aliases: [name]
  folder:
    description:
      - Only VMs in this VM folder or its subfolders.
      - A path below the datacenter's VM folder (V(Production/Web)), or an inventory path
        (V(/DC1/vm/Production/Web)). A leading V(/) on a path below the VM folder is allowed.
      - A relative path that exists in several datacenters is an error unless O(datacenter) is set.
      - A folder that does not exist is an error, not an empty result.
    type: str
  cluster:
    description:
      - Only VMs running on hosts of this cluster. A cluster that does not exist is an error.
    type: str
  datacenter:
    description:
      - Only VMs in this datacenter. Also narrows the lookup of O(folder) and O(cluster).
      - A datacenter that does not exist is an error.
    type: str
  include_templates:
    description:
      - Also return VM templates.
    type: bool
    default: false
  tags:
    description:
      - Only VMs that carry B(all) of these vSphere tags (not any of them).
      - Each is a tag name (V(tier-1)) or a category and tag name separated by a colon (V(DR-Tier:tier-1)).
        A bare name must be unique across categories, otherwise write the category too. When the part before
        the first colon names no category, the whole value is taken as a tag name.
      - Tag and category names are case-sensitive.
      - A tag that does not exist is an error that lists the known tags, not an empty result.
      - Costs one tag-association call for all listed tags, plus one read per tag category and per tag it has
        to look at (the API reads tags by id only), however many VMs there are.
    type: list
    elements: str
  include_tags:
    description:
      - Also return each VM's tags, in RV(vms[].tags).
      - Costs one tag-association call for all returned VMs, plus one read per distinct tag and category
        among them.
    type: bool
    default: false
notes:
  - O(folder), O(cluster), O(datacenter) and O(tags) combine (a VM must match all that are set); O(names) then
    filters by name.
  - Tags are read through the vSphere Automation REST API of the vCenter (the C(/api) endpoints of vSphere
    7.0 U2 and later, else the deprecated C(/rest) ones), with the same host, port, credentials and
    certificate checks as the SOAP API. An ESXi host serves no tags. The session is logged out at the end.
  - The OS disk (RV(vms[].os_disk)) is the first disk of the VM's boot order when the boot order names a
    disk. Otherwise it is the first disk by controller kind (IDE, SATA, SCSI, NVMe), then controller bus
    number, then unit number; RV(vms[].os_disk_basis) says which rule applied. Set the VM's boot order
    to be sure.
extends_documentation_fragment:
  - dr.asr.vsphere
  - dr.asr.query
attributes:
  check_mode:
    support: full
    description: Reads only; check mode returns the same result.
  diff_mode:
    support: none
    description: Reads only; there is nothing to diff.
seealso:
  - name: Azure Site Recovery support matrix for VMware VMs
    description: The disk, firmware and OS limits these facts are checked against.
    link: https://learn.microsoft.com/azure/site-recovery/vmware-physical-azure-support-matrix
'''

EXAMPLES = r'''
- name: Everything about every VM (vCenter from module_defaults)
  module_defaults:
    group/dr.asr.vsphere: "{{ dr_asr_vsphere }}"
  block:
    - name: List all VMs
      dr.asr.source_vm_info:
      register: all_vms

- name: The web tier, by name pattern
  dr.asr.source_vm_info:
    hostname: vcenter.example.com
    username: dr-reader@vsphere.local
    password: "{{ vault_vcenter_password }}"
    ca_path: /etc/pki/vcenter-ca.pem
    names:
      - "web-*"
      - db01
  register: web

- name: VMs of one folder of one cluster
  dr.asr.source_vm_info:
    datacenter: DC1
    cluster: Prod-Cluster
    folder: Production/Web
  register: prod_web

- name: Tier-1 production VMs, with their tags
  dr.asr.source_vm_info:
    tags:
      - DR-Tier:tier-1
      - production
    include_tags: true
  register: tier1

- name: Fail early on VMs Azure cannot boot
  ansible.builtin.assert:
    that:
      - item.is_64bit
      - item.os_disk.size_gb <= 4095
    fail_msg: "{{ item.name }} cannot be replicated to Azure as is"
  loop: "{{ prod_web.vms }}"
  loop_control:
    label: "{{ item.name }}"
'''

RETURN = r'''
vms:
  description: The matching VMs, sorted by name (then moid). Empty when nothing matches.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: VM name.
      type: str
      sample: web01
    moid:
      description: Managed object id.
      type: str
      sample: vm-1042
    instance_uuid:
      description: vCenter instance UUID (unique per vCenter).
      type: str
      sample: 5012e7b0-6c8b-4f6a-9f3e-2c1d0a9b8c7d
    bios_uuid:
      description: BIOS UUID (SMBIOS), as seen by the guest; clones may share it.
      type: str
      sample: 4212a3c4-5d6e-7f80-91a2-b3c4d5e6f708
    power_state:
      description: V(poweredOn), V(poweredOff) or V(suspended).
      type: str
      sample: poweredOn
    template:
      description: Whether the VM is a template.
      type: bool
      sample: false
    guest_id:
      description: Configured guest OS id (C(config.guestId)).
      type: str
      sample: windows2019srv_64Guest
    guest_full_name:
      description: Configured guest OS name.
      type: str
      sample: Microsoft Windows Server 2019 (64-bit)
    guest_family:
      description: V(windows), V(linux) or V(other), derived from RV(vms[].guest_id). V(null) without a guest id.
      type: str
      sample: windows
    is_64bit:
      description: Whether the configured guest OS is 64-bit, derived from RV(vms[].guest_id).
      type: bool
      sample: true
    firmware:
      description: V(bios) or V(efi).
      type: str
      sample: efi
    secure_boot:
      description: Whether UEFI secure boot is on (always V(false) with BIOS firmware).
      type: bool
      sample: true
    num_cpu:
      description: Number of virtual CPUs.
      type: int
      sample: 4
    memory_mb:
      description: Memory in MiB.
      type: int
      sample: 8192
    disks:
      description: Virtual disks, in device order.
      type: list
      elements: dict
      contains:
        label:
          description: Device label.
          type: str
          sample: Hard disk 1
        key:
          description: Device key.
          type: int
          sample: 2000
        size_gb:
          description: Capacity in GiB (rounded to 3 decimals).
          type: float
          sample: 3000.0
        controller:
          description: Controller kind (V(scsi), V(sata), V(nvme), V(ide)) and bus number.
          type: str
          sample: scsi0
        controller_type:
          description: >-
            Controller model: V(paravirtual), V(lsilogic), V(lsilogicsas), V(buslogic), V(ahci), V(nvme), V(ide).
          type: str
          sample: paravirtual
        controller_key:
          description: Device key of the controller.
          type: int
          sample: 1000
        unit_number:
          description: Unit number on the controller.
          type: int
          sample: 0
        mode:
          description: >-
            Disk mode: V(persistent), V(independent_persistent), V(independent_nonpersistent),
            V(nonpersistent), V(undoable) or V(append).
          type: str
          sample: persistent
        sharing:
          description: V(sharingNone) or V(sharingMultiWriter).
          type: str
          sample: sharingNone
        bus_sharing:
          description: SCSI bus sharing of the disk's controller (guest clusters).
          returned: when the controller shares its bus
          type: str
          sample: physicalSharing
        thin:
          description: Whether the disk is thin provisioned.
          type: bool
          sample: true
        backing:
          description: >-
            V(flat) (a VMDK), V(rdm_virtual) or V(rdm_physical) (raw device mapping), V(sesparse) or V(other).
          type: str
          sample: flat
        datastore:
          description: Name of the datastore holding the disk.
          type: str
          sample: vsanDatastore
        file:
          description: Backing file.
          type: str
          sample: "[vsanDatastore] web01/web01.vmdk"
        uuid:
          description: Disk UUID (V(null) for backings without one).
          type: str
          sample: 6000C29a-1b2c-3d4e-5f60-718293a4b5c6
    os_disk:
      description: >-
        The disk the OS boots from, one of RV(vms[].disks) (V(null) for a VM without disks). See the notes for
        how it is chosen.
      type: dict
      sample: {"label": "Hard disk 1", "key": 2000, "size_gb": 3000.0, "controller": "scsi0", "unit_number": 0}
    os_disk_basis:
      description: >-
        V(boot_order) when the VM's boot order named the disk, V(controller_order) when the first disk by
        controller kind, bus and unit was taken, V(null) without disks.
      type: str
      sample: controller_order
    nics:
      description: Network adapters, in device order.
      type: list
      elements: dict
      contains:
        label:
          description: Device label.
          type: str
          sample: Network adapter 1
        key:
          description: Device key.
          type: int
          sample: 4000
        mac:
          description: MAC address.
          type: str
          sample: 00:50:56:9a:12:34
        adapter_type:
          description: >-
            V(vmxnet3), V(vmxnet3vrdma), V(vmxnet2), V(vmxnet), V(e1000e), V(e1000), V(pcnet32), V(sriov) or V(other).
          type: str
          sample: vmxnet3
        network:
          description: Port group, distributed port group or opaque network the adapter is on.
          type: str
          sample: VM Network
        connected:
          description: Whether the adapter is connected now.
          type: bool
          sample: true
        start_connected:
          description: Whether the adapter connects at power on.
          type: bool
          sample: true
        ip_addresses:
          description: Addresses the guest reports on this adapter (needs VMware Tools running).
          type: list
          elements: str
          sample: ["10.0.1.15", "fe80::250:56ff:fe9a:1234"]
    tools_running_status:
      description: VMware Tools state, e.g. V(guestToolsRunning), V(guestToolsNotRunning).
      type: str
      sample: guestToolsRunning
    tools_version_status:
      description: VMware Tools version state, e.g. V(guestToolsCurrent), V(guestToolsNotInstalled).
      type: str
      sample: guestToolsCurrent
    ip_address:
      description: Primary IP address the guest reports.
      type: str
      sample: 10.0.1.15
    hostname:
      description: Host name the guest reports.
      type: str
      sample: web01.corp.example.com
    vmx_path:
      description: Datastore path of the VM's configuration file.
      type: str
      sample: "[vsanDatastore] web01/web01.vmx"
    host:
      description: ESXi host the VM is registered on.
      type: str
      sample: esx01.corp.example.com
    cluster:
      description: Cluster of that host (V(null) for a standalone host).
      type: str
      sample: Prod-Cluster
    esxi_version:
      description: ESXi version of that host.
      type: str
      sample: 8.0.3
    datacenter:
      description: Datacenter of the VM.
      type: str
      sample: DC1
    folder:
      description: VM folder path below the datacenter's VM folder (V("") for the top folder).
      type: str
      sample: Production/Web
    resource_pool:
      description: Name of the VM's resource pool (V(Resources) is a cluster's root pool).
      type: str
      sample: Resources
    tags:
      description: The VM's vSphere tags, sorted by category then name (V([]) for a VM without tags).
      returned: when O(include_tags=true)
      type: list
      elements: dict
      contains:
        category:
          description: Name of the tag's category.
          type: str
          sample: DR-Tier
        name:
          description: Name of the tag.
          type: str
          sample: tier-1
      sample: [{"category": "DR-Tier", "name": "tier-1"}, {"category": "Environment", "name": "production"}]
query_result:
  description: The value of O(query) over the result, when O(query) is set.
  returned: when O(query) is set
  type: raw
  sample: [web-03, db-01]
'''

from ansible_collections.dr.asr.plugins.module_utils._module import DrAsrModule, run
from ansible_collections.dr.asr.plugins.module_utils._vsphere.facts import collect_vm_facts
from ansible_collections.dr.asr.plugins.module_utils._vsphere.rest import Tagging

ARGUMENT_SPEC = dict(
    names=dict(type="list", elements="str", aliases=["name"]),
    folder=dict(type="str"),
    cluster=dict(type="str"),
    datacenter=dict(type="str"),
    include_templates=dict(type="bool", default=False),
    tags=dict(type="list", elements="str"),
    include_tags=dict(type="bool", default=False),
)

FILTERS = ("names", "folder", "cluster", "datacenter", "include_templates", "tags")


def build_module():
    return DrAsrModule(argument_spec=ARGUMENT_SPEC, uses=("vsphere", "query"), supports_check_mode=True)


def list_vms(module):
    filters = dict((key, module.params[key]) for key in FILTERS)
    include_tags = module.params["include_tags"]
    session = module.vsphere()
    tagging = Tagging(module.vsphere_rest()) if filters["tags"] or include_tags else None
    return {"changed": False, "vms": collect_vm_facts(session, filters, tagging=tagging, include_tags=include_tags)}


def main():
    run(build_module, list_vms)


if __name__ == "__main__":
    main()
