#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: replication_policy
short_description: Create, update, associate or delete an Azure Site Recovery replication policy for VMware VMs
version_added: 0.1.0
description:
  - Ensures a replication policy of the modernized VMware-to-Azure experience exists with the given recovery
    point retention and snapshot frequencies, or is deleted.
  - With O(failback=false) the policy replicates VMware VMs to Azure (provider C(InMageRcm)); with
    O(failback=true) it is the failback policy that replicates failed-over VMs from Azure back to VMware
    (provider C(InMageRcmFailback)), which a reprotect to on-premises needs.
  - With O(associate) the policy is associated with (or dissociated from) the replication appliance's
    protection container; only associated policies can be used to enable replication or reprotect.
    A forward policy's association targets C(Microsoft Azure); a failback policy's targets the appliance's container
    itself, as the failback associations of a real vault do.
  - Only options that are set are compared and changed. Settings ASR lets change are updated in place
    (C(PATCH) of the policy's provider settings); the direction (O(failback)) and the experience of an
    existing policy cannot change and are reported as errors.
  - Every change runs as an ASR job; the module waits for the jobs (one GET per poll), never with the
    SDK's pollers. A rerun while a job of the policy or of its association still runs waits for that job
    first, then compares again.
author:
  - dr.asr maintainers (@dr-asr)
options:
  name:
    description:
      - Name of the replication policy in the vault.
      - With O(state=present), 1 to 260 characters, ASCII letters, digits, hyphens, underscores and dots, starting
        with a letter or a digit and not ending with a dot; any other name (a space, a slash, a letter outside ASCII)
        fails the module before it sends a request.
    type: str
    required: true
  experience:
    description:
      - The VMware-to-Azure experience of the vault. V(modernized) (replication appliance, C(InMageRcm))
        is implemented; V(classic) (configuration server, C(InMageAzureV2)) answers a not-implemented error.
    type: str
    choices: [modernized, classic]
    default: modernized
  failback:
    description:
      - V(false) for a forward policy (VMware to Azure), V(true) for a failback policy (Azure to VMware).
      - A failback policy has only O(crash_consistent_frequency_minutes) and O(app_consistent_frequency_minutes).
    type: bool
    default: false
  retention_hours:
    description:
      - How long recovery points are kept, in hours, from 0 to 360 (15 days). Forward policies only.
      - Mutually exclusive with O(retention_minutes). Defaults to 24 hours when the policy is created.
    type: int
  retention_minutes:
    description:
      - How long recovery points are kept, in minutes, from 0 to 21600 (15 days). Forward policies only.
      - Mutually exclusive with O(retention_hours).
    type: int
  crash_consistent_frequency_minutes:
    description:
      - How often crash-consistent recovery points are taken, in minutes, from 1 to 720.
      - Defaults to 5 when the policy is created (the value the Azure portal uses).
    type: int
  app_consistent_frequency_minutes:
    description:
      - How often application-consistent recovery points are taken, in minutes, from 0 (none) to 720,
        and at most the retention.
      - Defaults to 240 (4 hours) when the policy is created.
    type: int
  multi_vm_sync:
    description:
      - Whether VMs of a replication group get common, multi-VM consistent recovery points. Forward policies only.
      - Defaults to V(true) when the policy is created (as Az PowerShell does).
    type: bool
  associate:
    description:
      - V(true) associates the policy with the replication appliance's protection container (a container
        mapping), V(false) removes that association. Unset leaves the associations as they are.
      - An association can only be removed while no replicated VM uses the policy.
    type: bool
  protection_container:
    description:
      - Name or id of the appliance's protection container for O(associate).
      - Defaults to the vault's only appliance container; required when the vault has several.
    type: str
  association_name:
    description:
      - Name of the container mapping O(associate=true) creates. An existing association of the policy with
        the container is recognised whatever its name.
      - Defaults to the policy name followed by C(-association).
      - It follows the same rule as O(name), checked (given or defaulted) before any request.
    type: str
  failback_policy:
    description:
      - The name of a failback policy (C(InMageRcmFailback)) to manage in the same run as this forward policy, as
        the Azure portal creates a failback policy with a replication policy. It gets the same
        O(crash_consistent_frequency_minutes), O(app_consistent_frequency_minutes) and O(associate) (its
        association is named after it followed by C(-association)); with O(state=absent) it is deleted too.
      - The two policies' jobs run side by side (both created, then both associated), so one run and one wait per
        step replace two runs one after the other.
      - Only with O(failback=false); the same name rule as O(name). Unset manages O(name) alone.
    type: str
  state:
    description:
      - V(present) creates or updates the policy; V(absent) deletes it.
      - V(absent) first removes every association of the policy (and waits for that, whatever O(wait) says,
        because ASR refuses to delete an associated policy), then deletes the policy.
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
    description: Reports what would change, with the predicted policy and associations, without changing anything.
  diff_mode:
    support: full
    description: Returns the policy (settings and associations) before and after.
