"""Python helpers around a running simulator: the admin API client and a process launcher.

    sim = SimulatorProcess(state_dir="/tmp/x", port=0).start()   # python -m drlab.azure, waits for READY
    admin = AdminClient(sim.url, sim.ca_pem)
    admin.set_faults([{"match": {"method": "GET"}, "error_rate": 1.0, "count": 2}], seed=1)
    admin.summary()["by_status"]
    sim.stop()

Standard library only (urllib + ssl), so tests, benchmarks and `lab` scripts can use it anywhere.
"""
import json
import os
import signal
import ssl
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

LAB_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class AdminError(Exception):
    def __init__(self, status, body):
        super().__init__("%s: %s" % (status, body))
        self.status = status
        self.body = body


class AdminClient:
    """The simulator's `/_lab` API (see drlab/azure/admin.py)."""

    def __init__(self, base_url, ca_pem, timeout=30):
        self.base_url = base_url.rstrip("/")
        self._ssl = ssl.create_default_context(cafile=ca_pem)
        self.timeout = timeout

    def call(self, method, path, body=None, query=None):
        url = self.base_url + "/_lab/" + path.lstrip("/")
        if query:
            url += "?" + urllib.parse.urlencode({k: v for k, v in query.items() if v is not None})
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/json"} if data else {})
        try:
            with urllib.request.urlopen(req, context=self._ssl, timeout=self.timeout) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as e:
            raw = e.read()
            try:
                raise AdminError(e.code, json.loads(raw)) from None
            except ValueError:
                raise AdminError(e.code, raw.decode("utf-8", "replace")) from None
        return json.loads(raw) if raw else None

    # convenience -------------------------------------------------------------------------------
    def health(self):
        return self.call("GET", "health")

    def config(self):
        return self.call("GET", "config")

    def patch_config(self, **changes):
        return self.call("PATCH", "config", changes)

    def set_durations(self, full_type, **durations):
        """set_durations("Microsoft.RecoveryServices/vaults", put=120, delete=30) (lab seconds)."""
        return self.patch_config(durations={full_type: durations})

    def clock(self):
        return self.call("GET", "clock")

    def advance(self, seconds):
        return self.call("POST", "clock", {"advance_seconds": seconds})

    def set_time_scale(self, scale):
        return self.call("POST", "clock", {"time_scale": scale})

    def throttle(self):
        return self.call("GET", "throttle")

    def set_throttle(self, config, merge=True):
        return self.call("PATCH" if merge else "PUT", "throttle", config)

    def reset_throttle(self):
        return self.call("DELETE", "throttle")

    def faults(self):
        return self.call("GET", "faults")

    def set_faults(self, rules, seed=None):
        return self.call("PUT", "faults", {"rules": rules, "seed": seed})

    def clear_faults(self):
        return self.call("DELETE", "faults")

    def requests(self, **filters):
        return self.call("GET", "requests", query=filters)["value"]

    def summary(self):
        return self.call("GET", "requests/summary")

    def clear_requests(self):
        return self.call("DELETE", "requests")

    def resources(self, type=None, prefix=None):
        return self.call("GET", "resources", query={"type": type, "prefix": prefix})["value"]

    def operations(self):
        return self.call("GET", "operations")["value"]

    def token(self, lifetime_seconds=None, audience=None):
        body = {}
        if lifetime_seconds is not None:
            body["lifetime_seconds"] = lifetime_seconds
        if audience:
            body["audience"] = audience
        return self.call("POST", "token", body)["access_token"]

    def federated_token(self, **body):
        """A workload identity assertion of the lab's OIDC issuer (subject=, audience=, lifetime_seconds=, issuer=)."""
        return self.call("POST", "identity/federated-token", body)["token"]

    def reset(self, all=False):
        return self.call("POST", "reset", {"all": bool(all)})


class SimulatorProcess:
    """`python -m drlab.azure` as a child process (the lab's own launcher may differ)."""

    def __init__(self, state_dir, port=0, host="127.0.0.1", config=None, env=None, python=None,
                 log_path=None):
        self.state_dir = os.path.abspath(state_dir)
        self.port = port
        self.host = host
        self.config = config
        self.extra_env = dict(env or {})
        self.python = python or sys.executable
        self.log_path = log_path or os.path.join(self.state_dir, "azure-sim.log")
        self.proc = None
        self.url = None

    @property
    def ca_pem(self):
        return os.path.join(self.state_dir, "ca", "ca.pem")

    def start(self, timeout=30):
        os.makedirs(self.state_dir, exist_ok=True)
        env = dict(os.environ)
        env["PYTHONPATH"] = LAB_DIR + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        env["DRLAB_STATE_DIR"] = self.state_dir
        env.update(self.extra_env)
        cmd = [self.python, "-m", "drlab.azure", "--state-dir", self.state_dir, "--host", self.host,
               "--port", str(self.port)]
        if self.config:
            cmd += ["--config", self.config]
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, env=env)
        log.close()
        deadline = time.time() + timeout
        line = b""
        result = {}

        def read_ready():
            result["line"] = self.proc.stdout.readline()

        t = threading.Thread(target=read_ready, daemon=True)
        t.start()
        t.join(max(0.1, deadline - time.time()))
        line = result.get("line") or b""
        if not line.startswith(b"AZURE-SIM READY "):
            exited = self.proc.poll()       # None: still running (no READY in time); else its exit status
            if exited is None and not line and not t.is_alive():     # its stdout closed: it is exiting
                try:
                    exited = self.proc.wait(10)
                except subprocess.TimeoutExpired:
                    exited = None
            self.stop()
            with open(self.log_path, "rb") as f:
                tail = f.read()[-4000:].decode("utf-8", "replace")
            raise RuntimeError("the Azure simulator did not start (%s): %r\n%s" % (
                "exit status %s" % exited if exited is not None else "no READY line in %ss" % timeout, line, tail))
        self.url = line.decode().split()[-1].strip()
        self.port = int(self.url.rsplit(":", 1)[1])
        return self

    def stop(self, timeout=10):
        """SIGTERM, then wait; returns the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout)
        if self.proc.stdout:
            self.proc.stdout.close()
        code = self.proc.returncode
        self.proc = None
        return code

    def restart(self, timeout=30):
        """Stop and start again on the same port with the same state."""
        self.stop()
        self.start(timeout)
        return self

    def admin(self):
        return AdminClient(self.url, self.ca_pem)
