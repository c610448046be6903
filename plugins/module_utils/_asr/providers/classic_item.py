# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Classic experience (InMageAzureV2 / InMage), protected items: read, and moved to the modernized experience.

A classic item is read (its facts, with its agent, process server and what blocks its move; phase "unknown") and
moved with ASR's switchProvider (`switch_provider_input`, `blocking_errors`, `moved_to`: dr.asr.switch_provider).
Enabling classic protection is refused (`enable_input`): ASR blocks it since 2022. Every other write or action on
a classic item answers that the classic experience is not implemented; the actions refuse it naming its raw state
and allowed operations.
"""

from __future__ import annotations

from ansible_collections.dr.asr.plugins.module_utils._errors import DrAsrError, InputError
from ansible_collections.dr.asr.plugins.module_utils._asr.providers import inmagercm_item

INSTANCE_TYPE = "InMageAzureV2"
FAILBACK_INSTANCE_TYPE = "InMage"


#: ASR's job scenario of a switch provider (the move to the modernized experience) [lab: guessed, docs/lab-asr.md]
SWITCH_PROVIDER_SCENARIOS = ("switchprovider",)
#: the provider a classic item moves to (SwitchProviderInput.targetInstanceType)
TARGET_INSTANCE_TYPE = "InMageRcm"
#: Microsoft's guide to the move (what the refusals name)
MIGRATION_DOC = "https://learn.microsoft.com/azure/site-recovery/move-from-classic-to-modernized-vmware-disaster-recovery"


def scenario_action(scenario):
    """The action a job (or item) scenario name runs: ASR's vocabulary, plus the switch provider."""
    if (scenario or "").replace(" ", "").lower() in SWITCH_PROVIDER_SCENARIOS:
        return "switch_provider"
    return inmagercm_item.scenario_action(scenario)


def not_supported(what):
    raise InputError("experience", "classic", "modernized: %s for the classic experience (InMageAzureV2, configuration "
                     "server) is not implemented in dr.asr yet" % what)


# -- reads: what dr.asr can say about a classic item without a classic model ---------------------------------------

def is_failback(instance_type):
    return (instance_type or "").lower() == FAILBACK_INSTANCE_TYPE.lower()


def phase(provider, active_location, state, allowed, running=None, progress=None):  # pylint: disable=unused-argument
    return "unknown"


def runs_in(provider, active_location):  # pylint: disable=unused-argument
    return None


def replicates_to(provider, active_location, allowed=None):  # pylint: disable=unused-argument
    return None


def listed(details):  # pylint: disable=unused-argument
    return False


def item_facts(details):
    return dict(provider=details.get("instanceType"), progress=details.get("resyncProgressPercentage"),
                agent_version=details.get("agentVersion"), agent_update_required=details.get("isAgentUpdateRequired"),
                last_heartbeat=details.get("lastHeartbeat"), process_server_id=details.get("processServerId"),
                process_server=details.get("processServerName"), master_target_id=details.get("masterTargetId"),
                rpo_seconds=details.get("rpoInSeconds"), vm_protection_state=details.get("vmProtectionState"),
                multi_vm_group=details.get("multiVmGroupName"), os_type=details.get("osType"),
                switch_provider_blocking_errors=blocking_errors(details), moved_to=moved_to(details))


# -- enable: refused ----------------------------------------------------------------------------------------------

def enable_input(*args, **kwargs):  # pylint: disable=unused-argument
    """Classic protection cannot be enabled any more: the refusal says why and where to go."""
    raise DrAsrError(
        "Azure Site Recovery no longer enables protection through a configuration server (classic experience, "
        "InMageAzureV2): new classic protection is blocked since 2022 and classic support ended in 2023.",
        code="ClassicProtectionRetired",
        possible_causes="The vault has only a configuration server fabric (classic experience), no replication "
                        "appliance.",
        recommended_action="Register a replication appliance with a vault of the modernized experience and protect "
                           "the VMs there; move items still replicating through the configuration server with "
                           "dr.asr.switch_provider or the dr.asr.migrate_classic role. See " + MIGRATION_DOC,
        details=dict(migration_doc=MIGRATION_DOC))


# -- the move to the modernized experience (switchProvider) -------------------------------------------------------

def blocking_errors(details):
    """What ASR says blocks the item's move (InMageAzureV2SwitchProviderBlockingErrorDetails), as facts."""
    return [dict(code=e.get("errorCode"), message=e.get("errorMessage"), possible_causes=e.get("possibleCauses"),
                 recommended_action=e.get("recommendedAction"))
            for e in (details or {}).get("switchProviderBlockingErrorDetails") or []]


def moved_to(details):
    """Where the item moved (InMageAzureV2SwitchProviderDetails), or None while it has not."""
    switched = (details or {}).get("switchProviderDetails") or {}
    if not switched.get("targetResourceId"):
        return None
    return dict(vault_id=switched.get("targetVaultId"), item_id=switched.get("targetResourceId"),
                fabric_id=switched.get("targetFabricId"), appliance_id=switched.get("targetApplianceId"))


def switch_provider_input(vault_id, fabric_id, appliance_id):
    """SwitchProviderInput: to InMageRcm, into the modernized vault's fabric, through one of its appliances."""
    return {"properties": {"targetInstanceType": TARGET_INSTANCE_TYPE, "providerSpecificDetails": {
        "instanceType": INSTANCE_TYPE, "targetVaultID": vault_id, "targetFabricID": fabric_id,
        "targetApplianceID": appliance_id}}}


def lifecycle_facts(details):  # pylint: disable=unused-argument
    return dict(last_planned_failover_status=None, reprotect_agent=None, datastore=None, log_storage_account_id=None)


# -- writes and inputs --------------------------------------------------------------------------------------------

def __getattr__(name):
    return lambda *args, **kwargs: not_supported(name.replace("_", " "))
