# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The failover family: failover to Azure and failback (a planned failover back), their commit, the cancel of a
failback, and the change of a failover's recovery point before the commit."""

from __future__ import annotations

from ansible_collections.dr.asr.plugins.module_utils._errors import InputError
from ansible_collections.dr.asr.plugins.module_utils._asr import lookup
from ansible_collections.dr.asr.plugins.module_utils._asr.actions.base import Action, needs_given_point
from ansible_collections.dr.asr.plugins.module_utils._asr.common import (
    AZURE, DIRECTIONS, FAILOVER_TYPES, ON_PREMISES, details)
from ansible_collections.dr.asr.plugins.module_utils._asr.state import failover_point, name_of, phase, runs_in


class Failover(Action):
    """direction primary_to_recovery: a failover to Azure; recovery_to_primary: the failback."""

    def __init__(self, params):
        super().__init__(params)
        self.direction = params.get("direction") or "primary_to_recovery"
        self.back = self.direction == "recovery_to_primary"
        kind = FAILOVER_TYPES[self.direction]
        self.title = "fail back to on-premises" if self.back else "fail over to Azure"
        self.operation = "PlannedFailover" if kind == "planned" else "UnplannedFailover"
        self.actions = ("failback",) if self.back else ("failover",)
        self.item_method = self.plan_method = "begin_planned_failover" if kind == "planned" else "begin_unplanned_failover"
        self.hints = {"test_failover": "Clean up the test failover first: dr.asr.test_failover with state=absent."}

    def done(self, run, item):
        where = runs_in(item)
        if self.back and where == ON_PREMISES:
            return "%s is active on-premises (not failed over to Azure)." % name_of(item)
        if not self.back and where == AZURE:
            return "%s is failed over to Azure already." % name_of(item)
        return None

    def needs_point(self, choice):
        return not self.back and needs_given_point(choice)

    def check(self, run, target):
        choice = run.points.choice(plan=target.kind == "plan")
        if self.back and choice is not None and (
                choice.kind != "keyword" or target.provider.item.failback_point_type(choice.keyword) is None):
            raise InputError("recovery_point", choice.text, "a recovery point type for a failback: LatestCrashConsistent "
                             "(the default) or LatestApplicationConsistent",
                             hint="A failback synchronizes the latest changes from Azure; it takes no given point.")

    def item_body(self, run, target):
        provider = target.provider.item
        if self.back:
            choice = run.points.choice()
            return provider.planned_failback_input(provider.failback_point_type(choice and choice.keyword))
        point = target.extra.get("point")
        shutdown = self.params.get("shutdown_source") is not False
        return {"properties": {"failoverDirection": "PrimaryToRecovery",
                               "sourceSiteOperations": "Required" if shutdown else "NotRequired",
                               "providerSpecificDetails": provider.unplanned_failover_input(
                                   shutdown, point.get("id") if point else None)}}

    def plan_body(self, run, target):
        choice = run.points.choice(plan=True)
        inputs = target.provider.item.plan_failover_inputs(self.direction, choice and choice.keyword,
                                                           choice.multi_vm if choice else None)
        body = {"failoverDirection": DIRECTIONS[self.direction], "providerSpecificDetails": inputs}
        if not self.back:
            body["sourceSiteOperations"] = "NotRequired" if self.params.get("shutdown_source") is False else "Required"
        return {"properties": body}

    def predict(self, item):
        if self.back:
            return dict(phase="failed_back", active_location="Recovery", runs_in=ON_PREMISES,
                        state="CommitPendingStatesBegin")
        return dict(phase="failed_over", active_location="Recovery", runs_in=AZURE,
                    state="UnplannedFailoverCommitPendingStatesBegin")


class FailoverCommit(Action):
    title = "commit the failover"
    operation = "Commit"
    actions = ("commit",)
    item_method = plan_method = "begin_failover_commit"
    hints = dict((p, "There is no failover to commit: fail over first (dr.asr.failover).")
                 for p in ("protected", "initial_replication", "test_failover"))

    def done(self, run, item):
        if phase(item, run.ended if run else ()) in ("committed", "failback_committed", "reprotecting", "reprotected"):
            return "The failover of %s is committed already." % name_of(item)
        return None

    def predict(self, item):
        back = phase(item) == "failed_back"
        return dict(phase="failback_committed" if back else "committed",
                    state="PlannedFailoverCommitted" if back else "UnplannedFailoverCommitted")


class FailoverCancel(Action):
    title = "cancel the failback"
    operation = "CancelFailover"
    actions = ("cancel",)
    item_method = plan_method = "begin_failover_cancel"
    hints = {"failed_over": "A failover to Azure cannot be canceled (only a failback to on-premises can): commit it "
                            "(dr.asr.failover_commit), after changing its recovery point if needed.",
             "failback_committed": "The failback is committed; it can no longer be canceled.",
             "reprotected": "There is no failback to cancel.", "protected": "There is no failback to cancel."}

    def done(self, run, item):
        if phase(item, run.ended if run else ()) == "reprotected" and \
                details(item).get("lastPlannedFailoverStatus") == "Cancelled":
            return "The failback of %s was canceled." % name_of(item)
        return None

    def predict(self, item):
        return dict(phase="reprotected", active_location="Primary", runs_in=AZURE, state="Protected")


class FailoverRecoveryPoint(Action):
    title = "change the recovery point of the failover"
    operation = "ChangePit"
    actions = ("change_recovery_point",)
    item_method = "begin_apply_recovery_point"
    hints = {"committed": "The failover is committed: its recovery point can no longer change.",
             "failback_committed": "The failback is committed: its recovery point can no longer change.",
             "protected": "There is no failover whose recovery point could change: fail over first (dr.asr.failover).",
             "failed_back": "A failback's recovery point cannot change: commit or cancel it."}

    def done(self, run, item):
        if phase(item, run.ended if run else ()) != "failed_over":
            return None
        point = run.points.point_for(item, latest_means_newest=True)
        current = lookup.last_segment(failover_point(item))
        if point is not None and current and point["name"].lower() == current.lower():
            return "%s runs on recovery point %s (%s) already." % (
                name_of(item), point["name"], (point.get("properties") or {}).get("recoveryPointTime"))
        return None

    def item_body(self, run, target):
        point = run.points.point_for(target.resource, latest_means_newest=True)
        target.extra["point"] = point
        return {"properties": {"recoveryPointId": point["id"],
                               "providerSpecificDetails": target.provider.item.apply_recovery_point_input(point["id"])}}

    def predicted(self, target):
        after = super().predicted(target)
        point = target.extra.get("point")
        if point:
            after["failover_recovery_point"] = point.get("name")
        return after
