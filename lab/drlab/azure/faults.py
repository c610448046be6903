"""Fault injection: latency, 5xx errors, throttle storms and dropped connections.

A rule (all keys optional):

    {"name": "flaky-gets",
     "match": {"method": "GET",                # or a list; default: any method
               "path_regex": "/resourcegroups/",  # re.search, case-insensitive, on the URL path
               "kinds": ["arm"]},              # arm (default), identity, metadata, blob
     "probability": 1.0,                       # chance the rule fires on a matching request
     "count": 2,                               # fire at most N times, then the rule is spent
     "latency_ms": [50, 200],                  # sleep before answering (a number or [min, max])
     "error_rate": 0.1,                        # chance of a 5xx in ARM's envelope
     "error_statuses": [500, 502, 503],        # which 5xx to pick from
     "retry_after": null,                      # Retry-After seconds on injected errors (none by default)
     "error_phase": "request",                 # the error replaces the request (default: nothing runs), or
                                               # "response": the request runs (its effects stay, a job starts) and
                                               # the error replaces its answer (a gateway error after the work)
     "drop_rate": 0.05,                        # chance of closing the connection without an answer
     "drop_phase": "request",                  # drop before the request runs (default), or "response":
                                               # the request runs (and its effects stay), the answer is lost
     "throttle_storm": {"seconds": 5, "retry_after": 1}}  # 429 to every match for N real seconds,
                                                           # starting at the rule's first firing

The first rule that matches and fires decides; a firing counts against `count` only when it did
something (latency, error, drop or storm). `seed` makes the random choices reproducible.
"""
import random
import re
import threading
import time

ERROR_CODES = {500: ("InternalServerError", "Encountered internal server error. Diagnostic information: "
                                            "timestamp '%s', subscription id '%s', tracking id '%s', request "
                                            "correlation id '%s'."),
               502: ("BadGateway", "The gateway did not receive a response from the resource provider within "
                                   "the specified time period."),
               503: ("ServiceUnavailable", "The service is temporarily unavailable. Please try again later."),
               504: ("GatewayTimeout", "The gateway did not receive a response from 'Microsoft.Resources' "
                                       "within the specified time period.")}


class FaultAction:
    __slots__ = ("rule", "latency", "kind", "status", "code", "message", "retry_after")

    def __init__(self, rule, latency=0.0, kind=None, status=None, code=None, message=None, retry_after=None):
        self.rule = rule
        self.latency = latency
        self.kind = kind            # None (latency only) | "error" | "error_response" | "drop" | "drop_response"
        #                             | "storm"
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after


class _Rule:
    def __init__(self, spec, index):
        if not isinstance(spec, dict):
            raise ValueError("a fault rule must be an object")
        self.spec = spec
        self.name = spec.get("name") or "rule-%d" % index
        match = spec.get("match") or {}
        methods = match.get("method") or match.get("methods")
        if isinstance(methods, str):
            methods = [methods]
        self.methods = {m.upper() for m in methods} if methods else None
        self.path_re = re.compile(match["path_regex"], re.I) if match.get("path_regex") else None
        kinds = match.get("kinds") or ["arm"]
        self.kinds = {k.lower() for k in ([kinds] if isinstance(kinds, str) else kinds)}
        self.probability = float(spec.get("probability", 1.0))
        self.remaining = spec.get("count")
        if self.remaining is not None:
            self.remaining = int(self.remaining)
        lat = spec.get("latency_ms")
        if lat is None:
            self.latency = None
        elif isinstance(lat, (int, float)):
            self.latency = (float(lat), float(lat))
        else:
            self.latency = (float(lat[0]), float(lat[1]))
        self.error_rate = float(spec.get("error_rate", 0.0))
        self.error_statuses = [int(s) for s in spec.get("error_statuses", [500, 502, 503])]
        for s in self.error_statuses:
            if s not in ERROR_CODES:
                raise ValueError("error_statuses: %s is not one of %s" % (s, sorted(ERROR_CODES)))
        self.retry_after = spec.get("retry_after")
        self.error_phase = spec.get("error_phase", "request")
        if self.error_phase not in ("request", "response"):
            raise ValueError("error_phase: 'request' or 'response', not %r" % (self.error_phase,))
        self.drop_rate = float(spec.get("drop_rate", 0.0))
        self.drop_phase = spec.get("drop_phase", "request")
        if self.drop_phase not in ("request", "response"):
            raise ValueError("drop_phase: 'request' or 'response', not %r" % (self.drop_phase,))
        storm = spec.get("throttle_storm")
        self.storm = None
        if storm:
            self.storm = (float(storm.get("seconds", 10)), int(storm.get("retry_after", 1)))
        self.storm_until = None
        self.hits = 0
        self.matched = 0

    def matches(self, method, path, kind):
        if kind not in self.kinds:
            return False
        if self.methods and method.upper() not in self.methods:
            return False
        if self.path_re and not self.path_re.search(path):
            return False
        return True

    def state(self):
        d = dict(self.spec)
        d.update({"name": self.name, "remaining": self.remaining, "hits": self.hits, "matched": self.matched})
        if self.storm_until:
            d["storm_until_epoch"] = self.storm_until
        return d


class FaultInjector:
    def __init__(self, rules=None, seed=None, clock=time.time):
        self._lock = threading.Lock()
        self._clock = clock
        self.set_rules(rules or [], seed)

    def set_rules(self, rules, seed=None):
        compiled = [_Rule(r, i) for i, r in enumerate(rules)]
        with self._lock:
            self._rules = compiled
            self.seed = seed
            self._rng = random.Random(seed)

    def add_rules(self, rules):
        with self._lock:
            start = len(self._rules)
            self._rules.extend(_Rule(r, start + i) for i, r in enumerate(rules))

    def clear(self):
        self.set_rules([], None)

    def state(self):
        with self._lock:
            return {"seed": self.seed, "rules": [r.state() for r in self._rules]}

    def decide(self, method, path, kind, tracking=("", "", "")):
        """The fault to apply to a request, or None."""
        with self._lock:
            if not self._rules:
                return None
            now = self._clock()
            for rule in self._rules:
                if rule.remaining is not None and rule.remaining <= 0:
                    continue
                if not rule.matches(method, path, kind):
                    continue
                rule.matched += 1
                if rule.probability < 1.0 and self._rng.random() >= rule.probability:
                    continue
                action = FaultAction(rule.name)
                if rule.latency:
                    lo, hi = rule.latency
                    action.latency = self._rng.uniform(lo, hi) / 1000.0
                if rule.storm:
                    if rule.storm_until is None:
                        rule.storm_until = now + rule.storm[0]
                    if now < rule.storm_until:
                        action.kind = "storm"
                        action.status = 429
                        action.retry_after = rule.storm[1]
                if action.kind is None and rule.drop_rate > 0 and self._rng.random() < rule.drop_rate:
                    action.kind = "drop" if rule.drop_phase == "request" else "drop_response"
                if action.kind is None and rule.error_rate > 0 and self._rng.random() < rule.error_rate:
                    status = self._rng.choice(rule.error_statuses)
                    code, msg = ERROR_CODES[status]
                    if "%s" in msg:
                        msg = msg % ((time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(now)),) + tuple(tracking))
                    action.kind = "error" if rule.error_phase == "request" else "error_response"
                    action.status, action.code, action.message = status, code, msg
                    action.retry_after = rule.retry_after
                if action.kind is None and not action.latency:
                    continue
                rule.hits += 1
                if rule.remaining is not None:
                    rule.remaining -= 1
                return action
            return None
