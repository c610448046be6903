# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The failover role's decisions (plugins/filter/failover.py): pure functions over the role's variables and the
modules' results, shaped as the modules return them (tests/unit/plugins/modules has the modules themselves)."""

from __future__ import annotations

import pytest

from ansible_collections.dr.asr.plugins.filter import failover as f

ALLOWED = {"protected": ["UnplannedFailover", "DisableProtection", "TestFailover"],
           "failed_over": ["CompleteMigration", "Commit", "DisableProtection", "ChangePit", "SwitchProtection"],
           "committed": ["CompleteMigration", "DisableProtection", "SwitchProtection"],
           "test_failover": ["TestFailoverCleanup"], "initial_replication": []}
STATES = {"protected": "Protected", "failed_over": "UnplannedFailoverCommitPendingStatesBegin",
          "committed": "UnplannedFailoverCommitted", "test_failover": "Protected", "initial_replication": "EnablingProtection"}


def entry(name, phase, health="Normal", **extra):
    """A protected_items entry of an action module (state.item_view plus what the run did)."""
    azure = phase in f.OVER_PHASES
    out = dict(name=name, item_name="item-" + name, id="/items/item-" + name, phase=phase, state=STATES.get(phase, phase),
               active_location="Recovery" if azure else "Primary", runs_in="azure" if azure else "on-premises",
               test_failover_state=None, provider="InMageRcm", failover_recovery_point=None,
               allowed_operations=ALLOWED.get(phase, []), current_job=None, replication_health=health,
               action="none", changed=False, reason=None, job=None, error=None, diff=dict(before={}, after={}))
    out.update(extra)
    return out


def job(name="j1", state="Succeeded", tasks=None, scenario="UnplannedFailover"):
    return dict(name=name, scenario=scenario, state=state, tasks=tasks if tasks is not None else [
        dict(name="t1", friendly_name="Group 1: Failover it-01", state="Succeeded")])


def plan_result(target, members, action="none", changed=False, plan_job=None, rounds=1, **extra):
    out = dict(changed=changed, rounds=rounds, protected_items=members, diff=[],
               recovery_plan=dict(name=target["plan"], kind="recovery_plan", action=action, changed=changed,
                                  job=plan_job, items=members),
               __failover_target=target)
    out.update(extra)
    return out


def items_result(target, members, changed=False, rounds=1, **extra):
    out = dict(changed=changed, rounds=rounds, protected_items=members, diff=[], recovery_plan=None,
               __failover_target=target)
    out.update(extra)
    return out


def timeout(result):
    """A waiting task whose wait_timeout was spent: the last look under `partial`; the role's failed_when lets it go
    on (failed false)."""
    partial = {k: v for k, v in result.items() if k != "__failover_target"}
    return {"failed": False, "failed_when_result": False, "msg": "Timed out after 60s (2 rounds) waiting", "rounds": 2,
            "changed": result["changed"], "partial": partial, "error": {"kind": "timeout"},
            "__failover_target": result["__failover_target"]}


def start(plans=("rp-shop",), vms=(), **values):
    base = dict(failover_recovery_plans=list(plans), failover_vms=list(vms), failover_timeout=7200,
                failover_commit_timeout=1800, failover_guest_shutdown_timeout=300, failover_wait_round_seconds=0,
                failover_wait_sleep=0, failover_commit=True, failover_resume_manual_actions=False, check_mode=False)
    base.update(values)
    return f.failover_input(base)


def preflight(state, phases, action="start", health="Normal"):
    """The preflight of the one plan target with members {name: phase}."""
    target = state["targets"][0]
    return f.failover_preflight(state, [plan_result(target, [entry(n, p, health) for n, p in phases.items()],
                                                    action=action)])


# -- input ----------------------------------------------------------------------------------------------------------

def test_input_targets_and_timing():
    state = start(("rp-shop", "rp-db"), ("web-01",))
    assert state["problems"] == []
    assert [t["key"] for t in state["targets"]] == ["plan:rp-shop", "plan:rp-db", "vms"]
    assert state["targets"][2] == dict(key="vms", label="VMs web-01", plan=None, item_names=["web-01"], vms=["web-01"])
    assert (state["sleep"], state["round"]) == (15, 72)        # 0: the defaults; a round is at least 7200 / 100
    state = start(failover_wait_sleep=2, failover_wait_round_seconds=600, failover_timeout=600)
    assert (state["sleep"], state["round"]) == (2, 600)


