# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pipeline policies the management clients get on top of azure-core's (AzureClients.client).

* `RETRY`: the RetryPolicy settings (more answers with Retry-After are waited out than azure-core's 3).

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
* `JournalPolicy` (per call, outside the retries): every write request (PUT, PATCH, POST, DELETE) that ARM did not
  refuse - answered below 400, or whose answer was lost after it was sent - goes into the run's write journal
  (`_journal.Journal`, method and path only), so that a failure says what was written before it.
"""

from __future__ import annotations

import json
import re
import time
from urllib.parse import urlparse

try:
    from azure.core.exceptions import ServiceRequestError
    from azure.core.pipeline.policies import HTTPPolicy
    from azure.mgmt.core.policies import ARMChallengeAuthenticationPolicy
except ImportError:  # reported by DrAsrModule through missing_required_lib
    HTTPPolicy = ARMChallengeAuthenticationPolicy = object
    ServiceRequestError = None

# azure-core's RetryPolicy as the clients get it: its default gives up after 3 answers that are errors
# (retry_status), i.e. within a 3-second 429 storm with Retry-After: 1; ARM throttling lasts longer.
RETRY = dict(retry_total=12, retry_status=10, retry_connect=5, retry_read=4, retry_backoff_max=30)
RESENDS = 5
BACKOFF = 0.5          # seconds, doubled per attempt: 0.5, 1, 2, 4, 8 (about 15 s in all)
REFRESH_CODES = ("ExpiredAuthenticationToken",)
_BEARER_ERROR = re.compile(r'\berror="([^"]*)"')


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


WRITE_METHODS = ("PUT", "PATCH", "POST", "DELETE")


class JournalPolicy(HTTPPolicy):
    """Record the write requests ARM may have carried out in `journal` (anything with a `record(text)`)."""

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
        if response.http_response.status_code < 400:
            self.journal.record(what)
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
