# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Azure Blob Storage at the boundary: block blobs written whole and their properties read, over azure-core's
pipeline (no azure-storage-blob: two REST calls do not need it).

    container = BlobContainer(container_url("https://acct.blob.core.windows.net/reports"),
                              credential=clients.credential, verify=clients.verify)
    container.properties("drill.json")          # {content_md5, size, content_type, etag, ...} or None
    container.upload("drill.json", data, "application/json")

REST (learn.microsoft.com, Azure Storage REST API): Put Blob (`PUT {container}/{blob}`, `x-ms-blob-type:
BlockBlob`, `Content-MD5` checked by the service and stored as the blob's MD5), Get Blob Properties (`HEAD`,
`Content-MD5` / `Content-Length` / `Content-Type` of the blob; a 404 says why in `x-ms-error-code`), every request
with `x-ms-version` (`X_MS_VERSION`; Microsoft Entra ID tokens need 2017-11-09 or later). Authorization: a bearer
token of the run's Azure credential for `https://storage.azure.com/.default` ("Authorize with Microsoft Entra
ID"), or a shared access signature appended to the URL (then no token). Errors come as XML
(`<Error><Code/><Message/>[<AuthenticationErrorDetail/>]</Error>`) and become AzureError with Azure's code and
message and what to do about it.

TLS: the transport verifies with the same CA bundle as every Azure call (`AzureClients.verify`, _tls). Retries:
the management clients' settings (policies.RETRY) and a request that never left is sent again
(policies.ResendUnsentPolicy). `make_transport` is the network edge (unit tests replace it).
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import re
from urllib.parse import quote, urlsplit, urlunsplit
from xml.etree import ElementTree

from ansible_collections.dr.asr.plugins.module_utils._errors import AzureError, InputError
from ansible_collections.dr.asr.plugins.module_utils._azure.errors import azure_errors
from ansible_collections.dr.asr.plugins.module_utils._azure.policies import RETRY, ResendUnsentPolicy

try:
    from azure.core import PipelineClient
    from azure.core.pipeline.policies import (BearerTokenCredentialPolicy, HeadersPolicy, ProxyPolicy, RequestIdPolicy,
                                              RetryPolicy, UserAgentPolicy)
    from azure.core.pipeline.transport import RequestsTransport
    from azure.core.rest import HttpRequest
except ImportError:  # reported by the module through missing_required_lib
    PipelineClient = None

#: the Blob service version every request names (bearer tokens need 2017-11-09 or later)
X_MS_VERSION = "2025-01-05"
STORAGE_SCOPE = "https://storage.azure.com/.default"
USER_AGENT = "dr.asr-ansible"
STORAGE_API_VERSION = "2023-05-01"      # Microsoft.Storage, to read an account's endpoints

CONTAINER_RE = re.compile(r"^(\$root|\$web|\$logs|[a-z0-9](?:[a-z0-9]|-(?!-))*[a-z0-9])$")

#: what to do about Azure Storage's error codes: (with a bearer token, with a SAS)
ADVICE = {
    "ContainerNotFound": ("Create the container in the storage account first (its name is the last part of the "
                          "container URL), or correct blob_url / container.",) * 2,
    "AuthorizationPermissionMismatch": (
        "Give the identity a data role on the storage account or the container - Storage Blob Data Contributor "
        "(Owner or Contributor alone give no access to the data).",
        "Use a SAS with the create (c) and write (w) permissions, and read (r) so the blobs already there can be "
        "compared."),
    "AuthorizationFailure": ("The storage account's firewall refuses this address: allow it in the account's "
                             "networking settings, or reach the account through a private endpoint.",) * 2,
    "InvalidAuthenticationInfo": ("Check the Azure credentials: the token must come from the tenant of the storage "
                                  "account's subscription.",) * 2,
    "NoAuthenticationInformation": ("Give credentials: the Azure options, or sas_token.",) * 2,
    "PublicAccessNotPermitted": ("Give credentials: the Azure options, or sas_token.",) * 2,
    "AuthenticationFailed": ("Check the Azure credentials.",
                             "Check sas_token: not expired, signed for this storage account (and container), "
                             "and copied whole."),
    "KeyBasedAuthenticationNotPermitted": ("",
                                           "The storage account does not allow keys, nor SAS signed with them: leave "
                                           "sas_token unset and use the Azure credentials (Microsoft Entra ID)."),
    "AuthorizationProtocolMismatch": ("", "The SAS does not allow HTTPS: sign it for https."),
    "AuthorizationResourceTypeMismatch": ("", "Use a container SAS (sr=c) or an account SAS that allows objects "
                                              "(srt including o)."),
    "AuthorizationServiceMismatch": ("", "Use a SAS for the Blob service (an account SAS with ss including b)."),
    "AuthorizationSourceIPMismatch": ("", "The SAS is limited to other source addresses (sip)."),
}


