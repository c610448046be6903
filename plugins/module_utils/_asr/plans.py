# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Recovery plans of one vault: what the user means, what ASR answers, and the comparison of the two.

ASR answers a plan's groups normalized - the Shutdown group, the Failover group, then the Boot groups in
order - with ids in its own casing (`/Subscriptions/`), whatever order and casing were sent
(terraform-provider-azurerm#22258: comparing list positions re-sorts the groups on every run). So the
comparison is in the user's terms, never list positions:

* Boot groups in order (group 1 fails over first); Shutdown and Failover found by type, wherever they are;
* the members of a group as a set of protected item ids, compared case-insensitively;
* the actions of a group's start and end in order, each compared by name, kind, failover types and
  directions (as sets), and its details (fabric location, runbook id case-insensitively, timeout as a
  duration: PT30M == PT0H30M0S; a timeout left unset is not compared).

    want = resolve(params, plan, vault.protected_items(), vault)   # InputError for every problem, no write
    parts = changes(plan, want)                                    # ["groups", "shutdown_group", ...]
    body = body_groups(plan, want)                                 # the groups PUT/PATCH sends
    job = start(tracker, "update", name, body)                     # the SaveRecoveryPlan job's name

Reads are the vault's cached lists (AsrVault: plans, protected items, fabrics), writes start one ASR job
each through the run's JobTracker (no SDK poller).
"""

from __future__ import annotations

import copy
import re

from ansible_collections.dr.asr.plugins.module_utils._errors import AzureError, DrAsrError, InputError
from ansible_collections.dr.asr.plugins.module_utils._asr import jobs as asr_jobs
from ansible_collections.dr.asr.plugins.module_utils._asr import lookup
from ansible_collections.dr.asr.plugins.module_utils._asr.common import Problems, close_matches, id_key as key_of
from ansible_collections.dr.asr.plugins.module_utils._asr.state import plan_member_ids

#: "Up to 100 protected instances can be added to one recovery plan" (MicrosoftDocs recovery-plan-overview)
MAX_ITEMS = 100
TARGET_TYPE = "RecoveryPlan"
AZURE_FABRIC = "Microsoft Azure"
DEPLOYMENT_MODEL = "ResourceManager"
#: the jobs of the plan's own create/update/delete: a rerun waits for them (attaches)
#: the jobs of a plan write [recorded: SaveRecoveryPlan (create, update), DeleteRecoveryPlan]; the older names too
WRITE_SCENARIOS = ("SaveRecoveryPlan", "DeleteRecoveryPlan", "CreateRecoveryPlan", "UpdateRecoveryPlan")
RUNNING_STATES = ("NotStarted", "InProgress", "Suspended")
#: the failover types a group action runs for (terraform's fail_over_types and the portal offer these)
FAILOVER_TYPES = ("TestFailover", "PlannedFailover", "UnplannedFailover")
DIRECTIONS = ("PrimaryToRecovery", "RecoveryToPrimary")
FABRIC_LOCATIONS = ("Primary", "Recovery")
ACTION_TYPES = {"manual": "ManualActionDetails", "script": "ScriptActionDetails",
                "runbook": "AutomationRunbookActionDetails"}
_KIND_OF = dict((v.lower(), k) for k, v in ACTION_TYPES.items())
_KIND_FIELDS = {"manual": ("description",), "script": ("path", "fabric_location", "timeout"),
                "runbook": ("runbook_id", "fabric_location", "timeout")}
_DURATION = re.compile(r"^P(?!$)(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$", re.I)
_RUNBOOK = re.compile(r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Automation/"
                      r"automationAccounts/[^/]+/runbooks/[^/]+$", re.I)

# -- argument specs (documented in plugins/modules/recovery_plan.py) -------------------------------------

ACTION_SPEC = dict(
    name=dict(type="str", required=True),
    type=dict(type="str", required=True, choices=list(ACTION_TYPES)),
    description=dict(type="str"),
    path=dict(type="str"),
    runbook_id=dict(type="str"),
    fabric_location=dict(type="str", choices=list(FABRIC_LOCATIONS)),
    timeout=dict(type="str"),
    failover_types=dict(type="list", elements="str", choices=list(FAILOVER_TYPES), default=list(FAILOVER_TYPES)),
    failover_directions=dict(type="list", elements="str", choices=list(DIRECTIONS), default=["PrimaryToRecovery"]),
)
ACTIONS_SPEC = dict(
    pre_actions=dict(type="list", elements="dict", options=ACTION_SPEC),
    post_actions=dict(type="list", elements="dict", options=ACTION_SPEC),
)
BOOT_GROUP_SPEC = dict(vms=dict(type="list", elements="str"), items=dict(type="list", elements="str"), **ACTIONS_SPEC)
ARGUMENT_SPEC = dict(
    name=dict(type="str", required=True),
    groups=dict(type="list", elements="dict", options=BOOT_GROUP_SPEC),
    shutdown_group=dict(type="dict", options=ACTIONS_SPEC),
    failover_group=dict(type="dict", options=ACTIONS_SPEC),
    state=dict(type="str", choices=["present", "absent"], default="present"),
)
#: option -> ASR group type, for the two groups every plan has
FIXED_GROUPS = (("shutdown_group", "Shutdown"), ("failover_group", "Failover"))


# -- durations and ids ------------------------------------------------------------------------------------

def duration_seconds(text):
    """An ISO 8601 duration (PT30M, P1DT2H, PT90S) in seconds, or None when it is not one."""
    match = _DURATION.match((text or "").strip()) if isinstance(text, str) else None
    if match is None:
        return None
    days, hours, minutes, seconds = match.groups()
    return int(days or 0) * 86400 + int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(seconds or 0)


def timeout_input(value, parameter):
    """A timeout as ASR takes it: minutes (`30`) become PT30M, ISO 8601 durations pass (upper case)."""
    text = str(value).strip()
    if text.isdigit() and int(text) > 0:
        return "PT%dM" % int(text)
    if duration_seconds(text):
        return text.upper()
    raise InputError(parameter, value, "a positive number of minutes (30) or an ISO 8601 duration (PT30M, PT1H30M)")


def fabric_id_of(item_id):
    """The fabric id (as given) of a protected item id: the part before /replicationProtectionContainers/."""
    at = (item_id or "").lower().find("/replicationprotectioncontainers/")
    return item_id[:at] if at > 0 else None


# -- actions --------------------------------------------------------------------------------------------

def action_input(action, parameter):
    """One action option (ACTION_SPEC) -> ASR's RecoveryPlanAction. InputError names the sub-option."""
    kind = action["type"]
    for key in ("description", "path", "runbook_id", "fabric_location", "timeout"):
        if action.get(key) is not None and key not in _KIND_FIELDS[kind]:
            raise InputError("%s.%s" % (parameter, key), action[key], "no %s for a %s action" % (key, kind),
                             hint="A %s action takes %s." % (kind, ", ".join(_KIND_FIELDS[kind])))
    if not action["failover_types"]:
        raise InputError(parameter + ".failover_types", [], "at least one of %s" % ", ".join(FAILOVER_TYPES))
    if not action["failover_directions"]:
        raise InputError(parameter + ".failover_directions", [], "at least one of %s" % ", ".join(DIRECTIONS))
    details = {"instanceType": ACTION_TYPES[kind]}
    if kind == "manual":
        if action.get("description") is not None:
            details["description"] = action["description"]
    else:
        details["fabricLocation"] = action.get("fabric_location") or "Recovery"
        if action.get("timeout") is not None:
            details["timeout"] = timeout_input(action["timeout"], parameter + ".timeout")
    if kind == "script":
        if not (action.get("path") or "").strip():
            raise InputError(parameter + ".path", action.get("path"), "the path of the script (required for a script action)")
        details["path"] = action["path"]
    elif kind == "runbook":
        if not _RUNBOOK.match(action.get("runbook_id") or ""):
            raise InputError(parameter + ".runbook_id", action.get("runbook_id"),
                             "the ARM id of an Azure Automation runbook (/subscriptions/.../resourceGroups/.../providers/"
                             "Microsoft.Automation/automationAccounts/<account>/runbooks/<runbook>)")
        details["runbookId"] = action["runbook_id"]
    return {"actionName": action["name"], "failoverTypes": _unique(action["failover_types"]),
            "failoverDirections": _unique(action["failover_directions"]), "customDetails": details}


def _unique(values):
    out = []
    for value in values:
        if value not in out:
            out.append(value)
    return out


def action_facts(raw):
    """An ASR RecoveryPlanAction in the module's terms (the keys of the action options)."""
    details = raw.get("customDetails") or {}
    kind = _KIND_OF.get((details.get("instanceType") or "").lower(), details.get("instanceType"))
    out = dict(name=raw.get("actionName"), type=kind, failover_types=list(raw.get("failoverTypes") or []),
               failover_directions=list(raw.get("failoverDirections") or []))
    if kind == "manual":
        out["description"] = details.get("description") or ""
    else:
        out["fabric_location"] = details.get("fabricLocation")
        out["timeout"] = details.get("timeout")
        if kind == "script":
            out["path"] = details.get("path")
        elif kind == "runbook":
            out["runbook_id"] = details.get("runbookId")
    return out


def _action_key(raw):
    details = raw.get("customDetails") or {}
    return (raw.get("actionName"), (details.get("instanceType") or "").lower(),
            frozenset(t.lower() for t in raw.get("failoverTypes") or []),
            frozenset(d.lower() for d in raw.get("failoverDirections") or []),
            details.get("description") or "", details.get("path") or "",
            (details.get("fabricLocation") or "").lower(), key_of(details.get("runbookId")))


def same_action(current, wanted):
    """Whether an action of the plan is the wanted one (an unset wanted timeout is not compared)."""
    if _action_key(current) != _action_key(wanted):
        return False
    timeout = (wanted.get("customDetails") or {}).get("timeout")
    if timeout is None:
        return True
    return duration_seconds((current.get("customDetails") or {}).get("timeout")) == duration_seconds(timeout)


def same_actions(current, wanted):
    """Actions in order: the same length, and pairwise the same action."""
    current, wanted = current or [], wanted or []
    return len(current) == len(wanted) and all(same_action(c, w) for c, w in zip(current, wanted))


# -- groups ---------------------------------------------------------------------------------------------

def empty_group(group_type):
    return {"groupType": group_type, "replicationProtectedItems": [], "startGroupActions": [], "endGroupActions": []}


def split_groups(groups):
    """(Shutdown group, Failover group, Boot groups in order) of a plan's groups, found by type wherever they
    are (ASR answers them as Shutdown, Failover, Boot...; a missing Shutdown/Failover group is empty)."""
    fixed = {}
    boots = []
    for group in groups or []:
        kind = (group.get("groupType") or "").lower()
        if kind in ("shutdown", "failover") and kind not in fixed:
            fixed[kind] = group
        elif kind == "boot":
            boots.append(group)
    return fixed.get("shutdown") or empty_group("Shutdown"), fixed.get("failover") or empty_group("Failover"), boots


def member_keys(group):
    return frozenset(key_of(ref.get("id")) for ref in group.get("replicationProtectedItems") or [])


def same_boot_groups(current, wanted):
    """Boot groups in order; members as sets; start and end actions in order."""
    if len(current) != len(wanted):
        return False
    for have, want in zip(current, wanted):
        if member_keys(have) != member_keys(want):
            return False
        if not (same_actions(have.get("startGroupActions"), want.get("startGroupActions")) and
                same_actions(have.get("endGroupActions"), want.get("endGroupActions"))):
            return False
    return True


def member_ref(item):
    """A protected item as a plan group lists it: its ARM id, and as virtualMachineId its internalIdentifier
    [recorded: TestV2ARCMRecoveryPlan#13, #16] (its name when it has none)."""
    details = (item.get("properties") or {}).get("providerSpecificDetails") or {}
    return {"id": item["id"],
            "virtualMachineId": details.get("internalIdentifier") or item.get("name") or lookup.last_segment(item["id"])}


def _actions_of(option, parameter):
    return [action_input(a, "%s[%d]" % (parameter, i)) for i, a in enumerate(option or [])]


def wanted_fixed_group(params, option, group_type):
    """The Shutdown/Failover group the options describe, None when the option is unset (not compared)."""
    value = params.get(option)
    if value is None:
        return None
    group = empty_group(group_type)
    group["startGroupActions"] = _actions_of(value.get("pre_actions"), option + ".pre_actions")
    group["endGroupActions"] = _actions_of(value.get("post_actions"), option + ".post_actions")
    return group


def count_members(groups):
    return sum(len(g.get("vms") or []) + len(g.get("items") or []) for g in groups or [])


def check_limits(params):
    """ASR's limits on the options alone, before anything is read or written: at most 100 protected items per
    plan, and every action's shape (InputError naming the option)."""
    count = count_members(params.get("groups"))
    if count > MAX_ITEMS:
        raise InputError("groups", "%d VMs and items" % count,
                         "at most %d protected items in one recovery plan (an Azure Site Recovery limit)" % MAX_ITEMS,
                         hint="Split the VMs into several recovery plans; a VM can belong to more than one plan.")
    for i, group in enumerate(params.get("groups") or []):
        for key in ("pre_actions", "post_actions"):
            _actions_of(group.get(key), "groups[%d].%s" % (i, key))
    for option, group_type in FIXED_GROUPS:
        wanted_fixed_group(params, option, group_type)


# -- members --------------------------------------------------------------------------------------------

class ItemIndex(object):
    """The vault's protected items by VM name (friendly name, as vSphere spells it), item name and id."""

    def __init__(self, items):
        self.items = list(items)
        self.by_vm = {}
        self.by_key = {}
        for item in self.items:
            self.by_vm.setdefault((item.get("properties") or {}).get("friendlyName"), []).append(item)
            self.by_key[(item.get("name") or "").lower()] = item
            self.by_key[key_of(item.get("id"))] = item
        self.by_id = dict((key_of(i.get("id")), i) for i in self.items)

    def names(self, resource_id):
        """(VM name, item name) of a member id; the VM name is None for an item the vault no longer has."""
        item = self.by_id.get(key_of(resource_id))
        if item is None:
            return None, lookup.last_segment(resource_id)
        return (item.get("properties") or {}).get("friendlyName") or item.get("name"), item.get("name")

    def vm_name(self, resource_id):
        vm, item = self.names(resource_id)
        return vm or item


def _fabric_name(fabric_id):
    return lookup.last_segment(fabric_id)


class Resolver(object):
    """The `groups` option -> Boot groups of protected items, on one primary fabric. Every problem of every
    member is collected and raised together (InputError naming groups[i].vms[j] / groups[i].items[j])."""

    def __init__(self, index, fabric_id=None, vault_name=None):
        self.index = index
        self.fabric_id = fabric_id         # the plan's (existing plans), else chosen by the first member
        self.fixed_fabric = fabric_id is not None
        self.vault_name = vault_name
        self.problems = Problems()
        self.seen = {}
        self._first = None

    def _candidates(self):
        if self.fixed_fabric:
            return [i for i in self.index.items if lookup.same_id(fabric_id_of(i.get("id")), self.fabric_id)]
        return self.index.items

    def _by_vm(self, parameter, name):
        found = self.index.by_vm.get(name) or []
        if len(found) > 1 and self.fabric_id:
            found = [i for i in found if lookup.same_id(fabric_id_of(i.get("id")), self.fabric_id)] or found
        if not found:
            vms = [(i.get("properties") or {}).get("friendlyName") for i in self._candidates()]
            close = close_matches(name, [v for v in vms if v])
            hint = ("Close matches: %s." % ", ".join(close)) if close else "No replicating VM has a similar name."
            hint += " A VM must replicate (dr.asr.protected_item) before it can join a recovery plan."
            raise InputError(parameter, name, "the name of a VM that replicates in vault %s" % self.vault_name, hint=hint)
        if len(found) > 1:
            raise InputError(parameter, name, "a VM name that one protected item of the vault has",
                             hint="%d protected items replicate a VM named %s (items %s); name it under items instead."
                                  % (len(found), name, ", ".join(sorted(i["name"] for i in found))))
        return found[0]

    def _by_item(self, parameter, value):
        item = self.index.by_key.get(key_of(value))
        if item is None:
            close = close_matches(lookup.last_segment(value), [i.get("name") for i in self._candidates()])
            hint = ("Close matches: %s." % ", ".join(close)) if close else "No protected item has a similar name."
            raise InputError(parameter, value, "the name or id of a protected item of vault %s" % self.vault_name,
                             hint=hint)
        return item

    def _check(self, parameter, value, item):
        fabric = fabric_id_of(item.get("id"))
        vm = (item.get("properties") or {}).get("friendlyName") or item.get("name")
        if self.fabric_id is None:
            self.fabric_id, self._first = fabric, (parameter, vm)
        elif not lookup.same_id(fabric, self.fabric_id):
            if self.fixed_fabric:
                expected = "a protected item of the recovery plan's primary fabric %s" % _fabric_name(self.fabric_id)
                hint = "%s replicates through fabric %s; a plan's primary fabric cannot change." % (vm, _fabric_name(fabric))
            else:
                expected = "protected items of one fabric (a recovery plan has one primary fabric)"
                hint = "%s (%s) replicates through fabric %s, %s through fabric %s." % (
                    self._first[0], self._first[1], _fabric_name(self.fabric_id), vm, _fabric_name(fabric))
            raise InputError(parameter, value, expected, hint=hint)
        key = key_of(item.get("id"))
        if key in self.seen:
            raise InputError(parameter, value, "each protected item once per recovery plan",
                             hint="%s is already a member under %s; a VM belongs to one group of a plan."
                                  % (vm, self.seen[key]))
        self.seen[key] = parameter

    def member(self, parameter, value, by_vm):
        try:
            item = self._by_vm(parameter, value) if by_vm else self._by_item(parameter, value)
            self._check(parameter, value, item)
            return item
        except InputError as err:
            self.problems.add(err)
            return None

    def groups(self, groups):
        """Boot groups (REST, members in the order given: VMs, then items) for the `groups` option."""
        out = []
        for i, group in enumerate(groups):
            members = [self.member("groups[%d].vms[%d]" % (i, j), v, True) for j, v in enumerate(group.get("vms") or [])]
            members += [self.member("groups[%d].items[%d]" % (i, j), v, False)
                        for j, v in enumerate(group.get("items") or [])]
            boot = empty_group("Boot")
            boot["replicationProtectedItems"] = [member_ref(m) for m in members if m is not None]
            boot["startGroupActions"] = _actions_of(group.get("pre_actions"), "groups[%d].pre_actions" % i)
            boot["endGroupActions"] = _actions_of(group.get("post_actions"), "groups[%d].post_actions" % i)
            out.append(boot)
        self.problems.check()
        return out


def appliance_fabric(vault):
    """The vault's only modernized (InMageRcm) fabric, for a new plan without members."""
    fabrics = [f for f in lookup.vault_read(vault, vault.fabrics)
               if (((f.get("properties") or {}).get("customDetails") or {}).get("instanceType") or "").lower() == "inmagercm"]
    if not fabrics:
        raise DrAsrError("Vault %s has no replication appliance registered yet (no InMageRcm fabric)." % vault.name,
                         code="NoReplicationAppliance",
                         recommended_action="Register the replication appliance with the vault, protect VMs, then "
                                            "create the recovery plan.")
    if len(fabrics) > 1:
        raise InputError("groups", [], "at least one member: the members choose the plan's primary fabric, and vault "
                         "%s has %d appliance fabrics (%s)" % (vault.name, len(fabrics),
                                                               ", ".join(sorted(f["name"] for f in fabrics))))
    return fabrics[0]["id"]


def resolve(params, plan, index, vault):
    """What the options want: {"fabric_id", "groups" (Boot groups or None), "Shutdown"/"Failover" (or None)}.
    InputError for every problem, before anything is written."""
    check_limits(params)
    props = (plan or {}).get("properties") or {}
    resolver = Resolver(index, props.get("primaryFabricId"), vault.name)
    want = {"groups": None}
    if params.get("groups") is not None:
        want["groups"] = resolver.groups(params["groups"])
    for option, group_type in FIXED_GROUPS:
        want[group_type] = wanted_fixed_group(params, option, group_type)
    want["fabric_id"] = resolver.fabric_id or (appliance_fabric(vault) if plan is None else None)
    return want


# -- comparison and the request ---------------------------------------------------------------------------

def changes(plan, want):
    """The options whose part of the plan differs ([] when the plan is as wanted; every set part for a new plan)."""
    shutdown, failover, boots = split_groups(((plan or {}).get("properties") or {}).get("groups"))
    out = []
    if want["groups"] is not None and (plan is None or not same_boot_groups(boots, want["groups"])):
        out.append("groups")
    for (option, group_type), have in zip(FIXED_GROUPS, (shutdown, failover)):
        wanted = want.get(group_type)
        if wanted is None:
            continue
        if plan is None or not (same_actions(have.get("startGroupActions"), wanted["startGroupActions"]) and
                                same_actions(have.get("endGroupActions"), wanted["endGroupActions"])):
            out.append(option)
    return out


def _as_sent(group):
    """A group of the plan as a request sends it back: its members as id + virtualMachineId, the rest as is."""
    out = copy.deepcopy(group)
    out["replicationProtectedItems"] = [{"id": r.get("id"), "virtualMachineId": r.get("virtualMachineId")
                                         or lookup.last_segment(r.get("id"))} for r in group.get("replicationProtectedItems") or []]
    out.setdefault("startGroupActions", [])
    out.setdefault("endGroupActions", [])
    return out


def body_groups(plan, want):
    """The whole groups list a create or update sends (an update replaces every group): Shutdown, Failover,
    then the Boot groups; the parts the options leave unset are the plan's current ones."""
    shutdown, failover, boots = split_groups(((plan or {}).get("properties") or {}).get("groups"))
    out = []
    for group_type, have in (("Shutdown", shutdown), ("Failover", failover)):
        wanted = want.get(group_type)
        group = _as_sent(have)
        group["groupType"] = group_type
        if wanted is not None:
            group["startGroupActions"] = wanted["startGroupActions"]
            group["endGroupActions"] = wanted["endGroupActions"]
        out.append(group)
    out += want["groups"] if want["groups"] is not None else [_as_sent(g) for g in boots]
    return out


def create_body(fabric_id, groups):
    return {"properties": {"primaryFabricId": fabric_id, "recoveryFabricId": AZURE_FABRIC,
                           "failoverDeploymentModel": DEPLOYMENT_MODEL, "groups": groups}}


def update_body(groups):
    return {"properties": {"groups": groups}}


# -- the user's view and facts ----------------------------------------------------------------------------

def _fixed_view(group):
    return dict(pre_actions=[action_facts(a) for a in group.get("startGroupActions") or []],
                post_actions=[action_facts(a) for a in group.get("endGroupActions") or []])


def view(name, groups, index):
    """A plan's groups in the options' terms, for diff: Boot groups in order with their VMs sorted (their
    order in a group does not matter), the actions in order."""
    shutdown, failover, boots = split_groups(groups)
    return dict(name=name, groups=[dict(vms=sorted(index.vm_name(r.get("id")) for r in g.get("replicationProtectedItems") or []),
                                        **_fixed_view(g)) for g in boots],
                shutdown_group=_fixed_view(shutdown), failover_group=_fixed_view(failover))


def scenario_facts(props):
    """The plan's current (or last) job from currentScenario, None when ASR says it is idle."""
    job = asr_jobs.scenario_job_name({"properties": props})
    if job is None:
        return None
    scenario = props.get("currentScenario") or {}
    status = props.get("currentScenarioStatus")
    return dict(scenario=scenario.get("scenarioName"), job=job, job_id=scenario.get("jobId"),
                start_time=scenario.get("startTime"), status=status,
                status_description=props.get("currentScenarioStatusDescription"),
                running=status is None or status in RUNNING_STATES)


def plan_facts(plan, index):
    """A recovery plan as the modules return it (snake_case; members by VM name and item name)."""
    props = plan.get("properties") or {}
    shutdown, failover, boots = split_groups(props.get("groups"))
    groups = []
    for number, group in enumerate(boots, 1):
        members = []
        for ref in group.get("replicationProtectedItems") or []:
            vm, item = index.names(ref.get("id"))
            members.append(dict(vm_name=vm, item_name=item, id=ref.get("id")))
        groups.append(dict(group=number, vms=[m["vm_name"] or m["item_name"] for m in members], members=members,
                           **_fixed_view(group)))
    primary = props.get("primaryFabricId")
    return dict(
        id=plan.get("id"), name=plan.get("name"),
        primary_fabric=props.get("primaryFabricFriendlyName") or (_fabric_name(primary) if primary else None),
        primary_fabric_id=primary,
        recovery_fabric=props.get("recoveryFabricFriendlyName") or props.get("recoveryFabricId"),
        failover_deployment_model=props.get("failoverDeploymentModel"),
        providers=list(props.get("replicationProviders") or []),
        allowed_operations=list(props.get("allowedOperations") or []),
        current_job=scenario_facts(props),
        last_test_failover_time=props.get("lastTestFailoverTime"),
        last_planned_failover_time=props.get("lastPlannedFailoverTime"),
        last_unplanned_failover_time=props.get("lastUnplannedFailoverTime"),
        item_count=sum(len(m["members"]) for m in groups),
        groups=groups, shutdown_group=_fixed_view(shutdown), failover_group=_fixed_view(failover),
    )


def predicted(plan, name, fabric_id, groups):
    """The plan a write will leave (check mode, wait=false): the current plan with the new groups."""
    if plan is not None:
        out = copy.deepcopy(plan)
        out["properties"]["groups"] = groups
        return out
    return {"id": None, "name": name, "properties": {
        "friendlyName": name, "primaryFabricId": fabric_id, "recoveryFabricId": AZURE_FABRIC,
        "recoveryFabricFriendlyName": AZURE_FABRIC, "failoverDeploymentModel": DEPLOYMENT_MODEL, "groups": groups}}


# -- reads, busy plans, writes --------------------------------------------------------------------------

def item_index(vault, plan, params):
    """The protected items the options are resolved against. An existing plan whose members the options name again
    (the rerun of a plan, a change of its actions, members moved between its groups) needs its members only: ASR's
    list of them (recoveryPlanName filter), one page for a 100-VM plan of a 1,000-VM vault. A new plan, a new member
    or a name the members do not have: every protected item of the vault (a VM name is then checked for being unique
    in the vault, and the errors name close matches among all of them)."""
    if plan is not None:
        index = ItemIndex(vault.protected_items(plan=plan["name"]))
        groups = params.get("groups") or []
        if (all(key_of(m) in index.by_id for m in plan_member_ids(plan)) and
                all(len(index.by_vm.get(vm) or []) == 1 for g in groups for vm in g.get("vms") or []) and
                all(key_of(i) in index.by_key for g in groups for i in g.get("items") or [])):
            return index
    return ItemIndex(lookup.vault_read(vault, vault.protected_items))


def find(vault, name):
    """The plan named `name` (case-insensitive), or None: found in the vault-wide list (cached), then read with a
    GET (what is compared never comes from a list answer)."""
    for plan in lookup.vault_read(vault, vault.recovery_plans):
        if (plan.get("name") or "").lower() == name.lower():
            return vault.get_plan(plan["name"])
    return None


def busy_error(name, job, scenario, status, start_time):
    """The error for a plan busy with a job other than its own write (a failover, a drill waiting at a manual
    action): ASR refuses changes then, and waiting for a drill could take hours."""
    return DrAsrError("Recovery plan %s is busy with job %s (%s, %s since %s); ASR refuses changes to a plan while a "
                      "job runs on it." % (name, job, scenario, status or "running", start_time),
                      code="RecoveryPlanBusy",
                      possible_causes="A test failover, failover or commit of the plan is running, or waits at a "
                                      "manual action (job state Suspended).",
                      recommended_action="Let the job finish (resume it if it waits at a manual action), or cancel it; "
                                         "then run again. See dr.asr.job_info for the job.",
                      details={"job": job, "scenario": scenario, "status": status})


def check_idle(plan):
    """Raise busy_error when the plan's current job (currentScenario) runs and is not its own write."""
    current = scenario_facts((plan or {}).get("properties") or {})
    if current is not None and current["running"] and current["scenario"] not in WRITE_SCENARIOS:
        raise busy_error(plan.get("name"), current["job"], current["scenario"], current["status"], current["start_time"])


def not_listed(name):
    return AzureError("Recovery plan %s: its job succeeded but the vault does not list the plan." % name,
                      code="RecoveryPlanNotListed", recommended_action="Run the task again.")


def start(tracker, verb, name, body=None):
    """Create, update or delete the recovery plan `name` (verb: create | update | delete)."""
    vault = tracker.vault
    return tracker.start_write(getattr(vault.client.replication_recovery_plans, "begin_" + verb),
                               "%s recovery plan %s" % (tracker.VERBS[verb], name), vault.resource_group, vault.name,
                               name, *([body] if body is not None else []), target=(name, TARGET_TYPE))
