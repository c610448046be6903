# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Classic experience (InMageAzureV2 / InMage), policies: not implemented yet.

The seam is here so the classic provider can be added without touching the modules.
"""

from __future__ import annotations

from ansible_collections.dr.asr.plugins.module_utils._errors import InputError


def not_supported(what):
    raise InputError("experience", "classic", "modernized: %s for the classic experience (InMageAzureV2, configuration "
                     "server) is not implemented in dr.asr yet" % what)


def __getattr__(name):
    return lambda *args, **kwargs: not_supported(name.replace("_", " "))
