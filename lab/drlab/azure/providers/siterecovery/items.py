"""Replication protected items (`.../replicationProtectedItems/{item}`) and their replication.

Verbs (all job-backed, ASR's LRO headers, see jobs.py):

* `PUT` (enable, job `EnableDr`): the provider validates the input (providers.py); the item appears at
  once (`UnprotectedStatesBegin`); the job checks prerequisites, pushes the Mobility service (or checks
  the registered agent), and starts initial replication (`InitialReplicationInProgress`).
* `PATCH` (update, job `UpdateVmProperties`), `POST .../remove` (disable, job `DisableDr`, the item
  is deleted at its end; refused while a test failover waits for its cleanup), `DELETE` (purge, job
  `PurgeProtection`: forced, cancels a running job of the item, deletes a test failover's VM, NICs and
  disks with the item; refused while a recovery plan job includes the item).
* `POST .../{action}`: the item actions, routed by actions.py (`ACTIONS`, above this module): refused by a
  running job on the item or a plan job that includes it (409), then the action's `validate`: its gate
  (`operation` in `allowed_operations(item)`, vocabulary.py, 400), its input; then `tasks`,
  `custom_details` -> one job.
* `GET .../recoveryPoints[/{rp}]`, `.../targetComputeSizes`, `V/replicationProtectedItems`.

Replication runs in lab time, lazily (no threads). Initial replication lasts
`initial_replication_base + initial_replication_per_gb x disk GB` (config `asr.durations`; disks in
parallel) of time the source machine is on and its agent registered; then the item is `Protected`.
Recovery points exist every crashConsistentFrequencyInMinutes (CrashConsistent) and
appConsistentFrequencyInMinutes (ApplicationConsistent) of the item's policy while data flows,
kept recoveryPointHistoryInMinutes, newest first. RPO: `asr.rpo.steady_seconds` while data flows,
growing while it does not (source VM off in vCenter, seen at the appliance's next discovery);
replication health Warning / Critical above `asr.rpo.warning_seconds` / `critical_seconds`.

API for the action module and recovery plans (beyond the design doc):
`refresh(ctx, item)`, `save(ctx, item)`, `allowed_operations(item)` / `provider_operations(provider)`
(vocabulary.py), `recovery_points(ctx, item)` (InMageRcm and InMageRcmFailback), `add_recovery_point`,
`find_recovery_point(ctx, item, rp)`, `latest_recovery_point(ctx, item, kind=None)`,
`stop_replication(ctx, item, when)` (failover), `resume_replication(ctx, item, when)` (cancel failover),
`clear_recovery_points(ctx, item, when)` (commit), `start_initial_replication(ctx, item, when)` (reprotect),
`switch_provider(item, details)` (reprotect: keeps the old details in `_lab.details_by_provider`),
`replication_status(ctx, item)`, private `_lab.health_errors` (extra HealthError dicts an action adds).
"""
import copy
import logging
import math

from drlab.azure.providers import catalog
from drlab.azure.providers.siterecovery import common, effects, errors, fabric, jobs, policies, providers
from drlab.azure.providers.siterecovery import vocabulary
from drlab.azure.providers.siterecovery.common import AZURE_FABRIC, ITEM, ITEM_PATH, VAULT_PATH, private
from drlab.azure.rp import Paged, ResourceType

LOG = logging.getLogger("drlab.azure.asr.items")

LIVE_KEY = common.ITEMS_LIVE_KEY     # store meta: ids of the items whose initial replication runs
RECOVERY_POINT = ITEM + "/recoveryPoints"
TARGET_COMPUTE_SIZE = ITEM + "/targetComputeSizes"
TEST_FAILOVER_WAITING = "WaitingForCompletion"


def _describe(item, state):
    return vocabulary.description(_instance_type(item), item["properties"].get("activeLocation") or "Primary", state,
                                  item["properties"].get("testFailoverState") or "None")


def set_state(item, state, active_location=None):
    """The item's protectionState (and activeLocation), with ASR's description of it (vocabulary.py)."""
    props = item["properties"]
    if active_location is not None:
        props["activeLocation"] = active_location
    props["protectionState"] = state
    props["protectionStateDescription"] = _describe(item, state)
    return item


#: states in which initial replication runs (refresh moves them on)
_INITIAL_REPLICATION_STATES = ("InitialReplicationInProgress", "InitialReplicationRecoveryCompletionPending",
                               "InitialReplicationStartInProgress")


# -- the replication model ------------------------------------------------------------------------

def replication(item):
    """The item's replication state: windows of data flow, initial replication, protected since."""
    return private(item).setdefault("replication", {"windows": [], "ir": None, "protected_since": None,
                                                    "stopped": None, "rp_floor": None})


def _flowing(repl):
    windows = repl["windows"]
    return bool(windows) and windows[-1][1] is None


def _set_flow(repl, flowing, when):
    """Open or close the current window of data flow at `when`; True when it changed."""
    if flowing and not _flowing(repl):
        repl["windows"].append([when, None])
        return True
    if not flowing and _flowing(repl):
        repl["windows"][-1][1] = max(when, repl["windows"][-1][0])
        return True
    return False


def _active_seconds(windows, start, end):
    total = 0.0
    for w_start, w_end in windows:
        lo, hi = max(start, w_start), min(end, w_end if w_end is not None else end)
        total += max(0.0, hi - lo)
    return total


def _reach_time(windows, start, amount):
    """The lab time at which the windows (from start) accumulate `amount` seconds, or None."""
    left = amount
    for w_start, w_end in windows:
        lo = max(start, w_start)
        if w_end is not None and w_end <= lo:
            continue
        span = (w_end - lo) if w_end is not None else math.inf
        if span >= left:
            return lo + left
        left -= span
    return None


def _vault(item):
    return common.vault_id_of(item["id"])


def _details(item):
    return item["properties"].get("providerSpecificDetails") or {}


def _instance_type(item):
    return _details(item).get("instanceType", "")


def _should_flow(ctx, item):
    repl = replication(item)
    if repl["ir"] is None or repl["stopped"] is not None:
        return False
    if _instance_type(item) != "InMageRcm":
        return True                       # failback: the Azure VM is the source
    machine = fabric.machine_for_item(ctx, item)
    if machine is None or machine["properties"].get("isDeleted") or machine["properties"].get("powerStatus") != "ON":
        return False
    return fabric.agent_for_machine(ctx, _vault(item), machine) is not None


