# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A malformed ~/.azure/credentials (azure.azcollection's profile file) is a clean error naming the file and the
line NUMBER - never the line, which may hold a secret (configparser's own messages quote it) - and never a traceback,
from the client factory and from a module alike. No network: the file is read before anything is sent."""

from __future__ import annotations

import json

import pytest

from ansible_collections.dr.asr.plugins.module_utils._errors import AzureError
from ansible_collections.dr.asr.plugins.module_utils._azure.client import AzureClients, read_credential_file
from ansible_collections.dr.asr.plugins.modules import vault_info
from ansible_collections.dr.asr.tests.unit.plugins.modules.utils import fail_module, patch_exit_json, set_module_args

SECRET = "s3cr3t~Value.With-Chars"
GOOD = "[default]\nsubscription_id = sub-1\nclient_id = app-1\ntenant = tenant-1\nsecret = %s\n" % SECRET


@pytest.fixture
def credentials(tmp_path, monkeypatch):
    path = tmp_path / "credentials"
    monkeypatch.setenv("AZURE_CREDENTIAL_FILE", str(path))
    monkeypatch.setenv("PATH", str(tmp_path))  # no `az` on PATH
    for name in ("AZURE_CLIENT_ID", "AZURE_SECRET", "AZURE_CLIENT_SECRET", "AZURE_TENANT", "AZURE_TENANT_ID",
                 "AZURE_SUBSCRIPTION_ID", "AZURE_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    return path


BROKEN = [
    # (file content, the line number to name, what the message says)
    ("[default]\nclient_id = app-1\n%s\n" % SECRET, "line 3", "neither a [profile] header"),
    ("secret = %s\n[default]\nclient_id = app-1\n" % SECRET, "line 1", "before the first [profile] header"),
    ("[default]\nsecret = x\nsecret = %s\n" % SECRET, "line 3", "a second time"),
    ("[default]\nsecret = x\n[default]\nsecret = %s\n" % SECRET, "line 3", "repeats the profile [default]"),
    ("[default]\nclient_id = app-1\nsecret = %s%%zz\n" % SECRET, "line 3", "has a % in the value of secret"),
]


@pytest.mark.parametrize("content,line,what", BROKEN)
def test_a_malformed_file_names_the_file_and_the_line_number_never_its_content(credentials, content, line, what):
    credentials.write_text(content)
    with pytest.raises(AzureError) as info:
        read_credential_file(None)
    message = info.value.summary()
    assert str(credentials) in message and line in message and what in message
    assert SECRET not in message and SECRET not in json.dumps(info.value.to_dict())
    assert info.value.code == "InvalidCredentialFile"


def test_a_file_that_is_not_utf8_names_the_line(credentials):
    credentials.write_bytes(b"[default]\nclient_id = app-1\nsecret = \xff\xfe" + SECRET.encode() + b"\n")
    with pytest.raises(AzureError) as info:
        read_credential_file(None)
    assert "line 3" in info.value.message and "UTF-8" in info.value.message and SECRET not in info.value.message


def test_a_good_file_still_reads(credentials):
    credentials.write_text(GOOD.replace(SECRET, SECRET + "%%"))     # azure.azcollection's escaped percent
    values = read_credential_file(None)
    assert values["secret"] == SECRET + "%" and values["client_id"] == "app-1"
    settings = AzureClients(dict(auth_source="credential_file"))._resolve_settings()
    assert settings["kind"] == "secret" and settings["secret"] == SECRET + "%"


def test_a_module_fails_cleanly(credentials, monkeypatch):
    patch_exit_json(monkeypatch)
    credentials.write_text("[default]\nclient_id = app-1\n%s\n" % SECRET)
    with set_module_args(dict(auth_source="credential_file")):
        failure = fail_module(vault_info.main)
    assert failure["error"]["code"] == "InvalidCredentialFile" and failure["error"]["kind"] == "azure"
    assert "line 3" in failure["msg"] and str(credentials) in failure["msg"]
    assert SECRET not in json.dumps(failure) and "exception" not in failure
