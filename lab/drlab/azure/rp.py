"""The contract between the ARM engine of the simulator and its resource providers.

The engine (server, routing, store, long-running operations, throttling, faults, request log)
knows nothing about vaults or NICs. A resource provider module declares `ResourceType`
subclasses; the engine routes ARM requests to them:

* PUT    {id}           -> prepare_put(ctx, rid, body, existing) -> stored body
* PATCH  {id}           -> prepare_patch(ctx, rid, body, existing) -> stored body
* GET    {id}           -> render(ctx, stored) -> response body
* DELETE {id}           -> check_delete(ctx, rid, existing); engine deletes (and children)
* GET    {scope}/{type} -> list, paged by the engine, each item through render_list() (default render())
* POST   {id}/{action}  -> actions[action](ctx, rid, body) -> response body or None

How an operation completes (synchronously, or as a long-running operation with which headers)
is declared per type and verb with `LroStyle`; the engine implements the headers and polling
endpoints exactly as ARM does (see shared/reference/asr-api.md section 3).

Errors are raised as `ArmError(status, code, message, details=...)`; the engine renders the ARM
error envelope `{"error": {"code", "message", "target", "details", "additionalInfo"}}`.

Names below (`rid`) are `ResourceId` objects: parsed, case-preserving, compared case-insensitively.

Addition: endpoints that are not resources (a location's VM sizes, the resource SKU list, a storage
name check, a VM's instance view) are declared by a provider module as a module-level
`ROUTES = [(method, path_regex, handler)]`, next to `RESOURCE_TYPES = [...]`. The engine matches
them before its resource routing: `method` exactly (upper case), `path_regex` with `re.fullmatch`
and `re.IGNORECASE` against the URL path without the query string. It then calls
`handler(ctx, match, query, body) -> (status, body)`: `match` is the `re.Match` (named groups hold
the path parameters), `query` a dict of query parameters (case-insensitive keys), `body` the parsed
JSON or None. The engine sends the returned body as JSON, as is (a list answer is `{"value": [...]}`
without `nextLink`). Handlers raise `ArmError` like the rest of the contract.
A handler may also return `(status, body, headers)`, and a body of type `Paged` (a list) that the
engine pages like its own lists (`{"value": [...page...], "nextLink": ...}`).

Addition: optional module-level hooks of a provider module.

* `before_request(ctx, req)`: called for every ARM request, inside its transaction, after the engine
  completed its due operations and checked the subscription, before routing. A provider uses it to
  bring lazily simulated processes up to `ctx.now()` (the ASR job engine does). It must be cheap and return
  quickly for requests it does not care about (`req.path`).
* `background(ctx, deadline) -> lab epoch | None`: called by the background advancer (drlab/azure/background.py)
  between requests, in a store transaction with an admin context: do the work due up to `ctx.now()` that
  `before_request` would do, until `deadline` (time.monotonic(); after at least one step), and answer the lab
  time of the next due work (now when some is left, None when nothing is scheduled). The request path stays
  complete on its own (a request still brings everything up to its lab time); this only does it earlier.
* `background_io(ctx)`: called by the background advancer before each slice, outside the store lock: slow reads
  that need no lock (the ASR appliance reads vCenter for a due discovery; the slice or a request applies it).
* `ADMIN_ROUTES = [(method, path_regex, handler)]`: endpoints under `/_lab/` (admin API: loopback, no
  authentication, not in the request log). `path_regex` is matched with `re.fullmatch` and
  `re.IGNORECASE` against the path after `/_lab/`; `handler(ctx, match, body) -> (status, body)` runs
  in a store transaction (due operations completed and `before_request` hooks called first); an
  `ArmError` it raises is answered in ARM's envelope.
* `on_reset(store)`: called by `POST /_lab/reset` after the resources are wiped, in the same store
  transaction: forget the provider's own state kept outside the resources (store meta items, caches),
  e.g. the ASR appliance's agent registrations and job index (`store.meta_delete_prefix("asr.")`).
* `on_start(ctx)`: called once when the engine starts, after every provider module loaded and before
  the simulator answers anything, in a store transaction with an admin context: check what the provider
  finds in the store (the ASR package refuses stored jobs that name a callback nobody registered). Raising
  stops the start (ProviderError), like a provider module that fails to import.

How the engine finds a provider's types: the module-level `RESOURCE_TYPES` list (classes); without
it, every `ResourceType` subclass defined in the module with a `full_type`. The registry of modules
is `drlab.azure.providers.MODULES`; every module must import (`load_modules` raises ProviderError
otherwise, and the simulator does not start).

What the engine does around the provider hooks (so providers need not):

* Routing is case-insensitive; `rid` is canonical: the registered casing of namespace and types, the
  stored casing of the resource group and parent names, the request's casing for a new name.
* PUT/PATCH/POST bodies must be JSON objects (400 `InvalidRequestContent`); `api-version` is
  required (400 `MissingApiVersionParameter`) and must be one the request's type knows, from the one
  table drlab/azure/apiversions.py (400 `InvalidApiVersionParameter` for ARM's own types,
  `NoRegisteredProviderFound` for a provider's). A provider that adds a type or a route adds its
  versions there (tests/lab/test_azure_arm_basics.py checks that every type and route is covered).
* Lists are paged by the engine in key order (case-folded id) unless `filter_list` reorders them;
  `$skiptoken` anchors on the last item returned (stable while items come and go).
* Tags at scope (`{scope}/providers/Microsoft.Resources/tags/default`) are the engine's
  (drlab/azure/tags.py): they read and write the resource's own `tags`.
* Before `prepare_put`: the subscription, the resource group (404 `ResourceGroupNotFound`) and, for
  child types, the parent (404 `ParentResourceNotFound`) must exist; for `tracked` types the
  location must be given (400 `LocationRequired`) and be a lab region (400
  `LocationNotAvailableForResourceType`). A write while a DELETE of the resource (or of an
  ancestor) is pending answers 409 `Conflict`.
* After `prepare_put`/`prepare_patch`: `id`, `name` and `type` are filled in when missing. For a
  long-running PUT/PATCH, when `properties.provisioningState` is missing or `Succeeded` the engine
  sets `Creating` (new) / `Updating` (existing); for a long-running DELETE it sets `Deleting`.
  The operation completes after the type's duration in lab time: `on_lro_complete` is then called
  (raise `ArmError` there to fail the operation: status `Failed` with that error; a PUT/PATCH
  then shows `provisioningState: Failed`).
* A new PUT/PATCH/POST on a resource whose earlier operation is still running completes that
  operation first (as `Succeeded`).
* DELETE of a missing resource answers 204 (a missing group: 404 `ResourceGroupNotFound`). A
  delete removes the resource and everything under it (children; a group's resources), then calls
  `on_deleted` for each removed resource, deepest first. `ctx.delete` removes without checks and
  without hooks.
* Actions: the method returns a dict (200, or the final result of a long-running action) or None
  (204). Long-running actions complete after `action_duration`.
* Headers: `Azure-AsyncOperation` points at the operation status URL, `Location` at the operation
  result URL, both with the request's api-version, plus `Retry-After` (config `retry_after`).
  Default URLs: `/subscriptions/{s}/providers/{ns}/locations/{location}/operationStatuses/{id}` and
  `.../operationResults/{id}`; a type can choose its own with `operation_paths()`.
"""
import enum


