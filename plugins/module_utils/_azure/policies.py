# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pipeline policies the management clients get on top of azure-core's (AzureClients.client).

* `RETRY`: the RetryPolicy settings (more answers with Retry-After are waited out than azure-core's 3).

* `SendOnceRetryPolicy` (the clients' RetryPolicy): azure-core's, except that a request that may have been carried
  out is never sent again by the pipeline. azure-core resends a POST answered 500/503/504, and any other write after
  a gateway error or a lost answer; a failover POST answered 503 after ASR had started its job was sent twice. A POST,
  and every request a caller marks with the context option `SEND_ONCE` (`_asr.jobs.start` marks every write that
  starts an ASR job: item, plan, policy and mapping PUTs, PATCHes and DELETEs), is sent again here only after an
  answer that says it did not run: 429 (throttled by ARM, after its Retry-After) or 408. Any other error goes back
  to the caller, which looks for the job first and sends again only when the target shows nothing started. GETs and
  the idempotent PUTs of ARM resources (a vault) keep azure-core's retries.

* `ResendUnsentPolicy` (after the RetryPolicy): a request that could not be *sent* (connection refused or
  reset while connecting, e.g. while an endpoint restarts) is sent again, whatever its method. azure-core
  retries POST and PATCH on no transport error, because it cannot tell a request that never left from one
  whose answer was lost; ServiceRequestError is the first kind, so resending it duplicates nothing. A lost
  answer (ServiceResponseError) is left to the caller (`_asr.jobs.start` looks for the job it may have
  started).
* `FreshTokenPolicy` (the authentication policy): ARM answers 401 with ExpiredAuthenticationToken when it
  considers the token expired or revoked before the client does (clock skew, a token revoked by the
  service); azure-core then drops the token but the credential's cache hands the same one out again until
  its own expiry. This policy asks the credential once for a token issued from now on (a claims challenge
  on `nbf`, which bypasses the cache, as Continuous Access Evaluation does) and resends the request.
* `PacingPolicy` (per attempt, one per AzureClients: every client of a run shares the subscription's buckets): ARM
  throttles with token buckets per subscription (reads: 250, refilled 25 per second; writes and deletes: 200, 10 per
  second) and says in every answer how many requests remain (`x-ms-ratelimit-remaining-subscription-reads`, ...). When
  an answer says fewer than LOW remain, the next requests of that kind wait until the bucket has refilled to LOW,
  instead of meeting 429s (a 1,000-VM rerun reading its items 8 at a time met 84). A 429 that comes anyway is still
  waited out at its Retry-After by the RetryPolicy.
* `JournalPolicy` (per call, outside the retries): every write request (PUT, PATCH, POST, DELETE) that ARM did not
  refuse - answered below 400, answered with a gateway error (it may have run), or whose answer was lost after it was
  sent - goes into the run's write journal
  (`_journal.Journal`, method and path only), so that a failure says what was written before it.
"""

from __future__ import annotations

import json
import re
import threading
import time
from urllib.parse import urlparse

try:
    from azure.core.exceptions import ServiceRequestError
    from azure.core.pipeline.policies import HTTPPolicy, RetryPolicy
    from azure.mgmt.core.policies import ARMChallengeAuthenticationPolicy
except ImportError:  # reported by DrAsrModule through missing_required_lib
    HTTPPolicy = ARMChallengeAuthenticationPolicy = RetryPolicy = object
    ServiceRequestError = None

# azure-core's RetryPolicy as the clients get it: its default gives up after 3 answers that are errors
# (retry_status), i.e. within a 3-second 429 storm with Retry-After: 1; ARM throttling lasts longer.
RETRY = dict(retry_total=12, retry_status=10, retry_connect=5, retry_read=4, retry_backoff_max=30)
RESENDS = 5
BACKOFF = 0.5          # seconds, doubled per attempt: 0.5, 1, 2, 4, 8 (about 15 s in all)
REFRESH_CODES = ("ExpiredAuthenticationToken",)
_BEARER_ERROR = re.compile(r'\berror="([^"]*)"')
#: the context option (a keyword argument of an SDK call) of a request the pipeline must never send twice blindly
SEND_ONCE = "dr_asr_send_once"
#: methods never sent again after an answer that may mean they ran (ARM actions: failover, commit, reprotect, ...)
NOT_IDEMPOTENT = ("POST",)
#: answers after which a request certainly did not run: throttled by ARM (429), not read whole by the server (408)
NOT_RUN_STATUS = (408, 429)
#: answers to a write that may have run nevertheless (a gateway error: the resource provider may have done it)
MAYBE_RUN_STATUS = (500, 502, 503, 504)


class SendOnceRetryPolicy(RetryPolicy):
    """azure-core's RetryPolicy that never sends a POST, or a request marked SEND_ONCE, again after an answer that
    may mean it ran (see the module docstring); 429 and 408 are still waited out (Retry-After first)."""

    def configure_retries(self, options):
        once = bool(options.pop(SEND_ONCE, False))     # popped: the transport must not see it
        settings = super().configure_retries(options)
        settings[SEND_ONCE] = once
        return settings

    @staticmethod
    def send_once(settings, request):
        return bool(settings.get(SEND_ONCE)) or (request.method or "").upper() in NOT_IDEMPOTENT

    def _is_method_retryable(self, settings, request, response=None):
        if self.send_once(settings, request):
            # without a response: a transport error (a request that never left is ResendUnsentPolicy's)
            return response is not None and response.status_code in NOT_RUN_STATUS
        return super()._is_method_retryable(settings, request, response=response)

    def is_retry(self, settings, response):
        if self.send_once(settings, response.http_request):
            return response.http_response.status_code in NOT_RUN_STATUS
        return super().is_retry(settings, response)


class ResendUnsentPolicy(HTTPPolicy):
    """Send again, with backoff, a request that never reached the service."""

    def __init__(self, resends=RESENDS, backoff=BACKOFF, sleep=time.sleep):
        super().__init__()
        self.resends = resends
        self.backoff = backoff
        self._sleep = sleep

    def send(self, request):
        attempt = 0
        while True:
            try:
                return self.next.send(request)
            except ServiceRequestError:
                if attempt >= self.resends:
                    raise
                self._sleep(self.backoff * (2 ** attempt))
                attempt += 1


#: ARM's token buckets per subscription: refill per second of each kind (learn.microsoft.com/azure/azure-resource-manager/
#: management/request-limits-and-throttling, "Subscription and tenant limits": reads 250 / 25 per s, writes and deletes
#: 200 / 10 per s)
REFILL_PER_SECOND = {"reads": 25.0, "writes": 10.0, "deletes": 10.0}
_REMAINING = re.compile(r"^x-ms-ratelimit-remaining-(?:subscription|tenant)-(?:global-)?(reads|writes|deletes)$", re.I)


def request_kind(method):
    method = (method or "").upper()
    return "reads" if method in ("GET", "HEAD") else ("deletes" if method == "DELETE" else "writes")


def remaining_requests(headers):
    """{kind: the fewest requests ARM says remain} of an answer's x-ms-ratelimit-remaining-{subscription,tenant}-*
    headers (their -global- form too)."""
    out = {}
    for name, value in headers.items():
        match = _REMAINING.match(name)
        if match:
            try:
                left = int(value)
            except (TypeError, ValueError):
                continue
            kind = match.group(1).lower()
            out[kind] = min(left, out.get(kind, left))
    return out


class PacingPolicy(HTTPPolicy):
    """Keep LOW requests of each kind in ARM's bucket: after an answer saying fewer remain, the next requests of that
    kind wait the seconds the bucket takes to refill to LOW (at most MAX_WAIT); see the module docstring."""

    #: at least the requests a run has in flight at once (AsrVault.CONCURRENCY) and a few for its other threads
    LOW = 12
    MAX_WAIT = 10.0

    def __init__(self, sleep=time.sleep, clock=time.monotonic):
        super().__init__()
        self._sleep = sleep
        self._clock = clock
        self._lock = threading.Lock()
        self._not_before = {}

    def send(self, request):
        kind = request_kind(request.http_request.method)
        with self._lock:
            wait = self._not_before.get(kind, 0.0) - self._clock()
        if wait > 0:
            self._sleep(wait)
        response = self.next.send(request)
        for left_kind, left in remaining_requests(response.http_response.headers).items():
            if left < self.LOW:
                until = self._clock() + min(self.MAX_WAIT, (self.LOW - left) / REFILL_PER_SECOND[left_kind])
                with self._lock:
                    self._not_before[left_kind] = max(self._not_before.get(left_kind, 0.0), until)
        return response


WRITE_METHODS = ("PUT", "PATCH", "POST", "DELETE")


class JournalPolicy(HTTPPolicy):
    """Record the write requests ARM may have carried out in `journal` (anything with a `record(text)`): answered
    below 400, answered with a gateway error (MAYBE_RUN_STATUS), or whose answer was lost."""

    def __init__(self, journal):
        super().__init__()
        self.journal = journal

    def send(self, request):
        method = (request.http_request.method or "").upper()
        if method not in WRITE_METHODS or self.journal is None:
            return self.next.send(request)
        what = "%s %s" % (method, urlparse(request.http_request.url).path)
        try:
            response = self.next.send(request)
        except Exception as exc:  # pylint: disable=broad-except  # re-raised: only recorded here
            if ServiceRequestError is None or not isinstance(exc, ServiceRequestError):   # it may have been carried out
                self.journal.record(what + " (answer lost)")
            raise
        status = response.http_response.status_code
        if status < 400:
            self.journal.record(what)
        elif status in MAYBE_RUN_STATUS:
            self.journal.record("%s (answer %d)" % (what, status))
        return response


def challenge_error(headers):
    """The `error` parameter of a Bearer WWW-Authenticate challenge (invalid_token, ...), or None."""
    value = headers.get("WWW-Authenticate") or ""
    if not value.lower().startswith("bearer"):
        return None
    match = _BEARER_ERROR.search(value)
    return match.group(1) if match else None


def arm_error_code(http_response):
    """ARM's error code of a response body ({"error": {"code": ...}}), or None."""
    try:
        body = json.loads(http_response.text())
    except Exception:  # pylint: disable=broad-except  # no body, not JSON, a stream
        return None
    error = body.get("error") if isinstance(body, dict) else None
    return error.get("code") if isinstance(error, dict) else None


def nbf_claims(now=None):
    """A claims challenge for a token issued not before `now` (CAE's form)."""
    return json.dumps({"access_token": {"nbf": {"essential": True, "value": str(int(now if now is not None else time.time()))}}})


class FreshTokenPolicy(ARMChallengeAuthenticationPolicy):
    """ARM's challenge policy, plus one fresh token when ARM says the token has expired."""

    def on_challenge(self, request, response):
        if super().on_challenge(request, response):
            return True
        if challenge_error(response.http_response.headers) != "invalid_token":
            return False
        if arm_error_code(response.http_response) not in REFRESH_CODES:
            return False
        if request.context.get("dr_asr_fresh_token"):
            return False   # once per request: a fresh token refused again is a real authentication failure
        request.context["dr_asr_fresh_token"] = True
        self.authorize_request(request, *self._scopes, claims=nbf_claims())
        return True
