"""ASR recovery plans (`V/replicationRecoveryPlans`): CRUD as ASR jobs, group normalization, and the
plan actions run as one plan job (groups in order, the items of a group in parallel, manual actions
suspending the job).

Contract: the REST spec (SiteRecovery stable 2025-08-01, examples ReplicationRecoveryPlans_*) and the
models of azure-mgmt-recoveryservicessiterecovery 2.0.0 (RecoveryPlan, CreateRecoveryPlanInput,
UpdateRecoveryPlanInput, RecoveryPlan*Input, Job/ASRTask/RecoveryPlanGroupTaskDetails). Tags:
[S] spec or its examples, [O] seen on the real service (Az PowerShell session records of a plan
failover, terraform logs), [U] inferred. Design and contracts: docs/lab-asr.md.

CRUD
* PUT (CreateRecoveryPlanInput) and PATCH (UpdateRecoveryPlanInput, `groups` only) run a job
  (`SaveRecoveryPlan` [recorded for a create], `DeleteRecoveryPlan` [recorded] for DELETE) and answer
  ASR's LRO (202 + Location `{plan}/operationresults/{job}` + Azure-AsyncOperation
  `{vault}/replicationOperationStatus/{job}`) [O]. A PUT on an existing plan replaces its groups
  (the fabrics cannot change) [U].
* Validation before any job: the primary fabric is a fabric of the vault; the recovery fabric is
  `Microsoft Azure` or a fabric of the vault; every protected item exists in the vault, belongs to
  the primary fabric and appears once in the plan; at most 100 protected items [docs: "Up to 100
  protected instances can be added to one recovery plan"]; group types Shutdown/Failover/Boot
  (at most one Shutdown and one Failover group; protected items only in Boot groups [U]); actions
  with a name, failoverTypes (ReplicationProtectedItemOperation values), failoverDirections
  (PrimaryToRecovery/RecoveryToPrimary) and customDetails ScriptActionDetails {path, fabricLocation,
  timeout} / ManualActionDetails {description} / AutomationRunbookActionDetails {runbookId,
  fabricLocation, timeout}. Errors: ASR's envelope with numeric codes (codes [U]).
* The answer normalizes the groups [S]: Shutdown, Failover, then the Boot groups in the order given;
  every group renders its four lists; item ids in ASR's `/Subscriptions/` casing with
  `virtualMachineId` = the item's internalIdentifier [recorded]. The same PUT twice gives the same GET.
* Read-only properties: friendlyName (= name), primary/recoveryFabricFriendlyName,
  replicationProviders (the members' providers, live), allowedOperations (live, below),
  currentScenario + currentScenarioStatus(+Description) (the last plan job: its scenario, id, start;
  its state and state description, also after it ended [S: examples show `Succeeded`/`Completed`
  after a commit]), lastTestFailoverTime / lastPlannedFailoverTime / lastUnplannedFailoverTime (start
  of the last such plan job; absent until one ran [S: Create/Get examples]).

allowedOperations [U]: a plan operation is allowed when every protected item of the plan allows the
matching item operation (TestFailover, TestFailoverCleanup, PlannedFailover, UnplannedFailover,
Commit, CancelFailover, SwitchProtection: the items' allowedOperations, vocabulary.py) and the plan runs
it for the items' providers (not SwitchProtection for InMageRcm / InMageRcmFailback: PLAN_UNSUPPORTED);
a plan without items allows PlannedFailover, UnplannedFailover, TestFailover [S: List example]; nothing
while a plan job is running or suspended. What is listed is exactly what plan_action accepts.

Plan actions (testFailover, testFailoverCleanup, plannedFailover, unplannedFailover, failoverCommit,
failoverCancel, reProtect): the plan operation must be allowed (else 400, no job), no job may be
active on the plan or on any member (else 409, no job), and every member's input (the plan input
mapped to the item's provider: the `providerSpecificDetails` entry of its instanceType, a
recoveryPointType resolved to the item's newest point of that type) must pass the item action's own
validation (`actions.ACTIONS[...]`). reProtect is refused for InMageRcm / InMageRcmFailback members
[U: their reprotect needs per-machine input a plan call cannot carry; MicrosoftDocs#83203 says plan
reprotect may not be allowed]. Then one plan job runs, shaped like ASR's (a real plan failover job of
2022, Az PowerShell session records [O]):

    Prerequisites check for the recovery plan       RpSrsPrerequisitesCheck
    All groups shutdown: Pre-steps: <action>        the Shutdown group's start actions
    All groups shutdown (n)                         planned failover; unplanned with sourceSiteOperations
        Shutdown: Group k (m) -> a task per VM      Required: every source VM is shut down first
    All groups shutdown: Post-steps: <action>
    All groups failover: Pre-/Post-steps: <action>  the Failover group's actions
    Group k: Pre-steps: <action>
    Group k: Start (m) -> a task per VM             Boot groups, in order ("Cleanup test failover",
    Group k: Post-steps: <action>                   "Commit", ... for the other actions [U])
    Finalizing the recovery plan                    EndRecoveryPlanTask

* Group start/end actions run only when the plan operation is in their failoverTypes and the
  direction in their failoverDirections (the actions without a direction input: RecoveryToPrimary
  for failback items). Script and runbook actions are short tasks that succeed (ScriptActionTaskDetails,
  AutomationRunbookTaskDetails); a manual action suspends the job (Suspended, allowedActions
  Cancel/Resume; ManualActionTaskDetails with the instructions) until `POST replicationJobs/{job}/resume`
  [docs: "it stops at the point at which you inserted the manual action"].
* The items of a Boot group run their item action's whole task list (engineer B's tasks) in parallel
  from the group's start; the group lasts as long as its longest item; the next step starts when the
  group ended. The lab runs each item task's callback at its own end (the group task's steps, jobs.Task
  `steps`: `_group_steps`; what is left when the group ends, `_run_group`), in the order the item tasks end;
  a VM child task shows InProgress, then Succeeded at its item's end (or Failed at its failure) [U]. ASR differs
  here: it fails every VM over in parallel in "Recovery plan failover" and only starts them per group,
  with a child job per VM and phase [O]; the lab keeps the whole item action per group and names the
  plan job in the VM tasks' jobTask.
* An item that fails fails the job once its group has ended: the other items of the group complete,
  the failed one gets its item action's failure hook (what its own job would run), later steps do
  not start [U]. A restarted job (`replicationJobs/{job}/restart`) reruns only the items that did
  not succeed.
* Shapes the SDK can read: VM child tasks carry taskType VirtualMachineTaskDetails [O] but
  customDetails JobTaskDetails, and the shutdown group renders as RecoveryPlanGroupTaskDetails with
  rpGroupType Shutdown (ASR: RecoveryPlanShutdownGroupTaskDetails): SDK 2.0.0 resolves one level of
  discriminator only, so ASR's second-level types fall back to the bases there anyway.
* The plan job locks its items (jobs.start_job affected_ids): while it runs (or waits at a manual
  action) each item shows it as its currentScenario and refuses item actions, updates and disable
  with ASR's 409 naming the plan; a job of an item refuses a plan action on a plan that contains it.
"""
import contextlib
import copy
import re
import time

from drlab.azure import ids
from drlab.azure.providers.siterecovery import actions, common, effects, errors, fabric, items as item_module, jobs
from drlab.azure.providers.siterecovery import vocabulary
from drlab.azure.providers.siterecovery.common import AZURE_FABRIC, FABRIC, ITEM, PRIVATE, VAULT, VAULT_PATH, \
    asr_id, private, same_id
from drlab.azure.rp import ArmError, ResourceType

