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
`on_start` refuses stored jobs that name an unregistered callback; `on_reset` forgets the
package's store meta.
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


def before_request(ctx, req):
    """Engine hook (drlab/azure/rp.py): advance before ASR and Azure Migrate requests."""
    path = (req.path or "").lower()
    if req.kind == "admin" or path.startswith("/_lab/") or any(ns in path for ns in _NAMESPACES):
        advance(ctx)
