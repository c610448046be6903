# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""dr.asr.protected_item in a vault that only has a configuration server (classic): refused with the reason and the
migration guide, before anything is written; dr.asr.switch_provider's input checks before any client is used."""

from __future__ import annotations

import pytest

from ansible_collections.dr.asr.plugins.module_utils._asr.providers import classic_item
from ansible_collections.dr.asr.plugins.modules import protected_item, switch_provider
from ansible_collections.dr.asr.tests.unit.asr_fake import FakeAsr, RG, V, VAULT, asr_id
from ansible_collections.dr.asr.tests.unit.plugins.modules.utils import (
    fail_module, patch_exit_json, set_module_args)


class ClassicOnly(FakeAsr):
    """A vault whose only fabric is a configuration server (VMwareDetails)."""

    def _fabrics(self, match, query, body):
        fabric = V + "/replicationFabrics/" + "ab" * 32
        return self._page([{"id": asr_id(fabric), "name": "ab" * 32, "properties": {
            "friendlyName": "cs-01", "customDetails": {"instanceType": "VMware", "hostName": "cs-01",
                                                       "processServers": [], "masterTargetServers": []}}}],
                          query, match.group(0))


def test_enabling_in_a_classic_vault_is_refused_with_the_reason_and_the_guide(monkeypatch):
    patch_exit_json(monkeypatch)
    fake = ClassicOnly(vms=["web-01"], appliance=False).patch(monkeypatch)
    with set_module_args(dict(vault_name=VAULT, vault_resource_group=RG, name="web-01", policy="pol-24h",
                              target_resource_group=RG, target_network="vnet-dr-recovery",
                              log_storage_account="stcache01", wait_sleep=0, wait_timeout=5)):
        failure = fail_module(protected_item.main)
    assert failure["error"]["code"] == "ClassicProtectionRetired"
    assert "no longer enables protection through a configuration server" in failure["msg"]
    assert classic_item.MIGRATION_DOC in failure["error"]["recommended_action"]
    assert not failure.get("changed") and not failure.get("writes")
    assert not [c for c in fake.calls if c.method in ("PUT", "PATCH", "POST", "DELETE")]


@pytest.mark.parametrize("args, parameter", [
    (dict(target_vault="rsv-new"), "items"),
    (dict(items=["web-01"]), "target_vault"),
])
def test_switch_provider_needs_its_items_and_target_vault(monkeypatch, args, parameter):
    patch_exit_json(monkeypatch)
    with set_module_args(dict(vault_name=VAULT, vault_resource_group=RG, **args)):
        failure = fail_module(switch_provider.main)
    assert parameter in failure["msg"]
