#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: resync
short_description: Resynchronize replicated VMs when Azure Site Recovery asks for it (repair replication)
version_added: 1.1.0
description:
  - Starts Azure Site Recovery's resynchronization (C(repairReplication)) of the protected items that need one -
    those whose replication ASR marks as needing a resync (C(resyncRequired)), for which it lists
    C(RepairReplication) in the item's allowed operations - and waits for the jobs.
  - Idempotent by what ASR states - an item that needs no resync is left alone and reported with the reason; a rerun
    while the resync job runs waits for it.
  - An item that needs a resync but where ASR does not allow one now (for example while another job runs, or after a
    failover) is refused before anything starts, naming its state, its allowed operations and what to do.
  - With O(recovery_plan), every member item that needs a resync is resynchronized, in one batch.
  - Health errors that do not need a resync are resolved with M(dr.asr.resolve_health_errors) - a resync copies the
    disks again, resolving an error only marks it handled.
author:
  - dr.asr maintainers (@dr-asr)
extends_documentation_fragment:
  - dr.asr.azure
  - dr.asr.asr_vault
  - dr.asr.asr_action_target
  - dr.asr.wait
  - dr.asr.wait_rounds
attributes:
  check_mode:
    support: full
    description: Reads every item (a GET each) and predicts which ones would be resynchronized; starts nothing.
  diff_mode:
    support: full
    description: Returns, for each item resynchronized, its state and C(resync_required) before and after.
  idempotent:
    support: full
    description: An item ASR does not ask to resynchronize is left alone; a rerun while the job runs waits for it.
notes:
  - "Gate - C(RepairReplication) in the item's allowed operations (ASR lists it while C(resyncRequired) is true).
    The job's scenario name is not documented; dr.asr recognizes C(RepairReplication)."
seealso:
  - module: dr.asr.resolve_health_errors
  - module: dr.asr.protected_item_info
'''

EXAMPLES = r'''
- name: Resynchronize the VMs that need it (the others are left alone)
  dr.asr.resync:
    vault_name: rsv-dr-weu
    vault_resource_group: rg-dr
    items: [web-01, web-02, db-01]

- name: Every member of a recovery plan that needs it, without waiting for the jobs
  dr.asr.resync:
    vault_name: rsv-dr-weu
    vault_resource_group: rg-dr
    recovery_plan: rp-shop
    wait: false
'''

RETURN = r'''
protected_items:
  description:
    - One entry per protected item, in the order given (with O(recovery_plan), the plan's members), with C(error) set
      for the items that failed.
    - Each entry is as in RV(dr.asr.test_failover#module:protected_items) - the VM, what the run did (C(action) V(start),
      V(attach), V(after_job) or V(none); C(changed), C(reason), C(job), C(error), C(diff)) and the item's state after
      it - plus C(resync_required), as ASR states it after the run.
  returned: always
  type: list
  elements: dict
recovery_plan:
  description: With O(recovery_plan) - the plan and what the run did (the members were handled one by one); null otherwise.
  returned: always
  type: dict
diff:
  description: One before/after per resynchronized item (header the VM name).
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
from ansible_collections.dr.asr.plugins.module_utils._asr.actions import base, repair, run

ARGUMENT_SPEC = dict(**base.TARGET_SPEC)


def run_module(module):
    return repair.run_action(module, repair.Resync(module.params))


def main():
    module = DrAsrModule(ARGUMENT_SPEC, uses=("asr_vault", "wait", "rounds"),
                         azure_libraries=("azure.mgmt.recoveryservicessiterecovery",),
                         mutually_exclusive=base.TARGET_EXCLUSIVE, required_one_of=base.TARGET_EXCLUSIVE)
    run.exit_action(module, run_module)


if __name__ == "__main__":
    main()
