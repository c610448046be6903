"""The results as Markdown: one summary table per size, the controller's overhead against its goal, the comparison
with an earlier result file (`--compare`), then the requests of each step by verb and resource type."""

ORDER = ("protect", "rerun", "drill", "failover", "failback")
KINDS = ("collection", "baseline")
#: issue 14: the controller's overhead (wall time minus the lower bound) of every step, at every size, at most this
OVERHEAD_GOAL_SECONDS = 15.0


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


def overhead(step, lb_seconds):
    """The controller's overhead of one step (a collection or baseline run): wall time minus the scenario's lower bound
    (real s), and the part of the wall time spent inside lab requests (the simulator's answers, injected ARM latency
    included) apart. `outside_lab_requests` = overhead minus that part: what the client spent on its own (process
    start-ups, CPU, sleeping between polls); it can be below zero when requests ran while the jobs of the lower bound
    ran anyway. None when the step failed or has no bound."""
    wall = _get(step, "wall_seconds")
    if wall is None or lb_seconds is None or _get(step, "rc") != 0:
        return None
    over = wall - lb_seconds
    inside = _seconds(_get(step, "requests", "server_ms_total"))
    return {"seconds": round(over, 2), "in_lab_requests_seconds": None if inside is None else round(inside, 2),
            "outside_lab_requests_seconds": None if inside is None else round(over - inside, 2),
            "goal_seconds": OVERHEAD_GOAL_SECONDS, "goal_met": over <= OVERHEAD_GOAL_SECONDS}


def _overhead(step, scen):
    """A step's overhead as saved, else computed (result files written before the overhead was saved)."""
    if not step:
        return None
    return step.get("overhead") or overhead(step, scen.get("lower_bound_seconds"))


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
            "overhead": _overhead(c, data), "baseline_overhead": _overhead(b, data),
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


def _goal(over):
    if not over:
        return "-"
    return "yes" if over["goal_met"] else "**no**"


def overhead_table(data):
    """Per step: wall - lower bound = the controller's overhead, its part inside lab requests apart, against the goal."""
    lines = ["| VMs | scenario | wall s | lower bound s | overhead s (wall - LB) | of which in lab requests s "
             "| outside lab requests s | overhead <= %g s | baseline overhead s (in lab requests) |"
             % OVERHEAD_GOAL_SECONDS,
             "| ---: | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |"]
    for size in data["sizes"]:
        for r in summary_rows(size):
            o, bo = r["overhead"] or {}, r["baseline_overhead"] or {}
            lines.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s (%s) |" % (
                r["vms"], r["scenario"], _num(r["wall"]), _num(r["lb"]), _num(o.get("seconds")),
                _num(o.get("in_lab_requests_seconds")), _num(o.get("outside_lab_requests_seconds")), _goal(r["overhead"]),
                _num(bo.get("seconds")), _num(bo.get("in_lab_requests_seconds"))))
    return "\n".join(lines)


def _step_numbers(size, scenario):
    """What --compare sets side by side for one step of one size (None where the run has no such step)."""
    if not size:
        return None
    scen = (size.get("scenarios") or {}).get(scenario)
    c = (scen or {}).get("collection")
    if not c:
        return None
    over = _overhead(c, scen)
    return {"wall": c.get("wall_seconds"), "arm_per_vm": _get(c, "requests", "per_vm"), "modules": c.get("processes"),
            "overhead": over["seconds"] if over else None, "cpu": c.get("cpu_seconds"), "ok": c.get("rc") == 0,
            "baseline_wall": _get(scen, "baseline", "wall_seconds")}


def compare_rows(after, before):
    """Per size and step of `after` (this run): the same numbers of `before` (an earlier result file, the same size),
    and the goals of issue 14: wall at most the baseline's (this run's baseline, else the earlier file's), fewer ARM
    requests per VM than before, overhead at most OVERHEAD_GOAL_SECONDS."""
    old = dict((s.get("size"), s) for s in (before or {}).get("sizes") or [])
    rows = []
    for size in after.get("sizes") or []:
        for name in ORDER:
            now = _step_numbers(size, name)
            if now is None:
                continue
            was = _step_numbers(old.get(size.get("size")), name) or {}
            goal = now["baseline_wall"] if now["baseline_wall"] is not None else was.get("baseline_wall")
            row = {"size": size.get("size"), "vms": size.get("vms"), "scenario": name, "ok": now["ok"],
                   "baseline_wall": goal,
                   "wall_goal_met": None if goal is None or now["wall"] is None else now["wall"] <= goal,
                   "fewer_requests_per_vm": None if was.get("arm_per_vm") is None or now["arm_per_vm"] is None
                   else now["arm_per_vm"] < was["arm_per_vm"],
                   "overhead_goal_met": None if now["overhead"] is None else now["overhead"] <= OVERHEAD_GOAL_SECONDS}
            for key in ("wall", "arm_per_vm", "modules", "overhead", "cpu"):
                row[key] = {"before": was.get(key), "after": now[key]}
            rows.append(row)
    return rows


