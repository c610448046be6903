"""The ASR job engine and what hangs on it: replicationJobs, the LRO endpoints, events.

The engine layer of the package (docs/lab-asr.md, "Package layout"): it imports only the state layer (common,
errors, vocabulary); the resource providers above it (fabric, policies, items, actions, plans, health) start its
jobs and own the callbacks its tasks name.

Contract (docs/lab-asr.md, "The job engine"):

* `start_job(ctx, vault, scenario=..., friendly_name=..., target_id=..., target_name=...,
  target_type=..., tasks=[Task...], custom_details=None, result_url=None)` stores a job
  (`V/replicationJobs/{guid}`, state InProgress) and returns its body. Tasks with the same `stage`
  run in parallel (the stage lasts as long as its longest task), stages run in order; a `manual`
  task suspends the job (state Suspended, allowedActions Resume/Cancel) until `POST .../resume`.
* A task's `callback` (a key of a module's `CALLBACKS = {key: fn}`, installed at start-up by the package's
  registry, registry.py: `install`) runs once, when lab time reaches the task's end: `fn(ctx, job, task)`.
  Raising ArmError/AsrError fails the task and the job (the error lands in the job's errors and in the
  operation status). Callbacks run lazily, on the next request after their time: `task_end(task)` is the
  lab time the task ended (use it, not ctx.now(), for timestamps). Each callback runs exactly once: its
  effects and the task's `done` flag are written in the same store transaction.
* `advance(ctx)` runs every due transition, oldest first, up to ctx.now(); the package calls it
  before every Microsoft.RecoveryServices / Microsoft.OffAzure request (engine hook before_request).
* `active_job(ctx, target_id, own=False)`: the InProgress/Suspended job on a target, or one that locks
  it (`start_job(..., affected_ids=[...])`: a recovery plan job locks its items), else None: what
  `ensure_idle` (the 409) and `current_scenario` answer.
* `callback(key)`: the function registered for a key (plans run item tasks' callbacks through it).
  Keys are stored with the jobs (SQLite) and must find their callback after a restart: `start_job` refuses a
  job naming a key nobody registered, the registry refuses to start with a stored job naming one.
* `lro_response(ctx, job, result_url)`: `(202, None, headers)` with ASR's LRO headers:
  `Location: {target}/operationresults/{job}`, `Azure-AsyncOperation:
  {vault}/replicationOperationStatus/{job}`, `Retry-After`, `x-ms-request-id: <job id>`.
  `operationresults` answers 202 while the job runs, then 200 with the target rendered as a GET
  answers it (204 when the target is gone: removals), or the job's error. The status URL answers
  `{"id", "name", "status": InProgress|Succeeded|Failed|Canceled, "startTime", "endTime", "error"}`.

Job bodies keep the engine's state under `_lab` (tasks with their callbacks, the target, the result
kind); `render()` builds the SDK's `Job` from it.
"""
import copy
import logging
import re
import time
import traceback

from drlab.azure import metadata
from drlab.azure.providers.siterecovery import common, errors, vocabulary
from drlab.azure.providers.siterecovery.common import EVENT, JOB, VAULT_PATH, private
from drlab.azure.rp import ArmError, ResourceType

LOG = logging.getLogger("drlab.azure.asr.jobs")

ACTIVE_KEY = common.JOBS_ACTIVE_KEY     # store meta: [{"id", "target", "affected"}] of the InProgress/Suspended jobs
#: what a task callback returns when the task did nothing (the task ends in state Other, "Skipped")
SKIPPED = "skipped"
FAILED_KEY = common.JOBS_FAILED_KEY     # store meta: {target id (lower): the last job that failed on it}
RUNNING_STATES = ("NotStarted", "InProgress", "Suspended")
_STATE_DESCRIPTION = {"NotStarted": "NotStarted", "InProgress": "InProgress", "Succeeded": "Completed",
                      "Failed": "Failed", "Cancelled": "Cancelled", "Suspended": "Suspended"}
_STATUS = {"NotStarted": "InProgress", "InProgress": "InProgress", "Suspended": "InProgress",
           "Succeeded": "Succeeded", "Failed": "Failed", "Cancelled": "Canceled"}
_JOB_ACTIONS = {"InProgress": ["Cancel"], "Suspended": ["Cancel", "Resume"], "Failed": ["Restart"]}

#: key -> fn(ctx, job, task), and result kind -> fn(ctx, job) -> (status, body): the tables the package's
#: registry installs at start-up (registry.py; `install`)
_CALLBACKS = {}
_RESULTS = {}
_INSTALLED = set()      # the keys of _CALLBACKS that the registry installed (the package modules' own)
_HOLDERS = {"RecoveryPlan": "recovery plan", "ProtectionEntity": "replicated item"}


