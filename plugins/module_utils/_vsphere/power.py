# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Power operations on a VM, never sent twice blindly.

    task = power_task(session, vm, "PowerOffVM_Task", "powering off web-01")   # None: it is off already
    shutdown_guest(session, vm, "shutting down the guest of web-01")

The session never sends such a call again by itself after a broken connection (`client.SendOnceSoap`: VSphereError
code AnswerLost). Here, after such a lost answer, the VM is read first - its power state, its guest state and the
queued or running tasks on it (the VM's and the task manager's recent tasks) - and the call is made again only when
nothing shows it ran:

* a power task: a queued or running task of the same kind on the VM is the call's task (it is awaited); the VM in
  the state the call leads to means it ran; else it is called again;
* a guest shutdown: the VM powered off (or suspended), its guest shutting down or no longer running, or a queued or
  running shutdownGuest task on it means the guest was asked; else it is asked again.
"""

from __future__ import annotations

from ansible_collections.dr.asr.plugins.module_utils._errors import VSphereError
from ansible_collections.dr.asr.plugins.module_utils._vsphere.client import ANSWER_LOST, properties, vim, vmodl

#: the power tasks: method -> (the task's descriptionId, the power state it leads to)
POWER_TASKS = {"PowerOnVM_Task": ("VirtualMachine.powerOn", "poweredOn"),
               "PowerOffVM_Task": ("VirtualMachine.powerOff", "poweredOff")}
SHUTDOWN_TASK = "VirtualMachine.shutdownGuest"
#: guest states after a shutdown request reached the guest
GUEST_GOING = ("shuttingDown", "notRunning")
#: how often one call is made again after lost answers (each time only when the VM shows nothing ran)
RESENDS = 2
ACTIVE = ("queued", "running")


def look(session, vm):
    """(power state, guest state, [(task, info)] of the tasks queued or running on `vm`): two property-collector
    reads (the VM and the task manager, then the recent tasks' info)."""
    pc = vmodl.query.PropertyCollector
    found = session.retrieve(
        [pc.ObjectSpec(obj=vm), pc.ObjectSpec(obj=session.content.taskManager)],
        [pc.PropertySpec(type=vim.VirtualMachine, pathSet=["runtime.powerState", "guest.guestState", "recentTask"]),
         pc.PropertySpec(type=vim.TaskManager, pathSet=["recentTask"])],
        action="reading the power state and recent tasks of VM %s" % vm._moId)
    power = guest = None
    tasks = {}
    for content in found:
        values = properties(content)
        if isinstance(content.obj, vim.VirtualMachine):
            power = str(values.get("runtime.powerState") or "") or None
            guest = values.get("guest.guestState")
        for task in values.get("recentTask") or []:
            tasks[task._moId] = task
    if not tasks:
        return power, guest, []
    infos = session.retrieve([pc.ObjectSpec(obj=t) for t in tasks.values()],
                             [pc.PropertySpec(type=vim.Task, pathSet=["info"])],
                             action="reading the recent tasks of VM %s" % vm._moId)
    active = []
    for content in infos:
        info = properties(content).get("info")
        entity = getattr(info, "entity", None)
        if info is not None and entity is not None and entity._moId == vm._moId and str(info.state) in ACTIVE:
            active.append((content.obj, info))
    return power, guest, active


def _call(session, call, what, record, entry, after_lost):
    """Make `call()` (a vSphere call on a VM; errors name `what`); after a lost answer, `after_lost()` says (done,
    value) from what the VM shows: done - return value without calling again; else call again (RESENDS times at
    most). `record(entry)` for every call that reached vCenter (the run's write journal)."""
    entry = entry or what
    for attempt in range(RESENDS + 1):
        try:
            with session.errors(what):
                value = call()
        except VSphereError as err:
            if err.code != ANSWER_LOST:
                raise
            if record is not None:
                record("%s (answer lost)" % entry)
            done, value = after_lost()
            if done:
                return value
            if attempt >= RESENDS:
                raise
            continue
        if record is not None:
            record(entry)
        return value
    return None     # not reached


def power_task(session, vm, method, what, record=None, entry=None):
    """Call `method` (PowerOnVM_Task, PowerOffVM_Task) on `vm` and return its task; None when, after a lost answer,
    the VM is in the state the call leads to already. `record(entry)` for every call that reached vCenter."""
    description, wanted = POWER_TASKS[method]

    def after_lost():
        power, _guest, active = look(session, vm)
        for task, info in active:
            if info.descriptionId == description:
                return True, task           # the call's task: queued or running
        return power == wanted, None

    return _call(session, getattr(vm, method), what, record, entry, after_lost)


def shutdown_guest(session, vm, what, record=None, entry=None):
    """Ask the guest of `vm` to shut down (through VMware Tools). `record(entry)` for every call that reached
    vCenter."""
    def after_lost():
        power, guest, active = look(session, vm)
        asked = power not in (None, "poweredOn") or guest in GUEST_GOING or any(
            info.descriptionId == SHUTDOWN_TASK for _task, info in active)
        return asked, None

    _call(session, vm.ShutdownGuest, what, record, entry, after_lost)
