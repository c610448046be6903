# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The drill role's decisions (plugins/filter/drill.py): pure functions over the role's variables and the modules'
results, shaped as dr.asr.test_failover, dr.asr.recovered_vm_info and dr.asr.drill_report return them."""

from __future__ import annotations

import copy

from ansible_collections.dr.asr.plugins.filter import drill as f
from ansible_collections.dr.asr.plugins.module_utils import _drill_report
from ansible_collections.dr.asr.tests.unit.plugins.module_utils.drill_facts import (
    CLEANUP_JOB, ITEM_JOB, PLAN_JOB, TEST_NET, test_vm as recovered_vm)

PLAN = dict(plan="rp-shop", label="plan rp-shop")
VMS = dict(vms=["app-01"], label="app-01")


def member(name, **extra):
    out = dict(name=name, item_name="item-" + name, id="/items/item-" + name, kind="item", phase="test_failover",
               test_network_id=TEST_NET, action="none", changed=False, job=None, error=None)
    out.update(extra)
    return out


DEFAULT = object()


def plan_run(action="start", changed=True, job=DEFAULT, item=None, **extra):
    job = PLAN_JOB if job is DEFAULT else job
    item = PLAN if item is None else item
    members = [member("db-01"), member("web-01"), member("web-02")]
    plan = dict(name="rp-shop", id="/plans/rp-shop", kind="recovery_plan", action=action, changed=changed,
                job=copy.deepcopy(job), items=members, reason=None, error=None,
                groups=[dict(group=1, vms=["db-01"]), dict(group=2, vms=["web-01", "web-02"])])
    out = dict(changed=changed, rounds=1, recovery_plan=plan, protected_items=members, diff=[], item=item)
    out.update(extra)
    return out


def items_run(action="start", changed=True, job=DEFAULT, item=None, **extra):
    job = ITEM_JOB if job is DEFAULT else job
    item = VMS if item is None else item
    entry = member("app-01", phase="test_failover", action=action, changed=changed, job=copy.deepcopy(job),
                   recovery_point=dict(name="rp-35", time="2026-11-26T08:00:00Z"))
    out = dict(changed=changed, rounds=1, recovery_plan=None, protected_items=[entry], diff=[], item=item)
    out.update(extra)
    return out


def registered(result):
    """A failed module result as the role registers it: its tasks say `failed_when: false`, so Ansible sets `failed`
    false (and `failed_when_result`); the error and the message stay."""
    return dict(result, failed=False, failed_when_result=False)


def timed_out(result):
    partial = dict((k, v) for k, v in result.items() if k != "item")
    return registered(dict(failed=True, msg="Timed out after 300s (5 rounds) waiting", rounds=5,
                           changed=result["changed"], partial=partial, error=dict(kind="timeout"), item=result["item"]))


def refused(problems, item=None):
    """A run that failed in its decisions: InputErrors of every item, joined (pipeline Problems)."""
    item = PLAN if item is None else item
    first = dict(kind="input", message="Invalid value for parameter 'network'", details=dict(problems[0]))
    if len(problems) > 1:
        first["details"]["problems"] = [dict(kind="input", message="m", details=dict(p)) for p in problems]
    return registered(dict(failed=True, msg=first["message"], rounds=1, changed=False, error=first, item=item))


# -- the runs --------------------------------------------------------------------------------------------------------

def test_one_run_per_plan_and_one_for_the_vms():
    assert f.drill_targets(["rp-shop", "/subscriptions/s/x/replicationRecoveryPlans/rp-db"], ["app-01", "app-02"]) == [
        dict(plan="rp-shop", label="plan rp-shop"),
        dict(plan="/subscriptions/s/x/replicationRecoveryPlans/rp-db", label="plan rp-db"),
        dict(vms=["app-01", "app-02"], label="app-01, app-02")]
    assert f.drill_targets([], []) == []


def test_wait_rounds_of_the_role_variables():
    assert f.drill_wait(7200, 0, 0) == dict(wait_timeout=7200, wait_round=72, wait_sleep=15)
    assert f.drill_wait(300, 3, 1) == dict(wait_timeout=300, wait_round=3, wait_sleep=1)
    assert f.drill_wait(600, 0, 2) == dict(wait_timeout=600, wait_round=60, wait_sleep=2)
    assert f.drill_wait(0, 0, 0)["wait_round"] == 60


# -- the guard ---------------------------------------------------------------------------------------------------------

def test_the_isolation_refusal_names_every_vm_of_every_run():
    plan = refused([dict(vm="app-api-01", problem="the test network vnet-dr-recovery is its recovery network"),
                    dict(vm="web-01", problem="the test network vnet-dr-recovery is its recovery network")])
    vms = refused([dict(vm="web-02", problem="the test network vnet-dr-recovery is its recovery network")], item=VMS)
    message = f.drill_refusal([plan, vms])
    assert message.startswith("Refusing the drill (nothing was started): a test failover must run in an isolated network")
    assert ("app-api-01: the test network vnet-dr-recovery is its recovery network; web-01: the test network "
            "vnet-dr-recovery is its recovery network; web-02: the test network vnet-dr-recovery is its recovery "
            "network. Give another drill_test_network") in message


def test_a_peered_network_and_other_refusals():
    peered = refused([dict(vm="web-01", problem="the test network vnet-x is peered with its recovery network "
                                                "vnet-dr-recovery (peering to-vnet-dr-recovery, Initiated)")])
    unknown = registered(dict(failed=True, rounds=1, changed=False,
                              msg="Invalid value for parameter 'items[0]': 'web-99'.",
                              error=dict(kind="input", details=dict(parameter="items[0]")), item=VMS))
    message = f.drill_refusal([peered, unknown])
    assert "web-01: the test network vnet-x is peered with its recovery network vnet-dr-recovery" in message
    assert "app-01: Invalid value for parameter 'items[0]': 'web-99'." in message


def test_a_vm_drilled_twice_is_refused():
    twice = items_run(action="start")
    twice["protected_items"][0]["name"] = "web-01"
    assert "A VM is drilled twice" in f.drill_refusal([plan_run(), twice]) and "web-01" in f.drill_refusal([plan_run(), twice])
    assert f.drill_refusal([plan_run(), items_run()]) == ""


def test_no_refusal_once_something_was_started_or_after_a_wait():
    plan = refused([dict(vm="web-01", problem="the test network x is its recovery network")])
    assert f.drill_refusal([plan], started=[plan_run(), plan]) == ""
    assert f.drill_refusal([timed_out(plan_run())]) == ""
    later = dict(plan, rounds=3)        # a later round failed: the first one may have started the drill
    assert f.drill_refusal([later]) == ""


# -- after the test failovers ---------------------------------------------------------------------------------------------

def test_the_drill_of_a_plan_and_vms():
    drill = f.drill_started([plan_run(), items_run()])
    assert drill["plans"] == [dict(name="rp-shop", id="/plans/rp-shop",
                                   groups=[dict(group=1, vms=["db-01"]), dict(group=2, vms=["web-01", "web-02"])])]
    assert [(v["name"], v["plan"], v["group"], v["item_name"]) for v in drill["vms"]] == [
        ("db-01", "rp-shop", 1, "item-db-01"), ("web-01", "rp-shop", 2, "item-web-01"),
        ("web-02", "rp-shop", 2, "item-web-02"), ("app-01", None, None, "item-app-01")]
    assert all(v["test_network_id"] == TEST_NET for v in drill["vms"])
    plan, app = drill["targets"]
    assert (plan["kind"], plan["name"], plan["action"], plan["job"], plan["state"]) == (
        "plan", "rp-shop", "start", PLAN_JOB["name"], "Succeeded")
    assert plan["facts"]["custom_details"] == PLAN_JOB["custom_details"] and plan["points"] == {}
    assert app["kind"] == "item" and app["points"] == {"app-01": dict(name="rp-35", time="2026-11-26T08:00:00Z")}
    assert not drill["resumed"] and drill["running"] == [] and drill["stopped"] is None and drill["refusal"] == ""


def test_a_target_started_without_waiting_keeps_its_start():
    early = plan_run(job=dict(PLAN_JOB, state="InProgress", end_time=None))
    attached = plan_run(action="attach", changed=False)
    target = f.drill_started([attached], early=[early])["targets"][0]
    assert target["action"] == "start" and target["state"] == "Succeeded" and target["facts"]["end_time"]
    # its job ended before the awaited run looked: that run found the drill up, the job is the one the start saw
    up = plan_run(action="none", changed=False, job=None)
    target = f.drill_started([up], early=[early])["targets"][0]
    assert target["action"] == "start" and target["job"] == PLAN_JOB["name"] and target["state"] == "InProgress"


def test_an_interrupted_cleanup_is_only_finished():
    cleanup = dict(CLEANUP_JOB, state="Succeeded")
    drill = f.drill_started([plan_run(action="attach", changed=False, job=cleanup)])
    assert drill["resumed"] and drill["targets"] == []
    assert [(c["kind"], c["name"], c["action"], c["job"]) for c in drill["cleanups"]] == [
        ("plan", "rp-shop", "attach", CLEANUP_JOB["name"])]
    assert f.drill_cleanups([], drill=drill) == drill["cleanups"]
    assert "Resuming the interrupted cleanup of the drill of plan rp-shop (3 VMs)" in f.drill_headline(drill)[0]
    # a drill attached to its own test failover is not a cleanup
    assert not f.drill_started([plan_run(action="attach", changed=False)])["resumed"]


def test_what_stops_the_drill_and_what_is_its_finding():
    failed_job = dict(PLAN_JOB, state="Failed", errors=[dict(message="boom")])
    finding = plan_run(job=failed_job, failed=True, msg="1 of 1 targets failed: rp-shop: boom")
    finding["recovery_plan"]["error"] = dict(message="boom")
    drill = f.drill_started([registered(finding)])
    assert drill["stopped"] is None and drill["targets"][0]["error"] == dict(message="boom")
    not_started = items_run(action="start", job=None, failed=True, msg="1 of 1 targets failed: app-01: no")
    not_started["protected_items"][0]["error"] = dict(message="no")
    assert f.drill_started([registered(not_started)])["stopped"] == "app-01: 1 of 1 targets failed: app-01: no"
    lost = registered(dict(failed=True, rounds=2, msg="Azure is down", item=PLAN))
    assert f.drill_started([lost])["stopped"] == "plan rp-shop: Azure is down"
    waiting = timed_out(plan_run(job=dict(PLAN_JOB, state="InProgress", end_time=None)))
    drill = f.drill_started([waiting])
    assert drill["stopped"] is None and [t["name"] for t in drill["running"]] == ["rp-shop"]
    assert "Stopped waiting after 300s (drill_wait_timeout): plan rp-shop still running" in \
        f.drill_headline(drill, wait_timeout=300)[-1]


def test_manual_actions_resumed():
    suspended = plan_run(job=dict(PLAN_JOB, state="Suspended", end_time=None))
    drill = f.drill_started([suspended])
    assert [t["name"] for t in drill["suspended"]] == ["rp-shop"] and drill["running"] == drill["suspended"]
    resumed = dict(changed=True, job=dict(PLAN_JOB), item=drill["suspended"][0])
    drill = f.drill_started([suspended], manual=[resumed])
    assert drill["targets"][0]["state"] == "Succeeded" and drill["running"] == [] and drill["suspended"] == []


def test_the_headline():
    drill = f.drill_started([plan_run(), items_run(action="attach", changed=False)])
    lines = f.drill_headline(drill)
    assert lines[0] == "Drill of plan rp-shop, app-01 (4 VMs) in test network(s) vnet-dr-test."
    assert lines[1] == "plan rp-shop: started; app-01: already running, attached"
    check = f.drill_headline(f.drill_started([plan_run(job=None)]), check_mode=True)
    assert check[0].endswith("(check mode: nothing is started).") and check[1] == "plan rp-shop: would start (check mode: predicted)"


# -- validation ------------------------------------------------------------------------------------------------------

def test_smoke_checks_run_where_the_test_vm_runs():
    vms = [dict(name="web-01"), dict(name="web-02"), dict(name="db-01")]
    test_vms = [dict(name="web-01", power_state="running"), dict(name="web-02", power_state="stopped"),
                dict(name="db-01", power_state="running")]
    checks = [dict(name="http", command="curl -f localhost", expect_stdout="ok", timeout=None),
              dict(name="pg", command="pg_isready", vms=["db-01"], expect_rc=0, timeout=30)]
    hostvars = {"guest-1": {"vm_name": "WEB-01"}, "guest-2": {"vm_name": "web-02"}, "db-01": {}}
    smoke = f.drill_smoke(vms, test_vms, checks, hosts=["guest-1", "guest-2", "db-01"], hostvars=hostvars,
                          host_var="vm_name", default_timeout=120, group="lab_guests")
    assert [(s["vm"], s["name"], s["host"], s["skip"], s["timeout"]) for s in smoke] == [
        ("web-01", "http", "guest-1", "", 120), ("web-02", "http", "guest-2", "the test VM does not run", 120),
        ("db-01", "http", "db-01", "", 120), ("db-01", "pg", "db-01", "", 30)]
    assert f.drill_smoke([dict(name="x")], [], checks[:1], hosts=[], group="lab_guests")[0]["skip"] == \
        "no host for x in inventory group lab_guests"


def test_smoke_results():
    smoke = [dict(vm="a", name="ok", host="h", skip="", expect_rc=0, expect_stdout="(?m)^ID=", timeout=5),
             dict(vm="a", name="rc", host="h", skip="", expect_rc=0, expect_stdout=None, timeout=5),
             dict(vm="b", name="slow", host="g", skip="", expect_rc=0, expect_stdout=None, timeout=7),
             dict(vm="b", name="gone", host="g", skip="", expect_rc=0, expect_stdout=None, timeout=7),
             dict(vm="c", name="ok", host=None, skip="no host for c", expect_rc=0, expect_stdout=None, timeout=5)]
    runs = dict(results=[dict(item=smoke[0], rc=0, stdout="ID=debian\n"), dict(item=smoke[1], rc=3, stdout="broken"),
                         dict(item=smoke[2], rc=124, stdout=""), dict(item=smoke[3], unreachable=True, msg="no route")])
    results = f.drill_smoke_results(smoke, runs)
    assert [c["passed"] for c in results["a"]] == [True, False]
    assert results["a"][1]["message"] == "rc=3 on h (expected 0)"
    assert results["b"][0]["message"] == "rc=124 on g (expected 0) - timed out after 7s"
    assert results["b"][1]["message"] == "host g unreachable: no route" and not results["b"][1]["passed"]
    assert results["c"] == [dict(name="ok", host=None, skipped=True, message="no host for c")]
    assert f._failed_smoke(results) == ["a: rc: rc=3 on h (expected 0)", "b: slow: rc=124 on g (expected 0) - timed out after 7s",
                                        "b: gone: host g unreachable: no route"]
    mismatch = f.drill_smoke_results(smoke[:1], [dict(item=smoke[0], rc=0, stdout="nothing")])
    assert mismatch["a"][0]["message"] == "rc=0 on h; output does not match (?m)^ID="


# -- cleanup -----------------------------------------------------------------------------------------------------------

def test_cleanup_comments():
    assert f.drill_cleanup_comments("mine", "T") == "mine"
    assert f.drill_cleanup_comments("", "T") == "dr.asr drill started T: test VMs up, checks passed"
    smoke = {"web-01": [dict(name="http", passed=False), dict(name="skipped", skipped=True)]}
    assert f.drill_cleanup_comments("", "T", None, smoke, [dict(name="db-01", power_state="stopped")]) == \
        "dr.asr drill started T: problems - web-01: http, db-01: test VM not running"
    assert f.drill_cleanup_comments("", "T", dict(message="boom"), smoke) == "dr.asr drill started T: stopped - boom"


def test_the_cleanups():
    drill = f.drill_started([plan_run(), items_run()])
    runs = [plan_run(job=CLEANUP_JOB), items_run(job=CLEANUP_JOB)]
    cleanups = f.drill_cleanups(runs, drill=drill)
    assert [(c["kind"], c["name"], c["action"], c["job"], c["error"]) for c in cleanups] == [
        ("plan", "rp-shop", "start", CLEANUP_JOB["name"], None), ("item", "app-01", "start", CLEANUP_JOB["name"], None)]
    failed = [registered(dict(failed=True, msg="no vault", item=PLAN)),
              registered(dict(failed=True, msg="no vault", item=VMS))]
    assert [(c["kind"], c["name"], c["error"]) for c in f.drill_cleanups(failed, drill=drill)] == [
        ("plan", "rp-shop", dict(message="no vault")), ("item", "app-01", dict(message="no vault"))]
    timeout = f.drill_cleanups([timed_out(plan_run(job=dict(CLEANUP_JOB, state="InProgress")))], drill=drill)
    assert timeout[0]["error"] == dict(message="Timed out after 300s (5 rounds) waiting")


def test_jobs_whose_final_facts_no_run_returned():
    early = plan_run(job=dict(PLAN_JOB, state="InProgress", end_time=None))
    drill = f.drill_started([plan_run(action="none", changed=False, job=None), items_run()], early=[early])
    cleanups = [dict(kind="plan", name="rp-shop", job="c1", state=None, start_time="2026-11-26T08:20:00Z", facts=None)]
    unread = f.drill_unread_jobs(drill, cleanups)
    assert unread == dict(names=[PLAN_JOB["name"], "c1"], since=PLAN_JOB["start_time"])
    assert f.drill_unread_jobs(f.drill_started([plan_run()]), []) == dict(names=[], since=None)


# -- the report --------------------------------------------------------------------------------------------------------

def report_of(drill, cleanups=None, jobs=None, left=(), **extra):
    test_vms = [recovered_vm(v["name"]) for v in drill["vms"]]
    facts = f.drill_report_facts(drill, "DR drill", "2026-11-26T07:59:50Z", "2026-11-26T08:25:00Z", "rsv-dr", "rg-dr",
                                 cleanups=cleanups, test_vms=test_vms, jobs=jobs,
                                 left=None if left is None else [dict(name=v["name"], resources=list(left))
                                                                 for v in drill["vms"]], **extra)
    return facts, _drill_report.build(facts)


def test_report_facts_measure_what_the_jobs_say():
    drill = f.drill_started([plan_run(), items_run()])
    cleanups = f.drill_cleanups([plan_run(job=CLEANUP_JOB), items_run(job=CLEANUP_JOB)], drill=drill)
    facts, report = report_of(drill, cleanups, comments="ok")
    assert facts["plans"][0]["job"]["name"] == PLAN_JOB["name"] and facts["plans"][0]["cleanup"]["comments"] == "ok"
    vms = dict((v["name"], v) for v in facts["vms"])
    assert vms["web-01"]["job"] is None and vms["app-01"]["job"]["name"] == ITEM_JOB["name"]
    assert vms["app-01"]["left_behind"] == [] and vms["app-01"]["recovery_point"]["name"] == "rp-35"
    assert report["result"] == "passed", report["failed_checks"]
    plan = report["plans"][0]
    assert plan["rto_seconds"] == 750
    by = dict((v["name"], v) for v in report["vms"])
    assert by["db-01"]["rto_seconds"] == 300 and by["web-01"]["rpo_seconds"] == 120
    assert sorted(report["cleaned_up"]) == ["app-01", "db-01", "web-01", "web-02"]


def test_a_job_read_afterwards_replaces_what_the_run_saw():
    early = plan_run(job=dict(PLAN_JOB, state="InProgress", end_time=None))
    drill = f.drill_started([plan_run(action="none", changed=False, job=None)], early=[early])
    facts, report = report_of(drill, jobs=[PLAN_JOB])
    assert facts["plans"][0]["job"]["end_time"] == PLAN_JOB["end_time"] and report["plans"][0]["rto_seconds"] == 750
    assert facts["plans"][0]["action"] == "start"


def test_report_facts_of_a_resumed_cleanup_and_of_check_mode():
    drill = f.drill_started([plan_run(action="attach", changed=False, job=CLEANUP_JOB)])
    facts, report = report_of(drill, f.drill_cleanups([], drill=drill))
    assert facts["resumed_cleanup"] and facts["plans"][0]["action"] is None
    assert facts["plans"][0]["cleanup"]["action"] == "attach"
    assert report["plans"][0]["cleanup"]["action"] == "attach"
    predicted = f.drill_started([plan_run(job=None)])
    facts, report = report_of(predicted, left=None, check_mode=True)
    assert facts["check_mode"] and all(v["left_behind"] is None for v in facts["vms"])
    assert report["result"] == "check mode"


def test_the_summary_table():
    drill = f.drill_started([plan_run(), items_run()])
    cleanups = f.drill_cleanups([plan_run(job=CLEANUP_JOB), items_run(job=CLEANUP_JOB)], drill=drill)
    _facts, report = report_of(drill, cleanups)
    summary = f.drill_summary(dict(report=report, files=dict(json="/r/x.json"), changed=True))
    assert summary["result"] == "passed" and summary["files"] == dict(json="/r/x.json") and summary["report_changed"]
    assert "timeline" not in summary["plans"][0] and "timeline" not in summary["vms"][0]
    table = summary["table"]
    assert table[0].startswith("PLAN / VM    | GROUP    | ACTION | RTO")
    assert table[1].startswith("plan rp-shop | 2 groups | start  | 12m30s |")
    assert table[2].startswith("  db-01      | 1        |        | 5m00s  | 5m00s")
    assert table[2].endswith("| verified")
    assert table[-1].startswith("Drill PASSED: ") and "max RTO 12m30s" in table[-1]
    assert all(line == line.rstrip() for line in table)
    left = f.drill_summary(dict(report=dict(report, left_behind=["/s/vm/web-01-test"], result="failed")))
    assert left["table"][-1].endswith("; left behind: web-01-test")


def test_the_check_mode_runs_refuse_together():
    """The runs in check mode before several real ones: a prediction (changed) does not hide another run's refusal."""
    predicted = items_run(job=None)
    plan = refused([dict(vm="web-01", problem="the test network x is its recovery network")])
    drill = f.drill_started([plan, predicted], predicted=True)
    assert drill["refusal"].startswith("Refusing the drill (nothing was started): ")
    assert f.drill_started([plan, predicted])["refusal"] == ""


