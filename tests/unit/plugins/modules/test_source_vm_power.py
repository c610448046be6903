# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""dr.asr.source_vm_power in-process: arguments -> exit_json/fail_json, vCenter faked at the SOAP stub."""

from __future__ import annotations

from unittest import mock

import pytest
from pyVmomi import vim

from ansible_collections.dr.asr.plugins.module_utils._vsphere import client
from ansible_collections.dr.asr.plugins.modules import source_vm_power
from ansible_collections.dr.asr.tests.unit.plugins.module_utils._vsphere.fake_vcenter import (
    SMART_CONNECT, small_inventory)
from ansible_collections.dr.asr.tests.unit.plugins.modules.utils import (
    fail_module, patch_exit_json, run_module, set_module_args)

ON = vim.VirtualMachine.PowerState.poweredOn
OFF = vim.VirtualMachine.PowerState.poweredOff


class Power(object):
    """Power methods of the fake vCenter: tasks that succeed at once (`running_looks`: that run for so many looks at
    their info first); guests that stop after `polls` reads; as vcsim, a guest of a powered-off VM refuses to shut
    down (InvalidPowerState)."""

    def __init__(self, fake, guest_stops_after=0, refuse_shutdown=False, running_looks=0):
        self.fake = fake
        self.guest_stops_after = guest_stops_after
        self.refuse_shutdown = refuse_shutdown
        self.running_looks = running_looks
        self.stopping = {}
        fake._m_PowerOffVM_Task = self.power_off
        fake._m_PowerOnVM_Task = self.power_on
        fake._m_ShutdownGuest = self.shutdown_guest
        original = fake._m_RetrievePropertiesEx

        def retrieve(mo, specSet, options):  # noqa: N803
            for moid in list(self.stopping):
                self.stopping[moid] -= 1
                if self.stopping[moid] < 0:
                    fake.objects[moid][1]["runtime.powerState"] = OFF
                    del self.stopping[moid]
            return original(mo, specSet, options)
        fake._m_RetrievePropertiesEx = retrieve

    def _task(self, ref, state, description):
        self.fake.props(ref)["runtime.powerState"] = state
        info = dict(key="t", descriptionId=description, entity=ref, entityName=self.fake.props(ref)["name"])
        return self.fake.task([vim.TaskInfo(state=vim.TaskInfo.State.running, **info)] * self.running_looks +
                              [vim.TaskInfo(state=vim.TaskInfo.State.success, **info)])

    def power_off(self, mo):
        return self._task(mo, OFF, "VirtualMachine.powerOff")

    def power_on(self, mo, host=None):
        return self._task(mo, ON, "VirtualMachine.powerOn")

    def shutdown_guest(self, mo):
        if self.refuse_shutdown:
            raise vim.fault.ToolsUnavailable(msg="VMware Tools is not running.")
        if self.fake.props(mo)["runtime.powerState"] != ON:
            raise vim.fault.InvalidPowerState(msg="The attempted operation cannot be performed in the current state "
                                                  "(Powered off).", requestedState=ON)
        self.stopping[mo._moId] = self.guest_stops_after
        return None


@pytest.fixture
def fake(monkeypatch):
    patch_exit_json(monkeypatch)
    fake, refs = small_inventory()
    fake.refs = refs
    with mock.patch(SMART_CONNECT, fake.smart_connect):
        yield fake


@pytest.fixture
def session(monkeypatch):
    """The fake vCenter under the collection's own session-oriented stub (what it sends again reaches the fake)."""
    patch_exit_json(monkeypatch)
    monkeypatch.setattr(client, "RELOGIN_DELAY", 0)
    fake, refs = small_inventory(session=True)
    fake.refs = refs
    with mock.patch(SMART_CONNECT, fake.smart_connect):
        yield fake


def args(fake, **extra):
    base = dict(hostname="vcenter.lab.local", username=fake.user, password=fake.password, poll_interval=0)
    base.update(extra)
    return base


def run(fake, check_mode=False, **extra):
    with set_module_args(args(fake, **extra), check_mode=check_mode):
        return run_module(source_vm_power.main)


def fail(fake, check_mode=False, **extra):
    with set_module_args(args(fake, **extra), check_mode=check_mode):
        return fail_module(source_vm_power.main)


def power(fake, name):
    return str(fake.props(fake.refs[name])["runtime.powerState"])


