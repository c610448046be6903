# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The DR actions of protected items and recovery plans, idempotent by state (docs/dr-actions.md).

    base.py       TARGET_SPEC (items / recovery_plan), the confirmation, Target, and the `Action` hooks
    run.py        Run: one module run of an action through the pipeline (_asr.pipeline), run_action, exit_action
    drill.py      TestFailover (present: test failover, absent: its cleanup) and the test network checks
    failover.py   Failover (to Azure, or the failback), FailoverCommit, FailoverCancel, FailoverRecoveryPoint
    reprotect.py  Reprotect and its inputs (appliance, datastore, storage account, policy)

A new action is an `Action` subclass in the file of its family (or a new family file): its title, the
allowedOperations value that gates it, the SDK begin_* methods of items and plans, the actions its jobs run
(to attach to them), `done` (already in the wanted state), its request bodies through the provider seam
(`target.provider.item`) and its prediction; its module calls `run.run_action(module, TheAction(params))`.

This package's __init__ imports nothing: a module ships only the files of the actions it runs.
"""
