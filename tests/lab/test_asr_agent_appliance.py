"""The Mobility agent upgrade and the appliance switch of a protected item, through the real SDK against the lab
(session fixture `asr_lab`):

* the agent upgrade through ASR (`updateMobilityService`): an agent behind the appliance's version is upgradeable
  (mobilityAgentDetails isUpgradeable, latestVersion, latestUpgradableVersionWithoutReboot), the job upgrades it to
  the appliance's version, a second call is refused (already the latest), an unknown credential too;
* the appliance switch (`updateAppliance`, recorded: TestV2ARCMSwitchAppliance): the recorded request body
  (targetApplianceId = the process server id, providerSpecificDetails InMageRcm), the recorded job
  (UpdateApplianceForRPI with its two tasks), the item replicates through the other appliance afterwards with its
  state and allowedOperations unchanged; an unknown appliance and the same appliance again are refused, no job.
"""
import copy
import json

import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.recoveryservicessiterecovery import models as M

from drlab.azure.providers.siterecovery import vocabulary
from drlab.testing.fidelity import assert_fits

VM = "agtapp-01"
SECOND = "drlab-appliance-02"


class Item:
    def __init__(self, lab):
        self.lab = lab
        self.items = lab.asr.replication_protected_items

    def props(self):
        body = self.lab.arm("GET", "%s/replicationProtectedItems/%s" % (self.lab.container_id, VM)).json()
        assert_fits(M.ReplicationProtectedItem, body)
        return body["properties"]

    def start(self, method, body):
        return getattr(self.items, "begin_" + method)(self.lab.rg, self.lab.vault, self.lab.fabric,
                                                      self.lab.container, VM, body)

    def jobs(self, scenario):
        return [j for j in self.lab.asr.replication_jobs.list(self.lab.rg, self.lab.vault,
                                                              filter="targetObjectName eq '%s'" % VM)
                if j.properties.scenario_name == scenario]

    def refused(self, method, body):
        before = len(list(self.lab.asr.replication_jobs.list(self.lab.rg, self.lab.vault)))
        with pytest.raises(HttpResponseError) as err:
            self.start(method, body)
        assert len(list(self.lab.asr.replication_jobs.list(self.lab.rg, self.lab.vault))) == before
        detail = json.loads(err.value.response.text())["error"]["details"][0]
        return err.value.status_code, detail["code"], detail["message"]


OFFAZURE_API = "2023-06-06"


@pytest.fixture(scope="module")
def item(asr_lab, asr_manual_clock):
    """agtapp-01 protected in a vault of its own (the second appliance registered below must not show in the session
    vault other modules check)."""
    lab = copy.copy(asr_lab)
    lab.vault = "agtapp-vault"
    lab.vault_id = asr_lab.vault_id.rsplit("/", 1)[0] + "/" + lab.vault
    lab.rs.vaults.begin_create_or_update(lab.rg, lab.vault, {"location": lab.location, "sku": {"name": "RS0"}}).result()
    lab.advance(lab.sim.admin.config()["asr"]["appliance"]["register_delay_seconds"] + 60)
    fabric = list(lab.asr.replication_fabrics.list(lab.rg, lab.vault))[0]
    details = fabric.properties.custom_details
    lab.fabric, lab.fabric_id, lab.site_id = fabric.name, fabric.id, details.vmware_site_id
    lab.appliance, lab.process_server_id = details.process_servers[0].name, details.process_servers[0].id
    container = list(lab.asr.replication_protection_containers.list_by_replication_fabrics(
        lab.rg, lab.vault, lab.fabric))[0]
    lab.container, lab.container_id = container.name, container.id
    accounts = lab.arm("GET", lab.site_id + "/runasaccounts", api=OFFAZURE_API).json()["value"]
    lab.run_as = {a["properties"]["displayName"]: a["id"] for a in accounts}
    policy = lab.asr.replication_policies.begin_create(lab.rg, lab.vault, "agtapp-policy", {"properties": {
        "providerSpecificInput": {"instanceType": "InMageRcm", "recoveryPointHistoryInMinutes": 1440,
                                  "crashConsistentFrequencyInMinutes": 5, "appConsistentFrequencyInMinutes": 60}}})
    lab.advance(60)
    policy = policy.result()
    mapping = lab.asr.replication_protection_container_mappings.begin_create(
        lab.rg, lab.vault, lab.fabric, lab.container, "agtapp-mapping",
        {"properties": {"targetProtectionContainerId": "Microsoft Azure", "policyId": policy.id,
                        "providerSpecificInput": {"instanceType": "InMageRcm"}}})
    lab.advance(60)
    mapping.result()
    lab.create_vm(VM, disk_gb=10)
    lab.register_agent(VM)
    machine = lab.machine(VM)
    enable = lab.asr.replication_protected_items.begin_create(lab.rg, lab.vault, lab.fabric, lab.container, VM, {
        "properties": {"policyId": policy.id, "providerSpecificDetails": {
            "instanceType": "InMageRcm", "fabricDiscoveryMachineId": machine["id"],
            "processServerId": lab.process_server_id, "targetResourceGroupId": lab.target_rg_id,
            "targetNetworkId": lab.recovery_vnet_id, "targetSubnetName": "app", "targetVmName": VM + "-dr",
            "disksDefault": {"logStorageAccountId": lab.storage_account_id, "diskType": "Standard_LRS"}}}})
    lab.advance(300)
    enable.result()
    lab.advance(300 + 45 * 10 + 1800)
    out = Item(lab)
    out.machine = machine
    assert out.props()["protectionState"] == "Protected"
    return out


