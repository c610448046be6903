"""The api-versions ARM accepts, per resource type, for every type the lab serves: ONE table.

The engine checks every resource-provider request against it (engine.check_api_version); the
provider list (`GET /subscriptions/{s}/providers[/{ns}]`, resources.py) shows the same lists. A
request's type is the chain of type segments after the last `providers/{namespace}` of its path
(`Microsoft.Compute/virtualMachines/instanceView` for `.../virtualMachines/vm1/instanceView`); the
longest registered prefix of that chain decides (an action or a sub-path uses its resource's list,
as ARM routes it). A path with no registered prefix is left to routing (InvalidResourceType, 404).

How ARM answers a version it does not know (both 400, copied from real answers):

* ARM's own types (namespace Microsoft.Resources: subscriptions, tenants, providers, resource
  groups, generic resources, tags, deployments): `InvalidApiVersionParameter`, "The api-version
  '2023-02-01' is invalid. The supported versions are '2023-07-01,2023-07-01-preview,...'." with
  ARM's own list, comma-separated, in ARM's order (azure-cli#27109, azure-cli#28038,
  ansible-collections/azure#1739, azure-cli#30880). Those real answers end after the list (no
  "supported locations" sentence), so the lab's do too.
* a resource provider's type: `NoRegisteredProviderFound`, "No registered resource provider found
  for location 'eastus' and API version '2023-11-01' for type 'networkInterfaces'. The supported
  api-versions are '2014-12-01-preview, 2015-05-01-preview, ...'. The supported locations are
  'westus, eastus, ...'." (azure-cli#28496, azure-sdk-for-js#9297, azure-sdk-for-python#32029,
  azure-rest-api-specs#11929): the type without its namespace, the versions oldest first joined
  with ", ", then the type's regions (the lab's).

Sources of the lists (reference data, read 2026; "spec" = Azure/azure-rest-api-specs):

* Microsoft.Resources: the list ARM itself prints in InvalidApiVersionParameter (newest answer
  seen: an `az containerapp` error pasted 2026-09, '2026-06-01,2025-04-01,...,2014-04'); it
  contains every version of specification/resources/.../Microsoft.Resources/resources/readme.md
  (2015-11-01 .. 2025-04-01) and of the subscriptions API (2016-06-01 .. 2022-12-01).
* Microsoft.RecoveryServices/vaults: spec .../Microsoft.RecoveryServices/RecoveryServices/readme.md
  (2016-06-01 .. 2026-08-01), plus 2026-11-01 (azure-mgmt-recoveryservices 4.3.0) and the
  2015-2018 versions the ARM template schema lists for the type (azure-resource-manager-schemas#2037).
* Microsoft.RecoveryServices/vaults/replication* (Site Recovery): spec
  .../Microsoft.RecoveryServices/SiteRecovery/readme.md (2016-08-10 .. 2026-05-01).
* Microsoft.OffAzure: spec specification/migrate/resource-manager readme (stable 2020-01-01,
  2020-07-07, 2023-06-06).
* Microsoft.Compute: virtual machines and sizes: the VM manifest list ARM printed for
  'virtualMachines/extensions' (MicrosoftDocs/azure-docs#62621) and 'virtualMachineScaleSets/
  networkInterfaces' (azure-sdk-for-python#32029), then the ComputeRP folders (2023-09-01 ..
  2025-04-01) and azure-mgmt-compute 39 (2025-11-01, 2026-03-01, 2026-04-01); disks: the DiskRP
  versions (Azure/bicep-types-az generated/compute, azure-cli's profile, azure-mgmt-compute 39's
  2026-03-02); resource SKUs: skus.json (2017-09-01, 2019-04-01, 2021-07-01).
* Microsoft.Network: the manifest list ARM printed for 'networkInterfaces' (azure-cli#28496,
  2014-12-01-preview .. 2023-09-01), then 2023-11-01, 2024-10-01, 2025-01-01, 2025-03-01 (seen in
  Azure/bicep-types-az generated/network) and azure-mgmt-network 33's api_versions_list (2025-05-01
  .. 2026-03-01); 2024-01-01, 2024-03-01, 2024-05-01, 2024-07-01 are the published versions between
  them as we know them (not re-read this time).
* Microsoft.Storage: spec .../Microsoft.Storage/Storage/readme.md (read there: 2026-09 .. 2025-01,
  2024-01, 2023-05, 2023-04, 2023-01, 2022-09, 2021-08, 2021-06, 2021-04); the others (2022-05-01,
  2021-09-01 and 2015-05-01-preview .. 2021-02-01) are the older published folders as we know them
  (not re-read this time).

Must stay accepted (checked by tests/lab/test_azure_arm_basics.py): every version the pinned SDKs
of tests/constraints.txt send, those of azure-cli's current profile and of azure.azcollection's SDK
floors (azure-mgmt-compute 33, -network 28, -resource 23.2, -recoveryservices 2.x/3.x,
-recoveryservicessiterecovery 1.x/2.x, -storage 21), and the recorded real traffic (ASR 2021-06-01,
2021-11-01, 2024-02-01, 2026-02-01; vaults 2022-10-01, 2026-01-01).
"""

