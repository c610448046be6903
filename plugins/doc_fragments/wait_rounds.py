# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):
    # Kept 1:1 with ROUND_ARGUMENT_SPEC in plugins/module_utils/_waiter.py (tests/unit checks it).
    DOCUMENTATION = r'''
options:
  wait_round:
    description:
      - With O(wait), the module runs in rounds of this many seconds (its controller-side action runs it
        again after each round, until the work is done or O(wait_timeout) is spent)
        and prints one progress line per round, also as a job event under AWX. A round that ends early changes
        nothing; the next one finds the running jobs and waits on, it never starts an action twice.
      - V(0) waits in one run, without progress lines. A negative number fails the module before it reads or writes
        anything.
    type: int
    default: 60
'''
