"""The HTTPS server of the Azure simulator and the request pipeline around the ARM engine.

    request -> /_lab admin (not logged)
            -> a storage account's Blob service (path /{account}/...: drlab/azure/blob.py): fault injection
               (rules of kind "blob"), its own authorization and errors (Azure Storage's XML), request log
            -> fault injection (latency, 5xx, throttle storm, dropped connection)
            -> identity (AAD) | metadata endpoint | ARM:
                 authentication (401) -> throttling (429) -> engine: api-version (400: missing, or
                 unknown for the request's type, apiversions.py) -> subscription -> routing
            -> common ARM headers, request log

TLS is served with the lab CA's certificate (drlab.ca.ensure_server_cert(settings.ca_dir, "azure")),
the handshake runs in the connection's thread. Python standard library only (plus cryptography for
the CA, PyYAML for the configuration file).
"""
import copy
import datetime
import logging
import os
import signal
import socket
import ssl
import sys
import threading
import time
import traceback
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from drlab import ca
from drlab.azure import background
from drlab.azure import config as configmod
from drlab.azure import metadata
from drlab.azure.admin import Admin
from drlab.azure.blob import BlobService
from drlab.azure.clock import LabClock, iso
from drlab.azure.engine import Engine
from drlab.azure.faults import FaultInjector
from drlab.azure.identity import Identity
from drlab.azure.reqlog import RequestLog
from drlab.azure.rp import ArmError
from drlab.azure.store import Store
from drlab.azure.throttle import Throttler
from drlab.azure.wire import Request, Response

LOG = logging.getLogger("drlab.azure")


def classify(path):
    """arm | identity | metadata | admin, from the URL path alone."""
    segs = [s.lower() for s in path.split("/") if s]
    if not segs:
        return "arm"
    if segs[0] == "_lab":
        return "admin"
    if segs[:2] == ["metadata", "endpoints"]:
        return "metadata"
    if segs in (["metadata", "identity", "oauth2", "token"], ["msi", "token"]):
        return "identity"      # managed identity: IMDS and the App Service identity endpoint
    if segs[0] in ("subscriptions", "providers", "tenants"):
        return "arm"
    if len(segs) >= 2 and segs[1] in ("v2.0", ".well-known", "oauth2", "discovery"):
        return "identity"
    return "arm"


