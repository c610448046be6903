# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The decisions of the dr.asr.protect role (controller side, pure: results in, facts out; no network).

    protect_requested       the protect_vms entries as dicts
    protect_input_problems  what the input needs besides its types (before anything is read or written)
    protect_wait            the waiting options of dr.asr.protected_item from the role's variables
    protect_selected        the VMs in the order asked, with their agent, host and per-VM settings
    protect_readiness_gate  which VMs dr.asr.readiness lets through, and why the others are skipped
    protect_credentials     the appliance's push-install credentials
    protect_mobility_vars   dr.asr.mobility_service role variables of a manual VM
    protect_agent_gate      which VMs have (or get) their Mobility service, and why the others are skipped
    protect_notes           `VM: reasons` lines of skipped or warned VMs
    protect_entries         the `vms` of the one dr.asr.protected_item run
    protect_results         what happened (or would happen) to each VM, from that run
    protect_unreported      the VMs whose item state no run reported (read with dr.asr.protected_item_info)
    protect_summary         protect_summary (with its table)
"""

from __future__ import annotations

import json
import posixpath
import re

#: the keys of a protect_vms entry: the role's own, and the per-VM options of dr.asr.protected_item
VM_KEYS = ("name", "agent", "host", "mobility_service", "appliance", "availability_set", "availability_zone", "disk_type",
           "disks", "license_type", "linux_license_type", "log_storage_account", "multi_vm_group", "nics", "policy",
           "proximity_placement_group", "run_as_account", "seed_disk_tags", "sql_server_license_type", "target_disk_tags",
           "target_network", "target_nic_tags", "target_resource_group", "target_subnet", "target_vm_name", "target_vm_size",
           "target_vm_tags", "test_network", "test_subnet")
ROLE_KEYS = ("name", "agent", "host", "mobility_service")
AGENTS = ("push", "manual", "preinstalled")
#: the dr.asr.mobility_service role variables a manual VM's host may set
MOBILITY_KEYS = ("mobility_service_state", "mobility_service_experience", "mobility_service_installer",
                 "mobility_service_installer_remote_path", "mobility_service_installer_url",
                 "mobility_service_installer_checksum", "mobility_service_remote_dir", "mobility_service_install_dir",
                 "mobility_service_config_json", "mobility_service_cs_endpoint", "mobility_service_cs_port",
                 "mobility_service_passphrase", "mobility_service_passphrase_path", "mobility_service_lab",
                 "mobility_service_lab_vault_id", "mobility_service_windows_installer",
                 "mobility_service_windows_installer_remote_path", "mobility_service_os_family")
NON_NEGATIVE = ("protect_wait_timeout", "protect_wait_round_seconds", "protect_wait_sleep", "protect_appliance_wait_timeout",
                "protect_enable_timeout")


def protect_requested(protect_vms):
    """The protect_vms entries as dicts: a name becomes {name}."""
    return [vm if isinstance(vm, dict) else {"name": str(vm)} for vm in protect_vms or []]


_requested = protect_requested


def _vm_filter(vm_filter):
    return dict((k, v) for k, v in (vm_filter or {}).items() if v is not None)


def _truncate(text, length=110, end="...", leeway=5):
    """Jinja's truncate: at a word boundary, with its default leeway."""
    text = str(text)
    if len(text) <= length + leeway:
        return text
    return text[:length - len(end)].rsplit(" ", 1)[0] + end


# -- input and selection --------------------------------------------------------------------------------------------

