#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: appliance_info
short_description: Replication appliances of an Azure Site Recovery vault, their components, health and credentials
version_added: 0.1.0
description:
  - Returns the replication appliances registered with a Recovery Services vault (modernized VMware-to-Azure
    experience) with their components (process server, RCM proxy, push installer, replication agent, reprotect
    agent, MARS agent, DRA), each with its version, health, health errors and last heartbeat.
  - Returns the vault's fabrics with their protection containers, vCenter servers, the run-as accounts
    (push-install credentials) of their Azure Migrate site and the Mobility agents registered with them.
  - With O(wait_for_appliance), waits until an appliance (O(name) if given) has registered into the vault
    and its protection container exists, for plays that create a vault and then configure replication.
  - Reads only vault-wide lists (fabrics, containers, appliances, vCenters) and one list of run-as accounts
    per Azure Migrate site.
author:
  - dr.asr maintainers (@dr-asr)
options:
  name:
    description:
      - Only the appliance of this name (case-insensitive). With O(wait_for_appliance), the appliance to wait for.
    type: str
  wait_for_appliance:
    description:
      - Wait until an appliance is registered (and its protection container exists) before returning.
      - Unset returns what is registered now, possibly nothing.
    type: dict
    suboptions:
      timeout:
        description:
          - Seconds to wait at most, V(0) or more. On timeout the module fails, with what it saw last under
            RV(ignore:partial).
        type: int
        default: 1800
      sleep:
        description:
          - Seconds between looks, V(0) or more.
        type: int
        default: 15
extends_documentation_fragment:
  - dr.asr.azure
  - dr.asr.asr_vault
  - dr.asr.query
attributes:
  check_mode:
    support: full
    description: Reads only; runs (and waits) the same in check mode.
  diff_mode:
    support: none
    description: Changes nothing, so there is no diff.
notes:
  - Azure registers an appliance when an administrator deploys it and enters the vault's registration key;
    there is no API to do that, so this module can only wait for it.
seealso:
  - module: dr.asr.discovered_vm_info
  - module: dr.asr.replication_policy
'''

EXAMPLES = r'''
- name: Wait for the appliance to register into the new vault
  dr.asr.appliance_info:
    vault_name: rsv-dr-weu
    vault_resource_group: rg-dr
    wait_for_appliance:
      timeout: 3600
  register: asr_appliances

- name: The push-install credential names of the first appliance
  ansible.builtin.debug:
    msg: "{{ asr_appliances.appliances[0].push_install_credentials }}"

- name: Appliances whose components are not all healthy
  ansible.builtin.debug:
    msg: "{{ asr_appliances.appliances | rejectattr('health', 'equalto', 'Normal') | map(attribute='name') }}"
