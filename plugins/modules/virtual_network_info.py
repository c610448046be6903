#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: virtual_network_info
short_description: Virtual networks as DR sees them - address space, subnets and peerings
version_added: 1.0.0
description:
  - Returns Azure virtual networks by name or id with their address space, subnets and peerings (the remote network and
    the peering state), so that a drill can prove its test network is isolated from the recovery network - not the same
    network and not peered with it (in either direction) - before anything is written.
  - Also returns, for every pair of the networks asked for, whether they are peered (RV(peered_pairs)).
author:
  - dr.asr maintainers (@dr-asr)
options:
  networks:
    description:
      - The virtual networks, each by id or by name (a name is looked up in O(resource_group)).
    type: list
    elements: str
    required: true
  resource_group:
    description:
      - Resource group of the networks given by name.
    type: str
extends_documentation_fragment:
  - dr.asr.azure
  - dr.asr.query
attributes:
  check_mode:
    support: full
    description: Reads only; runs the same in check mode.
  diff_mode:
    support: none
    description: Changes nothing, so there is no diff.
notes:
  - One GET per distinct network (a network's peerings come with it).
  - A network that does not exist is returned with RV(networks[].exists=false).
seealso:
  - module: dr.asr.test_failover
  - module: dr.asr.recovered_vm_info
'''

EXAMPLES = r'''
- name: The test and the recovery network
  dr.asr.virtual_network_info:
    networks: [vnet-dr-test, vnet-dr-recovery]
    resource_group: rg-dr
  register: nets

- name: The test network is isolated from the recovery network
  ansible.builtin.assert:
    that: nets.peered_pairs == []
'''

RETURN = r'''
networks:
  description: One entry per network asked for, in that order.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Network name.
      type: str
      sample: vnet-dr-test
    id:
      description: Network id (as given, when it does not exist).
      type: str
    exists:
      description: Whether the network exists.
      type: bool
    resource_group:
      description: Resource group.
      type: str
    location:
      description: Region.
      type: str
    address_prefixes:
      description: Address space.
      type: list
      elements: str
      sample: [10.20.0.0/16]
    subnets:
      description: Subnets - C(name), C(id), C(address_prefix).
      type: list
      elements: dict
    peerings:
      description:
        - Peerings of the network - C(name), C(id), C(remote_network_id), C(remote_network) (name), C(state)
          (C(Initiated), C(Connected), C(Disconnected)), C(sync_level), C(allow_forwarded_traffic),
          C(allow_gateway_transit), C(use_remote_gateways).
      type: list
      elements: dict
peered_pairs:
  description:
    - Pairs of the networks asked for that are peered, in either direction (any peering state) - C(network),
      C(remote_network) (ids), C(peering) (name), C(state).
  returned: always
  type: list
  elements: dict
query_result:
  description: The value of O(query) over the result, when O(query) is set.
  returned: when O(query) is set
  type: raw
  sample: [web-03, db-01]
'''

from ansible_collections.dr.asr.plugins.module_utils._errors import InputError
from ansible_collections.dr.asr.plugins.module_utils._module import DrAsrModule, run
from ansible_collections.dr.asr.plugins.module_utils._azure.models import parse_resource_id
from ansible_collections.dr.asr.plugins.module_utils._asr import lookup

ARGUMENT_SPEC = dict(
    networks=dict(type="list", elements="str", required=True),
    resource_group=dict(type="str"),
)
VNET_PATH = "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/virtualNetworks/%s"


def _props(resource):
    return (resource or {}).get("properties") or {}


def network_facts(vnet, wanted_id):
    if vnet is None:
        parsed = parse_resource_id(wanted_id)
        return dict(name=parsed.get("name"), id=wanted_id, exists=False, resource_group=parsed.get("resource_group"),
                    location=None, address_prefixes=[], subnets=[], peerings=[])
    props = _props(vnet)
    peerings = []
    for peering in props.get("virtualNetworkPeerings") or []:
        pp = _props(peering)
        remote = (pp.get("remoteVirtualNetwork") or {}).get("id")
        peerings.append(dict(name=peering.get("name"), id=peering.get("id"), remote_network_id=remote,
                             remote_network=lookup.last_segment(remote) or None, state=pp.get("peeringState"),
                             sync_level=pp.get("peeringSyncLevel"),
                             allow_forwarded_traffic=bool(pp.get("allowForwardedTraffic")),
                             allow_gateway_transit=bool(pp.get("allowGatewayTransit")),
                             use_remote_gateways=bool(pp.get("useRemoteGateways"))))
    return dict(name=vnet.get("name"), id=vnet.get("id"), exists=True,
                resource_group=parse_resource_id(vnet.get("id")).get("resource_group"), location=vnet.get("location"),
                address_prefixes=(props.get("addressSpace") or {}).get("addressPrefixes") or [],
                subnets=[dict(name=s.get("name"), id=s.get("id"), address_prefix=_props(s).get("addressPrefix"))
                         for s in props.get("subnets") or []],
                peerings=peerings)


def peered_pairs(networks):
    """Pairs of the given networks that are peered (either side's peering is enough)."""
    out, seen = [], set()
    for net in networks:
        for peering in net["peerings"]:
            for other in networks:
                if other is net or not lookup.same_id(peering["remote_network_id"], other["id"]):
                    continue
                key = tuple(sorted((net["id"].lower(), other["id"].lower()))) + (peering["name"],)
                if key not in seen:
                    seen.add(key)
                    out.append(dict(network=net["id"], remote_network=other["id"], peering=peering["name"],
                                    state=peering["state"]))
    return out


def network_id(clients, value, resource_group):
    if value.startswith("/"):
        parsed = parse_resource_id(value)
        if [t.lower() for t in parsed.get("types") or []] != ["virtualnetworks"] or not parsed.get("resource_group"):
            raise InputError("networks", value, "a virtual network name or id")
        return value
    if not resource_group:
        raise InputError("resource_group", None, "the resource group of network %s (or give the network's id)" % value)
    for option, name in (("resource_group", resource_group), ("networks", value)):
        if "/" in name:
            raise InputError(option, name, "a name without '/' (or the network's id, in networks)")
    return VNET_PATH % (clients.subscription_id, resource_group, value)


def run_module(module):
    params = module.params
    clients = module.azure()
    networks = []
    for value in params["networks"]:
        wanted = network_id(clients, value, params["resource_group"])
        parsed = parse_resource_id(wanted)
        vnet = clients.read("vnet:" + wanted, "Reading virtual network %s" % parsed.get("name"),
                            lambda: clients.client("network").virtual_networks.get(parsed["resource_group"], parsed["name"]))
        networks.append(network_facts(vnet, wanted))
    unique = []
    for net in networks:
        if net["exists"] and not any(lookup.same_id(net["id"], u["id"]) for u in unique):
            unique.append(net)
    return dict(changed=False, networks=networks, peered_pairs=peered_pairs(unique))


def main():
    run(lambda: DrAsrModule(ARGUMENT_SPEC, uses=("azure", "query"), azure_libraries=("azure.mgmt.network",)), run_module)


if __name__ == "__main__":
    main()
