# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Recovery Services vaults: read, list, and their facts as the vault modules return them."""

from __future__ import annotations

from ansible_collections.dr.asr.plugins.module_utils._azure.errors import azure_errors, is_not_found
from ansible_collections.dr.asr.plugins.module_utils._azure.models import as_dict, parse_resource_id

VAULT_SETTING_NAME = "default"
# replicationVaultSettings.vmwareToAzureProviderType that selects the classic (InMageAzureV2) experience
CLASSIC_PROVIDER_TYPE = "Vmware"


def get_vault(clients, resource_group, name):
    """The vault as a REST dict, or None when it does not exist."""
    with azure_errors("Reading vault %s/%s" % (resource_group, name)):
        try:
            return as_dict(clients.client("recoveryservices").vaults.get(resource_group, name))
        except Exception as exc:  # pylint: disable=broad-except
            if is_not_found(exc):
                return None
            raise


def list_vaults(clients, resource_group=None):
    vaults = clients.client("recoveryservices").vaults
    with azure_errors("Listing vaults"):
        pager = vaults.list_by_resource_group(resource_group) if resource_group else vaults.list_by_subscription_id()
        return [as_dict(v) for v in pager]


def get_vault_setting(clients, resource_group, name):
    """The replication vault setting (REST dict) or None."""
    with azure_errors("Reading the replication setting of vault %s" % name):
        try:
            return as_dict(clients.client("siterecovery").replication_vault_setting.get(
                resource_group, name, VAULT_SETTING_NAME))
        except Exception as exc:  # pylint: disable=broad-except
            if is_not_found(exc):
                return None
            raise


def provider_type(setting):
    return ((setting or {}).get("properties") or {}).get("vmwareToAzureProviderType") or None


def vault_facts(vault, setting=None):
    """What the vault modules return for a vault (snake_case, stable keys)."""
    if vault is None:
        return {}
    props = vault.get("properties") or {}
    sku = vault.get("sku") or {}
    ptype = provider_type(setting)
    return dict(
        id=vault.get("id"),
        name=vault.get("name"),
        resource_group=parse_resource_id(vault.get("id")).get("resource_group"),
        location=vault.get("location"),
        sku=sku.get("name"),
        tags=vault.get("tags") or {},
        provisioning_state=props.get("provisioningState"),
        public_network_access=props.get("publicNetworkAccess"),
        vmware_to_azure_provider_type=ptype,
        classic_vmware_replication=bool(ptype and ptype.lower() == CLASSIC_PROVIDER_TYPE.lower()),
    )
