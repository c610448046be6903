#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: job_info
short_description: Find Azure Site Recovery jobs of a vault, with their tasks and errors
version_added: 0.1.0
description:
  - Returns the ASR jobs of a Recovery Services vault by name or id, or those matching a target (protected item,
    recovery plan, policy...), states, scenarios and a time window, each with its tasks and errors.
  - The time window, a single state and a single target type go to the service as its C($filter) (the
    clauses Az PowerShell's Get-AzRecoveryServicesAsrJob sends); ASR cannot filter by target, several states or
    scenario, so those are matched on the listed jobs, as Az PowerShell does.
  - One vault-wide job list (paged), or one GET with O(name); with O(target), one list of protected items and
    one of recovery plans to know the target's friendly name and ASR's internal id.
author:
  - dr.asr maintainers (@dr-asr)
options:
  name:
    description:
      - The job's name (a GUID) or id. Other options then filter that one job.
    type: str
  target:
    description:
      - Only jobs on this object, by name or id - a protected item (its name, VM friendly name or id), a
        recovery plan, a replication policy, a container mapping, a fabric...
    type: str
  target_types:
    description:
      - Only jobs on objects of these ASR types, for example C(ProtectionEntity) (protected items),
        C(RecoveryPlan), C(ProtectionProfile) (policies), C(ProtectionContainerMapping), C(Fabric).
    type: list
    elements: str
  states:
    description:
      - Only jobs in these states.
    type: list
    elements: str
    choices: [NotStarted, InProgress, Succeeded, Failed, Cancelled, Suspended, Other]
  scenarios:
    description:
      - Only jobs of these scenarios, by scenario name (for example C(TestFailover), C(AddProtectionProfile))
        or friendly name (C(Test failover)); case-insensitive, shell-style globs allowed.
    type: list
    elements: str
  since:
    description:
      - Only jobs started at or after this time - ISO 8601 (C(2026-11-26T08:00:00Z); no offset means UTC) or
        a duration before now on the controller's clock (C(30m), C(2h), C(7d)).
    type: str
  until:
    description:
      - Only jobs started at or before this time (same formats as O(since)).
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
  - module: dr.asr.replication_policy
'''

EXAMPLES = r'''
- name: Failed jobs of the last day
  dr.asr.job_info:
    vault_name: rsv-dr-weu
    vault_resource_group: rg-dr
    states: [Failed]
    since: 1d
  register: failed_jobs

- name: The test failovers of one VM
  dr.asr.job_info:
    vault_name: rsv-dr-weu
    vault_resource_group: rg-dr
    target: web-01
    scenarios: [TestFailover, TestFailoverCleanup]

- name: One job, by the name a module returned
  dr.asr.job_info:
    vault_name: rsv-dr-weu
    vault_resource_group: rg-dr
    name: "{{ policy_result.jobs[0] }}"
'''

RETURN = r'''
jobs:
  description: The matching jobs, newest first (empty when none).
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Job id.
      type: str
      sample: "/Subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-dr/providers\
        /Microsoft.RecoveryServices/vaults/rsv-dr-weu/replicationJobs/3f1c2d4e-8a9b-4c1d-9e2f-0a1b2c3d4e5f"
    name:
      description: Job name.
      type: str
      sample: 3f1c2d4e-8a9b-4c1d-9e2f-0a1b2c3d4e5f
    scenario:
      description: ASR's scenario name of the job.
      type: str
      sample: AddProtectionProfile
    friendly_name:
      description: What the job does, as the portal shows it.
      type: str
      sample: Create replication policy
    state:
      description: NotStarted, InProgress, Succeeded, Failed, Cancelled, Suspended or Other.
      type: str
      sample: Succeeded
    state_description:
      description: ASR's description of the state.
      type: str
      sample: Completed
    start_time:
      description: When the job started (UTC).
      type: str
      sample: "2026-11-26T03:29:09.7536710Z"
    end_time:
      description: When the job ended (UTC), null while it runs.
      type: str
      sample: "2026-11-26T03:29:29.7536710Z"
    allowed_actions:
      description: Actions the job allows now (Cancel, Restart, Resume).
      type: list
      elements: str
      sample: []
    target_object_id:
      description: ASR's internal id of the job's target.
      type: str
      sample: 9c1d8f3e-4b5a-5c6d-8e7f-0a1b2c3d4e5f
    target_object_name:
      description: Name of the job's target.
      type: str
      sample: pol-vmware-24h
    target_instance_type:
      description: ASR type of the job's target.
      type: str
      sample: ProtectionProfile
    tasks:
      description:
        - The job's tasks (name, friendly_name, state, start_time, end_time, manual_action).
        - C(manual_action) is, for a recovery plan's manual action, C({name, instructions}) with the action's name as
          the plan defines it (a suspended one is the action the job waits at); null for every other task.
      type: list
      elements: dict
      sample: [{name: ProtectionProfileTask, friendly_name: Create replication policy, state: Succeeded,
                start_time: "2026-11-26T03:29:09.7536710Z", end_time: "2026-11-26T03:29:29.7536710Z"}]
    errors:
      description: The job's errors (code, message, possible_causes, recommended_action).
      type: list
      elements: dict
      sample: []
    custom_details:
      description: The job's scenario-specific details, as ASR returns them.
      type: dict
      sample: {instanceType: AsrJobDetails, affectedObjectDetails: {}}
query_result:
  description: The value of O(query) over the result, when O(query) is set.
  returned: when O(query) is set
  type: raw
  sample: [web-03, db-01]
'''

from ansible_collections.dr.asr.plugins.module_utils._module import DrAsrModule, run
from ansible_collections.dr.asr.plugins.module_utils._errors import AzureError
from ansible_collections.dr.asr.plugins.module_utils._asr import job_query, lookup

ARGUMENT_SPEC = dict(
    name=dict(type="str"),
    target=dict(type="str"),
    target_types=dict(type="list", elements="str"),
    states=dict(type="list", elements="str", choices=list(job_query.STATES)),
    scenarios=dict(type="list", elements="str"),
    since=dict(type="str"),
    until=dict(type="str"),
)


def query(params):
    since = job_query.parse_time(params["since"], "since")
    until = job_query.parse_time(params["until"], "until")
    return dict(since=since, until=until, states=params["states"], scenarios=params["scenarios"],
                target_types=params["target_types"])


def one_job(vault, name):
    try:
        return [vault.jobs.get(lookup.last_segment(name))]
    except AzureError as err:
        if err.status == 404:
            lookup.vault_read(vault, vault.policies)  # an unknown vault is the better error
            return []
        raise


def target_keys(vault, target):
    if not target:
        return None
    return job_query.target_keys(target, vault.protected_items(), vault.recovery_plans())


def run_module(module):
    params = module.params
    q = query(params)
    vault = module.asr_vault()
    if params["name"]:
        candidates = one_job(vault, params["name"])
    else:
        odata = job_query.odata_filter(q["since"], q["until"], q["states"], q["target_types"])
        candidates = lookup.vault_read(vault, lambda: vault.jobs.list(odata))
    targets = target_keys(vault, params["target"]) if candidates else None
    jobs = [job for job in candidates if job_query.matches(job, targets=targets, **q)]
    return dict(changed=False, jobs=job_query.newest_first(jobs))


def main():
    run(lambda: DrAsrModule(ARGUMENT_SPEC, uses=("asr_vault", "query"),
                            azure_libraries=("azure.mgmt.recoveryservices", "azure.mgmt.recoveryservicessiterecovery")),
        run_module)


if __name__ == "__main__":
    main()
