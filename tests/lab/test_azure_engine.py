"""Conformance of the Azure simulator's engine: identity, metadata, ARM conventions, LROs, paging,
throttling, faults, the request log, the lab clock and persistence, through the real SDKs
(azure-identity, azure-mgmt-resource, azure-mgmt-recoveryservices) and raw HTTPS (TLS verified by
the lab CA)."""
import math
import time
import uuid

import pytest
import requests
from azure.core.credentials import AccessToken
from azure.core.exceptions import ClientAuthenticationError, ResourceNotFoundError
from azure.mgmt.recoveryservices import RecoveryServicesClient
from azure.mgmt.resource.resources import ResourceManagementClient

from drlab.azure.clock import LabClock
from drlab.azure.faults import FaultInjector
from drlab.azure.ids import parse
from drlab.azure.throttle import Throttler

LOCATION = "westeurope"
RG_API = "2025-04-01"
VAULT = "Microsoft.RecoveryServices/vaults"
VAULT_API = "2026-11-01"


def _name(prefix):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:8])


def _token(sim):
    return sim.credential.get_token(*sim.credential_scopes).token


def raw(sim, method, path, token=True, headers=None, **kw):
    """An HTTPS request to the simulator (path relative to its URL, or an absolute URL)."""
    h = dict(headers or {})
    if token is True:
        token = _token(sim)
    if token:
        h["Authorization"] = "Bearer " + token
    url = path if path.startswith("https://") else sim.url + path
    return requests.request(method, url, headers=h, verify=sim.ca, timeout=30, **kw)


def rg_path(sim, rg):
    return "/subscriptions/%s/resourcegroups/%s" % (sim.subscription_id, rg)


@pytest.fixture(scope="module")
def rm(azure_clients):
    return azure_clients(ResourceManagementClient)


@pytest.fixture(scope="module")
def rs(azure_clients):
    return azure_clients(RecoveryServicesClient)


# ---------------------------------------------------------------------------------------------
# identity


def test_health_lists_the_providers(azure_sim):
    h = azure_sim.admin.health()
    assert h["status"] == "ok" and h["url"] == azure_sim.url
    assert "drlab.azure.providers.resources" in h["providers"]
    assert "drlab.azure.providers.recoveryservices" in h["providers"]
    assert {"Microsoft.Resources/resourceGroups", VAULT} <= set(h["resource_types"])


def test_openid_configuration_points_at_the_simulator(azure_sim):
    for tenant in (azure_sim.tenant_id, "organizations", "common"):
        r = raw(azure_sim, "GET", "/%s/v2.0/.well-known/openid-configuration" % tenant, token=None)
        assert r.status_code == 200
        doc = r.json()
        assert doc["token_endpoint"] == "%s/%s/oauth2/v2.0/token" % (azure_sim.url, tenant)
        assert doc["authorization_endpoint"].startswith(azure_sim.url + "/")
        assert doc["issuer"].startswith(azure_sim.url + "/")
    r = raw(azure_sim, "GET", "/common/discovery/instance?api-version=1.1&authorization_endpoint=x", token=None)
    assert r.json()["tenant_discovery_endpoint"].startswith(azure_sim.url + "/")
    bad = raw(azure_sim, "GET", "/%s/v2.0/.well-known/openid-configuration" % uuid.uuid4(), token=None)
    assert bad.status_code == 400 and bad.json()["error_codes"] == [90002]


def test_client_secret_credential_gets_a_token(azure_sim):
    cred = azure_sim.new_credential()
    tok = cred.get_token(*azure_sim.credential_scopes)
    assert tok.token.count(".") == 2
    assert 3500 < tok.expires_on - time.time() <= 3600
    # the other ARM audience works too
    assert azure_sim.new_credential().get_token("https://management.azure.com/.default").token


def test_wrong_secret_is_invalid_client(azure_sim):
    cred = azure_sim.new_credential(client_secret="not-the-secret")
    with pytest.raises(ClientAuthenticationError) as e:
        cred.get_token(*azure_sim.credential_scopes)
    assert "AADSTS7000215" in str(e.value)
    r = raw(azure_sim, "POST", "/%s/oauth2/v2.0/token" % azure_sim.tenant_id, token=None,
            data={"grant_type": "client_credentials", "client_id": azure_sim.client_id, "client_secret": "x",
                  "scope": azure_sim.credential_scopes[0]})
    assert r.status_code == 401
    body = r.json()
    assert body["error"] == "invalid_client" and body["error_codes"] == [7000215]
    assert body["error_description"].startswith("AADSTS7000215: ")


