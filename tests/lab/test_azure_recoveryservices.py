"""Conformance of the simulator's Microsoft.RecoveryServices provider: vaults through
azure-mgmt-recoveryservices 4.3.0 and replicationVaultSettings through
azure-mgmt-recoveryservicessiterecovery 2.0.0 (real SDK clients, LROs polled as the SDK does)."""
import time
import uuid

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.core.rest import HttpRequest
from azure.mgmt.recoveryservices import RecoveryServicesClient
from azure.mgmt.recoveryservices import models as rs_models
from azure.mgmt.recoveryservicessiterecovery import SiteRecoveryManagementClient
from azure.mgmt.recoveryservicessiterecovery import models as asr_models

from drlab.testing.fidelity import misfits

LOCATION = "westeurope"
VAULT_TYPE = "Microsoft.RecoveryServices/vaults"


def _name(prefix):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:8])


@pytest.fixture(scope="module")
def rs(azure_clients):
    return azure_clients(RecoveryServicesClient)


@pytest.fixture(scope="module")
def asr(azure_clients):
    return azure_clients(SiteRecoveryManagementClient)


@pytest.fixture(scope="module")
def rg(resource_group):
    return resource_group(_name("rg-rsv"), LOCATION)


def _raw(client, path):
    resp = client.send_request(HttpRequest("GET", path))
    resp.raise_for_status()
    return resp.json()


def _vault_path(sim, rg, name):
    return "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.RecoveryServices/vaults/%s" % (
        sim.subscription_id, rg, name)


def test_vault_lifecycle(azure_sim, rs, rg):
    name = _name("rsv")
    since = time.time()
    poller = rs.vaults.begin_create_or_update(rg, name, {
        "location": LOCATION, "sku": {"name": "Standard"}, "tags": {"app": "dr"},
        "properties": {"publicNetworkAccess": "Enabled",
                       "redundancySettings": {"standardTierStorageRedundancy": "LocallyRedundant"}}})
    vault = poller.result()
    assert vault.id == _vault_path(azure_sim, rg, name) and vault.name == name and vault.type == VAULT_TYPE
    assert vault.location == LOCATION and vault.tags == {"app": "dr"}
    assert vault.sku.name == "Standard" and vault.sku.tier == "Standard"
    p = vault.properties
    assert p.provisioning_state == "Succeeded"
    assert p.private_endpoint_state_for_backup == "None" and p.private_endpoint_state_for_site_recovery == "None"
    assert p.public_network_access == "Enabled"
    assert p.redundancy_settings.standard_tier_storage_redundancy == "LocallyRedundant"
    assert p.redundancy_settings.cross_region_restore == "Disabled"
    assert p.security_settings.soft_delete_settings.soft_delete_state == "Enabled"
    assert p.monitoring_settings.azure_monitor_alert_settings.alerts_for_all_job_failures == "Enabled"
    assert vault.system_data.created_by == azure_sim.client_id and vault.etag
    # what the SDK saw on the wire: 201 + Azure-AsyncOperation under the vault, then polls, then a GET
    log = azure_sim.admin.requests(since=since, path_regex=name)
    assert [(e["method"], e["status"], e["kind"]) for e in log][0] == ("PUT", 201, "arm")
    assert [e["kind"] for e in log[1:]][-1] == "arm" and "lro-status" in [e["kind"] for e in log]
    assert all(e["path"].startswith(_vault_path(azure_sim, rg, name) + "/operationStatus/")
               for e in log if e["kind"] == "lro-status")
    # the payload fits the SDK model exactly
    assert misfits(rs_models.Vault, _raw(rs, _vault_path(azure_sim, rg, name) + "?api-version=2026-11-01")) == []

    got = rs.vaults.get(rg, name)
    assert got.properties.redundancy_settings.standard_tier_storage_redundancy == "LocallyRedundant"
    assert name in [v.name for v in rs.vaults.list_by_resource_group(rg)]
    assert name in [v.name for v in rs.vaults.list_by_subscription_id()]

    updated = rs.vaults.begin_update(rg, name, {"tags": {"app": "dr", "tier": "gold"},
                                                "properties": {"publicNetworkAccess": "Disabled"}}).result()
    assert updated.tags == {"app": "dr", "tier": "gold"}
    assert updated.properties.public_network_access == "Disabled"
    assert updated.properties.redundancy_settings.standard_tier_storage_redundancy == "LocallyRedundant"

    again = rs.vaults.begin_create_or_update(rg, name, {"location": LOCATION, "sku": {"name": "Standard"}}).result()
    assert again.properties.provisioning_state == "Succeeded"
    assert [e["status"] for e in azure_sim.admin.requests(since=since, path_regex=name, method="PUT")] == [201, 200]

    rs.vaults.begin_delete(rg, name).result()
    with pytest.raises(ResourceNotFoundError):
        rs.vaults.get(rg, name)
    rs.vaults.begin_delete(rg, name).result()          # deleting a missing vault: 204, no error