def save(ctx, item):
    ctx.put(item["id"], item)
    live = [i for i in common.meta_get(ctx, LIVE_KEY, []) if not common.same_id(i, item["id"])]
    repl = replication(item)
    if repl["ir"] is not None and repl["protected_since"] is None:
        live.append(item["id"])
    common.meta_set(ctx, LIVE_KEY, live)


def start_initial_replication(ctx, item, when, state="InitialReplicationInProgress"):
    """Start (or restart: reprotect) initial replication of the item's protected disks at `when`."""
    cfg_base = common.duration(ctx, "initial_replication_base")
    per_gb = common.duration(ctx, "initial_replication_per_gb")
    disks = {}
    for disk in _details(item).get("protectedDisks") or []:
        size = int(disk.get("capacityInBytes") or 0)
        disks[disk["diskId"].lower()] = {"bytes": size, "seconds": cfg_base + per_gb * size / 1024 ** 3}
    repl = replication(item)
    repl.update({"windows": [], "ir": {"start": when, "disks": disks}, "protected_since": None, "stopped": None,
                 "rp_floor": when, "extra_points": []})
    _set_flow(repl, _should_flow(ctx, item), when)
    set_state(item, state)
    save(ctx, item)
    return item


def _ir_end(repl):
    ir = repl["ir"]
    if ir is None:
        return None
    longest = max([d["seconds"] for d in ir["disks"].values()] or [0.0])
    return _reach_time(repl["windows"], ir["start"], longest)


def refresh(ctx, item):
    """Bring the item's state up to now: initial replication -> (InMageRcm: waiting for the first recovery point,
    InitialReplicationRecoveryCompletionPending, for `asr.durations.initial_replication_completion`) -> Protected.
    Saves when it changed."""
    repl = replication(item)
    if repl["ir"] is None or repl["protected_since"] is not None:
        return item
    copied = _ir_end(repl)
    now = common.now_epoch(ctx)
    if copied is None or copied > now:
        return item
    replicating = item["properties"].get("protectionState") in _INITIAL_REPLICATION_STATES
    end = copied
    if _instance_type(item) == "InMageRcm":
        end = copied + common.duration(ctx, "initial_replication_completion")
        if end > now:
            if replicating and item["properties"]["protectionState"] != "InitialReplicationRecoveryCompletionPending":
                set_state(item, "InitialReplicationRecoveryCompletionPending")
                save(ctx, item)
            return item
    repl["protected_since"] = end
    if replicating:
        set_state(item, "Protected")
    save(ctx, item)
    _health_event(ctx, item, replication_status(ctx, item))
    return ctx.get(item["id"])


def stop_replication(ctx, item, when):
    """Failover: data stops flowing at `when` (recovery points up to then stay until commit)."""
    repl = replication(item)
    _set_flow(repl, False, when)
    repl["stopped"] = when
    return item


def resume_replication(ctx, item, when):
    """Cancel failover: replication resumes at `when` (when the source can send data)."""
    repl = replication(item)
    repl["stopped"] = None
    _set_flow(repl, _should_flow(ctx, item), when)
    return item


def clear_recovery_points(ctx, item, when):
    """Commit: the item's recovery points are gone."""
    now = common.now_epoch(ctx)
    replication(item)["rp_floor"] = max(now if when is None else when, now) + 1
    return item


def switch_provider(item, details):
    """Replace providerSpecificDetails (reprotect), keeping the old ones by instanceType."""
    old = copy.deepcopy(_details(item))
    if old.get("instanceType"):
        private(item).setdefault("details_by_provider", {})[old["instanceType"]] = old
    item["properties"]["providerSpecificDetails"] = details
    return item


# -- recovery points --------------------------------------------------------------------------------

def _policy(ctx, item):
    return ctx.get(item["properties"].get("policyId") or "")


def _points_policy(ctx, item):
    """The policy whose frequencies make the item's recovery points: the failback policy of the reprotect
    (InMageRcmFailback: lastUsedPolicyId), else the item's policy."""
    if _instance_type(item) == "InMageRcmFailback":
        return ctx.get(_details(item).get("lastUsedPolicyId") or "")
    return _policy(ctx, item)


def add_recovery_point(item, when, kind, salt):
    """A recovery point an action makes at `when` (the failback's latest changes): listed and gettable
    with the item's other points, until a commit (clear_recovery_points) or a new initial replication."""
    name = common.stable_guid(item["id"], salt, int(when))
    point = {"id": "%s/recoveryPoints/%s" % (item["id"], name), "name": name, "time": common.to_iso(when),
             "epoch": when, "type": kind}
    extra = [p for p in replication(item).setdefault("extra_points", []) if p["name"] != name]
    replication(item)["extra_points"] = extra + [point]
    return dict(point)


def _point_times(ctx, item, now=None):
    """[(lab time, point)] of the item's recovery points, newest first, `point` being the type of a scheduled one
    (materialized by _point) or the dict of an extra one; and the provider (None: no points)."""
    repl = replication(item)
    provider = _instance_type(item)
    if provider not in ("InMageRcm", "InMageRcmFailback"):
        return [], None
    now = common.now_epoch(ctx) if now is None else now
    crash, app, history = policies.frequencies(ctx, _points_policy(ctx, item))
    keep = max(history, crash) * 60.0
    floor = max(now - keep, repl.get("rp_floor") or 0.0)
    times = {}
    if repl["protected_since"] is not None:
        floor = max(floor, repl["protected_since"])
        anchor = repl["protected_since"]
        for minutes, kind in ((crash, "CrashConsistent"), (app, "ApplicationConsistent")):
            if not minutes:
                continue
            step = minutes * 60.0
            for w_start, w_end in repl["windows"]:
                lo, hi = max(floor, w_start), min(now, w_end if w_end is not None else now)
                k = math.ceil((lo - anchor) / step)
                while anchor + k * step <= hi:
                    times[anchor + k * step] = kind      # app-consistent wins a shared instant
                    k += 1
    for point in repl.get("extra_points") or []:
        if floor <= point["epoch"] <= now:
            times[point["epoch"]] = point
    return [(when, times[when]) for when in sorted(times, reverse=True)], provider


