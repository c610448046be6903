# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Disks that follow the VM: the disks of a protected VM as the replication appliance discovered them in vCenter
compared with the item's protected disks; a disk the item does not replicate is added (`addDisks`,
InMageRcmAddDisksInput [S]: each disk by the discovered machine's disk id, as enable's disksToInclude takes it).

The item names its disks as the Mobility agent does, not by the VMware disk uuid [recorded: issue 10 fact 9]: they
are matched through the provider seam (`disk_map`: the OS disk, then a unique capacity, then the position).

A protected disk vCenter no longer has cannot be removed through ASR for VMware machines: the spec's removeDisks
input has no InMageRcm kind (A2A only) [S]. It is reported (`removed`) with what to do (disable and enable
protection again), never sent. addDisks has no allowedOperations value: the item must replicate to Azure
(InMageRcm, on-premises) and be in phase `protected` (initial replication done, nothing running).
"""

from __future__ import annotations

from ansible_collections.dr.asr.plugins.module_utils._errors import InputError
from ansible_collections.dr.asr.plugins.module_utils._asr import machines, offazure, providers
from ansible_collections.dr.asr.plugins.module_utils._asr.actions.base import Action
from ansible_collections.dr.asr.plugins.module_utils._asr.common import STORAGE_TYPE, arm_id, details
from ansible_collections.dr.asr.plugins.module_utils._asr.state import name_of, phase, replicates_to_azure


def _low(value):
    return (value or "").lower()


class AddDisks(Action):
    title = "add disks"
    operation = None
    item_method = "begin_add_disks"
    actions = ("add_disks",)
    hints = {"initial_replication": "Wait until its initial replication is done (phase protected), then run again."}

    def __init__(self, params):
        super().__init__(params)
        self._machines = {}
        self.mappings = {}

    def needs_details(self, item):
        return True

    # -- what vCenter has against what the item replicates -----------------------------------------------------
    def machine(self, run, item):
        """The discovered machine of the item (one paged machine list per VMware site, once per run), or None."""
        machine_id = details(item).get("fabricDiscoveryMachineId")
        if not machine_id:
            return None
        site = offazure.site_of(machine_id)
        if site.lower() not in self._machines:
            self._machines[site.lower()] = dict(
                (_low(m.get("id")), machines.machine_facts(m)) for m in offazure.list_machines(run.vault.clients, site))
        return self._machines[site.lower()].get(_low(machine_id))

    def compare(self, run, item):
        """(disks to add: machine disk facts, protected disks vCenter no longer has: item disk ids, the machine);
        `self.mappings[item id]`: {VMware uuid: the item's disk id}."""
        machine = self.machine(run, item)
        if machine is None:
            return [], [], None
        found = machines.disk_difference(self.provider_of(item).disk_map, machine, details(item))
        self.mappings[_low(item.get("id"))] = found["mapping"]
        add, gone = found["add"], found["removed"]
        return add, gone, machine

    @staticmethod
    def provider_of(item):
        return providers.for_item(item).item

    def facts(self, item):
        return dict(disks=disk_list(item))

    # -- the decision --------------------------------------------------------------------------------------------
    def done(self, run, item):
        if not replicates_to_azure(item):
            return None                 # refused below (permitted), with its state
        add, gone, machine = self.compare(run, item)
        if machine is None:
            return None                 # refused in check()
        note = ""
        if gone:
            note = (" Protected disks vCenter no longer has (%s) stay replicated: ASR cannot remove a disk of a VMware "
                    "machine from replication; disable protection and enable it again to drop them." % ", ".join(gone))
        if not add:
            return "%s replicates every disk vCenter has.%s" % (name_of(item), note)
        return None

    def permitted(self, item):
        return replicates_to_azure(item) and phase(item) == "protected"

    def check(self, run, target):
        item = target.resource
        add, gone, machine = self.compare(run, item)
        if machine is None:
            raise InputError("items", target.label, "a protected VM whose discovered machine the appliance still has",
                             hint="Its fabricDiscoveryMachineId names no machine the appliance discovered.")
        protected = details(item).get("protectedDisks") or []
        model = next((x for x in protected if str(x.get("isOSDisk")).lower() == "true"), protected[0] if protected
                     else {})
        log = self.params.get("log_storage_account")
        group = details(item).get("targetResourceGroupId") or ""
        target.extra.update(add=add, removed=gone, mapping=self.mappings.get(_low(item.get("id"))) or {},
                            disk_type=self.params.get("disk_type") or model.get("diskType"),
                            log_storage_account_id=arm_id(log, group, STORAGE_TYPE) if log else
                            model.get("logStorageAccountId"))
        if not target.extra["log_storage_account_id"]:
            raise InputError("log_storage_account", log, "the storage account for the replication logs of the new "
                             "disks (the item's disks name none)")
        if not target.extra["disk_type"]:
            raise InputError("disk_type", None, "the target disk type of the new disks (the item's disks name none)")
        if gone:
            target.warnings.append(
                "%s: protected disks vCenter no longer has (%s) stay replicated - ASR cannot remove a disk of a VMware "
                "machine from replication; disable protection and enable it again to drop them." % (
                    target.label, ", ".join(gone)))

    def item_body(self, run, target):
        x = target.extra
        return target.provider.item.add_disks_input([d["id"] for d in x["add"]], x["log_storage_account_id"],
                                                    x["disk_type"])

    def predict(self, item):
        return {}

    def predicted(self, target):
        return {}

    def predicted_facts(self, target):
        return dict(disks=predicted_disks(target.before, target.extra))


def disk_list(item):
    """The item's disks as a diff shows them: protected ones with their type and state, the others excluded."""
    d = details(item)
    out = []
    for disk in d.get("protectedDisks") or []:
        out.append(dict(id=disk.get("diskId"), name=disk.get("diskName"), protected=True,
                        size_gb=int(disk["capacityInBytes"]) // 1024 ** 3 if disk.get("capacityInBytes") else None,
                        disk_type=disk.get("diskType"), state=disk.get("diskState")))
    for disk in d.get("unprotectedDisks") or []:
        out.append(dict(id=disk.get("diskId"), name=disk.get("diskName"), protected=False,
                        size_gb=int(disk["capacityInBytes"]) // 1024 ** 3 if disk.get("capacityInBytes") else None,
                        disk_type=None, state=None))
    return out


def predicted_disks(item, extra):
    """The disk list after the addDisks of `extra["add"]` (check mode): the added ones protected."""
    before = disk_list(item)
    add = extra.get("add") or []
    mapping = extra.get("mapping") or {}
    names = set(_low(mapping.get(_low(disk["id"]))) for disk in add)
    out = [dict(x, protected=True, disk_type=extra.get("disk_type"), state="InitialReplicationPending")
           if not x["protected"] and _low(x["id"]) in names else x for x in before]
    known = set(_low(x["id"]) for x in out)
    for disk in add:
        if _low(mapping.get(_low(disk["id"]))) not in known:
            out.append(dict(id=disk["id"], name=disk.get("label"), protected=True, size_gb=disk.get("size_gb"),
                            disk_type=extra.get("disk_type"), state="InitialReplicationPending"))
    return out