def test_unknown_client_and_scope_are_refused(azure_sim):
    url = "/%s/oauth2/v2.0/token" % azure_sim.tenant_id
    form = {"grant_type": "client_credentials", "client_id": str(uuid.uuid4()),
            "client_secret": azure_sim.client_secret, "scope": azure_sim.credential_scopes[0]}
    r = raw(azure_sim, "POST", url, token=None, data=form)
    assert r.status_code == 400 and r.json()["error_codes"] == [700016]
    form = dict(form, client_id=azure_sim.client_id, scope="https://vault.azure.net/.default")
    r = raw(azure_sim, "POST", url, token=None, data=form)
    assert r.status_code == 400 and r.json()["error"] == "invalid_resource"


def test_arm_refuses_missing_invalid_expired_and_foreign_tokens(azure_sim):
    path = "/subscriptions/%s/resourcegroups?api-version=%s" % (azure_sim.subscription_id, RG_API)
    cases = [
        (None, "AuthenticationFailed"),
        ("not-a-jwt", "InvalidAuthenticationToken"),
        (_token(azure_sim)[:-4] + "AAAA", "InvalidAuthenticationToken"),
        (azure_sim.admin.token(lifetime_seconds=-60), "ExpiredAuthenticationToken"),
        (azure_sim.admin.token(audience="https://graph.microsoft.com/"), "InvalidAuthenticationTokenAudience"),
    ]
    for token, code in cases:
        r = raw(azure_sim, "GET", path, token=token or False)
        assert r.status_code == 401, code
        assert r.json()["error"]["code"] == code
        challenge = r.headers["WWW-Authenticate"]
        assert challenge.startswith('Bearer authorization_uri="%s/' % azure_sim.url)
        assert 'error="invalid_token"' in challenge


def test_sdk_maps_401_to_client_authentication_error(azure_sim):
    class Fake:
        def get_token(self, *scopes, **kw):
            return AccessToken("fake.token.value", int(time.time()) + 3600)

    rm = azure_sim.client(ResourceManagementClient, credential=Fake())
    with pytest.raises(ClientAuthenticationError) as e:
        rm.resource_groups.get("anything")
    assert e.value.status_code == 401


def test_tokens_expire_mid_run_and_the_sdk_renews_them(azure_lab):
    sim = azure_lab
    sim.admin.patch_config(token_lifetime_seconds=1)
    cred = sim.new_credential()
    short = cred.get_token(*sim.credential_scopes)
    assert short.expires_on - time.time() <= 2
    time.sleep(1.2)
    r = raw(sim, "GET", "/subscriptions/%s/resourcegroups?api-version=%s" % (sim.subscription_id, RG_API),
            token=short.token)
    assert r.status_code == 401 and r.json()["error"]["code"] == "ExpiredAuthenticationToken"
    rm = sim.client(ResourceManagementClient, credential=cred)
    since = time.time()
    for _attempt in range(3):
        list(rm.resource_groups.list())
        time.sleep(0.6)
    tokens = sim.admin.requests(since=since, kind="identity", method="POST")
    assert len(tokens) >= 2            # a fresh token each time the old one was about to expire


# ---------------------------------------------------------------------------------------------
# metadata


def test_metadata_endpoints(azure_sim):
    for version in ("2022-09-01", "2019-05-01"):
        r = raw(azure_sim, "GET", "/metadata/endpoints?api-version=" + version, token=None)
        assert r.status_code == 200
        clouds = r.json()
        assert isinstance(clouds, list) and len(clouds) == 1
        c = clouds[0]
        assert c["resourceManager"] == azure_sim.url + "/"
        assert c["authentication"]["loginEndpoint"] == azure_sim.url + "/"
        assert c["authentication"]["audiences"][0] == "https://management.core.windows.net/"
        assert c["authentication"]["identityProvider"] == "AAD" and c["authentication"]["tenant"] == "common"
        assert c["name"] and c["suffixes"]["storage"]
    legacy = raw(azure_sim, "GET", "/metadata/endpoints?api-version=2015-01-01", token=None).json()
    assert legacy["authentication"]["loginEndpoint"] == azure_sim.url + "/"
    assert legacy["authentication"]["audiences"]
    r = raw(azure_sim, "GET", "/metadata/endpoints", token=None)
    assert r.status_code == 400 and r.json()["error"]["code"] == "MissingApiVersionParameter"


