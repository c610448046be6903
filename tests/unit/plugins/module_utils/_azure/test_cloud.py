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
