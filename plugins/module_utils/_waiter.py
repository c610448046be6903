# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one waiter of dr.asr.

A small loop over a monotonic clock. What is waited for (an ARM long-running operation, an ASR job,
a vSphere task) is a *probe*: a callable returning a `Probe`. The boundary packages provide the
probes (`_azure.lro`, `_vsphere.tasks`); this module knows none of the SDKs.

* `Retry-After` from the service wins over `wait_sleep` (never sleep longer than asked, nor poll
  sooner than asked).
* Without `Retry-After`, the first looks come sooner: a quarter of `wait_sleep`, then half, then `wait_sleep` from
  the third look on (RAMP). Many ASR jobs (a policy, its association, a plan's save) end within seconds: a fixed
  `wait_sleep` spent most of a short step sleeping past their end, where two extra looks cost two reads.
* A timeout raises `WaitTimeout` carrying the last thing the probe saw (the partial result).
"""

from __future__ import annotations

import time

from ansible_collections.dr.asr.plugins.module_utils._errors import WaitTimeout

WAIT_ARGUMENT_SPEC = dict(
    wait=dict(type="bool", default=True),
    wait_timeout=dict(type="int", default=1800),
    wait_sleep=dict(type="int", default=10),
)
#: the modules that wait for ASR jobs run in rounds (plugins/plugin_utils/_wait_action.py; doc
#: fragment dr.asr.wait_rounds)
ROUND_ARGUMENT_SPEC = dict(
    wait_round=dict(type="int", default=60),
)
#: the ranges of those numbers, checked when the module's arguments are (DrAsrModule), before anything is read or
#: written
WAIT_BOUNDS = dict(
    wait_timeout=dict(minimum=0, unit="seconds; 0 looks once and does not wait"),
    wait_sleep=dict(minimum=0, unit="seconds"),
)
ROUND_BOUNDS = dict(
    wait_round=dict(minimum=0, unit="seconds; 0 waits in one run"),
)


class Probe(object):
    """What one look at the awaited thing found."""

    __slots__ = ("done", "value", "retry_after", "progress")

    def __init__(self, done, value=None, retry_after=None, progress=None):
        self.done = done
        self.value = value
        self.retry_after = retry_after
        self.progress = progress


#: the first sleeps without Retry-After, as fractions of wait_sleep (then wait_sleep itself)
RAMP = (0.25, 0.5)


class Waiter(object):
    """Wait until a probe says done, within `timeout` seconds, `sleep` seconds between looks (the first ones
    shorter: RAMP)."""

    def __init__(self, timeout, sleep, clock=time.monotonic, sleeper=time.sleep, min_sleep=0.05):
        if timeout is None or timeout < 0:
            raise ValueError("timeout must be >= 0")
        self.timeout = timeout
        self.sleep = max(sleep or 0, 0)
        self._clock = clock
        self._sleeper = sleeper
        self._min_sleep = min_sleep

    @classmethod
    def from_params(cls, params, **kwargs):
        return cls(timeout=params["wait_timeout"], sleep=params["wait_sleep"], **kwargs)

    def delay(self, probe, look=len(RAMP)):
        """Seconds to sleep after the `look`-th look (0 = the first) saw `probe`."""
        if probe.retry_after is not None:
            return max(float(probe.retry_after), self._min_sleep)
        share = RAMP[look] if look < len(RAMP) else 1.0
        return max(float(self.sleep) * share, self._min_sleep)

    def until(self, probe_fn, what="operation", sleeper=None):
        """Call probe_fn() until it reports done; return its value.

        `sleeper(seconds)` replaces time.sleep, e.g. to block on an SDK poller that wakes up early.
        """
        sleeper = sleeper or self._sleeper
        deadline = self._clock() + self.timeout
        look = 0
        while True:
            probe = probe_fn()
            if probe.done:
                return probe.value
            remaining = deadline - self._clock()
            if remaining <= 0:
                message = "Timed out after %ss waiting for %s" % (self.timeout, what)
                if probe.progress:
                    message += " (last seen: %s)" % probe.progress
                raise WaitTimeout(message + ".", partial=probe.value,
                                  recommended_action="Run again to resume waiting, or raise wait_timeout.")
            sleeper(min(self.delay(probe, look), remaining))
            look += 1
