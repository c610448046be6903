# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The DR actions of protected items and recovery plans, idempotent by state.

Every action module (test_failover, failover, failover_commit, failover_recovery_point, failover_cancel,
reprotect) is an `Action` run by a `Run`:

    run = Run(vault, params, TestFailover(present=True))
    run.resolve()      # items (VM name, item name or id) or a recovery plan: vault-wide lists, once
    run.decide()       # per target: none (already done) | attach (its job runs) | after_job (another job
                       # runs: wait for it, then decide again) | start; refusals of ALL targets raise here,
                       # before anything is written, with the state, the allowed operations and what to do
    run.prepare()      # the request bodies (networks, recovery points, appliances...): InputError before writes
    run.execute()      # one POST per target (no poller: the job name from the response headers)
    run.wait(deadline) # jobs together, one vault-wide job list per poll (one GET for a single job), stopping
                       # at a job that ended or waits at a manual action (Suspended)
    run.report()       # per target: what was done, the job (with its tasks), state before/after

The state model (docs/dr-actions.md): what ASR states explicitly decides - the provider and active location
(where the VM runs), allowedOperations (what can be done now) and the job running on the target. A target's
`currentScenario` names a job, but ASR keeps a FAILED job there too [recorded]: the job is read (one GET, or
one vault-wide job list for many) before the target counts as busy. An action is "done" when the phase says so
(`providers.inmagercm_item.phase`: test failover present <=> TestFailoverCleanup is allowed, ...); it starts only
when ASR lists its operation in `allowedOperations`; a target busy with a job of the same action is attached to,
never started again. A state dr.asr has never seen is refused with its raw state and allowed operations.

Recovery plans run the plan's own action (one plan job). Plans cannot reprotect VMware machines or change a
failover's recovery point (ASR refuses plan reprotect for InMageRcm; there is no plan applyRecoveryPoint):
those run on every member item instead, in one batch.
"""

from __future__ import annotations

import difflib
import time

from ansible_collections.dr.asr.plugins.module_utils._errors import AzureError, DrAsrError, InputError, WaitTimeout
from ansible_collections.dr.asr.plugins.module_utils._waiter import Probe, Waiter
from ansible_collections.dr.asr.plugins.module_utils._azure.errors import azure_errors, is_not_found
from ansible_collections.dr.asr.plugins.module_utils._azure.models import as_dict, parse_resource_id
from ansible_collections.dr.asr.plugins.module_utils._asr import job_query, jobs, lookup, offazure
from ansible_collections.dr.asr.plugins.module_utils._asr import recovery_points as rp
from ansible_collections.dr.asr.plugins.module_utils._asr.items import Problems, arm_id, item_path
from ansible_collections.dr.asr.plugins.module_utils._asr.providers import inmagercm_item as rcm
from ansible_collections.dr.asr.plugins.module_utils._asr.providers import inmagercm_policy as rcm_policy

#: options every action module takes to name its targets (documented by doc fragment dr.asr.asr_action_target)
TARGET_SPEC = dict(
    items=dict(type="list", elements="str", aliases=["vms", "item", "vm"]),
    recovery_plan=dict(type="str"),
)
TARGET_EXCLUSIVE = [["items", "recovery_plan"]]
RUNNING_STATES = ("NotStarted", "InProgress")
STOP_STATES = jobs.STOPPED_STATES
NETWORK_TYPE = "Microsoft.Network/virtualNetworks"
STORAGE_TYPE = "Microsoft.Storage/storageAccounts"

PHASES = {
    "initial_replication": "replicating to Azure, initial replication not finished",
    "protected": "protected (replicating to Azure)",
    "test_failover": "in a test failover that waits for its cleanup",
    "failed_over": "failed over to Azure, commit pending",
    "committed": "failed over to Azure and committed, not reprotected",
    "reprotecting": "reprotecting to on-premises, initial replication not finished",
    "reprotected": "running in Azure, replicating to on-premises",
    "failed_back": "failed back to on-premises, commit pending",
    "failback_committed": "failed back to on-premises and committed, not reprotected to Azure",
    "failed": "in a failed state",
    "disabling": "being disabled",
    "unknown": "in a state dr.asr does not know",
}
NEXT_STEP = {
    "initial_replication": "Wait until initial replication has finished (state Protected), for example with "
                           "dr.asr.protected_item wait=protected.",
    "protected": "It can be test-failed-over (dr.asr.test_failover) or failed over (dr.asr.failover).",
    "test_failover": "Clean up the test failover first: dr.asr.test_failover with state=absent.",
    "failed_over": "Commit the failover (dr.asr.failover_commit), after changing its recovery point if needed "
                   "(dr.asr.failover_recovery_point), or reprotect it to on-premises (dr.asr.reprotect commits it).",
    "committed": "Reprotect the VM to on-premises (dr.asr.reprotect) to fail back later.",
    "reprotecting": "Wait until the reprotection to on-premises has finished: dr.asr.reprotect with "
                    "wait_for_protection=true.",
    "reprotected": "Fail back to on-premises: dr.asr.failover with direction=recovery_to_primary.",
    "failed_back": "Commit the failback (dr.asr.failover_commit) or cancel it (dr.asr.failover_cancel), or "
                   "reprotect it to Azure (dr.asr.reprotect commits it).",
    "failback_committed": "Reprotect the VM to Azure again (dr.asr.reprotect).",
    "failed": "Restart its failed job (dr.asr.job action=restart), or disable replication and enable it again.",
    "disabling": "Replication is being disabled; protect the VM again (dr.asr.protected_item) once it is gone.",
    "unknown": "Check the item in the portal (dr.asr.protected_item_info shows its state and allowed operations).",
}


# -- facts --------------------------------------------------------------------------------------------------

def _props(resource):
    return (resource or {}).get("properties") or {}


def _details(item):
    return _props(item).get("providerSpecificDetails") or {}


def item_phase(item, ended=()):
    """The item's phase (rcm.phase); `ended`: job names known to have ended (a stale currentScenario)."""
    props = _props(item)
    job = jobs.scenario_job_name(item)
    running = (props.get("currentScenario") or {}).get("scenarioName") if job and job not in ended else None
    details = _details(item)
    return rcm.phase(details.get("instanceType"), props.get("activeLocation"), props.get("protectionState"),
                     props.get("allowedOperations"), running, details.get("initialReplicationProgressPercentage"))


def allowed(item):
    return _props(item).get("allowedOperations") or []


def state_of(item):
    """The state an action changes (what diff before/after compares)."""
    props = _props(item)
    point = props.get("failoverRecoveryPointId") or _details(item).get("failoverRecoveryPointId")
    provider = _details(item).get("instanceType")
    return dict(phase=item_phase(item), state=props.get("protectionState"), active_location=props.get("activeLocation"),
                runs_in=rcm.runs_in(provider, props.get("activeLocation")),
                test_failover_state=props.get("testFailoverState"), provider=provider,
                failover_recovery_point=lookup.last_segment(point) or None)


def item_view(item):
    """An item as the action modules return it: identity, state model and allowed operations."""
    props = _props(item)
    job = jobs.scenario_job_name(item)
    scenario = props.get("currentScenario") or {}
    out = dict(name=props.get("friendlyName"), item_name=item.get("name"), id=item.get("id"))
    out.update(state_of(item))
    out.update(failover_recovery_point_id=props.get("failoverRecoveryPointId") or
               _details(item).get("failoverRecoveryPointId") or None,
               state_description=props.get("protectionStateDescription"),
               allowed_operations=props.get("allowedOperations") or [],
               current_job=dict(name=job, scenario=scenario.get("scenarioName"), start_time=scenario.get("startTime"))
               if job else None,
               last_successful_failover_time=props.get("lastSuccessfulFailoverTime"),
               last_successful_test_failover_time=props.get("lastSuccessfulTestFailoverTime"),
               replication_health=props.get("replicationHealth"))
    out.update(rcm.lifecycle_facts(_details(item)))
    return out


