"""A private lab for the integration tests: its own state directory and ports, started once per
session through the same code as `lab up`, stopped at the end (drlab.testing.privatelab, shared with
tests/faults).

A target runs on localhost, or on the hosts its `hosts` file names (an inventory pattern, e.g.
`lab_guests`, the lab's guests reached over SSH)."""
import os

import pytest

from drlab.testing import privatelab

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TARGETS = os.path.join(ROOT, "tests", "integration", "targets")
free_port = privatelab.free_port


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    yield from privatelab.private_lab(tmp_path_factory.mktemp("lab"))


class Playbook(privatelab.Playbook):
    """Runs ansible-playbook against the lab; `run(target)` runs an integration target (a role)."""

    def __init__(self, settings):
        super().__init__(settings, roles_path=TARGETS)


@pytest.fixture(scope="session")
def playbook(lab):
    return Playbook(lab)
