#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: job
short_description: Wait for, cancel, restart or resume an Azure Site Recovery job
version_added: 1.0.0
description:
  - Acts on one ASR job - the one named (O(name)), or the current job of a protected item (O(item)) or of a recovery
    plan (O(recovery_plan)) - and waits for it.
  - V(wait) waits until the job ends (or stops at a manual action); V(cancel) cancels a running or suspended job;
    V(restart) restarts a failed job; V(resume) resumes a recovery plan job suspended at a manual action (the
    operator did what the action asks).
  - Idempotent by the job's state and allowed actions - cancel of a finished job, resume of a job that is not
    suspended, restart of a job that did not fail change nothing (RV(reason) says why).
author:
  - dr.asr maintainers (@dr-asr)
options:
  name:
    description:
      - The job, by name (a GUID, as RV(dr.asr.test_failover#module:protected_items[].job) returns it) or id.
      - One of O(name), O(item) and O(recovery_plan) is required.
    type: str
  item:
    description:
      - A protected item (VM name, item name or id) - its current job (C(currentScenario)), else its newest job.
      - A recovery plan job that includes the item is its current job while it runs.
    type: str
  recovery_plan:
    description:
      - A recovery plan (name or id) - its current job, or the last one it ran (C(currentScenario)).
    type: str
  action:
    description:
      - V(wait) - wait for the job (with O(wait=false), just return it).
      - V(cancel) - cancel it when it runs or is suspended.
      - V(restart) - restart it when it failed (ASR restarts it from the failed step, with a C(RestartJob) job).
      - V(resume) - resume it when it is suspended at a manual action.
    type: str
    choices: [wait, cancel, restart, resume]
    default: wait
  comments:
    description: Comments recorded with a V(resume) (what the operator checked).
    type: str
  wait_resume:
    description:
      - Set by the waiting action (O(wait_round)) on the rounds after the first, never by hand - the first round
        did the O(action) already, the later ones only wait for the job.
    type: dict
extends_documentation_fragment:
  - dr.asr.azure
  - dr.asr.asr_vault
  - dr.asr.wait
  - dr.asr.wait_rounds
attributes:
  check_mode:
    support: full
    description: Reads the job and predicts whether the action would change it; changes nothing.
  diff_mode:
    support: full
    description: Returns the job's state before and after the action.
  idempotent:
    support: full
    description: An action the job's state does not call for changes nothing.
notes:
  - With O(wait=true) the module fails when the job it waited for ends C(Failed) (or C(Cancelled), unless
    O(action=cancel)), with the job's error, tasks and errors in RV(job). A job that stops at another manual action is
    returned with a warning.
  - The wait stops at a suspended job; resume it (O(action=resume)) to go on.
seealso:
  - module: dr.asr.job_info
  - module: dr.asr.test_failover
  - module: dr.asr.failover
'''

EXAMPLES = r'''
- name: Wait for the drill a previous task started with wait=false
  dr.asr.job:
    vault_name: rsv-dr-weu
    vault_resource_group: rg-dr
    recovery_plan: rp-shop
    wait_timeout: 7200

- name: The application owner confirmed the database - resume the plan's failover
  dr.asr.job:
    vault_name: rsv-dr-weu
    vault_resource_group: rg-dr
    recovery_plan: rp-shop
    action: resume
    comments: "DB checked by the DBA on call"

- name: Restart a failed job
  dr.asr.job:
    vault_name: rsv-dr-weu
    vault_resource_group: rg-dr
    name: 3f1c2d4e-8a9b-4c1d-9e2f-0a1b2c3d4e5f
    action: restart
'''

RETURN = r'''
job:
  description:
    - The job after the action (and the wait), as M(dr.asr.job_info) returns jobs - name, id, scenario, friendly_name,
      state, start and end time, allowed_actions, target, its tasks (a suspended one is the manual action waited
      at) and errors. Null when the item or plan has no job.
  returned: always
  type: dict
action:
  description: The action asked for.
  returned: always
  type: str
  sample: resume
reason:
  description: Why the action changed nothing (the job's state), null when it acted.
  returned: always
  type: str
  sample: "Job 3f1c... is Succeeded: nothing to cancel (it is not running any more; allowed actions: none)."
source:
  description: Which job it is (the named job, the current or latest job of the item or plan).
  returned: always
  type: str
  sample: the current job of recovery plan rp-shop
restart_job:
  description: Name of the C(RestartJob) job ASR answered a restart with, when it named one.
  returned: always
  type: str
diff:
  description: The job's state before and after.
  returned: always
  type: dict
  sample: {before: {state: Suspended}, after: {state: InProgress}}
progress:
  description:
    - Where the jobs of the run are, as its last look saw them - how many ended of how many, and for each running
      job its target, step and current task; C(summary) says what the run waits for after its jobs (for example
      initial replication).
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
rounds:
  description: How many module runs (rounds of O(wait_round) seconds) the task took.
  returned: always
  type: int
  sample: 1
'''

from ansible_collections.dr.asr.plugins.module_utils._module import DrAsrModule
from ansible_collections.dr.asr.plugins.module_utils._errors import DrAsrError, WaitTimeout
from ansible_collections.dr.asr.plugins.module_utils._asr import jobcontrol

ARGUMENT_SPEC = dict(
    name=dict(type="str"),
    item=dict(type="str"),
    recovery_plan=dict(type="str"),
    action=dict(type="str", choices=["wait", "cancel", "restart", "resume"], default="wait"),
    comments=dict(type="str"),
    wait_resume=dict(type="dict"),
)
WHICH = ["name", "item", "recovery_plan"]


def main():
    module = DrAsrModule(ARGUMENT_SPEC, uses=("asr_vault", "wait", "rounds"),
                         azure_libraries=("azure.mgmt.recoveryservicessiterecovery",),
                         mutually_exclusive=[WHICH], required_one_of=[WHICH])
    with module.guard():
        control(module)


def control(module):
    try:
        result = jobcontrol.control_job(module)
    except WaitTimeout as err:
        module.fail_from(err, changed=(err.partial or {}).get("changed", False))
        return
    except DrAsrError as err:
        module.fail_from(err)
        return
    error, warning = jobcontrol.job_outcome(result, module.params["action"], module.params["wait"] and not module.check_mode)
    if warning:
        module.warn(warning)
    if error is not None:
        module.fail_from(error, **result)
        return
    module.exit_json(**result)


if __name__ == "__main__":
    main()
