# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The state model of protected items and recovery plans (docs/dr-actions.md), and how the modules show them.

What ASR states explicitly decides: the provider and active location (where the VM runs), allowedOperations
(what can be done now) and the job running on the target. An item's `currentScenario` names a job, but ASR
keeps a FAILED job there too [recorded]: callers pass `ended`, the job names known to have ended, so such an
item does not count as busy. The provider seam (`providers.for_item`) turns these into a phase; nothing here
branches on instanceType.
"""

from __future__ import annotations

from ansible_collections.dr.asr.plugins.module_utils._asr import jobs, providers
from ansible_collections.dr.asr.plugins.module_utils._asr.common import CAN_FAIL_OVER, ON_PREMISES, details, props
from ansible_collections.dr.asr.plugins.module_utils._asr.lookup import last_segment

#: the states a job (or a plan's currentScenarioStatus) runs in
RUNNING_STATES = ("NotStarted", "InProgress")

PHASES = {
    "initial_replication": "replicating to Azure, initial replication not finished",
    "protected": "protected (replicating to Azure)",
    "test_failover": "in a test failover that waits for its cleanup",
    "failed_over": "failed over to Azure, commit pending",
    "committed": "failed over to Azure and committed, not reprotected",
    "reprotecting": "reprotecting to on-premises, initial replication not finished",
    "reprotected": "running in Azure, replicating to on-premises",
    "failed_back": "failed back to on-premises, commit pending",
    "failback_committed": "failed back to on-premises and committed, not reprotected to Azure",
    "failed": "in a failed state",
    "disabling": "being disabled",
    "unknown": "in a state dr.asr does not know",
}
NEXT_STEP = {
    "initial_replication": "Wait until initial replication has finished (state Protected), for example with "
                           "dr.asr.protected_item wait=protected.",
    "protected": "It can be test-failed-over (dr.asr.test_failover) or failed over (dr.asr.failover).",
    "test_failover": "Clean up the test failover first: dr.asr.test_failover with state=absent.",
    "failed_over": "Commit the failover (dr.asr.failover_commit), after changing its recovery point if needed "
                   "(dr.asr.failover_recovery_point), or reprotect it to on-premises (dr.asr.reprotect commits it).",
    "committed": "Reprotect the VM to on-premises (dr.asr.reprotect) to fail back later.",
    "reprotecting": "Wait until the reprotection to on-premises has finished: dr.asr.reprotect with "
                    "wait_for_protection=true.",
    "reprotected": "Fail back to on-premises: dr.asr.failover with direction=recovery_to_primary.",
    "failed_back": "Commit the failback (dr.asr.failover_commit) or cancel it (dr.asr.failover_cancel), or "
                   "reprotect it to Azure (dr.asr.reprotect commits it).",
    "failback_committed": "Reprotect the VM to Azure again (dr.asr.reprotect).",
    "failed": "Restart its failed job (dr.asr.job action=restart), or disable replication and enable it again.",
    "disabling": "Replication is being disabled; protect the VM again (dr.asr.protected_item) once it is gone.",
    "unknown": "Check the item in the portal (dr.asr.protected_item_info shows its state and allowed operations).",
}


# -- one item ------------------------------------------------------------------------------------------------

def name_of(item):
    return props(item).get("friendlyName") or (item or {}).get("name")


def allowed(item):
    return props(item).get("allowedOperations") or []


def running_scenario(item, ended=()):
    """The scenario of the job that runs on the item now (None when none runs, or its job is known to have ended)."""
    job = jobs.scenario_job_name(item)
    return (props(item).get("currentScenario") or {}).get("scenarioName") if job and job not in ended else None


def phase(item, ended=()):
    """The item's lifecycle phase, decided by its provider from allowedOperations, where it runs and its running job."""
    p, d = props(item), details(item)
    return providers.for_item(item).item.phase(
        d.get("instanceType"), p.get("activeLocation"), p.get("protectionState"), p.get("allowedOperations"),
        running_scenario(item, ended), d.get("initialReplicationProgressPercentage"))


def runs_in(item):
    """Where the VM runs: "on-premises", "azure", or None (an active location dr.asr cannot place)."""
    return providers.for_item(item).item.runs_in(details(item).get("instanceType"), props(item).get("activeLocation"))


def replicates_to(item):
    """Where the item's data flows now: "recovery" (VMware -> Azure), "primary" (Azure -> VMware) or None."""
    return providers.for_item(item).item.replicates_to(details(item).get("instanceType"), props(item).get("activeLocation"))


def is_failback(item):
    """Whether the item is its provider's failback twin (replicating, or replicated, from Azure to VMware)."""
    return providers.for_item(item).is_failback(details(item).get("instanceType"))


def replicates_to_azure(item):
    """A forward item (not the failback twin) on-premises: its replication settings are the ones compared."""
    provider = providers.for_item(item)
    instance_type = details(item).get("instanceType")
    return (instance_type or "").lower() == provider.instance_type.lower() and runs_in(item) == ON_PREMISES


def failover_point(item):
    return props(item).get("failoverRecoveryPointId") or details(item).get("failoverRecoveryPointId") or None


def current_job(item, ended=None):
    """{name, scenario, start_time[, running]} of the job the item's currentScenario names, or None."""
    job = jobs.scenario_job_name(item)
    if not job:
        return None
    scenario = props(item).get("currentScenario") or {}
    out = dict(name=job, scenario=scenario.get("scenarioName"), start_time=scenario.get("startTime"))
    if ended is not None:
        out["running"] = job not in ended
    return out


