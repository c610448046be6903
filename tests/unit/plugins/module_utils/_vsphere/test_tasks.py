# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""vSphere tasks through the one waiter: success, task error, timeout with the partial result."""

from __future__ import annotations

import pytest
from pyVmomi import vim

from ansible_collections.dr.asr.plugins.module_utils._errors import VSphereError, WaitTimeout
from ansible_collections.dr.asr.plugins.module_utils._waiter import Waiter
from ansible_collections.dr.asr.plugins.module_utils._vsphere import tasks
from ansible_collections.dr.asr.tests.unit.plugins.module_utils._vsphere.fake_vcenter import FakeVCenter
from ansible_collections.dr.asr.tests.unit.plugins.module_utils.fake_clock import FakeClock


def waiter(timeout=60, sleep=5):
    clock = FakeClock()
    return Waiter(timeout=timeout, sleep=sleep, clock=clock.clock, sleeper=clock.sleep), clock


def info(state, progress=None, result=None, error=None):
    return vim.TaskInfo(key="task-1", descriptionId="VirtualMachine.powerOn", entityName="web-01",
                        state=getattr(vim.TaskInfo.State, state), progress=progress, result=result, error=error)


@pytest.fixture
def fake():
    return FakeVCenter()


def test_waits_until_success_and_returns_the_result(fake):
    vm = fake.add(vim.VirtualMachine, "vm-7", name="web-01")
    task = fake.task([info("queued"), info("running", 40), info("success", result=vm)])
    w, clock = waiter()
    assert tasks.wait_for_task(task, w, "powering on web-01") == vm
    assert clock.sleeps == [1.25, 2.5]     # wait_sleep 5, the first looks sooner (_waiter.RAMP)
    assert fake.calls["Fetch"] == 3


def test_task_error_carries_the_fault(fake):
    fault = vim.fault.InsufficientResourcesFault(msg="Insufficient resources to satisfy configured failover level.")
    task = fake.task([info("running", 10), info("error", error=fault)])
    w, _clock = waiter()
    with pytest.raises(VSphereError) as raised:
        tasks.wait_for_task(task, w, "powering on web-01")
    error = raised.value
    assert error.code == "InsufficientResourcesFault"
    assert error.message == ("vSphere error while powering on web-01: Insufficient resources to satisfy configured "
                             "failover level.")
    assert error.details["task"] == task._moId and error.details["state"] == "error"


def test_timeout_reports_the_task_as_last_seen(fake):
    task = fake.task([info("running", 40)])
    w, clock = waiter(timeout=12, sleep=5)
    with pytest.raises(WaitTimeout) as raised:
        tasks.wait_for_task(task, w, "cloning web-01")
    timeout = raised.value
    assert timeout.partial == {"task": task._moId, "name": "VirtualMachine.powerOn", "state": "running",
                               "progress": 40, "entity": "web-01"}
    assert "running 40%" in timeout.message
    assert clock.sleeps == [1.25, 2.5, 5, 3.25]     # never past the 12 s deadline


def test_probe_of_a_running_task(fake):
    task = fake.task([info("queued")])
    probe = tasks.task_probe(task)
    assert not probe.done and probe.progress == "queued" and probe.value["state"] == "queued"


def test_transport_error_while_polling_is_translated(fake):
    task = fake.task([info("running")])
    fake.method_errors["Fetch"] = ConnectionResetError(104, "Connection reset by peer")
    w, _clock = waiter()
    with pytest.raises(VSphereError) as raised:
        tasks.wait_for_task(task, w, "powering on web-01")
    assert raised.value.code == "ConnectionFailed"