def make_transport(verify):
    """The HTTP transport: requests, verifying TLS with `verify` (False, True or a CA bundle path)."""
    return RequestsTransport(connection_verify=verify)


def content_md5(data):
    """The blob's Content-MD5 as Azure stores it: base64 of the MD5 digest."""
    return base64.b64encode(hashlib.md5(data).digest()).decode("ascii")  # nosec: Azure's integrity checksum


def _path_style(host):
    """True when the host is an address or localhost: the account is then the URL path's first segment
    (the storage emulator, Azurite, the dr.asr lab), else the host's first label (acct.blob.core.windows.net)."""
    if host.lower() == "localhost":
        return True
    try:
        ipaddress.ip_address(host.strip("[]"))
        return True
    except ValueError:
        return False


def container_url(url, option="blob_url"):
    """The container URL of `url`, checked: https, no query string (a SAS goes in sas_token), the container's path
    and nothing deeper (a name prefix goes in blob_prefix). Raises InputError naming `option`."""
    expected = ("the https URL of a blob container, e.g. https://myaccount.blob.core.windows.net/reports (or "
                "https://127.0.0.1:PORT/myaccount/reports for an emulator)")
    text = (url or "").strip()
    parts = urlsplit(text)
    shown = urlunsplit(parts._replace(query="(hidden)" if parts.query else "", fragment=""))   # never a SAS in messages
    if parts.scheme.lower() != "https" or not parts.hostname:
        raise InputError(option, shown, expected)
    if parts.query or parts.fragment:
        raise InputError(option, shown, expected, hint="Put a SAS in sas_token (it is kept out of logs), not in the URL.")
    segments = [s for s in parts.path.split("/") if s]
    wanted = 2 if _path_style(parts.hostname) else 1
    if len(segments) != wanted:
        hint = ("The URL names a path inside the container: give the container's URL and the rest as blob_prefix."
                if len(segments) > wanted else "The URL names no container.")
        raise InputError(option, shown, expected, hint=hint)
    if not CONTAINER_RE.match(segments[-1]) or not 3 <= len(segments[-1]) <= 63:
        raise InputError(option, shown, expected, hint="'%s' is not a valid container name (3 to 63 lower-case letters, "
                         "digits and single hyphens)." % segments[-1])
    return urlunsplit((parts.scheme.lower(), parts.netloc, "/" + "/".join(segments), "", ""))


def check_prefix(prefix):
    """blob_prefix: '' or a relative name prefix ('drills/2026/'); InputError otherwise."""
    prefix = prefix or ""
    if prefix.startswith("/") or "\\" in prefix or any(seg in (".", "..") for seg in prefix.split("/")) or \
            len(prefix) > 900:
        raise InputError("blob_prefix", prefix, "a relative blob name prefix such as 'drills/' (no leading '/', no "
                         "'.' or '..' segments, no backslash, at most 900 characters)")
    return prefix


def check_sas(token):
    """sas_token without its leading '?'; InputError when it is not a SAS."""
    token = (token or "").strip().lstrip("?")
    fields = dict(p.split("=", 1) for p in token.split("&") if "=" in p)
    if not fields.get("sig") or not fields.get("sv"):
        raise InputError("sas_token", "(hidden)", "a shared access signature query string with sv= and sig= (as the "
                         "portal or az storage container generate-sas give it)")
    return token


def check_container(container):
    """container: a blob container's name; InputError otherwise."""
    if not CONTAINER_RE.match(container or "") or not 3 <= len(container) <= 63:
        raise InputError("container", container, "a container name: 3 to 63 lower-case letters, digits and single "
                         "hyphens")
    return container


def account_container_url(clients, account, container, resource_group=None):
    """The URL of `container` of the storage account `account` (its primaryEndpoints.blob, read from ARM)."""
    from ansible_collections.dr.asr.plugins.module_utils._azure.arm import list_all
    check_container(container)
    client = clients.client("resource")
    sub = clients.subscription_id
    what = "Reading the storage account %s" % account
    if resource_group:
        body = _arm_get(client, "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Storage/storageAccounts/%s"
                        % (quote(sub), quote(resource_group), quote(account)), what)
        if body is None:
            raise InputError("storage_account", account, "a storage account of resource group %s" % resource_group)
    else:
        accounts = list_all(client, "/subscriptions/%s/providers/Microsoft.Storage/storageAccounts" % quote(sub),
                            STORAGE_API_VERSION, what)
        found = [a for a in accounts if (a.get("name") or "").lower() == account.lower()]
        if not found:
            raise InputError("storage_account", account, "a storage account of subscription %s (found: %s)" % (
                sub, ", ".join(sorted(a.get("name") or "?" for a in accounts)) or "none"))
        body = found[0]
    endpoint = ((body.get("properties") or {}).get("primaryEndpoints") or {}).get("blob")
    if not endpoint:
        raise AzureError("The storage account %s has no Blob service endpoint (kind %s)." % (account, body.get("kind")),
                         code="NoBlobEndpoint")
    return endpoint.rstrip("/") + "/" + container


