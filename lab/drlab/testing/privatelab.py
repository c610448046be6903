"""A private lab for a test session, and ansible-playbook against it: shared by the integration tests
(tests/integration/conftest.py) and the fault-injection suite (tests/faults/conftest.py).

`private_lab(state_dir)` starts a lab through the same code as `lab up`, on free ports and free guest
addresses, and stops it when the generator is closed; each suite's session fixture wraps it, so each
suite has a lab of its own."""
import dataclasses
import os
import random
import socket
import subprocess
import sys
import time

from drlab.settings import REPO_ROOT, venv_bin

ROOT = REPO_ROOT


def _ephemeral_range():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low, high = (int(x) for x in f.read().split())
        return low, high
    except (OSError, ValueError):
        return 32768, 60999


def free_port(rng=random):
    """A loopback port free now, outside the kernel's ephemeral range: a port the kernel hands out
    for port 0 is also what it hands to outgoing connections, so on a busy machine a client of another
    lab could hold it by the time our server binds it (CI saw "Address already in use")."""
    low, high = _ephemeral_range()
    candidates = [(1024, low - 1)] if low - 1 >= 10000 else []
    if high + 1 <= 65000:
        candidates.append((high + 1, 65535))
    for _attempt in range(200):
        first, last = rng.choice(candidates) if candidates else (10000, 65535)
        port = rng.randrange(max(first, 10000), last + 1)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket() as s:                   # a machine with no room outside the range: the kernel's pick
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(state_dir, **overrides):
    """Start a lab in `state_dir` (free ports and guest addresses); returns its Settings."""
    from drlab import cli, guests
    from drlab.settings import Settings
    settings = Settings(state_dir=str(state_dir), **overrides)
    # guests on loopback addresses no other lab uses: a random start per session (two labs started
    # at the same moment on one machine would otherwise pick the same free block), then the first
    # free block from there; if sshd still loses the race for an address, start again elsewhere.
    count = len(guests.guests(settings))
    rng = random.Random(os.getpid() ^ int(time.time() * 1000))
    for attempt in range(3):
        # ports and addresses picked again for each attempt: what lost a race once is taken
        first = "127.0.0.%d" % rng.randrange(20, 254 - 2 * count)
        settings = dataclasses.replace(settings, azure_port=free_port(rng), vcenter_port=free_port(rng),
                                       guest_address=guests.free_address_block(
                                           count, port=settings.guest_ssh_port, first=first))
        try:
            cli.up(settings)
            return settings
        except Exception:
            logs = settings.path("log")
            for name in sorted(os.listdir(logs)) if os.path.isdir(logs) else []:
                with open(os.path.join(logs, name)) as f:
                    sys.stderr.write("---- %s ----\n%s\n" % (name, f.read()[-4000:]))
            cli.down(settings)
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def private_lab(state_dir, **overrides):
    """Generator for a session fixture: yields the Settings of a running lab, stops it afterwards."""
    from drlab import cli
    settings = start(state_dir, **overrides)
    try:
        yield settings
    finally:
        cli.down(settings)


class Playbook(object):
    """Runs ansible-playbook against a lab; `run(role, tmp_path)` runs a role (an integration target)."""

    def __init__(self, settings, roles_path=None):
        self.settings = settings
        self.inventory = settings.path("ansible", "inventory.yml")
        self.roles_path = roles_path

    def env(self):
        env = dict(os.environ)
        env.update(ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".lab", "collections"),
                   ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"),
                   ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", ANSIBLE_DEPRECATION_WARNINGS="0",
                   PYTHONPATH=os.path.join(ROOT, "lab"))
        if self.roles_path:
            env["ANSIBLE_ROLES_PATH"] = self.roles_path
        return env

    def run_playbook(self, path, *args, timeout=1200):
        cmd = [venv_bin("ansible-playbook"), "-i", self.inventory, str(path)] + list(args)
        # stdin from /dev/null: ansible refuses a non-blocking stdin (as a CI runner may hand down)
        return subprocess.run(cmd, env=self.env(), capture_output=True, text=True, timeout=timeout, check=False,
                              stdin=subprocess.DEVNULL)

    def run(self, target, tmp_path, *args):
        play = tmp_path / ("run-%s.yml" % target)
        hosts_file = os.path.join(self.roles_path or "", target, "hosts")
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
