# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Times as Azure and ASR write them (stdlib only): ISO 8601 with Z and .NET's 7 fractional digits."""

from __future__ import annotations

import datetime

UTC = datetime.timezone.utc


def from_iso(text):
    """ISO 8601 (also .NET's 7 fractional digits) -> aware UTC datetime, or None."""
    if not isinstance(text, str) or not text.strip():
        return None
    value = text.strip().replace("z", "Z")
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    head, dot, tail = value.partition(".")
    if dot:
        digits = "".join(ch for ch in tail if ch.isdigit())
        value = "%s.%s%s" % (head, (digits + "000000")[:6], tail[len(digits):])
    try:
        parsed = datetime.datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
