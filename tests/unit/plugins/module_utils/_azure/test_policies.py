"""The pipeline policies of _azure.policies, through a real azure-core Pipeline and a fake transport."""
import json

import pytest
from azure.core.credentials import AccessToken
from azure.core.exceptions import ServiceRequestError, ServiceResponseError
from azure.core.pipeline import Pipeline
from azure.core.pipeline.transport import HttpTransport
from azure.core.rest import HttpRequest

from ansible_collections.dr.asr.plugins.module_utils._azure.client import AzureClients
from ansible_collections.dr.asr.plugins.module_utils._azure.policies import (
    RETRY, SEND_ONCE, FreshTokenPolicy, JournalPolicy, PacingPolicy, ResendUnsentPolicy, SendOnceRetryPolicy,
    challenge_error, nbf_claims, remaining_requests)
from ansible_collections.dr.asr.plugins.module_utils._journal import Journal
from ansible_collections.dr.asr.tests.unit.plugins.module_utils.fake_clock import FakeClock

SCOPE = "https://management.azure.com/.default"
EXPIRED = ('Bearer authorization_uri="https://login.example/t", error="invalid_token", '
           'error_description="The access token expiry UTC time is earlier than current UTC time."')


class FakeResponse(object):
    def __init__(self, request, status, body=None, headers=None):
        self.request = request
        self.status_code = status
        self.headers = dict(headers or {})
        self.reason = "fake"
        self.content_type = "application/json"
        self._body = json.dumps(body).encode() if body is not None else b""

    def body(self):
        return self._body

    def text(self, encoding=None):
        return self._body.decode()


class FakeTransport(HttpTransport):
    """Answers from a script: each entry is an exception to raise or (status, body, headers)."""

    def __init__(self, script):
        self.script = list(script)
        self.sent = []

    def send(self, request, **kwargs):
        self.sent.append((request.method, request.headers.get("Authorization")))
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        status, body, headers = step
        return FakeResponse(request, status, body, headers)

    def open(self):
        pass

    def close(self):
        pass

    def __exit__(self, *args):
        pass


class FakeCredential(object):
    def __init__(self):
        self.calls = []

    def get_token(self, *scopes, **kwargs):
        self.calls.append(kwargs.get("claims"))
        return AccessToken("token-%d" % len(self.calls), 4102444800)


def test_a_request_that_never_left_is_sent_again_even_a_post():
    sleeps = []
    transport = FakeTransport([ServiceRequestError("refused"), ServiceRequestError("refused"), (202, None, {})])
    pipeline = Pipeline(transport, [ResendUnsentPolicy(sleep=sleeps.append)])
    response = pipeline.run(HttpRequest("POST", "https://arm.example/x/unplannedFailover")).http_response
    assert response.status_code == 202
    assert [m for m, _a in transport.sent] == ["POST"] * 3
    assert sleeps == [0.5, 1.0]


def test_resending_gives_up_and_a_lost_answer_is_not_resent():
    transport = FakeTransport([ServiceRequestError("refused")] * 3)
    with pytest.raises(ServiceRequestError):
        Pipeline(transport, [ResendUnsentPolicy(resends=2, sleep=lambda s: None)]).run(HttpRequest("POST", "https://a/x"))
    assert len(transport.sent) == 3
    transport = FakeTransport([ServiceResponseError("connection closed"), (202, None, {})])
    with pytest.raises(ServiceResponseError):
        Pipeline(transport, [ResendUnsentPolicy(sleep=lambda s: None)]).run(HttpRequest("POST", "https://a/x"))
    assert len(transport.sent) == 1


def test_an_expired_token_is_replaced_once_bypassing_the_cache():
    cred = FakeCredential()
    transport = FakeTransport([(401, {"error": {"code": "ExpiredAuthenticationToken", "message": "expired"}},
                                {"WWW-Authenticate": EXPIRED}),
                               (200, {"ok": True}, {})])
    response = Pipeline(transport, [FreshTokenPolicy(cred, SCOPE)]).run(HttpRequest("GET", "https://a/x")).http_response
    assert response.status_code == 200
    assert transport.sent == [("GET", "Bearer token-1"), ("GET", "Bearer token-2")]
    assert cred.calls[0] is None and json.loads(cred.calls[1])["access_token"]["nbf"]["essential"] is True


