# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The DR drill report: facts the drill collected in, one report out (JSON, JUnit XML, HTML).

Pure (stdlib only, no I/O): `build(facts)` measures and judges, the renderers format.

    report = build(facts)          # RTO/RPO from the ASR job timestamps, every check with its status
    to_json(report) / to_junit(report) / to_html(report)   -> str

Facts (what the drill role collects; jobs as dr.asr.job_info returns them):

    title, started, ended, vault {name, resource_group}, test_network, check_mode, error,
    rto_target_seconds, rpo_target_seconds,
    plans: [{name, groups: [{group, vms}], action, job, cleanup: {action, job, error}, error,
             hooks: [{name, tasks, group, at, action, job, hosts, status, message, started, ended}]}]
    vms:   [{name, item_name, plan, action, job, recovery_point {name, time, type},
             test_network_id, test_vm (a dr.asr.recovered_vm_info entry, read while the drill was up),
             left_behind (ids still there after the cleanup, or None when not verified),
             smoke: [{name, host, rc, stdout, stderr, passed, message, skipped}],
             cleanup: {action, job, error}, error}]

Measures:
* a plan's RTO: its test failover job's endTime - startTime; a VM of a plan: the end of its group's
  task ("Group k: Start") - the job's startTime (the VM is up when its group is);
* a VM drilled on its own: its job's endTime - startTime;
* RPO: the job's startTime - the time of the recovery point the job used (the job's customDetails
  protectedItemDetails[].recoveryPointTime, else the point the drill chose).
