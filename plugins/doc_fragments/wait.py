# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):
    # Kept 1:1 with WAIT_ARGUMENT_SPEC in plugins/module_utils/_waiter.py (tests/unit checks it).
    DOCUMENTATION = r'''
options:
  wait:
    description:
      - Wait for the operation to finish before returning.
      - With V(false) the module returns once Azure has accepted the request; rerun with V(true) to wait.
    type: bool
    default: true
  wait_timeout:
    description:
      - How many seconds to wait at most. On timeout the module fails and returns what it saw last
        under RV(ignore:partial); running it again resumes waiting instead of repeating the request.
      - V(0) or more (V(0) looks once). A negative number fails the module before it reads or writes anything.
    type: int
    default: 1800
  wait_sleep:
    description:
      - Seconds between polls when the service does not say when to poll again; a C(Retry-After)
        from the service always takes precedence. V(0) or more.
    type: int
    default: 10
'''
