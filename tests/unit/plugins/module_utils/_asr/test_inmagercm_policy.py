# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Modernized policies: options -> settings -> REST input, REST details -> facts, and the errors that name
the option (no Azure)."""

from __future__ import annotations

import pytest

from ansible_collections.dr.asr.plugins.module_utils._errors import InputError
from ansible_collections.dr.asr.plugins.module_utils._asr import providers
from ansible_collections.dr.asr.plugins.module_utils._asr.providers import inmagercm_policy as rcm


def params(**kw):
    p = dict(name="pol", experience="modernized", failback=False, retention_hours=None, retention_minutes=None,
             crash_consistent_frequency_minutes=None, app_consistent_frequency_minutes=None, multi_vm_sync=None)
    p.update(kw)
    return p


def test_the_seam_hands_out_this_module_for_modernized():
    assert providers.get("modernized").policy is rcm
    with pytest.raises(InputError) as info:
        providers.get("classic").policy.policy_support(params(experience="classic"))
    assert info.value.parameter == "experience" and "not implemented" in info.value.message


@pytest.mark.parametrize("option,value,expected", [
    ("retention_hours", 361, "from 0 to 360"),
    ("retention_hours", -1, "from 0 to 360"),
    ("retention_minutes", 21601, "from 0 to 21600"),
    ("crash_consistent_frequency_minutes", 0, "from 1 to 720"),
    ("app_consistent_frequency_minutes", 721, "from 0 to 720"),
])
def test_out_of_range_names_option_value_and_range(option, value, expected):
    with pytest.raises(InputError) as info:
        rcm.policy_support(params(**{option: value}))
    assert info.value.parameter == option
    assert repr(value) in info.value.message and expected in info.value.message


@pytest.mark.parametrize("option,value", [("retention_hours", 24), ("retention_minutes", 60), ("multi_vm_sync", False)])
def test_failback_policies_have_no_retention_nor_multi_vm_sync(option, value):
    with pytest.raises(InputError) as info:
        rcm.policy_support(params(failback=True, **{option: value}))
    assert info.value.parameter == option and "failback" in info.value.message


def test_limits_are_accepted():
    rcm.policy_support(params(retention_hours=360, crash_consistent_frequency_minutes=720,
                              app_consistent_frequency_minutes=0))
    rcm.policy_support(params(failback=True, crash_consistent_frequency_minutes=1, app_consistent_frequency_minutes=720))


def test_new_policy_gets_defaults_and_what_was_set():
    assert rcm.desired_settings(params(retention_hours=12)) == dict(
        retention_minutes=720, crash_consistent_frequency_minutes=5, app_consistent_frequency_minutes=240,
        multi_vm_sync=True)
    assert rcm.desired_settings(params(failback=True, app_consistent_frequency_minutes=60)) == dict(
        crash_consistent_frequency_minutes=5, app_consistent_frequency_minutes=60)


def test_existing_policy_keeps_what_was_not_set():
    current = dict(retention_minutes=2880, crash_consistent_frequency_minutes=10, app_consistent_frequency_minutes=60,
                   multi_vm_sync=False)
    assert rcm.desired_settings(params(), current) == current
    assert rcm.desired_settings(params(retention_minutes=4320), current) == dict(current, retention_minutes=4320)


def test_app_consistent_beyond_retention_blames_the_option_the_user_set():
    with pytest.raises(InputError) as info:
        rcm.desired_settings(params(retention_minutes=60, app_consistent_frequency_minutes=120))
    assert info.value.parameter == "app_consistent_frequency_minutes" and "(60 minutes)" in info.value.message
    current = dict(retention_minutes=1440, crash_consistent_frequency_minutes=5, app_consistent_frequency_minutes=240,
                   multi_vm_sync=True)
    with pytest.raises(InputError) as info:
        rcm.desired_settings(params(retention_hours=2), current)
    assert info.value.parameter == "retention_hours" and "(240 minutes)" in info.value.message
    # no retention window (0): app-consistent points are not limited by it
    assert rcm.desired_settings(params(retention_minutes=0, app_consistent_frequency_minutes=120))["retention_minutes"] == 0


def test_rest_bodies():
    settings = dict(retention_minutes=1440, crash_consistent_frequency_minutes=5, app_consistent_frequency_minutes=240,
                    multi_vm_sync=False)
    assert rcm.create_body(settings, False) == {"properties": {"providerSpecificInput": {
        "instanceType": "InMageRcm", "recoveryPointHistoryInMinutes": 1440, "crashConsistentFrequencyInMinutes": 5,
        "appConsistentFrequencyInMinutes": 240, "enableMultiVmSync": "false"}}}
    failback = dict(crash_consistent_frequency_minutes=10, app_consistent_frequency_minutes=60)
    assert rcm.update_body(failback, True) == {"properties": {"replicationProviderSettings": {
        "instanceType": "InMageRcmFailback", "crashConsistentFrequencyInMinutes": 10,
        "appConsistentFrequencyInMinutes": 60}}}


def test_details_round_trip_to_facts():
    details = {"instanceType": "InMageRcm", "recoveryPointHistoryInMinutes": 90, "crashConsistentFrequencyInMinutes": 5,
               "appConsistentFrequencyInMinutes": 60, "enableMultiVmSync": "True"}
    facts = rcm.details_facts(details)
    assert facts == dict(experience="modernized", instance_type="InMageRcm", failback=False, retention_minutes=90,
                         retention_hours=1.5, crash_consistent_frequency_minutes=5,
                         app_consistent_frequency_minutes=60, multi_vm_sync=True)
    settings = rcm.settings_of(details)
    assert rcm.policy_input(rcm.desired_settings(params(), settings), False) == dict(details, enableMultiVmSync="true")
    failback = rcm.details_facts({"instanceType": "InMageRcmFailback", "crashConsistentFrequencyInMinutes": 5,
                                  "appConsistentFrequencyInMinutes": 0})
    assert failback["failback"] and failback["retention_minutes"] is None and failback["multi_vm_sync"] is None


def test_associations_forward_targets_azure_failback_its_own_container():
    """[recorded: TestV2ARCMContainerMapping] a forward policy maps the container to "Microsoft Azure"; a failback
    policy's association targets the container itself. Both send the generic provider input."""
    container = "/Subscriptions/s/x/replicationFabrics/f/replicationProtectionContainers/c"
    forward = rcm.mapping_body("/Subscriptions/s/x/replicationPolicies/p", False, container)
    failback = rcm.mapping_body("/Subscriptions/s/x/replicationPolicies/p", True, container)
    assert forward["properties"]["targetProtectionContainerId"] == "Microsoft Azure"
    assert failback["properties"]["targetProtectionContainerId"] == container
    for body in (forward, failback):
        assert body["properties"]["policyId"].endswith("/replicationPolicies/p")
        assert body["properties"]["providerSpecificInput"] == {
            "instanceType": "ReplicationProviderSpecificContainerMappingInput"}
    assert rcm.removal_body() == {"properties": {"providerSpecificInput": {}}}
    assert rcm.container_matches({"properties": {"fabricType": "InMageRcm"}})
    assert rcm.container_matches({"properties": {"fabricSpecificDetails": {"instanceType": "InMageRcm"}}})
    assert not rcm.container_matches({"properties": {"fabricType": "VMware"}})
