#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: failover_cancel
short_description: Cancel the Azure Site Recovery failback of VMs or a recovery plan before it is committed
version_added: 1.0.0
description:
  - Cancels a failback to on-premises that is not committed yet - the on-premises VMs are shut down, the Azure VMs
    start again, and replication to on-premises resumes.
  - Only a failback (a planned failover from Azure to on-premises) can be canceled; a failover to Azure cannot (commit
    it, after changing its recovery point if needed) - the module says so, and starts nothing.
  - Idempotent by state - a canceled failback (the item is back in phase C(reprotected) and ASR records the last
    planned failover as C(Cancelled)) is left alone; a rerun while the cancel job runs waits for it.
author:
  - dr.asr maintainers (@dr-asr)
options: {}
extends_documentation_fragment:
  - dr.asr.azure
  - dr.asr.asr_vault
  - dr.asr.asr_action_target
  - dr.asr.wait
  - dr.asr.wait_rounds
attributes:
  check_mode:
    support: full
    description: Reads and checks the items and predicts what would be canceled; starts nothing.
  diff_mode:
    support: full
    description: Returns the state of each changed target before and after (predicted in check mode).
  idempotent:
    support: full
    description: A canceled failback is left alone; a rerun while the job runs waits for it.
notes:
  - "State model: cancel is possible in phase C(failed_back) (provider C(InMageRcmFailback), active location C(Primary),
    C(PlannedFailoverCommitRequired)) and leads back to phase C(reprotected) (active location C(Recovery), C(Protected))
    with C(lastPlannedFailoverStatus=Cancelled), which is what makes it done."
seealso:
  - module: dr.asr.failover
  - module: dr.asr.failover_commit
'''

EXAMPLES = r'''
- name: The on-premises site is not ready after all - cancel the failback
  dr.asr.failover_cancel:
    vault_name: rsv-dr-weu
    vault_resource_group: rg-dr
    items: [web-01, web-02]
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
from ansible_collections.dr.asr.plugins.module_utils._asr.actions import base, failover, run


def run_module(module):
    return run.run_action(module, failover.FailoverCancel(module.params))


def main():
    module = DrAsrModule(dict(base.TARGET_SPEC), uses=("asr_vault", "wait", "rounds"),
                         azure_libraries=("azure.mgmt.recoveryservicessiterecovery",),
                         mutually_exclusive=base.TARGET_EXCLUSIVE, required_one_of=base.TARGET_EXCLUSIVE)
    run.exit_action(module, run_module)


if __name__ == "__main__":
    main()
