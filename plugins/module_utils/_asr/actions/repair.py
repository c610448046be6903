# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Replication health of protected items: the resync ASR asks for (`repairReplication`, gated by RepairReplication
in allowedOperations, which ASR lists while `resyncRequired` is true [recorded: TestV2ARCM540Reprotect#12]) and the
health errors resolved by id (`resolveHealthErrors`, ResolveHealthInput [S]; no allowedOperations value: ASR judges
the ids, its refusal is reported with its code and recommended action).

Both are idempotent by what ASR states: an item that needs no resync, or has no (matching, resolvable) health error,
is left alone. The items are read with a GET (their health errors and details).
"""

from __future__ import annotations

from ansible_collections.dr.asr.plugins.module_utils._errors import DrAsrError
from ansible_collections.dr.asr.plugins.module_utils._asr import pipeline
from ansible_collections.dr.asr.plugins.module_utils._asr.actions.base import Action
from ansible_collections.dr.asr.plugins.module_utils._asr.actions.run import Run
from ansible_collections.dr.asr.plugins.module_utils._asr.common import details, props
from ansible_collections.dr.asr.plugins.module_utils._asr.state import item_view, name_of

#: HealthError.customerResolvability of an error the user cannot resolve (ASR clears it when its cause is gone)
NOT_RESOLVABLE = "notallowed"


def resync_required(item):
    return str(details(item).get("resyncRequired") or "").lower() == "true"


class Resync(Action):
    title = "resync"
    operation = "RepairReplication"
    item_method = "begin_repair_replication"
    actions = ("repair",)
    hints = {"protected": "ASR does not ask for a resync of it now (resyncRequired is false)."}

    def needs_details(self, item):
        return True

    def done(self, run, item):
        if self.operation in (props(item).get("allowedOperations") or []) or resync_required(item):
            return None
        return "%s needs no resync (ASR does not ask for one: resyncRequired is false)." % name_of(item)

    def facts(self, item):
        return dict(resync_required=resync_required(item))

    def predict(self, item):
        return dict(resync_required=False)


def health_errors(item):
    """The item's health errors as ASR lists them (id, code, level, message, resolvable)."""
    out = []
    for error in props(item).get("healthErrors") or []:
        out.append(dict(id=error.get("errorId"), code=error.get("errorCode"), level=error.get("errorLevel"),
                        category=error.get("errorCategory"),
                        message=error.get("errorMessage") or error.get("summaryMessage"),
                        possible_causes=error.get("possibleCauses"), recommended_action=error.get("recommendedAction"),
                        resolvable=str(error.get("customerResolvability") or "").lower() != NOT_RESOLVABLE))
    return out


class ResolveHealthErrors(Action):
    title = "resolve health errors"
    operation = None
    item_method = "begin_resolve_health_errors"
    actions = ("resolve_health",)

    def __init__(self, params):
        super().__init__(params)
        self.wanted = [str(w) for w in params.get("health_errors") or []]

    def needs_details(self, item):
        return True

    def chosen(self, item):
        """(errors to resolve, wanted ids/codes that name an error the user cannot resolve)."""
        wanted = set(w.lower() for w in self.wanted)
        errors = health_errors(item)
        if wanted:
            errors = [e for e in errors if (e["id"] or "").lower() in wanted or (e["code"] or "").lower() in wanted]
        return [e for e in errors if e["resolvable"] and e["id"]], [e for e in errors if not e["resolvable"]]

    def done(self, run, item):
        todo, blocked = self.chosen(item)
        if todo or (blocked and self.wanted):
            return None                 # blocked: check() refuses it, naming them
        what = "health errors %s" % ", ".join(self.wanted) if self.wanted else "health errors"
        return "%s has no %s to resolve." % (name_of(item), what)

    def permitted(self, item):
        return True      # no allowedOperations value: ASR judges the ids (its refusal names the reason)

    def check(self, run, target):
        todo, blocked = self.chosen(target.resource)
        if blocked and self.wanted:
            raise DrAsrError("Cannot resolve health errors of %s: %s cannot be resolved by the user (ASR clears "
                             "them when their cause is gone)." % (
                                 target.label, ", ".join("%s (%s)" % (e["id"], e["code"]) for e in blocked)),
                             code="NotResolvable", recommended_action="; ".join(
                                 e["recommended_action"] for e in blocked if e["recommended_action"]) or None,
                             details=dict(item_view(target.resource), health_errors=blocked))
        target.extra["health_errors"] = todo

    def item_body(self, run, target):
        return {"properties": {"healthErrors": [{"healthErrorId": e["id"]} for e in target.extra["health_errors"]]}}

    def facts(self, item):
        return dict(health_errors=sorted(e["id"] or "" for e in health_errors(item)))

    def predict(self, item):
        todo, _blocked = self.chosen(item)
        ids = set(e["id"] for e in todo)
        return dict(health_errors=sorted(e["id"] or "" for e in health_errors(item) if e["id"] not in ids))


class FactsRun(Run):
    """A Run whose diff also shows what the action changes beyond the lifecycle state (`action.facts(item)`: the
    resync flag, the health errors, the disks), and whose report reads the items with a GET (a list carries them
    empty or sparse [recorded])."""

    details_after = True

    def read_details(self, targets):
        """The GET of each item is also its `before` (a list carries its disks empty [recorded])."""
        super().read_details(targets)
        for target in targets:
            if target.kind == "item" and not target.changed and self.action.needs_details(target.resource):
                target.before = target.resource

    def target_result(self, target, predicted=False):
        out = super().target_result(target, predicted)
        if target.kind == "item" and target.changed:
            before = self.action.facts(target.before)
            if not predicted:
                after = self.action.facts(target.resource)
            elif hasattr(self.action, "predicted_facts"):
                after = dict(before, **self.action.predicted_facts(target))
            else:
                after = dict(before, **self.action.predict(target.before))
            out["diff"]["before"].update(before)
            out["diff"]["after"].update(after)
        if target.kind == "item":
            out.update(self.action.facts(target.resource))
        return out


def run_action(module, action):
    """The whole run of one of these actions through the pipeline (FactsRun)."""
    params = module.params
    return pipeline.run(FactsRun(module.asr_vault(), params, action, module.warn), module.check_mode, params["wait"])
