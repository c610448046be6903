# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The DR posture report: what the estate looks like now (facts in), judged against thresholds, one report out
(JSON, JUnit XML, HTML) in the drill report's style - its shape check, time helpers, CSS and JSON come from
_drill_report.

Pure (stdlib only, no I/O): `build(facts)` judges, the renderers format.

Facts (what the dr.asr.posture role collects with the info modules; filter dr.asr.posture_facts):

    title, as_of (ISO 8601: the time the ages are measured at), vault {name, resource_group},
    scope {folders, tags}, newest_agent_version,
    thresholds {max_rpo_minutes, max_drill_age_days, max_health_errors, allow_drift, allow_source_gone,
                allow_agent_behind, allow_appliance_unhealthy},
    vms:   [{name, item_name, plan, policy, policy_frequency_minutes, policy_retention_hours, state, phase, health,
             errors [{code, level,
             category, message, possible_causes, recommended_action, created}], rpo_seconds, rpo_calculated_time,
             progress, agent {version, latest_version}, last_successful_test_failover_time, appliance,
             source_gone, source_gone_reason}]
    plans: [{name, vms, last_test_failover_time, allowed_operations}]
    appliances: [{name, health, version, last_heartbeat, protected_item_count, health_errors, load {...}}]
    drift: [{name, folder, tags}]       VMs in the protected folders/tags that are not protected

