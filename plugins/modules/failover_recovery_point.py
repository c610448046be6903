#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: failover_recovery_point
short_description: Change the recovery point of an Azure Site Recovery failover before it is committed
version_added: 1.0.0
description:
  - Ensures the VMs failed over to Azure (not committed yet) run on the given recovery point - ASR's change of recovery
    point (C(applyRecoveryPoint)), which restarts the Azure VM on it. Use it when the point the failover chose turns
    out to be bad (corrupted, encrypted by ransomware...), then commit (M(dr.asr.failover_commit)).
  - Its own module rather than an option of M(dr.asr.failover_commit) - the new point is usually checked before the
    commit, and the commit deletes the other points.
  - Idempotent by state - a VM already on the chosen point is left alone; a rerun while the job runs waits for it.
  - Recovery plans have no change of recovery point in ASR - with O(recovery_plan) every member item is changed, in
    one batch.
author:
  - dr.asr maintainers (@dr-asr)
options:
  recovery_point:
    description:
      - The recovery point - a recovery point of the item by name or id (M(dr.asr.recovery_point_info) lists them), or
        V(LatestProcessed) / V(Latest) (the newest point), V(LatestApplicationConsistent), V(LatestCrashConsistent).
      - One of O(recovery_point) and O(recovery_point_time) is required.
    type: str
  recovery_point_time:
    description:
      - The newest recovery point at or before this time (ISO 8601, or a duration before now such as V(2h)).
    type: str
  multi_vm_sync_point:
    description: Only multi-VM sync points (the newest one all items of each multi-VM group share).
    type: bool
extends_documentation_fragment:
  - dr.asr.azure
  - dr.asr.asr_vault
  - dr.asr.asr_action_target
  - dr.asr.wait
  - dr.asr.wait_rounds
attributes:
  check_mode:
    support: full
    description: Reads the items and their recovery points and predicts which point each would change to; starts nothing.
  diff_mode:
    support: full
    description: Returns the recovery point (and state) of each changed item before and after.
  idempotent:
    support: full
    description: A VM already on the chosen point is left alone; a rerun while the job runs waits for it.
notes:
  - "State model: possible in phase C(failed_over) only (failover to Azure, commit pending - C(ChangePit) in the
    allowed operations); done when the item's C(failoverRecoveryPointId) is the chosen point. After the commit the
    recovery points are gone and the point can no longer change."
seealso:
  - module: dr.asr.recovery_point_info
  - module: dr.asr.failover
  - module: dr.asr.failover_commit
'''

EXAMPLES = r'''
- name: Recovery points of the failed-over VM
  dr.asr.recovery_point_info:
    vault_name: rsv-dr-weu
    vault_resource_group: rg-dr
    items: [db-01]
    types: [ApplicationConsistent]
  register: points

- name: Go back to the app-consistent point before the incident
  dr.asr.failover_recovery_point:
    vault_name: rsv-dr-weu
    vault_resource_group: rg-dr
    items: [db-01]
    recovery_point: "{{ points.protected_items[0].recovery_points[1].name }}"

- name: Or by time
  dr.asr.failover_recovery_point:
    vault_name: rsv-dr-weu
    vault_resource_group: rg-dr
    items: [db-01]
    recovery_point_time: "2026-11-26T03:00:00Z"
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
  contains:
    recovery_point:
      description: The recovery point the run chose for the item (name, id, time, type, age_seconds,
        multi_vm_sync_point), when it chose one.
      type: dict
      returned: when a point was chosen
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
from ansible_collections.dr.asr.plugins.module_utils._asr.actions import base, failover, run

ARGUMENT_SPEC = dict(
    recovery_point=dict(type="str"),
    recovery_point_time=dict(type="str"),
    multi_vm_sync_point=dict(type="bool"),
    **base.TARGET_SPEC
)


def run_module(module):
    return run.run_action(module, failover.FailoverRecoveryPoint(module.params))


def main():
    point = ["recovery_point", "recovery_point_time"]
    module = DrAsrModule(ARGUMENT_SPEC, uses=("asr_vault", "wait", "rounds"),
                         azure_libraries=("azure.mgmt.recoveryservicessiterecovery",),
                         mutually_exclusive=base.TARGET_EXCLUSIVE + [point],
                         required_one_of=base.TARGET_EXCLUSIVE + [point])
    run.exit_action(module, run_module)


if __name__ == "__main__":
    main()
