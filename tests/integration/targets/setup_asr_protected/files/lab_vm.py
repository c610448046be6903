"""Create (or find again) / delete a VM in the lab vCenter, for a target that changes its VM's power state
(failover, failback), so that no other target's VM is touched. Runs on the controller with the lab's
environment (dr_asr_lab.environment: DRLAB_STATE_DIR, ports).

    lab_vm.py create NAME [--disk-gb 20] [--power-on]   -> JSON {"name", "instance_uuid", "bios_uuid", "created"}
    lab_vm.py delete NAME                                -> JSON {"name", "deleted"}
"""
import argparse
import json
import ssl
import sys

from pyVim.connect import Disconnect, SmartConnect
from pyVim.task import WaitForTask
from pyVmomi import vim

from drlab.settings import get_settings


def connect(settings):
    context = ssl.create_default_context(cafile=settings.ca_pem)
    return SmartConnect(host=settings.host, port=settings.vcenter_port, user=settings.vcenter_user,
                        pwd=settings.vcenter_password, sslContext=context)


def find(content, name):
    view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
    try:
        return next((v for v in view.view if v.name == name), None)
    finally:
        view.Destroy()


def create(si, name, disk_gb, power_on):
    content = si.RetrieveContent()
    vm = find(content, name)
    created = vm is None
    if vm is None:
        dc = next(e for e in content.rootFolder.childEntity if isinstance(e, vim.Datacenter))
        view = content.viewManager.CreateContainerView(dc.hostFolder, [vim.ClusterComputeResource], True)
        cluster = view.view[0]
        view.Destroy()
        net = next(n for n in dc.network if n.name == "Prod-App")
        controller = vim.vm.device.VirtualDeviceSpec(operation="add", device=vim.vm.device.ParaVirtualSCSIController(
            key=1000, busNumber=0, sharedBus="noSharing"))
        disk = vim.vm.device.VirtualDeviceSpec(operation="add", fileOperation="create", device=vim.vm.device.VirtualDisk(
            key=2000, controllerKey=1000, unitNumber=0, capacityInKB=disk_gb * 1024 * 1024,
            backing=vim.vm.device.VirtualDisk.FlatVer2BackingInfo(diskMode="persistent", thinProvisioned=True,
                                                                  fileName="[ds-prod-01]")))
        nic = vim.vm.device.VirtualDeviceSpec(operation="add", device=vim.vm.device.VirtualVmxnet3(
            key=4000, backing=vim.vm.device.VirtualEthernetCard.NetworkBackingInfo(network=net, deviceName="Prod-App"),
            connectable=vim.vm.device.VirtualDevice.ConnectInfo(startConnected=True, connected=True),
            addressType="generated"))
        spec = vim.vm.ConfigSpec(name=name, memoryMB=2048, numCPUs=2, guestId="ubuntu64Guest",
                                 files=vim.vm.FileInfo(vmPathName="[ds-prod-01]"), deviceChange=[controller, disk, nic])
        WaitForTask(dc.vmFolder.CreateVM_Task(config=spec, pool=cluster.resourcePool))
        vm = find(content, name)
    if power_on and str(vm.runtime.powerState) != "poweredOn":
        WaitForTask(vm.PowerOnVM_Task())
    return {"name": name, "instance_uuid": vm.config.instanceUuid, "bios_uuid": vm.config.uuid, "created": created,
            "power_state": str(vm.runtime.powerState)}


def delete(si, name):
    vm = find(si.RetrieveContent(), name)
    if vm is None:
        return {"name": name, "deleted": False}
    if str(vm.runtime.powerState) == "poweredOn":
        WaitForTask(vm.PowerOffVM_Task())
    WaitForTask(vm.Destroy_Task())
    return {"name": name, "deleted": True}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("action", choices=["create", "delete", "power"])
    parser.add_argument("name")
    parser.add_argument("--disk-gb", type=int, default=20)
    parser.add_argument("--power-on", action="store_true")
    args = parser.parse_args()
    si = connect(get_settings())
    try:
        if args.action == "create":
            out = create(si, args.name, args.disk_gb, args.power_on)
        elif args.action == "power":
            vm = find(si.RetrieveContent(), args.name)
            out = {"name": args.name, "power_state": str(vm.runtime.powerState) if vm else None}
        else:
            out = delete(si, args.name)
    finally:
        Disconnect(si)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