def test_input_problems():
    state = start((), (), failover_timeout=-1)
    assert state["problems"][0].startswith("set failover_recovery_plans (recovery plans) and/or failover_vms")
    assert "failover_timeout cannot be negative" in state["problems"]
    assert start(("rp", "rp"), ("a", "b", "a"))["problems"] == [
        "failover_recovery_plans names rp more than once", "failover_vms names a more than once"]


# -- preflight ------------------------------------------------------------------------------------------------------

def test_preflight_plan_to_fail_over():
    state = preflight(start(), {"db-01": "protected", "web-01": "protected"})
    assert state["targets"][0]["vms"] == ["db-01", "web-01"]
    assert state["vms"] == ["db-01", "web-01"]
    assert [t["key"] for t in state["todo"]] == ["plan:rp-shop"]
    assert state["actions"] == {"plan:rp-shop": "start"}
    assert state["shutdown"] == ["db-01", "web-01"]
    assert state["early_start"] == []              # the one target is started by its waiting task
    assert state["items"]["web-01"]["phase"] == "protected" and state["before"] == state["items"]
    assert state["refusal"] is None
    assert state["plan_text"] == ("2 VM(s) in recovery plan rp-shop. To fail over: recovery plan rp-shop. "
                                  "Phases: db-01 protected, web-01 protected.")


def test_preflight_nothing_to_do_and_partly_done():
    state = preflight(start(), {"db-01": "committed", "web-01": "failed_over"}, action="none")
    assert state["todo"] == [] and state["shutdown"] == []
    assert "Every VM is failed over already." in state["plan_text"]
    # one member still on-premises: the plan fails over, only that VM is shut down
    state = preflight(start(), {"db-01": "failed_over", "web-01": "protected"})
    assert state["shutdown"] == ["web-01"]


def test_preflight_attach_is_not_shut_down_twice_and_vms_batch():
    state = start(("rp-a", "rp-b"), ("app-01", "app-02"))
    a, b, vms = state["targets"]
    results = [plan_result(a, [entry("a-01", "protected")], action="attach"),
               plan_result(b, [entry("b-01", "protected")], action="start"),
               items_result(vms, [entry("app-01", "failed_over"), entry("app-02", "protected", action="start")])]
    state = f.failover_preflight(state, results)
    assert state["actions"] == {"plan:rp-a": "attach", "plan:rp-b": "start", "vms": "start"}
    assert [t["key"] for t in state["todo"]] == ["plan:rp-a", "plan:rp-b", "vms"]
    # the first is waited for (and started) by its waiting task; the other starting ones run side by side
    assert [t["key"] for t in state["early_start"]] == ["plan:rp-b", "vms"]
    assert state["shutdown"] == ["a-01", "b-01", "app-02"]


def test_preflight_refuses_an_empty_plan():
    state = preflight(start(), {})
    assert state["refusal"] == "Recovery plan(s) rp-shop have no VMs: nothing to fail over."


def test_preflight_item_names_become_vm_names():
    state = start((), ("item-web-01",))
    state = f.failover_preflight(state, [items_result(state["targets"][0],
                                                      [entry("web-01", "protected", action="start")])])
    assert state["vms"] == ["web-01"] and state["targets"][0]["vms"] == ["web-01"]


# -- failover, manual actions, resume ----------------------------------------------------------------------------

def test_failed_over_plan():
    state = preflight(start(), {"db-01": "protected", "web-01": "protected"})
    target = state["targets"][0]
    run = plan_result(target, [entry("db-01", "failed_over"), entry("web-01", "failed_over")], action="start",
                      changed=True, plan_job=job(), rounds=3)
    state = f.failover_results(state, "failover", [run], [], 1100, 1000)
    assert state["changed"] == ["plan:rp-shop"]
    assert state["items"]["web-01"]["phase"] == "failed_over" and state["before"]["web-01"]["phase"] == "protected"
    assert state["jobs"]["plan:rp-shop"]["state"] == "Succeeded" and state["jobs"]["plan:rp-shop"]["jobs"] == ["j1"]
    assert (state["rounds"], state["seconds"]) == (3, 100)
    assert state["suspended"] == {} and state["stopped_waiting"] is None and state["manual_action_message"] is None


