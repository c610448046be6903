# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The drill: a test failover (into an isolated test network) and its cleanup, of items or a recovery plan.

The test network of every item is checked before anything starts (`test_network`): it exists, it is not the item's
recovery network and it is not peered with it (either side's peering, any state) - test VMs start with production's
names and addresses. Every item's problem is reported together, each with `details.vm` and `details.problem` (a
sentence a drill can show as it is).
"""

from __future__ import annotations

from ansible_collections.dr.asr.plugins.module_utils._errors import InputError
from ansible_collections.dr.asr.plugins.module_utils._azure.models import parse_resource_id
from ansible_collections.dr.asr.plugins.module_utils._asr import lookup, providers
from ansible_collections.dr.asr.plugins.module_utils._asr.actions.base import Action, needs_given_point
from ansible_collections.dr.asr.plugins.module_utils._asr.actions.run import Run
from ansible_collections.dr.asr.plugins.module_utils._asr.common import (
    NETWORK_TYPE, Problems, arm_id, compact, details, props)
from ansible_collections.dr.asr.plugins.module_utils._asr.plans import ItemIndex, split_groups
from ansible_collections.dr.asr.plugins.module_utils._asr.state import allowed, name_of

#: what a test failover's cleanup runs as (the provider's scenario_action of its job's scenario)
CLEANUP_ACTION = "test_failover_cleanup"


class TestFailover(Action):
    """state=present: a test failover is up (TestFailoverCleanup allowed); state=absent: none is."""

    def __init__(self, params):
        super().__init__(params)
        self.present = params.get("state", "present") == "present"
        # resume_cleanup: whether every target of the run is being cleaned up (decided by DrillRun.check_jobs)
        self.resuming = None
        if self.present:
            self.title, self.operation, self.actions = "start a test failover", "TestFailover", ("test_failover",)
            self.item_method = self.plan_method = "begin_test_failover"
        else:
            self.title, self.operation = "clean up the test failover", "TestFailoverCleanup"
            self.actions = ("test_failover_cleanup",)
            self.item_method = self.plan_method = "begin_test_failover_cleanup"

    def own_job(self, scenario, item=None):
        """With resume_cleanup, a cleanup every target of the run is in is awaited as this run's job (nothing new
        starts after it)."""
        if self.resuming and self.present and cleaning_up_scenario(scenario, item):
            return True
        return super().own_job(scenario, item)

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


def cleaning_up_scenario(scenario, item=None):
    """Whether a job of `scenario` (an item's or plan's currentScenario) is a test failover's cleanup."""
    return bool(scenario) and providers.for_item(item).item.scenario_action(scenario) == CLEANUP_ACTION


class DrillRun(Run):
    """The run of dr.asr.test_failover: a Run that, with resume_cleanup, finishes the cleanup every one of its targets
    is in (an interrupted drill's) instead of waiting for it and starting a new test failover."""

    def _remembered(self):
        """{target id: cleanup job} an earlier round of the task attached to (the waiting action's `wait_resume`)."""
        cleanups = (self.params.get("wait_resume") or {}).get("cleanups") or {}
        return dict((str(k).lower(), v) for k, v in cleanups.items())

    def check_jobs(self, targets):
        super().check_jobs(targets)
        if self.action.resuming is None and self.action.present and self._remembered():
            self.action.resuming = True
        if self.action.resuming is None:        # the first look, before any decision: all targets or none
            self.action.resuming = bool(self.params.get("resume_cleanup")) and bool(targets) and all(
                target.busy_job() and cleaning_up_scenario(
                    target.busy_scenario(), target.resource if target.kind == "item" else
                    (target.members[0] if target.members else None))
                for target in targets)

    def _decide(self, target):
        """A target whose cleanup an earlier round attached to only waits for that job, also once it has ended: the
        drill it cleaned up is gone, and a later round must not start a new one."""
        job = self._remembered().get((target.resource.get("id") or "").lower()) if self.action.present else None
        if job:
            target.action, target.job = "attach", job
            target.reason = "Finishes the cleanup of an interrupted drill (job %s); starts no test failover." % job
            return None
        return super()._decide(target)

    def resume_state(self):
        """`wait_resume` for the task's next round: the cleanup jobs this run attached to (resume_cleanup), or None."""
        if not (self.action.present and self.action.resuming):
            return None
        targets = self.targets + ([self.plan] if self.plan is not None and self.plan not in self.targets else [])
        cleanups = dict(((t.resource.get("id") or "").lower(), t.job) for t in targets
                        if t.action == "attach" and t.job)
        return dict(cleanups=cleanups) if cleanups else None


