# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Modernized experience (replication appliance), policies: InMageRcm and its failback twin InMageRcmFailback.

Pure functions: module options <-> policy settings (snake_case) <-> REST provider input/details.

* InMageRcm (VMware -> Azure): `recoveryPointHistoryInMinutes` (retention), `crashConsistentFrequencyInMinutes`,
  `appConsistentFrequencyInMinutes`, `enableMultiVmSync` ("true"/"false") - InMageRcmPolicyCreationInput.
* InMageRcmFailback (Azure -> VMware after a failover): the two frequencies only -
  InMageRcmFailbackPolicyCreationInput.
* Updates send the complete input under `replicationProviderSettings` (PATCH), as Az PowerShell's
  Update-AzRecoveryServicesAsrPolicy does for InMageRcm: the current values with the changed ones applied.
* Associations (container mappings) [recorded: TestV2ARCMContainerMapping]: an InMageRcm policy maps the
  appliance's protection container to "Microsoft Azure" with the generic provider input
  (ReplicationProviderSpecificContainerMappingInput); ASR answers InMageRcm details (agent auto-upgrade on). A
  failback (InMageRcmFailback) policy maps the container to ITSELF (its id) and has no provider details - the
  shape of the failback mappings a real vault has (crashconsistency-/appconsistency-failback-containerpairing);
  the request body of such an association is not recorded (the generic input is our guess).
"""

from __future__ import annotations

from ansible_collections.dr.asr.plugins.module_utils._errors import InputError

INSTANCE_TYPE = "InMageRcm"
FAILBACK_INSTANCE_TYPE = "InMageRcmFailback"
AZURE_CONTAINER = "Microsoft Azure"

MAX_RETENTION_MINUTES = 21600          # 15 days
MAX_FREQUENCY_MINUTES = 720            # 12 hours
#: what a new policy gets for settings left unset (crash-consistent every 5 minutes is what Az PowerShell
#: and the portal use; 24 h retention with app-consistent points every 4 h is ASR's documented example)
DEFAULTS = dict(retention_minutes=1440, crash_consistent_frequency_minutes=5,
                app_consistent_frequency_minutes=240, multi_vm_sync=True)
FAILBACK_DEFAULTS = dict(crash_consistent_frequency_minutes=5, app_consistent_frequency_minutes=240)

SETTINGS = ("retention_minutes", "crash_consistent_frequency_minutes", "app_consistent_frequency_minutes",
            "multi_vm_sync")
FAILBACK_SETTINGS = ("crash_consistent_frequency_minutes", "app_consistent_frequency_minutes")

_REST = dict(retention_minutes="recoveryPointHistoryInMinutes",
             crash_consistent_frequency_minutes="crashConsistentFrequencyInMinutes",
             app_consistent_frequency_minutes="appConsistentFrequencyInMinutes",
             multi_vm_sync="enableMultiVmSync")


def instance_type(failback):
    return FAILBACK_INSTANCE_TYPE if failback else INSTANCE_TYPE


def is_failback(instance_type_name):
    return (instance_type_name or "").lower() == FAILBACK_INSTANCE_TYPE.lower()


# -- module options -> wanted settings ----------------------------------------------------------------

def _in_range(parameter, value, low, high, unit):
    if value is not None and not low <= value <= high:
        raise InputError(parameter, value, "an integer from %d to %d (%s)" % (low, high, unit))


def policy_support(params):
    """Check the policy options this provider supports and the values ASR accepts, naming the option
    (before any Azure call)."""
    _in_range("retention_minutes", params.get("retention_minutes"), 0, MAX_RETENTION_MINUTES, "minutes; 15 days at most")
    _in_range("retention_hours", params.get("retention_hours"), 0, MAX_RETENTION_MINUTES // 60, "hours; 15 days at most")
    _in_range("crash_consistent_frequency_minutes", params.get("crash_consistent_frequency_minutes"), 1,
              MAX_FREQUENCY_MINUTES, "minutes; 12 hours at most")
    _in_range("app_consistent_frequency_minutes", params.get("app_consistent_frequency_minutes"), 0,
              MAX_FREQUENCY_MINUTES, "minutes, 0 for none; 12 hours at most")
    if params.get("failback"):
        for name in ("retention_minutes", "retention_hours", "multi_vm_sync"):
            if params.get(name) is not None:
                raise InputError(name, params[name], "unset for a failback policy",
                                 hint="A failback (InMageRcmFailback) policy has only the crash-consistent and "
                                      "app-consistent frequencies; retention and multi-VM sync belong to the "
                                      "forward (InMageRcm) policy.")


def _retention_parameter(params):
    return "retention_hours" if params.get("retention_hours") is not None else "retention_minutes"


def requested(params):
    """The settings the user set (unset ones are absent): what is compared and changed."""
    out = {}
    if params.get("retention_hours") is not None:
        out["retention_minutes"] = params["retention_hours"] * 60
    elif params.get("retention_minutes") is not None:
        out["retention_minutes"] = params["retention_minutes"]
    for name in ("crash_consistent_frequency_minutes", "app_consistent_frequency_minutes", "multi_vm_sync"):
        if params.get(name) is not None:
            out[name] = params[name]
    return out


def desired_settings(params, current=None):
    """The policy's settings after the change: `current` (or the defaults of a new policy) with what
    the user set applied. Checks the combination ASR checks (app-consistent frequency within retention)."""
    failback = bool(params.get("failback"))
    keys = FAILBACK_SETTINGS if failback else SETTINGS
    base = dict(FAILBACK_DEFAULTS if failback else DEFAULTS)
    if current:
        base.update((k, current[k]) for k in keys if current.get(k) is not None)
    wanted = dict((k, base.get(k)) for k in keys)
    wanted.update(requested(params))
    retention, app = wanted.get("retention_minutes"), wanted["app_consistent_frequency_minutes"]
    if not failback and retention and app > retention:
        user_set_app = params.get("app_consistent_frequency_minutes") is not None
        parameter = "app_consistent_frequency_minutes" if user_set_app else _retention_parameter(params)
        value = params[parameter]
        expected = ("at most the recovery point retention (%d minutes)" % retention if user_set_app else
                    "at least the app-consistent snapshot frequency (%d minutes)" % app)
        raise InputError(parameter, value, expected,
                         hint="App-consistent recovery points must fall within the retention window.")
    return wanted


# -- REST <-> settings ----------------------------------------------------------------------------

def policy_input(settings, failback):
    """The REST provider input (InMageRcmPolicyCreationInput / InMageRcmFailbackPolicyCreationInput)."""
    out = {"instanceType": instance_type(failback)}
    for key in (FAILBACK_SETTINGS if failback else SETTINGS):
        value = settings[key]
        if key == "multi_vm_sync":
            value = "true" if value else "false"
        out[_REST[key]] = value
    return out


def create_body(settings, failback):
    return {"properties": {"providerSpecificInput": policy_input(settings, failback)}}


def update_body(settings, failback):
    return {"properties": {"replicationProviderSettings": policy_input(settings, failback)}}


def _bool(text):
    if text is None or isinstance(text, bool):
        return text
    return str(text).strip().lower() in ("true", "enable", "enabled", "1", "yes")


def _hours(minutes):
    if minutes is None:
        return None
    return minutes // 60 if minutes % 60 == 0 else round(minutes / 60.0, 2)


def settings_of(details):
    """Settings (snake_case) of a policy's providerSpecificDetails."""
    details = details or {}
    failback = is_failback(details.get("instanceType"))
    out = dict(crash_consistent_frequency_minutes=details.get("crashConsistentFrequencyInMinutes"),
               app_consistent_frequency_minutes=details.get("appConsistentFrequencyInMinutes"))
    if failback:
        out.update(retention_minutes=None, multi_vm_sync=None)
    else:
        out.update(retention_minutes=details.get("recoveryPointHistoryInMinutes"),
                   multi_vm_sync=_bool(details.get("enableMultiVmSync")))
    return out