PLAN = VAULT + "/replicationRecoveryPlans"
MAX_ITEMS = 100
GROUP_TYPES = ("Shutdown", "Failover", "Boot")
DIRECTIONS = ("PrimaryToRecovery", "RecoveryToPrimary")
DEPLOYMENT_MODELS = ("NotApplicable", "Classic", "ResourceManager")
FABRIC_LOCATIONS = ("Primary", "Recovery")
#: ReplicationProtectedItemOperation (the values of failoverTypes and allowedOperations) [S]
ITEM_OPERATIONS = ("ReverseReplicate", "Commit", "PlannedFailover", "UnplannedFailover", "DisableProtection",
                   "TestFailover", "TestFailoverCleanup", "Failback", "FinalizeFailback", "CancelFailover",
                   "ChangePit", "RepairReplication", "SwitchProtection", "CompleteMigration")
ACTION_DETAILS = ("ScriptActionDetails", "ManualActionDetails", "AutomationRunbookActionDetails")
#: RecoveryPlanProviderSpecificFailoverInput instance types [S] and their recoveryPointType values
FAILOVER_INPUTS = {"A2A": None, "HyperVReplicaAzure": None, "HyperVReplicaAzureFailback": None,
                   "InMage": ("LatestTime", "LatestTag", "Custom"),
                   "InMageAzureV2": ("Latest", "LatestApplicationConsistent", "LatestCrashConsistent",
                                     "LatestProcessed"),
                   "InMageRcm": ("Latest", "LatestApplicationConsistent", "LatestCrashConsistent", "LatestProcessed"),
                   "InMageRcmFailback": ("ApplicationConsistent", "CrashConsistent")}
NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9-]{1,63}[A-Za-z0-9]$")
_DURATION_RE = re.compile(r"^P(?!$)(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$")
_RUNBOOK_RE = re.compile(r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Automation/"
                         r"automationAccounts/[^/]+/runbooks/[^/]+$", re.IGNORECASE)
PLAN_PATH = VAULT_PATH + r"/replicationRecoveryPlans/(?P<plan>[^/]+)"

#: the plan's own steps last config asr.durations plan, plan_prerequisites, plan_shutdown, plan_script,
#: plan_runbook, plan_finalize (lab seconds; defaults in drlab/azure/config.py)


class PlanAction:
    """One plan action: its URL segment, the plan/item operation that gates it, the item action
    (`actions.ACTIONS` key) it runs on every member, its plan job scenario and friendly name."""

    def __init__(self, segment, operation, item_action, scenario, friendly_name, last_time=None,
                 shutdown=None, details="AsrJobDetails"):
        self.segment = segment
        self.operation = operation
        self.item_action = item_action
        self.scenario = scenario
        self.friendly_name = friendly_name
        self.last_time = last_time
        #: fn(input properties) -> bool: does this run shut the source machines down first
        self.shutdown = shutdown or (lambda props: False)
        self.details = details


#: scenario names [S: currentScenario of the examples; O: UnplannedFailover/"Failover"]; friendly names [U]
PLAN_ACTIONS = {a.segment.lower(): a for a in (
    PlanAction("testFailover", "TestFailover", "testfailover", "TestFailover", "Test failover",
               "lastTestFailoverTime", details="TestFailoverJobDetails"),
    PlanAction("testFailoverCleanup", "TestFailoverCleanup", "testfailovercleanup", "TestFailoverCleanup",
               "Cleanup test failover", details="TestFailoverJobDetails"),
    PlanAction("plannedFailover", "PlannedFailover", "plannedfailover", "PlannedFailover", "Planned failover",
               "lastPlannedFailoverTime", shutdown=lambda props: True, details="FailoverJobDetails"),
    PlanAction("unplannedFailover", "UnplannedFailover", "unplannedfailover", "UnplannedFailover", "Failover",
               "lastUnplannedFailoverTime", details="FailoverJobDetails",
               shutdown=lambda props: str(props.get("sourceSiteOperations") or "").lower() == "required"),
    PlanAction("failoverCommit", "Commit", "failovercommit", "CommitFailover", "Commit", details="FailoverJobDetails"),
    PlanAction("failoverCancel", "CancelFailover", "failovercancel", "CancelFailover", "Cancel failover"),
    PlanAction("reProtect", "SwitchProtection", "reprotect", "SwitchReplicationGroupProtection", "Reprotect"),
)}
#: allowedOperations order (as the examples list them) [S]
_ALLOWED_ORDER = ("PlannedFailover", "UnplannedFailover", "TestFailover", "TestFailoverCleanup", "Commit",
                  "CancelFailover", "SwitchProtection")
_EMPTY_PLAN_ALLOWED = ["PlannedFailover", "UnplannedFailover", "TestFailover"]


# ---------------------------------------------------------------------------------------------
# errors [U: ASR's numeric codes for these are not documented: the lab's codes of errors.py's catalog]

NO_RECOVERY_POINT = errors.NO_APP_CONSISTENT_POINT


def _bad(code, message, causes="", action=""):
    return errors.asr_error(400, code, message, causes, action)


def _invalid(message, action="Correct the input and retry the operation."):
    return errors.invalid_input(message, action)


def _not_allowed(plan_name, operation, allowed):
    return errors.asr_error(400, errors.OPERATION_NOT_ALLOWED,
                            "The operation '%s' is not allowed on the recovery plan '%s' in its current state."
                            % (operation, plan_name),
                            "The protected items of the plan allow only these plan operations: %s."
                            % (", ".join(allowed) or "none"),
                            "Wait until every protected item of the plan allows the operation and retry.")


def _enum(value, allowed, what):
    for candidate in allowed:
        if isinstance(value, str) and candidate.lower() == value.lower():
            return candidate
    raise _invalid("'%s' is not a valid value of %s. Allowed values: %s." % (value, what, ", ".join(allowed)))


# ---------------------------------------------------------------------------------------------
# validation and normalization (pure: only ctx.get/ctx.list are used)

def vault_of(rid):
    """The vault id (stored casing) of any resource under a vault."""
    return rid.top.id


def resolve_fabric(ctx, vault_id, value, what):
    if not isinstance(value, str) or not value.strip():
        raise _invalid("The property '%s' is required." % what)
    rid = ids.try_parse(value)
    body = ctx.get(rid) if rid is not None and rid.type_key == FABRIC.lower() else None
    if body is None or not same_id(vault_of(rid), vault_id):
        raise _bad(errors.PLAN_FABRIC_NOT_FOUND, "The fabric '%s' was not found in the vault." % value,
                   "The fabric does not exist or belongs to another vault.",
                   "Provide the ARM id of a fabric registered in the vault.")
    return body


def _friendly(body):
    return ((body or {}).get("properties") or {}).get("friendlyName") or (body or {}).get("name")


def normalize_item(ctx, vault_id, primary_fabric_id, ref, seen):
    if not isinstance(ref, dict) or not isinstance(ref.get("id"), str) or not ref["id"].strip():
        raise _invalid("Every protected item of a recovery plan group needs its ARM id ('id').")
    rid = ids.try_parse(ref["id"])
    body = ctx.get(rid) if rid is not None and rid.type_key == ITEM.lower() else None
    if body is None or not same_id(vault_of(rid), vault_id):
        raise _bad(errors.PLAN_ITEM_NOT_FOUND, "The protected item '%s' was not found in the vault." % ref["id"],
                   "The item does not exist, is not protected, or belongs to another vault.",
                   "Add only replicated items of this vault to the recovery plan.")
    stored = ids.parse(body["id"])
    fabric_id = stored.parent.parent.id
    if not same_id(fabric_id, primary_fabric_id):
        raise _bad(errors.PLAN_ITEM_WRONG_FABRIC, "The protected item '%s' does not belong to the primary fabric '%s' of the recovery plan."
                   % (_friendly(body), primary_fabric_id.rsplit("/", 1)[-1]),
                   "The item is replicated from another site.",
                   "Add only items replicated from the plan's primary fabric.")
    if stored.key in seen:
        raise _bad(errors.PLAN_ITEM_TWICE, "The protected item '%s' appears more than once in the recovery plan." % _friendly(body),
                   "A protected item can belong to one group of a recovery plan only.",
                   "Keep each protected item in a single group.")
    seen.add(stored.key)
    # virtualMachineId: the item's internalIdentifier [recorded: TestV2ARCMRecoveryPlan#13, #16]
    internal = ((body.get("properties") or {}).get("providerSpecificDetails") or {}).get("internalIdentifier")
    return {"id": asr_id(stored.id), "virtualMachineId": internal or stored.name}


