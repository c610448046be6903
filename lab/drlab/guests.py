"""Lab guests reachable over real SSH: one sshd per powered-on Linux VM of the lab vCenter.

A guest is a drlab.guestroot root (private /usr/local, /opt, /var/log, /etc/drlab and /root; its
own host name) plus, here, its own PID namespace and one sshd running inside it:

    <state>/guests/<name>/            the guest root (drlab.guestroot), name = the VM's name
        etc-drlab/sshd/               /etc/drlab/sshd in the guest (what /etc/ssh is on a real one):
            ssh_host_ed25519_key      the guest's host key (its public half is pinned in known_hosts)
            sshd_config               ListenAddress <its 127.0.0.N>:<port> only; root, lab key only
        root/.ssh/authorized_keys     root's authorized_keys in the guest (the lab key)
    <state>/ssh/id_ed25519            the lab's key pair for root login (0600)
    <state>/ssh/known_hosts           every guest's host key, pinned (StrictHostKeyChecking=yes)
    <state>/guests/guests.json        what `up` started: name, address, port, BIOS id, host name

Which guests: the powered-on VMs of guest family linuxGuest in settings.vcenter_inventory (read
through drlab.vcenter.inventory; the generated VMs of the scale knob get none). Each guest's BIOS
UUID is the VM's `uuid`, its host name the VM's `hostname` and its /etc/os-release the VM's guest
OS, so the Agent Config Input the Mobility service computes inside the guest names the VM the
appliance discovers in vCenter. Addresses: settings.guest_address for the first guest, then the
next ones, in inventory order.

The sshd is the init of the guest's PID namespace: stopping it (by pid, drlab.procs) makes the
kernel end every process of the guest, open SSH sessions included.
"""
import ipaddress
import json
import os
import shlex
import shutil
import socket
import subprocess

from drlab import guestroot, procs

SSHD = "/usr/sbin/sshd"
PYTHON = "/usr/bin/python3"  # the host's; visible in every guest (only /usr/local, /opt, ... are private)
KEY_NAME = "id_ed25519"
GROUP = "lab_guests"
_PREFIX = "guest-"

_OS_RELEASE = """PRETTY_NAME="{pretty}"
NAME="{name}"
VERSION_ID="{version_id}"
VERSION="{version}"
ID={id}
{extra}"""

# guestId -> /etc/os-release of the guest (the versions a VM of that type plausibly runs)
OS_RELEASES = {
    "rhel7_64Guest": _OS_RELEASE.format(
        pretty="Red Hat Enterprise Linux Server 7.9 (Maipo)", name="Red Hat Enterprise Linux Server",
        version_id="7.9", version="7.9 (Maipo)", id='"rhel"', extra='ID_LIKE="fedora"\n'),
    "rhel8_64Guest": _OS_RELEASE.format(
        pretty="Red Hat Enterprise Linux 8.9 (Ootpa)", name="Red Hat Enterprise Linux",
        version_id="8.9", version="8.9 (Ootpa)", id='"rhel"', extra='ID_LIKE="fedora"\n'),
    "rhel9_64Guest": _OS_RELEASE.format(
        pretty="Red Hat Enterprise Linux 9.3 (Plow)", name="Red Hat Enterprise Linux",
        version_id="9.3", version="9.3 (Plow)", id='"rhel"', extra='ID_LIKE="fedora"\n'),
    "centos7_64Guest": _OS_RELEASE.format(
        pretty="CentOS Linux 7 (Core)", name="CentOS Linux", version_id="7", version="7 (Core)",
        id='"centos"', extra='ID_LIKE="rhel fedora"\n'),
    "centos8_64Guest": _OS_RELEASE.format(
        pretty="CentOS Linux 8", name="CentOS Linux", version_id="8", version="8",
        id='"centos"', extra='ID_LIKE="rhel fedora"\n'),
    "ubuntu64Guest": guestroot.UBUNTU_2204_OS_RELEASE,
    "debian10_64Guest": _OS_RELEASE.format(
        pretty="Debian GNU/Linux 10 (buster)", name="Debian GNU/Linux", version_id="10",
        version="10 (buster)", id="debian", extra="VERSION_CODENAME=buster\n"),
    "debian11_64Guest": _OS_RELEASE.format(
        pretty="Debian GNU/Linux 11 (bullseye)", name="Debian GNU/Linux", version_id="11",
        version="11 (bullseye)", id="debian", extra="VERSION_CODENAME=bullseye\n"),
    "sles12_64Guest": _OS_RELEASE.format(
        pretty="SUSE Linux Enterprise Server 12 SP5", name="SLES", version_id="12.5", version="12-SP5",
        id='"sles"', extra='ID_LIKE="suse"\n'),
    "sles15_64Guest": _OS_RELEASE.format(
        pretty="SUSE Linux Enterprise Server 15 SP5", name="SLES", version_id="15.5", version="15-SP5",
        id='"sles"', extra='ID_LIKE="suse"\n'),
}
GENERIC_OS_RELEASE = 'PRETTY_NAME="Linux"\nNAME="Linux"\nID=linux\n'