#: ARM's own versions (Microsoft.Resources), exactly as ARM lists them in InvalidApiVersionParameter
#: (its order, not sorted; '2014-04' is ARM's, too)
ARM = (
    "2026-06-01", "2025-04-01", "2025-03-01", "2024-10-01-preview", "2024-11-01", "2024-08-01", "2024-07-01",
    "2024-06-01-preview", "2024-03-01", "2023-07-01", "2023-07-01-preview", "2023-03-01-preview", "2022-12-01",
    "2022-11-01-preview", "2022-09-01", "2022-06-01", "2022-05-01", "2022-03-01-preview", "2022-01-01",
    "2021-04-01", "2021-01-01", "2020-10-01", "2020-09-01", "2020-08-01", "2020-07-01", "2020-06-01",
    "2020-05-01", "2020-01-01", "2019-11-01", "2019-10-01", "2019-09-01", "2019-08-01", "2019-07-01",
    "2019-06-01", "2019-05-10", "2019-05-01", "2019-03-01", "2018-11-01", "2018-09-01", "2018-08-01",
    "2018-07-01", "2018-06-01", "2018-05-01", "2018-02-01", "2018-01-01", "2017-12-01", "2017-08-01",
    "2017-06-01", "2017-05-10", "2017-05-01", "2017-03-01", "2016-09-01", "2016-07-01", "2016-06-01",
    "2016-02-01", "2015-11-01", "2015-01-01", "2014-04-01-preview", "2014-04-01", "2014-01-01", "2013-03-01",
    "2014-02-26", "2014-04",
)

#: Tags at scope (`{scope}/providers/Microsoft.Resources/tags/default`) appeared in 2019-10-01
#: (resources.json); ARM's versions from then on. Our guess: ARM's frontdoor may accept its whole
#: list here and fail later for older versions.
ARM_TAGS = tuple(v for v in ARM if len(v) >= 10 and v[:10] >= "2019-10-01")

#: Microsoft.RecoveryServices/vaults (vault API: vaults, usages, identities, operation status)
VAULTS = (
    "2026-11-01", "2026-08-01", "2026-07-01", "2026-05-31-preview", "2026-05-01", "2026-03-31-preview",
    "2026-02-01", "2026-01-01", "2025-08-01", "2025-02-01", "2025-01-01", "2024-10-01", "2024-09-30-preview",
    "2024-04-30-preview", "2024-04-01", "2024-02-01", "2024-01-01", "2023-08-01", "2023-06-01", "2023-04-01",
    "2023-02-01", "2023-01-01", "2022-10-01", "2022-09-30-preview", "2022-09-10", "2022-08-01", "2022-05-01",
    "2022-04-01", "2022-03-01", "2022-02-01", "2022-01-31-preview", "2022-01-01", "2021-12-01",
    "2021-11-01-preview", "2021-08-01", "2021-07-01", "2021-06-01", "2021-04-01", "2021-03-01", "2021-02-10",
    "2021-01-01", "2020-10-01", "2020-02-02", "2018-01-10", "2017-07-01", "2016-06-01", "2016-05-01",
    "2015-12-15", "2015-11-10", "2015-08-15", "2015-08-10", "2015-06-10", "2015-03-15",
)

