"""The lab's admin API under `/_lab/` (no authentication: loopback only; not recorded in the log).

    GET    /_lab/health                     status, uptime, lab time, counts
    GET    /_lab/config                     effective configuration (no secrets)
    PATCH  /_lab/config                     change retry_after, page_size, token_lifetime_seconds,
                                            durations, log_requests, asr at runtime
    DELETE /_lab/config                     runtime config and time scale back to the startup values
    GET    /_lab/clock                      lab time, time scale
    POST   /_lab/clock                      {"advance_seconds": N} and/or {"time_scale": X}
    GET    /_lab/throttle                   limits and bucket levels
    PUT    /_lab/throttle                   replace the limits (merged over Microsoft's defaults)
    PATCH  /_lab/throttle                   change some limits ({"enabled": false}, ...)
    DELETE /_lab/throttle                   back to the startup limits; all buckets full
    GET    /_lab/faults                     rules with their hit counts
    PUT    /_lab/faults                     {"seed": 1, "rules": [...]} replace the rules
    POST   /_lab/faults                     {"rules": [...]} add rules
    DELETE /_lab/faults                     no faults
    GET    /_lab/requests                   the log (?since=&until=&method=&status=&resource_type=
                                            &kind=&path_regex=&client_request_id=&limit=)
    GET    /_lab/requests/summary           counts by method, resource type, status, kind, operation
    DELETE /_lab/requests                   empty the log and its counters
    GET    /_lab/resources                  stored resources (?type=&prefix=), bodies as stored
    GET    /_lab/operations                 long-running operations, newest first
    POST   /_lab/token                      {"lifetime_seconds": -60, "audience": ..., "tenant_id": ...} a
                                            token as the token endpoint would issue it (e.g. an expired
                                            one, or one of another tenant)
    POST   /_lab/identity/federated-token   {"subject", "audience", "lifetime_seconds", "issuer"} an assertion of
                                            the lab's OIDC issuer for workload identity federation (what a
                                            Kubernetes service account token file holds)
    DELETE /_lab/token                      revoke every token issued so far: ARM answers them 401
                                            ExpiredAuthenticationToken (clients still think them valid);
                                            short-lived tokens: PATCH /_lab/config token_lifetime_seconds
    POST   /_lab/reset                      wipe resources and operations (and the providers' own
                                            state: module hook on_reset(store)); {"all": true} also
                                            faults, throttle, request log and runtime config

Resource provider modules may add their own endpoints under `/_lab/` with a module-level
`ADMIN_ROUTES = [(method, path_regex, handler)]` (see drlab/azure/rp.py), e.g. the simulated ASR
replication appliance (`/_lab/appliance/...`).
"""
import re
import time

from drlab.azure import config as configmod
from drlab.azure.rp import ArmError
from drlab.azure.wire import Response


class AdminError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


def _bad(message, status=400):
    return AdminError(status, message)


