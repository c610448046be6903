#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: mobility_service_upgrade
short_description: Upgrade the Mobility agent of protected VMs through Azure Site Recovery, in batches
version_added: 1.0.0
description:
  - Ensures the Mobility service agent of each named protected VM (replicating from vCenter to Azure, provider
    C(InMageRcm)) is the latest version the replication appliance offers, with ASR's push update
    (C(updateMobilityService)), which the appliance installs with one of its push-install credentials.
  - Idempotent - a VM whose agent is the latest (its C(mobilityAgentDetails) version equals C(latestVersion), or ASR
    blocks the upgrade as already on the latest version) is left alone; a rerun while an upgrade job runs waits for it.
  - What ASR states decides - C(isUpgradeable), C(reasonsBlockingUpgrade) and C(agentUpgradeBlockingErrorDetails) of the
    item (read with a GET - a list carries them empty). A VM whose agent ASR calls not upgradeable for another reason is
    refused with ASR's reasons and recommended action, before anything is written.
  - Per VM it reports the version before and after and whether the upgrade needs a reboot of the VM (ASR's
    C(latestUpgradableVersionWithoutReboot) is older than the latest version).
author:
  - dr.asr maintainers (@dr-asr)
options:
  run_as_account:
    description:
      - The appliance credential (its name or run-as account id) the appliance pushes the update with.
      - Unset - the credential the VM's replication was enabled with (the item's C(runAsAccountId)), else the
        appliance's only push-install credential, else none (ASR then uses what it has).
    type: str
  batch_size:
    description:
      - At most this many upgrade jobs at a time - the next VMs start when a batch ended (within the same wait).
        With O(wait=false) only the first batch starts; a rerun starts the next.
      - V(0) - all at once.
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
    description: Reads the items and predicts per VM whether its agent would be upgraded, from and to which version,
      and whether a reboot is needed; starts nothing.
  diff_mode:
    support: full
    description: Returns the agent version (and state) of each changed VM before and after.
  idempotent:
    support: full
    description: A VM whose agent is the latest is left alone; a rerun while the upgrade job runs waits for it.
notes:
  - The upgrade of a VM that needs a reboot (C(agent_upgrade.reboot_required) of RV(protected_items)) takes effect after the
    VM restarts; dr.asr does not restart VMs.
  - Only items replicating to Azure from on-premises have it - ASR has no C(allowedOperations) value for it.
seealso:
  - module: dr.asr.mobility_service
  - module: dr.asr.protected_item_info
  - module: dr.asr.appliance_info
'''

EXAMPLES = r'''
- name: Upgrade the Mobility agent of the web tier, five VMs at a time
  dr.asr.mobility_service_upgrade:
    vault_name: rsv-dr-weu
    vault_resource_group: rg-dr
    items: [web-01, web-02, web-03]
    batch_size: 5
  register: upgrade

- name: VMs that need a reboot for the new agent
  ansible.builtin.debug:
    msg: "{{ upgrade.protected_items | selectattr('agent_upgrade.reboot_required', 'true') | map(attribute='name') }}"
  when: upgrade.changed
'''

RETURN = r'''
protected_items:
  description:
    - One entry per protected item, in the order given, as in RV(dr.asr.test_failover#module:protected_items) (the VM,
      what the run did - C(action) V(start), V(attach), V(queued), V(after_job) or V(none), C(changed), C(reason),
      C(job), C(error), C(diff) - and its state), plus C(agent) and C(agent_upgrade).
    - C(agent) - the agent as ASR describes it after the run (C(version), C(latest_version), C(latest_without_reboot),
      C(upgradeable), C(reasons_blocking_upgrade), C(blocking_errors), C(reboot_required), C(upgrade_state)).
    - C(agent_upgrade) - for a VM the run upgraded (or would), C(from_version), C(to_version) and C(reboot_required)
      (null when ASR does not say); null otherwise.
  returned: always
  type: list
  elements: dict
recovery_plan:
  description: With O(recovery_plan) - the plan (its members were handled one by one); null otherwise.
  returned: always
  type: dict
diff:
  description: One before/after per changed VM (header the VM name) with its C(agent_version).
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
    run_as_account=dict(type="str"),
    batch_size=dict(type="int", default=10),
    **base.TARGET_SPEC
)
BOUNDS = {"batch_size": dict(minimum=0)}


def run_module(module):
    return maintenance.run_maintenance(module, maintenance.UpgradeAgent(module.params))


def main():
    module = DrAsrModule(ARGUMENT_SPEC, uses=("asr_vault", "wait", "rounds"), bounds=BOUNDS,
                         azure_libraries=("azure.mgmt.recoveryservicessiterecovery",),
                         mutually_exclusive=base.TARGET_EXCLUSIVE, required_one_of=base.TARGET_EXCLUSIVE)
    run.exit_action(module, run_module)


if __name__ == "__main__":
    main()