"""

from __future__ import annotations

import html
import json
import re
from xml.sax.saxutils import escape as _xml_escape, quoteattr as _xml_attr

from ansible_collections.dr.asr.plugins.module_utils._errors import InputError
from ansible_collections.dr.asr.plugins.module_utils._time import UTC, from_iso

PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"
RESUMED = "the drill ran in an earlier run, interrupted during its cleanup; this run finished the cleanup"

_GROUP_TASK = re.compile(r"^\s*group\s*(\d+)\s*:\s*(start|cleanup|commit|failover)", re.I)
_GROUP_NAME = re.compile(r"^group\s*(\d+)$", re.I)


# -- time -----------------------------------------------------------------------------------------------

def parse_time(text):
    """ISO 8601 (ASR's 7 fractional digits and Z too) -> aware UTC datetime, or None (also for ASR's "no time",
    1753-01-01 or 0001-01-01)."""
    parsed = from_iso(text)
    return parsed if parsed is not None and parsed.year >= 1900 else None


def seconds_between(start, end):
    """Whole seconds from one ISO time to another (None when either is missing)."""
    a, b = parse_time(start), parse_time(end)
    if a is None or b is None:
        return None
    return int(round((b - a).total_seconds()))


def duration_text(seconds):
    """`7m 05s`, `1h 02m`, `45s`, `-` for None."""
    if seconds is None:
        return "-"
    sign = "-" if seconds < 0 else ""
    seconds = abs(int(seconds))
    if seconds >= 3600:
        return "%s%dh %02dm" % (sign, seconds // 3600, (seconds % 3600) // 60)
    if seconds >= 60:
        return "%s%dm %02ds" % (sign, seconds // 60, seconds % 60)
    return "%s%ds" % (sign, seconds)


def _iso(dt):
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if dt else None


# -- the facts' shape -----------------------------------------------------------------------------------
# Each known key's type: "str", "int", "bool", "any", a dict (its keys), or [item] (a list of them). Unknown keys are
# kept as they are (and ignored); None stands for a missing value. Scalars are converted the way survey answers and
# -e values need it ("600" -> 600, "true" -> True, 42 -> "42"); anything else is an InputError naming the field.

_JOB_SHAPE = {"name": "str", "id": "str", "scenario": "str", "friendly_name": "str", "state": "str",
              "start_time": "str", "end_time": "str", "errors": "any",
              "tasks": [{"name": "str", "friendly_name": "str", "state": "str", "start_time": "str", "end_time": "str"}],
              "custom_details": {"protectedItemDetails": [{"friendlyName": "str", "name": "str", "recoveryPointId": "str",
                                                           "recoveryPointTime": "str"}]}}
_CLEANUP_SHAPE = {"action": "str", "job": _JOB_SHAPE, "error": "any", "comments": "str"}
_FACTS_SHAPE = {
    "title": "str", "started": "str", "ended": "str", "vault": {"name": "str", "resource_group": "str"},
    "test_network": "str", "check_mode": "bool", "resumed_cleanup": "bool", "error": "any",
    "rto_target_seconds": "int", "rpo_target_seconds": "int",
    "plans": [{"name": "str", "groups": [{"group": "int", "vms": ["str"]}], "action": "str", "job": _JOB_SHAPE,
               "cleanup": _CLEANUP_SHAPE, "error": "any",
               "hooks": [{"name": "str", "status": "str", "message": "str"}]}],
    "vms": [{"name": "str", "item_name": "str", "plan": "str", "action": "str", "job": _JOB_SHAPE,
             "recovery_point": {"name": "str", "time": "str", "type": "str"}, "test_network_id": "str",
             "test_vm": {"exists": "bool", "vm_name": "str", "vm_id": "str", "power_state": "str", "vm_size": "str",
                         "resource_group": "str",
                         "nics": [{"attached": "bool", "name": "str", "network": "str", "subnet": "str",
                                   "network_id": "str", "private_ip": "str"}]},
             "left_behind": ["str"],
             "smoke": [{"name": "str", "host": "str", "rc": "int", "stdout": "str", "stderr": "str", "passed": "bool",
                        "message": "str", "skipped": "bool"}],
             "cleanup": _CLEANUP_SHAPE, "error": "any"}],
}
_TRUE, _FALSE = ("true", "yes", "on", "1", "y"), ("false", "no", "off", "0", "n", "")
_EXPECTED = {"str": "a string", "int": "a whole number (or its digits as text)",
             "bool": "true or false (or yes/no, on/off, 1/0)"}


def _refused(where, value, expected):
    """The InputError of a wrong field: where, the value (cut at 120 characters) and what it should be."""
    shown = value if len(repr(value)) <= 120 else repr(value)[:117] + "..."
    kind = ("a dictionary" if isinstance(value, dict) else "a list" if isinstance(value, (list, tuple)) else
            "a boolean" if isinstance(value, bool) else "a number" if isinstance(value, (int, float)) else
            "a string" if isinstance(value, str) else "a %s" % type(value).__name__)
    return InputError(where, shown, "%s, not %s" % (expected, kind))


def _checked(value, shape, where):
    if value is None or shape == "any":
        return value
    if isinstance(shape, dict):
        if not isinstance(value, dict):
            raise _refused(where, value, "a dictionary (keys %s)" % ", ".join(sorted(shape)))
        out = dict(value)
        for key, sub in shape.items():
            if key in value:
                out[key] = _checked(value[key], sub, "%s.%s" % (where, key))
        return out
    if isinstance(shape, list):
        if not isinstance(value, (list, tuple)):
            plural = {"str": "strings", "int": "whole numbers", "bool": "booleans"}
            expected = "a list of %s" % ("dictionaries" if isinstance(shape[0], dict) else plural.get(shape[0], "values"))
            raise _refused(where, value, expected)
        return [_checked(item, shape[0], "%s[%d]" % (where, index)) for index, item in enumerate(value)]
    if shape == "str":
        if isinstance(value, str):
            return value
        if isinstance(value, (bool, int, float)):
            return str(value)
    elif shape == "int":
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and re.match(r"^\s*[-+]?\d+\s*$", value):
            return int(value)
    elif shape == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, (int, str)) and str(value).strip().lower() in _TRUE + _FALSE:
            return str(value).strip().lower() in _TRUE
    raise _refused(where, value, _EXPECTED[shape])


def check_facts(facts):
    """The facts, each known field checked and converted (see _FACTS_SHAPE); an InputError names the first wrong
    one (`facts.vms[1].smoke[0].rc`), its value and what would be valid - never a traceback later."""
    return _checked(facts if facts is not None else {}, _FACTS_SHAPE, "facts")


# -- building ------------------------------------------------------------------------------------------

def _lower(value):
    return (value or "").rstrip("/").lower()


def _check(name, status, message="", target=None, kind=None, details=None):
    return dict(name=name, status=status, message=message or "", target=target, kind=kind, details=details or {})


def timeline(job):
    """The job's tasks as timeline rows: offset from the job's start and duration, seconds."""
    job = job or {}
    start = job.get("start_time")
    rows = []
    for task in job.get("tasks") or []:
        group = None
        match = _GROUP_TASK.match(task.get("friendly_name") or "") or _GROUP_NAME.match(task.get("name") or "")
        if match:
            group = int(match.group(1))
        rows.append(dict(name=task.get("name"), friendly_name=task.get("friendly_name") or task.get("name"),
                         state=task.get("state"), start_time=task.get("start_time"), end_time=task.get("end_time"),
                         offset_seconds=seconds_between(start, task.get("start_time")),
                         duration_seconds=seconds_between(task.get("start_time"), task.get("end_time")),
                         group=group))
    return rows


def group_end(job, group):
    """When a plan job's task of boot group `group` ended (the group's VMs are up), or None."""
    for row in timeline(job):
        if row["group"] == group and row["end_time"]:
            return row["end_time"]
    return None


def job_summary(job):
    if not job:
        return None
    return dict(name=job.get("name"), id=job.get("id"), scenario=job.get("scenario"),
                friendly_name=job.get("friendly_name"), state=job.get("state"), start_time=job.get("start_time"),
                end_time=job.get("end_time"), duration_seconds=seconds_between(job.get("start_time"), job.get("end_time")),
                errors=job.get("errors") or [])


def job_point(job, vm):
    """(time, name) of the recovery point the job used for a VM (its customDetails), or (None, None)."""
    details = ((job or {}).get("custom_details") or {}).get("protectedItemDetails") or []
    wanted = set(_lower(x) for x in (vm.get("name"), vm.get("item_name")) if x)
    for entry in details:
        if _lower(entry.get("friendlyName")) in wanted or _lower(entry.get("name")) in wanted:
            point_id = entry.get("recoveryPointId") or ""
            return entry.get("recoveryPointTime"), (point_id.rstrip("/").rsplit("/", 1)[-1] or None)
    return None, None


def _cleanup_view(cleanup):
    cleanup = cleanup or {}
    return dict(action=cleanup.get("action"), job=job_summary(cleanup.get("job")), error=cleanup.get("error"),
                comments=cleanup.get("comments"))


def _cleanup_check(cleanup, left, target, kind):
    if cleanup.get("error"):
        return _check("cleanup", FAILED, "the cleanup failed: %s" % _message(cleanup["error"]), target, kind)
    job = cleanup.get("job") or {}
    if job and job.get("state") not in (None, "Succeeded"):
        return _check("cleanup", FAILED, "the cleanup job %s ended %s" % (job.get("name"), job.get("state")), target, kind)
    if cleanup.get("action") is None:
        return _check("cleanup", SKIPPED, "not cleaned up (drill_cleanup is false, or check mode)", target, kind)
    if left:
        return _check("cleanup", FAILED, "left behind: %s" % ", ".join(_last(x) for x in left), target, kind,
                      dict(left_behind=list(left)))
    what = {"start": "cleaned up", "attach": "cleaned up (an earlier cleanup was awaited)",
            "after_job": "cleaned up", "none": "nothing to clean up"}.get(cleanup.get("action"), cleanup.get("action"))
    return _check("cleanup", PASSED, what, target, kind)


def _last(value):
    return (value or "").rstrip("/").rsplit("/", 1)[-1]


def _message(error):
    if isinstance(error, dict):
        return error.get("message") or error.get("msg") or json.dumps(error, sort_keys=True)
    return str(error)


def _missing_job_check(facts, target, kind):
    """The "test failover" check of a plan or VM with no test failover job in this run."""
    if facts.get("check_mode"):
        return _check("test failover", SKIPPED, "check mode: predicted only", target, kind)
    if facts.get("resumed_cleanup"):
        return _check("test failover", SKIPPED, RESUMED, target, kind)
    return _check("test failover", FAILED, "no test failover job found", target, kind)


def _vm_checks(vm, test_vm, rto, rpo, facts, skip_reason=None):
    name = vm.get("name")
    checks = []

    def add(check, status, message="", details=None):
        checks.append(_check(check, status, message, name, "vm", details))

    if skip_reason:
        for check in ("test VM exists", "test VM running", "NICs in the test network"):
            add(check, SKIPPED, skip_reason)
    elif not test_vm or not test_vm.get("exists"):
        add("test VM exists", FAILED, "no test VM %s in Azure" % ((test_vm or {}).get("vm_name") or "(unknown name)"))
        add("test VM running", SKIPPED, "no test VM")
        add("NICs in the test network", SKIPPED, "no test VM")
    else:
        add("test VM exists", PASSED, "%s (%s) in %s" % (test_vm.get("vm_name"), test_vm.get("vm_size") or "size ?",
                                                         test_vm.get("resource_group")))
        power = test_vm.get("power_state")
        add("test VM running", PASSED if power == "running" else FAILED, "power state %s" % (power or "unknown"))
        nics = [n for n in test_vm.get("nics") or [] if n.get("attached")]
        wanted = _lower(vm.get("test_network_id"))
        outside = [n for n in nics if not wanted or _lower(n.get("network_id")) != wanted]
        if not nics:
            add("NICs in the test network", FAILED, "the test VM has no NIC")
        elif outside:
            add("NICs in the test network", FAILED, "%s not in the test network %s" % (
                ", ".join("%s (%s)" % (n.get("name"), n.get("network") or "no network") for n in outside),
                _last(wanted) or "(unknown)"), dict(nics=nics))
        else:
            add("NICs in the test network", PASSED, ", ".join("%s %s/%s %s" % (
                n.get("name"), n.get("network"), n.get("subnet"), n.get("private_ip") or "") for n in nics).strip(),
                dict(nics=nics))
    if facts.get("rto_target_seconds"):
        target = int(facts["rto_target_seconds"])
        if rto is None:
            add("RTO", SKIPPED, "not measured")
        else:
            add("RTO", PASSED if rto <= target else FAILED, "%s (target %s)" % (duration_text(rto), duration_text(target)))
    if facts.get("rpo_target_seconds"):
        target = int(facts["rpo_target_seconds"])
        if rpo is None:
            add("RPO", SKIPPED, "not measured")
        else:
            add("RPO", PASSED if rpo <= target else FAILED, "%s (target %s)" % (duration_text(rpo), duration_text(target)))
    for smoke in vm.get("smoke") or []:
        label = "smoke: %s" % smoke.get("name")
        if smoke.get("skipped"):
            add(label, SKIPPED, smoke.get("message") or "skipped")
            continue
        message = smoke.get("message") or ("rc=%s on %s" % (smoke.get("rc"), smoke.get("host")))
        add(label, PASSED if smoke.get("passed") else FAILED, message,
            dict(host=smoke.get("host"), rc=smoke.get("rc"), stdout=(smoke.get("stdout") or "")[-2000:],
                 stderr=(smoke.get("stderr") or "")[-2000:]))
    return checks


def build(facts):
    """The report (a dict, JSON-ready) from the drill's facts (checked first: check_facts)."""
    facts = check_facts(facts)
    plans_in = facts.get("plans") or []
    plan_of_vm = {}
    plans = []
    for plan in plans_in:
        job = plan.get("job") or {}
        groups = []
        for number, group in enumerate(plan.get("groups") or [], 1):
            gno = int(group.get("group") or number)
            for vm_name in group.get("vms") or []:
                plan_of_vm[_lower(vm_name)] = (plan, gno)
            row = next((r for r in timeline(job) if r["group"] == gno), None)
            groups.append(dict(group=gno, vms=list(group.get("vms") or []),
                               start_time=row["start_time"] if row else None, end_time=row["end_time"] if row else None,
                               offset_seconds=row["offset_seconds"] if row else None,
                               duration_seconds=row["duration_seconds"] if row else None,
                               state=row["state"] if row else None))
        rto = seconds_between(job.get("start_time"), job.get("end_time")) if job.get("state") == "Succeeded" else None
        checks = []
        if plan.get("error"):
            checks.append(_check("test failover", FAILED, _message(plan["error"]), plan.get("name"), "plan"))
        elif not job:
            checks.append(_missing_job_check(facts, plan.get("name"), "plan"))
        else:
            checks.append(_check("test failover", PASSED if job.get("state") == "Succeeded" else FAILED,
                                 "job %s %s in %s" % (job.get("name"), job.get("state"), duration_text(rto)),
                                 plan.get("name"), "plan"))
        if facts.get("rto_target_seconds") and rto is not None:
            target = int(facts["rto_target_seconds"])
            checks.append(_check("RTO", PASSED if rto <= target else FAILED,
                                 "%s (target %s)" % (duration_text(rto), duration_text(target)), plan.get("name"), "plan"))
        for hook in plan.get("hooks") or []:
            checks.append(_check("hook: %s" % hook.get("name"), PASSED if hook.get("status") == PASSED else FAILED,
                                 hook.get("message") or hook.get("status") or "", plan.get("name"), "plan",
                                 dict((k, hook.get(k)) for k in ("group", "at", "action", "job", "hosts", "tasks",
                                                                 "started", "ended"))))
        checks.append(_cleanup_check(plan.get("cleanup") or {}, [], plan.get("name"), "plan"))
        plans.append(dict(name=plan.get("name"), action=plan.get("action"), job=job_summary(job), timeline=timeline(job),
                          groups=groups, rto_seconds=rto, cleanup=_cleanup_view(plan.get("cleanup")),
                          error=plan.get("error"), checks=checks, vms=[]))
    plans_by_name = dict((_lower(p["name"]), p) for p in plans)

    vms = []
    for vm in facts.get("vms") or []:
        plan, group = plan_of_vm.get(_lower(vm.get("name")), (None, None))
        if vm.get("plan") and plan is None:
            plan = next((p for p in plans_in if _lower(p.get("name")) == _lower(vm.get("plan"))), None)
        job = (plan or {}).get("job") if plan else vm.get("job")
        job = job or {}
        started = job.get("start_time")
        if plan is not None:
            ready = group_end(job, group) if group is not None else None
            ready = ready or (job.get("end_time") if job.get("state") == "Succeeded" else None)
        else:
            ready = job.get("end_time") if job.get("state") == "Succeeded" else None
        rto = seconds_between(started, ready)
        point_time, point_name = job_point(job, vm)
        point = dict(vm.get("recovery_point") or {})
        if point_time:
            point.update(time=point_time, source="job")
            point.setdefault("name", point_name)
        elif point.get("time"):
            point["source"] = "drill"
        rpo = seconds_between(point.get("time"), started)
        test_vm = vm.get("test_vm") or {}
        skip = None
        if facts.get("check_mode"):
            skip = "check mode: nothing was started"
        elif facts.get("resumed_cleanup"):
            skip = RESUMED
        elif vm.get("error"):
            skip = "the test failover failed: %s" % _message(vm["error"])
        elif job and job.get("state") != "Succeeded":
            skip = "the test failover job %s is %s" % (job.get("name"), job.get("state"))
        checks = _vm_checks(vm, test_vm, rto, rpo, facts, skip)
        if vm.get("error"):
            checks.insert(0, _check("test failover", FAILED, _message(vm["error"]), vm.get("name"), "vm"))
        elif plan is None:
            if job:
                checks.insert(0, _check("test failover", PASSED if job.get("state") == "Succeeded" else FAILED,
                                        "job %s %s" % (job.get("name"), job.get("state")), vm.get("name"), "vm"))
            else:
                checks.insert(0, _missing_job_check(facts, vm.get("name"), "vm"))
        left = vm.get("left_behind")
        cleanup = dict(vm.get("cleanup") or {})
        if plan is not None and not cleanup:
            cleanup = dict(plan.get("cleanup") or {})
        checks.append(_cleanup_check(cleanup, left or [], vm.get("name"), "vm"))
        entry = dict(name=vm.get("name"), item_name=vm.get("item_name"), plan=(plan or {}).get("name"), group=group,
                     action=vm.get("action") if plan is None else (plan or {}).get("action"),
                     job=job_summary(job) if plan is None else None,
                     timeline=timeline(job) if plan is None else [],
                     ready_time=ready, rto_seconds=rto, rpo_seconds=rpo, recovery_point=point or None,
                     test_network_id=vm.get("test_network_id"),
                     test_vm=dict(name=test_vm.get("vm_name"), id=test_vm.get("vm_id"), exists=test_vm.get("exists"),
                                  power_state=test_vm.get("power_state"), vm_size=test_vm.get("vm_size"),
                                  resource_group=test_vm.get("resource_group"),
                                  nics=[dict(name=n.get("name"), private_ip=n.get("private_ip"), network=n.get("network"),
                                             subnet=n.get("subnet"), network_id=n.get("network_id"))
                                        for n in test_vm.get("nics") or [] if n.get("attached")]) if test_vm else None,
                     cleanup=_cleanup_view(cleanup), left_behind=left, checks=checks, error=vm.get("error"))
        vms.append(entry)
        if entry["plan"] and _lower(entry["plan"]) in plans_by_name:
            plans_by_name[_lower(entry["plan"])]["vms"].append(entry["name"])

    every = [c for p in plans for c in p["checks"]] + [c for v in vms for c in v["checks"]]
    counts = dict(total=len(every), passed=sum(1 for c in every if c["status"] == PASSED),
                  failed=sum(1 for c in every if c["status"] == FAILED),
                  skipped=sum(1 for c in every if c["status"] == SKIPPED))
    rtos = [v["rto_seconds"] for v in vms if v["rto_seconds"] is not None] + \
           [p["rto_seconds"] for p in plans if p["rto_seconds"] is not None]
    rpos = [v["rpo_seconds"] for v in vms if v["rpo_seconds"] is not None]
    failed = counts["failed"] > 0 or bool(facts.get("error"))
    return dict(
        format=1, title=facts.get("title") or "DR drill", started=facts.get("started"), ended=facts.get("ended"),
        vault=facts.get("vault") or {}, test_network=facts.get("test_network"), check_mode=bool(facts.get("check_mode")),
        resumed_cleanup=bool(facts.get("resumed_cleanup")),
        rto_target_seconds=facts.get("rto_target_seconds") or None, rpo_target_seconds=facts.get("rpo_target_seconds") or None,
        result="check mode" if facts.get("check_mode") else (FAILED if failed else PASSED),
        error=facts.get("error"), counts=counts, max_rto_seconds=max(rtos) if rtos else None,
        max_rpo_seconds=max(rpos) if rpos else None, plans=plans, vms=vms,
        cleaned_up=[v["name"] for v in vms if (v["cleanup"] or {}).get("action") in ("start", "attach", "after_job")],
        left_behind=sorted(set(x for v in vms for x in (v["left_behind"] or []))),
        failed_checks=["%s: %s: %s" % (c["target"], c["name"], c["message"]) for c in every if c["status"] == FAILED],
    )


