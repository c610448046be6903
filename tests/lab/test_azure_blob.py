"""Conformance of the lab's Blob service (drlab/azure/blob.py): the real azure-storage-blob SDK and azure-identity
against it unchanged (path-style account endpoint from the account's primaryEndpoints.blob, bearer tokens for
https://storage.azure.com/, SAS signed with the account's keys), and the REST shapes on the wire - Put Blob, Get
Blob (Properties), containers, lists - with Azure Storage's XML errors and authorization answers."""
import base64
import datetime
import hashlib
import uuid
from xml.etree import ElementTree

import pytest
import requests
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.mgmt.storage import StorageManagementClient

from azure.storage import blob as blob_sdk  # tests/requirements.txt (and the oldest-SDK lane) install it

LOCATION = "westeurope"
SCOPE = "https://storage.azure.com/.default"
VERSION = "2025-01-05"


def account_key(listed):
    """The first key of a listKeys answer (azure-mgmt-storage names the list keys_property; 21.x, the oldest-SDK
    lane's, keys)."""
    keys = getattr(listed, "keys_property", None)
    return (keys if keys is not None else listed.keys)[0].value


@pytest.fixture(scope="module")
def storage(azure_clients):
    return azure_clients(StorageManagementClient)


@pytest.fixture(scope="module")
def rg(resource_group):
    return resource_group("drlab-blob", LOCATION)


def _name():
    return "blob" + uuid.uuid4().hex[:12]


def _account(storage, rg, **props):
    body = {"location": LOCATION, "sku": {"name": "Standard_LRS"}, "kind": "StorageV2"}
    if props:
        body["properties"] = props
    return storage.storage_accounts.begin_create(rg, _name(), body).result()


@pytest.fixture(scope="module")
def account(storage, rg):
    return _account(storage, rg)


@pytest.fixture(scope="module")
def token(azure_sim):
    return azure_sim.credential.get_token(SCOPE).token


@pytest.fixture(scope="module")
def container(account, azure_sim):
    """A container of the module's account (created with the SDK), and its URL."""
    svc = blob_sdk.BlobServiceClient(account.primary_endpoints.blob, credential=azure_sim.credential,
                                     connection_verify=azure_sim.ca)
    name = "c" + uuid.uuid4().hex[:10]
    svc.create_container(name)
    return account.primary_endpoints.blob + name


def call(azure_sim, method, url, token=None, version=VERSION, headers=None, data=None, params=None):
    h = {}
    if version:
        h["x-ms-version"] = version
    if token:
        h["Authorization"] = "Bearer " + token
    h.update(headers or {})
    return requests.request(method, url, headers=h, data=data, params=params, verify=azure_sim.ca, timeout=30)


def error_of(resp):
    root = ElementTree.fromstring(resp.content)
    return {child.tag: child.text for child in root}


def md5(data):
    return base64.b64encode(hashlib.md5(data).digest()).decode()


# -- the endpoint ------------------------------------------------------------------------------------------------

def test_the_account_names_its_blob_service_path_style(account, azure_sim, storage, rg):
    assert account.primary_endpoints.blob == "%s/%s/" % (azure_sim.url, account.name)
    assert account.primary_endpoints.queue == "https://%s.queue.core.drlab.test/" % account.name
    again = storage.storage_accounts.get_properties(rg, account.name)
    assert again.primary_endpoints.blob == account.primary_endpoints.blob
    client = blob_sdk.BlobServiceClient(account.primary_endpoints.blob, credential=azure_sim.credential,
                                        connection_verify=azure_sim.ca)
    assert client.account_name == account.name     # the SDK reads the account from the path (an IP host)


@pytest.mark.parametrize("name", ["common", "subscriptions", "providers", "metadata", "msi", "tenants",
                                  "organizations"])
def test_names_of_the_simulators_own_paths_are_taken(storage, rg, name):
    assert storage.storage_accounts.check_name_availability({"name": name, "type": "Microsoft.Storage/storageAccounts"}
                                                            ).name_available is False
    if name == "providers":
        return          # ARM's routing reads '.../storageAccounts/providers' as a provider path: no account
    with pytest.raises(ResourceExistsError) as info:
        storage.storage_accounts.begin_create(rg, name, {"location": LOCATION, "sku": {"name": "Standard_LRS"},
                                                         "kind": "StorageV2"}).result()
    assert info.value.error.code == "StorageAccountAlreadyTaken"


# -- the real SDK ------------------------------------------------------------------------------------------------

