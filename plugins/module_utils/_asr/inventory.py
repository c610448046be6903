# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the protected_items inventory plugin knows of each protected item (controller side, plain data that the
inventory cache can keep): the item's facts, its recovery plans, the recovered Azure VM while one is up, and the
address to reach the machine at; and the groups a host belongs to.

    hosts = read(azure_params, "rg-dr", "rsv-dr")      # one list of items (+ a GET each), plans (+ a GET each)
    groups_of(hosts[0])                                 # ["recovery_plan_rp_shop", "phase_protected", ...]
"""

from __future__ import annotations

from ansible_collections.dr.asr.plugins.module_utils._azure.client import AzureClients
from ansible_collections.dr.asr.plugins.module_utils._asr import lookup, recovered, state
from ansible_collections.dr.asr.plugins.module_utils._asr.vault import AsrVault

#: the phases whose Azure VM is up: a test failover's (kind test_failover) or a failover's (kind failover)
RECOVERED_KIND = {"test_failover": "test_failover", "failed_over": "failover", "committed": "failover",
                  "reprotecting": "failover", "reprotected": "failover"}


def read(azure_params, resource_group, vault_name, recovered_addresses=True):
    """The hosts of a vault: one dict per protected item (see the module docstring)."""
    clients = AzureClients(azure_params)
    try:
        vault = AsrVault(clients, resource_group, vault_name)
        listed = lookup.vault_read(vault, vault.protected_items)
        ended = vault.jobs.ended(listed)
        items = recovered.full_items(vault, listed)
        plans_of = {}
        for plan in lookup.vault_read(vault, vault.recovery_plans):
            full = vault.get_plan(plan["name"])
            for member in state.plan_member_ids(full):
                plans_of.setdefault(member.lower(), []).append(full["name"])
        reader = recovered.Reader(clients)
        hosts = []
        for item in items:
            facts = state.item_facts(item, ended)
            host = dict(item=facts, recovery_plans=sorted(plans_of.get(item["id"].lower(), [])), recovered=None,
                        source_address=_source_address(facts), address=None)
            # an item whose phase the collection does not name (e.g. while its plan's failover job waits at a manual
            # action after its group) but that ASR says runs in Azure: its failed-over VM is where it runs
            kind = RECOVERED_KIND.get(facts["phase"]) or ("failover" if facts.get("runs_in") == "azure" else None)
            if kind and recovered_addresses:
                host["recovered"] = recovered.recovered(reader, item, kind)
            host["address"] = _recovered_address(host["recovered"]) or host["source_address"]
            hosts.append(host)
        return hosts
    finally:
        clients.close()


def _source_address(facts):
    """The source VM's primary address (from its NICs as the item's GET lists them)."""
    nics = facts.get("nics") or []
    primary = [n for n in nics if n.get("primary")] or nics
    for nic in primary:
        if nic.get("source_ip"):
            return nic["source_ip"]
    return None


def _recovered_address(vm):
    if not vm or not vm.get("exists"):
        return None
    nics = [n for n in vm.get("nics") or [] if n.get("attached")]
    primary = [n for n in nics if n.get("primary")] or nics
    return next((n["private_ip"] for n in primary if n.get("private_ip")), None)


def groups_of(host):
    """The groups of a host: its recovery plans, phase, replication health, where it runs, active location, appliance."""
    item = host["item"]
    out = ["recovery_plan_%s" % plan for plan in host.get("recovery_plans") or []]
    for prefix, value in (("phase", item.get("phase")), ("health", item.get("health")),
                          ("runs_in", item.get("runs_in")), ("active_location", item.get("active_location")),
                          ("appliance", item.get("appliance"))):
        if value:
            out.append("%s_%s" % (prefix, str(value).replace("-", "_").lower()))
    return out
