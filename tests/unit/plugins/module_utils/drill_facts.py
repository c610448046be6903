# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The facts of a drill as the dr.asr.drill role hands them to dr.asr.drill_report (jobs as job_info returns them)."""

from __future__ import annotations

import copy

TEST_NET = "/subscriptions/s/resourceGroups/rg-dr/providers/Microsoft.Network/virtualNetworks/vnet-dr-test"
PROD_NET = "/subscriptions/s/resourceGroups/rg-dr/providers/Microsoft.Network/virtualNetworks/vnet-dr-recovery"


def _task(name, friendly, start, end, state="Succeeded"):
    return dict(name=name, friendly_name=friendly, state=state, start_time=start, end_time=end)


PLAN_JOB = dict(
    name="11111111-aaaa-4000-8000-000000000001", id="/Subscriptions/s/.../replicationJobs/11111111",
    scenario="TestFailover", friendly_name="Test failover", state="Succeeded",
    start_time="2026-11-26T08:00:00.1234567Z", end_time="2026-11-26T08:12:30.0000000Z",
    tasks=[_task("RpSrsPrerequisitesCheck", "Prerequisites check for the recovery plan", "2026-11-26T08:00:00Z", "2026-11-26T08:00:30Z"),
           _task("Group1", "Group 1: Start (1)", "2026-11-26T08:00:30Z", "2026-11-26T08:05:00Z"),
           _task("Group2", "Group 2: Start (2)", "2026-11-26T08:05:00Z", "2026-11-26T08:12:00Z"),
           _task("EndRecoveryPlanTask", "Finalizing the recovery plan", "2026-11-26T08:12:00Z", "2026-11-26T08:12:30Z")],
    errors=[],
    custom_details={"instanceType": "TestFailoverJobDetails", "protectedItemDetails": [
        {"name": "item-db", "friendlyName": "db-01", "recoveryPointId": "/x/recoveryPoints/p-db",
         "recoveryPointTime": "2026-11-26T07:55:00Z"},
        {"name": "item-web1", "friendlyName": "web-01", "recoveryPointId": "/x/recoveryPoints/p-web1",
         "recoveryPointTime": "2026-11-26T07:58:00Z"},
        {"name": "item-web2", "friendlyName": "web-02", "recoveryPointId": "/x/recoveryPoints/p-web2",
         "recoveryPointTime": "2026-11-26T07:58:20Z"}]})

ITEM_JOB = dict(
    name="22222222-bbbb-4000-8000-000000000002", scenario="TestFailover", state="Succeeded",
    start_time="2026-11-26T08:01:00Z", end_time="2026-11-26T08:09:00Z",
    tasks=[_task("CreateTestVirtualMachineTask", "Create test virtual machine", "2026-11-26T08:01:00Z", "2026-11-26T08:06:00Z"),
           _task("StartVirtualMachineTask", "Start the virtual machine", "2026-11-26T08:06:00Z", "2026-11-26T08:09:00Z")],
    custom_details={"protectedItemDetails": [{"name": "item-app", "friendlyName": "app-01",
                                              "recoveryPointTime": "2026-11-26T08:00:00Z"}]})

CLEANUP_JOB = dict(name="33333333", scenario="TestFailoverCleanup", state="Succeeded",
                   start_time="2026-11-26T08:20:00Z", end_time="2026-11-26T08:23:00Z", tasks=[])


def test_vm(name, network=TEST_NET, power="running"):
    return dict(name=name, exists=True, vm_name=name + "-test", vm_id="/s/vm/" + name + "-test", resource_group="rg-dr",
                vm_size="Standard_D2s_v5", power_state=power,
                nics=[dict(name="nic-%s-00-test" % name, attached=True, private_ip="10.20.0.4", subnet="default",
                           network=network.rsplit("/", 1)[-1], network_id=network)],
                resources=["/s/vm/" + name + "-test"])


def facts():
    out = dict(
        title="Quarterly drill", started="2026-11-26T07:59:50Z", ended="2026-11-26T08:25:00Z",
        vault=dict(name="rsv-dr", resource_group="rg-dr"), test_network=None, check_mode=False,
        plans=[dict(name="rp-shop", action="start", job=PLAN_JOB,
                    groups=[dict(group=1, vms=["db-01"]), dict(group=2, vms=["web-01", "web-02"])],
                    cleanup=dict(action="start", job=CLEANUP_JOB, comments="drill ok"))],
        vms=[])
    for name in ("db-01", "web-01", "web-02"):
        out["vms"].append(dict(name=name, item_name="item-" + name, plan="rp-shop", action="start", test_network_id=TEST_NET,
                               test_vm=test_vm(name), left_behind=[],
                               smoke=[dict(name="http", host=name, rc=0, stdout="ok", passed=True, message="rc=0 on " + name)]))
    out["vms"].append(dict(name="app-01", item_name="item-app", plan=None, action="start", job=ITEM_JOB,
                           test_network_id=TEST_NET, test_vm=test_vm("app-01"), left_behind=[],
                           cleanup=dict(action="start", job=CLEANUP_JOB)))
    return copy.deepcopy(out)
