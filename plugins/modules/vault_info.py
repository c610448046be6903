#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: vault_info
short_description: List Recovery Services vaults and their replication experience
version_added: 0.1.0
description:
  - Returns Recovery Services vaults of the subscription, of a resource group, or one vault by name,
    with the replication experience (classic or modernized) each is set to.
author:
  - dr.asr maintainers (@dr-asr)
options:
  name:
    description:
      - Only the vault of this name (requires O(resource_group)).
    type: str
  resource_group:
    description:
      - Only vaults of this resource group.
    type: str
  tags:
    description:
      - Only vaults with all these tags. Each item is C(key) (any value) or C(key:value).
    type: list
    elements: str
extends_documentation_fragment:
  - dr.asr.azure
  - dr.asr.query
attributes:
  check_mode:
    support: full
    description: Reads only; runs the same in check mode.
  diff_mode:
    support: none
    description: Changes nothing, so there is no diff.
seealso:
  - module: dr.asr.vault
'''

EXAMPLES = r'''
- name: All vaults of the subscription
  dr.asr.vault_info:
  register: all_vaults

- name: One vault
  dr.asr.vault_info:
    name: rsv-dr-weu
    resource_group: rg-dr
  register: dr_vault

- name: Vaults tagged for DR
  dr.asr.vault_info:
    tags:
      - purpose:dr
'''

RETURN = r'''
vaults:
  description: The matching vaults (an empty list when none match).
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Resource id.
      type: str
      sample: /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-dr/providers/Microsoft.RecoveryServices/vaults/rsv-dr-weu
    name:
      description: Vault name.
      type: str
      sample: rsv-dr-weu
    resource_group:
      description: Resource group.
      type: str
      sample: rg-dr
    location:
      description: Azure region.
      type: str
      sample: westeurope
    sku:
      description: SKU name.
      type: str
      sample: Standard
    tags:
      description: Tags.
      type: dict
      sample: {purpose: dr}
    provisioning_state:
      description: Azure provisioning state.
      type: str
      sample: Succeeded
    public_network_access:
      description: Public network access.
      type: str
      sample: Enabled
    vmware_to_azure_provider_type:
      description: The replication vault setting's C(vmwareToAzureProviderType), if set.
      type: str
      sample: null
    classic_vmware_replication:
      description: Whether the vault uses the classic VMware-to-Azure experience.
      type: bool
      sample: false
query_result:
  description: The value of O(query) over the result, when O(query) is set.
  returned: when O(query) is set
  type: raw
  sample: [web-03, db-01]
'''

from ansible_collections.dr.asr.plugins.module_utils._module import DrAsrModule, run
from ansible_collections.dr.asr.plugins.module_utils._azure import recoveryservices as rs

ARGUMENT_SPEC = dict(
    name=dict(type="str"),
    resource_group=dict(type="str"),
    tags=dict(type="list", elements="str"),
)


def tags_match(vault_tags, wanted):
    for item in wanted or []:
        key, sep, value = item.partition(":")
        if key not in vault_tags or (sep and vault_tags[key] != value):
            return False
    return True


def run_module(module):
    params = module.params
    clients = module.azure()
    if params["name"]:
        vault = rs.get_vault(clients, params["resource_group"], params["name"])
        candidates = [vault] if vault else []
    else:
        candidates = rs.list_vaults(clients, params["resource_group"])
    vaults = []
    for vault in candidates:
        if not tags_match(vault.get("tags") or {}, params["tags"]):
            continue
        resource_group = rs.vault_facts(vault)["resource_group"]
        vaults.append(rs.vault_facts(vault, rs.get_vault_setting(clients, resource_group, vault["name"])))
    return dict(changed=False, vaults=vaults)


def main():
    run(lambda: DrAsrModule(ARGUMENT_SPEC, uses=("azure", "query"),
                            azure_libraries=("azure.mgmt.recoveryservices", "azure.mgmt.recoveryservicessiterecovery"),
                            required_by=dict(name="resource_group")),
        run_module)


if __name__ == "__main__":
    main()
