"""The lab's vCenter: govmomi's simulator (vcsim) behind a small Go launcher, vcsim-lab.

  build.build(settings)                     compile launcher/main.go -> <state>/bin/vcsim-lab
  inventory.write_json(settings)            lab/config/vcenter.yml -> <state>/vcenter/inventory.json
  build.command(settings, inventory_json)   argv of the server (`lab up` starts it by pid)
  wait_ready(settings, timeout)             log in with pyvmomi, TLS verified against the lab CA
  start(settings, inventory_json)           Popen + wait for the READY line (tests, benchmarks)
"""
import os
import selectors
import ssl
import subprocess
import time

# (the submodule drlab.vcenter.build stays reachable as `build`: do not import the function here)
from drlab.vcenter.build import BuildError, command  # noqa: F401  (re-exported)

READY = "VCSIM-LAB READY"


def ssl_context(settings):
    """TLS context that trusts only the lab CA, with host name checking."""
    ctx = ssl.create_default_context(cafile=settings.ca_pem)
    ctx.check_hostname = True
    ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx


def connect(settings, user=None, password=None):
    """A pyvmomi ServiceInstance logged in to the lab vCenter (TLS verified against the lab CA)."""
    from pyVim.connect import SmartConnect

    return SmartConnect(host=settings.host, port=settings.vcenter_port, user=user or settings.vcenter_user,
                        pwd=settings.vcenter_password if password is None else password,
                        sslContext=ssl_context(settings))


def wait_ready(settings, timeout=30.0, proc=None):
    """Wait until the lab vCenter accepts a login; returns its `content.about`.

    Raises TimeoutError (with the last error) after `timeout` seconds, or RuntimeError at once if
    `proc` (an optional Popen) has exited.
    """
    from pyVim.connect import Disconnect

    deadline = time.monotonic() + timeout
    last = None
    while True:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError("vcsim-lab exited with code %s" % proc.returncode)
        try:
            si = connect(settings)
            try:
                return si.content.about
            finally:
                Disconnect(si)
        except Exception as exc:  # connection refused, TLS not up yet, ...
            last = exc
        if time.monotonic() >= deadline:
            raise TimeoutError("vCenter simulator not ready at %s after %ss: %s"
                               % (settings.vcenter_url, timeout, last))
        time.sleep(0.2)


def start(settings, inventory_json, timeout=60.0, log_path=None, binary=None):
    """Start vcsim-lab (a child of this process) and wait for its READY line. Returns the Popen.

    stderr (the simulator's log) goes to `log_path`, default <state>/vcenter/vcsim-lab.log.
    The caller stops it with proc.terminate() (SIGTERM) and proc.wait().
    """
    argv = command(settings, inventory_json, binary=binary)
    log_path = log_path or settings.path("vcenter", "vcsim-lab.log")
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL)
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    buf = b""
    try:
        while READY.encode() not in buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("vcsim-lab did not print %r in %ss; see %s" % (READY, timeout, log_path))
            if sel.select(left):
                chunk = os.read(proc.stdout.fileno(), 4096)
                if not chunk:
                    proc.wait(5)
                    raise RuntimeError("vcsim-lab exited with code %s; see %s" % (proc.returncode, log_path))
                buf += chunk
    except BaseException:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        raise
    finally:
        sel.close()
    return proc
