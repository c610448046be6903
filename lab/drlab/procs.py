"""Start and stop lab processes by pid, cleanly.

Each process gets `<state>/run/<name>.pid` and `<state>/log/<name>.log`. A pid file is trusted only
while /proc/<pid>/cmdline still carries the process's marker, so a stale pid never kills a stranger.
"""
import os
import signal
import subprocess
import time


class LabProcessError(RuntimeError):
    pass


def _pidfile(settings, name):
    return settings.path("run", name + ".pid")


def logfile(settings, name):
    return settings.path("log", name + ".log")


def _cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().replace(b"\0", b" ").decode("utf-8", "replace") or None
    except OSError:
        return None


def running_pid(settings, name, marker):
    """The pid of the lab process `name` if it runs, else None (stale pid files are removed)."""
    path = _pidfile(settings, name)
    try:
        with open(path) as f:
            pid = int(f.read().strip())
    except (OSError, ValueError):
        return None
    cmd = _cmdline(pid)
    if cmd is not None and marker in cmd:
        return pid
    try:
        os.unlink(path)
    except OSError:
        pass
    return None


def start(settings, name, argv, marker, ready_line, timeout=60.0, env=None):
    """Start argv in its own session; wait for `ready_line` in its log. Returns the pid."""
    pid = running_pid(settings, name, marker)
    if pid:
        return pid
    os.makedirs(settings.path("run"), exist_ok=True)
    os.makedirs(settings.path("log"), exist_ok=True)
    log_path = logfile(settings, name)
    log = open(log_path, "ab")
    offset = log.tell()
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            start_new_session=True, env=env, close_fds=True)
    log.close()
    with open(_pidfile(settings, name), "w") as f:
        f.write(str(proc.pid))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise LabProcessError("%s exited with code %s; see %s" % (name, proc.returncode, log_path))
        with open(log_path, "rb") as f:
            f.seek(offset)
            if ready_line.encode() in f.read():
                return proc.pid
        time.sleep(0.1)
    stop(settings, name, marker)
    raise LabProcessError("%s did not become ready in %ss; see %s" % (name, timeout, log_path))


def stop(settings, name, marker, timeout=15.0):
    """SIGTERM, then SIGKILL after `timeout`. Returns True if a process was stopped."""
    pid = running_pid(settings, name, marker)
    if not pid:
        return False
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _cmdline(pid) is not None:
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        time.sleep(0.1)
    if _cmdline(pid) is not None:
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    try:
        os.unlink(_pidfile(settings, name))
    except OSError:
        pass
    return True
