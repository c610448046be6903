# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The decisions of the dr.asr.failover role (controller side, pure Python, no network): what its input needs, what
each target needs after the preflight, where each VM is after each step (from the modules' own results), the health
check, what to commit and how, and the summary.

The role keeps one fact, `__failover` (a dict, the state of the run), and hands it with each step's module results to
these filters; they return it advanced. Each filter is documented in a file of its name beside this one.

The helpers at module level (items from module results, job records, the table) are shared with the failback role's
filters (plugins/filter/failback.py).
"""

from __future__ import annotations

#: the phases in which a VM runs in Azure: a failover to Azure is done (docs/dr-actions.md)
OVER_PHASES = ("failed_over", "committed", "reprotecting", "reprotected")
#: what a task of a failed-over job ends in when it did not succeed
FAILED_TASK_STATES = ("Failed", "Cancelled", "Canceled")
#: the defaults of wait_sleep and of the round length when the role's variables are 0
DEFAULT_SLEEP = 15
DEFAULT_ROUND = 60
#: a wait takes at most this many rounds (module runs): a round is at least the wait's timeout / ROUNDS_AT_MOST
ROUNDS_AT_MOST = 100


# -- shared by the failover and failback filters ------------------------------------------------------------------

def as_int(value, default=0):
    if value is None or value == "":
        return default
    return int(value)


def duration(seconds):
    seconds = as_int(seconds)
    return "%dm%02ds" % (seconds // 60, seconds % 60)


def input_problems(values, non_negative=(), unique_lists=()):
    """What the input needs besides its types: numbers not negative, names each once."""
    problems = []
    for var in non_negative:
        if as_int(values.get(var)) < 0:
            problems.append("%s cannot be negative" % var)
    for var in unique_lists:
        names = list(values.get(var) or [])
        seen = []
        for name in names:
            if names.count(name) > 1 and name not in seen:
                seen.append(name)
                problems.append("%s names %s more than once" % (var, name))
    return problems


def timing(sleep, round_seconds, timeouts):
    """(wait_sleep, wait_round) of the role's waiting tasks: 0 means the defaults; a round is at least the longest
    timeout / ROUNDS_AT_MOST, so that no wait takes more than ROUNDS_AT_MOST module runs."""
    sleep = as_int(sleep)
    round_seconds = as_int(round_seconds)
    longest = max([as_int(t) for t in timeouts] or [0])
    return (sleep if sleep > 0 else DEFAULT_SLEEP,
            max(round_seconds if round_seconds > 0 else DEFAULT_ROUND, (longest + ROUNDS_AT_MOST - 1) // ROUNDS_AT_MOST))


def named_targets(plans, vms):
    """The targets the input names: each recovery plan (one plan job), then the listed VMs as one batch."""
    out = [dict(key="plan:%s" % name, label="recovery plan %s" % name, plan=name, item_names=None, vms=[])
           for name in plans or []]
    if vms:
        out.append(dict(key="vms", label="VMs %s" % ", ".join(vms), plan=None, item_names=list(vms), vms=list(vms)))
    return out


def timed_out(result):
    """Whether a waiting task ended because its wait_timeout was spent (the work goes on in ASR). The role's
    `failed_when` lets such a task go on (its `failed` is then false): the error says it."""
    return ((result or {}).get("error") or {}).get("kind") == "timeout"


def view_of(result):
    """The module result a task result stands for: a timed-out wait's `partial` (what it saw last), else itself."""
    result = result or {}
    if isinstance(result.get("partial"), dict) and (result.get("failed") or timed_out(result)):
        return result["partial"]
    return result


def item_record(entry, previous=None):
    """A protected item as the roles keep it, from an action module's entry or a protected_item_info entry."""
    previous = previous or {}
    if "vm_name" in entry:          # dr.asr.protected_item_info
        item_name, health = entry.get("name"), entry.get("health")
        errors = [e.get("message") for e in entry.get("errors") or [] if isinstance(e, dict)]
    else:                           # an action module's protected_items entry
        item_name, health = entry.get("item_name"), entry.get("replication_health")
        if previous and previous.get("health") == health and previous.get("errors") is not None:
            errors = previous["errors"]
        else:                       # unknown until read (an action module does not return health errors)
            errors = [] if health in (None, "Normal") else None
    record = dict(previous)
    record.update(item_name=item_name, state=entry.get("state"), active_location=entry.get("active_location"),
                  runs_in=entry.get("runs_in"), provider=entry.get("provider"),
                  test_failover_state=entry.get("test_failover_state"), phase=entry.get("phase"), health=health,
                  errors=errors, allowed_operations=list(entry.get("allowed_operations") or []),
                  current_job=entry.get("current_job"))
    if "failover_recovery_point" in entry:
        record["failover_recovery_point"] = entry.get("failover_recovery_point")
    return record


def entry_name(entry):
    return entry.get("vm_name") if "vm_name" in entry else entry.get("name")


def result_items(result):
    """The protected items a module result reports (a plan's members, or the items), as the last look saw them."""
    view = view_of(result)
    return [e for e in view.get("protected_items") or [] if isinstance(e, dict) and entry_name(e)]


def merge_items(items, results):
    """`items` ({VM name: record}) updated from module results (action modules' or protected_item_info's)."""
    out = dict(items)
    for result in results:
        for entry in result_items(result):
            name = entry_name(entry)
            out[name] = item_record(entry, out.get(name))
    return out


def target_action(result, target):
    """What a module run did (or would do) for a target: start, attach, after_job, none (a batch: its first)."""
    view = view_of(result)
    if target.get("plan"):
        return (view.get("recovery_plan") or {}).get("action") or "none"
    actions = [e.get("action") for e in view.get("protected_items") or [] if e.get("action") not in (None, "none")]
    return actions[0] if actions else "none"


def result_jobs(result, target):
    """The jobs of a target's module run: the plan job, or each item's."""
    view = view_of(result)
    if target.get("plan"):
        jobs = [(view.get("recovery_plan") or {}).get("job")]
    else:
        jobs = [e.get("job") for e in view.get("protected_items") or []]
    return [j for j in jobs if isinstance(j, dict) and j.get("name")]


def job_record(jobs, target, timeout=False):
    """Where a target's jobs are: state, tasks done, the manual action a plan job waits at."""
    tasks = [t for j in jobs for t in j.get("tasks") or []]
    suspended = [t for t in tasks if t.get("state") == "Suspended"]
    states = []
    for job in jobs:
        if job.get("state") and job["state"] not in states:
            states.append(job["state"])
    if suspended:
        state = "Suspended"
    elif timeout:
        state = "InProgress"
    else:
        state = ",".join(states) or "done"
    manual_job = None
    if suspended:
        manual_job = next((j["name"] for j in jobs if j.get("state") == "Suspended"), jobs[0]["name"] if jobs else None)
    return dict(key=target["key"], label=target["label"], jobs=[j["name"] for j in jobs], state=state,
                tasks_done=len([t for t in tasks if t.get("state") == "Succeeded"]), tasks=len(tasks),
                running=[t.get("friendly_name") for t in tasks if t.get("state") == "InProgress"],
                manual_action=suspended[0].get("friendly_name") if suspended else None, manual_job=manual_job,
                failed_tasks=["%s: task %s %s" % (target["label"], t.get("friendly_name"), t.get("state"))
                              for t in tasks if t.get("state") in FAILED_TASK_STATES])


def changed_vms(result, target):
    """The VMs a module run changed: a plan's members when the plan job started, else each item that changed."""
    view = view_of(result)
    if target.get("plan") and (view.get("recovery_plan") or {}).get("kind") == "recovery_plan":
        return list(target["vms"]) if (view.get("recovery_plan") or {}).get("changed") else []
    return [entry_name(e) for e in view.get("protected_items") or [] if e.get("changed")]


def split_commit(targets, ready):
    """Commit targets: a plan whose VMs all wait for their commit (one plan job), else those VMs as one batch."""
    out, covered = [], []
    for target in targets:
        if target.get("plan") and target["vms"] and all(vm in ready for vm in target["vms"]):
            out.append(target)
            covered.extend(target["vms"])
    rest = [vm for vm in ready if vm not in covered]
    if rest:
        out.append(dict(key="commit", label="VMs %s" % ", ".join(rest), plan=None, item_names=rest, vms=rest))
    return out


def early_starts(todo, actions):
    """The targets started without waiting (so that they run side by side) before the role waits for each in turn:
    every one that starts, except the first, which its own waiting run starts."""
    return [t for t in todo[1:] if actions.get(t["key"], "start") == "start"]


def table(rows, columns, header):
    """Rows as a table of `columns`, each as wide as its widest cell, cells joined by ' | '."""
    rows = [header] + rows
    widths = dict((c, max(len(str(r[c])) for r in rows)) for c in columns)
    return [" | ".join("%-*s" % (widths[c], r[c]) for c in columns).strip() for r in rows]


def where(runs_in, active_location):
    return {"azure": "Azure", "on-premises": "on-premises"}.get(runs_in, active_location)


def plan_lines(plans):
    lines = []
    for p in plans:
        lines.append("plan %s: %s%s%s" % (
            p["name"], "/".join(str(x) for x in p["phases"]),
            (", job %s %s" % (p["job"], p["job_state"])) if p["job"] else "",
            (", waits at manual action: %s" % p["manual_action"]) if p["manual_action"] and
            p["job_state"] == "Suspended" else ""))
    return lines


def manual_action_message(what, suspended, variable):
    """The failure of a run that stopped at manual actions it was not to resume."""
    records = list(suspended.values())
    return ("The %s of %s waits at manual action %s (job %s, state Suspended; allowed actions: Resume, Cancel). "
            "Do what the action asks, then resume: run the same again with %s: true (or dr.asr.job action=resume). "
            "The commit waits until the %s is done." % (
                what, ", ".join(r["label"] for r in records), ", ".join("'%s'" % r["manual_action"] for r in records),
                ", ".join(r["manual_job"] or "" for r in records), variable, what))


def resumed_actions(first, result):
    """The manual actions a resume task went past: the one the job waited at, then one per further attempt (a later
    manual action, which only the job's own tasks name)."""
    out = [first] if first else []
    attempts = as_int((result or {}).get("attempts"), 1)
    job = ((result or {}).get("job") or {}).get("name") or ""
    out.extend("a further manual action of job %s" % job for _i in range(attempts - 1))
    return out


def plan_records(targets, items, jobs):
    out = []
    for target in targets:
        if not target.get("plan"):
            continue
        job = jobs.get(target["key"]) or {}
        phases = []
        for vm in target["vms"]:
            phase = (items.get(vm) or {}).get("phase")
            if phase not in phases:
                phases.append(phase)
        out.append(dict(name=target["plan"], vms=list(target["vms"]), job=(job.get("jobs") or [None])[0],
                        job_state=job.get("state"), manual_action=job.get("manual_action"), phases=phases))
    return out


def target_of(result, loop_var, targets=()):
    """The target (or call) a loop's result is for: as the state knows it (by key), else as the loop gave it."""
    given = (result or {}).get(loop_var) or {}
    return next((t for t in targets if t.get("key") == given.get("key")), given)


def usable(result):
    return isinstance(result, dict) and not result.get("skipped")


# -- the failover role's filters ---------------------------------------------------------------------------------

def failover_input(values):
    """The run's state from the role's variables: input problems, the targets, polling and round lengths."""
    values = dict(values or {})
    problems = []
    plans, vms = list(values.get("failover_recovery_plans") or []), list(values.get("failover_vms") or [])
    if not plans and not vms:
        problems.append("set failover_recovery_plans (recovery plans) and/or failover_vms (VM names): nothing to fail over")
    problems += input_problems(values, ("failover_timeout", "failover_commit_timeout", "failover_guest_shutdown_timeout",
                                        "failover_wait_round_seconds", "failover_wait_sleep"),
                               ("failover_recovery_plans", "failover_vms"))
    sleep, round_seconds = timing(values.get("failover_wait_sleep"), values.get("failover_wait_round_seconds"),
                                  [values.get("failover_timeout")])
    return dict(problems=problems, sleep=sleep, round=round_seconds, targets=named_targets(plans, vms), vms=[],
                items={}, before={}, actions={}, todo=[], early_start=[], shutdown=[], shut=[], changed=[], jobs={},
                suspended={}, resumed=[], rounds=0, seconds=0, stopped_waiting=None, unhealthy={}, failed_tasks=[],
                to_commit=[], commit_targets=[], commit_ok=False, health_reads=[], moved=[], committed=[], resume_jobs=[],
                resume_vms=[], manual_action_message=None, refusal=None, blocked=False, health_text=None,
                health_message=None,
                check_mode=bool(values.get("check_mode")), commit=bool(values.get("failover_commit", True)),
                resume=bool(values.get("failover_resume_manual_actions")))


def failover_preflight(state, results):
    """After the preflight (dr.asr.failover in check mode per target): each target's VMs and each VM's phase (the
    check mode run reports every item as it is), what each target needs, which targets fail over now, which VMs are
    shut down first, and the refusal of plans without VMs."""
    state = dict(state)
    targets, actions = [], {}
    by_key = dict((r.get("__failover_target", {}).get("key"), r) for r in results or [] if usable(r))
    for target in state["targets"]:
        result = by_key.get(target["key"]) or {}
        target = dict(target, vms=[entry_name(e) for e in result_items(result)] or list(target["vms"]))
        targets.append(target)
        actions[target["key"]] = target_action(result, target)
    items = merge_items({}, [by_key[k] for k in by_key])
    vms = []
    for target in targets:
        vms.extend(vm for vm in target["vms"] if vm not in vms)
    todo = [t for t in targets if any((items.get(vm) or {}).get("phase") not in OVER_PHASES for vm in t["vms"])]
    shutdown = []
    for target in todo:
        shutdown.extend(vm for vm in target["vms"]
                        if (items.get(vm) or {}).get("phase") == "protected" and vm not in shutdown)
    empty = [t["plan"] for t in targets if t.get("plan") and not t["vms"]]
    state.update(targets=targets, vms=vms, items=items, before=items, actions=actions, todo=todo,
                 early_start=early_starts(todo, actions), shutdown=shutdown,
                 refusal=("Recovery plan(s) %s have no VMs: nothing to fail over." % ", ".join(empty)) if empty else None)
    state["plan_text"] = "%d VM(s) in %s. %s Phases: %s." % (
        len(vms), "; ".join(t["label"] for t in targets),
        ("To fail over: %s." % "; ".join(t["label"] for t in todo)) if todo else "Every VM is failed over already.",
        ", ".join("%s %s" % (vm, (items.get(vm) or {}).get("phase")) for vm in vms))
    return state


def failover_results(state, step, results=None, extra=None, now=None, started=None):
    """`state` after a step of the role, from its module results (the modules report every item after their run):

    * shutdown: dr.asr.source_vm_power's result - the VMs it shut down (or would);
    * failover: the waiting dr.asr.failover run per target (`extra`: the runs that started targets early) - the VMs'
      phases, each target's job, the plan jobs waiting at a manual action, what timed out; `now` - `started` is
      how long the role waited;
    * resume: dr.asr.job action=resume per suspended job (`extra`: protected_item_info of their VMs afterwards);
    * health: protected_item_info of the VMs whose replication health is not Normal (their health errors);
    * recovery_point: dr.asr.failover_recovery_point's result;
    * commit: dr.asr.failover_commit per commit target.
    """
    state = dict(state)
    results = [r for r in (results if isinstance(results, list) else [results]) if usable(r)]
    if step == "shutdown":
        for result in results:
            state["shut"] = [v.get("name") for v in result.get("vms") or [] if v.get("changed")]
        return state
    if step == "failover":
        return _failed_over(state, results, [r for r in extra or [] if usable(r)], now, started)
    if step == "resume":
        return _resumed(state, results, [r for r in (extra if isinstance(extra, list) else [extra]) if usable(r)],
                        now, started)
    if step == "health":
        state["items"] = merge_items(state["items"], results)
        return failover_health(state)
    if step == "recovery_point":
        state["items"] = merge_items(state["items"], results)
        state["moved"] = [entry_name(e) for r in results for e in result_items(r) if e.get("changed")]
        return state
    if step == "commit":
        state["items"] = merge_items(state["items"], results)
        committed = []
        for result in results:
            target = target_of(result, "__failover_target", state["targets"])
            if result.get("changed"):
                committed.extend(target["vms"] if target.get("plan") else
                                 [entry_name(e) for e in result_items(result) if e.get("changed")])
        state["committed"] = committed
        return state
    raise ValueError("failover_results: unknown step %r" % step)


def _failed_over(state, results, started_early, now, started):
    state["items"] = merge_items(state["items"], started_early + results)
    jobs, suspended, pending, changed, rounds = dict(state["jobs"]), {}, [], list(state["changed"]), state["rounds"]
    for result in started_early + results:
        target = target_of(result, "__failover_target", state["targets"])
        if (view_of(result).get("changed") or result.get("changed")) and target.get("key") not in changed:
            changed.append(target["key"])
    for result in results:
        target = target_of(result, "__failover_target", state["targets"])
        rounds += as_int(result.get("rounds"), 1)
        record = job_record(result_jobs(result, target), target, timed_out(result))
        record["action"] = target_action(result, target)
        jobs[target["key"]] = record
        if record["manual_job"]:
            suspended[target["key"]] = record
        elif timed_out(result):
            pending.append(target["label"])
    seconds = as_int(now) - as_int(started) if now is not None and started is not None else state["seconds"]
    state.update(jobs=jobs, changed=changed, rounds=rounds, seconds=seconds, suspended=suspended,
                 failed_tasks=[t for r in jobs.values() for t in r["failed_tasks"]])
    state["stopped_waiting"] = _stopped(pending, seconds)
    state["manual_action_message"] = _manual(suspended)
    state["resume_jobs"] = list(suspended.values()) if state["resume"] else []
    state["resume_vms"] = [vm for t in state["targets"] if t["key"] in suspended for vm in t["vms"]] \
        if state["resume"] else []
    return state


def _stopped(pending, seconds):
    if not pending:
        return None
    return ("Stopped waiting after %s (failover_timeout): the failover of %s still runs. Run the same again to keep "
            "waiting - it attaches to the running jobs and never starts a second failover." % (
                duration(seconds), ", ".join(pending)))


def _resumed(state, results, reread, now, started):
    state["items"] = merge_items(state["items"], reread)
    jobs, suspended, resumed, pending, rounds = dict(state["jobs"]), dict(state["suspended"]), list(state["resumed"]), \
        [], state["rounds"]
    for result in results:
        record = result.get("__failover_job") or {}
        key = record.get("key")
        rounds += as_int(result.get("rounds"), 1) + as_int(result.get("attempts"), 1) - 1
        resumed.extend(resumed_actions(record.get("manual_action"), result))
        target = next((t for t in state["targets"] if t["key"] == key), None) or dict(key=key, label=record.get("label"))
        facts = view_of(result).get("job") or {}
        job = job_record([facts] if facts.get("name") else [], target, timed_out(result))
        job["action"] = (jobs.get(key) or {}).get("action")
        jobs[key] = job
        suspended.pop(key, None)
        if job["manual_job"]:
            suspended[key] = job
        elif timed_out(result):
            pending.append(target["label"])
    seconds = as_int(now) - as_int(started) if now is not None and started is not None else state["seconds"]
    state.update(jobs=jobs, suspended=suspended, resumed=resumed, rounds=rounds, seconds=seconds, resume_jobs=[],
                 failed_tasks=[t for r in jobs.values() for t in r["failed_tasks"]])
    state["stopped_waiting"] = _stopped(pending, seconds) or state.get("stopped_waiting")
    state["manual_action_message"] = _manual(suspended)
    return state


def _manual(suspended):
    return manual_action_message("failover", suspended, "failover_resume_manual_actions") if suspended else None


def failover_health(state):
    """The health check before the commit: each VM failed over (phases failed_over .. reprotected, running in Azure)
    with a replication health that is not Critical, and no task of the failover jobs failed (not while a plan job
    waits at a manual action: the failover is not done); then the VMs that wait for their commit and the commit
    targets. In check mode, a VM that would fail over counts as healthy."""
    state = dict(state)
    items, check_mode = state["items"], state["check_mode"]
    unhealthy, reads = {}, []
    blocked = bool(state["suspended"])
    for name in state["vms"] if not blocked else []:
        i = items.get(name) or {}
        if check_mode and i.get("phase") == "protected":
            continue
        if i.get("phase") not in OVER_PHASES or i.get("runs_in") != "azure":
            unhealthy[name] = "not failed over: phase %s (state %s, active location %s, runs %s; allowed operations: %s)" % (
                i.get("phase"), i.get("state"), i.get("active_location"), i.get("runs_in"),
                ", ".join(i.get("allowed_operations") or []) or "none")
        elif i.get("health") == "Critical":
            unhealthy[name] = "replication health %s: %s" % (i.get("health"), "; ".join(i.get("errors") or []))
    for name in state["vms"]:
        i = items.get(name) or {}
        if i.get("errors") is None and not check_mode:
            reads.append(name)
    to_commit = [vm for vm in state["vms"] if (items.get(vm) or {}).get("phase") == "failed_over"]
    ok = not blocked and not unhealthy and not state["failed_tasks"]
    problems = ["%s: %s" % (k, v) for k, v in unhealthy.items()] + list(state["failed_tasks"])
    if check_mode:
        text = "Health check: in check mode, after the failover it would check that every VM runs in Azure."
    elif not problems:
        text = "Health check: every VM runs in Azure (%d VMs)." % len(state["vms"])
    else:
        text = "Health check failed: " + "; ".join(problems)
    state.update(unhealthy=unhealthy, health_reads=reads, to_commit=to_commit, commit_ok=ok, blocked=blocked,
                 health_text=text, commit_targets=split_commit(state["targets"], to_commit),
                 health_message=("Health check failed, the failover was not committed: %s." % "; ".join(problems))
                 if problems else None)
    return state


def failover_summary(state, vault_name, vault_resource_group):
    """failover_summary: every VM (target, phase before and now, where it runs, health, what the run did or would do)
    and plan (phases, job, manual action), the wait, and a table for people."""
    items, before, check_mode = state["items"], state["before"], state["check_mode"]
    todo = [t["key"] for t in state["todo"]]
    vms = []
    for name in state["vms"]:
        i = items.get(name) or {}
        b = before.get(name) or {}
        target = next(t for t in state["targets"] if name in t["vms"])
        steps = ["shutdown"] if name in state["shut"] else []
        if check_mode:
            if target["key"] in todo and b.get("phase") == "protected":
                steps.append("failover")
                if state["commit"]:
                    steps.append("commit")
            elif b.get("phase") == "failed_over" and state["commit"]:
                steps.append("commit")
        else:
            if target["key"] in state["changed"]:
                steps.append("failover")
            elif state["actions"].get(target["key"]) == "attach" and b.get("phase") == "protected":
                steps.append("failover (attached)")
            if name in state["moved"]:
                steps.append("recovery point")
            if name in state["committed"]:
                steps.append("commit")
        vms.append(dict(name=name, target=target["label"], phase_before=b.get("phase"), phase=i.get("phase"),
                        state=i.get("state"), active_location=i.get("active_location"), runs_in=i.get("runs_in"),
                        health=i.get("health"), errors=i.get("errors") or [], steps=steps,
                        problem=state["unhealthy"].get(name)))
    plans = plan_records(state["targets"], items, state["jobs"])
    hooks = [h for h in state.get("hooks") or [] if isinstance(h, dict)]
    summary = dict(
        hooks=hooks,
        hook_failures=["plan %s, %s group %s (manual action %s, job %s): hook %s: %s" % (
            h.get("plan"), h.get("at"), h.get("group"), h.get("action"), h.get("job"), h.get("name"), h.get("message"))
            for h in hooks if h.get("status") != "passed"],
        vault=dict(name=vault_name, resource_group=vault_resource_group), check_mode=check_mode,
        changed=any(vm["steps"] for vm in vms), wait=dict(rounds=state["rounds"], seconds=state["seconds"]),
        resumed_manual_actions=list(state["resumed"]),
        waiting_at_manual_action=[r["label"] for r in state["suspended"].values()], vms=vms, recovery_plans=plans,
        failed_over=[vm["name"] for vm in vms if vm["phase"] == "failed_over"],
        committed=[vm["name"] for vm in vms if vm["phase"] in ("committed", "reprotecting", "reprotected")],
        unhealthy=[vm["name"] for vm in vms if vm["problem"]])
    rows = [dict(name=vm["name"], target=vm["target"], before=vm["phase_before"], phase=vm["phase"],
                 location=where(vm["runs_in"], vm["active_location"]), health=vm["health"] or "-",
                 steps=(("would " if check_mode else "") + ", ".join(vm["steps"])) if vm["steps"] else "-") for vm in vms]
    lines = table(rows, ("name", "target", "before", "phase", "location", "health", "steps"),
                  dict(name="VM", target="TARGET", before="BEFORE", phase="NOW", location="RUNS IN", health="HEALTH",
                       steps="DONE"))
    lines += plan_lines(plans)
    lines += ["hook %s (plan %s, %s group %s): %s%s" % (
        h.get("name"), h.get("plan"), h.get("at"), h.get("group"), h.get("status"),
        (" - %s" % h["message"]) if h.get("message") else "") for h in hooks]
    lines.append("%d VMs: %d failed over (commit pending), %d committed, %d with problems%s" % (
        len(vms), len(summary["failed_over"]), len(summary["committed"]), len(summary["unhealthy"]),
        "; check mode: nothing was changed" if check_mode else ""))
    summary["table"] = lines
    return summary


class FilterModule(object):
    """The dr.asr.failover role's decisions."""

    def filters(self):
        return dict(failover_input=failover_input, failover_preflight=failover_preflight,
                    failover_results=failover_results, failover_health=failover_health,
                    failover_summary=failover_summary)
