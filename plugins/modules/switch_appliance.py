#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: switch_appliance
short_description: Move protected VMs to another replication appliance with Azure Site Recovery
version_added: 1.0.0
description:
  - Ensures the named protected VMs (replicating from vCenter to Azure, provider C(InMageRcm)) replicate through the
    replication appliance O(appliance), with ASR's appliance switch (C(updateAppliance), job C(UpdateApplianceForRPI)).
    Replication goes on meanwhile; state and allowed operations stay as they were.
  - Without O(appliance) it balances - a VM whose appliance protects more than O(max_protected_items) machines (the
    documented capacity of an appliance, 200) moves to the healthy appliance with the fewest protected machines that
    has room; VMs on appliances within capacity stay.
  - Only a healthy appliance (its process server's health C(Normal)) is a target, as Microsoft documents.
  - Idempotent - a VM already on the appliance (or, balancing, on one within capacity) is left alone; a rerun while the
    switch job runs waits for it.
author:
  - dr.asr maintainers (@dr-asr)
options:
  appliance:
    description:
      - The appliance to move the VMs to - its name or its process server id (M(dr.asr.appliance_info)).
      - Unset - balance by capacity (see the description).
    type: str
  max_protected_items:
    description:
      - Balancing - the protected machines one appliance takes before its VMs move elsewhere, and the room a target
        must have. Defaults to the documented capacity of a replication appliance (200).
    type: int
  run_as_account:
    description:
      - The appliance credential (name or run-as account id) the new appliance uses for the VM's Mobility agent.
        Unset - none is sent (the agent keeps its registration).
    type: str
  batch_size:
    description:
      - At most this many switch jobs at a time; the next start when a batch ended (within the same wait). V(0) - all.
    type: int
    default: 10
extends_documentation_fragment:
  - dr.asr.azure
  - dr.asr.asr_vault
  - dr.asr.asr_action_target
  - dr.asr.wait
  - dr.asr.wait_rounds
attributes:
  check_mode:
    support: full
    description: Reads the items and the appliances' load and predicts per VM the appliance it would move to; starts
      nothing.
  diff_mode:
    support: full
    description: Returns the appliance (and state) of each changed VM before and after.
  idempotent:
    support: full
    description: A VM already where it should be is left alone; a rerun while the switch job runs waits for it.
notes:
  - Capacity - "Sizing and capacity" of
    U(https://learn.microsoft.com/en-us/azure/site-recovery/deploy-vmware-azure-replication-appliance-modernized).
  - ASR has no C(allowedOperations) value for the switch - dr.asr offers it for items replicating to Azure from
    on-premises, and ASR's own refusal is reported for any other.
seealso:
  - module: dr.asr.appliance_info
  - module: dr.asr.protected_item
'''

EXAMPLES = r'''
- name: Move two VMs to the second appliance
  dr.asr.switch_appliance:
    vault_name: rsv-dr-weu
    vault_resource_group: rg-dr
    items: [web-01, web-02]
    appliance: asr-appliance-02

- name: Balance every VM of a plan off appliances over their documented capacity
  dr.asr.switch_appliance:
    vault_name: rsv-dr-weu
    vault_resource_group: rg-dr
    recovery_plan: rp-shop
'''

RETURN = r'''
protected_items:
  description:
    - One entry per protected item, in the order given, as in RV(dr.asr.test_failover#module:protected_items) (the VM,
      what the run did - C(action) V(start), V(attach), V(queued), V(after_job) or V(none), C(changed), C(reason),
      C(job), C(error), C(diff) - and its state), plus C(appliance) and C(process_server_id) (where it replicates
      after the run).
  returned: always
  type: list
  elements: dict
recovery_plan:
  description: With O(recovery_plan) - the plan (its members were handled one by one); null otherwise.
  returned: always
  type: dict
diff:
  description: One before/after per changed VM (header the VM name) with its C(appliance).
  returned: always
  type: list
  elements: dict
progress:
  description: Where the jobs of the run are (as RV(dr.asr.reprotect#module:progress)).
  returned: always
  type: dict
rounds:
  description: How many module runs (rounds of O(wait_round) seconds) the task took.
  returned: always
  type: int
  sample: 1
'''

from ansible_collections.dr.asr.plugins.module_utils._module import DrAsrModule
from ansible_collections.dr.asr.plugins.module_utils._asr.actions import base, maintenance, run

ARGUMENT_SPEC = dict(
    appliance=dict(type="str"),
    max_protected_items=dict(type="int"),
    run_as_account=dict(type="str"),
    batch_size=dict(type="int", default=10),
    **base.TARGET_SPEC
)
BOUNDS = {"batch_size": dict(minimum=0), "max_protected_items": dict(minimum=1)}


def run_module(module):
    return maintenance.run_maintenance(module, maintenance.SwitchAppliance(module.params))


def main():
    module = DrAsrModule(ARGUMENT_SPEC, uses=("asr_vault", "wait", "rounds"), bounds=BOUNDS,
                         azure_libraries=("azure.mgmt.recoveryservicessiterecovery",),
                         mutually_exclusive=base.TARGET_EXCLUSIVE, required_one_of=base.TARGET_EXCLUSIVE)
    run.exit_action(module, run_module)


if __name__ == "__main__":
    main()
