#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: resolve_health_errors
short_description: Mark the health errors Azure Site Recovery lists on replicated VMs as resolved
version_added: 1.1.0
description:
  - Resolves (C(resolveHealthErrors)) the health errors ASR lists on each protected item - all the ones the user can
    resolve, or those whose id or error code is given in O(health_errors) - and waits for the jobs.
  - Idempotent by what ASR lists - an item without a matching resolvable health error is left alone; a rerun while
    the job runs waits for it.
  - ASR marks some health errors as not resolvable by the user (C(customerResolvability) C(NotAllowed)) - it clears
    them itself when their cause is gone. Named in O(health_errors), they are refused before anything starts, with
    ASR's recommended action; without O(health_errors) they are skipped.
  - A separate module from M(dr.asr.resync) - resolving only marks errors handled, a resync copies the disks again;
    the two are different ASR operations with different gates.
author:
  - dr.asr maintainers (@dr-asr)
options:
  health_errors:
    description:
      - The health errors to resolve, each by its id (C(errorId), as M(dr.asr.protected_item_info) or the item shows
        it) or its error code (C(errorCode)), case-insensitively. Unset or empty - every resolvable health error of
        the item.
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - dr.asr.azure
  - dr.asr.asr_vault
  - dr.asr.asr_action_target
  - dr.asr.wait
  - dr.asr.wait_rounds
attributes:
  check_mode:
    support: full
    description: Reads every item (a GET each) and predicts which health errors would be resolved; starts nothing.
  diff_mode:
    support: full
    description: Returns, for each changed item, the ids of its health errors before and after.
  idempotent:
    support: full
    description: An item without a matching resolvable health error is left alone; a rerun while the job runs waits.
notes:
  - "ASR has no allowed-operations value for this operation: the request is sent for the items with matching errors,
    and ASR's refusal (its code, message, possible causes and recommended action) is reported per item."
  - An error whose cause lasts can be listed again by ASR after it was resolved; a later run resolves it again.
seealso:
  - module: dr.asr.resync
  - module: dr.asr.protected_item_info
'''

EXAMPLES = r'''
- name: Resolve every resolvable health error of two VMs
  dr.asr.resolve_health_errors:
    vault_name: rsv-dr-weu
    vault_resource_group: rg-dr
    items: [web-01, web-02]

- name: Resolve one error code on every member of a recovery plan
  dr.asr.resolve_health_errors:
    vault_name: rsv-dr-weu
    vault_resource_group: rg-dr
    recovery_plan: rp-shop
    health_errors: ["78144"]
'''

RETURN = r'''
protected_items:
  description:
    - One entry per protected item, in the order given (with O(recovery_plan), the plan's members), with C(error) set
      for the items that failed.
    - Each entry is as in RV(dr.asr.test_failover#module:protected_items), plus C(health_errors) - the ids of the
      item's health errors after the run.
  returned: always
  type: list
  elements: dict
recovery_plan:
  description: With O(recovery_plan) - the plan and what the run did (the members were handled one by one); null otherwise.
  returned: always
  type: dict
diff:
  description: One before/after per changed item (header the VM name) - its state and health error ids.
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

ARGUMENT_SPEC = dict(
    health_errors=dict(type="list", elements="str", default=[]),
    **base.TARGET_SPEC
)


def run_module(module):
    return repair.run_action(module, repair.ResolveHealthErrors(module.params))


def main():
    module = DrAsrModule(ARGUMENT_SPEC, uses=("asr_vault", "wait", "rounds"),
                         azure_libraries=("azure.mgmt.recoveryservicessiterecovery",),
                         mutually_exclusive=base.TARGET_EXCLUSIVE, required_one_of=base.TARGET_EXCLUSIVE)
    run.exit_action(module, run_module)


if __name__ == "__main__":
    main()
