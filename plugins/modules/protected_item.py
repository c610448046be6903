#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: protected_item
short_description: Enable, update or disable Azure Site Recovery replication of VMware VMs
version_added: 1.0.0
description:
  - Ensures VMware VMs replicate to Azure with Azure Site Recovery (modernized experience, replication
    appliance, provider C(InMageRcm)) with the given target settings, or that they no longer replicate.
  - One VM (O(name), O(instance_uuid) or O(bios_uuid)) or many in one run (O(vms)); the top-level options are
    every VM's defaults and an entry of O(vms) overrides them for its VM.
  - VMs are found among the machines the vault's replication appliance discovered in vCenter (one list call,
    however many VMs). An unknown VM is an error that lists close matches.
  - Replication that is not enabled yet is enabled (PUT). For a replicating VM, only the options that are set
    are compared with its replication settings (ids compared without regard to case), and what differs is
    changed in place (PATCH) where Azure Site Recovery allows it. What ASR cannot change on a replicating VM
    (policy, appliance, multi-VM group, log storage account, disk types, disk exclusion, seed disk tags) is an
    error naming the option, rather than a silent disable and re-enable.
  - Inputs are checked for every VM before anything is written - the VM exists, names resolve, networks and
    subnets exist in the vault's region, the test network is not the recovery network, static IPs lie in their
    subnets, the VM size is offered there and fits the VM, the Azure VM name is valid - and problems of all VMs
    are reported together.
  - Writes are one request per VM (azure-core retries throttled requests after C(Retry-After)); their jobs are
    awaited together with one vault-wide job list per poll, and protection with one vault-wide item list per
    poll - never one request per VM per poll.
  - A VM whose item is busy with a job (for example an enable started by an earlier, interrupted run) is waited
    for, never submitted again.
  - The module fails after doing what it could when any VM failed, and reports per VM what happened
    (RV(vms[].error)).
author:
  - dr.asr maintainers (@dr-asr)
