# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The classic estate of a vault, as dr.asr.classic_info returns it: configuration servers (fabrics of kind
VMware) with their process servers, master target servers, run-as accounts and vCenter servers, and the items that
replicate through them (InMageAzureV2) with their health, agent and what blocks their move.

Reads: the vault's fabric list, then a GET of each configuration server fabric (a list is not trusted for its
components) and its vCenter list; the item list, then a GET of each classic item (its blocking errors and switch
details are not trusted from a list)."""

from __future__ import annotations

from ansible_collections.dr.asr.plugins.module_utils._azure.errors import azure_errors
from ansible_collections.dr.asr.plugins.module_utils._azure.models import as_dict
from ansible_collections.dr.asr.plugins.module_utils._asr import lookup, providers
from ansible_collections.dr.asr.plugins.module_utils._asr.common import details, props
from ansible_collections.dr.asr.plugins.module_utils._asr.state import item_facts

CLASSIC = providers.get("classic")
FABRIC_KIND = "vmware"


def _versioned(entry):
    version = entry.get("agentVersionDetails") or {}
    return dict(agent_version=entry.get("agentVersion"), version_status=entry.get("versionStatus") or
                version.get("status"), agent_expiry_date=entry.get("agentExpiryDate") or version.get("expiryDate"),
                last_heartbeat=entry.get("lastHeartbeat"))


def process_server_facts(ps):
    out = dict(name=ps.get("friendlyName"), id=ps.get("id"), ip_address=ps.get("ipAddress"), health=ps.get("health"),
               machine_count=ps.get("machineCount"), replication_pair_count=ps.get("replicationPairCount"),
               system_load_status=ps.get("systemLoadStatus"), space_usage_status=ps.get("spaceUsageStatus"),
               service_status=ps.get("psServiceStatus"),
               health_errors=[e.get("errorMessage") or e.get("summaryMessage") for e in ps.get("healthErrors") or []])
    out.update(_versioned(ps))
    return out


def master_target_facts(mt):
    out = dict(name=mt.get("name"), id=mt.get("id"), ip_address=mt.get("ipAddress"), os_type=mt.get("osType"),
               retention_volumes=[dict(name=v.get("volumeName"), capacity_bytes=v.get("capacityInBytes"),
                                       free_bytes=v.get("freeSpaceInBytes")) for v in mt.get("retentionVolumes") or []])
    out.update(_versioned(mt))
    return out


def vcenter_facts(vc):
    p = props(vc)
    return dict(name=p.get("friendlyName"), id=vc.get("id"), ip_address=p.get("ipAddress"), port=p.get("port"),
                discovery_status=p.get("discoveryStatus"), last_heartbeat=p.get("lastHeartbeat"),
                process_server_id=p.get("processServerId"), run_as_account_id=p.get("runAsAccountId"),
                health_errors=[e.get("errorMessage") or e.get("summaryMessage") for e in p.get("healthErrors") or []])


def server_facts(fabric, vcenters):
    p = props(fabric)
    d = p.get("customDetails") or {}
    out = dict(name=p.get("friendlyName") or fabric.get("name"), fabric_name=fabric.get("name"), id=fabric.get("id"),
               host_name=d.get("hostName"), ip_address=d.get("ipAddress"), health=p.get("health"),
               health_errors=[e.get("errorMessage") or e.get("summaryMessage") for e in p.get("healthErrorDetails") or []],
               service_status=d.get("csServiceStatus"), ssl_cert_expiry_date=d.get("sslCertExpiryDate"),
               process_servers=[process_server_facts(ps) for ps in d.get("processServers") or []],
               master_target_servers=[master_target_facts(mt) for mt in d.get("masterTargetServers") or []],
               run_as_accounts=[dict(id=a.get("accountId"), name=a.get("accountName")) for a in d.get("runAsAccounts") or []],
               vcenters=[vcenter_facts(vc) for vc in vcenters],
               switch_provider_blocking_errors=CLASSIC.item.blocking_errors(d))
    out.update(_versioned(d))
    return out


def is_classic_item(item):
    return (details(item).get("instanceType") or "").lower() == CLASSIC.instance_type.lower()


def estate(vault, names=None):
    """(configuration servers, classic items) of the vault; `names`: only these items (VM name, item name or id)."""
    client = vault.client
    servers = []
    for fabric in lookup.vault_read(vault, vault.fabrics):
        if ((props(fabric).get("customDetails") or {}).get("instanceType") or "").lower() != FABRIC_KIND:
            continue
        with azure_errors("Reading configuration server %s of vault %s" % (fabric.get("name"), vault.name)):
            full = as_dict(client.replication_fabrics.get(vault.resource_group, vault.name, fabric["name"]))
            vcenters = [as_dict(v) for v in client.replicationv_centers.list_by_replication_fabrics(
                vault.resource_group, vault.name, fabric["name"])]
        servers.append(server_facts(full, vcenters))
    listed = [i for i in vault.protected_items() if is_classic_item(i)]
    if names:
        wanted = set(n.lower() for n in names)
        listed = [i for i in listed if set(k.lower() for k in (props(i).get("friendlyName"), i.get("name"), i.get("id"))
                                           if k) & wanted]
    full = vault.get_items(listed)
    items = [item_facts(full.get(i["id"].lower(), i)) for i in listed]
    return servers, items
