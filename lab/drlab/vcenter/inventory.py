"""The lab's vCenter inventory: lab/config/vcenter.yml (human-edited) -> the JSON vcsim-lab reads.

The YAML says what matters and leaves the rest out; this module fills in every default so the JSON
is explicit and the simulator needs no policy of its own. Everything derived is deterministic
(UUIDs, MAC addresses, disk unit numbers, host placement), so tests can assert it.

Scale: `scale.vm_count` in the YAML, or the environment variable DRLAB_VCENTER_VMS (which wins),
adds that many generated VMs (app-0001, app-0002, ...) in a realistic mix on top of the hand-written
ones, for benchmarks with 10/100/500 VMs.
"""
import hashlib
import json
import os
import uuid

import yaml

SCHEMA = 1
_NS = uuid.UUID("5b0f3e7a-6c1d-4f0e-9d2b-0d7a5e1a2b3c")  # namespace of the lab's derived UUIDs
VM_COUNT_ENV = "DRLAB_VCENTER_VMS"


class InventoryError(ValueError):
    """The inventory file is invalid; the message names the offending item."""


# guestId -> (full name vSphere shows, guest family)
GUEST_OS = {
    "rhel7_64Guest": ("Red Hat Enterprise Linux 7 (64-bit)", "linuxGuest"),
    "rhel8_64Guest": ("Red Hat Enterprise Linux 8 (64-bit)", "linuxGuest"),
    "rhel9_64Guest": ("Red Hat Enterprise Linux 9 (64-bit)", "linuxGuest"),
    "centos7_64Guest": ("CentOS 7 (64-bit)", "linuxGuest"),
    "centos8_64Guest": ("CentOS 8 (64-bit)", "linuxGuest"),
    "ubuntu64Guest": ("Ubuntu Linux (64-bit)", "linuxGuest"),
    "debian10_64Guest": ("Debian GNU/Linux 10 (64-bit)", "linuxGuest"),
    "debian11_64Guest": ("Debian GNU/Linux 11 (64-bit)", "linuxGuest"),
    "sles12_64Guest": ("SUSE Linux Enterprise 12 (64-bit)", "linuxGuest"),
    "sles15_64Guest": ("SUSE Linux Enterprise 15 (64-bit)", "linuxGuest"),
    "otherLinux64Guest": ("Other Linux (64-bit)", "linuxGuest"),
    "otherLinuxGuest": ("Other Linux (32-bit)", "linuxGuest"),
    "windows7Guest": ("Microsoft Windows 7 (32-bit)", "windowsGuest"),
    "windows8Server64Guest": ("Microsoft Windows Server 2012 (64-bit)", "windowsGuest"),
    "windows9Server64Guest": ("Microsoft Windows Server 2016 or later (64-bit)", "windowsGuest"),
    "windows2019srv_64Guest": ("Microsoft Windows Server 2019 (64-bit)", "windowsGuest"),
    "windows2019srvNext_64Guest": ("Microsoft Windows Server 2022 (64-bit)", "windowsGuest"),
    "windows2022srvNext_64Guest": ("Microsoft Windows Server 2025 (64-bit)", "windowsGuest"),
    "otherGuest": ("Other (32-bit)", "otherGuestFamily"),
    "otherGuest64": ("Other (64-bit)", "otherGuestFamily"),
}

# ESXi major.minor -> default virtual hardware version of VMs created there
_HW_VERSION = {"6.0": "vmx-11", "6.5": "vmx-13", "6.7": "vmx-15", "7.0": "vmx-19", "8.0": "vmx-21"}

_CONTROLLERS = ("pvscsi", "lsilogic", "lsilogic-sas", "buslogic", "nvme", "sata")
_MAX_UNITS = {"nvme": 15, "sata": 30}  # SCSI: 16 units, 7 is the controller's own
_DISK_MODES = ("persistent", "independent_persistent", "independent_nonpersistent", "nonpersistent",
               "undoable", "append")
_SHARING = {"none": "sharingNone", "sharingNone": "sharingNone",
            "multi-writer": "sharingMultiWriter", "multiwriter": "sharingMultiWriter",
            "sharingMultiWriter": "sharingMultiWriter"}
