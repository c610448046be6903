# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compare what the user asked for with what exists, once, for `changed` and `diff` alike."""

from __future__ import annotations


def _norm(value, case_insensitive):
    if case_insensitive and isinstance(value, str):
        return value.lower()
    return value


class DifferenceTracker(object):
    """Records wanted-vs-current per key; yields `changed`, `diff` and the update to send.

    Only keys the user set are compared (a parameter left unset never causes a change).
    """

    def __init__(self):
        self._items = []

    def add(self, key, current, wanted, case_insensitive=False):
        """Compare one key; `wanted` None means "not set by the user" and is ignored."""
        if wanted is None:
            return False
        differs = _norm(current, case_insensitive) != _norm(wanted, case_insensitive)
        self._items.append((key, current, wanted, differs))
        return differs

    @property
    def changed(self):
        return any(item[3] for item in self._items)

    def changed_keys(self):
        return [item[0] for item in self._items if item[3]]

    def wanted(self):
        """The keys that differ, with the wanted values (what an update sends)."""
        return dict((key, wanted) for key, _current, wanted, differs in self._items if differs)

    def diff(self, before_extra=None, after_extra=None):
        before = dict((key, current) for key, current, _wanted, differs in self._items if differs)
        after = dict((key, wanted) for key, _current, wanted, differs in self._items if differs)
        if before_extra:
            before.update(before_extra)
        if after_extra:
            after.update(after_extra)
        return {"before": before, "after": after}