def test_shutdown_guest_stops_the_guests_then_reruns_unchanged(fake):
    Power(fake, guest_stops_after=1)
    result = run(fake, names=["web-01", "web-02"], state="shutdown_guest")
    assert result["changed"] is True
    assert [vm["action"] for vm in result["vms"]] == ["shutdown_guest", "shutdown_guest"]
    assert [vm["power_state"] for vm in result["vms"]] == ["poweredOff", "poweredOff"]
    assert result["vms"][0]["power_state_before"] == "poweredOn"
    assert fake.calls["ShutdownGuest"] == 2 and fake.calls["PowerOffVM_Task"] == 0
    assert result["diff"][0] == dict(before_header="web-01", after_header="web-01", before=dict(power_state="poweredOn"),
                                     after=dict(power_state="poweredOff"))
    assert power(fake, "web-01") == "poweredOff" and fake.calls["Logout"] == 1

    again = run(fake, names=["web-01", "web-02"], state="shutdown_guest")
    assert again["changed"] is False and again["diff"] == []
    assert [vm["action"] for vm in again["vms"]] == ["none", "none"]
    assert fake.calls["ShutdownGuest"] == 2


def test_a_guest_that_does_not_stop_in_time_is_powered_off(fake):
    Power(fake, guest_stops_after=10 ** 6)
    result = run(fake, names=["web-01"], state="shutdown_guest", shutdown_timeout=0)
    vm = result["vms"][0]
    assert vm["action"] == "power_off_after_timeout" and vm["changed"] is True
    assert "did not shut down within 0s" in vm["reason"]
    assert fake.calls["PowerOffVM_Task"] == 1 and power(fake, "web-01") == "poweredOff"


def test_without_force_a_slow_guest_is_an_error(fake):
    Power(fake, guest_stops_after=10 ** 6)
    failure = fail(fake, names=["web-01"], state="shutdown_guest", shutdown_timeout=0, force=False)
    assert "web-01: The guest of web-01 did not shut down within 0s" in failure["msg"]
    assert failure["vms"][0]["action"] == "failed"
    assert fake.calls["PowerOffVM_Task"] == 0


def test_no_tools_means_power_off_or_an_error(fake):
    Power(fake)
    fake.props(fake.refs["web-02"])["guest.toolsRunningStatus"] = "guestToolsNotRunning"
    result = run(fake, names=["web-02"], state="shutdown_guest")
    assert result["vms"][0]["action"] == "power_off"
    assert "VMware Tools do not run" in result["vms"][0]["reason"]
    assert fake.calls["ShutdownGuest"] == 0 and fake.calls["PowerOffVM_Task"] == 1

    fake.props(fake.refs["web-02"])["runtime.powerState"] = ON
    failure = fail(fake, names=["web-02"], state="shutdown_guest", force=False)
    assert "VMware Tools do not run" in failure["msg"] and "force: true" in failure["vms"][0]["error"]["recommended_action"]


def test_a_refused_guest_shutdown_is_powered_off(fake):
    Power(fake, refuse_shutdown=True)
    result = run(fake, names=["web-01"], state="shutdown_guest")
    assert result["vms"][0]["action"] == "power_off" and "refused" in result["vms"][0]["reason"]
    assert power(fake, "web-01") == "poweredOff"


def test_check_mode_predicts_and_changes_nothing(fake):
    Power(fake)
    result = run(fake, check_mode=True, names=["web-01", "test-vm-01"], state="shutdown_guest")
    assert [vm["action"] for vm in result["vms"]] == ["shutdown_guest", "none"]
    assert result["changed"] is True and result["vms"][0]["power_state"] == "poweredOff"
    assert result["diff"][0]["after"] == dict(power_state="poweredOff")
    assert fake.calls["ShutdownGuest"] == 0 and power(fake, "web-01") == "poweredOn"

    on = run(fake, check_mode=True, names=["test-vm-01"], state="powered_on")
    assert on["vms"][0]["action"] == "power_on" and fake.calls["PowerOnVM_Task"] == 0


