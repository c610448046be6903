#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: classic_info
short_description: Classic (configuration server) infrastructure and protected items of an Azure Site Recovery vault
version_added: 1.1.0
description:
  - Returns what a vault still replicates through a configuration server (classic VMware-to-Azure experience,
    provider C(InMageAzureV2)) - each configuration server with its process servers, master target servers, run-as
    accounts and vCenter servers (versions, health, heartbeats), and each classic protected item with its state,
    health and health errors, Mobility agent, process server, RPO, what blocks its move to the modernized experience
    and where it moved.
  - Reads the vault's fabric list, a GET of each configuration server and its vCenter list, the item list and a GET
    of each classic item (lists carry fewer details than a GET).
  - A vault of the modernized experience only returns empty lists.
author:
  - dr.asr maintainers (@dr-asr)
options:
  items:
    description:
      - Only these classic items - VM names, item names or item ids. Unset - all of them.
    type: list
    elements: str
    aliases: [vms]
extends_documentation_fragment:
  - dr.asr.azure
  - dr.asr.asr_vault
  - dr.asr.query
attributes:
  check_mode:
    support: full
    description: Reads only; runs the same in check mode.
  diff_mode:
    support: none
    description: Changes nothing, so there is no diff.
seealso:
  - module: dr.asr.switch_provider
  - module: dr.asr.protected_item_info
  - name: Move from classic to modernized VMware disaster recovery
    description: Microsoft Learn
    link: https://learn.microsoft.com/azure/site-recovery/move-from-classic-to-modernized-vmware-disaster-recovery
'''

EXAMPLES = r'''
- name: The classic estate of a vault
  dr.asr.classic_info:
    vault_name: rsv-dr-classic
    vault_resource_group: rg-dr
  register: classic

- name: Items that cannot move yet, with what blocks them
  dr.asr.classic_info:
    vault_name: rsv-dr-classic
    vault_resource_group: rg-dr
    query: "protected_items[?switch_provider_blocking_errors].{vm: vm_name, errors: switch_provider_blocking_errors}"
'''

RETURN = r'''
configuration_servers:
  description: The vault's configuration servers (fabrics of kind C(VMware)); an empty list when there is none.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The configuration server's name (the fabric's friendly name).
      type: str
      sample: cs-01
    fabric_name:
      description: The fabric's name (a 64-hex hash).
      type: str
    id:
      description: The fabric's resource id.
      type: str
    host_name:
      description: Host name of the configuration server.
      type: str
    ip_address:
      description: Its IP address.
      type: str
    agent_version:
      description: Version of the configuration server's components.
      type: str
      sample: 9.60.7117.1
    version_status:
      description: ASR's verdict on that version (C(Supported), C(Deprecated), ...).
      type: str
    agent_expiry_date:
      description: When that version's support ends, if ASR says.
      type: str
    last_heartbeat:
      description: The configuration server's last heartbeat.
      type: str
    health:
      description: The fabric's health (C(Normal), C(Warning), C(Critical)).
      type: str
    health_errors:
      description: The fabric's health error messages.
      type: list
      elements: str
    service_status:
      description: State of the configuration server service.
      type: str
    ssl_cert_expiry_date:
      description: When its certificate expires.
      type: str
    process_servers:
      description: Its process servers (C(name), C(id), C(ip_address), C(agent_version), C(version_status),
        C(agent_expiry_date), C(last_heartbeat), C(health), C(health_errors), C(machine_count),
        C(replication_pair_count), C(system_load_status), C(space_usage_status), C(service_status)).
      type: list
      elements: dict
    master_target_servers:
      description: Its master target servers (C(name), C(id), C(ip_address), C(os_type), C(agent_version),
        C(version_status), C(agent_expiry_date), C(last_heartbeat), C(retention_volumes)).
      type: list
      elements: dict
    run_as_accounts:
      description: The accounts registered on it for discovery and push install (C(id), C(name)).
      type: list
      elements: dict
    vcenters:
      description: Its vCenter servers (C(name), C(id), C(ip_address), C(port), C(discovery_status),
        C(last_heartbeat), C(process_server_id), C(run_as_account_id), C(health_errors)).
      type: list
      elements: dict
    switch_provider_blocking_errors:
      description: What ASR says blocks moving from this configuration server (C(code), C(message),
        C(possible_causes), C(recommended_action)).
      type: list
      elements: dict
protected_items:
  description:
    - The classic protected items (C(InMageAzureV2)); an empty list when there is none.
    - Each has the fields of RV(dr.asr.protected_item_info#module:protected_items) (C(vm_name), C(state), C(health),
      C(errors), C(allowed_operations), C(current_job), ...) and the classic ones - C(agent_version),
      C(agent_update_required), C(last_heartbeat), C(process_server), C(process_server_id), C(master_target_id),
      C(rpo_seconds), C(vm_protection_state), C(multi_vm_group), C(os_type), C(progress) (resync %),
      C(switch_provider_blocking_errors) (C(code), C(message), C(possible_causes), C(recommended_action)) and
      C(moved_to) (C(vault_id), C(item_id), C(fabric_id), C(appliance_id) once moved to the modernized
      experience, else null).
  returned: always
  type: list
  elements: dict
'''

from ansible_collections.dr.asr.plugins.module_utils._module import DrAsrModule, run
from ansible_collections.dr.asr.plugins.module_utils._asr import classic

ARGUMENT_SPEC = dict(
    items=dict(type="list", elements="str", aliases=["vms"]),
)


def run_module(module):
    servers, items = classic.estate(module.asr_vault(), module.params["items"])
    return dict(changed=False, configuration_servers=servers, protected_items=items)


def main():
    run(lambda: DrAsrModule(ARGUMENT_SPEC, uses=("asr_vault", "query"),
                            azure_libraries=("azure.mgmt.recoveryservicessiterecovery",)),
        run_module)


if __name__ == "__main__":
    main()