def _point(item, provider, when, point):
    """One recovery point of _point_times as recovery_points lists it."""
    if isinstance(point, dict):
        return dict(point, provider=provider, multi_vm=False)
    name = common.stable_guid(item["id"], "rp", int(when))
    multi = bool(_details(item).get("multiVmGroupName")) and provider == "InMageRcm"
    return {"name": name, "id": "%s/recoveryPoints/%s" % (item["id"], name), "time": common.to_iso(when),
            "epoch": when, "type": point, "provider": provider, "multi_vm": multi and point == "ApplicationConsistent"}


def recovery_points(ctx, item, now=None):
    """The item's recovery points, newest first: [{"name", "id", "time", "type", "provider"}] (InMageRcm:
    to Azure; InMageRcmFailback: to on-premises, from the Azure VM, with the failback policy)."""
    times, provider = _point_times(ctx, item, now)
    return [_point(item, provider, when, point) for when, point in times]


def find_recovery_point(ctx, item, value):
    """A recovery point of the item by id or name, or None."""
    key = str(value or "").rstrip("/").rsplit("/", 1)[-1].lower()
    return next((p for p in recovery_points(ctx, item) if p["name"].lower() == key), None)


def latest_recovery_point(ctx, item, kind=None):
    """The newest recovery point (of a type: CrashConsistent / ApplicationConsistent), or None. Only that one is
    made (every render of an item asks for it: naming a day of points cost a list of 300 items seconds)."""
    times, provider = _point_times(ctx, item)
    for when, point in times:
        if kind is None or (point["type"] if isinstance(point, dict) else point) == kind:
            return _point(item, provider, when, point)
    return None


def render_recovery_point(point):
    """A RecoveryPoint. The SDK has provider details for InMageRcm points only (InMageRcmRecoveryPointDetails;
    none for InMageRcmFailback): failback points carry none."""
    props = {"recoveryPointTime": point["time"], "recoveryPointType": point["type"]}
    if point.get("provider", "InMageRcm") == "InMageRcm":
        props["providerSpecificDetails"] = {"instanceType": "InMageRcm",
                                            "isMultiVmSyncPoint": "true" if point.get("multi_vm") else "false"}
    return {"id": common.asr_id(point["id"]), "name": point["name"], "type": RECOVERY_POINT, "properties": props}


# -- status, health, allowed operations -------------------------------------------------------------

def _ir_status(ctx, repl, now):
    ir = repl["ir"]
    if ir is None:
        return None
    fractions, processed, total = {}, 0, 0
    active = _active_seconds(repl["windows"], ir["start"], now)
    for disk_id, disk in ir["disks"].items():
        fraction = min(1.0, active / disk["seconds"]) if disk["seconds"] else 1.0
        fractions[disk_id] = fraction
        processed += int(disk["bytes"] * fraction)
        total += disk["bytes"]
    complete = repl["protected_since"] is not None
    flowing = _flowing(repl)
    last = now if flowing else (repl["windows"][-1][1] if repl["windows"] else ir["start"])
    return {"complete": complete, "percentage": 100 if complete else int(100 * processed / total) if total else 0,
            "processed": processed, "health": "InProgress" if flowing else "NoProgress", "disks": fractions,
            "start": common.to_iso(ir["start"]), "refreshed": common.to_iso(now),
            "last_transfer": common.to_iso(last), "rate_15m": 0.0 if not flowing else 0.01}


def _rpo(ctx, repl, now):
    if repl["protected_since"] is None:
        return None, None
    steady = int(common.setting(ctx, "rpo", "steady_seconds"))
    at = repl["stopped"] if repl["stopped"] is not None else now
    if _flowing(repl) or not repl["windows"]:
        rpo = steady
    else:
        rpo = steady + int(max(0.0, at - repl["windows"][-1][1]))
    return rpo, common.to_iso(at - (at % 60))


def replication_status(ctx, item):
    """What the providers render: initial replication, RPO, last recovery point, agent, machine."""
    now = common.now_epoch(ctx)
    repl = replication(item)
    machine = fabric.machine_for_item(ctx, item)
    agent = fabric.agent_for_machine(ctx, _vault(item), machine) if machine is not None else None
    rpo, rpo_time = _rpo(ctx, repl, now)
    if agent is None:
        heartbeat = None
    elif _flowing(repl) or (machine and machine["properties"].get("powerStatus") == "ON" and repl["ir"] is None):
        heartbeat = common.to_iso(now - 30)
    else:
        heartbeat = common.to_iso(repl["windows"][-1][1]) if repl["windows"] else agent.get("lastHeartbeat")
    return {"initial_replication": _ir_status(ctx, repl, now), "protected": repl["protected_since"] is not None,
            "last_point": latest_recovery_point(ctx, item), "rpo": rpo, "rpo_time": rpo_time,
            "agent": agent, "agent_heartbeat": heartbeat, "machine": machine, "flowing": _flowing(repl)}


def health_error(item, code, level, category, message, causes, action, when, resolvable="NotAllowed"):
    return {"innerHealthErrors": [], "errorSource": "ReplicationUnit", "errorType": code, "errorLevel": level,
            "errorCategory": category, "errorCode": code, "summaryMessage": message, "errorMessage": message,
            "possibleCauses": causes, "recommendedAction": action, "creationTimeUtc": common.to_iso(when),
            "recoveryProviderErrorMessage": None, "entityId": _details(item).get("internalIdentifier"),
            "errorId": "%s:%s" % (code, common.stable_guid(item["id"], code)[:8]), "customerResolvability": resolvable}


