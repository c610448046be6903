# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""dr.asr.protected_item_disks waits in rounds with progress lines: the one waiting action (plugins/plugin_utils/_wait_action.py)."""

from __future__ import annotations

from ansible_collections.dr.asr.plugins.plugin_utils._wait_action import ActionModule  # noqa: F401 pylint: disable=unused-import
