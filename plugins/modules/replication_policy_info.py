#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: replication_policy_info
short_description: List the Azure Site Recovery replication policies of a vault, with their associations
version_added: 0.1.0
description:
  - Returns the replication policies of a Recovery Services vault with their settings (modernized
    experience C(InMageRcm) and C(InMageRcmFailback) policies) and their associations with protection
    containers.
  - Policies of other experiences (classic C(InMageAzureV2)/C(InMage)) are listed with their name, id,
    experience and provider only.
  - Two vault-wide list calls (policies, container mappings), whatever the number of policies.
author:
  - dr.asr maintainers (@dr-asr)
options:
  name:
    description:
      - Only the policy of this name (case-insensitive). Returns an empty list when there is none.
    type: str
  failback:
    description:
      - Only failback (V(true)) or only forward (V(false)) policies.
    type: bool
  associated:
    description:
      - Only policies with (V(true)) or without (V(false)) an association.
    type: bool
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
seealso:
  - module: dr.asr.replication_policy
'''

EXAMPLES = r'''
- name: Every policy of the vault
  dr.asr.replication_policy_info:
    vault_name: rsv-dr-weu
    vault_resource_group: rg-dr
  register: vault_policies

- name: The failback policies that can be used for a reprotect
  dr.asr.replication_policy_info:
    vault_name: rsv-dr-weu
    vault_resource_group: rg-dr
    failback: true
    associated: true
  register: failback_policies
'''

RETURN = r'''
policies:
  description: The matching policies, sorted by name (empty when none).
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Resource id.
      type: str
      sample: "/Subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-dr/providers\
        /Microsoft.RecoveryServices/vaults/rsv-dr-weu/replicationPolicies/pol-vmware-24h"
    name:
      description: Policy name.
      type: str
      sample: pol-vmware-24h
    experience:
      description: V(modernized) or V(classic) (null for a provider of another scenario).
      type: str
      sample: modernized
    instance_type:
      description: ASR replication provider of the policy.
      type: str
      sample: InMageRcm
    failback:
      description: Whether this is a failback (Azure to VMware) policy.
      type: bool
      sample: false
    retention_minutes:
      description: Recovery point retention in minutes (null for failback policies).
      type: int
      sample: 1440
    retention_hours:
      description: Recovery point retention in hours (null for failback policies).
      type: float
      sample: 24
    crash_consistent_frequency_minutes:
      description: Crash-consistent recovery point frequency in minutes.
      type: int
      sample: 5
    app_consistent_frequency_minutes:
      description: App-consistent recovery point frequency in minutes (0 is none).
      type: int
      sample: 240
    multi_vm_sync:
      description: Whether multi-VM sync is enabled (null for failback policies).
      type: bool
      sample: true
    associations:
      description: The policy's container mappings.
      type: list
      elements: dict
      contains:
        id:
          description: Mapping resource id.
          type: str
          sample: "/Subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-dr/providers\
            /Microsoft.RecoveryServices/vaults/rsv-dr-weu/replicationFabrics/rsv-dr-weu1234replicationfabric\
            /replicationProtectionContainers/rsv-dr-weu1234replicationcontainer\
            /replicationProtectionContainerMappings/pol-vmware-24h-association"
        name:
          description: Mapping name.
          type: str
          sample: pol-vmware-24h-association
        container:
          description: Name of the protection container.
          type: str
          sample: rsv-dr-weu1234replicationcontainer
        fabric:
          description: Name of the container's fabric.
          type: str
          sample: rsv-dr-weu1234replicationfabric
        target:
          description: The mapping's target container.
          type: str
          sample: Microsoft Azure
        state:
          description: Mapping state.
          type: str
          sample: Paired
        health:
          description: Mapping health.
          type: str
          sample: Normal
        agent_auto_upgrade:
          description: Whether the Mobility service is upgraded automatically (null when not reported).
          type: bool
          sample: true
query_result:
  description: The value of O(query) over the result, when O(query) is set.
  returned: when O(query) is set
  type: raw
  sample: [web-03, db-01]
'''

from ansible_collections.dr.asr.plugins.module_utils._module import DrAsrModule, run
from ansible_collections.dr.asr.plugins.module_utils._asr import lookup, policies

ARGUMENT_SPEC = dict(
    name=dict(type="str"),
    failback=dict(type="bool"),
    associated=dict(type="bool"),
)


def selected(facts, params):
    if params["name"] and (facts["name"] or "").lower() != params["name"].lower():
        return False
    if params["failback"] is not None and facts["failback"] is not params["failback"]:
        return False
    if params["associated"] is not None and bool(facts["associations"]) is not params["associated"]:
        return False
    return True


def run_module(module):
    params = module.params
    vault = module.asr_vault()
    found = lookup.vault_read(vault, vault.policies)
    if params["name"]:
        found = [p for p in found if (p.get("name") or "").lower() == params["name"].lower()]
    mappings = vault.mappings() if found else []
    out = []
    for policy in found:
        facts = policies.policy_facts(policy, [m for m in mappings if lookup.same_id(
            (m.get("properties") or {}).get("policyId"), policy.get("id"))])
        if selected(facts, params):
            out.append(facts)
    return dict(changed=False, policies=sorted(out, key=lambda p: (p["name"] or "").lower()))


def main():
    run(lambda: DrAsrModule(ARGUMENT_SPEC, uses=("asr_vault", "query"),
                            azure_libraries=("azure.mgmt.recoveryservices", "azure.mgmt.recoveryservicessiterecovery")),
        run_module)


if __name__ == "__main__":
    main()
