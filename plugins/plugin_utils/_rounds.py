# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Waiting in rounds (controller side, pure): what the waiting action (_wait_action.py) decides between the module
runs of one task, and how it folds the runs' results into the task's one result.

A waiting module runs with `wait_timeout` = one round (`wait_round` seconds). A round that ends before the work
does fails with a timeout whose `partial` result says where things are (`progress`); the action prints that and
runs the module again, which finds its own running jobs and waits on (an action attaches, it never starts twice),
until the work is done or the task's own `wait_timeout` is spent. A module that has to be told what an earlier
round settled returns `wait_resume`, which the next round gets as its `wait_resume` option.
"""

from __future__ import annotations

import math

DEFAULT_TIMEOUT = 1800        # the wait doc fragment's default wait_timeout
DEFAULT_ROUND = 60            # the wait doc fragment's default wait_round
LARGEST = 10 ** 9             # the largest number a module takes (module_utils/_module.py check_bounds)


def _int(value, default):
    if value is None or value == "":
        return default
    number = int(value)
    if abs(number) > LARGEST:
        raise ValueError("%s is out of range" % value)   # the module's argument check names the option
    return number


def waits(args):
    """Whether the task waits at all (wait: false / none does not)."""
    wait = args.get("wait", True)
    if isinstance(wait, str):
        return wait.strip().lower() not in ("false", "no", "off", "0", "none", "n", "f")
    return bool(wait)


def timing(args):
    """(task timeout, round length) in seconds from the task's arguments; a round of 0 waits in one run."""
    timeout = _int(args.get("wait_timeout"), DEFAULT_TIMEOUT)
    length = _int(args.get("wait_round"), DEFAULT_ROUND)
    return timeout, (length if 0 < length < timeout else timeout)


def round_timeout(length, left):
    """The wait_timeout of the next run: one round, or what is left of the task's time when less."""
    return int(max(1, min(length, math.ceil(left))))


def round_ended(result):
    """Whether a module run stopped because its round ended (a timeout), not because the work is done or failed."""
    error = result.get("error") if isinstance(result, dict) else None
    return bool(result.get("failed")) and isinstance(error, dict) and error.get("kind") == "timeout"


def state_of(result):
    """The module result a run stands for: a timed-out run's `partial` (what it saw), else the result itself."""
    if round_ended(result) and isinstance(result.get("partial"), dict):
        return result["partial"]
    return result


def progress_line(module, elapsed, timeout, result):
    """One line: `dr.asr.test_failover: 1m00s of 30m00s: 2 of 5 jobs ended; web-01 step 3/9 (Starting the VM)`."""
    progress = (state_of(result) or {}).get("progress") or result.get("progress") or {}
    head = "%s: %s of %s" % (module, _duration(elapsed), _duration(timeout))
    parts = []
    if progress.get("total"):
        parts.append("%d of %d jobs ended" % (progress.get("ended") or 0, progress["total"]))
    for job in (progress.get("running") or [])[:5]:
        text = job.get("target") or job.get("job")
        if job.get("step"):
            text += " step %s" % job["step"]
        if job.get("task"):
            text += " (%s)" % job["task"]
        parts.append(text)
    if len(progress.get("running") or []) > 5:
        parts.append("%d more running" % (len(progress["running"]) - 5))
    if progress.get("summary"):
        parts.append(progress["summary"])
    return head + (": " + "; ".join(parts) if parts else ": waiting")


