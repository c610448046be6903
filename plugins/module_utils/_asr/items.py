# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Enable / update / disable replication of many VMs at once: protected_item's work for the pipeline.

One run handles any number of VMs with a fixed number of reads: the vault's fabrics, protected items,
policies, mappings and containers are each listed once (vault-wide, `AsrVault`), the appliance's
discovered machines once per site, VM sizes once per region; each distinct network, resource group and
storage account the writes reference is read once (`AzureClients.read`). Then one PUT / PATCH / POST per VM
that needs it (inherent to the API; azure-core retries throttled calls after Retry-After), each started by the
job tracker without a poller, and the jobs are awaited together with one vault-wide job list per poll;
"protected" is awaited with one vault-wide item list per poll.

    pipeline.run(Batch(vault, params), check_mode, wait)
    # resolve: VMs -> discovered machines and items, options -> ids    } InputError for all VMs,
    # decide:  per VM enable | update | disable | attach | none        } before any write
    # prepare: what the writes reference exists and fits the VM        }
    # execute, wait for the jobs, follow-up (NIC settings only an update sets, VMs that were busy), wait=protected
"""


from __future__ import annotations

import ipaddress

from ansible_collections.dr.asr.plugins.module_utils import _readiness as readiness
from ansible_collections.dr.asr.plugins.module_utils._errors import AzureError, DrAsrError, InputError
from ansible_collections.dr.asr.plugins.module_utils._waiter import Probe
from ansible_collections.dr.asr.plugins.module_utils._azure import skus as sku_catalog
from ansible_collections.dr.asr.plugins.module_utils._azure.models import parse_resource_id
from ansible_collections.dr.asr.plugins.module_utils._azure import recoveryservices as rs
from ansible_collections.dr.asr.plugins.module_utils._asr import capacity, lookup, machines as discovered, offazure, pipeline
from ansible_collections.dr.asr.plugins.module_utils._asr import providers as asr_providers
from ansible_collections.dr.asr.plugins.module_utils._asr.common import (
    AVAILABILITY_SET_TYPE, CAN_FAIL_OVER, NETWORK_TYPE, PPG_TYPE, STORAGE_TYPE, Problems, arm_id, details, item_path,
    props, resource_group_id, same_id)
from ansible_collections.dr.asr.plugins.module_utils._asr.state import (
    item_facts, job_view, phase, replicates_to_azure, state_progress)
from ansible_collections.dr.asr.plugins.module_utils._asr.jobs import FINAL_STATES
from ansible_collections.dr.asr.plugins.module_utils._asr.tracker import Entry, JobTracker, Start

IDENTITY = ("name", "instance_uuid", "bios_uuid")
# options a VM entry of `vms` may override; the top-level value is every VM's default
SETTINGS = ("policy", "appliance", "run_as_account", "target_resource_group", "target_network", "target_subnet",
            "test_network", "test_subnet", "target_vm_name", "target_vm_size", "disk_type", "disks", "nics",
            "log_storage_account", "availability_zone", "availability_set", "proximity_placement_group",
            "license_type", "sql_server_license_type", "linux_license_type", "target_vm_tags", "target_disk_tags",
            "target_nic_tags", "seed_disk_tags", "multi_vm_group")
# the action of each write's job (the provider's scenario_action of the job's or the item's scenario name)
WRITE_ACTIONS = {"enable": "enable", "update": "update", "disable": "disable"}
STORAGE_API_VERSION = "2023-05-01"


class ItemIndex(object):
    """A vault's protected items by discovered machine id and by name (case-insensitive)."""

    def __init__(self, items):
        self.by_machine = {}
        self.by_name = {}
        for item in items:
            machine = details(item).get("fabricDiscoveryMachineId")
            if machine:
                self.by_machine[machine.lower()] = item
            self.by_name[(item.get("name") or "").lower()] = item

    def of(self, machine):
        return self.by_machine.get((machine["id"] or "").lower()) or self.by_name.get((machine["name"] or "").lower())


# -- one VM -------------------------------------------------------------------------------------------------

class Target(Entry):
    """One VM of the run: its entry, the discovered machine, the item, the plan, and what happened."""

    def __init__(self, index, entry, settings, sources):
        super().__init__()
        self.index = index
        self.entry = entry
        self.settings = settings
        self.sources = sources
        self.machine = None
        self.fabric = None
        self.item = None
        self.want = {}
        self.write = None         # the request still to send: enable | update | disable
        self.body = None
        self.changes = []
        self.diff = {"before": {}, "after": {}}
        self.disks = None         # vCenter's disks against the item's, when its details were read (disk_difference)

    @property
    def label(self):
        if self.machine is not None:
            return self.machine["vm_name"]
        for key in IDENTITY:
            if self.entry.get(key):
                return self.entry[key]
        return "vms[%s]" % self.index

    def parameter(self, key):
        return self.sources.get(key, key)

    def bad(self, key, value, expected, hint=None):
        return InputError(self.parameter(key), value, expected, hint=hint)

    def job_what(self):
        return "%s of %s" % (_verb(self.action), self.label)

    def running_resource(self):
        return self.item

    def result(self, ended=()):
        state, progress = state_progress(self.item, ended)
        out = dict(name=self.label, instance_uuid=self.machine and self.machine["instance_uuid"],
                   bios_uuid=self.machine and self.machine["bios_uuid"],
                   item_name=self.item["name"] if self.item else (self.machine["name"] if self.machine else None),
                   action=self.action, changed=self.changed, state=state, progress=progress,
                   phase=phase(self.item, ended) if self.item else None,
                   job=job_view(self.job, self.job_facts, full=False), diff=self.diff,
                   error=self.error.to_dict() if self.error is not None else None,
                   item=item_facts(self.item, ended) if self.item else None,
                   disks=self.disks)
        if self.warnings:
            out["warnings"] = list(self.warnings)
        return out


