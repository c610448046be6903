# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The protect role's decisions (plugins/filter/protect.py): pure functions over the role's variables and the
modules' results, shaped as dr.asr.source_vm_info, dr.asr.readiness, dr.asr.discovered_vm_info and
dr.asr.protected_item return them."""

from __future__ import annotations

from ansible_collections.dr.asr.plugins.filter import protect as f

VAULT = dict(name="rsv-dr", resource_group="rg-dr",
             id="/subscriptions/s/resourceGroups/rg-dr/providers/Microsoft.RecoveryServices/vaults/rsv-dr")
SOURCE = [dict(name=n, guest_family="linux", power_state="poweredOn") for n in ("web-01", "web-02", "db-01", "win-01")]
SOURCE[3]["guest_family"] = "windows"


def check(rule, status, message):
    return dict(rule_id=rule, status=status, message=message)


def readiness(name, result="pass", failed=(), warnings=(), checks=()):
    return dict(name=name, result=result, failed=list(failed), warnings=list(warnings), checks=list(checks))


def selected(protect_vms, **kwargs):
    return f.protect_selected(protect_vms, SOURCE, **kwargs)["vms"]


def ready(vms):
    return f.protect_readiness_gate(vms, [readiness(v["name"]) for v in vms], ["power-state"])


def item(name, state="Protected", phase="protected", progress=100):
    return dict(name="item-" + name, vm_name=name, state=state, phase=phase, progress=progress, health="Normal",
                rpo_seconds=30)


def vm_result(name, action="enable", changed=True, phase="protected", state="Protected", progress=100, error=None,
              with_item=True):
    return dict(name=name, action=action, changed=changed, phase=phase, state=state, progress=progress, error=error,
                job=None, item=item(name, state, phase, progress) if with_item else None)


# -- input and selection --------------------------------------------------------------------------------------------

def test_input_problems():
    numbers = dict(protect_wait_timeout=0, protect_enable_timeout=-1)
    problems = f.protect_input_problems([{"name": "web-01", "target_vm_sise": "x"}, "web-01", {"agent": "push"},
                                         {"name": "db-01", "agent": "robot", "mobility_service": "yes"}],
                                        {"names": ["web-*"]}, "vnet-dr-recovery", "", numbers)
    assert problems[0] == "set one of protect_vms (a list of VMs) and protect_vm_filter (a vCenter filter), not both"
    assert problems[1].startswith("protect_vms[0] (web-01): unknown key(s) target_vm_sise; valid: agent, appliance")
    assert problems[2] == 'protect_vms[2] has no name: {"agent": "push"}'
    assert problems[3] == "protect_vms[3] (db-01): agent robot is none of push, manual, preinstalled"
    assert problems[4] == "protect_vms[3] (db-01): mobility_service must be a dict"
    assert problems[5] == "protect_vms names web-01 more than once"
    assert problems[6] == "protect_enable_timeout cannot be negative"
    assert f.protect_input_problems([], {}, "x", "")[0].endswith("not neither")
    assert f.protect_input_problems([], {"names": None}, "x", "")[0].endswith("not neither")


def test_a_test_network_that_is_the_recovery_network():
    rid = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet-dr-recovery"
    assert f.protect_input_problems(["web-01"], {}, "vnet-dr-recovery", rid) == [
        "web-01: the test network %s is the recovery network vnet-dr-recovery; test failovers need another network "
        "(protect_test_network)" % rid]
    assert f.protect_input_problems([], {"folder": "x"}, "vnet-a", "VNET-A")[0].startswith("every VM: the test network")
    assert f.protect_input_problems([{"name": "web-01", "test_network": "vnet-t"}], {}, "vnet-a", "vnet-a") == []


def test_wait_options():
    assert f.protect_wait(3600, 3600, 0, 0) == dict(wait="protected", wait_timeout=3600, wait_round=60, wait_sleep=15)
    assert f.protect_wait(300, 3600, 3, 1) == dict(wait="protected", wait_timeout=300, wait_round=3, wait_sleep=1)
    assert f.protect_wait(28800, 3600, 15, 2)["wait_round"] == 288
    assert f.protect_wait(0, 1200, 0, 0) == dict(wait="enabled", wait_timeout=1200, wait_round=60, wait_sleep=15)


def test_selection_in_the_order_asked():
    out = f.protect_selected(["db-01", {"name": "web-01", "agent": "manual", "target_vm_size": "Standard_D4s_v5"},
                              {"name": "web-02", "agent": "manual", "host": "jump"}, "web-99"], SOURCE,
                             hosts=["g1", "web-01-guest"], hostvars={"g1": {}, "web-01-guest": {"protect_vm_name": "web-01"}})
    assert [v["name"] for v in out["vms"]] == ["db-01", "web-01", "web-02"]
    assert out["missing"] == ["web-99"] and out["hostless"] == []
    web = out["vms"][1]
    assert web["agent"] == "manual" and web["host"] == "web-01-guest" and web["overrides"] == {"target_vm_size": "Standard_D4s_v5"}
    assert out["vms"][2]["host"] == "jump" and out["vms"][0]["host"] is None
    assert f.protect_selected([{"name": "web-02", "agent": "manual"}], SOURCE, hosts=[])["hostless"] == ["web-02"]
    # a filter: every VM vCenter found, by name
    assert [v["name"] for v in f.protect_selected([], SOURCE)["vms"]] == ["db-01", "web-01", "web-02", "win-01"]


def test_readiness_gate():
    vms = selected(["web-01", "web-02", "db-01", "win-01"])
    gated = f.protect_readiness_gate(vms, [
        readiness("web-01"),
        readiness("web-02", "warn", warnings=["power-state", "guest-os"],
                  checks=[check("power-state", "warn", "The VM is powered off."), check("guest-os", "warn", "Old.")]),
        readiness("db-01", "fail", failed=["independent-disk"],
                  checks=[check("independent-disk", "fail", "Disks not in persistent (dependent) mode: Hard disk 2.")]),
    ], ["power-state", "vmware-tools"])
    by = dict((v["name"], v) for v in gated)
    assert by["web-01"]["ready"] and not by["web-01"]["skipped"] and by["web-01"]["reasons"] == []
    assert by["web-02"]["reasons"] == ["power-state (warning): The VM is powered off"] and by["web-02"]["skipped"]
    assert by["db-01"]["reasons"] == ["independent-disk: Disks not in persistent (dependent) mode: Hard disk 2"]
    assert by["win-01"]["readiness"] == "unknown" and by["win-01"]["skipped"]
    assert by["win-01"]["reasons"] == ["readiness: not checked (not found by dr.asr.readiness)"]
    assert f.protect_notes(gated, "not_ready") == [
        "web-02: power-state (warning): The VM is powered off",
        "db-01: independent-disk: Disks not in persistent (dependent) mode: Hard disk 2",
        "win-01: readiness: not checked (not found by dr.asr.readiness)"]
    warned = f.protect_readiness_gate(vms[:1], [readiness("web-01", "warn", warnings=["guest-os"])], ["power-state"])
    assert f.protect_notes(warned, "warned") == ["web-01: guest-os"] and warned[0]["ready"]


# -- the Mobility service ------------------------------------------------------------------------------------------

CREDENTIALS = [dict(name="linux-root", credential_type="LinuxServer"), dict(name="vc", credential_type="VMwareFabric")]


def test_credentials_and_mobility_vars():
    assert f.protect_credentials([dict(run_as_accounts=CREDENTIALS)]) == CREDENTIALS[:1]
    assert f.protect_credentials([]) == []
    # every appliance adds its own credentials: one per name and type over all of them (a VM may go through either)
    second = [dict(name="linux-root", credential_type="LinuxServer", appliance_name="a2"),
              dict(name="win-admin", credential_type="WindowsServer", appliance_name="a2")]
    assert f.protect_credentials([dict(run_as_accounts=[]), dict(run_as_accounts=second)]) == second
    assert [c["name"] for c in f.protect_credentials([dict(run_as_accounts=CREDENTIALS), dict(run_as_accounts=second)])] == \
        ["linux-root", "win-admin"]
    host = {"mobility_service_installer": "host.tar.gz", "mobility_service_lab": True, "ansible_host": "x"}
    assert f.protect_mobility_vars({"mobility_service_installer": "all.tar.gz", "mobility_service_remote_dir": "/t"}, host,
                                   {"mobility_service_config_json": "vm.json"}) == {
        "mobility_service_installer": "host.tar.gz", "mobility_service_remote_dir": "/t", "mobility_service_lab": True,
        "mobility_service_config_json": "vm.json"}


def gate(vms, discovered, **kwargs):
    args = dict(manual={}, credentials=CREDENTIALS, vault_name="rsv-dr", vault_resource_group="rg-dr", vault_new=False,
                check_mode=False, run_as_account="")
    args.update(kwargs)
    return dict((v["name"], v) for v in f.protect_agent_gate(vms, discovered, **args))


def test_agent_gate():
    vms = ready(selected(["web-01", {"name": "web-02", "agent": "preinstalled"}, "db-01", "win-01"]))
    discovered = [dict(name="web-01", protected=False, agent_registered=False),
                  dict(name="web-02", protected=False, agent_registered=False),
                  dict(name="win-01", protected=False, agent_registered=False)]
    by = gate(vms, discovered)
    assert not by["web-01"]["skipped"] and by["web-01"]["run_as_account"] == "linux-root"
    assert by["web-02"]["reasons"][0].startswith("agent preinstalled: no Mobility service on this VM is registered")
    assert by["db-01"]["reasons"][0].startswith("not discovered by the replication appliance (yet)")
    assert by["win-01"]["reasons"] == ["agent push: the appliance has 0 WindowsServer credential(s); set "
                                       "protect_run_as_account (or run_as_account of the VM)"]
    assert f.protect_notes(list(by.values()), "agent")[0].startswith("web-02: agent preinstalled")
    # a VM the vault protects already needs no agent decision; a given credential wins
    by = gate(vms, [dict(name="win-01", protected=True, agent_registered=True)] + discovered[:2], run_as_account="mine")
    assert not by["win-01"]["skipped"] and by["win-01"]["protected_before"] and by["web-01"]["run_as_account"] == "mine"
    # a vault to be created (check mode): nothing is discovered yet, push VMs are predicted
    by = gate(vms, [], vault_new=True, check_mode=True)
    assert not by["web-01"]["skipped"] and by["web-02"]["reasons"][0].endswith("(agent push)")
    assert "(a vault that does not exist yet)" in by["web-02"]["reasons"][0]


def test_manual_agents():
    vms = ready(selected([{"name": "web-01", "agent": "manual", "host": "g1"}]))
    discovered = [dict(name="web-01", protected=False, agent_registered=False)]
    installed = {"web-01": dict(installed=True, registered=False, agent_config_input="eyJ9", changed=True)}
    by = gate(vms, discovered, manual=installed)
    assert by["web-01"]["skipped"] and by["web-01"]["agent_config_input"] == "eyJ9"
    assert by["web-01"]["reasons"][0].startswith("agent manual: the Mobility service on g1 is installed but not registered "
                                                 "with the appliance of vault rsv-dr")
    here = {"web-01": dict(installed=True, registered=True, registration=dict(
        vault_id="/subscriptions/s/resourceGroups/RG-DR/providers/Microsoft.RecoveryServices/vaults/rsv-dr"))}
    by = gate(vms, discovered, manual=here, check_mode=True)
    assert not by["web-01"]["skipped"] and by["web-01"]["predict_enable"]
    assert gate(vms, [dict(discovered[0], agent_registered=True)], manual=here)["web-01"]["predict_enable"] is False


# -- replication ----------------------------------------------------------------------------------------------------

def test_entries():
    vms = gate(ready(selected(["web-01", {"name": "web-02", "target_vm_size": "Standard_D4s_v5", "policy": "p2"}, "db-01"])),
               [dict(name="web-01"), dict(name="web-02")])
    defaults = dict(policy="p1", appliance="", target_network="vnet-r", test_network="vnet-t", target_vm_tags={},
                    multi_vm_group=None)
    entries = f.protect_entries(list(vms.values()), defaults, {"linux_license_type": "RHEL"})
    assert entries == [
        dict(policy="p1", target_network="vnet-r", test_network="vnet-t", linux_license_type="RHEL", name="web-01",
             run_as_account="linux-root"),
        dict(policy="p2", target_network="vnet-r", test_network="vnet-t", linux_license_type="RHEL",
             target_vm_size="Standard_D4s_v5", name="web-02", run_as_account="linux-root")]


def protected_vms():
    vms = gate(ready(selected(["web-01", "web-02", "db-01"])),
               [dict(name="web-01"), dict(name="web-02", protected=True, agent_registered=True), dict(name="db-01")])
    return list(vms.values())


def test_results_of_the_run():
    vms = protected_vms()
    result = dict(changed=True, rounds=3, vms=[vm_result("web-01"), vm_result("web-02", "none", False),
                                               vm_result("db-01", "enable", True, None, None, None, dict(message="boom"),
                                                         with_item=False)])
    out = f.protect_results(vms, result)
    assert out["enabled"] == ["web-01", "db-01"] and out["replicating"] == ["web-02"]
    assert out["failed"] == [["db-01", "boom"]] and out["pending"] == [] and out["rounds"] == 3 and not out["timed_out"]
    assert out["vms"]["web-01"]["item"]["rpo_seconds"] == 30


def test_the_disks_step_gets_only_vms_whose_disks_differ_or_were_not_compared():
    vms = gate(ready(selected(["web-01", "web-02", "db-01", "app-01", "new-01", "bad-01"])),
               [dict(name=n, protected=n != "new-01", agent_registered=True)
                for n in ("web-01", "web-02", "db-01", "app-01", "new-01", "bad-01")])
    in_sync = dict(in_sync=True, add=[], removed=[])
    result = dict(changed=True, vms=[
        dict(vm_result("web-01", "none", False), disks=in_sync),
        dict(vm_result("web-02", "update", True), disks=dict(in_sync=False, add=[dict(id="d2")], removed=[])),
        dict(vm_result("db-01", "none", False), disks=dict(in_sync=False, add=[], removed=["{GUID-1}"])),
        vm_result("app-01", "attach", False),                                   # busy: not compared
        dict(vm_result("new-01"), disks=None),                                  # enabled by this run
        dict(vm_result("bad-01", "none", False, error=dict(message="boom")), disks=None)])
    out = f.protect_results(list(vms.values()), result)
    assert out["disk_vms"] == ["web-02", "db-01", "app-01"]
    assert out["vms"]["web-01"]["disks"] == in_sync
    assert f.protect_results(list(vms.values()), None)["disk_vms"] == []


def test_a_wait_that_ran_out_of_time_reports_progress():
    vms = protected_vms()
    partial = dict(changed=True, vms=[vm_result("web-01", phase="initial_replication", state="InitialReplicationInProgress",
                                                progress=40),
                                      vm_result("db-01", phase=None, state=None, progress=None, with_item=False)])
    result = dict(failed=False, failed_when_result=False, msg="Timed out", rounds=2, partial=partial, error=dict(kind="timeout"))
    out = f.protect_results(vms, result)
    assert out["timed_out"] and out["pending"] == ["web-01", "db-01"] and out["failed"] == []
    summary = f.protect_summary(vms, out, vault=VAULT, wait=dict(rounds=2, seconds=4))
    assert summary["replicating"] == ["web-01", "db-01"] and summary["protected"] == []
    by = dict((v["name"], v) for v in summary["vms"])
    assert by["web-01"]["progress"] == 40 and by["web-01"]["state"] == "InitialReplicationInProgress"


def test_a_run_that_failed_before_its_vms_fails_each_of_them():
    vms = protected_vms()
    out = f.protect_results(vms, dict(failed=False, failed_when_result=False, msg="no appliance", error=dict(kind="error", message="no appliance")))
    assert out["failed"] == [["web-01", "no appliance"], ["web-02", "no appliance"], ["db-01", "no appliance"]]
    assert all(r["action"] == "failed" for r in out["vms"].values())
    assert f.protect_results(vms, dict(skipped=True))["vms"] == {} and f.protect_results(vms, None)["rounds"] == 0


def test_predicted_results():
    vms = protected_vms()
    out = f.protect_results(vms, dict(skipped=True), predict=True)
    assert [(n, r["action"]) for n, r in out["vms"].items()] == [("web-01", "enable"), ("web-02", "none"), ("db-01", "enable")]
    assert out["pending"] == [] and out["rounds"] == 0
    assert f.protect_unreported(vms, out) == ["web-02"]


def test_the_items_of_vms_no_run_reported():
    vms = protected_vms()
    vms[1] = dict(vms[1], skipped=True, reasons=["power-state (warning): off"])
    results = f.protect_results(vms, dict(changed=True, vms=[vm_result("web-01"), vm_result("db-01")]))
    assert f.protect_unreported(vms, results) == ["web-02"]
    summary = f.protect_summary(vms, results, [item("web-02")], vault=VAULT)
    web02 = summary["vms"][1]
    assert web02["action"] == "skip" and web02["state"] == "Protected" and web02["progress"] == 100
    assert web02["item_name"] == "item-web-02" and summary["protected"] == ["web-01", "web-02", "db-01"]


def test_the_summary_and_its_table():
    vms = f.protect_readiness_gate(selected(["web-01", "web-02", "db-01", "win-01"]), [
        readiness("web-01", "warn", warnings=["guest-os"]), readiness("web-02"),
        readiness("db-01", "fail", failed=["shared-disk"], checks=[check("shared-disk", "fail", "Shared.")]),
        readiness("win-01")], ["power-state"])
    vms = list(gate(vms, [dict(name="web-01"), dict(name="web-02"), dict(name="win-01")]).values())
    results = f.protect_results(vms, dict(changed=True, rounds=2, vms=[
        vm_result("web-01"), vm_result("web-02", phase="initial_replication", state="InitialReplicationInProgress",
                                       progress=57)]))
    summary = f.protect_summary(vms, results, vault=VAULT, policy="p", failback_policy="p-failback", changed=False,
                                wait=dict(rounds=2, seconds=40), blocking=["power-state"])
    assert summary["changed"] and summary["wait"] == dict(rounds=2, seconds=40)
    assert summary["protected"] == ["web-01"] and summary["replicating"] == ["web-02"]
    assert summary["to_enable"] == ["web-01", "web-02"] and summary["failed"] == []
    assert [s["name"] for s in summary["skipped"]] == ["db-01", "win-01"]
    by = dict((v["name"], v) for v in summary["vms"])
    assert by["web-01"]["note"] == "warnings: guest-os" and by["db-01"]["note"] == "readiness: shared-disk"
    assert by["win-01"]["note"].startswith("agent push: the appliance has 0 WindowsServer")
    assert by["web-01"]["health"] == "Normal" and by["web-01"]["rpo_seconds"] == 30
    table = summary["table"]
    assert table[0] == "VM     | READINESS | AGENT | ACTION | STATE                        | PROGRESS | NOTE"
    assert table[1].startswith("web-01 | warn      | push  | enable | Protected                    | 100%     | warnings")
    assert table[-1] == "4 VMs: 1 protected, 1 replicating, 2 skipped, 0 failed"
    assert len(by["win-01"]["note"]) > 115 and table[4].endswith("...")
    check_mode = f.protect_summary(vms, results, vault=VAULT, check_mode=True)
    assert check_mode["table"][1].split(" | ")[3] == "would enable"
    assert check_mode["table"][-1].endswith("; check mode: would enable 2 (web-01, web-02)")
