# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Counts what a playbook run executed, for the benchmark: per action, the module invocations (each a Python
process on the target: AnsiballZ), the controller-side actions, skips, failures and the time spent; written as
JSON to $BENCH_COUNTER_OUT at the end of the run."""

from __future__ import annotations

DOCUMENTATION = r'''
name: bench_counter
type: aggregate
short_description: Counts module invocations per action for the dr.asr benchmark
description:
  - Writes, at the end of the run, per action the number of module executions (loop items counted one by one),
    skips, failures and seconds, to the file named by the environment variable E(BENCH_COUNTER_OUT).
requirements:
  - enabled with ANSIBLE_CALLBACKS_ENABLED=bench_counter
'''

import json
import os
import time

from ansible.plugins.callback import CallbackBase

# actions the controller runs itself (no module process is started for them)
CONTROLLER_ACTIONS = frozenset((
    "set_fact", "debug", "fail", "assert", "include_tasks", "import_tasks", "include_role", "import_role", "meta",
    "include_vars", "set_stats", "pause", "add_host", "group_by", "end_play", "end_host", "validate_argument_spec"))


def _runs(result):
    """Module processes one result stands for: a dr.asr waiting module reports its rounds (one run each)."""
    rounds = result.get("rounds") if isinstance(result, dict) else None
    return rounds if isinstance(rounds, int) and rounds > 0 else 1


def _short(action):
    return action.rsplit(".", 1)[-1] if action.startswith("ansible.builtin.") or action.startswith("ansible.legacy.") \
        else action


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_counter"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super(CallbackModule, self).__init__(*args, **kwargs)
        self.actions = {}
        self.tasks = 0
        self._started = {}

    def _entry(self, task):
        action = _short(task.action)
        return self.actions.setdefault(action, {"executions": 0, "skipped": 0, "failed": 0, "tasks": 0,
                                                "seconds": 0.0, "controller": action in CONTROLLER_ACTIONS})

    def v2_playbook_on_task_start(self, task, is_conditional):
        self.tasks += 1
        self._entry(task)["tasks"] += 1
        self._started[task._uuid] = time.monotonic()

    def _done(self, result, failed=False, skipped=False):
        task = result._task
        entry = self._entry(task)
        started = self._started.pop(task._uuid, None)
        if started is not None:
            entry["seconds"] += time.monotonic() - started
        items = result._result.get("results") if isinstance(result._result, dict) else None
        if isinstance(items, list) and task.loop is not None:
            ran = [i for i in items if isinstance(i, dict) and not i.get("skipped")]
            entry["executions"] += sum(_runs(i) for i in ran)
            entry["skipped"] += len(items) - len(ran)
            entry["failed"] += sum(1 for i in ran if i.get("failed"))
            return
        if skipped:
            entry["skipped"] += 1
            return
        entry["executions"] += _runs(result._result)
        if failed:
            entry["failed"] += 1

    def v2_runner_on_ok(self, result):
        self._done(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._done(result, failed=True)

    def v2_runner_on_skipped(self, result):
        self._done(result, skipped=True)

    def v2_runner_on_unreachable(self, result):
        self._done(result, failed=True)

    def v2_playbook_on_stats(self, stats):
        path = os.environ.get("BENCH_COUNTER_OUT")
        if not path:
            return
        modules = dict((k, v) for k, v in self.actions.items() if not v["controller"])
        for v in self.actions.values():
            v["seconds"] = round(v["seconds"], 3)
        data = {"tasks": self.tasks,
                "module_invocations": sum(v["executions"] for v in modules.values()),
                "controller_actions": sum(v["executions"] for k, v in self.actions.items() if v["controller"]),
                "by_action": self.actions}
        with open(path, "w") as f:
            json.dump(data, f, indent=1, sort_keys=True)