def test_a_client_configured_from_metadata_works(azure_sim):
    from azure.identity import ClientSecretCredential
    cloud = raw(azure_sim, "GET", "/metadata/endpoints?api-version=2022-09-01", token=None).json()[0]
    auth = cloud["authentication"]
    cred = ClientSecretCredential(azure_sim.tenant_id, azure_sim.client_id, azure_sim.client_secret,
                                  authority=auth["loginEndpoint"], disable_instance_discovery=True,
                                  connection_verify=azure_sim.ca)
    rm = ResourceManagementClient(cred, azure_sim.subscription_id, base_url=cloud["resourceManager"],
                                  credential_scopes=[auth["audiences"][0] + ".default"],
                                  connection_verify=azure_sim.ca)
    assert isinstance(list(rm.resource_groups.list()), list)


# ---------------------------------------------------------------------------------------------
# ARM conventions


def test_api_version_is_required_and_checked_per_type(azure_sim, resource_group):
    rg = resource_group(_name("rg-api"))
    r = raw(azure_sim, "GET", rg_path(azure_sim, rg))
    assert r.status_code == 400
    assert r.json() == {"error": {"code": "MissingApiVersionParameter",
                                  "message": "The api-version query parameter (?api-version=) is required for all "
                                             "requests."}}
    for version in ("2014-04-01", "2021-04-01", RG_API):
        assert raw(azure_sim, "GET", rg_path(azure_sim, rg) + "?api-version=" + version).status_code == 200
    r = raw(azure_sim, "GET", rg_path(azure_sim, rg) + "?api-version=2099-01-01-preview")
    assert r.status_code == 400 and r.json()["error"]["code"] == "InvalidApiVersionParameter"
    # (more in test_azure_arm_basics.py)


def test_request_ids_and_rate_limit_headers(azure_sim, resource_group):
    rg = resource_group(_name("rg-hdr"))
    client_id, corr = str(uuid.uuid4()), str(uuid.uuid4())
    r = raw(azure_sim, "GET", rg_path(azure_sim, rg) + "?api-version=" + RG_API,
            headers={"x-ms-client-request-id": client_id, "x-ms-correlation-request-id": corr})
    assert r.headers["x-ms-client-request-id"] == client_id
    assert r.headers["x-ms-correlation-request-id"] == corr
    assert uuid.UUID(r.headers["x-ms-request-id"])
    assert int(r.headers["x-ms-ratelimit-remaining-subscription-reads"]) > 0
    r2 = raw(azure_sim, "GET", rg_path(azure_sim, rg) + "?api-version=" + RG_API,
             headers={"x-ms-client-request-id": client_id, "x-ms-return-client-request-id": "false"})
    assert "x-ms-client-request-id" not in r2.headers
    assert r2.headers["x-ms-correlation-request-id"] != corr          # a new one when the client sent none
    assert r2.headers["x-ms-request-id"] != r.headers["x-ms-request-id"]
    w = raw(azure_sim, "PUT", rg_path(azure_sim, rg) + "?api-version=" + RG_API, json={"location": LOCATION})
    assert int(w.headers["x-ms-ratelimit-remaining-subscription-writes"]) > 0
    d = raw(azure_sim, "DELETE", rg_path(azure_sim, _name("gone")) + "?api-version=" + RG_API)
    assert d.status_code == 404 and "x-ms-ratelimit-remaining-subscription-deletes" in d.headers
    t = raw(azure_sim, "GET", "/subscriptions?api-version=2022-12-01")
    assert int(t.headers["x-ms-ratelimit-remaining-tenant-reads"]) > 0


