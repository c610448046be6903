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
      module still returns it, with RV(protected_items[].error) set for the items that failed.
    - With O(recovery_plan), entries hold the members' state after the run; what the plan did is in
      RV(recovery_plan).
    - Each entry also holds the item's state after the run (state, active location, provider, failover
      recovery point, allowed operations, current job, ...), as in
      RV(dr.asr.test_failover#module:protected_items).
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
      sample: 127-0-0-1-6c4f..._5010c3d4-0000-4000-8000-00000000e001
    id:
      description: Id of the protected item.
      type: str
    kind:
      description: V(item).
      type: str
    action:
      description:
        - What the run did (in check mode, would do) - V(start) (started the action), V(attach) (the item was
          busy with a job of this action, started by an earlier run, which was awaited instead of starting another),
          V(after_job) (the item was busy with another job; the run waited for it, then decided again) or V(none)
          (already in the wanted state, see RV(protected_items[].reason)).
      type: str
      sample: start
    changed:
      description: Whether the run started the action for this item.
      type: bool
    reason:
      description: Why nothing was started (the state that makes the action done), or what was attached to.
      type: str
    phase:
      description:
        - The item's lifecycle phase after the run (see the state model in the notes) - V(initial_replication),
          V(protected), V(test_failover), V(test_failover_cleanup), V(failed_over), V(committed), V(reprotecting),
          V(reprotected), V(failed_back), V(failback_committed), V(failed), V(disabling) or V(unknown).
      type: str
      sample: test_failover
    job:
      description:
        - The job the run started or attached to, null when none - name, id, scenario, state (V(Succeeded),
          V(InProgress) with O(wait=false), V(Suspended) at a manual action), start and end time, its tasks
          (name, friendly_name, state, start_time, end_time) and errors. After a wait timeout it holds the tasks
          seen last.
      type: dict
    error:
      description: Why the item failed (code, message, possible causes, recommended action), null when it did not.
      type: dict
    diff:
      description: The item's state before and after (predicted in check mode and with O(wait=false)).
      type: dict
      sample: {before: {phase: protected, test_failover_state: None}, after: {phase: test_failover,
               test_failover_state: WaitingForCompletion}}
    warnings:
      description: Things worth knowing (for example, a job that waits at a manual action).
      type: list
      elements: str
      returned: when there are any
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
'''

from ansible_collections.dr.asr.plugins.module_utils._module import DrAsrModule
from ansible_collections.dr.asr.plugins.module_utils._asr import actions


def run_module(module):
    return actions.run_action(module, actions.FailoverCancel(module.params))


def main():
    module = DrAsrModule(dict(actions.TARGET_SPEC), uses=("asr_vault", "wait"),
                         azure_libraries=("azure.mgmt.recoveryservicessiterecovery",),
                         mutually_exclusive=actions.TARGET_EXCLUSIVE, required_one_of=actions.TARGET_EXCLUSIVE)
    actions.exit_action(module, run_module)


if __name__ == "__main__":
    main()
