"""The ARM engine: authentication, throttling, routing, the resource store, long-running operations.

It knows nothing about vaults or NICs: resource providers (drlab.azure.providers) declare
`ResourceType`s and `ROUTES`; see drlab/azure/rp.py for the contract. ARM's behaviour that does not
depend on the resource type lives here: case-insensitive ids, the error envelope, api-version,
paging with `nextLink`, HEAD, the LRO headers and polling endpoints (status URL for
`Azure-AsyncOperation`, result URL for `Location`), durations in lab time, the api-versions of
every type (apiversions.py) and tags as an extension resource on any scope (tags.py).
"""
import base64
import bisect
import cProfile
import inspect
import json
import logging
import os
import pstats
import re
import threading
import time
import traceback
import uuid
from urllib.parse import urlencode

from drlab.azure import apiversions, ids, lro, tags
from drlab.azure.rp import ArmError, LroStyle, Paged, ResourceType, not_found
from drlab.azure.wire import Response

LOG = logging.getLogger("drlab.azure.engine")

#: DRLAB_AZURE_PROFILE=<file>: the simulator's slow requests and background slices (over DRLAB_AZURE_PROFILE_MIN_S
#: real seconds, default 1) profiled (Engine.handle, Engine.background_slice; cProfile): their stats summed in <file>,
#: one line per request or slice in <file>.slow
_PROFILE_PATH = os.environ.get("DRLAB_AZURE_PROFILE") or None
_PROFILE_MIN_S = float(os.environ.get("DRLAB_AZURE_PROFILE_MIN_S") or 1.0)
_PROFILE_STATS = []


def _profiled(label, fn, *args):
    """fn(*args) profiled; a slow one's stats are added to DRLAB_AZURE_PROFILE (a measuring aid), `label` to its
    .slow lines."""
    profile = cProfile.Profile()
    started = time.monotonic()
    profile.enable()
    try:
        return fn(*args)
    finally:
        profile.disable()
        took = time.monotonic() - started
        if took >= _PROFILE_MIN_S:
            try:
                if not _PROFILE_STATS:
                    _PROFILE_STATS.append(pstats.Stats(profile))
                else:
                    _PROFILE_STATS[0].add(profile)
                _PROFILE_STATS[0].dump_stats(_PROFILE_PATH)
                with open(_PROFILE_PATH + ".slow", "a", encoding="utf-8") as out:
                    out.write("%.3f %s\n" % (took, label))
            except OSError:
                LOG.warning("could not write the profile to %s", _PROFILE_PATH)


#: fallback regions when providers/catalog.py is not there
_FALLBACK_REGIONS = {"westeurope": "West Europe", "northeurope": "North Europe", "eastus": "East US",
                     "eastus2": "East US 2", "westus2": "West US 2", "uksouth": "UK South",
                     "francecentral": "France Central", "germanywestcentral": "Germany West Central"}


def _regions(config):
    configured = config.get("locations") or []
    if configured:
        out = {}
        for loc in configured:
            if isinstance(loc, dict):
                out[loc["name"].lower()] = loc.get("display_name") or loc["name"]
            else:
                out[str(loc).replace(" ", "").lower()] = str(loc)
        return out
    try:
        from drlab.azure.providers import catalog
        return {name: display for name, (display, _zones) in catalog.REGIONS.items()}
    except Exception:  # pragma: no cover - catalog is another engineer's module
        return dict(_FALLBACK_REGIONS)


def _subscriptions(app):
    subs = {}
    for s in app.config.get("subscriptions") or []:
        sid = s["subscription_id"] if isinstance(s, dict) else str(s)
        subs[sid.lower()] = {"subscriptionId": sid.lower(),
                             "displayName": (s.get("display_name") if isinstance(s, dict) else None) or "dr.asr lab",
                             "tenantId": (s.get("tenant_id") if isinstance(s, dict) else None) or app.settings.tenant_id,
                             "state": (s.get("state") if isinstance(s, dict) else None) or "Enabled"}
    if not subs:
        sid = app.settings.subscription_id.lower()
        subs[sid] = {"subscriptionId": sid, "displayName": "dr.asr lab", "tenantId": app.settings.tenant_id,
                     "state": "Enabled"}
    return subs


def _in_progress_state(stored, state):
    props = stored.get("properties")
    if isinstance(props, dict) and props.get("provisioningState") in (None, "Succeeded"):
        props["provisioningState"] = state


def item_key(item):
    """The sort and anchor key of a list item: its case-folded id (else name, else its JSON)."""
    if isinstance(item, dict):
        for field in ("id", "name"):
            value = item.get(field)
            if isinstance(value, str) and value:
                return value.casefold()
    return json.dumps(item, sort_keys=True, default=str).casefold()


def _unique_keys(items):
    """item_key of each item, made unique (a repeated key gets its occurrence number appended)."""
    seen = {}
    out = []
    for item in items:
        key = item_key(item)
        n = seen.get(key, 0)
        seen[key] = n + 1
        out.append(key if n == 0 else "%s\x00%d" % (key, n))
    return out


