"""Run a command as if on a lab guest: a private mount (and UTS) namespace per call.

A lab "guest" is a directory `<state_dir>/guests/<name>/`:

    usr-local/        bind-mounted over /usr/local  (where the Mobility service installs)
    opt/              bind-mounted over /opt        (for installs with -d /opt/...)
    var-log/          bind-mounted over /var/log    (ua_install.log, ua_uninstall.log, ...)
    root/             bind-mounted over /root       (root's home: .ssh/authorized_keys, .ansible/tmp, ...)
    etc-drlab/        bind-mounted over /etc/drlab  (the guest's identity, read by lab stand-ins)
        product_uuid  the guest's BIOS UUID (also bind-mounted over /sys/class/dmi/id/product_uuid
                      when the host has one, and exported as DRLAB_GUEST_BIOS_ID)
        hostname      the guest's host name (set in the private UTS namespace)
        os-release    bind-mounted over /etc/os-release

`run_in_guest` wraps argv in `unshare --mount --uts --propagation private`, sets up those bind
mounts inside the new namespace and execs argv there, so nothing the guest does reaches the host's
/usr/local, /opt, /var/log or /root (and none of the host's root dot files, e.g. a shell profile,
reaches the guest). Every other path is the host's: install only under /usr/local and /opt. The one
change on the host is the empty mount point /etc/drlab, created once. The lab runs as root; so must
the caller. Each call gets a fresh namespace; the guest's state lives in its directory.

`guest_argv` returns the wrapped command line (for callers that need a long-running process, e.g.
an sshd per guest: Popen it with `guest_env`). With `own_pids=True` the guest also gets its own PID
namespace and /proc: the command is the namespace's init, and when it ends the kernel ends every
process of the guest (drlab.guests relies on this to stop an sshd with all its sessions).
"""
import os
import shutil
import subprocess
import uuid

GUEST_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
IDENTITY_MOUNT = "/etc/drlab"
HOST_PRODUCT_UUID = "/sys/class/dmi/id/product_uuid"

# The lab's guests are Ubuntu 22.04 unless told otherwise (the stand-in installer is built for it).
UBUNTU_2204_OS_RELEASE = """PRETTY_NAME="Ubuntu 22.04.4 LTS"
NAME="Ubuntu"
VERSION_ID="22.04"
VERSION="22.04.4 LTS (Jammy Jellyfish)"
VERSION_CODENAME=jammy
ID=ubuntu
ID_LIKE=debian
HOME_URL="https://www.ubuntu.com/"
SUPPORT_URL="https://help.ubuntu.com/"
BUG_REPORT_URL="https://bugs.launchpad.net/ubuntu/"
PRIVACY_POLICY_URL="https://www.ubuntu.com/legal/terms-and-policies/privacy-policy"
UBUNTU_CODENAME=jammy
"""

# Runs inside the new namespace: $1.. is the guest's argv. Paths come in through the environment
# (never through the shell's text), and are removed from it before the exec. /root goes last: the
# guest directory may itself be under the host's /root.
_SETUP = r"""set -e
g=$DRLAB_GUESTROOT_DIR
h=$DRLAB_GUESTROOT_HOSTNAME
unset DRLAB_GUESTROOT_DIR DRLAB_GUESTROOT_HOSTNAME
mount --bind "$g/usr-local" /usr/local
mount --bind "$g/opt" /opt
mount --bind "$g/var-log" /var/log
mount --bind "$g/etc-drlab" /etc/drlab
mount --bind "$g/etc-drlab/os-release" /etc/os-release
if [ -e /sys/class/dmi/id/product_uuid ]; then
    mount --bind "$g/etc-drlab/product_uuid" /sys/class/dmi/id/product_uuid
fi
mount --bind "$g/root" /root
hostname "$h"
exec "$@"
"""


class GuestError(RuntimeError):
    pass


def guest_dir(settings, name):
    if not name or "/" in name or name in (".", ".."):
        raise GuestError("invalid guest name: %r" % (name,))
    return settings.path("guests", name)


def default_bios_id(name):
    """A stable BIOS UUID for a guest that has none configured."""
    return str(uuid.uuid5(uuid.NAMESPACE_DNS, "%s.guests.drlab" % name))


