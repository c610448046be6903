# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The failback role's decisions (plugins/filter/failback.py): pure functions over the role's variables and the
modules' results, shaped as the modules return them."""

from __future__ import annotations

import pytest

from ansible_collections.dr.asr.plugins.filter import failback as f

WHERE = {"failed_over": ("azure", "Recovery", "InMageRcm"), "committed": ("azure", "Recovery", "InMageRcm"),
         "reprotecting": ("azure", "Primary", "InMageRcmFailback"), "reprotected": ("azure", "Primary", "InMageRcmFailback"),
         "failed_back": ("on-premises", "Recovery", "InMageRcmFailback"),
         "failback_committed": ("on-premises", "Recovery", "InMageRcmFailback"),
         "initial_replication": ("on-premises", "Primary", "InMageRcm"), "protected": ("on-premises", "Primary", "InMageRcm"),
         "test_failover": ("on-premises", "Primary", "InMageRcm"), "failed": ("on-premises", "Primary", "InMageRcm")}


def info(name, phase, **extra):
    """A dr.asr.protected_item_info entry."""
    runs_in, location, provider = WHERE[phase]
    out = dict(vm_name=name, name="item-" + name, phase=phase, state="State-" + phase, runs_in=runs_in,
               active_location=location, provider=provider, test_failover_state=None, health="Normal", errors=[],
               allowed_operations=["Op-" + phase], current_job=None)
    out.update(extra)
    return out


def entry(name, phase, changed=False, **extra):
    """A protected_items entry of an action module."""
    runs_in, location, provider = WHERE[phase]
    out = dict(name=name, item_name="item-" + name, phase=phase, state="State-" + phase, runs_in=runs_in,
               active_location=location, provider=provider, test_failover_state=None, replication_health="Normal",
               allowed_operations=["Op-" + phase], current_job=None, action="start" if changed else "none",
               changed=changed, job=None)
    out.update(extra)
    return out


def start(plans=("rp-shop",), vms=(), **values):
    base = dict(failback_recovery_plans=list(plans), failback_vms=list(vms), failback_recovery_point_type="",
                failback_reprotect_timeout=14400, failback_timeout=7200, failback_commit_timeout=1800,
                failback_protection_timeout=14400, failback_wait_round_seconds=0, failback_wait_sleep=0,
                failback_commit=True, failback_reprotect_to_azure=True, failback_resume_manual_actions=False,
                check_mode=False)
    base.update(values)
    return f.failback_input(base)


PLANS = dict(recovery_plans=[dict(name="RP-Shop", groups=[dict(vms=["db-01"]), dict(vms=["web-01", "web-02"])]),
                             dict(name="rp-other", groups=[])])


def selected(phases, state=None, plans=None):
    state = f.failback_targets(state or start(), PLANS if plans is None else plans, "rsv")
    return f.failback_phases(state, dict(protected_items=[info(n, p) for n, p in phases.items()]), "rsv")


# -- input and selection ------------------------------------------------------------------------------------------

def test_input():
    state = start()
    assert state["problems"] == [] and (state["sleep"], state["round"]) == (15, 144)
    state = start((), (), failback_recovery_point_type="Latest", failback_wait_sleep=-1)
    assert state["problems"] == [
        "set failback_recovery_plans (recovery plans) and/or failback_vms (VM names): nothing to fail back",
        "failback_recovery_point_type must be empty, LatestCrashConsistent or LatestApplicationConsistent (a failback "
        "synchronizes the latest changes)", "failback_wait_sleep cannot be negative"]


def test_targets_from_the_plans_case_insensitive_in_boot_order():
    state = f.failback_targets(start(("rp-shop",), ("app-01",)), PLANS, "rsv")
    assert state["missing"] is None
    assert [(t["key"], t["vms"]) for t in state["targets"]] == [("plan:RP-Shop", ["db-01", "web-01", "web-02"]),
                                                                ("vms", ["app-01"])]
    assert state["vms"] == ["db-01", "web-01", "web-02", "app-01"]
    state = f.failback_targets(start(("rp-gone",)), PLANS, "rsv")
    assert state["missing"] == "Vault rsv has no recovery plan rp-gone; it has: RP-Shop, rp-other."


