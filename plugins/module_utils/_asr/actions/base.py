# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every DR action has: the options that name its targets, the confirmation, the target of a run and the
`Action` hooks a family of actions fills (see actions/__init__.py)."""

from __future__ import annotations

from ansible_collections.dr.asr.plugins.module_utils._errors import DrAsrError, InputError
from ansible_collections.dr.asr.plugins.module_utils._asr import jobs, providers
from ansible_collections.dr.asr.plugins.module_utils._asr.common import props
from ansible_collections.dr.asr.plugins.module_utils._asr.state import (
    NEXT_STEP, allowed, describe, item_view, phase, plan_busy_job)
from ansible_collections.dr.asr.plugins.module_utils._asr.tracker import Entry

#: options every action module takes to name its targets (documented by doc fragment dr.asr.asr_action_target)
TARGET_SPEC = dict(
    items=dict(type="list", elements="str", aliases=["vms", "item", "vm"]),
    recovery_plan=dict(type="str"),
)
TARGET_EXCLUSIVE = [["items", "recovery_plan"]]


def require_confirmation(params, option="confirm", what="fail over"):
    if not params.get(option):
        raise InputError(option, params.get(option), "true to %s" % what,
                         hint="A failover moves the workload and shuts down machines; set %s: true to do it "
                              "(also in check mode)." % option)


class Target(Entry):
    """One protected item, or the recovery plan, of a run."""

    def __init__(self, kind, resource, label, parameter, members=None, title=""):
        super().__init__()
        self.kind = kind                  # item | plan
        self.resource = resource
        self.label = label
        self.parameter = parameter        # the option that named it (items[0], recovery_plan)
        self.members = members or []      # a plan's items
        self.before = resource
        self.title = title                # the action's title (the error of a failed job)
        self.reason = None
        self.body = None
        self.update = None                # an item update (PATCH) the action needs first (test subnet)
        self.extra = {}                   # what prepare() resolved (network, point, ...)
        self.ended = set()                # job names known to have ended (a stale currentScenario)

    @property
    def name(self):
        return self.resource.get("name")

    @property
    def provider(self):
        """The provider seam of this target (a plan: its members')."""
        if self.kind == "plan":
            return providers.for_item(self.members[0] if self.members else None)
        return providers.for_item(self.resource)

    def job_what(self):
        return "%s of %s" % (self.title.capitalize(), self.label)

    def running_resource(self):
        return self.resource

    def busy_job(self):
        if self.kind == "plan":
            return plan_busy_job(self.resource)
        name = jobs.scenario_job_name(self.resource)
        return None if name in self.ended else name

    def phase(self):
        return phase(self.resource, self.ended)

    def busy_scenario(self):
        return (props(self.resource).get("currentScenario") or {}).get("scenarioName")


class Action(object):
    """One action (a module, or a module's state). A family of actions fills the class attributes and hooks."""

    title = ""                 # "test failover"
    operation = None           # the allowedOperations value that gates it
    item_method = None         # ReplicationProtectedItemsOperations.begin_* name
    plan_method = None         # ReplicationRecoveryPlansOperations.begin_* name; None: members in one batch
    actions = ()               # what its jobs run (the provider's scenario_action of their scenario): attach to these
    hints = {}                 # phase -> what to do, where it differs from NEXT_STEP
    waits_for_protection = False   # after its jobs, wait until the items replicate again

    def __init__(self, params):
        self.params = params

    def needs_details(self, item):
        """Whether the action's input needs the item's disks or NICs (a GET: a list has them empty)."""
        return False

    def own_job(self, scenario, item=None):
        """Whether a job of `scenario` (a job's or an item's scenario name) is one of this action's."""
        return providers.for_item(item).item.scenario_action(scenario) in self.actions

    # state model
    def done(self, run, item):
        """Why the item needs nothing (already in the wanted state), or None."""
        return None

    def check(self, run, target):
        """Raise a DrAsrError when the target cannot have the action for a reason of this action (beyond
        allowedOperations), e.g. a direction that does not fit its state; resolve the target's inputs."""

    def permitted(self, item):
        """Whether ASR lets the item have the action now (allowedOperations; an action ASR gates otherwise says so)."""
        return self.operation in allowed(item)

    def refusal(self, item):
        now = phase(item)
        hint = self.hints.get(now) or NEXT_STEP.get(now)
        return DrAsrError("Cannot %s: %s." % (self.title, describe(item)), code="OperationNotAllowed",
                          recommended_action=hint, details=dict(item_view(item), operation=self.operation))

    # inputs
    def needs_point(self, choice):
        """Whether each item's recovery point is looked up for its body (a given point, time or type)."""
        return False

    def item_body(self, run, target):
        return None

    def plan_body(self, run, target):
        return None

    # the report
    def predict(self, item):
        """The state the action leads to (check mode, wait=false)."""
        return {}

    def predicted(self, target):
        """The predicted state of a target's item (predict, plus what the target's inputs decided)."""
        return self.predict(target.before)


def needs_given_point(choice):
    """A choice that is not plain "latest": each item's point is looked up (a given point, time, type or multi-VM)."""
    return choice is not None and not (choice.kind == "keyword" and choice.value in (None, "Latest") and
                                       not choice.multi_vm)
