# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""URLs that may carry a secret: a storage SAS token (`?sv=...&sig=...`) or any other query, a password in the user
info (`https://user:password@host/`). Their secret parts are never shown: messages use `redact_url`, and modules
hide `url_secrets` from every result and log (DrAsrModule's `secret_urls`: the option is no_log, then only its
secret parts stay in the module's no_log values, so the rest of the URL stays readable).
"""

from __future__ import annotations

HIDDEN = "********"


def _split(url):
    """(before the query, the query with its '?' or fragment with its '#', or '')."""
    cut = [i for i in (url.find("?"), url.find("#")) if i >= 0]
    at = min(cut) if cut else len(url)
    return url[:at], url[at:]


def _password(url):
    """The password of the user info of `url` (scheme://user:password@host/...), or None."""
    scheme = url.find("://")
    if scheme < 0:
        return None
    rest = url[scheme + 3:]
    authority = rest.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    if "@" not in authority:
        return None
    userinfo = authority.rsplit("@", 1)[0]
    return userinfo.split(":", 1)[1] if ":" in userinfo else None


def url_secrets(url):
    """The parts of `url` to hide: its query (with the '?', so that masking never hits text elsewhere) and
    fragment, and the user info's password (with its ':' and '@')."""
    if not isinstance(url, str) or not url:
        return []
    if "://" not in url:
        return [url]        # no URL (a SAS token alone?): nothing tells its secret parts from the rest
    secrets = []
    tail = _split(url)[1]
    if len(tail) > 1:
        secrets.append(tail)
    password = _password(url)
    if password:
        secrets.append(":%s@" % password)
    return secrets


def redact_url(url):
    """`url` as messages show it: the query (and fragment) and the user info's password replaced by ********."""
    if not isinstance(url, str) or not url:
        return url
    if "://" not in url:
        return HIDDEN
    head, tail = _split(url)
    password = _password(head)
    if password:
        head = head.replace(":%s@" % password, ":%s@" % HIDDEN, 1)
    return head + (tail[0] + HIDDEN if len(tail) > 1 else tail)


def redact_text(text, urls):
    """`text` with the secret parts of each of `urls` replaced by ******** (for messages that quote a URL, e.g. an
    HTTP library's error)."""
    if not isinstance(text, str):
        return text
    for url in urls:
        if not url:
            continue
        text = text.replace(url, redact_url(url))
        for secret in url_secrets(url):
            text = text.replace(secret, secret[0] + HIDDEN + (secret[-1] if secret.endswith("@") else ""))
            if not secret.endswith("@") and len(secret) > 8:
                text = text.replace(secret[1:], HIDDEN)       # the query quoted without its '?'
    return text