def test_the_sdk_end_to_end(account, azure_sim):
    svc = blob_sdk.BlobServiceClient(account.primary_endpoints.blob, credential=azure_sim.credential,
                                     connection_verify=azure_sim.ca)
    name = "e2e-" + uuid.uuid4().hex[:8]
    c = svc.create_container(name, metadata={"purpose": "drill"})
    with pytest.raises(ResourceExistsError) as info:
        svc.create_container(name)
    assert info.value.error_code == "ContainerAlreadyExists"
    props = c.get_container_properties()
    assert props.metadata == {"purpose": "drill"} and props.etag.startswith('"0x') and props.lease.state == "available"
    data = b'{"result": "passed"}\n'
    c.upload_blob("reports/drill 1.json", data, metadata={"run": "1"},
                  content_settings=blob_sdk.ContentSettings(content_type="application/json"), validate_content=True)
    c.upload_blob("reports/drill 1.html", b"<html></html>")
    c.upload_blob("top.txt", b"x")
    with pytest.raises(ResourceExistsError) as info:
        c.upload_blob("top.txt", b"y")                            # overwrite=False: If-None-Match: *
    assert info.value.error_code == "BlobAlreadyExists"
    b = c.get_blob_client("reports/drill 1.json")
    p = b.get_blob_properties()
    assert p.size == len(data) and p.content_settings.content_type == "application/json"
    assert bytes(p.content_settings.content_md5) == hashlib.md5(data).digest()
    assert p.metadata == {"run": "1"} and p.blob_type == "BlockBlob" and p.blob_tier == "Hot"
    assert b.download_blob(validate_content=True).readall() == data
    assert b.download_blob(offset=2, length=6).readall() == data[2:8]
    assert sorted(x.name for x in c.list_blobs()) == ["reports/drill 1.html", "reports/drill 1.json", "top.txt"]
    listed = [x.name for x in c.list_blobs(name_starts_with="reports/")]
    assert listed == ["reports/drill 1.html", "reports/drill 1.json"]
    assert sorted(x.name for x in c.walk_blobs()) == ["reports/", "top.txt"]
    assert [x.name for x in c.list_blobs(results_per_page=1, name_starts_with="reports/")] == [
        "reports/drill 1.html", "reports/drill 1.json"]                # paged with NextMarker
    assert name in [x.name for x in svc.list_containers(name_starts_with="e2e-")]
    c.upload_blob("top.txt", b"", overwrite=True)
    assert c.download_blob("top.txt").readall() == b""               # empty blob: the SDK's 416, then a full GET
    assert b.exists() and not c.get_blob_client("nope").exists()
    b.delete_blob()
    with pytest.raises(ResourceNotFoundError) as info:
        b.get_blob_properties()
    assert info.value.error_code == "BlobNotFound"
    c.delete_container()
    with pytest.raises(ResourceNotFoundError) as info:
        c.upload_blob("x", b"x")
    assert info.value.error_code == "ContainerNotFound"


