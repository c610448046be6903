import pytest

from ansible_collections.dr.asr.plugins.module_utils._errors import AzureError, InputError
from ansible_collections.dr.asr.plugins.module_utils._azure.cloud import parse_metadata, resolve_cloud


def test_public_clouds_by_name_case_insensitive():
    cloud = resolve_cloud("azureusgovernment")
    assert cloud.resource_manager == "https://management.usgovcloudapi.net"
    assert cloud.authority == "https://login.microsoftonline.us"
    assert cloud.scope == "https://management.core.usgovcloudapi.net/.default"
    assert not cloud.custom


def test_unknown_name_is_an_input_error_naming_the_parameter():
    with pytest.raises(InputError) as info:
        resolve_cloud("AzureGermanyCloud")
    assert info.value.parameter == "cloud_environment"
    assert "AzureGermanyCloud" in info.value.message and "AzureChinaCloud" in info.value.message


def test_metadata_list_form():
    doc = [{"name": "AzureStack", "resourceManager": "https://management.local.azurestack.external/",
            "authentication": {"loginEndpoint": "https://login.stack.example/", "audiences": ["https://management.stack.example/app"]}}]
    cloud = parse_metadata("https://management.local.azurestack.external/metadata/endpoints?api-version=2022-09-01", doc)
    assert cloud.custom and cloud.name == "AzureStack"
    assert cloud.resource_manager == "https://management.local.azurestack.external"
    assert cloud.authority == "https://login.stack.example"
    assert cloud.scope == "https://management.stack.example/app/.default"


def test_metadata_legacy_object_form():
    doc = {"galleryEndpoint": "x", "authentication": {"loginEndpoint": "https://adfs.example/adfs",
                                                      "audiences": ["https://management.adfs.example/"]}}
    cloud = parse_metadata("https://arm.example/metadata/endpoints?api-version=2015-01-01", doc)
    assert cloud.resource_manager == "https://arm.example"
    assert cloud.scope == "https://management.adfs.example/.default"


def test_metadata_garbage_is_reported():
    with pytest.raises(AzureError) as info:
        parse_metadata("https://arm.example/metadata/endpoints", {"hello": 1})
    assert info.value.code == "InvalidCloudMetadata"


class FakeSession(object):
    def __init__(self, status, text):
        self.status, self.text, self.calls = status, text, []

    def get(self, url, verify, timeout):
        self.calls.append((url, verify))
        return type("R", (), {"status_code": self.status, "text": self.text})()


def test_url_without_metadata_path_gets_it_and_ca_is_used():
    session = FakeSession(200, '[{"name":"Lab","resourceManager":"https://127.0.0.1:1/","authentication":'
                               '{"loginEndpoint":"https://127.0.0.1:1/","audiences":["https://management.core.windows.net/"]}}]')
    cloud = resolve_cloud("https://127.0.0.1:1", verify="/ca.pem", session=session)
    assert session.calls == [("https://127.0.0.1:1/metadata/endpoints?api-version=2022-09-01", "/ca.pem")]
    assert cloud.name == "Lab"


def test_metadata_http_error():
    with pytest.raises(AzureError) as info:
        resolve_cloud("https://arm.example/metadata/endpoints?api-version=2022-09-01", session=FakeSession(503, ""))
    assert info.value.status == 503


class FlakySession(object):
    """Connection errors first (ARM restarting), then the metadata."""

    def __init__(self, errors):
        self.errors, self.calls = list(errors), 0

    def get(self, url, verify, timeout):
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return type("R", (), {"status_code": 200, "text": '[{"name":"Lab","resourceManager":"https://127.0.0.1:1/",'
                              '"authentication":{"loginEndpoint":"https://127.0.0.1:1/","audiences":["https://m/"]}}]'})()


def test_metadata_read_again_after_a_refused_connection():
    from requests.exceptions import ConnectionError as RequestsConnectionError
    slept = []
    session = FlakySession([RequestsConnectionError("[Errno 111] Connection refused")] * 2)
    cloud = resolve_cloud("https://127.0.0.1:1", session=session, sleep=slept.append)
    assert cloud.name == "Lab" and session.calls == 3
    assert slept == [0.5, 1.0]


def test_metadata_connection_refused_for_good_fails_after_the_resends():
    from requests.exceptions import ConnectionError as RequestsConnectionError
    slept = []
    session = FlakySession([RequestsConnectionError("[Errno 111] Connection refused")] * 10)
    with pytest.raises(AzureError) as info:
        resolve_cloud("https://127.0.0.1:1", session=session, sleep=slept.append)
    assert info.value.code == "CloudMetadataUnavailable" and "Connection refused" in info.value.message
    assert session.calls == 6 and len(slept) == 5


def test_metadata_tls_failure_and_timeout_are_not_sent_again():
    from requests.exceptions import ReadTimeout, SSLError
    for error, hint in ((SSLError("CERTIFICATE_VERIFY_FAILED"), "ca_bundle"), (ReadTimeout("read timed out"), None)):
        session = FlakySession([error])
        with pytest.raises(AzureError) as info:
            resolve_cloud("https://127.0.0.1:1", session=session, sleep=pytest.fail)
        assert session.calls == 1 and info.value.code == "CloudMetadataUnavailable"
        assert (hint in info.value.recommended_action) if hint else info.value.recommended_action is None