def describe(item):
    """`vm (state X, active location Y, test failover Z, provider P; allowed operations: ...)`"""
    props = _props(item)
    return "%s is %s (state %s, active location %s, test failover state %s, provider %s; allowed operations: %s)" % (
        props.get("friendlyName") or item.get("name"), PHASES.get(item_phase(item), "unknown"),
        props.get("protectionState"), props.get("activeLocation"), props.get("testFailoverState") or "None",
        _details(item).get("instanceType"), ", ".join(props.get("allowedOperations") or []) or "none")


def plan_busy_job(plan):
    """The job a recovery plan runs now (its currentScenario while the status says it runs), or None."""
    props = _props(plan)
    name = jobs.scenario_job_name(plan)
    status = props.get("currentScenarioStatus")
    if name and (status is None or status in RUNNING_STATES + ("Suspended",)):
        return name
    return None


def plan_member_ids(plan):
    out = []
    for group in _props(plan).get("groups") or []:
        for ref in group.get("replicationProtectedItems") or []:
            if ref.get("id"):
                out.append(ref["id"])
    return out


def _job_view(name, facts):
    if not name:
        return None
    facts = facts or {}
    return dict(name=name, id=facts.get("id"), scenario=facts.get("scenario"), state=facts.get("state") or "InProgress",
                start_time=facts.get("start_time"), end_time=facts.get("end_time"), tasks=facts.get("tasks") or [],
                errors=facts.get("errors") or [])


def suspended_task(facts):
    """The task a suspended job waits at (a manual action), or None."""
    for task in (facts or {}).get("tasks") or []:
        if task.get("state") == "Suspended":
            return task
    return None


# -- waiting --------------------------------------------------------------------------------------------------

def job_probe(vault, names, since=None):
    """Like Jobs.probe, but a job also stops the wait when it is Suspended (a plan's manual action)."""
    names = set(n for n in names if n)

    def look():
        if not names:
            return Probe(True, value={})
        seen = vault.jobs.read(names, since)
        running = [n for n, j in seen.items() if j.get("state") not in STOP_STATES]
        if not running:
            seen = vault.jobs.complete(seen)
        tasks = []
        for name in running:
            current = [t for t in seen[name].get("tasks") or [] if t.get("state") == "InProgress"]
            if current:
                tasks.append(current[0].get("friendly_name") or current[0].get("name"))
        progress = "%d of %d jobs ended" % (len(seen) - len(running), len(seen))
        if tasks:
            progress += "; running: " + ", ".join(tasks[:5])
        return Probe(not running, value=seen, progress=progress)
    return look


def deadline_waiter(params, deadline):
    """A Waiter for what is left of the run's one deadline (wait_timeout covers every wait of the run)."""
    return Waiter(timeout=max(0, int(deadline - time.monotonic() + 0.999)), sleep=params["wait_sleep"])


# -- targets ----------------------------------------------------------------------------------------------------

class Target(object):
    """One protected item, or the recovery plan, of a run."""

    def __init__(self, kind, resource, label, parameter, members=None):
        self.kind = kind                  # item | plan
        self.resource = resource
        self.label = label
        self.parameter = parameter        # the option that named it (items[0], recovery_plan)
        self.members = members or []      # a plan's items
        self.before = resource
        self.action = "none"              # none | attach | after_job | start
        self.reason = None
        self.job = None
        self.job_facts = None
        self.body = None
        self.update = None                # an item update (PATCH) the action needs first (test subnet)
        self.extra = {}                   # what prepare() resolved (network, point, ...)
        self.changed = False
        self.error = None
        self.warnings = []
        self.followup = False
        self.ended = set()                # job names known to have ended (a stale currentScenario)

    @property
    def name(self):
        return self.resource.get("name")

    def fail(self, error):
        if self.error is None:
            self.error = error

    def busy_job(self):
        if self.kind == "plan":
            return plan_busy_job(self.resource)
        name = jobs.scenario_job_name(self.resource)
        return None if name in self.ended else name

    def phase(self):
        return item_phase(self.resource, self.ended)

    def busy_scenario(self):
        return (_props(self.resource).get("currentScenario") or {}).get("scenarioName")


def _not_found(parameter, value, what, names):
    close = difflib.get_close_matches(str(value), names, n=5, cutoff=0.6)
    hint = ("Close matches: %s." % ", ".join(close)) if close else \
        ("It has: %s%s." % (", ".join(sorted(names)[:20]) or "none", " ..." if len(names) > 20 else ""))
    return InputError(parameter, value, what, hint=hint)


def resolve_items(vault, names, parameter="items"):
    """[(parameter, item)] for the given VM names, item names or ids (one vault-wide item list)."""
    items = lookup.vault_read(vault, vault.protected_items)
    problems = Problems()
    found, seen = [], {}
    for i, wanted in enumerate(names):
        where = "%s[%d]" % (parameter, i)
        matches = [item for item in items if lookup.matches(item, wanted)]
        if not matches:
            problems.add(_not_found(where, wanted, "a protected item of vault %s (its VM name, item name or id)"
                                    % vault.name, [_props(x).get("friendlyName") or x["name"] for x in items]))
            continue
        if len(matches) > 1:
            problems.add(InputError(where, wanted, "a name that matches one protected item",
                                    hint="It matches items %s: give the item name." % ", ".join(m["name"] for m in matches)))
            continue
        key = matches[0]["id"].lower()
        if key in seen:
            problems.add(InputError(where, wanted, "each item once", hint="%s and %s are the same item %s." % (
                seen[key], where, matches[0]["name"])))
            continue
        seen[key] = where
        found.append((where, matches[0]))
    problems.check()
    return found


def resolve_plan(vault, name):
    """(plan, member items) of a recovery plan (one plan list and one GET of the plan, one item list)."""
    plans = lookup.vault_read(vault, vault.recovery_plans)
    plan = next((p for p in plans if lookup.matches(p, name)), None)
    if plan is None:
        raise _not_found("recovery_plan", name, "a recovery plan of vault %s" % vault.name, [p["name"] for p in plans])
    plan = vault.get_plan(plan["name"])
    items = vault.protected_items()
    members = []
    for member_id in plan_member_ids(plan):
        item = next((i for i in items if lookup.same_id(i.get("id"), member_id)), None)
        if item is not None:
            members.append(item)
    return plan, members


# -- the actions ------------------------------------------------------------------------------------------------

class Action(object):
    """One action (a module, or a module's state). Subclasses fill the class attributes and the hooks."""

    title = ""                 # "test failover"
    operation = None           # the allowedOperations value that gates it
    item_method = None         # ReplicationProtectedItemsOperations.begin_* name
    plan_method = None         # ReplicationRecoveryPlansOperations.begin_* name; None: members in one batch
    actions = ()               # what its jobs run (rcm.scenario_action of their scenario): attach to these
    hints = {}                 # phase -> what to do, where it differs from NEXT_STEP

    def __init__(self, params):
        self.params = params

    def needs_details(self, item):
        """Whether the action's input needs the item's disks or NICs (a GET: a list has them empty)."""
        return False

    def own_job(self, scenario):
        """Whether a job of `scenario` (a job's or an item's scenario name) is one of this action's."""
        return rcm.scenario_action(scenario) in self.actions

    # state model
    def done(self, run, item):
        """Why the item needs nothing (already in the wanted state), or None."""
        return None

    def check(self, run, target):
        """Raise a DrAsrError when the target cannot have the action for a reason of this action (beyond
        allowedOperations), e.g. a direction that does not fit its state."""

    def refusal(self, item, allowed_by=None):
        phase = item_phase(item)
        hint = self.hints.get(phase) or NEXT_STEP.get(phase)
        return DrAsrError("Cannot %s: %s." % (self.title, describe(item)), code="OperationNotAllowed",
                          recommended_action=hint, details=dict(item_view(item), operation=self.operation))

    # inputs
    def item_body(self, run, target):
        return None

    def plan_body(self, run, target):
        return None

    def predict(self, item):
        """The state the action leads to (check mode, wait=false)."""
        return {}


def _name(item):
    return _props(item).get("friendlyName") or item.get("name")


def _runs_in(item):
    return rcm.runs_in(_details(item).get("instanceType"), _props(item).get("activeLocation"))


