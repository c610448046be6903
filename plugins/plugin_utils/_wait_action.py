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
Without `wait`, and in check mode, the module runs once, as it is.
"""

from __future__ import annotations

import time

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
        timeout, length = rounds.timing(args)
        if self._play_context.check_mode or not rounds.waits(args) or length >= timeout:
            result.update(rounds.fold([self._execute_module(module_name=module, module_args=args, task_vars=task_vars)],
                                      timeout))
            return result
        started = time.monotonic()
        deadline = started + timeout
        runs = []
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
        result.update(rounds.fold(runs, timeout))
        return result