def _duration(seconds):
    seconds = int(seconds)
    return "%dm%02ds" % (seconds // 60, seconds % 60)


# -- folding the rounds into one result --------------------------------------------------------------------------

_ENTRY_LISTS = ("protected_items", "vms")


def _key(entry):
    return (entry.get("kind"), entry.get("name"))


def _fold_entry(first, last):
    """A target as the task reports it: what the first round did (started, enabled...), as the last round saw it."""
    if not first.get("changed") or last.get("changed") or last.get("action") not in ("attach", "none", None):
        return last
    out = dict(last)
    out["action"], out["changed"] = first.get("action"), True
    before = (first.get("diff") or {}).get("before") or {}
    after = (first.get("diff") or {}).get("after") or {}
    if last.get("kind") == "recovery_plan":     # after: per member, as the last round saw it
        members = dict((i.get("name"), i) for i in last.get("items") or [])
        after = dict((name, dict((k, members.get(name, {}).get(k, v)) for k, v in (values or {}).items()))
                     for name, values in after.items())
    else:
        after = dict((k, last.get(k, v)) for k, v in after.items())
    out["diff"] = dict(before=before, after=after)
    if first.get("job") and last.get("job") and first["job"].get("name") == last["job"].get("name"):
        out["job"] = last["job"]
    elif first.get("job") and not last.get("job"):
        out["job"] = first["job"]
    return out


def fold(results, timeout):
    """The task's result from its rounds' results (oldest first): the last round's, with `changed` and each target's
    action and diff from the round that made the change, `rounds`, and a timeout message about the whole wait."""
    if len(results) == 1:
        out = dict(results[0], rounds=1)
        out.pop("wait_resume", None)
        if isinstance(out.get("partial"), dict):
            out["partial"] = dict(out["partial"])
            out["partial"].pop("wait_resume", None)
        return out
    states = [state_of(r) or {} for r in results]
    last = dict(results[-1])
    folded = dict(states[-1])
    for key in _ENTRY_LISTS:
        if isinstance(folded.get(key), list):
            seen = {}
            for state in states[:-1]:
                for entry in state.get(key) or []:
                    if entry.get("changed"):
                        seen.setdefault(_key(entry), entry)
            folded[key] = [_fold_entry(seen[_key(e)], e) if _key(e) in seen else e for e in folded[key]]
    plan = folded.get("recovery_plan")
    if isinstance(plan, dict):
        first = next((s["recovery_plan"] for s in states[:-1] if (s.get("recovery_plan") or {}).get("changed")), None)
        if first:
            folded["recovery_plan"] = _fold_entry(first, plan)
    changed = any(s.get("changed") for s in states)
    folded["changed"] = changed
    entries = [e for key in _ENTRY_LISTS for e in folded.get(key) or [] if isinstance(e, dict)]
    if isinstance(folded.get("recovery_plan"), dict) and folded["recovery_plan"].get("kind") == "recovery_plan":
        entries = [folded["recovery_plan"]] + [e for e in entries if folded["recovery_plan"] is not e]
    if entries and isinstance(folded.get("diff"), list):
        folded["diff"] = [dict(before_header=e["name"], after_header=e["name"], before=(e.get("diff") or {}).get("before"),
                               after=(e.get("diff") or {}).get("after")) for e in entries if e.get("changed")]
    elif isinstance(folded.get("diff"), dict):
        first = next((s.get("diff") for s in states if s.get("changed") and isinstance(s.get("diff"), dict)), None)
        if first:
            folded["diff"] = dict(before=first.get("before"), after=folded["diff"].get("after") or first.get("after"))
    folded.pop("wait_resume", None)
    folded["rounds"] = len(results)
    if round_ended(last):       # the task's time is spent: its timeout, with what the last round saw
        last["partial"] = folded
        last["changed"] = changed
        last["rounds"] = len(results)
        last["msg"] = "Timed out after %ss (%d rounds) waiting: %s" % (
            timeout, len(results), last.get("msg") or "")
        warnings = []
        for result in results:
            warnings.extend(w for w in result.get("warnings") or [] if w not in warnings)
        if warnings:
            last["warnings"] = warnings
        return last
    for key in ("failed", "msg", "error", "exception"):
        if key in last:
            folded[key] = last[key]
    for key in ("warnings", "deprecations"):
        merged = []
        for result in results:
            merged.extend(w for w in result.get(key) or [] if w not in merged)
        if merged:
            folded[key] = merged
    return folded
