"""Conformance of the simulator's Microsoft.Resources provider through azure-mgmt-resource 26:
subscriptions, locations, resource providers, resource groups, generic resource lists and ids."""
import time
import uuid

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.core.rest import HttpRequest
from azure.mgmt.recoveryservices import RecoveryServicesClient
from azure.mgmt.resource.resources import ResourceManagementClient
from azure.mgmt.resource.resources import models as rm_models

from drlab.testing.fidelity import misfits

LOCATION = "westeurope"
VAULT_API = "2026-11-01"


def _name(prefix):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:8])


@pytest.fixture(scope="module")
def rm(azure_clients):
    return azure_clients(ResourceManagementClient)


@pytest.fixture(scope="module")
def rs(azure_clients):
    return azure_clients(RecoveryServicesClient)


def _get(rm, path):
    resp = rm.send_request(HttpRequest("GET", path))
    resp.raise_for_status()
    return resp.json()


def _vault(rs, rg, name, **extra):
    body = {"location": LOCATION, "sku": {"name": "RS0", "tier": "Standard"}}
    body.update(extra)
    return rs.vaults.begin_create_or_update(rg, name, body, polling_interval=1).result()


def test_subscriptions_tenants_and_locations(azure_sim, rm):
    subs = _get(rm, "/subscriptions?api-version=2022-12-01")["value"]
    assert [s["subscriptionId"] for s in subs] == [azure_sim.subscription_id]
    sub = _get(rm, "/subscriptions/%s?api-version=2022-12-01" % azure_sim.subscription_id)
    assert sub["id"] == "/subscriptions/" + azure_sim.subscription_id
    assert sub["tenantId"] == azure_sim.tenant_id and sub["state"] == "Enabled"
    tenants = _get(rm, "/tenants?api-version=2022-12-01")["value"]
    assert tenants[0]["tenantId"] == azure_sim.tenant_id
    locations = _get(rm, "/subscriptions/%s/locations?api-version=2022-12-01" % azure_sim.subscription_id)["value"]
    by_name = {loc["name"]: loc for loc in locations}
    assert {"westeurope", "northeurope", "eastus"} <= set(by_name)
    we = by_name["westeurope"]
    assert we["displayName"] == "West Europe" and we["type"] == "Region"
    assert we["metadata"]["pairedRegion"][0]["name"] == "northeurope"


def test_every_provider_is_registered(azure_sim, rm):
    providers = {p.namespace: p for p in rm.providers.list()}
    for ns in ("Microsoft.RecoveryServices", "Microsoft.Resources", "Microsoft.Compute", "Microsoft.Network",
               "Microsoft.Storage", "Microsoft.OffAzure"):
        assert providers[ns].registration_state == "Registered", ns
    rsp = rm.providers.get("microsoft.recoveryservices")
    assert rsp.namespace == "Microsoft.RecoveryServices"
    vaults = [t for t in rsp.resource_types if t.resource_type == "vaults"][0]
    assert "West Europe" in vaults.locations and vaults.api_versions
    assert rm.providers.register("Microsoft.RecoveryServices").registration_state == "Registered"
    assert rm.providers.get("Microsoft.Whatever").registration_state == "Registered"
    assert "Microsoft.RecoveryServices" in [p.namespace for p in rm.providers.list_at_tenant_scope()]


def test_resource_group_lifecycle(azure_sim, rm):
    name = _name("rg-life")
    statuses = []

    def status(pipeline_response, deserialized, headers):
        statuses.append(pipeline_response.http_response.status_code)
        return deserialized

    rg = rm.resource_groups.create_or_update(name, {"location": "West Europe", "tags": {"env": "lab"}}, cls=status)
    rm.resource_groups.create_or_update(name, {"location": LOCATION, "tags": {"env": "lab"}}, cls=status)
    assert statuses == [201, 200]
    assert rg.id == "/subscriptions/%s/resourceGroups/%s" % (azure_sim.subscription_id, name)
    assert rg.type == "Microsoft.Resources/resourceGroups" and rg.location == LOCATION
    assert rg.properties.provisioning_state == "Succeeded" and rg.tags == {"env": "lab"}
    raw = rm.send_request(HttpRequest("GET", "/subscriptions/%s/resourcegroups/%s?api-version=2025-04-01"
                                      % (azure_sim.subscription_id, name))).json()
    assert misfits(rm_models.ResourceGroup, raw) == []
    assert rm.resource_groups.check_existence(name) is True
    assert rm.resource_groups.check_existence(_name("nope")) is False
    updated = rm.resource_groups.update(name, {"tags": {"env": "prod", "owner": "dr"}})
    assert updated.tags == {"env": "prod", "owner": "dr"}
    assert rm.resource_groups.get(name).tags == {"env": "prod", "owner": "dr"}
    assert name in [g.name for g in rm.resource_groups.list(filter="tagName eq 'owner' and tagValue eq 'dr'")]
    assert name not in [g.name for g in rm.resource_groups.list(filter="tagName eq 'owner' and tagValue eq 'x'")]
    rm.resource_groups.begin_delete(name).result()
    assert rm.resource_groups.check_existence(name) is False
    with pytest.raises(ResourceNotFoundError) as e:
        rm.resource_groups.get(name)
    assert e.value.error.code == "ResourceGroupNotFound"
    with pytest.raises(ResourceNotFoundError):
        rm.resource_groups.begin_delete(name).result()


