# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A vCenter at the network edge: a pyvmomi SOAP stub answering from an in-memory inventory.

Only the stub (what would send SOAP) is fake. The code under test builds real pyVmomi requests
(pyVmomi type-checks every argument), and gets real pyVmomi objects back: managed object
references bound to this stub, ObjectContent/DynamicProperty, device and fault objects.

    fake = FakeVCenter()
    dc = fake.datacenter("DC1")
    ...
    with mock.patch(SMART_CONNECT, fake.smart_connect):
        session = VSphereSession(fake.params())

`fake.calls` counts every SOAP method by WSDL name (RetrievePropertiesEx, ...).

With `FakeVCenter(session=True)` the objects are bound to the collection's own session-oriented stub
(`_vsphere.client.session_stub`) over the fake SOAP stub, as a real session's are: what that stub sends again after a
broken connection is what reaches the fake again. `fake.lose_answers[method] = n`: the next n calls run, then the
connection breaks (their answer is lost); `fake.drop_calls[method] = n`: the connection breaks before they run.
"""

from __future__ import annotations

import collections
import http.client
import itertools

from pyVmomi import vim, vmodl

from ansible_collections.dr.asr.plugins.module_utils._vsphere.client import session_stub

SMART_CONNECT = "ansible_collections.dr.asr.plugins.module_utils._vsphere.client.connect"

PC = vmodl.query.PropertyCollector
dev = vim.vm.device

USER = "administrator@vsphere.local"
PASSWORD = "lab-Passw0rd!"

_CONTROLLERS = {
    # kind -> (class, first key)
    "pvscsi": (dev.ParaVirtualSCSIController, 1000),
    "lsilogic": (dev.VirtualLsiLogicController, 1000),
    "lsilogicsas": (dev.VirtualLsiLogicSASController, 1000),
    "sata": (dev.VirtualAHCIController, 15000),
    "nvme": (dev.VirtualNVMEController, 31000),
    "ide": (dev.VirtualIDEController, 200),
}
_NICS = {"vmxnet3": dev.VirtualVmxnet3, "e1000": dev.VirtualE1000, "e1000e": dev.VirtualE1000e}


class FakeStub(object):
    """Stands in for pyVmomi's SoapStubAdapter."""

    version = "vim.version.v8_0_3_0"

    def __init__(self, vcenter):
        self.vcenter = vcenter

    def InvokeMethod(self, mo, info, args, outerStub=None):  # noqa: N802,N803  (pyVmomi's names)
        if outerStub is None or outerStub is self:
            return self.vcenter.invoke(mo, info.wsdlName, args)
        try:    # under a session-oriented stub: (HTTP status, result or fault), as SoapStubAdapter answers it
            return 200, self.vcenter.invoke(mo, info.wsdlName, args)
        except vmodl.MethodFault as fault:
            return 500, fault

    def InvokeAccessor(self, mo, info):  # noqa: N802
        return self.vcenter.invoke(mo, "Fetch", (info.name,))

    def DropConnections(self):  # noqa: N802
        self.vcenter.calls["DropConnections"] += 1

    def SupportServerGUIDs(self):  # noqa: N802
        return False