def state_of(item, ended=()):
    """The state an action changes (what diff before/after compares)."""
    p = props(item)
    return dict(phase=phase(item, ended), state=p.get("protectionState"), active_location=p.get("activeLocation"),
                runs_in=runs_in(item), test_failover_state=p.get("testFailoverState"),
                provider=details(item).get("instanceType"), failover_recovery_point=last_segment(failover_point(item)) or None)


def item_view(item):
    """An item as the action modules return it: identity, state model and allowed operations."""
    p = props(item)
    out = dict(name=p.get("friendlyName"), item_name=item.get("name"), id=item.get("id"))
    out.update(state_of(item))
    out.update(failover_recovery_point_id=failover_point(item), state_description=p.get("protectionStateDescription"),
               allowed_operations=p.get("allowedOperations") or [], current_job=current_job(item),
               last_successful_failover_time=p.get("lastSuccessfulFailoverTime"),
               last_successful_test_failover_time=p.get("lastSuccessfulTestFailoverTime"),
               replication_health=p.get("replicationHealth"))
    out.update(providers.for_item(item).item.lifecycle_facts(details(item)))
    return out


def describe(item):
    """`vm is <phase> (state X, active location Y, test failover Z, provider P; allowed operations: ...)`"""
    p = props(item)
    return "%s is %s (state %s, active location %s, test failover state %s, provider %s; allowed operations: %s)" % (
        name_of(item), PHASES.get(phase(item), "unknown"), p.get("protectionState"), p.get("activeLocation"),
        p.get("testFailoverState") or "None", details(item).get("instanceType"),
        ", ".join(p.get("allowedOperations") or []) or "none")


def health_error_facts(error):
    return dict(code=error.get("errorCode"), level=error.get("errorLevel"), category=error.get("errorCategory"),
                message=error.get("errorMessage") or error.get("summaryMessage"),
                possible_causes=error.get("possibleCauses"), recommended_action=error.get("recommendedAction"),
                created=error.get("creationTimeUtc"))


def item_facts(item, ended=()):
    """A protected item as protected_item(_info) return it (snake_case; provider details through the seam)."""
    p, d = props(item), details(item)
    provider = providers.of_instance_type(d.get("instanceType"))
    specific = {}
    if provider is not None and (d.get("instanceType") or "").lower() == provider.instance_type.lower():
        specific = provider.item.item_facts(d)
    elif d.get("instanceType"):
        specific = dict(provider=d.get("instanceType"), progress=d.get("initialReplicationProgressPercentage"))
    facts = dict(
        id=item.get("id"), name=item.get("name"), vm_name=p.get("friendlyName"),
        state=p.get("protectionState"), state_description=p.get("protectionStateDescription"),
        health=p.get("replicationHealth"), failover_health=p.get("failoverHealth"),
        errors=[health_error_facts(e) for e in p.get("healthErrors") or []],
        active_location=p.get("activeLocation"), test_failover_state=p.get("testFailoverState"),
        test_failover_state_description=p.get("testFailoverStateDescription"),
        phase=phase(item, ended), runs_in=runs_in(item), allowed_operations=p.get("allowedOperations") or [],
        current_job=current_job(item, ended), policy=p.get("policyFriendlyName"), policy_id=p.get("policyId"),
        last_successful_failover_time=p.get("lastSuccessfulFailoverTime"),
        last_successful_test_failover_time=p.get("lastSuccessfulTestFailoverTime"),
    )
    facts.update(specific)
    facts.setdefault("provider", d.get("instanceType"))
    facts.setdefault("progress", None)
    return facts


def state_progress(item, ended=()):
    """(protectionState, progress %) of an item: initial replication / resync %, 100 once it can fail over."""
    if item is None:
        return None, None
    d = details(item)
    state = props(item).get("protectionState")
    now = phase(item, ended)
    if now in CAN_FAIL_OVER and d.get("resyncProgressPercentage") is None:
        return state, 100
    for key in ("initialReplicationProgressPercentage", "resyncProgressPercentage"):
        if d.get(key) is not None:
            return state, d[key]
    return state, 0 if now == "initial_replication" else None


# -- plans ----------------------------------------------------------------------------------------------------

def plan_busy_job(plan):
    """The job a recovery plan runs now (its currentScenario while the status says it runs), or None."""
    name = jobs.scenario_job_name(plan)
    status = props(plan).get("currentScenarioStatus")
    if name and (status is None or status in RUNNING_STATES + ("Suspended",)):
        return name
    return None


def plan_member_ids(plan):
    out = []
    for group in props(plan).get("groups") or []:
        for ref in group.get("replicationProtectedItems") or []:
            if ref.get("id"):
                out.append(ref["id"])
    return out


# -- jobs ------------------------------------------------------------------------------------------------------

def job_view(name, facts, full=True):
    """A job as the modules return it in a target's result: its name and state, with tasks and errors (`full`)."""
    if not name:
        return None
    facts = facts or {}
    out = dict(name=name, scenario=facts.get("scenario"), state=facts.get("state") or "InProgress",
               start_time=facts.get("start_time"), end_time=facts.get("end_time"))
    if full:
        out.update(id=facts.get("id"), tasks=facts.get("tasks") or [], errors=facts.get("errors") or [])
    return out


def suspended_task(facts):
    """The task a suspended job waits at (a manual action), or None."""
    for task in (facts or {}).get("tasks") or []:
        if task.get("state") == "Suspended":
            return task
    return None