Checks (passed, warning, failed, skipped): per VM RPO, replication health, agent, last drill, source VM; per plan
RPO (its worst member) and last drill; per appliance health and load; one drift check.
"""

from __future__ import annotations

import re
from xml.sax.saxutils import escape as _xml_escape, quoteattr as _xml_attr

from ansible_collections.dr.asr.plugins.module_utils import _drill_report as dr

PASSED, WARNING, FAILED, SKIPPED = "passed", "warning", "failed", "skipped"
STATUSES = (PASSED, WARNING, FAILED, SKIPPED)
DAY = 86400

_ERROR_SHAPE = {"code": "str", "level": "str", "category": "str", "message": "str", "possible_causes": "str",
                "recommended_action": "str", "created": "str"}
_FACTS_SHAPE = {
    "title": "str", "as_of": "str", "vault": {"name": "str", "resource_group": "str"},
    "scope": {"folders": ["str"], "tags": ["str"]}, "newest_agent_version": "str", "check_mode": "bool",
    "thresholds": {"max_rpo_minutes": "int", "max_drill_age_days": "int", "max_health_errors": "int",
                   "allow_drift": "bool", "allow_source_gone": "bool", "allow_agent_behind": "bool",
                   "allow_appliance_unhealthy": "bool"},
    "vms": [{"name": "str", "item_name": "str", "plan": "str", "policy": "str", "policy_frequency_minutes": "int",
             "policy_retention_hours": "any",
             "state": "str", "phase": "str", "health": "str", "errors": [_ERROR_SHAPE], "rpo_seconds": "int",
             "rpo_calculated_time": "str", "progress": "int", "agent": {"version": "str", "latest_version": "str"},
             "last_successful_test_failover_time": "str", "appliance": "str", "source_gone": "bool",
             "source_gone_reason": "str"}],
    "plans": [{"name": "str", "vms": ["str"], "last_test_failover_time": "str", "allowed_operations": ["str"]}],
    "appliances": [{"name": "str", "health": "str", "version": "str", "last_heartbeat": "str",
                    "protected_item_count": "int", "health_errors": [_ERROR_SHAPE], "load": "any"}],
    "drift": [{"name": "str", "folder": "str", "tags": ["str"]}],
}


def check_facts(facts):
    """The facts, each known field checked and converted; an InputError names the first wrong one (also an empty
    entry of vms, plans, appliances, drift or a VM's errors)."""
    facts = dr._checked(facts if facts is not None else {}, _FACTS_SHAPE, "facts")
    lists = [("facts.%s" % key, facts.get(key)) for key in ("vms", "plans", "appliances", "drift")]
    lists += [("facts.vms[%d].errors" % i, (vm or {}).get("errors")) for i, vm in enumerate(facts.get("vms") or [])]
    lists += [("facts.appliances[%d].health_errors" % i, (a or {}).get("health_errors"))
              for i, a in enumerate(facts.get("appliances") or [])]
    for where, entries in lists:
        for index, entry in enumerate(entries or []):
            if entry is None:
                raise dr._refused("%s[%d]" % (where, index), entry, "a dictionary")
    return facts


def version_key(text):
    """A dotted version as numbers ('9.66.7614.1' -> (9, 66, 7614, 1)); None when it has no digits."""
    parts = re.findall(r"\d+", text or "")
    return tuple(int(p) for p in parts) if parts else None


def newest_version(versions):
    known = [v for v in versions if version_key(v)]
    return max(known, key=version_key) if known else None


def _check(name, status, message="", target=None, kind=None, details=None):
    return dict(name=name, status=status, message=message or "", target=target, kind=kind, details=details or {})


def _age_seconds(as_of, text):
    return dr.seconds_between(text, as_of) if as_of else None


def _minutes(seconds):
    return dr.duration_text(seconds)


def _rpo_target_seconds(thresholds):
    """The RPO every VM is judged against: max_rpo_minutes (an InMageRcm policy states no RPO target - only its
    recovery point history and crash/app-consistent frequencies), or None."""
    if thresholds.get("max_rpo_minutes") is not None:
        return thresholds["max_rpo_minutes"] * 60, "max_rpo_minutes"
    return None, None


def _rpo_check(rpo, target, source, kind, name, progress=None):
    if rpo is None:
        why = "no RPO yet: initial replication%s" % (" %s%%" % progress if progress is not None else "") \
            if progress is not None else "ASR reports no RPO (not replicating to Azure now)"
        return _check("RPO", SKIPPED, why, name, kind)
    if target is None:
        return _check("RPO", PASSED, "RPO %s (no target)" % _minutes(rpo), name, kind)
    if rpo > target:
        return _check("RPO", FAILED, "RPO %s is over the target of %s (%s)" % (_minutes(rpo), _minutes(target), source),
                      name, kind, dict(rpo_seconds=rpo, target_seconds=target))
    return _check("RPO", PASSED, "RPO %s within %s" % (_minutes(rpo), _minutes(target)), name, kind)


def _error_text(error):
    text = "%s %s: %s" % (error.get("level") or "", error.get("code") or "", error.get("message") or "")
    if error.get("recommended_action"):
        text += " Recommended action: %s" % error["recommended_action"]
    return text.strip()


def _health_check(vm, thresholds):
    errors = vm.get("errors") or []
    health = vm.get("health") or "unknown"
    most = thresholds.get("max_health_errors")
    if most is not None and len(errors) > most:
        status = FAILED
    elif errors or health not in ("Normal", "None"):
        status = WARNING
    else:
        status = PASSED
    message = "health %s, %d health error%s" % (health, len(errors), "" if len(errors) == 1 else "s")
    if most is not None and len(errors) > most:
        message += " (more than max_health_errors %d)" % most
    if errors:
        message += ": " + "; ".join(_error_text(e) for e in errors)
    return _check("replication health", status, message, vm.get("name"), "vm", dict(errors=errors))


def _agent_check(vm, newest, thresholds):
    agent = vm.get("agent") or {}
    version = agent.get("version")
    latest = newest_version([agent.get("latest_version"), newest])
    if not version:
        return _check("agent version", SKIPPED, "no Mobility agent version reported", vm.get("name"), "vm")
    if latest and version_key(version) < version_key(latest):
        status = FAILED if thresholds.get("allow_agent_behind") is False else WARNING
        return _check("agent version", status, "agent %s is behind the newest %s" % (version, latest), vm.get("name"),
                      "vm", dict(version=version, newest=latest))
    return _check("agent version", PASSED, "agent %s%s" % (version, " (the newest)" if latest else ""),
                  vm.get("name"), "vm")


def _drill_check(when, as_of, thresholds, name, kind, what="last successful test failover"):
    most = thresholds.get("max_drill_age_days")
    age = _age_seconds(as_of, when) if dr.parse_time(when) else None
    if age is None:
        status = FAILED if most is not None else WARNING
        return _check("last drill", status, "no %s" % what, name, kind)
    text = "%s %s ago (%s)" % (what, _days(age), dr._when(when))
    if most is not None and age > most * DAY:
        return _check("last drill", FAILED, "%s: older than max_drill_age_days %d" % (text, most), name, kind,
                      dict(age_seconds=age))
    return _check("last drill", PASSED, text, name, kind, dict(age_seconds=age))


def _days(seconds):
    if seconds is None:
        return "-"
    return "%.1f days" % (seconds / float(DAY)) if seconds >= DAY else dr.duration_text(seconds)


def _source_check(vm, thresholds):
    if vm.get("source_gone") is None:
        return _check("source VM", SKIPPED, "the vCenter inventory was not read", vm.get("name"), "vm")
    if not vm.get("source_gone"):
        return _check("source VM", PASSED, "in vCenter", vm.get("name"), "vm")
    status = WARNING if thresholds.get("allow_source_gone") else FAILED
    return _check("source VM", status, "the source VM is gone: %s" % (vm.get("source_gone_reason") or "not in vCenter"),
                  vm.get("name"), "vm")


_LOAD_STATUS = re.compile(r"_status$")


def _appliance_checks(appliance, as_of, thresholds):
    name = appliance.get("name")
    out = []
    health = appliance.get("health") or "unknown"
    errors = appliance.get("health_errors") or []
    bad = FAILED if not thresholds.get("allow_appliance_unhealthy") else WARNING
    status = PASSED if health == "Normal" and not errors else (bad if health == "Critical" else WARNING)
    message = "health %s" % health
    if errors:
        message += ": " + "; ".join(_error_text(e) for e in errors)
    beat = _age_seconds(as_of, appliance.get("last_heartbeat"))
    if beat is not None:
        message += "; last heartbeat %s ago" % dr.duration_text(beat)
    out.append(_check("appliance health", status, message, name, "appliance", dict(errors=errors)))
    load = appliance.get("load") or {}
    statuses = dict((k, v) for k, v in sorted(load.items()) if _LOAD_STATUS.search(k) and v)
    unhealthy = dict((k, v) for k, v in statuses.items() if v not in ("Healthy", "Normal"))
    text = ", ".join("%s %s" % (k.replace("_status", "").replace("_", " "), v) for k, v in statuses.items())
    if appliance.get("protected_item_count") is not None:
        text = "%d protected items; %s" % (appliance["protected_item_count"], text)
    if not statuses:
        out.append(_check("appliance load", SKIPPED, "the appliance reports no load", name, "appliance"))
    elif unhealthy:
        worst = bad if any(v == "Critical" for v in unhealthy.values()) else WARNING
        out.append(_check("appliance load", worst, text, name, "appliance", dict(load=load)))
    else:
        out.append(_check("appliance load", PASSED, text, name, "appliance", dict(load=load)))
    return out


def build(facts):
    """The posture report: every VM, plan and appliance with its checks, the drift, counts, the result."""
    facts = check_facts(facts)
    as_of = facts.get("as_of")
    thresholds = facts.get("thresholds") or {}
    newest = facts.get("newest_agent_version") or newest_version(
        [(v.get("agent") or {}).get("latest_version") for v in facts.get("vms") or []])
    vms = []
    for vm in sorted(facts.get("vms") or [], key=lambda v: (v.get("name") or "").lower()):
        target, source = _rpo_target_seconds(thresholds)
        checks = [_rpo_check(vm.get("rpo_seconds"), target, source, "vm", vm.get("name"), vm.get("progress")),
                  _health_check(vm, thresholds), _agent_check(vm, newest, thresholds),
                  _drill_check(vm.get("last_successful_test_failover_time"), as_of, thresholds, vm.get("name"), "vm"),
                  _source_check(vm, thresholds)]
        vms.append(dict(
            name=vm.get("name"), item_name=vm.get("item_name"), plan=vm.get("plan"), policy=vm.get("policy"),
            policy_frequency_minutes=vm.get("policy_frequency_minutes"),
            policy_retention_hours=vm.get("policy_retention_hours"), state=vm.get("state"), phase=vm.get("phase"),
            health=vm.get("health"), errors=vm.get("errors") or [],
            rpo_seconds=vm.get("rpo_seconds"), rpo_target_seconds=target, rpo_calculated_time=vm.get("rpo_calculated_time"),
            agent=vm.get("agent") or {}, appliance=vm.get("appliance"),
            last_successful_test_failover_time=vm.get("last_successful_test_failover_time"),
            drill_age_seconds=_age_seconds(as_of, vm.get("last_successful_test_failover_time"))
            if dr.parse_time(vm.get("last_successful_test_failover_time")) else None,
            source_gone=vm.get("source_gone"), source_gone_reason=vm.get("source_gone_reason"), checks=checks))
    by_name = dict((v["name"], v) for v in vms)
    plans = []
    for plan in sorted(facts.get("plans") or [], key=lambda p: (p.get("name") or "").lower()):
        members = [by_name[n] for n in plan.get("vms") or [] if n in by_name]
        rpos = [m["rpo_seconds"] for m in members if m["rpo_seconds"] is not None]
        targets = [m["rpo_target_seconds"] for m in members if m["rpo_target_seconds"] is not None]
        rpo, target = (max(rpos) if rpos else None), (min(targets) if targets else None)
        checks = [_rpo_check(rpo, target, "its strictest member's target", "plan", plan.get("name")),
                  _drill_check(plan.get("last_test_failover_time"), as_of, thresholds, plan.get("name"), "plan",
                               "last test failover of the plan")]
        worst = [m["name"] for m in members if any(c["status"] == FAILED for c in m["checks"])]
        checks.append(_check("members", FAILED if worst else PASSED,
                             ("failing: %s" % ", ".join(worst)) if worst else "%d VMs, none failing" % len(members),
                             plan.get("name"), "plan"))
        plans.append(dict(name=plan.get("name"), vms=list(plan.get("vms") or []), rpo_seconds=rpo,
                          rpo_target_seconds=target, last_test_failover_time=plan.get("last_test_failover_time"),
                          allowed_operations=plan.get("allowed_operations") or [], checks=checks))
    appliances = []
    for appliance in sorted(facts.get("appliances") or [], key=lambda a: (a.get("name") or "").lower()):
        appliances.append(dict(appliance, checks=_appliance_checks(appliance, as_of, thresholds)))
    drift = sorted(facts.get("drift") or [], key=lambda d: (d.get("name") or "").lower())
    scope = facts.get("scope") or {}
    if not (scope.get("folders") or scope.get("tags")):
        drift_check = _check("unprotected VMs in scope", SKIPPED, "no protected folders or tags given", "estate", "drift")
    elif drift:
        drift_check = _check("unprotected VMs in scope", WARNING if thresholds.get("allow_drift") else FAILED,
                             "not protected: %s" % ", ".join(str(d.get("name")) for d in drift), "estate", "drift",
                             dict(vms=drift))
    else:
        drift_check = _check("unprotected VMs in scope", PASSED, "every VM in %s is protected" % ", ".join(
            (scope.get("folders") or []) + (scope.get("tags") or [])), "estate", "drift")
    every = [c for v in vms for c in v["checks"]] + [c for p in plans for c in p["checks"]] + \
        [c for a in appliances for c in a["checks"]] + [drift_check]
    counts = dict((s, sum(1 for c in every if c["status"] == s)) for s in STATUSES)
    counts["total"] = len(every)
    rpos = [v["rpo_seconds"] for v in vms if v["rpo_seconds"] is not None]
    ages = [v["drill_age_seconds"] for v in vms if v["drill_age_seconds"] is not None]
    return dict(
        title=facts.get("title") or "DR posture", as_of=as_of, vault=facts.get("vault") or {}, scope=scope,
        thresholds=thresholds, newest_agent_version=newest, check_mode=bool(facts.get("check_mode")),
        result=FAILED if counts[FAILED] else (WARNING if counts[WARNING] else PASSED), counts=counts,
        max_rpo_seconds=max(rpos) if rpos else None, oldest_drill_age_seconds=max(ages) if ages else None,
        never_drilled=[v["name"] for v in vms if v["drill_age_seconds"] is None],
        over_rpo=[v["name"] for v in vms if v["checks"][0]["status"] == FAILED],
        agents_behind=[v["name"] for v in vms if v["checks"][2]["status"] in (WARNING, FAILED)],
        source_gone=[v["name"] for v in vms if v["source_gone"]],
        health_errors=sum(len(v["errors"]) for v in vms),
        vms=vms, plans=plans, appliances=appliances, drift=drift, drift_check=drift_check,
        failed_checks=["%s: %s: %s" % (c["target"], c["name"], c["message"]) for c in every if c["status"] == FAILED],
    )


# -- JSON ----------------------------------------------------------------------------------------------

to_json = dr.to_json


# -- JUnit XML -------------------------------------------------------------------------------------------

def to_junit(report):
    """One testsuite each for the VMs, the recovery plans, the appliances and the drift; one testcase per check.
    A warning is a passing testcase whose system-out starts with `warning:`."""
    suites = [("virtual machines", [c for v in report["vms"] for c in v["checks"]]),
              ("recovery plans", [c for p in report["plans"] for c in p["checks"]]),
              ("appliances", [c for a in report["appliances"] for c in a["checks"]]),
              ("drift", [report["drift_check"]])]
    counts = report["counts"]
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<testsuites name=%s tests="%d" failures="%d" skipped="%d" errors="0">' % (
               _xml_attr(report["title"]), counts["total"], counts[FAILED], counts[SKIPPED])]
    for name, cases in suites:
        out.append('  <testsuite name=%s tests="%d" failures="%d" skipped="%d" errors="0" time="0"%s>' % (
            _xml_attr(name), len(cases), sum(1 for c in cases if c["status"] == FAILED),
            sum(1 for c in cases if c["status"] == SKIPPED),
            (" timestamp=%s" % _xml_attr(report["as_of"])) if report.get("as_of") else ""))
        for check in cases:
            out.append('    <testcase classname=%s name=%s time="0">' % (
                _xml_attr("posture.%s" % check["target"]), _xml_attr(check["name"])))
            if check["status"] == FAILED:
                out.append('      <failure message=%s type="PostureCheckFailed">%s</failure>' % (
                    _xml_attr(check["message"][:500]), _xml_escape(check["message"])))
            elif check["status"] == SKIPPED:
                out.append('      <skipped message=%s/>' % _xml_attr(check["message"][:500]))
            else:
                out.append('      <system-out>%s%s</system-out>' % (
                    "warning: " if check["status"] == WARNING else "", _xml_escape(check["message"])))
            out.append('    </testcase>')
        out.append('  </testsuite>')
    out.append('</testsuites>')
    return "\n".join(out) + "\n"


