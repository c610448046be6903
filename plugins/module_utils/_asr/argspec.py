# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options every ASR module shares: which vault. Documented 1:1 by doc fragment dr.asr.asr_vault."""

from __future__ import annotations

from ansible.module_utils.basic import env_fallback


def asr_vault_argument_spec():
    return dict(
        vault_name=dict(type="str", required=True, fallback=(env_fallback, ["DR_ASR_VAULT_NAME"])),
        vault_resource_group=dict(type="str", required=True, fallback=(env_fallback, ["DR_ASR_VAULT_RESOURCE_GROUP"])),
    )
