"""The resource providers of the Azure simulator (see drlab/azure/rp.py for the contract).

`MODULES` lists them in registration order; `load_modules()` imports them. Every provider must load:
one that fails to import (a missing module, a provider's own bug, a package whose parts do not fit
together) raises ProviderError, so the simulator does not start (`python -m drlab.azure` exits
non-zero with the error on stderr) instead of starting without it.

`DRLAB_AZURE_EXTRA_PROVIDERS` (environment, comma-separated module names) adds provider modules after
`MODULES`: a lab extension, or a test's provider that fails to import.
"""
import importlib
import os

MODULES = [
    "drlab.azure.providers.resources",         # subscriptions, resource groups, generic resources
    "drlab.azure.providers.recoveryservices",  # vaults, replicationVaultSettings
    "drlab.azure.providers.network",
    "drlab.azure.providers.compute",
    "drlab.azure.providers.storage",
    # Azure Site Recovery (vaults' replication* resources) and Azure Migrate discovery (Microsoft.OffAzure)
    "drlab.azure.providers.siterecovery",
]

EXTRA_ENV = "DRLAB_AZURE_EXTRA_PROVIDERS"


class ProviderError(RuntimeError):
    """A resource provider cannot start: the simulator must not either."""


def module_names():
    """MODULES, then the extra providers of DRLAB_AZURE_EXTRA_PROVIDERS."""
    extra = [n.strip() for n in os.environ.get(EXTRA_ENV, "").split(",") if n.strip()]
    return list(MODULES) + [n for n in extra if n not in MODULES]


def load_modules(names=None):
    """Import the provider modules (default: module_names()); the first that fails raises ProviderError."""
    out = []
    for name in names or module_names():
        try:
            out.append(importlib.import_module(name))
        except Exception as err:
            what = "%s: %s" % (type(err).__name__, err)
            raise ProviderError("resource provider %s failed to import: %s" % (name, what)) from err
    return out
