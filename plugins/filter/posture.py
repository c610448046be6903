# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The decisions of the dr.asr.posture role (controller side, pure: the info modules' results in, facts out).

    posture_facts     what the estate looks like now, for dr.asr.posture_report: per protected VM its RPO, health
                      errors, agent, last drill, plan, policy and whether its source VM is gone; the plans; the
                      appliances with their load; the VMs of the protected folders/tags that are not protected
    posture_summary   posture_summary (with its table and the failure message) from dr.asr.posture_report's result

The judging (thresholds -> passed/warning/failed) is dr.asr.posture_report's (module_utils/_posture_report.py), so that
the report and the play's failure say the same.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

#: the process server's load fields dr.asr.appliance_info returns (snake_case of ASR's ProcessServerDetails)
LOAD_FIELDS = ("processor_usage_percentage", "processor_usage_status", "memory_usage_percentage",
               "memory_usage_status", "free_space_percentage", "disk_usage_status", "system_load",
               "system_load_status", "throughput_in_bytes", "throughput_upload_pending_data_in_bytes",
               "throughput_status", "protected_item_count")


def _list(value, key):
    """A module's list (`key`) from its registered result, a loop of them (`results`), or the list itself."""
    if value is None:
        return []
    if isinstance(value, dict) and isinstance(value.get("results"), list):
        value = value["results"]
    if isinstance(value, list) and any(isinstance(v, dict) and (key in v or "results" in v or v.get("skipped"))
                                       for v in value):
        out = []                                # a list of registered results (the results of loops, added up)
        for result in value:
            out.extend(_list(result, key))
        return out
    if isinstance(value, dict):
        if value.get("skipped"):
            return []
        value = value.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise AnsibleFilterError("posture_facts: expected a list of %s (or a registered result with %s), got %s"
                                 % (key, key, type(value).__name__))
    return [v for v in value if isinstance(v, dict)]


def _lower(value):
    return (value or "").rstrip("/").lower()


def _tag_names(vm):
    return ["%s:%s" % (t.get("category"), t.get("name")) if t.get("category") else t.get("name")
            for t in vm.get("tags") or [] if isinstance(t, dict)]


def _error(e):
    return dict(code=e.get("code") or e.get("error_code"), level=e.get("level") or e.get("error_level"),
                category=e.get("category") or e.get("error_category"),
                message=e.get("message") or e.get("error_message") or e.get("summary_message"),
                possible_causes=e.get("possible_causes"), recommended_action=e.get("recommended_action"),
                created=e.get("created") or e.get("creation_time_utc"))


def posture_facts(items, plans=None, policies=None, appliances=None, in_scope=None, inventory=None, discovered=None,
                  as_of=None, title="DR posture", vault_name=None, vault_resource_group=None, folders=None, tags=None,
                  thresholds=None, check_mode=False):
    """The facts of dr.asr.posture_report.

    items       dr.asr.protected_item_info (details: true - a list answer has no agent details)
    plans       dr.asr.recovery_plan_info;  policies: dr.asr.replication_policy_info
    appliances  dr.asr.appliance_info
    in_scope    dr.asr.source_vm_info of each protected folder and tag (a loop's result): the VMs that should be
                protected - those no item names are the drift
    inventory   dr.asr.source_vm_info of the whole vCenter: an item whose VM it does not hold is gone (None: not checked)
    discovered  dr.asr.discovered_vm_info: a machine ASR's discovery marks deleted is gone too (optional)
    """
    items = _list(items, "protected_items")
    plans = _list(plans, "recovery_plans")
    policies = dict((_lower(p.get("name")), p) for p in _list(policies, "policies"))
    appliances = _list(appliances, "appliances")
    names = set(v.get("name") for v in _list(inventory, "vms")) if inventory is not None else None
    deleted = set(_lower(m.get("machine_id")) for m in _list(discovered, "vms") if m.get("deleted"))
    member_of = {}
    for plan in plans:
        for group in plan.get("groups") or []:
            for vm in group.get("vms") or []:
                member_of.setdefault(vm, plan.get("name"))
    vms = []
    for item in items:
        name = item.get("vm_name") or item.get("name")
        policy = policies.get(_lower(item.get("policy"))) or {}
        gone, why = None, None
        if _lower(item.get("machine_id")) in deleted:
            gone, why = True, "ASR's discovery marks the machine %s deleted" % (item.get("machine_id") or "").rsplit("/", 1)[-1]
        elif names is not None:
            gone = name not in names
            why = "no VM named %s in the vCenter inventory" % name if gone else None
        agent = item.get("agent") or {}
        vms.append(dict(
            name=name, item_name=item.get("name"), plan=member_of.get(name), policy=item.get("policy"),
            policy_frequency_minutes=policy.get("crash_consistent_frequency_minutes"),
            policy_retention_hours=policy.get("retention_hours"), state=item.get("state"), phase=item.get("phase"),
            health=item.get("health"), errors=[_error(e) for e in item.get("errors") or []],
            rpo_seconds=item.get("rpo_seconds"), rpo_calculated_time=item.get("rpo_calculated_time"),
            progress=item.get("progress"),
            agent=dict(version=agent.get("version"), latest_version=agent.get("latest_version")),
            last_successful_test_failover_time=item.get("last_successful_test_failover_time"),
            appliance=item.get("appliance"), source_gone=gone, source_gone_reason=why))
    protected = set(v["name"] for v in vms)
    drift, seen = [], {}
    for vm in _list(in_scope, "vms"):
        if vm.get("template") or vm.get("name") in protected:
            continue
        if vm.get("name") in seen:          # in a folder and under a tag: one entry, with the tags it was read with
            entry = seen[vm.get("name")]
            entry["tags"].extend(t for t in _tag_names(vm) if t not in entry["tags"])
            continue
        seen[vm.get("name")] = dict(name=vm.get("name"), folder=vm.get("folder"), tags=_tag_names(vm))
        drift.append(seen[vm.get("name")])
    appliance_facts = []
    for appliance in appliances:
        server = appliance.get("process_server") or {}
        appliance_facts.append(dict(
            name=appliance.get("name"), health=appliance.get("health"), version=appliance.get("version"),
            last_heartbeat=appliance.get("last_heartbeat"), protected_item_count=server.get("protected_item_count"),
            health_errors=[_error(e) for e in server.get("health_errors") or []],
            load=dict((k, server.get(k)) for k in LOAD_FIELDS if server.get(k) is not None)))
    return dict(
        title=title, as_of=as_of, vault=dict(name=vault_name, resource_group=vault_resource_group),
        scope=dict(folders=list(folders or []), tags=list(tags or [])), check_mode=bool(check_mode),
        thresholds=dict(thresholds or {}), vms=vms, appliances=appliance_facts, drift=drift,
        plans=[dict(name=p.get("name"), vms=[vm for g in p.get("groups") or [] for vm in g.get("vms") or []],
                    last_test_failover_time=p.get("last_test_failover_time"),
                    allowed_operations=p.get("allowed_operations") or []) for p in plans])


