"""ARM request throttling: the token-bucket algorithm, per subscription and per tenant.

Microsoft's documented defaults (learn.microsoft.com, "Understand how Azure Resource Manager
throttles requests", token bucket algorithm), per principal scope:

    reads    bucket 250, refill 25 per second
    writes   bucket 200, refill 10 per second
    deletes  bucket 200, refill 10 per second

A request takes one token from its subscription's bucket (when the URL names a subscription) and
one from its tenant's bucket. When a bucket is empty, ARM answers 429 with `Retry-After` (the
seconds until a token is back) and `SubscriptionRequestsThrottled` / `TenantRequestsThrottled`.
Every answer carries `x-ms-ratelimit-remaining-subscription-{reads,writes,deletes}` (or the
`-tenant-` form for tenant-level requests). Real time, not lab time.
"""
import copy
import math
import threading
import time

KINDS = ("reads", "writes", "deletes")
DEFAULTS = {
    "enabled": True,
    "subscription": {"reads": {"capacity": 250, "refill_per_second": 25},
                     "writes": {"capacity": 200, "refill_per_second": 10},
                     "deletes": {"capacity": 200, "refill_per_second": 10}},
    "tenant": {"reads": {"capacity": 250, "refill_per_second": 25},
               "writes": {"capacity": 200, "refill_per_second": 10},
               "deletes": {"capacity": 200, "refill_per_second": 10}},
}
_SINGULAR = {"reads": "read", "writes": "write", "deletes": "delete"}


def kind_of(method):
    method = method.upper()
    if method in ("GET", "HEAD", "OPTIONS"):
        return "reads"
    if method == "DELETE":
        return "deletes"
    return "writes"


class TokenBucket:
    def __init__(self, capacity, refill_per_second, now):
        self.capacity = float(capacity)
        self.refill = float(refill_per_second)
        self.tokens = float(capacity)
        self.stamp = now

    def _fill(self, now):
        if now > self.stamp:
            self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.refill)
        self.stamp = now

    def peek(self, now):
        self._fill(now)
        return self.tokens

    def wait_for_one(self, now):
        self._fill(now)
        if self.tokens >= 1:
            return 0.0
        if self.refill <= 0:
            return 3600.0
        return (1 - self.tokens) / self.refill


def _merge(base, override):
    out = copy.deepcopy(base)
    for k, v in (override or {}).items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = v
    return out


class Decision:
    __slots__ = ("allowed", "headers", "retry_after", "scope", "kind", "scope_id")

    def __init__(self, allowed, headers, retry_after=0, scope=None, kind=None, scope_id=None):
        self.allowed = allowed
        self.headers = headers
        self.retry_after = retry_after
        self.scope = scope
        self.kind = kind
        self.scope_id = scope_id

    def error_message(self, actor):
        kind = _SINGULAR[self.kind]
        if self.scope == "subscription":
            return ("Number of '%s' requests for subscription '%s' actor '%s' exceeded. Please try again after "
                    "'%d' seconds after additional tokens are available. Refer to https://aka.ms/arm-throttling "
                    "for additional information." % (kind, self.scope_id, actor, self.retry_after))
        return ("Number of '%s' requests for tenant '%s' exceeded. Please try again after '%d' seconds after "
                "additional tokens are available. Refer to https://aka.ms/arm-throttling for additional "
                "information." % (kind, self.scope_id, self.retry_after))

    @property
    def code(self):
        return "SubscriptionRequestsThrottled" if self.scope == "subscription" else "TenantRequestsThrottled"


class Throttler:
    def __init__(self, config=None, clock=time.monotonic):
        self._clock = clock
        self._lock = threading.Lock()
        self.configure(config)
        self.throttled = 0

    def configure(self, config=None, merge=False):
        """Replace (or, with merge, update) the limits; all buckets start full again."""
        with self._lock:
            base = self.config if merge and hasattr(self, "config") else DEFAULTS
            self.config = _merge(base, config or {})
            self._buckets = {}

    def _bucket(self, scope, scope_id, kind, now):
        key = (scope, scope_id.lower(), kind)
        b = self._buckets.get(key)
        if b is None:
            limits = self.config[scope][kind]
            b = self._buckets[key] = TokenBucket(limits["capacity"], limits["refill_per_second"], now)
        return b

    def check(self, method, subscription_id, tenant_id):
        """Take a token for a request; returns a Decision (headers to send either way)."""
        kind = kind_of(method)
        now = self._clock()
        with self._lock:
            scopes = []
            if subscription_id:
                scopes.append(("subscription", subscription_id))
            if tenant_id:
                scopes.append(("tenant", tenant_id))
            if not self.config.get("enabled", True):
                return Decision(True, self._headers(scopes, kind, now, enabled=False))
            buckets = [(scope, sid, self._bucket(scope, sid, kind, now)) for scope, sid in scopes]
            for scope, sid, b in buckets:
                wait = b.wait_for_one(now)
                if wait > 0:
                    self.throttled += 1
                    retry = max(1, int(math.ceil(wait)))
                    return Decision(False, self._headers(scopes, kind, now), retry, scope, kind, sid)
            for entry in buckets:
                b = entry[2]
                b.tokens -= 1
            return Decision(True, self._headers(scopes, kind, now))

    def _headers(self, scopes, kind, now, enabled=True):
        headers = {}
        # ARM sends the subscription header for subscription requests, the tenant one otherwise
        if not scopes:
            return headers
        scope, sid = scopes[0]
        if enabled:
            remaining = int(self._bucket(scope, sid, kind, now).peek(now))
        else:
            remaining = int(self.config[scope][kind]["capacity"])
        headers["x-ms-ratelimit-remaining-%s-%s" % (scope, kind)] = str(max(0, remaining))
        return headers

    def state(self):
        now = self._clock()
        with self._lock:
            buckets = [{"scope": s, "id": sid, "kind": k, "tokens": round(b.peek(now), 3),
                        "capacity": b.capacity, "refill_per_second": b.refill}
                       for (s, sid, k), b in sorted(self._buckets.items())]
            return {"config": copy.deepcopy(self.config), "buckets": buckets, "throttled": self.throttled}
