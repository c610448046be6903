#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: failover
short_description: Fail VMs or a recovery plan over to Azure, or back to on-premises, with Azure Site Recovery
version_added: 1.0.0
description:
  - With O(direction=primary_to_recovery), ensures the protected items (or the recovery plan's members) run in Azure -
    an (unplanned) failover, optionally shutting the on-premises VMs down first so that their latest changes are
    replicated (O(shutdown_source)).
  - With O(direction=recovery_to_primary), ensures they run on-premises again - the failback, a planned failover of
    items reprotected to on-premises (provider C(InMageRcmFailback)) that shuts the Azure VMs down, synchronizes the
    latest changes and starts the on-premises VMs.
  - A failover must be committed afterwards (M(dr.asr.failover_commit)); before that its recovery point can change
    (M(dr.asr.failover_recovery_point)), and a failback can be canceled (M(dr.asr.failover_cancel)).
  - Requires O(confirm=true), also in check mode.
  - Idempotent by state - a VM that already runs where O(direction) leads is left alone; a rerun while the failover
    job runs waits for it instead of starting another.
  - Every item (or the plan) is checked before anything starts; one that cannot fail over in its state (a test
    failover is up, initial replication is not finished, the failover is not committed...) makes the module fail with
    its state, its allowed operations and what to do.
author:
  - dr.asr maintainers (@dr-asr)
options:
  confirm:
    description:
      - Must be V(true), also in check mode - a guard against failing production over by a mistaken variable. The
        module fails without it, naming this option.
    type: bool
    default: false
  direction:
    description:
      - V(primary_to_recovery) - fail over from on-premises to Azure.
      - V(recovery_to_primary) - fail back from Azure to on-premises (after M(dr.asr.reprotect) to on-premises).
    type: str
    choices: [primary_to_recovery, recovery_to_primary]
    default: primary_to_recovery
  type:
    description:
      - The failover type, V(unplanned) or V(planned). In the modernized experience a failover to Azure is unplanned
        and a failback planned (ASR offers nothing else); leave it unset, or set the one that fits O(direction).
    type: str
    choices: [unplanned, planned]
  recovery_point:
    description:
      - Failover to Azure - V(Latest) (processes the data not yet processed; lowest RPO), V(LatestProcessed)
        (lowest RTO), V(LatestApplicationConsistent), V(LatestCrashConsistent) (any case), or a recovery point of the
        item by name or id (items only). Defaults to ASR's default - V(Latest) for items (no point is sent),
        V(LatestProcessed) for a recovery plan (what Az PowerShell sends).
      - Failback - only the type of the point the latest changes are synchronized to - V(LatestCrashConsistent) (the
        default, as ASR recommends) or V(LatestApplicationConsistent).
    type: str
  recovery_point_time:
    description:
      - Instead of O(recovery_point) - the newest recovery point at or before this time (ISO 8601, or a duration before
        now such as V(30m)). Items only, failover to Azure only.
    type: str
  multi_vm_sync_point:
    description:
      - Use multi-VM sync points, so that the VMs of a multi-VM group fail over to the same instant (a recovery plan -
        ASR's C(useMultiVmSyncPoint); items - the newest multi-VM sync point all items of each group share).
    type: bool
  shutdown_source:
    description:
      - Failover to Azure - shut the on-premises VMs down first (guest shutdown, else power off) and replicate their
        latest changes (ASR's C(performShutdown); for a plan, C(sourceSiteOperations=Required)). The failover goes on
        when the shutdown fails (the site may be down). Defaults to V(true).
      - A failback always shuts the Azure VMs down first; V(false) is an error there.
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
    description: Reads and checks everything (allowed operations, recovery points) and predicts per item what would be
      done; starts nothing. O(confirm) is required in check mode too.
  diff_mode:
    support: full
    description: Returns the state of each changed target before and after (predicted in check mode).
  idempotent:
    support: full
    description: A VM already where O(direction) leads is left alone; a rerun while the job runs waits for it.
notes:
  - "State model (phases): C(protected) (replicating to Azure) --failover--> C(failed_over) (active location
    C(Recovery), commit pending) --commit--> C(committed) --reprotect--> C(reprotecting) --> C(reprotected)
    (C(InMageRcmFailback), replicating to on-premises) --failback--> C(failed_back) (active location C(Primary),
    commit pending; cancel possible) --commit--> C(failback_committed) --reprotect--> C(initial_replication) -->
    C(protected). A failover to Azure is done in phases C(failed_over) to C(reprotected); a failback in
    C(failed_back), C(failback_committed) and the phases of a VM that runs on-premises."
  - Only the modernized experience (provider C(InMageRcm)) is implemented.
  - A job that waits at a manual action of a recovery plan is reported with a warning; resume it with M(dr.asr.job).
seealso:
  - module: dr.asr.failover_commit
  - module: dr.asr.failover_recovery_point
  - module: dr.asr.failover_cancel
  - module: dr.asr.reprotect
  - module: dr.asr.recovery_point_info
'''

EXAMPLES = r'''
- name: Fail the shop over to Azure (shut the on-premises VMs down first, latest point)
  dr.asr.failover:
    vault_name: rsv-dr-weu
    vault_resource_group: rg-dr
    recovery_plan: rp-shop
    confirm: true

- name: Disaster - fail two VMs over to their newest app-consistent point, the site is gone
  dr.asr.failover:
    vault_name: rsv-dr-weu
    vault_resource_group: rg-dr
    items: [web-01, web-02]
    recovery_point: LatestApplicationConsistent
    shutdown_source: false
    confirm: true

- name: Fail back to on-premises once reprotected
  dr.asr.failover:
    vault_name: rsv-dr-weu
    vault_resource_group: rg-dr
    items: [web-01, web-02]
    direction: recovery_to_primary
    confirm: true
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
from ansible_collections.dr.asr.plugins.module_utils._errors import InputError
from ansible_collections.dr.asr.plugins.module_utils._asr.actions import base, failover, run
from ansible_collections.dr.asr.plugins.module_utils._asr.common import DIRECTIONS, FAILOVER_TYPES

ARGUMENT_SPEC = dict(
    confirm=dict(type="bool", default=False),
    direction=dict(type="str", choices=list(DIRECTIONS), default="primary_to_recovery"),
    type=dict(type="str", choices=["unplanned", "planned"]),
    recovery_point=dict(type="str"),
    recovery_point_time=dict(type="str"),
    multi_vm_sync_point=dict(type="bool"),
    shutdown_source=dict(type="bool"),
    **base.TARGET_SPEC
)


def check_options(params):
    """The confirmation, and the options that do not fit the direction (before any Azure call)."""
    base.require_confirmation(params, "confirm", "fail over")
    fitting = FAILOVER_TYPES[params["direction"]]
    if params["type"] and params["type"] != fitting:
        raise InputError("type", params["type"], "%s (or unset) for direction %s" % (fitting, params["direction"]),
                         hint="In the modernized experience a failover to Azure is unplanned and a failback planned.")
    if params["direction"] == "recovery_to_primary":
        if params["shutdown_source"] is False:
            raise InputError("shutdown_source", False, "unset or true for a failback",
                             hint="A failback always shuts the Azure VMs down before it synchronizes their changes.")
        if params["recovery_point_time"]:
            raise InputError("recovery_point_time", params["recovery_point_time"], "unset for a failback",
                             hint="A failback synchronizes the latest changes; it takes a recovery point type only.")


def run_module(module):
    check_options(module.params)
    return run.run_action(module, failover.Failover(module.params))


def main():
    module = DrAsrModule(ARGUMENT_SPEC, uses=("asr_vault", "wait", "rounds"),
                         azure_libraries=("azure.mgmt.recoveryservicessiterecovery",),
                         mutually_exclusive=base.TARGET_EXCLUSIVE + [["recovery_point", "recovery_point_time"]],
                         required_one_of=base.TARGET_EXCLUSIVE)
    run.exit_action(module, run_module)


if __name__ == "__main__":
    main()
