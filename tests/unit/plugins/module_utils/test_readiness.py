# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The readiness rules, one by one, with facts dicts shaped like collect_vm_facts returns them."""

from __future__ import annotations

import pytest

from ansible_collections.dr.asr.plugins.module_utils import _readiness as r


def disk(index, size_gb, controller="scsi0", **kw):
    out = dict(label="Hard disk %d" % (index + 1), key=2000 + index, size_gb=float(size_gb), controller=controller,
               controller_type="paravirtual", unit_number=index % 16, mode="persistent", sharing="sharingNone",
               backing="flat")
    out.update(kw)
    return out


def nic(ips, index=0):
    return dict(label="Network adapter %d" % (index + 1), key=4000 + index, ip_addresses=list(ips))


def vm(**kw):
    facts = dict(name="web-01", moid="vm-1", bios_uuid="4210a1b2-0000-4000-8000-00000000e001", power_state="poweredOn",
                 guest_id="rhel8_64Guest", guest_family="linux", is_64bit=True, firmware="bios", secure_boot=False,
                 disks=[disk(0, 60)], nics=[nic(["10.0.0.1"])], tools_running_status="guestToolsRunning",
                 esxi_version="8.0.2", host="esx01.lab.local", os_disk_basis="controller_order")
    facts.update(kw)
    if "os_disk" not in kw:
        facts["os_disk"] = facts["disks"][0] if facts["disks"] else None
    return facts


def run(rule, facts, **ctx):
    return rule(facts, ctx)


SIZE = dict(name="Standard_D2s_v5", max_nics=2, max_data_disks=4, hyperv_generations=["V1", "V2"])


# -- versions -------------------------------------------------------------------------------------
@pytest.mark.parametrize("version, status", [
    ("5.5.0", r.FAIL), ("6.0.0", r.FAIL), ("6.5.0", r.PASS), ("6.7.0", r.PASS), ("7.0.3", r.PASS),
    ("8.0.2", r.PASS), ("8.0", r.PASS), ("9.0.0", r.WARN), ("7.1.0", r.FAIL), ("garbage", r.FAIL)])
def test_esxi_version(version, status):
    result = run(r.rule_esxi_version, vm(esxi_version=version))
    assert result["status"] == status and result["measured"] == version
    assert result["limit"] == "6.5, 6.7, 7.0, 8.0"
    assert (result["fix"] is None) == (status == r.PASS)


def test_esxi_version_unknown_warns():
    assert run(r.rule_esxi_version, vm(esxi_version=None))["status"] == r.WARN


def test_vcenter_version():
    assert run(r.rule_vcenter_version, vm(), vcenter={"version": "8.0.2", "api_type": "VirtualCenter"})["status"] == r.PASS
    assert run(r.rule_vcenter_version, vm(), vcenter={"version": "6.0.0", "api_type": "VirtualCenter"})["status"] == r.FAIL
    assert run(r.rule_vcenter_version, vm(), vcenter={"version": "8.0.2", "api_type": "HostAgent"})["status"] == r.SKIP
    assert run(r.rule_vcenter_version, vm())["status"] == r.SKIP


# -- guest OS ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("guest_id, family, status", [
    ("windows2022srvNext_64Guest", "windows", r.PASS),   # Windows Server 2025
    ("windows2019srvNext_64Guest", "windows", r.PASS),   # 2022
    ("windows2019srv_64Guest", "windows", r.PASS),
    ("windows9Server64Guest", "windows", r.PASS),        # 2016
    ("windows8Server64Guest", "windows", r.PASS),        # 2012 / 2012 R2
    ("windows7Server64Guest", "windows", r.PASS),        # 2008 R2
    ("winLonghorn64Guest", "windows", r.FAIL),           # 2008: migration only
    ("winNetStandard64Guest", "windows", r.FAIL),        # 2003
    ("winXPPro64Guest", "windows", r.FAIL),
    ("windows9_64Guest", "windows", r.PASS),             # Windows 10
    ("windows11_64Guest", "windows", r.WARN),            # not listed
    ("rhel4_64Guest", "linux", r.FAIL),
    ("rhel5_64Guest", "linux", r.PASS),
    ("rhel10_64Guest", "linux", r.PASS),
    ("rhel11_64Guest", "linux", r.WARN),
    ("oracleLinux6_64Guest", "linux", r.PASS),
    ("oracleLinux10_64Guest", "linux", r.WARN),
    ("oracleLinux64Guest", "linux", r.FAIL),
    ("debian6_64Guest", "linux", r.FAIL),
    ("debian7_64Guest", "linux", r.PASS),
    ("debian12_64Guest", "linux", r.PASS),
    ("debian13_64Guest", "linux", r.WARN),
    ("sles10_64Guest", "linux", r.FAIL),
    ("sles11_64Guest", "linux", r.PASS),
    ("sles15_64Guest", "linux", r.PASS),
    ("sles16_64Guest", "linux", r.WARN),
    ("ubuntu64Guest", "linux", r.PASS),
    ("rockylinux_64Guest", "linux", r.PASS),
    ("centos7_64Guest", "linux", r.WARN),                # dropped from the matrix (EOL)
    ("almalinux_64Guest", "linux", r.WARN),
    ("other5xLinux64Guest", "linux", r.WARN),
    ("otherGuest64", "other", r.WARN),
    ("otherGuest", "other", r.WARN),
    ("freebsd13_64Guest", "other", r.FAIL),
    ("solaris11_64Guest", "other", r.FAIL),
    ("darwin20_64Guest", "other", r.FAIL),
    (None, None, r.WARN),
])
def test_guest_os(guest_id, family, status):
    result = run(r.rule_guest_os, vm(guest_id=guest_id, guest_family=family))
    assert result["status"] == status, result["message"]
    assert result["measured"] == guest_id


