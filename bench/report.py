"""The results as Markdown: one summary table per size, then the requests of each step by verb and resource type."""

ORDER = ("protect", "rerun", "drill", "failover", "failback")


def _num(value, fmt="%.1f"):
    if value is None:
        return "-"
    if isinstance(value, int):
        return str(value)
    return fmt % value


def _ratio(a, b):
    if a is None or b in (None, 0):
        return "-"
    return "%.2f" % (a / float(b))


def _short_type(rtype):
    rtype = rtype.replace("Microsoft.RecoveryServices/vaults/replicationFabrics/replicationProtectionContainers/", "RS/.../")
    rtype = rtype.replace("Microsoft.RecoveryServices/vaults/", "RS/vaults/")
    return rtype.replace("Microsoft.RecoveryServices/", "RS/")


def _get(step, *path):
    for key in path:
        if step is None:
            return None
        step = step.get(key)
    return step


def _seconds(ms):
    return None if ms is None else ms / 1000.0


def summary_rows(size):
    """One row per scenario: the numbers of the summary table (also what the top-level README shows)."""
    rows = []
    for name in ORDER:
        data = size["scenarios"].get(name)
        if not data:
            continue
        c, b = data.get("collection"), data.get("baseline")
        lb = data.get("lower_bound_seconds")
        rows.append({
            "scenario": name, "vms": size.get("vms"),
            "wall": _get(c, "wall_seconds"), "lb": lb, "baseline_wall": _get(b, "wall_seconds"),
            "in_requests": _seconds(_get(c, "requests", "server_ms_total")),
            "baseline_in_requests": _seconds(_get(b, "requests", "server_ms_total")),
            "arm": _get(c, "requests", "arm"), "arm_per_vm": _get(c, "requests", "per_vm"),
            "baseline_arm": _get(b, "requests", "arm"), "baseline_per_vm": _get(b, "requests", "per_vm"),
            "throttled": _get(c, "requests", "throttled_429"), "baseline_throttled": _get(b, "requests", "throttled_429"),
            "modules": _get(c, "processes"), "cpu": _get(c, "cpu_seconds"), "baseline_cpu": _get(b, "cpu_seconds"),
            "rss": _get(c, "peak_tree_rss_mib"), "baseline_rss": _get(b, "peak_tree_rss_mib"),
            "ok": all(x.get("rc") == 0 for x in (c, b) if x)})
    return rows


