#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: protected_item_info
short_description: List the VMs Azure Site Recovery replicates in a vault, with their replication state
version_added: 1.0.0
description:
  - Returns the protected items (replicated VMs) of a Recovery Services vault - state, health and health errors,
    initial replication progress, RPO, active location, test failover state, allowed operations, the job the
    item is busy with, target settings, disks, NICs and the Mobility service agent.
  - Reads the vault-wide list once, however many items match, then GETs each matching item for its disks, NICs
    and agent details (a list answer carries them empty); with O(details=false) only the list is read and
    C(disks) and C(nics) are null. Changes nothing.
  - The jobs the items' C(currentScenario) names are read once (one job list) - ASR keeps a failed job there, so
    C(current_job.running) says whether it still runs, and C(phase) is decided from the allowed operations, where
    the VM runs and the running job (see the dr.asr action modules).
author:
  - dr.asr maintainers (@dr-asr)
options:
  names:
    description:
      - Only the items of these names (protected item names, case-insensitive).
    type: list
    elements: str
    aliases: [name]
  vm_names:
    description:
      - Only the items of these VMs (the VM names in vCenter, C(friendlyName), case-insensitive).
    type: list
    elements: str
    aliases: [vm_name]
  states:
    description:
      - Only items in one of these protection states (case-insensitive), for example V(Protected),
        V(InitialReplicationInProgress), V(UnprotectedStatesBegin), V(EnablingFailed).
    type: list
    elements: str
    aliases: [state]
  phases:
    description:
      - Only items in one of these lifecycle phases (see RV(protected_items[].phase)).
    type: list
    elements: str
    choices: [initial_replication, protected, test_failover, failed_over, committed, reprotecting, reprotected,
              failed_back, failback_committed, failed, disabling, unknown]
  details:
    description:
      - GET every matching item for its disks, NICs and agent details. V(false) reads the vault-wide list only
        (faster for hundreds of items; C(disks) and C(nics) are then null).
    type: bool
    default: true
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
notes:
  - The filters combine (an item must match all that are set).
seealso:
  - module: dr.asr.protected_item
'''

EXAMPLES = r'''
- name: Every replicated VM of the vault
  dr.asr.protected_item_info:
    vault_name: rsv-dr-weu
    vault_resource_group: rg-dr
  register: replicated

- name: Wait until the app tier can fail over
  dr.asr.protected_item_info:
    vault_name: rsv-dr-weu
    vault_resource_group: rg-dr
    vm_names: [app-api-01, app-api-02]
    details: false
  register: app_tier
  until: app_tier.protected_items | rejectattr('phase', 'equalto', 'protected') | list | length == 0
  retries: 120
  delay: 60

- name: VMs still in initial replication, with their progress
  dr.asr.protected_item_info:
    vault_name: rsv-dr-weu
    vault_resource_group: rg-dr
    states: [InitialReplicationInProgress]
  register: syncing