notes:
  - A new policy is always awaited before it is associated (ASR creates the policy only when its job ends),
    even with O(wait=false).
  - With O(wait=false), a rerun that finds a job of this policy still running changes nothing and warns;
    rerun with O(wait=true) to wait for it.
  - A vault whose appliance registered has default policies already (C(24-hour-replication-policy) and the two
    failback policies C(crashconsistency-policy-failback), C(appconsistency-policy-failback), each associated);
    they can be used by name, or left alone.
  - The request that associates a failback policy is not in recorded traffic (Az PowerShell has no cmdlet for
    it); the association it creates has the recorded shape (target the container itself, no provider details).
seealso:
  - module: dr.asr.replication_policy_info
  - module: dr.asr.appliance_info
  - module: dr.asr.job_info
'''

EXAMPLES = r'''
- name: Replication policy, associated with the appliance
  dr.asr.replication_policy:
    vault_name: rsv-dr-weu
    vault_resource_group: rg-dr
    name: pol-vmware-24h
    retention_hours: 24
    app_consistent_frequency_minutes: 240
    associate: true

- name: Its failback twin, for reprotecting to VMware after a failover
  dr.asr.replication_policy:
    vault_name: rsv-dr-weu
    vault_resource_group: rg-dr
    name: pol-vmware-24h-failback
    failback: true
    app_consistent_frequency_minutes: 240
    associate: true

- name: A replication policy and its failback twin in one run (their jobs side by side)
  dr.asr.replication_policy:
    vault_name: rsv-dr-weu
    vault_resource_group: rg-dr
    name: pol-vmware-24h
    failback_policy: pol-vmware-24h-failback
    retention_hours: 24
    associate: true

- name: Keep recovery points for three days
  dr.asr.replication_policy:
    vault_name: rsv-dr-weu
    vault_resource_group: rg-dr
    name: pol-vmware-24h
    retention_hours: 72

- name: Delete a policy (its associations are removed first)
  dr.asr.replication_policy:
    vault_name: rsv-dr-weu
    vault_resource_group: rg-dr
    name: pol-old
    state: absent
'''

RETURN = r'''
policy:
  description: The policy after the change (predicted in check mode and with O(wait=false)); empty after deletion.
  returned: always
  type: dict
  contains:
    id:
      description: Resource id (null for a policy that does not exist yet).
      type: str
      sample: "/Subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-dr/providers\
        /Microsoft.RecoveryServices/vaults/rsv-dr-weu/replicationPolicies/pol-vmware-24h"
    name:
      description: Policy name.
      type: str
      sample: pol-vmware-24h
    experience:
      description: V(modernized) or V(classic).
      type: str
      sample: modernized
    instance_type:
      description: ASR replication provider of the policy.
      type: str
      sample: InMageRcm
    failback:
      description: Whether this is a failback (Azure to VMware) policy.
      type: bool
      sample: false
    retention_minutes:
      description: Recovery point retention in minutes (null for failback policies).
      type: int
      sample: 1440
    retention_hours:
      description: Recovery point retention in hours (null for failback policies).
      type: float
      sample: 24
    crash_consistent_frequency_minutes:
      description: Crash-consistent recovery point frequency in minutes.
      type: int
      sample: 5
    app_consistent_frequency_minutes:
      description: App-consistent recovery point frequency in minutes (0 is none).
      type: int
      sample: 240
    multi_vm_sync:
      description: Whether multi-VM sync is enabled (null for failback policies).
      type: bool
      sample: true
    associations:
      description: The policy's container mappings.
      type: list
      elements: dict
      contains:
        id:
          description: Mapping resource id (null while predicted).
          type: str
          sample: "/Subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-dr/providers\
            /Microsoft.RecoveryServices/vaults/rsv-dr-weu/replicationFabrics/rsv-dr-weu1234replicationfabric\
            /replicationProtectionContainers/rsv-dr-weu1234replicationcontainer\
            /replicationProtectionContainerMappings/pol-vmware-24h-association"
        name:
          description: Mapping name.
          type: str
          sample: pol-vmware-24h-association
        container:
          description: Name of the appliance's protection container.
          type: str
          sample: rsv-dr-weu1234replicationcontainer
        fabric:
          description: Name of the container's fabric.
          type: str
          sample: rsv-dr-weu1234replicationfabric
        target:
          description: The mapping's target container.
          type: str
          sample: Microsoft Azure
        state:
          description: Mapping state.
          type: str
          sample: Paired
        health:
          description: Mapping health.
          type: str
          sample: Normal
        agent_auto_upgrade:
          description: Whether the Mobility service is upgraded automatically (forward mappings; null when not reported).
          type: bool
          sample: true