def test_not_found_errors_use_the_arm_envelope(azure_sim, rm, rs, resource_group):
    missing = _name("rg-missing")
    with pytest.raises(ResourceNotFoundError) as e:
        rm.resource_groups.get(missing)
    assert e.value.error.code == "ResourceGroupNotFound"
    assert e.value.error.message == "Resource group '%s' could not be found." % missing
    rg = resource_group(_name("rg-nf"))
    with pytest.raises(ResourceNotFoundError) as e:
        rs.vaults.get(rg, "nope")
    assert e.value.error.code == "ResourceNotFound"
    assert "'Microsoft.RecoveryServices/vaults/nope' under resource group '%s'" % rg in e.value.error.message
    with pytest.raises(ResourceNotFoundError) as e:
        rs.vaults.get(missing, "nope")
    assert e.value.error.code == "ResourceGroupNotFound"
    base = "/subscriptions/%s/resourceGroups/%s/providers" % (azure_sim.subscription_id, rg)
    r = raw(azure_sim, "GET", base + "/Microsoft.Nope/things/x?api-version=1")
    assert r.status_code == 400 and r.json()["error"]["code"] == "InvalidResourceNamespace"
    r = raw(azure_sim, "GET", base + "/Microsoft.RecoveryServices/nothings/x?api-version=1")
    assert r.status_code == 400 and r.json()["error"]["code"] == "InvalidResourceType"
    r = raw(azure_sim, "GET", "/subscriptions/%s/resourcegroups?api-version=%s" % (uuid.uuid4(), RG_API))
    assert r.status_code == 404 and r.json()["error"]["code"] == "SubscriptionNotFound"


def test_ids_are_case_insensitive_and_keep_the_created_casing(azure_sim, rm, rs):
    rg = _name("MixedCase-RG")
    rm.resource_groups.create_or_update(rg, {"location": LOCATION})
    assert rm.resource_groups.get(rg.lower()).name == rg
    assert rm.resource_groups.check_existence(rg.upper())
    vault = rs.vaults.begin_create_or_update(rg.lower(), "Vault-CS", {"location": "West Europe",
                                                                      "sku": {"name": "RS0"}}).result()
    assert vault.id == "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.RecoveryServices/vaults/Vault-CS" % (
        azure_sim.subscription_id, rg)
    assert vault.location == "westeurope"
    shouted = "/SUBSCRIPTIONS/%s/RESOURCEGROUPS/%s/PROVIDERS/MICROSOFT.RECOVERYSERVICES/VAULTS/VAULT-CS" % (
        azure_sim.subscription_id.upper(), rg.upper())
    r = raw(azure_sim, "GET", shouted + "?api-version=2026-11-01")
    assert r.status_code == 200 and r.json()["name"] == "Vault-CS"
    assert parse(r.json()["id"]) == parse(vault.id.lower())


def test_paging_with_next_link(azure_lab, rm):
    sim = azure_lab
    prefix = _name("page")
    for i in range(5):
        rm.resource_groups.create_or_update("%s-%d" % (prefix, i), {"location": LOCATION})
    sim.admin.patch_config(page_size=2)
    r = raw(sim, "GET", "/subscriptions/%s/resourcegroups?api-version=%s" % (sim.subscription_id, RG_API))
    first = r.json()
    assert len(first["value"]) == 2
    assert first["nextLink"].startswith(sim.url + "/subscriptions/%s/resourcegroups?" % sim.subscription_id)
    assert "$skiptoken=" in first["nextLink"] or "%24skiptoken=" in first["nextLink"]
    since = time.time()
    names = [g.name for g in rm.resource_groups.list()]
    assert ["%s-%d" % (prefix, i) for i in range(5)] == [n for n in names if n.startswith(prefix)]
    pages = sim.admin.requests(since=since, method="GET", resource_type="Microsoft.Resources/resourceGroups")
    assert len(pages) == math.ceil(len(names) / 2)
    assert all(p["status"] == 200 for p in pages)
    # $filter survives paging
    tagged = "%s-%d" % (prefix, 3)
    rm.resource_groups.update(tagged, {"tags": {"page": prefix}})
    assert [g.name for g in rm.resource_groups.list(filter="tagName eq 'page' and tagValue eq '%s'" % prefix)] == [
        tagged]


# ---------------------------------------------------------------------------------------------
# long-running operations and the lab clock


