# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Callback of the option fuzz (tests/integration/test_fuzz_options.py): every task result, as the callbacks see it
(after Ansible's own censoring), one JSON line each, to the file $DRASR_FUZZ_RESULTS - beside the normal output."""

from __future__ import annotations

import json
import os
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r'''
name: fuzz_results
type: aggregate
short_description: Task results as JSON lines, for the option fuzz of the test suite
description:
  - Appends each task result (task name, host, status, result) to the file named by E(DRASR_FUZZ_RESULTS).
requirements:
  - enabled in callbacks_enabled
'''


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "fuzz_results"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._path = os.environ.get("DRASR_FUZZ_RESULTS")

    def _record(self, result, status):
        if not self._path:
            return
        data = getattr(result, "result", None)
        if data is None:
            data = result._result       # ansible-core before 2.19
        record = dict(task=result._task.get_name(), host=result._host.get_name(), status=status, time=time.time(),
                      result=data)
        with open(self._path, "a", encoding="utf-8") as f:
            f.write(json.dumps(record, default=repr, ensure_ascii=True) + "\n")

    def v2_runner_on_ok(self, result):
        self._record(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, "failed")

    def v2_runner_on_unreachable(self, result):
        self._record(result, "unreachable")

    def v2_runner_on_skipped(self, result):
        self._record(result, "skipped")