#: Azure Site Recovery (the vaults' replication* types)
SITE_RECOVERY = (
    "2026-05-01", "2026-03-31-preview", "2026-02-01", "2026-01-01", "2025-08-01", "2025-02-01", "2025-01-01",
    "2024-10-01", "2024-04-01", "2024-02-01", "2024-01-01", "2023-08-01", "2023-06-01", "2023-04-01",
    "2023-02-01", "2023-01-01", "2022-10-01", "2022-09-10", "2022-08-01", "2022-05-01", "2022-04-01",
    "2022-03-01", "2022-02-01", "2022-01-01", "2021-12-01", "2021-11-01", "2021-10-01", "2021-08-01",
    "2021-07-01", "2021-06-01", "2021-04-01", "2021-03-01", "2021-02-10", "2018-07-10", "2018-01-10",
    "2016-08-10",
)

#: Azure Migrate discovery (stable versions only: the preview ones were not confirmed)
OFFAZURE = ("2023-06-06", "2020-07-07", "2020-01-01")

#: Microsoft.Compute virtual machines (ComputeRP)
COMPUTE = (
    "2026-04-01", "2026-03-01", "2025-11-01", "2025-04-01", "2024-11-01", "2024-07-01", "2024-03-01",
    "2023-09-01", "2023-07-01", "2023-03-01", "2022-11-01", "2022-08-01", "2022-03-01", "2021-11-01",
    "2021-07-01", "2021-04-01", "2021-03-01", "2020-12-01", "2020-06-01", "2019-12-01", "2019-07-01",
    "2019-03-01", "2018-10-01", "2018-06-01", "2018-04-01", "2017-12-01", "2017-03-30", "2016-08-30",
    "2016-04-30-preview", "2016-03-30", "2015-06-15", "2015-05-01-preview",
)

#: Microsoft.Compute/disks (DiskRP; before 2018-09-30 disks shipped with ComputeRP versions)
DISKS = (
    "2026-03-02", "2025-01-02", "2024-03-02", "2023-10-02", "2023-04-02", "2023-01-02", "2022-07-02",
    "2022-03-02", "2021-12-01", "2021-08-01", "2021-04-01", "2020-12-01", "2020-09-30", "2020-06-30",
    "2020-05-01", "2019-11-01", "2019-07-01", "2019-03-01", "2018-09-30", "2018-06-01", "2018-04-01",
    "2017-03-30", "2016-04-30-preview",
)

#: Microsoft.Compute/skus (resource SKUs)
COMPUTE_SKUS = ("2021-07-01", "2019-04-01", "2017-09-01", "2017-03-30")

#: Microsoft.Network (one version line for the whole provider)
NETWORK = (
    "2026-03-01", "2026-01-01", "2025-09-01", "2025-07-01", "2025-05-01", "2025-03-01", "2025-01-01",
    "2024-10-01", "2024-07-01", "2024-05-01", "2024-03-01", "2024-01-01", "2023-11-01", "2023-09-01",
    "2023-06-01", "2023-05-01", "2023-04-01", "2023-02-01", "2022-11-01", "2022-09-01", "2022-07-01",
    "2022-05-01", "2022-01-01", "2021-12-01", "2021-08-01", "2021-06-01", "2021-05-01", "2021-04-01",
    "2021-03-01", "2021-02-01", "2021-01-01", "2020-11-01", "2020-08-01", "2020-07-01", "2020-06-01",
    "2020-05-01", "2020-04-01", "2020-03-01", "2020-01-01", "2019-12-01", "2019-11-01", "2019-09-01",
    "2019-08-01", "2019-07-01", "2019-06-01", "2019-04-01", "2019-02-01", "2018-12-01", "2018-11-01",
    "2018-10-01", "2018-08-01", "2018-07-01", "2018-06-01", "2018-05-01", "2018-04-01", "2018-03-01",
    "2018-02-01", "2018-01-01", "2017-11-01", "2017-10-01", "2017-09-01", "2017-08-01", "2017-06-01",
    "2017-04-01", "2017-03-01", "2016-12-01", "2016-11-01", "2016-10-01", "2016-09-01", "2016-08-01",
    "2016-07-01", "2016-06-01", "2016-03-30", "2015-06-15", "2015-05-01-preview", "2014-12-01-preview",
)

