"""Lab guests over real SSH (drlab.guests): one sshd per powered-on Linux VM of the lab vCenter, each in
its own guest root (drlab.guestroot) and PID namespace, listening only on its own 127.0.0.N.

One private set of guests for the module (own state directory, free loopback addresses), reached with
the system's ssh client in batch mode, with the lab key and the pinned host keys only. Needs root
(namespaces, port 22) and openssh-server (bindep.txt).
"""
import json
import os
import shutil
import subprocess
import tempfile
import time

import pytest

from drlab import guests, procs
from drlab.settings import Settings
from drlab.vcenter import inventory

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or not os.path.exists(guests.SSHD) or shutil.which("ssh") is None,
                                reason="lab guests need root, unshare and openssh-server")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _settings(state):
    base = Settings(state_dir=state)
    count = len(guests.guests(base))
    first = guests.free_address_block(count, port=base.guest_ssh_port, first="127.0.0.30")
    return Settings(state_dir=state, guest_address=first)


@pytest.fixture(scope="module")
def lab():
    state = tempfile.mkdtemp(prefix="drlab-guests-")
    settings = _settings(state)
    try:
        started = guests.up(settings)
    except procs.LabProcessError:
        guests.down(settings)
        raise
    yield settings, started
    guests.down(settings)
    shutil.rmtree(state, ignore_errors=True)


def ssh(settings, guest, command, key=None, known_hosts=None, **kw):
    argv = ["ssh", "-o", "BatchMode=yes", "-o", "UserKnownHostsFile=%s" % (known_hosts or guests.known_hosts(settings)),
            "-o", "GlobalKnownHostsFile=/dev/null", "-o", "StrictHostKeyChecking=yes", "-o", "IdentitiesOnly=yes",
            "-o", "ConnectTimeout=10", "-o", "ControlMaster=no", "-o", "ControlPath=none",
            "-i", key or guests.private_key(settings), "-p", str(guest.port), "root@%s" % guest.address, command]
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False, **kw)


def _listening(pid):
    """(address, port) of the TCP sockets process `pid` listens on (from /proc, no tools)."""
    inodes = set()
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = set()
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # LISTEN
                hex_addr, hex_port = fields[1].split(":")
                address = ".".join(str(int(hex_addr[i:i + 2], 16)) for i in (6, 4, 2, 0))
                found.add((address, int(hex_port, 16)))
    return found


def _children(pid):
    with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
        return [int(p) for p in f.read().split()]


def test_the_guests_are_the_powered_on_linux_vms(lab):
    settings, started = lab
    vms = {vm["name"]: vm for dc in inventory.build_inventory(settings.vcenter_inventory, vm_count=0)["datacenters"]
           for vm in dc["vms"]}
    expected = sorted(name for name, vm in vms.items()
                      if vm["guest_family"] == "linuxGuest" and vm["power_state"] == "poweredOn")
    assert sorted(g.name for g in started) == expected
    assert "web-02" in expected and "test-vm-01" not in expected and "win-dc-01" not in expected
    addresses = [g.address for g in started]
    assert len(set(addresses)) == len(addresses) and all(a.startswith("127.0.0.") for a in addresses)
    with open(settings.path("guests", "guests.json")) as f:
        assert [g["name"] for g in json.load(f)] == [g.name for g in started]


def test_each_sshd_listens_only_on_its_own_address(lab):
    settings, started = lab
    for guest, pid in guests.status(settings):
        assert pid, "%s is not running" % guest.name
        (sshd,) = _children(pid)  # unshare -> the guest's init, the sshd
        assert _listening(sshd) == {(guest.address, settings.guest_ssh_port)}


def test_ssh_with_the_lab_key_and_pinned_host_key(lab):
    settings, started = lab
    vms = {vm["name"]: vm for dc in inventory.build_inventory(settings.vcenter_inventory, vm_count=0)["datacenters"]
           for vm in dc["vms"]}
    for guest in started:
        result = ssh(settings, guest, "hostname; cat /etc/drlab/product_uuid; . /etc/os-release; echo $ID; "
                                      "id -u; /usr/bin/python3 -c 'print(42)'")
        assert result.returncode == 0, result.stderr
        hostname, bios_id, os_id, uid, python = result.stdout.split()
        vm = vms[guest.name]
        assert (hostname, bios_id) == (vm["hostname"], vm["uuid"])
        assert os_id == {"rhel8_64Guest": "rhel", "rhel7_64Guest": "rhel", "ubuntu64Guest": "ubuntu",
                         "debian11_64Guest": "debian", "centos7_64Guest": "centos",
                         "sles15_64Guest": "sles"}[vm["guest_id"]]
        assert (uid, python) == ("0", "42")


