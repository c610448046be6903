# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The action modules end to end in-process, the real SDK clients talking to an in-memory ARM at the network edge
(tests/unit/asr_fake.py: the item actions, recovery points and job actions): one POST per item, one job list per
poll, check mode without writes, reruns without writes, attaching to a running job, timeouts with the jobs' tasks,
the confirmation, and the job module's idempotency."""

from __future__ import annotations

import pytest

from ansible_collections.dr.asr.plugins.modules import failover, job, recovery_point_info, test_failover
from ansible_collections.dr.asr.tests.unit.asr_fake import RG, VAULT, FakeAsr
from ansible_collections.dr.asr.tests.unit.plugins.modules.utils import (
    fail_module, patch_exit_json, run_module, set_module_args)

BASE = dict(vault_name=VAULT, vault_resource_group=RG, wait_sleep=0, wait_timeout=5)


@pytest.fixture
def arm(monkeypatch):
    patch_exit_json(monkeypatch)

    def use(vms, **kwargs):
        return FakeAsr(protected=vms, **kwargs).patch(monkeypatch)
    return use


def run(module, args, check_mode=False):
    base = BASE if module is not recovery_point_info else dict(vault_name=VAULT, vault_resource_group=RG)
    with set_module_args(dict(base, **args), check_mode=check_mode):
        return run_module(module.main)


def fail(module, args, check_mode=False):
    with set_module_args(dict(BASE, **args), check_mode=check_mode):
        return fail_module(module.main)


def names(count):
    return ["web-%02d" % i for i in range(1, count + 1)]


@pytest.mark.parametrize("count", [1, 3, 40])
def test_drill_a_batch_one_post_per_item_one_job_list_per_poll(arm, count):
    fake = arm(names(count))
    result = run(test_failover, dict(items=names(count), recovery_point="LatestProcessed"))
    assert result["changed"] and [r["action"] for r in result["protected_items"]] == ["start"] * count
    assert [r["phase"] for r in result["protected_items"]] == ["test_failover"] * count
    assert fake.count("POST") == count
    assert fake.count("GET", "job_list") == (0 if count == 1 else 1)
    assert fake.count("GET", "points") == count          # one recovery point list per item (a point by type)
    assert fake.count("GET", "item_list") == 2           # resolve, report
    body = fake.bodies[0][2]["properties"]
    assert body["providerSpecificDetails"] == {"instanceType": "InMageRcm", "networkId": body["networkId"],
                                               "recoveryPointId": "p/recoveryPoints/rp-35"}
    assert result["protected_items"][0]["recovery_point"]["name"] == "rp-35"


def test_check_mode_and_rerun_write_nothing(arm):
    fake = arm(names(2))
    check = run(test_failover, dict(items=names(2)), check_mode=True)
    assert check["changed"] and fake.writes() == []
    assert check["protected_items"][0]["diff"]["after"]["test_failover_state"] == "WaitingForCompletion"
    run(test_failover, dict(items=names(2)))
    fake.calls = []
    again = run(test_failover, dict(items=names(2)))
    assert not again["changed"] and fake.writes() == [] and again["diff"] == []
    assert [r["action"] for r in again["protected_items"]] == ["none", "none"]


def test_a_running_drill_is_attached_to(arm):
    fake = arm(["web-01"])
    job_name = fake.busy("web-01", scenario="TestFailover", looks=2)
    result = run(test_failover, dict(items=["web-01"]))
    assert not result["changed"] and fake.count("POST") == 0
    assert result["protected_items"][0]["action"] == "attach"
    assert result["protected_items"][0]["job"]["name"] == job_name
    assert result["protected_items"][0]["job"]["state"] == "Succeeded"


def test_cleanup_waits_for_a_running_drill_then_cleans_up(arm):
    """The drill's job runs (the item names it and allows nothing): the cleanup waits for it, lists the items again
    and cleans up once TestFailoverCleanup is allowed. looks=2: the job still runs when the run reads it first."""
    fake = arm(["web-01"])
    fake.busy("web-01", scenario="TestFailover", looks=2, effects={"testFailoverState": "WaitingForCompletion"})
    result = run(test_failover, dict(items=["web-01"], state="absent"))
    assert result["changed"] and result["protected_items"][0]["action"] == "start"
    assert [b[0] for b in fake.bodies] == ["testfailovercleanup"]
    assert result["protected_items"][0]["phase"] == "protected"
    assert result["protected_items"][0]["test_failover_state"] == "MarkedForDeletion"