class TestFailover(Action):
    """state=present: a test failover is up (TestFailoverCleanup allowed); state=absent: none is."""

    def __init__(self, params):
        super().__init__(params)
        self.present = params.get("state", "present") == "present"
        if self.present:
            self.title, self.operation, self.actions = "start a test failover", "TestFailover", ("test_failover",)
            self.item_method = self.plan_method = "begin_test_failover"
        else:
            self.title, self.operation = "clean up the test failover", "TestFailoverCleanup"
            self.actions = ("test_failover_cleanup",)
            self.item_method = self.plan_method = "begin_test_failover_cleanup"

    def done(self, run, item):
        up = "TestFailoverCleanup" in allowed(item)
        if self.present and up:
            return "A test failover of %s is up, waiting for its cleanup." % _name(item)
        if not self.present and not up:
            return "%s has no test failover to clean up." % _name(item)
        return None

    def needs_details(self, item):
        return self.present and bool(self.params.get("subnet"))

    def check(self, run, target):
        if self.present:
            run.test_network(target)

    def item_body(self, run, target):
        if not self.present:
            return {"properties": _compact({"comments": self.params.get("comments")})}
        network = target.extra.get("network")
        point = target.extra.get("point")
        return {"properties": {"failoverDirection": "PrimaryToRecovery", "networkType": "VmNetworkAsInput",
                               "networkId": network, "providerSpecificDetails": rcm.test_failover_input(
                                   network, point.get("id") if point else None)}}

    def plan_body(self, run, target):
        if not self.present:
            return {"properties": _compact({"comments": self.params.get("comments")})}
        choice = run.choice(plan=True)
        inputs = rcm.plan_failover_inputs("primary_to_recovery", choice and choice.keyword,
                                          choice.multi_vm if choice else None)
        props = {"failoverDirection": "PrimaryToRecovery", "providerSpecificDetails": inputs}
        if target.extra.get("network"):
            props.update(networkType="VmNetworkAsInput", networkId=target.extra["network"])
        else:       # each item's own test network [Az PowerShell: a plan without a network]
            props["networkType"] = "NoNetworkAttachAsInput"
        return {"properties": props}

    def predict(self, item):
        if self.present:
            return dict(phase="test_failover", test_failover_state="WaitingForCompletion")
        return dict(phase="protected", test_failover_state="MarkedForDeletion")


class Failover(Action):
    """direction primary_to_recovery: a failover to Azure; recovery_to_primary: the failback."""

    def __init__(self, params):
        super().__init__(params)
        self.direction = params.get("direction") or "primary_to_recovery"
        self.back = self.direction == "recovery_to_primary"
        kind = rcm.FAILOVER_TYPES[self.direction]
        self.title = "fail back to on-premises" if self.back else "fail over to Azure"
        self.operation = "PlannedFailover" if kind == "planned" else "UnplannedFailover"
        self.actions = ("failback",) if self.back else ("failover",)
        self.item_method = self.plan_method = "begin_planned_failover" if kind == "planned" else "begin_unplanned_failover"
        self.hints = {"test_failover": "Clean up the test failover first: dr.asr.test_failover with state=absent."}

    def done(self, run, item):
        where = _runs_in(item)
        if self.back and where == rcm.ON_PREMISES:
            return "%s is active on-premises (not failed over to Azure)." % _name(item)
        if not self.back and where == rcm.AZURE:
            return "%s is failed over to Azure already." % _name(item)
        return None

    def check(self, run, target):
        choice = run.choice(plan=target.kind == "plan")
        if self.back and choice is not None and (choice.kind != "keyword" or rcm.failback_point_type(choice.keyword) is None):
            raise InputError("recovery_point", choice.text, "a recovery point type for a failback: LatestCrashConsistent "
                             "(the default) or LatestApplicationConsistent",
                             hint="A failback synchronizes the latest changes from Azure; it takes no given point.")

    def item_body(self, run, target):
        if self.back:
            choice = run.choice()
            return rcm.planned_failback_input(rcm.failback_point_type(choice and choice.keyword))
        point = target.extra.get("point")
        shutdown = self.params.get("shutdown_source") is not False
        psd = rcm.unplanned_failover_input(shutdown, point.get("id") if point else None)
        return {"properties": {"failoverDirection": "PrimaryToRecovery",
                               "sourceSiteOperations": "Required" if shutdown else "NotRequired",
                               "providerSpecificDetails": psd}}

    def plan_body(self, run, target):
        choice = run.choice(plan=True)
        inputs = rcm.plan_failover_inputs(self.direction, choice and choice.keyword, choice.multi_vm if choice else None)
        props = {"failoverDirection": rcm.DIRECTIONS[self.direction], "providerSpecificDetails": inputs}
        if not self.back:
            props["sourceSiteOperations"] = "NotRequired" if self.params.get("shutdown_source") is False else "Required"
        return {"properties": props}

    def predict(self, item):
        if self.back:
            return dict(phase="failed_back", active_location="Recovery", runs_in=rcm.ON_PREMISES,
                        state="CommitPendingStatesBegin")
        return dict(phase="failed_over", active_location="Recovery", runs_in=rcm.AZURE,
                    state="UnplannedFailoverCommitPendingStatesBegin")


class FailoverCommit(Action):
    title = "commit the failover"
    operation = "Commit"
    actions = ("commit",)
    item_method = plan_method = "begin_failover_commit"
    hints = dict((p, "There is no failover to commit: fail over first (dr.asr.failover).")
                 for p in ("protected", "initial_replication", "test_failover"))

    def done(self, run, item):
        if item_phase(item, run.ended if run else ()) in ("committed", "failback_committed", "reprotecting",
                                                          "reprotected"):
            return "The failover of %s is committed already." % _name(item)
        return None

    def predict(self, item):
        back = item_phase(item) == "failed_back"
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
        if item_phase(item, run.ended if run else ()) == "reprotected" and \
                _details(item).get("lastPlannedFailoverStatus") == "Cancelled":
            return "The failback of %s was canceled." % _name(item)
        return None

    def predict(self, item):
        return dict(phase="reprotected", active_location="Primary", runs_in=rcm.AZURE, state="Protected")


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
        if item_phase(item, run.ended if run else ()) != "failed_over":
            return None
        point = run.point_for(item, latest_means_newest=True)
        current = lookup.last_segment(_props(item).get("failoverRecoveryPointId") or
                                      _details(item).get("failoverRecoveryPointId"))
        if point is not None and current and point["name"].lower() == current.lower():
            return "%s runs on recovery point %s (%s) already." % (
                _props(item).get("friendlyName"), point["name"], _props(point).get("recoveryPointTime"))
        return None

    def item_body(self, run, target):
        point = run.point_for(target.resource, latest_means_newest=True)
        target.extra["point"] = point
        return {"properties": {"recoveryPointId": point["id"],
                               "providerSpecificDetails": rcm.apply_recovery_point_input(point["id"])}}

    def predict(self, item):
        return {}