def test_resource_group_validation(azure_sim, rm):
    name = _name("rg-val")
    rm.resource_groups.create_or_update(name, {"location": LOCATION})
    with pytest.raises(HttpResponseError) as e:
        rm.resource_groups.create_or_update(name, {"location": "eastus"})
    assert e.value.status_code == 409 and e.value.error.code == "InvalidResourceGroupLocation"
    with pytest.raises(HttpResponseError) as e:
        rm.resource_groups.create_or_update(_name("rg-val"), {"location": "atlantis"})
    assert e.value.status_code == 400 and e.value.error.code == "LocationNotAvailableForResourceType"
    with pytest.raises(HttpResponseError) as e:
        rm.resource_groups.create_or_update(_name("rg-val"), {"tags": {}})
    assert e.value.error.code == "LocationRequired"
    with pytest.raises(HttpResponseError) as e:
        rm.resource_groups.create_or_update("bad-name.", {"location": LOCATION})
    assert e.value.status_code == 400 and e.value.error.code == "InvalidResourceGroup"


def test_deleting_a_group_deletes_its_resources(azure_sim, rm, rs):
    name = _name("rg-cascade")
    rm.resource_groups.create_or_update(name, {"location": LOCATION})
    _vault(rs, name, "v-cascade")
    rm.resource_groups.begin_delete(name).result()
    assert not rm.resource_groups.check_existence(name)
    assert azure_sim.admin.resources(prefix="/subscriptions/%s/resourcegroups/%s" % (azure_sim.subscription_id,
                                                                                     name.lower())) == []
    with pytest.raises(ResourceNotFoundError) as e:
        rs.vaults.get(name, "v-cascade")
    assert e.value.error.code == "ResourceGroupNotFound"


def test_resource_in_a_missing_group(azure_sim, rs):
    with pytest.raises(ResourceNotFoundError) as e:
        _vault(rs, _name("rg-none"), "v1")
    assert e.value.error.code == "ResourceGroupNotFound"


@pytest.fixture
def no_appliance(azure_sim):
    """New vaults get no appliance: otherwise the lab's registers by itself once lab time gets there (the background
    advancer may reach it while the test runs on a loaded machine) and its VMware site joins the resource group."""
    azure_sim.admin.patch_config(asr={"appliance": {"auto_register": False}})
    yield
    azure_sim.admin.patch_config(asr={"appliance": {"auto_register": True}})


@pytest.mark.usefixtures("no_appliance")
def test_generic_resource_lists_and_filters(azure_sim, rm, rs):
    name = _name("rg-generic")
    rm.resource_groups.create_or_update(name, {"location": LOCATION})
    _vault(rs, name, "va", tags={"role": "dr"})
    _vault(rs, name, "vb")
    in_rg = list(rm.resources.list_by_resource_group(name))
    assert sorted(r.name for r in in_rg) == ["va", "vb"]
    assert {r.type for r in in_rg} == {"Microsoft.RecoveryServices/vaults"}
    assert in_rg[0].location == LOCATION and in_rg[0].sku.name == "RS0"
    mine = [r for r in rm.resources.list(filter="resourceType eq 'Microsoft.RecoveryServices/vaults'")
            if r.id.lower().startswith(("/subscriptions/%s/resourcegroups/%s/" % (azure_sim.subscription_id,
                                                                                  name)).lower())]
    assert len(mine) == 2
    assert [r.name for r in rm.resources.list_by_resource_group(name, filter="tagName eq 'role'")] == ["va"]
    assert [r.name for r in rm.resources.list_by_resource_group(name, filter="name eq 'vb'")] == ["vb"]
    assert [r.name for r in rm.resources.list_by_resource_group(name, filter="substringof('b', name)")] == ["vb"]
    expanded = list(rm.resources.list_by_resource_group(name, expand="createdTime,changedTime,provisioningState"))
    assert all(r.created_time and r.changed_time and r.provisioning_state == "Succeeded" for r in expanded)
    assert list(rm.resources.list_by_resource_group(name, filter="resourceType eq 'Microsoft.Compute/disks'")) == []
    with pytest.raises(HttpResponseError) as e:
        list(rm.resources.list_by_resource_group(name, filter="kind gt 3"))
    assert e.value.status_code == 400
    with pytest.raises(ResourceNotFoundError) as e:
        list(rm.resources.list_by_resource_group(_name("rg-none")))
    assert e.value.error.code == "ResourceGroupNotFound"


def test_generic_resource_by_id(azure_sim, rm, rs):
    name = _name("rg-byid")
    rm.resource_groups.create_or_update(name, {"location": LOCATION})
    vault = _vault(rs, name, "v-byid")
    generic = rm.resources.get_by_id(vault.id, api_version=VAULT_API)
    assert generic.id == vault.id and generic.properties["provisioningState"] == "Succeeded"
    assert rm.resources.check_existence_by_id(vault.id, api_version=VAULT_API) is True
    assert rm.resources.check_existence_by_id(vault.id + "x", api_version=VAULT_API) is False
    got = rm.resources.get(name, "Microsoft.RecoveryServices", "", "vaults", "v-byid", api_version=VAULT_API)
    assert got.name == "v-byid"
    azure_sim.admin.set_durations("Microsoft.RecoveryServices/vaults", delete=0)
    try:
        rm.resources.begin_delete_by_id(vault.id, api_version=VAULT_API).result()
    finally:
        azure_sim.admin.call("DELETE", "config")
    assert rm.resources.check_existence_by_id(vault.id, api_version=VAULT_API) is False


def test_group_delete_is_a_location_lro(azure_lab, rm):
    sim = azure_lab
    name = _name("rg-lro")
    rm.resource_groups.create_or_update(name, {"location": LOCATION})
    since = time.time()
    rm.resource_groups.begin_delete(name).result()
    log = sim.admin.requests(since=since)
    delete = [e for e in log if e["method"] == "DELETE"][0]
    polls = [e for e in log if e["kind"] == "lro-result"]
    assert delete["status"] == 202
    assert polls and polls[-1]["status"] == 204 and all(p["status"] == 202 for p in polls[:-1])
