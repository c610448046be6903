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
    GET of the item (a list has its NICs and disks empty, and they name what ASR made), one VM GET (with its instance
    view), one GET per NIC and per managed disk it has or ASR would name.
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
from ansible_collections.dr.asr.plugins.module_utils._asr import lookup, resolve
from ansible_collections.dr.asr.plugins.module_utils._asr.recovered import Reader, full_items, recovered

ARGUMENT_SPEC = dict(
    items=dict(type="list", elements="str", aliases=["vms"]),
    recovery_plan=dict(type="str"),
    kind=dict(type="str", choices=["test_failover", "failover"], default="test_failover"),
)


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
    return dict(changed=False, vms=[recovered(reader, item, params["kind"]) for item in full_items(vault, items)])


def main():
    run(lambda: DrAsrModule(ARGUMENT_SPEC, uses=("asr_vault", "query"),
                            azure_libraries=("azure.mgmt.recoveryservicessiterecovery", "azure.mgmt.compute",
                                             "azure.mgmt.network"),
                            mutually_exclusive=[["items", "recovery_plan"]]),
        run_module)


if __name__ == "__main__":
    main()
