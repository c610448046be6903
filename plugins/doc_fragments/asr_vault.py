# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):
    # Kept 1:1 with plugins/module_utils/_asr/argspec.py (tests/unit checks it).
    DOCUMENTATION = r'''
options:
  vault_name:
    description:
      - The Recovery Services vault that holds the Site Recovery configuration. Falls back to E(DR_ASR_VAULT_NAME).
    type: str
    required: true
  vault_resource_group:
    description:
      - Resource group of the vault. Falls back to E(DR_ASR_VAULT_RESOURCE_GROUP).
    type: str
    required: true
'''
