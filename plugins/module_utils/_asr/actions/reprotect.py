# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The reprotect: replication reversed (ASR's SwitchProtection [recorded]) - an item running in Azure replicates
to on-premises (the provider's failback twin), an item failed back on-premises replicates to Azure again. ASR
allows it before the commit too, and commits on its way."""

from __future__ import annotations

from ansible_collections.dr.asr.plugins.module_utils._errors import DrAsrError, InputError
from ansible_collections.dr.asr.plugins.module_utils._asr import lookup, offazure, providers
from ansible_collections.dr.asr.plugins.module_utils._asr.actions.base import Action
from ansible_collections.dr.asr.plugins.module_utils._asr.common import (
    AZURE, ON_PREMISES, STORAGE_TYPE, arm_id, details, item_path, props)
from ansible_collections.dr.asr.plugins.module_utils._asr.state import (
    describe, is_failback, item_view, name_of, phase, replicates_to, runs_in)


class Reprotect(Action):
    title = "reprotect"
    operation = "SwitchProtection"
    actions = ("reprotect",)
    item_method = "begin_reprotect"
    hints = {"protected": "It replicates to Azure: a reprotect to on-premises needs a failover to Azure first "
                          "(dr.asr.failover).",
             "reprotected": "It replicates to on-premises: a reprotect to Azure needs a failback first "
                            "(dr.asr.failover direction=recovery_to_primary)."}

    def __init__(self, params):
        super().__init__(params)
        self.direction = params.get("direction")
        self.waits_for_protection = bool(params.get("wait_for_protection"))

    def needs_details(self, item):
        return direction_of(item) == "recovery_to_primary"       # the log storage account of its disks

    def done(self, run, item):
        flows = replicates_to(item)
        if flows is None or phase(item, run.ended if run else ()) in ("failed", "disabling", "unknown"):
            return None
        direction = "recovery_to_primary" if flows == "primary" else "primary_to_recovery"
        if self.direction and self.direction != direction:
            return None
        where = "from Azure to on-premises" if flows == "primary" else "to Azure"
        return "%s replicates %s already." % (name_of(item), where)

    def check(self, run, target):
        item = target.resource
        direction = direction_of(item)
        if self.direction and direction and self.direction != direction:
            raise DrAsrError("Cannot reprotect %s: %s." % (
                "in direction %s" % self.direction, describe(item)), code="WrongDirection",
                recommended_action="A reprotect of a VM running in Azure replicates to on-premises "
                                   "(recovery_to_primary); of a VM failed back on-premises it replicates to Azure "
                                   "(primary_to_recovery). Leave direction unset, or set %s." % direction,
                details=item_view(item))
        Inputs(run, target).resolve(direction)

    def item_body(self, run, target):
        x = target.extra
        provider = target.provider.item
        if direction_of(target.resource) == "recovery_to_primary":
            return provider.reprotect_to_primary_input(x["reprotect_agent_id"], x["datastore"],
                                                       x["log_storage_account_id"], x["policy_id"])
        return provider.reprotect_to_recovery_input(x["process_server_id"], x["policy_id"], x.get("run_as_account_id"))

    def predict(self, item):
        provider = providers.for_item(item)
        if direction_of(item) == "recovery_to_primary":
            return dict(phase="reprotecting", provider=provider.failback_instance_type, active_location="Primary",
                        runs_in=AZURE, state="InitialReplicationInProgress")
        return dict(phase="initial_replication", provider=provider.instance_type, active_location="Primary",
                    runs_in=ON_PREMISES, state="InitialReplicationInProgress")


def direction_of(item):
    """Where a reprotect of the item replicates: from where it runs to the other side."""
    where = runs_in(item)
    if not is_failback(item) and where == AZURE:
        return "recovery_to_primary"
    if is_failback(item) and where == ON_PREMISES:
        return "primary_to_recovery"
    return None


class Inputs(object):
    """A reprotect's appliance, datastore, storage account and policy for one item (into `target.extra`)."""

    def __init__(self, run, target):
        self.run = run
        self.vault = run.vault
        self.params = run.params
        self.target = target

    def resolve(self, direction):
        item = self.target.resource
        d = details(item)
        fabric = self.fabric_of(item)
        custom = props(fabric).get("customDetails") or {}
        wanted = self.params.get("appliance")
        x = self.target.extra
        provider = self.target.provider
        if direction == "recovery_to_primary":
            agent = pick(custom.get("reprotectAgents") or [], wanted, d.get("processServerName"), "appliance",
                         "a replication appliance (reprotect agent) of the vault")
            datastore = self.params.get("datastore")
            known = agent.get("accessibleDatastores") or []
            if not datastore:
                raise InputError("datastore", datastore, "the datastore the on-premises VM is recovered to (reprotect "
                                 "to on-premises)", hint="Datastores the appliance sees: %s." % (", ".join(known) or "none"))
            if known and datastore not in known:
                raise InputError("datastore", datastore, "a datastore appliance %s can reach" % agent.get("name"),
                                 hint="It reaches: %s." % ", ".join(known))
            log = self.params.get("log_storage_account")
            disks = d.get("protectedDisks") or []
            group = d.get("targetResourceGroupId") or ""
            x.update(reprotect_agent_id=agent.get("id"), appliance=agent.get("name"), datastore=datastore,
                     log_storage_account_id=arm_id(log, group, STORAGE_TYPE) if log else
                     (disks[0].get("logStorageAccountId") if disks else None),
                     policy_id=self.policy(item, provider.failback_instance_type, None))
            if not x["log_storage_account_id"]:
                raise InputError("log_storage_account", log, "the storage account for the reprotect's logs")
            return
        server = pick(custom.get("processServers") or [], wanted, d.get("reprotectAgentName"), "appliance",
                      "a replication appliance (process server) of the vault")
        x.update(process_server_id=server.get("id"), appliance=server.get("name"),
                 policy_id=self.policy(item, provider.instance_type, props(item).get("policyId")))
        if self.params.get("run_as_account"):
            x["run_as_account_id"] = self.run_as(fabric, self.params["run_as_account"])

    def fabric_of(self, item):
        fabric_name = item_path(item)[0]
        fabrics = lookup.vault_read(self.vault, self.vault.fabrics)
        return next((f for f in fabrics if (f.get("name") or "").lower() == fabric_name.lower()), {})

    def policy(self, item, instance_type, default_id):
        """The policy of the new direction: the option, else `default_id`, else the only one of that provider
        associated with the item's container."""
        provider = self.target.provider
        policies = [p for p in self.vault.policies() if (details(p).get("instanceType") or "").lower() ==
                    instance_type.lower()]
        wanted = self.params.get("policy")
        kind = "%s (%s)" % ("failback" if provider.is_failback(instance_type) else "replication", instance_type)
        if wanted:
            found = next((p for p in policies if lookup.matches(p, wanted)), None)
            if found is None:
                raise InputError("policy", wanted, "a %s policy of vault %s" % (kind, self.vault.name),
                                 hint="Its %s policies: %s." % (kind, ", ".join(p["name"] for p in policies) or "none"))
            return found["id"]
        if default_id and any(lookup.same_id(p["id"], default_id) for p in policies):
            return default_id
        container = "/".join(item["id"].split("/")[:-2])
        mapped = set((props(m).get("policyId") or "").lower() for m in self.vault.mappings()
                     if (m.get("id") or "").lower().startswith(container.lower() + "/"))
        usable = [p for p in policies if p["id"].lower() in mapped]
        if len(usable) > 1:
            # a real vault has default policies besides yours [recorded]: the one dr.asr.protect made for the item's
            # policy (`<policy>-failback`) wins, else the only one that is not a default
            paired = "%s-failback" % (props(item).get("policyFriendlyName") or "")
            usable = [p for p in usable if p["name"].lower() == paired.lower()] or \
                [p for p in usable if p["name"].lower() not in provider.policy.DEFAULT_POLICIES] or usable
        if len(usable) != 1:
            raise InputError("policy", None, "the name of the %s policy to reprotect %s with" % (kind, name_of(item)),
                             hint="%s policies associated with its appliance: %s." % (
                                 kind, ", ".join(p["name"] for p in usable) or
                                 "none (create one with dr.asr.replication_policy, associate: true)"))
        return usable[0]["id"]

    def run_as(self, fabric, name):
        site = (props(fabric).get("customDetails") or {}).get("vmwareSiteId")
        accounts = offazure.list_run_as_accounts(self.vault.clients, site) if site else []
        for account in accounts:
            if (props(account).get("displayName") or "").lower() == name.lower() or lookup.same_id(account.get("id"), name):
                return account["id"]
        raise InputError("run_as_account", name, "the name of a credential of the replication appliance",
                         hint="Its credentials: %s." % (", ".join(props(a).get("displayName") or a["name"]
                                                                  for a in accounts) or "none"))


def pick(entries, wanted, current, parameter, what):
    """The appliance entry named `wanted`, else the item's current one, else the only one."""
    names = [e.get("name") for e in entries]
    if wanted:
        found = next((e for e in entries if (e.get("name") or "").lower() == wanted.lower() or
                      lookup.same_id(e.get("id"), wanted)), None)
        if found is None:
            raise InputError(parameter, wanted, what, hint="Registered: %s." % (", ".join(names) or "none"))
        return found
    found = next((e for e in entries if current and (e.get("name") or "").lower() == current.lower()), None)
    if found is None and len(entries) == 1:
        found = entries[0]
    if found is None:
        raise InputError(parameter, wanted, what, hint="Registered: %s." % (", ".join(names) or "none"))
    return found