def test_vault_delete_answers_202_with_both_headers(azure_lab, rs, rg):
    sim = azure_lab
    name = _name("rsv-del")
    sim.admin.set_durations(VAULT_TYPE, put=0, delete=600)
    rs.vaults.begin_create_or_update(rg, name, {"location": LOCATION, "sku": {"name": "RS0"}}).result()
    poller = rs.vaults.begin_delete(rg, name)
    initial = poller.polling_method()._initial_response.http_response
    assert initial.status_code == 202
    vault_id = _vault_path(sim, rg, name)
    assert "/%s/operationResults/" % name in initial.headers["Location"]
    assert "/%s/operationStatus/" % name in initial.headers["Azure-AsyncOperation"]
    assert initial.headers["Retry-After"] == "1"
    assert rs.vaults.get(rg, name).properties.provisioning_state == "Deleting"
    sim.admin.advance(600)
    poller.result()
    assert not sim.admin.resources(prefix=vault_id.lower())


def test_vault_name_and_body_validation(azure_sim, rs, rg):
    for bad in ("1vault", "v", "a" * 51, "vault_underscore", "vault.dot"):
        with pytest.raises(HttpResponseError) as e:
            rs.vaults.begin_create_or_update(rg, bad, {"location": LOCATION, "sku": {"name": "RS0"}})
        assert e.value.status_code == 400, bad
        assert "2 - 50 characters long, start with a letter" in e.value.error.message
    ok = "v" + "a" * 49
    with pytest.raises(HttpResponseError) as e:
        rs.vaults.begin_create_or_update(rg, ok, {"sku": {"name": "RS0"}})
    assert e.value.status_code == 400 and e.value.error.code == "LocationRequired"
    with pytest.raises(HttpResponseError) as e:
        rs.vaults.begin_create_or_update(rg, ok, {"location": "moon", "sku": {"name": "RS0"}})
    assert e.value.error.code == "LocationNotAvailableForResourceType"
    with pytest.raises(HttpResponseError) as e:
        rs.vaults.begin_create_or_update(rg, ok, {"location": LOCATION, "sku": {"name": "Premium"}})
    assert e.value.status_code == 400 and "sku.name" in e.value.error.message
    with pytest.raises(HttpResponseError) as e:
        rs.vaults.begin_create_or_update(rg, ok, {"location": LOCATION, "sku": {"name": "RS0"},
                                                  "properties": {"publicNetworkAccess": "Sometimes"}})
    assert e.value.status_code == 400
    with pytest.raises(ResourceNotFoundError):
        rs.vaults.get(rg, ok)