def test_a_sas_signed_with_the_account_key(account, azure_sim, storage, rg, container):
    key = account_key(storage.storage_accounts.list_keys(rg, account.name))
    name = container.rsplit("/", 1)[1]
    expiry = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
    sas = blob_sdk.generate_container_sas(account.name, name, account_key=key, expiry=expiry,
                                          permission=blob_sdk.ContainerSasPermissions(read=True, write=True,
                                                                                      create=True, list=True))
    c = blob_sdk.ContainerClient.from_container_url(container, credential=sas, connection_verify=azure_sim.ca)
    c.upload_blob("sas.txt", b"by sas", overwrite=True)
    assert c.download_blob("sas.txt").readall() == b"by sas" and "sas.txt" in [b.name for b in c.list_blobs()]

    read_only = blob_sdk.generate_container_sas(account.name, name, account_key=key, expiry=expiry,
                                                permission=blob_sdk.ContainerSasPermissions(read=True))
    ro = blob_sdk.ContainerClient.from_container_url(container, credential=read_only, connection_verify=azure_sim.ca)
    assert ro.download_blob("sas.txt").readall() == b"by sas"
    with pytest.raises(HttpResponseError) as info:
        ro.upload_blob("sas.txt", b"no", overwrite=True)
    assert info.value.status_code == 403 and info.value.error_code == "AuthorizationPermissionMismatch"

    one_blob = blob_sdk.generate_blob_sas(account.name, name, "sas.txt", account_key=key, expiry=expiry,
                                          permission=blob_sdk.BlobSasPermissions(read=True))
    assert blob_sdk.BlobClient.from_blob_url(container + "/sas.txt", credential=one_blob,
                                             connection_verify=azure_sim.ca).download_blob().readall() == b"by sas"
    other = blob_sdk.BlobClient.from_blob_url(container + "/other.txt", credential=one_blob,
                                              connection_verify=azure_sim.ca)
    with pytest.raises(ClientAuthenticationError) as info:
        other.download_blob()
    assert info.value.error_code == "AuthenticationFailed"
    assert "Signature did not match. String to sign used was r\n" in info.value.message

    expired = blob_sdk.generate_container_sas(account.name, name, account_key=key,
                                              expiry=datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(
                                                  minutes=5), permission=blob_sdk.ContainerSasPermissions(read=True))
    old = blob_sdk.ContainerClient.from_container_url(container, credential=expired, connection_verify=azure_sim.ca)
    with pytest.raises(ClientAuthenticationError) as info:
        old.download_blob("sas.txt")
    assert "Signature not valid in the specified time frame" in info.value.message

    account_sas = blob_sdk.generate_account_sas(account.name, key, blob_sdk.ResourceTypes(container=True, object=True),
                                                blob_sdk.AccountSasPermissions(read=True, write=True, create=True,
                                                                               list=True), expiry)
    svc = blob_sdk.BlobServiceClient(account.primary_endpoints.blob, credential=account_sas,
                                     connection_verify=azure_sim.ca)
    extra = "acct-" + uuid.uuid4().hex[:8]
    svc.create_container(extra).upload_blob("a.txt", b"a")
    objects_only = blob_sdk.generate_account_sas(account.name, key, blob_sdk.ResourceTypes(object=True),
                                                 blob_sdk.AccountSasPermissions(read=True, create=True), expiry)
    with pytest.raises(HttpResponseError) as info:
        blob_sdk.BlobServiceClient(account.primary_endpoints.blob, credential=objects_only,
                                   connection_verify=azure_sim.ca).create_container("no-" + uuid.uuid4().hex[:8])
    assert info.value.error_code == "AuthorizationResourceTypeMismatch"

    named_key = {"account_name": account.name, "account_key": key}
    shared_key = blob_sdk.ContainerClient.from_container_url(container, credential=named_key,
                                                             connection_verify=azure_sim.ca)
    with pytest.raises(ClientAuthenticationError) as info:
        shared_key.download_blob("sas.txt")
    assert info.value.error_code == "AuthenticationFailed" and "does not simulate Shared Key" in info.value.message


def test_no_key_based_access_when_the_account_forbids_it(storage, rg, azure_sim):
    acct = _account(storage, rg, allowSharedKeyAccess=False)
    key = account_key(storage.storage_accounts.list_keys(rg, acct.name))
    blob_sdk.BlobServiceClient(acct.primary_endpoints.blob, credential=azure_sim.credential,
                               connection_verify=azure_sim.ca).create_container("locked")
    sas = blob_sdk.generate_container_sas(acct.name, "locked", account_key=key,
                                          expiry=datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(
                                              hours=1), permission=blob_sdk.ContainerSasPermissions(read=True))
    resp = call(azure_sim, "GET", acct.primary_endpoints.blob + "locked/x?" + sas, version=None)
    assert resp.status_code == 403 and error_of(resp)["Code"] == "KeyBasedAuthenticationNotPermitted"


# -- the wire ----------------------------------------------------------------------------------------------------

