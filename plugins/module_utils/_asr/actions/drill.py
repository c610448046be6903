# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The drill: a test failover (into an isolated test network) and its cleanup, of items or a recovery plan."""

from __future__ import annotations

from ansible_collections.dr.asr.plugins.module_utils._errors import InputError
from ansible_collections.dr.asr.plugins.module_utils._azure.models import parse_resource_id
from ansible_collections.dr.asr.plugins.module_utils._asr import lookup
from ansible_collections.dr.asr.plugins.module_utils._asr.actions.base import Action, needs_given_point
from ansible_collections.dr.asr.plugins.module_utils._asr.common import NETWORK_TYPE, arm_id, compact, details, props
from ansible_collections.dr.asr.plugins.module_utils._asr.state import allowed, name_of


class TestFailover(Action):
    """state=present: a test failover is up (TestFailoverCleanup allowed); state=absent: none is."""

    def __init__(self, params):
        super().__init__(params)
        self.present = params.get("state", "present") == "present"
        if self.present:
            self.title, self.operation, self.actions = "start a test failover", "TestFailover", ("test_failover",)
            self.item_method = self.plan_method = "begin_test_failover"
        else:
            self.title, self.operation = "clean up the test failover", "TestFailoverCleanup"
            self.actions = ("test_failover_cleanup",)
            self.item_method = self.plan_method = "begin_test_failover_cleanup"

    def done(self, run, item):
        up = "TestFailoverCleanup" in allowed(item)
        if self.present and up:
            return "A test failover of %s is up, waiting for its cleanup." % name_of(item)
        if not self.present and not up:
            return "%s has no test failover to clean up." % name_of(item)
        return None

    def needs_details(self, item):
        return self.present and bool(self.params.get("subnet"))

    def needs_point(self, choice):
        return self.present and needs_given_point(choice)

    def check(self, run, target):
        if self.present:
            test_network(run, target)

    def item_body(self, run, target):
        if not self.present:
            return {"properties": compact({"comments": self.params.get("comments")})}
        network = target.extra.get("network")
        point = target.extra.get("point")
        return {"properties": {"failoverDirection": "PrimaryToRecovery", "networkType": "VmNetworkAsInput",
                               "networkId": network, "providerSpecificDetails": target.provider.item.test_failover_input(
                                   network, point.get("id") if point else None)}}

    def plan_body(self, run, target):
        if not self.present:
            return {"properties": compact({"comments": self.params.get("comments")})}
        choice = run.points.choice(plan=True)
        inputs = target.provider.item.plan_failover_inputs("primary_to_recovery", choice and choice.keyword,
                                                           choice.multi_vm if choice else None)
        body = {"failoverDirection": "PrimaryToRecovery", "providerSpecificDetails": inputs}
        if target.extra.get("network"):
            body.update(networkType="VmNetworkAsInput", networkId=target.extra["network"])
        else:       # each item's own test network [Az PowerShell: a plan without a network]
            body["networkType"] = "NoNetworkAttachAsInput"
        return {"properties": body}

    def predict(self, item):
        if self.present:
            return dict(phase="test_failover", test_failover_state="WaitingForCompletion")
        return dict(phase="protected", test_failover_state="MarkedForDeletion")


# -- the test network ---------------------------------------------------------------------------------------------

def test_network(run, target):
    """The test failover network of a target (option, else the item's test network), checked: it exists, it is not
    the recovery network, the subnet is one of its subnets (an item whose NICs need that subnet gets an update)."""
    wanted = run.params.get("network")
    subnet = run.params.get("subnet")
    items = target.members if target.kind == "plan" else [target.resource]
    if target.kind == "plan" and subnet:
        raise InputError("subnet", subnet, "unset for a recovery plan",
                         hint="Set the test subnet of the plan's items with dr.asr.protected_item (test_subnet).")
    if target.kind == "plan" and not wanted:
        return
    network = None
    for item in items:
        d = details(item)
        group = d.get("targetResourceGroupId") or "/subscriptions/%s/resourceGroups/%s" % (
            run.vault.clients.subscription_id, run.vault.resource_group)
        network = arm_id(wanted, group, NETWORK_TYPE) if wanted else (d.get("testNetworkId") or None)
        if not network:
            raise InputError("network", wanted, "a test network: %s has none configured" % props(item).get("friendlyName"),
                             hint="Give network, or set the item's test_network with dr.asr.protected_item.")
        if lookup.same_id(network, d.get("targetNetworkId")):
            raise InputError("network", wanted or network, "a network other than the recovery network of %s"
                             % props(item).get("friendlyName"),
                             hint="Test failovers must run in an isolated network, not where failover brings the VM up.")
        subnets = subnets_of(run.vault.clients, network, "network", wanted or network)
        if subnet and subnet.lower() not in subnets:
            raise InputError("subnet", subnet, "a subnet of %s" % lookup.last_segment(network),
                             hint="Its subnets: %s." % (", ".join(sorted(subnets.values())) or "none"))
        if subnet and target.kind == "item":
            target.update = subnet_update(target.provider, item, network, subnets[subnet.lower()])
    target.extra["network"] = network


def subnet_update(provider, item, network, subnet):
    """The PATCH that gives the item's failover NICs `subnet` in test network `network`, or None if they have it."""
    current = details(item)
    want = {"test_network_id": network, "test_subnet": subnet}
    changes = [c for c in provider.item.compare(want, current) if c.updatable]
    if not changes:
        return None
    return {"properties": {"providerSpecificDetails": provider.item.update_input(changes, want, current)}}


def subnets_of(clients, network_id, option, shown):
    """{lower name: name} of a virtual network's subnets (one GET per network and run); InputError if it does not
    exist."""
    parsed = parse_resource_id(network_id)
    if [t.lower() for t in parsed.get("types") or []] != ["virtualnetworks"]:
        raise InputError(option, shown, "a virtual network name or id")
    vnet = clients.read("vnet:" + network_id, "Reading virtual network %s" % parsed.get("name"),
                        lambda: clients.client("network").virtual_networks.get(parsed.get("resource_group"),
                                                                               parsed.get("name")))
    if vnet is None:
        raise InputError(option, shown, "an existing virtual network",
                         hint="%s does not exist (a name is looked up in the item's target resource group)." % network_id)
    return dict((s["name"].lower(), s["name"]) for s in props(vnet).get("subnets") or [])