def test_vault_identity_and_location_change(azure_lab, rs, rg):
    azure_lab.admin.set_durations(VAULT_TYPE, put=0, patch=0, delete=0)
    name = _name("rsv-id")
    vault = rs.vaults.begin_create_or_update(rg, name, {"location": LOCATION, "sku": {"name": "RS0"},
                                                        "identity": {"type": "SystemAssigned"}}).result()
    assert vault.identity.type == "SystemAssigned"
    assert uuid.UUID(vault.identity.principal_id) and vault.identity.tenant_id == azure_lab.tenant_id
    with pytest.raises(HttpResponseError) as e:
        rs.vaults.begin_create_or_update(rg, name, {"location": "northeurope", "sku": {"name": "RS0"}})
    assert e.value.error.code == "InvalidResourceLocation"
    gone = rs.vaults.begin_update(rg, name, {"identity": {"type": "None"}}).result()
    assert gone.identity is None


def test_check_name_availability(azure_lab, rs, rg):
    azure_lab.admin.set_durations(VAULT_TYPE, put=0)
    name = _name("rsv-cna")
    check = rs.recovery_services.check_name_availability
    assert check(rg, LOCATION, {"type": VAULT_TYPE, "name": name}).name_available is True
    rs.vaults.begin_create_or_update(rg, name, {"location": LOCATION, "sku": {"name": "RS0"}}).result()
    taken = check(rg, LOCATION, {"type": VAULT_TYPE, "name": name})
    assert taken.name_available is False and taken.reason == "AlreadyExists"
    invalid = check(rg, LOCATION, {"type": VAULT_TYPE, "name": "9nine"})
    assert invalid.name_available is False and invalid.reason == "Invalid"


def test_replication_vault_settings(azure_lab, rs, asr, rg):
    sim = azure_lab
    sim.admin.set_durations(VAULT_TYPE, put=0, delete=0)
    name = _name("rsv-set")
    rs.vaults.begin_create_or_update(rg, name, {"location": LOCATION, "sku": {"name": "RS0"}}).result()
    since = time.time()
    setting = asr.replication_vault_setting.begin_create(rg, name, "default", {
        "properties": {"vmwareToAzureProviderType": "Vmware"}}).result()
    put = sim.admin.requests(since=since, method="PUT", path_regex="replicationVaultSettings")
    assert [e["status"] for e in put] == [200]      # 200 even on create: the SDK accepts nothing else
    assert setting.name == "default"
    assert setting.type == "Microsoft.RecoveryServices/vaults/replicationVaultSettings"
    assert setting.id.startswith("/Subscriptions/%s/resourceGroups/%s/" % (sim.subscription_id, rg))
    assert setting.properties.vmware_to_azure_provider_type == "Vmware"
    got = asr.replication_vault_setting.get(rg, name, "default")
    assert got.properties.vmware_to_azure_provider_type == "Vmware"
    assert [s.name for s in asr.replication_vault_setting.list(rg, name)] == ["default"]
    raw = _raw(asr, _vault_path(sim, rg, name) + "/replicationVaultSettings/default?api-version=2025-08-01")
    assert misfits(asr_models.VaultSetting, raw) == []
    # updating keeps what is not sent
    asr.replication_vault_setting.begin_create(rg, name, "default", {
        "properties": {"migrationSolutionId": "/subscriptions/x/solutions/y"}}).result()
    props = asr.replication_vault_setting.get(rg, name, "default").properties
    assert props.vmware_to_azure_provider_type == "Vmware" and props.migration_solution_id.endswith("/y")
    # no vault, no settings
    with pytest.raises(ResourceNotFoundError) as e:
        asr.replication_vault_setting.begin_create(rg, _name("novault"), "default",
                                                   {"properties": {"vmwareToAzureProviderType": "Vmware"}})
    assert e.value.error.code == "ParentResourceNotFound"
    # deleting the vault deletes its settings
    rs.vaults.begin_delete(rg, name).result()
    with pytest.raises(ResourceNotFoundError) as e:
        asr.replication_vault_setting.get(rg, name, "default")
    assert e.value.error.code == "ParentResourceNotFound"
    assert sim.admin.resources(prefix=_vault_path(sim, rg, name).lower()) == []