class Task:
    """One step of a job (JSON-serialisable through to_dict()).

    name / friendly_name: what the job's task list shows; duration: lab seconds; callback: a key of
    register_callback (or None); args: a JSON dict handed to the callback; manual: suspends the job
    until resumed; stage: tasks of a stage run in parallel, stages in order; custom_details: the
    task's `customDetails` (default JobTaskDetails, ManualActionTaskDetails for manual tasks);
    group_details: its `groupTaskCustomDetails` (recovery plan groups); state_description: what a
    suspended job says while it waits (e.g. "WaitingForStopTestFailover"); steps: {"callback": key, "offsets":
    [lab seconds after the task's start, ascending]}: work the task does at its own times before it ends (a
    recovery plan group's items end at their own times): the engine calls `fn(ctx, job, task, upto, deadline)` when
    the next offset is due (see `advance`); it records its new `steps_done` in the stored job and returns it.
    """

    def __init__(self, name, friendly_name=None, duration=0.0, callback=None, args=None, manual=False, stage=0,
                 custom_details=None, group_details=None, state_description=None, steps=None):
        self.name = name
        self.friendly_name = friendly_name or name
        self.duration = float(duration or 0.0)
        self.callback = callback
        self.args = dict(args or {})
        self.manual = bool(manual)
        self.stage = int(stage)
        self.custom_details = custom_details
        self.group_details = group_details
        self.state_description = state_description
        self.steps = dict(steps) if steps else None

    def to_dict(self):
        out = {"name": self.name, "friendly_name": self.friendly_name, "duration": self.duration,
               "callback": self.callback, "args": self.args, "manual": self.manual, "stage": self.stage,
               "custom_details": self.custom_details, "group_details": self.group_details,
               "state_description": self.state_description}
        if self.steps:
            out["steps"] = self.steps
        return out


def install(callbacks, results):
    """The package registry's tables (registry.py, once at start-up): callbacks {key: fn(ctx, job, task)} run
    when a task ends (see the module docstring), results {kind: fn(ctx, job) -> (status, body)}: what
    `operationresults` answers for a finished job of that result kind. Replaces what was installed."""
    _CALLBACKS.clear()
    _CALLBACKS.update(callbacks)
    _INSTALLED.clear()
    _INSTALLED.update(callbacks)
    _RESULTS.clear()
    _RESULTS.update(results)


def register_callback(key, fn):
    """A callback outside the package's modules (in-process tests' own keys; registered again, it replaces the
    earlier one). A key of the package's modules (they declare theirs in CALLBACKS) or a fn that is not callable
    is refused (ValueError)."""
    if not key or not isinstance(key, str) or key in _INSTALLED:
        raise ValueError("callback key %r is empty or one of the package's modules" % (key,))
    if not callable(fn):
        raise ValueError("callback %r is not callable" % (key,))
    _CALLBACKS[key] = fn


def callback(key):
    """The function registered under `key`, or None (also for a None key)."""
    return _CALLBACKS.get(key) if key else None


def unregistered(keys):
    """The keys (None ignored) that have no registered callback, sorted."""
    return sorted({k for k in keys if k and k not in _CALLBACKS})


def require_callbacks(keys, what):
    """Refuse (an internal error, 500) to start `what` when it names a callback key nobody registered."""
    missing = unregistered(keys)
    if missing:
        LOG.error("%s names unregistered callback keys: %s", what, ", ".join(missing))
        raise errors.internal_error("%s names callback keys that are not registered: %s" % (what, ", ".join(missing)))


def named_callbacks(job):
    """The callback keys a stored job names: its tasks' callbacks and its on_failure / on_restart hooks."""
    lab = private(job)
    keys = [t.get("callback") for t in lab.get("tasks") or []] + [lab.get("on_failure"), lab.get("on_restart")]
    keys += [(t.get("steps") or {}).get("callback") for t in lab.get("tasks") or []]
    return {k for k in keys if k}


def task_end(task):
    """The lab time (epoch seconds) at which a task ended (or ends)."""
    return task.get("end")


def job_state(job):
    return job["properties"]["state"]


# -- starting ------------------------------------------------------------------------------------

def _task_record(ctx, spec, index):
    data = spec.to_dict() if isinstance(spec, Task) else Task(**spec).to_dict()
    data.update({"taskId": ctx.new_guid(), "index": index, "state": "NotStarted", "start": None, "end": None,
                 "done": False, "errors": []})
    return data