def _read(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return None


def _write(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def ensure_guest(settings, name, bios_id=None, hostname=None, os_release=None):
    """Create (or update) the guest directory. Unset values keep what the guest already has, or get
    defaults (BIOS UUID from the name, host name = name, Ubuntu 22.04). Returns the directory."""
    root = guest_dir(settings, name)
    ident = os.path.join(root, "etc-drlab")
    for sub in ("usr-local", "opt", "var-log", "etc-drlab"):
        os.makedirs(os.path.join(root, sub), exist_ok=True)
    os.makedirs(os.path.join(root, "root"), mode=0o700, exist_ok=True)
    current = _read(os.path.join(ident, "product_uuid"))
    if bios_id is not None or current is None:
        _write(os.path.join(ident, "product_uuid"), (bios_id or default_bios_id(name)) + "\n")
    current = _read(os.path.join(ident, "hostname"))
    if hostname is not None or current is None:
        _write(os.path.join(ident, "hostname"), (hostname or name) + "\n")
    if os_release is not None or not os.path.exists(os.path.join(ident, "os-release")):
        _write(os.path.join(ident, "os-release"), os_release or UBUNTU_2204_OS_RELEASE)
    return root


def guest_identity(settings, name):
    """{"bios_id", "hostname"} of an existing guest."""
    ident = os.path.join(guest_dir(settings, name), "etc-drlab")
    return {"bios_id": _read(os.path.join(ident, "product_uuid")),
            "hostname": _read(os.path.join(ident, "hostname"))}


def remove_guest(settings, name):
    shutil.rmtree(guest_dir(settings, name), ignore_errors=True)


def check_host():
    if os.geteuid() != 0:
        raise GuestError("lab guests need root (mount namespaces and bind mounts)")
    for tool in ("unshare", "mount", "hostname"):
        if shutil.which(tool) is None:
            raise GuestError("lab guests need %s (util-linux)" % tool)
    if not os.path.isdir(IDENTITY_MOUNT):
        os.makedirs(IDENTITY_MOUNT, mode=0o755, exist_ok=True)


def guest_argv(settings, name, argv, own_pids=False):
    """The command line that runs argv inside the guest `name` (which must exist); with own_pids,
    in a PID namespace of its own (argv is its init) with its own /proc. The command line carries
    `marker(settings, name)`."""
    if not os.path.isdir(guest_dir(settings, name)):
        raise GuestError("no such guest: %s (ensure_guest first)" % name)
    os.makedirs(os.path.join(guest_dir(settings, name), "root"), mode=0o700, exist_ok=True)
    pids = ["--pid", "--fork", "--kill-child", "--mount-proc"] if own_pids else []
    return (["unshare", "--mount", "--uts", "--propagation", "private"] + pids
            + ["--", "/bin/sh", "-c", _SETUP, marker(settings, name)] + list(argv))


def marker(settings, name):
    """What identifies the guest's process in /proc/<pid>/cmdline (the setup script's $0)."""
    return "drlab-guest:" + guest_dir(settings, name)


def guest_env(settings, name, env=None):
    """The environment for guest_argv: a clean guest environment (not the caller's), the guest's
    identity, plus `env`."""
    ident = guest_identity(settings, name)
    result = {"PATH": GUEST_PATH, "LANG": "C", "HOME": "/root", "TERM": "dumb",
              "DRLAB_GUEST": name, "DRLAB_GUEST_BIOS_ID": ident["bios_id"] or "",
              "DRLAB_GUESTROOT_DIR": guest_dir(settings, name),
              "DRLAB_GUESTROOT_HOSTNAME": ident["hostname"] or name}
    result.update(env or {})
    return result


def run_in_guest(settings, guest_name, argv, env=None, cwd=None, timeout=120, stdin=None):
    """Run argv in the guest (created with defaults if missing) and return the CompletedProcess
    (text output captured, never raises on a non-zero exit)."""
    check_host()
    if not os.path.isdir(guest_dir(settings, guest_name)):
        ensure_guest(settings, guest_name)
    extra = {"input": stdin} if stdin is not None else {"stdin": subprocess.DEVNULL}
    return subprocess.run(guest_argv(settings, guest_name, argv), env=guest_env(settings, guest_name, env),
                          cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False, **extra)
