# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):
    # Kept 1:1 with TARGET_SPEC in plugins/module_utils/_asr/actions.py (tests/unit checks it).
    DOCUMENTATION = r'''
options:
  items:
    description:
      - The protected items (replicated VMs) to act on, each by its VM name (as the vault shows it, C(friendlyName)),
        its protected item name or its id, case-insensitively. One name, or a list handled in one run - the vault's
        items are listed once however many are named, one request is sent per item that needs it, and their jobs
        are awaited together with one vault-wide job list per poll.
      - Every named item is checked before anything starts; when one of them cannot have the action, the module
        fails naming its state, its allowed operations and what to do, and starts nothing.
      - Mutually exclusive with O(recovery_plan); one of the two is required.
    type: list
    elements: str
    aliases: [vms, item, vm]
  recovery_plan:
    description:
      - A recovery plan (its name or id) to act on as a whole. Azure Site Recovery runs the plan's action as one
        plan job - its groups in order, the VMs of a group in parallel, a manual action suspending the job until
        it is resumed (M(dr.asr.job) with O(dr.asr.job#module:action=resume)).
      - The plan action is decided from the plan's members - it is done when every member is in the wanted state,
        and refused (naming the members that block it) when the plan does not allow it.
    type: str
'''
