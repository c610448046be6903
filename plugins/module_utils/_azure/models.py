# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SDK models -> plain data, and ARM resource ids.

The one place that knows the two generations of azure-mgmt-* models (requirements.txt's range spans both):

* the TypeSpec-generated models of the current SDKs (azure-mgmt-compute 39, -recoveryservicessiterecovery 2,
  ...): MutableMappings over the REST body; ``as_dict()`` gives REST camelCase keys; built from a dict;
* the AutoRest/msrest models of older releases (azure-mgmt-compute 33, -network 28, -resource 23,
  -recoveryservices 3, -recoveryservicessiterecovery 1, ...): plain objects whose ``as_dict()`` gives
  snake_case attribute names; ``serialize(keep_readonly=True)`` gives the REST body; built with ``deserialize``.

Everything above _azure works on REST dicts (as_dict) and never sees which generation answered.
"""

from __future__ import annotations

import re
from collections.abc import Mapping


def as_dict(model):
    """A plain dict (REST camelCase keys) of an SDK model (either generation), dict, or None."""
    if model is None:
        return None
    if isinstance(model, Mapping):
        # a dict, or a TypeSpec model (whose as_dict() is the REST body)
        return model.as_dict() if hasattr(model, "as_dict") else dict(model)
    if hasattr(model, "serialize"):
        # an msrest model: as_dict() would give attribute names; serialize() gives the REST body, read-only
        # properties (provisioningState, ...) kept
        return model.serialize(keep_readonly=True)
    if hasattr(model, "as_dict"):
        return model.as_dict()
    return dict(model)


def from_rest(model_class, body):
    """An SDK model of `model_class` (either generation) from a REST body (camelCase dict)."""
    if hasattr(model_class, "deserialize"):
        return model_class.deserialize(body)      # msrest model
    return model_class(body)                      # TypeSpec model


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