_ADAPTERS = ("vmxnet3", "e1000e", "e1000", "vmxnet2")
_TOOLS = ("running", "not_running", "not_installed")
_POWER = {True: "poweredOn", False: "poweredOff", "on": "poweredOn", "off": "poweredOff",
          "poweredOn": "poweredOn", "poweredOff": "poweredOff", "suspended": "suspended"}

_TOP_KEYS = {"vcenter", "custom_attributes", "tag_categories", "scale", "datacenters"}
_DC_KEYS = {"name", "vm_folders", "clusters", "hosts", "networks", "datastores", "vms"}
_HOST_KEYS = {"name", "version", "build", "api_version", "vendor", "model", "connection_state", "maintenance"}
_VM_KEYS = {"name", "folder", "cluster", "host", "datastore", "guest_id", "guest_full_name", "cpus",
            "cores_per_socket", "memory_mb", "firmware", "secure_boot", "hw_version", "uuid",
            "instance_uuid", "annotation", "power", "tools", "tools_version", "hostname", "disks",
            "nics", "attributes", "tags"}
_DISK_KEYS = {"label", "size_gb", "datastore", "controller", "bus", "unit", "mode", "sharing", "thin",
              "uuid", "guest_path"}
_NIC_KEYS = {"label", "network", "mac", "address_type", "adapter", "connected", "ip", "ips"}


def _check_keys(obj, allowed, where):
    if not isinstance(obj, dict):
        raise InventoryError("%s: expected a mapping, got %r" % (where, obj))
    unknown = set(obj) - allowed
    if unknown:
        raise InventoryError("%s: unknown key(s) %s (allowed: %s)"
                             % (where, ", ".join(sorted(map(str, unknown))), ", ".join(sorted(allowed))))


def _uuid(*parts):
    return str(uuid.uuid5(_NS, "/".join(parts)))


def _disk_uuid(*parts):
    h = uuid.uuid5(_NS, "disk/" + "/".join(parts)).hex
    h = "6000c29" + h[7:]
    return "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:32])


def _mac(used, *parts):
    """A vCenter-assigned style MAC (00:50:56:80:00:00 - 00:50:56:bf:ff:ff), unique in `used`."""
    seed = "/".join(parts)
    n = 0
    while True:
        d = hashlib.sha256(("%s#%d" % (seed, n)).encode()).digest()
        mac = "00:50:56:%02x:%02x:%02x" % (0x80 | (d[0] & 0x3F), d[1], d[2])
        if mac not in used:
            used.add(mac)
            return mac
        n += 1


def _api_version(version):
    mm = ".".join(version.split(".")[:2])
    if mm in ("5.5", "6.0", "6.5"):
        return mm
    parts = (version.split(".") + ["0", "0"])[:3]
    return ".".join(parts) + ".0"


def _hw_version(host_version):
    return _HW_VERSION.get(".".join(host_version.split(".")[:2]), "vmx-19")


def _default_controller(guest_id):
    if guest_id.startswith("win"):
        return "lsilogic-sas"
    if guest_id.startswith("other") and "Linux" not in guest_id:
        return "lsilogic"
    return "pvscsi"


def _guest_paths(guest_id, index):
    if guest_id.startswith("win"):
        return "%s:\\" % "CDEFGHIJKLMNOPQRSTUVWXYZ"[index]
    if guest_id.startswith("other") and "Linux" not in guest_id:
        return ""
    return "/" if index == 0 else "/data%s" % ("" if index == 1 else index)


def _host(spec, where):
    _check_keys(spec, _HOST_KEYS, where)
    for key in ("name", "version", "build"):
        if not spec.get(key):
            raise InventoryError("%s: %s is required" % (where, key))
    version = str(spec["version"])
    return {
        "name": spec["name"],
        "version": version,
        "build": str(spec["build"]),
        "api_version": str(spec.get("api_version") or _api_version(version)),
        "vendor": spec.get("vendor", "Dell Inc."),
        "model": spec.get("model", "PowerEdge R650"),
        "connection_state": spec.get("connection_state", "connected"),
        "maintenance": bool(spec.get("maintenance", False)),
    }