_SSHD_CONFIG = """# Written by drlab.guests: the sshd of lab guest {name} (VM {vm_name}).
# Listens on its own loopback address only; root logs in with the lab key only.
ListenAddress {address}:{port}
AddressFamily inet
HostKey /etc/drlab/sshd/ssh_host_ed25519_key
PidFile none
PermitRootLogin prohibit-password
PubkeyAuthentication yes
AuthorizedKeysFile /root/.ssh/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes yes
UseDNS no
X11Forwarding no
AllowAgentForwarding no
AllowTcpForwarding no
PermitTunnel no
PrintMotd no
PrintLastLog no
MaxStartups 64:30:128
MaxSessions 32
LogLevel INFO
Subsystem sftp internal-sftp
"""


class GuestsError(procs.LabProcessError):
    pass


class Guest(object):
    """One lab guest: the VM it stands for and where its sshd listens."""

    def __init__(self, settings, vm, address):
        self.settings = settings
        self.name = vm["name"]
        self.vm_name = vm["name"]
        self.guest_id = vm["guest_id"]
        self.bios_id = vm["uuid"]
        self.hostname = vm["hostname"]
        self.os_release = OS_RELEASES.get(vm["guest_id"], GENERIC_OS_RELEASE)
        self.address = address
        self.port = settings.guest_ssh_port

    @property
    def root(self):
        return guestroot.guest_dir(self.settings, self.name)

    @property
    def sshd_dir(self):
        """The guest's /etc/drlab/sshd, seen from the host."""
        return os.path.join(self.root, "etc-drlab", "sshd")

    @property
    def process(self):
        return _PREFIX + self.name

    @property
    def marker(self):
        return guestroot.marker(self.settings, self.name)

    def pid(self):
        return procs.running_pid(self.settings, self.process, self.marker)

    def host_var(self):
        return {"name": self.name, "vm_name": self.vm_name, "address": self.address, "port": self.port,
                "bios_id": self.bios_id, "hostname": self.hostname, "guest_id": self.guest_id}


def _linux_vms(settings):
    from drlab.vcenter import inventory
    inv = inventory.build_inventory(settings.vcenter_inventory, vm_count=0)
    return [vm for dc in inv["datacenters"] for vm in dc["vms"]
            if vm["guest_family"] == "linuxGuest" and vm["power_state"] == "poweredOn"]


def guests(settings):
    """The lab's guests, in inventory order, with their addresses."""
    try:
        first = ipaddress.IPv4Address(settings.guest_address)
    except ValueError as err:
        raise GuestsError("guest_address: %s" % err) from err
    result = []
    for index, vm in enumerate(_linux_vms(settings)):
        address = first + index
        if not address.is_loopback:
            raise GuestsError("guest address %s (guest %s) is not a loopback address" % (address, vm["name"]))
        result.append(Guest(settings, vm, str(address)))
    return result


def free_address_block(count, port=22, first="127.0.0.10", last="127.0.0.254"):
    """The first address of `count` consecutive loopback addresses in [first, last] where nothing
    listens on `port` (for a second lab beside a running one). Binding port 22 needs root."""
    start, stop = ipaddress.IPv4Address(first), ipaddress.IPv4Address(last)
    candidate = start
    while candidate + (count - 1) <= stop:
        for offset in range(count):
            if not _bindable(str(candidate + offset), port):
                candidate = candidate + offset + 1
                break
        else:
            return str(candidate)
    raise GuestsError("no %d free consecutive addresses for port %d in %s-%s" % (count, port, first, last))


def _bindable(address, port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((address, port))
        except OSError:
            return False
    return True


# -- keys and files --------------------------------------------------------------------------------
def _keygen(path, comment):
    if os.path.exists(path) and os.path.exists(path + ".pub"):
        return path
    for stale in (path, path + ".pub"):
        if os.path.exists(stale):
            os.unlink(stale)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", path],
                   check=True, stdin=subprocess.DEVNULL, capture_output=True)
    os.chmod(path, 0o600)
    os.chmod(path + ".pub", 0o600)
    return path


def _write(path, text, mode):
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def ssh_dir(settings):
    return settings.path("ssh")


def private_key(settings):
    return os.path.join(ssh_dir(settings), KEY_NAME)


def known_hosts(settings):
    return os.path.join(ssh_dir(settings), "known_hosts")


def ensure_client_key(settings):
    os.makedirs(ssh_dir(settings), mode=0o700, exist_ok=True)
    os.chmod(ssh_dir(settings), 0o700)
    return _keygen(private_key(settings), "root@drlab-guests")


def _read(path):
    with open(path) as f:
        return f.read().strip()


