# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ansible as the runbook of a recovery plan (plugins/filter/runbook.py): the hooks checked against the plans as
dr.asr.recovery_plan_info returns them, the stops of suspended plan jobs as dr.asr.job_info returns them, the hosts,
the records and the jobs to resume."""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.dr.asr.plugins.filter import runbook as f
from ansible_collections.dr.asr.plugins.module_utils._asr.jobs import job_facts


def manual(name, types=None):
    action = dict(name=name, type="manual", description="do it")
    if types is not None:
        action["failover_types"] = types
    return action


def plan(name="rp-shop", groups=None, shutdown=None):
    groups = groups if groups is not None else [
        dict(group=1, vms=["db-01"], pre_actions=[], post_actions=[manual("after-1")]),
        dict(group=2, vms=["web-01", "web-02"], pre_actions=[manual("before-2")],
             post_actions=[dict(name="script", type="script", path="/x.sh"), manual("after-2")]),
    ]
    return dict(name=name, groups=groups, shutdown_group=shutdown or dict(pre_actions=[], post_actions=[]),
                failover_group=dict(pre_actions=[], post_actions=[]))


def hook(group, at="after", **extra):
    out = dict(tasks="/hooks/h%d%s.yml" % (group, at), group=group, at=at)
    out.update(extra)
    return out


def suspended_job(action_name, job="job-1"):
    """A plan job as ASR answers it while it waits at a manual action, through the modules' job facts."""
    raw = dict(name=job, id="/jobs/" + job, properties=dict(
        scenarioName="TestFailover", state="Suspended", allowedActions=["Resume", "Cancel"],
        tasks=[dict(name="ManualActionTask", friendlyName="Group 2: Pre-steps: " + action_name, state="Suspended",
                    customDetails=dict(instanceType="ManualActionTaskDetails", name=action_name,
                                       instructions="do it", observation=""))]))
    return dict(kind="plan", name="rp-shop", job=job, state="Suspended", facts=job_facts(raw))


def test_job_facts_name_the_manual_action_of_a_task():
    facts = suspended_job("before-2")["facts"]
    assert facts["tasks"][0]["manual_action"] == dict(name="before-2", instructions="do it")


def test_hooks_land_at_the_first_manual_action_of_their_place_and_rounds_count_every_stop():
    out = f.runbook_hooks([hook(1), hook(2, "before", plan="rp-shop"), hook(2, name="smoke")], [plan()], "TestFailover")
    assert out["problems"] == []
    stops = out["stops"]["rp-shop"]
    assert [(s["group"], s["at"], s["action"]) for s in stops] == [
        (1, "after", "after-1"), (2, "before", "before-2"), (2, "after", "after-2")]
    assert [h["name"] for h in stops[2]["hooks"]] == ["smoke"]
    assert stops[0]["hooks"][0]["name"] == "after group 1: h1after.yml"
    assert stops[1]["vms"] == ["web-01", "web-02"]
    assert out["rounds"] == 3


def test_a_hook_where_the_plan_has_no_manual_action_is_refused_with_how_to_add_one():
    out = f.runbook_hooks([hook(1, "before")], [plan()], "TestFailover", "drill_hooks")
    assert len(out["problems"]) == 1
    problem = out["problems"][0]
    assert "drill_hooks[0]" in problem and "plan rp-shop has no manual action before boot group 1" in problem
    assert "groups[0].pre_actions" in problem


def test_a_manual_action_that_does_not_run_in_this_failover_is_no_place_for_a_hook():
    groups = [dict(group=1, vms=["db-01"], pre_actions=[], post_actions=[manual("after-1", ["UnplannedFailover"])])]
    out = f.runbook_hooks([hook(1)], [plan(groups=groups)], "TestFailover")
    assert "runs in a TestFailover" in out["problems"][0]
    assert out["rounds"] == 0
    ok = f.runbook_hooks([hook(1)], [plan(groups=groups)], "UnplannedFailover")
    assert ok["problems"] == [] and ok["rounds"] == 1


def test_unknown_plan_missing_group_and_no_plans_are_refused():
    out = f.runbook_hooks([hook(1, plan="rp-other"), hook(5)], [plan()], "TestFailover")
    assert "plan 'rp-other' is not one of the recovery plans" in out["problems"][0]
    assert "has no boot group 5 (it has 1, 2)" in out["problems"][1]
    none = f.runbook_hooks([hook(1)], [], "TestFailover", "drill_hooks", ["rp-gone"])
    assert "fails over none (plans named: rp-gone)" in none["problems"][0]


@pytest.mark.parametrize("bad, message", [
    (dict(tasks="", group=1), "tasks must name a task file"),
    (dict(tasks="/x.yml", group=0), "group is 0"),
    (dict(tasks="/x.yml", group="two"), "group is 'two'"),
    (dict(tasks="/x.yml", group=1, at="during"), "at is 'during'"),
    ("x.yml", "must be a dict"),
])
def test_malformed_hooks_name_the_entry_and_what_is_valid(bad, message):
    with pytest.raises(AnsibleFilterError, match="hooks\\[0\\]"):
        try:
            f.runbook_hooks([bad], [plan()], "TestFailover")
        except AnsibleFilterError as err:
            assert message in str(err)
            raise