'''

RETURN = r'''
protected_items:
  description: The matching protected items; an empty list when none match.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: ARM id of the protected item (ASR answers C(/Subscriptions/) in upper case).
      type: str
    name:
      description: Name of the protected item.
      type: str
    vm_name:
      description: Name of the VM in vCenter.
      type: str
      sample: web-01
    state:
      description: Protection state (C(protectionState)).
      type: str
      sample: Protected
    state_description:
      description: Protection state as the portal shows it.
      type: str
    health:
      description: Replication health (C(Normal), C(Warning), C(Critical)).
      type: str
      sample: Normal
    failover_health:
      description: Failover health (for example C(Warning) until a test failover succeeded).
      type: str
    errors:
      description: Health errors.
      type: list
      elements: dict
      contains:
        code:
          description: ASR error code.
          type: str
        level:
          description: Error level.
          type: str
        category:
          description: Error category (C(Replication), C(TestFailover), ...).
          type: str
        message:
          description: The error.
          type: str
        possible_causes:
          description: Possible causes.
          type: str
        recommended_action:
          description: Recommended action.
          type: str
        created:
          description: When ASR raised it.
          type: str
    progress:
      description: Initial replication (or resync) progress in percent while it runs, else null.
      type: int
      sample: 42
    initial_replication_progress:
      description: Initial replication progress in percent while it runs.
      type: int
    resync_progress:
      description: Resynchronization progress in percent while it runs.
      type: int
    resync_required:
      description: Whether ASR needs a resynchronization.
      type: bool
    rpo_seconds:
      description: Last computed RPO in seconds.
      type: int
      sample: 45
    rpo_calculated_time:
      description: When the RPO was computed.
      type: str
    last_recovery_point_time:
      description: Time of the newest recovery point received.
      type: str
    active_location:
      description:
        - C(activeLocation) as ASR states it, relative to the provider's direction - C(Primary) is on-premises for
          C(InMageRcm) but Azure for C(InMageRcmFailback). RV(protected_items[].runs_in) says where the VM runs.
      type: str
      sample: Primary
    runs_in:
      description: Where the VM runs, from the provider and the active location - C(on-premises) or C(azure).
      type: str
      sample: on-premises
    test_failover_state:
      description: Test failover state (C(None), C(WaitingForCompletion) while a test VM awaits cleanup, ...).
      type: str
    phase:
      description:
        - The item's lifecycle phase, as the DR action modules see it (RV(dr.asr.test_failover#module:protected_items[].phase))
          - V(initial_replication), V(protected), V(test_failover), V(failed_over), V(committed), V(reprotecting),
          V(reprotected), V(failed_back), V(failback_committed), V(failed), V(disabling) or V(unknown).
        - Decided from the allowed operations, where the VM runs and the running job, never from the exact state
          string; while a job runs and nothing is allowed, the phase the job started from.
      type: str
      sample: protected
    test_failover_state_description:
      description: Test failover state as the portal shows it.
      type: str
    allowed_operations:
      description: Operations ASR allows on the item now.
      type: list
      elements: str
      sample: [UnplannedFailover, DisableProtection, TestFailover]
    current_job:
      description: The job the item's C(currentScenario) names, null when none. ASR keeps a failed job there.
      type: dict
      contains:
        name:
          description: Job name.
          type: str
        scenario:
          description: The scenario as the item names it (C(EnableProtection) for an C(EnableDr) job).
          type: str
        start_time:
          description: When it started.
          type: str
        running:
          description: Whether the job still runs (false - it ended, e.g. the failed enable of an C(EnablingFailed) item).
          type: bool
    policy:
      description: Replication policy name.
      type: str
    policy_id:
      description: Replication policy id.
      type: str
    last_successful_failover_time:
      description: Time of the last successful failover.
      type: str
    last_successful_test_failover_time:
      description: Time of the last successful test failover.
      type: str
    provider:
      description: Replication provider (C(InMageRcm) to Azure, C(InMageRcmFailback) back to vCenter).
      type: str
      sample: InMageRcm
    machine_id:
      description: The Azure Migrate machine the appliance discovered the VM as.
      type: str
    appliance:
      description: Replication appliance (process server) name.
      type: str
    process_server_id:
      description: Process server id of the appliance.
      type: str
    run_as_account_id:
      description: Appliance credential used for the push installation, if any.
      type: str
    multi_vm_group:
      description: Multi-VM consistency group.
      type: str
    os_type:
      description: Guest OS type.
      type: str
    firmware_type:
      description: C(BIOS) or C(UEFI).
      type: str
    target:
      description: Target settings in Azure.
      type: dict
      contains:
        resource_group_id:
          description: Target resource group.
          type: str
        location:
          description: Target region.
          type: str
        vm_name:
          description: Azure VM name.
          type: str
        vm_size:
          description: Azure VM size.
          type: str
        network_id:
          description: Recovery virtual network.
          type: str
        test_network_id:
          description: Test failover virtual network.
          type: str
        availability_zone:
          description: Availability zone.
          type: str
        availability_set_id:
          description: Availability set.
          type: str
        proximity_placement_group_id:
          description: Proximity placement group.
          type: str
        generation:
          description: Hyper-V generation of the Azure VM.
          type: str
        license_type:
          description: Windows Server license type.
          type: str
        sql_server_license_type:
          description: SQL Server license type.
          type: str
        linux_license_type:
          description: Linux license type.
          type: str
        vm_tags:
          description: Tags of the Azure VM.
          type: dict
        disk_tags:
          description: Tags of its managed disks.
          type: dict
        nic_tags:
          description: Tags of its NICs.
          type: dict
        seed_disk_tags:
          description: Tags of the seed disks.
          type: dict
    nics:
      description: NICs and their failover settings; null with O(details=false) (a list answer carries none).
      type: list
      elements: dict
      contains:
        mac:
          description: MAC address (ASR's NIC id).
          type: str
        primary:
          description: Primary NIC of the Azure VM.
          type: bool
        failover:
          description: Created at failover.
          type: bool
        target_subnet:
          description: Subnet after failover.
          type: str
        target_ip:
          description: Static IP after failover (empty for dynamic).
          type: str
        test_subnet:
          description: Subnet after test failover.
          type: str
        test_ip:
          description: Static IP after test failover (empty for dynamic).
          type: str
        target_nic_name:
          description: NIC name in Azure.
          type: str
        source_ip:
          description: IP address on-premises.
          type: str
        source_network:
          description: Network on-premises.
          type: str
    disks:
      description: Disks, replicated and excluded; null with O(details=false) (a list answer carries none).
      type: list
      elements: dict
      contains:
        id:
          description:
            - The disk as ASR's Mobility agent names it (C(/dev/sda); C({GUID}) on Windows), not the VMware disk UUID.
          type: str
        name:
          description: Disk name.
          type: str
        os_disk:
          description: Whether it is the OS disk.
          type: bool
        size_gb:
          description: Size in GB.
          type: int
        disk_type:
          description: Managed disk type of the replica.
          type: str
        excluded:
          description: Left out of replication.
          type: bool
        state:
          description: Disk replication state.
          type: str
        initial_replication_complete:
          description: Whether the disk's initial replication is done.
          type: bool
        log_storage_account_id:
          description: Log (cache) storage account.
          type: str
        target_disk_name:
          description: Custom name of the disk in Azure.
          type: str
        seed_disk_id:
          description: Seed managed disk.
          type: str
        target_disk_id:
          description: Managed disk after failover.
          type: str
    agent:
      description: Mobility service agent on the VM.
      type: dict
      contains:
        version:
          description: Installed version.
          type: str
        latest_version:
          description: Latest version available.
          type: str
        last_heartbeat:
          description: Last heartbeat.
          type: str
        upgradeable:
          description: Whether it can be upgraded.
          type: bool
        upgrade_state:
          description: Upgrade state.
          type: str
        reasons_blocking_upgrade:
          description: Why it cannot be upgraded.
          type: list
          elements: str
query_result:
  description: The value of O(query) over the result, when O(query) is set.
  returned: when O(query) is set
  type: raw
  sample: [web-03, db-01]
'''

from ansible_collections.dr.asr.plugins.module_utils._module import DrAsrModule, run
from ansible_collections.dr.asr.plugins.module_utils._asr.state import item_facts

PHASES = ["initial_replication", "protected", "test_failover", "failed_over", "committed", "reprotecting",
          "reprotected", "failed_back", "failback_committed", "failed", "disabling", "unknown"]
ARGUMENT_SPEC = dict(
    names=dict(type="list", elements="str", aliases=["name"]),
    vm_names=dict(type="list", elements="str", aliases=["vm_name"]),
    states=dict(type="list", elements="str", aliases=["state"]),
    phases=dict(type="list", elements="str", choices=PHASES),
    details=dict(type="bool", default=True),
)


def _lower(values):
    return None if values is None else set(v.lower() for v in values)


def matches(item, params):
    """Whether a protected item (REST dict) passes the name, VM name and state filters."""
    props = item.get("properties") or {}
    for key, value in (("names", item.get("name")), ("vm_names", props.get("friendlyName")),
                       ("states", props.get("protectionState"))):
        wanted = _lower(params.get(key))
        if wanted is not None and (value or "").lower() not in wanted:
            return False
    return True


def run_module(module):
    vault = module.asr_vault()
    items = [item for item in vault.protected_items() if matches(item, module.params)]
    ended = vault.jobs.ended(items)
    if module.params["details"]:
        full = vault.get_items(items)
        items = [full.get(item["id"].lower(), item) for item in items]
    found = [item_facts(item, ended) for item in items]
    if module.params["phases"]:
        found = [f for f in found if f["phase"] in module.params["phases"]]
    return dict(changed=False, protected_items=found)


def main():
    run(lambda: DrAsrModule(ARGUMENT_SPEC, uses=("asr_vault", "query"),
                            azure_libraries=("azure.mgmt.recoveryservicessiterecovery",)),
        run_module)


if __name__ == "__main__":
    main()
