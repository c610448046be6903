"""The benchmark's numbers without a lab (bench/run.py, bench/report.py): how many appliances a size gets, the
controller's overhead against the lower bound, and `--compare` (before -> after, the goals of issue 14) in the JSON
and the Markdown the harness writes."""
import argparse
import copy
import json
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
for path in (ROOT, os.path.join(ROOT, "lab")):
    if path not in sys.path:
        sys.path.insert(0, path)

from bench import report, run  # noqa: E402  pylint: disable=wrong-import-position


@pytest.mark.parametrize("size, want", [(2, 1), (10, 1), (200, 1), (201, 2), (500, 3), (999, 5), (1000, 5)])
def test_auto_gives_one_appliance_per_200_vms(size, want):
    assert run.appliances_for("auto", size) == want


def test_auto_gives_at_least_two_appliances_from_1000_vms(monkeypatch):
    monkeypatch.setattr(run, "PER_APPLIANCE", 1000)        # were one appliance enough, 1,000 VMs still get two
    assert run.appliances_for("auto", 999) == 1
    assert run.appliances_for("auto", 1000) == 2
    assert run.appliances_for("3", 10) == 3


@pytest.mark.parametrize("bad", ["0", "-1", "251", "two", ""])
def test_appliances_option_refuses_what_a_vault_cannot_have(bad):
    with pytest.raises(argparse.ArgumentTypeError, match="1 to 250"):
        run._appliances_option(bad)  # pylint: disable=protected-access
    with pytest.raises(SystemExit):
        run.parse_args(["--appliances", bad])


def test_more_vms_than_the_appliances_hold_is_noted(tmp_path):
    args = run.parse_args(["--appliances", "1"])
    big, small = run.Run(args, 201, str(tmp_path)), run.Run(args, 200, str(tmp_path))
    assert big.result["appliances"] == 1 and "more than the documented 200" in big.result["notes"][0]
    assert "notes" not in small.result


def _step(wall, lb_parts_ms=(), rc=0, per_vm=1.0, modules=5, cpu=10.0):
    return {"rc": rc, "wall_seconds": wall, "cpu_seconds": cpu, "processes": modules,
            "requests": {"per_vm": per_vm, "arm": int(per_vm * 10), "server_ms_total": sum(lb_parts_ms)},
            "lower_bound": {"lab_seconds": 600.0}}


def test_overhead_is_wall_minus_lower_bound_with_lab_requests_apart():
    over = report.overhead(_step(40.0, (2000.0, 3000.0)), 10.0)
    assert over == {"seconds": 30.0, "in_lab_requests_seconds": 5.0, "outside_lab_requests_seconds": 25.0,
                    "goal_seconds": 15.0, "goal_met": False}
    assert report.overhead(_step(24.0), 10.0)["goal_met"] is True
    assert report.overhead(_step(40.0, rc=2), 10.0) is None             # a failed step has no overhead
    assert report.overhead(_step(40.0), None) is None


def test_set_bound_takes_the_smaller_bound_and_gives_each_run_its_overhead():
    scen = {"collection": _step(30.0), "baseline": _step(20.0)}
    scen["baseline"]["lower_bound"]["lab_seconds"] = 300.0
    run.set_bound(scen, 60.0)
    assert scen["lower_bound_seconds"] == 5.0
    assert scen["collection"]["overhead"]["seconds"] == 25.0 and scen["baseline"]["overhead"]["seconds"] == 15.0


def _result(name, walls, baseline_wall=None, per_vm=1.0, modules=5):
    scenarios = {}
    for scenario, wall in walls.items():
        scen = {"collection": _step(wall, (1000.0,), per_vm=per_vm, modules=modules)}
        if baseline_wall is not None:
            scen["baseline"] = _step(baseline_wall, per_vm=4.0, modules=1)
        run.set_bound(scen, 60.0)
        scenarios[scenario] = scen
    return {"name": name, "sizes": [{"size": 10, "vms": 10, "plans": 1, "vcenter_vms": 22, "appliances": 1,
                                     "settings": {}, "scenarios": scenarios}]}


