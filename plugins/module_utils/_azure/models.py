# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SDK models -> plain data, and ARM resource ids."""

from __future__ import annotations

import re


def as_dict(model):
    """A plain dict (REST camelCase keys) of an SDK model, dict, or None."""
    if model is None:
        return None
    if hasattr(model, "as_dict"):
        return model.as_dict()
    return dict(model)


_FIRST = re.compile(r"(.)([A-Z][a-z]+)")
_SECOND = re.compile(r"([a-z0-9])([A-Z])")


def snake(name):
    return _SECOND.sub(r"\1_\2", _FIRST.sub(r"\1_\2", name)).lower()


def parse_resource_id(resource_id):
    """'/subscriptions/s/resourceGroups/rg/providers/Ns/type/name[/child/name]' -> dict (case kept)."""
    parts = [p for p in (resource_id or "").split("/") if p]
    out = {}
    i = 0
    while i + 1 < len(parts):
        key = parts[i].lower()
        if key == "subscriptions":
            out["subscription_id"] = parts[i + 1]
        elif key == "resourcegroups":
            out["resource_group"] = parts[i + 1]
        elif key == "providers":
            out["namespace"] = parts[i + 1]
            out["types"] = parts[i + 2::2]
            out["names"] = parts[i + 3::2]
            out["name"] = out["names"][-1] if out["names"] else None
            break
        i += 2
    return out