class LroStyle(enum.Enum):
    SYNC = "sync"                  # 200/201 with the final body
    # 201/200 with body (provisioningState in progress) + Azure-AsyncOperation header; the client
    # polls the status URL, then GETs the resource (Network, Compute PUT)
    ASYNC_OPERATION = "azure-async-operation"
    # 202 + Location (+ Retry-After); polling Location returns 202 until done, then 200 with the
    # final body or 204 for deletes (Storage account create, resource group delete)
    LOCATION = "location"
    # 202 + Location + Azure-AsyncOperation (both), the safe superset (deletes in Network/Compute,
    # RecoveryServices operations)
    BOTH = "both"


class ArmError(Exception):
    """An error the simulator answers with, in ARM's envelope."""

    def __init__(self, status, code, message, target=None, details=None, additional_info=None,
                 headers=None):
        super().__init__("%s %s: %s" % (status, code, message))
        self.status = status
        self.code = code
        self.message = message
        self.target = target
        self.details = details or []
        self.additional_info = additional_info or []
        self.headers = headers or {}

    def envelope(self):
        err = {"code": self.code, "message": self.message}
        if self.target:
            err["target"] = self.target
        if self.details:
            err["details"] = self.details
        if self.additional_info:
            err["additionalInfo"] = self.additional_info
        return {"error": err}


def not_found(rid):
    if getattr(rid, "namespace", None) and len(getattr(rid, "types", ())) > 1:
        # nested: 'Microsoft.Network/virtualNetworks/vnet1/subnets/s1'
        typed = "/".join([rid.namespace] + [x for pair in zip(rid.types, rid.names) for x in pair])
    else:
        typed = "%s/%s" % (rid.full_type, rid.name)
    return ArmError(404, "ResourceNotFound",
                    "The Resource '%s' under resource group '%s' was not found. For more details please go to "
                    "https://aka.ms/ARMResourceNotFoundFix" % (typed, rid.resource_group))


def bad_request(code, message, target=None):
    return ArmError(400, code, message, target=target)


class Paged(list):
    """A list a ROUTES handler returns for the engine to page (`$skiptoken`, `nextLink`). With `render`, the list
    holds stored bodies and only the page's items are rendered (a 500-item list rendered every item for each of its
    five pages)."""

    def __init__(self, items=(), render=None):
        super().__init__(items)
        self.render = render