def test_compare_rows_set_before_against_after_with_the_goals():
    before = _result("old", {"protect": 60.0, "drill": 22.0}, baseline_wall=41.0, per_vm=8.6, modules=12)
    after = _result("new", {"protect": 40.0, "drill": 45.0, "failover": 18.0}, per_vm=8.1, modules=9)
    rows = dict((r["scenario"], r) for r in report.compare_rows(after, before))
    protect = rows["protect"]
    assert protect["wall"] == {"before": 60.0, "after": 40.0}
    assert protect["arm_per_vm"] == {"before": 8.6, "after": 8.1} and protect["fewer_requests_per_vm"] is True
    assert protect["modules"] == {"before": 12, "after": 9}
    assert protect["overhead"] == {"before": 50.0, "after": 30.0} and protect["overhead_goal_met"] is False
    # no baseline in this run: the earlier file's baseline wall is the goal
    assert protect["baseline_wall"] == 41.0 and protect["wall_goal_met"] is True
    assert rows["drill"]["wall_goal_met"] is False
    # a step the earlier file does not have: nothing before, no verdict on requests or wall
    assert rows["failover"]["wall"] == {"before": None, "after": 18.0}
    assert rows["failover"]["fewer_requests_per_vm"] is None and rows["failover"]["wall_goal_met"] is None
    # this run's own baseline wins over the earlier file's
    after_with_baseline = _result("new", {"protect": 40.0}, baseline_wall=39.0)
    (row,) = report.compare_rows(after_with_baseline, before)
    assert row["baseline_wall"] == 39.0 and row["wall_goal_met"] is False


def test_results_with_compare_write_the_comparison_to_json_and_markdown(tmp_path):
    before_path = tmp_path / "before.json"
    before_path.write_text(json.dumps(_result("before", {"protect": 60.0}, baseline_wall=41.0, per_vm=8.6, modules=12)))
    size = _result("x", {"protect": 40.0}, per_vm=8.1, modules=9)["sizes"][0]
    results = run.Results(str(tmp_path / "out"), "after", str(before_path))
    results.save(copy.deepcopy(size))
    data = json.loads((tmp_path / "out" / "after.json").read_text())
    assert data["comparison"]["file"] == str(before_path) and data["comparison"]["name"] == "before"
    (row,) = data["comparison"]["rows"]
    assert row["wall"] == {"before": 60.0, "after": 40.0} and row["wall_goal_met"] is True
    markdown = (tmp_path / "out" / "after.md").read_text()
    assert "## Before -> after (before)" in markdown
    assert "| 10 | protect | 60.0 -> 40.0 | 41.0 | yes | 8.60 -> 8.10 | yes | 12 -> 9 | 50.0 -> 30.0 | 10.0 -> 10.0 |" \
        in markdown
    assert "| 10 | protect | 40.0 | 10.0 | 30.0 | 1.0 | 29.0 | **no** | - (-) |" in markdown
    # a later run of the same name without --compare keeps comparing with the same file
    again = run.Results(str(tmp_path / "out"), "after")
    again.save(copy.deepcopy(size))
    assert json.loads((tmp_path / "out" / "after.json").read_text())["comparison"]["file"] == str(before_path)


def test_old_result_files_get_their_overhead_computed():
    """Result files written before the overhead was saved (bench/results/2026-*) show it all the same."""
    with open(os.path.join(ROOT, "bench", "results", "2026-12-07-roles.json")) as f:
        data = json.load(f)
    (size,) = data["sizes"]
    rows = dict((r["scenario"], r) for r in report.summary_rows(size))
    protect = size["scenarios"]["protect"]
    assert "overhead" not in protect["collection"]
    assert rows["protect"]["overhead"]["seconds"] == round(
        protect["collection"]["wall_seconds"] - protect["lower_bound_seconds"], 2)
    assert "| 10 | protect | 65.7 | 32.9 | 32.8 |" in report.markdown(data)