def test_steps_from_the_phases():
    state = selected({"db-01": "committed", "web-01": "reprotected", "web-02": "failback_committed"})
    assert state["refusal"] is None
    assert state["steps"] == {"reprotect_onprem": ["db-01"], "failback": ["db-01", "web-01"],
                              "commit": ["db-01", "web-01"], "reprotect_azure": ["db-01", "web-01", "web-02"]}
    assert state["plan_text"] == ("3 VM(s) in recovery plan RP-Shop. Phases: db-01 committed, web-01 reprotected, web-02 "
                                  "failback_committed. Steps: reprotect_onprem, failback, commit, reprotect_azure")
    # a failover whose commit is pending is reprotected too (ASR commits it on the way) [recorded]
    assert selected({"db-01": "failed_over", "web-01": "protected", "web-02": "protected"})["steps"][
        "reprotect_onprem"] == ["db-01"]
    done = selected({"db-01": "protected", "web-01": "protected", "web-02": "protected"})
    assert all(not v for v in done["steps"].values())
    assert done["plan_text"].endswith("Every VM is back on-premises and replicates to Azure: nothing to do.")


def test_refusals():
    state = selected({"db-01": "committed", "web-01": "test_failover"})
    assert state["refusal"] == "Vault rsv replicates no VM web-02 (VM names as vCenter spells them)."
    state = selected({"db-01": "committed", "web-01": "test_failover", "web-02": "failed"})
    assert state["refusal"] == (
        "Cannot fail back: web-01 is test_failover (state State-test_failover, active location Primary, test failover "
        "state None, provider InMageRcm; allowed operations: Op-test_failover). Clean up the test failover first "
        "(dr.asr.test_failover state=absent); the VM has not failed over.; web-02 is failed (state State-failed, active "
        "location Primary, test failover state None, provider InMageRcm; allowed operations: Op-failed). Restart its "
        "failed job (dr.asr.job action=restart), or disable replication and enable it again.")


# -- reprotect to on-premises ---------------------------------------------------------------------------------------

def test_datastores():
    state = selected({"db-01": "committed", "web-01": "committed", "web-02": "reprotecting"})
    source = dict(vms=[dict(name="db-01", os_disk=dict(datastore="ds-a")), dict(name="web-01", os_disk=dict(datastore="ds-b")),
                       dict(name="web-02", os_disk=dict(datastore="ds-x"))])
    appliances = dict(appliances=[dict(reprotect_agent=dict(accessible_datastores=["ds-a", "ds-b"]))])
    out = f.failback_datastores(state, source, appliances, "")
    # each VM's own datastore when the agent reaches it; ds-x is not reached and the agent has two: no choice
    assert [(c["key"], c["vms"]) for c in out["calls"]["reprotect_onprem"]] == [
        ("onprem:ds-a", ["db-01"]), ("onprem:ds-b", ["web-01"])]
    assert out["datastore_refusal"] == ("No datastore to recover web-02 to: its datastore is not one the appliance "
                                        "reaches. Set failback_datastore to one of: ds-a, ds-b.")
    assert [c["key"] for c in out["early_start"]] == ["onprem:ds-b"]
    one = dict(appliances=[dict(reprotect_agent=dict(accessible_datastores=["ds-only"]))])
    out = f.failback_datastores(state, dict(vms=[]), one, "")
    assert [c["label"] for c in out["calls"]["reprotect_onprem"]] == ["db-01, web-01, web-02 to ds-only"]
    out = f.failback_datastores(state, {"skipped": True}, {"skipped": True}, "ds-given")
    assert out["calls"]["reprotect_onprem"][0]["datastore"] == "ds-given" and out["datastore_refusal"] is None
    out = f.failback_datastores(state, dict(vms=[]), appliances, "")
    assert out["datastore_refusal"].startswith("No datastore to recover db-01, web-01, web-02 to: the VM is not in vCenter")


def test_reprotect_results_and_timeout():
    state = selected({"db-01": "committed", "web-01": "reprotecting", "web-02": "reprotected"})
    state = f.failback_datastores(state, None, None, "ds-1")
    call = state["calls"]["reprotect_onprem"][0]
    run = dict(changed=True, rounds=4, protected_items=[entry("db-01", "reprotected", changed=True),
                                                        entry("web-01", "reprotected", action="attach")],
               __failback_call=call)
    out = f.failback_results(state, "reprotect_onprem", [run], [], 400, 100)
    assert out["done"] == {"reprotect_onprem": ["db-01"]}
    assert out["items"]["db-01"]["phase"] == "reprotected" and out["before"]["db-01"]["phase"] == "committed"
    assert out["waited"] == {"reprotect_onprem": {"rounds": 4, "seconds": 300}}
    assert out["stopped_waiting"] is None
    late = dict(failed=False, failed_when_result=False, rounds=100, changed=False, error=dict(kind="timeout"), __failback_call=call,
                partial=dict(changed=False, protected_items=[entry("db-01", "reprotecting")]))
    out = f.failback_results(state, "reprotect_onprem", [late], [], 14500, 0)
    assert out["items"]["db-01"]["phase"] == "reprotecting"
    assert out["stopped_waiting"] == (
        "Stopped waiting after 241m40s (failback_reprotect_timeout): the reprotect to on-premises (synchronization) of "
        "db-01, web-01 to ds-1 still runs. Nothing is wrong with that: run the same again to keep waiting - it attaches "
        "to the running jobs and never starts a step twice.")


