"""The classic estate (configuration server, InMageAzureV2) and switchProvider, through the real SDK.

Seeded with `POST /_lab/classic/seed` into a vault of its own; moved into the session's modernized vault
(drlab-asr/drlab-vault, its appliance) - see lab/drlab/azure/providers/siterecovery/classic.py.
"""
import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.recoveryservicessiterecovery import models as M

from drlab.testing.fidelity import assert_fits

pytestmark = pytest.mark.usefixtures("asr_manual_clock")

CLASSIC_VAULT = "drlab-classic-vault"


@pytest.fixture(scope="module")
def classic(asr_lab):
    for name in ("clt-web-01", "clt-db-01", "clt-old-01"):
        asr_lab.create_vm(name, disk_gb=8)
    vault_id = asr_lab.vault_id.rsplit("/", 1)[0] + "/" + CLASSIC_VAULT
    out = asr_lab.sim.admin.call("POST", "classic/seed", {
        "vault_id": vault_id, "location": asr_lab.location, "configuration_server": "cs-lab-01",
        "process_servers": ["cs-lab-01", "ps-scale-01"],
        "target_resource_group_id": asr_lab.target_rg_id, "target_network_id": asr_lab.recovery_vnet_id,
        "log_storage_account_id": asr_lab.storage_account_id,
        "vms": [{"name": "clt-web-01"}, {"name": "clt-db-01", "health": "Warning"},
                {"name": "clt-old-01", "blocking_errors": [{
                    "code": "1003", "message": "The Mobility service agent is not on version 9.50 or later.",
                    "possible_causes": "The agent was not upgraded.",
                    "recommended_action": "Upgrade the Mobility service agent."}]}]})
    return out


def _body(asr_lab, appliance_id=None):
    return {"properties": {"targetInstanceType": "InMageRcm", "providerSpecificDetails": {
        "instanceType": "InMageAzureV2", "targetVaultID": asr_lab.vault_id, "targetFabricID": asr_lab.fabric_id,
        "targetApplianceID": appliance_id or asr_lab.process_server_id}}}


def _path(item_id):
    parts = item_id.split("/")
    return parts[-5], parts[-3], parts[-1]


def test_the_classic_vault_has_a_configuration_server_its_vcenter_policy_and_items(asr_lab, classic):
    rg = asr_lab.rg
    fabrics = list(asr_lab.asr.replication_fabrics.list(rg, CLASSIC_VAULT))
    assert [f.properties.custom_details.instance_type for f in fabrics] == ["VMware"]     # no appliance registered
    cs = asr_lab.asr.replication_fabrics.get(rg, CLASSIC_VAULT, fabrics[0].name).properties
    assert cs.friendly_name == "cs-lab-01" and len(fabrics[0].name) == 64
    details = cs.custom_details
    assert details.host_name == "cs-lab-01"
    assert [p.friendly_name for p in details.process_servers] == ["cs-lab-01", "ps-scale-01"]
    assert details.master_target_servers[0].name == "cs-lab-01"
    assert [a.account_name for a in details.run_as_accounts] == ["vCenter_account", "push_install_account"]
    vcenters = list(asr_lab.asr.replicationv_centers.list(rg, CLASSIC_VAULT))
    assert len(vcenters) == 1 and vcenters[0].properties.process_server_id == details.process_servers[0].id
    policy = list(asr_lab.asr.replication_policies.list(rg, CLASSIC_VAULT))[0]
    assert policy.properties.provider_specific_details.instance_type == "InMageAzureV2"
    mapping = list(asr_lab.asr.replication_protection_container_mappings.list(rg, CLASSIC_VAULT))[0]
    assert mapping.properties.target_protection_container_id == "Microsoft Azure"
    setting = list(asr_lab.asr.replication_vault_setting.list(rg, CLASSIC_VAULT))[0]
    assert setting.properties.vmware_to_azure_provider_type == "Vmware"
    listed = {i.properties.friendly_name: i for i in asr_lab.asr.replication_protected_items.list(rg, CLASSIC_VAULT)}
    assert set(listed) == {"clt-web-01", "clt-db-01", "clt-old-01"}
    web = listed["clt-web-01"].properties
    assert web.provider_specific_details.instance_type == "InMageAzureV2"
    assert web.protection_state == "Protected" and web.active_location == "Primary"
    assert web.provider_specific_details.process_server_id == details.process_servers[0].id
    assert web.replication_health == "Normal" and listed["clt-db-01"].properties.replication_health == "Warning"
    old = asr_lab.asr.replication_protected_items.get(rg, CLASSIC_VAULT, *_path(classic["items"]["clt-old-01"]))
    blocking = old.properties.provider_specific_details.switch_provider_blocking_error_details
    assert [b.error_code for b in blocking] == ["1003"]
    # every answer fits the SDK's models (VMwareDetails, InMageAzureV2ReplicationDetails, ...)
    base = classic["vault"]
    assert_fits(M.Fabric, asr_lab.arm("GET", classic["fabric"]).json())
    assert_fits(M.VCenter, asr_lab.arm("GET", base + "/replicationvCenters").json()["value"][0])
    assert_fits(M.ReplicationProtectedItem, asr_lab.arm("GET", classic["items"]["clt-old-01"]).json())
    assert_fits(M.Policy, asr_lab.arm("GET", classic["policy"]).json())


