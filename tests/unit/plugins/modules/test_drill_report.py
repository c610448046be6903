"""drill_report: refused inputs (name, mode, wrong-shaped facts) before anything is written; the upload to a blob
container (idempotent by Content-MD5, check mode, diff, bearer token or SAS, Azure's errors) through a fake Blob
service at the network edge (blob.make_transport)."""
import base64
import hashlib
import json
import os
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest
from azure.core.credentials import AccessToken
from azure.core.pipeline.transport import HttpTransport
from azure.core.utils import CaseInsensitiveDict

from ansible_collections.dr.asr.plugins.module_utils._azure import blob
from ansible_collections.dr.asr.plugins.module_utils._azure.client import AzureClients
from ansible_collections.dr.asr.plugins.modules import drill_report
from ansible_collections.dr.asr.tests.unit.plugins.module_utils.drill_facts import facts
from ansible_collections.dr.asr.tests.unit.plugins.modules.utils import (
    fail_module, patch_exit_json, run_module, set_module_args)

CONTAINER = "https://stdrreports.blob.core.windows.net/drill-reports"
SAS = "sv=2025-01-05&ss=b&srt=co&sp=rcw&se=2030-01-01T00:00:00Z&spr=https&sig=c2lnbmF0dXJl"


def md5(data):
    return base64.b64encode(hashlib.md5(data).digest()).decode()


class FakeResponse(object):
    def __init__(self, request, status, headers=None, body=b""):
        self.request = request
        self.status_code = status
        self.headers = CaseInsensitiveDict(headers or {})
        self.reason = "fake"
        self.content_type = self.headers.get("Content-Type")
        self._body = body

    def body(self):
        return self._body

    def text(self, encoding=None):
        return self._body.decode()

    def read(self):
        return self._body


def error_xml(code, message, detail=None):
    extra = "<AuthenticationErrorDetail>%s</AuthenticationErrorDetail>" % detail if detail else ""
    return ('<?xml version="1.0" encoding="utf-8"?><Error><Code>%s</Code><Message>%s\nRequestId:r-1\n'
            'Time:2026-12-07T08:00:00.0000000Z</Message>%s</Error>' % (code, message, extra)).encode()


class FakeBlobService(HttpTransport):
    """Azure's Blob service as far as Put Blob and Get Blob Properties go, in memory; `fail` scripts errors by method."""

    def __init__(self, containers=("/drill-reports",)):
        self.containers = set(containers)
        self.blobs = {}            # path -> (bytes, content type)
        self.sent = []             # (method, path, headers, query)
        self.fail = {}             # method -> (status, code, message, detail)
        self.verify = None

    def send(self, request, **kwargs):
        url = urlsplit(request.url)
        path = unquote(url.path)
        self.sent.append((request.method, path, dict(request.headers), dict(parse_qsl(url.query))))
        if request.method in self.fail:
            status, code, message, detail = self.fail[request.method]
            body = b"" if request.method == "HEAD" else error_xml(code, message, detail)
            return FakeResponse(request, status, {"x-ms-error-code": code, "x-ms-request-id": "r-1"}, body)
        container = "/" + path.split("/")[1]
        if container not in self.containers:
            body = b"" if request.method == "HEAD" else error_xml("ContainerNotFound", "The specified container does "
                                                                  "not exist.")
            return FakeResponse(request, 404, {"x-ms-error-code": "ContainerNotFound"}, body)
        if request.method == "HEAD":
            if path not in self.blobs:
                return FakeResponse(request, 404, {"x-ms-error-code": "BlobNotFound"})
            data, content_type = self.blobs[path]
            return FakeResponse(request, 200, {"Content-MD5": md5(data), "Content-Length": str(len(data)),
                                               "Content-Type": content_type, "ETag": '"0x1"'})
        assert request.method == "PUT"
        data = request.content
        assert request.headers["x-ms-blob-type"] == "BlockBlob"
        assert request.headers["Content-MD5"] == md5(data)
        self.blobs[path] = (data, request.headers["x-ms-blob-content-type"])
        return FakeResponse(request, 201, {"ETag": '"0x2"', "Content-MD5": md5(data)})

    def methods(self):
        return [m for m, _p, _h, _q in self.sent]

    def open(self):
        pass

    def close(self):
        pass

    def __exit__(self, *args):
        pass


