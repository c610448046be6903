# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One module run of a DR action over items or a recovery plan, through the pipeline (`_asr.pipeline`):

    resolve   items (VM name, item name or id) or a recovery plan: vault-wide lists, once
    decide    per target: none (already done) | attach (its job runs) | after_job (another job runs: wait for it,
              then decide again) | start; refusals of ALL targets raise here, before anything is written, with the
              state, the allowed operations and what to do
    prepare   the request bodies (networks, recovery points, appliances...): InputError before writes
    execute   one POST per target (JobTracker.start: no poller, the job name from the response headers)
    wait      the jobs together (JobTracker.wait), the follow-up, then protection if the action waits for it
    report    per target: what was done, the job (with its tasks), state before/after

A target busy with a job of the same action is attached to, never started again; an action starts only when ASR
lists its operation in `allowedOperations`; a state dr.asr has never seen is refused with its raw state and
allowed operations. Recovery plans run the plan's own action (one plan job); an action without a plan method
(reprotect, the change of recovery point: ASR has none for VMware plans) runs on every member item in one batch.
"""

from __future__ import annotations

import datetime

from ansible_collections.dr.asr.plugins.module_utils._errors import DrAsrError, InputError
from ansible_collections.dr.asr.plugins.module_utils._time import UTC, from_iso
from ansible_collections.dr.asr.plugins.module_utils._waiter import Probe
from ansible_collections.dr.asr.plugins.module_utils._asr import jobs, pipeline, resolve
from ansible_collections.dr.asr.plugins.module_utils._asr.actions.base import Target
from ansible_collections.dr.asr.plugins.module_utils._asr.common import CAN_FAIL_OVER, Problems, details, item_path, props
from ansible_collections.dr.asr.plugins.module_utils._asr.recovery_points import Points, point_facts
from ansible_collections.dr.asr.plugins.module_utils._asr.state import (
    NEXT_STEP, allowed, describe, item_view, job_view, name_of, phase, state_of)
from ansible_collections.dr.asr.plugins.module_utils._asr.plans import TARGET_TYPE as PLAN_TARGET_TYPE
from ansible_collections.dr.asr.plugins.module_utils._asr.tracker import JobTracker, Start

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=UTC)


class Run(pipeline.Work):
    """One module run of an Action over its targets (see the module docstring)."""

    #: the report shows details a list carries empty [recorded] (disks, agent facts): the items that may have changed
    #: are read again with a GET each after the list
    details_after = False

    def __init__(self, vault, params, action, warn=None):
        self.vault = vault
        self.params = params
        self.action = action
        self.tracker = JobTracker(vault, params, warn)
        self.points = Points(vault, params)
        self.targets = []
        self.plan = None               # the recovery plan target (also when its members run as a batch)
        self.batch_of_plan = False     # plan given, the action runs on its members

    @property
    def ended(self):
        return self.tracker.ended

    def _target(self, kind, resource, label, parameter, members=None):
        return Target(kind, resource, label, parameter, members, title=self.action.title)

    # -- resolve ----------------------------------------------------------------------------------------------
    def resolve(self):
        if self.params.get("recovery_plan"):
            plan, members = resolve.plan(self.vault, self.params["recovery_plan"])
            self.plan = self._target("plan", plan, plan["name"], "recovery_plan", members)
            if self.action.plan_method:
                self.targets = [self.plan]
            else:
                self.batch_of_plan = True
                self.targets = [self._target("item", m, name_of(m), "recovery_plan") for m in members]
                self.plan.reason = ("Azure Site Recovery cannot %s a recovery plan of VMware machines: each of its %d "
                                    "protected items was handled instead." % (self.action.title, len(members)))
            return
        for parameter, item in resolve.items(self.vault, self.params.get("items") or []):
            self.targets.append(self._target("item", item, name_of(item), parameter))

    def listed_items(self):
        """The item list a run reads again: its plan's members when it works on a plan (ASR filters the list), else
        the vault's."""
        return self.vault.protected_items(plan=self.plan.name if self.plan is not None else None)

    # -- decide -----------------------------------------------------------------------------------------------
    def check_jobs(self, targets):
        """Read the jobs the targets' (and plan members') currentScenario names, once: a job that ended (ASR keeps
        a failed one there) makes no target busy."""
        resources = []
        for target in targets:
            if target.kind == "item":
                resources.append(target.resource)
            else:
                resources.extend(target.members)
        self.tracker.check_ended(resources)
        for target in targets:
            target.ended = self.ended
        # a job that ended after the list was read: the listed state is the one of a running job (nothing allowed)
        stale = [t for t in targets if t.kind == "item" and jobs.scenario_job_name(t.resource) in self.ended and
                 not allowed(t.resource)]
        fresh = self.vault.get_items([t.resource for t in stale])
        for target in stale:
            target.resource = fresh.get(target.resource["id"].lower(), target.resource)

    def read_details(self, targets):
        """GET the items whose disks or NICs the action's input needs (a list carries them empty [recorded])."""
        todo = [t for t in targets if t.kind == "item" and self.action.needs_details(t.resource)]
        full = self.vault.get_items([t.resource for t in todo])
        for target in todo:
            target.resource = full.get(target.resource["id"].lower(), target.resource)

    def decide(self, targets=None):
        """Per target: none | attach | after_job | start. Refusals of every target raise together, before writes."""
        problems = Problems()
        self.check_jobs(targets or self.targets)
        self.read_details(targets or self.targets)
        for target in targets or self.targets:
            try:
                self._decide(target)
            except DrAsrError as err:
                problems.add(err)
        problems.check()

    def _decide(self, target):
        target.action, target.reason, target.job = "none", None, None
        busy = target.busy_job()
        if busy:
            target.job = busy
            if self.action.own_job(target.busy_scenario(), target.resource if target.kind == "item" else None):
                target.action = "attach"
                target.reason = "Its %s job %s was running: the run waits for it instead of starting another." % (
                    target.busy_scenario(), busy)
                return
            if not self.params.get("wait", True):
                raise DrAsrError("Cannot %s now: %s is busy with job %s (%s)." % (
                    self.action.title, target.label, busy, target.busy_scenario()), code="Busy",
                    recommended_action="Run again with wait=true to wait for that job first, or wait for it with "
                                       "dr.asr.job.", details=dict(job=busy, scenario=target.busy_scenario()))
            target.action = "after_job"
            target.followup = True
            target.reason = "Waits for its running %s job %s first." % (target.busy_scenario(), busy)
            return
        if target.kind == "plan":
            self._decide_plan(target)
            return
        item = target.resource
        reason = self.action.done(self, item)
        if reason:
            target.reason = reason
            return
        if not self.action.permitted(item):
            raise self.action.refusal(item)
        self.action.check(self, target)
        target.action = "start"
        target.changed = True

    def _decide_plan(self, target):
        members = target.members
        reasons = [self.action.done(self, m) for m in members]
        if members and all(reasons):
            target.reason = "Every protected item of the plan: " + " ".join(reasons)
            return
        busy = [(m, jobs.scenario_job_name(m)) for m in members
                if jobs.scenario_job_name(m) and jobs.scenario_job_name(m) not in self.ended]
        if busy:
            member, job = busy[0]
            if not self.params.get("wait", True):
                raise DrAsrError("Cannot %s now: item %s of recovery plan %s is busy with job %s (%s)." % (
                    self.action.title, props(member).get("friendlyName"), target.label, job,
                    (props(member).get("currentScenario") or {}).get("scenarioName")), code="Busy",
                    recommended_action="Run again with wait=true to wait for it first.")
            target.action, target.job, target.followup = "after_job", job, True
            target.extra_jobs = [j for _m, j in busy]
            return
        ops = props(target.resource).get("allowedOperations") or []
        if self.action.operation not in ops:
            raise self.plan_refusal(target, ops)
        self.action.check(self, target)
        target.action = "start"
        target.changed = True

    def plan_refusal(self, target, ops):
        blocking = [m for m in target.members if self.action.operation not in allowed(m)]
        lines = [describe(m) for m in blocking[:5]]
        hints = sorted(set((self.action.hints.get(phase(m)) or NEXT_STEP.get(phase(m))) for m in blocking))
        message = "Cannot %s: recovery plan %s allows %s." % (
            self.action.title, target.label, ", ".join(ops) or "no operation now")
        if lines:
            message += " Items that do not allow %s: %s." % (self.action.operation, "; ".join(lines))
        elif not target.members:
            message += " It has no protected items."
        return DrAsrError(message, code="OperationNotAllowed", recommended_action=" ".join(hints) or None,
                          details=dict(recovery_plan=target.label, allowed_operations=ops,
                                       items=[item_view(m) for m in blocking]))

    # -- prepare ----------------------------------------------------------------------------------------------
    def prepare(self, targets=None):
        """The request body of every target to start (recovery points, networks resolved). InputError before writes."""
        todo = [t for t in targets or self.targets if t.action == "start"]
        problems = Problems()
        choice = self.points.choice(plan=bool(todo) and todo[0].kind == "plan") if todo else None
        needs_point = self.action.needs_point(choice)
        items = [t for t in todo if t.kind == "item"]
        try:
            if needs_point and choice.multi_vm and items:
                self.points.multi_vm(items)
        except InputError as err:
            problems.add(err)
        for target in todo:
            try:
                if needs_point and target.kind == "item":
                    target.extra["point"] = self.points.point_for(target.resource, at=target.extra.get("at"))
                target.body = (self.action.plan_body if target.kind == "plan" else self.action.item_body)(self, target)
            except InputError as err:
                problems.add(err)
        problems.check()

    # -- execute ----------------------------------------------------------------------------------------------
    def execute(self, targets=None):
        """Send the updates the actions need first (waited for), then one action request per target."""
        todo = [t for t in targets or self.targets if t.action == "start" and t.error is None]
        updates = [t for t in todo if t.update]
        self.tracker.start_each(self._start_of(target, "begin_update", "Setting the test subnet of %s" % target.label,
                                               target.update) for target in updates)
        if updates:     # the action needs the update done, whatever `wait` says
            self.tracker.wait(updates)
            for target in updates:
                if target.error is None:
                    target.extra["update_job"] = job_view(target.job, target.job_facts)
                    target.job, target.job_facts = None, None
        self.tracker.start_each(self._start_of(target, getattr(self.action, "%s_method" % target.kind),
                                               "%s: %s" % (self.action.title.capitalize(), target.label), target.body)
                                for target in todo if target.error is None)
        self.vault.forget("items", "plans")

    def _start_of(self, target, method, what, body):
        rg, vault = self.vault.resource_group, self.vault.name
        client = self.vault.client
        if target.kind == "plan":
            begin = getattr(client.replication_recovery_plans, method)
            args = (rg, vault, target.name) + ((body,) if body is not None else ())
        else:
            begin = getattr(client.replication_protected_items, method)
            args = (rg, vault) + item_path(target.resource) + ((body,) if body is not None else ())
        return Start(target, begin, what, args, lambda: self._own_job(target, method))

    def _own_job(self, target, method):
        """After an uncertain failure to start: the job the target runs for this action now, or None."""
        try:
            fresh = self.vault.get_plan(target.name) if target.kind == "plan" else \
                self.vault.get_items([target.resource])[target.resource["id"].lower()]
        except Exception:  # pylint: disable=broad-except  # still unreachable: the first error is reported
            return None
        provider = target.provider.item

        def ours(scenario):
            if method == "begin_update":
                return provider.scenario_action(scenario) == "update"
            return self.action.own_job(scenario, fresh if target.kind == "item" else None)

        if target.kind == "plan":
            return self._own_plan_job(target, fresh, ours)
        busy = jobs.scenario_job_name(fresh)
        scenario = (props(fresh).get("currentScenario") or {}).get("scenarioName")
        if busy and busy not in self.ended and ours(scenario):
            return self._adopt(target, fresh, busy, scenario)
        if method != "begin_update" and self.action.done(self, fresh):
            # the job ended already (a short job): the item was not where this action leaves it before the request
            # and is now, so the newest job of this action on it is the one the lost request started
            try:
                latest = self.vault.jobs.latest_of(fresh)
            except DrAsrError:
                return None
            if latest and latest.get("name") not in self.ended and ours(latest.get("scenario")):
                target.resource = fresh
                target.reason = "Its %s job %s ran although the request's answer was lost." % (
                    latest.get("scenario"), latest.get("name"))
                return latest.get("name")
        return None

    def _own_plan_job(self, target, fresh, ours):
        """After an uncertain failure to start a plan's action: the job the request started on the plan - running, or
        ended already (a short job) - or None. `target.resource` is the plan as read before the request.

        The plan's currentScenario names its last job, also once it ended [lab; spec examples]: a job of this action
        there that is not the one it named before the request is ours. Else the vault's job list, the plan as the
        jobs' target (its name, RecoveryPlan): the newest job of this action that started after the plan's job known
        before the request; when the plan named none, only a running one, or one that ran while every member is now
        where the action leaves it (it was not before the request, or the action would not have started)."""
        known = jobs.scenario_job_name(target.resource)
        known_start = from_iso((props(target.resource).get("currentScenario") or {}).get("startTime"))
        if known_start is not None and known_start.year < 1900:       # ASR's "no job" start time (1753)
            known_start = None
        name = jobs.scenario_job_name(fresh)
        scenario = (props(fresh).get("currentScenario") or {}).get("scenarioName")
        if name and name != known and ours(scenario):
            return self._adopt(target, fresh, name, scenario)
        keys = set(k.lower() for k in (fresh.get("name"), props(fresh).get("friendlyName")) if k)
        try:
            found = [j for j in self.vault.jobs.list() if (j.get("target_object_name") or "").lower() in keys and
                     (j.get("target_instance_type") or PLAN_TARGET_TYPE).lower() == PLAN_TARGET_TYPE.lower() and
                     ours(j.get("scenario")) and j.get("name") != known]
            if known_start is not None:
                found = [j for j in found if (from_iso(j.get("start_time")) or known_start) >= known_start]
            elif found and any(j.get("state") in jobs.FINAL_STATES for j in found):
                self.vault.forget("items")
                now = dict((i["id"].lower(), i) for i in self.listed_items())
                members = [now.get(m["id"].lower(), m) for m in target.members]
                if not (members and all(self.action.done(self, m) for m in members)):
                    found = [j for j in found if j.get("state") not in jobs.FINAL_STATES]
        except DrAsrError:
            return None
        if not found:
            return None
        latest = sorted(found, key=lambda j: from_iso(j.get("start_time")) or known_start or EPOCH)[-1]
        return self._adopt(target, fresh, latest["name"], latest.get("scenario"))

    @staticmethod
    def _adopt(target, fresh, name, scenario):
        target.resource = fresh
        target.reason = "Its %s job %s started although the request's answer was lost: the run waited for it." % (
            scenario, name)
        return name

    # -- wait -------------------------------------------------------------------------------------------------
    def entries(self):
        return self.targets

    def look(self):
        self.tracker.look(self.targets)

    def followup(self):
        """After the jobs that blocked targets ended: decide them again and start what they need."""
        todo = [t for t in self.targets if t.followup and t.error is None]
        if not todo:
            return False
        self.vault.forget("items", "plans")
        fresh = dict((i["id"].lower(), i) for i in self.listed_items())
        for target in todo:
            target.followup = False
            target.extra_jobs = []
            target.job_facts = None
            if target.kind == "plan":
                target.resource = self.vault.get_plan(target.name)
                target.members = [fresh.get(m["id"].lower(), m) for m in target.members]
            else:
                target.resource = fresh.get(target.resource["id"].lower(), target.resource)
        self.check_jobs(todo)
        self.read_details(todo)
        for target in todo:
            try:
                self._decide(target)
                if target.followup:      # busy again with yet another job (or the same one, suspended)
                    raise DrAsrError("%s is still busy with job %s (%s)." % (
                        target.label, target.job, target.busy_scenario()), code="Busy",
                        recommended_action="Wait for it (dr.asr.job) and run again.")
                self.prepare([target])
            except DrAsrError as err:
                target.action = "none"
                target.fail(err)
        self.execute(todo)
        return any(t.action in ("start", "attach") and t.error is None for t in todo)

    def wait_more(self, waiter):
        """Wait until every item is protected again (one vault-wide item list per poll), if the action asks."""
        if not self.action.waits_for_protection:
            return
        todo = [t for t in self.targets if t.error is None and t.kind == "item" and
                t.phase() not in ("failed", "disabling")]
        if not todo:
            return

        def look():
            self.vault.forget("items")
            fresh = dict((i["id"].lower(), i) for i in self.listed_items())
            waiting = []
            for target in todo:
                target.resource = fresh.get(target.resource["id"].lower(), target.resource)
                now = phase(target.resource)
                if now in ("failed", "disabling"):
                    target.fail(DrAsrError("%s stopped replicating: %s." % (target.label, describe(target.resource)),
                                           code="ReplicationFailed", details=item_view(target.resource)))
                elif now not in CAN_FAIL_OVER:
                    progress = details(target.resource).get("initialReplicationProgressPercentage")
                    waiting.append("%s %s%s" % (target.label, props(target.resource).get("protectionState"),
                                                " %s%%" % progress if progress is not None else ""))
            self.tracker.summary = "%d of %d items protected%s" % (
                len(todo) - len(waiting), len(todo), ("; waiting for: " + ", ".join(waiting[:10])) if waiting else "")
            return Probe(not waiting, progress="waiting for: " + ", ".join(waiting[:10]))
        waiter.until(look, "%d items to be protected" % len(todo))

    # -- report -----------------------------------------------------------------------------------------------
    def moved(self, targets=None):
        """The targets of `targets` (default: every item) that may have changed since they were read: something was
        sent for them, or a job of theirs was awaited. The others are reported as read (nothing to read again)."""
        return [t for t in (self.targets if targets is None else targets)
                if t.kind == "item" and (t.changed or t.job or t.action != "none")]

    def refresh(self):
        """Read the targets again for the report, when anything may have changed (a rerun with nothing to do reports
        what it read)."""
        everything = self.targets + ([self.plan] if self.plan and self.plan not in self.targets else [])
        if not any(t.changed or t.job or t.action != "none" for t in everything):
            return
        self.vault.forget("items", "plans")
        fresh = dict((i["id"].lower(), i) for i in self.listed_items())
        for target in self.targets + ([self.plan] if self.plan and self.plan not in self.targets else []):
            if target.kind == "plan":
                target.resource = self.vault.get_plan(target.name)
                target.members = [fresh.get(m["id"].lower(), m) for m in target.members]
            else:
                target.resource = fresh.get(target.resource["id"].lower(), target.resource)
        if self.details_after:
            moved = self.moved()
            full = self.vault.get_items([t.resource for t in moved]) if moved else {}
            for target in moved:
                target.resource = full.get(target.resource["id"].lower(), target.resource)

    def _after(self, target, predicted):
        if predicted:
            after = dict(state_of(target.before))
            after.update(self.action.predicted(target))
            return after
        return state_of(target.resource)

    def target_result(self, target, predicted=False):
        if target.kind == "plan":
            p = props(target.resource)
            out = dict(name=target.label, id=target.resource.get("id"), kind="recovery_plan",
                       allowed_operations=p.get("allowedOperations") or [], current_scenario=p.get("currentScenario"),
                       current_scenario_status=p.get("currentScenarioStatus"),
                       items=[item_view(m) for m in target.members])
            before = dict((name_of(m), state_of(m)) for m in target.members)
            if predicted and target.changed:
                after = dict((name_of(m), dict(state_of(m), **self.action.predict(m))) for m in target.members)
            else:
                after = dict((name_of(m), state_of(m)) for m in target.members)
            if not target.changed:
                before = after = {}
        else:
            out = item_view(target.resource)
            out["kind"] = "item"
            before = state_of(target.before) if target.changed else {}
            after = self._after(target, predicted) if target.changed else {}
            point = target.extra.get("point")
            if point:
                out["recovery_point"] = point_facts(point)
            if target.update:
                out["update_job"] = target.extra.get("update_job")
        out.update(action=target.action, changed=target.changed, reason=target.reason,
                   job=job_view(target.job, target.job_facts),
                   error=target.error.to_dict() if target.error is not None else None,
                   diff=dict(before=before, after=after))
        if target.warnings:
            out["warnings"] = list(target.warnings)
        return out

    def report(self, predicted=False):
        results = [self.target_result(t, predicted) for t in self.targets]
        plan = None
        if self.plan is not None:
            plan = results[0] if self.plan in self.targets else self.target_result(self.plan, predicted)
            if self.batch_of_plan:
                plan.update(action="items", reason=self.plan.reason)
        items = [r for r in results if r["kind"] == "item"]
        if plan is not None and plan["kind"] == "recovery_plan" and self.plan in self.targets:
            items = plan["items"]
        changed = any(r["changed"] for r in results)
        diff = [dict(before_header=r["name"], after_header=r["name"], before=r["diff"]["before"], after=r["diff"]["after"])
                for r in results if r["changed"]]
        return dict(changed=changed, protected_items=items, recovery_plan=plan, diff=diff)

    def failed(self):
        return [t for t in self.targets if t.error is not None]


# -- the module flow ------------------------------------------------------------------------------------------------

def run_action(module, action):
    """The whole run of an action module through the pipeline."""
    params = module.params
    return pipeline.run(Run(module.asr_vault(), params, action, module.warn), module.check_mode, params["wait"])


def exit_action(module, runner):
    """main() of an action module: run, warn, fail when a target failed (with the per-target results)."""
    pipeline.finish(module, runner, lambda result: list(result["protected_items"]) + (
        [result["recovery_plan"]] if result.get("recovery_plan") else []))
