# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The waiting action (plugins/plugin_utils/_wait_action.py, the action plugin of every waiting module, and
plugin_utils/_rounds.py): a module runs in rounds of
wait_round seconds until its work is done or wait_timeout is spent, a progress line per round, one folded result.
The module runs are the edge: `_execute_module` is replaced by a script of what each round answers."""

from __future__ import annotations

import pytest

from ansible_collections.dr.asr.plugins.plugin_utils import _wait_action as wait_rounds
from ansible_collections.dr.asr.plugins.action import test_failover as test_failover_action
from ansible_collections.dr.asr.plugins.plugin_utils import _rounds as rounds


def timeout_round(partial, msg="Timed out after 60s waiting for job j1 (web-01)."):
    return {"failed": True, "msg": msg, "changed": partial.get("changed", False), "partial": partial,
            "error": {"kind": "timeout", "message": msg, "partial": partial}}


def item(action, changed, job_state, phase, diff=None, name="web-01"):
    return {"kind": "item", "name": name, "action": action, "changed": changed, "phase": phase,
            "state": "Protected", "job": {"name": "j1", "state": job_state},
            "diff": diff or {"before": {}, "after": {}}}


PROGRESS = {"total": 1, "ended": 0, "running": [{"job": "j1", "target": "web-01", "step": "2/7",
                                                 "task": "Starting the test VM"}], "summary": None}
STARTED = dict(changed=True, progress=PROGRESS, diff=[], recovery_plan=None, protected_items=[item(
    "start", True, "InProgress", "protected", {"before": {"phase": "protected"}, "after": {"phase": "test_failover"}})])
ATTACHED = dict(changed=False, progress=dict(PROGRESS, ended=1, running=[]), diff=[], recovery_plan=None,
                protected_items=[item("attach", False, "Succeeded", "test_failover")])


class Task(object):
    def __init__(self, args, action="dr.asr.test_failover"):
        self.args = args
        self.action = action
        self.async_val = 0
        self.check_mode = False


class PlayContext(object):
    check_mode = False


def run_action(args, answers, monkeypatch, check_mode=False):
    """Run the action with `_execute_module` answering `answers` in turn; returns (result, the args of each run,
    the progress lines printed)."""
    calls, lines = [], []
    action = wait_rounds.ActionModule.__new__(wait_rounds.ActionModule)
    action._task = Task(args)
    action._play_context = PlayContext()
    action._play_context.check_mode = check_mode

    def execute(module_name=None, module_args=None, task_vars=None):
        assert module_name == "dr.asr.test_failover"
        calls.append(dict(module_args))
        return dict(answers[len(calls) - 1])
    monkeypatch.setattr(action, "_execute_module", execute, raising=False)
    monkeypatch.setattr(wait_rounds.ActionBase, "run", lambda self, tmp=None, task_vars=None: {})
    monkeypatch.setattr(wait_rounds.display, "display", lambda msg, *a, **kw: lines.append(msg))
    return action.run(task_vars={"inventory_hostname": "localhost"}), calls, lines


def test_a_run_that_ends_in_its_first_round_is_one_module_run(monkeypatch):
    done = dict(STARTED, protected_items=[item("start", True, "Succeeded", "test_failover")])
    result, calls, lines = run_action({"items": ["web-01"], "wait_timeout": 600, "wait_round": 60}, [done], monkeypatch)
    assert len(calls) == 1 and calls[0]["wait_timeout"] == 60
    assert result["rounds"] == 1 and result["changed"] and lines == []


def test_rounds_run_again_until_done_and_fold_into_one_result(monkeypatch):
    answers = [timeout_round(STARTED), timeout_round(dict(ATTACHED, protected_items=[
        item("attach", False, "InProgress", "protected")])), ATTACHED]
    result, calls, lines = run_action({"items": ["web-01"], "wait_timeout": 600, "wait_round": 60}, answers,
                                      monkeypatch)
    assert len(calls) == 3 and all(c["wait_timeout"] == 60 for c in calls)
    assert len(lines) == 2 and "web-01 step 2/7 (Starting the test VM)" in lines[0]
    assert lines[0].startswith("[localhost] dr.asr.test_failover: 0m")
    # the task started the test failover (round 1) and saw it end (round 3): changed, action start, diff of both
    assert result["changed"] and result["rounds"] == 3 and not result.get("failed")
    entry = result["protected_items"][0]
    assert entry["action"] == "start" and entry["changed"] and entry["job"]["state"] == "Succeeded"
    assert entry["diff"] == {"before": {"phase": "protected"}, "after": {"phase": "test_failover"}}
    assert result["diff"] == [{"before_header": "web-01", "after_header": "web-01", "before": {"phase": "protected"},
                               "after": {"phase": "test_failover"}}]


def test_the_task_timeout_bounds_every_round(monkeypatch):
    clock = iter([0.0, 0.0, 61.0, 61.0, 61.0, 90.0])
    monkeypatch.setattr(wait_rounds.time, "monotonic", lambda: next(clock))
    answers = [timeout_round(STARTED), timeout_round(dict(ATTACHED, protected_items=[
        item("attach", False, "InProgress", "protected")]))]
    result, calls, _lines = run_action({"items": ["web-01"], "wait_timeout": 90, "wait_round": 60}, answers,
                                       monkeypatch)
    assert [c["wait_timeout"] for c in calls] == [60, 29]
    assert result["failed"] and "Timed out after 90s (2 rounds)" in result["msg"]
    assert result["changed"] and result["partial"]["protected_items"][0]["action"] == "start"


def test_a_failure_that_is_no_timeout_ends_the_rounds(monkeypatch):
    failed = {"failed": True, "msg": "1 of 1 targets failed: boom", "changed": True, "protected_items": [
        item("attach", False, "Failed", "protected")], "progress": PROGRESS}
    result, calls, _lines = run_action({"items": ["web-01"], "wait_round": 60}, [timeout_round(STARTED), failed],
                                       monkeypatch)
    assert len(calls) == 2 and result["failed"] and result["msg"] == "1 of 1 targets failed: boom"
    assert result["protected_items"][0]["action"] == "start"


def test_what_a_round_settled_goes_to_the_next_one(monkeypatch):
    first = dict(STARTED, wait_resume={"settled": ["item-web-01"]})
    result, calls, _lines = run_action({"vms": [{"name": "web-01"}], "wait": "protected", "wait_round": 60},
                                       [timeout_round(first), ATTACHED], monkeypatch)
    assert "wait_resume" not in calls[0] and calls[1]["wait_resume"] == {"settled": ["item-web-01"]}
    assert "wait_resume" not in result


@pytest.mark.parametrize("args,check_mode", [({"wait": False}, False), ({"wait": "none"}, False), ({}, True),
                                             ({"wait_round": 0, "wait_timeout": 300}, False)])
def test_no_rounds_without_waiting_in_check_mode_or_with_round_0(args, check_mode, monkeypatch):
    result, calls, lines = run_action(dict(args, items=["web-01"]), [timeout_round(STARTED)] * 3, monkeypatch,
                                      check_mode=check_mode)
    assert len(calls) == 1 and lines == [] and result["rounds"] == 1
    if args.get("wait_round") == 0:
        assert calls[0]["wait_timeout"] == 300
    else:
        assert calls[0] == dict(args, items=["web-01"])


@pytest.mark.parametrize("value,expected", [(True, True), (False, False), ("false", False), ("none", False),
                                            ("protected", True), ("enabled", True), ("yes", True), (None, False)])
def test_waits(value, expected):
    assert rounds.waits({"wait": value}) is expected


def test_job_module_diff_is_folded_from_the_round_that_acted():
    cancelled = {"changed": True, "action": "cancel", "job": {"name": "j1", "state": "InProgress"},
                 "diff": {"before": {"state": "InProgress"}, "after": {"state": "Cancelled"}},
                 "wait_resume": {"acted": True}}
    waited = {"changed": False, "action": "cancel", "job": {"name": "j1", "state": "Cancelled"},
              "diff": {"before": {}, "after": {}}}
    folded = rounds.fold([timeout_round(cancelled), waited], 600)
    assert folded["changed"] and folded["diff"]["before"] == {"state": "InProgress"}
    assert folded["job"]["state"] == "Cancelled" and "wait_resume" not in folded


def test_plan_entry_after_comes_from_the_last_round():
    plan_first = {"kind": "recovery_plan", "name": "rp1", "action": "start", "changed": True,
                  "items": [{"name": "web-01", "phase": "protected"}],
                  "diff": {"before": {"web-01": {"phase": "protected"}}, "after": {"web-01": {"phase": "protected"}}}}
    plan_last = {"kind": "recovery_plan", "name": "rp1", "action": "attach", "changed": False,
                 "items": [{"name": "web-01", "phase": "test_failover"}], "diff": {"before": {}, "after": {}}}
    folded = rounds.fold([timeout_round({"changed": True, "recovery_plan": plan_first, "protected_items": [],
                                         "diff": []}),
                          {"changed": False, "recovery_plan": plan_last, "protected_items": [], "diff": []}], 600)
    assert folded["recovery_plan"]["action"] == "start"
    assert folded["recovery_plan"]["diff"]["after"] == {"web-01": {"phase": "test_failover"}}
    assert folded["diff"][0]["before_header"] == "rp1"


def test_every_waiting_module_has_the_waiting_action():
    import importlib
    for name in ("test_failover", "failover", "failover_commit", "failover_cancel", "failover_recovery_point",
                 "reprotect", "protected_item", "recovery_plan", "replication_policy", "job"):
        action = importlib.import_module("ansible_collections.dr.asr.plugins.action." + name)
        module = importlib.import_module("ansible_collections.dr.asr.plugins.modules." + name)
        assert action.ActionModule is wait_rounds.ActionModule
        assert "dr.asr.wait_rounds" in module.DOCUMENTATION     # its wait_round option is documented
    assert test_failover_action.ActionModule is wait_rounds.ActionModule


# -- bad numbers and faults: never a traceback from the action -------------------------------------------------
REFUSED = {"failed": True, "changed": False, "msg": "Invalid value for parameter 'wait_timeout': 'soon'.",
           "error": {"kind": "input", "message": "x", "details": {"parameter": "wait_timeout"}}}


@pytest.mark.parametrize("args", [{"wait_timeout": "soon"}, {"wait_round": "a minute"}, {"wait_timeout": -5},
                                  {"wait_round": -60}, {"wait_timeout": None, "wait_round": [1]}])
def test_a_bad_wait_number_is_one_run_whose_argument_check_names_it(args, monkeypatch):
    result, calls, lines = run_action(dict(args, items=["web-01"]), [REFUSED], monkeypatch)
    assert len(calls) == 1 and calls[0] == dict(args, items=["web-01"]) and lines == []
    assert result["failed"] and result["error"]["kind"] == "input"


def test_an_unexpected_error_between_rounds_is_a_clean_failure_saying_what_ran(monkeypatch):
    answers = [timeout_round(STARTED)]       # then the second round raises (a bug in the action or the connection)
    result, calls, _lines = run_action({"items": ["web-01"], "wait_timeout": 600, "wait_round": 60}, answers,
                                       monkeypatch)
    assert len(calls) == 2 and result["failed"] and result["changed"] and result["rounds"] == 1
    assert result["error"]["kind"] == "internal" and "IndexError" in result["msg"]
    assert "1 module run(s) had finished before it, and changed something" in result["msg"]
    assert "Traceback" in result["exception"] and "Traceback" not in result["msg"]
