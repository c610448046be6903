# -*- coding: utf-8 -*-
"""Appliance capacity and load (_asr/capacity.py), the agent upgrade and appliance switch decisions
(_asr/actions/maintenance.py) and the least loaded appliance when enabling (_asr/items.py): pure, facts in."""

from __future__ import annotations

import pytest

from ansible_collections.dr.asr.plugins.module_utils._errors import DrAsrError, InputError
from ansible_collections.dr.asr.plugins.module_utils._asr import capacity, items
from ansible_collections.dr.asr.plugins.module_utils._asr.actions import maintenance

FABRIC_ID = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.RecoveryServices/vaults/v/replicationFabrics/fab"
CONTAINER = FABRIC_ID + "/replicationProtectionContainers/cont"


def fabric(*servers):
    return {"id": FABRIC_ID, "name": "fab", "properties": {"customDetails": {"instanceType": "InMageRcm", "processServers": [
        dict(id=i, name=n, health=h, protectedItemCount=c) for n, i, h, c in servers]}}}


def item(name, ps="ps-1", ps_name="app-1", agent=None, blocking=None, provider="InMageRcm", location="Primary",
         allowed=("UnplannedFailover", "DisableProtection", "TestFailover")):
    d = {"instanceType": provider, "processServerId": ps, "processServerName": ps_name, "mobilityAgentDetails": agent or {},
         "agentUpgradeBlockingErrorDetails": blocking or []}
    return {"id": CONTAINER + "/replicationProtectedItems/" + name, "name": name, "properties": {
        "friendlyName": name, "protectionState": "Protected", "activeLocation": location,
        "allowedOperations": list(allowed), "providerSpecificDetails": d}}


AGENT_BEHIND = {"version": "9.60.0.1", "latestVersion": "9.66.7643.1", "isUpgradeable": "true",
                "latestUpgradableVersionWithoutReboot": "9.62.0.0", "reasonsBlockingUpgrade": []}
AGENT_CURRENT = {"version": "9.66.7643.1", "latestVersion": "9.66.7643.1", "isUpgradeable": "false",
                 "latestUpgradableVersionWithoutReboot": "9.66.7643.1", "reasonsBlockingUpgrade": ["AlreadyOnLatestVersion"]}


class FakeVault(object):
    name = "v"

    def __init__(self, fabrics, listed):
        self._fabrics, self._items = fabrics, listed

    def fabrics(self):
        return self._fabrics

    def protected_items(self):
        return self._items


class FakeRun(object):
    def __init__(self, vault, **params):
        self.vault = vault
        self.params = params


# -- capacity ---------------------------------------------------------------------------------------------------

def test_documented_limit_and_source():
    assert capacity.MAX_PROTECTED_MACHINES == 200
    assert capacity.SOURCE.startswith("https://learn.microsoft.com/") and "sizing-and-capacity" in capacity.SOURCE


def test_loads_take_the_larger_of_the_servers_count_and_the_items_naming_it():
    fab = fabric(("app-1", "PS-1", "Normal", 1), ("app-2", "ps-2", "Normal", 5))
    loads = capacity.loads(fab, [item("a"), item("b"), item("x"), item("c", ps="ps-2")])
    assert loads["ps-1"]["protected"] == 3          # three items name it, the server says 1
    assert loads["ps-2"]["protected"] == 5
    view = capacity.view(loads, limit=4)
    assert [(v["name"], v["over_capacity"]) for v in view] == [("app-1", False), ("app-2", True)]


def test_least_loaded_is_healthy_with_room_ties_by_name():
    fab = fabric(("b-app", "ps-b", "Normal", 3), ("a-app", "ps-a", "Normal", 3), ("c-app", "ps-c", "Critical", 0),
                 ("d-app", "ps-d", "Normal", 200))
    loads = capacity.loads(fab, [])
    assert capacity.least_loaded(loads)["name"] == "a-app"          # Critical c-app and full d-app are no targets
    assert capacity.least_loaded(loads, exclude=("ps-a",))["name"] == "b-app"
    assert capacity.least_loaded(loads, limit=3) is None


# -- the agent upgrade ----------------------------------------------------------------------------------------------

def test_agent_facts_reboot_and_versions():
    facts = maintenance.agent_facts(item("a", agent=AGENT_BEHIND))
    assert (facts["version"], facts["latest_version"], facts["upgradeable"], facts["reboot_required"]) == \
        ("9.60.0.1", "9.66.7643.1", True, True)
    no_reboot = dict(AGENT_BEHIND, latestUpgradableVersionWithoutReboot="9.66.7643.1")
    assert maintenance.agent_facts(item("a", agent=no_reboot))["reboot_required"] is False
    assert maintenance.agent_facts(item("a", agent={}))["reboot_required"] is None     # ASR does not say
    assert maintenance.version_key("9.66.7643.1") > maintenance.version_key("9.9.0.0")