# -- HTML --------------------------------------------------------------------------------------------------

CSS = dr.CSS + """
.badge.warning{background:#fef3c7;color:#92400e}
tr.failed td.name{border-left:4px solid #dc2626}tr.warning td.name{border-left:4px solid #f59e0b}
.errs{margin:4px 0 0;padding-left:18px}.errs li{margin:0 0 4px}
"""
_e = dr._e


def _worst(checks):
    statuses = [c["status"] for c in checks]
    for status in (FAILED, WARNING, PASSED):
        if status in statuses:
            return status
    return SKIPPED


def _errors_html(errors):
    if not errors:
        return ""
    items = []
    for e in errors:
        items.append("<li><b>%s</b> %s <code>%s</code>: %s%s%s</li>" % (
            _e(e.get("level")), _e(e.get("category") or ""), _e(e.get("code")), _e(e.get("message")),
            ("<br><span class='muted small'>Possible causes: %s</span>" % _e(e["possible_causes"]))
            if e.get("possible_causes") else "",
            ("<br><span class='small'>Recommended action: <b>%s</b></span>" % _e(e["recommended_action"]))
            if e.get("recommended_action") else ""))
    return "<ul class='errs'>%s</ul>" % "".join(items)


def _policy_html(vm):
    if not vm.get("policy"):
        return ""
    extra = []
    if vm.get("policy_frequency_minutes"):
        extra.append("points every %s min" % vm["policy_frequency_minutes"])
    if vm.get("policy_retention_hours") is not None:
        extra.append("kept %s h" % vm["policy_retention_hours"])
    return "<br><span class='muted small'>policy %s%s</span>" % (_e(vm["policy"]), _e(" (%s)" % ", ".join(extra) if extra else ""))


