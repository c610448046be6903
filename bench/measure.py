"""Measuring one step: wall time, the controller's CPU time and peak memory (the process and every process it
started), and what the lab's request log saw meanwhile."""
import os
import subprocess
import threading
import time


def _children(pid):
    """Direct children of pid, from /proc (Linux)."""
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def _rss_kib(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def tree_rss_kib(pid):
    """Resident memory of pid and all its descendants (KiB)."""
    total, stack, seen = 0, [pid], set()
    while stack:
        p = stack.pop()
        if p in seen:
            continue
        seen.add(p)
        total += _rss_kib(p)
        stack.extend(_children(p))
    return total


class _Sampler(threading.Thread):
    def __init__(self, pid, interval):
        super(_Sampler, self).__init__(daemon=True)
        self.pid = pid
        self.interval = interval
        self.peak_kib = 0
        self.samples = 0
        self._stop_event = threading.Event()

    def run(self):
        while not self._stop_event.is_set():
            self.peak_kib = max(self.peak_kib, tree_rss_kib(self.pid))
            self.samples += 1
            self._stop_event.wait(self.interval)

    def stop(self):
        self._stop_event.set()
        self.join()


def run(argv, env=None, cwd=None, log_path=None, timeout=None, sample_interval=0.1):
    """Run argv to completion; returns a dict of the measures and the exit code.

    cpu_seconds: user + system time of the process and every descendant it waited for (wait4 rusage);
    max_rss_mib: the largest single process of the tree (rusage ru_maxrss);
    peak_tree_rss_mib: the largest sum of the tree's resident memory, sampled every `sample_interval` s.
    """
    out = open(log_path, "wb") if log_path else subprocess.DEVNULL
    started = time.monotonic()
    proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    sampler = _Sampler(proc.pid, sample_interval)
    sampler.start()
    deadline = started + timeout if timeout else None
    status, rusage = 0, None
    try:
        while True:
            pid, status, rusage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if deadline and time.monotonic() > deadline:
                proc.kill()
                pid, status, rusage = os.wait4(proc.pid, 0)
                status = -9
                break
            time.sleep(0.05)
    finally:
        wall = time.monotonic() - started
        sampler.stop()
        proc.returncode = os.waitstatus_to_exitcode(status) if status != -9 else -9
        if log_path:
            out.close()
    return {"rc": proc.returncode, "wall_seconds": round(wall, 3),
            "cpu_user_seconds": round(rusage.ru_utime, 3), "cpu_system_seconds": round(rusage.ru_stime, 3),
            "cpu_seconds": round(rusage.ru_utime + rusage.ru_stime, 3),
            "max_rss_mib": round(rusage.ru_maxrss / 1024.0, 1),
            "peak_tree_rss_mib": round(sampler.peak_kib / 1024.0, 1)}


def summarize_requests(summary, entries, vms):
    """The request log of one step: totals, by verb and resource type, 429s, per VM.

    summary: GET /_lab/requests/summary after a reset of the log (exact counters);
    entries: GET /_lab/requests (the retained entries; for the latency actually injected)."""
    ops = {}
    for key, count in (summary.get("by_operation") or {}).items():
        method, rtype, _status = key.split(" ", 2)
        k = "%s %s" % (method, rtype)
        ops[k] = ops.get(k, 0) + count
    by_status = summary.get("by_status") or {}
    by_kind = summary.get("by_kind") or {}
    arm = sum(v for k, v in by_kind.items() if k not in ("identity", "metadata"))
    total = summary.get("total", 0)
    out = {
        "total": total,
        "arm": arm,
        "identity": by_kind.get("identity", 0),
        "metadata": by_kind.get("metadata", 0),
        "by_method": summary.get("by_method") or {},
        "by_kind": by_kind,
        "by_status": by_status,
        "by_operation": dict(sorted(ops.items(), key=lambda kv: (-kv[1], kv[0]))),
        "throttled_429": int(by_status.get("429", 0)),
        "errors_5xx": sum(int(v) for k, v in by_status.items() if k.startswith("5")),
        "per_vm": round(arm / float(vms), 2) if vms else None,
        "retained_entries": summary.get("retained"),
    }
    if entries:
        out["server_ms_total"] = round(sum(e.get("duration_ms") or 0 for e in entries), 1)
        out["latency_injected"] = sum(1 for e in entries if e.get("fault") == "latency")
    return out
