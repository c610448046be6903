"""The resource providers of the Azure simulator (see drlab/azure/rp.py for the contract).

`MODULES` lists them in registration order; `load_modules()` imports them. A provider that is not
there (yet) or fails to import is skipped with a warning, so the simulator still starts with the
others (`GET /_lab/health` lists the providers that loaded).
"""
import importlib
import logging

LOG = logging.getLogger("drlab.azure.providers")

MODULES = [
    "drlab.azure.providers.resources",         # subscriptions, resource groups, generic resources
    "drlab.azure.providers.recoveryservices",  # vaults, replicationVaultSettings
    "drlab.azure.providers.network",
    "drlab.azure.providers.compute",
    "drlab.azure.providers.storage",
    # Azure Site Recovery (vaults' replication* resources) and Azure Migrate discovery (Microsoft.OffAzure)
    "drlab.azure.providers.siterecovery",
]

#: modules that must load (the simulator is useless without them)
REQUIRED = ("drlab.azure.providers.resources",)


def load_modules(names=None):
    out = []
    for name in names or MODULES:
        try:
            out.append(importlib.import_module(name))
        except Exception as e:  # ImportError, or a provider's own bug: keep the others running
            if name in REQUIRED:
                raise
            LOG.warning("resource provider %s not loaded: %s: %s", name, type(e).__name__, e)
    return out