def protect_input_problems(protect_vms, vm_filter=None, target_network="", test_network="", numbers=None):
    """Everything wrong with the input that the argument spec cannot say: one of protect_vms and protect_vm_filter,
    every entry named once with known keys, an agent of push/manual/preinstalled, a test network that is not the
    recovery network, no negative timeouts (`numbers`: variable name -> value)."""
    requested = _requested(protect_vms)
    problems = []
    if bool(protect_vms) == bool(_vm_filter(vm_filter)):
        problems.append("set one of protect_vms (a list of VMs) and protect_vm_filter (a vCenter filter), not %s"
                        % ("both" if protect_vms else "neither"))
    for i, vm in enumerate(requested):
        name = vm.get("name")
        if not isinstance(name, str) or not name:
            problems.append("protect_vms[%d] has no name: %s" % (i, json.dumps(vm, default=str)))
            continue
        unknown = [k for k in vm if k not in VM_KEYS]
        if unknown:
            problems.append("protect_vms[%d] (%s): unknown key(s) %s; valid: %s" % (
                i, name, ", ".join(unknown), ", ".join(sorted(VM_KEYS))))
        if "agent" in vm and vm["agent"] not in AGENTS:
            problems.append("protect_vms[%d] (%s): agent %s is none of push, manual, preinstalled" % (i, name, vm["agent"]))
        if "mobility_service" in vm and not isinstance(vm["mobility_service"], dict):
            problems.append("protect_vms[%d] (%s): mobility_service must be a dict" % (i, name))
    names = [vm["name"] for vm in requested if isinstance(vm.get("name"), str) and vm["name"]]
    for name in sorted(set(n for n in names if names.count(n) > 1), key=names.index):
        problems.append("protect_vms names %s more than once" % name)
    for vm in requested or [{"name": "every VM"}]:
        target = str(vm.get("target_network", target_network) or "")
        test = str(vm.get("test_network", test_network) or "")
        if test and posixpath.basename(target).lower() == posixpath.basename(test).lower():
            problems.append("%s: the test network %s is the recovery network %s; test failovers need another network "
                            "(protect_test_network)" % (vm.get("name"), test, target))
    for var in NON_NEGATIVE:
        if int((numbers or {}).get(var) or 0) < 0:
            problems.append("%s cannot be negative" % var)
    return problems


