#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: recovery_plan
short_description: Create, update or delete an Azure Site Recovery recovery plan for replicated VMware VMs
version_added: 1.0.0
description:
  - Ensures a recovery plan exists with the given boot groups of replicated VMs and the actions to run before
    and after each group, or that it does not exist.
  - A recovery plan fails VMs over in order - group 1 first, the VMs of a group in parallel - and stops at
    manual actions until they are resumed. Every plan has a Shutdown group and a Failover group (ASR creates
    them; they hold no VMs, only actions - O(shutdown_group), O(failover_group)), then the boot groups O(groups).
  - Members are named by VM name (O(groups[].vms)) or by protected item name or id (O(groups[].items)); they must
    be replicated VMs (see M(dr.asr.protected_item)) of the vault, all of one fabric (the plan's primary fabric,
    the replication appliance's). The recovery side is always C(Microsoft Azure) (Resource Manager).
  - "Compared in the options' terms, not list positions: ASR always answers the groups as Shutdown, Failover, then
    the boot groups, and ids in its own casing. The boot groups are compared in order, the members of a group as a
    set (their order in a group does not matter: ASR starts them in parallel), the actions of a group in order,
    ids without regard to case and timeouts as durations (C(PT30M) is C(PT0H30M0S)). A rerun with the same options
    writes nothing."
  - Only options that are set are compared. A group that is given is described whole - its members and its
    O(groups[].pre_actions) and O(groups[].post_actions) (unset lists mean none); O(groups) lists every boot group
    of the plan.
  - ASR's limits are checked before anything is written, naming the option - at most 100 protected items per plan,
    an item once per plan, members of the plan's primary fabric; an unknown VM lists close matches. Problems of all
    members are reported together.
  - Creating, updating (the whole groups list) and deleting run as ASR jobs (C(SaveRecoveryPlan) for a create or
    an update, C(DeleteRecoveryPlan)); the module waits for the job with one GET per poll. A rerun while
    such a job of the plan still runs (an earlier, interrupted run) waits for that job instead of writing again.
author:
  - dr.asr maintainers (@dr-asr)
options:
  name:
    description:
      - Name of the recovery plan in the vault (case-insensitive when looked up).
      - With O(state=present), 1 to 260 characters, ASCII letters, digits, hyphens, underscores and dots, starting
        with a letter or a digit and not ending with a dot; any other name (a space, a slash, a letter outside ASCII)
        fails the module before it sends a request.
    type: str
    required: true
  groups:
    description:
      - The boot groups of the plan, in failover order (group 1 first). Every boot group of the plan; a group
        left out is removed, an empty list leaves the plan with no boot group.
      - Unset leaves the plan's boot groups as they are (for a new plan, none).
    type: list
    elements: dict
    suboptions:
      vms:
        description:
          - Replicated VMs of the group by VM name (as vCenter names them, case-sensitive).
        type: list
        elements: str
      items:
        description:
          - Replicated VMs of the group by protected item name or ARM id (case-insensitive), for example to tell
            apart two VMs of the same name.
        type: list
        elements: str
      pre_actions:
        description: Actions that run before the group fails over, in order. See O(shutdown_group.pre_actions).
        type: list
        elements: dict
        suboptions: &actions
          name:
            description:
              - Name of the action, shown in the plan's job.
            type: str
            required: true
          type:
            description:
              - V(manual) stops the plan's job until it is resumed (the job is C(Suspended) meanwhile),
                V(script) runs a script on the primary or recovery side, V(runbook) runs an Azure Automation runbook.
            type: str
            required: true
            choices: [manual, script, runbook]
          description:
            description:
              - The instructions of a V(manual) action.
            type: str
          path:
            description:
              - The script of a V(script) action (required for it).
            type: str
          runbook_id:
            description:
              - ARM id of the Azure Automation runbook of a V(runbook) action (required for it).
            type: str
          fabric_location:
            description:
              - Where a V(script) or V(runbook) action runs. Defaults to V(Recovery).
            type: str
            choices: [Primary, Recovery]
          timeout:
            description:
              - How long a V(script) or V(runbook) action may run - minutes (V(30)) or an ISO 8601 duration
                (V(PT30M)). Unset is not compared (ASR may apply its own default).
            type: str
          failover_types:
            description:
              - The plan operations the action runs for.
            type: list
            elements: str
            choices: [TestFailover, PlannedFailover, UnplannedFailover]
            default: [TestFailover, PlannedFailover, UnplannedFailover]
          failover_directions:
            description:
              - The failover directions the action runs for - V(PrimaryToRecovery) (VMware to Azure),
                V(RecoveryToPrimary) (failback to VMware).
            type: list
            elements: str
            choices: [PrimaryToRecovery, RecoveryToPrimary]
            default: [PrimaryToRecovery]
      post_actions:
        description: Actions that run after the group failed over, in order. See O(shutdown_group.pre_actions).
        type: list
        elements: dict
        suboptions: *actions
  shutdown_group:
    description:
      - The actions of the plan's Shutdown group, which runs first (it shuts the source VMs down for a planned
        failover, or for a failover that asks for it). Unset leaves them as they are.
    type: dict
    suboptions:
      pre_actions:
        description:
          - Actions that run before the group, in order. Unset means none when the group is given.
        type: list
        elements: dict
        suboptions: *actions
      post_actions:
        description:
          - Actions that run after the group, in order. Unset means none when the group is given.
        type: list
        elements: dict
        suboptions: *actions
  failover_group:
    description:
      - The actions of the plan's Failover group, which runs after the Shutdown group and before boot group 1.
        Unset leaves them as they are.
    type: dict
    suboptions:
      pre_actions:
        description:
          - Actions that run before the group, in order. Unset means none when the group is given.
        type: list
        elements: dict
        suboptions: *actions
      post_actions:
        description:
          - Actions that run after the group, in order. Unset means none when the group is given.
        type: list
        elements: dict
        suboptions: *actions
  state:
    description:
      - V(present) creates or updates the plan; V(absent) deletes it.
      - Deleting a plan does not affect replication - its VMs go on replicating and can be failed over one by one
        or through another plan - so it needs no confirmation. ASR refuses it while a job of the plan runs. After a
        failover of the plan that is not committed yet, the commit (and the reprotect) is then done per VM.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - dr.asr.azure
  - dr.asr.asr_vault
  - dr.asr.wait
  - dr.asr.wait_rounds