class Reprotect(Action):
    """Reverses replication (ASR's SwitchProtection [recorded]): an InMageRcm item running in Azure replicates to
    on-premises (InMageRcmFailback), an InMageRcmFailback item back on-premises replicates to Azure (InMageRcm).
    ASR allows it before the commit too, and commits on its way."""
    title = "reprotect"
    operation = "SwitchProtection"
    actions = ("reprotect",)
    item_method = "begin_reprotect"
    hints = {"protected": "It replicates to Azure: a reprotect to on-premises needs a failover to Azure first "
                          "(dr.asr.failover).",
             "reprotected": "It replicates to on-premises: a reprotect to Azure needs a failback first "
                            "(dr.asr.failover direction=recovery_to_primary)."}

    def __init__(self, params):
        super().__init__(params)
        self.direction = params.get("direction")

    def needs_details(self, item):
        return self.direction_of(item) == "recovery_to_primary"       # the log storage account of its disks

    @staticmethod
    def direction_of(item):
        """Where a reprotect of the item replicates: from where it runs to the other side."""
        provider = _details(item).get("instanceType")
        where = _runs_in(item)
        if not rcm.is_failback(provider) and where == rcm.AZURE:
            return "recovery_to_primary"
        if rcm.is_failback(provider) and where == rcm.ON_PREMISES:
            return "primary_to_recovery"
        return None

    def done(self, run, item):
        flows = rcm.replicates_to(_details(item).get("instanceType"), _props(item).get("activeLocation"))
        if flows is None or item_phase(item, run.ended if run else ()) in ("failed", "disabling", "unknown"):
            return None
        direction = "recovery_to_primary" if flows == "primary" else "primary_to_recovery"
        if self.direction and self.direction != direction:
            return None
        where = "from Azure to on-premises" if flows == "primary" else "to Azure"
        return "%s replicates %s already." % (_props(item).get("friendlyName"), where)

    def check(self, run, target):
        item = target.resource
        direction = self.direction_of(item)
        if self.direction and direction and self.direction != direction:
            raise DrAsrError("Cannot reprotect %s: %s." % (
                "in direction %s" % self.direction, describe(item)), code="WrongDirection",
                recommended_action="A reprotect of a VM running in Azure replicates to on-premises "
                                   "(recovery_to_primary); of a VM failed back on-premises it replicates to Azure "
                                   "(primary_to_recovery). Leave direction unset, or set %s." % direction,
                details=item_view(item))
        run.reprotect_inputs(target, direction)

    def item_body(self, run, target):
        direction = self.direction_of(target.resource)
        x = target.extra
        if direction == "recovery_to_primary":
            return rcm.reprotect_to_primary_input(x["reprotect_agent_id"], x["datastore"],
                                                  x["log_storage_account_id"], x["policy_id"])
        return rcm.reprotect_to_recovery_input(x["process_server_id"], x["policy_id"], x.get("run_as_account_id"))

    def predict(self, item):
        if self.direction_of(item) == "recovery_to_primary":
            return dict(phase="reprotecting", provider=rcm.FAILBACK_INSTANCE_TYPE, active_location="Primary",
                        runs_in=rcm.AZURE, state="InitialReplicationInProgress")
        return dict(phase="initial_replication", provider=rcm.INSTANCE_TYPE, active_location="Primary",
                    runs_in=rcm.ON_PREMISES, state="InitialReplicationInProgress")


def _compact(body):
    return dict((k, v) for k, v in body.items() if v not in (None, ""))


# -- the run ----------------------------------------------------------------------------------------------------

