"""Conformance of the lab's Microsoft.Storage provider, through azure-mgmt-storage.

Storage accounts (the ASR cache and log accounts): create as a Location-polled operation, read,
list, update, keys, delete; name rules and lab-wide uniqueness; checkNameAvailability.
"""
import base64
import uuid

import pytest
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.mgmt.storage import StorageManagementClient

LOCATION = "westeurope"


@pytest.fixture(scope="module")
def storage(azure_clients):
    return azure_clients(StorageManagementClient)


@pytest.fixture(scope="module")
def rg(resource_group):
    return resource_group("drlab-storage", LOCATION)


@pytest.fixture(scope="module")
def other_rg(resource_group):
    return resource_group("drlab-storage-b", LOCATION)


def _account_name():
    return "drlab" + uuid.uuid4().hex[:12]


def _params(sku="Standard_LRS", kind="StorageV2", location=LOCATION, **extra):
    return dict({"location": location, "sku": {"name": sku}, "kind": kind}, **extra)


def test_account_lifecycle(storage, rg, azure_sim):
    name = _account_name()
    seen = []
    poller = storage.storage_accounts.begin_create(
        rg, name, _params(tags={"role": "asr-cache"}), raw_response_hook=lambda r: seen.append(r.http_response))
    account = poller.result()
    first = seen[0]
    assert first.request.method == "PUT" and first.status_code == 202
    assert "Location" in first.headers and "Azure-AsyncOperation" not in first.headers

    assert account.name == name and account.type == "Microsoft.Storage/storageAccounts"
    assert account.kind == "StorageV2" and account.sku.name == "Standard_LRS" and account.sku.tier == "Standard"
    assert account.tags == {"role": "asr-cache"}
    p = account.properties
    assert p.provisioning_state == "Succeeded"
    assert p.primary_location == LOCATION and p.status_of_primary == "available"
    assert p.primary_endpoints.blob == "%s/%s/" % (azure_sim.url, name)      # the lab's Blob service (blob.py)
    assert p.primary_endpoints.queue == "https://%s.queue.core.drlab.test/" % name
    assert "windows.net" not in p.primary_endpoints.blob
    assert p.access_tier == "Hot" and p.minimum_tls_version == "TLS1_2"
    assert p.enable_https_traffic_only is True
    assert p.creation_time is not None

    got = storage.storage_accounts.get_properties(rg, name)
    assert got.id == account.id
    assert name in [a.name for a in storage.storage_accounts.list_by_resource_group(rg)]
    assert name in [a.name for a in storage.storage_accounts.list()]

    updated = storage.storage_accounts.update(rg, name, {"tags": {"role": "asr-log"},
                                                         "sku": {"name": "Standard_GRS"}})
    assert updated.tags == {"role": "asr-log"} and updated.sku.name == "Standard_GRS"
    assert updated.properties.secondary_location == "northeurope"

    storage.storage_accounts.delete(rg, name)
    with pytest.raises(ResourceNotFoundError):
        storage.storage_accounts.get_properties(rg, name)
    storage.storage_accounts.delete(rg, name)   # deleting a missing account is a no-op (204)


def test_keys_are_lab_fakes(storage, rg):
    name = _account_name()
    storage.storage_accounts.begin_create(rg, name, _params(), polling=False)   # no need to wait for it here
    keys = storage.storage_accounts.list_keys(rg, name).keys_property
    assert [k.key_name for k in keys] == ["key1", "key2"]
    assert all(k.permissions == "FULL" for k in keys)
    assert all(len(base64.b64decode(k.value)) == 64 for k in keys)
    assert keys[0].value != keys[1].value
    assert storage.storage_accounts.list_keys(rg, name).keys_property[0].value == keys[0].value   # stable

    again = storage.storage_accounts.regenerate_key(rg, name, {"keyName": "key2"}).keys_property
    assert again[0].value == keys[0].value and again[1].value != keys[1].value
    storage.storage_accounts.delete(rg, name)


@pytest.mark.parametrize("bad", ["ab", "UpperCase1", "with-dash", "a" * 25, "under_score"])
def test_invalid_names(storage, rg, bad):
    result = storage.storage_accounts.check_name_availability(
        {"name": bad, "type": "Microsoft.Storage/storageAccounts"})
    assert result.name_available is False and result.reason == "AccountNameInvalid"
    with pytest.raises(HttpResponseError) as e:
        storage.storage_accounts.begin_create(rg, bad, _params()).result()
    assert e.value.status_code == 400 and e.value.error.code == "AccountNameInvalid"


def test_names_are_unique_in_the_lab(storage, rg, other_rg):
    name = _account_name()
    result = storage.storage_accounts.check_name_availability({"name": name, "type": "Microsoft.Storage/storageAccounts"})
    assert result.name_available is True and result.reason is None
    storage.storage_accounts.begin_create(rg, name, _params()).result()

    result = storage.storage_accounts.check_name_availability({"name": name, "type": "Microsoft.Storage/storageAccounts"})
    assert result.name_available is False and result.reason == "AlreadyExists" and name in result.message
    with pytest.raises(ResourceExistsError) as e:   # 409
        storage.storage_accounts.begin_create(other_rg, name, _params()).result()
    assert e.value.error.code == "StorageAccountAlreadyExists"

    # the same name in the same group is an update, not a conflict
    same = storage.storage_accounts.begin_create(rg, name, _params(tags={"again": "yes"})).result()
    assert same.tags == {"again": "yes"}
    storage.storage_accounts.delete(rg, name)
    assert storage.storage_accounts.check_name_availability(
        {"name": name, "type": "Microsoft.Storage/storageAccounts"}).name_available is True


def test_create_validation(storage, rg):
    with pytest.raises(HttpResponseError) as e:
        storage.storage_accounts.begin_create(rg, _account_name(), _params(sku="Standard_Nope")).result()
    assert e.value.status_code == 400
    with pytest.raises(HttpResponseError) as e:
        storage.storage_accounts.begin_create(rg, _account_name(), _params(location="atlantis")).result()
    assert e.value.error.code == "LocationNotAvailableForResourceType"
