"""ARM basics of the lab's Azure simulator, as a client the lab was not written for sees them:

* api-versions checked per resource type (drlab/azure/apiversions.py): InvalidApiVersionParameter
  for ARM's own types, NoRegisteredProviderFound for a provider's, every version the SDKs send
  accepted;
* the cloud metadata sends no client to a real Azure host (the storage suffix is the lab's);
* paging tokens anchored on the last item returned: stable while items come and go;
* tags as an extension resource on any scope (`{scope}/providers/Microsoft.Resources/tags/default`).

Through the real SDKs (azure-mgmt-resource, -recoveryservices, -storage) and plain HTTPS, TLS
verified with the lab CA.
"""
import ast
import glob
import os
import re
import uuid
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.recoveryservices import RecoveryServicesClient
from azure.mgmt.resource.resources import ResourceManagementClient
from azure.mgmt.storage import StorageManagementClient

from drlab.azure import apiversions, ids
from drlab.azure.engine import request_type
from drlab.azure.providers import load_modules
from drlab.azure.providers import storage as storage_provider
from drlab.azure.rp import ResourceType

LOCATION = "westeurope"
RG_API = "2025-04-01"
VAULT_API = "2026-11-01"
ASR_API = "2025-08-01"
SUB_API = "2022-12-01"


def _name(prefix):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:8])


def raw(sim, method, path, token=True, **kw):
    headers = dict(kw.pop("headers", None) or {})
    if token:
        headers["Authorization"] = "Bearer " + sim.credential.get_token(*sim.credential_scopes).token
    url = path if path.startswith("https://") else sim.url + path
    return requests.request(method, url, headers=headers, verify=sim.ca, timeout=30, **kw)


def rg_path(sim, rg):
    return "/subscriptions/%s/resourceGroups/%s" % (sim.subscription_id, rg)


@pytest.fixture(scope="module")
def rm(azure_clients):
    return azure_clients(ResourceManagementClient)


@pytest.fixture(scope="module")
def rs(azure_clients):
    return azure_clients(RecoveryServicesClient)


@pytest.fixture(scope="module")
def vault(rs, resource_group):
    rg = resource_group(_name("rg-basics"))
    v = rs.vaults.begin_create_or_update(rg, "vault-basics", {"location": LOCATION, "sku": {"name": "RS0"}}).result()
    return rg, v


# ---------------------------------------------------------------------------------------------
# api-version: the table


def _sample_path(pattern):
    """A concrete path for a ROUTES regex (named groups filled with sample values)."""
    path = re.sub(r"\(\?:/\(\?P<\w+>\[\^/\]\+\)\)\?", "", pattern)            # optional trailing name

    def fill(m):
        body = m.group(2)
        if "|" in body:
            return body.split("|")[0]
        return "replicationPolicies/p1" if body == ".+" else "x1"
    path = re.sub(r"\(\?P<(\w+)>((?:[^()]|\([^()]*\))*)\)", fill, path)
    path = path.replace("\\.", ".")
    assert not re.search(r"[\\()\[\]+*?|]", path), (pattern, path)
    return path


def test_the_table_covers_every_type_and_route_the_lab_serves():
    served = []
    for module in load_modules():
        classes = getattr(module, "RESOURCE_TYPES", None) or [
            o for o in vars(module).values() if isinstance(o, type) and issubclass(o, ResourceType)
            and o is not ResourceType and o.__module__ == module.__name__ and o.full_type]
        for cls in classes:
            served.append(("type", cls.full_type, cls.full_type))
        for method, pattern, _handler in [r[:3] for r in getattr(module, "ROUTES", None) or []]:
            path = _sample_path(pattern)
            served.append(("route %s" % method, path, request_type(ids.split_path(path))))
    assert len(served) > 40
    missing = [(what, where) for what, where, full_type in served if not apiversions.lookup(full_type)]
    assert missing == []
    # and what the lab answers for ARM itself
    for path in ("/subscriptions", "/subscriptions/s", "/tenants", "/providers", "/providers/Microsoft.Compute",
                 "/subscriptions/s/providers/Microsoft.Compute/register", "/subscriptions/s/locations",
                 "/subscriptions/s/resources", "/subscriptions/s/resourcegroups/rg/resources",
                 "/subscriptions/s/operationresults/abc", "/subscriptions/s/providers/Microsoft.Resources/tags/default"):
        registered, _versions = apiversions.lookup(request_type(ids.split_path(path)))
        assert registered.startswith("Microsoft.Resources/"), path
    for versions in set(apiversions.TYPES.values()):
        assert len(set(versions)) == len(versions)
        assert all(re.fullmatch(r"\d{4}-\d\d(-\d\d)?(-preview)?", v) for v in versions)


