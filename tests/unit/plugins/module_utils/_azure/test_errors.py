"""The Azure boundary turns real azure-core exceptions into AzureError, ASR details first."""
import json

import pytest
import requests
from azure.core.exceptions import (ClientAuthenticationError, HttpResponseError, ResourceNotFoundError,
                                   ServiceRequestError)
from azure.core.pipeline.transport import HttpRequest, RequestsTransportResponse
from azure.mgmt.core.exceptions import ARMErrorFormat

from ansible_collections.dr.asr.plugins.module_utils._errors import AzureError
from ansible_collections.dr.asr.plugins.module_utils._azure.errors import azure_errors, is_not_found, translate


def response(status, body):
    raw = requests.Response()
    raw.status_code = status
    raw.reason = "reason"
    raw._content = json.dumps(body).encode()
    raw.headers["Content-Type"] = "application/json"
    return RequestsTransportResponse(HttpRequest("POST", "https://management.azure.com/x"), raw)


ASR_BODY = {"error": {"code": "BadRequest", "message": "The operation has failed.", "details": [{
    "code": "28031", "message": "The protected item is not in a state that allows test failover.",
    "possibleCauses": "A test failover is already in progress for the item.",
    "recommendedAction": "Clean up the previous test failover, then retry.",
    "activityId": "a1"}]}}


def test_asr_details_are_lifted():
    exc = HttpResponseError(response=response(400, ASR_BODY), error_format=ARMErrorFormat)
    err = translate(exc, action="Test failover of vm1")
    assert isinstance(err, AzureError)
    assert err.code == "28031"
    assert err.status == 400
    assert err.message.startswith("Test failover of vm1 failed: The protected item is not in a state")
    assert err.possible_causes == "A test failover is already in progress for the item."
    assert err.recommended_action == "Clean up the previous test failover, then retry."
    summary = err.summary()
    assert "code 28031" in summary and "Possible causes" in summary and "Recommended action" in summary
    assert err.to_dict()["details"]["error_details"][0]["activityId"] == "a1"


def test_plain_arm_error():
    body = {"error": {"code": "InvalidParameter", "message": "Vault name is invalid.", "target": "name"}}
    err = translate(HttpResponseError(response=response(400, body), error_format=ARMErrorFormat))
    assert (err.code, err.message, err.possible_causes) == ("InvalidParameter", "Vault name is invalid.", None)


def test_forbidden_gets_a_recommended_action():
    body = {"error": {"code": "AuthorizationFailed", "message": "no access"}}
    err = translate(HttpResponseError(response=response(403, body), error_format=ARMErrorFormat))
    assert err.code == "AuthorizationFailed" and "role" in err.recommended_action


def test_tls_failure_hints_at_ca_bundle():
    err = translate(ServiceRequestError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"))
    assert err.code == "ServiceRequestError" and "ca_bundle" in err.recommended_action


def test_authentication_error_without_response():
    err = translate(ClientAuthenticationError("AADSTS7000215: Invalid client secret provided."))
    assert err.code == "AuthenticationFailed" and "AADSTS7000215" in err.message


def test_context_manager_translates_and_keeps_other_errors():
    with pytest.raises(AzureError) as info:
        with azure_errors("Reading vault v"):
            raise HttpResponseError(response=response(409, {"error": {"code": "Conflict", "message": "busy"}}),
                                    error_format=ARMErrorFormat)
    assert info.value.message == "Reading vault v failed: busy"
    with pytest.raises(KeyError):
        with azure_errors("x"):
            raise KeyError("not an SDK error")


def test_not_found_is_recognised():
    exc = ResourceNotFoundError(response=response(404, {"error": {"code": "ResourceNotFound", "message": "gone"}}))
    assert is_not_found(exc)
    assert not is_not_found(ValueError())