class FakeVCenter(object):
    def __init__(self, user=USER, password=PASSWORD, session=False):
        self.user, self.password = user, password
        self.soap = FakeStub(self)
        # objects bound to the session-oriented stub of a real session (its login: counted only), or to the SOAP stub
        self.stub = session_stub(self.soap, lambda soap: self._login()) if session else self.soap
        self.on_login = None                          # the collection's login hook (connect's on_login)
        self.expire_session = collections.Counter()   # method -> calls answered NotAuthenticated (session lost)
        self.flaky_session = set()                    # methods whose every other call loses the session
        self.lose_answers = collections.Counter()     # method -> calls that run, then lose their answer
        self.drop_calls = collections.Counter()       # method -> calls whose connection breaks before they run
        self.calls = collections.Counter()
        self.objects = collections.OrderedDict()  # moid -> (ref, props)
        self.views = {}
        self.pages = {}
        self.connect_error = None     # raised by smart_connect (TLS failure, refused, ...)
        self.connect_kwargs = None
        self.method_errors = {}       # wsdl method name -> exception to raise
        self._ids = itertools.count(1)
        self.root = self.add(vim.Folder, "group-d1", name="Datacenters", parent=None)
        self.task_manager = self.add(vim.TaskManager, "TaskManager", name="TaskManager", parent=None, recentTask=[])
        self.content = vim.ServiceInstanceContent(
            rootFolder=self.root, taskManager=self.task_manager,
            propertyCollector=PC("propertyCollector", self.stub),
            viewManager=vim.view.ViewManager("ViewManager", self.stub),
            searchIndex=vim.SearchIndex("SearchIndex", self.stub),
            sessionManager=vim.SessionManager("SessionManager", self.stub),
            about=vim.AboutInfo(fullName="VMware vCenter Server 8.0.2 (fake)", apiVersion="8.0.2.0",
                                apiType="VirtualCenter"))

    # -- connection ---------------------------------------------------------------------------
    def params(self, **overrides):
        params = dict(hostname="vcenter.lab.local", username=self.user, password=self.password, port=443,
                      validate_certs=True, ca_path=None)
        params.update(overrides)
        return params

    def _login(self):
        """A new session: the views of the old one are gone (vCenter answers them with nothing)."""
        self.calls["Login"] += 1
        self.views.clear()
        if self.on_login is not None:
            self.on_login()

    def smart_connect(self, **kwargs):
        self.calls["SmartConnect"] += 1
        self.on_login = kwargs.get("on_login")
        self.connect_kwargs = kwargs
        if self.connect_error is not None:
            raise self.connect_error
        if (kwargs.get("user"), kwargs.get("pwd")) != (self.user, self.password):
            raise vim.fault.InvalidLogin(msg="Cannot complete login due to an incorrect user name or password.")
        return vim.ServiceInstance("ServiceInstance", self.stub)

    # -- inventory ----------------------------------------------------------------------------
    def add(self, cls, moid=None, **props):
        moid = moid or "%s-%d" % (cls._wsdlName.lower(), next(self._ids))
        ref = cls(moid, self.stub)
        self.objects[moid] = (ref, props)
        return ref

    def props(self, ref):
        return self.objects[ref._moId][1]

    def datacenter(self, name, parent=None):
        dc = self.add(vim.Datacenter, name=name, parent=parent or self.root)
        props = self.props(dc)
        for kind in ("vm", "host", "datastore", "network"):
            props[kind + "Folder"] = self.add(vim.Folder, name=kind, parent=dc)
        return dc

    def folder(self, parent, name):
        return self.add(vim.Folder, name=name, parent=parent)

    def vm_folder(self, dc, path):
        """Create (or reuse) the VM folder at `path` below dc's VM folder."""
        parent = self.props(dc)["vmFolder"]
        for part in [p for p in path.split("/") if p]:
            existing = [ref for ref, props in self.objects.values()
                        if isinstance(ref, vim.Folder) and props.get("parent") == parent and props["name"] == part]
            parent = existing[0] if existing else self.folder(parent, part)
        return parent

    def cluster(self, dc, name):
        cl = self.add(vim.ClusterComputeResource, name=name, parent=self.props(dc)["hostFolder"])
        self.props(cl)["resourcePool"] = self.add(vim.ResourcePool, name="Resources", parent=cl)
        return cl

    def host(self, parent, name, version="8.0.2"):
        """A host in a cluster, or standalone (parent: a datacenter) under its own ComputeResource."""
        if isinstance(parent, vim.Datacenter):
            parent = self.add(vim.ComputeResource, name=name, parent=self.props(parent)["hostFolder"])
            self.props(parent)["resourcePool"] = self.add(vim.ResourcePool, name="Resources", parent=parent)
        return self.add(vim.HostSystem, name=name, parent=parent, **{"summary.config.product.version": version})

    def datastore(self, dc, name):
        return self.add(vim.Datastore, name=name, parent=self.props(dc)["datastoreFolder"])

    def network(self, dc, name):
        return self.add(vim.Network, name=name, parent=self.props(dc)["networkFolder"])

    def dvportgroup(self, dc, name, key=None):
        pg = self.add(vim.dvs.DistributedVirtualPortgroup, name=name, parent=self.props(dc)["networkFolder"])
        self.props(pg)["key"] = key or pg._moId
        return pg

    def vm(self, name, folder, host, guest_id="rhel8_64Guest", firmware="bios", secure_boot=False,
           disks=({"size_gb": 40},), nics=(), power="poweredOn", template=False, boot_disk=None,
           tools="guestToolsRunning", cpus=2, memory_mb=4096, datastore=None, uuid=None, instance_uuid=None,
           ip=None, hostname=None, extra_devices=()):
        """A VM with real pyVmomi devices.

        disks: dicts with size_gb, controller (pvscsi/lsilogic/lsilogicsas/sata/nvme/ide), bus, unit,
        mode, sharing, thin, datastore, rdm (physicalMode/virtualMode).
        nics: dicts with network (a Network/DVPG ref), adapter, mac, ips, connected.
        boot_disk: index into disks for bootOptions.bootOrder.
        """
        index = len(self.objects)
        devices, disk_devices = self._disks(name, disks, datastore)
        nic_devices, guest_net = self._nics(index, nics)
        boot_order = []
        if boot_disk is not None:
            boot_order = [vim.vm.BootOptions.BootableCdromDevice(),
                          vim.vm.BootOptions.BootableDiskDevice(deviceKey=disk_devices[boot_disk].key)]
        compute = self.props(host)["parent"]
        ref = self.add(vim.VirtualMachine, name=name, parent=folder, **{
            "config.instanceUuid": instance_uuid or "5010%04x-0000-4000-8000-%012x" % (index, index),
            "config.uuid": uuid or "4210%04x-0000-4000-8000-%012x" % (index, index),
            "config.guestId": guest_id,
            "config.guestFullName": "full name of %s" % guest_id,
            "config.firmware": firmware,
            "config.bootOptions": vim.vm.BootOptions(efiSecureBootEnabled=secure_boot, bootOrder=boot_order),
            "config.template": template,
            "config.hardware.numCPU": cpus,
            "config.hardware.memoryMB": memory_mb,
            "config.hardware.device": devices + nic_devices + list(extra_devices),
            "runtime.powerState": getattr(vim.VirtualMachine.PowerState, power),
            "runtime.host": host,
            "guest.toolsRunningStatus": tools,
            "guest.toolsVersionStatus2": "guestToolsCurrent",
            "guest.ipAddress": ip,
            "guest.hostName": hostname,
            "guest.net": guest_net,
            "resourcePool": self.props(compute).get("resourcePool"),
            "network": [n["network"] for n in nics],
            "summary.config.vmPathName": "[ds] %s/%s.vmx" % (name, name),
        })
        return ref

    def _disks(self, vm_name, disks, default_ds):
        controllers, devices, disk_devices = {}, [], []
        for i, spec in enumerate(disks):
            kind, bus = spec.get("controller", "pvscsi"), spec.get("bus", 0)
            if (kind, bus) not in controllers:
                cls, first = _CONTROLLERS[kind]
                ctrl = cls(key=first + bus, busNumber=bus, deviceInfo=vim.Description(label="%s %d" % (kind, bus),
                                                                                      summary=kind))
                controllers[(kind, bus)] = ctrl
                devices.append(ctrl)
            ctrl = controllers[(kind, bus)]
            ds = spec.get("datastore", default_ds)
            ds_name = self.props(ds)["name"] if ds is not None else "unknown"
            file_name = "[%s] %s/%s_%d.vmdk" % (ds_name, vm_name, vm_name, i)
            if spec.get("rdm"):
                backing = dev.VirtualDisk.RawDiskMappingVer1BackingInfo(
                    fileName=file_name, datastore=ds, compatibilityMode=spec["rdm"], diskMode="persistent",
                    uuid="6000c29a-%04d" % i, lunUuid="0200000000", deviceName="/vmfs/devices/disks/naa.1")
            else:
                backing = dev.VirtualDisk.FlatVer2BackingInfo(
                    fileName=file_name, datastore=ds, diskMode=spec.get("mode", "persistent"),
                    thinProvisioned=spec.get("thin", True), sharing=spec.get("sharing", "sharingNone"),
                    uuid="6000c29b-%04d" % i)
            disk = dev.VirtualDisk(key=2000 + i, controllerKey=ctrl.key, unitNumber=spec.get("unit", i),
                                   capacityInKB=int(spec["size_gb"] * 1024 * 1024),
                                   deviceInfo=vim.Description(label="Hard disk %d" % (i + 1), summary=""),
                                   backing=backing)
            devices.append(disk)
            disk_devices.append(disk)
        return devices, disk_devices

    def _nics(self, index, nics):
        devices, guest_net = [], []
        for i, spec in enumerate(nics):
            network = spec["network"]
            if isinstance(network, vim.dvs.DistributedVirtualPortgroup):
                backing = dev.VirtualEthernetCard.DistributedVirtualPortBackingInfo(
                    port=vim.dvs.PortConnection(portgroupKey=self.props(network)["key"], switchUuid="50 2a"))
            else:
                backing = dev.VirtualEthernetCard.NetworkBackingInfo(deviceName=self.props(network)["name"],
                                                                     network=network)
            mac = spec.get("mac", "00:50:56:%02x:00:%02x" % (index % 256, i))
            nic = _NICS[spec.get("adapter", "vmxnet3")](
                key=4000 + i, macAddress=mac, backing=backing,
                deviceInfo=vim.Description(label="Network adapter %d" % (i + 1), summary=""),
                connectable=dev.VirtualDevice.ConnectInfo(connected=spec.get("connected", True), startConnected=True))
            devices.append(nic)
            if spec.get("ips"):
                addresses = [vim.net.IpConfigInfo.IpAddress(ipAddress=ip, prefixLength=24) for ip in spec["ips"]]
                guest_net.append(vim.vm.GuestInfo.NicInfo(
                    macAddress=mac, deviceConfigId=4000 + i, connected=True, ipAddress=spec["ips"],
                    ipConfig=vim.net.IpConfigInfo(ipAddress=addresses)))
        return devices, guest_net

    def task(self, infos):
        """A vim.Task whose `info` is each of `infos` in turn (the last one repeats); the task manager lists it among
        its recent tasks."""
        task = self.add(vim.Task, "task-%d" % next(self._ids))
        self.props(task)["_infos"] = list(infos)
        self.props(self.task_manager)["recentTask"].append(task)
        return task

    # -- SOAP ---------------------------------------------------------------------------------
    def invoke(self, mo, method, args):
        self.calls[method] += 1
        if self.drop_calls[method] > 0:
            self.drop_calls[method] -= 1
            raise ConnectionResetError(104, "Connection reset by peer")
        if method in self.method_errors:
            raise self.method_errors[method]
        if self.expire_session[method] > 0 or (method in self.flaky_session and self.calls[method] % 2):
            self.expire_session[method] -= 1
            raise vim.fault.NotAuthenticated(object=mo, privilegeId="System.View")
        handler = getattr(self, "_m_" + method, None)
        if handler is None:
            raise vmodl.fault.MethodNotFound(receiver=mo, method=method)
        result = handler(mo, *args)
        if self.lose_answers[method] > 0:
            self.lose_answers[method] -= 1
            raise http.client.RemoteDisconnected("Remote end closed connection without response")
        return result

    def _m_RetrieveServiceContent(self, mo):  # noqa: N802
        return self.content

    def _m_Logout(self, mo):  # noqa: N802
        return None

    def _m_Fetch(self, mo, prop):  # noqa: N802
        if isinstance(mo, vim.ServiceInstance) and prop == "content":
            return self.content
        props = self.props(mo)
        if prop == "info" and "_infos" in props:
            infos = props["_infos"]
            return infos.pop(0) if len(infos) > 1 else infos[0]
        return props.get(prop)

    def _m_CreateContainerView(self, mo, container, types, recursive):  # noqa: N802
        moid = "session[fake]%d" % next(self._ids)
        self.views[moid] = [ref for ref, _props in self.objects.values()
                            if any(isinstance(ref, t) for t in types) and self._inside(ref, container, recursive)]
        return vim.view.ContainerView(moid, self.stub)

    def _m_DestroyView(self, mo):  # noqa: N802
        self.views.pop(mo._moId, None)

    def _m_FindByUuid(self, mo, datacenter, uuid, vmSearch, instanceUuid=None):  # noqa: N802,N803
        path = "config.instanceUuid" if instanceUuid else "config.uuid"
        for ref, props in self.objects.values():
            if isinstance(ref, vim.VirtualMachine) and props.get(path) == uuid and \
                    (datacenter is None or self._inside(ref, datacenter, True)):
                return ref
        return None

    def _m_FindByInventoryPath(self, mo, inventoryPath):  # noqa: N802,N803
        for ref, _props in self.objects.values():
            if self.inventory_path(ref) == inventoryPath:
                return ref
        return None

    def _m_RetrievePropertiesEx(self, mo, specSet, options):  # noqa: N802,N803
        objects = []
        for spec in specSet:
            objects.extend(self._collect(spec))
        return self._page(objects, options.maxObjects)

    def _m_ContinueRetrievePropertiesEx(self, mo, token):  # noqa: N802
        objects, size = self.pages.pop(token)
        return self._page(objects, size)

    # -- helpers ------------------------------------------------------------------------------
    def inventory_path(self, ref):
        names = []
        while ref is not None and ref != self.root:
            names.append(self.props(ref)["name"])
            ref = self.props(ref).get("parent")
        return "/" + "/".join(reversed(names))

    def _containers(self, ref):
        """Everything `ref` is inside of: its parent chain, and for a VM its host's and pool's."""
        out, todo = set(), [ref]
        while todo:
            current = todo.pop()
            props = self.props(current)
            for link in ("parent", "runtime.host", "resourcePool"):
                other = props.get(link)
                if other is not None and other._moId not in out:
                    out.add(other._moId)
                    todo.append(other)
        return out

    def _inside(self, ref, container, recursive):
        if not recursive:
            return self.props(ref).get("parent") == container
        return container._moId in self._containers(ref)

    def _get(self, ref, path):
        if isinstance(ref, vim.view.ContainerView):
            return self.views.get(ref._moId, []) if path == "view" else None
        props = self.props(ref)
        if path == "info" and "_infos" in props:
            return props["_infos"][0]
        return props.get(path)

    def _traverse(self, ref, select_set, named, found, seen):
        for selection in select_set or []:
            if isinstance(selection, PC.TraversalSpec):
                spec = selection
                if spec.name:
                    named[spec.name] = spec
            else:
                spec = named[selection.name]
            if not isinstance(ref, spec.type):
                continue
            value = self._get(ref, spec.path)
            for child in value if isinstance(value, list) else [value] if value is not None else []:
                if child._moId in seen:
                    continue
                seen.add(child._moId)
                if not spec.skip:
                    found.append(child)
                self._traverse(child, spec.selectSet, named, found, seen)

    def _collect(self, spec):
        found, seen, named = [], set(), {}
        for object_spec in spec.objectSet:
            ref = object_spec.obj
            if ref._moId not in self.objects and ref._moId not in self.views:
                if spec.reportMissingObjectsInResults:
                    continue
                raise vmodl.fault.ManagedObjectNotFound(obj=ref)
            if not object_spec.skip and ref._moId not in seen:
                seen.add(ref._moId)
                found.append(ref)
            self._traverse(ref, object_spec.selectSet, named, found, seen)
        out = []
        for ref in found:
            if ref._moId in self.views:
                continue
            props, matched = [], False
            for prop_spec in spec.propSet:
                if not isinstance(ref, prop_spec.type):
                    continue
                matched = True
                for path in prop_spec.pathSet:
                    value = self._get(ref, path)
                    if value is not None and not (isinstance(value, list) and not value) and path not in [p.name for p in props]:
                        props.append(vmodl.DynamicProperty(name=path, val=_typed(value)))
            if matched:
                out.append(PC.ObjectContent(obj=ref, propSet=props))
        return out

    def _page(self, objects, size):
        if not objects:
            return None
        token = None
        if size and len(objects) > size:
            token = "page-%d" % next(self._ids)
            self.pages[token] = (objects[size:], size)
            objects = objects[:size]
        return PC.RetrieveResult(objects=objects, token=token)