def _arrow(pair, fmt="%.1f"):
    return "%s -> %s" % (_num(pair["before"], fmt), _num(pair["after"], fmt))


def _yes(flag):
    return "-" if flag is None else ("yes" if flag else "**no**")


def compare_table(comparison):
    lines = ["| VMs | scenario | wall s | goal: baseline wall s | wall <= baseline | ARM requests per VM | fewer per VM "
             "| module runs | overhead s | CPU s |",
             "| ---: | --- | ---: | ---: | --- | ---: | --- | ---: | ---: | ---: |"]
    for r in comparison.get("rows") or []:
        lines.append("| %s | %s%s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            r["vms"], r["scenario"], "" if r["ok"] else " (failed)", _arrow(r["wall"]), _num(r["baseline_wall"]),
            _yes(r["wall_goal_met"]), _arrow(r["arm_per_vm"], "%.2f"), _yes(r["fewer_requests_per_vm"]),
            _arrow(r["modules"]), _arrow(r["overhead"]), _arrow(r["cpu"])))
    return "\n".join(lines)


def _appliances_line(size):
    """How many VMs each appliance got (protect), collection and baseline."""
    scen = (size.get("scenarios") or {}).get("protect") or {}
    parts = []
    for kind in KINDS:
        load = _get(scen, kind, "appliances")
        if load:
            parts.append("%s: %s" % (kind, ", ".join("%s %d" % (k, v) for k, v in sorted(load.items()))))
    return "; ".join(parts)


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
               "durations, injected latency included). The lab runs a job's side effects (vCenter power operations, "
               "Azure VMs, NICs, disks of every VM) at their lab times in a background thread (docs/lab-asr.md, "
               "\"The background advancer\"); what is left inside requests (the injected latency, rendering big lists, "
               "work that came due at the same instant as the request) is the simulator's time, not the "
               "orchestrator's.")
    out.append("")
    out.append("## Summary")
    out.append("")
    out.append(summary_table(data))
    out.append("")
    out.append("## Controller overhead")
    out.append("")
    out.append("Overhead = wall s - lower bound s: what the orchestrator adds to the ASR work no orchestrator can avoid. "
               "\"of which in lab requests\" = the seconds of that wall time spent waiting on the simulator's answers "
               "(ARM latency injected included); \"outside lab requests\" = the rest (process start-ups, CPU, sleeping "
               "between polls; below zero when requests overlapped the jobs of the lower bound). Goal (issue 14): at most "
               "%g s per step at every size." % OVERHEAD_GOAL_SECONDS)
    out.append("")
    out.append(overhead_table(data))
    out.append("")
    comparison = data.get("comparison")
    if comparison:
        out.append("## Before -> after (%s)" % comparison.get("name"))
        out.append("")
        out.append("The collection's numbers of this run against `%s` (same size). Goals: wall at most the naive "
                   "baseline's (this run's baseline, else the earlier file's), fewer ARM requests per VM than before, "
                   "overhead at most %g s." % (comparison.get("file"), OVERHEAD_GOAL_SECONDS))
        out.append("")
        out.append(compare_table(comparison))
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
        if size.get("appliances"):
            out.append("Replication appliances: %s%s. VMs per appliance after protect: %s."
                       % (size.get("appliances"), " (registered before the measured protect, unmeasured: see bench/README.md)"
                          if size.get("appliances", 1) > 1 else "", _appliances_line(size) or "-"))
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
                    ("lower bound, lab s", "lower_bound", "lab_seconds"),
                    ("overhead s (wall - lower bound)", "overhead", "seconds"),
                    ("overhead outside lab requests s", "overhead", "outside_lab_requests_seconds"))
            for label, key, sub in rows:
                if key is None:
                    vals = [(_get(x, "requests", "identity") or 0) + (_get(x, "requests", "metadata") or 0) if x else None
                            for x in (c, b)]
                elif key == "overhead":
                    vals = [_get(_overhead(x, scen), sub) for x in (c, b)]
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