def test_a_drill_that_was_up_gets_its_job_read():
    drill = f.drill_started([plan_run(action="none", changed=False, job=None), items_run()])
    assert f.drill_up_targets(drill) == [dict(kind="plan", name="rp-shop")]
    read = dict(jobs=[dict(PLAN_JOB, name="tf-2"), dict(PLAN_JOB, name="tf-1")], item=dict(kind="plan", name="rp-shop"),
                changed=False)
    out = f.drill_with_up_jobs(drill, dict(results=[read]))
    plan = [t for t in out["targets"] if t["kind"] == "plan"][0]
    assert plan["job"] == "tf-2" and plan["facts"]["name"] == "tf-2" and plan["action"] == "none"
    assert [t for t in out["targets"] if t["kind"] == "item"] == [t for t in drill["targets"] if t["kind"] == "item"]
    assert f.drill_with_up_jobs(drill, dict(results=[dict(read, jobs=[])])) == drill


def test_a_smoke_check_whose_expect_stdout_is_no_regex_is_refused_before_anything_starts():
    checks = [dict(name="os", command="cat /etc/os-release", expect_stdout="(?m)^ID="),
              dict(name="http", command="curl -s localhost", expect_stdout="<title>(shop"),
              dict(name="plain", command="true")]
    problems = f.drill_check_problems(checks)
    assert len(problems) == 1
    assert problems[0].startswith("drill_smoke_checks[1] (http): expect_stdout '<title>(shop' is not a regular expression")
    assert f.drill_check_problems([]) == [] and f.drill_check_problems(checks[:1]) == []
