# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Disk write statistics: one QueryPerf for all VMs, counters by name, interval and level checks."""

from __future__ import annotations

from unittest import mock

import pytest
from pyVmomi import vim

from ansible_collections.dr.asr.plugins.module_utils import _readiness as readiness
from ansible_collections.dr.asr.plugins.module_utils._errors import InputError, VSphereError
from ansible_collections.dr.asr.plugins.module_utils._vsphere import perf
from ansible_collections.dr.asr.plugins.module_utils._vsphere.client import VSphereSession
from ansible_collections.dr.asr.plugins.module_utils._vsphere.facts import collect_vm_facts
from ansible_collections.dr.asr.tests.unit.plugins.module_utils._vsphere.fake_perf import (
    WRITE_IOPS, WRITE_KBPS, add_perf_manager, counter)
from ansible_collections.dr.asr.tests.unit.plugins.module_utils._vsphere.fake_vcenter import (
    SMART_CONNECT, small_inventory)


def samples(moid, instance, counter_id):
    if counter_id == WRITE_KBPS:
        return [100, 200, 300, 400]
    if counter_id == WRITE_IOPS:
        return [10, 20, 30, 40]
    return []


@pytest.fixture
def lab():
    fake, refs = small_inventory()
    with mock.patch(SMART_CONNECT, fake.smart_connect):
        session = VSphereSession(fake.params())
        yield fake, refs, session
        session.close()


def vms_of(session, names):
    return collect_vm_facts(session, {"names": names})


def test_one_query_for_all_vms_with_every_disk(lab):
    fake, _refs, session = lab
    fake_perf = add_perf_manager(fake, samples)
    vms = vms_of(session, ["web-02", "ora-rac-01", "win-dc-01"])
    fake.calls.clear()
    stats = perf.query_disk_writes(session, vms, readiness.disk_instance, 1800, 12)
    assert fake.calls["QueryPerf"] == 1 and fake.calls["RetrievePropertiesEx"] == 1  # catalog + one query
    [specs] = fake_perf.queries
    assert [s.entity._moId for s in specs] == [vm["moid"] for vm in vms]
    ora = specs[[vm["name"] for vm in vms].index("ora-rac-01")]
    assert [(m.counterId, m.instance) for m in ora.metricId] == [
        (WRITE_KBPS, "scsi0:0"), (WRITE_IOPS, "scsi0:0"), (WRITE_KBPS, "scsi1:0"), (WRITE_IOPS, "scsi1:0"),
        (WRITE_KBPS, "scsi0:1"), (WRITE_IOPS, "scsi0:1")]
    assert ora.intervalId == 1800 and ora.maxSample == 12
    ora_stats = stats[[vm for vm in vms if vm["name"] == "ora-rac-01"][0]["moid"]]
    assert ora_stats["reason"] is None
    assert ora_stats["disks"]["scsi0:1"] == {"write_kbps": [100, 200, 300, 400], "write_iops": [10, 20, 30, 40]}


def test_realtime_leaves_out_vms_that_are_not_running(lab):
    fake, _refs, session = lab
    fake_perf = add_perf_manager(fake, samples)
    vms = vms_of(session, ["web-01", "test-vm-01"])
    stats = perf.query_disk_writes(session, vms, readiness.disk_instance, 20, 180)
    assert [s.entity._moId for s in fake_perf.queries[0]] == [vms[1]["moid"]]  # web-01 (sorted second)
    off = stats[vms[0]["moid"]]
    assert off["disks"] == {} and "not powered on" in off["reason"]


def test_interval_collected_below_level_2_is_explained_not_queried(lab):
    fake, _refs, session = lab
    fake_perf = add_perf_manager(fake, samples)
    vms = vms_of(session, ["web-01"])
    stats = perf.query_disk_writes(session, vms, readiness.disk_instance, 300, 288)
    assert fake_perf.queries == []
    assert "level 1" in stats[vms[0]["moid"]]["reason"] and "level 2" in stats[vms[0]["moid"]]["reason"]


def test_unknown_interval_lists_the_valid_ones(lab):
    fake, _refs, session = lab
    add_perf_manager(fake, samples)
    with pytest.raises(InputError) as info:
        perf.query_disk_writes(session, vms_of(session, ["web-01"]), readiness.disk_instance, 600, 10)
    assert info.value.parameter == "churn.interval"
    assert "20 (real time)" in info.value.message and "300, 1800, 7200, 86400" in info.value.message


def test_no_samples_is_explained(lab):
    fake, _refs, session = lab
    add_perf_manager(fake, lambda *a: [])
    vms = vms_of(session, ["web-01"])
    stats = perf.query_disk_writes(session, vms, readiness.disk_instance, 1800, 10)
    assert "no samples" in stats[vms[0]["moid"]]["reason"]


def test_counter_ids_are_looked_up_by_name(lab):
    fake, _refs, session = lab
    fake_perf = add_perf_manager(fake, samples, counters=[counter(9, "virtualDisk", "write", 2)], intervals=())
    vms = vms_of(session, ["web-01"])
    stats = perf.query_disk_writes(session, vms, readiness.disk_instance, 300, 10)
    assert [(m.counterId, m.instance) for m in fake_perf.queries[0][0].metricId] == [(9, "scsi0:0")]
    assert "no samples" in stats[vms[0]["moid"]]["reason"]  # the fake has samples for id 1174 only
    add_perf_manager(fake, samples, counters=[counter(WRITE_IOPS, "virtualDisk", "numberWriteAveraged", 2)])
    stats = perf.query_disk_writes(session, vms, readiness.disk_instance, 300, 10)
    assert "no virtualDisk.write.average" in stats[vms[0]["moid"]]["reason"]


def test_faults_become_vsphere_errors(lab):
    fake, _refs, session = lab
    add_perf_manager(fake, samples, intervals=())
    fake.method_errors["QueryPerf"] = vim.fault.NoPermission(privilegeId="System.View", msg="Permission denied")
    with pytest.raises(VSphereError) as info:
        perf.query_disk_writes(session, vms_of(session, ["web-01"]), readiness.disk_instance, 300, 10)
    assert info.value.code == "NoPermission" and "disk write statistics" in info.value.message


def test_check_interval():
    intervals = [{"interval": 300, "level": 2, "enabled": False, "length": 86400}]
    assert perf.check_interval(20, intervals, 2) is None
    assert perf.check_interval(300, [], 2) is None
    assert "disabled" in perf.check_interval(300, intervals, 2)
