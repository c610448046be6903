# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The classic provider seam: the enable refusal, the switch provider input, what ASR states about a move."""

from __future__ import annotations

import pytest

from ansible_collections.dr.asr.plugins.module_utils._errors import DrAsrError
from ansible_collections.dr.asr.plugins.module_utils._asr import providers
from ansible_collections.dr.asr.plugins.module_utils._asr.providers import classic_item

CLASSIC = providers.get("classic").item


def test_enabling_classic_protection_is_refused_with_the_reason_and_the_migration_doc():
    with pytest.raises(DrAsrError) as err:
        CLASSIC.enable_input(None, None)
    assert err.value.code == "ClassicProtectionRetired"
    assert "no longer enables protection through a configuration server" in err.value.message
    assert classic_item.MIGRATION_DOC in err.value.recommended_action
    assert "dr.asr.switch_provider" in err.value.recommended_action


def test_the_switch_provider_input_is_the_spec_example_shape():
    body = CLASSIC.switch_provider_input("/v2", "/v2/replicationFabrics/f", "ps-guid")
    assert body == {"properties": {"targetInstanceType": "InMageRcm", "providerSpecificDetails": {
        "instanceType": "InMageAzureV2", "targetVaultID": "/v2", "targetFabricID": "/v2/replicationFabrics/f",
        "targetApplianceID": "ps-guid"}}}


def test_blocking_errors_and_moved_to_come_from_what_asr_states():
    details = {"switchProviderBlockingErrorDetails": [{"errorCode": "1003", "errorMessage": "old agent",
                                                       "possibleCauses": "c", "recommendedAction": "a"}],
               "switchProviderDetails": {"targetVaultId": "/v2", "targetResourceId": None}}
    assert CLASSIC.blocking_errors(details) == [dict(code="1003", message="old agent", possible_causes="c",
                                                     recommended_action="a")]
    assert CLASSIC.moved_to(details) is None          # no target item yet: not moved
    details["switchProviderDetails"]["targetResourceId"] = "/v2/item"
    assert CLASSIC.moved_to(details)["item_id"] == "/v2/item"
    assert CLASSIC.scenario_action("SwitchProvider") == "switch_provider"
    assert CLASSIC.scenario_action("TestFailover") == "test_failover"