def entries(params):
    """(index, entry) of every VM: the `vms` list, or the single VM of the top-level name/UUID options."""
    if params.get("vms"):
        return list(enumerate(params["vms"]))
    return [(None, dict((k, params.get(k)) for k in IDENTITY))]


def merge(index, entry, params):
    """A VM's settings (its own value, else the top-level one) and where each came from (the parameter)."""
    settings, sources = {}, {}
    for key in SETTINGS:
        own = entry.get(key) if index is not None else None
        if own is not None:
            settings[key], sources[key] = own, "vms[%d].%s" % (index, key)
        else:
            settings[key], sources[key] = params.get(key), key
    return settings, sources


# -- the batch ----------------------------------------------------------------------------------------------

class Batch(pipeline.Work):
    """Enable, update or disable replication of the VMs of one module run (through the pipeline)."""

    def __init__(self, vault, params, warn=None):
        self.vault = vault
        self.clients = vault.clients
        self.params = params
        self.tracker = JobTracker(vault, params, warn)
        self.targets = []
        self.provider = None
        # the VMs an earlier round of this task settled (the waiting action's `wait_resume`): not compared again
        self.settled = set(n.lower() for n in (params.get("wait_resume") or {}).get("settled") or [])
        self._stale = False       # items changed since they were last listed (writes sent, jobs ended)

    @property
    def ended(self):
        """Jobs an item's currentScenario names that ended (failed jobs ASR keeps there)."""
        return self.tracker.ended

    # -- reads (each once per run) ----------------------------------------------------------------------
    def _once(self, key, fn):
        return self.clients.cache.once("batch:" + key, fn)

    @property
    def subscription(self):
        return self.clients.subscription_id

    def fabrics(self):
        """The vault's modernized fabrics; selects the provider (an error when only classic fabrics exist)."""
        def load():
            fabrics = lookup.vault_read(self.vault, self.vault.fabrics)
            modern = [f for f in fabrics if _fabric_type(f) == "inmagercm"]
            if not modern:
                if any(_fabric_type(f) == "vmware" for f in fabrics):
                    asr_providers.get("classic").item.enable_input(None, None)
                raise DrAsrError("Vault %s has no replication appliance registered yet (no InMageRcm fabric)."
                                 % self.vault.name, code="NoReplicationAppliance",
                                 possible_causes="The appliance is not deployed or has not finished registering.",
                                 recommended_action="Register the replication appliance with the vault (its "
                                                    "registration key), wait for it to discover vCenter, and retry.")
            self.provider = asr_providers.get("modernized")
            return modern
        return self._once("fabrics", load)

    def machines(self):
        """The appliance's discovered machines: one paged list per VMware site (one site per appliance fabric)."""
        def load():
            found = []
            for fabric, site in offazure.site_ids(self.fabrics()):
                for machine in offazure.list_machines(self.clients, site):
                    facts = discovered.machine_facts(machine)
                    facts["_fabric"] = fabric
                    facts["_site"] = site
                    found.append(facts)
            return discovered.MachineIndex(found)
        return self._once("machines", load)

    def items(self, fresh=False):
        """The vault's items (one list); `fresh` lists again when anything may have changed since."""
        if fresh and self._stale:
            self.vault.forget("items")
            self.clients.cache.forget("batch:items")
        self._stale = False
        return self._once("items", lambda: ItemIndex(self.vault.protected_items()))

    def touch(self):
        """Items may have changed (a write was sent, a job ended, time passed): list them again next time."""
        self._stale = True

    def location(self):
        def load():
            vault = rs.get_vault(self.clients, self.vault.resource_group, self.vault.name)
            if vault is None:
                raise InputError("vault_name", self.vault.name, "an existing Recovery Services vault in resource group %s"
                                 % self.vault.resource_group)
            return sku_catalog.normalize_location(vault.get("location"))
        return self._once("location", load)

    def sizes(self):
        def load():
            location = self.location()
            return dict((s["name"].lower(), s) for s in sku_catalog.list_vm_skus(self.clients, location))
        return self._once("sizes", load)

    def run_as_accounts(self, site):
        return self._once("runas:" + site.lower(), lambda: offazure.list_run_as_accounts(self.clients, site))

    def container_of(self, fabric):
        def load():
            return [c for c in self.vault.containers() if (c.get("id") or "").lower().startswith(fabric["id"].lower() + "/")]
        found = self._once("containers:" + fabric["id"].lower(), load)
        if not found:
            raise DrAsrError("The replication appliance's fabric %s has no protection container yet." % fabric["name"],
                             code="NoProtectionContainer",
                             recommended_action="Wait for the appliance registration to finish, then retry.")
        return found[0]

    # -- resolve -----------------------------------------------------------------------------------------
    def resolve(self):
        """Every VM to a discovered machine and its item; every option to ids. InputError before any write."""
        problems = Problems()
        index = self.machines()
        for position, entry in entries(self.params):
            settings, sources = merge(position, entry, self.params)
            target = Target(position, entry, settings, sources)
            self.targets.append(target)
            given = [k for k in IDENTITY if entry.get(k)]
            prefix = "" if position is None else "vms[%s]." % position
            if len(given) != 1:
                problems.add(InputError(prefix + "name", entry.get("name"),
                                        "exactly one of name, instance_uuid or bios_uuid for each VM",
                                        hint="Got %s." % (", ".join(given) or "none")))
                continue
            try:
                target.machine = index.find(parameter=prefix + given[0], **{given[0]: entry[given[0]]})
            except InputError as err:
                problems.add(err)
                continue
            target.fabric = target.machine["_fabric"]
        seen = {}
        for target in self.targets:
            if target.machine is None:
                continue
            other = seen.setdefault(target.machine["id"].lower(), target)
            if other is not target:
                problems.add(InputError("vms[%s]" % target.index, target.entry, "each VM once in vms",
                                        hint="vms[%s] and vms[%s] are the same VM, %s." % (
                                            other.index, target.index, target.label)))
        problems.check()
        items = self.items()
        for target in self.targets:
            target.item = items.of(target.machine)
            try:
                target.want = self._want(target)
            except InputError as err:
                problems.add(err)
        problems.check()
        if self.params.get("target_vm_name") and len(self.targets) > 1 and \
                not all(t.sources["target_vm_name"].startswith("vms[") for t in self.targets):
            raise InputError("target_vm_name", self.params["target_vm_name"], "a per-VM option (vms[].target_vm_name)",
                             hint="A top-level target_vm_name would give every VM the same name.")

    def _want(self, target):
        """The VM's wanted settings with names resolved to ids (pure, apart from cached lists)."""
        s = target.settings
        want = {}
        group = resource_group_id(s["target_resource_group"], self.subscription)
        current_group = None
        if target.item is not None:
            current_group = ((target.item.get("properties") or {}).get("providerSpecificDetails") or {}).get(
                "targetResourceGroupId")
        lookup_group = group or current_group or resource_group_id(self.vault.resource_group, self.subscription)
        want["target_resource_group_id"] = group
        want["target_network_id"] = arm_id(s["target_network"], lookup_group, NETWORK_TYPE)
        want["test_network_id"] = arm_id(s["test_network"], lookup_group, NETWORK_TYPE)
        want["log_storage_account_id"] = arm_id(s["log_storage_account"], lookup_group, STORAGE_TYPE)
        want["availability_set_id"] = arm_id(s["availability_set"], lookup_group, AVAILABILITY_SET_TYPE)
        want["proximity_placement_group_id"] = arm_id(s["proximity_placement_group"], lookup_group, PPG_TYPE)
        for key in ("target_subnet", "test_subnet", "target_vm_name", "target_vm_size", "availability_zone",
                    "license_type", "sql_server_license_type", "linux_license_type", "target_vm_tags",
                    "target_disk_tags", "target_nic_tags", "seed_disk_tags", "multi_vm_group", "disk_type"):
            want[key] = s[key]
        if s["availability_zone"] is not None:
            want["availability_zone"] = str(s["availability_zone"])
        if s["appliance"] is not None:
            want["process_server_id"] = self._process_server(target, s["appliance"])
        want["disks"] = self._disks(target)
        want["machine_disks"] = target.machine["disks"]        # to match the item's disks (the provider's disk_map)
        want["nics"] = self._nics(target)
        return want

    def appliances(self, fabric):
        details = (fabric.get("properties") or {}).get("customDetails") or {}
        return [(ps.get("name"), ps.get("id")) for ps in details.get("processServers") or []]

    def _process_server(self, target, name):
        found = self.appliances(target.fabric)
        for appliance, ps_id in found:
            if (appliance or "").lower() == name.lower():
                return ps_id
        raise target.bad("appliance", name, "a replication appliance registered in vault %s" % self.vault.name,
                         hint="Registered appliances: %s." % (", ".join(a for a, _id in found) or "none"))

    def _disks(self, target):
        specs = target.settings["disks"]
        if not specs:
            return None
        disks = target.machine["disks"]
        out = []
        for i, spec in enumerate(specs):
            wanted = str(spec.get("disk") or "")
            match = [d for d in disks if wanted.lower() in ((d["id"] or "").lower(), (d["label"] or "").lower(),
                                                            (d["location"] or "").lower())]
            if len(match) != 1:
                raise InputError("%s[%d].disk" % (target.parameter("disks"), i), spec.get("disk"),
                                 "a disk of VM %s: its UUID, label or controller location" % target.label,
                                 hint="Its disks: %s." % "; ".join("%s (%s, %s, %s GB)" % (
                                     d["label"], d["location"], d["id"], d["size_gb"]) for d in disks))
            if spec.get("exclude") and match[0]["os_disk"]:
                raise InputError("%s[%d].exclude" % (target.parameter("disks"), i), True,
                                 "false for the OS disk (%s) of VM %s" % (match[0]["label"], target.label),
                                 hint="Azure Site Recovery always replicates the OS disk.")
            out.append(dict(spec, id=match[0]["id"]))
        return out

    def _nics(self, target):
        specs = target.settings["nics"]
        if not specs:
            return None
        nics = target.machine["nics"]
        out = []
        for i, spec in enumerate(specs):
            wanted = str(spec.get("nic") or "").lower()
            match = [n for n in nics if wanted in (n["mac"], (n["label"] or "").lower())]
            if len(match) != 1:
                raise InputError("%s[%d].nic" % (target.parameter("nics"), i), spec.get("nic"),
                                 "a network adapter of VM %s: its MAC address or label" % target.label,
                                 hint="Its adapters: %s." % "; ".join("%s (%s on %s)" % (n["label"], n["mac"], n["network"])
                                                                      for n in nics))
            out.append(dict(spec, mac=match[0]["mac"]))
        return out

    # -- decide -------------------------------------------------------------------------------------------
    def decide(self):
        """Decide per VM what to do. Unchangeable settings and missing enable inputs: InputError, before any write."""
        problems = Problems()
        absent = self.params["state"] == "absent"
        self.check_jobs([t.item for t in self.targets if t.item is not None])
        if not absent:
            self.read_details([t for t in self.targets if t.item is not None and not self.is_settled(t)])
        for target in self.targets:
            try:
                if absent:
                    self._plan_absent(target)
                else:
                    self._plan_present(target)
            except InputError as err:
                problems.add(err)
        problems.check()

    def check_jobs(self, items):
        """Read (once) the jobs the items' currentScenario names: ended ones (a failed job ASR keeps there) do not
        make an item busy."""
        self.tracker.check_ended(items)

    def busy(self, item):
        return self.tracker.busy_job(item)

    def is_settled(self, target):
        return target.item is not None and target.item["name"].lower() in self.settled

    def read_details(self, targets):
        """GET the items whose settings are compared: a list carries their disks and NICs empty [recorded], so a
        list alone would make every disk and NIC setting look changed. Concurrent GETs (vault.get_items)."""
        todo = [t for t in targets if not self.busy(t.item) and
                replicates_to_azure(t.item)]
        full = self.vault.get_items([t.item for t in todo])
        for target in todo:
            target.item = full.get(target.item["id"].lower(), target.item)

    def _plan_absent(self, target):
        item = target.item
        if item is None:
            return
        busy = self.busy(item)
        props = item.get("properties") or {}
        if busy:
            target.action, target.job = "attach", busy
            if asr_providers.for_item(item).item.scenario_action(
                    (props.get("currentScenario") or {}).get("scenarioName")) != "disable" and \
                    phase(item, self.ended) != "disabling":
                target.followup = True
            return
        if "DisableProtection" not in (props.get("allowedOperations") or []):
            target.fail(AzureError("Replication of %s cannot be disabled in state %s (allowed operations: %s)."
                                   % (target.label, props.get("protectionState"),
                                      ", ".join(props.get("allowedOperations") or []) or "none"),
                                   code="OperationNotAllowed"))
            return
        target.action = target.write = "disable"
        target.changed = True
        target.body = {"properties": {"disableProtectionReason": "NotSpecified"}}
        target.diff = {"before": _item_summary(item), "after": {}}

    def _plan_present(self, target):
        item = target.item
        if item is None:
            self._plan_enable(target)
            return
        props = item.get("properties") or {}
        details = props.get("providerSpecificDetails") or {}
        busy = self.busy(item)
        if busy:
            target.action, target.job, target.followup = "attach", busy, True
            return
        if self.is_settled(target):     # an earlier round of this task compared and wrote it: only waited for now
            return
        if phase(item, self.ended) == "failed":
            target.fail(AzureError("Replication of %s is in state %s (allowed operations: %s)." % (
                target.label, props.get("protectionState"), ", ".join(props.get("allowedOperations") or []) or "none"),
                code=props.get("protectionState"),
                recommended_action="Restart the failed job (dr.asr.job action=restart), or disable replication "
                                   "(state: absent) and enable it again."))
            return
        if not replicates_to_azure(item):
            target.warnings.append("%s is %s (provider %s, active location %s); its settings were not compared."
                                   % (target.label, props.get("protectionStateDescription") or props.get("protectionState"),
                                      details.get("instanceType"), props.get("activeLocation")))
            return
        self._plan_update(target, details)

    def _plan_update(self, target, details):
        want = target.want
        changes = self.provider.item.compare(want, details)
        self._compare_disks(target, details)
        policy = target.settings["policy"]
        props = target.item.get("properties") or {}
        if policy is not None and policy.lower() != (props.get("policyFriendlyName") or "").lower() and \
                not same_id(policy, props.get("policyId")):
            changes.append(self.provider.item.Change("policy", props.get("policyFriendlyName"), policy, False))
        fixed = [c for c in changes if not c.updatable]
        if fixed:
            change = fixed[0]
            raise target.bad(change.key if change.key in SETTINGS else _option_of(change.key), change.after,
                             "%r (the value replication of %s has)" % (change.before, target.label),
                             hint=self.provider.item.FIXED_HINT)
        target.changes = changes
        if changes:
            target.action = target.write = "update"
            target.changed = True
            target.body = {"properties": {"providerSpecificDetails": self.provider.item.update_input(changes, want, details)}}
            target.diff = {"before": dict((c.key, c.before) for c in changes),
                           "after": dict((c.key, c.after) for c in changes)}

    @staticmethod
    def _compare_disks(target, details):
        """What dr.asr.protected_item_disks would find (the item's details are a GET's here): reported per VM, so
        that a caller runs the disks step only for the VMs whose disks differ, without reading every item again."""
        found = discovered.disk_difference(asr_providers.for_item(target.item).item.disk_map, target.machine, details)
        target.disks = dict(in_sync=not found["add"] and not found["removed"],
                            add=[dict(id=d["id"], label=d["label"], size_gb=d["size_gb"]) for d in found["add"]],
                            removed=found["removed"])

    def _plan_enable(self, target):
        want = dict(target.want)
        s = target.settings
        for key, option in (("target_resource_group_id", "target_resource_group"),
                            ("log_storage_account_id", "log_storage_account")):
            if not want.get(key):
                raise target.bad(option, None, "a value: replication of %s is not enabled yet, and enabling needs it"
                                 % target.label)
        if want.get("process_server_id") is None:
            found = self.appliances(target.fabric)
            want["process_server_id"] = found[0][1] if len(found) == 1 else self._least_loaded(target.fabric)
            if want["process_server_id"] is None:
                raise target.bad("appliance", None, "the name of the replication appliance to replicate %s through"
                                 % target.label, hint="Registered appliances: %s; none is healthy with room below the "
                                 "documented capacity of %d protected machines (%s)." % (
                                     ", ".join(a for a, _i in found) or "none", capacity.MAX_PROTECTED_MACHINES,
                                     capacity.SOURCE))
        want["policy_id"] = self._policy_for(target, s["policy"])
        if s["run_as_account"] is not None:
            want["run_as_account_id"] = self._run_as(target, s["run_as_account"], want["process_server_id"])
        elif not self._agent_registered(target):
            raise target.bad("run_as_account", None, "the name of the appliance credential that can push-install the "
                             "Mobility service on %s" % target.label,
                             hint="No Mobility service on %s is registered with the appliance, so it has to install one."
                             % target.label)
        self._check_vm_name(target, want.get("target_vm_name"))
        target.want = want
        target.action = target.write = "enable"
        target.changed = True
        target.body = {"properties": {"policyId": want["policy_id"],
                                      "providerSpecificDetails": self.provider.item.enable_input(want, target.machine)}}
        after = dict((k, v) for k, v in want.items() if v not in (None, [], {}))
        target.diff = {"before": {}, "after": after}
        # NIC settings (primary, failover, static IPs, per-NIC subnets) exist only in the update input
        target.followup = any(c.key == "nics" for c in self.provider.item.compare(
            want, _predicted_details(want, target.machine)))

    def _least_loaded(self, fabric):
        """Appliance unset, several registered: the healthy one with the fewest protected machines below the documented
        capacity (_asr/capacity.py); the VMs this run enables count, so a large estate spreads over the appliances."""
        cache = self.__dict__.setdefault("_appliance_loads", {})
        key = (fabric.get("id") or "").lower()
        if key not in cache:
            cache[key] = capacity.loads(fabric, self.vault.protected_items())
        choice = capacity.least_loaded(cache[key])
        if choice is None:
            return None
        choice["protected"] += 1
        return choice["id"]

    def _policy_for(self, target, name):
        container = self.container_of(target.fabric)
        policies = [p for p in self.vault.policies() if _provider_of(p) == self.provider.instance_type.lower()]
        mapped = [m for m in self.vault.mappings() if (m.get("id") or "").lower().startswith(container["id"].lower() + "/")
                  and ((m.get("properties") or {}).get("state") in (None, "Paired"))]
        mapped_ids = set(((m.get("properties") or {}).get("policyId") or "").lower() for m in mapped)
        if name is None:
            usable = [p for p in policies if p["id"].lower() in mapped_ids]
            if len(usable) > 1:     # the vault's default policy [recorded] yields to the only one of yours
                usable = [p for p in usable if p["name"].lower() not in self.provider.policy.DEFAULT_POLICIES] or usable
            if len(usable) != 1:
                raise target.bad("policy", None, "the name of the replication policy for %s" % target.label,
                                 hint="Policies associated with the appliance's container: %s."
                                 % (", ".join(p["name"] for p in usable) or "none"))
            return usable[0]["id"]
        policy = next((p for p in policies if p["name"].lower() == name.lower() or same_id(p["id"], name)), None)
        if policy is None:
            raise target.bad("policy", name, "an %s replication policy of vault %s" % (self.provider.instance_type,
                                                                                       self.vault.name),
                             hint="Its policies: %s." % (", ".join(p["name"] for p in policies) or "none"))
        if policy["id"].lower() not in mapped_ids:
            raise target.bad("policy", name, "a policy associated with the appliance's protection container %s"
                             % container["name"],
                             hint="Associate the policy with the container first (a container mapping), then retry.")
        return policy["id"]

    def _run_as(self, target, name, process_server_id=None):
        """The id of the credential `name` (display name or id); of the ones of that name (each appliance adds its own
        to the site the appliances share), the one of the appliance the VM replicates through."""
        accounts = [a for a in self.run_as_accounts(target.machine["_site"])
                    if ((a.get("properties") or {}).get("credentialType") or "") != "VMwareFabric"]
        named = [a for a in accounts if ((a.get("properties") or {}).get("displayName") or "").lower() == name.lower()
                 or same_id(a.get("id"), name)]
        if named:
            appliance = next((n for n, i in self.appliances(target.fabric) if same_id(i, process_server_id)), None) or ""
            own = [a for a in named if ((a.get("properties") or {}).get("applianceName") or "").lower() == appliance.lower()]
            return (own or named)[0]["id"]
        raise target.bad("run_as_account", name, "the name of a credential of the replication appliance",
                         hint="Its credentials: %s." % (", ".join((a.get("properties") or {}).get("displayName") or a["name"]
                                                                  for a in accounts) or "none"))

    def _agent_registered(self, target):
        details = (target.fabric.get("properties") or {}).get("customDetails") or {}
        forms = offazure.bios_forms(target.machine["bios_uuid"])
        return any((a.get("biosId") or "").lower() in forms for a in details.get("agentDetails") or [])

    # -- validate -----------------------------------------------------------------------------------------
    def prepare(self):
        """What the writes reference exists, in the vault's region, and fits the VM. InputError before any write."""
        problems = Problems()
        for target in self.targets:
            if target.write not in ("enable", "update"):
                continue
            try:
                self._validate(target)
            except InputError as err:
                problems.add(err)
        problems.check()

    def _written(self, target):
        """The wanted values this VM's write sends (all set ones to enable, the changed ones to update)."""
        if target.write == "enable":
            return dict((k, v) for k, v in target.want.items() if v is not None)
        keys = set(c.key for c in target.changes)
        return dict((k, v) for k, v in target.want.items() if k in keys and v is not None)

    def _details_after(self, target):
        """The item's provider details as they will be (enable: what ASR makes of the input)."""
        if target.write == "enable":
            return _predicted_details(target.want, target.machine)
        return (target.item.get("properties") or {}).get("providerSpecificDetails") or {}

    def _validate(self, target):
        written = self._written(target)
        details = self._details_after(target)
        if "target_resource_group_id" in written:
            self._check_group(target, written["target_resource_group_id"])
        if "log_storage_account_id" in written:
            self._check_storage(target, written["log_storage_account_id"])
        nets = {}
        if target.write == "enable" or any(k in written for k in ("target_network_id", "test_network_id", "nics")):
            for key, option, field in (("target_network_id", "target_network", "targetNetworkId"),
                                       ("test_network_id", "test_network", "testNetworkId")):
                network = target.want.get(key) or details.get(field) or None
                if network:
                    nets[option] = (network, self._network(target, option, network))
        if "target_network" in nets and "test_network" in nets and \
                same_id(nets["target_network"][0], nets["test_network"][0]):
            option = "test_network" if target.want.get("test_network_id") else "target_network"
            other = "recovery" if option == "test_network" else "test"
            raise target.bad(option, target.settings[option] or nets[option][0],
                             "a network other than the %s network %s" % (other, nets["target_network"][0].rsplit("/", 1)[-1]),
                             hint="Test failovers must run in an isolated network, not where failover brings the VM up.")
        self._check_nics(target, nets, details)
        if "target_vm_size" in written:
            self._check_size(target, written["target_vm_size"], details)
        if target.write == "update" and "target_vm_name" in written:
            self._check_vm_name(target, written["target_vm_name"])

    @staticmethod
    def _check_vm_name(target, name):
        """The Azure VM name (the given one, else the VM's own name, as ASR defaults it) is valid."""
        problems = readiness.name_problems(name or target.machine["vm_name"])
        if problems:
            raise target.bad("target_vm_name", name, "a valid Azure VM name: 1-%d letters, digits and hyphens, a letter "
                             "or digit at both ends, no Azure reserved word" % readiness.NAME_MAX,
                             hint="%s%s. For example: %s." % (
                                 "" if name else "The VM's own name %r is not one, so set target_vm_name: "
                                 % target.machine["vm_name"], "; ".join(problems),
                                 readiness.azure_vm_name(name or target.machine["vm_name"])))

    def _check_group(self, target, group_id):
        parsed = parse_resource_id(group_id)
        if (parsed.get("subscription_id") or "").lower() != self.subscription.lower():
            return
        name = parsed.get("resource_group")
        if self.clients.read("rg:" + name, "Reading resource group %s" % name,
                             lambda: self.clients.client("resource").resource_groups.get(name)) is None:
            raise target.bad("target_resource_group", target.settings["target_resource_group"] or group_id,
                             "an existing resource group of subscription %s" % self.subscription)

    def _get_by_id(self, resource_id, api_version, what):
        return self.clients.read("id:" + resource_id, "Reading %s %s" % (what, resource_id.rsplit("/", 1)[-1]),
                                 lambda: self.clients.client("resource").resources.get_by_id(
                                     resource_id, api_version=api_version))

    def _check_storage(self, target, account_id):
        body = self._get_by_id(account_id, STORAGE_API_VERSION, "storage account")
        if body is None:
            raise target.bad("log_storage_account", target.settings["log_storage_account"], "an existing storage account",
                             hint="%s does not exist (a name is looked up in the target resource group)." % account_id)
        where = sku_catalog.normalize_location(body.get("location"))
        if where and where != self.location():
            raise target.bad("log_storage_account", target.settings["log_storage_account"],
                             "a storage account in the vault's region %s" % self.location(), hint="It is in %s." % where)

    def _network(self, target, option, network_id):
        parsed = parse_resource_id(network_id)
        if (parsed.get("namespace") or "").lower() != "microsoft.network" or [t.lower() for t in parsed.get("types") or []] \
                != ["virtualnetworks"]:
            raise target.bad(option, target.settings[option] or network_id, "a virtual network name or id")
        group, name = parsed.get("resource_group"), parsed.get("name")
        vnet = self.clients.read("vnet:" + network_id, "Reading virtual network %s" % name,
                                 lambda: self.clients.client("network").virtual_networks.get(group, name))
        if vnet is None:
            raise target.bad(option, target.settings[option] or network_id,
                             "an existing virtual network in the vault's region %s" % self.location(),
                             hint="Virtual networks in resource group %s: %s." % (group, ", ".join(self._vnet_names(group)) or "none"))
        where = sku_catalog.normalize_location(vnet.get("location"))
        if where and where != self.location():
            raise target.bad(option, target.settings[option] or network_id,
                             "a virtual network in the vault's region %s" % self.location(), hint="%s is in %s." % (name, where))
        subnets = {}
        for subnet in (vnet.get("properties") or {}).get("subnets") or []:
            props = subnet.get("properties") or {}
            prefixes = props.get("addressPrefixes") or ([props["addressPrefix"]] if props.get("addressPrefix") else [])
            subnets[subnet["name"].lower()] = (subnet["name"], prefixes)
        return subnets

    def _vnet_names(self, group):
        return self.clients.read("vnets:" + group, "Listing virtual networks of %s" % group,
                                 lambda: self.clients.client("network").virtual_networks.list(group),
                                 convert=lambda pager: [v.name for v in pager], missing=[])

    def _check_nics(self, target, nets, details):
        effective = self.provider.item.effective_nics(target.want, details)
        for option, ip_option, network_option in (("target_subnet", "target_ip", "target_network"),
                                                  ("test_subnet", "test_ip", "test_network")):
            if network_option not in nets:
                continue
            network_id, subnets = nets[network_option]
            for mac, values in effective.items():
                if values.get("failover") is False:
                    continue
                subnet = values.get(option)
                if not subnet:
                    continue
                if subnet.lower() not in subnets:
                    raise target.bad(self._nic_option(target, mac, option), subnet,
                                     "a subnet of virtual network %s" % network_id.rsplit("/", 1)[-1],
                                     hint="Its subnets: %s." % (", ".join(sorted(n for n, _p in subnets.values())) or "none"))
                ip = values.get(ip_option)
                if ip:
                    self._check_ip(target, mac, ip_option, ip, subnets[subnet.lower()])

    def _nic_option(self, target, mac, option):
        for i, nic in enumerate(target.want.get("nics") or []):
            if nic.get("mac") == mac and nic.get(option) is not None:
                return "%s[%d].%s" % (target.parameter("nics"), i, option)
        return target.parameter(option)

    def _check_ip(self, target, mac, option, ip, subnet):
        name, prefixes = subnet
        try:
            address = ipaddress.ip_address(ip)
            inside = any(address in ipaddress.ip_network(p, strict=False) for p in prefixes) if prefixes else True
        except ValueError:
            inside = False
        if not inside:
            raise target.bad(self._nic_option(target, mac, option), ip,
                             "an IPv4 address in subnet %s (%s)" % (name, ", ".join(prefixes)))

    def _check_size(self, target, size, details):
        sizes = self.sizes()
        found = sizes.get(size.lower())
        usable = sorted(s["name"] for s in sizes.values() if not sku_catalog.restricted(s, self.location()))
        if found is None or sku_catalog.restricted(found, self.location()):
            raise target.bad("target_vm_size", size, "a VM size offered to this subscription in %s" % self.location(),
                             hint="Valid sizes there include: %s (%d in all)." % (
                                 ", ".join(sku_catalog.suggestions(size, usable)), len(usable)))
        facts = sku_catalog.size_facts(found, self.location())
        nics = [n for n in self.provider.item.effective_nics(target.want, details).values() if n.get("failover") is not False]
        data_disks = len([d for d in target.machine["disks"] if not d["os_disk"]]) if target.write == "enable" else \
            max(0, len(details.get("protectedDisks") or []) - 1)
        if target.write == "enable":
            data_disks -= len([d for d in target.want.get("disks") or [] if d.get("exclude")])
        generation = "V2" if target.machine["firmware"] == "efi" else "V1"
        problems = []
        if facts["max_nics"] is not None and len(nics) > facts["max_nics"]:
            problems.append("it takes %d NICs, the VM fails over with %d" % (facts["max_nics"], len(nics)))
        if facts["max_data_disks"] is not None and data_disks > facts["max_data_disks"]:
            problems.append("it takes %d data disks, the VM replicates %d" % (facts["max_data_disks"], data_disks))
        if facts["hyperv_generations"] and generation not in facts["hyperv_generations"]:
            problems.append("it has no Hyper-V generation %s (the VM boots with %s)" % (generation, target.machine["firmware"].upper()))
        if problems:
            raise target.bad("target_vm_size", size, "a VM size that fits %s" % target.label, hint="; ".join(problems) + ".")

    # -- execute ------------------------------------------------------------------------------------------
    def execute(self):
        """Send every planned write (one request each, no poller); the job name is kept per VM."""
        ops = self.vault.client.replication_protected_items
        rg, name = self.vault.resource_group, self.vault.name
        starts, writes = [], []
        for target in self.targets:
            write, target.write = target.write, None
            if write is None or target.error is not None:
                continue
            if write == "enable":
                path = (target.fabric["name"], self.container_of(target.fabric)["name"], target.machine["name"])
                begin, what = ops.begin_create, "Enabling replication of %s" % target.label
            elif write == "update":
                path = item_path(target.item)
                begin, what = ops.begin_update, "Updating replication settings of %s" % target.label
            else:
                path = item_path(target.item)
                begin, what = ops.begin_delete, "Disabling replication of %s" % target.label
            starts.append(Start(target, begin, what, (rg, name) + tuple(path) + (target.body,),
                                lambda t=target, w=write: self._own_job(t, w)))
            writes.append((target, write))
        if starts:
            self.touch()
        self.tracker.start_each(starts)
        for target, write in writes:
            if target.error is not None:
                target.changed = target.changed and write != target.action
        if any(t.job for t in self.targets):
            self.touch()        # the items change while their jobs run: list them again after the wait

    def _own_job(self, target, write):
        """After an uncertain failure to write: the job the VM's item runs for that write now, or None. The item's
        currentScenario names it; else (the item is not listed yet, or shows no job yet, or could not be read) the
        vault's job list: the newest running job of that write whose target is the VM (its name, or its item's name,
        id or internal id: ASR's 409 names the item). Each look lists the items again (the write may have changed them)."""
        action = WRITE_ACTIONS[write]
        scenario_action = self.provider.item.scenario_action
        self.touch()
        try:
            item = self.items(fresh=True).of(target.machine) if target.machine is not None else None
        except DrAsrError:
            item = None         # the job list may still name the job
        busy = self.busy(item) if item is not None else None
        if busy and scenario_action((props(item).get("currentScenario") or {}).get("scenarioName")) == action:
            target.item = item
            return busy
        keys = set(k.lower() for k in (target.label, (target.item or {}).get("name")) if k)
        if item is not None:
            keys.update(k.lower() for k in (item.get("name"), item.get("id"), props(item).get("friendlyName"),
                                            details(item).get("internalIdentifier")) if k)
        try:
            found = [j for j in self.vault.jobs.list() if keys & set(
                (j.get(k) or "").lower() for k in ("target_object_name", "target_object_id")) and
                scenario_action(j.get("scenario")) == action and j.get("state") not in FINAL_STATES and
                j.get("name") not in self.ended]
        except DrAsrError:
            return None
        if found:
            if item is not None:
                target.item = item
            return sorted(found, key=lambda j: j.get("start_time") or "")[-1]["name"]
        return None

    def followup(self):
        """Once the jobs ended: look at the VMs flagged for it again (busy ones, and enabled ones whose NIC
        settings only an update sets) and send what they still need. Returns True when something was sent."""
        todo = [t for t in self.targets if t.error is None and t.followup]
        if not todo:
            return False
        items = self.items(fresh=True)
        for target in todo:
            target.item = items.of(target.machine)
        present = [t.item for t in todo if t.item is not None]
        self.check_jobs(present)
        if self.params["state"] != "absent":
            self.read_details([t for t in todo if t.item is not None])
        started = False
        for target in todo:
            target.followup = False
            if target.item is None:
                continue
            first = (target.action, target.changed, target.diff, target.job, target.job_facts)
            target.action, target.changes = "none", []
            try:
                if self.params["state"] == "absent":
                    self._plan_absent(target)
                else:
                    self._plan_present(target)
                if target.write == "update":
                    self._validate(target)
            except InputError as err:
                target.write = None
                target.fail(err)
            if target.write:
                started = True
                if first[0] == "enable":
                    target.action = "enable"
                    target.diff = {"before": {}, "after": dict(first[2]["after"], **target.diff["after"])}
            elif target.action != "attach":
                target.action, target.changed, target.diff, target.job, target.job_facts = first
        if started:
            self.execute()
        return started

    def entries(self):
        return self.targets

    def wait_more(self, waiter):
        """wait=protected: wait until every enabled VM is Protected, one vault-wide item list per poll."""
        if self.params["wait"] != "protected" or self.params["state"] != "present":
            return
        todo = [t for t in self.targets if t.error is None and t.machine is not None and t.action != "disable"]
        if not todo:
            return

        def look():
            items = self.items(fresh=True)
            self.touch()        # the next poll lists again
            waiting = []
            for target in todo:
                target.item = items.of(target.machine)
                state, progress = state_progress(target.item, self.ended)
                now = phase(target.item, self.ended) if target.item is not None else None
                if target.item is None:
                    target.fail(AzureError("The protected item of %s disappeared while waiting." % target.label,
                                           code="NotFound"))
                elif now in ("failed", "disabling"):
                    target.fail(AzureError("Replication of %s is in state %s." % (target.label, state), code=state))
                elif now not in CAN_FAIL_OVER:
                    waiting.append("%s %s%%" % (target.label, progress if progress is not None else 0))
            summary = "%d of %d VMs protected" % (len(todo) - len(waiting), len(todo))
            if waiting:
                summary += "; initial replication: " + ", ".join(waiting[:10]) + (" ..." if len(waiting) > 10 else "")
            self.tracker.summary = summary
            return Probe(not waiting, value=None, progress=summary)
        waiter.until(look, "%d VMs to be protected" % len(todo) if len(todo) > 1 else "%s to be protected" % todo[0].label)
        self._stale = False     # the last poll saw them all protected

    def refresh(self):
        """The items for the report: listed again only when something changed since the last list."""
        items = self.items(fresh=True)
        for target in self.targets:
            if target.machine is not None:
                target.item = items.of(target.machine)

    def results(self):
        return [t.result(self.ended) for t in self.targets]

    def report(self, predicted=False):
        """protected_item's result: every VM's result (predicted in check mode: nothing was sent)."""
        results = self.results()
        diff = [dict(before_header=r["name"], after_header=r["name"], before=r["diff"]["before"],
                     after=r["diff"]["after"]) for r in results if r["changed"]]
        settled = [t.item["name"] for t in self.targets if t.item is not None and t.error is None and not t.followup
                   and (t.job is None or (t.job_facts or {}).get("state") == "Succeeded")]
        return dict(changed=any(r["changed"] for r in results), vms=results, diff=diff, wait_resume=dict(settled=settled))

    def failed(self):
        return [t for t in self.targets if t.error is not None]


