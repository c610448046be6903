# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The way off classic: ASR's switchProvider moves an item replicating through a configuration server
(InMageAzureV2) to a replication appliance of a vault of the modernized experience (InMageRcm).

What decides is what ASR states: the item's `switchProviderBlockingErrorDetails` (a GET: a list may carry them
empty) refuse it before anything is written, naming each error; its `switchProviderDetails` say it moved already
(nothing to do); a running job of the move is attached to. Microsoft Learn: at most 10 machines in one go, items
of a replication group move together, recovery plans are not moved, the move completes with the first recovery
point in the modernized vault (move-from-classic-to-modernized-vmware-disaster-recovery)."""

from __future__ import annotations

from ansible_collections.dr.asr.plugins.module_utils._errors import DrAsrError, InputError
from ansible_collections.dr.asr.plugins.module_utils._azure.errors import azure_errors
from ansible_collections.dr.asr.plugins.module_utils._azure.models import as_dict
from ansible_collections.dr.asr.plugins.module_utils._asr import lookup, providers
from ansible_collections.dr.asr.plugins.module_utils._asr.actions.base import Action
from ansible_collections.dr.asr.plugins.module_utils._asr.actions.run import Run
from ansible_collections.dr.asr.plugins.module_utils._asr.common import details, props
from ansible_collections.dr.asr.plugins.module_utils._asr.state import item_view, name_of, state_of

#: [documented] "You can migrate up to 10 machines via the portal, in one go."
MAX_BATCH = 10
CLASSIC = providers.get("classic")


def moved_to(item):
    return CLASSIC.item.moved_to(details(item))


def blocking_errors(item):
    return CLASSIC.item.blocking_errors(details(item))


class SwitchProvider(Action):
    title = "move to the modernized experience"
    operation = None                  # ASR lists no operation for it: its blocking errors say what stops it
    actions = ("switch_provider",)
    item_method = "begin_switch_provider"

    def needs_details(self, item):
        return True

    def permitted(self, item):
        return True

    def done(self, run, item):
        where = moved_to(item)
        if where:
            return "%s moved to the modernized experience already (item %s)." % (name_of(item), where["item_id"])
        return None

    def check(self, run, target):
        item = target.resource
        p = props(item)
        kind = details(item).get("instanceType")
        if (kind or "").lower() != CLASSIC.instance_type.lower():
            raise DrAsrError("Cannot %s: %s replicates with provider %s, not through a configuration server "
                             "(InMageAzureV2)." % (self.title, name_of(item), kind), code="NotClassic",
                             recommended_action="Name the classic vault's items only.", details=item_view(item))
        blocking = blocking_errors(item)
        if blocking:
            raise DrAsrError(
                "Cannot %s: ASR reports what blocks %s: %s." % (self.title, name_of(item), "; ".join(
                    "%s %s" % (e["code"], e["message"]) for e in blocking)), code="SwitchProviderBlocked",
                possible_causes="; ".join(e["possible_causes"] for e in blocking if e.get("possible_causes")) or None,
                recommended_action="; ".join(e["recommended_action"] for e in blocking
                                             if e.get("recommended_action")) or None,
                details=dict(item_view(item), blocking_errors=blocking))
        if p.get("activeLocation") != "Primary":
            raise DrAsrError("Cannot %s: %s runs at its %s site (state %s, allowed operations: %s); only items "
                             "replicating from on-premises to Azure move." % (
                                 self.title, name_of(item), p.get("activeLocation"), p.get("protectionState"),
                                 ", ".join(p.get("allowedOperations") or []) or "none"),
                             code="OperationNotAllowed", recommended_action="Fail back and reprotect it first.",
                             details=item_view(item))
        target.extra.update(run.target_inputs)

    def item_body(self, run, target):
        x = target.extra
        return CLASSIC.item.switch_provider_input(x["vault_id"], x["fabric_id"], x["appliance_id"])

    def predict(self, item):
        return {}


class SwitchRun(Run):
    """A Run whose report says where each item moved (a GET: a list is not trusted for the switch details)."""

    details_after = True

    def __init__(self, vault, params, action, target_vault, warn=None):
        super().__init__(vault, params, action, warn)
        self.target_vault = target_vault
        self._inputs = None

    @property
    def target_inputs(self):
        if self._inputs is None:
            self._inputs = resolve_target(self.target_vault, self.params.get("appliance"))
        return self._inputs

    def resolve(self):
        super().resolve()
        started = [t for t in self.targets if not moved_to(t.resource)]
        if len(started) > MAX_BATCH:
            raise InputError("items", [name_of(t.resource) for t in started], "at most %d items that have not moved "
                             "yet: Azure Site Recovery moves up to %d machines in one go" % (MAX_BATCH, MAX_BATCH),
                             hint="Split them into batches (the dr.asr.migrate_classic role does).")

    def _after(self, target, predicted):
        after = dict(state_of(target.before) if predicted else state_of(target.resource))
        where = moved_to(target.resource)
        after["moved_to"] = where["item_id"] if where else (
            "%s (%s)" % (self.target_vault.name, target.extra.get("appliance")) if predicted else None)
        return after

    def target_result(self, target, predicted=False):
        out = super().target_result(target, predicted)
        if target.changed:
            out["diff"]["before"] = dict(out["diff"]["before"], moved_to=None)
        out["moved_to"] = moved_to(target.resource)
        out["switch_provider_blocking_errors"] = blocking_errors(target.resource)
        out["appliance"] = target.extra.get("appliance")
        return out

    def report(self, predicted=False):
        out = super().report(predicted)
        out["target_vault"] = dict(name=self.target_vault.name, resource_group=self.target_vault.resource_group,
                                   id=self.target_vault.id)
        return out


def resolve_target(vault, appliance):
    """The modernized vault's InMageRcm fabric and the appliance items move to (its process server's id: what
    replicationAppliances names the appliance). InputError before anything is written."""
    fabrics = lookup.vault_read(vault, vault.fabrics)
    modern = [f for f in fabrics if ((props(f).get("customDetails") or {}).get("instanceType") or "").lower() ==
              "inmagercm"]
    if not modern:
        raise InputError("target_vault", vault.name, "a vault of the modernized experience with a replication "
                         "appliance registered", hint="Vault %s has none: deploy an appliance, register it with the "
                         "vault and add the vCenter server to it (Microsoft Learn's prerequisites)." % vault.name)
    with azure_errors("Reading fabric %s of vault %s" % (modern[0]["name"], vault.name)):
        fabric = as_dict(vault.client.replication_fabrics.get(vault.resource_group, vault.name, modern[0]["name"]))
    servers = (props(fabric).get("customDetails") or {}).get("processServers") or []
    names = [s.get("name") for s in servers]
    if appliance:
        found = [s for s in servers if (s.get("name") or "").lower() == appliance.lower() or
                 lookup.same_id(s.get("id"), appliance)]
    else:
        found = servers if len(servers) == 1 else []
    if not found:
        raise InputError("appliance", appliance, "the name of a replication appliance of vault %s" % vault.name,
                         hint="Registered: %s." % (", ".join(n for n in names if n) or "none"))
    return dict(vault_id=vault.id, fabric_id=fabric["id"], appliance_id=found[0].get("id"),
                appliance=found[0].get("name"))