# -- the test network ---------------------------------------------------------------------------------------------

def test_network_of(run, item):
    """The network a test VM of `item` comes up in: the `network` option (a name in the item's target resource
    group, or an id), else the item's own test network; None when neither is set."""
    wanted = run.params.get("network")
    d = details(item)
    if not wanted:
        return d.get("testNetworkId") or None
    group = d.get("targetResourceGroupId") or "/subscriptions/%s/resourceGroups/%s" % (
        run.vault.clients.subscription_id, run.vault.resource_group)
    return arm_id(wanted, group, NETWORK_TYPE)


def test_network(run, target):
    """The test failover network of a target (option, else each item's test network), checked for every item: it
    exists, it is not the item's recovery network and not peered with it, and the subnet is one of its subnets (an
    item whose NICs need that subnet gets an update). Every item's problem raises together."""
    wanted = run.params.get("network")
    subnet = run.params.get("subnet")
    items = target.members if target.kind == "plan" else [target.resource]
    if target.kind == "plan" and subnet:
        raise InputError("subnet", subnet, "unset for a recovery plan",
                         hint="Set the test subnet of the plan's items with dr.asr.protected_item (test_subnet).")
    problems = Problems()
    network = None
    for item in items:
        try:
            network = _checked(run, target, item)
        except InputError as err:
            problems.add(err)
    problems.check()
    if wanted or target.kind == "item":     # a plan without `network`: each member's own (NoNetworkAttachAsInput)
        target.extra["network"] = network


def _problem(err, vm, problem):
    err.details.update(vm=vm, problem=problem)
    return err


def _checked(run, target, item):
    """One item's test network, checked (see test_network)."""
    wanted = run.params.get("network")
    subnet = run.params.get("subnet")
    vm = props(item).get("friendlyName") or item.get("name")
    network = test_network_of(run, item)
    shown = wanted or network
    if not network:
        raise _problem(InputError("network", wanted, "a test network: %s has none configured" % vm,
                                  hint="Give network, or set the item's test_network with dr.asr.protected_item."),
                       vm, "no test network: give one (network), or set the item's test_network")
    recovery = details(item).get("targetNetworkId") or None
    if lookup.same_id(network, recovery):
        raise _problem(InputError("network", shown, "a network other than the recovery network of %s" % vm,
                                  hint="Test failovers must run in an isolated network, not where failover brings the "
                                       "VM up."),
                       vm, "the test network %s is its recovery network" % lookup.last_segment(network))
    vnet = virtual_network(run.vault.clients, network, "network", shown)
    if vnet is None:
        raise _problem(InputError("network", shown, "an existing virtual network",
                                  hint="%s does not exist (a name is looked up in the item's target resource group)."
                                       % network),
                       vm, "the test network %s does not exist" % network)
    if recovery:
        peering = peering_between(run.vault.clients, vnet, recovery)
        if peering is not None:
            text = "is peered with its recovery network %s (peering %s, %s)" % (
                lookup.last_segment(recovery), peering[0], peering[1])
            name = vnet.get("name") or lookup.last_segment(network)
            raise _problem(InputError("network", shown, "a network not peered with the recovery network of %s" % vm,
                                      hint="%s %s: test VMs would start next to production with the same names and "
                                           "addresses." % (name, text)),
                           vm, "the test network %s %s" % (name, text))
    subnets = dict((s["name"].lower(), s["name"]) for s in props(vnet).get("subnets") or [])
    if subnet and subnet.lower() not in subnets:
        raise InputError("subnet", subnet, "a subnet of %s" % lookup.last_segment(network),
                         hint="Its subnets: %s." % (", ".join(sorted(subnets.values())) or "none"))
    if subnet and target.kind == "item":
        target.update = subnet_update(target.provider, item, network, subnets[subnet.lower()])
    return network