def test_a_fresh_token_refused_again_and_other_401s_are_not_retried():
    cred = FakeCredential()
    expired = (401, {"error": {"code": "ExpiredAuthenticationToken"}}, {"WWW-Authenticate": EXPIRED})
    transport = FakeTransport([expired, expired])
    response = Pipeline(transport, [FreshTokenPolicy(cred, SCOPE)]).run(HttpRequest("GET", "https://a/x")).http_response
    assert response.status_code == 401 and len(transport.sent) == 2
    tenant = (401, {"error": {"code": "InvalidAuthenticationTokenTenant"}}, {"WWW-Authenticate": EXPIRED})
    transport = FakeTransport([tenant])
    response = Pipeline(transport, [FreshTokenPolicy(FakeCredential(), SCOPE)]).run(HttpRequest("GET", "https://a/x"))
    assert response.http_response.status_code == 401 and len(transport.sent) == 1


def test_challenge_parsing_and_claims():
    assert challenge_error({"WWW-Authenticate": EXPIRED}) == "invalid_token"
    assert challenge_error({"WWW-Authenticate": "Basic realm=x"}) is None
    assert challenge_error({}) is None
    assert json.loads(nbf_claims(now=1700000000)) == {"access_token": {"nbf": {"essential": True, "value": "1700000000"}}}


def test_clients_get_the_policies_and_retry_settings(monkeypatch):
    from azure.mgmt.recoveryservices import RecoveryServicesClient
    from azure.mgmt.recoveryservicessiterecovery import SiteRecoveryManagementClient
    seen = {}

    def fake_init(self, credential, subscription_id, **kwargs):
        seen.update(kwargs)

    monkeypatch.setattr(RecoveryServicesClient, "__init__", fake_init)
    clients = AzureClients(dict(auth_source="env", client_id="a", secret="s", tenant="t", subscription_id="sub",
                                cloud_environment="AzureCloud"), credential=FakeCredential())
    clients.client("recoveryservices")
    assert isinstance(seen["authentication_policy"], FreshTokenPolicy)
    assert [type(p) for p in seen["per_retry_policies"]] == [PacingPolicy, ResendUnsentPolicy]
    pacing = seen["per_retry_policies"][0]
    monkeypatch.setattr(SiteRecoveryManagementClient, "__init__", fake_init)
    clients.client("siterecovery")
    assert seen["per_retry_policies"][0] is pacing          # one for every client: the subscription's buckets
    assert seen["retry_status"] == RETRY["retry_status"] > 3
    assert isinstance(seen["retry_policy"], SendOnceRetryPolicy)
    assert seen["retry_policy"].status_retries == RETRY["retry_status"]


# -- no blind re-sends ---------------------------------------------------------------------------------------------
UNAVAILABLE = (503, {"error": {"code": "ServiceUnavailable", "message": "try later"}}, {})


def retrying(script, **options):
    """A pipeline with the clients' RetryPolicy (no real sleeping) over a scripted transport; the response and what
    was sent."""
    transport = FakeTransport(script)
    transport.sleep = lambda seconds: None
    policy = SendOnceRetryPolicy(retry_backoff_factor=0, **dict(RETRY, retry_backoff_max=0))
    pipeline = Pipeline(transport, [policy])
    return pipeline, transport