def _sdk_requests():
    """(package, url template, api-version) of every request builder of the installed azure-mgmt-* SDKs."""
    import azure.mgmt
    out = []
    for root in azure.mgmt.__path__:
        for f in glob.glob(os.path.join(root, "*", "**", "operations", "_operations.py"), recursive=True):
            if os.sep + "aio" + os.sep in f:
                continue
            with open(f, encoding="utf-8") as fh:
                text = fh.read()
            lines = text.splitlines()
            for fn in ast.parse(text).body:
                if not (isinstance(fn, ast.FunctionDef) and fn.name.startswith("build_")):
                    continue
                src = "\n".join(lines[fn.lineno - 1:fn.end_lineno])
                version = re.search(r'_params\.pop\("api-version", "([^"]+)"\)', src)
                url = re.search(r'_url = "([^"]+)"', src) or re.search(r'"template_url", "([^"]+)"', src)
                if version and url:
                    out.append((os.path.relpath(f, root).split(os.sep)[0], url.group(1), version.group(1)))
    return out


def test_every_version_the_pinned_sdks_send_is_accepted():
    checked = 0
    refused = []
    for package, template, version in _sdk_requests():
        path = re.sub(r"\{[^}]+\}", "x1", template)
        full_type = request_type(ids.split_path(path))
        if apiversions.lookup(full_type) is None:
            continue                          # a type the lab does not serve
        checked += 1
        if not apiversions.is_supported(full_type, version):
            refused.append((package, template, version))
    assert refused == []
    assert checked > 150


#: versions other clients send that must stay accepted (sources in apiversions.py's docstring)
MUST_ACCEPT = {
    # azure-cli's current profile (src/azure-cli-core/azure/cli/core/profiles/_shared.py, 'latest')
    "Microsoft.Compute/virtualMachines": ["2024-11-01"],
    "Microsoft.Compute/disks": ["2023-04-02", "2023-10-02"],
    "Microsoft.Compute/skus": ["2019-04-01"],
    "Microsoft.Resources/resourceGroups": ["2024-11-01", "2021-04-01"],
    "Microsoft.Resources/subscriptions": ["2022-12-01", "2019-11-01", "2016-06-01"],
    "Microsoft.Network/networkInterfaces": ["2022-01-01"],
    # azure.azcollection's SDK floors (azure-mgmt-compute 33.x, -network 28.x, -resource 23.2,
    # -recoveryservices 2.x/3.x, -recoveryservicessiterecovery 1.x/2.x, -storage 21.x): which version
    # each release line sends is read from their changelogs as far as known; the lists hold every
    # published version of those years anyway (our mapping, not verified release by release)
    "Microsoft.Compute/virtualMachines/instanceView": ["2024-03-01", "2024-07-01"],
    "Microsoft.Compute/disks/": ["2024-03-02"],
    "Microsoft.Compute/skus/": ["2021-07-01"],
    "Microsoft.Network/virtualNetworks": ["2024-03-01", "2024-05-01", "2024-07-01"],
    "Microsoft.Network/virtualNetworks/subnets": ["2024-03-01", "2024-05-01", "2024-07-01"],
    "Microsoft.Resources/resources": ["2024-03-01", "2024-07-01", "2022-09-01"],
    "Microsoft.Resources/tags": ["2024-03-01", "2024-07-01", "2025-04-01"],
    "Microsoft.RecoveryServices/vaults": ["2023-01-01", "2023-04-01", "2023-08-01", "2024-04-01", "2025-02-01",
                                          # recorded real traffic
                                          "2022-10-01", "2026-01-01"],
    "Microsoft.RecoveryServices/vaults/replicationFabrics": [
        "2023-01-01", "2023-02-01", "2023-08-01", "2024-04-01", "2025-08-01",
        # the brief's required versions and the recorded real traffic
        "2024-02-01", "2026-02-01", "2021-06-01", "2021-11-01"],
    "Microsoft.RecoveryServices/vaults/replicationJobs": ["2021-06-01", "2021-11-01", "2024-02-01", "2026-02-01"],
    "Microsoft.RecoveryServices/vaults/replicationProtectedItems": ["2024-02-01", "2025-08-01", "2026-02-01"],
    "Microsoft.Storage/storageAccounts": ["2023-01-01", "2023-05-01", "2024-01-01"],
    "Microsoft.OffAzure/VMwareSites/machines": ["2020-01-01", "2023-06-06"],
    "Microsoft.OffAzure/VMwareSites/runasaccounts": ["2020-01-01", "2023-06-06"],
}