attributes:
  check_mode:
    support: full
    description: Reports what would change, with the predicted plan, after the same checks, without writing.
  diff_mode:
    support: full
    description: Returns the plan before and after in the options' terms (boot groups with their VM names, actions).
  idempotent:
    support: full
    description: A second run with the same options makes no write.
notes:
  - A VM can belong to several recovery plans, but to one group of a plan.
  - Call budget per run - the vault's recovery plans and protected items are each listed once (fabrics too, for a new
    plan without members); a write and its job's polls (one GET each) only when something differs; a job list only
    then, to find a write of the plan an earlier run left running.
  - A plan busy with another job (a test failover, a failover waiting at a manual action) is not changed; the
    module fails naming the job rather than waiting for a drill.
  - Script actions are what ASR's API offers; the Azure portal offers scripts for Hyper-V (VMM) sites only, and Azure
    Automation runbooks for VMware sites, and Microsoft documents that scripts and runbooks do not run on failback
    (V(RecoveryToPrimary)) of VMware VMs. The dr.asr lab simulates all three kinds in both directions.
seealso:
  - module: dr.asr.recovery_plan_info
  - module: dr.asr.protected_item
  - module: dr.asr.job_info
  - name: About recovery plans
    description: Microsoft's overview (groups, actions, limits).
    link: https://learn.microsoft.com/azure/site-recovery/recovery-plan-overview
'''

EXAMPLES = r'''
- name: A three-tier plan - database first, then the application tier after a manual check, then the web tier
  dr.asr.recovery_plan:
    vault_name: rsv-dr-weu
    vault_resource_group: rg-dr
    name: rp-shop
    groups:
      - vms: [db-pg-01]
      - vms: [app-api-01, app-batch-01]
        pre_actions:
          - name: check-replication-lag
            type: manual
            description: Check replication lag of db-pg-01 in the portal (RPO under 5 minutes) before the app tier starts.
      - vms: [web-01, web-02]
        post_actions:
          - name: warm-cache
            type: script
            path: /opt/dr/warm-cache.sh
            fabric_location: Recovery
            timeout: 15
            failover_types: [TestFailover, UnplannedFailover]