def protect_wait(wait_timeout, enable_timeout=3600, round_seconds=0, sleep=0):
    """The waiting options of the dr.asr.protected_item run: wait until protected within `wait_timeout` (enabling,
    push installation and initial replication), or - `wait_timeout` 0 - until enabled within `enable_timeout`; in
    rounds of `round_seconds` (0: 60; at least the timeout / 100: at most about 100 rounds), polling every `sleep`
    seconds (0: 15)."""
    wait_timeout = int(wait_timeout or 0)
    timeout = wait_timeout if wait_timeout > 0 else int(enable_timeout or 0)
    return dict(wait="protected" if wait_timeout > 0 else "enabled", wait_timeout=timeout,
                wait_round=max(int(round_seconds or 0) or 60, -(-timeout // 100), 1), wait_sleep=int(sleep or 0) or 15)


def protect_selected(protect_vms, source_vms, hosts=None, hostvars=None, agent="push"):
    """{vms, missing, hostless}: the VMs vCenter found, in the order asked (protect_vms) or by name (a filter), each
    {name, guest_family, power_state, agent, host, mobility_service, overrides}; the names asked for that vCenter does
    not have; manual VMs without a host (in `hosts`, by their protect_vm_name host var, else the host's name)."""
    requested = _requested(protect_vms)
    found = dict((v["name"], v) for v in source_vms or [])
    if requested:
        entries = []
        for name in _unique(r["name"] for r in requested):
            entries.append(next(r for r in requested if r["name"] == name))
    else:
        entries = [{"name": name} for name in sorted(found)]
    machines = {}
    for host in hosts or []:
        values = (hostvars or {}).get(host) or {}
        machines.setdefault(values["protect_vm_name"] if "protect_vm_name" in values else host, []).append(host)
    vms = []
    for entry in entries:
        if entry["name"] not in found:
            continue
        kind = entry.get("agent", agent)
        matching = machines.get(entry["name"]) or []
        vms.append(dict(name=entry["name"], guest_family=found[entry["name"]].get("guest_family"),
                        power_state=found[entry["name"]].get("power_state"), agent=kind,
                        host=entry["host"] if "host" in entry else (matching[0] if kind == "manual" and matching else None),
                        mobility_service=entry.get("mobility_service") or {},
                        overrides=dict((k, v) for k, v in entry.items() if k not in ROLE_KEYS)))
    return dict(vms=vms, missing=[r["name"] for r in requested if r["name"] not in found],
                hostless=[v["name"] for v in vms if v["agent"] == "manual" and v["host"] is None])


def _unique(values):
    out = []
    for value in values:
        if value not in out:
            out.append(value)
    return out


def protect_readiness_gate(vms, readiness=None, blocking=None):
    """Each VM with its readiness (result, failed and warning rule ids): `ready` unless a rule failed or one of the
    `blocking` warnings warned (or dr.asr.readiness did not find it), and the reasons of a VM that is skipped."""
    results = dict((r["name"], r) for r in readiness or [])
    blocking = list(blocking or [])
    out = []
    for vm in vms or []:
        r = results.get(vm["name"]) or {"result": "unknown", "failed": [], "warnings": [], "checks": []}
        hit = [w for w in r.get("warnings") or [] if w in blocking]
        failed = list(r.get("failed") or [])
        reasons = ["%s%s: %s" % (c["rule_id"], "" if c.get("status") == "fail" else " (warning)",
                                 re.sub(r"\.$", "", c.get("message") or ""))
                   for c in r.get("checks") or [] if c["rule_id"] in failed or c["rule_id"] in hit]
        unknown = r.get("result") == "unknown"
        if unknown:
            reasons.append("readiness: not checked (not found by dr.asr.readiness)")
        out.append(dict(vm, readiness=r.get("result"), failed_rules=failed, warning_rules=list(r.get("warnings") or []),
                        ready=not unknown and not failed and not hit, skipped=unknown or bool(failed) or bool(hit),
                        reasons=reasons))
    return out


# -- the Mobility service ------------------------------------------------------------------------------------------

def protect_credentials(appliances):
    """The push-install credentials of the appliances the VMs may replicate through (`appliances`: the one named, or
    every appliance when dr.asr.protected_item picks the least loaded), one per name and type: each appliance adds its
    own, and dr.asr.protected_item takes the credential of that name on the appliance it enables the VM through."""
    out, seen = [], set()
    for appliance in appliances or []:
        for c in (appliance or {}).get("run_as_accounts") or []:
            key = ((c.get("name") or "").lower(), c.get("credential_type"))
            if c.get("credential_type") != "VMwareFabric" and key not in seen:
                seen.add(key)
                out.append(c)
    return out


def protect_mobility_vars(defaults, host_vars=None, own=None):
    """A manual VM's dr.asr.mobility_service variables: protect_mobility_service, then its host's mobility_service_*
    host vars, then the VM's own `mobility_service`."""
    out = dict(defaults or {})
    out.update((k, host_vars[k]) for k in MOBILITY_KEYS if host_vars is not None and k in host_vars)
    out.update(own or {})
    return out


def protect_agent_gate(vms, discovered=None, manual=None, credentials=None, vault_name="", vault_resource_group="",
                       vault_new=False, check_mode=False, run_as_account=""):
    """Each VM with how it gets its Mobility service: a ready VM is skipped (with the reason) when the appliance has
    not discovered it, a push has no credential to use, a manual agent is not registered with this vault's appliance,
    or a preinstalled one is not; `protected_before` (the vault protects it already), `run_as_account` of a push,
    `predict_enable` (check mode: a manual agent this run registers) and the agent's `agent_config_input`."""
    found = dict((d["name"], d) for d in discovered or [])
    suffix = ("/resourcegroups/%s/providers/microsoft.recoveryservices/vaults/%s" % (vault_resource_group, vault_name)).lower()
    out = []
    for vm in vms or []:
        reasons = list(vm.get("reasons") or [])
        d = found.get(vm["name"])
        ms = (manual or {}).get(vm["name"]) or {}
        ms_here = bool(ms.get("registered")) and ((ms.get("registration") or {}).get("vault_id") or "").lower().endswith(suffix)
        run_as = vm.get("overrides", {}).get("run_as_account", run_as_account)
        kind = "WindowsServer" if vm.get("guest_family") == "windows" else "LinuxServer"
        candidates = [c["name"] for c in credentials or [] if c.get("credential_type") == kind]
        if vm["agent"] == "push" and not run_as and len(candidates) == 1:
            run_as = candidates[0]
        protected = bool(d and d.get("protected"))
        registered = bool(d and d.get("agent_registered"))
        if vm.get("ready"):
            if not vault_new and d is None:
                reasons.append("not discovered by the replication appliance (yet): discovery runs on the schedule of the "
                               "appliance; rerun later")
            elif protected:
                pass
            elif vm["agent"] == "push" and not run_as and not vault_new:
                reasons.append("agent push: the appliance has %d %s credential(s)%s; set protect_run_as_account (or "
                               "run_as_account of the VM)" % (len(candidates), kind,
                                                              (" (%s)" % ", ".join(candidates)) if candidates else ""))
            elif vm["agent"] == "manual" and not (registered or (check_mode and ms_here)):
                reasons.append("agent manual: the Mobility service on %s is %s but not registered with the appliance of "
                               "vault %s; set mobility_service_config_json to the config.json the Configuration Manager "
                               "of the appliance issues for it (Agent Config Input: %s) and rerun" % (
                                   vm.get("host"), "installed" if ms.get("installed") else "not installed", vault_name,
                                   ms.get("agent_config_input") or "unknown"))
            elif vm["agent"] == "preinstalled" and not registered:
                reasons.append("agent preinstalled: no Mobility service on this VM is registered with the appliance of "
                               "vault %s%s; install and register one (agent manual) or let the appliance push it (agent "
                               "push)" % (vault_name, " (a vault that does not exist yet)" if vault_new else ""))
        out.append(dict(vm, skipped=bool(reasons), reasons=reasons, protected_before=protected,
                        predict_enable=bool(check_mode and vm["agent"] == "manual" and not protected and not registered
                                            and ms_here),
                        run_as_account=run_as if vm["agent"] == "push" and run_as else None,
                        agent_config_input=ms.get("agent_config_input")))
    return out


def protect_notes(vms, which="not_ready", blocking=None):
    """`VM: reasons` lines: of the VMs readiness skips (`not_ready`), the ready VMs skipped for their agent or discovery
    (`agent`), or the ready VMs protected despite warnings (`warned`: their warning rule ids)."""
    lines = []
    for vm in vms or []:
        if which == "not_ready" and not vm.get("ready"):
            lines.append("%s: %s" % (vm["name"], "; ".join(vm.get("reasons") or [])))
        elif which == "agent" and vm.get("ready") and vm.get("skipped"):
            lines.append("%s: %s" % (vm["name"], "; ".join(vm.get("reasons") or [])))
        elif which == "warned" and vm.get("ready") and vm.get("warning_rules"):
            lines.append("%s: %s" % (vm["name"], ", ".join(vm["warning_rules"])))
    return lines


# -- replication ----------------------------------------------------------------------------------------------------

def protect_entries(vms, defaults=None, settings=None):
    """The `vms` of dr.asr.protected_item: every VM not skipped (nor predicted, see protect_agent_gate) with the role's
    settings (empty ones left out), protect_settings, then its own overrides, its name and its push credential."""
    base = dict((k, v) for k, v in (defaults or {}).items() if v not in ("", {}, None))
    base.update(settings or {})
    out = []
    for vm in vms or []:
        if vm.get("skipped") or vm.get("predict_enable"):
            continue
        entry = dict(base, **(vm.get("overrides") or {}))
        entry["name"] = vm["name"]
        if vm.get("run_as_account"):
            entry["run_as_account"] = vm["run_as_account"]
        out.append(entry)
    return out


def _module_state(result):
    """The module result a task result stands for: a timed-out wait's `partial`, the result, or None."""
    if not isinstance(result, dict) or result.get("skipped"):
        return None
    if isinstance(result.get("partial"), dict) and "vms" in result["partial"]:
        return result["partial"]
    return result if "vms" in result else None


def _none(action, changed):
    return dict(action=action, changed=changed, state=None, phase=None, progress=None, error=None, item=None, disks=None)


def protect_results(vms, result=None, predict=False):
    """What happened (or would happen) to each VM: {vms: {name: {action, changed, state, phase, progress, error, item,
    disks}}, pending (enabled, not protected yet), disk_vms (the disks step's VMs), enabled, replicating (already,
    action none/update/attach), failed [[name, message]], timed_out, rounds}. `result`: the dr.asr.protected_item task's (None/skipped: not run); `predict`: the
    run could not plan (check mode against a vault or policy to be created): VMs not protected are predicted enabled."""
    out = {}
    state = _module_state(result)
    ran = isinstance(result, dict) and not result.get("skipped")
    if predict:
        for vm in vms or []:
            if not vm.get("skipped"):
                out[vm["name"]] = _none("none" if vm.get("protected_before") else "enable", not vm.get("protected_before"))
    else:
        if state is not None:
            for v in state.get("vms") or []:
                out[v["name"]] = dict(action=v.get("action"), changed=bool(v.get("changed")), state=v.get("state"),
                                      phase=v.get("phase"), progress=v.get("progress"), error=v.get("error"),
                                      item=v.get("item"), disks=v.get("disks"))
        elif ran and (result.get("failed") or result.get("msg") or isinstance(result.get("error"), dict)):
            # the task says failed_when: false (its `failed` is then false): the module's error or message says it
            error = result.get("error") or {"message": result.get("msg") or "unknown error"}
            for entry in protect_entries(vms):
                out[entry["name"]] = dict(_none("failed", False), error=error)
        for vm in vms or []:
            if not vm.get("skipped") and vm.get("predict_enable"):
                out[vm["name"]] = _none("enable", True)
    timed_out = ran and (result.get("error") or {}).get("kind") == "timeout"
    pending = [] if predict else [n for n, r in out.items() if not r["error"] and r["phase"] != "protected"]
    # the disks step (dr.asr.protected_item_disks): protected VMs this run did not enable whose disks differ from
    # vCenter's, or were not compared (the item's details were not read)
    disk_vms = [n for n, r in out.items() if r["phase"] == "protected" and not r["error"] and r["action"] != "enable"
                and not (r.get("disks") or {}).get("in_sync")]
    return dict(vms=out, pending=pending, timed_out=bool(timed_out), rounds=int(result.get("rounds") or 1) if ran else 0,
                disk_vms=disk_vms, enabled=[n for n, r in out.items() if r["action"] == "enable"],
                replicating=[n for n, r in out.items() if r["action"] in ("none", "update", "attach")],
                failed=[[n, (r["error"] or {}).get("message")] for n, r in out.items() if r["error"]])


def protect_unreported(vms, results=None):
    """The VMs the vault protects already (by discovery) whose state no dr.asr.protected_item result reports: VMs
    skipped by the gates, and VMs whose action was only predicted."""
    reported = (results or {}).get("vms") or {}
    return [vm["name"] for vm in vms or [] if vm.get("protected_before") and not (reported.get(vm["name"]) or {}).get("item")]


# -- the summary ------------------------------------------------------------------------------------------------------

def protect_summary(vms, results=None, items=None, vault=None, policy=None, failback_policy=None, check_mode=False,
                    changed=False, wait=None, blocking=None):
    """protect_summary: every selected VM (readiness, agent, action, state, progress, health, RPO, note), the VMs
    protected, replicating, to enable, skipped (with reasons) and failed, whether anything changed (`changed`: the
    vault, policies or an agent did), the wait and a table for people. `items`: dr.asr.protected_item_info's items of
    the VMs no result reports (protect_unreported)."""
    reported = (results or {}).get("vms") or {}
    pending = set((results or {}).get("pending") or [])
    listed = dict((i.get("vm_name"), i) for i in items or [])
    blocking = list(blocking or [])
    out = []
    for vm in vms or []:
        r = reported.get(vm["name"]) or {}
        item = listed.get(vm["name"]) or r.get("item") or {}
        hit = [w for w in vm.get("warning_rules") or [] if w in blocking]
        if vm.get("skipped"):
            note = ("readiness: " + ", ".join(list(vm.get("failed_rules") or []) + hit)) if not vm.get("ready") else \
                (vm.get("reasons") or [""])[0]
        elif r.get("error"):
            note = "error: " + str(r["error"].get("message"))
        elif vm.get("warning_rules"):
            note = "warnings: " + ", ".join(vm["warning_rules"])
        else:
            note = ""
        phase = r["phase"] if "phase" in r else item.get("phase")
        out.append(dict(
            name=vm["name"], readiness=vm.get("readiness"), failed_rules=vm.get("failed_rules") or [],
            warning_rules=vm.get("warning_rules") or [], agent=vm.get("agent"), host=vm.get("host"),
            run_as_account=vm.get("run_as_account"), skipped=bool(vm.get("skipped")), reasons=vm.get("reasons") or [],
            agent_config_input=vm.get("agent_config_input"),
            action="skip" if vm.get("skipped") else ("failed" if r.get("error") else (r.get("action") or "none")),
            changed=bool(r.get("changed")), error=r.get("error"),
            state=item["state"] if "state" in item else r.get("state"), phase=phase,
            progress=100 if phase == "protected" else (item["progress"] if "progress" in item else r.get("progress")),
            health=item.get("health"), rpo_seconds=item.get("rpo_seconds"), item_name=item.get("name"), note=note))
    summary = dict(
        vault=dict(name=(vault or {}).get("name"), resource_group=(vault or {}).get("resource_group"),
                   id=(vault or {}).get("id")),
        policy=policy, failback_policy=failback_policy, check_mode=bool(check_mode),
        changed=bool(changed) or any(v["changed"] for v in out), wait=dict(wait or {"rounds": 0, "seconds": 0}), vms=out,
        protected=[v["name"] for v in out if v["phase"] == "protected"],
        replicating=[v["name"] for v in out if not v["skipped"] and not v["error"] and v["phase"] != "protected" and
                     (v["phase"] is not None or v["name"] in pending)],
        to_enable=[v["name"] for v in out if v["action"] == "enable"],
        skipped=[dict(name=v["name"], reasons=v["reasons"]) for v in out if v["skipped"]],
        failed=[v["name"] for v in out if v["error"]])
    header = dict(name="VM", readiness="READINESS", agent="AGENT", action="ACTION", state="STATE", progress="PROGRESS",
                  note="NOTE")
    rows = [header] + [dict(name=v["name"], readiness=v["readiness"], agent=v["agent"],
                            action=("would " + v["action"]) if check_mode and v["action"] in ("enable", "update") else v["action"],
                            state=v["state"] or "-", progress=("%d%%" % v["progress"]) if v["progress"] is not None else "-",
                            note=_truncate(v["note"])) for v in out]
    columns = ["name", "readiness", "agent", "action", "state", "progress", "note"]
    widths = dict((c, max(len(str(row[c])) for row in rows)) for c in columns)
    lines = [" | ".join("%-*s" % (widths[c], row[c]) for c in columns).strip() for row in rows]
    lines.append("%d VMs: %d protected, %d replicating, %d skipped, %d failed%s" % (
        len(out), len(summary["protected"]), len(summary["replicating"]), len(summary["skipped"]), len(summary["failed"]),
        ("; check mode: would enable %d (%s)" % (len(summary["to_enable"]), ", ".join(summary["to_enable"]) or "none"))
        if check_mode else ""))
    summary["table"] = lines
    return summary


def protect_disks(result=None, check_mode=False):
    """What the disk reconciliation (dr.asr.protected_item_disks) did or would do: {vms: {name: {added: [disk],
    removed_in_vcenter: [disk], action, changed, error}}, changed: [names], failed: [[name, message]], lines: [text]}.
    `result`: the task's (None/skipped: not run); `check_mode`: the additions were only predicted."""
    out, lines = {}, []
    if not isinstance(result, dict) or result.get("skipped"):
        return dict(vms=out, changed=[], failed=[], lines=lines)
    for entry in result.get("protected_items") or []:
        diff = entry.get("diff") or {}
        before = set(d.get("id") for d in (diff.get("before") or {}).get("disks") or [] if d.get("protected"))
        added = [d.get("name") or d.get("id") for d in (diff.get("after") or {}).get("disks") or []
                 if d.get("protected") and d.get("id") not in before]
        gone = [w for w in entry.get("warnings") or [] if "no longer has" in w]
        out[entry.get("name")] = dict(added=added, removed_in_vcenter=gone, action=entry.get("action"),
                                      changed=bool(entry.get("changed")), error=entry.get("error"))
        if added:
            lines.append("%s: %s disk(s) %s" % (entry.get("name"), "would add" if check_mode else "added",
                                                ", ".join(str(a) for a in added)))
        lines.extend(gone)
        if entry.get("error"):
            lines.append("%s: disks not reconciled: %s" % (entry.get("name"), entry["error"].get("message")))
    if not out and (result.get("failed") or result.get("msg")):
        lines.append("disks not reconciled: %s" % ((result.get("error") or {}).get("message") or result.get("msg")))
    return dict(vms=out, changed=[n for n, v in out.items() if v["changed"]],
                failed=[[n, (v["error"] or {}).get("message")] for n, v in out.items() if v["error"]], lines=lines)


class FilterModule(object):
    """The dr.asr.protect role's decisions."""

    def filters(self):
        return dict(protect_requested=protect_requested, protect_input_problems=protect_input_problems, protect_wait=protect_wait,
                    protect_selected=protect_selected, protect_readiness_gate=protect_readiness_gate,
                    protect_credentials=protect_credentials, protect_mobility_vars=protect_mobility_vars,
                    protect_agent_gate=protect_agent_gate, protect_notes=protect_notes, protect_entries=protect_entries,
                    protect_results=protect_results, protect_unreported=protect_unreported,
                    protect_summary=protect_summary, protect_disks=protect_disks)
