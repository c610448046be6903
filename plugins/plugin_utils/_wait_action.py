# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Waiting as a capability: the controller side of every dr.asr module that waits for ASR jobs.

Each of those modules has an action plugin of its name in plugins/action/ that is this class. With `wait`, it
runs the module in rounds of
`wait_round` seconds (the module's `wait_timeout` set to one round), prints one progress line per round (also a
job event under AWX), and runs the module again after a round that ended before the work did: the module finds
its own running jobs and waits on, it never starts an action twice. It stops when the work is done, failed, or
the task's `wait_timeout` is spent, and returns one result (plugins/plugin_utils/_rounds.py folds the rounds).
Without `wait`, and in check mode, the module runs once, as it is; so does a task whose wait_timeout or wait_round is
not a number of 0 or more (the module's argument check then names the option). An unexpected error here is a clean
failure saying how many module runs had finished and whether they changed something, never a traceback.
"""

from __future__ import annotations

import time
import traceback

from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.dr.asr.plugins.plugin_utils import _rounds as rounds

display = Display()


class ActionModule(ActionBase):

    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        module = self._task.action         # the module the task names (its resolved action is this plugin)
        args = dict(self._task.args)
        runs = []
        try:
            result.update(self._rounds(module, args, task_vars, runs))
        except Exception as exc:  # pylint: disable=broad-except  # never a traceback: say what the rounds did
            changed = any(isinstance(r, dict) and r.get("changed") for r in runs)
            result.update(failed=True, changed=changed, rounds=len(runs), msg=(
                "Unexpected error in the waiting action of %s (a bug in dr.asr; please report it): %s: %s. %s" % (
                    module, type(exc).__name__, exc,
                    "No module run had started." if not runs else
                    "%d module run(s) had finished before it%s; run the task again (it goes on from where it is)."
                    % (len(runs), ", and changed something" if changed else ", changing nothing"))),
                error=dict(kind="internal", message=str(exc), code="UnexpectedError"),
                exception=traceback.format_exc())
        return result

    def _rounds(self, module, args, task_vars, runs):
        try:
            timeout, length = rounds.timing(args)
        except (TypeError, ValueError):
            # a wait_timeout or wait_round that is not a number: one run, whose argument check names the option
            return rounds.fold([self._execute_module(module_name=module, module_args=args, task_vars=task_vars)], 0)
        if self._play_context.check_mode or not rounds.waits(args) or length >= timeout:
            # one run as the task is (a negative number is refused by the module's argument check)
            runs.append(self._execute_module(module_name=module, module_args=args, task_vars=task_vars))
            return rounds.fold(runs, timeout)
        started = time.monotonic()
        deadline = started + timeout
        while True:
            round_args = dict(args, wait_timeout=rounds.round_timeout(length, deadline - time.monotonic()))
            resume = (rounds.state_of(runs[-1]) or {}).get("wait_resume") if runs else None
            if resume is not None:
                round_args["wait_resume"] = resume
            runs.append(self._execute_module(module_name=module, module_args=round_args, task_vars=task_vars))
            if not rounds.round_ended(runs[-1]) or time.monotonic() >= deadline - 0.5:
                break
            display.display("[%s] %s" % ((task_vars or {}).get("inventory_hostname", "localhost"), rounds.progress_line(
                module, time.monotonic() - started, timeout, runs[-1])))
        return rounds.fold(runs, timeout)
