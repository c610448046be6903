# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Replication appliances of a vault (modernized experience) and the fabrics they register.

Vault-wide lists only: fabrics, protection containers, `replicationAppliances`, `replicationvCenters`,
plus one list of run-as accounts (push-install credentials) per Azure Migrate site. Components of an
appliance (process server, RCM proxy, push installer, replication agent, reprotect agent, MARS agent,
DRA) are returned with their version, health and last heartbeat.
"""

from __future__ import annotations

from ansible_collections.dr.asr.plugins.module_utils._waiter import Probe
from ansible_collections.dr.asr.plugins.module_utils._azure.errors import azure_errors
from ansible_collections.dr.asr.plugins.module_utils._azure.models import as_dict, snake
from ansible_collections.dr.asr.plugins.module_utils._asr import lookup, offazure, providers

COMPONENTS = (("processServer", "process_server"), ("rcmProxy", "rcm_proxy"), ("pushInstaller", "push_installer"),
              ("replicationAgent", "replication_agent"), ("reprotectAgent", "reprotect_agent"),
              ("marsAgent", "mars_agent"), ("dra", "dra"))
HEALTH_ORDER = ("normal", "none", "warning", "critical")
#: run-as accounts that are the appliance's vCenter credentials, not push-install (guest) credentials
VCENTER_CREDENTIAL_TYPES = ("VMwareFabric",)
_RENAMES = {"lastHeartbeatUtc": "last_heartbeat", "lastDiscoveryInUtc": "last_discovery"}


def snake_keys(value):
    """REST camelCase -> snake_case, recursively (keys only)."""
    if isinstance(value, dict):
        return dict((_RENAMES.get(k) or snake(k), snake_keys(v)) for k, v in value.items())
    if isinstance(value, list):
        return [snake_keys(v) for v in value]
    return value


def worst_health(values):
    known = [v for v in values if isinstance(v, str) and v.lower() in HEALTH_ORDER]
    if not known:
        return None
    return max(known, key=lambda v: HEALTH_ORDER.index(v.lower()))


def _under(resource, parent_id):
    return bool(parent_id) and (resource.get("id") or "").lower().startswith(parent_id.lower().rstrip("/") + "/")


def _experience(kind):
    provider = providers.of_instance_type(kind)
    if provider is not None:
        return provider.experience
    return "classic" if (kind or "").lower() == "vmware" else None


# -- reads -------------------------------------------------------------------------------------------

def list_appliances(vault):
    """The vault's appliances (REST dicts of ReplicationAppliance entries), flattened."""
    with azure_errors("Listing the replication appliances of vault %s" % vault.name):
        pages = [as_dict(a) for a in vault.client.replication_appliances.list(vault.resource_group, vault.name)]
    out = []
    for entry in pages:
        details = (entry.get("properties") or {}).get("providerSpecificDetails") or {}
        out.extend(details.get("appliances") or [])
    return out


def list_vcenters(vault):
    with azure_errors("Listing the vCenters of vault %s" % vault.name):
        return [as_dict(v) for v in vault.client.replicationv_centers.list(vault.resource_group, vault.name)]


# -- facts ---------------------------------------------------------------------------------------------

def component_facts(component):
    return snake_keys(component) if component else None


def appliance_facts(appliance, fabric, containers, run_as_accounts):
    components = dict((key, component_facts(appliance.get(rest))) for rest, key in COMPONENTS)
    mine = [a for a in run_as_accounts
            if (a.get("appliance_name") or "").lower() in ("", (appliance.get("name") or "").lower())]
    process_server = components["process_server"] or {}
    fabric_id = appliance.get("fabricArmId") or (fabric or {}).get("id")
    out = dict(
        name=appliance.get("name"), id=appliance.get("id"),
        fabric=lookup.last_segment(fabric_id) or None, fabric_id=fabric_id,
        containers=[c["name"] for c in containers if _under(c, fabric_id)],
        version=process_server.get("version"), last_heartbeat=process_server.get("last_heartbeat"),
        health=worst_health(c.get("health") for c in components.values() if c),
        run_as_accounts=mine,
        push_install_credentials=[a["name"] for a in mine if a.get("credential_type") not in VCENTER_CREDENTIAL_TYPES],
    )
    out.update(components)
    return out


