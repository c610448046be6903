# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""dr.asr.readiness end to end in-process: vCenter faked at the SOAP stub (with a PerformanceManager), the
Azure compute client faked at the client factory (the lab integration target runs the real SDK path)."""

from __future__ import annotations

from unittest import mock

import pytest
import yaml
from pyVmomi import vim

from ansible_collections.dr.asr.plugins.module_utils import _readiness as readiness
from ansible_collections.dr.asr.plugins.module_utils._azure.client import AzureClients
from ansible_collections.dr.asr.plugins.modules import readiness as module
from ansible_collections.dr.asr.tests.unit.plugins.module_utils._azure.test_skus import FakeClients
from ansible_collections.dr.asr.tests.unit.plugins.module_utils._vsphere.fake_perf import (
    WRITE_KBPS, add_perf_manager)
from ansible_collections.dr.asr.tests.unit.plugins.module_utils._vsphere.fake_vcenter import (
    SMART_CONNECT, small_inventory)
from ansible_collections.dr.asr.tests.unit.plugins.modules.utils import (
    fail_module, patch_exit_json, run_module, set_module_args)


@pytest.fixture
def lab(monkeypatch):
    patch_exit_json(monkeypatch)
    fake, refs = small_inventory()
    with mock.patch(SMART_CONNECT, fake.smart_connect):
        yield fake, refs


@pytest.fixture
def fake(lab):
    return lab[0]


@pytest.fixture
def azure(monkeypatch):
    clients = FakeClients()
    monkeypatch.setattr(AzureClients, "client", lambda self, kind: clients.client(kind))
    return clients


def args(fake, **extra):
    base = dict(hostname="vcenter.lab.local", username=fake.user, password=fake.password)
    base.update(extra)
    return base


def run(fake, check_mode=False, **extra):
    with set_module_args(args(fake, **extra), check_mode=check_mode):
        return run_module(module.main)


def fail(fake, **extra):
    with set_module_args(args(fake, **extra)):
        return fail_module(module.main)


def by_name(result):
    return dict((vm["name"], vm) for vm in result["vms"])


def status(vm, rule_id):
    return [c for c in vm["checks"] if c["rule_id"] == rule_id][0]["status"]


def test_every_vm_is_checked_and_nothing_changes(fake):
    result = run(fake)
    assert result["changed"] is False and "diff" not in result
    vms = by_name(result)
    assert sorted(vms) == ["app-api-01", "fs-archive-01", "legacy-app-01", "ora-rac-01", "test-vm-01", "web-01",
                           "web-02", "win-dc-01"]  # the template is left out
    assert vms["fs-archive-01"]["failed"] == ["os-disk-size"]
    assert vms["win-dc-01"]["failed"] == ["secure-boot"]
    assert vms["ora-rac-01"]["failed"] == ["independent-disk", "shared-disk"]
    assert vms["legacy-app-01"]["failed"] == ["esxi-version", "guest-os-arch"]
    assert vms["test-vm-01"]["result"] == "warn" and vms["test-vm-01"]["warnings"] == ["power-state", "vmware-tools"]
    assert [n for n, vm in vms.items() if vm["result"] == "pass"] == ["app-api-01", "web-01", "web-02"]
    assert result["summary"] == {"pass": 3, "warn": 1, "fail": 4, "total": 8}
    assert result["table"][0].startswith("VM ") and result["table"][-1] == "8 VMs: 3 pass, 1 warn, 4 fail"
    assert "fs-archive-01 | fail   | os-disk-size" in result["table"]
    assert "target_vm_size" not in result and "churn" not in result
    assert fake.calls["Logout"] == 1


def test_target_rules_skip_without_a_size(fake):
    fake.content.about.version = "8.0.2"
    web = by_name(run(fake, names=["web-01"]))["web-01"]
    assert [status(web, r) for r in ("nic-count", "vm-generation", "target-data-disks")] == ["skip"] * 3
    assert status(web, "vcenter-version") == "pass"


def test_filters_and_name_alias(fake):
    assert [vm["name"] for vm in run(fake, name=["web-*"], folder="Production/Web", cluster="Prod-Cluster",
                                     datacenter="DC1")["vms"]] == ["web-01", "web-02"]
    assert run(fake, names=["nothing-*"]) == {
        "changed": False, "vms": [], "summary": {"pass": 0, "warn": 0, "fail": 0, "total": 0},
        "table": ["VM | RESULT | FAILED (WARNINGS)", "0 VMs: 0 pass, 0 warn, 0 fail"]}


def test_check_mode_returns_the_same(fake):
    assert run(fake, check_mode=True) == run(fake)


def test_unknown_cluster_is_the_finders_error(fake):
    result = fail(fake, cluster="Nope")
    assert result["error"]["code"] == "NotFound" and "cluster named 'Nope'" in result["msg"]


def test_physical_bus_sharing_fails_shared_disk(lab):
    fake, refs = lab
    devices = fake.props(refs["web-01"])["config.hardware.device"]
    controller = [d for d in devices if isinstance(d, vim.vm.device.VirtualSCSIController)][0]
    controller.sharedBus = "physicalSharing"
    web = by_name(run(fake, names=["web-01"]))["web-01"]
    check = [c for c in web["checks"] if c["rule_id"] == "shared-disk"][0]
    assert check["status"] == "fail" and check["measured"] == ["Hard disk 1: physical bus sharing on scsi0"]


def test_invalid_name_gets_an_azure_name(lab):
    fake, refs = lab
    fake.props(refs["web-01"])["name"] = "sql_prod_01."
    vm = run(fake, names=["sql_prod_01."])["vms"][0]
    assert vm["failed"] == ["vm-name"] and vm["azure_vm_name"] == "sql-prod-01"


# -- target size (Azure) ----------------------------------------------------------------------------
def test_target_size_rules(fake, azure):
    result = run(fake, target_vm_size="standard_d2s_v5", location="West Europe", names=["app-api-01", "web-02"])
    assert result["target_vm_size"]["name"] == "Standard_D2s_v5" and result["target_vm_size"]["max_nics"] == 2
    api = by_name(result)["app-api-01"]
    nic = [c for c in api["checks"] if c["rule_id"] == "nic-count"][0]
    assert nic["status"] == "pass" and (nic["measured"], nic["limit"]) == (2, 2)
    assert azure.resource_skus.filters == ["location eq 'westeurope'"]


def test_generation_against_a_gen2_only_size(fake, azure):
    vms = by_name(run(fake, target_vm_size="Standard_L8s_v3", location="westeurope", names=["web-01", "web-02"]))
    assert status(vms["web-01"], "vm-generation") == "fail"   # BIOS
    assert status(vms["web-02"], "vm-generation") == "pass"   # UEFI


def test_bad_target_size_fails_before_vcenter(fake, azure):
    result = fail(fake, target_vm_size="Standard_D2s_v9", location="westeurope")
    assert result["error"]["kind"] == "input" and "Standard_D2s_v5" in result["msg"]
    assert result["error"]["details"]["parameter"] == "target_vm_size"
    assert fake.calls["SmartConnect"] == 0


def test_target_size_needs_a_location(fake):
    assert "required together" in fail(fake, target_vm_size="Standard_D2s_v5")["msg"]


# -- churn ----------------------------------------------------------------------------------------------
def test_churn_from_one_query(fake):
    def samples(moid, instance, counter):  # KBps, and IOPS giving 32 KB writes
        return [512, 1024, 2048] if counter == WRITE_KBPS else [16, 32, 64]

    perf = add_perf_manager(fake, samples)
    result = run(fake, churn={"interval": 1800, "samples": 3}, names=["web-02", "ora-rac-01"])
    assert len(perf.queries) == 1 and len(perf.queries[0]) == 2
    assert perf.queries[0][0].maxSample == 3 and perf.queries[0][0].intervalId == 1800
    web = by_name(result)["web-02"]
    assert [c["rule_id"] for c in web["checks"]][-2:] == ["churn-disk", "churn-vm"]
    disks = web["churn"]["disks"]
    assert [d["instance"] for d in disks] == ["scsi0:0", "scsi0:1"]
    assert disks[0]["write_mbps"] == 2.0 and disks[0]["planned_mbps"] == 2.6      # 95th pct of 3 = max; +30 %
    assert disks[0]["write_io_kb"] == 32.0
    assert disks[0]["premium_tier"] == "P6" and disks[1]["premium_tier"] == "P10"  # 40 and 100 GB
    assert [d["recommended_disk_type"] for d in disks] == ["Premium_LRS", "Premium_LRS"]  # 8 MB/s at 32 KB
    assert [d["limit_mbps"] for d in disks] == [8, 8]
    assert status(web, "churn-disk") == "pass" and status(web, "churn-vm") == "pass"
    assert web["churn"]["vm_planned_mbps"] == 5.2
    assert result["churn"] == {"vms_with_data": 2, "planned_mbps": 13.0, "gb_per_day": 1096.9, "process_servers": 1}


def test_churn_days_become_samples(fake):
    perf = add_perf_manager(fake, lambda *a: [100])
    run(fake, churn={"interval": 1800, "days": 7}, names=["web-01"])
    assert perf.queries[0][0].maxSample == 336


def test_churn_skips_when_vcenter_keeps_no_disk_statistics(fake):
    perf = add_perf_manager(fake, lambda *a: [100])
    web = run(fake, churn={}, names=["web-01"])["vms"][0]   # default interval 300: level 1 in the fake
    assert perf.queries == []
    assert status(web, "churn-disk") == "skip" and "level 2" in web["churn"]["reason"]
    assert web["result"] == "pass"


def test_churn_off(fake):
    result = run(fake, churn={"enabled": False}, names=["web-01"])
    assert "churn" not in result and "churn" not in result["vms"][0]


@pytest.mark.parametrize("churn, parameter", [({"interval": 0}, "churn.interval"), ({"samples": -1}, "churn.samples"),
                                              ({"percentile": 101}, "churn.percentile"),
                                              ({"growth_percent": -5}, "churn.growth_percent")])
def test_bad_churn_options(fake, churn, parameter):
    result = fail(fake, churn=churn)
    assert result["error"]["details"]["parameter"] == parameter and fake.calls["SmartConnect"] == 0


def test_days_and_samples_exclude_each_other(fake):
    assert "mutually exclusive" in fail(fake, churn={"days": 1, "samples": 5})["msg"]


# -- documentation ----------------------------------------------------------------------------------
DOC = yaml.safe_load(module.DOCUMENTATION)
RETURN = yaml.safe_load(module.RETURN)


def test_documentation_matches_the_argument_spec():
    options = DOC["options"]
    assert sorted(options) == sorted(module.ARGUMENT_SPEC)
    for name, spec in module.ARGUMENT_SPEC.items():
        assert options[name]["type"] == spec["type"], name
        assert options[name].get("default") == spec.get("default"), name
        assert options[name].get("elements") == spec.get("elements"), name
        assert sorted(options[name].get("aliases", [])) == sorted(spec.get("aliases", [])), name
    suboptions = options["churn"]["suboptions"]
    assert sorted(suboptions) == sorted(module.ARGUMENT_SPEC["churn"]["options"])
    for name, spec in module.ARGUMENT_SPEC["churn"]["options"].items():
        assert suboptions[name]["type"] == spec["type"] and suboptions[name].get("default") == spec.get("default")
    assert DOC["extends_documentation_fragment"] == ["dr.asr.vsphere", "dr.asr.azure"]
    assert DOC["attributes"]["check_mode"]["support"] == "full"
    assert DOC["attributes"]["diff_mode"]["support"] == "none"


def test_notes_document_every_rule_with_its_source():
    notes = " ".join(DOC["notes"])
    for rule_id, _fn, doc in readiness.RULES + readiness.CHURN_RULES:
        assert "C(%s)" % rule_id in notes, rule_id
        assert doc.split("#")[0] in notes or doc == readiness.VSPHERE_4KN_DOC, rule_id


def test_return_documents_every_key(fake):
    perf_samples = add_perf_manager(fake, lambda *a: [100, 200])
    assert perf_samples
    result = run(fake, churn={"interval": 1800}, names=["web-02"])
    assert sorted(k for k in result if k != "changed") == sorted(k for k in RETURN if k != "target_vm_size")
    vm = result["vms"][0]
    documented = RETURN["vms"]["contains"]
    assert sorted(vm) == sorted(documented)
    assert sorted(vm["checks"][0]) == sorted(documented["checks"]["contains"])
    assert sorted(vm["churn"]) == sorted(documented["churn"]["contains"])
    assert sorted(vm["churn"]["disks"][0]) == sorted(documented["churn"]["contains"]["disks"]["contains"])
    assert sorted(result["summary"]) == sorted(RETURN["summary"]["contains"])
    assert sorted(result["churn"]) == sorted(RETURN["churn"]["contains"])


def test_return_documents_the_target_size(fake, azure):
    result = run(fake, target_vm_size="Standard_D2s_v5", location="westeurope", names=["web-01"])
    assert sorted(result["target_vm_size"]) == sorted(RETURN["target_vm_size"]["sample"])