class App:
    """Everything a request needs: settings, configuration, store, clock, engine and its helpers."""

    def __init__(self, settings, config, state_dir, base_url):
        self.settings = settings
        self.startup_config = copy.deepcopy(config)
        self.config = copy.deepcopy(config)
        self.base_url = base_url.rstrip("/")
        self.pid = os.getpid()
        self.started = time.time()
        self.store = Store(os.path.join(state_dir, "azure", "state.db"))
        self.store.prune_operations(time.time() - 7 * 86400)   # finished a week ago: nobody polls them
        saved = self.store.meta_get("clock") or {}
        self.clock = LabClock(saved.get("time_scale", config["time_scale"]), saved.get("anchor_real"),
                              saved.get("anchor_lab"), on_change=self._save_clock)
        self.clock.set_scale(config["time_scale"])     # the configured scale applies from now on
        self.identity = Identity(self)
        self.throttle = Throttler(config["throttle"])
        self.faults = FaultInjector(config["faults"].get("rules") or [], config["faults"].get("seed"))
        self.reqlog = RequestLog(config["request_log"]["max_entries"])
        self.engine = Engine(self)
        self.admin = Admin(self)
        self.blob = BlobService(self)

    def _save_clock(self, clock):
        self.store.meta_set("clock", {"anchor_real": clock.anchor_real, "anchor_lab": clock.anchor_lab,
                                      "time_scale": clock.time_scale})
        advancer = getattr(getattr(self, "engine", None), "advancer", None)
        if advancer is not None:        # work may be due now (advance_seconds) or later (another time scale)
            advancer.wake()

    def restore_runtime_config(self):
        """Runtime configuration and the clock's time scale back to their startup values."""
        keep = {k: self.config[k] for k in self.config if k not in configmod.RUNTIME_KEYS}
        self.config.clear()
        self.config.update(copy.deepcopy(self.startup_config))
        self.config.update(keep)
        if self.clock.time_scale != float(self.startup_config["time_scale"]):
            self.clock.set_scale(self.startup_config["time_scale"])

    def public_config(self):
        out = copy.deepcopy(self.config)
        out["throttle"] = self.throttle.state()["config"]
        out["faults"] = self.faults.state()
        out["time_scale"] = self.clock.time_scale
        out["identity"] = {"tenant_id": self.settings.tenant_id, "client_id": self.settings.client_id,
                           "subscription_ids": sorted(self.engine.subscriptions),
                           "authority": self.base_url, "audiences": self.identity.audiences()}
        out["identity"].update(self.identity.public())
        out["locations"] = self.engine.locations
        out["state_db"] = self.store.path
        return out

    def close(self):
        self.store.close()

    # -- the pipeline ---------------------------------------------------------------------------
    def dispatch(self, req):
        kind = classify(req.path)
        if kind == "admin":
            return self.admin.handle(req)
        account = self.blob.account_for(req)
        if account is not None:
            return self._blob(req, account)
        req.kind = kind
        started = time.monotonic()
        request_id = str(uuid.uuid4())
        correlation = req.headers.get("x-ms-correlation-request-id") or str(uuid.uuid4())
        resp = None
        drop_response = False
        late_error = None
        try:
            resp = self._faulted(req, kind, (request_id, correlation))
            drop_response = resp is Response.DROP and req.fault == "drop_response"
            late_error = resp if req.fault == "error_response" else None
            if drop_response or late_error is not None:
                resp = None
            if resp is None:
                if kind == "identity":
                    resp = self.identity.route(req)
                elif kind == "metadata":
                    resp = metadata.route(self, req)
                if resp is None:
                    req.kind = "arm" if req.kind in (None, "identity", "metadata") else req.kind
                    resp = self._arm(req)
        except ArmError as e:
            resp = Response(e.status, e.envelope(), e.headers)
        except Exception:
            LOG.error("unhandled error on %s %s:\n%s", req.method, req.path, traceback.format_exc())
            resp = Response(500, {"error": {"code": "InternalServerError",
                                            "message": "Encountered internal server error. Diagnostic information: "
                                                       "tracking id '%s', request correlation id '%s'."
                                                       % (request_id, correlation)}})
        if drop_response:       # the request ran; its answer is lost on the way back
            resp = Response.DROP
        elif late_error is not None:    # the request ran; a gateway error replaces its answer
            resp = late_error
        if resp is not Response.DROP and req.kind not in ("identity",):
            self._arm_headers(req, resp, request_id, correlation)
        self._log(req, resp, started, request_id, correlation)
        return resp

    def _blob(self, req, account):
        """A request for a storage account's Blob service: faults of kind "blob", the service, the request log."""
        req.kind = "blob"
        started = time.monotonic()
        request_id = str(uuid.uuid4())
        resp = self._faulted(req, "blob", (request_id, request_id))
        drop_response = resp is Response.DROP and req.fault == "drop_response"
        late_error = resp if req.fault == "error_response" else None
        if resp is not None and not drop_response and late_error is None and resp is not Response.DROP:
            resp = self.blob.fault_response(req, resp, request_id)
        elif resp is None or drop_response or late_error is not None:
            try:
                resp = self.blob.handle(req, account, request_id)
            except Exception:
                LOG.error("unhandled error on %s %s:\n%s", req.method, req.path, traceback.format_exc())
                resp = self.blob.internal_error(req, request_id)
            if drop_response:
                resp = Response.DROP
            elif late_error is not None:
                resp = self.blob.fault_response(req, late_error, request_id)
        self._log(req, resp, started, request_id, req.headers.get("x-ms-client-request-id") or request_id)
        return resp

    def _faulted(self, req, kind, tracking):
        sub = ""
        segs = [s for s in req.path.split("/") if s]
        if len(segs) >= 2 and segs[0].lower() == "subscriptions":
            sub = segs[1]
        action = self.faults.decide(req.method, req.path, kind, (sub,) + tracking)
        if action is None:
            return None
        req.fault = action.kind or "latency"
        if action.latency:
            time.sleep(action.latency)
        if action.kind in ("drop", "drop_response"):
            return Response.DROP
        if action.kind == "storm":
            return Response(429, {"error": {"code": "SubscriptionRequestsThrottled" if sub else
                                            "TenantRequestsThrottled",
                                            "message": "Number of requests for %s '%s' exceeded the limit. Please "
                                                       "try again after '%d' seconds. Refer to "
                                                       "https://aka.ms/arm-throttling for additional information."
                                                       % ("subscription" if sub else "tenant",
                                                          sub or self.settings.tenant_id, action.retry_after)}},
                            {"Retry-After": str(action.retry_after)})
        if action.kind in ("error", "error_response"):
            headers = {"Retry-After": str(action.retry_after)} if action.retry_after else {}
            return Response(action.status, {"error": {"code": action.code, "message": action.message}}, headers)
        return None

    def _arm(self, req):
        req.principal = self.identity.authenticate(req)
        segs = [s for s in req.path.split("/") if s]
        sub = segs[1] if len(segs) >= 2 and segs[0].lower() == "subscriptions" else None
        decision = self.throttle.check(req.method, sub, req.principal.get("tenant_id"))
        if not decision.allowed:
            req.fault = "throttled"
            headers = dict(decision.headers)
            headers["Retry-After"] = str(decision.retry_after)
            return Response(429, {"error": {"code": decision.code,
                                            "message": decision.error_message(req.principal.get("object_id"))}},
                            headers)
        try:
            resp = self.engine.handle(req)      # api-version first (engine.check_api_version), then routing
        except ArmError as e:
            resp = Response(e.status, e.envelope(), e.headers)
        for k, v in decision.headers.items():
            resp.headers.setdefault(k, v)
        return resp

    def _arm_headers(self, req, resp, request_id, correlation):
        h = resp.headers
        h.setdefault("x-ms-request-id", request_id)
        h.setdefault("x-ms-correlation-request-id", correlation)
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        h.setdefault("x-ms-routing-request-id", "DRLAB:%s:%s" % (stamp, correlation))
        client_id = req.headers.get("x-ms-client-request-id")
        if client_id and (req.headers.get("x-ms-return-client-request-id") or "true").lower() != "false":
            h.setdefault("x-ms-client-request-id", client_id)
        h.setdefault("Cache-Control", "no-cache")
        h.setdefault("Pragma", "no-cache")
        h.setdefault("Expires", "-1")
        h.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        h.setdefault("X-Content-Type-Options", "nosniff")

    def _log(self, req, resp, started, request_id, correlation):
        status = 0 if resp is Response.DROP else resp.status
        now = time.time()
        entry = {"time": iso(now), "epoch": now, "lab_time": self.clock.now_iso(), "method": req.method,
                 "path": req.path, "kind": req.kind, "resource_type": req.resource_type,
                 "api_version": req.query.get("api-version"), "status": status,
                 "duration_ms": round((time.monotonic() - started) * 1000.0, 3),
                 "client_request_id": req.headers.get("x-ms-client-request-id") or req.headers.get("client-request-id"),
                 "correlation_id": correlation, "request_id": request_id,
                 "user_agent": req.headers.get("User-Agent"), "fault": req.fault}
        self.reqlog.record(entry)
        if self.config.get("log_requests"):
            LOG.info("%s %s -> %s (%.1f ms)%s", req.method, req.path, status or "dropped", entry["duration_ms"],
                     " [%s]" % req.fault if req.fault else "")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "drlab-azure/1.0"

    def version_string(self):
        return getattr(self, "_server_name", None) or self.server_version
    timeout = 120   # idle keep-alive connections

    def _read_body(self):
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if te == "chunked":
            chunks = []
            while True:
                line = self.rfile.readline(65537)
                size = int(line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline(65537)
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _handle(self):
        try:
            body = self._read_body()
        except (ValueError, OSError):
            self.close_connection = True
            return
        req = Request(self.command, self.path, list(self.headers.items()), body, self.client_address)
        resp = self.server.app.dispatch(req)
        if resp is Response.DROP:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        payload = resp.payload()
        self._server_name = getattr(resp, "server", None)      # the Blob service answers as Azure Storage
        self.send_response(resp.status)
        for k, v in resp.headers.items():
            self.send_header(k, str(v))
        if payload and "Content-Type" not in resp.headers:
            self.send_header("Content-Type", resp.content_type)
        if "Content-Length" not in resp.headers:        # a HEAD of a blob says its size
            self.send_header("Content-Length", "0" if self.command == "HEAD" else str(len(payload)))
        self.end_headers()
        if payload and self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_PUT = do_POST = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle

    def log_message(self, fmt, *args):  # the App logs requests (without secrets)
        pass


class TLSServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address, ssl_context):
        self.ssl_context = ssl_context
        self.app = None
        super().__init__(address, Handler)

    def finish_request(self, request, client_address):
        request.settimeout(30)
        # headers and body go out in separate writes: without NODELAY, Nagle + delayed ACK cost 40 ms
        request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            tls = self.ssl_context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        try:
            self.RequestHandlerClass(tls, client_address, self)
        except (ConnectionError, ssl.SSLError, socket.timeout):
            pass
        finally:
            try:
                tls.close()
            except OSError:
                pass

    def handle_error(self, request, client_address):
        LOG.debug("connection error from %s: %s", client_address, sys.exc_info()[1])


