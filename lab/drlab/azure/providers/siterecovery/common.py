"""Shared helpers of the Azure Site Recovery provider package: resource types, ids, lab time, config, store access
and the package's store meta keys.

The state layer of the package (docs/lab-asr.md, "Package layout"), with errors.py and vocabulary.py: it imports
nothing of the package above it (only errors.py).

Stored bodies keep the simulator's private state under the key `_lab` (never rendered); `public()`
strips it. ASR answers ids with `/Subscriptions/` (capital S): `asr_id()`.
"""
import copy
import datetime
import uuid

from drlab.azure import config as configmod
from drlab.azure.clock import iso
from drlab.azure.providers.siterecovery import errors
from drlab.azure.rp import ArmError

RS = "Microsoft.RecoveryServices"
VAULT = RS + "/vaults"
FABRIC = VAULT + "/replicationFabrics"
CONTAINER = FABRIC + "/replicationProtectionContainers"
MAPPING = CONTAINER + "/replicationProtectionContainerMappings"
ITEM = CONTAINER + "/replicationProtectedItems"
VCENTER = FABRIC + "/replicationvCenters"
RS_PROVIDER = FABRIC + "/replicationRecoveryServicesProviders"
POLICY = VAULT + "/replicationPolicies"
JOB = VAULT + "/replicationJobs"
EVENT = VAULT + "/replicationEvents"

OFFAZURE = "Microsoft.OffAzure"
SITE = OFFAZURE + "/VMwareSites"
MACHINE = SITE + "/machines"
RUN_AS_ACCOUNT = SITE + "/runasaccounts"
SITE_VCENTER = SITE + "/vcenters"

AZURE_FABRIC = "Microsoft Azure"     # recoveryFabricId / targetProtectionContainerId of VMware -> Azure
DEFAULT_API_VERSION = "2025-08-01"
IDLE_SCENARIO_START = "1753-01-01T01:01:01Z"
PRIVATE = "_lab"

#: the path prefix of everything under a vault, for provider ROUTES (named groups sub, rg, vault)
VAULT_PATH = (r"/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/Microsoft\.RecoveryServices/"
              r"vaults/(?P<vault>[^/]+)")
FABRIC_PATH = VAULT_PATH + r"/replicationFabrics/(?P<fabric>[^/]+)"
CONTAINER_PATH = FABRIC_PATH + r"/replicationProtectionContainers/(?P<container>[^/]+)"
ITEM_PATH = CONTAINER_PATH + r"/replicationProtectedItems/(?P<item>[^/]+)"

#: prefix of every store meta item of the package: `POST /_lab/reset` forgets them all (the package's on_reset).
#: The keys below are persisted in the store (SQLite): their values never change.
META_PREFIX = "asr."
JOBS_ACTIVE_KEY = META_PREFIX + "jobs.active"   # [{"id", "target", "affected"}] of the InProgress/Suspended jobs
JOBS_FAILED_KEY = META_PREFIX + "jobs.failed"   # {target id (lower): the last job that failed on it}
ITEMS_LIVE_KEY = META_PREFIX + "items.live"     # ids of the items whose initial replication runs
VAULTS_SEEN_KEY = META_PREFIX + "vaults.seen"   # {vault key: createdAt} of the vaults the appliance looked at
SITES_KEY = META_PREFIX + "sites"               # [site ids] the appliance keeps in sync
AGENTS_KEY = META_PREFIX + "agents."            # + vault key (or "legacy") -> {bios id: agent record}


def asr_id(value):
    """ASR's casing of an ARM id (`/Subscriptions/...`)."""
    if isinstance(value, str) and value.lower().startswith("/subscriptions/"):
        return "/Subscriptions/" + value[len("/subscriptions/"):]
    return value


def same_id(a, b):
    return isinstance(a, str) and isinstance(b, str) and a.rstrip("/").lower() == b.rstrip("/").lower()


def under(resource_id, parent_id):
    """Is resource_id parent_id itself or below it (case-insensitive)?"""
    rid, pid = resource_id.lower().rstrip("/"), parent_id.lower().rstrip("/")
    return rid == pid or rid.startswith(pid + "/")


def vault_id_of(resource_id):
    """The vault id (as given) of any id under a vault, else None."""
    parts = resource_id.split("/")
    low = [p.lower() for p in parts]
    for i in range(len(low) - 1):
        if low[i] == "vaults" and i >= 1 and low[i - 1] == "microsoft.recoveryservices":
            return "/".join(parts[:i + 2])
    return None


def vault_id(match):
    """The vault id of a ROUTES match (groups sub, rg, vault)."""
    return "/subscriptions/%s/resourceGroups/%s/providers/%s/%s" % (
        match.group("sub"), match.group("rg"), VAULT, match.group("vault"))


