#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: test_failover
short_description: Run or clean up an Azure Site Recovery test failover (DR drill) of VMs or a recovery plan
version_added: 1.0.0
description:
  - With O(state=present), ensures a test failover (a DR drill) of the protected items or the recovery plan is up - a
    test VM per item in an isolated test network, from the chosen recovery point, while replication goes on.
  - With O(state=absent), ensures none is - cleans up the test failover (deletes the test VMs, NICs and disks).
  - Idempotent by state - a rerun after success starts nothing; a rerun while the same job runs (for example after an
    interrupted run, or with O(wait=false) before) waits for that job instead of starting another.
  - Every item (or the plan) is checked before anything starts; one that cannot have the drill makes the module fail
    with its state, its allowed operations and what to do (for example, an item that is failed over).
author:
  - dr.asr maintainers (@dr-asr)
options:
  state:
    description:
      - V(present) - a test failover is up (the items' C(testFailoverState) is C(WaitingForCompletion)).
      - V(absent) - no test failover is (C(testFailoverState) C(None)); an item in a running test failover is waited
        for, then cleaned up.
    type: str
    choices: [present, absent]
    default: present
  network:
    description:
      - The isolated virtual network (name, or id) the test VMs come up in. A name is looked up in the item's target
        resource group. Defaults to the item's test network (O(dr.asr.protected_item#module:test_network)); for a
        recovery plan, to each member's test network.
      - Must exist, must not be the item's recovery network and must not be peered with it (a peering on either
        network, in any state) - test VMs start with production's names and addresses. Checked for every item (of a
        plan, every member, also for their own test networks when O(network) is not given) before anything starts;
        each item's problem is in RV(ignore:error.details) (C(vm), C(problem)).
    type: str
  subnet:
    description:
      - Subnet of the test network for the items' failover NICs. When it differs from the items' test subnet, the
        items are updated first (an C(UpdateVmProperties) job the module waits for, even with O(wait=false)) - that
        also makes O(network) the items' test network. Not with O(recovery_plan).
    type: str
  recovery_point:
    description:
      - The recovery point the test VMs start from - V(Latest) (processes the data not yet processed; lowest RPO, as ASR
        does when no point is given), V(LatestProcessed) (the newest processed point; lowest RTO), V(LatestApplicationConsistent),
        V(LatestCrashConsistent) (any case), or a recovery point of the item by name or id
        (M(dr.asr.recovery_point_info) lists them).
      - A given point is per item; a recovery plan takes the four keywords only. Defaults to ASR's choice (V(Latest)
        for items, V(LatestProcessed) for a recovery plan).
    type: str
  recovery_point_time:
    description:
      - Instead of O(recovery_point) - the newest recovery point at or before this time (ISO 8601, or a duration
        before now such as V(2h)). Items only.
    type: str
  multi_vm_sync_point:
    description:
      - Use multi-VM sync points, so that the VMs of a multi-VM group (O(dr.asr.protected_item#module:multi_vm_group))
        start from the same instant. For a recovery plan, ASR's C(useMultiVmSyncPoint); for items, the newest
        multi-VM sync point all items of each group share (of the type O(recovery_point) names).
    type: bool
  comments:
    description: Comments recorded with the cleanup (O(state=absent)); the drill's findings, for example.
    type: str
  resume_cleanup:
    description:
      - With O(state=present) - when every target is being cleaned up (its C(TestFailoverCleanup) job runs, for
        example after a drill that was interrupted during its cleanup), wait for those cleanups and start nothing
        (RV(protected_items[].action) V(attach), RV(protected_items[].job) the cleanup job).
      - V(false) (or a target that is not being cleaned up) - a running cleanup is waited for, then the test failover
        starts (RV(protected_items[].action) V(after_job)).
    type: bool
    default: false
  wait_resume:
    description:
      - Set by the waiting action (O(wait_round)) on the rounds after the first, never by hand - the cleanup jobs an
        earlier round attached to with O(resume_cleanup); the later rounds only wait for them.
    type: dict
extends_documentation_fragment:
  - dr.asr.azure
  - dr.asr.asr_vault
  - dr.asr.asr_action_target
  - dr.asr.wait
  - dr.asr.wait_rounds
attributes:
  check_mode:
    support: full
    description: Reads and checks everything (allowed operations, network, recovery points) and predicts per item what
      would be done; starts nothing.
  diff_mode:
    support: full
    description: Returns the state of each changed target before and after (predicted in check mode).
  idempotent:
    support: full
    description: A rerun after success starts nothing; a rerun while the job runs waits for it.
notes:
  - "State model: an item replicating to Azure (phase C(protected)) allows a test failover; once its test VM runs, it
    is in phase C(test_failover) (C(testFailoverState=WaitingForCompletion), allowed operations C(TestFailoverCleanup)
    only) until the cleanup, which ends in phase C(protected) again with C(lastSuccessfulTestFailoverTime) set. While a
    drill is up, a failover, a disable or a second drill is refused - clean up first."
  - A job that waits at a manual action of a recovery plan is reported with a warning; resume it with M(dr.asr.job).
  - Call budget per run - the vault's protected items (and recovery plans with O(recovery_plan)) listed once, each
    distinct test network read once (a recovery network too, for the peerings on its side, unless the test network has
    a peering to it), one recovery point list per item when a point is chosen by type, time or name; one
    POST per item (or one for the plan); per poll one job list (one job GET when there is a single job).
seealso:
  - module: dr.asr.recovery_point_info
  - module: dr.asr.job
  - module: dr.asr.protected_item_info
'''

EXAMPLES = r'''
- name: Drill two VMs in the isolated test network, from their latest app-consistent point
  dr.asr.test_failover:
    vault_name: rsv-dr-weu
    vault_resource_group: rg-dr
    items: [web-01, web-02]
    network: vnet-dr-test
    recovery_point: LatestApplicationConsistent
  register: drill

- name: Drill a whole recovery plan (its groups in order)
  dr.asr.test_failover:
    vault_name: rsv-dr-weu
    vault_resource_group: rg-dr
    recovery_plan: rp-shop
    network: vnet-dr-test

- name: Start a drill of a big plan and return at once; a rerun with wait attaches to the running job
  dr.asr.test_failover:
    vault_name: rsv-dr-weu
    vault_resource_group: rg-dr
    recovery_plan: rp-shop
    wait: false

- name: Clean up after checking the test VMs
  dr.asr.test_failover:
    vault_name: rsv-dr-weu
    vault_resource_group: rg-dr
    items: [web-01, web-02]
    state: absent
    comments: "Drill 2026-Q4: shop answered on the test network in 7 minutes"
'''

RETURN = r'''
protected_items:
  description:
    - One entry per protected item, in the order given (with O(recovery_plan), the plan's members). On failure the
      module still returns it, with RV(protected_items[].error) set for the items that failed.
    - With O(recovery_plan), entries hold the members' state after the run; what the plan did is in
      RV(recovery_plan).
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
    state:
      description: Protection state (C(protectionState)).
      type: str
      sample: Protected
    state_description:
      description: ASR's description of the state.
      type: str
    active_location:
      description: Where the VM runs - V(Primary) (on-premises) or V(Recovery) (Azure).
      type: str
    test_failover_state:
      description: Test failover state (V(None), V(WaitingForCompletion), V(MarkedForDeletion)).
      type: str
    provider:
      description: Replication provider - C(InMageRcm) (to Azure) or C(InMageRcmFailback) (to on-premises).
      type: str
    failover_recovery_point:
      description: Name of the recovery point the failed-over VM runs on, null when not failed over.
      type: str
    failover_recovery_point_id:
      description: Id of that recovery point.
      type: str
    last_successful_failover_time:
      description: When the item last failed over (or back).
      type: str
    last_successful_test_failover_time:
      description: When the item's last cleaned-up test failover ran.
      type: str
    last_planned_failover_status:
      description: Outcome of the last failback (V(Succeeded), V(Cancelled)...), for items reprotected to on-premises.
      type: str
    reprotect_agent:
      description: The appliance whose reprotect agent replicates the item to on-premises (after a reprotect).
      type: str
    datastore:
      description: The datastore the item is recovered to on-premises (after a reprotect).
      type: str
    log_storage_account_id:
      description: The log storage account of the reprotect to on-premises.
      type: str
    replication_health:
      description: Replication health (V(Normal), V(Warning), V(Critical)).
      type: str
    allowed_operations:
      description: The operations ASR allows on the item now (C(allowedOperations)).
      type: list
      elements: str
      sample: [TestFailoverCleanup]
    current_job:
      description: The job the item is busy with (name, scenario, start_time), null when idle.
      type: dict
    job:
      description:
        - The job the run started or attached to, null when none - name, id, scenario, state (V(Succeeded),
          V(InProgress) with O(wait=false), V(Suspended) at a manual action), start and end time, its tasks
          (name, friendly_name, state, start_time, end_time) and errors, its friendly_name and custom_details (the
          recovery point each item used, as ASR reports it). After a wait timeout it holds the tasks seen last.
      type: dict
    error:
      description: Why the item failed (code, message, possible causes, recommended action), null when it did not.
      type: dict
    diff:
      description: The item's state before and after (predicted in check mode and with O(wait=false)).
      type: dict
      sample: {before: {phase: protected, test_failover_state: None}, after: {phase: test_failover,
               test_failover_state: WaitingForCompletion}}
    test_network_id:
      description: The network the item's test VM comes up in (O(network), else the item's test network).
      type: str
    recovery_point:
      description: The recovery point the run chose for the item (name, id, time, type, age_seconds,
        multi_vm_sync_point), when it chose one (a point given by name, time or type).
      type: dict
      returned: when a point was chosen
    update_job:
      description:
        - The C(UpdateVmProperties) job that gave the item's NICs O(dr.asr.test_failover#module:subnet) before the
          drill (null in check mode, where the update is only predicted).
      type: dict
      returned: when the item's test subnet had to change first
    warnings:
      description: Things worth knowing (for example, a job that waits at a manual action).
      type: list
      elements: str
      returned: when there are any
recovery_plan:
  description:
    - With O(recovery_plan) - the plan (name, id, kind V(recovery_plan), allowed_operations, current_scenario,
      current_scenario_status, its members as RV(protected_items), its boot groups in order as C(groups) - C(group)
      number and C(vms) names) and what the run did (action, changed, reason, job, error, diff); null otherwise.
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

from ansible_collections.dr.asr.plugins.module_utils._errors import WaitTimeout
from ansible_collections.dr.asr.plugins.module_utils._module import DrAsrModule
from ansible_collections.dr.asr.plugins.module_utils._asr import pipeline
from ansible_collections.dr.asr.plugins.module_utils._asr.actions import base, drill, run

ARGUMENT_SPEC = dict(
    state=dict(type="str", choices=["present", "absent"], default="present"),
    network=dict(type="str"),
    subnet=dict(type="str"),
    recovery_point=dict(type="str"),
    recovery_point_time=dict(type="str"),
    multi_vm_sync_point=dict(type="bool"),
    comments=dict(type="str"),
    resume_cleanup=dict(type="bool", default=False),
    wait_resume=dict(type="dict"),
    **base.TARGET_SPEC
)


def run_module(module):
    params = module.params
    work = drill.DrillRun(module.asr_vault(), params, drill.TestFailover(params), module.warn)
    try:
        result = pipeline.run(work, module.check_mode, params["wait"])
    except WaitTimeout as err:
        drill.drill_facts(work, err.partial)
        if isinstance(err.partial, dict) and work.resume_state():
            err.partial["wait_resume"] = work.resume_state()
        raise
    result = drill.drill_facts(work, result)
    if isinstance(result, dict) and work.resume_state():
        result["wait_resume"] = work.resume_state()
    return result


def main():
    module = DrAsrModule(ARGUMENT_SPEC, uses=("asr_vault", "wait", "rounds"),
                         azure_libraries=("azure.mgmt.recoveryservicessiterecovery", "azure.mgmt.network"),
                         mutually_exclusive=base.TARGET_EXCLUSIVE + [["recovery_point", "recovery_point_time"]],
                         required_one_of=base.TARGET_EXCLUSIVE)
    run.exit_action(module, run_module)


if __name__ == "__main__":
    main()
