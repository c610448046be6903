# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The decisions of the dr.asr.drill role (controller side, pure: results in, facts out; no network).

The role says what happens; these filters say how its facts follow from the modules' results:

    drill_targets         the dr.asr.test_failover runs of a drill (one per recovery plan, one for the VMs)
    drill_wait            the waiting options of those runs from the role's variables
    drill_refusal         why the drill is refused before anything was written (or "")
    drill_started         the drill after the test failovers: plans, VMs, targets and their jobs, what still runs
    drill_up_targets      the plans and VMs whose drill was up already (their job is read for the report)
    drill_with_up_jobs    the drill with those jobs
    drill_headline        what is drilled, and what each run did (lines to print)
    drill_smoke           the smoke checks to run, and on which host
    drill_smoke_results   what the smoke checks found
    drill_cleanup_comments  the comments recorded with the cleanup
    drill_cleanups        the cleanup of each plan and VM
    drill_unread_jobs     the jobs whose final facts no run returned (to read once with dr.asr.job_info)
    drill_report_facts    everything the drill saw, for dr.asr.drill_report
    drill_summary         drill_summary (with its table) from the report
"""

from __future__ import annotations

import re

from ansible.errors import AnsibleFilterError

RUNNING = ("NotStarted", "InProgress")
#: a job the drill stopped waiting for: it runs, or waits at a manual action
LEFT_RUNNING = RUNNING + ("Suspended",)
CLEANUP_SCENARIO = "TestFailoverCleanup"
ISOLATION = ("a test failover must run in an isolated network, never in the recovery network or a network peered with "
             "it - the test VMs would start next to production with the same names and addresses. %s. Give another "
             "drill_test_network (or fix the VMs' test network).")


def _short(value):
    return (value or "").rstrip("/").rsplit("/", 1)[-1]


def _unique(values):
    out = []
    for value in values:
        if value not in out:
            out.append(value)
    return out


def _results(value):
    """The task results of a loop (its `results`), a single task result, or a list of them; skipped ones left out."""
    if isinstance(value, dict) and isinstance(value.get("results"), list):
        value = value["results"]
    if isinstance(value, dict):
        value = [value]
    return [r for r in value or [] if isinstance(r, dict) and not r.get("skipped")]


def _state(result):
    """The module result a task result stands for: a timed-out wait's `partial` (what it saw last), the result itself,
    or None when it has none (the module failed before it had targets)."""
    if not isinstance(result, dict):
        return None
    partial = result.get("partial")
    if isinstance(partial, dict) and ("protected_items" in partial or "recovery_plan" in partial):
        return partial
    if "protected_items" in result or "recovery_plan" in result:
        return result
    return None


def _failed(result):
    """Whether a module run failed. The role's `failed_when: false` lets such a task go on with `failed` false: its
    `error` (or, for a failure before the module had targets, its `msg`) still says it."""
    state = _state(result)
    if result.get("failed") or isinstance(result.get("error"), dict):
        return True
    if state is None:
        return bool(result.get("msg"))
    return any(e.get("error") for _kind, e in _entries(state))


def _refused(result):
    """A run that failed before it wrote anything: no targets in its result, and a single round."""
    return _failed(result) and _state(result) is None and int(result.get("rounds") or 1) <= 1


def _label(result):
    item = result.get("item")
    if isinstance(item, dict) and item.get("label"):
        return item["label"]
    return "drill"


def _problems(error):
    """`vm: problem` of every item a module error names (its details and the details of the problems it joins)."""
    out = []
    todo = [error] if isinstance(error, dict) else []
    while todo:
        current = todo.pop(0)
        details = current.get("details") or {}
        if details.get("problem"):
            out.append("%s: %s" % (details["vm"], details["problem"]) if details.get("vm") else details["problem"])
        todo.extend(p for p in details.get("problems") or [] if isinstance(p, dict))
    return _unique(out)


def _entries(state):
    """(kind, entry) of a run's targets: its recovery plan, else its items."""
    plan = state.get("recovery_plan")
    if isinstance(plan, dict) and plan.get("kind") == "recovery_plan":
        return [("plan", plan)]
    return [("item", i) for i in state.get("protected_items") or [] if isinstance(i, dict)]


