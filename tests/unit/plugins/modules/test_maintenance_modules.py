# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""dr.asr.mobility_service_upgrade and dr.asr.switch_appliance end to end in-process, the real SDK clients talking to
the in-memory ARM (tests/unit/asr_fake.py, extended here with the two item actions and a second appliance): one POST
per item that needs it, check mode and reruns without writes, batches, refusals before any write."""

from __future__ import annotations

import pytest

from ansible_collections.dr.asr.plugins.modules import mobility_service_upgrade, switch_appliance
from ansible_collections.dr.asr.tests.unit import asr_fake
from ansible_collections.dr.asr.tests.unit.asr_fake import RG, VAULT, FakeAsr
from ansible_collections.dr.asr.tests.unit.plugins.modules.utils import (
    fail_module, patch_exit_json, run_module, set_module_args)

BASE = dict(vault_name=VAULT, vault_resource_group=RG, wait_sleep=0, wait_timeout=5)
LATEST = "9.66.7643.1"
BEHIND = {"version": "9.60.0.1", "latestVersion": LATEST, "isUpgradeable": "true",
          "latestUpgradableVersionWithoutReboot": "9.62.0.0", "reasonsBlockingUpgrade": []}
CURRENT = {"version": LATEST, "latestVersion": LATEST, "isUpgradeable": "false",
           "latestUpgradableVersionWithoutReboot": LATEST, "reasonsBlockingUpgrade": ["AlreadyOnLatestVersion"]}
SERVERS = [{"id": asr_fake.PROCESS_SERVER, "name": "appliance-01", "health": "Normal"},
           {"id": "ps-0002", "name": "appliance-02", "health": "Normal"}]


class DayTwoAsr(FakeAsr):
    """The fake with updateMobilityService and updateAppliance [lab: actions.py] and two appliances."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.running_at_post = []

    def routes(self):
        item = V_ITEM
        return [("POST", item + "/updateMobilityService", self._update_agent),
                ("POST", item + "/updateAppliance", self._update_appliance)] + super().routes()

    def _fabrics(self, match, query, body):
        status, out, headers = super()._fabrics(match, query, body)
        for fabric in out["value"]:
            fabric["properties"]["customDetails"]["processServers"] = [dict(s) for s in SERVERS]
        return status, out, headers

    def _running_jobs(self):
        return len([j for j in self.jobs.values() if j["properties"]["state"] in ("InProgress", "NotStarted")])

    def _update_agent(self, match, query, body):
        item = self._item_by_name(match.group("item"))
        self.bodies.append(("updatemobilityservice", item["properties"]["friendlyName"], body))
        self.running_at_post.append(self._running_jobs())
        details = item["properties"]["providerSpecificDetails"]

        def then():
            details["mobilityAgentDetails"] = dict(CURRENT)
        job = self.start_on(item, "UpdateMobilityService", then=then)
        return self._accepted(match.group(0).rsplit("/", 1)[0], job)

    def _update_appliance(self, match, query, body):
        item = self._item_by_name(match.group("item"))
        self.bodies.append(("updateappliance", item["properties"]["friendlyName"], body))
        details = item["properties"]["providerSpecificDetails"]
        server = next(s for s in SERVERS if s["id"] == body["properties"]["targetApplianceId"])

        def then():
            details.update(processServerId=server["id"], processServerName=server["name"])
        job = self.start_on(item, "UpdateApplianceForRPI", then=then)
        return self._accepted(match.group(0).rsplit("/", 1)[0], job)


V_ITEM = asr_fake.V + r"/replicationFabrics/[^/]+/replicationProtectionContainers/[^/]+/replicationProtectedItems/(?P<item>[^/]+)"


@pytest.fixture
def arm(monkeypatch):
    patch_exit_json(monkeypatch)

    def use(vms, agents=None, servers=None):
        fake = DayTwoAsr(protected=vms).patch(monkeypatch)
        for vm in vms:
            details = fake.item(vm)["properties"]["providerSpecificDetails"]
            details["mobilityAgentDetails"] = dict((agents or {}).get(vm, CURRENT))
            details.update(processServerId=(servers or {}).get(vm, asr_fake.PROCESS_SERVER),
                           processServerName="appliance-02" if (servers or {}).get(vm) == "ps-0002" else "appliance-01")
        return fake
    return use


def run(module, args, check_mode=False):
    with set_module_args(dict(BASE, **args), check_mode=check_mode):
        return run_module(module.main)


def fail(module, args, check_mode=False):
    with set_module_args(dict(BASE, **args), check_mode=check_mode):
        return fail_module(module.main)


def posts(fake, action):
    return [b for b in fake.bodies if b[0] == action]