def normalize_action(raw, where):
    if not isinstance(raw, dict):
        raise _invalid("Every %s entry must be an object." % where)
    name = raw.get("actionName")
    if not isinstance(name, str) or not name.strip():
        raise _invalid("The property 'actionName' is required for every recovery plan action.")
    out = {"actionName": name}
    for key, allowed in (("failoverTypes", ITEM_OPERATIONS), ("failoverDirections", DIRECTIONS)):
        values = raw.get(key)
        if not isinstance(values, list) or not values:
            raise _invalid("The property '%s' of the action '%s' is required (a non-empty list)." % (key, name))
        out[key] = [_enum(v, allowed, key) for v in values]
    details = raw.get("customDetails")
    if not isinstance(details, dict):
        raise _invalid("The property 'customDetails' of the action '%s' is required." % name)
    kind = _enum(details.get("instanceType"), ACTION_DETAILS, "customDetails.instanceType")
    custom = {"instanceType": kind}
    if kind == "ManualActionDetails":
        if details.get("description") is not None:
            if not isinstance(details["description"], str):
                raise _invalid("The description of the manual action '%s' must be a string." % name)
            custom["description"] = details["description"]
    else:
        custom["fabricLocation"] = _enum(details.get("fabricLocation"), FABRIC_LOCATIONS,
                                         "customDetails.fabricLocation")
        timeout = details.get("timeout")
        if timeout is not None:
            if not isinstance(timeout, str) or not _DURATION_RE.match(timeout):
                raise _invalid("The timeout '%s' of the action '%s' is not an ISO 8601 duration (e.g. PT30M)."
                               % (timeout, name))
            custom["timeout"] = timeout
        if kind == "ScriptActionDetails":
            if not isinstance(details.get("path"), str) or not details["path"].strip():
                raise _invalid("The property 'path' of the script action '%s' is required." % name)
            custom["path"] = details["path"]
        else:
            runbook = details.get("runbookId")
            if not isinstance(runbook, str) or not _RUNBOOK_RE.match(runbook):
                raise _invalid("The runbook id '%s' of the action '%s' is not the ARM id of an Azure Automation "
                               "runbook." % (runbook, name))
            custom["runbookId"] = runbook
    out["customDetails"] = custom
    return out


def normalize_groups(ctx, vault_id, primary_fabric_id, groups):
    """The groups as ASR stores and answers them: Shutdown, Failover, then the Boot groups in order.
    The shape and the item count are checked before the items themselves."""
    if not isinstance(groups, list):
        raise _invalid("The property 'groups' is required (a list of recovery plan groups).")
    by_type = {"Shutdown": [], "Failover": [], "Boot": []}
    shaped = []
    for raw in groups:
        if not isinstance(raw, dict):
            raise _invalid("Every recovery plan group must be an object.")
        gtype = _enum(raw.get("groupType"), GROUP_TYPES, "groupType")
        refs = raw.get("replicationProtectedItems") or []
        if not isinstance(refs, list):
            raise _invalid("The property 'replicationProtectedItems' must be a list.")
        if refs and gtype != "Boot":
            raise _bad(errors.PLAN_ITEM_NOT_IN_BOOT_GROUP, "Protected items can be added to Boot groups only (the %s group runs "
                       "for every item of the plan)." % gtype, "A protected item was put in the %s group." % gtype,
                       "Put the protected items in Boot groups.")
        group = {"groupType": gtype}
        for key in ("startGroupActions", "endGroupActions"):
            entries = raw.get(key) or []
            if not isinstance(entries, list):
                raise _invalid("The property '%s' must be a list." % key)
            group[key] = [normalize_action(a, key) for a in entries]
        by_type[gtype].append(group)
        shaped.append((group, refs))
    for gtype in ("Shutdown", "Failover"):
        if len(by_type[gtype]) > 1:
            raise _bad(errors.PLAN_GROUP_TWICE, "A recovery plan has one %s group; %d were given." % (gtype, len(by_type[gtype])),
                       "More than one %s group." % gtype, "Merge the %s groups." % gtype)
    count = sum(len(refs) for _group, refs in shaped)
    if count > MAX_ITEMS:
        raise _bad(errors.PLAN_TOO_MANY_ITEMS, "The recovery plan has %d protected items; a recovery plan can have at most %d."
                   % (count, MAX_ITEMS), "Too many protected items in the recovery plan.",
                   "Split the protected items into several recovery plans.")
    seen = set()
    for group, refs in shaped:
        group["replicationProtectedItems"] = [normalize_item(ctx, vault_id, primary_fabric_id, ref, seen)
                                              for ref in refs]
    out = []
    for gtype in ("Shutdown", "Failover"):
        out.append(by_type[gtype][0] if by_type[gtype] else
                   {"groupType": gtype, "replicationProtectedItems": [], "startGroupActions": [], "endGroupActions": []})
    order = ("groupType", "replicationProtectedItems", "startGroupActions", "endGroupActions")
    return [{k: g[k] for k in order} for g in out + by_type["Boot"]]


def normalize_create(ctx, vault_id, plan_name, body, existing=None):
    """CreateRecoveryPlanInput -> the stored plan properties (read-only ones are derived at render)."""
    props = (body or {}).get("properties")
    if not isinstance(props, dict):
        raise _invalid("The property 'properties' is required.")
    primary = resolve_fabric(ctx, vault_id, props.get("primaryFabricId"), "primaryFabricId")
    recovery = props.get("recoveryFabricId")
    if not isinstance(recovery, str) or not recovery.strip():
        raise _invalid("The property 'recoveryFabricId' is required.")
    if recovery.strip().lower() == AZURE_FABRIC.lower():
        recovery_id, recovery_name = AZURE_FABRIC, AZURE_FABRIC
    else:
        rbody = resolve_fabric(ctx, vault_id, recovery, "recoveryFabricId")
        recovery_id, recovery_name = asr_id(rbody["id"]), _friendly(rbody)
    model = props.get("failoverDeploymentModel")
    model = _enum(model, DEPLOYMENT_MODELS, "failoverDeploymentModel") if model is not None else "ResourceManager"
    psi = props.get("providerSpecificInput")
    if psi:
        if not isinstance(psi, list) or not all(isinstance(p, dict) for p in psi):
            raise _invalid("The property 'providerSpecificInput' must be a list of objects.")
        kinds = sorted({str(p.get("instanceType")) for p in psi})
        raise _bad(errors.PLAN_PROVIDER_INPUT, "The provider-specific input (%s) does not apply to the protected items of this "
                   "recovery plan." % ", ".join(kinds), "Provider-specific recovery plan input exists for "
                   "Azure-to-Azure (A2A) plans only.", "Remove 'providerSpecificInput'.")
    if existing is not None:
        old = existing["properties"]
        if not same_id(old["primaryFabricId"], primary["id"]) or not same_id(old["recoveryFabricId"], recovery_id):
            raise _bad(errors.PLAN_FABRIC_CHANGE, "The primary and recovery fabrics of the recovery plan '%s' cannot be changed."
                       % plan_name, "The plan exists with other fabrics.",
                       "Create a new recovery plan, or keep the fabrics of the existing one.")
    groups = normalize_groups(ctx, vault_id, primary["id"], props.get("groups"))
    return {"friendlyName": plan_name, "primaryFabricId": asr_id(primary["id"]),
            "primaryFabricFriendlyName": _friendly(primary), "recoveryFabricId": recovery_id,
            "recoveryFabricFriendlyName": recovery_name, "failoverDeploymentModel": model, "groups": groups}


def normalize_update(ctx, vault_id, stored, body):
    props = (body or {}).get("properties")
    if props is not None and not isinstance(props, dict):
        raise _invalid("The property 'properties' must be an object.")
    groups = (props or {}).get("groups")
    if groups is None:
        return copy.deepcopy(stored["properties"]["groups"])
    return normalize_groups(ctx, vault_id, stored["properties"]["primaryFabricId"], groups)


