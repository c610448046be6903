"""The lower bound of a scenario: the critical path of the ASR work the lab simulated for it, in lab seconds.

No orchestrator can finish before the jobs it needs have run, and jobs that depend on each other run one after
the other. The durations come from the lab's own records of what ran in the scenario's window (job start and end,
the ARM operation of the vault, the initial replication of each item), not from configuration, so the bound is
the one of this very run. The dependencies are ASR's:

  protect   max(appliance registration [starts with the vault], vault creation + policy creation)
            + policy association + max over VMs (enable job + initial replication)
  rerun     the same over the jobs the rerun started (none: 0)
  drill     max(plan creation) + max(test failover job) + max(cleanup job)      [items: the same per item]
  failover  max(failover job) + max(commit job)
  failback  max over VMs (reprotect job + its initial replication) + max(planned failover job) + max(commit job)

Parallel work counts once (the longest), sequential work adds up. Times in lab seconds; divide by the lab's
time scale for real seconds.
"""

JOB_TYPE = "Microsoft.RecoveryServices/vaults/replicationJobs"
ITEM_TYPE = ("Microsoft.RecoveryServices/vaults/replicationFabrics/replicationProtectionContainers/"
             "replicationProtectedItems")
VAULT_TYPE_KEY = "microsoft.recoveryservices/vaults"

#: the reprotect job's scenario: SwitchReplicationGroupProtection as recorded on a real modernized vault
#: (tests/recorded); ReverseReplication in results of the lab before it followed the recordings. Likewise the
#: recorded SaveRecoveryPlan (was CreateRecoveryPlan) and AssociateProtectionProfile (was ConfigureProtection).
REPROTECT = ("SwitchReplicationGroupProtection", "ReverseReplication")

PHASES = {
    "drill": (("SaveRecoveryPlan", "CreateRecoveryPlan"), ("TestFailover",), ("TestFailoverCleanup",)),
    "failover": (("UnplannedFailover",), ("CommitFailover",)),
    "failback_tail": (("PlannedFailover",), ("CommitFailover",)),
}


def _jobs(admin, since, until):
    out = []
    for res in admin.resources(type=JOB_TYPE):
        body = res.get("body") or res
        private = body.get("_lab") or {}
        start, end = private.get("start"), private.get("end")
        if start is None or start < since or start > until:
            continue
        props = body.get("properties") or {}
        out.append({"scenario": props.get("scenarioName"), "target": props.get("targetObjectName"),
                    "target_type": props.get("targetInstanceType"), "state": props.get("state"),
                    "start": start, "end": end, "seconds": (end - start) if end else None})
    return out


def _initial_replications(admin, since, until):
    """VM name -> lab seconds of the initial replication that started in the window (enable or reprotect)."""
    out = {}
    for res in admin.resources(type=ITEM_TYPE):
        body = res.get("body") or res
        repl = (body.get("_lab") or {}).get("replication") or {}
        ir = repl.get("ir") or {}
        start = ir.get("start")
        if start is None or start < since or start > until:
            continue
        name = (body.get("properties") or {}).get("friendlyName")
        if repl.get("protected_since") is not None:
            out[name] = repl["protected_since"] - start
        else:       # not done when the step ended: what it needs at least (its longest disk)
            out[name] = max([d.get("seconds") or 0 for d in (ir.get("disks") or {}).values()] or [0])
    return out


def _vault_creation(admin, since, until):
    secs = [op["due_lab"] - op["start_lab"] for op in admin.operations() or []
            if op.get("type_key") == VAULT_TYPE_KEY and op.get("verb") == "PUT"
            and since <= (op.get("start_lab") or 0) <= until]
    return max(secs or [0])


def _longest(jobs, scenarios):
    return max([j["seconds"] or 0 for j in jobs if j["scenario"] in scenarios] or [0])


def _chain(jobs, scenarios, irs):
    """max over VMs of (the VM's job of one of `scenarios` + its initial replication)."""
    best = 0
    for j in jobs:
        if j["scenario"] in scenarios:
            best = max(best, (j["seconds"] or 0) + irs.get(j["target"], 0))
    return best


def compute(admin, scenario, since, until):
    """Lower bound (lab seconds) of `scenario` from what ran between lab epochs since and until; with the parts."""
    jobs = _jobs(admin, since, until)
    irs = _initial_replications(admin, since, until)
    parts = {}
    if scenario in ("protect", "rerun"):
        parts["appliance_registration"] = _longest(jobs, ("RegisterAppliance",))
        parts["vault_creation"] = _vault_creation(admin, since, until)
        parts["policy_creation"] = _longest(jobs, ("AddProtectionProfile",))
        parts["policy_association"] = _longest(jobs, ("AssociateProtectionProfile", "ConfigureProtection"))
        parts["enable_and_initial_replication"] = _chain(jobs, ("EnableDr",), irs)
        total = (max(parts["appliance_registration"], parts["vault_creation"] + parts["policy_creation"])
                 + parts["policy_association"] + parts["enable_and_initial_replication"])
    elif scenario == "failback":
        parts["reprotect_and_initial_replication"] = _chain(jobs, REPROTECT, irs)
        for names in PHASES["failback_tail"]:
            parts[names[0]] = _longest(jobs, names)
        total = sum(parts.values())
    else:
        for names in PHASES[scenario]:
            parts[names[0]] = _longest(jobs, names)
        total = sum(parts.values())
    counts = {}
    for j in jobs:
        counts[j["scenario"]] = counts.get(j["scenario"], 0) + 1
    return {"lab_seconds": round(total, 1), "parts": dict((k, round(v, 1)) for k, v in parts.items()),
            "jobs": counts, "jobs_failed": sum(1 for j in jobs if j["state"] == "Failed"),
            "initial_replications": len(irs)}
