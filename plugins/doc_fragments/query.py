# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):
    # Kept 1:1 with QUERY_ARGUMENT_SPEC in plugins/module_utils/_query.py (tests/unit checks it).
    DOCUMENTATION = r'''
options:
  query:
    description:
      - A L(JMESPath,https://jmespath.org) expression over the module's result, like azure-cli's C(--query); its
        value is returned as RV(ignore:query_result), the rest of the result as usual.
      - Evaluated where the module runs, so that a playbook can pick a few fields of hundreds of VMs, for example
        V(protected_items[?phase != 'protected'].vm_name).
      - An expression that does not parse fails the module, naming this option.
    type: str
requirements:
  - jmespath (only with O(query))
'''