def test_lro_headers_and_polling_endpoints(azure_lab, resource_group):
    sim = azure_lab
    rg = resource_group(_name("rg-lro"))
    sim.admin.set_durations(VAULT, put=600, delete=600)
    vault_path = rg_path(sim, rg) + "/providers/Microsoft.RecoveryServices/vaults/v-lro"
    r = raw(sim, "PUT", vault_path + "?api-version=2026-11-01", json={"location": LOCATION, "sku": {"name": "RS0"}})
    assert r.status_code == 201
    assert r.json()["properties"]["provisioningState"] == "Creating"
    assert r.headers["Retry-After"] == "1"
    status_url = r.headers["Azure-AsyncOperation"]
    assert status_url.startswith(sim.url + "/subscriptions/") and status_url.endswith("?api-version=2026-11-01")
    assert "Location" not in r.headers
    s = raw(sim, "GET", status_url)
    assert s.status_code == 200 and s.json()["status"] == "InProgress" and s.headers["Retry-After"] == "1"
    sim.admin.advance(600)
    s = raw(sim, "GET", status_url).json()
    assert s["status"] == "Succeeded" and s["endTime"] >= s["startTime"]
    assert raw(sim, "GET", vault_path + "?api-version=" + VAULT_API).json()["properties"]["provisioningState"] == "Succeeded"
    # resource group delete: 202 + Location, 202 while running, then 204
    d = raw(sim, "DELETE", rg_path(sim, rg) + "?api-version=" + RG_API)
    assert d.status_code == 202 and d.headers["Retry-After"] == "1"
    loc = d.headers["Location"]
    assert loc.startswith(sim.url + "/subscriptions/%s/operationresults/" % sim.subscription_id)
    p = raw(sim, "GET", loc)
    assert p.status_code == 202 and p.headers["Location"] == loc and p.headers["Retry-After"] == "1"
    assert raw(sim, "GET", rg_path(sim, rg) + "?api-version=" + RG_API).json()["properties"]["provisioningState"] == "Deleting"
    w = raw(sim, "PUT", vault_path + "?api-version=" + VAULT_API, json={"location": LOCATION})
    assert w.status_code == 409
    sim.admin.advance(60)
    assert raw(sim, "GET", loc).status_code == 204
    assert raw(sim, "GET", vault_path + "?api-version=" + VAULT_API).status_code == 404


def test_operations_complete_in_lab_time(azure_lab, rs, resource_group):
    sim = azure_lab
    rg = resource_group(_name("rg-clock"))
    sim.admin.set_durations(VAULT, put=300)          # 5 lab minutes = 5 real seconds at scale 60
    t0 = time.time()
    poller = rs.vaults.begin_create_or_update(rg, "v-clock", {"location": LOCATION, "sku": {"name": "RS0"}})
    assert not poller.done()
    assert rs.vaults.get(rg, "v-clock").properties.provisioning_state == "Creating"
    sim.admin.advance(240)                            # 4 more lab minutes pass at once
    vault = poller.result()
    elapsed = time.time() - t0
    assert vault.properties.provisioning_state == "Succeeded"
    assert 0.9 < elapsed < 4.5, elapsed
    # a faster clock: 10 lab minutes pass in a fraction of a second
    sim.admin.set_durations(VAULT, patch=600)
    sim.admin.set_time_scale(3600)
    t0 = time.time()
    rs.vaults.begin_update(rg, "v-clock", {"tags": {"fast": "yes"}}).result()
    assert time.time() - t0 < 2.5
    assert rs.vaults.get(rg, "v-clock").tags == {"fast": "yes"}


def test_failed_operation_reports_its_error(azure_lab, rm, resource_group):
    # a vault PUT whose resource group is deleted while it runs: the operation is canceled
    sim = azure_lab
    rg = resource_group(_name("rg-fail"))
    sim.admin.set_durations(VAULT, put=3600)
    sim.admin.set_durations("Microsoft.Resources/resourceGroups", delete=0)
    vault_path = rg_path(sim, rg) + "/providers/Microsoft.RecoveryServices/vaults/v-fail"
    r = raw(sim, "PUT", vault_path + "?api-version=" + VAULT_API, json={"location": LOCATION})
    rm.resource_groups.begin_delete(rg).result()
    status = raw(sim, "GET", r.headers["Azure-AsyncOperation"]).json()
    assert status["status"] == "Canceled" and status["error"]["code"] == "OperationCanceled"