class _DC:
    """Builds one datacenter's JSON, keeping the lookups VM defaults need."""

    def __init__(self, spec, attributes, tags, macs):
        _check_keys(spec, _DC_KEYS, "datacenter")
        if not spec.get("name"):
            raise InventoryError("datacenter: name is required")
        self.name = spec["name"]
        self.attributes, self.tags, self.macs = attributes, tags, macs
        where = "datacenter %s" % self.name
        self.clusters = []
        self.host_versions = {}
        self.cluster_hosts = {}
        for cl in spec.get("clusters") or []:
            _check_keys(cl, {"name", "drs", "ha", "hosts"}, where + " cluster")
            hosts = [_host(h, "%s cluster %s host" % (where, cl.get("name"))) for h in cl.get("hosts") or []]
            self.clusters.append({"name": cl["name"], "drs": bool(cl.get("drs", True)),
                                  "ha": bool(cl.get("ha", True)), "hosts": hosts})
            self.cluster_hosts[cl["name"]] = [h["name"] for h in hosts]
        self.hosts = [_host(h, where + " host") for h in spec.get("hosts") or []]
        all_hosts = [h for c in self.clusters for h in c["hosts"]] + self.hosts
        for h in all_hosts:
            if h["name"] in self.host_versions:
                raise InventoryError("%s: duplicate host %s" % (where, h["name"]))
            self.host_versions[h["name"]] = h["version"]
        self.host_order = [h["name"] for h in all_hosts]

        self.networks = []
        for n in spec.get("networks") or []:
            _check_keys(n, {"name", "vlan", "vswitch", "hosts"}, where + " network")
            self.networks.append({"name": n["name"], "vlan": int(n.get("vlan", 0)),
                                  "vswitch": n.get("vswitch", "vSwitch0"),
                                  "hosts": self._hosts(n.get("hosts"), "network " + n["name"])})
        self.network_names = {n["name"] for n in self.networks}

        self.datastores = []
        self.ds_hosts = {}
        for d in spec.get("datastores") or []:
            _check_keys(d, {"name", "type", "capacity_gb", "hosts"}, where + " datastore")
            hosts = self._hosts(d.get("hosts"), "datastore " + d["name"])
            self.datastores.append({"name": d["name"], "type": d.get("type", "VMFS"),
                                    "capacity_gb": int(d.get("capacity_gb", 4096)), "hosts": hosts})
            self.ds_hosts[d["name"]] = hosts or self.host_order

        self.folders = []
        for f in spec.get("vm_folders") or []:
            self._folder(f)
        self.vms = []
        self.vm_names = set()
        self._rr = {}
        for vm in spec.get("vms") or []:
            self.add_vm(vm)

    def _hosts(self, names, what):
        for n in names or []:
            if n not in self.host_versions:
                raise InventoryError("datacenter %s: %s: unknown host %s" % (self.name, what, n))
        return list(names or [])

    def _folder(self, path):
        path = str(path).strip("/")
        parts = path.split("/") if path else []
        for i in range(1, len(parts) + 1):
            p = "/".join(parts[:i])
            if p not in self.folders:
                self.folders.append(p)
        return path

    def _place(self, spec, where):
        """The host a VM runs on: given, or round-robin over its cluster (default: the first)."""
        if spec.get("host"):
            if spec["host"] not in self.host_versions:
                raise InventoryError("%s: unknown host %s" % (where, spec["host"]))
            return spec["host"]
        cluster = spec.get("cluster") or (self.clusters[0]["name"] if self.clusters else None)
        hosts = self.cluster_hosts.get(cluster) if cluster else None
        if not hosts:
            if cluster:
                raise InventoryError("%s: unknown or empty cluster %s" % (where, cluster))
            if not self.host_order:
                raise InventoryError("%s: the datacenter has no host" % where)
            hosts = self.host_order
        i = self._rr.get(cluster, 0)
        self._rr[cluster] = i + 1
        return hosts[i % len(hosts)]

    def add_vm(self, spec):
        where = "datacenter %s vm %s" % (self.name, spec.get("name") if isinstance(spec, dict) else spec)
        _check_keys(spec, _VM_KEYS, where)
        name = spec.get("name")
        if not name:
            raise InventoryError("%s: name is required" % where)
        name = str(name)
        if name in self.vm_names:
            raise InventoryError("%s: duplicate VM name" % where)
        self.vm_names.add(name)
        host = self._place(spec, where)
        mounted = [d["name"] for d in self.datastores if host in self.ds_hosts[d["name"]]]
        datastore = spec.get("datastore") or (mounted[0] if mounted else None)
        if datastore not in mounted:
            raise InventoryError("%s: datastore %s is not mounted on host %s" % (where, datastore, host))
        guest_id = spec.get("guest_id", "otherLinux64Guest")
        if guest_id not in GUEST_OS and not spec.get("guest_full_name"):
            raise InventoryError("%s: guest_id %s: unknown here, give guest_full_name too" % (where, guest_id))
        full_name, family = GUEST_OS.get(guest_id, (spec.get("guest_full_name"), "otherGuestFamily"))
        firmware = spec.get("firmware", "bios")
        if firmware not in ("bios", "efi"):
            raise InventoryError("%s: firmware must be bios or efi" % where)
        secure_boot = bool(spec.get("secure_boot", False))
        if secure_boot and firmware != "efi":
            raise InventoryError("%s: secure_boot needs firmware: efi" % where)
        power = spec.get("power", "on")
        if power not in _POWER:
            raise InventoryError("%s: power must be on, off or suspended" % where)
        tools = spec.get("tools", "running")
        if tools not in _TOOLS:
            raise InventoryError("%s: tools must be one of %s" % (where, ", ".join(_TOOLS)))
        folder = self._folder(spec.get("folder", ""))

        disks = []
        units = {}
        for i, d in enumerate(spec.get("disks") or []):
            dw = "%s disk %d" % (where, i + 1)
            _check_keys(d, _DISK_KEYS, dw)
            if not d.get("size_gb"):
                raise InventoryError("%s: size_gb is required" % dw)
            ctrl = d.get("controller", "scsi")
            if ctrl == "scsi":
                ctrl = _default_controller(guest_id)
            if ctrl not in _CONTROLLERS:
                raise InventoryError("%s: controller must be scsi or one of %s" % (dw, ", ".join(_CONTROLLERS)))
            bus = int(d.get("bus", 0))
            used = units.setdefault((ctrl, bus), set())
            if "unit" in d:
                unit = int(d["unit"])
            else:
                unit = 0
                while unit in used or (unit == 7 and ctrl not in _MAX_UNITS):
                    unit += 1
            if unit in used or unit >= _MAX_UNITS.get(ctrl, 16) or (unit == 7 and ctrl not in _MAX_UNITS):
                raise InventoryError("%s: unit %d on %s %d is taken or invalid" % (dw, unit, ctrl, bus))
            used.add(unit)
            ds = d.get("datastore", datastore)
            if ds not in mounted:
                raise InventoryError("%s: datastore %s is not mounted on host %s" % (dw, ds, host))
            mode = d.get("mode", "persistent")
            if mode not in _DISK_MODES:
                raise InventoryError("%s: mode must be one of %s" % (dw, ", ".join(_DISK_MODES)))
            sharing = _SHARING.get(str(d.get("sharing", "none")))
            if sharing is None:
                raise InventoryError("%s: sharing must be none or multi-writer" % dw)
            thin = bool(d.get("thin", sharing == "sharingNone"))
            disks.append({
                "label": d.get("label", "Hard disk %d" % (i + 1)),
                "size_gb": int(d["size_gb"]), "datastore": ds, "controller": ctrl, "bus": bus, "unit": unit,
                "mode": mode, "sharing": sharing, "thin": thin,
                "uuid": d.get("uuid") or _disk_uuid(self.name, name, str(i)),
                "guest_path": d.get("guest_path", _guest_paths(guest_id, i)),
            })

        nics = []
        for i, n in enumerate(spec.get("nics") or []):
            nw = "%s nic %d" % (where, i + 1)
            _check_keys(n, _NIC_KEYS, nw)
            if n.get("network") not in self.network_names:
                raise InventoryError("%s: unknown network %s" % (nw, n.get("network")))
            adapter = n.get("adapter", "vmxnet3")
            if adapter not in _ADAPTERS:
                raise InventoryError("%s: adapter must be one of %s" % (nw, ", ".join(_ADAPTERS)))
            if n.get("mac"):
                mac = str(n["mac"]).lower()
                if mac in self.macs:
                    raise InventoryError("%s: MAC %s is used twice" % (nw, mac))
                self.macs.add(mac)
            else:
                mac = _mac(self.macs, self.name, name, str(i))
            ips = list(n.get("ips") or ([n["ip"]] if n.get("ip") else []))
            nics.append({
                "label": n.get("label", "Network adapter %d" % (i + 1)),
                "network": n["network"], "mac": mac,
                "address_type": n.get("address_type", "manual" if n.get("mac") else "assigned"),
                "adapter": adapter, "connected": bool(n.get("connected", True)), "ips": [str(ip) for ip in ips],
            })

        attributes = {str(k): str(v) for k, v in (spec.get("attributes") or {}).items()}
        for k in attributes:
            if k not in self.attributes:
                raise InventoryError("%s: unknown custom attribute %s (list it in custom_attributes)" % (where, k))
        tags = [str(t) for t in spec.get("tags") or []]
        for t in tags:
            if t not in self.tags:
                raise InventoryError("%s: unknown tag %s (want Category/tag from tag_categories)" % (where, t))

        cpus = int(spec.get("cpus", 2))
        self.vms.append({
            "name": name,
            "folder": folder,
            "host": host,
            "datastore": datastore,
            "guest_id": guest_id,
            "guest_full_name": spec.get("guest_full_name", full_name),
            "guest_family": family,
            "num_cpu": cpus,
            "cores_per_socket": int(spec.get("cores_per_socket", 1)),
            "memory_mb": int(spec.get("memory_mb", 4096)),
            "firmware": firmware,
            "secure_boot": secure_boot,
            "hw_version": spec.get("hw_version", _hw_version(self.host_versions[host])),
            "uuid": str(spec.get("uuid") or _uuid("bios", self.name, name)),
            "instance_uuid": str(spec.get("instance_uuid") or _uuid("instance", self.name, name)),
            "annotation": spec.get("annotation", ""),
            "power_state": _POWER[power],
            "tools": tools,
            "tools_version": int(spec.get("tools_version", 0 if tools == "not_installed" else 12352)),
            "hostname": spec.get("hostname", name.lower().rstrip(".") + ".lab.local"),
            "disks": disks,
            "nics": nics,
            "attributes": attributes,
            "tags": tags,
        })

    def as_json(self):
        return {"name": self.name, "vm_folders": self.folders, "clusters": self.clusters, "hosts": self.hosts,
                "networks": self.networks, "datastores": self.datastores, "vms": self.vms}