def test_upgrade_decisions_from_what_asr_states():
    action = maintenance.UpgradeAgent({})
    behind, current = item("a", agent=AGENT_BEHIND), item("b", agent=AGENT_CURRENT)
    assert action.done(None, behind) is None and action.permitted(behind)
    assert "latest" in action.done(None, current)
    # a blocking error ASR gives with the recorded code counts as current, whatever the versions say
    recorded = item("c", agent=dict(AGENT_BEHIND, isUpgradeable="false"), blocking=[
        {"errorCode": "InMageRcmUpgradeBlockedAlreadyOnLatestVersion", "errorMessage": "on the latest"}])
    assert action.done(None, recorded)
    # blocked for another reason: refused with ASR's reasons, code and recommended action
    blocked = item("d", agent=dict(AGENT_BEHIND, isUpgradeable="false", reasonsBlockingUpgrade=["InstallerMissing"]),
                   blocking=[{"errorCode": "InMageRcmUpgradeBlockedAgentOffline", "errorMessage": "agent offline",
                              "recommendedAction": "Start the agent."}])
    assert action.done(None, blocked) is None and not action.permitted(blocked)
    err = action.refusal(blocked)
    assert err.code == "InMageRcmUpgradeBlockedAgentOffline" and "InstallerMissing" in str(err)
    assert err.recommended_action == "Start the agent."
    # not replicating to Azure from on-premises: no upgrade through ASR
    failed_over = item("e", agent=AGENT_BEHIND, location="Recovery", allowed=("Commit",))
    assert not action.permitted(failed_over)
    assert "reprotect" in action.refusal(failed_over).recommended_action


# -- the appliance switch ------------------------------------------------------------------------------------------

def _switch(params, fab, listed):
    run = FakeRun(FakeVault([fab], listed), **params)
    return maintenance.SwitchAppliance(params), run


def test_switch_to_a_named_appliance_is_idempotent():
    fab = fabric(("app-1", "ps-1", "Normal", 2), ("app-2", "ps-2", "Normal", 0))
    listed = [item("a"), item("b", ps="ps-2", ps_name="app-2")]
    action, run = _switch(dict(appliance="APP-2"), fab, listed)
    assert action.done(run, listed[0]) is None and action.choose(run, listed[0])["id"] == "ps-2"
    assert "already" in action.done(run, listed[1])
    target = type("T", (), {"extra": {}, "resource": listed[0]})()
    action.check(run, target)
    assert action.item_body(run, target) == {"properties": {"targetApplianceId": "ps-2",
                                                            "providerSpecificDetails": {"instanceType": "InMageRcm"}}}


def test_switch_to_an_unknown_or_unhealthy_appliance_is_refused():
    fab = fabric(("app-1", "ps-1", "Normal", 1), ("app-2", "ps-2", "Critical", 0))
    action, run = _switch(dict(appliance="nowhere"), fab, [item("a")])
    with pytest.raises(InputError) as err:
        action.done(run, item("a"))
    assert err.value.parameter == "appliance" and "app-1" in str(err.value)
    action, run = _switch(dict(appliance="app-2"), fab, [item("a")])
    with pytest.raises(InputError) as err:
        action.done(run, item("a"))
    assert "healthy" in str(err.value)


def test_balancing_moves_only_what_is_over_capacity_to_the_least_loaded():
    fab = fabric(("app-1", "ps-1", "Normal", 3), ("app-2", "ps-2", "Normal", 0), ("app-3", "ps-3", "Normal", 1))
    listed = [item("a"), item("b"), item("c"), item("d", ps="ps-3", ps_name="app-3")]
    action, run = _switch(dict(max_protected_items=2), fab, listed)
    moves = [action.choose(run, i) for i in listed]
    assert [m["name"] if m else None for m in moves] == ["app-2", None, None, None]
    assert "within its capacity" in action.done(run, listed[1])
    # nowhere to go: a refusal naming the capacity and where it is documented
    full = fabric(("app-1", "ps-1", "Normal", 3), ("app-2", "ps-2", "Normal", 2))
    action, run = _switch(dict(max_protected_items=2), full, [item("a")])
    with pytest.raises(DrAsrError) as err:
        action.choose(run, item("a"))
    assert err.value.code == "NoApplianceCapacity" and capacity.SOURCE in err.value.recommended_action


# -- enabling: the least loaded appliance ---------------------------------------------------------------------------

def test_enabling_spreads_over_the_appliances():
    fab = fabric(("app-1", "ps-1", "Normal", 1), ("app-2", "ps-2", "Normal", 0), ("app-3", "ps-3", "Critical", 0))
    batch = type("B", (), {})()
    batch.vault = FakeVault([fab], [item("old")])
    chosen = [items.Batch._least_loaded(batch, fab) for _vm in range(5)]
    assert chosen == ["ps-2", "ps-1", "ps-2", "ps-1", "ps-2"]