class Admin:
    def __init__(self, app):
        self.app = app

    def handle(self, req):
        try:
            return self._dispatch(req)
        except AdminError as e:
            return Response(e.status, {"error": {"code": "BadRequest" if e.status == 400 else "NotFound",
                                                 "message": e.message}})
        except (ValueError, TypeError, KeyError) as e:
            return Response(400, {"error": {"code": "BadRequest", "message": "%s: %s" % (type(e).__name__, e)}})

    def _body(self, req):
        try:
            body = req.json()
        except ValueError as e:
            raise _bad("the body is not JSON: %s" % e)
        if body is None:
            return {}
        if not isinstance(body, dict):
            raise _bad("the body must be a JSON object")
        return body

    def _dispatch(self, req):
        parts = [p for p in req.path.split("/") if p][1:]
        name = "/".join(parts).lower()
        m = req.method
        app = self.app
        if name == "health" and m == "GET":
            with app.store.transaction():
                app.engine.complete_due()
            return Response(200, {"status": "ok", "url": app.base_url, "pid": app.pid,
                                  "uptime_seconds": round(time.time() - app.started, 3),
                                  "lab_time": app.clock.now_iso(), "time_scale": app.clock.time_scale,
                                  "resources": app.store.count_resources(),
                                  "pending_operations": len(app.store.pending_operations()),
                                  "providers": sorted(mod.__name__ for mod in app.engine.modules),
                                  "background": app.engine.advancer.state() if app.engine.advancer else None,
                                  "resource_types": sorted(rt.full_type for rt in app.engine.types.values())})
        if name == "config":
            if m == "GET":
                return Response(200, app.public_config())
            if m == "PATCH":
                body = self._body(req)
                unknown = [k for k in body if k not in configmod.RUNTIME_KEYS]
                if unknown:
                    raise _bad("not changeable at runtime: %s (allowed: %s; throttle, faults and the clock have "
                               "their own endpoints)" % (", ".join(unknown), ", ".join(configmod.RUNTIME_KEYS)))
                new = configmod.merge(app.config, body)
                configmod.validate(new)
                app.config.clear()
                app.config.update(new)
                return Response(200, app.public_config())
            if m == "DELETE":
                app.restore_runtime_config()
                return Response(200, app.public_config())
        if name == "clock":
            if m == "GET":
                return Response(200, app.clock.state())
            if m == "POST":
                body = self._body(req)
                if "time_scale" in body:
                    app.clock.set_scale(float(body["time_scale"]))
                if "advance_seconds" in body:
                    app.clock.advance(float(body["advance_seconds"]))
                with app.store.transaction():
                    app.engine.complete_due()
                return Response(200, app.clock.state())
        if name == "throttle":
            if m == "GET":
                return Response(200, app.throttle.state())
            if m in ("PUT", "PATCH"):
                app.throttle.configure(self._body(req), merge=(m == "PATCH"))
                return Response(200, app.throttle.state())
            if m == "DELETE":
                app.throttle.configure(app.startup_config["throttle"])
                return Response(200, app.throttle.state())
        if name == "faults":
            if m == "GET":
                return Response(200, app.faults.state())
            if m == "PUT":
                body = self._body(req)
                app.faults.set_rules(body.get("rules") or [], body.get("seed"))
                return Response(200, app.faults.state())
            if m == "POST":
                app.faults.add_rules(self._body(req).get("rules") or [])
                return Response(200, app.faults.state())
            if m == "DELETE":
                app.faults.clear()
                return Response(200, app.faults.state())
        if name == "requests":
            if m == "GET":
                q = req.query
                entries = app.reqlog.query(since=q.get("since"), until=q.get("until"), method=q.get("method"),
                                           status=q.get("status"), resource_type=q.get("resource_type"),
                                           kind=q.get("kind"), path_regex=q.get("path_regex"),
                                           client_request_id=q.get("client_request_id"), limit=q.get("limit"))
                return Response(200, {"value": entries, "count": len(entries)})
            if m == "DELETE":
                app.reqlog.reset()
                return Response(200, app.reqlog.summary())
        if name == "requests/summary" and m == "GET":
            return Response(200, app.reqlog.summary())
        if name == "resources" and m == "GET":
            with app.store.transaction():
                app.engine.complete_due()
            type_key = req.query.get("type")
            rows = app.store.list(type_key=type_key)
            prefix = (req.query.get("prefix") or "").lower()
            out = [{"id": r["id"], "type": app.engine.type_name(r["type_key"]), "body": r["body"]}
                   for r in rows if not prefix or r["key"].startswith(prefix)]
            return Response(200, {"value": out, "count": len(out)})
        if name == "operations" and m == "GET":
            ops = app.store.list_operations(int(req.query.get("limit") or 1000))
            return Response(200, {"value": ops, "count": len(ops)})
        if name == "token" and m == "POST":
            body = self._body(req)
            aud = body.get("audience") or app.config["audiences"][0]
            lifetime = int(body.get("lifetime_seconds", app.config["token_lifetime_seconds"]))
            return Response(200, {"access_token": app.identity.issue(aud, lifetime, tenant_id=body.get("tenant_id")),
                                  "token_type": "Bearer", "expires_on": int(time.time()) + lifetime})
        if name == "identity/federated-token" and m == "POST":
            body = self._body(req)
            return Response(200, {"token": app.identity.federated_token(
                subject=body.get("subject"), audience=body.get("audience"),
                lifetime=int(body.get("lifetime_seconds", 3600)), issuer=body.get("issuer"))})
        if name == "token" and m == "DELETE":
            return Response(200, {"revoked": True, "generation": app.identity.revoke()})
        if name == "reset" and m == "POST":
            body = self._body(req)
            with app.store.transaction():
                app.store.wipe()
                for module in app.engine.modules:      # providers' own state outside the resources
                    hook = getattr(module, "on_reset", None)
                    if hook is not None:
                        hook(app.store)
            if body.get("all"):
                app.faults.set_rules(app.startup_config["faults"].get("rules") or [],
                                     app.startup_config["faults"].get("seed"))
                app.throttle.configure(app.startup_config["throttle"])
                app.reqlog.reset()
                app.restore_runtime_config()
            return Response(200, {"status": "reset", "all": bool(body.get("all"))})
        routed = self._provider_route(req, "/".join(parts))
        if routed is not None:
            return routed
        raise AdminError(404, "no admin endpoint %s %s" % (m, req.path))

    def _provider_route(self, req, name):
        """An `ADMIN_ROUTES` entry of a provider module matching the request, run in a transaction."""
        for module in self.app.engine.modules:
            for method, pattern, handler in getattr(module, "ADMIN_ROUTES", None) or []:
                match = re.fullmatch(pattern, name, re.I)
                if method.upper() != req.method or match is None:
                    continue
                body = self._body(req) if req.method in ("PUT", "POST", "PATCH") else None
                engine = self.app.engine
                try:
                    with self.app.store.transaction():
                        engine.complete_due()
                        ctx = engine.admin_context(req)
                        engine.before_request(ctx, req)
                        out = handler(ctx, match, body)
                except ArmError as e:
                    return Response(e.status, e.envelope(), e.headers)
                return Response(out[0], out[1])
        return None