class FakeCredential(object):
    def __init__(self):
        self.scopes = []

    def get_token(self, *scopes, **kwargs):
        self.scopes.extend(scopes)
        return AccessToken("storage-token", 4102444800)


@pytest.fixture
def service(monkeypatch):
    patch_exit_json(monkeypatch)
    fake = FakeBlobService()

    def make_transport(verify):
        fake.verify = verify
        return fake
    monkeypatch.setattr(blob, "make_transport", make_transport)
    return fake


@pytest.fixture
def credential(monkeypatch):
    cred = FakeCredential()
    monkeypatch.setattr(AzureClients, "credential", property(lambda self: cred))
    return cred


def args(tmp_path, **kw):
    out = {"path": str(tmp_path / "reports"), "name": "drill-1", "facts": facts()}
    out.update(kw)
    return out


# -- refused before anything is written ------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["../../x", "a/b", "..", "x..y", "a\\b", "/etc/passwd", ""])
def test_a_name_with_a_path_is_refused(monkeypatch, tmp_path, name):
    patch_exit_json(monkeypatch)
    with set_module_args(args(tmp_path, name=name)):
        failed = fail_module(drill_report.main)
    assert "'name'" in failed["msg"] and repr(name) in failed["msg"] and "without a path separator" in failed["msg"]
    assert failed["error"]["details"]["parameter"] == "name"
    assert not os.path.exists(tmp_path / "reports") and os.listdir(tmp_path) == []


@pytest.mark.parametrize("mode,why", [(-1, "0000 to 0777"), ("4777", "setuid"), ("2750", "setgid"), ("1777", "sticky"),
                                      ("0o7777", "setuid and setgid and sticky"), ("rw-r--r--", "octal"),
                                      ("0888", "octal"), (600, "write '0600' (quoted)"), (0o10000, "0000 to 0777"),
                                      (True, "octal"), ("", "octal")])
def test_a_bad_mode_is_refused(monkeypatch, tmp_path, mode, why):
    patch_exit_json(monkeypatch)
    with set_module_args(args(tmp_path, mode=mode)):
        failed = fail_module(drill_report.main)
    assert "'mode'" in failed["msg"] and why in failed["msg"], failed["msg"]
    assert not os.path.exists(tmp_path / "reports")


@pytest.mark.parametrize("mode", ["0640", "640", "0o640", 0o640])
def test_modes(monkeypatch, tmp_path, mode):
    patch_exit_json(monkeypatch)
    with set_module_args(args(tmp_path, mode=mode)):
        result = run_module(drill_report.main)
    assert all(os.stat(p).st_mode & 0o7777 == 0o640 for p in result["files"].values())


def test_reports_are_private_by_default(monkeypatch, tmp_path):
    patch_exit_json(monkeypatch)
    with set_module_args(args(tmp_path)):
        result = run_module(drill_report.main)
    assert [oct(os.stat(p).st_mode & 0o7777) for p in result["files"].values()] == ["0o600"] * 3
    assert result["blobs"] == {} and "uploads" not in result


@pytest.mark.parametrize("change,field,expected", [
    (lambda f: f.update(vms={"web-01": {}}), "facts.vms", "a list of dictionaries, not a dictionary"),
    (lambda f: f["vms"][0].update(smoke={"name": "x"}), "facts.vms[0].smoke", "a list of dictionaries"),
    (lambda f: f["vms"][0]["smoke"][0].update(rc="zero"), "facts.vms[0].smoke[0].rc", "a whole number"),
    (lambda f: f.update(rto_target_seconds="10 minutes"), "facts.rto_target_seconds", "a whole number"),
    (lambda f: f["plans"][0].update(groups={"group": 1}), "facts.plans[0].groups", "a list of dictionaries"),
    (lambda f: f["plans"][0].update(job=["x"]), "facts.plans[0].job", "a dictionary"),
    (lambda f: f["vms"][0].update(test_vm="web-01-test"), "facts.vms[0].test_vm", "a dictionary"),
    (lambda f: f.update(vault="rsv"), "facts.vault", "a dictionary"),
    (lambda f: f.update(check_mode="perhaps"), "facts.check_mode", "true or false"),
])
def test_wrong_shaped_facts_are_refused_naming_the_field(monkeypatch, tmp_path, change, field, expected):
    patch_exit_json(monkeypatch)
    bad = facts()
    change(bad)
    with set_module_args(args(tmp_path, facts=bad)):
        failed = fail_module(drill_report.main)
    assert "'%s'" % field in failed["msg"] and expected in failed["msg"], failed["msg"]
    assert "Traceback" not in json.dumps(failed) and not os.path.exists(tmp_path / "reports")


