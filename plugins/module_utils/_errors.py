# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The domain errors of dr.asr.

SDK exceptions never leave the boundary packages (`_azure`, `_vsphere`): they are translated there
into one of these, so modules catch `DrAsrError` only and report it with `DrAsrModule.fail_from`.
"""

from __future__ import annotations


class DrAsrError(Exception):
    """Base of every error the collection reports.

    `code`, `message`, `possible_causes` and `recommended_action` are what an operator needs;
    `details` carries anything else worth returning (structured, JSON-serialisable, no secrets).
    """

    kind = "error"

    def __init__(self, message, code=None, possible_causes=None, recommended_action=None,
                 details=None, status=None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.possible_causes = possible_causes
        self.recommended_action = recommended_action
        self.details = details or {}
        self.status = status

    def to_dict(self):
        out = {"kind": self.kind, "message": self.message}
        for key in ("code", "status", "possible_causes", "recommended_action"):
            value = getattr(self, key)
            if value not in (None, ""):
                out[key] = value
        if self.details:
            out["details"] = self.details
        return out

    def summary(self):
        """One human line: message, then code, causes and action where known."""
        parts = [self.message]
        if self.code:
            parts.append("(code %s)" % self.code)
        if self.possible_causes:
            parts.append("Possible causes: %s" % self.possible_causes)
        if self.recommended_action:
            parts.append("Recommended action: %s" % self.recommended_action)
        return " ".join(parts)


class InputError(DrAsrError):
    """Bad module input: names the parameter, the bad value and what would be valid."""

    kind = "input"

    def __init__(self, parameter, value, expected, hint=None):
        message = "Invalid value for parameter '%s': %r. Expected %s." % (parameter, value, expected)
        if hint:
            message += " " + hint
        super().__init__(message, details={"parameter": parameter, "value": value, "expected": expected})
        self.parameter = parameter


class AzureError(DrAsrError):
    """An error from Azure (ARM, Recovery Services, ASR), or reaching it."""

    kind = "azure"


class VSphereError(DrAsrError):
    """An error from vCenter/ESXi, or reaching it."""

    kind = "vsphere"


class UnexpectedError(DrAsrError):
    """An exception no layer turned into a domain error (a bug): reported by DrAsrModule.guard, never as a traceback."""

    kind = "internal"


class WaitTimeout(DrAsrError):
    """Waiting ran out of time. `partial` holds what was known when it gave up."""

    kind = "timeout"

    def __init__(self, message, partial=None, **kwargs):
        super().__init__(message, **kwargs)
        self.partial = partial

    def to_dict(self):
        out = super().to_dict()
        out["partial"] = self.partial
        return out