# -- JSON ----------------------------------------------------------------------------------------------

def to_json(report):
    return json.dumps(report, indent=2, sort_keys=True) + "\n"


# -- JUnit XML -------------------------------------------------------------------------------------------

def to_junit(report):
    """One testsuite per plan and one for the VMs drilled on their own; one testcase per check per plan/VM."""
    suites = []
    for plan in report["plans"]:
        cases = [(plan["name"], c) for c in plan["checks"]]
        for vm in report["vms"]:
            if vm["plan"] == plan["name"]:
                cases.extend((vm["name"], c) for c in vm["checks"])
        suites.append(("recovery plan %s" % plan["name"], plan["rto_seconds"], cases))
    alone = [(vm["name"], c) for vm in report["vms"] if not vm["plan"] for c in vm["checks"]]
    if alone or not suites:
        suites.append(("virtual machines", None, alone))
    out = ['<?xml version="1.0" encoding="UTF-8"?>']
    counts = report["counts"]
    out.append('<testsuites name=%s tests="%d" failures="%d" skipped="%d" errors="0">' % (
        _xml_attr(report["title"]), counts["total"], counts["failed"], counts["skipped"]))
    for name, seconds, cases in suites:
        failures = sum(1 for _t, c in cases if c["status"] == FAILED)
        skipped = sum(1 for _t, c in cases if c["status"] == SKIPPED)
        out.append('  <testsuite name=%s tests="%d" failures="%d" skipped="%d" errors="0" time="%s"%s>' % (
            _xml_attr(name), len(cases), failures, skipped, seconds or 0,
            (" timestamp=%s" % _xml_attr(report["started"])) if report.get("started") else ""))
        for target, check in cases:
            out.append('    <testcase classname=%s name=%s time="0">' % (
                _xml_attr("drill.%s" % target), _xml_attr(check["name"])))
            if check["status"] == FAILED:
                out.append('      <failure message=%s type="DrillCheckFailed">%s</failure>' % (
                    _xml_attr(check["message"][:500]), _xml_escape(_failure_text(check))))
            elif check["status"] == SKIPPED:
                out.append('      <skipped message=%s/>' % _xml_attr(check["message"][:500]))
            else:
                out.append('      <system-out>%s</system-out>' % _xml_escape(check["message"]))
            out.append('    </testcase>')
        out.append('  </testsuite>')
    out.append('</testsuites>')
    return "\n".join(out) + "\n"