class Run(object):
    """One module run of an Action over its targets (see the module docstring)."""

    def __init__(self, vault, params, action):
        self.vault = vault
        self.params = params
        self.action = action
        self.targets = []
        self.plan = None               # the recovery plan target (also when its members run as a batch)
        self.batch_of_plan = False     # plan given, the action runs on its members
        self._points = {}
        self._networks = {}
        self._choice = False
        self._started = None
        self._ended = set()
        self._full = {}
        self.deadline = time.monotonic() + (params.get("wait_timeout") or 0)

    # -- resolve ----------------------------------------------------------------------------------------------
    def resolve(self):
        if self.params.get("recovery_plan"):
            plan, members = resolve_plan(self.vault, self.params["recovery_plan"])
            self.plan = Target("plan", plan, plan["name"], "recovery_plan", members)
            if self.action.plan_method:
                self.targets = [self.plan]
            else:
                self.batch_of_plan = True
                self.targets = [Target("item", m, _props(m).get("friendlyName") or m["name"], "recovery_plan")
                                for m in members]
                self.plan.reason = ("Azure Site Recovery cannot %s a recovery plan of VMware machines: each of its %d "
                                    "protected items was handled instead." % (self.action.title, len(members)))
            return
        for parameter, item in resolve_items(self.vault, self.params.get("items") or []):
            self.targets.append(Target("item", item, _props(item).get("friendlyName") or item["name"], parameter))

    # -- decide -----------------------------------------------------------------------------------------------
    @property
    def ended(self):
        return self._ended

    def check_jobs(self, targets):
        """Read the jobs the targets' (and plan members') currentScenario names, once: a job that ended (ASR keeps
        a failed one there) makes no target busy."""
        resources = []
        for target in targets:
            if target.kind == "item":
                resources.append(target.resource)
            else:
                resources.extend(target.members)
        self._ended |= self.vault.jobs.ended(resources)
        for target in targets:
            target.ended = self._ended
        # a job that ended after the list was read: the listed state is the one of a running job (nothing allowed)
        stale = [t for t in targets if t.kind == "item" and jobs.scenario_job_name(t.resource) in self._ended and
                 not allowed(t.resource)]
        fresh = self.vault.get_items([t.resource for t in stale])
        for target in stale:
            target.resource = fresh.get(target.resource["id"].lower(), target.resource)

    def read_details(self, targets):
        """GET the items whose disks or NICs the action's input needs (a list carries them empty [recorded])."""
        items = [t for t in targets if t.kind == "item" and self.action.needs_details(t.resource)]
        full = self.vault.get_items([t.resource for t in items])
        for target in items:
            target.resource = full.get(target.resource["id"].lower(), target.resource)

    def decide(self, targets=None):
        """Per target: none | attach | after_job | start. Refusals of every target raise together, before writes."""
        problems = Problems()
        self.check_jobs(targets or self.targets)
        self.read_details(targets or self.targets)
        for target in targets or self.targets:
            try:
                self._decide(target)
            except DrAsrError as err:
                problems.add(err)
        problems.check()

    def _decide(self, target):
        target.action, target.reason, target.job = "none", None, None
        busy = target.busy_job()
        if busy:
            target.job = busy
            if self.action.own_job(target.busy_scenario()):
                target.action = "attach"
                target.reason = "Its %s job %s was running: the run waits for it instead of starting another." % (
                    target.busy_scenario(), busy)
                return
            if not self.params.get("wait", True):
                raise DrAsrError("Cannot %s now: %s is busy with job %s (%s)." % (
                    self.action.title, target.label, busy, target.busy_scenario()), code="Busy",
                    recommended_action="Run again with wait=true to wait for that job first, or wait for it with "
                                       "dr.asr.job.", details=dict(job=busy, scenario=target.busy_scenario()))
            target.action = "after_job"
            target.followup = True
            target.reason = "Waits for its running %s job %s first." % (target.busy_scenario(), busy)
            return
        if target.kind == "plan":
            self._decide_plan(target)
            return
        item = target.resource
        reason = self.action.done(self, item)
        if reason:
            target.reason = reason
            return
        if self.action.operation not in allowed(item):
            raise self.action.refusal(item)
        self.action.check(self, target)
        target.action = "start"
        target.changed = True

    def _decide_plan(self, target):
        members = target.members
        reasons = [self.action.done(self, m) for m in members]
        if members and all(reasons):
            target.reason = "Every protected item of the plan: " + " ".join(reasons)
            return
        busy = [(m, jobs.scenario_job_name(m)) for m in members
                if jobs.scenario_job_name(m) and jobs.scenario_job_name(m) not in self._ended]
        if busy:
            member, job = busy[0]
            if not self.params.get("wait", True):
                raise DrAsrError("Cannot %s now: item %s of recovery plan %s is busy with job %s (%s)." % (
                    self.action.title, _props(member).get("friendlyName"), target.label, job,
                    (_props(member).get("currentScenario") or {}).get("scenarioName")), code="Busy",
                    recommended_action="Run again with wait=true to wait for it first.")
            target.action, target.job, target.followup = "after_job", job, True
            target.extra["member_jobs"] = [j for _m, j in busy]
            return
        allowed = _props(target.resource).get("allowedOperations") or []
        if self.action.operation not in allowed:
            raise self.plan_refusal(target, allowed)
        self.action.check(self, target)
        target.action = "start"
        target.changed = True

    def plan_refusal(self, target, allowed):
        blocking = [m for m in target.members if self.action.operation not in (_props(m).get("allowedOperations") or [])]
        lines = [describe(m) for m in blocking[:5]]
        hints = sorted(set((self.action.hints.get(item_phase(m)) or NEXT_STEP.get(item_phase(m))) for m in blocking))
        message = "Cannot %s: recovery plan %s allows %s." % (
            self.action.title, target.label, ", ".join(allowed) or "no operation now")
        if lines:
            message += " Items that do not allow %s: %s." % (self.action.operation, "; ".join(lines))
        elif not target.members:
            message += " It has no protected items."
        return DrAsrError(message, code="OperationNotAllowed", recommended_action=" ".join(hints) or None,
                          details=dict(recovery_plan=target.label, allowed_operations=allowed,
                                       items=[item_view(m) for m in blocking]))

    # -- inputs -----------------------------------------------------------------------------------------------
    def choice(self, plan=False):
        """The recovery point choice of the options (None: the action's default)."""
        if self._choice is False:
            self._choice = rp.parse_choice(self.params.get("recovery_point"), self.params.get("recovery_point_time"),
                                           bool(self.params.get("multi_vm_sync_point")))
        if plan and self._choice is not None and self._choice.kind != "keyword":
            raise InputError("recovery_point" if self._choice.kind == "point" else "recovery_point_time",
                             self._choice.text, "one of %s for a recovery plan" % ", ".join(rcm.POINT_KEYWORDS),
                             hint="A given recovery point or time is per VM: name the items instead of the plan.")
        return self._choice

    def points(self, item):
        """The item's recovery points, newest first (one list per item, read once)."""
        key = item["id"].lower()
        if key not in self._points:
            self._points[key] = rp.list_points(self.vault, item, item_path(item))
        return self._points[key]

    def point_for(self, item, latest_means_newest=False, at=None):
        choice = self.choice()
        if latest_means_newest and (choice is None or (choice.kind == "keyword" and choice.value in (None, "Latest"))):
            choice = rp.Choice("keyword", "LatestProcessed", choice.text if choice else None,
                               choice.multi_vm if choice else False)
        return rp.choose(self.points(item), choice, _props(item).get("friendlyName") or item["name"], at=at)

    def multi_vm_points(self, targets):
        """For multi_vm_sync_point: the instant each multi-VM group fails over to (rp.multi_vm_horizon)."""
        groups = {}
        for target in targets:
            group = _details(target.resource).get("multiVmGroupName")
            if not group:
                raise InputError("multi_vm_sync_point", True, "items that replicate in a multi-VM group",
                                 hint="%s is in no multi-VM group (protected_item multi_vm_group)." % target.label)
            groups.setdefault(group, []).append(target)
        for group, members in groups.items():
            shared = rp.multi_vm_horizon(dict((t.label, self.points(t.resource)) for t in members))
            if shared is None:
                raise InputError("multi_vm_sync_point", True, "items with multi-VM sync points",
                                 hint="Not every item of multi-VM group %s (%s) has one yet." % (
                                     group, ", ".join(t.label for t in members)))
            for target in members:
                target.extra["at"] = shared

    def test_network(self, target):
        """The test failover network of a target (option, else the item's test network) and the subnet check."""
        wanted = self.params.get("network")
        subnet = self.params.get("subnet")
        items = target.members if target.kind == "plan" else [target.resource]
        if target.kind == "plan" and subnet:
            raise InputError("subnet", subnet, "unset for a recovery plan",
                             hint="Set the test subnet of the plan's items with dr.asr.protected_item (test_subnet).")
        if target.kind == "plan" and not wanted:
            return
        network = None
        for item in items:
            details = _details(item)
            group = details.get("targetResourceGroupId") or "/subscriptions/%s/resourceGroups/%s" % (
                self.vault.clients.subscription_id, self.vault.resource_group)
            network = arm_id(wanted, group, NETWORK_TYPE) if wanted else (details.get("testNetworkId") or None)
            if not network:
                raise InputError("network", wanted, "a test network: %s has none configured" % _props(item).get("friendlyName"),
                                 hint="Give network, or set the item's test_network with dr.asr.protected_item.")
            if lookup.same_id(network, details.get("targetNetworkId")):
                raise InputError("network", wanted or network, "a network other than the recovery network of %s"
                                 % _props(item).get("friendlyName"),
                                 hint="Test failovers must run in an isolated network, not where failover brings the VM up.")
            subnets = self.subnets(network, "network", wanted or network)
            if subnet and subnet.lower() not in subnets:
                raise InputError("subnet", subnet, "a subnet of %s" % lookup.last_segment(network),
                                 hint="Its subnets: %s." % (", ".join(sorted(subnets.values())) or "none"))
            if subnet and target.kind == "item":
                target.update = self._subnet_update(item, network, subnets[subnet.lower()])
        target.extra["network"] = network

    def _subnet_update(self, item, network, subnet):
        """The PATCH that gives the item's failover NICs `subnet` in test network `network`, or None if they have it."""
        details = _details(item)
        want = {"test_network_id": network, "test_subnet": subnet}
        changes = [c for c in rcm.compare(want, details) if c.updatable]
        if not changes:
            return None
        return {"properties": {"providerSpecificDetails": rcm.update_input(changes, want, details)}}

    def subnets(self, network_id, option, shown):
        """{lower name: name} of a virtual network's subnets (one GET per network); InputError if it does not exist."""
        key = network_id.lower()
        if key not in self._networks:
            parsed = parse_resource_id(network_id)
            if [t.lower() for t in parsed.get("types") or []] != ["virtualnetworks"]:
                raise InputError(option, shown, "a virtual network name or id")
            with azure_errors("Reading virtual network %s" % parsed.get("name")):
                try:
                    vnet = as_dict(self.vault.clients.client("network").virtual_networks.get(
                        parsed.get("resource_group"), parsed.get("name")))
                except Exception as exc:  # pylint: disable=broad-except
                    if not is_not_found(exc):
                        raise
                    vnet = None
            if vnet is None:
                raise InputError(option, shown, "an existing virtual network",
                                 hint="%s does not exist (a name is looked up in the item's target resource group)."
                                 % network_id)
            self._networks[key] = dict((s["name"].lower(), s["name"]) for s in _props(vnet).get("subnets") or [])
        return self._networks[key]

    def reprotect_inputs(self, target, direction):
        """Resolve the reprotect's appliance, datastore, storage account and policy for one item."""
        item = target.resource
        details = _details(item)
        fabric = self._fabric_of(item)
        custom = _props(fabric).get("customDetails") or {}
        wanted = self.params.get("appliance")
        x = target.extra
        if direction == "recovery_to_primary":
            agents = custom.get("reprotectAgents") or []
            agent = self._pick(agents, wanted, details.get("processServerName"), "appliance",
                               "a replication appliance (reprotect agent) of the vault")
            datastore = self.params.get("datastore")
            known = agent.get("accessibleDatastores") or []
            if not datastore:
                raise InputError("datastore", datastore, "the datastore the on-premises VM is recovered to (reprotect "
                                 "to on-premises)", hint="Datastores the appliance sees: %s." % (", ".join(known) or "none"))
            if known and datastore not in known:
                raise InputError("datastore", datastore, "a datastore appliance %s can reach" % agent.get("name"),
                                 hint="It reaches: %s." % ", ".join(known))
            log = self.params.get("log_storage_account")
            disks = details.get("protectedDisks") or []
            group = details.get("targetResourceGroupId") or ""
            x.update(reprotect_agent_id=agent.get("id"), appliance=agent.get("name"), datastore=datastore,
                     log_storage_account_id=arm_id(log, group, STORAGE_TYPE) if log else
                     (disks[0].get("logStorageAccountId") if disks else None),
                     policy_id=self._policy(item, rcm.FAILBACK_INSTANCE_TYPE, None))
            if not x["log_storage_account_id"]:
                raise InputError("log_storage_account", log, "the storage account for the reprotect's logs")
            return
        servers = custom.get("processServers") or []
        server = self._pick(servers, wanted, details.get("reprotectAgentName"), "appliance",
                            "a replication appliance (process server) of the vault")
        x.update(process_server_id=server.get("id"), appliance=server.get("name"),
                 policy_id=self._policy(item, rcm.INSTANCE_TYPE, _props(item).get("policyId")))
        if self.params.get("run_as_account"):
            x["run_as_account_id"] = self._run_as(fabric, self.params["run_as_account"])

    def _fabric_of(self, item):
        fabric_name = item_path(item)[0]
        fabrics = lookup.vault_read(self.vault, self.vault.fabrics)
        return next((f for f in fabrics if (f.get("name") or "").lower() == fabric_name.lower()), {})

    @staticmethod
    def _pick(entries, wanted, current, parameter, what):
        names = [e.get("name") for e in entries]
        if wanted:
            found = next((e for e in entries if (e.get("name") or "").lower() == wanted.lower() or
                          lookup.same_id(e.get("id"), wanted)), None)
            if found is None:
                raise InputError(parameter, wanted, what, hint="Registered: %s." % (", ".join(names) or "none"))
            return found
        found = next((e for e in entries if current and (e.get("name") or "").lower() == current.lower()), None)
        if found is None and len(entries) == 1:
            found = entries[0]
        if found is None:
            raise InputError(parameter, wanted, what, hint="Registered: %s." % (", ".join(names) or "none"))
        return found

    def _policy(self, item, instance_type, default_id):
        """The policy of the new direction: the option, else `default_id`, else the only one of that provider
        associated with the item's container."""
        policies = [p for p in self.vault.policies() if ((_props(p).get("providerSpecificDetails") or {}).get(
            "instanceType") or "").lower() == instance_type.lower()]
        wanted = self.params.get("policy")
        kind = "failback (InMageRcmFailback)" if rcm.is_failback(instance_type) else "replication (InMageRcm)"
        if wanted:
            found = next((p for p in policies if lookup.matches(p, wanted)), None)
            if found is None:
                raise InputError("policy", wanted, "a %s policy of vault %s" % (kind, self.vault.name),
                                 hint="Its %s policies: %s." % (kind, ", ".join(p["name"] for p in policies) or "none"))
            return found["id"]
        if default_id and any(lookup.same_id(p["id"], default_id) for p in policies):
            return default_id
        container = "/".join(item["id"].split("/")[:-2])
        mapped = set((_props(m).get("policyId") or "").lower() for m in self.vault.mappings()
                     if (m.get("id") or "").lower().startswith(container.lower() + "/"))
        usable = [p for p in policies if p["id"].lower() in mapped]
        if len(usable) > 1:
            # a real vault has default policies besides yours [recorded]: the one dr.asr.protect made for the item's
            # policy (`<policy>-failback`) wins, else the only one that is not a default
            paired = "%s-failback" % (_props(item).get("policyFriendlyName") or "")
            usable = [p for p in usable if p["name"].lower() == paired.lower()] or \
                [p for p in usable if p["name"].lower() not in rcm_policy.DEFAULT_POLICIES] or usable
        if len(usable) != 1:
            raise InputError("policy", None, "the name of the %s policy to reprotect %s with" % (
                kind, _props(item).get("friendlyName")),
                hint="%s policies associated with its appliance: %s." % (
                    kind, ", ".join(p["name"] for p in usable) or
                    "none (create one with dr.asr.replication_policy, associate: true)"))
        return usable[0]["id"]

    def _run_as(self, fabric, name):
        site = ((_props(fabric).get("customDetails") or {}).get("vmwareSiteId"))
        accounts = offazure.list_run_as_accounts(self.vault.clients, site) if site else []
        for account in accounts:
            if (_props(account).get("displayName") or "").lower() == name.lower() or lookup.same_id(account.get("id"), name):
                return account["id"]
        raise InputError("run_as_account", name, "the name of a credential of the replication appliance",
                         hint="Its credentials: %s." % (", ".join(_props(a).get("displayName") or a["name"]
                                                                  for a in accounts) or "none"))

    # -- prepare ----------------------------------------------------------------------------------------------
    def prepare(self, targets=None):
        """The request body of every target to start (recovery points, networks resolved). InputError before writes."""
        todo = [t for t in targets or self.targets if t.action == "start"]
        problems = Problems()
        choice = self.choice(plan=bool(todo) and todo[0].kind == "plan") if todo else None
        needs_point = isinstance(self.action, (TestFailover, Failover)) and getattr(self.action, "present", True) and \
            not getattr(self.action, "back", False) and choice is not None and not (
                choice.kind == "keyword" and choice.value in (None, "Latest") and not choice.multi_vm)
        items = [t for t in todo if t.kind == "item"]
        try:
            if needs_point and choice.multi_vm and items:
                self.multi_vm_points(items)
        except InputError as err:
            problems.add(err)
        for target in todo:
            try:
                if needs_point and target.kind == "item":
                    target.extra["point"] = self.point_for(target.resource, at=target.extra.get("at"))
                target.body = (self.action.plan_body if target.kind == "plan" else self.action.item_body)(self, target)
            except InputError as err:
                problems.add(err)
        problems.check()

    # -- execute ------------------------------------------------------------------------------------------------
    def execute(self, targets=None):
        """Send the updates the actions need first (waited for), then one action request per target."""
        todo = [t for t in targets or self.targets if t.action == "start" and t.error is None]
        updates = [t for t in todo if t.update]
        for target in updates:
            self._start(target, "begin_update", "Setting the test subnet of %s" % target.label, target.update)
        if updates:     # the action needs the update done, whatever `wait` says
            self.wait_jobs(deadline_waiter(self.params, self.deadline), updates)
            for target in updates:
                if target.error is None:
                    target.extra["update_job"] = _job_view(target.job, target.job_facts)
                    target.job, target.job_facts = None, None
        for target in todo:
            if target.error is None:
                self._start(target, getattr(self.action, "%s_method" % target.kind),
                            "%s: %s" % (self.action.title.capitalize(), target.label), target.body)
        self.vault.forget("items", "plans")

    def _start(self, target, method, what, body):
        rg, vault = self.vault.resource_group, self.vault.name
        client = self.vault.client
        target.job_facts = None
        try:
            if target.kind == "plan":
                begin = getattr(client.replication_recovery_plans, method)
                args = (rg, vault, target.name) + ((body,) if body is not None else ())
            else:
                begin = getattr(client.replication_protected_items, method)
                args = (rg, vault) + item_path(target.resource) + ((body,) if body is not None else ())
            target.job = jobs.start(begin, what, *args, recover=lambda: self._own_job(target, method))
        except AzureError as err:
            target.fail(err)
        if self._started is None and target.job:
            self._started = target.job

    def _own_job(self, target, method):
        """After an uncertain failure to start: the job the target runs for this action now, or None."""
        try:
            if target.kind == "plan":
                fresh = as_dict(self.vault.client.replication_recovery_plans.get(
                    self.vault.resource_group, self.vault.name, target.name))
            else:
                fresh = as_dict(self.vault.client.replication_protected_items.get(
                    self.vault.resource_group, self.vault.name, *item_path(target.resource)))
        except Exception:  # pylint: disable=broad-except  # still unreachable: the first error is reported
            return None

        def ours(scenario):
            if method == "begin_update":
                return rcm.scenario_action(scenario) == "update"
            return self.action.own_job(scenario)

        busy = plan_busy_job(fresh) if target.kind == "plan" else jobs.scenario_job_name(fresh)
        scenario = (_props(fresh).get("currentScenario") or {}).get("scenarioName")
        if busy and busy not in self._ended and ours(scenario):
            target.resource = fresh
            target.reason = "Its %s job %s started although the request's answer was lost: the run waited for it." % (
                scenario, busy)
            return busy
        if target.kind != "plan" and method != "begin_update" and self.action.done(self, fresh):
            # the job ended already (a short job): the item was not where this action leaves it before the request
            # and is now, so the newest job of this action on it is the one the lost request started
            try:
                latest = _latest_job_of(self.vault, fresh)
            except DrAsrError:
                return None
            if latest and latest.get("name") not in self._ended and ours(latest.get("scenario")):
                target.resource = fresh
                target.reason = "Its %s job %s ran although the request's answer was lost." % (
                    latest.get("scenario"), latest.get("name"))
                return latest.get("name")
        return None

    # -- wait ----------------------------------------------------------------------------------------------------
    def since(self, pending):
        times = [(_props(t.resource).get("currentScenario") or {}).get("startTime") for t in pending
                 if t.action in ("attach", "after_job")]
        if self._started:
            times.append(self.vault.jobs.get(self._started).get("start_time"))
        times = [t for t in times if t and not t.startswith("1753")]
        return min(times) if times else None

    def wait_jobs(self, waiter, targets=None):
        """Wait for the targets' jobs (one list per poll); a failed job becomes the target's error."""
        pending = [t for t in targets or self.targets if t.job and t.error is None and
                   (t.job_facts or {}).get("state") not in STOP_STATES]
        names = set()
        for target in pending:
            names.add(target.job)
            names.update(target.extra.get("member_jobs") or [])
        if not names:
            return
        what = "%d jobs" % len(names) if len(names) > 1 else "job %s (%s)" % (pending[0].job, pending[0].label)
        try:
            seen = waiter.until(job_probe(self.vault, names, self.since(pending) if len(names) > 1 else None), what)
        except WaitTimeout as err:
            for target in pending:
                target.job_facts = (err.partial or {}).get(target.job) or target.job_facts
            raise
        for target in pending:
            facts = seen.get(target.job) or {}
            target.job_facts = facts
            state = facts.get("state")
            if state == "Suspended":
                task = suspended_task(facts)
                at = " (%s)" % task.get("friendly_name") if task else ""
                target.warnings.append("Job %s of %s waits at a manual action%s: resume it with dr.asr.job "
                                       "(action=resume) once done." % (target.job, target.label, at))
            elif state != "Succeeded" and target.action != "after_job":
                target.fail(jobs.job_error(facts, "%s of %s" % (self.action.title.capitalize(), target.label)))

    def look_jobs(self):
        """One look at the started jobs (one GET, or one list for many) for the report, without waiting."""
        pending = [t for t in self.targets if t.job and t.error is None and t.job_facts is None]
        if pending:
            # the start time filters a list of many jobs; one job is read with one GET (since() would GET it too)
            since = self.since(pending) if len(set(t.job for t in pending)) > 1 else None
            seen = job_probe(self.vault, [t.job for t in pending], since)().value or {}
            for target in pending:
                target.job_facts = seen.get(target.job)

    def followup(self):
        """After the jobs that blocked targets ended: decide them again and start what they need."""
        todo = [t for t in self.targets if t.followup and t.error is None]
        if not todo:
            return False
        self.vault.forget("items", "plans")
        fresh = dict((i["id"].lower(), i) for i in self.vault.protected_items())
        for target in todo:
            target.followup = False
            target.extra.pop("member_jobs", None)
            target.job_facts = None
            if target.kind == "plan":
                target.resource = self.vault.get_plan(target.name)
                target.members = [fresh.get(m["id"].lower(), m) for m in target.members]
            else:
                target.resource = fresh.get(target.resource["id"].lower(), target.resource)
        self.check_jobs(todo)
        self.read_details(todo)
        for target in todo:
            try:
                self._decide(target)
                if target.followup:      # busy again with yet another job (or the same one, suspended)
                    raise DrAsrError("%s is still busy with job %s (%s)." % (
                        target.label, target.job, target.busy_scenario()), code="Busy",
                        recommended_action="Wait for it (dr.asr.job) and run again.")
                self.prepare([target])
            except DrAsrError as err:
                target.action = "none"
                target.fail(err)
        self.execute(todo)
        return any(t.action in ("start", "attach") and t.error is None for t in todo)

    def wait_protected(self, waiter):
        """Wait until every reprotected item is Protected again (one vault-wide item list per poll)."""
        todo = [t for t in self.targets if t.error is None and t.kind == "item" and
                t.phase() not in ("failed", "disabling")]
        if not todo:
            return

        def look():
            self.vault.forget("items")
            fresh = dict((i["id"].lower(), i) for i in self.vault.protected_items())
            waiting = []
            for target in todo:
                target.resource = fresh.get(target.resource["id"].lower(), target.resource)
                phase = item_phase(target.resource)
                if phase in ("failed", "disabling"):
                    target.fail(DrAsrError("%s stopped replicating: %s." % (target.label, describe(target.resource)),
                                           code="ReplicationFailed", details=item_view(target.resource)))
                elif phase not in rcm.CAN_FAIL_OVER:
                    progress = _details(target.resource).get("initialReplicationProgressPercentage")
                    waiting.append("%s %s%s" % (target.label, _props(target.resource).get("protectionState"),
                                                " %s%%" % progress if progress is not None else ""))
            return Probe(not waiting, progress="waiting for: " + ", ".join(waiting[:10]))
        waiter.until(look, "%d items to be protected" % len(todo))

    # -- report --------------------------------------------------------------------------------------------------
    def refresh(self):
        self.vault.forget("items", "plans")
        fresh = dict((i["id"].lower(), i) for i in self.vault.protected_items())
        for target in self.targets + ([self.plan] if self.plan and self.plan not in self.targets else []):
            if target.kind == "plan":
                target.resource = self.vault.get_plan(target.name)
                target.members = [fresh.get(m["id"].lower(), m) for m in target.members]
            else:
                target.resource = fresh.get(target.resource["id"].lower(), target.resource)

    def _after(self, target, predicted):
        if predicted:
            after = dict(state_of(target.before))
            after.update(self.action.predict(target.before))
            point = target.extra.get("point")
            if isinstance(self.action, FailoverRecoveryPoint) and point:
                after["failover_recovery_point"] = point.get("name")
            return after
        return state_of(target.resource)

    def target_result(self, target, predicted=False):
        if target.kind == "plan":
            out = dict(name=target.label, id=target.resource.get("id"), kind="recovery_plan",
                       allowed_operations=_props(target.resource).get("allowedOperations") or [],
                       current_scenario=_props(target.resource).get("currentScenario"),
                       current_scenario_status=_props(target.resource).get("currentScenarioStatus"),
                       items=[item_view(m) for m in target.members])
            before = dict((_props(m).get("friendlyName"), state_of(m)) for m in target.members)
            if predicted and target.changed:
                after = dict((_props(m).get("friendlyName"), dict(state_of(m), **self.action.predict(m)))
                             for m in target.members)
            else:
                after = dict((_props(m).get("friendlyName"), state_of(m)) for m in target.members)
            if not target.changed:
                before = after = {}
        else:
            out = item_view(target.resource)
            out["kind"] = "item"
            before = state_of(target.before) if target.changed else {}
            after = self._after(target, predicted) if target.changed else {}
            point = target.extra.get("point")
            if point:
                out["recovery_point"] = rp.point_facts(point)
            if target.update:
                out["update_job"] = target.extra.get("update_job")
        out.update(action=target.action, changed=target.changed, reason=target.reason,
                   job=_job_view(target.job, target.job_facts),
                   error=target.error.to_dict() if target.error is not None else None,
                   diff=dict(before=before, after=after))
        if target.warnings:
            out["warnings"] = list(target.warnings)
        return out

    def report(self, predicted=False):
        results = [self.target_result(t, predicted) for t in self.targets]
        plan = None
        if self.plan is not None:
            plan = results[0] if self.plan in self.targets else self.target_result(self.plan, predicted)
            if self.batch_of_plan:
                plan.update(action="items", reason=self.plan.reason)
        items = [r for r in results if r["kind"] == "item"]
        if plan is not None and plan["kind"] == "recovery_plan" and self.plan in self.targets:
            items = plan["items"]
        changed = any(r["changed"] for r in results)
        diff = [dict(before_header=r["name"], after_header=r["name"], before=r["diff"]["before"], after=r["diff"]["after"])
                for r in results if r["changed"]]
        return dict(changed=changed, protected_items=items, recovery_plan=plan, diff=diff)

    def failed(self):
        return [t for t in self.targets if t.error is not None]