def health_errors(ctx, item, status):
    """The item's current HealthError list (ASR-like conditions; plus `_lab.health_errors`)."""
    out = []
    props = item["properties"]
    repl = replication(item)
    name = props.get("friendlyName")
    now = common.now_epoch(ctx)
    machine = status["machine"]
    replicating = repl["ir"] is not None and repl["stopped"] is None and _instance_type(item) == "InMageRcm"
    if replicating and machine is not None and machine["properties"].get("isDeleted"):
        out.append(health_error(item, errors.MACHINE_DELETED, "Error", "Replication",
                                "The source machine '%s' was deleted from the vCenter server." % name,
                                "The virtual machine no longer exists in the vCenter inventory.",
                                "Disable replication of the item.", now))
    elif replicating and status["agent"] is None:
        out.append(health_error(item, errors.AGENT_NO_HEARTBEAT, "Error", "Replication",
                                "The Mobility service on '%s' isn't registered with the appliance." % name,
                                "The Mobility service was uninstalled or unregistered.",
                                "Reinstall or re-register the Mobility service on the source machine.", now))
    ir = status["initial_replication"]
    if replicating and ir is not None and not ir["complete"] and not status["flowing"]:
        out.append(health_error(item, errors.INITIAL_REPLICATION_STALLED, "Warning", "Replication",
                                "Initial replication of '%s' is not progressing." % name,
                                "The source machine is powered off or its agent can't send data.",
                                "Power on the source machine and check the Mobility service.", now))
    warning, critical_after = common.setting(ctx, "rpo", "warning_seconds"), common.setting(ctx, "rpo", "critical_seconds")
    if replicating and status["rpo"] is not None and status["rpo"] > warning:
        critical = status["rpo"] > critical_after
        out.append(health_error(item, errors.RPO_THRESHOLD_EXCEEDED, "Error" if critical else "Warning",
                                "Replication", "The RPO of '%s' is %d minutes, over the %d minutes threshold." % (
                                    name, status["rpo"] // 60, (critical_after if critical else warning) // 60),
                                "The source machine is powered off, or it can't send data to the appliance.",
                                "Check the source machine, its network and the replication appliance.",
                                now - status["rpo"] + warning))
    if status["protected"] and props.get("activeLocation") == "Primary" and \
            not props.get("lastSuccessfulTestFailoverTime") and _instance_type(item) == "InMageRcm":
        out.append(health_error(item, errors.NO_TEST_FAILOVER, "Warning", "TestFailover",
                                "No successful test failover has been done on the virtual machine '%s'." % name,
                                "No successful test failover has been done on the virtual machine after it was "
                                "replicated.", "Do a test failover on the virtual machine.",
                                repl["protected_since"]))
    out.extend(copy.deepcopy(private(item).get("health_errors") or []))
    return out


def _worst(errs):
    levels = [e.get("errorLevel") for e in errs]
    if "Error" in levels or "Critical" in levels:
        return "Critical"
    return "Warning" if levels else "Normal"


def health(ctx, item, status):
    """(replicationHealth, failoverHealth, healthErrors)."""
    errs = health_errors(ctx, item, status)
    return (_worst([e for e in errs if e["errorCategory"] != "TestFailover"]),
            _worst([e for e in errs if e["errorCategory"] == "TestFailover"]), errs)


def allowed_operations(item, ctx=None):
    """allowedOperations of the item (vocabulary.operations: its provider, activeLocation, protectionState and
    testFailoverState; none while a job runs on it, when `ctx` is given to see that)."""
    props = item["properties"]
    running = ctx is not None and jobs.active_job(ctx, item["id"]) is not None
    return vocabulary.operations(_instance_type(item), props.get("activeLocation") or "Primary",
                                 props.get("protectionState") or "", props.get("testFailoverState") or "None",
                                 _details(item), running=running)


def provider_operations(instance_type):
    """Every operation the vocabulary allows a provider in some state (what it supports at all)."""
    return vocabulary.provider_operations(instance_type)


def render_item(ctx, stored):
    out = common.public(stored)
    out["id"] = common.asr_id(out["id"])
    props = out["properties"]
    status = replication_status(ctx, stored)
    provider = providers.of_item(stored)
    props["providerSpecificDetails"] = provider.render_details(ctx, stored, status)
    props["allowedOperations"] = allowed_operations(stored, ctx)
    props["replicationHealth"], props["failoverHealth"], props["healthErrors"] = health(ctx, stored, status)
    props["currentScenario"] = jobs.current_scenario(ctx, stored["id"], _vault(stored))
    for key in ("policyId", "recoveryServicesProviderId", "recoveryContainerId", "failoverRecoveryPointId"):
        if props.get(key):
            props[key] = common.asr_id(props[key])
    return out


def render_listed(ctx, stored):
    """An item as a list shows it: its disks, NICs and agent upgrade blockers empty [recorded: a GET of the item
    fills them; vocabulary WORDS item_list_empty]."""
    out = render_item(ctx, stored)
    details = out["properties"].get("providerSpecificDetails") or {}
    for key in vocabulary.WORDS["item_list_empty"].value:
        if key in details:
            details[key] = []
    return out


class ReplicationProtectedItem(ResourceType):
    full_type = ITEM
    parent_type = common.CONTAINER
    tracked = False
    list_at_subscription = False

    def prepare_put(self, ctx, rid, body, existing):   # PUT is a ROUTE (job-backed)
        raise errors.invalid_input("unexpected PUT")

    def render(self, ctx, stored):
        return render_item(ctx, stored)

    def render_list(self, ctx, stored):
        return render_listed(ctx, stored)


# -- health events ----------------------------------------------------------------------------------

def _health_event(ctx, item, status):
    state, _failover, errs = health(ctx, item, status)
    lab = private(item)
    if lab.get("last_health", "Normal") == state:
        return
    lab["last_health"] = state
    ctx.put(item["id"], item)
    worst = next((e for e in errs if e["errorCategory"] != "TestFailover"), None)
    details = _details(item)
    jobs.emit_event(ctx, _vault(item), code=worst["errorCode"] if worst else "ReplicationHealthNormal",
                    description=worst["errorMessage"] if worst else "The replication health of '%s' is Normal." % (
                        item["properties"].get("friendlyName")),
                    event_type="VmHealth", severity={"Normal": "Info", "Warning": "Warning"}.get(state, "Critical"),
                    affected_name=item["properties"].get("friendlyName"),
                    correlation_id=details.get("internalIdentifier", ""), fabric_id=lab.get("fabric", ""),
                    provider_details={"instanceType": details.get("instanceType", "InMageRcm"),
                                      "protectedItemName": item["name"],
                                      "vmName": item["properties"].get("friendlyName"),
                                      "applianceName": details.get("processServerName", ""),
                                      "serverType": "ProtectedItem", "componentDisplayName": "Replication"},
                    health_errors=[e for e in errs if e["errorCategory"] != "TestFailover"])


def _on_discovery(ctx, vault, when, item_ids=None):
    """After a discovery sync (of the vault's items, or of `item_ids` alone): data flows (or stops) as the source
    machines are on (or off)."""
    if item_ids is None:
        found = common.list_in_vault(ctx, ITEM, vault)
    else:
        found = [item for item in (ctx.get(i) for i in item_ids) if item is not None]
    for item in found:
        repl = replication(item)
        if repl["ir"] is None:
            continue
        changed = _set_flow(repl, _should_flow(ctx, item), when)
        if changed:
            save(ctx, item)
        item = refresh(ctx, ctx.get(item["id"]))
        _health_event(ctx, item, replication_status(ctx, item))


def advance(ctx):
    """Initial replications that completed by now (called before every ASR request)."""
    for item_id in list(common.meta_get(ctx, LIVE_KEY, [])):
        item = ctx.get(item_id)
        if item is None:
            common.meta_set(ctx, LIVE_KEY, [i for i in common.meta_get(ctx, LIVE_KEY, [])
                                            if not common.same_id(i, item_id)])
            continue
        refresh(ctx, item)


# -- lookups used by the vault's health (health.py) -------------------------------------------------

def health_summary(ctx, vault):
    """`protectedItemsHealth` of the vault health: issues grouped by health error code."""
    items = common.list_in_vault(ctx, ITEM, vault)
    issues = {}
    for item in items:
        _state, _failover, errs = health(ctx, item, replication_status(ctx, item))
        for err in errs:
            entry = issues.setdefault(err["errorCode"], {
                "summaryCode": err["errorCode"], "category": err["errorCategory"],
                "severity": "Error" if err["errorLevel"] in ("Error", "Critical") else "Warning",
                "summaryMessage": err["summaryMessage"], "affectedResourceType": "replicationProtectedItems",
                "affectedResourceSubtype": "", "affectedResourceCorrelationIds": []})
            entry["affectedResourceCorrelationIds"].append(_details(item).get("internalIdentifier"))
    return {"resourceCount": len(items), "issues": list(issues.values())}


# -- request handling -----------------------------------------------------------------------------

def _ids(ctx, match):
    vault = common.require_vault(ctx, match)
    fabric_id = "%s/replicationFabrics/%s" % (vault, match.group("fabric"))
    container_id = "%s/replicationProtectionContainers/%s" % (fabric_id, match.group("container"))
    item_id = "%s/replicationProtectedItems/%s" % (container_id, match.group("item")) if "item" in \
        match.re.groupindex else None
    return vault, fabric_id, container_id, item_id


def existing_item(ctx, match):
    """(vault id, the item brought up to now) of a ROUTES match on ITEM_PATH, or the ASR 404."""
    vault, _fabric, _container, item_id = _ids(ctx, match)
    item = ctx.get(item_id)
    if item is None:
        raise errors.not_found("replicated item", match.group("item"))
    return vault, refresh(ctx, item)


def _enable(ctx, match, query, body):
    vault, fabric_id, container_id, item_id = _ids(ctx, match)
    fabric_body, container = ctx.get(fabric_id), ctx.get(container_id)
    if fabric_body is None:
        raise errors.not_found("fabric", match.group("fabric"))
    if container is None:
        raise errors.not_found("protection container", match.group("container"))
    name = match.group("item")
    jobs.ensure_idle(ctx, item_id, name)
    if ctx.get(item_id) is not None:
        raise errors.already_exists("replicated item", name)
    props = (body or {}).get("properties")
    if not isinstance(props, dict):
        raise errors.missing_input("properties")
    inp = props.get("providerSpecificDetails")
    if not isinstance(inp, dict):
        raise errors.missing_input("properties.providerSpecificDetails")
    provider = providers.get(inp.get("instanceType"))
    if provider.instance_type != "InMageRcm":
        if provider.simulated:
            raise errors.invalid_input("Replication is enabled with the InMageRcm provider; %s is the failback "
                                       "direction (reprotect)." % provider.instance_type)
        raise errors.provider_not_simulated(provider.instance_type)
    policy = _enable_policy(ctx, vault, container, props.get("policyId"))
    env = providers.Enablement(vault, ctx.get(vault), fabric_body, fabric.site_of(ctx, fabric_body), container,
                               item_id, name, policy)
    details, extra = provider.validate_enable(ctx, env, inp)
    machine = extra["machine"]
    for other in common.list_in_vault(ctx, ITEM, vault):
        if common.same_id(_details(other).get("fabricDiscoveryMachineId"), machine["id"]):
            raise errors.already_exists("replicated item of machine '%s'" % machine["properties"]["displayName"],
                                        other["name"])
    item = _new_item(ctx, vault, fabric_body, container, item_id, name, policy, details, machine)
    private(item)["disk_uuids"] = extra.get("disk_uuids") or {}
    save(ctx, item)
    words = vocabulary.job("enable")
    job = jobs.start_job(ctx, vault, scenario=words.scenario, friendly_name=words.friendly, target_id=item_id,
                         target_name=item["properties"]["friendlyName"], target_type="ProtectionEntity",
                         tasks=_enable_tasks(ctx, extra["push_install"]), on_failure="asr.item.enable_failed",
                         on_restart="asr.item.enable_restarted", fabric_id=fabric_body["id"],
                         custom_details=_affected(item, policy))
    return jobs.lro_response(ctx, job, item_id)


def _enable_policy(ctx, vault, container, policy_id):
    if not policy_id:
        raise errors.missing_input("properties.policyId")
    policy = ctx.get(policy_id)
    if policy is None or not common.under(policy_id, vault):
        raise errors.not_found("replication policy", policy_id, status=400)
    if policy["properties"]["providerSpecificDetails"]["instanceType"] != "InMageRcm":
        raise errors.invalid_input("The policy '%s' is an %s policy; replication to Azure needs an InMageRcm "
                                   "policy." % (policy["name"], policy["properties"]["providerSpecificDetails"][
                                       "instanceType"]))
    if policies.mapping_for(ctx, container["id"], policy["id"]) is None:
        raise errors.policy_not_associated(policy["name"], container["name"])
    return policy


def _new_item(ctx, vault, fabric_body, container, item_id, name, policy, details, machine):
    appliance = fabric.appliance_by_process_server(fabric_body, details["processServerId"])
    provider_id = "%s/replicationRecoveryServicesProviders/%s" % (fabric_body["id"], appliance["ids"]["dra"])
    location = details["targetLocation"]
    return {"id": item_id, "name": name, "type": ITEM, "properties": {
        "friendlyName": machine["properties"]["displayName"], "protectedItemType": "",
        "protectableItemId": None, "recoveryServicesProviderId": provider_id,
        "primaryFabricFriendlyName": fabric_body["properties"].get("friendlyName", fabric_body["name"]),
        "primaryFabricProvider": fabric.FABRIC_PROVIDER, "recoveryFabricFriendlyName": AZURE_FABRIC,
        "recoveryFabricId": AZURE_FABRIC,
        "primaryProtectionContainerFriendlyName": container["properties"].get("friendlyName", container["name"]),
        "recoveryProtectionContainerFriendlyName": AZURE_FABRIC,
        "protectionState": "UnprotectedStatesBegin", "protectionStateDescription": vocabulary.description(
            "InMageRcm", "Primary", "UnprotectedStatesBegin"), "activeLocation": "Primary", "testFailoverState": "None",
        "testFailoverStateDescription": "None", "switchProviderState": "None",
        "switchProviderStateDescription": None, "policyId": policy["id"], "policyFriendlyName": policy["name"],
        "lastSuccessfulFailoverTime": None, "lastSuccessfulTestFailoverTime": None, "failoverRecoveryPointId": None,
        "providerSpecificDetails": details,
        "recoveryContainerId": "%s/replicationFabrics/%s/replicationProtectionContainers/%s" % (
            vault, common.stable_guid(vault, "azure-fabric", location), common.stable_guid(vault, "azure-container")),
        "eventCorrelationId": common.stable_guid(item_id, "events")},
        common.PRIVATE: {"machine": machine["id"], "fabric": fabric_body["id"], "container": container["id"]}}


def job_details(ctx, item):
    """An item job's customDetails (AsrJobDetails with the item and its policy)."""
    return _affected(item, _policy(ctx, item))


def _affected(item, policy):
    return {"instanceType": "AsrJobDetails", "affectedObjectDetails": {
        "PrimaryVmId": _details(item).get("internalIdentifier", ""), "PrimaryVmName": item["properties"]["friendlyName"],
        "RecoveryVmName": _details(item).get("targetVmName", ""), "ProtectionProfileId": policy["name"] if policy else "",
        "PrimaryFabricProviderId": "InMageRcm", "RecoveryFabricProviderId": "Azure"}}


def _enable_tasks(ctx, push_install):
    """The enable job's tasks [recorded names, vocabulary.JOBS["enable"]]. The Mobility service is pushed (or the
    registered agent checked) in EnableProtection, whose end shows InitialReplicationStartInProgress [recorded
    state]; UpdateDraState starts the initial replication (InitialReplicationInProgress once the job ended)."""
    total = common.duration(ctx, "enable")
    names = vocabulary.job("enable").tasks
    agent = (common.duration(ctx, "push_install"), "asr.item.push_install") if push_install else \
        (total * 0.05, "asr.item.check_agent")
    return [jobs.Task(names[0], "Prerequisites check for enabling protection", total * 0.15,
                      callback="asr.item.prerequisites", stage=0),
            jobs.Task(names[1], "Identifying replication target", total * 0.15, stage=1),
            jobs.Task(names[2], "Installing Mobility Service" if push_install else "Enable replication",
                      agent[0] + total * 0.40, callback=agent[1], stage=2),
            jobs.Task(names[3], "Starting initial replication", total * 0.20, callback="asr.item.start_ir", stage=3),
            jobs.Task(names[4], "Updating the provider states", total * 0.05, callback="asr.item.replicating",
                      stage=4)]


def _job_item(ctx, job):
    return ctx.get(private(job)["target"] or "")


def _cb_prerequisites(ctx, job, task):
    item = _job_item(ctx, job)
    if item is None:
        raise errors.not_found("replicated item", private(job)["target_name"])
    machine = fabric.machine_for_item(ctx, item)
    reasons = providers.prerequisite_errors(machine) if machine else ["the machine is no longer discovered"]
    if reasons:
        raise errors.prerequisites_failed(item["properties"]["friendlyName"], reasons)


def _cb_push_install(ctx, job, task):
    item = _job_item(ctx, job)
    machine = fabric.machine_for_item(ctx, item) if item else None
    if machine is None or machine["properties"].get("powerStatus") != "ON":
        name = machine["properties"]["displayName"] if machine else private(job)["target_name"]
        raise errors.asr_error(400, errors.PUSH_INSTALL_UNREACHABLE,
                               "Installation of the Mobility service on '%s' failed: the machine isn't "
                               "reachable." % name, "The source machine is powered off or not reachable from the "
                               "replication appliance.", "Power on the machine, check the network between the "
                               "appliance and the machine, and retry (restart the job).")
    agent_version = common.appliance_setting(ctx, "agent_version")
    when = common.to_iso(jobs.task_end(task))
    props = machine["properties"]
    fabric.put_agent(ctx, _vault(item), {
        "biosId": props["biosGuid"], "fqdn": props.get("vmFqdn") or props["displayName"], "agentVersion": agent_version,
        "machineId": common.stable_guid("agent", props["biosGuid"]), "osName": (props.get(
            "operatingSystemDetails") or {}).get("osName", ""), "csType": "CSPrime", "source": "PushInstall",
        "registeredAt": when, "lastHeartbeat": when})
    _replication_starting(ctx, job)


def _cb_check_agent(ctx, job, task):
    item = _job_item(ctx, job)
    machine = fabric.machine_for_item(ctx, item) if item else None
    if machine is None or fabric.agent_for_machine(ctx, _vault(item), machine) is None:
        raise errors.mobility_service_not_installed(private(job)["target_name"])
    _replication_starting(ctx, job)


def _replication_starting(ctx, job):
    item = _job_item(ctx, job)
    if item is not None and item["properties"]["protectionState"] == "UnprotectedStatesBegin":
        set_state(item, "InitialReplicationStartInProgress")
        save(ctx, item)


def _cb_start_ir(ctx, job, task):
    item = _job_item(ctx, job)
    if item is None:
        raise errors.not_found("replicated item", private(job)["target_name"])
    start_initial_replication(ctx, item, jobs.task_end(task), state="InitialReplicationStartInProgress")


def _cb_replicating(ctx, job, task):
    item = _job_item(ctx, job)
    if item is not None and item["properties"]["protectionState"] == "InitialReplicationStartInProgress":
        set_state(item, "InitialReplicationInProgress")
        save(ctx, item)


def _cb_enable_failed(ctx, job, task):
    item = _job_item(ctx, job)
    if item is not None and item["properties"]["protectionState"] in ("UnprotectedStatesBegin",
                                                                      "InitialReplicationStartInProgress"):
        replication(item)["ir"] = None
        set_state(item, "EnablingFailed")
        save(ctx, item)


def _cb_enable_restarted(ctx, job, task):
    item = _job_item(ctx, job)
    if item is not None and item["properties"]["protectionState"] == "EnablingFailed":
        set_state(item, "UnprotectedStatesBegin")
        save(ctx, item)


def _cb_update(ctx, job, task):
    item = _job_item(ctx, job)
    if item is None:
        raise errors.not_found("replicated item", private(job)["target_name"])
    item["properties"]["providerSpecificDetails"] = task["args"]["details"]
    save(ctx, item)


def _cb_delete(ctx, job, task):
    """The item is gone: with it what Site Recovery made for a test failover still there (purge)."""
    target = private(job)["target"]
    item = ctx.get(target)
    if item is not None:
        drill = (private(item).get("actions") or {}).get("test_failover") or {}
        effects.delete_azure_resources(ctx, drill.get("created"))
        ctx.delete(target)
    common.meta_set(ctx, LIVE_KEY, [i for i in common.meta_get(ctx, LIVE_KEY, []) if not common.same_id(i, target)])


#: the job task callbacks and job hooks of this module (keys stored with the jobs; installed by registry.py)
CALLBACKS = {"asr.item.prerequisites": _cb_prerequisites, "asr.item.push_install": _cb_push_install,
             "asr.item.check_agent": _cb_check_agent, "asr.item.start_ir": _cb_start_ir,
             "asr.item.replicating": _cb_replicating, "asr.item.enable_failed": _cb_enable_failed,
             "asr.item.enable_restarted": _cb_enable_restarted, "asr.item.update": _cb_update,
             "asr.item.delete": _cb_delete}


def _update(ctx, match, query, body):
    vault, item = existing_item(ctx, match)
    jobs.ensure_idle(ctx, item["id"], item["properties"]["friendlyName"])
    props = (body or {}).get("properties")
    if not isinstance(props, dict):
        raise errors.missing_input("properties")
    provider = providers.of_item(item)
    if provider.instance_type != "InMageRcm" or item["properties"].get("activeLocation") != "Primary":
        raise errors.operation_not_allowed("UpdateVmProperties", item["properties"]["friendlyName"],
                                           allowed_operations(item))
    if item["properties"]["protectionState"] in ("DisablingProtection", "EnablingFailed"):
        raise errors.operation_not_allowed("UpdateVmProperties", item["properties"]["friendlyName"],
                                           allowed_operations(item))
    details = provider.validate_update(ctx, item, props)
    words = vocabulary.job("update")
    job = jobs.start_job(ctx, vault, scenario=words.scenario, friendly_name=words.friendly,
                         target_id=item["id"], target_name=item["properties"]["friendlyName"],
                         target_type="ProtectionEntity", fabric_id=private(item).get("fabric"),
                         tasks=[jobs.Task(words.tasks[0], "Update the virtual machine properties",
                                          common.duration(ctx, "update"), callback="asr.item.update",
                                          args={"details": details})])
    return jobs.lro_response(ctx, job, item["id"])


def _disable(ctx, match, query, body):
    """Disable replication (`/remove`). A test failover waiting for its cleanup refuses it (ASR allows only
    TestFailoverCleanup then [S: ReplicationProtectedItems_TestFailover]: the test VM would be orphaned);
    an uncommitted failover allows it [S: _UnplannedFailover]: the failed-over VM stays in Azure as the
    workload [D: disabling replication does not delete failed-over VMs]."""
    vault, item = existing_item(ctx, match)
    name = item["properties"]["friendlyName"]
    jobs.ensure_idle(ctx, item["id"], name)
    if item["properties"].get("testFailoverState") == "WaitingForCompletion":
        raise errors.test_failover_pending(name)
    if "DisableProtection" not in allowed_operations(item):
        raise errors.operation_not_allowed("DisableProtection", name, allowed_operations(item))
    props = (body or {}).get("properties") or {}
    if props.get("disableProtectionReason") is not None:
        common.choose(props["disableProtectionReason"], ("NotSpecified", "MigrationComplete"),
                      "disableProtectionReason")
    set_state(item, "DisablingProtection")
    stop_replication(ctx, item, common.now_epoch(ctx))
    save(ctx, item)
    half = common.duration(ctx, "disable") / 2.0
    words = vocabulary.job("disable")
    job = jobs.start_job(ctx, vault, scenario=words.scenario, friendly_name=words.friendly, target_id=item["id"],
                         target_name=name, target_type="ProtectionEntity", fabric_id=private(item).get("fabric"),
                         tasks=[jobs.Task(words.tasks[0], "Disable replication", half),
                                jobs.Task(words.tasks[1], "Cleaning up the replicated item", half,
                                          callback="asr.item.delete", stage=1)])
    return jobs.lro_response(ctx, job, item["id"])


def _purge(ctx, match, query, body):
    """Purge (DELETE): forced. A running job of the item is cancelled (its failure hook cleans up what it
    made); a test failover's VM, NICs and disks are deleted with the item (nothing orphaned). A recovery
    plan job that includes the item refuses it (409): cancel the plan job first."""
    vault, _fabric, _container, item_id = _ids(ctx, match)
    item = ctx.get(item_id)
    if item is None:
        return 204, None
    running = jobs.active_job(ctx, item_id, own=True)
    if running is None:
        jobs.ensure_idle(ctx, item_id, item["properties"]["friendlyName"])
    else:
        jobs.cancel(ctx, ctx.get(running["id"]))       # its own copy: active_job's is read-only
    item = ctx.get(item_id)
    words = vocabulary.job("purge")
    job = jobs.start_job(ctx, vault, scenario=words.scenario, friendly_name=words.friendly,
                         target_id=item_id, target_name=item["properties"]["friendlyName"],
                         target_type="ProtectionEntity", fabric_id=private(item).get("fabric"),
                         tasks=[jobs.Task(words.tasks[0], "Purge the replicated item", common.duration(ctx, "purge"),
                                          callback="asr.item.delete")])
    return jobs.lro_response(ctx, job, item_id)


def _recovery_points(ctx, match, query, body):
    _vault_id, item = existing_item(ctx, match)
    if match.group("rp"):
        point = find_recovery_point(ctx, item, match.group("rp"))
        if point is None:
            raise errors.not_found("recovery point", match.group("rp"))
        return 200, render_recovery_point(point)
    return 200, Paged([render_recovery_point(p) for p in recovery_points(ctx, item)])


def _target_compute_sizes(ctx, match, query, body):
    _vault_id, item = existing_item(ctx, match)
    details = _details(item)
    location = details.get("targetLocation") or (ctx.get(_vault_id) or {}).get("location")
    nics = [n for n in details.get("vmNics") or [] if n.get("isSelectedForFailover") != "false"]
    data_disks = max(0, len(details.get("protectedDisks") or []) - 1)
    generation = details.get("targetGeneration") or "V1"
    out = []
    for size in catalog.sizes_in(location):
        problems = []
        if size.max_nics < len(nics):
            problems.append({"message": "The size supports %d NICs; the machine has %d." % (size.max_nics, len(nics)),
                             "severity": "Error"})
        if size.max_data_disks < data_disks:
            problems.append({"message": "The size supports %d data disks; the machine has %d." % (
                size.max_data_disks, data_disks), "severity": "Error"})
        if generation not in size.hyperv_generations:
            problems.append({"message": "The size doesn't support Hyper-V generation %s." % generation,
                             "severity": "Error"})
        out.append({"id": common.asr_id("%s/targetComputeSizes/%s" % (item["id"], size.name)), "name": size.name,
                    "type": TARGET_COMPUTE_SIZE, "properties": {
                        "name": size.name, "friendlyName": size.name, "cpuCoresCount": size.vcpus,
                        "vCPUsAvailable": size.vcpus, "memoryInGB": float(size.memory_gb),
                        "maxDataDiskCount": size.max_data_disks, "maxNicsCount": size.max_nics, "errors": problems,
                        "highIopsSupported": "Yes" if size.premium_io else "No",
                        "hyperVGenerations": size.hyperv_generations.split(",")}})
    return 200, Paged(out)


ITEM_FILTER_FIELDS = ("sourceFabricName", "sourceFabricLocation", "instanceType", "processServerId",
                      "recoveryPlanName", "multiVmGroupName", "vCenterName", "protectionState")


def _item_matches(ctx, item, clause):
    """Does a stored item match one `$filter` clause (recoveryPlanName: _items_in_vault, from the plan)?"""
    field, _op, value = clause
    details = _details(item)
    wanted = value.lower()
    if field == "sourceFabricName":
        return (private(item).get("fabric") or "").rsplit("/", 1)[-1].lower() == wanted
    if field == "sourceFabricLocation":
        return (ctx.get(_vault(item)) or {}).get("location", "").lower() == wanted.replace(" ", "")
    if field == "instanceType":
        return details.get("instanceType", "").lower() == wanted
    if field == "processServerId":
        return str(details.get("processServerId") or "").lower() == wanted
    if field == "multiVmGroupName":
        return str(details.get("multiVmGroupName") or "").lower() == wanted
    if field == "vCenterName":
        machine = fabric.machine_for_item(ctx, item)
        return bool(machine) and wanted in (str(machine["properties"].get("vCenterFQDN")).lower(),
                                            machine["properties"].get("vCenterId", "").rsplit("/", 1)[-1].lower())
    return str(item["properties"].get("protectionState") or "").lower() == wanted


def _plan_member_keys(ctx, vault, plan_name):
    plan = ctx.get("%s/replicationRecoveryPlans/%s" % (vault, plan_name))
    groups = ((plan or {}).get("properties") or {}).get("groups") or []
    return set(entry.get("id", "").lower() for group in groups for entry in group.get("replicationProtectedItems") or [])


def _items_in_vault(ctx, match, query, body):
    """The vault's items (in store order), filtered: a plan's members from the plan (read once), other clauses on
    the items' bodies. Without those, the list pages on ids and reads only the page's bodies (a 1,000-item vault
    read every body for each of its ten pages)."""
    vault = common.require_vault(ctx, match)
    clauses = jobs.parse_filter(query.get("$filter"), ITEM_FILTER_FIELDS)
    ids = common.ids_in_vault(ctx, ITEM, vault)
    for clause in [c for c in clauses if c[0] == "recoveryPlanName"]:
        members = _plan_member_keys(ctx, vault, clause[2])
        ids = [i for i in ids if i.lower() in members]
    rest = [c for c in clauses if c[0] != "recoveryPlanName"]
    if rest:
        items = [i for i in (ctx.get(x) for x in ids) if i is not None and all(_item_matches(ctx, i, c) for c in rest)]
        return 200, Paged(items, lambda item: render_listed(ctx, item))

    def render(stub):
        stored = ctx.get(stub["id"])
        return render_listed(ctx, stored) if stored is not None else None
    return 200, Paged([{"id": i} for i in ids], render)


for _handler in (_enable, _update, _disable, _purge, _items_in_vault):
    _handler.resource_type = ITEM
_recovery_points.resource_type = RECOVERY_POINT
_target_compute_sizes.resource_type = TARGET_COMPUTE_SIZE

#: called after every discovery sync of a vault's site (fabric.sync; installed by registry.py)
DISCOVERY_LISTENERS = (_on_discovery,)

RESOURCE_TYPES = [ReplicationProtectedItem]

ROUTES = [
    ("GET", VAULT_PATH + r"/replicationProtectedItems", _items_in_vault),
    ("PUT", ITEM_PATH, _enable),
    ("PATCH", ITEM_PATH, _update),
    ("DELETE", ITEM_PATH, _purge),
    ("POST", ITEM_PATH + r"/remove", _disable),
    ("GET", ITEM_PATH + r"/recoveryPoints(?:/(?P<rp>[^/]+))?", _recovery_points),
    ("GET", ITEM_PATH + r"/targetComputeSizes", _target_compute_sizes),
]
