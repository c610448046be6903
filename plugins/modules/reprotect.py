#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: reprotect
short_description: Reprotect failed-over VMs with Azure Site Recovery - to on-premises, or to Azure again after failback
version_added: 1.0.0
description:
  - Ensures VMs whose failover is committed replicate in the other direction, which the next failover needs -
  - After a committed failover to Azure, reprotect replicates the Azure VMs to on-premises (provider
    C(InMageRcmFailback)) through the replication appliance's reprotect agent, onto a datastore, with a failback
    policy and a log storage account. When the original on-premises VM still exists it is recovered in place
    (original location, turned off meanwhile); when it does not, a new VM is created on O(datastore) (alternate
    location). ASR keeps no static IP on this way back.
  - After a committed failback, reprotect replicates the on-premises VMs to Azure again (provider C(InMageRcm))
    through an appliance's process server with a replication policy - the forward replication settings from before the
    failover are kept.
  - The direction follows from the item's state (O(direction) only double-checks it). Idempotent by state - a VM that
    already replicates in that direction is left alone; a rerun while the reprotect job runs waits for it; with
    O(wait_for_protection) a rerun also waits for the reprotection's initial replication.
  - Azure Site Recovery refuses to reprotect a recovery plan of VMware machines (the reprotect needs per-machine input);
    with O(recovery_plan), every member item is reprotected instead, in one batch, and RV(recovery_plan) says so.
author:
  - dr.asr maintainers (@dr-asr)