failback_policy:
  description:
    - The failback policy O(failback_policy) names after the change, with the same keys as RV(policy) (predicted in
      check mode and with O(wait=false)); empty after deletion.
    - With it, the C(diff) the module returns is a list of two diffs, the policy's and the failback policy's.
  returned: when O(failback_policy) is set
  type: dict
  sample: {name: pol-vmware-24h-failback, failback: true, instance_type: InMageRcmFailback,
           crash_consistent_frequency_minutes: 5, app_consistent_frequency_minutes: 240, associations: []}
jobs:
  description: Names of the ASR jobs this run started or waited for (see M(dr.asr.job_info)).
  returned: always
  type: list
  elements: str
  sample: [3f1c2d4e-8a9b-4c1d-9e2f-0a1b2c3d4e5f]
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
from ansible_collections.dr.asr.plugins.module_utils._errors import AzureError, InputError
from ansible_collections.dr.asr.plugins.module_utils._asr import common, lookup, policies, providers
from ansible_collections.dr.asr.plugins.module_utils._asr.tracker import JobTracker

ARGUMENT_SPEC = dict(
    name=dict(type="str", required=True),
    experience=dict(type="str", choices=["modernized", "classic"], default="modernized"),
    failback=dict(type="bool", default=False),
    retention_hours=dict(type="int"),
    retention_minutes=dict(type="int"),
    crash_consistent_frequency_minutes=dict(type="int"),
    app_consistent_frequency_minutes=dict(type="int"),
    multi_vm_sync=dict(type="bool"),
    associate=dict(type="bool"),
    protection_container=dict(type="str"),
    association_name=dict(type="str"),
    failback_policy=dict(type="str"),
    state=dict(type="str", choices=["present", "absent"], default="present"),
)


def details_of(policy):
    return ((policy or {}).get("properties") or {}).get("providerSpecificDetails") or {}


def read(vault, name):
    """(policy REST dict or None, its mappings, its facts or {})."""
    policy = policies.find(vault, name)
    if policy is None:
        return None, [], {}
    mappings = policies.mappings_of(vault, policy["id"])
    return policy, mappings, policies.policy_facts(policy, mappings)


def new_facts(params):
    return dict(id=None, name=params["name"], associations=[])


def container_id_of(mapping):
    mapping_id = mapping.get("id") or ""
    return mapping_id[:mapping_id.lower().find("/replicationprotectioncontainermappings/")]


def plan_associations(vault, provider, params, mappings):
    """(container, mapping name to add or None, mappings to remove) for O(associate)."""
    if params["associate"] is None:
        return None, None, []
    container = lookup.appliance_container(vault, provider, params["protection_container"])
    on_container = [m for m in mappings if lookup.same_id(container_id_of(m), container["id"])]
    if params["associate"]:
        return container, (None if on_container else params["association_name"] or params["name"] + "-association"), []
    return container, None, on_container