def make_ssl_context(settings, host="127.0.0.1"):
    cert, key = ca.ensure_server_cert(settings.ca_dir, "azure", tuple(dict.fromkeys((host, "127.0.0.1", "localhost"))))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(cert, key)
    return ctx


def serve(settings, state_dir, host, port, config_path=None, ready_stream=sys.stdout):
    """Run until SIGTERM/SIGINT. Prints `AZURE-SIM READY <url>` once listening."""
    cfg = configmod.load(config_path)
    server = TLSServer((host, port), make_ssl_context(settings, host))
    bound_port = server.server_address[1]
    url = "https://%s:%d" % (host, bound_port)
    try:
        app = App(settings, cfg, state_dir, url)     # loads the resource providers: ProviderError stops here
    except BaseException:
        server.server_close()
        raise
    server.app = app
    app.engine.advancer = background.Advancer(app).start()     # due lab work done between requests
    stopping = threading.Event()

    def stop(signum, frame):
        if not stopping.is_set():
            stopping.set()
            threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    LOG.info("Azure simulator on %s (state %s, %d resource types)", url, app.store.path, len(app.engine.types))
    print("AZURE-SIM READY %s" % url, file=ready_stream, flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        app.engine.advancer.stop()
        with app.store.lock:
            app.close()
        LOG.info("Azure simulator stopped")
    return 0
