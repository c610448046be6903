"""The background advancer: lab work that is due is done between requests, not inside the next one.

Lazily simulated processes (the ASR job engine: a recovery plan job's side effects - source VMs shut down in
vCenter, Azure VMs, NICs and disks created - item by item at their own lab times) are brought up to lab time by
the request that comes after them (rp.py `before_request`). That stays the rule: a request sees everything due up
to its lab time. This thread only does the same work earlier: it takes the store lock in short slices (config
`background.slice_seconds` real seconds of work, then the lock is released; a request waiting for it goes first)
and calls the providers' `background(ctx, deadline)` hook (rp.py; before it, outside the lock, their
`background_io(ctx)`: slow reads that need no lock), which runs what is due up to now until
`deadline` (time.monotonic()) and answers the lab time of its next due work (None: nothing scheduled). The thread
sleeps until then (at most `background.max_sleep_seconds`), or until a write request or a clock change wakes it.

Lab time semantics are the request path's: the same transitions, at the same lab times, exactly once (each slice
is one store transaction, like a request); the clock (`POST /_lab/clock`: advance_seconds, time_scale 0 holds it)
decides what is due, wall time never does. Started by `server.serve` (not by in-process Apps: tests that build an
App in-process drive it themselves); `background.enabled: false` (config, runtime-changeable) stops its work.
"""
import logging
import threading
import time

LOG = logging.getLogger("drlab.azure.background")


class Advancer:
    """One thread per simulator (see the module docstring)."""

    def __init__(self, app):
        self.app = app
        self.hooks = [m.background for m in app.engine.modules if callable(getattr(m, "background", None))]
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = None
        self.slices = 0          # slices that ran (admin /_lab/background shows them)
        self.busy_seconds = 0.0  # real seconds spent in them

    def settings(self):
        cfg = self.app.config.get("background") or {}
        return (bool(cfg.get("enabled", True)), float(cfg.get("slice_seconds", 0.25)),
                float(cfg.get("max_sleep_seconds", 1.0)))

    def start(self):
        if self.hooks and self._thread is None:
            self._thread = threading.Thread(target=self._run, name="drlab-background", daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout=10.0):
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def wake(self):
        """Something may have become due (a write request, a clock change): look now."""
        self._wake.set()

    def state(self):
        enabled, slice_seconds, max_sleep = self.settings()
        return {"running": self._thread is not None and self._thread.is_alive(), "enabled": enabled,
                "slice_seconds": slice_seconds, "max_sleep_seconds": max_sleep, "slices": self.slices,
                "busy_seconds": round(self.busy_seconds, 3)}

    def _sleep(self, seconds):
        if seconds > 0:
            self._wake.wait(seconds)
        self._wake.clear()

    def _run(self):
        next_due = None
        at_once = 0         # slices in a row that found work due at once (a provider answering a past time forever
        while not self._stop.is_set():     # must not make this thread spin: it then sleeps as when idle)
            enabled, slice_seconds, max_sleep = self.settings()
            if not enabled:
                self._sleep(max_sleep)
                next_due = None
                continue
            wait = max_sleep if next_due is None else min(max_sleep, self.app.clock.real_seconds_until(next_due))
            at_once = at_once + 1 if wait <= 0 else 0
            if at_once > 10000:
                LOG.warning("work stays due after %d slices in a row; looking again in %ss", at_once, max_sleep)
                at_once, wait = 0, max_sleep
            self._sleep(wait)
            if self._stop.is_set():
                break
            started = time.monotonic()
            try:
                self.app.engine.background_io()
                self.app.engine.let_requests_first()
                next_due = self.app.engine.background_slice(self.hooks, time.monotonic() + slice_seconds)
            except Exception:  # pylint: disable=broad-except  # never dies: the next request does the work anyway
                LOG.exception("background slice failed")
                next_due = None
                self._sleep(max_sleep)
            finally:
                self.slices += 1
                self.busy_seconds += time.monotonic() - started