def plan_present(vault, provider, params):
    """What to do: the policy write (create/update/None), the associations to add/remove, before and after."""
    policy, mappings, before = read(vault, params["name"])
    if policy is not None:
        policies.check_kind(provider, policy, params)
    current = provider.policy.settings_of(details_of(policy)) if policy else None
    settings = provider.policy.desired_settings(params, current)
    if policy is None:
        write = "create"
    else:
        write = "update" if any(current.get(k) != v for k, v in settings.items()) else None
    container, add, remove = plan_associations(vault, provider, params, mappings)
    after = dict(before or new_facts(params))
    after.update(provider.policy.policy_facts(settings, params["failback"]))
    removed = set(m["name"] for m in remove)
    after["associations"] = [a for a in after["associations"] if a["name"] not in removed]
    if add:
        after["associations"].append(policies.predicted_mapping(container, add))
    return dict(policy=policy, settings=settings, write=write, container=container, add=add, remove=remove,
                before=before, after=after, changed=bool(write or add or remove))


def busy_targets(params, plan):
    targets = [(params["name"], policies.POLICY_TARGET_TYPE)]
    targets += [(m["name"], policies.MAPPING_TARGET_TYPE) for m in plan["remove"]]
    if plan["add"]:
        targets.append((plan["add"], policies.MAPPING_TARGET_TYPE))
    return targets


def names_of(runs):
    return " and ".join(p["name"] for p in runs)


def apply_present(tracker, provider, runs, plans):
    """Run the planned writes of every policy (the policy, its failback twin) side by side: every policy write, then
    (after the creations, since a mapping needs its policy's id) every association change; returns the names of the
    jobs started (a write ASR completes at once has none)."""
    vault, wait = tracker.vault, runs[0]["wait"]
    started, waited, creating = [], [], []
    ids = {}
    for params, plan in zip(runs, plans):
        name, failback = params["name"], params["failback"]
        ids[name] = plan["policy"]["id"] if plan["policy"] else None
        if plan["write"] == "create":
            job = policies.start(tracker, "create", name, provider.policy.create_body(plan["settings"], failback))
            started.append(job)
            if wait or plan["add"]:     # ASR creates the policy when its job ends; a mapping needs its id
                creating.append((name, job))
        elif plan["write"] == "update":
            started.append(policies.start(tracker, "update", name, provider.policy.update_body(plan["settings"], failback)))
    if creating:
        waited = [job for _name, job in creating if job]
        tracker.wait_names(waited, "creation of replication policy %s" % " and ".join(n for n, _job in creating))
        vault.forget("policies")
        for name, _job in creating:
            ids[name] = created_id(vault, name)
    for params, plan in zip(runs, plans):
        for mapping in plan["remove"]:
            started.append(policies.start_dissociate(tracker, mapping, provider.policy.removal_body()))
        if plan["add"]:
            body = provider.policy.mapping_body(ids[params["name"]], params["failback"], plan["container"]["id"])
            started.append(policies.start_associate(tracker, plan["container"], plan["add"], body))
    started = [j for j in started if j]
    if wait:
        tracker.wait_names([j for j in started if j not in waited], "the changes of replication policy %s" % names_of(runs))
    return started


def created_id(vault, name):
    created = policies.find(vault, name)
    if created is None:
        raise AzureError("Replication policy %s: its creation job succeeded but the vault does not list it." % name,
                         code="PolicyNotListed", recommended_action="Run the task again.")
    return created["id"]


def unchanged(plans):
    return [dict(plan, changed=False, after=plan["before"]) for plan in plans]


def ensure_present(module, tracker, provider, runs):
    """(the plan of each policy, with "after" as read back after the writes, the jobs)."""
    vault = tracker.vault
    plans = [plan_present(vault, provider, params) for params in runs]
    jobs = []
    if any(plan["changed"] for plan in plans) and not module.check_mode:
        targets = [t for params, plan in zip(runs, plans) for t in busy_targets(params, plan)]
        attached = tracker.attach(targets, "policy %s" % names_of(runs))
        if attached is None:
            return unchanged(plans), []
        if attached:
            jobs += attached
            plans = [plan_present(vault, provider, params) for params in runs]
        if any(plan["changed"] for plan in plans):
            jobs += apply_present(tracker, provider, runs, plans)
            if runs[0]["wait"]:
                vault.forget()
                for params, plan in zip(runs, plans):
                    plan["after"] = read(vault, params["name"])[2]
    return plans, jobs


