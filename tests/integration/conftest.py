"""A private lab for the integration tests: its own state directory and ports, started once per
session through the same code as `lab up`, stopped at the end.

A target runs on localhost, or on the hosts its `hosts` file names (an inventory pattern, e.g.
`lab_guests`, the lab's guests reached over SSH)."""
import dataclasses
import os
import socket
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TARGETS = os.path.join(ROOT, "tests", "integration", "targets")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    from drlab import cli, guests
    from drlab.settings import Settings
    state = str(tmp_path_factory.mktemp("lab"))
    settings = Settings(state_dir=state, azure_port=free_port(), vcenter_port=free_port())
    # guests on loopback addresses no other lab uses (one range per xdist worker, then the first free)
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0")[2:] or 0)
    settings = dataclasses.replace(settings, guest_address=guests.free_address_block(
        len(guests.guests(settings)), port=settings.guest_ssh_port, first="127.0.0.%d" % (50 + 40 * (worker % 5))))
    try:
        cli.up(settings)
    except Exception:
        logs = settings.path("log")
        for name in sorted(os.listdir(logs)) if os.path.isdir(logs) else []:
            sys.stderr.write("---- %s ----\n%s\n" % (name, open(os.path.join(logs, name)).read()[-4000:]))
        cli.down(settings)
        raise
    yield settings
    cli.down(settings)


class Playbook(object):
    """Runs ansible-playbook against the lab; `run(target)` runs an integration target (a role)."""

    def __init__(self, settings):
        self.settings = settings
        self.inventory = settings.path("ansible", "inventory.yml")

    def env(self):
        env = dict(os.environ)
        env.update(ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".lab", "collections"),
                   ANSIBLE_ROLES_PATH=TARGETS, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"),
                   ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", ANSIBLE_DEPRECATION_WARNINGS="0",
                   PYTHONPATH=os.path.join(ROOT, "lab"))
        return env

    def run_playbook(self, path, *args):
        cmd = [os.path.join(ROOT, ".venv", "bin", "ansible-playbook"), "-i", self.inventory, path] + list(args)
        return subprocess.run(cmd, env=self.env(), capture_output=True, text=True, timeout=1200, check=False)

    def run(self, target, tmp_path, *args):
        play = tmp_path / ("run-%s.yml" % target)
        hosts_file = os.path.join(TARGETS, target, "hosts")
        hosts = open(hosts_file).read().strip() if os.path.exists(hosts_file) else "localhost"
        play.write_text(
            "- hosts: %s\n" % hosts +
            "  gather_facts: false\n"
            "  module_defaults:\n"
            "    group/dr.asr.azure: '{{ dr_asr_azure }}'\n"
            "    group/dr.asr.vsphere: '{{ dr_asr_vsphere }}'\n"
            "  roles:\n"
            "    - %s\n" % target)
        return self.run_playbook(str(play), *args)


@pytest.fixture(scope="session")
def playbook(lab):
    return Playbook(lab)