def test_manual_action_is_reported_or_resumed():
    tasks = [dict(name="t1", friendly_name="Group 1: Failover it-01", state="Succeeded"),
             dict(name="t2", friendly_name="Group 1: Post-steps: check-db", state="Suspended"),
             dict(name="t3", friendly_name="Group 2: Failover it-02", state="NotStarted")]
    state = preflight(start(), {"it-01": "protected", "it-02": "protected"}, action="attach")
    run = plan_result(state["targets"][0], [entry("it-01", "failed_over"), entry("it-02", "protected")],
                      action="attach", plan_job=job(state="Suspended", tasks=tasks),
                      warnings=["Job j1 waits at a manual action"])
    stopped = f.failover_results(state, "failover", [run], [], 10, 0)
    assert stopped["suspended"]["plan:rp-shop"]["manual_action"] == "Group 1: Post-steps: check-db"
    assert stopped["resume_jobs"] == []            # failover_resume_manual_actions is false
    assert stopped["manual_action_message"] == (
        "The failover of recovery plan rp-shop waits at manual action 'Group 1: Post-steps: check-db' (job j1, state "
        "Suspended; allowed actions: Resume, Cancel). Do what the action asks, then resume: run the same again with "
        "failover_resume_manual_actions: true (or dr.asr.job action=resume). The commit waits until the failover is "
        "done.")
    health = f.failover_health(stopped)
    assert health["blocked"] and not health["commit_ok"] and health["unhealthy"] == {}

    state = dict(state, resume=True)
    state = f.failover_results(state, "failover", [run], [], 10, 0)
    assert [j["manual_job"] for j in state["resume_jobs"]] == ["j1"] and state["resume_vms"] == ["it-01", "it-02"]
    resume = dict(changed=True, rounds=2, attempts=2, job=dict(job(tasks=[dict(t, state="Succeeded") for t in tasks])),
                  __failover_job=state["resume_jobs"][0])
    reread = dict(protected_items=[dict(vm_name=n, name="item-" + n, phase="failed_over", state=STATES["failed_over"],
                                        runs_in="azure", active_location="Recovery", health="Normal", errors=[],
                                        allowed_operations=ALLOWED["failed_over"]) for n in ("it-01", "it-02")])
    state = f.failover_results(state, "resume", [resume], reread, 50, 0)
    assert state["suspended"] == {} and state["manual_action_message"] is None
    assert state["resumed"] == ["Group 1: Post-steps: check-db", "a further manual action of job j1"]
    assert state["jobs"]["plan:rp-shop"]["state"] == "Succeeded" and state["rounds"] == 1 + 3
    assert state["items"]["it-02"]["phase"] == "failed_over"
    state = f.failover_health(state)
    assert state["commit_ok"] and state["health_text"] == "Health check: every VM runs in Azure (2 VMs)."
    summary = f.failover_summary(state, "v", "rg")
    assert [vm["steps"] for vm in summary["vms"]] == [["failover (attached)"], ["failover (attached)"]]


def test_timed_out_wait_stops_with_a_rerun_hint():
    state = preflight(start(), {"db-01": "protected"})
    run = timeout(plan_result(state["targets"][0], [entry("db-01", "protected")], action="start", changed=True,
                              plan_job=job(state="InProgress", tasks=[
                                  dict(name="t1", friendly_name="Group 1: Failover db-01", state="InProgress")])))
    state = f.failover_results(state, "failover", [run], [], 7265, 0)
    assert state["changed"] == ["plan:rp-shop"]
    assert state["jobs"]["plan:rp-shop"]["state"] == "InProgress"
    assert state["jobs"]["plan:rp-shop"]["running"] == ["Group 1: Failover db-01"]
    assert state["stopped_waiting"] == (
        "Stopped waiting after 121m05s (failover_timeout): the failover of recovery plan rp-shop still runs. Run the "
        "same again to keep waiting - it attaches to the running jobs and never starts a second failover.")