def test_the_versions_other_clients_send_are_accepted():
    refused = [(t, v) for t, versions in MUST_ACCEPT.items() for v in versions
               if not apiversions.is_supported(t.rstrip("/"), v)]
    assert refused == []
    assert all(apiversions.lookup(t.rstrip("/")) for t in MUST_ACCEPT)


def test_the_provider_list_shows_the_table(rm, azure_sim):
    provider = rm.providers.get("Microsoft.RecoveryServices")
    types = {t.resource_type.lower(): t for t in provider.resource_types}
    assert types["vaults"].api_versions == list(apiversions.VAULTS)
    assert types["vaults/replicationfabrics"].api_versions == list(apiversions.SITE_RECOVERY)
    assert types["vaults"].default_api_version == "2026-11-01"
    body = raw(azure_sim, "GET", "/subscriptions/%s/providers/Microsoft.Resources?api-version=%s"
               % (azure_sim.subscription_id, RG_API)).json()
    tags_type = [t for t in body["resourceTypes"] if t["resourceType"] == "tags"]
    assert tags_type and tags_type[0]["apiVersions"] == list(apiversions.ARM_TAGS)


# ---------------------------------------------------------------------------------------------
# api-version: on the wire


def test_arm_types_answer_invalid_api_version_parameter(azure_sim, resource_group):
    rg = resource_group(_name("rg-apiv"))
    for path in (rg_path(azure_sim, rg), "/subscriptions/%s/resourcegroups" % azure_sim.subscription_id,
                 "/subscriptions/%s" % azure_sim.subscription_id, "/subscriptions/%s/locations" % azure_sim.subscription_id,
                 "/subscriptions/%s/resources" % azure_sim.subscription_id, "/tenants",
                 "/subscriptions/%s/providers/Microsoft.Compute" % azure_sim.subscription_id):
        r = raw(azure_sim, "GET", path + "?api-version=2099-01-01")
        assert r.status_code == 400, path
        assert r.json() == {"error": {"code": "InvalidApiVersionParameter", "message": (
            "The api-version '2099-01-01' is invalid. The supported versions are '%s'." % ",".join(apiversions.ARM))}}
        assert "2026-06-01,2025-04-01,2025-03-01,2024-10-01-preview,2024-11-01" in r.json()["error"]["message"]
    # tags at scope: only the versions since the API exists
    r = raw(azure_sim, "GET", rg_path(azure_sim, rg) + "/providers/Microsoft.Resources/tags/default?api-version=2018-05-01")
    assert r.status_code == 400 and r.json()["error"]["code"] == "InvalidApiVersionParameter"
    assert "'%s'" % ",".join(apiversions.ARM_TAGS) in r.json()["error"]["message"]
    logged = azure_sim.admin.requests(status=400, resource_type="Microsoft.Resources/tags")
    assert logged and logged[-1]["api_version"] == "2018-05-01"
    # a version ARM knows works, whatever the one the SDK would send
    assert raw(azure_sim, "GET", rg_path(azure_sim, rg) + "?api-version=2016-09-01").status_code == 200


