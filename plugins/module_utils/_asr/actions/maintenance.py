# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Day-2 maintenance of items replicating to Azure (InMageRcm, on-premises): the Mobility agent upgrade through ASR
(`updateMobilityService`) and the appliance switch (`updateAppliance`, job UpdateApplianceForRPI [recorded:
TestV2ARCMSwitchAppliance]).

Neither has an allowedOperations value (ReplicationProtectedItemOperation has none): what ASR states explicitly gates
them instead - the provider and activeLocation (the item replicates to Azure from on-premises), the running job,
and for the agent the item's mobilityAgentDetails (isUpgradeable, reasonsBlockingUpgrade, version, latestVersion,
latestUpgradableVersionWithoutReboot) and agentUpgradeBlockingErrorDetails (a list carries it empty [recorded]: the
items are read with a GET). Runs in batches (`batch_size`): the next batch starts when the previous one's jobs ended.
"""

from __future__ import annotations

from ansible_collections.dr.asr.plugins.module_utils._errors import DrAsrError, InputError
from ansible_collections.dr.asr.plugins.module_utils._asr import capacity, lookup, offazure
from ansible_collections.dr.asr.plugins.module_utils._asr.actions.base import Action
from ansible_collections.dr.asr.plugins.module_utils._asr.actions.run import Run
from ansible_collections.dr.asr.plugins.module_utils._asr.common import details, item_path, props
from ansible_collections.dr.asr.plugins.module_utils._asr.state import (
    describe, item_view, name_of, replicates_to_azure)

PROVIDER = "InMageRcm"
#: agentUpgradeBlockingErrorDetails code / reasonsBlockingUpgrade value of a current agent [recorded; SDK docs]
ALREADY_LATEST = ("inmagercmupgradeblockedalreadyonlatestversion", "alreadyonlatestversion")


def version_key(version):
    """A Mobility agent version (9.66.7643.1) as a tuple that sorts like versions; None when it has no digits."""
    parts = []
    for part in str(version or "").split("."):
        digits = "".join(c for c in part if c.isdigit())
        if not digits:
            return None
        parts.append(int(digits))
    return tuple(parts) or None


def agent_facts(item):
    """The Mobility agent as ASR describes it on the item: version, the latest, upgradeable, what blocks it, whether
    the upgrade to the latest needs a reboot (latestUpgradableVersionWithoutReboot below latestVersion)."""
    d = details(item)
    agent = d.get("mobilityAgentDetails") or {}
    version, latest = agent.get("version"), agent.get("latestVersion")
    without = agent.get("latestUpgradableVersionWithoutReboot")
    reboot = None
    if version_key(latest) and version_key(without):
        reboot = version_key(without) < version_key(latest)
    blocking = [dict(code=e.get("errorCode"), message=e.get("errorMessage"), possible_causes=e.get("possibleCauses"),
                     recommended_action=e.get("recommendedAction"))
                for e in d.get("agentUpgradeBlockingErrorDetails") or [] if isinstance(e, dict)]
    upgradeable = str(agent.get("isUpgradeable") or "").lower()
    return dict(version=version, latest_version=latest, latest_without_reboot=without, reboot_required=reboot,
                upgradeable=None if not upgradeable else upgradeable == "true",
                reasons_blocking_upgrade=list(agent.get("reasonsBlockingUpgrade") or []), blocking_errors=blocking,
                upgrade_state=d.get("agentUpgradeState"))


def _current(facts):
    codes = [str(r).lower() for r in facts["reasons_blocking_upgrade"]] + \
        [str(e.get("code") or "").lower() for e in facts["blocking_errors"]]
    if any(c in ALREADY_LATEST for c in codes):
        return True
    have, latest = version_key(facts["version"]), version_key(facts["latest_version"])
    return bool(have and latest and have >= latest)


def _to_azure(item):
    return (details(item).get("instanceType") or "").lower() == PROVIDER.lower() and replicates_to_azure(item)


def _not_to_azure(item, what):
    return DrAsrError("Cannot %s: %s." % (what, describe(item)), code="OperationNotAllowed",
                      recommended_action="Only an item replicating from on-premises to Azure (InMageRcm) has it; "
                                         "reprotect the item to Azure first (dr.asr.reprotect).",
                      details=item_view(item))


class UpgradeAgent(Action):
    """The Mobility agent upgrade through ASR (POST {item}/updateMobilityService)."""
    title = "upgrade the Mobility agent"
    actions = ("update_agent",)
    item_method = "begin_update_mobility_service"

    def needs_details(self, item):
        return True

    def done(self, run, item):
        facts = agent_facts(item)
        if _to_azure(item) and _current(facts):
            version = facts["version"] or facts["latest_version"]
            return "The Mobility agent of %s is the latest (%s)." % (name_of(item), version)
        return None

    def permitted(self, item):
        return _to_azure(item) and agent_facts(item)["upgradeable"] is True

    def refusal(self, item):
        if not _to_azure(item):
            return _not_to_azure(item, self.title)
        facts = agent_facts(item)
        reasons = facts["reasons_blocking_upgrade"] + ["%s: %s" % (e["code"], e["message"]) for e in facts["blocking_errors"]]
        first = facts["blocking_errors"][0] if facts["blocking_errors"] else {}
        return DrAsrError("Cannot %s of %s: ASR says it is not upgradeable (isUpgradeable %s; blocked by: %s)." % (
            self.title, name_of(item), facts["upgradeable"], "; ".join(reasons) or "no reason given"),
            code=first.get("code") or "AgentNotUpgradeable", possible_causes=first.get("possible_causes"),
            recommended_action=first.get("recommended_action") or
            "Check the agent on the VM and the appliance's health (dr.asr.appliance_info); a manual install or a "
            "reinstall (dr.asr.mobility_service) may be needed.",
            details=dict(item_view(item), agent=facts))

    def check(self, run, target):
        target.extra["run_as_account_id"] = run_as_for(run, target.resource, run.params.get("run_as_account"))

    def item_body(self, run, target):
        body = {"properties": {}}
        if target.extra.get("run_as_account_id"):
            body["properties"]["runAsAccountId"] = target.extra["run_as_account_id"]
        return body

    def extra_state(self, item):
        facts = agent_facts(item)
        return dict(agent_version=facts["version"])

    def extra_predicted(self, target):
        return dict(agent_version=agent_facts(target.before)["latest_version"])

    def facts(self, target):
        before = agent_facts(target.before)
        now = agent_facts(target.resource)
        return dict(agent=now, agent_upgrade=dict(from_version=before["version"], to_version=before["latest_version"],
                                                  reboot_required=before["reboot_required"])
                    if target.changed else None)


class SwitchAppliance(Action):
    """The appliance switch (POST {item}/updateAppliance): the item replicates through another appliance."""
    title = "switch the replication appliance"
    actions = ("update_appliance",)
    item_method = "begin_update_appliance"

    def __init__(self, params):
        super().__init__(params)
        self.limit = params.get("max_protected_items") or capacity.MAX_PROTECTED_MACHINES
        self._fabric_loads = {}
        self._moves = {}            # item id -> the chosen appliance (process server load fact)

    def loads(self, run, item):
        fabric_name = item_path(item)[0].lower()
        if fabric_name not in self._fabric_loads:
            fabrics = lookup.vault_read(run.vault, run.vault.fabrics)
            fabric = next((f for f in fabrics if (f.get("name") or "").lower() == fabric_name), {})
            self._fabric_loads[fabric_name] = capacity.loads(fabric, run.vault.protected_items())
        return self._fabric_loads[fabric_name]

    def choose(self, run, item):
        """The appliance the item should replicate through (a load fact), or None when it stays."""
        key = item["id"].lower()
        if key in self._moves:
            return self._moves[key]
        loads = self.loads(run, item)
        current = (details(item).get("processServerId") or "").lower()
        wanted = self.params.get("appliance")
        if wanted:
            target = capacity.find(loads, wanted)
            if target is None:
                raise InputError("appliance", wanted, "a replication appliance (process server) registered in vault %s"
                                 % run.vault.name, hint="Registered: %s." % (
                                     ", ".join(sorted(f["name"] for f in loads.values())) or "none"))
            choice = None if target["id"].lower() == current else target
        else:
            here = loads.get(current)
            if here is None or here["protected"] <= self.limit:
                choice = None
            else:
                choice = capacity.least_loaded(loads, self.limit, exclude=(current,))
                if choice is None:
                    raise DrAsrError("Cannot balance %s: appliance %s has %d protected items (capacity %d) and no other "
                                     "healthy appliance has room." % (name_of(item), here["name"], here["protected"],
                                                                      self.limit),
                                     code="NoApplianceCapacity", recommended_action="Deploy and register another "
                                     "replication appliance (%s)." % capacity.SOURCE,
                                     details=dict(appliances=capacity.view(loads, self.limit)))
        if choice is not None:
            if not capacity.healthy(choice):
                raise InputError("appliance", wanted, "a healthy appliance (ASR switches only to one)",
                                 hint="%s's process server health is %s (%s)." % (
                                     choice["name"], choice["health"], capacity.SOURCE))
            here = loads.get(current)
            choice["protected"] += 1            # later items of the run see the planned moves
            if here is not None:
                here["protected"] -= 1
        self._moves[key] = choice
        return choice

    def done(self, run, item):
        if not _to_azure(item):
            return None
        choice = self.choose(run, item)
        if choice is not None and (choice["id"] or "").lower() == (details(item).get("processServerId") or "").lower():
            return "%s replicates through appliance %s now." % (name_of(item), choice["name"])     # a lost answer's job
        if choice is None:
            server = details(item).get("processServerName") or details(item).get("processServerId")
            if self.params.get("appliance"):
                return "%s replicates through appliance %s already." % (name_of(item), server)
            return "%s stays on appliance %s: within its capacity of %d protected items." % (
                name_of(item), server, self.limit)
        return None

    def permitted(self, item):
        return _to_azure(item)

    def refusal(self, item):
        return _not_to_azure(item, self.title)

    def check(self, run, target):
        choice = self.choose(run, target.resource)
        target.extra["appliance"] = choice
        if run.params.get("run_as_account"):
            target.extra["run_as_account_id"] = run_as_for(run, target.resource, run.params["run_as_account"])

    def item_body(self, run, target):
        psd = {"instanceType": PROVIDER}
        if target.extra.get("run_as_account_id"):
            psd["runAsAccountId"] = target.extra["run_as_account_id"]
        return {"properties": {"targetApplianceId": target.extra["appliance"]["id"], "providerSpecificDetails": psd}}

    def extra_state(self, item):
        return dict(appliance=details(item).get("processServerName"))

    def extra_predicted(self, target):
        return dict(appliance=(target.extra.get("appliance") or {}).get("name"))

    def facts(self, target):
        return dict(appliance=details(target.resource).get("processServerName"),
                    process_server_id=details(target.resource).get("processServerId"))


def run_as_for(run, item, wanted):
    """The run-as account id to push with: the option (a credential's name or id), else the one the item was enabled
    with (its runAsAccountId), else the appliance's only push-install credential; None when there is none."""
    fabric_name = item_path(item)[0].lower()
    fabric = next((f for f in lookup.vault_read(run.vault, run.vault.fabrics)
                   if (f.get("name") or "").lower() == fabric_name), {})
    if not wanted and details(item).get("runAsAccountId"):
        return details(item)["runAsAccountId"]
    site = (props(fabric).get("customDetails") or {}).get("vmwareSiteId")
    cache = run.__dict__.setdefault("_run_as_accounts", {})
    if site not in cache:
        cache[site] = offazure.list_run_as_accounts(run.vault.clients, site) if site else []
    accounts = [a for a in cache[site] if (props(a).get("credentialType") or "") != "VMwareFabric"]
    if wanted:
        for account in accounts:
            if (props(account).get("displayName") or "").lower() == wanted.lower() or \
                    lookup.same_id(account.get("id"), wanted):
                return account["id"]
        raise InputError("run_as_account", wanted, "the name of a credential of the replication appliance",
                         hint="Its credentials: %s." % (", ".join(props(a).get("displayName") or a["name"]
                                                                  for a in accounts) or "none"))
    return accounts[0]["id"] if len(accounts) == 1 else None


class BatchRun(Run):
    """A Run of a maintenance action: at most `batch_size` jobs at a time (the rest wait, `queued`, and start when a
    batch ended, within the same wait), the items read with a GET for the report, the action's own facts."""

    details_after = True

    def __init__(self, vault, params, action, warn=None):
        super().__init__(vault, params, action, warn)
        self.batch_size = params.get("batch_size") or 0

    def decide(self, targets=None):
        super().decide(targets)
        if targets is not None or not self.batch_size:
            return
        running = len([t for t in self.targets if t.action == "attach"])
        room = max(0, self.batch_size - running)
        for target in [t for t in self.targets if t.action == "start"][room:]:
            target.action = "queued"
            target.reason = "Queued: at most %d jobs at a time (batch_size); starts when a batch ended." % \
                self.batch_size

    def followup(self):
        sent = super().followup()
        while True:
            queued = [t for t in self.targets if t.action == "queued" and t.error is None]
            if not queued:
                return sent
            self.tracker.wait(self.entries())
            for target in queued[:self.batch_size]:
                target.followup = True
            sent = Run.followup(self) or sent

    def target_result(self, target, predicted=False):
        out = super().target_result(target, predicted)
        if out["changed"]:
            out["diff"]["before"].update(self.action.extra_state(target.before))
            out["diff"]["after"].update(self.action.extra_predicted(target) if predicted or target.action == "queued"
                                        else self.action.extra_state(target.resource))
        out.update(self.action.facts(target))
        return out


def run_maintenance(module, action):
    """The whole run of a maintenance module through the pipeline (`pipeline.run`)."""
    from ansible_collections.dr.asr.plugins.module_utils._asr import pipeline
    params = module.params
    return pipeline.run(BatchRun(module.asr_vault(), params, action, module.warn), module.check_mode, params["wait"])
