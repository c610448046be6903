# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
name: protected_items
short_description: Azure Site Recovery protected items (replicated VMware VMs) as hosts
version_added: 1.0.0
description:
  - The protected items of a Recovery Services vault as hosts, named by their VM name (or item name), grouped by
    recovery plan, lifecycle phase, replication health, where the VM runs, active location and replication
    appliance; plus O(compose), O(keyed_groups) and O(groups) as the constructed plugins do, and caching.
  - Host vars under C(dr_asr) - the item as M(dr.asr.protected_item_info) returns it (phase, state, health, allowed
    operations, source disks and NICs with their addresses, target settings), the recovery plans it is in, and,
    while a test failover or a failover is up, the Azure VM it runs as (C(dr_asr.recovered) - its NICs and private
    addresses), so that later plays reach the recovered machines.
  - C(ansible_host) is the recovered VM's primary private address while a test failover or failover is up (with
    O(recovered_addresses)), else the source VM's primary address.
  - Reads - the vault's protected items (listed, then a GET of each - a list has their NICs and disks empty), its
    recovery plans (listed, then a GET of each for its groups), the jobs their current scenarios name; per
    recovered VM one GET of the VM and of each NIC. Use the cache for large vaults.
  - The Azure options are the modules' (doc fragment dr.asr.azure), with the same environment variables.
author:
  - dr.asr maintainers (@dr-asr)
requirements:
  - azure-identity, azure-mgmt-recoveryservicessiterecovery, azure-mgmt-compute, azure-mgmt-network
extends_documentation_fragment:
  - constructed
  - inventory_cache
  - dr.asr.azure
options:
  plugin:
    description: The name of this plugin, to make sure the file is meant for it.
    required: true
    type: str
    choices: [dr.asr.protected_items]
  vault_name:
    description: The Recovery Services vault. Falls back to E(DR_ASR_VAULT_NAME).
    required: true
    type: str
    env:
      - name: DR_ASR_VAULT_NAME
  vault_resource_group:
    description: The vault's resource group. Falls back to E(DR_ASR_VAULT_RESOURCE_GROUP).
    required: true
    type: str
    env:
      - name: DR_ASR_VAULT_RESOURCE_GROUP
  hostnames:
    description:
      - V(vm_name) names each host by its VM's name as vCenter spells it; V(item_name) by the protected item's name.
    type: str
    choices: [vm_name, item_name]
    default: vm_name
  recovered_addresses:
    description:
      - Whether C(ansible_host) is the recovered Azure VM's private address while a test failover or a failover is up
        (the recovered VM is read then). With V(false) it is always the source VM's address.
    type: bool
    default: true
  phases:
    description: Only the items in these lifecycle phases (as M(dr.asr.protected_item_info) names them).
    type: list
    elements: str
'''

EXAMPLES = r'''
# protected_items.yml, used as `ansible-inventory -i protected_items.yml --graph`
plugin: dr.asr.protected_items
vault_name: rsv-dr
vault_resource_group: rg-dr
keyed_groups:
  - key: dr_asr.item.policy
    prefix: policy
groups:
  needs_attention: dr_asr.item.health != 'Normal'
compose:
  ansible_user: "'azureuser' if dr_asr.item.runs_in == 'azure' else 'root'"
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: /var/tmp/dr_asr_inventory
cache_timeout: 300

# in a play after a drill is up: smoke-check the test VMs of plan rp-shop
# - hosts: "recovery_plan_rp_shop:&phase_test_failover"
#   tasks:
#     - ansible.builtin.wait_for_connection:
'''

import os

from ansible.errors import AnsibleError
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable
from ansible.utils.display import Display

from ansible_collections.dr.asr.plugins.module_utils._errors import DrAsrError
from ansible_collections.dr.asr.plugins.module_utils._tls import unverified_warnings
from ansible_collections.dr.asr.plugins.module_utils._azure.argspec import azure_argument_spec
from ansible_collections.dr.asr.plugins.module_utils._asr import inventory as protected_items

display = Display()


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):

    NAME = "dr.asr.protected_items"

    def verify_file(self, path):
        return super().verify_file(path) and os.path.basename(path).endswith(
            ("protected_items.yml", "protected_items.yaml", "dr_asr.yml", "dr_asr.yaml"))

    def azure_params(self):
        """The Azure options as the modules take them: the file's value, else the same environment variable."""
        params = {}
        for name, spec in azure_argument_spec().items():
            value = self.get_option(name)
            env = (spec.get("fallback") or (None, []))[1]
            if value in (None, spec.get("default")) and env:
                value = next((os.environ[e] for e in env if os.environ.get(e)), value)
            params[name] = value
        return params

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache)
        self._read_config_data(path)
        key = self.get_cache_key(path)
        use_cache = self.get_option("cache") and cache
        update = self.get_option("cache") and not cache
        hosts = None
        if use_cache:
            try:
                hosts = self._cache[key]
            except KeyError:
                update = True
        if hosts is None:
            params = self.azure_params()
            for warning in unverified_warnings(params):     # every time verification is off, as the modules do
                display.warning("dr.asr.protected_items: %s" % warning)
            try:
                hosts = protected_items.read(params, self.get_option("vault_resource_group"),
                                             self.get_option("vault_name"), self.get_option("recovered_addresses"))
            except DrAsrError as err:
                raise AnsibleError("dr.asr.protected_items: %s" % err.summary())
        if update:
            self._cache[key] = hosts
        self.populate(hosts)

    def populate(self, hosts):
        strict = self.get_option("strict")
        phases = self.get_option("phases")
        naming = self.get_option("hostnames")
        for host in hosts:
            if phases and host["item"]["phase"] not in phases:
                continue
            name = host["item"]["vm_name"] if naming == "vm_name" else host["item"]["name"]
            name = name or host["item"]["name"]
            self.inventory.add_host(name)
            for group in protected_items.groups_of(host):
                group = self.inventory.add_group(self._sanitize_group_name(group))
                self.inventory.add_child(group, name)
            self.inventory.set_variable(name, "dr_asr", host)
            if host.get("address"):
                self.inventory.set_variable(name, "ansible_host", host["address"])
            variables = self.inventory.get_host(name).get_vars()
            self._set_composite_vars(self.get_option("compose"), variables, name, strict=strict)
            self._add_host_to_composed_groups(self.get_option("groups"), variables, name, strict=strict)
            self._add_host_to_keyed_groups(self.get_option("keyed_groups"), variables, name, strict=strict)