# -- failback, manual actions, commit ----------------------------------------------------------------------------

def suspended_plan_job():
    return dict(name="pj", state="Suspended", scenario="PlannedFailover",
                tasks=[dict(friendly_name="Group 1: Pre-steps: stop-app", state="Suspended")])


def test_failback_calls_and_manual_action():
    state = f.failback_targets(start(("rp-shop",), ("app-01",)), PLANS, "rsv")
    state = f.failback_phases(state, dict(protected_items=[info(n, "reprotected") for n in ("db-01", "web-01", "web-02")]
                                          + [info("app-01", "failback_committed")]), "rsv")
    state = f.failback_calls(state, "failback")
    assert [c["key"] for c in state["calls"]["failback"]] == ["plan:RP-Shop"] and state["early_start"] == []
    plan = state["calls"]["failback"][0]
    run = dict(changed=True, rounds=1, protected_items=[entry(n, "reprotected") for n in plan["vms"]],
               recovery_plan=dict(kind="recovery_plan", action="start", changed=True, job=suspended_plan_job()),
               __failback_call=plan)
    out = f.failback_results(state, "failback", [run], [], 10, 0)
    assert out["done"]["failback"] == ["db-01", "web-01", "web-02"]
    assert list(out["suspended"]) == ["plan:RP-Shop"] and out["resume_jobs"] == []
    assert "The failback of recovery plan RP-Shop waits at manual action 'Group 1: Pre-steps: stop-app' (job pj" \
        in out["manual_action_message"]
    assert "failback_resume_manual_actions: true" in out["manual_action_message"]
    summary = f.failback_summary(out, "rsv", "rg")
    assert summary["waiting_at_manual_action"] == ["recovery plan RP-Shop"]
    assert summary["recovery_plans"][0]["job_state"] == "Suspended"
    assert "plan RP-Shop: reprotected, job pj Suspended, waits at manual action: Group 1: Pre-steps: stop-app" \
        in summary["table"]
    # resumed: the job goes on, the VMs are read again
    state = dict(state, resume=True)
    out = f.failback_results(state, "failback", [run], [], 10, 0)
    assert out["resume_vms"] == ["db-01", "web-01", "web-02"] and out["resume_jobs"][0]["manual_job"] == "pj"
    resume = dict(changed=True, rounds=3, attempts=1, job=dict(name="pj", state="Succeeded", tasks=[]),
                  __failback_job=out["resume_jobs"][0])
    out = f.failback_results(out, "resume", [resume], dict(protected_items=[info(n, "failed_back") for n in plan["vms"]]))
    assert out["suspended"] == {} and out["manual_action_message"] is None
    assert out["resumed"] == ["Group 1: Pre-steps: stop-app"]
    assert out["waited"]["failback"]["rounds"] == 1 + 3
    out = f.failback_calls(out, "commit")
    assert [c["key"] for c in out["calls"]["commit"]] == ["plan:RP-Shop"]
    assert f.failback_summary(out, "rsv", "rg")["changed"]


def test_check_mode_checks_the_first_step_and_predicts_the_rest():
    state = selected({"db-01": "committed", "web-01": "committed", "web-02": "committed"}, start(check_mode=True))
    assert f.failback_calls(state, "failback")["calls"]["failback"] == []
    state = f.failback_calls(state, "reprotect_azure")
    assert state["calls"]["reprotect_azure"] == []
    state = f.failback_results(f.failback_calls(state, "verify"), "vcenter", {"skipped": True})
    summary = f.failback_summary(state, "rsv", "rg")
    assert summary["vms"][0]["steps"] == ["reprotect to on-premises", "failback", "commit", "reprotect to Azure"]
    assert summary["table"][1] == ("db-01  | committed | committed | Azure   | -       | Normal | would reprotect to "
                                   "on-premises, failback, commit, reprotect to Azure")
    assert summary["table"][-1].endswith("; check mode: nothing was changed")
    no_commit = selected({"db-01": "committed", "web-01": "committed", "web-02": "committed"},
                         start(check_mode=True, failback_commit=False, failback_reprotect_to_azure=False))
    assert f.failback_summary(no_commit, "rsv", "rg")["vms"][0]["steps"] == ["reprotect to on-premises", "failback"]


