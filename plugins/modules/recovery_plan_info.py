#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: recovery_plan_info
short_description: List the Azure Site Recovery recovery plans of a vault, with their groups, actions and state
version_added: 1.0.0
description:
  - Returns the recovery plans of a Recovery Services vault - boot groups in failover order with their members (by VM
    name and protected item name), the actions before and after each group (also of the Shutdown and Failover
    groups), the operations the plan allows now, its current or last job and when it was last failed over.
  - Groups are returned in the options' terms of M(dr.asr.recovery_plan), so RV(recovery_plans[].groups) can be fed
    back to it.
  - One vault-wide list of the recovery plans, then a GET of each returned plan (its groups and actions come from the
    GET; a list answer is never trusted for them), and one list of the protected items when a plan has members.
author:
  - dr.asr maintainers (@dr-asr)
options:
  name:
    description:
      - Only the plan of this name (case-insensitive). Returns an empty list when there is none.
    type: str
  vm_name:
    description:
      - Only the plans that contain this VM (VM name as vCenter spells it, or protected item name).
    type: str
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
  - module: dr.asr.recovery_plan
  - module: dr.asr.job_info
'''

EXAMPLES = r'''
- name: Every recovery plan of the vault
  dr.asr.recovery_plan_info:
    vault_name: rsv-dr-weu
    vault_resource_group: rg-dr
  register: vault_plans

- name: Can the shop plan run a test failover now?
  dr.asr.recovery_plan_info:
    vault_name: rsv-dr-weu
    vault_resource_group: rg-dr
    name: rp-shop
  register: shop
  failed_when: >-
    shop.recovery_plans == [] or 'TestFailover' not in shop.recovery_plans[0].allowed_operations

- name: The plans that would fail web-01 over
  dr.asr.recovery_plan_info:
    vault_name: rsv-dr-weu
    vault_resource_group: rg-dr
    vm_name: web-01
  register: web01_plans
