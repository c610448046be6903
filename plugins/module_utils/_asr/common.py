# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Small helpers every part of `_asr` shares (pure, standard library only): REST dict access, ARM ids, the
problems of many inputs reported together, close matches for "not found" errors, and ASR's option values
that do not depend on the provider.
"""

from __future__ import annotations

import difflib
import re

from ansible_collections.dr.asr.plugins.module_utils._errors import InputError

NETWORK_TYPE = "Microsoft.Network/virtualNetworks"
STORAGE_TYPE = "Microsoft.Storage/storageAccounts"
AVAILABILITY_SET_TYPE = "Microsoft.Compute/availabilitySets"
PPG_TYPE = "Microsoft.Compute/proximityPlacementGroups"

#: option value -> ASR's failoverDirection
DIRECTIONS = {"primary_to_recovery": "PrimaryToRecovery", "recovery_to_primary": "RecoveryToPrimary"}
#: failover type per direction: VMware -> Azure is an (unplanned) failover, the failback a planned one
FAILOVER_TYPES = {"primary_to_recovery": "unplanned", "recovery_to_primary": "planned"}
#: recovery point choices by name, as ASR's recovery plans take them (RecoveryPlanPointType)
POINT_KEYWORDS = ("Latest", "LatestProcessed", "LatestApplicationConsistent", "LatestCrashConsistent")
#: Azure managed disk types a replica disk can have
DISK_TYPES = ("Standard_LRS", "Premium_LRS", "StandardSSD_LRS", "PremiumV2_LRS", "UltraSSD_LRS",
              "StandardSSD_ZRS", "Premium_ZRS")
LICENSE_TYPES = ("NotSpecified", "NoLicenseType", "WindowsServer")
SQL_SERVER_LICENSE_TYPES = ("NotSpecified", "NoLicenseType", "PAYG", "AHUB")
LINUX_LICENSE_TYPES = ("NotSpecified", "NoLicenseType", "LinuxServer")

#: where a VM runs (dr.asr's words for the provider's active location)
ON_PREMISES, AZURE = "on-premises", "azure"
#: the phases in which an item replicates and can fail over (to Azure, or back): what "protected" means
CAN_FAIL_OVER = ("protected", "test_failover", "reprotected")

SUGGESTIONS = 5

#: the names dr.asr gives the ASR resources it creates - replication policies, their container mappings
#: (associations), recovery plans. ASR's REST spec sets no pattern and its portal refuses spaces; a name with '/', a
#: space or a non-ASCII letter reached ASR, which created the resource, then the module failed reading it back. The
#: rule refuses what cannot work in an ARM resource path or is outside ASCII, and no more - our guess (docs/lab-asr.md,
#: "Guesses and deviations"), loose on purpose: a policy or plan named with underscores or dots stays manageable; the
#: lab's stricter rule for new recovery plans (plans.py, error 990030) is ASR's own answer, and it writes nothing.
#: Checked before any request (check_name).
ASR_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,258}[A-Za-z0-9_-])?")
ASR_NAME_RULE = ("1 to 260 characters: ASCII letters, digits, hyphens, underscores and dots, starting with a letter or "
                 "a digit and not ending with a dot")


def check_name(parameter, value, what, hint=None):
    """InputError naming `parameter` unless `value` is a name ASR takes for the `what` dr.asr creates (ASR_NAME)."""
    if not isinstance(value, str) or not ASR_NAME.fullmatch(value):
        raise InputError(parameter, value, "a name for the %s of %s" % (what, ASR_NAME_RULE), hint=hint)
    return value


# -- REST dicts ------------------------------------------------------------------------------------------------

def props(resource):
    """`resource.properties` ({} when missing)."""
    return (resource or {}).get("properties") or {}


def details(resource):
    """`resource.properties.providerSpecificDetails` ({} when missing)."""
    return props(resource).get("providerSpecificDetails") or {}


def compact(body):
    """The body without unset (None or empty text) values."""
    return dict((k, v) for k, v in body.items() if v not in (None, ""))


# -- ARM ids ----------------------------------------------------------------------------------------------------

def same_id(a, b):
    """ARM ids compare case-insensitively (ASR answers /Subscriptions/, the SDK sends /subscriptions/)."""
    return isinstance(a, str) and isinstance(b, str) and id_key(a) == id_key(b)


def id_key(resource_id):
    """An ARM id as a comparison or dict key (same_id's comparison; None -> "")."""
    return (resource_id or "").rstrip("/").lower()


def resource_group_id(value, subscription):
    if value is None:
        return None
    if value.startswith("/"):
        return value.rstrip("/")
    return "/subscriptions/%s/resourceGroups/%s" % (subscription, value)


def arm_id(value, group_id, full_type):
    """`value` when it is an ARM id, else the id of resource `value` of `full_type` in group `group_id`."""
    if value is None or value == "":
        return value
    if value.startswith("/"):
        return value.rstrip("/")
    return "%s/providers/%s/%s" % (group_id, full_type, value)


def item_path(item):
    """(fabric, container, item) names of a protected item id."""
    names = [p for p in (item["id"] or "").split("/") if p]
    return names[-5], names[-3], names[-1]


# -- input problems -------------------------------------------------------------------------------------------

def close_matches(wanted, candidates, count=SUGGESTIONS):
    """Up to `count` of `candidates` that look like `wanted` (case-insensitive), best first."""
    by_lower = {}
    for candidate in candidates:
        by_lower.setdefault((candidate or "").lower(), candidate)
    found = difflib.get_close_matches((wanted or "").lower(), list(by_lower), n=count, cutoff=0.6)
    return [by_lower[c] for c in found]


def not_found(parameter, value, what, names):
    """InputError for a name that matches nothing: close matches, else what there is."""
    close = close_matches(str(value), names)
    hint = ("Close matches: %s." % ", ".join(close)) if close else \
        ("It has: %s%s." % (", ".join(sorted(names)[:20]) or "none", " ..." if len(names) > 20 else ""))
    return InputError(parameter, value, what, hint=hint)


class Problems(object):
    """InputErrors of every target, reported together before anything is written."""

    SHOWN = 4

    def __init__(self):
        self.errors = []
        self._seen = set()

    def add(self, error):
        key = (error.details.get("parameter"), repr(error.details.get("value")), error.message)
        if key not in self._seen:
            self._seen.add(key)
            self.errors.append(error)

    def check(self):
        if not self.errors:
            return
        first = self.errors[0]
        if len(self.errors) > 1:
            everything = [e.to_dict() for e in self.errors]
            shown = self.errors[1:1 + self.SHOWN]
            first.message += " Also: " + " ".join(e.message for e in shown)
            if len(self.errors) > 1 + self.SHOWN:
                first.message += " (and %d more problems, see error.details.problems)" % (len(self.errors) - 1 - self.SHOWN)
            first.details = dict(first.details, problems=everything)
        raise first