def _failure_text(check):
    text = check["message"]
    details = check.get("details") or {}
    for key in ("stdout", "stderr"):
        if details.get(key):
            text += "\n%s:\n%s" % (key, details[key])
    return text


# -- HTML --------------------------------------------------------------------------------------------------

CSS = """
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 -apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif;color:#1f2933;background:#f3f5f8}
header{background:#0b3d6e;color:#fff;padding:24px 40px}
header h1{margin:0 0 4px;font-size:24px;font-weight:600}
header .meta{opacity:.85;font-size:13px}
main{padding:24px 40px 48px;max-width:1240px}
.badge{display:inline-block;padding:2px 10px;border-radius:12px;font-size:12px;font-weight:600;letter-spacing:.02em;text-transform:uppercase}
.badge.passed{background:#d6f5e3;color:#11643a}.badge.failed{background:#fde0e0;color:#9b1c1c}
.badge.skipped,.badge.check{background:#e6e9ef;color:#4b5563}
header .badge{font-size:14px;padding:4px 14px;margin-left:12px;vertical-align:middle}
.cards{display:flex;flex-wrap:wrap;gap:16px;margin:0 0 24px}
.card{background:#fff;border-radius:10px;padding:14px 18px;min-width:150px;box-shadow:0 1px 3px rgba(15,23,42,.08)}
.card .v{font-size:24px;font-weight:650}.card .l{color:#6b7280;font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.card.bad .v{color:#b91c1c}.card.good .v{color:#15803d}
section{background:#fff;border-radius:10px;padding:18px 22px;margin:0 0 22px;box-shadow:0 1px 3px rgba(15,23,42,.08)}
section h2{margin:0 0 12px;font-size:18px}
section h3{margin:18px 0 8px;font-size:14px;color:#374151;text-transform:uppercase;letter-spacing:.04em}
section h3.vm{text-transform:none;letter-spacing:0;font-size:15px;color:#1f2933;margin-top:22px}
td.name{white-space:nowrap}
table{border-collapse:collapse;width:100%;font-size:13px}
th{text-align:left;font-weight:600;color:#4b5563;border-bottom:2px solid #e5e7eb;padding:6px 8px}
td{border-bottom:1px solid #eef0f3;padding:6px 8px;vertical-align:top}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.tl{position:relative;height:22px;background:#f1f4f8;border-radius:4px;min-width:320px}
.tl .bar{position:absolute;top:3px;height:16px;border-radius:3px;background:#3b82f6}
.tl .bar.Succeeded{background:#22a06b}.tl .bar.Failed{background:#dc2626}.tl .bar.InProgress{background:#f59e0b}
.tl .bar.group{background:#2563eb}
.muted{color:#6b7280}.small{font-size:12px}
ul.checks{list-style:none;margin:0;padding:0}ul.checks li{margin:0 0 3px}
.err{background:#fdecec;border-left:4px solid #dc2626;padding:8px 12px;margin:0 0 14px;border-radius:4px}
footer{color:#6b7280;font-size:12px;padding:0 40px 30px}
code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;background:#f3f4f6;padding:1px 4px;border-radius:3px}
"""