def _vm_names(state):
    plan = state.get("recovery_plan")
    if isinstance(plan, dict) and plan.get("kind") == "recovery_plan":
        return [i.get("name") for i in plan.get("items") or []]
    return [i.get("name") for i in state.get("protected_items") or []]


def _job(entry):
    return entry.get("job") if isinstance(entry.get("job"), dict) else {}


def _fold(first, last):
    """A target as a drill reports it: what the run that started it did (`first`, a run with wait=false), as the run
    that waited for it saw it last (`last`) - like the waiting action folds its rounds."""
    if not first or not first.get("changed") or last.get("changed") or last.get("action") not in ("attach", "none", None):
        return last
    out = dict(last, action=first.get("action"), changed=True)
    if not _job(last) and _job(first):
        out["job"] = first["job"]
    return out


# -- the runs -----------------------------------------------------------------------------------------------------

def drill_targets(plans, vms=None):
    """One dr.asr.test_failover run per recovery plan (`plan`), one for the VMs on their own (`vms`); `label` names
    it in messages."""
    out = [dict(plan=plan, label="plan %s" % _short(plan)) for plan in plans or []]
    if vms:
        out.append(dict(vms=list(vms), label=", ".join(vms)))
    return out


def drill_check_problems(checks):
    """Why smoke checks cannot run, before anything starts: an `expect_stdout` that is not a regular expression (it
    was only compiled once the test VMs were up, after the test failover had started)."""
    problems = []
    for index, check in enumerate(checks or []):
        pattern = (check or {}).get("expect_stdout")
        if pattern is None:
            continue
        try:
            re.compile(pattern)
        except (re.error, TypeError) as err:
            problems.append("drill_smoke_checks[%d] (%s): expect_stdout %r is not a regular expression: %s" % (
                index, (check or {}).get("name"), pattern, err))
    return problems


