"""Smoke test of the benchmark harness (bench/): one size of 2 VMs over 2 replication appliances (`--appliances 2`),
the protect scenario, collection and baseline, on a private lab at a fast time scale. Checks that the result files
are written, that every number taken from the lab's request log agrees with the log itself (the raw entries the
harness saved), that the appliances were registered before the measured step and each got a VM, and that the
controller's overhead is saved against the lower bound."""
import collections
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PYTHON = os.path.join(ROOT, ".venv", "bin", "python")


def test_bench_smoke(tmp_path):
    out, raw = tmp_path / "results", tmp_path / "raw"
    cmd = [PYTHON if os.path.exists(PYTHON) else sys.executable, "-m", "bench", "--sizes", "2", "--scenarios", "protect",
           "--time-scale", "600", "--latency", "0", "--appliances", "2", "--out", str(out), "--name", "smoke", "--raw-dir", str(raw),
           "--workdir", str(tmp_path / "work")]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join((ROOT, os.path.join(ROOT, "lab"))))
    run = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert run.returncode == 0, run.stderr[-6000:]

    data = json.loads((out / "smoke.json").read_text())
    markdown = (out / "smoke.md").read_text()
    assert "| 2 | protect |" in markdown
    assert "## Controller overhead" in markdown
    assert "VMs per appliance after protect: collection: drlab-appliance-01 1, drlab-appliance-02 1; baseline: " \
        "drlab-appliance-01 1, drlab-appliance-02 1." in markdown
    (size,) = data["sizes"]
    assert size["vms"] == 2 and size["plans"] == 1 and size["vcenter_vms"] >= 2 and size["appliances"] == 2
    scenario = size["scenarios"]["protect"]
    assert set(scenario) >= {"collection", "baseline", "lower_bound_seconds"}
    # the lower bound: policies, their association, enable + initial replication, at 600x; the vault and the
    # appliances were made before the measured step (unmeasured), so neither is in it
    assert scenario["lower_bound_lab_seconds"] > 0
    assert abs(scenario["lower_bound_seconds"] - scenario["lower_bound_lab_seconds"] / 600.0) < 0.01

    for kind in ("collection", "baseline"):
        step = scenario[kind]
        assert step["rc"] == 0
        assert step["wall_seconds"] > 0 and step["cpu_seconds"] > 0 and step["peak_tree_rss_mib"] > 0
        log = json.loads((raw / ("2-%s-protect.json" % kind)).read_text())
        entries, summary = log["entries"], log["summary"]
        req = step["requests"]
        # every request of the step is in the log, and the counts are the log's
        assert req["total"] == summary["total"] == len(entries)
        ops = collections.Counter("%s %s" % (e["method"], e.get("resource_type") or "-") for e in entries)
        assert req["by_operation"] == dict(ops)
        arm = [e for e in entries if e["kind"] not in ("identity", "metadata")]
        assert req["arm"] == len(arm) > 0
        assert req["per_vm"] == round(len(arm) / 2.0, 2)
        assert req["throttled_429"] == sum(1 for e in entries if e["status"] == 429)
        # the enable requests: one PUT per VM, by either
        assert ops["PUT Microsoft.RecoveryServices/vaults/replicationFabrics/replicationProtectionContainers/"
                   "replicationProtectedItems"] == 2
        assert step["lower_bound"]["jobs"]["EnableDr"] == 2
        assert "RegisterAppliance" not in step["lower_bound"]["jobs"]
        assert step["lower_bound"]["parts"]["vault_creation"] == 0
        assert ops.get("PUT Microsoft.RecoveryServices/vaults", 0) == 0
        # spread over both appliances (collection: the least loaded first; baseline: in turn)
        assert step["appliances"] == {"drlab-appliance-01": 1, "drlab-appliance-02": 1}
        # the overhead: wall - the scenario's lower bound, the part inside lab requests apart
        over = step["overhead"]
        assert over["seconds"] == round(step["wall_seconds"] - scenario["lower_bound_seconds"], 2)
        assert abs(over["in_lab_requests_seconds"] - sum(e.get("duration_ms") or 0 for e in entries) / 1000.0) < 0.011
        assert abs(over["outside_lab_requests_seconds"] - (over["seconds"] - over["in_lab_requests_seconds"])) < 0.02
        assert over["goal_seconds"] == 15 and over["goal_met"] == (over["seconds"] <= 15)

    counter = scenario["collection"]["ansible"]
    assert counter["module_invocations"] == scenario["collection"]["processes"] > 0
    assert counter["by_action"]["dr.asr.protected_item"]["executions"] >= 1
    assert scenario["baseline"]["baseline"]["submitted"] == 2