def test_provider_types_answer_no_registered_provider_found(azure_sim, vault):
    rg, v = vault
    r = raw(azure_sim, "GET", v.id + "?api-version=2099-01-01")
    assert r.status_code == 400
    locations = ", ".join(raw(azure_sim, "GET", "/_lab/config", token=False).json()["locations"])
    assert r.json() == {"error": {"code": "NoRegisteredProviderFound", "message": (
        "No registered resource provider found for location 'westeurope' and API version '2099-01-01' for type "
        "'vaults'. The supported api-versions are '%s'. The supported locations are '%s'."
        % (", ".join(sorted(apiversions.VAULTS)), locations))}}
    assert r.json()["error"]["message"].index("2015-03-15") < r.json()["error"]["message"].index("2026-11-01")
    # a Site Recovery version is not a vault version, and the other way round
    r = raw(azure_sim, "GET", v.id + "?api-version=2016-08-10")
    assert r.status_code == 400 and r.json()["error"]["code"] == "NoRegisteredProviderFound"
    r = raw(azure_sim, "GET", v.id + "/replicationPolicies?api-version=" + VAULT_API)
    assert r.status_code == 400 and "for type 'vaults/replicationPolicies'" in r.json()["error"]["message"]
    assert raw(azure_sim, "GET", v.id + "/replicationPolicies?api-version=" + ASR_API).status_code == 200
    assert raw(azure_sim, "GET", v.id + "/replicationPolicies?api-version=2021-06-01").status_code == 200
    # a write names the location of its body; the type of a nested type and of a subscription-level route
    sub = "/subscriptions/%s" % azure_sim.subscription_id
    r = raw(azure_sim, "PUT", rg_path(azure_sim, rg) + "/providers/Microsoft.Network/virtualNetworks/vn1"
            "?api-version=2099-01-01", json={"location": "North Europe"})
    assert r.status_code == 400 and r.json()["error"]["message"].startswith(
        "No registered resource provider found for location 'northeurope' and API version '2099-01-01' for type "
        "'virtualNetworks'.")
    r = raw(azure_sim, "GET", sub + "/providers/Microsoft.Compute/locations/westeurope/vmSizes?api-version=2099-01-01")
    assert r.status_code == 400 and "location 'westeurope'" in r.json()["error"]["message"]
    assert "for type 'locations/vmSizes'" in r.json()["error"]["message"]
    r = raw(azure_sim, "POST", sub + "/providers/Microsoft.Storage/checkNameAvailability?api-version=2099-01-01",
            json={"name": "abc"})
    assert r.status_code == 400 and "for type 'checkNameAvailability'" in r.json()["error"]["message"]
    r = raw(azure_sim, "GET", rg_path(azure_sim, rg) + "/providers/Microsoft.OffAzure/VMwareSites/s1/machines"
            "?api-version=2099-01-01")
    assert r.status_code == 400 and "for type 'VMwareSites'" in r.json()["error"]["message"]


def test_the_sdk_sees_the_error_and_polling_keeps_working(azure_sim, resource_group, rs):
    rg = resource_group(_name("rg-apiv-sdk"))
    wrong = azure_sim.client(RecoveryServicesClient, api_version="2099-01-01")
    with pytest.raises(HttpResponseError) as e:
        wrong.vaults.get(rg, "nope")
    assert e.value.status_code == 400 and e.value.error.code == "NoRegisteredProviderFound"
    wrong_rm = azure_sim.client(ResourceManagementClient, api_version="2099-01-01")
    with pytest.raises(HttpResponseError) as e:
        wrong_rm.resource_groups.get(rg)
    assert e.value.error.code == "InvalidApiVersionParameter"
    # older clients: a vault created with 2022-10-01, its operation polled with that version
    old = azure_sim.client(RecoveryServicesClient, api_version="2022-10-01", polling_interval=0.2)
    v = old.vaults.begin_create_or_update(rg, "vault-old", {"location": LOCATION, "sku": {"name": "RS0"}}).result()
    assert v.properties.provisioning_state == "Succeeded"
    assert rs.vaults.get(rg, "vault-old").name == "vault-old"


def test_admin_identity_and_metadata_keep_their_own_handling(azure_sim):
    assert raw(azure_sim, "GET", "/_lab/health", token=False).status_code == 200
    assert raw(azure_sim, "GET", "/metadata/endpoints?api-version=2022-09-01", token=False).status_code == 200
    r = raw(azure_sim, "GET", "/%s/v2.0/.well-known/openid-configuration" % azure_sim.tenant_id, token=False)
    assert r.status_code == 200


# ---------------------------------------------------------------------------------------------
# cloud metadata


def _urls_and_suffixes(node, path=""):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _urls_and_suffixes(v, path + "/" + k)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _urls_and_suffixes(v, "%s[%d]" % (path, i))
    elif isinstance(node, str) and (node.startswith("http") or path.startswith("/suffixes/")):
        yield path, node


