"""Fault injection: every DR lifecycle step against the lab under each fault, one at a time and all at once.

Each cell (step x fault) must converge, or fail with a clear message and converge on a rerun, without
losing or duplicating work, leaving an orphaned VM or NIC, or printing a secret (see conftest.py). The
cells run step by step over the lanes (one VM per fault), so a lane's VM goes protect -> drill ->
failover + commit -> reprotect + failback + commit; conftest.py parametrizes `step_lane` with the cells in
that order and writes the table to tests/faults/RESULTS.md."""
import pytest


def test_fault(harness, step_lane):
    step, lane = step_lane
    blocked = harness.blocked(step, lane)
    if blocked:
        pytest.fail("not run: " + blocked)
    cell = harness.cell(step, lane)
    assert cell["outcome"] != harness.FAILED, "%s under %s: %s" % (
        step, harness.title(lane), "; ".join(cell["problems"] + cell["notes"]))