def prepare_guest(settings, guest):
    """The guest root with the VM's identity, its host key, sshd_config and authorized_keys."""
    guestroot.ensure_guest(settings, guest.name, bios_id=guest.bios_id, hostname=guest.hostname,
                           os_release=guest.os_release)
    os.makedirs(guest.sshd_dir, mode=0o700, exist_ok=True)
    _keygen(os.path.join(guest.sshd_dir, "ssh_host_ed25519_key"), "root@" + guest.hostname)
    _write(os.path.join(guest.sshd_dir, "sshd_config"),
           _SSHD_CONFIG.format(name=guest.name, vm_name=guest.vm_name, address=guest.address, port=guest.port), 0o600)
    for record in ("lastlog", "wtmp"):  # what sshd records logins in, on a real machine
        path = os.path.join(guest.root, "var-log", record)
        if not os.path.exists(path):
            _write(path, "", 0o644)
    root_ssh = os.path.join(guest.root, "root", ".ssh")
    os.makedirs(root_ssh, mode=0o700, exist_ok=True)
    os.chmod(os.path.join(guest.root, "root"), 0o700)
    _write(os.path.join(root_ssh, "authorized_keys"), _read(private_key(settings) + ".pub") + "\n", 0o600)


def _known_host(guest):
    host = guest.address if guest.port == 22 else "[%s]:%d" % (guest.address, guest.port)
    key_type, key = _read(os.path.join(guest.sshd_dir, "ssh_host_ed25519_key.pub")).split()[:2]
    return "%s %s %s\n" % (host, key_type, key)


def write_known_hosts(settings, selected):
    _write(known_hosts(settings), "".join(_known_host(g) for g in selected), 0o600)


def _check_host():
    if os.geteuid() != 0:
        raise GuestsError("lab guests need root (mount and PID namespaces, sshd as root)")
    if not os.path.exists(SSHD) or shutil.which("ssh-keygen") is None:
        raise GuestsError("lab guests need %s and ssh-keygen: install openssh-server (scripts/setup does)" % SSHD)
    try:
        guestroot.check_host()
    except guestroot.GuestError as err:
        raise GuestsError(str(err)) from err
    # sshd's privilege separation directory (what Debian's ssh unit creates at start)
    os.makedirs("/run/sshd", mode=0o755, exist_ok=True)


# -- processes -------------------------------------------------------------------------------------
def _select(settings, names):
    every = guests(settings)
    if names is None:
        return every
    by_name = dict((g.name, g) for g in every)
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise GuestsError("no lab guest named %s (guests: %s)" % (", ".join(unknown), ", ".join(sorted(by_name))))
    return [by_name[n] for n in names]


def up(settings, names=None):
    """Start the sshd of the guests `names` (default: all). Returns the guests started."""
    selected = _select(settings, names)
    if not selected:
        return []
    _check_host()
    ensure_client_key(settings)
    for guest in selected:
        prepare_guest(settings, guest)
    write_known_hosts(settings, guests_with_host_keys(settings))
    for guest in selected:
        argv = guestroot.guest_argv(settings, guest.name, [SSHD, "-D", "-e", "-f", "/etc/drlab/sshd/sshd_config"],
                                    own_pids=True)
        procs.start(settings, guest.process, argv, marker=guest.marker,
                    ready_line="Server listening on %s port %d" % (guest.address, guest.port),
                    env=guestroot.guest_env(settings, guest.name), timeout=30)
    _write(settings.path("guests", "guests.json"),
           json.dumps([g.host_var() for g in guests_with_host_keys(settings)], indent=1) + "\n", 0o644)
    return selected


def guests_with_host_keys(settings):
    """The guests prepared so far (those with a host key), for known_hosts and the inventory."""
    return [g for g in guests(settings) if os.path.exists(os.path.join(g.sshd_dir, "ssh_host_ed25519_key.pub"))]


def down(settings):
    """Stop every guest sshd of this lab (by pid file). Returns the names stopped."""
    stopped = []
    run_dir = settings.path("run")
    names = sorted(f[len(_PREFIX):-len(".pid")] for f in os.listdir(run_dir)
                   if f.startswith(_PREFIX) and f.endswith(".pid")) if os.path.isdir(run_dir) else []
    for name in names:
        if procs.stop(settings, _PREFIX + name, guestroot.marker(settings, name)):
            stopped.append(name)
    return stopped


def status(settings):
    """[(guest, pid or None)] for every guest of the inventory."""
    return [(g, g.pid()) for g in guests(settings)]


# -- Ansible ---------------------------------------------------------------------------------------
def inventory_group(settings):
    """The `lab_guests` group of the lab inventory: how Ansible reaches each guest over SSH."""
    common = " ".join(shlex.quote(arg) for arg in (
        "-o", "UserKnownHostsFile=%s" % known_hosts(settings), "-o", "GlobalKnownHostsFile=/dev/null",
        "-o", "StrictHostKeyChecking=yes", "-o", "IdentitiesOnly=yes"))
    hosts = {}
    for guest in guests_with_host_keys(settings):
        hosts[guest.name] = {
            "ansible_host": guest.address,
            "ansible_port": guest.port,
            "ansible_user": "root",
            "ansible_ssh_private_key_file": private_key(settings),
            "ansible_ssh_common_args": common,
            "ansible_python_interpreter": PYTHON,
            "dr_asr_lab_vm_name": guest.vm_name,
        }
    return {GROUP: {"hosts": hosts}}