def _e(value):
    return html.escape("" if value is None else str(value))


def _when(text):
    """An ISO time as people read it: `2026-11-26 08:00:00 UTC` (as given when it does not parse)."""
    parsed = parse_time(text)
    return parsed.strftime("%Y-%m-%d %H:%M:%S UTC") if parsed else (text or "-")


def _badge(status):
    return '<span class="badge %s">%s</span>' % (_e(status), _e(status))


def _timeline_rows(rows, total):
    if not rows:
        return '<p class="muted">No job timeline.</p>'
    ends = [(r["offset_seconds"] or 0) + (r["duration_seconds"] or 0) for r in rows]
    total = max([total or 0, 1] + ends)
    out = ['<table><tr><th>Step</th><th>State</th><th class="num">Start</th><th class="num">Duration</th>'
           '<th style="width:45%">Timeline</th></tr>']
    for r in rows:
        left = 100.0 * (r["offset_seconds"] or 0) / total
        width = max(0.6, 100.0 * (r["duration_seconds"] or 0) / total)
        width = min(width, 100.0 - left) if left < 100 else 0.6
        css = "bar %s%s" % (_e(r["state"]), " group" if r["group"] and r["state"] == "Succeeded" else "")
        out.append('<tr><td>%s</td><td>%s</td><td class="num">+%s</td><td class="num">%s</td>'
                   '<td><div class="tl"><div class="%s" style="left:%.2f%%;width:%.2f%%" title="%s"></div></div></td></tr>'
                   % (_e(r["friendly_name"]), _e(r["state"]), _e(duration_text(r["offset_seconds"] or 0)),
                      _e(duration_text(r["duration_seconds"])), css, left, width, _e(r["friendly_name"])))
    out.append("</table>")
    return "\n".join(out)


