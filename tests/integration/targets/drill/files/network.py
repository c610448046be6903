"""A virtual network peered with the lab's recovery network (and its removal), for the drill target's
isolation guard. Runs on the controller with the lab's environment (dr_asr_lab.environment).

    network.py create NAME PREFIX --peer-with VNET   -> JSON {"id", "peerings"}
    network.py delete NAME --peer-with VNET          -> JSON {"deleted"}
"""
import argparse
import json
import sys

from azure.core.exceptions import ResourceNotFoundError
from azure.mgmt.network import NetworkManagementClient

from drlab import seed
from drlab.settings import get_settings


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("action", choices=["create", "delete"])
    parser.add_argument("name")
    parser.add_argument("prefix", nargs="?", default="10.30.0.0/16")
    parser.add_argument("--peer-with", required=True)
    args = parser.parse_args()
    settings = get_settings()
    net = seed.client(settings, NetworkManagementClient)
    rg = seed.RESOURCE_GROUP
    if args.action == "create":
        vnet = net.virtual_networks.begin_create_or_update(rg, args.name, {
            "location": seed.LOCATION,
            "properties": {"addressSpace": {"addressPrefixes": [args.prefix]},
                           "subnets": [{"name": "default", "properties": {"addressPrefix": args.prefix}}]}}).result()
        remote = net.virtual_networks.get(rg, args.peer_with)
        # one side only: a peering that is merely Initiated must be refused as well
        peering = net.virtual_network_peerings.begin_create_or_update(rg, args.name, "to-" + args.peer_with, {
            "properties": {"remoteVirtualNetwork": {"id": remote.id}, "allowVirtualNetworkAccess": True}}).result()
        out = {"id": vnet.id, "peerings": [peering.name], "state": peering.properties.peering_state}
    else:
        deleted = []
        for vnet, peering in ((args.name, "to-" + args.peer_with),):
            try:
                net.virtual_network_peerings.begin_delete(rg, vnet, peering).result()
                deleted.append(peering)
            except ResourceNotFoundError:
                pass
        try:
            net.virtual_networks.begin_delete(rg, args.name).result()
            deleted.append(args.name)
        except ResourceNotFoundError:
            pass
        out = {"deleted": deleted}
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
