#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: protected_item_disks
short_description: Make the replicated disks of protected VMs follow their disks in vCenter
version_added: 1.1.0
description:
  - Compares, for each protected VM, the disks the replication appliance discovered in vCenter with the disks the
    protected item replicates, and adds the missing ones to replication (C(addDisks)), then waits for the jobs.
  - The item names its disks as the Mobility agent sees them (C({GUID}), C(PHYSICALDRIVE1), C(/dev/sdb)), not by the
    VMware disk UUID; the disks are matched by the OS disk, then by a unique capacity, then by position.
  - A disk added in vCenter is seen after the appliance's next discovery of vCenter (it runs on its own, about every
    15 minutes); until then the VM is reported as replicating every disk.
  - A protected disk that vCenter no longer has stays replicated - Azure Site Recovery cannot remove a disk of a
    VMware VM from replication (its remove-disks input exists for Azure VMs only). The module warns, naming the
    disks; disable protection and enable it again (M(dr.asr.protected_item)) to drop them.
  - Idempotent - a VM whose disks all replicate is left alone; a rerun while the add-disks job runs waits for it.
  - Refused, before anything starts, for a VM that does not replicate from on-premises to Azure or whose initial
    replication is not done (naming its state and allowed operations).
author:
  - dr.asr maintainers (@dr-asr)
options:
  disk_type:
    description:
      - The managed disk type of the new replica disks. Defaults to the type of the item's OS disk.
    type: str
    choices: [Standard_LRS, Premium_LRS, StandardSSD_LRS, PremiumV2_LRS, UltraSSD_LRS, StandardSSD_ZRS, Premium_ZRS]
  log_storage_account:
    description:
      - The storage account (name in the item's target resource group, or id) that caches the replication logs of
        the new disks. Defaults to the one of the item's OS disk.
    type: str
extends_documentation_fragment:
  - dr.asr.azure
  - dr.asr.asr_vault
  - dr.asr.asr_action_target
  - dr.asr.wait
  - dr.asr.wait_rounds
attributes:
  check_mode:
    support: full
    description: Reads every item (a GET each) and its discovered machine, and predicts the disk list after the
      additions; starts nothing.
  diff_mode:
    support: full
    description: Returns, for each changed item, its disk list (id, name, size, protected, type, state) before and after.
  idempotent:
    support: full
    description: A VM whose disks all replicate is left alone; a rerun while the job runs waits for it.
notes:
  - ASR has no allowed-operations value for adding disks - dr.asr requires the item to replicate to Azure
    (C(InMageRcm), on-premises) in phase C(protected); ASR's own refusal is reported with its code and recommended
    action.
  - The add-disks job's scenario name is not documented; dr.asr recognizes C(AddDisks).
seealso:
  - module: dr.asr.protected_item
  - module: dr.asr.discovered_vm_info
'''

EXAMPLES = r'''
- name: Replicate the disks added to the VMs in vCenter
  dr.asr.protected_item_disks:
    vault_name: rsv-dr-weu
    vault_resource_group: rg-dr
    items: [web-01, db-01]

- name: Every member of a recovery plan, the new replica disks on premium SSDs
  dr.asr.protected_item_disks:
    vault_name: rsv-dr-weu
    vault_resource_group: rg-dr
    recovery_plan: rp-shop
    disk_type: Premium_LRS
'''

RETURN = r'''
protected_items:
  description:
    - One entry per protected item, in the order given (with O(recovery_plan), the plan's members), with C(error) set
      for the items that failed.
    - Each entry is as in RV(dr.asr.test_failover#module:protected_items), plus C(disks) - the item's disks after the
      run (C(id), C(name), C(size_gb), C(protected), C(disk_type), C(state)); a protected disk vCenter no longer has is
      in a C(warnings) entry.
  returned: always
  type: list
  elements: dict
recovery_plan:
  description: With O(recovery_plan) - the plan and what the run did (the members were handled one by one); null otherwise.
  returned: always
  type: dict
diff:
  description: One before/after per changed item (header the VM name) - its state and disk list.
  returned: always
  type: list
  elements: dict
progress:
  description: Where the jobs of the run are, as its last look saw them (see RV(dr.asr.reprotect#module:progress)).
  returned: always
  type: dict
rounds:
  description: How many module runs (rounds of O(wait_round) seconds) the task took.
  returned: always
  type: int
  sample: 1
'''

from ansible_collections.dr.asr.plugins.module_utils._module import DrAsrModule
from ansible_collections.dr.asr.plugins.module_utils._asr.actions import base, disks, repair, run
from ansible_collections.dr.asr.plugins.module_utils._asr.common import DISK_TYPES

ARGUMENT_SPEC = dict(
    disk_type=dict(type="str", choices=list(DISK_TYPES)),
    log_storage_account=dict(type="str"),
    **base.TARGET_SPEC
)


def run_module(module):
    return repair.run_action(module, disks.AddDisks(module.params))


def main():
    module = DrAsrModule(ARGUMENT_SPEC, uses=("asr_vault", "wait", "rounds"),
                         azure_libraries=("azure.mgmt.recoveryservicessiterecovery",),
                         mutually_exclusive=base.TARGET_EXCLUSIVE, required_one_of=base.TARGET_EXCLUSIVE)
    run.exit_action(module, run_module)


if __name__ == "__main__":
    main()