def test_the_shutdown_groups_manual_actions_are_stops_too():
    out = f.runbook_hooks([], [plan(shutdown=dict(pre_actions=[manual("stop-app")], post_actions=[]))], "TestFailover")
    assert [(s["group"], s["action"]) for s in out["stops"]["rp-shop"]][0] == ("shutdown", "stop-app")
    assert out["rounds"] == 4


def test_stops_follow_the_suspended_task_and_skip_passed_ones():
    stops = f.runbook_hooks([hook(2, "before")], [plan()], "TestFailover")["stops"]
    now = f.runbook_stops([suspended_job("before-2"), dict(kind="item", name="app-01", job="j9")], stops)
    assert len(now) == 1
    assert (now[0]["group"], now[0]["at"], now[0]["job"]) == (2, "before", "job-1")
    assert [h["tasks"] for h in now[0]["hooks"]] == ["/hooks/h2before.yml"]
    again = f.runbook_stops([suspended_job("before-2")], stops, done=[now[0]["key"]])
    assert again[0]["group"] is None and again[0]["hooks"] == []


def test_a_job_whose_hook_failed_is_left_where_it_is_when_records_are_given():
    stops = f.runbook_hooks([hook(2, "before")], [plan()], "UnplannedFailover")["stops"]
    stop = f.runbook_stops([suspended_job("before-2")], stops)[0]
    record = f.runbook_record(stop, stop["hooks"][0], True, "lb refused")
    assert f.runbook_stops([suspended_job("before-2")], stops, records=[record]) == []


def test_hosts_by_host_var_else_by_name_case_insensitive():
    hostvars = {"a": {"vm": "WEB-01"}, "web-02": {}, "db-01": {"vm": "db-01"}}
    assert f.runbook_hosts(["web-01", "web-02"], ["a", "web-02", "db-01"], hostvars, "vm") == ["a", "web-02"]
    assert f.runbook_hosts(["web-02"], ["web-02", "web-02"], hostvars, "") == ["web-02"]


def test_resumes_after_hooks_passed_never_after_a_failure_unless_told():
    stops = f.runbook_hooks([hook(2, "before", name="lb")], [plan()], "TestFailover")["stops"]
    stop = f.runbook_stops([suspended_job("before-2")], stops)[0]
    assert f.runbook_resumes([stop], []) == []  # the hooks have not run
    passed = f.runbook_record(stop, stop["hooks"][0], False, "ok", hosts=["web-01"])
    assert passed["status"] == "passed" and passed["hosts"] == ["web-01"] and passed["group"] == 2
    resumes = f.runbook_resumes([stop], [passed])
    assert [(r["job"], r["comments"]) for r in resumes] == [("job-1", "dr.asr hooks passed: lb")]
    failed = f.runbook_record(stop, stop["hooks"][0], True, "lb refused")
    assert f.runbook_resumes([stop], [failed]) == []
    assert "hooks failed" in f.runbook_resumes([stop], [failed], resume_failed=True)[0]["comments"]


def test_a_stop_without_hooks_is_resumed_only_when_the_role_resumes_manual_actions():
    stops = f.runbook_hooks([], [plan()], "TestFailover")["stops"]
    stop = f.runbook_stops([suspended_job("after-1")], stops)[0]
    assert stop["hooks"] == [] and stop["group"] == 1
    assert f.runbook_resumes([stop], [], resume_manual_actions=False) == []
    assert f.runbook_resumes([stop], [], resume_manual_actions=True)[0]["job"] == "job-1"


def test_the_failover_reads_its_suspended_plan_jobs_and_resumes_them_by_target():
    job = suspended_job("before-2")["facts"]
    results = [dict(item=dict(key="plan:rp-shop", label="recovery plan rp-shop", manual_job="job-1"), jobs=[job]),
               dict(item=dict(key="vms", label="VMs web-09", manual_job="job-2"), jobs=[job]),
               dict(item=dict(key="plan:rp-gone", manual_job="job-3"), jobs=[])]
    waiting = f.runbook_waiting(results)
    assert [(w["name"], w["job"], w["target"]) for w in waiting] == [("rp-shop", "job-1", "plan:rp-shop")]
    stops = f.runbook_hooks([hook(2, "before", name="lb")], [plan()], "UnplannedFailover")["stops"]
    stop = f.runbook_stops(waiting, stops)[0]
    record = f.runbook_record(stop, stop["hooks"][0], False, kind="failover")
    resume = f.runbook_resumes([stop], [record])[0]
    assert (resume["key"], resume["manual_action"], resume["job"]) == ("plan:rp-shop", "before-2", "job-1")
