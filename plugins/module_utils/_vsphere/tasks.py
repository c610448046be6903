# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""vSphere tasks, awaited by the one waiter (`_waiter.Waiter.until`).

    task = vm.PowerOnVM_Task()
    result = wait_for_task(task, module.waiter(), "powering on web01")

A task that ends in error raises VSphereError carrying the task's fault; running out of time raises
WaitTimeout whose `partial` describes the task as last seen (state, progress).
"""

from __future__ import annotations

from ansible_collections.dr.asr.plugins.module_utils._errors import VSphereError
from ansible_collections.dr.asr.plugins.module_utils._waiter import Probe
from ansible_collections.dr.asr.plugins.module_utils._vsphere.client import (
    error_from_fault, fault_name, vsphere_errors)


def _moid(obj):
    return getattr(obj, "_moId", None)


def task_summary(task, info):
    """JSON-safe description of a task (what a timeout reports as partial)."""
    state = str(info.state) if info.state is not None else None
    summary = {"task": _moid(task), "name": info.descriptionId or info.name, "state": state,
               "progress": info.progress, "entity": info.entityName or _moid(info.entity)}
    return dict((key, value) for key, value in summary.items() if value is not None)


def task_error(task, info, what):
    """VSphereError from a task that ended in error (its fault as code and message)."""
    fault = info.error
    if fault is None:
        return VSphereError("vSphere task %s for %s failed without a fault." % (_moid(task), what),
                            code="TaskFailed", details=task_summary(task, info))
    error = error_from_fault(fault, what)
    error.details = dict(error.details, **task_summary(task, info))
    error.details["fault"] = fault_name(fault)
    return error


def task_probe(task, what="vSphere task"):
    """One look at the task: done with its result, not done with a summary, or VSphereError."""
    info = task.info
    state = str(info.state)
    if state == "success":
        return Probe(True, value=info.result)
    if state == "error":
        raise task_error(task, info, what)
    summary = task_summary(task, info)
    progress = state if info.progress is None else "%s %s%%" % (state, info.progress)
    return Probe(False, value=summary, progress=progress)


def wait_for_task(task, waiter, what):
    """Wait for `task` with `waiter` (a _waiter.Waiter); return the task result."""
    with vsphere_errors(what):
        return waiter.until(lambda: task_probe(task, what), what=what)