#: Microsoft.Storage (one version line for the whole provider)
STORAGE = (
    "2026-09-01", "2026-06-01", "2026-04-01", "2025-08-01", "2025-06-01", "2025-01-01", "2024-01-01",
    "2023-05-01", "2023-04-01", "2023-01-01", "2022-09-01", "2022-05-01", "2021-09-01", "2021-08-01",
    "2021-06-01", "2021-04-01", "2021-02-01", "2021-01-01", "2020-08-01-preview", "2019-06-01", "2019-04-01",
    "2018-11-01", "2018-07-01", "2018-03-01-preview", "2018-02-01", "2017-10-01", "2017-06-01", "2016-12-01",
    "2016-05-01", "2016-01-01", "2015-06-15", "2015-05-01-preview",
)

#: registered type (ARM's casing) -> its versions, newest first. Child types and actions not listed
#: use their closest listed ancestor (see lookup()). The polling URLs of long-running operations
#: carry the api-version of the request that started them: the engine checks them against that
#: request's type (a provider's `locations/operationStatuses` is not listed here).
TYPES = {
    # ARM itself
    "Microsoft.Resources/subscriptions": ARM,
    "Microsoft.Resources/subscriptions/locations": ARM,
    "Microsoft.Resources/subscriptions/resources": ARM,
    "Microsoft.Resources/subscriptions/operationresults": ARM,     # a resource group delete's Location
    "Microsoft.Resources/tenants": ARM,
    "Microsoft.Resources/providers": ARM,
    "Microsoft.Resources/resourceGroups": ARM,
    "Microsoft.Resources/resources": ARM,
    "Microsoft.Resources/tags": ARM_TAGS,
    # vaults
    "Microsoft.RecoveryServices/vaults": VAULTS,
    "Microsoft.RecoveryServices/locations/checkNameAvailability": VAULTS,
    "Microsoft.RecoveryServices/vaults/replicationUsages": VAULTS,
    # both SDKs list the provider's operations (the vault one with its versions, the Site Recovery one
    # with its own): the union
    "Microsoft.RecoveryServices/operations": tuple(sorted(set(VAULTS) | set(SITE_RECOVERY), reverse=True)),
    # Site Recovery: every replication* type of a vault the lab serves (types added after 2016-08-10,
    # e.g. replicationAppliances, accept the whole list here: our guess, ARM's manifest is not public)
    "Microsoft.RecoveryServices/vaults/replicationFabrics": SITE_RECOVERY,
    "Microsoft.RecoveryServices/vaults/replicationPolicies": SITE_RECOVERY,
    "Microsoft.RecoveryServices/vaults/replicationJobs": SITE_RECOVERY,
    "Microsoft.RecoveryServices/vaults/replicationEvents": SITE_RECOVERY,
    "Microsoft.RecoveryServices/vaults/replicationRecoveryPlans": SITE_RECOVERY,
    "Microsoft.RecoveryServices/vaults/replicationVaultSettings": SITE_RECOVERY,
    "Microsoft.RecoveryServices/vaults/replicationVaultHealth": SITE_RECOVERY,
    "Microsoft.RecoveryServices/vaults/replicationAppliances": SITE_RECOVERY,
    "Microsoft.RecoveryServices/vaults/replicationvCenters": SITE_RECOVERY,
    "Microsoft.RecoveryServices/vaults/replicationProtectionContainers": SITE_RECOVERY,
    "Microsoft.RecoveryServices/vaults/replicationProtectionContainerMappings": SITE_RECOVERY,
    "Microsoft.RecoveryServices/vaults/replicationProtectedItems": SITE_RECOVERY,
    "Microsoft.RecoveryServices/vaults/replicationRecoveryServicesProviders": SITE_RECOVERY,
    "Microsoft.RecoveryServices/vaults/replicationOperationStatus": SITE_RECOVERY,
    "Microsoft.RecoveryServices/vaults/replicationAlertSettings": SITE_RECOVERY,
    "Microsoft.RecoveryServices/vaults/replicationNetworks": SITE_RECOVERY,
    "Microsoft.RecoveryServices/vaults/replicationNetworkMappings": SITE_RECOVERY,
    "Microsoft.RecoveryServices/vaults/replicationStorageClassifications": SITE_RECOVERY,
    "Microsoft.RecoveryServices/vaults/replicationStorageClassificationMappings": SITE_RECOVERY,
    "Microsoft.RecoveryServices/vaults/replicationMigrationItems": SITE_RECOVERY,
    "Microsoft.RecoveryServices/vaults/replicationProtectionIntents": SITE_RECOVERY,
    "Microsoft.RecoveryServices/vaults/replicationProtectionClusters": SITE_RECOVERY,
    "Microsoft.RecoveryServices/vaults/replicationSupportedOperatingSystems": SITE_RECOVERY,
    # Azure Migrate discovery (the sites' children use the site's list)
    "Microsoft.OffAzure/VMwareSites": OFFAZURE,
    "Microsoft.OffAzure/MasterSites": OFFAZURE,
    "Microsoft.OffAzure/HyperVSites": OFFAZURE,
    "Microsoft.OffAzure/ServerSites": OFFAZURE,
    "Microsoft.OffAzure/operations": OFFAZURE,
    # Compute
    "Microsoft.Compute/virtualMachines": COMPUTE,
    "Microsoft.Compute/locations/vmSizes": COMPUTE,
    "Microsoft.Compute/operations": COMPUTE,
    "Microsoft.Compute/disks": DISKS,
    "Microsoft.Compute/skus": COMPUTE_SKUS,
    # Network
    "Microsoft.Network/virtualNetworks": NETWORK,
    "Microsoft.Network/networkInterfaces": NETWORK,
    "Microsoft.Network/networkSecurityGroups": NETWORK,
    "Microsoft.Network/publicIPAddresses": NETWORK,
    "Microsoft.Network/operations": NETWORK,
    # Storage
    "Microsoft.Storage/storageAccounts": STORAGE,
    "Microsoft.Storage/checkNameAvailability": STORAGE,
    "Microsoft.Storage/skus": STORAGE,
    "Microsoft.Storage/operations": STORAGE,
}

_INDEX = {k.lower(): (k, v) for k, v in TYPES.items()}

#: namespaces whose unknown versions ARM answers with InvalidApiVersionParameter (its own)
ARM_NAMESPACES = ("microsoft.resources",)


def lookup(full_type):
    """(registered type, versions) for a type chain like 'Microsoft.Compute/virtualMachines/instanceView'
    (its longest registered prefix), or None when nothing of it is registered."""
    if not full_type:
        return None
    parts = full_type.split("/")
    while len(parts) >= 2:
        hit = _INDEX.get("/".join(parts).lower())
        if hit is not None:
            return hit
        parts = parts[:-1]
    return None


def versions_for(full_type):
    """The versions of a type (newest first), or () when it is not in the table."""
    hit = lookup(full_type)
    return tuple(hit[1]) if hit else ()


def is_supported(full_type, version):
    """Whether ARM accepts `version` for the type (True for a type the table does not know)."""
    hit = lookup(full_type)
    return hit is None or (version or "").lower() in {v.lower() for v in hit[1]}