def summary_table(data):
    lines = ["| VMs | scenario | wall s (in lab requests) | lower bound s | wall / LB | baseline wall s (in lab requests) "
             "| baseline / LB | ARM requests (per VM) | baseline requests (per VM) | 429s (baseline) | module runs "
             "| CPU s (baseline) | peak MiB (baseline) |",
             "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for size in data["sizes"]:
        for r in summary_rows(size):
            lines.append("| %s | %s%s | %s (%s) | %s | %s | %s (%s) | %s | %s (%s) | %s (%s) | %s (%s) | %s | %s (%s) | %s (%s) |" % (
                r["vms"], r["scenario"], "" if r["ok"] else " (failed)", _num(r["wall"]), _num(r["in_requests"]), _num(r["lb"]),
                _ratio(r["wall"], r["lb"]), _num(r["baseline_wall"]), _num(r["baseline_in_requests"]),
                _ratio(r["baseline_wall"], r["lb"]),
                _num(r["arm"]), _num(r["arm_per_vm"]), _num(r["baseline_arm"]), _num(r["baseline_per_vm"]),
                _num(r["throttled"]), _num(r["baseline_throttled"]), _num(r["modules"]), _num(r["cpu"]),
                _num(r["baseline_cpu"]), _num(r["rss"], "%.0f"), _num(r["baseline_rss"], "%.0f")))
    return "\n".join(lines)


def _operations(step, limit=12):
    ops = _get(step, "requests", "by_operation") or {}
    return sorted(ops.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]


def markdown(data):
    out = ["# dr.asr benchmark: %s" % data["name"], ""]
    host = data.get("host") or {}
    out.append("Host: %s CPUs, %s, Python %s, %s; load average at the end %s. **Other labs ran on this machine at the "
               "same time**: wall times depend on that load; request counts and CPU times do not (much)."
               % (host.get("cpus"), host.get("platform"), host.get("python"), host.get("ansible"), host.get("loadavg")))
    out.append("")
    out.append("How to read this: bench/README.md. LB = lower bound (critical path of the simulated ASR jobs, in real "
               "seconds at the lab's time scale); baseline = one VM at a time through the Azure SDK, a GET per VM per "
               "poll (bench/baseline.py). ARM requests exclude token and metadata requests (listed per step below). "
               "\"in lab requests\" = seconds the client spent waiting on the simulator's answers (sum of the request "
               "durations, injected latency included): the lab runs a job's side effects (vCenter power operations, "
               "Azure VMs, NICs, disks of every VM) inside the request that brings the job up to date, which at 100+ "
               "VMs takes real seconds that are the simulator's, not the orchestrator's.")
    out.append("")
    out.append("## Summary")
    out.append("")
    out.append(summary_table(data))
    out.append("")
    for size in data["sizes"]:
        s = size.get("settings") or {}
        out.append("## %s VMs" % size.get("vms"))
        out.append("")
        out.append("vCenter inventory: %s generated VMs (the first %s that pass readiness are used), %s recovery plan(s); "
                   "lab time scale %s, ARM latency %s ms per call, initial replication %s lab s/GB; playbooks poll every "
                   "%s s, the baseline every %s s; run took %s s."
                   % (size.get("vcenter_vms"), size.get("vms"), size.get("plans"), s.get("time_scale"),
                      "-".join("%g" % x for x in s.get("latency_ms") or []) or "no", s.get("initial_replication_per_gb"),
                      s.get("wait_sleep"), s.get("baseline_poll"), size.get("seconds")))
        out.append("")
        for note in size.get("notes") or []:
            out.append("* %s" % note)
        if size.get("notes"):
            out.append("")
        for name in ORDER:
            scen = size["scenarios"].get(name)
            if not scen:
                continue
            out.append("### %s" % name)
            out.append("")
            out.append("| | collection | baseline |")
            out.append("| --- | ---: | ---: |")
            c, b = scen.get("collection"), scen.get("baseline")
            rows = (("exit code", "rc", None), ("wall s", "wall_seconds", None), ("lab s elapsed", "lab_seconds", None),
                    ("CPU s (user+sys, with children)", "cpu_seconds", None),
                    ("peak RSS of the process tree, MiB", "peak_tree_rss_mib", None),
                    ("largest single process RSS, MiB", "max_rss_mib", None),
                    ("simulator CPU s", "sim_cpu_seconds", None),
                    ("ms waiting on lab requests (sum of their durations)", "requests", "server_ms_total"),
                    ("load avg 1 min before/after", "loadavg_1m_before_after", None),
                    ("ARM requests", "requests", "arm"), ("per VM", "requests", "per_vm"),
                    ("token + metadata requests", None, None), ("429 received", "requests", "throttled_429"),
                    ("5xx received", "requests", "errors_5xx"), ("processes (module runs / scripts)", "processes", None),
                    ("lower bound, lab s", "lower_bound", "lab_seconds"))
            for label, key, sub in rows:
                if key is None:
                    vals = [(_get(x, "requests", "identity") or 0) + (_get(x, "requests", "metadata") or 0) if x else None
                            for x in (c, b)]
                else:
                    vals = [_get(x, key, sub) if sub else _get(x, key) for x in (c, b)]
                out.append("| %s | %s | %s |" % (label, _num(vals[0]) if not isinstance(vals[0], list) else vals[0],
                                                 _num(vals[1]) if not isinstance(vals[1], list) else vals[1]))
            lb = _get(c, "lower_bound") or {}
            out.append("")
            out.append("Lower bound %s lab s = %s real s (parts, collection run: %s; jobs: %s)."
                       % (_num(scen.get("lower_bound_lab_seconds")), _num(scen.get("lower_bound_seconds")),
                          lb.get("parts"), lb.get("jobs")))
            modules = _get(c, "ansible", "by_action") or {}
            runs = ", ".join("%s %d (%.0f s)" % (k, v["executions"], v["seconds"])
                             for k, v in sorted(modules.items()) if not v.get("controller") and v["executions"])
            if runs:
                out.append("")
                out.append("Module runs: %s." % runs)
            for label, step in (("collection", c), ("baseline", b)):
                ops = _operations(step)
                if ops:
                    out.append("")
                    out.append("Requests, %s: %s." % (label, "; ".join("%d %s" % (n, _short_type(k)) for k, n in ops)))
            out.append("")
    return "\n".join(out) + "\n"
