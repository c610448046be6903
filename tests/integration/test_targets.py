"""Each directory under targets/ is an integration target: a role run with ansible-playbook
against the lab. The target asserts its own behaviour (check -> apply -> idempotent rerun -> ...).
Directories named setup_* are roles the targets share (ansible-test's convention), not targets."""
import os

import pytest

TARGETS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "targets")

NAMES = sorted(d for d in os.listdir(TARGETS) if os.path.isdir(os.path.join(TARGETS, d, "tasks"))
               and not d.startswith("setup_"))


@pytest.mark.parametrize("target", NAMES)
def test_target(target, playbook, tmp_path):
    result = playbook.run(target, tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-20000:]
    assert "failed=0" in result.stdout, output[-20000:]
