# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Finding things in a vault by what people type: names or ARM ids, case-insensitively, with errors
that say what exists.

    policies = lookup.vault_read(vault, vault.policies)   # an unknown vault -> InputError naming vault_name
    container = lookup.appliance_container(vault, provider, params["protection_container"])
"""

from __future__ import annotations

from ansible_collections.dr.asr.plugins.module_utils._errors import AzureError, InputError
from ansible_collections.dr.asr.plugins.module_utils._azure import recoveryservices as rs
from ansible_collections.dr.asr.plugins.module_utils._asr.common import same_id  # noqa: F401 (lookup.same_id)


def last_segment(value):
    return (value or "").rstrip("/").rsplit("/", 1)[-1]


def segment_after(resource_id, key):
    """The name after `key` in an id (`replicationFabrics` -> the fabric name), or None."""
    parts = (resource_id or "").split("/")
    for i, part in enumerate(parts[:-1]):
        if part.lower() == key.lower():
            return parts[i + 1]
    return None


def matches(resource, wanted):
    """A resource (REST dict) is `wanted` when that is its name, friendly name or id (any case)."""
    if not wanted:
        return False
    wanted_l = wanted.lower()
    props = resource.get("properties") or {}
    names = (resource.get("name"), props.get("friendlyName"))
    return any(n and n.lower() == wanted_l for n in names) or same_id(resource.get("id"), wanted)


def unknown_vault(vault):
    try:
        names = sorted(v["name"] for v in rs.list_vaults(vault.clients, vault.resource_group))
    except AzureError:
        names = None
    where = "in resource group %s" % vault.resource_group
    found = (" (found: %s)" % (", ".join(names) or "none")) if names is not None else \
        " (the resource group could not be listed)"
    return InputError("vault_name", vault.name, "an existing Recovery Services vault %s%s" % (where, found))


def vault_read(vault, read):
    """Call `read()` (a vault-wide list); a 404 because the vault does not exist becomes InputError."""
    try:
        return read()
    except AzureError as err:
        if err.status == 404 and rs.get_vault(vault.clients, vault.resource_group, vault.name) is None:
            raise unknown_vault(vault) from None
        raise


def appliance_containers(vault, provider):
    """The protection containers of the provider's fabrics (the appliances' containers)."""
    return [c for c in vault_read(vault, vault.containers) if provider.policy.container_matches(c)]


def appliance_container(vault, provider, wanted=None, parameter="protection_container"):
    """The appliance's container: `wanted` (name or id), or the only one. InputError otherwise."""
    containers = appliance_containers(vault, provider)
    names = ", ".join(sorted(c["name"] for c in containers)) or "none"
    if wanted:
        for container in containers:
            if matches(container, wanted):
                return container
        raise InputError(parameter, wanted, "the name or id of a protection container of a registered replication "
                         "appliance in vault %s (found: %s)" % (vault.name, names))
    if len(containers) == 1:
        return containers[0]
    if not containers:
        raise InputError(parameter, wanted, "a vault with a registered replication appliance: vault %s has no "
                         "appliance protection container yet" % vault.name,
                         hint="Register the appliance, or wait for it with dr.asr.appliance_info and its "
                              "wait_for_appliance option.")
    raise InputError(parameter, wanted, "one of %s (vault %s has several appliance containers)" % (names, vault.name))
