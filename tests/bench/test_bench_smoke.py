"""Smoke test of the benchmark harness (bench/): one size of 2 VMs, the protect scenario, collection and baseline,
on a private lab at a fast time scale. Checks that the result files are written and that every number taken from
the lab's request log agrees with the log itself (the raw entries the harness saved)."""
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
           "--time-scale", "600", "--latency", "0", "--out", str(out), "--name", "smoke", "--raw-dir", str(raw),
           "--workdir", str(tmp_path / "work")]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join((ROOT, os.path.join(ROOT, "lab"))))
    run = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert run.returncode == 0, run.stderr[-6000:]

    data = json.loads((out / "smoke.json").read_text())
    markdown = (out / "smoke.md").read_text()
    assert "| 2 | protect |" in markdown
    (size,) = data["sizes"]
    assert size["vms"] == 2 and size["plans"] == 1 and size["vcenter_vms"] >= 2
    scenario = size["scenarios"]["protect"]
    assert set(scenario) >= {"collection", "baseline", "lower_bound_seconds"}
    # the lower bound: appliance registration, policy association, enable + initial replication, at 600x
    assert scenario["lower_bound_lab_seconds"] > 300
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

    counter = scenario["collection"]["ansible"]
    assert counter["module_invocations"] == scenario["collection"]["processes"] > 0
    assert counter["by_action"]["dr.asr.protected_item"]["executions"] >= 1
    assert scenario["baseline"]["baseline"]["submitted"] == 2