# ---------------------------------------------------------------------------------------------
# throttling


def test_throttled_requests_are_retried_by_the_sdk(azure_lab, rm, resource_group):
    sim = azure_lab
    rg = resource_group(_name("rg-thr"))
    sim.admin.set_throttle({"subscription": {"reads": {"capacity": 2, "refill_per_second": 2}}})
    since = time.time()
    for _attempt in range(5):
        assert rm.resource_groups.get(rg).name == rg
    log = sim.admin.requests(since=since, path_regex=rg)
    throttled = [e for e in log if e["status"] == 429]
    assert throttled and all(e["fault"] == "throttled" for e in throttled)
    assert len([e for e in log if e["status"] == 200]) == 5
    assert sim.admin.summary()["by_status"].get("429", 0) >= len(throttled)
    r = raw(sim, "GET", rg_path(sim, rg) + "?api-version=" + RG_API)
    while r.status_code != 429:
        r = raw(sim, "GET", rg_path(sim, rg) + "?api-version=" + RG_API)
    assert r.json()["error"]["code"] == "SubscriptionRequestsThrottled"
    assert "Number of 'read' requests for subscription '%s'" % sim.subscription_id in r.json()["error"]["message"]
    assert int(r.headers["Retry-After"]) >= 1
    assert r.headers["x-ms-ratelimit-remaining-subscription-reads"] == "0"
    # writes have their own bucket
    assert raw(sim, "PUT", rg_path(sim, rg) + "?api-version=" + RG_API, json={"location": LOCATION}).status_code == 200


def test_tenant_bucket(azure_lab):
    sim = azure_lab
    sim.admin.set_throttle({"tenant": {"reads": {"capacity": 1, "refill_per_second": 0.5}}})
    codes = [raw(sim, "GET", "/subscriptions?api-version=2022-12-01") for _attempt in range(3)]
    assert codes[0].status_code == 200
    assert any(r.status_code == 429 and r.json()["error"]["code"] == "TenantRequestsThrottled" for r in codes)


# ---------------------------------------------------------------------------------------------
# fault injection


def test_injected_errors_are_retried_by_the_sdk(azure_lab, rm, resource_group):
    sim = azure_lab
    rg = resource_group(_name("rg-err"))
    sim.admin.set_faults([{"name": "two-errors", "match": {"method": "GET", "path_regex": "/resourcegroups/" + rg + "$"},
                           "error_rate": 1.0, "count": 2, "error_statuses": [500, 503]}], seed=7)
    since = time.time()
    assert rm.resource_groups.get(rg).name == rg
    statuses = [e["status"] for e in sim.admin.requests(since=since, path_regex=rg)]
    assert statuses[:2] in ([500, 500], [500, 503], [503, 500], [503, 503]) and statuses[2:] == [200]
    rule = sim.admin.faults()["rules"][0]
    assert rule["hits"] == 2 and rule["remaining"] == 0
    r = raw(sim, "GET", rg_path(sim, rg) + "?api-version=" + RG_API)
    assert r.status_code == 200


def test_injected_error_envelope(azure_lab, resource_group):
    sim = azure_lab
    rg = resource_group(_name("rg-env"))
    sim.admin.set_faults([{"match": {"path_regex": rg}, "error_rate": 1.0, "error_statuses": [503], "retry_after": 2}])
    r = raw(sim, "GET", rg_path(sim, rg) + "?api-version=" + RG_API)
    assert r.status_code == 503 and r.headers["Retry-After"] == "2"
    assert r.json()["error"]["code"] == "ServiceUnavailable"


def test_an_injected_error_after_the_request_ran(azure_lab, rm, resource_group):
    """error_phase response: the request runs (its effects stay), then a gateway error replaces its answer."""
    sim = azure_lab
    rg = _name("rg-late")
    sim.admin.set_faults([{"match": {"method": "PUT", "path_regex": "/resourcegroups/" + rg + "$"}, "error_rate": 1.0,
                           "count": 1, "error_statuses": [503], "error_phase": "response"}])
    since = time.time()
    r = raw(sim, "PUT", rg_path(sim, rg) + "?api-version=" + RG_API, json={"location": LOCATION})
    assert r.status_code == 503 and r.json()["error"]["code"] == "ServiceUnavailable"
    assert rm.resource_groups.get(rg).name == rg
    log = sim.admin.requests(since=since, path_regex=rg)
    assert log[0]["status"] == 503 and log[0]["fault"] == "error_response"
    with pytest.raises(ValueError):
        FaultInjector([{"error_rate": 1.0, "error_phase": "later"}])