def test_early_start_counts_as_the_failover():
    state = start(("rp-a", "rp-b"))
    a, b = state["targets"]
    state = f.failover_preflight(state, [plan_result(a, [entry("a-01", "protected")], action="start"),
                                         plan_result(b, [entry("b-01", "protected")], action="start")])
    early = plan_result(b, [entry("b-01", "protected")], action="start", changed=True, plan_job=job("jb", "InProgress"))
    runs = [plan_result(a, [entry("a-01", "failed_over")], action="start", changed=True, plan_job=job("ja")),
            plan_result(b, [entry("b-01", "failed_over")], action="attach", plan_job=job("jb"))]
    state = f.failover_results(state, "failover", runs, [early], 5, 0)
    assert sorted(state["changed"]) == ["plan:rp-a", "plan:rp-b"]
    summary = f.failover_summary(f.failover_health(state), "v", "rg")
    assert [vm["steps"] for vm in summary["vms"]] == [["failover"], ["failover"]]


# -- health check and commit --------------------------------------------------------------------------------------

def test_health_check_refuses_the_commit():
    state = preflight(start(("rp-shop",), ("app-01",)), {"db-01": "protected", "web-01": "protected"})
    plan, vms = state["targets"]
    tasks = [dict(name="t", friendly_name="Start the VM", state="Failed")]
    runs = [plan_result(plan, [entry("db-01", "failed_over", health="Critical"), entry("web-01", "protected")],
                        action="start", changed=True, plan_job=job(tasks=tasks)),
            items_result(vms, [entry("app-01", "failed_over")])]
    state = f.failover_results(state, "failover", runs, [], 1, 0)
    state = f.failover_health(state)
    assert state["health_reads"] == ["db-01"]       # health errors are read only for a VM whose health is not Normal
    read = dict(protected_items=[dict(vm_name="db-01", name="item-db-01", phase="failed_over", runs_in="azure",
                                      active_location="Recovery", health="Critical", state=STATES["failed_over"],
                                      errors=[dict(message="Disk unreadable")], allowed_operations=[])])
    state = f.failover_results(state, "health", read)
    assert state["unhealthy"] == {
        "db-01": "replication health Critical: Disk unreadable",
        "web-01": "not failed over: phase protected (state Protected, active location Primary, runs on-premises; "
                  "allowed operations: UnplannedFailover, DisableProtection, TestFailover)"}
    assert state["failed_tasks"] == ["recovery plan rp-shop: task Start the VM Failed"]
    assert not state["commit_ok"] and state["health_reads"] == []
    assert state["health_text"].startswith("Health check failed: db-01: replication health Critical: Disk unreadable; ")
    assert state["health_message"].startswith("Health check failed, the failover was not committed: db-01: ")
    assert state["health_message"].endswith("; recovery plan rp-shop: task Start the VM Failed.")
    summary = f.failover_summary(state, "v", "rg")
    assert summary["unhealthy"] == ["db-01", "web-01"]
    assert summary["vms"][0]["errors"] == ["Disk unreadable"]


def test_commit_targets_plan_or_batch():
    state = start(("rp-a", "rp-b"), ("app-01",))
    a, b, vms = state["targets"]
    state = f.failover_preflight(state, [plan_result(a, [entry("a-01", "failed_over"), entry("a-02", "failed_over")]),
                                         plan_result(b, [entry("b-01", "failed_over"), entry("b-02", "committed")]),
                                         items_result(vms, [entry("app-01", "failed_over")])])
    state = f.failover_health(state)
    assert state["to_commit"] == ["a-01", "a-02", "b-01", "app-01"]
    assert [(t["key"], t["item_names"]) for t in state["commit_targets"]] == [
        ("plan:rp-a", None), ("commit", ["b-01", "app-01"])]
    commit = [plan_result(a, [entry("a-01", "committed"), entry("a-02", "committed")], action="start", changed=True,
                          plan_job=job(scenario="CommitFailover")),
              dict(items_result(vms, [entry("b-01", "committed", changed=True),
                                      entry("app-01", "committed", changed=True)], changed=True),
                   __failover_target=state["commit_targets"][1])]
    state = f.failover_results(state, "commit", commit)
    assert state["committed"] == ["a-01", "a-02", "b-01", "app-01"]
    summary = f.failover_summary(state, "rsv", "rg")
    assert summary["committed"] == ["a-01", "a-02", "b-01", "b-02", "app-01"] and summary["failed_over"] == []
    assert [vm["steps"] for vm in summary["vms"]] == [["commit"], ["commit"], ["commit"], [], ["commit"]]


