"""Add a data disk to / remove the last data disk from a VM of the lab vCenter (what an administrator does in vSphere),
for the day2_items target. Runs on the controller with the lab's environment (dr_asr_lab.environment).

    lab_disk.py add NAME [--gb 4]   -> JSON {"name", "disks": [VMware disk uuid, ...], "changed"}
    lab_disk.py remove NAME         -> JSON {"name", "disks": [...], "changed"}
"""
import argparse
import json
import ssl

from pyVim.connect import Disconnect, SmartConnect
from pyVim.task import WaitForTask
from pyVmomi import vim

from drlab.settings import get_settings


def find(content, name):
    view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
    try:
        return next(v for v in view.view if v.name == name)
    finally:
        view.Destroy()


def disks(vm):
    return [d for d in vm.config.hardware.device if isinstance(d, vim.vm.device.VirtualDisk)]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("action", choices=["add", "remove"])
    parser.add_argument("name")
    parser.add_argument("--gb", type=int, default=4)
    args = parser.parse_args()
    settings = get_settings()
    si = SmartConnect(host=settings.host, port=settings.vcenter_port, user=settings.vcenter_user,
                      pwd=settings.vcenter_password, sslContext=ssl.create_default_context(cafile=settings.ca_pem))
    try:
        vm = find(si.RetrieveContent(), args.name)
        have = disks(vm)
        changed = False
        if args.action == "add":
            unit = max(d.unitNumber for d in have) + 1
            change = vim.vm.device.VirtualDeviceSpec(
                operation="add", fileOperation="create", device=vim.vm.device.VirtualDisk(
                    key=-1, controllerKey=have[0].controllerKey, unitNumber=unit, capacityInKB=args.gb << 20,
                    backing=vim.vm.device.VirtualDisk.FlatVer2BackingInfo(diskMode="persistent", thinProvisioned=True,
                                                                          fileName="[ds-prod-01]")))
            changed = True
        elif len(have) > 1:
            change = vim.vm.device.VirtualDeviceSpec(operation="remove", fileOperation="destroy", device=have[-1])
            changed = True
        if changed:
            WaitForTask(vm.ReconfigVM_Task(spec=vim.vm.ConfigSpec(deviceChange=[change])))
        print(json.dumps({"name": args.name, "changed": changed,
                          "disks": [d.backing.uuid for d in disks(find(si.RetrieveContent(), args.name))]}))
    finally:
        Disconnect(si)


if __name__ == "__main__":
    main()
