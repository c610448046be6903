#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: switch_provider
short_description: Move classic (configuration server) protected items to the modernized experience of Azure Site Recovery
version_added: 1.1.0
description:
  - Moves VMs that replicate through a configuration server (classic experience, provider C(InMageAzureV2)) to a
    replication appliance registered with a vault of the modernized experience (provider C(InMageRcm)), with Azure
    Site Recovery's switch provider operation (C(InMageAzureV2SwitchProviderInput) - target vault, fabric and
    appliance). Azure Site Recovery copies the item's replication policy into the target vault and creates the new
    protected item there; the move completes with its first recovery point.
  - What Azure Site Recovery says blocks an item (its C(switchProviderBlockingErrorDetails)) is read with a GET of
    every item first; any blocked item fails the task before anything is written, naming each blocking error with
    its possible causes and recommended action.
  - Idempotent by what ASR states - an item whose C(switchProviderDetails) name the item it moved to is left alone;
    a rerun while its move job runs waits for that job.
  - At most 10 items that have not moved yet per task (Microsoft Learn - up to 10 machines in one go); the
    P(dr.asr.migrate_classic#role) role moves an estate in batches.
  - Recovery plans are not moved - recreate them in the target vault with M(dr.asr.recovery_plan).
author:
  - dr.asr maintainers (@dr-asr)
options:
  items:
    description:
      - The classic protected items to move - VM names, item names or item ids of the vault O(vault_name) (the
        classic vault). At most 10 that have not moved yet.
    type: list
    elements: str
    required: true
    aliases: [vms]
  target_vault:
    description:
      - The vault of the modernized experience the items move to (same region as the classic vault), with a
        replication appliance registered that discovered the VMs.
    type: str
    required: true
  target_vault_resource_group:
    description:
      - The resource group of O(target_vault). Defaults to O(vault_resource_group).
    type: str
  appliance:
    description:
      - The replication appliance of O(target_vault) the items move to (its name or id). Defaults to its only
        appliance.
    type: str
extends_documentation_fragment:
  - dr.asr.azure
  - dr.asr.asr_vault
  - dr.asr.wait
  - dr.asr.wait_rounds
attributes:
  check_mode:
    support: full
    description: Reads everything (each item's blocking errors and switch details, the target vault's appliance)
      and predicts per item what would be done; starts nothing.
  diff_mode:
    support: full
    description: Returns, per item that moves, its state and C(moved_to) before and after.
  idempotent:
    support: full
    description: Items that moved already are left alone; a rerun while a move job runs waits for it.
notes:
  - "Microsoft Learn's prerequisites (move-from-classic-to-modernized-vmware-disaster-recovery): the configuration
    server and the Mobility agents run 9.50 or later and are healthy; the item replicates from on-premises to Azure,
    its initial replication is done and it is not resynchronizing; the modernized vault is in the classic vault's
    region with a registered, healthy appliance that discovered the VMs' vCenter. Azure Site Recovery reports what
    it finds missing as the item's blocking errors."
  - After the move, the classic vault keeps the item (failover and disable protection only) until its recovery
    points expire; Azure Site Recovery then purges it.
  - Items of a replication group (multi-VM consistency) move together - name them all in one task.
seealso:
  - module: dr.asr.classic_info
  - module: dr.asr.appliance_info
  - module: dr.asr.recovery_plan
  - name: Move from classic to modernized VMware disaster recovery
    description: Microsoft Learn
    link: https://learn.microsoft.com/azure/site-recovery/move-from-classic-to-modernized-vmware-disaster-recovery
'''

EXAMPLES = r'''
- name: Move two VMs from the configuration server to the replication appliance of the modernized vault
  dr.asr.switch_provider:
    vault_name: rsv-dr-classic
    vault_resource_group: rg-dr
    items: [web-01, web-02]
    target_vault: rsv-dr-weu
    appliance: appliance-01
    wait_timeout: 14400
'''

RETURN = r'''
protected_items:
  description:
    - One entry per classic item, in the order given - the VM (C(name), C(item_name), C(id)), what the run did
      (C(action) V(start), V(attach), V(after_job) or V(none); C(changed), C(reason), C(job), C(error), C(diff)), the
      item's state, C(moved_to) (C(vault_id), C(item_id), C(fabric_id), C(appliance_id) of the new item once moved,
      else null), C(switch_provider_blocking_errors) (C(code), C(message), C(possible_causes),
      C(recommended_action)) and C(appliance).
  returned: always
  type: list
  elements: dict
target_vault:
  description: The vault the items move to (C(name), C(resource_group), C(id)).
  returned: always
  type: dict
recovery_plan:
  description: Always null (recovery plans are not moved).
  returned: always
  type: dict
diff:
  description: One before/after per item that moves (header the VM name).
  returned: always
  type: list
  elements: dict
progress:
  description:
    - Where the move jobs are, as the last look saw them (as RV(dr.asr.reprotect#module:progress)).
  returned: always
  type: dict
rounds:
  description: How many module runs (rounds of O(wait_round) seconds) the task took.
  returned: always
  type: int
  sample: 1
'''

from ansible_collections.dr.asr.plugins.module_utils._module import DrAsrModule
from ansible_collections.dr.asr.plugins.module_utils._asr import pipeline
from ansible_collections.dr.asr.plugins.module_utils._asr.actions import migrate, run
from ansible_collections.dr.asr.plugins.module_utils._asr.vault import AsrVault

ARGUMENT_SPEC = dict(
    items=dict(type="list", elements="str", required=True, aliases=["vms"]),
    target_vault=dict(type="str", required=True),
    target_vault_resource_group=dict(type="str"),
    appliance=dict(type="str"),
)


def run_module(module):
    params = module.params
    vault = module.asr_vault()
    target = AsrVault(vault.clients, params["target_vault_resource_group"] or params["vault_resource_group"],
                      params["target_vault"])
    work = migrate.SwitchRun(vault, params, migrate.SwitchProvider(params), target, module.warn)
    return pipeline.run(work, module.check_mode, params["wait"])


def main():
    module = DrAsrModule(ARGUMENT_SPEC, uses=("asr_vault", "wait", "rounds"),
                         azure_libraries=("azure.mgmt.recoveryservicessiterecovery",))
    run.exit_action(module, run_module)


if __name__ == "__main__":
    main()