def test_put_blob_and_its_properties_on_the_wire(azure_sim, container, token):
    data = b"<testsuites/>\n"
    url = container + "/wire/drill.xml"
    resp = call(azure_sim, "PUT", url, token, data=data, headers={
        "x-ms-blob-type": "BlockBlob", "Content-MD5": md5(data), "Content-Type": "application/octet-stream",
        "x-ms-blob-content-type": "application/xml", "x-ms-client-request-id": "my-request", "x-ms-meta-drill": "q4"})
    assert resp.status_code == 201 and resp.content == b""
    h = resp.headers
    assert h["ETag"].startswith('"0x') and h["Content-MD5"] == md5(data) and h["Last-Modified"].endswith(" GMT")
    assert h["x-ms-request-server-encrypted"] == "true" and h["x-ms-version"] == VERSION
    assert h["x-ms-client-request-id"] == "my-request" and uuid.UUID(h["x-ms-request-id"])
    assert h["Server"] == "Windows-Azure-Blob/1.0 Microsoft-HTTPAPI/2.0" and "x-ms-ratelimit-remaining" not in str(h)
    head = call(azure_sim, "HEAD", url, token)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["Content-Length"] == str(len(data)) and head.headers["Content-MD5"] == md5(data)
    assert head.headers["Content-Type"] == "application/xml" and head.headers["x-ms-blob-type"] == "BlockBlob"
    assert head.headers["ETag"] == h["ETag"] and head.headers["x-ms-meta-drill"] == "q4"
    assert head.headers["x-ms-access-tier"] == "Hot" and head.headers["x-ms-server-encrypted"] == "true"
    got = call(azure_sim, "GET", url, token)
    assert got.status_code == 200 and got.content == data and got.headers["Content-MD5"] == md5(data)
    part = call(azure_sim, "GET", url, token, headers={"x-ms-range": "bytes=1-4", "x-ms-range-get-content-md5": "true"})
    assert part.status_code == 206 and part.content == data[1:5]
    assert part.headers["Content-Range"] == "bytes 1-4/%d" % len(data) and part.headers["Content-MD5"] == md5(data[1:5])
    assert part.headers["x-ms-blob-content-md5"] == md5(data)
    beyond = call(azure_sim, "GET", url, token, headers={"x-ms-range": "bytes=100-"})
    assert beyond.status_code == 416 and error_of(beyond)["Code"] == "InvalidRange"
    assert beyond.headers["Content-Range"] == "bytes */%d" % len(data)
    same = call(azure_sim, "PUT", url, token, data=data, headers={"x-ms-blob-type": "BlockBlob"})
    assert same.status_code == 201 and same.headers["ETag"] != h["ETag"]      # every write: a new ETag
    plain = call(azure_sim, "HEAD", url, token)
    assert plain.headers["Content-Type"] == "application/octet-stream" and "x-ms-meta-drill" not in plain.headers
    assert plain.headers["Content-MD5"] == md5(data)                           # computed by the service


@pytest.mark.parametrize("headers,status,code,extra", [
    ({}, 400, "MissingRequiredHeader", {"HeaderName": "x-ms-blob-type"}),
    ({"x-ms-blob-type": "Folder"}, 400, "InvalidHeaderValue", {"HeaderName": "x-ms-blob-type"}),
    ({"x-ms-blob-type": "AppendBlob"}, 501, "NotImplemented", {}),
    ({"x-ms-blob-type": "BlockBlob", "Content-MD5": "bm90IGFuIG1kNQ=="}, 400, "InvalidMd5", {}),
    ({"x-ms-blob-type": "BlockBlob", "Content-MD5": base64.b64encode(b"0123456789abcdef").decode()}, 400,
     "Md5Mismatch", {"UserSpecifiedMd5": base64.b64encode(b"0123456789abcdef").decode(),
                     "ServerCalculatedMd5": md5(b"data")}),
    ({"x-ms-blob-type": "BlockBlob", "If-Match": '"0x1"'}, 412, "ConditionNotMet", {}),
])
def test_put_blob_refusals(azure_sim, container, token, headers, status, code, extra):
    resp = call(azure_sim, "PUT", container + "/refused.txt", token, data=b"data", headers=headers)
    err = error_of(resp)
    assert resp.status_code == status and err["Code"] == code and resp.headers["x-ms-error-code"] == code
    assert resp.headers["Content-Type"] == "application/xml"
    assert "\nRequestId:%s\nTime:" % resp.headers["x-ms-request-id"] in err["Message"]
    for element, value in extra.items():
        assert err[element] == value


def test_what_is_not_there(azure_sim, account, container, token):
    head = call(azure_sim, "HEAD", container + "/missing.json", token)
    assert head.status_code == 404 and head.headers["x-ms-error-code"] == "BlobNotFound" and head.content == b""
    nowhere = call(azure_sim, "PUT", account.primary_endpoints.blob + "no-such-container/x.json", token,
                   data=b"x", headers={"x-ms-blob-type": "BlockBlob"})
    assert nowhere.status_code == 404 and error_of(nowhere)["Code"] == "ContainerNotFound"
    assert error_of(nowhere)["Message"].startswith("The specified container does not exist.\nRequestId:")
    props = call(azure_sim, "GET", account.primary_endpoints.blob + "no-such-container", token,
                 params={"restype": "container"})
    assert props.status_code == 404 and props.headers["x-ms-error-code"] == "ContainerNotFound"
    bad = call(azure_sim, "PUT", account.primary_endpoints.blob + "Bad_Name", token, params={"restype": "container"})
    assert bad.status_code == 400 and error_of(bad)["Code"] == "InvalidResourceName"