def test_guest_os_linux_pass_mentions_stock_kernels():
    assert "stock kernels" in run(r.rule_guest_os, vm())["message"]


@pytest.mark.parametrize("is_64, status", [(True, r.PASS), (False, r.FAIL), (None, r.WARN)])
def test_guest_os_arch(is_64, status):
    assert run(r.rule_guest_os_arch, vm(is_64bit=is_64))["status"] == status


# -- disks ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("firmware, size, status", [
    ("bios", 2048, r.PASS), ("bios", 2048.001, r.FAIL), ("bios", 2049, r.FAIL), ("bios", 3000, r.FAIL),
    ("efi", 2049, r.PASS), ("efi", 4095, r.PASS), ("efi", 4095.5, r.FAIL), ("efi", 4096, r.FAIL)])
def test_os_disk_size_by_generation(firmware, size, status):
    result = run(r.rule_os_disk_size, vm(firmware=firmware, disks=[disk(0, size)]))
    assert result["status"] == status
    assert result["limit"] == (2048 if firmware == "bios" else 4095)
    assert result["measured"] == float(size)


def test_os_disk_size_fix_suggests_uefi_only_on_bios():
    assert "UEFI" in run(r.rule_os_disk_size, vm(disks=[disk(0, 3000)]))["fix"]
    assert "UEFI" not in run(r.rule_os_disk_size, vm(firmware="efi", disks=[disk(0, 5000)]))["fix"]


def test_os_disk_count():
    assert run(r.rule_os_disk_count, vm(disks=[]))["status"] == r.FAIL
    assert run(r.rule_os_disk_size, vm(disks=[]))["status"] == r.SKIP
    ok = run(r.rule_os_disk_count, vm(disks=[disk(0, 60), disk(1, 100)]))
    assert ok["status"] == r.PASS and "Hard disk 1" in ok["message"]


