# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ansible as the runbook of a recovery plan (controller side, pure): the drill's and the failover's hooks.

ASR's recovery plans run Azure Automation runbooks and scripts around their boot groups; where a step must happen
outside Azure, a plan has a *manual action*: its job stops there (Suspended, allowed actions Resume and Cancel) until
someone resumes it. A hook of the dr.asr.drill or dr.asr.failover role is a user's task file that runs at such a stop:
`{tasks, group, at: before|after, plan, name}` runs when the plan's job waits at a manual action of boot group `group`
(its pre-actions for `before`, its post-actions for `after`); the role then resumes the job, and the hook's result is
in the report. These filters decide, between the role's tasks:

    runbook_hooks    the hooks checked against the plans (recovery_plan_info) before anything starts: each needs a
                     manual action of its plan at its place that runs in this kind of failover; every manual action
                     of the plans as the stops a job will make, and how many rounds the role needs to pass them all
    runbook_waiting  the suspended plan jobs from dr.asr.job_info runs (the failover role reads them)
    runbook_stops    the stops the suspended plan jobs are at now (the job's suspended task names its manual action)
                     with the hooks to run there and the VMs of the group
    runbook_hosts    the inventory hosts that stand for the VMs of a stop (a host's host_var, else its name)
    runbook_record   one hook's result, for the report
    runbook_resumes  the jobs to resume: every hook of their stop passed (or the stop has none and the role resumes
                     manual actions)
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

POSITIONS = ("before", "after")
#: the position of a hook -> the plan group's action list it waits at
ACTION_LISTS = {"before": "pre_actions", "after": "post_actions"}


def _hooks(hooks, variable):
    out = []
    for index, hook in enumerate(hooks or []):
        where = "%s[%d]" % (variable, index)
        if not isinstance(hook, dict):
            raise AnsibleFilterError("%s must be a dict {tasks, group, at, plan, name}, got %r" % (where, hook))
        tasks = hook.get("tasks")
        if not isinstance(tasks, str) or not tasks.strip():
            raise AnsibleFilterError("%s.tasks must name a task file, got %r" % (where, tasks))
        at = hook.get("at") or "after"
        if at not in POSITIONS:
            raise AnsibleFilterError("%s.at is %r: use before or after (the group's pre-actions or post-actions)"
                                     % (where, at))
        try:
            group = int(hook.get("group"))
        except (TypeError, ValueError):
            group = 0
        if group < 1 or str(hook.get("group")).strip() != str(group):
            raise AnsibleFilterError("%s.group is %r: the number of a boot group (1 boots first)"
                                     % (where, hook.get("group")))
        name = hook.get("name") or "%s group %d: %s" % (at, group, tasks.rstrip("/").rsplit("/", 1)[-1])
        out.append(dict(index=index, name=name, tasks=tasks, group=group, at=at, plan=hook.get("plan") or None,
                        where=where))
    return out


def _applies(action, failover_type):
    types = action.get("failover_types") or []
    return not types or failover_type in types


def _plan_stops(plan, failover_type):
    """Every manual action of the plan that runs in this kind of failover, in the order its job reaches them."""
    stops = []
    for position, actions in (("before", "pre_actions"), ("after", "post_actions")):
        for action in ((plan.get("shutdown_group") or {}).get(actions) or []):
            if action.get("type") == "manual" and _applies(action, failover_type):
                stops.append(dict(group="shutdown", at=position, action=action.get("name"), vms=[]))
    for position, actions in (("before", "pre_actions"), ("after", "post_actions")):
        for action in ((plan.get("failover_group") or {}).get(actions) or []):
            if action.get("type") == "manual" and _applies(action, failover_type):
                stops.append(dict(group="failover", at=position, action=action.get("name"), vms=[]))
    for group in plan.get("groups") or []:
        for position in POSITIONS:
            for action in group.get(ACTION_LISTS[position]) or []:
                if action.get("type") == "manual" and _applies(action, failover_type):
                    stops.append(dict(group=group.get("group"), at=position, action=action.get("name"),
                                      vms=list(group.get("vms") or [])))
    return stops


def runbook_hooks(hooks, plans, failover_type, variable="hooks", plan_names=None):
    """`hooks` (the role's typed *_hooks) checked against `plans` (dr.asr.recovery_plan_info's recovery_plans of the
    plans this run fails over; `plan_names`: their names as the role was given them, when a plan was not found):

    {problems: [why a hook cannot run - the role refuses before anything starts], stops: {plan: [{plan, group, at,
    action, vms, hooks}]} (every manual action the plan's job will stop at, in order, with the hooks that run there),
    rounds: the most stops of one plan (the role passes them in that many rounds)}."""
    checked = _hooks(hooks, variable)
    by_name = dict((p.get("name"), p) for p in plans or [] if isinstance(p, dict))
    problems, stops = [], {}
    for name, plan in by_name.items():
        stops[name] = [dict(stop, plan=name, hooks=[]) for stop in _plan_stops(plan, failover_type)]
    for hook in checked:
        if hook["plan"] and hook["plan"] not in by_name:
            problems.append("%s (%s): plan %r is not one of the recovery plans this run fails over (%s)" % (
                hook["where"], hook["name"], hook["plan"], ", ".join(sorted(by_name)) or "none"))
            continue
        for name in ([hook["plan"]] if hook["plan"] else sorted(by_name)):
            plan = by_name[name]
            groups = [g.get("group") for g in plan.get("groups") or []]
            if hook["group"] not in groups:
                problems.append("%s (%s): plan %s has no boot group %d (it has %s)" % (
                    hook["where"], hook["name"], name, hook["group"], ", ".join(str(g) for g in groups) or "none"))
                continue
            here = [s for s in stops[name] if s["group"] == hook["group"] and s["at"] == hook["at"]]
            if not here:
                problems.append(
                    "%s (%s): plan %s has no manual action %s boot group %d that runs in a %s, so its job never stops "
                    "there - add one to the group's %s (dr.asr.recovery_plan: groups[%d].%s: [{name: ..., type: manual}])"
                    % (hook["where"], hook["name"], name, hook["at"], hook["group"], failover_type,
                       ACTION_LISTS[hook["at"]], hook["group"] - 1, ACTION_LISTS[hook["at"]]))
                continue
            # the hooks run at the first manual action of that place
            here[0]["hooks"].append(dict((k, v) for k, v in hook.items() if k != "where"))
    if checked and not by_name:
        problems.append("%s: hooks run at the manual actions of recovery plans, and this run fails over none%s" % (
            variable, (" (plans named: %s)" % ", ".join(plan_names)) if plan_names else ""))
    rounds = max([len(s) for s in stops.values()] or [0])
    return dict(problems=problems, stops=stops, rounds=rounds)


def _stop_key(stop):
    return "%s/%s/%s/%s" % (stop.get("plan"), stop.get("group"), stop.get("at"), stop.get("action"))


def runbook_stops(suspended, stops, done=None, records=None):
    """The stops the suspended plan jobs wait at now. `suspended`: [{plan (or name), job, facts}] (facts: the job as
    dr.asr.job_info returns it - its suspended task names the manual action); `stops`: runbook_hooks' stops; `done`:
    the keys of the stops already passed; `records`: the hooks' results so far - a job at which a hook failed is left
    where it is. Each: {key, plan, job, group, at, action, vms, hooks} (group null for a manual action the plan
    definition does not name)."""
    passed = set(done or [])
    failed = set(r.get("job") for r in records or [] if r.get("status") == "failed")
    out = []
    for entry in suspended or []:
        if entry.get("kind", "plan") != "plan" or entry.get("job") in failed:
            continue
        plan, facts = entry.get("plan") or entry.get("name"), entry.get("facts") or {}
        tasks = [t for t in facts.get("tasks") or [] if t.get("state") == "Suspended"]
        action = ((tasks[0].get("manual_action") or {}).get("name") or tasks[0].get("friendly_name")) if tasks else None
        stop = next((s for s in (stops or {}).get(plan) or []
                     if s.get("action") == action and _stop_key(s) not in passed), None)
        if stop is None:
            stop = dict(plan=plan, group=None, at=None, action=action, vms=[], hooks=[])
        out.append(dict(stop, key=_stop_key(stop), job=entry.get("job"), target=entry.get("target")))
    return out


def runbook_waiting(results):
    """The suspended plan jobs from dr.asr.job_info runs, one per job waiting at a manual action (each run's `item`:
    the role's record of the target - `key` C(plan:<name>), `manual_job`), as runbook_stops takes them."""
    out = []
    for result in results or []:
        record = result.get("item") or {}
        key = str(record.get("key") or "")
        jobs = [j for j in result.get("jobs") or [] if isinstance(j, dict)]
        if not key.startswith("plan:") or not jobs:
            continue
        out.append(dict(kind="plan", name=key[len("plan:"):], job=record.get("manual_job") or jobs[0].get("name"),
                        facts=jobs[0], target=key, label=record.get("label")))
    return out


def runbook_hosts(vms, hosts, hostvars=None, host_var="dr_asr_vm_name"):
    """The inventory hosts (of `hosts`, e.g. a group of the dr.asr.protected_items inventory) standing for `vms`: a
    host's `host_var` host variable names its VM, else its inventory name does (case-insensitive, as the smoke
    checks match them)."""
    wanted = set(str(vm).lower() for vm in vms or [])
    out = []
    for host in hosts or []:
        facts = (hostvars or {}).get(host) or {}
        vm = facts.get(host_var) if host_var and host_var in facts else host
        if str(vm).lower() in wanted and host not in out:
            out.append(host)
    return out


def runbook_record(stop, hook, failed, message=None, started=None, ended=None, hosts=None, kind="test_failover"):
    """One hook's result for the report: {name, tasks, plan, group, at, action, job, hosts, status (passed or
    failed), message, started, ended, kind}."""
    return dict(name=hook.get("name"), tasks=hook.get("tasks"), plan=stop.get("plan"), group=stop.get("group"),
                at=stop.get("at"), action=stop.get("action"), job=stop.get("job"), hosts=list(hosts or []),
                status="failed" if failed else "passed", message=message or ("failed" if failed else "passed"),
                started=started, ended=ended, kind=kind)


def runbook_resumes(stops, records, resume_manual_actions=False, resume_failed=False):
    """The jobs to resume now: a stop whose hooks all passed (with `resume_failed` also one whose hooks failed: a drill
    goes on to its end, the failure is a check of its report), or a stop without hooks when the role resumes manual
    actions. [{job, plan, action, comments, label}]; otherwise a stop with a failed hook is not resumed (the job
    stays suspended where the hook failed, for the operator)."""
    out = []
    for stop in stops or []:
        ran = [r for r in records or [] if r.get("job") == stop.get("job") and r.get("action") == stop.get("action")
               and r.get("group") == stop.get("group") and r.get("at") == stop.get("at")]
        if stop.get("hooks"):
            failed = [r.get("name") for r in ran if r.get("status") != "passed"]
            if len(ran) < len(stop["hooks"]) or (failed and not resume_failed):
                continue
            if failed:
                comments = "dr.asr hooks failed (the drill goes on to its end): %s" % ", ".join(failed)
            else:
                comments = "dr.asr hooks passed: %s" % ", ".join(h.get("name") for h in stop["hooks"])
        elif resume_manual_actions:
            comments = "Resumed by dr.asr (resume manual actions)"
        else:
            continue
        out.append(dict(job=stop.get("job"), plan=stop.get("plan"), action=stop.get("action"), comments=comments,
                        label="plan %s: %s" % (stop.get("plan"), stop.get("action")), key=stop.get("target"),
                        manual_action=stop.get("action")))
    return out


class FilterModule(object):
    """Ansible as the runbook of a recovery plan."""

    def filters(self):
        return dict(runbook_hooks=runbook_hooks, runbook_stops=runbook_stops, runbook_waiting=runbook_waiting,
                    runbook_hosts=runbook_hosts, runbook_record=runbook_record, runbook_resumes=runbook_resumes)
