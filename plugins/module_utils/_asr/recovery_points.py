# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Recovery points of protected items: read them, describe them, choose one.

ASR lists an item's recovery points under the item (`.../replicationProtectedItems/{item}/recoveryPoints`);
there is no vault-wide list, so reading them is one (paged) GET list per item. Choosing is pure:

    choice = parse_choice(params["recovery_point"], params["recovery_point_time"])
    point = choose(points, choice, label)          # a REST point, or None for "Latest" (ASR processes
                                                   # the pending data itself: no point id is sent)
    horizon = multi_vm_horizon({item: points})     # the instant a multi-VM group fails over to together

`Points(vault, params)` does the same for one module run (each item's points listed once), and `report` is
recovery_point_info's run.

A choice is a keyword (Latest, LatestProcessed, LatestApplicationConsistent, LatestCrashConsistent; any
case), a recovery point (its name or id), or a time (the newest point at or before it).
"""

from __future__ import annotations

from ansible_collections.dr.asr.plugins.module_utils._errors import InputError
from ansible_collections.dr.asr.plugins.module_utils._azure.errors import azure_errors
from ansible_collections.dr.asr.plugins.module_utils._azure.models import as_dict
from ansible_collections.dr.asr.plugins.module_utils._asr import job_query, lookup, resolve
from ansible_collections.dr.asr.plugins.module_utils._asr.common import POINT_KEYWORDS, details, item_path
from ansible_collections.dr.asr.plugins.module_utils._asr.state import item_view, name_of

TYPES = ("ApplicationConsistent", "CrashConsistent")
_KEYWORD_TYPE = {"LatestApplicationConsistent": "ApplicationConsistent", "LatestCrashConsistent": "CrashConsistent"}


class Choice(object):
    """What the user asked for: `kind` keyword | point | time, and the value (keyword, name, datetime)."""

    __slots__ = ("kind", "value", "text", "multi_vm")

    def __init__(self, kind, value, text, multi_vm=False):
        self.kind, self.value, self.text, self.multi_vm = kind, value, text, multi_vm

    @property
    def keyword(self):
        return self.value if self.kind == "keyword" else None

    def __repr__(self):
        return "Choice(%s=%r%s)" % (self.kind, self.text, ", multi-VM" if self.multi_vm else "")


def parse_choice(point=None, time=None, multi_vm=False, parameter="recovery_point", time_parameter="recovery_point_time"):
    """The Choice of the module options (both unset: None, the action's default)."""
    if point not in (None, "") and time not in (None, ""):
        raise InputError(time_parameter, time, "unset when %s is set" % parameter)
    if time not in (None, ""):
        when = job_query.parse_time(time, time_parameter)
        return Choice("time", when, str(time), multi_vm)
    if point in (None, ""):
        return Choice("keyword", None, None, multi_vm) if multi_vm else None
    text = str(point).strip()
    for keyword in POINT_KEYWORDS:
        if text.lower() == keyword.lower():
            return Choice("keyword", keyword, text, multi_vm)
    if "/" not in text and not _looks_like_name(text):
        raise InputError(parameter, point, "one of %s, or the name or id of a recovery point" % ", ".join(POINT_KEYWORDS),
                         hint="List the item's recovery points with dr.asr.recovery_point_info.")
    return Choice("point", lookup.last_segment(text), text, multi_vm)


def _looks_like_name(text):
    """Recovery point names are GUID-like: letters, digits and hyphens, and at least one digit."""
    return all(c.isalnum() or c == "-" for c in text) and any(c.isdigit() for c in text)


# -- reading ------------------------------------------------------------------------------------------------

def list_points(vault, item):
    """The item's recovery points (REST dicts), newest first."""
    ops = vault.client.recovery_points
    path = item_path(item)
    with azure_errors("Listing the recovery points of %s" % name_of(item)):
        points = [as_dict(p) for p in ops.list_by_replication_protected_items(
            vault.resource_group, vault.name, path[0], path[1], path[2])]
    return newest_first(points)


def point_time(point):
    return job_query.from_iso(((point or {}).get("properties") or {}).get("recoveryPointTime"))


def newest_first(points):
    return sorted(points, key=lambda p: (point_time(p) is not None, point_time(p) or 0, p.get("name") or ""),
                  reverse=True)


def is_multi_vm(point):
    details = ((point.get("properties") or {}).get("providerSpecificDetails") or {})
    return str(details.get("isMultiVmSyncPoint") or "").lower() == "true"


def point_facts(point, now=None):
    """A recovery point as the modules return it (snake_case; age in seconds from `now`)."""
    props = point.get("properties") or {}
    when = point_time(point)
    now = now or job_query.utcnow()
    return dict(name=point.get("name"), id=point.get("id"), time=props.get("recoveryPointTime"),
                type=props.get("recoveryPointType"), multi_vm_sync_point=is_multi_vm(point),
                age_seconds=int((now - when).total_seconds()) if when is not None else None)


# -- choosing -------------------------------------------------------------------------------------------------

def candidates(points, choice):
    """The points a choice may pick from (by type for a typed keyword, multi-VM sync points if asked)."""
    out = list(points)
    wanted = _KEYWORD_TYPE.get(choice.keyword) if choice is not None else None
    if wanted:
        out = [p for p in out if (p.get("properties") or {}).get("recoveryPointType") == wanted]
    if choice is not None and choice.multi_vm:
        out = [p for p in out if is_multi_vm(p)]
    return out


def choose(points, choice, label, parameter="recovery_point", at=None):
    """The point `choice` selects among `points` (newest first) for item `label`; None means "latest" (no
    point id: ASR processes what is pending). `at`: a time the point must not be newer than (multi-VM sync).
    InputError when nothing fits, naming what exists."""
    if choice is None or (choice.kind == "keyword" and choice.value in (None, "Latest") and not choice.multi_vm):
        return None
    pool = candidates(points, choice)
    if choice.kind == "point":
        found = next((p for p in points if (p.get("name") or "").lower() == choice.value.lower()), None)
        if found is None:
            raise InputError(parameter, choice.text, "a recovery point of %s" % label,
                             hint=_available(points))
        if choice.multi_vm and not is_multi_vm(found):
            raise InputError(parameter, choice.text, "a multi-VM sync point of %s" % label,
                             hint="Point %s is not one (multi_vm_sync_point is set)." % found.get("name"))
        return found
    limit = choice.value if choice.kind == "time" else at
    if limit is not None and at is not None:
        limit = min(limit, at)
    pool = [p for p in pool if limit is None or (point_time(p) is not None and point_time(p) <= limit)]
    if not pool:
        what = {"time": "a recovery point of %s at or before %s" % (label, choice.text),
                "keyword": "%s recovery point of %s" % (_describe(choice), label)}[choice.kind]
        raise InputError(parameter if choice.kind == "keyword" else "recovery_point_time", choice.text, what,
                         hint=_available(points))
    return pool[0]


def _describe(choice):
    """"an application-consistent", "a crash-consistent multi-VM sync", "a" ..."""
    kind = {"LatestApplicationConsistent": "application-consistent", "LatestCrashConsistent": "crash-consistent"}.get(
        choice.keyword, "")
    text = ("%s multi-VM sync" % kind if choice.multi_vm else kind).strip()
    if not text:
        return "a"
    return ("an " if text[0] in "aeiou" else "a ") + text


def _available(points):
    if not points:
        return "It has no recovery points yet (initial replication not finished, or they were deleted by a commit)."
    newest, oldest = points[0], points[-1]
    return "Its %d points run from %s to %s (newest %s, %s)." % (
        len(points), (oldest.get("properties") or {}).get("recoveryPointTime"),
        (newest.get("properties") or {}).get("recoveryPointTime"), newest.get("name"),
        (newest.get("properties") or {}).get("recoveryPointType"))


def multi_vm_horizon(points_by_item):
    """The time the items of a multi-VM group fail over to together: the oldest of their newest multi-VM sync
    points (each item then takes its newest multi-VM sync point at or before it - the same instant when ASR stamps
    the group's points alike). None when an item has no multi-VM sync point."""
    newest = []
    for points in points_by_item.values():
        times = [point_time(p) for p in points if is_multi_vm(p) and point_time(p) is not None]
        if not times:
            return None
        newest.append(max(times))
    return min(newest) if newest else None


# -- one module run -------------------------------------------------------------------------------------------

class Points(object):
    """The recovery point choice of a run's options, and each item's points (listed once per run)."""

    def __init__(self, vault, params):
        self.vault = vault
        self.params = params
        self._choice = False
        self._points = {}

    def choice(self, plan=False):
        """The recovery point choice of the options (None: the action's default); a plan takes keywords only."""
        if self._choice is False:
            self._choice = parse_choice(self.params.get("recovery_point"), self.params.get("recovery_point_time"),
                                        bool(self.params.get("multi_vm_sync_point")))
        if plan and self._choice is not None and self._choice.kind != "keyword":
            raise InputError("recovery_point" if self._choice.kind == "point" else "recovery_point_time",
                             self._choice.text, "one of %s for a recovery plan" % ", ".join(POINT_KEYWORDS),
                             hint="A given recovery point or time is per VM: name the items instead of the plan.")
        return self._choice

    def of(self, item):
        """The item's recovery points, newest first."""
        key = item["id"].lower()
        if key not in self._points:
            self._points[key] = list_points(self.vault, item)
        return self._points[key]

    def point_for(self, item, latest_means_newest=False, at=None):
        """The point the choice selects for the item (None: latest); `latest_means_newest`: "Latest" (or no
        choice) is the newest processed point, for actions that need a point id."""
        choice = self.choice()
        if latest_means_newest and (choice is None or (choice.kind == "keyword" and choice.value in (None, "Latest"))):
            choice = Choice("keyword", "LatestProcessed", choice.text if choice else None,
                            choice.multi_vm if choice else False)
        return choose(self.of(item), choice, name_of(item), at=at)

    def multi_vm(self, targets):
        """For multi_vm_sync_point: the instant each multi-VM group fails over to (multi_vm_horizon), per target
        in `target.extra["at"]`."""
        groups = {}
        for target in targets:
            group = details(target.resource).get("multiVmGroupName")
            if not group:
                raise InputError("multi_vm_sync_point", True, "items that replicate in a multi-VM group",
                                 hint="%s is in no multi-VM group (protected_item multi_vm_group)." % target.label)
            groups.setdefault(group, []).append(target)
        for group, members in groups.items():
            shared = multi_vm_horizon(dict((t.label, self.of(t.resource)) for t in members))
            if shared is None:
                raise InputError("multi_vm_sync_point", True, "items with multi-VM sync points",
                                 hint="Not every item of multi-VM group %s (%s) has one yet." % (
                                     group, ", ".join(t.label for t in members)))
            for target in members:
                target.extra["at"] = shared


def report(vault, params):
    """recovery_point_info's run: the items (named, or a plan's members), each with its recovery points."""
    if params.get("recovery_plan"):
        _plan, members = resolve.plan(vault, params["recovery_plan"])
        found = [("recovery_plan", m) for m in members]
    else:
        found = resolve.items(vault, params["items"])
    since = job_query.parse_time(params.get("since"), "since")
    types = [t.lower() for t in params.get("types") or []]
    now = job_query.utcnow()
    out = []
    for _parameter, item in found:
        facts = [point_facts(p, now) for p in list_points(vault, item)]
        facts = [f for f in facts if (not types or (f["type"] or "").lower() in types) and
                 (since is None or (job_query.from_iso(f["time"]) or now) >= since)]
        if params.get("multi_vm_sync_point"):
            facts = [f for f in facts if f["multi_vm_sync_point"]]
        if params.get("limit"):
            facts = facts[:params["limit"]]
        view = item_view(item)
        keys = ("name", "item_name", "id", "phase", "state", "active_location", "provider", "failover_recovery_point")
        entry = dict((k, view[k]) for k in keys)
        entry.update(multi_vm_group=details(item).get("multiVmGroupName") or None, recovery_points=facts,
                     latest=_latest_by_type(facts))
        out.append(entry)
    return out


def _latest_by_type(facts):
    latest = dict(any=facts[0] if facts else None)
    for kind, key in (("ApplicationConsistent", "application_consistent"), ("CrashConsistent", "crash_consistent")):
        latest[key] = next((f for f in facts if f["type"] == kind), None)
    return latest
