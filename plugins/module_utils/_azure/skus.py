# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Azure VM sizes and what they can take, from the Resource SKUs API (one call per location).

    size = vm_size(clients, "westeurope", "Standard_D4s_v5")
    # {"name", "location", "max_nics", "max_data_disks", "hyperv_generations", "premium_io", "vcpus", "memory_gb"}

An unknown size, a size not offered in the location, or one the subscription may not use there
(restriction NotAvailableForSubscription for the whole location) is an InputError that lists sizes
that would do.
"""

from __future__ import annotations

import difflib

from ansible_collections.dr.asr.plugins.module_utils._errors import InputError
from ansible_collections.dr.asr.plugins.module_utils._azure.errors import azure_errors
from ansible_collections.dr.asr.plugins.module_utils._azure.models import as_dict

SUGGESTIONS = 8


def normalize_location(location):
    """'West Europe' -> 'westeurope'."""
    return (location or "").replace(" ", "").lower()


def list_vm_skus(clients, location):
    """The virtualMachines resource SKUs offered in `location` (REST dicts)."""
    loc = normalize_location(location)
    with azure_errors("Listing the VM sizes of %s" % loc):
        skus = [as_dict(sku) for sku in clients.client("compute").resource_skus.list(filter="location eq '%s'" % loc)]
    return [sku for sku in skus if sku.get("resourceType") == "virtualMachines"
            and loc in [normalize_location(x) for x in sku.get("locations") or []]]


def _capabilities(sku):
    return dict((c.get("name"), c.get("value")) for c in sku.get("capabilities") or [])


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def restricted(sku, location):
    """True when the subscription may not use the size anywhere in `location` (zone restrictions don't count)."""
    loc = normalize_location(location)
    for restriction in sku.get("restrictions") or []:
        if restriction.get("type") == "Location" and loc in [normalize_location(v) for v in restriction.get("values") or []]:
            return True
    return False


def size_facts(sku, location):
    caps = _capabilities(sku)
    generations = [g.strip() for g in (caps.get("HyperVGenerations") or "").split(",") if g.strip()]
    return {
        "name": sku.get("name"),
        "location": normalize_location(location),
        "max_nics": _int(caps.get("MaxNetworkInterfaces")),
        "max_data_disks": _int(caps.get("MaxDataDiskCount")),
        "hyperv_generations": generations,
        "premium_io": caps.get("PremiumIO") == "True",
        "vcpus": _int(caps.get("vCPUs")),
        "memory_gb": caps.get("MemoryGB"),
    }


def suggestions(wanted, names, count=SUGGESTIONS):
    """A few of `names`: the closest to `wanted` first, then the rest in order."""
    close = difflib.get_close_matches(wanted or "", names, n=count, cutoff=0.5)
    return (close + [n for n in names if n not in close])[:count]


def vm_size(clients, location, name):
    """The capabilities of VM size `name` in `location`, or InputError naming sizes that would do."""
    skus = list_vm_skus(clients, location)
    if not skus:
        raise InputError("location", location, "an Azure region that offers VM sizes, written like westeurope",
                         hint="The Resource SKUs API lists no VM size in '%s'." % normalize_location(location))
    usable = sorted(sku["name"] for sku in skus if not restricted(sku, location))
    for sku in skus:
        if (sku.get("name") or "").lower() == (name or "").lower():
            if restricted(sku, location):
                raise InputError("target_vm_size", name, "a VM size this subscription may use in %s" % location,
                                 hint="%s is restricted there (NotAvailableForSubscription). Usable sizes include: %s."
                                 % (sku["name"], ", ".join(suggestions(name, usable))))
            return size_facts(sku, location)
    listed = ", ".join(suggestions(name, usable))
    raise InputError("target_vm_size", name, "a VM size offered in %s" % normalize_location(location),
                     hint="Valid sizes there include: %s (%d in all)." % (listed, len(usable)))