def test_metadata_sends_no_client_to_azure(azure_sim, resource_group, azure_clients):
    lab_host = urlparse(azure_sim.url).hostname
    doc = raw(azure_sim, "GET", "/metadata/endpoints?api-version=2022-09-01", token=False).json()[0]
    legacy = raw(azure_sim, "GET", "/metadata/endpoints?api-version=2015-01-01", token=False).json()
    seen = list(_urls_and_suffixes(doc)) + [("legacy" + p, v) for p, v in _urls_and_suffixes(legacy)]
    assert len(seen) > 25
    for path, value in seen:
        if path.endswith(("/authentication/audiences[0]", "/authentication/audiences[1]")):
            continue      # token audiences: identifiers the lab's token endpoint issues tokens for
        if path.startswith("/suffixes/") or path.startswith("legacy/suffixes/"):
            assert value.endswith(".drlab.test"), (path, value)
        else:
            host = urlparse(value).hostname
            assert host == lab_host or host.endswith(".drlab.test"), (path, value)
    # the shape azure-cli and azure-identity read
    for key in ("portal", "authentication", "graph", "graphAudience", "suffixes", "batch", "resourceManager",
                "vmImageAliasDoc", "sqlManagement", "gallery", "microsoftGraphResourceId", "name", "media",
                "activeDirectoryDataLake", "logAnalyticsResourceId"):
        assert key in doc
    assert doc["suffixes"]["storage"] == "core.drlab.test" == storage_provider.STORAGE_SUFFIX
    assert set(legacy) == {"galleryEndpoint", "graphEndpoint", "portalEndpoint", "authentication"}
    # a storage account answers with endpoints under that suffix - but its Blob service, which the lab serves
    # itself, path-style (drlab/azure/blob.py)
    rg = resource_group(_name("rg-meta"))
    storage = azure_clients(StorageManagementClient)
    name = "drlabmeta" + uuid.uuid4().hex[:10]
    account = storage.storage_accounts.begin_create(rg, name, {"location": LOCATION, "sku": {"name": "Standard_LRS"},
                                                               "kind": "StorageV2"}).result()
    endpoints = account.properties.primary_endpoints
    assert endpoints.blob == "%s/%s/" % (azure_sim.url, name) and urlparse(endpoints.blob).hostname == lab_host
    for url in (endpoints.file, endpoints.queue, endpoints.table, endpoints.dfs, endpoints.web):
        assert urlparse(url).hostname.endswith("." + doc["suffixes"]["storage"])


# ---------------------------------------------------------------------------------------------
# paging


def _query(url):
    return {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}


def test_paging_tokens_stay_stable_while_items_come_and_go(azure_sim_factory):
    sim = azure_sim_factory({"page_size": 3})
    rm = sim.client(ResourceManagementClient)
    original = ["pg-b%d" % i for i in range(7)]
    for name in original:
        rm.resource_groups.create_or_update(name, {"location": LOCATION})
    base = "/subscriptions/%s/resourcegroups?api-version=%s" % (sim.subscription_id, RG_API)
    first = raw(sim, "GET", base).json()
    assert [g["name"] for g in first["value"]] == ["pg-b0", "pg-b1", "pg-b2"]
    token = _query(first["nextLink"])["$skiptoken"]
    assert "pg-b2" not in token and "pg-" not in token           # opaque
    # new items before and after the anchor (pg-b2), between two pages
    for name in ("pg-a0", "pg-b25", "pg-c0"):
        rm.resource_groups.create_or_update(name, {"location": LOCATION})
    seen = [g["name"] for g in first["value"]]
    link = first["nextLink"]
    while link:
        page = raw(sim, "GET", link).json()
        seen += [g["name"] for g in page["value"]]
        link = page.get("nextLink")
    assert len(seen) == len(set(seen))                           # no duplicates
    assert set(original) <= set(seen)                            # nothing of the original list missing
    assert seen == ["pg-b0", "pg-b1", "pg-b2", "pg-b25", "pg-b3", "pg-b4", "pg-b5", "pg-b6", "pg-c0"]

    # the anchor itself deleted between two pages; the SDK following nextLink
    pages = rm.resource_groups.list().by_page()
    got = [g.name for g in next(pages)]
    assert got == ["pg-a0", "pg-b0", "pg-b1"]
    rm.resource_groups.begin_delete("pg-b1").result()
    rm.resource_groups.create_or_update("pg-a1", {"location": LOCATION})
    for page in pages:
        got += [g.name for g in page]
    assert got == ["pg-a0", "pg-b0", "pg-b1", "pg-b2", "pg-b25", "pg-b3", "pg-b4", "pg-b5", "pg-b6", "pg-c0"]

    # every list in a deterministic order: twice the same
    assert [g.name for g in rm.resource_groups.list()] == [g.name for g in rm.resource_groups.list()]
    rs = sim.client(RecoveryServicesClient)
    for name in ("v-c", "v-a", "v-b", "v-d"):
        rs.vaults.begin_create_or_update("pg-b3", name, {"location": LOCATION, "sku": {"name": "RS0"}}).result()
    # only the vaults are compared: a vault's appliance registers by itself once lab time gets there (a VMware site
    # of Microsoft.OffAzure joins the group, sorted by its id), which the simulator's background advancer may reach
    # while the test runs on a loaded machine

    def vaults(resources):
        return [r.name for r in resources if r.type == "Microsoft.RecoveryServices/vaults"]
    names = vaults(rm.resources.list())
    assert names == sorted(names, key=str.casefold) == vaults(rm.resources.list())
    pages = rm.resources.list_by_resource_group("pg-b3").by_page()
    got = vaults(next(pages))
    rs.vaults.begin_create_or_update("pg-b3", "v-0", {"location": LOCATION, "sku": {"name": "RS0"}}).result()
    rs.vaults.begin_create_or_update("pg-b3", "v-z", {"location": LOCATION, "sku": {"name": "RS0"}}).result()
    for page in pages:
        got += vaults(page)
    assert got == ["v-a", "v-b", "v-c", "v-d", "v-z"]


