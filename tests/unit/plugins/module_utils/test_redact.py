# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The secret parts of a URL (a SAS query, a password) and how messages show it."""

from __future__ import annotations

import pytest

from ansible_collections.dr.asr.plugins.module_utils._redact import redact_text, redact_url, url_secrets

SAS = "https://st.blob.core.windows.net/c/pkg.tar.gz?sv=2022-11-02&sp=r&sig=AbC%2Fd3F%3D"


@pytest.mark.parametrize("url,shown,secrets", [
    (SAS, "https://st.blob.core.windows.net/c/pkg.tar.gz?********", ["?sv=2022-11-02&sp=r&sig=AbC%2Fd3F%3D"]),
    ("https://u:p4ss@h/x.tgz", "https://u:********@h/x.tgz", [":p4ss@"]),
    ("https://u:p4ss@h/x.tgz?t=1#f", "https://u:********@h/x.tgz?********", ["?t=1#f", ":p4ss@"]),
    ("https://h/x.tgz#token", "https://h/x.tgz#********", ["#token"]),
    ("https://h/x.tgz", "https://h/x.tgz", []),
    ("https://h/x.tgz?", "https://h/x.tgz?", []),
])
def test_what_is_hidden(url, shown, secrets):
    assert redact_url(url) == shown and url_secrets(url) == secrets


def test_a_message_that_quotes_the_url_or_its_query():
    text = "HTTP Error 403 for %s (query %s)" % (SAS, SAS.split("?")[1])
    out = redact_text(text, [SAS])
    assert "sig=" not in out and "https://st.blob.core.windows.net/c/pkg.tar.gz?********" in out
