# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""dr.asr.job: find a job (by name, or the current or latest job of an item or plan), cancel, restart or resume
it when its state and allowedActions call for it (idempotent), and wait for it through the job tracker."""

from __future__ import annotations

from ansible_collections.dr.asr.plugins.module_utils._errors import AzureError, InputError, WaitTimeout
from ansible_collections.dr.asr.plugins.module_utils._asr import jobs, lookup, resolve
from ansible_collections.dr.asr.plugins.module_utils._asr.common import compact
from ansible_collections.dr.asr.plugins.module_utils._asr.state import name_of, suspended_task
from ansible_collections.dr.asr.plugins.module_utils._asr.tracker import Entry, JobTracker

#: action -> (the job's allowedActions value, ReplicationJobsOperations method)
JOB_ACTIONS = {"cancel": ("Cancel", "begin_cancel"), "restart": ("Restart", "begin_restart"),
               "resume": ("Resume", "begin_resume")}


def find_job(vault, params):
    """(job facts or None, where it came from): the named job, or the current (else latest) job of an item/plan."""
    if params.get("name"):
        name = lookup.last_segment(params["name"])
        try:
            return vault.jobs.get(name), "job %s" % name
        except AzureError as err:
            if err.status != 404:
                raise
            lookup.vault_read(vault, vault.policies)        # an unknown vault is the better error
            raise InputError("name", params["name"], "the name or id of a job of vault %s" % vault.name,
                             hint="List its jobs with dr.asr.job_info.") from None
    if params.get("item"):
        resource = resolve.items(vault, [params["item"]], "item")[0][1]
        what = "item %s" % name_of(resource)
    else:
        resource = resolve.plan(vault, params["recovery_plan"])[0]
        what = "recovery plan %s" % resource["name"]
    current = jobs.scenario_job_name(resource)
    if current:
        return vault.jobs.get(current), "the current job of %s" % what
    latest = vault.jobs.latest_of(resource)
    return (vault.jobs.get(latest["name"]) if latest else None), "the latest job of %s" % what


def job_decision(facts, action):
    """(changed, reason) of a job action: idempotent by the job's state and allowedActions."""
    if facts is None:
        return False, "There is no job."
    if action == "wait":
        return False, None
    verb = JOB_ACTIONS[action][0]
    if verb in (facts.get("allowed_actions") or []):
        return True, None
    state = facts.get("state")
    why = {"resume": "it is not suspended at a manual action", "cancel": "it is not running any more",
           "restart": "it has not failed"}[action]
    return False, "Job %s is %s: nothing to %s (%s; allowed actions: %s)." % (
        facts.get("name"), state, action, why, ", ".join(facts.get("allowed_actions") or []) or "none")


def acted_on(vault, name, action):
    """After an uncertain answer to a job action: the job's name when the action took effect (the job's state and
    allowedActions no longer call for it: cancelled, resumed, restarted), else None (it may be sent again)."""
    try:
        return name if not job_decision(vault.jobs.get(name), action)[0] else None
    except AzureError:
        return None


class _Job(Entry):
    def __init__(self, facts):
        super().__init__()
        self.job, self.job_facts = facts["name"], facts
        self.label = facts.get("friendly_name") or facts.get("scenario")
        self.action = "after_job"        # its outcome is judged by job_outcome, not by the tracker


def control_job(module):
    """The job module's run: find the job, act on it if its state calls for it, wait, report."""
    params = module.params
    vault = module.asr_vault()
    facts, source = find_job(vault, params)
    action = params["action"]
    acted = bool((params.get("wait_resume") or {}).get("acted"))     # an earlier round of the task did the action
    changed, reason = job_decision(facts, "wait" if acted else action)
    out = dict(changed=changed, action=action, reason=reason, source=source, job=facts, restart_job=None,
               diff=dict(before={}, after={}), wait_resume=dict(acted=changed or acted))
    if facts is None:
        return out
    before = facts.get("state")
    if changed:
        out["diff"] = dict(before=dict(state=before),
                           after=dict(state={"cancel": "Cancelled", "resume": "InProgress", "restart": "InProgress"}[action]))
    if module.check_mode:
        return out
    tracker = JobTracker(vault, params, module.warn)
    if changed:
        method = getattr(vault.client.replication_jobs, JOB_ACTIONS[action][1])
        args = (vault.resource_group, vault.name, facts["name"])
        if action == "resume":
            args += ({"properties": compact({"comments": params.get("comments")})},)
        started = tracker.start_write(method, "%s job %s" % (action.capitalize(), facts["name"]), *args,
                                      recover=lambda: acted_on(vault, facts["name"], action))
        if action == "restart" and started and started != facts["name"]:
            out["restart_job"] = started
        facts = vault.jobs.get(facts["name"])
    if params["wait"] and facts.get("state") not in jobs.STOPPED_STATES:
        entry = _Job(facts)
        entry.job_facts = None
        try:
            tracker.wait([entry])
        except WaitTimeout as err:
            out["job"] = entry.job_facts or facts
            err.partial = dict(out, progress=tracker.progress())
            raise
        facts = entry.job_facts
    out["job"] = facts
    out["progress"] = tracker.progress()
    if changed:
        out["diff"]["after"] = dict(state=facts.get("state"))
    return out


def job_outcome(result, action, waited):
    """(error or None, warning or None) of a job the module waited for."""
    facts = result.get("job") or {}
    state = facts.get("state")
    if state == "Suspended":
        task = suspended_task(facts)
        return None, "Job %s waits at a manual action%s: resume it with action=resume once done." % (
            facts.get("name"), " (%s)" % task.get("friendly_name") if task else "")
    if not waited or not facts:
        return None, None
    if state == "Failed" or (state in ("Cancelled", "Canceled") and action != "cancel"):
        return jobs.job_error(facts, "Job %s" % facts.get("name")), None
    return None, None