@pytest.mark.parametrize("data, status", [(0, r.PASS), (64, r.PASS), (65, r.FAIL)])
def test_data_disk_count(data, status):
    disks = [disk(i, 10, controller="scsi%d" % (i // 16)) for i in range(data + 1)]
    result = run(r.rule_data_disk_count, vm(disks=disks))
    assert result["status"] == status and result["measured"] == data and result["limit"] == 64


@pytest.mark.parametrize("size, status", [(1, r.PASS), (0.999, r.FAIL), (32767, r.PASS), (32768, r.FAIL)])
def test_data_disk_size(size, status):
    result = run(r.rule_disk_size, vm(disks=[disk(0, 60), disk(1, size)]))
    assert result["status"] == status
    if status == r.FAIL:
        assert result["measured"] == ["Hard disk 2: %s GB" % r._num(float(size))]


def test_disk_size_leaves_the_os_disk_maximum_to_os_disk_size():
    assert run(r.rule_disk_size, vm(firmware="efi", disks=[disk(0, 40000)]))["status"] == r.PASS
    assert run(r.rule_disk_size, vm(disks=[disk(0, 0.5)]))["status"] == r.FAIL  # the minimum applies to it


@pytest.mark.parametrize("mode, status", [("persistent", r.PASS), ("independent_persistent", r.FAIL),
                                          ("independent_nonpersistent", r.FAIL), ("nonpersistent", r.FAIL)])
def test_independent_disk(mode, status):
    result = run(r.rule_independent_disk, vm(disks=[disk(0, 60), disk(1, 200, mode=mode)]))
    assert result["status"] == status
    if status == r.FAIL:
        assert result["measured"] == ["Hard disk 2: %s" % mode]


def test_shared_disk():
    assert run(r.rule_shared_disk, vm())["status"] == r.PASS
    multi = run(r.rule_shared_disk, vm(disks=[disk(0, 60), disk(1, 1024, sharing="sharingMultiWriter")]))
    assert multi["status"] == r.FAIL and multi["measured"] == ["Hard disk 2: multi-writer"]
    shared_bus = disk(1, 100, controller="scsi1", bus_sharing="physicalSharing")
    bus = run(r.rule_shared_disk, vm(disks=[disk(0, 60), shared_bus]))
    assert bus["status"] == r.FAIL and bus["measured"] == ["Hard disk 2: physical bus sharing on scsi1"]
    virtual = run(r.rule_shared_disk, vm(disks=[disk(0, 60, bus_sharing="virtualSharing")]))
    assert virtual["status"] == r.FAIL


def test_disk_sector_size():
    for backing in ("flat", "sesparse", "rdm_virtual", "rdm_physical"):
        assert run(r.rule_disk_sector_size, vm(disks=[disk(0, 60, backing=backing)]))["status"] == r.PASS
    other = run(r.rule_disk_sector_size, vm(disks=[disk(0, 60), disk(1, 10, backing="other")]))
    assert other["status"] == r.WARN and other["measured"] == ["Hard disk 2: other"]


def test_nvme_only_fails_on_linux():
    nvme = [disk(0, 128, controller="nvme0"), disk(1, 256, controller="nvme0")]
    assert run(r.rule_nvme_linux, vm(disks=nvme))["status"] == r.FAIL
    assert run(r.rule_nvme_linux, vm(disks=nvme, guest_family="windows",
                                     guest_id="windows2019srvNext_64Guest"))["status"] == r.PASS
    assert run(r.rule_nvme_linux, vm())["status"] == r.PASS


# -- firmware ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("firmware, secure, status", [("bios", False, r.PASS), ("efi", False, r.PASS),
                                                      ("efi", True, r.FAIL)])
def test_secure_boot(firmware, secure, status):
    assert run(r.rule_secure_boot, vm(firmware=firmware, secure_boot=secure))["status"] == status


@pytest.mark.parametrize("guest_id, firmware, status", [
    ("windows7Server64Guest", "efi", r.FAIL), ("winLonghorn64Guest", "efi", r.FAIL),
    ("oracleLinux6_64Guest", "efi", r.FAIL), ("windows7Server64Guest", "bios", r.PASS),
    ("windows2019srv_64Guest", "efi", r.PASS)])
def test_uefi_os(guest_id, firmware, status):
    assert run(r.rule_uefi_os, vm(guest_id=guest_id, firmware=firmware))["status"] == status


# -- name -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, valid", [
    ("a" * 63, True), ("a" * 64, False), ("", False), ("web-01", True), ("WEB01", True), ("1", True),
    ("sql_prod_01.", False), ("-web", False), ("web-", False), ("web 01", False), ("web--01", True),
    ("azure", False), ("Azure", False), ("azure-01", True), ("my-windows-box", False), ("MicrosoftSQL", False),
    ("loginserver", False), ("server-login", True), ("café", False)])
def test_vm_name(name, valid):
    result = run(r.rule_vm_name, vm(name=name))
    assert (result["status"] == r.PASS) is valid, result["message"]
    assert result["measured"] == name


@pytest.mark.parametrize("name, expected", [
    ("web-01", "web-01"), ("sql_prod_01.", "sql-prod-01"), ("my windows box", "my-win-box"),
    ("MicrosoftSQL", "msSQL"), ("loginserver", "vm-loginserver"), ("xbox", "xbox-vm"), ("café_01", "cafe-01"),
    ("___", "vm-1"), ("-a-", "a"), ("a" * 62 + "_b", "a" * 62)])
def test_azure_vm_name(name, expected):
    sanitized = r.azure_vm_name(name, "vm-1")
    assert sanitized == expected
    assert r.name_problems(sanitized) == []


def test_vm_name_fix_names_the_azure_name():
    result = run(r.rule_vm_name, vm(name="sql_prod_01."))
    assert result["status"] == r.FAIL and "'sql-prod-01'" in result["fix"]
    assert "'.'" in result["message"] and "'_'" in result["message"] and "start and end" in result["message"]


