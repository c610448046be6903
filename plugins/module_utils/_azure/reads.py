# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reads at the Azure boundary: a GET that may find nothing, and the per-run cache every read goes through.

    clients.read("vnet:" + network_id, "Reading virtual network x", lambda: network.virtual_networks.get(rg, x))
    # -> the resource as a REST dict, or None when Azure answers 404; read once per module run

`AzureClients.cache` is one `RunCache` per module run (the run's client factory), so two parts of a run that
need the same resource share one request.
"""

from __future__ import annotations

from ansible_collections.dr.asr.plugins.module_utils._azure.errors import azure_errors, is_not_found
from ansible_collections.dr.asr.plugins.module_utils._azure.models import as_dict


def read_or_none(what, call, convert=as_dict, missing=None):
    """`convert(call())`, or `missing` when the resource does not exist (404); other errors as AzureError."""
    with azure_errors(what):
        try:
            return convert(call())
        except Exception as exc:  # pylint: disable=broad-except
            if is_not_found(exc):
                return missing
            raise


class RunCache(object):
    """Values computed once per module run, by key (case-insensitive)."""

    def __init__(self):
        self._values = {}

    def once(self, key, compute):
        key = key.lower()
        if key not in self._values:
            self._values[key] = compute()
        return self._values[key]

    def forget(self, *prefixes):
        """Drop the values whose key starts with one of `prefixes` (all of them when none is given)."""
        for key in list(self._values):
            if not prefixes or any(key.startswith(p.lower()) for p in prefixes):
                del self._values[key]
