#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: vault
short_description: Create, update or delete a Recovery Services vault for Azure Site Recovery
version_added: 0.1.0
description:
  - Ensures a Recovery Services vault exists with the given SKU, tags and network access, or is deleted.
  - Optionally selects the classic VMware replication experience (configuration server, provider
    C(InMageAzureV2)) through the vault's replication setting. New vaults use the modernized
    experience (replication appliance, provider C(InMageRcm)) unless told otherwise.
  - Only options that are set are compared and changed.
author:
  - dr.asr maintainers (@dr-asr)
options:
  name:
    description:
      - Name of the vault. 2 to 50 letters, digits and hyphens, starting with a letter.
    type: str
    required: true
  resource_group:
    description:
      - Resource group of the vault. It must exist.
    type: str
    required: true
  location:
    description:
      - Azure region of the vault. Defaults to the resource group's region when the vault is created.
      - A vault cannot move; a different region for an existing vault is an error.
    type: str
  sku:
    description:
      - Vault SKU. V(Standard) and V(RS0) are the two names Azure accepts for the same tier.
      - Defaults to V(Standard) when the vault is created.
    type: str
    choices: [Standard, RS0]
  tags:
    description:
      - Tags of the vault. See O(append_tags).
    type: dict
  append_tags:
    description:
      - With V(true), O(tags) are added to the vault's existing tags; with V(false) the vault gets exactly O(tags).
    type: bool
    default: true
  public_network_access:
    description:
      - Whether the vault can be reached from public networks.
    type: str
    choices: [Enabled, Disabled]
  classic_vmware_replication:
    description:
      - V(true) selects the classic VMware-to-Azure experience (configuration server, C(InMageAzureV2)) for this
        vault; V(false) or unset keeps the modernized experience (replication appliance, C(InMageRcm)).
      - It can only be chosen before the vault is used; changing it on a vault that has it set is an error.
    type: bool
  state:
    description:
      - V(present) creates or updates the vault; V(absent) deletes it.
      - Azure refuses to delete a vault that still protects items; the module then fails with Azure's reason.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - dr.asr.azure
  - dr.asr.wait
attributes:
  check_mode:
    support: full
    description: Reports what would change without changing it.
  diff_mode:
    support: full
    description: Returns the vault before and after.
notes:
  - Deleting a vault is immediate in Azure and cannot be undone; vaults with soft delete keep backup data only.
seealso:
  - module: dr.asr.vault_info
'''

EXAMPLES = r'''
- name: A vault for VMware disaster recovery (modernized experience)
  dr.asr.vault:
    name: rsv-dr-weu
    resource_group: rg-dr
    tags:
      owner: infra

- name: A vault for an existing classic (configuration server) deployment
  dr.asr.vault:
    name: rsv-dr-classic
    resource_group: rg-dr
    location: westeurope
    classic_vmware_replication: true

- name: Delete a vault
  dr.asr.vault:
    name: rsv-dr-old
    resource_group: rg-dr
    state: absent
'''

RETURN = r'''
vault:
  description: The vault after the change (the predicted state in check mode); empty after deletion.
  returned: always
  type: dict
  contains:
    id:
      description: Resource id.
      type: str
      sample: /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-dr/providers/Microsoft.RecoveryServices/vaults/rsv-dr-weu
    name:
      description: Vault name.
      type: str
      sample: rsv-dr-weu
    resource_group:
      description: Resource group.
      type: str
      sample: rg-dr
    location:
      description: Azure region.
      type: str
      sample: westeurope
    sku:
      description: SKU name.
      type: str
      sample: Standard
    tags:
      description: Tags.
      type: dict
      sample: {owner: infra}
    provisioning_state:
      description: Azure provisioning state.
      type: str
      sample: Succeeded
    public_network_access:
      description: Public network access.
      type: str
      sample: Enabled
    vmware_to_azure_provider_type:
      description: The replication vault setting's C(vmwareToAzureProviderType), if set.
      type: str
      sample: Vmware
    classic_vmware_replication:
      description: Whether the vault uses the classic VMware-to-Azure experience.
      type: bool
      sample: false
