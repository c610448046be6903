# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The decisions of the dr.asr.failback role (controller side, pure Python, no network): what its input needs, the
targets and each VM's phase, the steps each VM needs (each step for the VMs whose phase is not past it, so that a
rerun resumes where it stopped), the datastores of the reprotect, the calls of each step, where each VM is after
each step (from the modules' own results), the VMs that run in vCenter, and the summary.

The role keeps one fact, `__failback` (a dict, the state of the run), and hands it with each step's module results to
these filters; they return it advanced. Each filter is documented in a file of its name beside this one.
"""

from __future__ import annotations

from ansible_collections.dr.asr.plugins.filter.failover import (
    as_int, changed_vms, duration, early_starts, entry_name, input_problems, job_record, manual_action_message,
    merge_items, named_targets, plan_lines, plan_records, result_items, result_jobs, resumed_actions, split_commit, table,
    target_of, timed_out, timing, usable, view_of, where)

#: the order of the phases a failback goes through: each step runs for the VMs not past it (docs/dr-actions.md)
RANK = {
    "failed_over": 0,          # ASR reprotects before the commit too, and commits on its way [recorded]
    "committed": 0,
    "reprotecting": 1,
    "reprotected": 2,
    "failed_back": 3,
    "failback_committed": 4,
    "initial_replication": 5,
    "protected": 6,
}
#: the steps, the ranks each runs for, and how the summary names them
STEPS = (("reprotect_onprem", (0, 1)), ("failback", (0, 1, 2)), ("commit", (0, 1, 2, 3)),
         ("reprotect_azure", (0, 1, 2, 3, 4, 5)))
LABELS = {"reprotect_onprem": "reprotect to on-premises", "failback": "failback", "commit": "commit",
          "reprotect_azure": "reprotect to Azure"}
TITLES = {"reprotect_onprem": "the reprotect to on-premises (synchronization) of", "failback": "the failback of",
          "reprotect_azure": "the reprotect to Azure (initial replication) of"}
TIMEOUTS = {"reprotect_onprem": "failback_reprotect_timeout", "failback": "failback_timeout",
            "reprotect_azure": "failback_protection_timeout"}
#: what to do with a VM that cannot fail back, by phase
NEXT_STEP = {
    "test_failover": "Clean up the test failover first (dr.asr.test_failover state=absent); the VM has not failed over.",
    "failed": "Restart its failed job (dr.asr.job action=restart), or disable replication and enable it again.",
    "disabling": "Replication is being disabled; there is nothing to fail back.",
    "unknown": "Check the item (dr.asr.protected_item_info shows its state and allowed operations).",
}
#: the phases of a VM that runs on-premises again after a failback
ON_PREMISES = ("failed_back", "failback_committed", "initial_replication", "protected")
RECOVERY_POINT_TYPES = ("", "LatestCrashConsistent", "LatestApplicationConsistent")


def failback_input(values):
    """The run's state from the role's variables: input problems, the targets named, polling and round lengths."""
    values = dict(values or {})
    plans, vms = list(values.get("failback_recovery_plans") or []), list(values.get("failback_vms") or [])
    problems = []
    if not plans and not vms:
        problems.append("set failback_recovery_plans (recovery plans) and/or failback_vms (VM names): nothing to fail back")
    if (values.get("failback_recovery_point_type") or "") not in RECOVERY_POINT_TYPES:
        problems.append("failback_recovery_point_type must be empty, LatestCrashConsistent or LatestApplicationConsistent"
                        " (a failback synchronizes the latest changes)")
    timeouts = ("failback_reprotect_timeout", "failback_timeout", "failback_commit_timeout", "failback_protection_timeout")
    problems += input_problems(values, timeouts + ("failback_wait_round_seconds", "failback_wait_sleep"),
                               ("failback_recovery_plans", "failback_vms"))
    sleep, round_seconds = timing(values.get("failback_wait_sleep"), values.get("failback_wait_round_seconds"),
                                  [values.get(t) for t in ("failback_reprotect_timeout", "failback_timeout",
                                                           "failback_protection_timeout")])
    return dict(problems=problems, sleep=sleep, round=round_seconds, targets=named_targets(plans, vms), vms=[],
                items={}, before={}, steps=dict((s, []) for s, _r in STEPS), calls=dict((s, []) for s, _r in STEPS),
                early_start=[], done={},
                jobs={}, suspended={}, resumed=[], waited={}, committed=[], onprem=[], powered=[], power={},
                not_running={}, stopped_waiting=None, manual_action_message=None, resume_jobs=[], resume_vms=[],
                refusal=None, missing=None, datastore_refusal=None, plan_text=None, verify_text=None,
                not_running_message=None,
                check_mode=bool(values.get("check_mode")), commit=bool(values.get("failback_commit", True)),
                reprotect_to_azure=bool(values.get("failback_reprotect_to_azure", True)),
                resume=bool(values.get("failback_resume_manual_actions")))


def failback_targets(state, plans_result, vault_name=""):
    """The targets with their VMs from the vault's recovery plans (dr.asr.recovery_plan_info: each plan's groups in
    order), and the refusal of plans the vault does not have."""
    state = dict(state)
    plans = (plans_result or {}).get("recovery_plans") or [] if usable(plans_result) else []
    by_name = dict(((p.get("name") or "").lower(), p) for p in plans)
    targets, missing = [], []
    for target in state["targets"]:
        if target.get("plan"):
            plan = by_name.get(target["plan"].lower())
            if plan is None:
                missing.append(target["plan"])
                continue
            vms = []
            for group in plan.get("groups") or []:
                vms.extend(vm for vm in group.get("vms") or [] if vm not in vms)
            target = dict(target, key="plan:%s" % plan["name"], label="recovery plan %s" % plan["name"],
                          plan=plan["name"], vms=vms)
        targets.append(target)
    vms = []
    for target in targets:
        vms.extend(vm for vm in target["vms"] if vm not in vms)
    missing_text = None
    if missing:
        missing_text = "Vault %s has no recovery plan %s; it has: %s." % (
            vault_name, ", ".join(missing), ", ".join(p.get("name") for p in plans) or "none")
    state.update(targets=targets, vms=vms, missing=missing_text)
    return state


def failback_phases(state, items_result, vault_name=""):
    """Each VM's phase (one protected_item_info read), the VMs the vault does not replicate and the VMs that cannot
    fail back (refused with their state, allowed operations and what to do), and the steps each VM needs."""
    state = dict(state)
    items = merge_items({}, [items_result] if usable(items_result) else [])
    unknown = [vm for vm in state["vms"] if vm not in items]
    refused = []
    for name in state["vms"]:
        i = items.get(name)
        if i is None or i.get("phase") in RANK:
            continue
        refused.append("%s is %s (state %s, active location %s, test failover state %s, provider %s; allowed "
                       "operations: %s). %s" % (name, i.get("phase"), i.get("state"), i.get("active_location"),
                                                i.get("test_failover_state") or "None", i.get("provider"),
                                                ", ".join(i.get("allowed_operations") or []) or "none",
                                                NEXT_STEP.get(i.get("phase"), "")))
    state.update(items=items, before=items, steps=_steps(state["vms"], items),
                 refusal=("Vault %s replicates no VM %s (VM names as vCenter spells them)." % (
                     vault_name, ", ".join(unknown))) if unknown else
                 ("Cannot fail back: %s" % "; ".join(refused)) if refused else None)
    steps = [s for s, _r in STEPS if state["steps"][s]]
    state["plan_text"] = "%d VM(s) in %s. Phases: %s. %s" % (
        len(state["vms"]), "; ".join(t["label"] for t in state["targets"]),
        ", ".join("%s %s" % (vm, (items.get(vm) or {}).get("phase")) for vm in state["vms"]),
        ("Steps: %s" % ", ".join(steps)) if steps else
        "Every VM is back on-premises and replicates to Azure: nothing to do.")
    return state


def _steps(vms, items):
    rank = dict((vm, RANK.get((items.get(vm) or {}).get("phase"), -1)) for vm in vms)
    return dict((step, [vm for vm in vms if rank[vm] in ranks]) for step, ranks in STEPS)


def failback_datastores(state, source_result=None, appliances_result=None, datastore=""):
    """The reprotect to on-premises, one call per datastore: `datastore` when given, else each VM's own (its OS
    disk's, dr.asr.source_vm_info) when the reprotect agent reaches it (dr.asr.appliance_info), else the agent's only
    datastore; the refusal of VMs without one."""
    state = dict(state)
    vms_found = dict((v.get("name"), v) for v in (source_result or {}).get("vms") or []) if usable(source_result) else {}
    reach = []
    for appliance in (appliances_result or {}).get("appliances") or [] if usable(appliances_result) else []:
        for name in (appliance.get("reprotect_agent") or {}).get("accessible_datastores") or []:
            if name not in reach:
                reach.append(name)
    chosen = {}
    for name in state["steps"]["reprotect_onprem"]:
        own = ((vms_found.get(name) or {}).get("os_disk") or {}).get("datastore")
        if datastore:
            chosen[name] = datastore
        elif own and (not reach or own in reach):
            chosen[name] = own
        elif len(reach) == 1:
            chosen[name] = reach[0]
        else:
            chosen[name] = None
    calls = []
    for name, ds in chosen.items():
        if ds is None:
            continue
        call = next((c for c in calls if c["datastore"] == ds), None)
        if call is None:
            call = dict(key="onprem:%s" % ds, plan=None, item_names=[], vms=[], datastore=ds)
            calls.append(call)
        call["item_names"].append(name)
        call["vms"].append(name)
    for call in calls:
        call["label"] = "%s to %s" % (", ".join(call["vms"]), call["datastore"])
    nods = [name for name, ds in chosen.items() if ds is None]
    state["datastore_refusal"] = (
        "No datastore to recover %s to: %s. Set failback_datastore to one of: %s." % (
            ", ".join(nods), "the VM is not in vCenter any more" if any(n not in vms_found for n in nods) else
            "its datastore is not one the appliance reaches", ", ".join(reach) or "none (no reprotect agent?)")) \
        if nods else None
    state["calls"] = dict(state["calls"], reprotect_onprem=calls)
    state["early_start"] = early_starts(calls, {})
    return state


def failback_calls(state, step):
    """The calls of a step, from where the VMs are now: `failback` - every target with a VM reprotected (a plan as
    one plan job; in check mode none while a reprotect to on-premises comes first); `reprotect_azure` - the step's
    VMs that are back on-premises with the failback committed (or pending, without a commit of the role's own: the
    reprotect commits it), as one call; `commit` - the commit targets (a plan whose VMs all wait for their commit,
    else those VMs as one batch); `verify` - the VMs back on-premises (`onprem`), whose power state in vCenter is
    checked."""
    state = dict(state)
    items = state["items"]
    if step == "failback":
        # in check mode nothing is reprotected yet when the reprotect to on-premises comes first: predicted only
        calls = [] if state["check_mode"] and state["steps"]["reprotect_onprem"] else \
            [t for t in state["targets"] if any((items.get(vm) or {}).get("phase") == "reprotected" for vm in t["vms"])]
    elif step == "reprotect_azure":
        phases = ("failback_committed", "initial_replication") + (() if state["commit"] else ("failed_back",))
        vms = [vm for vm in state["steps"]["reprotect_azure"] if (items.get(vm) or {}).get("phase") in phases]
        calls = [dict(key="azure", label="%s to Azure" % ", ".join(vms), plan=None, item_names=vms, vms=vms,
                      datastore=None)] if vms else []
    elif step == "commit":
        ready = [vm for vm in state["vms"] if (items.get(vm) or {}).get("phase") == "failed_back"]
        calls = split_commit(state["targets"], ready)
    elif step == "verify":
        state["onprem"] = [vm for vm in state["vms"] if (items.get(vm) or {}).get("phase") in ON_PREMISES]
        return state
    else:
        raise ValueError("failback_calls: unknown step %r" % step)
    state["calls"] = dict(state["calls"], **{step: calls})
    state["early_start"] = early_starts(calls, {}) if step != "commit" else []
    return state


def failback_results(state, step, results=None, extra=None, now=None, started=None):
    """`state` after a step of the role, from its module results (the modules report every item after their run):

    * reprotect_onprem, failback, reprotect_azure: the waiting module run per call (`extra`: the runs that started
      calls early) - the VMs' phases, what changed, each plan's job, the plan jobs waiting at a manual action,
      what timed out, the rounds and `now` - `started` seconds the step waited;
    * resume: dr.asr.job action=resume per suspended job (`extra`: protected_item_info of their VMs afterwards);
    * commit: dr.asr.failover_commit per commit target;
    * power: dr.asr.source_vm_power (failback_power_on); vcenter: dr.asr.source_vm_info of the VMs back on-premises -
      which of them do not run.
    """
    state = dict(state)
    results = [r for r in (results if isinstance(results, list) else [results]) if usable(r)]
    if step in ("reprotect_onprem", "failback", "reprotect_azure"):
        return _ran(state, step, results, [r for r in extra or [] if usable(r)], now, started)
    if step == "resume":
        return _resumed(state, results, [r for r in (extra if isinstance(extra, list) else [extra]) if usable(r)])
    if step == "commit":
        state["items"] = merge_items(state["items"], results)
        committed = list(state["committed"])
        for result in results:
            target = target_of(result, "__failback_call", state["targets"])
            if result.get("changed"):
                committed.extend(target["vms"] if target.get("plan") else
                                 [entry_name(e) for e in result_items(result) if e.get("changed")])
        state["committed"] = committed
        return state
    if step == "power":
        state["powered"] = [v.get("name") for r in results for v in r.get("vms") or [] if v.get("changed")]
        return state
    if step == "vcenter":
        found = dict((v.get("name"), v) for r in results for v in r.get("vms") or [])
        predicted = state["powered"] if state["check_mode"] else []
        not_running = {}
        for name in state["onprem"]:
            if name in predicted:
                continue
            if name not in found:
                not_running[name] = "not found in vCenter"
            elif found[name].get("power_state") != "poweredOn":
                not_running[name] = "power state %s" % found[name].get("power_state")
        state.update(not_running=not_running, power=dict((n, v.get("power_state")) for n, v in found.items()))
        if state["onprem"] and not not_running:
            state["verify_text"] = "Running in vCenter: %s." % ", ".join(state["onprem"])
        elif not_running:
            state["verify_text"] = "Not running in vCenter: %s (failback_power_on: true powers them on)." % "; ".join(
                "%s - %s" % item for item in not_running.items())
        else:
            state["verify_text"] = "No VM runs on-premises yet."
        state["not_running_message"] = (
            "Failed back, but not running in vCenter: %s. Start them (failback_power_on: true, or "
            "dr.asr.source_vm_power state=powered_on)." % "; ".join("%s - %s" % item for item in not_running.items())) \
            if not_running else None
        return state
    raise ValueError("failback_results: unknown step %r" % step)


def _ran(state, step, results, started_early, now, started):
    calls = dict((c["key"], c) for c in state["calls"].get(step) or [])
    state["items"] = merge_items(state["items"], started_early + results)
    done = list(state["done"].get(step) or [])
    for result in started_early + results:
        call = target_of(result, "__failback_call", list(calls.values()))
        for vm in changed_vms(result, call):
            if vm not in done:
                done.append(vm)
    jobs, pending, rounds = dict(state["jobs"]), [], 0
    suspended = dict((k, v) for k, v in state["suspended"].items() if k not in calls)
    for result in results:
        call = target_of(result, "__failback_call", list(calls.values()))
        rounds += as_int(result.get("rounds"), 1)
        record = job_record(result_jobs(result, call), call, timed_out(result))
        record["step"] = step
        jobs[call["key"]] = record
        if record["manual_job"]:
            suspended[call["key"]] = record
        elif timed_out(result):
            pending.append(call["label"])
    seconds = as_int(now) - as_int(started) if now is not None and started is not None else 0
    state.update(done=dict(state["done"], **{step: done}), jobs=jobs, suspended=suspended,
                 waited=dict(state["waited"], **{step: dict(rounds=rounds, seconds=seconds)}))
    state["stopped_waiting"] = (
        "Stopped waiting after %s (%s): %s %s still runs. Nothing is wrong with that: run the same again to keep "
        "waiting - it attaches to the running jobs and never starts a step twice." % (
            duration(seconds), TIMEOUTS[step], TITLES[step], "; ".join(pending))) if pending else None
    state["manual_action_message"] = _manual(state["suspended"])
    state["resume_jobs"] = [r for k, r in suspended.items() if k in calls] if state["resume"] else []
    state["resume_vms"] = [vm for key in suspended if key in calls for vm in calls[key]["vms"]] if state["resume"] else []
    return state


def _manual(suspended):
    return manual_action_message("failback", suspended, "failback_resume_manual_actions") if suspended else None


def _resumed(state, results, reread):
    state["items"] = merge_items(state["items"], reread)
    jobs, suspended, resumed = dict(state["jobs"]), dict(state["suspended"]), list(state["resumed"])
    pending = []
    for result in results:
        record = result.get("__failback_job") or {}
        key = record.get("key")
        resumed.extend(resumed_actions(record.get("manual_action"), result))
        facts = view_of(result).get("job") or {}
        job = job_record([facts] if facts.get("name") else [], dict(key=key, label=record.get("label")),
                         timed_out(result))
        job["step"] = record.get("step")
        jobs[key] = job
        suspended.pop(key, None)
        if job["manual_job"]:
            suspended[key] = job
        elif timed_out(result):
            pending.append(record.get("label"))
        waited = dict(state["waited"].get(record.get("step")) or dict(rounds=0, seconds=0))
        waited["rounds"] += as_int(result.get("rounds"), 1) + as_int(result.get("attempts"), 1) - 1
        state["waited"] = dict(state["waited"], **{record.get("step") or "failback": waited})
    state.update(jobs=jobs, suspended=suspended, resumed=resumed, resume_jobs=[])
    if pending:
        state["stopped_waiting"] = (
            "Stopped waiting (failback_timeout): the failback of %s still runs after its manual actions were resumed. "
            "Run the same again to keep waiting - it attaches to the running jobs and never starts a step twice."
            % "; ".join(pending))
    state["manual_action_message"] = _manual(suspended)
    return state


def failback_summary(state, vault_name, vault_resource_group):
    """failback_summary: every VM (phase before and now, where it runs, vCenter power state, what the run did or, in
    check mode, would do) and plan (phases, job, manual action), the waits, and a table for people."""
    items, before, check_mode = state["items"], state["before"], state["check_mode"]
    vms = []
    for name in state["vms"]:
        i = items.get(name) or {}
        if check_mode:
            steps = [LABELS[s] for s, _r in STEPS if name in state["steps"][s] and
                     (s != "reprotect_azure" or state["reprotect_to_azure"]) and (s != "commit" or state["commit"])]
        else:
            steps = [LABELS[s] for s in ("reprotect_onprem", "failback") if name in (state["done"].get(s) or [])]
            if name in state["committed"]:
                steps.append("commit")
            if name in state["powered"]:
                steps.append("power on")
            if name in (state["done"].get("reprotect_azure") or []):
                steps.append(LABELS["reprotect_azure"])
        vms.append(dict(name=name, phase_before=(before.get(name) or {}).get("phase"), phase=i.get("phase"),
                        state=i.get("state"), active_location=i.get("active_location"), runs_in=i.get("runs_in"),
                        provider=i.get("provider"), health=i.get("health"), power_state=state["power"].get(name),
                        steps=steps, problem=state["not_running"].get(name)))
    plans = plan_records(state["targets"], items, state["jobs"])
    summary = dict(
        vault=dict(name=vault_name, resource_group=vault_resource_group), check_mode=check_mode,
        changed=any(vm["steps"] for vm in vms) or bool(state["resumed"]), wait=dict(state["waited"]),
        resumed_manual_actions=list(state["resumed"]),
        waiting_at_manual_action=[r["label"] for r in state["suspended"].values()], vms=vms, recovery_plans=plans,
        protected=[vm["name"] for vm in vms if vm["phase"] == "protected"],
        on_premises=[vm["name"] for vm in vms if vm["runs_in"] == "on-premises"],
        not_running=[vm["name"] for vm in vms if vm["problem"]])
    rows = [dict(name=vm["name"], before=vm["phase_before"], phase=vm["phase"],
                 location=where(vm["runs_in"], vm["active_location"]), power=vm["power_state"] or "-",
                 health=vm["health"] or "-",
                 steps=(("would " if check_mode else "") + ", ".join(vm["steps"])) if vm["steps"] else "-") for vm in vms]
    lines = table(rows, ("name", "before", "phase", "location", "power", "health", "steps"),
                  dict(name="VM", before="BEFORE", phase="NOW", location="RUNS IN", power="VCENTER", health="HEALTH",
                       steps="DONE"))
    lines += plan_lines(plans)
    lines.append("%d VMs: %d on-premises, %d protected (replicating to Azure), %d not running in vCenter%s" % (
        len(vms), len(summary["on_premises"]), len(summary["protected"]), len(summary["not_running"]),
        "; check mode: nothing was changed" if check_mode else ""))
    summary["table"] = lines
    return summary


class FilterModule(object):
    """The dr.asr.failback role's decisions."""

    def filters(self):
        return dict(failback_input=failback_input, failback_targets=failback_targets, failback_phases=failback_phases,
                    failback_datastores=failback_datastores, failback_calls=failback_calls,
                    failback_results=failback_results, failback_summary=failback_summary)