def test_numbers_and_booleans_as_text_are_taken(monkeypatch, tmp_path):
    patch_exit_json(monkeypatch)
    text = facts()
    text["rto_target_seconds"] = "3600"
    text["vms"][0]["smoke"][0].update(rc="0", passed="true")
    with set_module_args(args(tmp_path, facts=text)):
        result = run_module(drill_report.main)
    assert result["result"] == "passed" and any(c["name"] == "RTO" for v in result["report"]["vms"] for c in v["checks"])


@pytest.mark.parametrize("options,option,hint", [
    ({"blob_url": "http://stdrreports.blob.core.windows.net/drill-reports"}, "blob_url", "https URL"),
    ({"blob_url": CONTAINER + "?" + SAS}, "blob_url", "Put a SAS in sas_token"),
    ({"blob_url": CONTAINER + "/2026/q4"}, "blob_url", "as blob_prefix"),
    ({"blob_url": "https://stdrreports.blob.core.windows.net/"}, "blob_url", "names no container"),
    ({"blob_url": "https://127.0.0.1:18443/stdrreports"}, "blob_url", "names no container"),
    ({"blob_url": "https://stdrreports.blob.core.windows.net/Reports_1"}, "blob_url", "not a valid container name"),
    ({"blob_url": CONTAINER, "blob_prefix": "../up/"}, "blob_prefix", "no leading"),
    ({"blob_url": CONTAINER, "sas_token": "not-a-sas"}, "sas_token", "sig="),
    ({"sas_token": SAS}, "sas_token", "without blob_url or storage_account"),
])
def test_bad_upload_options_are_refused_before_anything_is_written(service, tmp_path, options, option, hint):
    with set_module_args(args(tmp_path, **options)):
        failed = fail_module(drill_report.main)
    assert "'%s'" % option in failed["msg"] and hint in failed["msg"], failed["msg"]
    assert SAS not in json.dumps(failed) and service.sent == [] and not os.path.exists(tmp_path / "reports")


# -- the upload --------------------------------------------------------------------------------------------------

def test_upload_with_a_sas_is_idempotent_and_check_mode_predicts(service, tmp_path):
    options = args(tmp_path, blob_url=CONTAINER, blob_prefix="rp-shop/", sas_token="?" + SAS)
    with set_module_args(options, check_mode=True):
        predicted = run_module(drill_report.main)
    assert predicted["changed"] and service.methods() == ["HEAD"] * 3 and service.blobs == {}
    assert [u["action"] for u in predicted["uploads"]] == ["created"] * 3
    with set_module_args(options):
        first = run_module(drill_report.main)
    assert first["changed"] and [u["action"] for u in first["uploads"]] == ["created"] * 3
    assert first["blobs"] == {"json": CONTAINER + "/rp-shop/drill-1.json", "junit": CONTAINER + "/rp-shop/drill-1.xml",
                              "html": CONTAINER + "/rp-shop/drill-1.html"}
    with open(first["files"]["json"], "rb") as handle:
        assert service.blobs["/drill-reports/rp-shop/drill-1.json"] == (handle.read(), "application/json")
    assert service.blobs["/drill-reports/rp-shop/drill-1.html"][1] == "text/html; charset=utf-8"
    puts = [s for s in service.sent if s[0] == "PUT"]
    assert len(puts) == 3 and all(q["sig"] == "c2lnbmF0dXJl" and "Authorization" not in h for _m, _p, h, q in puts)
    assert all(h["x-ms-version"] == blob.X_MS_VERSION for _m, _p, h, _q in service.sent)
    assert SAS not in json.dumps(first) and "sig=" not in json.dumps(first)

    service.sent = []
    with set_module_args(options):
        again = run_module(drill_report.main)
    assert not again["changed"] and service.methods() == ["HEAD"] * 3
    assert [u["action"] for u in again["uploads"]] == ["unchanged"] * 3

    service.sent = []
    changed = facts()
    changed["vms"][0]["smoke"][0].update(passed=False, rc=1)
    with set_module_args(dict(options, facts=changed, formats=["json"]), check_mode=True):
        predicted = run_module(drill_report.main)
    assert predicted["changed"] and predicted["uploads"][0]["action"] == "updated" and service.methods() == ["HEAD"]


