# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The documented capacity of a replication appliance (modernized, InMageRcm) and the load of each appliance of a
vault: the one place dr.asr knows them (dr.asr.switch_appliance balances with them, dr.asr.protected_item picks the
least loaded appliance when enabling). Pure: fabrics and items in, facts out.

Microsoft Learn, "Deploy Azure Site Recovery replication appliance - Modernized", section "Sizing and capacity"
(SOURCE): "An appliance that uses an in-built process server to protect the workload can handle up to 200 virtual
machines" (16 vCPUs, 32 GB memory, 1 TB cache disk, a data change rate above 1 TB up to 2 TB a day for 151 to 200
machines); "You can switch a protected machine between different appliances in the same vault, given the selected
appliance is healthy" - so only a healthy appliance (its process server's health Normal) is a target.
"""

from __future__ import annotations

from ansible_collections.dr.asr.plugins.module_utils._asr.common import details, props

SOURCE = ("https://learn.microsoft.com/en-us/azure/site-recovery/deploy-vmware-azure-replication-appliance-modernized"
          "#sizing-and-capacity")
#: protected machines one appliance (its in-built process server) handles [SOURCE]
MAX_PROTECTED_MACHINES = 200
#: data change rate (churn) of all its machines a day, bytes [SOURCE: "> 1 TB to 2 TB" for the largest size]
MAX_DAILY_CHURN_BYTES = 2 * 1024 ** 4
#: the process server health that makes an appliance a target [SOURCE: "given the selected appliance is healthy"]
HEALTHY = ("normal",)


def process_servers(fabric):
    """The process servers (one per appliance) of an InMageRcm fabric."""
    return list((props(fabric).get("customDetails") or {}).get("processServers") or [])


def loads(fabric, items):
    """{process server id (lower case): fact} for the fabric's appliances: name, id, health, protected (the larger of
    the process server's protectedItemCount and the vault's items naming it: both are ASR's statements) and the
    throughput ASR reports."""
    counted = {}
    for item in items or []:
        ps = (details(item).get("processServerId") or "").lower()
        if ps:
            counted[ps] = counted.get(ps, 0) + 1
    out = {}
    for server in process_servers(fabric):
        key = (server.get("id") or "").lower()
        out[key] = dict(name=server.get("name"), id=server.get("id"), health=server.get("health"),
                        protected=max(int(server.get("protectedItemCount") or 0), counted.get(key, 0)),
                        throughput_in_bytes=server.get("throughputInBytes"))
    return out


def healthy(load):
    return (load.get("health") or "").lower() in HEALTHY


def least_loaded(fabric_loads, limit=MAX_PROTECTED_MACHINES, exclude=()):
    """The healthy appliance with the fewest protected machines and room below `limit` (ties: by name), or None."""
    skip = set((e or "").lower() for e in exclude)
    room = [f for k, f in fabric_loads.items() if healthy(f) and f["protected"] < limit and k not in skip]
    if not room:
        return None
    return sorted(room, key=lambda f: (f["protected"], (f["name"] or "").lower()))[0]


def find(fabric_loads, wanted):
    """The appliance named (or with the process server id) `wanted`, or None."""
    wanted = (wanted or "").lower()
    for key, load in fabric_loads.items():
        if key == wanted or (load["name"] or "").lower() == wanted:
            return load
    return None


def view(fabric_loads, limit=MAX_PROTECTED_MACHINES):
    """The appliances' load as modules return it."""
    return [dict(name=f["name"], process_server_id=f["id"], health=f["health"], protected_items=f["protected"],
                 capacity=limit, over_capacity=f["protected"] > limit)
            for f in sorted(fabric_loads.values(), key=lambda f: (f["name"] or "").lower())]
