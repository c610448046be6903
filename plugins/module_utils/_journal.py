# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The write journal of one module run: what the run sent that may have changed something.

Every Azure write request that was not refused (PUT, PATCH, POST, DELETE answered below 400, or whose answer was
lost: `_azure.policies.JournalPolicy`), every vSphere task and every command that changes the guest is recorded.
A failure reports it (DrAsrModule.fail_json): `changed` and `writes`, so that nothing is half-applied without
saying so. Entries name methods and paths only (never bodies, query strings or secrets).
"""

from __future__ import annotations

#: how many writes a message lists (the result's `writes` has them all)
SHOWN = 5


class Journal(object):

    def __init__(self):
        self.entries = []

    def record(self, what):
        self.entries.append(what)

    def __len__(self):
        return len(self.entries)

    def __bool__(self):
        return bool(self.entries)

    def summary(self):
        """One sentence for a failure message: nothing written, or how many writes and the first of them."""
        if not self.entries:
            return "Nothing was written before it."
        shown = "; ".join(self.entries[:SHOWN])
        if len(self.entries) > SHOWN:
            shown += "; and %d more (see writes)" % (len(self.entries) - SHOWN)
        return ("%d write(s) had been sent before it: %s. The change may be half-applied: run the task again (it "
                "compares with what exists and goes on from there), or check these resources." % (len(self.entries),
                                                                                                  shown))