def start_job(ctx, vault_rid, *, scenario, friendly_name, target_id, target_name, target_type, tasks,
              custom_details=None, result_url=None, result_kind="resource", on_failure=None, on_restart=None,
              start_at=None, fabric_id=None, affected_ids=None):
    """Store a new job (InProgress) and return its body. See the module docstring.

    Extras beyond the design doc: result_kind ("resource": the target at result_url; "none": 204;
    "job": the job itself; or a kind of a module's RESULTS), on_failure / on_restart (callback keys run
    with task=None when the job fails or is cancelled / restarted), start_at (a past lab time the
    job started at), fabric_id (for `$filter=fabricId`), affected_ids (other objects the job locks
    while it runs, e.g. the protected items of a recovery plan: `active_job` / `ensure_idle` /
    `current_scenario` of each of them answer this job, like its target's).
    """
    vault = vault_rid if isinstance(vault_rid, str) else vault_rid.id
    vault = ctx.engine.canonical(ctx.parse(vault)).id
    records = [_task_record(ctx, spec, i) for i, spec in enumerate(tasks)]
    require_callbacks([r["callback"] for r in records] + [(r.get("steps") or {}).get("callback") for r in records]
                      + [on_failure, on_restart], "the %s job" % scenario)
    name = ctx.new_guid()
    job_id = "%s/replicationJobs/%s" % (vault, name)
    start = common.now_epoch(ctx) if start_at is None else float(start_at)
    details = copy.deepcopy(custom_details) if custom_details else {"instanceType": "AsrJobDetails"}
    details.setdefault("affectedObjectDetails", {})
    body = {
        "id": job_id, "name": name, "type": JOB,
        "properties": {
            "activityId": "%s ActivityId: %s" % (ctx.new_guid(), ctx.new_guid()),
            "scenarioName": scenario, "friendlyName": friendly_name,
            "state": "InProgress", "stateDescription": "InProgress",
            "startTime": common.to_iso(start), "endTime": None, "errors": [],
            "targetObjectId": common.internal_id(target_id) if target_id else "",
            "targetObjectName": target_name or "", "targetInstanceType": target_type,
            "customDetails": details,
        },
        common.PRIVATE: {"tasks": records, "vault": vault, "target": target_id, "target_name": target_name,
                         "affected": [a for a in (affected_ids or []) if a],
                         "result": {"kind": result_kind, "id": result_url or target_id},
                         "start": start, "stage_start": start, "end": None, "on_failure": on_failure,
                         "on_restart": on_restart, "fabric": fabric_id, "error_status": None,
                         "status_error": None},
    }
    _begin_stage(body, start)
    _save(ctx, body)
    failed = common.meta_get(ctx, FAILED_KEY, {})
    if target_id and failed.pop(target_id.lower(), None):
        common.meta_set(ctx, FAILED_KEY, failed)
    advance(ctx)
    return ctx.get(job_id)


def _save(ctx, job):
    active = [e for e in common.meta_get(ctx, ACTIVE_KEY, []) if not common.same_id(e["id"], job["id"])]
    if ctx.get(private(job)["vault"]) is None:     # the vault was deleted (with its jobs)
        common.meta_set(ctx, ACTIVE_KEY, active)
        return
    ctx.put(job["id"], job)
    if job_state(job) in RUNNING_STATES:
        active.append({"id": job["id"], "target": (private(job).get("target") or "").lower(),
                       "affected": [a.lower() for a in private(job).get("affected") or []]})
    common.meta_set(ctx, ACTIVE_KEY, active)


def get_job(ctx, job_id):
    return ctx.get(job_id)


def _running_index(ctx):
    """({target: [job ids]}, {affected id: [job ids]}) of the running jobs' index (ACTIVE_KEY), in its order."""
    by_target, by_affected = {}, {}
    for entry in common.meta_get(ctx, ACTIVE_KEY, []):
        by_target.setdefault(entry.get("target"), []).append(entry["id"])
        for affected in entry.get("affected") or []:
            by_affected.setdefault(affected, []).append(entry["id"])
    return by_target, by_affected


def active_job(ctx, target_id, own=False):
    """The running (InProgress / Suspended) job on target_id, or None: a job whose target it is, else
    (unless `own`) a job that locks it as one of its affected_ids (a recovery plan job's items).

    The index and the jobs are read once per request while nothing is written (common.memo_read: rendering a
    100-item plan or a page of items asked for the same plan job 100 times), so the job is read-only here."""
    if not target_id:
        return None
    key = target_id.lower().rstrip("/")
    by_target, by_affected = common.memo_read(ctx, "jobs.running", lambda: _running_index(ctx))
    for job_ids in (by_target.get(key) or [], [] if own else by_affected.get(key) or []):
        for job_id in job_ids:
            job = common.memo_read(ctx, ("job", job_id.lower()), lambda job_id=job_id: ctx.get(job_id))
            if job is not None and job_state(job) in RUNNING_STATES:
                return job
    return None


def ensure_idle(ctx, target_id, target_name):
    """Raise the ASR 409 when a job runs on the target (its own, or one that locks it: affected_ids)."""
    job = active_job(ctx, target_id)
    if job is not None:
        holder = None
        if not common.same_id(private(job).get("target") or "", target_id):
            holder = "%s '%s'" % (_HOLDERS.get(job["properties"]["targetInstanceType"], "object"),
                                  job["properties"]["targetObjectName"])
        raise errors.job_in_progress(target_name, job["name"], job["properties"]["scenarioName"], holder)


def current_scenario(ctx, target_id, vault):
    """`currentScenario` of an item: its running job (in the item's words: EnableDr runs as EnableProtection,
    vocabulary.item_scenario), else the last job that failed on it [recorded: an EnablingFailed item keeps its
    failed enable job], else ASR's idle value. A currentScenario is no proof that a job runs."""
    job = active_job(ctx, target_id)
    if job is None:
        failed = common.meta_get(ctx, FAILED_KEY, {}).get((target_id or "").lower())
        job = ctx.get(failed) if failed else None
    if job is None:
        return {"scenarioName": "None", "jobId": common.asr_id(vault + "/replicationJobs/None"),
                "startTime": common.IDLE_SCENARIO_START}
    scenario = private(job).get("item_scenario") or vocabulary.item_scenario(job["properties"]["scenarioName"])
    return {"scenarioName": scenario, "jobId": common.asr_id(job["id"]), "startTime": job["properties"]["startTime"]}