def test_top_and_invalid_skip_tokens(azure_sim_factory):
    sim = azure_sim_factory({"page_size": 10})
    rm = sim.client(ResourceManagementClient)
    for i in range(5):
        rm.resource_groups.create_or_update("top-%d" % i, {"location": LOCATION})
    base = "/subscriptions/%s/resourcegroups?api-version=%s" % (sim.subscription_id, RG_API)
    r = raw(sim, "GET", base + "&$top=2").json()
    assert [g["name"] for g in r["value"]] == ["top-0", "top-1"]
    assert _query(r["nextLink"])["$top"] == "2"
    r2 = raw(sim, "GET", r["nextLink"]).json()
    assert [g["name"] for g in r2["value"]] == ["top-2", "top-3"]
    assert [g.name for g in rm.resource_groups.list(top=2)] == ["top-%d" % i for i in range(5)]
    for token in ("garbage!!", "bm90IGpzb24", "eyJrIjogMX0"):     # not base64 JSON; not JSON; {"k": 1}
        r = raw(sim, "GET", base + "&$skiptoken=" + token)
        assert r.status_code == 400, token
        assert r.json()["error"] == {"code": "InvalidSkipToken",
                                     "message": "The provided skip token '%s' is not valid." % token}
    r = raw(sim, "GET", base + "&$top=x")
    assert r.status_code == 400 and r.json()["error"]["code"] == "InvalidTopParameter"


# ---------------------------------------------------------------------------------------------
# tags at scope


def test_tags_at_scope_on_a_resource_group(rm, resource_group, azure_sim):
    rg = resource_group(_name("rg-tags"), tags={"a": "1"})
    scope = rm.resource_groups.get(rg).id
    got = rm.tags.get_at_scope(scope)
    assert got.id == scope + "/providers/Microsoft.Resources/tags/default"
    assert got.name == "default" and got.type == "Microsoft.Resources/tags"
    assert got.properties.tags == {"a": "1"}

    done = rm.tags.begin_create_or_update_at_scope(scope, {"properties": {"tags": {"x": "1", "y": "2"}}}).result()
    assert done.properties.tags == {"x": "1", "y": "2"}
    assert rm.resource_groups.get(rg).tags == {"x": "1", "y": "2"}          # the group's own tags

    merged = rm.tags.begin_update_at_scope(scope, {"operation": "Merge",
                                                   "properties": {"tags": {"z": "3", "X": "9"}}}).result()
    assert merged.properties.tags == {"x": "9", "y": "2", "z": "3"}         # names are case-insensitive
    deleted = rm.tags.begin_update_at_scope(scope, {"operation": "Delete",
                                                    "properties": {"tags": {"y": "2", "z": "other"}}}).result()
    assert deleted.properties.tags == {"x": "9", "z": "3"}                  # z's value did not match
    replaced = rm.tags.begin_update_at_scope(scope, {"operation": "Replace",
                                                     "properties": {"tags": {"only": "one"}}}).result()
    assert replaced.properties.tags == {"only": "one"}
    assert rm.resource_groups.get(rg).tags == {"only": "one"}

    rm.tags.begin_delete_at_scope(scope).result()
    assert rm.tags.get_at_scope(scope).properties.tags == {}
    assert not rm.resource_groups.get(rg).tags
    log = azure_sim.admin.requests(resource_type="Microsoft.Resources/tags", method="DELETE")
    assert log and log[-1]["status"] == 200