def _encode_skiptoken(anchor, offset):
    """Opaque: the key of the last item returned (the anchor) and, as a fallback, the next offset."""
    data = json.dumps({"k": anchor, "o": offset}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _decode_skiptoken(token):
    """(anchor key or None, offset) of a $skiptoken; 400 InvalidSkipToken for anything else."""
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        anchor = data.get("k")
        if anchor is not None and not isinstance(anchor, str):
            raise TypeError(anchor)
        offset = max(0, int(data["o"]))
        return anchor, offset
    except (ValueError, KeyError, TypeError, AttributeError):
        raise ArmError(400, "InvalidSkipToken", "The provided skip token '%s' is not valid." % token)


#: segments after `/subscriptions/{s}/providers/{ns}` that are ARM's own provider operations
_PROVIDER_OPERATIONS = ("register", "unregister", "resourcetypes", "providerpermissions")


def request_type(segs):
    """The resource type chain of an ARM path (segments), as ARM routes it: the namespace after the
    last `providers` and every other segment after it ('Microsoft.Compute/virtualMachines/instanceView'
    for '.../providers/Microsoft.Compute/virtualMachines/vm1/instanceView'); ARM's own paths map to
    Microsoft.Resources types. None when the path names no type."""
    low = [s.lower() for s in segs]
    if not low:
        return None
    idx = [i for i, s in enumerate(low) if s == "providers"]
    if idx and idx[-1] + 1 < len(segs):
        i = idx[-1]
        ns, rest = segs[i + 1], segs[i + 2:]
        scope = low[:i]
        arm_scope = not scope or (len(scope) == 2 and scope[0] == "subscriptions")
        if arm_scope and (not rest or (len(rest) == 1 and rest[0].lower() in _PROVIDER_OPERATIONS)):
            return "Microsoft.Resources/providers"          # /[subscriptions/{s}/]providers/{ns}[/register]
        if not rest:
            return None
        return "/".join([ns] + rest[0::2])
    if low[-1] == "providers" and low[:1] in (["providers"], ["subscriptions"]):
        return "Microsoft.Resources/providers"              # /providers, /subscriptions/{s}/providers
    if low[0] == "tenants":
        return "Microsoft.Resources/tenants"
    if low[0] != "subscriptions":
        return None
    rest = low[2:]
    if not rest:
        return "Microsoft.Resources/subscriptions"
    if rest[0] == "resourcegroups":
        if len(rest) >= 3 and rest[2] == "resources":
            return "Microsoft.Resources/resources"
        return "/".join(["Microsoft.Resources/resourceGroups"] + segs[2:][2::2])
    if rest[0] == "resources":
        return "Microsoft.Resources/resources"
    return "Microsoft.Resources/subscriptions/" + segs[2]


class Context:
    """What a resource provider sees (documented in rp.Context)."""

    def __init__(self, engine, req=None, principal=None, subscription_id=None):
        self.engine = engine
        self.request = req
        self.principal = principal or {}
        self.subscription_id = (subscription_id or engine.default_subscription).lower()
        self.tenant_id = engine.app.settings.tenant_id
        self.base_url = engine.app.base_url
        self.api_version = req.query.get("api-version") if req is not None else None
        self.query = req.query if req is not None else {}
        self.config = engine.app.config
        self.operation_id = str(uuid.uuid4())
        self.response_headers = {}
        self.memo = {}            # what a provider reads once per request (rp.Context)

    @property
    def locations(self):
        return dict(self.engine.locations)

    def normalize_location(self, value):
        return self.engine.normalize_location(value)

    def get(self, rid_or_str):
        rid = ids.try_parse(rid_or_str) if rid_or_str else None
        if rid is None:
            return None
        row = self.engine.store.get_row(rid.key)
        return row["body"] if row else None

    def put(self, rid_or_str, body):
        rid = self.engine.canonical(ids.parse(rid_or_str))
        self.engine.store_body(rid, body)

    def delete(self, rid_or_str):
        rid = ids.try_parse(rid_or_str) if rid_or_str else None
        if rid is not None:
            self.engine.delete_tree(self, rid, hooks=False)

    def list(self, full_type, scope=None):
        return self.engine.list_bodies(full_type, scope)

    def list_ids(self, full_type, scope=None):
        return self.engine.list_ids(full_type, scope)

    def list_children(self, rid_or_str):
        rid = ids.parse(rid_or_str)
        return [r["body"] for r in self.engine.store.list(parent_key=rid.key)]

    def exists_rg(self, sub, rg):
        return self.engine.store.get_row(ids.ResourceId(sub, rg).key) is not None

    def location_of_rg(self, sub, rg):
        row = self.engine.store.get_row(ids.ResourceId(sub, rg).key)
        return row["body"].get("location") if row else None

    def now(self):
        return self.engine.app.clock.now()

    def now_iso(self):
        return self.engine.app.clock.now_iso()

    def new_guid(self):
        return str(uuid.uuid4())

    def parse(self, value):
        return ids.parse(value)


class Engine:
    def __init__(self, app):
        self.app = app
        self.store = app.store
        self.types = {}       # type key -> ResourceType instance
        self.routes = []      # (method, compiled regex, handler)
        self.modules = []
        self.locations = _regions(app.config)
        self.subscriptions = _subscriptions(app)
        self.default_subscription = next(iter(self.subscriptions))
        self.advancer = None            # the background advancer (background.py), when server.serve started one
        self._waiting = 0               # requests waiting for (or holding) the store lock
        self._waiting_lock = threading.Lock()
        from drlab.azure.providers import ProviderError, load_modules
        for module in load_modules():
            self.register_module(module)
        for module in self.modules:     # every provider loaded: their start-up checks (rp.py, on_start)
            hook = getattr(module, "on_start", None)
            if hook is None:
                continue
            try:
                with self.store.transaction():
                    hook(self.admin_context())
            except Exception as err:
                raise ProviderError("resource provider %s refused to start: %s: %s" % (
                    module.__name__, type(err).__name__, err)) from err

    # -- registry -------------------------------------------------------------------------------
    def register_module(self, module):
        classes = getattr(module, "RESOURCE_TYPES", None)
        if classes is None:
            classes = [obj for obj in vars(module).values()
                       if inspect.isclass(obj) and issubclass(obj, ResourceType) and obj is not ResourceType
                       and obj.__module__ == module.__name__ and obj.full_type]
        for cls in classes:
            inst = cls() if inspect.isclass(cls) else cls
            self.types[inst.full_type.lower()] = inst
        for route in getattr(module, "ROUTES", None) or []:
            method, pattern, handler = route[:3]
            self.routes.append((method.upper(), re.compile(pattern, re.I), handler))
        self.modules.append(module)

    def type_of(self, full_type):
        return self.types.get(full_type.lower()) if full_type else None

    def type_name(self, type_key):
        rt = self.types.get(type_key)
        return rt.full_type if rt else type_key

    def namespaces(self):
        out = {}
        for rt in self.types.values():
            ns = rt.full_type.split("/", 1)[0]
            out.setdefault(ns.lower(), (ns, []))[1].append(rt)
        return out

    def normalize_location(self, value):
        if not isinstance(value, str):
            return None
        name = value.replace(" ", "").lower()
        return name if name in self.locations else None

    # -- durations ------------------------------------------------------------------------------
    def duration(self, rt, verb):
        override = {k.lower(): v for k, v in (self.app.config.get("durations") or {}).items()}.get(
            rt.full_type.lower()) or {}
        key = {"PUT": "put", "PATCH": "patch", "DELETE": "delete", "POST": "action"}[verb]
        if key in override:
            return float(override[key])
        if key == "patch":
            if "put" in override:
                return float(override["put"])
            return float(rt.patch_duration if rt.patch_duration is not None else rt.put_duration)
        return float({"put": rt.put_duration, "delete": rt.delete_duration,
                      "action": getattr(rt, "action_duration", 0.0)}[key])

    # -- store helpers --------------------------------------------------------------------------
    def canonical(self, rid):
        """The id with the casing ARM answers with (see rp.py)."""
        row = self.store.get_row(rid.key)
        if row:
            return ids.parse(row["id"])
        sub = rid.subscription.lower()
        if rid.is_subscription:
            return ids.ResourceId(sub)
        if rid.is_resource_group:
            return ids.ResourceId(sub, rid.resource_group)
        parent = rid.parent
        if parent is not None:
            base = self.canonical(parent)
            rt = self.types.get(rid.type_key)
            seg = rt.full_type.split("/")[-1] if rt else rid.types[-1]
            return base.child(seg, rid.name)
        rg = rid.resource_group
        if rg is not None:
            rg_row = self.store.get_row(ids.ResourceId(sub, rg).key)
            if rg_row:
                rg = ids.parse(rg_row["id"]).resource_group
        rt = self.types.get(rid.type_key)
        out = ids.ResourceId(sub, rg, rid.namespace, rid.types, rid.names)
        return out.with_casing(rt.full_type if rt else None)

    def store_body(self, rid, body):
        if not isinstance(body, dict):
            raise TypeError("a stored resource body must be a dict")
        body.setdefault("id", rid.id)
        body.setdefault("name", rid.name)
        body.setdefault("type", self.type_name(rid.type_key) if rid.namespace else rid.full_type)
        self.store.put(rid, body, lab_now=self.app.clock.now_epoch())

    def list_bodies(self, full_type, scope=None):
        kw = self._list_scope(full_type, scope)
        return [] if kw is None else [r["body"] for r in self.store.list(**kw)]

    def list_ids(self, full_type, scope=None):
        """The ids list_bodies would answer, without their bodies."""
        kw = self._list_scope(full_type, scope)
        return [] if kw is None else self.store.list_ids(**kw)

    @staticmethod
    def _list_scope(full_type, scope):
        kw = {"type_key": full_type.lower()} if full_type else {}
        if scope:
            srid = ids.try_parse(scope)
            if srid is None:
                return None
            if srid.is_subscription:
                kw["sub_key"] = srid.subscription
            elif srid.is_resource_group:
                kw["sub_key"] = srid.subscription
                kw["rg_key"] = srid.resource_group
            else:
                kw["parent_key"] = srid.key
        return kw

    def delete_tree(self, ctx, rid, hooks=True):
        """Delete a resource and everything under it; cancel their pending operations; hooks."""
        rows = self.store.delete_tree(rid.key)
        now = self.app.clock.now_epoch()
        for op in self.store.pending_in_tree(rid.key):
            if op["verb"] == "DELETE" and op["resource_key"] == rid.key:
                continue
            self.store.update_operation(op["id"], status="Canceled", end_lab=now, error_status=409, error={
                "code": "OperationCanceled", "message": "The operation was canceled: the resource '%s' was deleted."
                % op["resource_id"]})
        if hooks:
            for row in rows:
                rt = self.types.get(row["type_key"])
                if rt is None:
                    continue
                try:
                    rt.on_deleted(ctx, ids.parse(row["id"]), row["body"])
                except ArmError:
                    LOG.exception("on_deleted of %s", row["id"])
        return rows

    # -- the ARM pipeline -----------------------------------------------------------------------
    def handle(self, req):
        """An ARM request (authenticated by the caller) -> Response. With DRLAB_AZURE_PROFILE=<file> set, every
        request is profiled under the store lock and the slow ones' stats are kept in <file> (a measuring aid).
        A request waiting for the store lock goes before the background advancer's next slice; a write wakes it
        (it may have started a job)."""
        with self._waiting_lock:
            self._waiting += 1
        try:
            if _PROFILE_PATH is None:
                return self._handle(req)
            with self.store.lock:
                return _profiled("%s %s" % (req.method, req.path), self._handle, req)
        finally:
            with self._waiting_lock:
                self._waiting -= 1
            if req.method != "GET" and self.advancer is not None:
                self.advancer.wake()

    def let_requests_first(self, limit=5.0):
        """Wait (at most `limit` s) while requests wait for the store lock: the background advancer's slices come
        after them."""
        deadline = time.monotonic() + limit
        while self._waiting and time.monotonic() < deadline:
            time.sleep(0.002)

    def background_io(self):
        """The background advancer's I/O phase, outside the store lock: the providers' `background_io(ctx)` hooks
        (slow reads that need no lock, e.g. the ASR appliance's vCenter read for a due discovery)."""
        for module in self.modules:
            hook = getattr(module, "background_io", None)
            if hook is not None:
                hook(self.admin_context())

    def background_slice(self, hooks, deadline):
        """One slice of the background advancer (drlab/azure/background.py): the providers' `background(ctx,
        deadline)` hooks in one store transaction; the lab time of the next due work (None: none scheduled). Profiled
        like a request with DRLAB_AZURE_PROFILE."""
        if _PROFILE_PATH is not None:
            return _profiled("BACKGROUND slice", self._background_slice, hooks, deadline)
        return self._background_slice(hooks, deadline)

    def _background_slice(self, hooks, deadline):
        next_due = None
        with self.store.transaction():
            self.complete_due()
            ctx = self.admin_context()
            for hook in hooks:
                due = hook(ctx, deadline)
                if due is not None:
                    next_due = due if next_due is None else min(next_due, due)
        return next_due

    def _handle(self, req):
        segs = ids.split_path(req.path)
        sub = None
        if len(segs) >= 2 and segs[0].lower() == "subscriptions":
            sub = segs[1]
        ctx = Context(self, req, req.principal, sub)
        with self.store.transaction():
            self.complete_due()
            self.check_api_version(req, segs)
            if sub is not None:
                self._check_subscription(sub, req.principal)
            self.before_request(ctx, req)
            resp = self._route(ctx, req, segs)
        if ctx.response_headers:
            for k, v in ctx.response_headers.items():
                resp.headers.setdefault(k, v)
        return resp

    def before_request(self, ctx, req):
        """Call the optional `before_request(ctx, req)` hook of every provider module (see rp.py)."""
        for module in self.modules:
            hook = getattr(module, "before_request", None)
            if hook is not None:
                hook(ctx, req)

    def admin_context(self, req=None, subscription_id=None):
        """A Context for work outside an ARM request (admin routes of providers)."""
        return Context(self, req, None, subscription_id)

    def _check_subscription(self, sub, principal):
        info = self.subscriptions.get(sub.lower())
        if info is None:
            raise ArmError(404, "SubscriptionNotFound", "The subscription '%s' could not be found." % sub)
        tid = (principal or {}).get("tenant_id")
        if tid and tid.lower() != info["tenantId"].lower():
            raise ArmError(401, "InvalidAuthenticationTokenTenant",
                           "The access token is from the wrong issuer 'https://sts.windows.net/%s/'. It must match "
                           "the tenant 'https://sts.windows.net/%s/' associated with this subscription. Please use "
                           "the authority (URL) '%s/%s' to get the token."
                           % (tid, info["tenantId"], self.app.base_url, info["tenantId"]))

    # -- for engine-level features outside this class (tags.py) --------------------------------
    def missing(self, rid):
        return self._missing(rid)

    def no_route(self, req):
        return self._no_route(req)

    def pending_delete(self, rid):
        return self._pending_delete(rid)

    def json_body(self, req):
        return self._json_body(req)

    # -- api-version --------------------------------------------------------------------------
    def check_api_version(self, req, segs):
        """400 MissingApiVersionParameter, or the error ARM answers when the request's type does not
        know its api-version (apiversions.py: InvalidApiVersionParameter for ARM's own types,
        NoRegisteredProviderFound for a provider's). A path whose type is not in the table is left to
        routing (InvalidResourceNamespace / InvalidResourceType / 404)."""
        version = req.query.get("api-version")
        if not version:
            raise ArmError(400, "MissingApiVersionParameter",
                           "The api-version query parameter (?api-version=) is required for all requests.")
        full_type = None
        if req.method in ("GET", "HEAD"):   # a polling URL carries the api-version of its operation's request
            op, _which = self.store.operation_by_path(("/" + "/".join(segs)).lower())
            if op is not None:
                full_type = self.type_name(op["type_key"])
        hit = apiversions.lookup(full_type or request_type(segs))
        if hit is None:
            return
        registered, versions = hit
        if version.lower() in {v.lower() for v in versions}:
            return
        req.resource_type = req.resource_type or registered        # for the request log
        ns, rtype = (registered.split("/", 1) + [""])[:2]
        if ns.lower() in apiversions.ARM_NAMESPACES:
            raise ArmError(400, "InvalidApiVersionParameter",
                           "The api-version '%s' is invalid. The supported versions are '%s'."
                           % (version, ",".join(versions)))
        raise ArmError(400, "NoRegisteredProviderFound",
                       "No registered resource provider found for location '%s' and API version '%s' for type "
                       "'%s'. The supported api-versions are '%s'. The supported locations are '%s'."
                       % (self._location_of_request(req, segs), version, rtype, ", ".join(sorted(versions)),
                          ", ".join(self.locations)))

    def _location_of_request(self, req, segs):
        """The location ARM names in NoRegisteredProviderFound: the body's (a write), else the
        resource's or its group's, else a `locations/{x}` of the path, else 'global' (our guess)."""
        if req.method in ("PUT", "PATCH"):
            try:
                body = req.json()
            except (ValueError, UnicodeDecodeError):
                body = None
            if isinstance(body, dict) and isinstance(body.get("location"), str):
                return self.normalize_location(body["location"]) or body["location"]
        low = [s.lower() for s in segs]
        if "providers" in low:
            i = low.index("providers")
            rid = ids.try_parse("/" + "/".join(segs[:i + 4])) if len(segs) >= i + 4 else None
            row = self.store.get_row(rid.key) if rid is not None else None
            if row and isinstance(row["body"].get("location"), str):
                return row["body"]["location"]
        if len(low) >= 4 and low[0] == "subscriptions" and low[2] == "resourcegroups":
            row = self.store.get_row(ids.ResourceId(segs[1], segs[3]).key)
            if row and row["body"].get("location"):
                return row["body"]["location"]
        if "locations" in low[:-1]:
            return segs[low.index("locations") + 1]
        return "global"

    def _route(self, ctx, req, segs):
        path_key = ("/" + "/".join(segs)).lower()
        # 1. polling URLs of long-running operations
        if req.method in ("GET", "HEAD"):
            op, which = self.store.operation_by_path(path_key)
            if op is not None:
                req.kind = "lro-" + which
                req.resource_type = self.type_name(op["type_key"])
                return lro.poll_response(self, ctx, req, op, which)
        # 2. tags, an extension resource on any scope: {scope}/providers/Microsoft.Resources/tags/default
        if len(segs) >= 4 and [s.lower() for s in segs[-4:]] == ["providers", "microsoft.resources", "tags", "default"]:
            return tags.handle(self, ctx, req, segs[:-4])
        # 3. provider routes
        path = req.path.rstrip("/") or "/"
        for method, rx, handler in self.routes:
            if method != req.method and not (req.method == "HEAD" and method == "GET"):
                continue
            m = rx.fullmatch(path)
            if m is None:
                continue
            req.resource_type = req.resource_type or getattr(handler, "resource_type", None) or \
                _guess_type(segs)
            out = handler(ctx, m, req.query, self._json_body(req) if req.method in ("PUT", "POST", "PATCH") else None)
            return self._route_response(ctx, req, out)
        # 4. resources by id
        if len(segs) < 2 or segs[0].lower() != "subscriptions":
            raise self._no_route(req)
        rest = segs[2:]
        low = [s.lower() for s in rest]
        if not rest:
            raise self._no_route(req)
        if low[0] == "resourcegroups":
            if len(rest) == 1:
                return self._list(ctx, req, ids.RG_TYPE, ids.ResourceId(segs[1]))
            rg = rest[1]
            after = rest[2:]
            if not after:
                rid = ids.ResourceId(segs[1], rg)
                return self._resource(ctx, req, rid)
            if after[0].lower() == "providers" and len(after) >= 3:
                return self._provider_path(ctx, req, segs[1], rg, after[1], after[2:])
            raise self._no_route(req)
        if low[0] == "providers" and len(rest) >= 3:
            return self._provider_path(ctx, req, segs[1], None, rest[1], rest[2:])
        raise self._no_route(req)

    def _provider_path(self, ctx, req, sub, rg, ns, chain):
        if len(chain) % 2 == 0:
            rid = ids.ResourceId(sub, rg, ns, chain[0::2], chain[1::2])
            return self._resource(ctx, req, rid)
        if len(chain) == 1:
            full_type = ns + "/" + chain[0]
            scope = ids.ResourceId(sub, rg)
            return self._list(ctx, req, full_type, scope)
        parent = ids.ResourceId(sub, rg, ns, chain[:-1][0::2], chain[:-1][1::2])
        last = chain[-1]
        if req.method == "POST":
            prt = self._type_or_error(parent.full_type, req)
            actions = {k.lower(): (k, v) for k, v in (prt.actions or {}).items()}
            if last.lower() in actions:
                return self._action(ctx, req, prt, parent, *actions[last.lower()])
            raise ArmError(404, "NotFound", "No HTTP resource was found that matches the request URI '%s'."
                           % self._url(req))
        child_type = parent.full_type + "/" + last
        return self._list(ctx, req, child_type, parent)

    def _no_route(self, req):
        return ArmError(404, "NotFound", "No HTTP resource was found that matches the request URI '%s'."
                        % self._url(req))

    def _url(self, req):
        return self.app.base_url + req.path + ("?" + req.query_string if req.query_string else "")

    def _type_or_error(self, full_type, req):
        rt = self.types.get(full_type.lower())
        if rt is not None:
            return rt
        ns, rest = (full_type.split("/", 1) + [""])[:2]
        if ns.lower() not in self.namespaces():
            raise ArmError(400, "InvalidResourceNamespace", "The resource namespace '%s' is invalid." % ns)
        raise ArmError(400, "InvalidResourceType",
                       "The resource type '%s' could not be found in the namespace '%s' for api version '%s'."
                       % (rest, ns, req.query.get("api-version")))

    def _json_body(self, req):
        try:
            body = req.json()
        except (ValueError, UnicodeDecodeError) as e:
            raise ArmError(400, "InvalidRequestContent",
                           "The request content was invalid and could not be deserialized: '%s'." % e)
        if body is not None and not isinstance(body, dict):
            raise ArmError(400, "InvalidRequestContent",
                           "The request content was invalid and could not be deserialized: 'Cannot deserialize the "
                           "current JSON array into an object'.")
        return body

    def _route_response(self, ctx, req, out):
        if isinstance(out, Response):
            return out
        if out is None:
            return Response(204)
        status, body = out[0], out[1]
        headers = out[2] if len(out) > 2 else None
        if isinstance(body, Paged):
            resp = self.page(req, list(body), body.render)
            resp.status = status
        else:
            resp = Response(status, body)
        if headers:
            resp.headers.update(headers)
        return resp

    # -- paging ---------------------------------------------------------------------------------
    def page(self, req, items, render=None):
        """One page of a list, in the list's order: `{"value": [...], "nextLink": ...}`; `render(item)` makes the
        page's items what the list shows (keys come from the items as given: rendering keeps their ids).

        `$skiptoken` is opaque: it names the last item returned (its item_key) and, as a fallback,
        the offset after it. The next page starts after that item: found by key when the list is in
        key order (every engine list is: see _list), else by its position, else (the item is gone
        from a list in a provider's own order) at the offset. So items inserted or deleted between
        two requests neither repeat nor hide the items of the original list.
        """
        items = list(items)
        keys = _unique_keys(items)
        start = 0
        token = req.query.get("$skiptoken")
        if token:
            anchor, offset = _decode_skiptoken(token)
            if anchor is None:
                start = offset
            elif keys == sorted(keys):
                start = bisect.bisect_right(keys, anchor)
            elif anchor in keys:
                start = keys.index(anchor) + 1
            else:
                start = offset
            start = min(start, len(items))
        size = int(self.app.config["page_size"])
        top = req.query.get("$top")
        if top:
            try:
                size = max(1, min(size, int(top)))
            except ValueError:
                raise ArmError(400, "InvalidTopParameter", "The value '%s' of parameter '$top' is invalid." % top)
        chunk = items[start:start + size]
        if render is not None:      # None: the item is gone (a list of ids read before the bodies)
            chunk = [shown for shown in (render(item) for item in chunk) if shown is not None]
        body = {"value": chunk}
        if start + size < len(items):
            params = [(k, v) for k, v in req.query.items() if k.lower() not in ("$skiptoken", "api-version")]
            params.append(("api-version", req.query.get("api-version", "")))
            params.append(("$skiptoken", _encode_skiptoken(keys[start + size - 1], start + size)))
            body["nextLink"] = self.app.base_url + req.path + "?" + urlencode(params)
        return Response(200, body)

    # -- lists ----------------------------------------------------------------------------------
    def _list(self, ctx, req, full_type, scope):
        if req.method not in ("GET", "HEAD"):
            raise ArmError(405, "MethodNotAllowed", "The requested resource does not support http method '%s'."
                           % req.method)
        rt = self._type_or_error(full_type, req)
        req.resource_type = rt.full_type
        kw = {"type_key": rt.full_type.lower(), "sub_key": scope.subscription}
        if scope.namespace:
            if self.store.get_row(scope.key) is None:
                raise self._missing(scope)
            kw = {"type_key": rt.full_type.lower(), "parent_key": scope.key}
        elif scope.resource_group is not None:
            if self.store.get_row(scope.key) is None:
                raise self._rg_not_found(scope.resource_group)
            kw["rg_key"] = scope.resource_group
        elif not rt.list_at_subscription and rt.full_type.lower() != ids.RG_TYPE.lower():
            raise self._no_route(req)
        # key order (case-folded id): deterministic, and the order page() anchors its $skiptoken in;
        # a provider's filter_list may impose its own (e.g. ASR jobs, newest first)
        items = [r["body"] for r in sorted(self.store.list(**kw), key=lambda r: r["id"].casefold())]
        if hasattr(rt, "filter_list"):
            items = rt.filter_list(ctx, items, req.query)
        return self.page(req, items, lambda body: rt.render_list(ctx, body))

    # -- resources ------------------------------------------------------------------------------
    def _rg_not_found(self, rg):
        return ArmError(404, "ResourceGroupNotFound", "Resource group '%s' could not be found." % rg)

    def _missing(self, rid):
        """The 404 for a resource that is not there (the closest missing ancestor decides)."""
        rg_key = ids.ResourceId(rid.subscription, rid.resource_group).key if rid.resource_group is not None else None
        if rg_key is not None and self.store.get_row(rg_key) is None:
            return self._rg_not_found(rid.resource_group)
        if rid.is_resource_group:
            return self._rg_not_found(rid.resource_group)
        parent = rid.parent
        if parent is not None and self.store.get_row(parent.key) is None:
            return ArmError(404, "ParentResourceNotFound",
                            "Can not perform requested operation on nested resource. Parent resource '%s' not found."
                            % "/".join(parent.names))
        return not_found(rid)

    def _pending_delete(self, rid):
        keys = [rid.key]
        cur = rid
        while cur.parent is not None:
            cur = cur.parent
            keys.append(cur.key)
        if rid.resource_group is not None and not rid.is_resource_group:
            keys.append(ids.ResourceId(rid.subscription, rid.resource_group).key)
        for key in keys:
            for op in self.store.pending_operations(key):
                if op["verb"] == "DELETE":
                    return op
        return None

    def _resource(self, ctx, req, rid):
        rt = self._type_or_error(rid.full_type, req)
        req.resource_type = rt.full_type
        crid = self.canonical(rid)
        method = req.method
        if method in ("GET", "HEAD"):
            row = self.store.get_row(crid.key)
            if row is None:
                if method == "HEAD":
                    return Response(404)
                raise self._missing(crid)
            if method == "HEAD":
                return Response(204)
            return Response(200, rt.render(ctx, row["body"]))
        if method == "PUT":
            return self._put(ctx, req, rt, crid)
        if method == "PATCH":
            return self._patch(ctx, req, rt, crid)
        if method == "DELETE":
            return self._delete(ctx, req, rt, crid)
        raise ArmError(405, "MethodNotAllowed", "The requested resource does not support http method '%s'." % method)

    def _check_write_scope(self, rid):
        if rid.resource_group is not None and not rid.is_resource_group:
            if self.store.get_row(ids.ResourceId(rid.subscription, rid.resource_group).key) is None:
                raise self._rg_not_found(rid.resource_group)
        parent = rid.parent
        if parent is not None and self.store.get_row(parent.key) is None:
            raise self._missing(rid)
        op = self._pending_delete(rid)
        if op is not None:
            raise ArmError(409, "Conflict", "The resource '%s' is being deleted: operation '%s' is in progress."
                           % (op["resource_id"], op["id"]))

    def _check_location(self, rt, rid, body, existing):
        if not rt.tracked:
            return
        loc = body.get("location")
        if not loc:
            raise ArmError(400, "LocationRequired", "The location property is required for this definition.")
        norm = self.normalize_location(loc)
        if norm is None:
            raise ArmError(400, "LocationNotAvailableForResourceType",
                           "The provided location '%s' is not available for resource type '%s'. List of available "
                           "regions for the resource type is '%s'." % (loc, rt.full_type, ",".join(self.locations)))
        if existing and existing.get("location") and self.normalize_location(existing["location"]) != norm \
                and not rid.is_resource_group:
            raise ArmError(400, "InvalidResourceLocation",
                           "The resource '%s' already exists in location '%s' in resource group '%s'. A resource "
                           "with the same name cannot be created in location '%s'. Please select a new resource name."
                           % (rid.name, existing["location"], rid.resource_group, norm))

    def _supersede(self, ctx, rid):
        for op in self.store.pending_operations(rid.key):
            if op["verb"] != "DELETE":
                self.complete_operation(op, force=True)

    def _put(self, ctx, req, rt, rid):
        body = self._json_body(req)
        if body is None:
            raise ArmError(400, "InvalidRequestContent", "The request content was invalid and could not be "
                                                         "deserialized: 'The request body is empty'.")
        self._check_write_scope(rid)
        row = self.store.get_row(rid.key)
        self._supersede(ctx, rid)
        row = self.store.get_row(rid.key)
        existing = row["body"] if row else None
        self._check_location(rt, rid, body, existing)
        stored = rt.prepare_put(ctx, rid, body, existing)
        if rt.tracked and isinstance(stored.get("location"), str):
            stored["location"] = self.normalize_location(stored["location"]) or stored["location"]
        return self._write(ctx, req, rt, rid, stored, "PUT", created=existing is None)

    def _patch(self, ctx, req, rt, rid):
        body = self._json_body(req) or {}
        row = self.store.get_row(rid.key)
        if row is None:
            raise self._missing(rid)
        self._check_write_scope(rid)
        self._supersede(ctx, rid)
        row = self.store.get_row(rid.key)
        stored = rt.prepare_patch(ctx, rid, body, row["body"])
        return self._write(ctx, req, rt, rid, stored, "PATCH", created=False)

    def _write(self, ctx, req, rt, rid, stored, verb, created):
        style = rt.put_style if verb == "PUT" else rt.patch_style
        sync_status = getattr(rt, "create_status", 201) if created else 200
        if style == LroStyle.SYNC:
            self.store_body(rid, stored)
            return Response(sync_status, rt.render(ctx, stored))
        _in_progress_state(stored, "Creating" if created else "Updating")
        self.store_body(rid, stored)
        op = lro.start(self, ctx, rt, rid, verb, style, self.duration(rt, verb))
        if style == LroStyle.ASYNC_OPERATION:
            current = self.store.get_row(rid.key)["body"]
            return lro.initial_response(self, ctx, op, style, sync_status, rt.render(ctx, current))
        return lro.initial_response(self, ctx, op, style, 202, None)

    def _delete(self, ctx, req, rt, rid):
        row = self.store.get_row(rid.key)
        if row is None:
            if rid.is_resource_group:
                raise self._rg_not_found(rid.resource_group)
            if rid.resource_group is not None and \
                    self.store.get_row(ids.ResourceId(rid.subscription, rid.resource_group).key) is None:
                raise self._rg_not_found(rid.resource_group)
            return Response(204)
        for op in self.store.pending_operations(rid.key):
            if op["verb"] == "DELETE":
                return lro.initial_response(self, ctx, op, LroStyle(op["style"]), 202, None)
        rt.check_delete(ctx, rid, row["body"])
        style = rt.delete_style
        if style == LroStyle.SYNC:
            self.delete_tree(ctx, rid)
            return Response(200)
        self._supersede(ctx, rid)
        body = self.store.get_row(rid.key)["body"]
        _in_progress_state(body, "Deleting")
        self.store_body(rid, body)
        op = lro.start(self, ctx, rt, rid, "DELETE", style, self.duration(rt, "DELETE"))
        return lro.initial_response(self, ctx, op, style, 202, None)

    def _action(self, ctx, req, rt, rid, name, spec):
        method_name, style = spec
        req.resource_type = rt.full_type
        crid = self.canonical(rid)
        body = self._json_body(req)
        row = self.store.get_row(crid.key)
        if row is None:
            raise self._missing(crid)
        op = self._pending_delete(crid)
        if op is not None:
            raise ArmError(409, "Conflict", "The resource '%s' is being deleted: operation '%s' is in progress."
                           % (op["resource_id"], op["id"]))
        self._supersede(ctx, crid)
        result = getattr(rt, method_name)(ctx, crid, body)
        if style == LroStyle.SYNC:
            if isinstance(result, Response):
                return result
            return Response(204) if result is None else Response(200, result)
        op = lro.start(self, ctx, rt, crid, "POST", style, self.duration(rt, "POST"), action=name, result=result)
        return lro.initial_response(self, ctx, op, style, 202, None)

    # -- long-running operations ----------------------------------------------------------------
    def complete_due(self):
        for op in self.store.due_operations(self.app.clock.now_epoch()):
            self.complete_operation(op)

    def complete_operation(self, op, force=False):
        """Complete an operation whose lab time has come (or, with force, now)."""
        ctx = Context(self, subscription_id=ids.parse(op["resource_id"]).subscription)
        rt = self.types.get(op["type_key"])
        rid = ids.parse(op["resource_id"])
        now = self.app.clock.now_epoch()
        status, error, error_status, result = "Succeeded", None, None, op.get("result")
        try:
            row = self.store.get_row(rid.key)
            verb = op["verb"]
            if verb in ("PUT", "PATCH"):
                if row is not None and rt is not None:
                    try:
                        new = rt.on_lro_complete(ctx, rid, row["body"], verb)
                        if new is not None:
                            self.store_body(rid, new)
                    except ArmError as e:
                        status, error, error_status = "Failed", e.envelope()["error"], e.status
                        body = self.store.get_row(rid.key)["body"]
                        if isinstance(body.get("properties"), dict):
                            body["properties"]["provisioningState"] = "Failed"
                            self.store_body(rid, body)
            elif verb == "DELETE":
                if row is not None:
                    try:
                        if rt is not None:
                            rt.on_lro_complete(ctx, rid, row["body"], verb)
                        self.delete_tree(ctx, rid)
                    except ArmError as e:
                        status, error, error_status = "Failed", e.envelope()["error"], e.status
                        body = row["body"]
                        if isinstance(body.get("properties"), dict):
                            body["properties"]["provisioningState"] = "Succeeded"
                            self.store_body(rid, body)
            elif verb == "POST" and rt is not None and hasattr(rt, "on_action_complete"):
                try:
                    result = rt.on_action_complete(ctx, rid, op.get("action"), result)
                except ArmError as e:
                    status, error, error_status = "Failed", e.envelope()["error"], e.status
        except Exception as e:  # a provider bug must not wedge the engine
            LOG.error("completing operation %s failed:\n%s", op["id"], traceback.format_exc())
            status, error_status = "Failed", 500
            error = {"code": "InternalServerError", "message": "The operation failed: %s" % e}
        self.store.update_operation(op["id"], status=status, error=error, error_status=error_status,
                                    result=result, end_lab=now)


def _guess_type(segs):
    low = [s.lower() for s in segs]
    if "providers" in low:
        i = len(low) - 1 - low[::-1].index("providers")
        if i + 2 < len(segs):
            return segs[i + 1] + "/" + segs[i + 2]
        if i + 1 < len(segs):
            return segs[i + 1]
    if "resourcegroups" in low:
        return ids.RG_TYPE
    return ids.SUB_TYPE if low[:1] == ["subscriptions"] else None