def _checks_list(checks):
    return '<ul class="checks">%s</ul>' % "".join(
        '<li>%s <b>%s</b> <span class="muted small">%s</span></li>' % (_badge(c["status"]), _e(c["name"]), _e(c["message"]))
        for c in checks)


def _vm_table(vms):
    out = ['<table><tr><th>VM</th><th>Group</th><th class="num">RTO</th><th class="num">RPO</th><th>Recovery point</th>'
           '<th>Test VM</th><th>NICs</th><th>Checks</th></tr>']
    for vm in vms:
        point = vm["recovery_point"] or {}
        test_vm = vm["test_vm"] or {}
        nics = "<br>".join("%s <span class='muted'>%s/%s</span>" % (_e(n["private_ip"] or "-"), _e(n["network"]), _e(n["subnet"]))
                           for n in test_vm.get("nics") or []) or "-"
        out.append('<tr><td class="name"><b>%s</b></td><td>%s</td><td class="num">%s</td><td class="num">%s</td>'
                   '<td>%s<br><span class="muted small">%s</span></td><td>%s<br><span class="muted small">%s</span></td>'
                   '<td>%s</td><td>%s</td></tr>' % (
                       _e(vm["name"]), _e(vm["group"] if vm["group"] is not None else "-"), _e(duration_text(vm["rto_seconds"])),
                       _e(duration_text(vm["rpo_seconds"])), _e(_when(point.get("time")) if point.get("time") else "-"),
                       _e(" ".join(x for x in (point.get("type"), point.get("name")) if x)),
                       _e(test_vm.get("name") or "-"), _e(" ".join(x for x in (test_vm.get("power_state"), test_vm.get("vm_size")) if x)),
                       nics, _checks_list(vm["checks"])))
    out.append("</table>")
    return "\n".join(out)