def set_item_scenario(ctx, job, scenario):
    """What the job's target shows as its currentScenario from now on (the reprotect switches to
    EnableProtection once it protects the replica)."""
    stored = ctx.get(job["id"])
    if stored is not None:
        private(stored)["item_scenario"] = scenario
        ctx.put(stored["id"], stored)


# -- the engine ------------------------------------------------------------------------------------

def _pending(job):
    return [t for t in private(job)["tasks"] if not t["done"]]


def _current_stage(job):
    pending = _pending(job)
    if not pending:
        return None, []
    stage = min(t["stage"] for t in pending)
    return stage, [t for t in private(job)["tasks"] if t["stage"] == stage]


def _begin_stage(job, when):
    lab = private(job)
    lab["stage_start"] = when
    stage, tasks = _current_stage(job)
    if stage is None:
        return
    for task in tasks:
        if not task["done"] and task["start"] is None:
            task["start"] = when
            task["state"] = "InProgress"


def next_step(task):
    """The offset (lab seconds after the task's start) of a task's next step (Task steps), or None."""
    offsets = (task.get("steps") or {}).get("offsets") or []
    done = task.get("steps_done") or 0
    return offsets[done] if done < len(offsets) else None


def _next_event(job):
    """(lab time, kind, task) of a running job's next transition, or None (suspended, finished). A task's due
    steps come before its end (and before a later task's end)."""
    if job_state(job) != "InProgress":
        return None
    lab = private(job)
    stage, tasks = _current_stage(job)
    if stage is None:
        return lab["stage_start"], "finish", None
    automatic = [t for t in tasks if not t["done"] and not t["manual"]]
    if automatic:
        task = min(automatic, key=lambda t: (t["duration"], t["index"]))
        steps = [(next_step(t), t["index"], t) for t in automatic if next_step(t) is not None]
        if steps:
            offset, _index, stepping = min(steps, key=lambda s: (s[0], s[1]))
            if offset <= task["duration"]:
                return lab["stage_start"] + offset, "step", stepping
        return lab["stage_start"] + task["duration"], "task", task
    return lab["stage_start"], "suspend", None


def advance(ctx, deadline=None):
    """Run every due job transition up to ctx.now(), oldest first (see the module docstring). With a `deadline`
    (time.monotonic()), stop once it passed after a transition (the background advancer's slices: the rest runs
    in the next slice, or in the next request) and return True when something due may be left; else False."""
    now = common.now_epoch(ctx)
    for _guard in range(100000):
        best = None
        for entry in common.meta_get(ctx, ACTIVE_KEY, []):
            job = ctx.get(entry["id"])
            if job is None:
                _forget(ctx, entry["id"])
                continue
            event = _next_event(job)
            if event is not None and event[0] <= now and (best is None or event[0] < best[1][0]):
                best = (job, event)
        if best is None:
            return False
        _apply(ctx, best[0], best[1], now, deadline)
        if deadline is not None and time.monotonic() >= deadline:
            return True
    return False


def next_due(ctx):
    """The lab time of the earliest transition of a running job (due or not), or None (none runs, or all wait at a
    manual action): when the background advancer looks again."""
    times = []
    for entry in common.meta_get(ctx, ACTIVE_KEY, []):
        job = ctx.get(entry["id"])
        event = _next_event(job) if job is not None else None
        if event is not None:
            times.append(event[0])
    return min(times) if times else None


def _forget(ctx, job_id):
    common.meta_set(ctx, ACTIVE_KEY, [e for e in common.meta_get(ctx, ACTIVE_KEY, [])
                                      if not common.same_id(e["id"], job_id)])


def _job_ctx(ctx, job):
    sub = ctx.parse(job["id"]).subscription
    if sub.lower() == (ctx.subscription_id or "").lower():
        return ctx
    return ctx.engine.admin_context(subscription_id=sub)


def _apply(ctx, job, event, now=None, deadline=None):
    when, kind, task = event
    if kind == "finish":
        _finish(ctx, job, "Succeeded", when)
    elif kind == "suspend":
        _suspend(ctx, job)
    elif kind == "step":
        _run_steps(ctx, job, task, when if now is None else now, deadline)
    else:
        _run_task(ctx, job, task, when)


def _run_steps(ctx, job, task, upto, deadline):
    """A task's due steps: `fn(ctx, job, task, upto, deadline)` runs those up to lab time `upto` (at least one,
    then until `deadline` passed), records its progress (`steps_done`) in the stored job itself, in the same
    transaction as their effects (each step runs once), and returns it. A step function that raises fails the task
    and the job."""
    fn = callback(task["steps"].get("callback"))
    before = task.get("steps_done") or 0
    try:
        if fn is None:
            raise errors.internal_error("no callback is registered for %r" % task["steps"].get("callback"))
        done = fn(_job_ctx(ctx, job), job, task, upto, deadline)
    except ArmError as err:
        _fail(ctx, ctx.get(job["id"]) or job, task["taskId"], errors.as_asr(err), next_step(task) + task["start"])
        return
    except Exception as err:  # pylint: disable=broad-except  # a provider bug must not wedge the engine
        LOG.error("job %s task %s steps failed:\n%s", job["name"], task["name"], traceback.format_exc())
        _fail(ctx, ctx.get(job["id"]) or job, task["taskId"], errors.internal_error(err),
              next_step(task) + task["start"])
        return
    if not isinstance(done, int) or done <= before:         # it answers its new steps_done
        stored = ctx.get(job["id"])
        if stored is not None and (_task_by_id(stored, task["taskId"]).get("steps_done") or 0) <= before:
            LOG.error("job %s task %s: its step function made no progress", job["name"], task["name"])
            _task_by_id(stored, task["taskId"])["steps_done"] = before + 1      # never loop on the same step
            _save(ctx, stored)


