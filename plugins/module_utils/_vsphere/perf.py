# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""vCenter performance statistics: the write rate of every virtual disk of many VMs, in two round trips.

1. One RetrievePropertiesEx on the PerformanceManager: its counter catalog (`perfCounter`; counter ids
   differ between vCenters, so they are looked up by name) and its statistics intervals
   (`historicalInterval`, with the level each is collected at).
2. One QueryPerf with a QuerySpec per VM, each naming the VM's disks as counter instances
   ("scsi0:1", "sata0:0", "nvme0:0"): never one call per VM.

Counters: virtualDisk.write.average (KBps) and virtualDisk.numberWriteAveraged.average (write IOPS; their
ratio is the average write size). vCenter keeps them for the historical intervals only at statistics
level 2 or higher (their collection level in the counter catalog); real-time statistics (20 s, about the
last hour, powered-on VMs only) come from the hosts at any level.
"""

from __future__ import annotations

try:
    from pyVmomi import vim, vmodl
except ImportError:  # HAS_PYVMOMI in client.py reports it
    vim = vmodl = None

from ansible_collections.dr.asr.plugins.module_utils._errors import InputError
from ansible_collections.dr.asr.plugins.module_utils._vsphere.client import properties

REALTIME = 20
COUNTERS = {"write_kbps": "virtualDisk.write.average", "write_iops": "virtualDisk.numberWriteAveraged.average"}


def catalog(session):
    """({"group.name.rollup": {"key", "level"}}, [{"interval", "level", "enabled", "length"}]), one round trip."""
    pc = vmodl.query.PropertyCollector
    manager = session.content.perfManager
    contents = session.retrieve([pc.ObjectSpec(obj=manager, skip=False)],
                                [pc.PropertySpec(type=vim.PerformanceManager,
                                                 pathSet=["perfCounter", "historicalInterval"])],
                                action="reading the performance counter catalog")
    props = properties(contents[0]) if contents else {}
    counters = {}
    for info in props.get("perfCounter") or []:
        name = "%s.%s.%s" % (info.groupInfo.key, info.nameInfo.key, info.rollupType)
        counters[name] = {"key": info.key, "level": info.level}
    intervals = [{"interval": i.samplingPeriod, "level": i.level, "enabled": bool(i.enabled), "length": i.length}
                 for i in props.get("historicalInterval") or []]
    return counters, intervals


def check_interval(interval, intervals, level):
    """None if statistics of `level` should exist for `interval`, else the reason (InputError if unknown)."""
    if interval == REALTIME:
        return None
    if not intervals:  # the server lists none (vcsim): just ask
        return None
    known = dict((i["interval"], i) for i in intervals)
    if interval not in known:
        raise InputError("churn.interval", interval, "%d (real time) or one of the vCenter's statistics intervals: %s"
                         % (REALTIME, ", ".join(str(i) for i in sorted(known))))
    info = known[interval]
    if not info["enabled"]:
        return "the %d s statistics interval is disabled in vCenter." % interval
    if level is not None and info["level"] < level:
        return ("vCenter keeps %d s statistics at level %d; virtualDisk.write.average needs level %d "
                "(vCenter > Configure > Settings > General > Statistics), or use interval 20 (real time)."
                % (interval, info["level"], level))
    return None


def query_disk_writes(session, vms, instance_of, interval, max_sample):
    """{moid: {"disks": {instance: {"write_kbps": [...], "write_iops": [...]}}, "reason": str|None}}.

    vms: VM facts (moid, power_state, disks); instance_of(disk) -> counter instance or None.
    One QueryPerf for all VMs. Real time: powered-off VMs have no statistics and are not asked for.
    """
    counters, intervals = catalog(session)
    missing = [name for name in COUNTERS.values() if name not in counters]
    if COUNTERS["write_kbps"] in missing:
        return dict((vm["moid"], {"disks": {}, "reason": "this vCenter has no virtualDisk.write.average counter."})
                    for vm in vms)
    reason = check_interval(interval, intervals, counters[COUNTERS["write_kbps"]]["level"])
    out = dict((vm["moid"], {"disks": {}, "reason": reason}) for vm in vms)
    if reason:
        return out
    keys = dict((field, counters[name]["key"]) for field, name in COUNTERS.items() if name in counters)
    fields = dict((key, field) for field, key in keys.items())
    specs = []
    for vm in vms:
        if interval == REALTIME and vm.get("power_state") != "poweredOn":
            out[vm["moid"]]["reason"] = "no real-time statistics for a VM that is not powered on."
            continue
        instances = [instance_of(disk) for disk in vm.get("disks") or []]
        metric_ids = [vim.PerformanceManager.MetricId(counterId=key, instance=instance)
                      for instance in instances if instance for key in keys.values()]
        if metric_ids:
            specs.append(vim.PerformanceManager.QuerySpec(entity=session.ref(vim.VirtualMachine, vm["moid"]),
                                                          metricId=metric_ids, intervalId=interval,
                                                          maxSample=max_sample, format="normal"))
    if not specs:
        return out
    with session.errors("querying disk write statistics of %d VMs" % len(specs)):
        results = session.content.perfManager.QueryPerf(querySpec=specs) or []
    for entity_metric in results:
        moid = entity_metric.entity._moId
        if moid not in out:
            continue
        disks = out[moid]["disks"]
        for series in getattr(entity_metric, "value", None) or []:
            field = fields.get(series.id.counterId)
            if field:
                disks.setdefault(series.id.instance, {})[field] = [int(v) for v in series.value or []]
    for moid, entry in out.items():
        if not entry["reason"] and not any(s.get("write_kbps") for s in entry["disks"].values()):
            entry["reason"] = ("vCenter returned no samples for the %d s interval (statistics level below 2, "
                               "or no history yet)." % interval)
    return out
