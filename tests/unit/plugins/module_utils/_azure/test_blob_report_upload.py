"""_azure.blob: container URLs (host- and path-style), SAS and prefix checks, Azure Storage's errors as AzureError."""
import pytest
from azure.core.utils import CaseInsensitiveDict

from ansible_collections.dr.asr.plugins.module_utils._azure import blob
from ansible_collections.dr.asr.plugins.module_utils._errors import InputError


@pytest.mark.parametrize("url,expected", [
    ("https://acct.blob.core.windows.net/reports", "https://acct.blob.core.windows.net/reports"),
    ("HTTPS://acct.blob.core.windows.net/reports/", "https://acct.blob.core.windows.net/reports"),
    ("https://acct.blob.core.chinacloudapi.cn/re-ports", "https://acct.blob.core.chinacloudapi.cn/re-ports"),
    ("https://127.0.0.1:10000/devstoreaccount1/reports", "https://127.0.0.1:10000/devstoreaccount1/reports"),
    ("https://localhost:18443/stdrlab/$root", "https://localhost:18443/stdrlab/$root"),
    ("https://[::1]:18443/stdrlab/reports", "https://[::1]:18443/stdrlab/reports"),
])
def test_container_urls(url, expected):
    assert blob.container_url(url) == expected


@pytest.mark.parametrize("url", ["", "reports", "ftp://a/b", "https://acct.blob.core.windows.net",
                                 "https://acct.blob.core.windows.net/a/b", "https://127.0.0.1/acct",
                                 "https://acct.blob.core.windows.net/re--ports", "https://acct.blob.core.windows.net/ab",
                                 "https://acct.blob.core.windows.net/reports#x"])
def test_not_container_urls(url):
    with pytest.raises(InputError) as info:
        blob.container_url(url)
    assert info.value.parameter == "blob_url"


def test_a_sas_in_the_url_is_not_repeated():
    with pytest.raises(InputError) as info:
        blob.container_url("https://acct.blob.core.windows.net/reports?sv=2025-01-05&sig=secret")
    assert "secret" not in info.value.message and "?(hidden)" in info.value.message and "sas_token" in info.value.message


def test_sas_and_prefix():
    assert blob.check_sas("?sv=2025-01-05&sp=cw&sig=abc") == "sv=2025-01-05&sp=cw&sig=abc"
    for bad in ("sv=2025-01-05", "sig=abc", "token"):
        with pytest.raises(InputError) as info:
            blob.check_sas(bad)
        assert info.value.parameter == "sas_token" and info.value.details["value"] == "(hidden)"
    assert blob.check_prefix("drills/2026/") == "drills/2026/" and blob.check_prefix(None) == ""
    for bad in ("/abs/", "a/../b", "./x", "a\\b"):
        with pytest.raises(InputError):
            blob.check_prefix(bad)


def test_blob_names_are_quoted_but_keep_their_slashes():
    container = blob.BlobContainer.__new__(blob.BlobContainer)
    container.url = "https://acct.blob.core.windows.net/reports"
    assert container.url_of("q4/drill 1#.json") == "https://acct.blob.core.windows.net/reports/q4/drill%201%23.json"


class Answer(object):
    def __init__(self, status, headers, body=""):
        self.status_code = status
        self.headers = CaseInsensitiveDict(headers)
        self.reason = "reason"
        self._body = body

    def text(self):
        return self._body


def test_storage_errors():
    body = ('<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthenticationFailed</Code><Message>Server failed to '
            'authenticate the request. Make sure the value of Authorization header is formed correctly including the '
            'signature.\nRequestId:abc\nTime:2026-12-07T08:00:00.0000000Z</Message><AuthenticationErrorDetail>Signed '
            'expiry time [Wed, 01 Jan 2025 00:00:00 GMT] has to be after signed start time</AuthenticationErrorDetail>'
            '</Error>')
    err = blob.storage_error(Answer(403, {"x-ms-request-id": "abc", "x-ms-error-code": "AuthenticationFailed"}, body),
                             "Uploading x", "https://a/b", with_sas=True)
    assert err.code == "AuthenticationFailed" and err.status == 403
    assert err.message.startswith("Uploading x failed: Server failed to authenticate the request.")
    assert "RequestId" not in err.message and "Signed expiry time" in err.message
    assert "sas_token" in err.recommended_action and err.details == {"url": "https://a/b", "request_id": "abc"}
    head = blob.storage_error(Answer(404, {"x-ms-error-code": "ContainerNotFound"}), "Reading x", "https://a/b", False)
    assert head.code == "ContainerNotFound" and "Create the container" in head.recommended_action
    odd = blob.storage_error(Answer(502, {}, "<html>bad gateway</html"), "Reading x", "https://a/b", False)
    assert odd.code == "HTTP502" and "502" in odd.message