# -- authorization -----------------------------------------------------------------------------------------------

def test_tokens_for_storage_and_for_arm_are_not_interchangeable(azure_sim, container, token):
    arm_token = azure_sim.credential.get_token("https://management.core.windows.net//.default").token
    resp = call(azure_sim, "HEAD", container + "/x", arm_token)
    assert resp.status_code == 401 and resp.headers["x-ms-error-code"] == "InvalidAuthenticationInfo"
    assert resp.headers["WWW-Authenticate"] == "Bearer authorization_uri=%s/%s/oauth2/authorize resource_id=%s" % (
        azure_sim.url, azure_sim.tenant_id, "https://storage.azure.com")
    get = call(azure_sim, "GET", container + "/x", arm_token)
    assert error_of(get)["AuthenticationErrorDetail"] == "Audience validation failed. Audience did not match."
    arm = requests.get("%s/subscriptions/%s/resourcegroups?api-version=2021-04-01" % (azure_sim.url,
                                                                                      azure_sim.subscription_id),
                       headers={"Authorization": "Bearer " + token}, verify=azure_sim.ca, timeout=30)
    assert arm.status_code == 401 and arm.json()["error"]["code"] == "InvalidAuthenticationTokenAudience"


def test_bearer_needs_a_version_that_knows_it(azure_sim, container, token):
    none = call(azure_sim, "GET", container + "/x", token, version=None)
    assert none.status_code == 403 and error_of(none)["Code"] == "AuthenticationFailed"
    assert error_of(none)["AuthenticationErrorDetail"] == "Authentication scheme Bearer is not supported in this version."
    old = call(azure_sim, "GET", container + "/x", token, version="2017-07-29")
    assert old.status_code == 403
    unknown = call(azure_sim, "GET", container + "/x", token, version="2099-01-01")
    assert unknown.status_code == 400 and error_of(unknown)["Code"] == "InvalidHeaderValue"
    assert error_of(unknown)["HeaderName"] == "x-ms-version" and error_of(unknown)["HeaderValue"] == "2099-01-01"


def test_expired_foreign_and_missing_tokens(azure_sim, account, container):
    expired = azure_sim.admin.token(lifetime_seconds=-60, audience="https://storage.azure.com/")
    resp = call(azure_sim, "GET", container + "/x", expired)
    assert resp.status_code == 401 and error_of(resp)["AuthenticationErrorDetail"] == \
        "Lifetime validation failed. The token is expired."
    foreign = azure_sim.admin.call("POST", "token", {"audience": "https://storage.azure.com/",
                                                     "tenant_id": str(uuid.uuid4())})["access_token"]
    resp = call(azure_sim, "GET", container + "/x", foreign)
    assert error_of(resp)["AuthenticationErrorDetail"] == "Issuer validation failed. Issuer did not match."
    forged = call(azure_sim, "GET", container + "/x", expired.rsplit(".", 1)[0] + ".AAAA")
    assert forged.status_code == 401 and error_of(forged)["Code"] == "InvalidAuthenticationInfo"
    anonymous = call(azure_sim, "GET", container + "/x", version=None)
    assert anonymous.status_code == 409 and error_of(anonymous)["Code"] == "PublicAccessNotPermitted"
    basic = call(azure_sim, "GET", container + "/x", headers={"Authorization": "Basic eDp5"})
    assert basic.status_code == 400 and error_of(basic)["Code"] == "InvalidAuthenticationInfo"


def test_the_data_role_decides(azure_sim, storage, rg, token):
    acct = _account(storage, rg)
    base = acct.primary_endpoints.blob
    assert call(azure_sim, "PUT", base + "roles", token, params={"restype": "container"}).status_code == 201
    assert call(azure_sim, "PUT", base + "roles/a.txt", token, data=b"a",
                headers={"x-ms-blob-type": "BlockBlob"}).status_code == 201
    azure_sim.admin.call("PUT", "storage/data-access", {"account": acct.name, "access": "read"})
    denied = call(azure_sim, "PUT", base + "roles/a.txt", token, data=b"b", headers={"x-ms-blob-type": "BlockBlob"})
    assert denied.status_code == 403 and error_of(denied)["Code"] == "AuthorizationPermissionMismatch"
    assert error_of(denied)["Message"].startswith("This request is not authorized to perform this operation using "
                                                  "this permission.")
    assert call(azure_sim, "GET", base + "roles/a.txt", token).content == b"a"
    azure_sim.admin.call("PUT", "storage/data-access", {"account": acct.name, "access": "none"})
    assert call(azure_sim, "HEAD", base + "roles/a.txt", token).headers["x-ms-error-code"] == \
        "AuthorizationPermissionMismatch"
    azure_sim.admin.call("PUT", "storage/data-access", {"account": acct.name, "access": "write"})
    assert call(azure_sim, "HEAD", base + "roles/a.txt", token).status_code == 200