def test_long_invalid_names_are_cut_to_63():
    name = "x" * 70 + "."
    assert len(r.azure_vm_name(name)) == 63
    assert "70" not in run(r.rule_vm_name, vm(name="a" * 64))["message"] and \
        "64 characters" in run(r.rule_vm_name, vm(name="a" * 64))["message"]


# -- identity and network -----------------------------------------------------------------------------
def test_bios_uuid_duplicates_among_the_vms_checked():
    a, b, c = vm(moid="vm-1"), vm(moid="vm-2", name="clone"), vm(moid="vm-3", bios_uuid="other")
    ctx = r.context([a, b, c])
    assert r.rule_bios_uuid(a, ctx)["status"] == r.FAIL
    assert r.rule_bios_uuid(c, ctx)["status"] == r.PASS
    assert r.rule_bios_uuid(vm(bios_uuid=None), ctx)["status"] == r.WARN


@pytest.mark.parametrize("ips, status", [
    (["10.0.0.1"], r.PASS), (["10.0.0.1", "fe80::1"], r.PASS), (["2001:db8::5"], r.FAIL),
    (["fe80::250:56ff:fe9a:1234%ens192"], r.FAIL), ([], r.PASS)])
def test_ipv6_only(ips, status):
    result = run(r.rule_ipv6_only, vm(nics=[nic(["192.168.1.1"], 0), nic(ips, 1)]))
    assert result["status"] == status
    if status == r.FAIL:
        assert result["measured"] == ["Network adapter 2"]


def test_ipv6_only_skips_without_guest_data():
    assert run(r.rule_ipv6_only, vm(nics=[nic([])], tools_running_status="guestToolsNotRunning"))["status"] == r.SKIP


@pytest.mark.parametrize("count, status", [(0, r.WARN), (1, r.PASS), (2, r.PASS), (3, r.FAIL)])
def test_nic_count_against_the_target_size(count, status):
    result = run(r.rule_nic_count, vm(nics=[nic(["10.0.0.%d" % i], i) for i in range(count)]), target_size=SIZE)
    assert result["status"] == status and result["limit"] == 2


def test_target_rules_skip_without_a_target_size():
    for rule in (r.rule_nic_count, r.rule_vm_generation, r.rule_target_data_disks):
        result = run(rule, vm())
        assert result["status"] == r.SKIP and "target_vm_size" in result["message"]


@pytest.mark.parametrize("firmware, generations, status", [
    ("bios", ["V1", "V2"], r.PASS), ("efi", ["V1", "V2"], r.PASS), ("bios", ["V2"], r.FAIL),
    ("efi", ["V2"], r.PASS), ("efi", ["V1"], r.FAIL), ("efi", [], r.SKIP)])
def test_vm_generation(firmware, generations, status):
    result = run(r.rule_vm_generation, vm(firmware=firmware), target_size=dict(SIZE, hyperv_generations=generations))
    assert result["status"] == status


@pytest.mark.parametrize("data, status", [(4, r.PASS), (5, r.FAIL)])
def test_target_data_disks(data, status):
    disks = [disk(i, 10) for i in range(data + 1)]
    assert run(r.rule_target_data_disks, vm(disks=disks), target_size=SIZE)["status"] == status


@pytest.mark.parametrize("state, status", [("poweredOn", r.PASS), ("poweredOff", r.WARN), ("suspended", r.WARN)])
def test_power_state(state, status):
    assert run(r.rule_power_state, vm(power_state=state))["status"] == status


@pytest.mark.parametrize("tools, status", [("guestToolsRunning", r.PASS), ("guestToolsNotRunning", r.WARN),
                                           (None, r.WARN)])
def test_vmware_tools(tools, status):
    assert run(r.rule_vmware_tools, vm(tools_running_status=tools))["status"] == status


# -- churn ------------------------------------------------------------------------------------------
OPTIONS = dict(interval=300, percentile=95, growth_percent=0)


@pytest.mark.parametrize("size, tier", [(4, "P1"), (64, "P6"), (128, "P10"), (128.001, "P15"), (256, "P15"),
                                        (257, "P20"), (4096, "P50"), (32767, "P80"), (40000, None)])
def test_premium_tier(size, tier):
    assert r.premium_tier(size) == tier