def _vm_rows(vms):
    out = ['<table><tr><th>VM</th><th>Plan</th><th>State</th><th class="num">RPO</th><th class="num">Target</th>'
           '<th>Health</th><th>Agent</th><th>Last drill</th><th>Checks</th></tr>']
    for vm in vms:
        agent = vm["agent"] or {}
        out.append('<tr class="%s"><td class="name"><b>%s</b><br><span class="muted small">%s</span></td><td>%s%s</td>'
                   '<td>%s<br><span class="muted small">%s</span></td><td class="num">%s</td><td class="num">%s</td>'
                   '<td>%s%s</td><td>%s</td><td>%s</td><td>%s</td></tr>' % (
                       _worst(vm["checks"]), _e(vm["name"]), _e(vm["appliance"] or ""), _e(vm["plan"] or "-"), _policy_html(vm),
                       _e(vm["state"] or "-"), _e(vm["phase"] or ""), _e(dr.duration_text(vm["rpo_seconds"])),
                       _e(dr.duration_text(vm["rpo_target_seconds"])), _e(vm["health"] or "-"),
                       _errors_html(vm["errors"]), _e(agent.get("version") or "-"),
                       _e(_days(vm["drill_age_seconds"]) + " ago" if vm["drill_age_seconds"] is not None else "never"),
                       dr._checks_list(vm["checks"])))
    out.append("</table>")
    return "\n".join(out)


