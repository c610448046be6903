"""What a prepared subscription has before dr.asr runs (the seed document's "Azure preparation"):
a resource group, the recovery virtual network, an isolated test network and a cache/log storage
account. Created through the real SDKs, idempotently, so `lab up` can run any number of times.
"""
from drlab.settings import get_settings

LOCATION = "westeurope"
RESOURCE_GROUP = "rg-dr-lab"
RECOVERY_VNET = ("vnet-dr-recovery", "10.10.0.0/16", {"default": "10.10.0.0/24", "app": "10.10.1.0/24"})
TEST_VNET = ("vnet-dr-test", "10.20.0.0/16", {"default": "10.20.0.0/24", "app": "10.20.1.0/24"})
STORAGE_ACCOUNT = "stdrlabcache01"


def credential(settings):
    from azure.identity import ClientSecretCredential
    return ClientSecretCredential(settings.tenant_id, settings.client_id, settings.client_secret,
                                  authority=settings.azure_url, disable_instance_discovery=True,
                                  connection_verify=settings.ca_pem)


def client(settings, cls, cred=None):
    return cls(cred or credential(settings), settings.subscription_id, base_url=settings.azure_url,
               credential_scopes=["https://management.core.windows.net//.default"],
               connection_verify=settings.ca_pem, polling_interval=1)


def seed_azure(settings=None):
    from azure.mgmt.network import NetworkManagementClient
    from azure.mgmt.resource.resources import ResourceManagementClient
    from azure.mgmt.storage import StorageManagementClient
    settings = settings or get_settings()
    cred = credential(settings)
    resources = client(settings, ResourceManagementClient, cred)
    resources.resource_groups.create_or_update(RESOURCE_GROUP, {"location": LOCATION, "tags": {"purpose": "dr-lab"}})
    network = client(settings, NetworkManagementClient, cred)
    for name, space, subnets in (RECOVERY_VNET, TEST_VNET):
        network.virtual_networks.begin_create_or_update(RESOURCE_GROUP, name, {
            "location": LOCATION,
            "properties": {"addressSpace": {"addressPrefixes": [space]},
                           "subnets": [{"name": n, "properties": {"addressPrefix": p}} for n, p in subnets.items()]},
        }).result()
    storage = client(settings, StorageManagementClient, cred)
    storage.storage_accounts.begin_create(RESOURCE_GROUP, STORAGE_ACCOUNT, {
        "location": LOCATION, "kind": "StorageV2", "sku": {"name": "Standard_LRS"}}).result()


def inventory_vars(settings):
    sub = settings.subscription_id
    rg_id = "/subscriptions/%s/resourceGroups/%s" % (sub, RESOURCE_GROUP)
    return {
        "dr_asr_lab_azure": {
            "location": LOCATION,
            "resource_group": RESOURCE_GROUP,
            "resource_group_id": rg_id,
            "recovery_vnet_id": rg_id + "/providers/Microsoft.Network/virtualNetworks/" + RECOVERY_VNET[0],
            "test_vnet_id": rg_id + "/providers/Microsoft.Network/virtualNetworks/" + TEST_VNET[0],
            "storage_account_id": rg_id + "/providers/Microsoft.Storage/storageAccounts/" + STORAGE_ACCOUNT,
        }
    }