# ---------------------------------------------------------------------------------------------
# members and derived properties

class Member:
    """A protected item of a plan: its stored body and what the plan needs of it."""

    def __init__(self, item_id, stored, ctx=None):
        self.id = stored["id"]
        self.stored = stored
        props = stored.get("properties") or {}
        self.name = stored.get("name") or item_id.rsplit("/", 1)[-1]
        self.friendly_name = props.get("friendlyName") or self.name
        self.allowed = item_module.allowed_operations(stored, ctx)
        self.provider = (props.get("providerSpecificDetails") or {}).get("instanceType")
        self.active_location = props.get("activeLocation")


def member_ids(props):
    return [ref["id"] for g in props.get("groups") or [] for ref in g.get("replicationProtectedItems") or []]


def members(ctx, props):
    """The plan's protected items that still exist, in group order."""
    out = []
    for item_id in member_ids(props):
        body = ctx.get(item_id)
        if body is not None:
            out.append(Member(item_id, body, ctx))
    return out


#: plan operations a plan does not run for members of these providers (the item action needs per-item input
#: a plan call cannot carry) [U: MicrosoftDocs#83203]; allowedOperations and plan_action both use it
PLAN_UNSUPPORTED = {"SwitchProtection": ("InMageRcm", "InMageRcmFailback")}


def allowed_operations(items):
    """The plan operations every member allows (their items.allowed_operations: the one table), less the
    ones the plan does not run for its members' providers (PLAN_UNSUPPORTED)."""
    if not items:
        return list(_EMPTY_PLAN_ALLOWED)
    shared = set.intersection(*[set(m.allowed) for m in items])
    return [op for op in _ALLOWED_ORDER if op in shared and not _unsupported(op, items)]


def _unsupported(operation, items):
    providers = PLAN_UNSUPPORTED.get(operation) or ()
    return [m for m in items if m.provider in providers]


def replication_providers(items):
    out = []
    for m in items:
        if m.provider and m.provider not in out:
            out.append(m.provider)
    return out


def _live_groups(ctx, groups):
    """The stored groups without the items that were removed from the vault since (ASR drops them) [U]."""
    out = copy.deepcopy(groups)
    for group in out:
        group["replicationProtectedItems"] = [ref for ref in group["replicationProtectedItems"]
                                              if ctx.get(ref["id"]) is not None]
    return out


def render_plan(ctx, stored):
    out = common.public(stored)
    out["id"] = asr_id(out["id"])
    props = out["properties"]
    props["groups"] = _live_groups(ctx, props.get("groups") or [])
    items = members(ctx, props)
    props["replicationProviders"] = replication_providers(items)
    lab = private(stored) if PRIVATE in stored else {}
    last = ctx.get(lab["last_job"]) if lab.get("last_job") else None
    running = last is not None and jobs.job_state(last) in jobs.RUNNING_STATES
    props["allowedOperations"] = [] if running else allowed_operations(items)
    if last is not None:
        jp = last["properties"]
        props["currentScenario"] = {"scenarioName": jp["scenarioName"], "jobId": asr_id(last["id"]),
                                    "startTime": jp["startTime"]}
        props["currentScenarioStatus"] = jp["state"]
        props["currentScenarioStatusDescription"] = jp.get("stateDescription") or jp["state"]
    for key in ("lastTestFailoverTime", "lastPlannedFailoverTime", "lastUnplannedFailoverTime"):
        if lab.get(key):
            props[key] = lab[key]
    order = ("friendlyName", "primaryFabricId", "primaryFabricFriendlyName", "recoveryFabricId",
             "recoveryFabricFriendlyName", "failoverDeploymentModel", "replicationProviders", "allowedOperations",
             "lastPlannedFailoverTime", "lastUnplannedFailoverTime", "lastTestFailoverTime", "currentScenario",
             "currentScenarioStatus", "currentScenarioStatusDescription", "groups")
    out["properties"] = {k: props[k] for k in order if k in props}
    return out


class RecoveryPlan(ResourceType):
    """`V/replicationRecoveryPlans/{name}`: GET and list here; PUT/PATCH/DELETE and the actions are ROUTES
    (ASR answers them with job-backed LROs)."""

    full_type = PLAN
    parent_type = VAULT
    tracked = False
    list_at_subscription = False

    def prepare_put(self, ctx, rid, body, existing):  # pragma: no cover - ROUTES take PUT
        raise ArmError(405, "MethodNotAllowed", "The requested resource does not support http method 'PUT'.")

    def render(self, ctx, stored):
        return render_plan(ctx, stored)


# ---------------------------------------------------------------------------------------------
# CRUD

def _plan_id(ctx, match):
    vault = common.require_vault(ctx, match)
    name = match.group("plan")
    plan_id = "%s/replicationRecoveryPlans/%s" % (vault, name)
    existing = ctx.get(plan_id)
    return vault, (existing["id"] if existing else plan_id), existing


def _store_plan(ctx, job, task):
    """Callback of the create/update job: the plan as validated when the job started."""
    args = task["args"]
    existing = ctx.get(args["plan"])
    body = {"id": args["plan"], "name": ctx.parse(args["plan"]).name, "type": PLAN,
            "properties": copy.deepcopy(args["properties"])}
    if existing is not None:
        body[PRIVATE] = copy.deepcopy(existing.get(PRIVATE) or {})
        body["properties"].update({k: v for k, v in existing["properties"].items() if k not in body["properties"]})
    ctx.put(args["plan"], body)


def _delete_plan(ctx, job, task):
    ctx.delete(task["args"]["plan"])


def affected_objects(props):
    """A plan job's affectedObjectDetails [O: the keys of a real plan failover job]."""
    recovery = props.get("recoveryFabricId") or AZURE_FABRIC
    return {"primaryVmmId": common.internal_id(props["primaryFabricId"]),
            "primaryVmmName": props.get("primaryFabricFriendlyName") or "",
            "recoveryVmmId": common.internal_id(recovery), "recoveryVmmName": props.get("recoveryFabricFriendlyName")
            or recovery, "primaryFabricProviderId": "InMageRcmFabric",
            "recoveryFabricProviderId": "Azure" if recovery == AZURE_FABRIC else "InMageRcmFabric"}


def _write_job(ctx, vault, plan_id, name, properties):
    """SaveRecoveryPlan, for a create and an update [recorded for a create]."""
    words = vocabulary.job("plan_save")
    task = jobs.Task(words.tasks[0], words.friendly, common.duration(ctx, "plan"),
                     callback="plans.store", args={"plan": plan_id, "properties": properties})
    return jobs.start_job(ctx, vault, scenario=words.scenario, friendly_name=words.friendly, target_id=plan_id,
                          target_name=name, target_type="RecoveryPlan", tasks=[task], result_url=plan_id,
                          custom_details={"instanceType": "AsrJobDetails",
                                          "affectedObjectDetails": affected_objects(properties)},
                          fabric_id=properties["primaryFabricId"])


def put_plan(ctx, match, query, body):
    vault, plan_id, existing = _plan_id(ctx, match)
    name = ctx.parse(plan_id).name
    if existing is None and not NAME_RE.match(name):
        raise _bad(errors.PLAN_INVALID_NAME, "The recovery plan name '%s' is not valid." % name,
                   "A recovery plan name has 3 to 65 characters: letters, numbers and hyphens, starting with a "
                   "letter and ending with a letter or a number.", "Choose a valid name.")
    jobs.ensure_idle(ctx, plan_id, name)
    properties = normalize_create(ctx, vault, name, body, existing)
    job = _write_job(ctx, vault, plan_id, name, properties)
    return jobs.lro_response(ctx, job, plan_id)


def _existing_or_404(ctx, match):
    vault, plan_id, existing = _plan_id(ctx, match)
    if existing is None:
        raise errors.not_found("recovery plan", match.group("plan"))
    return vault, plan_id, existing