def internal_id(resource_id, salt=""):
    """A stable GUID for an ASR object (ASR's internal ids: targetObjectId, internalIdentifier...)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "drlab-asr:%s:%s" % (salt, resource_id.lower())))


def stable_guid(*parts):
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "drlab-asr:" + "/".join(str(p).lower() for p in parts)))


def private(body):
    """The private state of a stored body (created when missing)."""
    return body.setdefault(PRIVATE, {})


def public(body):
    """A deep copy of a stored body without its private state."""
    return copy.deepcopy({k: v for k, v in body.items() if k != PRIVATE})


def now_epoch(ctx):
    return ctx.engine.app.clock.now_epoch()


def to_iso(epoch):
    return iso(epoch) if epoch is not None else None


def from_iso(text):
    """ARM timestamp (or any ISO 8601 with Z/offset) -> epoch seconds; None when unparsable."""
    if not isinstance(text, str) or not text:
        return None
    value = text.strip().replace("Z", "+00:00").replace("z", "+00:00")
    if "." in value:   # .NET's 7 fractional digits: keep microseconds
        head, tail = value.split(".", 1)
        digits = "".join(ch for ch in tail if ch.isdigit())
        rest = tail[len(digits):]
        value = "%s.%s%s" % (head, (digits + "000000")[:6], rest)
    try:
        dt = datetime.datetime.fromisoformat(value)
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=datetime.timezone.utc)
    return dt.timestamp()


def config(ctx):
    """The `asr` section of the simulator configuration."""
    return ctx.config.get("asr") or {}


def _default(path):
    """The built-in default of config `asr.<path>` (drlab.azure.config.DEFAULTS: the one source of the
    defaults, documented in lab/config/azure.yml). A key missing there is a bug: KeyError."""
    value = configmod.DEFAULTS["asr"]
    for key in path:
        value = value[key]
    return value


def setting(ctx, *path):
    """Config `asr.<path...>` (e.g. setting(ctx, "rpo", "steady_seconds")): the running configuration's
    value, else the built-in default (every key the code reads has one: KeyError otherwise)."""
    default = _default(path)
    value = config(ctx)
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return default if value is None else value


def duration(ctx, key):
    """A lab duration (seconds) from config `asr.durations.<key>`."""
    default = _default(("durations", key))
    try:
        return max(0.0, float(setting(ctx, "durations", key)))
    except (TypeError, ValueError):
        return float(default)


def appliance_setting(ctx, key):
    """Config `asr.appliance.<key>`."""
    return setting(ctx, "appliance", key)


def retry_after(ctx):
    return str(int(ctx.config.get("retry_after", 1)))


def get_or_404(ctx, resource_id, what=None):
    """The stored body, or ARM's 404 (ResourceNotFound) naming the resource."""
    body = ctx.get(resource_id)
    if body is None:
        rid = ctx.parse(resource_id)
        raise ArmError(404, "NotFound" if what else "ResourceNotFound",
                       "%s '%s' was not found." % (what or rid.full_type, rid.name))
    return body


def require_vault(ctx, match):
    """The vault of a ROUTES match, or 404 like ARM."""
    vid = vault_id(match)
    if ctx.get(vid) is None:
        raise ArmError(404, "ResourceNotFound",
                       "The Resource '%s/%s' under resource group '%s' was not found. For more details please go "
                       "to https://aka.ms/ARMResourceNotFoundFix" % (VAULT, match.group("vault"), match.group("rg")))
    return ctx.engine.canonical(ctx.parse(vid)).id


def list_in_vault(ctx, full_type, vault):
    """Every stored resource of a type below a vault (any depth)."""
    rid = ctx.parse(vault)
    scope = "/subscriptions/%s/resourceGroups/%s" % (rid.subscription, rid.resource_group)
    return [b for b in ctx.list(full_type, scope) if under(b["id"], vault)]


def ids_in_vault(ctx, full_type, vault):
    """The ids list_in_vault would answer, without reading a body."""
    rid = ctx.parse(vault)
    scope = "/subscriptions/%s/resourceGroups/%s" % (rid.subscription, rid.resource_group)
    return [i for i in ctx.list_ids(full_type, scope) if under(i, vault)]


def render_with(ctx, body):
    """Render a stored body through its registered resource type (what a GET answers)."""
    rid = ctx.parse(body["id"])
    rt = ctx.engine.type_of(rid.full_type)
    return rt.render(ctx, body) if rt is not None else public(body)


def meta_get(ctx, key, default=None):
    return ctx.engine.store.meta_get(key, default)


def memo_read(ctx, key, read):
    """`read()` once per context (one request, one background slice) while nothing is written to the store: any
    write (a resource, a meta key, this thread's or another's) forgets every memoized read. What it returns is
    shared by the readers of the context: read-only (ctx.get a copy to change)."""
    version = ctx.engine.store.version
    memo = ctx.memo.setdefault("asr.reads", {})
    if memo.get(None) != version:
        memo.clear()
        memo[None] = version
    if key not in memo:
        memo[key] = read()
    return memo[key]


def meta_set(ctx, key, value):
    ctx.engine.store.meta_set(key, value)


def choose(value, allowed, field):
    """Case-insensitive enum check: the allowed spelling, or a 400 naming the allowed values."""
    for candidate in allowed:
        if isinstance(value, str) and candidate.lower() == value.lower():
            return candidate
    raise errors.invalid_input("'%s' is not a valid value of %s. Allowed values: %s." % (
        value, field, ", ".join(allowed)))
