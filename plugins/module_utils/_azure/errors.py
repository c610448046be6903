# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Azure SDK boundary: azure-core / azure-identity exceptions become `AzureError`.

ASR nests its own fields in `error.details` (code, message, possibleCauses, recommendedAction);
they are lifted to the top so an operator sees them first.
"""

from __future__ import annotations

import contextlib
import json

from ansible_collections.dr.asr.plugins.module_utils._errors import AzureError

try:
    from azure.core import exceptions as core_exc
except ImportError:  # reported by DrAsrModule through missing_required_lib
    core_exc = None

_TLS_HINT = ("If a TLS-inspecting proxy or a private CA signs the endpoint's certificate, point "
             "ca_bundle at that CA's PEM file.")


def _error_body(exc):
    response = getattr(exc, "response", None)
    if response is None:
        return None
    try:
        return json.loads(response.text())
    except Exception:  # pylint: disable=broad-except
        return None


def _asr_detail(details):
    """The ASR entry of error.details: the one carrying possibleCauses/recommendedAction."""
    for detail in details or []:
        if isinstance(detail, dict) and (detail.get("possibleCauses") or detail.get("recommendedAction")):
            return detail
    return None


def from_http_error(exc, action=None):
    status = getattr(exc, "status_code", None)
    body = _error_body(exc) or {}
    error = body.get("error") if isinstance(body.get("error"), dict) else body
    code = error.get("code") if isinstance(error, dict) else None
    message = error.get("message") if isinstance(error, dict) else None
    details = error.get("details") if isinstance(error, dict) else None
    model = getattr(exc, "error", None)
    if not code and model is not None:
        code = getattr(model, "code", None)
        message = message or getattr(model, "message", None)
    message = message or getattr(exc, "message", None) or str(exc)
    causes = recommended = None
    asr = _asr_detail(details)
    if asr:
        code = asr.get("code") or code
        message = asr.get("message") or message
        causes = asr.get("possibleCauses")
        recommended = asr.get("recommendedAction")
    prefix = "%s failed: " % action if action else ""
    extra = {}
    if details:
        extra["error_details"] = details
    if status is not None and status == 401 and not recommended:
        recommended = "Check the Azure credentials (client_id, secret, tenant) and that they are not expired."
    if status is not None and status == 403 and not recommended:
        recommended = "Grant the identity a role on the scope (Contributor, or Site Recovery Contributor)."
    return AzureError(prefix + message, code=code, possible_causes=causes,
                      recommended_action=recommended, details=extra, status=status)


def translate(exc, action=None):
    """Any exception from the Azure SDKs or azure-identity -> AzureError."""
    if isinstance(exc, AzureError):
        return exc
    name = type(exc).__name__
    prefix = "%s failed: " % action if action else ""
    if core_exc is not None and isinstance(exc, core_exc.ClientAuthenticationError) and getattr(exc, "response", None) is None:
        return AzureError(prefix + "authentication failed: %s" % (exc.message or exc),
                          code="AuthenticationFailed",
                          recommended_action="Check auth_source and the credentials it selects.")
    if core_exc is not None and isinstance(exc, core_exc.HttpResponseError):
        return from_http_error(exc, action)
    if core_exc is not None and isinstance(exc, core_exc.ServiceRequestError):
        text = str(exc)
        hint = _TLS_HINT if "CERTIFICATE_VERIFY_FAILED" in text or "SSL" in text else \
            "Check the network path to the endpoint (proxy, DNS, firewall)."
        return AzureError(prefix + "could not reach Azure: %s" % text, code="ServiceRequestError",
                          recommended_action=hint)
    if name == "CredentialUnavailableError":
        return AzureError(prefix + "no Azure credential available: %s" % exc, code="CredentialUnavailable",
                          recommended_action="Set client_id/secret/tenant (or AZURE_* variables), "
                                             "a credential file profile, log in with az, or use auth_source=msi on Azure.")
    return AzureError(prefix + "%s: %s" % (name, exc), code=name)


@contextlib.contextmanager
def azure_errors(action=None):
    """Translate whatever the SDK raises inside the block into AzureError."""
    try:
        yield
    except AzureError:
        raise
    except Exception as exc:  # pylint: disable=broad-except
        if core_exc is not None and isinstance(exc, core_exc.AzureError) or type(exc).__module__.startswith("azure"):
            raise translate(exc, action) from exc
        raise


def is_not_found(exc):
    return core_exc is not None and isinstance(exc, core_exc.ResourceNotFoundError)