- name: Notify by runbook once everything failed over (and leave the boot groups as they are)
  dr.asr.recovery_plan:
    vault_name: rsv-dr-weu
    vault_resource_group: rg-dr
    name: rp-shop
    failover_group:
      post_actions:
        - name: notify
          type: runbook
          # /subscriptions/<id>/resourceGroups/rg-dr/providers/Microsoft.Automation/automationAccounts/aa-dr
          runbook_id: "{{ automation_account_id }}/runbooks/notify-teams"
          fabric_location: Recovery
          timeout: PT10M

- name: Delete the plan (replication of its VMs goes on)
  dr.asr.recovery_plan:
    vault_name: rsv-dr-weu
    vault_resource_group: rg-dr
    name: rp-shop
    state: absent
'''

RETURN = r'''
recovery_plan:
  description:
    - The plan after the change (predicted in check mode and with O(wait=false)), as
      RV(dr.asr.recovery_plan_info#module:recovery_plans) returns it; empty after deletion.
  returned: always
  type: dict
  sample:
    id: "/Subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-dr/providers\
      /Microsoft.RecoveryServices/vaults/rsv-dr-weu/replicationRecoveryPlans/rp-shop"
    name: rp-shop
    primary_fabric: rsv-dr-weu1234replicationfabric
    recovery_fabric: Microsoft Azure
    item_count: 5
    groups:
      - group: 1
        vms: [db-pg-01]
        members: [{vm_name: db-pg-01, item_name: "10-0-0-5-4f1c..._5010c3d4-0000-4000-8000-00000000e021", id: "..."}]
        pre_actions: []
        post_actions: []
    shutdown_group: {pre_actions: [], post_actions: []}
    failover_group: {pre_actions: [], post_actions: []}
jobs:
  description: Names of the ASR jobs this run started or waited for (see M(dr.asr.job_info)).
  returned: always
  type: list
  elements: str
  sample: [3f1c2d4e-8a9b-4c1d-9e2f-0a1b2c3d4e5f]
diff:
  description:
    - The plan before and after in the options' terms - C(before.groups) and C(after.groups) with the
      VM names of each boot group (sorted) and its actions, and the Shutdown and Failover groups' actions. Empty
      before a creation and after a deletion.
    - C(after) is the plan as the module sends it (the same in check mode); RV(recovery_plan) is ASR's answer
      after the job (which may spell values its own way, for example a timeout C(PT15M) as C(PT0H15M0S)).
  returned: always
  type: dict
  sample:
    before: {name: rp-shop, groups: [{vms: [db-pg-01], pre_actions: [], post_actions: []},
                                     {vms: [app-api-01, web-01], pre_actions: [], post_actions: []}]}
    after: {name: rp-shop, groups: [{vms: [db-pg-01], pre_actions: [], post_actions: []},
                                    {vms: [app-api-01], pre_actions: [], post_actions: []},
                                    {vms: [web-01], pre_actions: [], post_actions: []}]}
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

from ansible_collections.dr.asr.plugins.module_utils._module import DrAsrModule, run
from ansible_collections.dr.asr.plugins.module_utils._asr import common, plans
from ansible_collections.dr.asr.plugins.module_utils._asr.tracker import JobTracker

ARGUMENT_SPEC = plans.ARGUMENT_SPEC


def read(vault, params):
    """(plan REST dict or None, the protected items the options resolve against: plans.item_index)."""
    plan = plans.find(vault, params["name"])
    return plan, plans.item_index(vault, plan, params)


def plan_present(vault, params):
    """What to do: the write (create/update/None), the groups it sends, before and after."""
    name = params["name"]
    plan, index = read(vault, params)
    want = plans.resolve(params, plan, index, vault)
    parts = plans.changes(plan, want)
    groups = plans.body_groups(plan, want)
    write = "create" if plan is None else ("update" if parts else None)
    fabric_id = want["fabric_id"]
    before = plans.view(plan["name"], plan["properties"].get("groups"), index) if plan else {}
    if write is None:
        return dict(plan=plan, index=index, write=None, groups=groups, fabric_id=fabric_id, changed=False,
                    before=before, after=before, facts=plans.plan_facts(plan, index))
    after = plans.predicted(plan, name, fabric_id, groups)
    return dict(plan=plan, index=index, write=write, groups=groups, fabric_id=fabric_id, changed=True,
                before=before, after=plans.view(after["name"], groups, index), facts=plans.plan_facts(after, index))


def attach(tracker, plan, name):
    """Before a write: a plan busy with another job is an error; a create/update/delete of the plan still running
    (an earlier, interrupted run) is waited for. Returns the jobs waited for, or None with wait=false."""
    plans.check_idle(plan)

    def own_writes_only(running):
        for job in running:
            if job.get("scenario") not in plans.WRITE_SCENARIOS:
                raise plans.busy_error(name, job["name"], job.get("scenario"), job.get("state"), job.get("start_time"))
    return tracker.attach([(name, plans.TARGET_TYPE)], "recovery plan %s" % name, check=own_writes_only)


def apply_present(tracker, params, plan):
    name = plan["plan"]["name"] if plan["plan"] else params["name"]
    if plan["write"] == "create":
        job = plans.start(tracker, "create", name, plans.create_body(plan["fabric_id"], plan["groups"]))
    else:
        job = plans.start(tracker, "update", name, plans.update_body(plan["groups"]))
    jobs = [job] if job else []
    if params["wait"]:
        verb = "creation" if plan["write"] == "create" else "update"
        tracker.wait_names(jobs, "%s of recovery plan %s" % (verb, name))
    return jobs


def ensure_present(module, tracker, params):
    vault, name = tracker.vault, params["name"]
    plan = plan_present(vault, params)
    jobs = []
    if plan["changed"] and not module.check_mode:
        attached = attach(tracker, plan["plan"], name)
        if attached is None:
            return dict(changed=False, recovery_plan=plans.plan_facts(plan["plan"], plan["index"]) if plan["plan"] else {},
                        jobs=[], diff=dict(before=plan["before"], after=plan["before"]))
        if attached:
            jobs += attached
            plan = plan_present(vault, params)
        if plan["changed"]:
            jobs += apply_present(tracker, params, plan)
            if params["wait"]:
                vault.forget("plans")
                done = plans.find(vault, name)
                if done is None:
                    raise plans.not_listed(name)
                plan["facts"] = plans.plan_facts(done, plan["index"])
    return dict(changed=plan["changed"], recovery_plan=plan["facts"], jobs=jobs,
                diff=dict(before=plan["before"], after=plan["after"]))


def ensure_absent(module, tracker, params):
    vault, name = tracker.vault, params["name"]
    plan, index = read(vault, params)
    jobs = []
    if plan is not None and not module.check_mode:
        attached = attach(tracker, plan, name)
        if attached is None:
            before = plans.view(plan["name"], plan["properties"].get("groups"), index)
            return dict(changed=False, recovery_plan=plans.plan_facts(plan, index), jobs=[],
                        diff=dict(before=before, after=before))
        if attached:
            jobs += attached
            plan, index = read(vault, params)
    if plan is None:
        return dict(changed=False, recovery_plan={}, jobs=jobs, diff=dict(before={}, after={}))
    before = plans.view(plan["name"], plan["properties"].get("groups"), index)
    if not module.check_mode:
        job = plans.start(tracker, "delete", plan["name"])
        if job:
            jobs.append(job)
            if params["wait"]:
                tracker.wait_names([job], "deletion of recovery plan %s" % name)
    return dict(changed=True, recovery_plan={}, jobs=jobs, diff=dict(before=before, after={}))


def run_module(module):
    params = module.params
    if params["state"] == "present":
        common.check_name("name", params["name"], "recovery plan")
        plans.check_limits(params)   # ASR's limits on the options alone: before any read
    tracker = JobTracker(module.asr_vault(), params, module.warn)
    if params["state"] == "absent":
        result = ensure_absent(module, tracker, params)
    else:
        result = ensure_present(module, tracker, params)
    return dict(result, progress=tracker.progress())


def main():
    run(lambda: DrAsrModule(ARGUMENT_SPEC, uses=("asr_vault", "wait", "rounds"),
                            azure_libraries=("azure.mgmt.recoveryservices", "azure.mgmt.recoveryservicessiterecovery")),
        run_module)


if __name__ == "__main__":
    main()
