"""Azure Site Recovery (Microsoft.RecoveryServices vaults' replication* resources) and the Azure
Migrate discovery it relies on (Microsoft.OffAzure), for the lab's ARM simulator.

Design and internal contracts: docs/lab-asr.md. This package module is the provider module the
engine loads (drlab.azure.providers.MODULES): it aggregates the submodules' `RESOURCE_TYPES`,
`ROUTES` and `ADMIN_ROUTES`, and its `before_request` hook brings the lazily simulated processes
(jobs, appliance registration and discovery, initial replication) up to lab time before every
Microsoft.RecoveryServices / Microsoft.OffAzure request (and the appliance's admin routes).

Submodules written later (actions.py, effects.py, plans.py) are imported when present; a missing one
is skipped, one that fails to import is logged and skipped (the rest keeps working).
"""
import importlib
import logging
import traceback

LOG = logging.getLogger("drlab.azure.asr")

#: submodules contributing RESOURCE_TYPES / ROUTES / ADMIN_ROUTES, in routing order
SUBMODULES = ("jobs", "fabric", "policies", "items", "plans", "actions", "effects")
_NAMESPACES = ("/providers/microsoft.recoveryservices/", "/providers/microsoft.offazure/")

RESOURCE_TYPES = []
ROUTES = []
ADMIN_ROUTES = []
LOADED = []


def _load():
    for name in SUBMODULES:
        qualified = "%s.%s" % (__name__, name)
        try:
            module = importlib.import_module(qualified)
        except ModuleNotFoundError as err:
            if err.name == qualified:
                continue
            LOG.warning("ASR submodule %s not loaded: %s", name, err)
            continue
        except Exception:  # pylint: disable=broad-except  # another engineer's module must not stop the rest
            LOG.warning("ASR submodule %s not loaded:\n%s", name, traceback.format_exc())
            continue
        LOADED.append(name)
        RESOURCE_TYPES.extend(getattr(module, "RESOURCE_TYPES", None) or [])
        ROUTES.extend(getattr(module, "ROUTES", None) or [])
        ADMIN_ROUTES.extend(getattr(module, "ADMIN_ROUTES", None) or [])


_load()


def advance(ctx):
    """Everything lazily simulated, up to ctx.now(): jobs, appliances and discovery, replication."""
    from drlab.azure.providers.siterecovery import fabric, items, jobs   # pylint: disable=import-outside-toplevel
    jobs.advance(ctx)
    fabric.advance(ctx)
    jobs.advance(ctx)
    items.advance(ctx)


#: prefix of every store meta item of the package (agents, job and item indexes, appliance sites...)
META_PREFIX = "asr."


def on_reset(store):
    """Engine hook (drlab/azure/rp.py) of `POST /_lab/reset`: the package's state kept in store meta
    (agent registrations by vault, the running-job and live-item indexes, the appliance's sites and the
    vaults it saw) goes with the resources; the appliance's vCenter link reconnects on next use."""
    from drlab.azure.providers.siterecovery import vcenter   # pylint: disable=import-outside-toplevel
    store.meta_delete_prefix(META_PREFIX)
    vcenter.reset()


def before_request(ctx, req):
    """Engine hook (drlab/azure/rp.py): advance before ASR and Azure Migrate requests."""
    path = (req.path or "").lower()
    if req.kind == "admin" or path.startswith("/_lab/") or any(ns in path for ns in _NAMESPACES):
        advance(ctx)