def patch_plan(ctx, match, query, body):
    vault, plan_id, existing = _existing_or_404(ctx, match)
    name = existing["name"]
    jobs.ensure_idle(ctx, plan_id, name)
    properties = copy.deepcopy(existing["properties"])
    properties["groups"] = normalize_update(ctx, vault, existing, body)
    job = _write_job(ctx, vault, plan_id, name, properties)
    return jobs.lro_response(ctx, job, plan_id)


def delete_plan(ctx, match, query, body):
    vault, plan_id, existing = _plan_id(ctx, match)
    if existing is None:
        return 204, None
    jobs.ensure_idle(ctx, plan_id, existing["name"])
    # [recorded] DeleteRecoveryPlan / "Delete a recovery plan", one task DeleteRecoveryPlanTask; its customDetails
    # ManualActionTaskDetails [spec: ReplicationJobs_Get example]
    words = vocabulary.job("plan_delete")
    task = jobs.Task(words.tasks[0], "Delete a recovery plan task",
                     common.duration(ctx, "plan"), callback="plans.delete",
                     args={"plan": plan_id}, custom_details={"instanceType": "ManualActionTaskDetails"})
    job = jobs.start_job(ctx, vault, scenario=words.scenario, friendly_name=words.friendly,
                         target_id=plan_id, target_name=existing["name"], target_type="RecoveryPlan",
                         tasks=[task], result_url=plan_id, result_kind="none",
                         custom_details={"instanceType": "AsrJobDetails",
                                         "affectedObjectDetails": affected_objects(existing["properties"])},
                         fabric_id=existing["properties"]["primaryFabricId"])
    return jobs.lro_response(ctx, job, plan_id)


# ---------------------------------------------------------------------------------------------
# plan actions: input

def item_action(spec):
    """The item action (`actions.ACTIONS` entry) a plan action runs on every member."""
    return actions.ACTIONS[spec.item_action]


def validate_input(spec, body):
    """The plan action's input properties (RecoveryPlan*InputProperties), normalized."""
    props = (body or {}).get("properties")
    if props is None:
        props = {}
    if not isinstance(props, dict):
        raise _invalid("The property 'properties' must be an object.")
    out = {}
    op = spec.operation
    if op in ("TestFailover", "PlannedFailover", "UnplannedFailover"):
        if props.get("failoverDirection") is None:
            raise errors.missing_input("properties.failoverDirection")
        out["failoverDirection"] = _enum(props["failoverDirection"], DIRECTIONS, "failoverDirection")
    if op == "TestFailover":
        if not isinstance(props.get("networkType"), str) or not props["networkType"]:
            raise errors.missing_input("properties.networkType")
        out["networkType"] = props["networkType"]
        if props.get("networkId") is not None:
            out["networkId"] = props["networkId"]
    if op == "UnplannedFailover":
        if props.get("sourceSiteOperations") is None:
            raise errors.missing_input("properties.sourceSiteOperations")
        out["sourceSiteOperations"] = _enum(props["sourceSiteOperations"], ("Required", "NotRequired"),
                                            "sourceSiteOperations")
    if op == "TestFailoverCleanup" and props.get("comments") is not None:
        out["comments"] = props["comments"]
    if op in ("TestFailover", "PlannedFailover", "UnplannedFailover"):
        entries = props.get("providerSpecificDetails") or []
        if not isinstance(entries, list):
            raise _invalid("The property 'providerSpecificDetails' must be a list.")
        out["providerSpecificDetails"] = []
        for entry in entries:
            if not isinstance(entry, dict):
                raise _invalid("Every providerSpecificDetails entry must be an object.")
            kind = _enum(entry.get("instanceType"), tuple(FAILOVER_INPUTS), "providerSpecificDetails.instanceType")
            clean = dict(entry, instanceType=kind)
            points = FAILOVER_INPUTS[kind]
            if points is not None:
                if entry.get("recoveryPointType") is None:
                    raise errors.missing_input("providerSpecificDetails[%s].recoveryPointType" % kind)
                clean["recoveryPointType"] = _enum(entry["recoveryPointType"], points, "recoveryPointType")
            out["providerSpecificDetails"].append(clean)
    return out


def _provider_entry(props, provider):
    for entry in props.get("providerSpecificDetails") or []:
        if entry["instanceType"] == provider:
            return entry
    return None


def _recovery_point(ctx, member, entry):
    """The recovery point id a plan's recoveryPointType selects for an item (None: the item action's default,
    its latest processed point)."""
    kind = (entry or {}).get("recoveryPointType")
    wanted = {"LatestApplicationConsistent": "ApplicationConsistent",
              "LatestCrashConsistent": "CrashConsistent"}.get(kind)
    if wanted is None:
        return None        # Latest / LatestProcessed
    point = item_module.latest_recovery_point(ctx, member.stored, wanted)
    if point is None:
        raise errors.asr_error(400, NO_RECOVERY_POINT,
                               "No %s recovery point is available for the protected item '%s'."
                               % (wanted, member.friendly_name),
                               "The item has no recovery point of that type yet.",
                               "Use another recovery point type (Latest, LatestProcessed) or retry later.")
    return asr_id(point["id"])


def item_input(ctx, spec, member, props):
    """The item action's input for one member (the plan input mapped to the item's provider)."""
    op = spec.operation
    entry = _provider_entry(props, member.provider)
    out = {}
    if op in ("TestFailover", "PlannedFailover", "UnplannedFailover"):
        out["failoverDirection"] = props["failoverDirection"]
    if op == "TestFailover":
        out["networkType"] = props["networkType"]
        psd = {"instanceType": member.provider}
        if props.get("networkId"):
            out["networkId"] = psd["networkId"] = props["networkId"]
        point = _recovery_point(ctx, member, entry)
        if point:
            psd["recoveryPointId"] = point
        out["providerSpecificDetails"] = psd
    elif op == "UnplannedFailover":
        out["sourceSiteOperations"] = props["sourceSiteOperations"]
        psd = {"instanceType": member.provider}
        if member.provider == "InMageRcm":
            # after the plan's own shutdown step the item's shutdown finds the VM off (a no-op) and still
            # synchronizes the latest changes
            psd["performShutdown"] = "true" if spec.shutdown(props) else "false"
        point = _recovery_point(ctx, member, entry)
        if point:
            psd["recoveryPointId"] = point
        out["providerSpecificDetails"] = psd
    elif op == "PlannedFailover" and member.provider == "InMageRcmFailback":
        if entry is None:
            raise errors.missing_input("properties.providerSpecificDetails[instanceType InMageRcmFailback]"
                                       ".recoveryPointType")
        out["providerSpecificDetails"] = {"instanceType": "InMageRcmFailback",
                                          "recoveryPointType": entry["recoveryPointType"]}
    elif op == "TestFailoverCleanup":
        out["comments"] = props.get("comments", "")
    else:
        return {}
    return {"properties": out}


def direction_of(props, items):
    """The failover direction a plan action's group actions are matched against [U for the actions that
    take no direction: failback items (InMageRcmFailback) mean RecoveryToPrimary]."""
    if props.get("failoverDirection"):
        return props["failoverDirection"]
    if items and all(m.provider == "InMageRcmFailback" for m in items):
        return "RecoveryToPrimary"
    return "PrimaryToRecovery"


# ---------------------------------------------------------------------------------------------
# plan actions: the plan job

_GROUP_VERB = {"TestFailover": "Start", "PlannedFailover": "Start", "UnplannedFailover": "Start",
               "TestFailoverCleanup": "Cleanup test failover", "Commit": "Commit",
               "CancelFailover": "Cancel failover", "SwitchProtection": "Reprotect"}


def _applies(action, operation, direction):
    return operation in action["failoverTypes"] and direction in action["failoverDirections"]


def _runbook_parts(runbook_id):
    rid = ids.try_parse(runbook_id)
    if rid is None or len(rid.names) < 2:
        return {}
    return {"subscriptionId": rid.subscription, "accountName": rid.names[0], "runbookName": rid.names[-1]}