options:
  direction:
    description:
      - The replication direction wanted after the reprotect - V(recovery_to_primary) (Azure to on-premises, after a
        committed failover) or V(primary_to_recovery) (on-premises to Azure, after a committed failback).
      - Unset - whichever the item's state calls for. Set, an item whose state calls for the other direction is an error.
    type: str
    choices: [primary_to_recovery, recovery_to_primary]
  appliance:
    description:
      - The replication appliance - to on-premises, the one whose reprotect agent replicates to vCenter; to Azure, the
        one whose process server replicates the VM. Defaults to the appliance the item used before, else the vault's
        only appliance.
    type: str
  datastore:
    description:
      - To on-premises (required there) - the datastore the on-premises VM is recovered onto (alternate location) or
        whose VM is overwritten (original location); one the appliance's reprotect agent can reach.
    type: str
  log_storage_account:
    description:
      - To on-premises - the storage account (name in the item's target resource group, or id) that caches the
        replication logs. Defaults to the one the item replicated with.
    type: str
  policy:
    description:
      - The policy of the new direction (name or id) - to on-premises a failback policy (C(InMageRcmFailback),
        M(dr.asr.replication_policy) with O(dr.asr.replication_policy#module:failback=true)), to Azure a replication
        policy (C(InMageRcm)).
      - Defaults - to Azure, the policy the item replicated with before; else the only policy of that kind associated
        with the item's appliance container.
    type: str
  run_as_account:
    description:
      - To Azure - the appliance credential to (re)install the Mobility service with, when needed. Unset - the agent
        already on the VM is used.
    type: str
  wait_for_protection:
    description:
      - Also wait until the reprotection's initial replication is done (state C(Protected)), which a failback (or the
        next failover) needs. Takes as long as replicating the disks; a timeout fails with what was seen, and a rerun
        resumes waiting. Needs O(wait=true).
    type: bool
    default: false
extends_documentation_fragment:
  - dr.asr.azure
  - dr.asr.asr_vault
  - dr.asr.asr_action_target
  - dr.asr.wait
  - dr.asr.wait_rounds
attributes:
  check_mode:
    support: full
    description: Reads and checks everything (allowed operations, appliance, datastore, policy) and predicts per item
      what would be done; starts nothing.
  diff_mode:
    support: full
    description: Returns the state (provider, active location, phase) of each changed item before and after.
  idempotent:
    support: full
    description: A VM that already replicates in the direction is left alone; a rerun while the job runs waits for it.
notes:
  - "State model: reprotect is possible in phase C(committed) (committed failover to Azure - leads to C(reprotecting),
    then C(reprotected)) and C(failback_committed) (committed failback - leads to C(initial_replication), then
    C(protected)). It is done when the item replicates away from where it runs (C(InMageRcmFailback) in Azure, or
    C(InMageRcm) on-premises)."
  - The failback policy must exist and be associated with the appliance's container before the reprotect to
    on-premises (M(dr.asr.replication_policy) with O(dr.asr.replication_policy#module:failback=true) and
    O(dr.asr.replication_policy#module:associate=true)).
  - ASR takes no alternate-location options beyond the datastore - the VM is recovered in place when it exists, else
    created on the datastore; dr.asr cannot choose one or the other.
seealso:
  - module: dr.asr.failover
  - module: dr.asr.failover_commit
  - module: dr.asr.replication_policy
  - module: dr.asr.appliance_info
'''

EXAMPLES = r'''
- name: After the committed failover - replicate the Azure VMs back to vCenter, wait until they are protected
  dr.asr.reprotect:
    vault_name: rsv-dr-weu
    vault_resource_group: rg-dr
    items: [web-01, web-02]
    datastore: ds-prod-01
    policy: pol-vmware-failback
    wait_for_protection: true
    wait_timeout: 14400

- name: The same for every VM of a recovery plan (reprotected one by one, in one batch)
  dr.asr.reprotect:
    vault_name: rsv-dr-weu
    vault_resource_group: rg-dr
    recovery_plan: rp-shop
    datastore: ds-prod-01

- name: After the committed failback - replicate to Azure again
  dr.asr.reprotect:
    vault_name: rsv-dr-weu
    vault_resource_group: rg-dr
    items: [web-01, web-02]
    direction: primary_to_recovery
    wait_for_protection: true
'''

RETURN = r'''
protected_items:
  description:
    - One entry per protected item, in the order given (with O(recovery_plan), the plan's members). On failure the
      module still returns it, with C(error) set for the items that failed.
    - With O(recovery_plan), entries hold the members' state after the run; what the plan did is in
      RV(recovery_plan).
    - Each entry is as in RV(dr.asr.test_failover#module:protected_items) - the VM (C(name), C(item_name), C(id)),
      what the run did (C(action) V(start), V(attach), V(after_job) or V(none); C(changed), C(reason), C(job),
      C(error), C(diff)) and the item's state after it (C(phase), C(state), C(active_location), C(provider),
      C(allowed_operations), C(current_job), ...).
  returned: always
  type: list
  elements: dict
recovery_plan:
  description:
    - With O(recovery_plan) - the plan (name, id, kind V(recovery_plan), allowed_operations, current_scenario,
      current_scenario_status, its members as RV(protected_items)) and what the run did (action, changed, reason, job, error,
      diff); null otherwise.
  returned: always
  type: dict
diff:
  description: One before/after per changed target (header the VM or plan name).
  returned: always
  type: list
  elements: dict
progress:
  description:
    - Where the jobs of the run are, as its last look saw them - how many ended of how many, and for each running
      job its target, step and current task; C(summary) says what the run waits for after its jobs (for example
      initial replication), C(targets) and C(failed) count the run's targets.
    - The waiting action prints it as one line per round (O(wait_round)).
  returned: always
  type: dict
  sample:
    total: 2
    ended: 1
    running:
      - job: 5f6a0c1e-3a43-4e7f-9d38-0d7e9f1b2c3d
        scenario: TestFailover
        target: web-01
        state: InProgress
        step: 2/7
        task: Starting the test VM
    summary: null
    targets: 2
    failed: 0
rounds:
  description: How many module runs (rounds of O(wait_round) seconds) the task took.
  returned: always
  type: int
  sample: 1
'''

from ansible_collections.dr.asr.plugins.module_utils._module import DrAsrModule
from ansible_collections.dr.asr.plugins.module_utils._errors import InputError
from ansible_collections.dr.asr.plugins.module_utils._asr.actions import base, reprotect, run
from ansible_collections.dr.asr.plugins.module_utils._asr.common import DIRECTIONS

ARGUMENT_SPEC = dict(
    direction=dict(type="str", choices=list(DIRECTIONS)),
    appliance=dict(type="str"),
    datastore=dict(type="str"),
    log_storage_account=dict(type="str"),
    policy=dict(type="str"),
    run_as_account=dict(type="str"),
    wait_for_protection=dict(type="bool", default=False),
    **base.TARGET_SPEC
)


def run_module(module):
    params = module.params
    if params["wait_for_protection"] and not params["wait"]:
        raise InputError("wait_for_protection", True, "false with wait=false", hint="Waiting for protection needs wait.")
    return run.run_action(module, reprotect.Reprotect(params))


def main():
    module = DrAsrModule(ARGUMENT_SPEC, uses=("asr_vault", "wait", "rounds"),
                         azure_libraries=("azure.mgmt.recoveryservicessiterecovery",),
                         mutually_exclusive=base.TARGET_EXCLUSIVE, required_one_of=base.TARGET_EXCLUSIVE)
    run.exit_action(module, run_module)


if __name__ == "__main__":
    main()