def vcenter_facts(vcenter):
    props = vcenter.get("properties") or {}
    return dict(id=vcenter.get("id"), name=vcenter.get("name"), friendly_name=props.get("friendlyName"),
                ip_address=props.get("ipAddress"), port=props.get("port"), discovery_status=props.get("discoveryStatus"),
                last_heartbeat=props.get("lastHeartbeat"), process_server_id=props.get("processServerId"),
                health_errors=snake_keys(props.get("healthErrors") or []))


def fabric_facts(fabric, containers, vcenters, run_as_accounts):
    props = fabric.get("properties") or {}
    details = props.get("customDetails") or {}
    kind = details.get("instanceType")
    mine = [c for c in containers if _under(c, fabric.get("id"))]
    return dict(
        id=fabric.get("id"), name=fabric.get("name"), friendly_name=props.get("friendlyName"), instance_type=kind,
        experience=_experience(kind), health=props.get("health"),
        health_errors=snake_keys(props.get("healthErrorDetails") or []),
        vmware_site_id=details.get("vmwareSiteId"), physical_site_id=details.get("physicalSiteId"),
        containers=[dict(id=c.get("id"), name=c.get("name")) for c in mine],
        vcenters=[vcenter_facts(v) for v in vcenters if _under(v, fabric.get("id"))],
        run_as_accounts=run_as_accounts,
        registered_agents=sorted(dict((a["bios_id"], a) for a in offazure.registered_agents(fabric).values()).values(),
                                 key=lambda a: (a.get("fqdn") or "", a.get("bios_id") or "")),
    )


# -- the whole picture, and waiting for it -----------------------------------------------------------

def snapshot(vault):
    """(fabrics, containers, appliances) as REST dicts, fresh: three vault-wide lists."""
    vault.forget("fabrics", "containers")
    fabrics = lookup.vault_read(vault, vault.fabrics)
    return fabrics, vault.containers(), list_appliances(vault)


def registered(snap, name=None):
    """The appliances (REST) that are registered and usable: listed, named `name` if given, their fabric in the
    same snapshot's fabric list, with a protection container in that fabric (the three lists are separate reads:
    an appliance is counted only when all three show it)."""
    fabrics, containers, appliances = snap
    out = []
    for appliance in appliances:
        if name and (appliance.get("name") or "").lower() != name.lower():
            continue
        fabric_id = appliance.get("fabricArmId")
        if any(lookup.same_id(f.get("id"), fabric_id) for f in fabrics) and \
                any(_under(c, fabric_id) for c in containers):
            out.append(appliance)
    return out


def registration_probe(vault, name=None):
    def look():
        snap = snapshot(vault)
        found = registered(snap, name)
        if found:
            return Probe(True, value=snap)
        fabrics, containers, listed = snap
        seen = dict(fabrics=[f.get("name") for f in fabrics], containers=[c.get("name") for c in containers],
                    appliances=[a.get("name") for a in listed])
        what = "appliance %s" % name if name else "an appliance"
        return Probe(False, value=seen, progress="%s not registered yet (appliances seen: %s)"
                     % (what, ", ".join(seen["appliances"]) or "none"))
    return look


def collect(vault, snap, name=None):
    """(appliance facts, fabric facts) of a snapshot, with vCenters and run-as accounts (one list per site)."""
    fabrics, containers, appliances = snap
    vcenters = list_vcenters(vault) if fabrics else []
    accounts_by_fabric = {}
    for fabric, site in offazure.site_ids(fabrics):
        accounts_by_fabric[fabric["id"].lower()] = sorted(
            (offazure.run_as_account_facts(a) for a in offazure.list_run_as_accounts(vault.clients, site)),
            key=lambda a: (a["name"] or "").lower())
    fabric_out = [fabric_facts(f, containers, vcenters, accounts_by_fabric.get(f["id"].lower(), [])) for f in fabrics]
    appliance_out = []
    for appliance in appliances:
        if name and (appliance.get("name") or "").lower() != name.lower():
            continue
        fabric = next((f for f in fabrics if lookup.same_id(f.get("id"), appliance.get("fabricArmId"))), None)
        accounts = accounts_by_fabric.get(((fabric or {}).get("id") or "").lower(), [])
        appliance_out.append(appliance_facts(appliance, fabric, containers, accounts))
    return sorted(appliance_out, key=lambda a: (a["name"] or "").lower()), sorted(fabric_out, key=lambda f: f["name"] or "")