def policy_facts(settings, failback):
    """The provider part of a policy's facts, from settings."""
    out = dict(experience="modernized", instance_type=instance_type(failback), failback=failback,
               retention_minutes=settings.get("retention_minutes"),
               retention_hours=_hours(settings.get("retention_minutes")),
               crash_consistent_frequency_minutes=settings.get("crash_consistent_frequency_minutes"),
               app_consistent_frequency_minutes=settings.get("app_consistent_frequency_minutes"),
               multi_vm_sync=settings.get("multi_vm_sync"))
    return out


def details_facts(details):
    """The provider part of a policy's facts, from its REST providerSpecificDetails."""
    return policy_facts(settings_of(details), is_failback((details or {}).get("instanceType")))


# -- associations (container mappings) ------------------------------------------------------------

def container_matches(container):
    """Whether a protection container is the appliance's (InMageRcm fabric) container."""
    props = (container or {}).get("properties") or {}
    kinds = (props.get("fabricType"), (props.get("fabricSpecificDetails") or {}).get("instanceType"))
    return any((kind or "").lower() == INSTANCE_TYPE.lower() for kind in kinds)


GENERIC_MAPPING_INPUT = "ReplicationProviderSpecificContainerMappingInput"
#: the policies a modernized vault has once its appliance registered [recorded: every AsrV2ARCMTests vault]
DEFAULT_POLICIES = ("24-hour-replication-policy", "crashconsistency-policy-failback", "appconsistency-policy-failback")


def mapping_target(container_id, failback):
    """The targetProtectionContainerId of an association: Azure, or (failback) the container itself [recorded]."""
    return container_id if failback else AZURE_CONTAINER


def mapping_body(policy_id, failback, container_id):
    """Create input of the association of a policy with the appliance's container (forward or failback)."""
    return {"properties": {"targetProtectionContainerId": mapping_target(container_id, failback), "policyId": policy_id,
                           "providerSpecificInput": {"instanceType": GENERIC_MAPPING_INPUT}}}


def removal_body():
    """Input of a mapping's `remove` (what Az PowerShell sends: an empty provider input)."""
    return {"properties": {"providerSpecificInput": {}}}
