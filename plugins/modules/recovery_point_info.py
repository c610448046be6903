#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: recovery_point_info
short_description: List the Azure Site Recovery recovery points of protected items, to choose one
version_added: 1.0.0
description:
  - Returns the recovery points of protected items (or of a recovery plan's members), newest first, each with its
    type (application- or crash-consistent), time, age and whether it is a multi-VM sync point, and the newest point
    of each type.
  - The names it returns are what O(dr.asr.test_failover#module:recovery_point),
    O(dr.asr.failover#module:recovery_point) and O(dr.asr.failover_recovery_point#module:recovery_point) take.
  - One list of the vault's protected items, then one recovery point list per item (ASR lists points per item only).
    Changes nothing.
author:
  - dr.asr maintainers (@dr-asr)
options:
  types:
    description: Only points of these types.
    type: list
    elements: str
    choices: [ApplicationConsistent, CrashConsistent]
  since:
    description:
      - Only points taken at or after this time - ISO 8601, or a duration before now on the controller's clock
        (V(30m), V(2h), V(7d)).
    type: str
  multi_vm_sync_point:
    description: Only multi-VM sync points (points shared by the VMs of a multi-VM group).
    type: bool
  limit:
    description: At most this many points per item (the newest), V(1) or more.
    type: int
extends_documentation_fragment:
  - dr.asr.azure
  - dr.asr.asr_vault
  - dr.asr.asr_action_target
  - dr.asr.query
attributes:
  check_mode:
    support: full
    description: Reads only; runs the same in check mode.
  diff_mode:
    support: none
    description: Changes nothing, so there is no diff.
notes:
  - Recovery points exist while the item replicates - to Azure (provider C(InMageRcm)) and, after a reprotect to
    on-premises, to vCenter (C(InMageRcmFailback)). A commit deletes all points but the one failed over to.
seealso:
  - module: dr.asr.test_failover
  - module: dr.asr.failover
  - module: dr.asr.failover_recovery_point
'''

EXAMPLES = r'''
- name: The app-consistent points of the last day of two VMs
  dr.asr.recovery_point_info:
    vault_name: rsv-dr-weu
    vault_resource_group: rg-dr
    items: [web-01, db-01]
    types: [ApplicationConsistent]
    since: 1d
  register: points

- name: Drill from the point before a given time
  dr.asr.test_failover:
    vault_name: rsv-dr-weu
    vault_resource_group: rg-dr
    items: [db-01]
    recovery_point: "{{ (points.protected_items | selectattr('name', 'eq', 'db-01') | first).latest.application_consistent.name }}"
'''

RETURN = r'''
protected_items:
  description: One entry per item (in the order named; with O(recovery_plan), the plan's members).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The VM name.
      type: str
      sample: web-01
    item_name:
      description: Name of the protected item.
      type: str
    id:
      description: Id of the protected item.
      type: str
    phase:
      description: Lifecycle phase of the item (see M(dr.asr.failover)).
      type: str
      sample: protected
    state:
      description: Protection state.
      type: str
    active_location:
      description: V(Primary) or V(Recovery).
      type: str
    provider:
      description: C(InMageRcm) or C(InMageRcmFailback).
      type: str
    failover_recovery_point:
      description: Name of the point the item is failed over to, null when not failed over.
      type: str
    multi_vm_group:
      description: The item's multi-VM group, null when none.
      type: str
    recovery_points:
      description: The points, newest first.
      type: list
      elements: dict
      contains:
        name:
          description: Name of the point (what the action modules take).
          type: str
          sample: 9c1d8f3e-4b5a-5c6d-8e7f-0a1b2c3d4e5f
        id:
          description: Id of the point.
          type: str
        time:
          description: When the point was taken (UTC).
          type: str
          sample: "2026-11-26T08:00:00Z"
        type:
          description: V(ApplicationConsistent) or V(CrashConsistent).
          type: str
        age_seconds:
          description: How old the point is, in seconds (controller clock).
          type: int
          sample: 300
        multi_vm_sync_point:
          description: Whether it is a multi-VM sync point.
          type: bool
    latest:
      description: The newest point of any type (V(any)), V(application_consistent) and V(crash_consistent), each
        null when there is none.
      type: dict
query_result:
  description: The value of O(query) over the result, when O(query) is set.
  returned: when O(query) is set
  type: raw
  sample: [web-03, db-01]
'''

from ansible_collections.dr.asr.plugins.module_utils._module import DrAsrModule, run
from ansible_collections.dr.asr.plugins.module_utils._asr import recovery_points
from ansible_collections.dr.asr.plugins.module_utils._asr.actions import base

ARGUMENT_SPEC = dict(
    types=dict(type="list", elements="str", choices=list(recovery_points.TYPES)),
    since=dict(type="str"),
    multi_vm_sync_point=dict(type="bool"),
    limit=dict(type="int"),
    **base.TARGET_SPEC
)
BOUNDS = dict(limit=dict(minimum=1, unit="points per item"))


def run_module(module):
    return dict(changed=False, protected_items=recovery_points.report(module.asr_vault(), module.params))


def main():
    run(lambda: DrAsrModule(ARGUMENT_SPEC, uses=("asr_vault", "query"), bounds=BOUNDS,
                            azure_libraries=("azure.mgmt.recoveryservicessiterecovery",),
                            mutually_exclusive=base.TARGET_EXCLUSIVE, required_one_of=base.TARGET_EXCLUSIVE),
        run_module)


if __name__ == "__main__":
    main()