def _predicted_details(want, machine):
    """What ASR makes of an enable input (InMageRcm details), for validating and comparing before it exists."""
    nics = []
    for i, nic in enumerate(machine["nics"]):
        nics.append({"nicId": nic["mac"], "isPrimaryNic": "true" if i == 0 else "false", "isSelectedForFailover": "true",
                     "targetSubnetName": want.get("target_subnet") or "", "testSubnetName": want.get("test_subnet") or "",
                     "targetIPAddress": "", "testIPAddress": "", "targetNicName": ""})
    return {"targetNetworkId": want.get("target_network_id") or "", "testNetworkId": want.get("test_network_id") or "",
            "vmNics": nics}


def _item_summary(item):
    facts = item_facts(item)
    return dict(state=facts["state"], policy=facts["policy"], target_vm_name=(facts.get("target") or {}).get("vm_name"),
                target_vm_size=(facts.get("target") or {}).get("vm_size"))


def _fabric_type(fabric):
    return (((fabric.get("properties") or {}).get("customDetails") or {}).get("instanceType") or "").lower()


def _provider_of(policy):
    return (((policy.get("properties") or {}).get("providerSpecificDetails") or {}).get("instanceType") or "").lower()


def _option_of(key):
    return {"process_server_id": "appliance", "log_storage_account_id": "log_storage_account",
            "target_disk_names": "disks"}.get(key, key)


def _verb(action):
    return {"enable": "Enabling replication", "update": "Updating replication settings",
            "disable": "Disabling replication", "attach": "The running job"}.get(action, action)