def _run_task(ctx, job, task, when):
    task["end"] = when
    fn = callback(task["callback"])
    if task["callback"] and fn is None:     # start_job and the registry's start-up check keep this from happening
        LOG.error("job %s: no callback registered for %r", job["name"], task["callback"])
        _fail(ctx, job, task["taskId"], errors.internal_error("no callback is registered for %r" % task["callback"]),
              when)
        return
    outcome = None
    try:
        if fn is not None:
            outcome = fn(_job_ctx(ctx, job), job, task)
    except ArmError as err:
        _fail(ctx, ctx.get(job["id"]) or job, task["taskId"], errors.as_asr(err), when)
        return
    except Exception as err:  # pylint: disable=broad-except  # a provider bug must not wedge the engine
        LOG.error("job %s task %s failed:\n%s", job["name"], task["name"], traceback.format_exc())
        _fail(ctx, ctx.get(job["id"]) or job, task["taskId"],
              errors.internal_error(err), when)
        return
    job = ctx.get(job["id"]) or job         # the callback may have changed the job (custom details...)
    record = _task_by_id(job, task["taskId"])
    record.update({"end": when, "done": True, "state": "Succeeded"})
    if outcome == SKIPPED:      # [recorded: VmShutdownVmOnPrimary without performShutdown: Other, "Skipped"]
        record.update({"state": "Other", "state_description": "Skipped"})
    stage_tasks = [t for t in private(job)["tasks"] if t["stage"] == record["stage"]]
    if all(t["done"] for t in stage_tasks):
        _begin_stage(job, max(t["end"] for t in stage_tasks))
    _save(ctx, job)


def _task_by_id(job, task_id):
    for task in private(job)["tasks"]:
        if task["taskId"] == task_id:
            return task
    raise KeyError(task_id)


def _suspend(ctx, job):
    _stage, tasks = _current_stage(job)
    for task in tasks:
        if not task["done"] and task["manual"]:
            task["state"] = "Suspended"
    job["properties"]["state"] = "Suspended"
    waiting = [t for t in tasks if not t["done"] and t["manual"]]
    job["properties"]["stateDescription"] = (waiting[0].get("state_description") if waiting else None) \
        or "Suspended"
    _save(ctx, job)


def _finish(ctx, job, state, when):
    lab = private(job)
    lab["end"] = when
    job["properties"].update({"state": state, "stateDescription": _STATE_DESCRIPTION[state],
                              "endTime": common.to_iso(when)})
    _save(ctx, job)
    if state == "Failed" and lab.get("target"):
        failed = common.meta_get(ctx, FAILED_KEY, {})
        failed[lab["target"].lower()] = job["id"]
        common.meta_set(ctx, FAILED_KEY, failed)


def _fail(ctx, job, task_id, err, when):
    lab = private(job)
    for task in lab["tasks"]:
        if task["taskId"] == task_id:
            task.update({"state": "Failed", "end": when, "done": False,
                         "errors": [err.job_error(task_id, common.to_iso(when))]})
        elif not task["done"] and task["state"] in ("InProgress", "Suspended"):
            task.update({"state": "Cancelled", "end": when})
    job["properties"]["errors"] = job["properties"].get("errors", []) + [err.job_error(task_id, common.to_iso(when))]
    lab["error_status"] = err.status
    lab["status_error"] = err.status_error()
    _finish(ctx, job, "Failed", when)
    _run_hook(ctx, job, "on_failure")
    emit_job_event(ctx, job)


def _run_hook(ctx, job, key):
    fn = callback(private(job).get(key))
    if fn is None:
        if private(job).get(key):
            LOG.error("job %s: no callback registered for its %s hook %r", job["name"], key, private(job)[key])
        return
    try:
        fn(_job_ctx(ctx, job), ctx.get(job["id"]) or job, None)
    except Exception:  # pylint: disable=broad-except  # the job's end is recorded whatever the hook does
        LOG.error("job %s: %s hook failed:\n%s", job["name"], key, traceback.format_exc())


def cancel(ctx, job):
    """Cancel a running or suspended job (no more callbacks; the on_failure hook runs)."""
    if job_state(job) not in RUNNING_STATES:
        raise errors.job_not_allowed(job["name"], "Cancel", job_state(job))
    now = common.now_epoch(ctx)
    for task in private(job)["tasks"]:
        if not task["done"] and task["state"] in ("InProgress", "Suspended"):
            task.update({"state": "Cancelled", "end": now})
    _finish(ctx, job, "Cancelled", now)
    _run_hook(ctx, job, "on_failure")
    return ctx.get(job["id"])