def test_commit_and_reprotect_to_azure_without_commit():
    state = selected({"db-01": "failed_back", "web-01": "failed_back", "web-02": "failback_committed"})
    state = f.failback_calls(state, "commit")
    assert [(c["key"], c["vms"]) for c in state["calls"]["commit"]] == [("commit", ["db-01", "web-01"])]
    run = dict(changed=True, rounds=1, protected_items=[entry("db-01", "failback_committed", changed=True),
                                                        entry("web-01", "failback_committed", changed=True)],
               __failback_call=state["calls"]["commit"][0])
    out = f.failback_results(state, "commit", [run])
    assert out["committed"] == ["db-01", "web-01"]
    out = f.failback_calls(out, "reprotect_azure")
    assert out["calls"]["reprotect_azure"][0]["vms"] == ["db-01", "web-01", "web-02"]
    # failback_commit: false - the failed-back VMs are reprotected to Azure before the commit (ASR commits on the way)
    no_commit = dict(state, commit=False)
    assert f.failback_calls(no_commit, "reprotect_azure")["calls"]["reprotect_azure"][0]["vms"] == [
        "db-01", "web-01", "web-02"]
    assert f.failback_calls(state, "reprotect_azure")["calls"]["reprotect_azure"][0]["vms"] == ["web-02"]


def test_verify_and_summary():
    state = selected({"db-01": "failback_committed", "web-01": "protected", "web-02": "reprotected"})
    state = f.failback_calls(state, "verify")
    assert state["onprem"] == ["db-01", "web-01"]
    state = f.failback_results(state, "power", {"skipped": True})
    state = f.failback_results(state, "vcenter", dict(vms=[dict(name="db-01", power_state="poweredOn"),
                                                           dict(name="web-01", power_state="poweredOff")]))
    assert state["not_running"] == {"web-01": "power state poweredOff"}
    assert state["verify_text"] == "Not running in vCenter: web-01 - power state poweredOff (failback_power_on: true powers them on)."
    assert state["not_running_message"] == ("Failed back, but not running in vCenter: web-01 - power state poweredOff. "
                                            "Start them (failback_power_on: true, or dr.asr.source_vm_power "
                                            "state=powered_on).")
    run = dict(changed=True, rounds=2, protected_items=[entry("db-01", "protected", changed=True)],
               __failback_call=dict(key="azure", vms=["db-01"]))
    state = f.failback_results(f.failback_calls(state, "reprotect_azure"), "reprotect_azure", [run], [], 60, 0)
    summary = f.failback_summary(state, "rsv", "rg")
    assert summary["wait"] == {"reprotect_azure": {"rounds": 2, "seconds": 60}}
    assert summary["protected"] == ["db-01", "web-01"] and summary["on_premises"] == ["db-01", "web-01"]
    assert summary["not_running"] == ["web-01"]
    assert summary["vms"][0] == dict(name="db-01", phase_before="failback_committed", phase="protected",
                                     state="State-protected", active_location="Primary", runs_in="on-premises",
                                     provider="InMageRcm", health="Normal", power_state="poweredOn",
                                     steps=["reprotect to Azure"], problem=None)
    assert summary["table"][0] == "VM     | BEFORE             | NOW         | RUNS IN     | VCENTER    | HEALTH | DONE"
    assert summary["table"][1] == ("db-01  | failback_committed | protected   | on-premises | poweredOn  | Normal | "
                                   "reprotect to Azure")
    assert summary["table"][-1] == "3 VMs: 2 on-premises, 2 protected (replicating to Azure), 1 not running in vCenter"
    powered = f.failback_results(dict(state, check_mode=True), "power", dict(vms=[dict(name="web-01", changed=True)]))
    powered = f.failback_results(powered, "vcenter", dict(vms=[dict(name="db-01", power_state="poweredOn"),
                                                               dict(name="web-01", power_state="poweredOff")]))
    assert powered["not_running"] == {}             # check mode: it would be powered on


def test_unknown_steps():
    with pytest.raises(ValueError):
        f.failback_results(start(), "nothing", [])
    with pytest.raises(ValueError):
        f.failback_calls(start(), "nothing")


def test_filters_are_registered():
    assert sorted(f.FilterModule().filters()) == ["failback_calls", "failback_datastores", "failback_input",
                                                  "failback_phases", "failback_results", "failback_summary",
                                                  "failback_targets"]