def subnet_update(provider, item, network, subnet):
    """The PATCH that gives the item's failover NICs `subnet` in test network `network`, or None if they have it."""
    current = details(item)
    want = {"test_network_id": network, "test_subnet": subnet}
    changes = [c for c in provider.item.compare(want, current) if c.updatable]
    if not changes:
        return None
    return {"properties": {"providerSpecificDetails": provider.item.update_input(changes, want, current)}}


def virtual_network(clients, network_id, option, shown):
    """A virtual network (REST dict; one GET per network and run, its peerings included), None when it does not
    exist; InputError when `network_id` is no virtual network id."""
    parsed = parse_resource_id(network_id)
    if [t.lower() for t in parsed.get("types") or []] != ["virtualnetworks"]:
        raise InputError(option, shown, "a virtual network name or id")
    return clients.read("vnet:" + network_id.lower(), "Reading virtual network %s" % parsed.get("name"),
                        lambda: clients.client("network").virtual_networks.get(parsed.get("resource_group"),
                                                                               parsed.get("name")))


def peering_between(clients, vnet, other_id):
    """(peering name, state) of a peering between virtual network `vnet` (REST dict) and network `other_id`, either
    side's (the other network is read only when `vnet` has none to it), or None."""
    for peering in props(vnet).get("virtualNetworkPeerings") or []:
        if lookup.same_id((props(peering).get("remoteVirtualNetwork") or {}).get("id"), other_id):
            return peering.get("name"), props(peering).get("peeringState")
    try:
        other = virtual_network(clients, other_id, "network", other_id)
    except InputError:          # not a virtual network id: nothing can be peered with it
        return None
    for peering in props(other).get("virtualNetworkPeerings") or []:
        if lookup.same_id((props(peering).get("remoteVirtualNetwork") or {}).get("id"), vnet.get("id")):
            return peering.get("name"), props(peering).get("peeringState")
    return None


def subnets_of(clients, network_id, option, shown):
    """{lower name: name} of a virtual network's subnets (one GET per network and run); InputError if it does not
    exist."""
    vnet = virtual_network(clients, network_id, option, shown)
    if vnet is None:
        raise InputError(option, shown, "an existing virtual network",
                         hint="%s does not exist (a name is looked up in the item's target resource group)." % network_id)
    return dict((s["name"].lower(), s["name"]) for s in props(vnet).get("subnets") or [])


# -- what a drill needs besides the action's result ------------------------------------------------------------------

def drill_facts(run, result):
    """The result of a test failover run with what a drill reads from it: the plan's boot groups (`groups`: group
    number and VM names, in order), each item's `test_network_id` (the network its test VM comes up in) and each
    job's `friendly_name` and `custom_details` (the recovery point each VM used)."""
    if not isinstance(result, dict):
        return result
    facts = {}
    for target in run.targets + ([run.plan] if run.plan is not None and run.plan not in run.targets else []):
        if target.job and target.job_facts:
            facts[target.job] = target.job_facts
    entries = list(result.get("protected_items") or [])
    plan = result.get("recovery_plan")
    if isinstance(plan, dict):
        entries.append(plan)
        entries.extend(plan.get("items") or [])
        if run.plan is not None:
            plan["groups"] = plan_groups(run.plan.resource, run.plan.members)
    items = dict((i.get("id", "").lower(), i) for i in (run.plan.members if run.plan is not None else []))
    items.update((t.resource.get("id", "").lower(), t.resource) for t in run.targets if t.kind == "item")
    seen = set()
    for entry in entries:
        if id(entry) in seen:
            continue
        seen.add(id(entry))
        job = entry.get("job")
        if isinstance(job, dict) and job.get("name") in facts:
            job["friendly_name"] = facts[job["name"]].get("friendly_name")
            job["custom_details"] = facts[job["name"]].get("custom_details") or {}
        if entry.get("kind") != "recovery_plan":
            item = items.get((entry.get("id") or "").lower())
            if item is not None:
                entry["test_network_id"] = test_network_of(run, item)
    return result


def plan_groups(plan, members):
    """A plan's boot groups in order: [{group, vms: [VM name (item name when the vault lost the item)]}]."""
    index = ItemIndex(members)
    groups = []
    for number, group in enumerate(split_groups((props(plan) or {}).get("groups"))[2], 1):
        groups.append(dict(group=number, vms=[index.vm_name(ref.get("id"))
                                              for ref in group.get("replicationProtectedItems") or []]))
    return groups
