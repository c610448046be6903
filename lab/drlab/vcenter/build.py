"""Build and command line of vcsim-lab, the lab's vCenter simulator.

vcsim-lab (launcher/main.go) is compiled offline, in GOPATH mode, from Debian's packages:

  golang-go                          the Go compiler (go >= 1.19)
  golang-github-vmware-govmomi-dev   govmomi's source (0.24) under /usr/share/gocode, with its simulator
  golang-github-google-uuid-dev      its one outside dependency (pulled in by the package above)

A private GOPATH under <state>/go holds only a symlink src/drlab/vcsim-lab -> launcher/, and the Go
build cache (<state>/go/cache). Modules and the network are off (GO111MODULE=off, GOPROXY=off), so
nothing is downloaded. The binary goes to <state>/bin/vcsim-lab.
"""
import fcntl
import os
import shutil
import subprocess

LAUNCHER_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "launcher")
LAUNCHER_SRC = os.path.join(LAUNCHER_DIR, "main.go")
DEBIAN_GOCODE = "/usr/share/gocode"
IMPORT_PATH = "drlab/vcsim-lab"

# What the launcher needs from DEBIAN_GOCODE/src, and the Debian package that ships it.
_GO_SOURCES = {
    "github.com/vmware/govmomi/simulator": "golang-github-vmware-govmomi-dev",
    "github.com/vmware/govmomi/vapi/simulator": "golang-github-vmware-govmomi-dev",
    "github.com/google/uuid": "golang-github-google-uuid-dev",
}


class BuildError(RuntimeError):
    """vcsim-lab cannot be built; the message says what to install."""


def binary_path(settings):
    return settings.path("bin", "vcsim-lab")


def _go():
    go = shutil.which("go")
    if go:
        return go
    for candidate in ("/usr/lib/go/bin/go",):
        if os.access(candidate, os.X_OK):
            return candidate
    raise BuildError("the Go compiler is not installed: install the Debian package golang-go "
                     "(`sudo apt-get install golang-go`; bindep.txt lists the lab's system packages)")


def _check_sources(gocode=DEBIAN_GOCODE):
    missing = sorted({pkg for path, pkg in _GO_SOURCES.items()
                      if not os.path.isdir(os.path.join(gocode, "src", path))})
    if missing:
        raise BuildError("Go sources missing under %s/src: install the Debian package(s) %s "
                         "(`sudo apt-get install %s`)" % (gocode, ", ".join(missing), " ".join(missing)))


def go_env(settings, gopath=None):
    """The environment of the offline GOPATH-mode build."""
    gopath = gopath or settings.path("go")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GO") and k != "CGO_ENABLED"}
    env.update({
        "GOPATH": "%s:%s" % (gopath, DEBIAN_GOCODE),
        "GO111MODULE": "off",
        "GOFLAGS": "",
        "GOPROXY": "off",
        "GOSUMDB": "off",
        "GOTOOLCHAIN": "local",
        "GOENV": "off",
        "GOCACHE": os.path.join(gopath, "cache"),
        "CGO_ENABLED": "0",
    })
    env.setdefault("HOME", gopath)
    return env


def is_fresh(settings):
    out = binary_path(settings)
    try:
        return os.path.getmtime(out) >= os.path.getmtime(LAUNCHER_SRC)
    except OSError:
        return False


def build(settings, force=False):
    """Compile launcher/main.go to <state>/bin/vcsim-lab unless the binary is newer. Returns its path.

    Raises BuildError naming the Debian package to install when Go or the govmomi source is missing.
    Safe to call from concurrent processes (a file lock serialises builds).
    """
    out = binary_path(settings)
    if not force and is_fresh(settings):
        return out
    go = _go()
    _check_sources()
    gopath = settings.path("go")
    link_dir = os.path.join(gopath, "src", os.path.dirname(IMPORT_PATH))
    os.makedirs(link_dir, exist_ok=True)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(os.path.join(gopath, "build.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not force and is_fresh(settings):  # built by another process meanwhile
            return out
        link = os.path.join(gopath, "src", IMPORT_PATH)
        if os.path.islink(link) and os.readlink(link) != LAUNCHER_DIR:
            os.unlink(link)
        if not os.path.lexists(link):
            os.symlink(LAUNCHER_DIR, link)
        tmp = out + ".tmp"
        proc = subprocess.run([go, "build", "-trimpath", "-ldflags=-s -w", "-o", tmp, IMPORT_PATH],
                              cwd=gopath, env=go_env(settings, gopath), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, universal_newlines=True, check=False)
        if proc.returncode != 0:
            raise BuildError("building vcsim-lab failed (%s build %s):\n%s" % (go, IMPORT_PATH, proc.stdout))
        os.replace(tmp, out)
    return out


def command(settings, inventory_json_path, binary=None):
    """argv that serves the lab's vCenter at settings.vcenter_url with the given inventory JSON.

    Builds the binary if needed (unless `binary` is given) and issues the server certificate (lab CA)
    if missing. The process prints `VCSIM-LAB READY <url>` on stdout when it serves, and stops
    cleanly on SIGTERM/SIGINT. Its log (stderr) never contains the password.
    """
    from drlab import ca

    binary = binary or build(settings)
    os.makedirs(settings.path("vcenter"), exist_ok=True)
    cert, key = ca.ensure_server_cert(settings.ca_dir, "vcenter", (settings.host, "localhost"))
    return [
        binary,
        "-listen", "%s:%d" % (settings.host, settings.vcenter_port),
        "-tlscert", cert,
        "-tlskey", key,
        "-inventory", os.path.abspath(inventory_json_path),
        "-username", settings.vcenter_user,
        "-password", settings.vcenter_password,
        "-pidfile", settings.path("vcenter", "vcsim-lab.pid"),
        "-datastore-dir", settings.path("vcenter", "datastores"),
    ]