def test_the_firewall_and_public_containers(azure_sim, storage, rg, token):
    acct = _account(storage, rg, allowBlobPublicAccess=True)
    base = acct.primary_endpoints.blob
    assert call(azure_sim, "PUT", base + "public", token, params={"restype": "container"},
                headers={"x-ms-blob-public-access": "blob"}).status_code == 201
    assert call(azure_sim, "PUT", base + "private", token, params={"restype": "container"}).status_code == 201
    for c in ("public", "private"):
        call(azure_sim, "PUT", base + c + "/a.txt", token, data=b"a", headers={"x-ms-blob-type": "BlockBlob"})
    assert call(azure_sim, "GET", base + "public/a.txt", version=None).content == b"a"
    assert call(azure_sim, "GET", base + "private/a.txt", version=None).status_code == 404
    write = call(azure_sim, "PUT", base + "public/b.txt", version=None, data=b"b", headers={"x-ms-blob-type": "BlockBlob"})
    assert write.status_code == 401 and error_of(write)["Code"] == "NoAuthenticationInformation"
    storage.storage_accounts.update(rg, acct.name, {"properties": {"networkAcls": {
        "defaultAction": "Deny", "ipRules": [{"value": "203.0.113.0/24", "action": "Allow"}]}}})
    fenced = call(azure_sim, "GET", base + "public/a.txt", token)
    assert fenced.status_code == 403 and error_of(fenced)["Code"] == "AuthorizationFailure"
    storage.storage_accounts.update(rg, acct.name, {"properties": {"networkAcls": {
        "defaultAction": "Deny", "ipRules": [{"value": "127.0.0.1", "action": "Allow"}]}}})
    assert call(azure_sim, "GET", base + "public/a.txt", token).status_code == 200


# -- the lab around it -------------------------------------------------------------------------------------------

def test_the_data_goes_with_the_account(azure_sim, storage, rg, token):
    acct = _account(storage, rg)
    base = acct.primary_endpoints.blob
    call(azure_sim, "PUT", base + "gone", token, params={"restype": "container"})
    storage.storage_accounts.delete(rg, acct.name)
    # a name no account has is not the Blob service's: ARM's routing answers it
    assert "x-ms-error-code" not in call(azure_sim, "GET", base + "gone", token, params={"restype": "container"}).headers
    storage.storage_accounts.begin_create(rg, acct.name, {"location": LOCATION, "sku": {"name": "Standard_LRS"},
                                                          "kind": "StorageV2"}).result()
    again = call(azure_sim, "GET", base + "gone", token, params={"restype": "container"})
    assert again.status_code == 404 and again.headers["x-ms-error-code"] == "ContainerNotFound"


def test_requests_are_logged_and_faults_answer_as_storage(azure_lab, container, token):
    sim = azure_lab
    client_id = str(uuid.uuid4())
    call(sim, "HEAD", container + "/logged.txt", token, headers={"x-ms-client-request-id": client_id})
    entry = sim.admin.requests(client_request_id=client_id)[0]
    assert entry["kind"] == "blob" and entry["resource_type"] == "blob/GetBlobProperties" and entry["status"] == 404
    sim.admin.call("PUT", "faults", {"rules": [{"match": {"kinds": ["blob"], "path_regex": "/flaky.txt"},
                                                "error_rate": 1.0, "error_statuses": [503], "count": 1}]})
    busy = call(sim, "PUT", container + "/flaky.txt", token, data=b"x", headers={"x-ms-blob-type": "BlockBlob"})
    assert busy.status_code == 503 and error_of(busy)["Code"] == "ServerBusy"
    assert call(sim, "PUT", container + "/flaky.txt", token, data=b"x",
                headers={"x-ms-blob-type": "BlockBlob"}).status_code == 201