def test_timeout_returns_the_jobs_tasks_and_a_rerun_attaches(arm):
    fake = arm(["web-01"])
    fake.job_state = "InProgress"
    failed = fail(test_failover, dict(items=["web-01"], wait_timeout=0))
    assert failed["error"]["kind"] == "timeout"
    partial = failed["partial"]["protected_items"][0]
    assert partial["action"] == "start" and partial["job"]["state"] == "InProgress"
    job_name = partial["job"]["name"]
    # the item names the running job and allows nothing; the job ends at the second look (the rerun reads it once
    # to tell a running job from a failed one, then waits for it)
    assert fake.item("web-01")["properties"]["currentScenario"]["jobId"].endswith("/" + job_name)
    assert partial["allowed_operations"] == [] and partial["phase"] == "protected"
    fake.end_after(job_name, 2)
    again = run(test_failover, dict(items=["web-01"]))
    assert again["protected_items"][0]["action"] == "attach" and fake.count("POST") == 1
    assert again["protected_items"][0]["job"]["state"] == "Succeeded"
    assert again["protected_items"][0]["phase"] == "test_failover"


def test_failover_needs_confirmation_also_in_check_mode(arm):
    fake = arm(["web-01"])
    failed = fail(failover, dict(items=["web-01"]), check_mode=True)
    assert failed["error"]["details"]["parameter"] == "confirm" and fake.count("GET") == 0
    result = run(failover, dict(items=["web-01"], confirm=True, shutdown_source=False))
    body = fake.bodies[0][2]["properties"]
    assert body["sourceSiteOperations"] == "NotRequired"
    assert body["providerSpecificDetails"] == {"instanceType": "InMageRcm", "performShutdown": "false"}
    assert result["protected_items"][0]["phase"] == "failed_over"


def test_a_refused_item_stops_the_batch_before_any_write(arm):
    fake = arm(["web-01", "web-02"])
    fake.item("web-02")["properties"].update(testFailoverState="WaitingForCompletion")
    failed = fail(failover, dict(items=["web-01", "web-02"], confirm=True))
    assert fake.writes() == []
    assert "web-02 is in a test failover" in failed["msg"] and "state=absent" in failed["msg"]


def test_recovery_point_info(arm):
    fake = arm(["web-01", "web-02"])
    result = run(recovery_point_info, dict(items=["web-02", "web-01"], types=["ApplicationConsistent"], limit=1))
    assert [r["name"] for r in result["protected_items"]] == ["web-02", "web-01"]
    assert [p["name"] for p in result["protected_items"][0]["recovery_points"]] == ["rp-30"]
    assert result["protected_items"][0]["latest"]["application_consistent"]["name"] == "rp-30"
    assert fake.count("GET", "points") == 2 and fake.writes() == []


def test_job_actions_are_idempotent(arm):
    fake = arm(["web-01"])
    name = fake.busy("web-01", scenario="TestFailover", looks=100)
    resume = run(job, dict(name=name, action="resume", wait=False))
    assert not resume["changed"] and "not suspended" in resume["reason"] and fake.writes() == []
    fake.jobs[name]["properties"]["allowedActions"] = ["Cancel"]
    check = run(job, dict(item="web-01", action="cancel"), check_mode=True)
    assert check["changed"] and fake.writes() == [] and check["source"] == "the current job of item web-01"
    cancel = run(job, dict(name=name, action="cancel"))
    assert cancel["changed"] and cancel["job"]["state"] == "Cancelled"
    assert cancel["diff"] == {"before": {"state": "InProgress"}, "after": {"state": "Cancelled"}}
    fake.jobs[name]["properties"]["allowedActions"] = []
    again = run(job, dict(name=name, action="cancel"))
    assert not again["changed"] and fake.count("POST") == 1
    unknown = fail(job, dict(name="nope"))
    assert unknown["error"]["details"]["parameter"] == "name"


def test_a_lost_answer_is_not_repeated_when_its_job_has_ended(arm):
    """The service runs the action, then the connection drops before the answer reaches the client."""
    fake = arm(["web-01"])
    fake.item("web-01")["properties"].update(testFailoverState="WaitingForCompletion")
    fake.lose_answers.add("action")
    result = run(test_failover, dict(items=["web-01"], state="absent"))
    entry = result["protected_items"][0]
    assert result["changed"] and entry["error"] is None, entry
    assert entry["job"]["scenario"] == "TestFailoverCleanup" and "answer was lost" in entry["reason"]
    assert [b[0] for b in fake.bodies] == ["testfailovercleanup"]    # sent once, not again