def _action_task(ctx, action, label, when, stage):
    """A group start/end action as a job task: scripts and runbooks succeed after a short while, a manual
    action suspends the job until it is resumed."""
    details = action["customDetails"]
    kind = details["instanceType"]
    name = action["actionName"]
    friendly = "%s: %s: %s" % (label, "Pre-steps" if when == "start" else "Post-steps", name)
    if kind == "ManualActionDetails":
        custom = {"instanceType": "ManualActionTaskDetails", "name": name,
                  "instructions": details.get("description") or "", "observation": ""}
        return jobs.Task("ManualActionTask", friendly, 0, manual=True, stage=stage, custom_details=custom,
                         args={"instructions": details.get("description") or ""})
    primary = details.get("fabricLocation") == "Primary"
    if kind == "ScriptActionDetails":
        custom = {"instanceType": "ScriptActionTaskDetails", "name": name, "path": details["path"], "output": "",
                  "isPrimarySideScript": primary}
        return jobs.Task("ScriptActionTask", friendly, common.duration(ctx, "plan_script"),
                         stage=stage, custom_details=custom)
    custom = dict({"instanceType": "AutomationRunbookTaskDetails", "name": name, "cloudServiceName": "",
                   "runbookId": details["runbookId"], "jobId": ctx.new_guid(), "jobOutput": "",
                   "isPrimarySideScript": primary}, **_runbook_parts(details["runbookId"]))
    return jobs.Task("AutomationRunbookTask", friendly, common.duration(ctx, "plan_runbook"),
                     stage=stage, custom_details=custom)


def _schedule(item_tasks):
    """Item task records with their start/end offsets inside the item's run (the item's stages in order,
    the tasks of a stage in parallel) and the run's length."""
    out = []
    offset = 0.0
    stages = sorted({t.stage for t in item_tasks})
    for stage in stages:
        here = [t for t in item_tasks if t.stage == stage]
        for t in here:
            rec = t.to_dict()
            rec.update({"offset_start": offset, "offset_end": offset + t.duration})
            out.append(rec)
        offset += max(t.duration for t in here)
    return out, offset


def _vm_child(job_id, run, state="NotStarted", start=None, end=None, errs=None):
    """A VM child task of a plan group task, as ASR shows it [O]: taskType VirtualMachineTaskDetails with
    the item's job (the lab runs the item's tasks inside the plan job, so jobTask names the plan job).
    customDetails are JobTaskDetails (VirtualMachineTaskDetails' base): SDK 2.0.0 resolves only one level
    of discriminator, so the real VirtualMachineTaskDetails does not deserialize as itself."""
    return {"taskId": run["taskId"], "name": "Unknown", "startTime": common.to_iso(start),
            "endTime": common.to_iso(end) if state in ("Succeeded", "Failed", "Cancelled") else None,
            "allowedActions": [], "friendlyName": run["vm"], "state": state,
            "stateDescription": "Completed" if state == "Succeeded" else state,
            "taskType": "VirtualMachineTaskDetails",
            "customDetails": {"instanceType": "JobTaskDetails",
                              "jobTask": {"jobId": asr_id(job_id) if job_id else None,
                                          "jobFriendlyName": run["friendly"], "targetObjectId": run["objectId"],
                                          "targetObjectName": run["vm"], "targetInstanceType": "Vm",
                                          "jobScenarioName": run["scenario"]}},
            "errors": list(errs or [])}


def _shutdown_task_id(run):
    """The VM child task of the shutdown step (another task than the VM's task in its Boot group)."""
    return common.stable_guid(run["taskId"], "shutdown")


def _group_details(group_id, rp_type, children):
    """groupTaskCustomDetails of a plan group task [O]. ASR's shutdown group is a
    RecoveryPlanShutdownGroupTaskDetails; like VirtualMachineTaskDetails it is a second-level discriminator
    SDK 2.0.0 does not resolve, so every group renders as RecoveryPlanGroupTaskDetails (rpGroupType tells)."""
    return {"instanceType": "RecoveryPlanGroupTaskDetails", "name": group_id, "groupId": group_id,
            "rpGroupType": rp_type, "childTasks": children}


class _Builder:
    """Assembles the plan job's tasks: one stage per step, in order."""

    def __init__(self, ctx, plan, spec, props, items, inputs):
        self.ctx = ctx
        self.plan = plan
        self.spec = spec
        self.props = props
        self.inputs = inputs
        self.direction = direction_of(props, items)
        self.tasks = []
        self.stage = 0
        self.action = item_action(spec)

    def add(self, task):
        task.stage = self.stage
        self.tasks.append(task)
        self.stage += 1

    def actions(self, group, key, label):
        for action in group.get(key) or []:
            if _applies(action, self.spec.operation, self.direction):
                self.add(_action_task(self.ctx, action, label, "start" if key == "startGroupActions" else "end",
                                      self.stage))

    def run(self, member):
        body = self.inputs[member.id.lower()]
        tasks = list(self.action.tasks(self.ctx, member.stored, body))
        schedule, length = _schedule(tasks)
        return {"item": member.id, "vm": member.friendly_name, "taskId": self.ctx.new_guid(),
                "objectId": common.internal_id(member.id), "scenario": self.action.scenario,
                "friendly": getattr(self.action, "friendly_name", self.action.scenario),
                "on_failure": getattr(self.action, "on_failure", None), "tasks": schedule, "length": length}

    def build(self, boot_groups, shutdown_runs):
        self.add(jobs.Task("RpSrsPrerequisitesCheck", "Prerequisites check for the recovery plan",
                           common.duration(self.ctx, "plan_prerequisites")))
        groups = self.plan["properties"]["groups"]
        shutdown, failover = groups[0], groups[1]
        self.actions(shutdown, "startGroupActions", "All groups shutdown")
        if shutdown_runs:
            children = []
            for k, members in shutdown_runs:
                vms = [_vm_child(None, dict(r, taskId=_shutdown_task_id(r))) for r in members]
                children.append({"taskId": "Group%d" % k, "name": "Unknown", "startTime": None, "endTime": None,
                                 "allowedActions": [], "friendlyName": "Shutdown: Group %d (%d)" % (k, len(vms)),
                                 "state": "NotStarted", "stateDescription": "NotStarted",
                                 "taskType": "RecoveryPlanGroupTaskDetails", "errors": [],
                                 "groupTaskCustomDetails": _group_details("Group%d" % k, "Shutdown", vms)})
            count = sum(len(runs) for _k, runs in shutdown_runs)
            self.add(jobs.Task("ShutdownAllActionGroup", "All groups shutdown (%d)" % count,
                               common.duration(self.ctx, "plan_shutdown"),
                               callback="plans.shutdown",
                               args={"runs": [{"item": r["item"], "taskId": r["taskId"]}
                                              for _k, runs in shutdown_runs for r in runs],
                                     "direction": self.direction},
                               group_details=_group_details("ShutdownAllActionGroup", "Shutdown", children)))
        self.actions(shutdown, "endGroupActions", "All groups shutdown")
        self.actions(failover, "startGroupActions", "All groups failover")
        self.actions(failover, "endGroupActions", "All groups failover")
        verb = _GROUP_VERB[self.spec.operation]
        for k, (group, runs) in enumerate(boot_groups, 1):
            label = "Group %d" % k
            self.actions(group, "startGroupActions", label)
            if runs:
                group_id = "Group%d" % k
                self.add(jobs.Task(group_id, "%s: %s (%d)" % (label, verb, len(runs)),
                                   max(r["length"] for r in runs), callback="plans.group",
                                   args={"runs": runs}, steps={"callback": "plans.group_steps",
                                                               "offsets": [e[0] for e in _group_events(runs)]},
                                   group_details=_group_details(group_id, "BootGroup",
                                                                [_vm_child(None, r) for r in runs])))
            self.actions(group, "endGroupActions", label)
        self.add(jobs.Task("EndRecoveryPlanTask", "Finalizing the recovery plan",
                           common.duration(self.ctx, "plan_finalize"),
                           callback="plans.finalize", args={"plan": self.plan["id"]}))
        return self.tasks


