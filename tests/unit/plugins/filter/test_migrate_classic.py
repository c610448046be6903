# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The migrate_classic role's decisions (plugins/filter/migrate_classic.py) over dr.asr.classic_info's items."""

from __future__ import annotations

from ansible_collections.dr.asr.plugins.filter import migrate_classic as f


def item(name, group=None, moved=None, blocking=None, state="Protected"):
    return dict(vm_name=name, multi_vm_group=group or name, provider="InMageAzureV2", state=state, health="Normal",
                moved_to=dict(item_id="/x/new-" + name) if moved else None,
                switch_provider_blocking_errors=blocking or [])


BLOCK = [dict(code="1003", message="agent too old", possible_causes=None, recommended_action="Upgrade the agent.")]


def test_batches_hold_at_most_ten_and_keep_a_replication_group_together():
    items = [item("vm-%02d" % i) for i in range(9)] + [item("g-a", "grp"), item("g-b", "grp")]
    plan = f.migrate_classic_plan(items)
    assert [len(b) for b in plan["batches"]] == [9, 2]
    assert plan["batches"][1] == ["g-a", "g-b"]
    assert f.migrate_classic_plan(items, batch_size=50)["batches"][0] == ["vm-%02d" % i for i in range(9)]
    assert f.migrate_classic_plan(items, batch_size=4)["batches"][2] == ["vm-08", "g-a", "g-b"]   # a group fits whole


def test_moved_items_are_skipped_blocked_and_unknown_ones_are_named():
    items = [item("web-01", moved=True), item("db-01", blocking=BLOCK), item("app-01")]
    plan = f.migrate_classic_plan(items, ["WEB-01", "db-01", "app-01", "nope-01"])
    assert plan["batches"] == [["app-01"]]
    assert plan["moved"] == [dict(vm="web-01", moved_to=dict(item_id="/x/new-web-01"))]
    assert plan["unknown"] == ["nope-01"]
    message = f.migrate_classic_blocked_message(plan)
    assert message.startswith("Nothing was moved.")
    assert "db-01: 1003 agent too old - Upgrade the agent." in message and "nope-01" in message
    assert f.migrate_classic_blocked_message(f.migrate_classic_plan(items, ["app-01"])) is None


def test_a_replication_group_over_the_limit_is_blocked_not_split():
    plan = f.migrate_classic_plan([item("g-%02d" % i, "big") for i in range(11)])
    assert plan["batches"] == [] and plan["blocked"][0]["errors"][0]["code"] == "ReplicationGroupTooLarge"


def test_the_summary_says_where_each_vm_is_and_what_is_not_migrated():
    before = [item("web-01"), item("db-01")]
    plan = f.migrate_classic_plan(before)
    results = [dict(protected_items=[dict(name="web-01", changed=True, job=dict(name="j1")),
                                     dict(name="db-01", changed=True, job=dict(name="j2"))])]
    predicted = [dict(protected_items=[dict(name="web-01", changed=True, job=None),
                                       dict(name="db-01", changed=True, job=None)])]
    after = [item("web-01", moved=True), item("db-01", moved=True)]
    target = [dict(id="/X/NEW-web-01", provider="InMageRcm", state="Protected", health="Normal"),
              dict(id="/x/new-db-01", provider="InMageRcm", state="InitialReplicationInProgress", health="Normal")]
    out = f.migrate_classic_summary(plan, results, after, target, [dict(name="rp-shop")])
    assert out["moved_in_this_run"] == ["web-01", "db-01"]
    assert out["protected_under_inmagercm"] == ["web-01"] and out["not_protected_yet"] == ["db-01"]
    assert out["not_migrated"][0]["name"] == "rp-shop" and "dr.asr.recovery_plan" in out["not_migrated"][0]["action"]
    assert any("rp-shop" in line for line in out["table"])
    checked = f.migrate_classic_summary(plan, predicted, before, [], [])    # check mode: jobs are not started
    assert checked["check_mode"] and checked["would_move"] == ["web-01", "db-01"]
    assert checked["moved_in_this_run"] == [] and checked["not_protected_yet"] == []
