# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One Recovery Services vault as the ASR modules use it.

Reads are vault-wide list calls, made once per module run and cached: a module that handles 500 VMs
lists the protected items once. A list answer is sparser than a GET of the same item [recorded: disks, NICs
and agent upgrade blockers empty]: what needs those GETs the items it needs (`get_items`, concurrently).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from ansible_collections.dr.asr.plugins.module_utils._azure.errors import azure_errors
from ansible_collections.dr.asr.plugins.module_utils._azure.models import as_dict
from ansible_collections.dr.asr.plugins.module_utils._asr.jobs import Jobs


class AsrVault(object):

    def __init__(self, clients, resource_group, name):
        self.clients = clients
        self.resource_group = resource_group
        self.name = name
        self.jobs = Jobs(clients, resource_group, name)
        self._cache = {}

    @property
    def client(self):
        return self.clients.client("siterecovery")

    @property
    def id(self):
        return "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.RecoveryServices/vaults/%s" % (
            self.clients.subscription_id, self.resource_group, self.name)

    def _list(self, key, what, call):
        if key not in self._cache:
            with azure_errors("Listing %s of vault %s" % (what, self.name)):
                self._cache[key] = [as_dict(x) for x in call(self.resource_group, self.name)]
        return self._cache[key]

    def forget(self, *keys):
        """Drop cached lists (after a change), all of them when no key is given ("items" also drops the lists of
        plans' members)."""
        for key in list(self._cache):
            if not keys or key in keys or (isinstance(key, tuple) and key[0] in keys):
                self._cache.pop(key, None)

    def fabrics(self):
        return self._list("fabrics", "fabrics", self.client.replication_fabrics.list)

    def containers(self):
        return self._list("containers", "protection containers", self.client.replication_protection_containers.list)

    def mappings(self):
        return self._list("mappings", "container mappings", self.client.replication_protection_container_mappings.list)

    def policies(self):
        return self._list("policies", "replication policies", self.client.replication_policies.list)

    def protected_items(self, plan=None):
        """The vault's protected items; with `plan` (a recovery plan's name), ASR's list of that plan's members only
        (`$filter=recoveryPlanName eq '...'`: ProtectedItemsQueryParameter, as Azure PowerShell lists a plan's items).
        A run on one plan of a 1,000-VM vault reads one page instead of ten."""
        if plan is None:
            return self._list("items", "protected items", self.client.replication_protected_items.list)
        odata = "recoveryPlanName eq '%s'" % plan.replace("'", "''")
        return self._list(("items", plan.lower()), "protected items of recovery plan %s" % plan,
                          lambda group, vault: self.client.replication_protected_items.list(group, vault, filter=odata))

    def get_plan(self, name):
        """A recovery plan by GET (a list answer is never trusted for its groups)."""
        with azure_errors("Reading recovery plan %s" % name):
            return as_dict(self.client.replication_recovery_plans.get(self.resource_group, self.name, name))

    #: GETs in flight at once (azure-core's session pools connections; ARM's read limits are far above this)
    CONCURRENCY = 8

    def get_items(self, items):
        """{id (lower): item} of full GETs of the given (listed) items, CONCURRENCY at a time."""
        items = [i for i in items if i and i.get("id")]
        ops = self.client.replication_protected_items

        def get(item):
            names = item["id"].split("/")
            fabric, container, name = names[-5], names[-3], names[-1]
            with azure_errors("Reading protected item %s" % name):
                return as_dict(ops.get(self.resource_group, self.name, fabric, container, name))

        if len(items) <= 1:
            return dict((i["id"].lower(), get(i)) for i in items)
        with ThreadPoolExecutor(max_workers=min(self.CONCURRENCY, len(items))) as pool:
            return dict((i["id"].lower(), full) for i, full in zip(items, pool.map(get, items)))

    def recovery_plans(self):
        return self._list("plans", "recovery plans", self.client.replication_recovery_plans.list)

    def appliances(self):
        return self._list("appliances", "replication appliances", self.client.replication_appliances.list)