def _arm_get(client, path, what):
    """One ARM resource as a REST dict, None when it does not exist."""
    with azure_errors(what):
        response = client.send_request(HttpRequest("GET", path, params={"api-version": STORAGE_API_VERSION}))
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            from azure.core.exceptions import HttpResponseError
            from azure.mgmt.core.exceptions import ARMErrorFormat
            raise HttpResponseError(response=response, error_format=ARMErrorFormat)
        return response.json()


def storage_error(response, action, url, with_sas, code=None):
    """AzureError from an Azure Storage answer (XML error body, or x-ms-error-code of a HEAD)."""
    status = response.status_code
    code = code or response.headers.get("x-ms-error-code")
    message = detail = None
    try:
        text = response.text()
    except Exception:  # pylint: disable=broad-except  # no body (HEAD)
        text = ""
    if text and text.lstrip().startswith("<"):
        try:
            root = ElementTree.fromstring(text.encode("utf-8"))
            code = root.findtext("Code") or code
            message = root.findtext("Message")
            detail = root.findtext("AuthenticationErrorDetail") or root.findtext("ExtendedErrorDetail")
        except ElementTree.ParseError:
            pass
    request_id = response.headers.get("x-ms-request-id")
    if message:
        message = message.split("\nRequestId:")[0].strip()
    message = message or "HTTP %s %s" % (status, getattr(response, "reason", "") or "")
    if detail:
        message = "%s %s" % (message, detail)
    advice = ADVICE.get(code or "", ("", ""))[1 if with_sas else 0] or None
    if advice is None and status == 403:
        advice = ADVICE["AuthorizationPermissionMismatch"][1 if with_sas else 0]
    details = {"url": url}
    if request_id:
        details["request_id"] = request_id
    return AzureError("%s failed: %s" % (action, message.strip()), code=code or "HTTP%s" % status,
                      recommended_action=advice, details=details, status=status)


class BlobContainer(object):
    """One blob container, reached with a bearer token (`credential`) or a SAS (`sas_token`)."""

    def __init__(self, url, credential=None, sas_token=None, verify=True):
        if PipelineClient is None:
            raise AzureError("azure-core is required to upload to Azure Blob Storage.", code="MissingLibrary")
        self.url = url.rstrip("/")
        self.sas_token = sas_token or None
        policies = [RequestIdPolicy(), HeadersPolicy({"x-ms-version": X_MS_VERSION}),
                    UserAgentPolicy(base_user_agent=USER_AGENT), ProxyPolicy(), RetryPolicy(**RETRY)]
        if self.sas_token is None:
            policies.append(BearerTokenCredentialPolicy(credential, STORAGE_SCOPE))
        policies.append(ResendUnsentPolicy())
        self._client = PipelineClient(self.url, policies=policies, transport=make_transport(verify))

    def url_of(self, name):
        """The blob's URL (without the SAS)."""
        return "%s/%s" % (self.url, quote(name, safe="/~"))

    def _request_url(self, name):
        url = self.url_of(name)
        return url + "?" + self.sas_token if self.sas_token else url

    def _send(self, method, name, action, **kwargs):
        with azure_errors(action):
            return self._client.send_request(HttpRequest(method, self._request_url(name), **kwargs))

    def properties(self, name):
        """The blob's properties (content_md5, size, content_type, etag, last_modified), None when it does not exist.
        A missing container is an error (the upload could not succeed)."""
        action = "Reading the blob %s" % self.url_of(name)
        response = self._send("HEAD", name, action)
        if response.status_code == 404 and response.headers.get("x-ms-error-code") in (None, "BlobNotFound"):
            return None
        if response.status_code != 200:
            raise storage_error(response, action, self.url_of(name), self.sas_token is not None)
        h = response.headers
        size = h.get("Content-Length")
        return dict(content_md5=h.get("Content-MD5"), size=int(size) if size and size.isdigit() else None,
                    content_type=h.get("Content-Type"), etag=h.get("ETag"), last_modified=h.get("Last-Modified"))

    def upload(self, name, data, content_type):
        """Put Blob: the whole block blob; Azure checks Content-MD5 and stores it. Returns etag, content_md5,
        last_modified."""
        action = "Uploading the blob %s" % self.url_of(name)
        md5 = content_md5(data)
        headers = {"x-ms-blob-type": "BlockBlob", "Content-MD5": md5, "x-ms-blob-content-type": content_type,
                   "Content-Type": "application/octet-stream"}
        response = self._send("PUT", name, action, content=data, headers=headers)
        if response.status_code != 201:
            raise storage_error(response, action, self.url_of(name), self.sas_token is not None)
        return dict(etag=response.headers.get("ETag"), content_md5=response.headers.get("Content-MD5") or md5,
                    last_modified=response.headers.get("Last-Modified"))

    def close(self):
        try:
            self._client.close()
        except Exception:  # pylint: disable=broad-except
            pass