def test_switch_provider_refuses_blocking_errors_a_wrong_appliance_and_starts_no_job(asr_lab, classic):
    rg = asr_lab.rg
    before = len(list(asr_lab.asr.replication_jobs.list(rg, CLASSIC_VAULT)))
    with pytest.raises(HttpResponseError) as err:
        asr_lab.asr.replication_protected_items.begin_switch_provider(
            rg, CLASSIC_VAULT, *_path(classic["items"]["clt-old-01"]), _body(asr_lab))
    assert err.value.status_code == 400 and "1003" in str(err.value)
    with pytest.raises(HttpResponseError) as err:
        asr_lab.asr.replication_protected_items.begin_switch_provider(
            rg, CLASSIC_VAULT, *_path(classic["items"]["clt-web-01"]), _body(asr_lab, "not-an-appliance"))
    assert err.value.status_code == 400 and "targetApplianceID" in str(err.value)
    assert len(list(asr_lab.asr.replication_jobs.list(rg, CLASSIC_VAULT))) == before


def test_switch_provider_moves_the_item_into_the_modernized_vault(asr_lab, classic):
    rg = asr_lab.rg
    path = _path(classic["items"]["clt-web-01"])
    poller = asr_lab.asr.replication_protected_items.begin_switch_provider(rg, CLASSIC_VAULT, *path, _body(asr_lab))
    job_name = poller.polling_method()._initial_response.http_response.headers["Location"].split(
        "operationresults/")[1].split("?")[0]
    job = asr_lab.asr.replication_jobs.get(rg, CLASSIC_VAULT, job_name)
    assert job.properties.scenario_name == "SwitchProvider" and job.properties.state == "InProgress"
    item = asr_lab.asr.replication_protected_items.get(rg, CLASSIC_VAULT, *path).properties
    assert item.current_scenario.scenario_name == "SwitchProvider" and item.allowed_operations == []
    with pytest.raises(HttpResponseError) as err:            # one move at a time
        asr_lab.asr.replication_protected_items.begin_switch_provider(rg, CLASSIC_VAULT, *path, _body(asr_lab))
    assert err.value.status_code == 409
    for _round in range(40):
        asr_lab.advance(60)
        job = asr_lab.asr.replication_jobs.get(rg, CLASSIC_VAULT, job_name)
        if job.properties.state != "InProgress":
            break
    assert job.properties.state == "Succeeded"
    moved = asr_lab.asr.replication_protected_items.get(rg, CLASSIC_VAULT, *path).properties
    switched = moved.provider_specific_details.switch_provider_details
    assert switched.target_vault_id.lower() == asr_lab.vault_id.lower()
    new = asr_lab.asr.replication_protected_items.get(rg, asr_lab.vault, *_path(switched.target_resource_id))
    assert new.properties.friendly_name == "clt-web-01"
    assert new.properties.provider_specific_details.instance_type == "InMageRcm"
    assert new.properties.protection_state == "Protected"
    assert new.properties.provider_specific_details.process_server_id == asr_lab.process_server_id
    # [documented] the policy is copied into the modernized vault as "<policy> <vault>_<resource group>"
    assert new.properties.policy_friendly_name == "classic-24h-policy %s_%s" % (asr_lab.vault, asr_lab.rg)
    assert list(asr_lab.asr.recovery_points.list_by_replication_protected_items(
        rg, asr_lab.vault, *_path(switched.target_resource_id)))
    with pytest.raises(HttpResponseError) as err:            # moved once
        asr_lab.asr.replication_protected_items.begin_switch_provider(rg, CLASSIC_VAULT, *path, _body(asr_lab))
    assert err.value.status_code == 400 and "already moved" in str(err.value)