def _cleanup_html(cleanup, vms):
    job = cleanup.get("job") or {}
    parts = []
    action = cleanup.get("action")
    if action is None:
        parts.append("Not cleaned up.")
    else:
        parts.append({"start": "Test failover cleaned up", "attach": "An earlier cleanup was awaited",
                      "after_job": "Cleaned up after the running job", "none": "Nothing to clean up"}.get(action, action))
    if job:
        parts.append("(job <code>%s</code> %s, %s)" % (
            _e(job.get("name")), _e(job.get("state")), _e(duration_text(job.get("duration_seconds")))))
    if cleanup.get("comments"):
        parts.append("&mdash; comments: &ldquo;%s&rdquo;" % _e(cleanup["comments"]))
    html_ = "<p>%s</p>" % " ".join(parts)
    removed = []
    if action in ("start", "attach", "after_job"):
        for vm in vms:
            test_vm = vm["test_vm"] or {}
            removed.extend([test_vm.get("name")] + [n.get("name") for n in test_vm.get("nics") or []])
    removed = [x for x in removed if x]
    if removed:
        html_ += "<p class='small'>Removed: %s</p>" % ", ".join("<code>%s</code>" % _e(x) for x in removed)
    left = sorted(set(x for v in vms for x in (v["left_behind"] or [])))
    if left:
        html_ += "<div class='err'>Left behind in Azure: %s</div>" % ", ".join("<code>%s</code>" % _e(_last(x)) for x in left)
    elif any(v["left_behind"] is not None for v in vms):
        html_ += "<p class='small'>Verified: no test VM, NIC or disk left in Azure.</p>"
    return html_