def resume(ctx, job):
    """Resume a suspended job: its waiting manual tasks succeed now, the next stage starts."""
    if job_state(job) != "Suspended":
        raise errors.job_not_allowed(job["name"], "Resume", job_state(job))
    now = common.now_epoch(ctx)
    _stage, tasks = _current_stage(job)
    for task in tasks:
        if not task["done"] and task["manual"]:
            task.update({"state": "Succeeded", "done": True, "end": now})
    job["properties"].update({"state": "InProgress", "stateDescription": "InProgress"})
    if all(t["done"] for t in tasks):
        _begin_stage(job, now)
    _save(ctx, job)
    advance(ctx)
    return ctx.get(job["id"])


def restart(ctx, job):
    """Restart a failed job from its failed stage (now); returns the `RestartJob` job ASR answers."""
    if job_state(job) != "Failed":
        raise errors.job_not_allowed(job["name"], "Restart", job_state(job))
    now = common.now_epoch(ctx)
    lab = private(job)
    for task in lab["tasks"]:
        if not task["done"]:
            task.update({"state": "NotStarted", "start": None, "end": None, "errors": []})
            if task.get("steps"):       # its steps run again (their function skips what succeeded before)
                task.update({"steps_done": 0, "step_state": {}})
    lab.update({"end": None, "error_status": None, "status_error": None})
    job["properties"].update({"state": "InProgress", "stateDescription": "InProgress", "endTime": None,
                              "errors": []})
    _begin_stage(job, now)
    _save(ctx, job)
    _run_hook(ctx, job, "on_restart")
    restart_job = start_job(ctx, lab["vault"], scenario="RestartJob", friendly_name="Restart job",
                            target_id=None, target_name=job["properties"]["targetObjectName"],
                            target_type=job["properties"]["targetInstanceType"],
                            tasks=[Task("RemediateTask", "Restarting job")], result_kind="job")
    restart_job["properties"]["targetObjectId"] = job["properties"]["targetObjectId"]
    ctx.put(restart_job["id"], restart_job)
    advance(ctx)
    return restart_job


# -- rendering ------------------------------------------------------------------------------------

def _render_task(task):
    state = task["state"]
    if task["custom_details"]:
        details = copy.deepcopy(task["custom_details"])
    elif task["manual"]:
        details = {"instanceType": "ManualActionTaskDetails", "name": task["name"],
                   "instructions": task["args"].get("instructions", task["friendly_name"]), "observation": ""}
    else:
        details = {"instanceType": "JobTaskDetails"}
    out = {"taskId": task["taskId"], "name": task["name"], "startTime": common.to_iso(task["start"]),
           "endTime": common.to_iso(task["end"]) if state in ("Succeeded", "Failed", "Cancelled", "Other") else None,
           "allowedActions": ["Resume"] if state == "Suspended" else [],
           "friendlyName": task["friendly_name"], "state": state,
           "stateDescription": (task.get("state_description") if state in ("Suspended", "Other") else None)
           or _STATE_DESCRIPTION.get(state, state),
           "taskType": "TaskDetails", "customDetails": details, "errors": copy.deepcopy(task["errors"])}
    if task["group_details"]:
        out["groupTaskCustomDetails"] = copy.deepcopy(task["group_details"])
    return out


def render_job(job):
    out = common.public(job)
    out["id"] = common.asr_id(out["id"])
    props = out["properties"]
    props["tasks"] = [_render_task(t) for t in sorted(private(job)["tasks"], key=lambda t: (t["stage"], t["index"]))]
    props["allowedActions"] = list(_JOB_ACTIONS.get(props["state"], []))
    return out


class ReplicationJob(ResourceType):
    full_type = JOB
    parent_type = common.VAULT
    tracked = False
    list_at_subscription = False

    def prepare_put(self, ctx, rid, body, existing):
        raise ArmError(405, "MethodNotAllowed", "The requested resource does not support http method 'PUT'.")

    def check_delete(self, ctx, rid, existing):
        raise ArmError(405, "MethodNotAllowed", "The requested resource does not support http method 'DELETE'.")

    def render(self, ctx, stored):
        return render_job(stored)

    def filter_list(self, ctx, items, query):
        clauses = parse_filter(query.get("$filter"), JOB_FILTER_FIELDS)
        out = [job for job in items if all(_job_matches(job, c) for c in clauses)]
        return sorted(out, key=lambda j: private(j).get("start") or 0, reverse=True)


# -- $filter --------------------------------------------------------------------------------------

_CLAUSE = re.compile(r"^\s*\(?\s*(?P<field>[A-Za-z_][\w.]*)\s+(?P<op>eq|ne|ge|gt|le|lt)\s+"
                     r"(?P<value>'(?:[^']|'')*'|[^\s)]+)\s*\)?\s*$", re.I)

#: the fields of the SDK's JobQueryParameter (PowerShell's Get-AzRecoveryServicesAsrJob) + targetObject*
JOB_FILTER_FIELDS = ("startTime", "endTime", "fabricId", "affectedObjectTypes", "jobStatus", "jobOutputType",
                     "jobName", "timezoneOffset", "targetObjectId", "targetObjectName", "scenarioName", "state")