def test_tags_at_scope_on_a_resource_and_the_subscription(rm, rs, vault, azure_sim):
    rg, v = vault
    rm.tags.begin_create_or_update_at_scope(v.id, {"properties": {"tags": {"owner": "drlab"}}}).result()
    assert rs.vaults.get(rg, v.name).tags == {"owner": "drlab"}
    assert rm.resources.get_by_id(v.id, api_version=VAULT_API).tags == {"owner": "drlab"}
    # the engine's id casing, whatever the request's
    shouted = rm.tags.get_at_scope(v.id.upper())
    assert shouted.id == v.id + "/providers/Microsoft.Resources/tags/default"
    rm.tags.begin_delete_at_scope(v.id).result()
    assert not rs.vaults.get(rg, v.name).tags

    sub = "/subscriptions/%s" % azure_sim.subscription_id
    try:
        rm.tags.begin_create_or_update_at_scope(sub, {"properties": {"tags": {"cost-center": "lab"}}}).result()
        assert rm.tags.get_at_scope(sub).properties.tags == {"cost-center": "lab"}
        body = raw(azure_sim, "GET", sub + "?api-version=" + SUB_API).json()
        assert body["tags"] == {"cost-center": "lab"}
    finally:
        rm.tags.begin_delete_at_scope(sub).result()
    assert "tags" not in raw(azure_sim, "GET", sub + "?api-version=" + SUB_API).json()


def test_tags_at_scope_limits_and_errors(rm, vault, resource_group, azure_sim):
    rg, v = vault
    with pytest.raises(HttpResponseError) as e:
        rm.tags.begin_create_or_update_at_scope(v.id, {"properties": {"tags": {"t%d" % i: "v" for i in range(51)}}})
    assert e.value.status_code == 400 and e.value.error.code == "InvalidTagCount"
    with pytest.raises(HttpResponseError) as e:
        rm.tags.begin_update_at_scope(v.id, {"operation": "Merge", "properties": {"tags": {"long": "v" * 257}}})
    assert e.value.error.code == "InvalidTagValueLength"
    existing = {"t%d" % i: "v" for i in range(50)}
    rm.tags.begin_create_or_update_at_scope(v.id, {"properties": {"tags": existing}}).result()
    with pytest.raises(HttpResponseError) as e:                  # a merge may not pass the limit either
        rm.tags.begin_update_at_scope(v.id, {"operation": "Merge", "properties": {"tags": {"one-more": "v"}}})
    assert e.value.error.code == "InvalidTagCount"
    rm.tags.begin_delete_at_scope(v.id).result()
    missing_rg = _name("rg-none")
    with pytest.raises(ResourceNotFoundError) as e:
        rm.tags.get_at_scope(rg_path(azure_sim, missing_rg))
    assert e.value.error.code == "ResourceGroupNotFound"
    with pytest.raises(ResourceNotFoundError) as e:
        rm.tags.begin_create_or_update_at_scope(v.id + "x", {"properties": {"tags": {"a": "b"}}})
    assert e.value.error.code == "ResourceNotFound"
    r = raw(azure_sim, "PATCH", v.id + "/providers/Microsoft.Resources/tags/default?api-version=" + RG_API,
            json={"operation": "Upsert", "properties": {"tags": {"a": "b"}}})
    assert r.status_code == 400 and r.json()["error"]["code"] == "InvalidRequestContent"
    r = raw(azure_sim, "PUT", v.id + "/providers/Microsoft.Resources/tags/default?api-version=" + RG_API)
    assert r.status_code == 400 and r.json()["error"]["code"] == "InvalidRequestContent"