def _job_details(ctx, spec, props, items, inputs):
    """The plan job's customDetails: the item actions' details merged (protectedItemDetails of every item)."""
    kind = spec.details
    out = {"instanceType": kind, "affectedObjectDetails": affected_objects(props["plan"])}
    if kind == "AsrJobDetails":
        return out
    out["protectedItemDetails"] = []
    action = item_action(spec)
    for m in items:
        try:
            details = action.custom_details(ctx, m.stored, inputs[m.id.lower()]) or {}
        except (AttributeError, ArmError):
            details = {}
        if details.get("instanceType") != kind:
            continue
        out["protectedItemDetails"].extend(details.get("protectedItemDetails") or [])
        for key in ("networkName", "networkFriendlyName", "networkType", "testFailoverStatus", "comments"):
            if details.get(key) is not None and kind == "TestFailoverJobDetails":
                out.setdefault(key, details[key])
    if kind == "TestFailoverJobDetails" and props.get("comments") is not None:
        out["comments"] = props["comments"]
    return out


def plan_action(ctx, match, query, body):
    vault, plan_id, plan = _existing_or_404(ctx, match)
    spec = PLAN_ACTIONS[match.group("action").lower()]
    name = plan["name"]
    props = validate_input(spec, body)
    jobs.ensure_idle(ctx, plan_id, name)
    plan = dict(plan, properties=dict(plan["properties"], groups=_live_groups(ctx, plan["properties"]["groups"])))
    items = members(ctx, plan["properties"])
    for m in items:
        jobs.ensure_idle(ctx, m.id, m.friendly_name)
    if _unsupported(spec.operation, items):
        raise _bad(errors.PLAN_REPROTECT_NOT_SUPPORTED,
                   "Reprotect of the recovery plan '%s' is not supported for its machines (VMware, modernized "
                   "experience): reprotect the replicated items." % name,
                   "The reprotect of an InMageRcm / InMageRcmFailback item needs per-machine input (reprotect agent, "
                   "datastore and log storage account; or process server and policy) that a recovery plan "
                   "operation does not carry.",
                   "Reprotect every replicated item of the plan (replicationProtectedItems reProtect), then use the "
                   "recovery plan for the failover.")
    allowed = allowed_operations(items)
    if spec.operation not in allowed:
        raise _not_allowed(name, spec.operation, allowed)
    action = item_action(spec)
    shutdown = spec.shutdown(props) and bool(items)
    inputs = {}
    for m in items:
        inputs[m.id.lower()] = item_input(ctx, spec, m, props)
        action.validate(ctx, m.stored, inputs[m.id.lower()])
    builder = _Builder(ctx, plan, spec, props, items, inputs)
    by_id = {m.id.lower(): m for m in items}
    boot = []
    for group in plan["properties"]["groups"][2:]:
        runs = [builder.run(by_id[ctx.get(ref["id"])["id"].lower()]) for ref in group["replicationProtectedItems"]]
        boot.append((group, runs))
    shutdown_runs = [(k, runs) for k, (_g, runs) in enumerate(boot, 1) if runs] if shutdown else []
    tasks = builder.build(boot, shutdown_runs)
    jobs.require_callbacks(set().union(*(nested_callbacks(t.to_dict()) for t in tasks)), "the %s job" % spec.scenario)
    job = jobs.start_job(ctx, vault, scenario=spec.scenario, friendly_name=spec.friendly_name, target_id=plan_id,
                         target_name=name, target_type="RecoveryPlan", tasks=tasks,
                         custom_details=_job_details(ctx, spec, dict(props, plan=plan["properties"]), items, inputs),
                         result_url=plan_id, fabric_id=plan["properties"]["primaryFabricId"],
                         affected_ids=[m.id for m in items])
    stored = ctx.get(plan_id)
    lab = private(stored)
    lab["last_job"] = job["id"]
    if spec.last_time:
        lab[spec.last_time] = job["properties"]["startTime"]
    ctx.put(plan_id, stored)
    return jobs.lro_response(ctx, job, plan_id)


# ---------------------------------------------------------------------------------------------
# job callbacks

def _set_group_children(ctx, job_id, task_id, update):
    job = ctx.get(job_id)
    for record in private(job)["tasks"]:
        if record["taskId"] == task_id and record.get("group_details"):
            update(record["group_details"])
    ctx.put(job_id, job)


def _group_record(ctx, job, task):
    return next((t for t in private(ctx.get(job["id"]))["tasks"] if t["taskId"] == task["taskId"]), task)


def _item_failed(ctx, job, run):
    """The item action's failure hook (what an item job runs when it fails), for a failed item of a group."""
    hook = jobs.callback(run.get("on_failure"))
    if hook is None:
        return
    stored = ctx.get(job["id"])
    view = dict(stored, **{PRIVATE: dict(private(stored), target=run["item"])})
    try:
        hook(ctx, view, None)
    except Exception:  # pylint: disable=broad-except  # like jobs.py's hooks: the failure is recorded anyway
        jobs.LOG.exception("plan job %s: failure hook of %s failed", job["name"], run["vm"])


def _group_events(runs):
    """[(offset, i, j)]: when (lab seconds after the group's start) task j of item i ends, in the order they run."""
    return sorted((t["offset_end"], i, j) for i, r in enumerate(runs) for j, t in enumerate(r["tasks"]))


def _group_failure(err, task_id, when):
    """A failed item of a group, kept in the group task's step_state until the group ends (`entry`: its
    JobErrorDetails, made once so that its ids stay the same from one poll to the next)."""
    return {"status": err.status, "code": err.asr_code, "message": err.message, "causes": err.possible_causes,
            "action": err.recommended_action, "arm_code": err.code, "task_id": task_id, "when": when,
            "entry": err.job_error(task_id, common.to_iso(when))}


def _failure_error(failure):
    return errors.AsrError(failure["status"], failure["code"], failure["message"], failure["causes"],
                           failure["action"], failure["arm_code"])


