#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: source_vm_power
short_description: Shut down, power off or power on the on-premises VMware VMs of a DR operation
version_added: 1.0.0
description:
  - Ensures the power state of VMware VMs in vCenter, one VM or a batch in one run (one vSphere session, one
    property-collector read of every VM, one read per poll while guests shut down).
  - V(shutdown_guest) asks each powered-on guest to shut down through VMware Tools (a clean stop before a failover
    to Azure, so that the last changes reach the replica), waits up to O(shutdown_timeout) for the VMs to be
    powered off, then powers off the ones that are still on (or whose VMware Tools do not run) unless
    O(force=false).
  - V(powered_off) powers the VMs off at once (no guest shutdown); V(powered_on) powers them on (after a failback,
    when a VM is not running).
  - Idempotent by power state - a VM already in the wanted state is left alone.
  - Every named VM is looked up before anything changes; a name vCenter does not have (or has twice) fails the run,
    naming it, and nothing is changed.
author:
  - dr.asr maintainers (@dr-asr)
options:
  names:
    description:
      - The VMs by their vCenter names (case-sensitive, exact).
    type: list
    elements: str
    required: true
    aliases: [name]
  datacenter:
    description:
      - Only look in this datacenter (names are unique per datacenter only).
    type: str
  state:
    description:
      - V(shutdown_guest) - the VMs end powered off, stopped cleanly by their guest OS where possible.
      - V(powered_off) - the VMs end powered off, powered off at once.
      - V(powered_on) - the VMs end powered on.
    type: str
    required: true
    choices: [shutdown_guest, powered_off, powered_on]
  shutdown_timeout:
    description:
      - With O(state=shutdown_guest), seconds to wait for the guests to power off after the shutdown request, all
        VMs together. V(0) or more.
    type: int
    default: 300
  force:
    description:
      - With O(state=shutdown_guest), power off a VM whose guest did not shut down within O(shutdown_timeout), or
        that cannot be shut down by its guest (VMware Tools not running, VM suspended).
      - With V(false), such a VM is an error (the other VMs are still shut down).
    type: bool
    default: true
  task_timeout:
    description:
      - Seconds to wait for each vSphere power task (power off, power on). V(0) or more.
    type: int
    default: 300
  poll_interval:
    description:
      - Seconds between looks at the VMs' power state while guests shut down, and at power tasks. V(0) or more.
    type: int
    default: 5
extends_documentation_fragment:
  - dr.asr.vsphere
attributes:
  check_mode:
    support: full
    description: Reads the VMs' power state and VMware Tools status and predicts per VM what would be done; changes
      nothing. Whether a guest would shut down within O(shutdown_timeout) cannot be predicted - the prediction is
      V(shutdown_guest) for a VM whose VMware Tools run.
  diff_mode:
    support: full
    description: Returns each changed VM's power state before and after (predicted in check mode).
  idempotent:
    support: full
    description: A VM already in the wanted power state is left alone.
