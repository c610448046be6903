# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ARM long-running operations through the one waiter.

The SDK's LROPoller already polls the status URL at the interval the service asks for
(`Retry-After`, falling back to the client's polling_interval = wait_sleep); the waiter bounds the
total time and turns a timeout into WaitTimeout with the last status seen.
"""

from __future__ import annotations

from ansible_collections.dr.asr.plugins.module_utils._waiter import Probe
from ansible_collections.dr.asr.plugins.module_utils._azure.errors import azure_errors


def lro_probe(poller):
    def probe():
        if poller.done():
            return Probe(True, value=poller.result())
        status = poller.status()
        return Probe(False, value={"status": status}, progress="status %s" % status)
    return probe


def wait_for_lro(poller, waiter, what):
    """Block until the poller finishes (result) or the waiter times out (WaitTimeout)."""
    with azure_errors(what):
        return waiter.until(lro_probe(poller), what, sleeper=poller.wait)