def test_agent_behind_is_upgraded_through_asr_with_the_reboot_requirement(item):
    lab = item.lab
    latest = item.props()["providerSpecificDetails"]["mobilityAgentDetails"]["latestVersion"]
    lab.sim.admin.call("POST", "appliance/agent_version", {
        "vault_id": lab.vault_id, "bios_id": item.machine["properties"]["biosGuid"], "version": "9.60.0.1",
        "without_reboot": "9.62.0.0"})
    agent = item.props()["providerSpecificDetails"]["mobilityAgentDetails"]
    assert (agent["version"], agent["latestVersion"], agent["isUpgradeable"]) == ("9.60.0.1", latest, "true")
    assert agent["latestUpgradableVersionWithoutReboot"] == "9.62.0.0"        # to the latest: a reboot
    status, code, message = item.refused("update_mobility_service", {"properties": {"runAsAccountId": "nobody"}})
    assert status == 400 and "run-as account" in message
    poller = item.start("update_mobility_service", {"properties": {"runAsAccountId": lab.run_as["linux-root"]}})
    lab.advance(400)
    assert isinstance(poller.result(), M.ReplicationProtectedItem)
    job = item.jobs(vocabulary.job("update_agent").scenario)[0]
    assert job.properties.state == "Succeeded"
    details = item.props()["providerSpecificDetails"]
    agent = details["mobilityAgentDetails"]
    assert (agent["version"], agent["isUpgradeable"], agent["latestUpgradableVersionWithoutReboot"]) == \
        (latest, "false", latest)
    assert (details["agentUpgradeAttemptToVersion"], details["isLastUpgradeSuccessful"]) == (latest, "true")
    status, code, message = item.refused("update_mobility_service", {"properties": {}})
    assert (status, code) == (400, "990003") and "latest" in message


def test_switch_appliance_as_recorded(item):
    lab = item.lab
    result = lab.sim.admin.call("POST", "appliance/register", {"vault_id": lab.vault_id, "name": SECOND})
    lab.advance(300)
    fabric = lab.asr.replication_fabrics.get(lab.rg, lab.vault, lab.fabric)
    servers = {p.name: p.id for p in fabric.properties.custom_details.process_servers}
    assert set(servers) >= {lab.appliance, SECOND}
    second = servers[SECOND]
    assert result["appliance"] is None or result["appliance"]["processServerId"] == second
    before = item.props()
    assert before["providerSpecificDetails"]["processServerId"] == lab.process_server_id
    # refused, no job: an appliance the vault does not have, the appliance it replicates through already
    status, code, message = item.refused("update_appliance", {"properties": {
        "targetApplianceId": "00000000-0000-0000-0000-000000000000",
        "providerSpecificDetails": {"instanceType": "InMageRcm"}}})
    assert status == 400 and "targetApplianceId" in message
    status, code, message = item.refused("update_appliance", {"properties": {
        "targetApplianceId": lab.process_server_id, "providerSpecificDetails": {"instanceType": "InMageRcm"}}})
    assert status == 400 and lab.appliance in message
    # the recorded body (TestV2ARCMSwitchAppliance#15)
    poller = item.start("update_appliance", {"properties": {
        "targetApplianceId": second, "providerSpecificDetails": {"instanceType": "InMageRcm"}}})
    job = item.jobs("UpdateApplianceForRPI")[0]
    raw = lab.arm("GET", job.id).json()["properties"]
    assert raw["state"] == "InProgress" and raw["friendlyName"] == "Update appliance for protected item"
    recorded = ["UpdateAppliancePreflightChecksTask", "UpdateApplianceForProtectedItemTask"]
    assert [t["name"] for t in raw["tasks"]] == recorded
    assert raw["customDetails"]["instanceType"] == "AsrJobDetails"
    lab.advance(600)
    poller.result()
    assert lab.asr.replication_jobs.get(lab.rg, lab.vault, job.name).properties.state == "Succeeded"
    after = item.props()
    d = after["providerSpecificDetails"]
    assert (d["processServerId"], d["processServerName"]) == (second, SECOND)
    assert after["recoveryServicesProviderId"] != before["recoveryServicesProviderId"]
    for key in ("protectionState", "activeLocation", "allowedOperations"):     # unchanged [recorded #12/#13]
        assert after[key] == before[key], key
    fabric = lab.asr.replication_fabrics.get(lab.rg, lab.vault, lab.fabric)
    counts = {p.name: p.protected_item_count for p in fabric.properties.custom_details.process_servers}
    assert counts[SECOND] >= 1