'''

RETURN = r'''
appliances:
  description: The registered appliances, sorted by name (empty when none).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Appliance name.
      type: str
      sample: appliance-weu-01
    id:
      description: Appliance id (the id of its process server, which replication is enabled with).
      type: str
      sample: f91e0d7e-3958-5d5a-ab86-fd90fee0d8b5
    fabric:
      description: Name of the appliance's fabric.
      type: str
      sample: rsv-dr-weu1234replicationfabric
    fabric_id:
      description: Id of the appliance's fabric.
      type: str
      sample: "/Subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-dr/providers\
        /Microsoft.RecoveryServices/vaults/rsv-dr-weu/replicationFabrics/rsv-dr-weu1234replicationfabric"
    containers:
      description: Names of the fabric's protection containers (what policies are associated with).
      type: list
      elements: str
      sample: [rsv-dr-weu1234replicationcontainer]
    version:
      description: Version of the process server.
      type: str
      sample: 9.66.7614.1
    last_heartbeat:
      description: Last heartbeat of the process server (UTC).
      type: str
      sample: "2026-11-26T02:20:52.6755770Z"
    health:
      description: The worst health of the appliance's components (Normal, Warning, Critical).
      type: str
      sample: Normal
    run_as_accounts:
      description: The appliance's run-as accounts (credentials), from its Azure Migrate site.
      type: list
      elements: dict
      contains:
        id:
          description: Run-as account id (what enabling replication with push installation takes).
          type: str
          sample: "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-dr/providers\
            /Microsoft.OffAzure/VMwareSites/rsv-dr-weu1234site/runasaccounts\
            /268be961-0627-58e9-a0d0-645422b0841d"
        name:
          description: The credential's friendly name.
          type: str
          sample: linux-root
        credential_type:
          description: LinuxServer, WindowsServer (push installation) or VMwareFabric (the vCenter credential).
          type: str
          sample: LinuxServer
        appliance_name:
          description: The appliance the credential is stored on.
          type: str
          sample: appliance-weu-01
    push_install_credentials:
      description: Names of the credentials usable to push-install the Mobility service (not the vCenter one).
      type: list
      elements: str
      sample: [linux-root, windows-admin]
    process_server:
      description:
        - The process server, its REST properties in snake_case (id, name, version, health, health_errors,
          last_heartbeat, fqdn, ip_addresses, protected_item_count, memory/disk/CPU usage and their status...).
      type: dict
      sample: {id: f91e0d7e-3958-5d5a-ab86-fd90fee0d8b5, name: appliance-weu-01, version: 9.66.7614.1, health: Normal,
               last_heartbeat: "2026-11-26T02:20:52.6755770Z", protected_item_count: 0, health_errors: []}
    rcm_proxy:
      description: The RCM proxy (id, name, version, health, health_errors, last_heartbeat, fqdn, client_authentication_type).
      type: dict
      sample: {id: bdae7c76-abce-5d2b-a36f-f173f7e1d097, name: appliance-weu-01, version: 1.44.9645.8268, health: Normal}
    push_installer:
      description: The push installer of the Mobility service (id, name, version, health, health_errors, last_heartbeat).
      type: dict
      sample: {id: 7489d998-1897-5069-8aa9-bca8232e59b6, name: appliance-weu-01, version: 1.47.9649.18387, health: Normal}
    replication_agent:
      description: The replication agent (id, name, version, health, health_errors, last_heartbeat).
      type: dict
      sample: {id: f1bdbbf3-f9d7-5812-8588-c1fed0e8b11c, name: appliance-weu-01, version: 1.45.9649.18472, health: Normal}
    reprotect_agent:
      description:
        - The reprotect agent that failback replicates to (id, name, version, health, last_heartbeat,
          accessible_datastores, vcenter_id, last_discovery, protected_item_count).
      type: dict
      sample: {id: 73d9f8ba-7074-529b-a023-d2b7e49691f7, name: appliance-weu-01, health: Normal,
               accessible_datastores: [ds-prod-01]}
    mars_agent:
      description: The MARS agent (id, name, version, health, health_errors, last_heartbeat).
      type: dict
      sample: {id: 051fea3b-5dba-5de1-a44a-c6de524d730f, name: appliance-weu-01, version: 2.0.9955.0, health: Normal}
    dra:
      description: The DRA (id, name, version, health, last_heartbeat, forward/reverse_protected_item_count).
      type: dict
      sample: {id: 68311070-5db0-533f-afa5-80c01a4f1c55, name: appliance-weu-01, version: 5.25.904.11, health: Normal}