def to_html(report):
    counts = report["counts"]
    vault = report.get("vault") or {}
    thresholds = report.get("thresholds") or {}
    out = ['<!DOCTYPE html>', '<html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           '<title>%s</title>' % _e(report["title"]), '<style>%s</style></head><body>' % CSS]
    out.append('<header><h1>%s %s</h1><div class="meta">Vault <b>%s</b> (%s) &middot; as of %s</div></header>' % (
        _e(report["title"]), dr._badge(report["result"]), _e(vault.get("name")), _e(vault.get("resource_group")),
        _e(dr._when(report.get("as_of")))))
    out.append("<main>")
    if report["failed_checks"]:
        out.append('<div class="err"><b>Failing:</b><br>%s</div>' % "<br>".join(_e(x) for x in report["failed_checks"]))
    cards = [("VMs", len(report["vms"]), ""), ("Plans", len(report["plans"]), ""),
             ("Max RPO", dr.duration_text(report["max_rpo_seconds"]), "bad" if report["over_rpo"] else ""),
             ("Oldest drill", _days(report["oldest_drill_age_seconds"]), ""),
             ("Never drilled", len(report["never_drilled"]), "bad" if report["never_drilled"] else "good"),
             ("Health errors", report["health_errors"], "bad" if report["health_errors"] else "good"),
             ("Not protected", len(report["drift"]), "bad" if report["drift"] else "good"),
             ("Source gone", len(report["source_gone"]), "bad" if report["source_gone"] else "good"),
             ("Checks failed", counts[FAILED], "bad" if counts[FAILED] else "good")]
    out.append('<div class="cards">%s</div>' % "".join(
        '<div class="card %s"><div class="v">%s</div><div class="l">%s</div></div>' % (css, _e(v), _e(label))
        for label, v, css in cards))
    out.append('<p class="small muted">Thresholds: %s</p>' % _e(", ".join(
        "%s %s" % (k, v) for k, v in sorted(thresholds.items()) if v is not None) or "none"))
    out.append('<section><h2>Virtual machines</h2>%s</section>' % _vm_rows(report["vms"]))
    if report["plans"]:
        out.append('<section><h2>Recovery plans</h2><table><tr><th>Plan</th><th class="num">RPO</th><th>Members</th>'
                   '<th>Checks</th></tr>')
        for plan in report["plans"]:
            out.append('<tr class="%s"><td class="name"><b>%s</b></td><td class="num">%s</td><td>%s</td><td>%s</td></tr>' % (
                _worst(plan["checks"]), _e(plan["name"]), _e(dr.duration_text(plan["rpo_seconds"])),
                _e(", ".join(str(v) for v in plan["vms"])), dr._checks_list(plan["checks"])))
        out.append("</table></section>")
    out.append('<section><h2>Appliances</h2><table><tr><th>Appliance</th><th>Version</th><th>Health</th>'
               '<th>Checks</th></tr>')
    for appliance in report["appliances"]:
        out.append('<tr class="%s"><td class="name"><b>%s</b></td><td>%s</td><td>%s%s</td><td>%s</td></tr>' % (
            _worst(appliance["checks"]), _e(appliance.get("name")), _e(appliance.get("version") or "-"),
            _e(appliance.get("health") or "-"), _errors_html(appliance.get("health_errors")),
            dr._checks_list(appliance["checks"])))
    out.append("</table></section>")
    out.append('<section><h2>Drift</h2>%s' % dr._checks_list([report["drift_check"]]))
    if report["drift"]:
        out.append('<table><tr><th>VM not protected</th><th>Folder</th><th>Tags</th></tr>%s</table>' % "".join(
            "<tr><td class='name'>%s</td><td>%s</td><td>%s</td></tr>" % (
                _e(d.get("name")), _e(d.get("folder") or "-"), _e(", ".join(d.get("tags") or []) or "-"))
            for d in report["drift"]))
    out.append("</section>")
    out.append("</main><footer>RPO: ASR's last computed RPO of each item (lastRpoInSeconds); a plan's is its worst "
               "member's. Last drill: the item's last successful test failover. Generated by dr.asr.posture_report."
               "</footer></body></html>")
    return "\n".join(out) + "\n"


RENDERERS = {"json": ("json", to_json), "junit": ("xml", to_junit), "html": ("html", to_html)}