EVENT_FILTER_FIELDS = ("eventCode", "severity", "eventType", "fabricName", "affectedObjectFriendlyName",
                       "affectedObjectCorrelationId", "startTime", "endTime")


def parse_filter(text, fields):
    """OData `$filter` of ASR lists: `Field op 'value' [and ...]` -> [(field, op, value)]."""
    if not text or not text.strip():
        return []
    known = {f.lower(): f for f in fields}
    out = []
    for part in re.split(r"\s+and\s+", text.strip(), flags=re.I):
        m = _CLAUSE.match(part)
        if m is None or m.group("field").lower() not in known:
            raise ArmError(400, "InvalidFilterInQueryString",
                           "Invalid $filter '%s': use Field eq 'value' clauses joined with 'and'; fields: %s."
                           % (text, ", ".join(fields)))
        value = m.group("value")
        if value.startswith("'"):
            value = value[1:-1].replace("''", "'")
        out.append((known[m.group("field").lower()], m.group("op").lower(), value))
    return out


def _in_list(value, wanted):
    options = [w.strip().lower() for w in wanted.split(",") if w.strip()]
    return not options or (value or "").lower() in options


def _time_ok(actual, op, wanted, lower_bound):
    a, w = common.from_iso(actual), common.from_iso(wanted)
    if w is None:
        raise ArmError(400, "InvalidFilterInQueryString", "Invalid time '%s' in $filter." % wanted)
    if a is None:
        return False
    if op in ("lt", "le") or (op == "eq" and not lower_bound):
        return a < w if op == "lt" else a <= w
    return a > w if op == "gt" else a >= w


def _job_matches(job, clause):
    field, op, value = clause
    props = job["properties"]
    lab = private(job)
    if field == "startTime":
        return _time_ok(props.get("startTime"), op, value, lower_bound=True)
    if field == "endTime":   # PowerShell: the jobs that started before EndTime
        return _time_ok(props.get("startTime"), op, value, lower_bound=False)
    if field in ("jobStatus", "state"):
        return _in_list(props.get("state"), value) != (op == "ne")
    if field == "affectedObjectTypes":
        return _in_list(props.get("targetInstanceType"), value)
    if field in ("jobName", "scenarioName"):
        return (props.get("scenarioName") or "").lower() == value.lower()
    if field == "fabricId":
        return bool(lab.get("fabric")) and (common.same_id(lab["fabric"], value)
                                            or lab["fabric"].rsplit("/", 1)[-1].lower() == value.lower())
    if field == "targetObjectId":
        return value.lower() in ((props.get("targetObjectId") or "").lower(), (lab.get("target") or "").lower(),
                                 (lab.get("target") or "").rsplit("/", 1)[-1].lower())
    if field == "targetObjectName":
        return (props.get("targetObjectName") or "").lower() == value.lower()
    return True      # jobOutputType, timezoneOffset: output options, not filters


# -- LRO endpoints ----------------------------------------------------------------------------------

def lro_response(ctx, job, result_url=None):
    """(202, None, headers) for a job-backed long-running operation (see the module docstring)."""
    lab = private(job)
    api = ctx.api_version or common.DEFAULT_API_VERSION
    target = result_url or lab["result"].get("id") or lab["vault"]
    base = ctx.base_url
    headers = {
        "Location": "%s%s/operationresults/%s?api-version=%s" % (base, common.asr_id(target), job["name"], api),
        "Azure-AsyncOperation": "%s%s/replicationOperationStatus/%s?api-version=%s" % (
            base, common.asr_id(lab["vault"]), job["name"], api),
        "Retry-After": common.retry_after(ctx),
        "x-ms-request-id": common.asr_id(job["id"]),
    }
    return 202, None, headers


def _job_or_404(ctx, match):
    vault = common.require_vault(ctx, match)
    job = ctx.get("%s/replicationJobs/%s" % (vault, match.group("job")))
    if job is None:
        raise errors.not_found("job", match.group("job"))
    return job


def operation_status(ctx, match, query, body):
    job = _job_or_404(ctx, match)
    props = job["properties"]
    out = {"id": common.asr_id("%s/replicationOperationStatus/%s" % (private(job)["vault"], job["name"])),
           "name": job["name"], "status": _STATUS[props["state"]], "startTime": props["startTime"],
           "endTime": props.get("endTime"), "error": private(job).get("status_error")}
    return 200, out, {"Retry-After": common.retry_after(ctx)}


def operation_result(ctx, match, query, body):
    job = _job_or_404(ctx, match)
    lab = private(job)
    state = job_state(job)
    if state in RUNNING_STATES:
        location = "%s%s%s" % (ctx.base_url, ctx.request.path if ctx.request is not None else "",
                               "?" + ctx.request.query_string if ctx.request is not None and
                               ctx.request.query_string else "")
        return 202, None, {"Location": location, "Retry-After": common.retry_after(ctx)}
    if state == "Failed":
        return lab.get("error_status") or 400, {"error": lab.get("status_error") or {
            "code": "Failed", "message": "The operation failed."}}
    if state == "Cancelled":
        return 400, {"error": {"code": "OperationCanceled", "message": "The job '%s' was cancelled." % job["name"]}}
    kind = lab["result"].get("kind", "resource")
    if kind in _RESULTS:
        return _RESULTS[kind](ctx, job)
    if kind == "job":
        return 200, render_job(ctx.get(job["id"]))
    target = lab["result"].get("id")
    stored = ctx.get(target) if kind == "resource" and target else None
    if stored is None:
        return 204, None
    return 200, common.render_with(ctx, stored)