# -- the module flow -------------------------------------------------------------------------------------------------

def run_action(module, action, wait_for_protection=False):
    """The whole run of an action module: resolve, decide, prepare, (check mode: report) execute, wait, report."""
    params = module.params
    run = Run(module.asr_vault(), params, action)
    run.resolve()
    run.decide()
    run.prepare()
    if module.check_mode:
        return run.report(predicted=True)
    run.execute()
    try:
        if params["wait"]:
            run.wait_jobs(deadline_waiter(params, run.deadline))
            if run.followup():
                run.wait_jobs(deadline_waiter(params, run.deadline))
            if wait_for_protection:
                run.wait_protected(deadline_waiter(params, run.deadline))
        else:
            run.look_jobs()
    except WaitTimeout as err:
        run.refresh()
        err.partial = run.report()
        raise
    run.refresh()
    return run.report(predicted=not params["wait"])


def exit_action(module, runner):
    """main() of an action module: run, warn, fail when a target failed (with the per-target results)."""
    try:
        result = runner(module)
    except WaitTimeout as err:
        module.fail_from(err, changed=(err.partial or {}).get("changed", False))
        return
    except DrAsrError as err:
        module.fail_from(err)
        return
    entries = list(result["protected_items"]) + ([result["recovery_plan"]] if result.get("recovery_plan") else [])
    for entry in entries:
        for warning in entry.get("warnings") or []:
            module.warn(warning)
    failed = [e for e in entries if e.get("error")]
    if failed:
        module.fail_json(msg="%d of %d targets failed: %s" % (len(failed), len(entries), "; ".join(
            "%s: %s" % (e["name"], e["error"]["message"]) for e in failed)), **result)
    module.exit_json(**result)