'''

RETURN = r'''
recovery_plans:
  description: The matching plans, sorted by name (empty when none).
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Resource id.
      type: str
      sample: "/Subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-dr/providers\
        /Microsoft.RecoveryServices/vaults/rsv-dr-weu/replicationRecoveryPlans/rp-shop"
    name:
      description: Plan name.
      type: str
      sample: rp-shop
    primary_fabric:
      description: Friendly name of the primary fabric (the replication appliance's site).
      type: str
      sample: rsv-dr-weu1234replicationfabric
    primary_fabric_id:
      description: Id of the primary fabric.
      type: str
    recovery_fabric:
      description: The recovery side.
      type: str
      sample: Microsoft Azure
    failover_deployment_model:
      description: Deployment model of the failed-over VMs.
      type: str
      sample: ResourceManager
    providers:
      description: Replication providers of the members (C(InMageRcm); C(InMageRcmFailback) while failing back).
      type: list
      elements: str
      sample: [InMageRcm]
    allowed_operations:
      description:
        - The plan operations ASR accepts now (C(TestFailover), C(TestFailoverCleanup), C(PlannedFailover),
          C(UnplannedFailover), C(Commit), C(CancelFailover), C(ReverseReplicate)); empty while a job runs.
      type: list
      elements: str
      sample: [UnplannedFailover, TestFailover]
    current_job:
      description: The plan's current (or, as ASR reports it, last) job; null when ASR reports none.
      type: dict
      contains:
        scenario:
          description: Job scenario (C(TestFailover), C(UnplannedFailover), C(CommitFailover), ...).
          type: str
          sample: TestFailover
        job:
          description: Job name (see M(dr.asr.job_info)).
          type: str
        job_id:
          description: Job id.
          type: str
        start_time:
          description: When the job started.
          type: str
        status:
          description: Job state (C(InProgress), C(Suspended) at a manual action, C(Succeeded), C(Failed), ...).
          type: str
          sample: Suspended
        status_description:
          description: ASR's description of the state.
          type: str
        running:
          description: Whether the job still runs (or waits at a manual action).
          type: bool
    last_test_failover_time:
      description: Start of the plan's last test failover; null when none ran.
      type: str
    last_planned_failover_time:
      description: Start of the plan's last planned failover; null when none ran.
      type: str
    last_unplanned_failover_time:
      description: Start of the plan's last (unplanned) failover; null when none ran.
      type: str
    item_count:
      description: Number of protected items in the plan.
      type: int
      sample: 3
    groups:
      description: The boot groups, in failover order.
      type: list
      elements: dict
      contains:
        group:
          description: Group number (1 fails over first).
          type: int
          sample: 1
        vms:
          description: VM names of the members, in the plan's order (the item name for an item the vault lost).
          type: list
          elements: str
          sample: [db-pg-01]
        members:
          description: The members.
          type: list
          elements: dict
          contains:
            vm_name:
              description: VM name (null when the vault no longer has the protected item).
              type: str
            item_name:
              description: Protected item name.
              type: str
            id:
              description: Protected item id.
              type: str
        pre_actions:
          description:
            - Actions before the group, in order, with the keys of M(dr.asr.recovery_plan)'s actions - C(name),
              C(type) (C(manual), C(script), C(runbook)), C(failover_types), C(failover_directions), and
              C(description) (manual), C(path) (script), C(runbook_id) (runbook), C(fabric_location) and
              C(timeout) (script, runbook).
          type: list
          elements: dict
        post_actions:
          description: Actions after the group, in order (keys as RV(recovery_plans[].groups[].pre_actions)).
          type: list
          elements: dict
    shutdown_group:
      description: The actions of the Shutdown group.
      type: dict
      contains:
        pre_actions:
          description: Actions before the group.
          type: list
          elements: dict
        post_actions:
          description: Actions after the group.
          type: list
          elements: dict
    failover_group:
      description: The actions of the Failover group.
      type: dict
      contains:
        pre_actions:
          description: Actions before the group.
          type: list
          elements: dict
        post_actions:
          description: Actions after the group.
          type: list
          elements: dict
query_result:
  description: The value of O(query) over the result, when O(query) is set.
  returned: when O(query) is set
  type: raw
  sample: [web-03, db-01]
'''

from ansible_collections.dr.asr.plugins.module_utils._module import DrAsrModule, run
from ansible_collections.dr.asr.plugins.module_utils._asr import lookup, plans

ARGUMENT_SPEC = dict(
    name=dict(type="str"),
    vm_name=dict(type="str"),
)


def contains(facts, vm_name):
    wanted = vm_name.lower()
    return any(m["vm_name"] == vm_name or (m["item_name"] or "").lower() == wanted
               for group in facts["groups"] for m in group["members"])


def run_module(module):
    params = module.params
    vault = module.asr_vault()
    found = lookup.vault_read(vault, vault.recovery_plans)
    if params["name"]:
        found = [p for p in found if (p.get("name") or "").lower() == params["name"].lower()]
    found = [vault.get_plan(p["name"]) for p in found]       # groups from a GET, never from a list answer
    has_members = any(plans.member_keys(g) for p in found for g in (p.get("properties") or {}).get("groups") or [])
    index = plans.ItemIndex(vault.protected_items() if has_members else [])
    out = [plans.plan_facts(p, index) for p in found]
    if params["vm_name"]:
        out = [f for f in out if contains(f, params["vm_name"])]
    return dict(changed=False, recovery_plans=sorted(out, key=lambda p: (p["name"] or "").lower()))


def main():
    run(lambda: DrAsrModule(ARGUMENT_SPEC, uses=("asr_vault", "query"),
                            azure_libraries=("azure.mgmt.recoveryservices", "azure.mgmt.recoveryservicessiterecovery")),
        run_module)


if __name__ == "__main__":
    main()