def to_html(report):
    counts = report["counts"]
    result = report["result"]
    vault = report.get("vault") or {}
    out = ['<!DOCTYPE html>', '<html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           '<title>%s</title>' % _e(report["title"]), '<style>%s</style></head><body>' % CSS]
    out.append('<header><h1>%s %s</h1><div class="meta">Vault <b>%s</b> (%s) &middot; test network <b>%s</b> &middot; '
               '%s &rarr; %s</div></header>' % (
                   _e(report["title"]), _badge("check" if result == "check mode" else result), _e(vault.get("name")),
                   _e(vault.get("resource_group")), _e(_last(report.get("test_network")) or "each VM's own"),
                   _e(_when(report.get("started"))), _e(_when(report.get("ended")))))
    out.append("<main>")
    if report.get("error"):
        out.append('<div class="err"><b>The drill stopped:</b> %s</div>' % _e(_message(report["error"])))
    if report.get("resumed_cleanup"):
        out.append('<div class="err"><b>Cleanup only:</b> %s.</div>' % _e(RESUMED))
    cards = [("Plans", len(report["plans"]), ""), ("VMs", len(report["vms"]), ""),
             ("Checks passed", counts["passed"], "good" if counts["passed"] else ""),
             ("Checks failed", counts["failed"], "bad" if counts["failed"] else "good"),
             ("Max RTO", duration_text(report["max_rto_seconds"]), ""),
             ("Max RPO", duration_text(report["max_rpo_seconds"]), "")]
    out.append('<div class="cards">%s</div>' % "".join(
        '<div class="card %s"><div class="v">%s</div><div class="l">%s</div></div>' % (css, _e(v), _e(label))
        for label, v, css in cards))
    for plan in report["plans"]:
        job = plan["job"] or {}
        vms = [v for v in report["vms"] if v["plan"] == plan["name"]]
        out.append('<section><h2>Recovery plan %s %s</h2>' % (_e(plan["name"]), _badge(
            FAILED if any(c["status"] == FAILED for c in plan["checks"] + [c for v in vms for c in v["checks"]]) else PASSED)))
        out.append('<p>RTO <b>%s</b> &middot; job <code>%s</code> %s &middot; %s &rarr; %s &middot; %d groups, %d VMs</p>' % (
            _e(duration_text(plan["rto_seconds"])), _e(job.get("name") or "-"), _e(job.get("state") or ""),
            _e(_when(job.get("start_time"))), _e(_when(job.get("end_time"))), len(plan["groups"]), len(vms)))
        out.append(_checks_list(plan["checks"]))
        out.append("<h3>Timeline</h3>" + _timeline_rows(plan["timeline"], job.get("duration_seconds")))
        out.append("<h3>Virtual machines</h3>" + _vm_table(vms))
        out.append("<h3>Cleanup</h3>" + _cleanup_html(plan["cleanup"] or {}, vms))
        out.append("</section>")
    alone = [v for v in report["vms"] if not v["plan"]]
    if alone:
        out.append('<section><h2>Virtual machines</h2>')
        out.append(_vm_table(alone))
        for vm in alone:
            job = vm["job"] or {}
            out.append("<h3 class='vm'>%s &middot; job <code>%s</code> %s &middot; RTO %s</h3>" % (
                _e(vm["name"]), _e(job.get("name") or "-"), _e(job.get("state") or ""), _e(duration_text(vm["rto_seconds"]))))
            out.append(_timeline_rows(vm["timeline"], job.get("duration_seconds")))
            out.append(_cleanup_html(vm["cleanup"] or {}, [vm]))
        out.append("</section>")
    out.append("</main><footer>RTO: from the start of the test failover job to the end of the VM's group (a plan) or "
               "of its job; RPO: from the recovery point to the start of the job (ASR job timestamps). Generated by "
               "dr.asr.drill_report.</footer></body></html>")
    return "\n".join(out) + "\n"


RENDERERS = {"json": ("json", to_json), "junit": ("xml", to_junit), "html": ("html", to_html)}