def test_host_keys_are_pinned(lab, tmp_path):
    settings, started = lab
    first, second = started[0], started[1]
    # nothing pinned: refused (StrictHostKeyChecking=yes, BatchMode)
    empty = tmp_path / "empty_known_hosts"
    empty.write_text("")
    result = ssh(settings, first, "true", known_hosts=str(empty))
    assert result.returncode == 255 and "Host key verification failed" in result.stderr
    # another guest's key pinned for this address: refused
    lines = open(guests.known_hosts(settings)).read().splitlines()
    key_of = {line.split()[0]: line.split(None, 1)[1] for line in lines}
    wrong = tmp_path / "wrong_known_hosts"
    wrong.write_text("%s %s\n" % (first.address, key_of[second.address]))
    result = ssh(settings, first, "true", known_hosts=str(wrong))
    assert result.returncode == 255 and "REMOTE HOST IDENTIFICATION HAS CHANGED" in result.stderr
    # another key than the lab's: refused
    other_key = tmp_path / "other_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other_key)], check=True)
    result = ssh(settings, first, "true", key=str(other_key))
    assert result.returncode == 255 and "Permission denied" in result.stderr
    # the files
    for path in (guests.private_key(settings), guests.private_key(settings) + ".pub", guests.known_hosts(settings)):
        assert os.stat(path).st_mode & 0o777 == 0o600
    assert os.stat(guests.ssh_dir(settings)).st_mode & 0o777 == 0o700


def test_each_guest_sees_only_its_own_usr_local(lab):
    settings, started = lab
    for guest in started:
        result = ssh(settings, guest, "touch /usr/local/only-%s /opt/only-%s && ls -A /usr/local && echo - && "
                                      "ls -A /root /root/.ssh" % (guest.name, guest.name))
        assert result.returncode == 0, result.stderr
        # its own /usr/local; its own /root, without the host's dot files (shell profile, ...)
        assert result.stdout.split() == ["only-%s" % guest.name, "-", "/root:", ".ssh", "/root/.ssh:",
                                         "authorized_keys"], result.stdout
    for guest in started:
        assert sorted(os.listdir(os.path.join(guest.root, "usr-local"))) == ["only-%s" % guest.name]
    for guest in started:
        assert not os.path.exists("/usr/local/only-%s" % guest.name)
        assert not os.path.exists("/opt/only-%s" % guest.name)


def test_the_inventory_group(lab):
    settings, started = lab
    group = guests.inventory_group(settings)["lab_guests"]["hosts"]
    assert sorted(group) == sorted(g.name for g in started)
    web = group["web-02"]
    assert web["ansible_user"] == "root" and web["ansible_python_interpreter"] == "/usr/bin/python3"
    assert web["dr_asr_lab_vm_name"] == "web-02"
    assert "StrictHostKeyChecking=yes" in web["ansible_ssh_common_args"]
    assert guests.known_hosts(settings) in web["ansible_ssh_common_args"]
    inventory_file = os.path.join(settings.state_dir, "inventory.json")
    with open(inventory_file, "w") as f:
        json.dump({"all": {"children": guests.inventory_group(settings)}}, f)
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_CONTROL_PATH_DIR=os.path.join(settings.state_dir, "cp"))
    result = subprocess.run([os.path.join(ROOT, ".venv", "bin", "ansible"), "-i", inventory_file, "lab_guests",
                             "-m", "ansible.builtin.ping"], capture_output=True, text=True, timeout=300, env=env,
                            check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == len(started)


def test_stop_leaves_no_process(lab):
    settings, started = lab
    guest = started[0]
    pid = guest.pid()
    (sshd,) = _children(pid)
    pid_ns = os.readlink("/proc/%d/ns/pid" % sshd)
    # an open session (and the process it runs) inside the guest
    session = subprocess.Popen(["ssh", "-o", "BatchMode=yes", "-o", "UserKnownHostsFile=%s" % guests.known_hosts(settings),
                                "-o", "StrictHostKeyChecking=yes", "-o", "ControlMaster=no", "-o", "ControlPath=none",
                                "-i", guests.private_key(settings), "root@%s" % guest.address, "sleep 600"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while len(_in_namespace(pid_ns)) < 3 and time.monotonic() < deadline:  # sshd, its session process, sleep
            time.sleep(0.1)
        assert len(_in_namespace(pid_ns)) >= 3
        stopped = guests.down(settings)
        assert sorted(stopped) == sorted(g.name for g in started)
        assert _in_namespace(pid_ns) == []
        assert session.wait(timeout=30) != 0  # the connection was closed
        for guest_, pid_ in guests.status(settings):
            assert pid_ is None
        for g in started:
            assert not [p for p in _all_pids() if g.marker in _cmdline(p)]
    finally:
        if session.poll() is None:
            session.kill()
        guests.up(settings)  # for any test after this one


def _all_pids():
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def _cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""


def _in_namespace(pid_ns):
    found = []
    for pid in _all_pids():
        try:
            if os.readlink("/proc/%d/ns/pid" % pid) == pid_ns and _cmdline(pid):
                found.append(pid)
        except OSError:
            continue
    return found