class ResourceType:
    """One ARM resource type. Subclass per type; the engine instantiates each once."""

    #: "Microsoft.Network/virtualNetworks"; a child type: "Microsoft.Network/virtualNetworks/subnets"
    full_type = None
    #: for child types, the parent's full type (the engine requires the parent to exist)
    parent_type = None
    #: resource types that are proxy resources (no location / tags), e.g. subnets, vault settings
    tracked = True
    put_style = LroStyle.SYNC
    patch_style = LroStyle.SYNC
    delete_style = LroStyle.SYNC
    #: action name (case-insensitive) -> (method name, LroStyle)
    actions = {}
    #: lab time (seconds) a long-running operation takes before it completes; config `durations`
    #: overrides them per type (put/patch/delete/action)
    put_duration = 0.0
    delete_duration = 0.0
    #: PATCH duration (None: put_duration) and long-running actions' duration
    patch_duration = None
    action_duration = 0.0
    #: listable at subscription scope (GET /subscriptions/{s}/providers/{ns}/{type})
    list_at_subscription = True
    #: the status of a PUT that creates (SYNC and ASYNC_OPERATION styles); some RPs answer 200
    create_status = 201

    def prepare_put(self, ctx, rid, body, existing):
        """Validate a create/replace and return the body to store (id, name, type filled in)."""
        raise NotImplementedError

    def prepare_patch(self, ctx, rid, body, existing):
        raise ArmError(405, "MethodNotAllowed", "PATCH is not supported for %s" % self.full_type)

    def render(self, ctx, stored):
        """The body a GET returns (default: what was stored)."""
        return stored

    def render_list(self, ctx, stored):
        """One element of a list of this type (default: as a GET renders it). Real lists are sparser than a
        GET for some types (ASR's protected items carry their disks and NICs empty)."""
        return self.render(ctx, stored)

    def check_delete(self, ctx, rid, existing):
        """Raise ArmError when the resource cannot be deleted now (in use)."""

    def on_deleted(self, ctx, rid, existing):
        """Side effects after a delete (e.g. release an IP)."""

    def on_lro_complete(self, ctx, rid, stored, verb):
        """Called when a long-running PUT/PATCH/DELETE completes (lab time passed).

        Return the body to store (e.g. provisioningState -> Succeeded), or None to keep it.
        """
        if verb in ("PUT", "PATCH") and isinstance(stored.get("properties"), dict):
            stored["properties"]["provisioningState"] = "Succeeded"
        return stored

    # -- optional hooks (the engine checks for them; defaults shown) ------------------------------
    # def on_action_complete(self, ctx, rid, action, result):
    #     """A long-running action completed: return its final result (dict) or None."""
    #     return result
    #
    # def operation_paths(self, ctx, rid, operation_id, verb):
    #     """(status path, result path) of a long-running operation, without query string."""
    #
    # def filter_list(self, ctx, items, query):
    #     """Apply query options ($filter, ...) to the stored bodies of a list; return the items."""


class Context:
    """What the engine gives a resource provider (documented here; implemented by the engine).

    ctx.subscription_id / ctx.tenant_id
    ctx.base_url                        https://127.0.0.1:18443
    ctx.get(rid_or_str) -> dict|None    stored body, case-insensitive id
    ctx.put(rid_or_str, body)           store without going through prepare_put (side effects)
    ctx.delete(rid_or_str)              delete (and its children) without checks
    ctx.list(full_type, scope=None) -> [dict]   scope: "/subscriptions/s[/resourceGroups/rg]" or a parent id
    ctx.list_ids(full_type, scope=None) -> [str]   the ids list() answers, no body read (page on them)
    ctx.exists_rg(sub, rg) -> bool
    ctx.now() -> datetime (lab clock, UTC);  ctx.now_iso() -> "2026-...Z"
    ctx.new_guid() -> str
    ctx.parse(str) -> ResourceId
    ctx.location_of_rg(sub, rg) -> str

    Also (engine additions):
    ctx.principal                       {"tenant_id", "client_id", "object_id"} of the caller (or {})
    ctx.api_version                     the request's api-version (None outside a request)
    ctx.query                           the request's query parameters (case-insensitive keys)
    ctx.locations                       {name: display name} of the lab regions
    ctx.normalize_location(str) -> str|None   "West Europe" -> "westeurope" (None: not a lab region)
    ctx.config                          the simulator configuration (read only)
    ctx.operation_id                    the id the engine will give the operation this request
                                        starts (a GUID); a provider may set it (e.g. to a job id)
    ctx.response_headers                dict merged into the answer (e.g. x-ms-request-id)
    ctx.list_children(rid_or_str) -> [dict]   everything stored directly under a resource
    ctx.memo                            {} that lives as long as the context (one request, one background slice):
                                        what a provider reads once per request (keys: the provider's own)
    """
