"""Each directory under targets/ is an integration target: a role run with ansible-playbook
against the lab. The target asserts its own behaviour (check -> apply -> idempotent rerun -> ...).
Directories named setup_* are roles the targets share (ansible-test's convention), not targets."""
import os

import pytest

TARGETS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "targets")

NAMES = sorted(d for d in os.listdir(TARGETS) if os.path.isdir(os.path.join(TARGETS, d, "tasks"))
               and not d.startswith("setup_"))


def _failures(output):
    """The failed tasks of a run (the lines around each `fatal:`), then its tail: what a reader needs first."""
    lines = output.splitlines()
    found = [i for i, line in enumerate(lines) if "fatal:" in line or "FAILED!" in line]
    blocks = ["\n".join(lines[max(0, i - 12):i + 25]) for i in found]
    return "\n...\n".join(blocks)[-30000:] + "\n=== tail ===\n" + output[-8000:]


@pytest.mark.parametrize("target", NAMES)
def test_target(target, playbook, tmp_path):
    result = playbook.run(target, tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 0, _failures(output)
    assert "failed=0" in result.stdout, _failures(output)