def test_a_plan_run_lists_only_the_plans_members(arm):
    """A run on one plan asks ASR for that plan's members (recoveryPlanName filter), never the whole vault: a plan of
    2 items in a vault of 40 reads one short list per look, and every member is reported."""
    fake = arm(names(40))
    fake.add_plan("rp-shop", [["web-01"], ["web-02"]])
    result = run(test_failover, dict(recovery_plan="rp-shop"))
    assert result["changed"] and result["recovery_plan"]["action"] == "start"
    assert sorted(i["name"] for i in result["recovery_plan"]["items"]) == ["web-01", "web-02"]
    assert fake.item_filters and set(fake.item_filters) == set(["recoveryPlanName eq 'rp-shop'"])


def test_a_member_the_plan_filter_misses_is_found_in_the_vault_list(arm, monkeypatch):
    """Should ASR's filtered list leave out a member the plan's GET names, the run looks in the vault-wide list
    before it leaves the member out: no member is dropped because of the filter."""
    fake = arm(names(3))
    fake.add_plan("rp-shop", [["web-01"], ["web-02"]])
    real = fake._item_list

    def short(match, query, body):
        status, page, headers = real(match, query, body)
        if query.get("$filter"):
            page["value"] = [i for i in page["value"] if not i["name"].endswith("web-02")]
        return status, page, headers
    monkeypatch.setattr(fake, "_item_list", short)
    result = run(test_failover, dict(recovery_plan="rp-shop", wait=False))
    assert sorted(i["name"] for i in result["recovery_plan"]["items"]) == ["web-01", "web-02"]
    assert None in fake.item_filters                  # the vault-wide list was read


def test_resume_cleanup_finishes_the_cleanup_an_interrupted_drill_left_running(arm):
    """A drill interrupted during its cleanup: the plan's TestFailoverCleanup job still runs. With resume_cleanup the
    rerun waits for that job as its own and starts no second test failover; without it, it waits, then drills."""
    fake = arm(["web-01", "web-02"])
    fake.add_plan("rp-shop", [["web-01"], ["web-02"]])
    job_name = fake.busy_plan("rp-shop", scenario="TestFailoverCleanup", state="InProgress")
    fake.end_after(job_name, 2)
    result = run(test_failover, dict(recovery_plan="rp-shop", resume_cleanup=True))
    assert fake.count("POST") == 0, fake.bodies
    assert result["recovery_plan"]["action"] == "attach" and result["recovery_plan"]["job"]["name"] == job_name
    assert not result["changed"]


def test_a_later_round_of_a_resumed_cleanup_starts_no_drill(arm):
    """The waiting action runs the module in rounds: the round that attached to the interrupted drill's cleanup hands
    its job over (wait_resume); the next round, after that cleanup ended, waits for it only - a round that decided
    afresh would find no drill up and start one."""
    fake = arm(["web-01", "web-02"])
    fake.add_plan("rp-shop", [["web-01"], ["web-02"]])
    job_name = fake.busy_plan("rp-shop", scenario="TestFailoverCleanup", state="InProgress")
    fake.end_after(job_name, 5)
    first = fail(test_failover, dict(recovery_plan="rp-shop", resume_cleanup=True, wait_timeout=0))
    resume = first["partial"]["wait_resume"]
    assert resume == dict(cleanups={first["partial"]["recovery_plan"]["id"].lower(): job_name})
    fake.finish(job_name, "Succeeded")
    second = run(test_failover, dict(recovery_plan="rp-shop", resume_cleanup=True, wait_resume=resume))
    assert fake.count("POST") == 0, fake.bodies
    assert second["recovery_plan"]["action"] == "attach" and second["recovery_plan"]["job"]["name"] == job_name
    assert second["recovery_plan"]["job"]["state"] == "Succeeded"
    # a run of its own (no wait_resume) finds no drill up and starts one
    fresh = run(test_failover, dict(recovery_plan="rp-shop", resume_cleanup=True, wait=False))
    assert fresh["recovery_plan"]["action"] == "start" and fake.count("POST") == 1
