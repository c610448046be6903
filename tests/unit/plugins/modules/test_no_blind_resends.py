# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""No blind re-sends (issue 14): a write that starts an ASR job is never sent again before the target was looked at.
The real SDK clients talk to the in-memory ASR at the network edge (tests/unit/asr_fake.py), whose faults answer a
request after it ran (a 503, a lost answer) or before (a 503: nothing ran)."""

from __future__ import annotations

import pytest

from ansible_collections.dr.asr.plugins.module_utils._asr import jobs
from ansible_collections.dr.asr.plugins.modules import job, protected_item, test_failover
from ansible_collections.dr.asr.tests.unit.asr_fake import IDLE, RG, VAULT, FakeAsr
from ansible_collections.dr.asr.tests.unit.plugins.modules.utils import (
    fail_module, patch_exit_json, run_module, set_module_args)

BASE = dict(vault_name=VAULT, vault_resource_group=RG, wait_sleep=0, wait_timeout=5)


@pytest.fixture
def arm(monkeypatch):
    patch_exit_json(monkeypatch)
    monkeypatch.setattr(jobs, "RESEND_DELAY", 0)

    def use(**kwargs):
        return FakeAsr(**kwargs).patch(monkeypatch)
    return use


def run(module, args):
    with set_module_args(dict(BASE, **args)):
        return run_module(module.main)


def fail(module, args):
    with set_module_args(dict(BASE, **args)):
        return fail_module(module.main)


def jobs_of(fake, scenario, target):
    return [j for j in fake.jobs.values() if j["properties"]["scenarioName"] == scenario and
            j["properties"]["targetObjectName"] == target]


# -- items --------------------------------------------------------------------------------------------------------

def test_a_503_after_the_test_failover_ran_attaches_to_its_job(arm):
    """azure-core resends a POST answered 503: one 503 gave two testFailover POSTs (two jobs)."""
    fake = arm(protected=["web-01"])
    fake.fail_answers["action"] = [503]
    result = run(test_failover, dict(items=["web-01"]))
    entry = result["protected_items"][0]
    assert result["changed"] and entry["error"] is None, entry
    assert [b[0] for b in fake.bodies] == ["testfailover"]                 # sent once
    assert len(jobs_of(fake, "TestFailover", "web-01")) == 1
    assert entry["job"]["name"] == jobs_of(fake, "TestFailover", "web-01")[0]["name"]
    assert "answer was lost" in entry["reason"] and entry["phase"] == "test_failover"


def test_a_503_before_anything_ran_is_sent_again_once_the_item_shows_nothing_started(arm):
    fake = arm(protected=["web-01"])
    fake.fail_requests["action"] = [503]
    result = run(test_failover, dict(items=["web-01"]))
    entry = result["protected_items"][0]
    assert result["changed"] and entry["error"] is None, entry
    assert fake.count("POST", "action") == 2 and len(fake.bodies) == 1    # the 503, then the one that ran
    assert len(jobs_of(fake, "TestFailover", "web-01")) == 1
    assert fake.kinds().index(("GET", "item_get")) < len(fake.kinds()) - 1      # looked before sending again


def test_a_conflict_after_a_503_is_not_sent_again(arm):
    """A 409 means something else runs: looked at, nothing of ours found, reported - not sent a third time."""
    fake = arm(protected=["web-01"])
    fake.fail_requests["action"] = [503, 409]
    failure = fail(test_failover, dict(items=["web-01"]))
    assert fake.count("POST", "action") == 2 and fake.bodies == []
    assert failure["protected_items"][0]["error"]["status"] == 409


def test_a_write_that_keeps_failing_is_sent_a_bounded_number_of_times(arm):
    fake = arm(protected=["web-01"])
    fake.fail_requests["action"] = [503] * 10
    failure = fail(test_failover, dict(items=["web-01"]))
    assert fake.count("POST", "action") == 1 + jobs.RESENDS and fake.bodies == []
    assert failure["protected_items"][0]["error"]["status"] == 503


# -- recovery plans -----------------------------------------------------------------------------------------------

def plan_fake(arm):
    fake = arm(protected=["web-01", "web-02"])
    fake.add_plan("rp-shop", [["web-01"], ["web-02"]])
    return fake


def test_a_plan_action_whose_answer_was_lost_after_its_job_ended_attaches_to_that_job(arm):
    """The plan's job ran and ended before the lost answer was noticed: it is found (the plan as the job's target)
    and awaited; nothing is sent again, and a rerun has nothing to do."""
    fake = plan_fake(arm)
    fake.lose_answers.add("plan_action")
    result = run(test_failover, dict(recovery_plan="rp-shop"))
    plan = result["recovery_plan"]
    assert result["changed"] and plan["error"] is None, plan
    assert [b[0] for b in fake.bodies] == ["plan_testfailover"]
    started = jobs_of(fake, "TestFailover", "rp-shop")
    assert len(started) == 1 and plan["job"]["name"] == started[0]["name"] and plan["job"]["state"] == "Succeeded"
    assert "answer was lost" in plan["reason"]
    fake.lose_answers.clear()
    again = run(test_failover, dict(recovery_plan="rp-shop"))
    assert not again["changed"] and len(fake.bodies) == 1


def test_a_503_after_a_plan_action_ran_attaches_to_its_job(arm):
    fake = plan_fake(arm)
    fake.fail_answers["plan_action"] = [503]
    result = run(test_failover, dict(recovery_plan="rp-shop"))
    assert result["changed"] and result["recovery_plan"]["error"] is None
    assert [b[0] for b in fake.bodies] == ["plan_testfailover"]
    assert len(jobs_of(fake, "TestFailover", "rp-shop")) == 1


@pytest.mark.parametrize("named", [True, False])
def test_an_older_job_of_the_plan_is_not_taken_for_the_lost_one(arm, named):
    """The plan's earlier drill (ended, cleaned up since) is no proof that this request ran - whether the plan still
    names it as its current scenario or not: nothing started now, so the request is sent again."""
    fake = plan_fake(arm)
    old = fake.busy_plan("rp-shop", scenario="TestFailover", state="Succeeded")
    if not named:
        props = fake.plans["rp-shop"]["properties"]
        props["currentScenario"] = dict(IDLE)
        props.pop("currentScenarioStatus", None)
    fake.fail_requests["plan_action"] = [503]
    result = run(test_failover, dict(recovery_plan="rp-shop"))
    assert result["changed"] and result["recovery_plan"]["error"] is None
    assert fake.count("POST", "plan_action") == 2 and [b[0] for b in fake.bodies] == ["plan_testfailover"]
    started = [j["name"] for j in jobs_of(fake, "TestFailover", "rp-shop")]
    assert len(started) == 2 and started[0] == old
    assert result["recovery_plan"]["job"]["name"] == started[1]


# -- protect ------------------------------------------------------------------------------------------------------

PROTECT = dict(policy="pol-24h", run_as_account="linux-root", target_resource_group=RG,
               target_network="vnet-dr-recovery", test_network="vnet-dr-test", log_storage_account="stcache01",
               vms=[{"name": "web-01"}], wait="none")


def test_a_503_after_the_enable_ran_attaches_to_its_job(arm):
    """The enable PUT is not sent again by the pipeline either (it would meet a 409: the EnableDr job runs)."""
    fake = arm(vms=["web-01"], policies=["pol-24h"], job_state="InProgress")
    fake.fail_answers["enable"] = [503]
    result = run(protected_item, PROTECT)
    vm = result["vms"][0]
    assert vm["error"] is None and vm["action"] == "enable", vm
    assert fake.count("PUT", "enable") == 1 and len(jobs_of(fake, "EnableDr", "web-01")) == 1
    assert vm["job"]["name"] == jobs_of(fake, "EnableDr", "web-01")[0]["name"]


def test_a_lost_enable_whose_new_item_cannot_be_read_is_found_in_the_job_list(arm):
    """After a lost answer the new item cannot be read (the item list fails); its running EnableDr job is looked up
    in the vault's job list by its target and scenario, and attached to: no second PUT (a 409), no failure."""
    fake = arm(vms=["web-01"], policies=["pol-24h"], job_state="InProgress")
    fake.lose_answers.add("enable")
    original, lists = fake._item_list, []

    def _item_list(match, query, body):
        lists.append(1)
        if len(lists) == 2:                 # the list right after the write fails
            return 400, {"error": {"code": "BadRequest", "message": "The list is not available now."}}, {}
        return original(match, query, body)
    fake._item_list = _item_list
    result = run(protected_item, PROTECT)
    vm = result["vms"][0]
    assert vm["error"] is None and vm["action"] == "enable", vm
    assert fake.count("PUT", "enable") == 1 and len(jobs_of(fake, "EnableDr", "web-01")) == 1
    assert vm["job"]["name"] == jobs_of(fake, "EnableDr", "web-01")[0]["name"]


# -- job actions --------------------------------------------------------------------------------------------------

def test_a_job_action_whose_answer_was_lost_is_read_back_not_sent_again(arm):
    """dr.asr.job action=cancel: the cancel ran, its answer was lost; the job read back is cancelled, so that is the
    result (before, the module failed on the lost answer)."""
    fake = arm(protected=["web-01"])
    name = fake.busy("web-01", scenario="TestFailover", looks=100)
    fake.jobs[name]["properties"]["allowedActions"] = ["Cancel"]
    fake.lose_answers.add("job_action")
    result = run(job, dict(name=name, action="cancel"))
    assert result["changed"] and result["job"]["state"] == "Cancelled"
    assert fake.count("POST", "job_action") == 1