def _job_action(ctx, match, query, body):
    job = _job_or_404(ctx, match)
    action = match.group("action").lower()
    if action == "cancel":
        out = cancel(ctx, job)
    elif action == "resume":
        out = resume(ctx, job)
    else:
        out = restart(ctx, job)
    return 200, render_job(out)


def _export(ctx, match, query, body):
    vault = common.require_vault(ctx, match)
    name = ctx.new_guid()
    details = {"instanceType": "ExportJobDetails", "affectedObjectDetails": {},
               "blobUri": "https://drlabexports.blob.%s/asrjobs/%s.json" % (metadata.STORAGE_SUFFIX, name),
               "sasToken": "sv=2024-11-04&sr=b&sp=r&sig=lab"}
    job = start_job(ctx, vault, scenario="ExportJobs", friendly_name="Export jobs", target_id=None,
                    target_name="", target_type="Other", tasks=[Task("ExportJobsTask", "Export jobs", 5)],
                    custom_details=details, result_kind="job")
    return lro_response(ctx, job, vault + "/replicationJobs")


# -- events ----------------------------------------------------------------------------------------

def emit_event(ctx, vault, *, code, description, event_type, severity, affected_name, correlation_id="",
               fabric_id="", provider_details=None, specific_details=None, health_errors=None, when=None):
    """Store a `replicationEvents` entry of the vault; returns it."""
    name = ctx.new_guid()
    body = {"id": "%s/replicationEvents/%s" % (vault, name), "name": name, "type": EVENT,
            "properties": {"eventCode": code, "description": description, "eventType": event_type,
                           "affectedObjectFriendlyName": affected_name,
                           "affectedObjectCorrelationId": correlation_id, "severity": severity,
                           "timeOfOccurrence": common.to_iso(common.now_epoch(ctx) if when is None else when),
                           "fabricId": common.asr_id(fabric_id) if fabric_id else "",
                           "healthErrors": copy.deepcopy(health_errors or [])}}
    if provider_details:
        body["properties"]["providerSpecificDetails"] = provider_details
    if specific_details:
        body["properties"]["eventSpecificDetails"] = specific_details
    ctx.put(body["id"], body)
    return body


def emit_job_event(ctx, job):
    """An event for a failed job (what the vault's job-failure alerts are about)."""
    props = job["properties"]
    emit_event(ctx, private(job)["vault"], code="JobFailed", event_type="JobStatus", severity="Critical",
               description="The job '%s' failed on '%s'." % (props["friendlyName"], props["targetObjectName"]),
               affected_name=props["targetObjectName"], correlation_id=props["targetObjectId"],
               fabric_id=private(job).get("fabric") or "", when=private(job).get("end"),
               specific_details={"instanceType": "JobStatus", "jobId": common.asr_id(job["id"]),
                                 "jobFriendlyName": props["friendlyName"], "jobStatus": props["state"],
                                 "affectedObjectType": props["targetInstanceType"]})


def _event_matches(event, clause):
    field, op, value = clause
    props = event["properties"]
    if field == "startTime":
        return _time_ok(props.get("timeOfOccurrence"), op, value, lower_bound=True)
    if field == "endTime":
        return _time_ok(props.get("timeOfOccurrence"), op, value, lower_bound=False)
    if field == "fabricName":
        return (props.get("fabricId") or "").rsplit("/", 1)[-1].lower() == value.lower()
    return (str(props.get(field) or "")).lower() == value.lower()


class ReplicationEvent(ResourceType):
    full_type = EVENT
    parent_type = common.VAULT
    tracked = False
    list_at_subscription = False

    def prepare_put(self, ctx, rid, body, existing):
        raise ArmError(405, "MethodNotAllowed", "The requested resource does not support http method 'PUT'.")

    def render(self, ctx, stored):
        out = common.public(stored)
        out["id"] = common.asr_id(out["id"])
        return out

    def filter_list(self, ctx, items, query):
        clauses = parse_filter(query.get("$filter"), EVENT_FILTER_FIELDS)
        out = [e for e in items if all(_event_matches(e, c) for c in clauses)]
        return sorted(out, key=lambda e: e["properties"].get("timeOfOccurrence") or "", reverse=True)


for _handler in (operation_status, operation_result, _export, _job_action):
    _handler.resource_type = JOB

RESOURCE_TYPES = [ReplicationJob, ReplicationEvent]

ROUTES = [
    ("GET", VAULT_PATH + r"/replicationOperationStatus/(?P<job>[^/]+)", operation_status),
    ("GET", VAULT_PATH + r"/(?P<target>.+)/operationresults/(?P<job>[^/]+)", operation_result),
    ("POST", VAULT_PATH + r"/replicationJobs/export", _export),
    ("POST", VAULT_PATH + r"/replicationJobs/(?P<job>[^/]+)/(?P<action>cancel|restart|resume)", _job_action),
]