def ensure_absent(module, tracker, provider, params):
    """(the policy's plan - before, after, changed - the jobs)."""
    vault, name = tracker.vault, params["name"]
    policy, mappings, before = read(vault, name)
    jobs = []
    if not module.check_mode:
        targets = [(name, policies.POLICY_TARGET_TYPE)] + [(m["name"], policies.MAPPING_TARGET_TYPE) for m in mappings]
        attached = tracker.attach(targets, "policy %s" % name)
        if attached is None:
            return dict(changed=False, before=before, after=before), []
        if attached:
            jobs += attached
            policy, mappings, before = read(vault, name)
    if policy is None:
        return dict(changed=False, before={}, after={}), jobs
    if not module.check_mode:
        removals = [policies.start_dissociate(tracker, m, provider.policy.removal_body()) for m in mappings]
        removals = [j for j in removals if j]
        tracker.wait_names(removals, "removal of the associations of replication policy %s" % name)
        jobs += removals
        deletion = policies.start(tracker, "delete", name)
        if deletion:
            jobs.append(deletion)
            if params["wait"]:
                tracker.wait_names([deletion], "deletion of replication policy %s" % name)
    return dict(changed=True, before=before, after={}), jobs


def twin_of(params):
    """The parameters of the failback twin O(failback_policy) names: the forward policy's frequencies and association."""
    return dict(params, name=params["failback_policy"], failback=True, retention_hours=None, retention_minutes=None,
                multi_vm_sync=None, association_name=None, failback_policy=None)


def check_twin(params):
    twin = params["failback_policy"]
    if twin is None:
        return
    if params["failback"]:
        raise InputError("failback_policy", twin, "unset with failback=true (a failback policy has no failback twin); "
                         "or failback=false")
    if twin.lower() == params["name"].lower():
        raise InputError("failback_policy", twin, "another name than the policy's own (name: %s)" % params["name"])


def check_names(params, option="name"):
    """The names this run may create - the policy, its association - as ASR takes them: before any request. `option`
    is where the policy's name came from (O(failback_policy) for the twin, whose association name is derived)."""
    if params["state"] != "present":
        return
    common.check_name(option, params["name"], "replication policy")
    if option != "name" and params["associate"]:
        common.check_name(option, params["name"] + "-association", "association (container mapping)",
                          hint="The failback policy's association is named after it followed by -association; give "
                               "a shorter failback_policy.")
    elif params["association_name"] is not None:
        common.check_name("association_name", params["association_name"], "association (container mapping)")
    elif params["associate"]:
        common.check_name("association_name", params["name"] + "-association", "association (container mapping)",
                          hint="It defaults to the policy's name followed by -association; give a shorter "
                               "association_name, or a shorter name.")


def result_of(runs, plans, jobs, tracker):
    """The module's result: the policy (and its failback twin), one diff per policy."""
    diffs = [dict(before=plan["before"] or {}, after=plan["after"] or {}) for plan in plans]
    out = dict(changed=any(plan["changed"] for plan in plans), policy=plans[0]["after"] or {}, jobs=jobs,
               progress=tracker.progress(), diff=diffs[0])
    if len(runs) > 1:
        out["failback_policy"] = plans[1]["after"] or {}
        out["diff"] = [dict(diff, before_header="replication policy %s" % params["name"],
                            after_header="replication policy %s" % params["name"])
                       for params, diff in zip(runs, diffs)]
    return out


def run_module(module):
    params = module.params
    check_twin(params)
    runs = [params] + ([twin_of(params)] if params["failback_policy"] else [])
    for each, option in zip(runs, ("name", "failback_policy")):
        check_names(each, option)
    provider = providers.get(params["experience"])
    provider.policy.policy_support(params)  # the classic experience answers its not-implemented error here
    tracker = JobTracker(module.asr_vault(), params, module.warn)
    if params["state"] == "absent":
        plans, jobs = [], []
        for each in runs:
            plan, started = ensure_absent(module, tracker, provider, each)
            plans.append(plan)
            jobs += started
    else:
        plans, jobs = ensure_present(module, tracker, provider, runs)
    return result_of(runs, plans, jobs, tracker)


def main():
    run(lambda: DrAsrModule(ARGUMENT_SPEC, uses=("asr_vault", "wait", "rounds"),
                            azure_libraries=("azure.mgmt.recoveryservices", "azure.mgmt.recoveryservicessiterecovery"),
                            mutually_exclusive=[("retention_hours", "retention_minutes")]),
        run_module)


if __name__ == "__main__":
    main()