def _group_steps(ctx, job, task, upto, deadline=None):
    """A Boot group's items, each at its own lab times: the item task callbacks whose end (the group's start +
    their offset) is at or before `upto` and not run yet, in order (at least one; with a `deadline`, time.monotonic()
    value, no more once it passed). An item whose callback raises stops there (its failure is kept for the group's
    end, `_run_group`); an item whose last task ran shows Succeeded in the group's VM children, the others
    InProgress. The progress (`steps_done`, `step_state`) is written to the stored job with the children: each
    callback runs once. Items that succeeded before a job restart (their child Succeeded) are not run again."""
    start = task["start"]
    runs = task["args"]["runs"]
    snapshot = ctx.get(job["id"]) or job     # what the item callbacks get: they read its id and re-read to write
    record = next((t for t in private(snapshot)["tasks"] if t["taskId"] == task["taskId"]), task)
    before = {c["taskId"]: c for c in (record.get("group_details") or {}).get("childTasks", [])}
    done = {i for i, r in enumerate(runs) if (before.get(r["taskId"]) or {}).get("state") == "Succeeded"}
    events = _group_events(runs)
    last = {}
    for k, (_offset, i, _j) in enumerate(events):
        last[i] = k
    position = task.get("steps_done") or 0
    state = dict(task.get("step_state") or {})
    failed = dict(state.get("failed") or {})
    finished = set(state.get("finished") or [])

    def record_of(offset, i, j):
        rec = dict(runs[i]["tasks"][j])
        rec.update({"taskId": "%s-%d" % (runs[i]["taskId"], j), "index": j, "state": "InProgress",
                    "start": start + rec["offset_start"], "end": start + offset, "done": False, "errors": []})
        return rec

    def ending_at(k):
        """The records of the items' tasks that end when event k does (from k on: events are in end order), of
        the items still going whose earlier tasks all ran (ended before; an item with two tasks ending then shares
        only the first)."""
        out, seen, offset = [], set(), events[k][0]
        while k < len(events) and events[k][0] == offset:
            i = events[k][1]
            if i not in seen and i not in done and str(i) not in failed:
                out.append(record_of(*events[k]))
            seen.add(i)
            k += 1
        return out

    together, together_at = contextlib.ExitStack(), None
    with together:
        while position < len(events) and start + events[position][0] <= upto:
            if position > (task.get("steps_done") or 0) and deadline is not None and time.monotonic() >= deadline:
                break
            offset, i, j = events[position]
            position += 1
            when = start + offset
            if i in done or str(i) in failed:
                continue
            rec = record_of(offset, i, j)
            if together_at != offset:   # the tasks that end together share their effects (failback: power-ons)
                together.close()
                together.enter_context(actions.together(ctx, ending_at(position - 1)))
                together_at = offset
            fn = jobs.callback(rec.get("callback"))
            if fn is not None:
                try:
                    fn(ctx, snapshot, rec)
                except ArmError as err:
                    failed[str(i)] = _group_failure(errors.as_asr(err), rec["taskId"], when)
                    continue
                except Exception as err:  # pylint: disable=broad-except  # like the engine: a bug fails the item
                    jobs.LOG.exception("plan job %s: item task %s failed", job["name"], rec["name"])
                    failed[str(i)] = _group_failure(errors.internal_error(err), rec["taskId"], when)
                    continue
            if last[i] == position - 1:
                finished.add(i)

    stored = ctx.get(job["id"])
    if stored is None:          # the vault went with its jobs
        return position
    for record in private(stored)["tasks"]:
        if record["taskId"] != task["taskId"]:
            continue
        record["steps_done"] = position
        record["step_state"] = {"failed": failed, "finished": sorted(finished)}
        if record.get("group_details"):
            record["group_details"]["childTasks"] = _children(job["id"], runs, start, before, done, failed,
                                                              finished)
    ctx.put(stored["id"], stored)
    return position


def _children(job_id, runs, start, before, done, failed, finished):
    """The VM children of a Boot group: what succeeded before a restart as it was, a failed item Failed at its
    failure, an item whose tasks all ran Succeeded at its end, the others InProgress since the group's start."""
    children = []
    for i, r in enumerate(runs):
        if i in done:
            children.append(before[r["taskId"]])
        elif str(i) in failed:
            failure = failed[str(i)]
            children.append(_vm_child(job_id, r, "Failed", start, failure["when"], [failure["entry"]]))
        elif i in finished:
            children.append(_vm_child(job_id, r, "Succeeded", start, start + r["length"]))
        else:
            children.append(_vm_child(job_id, r, "InProgress", start))
    return children


def _run_group(ctx, job, task):
    """A Boot group ended: its items' task callbacks not run yet run now (`_group_steps` ran the earlier ones at
    their own times: the items ran in parallel from the group's start), in the order their tasks ended. A failed
    item fails the job now that its group is over (the other items of the group completed) [U]; its item action's
    failure hook runs. After a job restart, the items that succeeded before are not run again."""
    _group_steps(ctx, job, task, float("inf"))
    record = _group_record(ctx, job, task)
    failed = (record.get("step_state") or {}).get("failed") or {}
    runs = task["args"]["runs"]
    for i in sorted(failed, key=int):
        _item_failed(ctx, job, runs[int(i)])
    if failed:
        ordered = sorted(failed.values(), key=lambda f: f["when"])
        stored = ctx.get(job["id"])
        for failure in ordered[1:]:
            stored["properties"]["errors"].append(failure["entry"])
        ctx.put(stored["id"], stored)
        raise _failure_error(ordered[0])


def _source_of(ctx, item):
    """The source VM of an item as vCenter knows it (effects' {"name", "instance_uuid", "bios_uuid"})."""
    machine = fabric.machine_for_item(ctx, item)
    if machine is None:
        return {"name": item["properties"].get("friendlyName")}
    props = machine["properties"]
    return {"name": props.get("displayName"), "instance_uuid": props.get("instanceUuid"),
            "bios_uuid": props.get("biosGuid")}


def _shutdown(ctx, job, task):
    """All groups shutdown: the source machines of every group are shut down (guest shutdown, else power off;
    the failover goes on when that fails, as the item action does) before any group fails over. In the
    failback direction the item actions shut the Azure VMs down themselves."""
    start, end = task["start"], jobs.task_end(task)
    outcomes = {}
    if task["args"].get("direction") == "PrimaryToRecovery":
        present = [(run, item) for run, item in ((r, ctx.get(r["item"])) for r in task["args"]["runs"]) if item]
        try:        # all at once (started together, awaited together), not one VM after the other
            results = effects.power_off_sources([_source_of(ctx, item) for _run, item in present])
        except ArmError as err:
            results = [{"error": err}] * len(present)
        for (run, _item), outcome in zip(present, results):
            if outcome.get("error") is not None:
                outcome = {"warning": "The source machine could not be shut down (%s); the failover continues."
                                      % outcome["error"].message}
            outcomes[_shutdown_task_id(run)] = outcome
        if any(o.get("action") not in (None, "none") for o in outcomes.values()):
            _rediscover(ctx, private(job)["vault"])      # once for all: the items' shutdown tasks find it current

    def child(c):
        warning = (outcomes.get(c["taskId"]) or {}).get("warning")
        errs = []
        if warning:
            entry = errors.asr_error(200, errors.INVALID_INPUT, warning).job_error(c["taskId"], common.to_iso(end))
            entry["errorLevel"] = "Warning"
            errs.append(entry)
        return dict(c, state="Succeeded", stateDescription="Completed", startTime=common.to_iso(start),
                    endTime=common.to_iso(end), errors=errs,
                    customDetails=dict(c["customDetails"], jobTask=dict(c["customDetails"]["jobTask"],
                                                                        jobId=asr_id(job["id"]))))

    def update(details):
        for group in details["childTasks"]:
            group.update({"state": "Succeeded", "stateDescription": "Completed", "startTime": common.to_iso(start),
                          "endTime": common.to_iso(end)})
            gd = group["groupTaskCustomDetails"]
            gd["childTasks"] = [child(c) for c in gd["childTasks"]]
    _set_group_children(ctx, job["id"], task["taskId"], update)


def _rediscover(ctx, vault):
    """The appliance's discovery sees the power changes now (its agents report them; the lab syncs)."""
    try:
        fabric.sync(ctx, vault)
    except Exception:  # pylint: disable=broad-except  # discovery is best effort here, its own health shows it
        fabric.LOG.warning("discovery after the plan's shutdown failed", exc_info=True)


def _finalize(ctx, job, task):
    """Finalizing the recovery plan: nothing left to do (the plan's state is derived from its items)."""


def nested_callbacks(task):
    """The item callback keys a Boot group task of a plan job names in its args (its runs' tasks and failure
    hooks: they run through jobs.callback when the group ends), besides the task's own callback."""
    keys = set()
    for run in (task.get("args") or {}).get("runs") or []:
        keys.update(t.get("callback") for t in run.get("tasks") or [])
        keys.add(run.get("on_failure"))
    return {k for k in keys if k}


#: the job task callbacks of this module (keys stored with the jobs; installed by registry.py)
CALLBACKS = {"plans.store": _store_plan, "plans.delete": _delete_plan, "plans.group": _run_group,
             "plans.group_steps": _group_steps,
             "plans.shutdown": _shutdown, "plans.finalize": _finalize}

for _handler in (put_plan, patch_plan, delete_plan, plan_action):
    _handler.resource_type = PLAN

RESOURCE_TYPES = [RecoveryPlan]

ROUTES = [
    ("PUT", PLAN_PATH, put_plan),
    ("PATCH", PLAN_PATH, patch_plan),
    ("DELETE", PLAN_PATH, delete_plan),
    ("POST", PLAN_PATH + r"/(?P<action>%s)" % "|".join(a.segment for a in PLAN_ACTIONS.values()), plan_action),
]