@pytest.mark.parametrize("disk_type, row, io_kb, mbps", [
    ("Standard_LRS", None, None, 2), ("Standard_LRS", None, 64, 2),
    ("Premium_LRS", "P10-P15", None, 2), ("Premium_LRS", "P10-P15", 4, 2), ("Premium_LRS", "P10-P15", 15.9, 2),
    ("Premium_LRS", "P10-P15", 16, 4), ("Premium_LRS", "P10-P15", 32, 8), ("Premium_LRS", "P10-P15", 256, 8),
    ("Premium_LRS", "P20-P50", 8, 5), ("Premium_LRS", "P20-P50", 16, 20), ("Premium_LRS", "P20-P50", 64, 20)])
def test_churn_limits(disk_type, row, io_kb, mbps):
    assert r.churn_limit(disk_type, row, io_kb) == mbps


def test_premium_rows():
    assert [r.premium_row(t) for t in ("P6", "P10", "P15", "P20", "P50", "P80")] == \
        ["P10-P15", "P10-P15", "P10-P15", "P20-P50", "P20-P50", "P20-P50"]


def test_percentile_is_nearest_rank():
    values = list(range(1, 101))
    assert r.percentile(values, 95) == 95 and r.percentile(values, 100) == 100 and r.percentile([], 95) is None
    assert r.percentile([7], 95) == 7


def mbps(value):
    return int(value * 1024)