def require_confirmation(params, option="confirm", what="fail over"):
    if not params.get(option):
        raise InputError(option, params.get(option), "true to %s" % what,
                         hint="A failover moves the workload and shuts down machines; set %s: true to do it "
                              "(also in check mode)." % option)


# -- jobs: wait for, cancel, restart, resume --------------------------------------------------------------------------

#: action -> (the job's allowedActions value, ReplicationJobsOperations method)
JOB_ACTIONS = {"cancel": ("Cancel", "begin_cancel"), "restart": ("Restart", "begin_restart"),
               "resume": ("Resume", "begin_resume")}


def _latest_job_of(vault, resource):
    """The newest job of a protected item or plan (one job list, matched by target like job_info)."""
    keys = set(k.lower() for k in (resource.get("name"), _props(resource).get("friendlyName"),
                                   _details(resource).get("internalIdentifier"), resource.get("id")) if k)
    found = [j for j in vault.jobs.list() if (j.get("target_object_name") or "").lower() in keys or
             (j.get("target_object_id") or "").lower() in keys]
    found.sort(key=lambda j: j.get("start_time") or "", reverse=True)
    return found[0] if found else None


def find_job(vault, params):
    """(job facts or None, where it came from): the named job, or the current (else latest) job of an item/plan."""
    if params.get("name"):
        name = lookup.last_segment(params["name"])
        try:
            return vault.jobs.get(name), "job %s" % name
        except AzureError as err:
            if err.status != 404:
                raise
            lookup.vault_read(vault, vault.policies)        # an unknown vault is the better error
            raise InputError("name", params["name"], "the name or id of a job of vault %s" % vault.name,
                             hint="List its jobs with dr.asr.job_info.") from None
    if params.get("item"):
        resource = resolve_items(vault, [params["item"]], "item")[0][1]
        what = "item %s" % (_props(resource).get("friendlyName") or resource["name"])
    else:
        resource = resolve_plan(vault, params["recovery_plan"])[0]
        what = "recovery plan %s" % resource["name"]
    current = jobs.scenario_job_name(resource)
    if current:
        return vault.jobs.get(current), "the current job of %s" % what
    latest = _latest_job_of(vault, resource)
    return (vault.jobs.get(latest["name"]) if latest else None), "the latest job of %s" % what