def test_powered_on_and_powered_off(fake):
    Power(fake)
    on = run(fake, names=["test-vm-01", "web-01"], state="powered_on")
    assert [vm["action"] for vm in on["vms"]] == ["power_on", "none"]
    assert power(fake, "test-vm-01") == "poweredOn" and fake.calls["PowerOnVM_Task"] == 1
    off = run(fake, names=["test-vm-01"], state="powered_off")
    assert off["vms"][0]["action"] == "power_off" and fake.calls["ShutdownGuest"] == 0
    assert run(fake, names=["test-vm-01"], state="powered_off")["changed"] is False


def test_unknown_names_fail_before_anything_changes(fake):
    Power(fake)
    failure = fail(fake, names=["web-01", "web-99"], state="powered_off")
    assert "web-99" in failure["msg"] and "1 of the 2 names were found" in failure["msg"]
    assert failure["error"]["details"]["parameter"] == "names"
    assert fake.calls["PowerOffVM_Task"] == 0 and power(fake, "web-01") == "poweredOn"


def test_a_failed_task_is_reported_per_vm(fake):
    Power(fake)
    fake._m_PowerOffVM_Task = lambda mo: fake.task([vim.TaskInfo(
        key="t", descriptionId="power", state=vim.TaskInfo.State.error,
        error=vim.fault.InvalidPowerState(msg="The attempted operation cannot be performed in the current state."))])
    failure = fail(fake, names=["web-01"], state="powered_off")
    assert failure["vms"][0]["action"] == "failed" and failure["vms"][0]["changed"] is False
    assert "cannot be performed in the current state" in failure["msg"]


def test_negative_timeouts_are_refused(fake):
    failure = fail(fake, names=["web-01"], state="shutdown_guest", shutdown_timeout=-1)
    assert "shutdown_timeout" in failure["msg"]


# -- no blind re-sends: after a lost answer the VM is read first ---------------------------------------------------

def test_a_lost_answer_to_a_guest_shutdown_is_not_sent_again(session):
    """pyVmomi's session stub sent ShutdownGuest again after the connection broke: the guest, off already, refused
    (InvalidPowerState) and the VM was powered off by force, or the run failed."""
    Power(session)
    session.lose_answers["ShutdownGuest"] = 1
    result = run(session, names=["web-01"], state="shutdown_guest")
    vm = result["vms"][0]
    assert vm["action"] == "shutdown_guest" and vm["error"] is None and vm["changed"], vm
    assert session.calls["ShutdownGuest"] == 1 and session.calls["PowerOffVM_Task"] == 0
    assert power(session, "web-01") == "poweredOff"


def test_a_guest_shutdown_that_never_reached_the_vm_is_asked_again(session):
    Power(session, guest_stops_after=1)
    session.drop_calls["ShutdownGuest"] = 1
    result = run(session, names=["web-01"], state="shutdown_guest")
    assert result["vms"][0]["error"] is None and result["vms"][0]["action"] == "shutdown_guest"
    assert session.calls["ShutdownGuest"] == 2 and session.calls["PowerOffVM_Task"] == 0


def test_a_lost_answer_to_a_power_task_waits_for_the_task_it_started(session):
    Power(session, running_looks=2)
    session.lose_answers["PowerOnVM_Task"] = 1
    result = run(session, names=["test-vm-01"], state="powered_on")
    vm = result["vms"][0]
    assert vm["error"] is None and vm["changed"] and vm["power_state"] == "poweredOn", vm
    assert session.calls["PowerOnVM_Task"] == 1


def test_a_lost_answer_to_a_power_task_that_ended_is_not_sent_again(session):
    Power(session)
    session.lose_answers["PowerOffVM_Task"] = 1
    result = run(session, names=["web-01"], state="powered_off")
    vm = result["vms"][0]
    assert vm["error"] is None and vm["changed"] and vm["power_state"] == "poweredOff", vm
    assert session.calls["PowerOffVM_Task"] == 1


def test_a_power_task_that_never_reached_the_vm_is_called_again(session):
    Power(session)
    session.drop_calls["PowerOnVM_Task"] = 1
    result = run(session, names=["test-vm-01"], state="powered_on")
    assert result["vms"][0]["error"] is None and power(session, "test-vm-01") == "poweredOn"
    assert session.calls["PowerOnVM_Task"] == 2


def test_reads_are_still_sent_again_after_a_broken_connection(session):
    Power(session)
    session.drop_calls["RetrievePropertiesEx"] = 1
    result = run(session, names=["web-01"], state="powered_off")
    assert result["vms"][0]["error"] is None and session.calls["PowerOffVM_Task"] == 1