options:
  name:
    description:
      - Name of the VM in vCenter (case-sensitive, as vSphere names are). For one VM; see O(vms) for many.
      - Mutually exclusive with O(instance_uuid), O(bios_uuid) and O(vms).
    type: str
  instance_uuid:
    description:
      - vCenter instance UUID of the VM (C(config.instanceUuid)), unique in a vCenter.
    type: str
  bios_uuid:
    description:
      - BIOS UUID of the VM (C(config.uuid)); the byte-swapped form Linux guests report matches too.
    type: str
  vms:
    description:
      - The VMs to handle in this run. Each entry names one VM by exactly one of RV(vms[].name),
        O(vms[].instance_uuid) or O(vms[].bios_uuid), and may set any of the per-VM options below, which
        override the top-level options for that VM (a dict or list option replaces the top-level one, it is
        not merged with it).
    type: list
    elements: dict
    suboptions:
      name:
        description: Name of the VM in vCenter.
        type: str
      instance_uuid:
        description: vCenter instance UUID of the VM.
        type: str
      bios_uuid:
        description: BIOS UUID of the VM.
        type: str
      policy:
        description: Per-VM O(policy).
        type: str
      appliance:
        description: Per-VM O(appliance).
        type: str
      run_as_account:
        description: Per-VM O(run_as_account).
        type: str
      target_resource_group:
        description: Per-VM O(target_resource_group).
        type: str
      target_network:
        description: Per-VM O(target_network).
        type: str
      target_subnet:
        description: Per-VM O(target_subnet).
        type: str
      test_network:
        description: Per-VM O(test_network).
        type: str
      test_subnet:
        description: Per-VM O(test_subnet).
        type: str
      target_vm_name:
        description: Per-VM O(target_vm_name).
        type: str
      target_vm_size:
        description: Per-VM O(target_vm_size).
        type: str
      disk_type:
        description: Per-VM O(disk_type).
        type: str
        choices: [Standard_LRS, Premium_LRS, StandardSSD_LRS, PremiumV2_LRS, UltraSSD_LRS, StandardSSD_ZRS, Premium_ZRS]
      disks:
        description: Per-VM O(disks).
        type: list
        elements: dict
        suboptions:
          disk:
            description: See O(disks[].disk).
            type: str
            required: true
          disk_type:
            description: See O(disks[].disk_type).
            type: str
            choices: [Standard_LRS, Premium_LRS, StandardSSD_LRS, PremiumV2_LRS, UltraSSD_LRS, StandardSSD_ZRS, Premium_ZRS]
          exclude:
            description: See O(disks[].exclude).
            type: bool
          target_disk_name:
            description: See O(disks[].target_disk_name).
            type: str
      nics:
        description: Per-VM O(nics).
        type: list
        elements: dict
        suboptions:
          nic:
            description: See O(nics[].nic).
            type: str
            required: true
          primary:
            description: See O(nics[].primary).
            type: bool
          failover:
            description: See O(nics[].failover).
            type: bool
          target_subnet:
            description: See O(nics[].target_subnet).
            type: str
          target_ip:
            description: See O(nics[].target_ip).
            type: str
          test_subnet:
            description: See O(nics[].test_subnet).
            type: str
          test_ip:
            description: See O(nics[].test_ip).
            type: str
          target_nic_name:
            description: See O(nics[].target_nic_name).
            type: str
      log_storage_account:
        description: Per-VM O(log_storage_account).
        type: str
      availability_zone:
        description: Per-VM O(availability_zone).
        type: str
      availability_set:
        description: Per-VM O(availability_set).
        type: str
      proximity_placement_group:
        description: Per-VM O(proximity_placement_group).
        type: str
      license_type:
        description: Per-VM O(license_type).
        type: str
        choices: [NotSpecified, NoLicenseType, WindowsServer]
      sql_server_license_type:
        description: Per-VM O(sql_server_license_type).
        type: str
        choices: [NotSpecified, NoLicenseType, PAYG, AHUB]
      linux_license_type:
        description: Per-VM O(linux_license_type).
        type: str
        choices: [NotSpecified, NoLicenseType, LinuxServer]
      target_vm_tags:
        description: Per-VM O(target_vm_tags).
        type: dict
      target_disk_tags:
        description: Per-VM O(target_disk_tags).
        type: dict
      target_nic_tags:
        description: Per-VM O(target_nic_tags).
        type: dict
      seed_disk_tags:
        description: Per-VM O(seed_disk_tags).
        type: dict
      multi_vm_group:
        description: Per-VM O(multi_vm_group).
        type: str
  state:
    description:
      - V(present) enables replication (or updates its settings); V(absent) disables it.
      - Disabling deletes the VM's replica disks and recovery points in Azure; it needs O(confirm_disable=true).
    type: str
    choices: [present, absent]
    default: present
  wait_resume:
    description:
      - Set by the waiting action (O(wait_round)) on the rounds after the first, never by hand - what the earlier
        rounds of this task settled, so that they are waited for, not compared again.
    type: dict
  confirm_disable:
    description:
      - Must be V(true) with O(state=absent) (also in check mode). A guard against disabling replication by a
        mistaken variable; the module fails without it.
    type: bool
    default: false
  wait:
    description:
      - V(none) returns once Azure accepted the requests.
      - V(enabled) waits for the jobs (enable, update, disable) to end, and then applies the settings only an
        update can set (O(nics)) to VMs just enabled.
      - V(protected) also waits until initial replication is done and every VM is C(Protected) (with
        O(state=present)). Initial replication of real VMs takes hours; on timeout the module fails with each
        VM's progress under RV(ignore:partial), and running it again resumes waiting (it never enables again).
    type: str
    choices: [none, enabled, protected]
    default: enabled
  policy:
    description:
      - Name (or id) of the replication policy (C(InMageRcm)) to replicate with. It must be associated with the
        appliance's protection container.
      - Defaults, when enabling, to the only policy associated with it. Fixed once replication is enabled.
    type: str
  appliance:
    description:
      - Name of the replication appliance (its process server) to replicate through.
      - Defaults, when enabling, to the vault's only appliance. Fixed once replication is enabled.
    type: str
  run_as_account:
    description:
      - Name of the appliance credential the appliance uses to push-install the Mobility service on the VM.
      - Leave unset when the Mobility service is already installed and registered with the appliance (for example
        by the C(dr.asr.mobility_service) role); enabling a VM that has neither is an error.
      - Used only when enabling; not compared afterwards.
    type: str
  target_resource_group:
    description:
      - Resource group (name in the vault's subscription, or id) the VM fails over into.
      - Required to enable replication. Can be changed afterwards.
    type: str
  target_network:
    description:
      - Virtual network (name, or id) the VM fails over into. A name is looked up in O(target_resource_group)
        (or the item's current target resource group). It must be in the vault's region.
    type: str
  target_subnet:
    description:
      - Subnet of O(target_network) for every NIC selected for failover that has no O(nics[].target_subnet).
        ASR picks one when unset.
    type: str
  test_network:
    description:
      - Virtual network (name, or id) test failovers use; must differ from O(target_network). A name is looked up
        like O(target_network).
    type: str
  test_subnet:
    description:
      - Subnet of O(test_network), like O(target_subnet).
    type: str
  target_vm_name:
    description:
      - Name of the Azure VM. Defaults to the VM's name, which must then be a valid Azure VM name.
      - Per VM only when several VMs are handled.
    type: str
  target_vm_size:
    description:
      - Azure VM size, checked against the sizes the Resource SKUs API offers the subscription in the vault's
        region and against the VM (NIC count, data disk count, Hyper-V generation). ASR picks one when unset.
    type: str
  disk_type:
    description:
      - Managed disk type of the replica disks that O(disks) gives no type. V(Standard_LRS) when enabling with
        it unset. Fixed once replication is enabled.
    type: str
    choices: [Standard_LRS, Premium_LRS, StandardSSD_LRS, PremiumV2_LRS, UltraSSD_LRS, StandardSSD_ZRS, Premium_ZRS]
  disks:
    description:
      - Per-disk settings. Disks not listed replicate with O(disk_type).
      - Types and exclusion are fixed once replication is enabled; the target disk name can change.
    type: list
    elements: dict
    suboptions:
      disk:
        description:
          - The disk, by its UUID, its vSphere label (V(Hard disk 2)) or its controller location (V(scsi0:1)).
        type: str
        required: true
      disk_type:
        description: Managed disk type of this disk's replica.
        type: str
        choices: [Standard_LRS, Premium_LRS, StandardSSD_LRS, PremiumV2_LRS, UltraSSD_LRS, StandardSSD_ZRS, Premium_ZRS]
      exclude:
        description: V(true) leaves the disk out of replication. The OS disk cannot be excluded.
        type: bool
      target_disk_name:
        description: Name of the disk's managed disk in Azure after failover.
        type: str
  nics:
    description:
      - Per-NIC settings after failover and test failover. ASR takes them in an update only, so when enabling
        they are applied once the enable job ended (with O(wait) other than V(none); otherwise on the next run).
    type: list
    elements: dict
    suboptions:
      nic:
        description: The network adapter, by its MAC address or its vSphere label (V(Network adapter 1)).
        type: str
        required: true
      primary:
        description: Whether this is the primary NIC of the Azure VM (exactly one is).
        type: bool
      failover:
        description: Whether the NIC is created in Azure at failover.
        type: bool
      target_subnet:
        description: Subnet of the target network for this NIC.
        type: str
      target_ip:
        description: Static IP address in that subnet after failover; an empty string means dynamic.
        type: str
      test_subnet:
        description: Subnet of the test network for this NIC.
        type: str
      test_ip:
        description: Static IP address after test failover; an empty string means dynamic.
        type: str
      target_nic_name:
        description: Name of the NIC in Azure.
        type: str
  log_storage_account:
    description:
      - Storage account (name, or id) that caches replication logs, in the vault's region. A name is looked up in
        O(target_resource_group). Required to enable replication; fixed afterwards.
    type: str
  availability_zone:
    description: Availability zone of the Azure VM (V(1), V(2), V(3)); an empty string for none.
    type: str
  availability_set:
    description:
      - Availability set (name in O(target_resource_group), or id) of the Azure VM; an empty string for none.
    type: str
  proximity_placement_group:
    description:
      - Proximity placement group (name in O(target_resource_group), or id) of the Azure VM; an empty string for none.
    type: str
  license_type:
    description: Windows Server license of the Azure VM (Azure Hybrid Benefit with V(WindowsServer)).
    type: str
    choices: [NotSpecified, NoLicenseType, WindowsServer]
  sql_server_license_type:
    description: SQL Server license of the Azure VM.
    type: str
    choices: [NotSpecified, NoLicenseType, PAYG, AHUB]
  linux_license_type:
    description: Linux license of the Azure VM.
    type: str
    choices: [NotSpecified, NoLicenseType, LinuxServer]
  target_vm_tags:
    description: Tags of the Azure VM (exactly these when set).
    type: dict
  target_disk_tags:
    description: Tags of the Azure VM's managed disks.
    type: dict
  target_nic_tags:
    description: Tags of the Azure VM's NICs.
    type: dict
  seed_disk_tags:
    description: Tags of the seed disks replication writes to. Set when enabling; fixed afterwards.
    type: dict
  multi_vm_group:
    description:
      - Multi-VM consistency group; VMs of a group share crash- and app-consistent recovery points. Fixed once
        replication is enabled.
    type: str
extends_documentation_fragment:
  - dr.asr.azure
  - dr.asr.asr_vault
  - dr.asr.wait
  - dr.asr.wait_rounds
attributes:
  check_mode:
    support: full
    description: Reads and checks everything, predicts per VM what would be done, and writes nothing.
  diff_mode:
    support: full
    description: Returns one before/after per changed VM of the compared settings.
  idempotent:
    support: full
    description: A second run with the same options makes no write.
notes:
  - Only the modernized experience (replication appliance) is implemented; a vault with only a classic
    configuration server is an error.
  - The protected item of a new VM is named after the appliance's discovered machine (Azure Migrate machine name);
    VMs are matched to existing items by that machine, so items enabled elsewhere (portal, PowerShell) are found.
  - VMs failed over or failing back (active location Recovery, or provider C(InMageRcmFailback)) are reported
    with a warning and their settings are not compared.
  - Call budget per run, for any number of VMs - the vault's fabrics, protected items, policies, mappings and
    protection containers are each listed once (the last three only when enabling), the appliance's discovered
    machines and credentials once, VM sizes once for the region, each distinct resource group, network and
    storage account the writes reference read once; then one write per VM that needs one; then per poll one
    job list, or one item list when waiting for protection.
seealso:
  - module: dr.asr.protected_item_info
  - module: dr.asr.source_vm_info
  - module: dr.asr.readiness
'''

EXAMPLES = r'''
- name: Protect one VM (Mobility service pushed by the appliance)
  dr.asr.protected_item:
    vault_name: rsv-dr-weu
    vault_resource_group: rg-dr
    name: web-01
    policy: policy-24h
    run_as_account: linux-root
    target_resource_group: rg-dr-failover
    target_network: vnet-dr-recovery
    target_subnet: web
    test_network: vnet-dr-test
    log_storage_account: stdrcache01
    target_vm_size: Standard_D2s_v5

- name: Protect a wave of VMs in one run, wait until initial replication is done
  dr.asr.protected_item:
    vault_name: rsv-dr-weu
    vault_resource_group: rg-dr
    policy: policy-24h
    target_resource_group: rg-dr-failover
    target_network: vnet-dr-recovery
    target_subnet: app
    test_network: vnet-dr-test
    log_storage_account: stdrcache01
    disk_type: StandardSSD_LRS
    multi_vm_group: shop
    target_vm_tags: {app: shop}
    vms:
      - name: web-01
      - name: web-02
        target_vm_size: Standard_D4s_v5
      - instance_uuid: 5010c3d4-0000-4000-8000-00000000e031
        target_vm_name: app-api-01-dr
        nics:
          - nic: "00:50:56:90:00:31"
            target_ip: 10.10.1.31
            test_ip: 10.20.1.31
          - nic: Network adapter 2
            failover: false
        disks:
          - disk: Hard disk 2
            exclude: true
    wait: protected
    wait_timeout: 14400
  register: wave

- name: Resize a replica
  dr.asr.protected_item:
    vault_name: rsv-dr-weu
    vault_resource_group: rg-dr
    name: web-02
    target_vm_size: Standard_D8s_v5

- name: Stop replicating a VM (deletes its replica disks in Azure)
  dr.asr.protected_item:
    vault_name: rsv-dr-weu
    vault_resource_group: rg-dr
    name: web-01
    state: absent
    confirm_disable: true
'''

RETURN = r'''
vms:
  description:
    - One entry per VM, in the order given. On failure the module still returns it, with RV(vms[].error) set for
      the VMs that failed.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Name of the VM in vCenter.
      type: str
      sample: web-01
    instance_uuid:
      description: vCenter instance UUID of the VM.
      type: str
      sample: 5010c3d4-0000-4000-8000-00000000e001
    bios_uuid:
      description: BIOS UUID of the VM.
      type: str
      sample: 4210a1b2-0000-4000-8000-00000000e001
    item_name:
      description: Name of the VM's protected item (the appliance's discovered machine name for new items).
      type: str
      sample: 127-0-0-1-6c4f..._5010c3d4-0000-4000-8000-00000000e001
    action:
      description:
        - What the run did (or, in check mode, would do) - V(enable), V(update), V(disable), V(attach) (the VM's
          item was busy with a job, which was awaited instead of submitting again) or V(none).
      type: str
      sample: enable
    changed:
      description: Whether the VM's replication was (or would be) changed.
      type: bool
      sample: true
    state:
      description: Protection state of the item after the run (C(protectionState)); null when there is no item.
      type: str
      sample: InitialReplicationInProgress
    phase:
      description:
        - The item's lifecycle phase after the run (see M(dr.asr.protected_item_info)); V(protected) once it can fail
          over, V(initial_replication) while it replicates for the first time. Decided from what ASR allows, not from
          the state string. Null when there is no item.
      type: str
      sample: initial_replication
    progress:
      description: Initial replication (or resync) progress in percent; 100 once it can fail over.
      type: int
      sample: 42
    job:
      description: The last ASR job of the VM the run started or attached to, null when none.
      type: dict
      contains:
        name:
          description: Job name.
          type: str
        scenario:
          description: Job scenario (C(EnableDr), C(UpdateVmProperties), C(DisableDr)).
          type: str
        state:
          description: Job state when last seen.
          type: str
        start_time:
          description: When the job started.
          type: str
        end_time:
          description: When the job ended.
          type: str
    diff:
      description: The compared settings before and after (enable - nothing before; disable - nothing after).
      type: dict
      sample: {before: {target_vm_size: Standard_D2s_v3}, after: {target_vm_size: Standard_D4s_v3}}
    error:
      description: Why the VM failed (code, message, possible causes, recommended action), null when it did not.
      type: dict
    warnings:
      description: Things worth knowing about the VM (for example, settings not compared after a failover).
      type: list
      elements: str
      returned: when there are any
    item:
      description: The VM's protected item after the run, as RV(dr.asr.protected_item_info#module:protected_items) returns it.
      type: dict
    disks:
      description:
        - The VM's disks in vCenter (as the appliance discovered them) against the disks its replication holds, compared
          when the run read the item's details (a VM already replicating to Azure, nothing running); null otherwise.
        - C(add) lists the VM's disks not replicated (what M(dr.asr.protected_item_disks) would add), C(removed) the
          replicated disks vCenter no longer has. The protect role runs its disks step only for VMs not C(in_sync).
      type: dict
      sample: {in_sync: false, add: [{id: 6000C29a-0000-4000-8000-00000000d002, label: Hard disk 2, size_gb: 4}],
               removed: []}
progress:
  description:
    - Where the jobs of the run are, as its last look saw them - how many ended of how many, and for each running
      job its target, step and current task; C(summary) says what the run waits for after its jobs (for example
      initial replication), C(targets) and C(failed) count the run's targets.
    - The waiting action prints it as one line per round (O(wait_round)).
  returned: always
  type: dict
  sample:
    total: 2
    ended: 1
    running:
      - job: 5f6a0c1e-3a43-4e7f-9d38-0d7e9f1b2c3d
        scenario: TestFailover
        target: web-01
        state: InProgress
        step: 2/7
        task: Starting the test VM
    summary: null
    targets: 2
    failed: 0
rounds:
  description: How many module runs (rounds of O(wait_round) seconds) the task took.
  returned: always
  type: int
  sample: 1
'''


from ansible_collections.dr.asr.plugins.module_utils._module import DrAsrModule
from ansible_collections.dr.asr.plugins.module_utils._errors import InputError
from ansible_collections.dr.asr.plugins.module_utils._asr import items, pipeline
from ansible_collections.dr.asr.plugins.module_utils._asr.common import (
    DISK_TYPES, LICENSE_TYPES, LINUX_LICENSE_TYPES, SQL_SERVER_LICENSE_TYPES)

DISK_SPEC = dict(disk=dict(type="str", required=True), disk_type=dict(type="str", choices=list(DISK_TYPES)),
                 exclude=dict(type="bool"), target_disk_name=dict(type="str"))
NIC_SPEC = dict(nic=dict(type="str", required=True), primary=dict(type="bool"), failover=dict(type="bool"),
                target_subnet=dict(type="str"), target_ip=dict(type="str"), test_subnet=dict(type="str"),
                test_ip=dict(type="str"), target_nic_name=dict(type="str"))
SETTINGS_SPEC = dict(
    policy=dict(type="str"), appliance=dict(type="str"), run_as_account=dict(type="str"),
    target_resource_group=dict(type="str"), target_network=dict(type="str"), target_subnet=dict(type="str"),
    test_network=dict(type="str"), test_subnet=dict(type="str"), target_vm_name=dict(type="str"),
    target_vm_size=dict(type="str"), disk_type=dict(type="str", choices=list(DISK_TYPES)),
    disks=dict(type="list", elements="dict", options=DISK_SPEC), nics=dict(type="list", elements="dict", options=NIC_SPEC),
    log_storage_account=dict(type="str"), availability_zone=dict(type="str"), availability_set=dict(type="str"),
    proximity_placement_group=dict(type="str"), license_type=dict(type="str", choices=list(LICENSE_TYPES)),
    sql_server_license_type=dict(type="str", choices=list(SQL_SERVER_LICENSE_TYPES)),
    linux_license_type=dict(type="str", choices=list(LINUX_LICENSE_TYPES)),
    target_vm_tags=dict(type="dict"), target_disk_tags=dict(type="dict"), target_nic_tags=dict(type="dict"),
    seed_disk_tags=dict(type="dict"), multi_vm_group=dict(type="str"),
)
VM_SPEC = dict(name=dict(type="str"), instance_uuid=dict(type="str"), bios_uuid=dict(type="str"), **SETTINGS_SPEC)
ARGUMENT_SPEC = dict(
    name=dict(type="str"), instance_uuid=dict(type="str"), bios_uuid=dict(type="str"),
    vms=dict(type="list", elements="dict", options=VM_SPEC),
    state=dict(type="str", choices=["present", "absent"], default="present"),
    confirm_disable=dict(type="bool", default=False),
    wait_resume=dict(type="dict"),
    wait=dict(type="str", choices=["none", "enabled", "protected"], default="enabled"),
    **SETTINGS_SPEC
)
IDENTITY = ["name", "instance_uuid", "bios_uuid", "vms"]


def build_module():
    return DrAsrModule(ARGUMENT_SPEC, uses=("asr_vault", "wait", "rounds"),
                       azure_libraries=("azure.mgmt.recoveryservices", "azure.mgmt.recoveryservicessiterecovery",
                                        "azure.mgmt.resource.resources", "azure.mgmt.network", "azure.mgmt.compute"),
                       mutually_exclusive=[IDENTITY], required_one_of=[IDENTITY])


def check_confirmation(params):
    if params["state"] == "absent" and not params["confirm_disable"]:
        raise InputError("confirm_disable", params["confirm_disable"], "true to disable replication (state=absent)",
                         hint="Disabling replication deletes the replica disks and recovery points in Azure; "
                              "set confirm_disable: true to do it.")


def run_module(module):
    params = module.params
    check_confirmation(params)
    batch = items.Batch(module.asr_vault(), params, module.warn)
    return pipeline.run(batch, module.check_mode, params["wait"] != "none")


def main():
    pipeline.finish(build_module(), run_module, lambda result: result["vms"], what="VMs")


if __name__ == "__main__":
    main()