def job_decision(facts, action):
    """(changed, reason) of a job action: idempotent by the job's state and allowedActions."""
    if facts is None:
        return False, "There is no job."
    if action == "wait":
        return False, None
    verb = JOB_ACTIONS[action][0]
    if verb in (facts.get("allowed_actions") or []):
        return True, None
    state = facts.get("state")
    why = {"resume": "it is not suspended at a manual action", "cancel": "it is not running any more",
           "restart": "it has not failed"}[action]
    return False, "Job %s is %s: nothing to %s (%s; allowed actions: %s)." % (
        facts.get("name"), state, action, why, ", ".join(facts.get("allowed_actions") or []) or "none")


def control_job(module):
    """The job module's run: find the job, act on it if its state calls for it, wait, report."""
    params = module.params
    vault = module.asr_vault()
    facts, source = find_job(vault, params)
    action = params["action"]
    changed, reason = job_decision(facts, action)
    out = dict(changed=changed, action=action, reason=reason, source=source, job=facts, restart_job=None,
               diff=dict(before={}, after={}))
    if facts is None:
        return out
    before = facts.get("state")
    if changed:
        out["diff"] = dict(before=dict(state=before),
                           after=dict(state={"cancel": "Cancelled", "resume": "InProgress", "restart": "InProgress"}[action]))
    if module.check_mode:
        return out
    if changed:
        method = getattr(vault.client.replication_jobs, JOB_ACTIONS[action][1])
        args = (vault.resource_group, vault.name, facts["name"])
        if action == "resume":
            args += ({"properties": _compact({"comments": params.get("comments")})},)
        started = jobs.start(method, "%s job %s" % (action.capitalize(), facts["name"]), *args)
        if action == "restart" and started and started != facts["name"]:
            out["restart_job"] = started
        facts = vault.jobs.get(facts["name"])
    if params["wait"] and facts.get("state") not in STOP_STATES:
        waiter = Waiter.from_params(params)
        try:
            facts = waiter.until(job_probe(vault, [facts["name"]]), "job %s (%s)" % (
                facts["name"], facts.get("friendly_name") or facts.get("scenario")))[facts["name"]]
        except WaitTimeout as err:
            out["job"] = (err.partial or {}).get(facts["name"]) or facts
            err.partial = out
            raise
    out["job"] = facts
    if changed:
        out["diff"]["after"] = dict(state=facts.get("state"))
    return out


def job_outcome(result, action, waited):
    """(error or None, warning or None) of a job the module waited for."""
    facts = result.get("job") or {}
    state = facts.get("state")
    if state == "Suspended":
        task = suspended_task(facts)
        return None, "Job %s waits at a manual action%s: resume it with action=resume once done." % (
            facts.get("name"), " (%s)" % task.get("friendly_name") if task else "")
    if not waited or not facts:
        return None, None
    if state == "Failed" or (state in ("Cancelled", "Canceled") and action != "cancel"):
        return jobs.job_error(facts, "Job %s" % facts.get("name")), None
    return None, None


# -- recovery points of items, for choosing one -------------------------------------------------------------------------

def recovery_point_report(vault, params):
    """recovery_point_info's run: the items (named, or a plan's members), each with its recovery points."""
    if params.get("recovery_plan"):
        _plan, members = resolve_plan(vault, params["recovery_plan"])
        items = [("recovery_plan", m) for m in members]
    else:
        items = resolve_items(vault, params["items"])
    since = job_query.parse_time(params.get("since"), "since")
    types = [t.lower() for t in params.get("types") or []]
    now = job_query.utcnow()
    out = []
    for _parameter, item in items:
        points = rp.list_points(vault, item, item_path(item))
        facts = [rp.point_facts(p, now) for p in points]
        facts = [f for f in facts if (not types or (f["type"] or "").lower() in types) and
                 (since is None or (job_query.from_iso(f["time"]) or now) >= since)]
        if params.get("multi_vm_sync_point"):
            facts = [f for f in facts if f["multi_vm_sync_point"]]
        if params.get("limit"):
            facts = facts[:params["limit"]]
        view = item_view(item)
        keys = ("name", "item_name", "id", "phase", "state", "active_location", "provider", "failover_recovery_point")
        entry = dict((k, view[k]) for k in keys)
        entry.update(multi_vm_group=_details(item).get("multiVmGroupName") or None, recovery_points=facts,
                     latest=_latest_by_type(facts))
        out.append(entry)
    return out


def _latest_by_type(facts):
    latest = dict(any=facts[0] if facts else None)
    for kind, key in (("ApplicationConsistent", "application_consistent"), ("CrashConsistent", "crash_consistent")):
        latest[key] = next((f for f in facts if f["type"] == kind), None)
    return latest