def test_dropped_connections_are_retried(azure_lab, rm, resource_group):
    sim = azure_lab
    rg = resource_group(_name("rg-drop"))
    sim.admin.set_faults([{"match": {"method": "GET", "path_regex": rg}, "drop_rate": 1.0, "count": 1}])
    since = time.time()
    assert rm.resource_groups.get(rg).name == rg
    log = sim.admin.requests(since=since, path_regex=rg)
    assert [e["status"] for e in log] == [0, 200] and log[0]["fault"] == "drop"


def test_latency_and_throttle_storm(azure_lab, rm, resource_group):
    sim = azure_lab
    rg = resource_group(_name("rg-storm"))
    sim.admin.set_faults([{"match": {"path_regex": rg}, "latency_ms": [300, 300], "count": 1},
                          {"match": {"path_regex": rg}, "throttle_storm": {"seconds": 1, "retry_after": 1}}])
    t0 = time.time()
    assert rm.resource_groups.get(rg).name == rg            # slow once
    assert time.time() - t0 >= 0.3
    t0 = time.time()
    assert rm.resource_groups.get(rg).name == rg            # storm for 1 s, the SDK waits it out
    assert time.time() - t0 >= 0.9
    log = sim.admin.requests(since=t0, path_regex=rg)
    assert log[0]["status"] == 429 and log[0]["fault"] == "storm" and log[-1]["status"] == 200


def test_seeded_faults_are_reproducible():
    def run(seed):
        f = FaultInjector([{"match": {}, "error_rate": 0.5, "latency_ms": [0, 100]}], seed=seed)
        return [(a.kind, round(a.latency, 6)) for a in (f.decide("GET", "/x", "arm") for _attempt in range(50))]
    assert run(42) == run(42)
    assert run(42) != run(43)
    kinds = [kind for kind, _latency in run(42)]
    assert 10 < kinds.count("error") < 40


# ---------------------------------------------------------------------------------------------
# request log


def test_request_log_records_and_filters(azure_lab, rm, resource_group):
    sim = azure_lab
    rg = resource_group(_name("rg-log"))
    since = time.time()
    client_request_id = str(uuid.uuid4())
    rm.resource_groups.get(rg, headers={"x-ms-client-request-id": client_request_id})
    rm.resource_groups.update(rg, {"tags": {"k": "v"}})
    entries = sim.admin.requests(since=since, path_regex=rg)
    get = entries[0]
    assert get["method"] == "GET" and get["status"] == 200 and get["kind"] == "arm"
    assert get["resource_type"] == "Microsoft.Resources/resourceGroups"
    assert get["api_version"] == RG_API and get["client_request_id"] == client_request_id
    assert get["user_agent"].startswith("azsdk-python-mgmt-resource")
    assert get["duration_ms"] >= 0 and get["lab_time"].endswith("Z")
    assert [e["method"] for e in sim.admin.requests(since=since, method="PATCH")] == ["PATCH"]
    assert sim.admin.requests(until=since - 3600, path_regex=rg) == []
    summary = sim.admin.summary()
    assert summary["by_method"]["GET"] >= 1
    assert summary["by_operation"]["PATCH Microsoft.Resources/resourceGroups 200"] >= 1
    for entry in sim.admin.requests(since=since):
        assert "authorization" not in {k.lower() for k in entry}


def test_request_log_reset(azure_sim_factory):
    sim = azure_sim_factory()
    list(sim.client(ResourceManagementClient).resource_groups.list())
    assert sim.admin.summary()["total"] >= 1
    sim.admin.clear_requests()
    s = sim.admin.summary()
    assert s["total"] == 0 and s["by_method"] == {} and sim.admin.requests() == []


# ---------------------------------------------------------------------------------------------
# persistence, restart, reset