# Generated VMs: a realistic mix, picked by index (deterministic).
_PROFILES = [
    # role, guest_id, firmware, secure_boot, cpus, memory_mb, disks (GB)
    ("web", "rhel8_64Guest", "bios", False, 2, 4096, [40]),
    ("app", "ubuntu64Guest", "efi", False, 4, 8192, [50, 100]),
    ("app", "windows2019srv_64Guest", "efi", True, 4, 16384, [100, 200]),
    ("db", "rhel9_64Guest", "efi", True, 8, 32768, [60, 500, 200]),
    ("web", "debian11_64Guest", "bios", False, 2, 2048, [30]),
    ("app", "windows2019srvNext_64Guest", "efi", True, 4, 8192, [128]),
    ("db", "sles15_64Guest", "bios", False, 8, 65536, [80, 1024]),
    ("app", "centos7_64Guest", "bios", False, 2, 4096, [40, 60]),
    ("app", "windows9Server64Guest", "bios", False, 2, 8192, [80]),
    ("web", "ubuntu64Guest", "bios", False, 1, 2048, [20]),
]


def generated_vms(count, scale):
    """`count` generated VM specs (YAML-level dicts) for the scale knob."""
    vms = []
    datastores = scale.get("datastores") or [None]
    for i in range(1, count + 1):
        role, guest_id, firmware, secure_boot, cpus, memory, disks = _PROFILES[(i - 1) % len(_PROFILES)]
        vm = {
            "name": "%s-%04d" % (scale.get("prefix", "app"), i),
            "folder": scale.get("folder", "Production/Generated"),
            "guest_id": guest_id, "firmware": firmware, "secure_boot": secure_boot,
            "cpus": cpus, "memory_mb": memory,
            "disks": [{"size_gb": s} for s in disks],
            "nics": [{"network": scale.get("network", "VM Network"),
                      "ip": "10.20.%d.%d" % (i // 200, i % 200 + 10)}],
            "power": "off" if i % 10 == 0 else "on",
            "tools": "not_running" if i % 25 == 5 else "running",
            "annotation": "generated %s VM" % role,
        }
        if scale.get("cluster"):
            vm["cluster"] = scale["cluster"]
        ds = datastores[i % len(datastores)]
        if ds:
            vm["datastore"] = ds
        if scale.get("tags"):
            vm["tags"] = [scale["tags"][i % len(scale["tags"])]]
        vms.append(vm)
    return vms


def load_yaml(path):
    with open(path) as f:
        data = yaml.safe_load(f) or {}
    _check_keys(data, _TOP_KEYS, path)
    return data


def build_inventory(path, vm_count=None):
    """The launcher's inventory (a dict) from the YAML file at `path`.

    vm_count: generated VMs to add; None means the environment variable DRLAB_VCENTER_VMS, else the
    YAML's scale.vm_count, else 0.
    """
    data = load_yaml(path)
    vc = data.get("vcenter") or {}
    _check_keys(vc, {"version", "build", "api_version", "instance_uuid"}, "vcenter")
    version = str(vc.get("version", "8.0.2"))
    attributes = []
    for a in data.get("custom_attributes") or []:
        if isinstance(a, str):
            a = {"name": a}
        _check_keys(a, {"name", "mo_type"}, "custom_attributes")
        attributes.append({"name": a["name"], "mo_type": a.get("mo_type", "VirtualMachine")})
    categories, tag_names = [], set()
    for c in data.get("tag_categories") or []:
        _check_keys(c, {"name", "description", "cardinality", "associable_types", "tags"}, "tag_categories")
        card = c.get("cardinality", "SINGLE")
        if card not in ("SINGLE", "MULTIPLE"):
            raise InventoryError("tag category %s: cardinality must be SINGLE or MULTIPLE" % c["name"])
        tags = []
        for t in c.get("tags") or []:
            if isinstance(t, str):
                t = {"name": t}
            tags.append({"name": t["name"], "description": t.get("description", "")})
            tag_names.add("%s/%s" % (c["name"], t["name"]))
        categories.append({"name": c["name"], "description": c.get("description", ""), "cardinality": card,
                           "associable_types": c.get("associable_types", ["VirtualMachine"]), "tags": tags})

    scale = data.get("scale") or {}
    _check_keys(scale, {"vm_count", "datacenter", "cluster", "folder", "network", "datastores", "prefix", "tags"},
                "scale")
    if vm_count is None:
        env = os.environ.get(VM_COUNT_ENV, "").strip()
        vm_count = int(env) if env else int(scale.get("vm_count", 0))
    if vm_count < 0:
        raise InventoryError("vm_count must be >= 0")

    macs = set()
    dcs = []
    for spec in data.get("datacenters") or []:
        dcs.append(_DC(spec, {a["name"] for a in attributes}, tag_names, macs))
    if not dcs:
        raise InventoryError("%s: no datacenter" % path)
    if vm_count:
        target = scale.get("datacenter", dcs[0].name)
        dc = next((d for d in dcs if d.name == target), None)
        if dc is None:
            raise InventoryError("scale: unknown datacenter %s" % target)
        for vm in generated_vms(vm_count, scale):
            dc.add_vm(vm)

    return {
        "schema": SCHEMA,
        "vcenter": {"version": version, "build": str(vc.get("build", "22385739")),
                    "api_version": str(vc.get("api_version") or _api_version(version)),
                    "instance_uuid": str(vc.get("instance_uuid") or _uuid("vcenter"))},
        "custom_attributes": attributes,
        "tag_categories": categories,
        "datacenters": [d.as_json() for d in dcs],
    }


def write_json(settings, vm_count=None, path=None, source=None):
    """Write the launcher's JSON (default `<state>/vcenter/inventory.json`) from settings.vcenter_inventory
    (or `source`). Returns the path written."""
    inv = build_inventory(source or settings.vcenter_inventory, vm_count=vm_count)
    path = path or settings.path("vcenter", "inventory.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(inv, f, indent=1, sort_keys=True)
        f.write("\n")
    os.replace(tmp, path)
    return path


def load_json(path):
    with open(path) as f:
        return json.load(f)