fabrics:
  description: The vault's fabrics, sorted by name (empty when no appliance ever registered).
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Fabric id.
      type: str
      sample: "/Subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-dr/providers\
        /Microsoft.RecoveryServices/vaults/rsv-dr-weu/replicationFabrics/rsv-dr-weu1234replicationfabric"
    name:
      description: Fabric name.
      type: str
      sample: rsv-dr-weu1234replicationfabric
    friendly_name:
      description: Fabric friendly name.
      type: str
      sample: rsv-dr-weu1234replicationfabric
    instance_type:
      description: Fabric type (InMageRcm for the modernized experience, VMware for a configuration server).
      type: str
      sample: InMageRcm
    experience:
      description: V(modernized), V(classic), or null for fabrics of other scenarios.
      type: str
      sample: modernized
    health:
      description: Fabric health.
      type: str
      sample: Normal
    health_errors:
      description: Fabric health errors (ASR's HealthError, in snake_case).
      type: list
      elements: dict
      sample: []
    vmware_site_id:
      description: The Azure Migrate VMware site the appliance publishes discovered VMs to.
      type: str
      sample: /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-dr/providers/Microsoft.OffAzure/VMwareSites/rsv-dr-weu1234site
    physical_site_id:
      description: The Azure Migrate site of physical servers.
      type: str
      sample: "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-dr/providers\
        /Microsoft.OffAzure/ServerSites/rsv-dr-weu1234physicalsite"
    containers:
      description: The fabric's protection containers.
      type: list
      elements: dict
      sample: [{id: "/Subscriptions/.../replicationProtectionContainers/rsv-dr-weu1234replicationcontainer",
                name: rsv-dr-weu1234replicationcontainer}]
    vcenters:
      description: The vCenter servers the fabric discovers (id, name, friendly_name, ip_address, port, discovery_status,
        last_heartbeat, process_server_id, health_errors).
      type: list
      elements: dict
      sample: [{name: vcenter-weu, friendly_name: vcenter.example.com, discovery_status: Completed}]
    run_as_accounts:
      description: Every run-as account of the fabric's Azure Migrate site (see RV(appliances[].run_as_accounts)).
      type: list
      elements: dict
      sample: [{name: linux-root, credential_type: LinuxServer, appliance_name: appliance-weu-01}]
    registered_agents:
      description: The Mobility agents registered with the fabric's appliances (agent_id, machine_id, bios_id, fqdn).
      type: list
      elements: dict
      sample: [{agent_id: 2e0c1f6e-6a0e-5b6b-9d3c-1f1e0c9a7b01, bios_id: 4210a1b2-0000-4000-8000-00000000e001,
                fqdn: web-01.example.com, machine_id: 5c6d7e8f-0000-4000-8000-000000000001}]
waited:
  description: Seconds spent waiting for the appliance to register (V(0) when it was registered at the first look).
  returned: when O(wait_for_appliance) is set
  type: int
  sample: 0
query_result:
  description: The value of O(query) over the result, when O(query) is set.
  returned: when O(query) is set
  type: raw
  sample: [web-03, db-01]
'''

import time

from ansible_collections.dr.asr.plugins.module_utils._module import DrAsrModule, run
from ansible_collections.dr.asr.plugins.module_utils._errors import WaitTimeout
from ansible_collections.dr.asr.plugins.module_utils._waiter import Waiter
from ansible_collections.dr.asr.plugins.module_utils._asr import appliances

ARGUMENT_SPEC = dict(
    name=dict(type="str"),
    wait_for_appliance=dict(type="dict", options=dict(
        timeout=dict(type="int", default=1800),
        sleep=dict(type="int", default=15),
    )),
)
BOUNDS = {"wait_for_appliance.timeout": dict(minimum=0, unit="seconds"),
          "wait_for_appliance.sleep": dict(minimum=0, unit="seconds")}


def wait_for_registration(vault, params):
    """(the snapshot with the appliance, seconds waited: 0 when the first look found it)."""
    wait = params["wait_for_appliance"]
    what = "appliance %s to register with vault %s" % (params["name"], vault.name) if params["name"] else \
        "a replication appliance to register with vault %s" % vault.name
    waiter = Waiter(timeout=wait["timeout"], sleep=wait["sleep"])
    probe = appliances.registration_probe(vault, params["name"])
    began, looks = time.monotonic(), []

    def look():
        looks.append(1)
        return probe()
    try:
        snap = waiter.until(look, what)
        return snap, (0 if len(looks) == 1 else max(1, int(round(time.monotonic() - began))))
    except WaitTimeout as timeout:
        timeout.recommended_action = ("Check that the appliance was deployed and registered with this vault's "
                                      "registration key, then run again or raise wait_for_appliance.timeout.")
        raise


def run_module(module):
    params = module.params
    vault = module.asr_vault()
    extra = {}
    if params["wait_for_appliance"] is not None:
        snap, extra["waited"] = wait_for_registration(vault, params)
    else:
        snap = appliances.snapshot(vault)
    found, fabrics = appliances.collect(vault, snap, params["name"])
    return dict(changed=False, appliances=found, fabrics=fabrics, **extra)


def main():
    run(lambda: DrAsrModule(ARGUMENT_SPEC, uses=("asr_vault", "query"), bounds=BOUNDS,
                            azure_libraries=("azure.mgmt.recoveryservices", "azure.mgmt.recoveryservicessiterecovery")),
        run_module)


if __name__ == "__main__":
    main()