notes:
  - A guest shutdown needs VMware Tools running in the guest; vCenter answers the request at once and the guest
    shuts down afterwards, which is why the module polls the power state.
  - Before a failover to Azure, a clean shutdown lets the Mobility service replicate the last writes;
    M(dr.asr.failover) with O(dr.asr.failover#module:shutdown_source=true) also asks ASR to shut the VMs down.
seealso:
  - module: dr.asr.source_vm_info
  - module: dr.asr.failover
'''

EXAMPLES = r'''
- name: Stop the shop's VMs cleanly before the failover (power off what does not stop within 5 minutes)
  dr.asr.source_vm_power:
    hostname: vcenter.example.com
    username: dr-svc@vsphere.local
    password: "{{ vault_vcenter_password }}"
    names: [web-01, web-02, db-pg-01]
    state: shutdown_guest
    shutdown_timeout: 300

- name: After the failback, make sure the VMs run
  dr.asr.source_vm_power:
    names: [web-01, web-02, db-pg-01]
    state: powered_on
'''

RETURN = r'''
vms:
  description: One entry per VM, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The VM name.
      type: str
      sample: web-01
    moid:
      description: The VM's managed object id.
      type: str
      sample: vm-42
    power_state_before:
      description: Power state before the run (V(poweredOn), V(poweredOff), V(suspended)).
      type: str
      sample: poweredOn
    power_state:
      description: Power state after the run (predicted in check mode).
      type: str
      sample: poweredOff
    tools_running:
      description: Whether VMware Tools ran in the guest when the run began.
      type: bool
    action:
      description:
        - What was done (would be done, in check mode) - V(none) (already in the wanted state), V(shutdown_guest)
          (the guest shut down), V(power_off), V(power_off_after_timeout) (the guest did not shut down in time),
          V(power_on) or V(failed).
      type: str
      sample: shutdown_guest
    changed:
      description: Whether the VM's power state was changed.
      type: bool
    reason:
      description: Why the action was chosen (for example, VMware Tools not running), null when it is plain.
      type: str
    seconds:
      description: Seconds the guest took to power off after the shutdown request (V(shutdown_guest) only).
      type: int
    error:
      description: Why the VM failed (message, code), null when it did not.
      type: dict
diff:
  description: One before/after per changed VM (its power state).
  returned: always
  type: list
  elements: dict
'''

import time

from ansible_collections.dr.asr.plugins.module_utils._module import DrAsrModule
from ansible_collections.dr.asr.plugins.module_utils._errors import DrAsrError, InputError, VSphereError, WaitTimeout
from ansible_collections.dr.asr.plugins.module_utils._waiter import Probe, Waiter
from ansible_collections.dr.asr.plugins.module_utils._vsphere.client import vim
from ansible_collections.dr.asr.plugins.module_utils._vsphere.finders import list_names, resolve_datacenter, unescape
from ansible_collections.dr.asr.plugins.module_utils._vsphere import power as vm_power
from ansible_collections.dr.asr.plugins.module_utils._vsphere.tasks import wait_for_task

ARGUMENT_SPEC = dict(
    names=dict(type="list", elements="str", required=True, aliases=["name"]),
    datacenter=dict(type="str"),
    state=dict(type="str", required=True, choices=["shutdown_guest", "powered_off", "powered_on"]),
    shutdown_timeout=dict(type="int", default=300),
    force=dict(type="bool", default=True),
    task_timeout=dict(type="int", default=300),
    poll_interval=dict(type="int", default=5),
)
BOUNDS = dict((option, dict(minimum=0, unit="seconds")) for option in ("shutdown_timeout", "task_timeout",
                                                                       "poll_interval"))

PROPS = ["runtime.powerState", "guest.toolsRunningStatus"]
ON = "poweredOn"
OFF = "poweredOff"
SUSPENDED = "suspended"


def read_vms(session, names, datacenter):
    """{name: (ref, power state, tools running)} of the named VMs (one property-collector read); every name checked."""
    dc = resolve_datacenter(session, datacenter)
    found = {}
    for ref, props in list_names(session, vim.VirtualMachine, dc, extra=PROPS):
        name = props.get("name")
        if name is None:
            continue
        found.setdefault(unescape(name), []).append((ref, str(props.get("runtime.powerState") or "") or None,
                                                     props.get("guest.toolsRunningStatus") == "guestToolsRunning"))
    missing = [n for n in names if n not in found]
    twice = [n for n in names if len(found.get(n, [])) > 1]
    if missing:
        where = " in datacenter %s" % datacenter if datacenter else ""
        raise InputError("names", missing, "names of VMs vCenter has%s" % where,
                         hint="VM names are case-sensitive; %d of the %d names were found." % (
                             len(names) - len(missing), len(names)))
    if twice:
        raise InputError("names", twice, "names that identify one VM each",
                         hint="Several VMs have these names (%s); narrow the search with datacenter." % ", ".join(
                             "%s: %s" % (n, ", ".join(r._moId for r, _s, _t in found[n])) for n in twice))
    dup = sorted(set(n for n in names if names.count(n) > 1))
    if dup:
        raise InputError("names", dup, "each VM once")
    return dict((n, found[n][0]) for n in names)


def plan(state, power, tools, force):
    """(action, reason, error) for one VM from its power state and VMware Tools status."""
    if state == "powered_on":
        return ("none", None, None) if power == ON else ("power_on", None, None)
    if power == OFF:
        return "none", None, None
    if state == "powered_off":
        return "power_off", None, None
    if power == ON and tools:
        return "shutdown_guest", None, None
    reason = "the VM is suspended" if power == SUSPENDED else "VMware Tools do not run in the guest"
    if force:
        return "power_off", "Powered off: %s, so its guest cannot shut down." % reason, None
    return "failed", None, DrAsrError("Cannot shut down the guest of this VM: %s." % reason, code="GuestShutdownNotPossible",
                                      recommended_action="Start VMware Tools in the guest, or set force: true to power "
                                                         "the VM off.")


class PowerRun(object):
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.session = None
        self.vms = []

    def read(self):
        self.session = self.module.vsphere()
        names = self.params["names"]
        found = read_vms(self.session, names, self.params["datacenter"])
        for name in names:
            ref, power, tools = found[name]
            action, reason, error = plan(self.params["state"], power, tools, self.params["force"])
            self.vms.append(dict(name=name, ref=ref, moid=ref._moId, power_state_before=power, power_state=power,
                                 tools_running=tools, action=action, changed=False, reason=reason, error=error,
                                 seconds=None))

    def predict(self):
        for vm in self.vms:
            if vm["action"] not in ("none", "failed"):
                vm["changed"] = True
                vm["power_state"] = ON if vm["action"] == "power_on" else OFF

    def task_waiter(self):
        return Waiter(timeout=self.params["task_timeout"], sleep=self.params["poll_interval"])

    def power_task(self, vm, method, state):
        # after a lost answer: the task it started, or None when the VM is in `state` already (never sent blindly)
        task = vm_power.power_task(self.session, vm["ref"], method, "%s %s" % (method, vm["name"]),
                                   record=self.module.journal.record, entry="%s of VM %s" % (method, vm["name"]))
        if task is not None:
            try:
                wait_for_task(task, self.task_waiter(), "%s of VM %s" % (method, vm["name"]))
            except DrAsrError as err:
                vm["error"] = err
                return
        vm["power_state"], vm["changed"] = state, True

    def shutdown_guests(self, todo):
        """Ask every guest to shut down, then poll all of them together (one read per poll)."""
        asked = []
        for vm in todo:
            try:
                # after a lost answer: asked again only when the VM shows the guest was not (never sent blindly)
                vm_power.shutdown_guest(self.session, vm["ref"], "shutting down the guest of %s" % vm["name"],
                                        record=self.module.journal.record, entry="ShutdownGuest of VM %s" % vm["name"])
                asked.append(vm)
            except VSphereError as err:
                if not self.params["force"]:
                    vm["error"], vm["action"] = err, "failed"
                    continue
                vm["action"], vm["reason"] = "power_off", "Powered off: the guest refused to shut down (%s)." % err.message
        started = time.monotonic()
        if asked:
            refs = dict((vm["moid"], vm) for vm in asked)

            def look():
                pending = []
                for ref, props in list_names(self.session, vim.VirtualMachine, None, extra=["runtime.powerState"]):
                    vm = refs.get(ref._moId)
                    if vm is None or vm["power_state"] == OFF:
                        continue
                    if str(props.get("runtime.powerState")) == OFF:
                        vm["power_state"], vm["changed"] = OFF, True
                        vm["seconds"] = int(time.monotonic() - started)
                    else:
                        pending.append(vm["name"])
                return Probe(not pending, value=pending, progress="still on: " + ", ".join(pending[:10]))
            try:
                Waiter(timeout=self.params["shutdown_timeout"], sleep=self.params["poll_interval"]).until(
                    look, "%d guests to shut down" % len(asked))
            except WaitTimeout:
                for vm in asked:
                    if vm["power_state"] == OFF:
                        continue
                    if self.params["force"]:
                        vm["action"] = "power_off_after_timeout"
                        vm["reason"] = "The guest did not shut down within %ss: powered off." % self.params[
                            "shutdown_timeout"]
                    else:
                        vm["action"] = "failed"
                        vm["error"] = DrAsrError("The guest of %s did not shut down within %ss." % (
                            vm["name"], self.params["shutdown_timeout"]), code="GuestShutdownTimeout",
                            recommended_action="Raise shutdown_timeout, or set force: true to power it off.")
        for vm in todo:
            if vm["action"] in ("power_off", "power_off_after_timeout") and vm["error"] is None:
                self.power_task(vm, "PowerOffVM_Task", OFF)

    def execute(self):
        state = self.params["state"]
        todo = [vm for vm in self.vms if vm["action"] not in ("none", "failed") and vm["error"] is None]
        if state == "powered_on":
            for vm in todo:
                self.power_task(vm, "PowerOnVM_Task", ON)
        elif state == "powered_off":
            for vm in todo:
                self.power_task(vm, "PowerOffVM_Task", OFF)
        else:
            self.shutdown_guests([vm for vm in todo if vm["action"] == "shutdown_guest"])
            for vm in todo:
                if vm["action"] == "power_off" and vm["error"] is None and vm["power_state"] != OFF:
                    self.power_task(vm, "PowerOffVM_Task", OFF)

    def report(self):
        out, diff = [], []
        for vm in self.vms:
            entry = dict((k, v) for k, v in vm.items() if k not in ("ref", "error"))
            entry["error"] = vm["error"].to_dict() if vm["error"] is not None else None
            if vm["error"] is not None and vm["action"] != "failed":
                entry["action"] = "failed"
            out.append(entry)
            if vm["changed"]:
                diff.append(dict(before_header=vm["name"], after_header=vm["name"],
                                 before=dict(power_state=vm["power_state_before"]),
                                 after=dict(power_state=vm["power_state"])))
        return dict(changed=any(vm["changed"] for vm in self.vms), vms=out, diff=diff)


def main():
    module = DrAsrModule(ARGUMENT_SPEC, uses=("vsphere",), supports_check_mode=True, bounds=BOUNDS)
    with module.guard():
        power(module)


def power(module):
    run = PowerRun(module)
    try:
        run.read()
        if module.check_mode:
            run.predict()
        else:
            run.execute()
    except DrAsrError as err:
        module.fail_from(err)
        return
    result = run.report()
    failed = [vm for vm in result["vms"] if vm["error"]]
    if failed:
        module.fail_json(msg="%d of %d VMs failed: %s" % (len(failed), len(result["vms"]), "; ".join(
            "%s: %s" % (vm["name"], vm["error"]["message"]) for vm in failed)), **result)
        return
    module.exit_json(**result)


if __name__ == "__main__":
    main()