@pytest.mark.parametrize("method,options", [("POST", {}), ("PUT", {SEND_ONCE: True}), ("DELETE", {SEND_ONCE: True})])
def test_a_write_that_may_have_run_is_not_sent_again_by_the_pipeline(method, options):
    """azure-core sends a POST answered 500/503/504 again (and any marked write): a failover started twice."""
    pipeline, transport = retrying([UNAVAILABLE, (202, None, {})])
    response = pipeline.run(HttpRequest(method, "https://arm.example/x/testFailover"), **options).http_response
    assert response.status_code == 503 and len(transport.sent) == 1
    pipeline, transport = retrying([ServiceResponseError("connection closed"), (202, None, {})])
    with pytest.raises(ServiceResponseError):
        pipeline.run(HttpRequest(method, "https://arm.example/x/testFailover"), **options)
    assert len(transport.sent) == 1


def test_a_throttled_post_is_sent_again_after_its_retry_after():
    throttled = (429, {"error": {"code": "SubscriptionRequestsThrottled"}}, {"Retry-After": "1"})
    pipeline, transport = retrying([throttled, throttled, (202, None, {})])
    slept = []
    transport.sleep = slept.append
    response = pipeline.run(HttpRequest("POST", "https://arm.example/x/unplannedFailover")).http_response
    assert response.status_code == 202 and len(transport.sent) == 3 and slept == [1, 1]


def test_reads_and_unmarked_puts_keep_retrying_and_the_mark_stays_out_of_the_transport():
    for method in ("GET", "PUT"):
        pipeline, transport = retrying([UNAVAILABLE, (200, {}, {})])
        assert pipeline.run(HttpRequest(method, "https://arm.example/x")).http_response.status_code == 200
        assert len(transport.sent) == 2
    seen = []
    transport = FakeTransport([(202, None, {})])
    transport.send = lambda request, **kwargs: seen.append(kwargs) or FakeResponse(request, 202)
    Pipeline(transport, [SendOnceRetryPolicy()]).run(HttpRequest("PUT", "https://arm.example/x"), **{SEND_ONCE: True})
    assert seen and SEND_ONCE not in seen[0]


def test_a_write_answered_with_a_gateway_error_is_journaled_as_maybe_written():
    journal = Journal()
    pipeline = Pipeline(FakeTransport([UNAVAILABLE, (400, {}, {})]), [JournalPolicy(journal)])
    pipeline.run(HttpRequest("POST", "https://arm.example/v/replicationProtectedItems/i/testFailover?api-version=1"))
    pipeline.run(HttpRequest("POST", "https://arm.example/v/replicationProtectedItems/i/testFailover?api-version=1"))
    assert journal.entries == ["POST /v/replicationProtectedItems/i/testFailover (answer 503)"]


def test_pacing_waits_for_the_bucket_when_arm_says_few_requests_remain():
    """ARM's remaining-requests headers: plenty left, no wait; 2 reads left, the next GET waits until 25 per second
    refilled the bucket to LOW (0.4 s); a write is not held back by the reads' bucket; the headers' global form
    counts too."""
    clock = FakeClock()
    low = PacingPolicy.LOW
    transport = FakeTransport([
        (200, {}, {"x-ms-ratelimit-remaining-subscription-reads": "200"}),
        (200, {}, {"x-ms-ratelimit-remaining-subscription-reads": "2"}),
        (202, None, {"x-ms-ratelimit-remaining-subscription-writes": "150"}),
        (200, {}, {"x-ms-ratelimit-remaining-subscription-global-reads": "7"}),
        (200, {}, {}),
    ])
    pipeline = Pipeline(transport, [PacingPolicy(sleep=clock.sleep, clock=clock.clock)])
    for method in ("GET", "GET", "POST", "GET", "GET"):
        pipeline.run(HttpRequest(method, "https://arm.example/x"))
    assert [round(s, 3) for s in clock.sleeps] == [round((low - 2) / 25.0, 3), round((low - 7) / 25.0, 3)]
    assert [m for m, _a in transport.sent] == ["GET", "GET", "POST", "GET", "GET"]


def test_remaining_requests_reads_every_form_of_the_header():
    assert remaining_requests({"X-Ms-Ratelimit-Remaining-Subscription-Deletes": "3", "x-ms-other": "1",
                               "x-ms-ratelimit-remaining-subscription-reads": "bad"}) == {"deletes": 3}