def test_upgrade_check_apply_rerun(arm):
    fake = arm(["web-01", "web-02"], agents={"web-01": BEHIND})
    check = run(mobility_service_upgrade, dict(items=["web-01", "web-02"]), check_mode=True)
    assert check["changed"] and not posts(fake, "updatemobilityservice")
    web01, web02 = check["protected_items"]
    assert (web01["action"], web02["action"]) == ("start", "none")
    assert web01["agent_upgrade"] == {"from_version": "9.60.0.1", "to_version": LATEST, "reboot_required": True}
    assert web01["diff"] == {"before": dict(web01["diff"]["before"], agent_version="9.60.0.1"),
                             "after": dict(web01["diff"]["after"], agent_version=LATEST)}
    assert [d["before_header"] for d in check["diff"]] == ["web-01"]

    done = run(mobility_service_upgrade, dict(items=["web-01", "web-02"]))
    assert done["changed"]
    sent = posts(fake, "updatemobilityservice")
    assert [(s[1], s[2]) for s in sent] == [("web-01", {"properties": {"runAsAccountId": asr_fake.SITE + "/runasaccounts/r1"}})]
    assert done["protected_items"][0]["agent"]["version"] == LATEST
    assert done["protected_items"][0]["job"]["scenario"] == "UpdateMobilityService"

    again = run(mobility_service_upgrade, dict(items=["web-01", "web-02"]))
    assert not again["changed"] and len(posts(fake, "updatemobilityservice")) == 1


def test_upgrade_in_batches(arm):
    vms = ["web-%02d" % i for i in range(1, 6)]
    fake = arm(vms, agents=dict((vm, BEHIND) for vm in vms))
    fake.job_looks = 2
    result = run(mobility_service_upgrade, dict(items=vms, batch_size=2))
    assert result["changed"] and len(posts(fake, "updatemobilityservice")) == 5
    assert max(fake.running_at_post) <= 1        # at most 2 at a time: a POST sees at most one other running
    assert [r["agent"]["version"] for r in result["protected_items"]] == [LATEST] * 5


def test_upgrade_refused_with_asr_reasons_before_any_write(arm):
    blocked = dict(BEHIND, isUpgradeable="false", reasonsBlockingUpgrade=["AgentNotResponding"])
    fake = arm(["web-01", "web-02"], agents={"web-01": BEHIND, "web-02": blocked})
    fake.item("web-02")["properties"]["providerSpecificDetails"]["agentUpgradeBlockingErrorDetails"] = [{
        "errorCode": "InMageRcmUpgradeBlockedAgentHeartbeat", "errorMessage": "no heartbeat",
        "recommendedAction": "Check the agent."}]
    result = fail(mobility_service_upgrade, dict(items=["web-01", "web-02"]))
    assert "AgentNotResponding" in result["msg"] and not posts(fake, "updatemobilityservice")
    assert not result.get("changed")
    bad = fail(mobility_service_upgrade, dict(items=["web-01"], run_as_account="nobody"))
    assert bad["error"]["details"]["parameter"] == "run_as_account" and "linux-root" in bad["msg"]
    assert not posts(fake, "updatemobilityservice")


def test_switch_named_appliance_check_apply_rerun(arm):
    fake = arm(["web-01", "web-02"], servers={"web-02": "ps-0002"})
    check = run(switch_appliance, dict(items=["web-01", "web-02"], appliance="appliance-02"), check_mode=True)
    assert check["changed"] and not posts(fake, "updateappliance")
    assert [r["action"] for r in check["protected_items"]] == ["start", "none"]
    assert check["diff"][0]["after"]["appliance"] == "appliance-02"
    done = run(switch_appliance, dict(items=["web-01", "web-02"], appliance="appliance-02"))
    assert [s[2] for s in posts(fake, "updateappliance")] == [{"properties": {
        "targetApplianceId": "ps-0002", "providerSpecificDetails": {"instanceType": "InMageRcm"}}}]
    assert [r["appliance"] for r in done["protected_items"]] == ["appliance-02", "appliance-02"]
    again = run(switch_appliance, dict(items=["web-01", "web-02"], appliance="appliance-02"))
    assert not again["changed"] and len(posts(fake, "updateappliance")) == 1


def test_switch_balances_over_capacity_and_refuses_unknown(arm):
    fake = arm(["web-01", "web-02", "web-03"])
    result = run(switch_appliance, dict(items=["web-01", "web-02", "web-03"], max_protected_items=2))
    assert [r["action"] for r in result["protected_items"]] == ["start", "none", "none"]
    assert result["protected_items"][0]["appliance"] == "appliance-02"
    assert not run(switch_appliance, dict(items=["web-01", "web-02", "web-03"], max_protected_items=2))["changed"]
    bad = fail(switch_appliance, dict(items=["web-01"], appliance="nowhere"))
    assert bad["error"]["details"]["parameter"] == "appliance" and "appliance-02" in bad["msg"]
    assert len(posts(fake, "updateappliance")) == 1


@pytest.mark.parametrize("module,args,action", [
    (switch_appliance, dict(appliance="appliance-02"), "updateappliance"),
    (mobility_service_upgrade, dict(), "updatemobilityservice")])
def test_a_lost_answer_is_never_sent_again(arm, module, args, action):
    fake = arm(["web-01"], agents={"web-01": BEHIND})
    fake.lose_answers.add(action.replace("update", "update_", 1).replace("mobilityservice", "agent"))
    result = run(module, dict(args, items=["web-01"]))
    assert result["changed"] and len(posts(fake, action)) == 1
    assert "answer was lost" in result["protected_items"][0]["reason"]