'''

import re

from ansible_collections.dr.asr.plugins.module_utils._module import DrAsrModule, run
from ansible_collections.dr.asr.plugins.module_utils._errors import InputError
from ansible_collections.dr.asr.plugins.module_utils._azure.errors import azure_errors
from ansible_collections.dr.asr.plugins.module_utils._azure.lro import wait_for_lro
from ansible_collections.dr.asr.plugins.module_utils._azure import recoveryservices as rs

NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9-]{1,49}")

ARGUMENT_SPEC = dict(
    name=dict(type="str", required=True),
    resource_group=dict(type="str", required=True),
    location=dict(type="str"),
    sku=dict(type="str", choices=["Standard", "RS0"]),
    tags=dict(type="dict"),
    append_tags=dict(type="bool", default=True),
    public_network_access=dict(type="str", choices=["Enabled", "Disabled"]),
    classic_vmware_replication=dict(type="bool"),
    state=dict(type="str", choices=["present", "absent"], default="present"),
)


def validate(params):
    if not NAME_RE.fullmatch(params["name"]):
        raise InputError("name", params["name"], "2 to 50 letters, digits and hyphens, starting with a letter")


def wanted_tags(current, params):
    if params["tags"] is None:
        return current
    tags = dict(current) if params["append_tags"] else {}
    tags.update(dict((k, str(v)) for k, v in params["tags"].items()))
    return tags


def resource_group_location(clients, resource_group):
    with azure_errors("Reading resource group %s" % resource_group):
        return clients.client("resource").resource_groups.get(resource_group).location


def desired_facts(params, before, clients):
    """The vault as it should be: `before` with what the user set applied."""
    after = dict(before) if before else dict(
        id=None, name=params["name"], resource_group=params["resource_group"],
        location=params["location"] or resource_group_location(clients, params["resource_group"]),
        sku="Standard", tags={}, provisioning_state="Succeeded", public_network_access="Enabled",
        vmware_to_azure_provider_type=None, classic_vmware_replication=False)
    if before and params["location"] and params["location"].replace(" ", "").lower() != before["location"].lower():
        raise InputError("location", params["location"], "the vault's region %s (a vault cannot move)" % before["location"])
    for key in ("sku", "public_network_access"):
        if params[key] is not None:
            after[key] = params[key]
    after["tags"] = wanted_tags(after["tags"], params)
    if params["classic_vmware_replication"] is not None and params["classic_vmware_replication"] != after["classic_vmware_replication"]:
        if after["vmware_to_azure_provider_type"]:
            raise InputError("classic_vmware_replication", params["classic_vmware_replication"],
                             "%s: the replication experience of vault %s is already set to %s and cannot change"
                             % (after["classic_vmware_replication"], params["name"], after["vmware_to_azure_provider_type"]),
                             hint="Create a new vault for the other experience.")
        if params["classic_vmware_replication"]:
            after["classic_vmware_replication"] = True
            after["vmware_to_azure_provider_type"] = rs.CLASSIC_PROVIDER_TYPE
    return after


def vault_body(after, before):
    body = dict(location=after["location"], tags=after["tags"], sku=dict(name=after["sku"]),
                properties=dict(publicNetworkAccess=after["public_network_access"]))
    if before:
        body.pop("location")
    return body


def apply(module, clients, params, before, after):
    """Create/update the vault and its replication setting. Returns the vault facts read back."""
    vaults = clients.client("recoveryservices").vaults
    waiter = module.waiter()
    what = "vault %s" % params["name"]
    vault_keys = ("sku", "tags", "public_network_access", "location")
    # the replication setting needs the vault to exist: creating both always waits for the vault
    needs_setting = bool(after["vmware_to_azure_provider_type"]) and not (before or {}).get("vmware_to_azure_provider_type")
    if not before or any(before.get(k) != after.get(k) for k in vault_keys):
        with azure_errors(("Updating " if before else "Creating ") + what):
            if before:
                poller = vaults.begin_update(params["resource_group"], params["name"], vault_body(after, before))
            else:
                poller = vaults.begin_create_or_update(params["resource_group"], params["name"], vault_body(after, None))
        if params["wait"] or needs_setting:
            wait_for_lro(poller, waiter, what)
    if needs_setting:
        settings = clients.client("siterecovery").replication_vault_setting
        with azure_errors("Setting the replication experience of " + what):
            poller = settings.begin_create(params["resource_group"], params["name"], rs.VAULT_SETTING_NAME,
                                           {"properties": {"vmwareToAzureProviderType": after["vmware_to_azure_provider_type"]}})
        if params["wait"]:
            wait_for_lro(poller, waiter, "the replication setting of " + what)
    if not params["wait"]:
        return after
    return read_facts(clients, params)


def read_facts(clients, params):
    vault = rs.get_vault(clients, params["resource_group"], params["name"])
    if vault is None:
        return {}
    return rs.vault_facts(vault, rs.get_vault_setting(clients, params["resource_group"], params["name"]))


def ensure_present(module, clients, params, before):
    after = desired_facts(params, before, clients)
    changed = after != before
    if changed and not module.check_mode:
        after = apply(module, clients, params, before, after)
    return dict(changed=changed, vault=after, diff=dict(before=before, after=after))


def ensure_absent(module, clients, params, before):
    if not before:
        return dict(changed=False, vault={}, diff=dict(before={}, after={}))
    if not module.check_mode:
        with azure_errors("Deleting vault %s" % params["name"]):
            poller = clients.client("recoveryservices").vaults.begin_delete(params["resource_group"], params["name"])
        if params["wait"]:
            wait_for_lro(poller, module.waiter(), "deletion of vault %s" % params["name"])
    return dict(changed=True, vault={}, diff=dict(before=before, after={}))


def run_module(module):
    params = module.params
    validate(params)
    clients = module.azure()
    before = read_facts(clients, params)
    if before and before.get("provisioning_state") not in (None, "Succeeded") and params["state"] == "present":
        module.warn("Vault %s is in provisioning state %s." % (params["name"], before["provisioning_state"]))
    if params["state"] == "absent":
        return ensure_absent(module, clients, params, before)
    return ensure_present(module, clients, params, before)


def main():
    run(lambda: DrAsrModule(ARGUMENT_SPEC, uses=("azure", "wait"),
                            azure_libraries=("azure.mgmt.recoveryservices", "azure.mgmt.recoveryservicessiterecovery",
                                             "azure.mgmt.resource.resources")),
        run_module)


if __name__ == "__main__":
    main()