def _duration(seconds):
    if seconds is None:
        return "-"
    seconds = int(seconds)
    if seconds >= 86400:
        return "%.1fd" % (seconds / 86400.0)
    if seconds >= 3600:
        return "%dh %02dm" % (seconds // 3600, (seconds % 3600) // 60)
    if seconds >= 60:
        return "%dm %02ds" % (seconds // 60, seconds % 60)
    return "%ds" % seconds


def _status(checks, name):
    return next((c["status"] for c in checks if c.get("name") == name), "-")


def posture_summary(report):
    """posture_summary from dr.asr.posture_report's result: result, counts, files, blobs, the lists an on-call engineer
    acts on (over RPO, never drilled, agents behind, source gone, not protected), failed checks, a table for people
    and `message` - what the play fails with when a check failed."""
    r = (report or {}).get("report") or {}
    rows = [dict(name="VM", plan="PLAN", rpo="RPO", health="HEALTH", errors="ERRORS", agent="AGENT", drill="LAST DRILL",
                 result="RESULT")]
    for vm in r.get("vms") or []:
        checks = vm.get("checks") or []
        worst = [c["status"] for c in checks]
        rows.append(dict(name=vm.get("name"), plan=vm.get("plan") or "-", rpo=_duration(vm.get("rpo_seconds")),
                         health=vm.get("health") or "-", errors=str(len(vm.get("errors") or [])),
                         agent=(vm.get("agent") or {}).get("version") or "-",
                         drill=("%s ago" % _duration(vm["drill_age_seconds"])) if vm.get("drill_age_seconds") is not None
                         else "never",
                         result="failed" if "failed" in worst else "warning" if "warning" in worst else "passed"))
    columns = ["name", "plan", "rpo", "health", "errors", "agent", "drill", "result"]
    widths = dict((c, max(len(str(row[c])) for row in rows)) for c in columns)
    lines = [" | ".join("%-*s" % (widths[c], row[c]) for c in columns).rstrip() for row in rows]
    counts = r.get("counts") or dict(total=0, passed=0, warning=0, failed=0, skipped=0)
    drift = [d.get("name") for d in r.get("drift") or []]
    lines.append("Posture %s: %d checks, %d passed, %d warnings, %d failed, %d skipped; max RPO %s; not protected: %s; "
                 "source gone: %s" % (str(r.get("result") or "").upper(), counts.get("total", 0), counts.get("passed", 0),
                                      counts.get("warning", 0), counts.get("failed", 0), counts.get("skipped", 0),
                                      _duration(r.get("max_rpo_seconds")), ", ".join(drift) or "none",
                                      ", ".join(r.get("source_gone") or []) or "none"))
    failed = r.get("failed_checks") or []
    files = (report or {}).get("files") or {}
    message = ""
    if failed:
        message = "DR posture of vault %s FAILED %d check%s (report: %s): %s" % (
            (r.get("vault") or {}).get("name"), len(failed), "" if len(failed) == 1 else "s",
            files.get("html") or next(iter(files.values()), "not written"), "; ".join(failed))
    return dict(result=r.get("result"), counts=counts, files=files, blobs=(report or {}).get("blobs") or {},
                report_changed=bool((report or {}).get("changed")), as_of=r.get("as_of"),
                max_rpo_seconds=r.get("max_rpo_seconds"), over_rpo=r.get("over_rpo") or [],
                never_drilled=r.get("never_drilled") or [], agents_behind=r.get("agents_behind") or [],
                source_gone=r.get("source_gone") or [], not_protected=drift,
                health_errors=r.get("health_errors") or 0, failed_checks=failed, message=message,
                appliances=[dict(name=a.get("name"), health=a.get("health"),
                                 checks=dict((c["name"], c["status"]) for c in a.get("checks") or []))
                            for a in r.get("appliances") or []],
                table=lines)


class FilterModule(object):
    """The dr.asr.posture role's decisions."""

    def filters(self):
        return dict(posture_facts=posture_facts, posture_summary=posture_summary)