def _typed(value):
    """Lists as the typed arrays the SOAP deserializer returns (e.g. vim.vm.device.VirtualDevice[])."""
    if not isinstance(value, list):
        return value
    for cls in type(value[0]).__mro__:
        if hasattr(cls, "Array") and all(isinstance(item, cls) for item in value):
            return cls.Array(value)
    raise TypeError("no common pyVmomi type for %r" % (value,))


def small_inventory(session=False):
    """DC1 with a cluster of two hosts, a standalone host, folders, networks, and a few VMs (`session`: see
    FakeVCenter).

    Returns (fake, refs) where refs names the objects tests look at.
    """
    fake = FakeVCenter(session=session)
    dc = fake.datacenter("DC1")
    cl = fake.cluster(dc, "Prod-Cluster")
    esx1 = fake.host(cl, "esx01.lab.local", "7.0.3")
    esx2 = fake.host(cl, "esx02.lab.local", "8.0.2")
    legacy = fake.host(dc, "esx-legacy01.lab.local", "6.0.0")
    ds1 = fake.datastore(dc, "ds-prod-01")
    ds2 = fake.datastore(dc, "ds-prod-02")
    vmnet = fake.network(dc, "VM Network")
    app = fake.dvportgroup(dc, "Prod-App", key="dvportgroup-77")
    web = fake.vm_folder(dc, "Production/Web")
    db = fake.vm_folder(dc, "Production/DB")
    infra = fake.vm_folder(dc, "Infrastructure")
    legacy_folder = fake.vm_folder(dc, "Legacy")
    refs = dict(dc=dc, cluster=cl, esx1=esx1, esx2=esx2, legacy=legacy, ds1=ds1, ds2=ds2, vmnet=vmnet, app=app,
                web=web, db=db, infra=infra, legacy_folder=legacy_folder)
    refs["web-01"] = fake.vm("web-01", web, esx1, datastore=ds1, disks=[{"size_gb": 60}],
                             nics=[{"network": app, "mac": "00:50:56:90:00:01", "ips": ["10.10.1.11"]}],
                             ip="10.10.1.11", hostname="web-01.lab.local")
    refs["web-02"] = fake.vm("web-02", web, esx2, guest_id="ubuntu64Guest", firmware="efi", datastore=ds1,
                             disks=[{"size_gb": 40}, {"size_gb": 100, "datastore": ds2}],
                             nics=[{"network": app, "ips": ["10.10.1.12"]}])
    refs["app-api-01"] = fake.vm("app-api-01", web, esx1, guest_id="debian11_64Guest", datastore=ds1,
                                 nics=[{"network": app, "ips": ["10.10.1.31"]},
                                       {"network": vmnet, "adapter": "e1000e", "ips": ["192.168.10.31"]}])
    refs["ora-rac-01"] = fake.vm("ora-rac-01", db, esx2, guest_id="rhel7_64Guest", datastore=ds1,
                                 disks=[{"size_gb": 100},
                                        {"size_gb": 1024, "bus": 1, "unit": 0, "sharing": "sharingMultiWriter",
                                         "thin": False},
                                        {"size_gb": 200, "mode": "independent_persistent", "unit": 1}])
    refs["win-dc-01"] = fake.vm("win-dc-01", infra, esx1, guest_id="windows2019srv_64Guest", firmware="efi",
                                secure_boot=True, datastore=ds1,
                                disks=[{"size_gb": 90, "controller": "lsilogicsas"}],
                                nics=[{"network": vmnet, "ips": ["192.168.10.10"]}])
    refs["fs-archive-01"] = fake.vm("fs-archive-01", infra, esx1, guest_id="windows2019srv_64Guest",
                                    datastore=ds1, disks=[{"size_gb": 3000, "controller": "lsilogicsas"}])
    refs["legacy-app-01"] = fake.vm("legacy-app-01", legacy_folder, legacy, guest_id="otherGuest", datastore=ds1,
                                    disks=[{"size_gb": 20, "controller": "sata"}],
                                    nics=[{"network": vmnet, "adapter": "e1000"}])
    refs["test-vm-01"] = fake.vm("test-vm-01", legacy_folder, esx2, guest_id="ubuntu64Guest", power="poweredOff",
                                 datastore=ds1, tools="guestToolsNotRunning")
    refs["tmpl-rhel9"] = fake.vm("tmpl-rhel9", infra, esx1, guest_id="rhel9_64Guest", template=True,
                                 datastore=ds1)
    return fake, refs