def drill_wait(timeout, round_seconds=0, sleep=0):
    """wait_timeout, wait_round and wait_sleep of the waiting runs: rounds of `round_seconds` (0: 60), at least
    `timeout` / 100 (a run waits in at most about 100 rounds); polls every `sleep` seconds (0: 15)."""
    timeout = int(timeout or 0)
    length = max(int(round_seconds or 0) or 60, -(-timeout // 100), 1)
    return dict(wait_timeout=timeout, wait_round=length, wait_sleep=int(sleep or 0) or 15)


def drill_refusal(results, started=None):
    """Why the drill is refused, or "": a run refused its target before writing anything (a test network that does
    not exist, is the recovery network or is peered with it, a plan or VM the vault does not have...), or a VM would
    be drilled twice. `started`: the runs that may have written (none may have changed anything for a refusal)."""
    results = _results(results)
    if any(r.get("changed") for r in _results(started)):
        return ""
    problems, others = [], []
    for result in results:
        if not _refused(result):
            continue
        found = _problems(result.get("error"))
        if found:
            problems.extend(found)
        else:
            others.append("%s: %s" % (_label(result), result.get("msg") or "failed"))
    seen, twice = {}, []
    for result in results:
        state = _state(result)
        for name in _vm_names(state) if state else []:
            if name in seen and seen[name] is not result and name not in twice:
                twice.append(name)
            seen.setdefault(name, result)
    parts = []
    if problems:
        parts.append(ISOLATION % "; ".join(_unique(problems)))
    parts.extend(others)
    if twice:
        parts.append("A VM is drilled twice (in drill_vms and a plan of drill_recovery_plans, or in two plans): %s."
                     % ", ".join(twice))
    return ("Refusing the drill (nothing was started): " + " ".join(parts)) if parts else ""


def _target(kind, entry):
    job = _job(entry)
    point = entry.get("recovery_point")
    return dict(kind=kind, name=entry.get("name"), action=entry.get("action") or "none", job=job.get("name"),
                state=job.get("state"), start_time=job.get("start_time"), facts=job or None, reason=entry.get("reason"),
                points={entry.get("name"): point} if kind == "item" and point is not None else {},
                error=entry.get("error"), scenario=job.get("scenario"), warnings=list(entry.get("warnings") or []))


def _is_resumed_cleanup(entry):
    return entry.get("action") == "attach" and _job(entry).get("scenario") == CLEANUP_SCENARIO


def _stops(result, state):
    """Whether a failed run stops the drill: not a wait that ran out of time, not a job that ended badly (both are
    the drill's findings), but a run that could not start or follow its targets."""
    if not _failed(result):
        return False
    if (result.get("error") or {}).get("kind") == "timeout":
        return False
    if state is None:
        return True
    failed = [e for _kind, e in _entries(state) if e.get("error")]
    return not failed or any(not _job(e) for e in failed)


def drill_started(runs, early=None, manual=None, predicted=False):
    """The drill after its test failover runs (`runs`: the waiting runs, or with `predicted` the runs in check mode;
    `early`: the runs that started targets without waiting; `manual`: dr.asr.job runs that resumed jobs at manual
    actions):

    plans [{name, id, groups}], vms [{name, item_name, plan, group, test_network_id}], targets [{kind, name, action,
    job, state, start_time, facts, reason, points, error}], resumed (every target only finished the cleanup an
    interrupted drill left running: then `cleanups` holds them and `targets` is empty), running (targets whose job
    still runs or waits at a manual action), suspended, stopped (why a run stops the drill, or None) and refusal (why
    the drill is refused before anything was written, or "")."""
    early_states = {}
    for result in _results(early):
        state = _state(result)
        if state is not None:
            early_states[_label(result)] = state
    plans, vms, entries, stopped = [], [], [], None
    for result in _results(runs):
        state = _state(result)
        if _stops(result, state) and stopped is None:
            stopped = "%s: %s" % (_label(result), result.get("msg") or "failed")
        if state is None:
            continue
        first = dict(("%s/%s" % (k, e.get("name")), e) for k, e in _entries(early_states.get(_label(result)) or {}))
        for kind, entry in _entries(state):
            entry = _fold(first.get("%s/%s" % (kind, entry.get("name"))), entry)
            entries.append((kind, entry))
            if kind == "plan":
                members = dict((i.get("name"), i) for i in entry.get("items") or [])
                groups = [dict(group=g.get("group"), vms=list(g.get("vms") or [])) for g in entry.get("groups") or []]
                plans.append(dict(name=entry.get("name"), id=entry.get("id"), groups=groups))
                for group in groups:
                    for name in group["vms"]:
                        member = members.get(name) or {}
                        vms.append(dict(name=name, item_name=member.get("item_name"), plan=entry.get("name"),
                                        group=group["group"], test_network_id=member.get("test_network_id")))
            else:
                vms.append(dict(name=entry.get("name"), item_name=entry.get("item_name"), plan=None, group=None,
                                test_network_id=entry.get("test_network_id")))
    resumed = bool(entries) and all(_is_resumed_cleanup(e) for _k, e in entries)
    targets = [_target(kind, entry) for kind, entry in entries]
    jobs = dict((r.get("job", {}).get("name"), r["job"]) for r in _results(manual)
                if isinstance(r.get("job"), dict) and r["job"].get("name"))
    for target in targets:
        if target["job"] in jobs:
            target.update(facts=jobs[target["job"]], state=jobs[target["job"]].get("state"))
    out = dict(plans=plans, vms=vms, targets=[] if resumed else targets, resumed=resumed,
               cleanups=[dict(t, action="attach") for t in targets] if resumed else [], stopped=stopped,
               refusal=drill_refusal(runs, started=[] if predicted else _results(runs) + _results(early)))
    live = [] if resumed else targets
    out["running"] = [t for t in live if t["job"] and t["state"] in LEFT_RUNNING]
    out["suspended"] = [t for t in live if t["job"] and t["state"] == "Suspended"]
    return out


def drill_up_targets(drill):
    """The plans and VMs whose drill was up already (the run started nothing and attached to no job: an earlier run
    with drill_cleanup false): their test failover job is read with dr.asr.job_info, for the report."""
    return [dict(kind=t["kind"], name=t["name"]) for t in (drill or {}).get("targets") or []
            if not t.get("job") and t.get("action") == "none"]


def drill_with_up_jobs(drill, results):
    """The drill with the test failover job of each plan or VM whose drill was up already (`results`: the
    dr.asr.job_info runs of drill_up_targets, newest job first)."""
    found = {}
    for result in _results(results):
        item = result.get("item") or {}
        jobs = [j for j in result.get("jobs") or [] if isinstance(j, dict)]
        if jobs:
            found["%s/%s" % (item.get("kind"), item.get("name"))] = jobs[0]
    if not found:
        return drill
    drill = dict(drill)
    targets = []
    for target in drill.get("targets") or []:
        job = found.get("%s/%s" % (target.get("kind"), target.get("name"))) if not target.get("job") else None
        if job:
            target = dict(target, job=job.get("name"), state=job.get("state"), start_time=job.get("start_time"),
                          facts=job, scenario=job.get("scenario"))
        targets.append(target)
    drill["targets"] = targets
    return drill


def drill_headline(drill, check_mode=False, wait_timeout=None):
    """Lines that say what is drilled, where, and what each run did (started, attached to, already up)."""
    if not isinstance(drill, dict):
        raise AnsibleFilterError("drill_headline expects the drill (drill_started)")
    what = ", ".join(["plan %s" % p["name"] for p in drill["plans"]] + [v["name"] for v in drill["vms"] if not v["plan"]])
    nets = ", ".join(_unique(_short(v["test_network_id"]) for v in drill["vms"] if v.get("test_network_id")))
    if drill["resumed"]:
        lines = ["Resuming the interrupted cleanup of the drill of %s (%d VMs) in test network(s) %s - no new test failover "
                 "is started; rerun the drill afterwards for a new one." % (what, len(drill["vms"]), nets or "-")]
    else:
        lines = ["Drill of %s (%d VMs) in test network(s) %s%s." % (
            what, len(drill["vms"]), nets or "-", " (check mode: nothing is started)" if check_mode else "")]
    words = {"start": "started", "attach": "already running, attached", "none": "already up",
             "after_job": "started after the job that ran on it"}
    done = []
    for target in drill["targets"]:
        label = ("plan " if target["kind"] == "plan" else "") + (target["name"] or "?")
        done.append("%s: %s" % (label, ("would start" if check_mode and target["action"] == "start" else
                                        words.get(target["action"], target["action"]))))
    if done:
        lines.append("; ".join(done) + (" (check mode: predicted)" if check_mode else ""))
    if drill["running"]:
        lines.append("Stopped waiting%s: %s still %s (test failover)." % (
            " after %ss (drill_wait_timeout)" % wait_timeout if wait_timeout else "",
            ", ".join(("plan " if t["kind"] == "plan" else "") + t["name"] for t in drill["running"]),
            "running or waiting at a manual action"))
    return lines


# -- validation -----------------------------------------------------------------------------------------------------

def _by_name(vms):
    return dict((v.get("name"), v) for v in vms or [] if isinstance(v, dict))


def drill_smoke(vms, test_vms, checks, hosts=None, hostvars=None, host_var="drill_vm_name", default_timeout=120,
                group="drill_hosts"):
    """The smoke checks to run: one per check (its `vms`, else every VM) per VM, on the VM's host - the host of
    `hosts` (inventory group `group`) whose `host_var` (else its name) is the VM's name - or skipped with the reason
    (no host, test VM not running)."""
    by_vm = {}
    for host in hosts or []:
        values = (hostvars or {}).get(host) or {}
        by_vm[str(values.get(host_var) if host_var in values else host).lower()] = host
    running = _by_name(test_vms)
    out = []
    for vm in vms or []:
        test_vm = running.get(vm["name"]) or {}
        for check in checks or []:
            if check.get("vms") and vm["name"] not in check["vms"]:
                continue
            host = by_vm.get(vm["name"].lower())
            if host is None:
                skip = "no host for %s in inventory group %s" % (vm["name"], group)
            elif test_vm.get("power_state") != "running":
                skip = "the test VM does not run"
            else:
                skip = ""
            out.append(dict(vm=vm["name"], name=check["name"], command=check["command"], host=host, skip=skip,
                            expect_rc=int(check.get("expect_rc") or 0), expect_stdout=check.get("expect_stdout"),
                            timeout=int(check.get("timeout") or default_timeout)))
    return out


def drill_smoke_results(smoke, runs=None):
    """{vm: [{name, host, rc, stdout, stderr, passed, message} or {name, host, skipped, message}]} from the smoke
    checks (`smoke`) and their command runs (`runs`, each with its check as `item`)."""
    out = {}
    for check in smoke or []:
        if check.get("skip"):
            out.setdefault(check["vm"], []).append(
                dict(name=check["name"], host=check["host"], skipped=True, message=check["skip"]))
    for run in _results(runs):
        check = run.get("item") or {}
        if run.get("unreachable"):
            passed, message = False, "host %s unreachable: %s" % (check.get("host"), run.get("msg") or "")
        else:
            rc = run.get("rc", -1)
            rc_ok = rc == check.get("expect_rc", 0)
            out_ok = check.get("expect_stdout") is None or re.search(check["expect_stdout"], run.get("stdout") or "") is not None
            passed = rc_ok and out_ok
            message = "rc=%s on %s" % (run.get("rc", "?"), check.get("host"))
            message += "" if rc_ok else " (expected %d)" % check.get("expect_rc", 0)
            message += "" if out_ok else "; output does not match %s" % check.get("expect_stdout")
            message += " - timed out after %ds" % check.get("timeout", 0) if run.get("rc", 0) == 124 else ""
        out.setdefault(check.get("vm"), []).append(dict(name=check.get("name"), host=check.get("host"),
                                                        rc=run.get("rc"), stdout=run.get("stdout") or "",
                                                        stderr=run.get("stderr") or "", passed=passed, message=message))
    return out


def _failed_smoke(results):
    return ["%s: %s: %s" % (vm, c["name"], c["message"]) for vm, checks in (results or {}).items()
            for c in checks if not c.get("skipped") and not c.get("passed")]


# -- cleanup ---------------------------------------------------------------------------------------------------------

def drill_cleanup_comments(comments, started, error=None, smoke=None, test_vms=None):
    """The cleanup's comments: `comments` when given, else the drill's result in one line."""
    if comments:
        return comments
    failed = ["%s: %s" % (vm, c["name"]) for vm, checks in (smoke or {}).items()
              for c in checks if not c.get("skipped") and not c.get("passed")]
    failed += ["%s: test VM not running" % v["name"] for v in test_vms or [] if v.get("power_state") != "running"]
    if error:
        outcome = "stopped - %s" % error.get("message")
    elif failed:
        outcome = "problems - %s" % ", ".join(failed)
    else:
        outcome = "test VMs up, checks passed"
    return "dr.asr drill started %s: %s" % (started, outcome)


def drill_cleanups(runs, early=None, drill=None):
    """The cleanup of each plan and VM [{kind, name, action, job, state, start_time, facts, error}] from the cleanup
    runs (`runs` awaited, `early` started without waiting); the drill's own when it only resumed a cleanup."""
    drill = drill or {}
    if drill.get("resumed"):
        return list(drill.get("cleanups") or [])
    early_states = {}
    for result in _results(early):
        state = _state(result)
        if state is not None:
            early_states[_label(result)] = state
    out = []
    for result in _results(runs):
        state = _state(result)
        item = result.get("item") or {}
        if state is None:
            message = {"message": result.get("msg") or "failed"} if _failed(result) else None
            if item.get("plan"):
                out.append(dict(kind="plan", name=_plan_name(drill, item["plan"]), action=None, job=None, state=None,
                                start_time=None, facts=None, error=message))
            else:
                out.extend(dict(kind="item", name=v["name"], action=None, job=None, state=None, start_time=None,
                                facts=None, error=message) for v in drill.get("vms") or [] if not v.get("plan"))
            continue
        first = dict(("%s/%s" % (k, e.get("name")), e) for k, e in _entries(early_states.get(_label(result)) or {}))
        for kind, entry in _entries(state):
            entry = _fold(first.get("%s/%s" % (kind, entry.get("name"))), entry)
            job = _job(entry)
            error = entry.get("error")
            if kind == "plan" and not error and _failed(result):
                error = {"message": result.get("msg") or "failed"}
            out.append(dict(kind=kind, name=entry.get("name"), action=entry.get("action"), job=job.get("name"),
                            state=job.get("state"), start_time=job.get("start_time"), facts=job or None, error=error))
    return out


def _plan_name(drill, wanted):
    for plan in drill.get("plans") or []:
        if (plan.get("name") or "").lower() == _short(wanted).lower() or (plan.get("id") or "").lower() == str(wanted).lower():
            return plan["name"]
    return _short(wanted)


def drill_unread_jobs(drill, cleanups=None):
    """The jobs of the drill and its cleanup whose final facts no run returned (started without waiting, ended
    between two runs, or still running when waiting stopped): {names, since} for one dr.asr.job_info read."""
    entries = list((drill or {}).get("targets") or []) + list(cleanups or [])
    unread = [e for e in entries if e.get("job") and (not e.get("facts") or e.get("state") in RUNNING or
                                                      (e.get("state") != "Suspended" and not e["facts"].get("end_time")))]
    starts = sorted(e["start_time"] for e in unread if e.get("start_time") and not str(e["start_time"]).startswith("1753"))
    return dict(names=_unique(e["job"] for e in unread), since=starts[0] if starts else None)


# -- report and summary ---------------------------------------------------------------------------------------------

def _with_jobs(entries, jobs):
    out = []
    for entry in entries or []:
        facts = jobs.get(entry.get("job"))
        out.append(dict(entry, facts=facts, state=facts.get("state")) if facts else entry)
    return out


def drill_report_facts(drill, title, started, ended, vault_name, vault_resource_group, test_network=None,
                       check_mode=False, cleanups=None, test_vms=None, smoke=None, left=None, jobs=None, comments=None,
                       error=None, rto_target_seconds=0, rpo_target_seconds=0, hooks=None):
    """The facts dr.asr.drill_report measures and writes: per plan its groups, job and cleanup; per VM its test VM,
    recovery point, smoke checks, cleanup and what was left behind (`left`: dr.asr.recovered_vm_info's VMs after the
    cleanup, None when not verified); `jobs` (dr.asr.job_info's) replace the facts runs returned for the same job;
    `hooks`: the results of drill_hooks (runbook_record), each with its plan."""
    drill = drill or {}
    known = dict((j.get("name"), j) for j in jobs or [] if isinstance(j, dict) and j.get("name"))
    targets = dict(("%s/%s" % (t["kind"], t["name"]), t) for t in _with_jobs(drill.get("targets"), known))
    cleaned = dict(("%s/%s" % (c["kind"], c["name"]), c) for c in _with_jobs(cleanups, known))
    tested = _by_name(test_vms)
    left_by = None if left is None else dict((v.get("name"), v.get("resources") or []) for v in left)

    def cleanup(key):
        c = cleaned.get(key)
        return dict(action=c.get("action"), job=c.get("facts"), error=c.get("error"), comments=comments) if c else {}

    plans = []
    for plan in drill.get("plans") or []:
        t = targets.get("plan/" + plan["name"]) or {}
        plans.append(dict(name=plan["name"], groups=plan["groups"], action=t.get("action"), job=t.get("facts"),
                          error=t.get("error"), cleanup=cleanup("plan/" + plan["name"]),
                          hooks=[h for h in hooks or [] if h.get("plan") == plan["name"]]))
    vms = []
    for vm in drill.get("vms") or []:
        t = targets.get("item/" + vm["name"]) or {}
        vms.append(dict(name=vm["name"], item_name=vm.get("item_name"), plan=vm.get("plan"), action=t.get("action"),
                        job=None if vm.get("plan") else t.get("facts"), recovery_point=(t.get("points") or {}).get(vm["name"]),
                        test_network_id=vm.get("test_network_id"), test_vm=tested.get(vm["name"]),
                        left_behind=None if left_by is None else left_by.get(vm["name"]),
                        smoke=(smoke or {}).get(vm["name"]) or [], cleanup=cleanup("item/" + vm["name"]),
                        error=t.get("error")))
    return dict(title=title, started=started, ended=ended, vault=dict(name=vault_name, resource_group=vault_resource_group),
                test_network=test_network or None, check_mode=bool(check_mode), resumed_cleanup=bool(drill.get("resumed")),
                error=error or None, rto_target_seconds=rto_target_seconds, rpo_target_seconds=rpo_target_seconds,
                plans=plans, vms=vms)


def _duration(seconds):
    return "-" if seconds is None else "%dm%02ds" % (seconds // 60, seconds % 60)


def _checks(checks):
    bad = [c["name"] for c in checks if c.get("status") == "failed"]
    return "%d/%d passed" % (len([c for c in checks if c.get("status") == "passed"]), len(checks)) + (
        (", failed: " + ", ".join(bad)) if bad else "")


def _test_vm(vm):
    return ((vm.get("test_vm") or {}).get("power_state") or "-") if vm.get("test_vm") else "-"


def _left(vm, otherwise):
    if vm.get("left_behind"):
        return "left: %d" % len(vm["left_behind"])
    return "verified" if vm.get("left_behind") is not None else otherwise


def drill_summary(report):
    """drill_summary from dr.asr.drill_report's result: result, counts, files, RTO/RPO, failed checks, what was left
    behind and cleaned up, the error, plans and VMs (without their timelines) and a table for people."""
    r = (report or {}).get("report") or {}
    would = "would " if r.get("check_mode") else ""
    rows = [dict(name="PLAN / VM", group="GROUP", action="ACTION", rto="RTO", rpo="RPO", test_vm="TEST VM", checks="CHECKS",
                 cleanup="CLEANUP")]
    for plan in r.get("plans") or []:
        rows.append(dict(name="plan " + plan["name"], group="%d groups" % len(plan.get("groups") or []),
                         action=would + (plan.get("action") or "-"), rto=_duration(plan.get("rto_seconds")), rpo="",
                         test_vm="", checks=_checks(plan.get("checks") or []),
                         cleanup=(plan.get("cleanup") or {}).get("action") or "-"))
        for vm in [v for v in r.get("vms") or [] if v.get("plan") == plan["name"]]:
            rows.append(dict(name="  " + vm["name"], group=str(vm.get("group")), action="", rto=_duration(vm.get("rto_seconds")),
                             rpo=_duration(vm.get("rpo_seconds")), test_vm=_test_vm(vm), checks=_checks(vm.get("checks") or []),
                             cleanup=_left(vm, "-")))
    for vm in [v for v in r.get("vms") or [] if not v.get("plan")]:
        rows.append(dict(name=vm["name"], group="-", action=would + (vm.get("action") or "-"),
                         rto=_duration(vm.get("rto_seconds")), rpo=_duration(vm.get("rpo_seconds")), test_vm=_test_vm(vm),
                         checks=_checks(vm.get("checks") or []),
                         cleanup=_left(vm, (vm.get("cleanup") or {}).get("action") or "-")))
    columns = ["name", "group", "action", "rto", "rpo", "test_vm", "checks", "cleanup"]
    widths = dict((c, max(len(str(row[c])) for row in rows)) for c in columns)
    lines = [" | ".join("%-*s" % (widths[c], row[c]) for c in columns).rstrip() for row in rows]
    counts = r.get("counts") or dict(total=0, passed=0, failed=0, skipped=0)
    left = r.get("left_behind") or []
    lines.append("Drill %s: %d checks, %d passed, %d failed, %d skipped; max RTO %s, max RPO %s%s" % (
        str(r.get("result") or "").upper(), counts["total"], counts["passed"], counts["failed"], counts["skipped"],
        _duration(r.get("max_rto_seconds")), _duration(r.get("max_rpo_seconds")),
        ("; left behind: " + ", ".join(_short(x) for x in left)) if left else ""))

    def without_timeline(entries):
        return [dict((k, v) for k, v in e.items() if k != "timeline") for e in entries or []]

    return dict(result=r.get("result"), check_mode=r.get("check_mode"), counts=counts, files=(report or {}).get("files") or {},
                report_changed=bool((report or {}).get("changed")), max_rto_seconds=r.get("max_rto_seconds"),
                max_rpo_seconds=r.get("max_rpo_seconds"), failed_checks=r.get("failed_checks") or [], left_behind=left,
                cleaned_up=r.get("cleaned_up") or [], error=r.get("error"), plans=without_timeline(r.get("plans")),
                vms=without_timeline(r.get("vms")), table=lines)


class FilterModule(object):
    """The dr.asr.drill role's decisions."""

    def filters(self):
        return dict(drill_targets=drill_targets, drill_wait=drill_wait, drill_refusal=drill_refusal,
                    drill_check_problems=drill_check_problems,
                    drill_started=drill_started, drill_up_targets=drill_up_targets,
                    drill_with_up_jobs=drill_with_up_jobs, drill_headline=drill_headline, drill_smoke=drill_smoke,
                    drill_smoke_results=drill_smoke_results, drill_smoke_failures=_failed_smoke,
                    drill_cleanup_comments=drill_cleanup_comments, drill_cleanups=drill_cleanups,
                    drill_unread_jobs=drill_unread_jobs, drill_report_facts=drill_report_facts,
                    drill_summary=drill_summary)
