"""Azure Site Recovery (Microsoft.RecoveryServices vaults' replication* resources) and the Azure
Migrate discovery it relies on (Microsoft.OffAzure), for the lab's ARM simulator.

Design and internal contracts: docs/lab-asr.md. This package module is the provider module the
engine loads (drlab.azure.providers.MODULES). Importing it starts the package: registry.py imports
every submodule (plain imports: a submodule that fails to import fails this import, and the
simulator's start), collects their `RESOURCE_TYPES`, `ROUTES`, `ADMIN_ROUTES`, job callbacks, job
result kinds and discovery listeners, checks them and installs them (registry.RegistryError stops
the start). Its hooks (drlab/azure/rp.py): `before_request` brings the lazily simulated processes
(jobs, appliance registration and discovery, initial replication) up to lab time before every
Microsoft.RecoveryServices / Microsoft.OffAzure request (and the appliance's admin routes);
`background` runs the due job transitions between requests (the background advancer); `on_start` refuses stored
jobs that name an unregistered callback; `on_reset` forgets the package's store meta.
"""
from drlab.azure.providers.siterecovery import common, fabric, items, jobs, registry, vcenter

_NAMESPACES = ("/providers/microsoft.recoveryservices/", "/providers/microsoft.offazure/")

#: the collected, checked and installed declarations of the submodules (registry.MODULES)
REGISTRY = registry.start()

RESOURCE_TYPES = REGISTRY.resource_types
ROUTES = REGISTRY.routes
ADMIN_ROUTES = REGISTRY.admin_routes
#: the submodules serving the package, in routing order
LOADED = [module.__name__.rsplit(".", 1)[-1] for module in REGISTRY.modules]

#: prefix of every store meta item of the package (agents, job and item indexes, appliance sites...)
META_PREFIX = common.META_PREFIX


def advance(ctx):
    """Everything lazily simulated, up to ctx.now(): jobs, appliances and discovery, replication."""
    jobs.advance(ctx)
    fabric.advance(ctx)
    jobs.advance(ctx)
    items.advance(ctx)


def background_io(ctx):
    """Engine hook (drlab/azure/rp.py), the background advancer's I/O outside the store lock: a periodic discovery
    that is due gets its vCenter read now (fabric.read_ahead), applied by whoever brings the appliance up to date
    first."""
    fabric.read_ahead(ctx)


def background(ctx, deadline):
    """Engine hook (drlab/azure/rp.py, the background advancer: drlab/azure/background.py): the jobs' transitions
    due by now, until `deadline` (time.monotonic()), and a periodic discovery read ahead; answers the lab time of
    the next due work (now when some is left for the next slice; None when nothing is scheduled). Periodic
    discoveries only at fabric.AHEAD_MIN_SCALE and above (the tests' manual clock keeps them in the requests, exactly
    when due); the initial replications stay with the requests (cheap)."""
    if jobs.advance(ctx, deadline):
        return common.now_epoch(ctx)
    due = [jobs.next_due(ctx)]
    if ctx.engine.app.clock.time_scale >= fabric.AHEAD_MIN_SCALE:     # below, discovery stays with the requests
        fabric.advance(ctx)
        due.append(fabric.next_sync(ctx))
    due = [t for t in due if t is not None]
    if not due:
        return None
    # work that is due already and that this slice did not do (a discovery that cannot run, a job this context does
    # not advance) is left to the requests: answering a past time would make the thread look again at once, forever
    # (it spun at hundreds of slices a second in the test suite's labs)
    return min(due) if min(due) > common.now_epoch(ctx) else None


def on_start(ctx):
    """Engine hook (drlab/azure/rp.py), before the simulator answers anything: every stored job that may still
    run a callback names registered keys only (registry.check_jobs raises RegistryError otherwise)."""
    registry.check_jobs(ctx)


def on_reset(store):
    """Engine hook (drlab/azure/rp.py) of `POST /_lab/reset`: the package's state kept in store meta
    (agent registrations by vault, the running-job and live-item indexes, the appliance's sites and the
    vaults it saw) goes with the resources; the appliance's vCenter link reconnects on next use."""
    store.meta_delete_prefix(META_PREFIX)
    vcenter.reset()
    fabric.forget_ahead()


def before_request(ctx, req):
    """Engine hook (drlab/azure/rp.py): advance before ASR and Azure Migrate requests."""
    path = (req.path or "").lower()
    if req.kind == "admin" or path.startswith("/_lab/") or any(ns in path for ns in _NAMESPACES):
        advance(ctx)