def test_recovery_point_moved():
    state = preflight(start(), {"db-01": "failed_over"}, action="none")
    pit = dict(changed=True, rounds=1,
               protected_items=[entry("db-01", "failed_over", changed=True, failover_recovery_point="rp-2")])
    state = f.failover_results(state, "recovery_point", pit)
    assert state["moved"] == ["db-01"] and state["items"]["db-01"]["failover_recovery_point"] == "rp-2"
    assert f.failover_summary(state, "v", "rg")["vms"][0]["steps"] == ["recovery point"]


# -- check mode and the summary ----------------------------------------------------------------------------------

def test_check_mode_predicts():
    state = preflight(start(check_mode=True, failover_commit=False), {"it-01": "protected", "it-02": "protected"})
    state = f.failover_results(state, "shutdown", dict(vms=[dict(name="it-01", changed=True, action="shutdown_guest"),
                                                            dict(name="it-02", changed=False)]))
    state = f.failover_health(state)
    assert state["unhealthy"] == {} and state["health_reads"] == [] and state["commit_targets"] == []
    assert state["health_text"] == ("Health check: in check mode, after the failover it would check that every VM "
                                    "runs in Azure.")
    summary = f.failover_summary(state, "v", "rg")
    assert summary["check_mode"] and summary["changed"]
    assert summary["vms"][0]["steps"] == ["shutdown", "failover"] and summary["vms"][1]["steps"] == ["failover"]
    assert summary["table"] == [
        "VM    | TARGET                | BEFORE    | NOW       | RUNS IN     | HEALTH | DONE",
        "it-01 | recovery plan rp-shop | protected | protected | on-premises | Normal | would shutdown, failover",
        "it-02 | recovery plan rp-shop | protected | protected | on-premises | Normal | would failover",
        "plan rp-shop: protected",
        "2 VMs: 0 failed over (commit pending), 0 committed, 0 with problems; check mode: nothing was changed"]


def test_summary_of_a_committed_plan():
    state = preflight(start(), {"it-01": "failed_over"}, action="none")
    state = f.failover_health(state)
    run = plan_result(state["targets"][0], [entry("it-01", "committed")], action="start", changed=True,
                      plan_job=job("c1", scenario="CommitFailover"))
    state = f.failover_results(state, "commit", [run])
    summary = f.failover_summary(state, "rsv-dr", "rg-dr")
    assert summary["vault"] == {"name": "rsv-dr", "resource_group": "rg-dr"}
    assert summary["wait"] == {"rounds": 0, "seconds": 0}
    assert summary["vms"][0] == dict(name="it-01", target="recovery plan rp-shop", phase_before="failed_over",
                                     phase="committed", state="UnplannedFailoverCommitted", active_location="Recovery",
                                     runs_in="azure", health="Normal", errors=[], steps=["commit"], problem=None)
    assert summary["recovery_plans"] == [dict(name="rp-shop", vms=["it-01"], job=None, job_state=None,
                                              manual_action=None, phases=["committed"])]
    assert summary["table"][1] == "it-01 | recovery plan rp-shop | failed_over | committed | Azure   | Normal | commit"
    assert summary["table"][-1] == "1 VMs: 0 failed over (commit pending), 1 committed, 0 with problems"


def test_summary_names_each_hook_and_every_failed_one():
    state = preflight(start(), {"it-01": "failed_over"}, action="none")
    state["hooks"] = [
        dict(name="db up", plan="rp-shop", group=1, at="after", action="db-up", job="j1", status="passed",
             message="it-01 reached"),
        dict(name="dns", plan="rp-shop", group=2, at="before", action="dns", job="j1", status="failed",
             message="DNS refused")]
    summary = f.failover_summary(state, "v", "rg")
    assert [h["name"] for h in summary["hooks"]] == ["db up", "dns"]
    assert summary["hook_failures"] == ["plan rp-shop, before group 2 (manual action dns, job j1): hook dns: DNS refused"]
    assert "hook db up (plan rp-shop, after group 1): passed - it-01 reached" in summary["table"]
    assert "hook dns (plan rp-shop, before group 2): failed - DNS refused" in summary["table"]
    assert f.failover_summary(preflight(start(), {"it-01": "failed_over"}), "v", "rg")["hook_failures"] == []


def test_unknown_step():
    with pytest.raises(ValueError):
        f.failover_results(start(), "nothing", [])


def test_filters_are_registered():
    assert sorted(f.FilterModule().filters()) == ["failover_health", "failover_input", "failover_preflight",
                                                  "failover_results", "failover_summary"]
