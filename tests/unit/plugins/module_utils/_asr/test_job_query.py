# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Job queries: times people type, the $filter ASR takes (Az PowerShell's clauses), local matching."""

from __future__ import annotations

import datetime

import pytest

from ansible_collections.dr.asr.plugins.module_utils._errors import InputError
from ansible_collections.dr.asr.plugins.module_utils._asr import job_query as jq

UTC = datetime.timezone.utc
NOW = datetime.datetime(2026, 11, 26, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize("text,expected", [
    ("2026-11-26T08:00:00Z", datetime.datetime(2026, 11, 26, 8, tzinfo=UTC)),
    ("2026-11-26T10:00:00+02:00", datetime.datetime(2026, 11, 26, 8, tzinfo=UTC)),
    ("2026-11-26T08:00:00", datetime.datetime(2026, 11, 26, 8, tzinfo=UTC)),
    ("2026-11-26", datetime.datetime(2026, 11, 26, tzinfo=UTC)),
    ("2026-11-26T08:00:00.1234567Z", datetime.datetime(2026, 11, 26, 8, 0, 0, 123456, tzinfo=UTC)),
    ("30m", NOW - datetime.timedelta(minutes=30)),
    ("2h", NOW - datetime.timedelta(hours=2)),
    ("-2h", NOW - datetime.timedelta(hours=2)),
    ("2 hours ago", NOW - datetime.timedelta(hours=2)),
    ("7d", NOW - datetime.timedelta(days=7)),
    ("1w", NOW - datetime.timedelta(days=7)),
    ("90s", NOW - datetime.timedelta(seconds=90)),
])
def test_times(text, expected):
    assert jq.parse_time(text, "since", now=NOW) == expected


@pytest.mark.parametrize("text", ["yesterday", "2026-13-01", "2h30", "soon"])
def test_bad_times_name_the_option(text):
    with pytest.raises(InputError) as info:
        jq.parse_time(text, "until", now=NOW)
    assert info.value.parameter == "until" and repr(text) in info.value.message and "ISO 8601" in info.value.message


def test_filter_is_what_powershell_sends():
    since = datetime.datetime(2026, 11, 26, 8, 0, 0, 500000, tzinfo=UTC)
    assert jq.to_filter_time(since) == "2026-11-26T08:00:00.5000000Z"
    assert jq.odata_filter(since, NOW, ["Failed"], ["ProtectionEntity"]) == (
        "StartTime eq '2026-11-26T08:00:00.5000000Z' and EndTime eq '2026-11-26T12:00:00.0000000Z' and "
        "JobStatus eq 'Failed' and AffectedObjectTypes eq 'ProtectionEntity'")
    # several states or types: matched locally (the service takes one)
    assert jq.odata_filter(states=["Failed", "Cancelled"], target_types=["A", "B"]) is None
    assert jq.odata_filter() is None


def job(name, start, state="Succeeded", scenario="TestFailover", friendly="Test failover", target="web-01",
        target_id="guid-1", kind="ProtectionEntity"):
    return dict(name=name, start_time=start, state=state, scenario=scenario, friendly_name=friendly,
                target_object_name=target, target_object_id=target_id, target_instance_type=kind)


def test_matching():
    j = job("j1", "2026-11-26T09:00:00.0000000Z")
    assert jq.matches(j)
    assert jq.matches(j, since=NOW - datetime.timedelta(hours=3), until=NOW)
    assert not jq.matches(j, since=NOW)
    assert not jq.matches(j, until=NOW - datetime.timedelta(hours=4))
    assert jq.matches(j, states=["succeeded"]) and not jq.matches(j, states=["Failed", "Cancelled"])
    assert jq.matches(j, scenarios=["test*"]) and jq.matches(j, scenarios=["Test failover"])
    assert not jq.matches(j, scenarios=["Commit"])
    assert jq.matches(j, target_types=["protectionentity"]) and not jq.matches(j, target_types=["RecoveryPlan"])
    assert jq.matches(j, targets={"web-01"}) and jq.matches(j, targets={"guid-1"})
    assert not jq.matches(j, targets={"web-02"})
    assert not jq.matches(job("j2", None), since=NOW)


def test_target_keys_follow_items_and_plans():
    item = {"id": "/Subscriptions/s/x/replicationProtectedItems/item-7f3", "name": "item-7f3",
            "properties": {"friendlyName": "web-01", "providerSpecificDetails": {"internalIdentifier": "GUID-9"}}}
    plan = {"id": "/Subscriptions/s/x/replicationRecoveryPlans/rp-web", "name": "rp-web",
            "properties": {"friendlyName": "rp-web"}}
    by_id = jq.target_keys("/subscriptions/s/x/replicationProtectedItems/item-7f3", [item], [plan])
    assert {"web-01", "guid-9", "item-7f3"} <= by_id
    assert {"web-01", "guid-9"} <= jq.target_keys("WEB-01", [item], [plan])
    assert jq.target_keys("rp-web", [item], [plan]) >= {"rp-web"}
    assert jq.target_keys("pol-24h", [item], [plan]) == {"pol-24h"}


def test_newest_first():
    jobs = [job("a", "2026-11-26T09:00:00Z"), job("b", "2026-11-26T11:00:00Z"), job("c", None)]
    assert [j["name"] for j in jq.newest_first(jobs)] == ["b", "a", "c"]