def test_state_and_pending_operations_survive_a_restart(azure_sim_factory):
    sim = azure_sim_factory({"durations": {VAULT: {"put": 120}}})
    rm = sim.client(ResourceManagementClient)
    rs = sim.client(RecoveryServicesClient)
    rm.resource_groups.create_or_update("rg-persist", {"location": LOCATION, "tags": {"a": "1"}})
    poller = rs.vaults.begin_create_or_update("rg-persist", "v-persist",
                                              {"location": LOCATION, "sku": {"name": "RS0"}})
    token = poller.polling_method()._initial_response.http_response.headers["Azure-AsyncOperation"]
    before = sim.admin.clock()["lab_epoch"]
    assert sim.process.stop() == 0                   # SIGTERM: clean exit
    sim.restart()
    assert sim.admin.clock()["lab_epoch"] >= before  # the lab clock kept running
    assert rm.resource_groups.get("rg-persist").tags == {"a": "1"}   # old client, cached token: still valid
    r = raw(sim, "GET", token)
    assert r.status_code == 200 and r.json()["status"] in ("InProgress", "Succeeded")
    sim.admin.advance(120)
    assert raw(sim, "GET", token).json()["status"] == "Succeeded"
    assert rs.vaults.get("rg-persist", "v-persist").properties.provisioning_state == "Succeeded"


def test_reset_wipes_resources_and_keeps_config(azure_sim_factory):
    sim = azure_sim_factory({"page_size": 7})
    rm = sim.client(ResourceManagementClient)
    rm.resource_groups.create_or_update("rg-reset", {"location": LOCATION})
    sim.admin.patch_config(page_size=3)
    sim.admin.reset()
    assert not rm.resource_groups.check_existence("rg-reset")
    assert sim.admin.config()["page_size"] == 3
    sim.admin.reset(all=True)
    assert sim.admin.config()["page_size"] == 7


# ---------------------------------------------------------------------------------------------
# units (no server)


def test_throttler_token_bucket():
    now = [0.0]
    t = Throttler({"subscription": {"writes": {"capacity": 2, "refill_per_second": 1}}}, clock=lambda: now[0])
    assert t.check("PUT", "s", "t").allowed
    assert t.check("PUT", "s", "t").headers["x-ms-ratelimit-remaining-subscription-writes"] == "0"
    d = t.check("PUT", "s", "t")
    assert not d.allowed and d.retry_after == 1 and d.code == "SubscriptionRequestsThrottled"
    assert t.check("GET", "s", "t").allowed          # reads: another bucket
    now[0] = 1.0
    assert t.check("PUT", "s", "t").allowed
    assert t.check("PUT", "other-sub", "t").allowed  # per subscription


def test_lab_clock_scale_and_advance():
    real = [1000.0]
    c = LabClock(60, anchor_real=1000.0, anchor_lab=5000.0, real_time=lambda: real[0])
    real[0] = 1001.0
    assert c.now_epoch() == 5060.0
    c.advance(40)
    assert c.now_epoch() == 5100.0
    c.set_scale(1)
    real[0] = 1003.0
    assert c.now_epoch() == 5102.0
    with pytest.raises(ValueError):
        c.advance(-1)


def test_resource_id_parsing():
    rid = parse("/subscriptions/S/resourceGroups/RG/providers/Microsoft.RecoveryServices/vaults/V/"
                "replicationVaultSettings/default")
    assert rid.full_type == "Microsoft.RecoveryServices/vaults/replicationVaultSettings"
    assert rid.name == "default" and rid.resource_group == "RG"
    assert rid.parent.id == "/subscriptions/S/resourceGroups/RG/providers/Microsoft.RecoveryServices/vaults/V"
    assert rid == rid.id.upper()
    assert parse("/subscriptions/s/resourcegroups/rg").is_resource_group
    with pytest.raises(ValueError):
        parse("/subscriptions/s/resourceGroups/rg/providers/Microsoft.X/only-type")


def test_errors_on_bad_bodies(azure_sim, resource_group):
    rg = resource_group(_name("rg-body"))
    vault_path = rg_path(azure_sim, rg) + "/providers/Microsoft.RecoveryServices/vaults/v1?api-version=" + VAULT_API
    r = raw(azure_sim, "PUT", vault_path, data=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "InvalidRequestContent"
    r = raw(azure_sim, "PUT", vault_path, json=[1, 2])
    assert r.status_code == 400 and r.json()["error"]["code"] == "InvalidRequestContent"
