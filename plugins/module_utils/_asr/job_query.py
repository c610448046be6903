# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Finding ASR jobs: the service's `$filter` where it has one, the rest matched here.

ASR's job list takes an OData `$filter` built from the SDK's JobQueryParameter fields; Az PowerShell
(Get-AzRecoveryServicesAsrJob -> Utilities.ToQueryString) sends `Field eq 'value'` clauses joined with
`and`, with the C# property names: `StartTime` (ISO 8601 "o" format, UTC: jobs started at or after),
`EndTime` (jobs started at or before), `JobStatus` (one state), `AffectedObjectTypes`, `FabricId`,
`JobName`. PowerShell filters the target (TargetObjectId) itself, after the list: the service has no
target filter. So do we: time window, one state and one target type go to the service; several states,
scenarios and the target are matched on the listed jobs (and everything is re-checked here, so a
service that ignores a clause cannot widen the result).
"""

from __future__ import annotations

import datetime
import fnmatch
import re

from ansible_collections.dr.asr.plugins.module_utils._errors import InputError
from ansible_collections.dr.asr.plugins.module_utils._time import UTC, from_iso
from ansible_collections.dr.asr.plugins.module_utils._asr import lookup

STATES = ("NotStarted", "InProgress", "Succeeded", "Failed", "Cancelled", "Suspended", "Other")
_RELATIVE = re.compile(r"^\s*-?\s*(\d+)\s*(s|sec|secs|seconds?|m|min|mins|minutes?|h|hours?|d|days?|w|weeks?)\s*(ago)?\s*$",
                       re.I)
_UNITS = dict(s=1, m=60, h=3600, d=86400, w=604800)


def utcnow():
    return datetime.datetime.now(UTC)


def parse_time(value, parameter, now=None):
    """An ISO 8601 time (with Z or an offset; a date alone is midnight UTC) or a duration before now
    (`90s`, `30m`, `2h`, `7d`, `1w`, also `-2h` or `2 hours ago`) -> aware UTC datetime. InputError otherwise."""
    if value is None or value == "":
        return None
    text = str(value).strip()
    match = _RELATIVE.match(text)
    if match:
        seconds = int(match.group(1)) * _UNITS[match.group(2)[0].lower()]
        try:
            return (now or utcnow()) - datetime.timedelta(seconds=seconds)
        except OverflowError:
            raise InputError(parameter, value, "a duration before now that reaches back no further than the year 1, "
                                               "such as 30m, 2h or 7d") from None
    parsed = from_iso(text)
    if parsed is None:
        raise InputError(parameter, value, "an ISO 8601 time such as 2026-11-26T08:00:00Z (a time without an offset "
                                           "is UTC), or a duration before now such as 30m, 2h or 7d")
    return parsed


def to_filter_time(when):
    """The "o" format PowerShell sends: 2026-11-26T08:00:00.0000000Z."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + "%07d" % (when.microsecond * 10) + "Z"


def odata_filter(since=None, until=None, states=None, target_types=None):
    """The service-side part of a query, or None when there is nothing to send."""
    clauses = []
    if since is not None:
        clauses.append("StartTime eq '%s'" % to_filter_time(since))
    if until is not None:
        clauses.append("EndTime eq '%s'" % to_filter_time(until))
    if states and len(states) == 1:
        clauses.append("JobStatus eq '%s'" % states[0])
    if target_types and len(target_types) == 1:
        clauses.append("AffectedObjectTypes eq '%s'" % target_types[0].replace("'", "''"))
    return " and ".join(clauses) or None


# -- targets ---------------------------------------------------------------------------------------------

def target_keys(target, items=(), plans=()):
    """The lower-case names and ids a job's targetObjectName / targetObjectId may carry for `target` (a
    name or ARM id of a protected item, recovery plan, policy, ...): the given text, its last segment, and,
    for a protected item or plan it names, their friendly name and ASR's internal id."""
    keys = set(k for k in ((target or "").strip().lower(), lookup.last_segment(target).lower()) if k)
    for resource in list(items) + list(plans):
        if not lookup.matches(resource, target):
            continue
        props = resource.get("properties") or {}
        details = props.get("providerSpecificDetails") or {}
        for value in (resource.get("name"), props.get("friendlyName"), details.get("internalIdentifier"),
                      resource.get("id")):
            if value:
                keys.add(value.lower())
    return keys


# -- matching --------------------------------------------------------------------------------------------

def _glob(value, patterns):
    value = (value or "").lower()
    return any(fnmatch.fnmatchcase(value, p.lower()) for p in patterns)


def matches(job, since=None, until=None, states=None, scenarios=None, targets=None, target_types=None):
    """Whether a job (job_facts) is in the query. `targets` are target_keys()."""
    started = from_iso(job.get("start_time"))
    if since is not None and (started is None or started < since):
        return False
    if until is not None and (started is None or started > until):
        return False
    if states and (job.get("state") or "").lower() not in [s.lower() for s in states]:
        return False
    if scenarios and not (_glob(job.get("scenario"), scenarios) or _glob(job.get("friendly_name"), scenarios)):
        return False
    if target_types and (job.get("target_instance_type") or "").lower() not in [t.lower() for t in target_types]:
        return False
    if targets is not None:
        names = ((job.get("target_object_name") or "").lower(), (job.get("target_object_id") or "").lower())
        if not any(n and n in targets for n in names):
            return False
    return True


def newest_first(jobs):
    return sorted(jobs, key=lambda j: (from_iso(j.get("start_time")) or datetime.datetime.min.replace(tzinfo=UTC),
                                       j.get("name") or ""), reverse=True)