def test_diff_names_each_file_and_blob_with_its_md5(service, tmp_path):
    options = args(tmp_path, blob_url=CONTAINER, sas_token=SAS, formats=["json"], _ansible_diff=True)
    with set_module_args(options):
        first = run_module(drill_report.main)
    path, url = first["files"]["json"], first["blobs"]["json"]
    with open(path, "rb") as handle:
        digest = hashlib.md5(handle.read()).hexdigest()
    assert first["diff"] == {"before": {path: None, url: None}, "after": {path: digest, url: digest}}
    with set_module_args(options):
        again = run_module(drill_report.main)
    assert again["diff"]["before"] == again["diff"]["after"] == {path: digest, url: digest}


def test_upload_with_a_bearer_token_for_storage(service, credential, tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    options = args(tmp_path, blob_url="https://127.0.0.1:18443/stdrlab/drill-reports", formats=["junit"],
                   ca_bundle=str(ca))
    service.containers = {"/stdrlab"}
    with set_module_args(options):
        result = run_module(drill_report.main)
    assert result["blobs"] == {"junit": "https://127.0.0.1:18443/stdrlab/drill-reports/drill-1.xml"}
    assert credential.scopes and set(credential.scopes) == {"https://storage.azure.com/.default"}
    assert all(h["Authorization"] == "Bearer storage-token" for _m, _p, h, _q in service.sent)
    assert service.verify == str(ca)
    assert list(service.blobs) == ["/stdrlab/drill-reports/drill-1.xml"]


def test_a_missing_container_fails_even_in_check_mode_with_azures_code(service, tmp_path):
    options = args(tmp_path, blob_url=CONTAINER.replace("drill-reports", "nothing-here"), sas_token=SAS)
    with set_module_args(options, check_mode=True):
        failed = fail_module(drill_report.main)
    assert failed["error"]["code"] == "ContainerNotFound" and "Create the container" in failed["msg"]
    assert service.methods() == ["HEAD"]


def test_azures_error_code_and_message_surface_and_the_files_are_reported(service, credential, tmp_path):
    service.fail["PUT"] = (403, "AuthorizationPermissionMismatch",
                           "This request is not authorized to perform this operation using this permission.", None)
    with set_module_args(args(tmp_path, blob_url=CONTAINER)):
        failed = fail_module(drill_report.main)
    assert failed["error"]["code"] == "AuthorizationPermissionMismatch" and failed["error"]["status"] == 403
    assert "not authorized to perform this operation using this permission" in failed["msg"]
    assert "Storage Blob Data Contributor" in failed["msg"]
    assert failed["error"]["details"]["request_id"] == "r-1"
    assert set(failed["files"]) == {"json", "junit", "html"} and all(os.path.exists(p) for p in failed["files"].values())


def test_authentication_detail_is_part_of_the_message(service, credential, tmp_path):
    service.fail["HEAD"] = (401, "InvalidAuthenticationInfo", "", None)
    with set_module_args(args(tmp_path, blob_url=CONTAINER)):
        failed = fail_module(drill_report.main)
    assert failed["error"]["code"] == "InvalidAuthenticationInfo" and "tenant of the storage account" in failed["msg"]
    service.fail = {"PUT": (401, "InvalidAuthenticationInfo", "Server failed to authenticate the request.",
                            "Audience validation failed. Audience did not match.")}
    with set_module_args(args(tmp_path, blob_url=CONTAINER)):
        failed = fail_module(drill_report.main)
    assert "Server failed to authenticate the request. Audience validation failed." in failed["msg"]


def test_a_sas_that_cannot_read_uploads_with_a_warning(service, tmp_path, monkeypatch):
    warnings = []
    from ansible_collections.dr.asr.plugins.module_utils._module import DrAsrModule
    monkeypatch.setattr(DrAsrModule, "warn", lambda self, msg: warnings.append(msg))
    service.fail["HEAD"] = (403, "AuthorizationPermissionMismatch", "", None)
    with set_module_args(args(tmp_path, blob_url=CONTAINER, sas_token=SAS.replace("sp=rcw", "sp=cw"),
                              formats=["json"])):
        result = run_module(drill_report.main)
    assert result["changed"] and service.methods() == ["HEAD", "PUT"] and "no read permission" in warnings[0]


def test_the_container_of_a_storage_account_comes_from_its_blob_endpoint(service, credential, tmp_path, monkeypatch):
    accounts = [{"name": "other", "properties": {"primaryEndpoints": {"blob": "https://other.blob.core.windows.net/"}}},
                {"name": "stdrreports", "kind": "StorageV2",
                 "properties": {"primaryEndpoints": {"blob": "https://stdrreports.blob.core.windows.net/"}}}]
    sent = []

    class Arm(object):
        def send_request(self, request):
            sent.append(request.url)

            class Answer(object):
                status_code = 200

                @staticmethod
                def json():
                    return {"value": accounts}
            return Answer()
    monkeypatch.setattr(AzureClients, "client", lambda self, kind: Arm())
    monkeypatch.setattr(AzureClients, "subscription_id", property(lambda self: "sub-1"))
    with set_module_args(args(tmp_path, storage_account="STDRREPORTS", container="drill-reports", formats=["json"])):
        result = run_module(drill_report.main)
    assert result["blobs"] == {"json": CONTAINER + "/drill-1.json"}
    assert sent[0].startswith("/subscriptions/sub-1/providers/Microsoft.Storage/storageAccounts")
    with set_module_args(args(tmp_path, storage_account="nope", container="drill-reports")):
        failed = fail_module(drill_report.main)
    assert "'storage_account'" in failed["msg"] and "found: other, stdrreports" in failed["msg"]


def test_storage_account_needs_a_container(monkeypatch, tmp_path):
    patch_exit_json(monkeypatch)
    with set_module_args(args(tmp_path, storage_account="stdrreports")):
        failed = fail_module(drill_report.main)
    assert "container" in failed["msg"] and not os.path.exists(tmp_path / "reports")
    with set_module_args(args(tmp_path, blob_url=CONTAINER, storage_account="stdrreports", container="x")):
        failed = fail_module(drill_report.main)
    assert "mutually exclusive" in failed["msg"]


def test_the_options_are_documented_one_to_one():
    # the report writer's options are documented by the fragment dr.asr.report_files (test_doc_fragments.py)
    import yaml
    from ansible_collections.dr.asr.plugins.module_utils._report_files import REPORT_ARGUMENT_SPEC
    doc = yaml.safe_load(drill_report.DOCUMENTATION)
    own = dict((k, v) for k, v in drill_report.ARGUMENT_SPEC.items() if k not in REPORT_ARGUMENT_SPEC)
    assert sorted(doc["options"]) == sorted(own) == ["facts", "name"]
    for name, spec in own.items():
        assert doc["options"][name]["type"] == spec["type"], name
        assert doc["options"][name].get("default") == spec.get("default"), name
        assert doc["options"][name].get("choices") == spec.get("choices"), name
    assert doc["extends_documentation_fragment"] == ["dr.asr.report_files", "dr.asr.azure"]
    assert drill_report.ARGUMENT_SPEC["sas_token"]["no_log"] is True