@pytest.mark.parametrize("size, kbps, iops, expected, limit", [
    (60, mbps(2), None, "Standard_LRS", 2),                  # exactly the standard limit
    (60, mbps(2.1), None, None, 2),                          # P6, 8 KB row: 2 MB/s either way
    (200, mbps(3.9), mbps(3.9) // 16, "Premium_LRS", 4),     # P15 at 16 KB writes
    (500, mbps(5), None, "Premium_LRS", 5),                  # P20 at unknown (8 KB) writes
    (500, mbps(19), mbps(19) // 32, "Premium_LRS", 20),      # P20 at 32 KB writes
    (500, mbps(21), mbps(21) // 32, None, 20)])              # over every limit
def test_disk_churn_recommendation(size, kbps, iops, expected, limit):
    series = {"write_kbps": [0, kbps, kbps // 2], "write_iops": [0, iops, iops // 2] if iops else []}
    result = r.assess_disk_churn(disk(0, size), series, OPTIONS)
    assert result["recommended_disk_type"] == expected and result["limit_mbps"] == limit
    assert result["status"] == (r.PASS if expected else r.FAIL)


def test_disk_churn_growth_and_io_size():
    series = {"write_kbps": [1024] * 19 + [4096], "write_iops": [64] * 20}
    result = r.assess_disk_churn(disk(0, 100), series, dict(OPTIONS, growth_percent=30))
    assert result["write_mbps"] == 1.0 and result["peak_mbps"] == 4.0 and result["planned_mbps"] == 1.3
    assert result["write_io_kb"] == round((1024 * 19 + 4096) / (64 * 20.0), 1)
    assert result["recommended_disk_type"] == "Standard_LRS" and result["premium_tier"] == "P10"
    assert result["samples"] == 20


def test_disk_churn_without_samples_skips():
    result = r.assess_disk_churn(disk(0, 100), {"write_kbps": []}, OPTIONS)
    assert result["status"] == r.SKIP and result["recommended_disk_type"] is None


def churn_vm(*rates):
    disks = [disk(i, 600) for i in range(len(rates))]
    stats = {"disks": dict(("scsi0:%d" % i, {"write_kbps": [mbps(rate)] * 3}) for i, rate in enumerate(rates))}
    facts = vm(disks=disks)
    return facts, r.assess_churn(facts, stats, OPTIONS)


def test_vm_churn_limit_is_54_mbps():
    facts, ok = churn_vm(18, 18, 18)
    assert ok["status"] == r.PASS and ok["vm_planned_mbps"] == 54.0
    facts, over = churn_vm(18, 18, 18.1)
    assert over["status"] == r.FAIL
    result = r.rule_churn_vm(facts, {"churn": {facts["moid"]: over}})
    assert result["status"] == r.FAIL and result["limit"] == 54


def test_churn_rules():
    facts, assessment = churn_vm(1, 30)
    ctx = {"churn": {facts["moid"]: assessment}}
    result = r.rule_churn_disk(facts, ctx)
    assert result["status"] == r.FAIL and result["measured"] == {"Hard disk 1": 1.0, "Hard disk 2": 30.0}
    # 600 GB: a P30 replica; the write size is unknown, so the 8 KB row (5 MB/s) applies
    assert result["limit"] == {"Hard disk 1": 2, "Hard disk 2": 5} and "Hard disk 2 30.0 > 5" in result["message"]
    assert r.rule_churn_vm(facts, ctx)["status"] == r.PASS


def test_churn_rules_skip_with_the_reason():
    facts = vm()
    assessment = r.assess_churn(facts, {"disks": {}, "reason": "level 1"}, OPTIONS)
    ctx = {"churn": {facts["moid"]: assessment}}
    for rule in (r.rule_churn_disk, r.rule_churn_vm):
        result = rule(facts, ctx)
        assert result["status"] == r.SKIP and "level 1" in result["message"]


def test_disk_instances():
    assert r.disk_instance(disk(1, 10, controller="scsi1")) == "scsi1:1"
    assert r.disk_instance(dict(disk(0, 10), controller=None)) is None


def test_churn_summary():
    _facts, a = churn_vm(12)
    summary = r.churn_summary([a, a])
    assert summary == {"vms_with_data": 2, "planned_mbps": 24.0, "gb_per_day": 2025.0, "process_servers": 1}
    _facts, b = churn_vm(13)
    assert r.churn_summary([b, b])["process_servers"] == 2


# -- putting it together ------------------------------------------------------------------------------
def test_evaluate_a_clean_vm_passes():
    result = r.evaluate(vm(), r.context([vm()], vcenter={"version": "8.0.2", "api_type": "VirtualCenter"}))
    assert result["result"] == r.PASS and result["failed"] == [] and result["warnings"] == []
    assert [c["rule_id"] for c in result["checks"]] == [rule_id for rule_id, _fn, _doc in r.RULES]
    assert all(set(c) == {"rule_id", "status", "measured", "limit", "message", "fix"} for c in result["checks"])
    assert result["azure_vm_name"] == "web-01"


def test_evaluate_collects_failures_and_warnings():
    facts = vm(name="sql_prod_01.", power_state="poweredOff", disks=[disk(0, 3000)])
    result = r.evaluate(facts, r.context([facts]))
    assert result["result"] == r.FAIL
    assert result["failed"] == ["os-disk-size", "vm-name"] and result["warnings"] == ["power-state"]
    assert result["azure_vm_name"] == "sql-prod-01"
    assert all(c["fix"] for c in result["checks"] if c["status"] in (r.FAIL, r.WARN))
    assert all(c["fix"] is None for c in result["checks"] if c["status"] in (r.PASS, r.SKIP))


def test_evaluate_warn_only():
    facts = vm(tools_running_status="guestToolsNotRunning")
    assert r.evaluate(facts, r.context([facts]))["result"] == r.WARN


def test_churn_rules_only_when_churn_is_on():
    facts = vm()
    assert "churn-disk" not in [c["rule_id"] for c in r.evaluate(facts, r.context([facts]))["checks"]]
    ctx = r.context([facts], churn={})
    assert [c["rule_id"] for c in r.evaluate(facts, ctx)["checks"]][-2:] == ["churn-disk", "churn-vm"]


def test_rule_ids_are_unique_and_documented():
    ids = [rule_id for rule_id, _fn, _doc in r.RULES + r.CHURN_RULES]
    assert len(ids) == len(set(ids))
    assert all(r.RULE_DOCS[i].startswith("https://") for i in ids)


def test_summary_and_table():
    results = [r.evaluate(vm(name=name, **kw), {}) for name, kw in (
        ("web-01", {}), ("fs-archive-01", dict(disks=[disk(0, 3000)])),
        ("test-vm-01", dict(power_state="poweredOff", tools_running_status="guestToolsNotRunning")))]
    assert r.summarize(results) == {"pass": 1, "warn": 1, "fail": 1, "total": 3}
    assert r.table(results) == [
        "VM            | RESULT | FAILED (WARNINGS)",
        "web-01        | pass   |",
        "fs-archive-01 | fail   | os-disk-size",
        "test-vm-01    | warn   | (power-state, vmware-tools)",
        "3 VMs: 1 pass, 1 warn, 1 fail",
    ]


def test_table_cuts_long_names_and_handles_none():
    long_name = "n" * 50
    lines = r.table([r.evaluate(vm(name=long_name), {})])
    assert lines[1].startswith("n" * 37 + "... | pass") and len(lines[0].split(" | ", maxsplit=1)[0]) == 40
    assert r.table([]) == ["VM | RESULT | FAILED (WARNINGS)", "0 VMs: 0 pass, 0 warn, 0 fail"]
