# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Azure clouds: the public ones by name, any other (sovereign, Azure Stack, the lab) by the URL
of its ARM metadata endpoint (`https://<arm>/metadata/endpoints?api-version=...`)."""

from __future__ import annotations

import json
import time

from ansible_collections.dr.asr.plugins.module_utils._errors import AzureError, InputError
from ansible_collections.dr.asr.plugins.module_utils._azure.argspec import KNOWN_CLOUDS


class Cloud(object):
    __slots__ = ("name", "resource_manager", "authority", "audience", "custom")

    def __init__(self, name, resource_manager, authority, audience, custom=False):
        self.name = name
        self.resource_manager = resource_manager.rstrip("/")
        self.authority = authority.rstrip("/")
        self.audience = audience
        self.custom = custom

    @property
    def scope(self):
        return self.audience.rstrip("/") + "/.default"

    def to_dict(self):
        return dict(name=self.name, resource_manager=self.resource_manager, authority=self.authority,
                    audience=self.audience)


PUBLIC_CLOUDS = {
    "AzureCloud": Cloud("AzureCloud", "https://management.azure.com", "https://login.microsoftonline.com",
                        "https://management.core.windows.net/"),
    "AzureUSGovernment": Cloud("AzureUSGovernment", "https://management.usgovcloudapi.net",
                               "https://login.microsoftonline.us", "https://management.core.usgovcloudapi.net/"),
    "AzureChinaCloud": Cloud("AzureChinaCloud", "https://management.chinacloudapi.cn",
                             "https://login.chinacloudapi.cn", "https://management.core.chinacloudapi.cn/"),
}


def _metadata_url(url):
    if "/metadata/endpoints" in url:
        return url if "api-version=" in url else url + ("&" if "?" in url else "?") + "api-version=2022-09-01"
    return url.rstrip("/") + "/metadata/endpoints?api-version=2022-09-01"


def parse_metadata(url, document):
    """Both shapes ARM serves: a list of clouds (2019-05-01 and later) or one object (2015-01-01)."""
    base = url.split("/metadata/endpoints")[0]
    if isinstance(document, list):
        if not document:
            raise AzureError("The metadata endpoint %s lists no cloud." % url, code="InvalidCloudMetadata")
        entry = document[0]
        for candidate in document:
            if candidate.get("resourceManager", "").rstrip("/").lower() == base.rstrip("/").lower():
                entry = candidate
        auth = entry.get("authentication") or {}
        return Cloud(entry.get("name") or base, entry.get("resourceManager") or base,
                     auth.get("loginEndpoint"), (auth.get("audiences") or [base])[0], custom=True)
    if isinstance(document, dict) and "authentication" in document:
        auth = document["authentication"]
        return Cloud(base, base, auth.get("loginEndpoint"), (auth.get("audiences") or [base])[0], custom=True)
    raise AzureError("The metadata endpoint %s did not return ARM cloud metadata." % url,
                     code="InvalidCloudMetadata")


#: the metadata GET (no side effect) is sent again this many times after a connection error (refused or reset, e.g.
#: while ARM restarts), after BACKOFF seconds doubled per attempt (as policies.ResendUnsentPolicy does for the
#: management clients' requests: about 15 s in all); not after a TLS failure or a timeout
RESENDS = 5
BACKOFF = 0.5


def _connection_lost(exc):
    """Whether a requests error is a refused or broken connection (not a TLS failure, not a timeout)."""
    try:
        from requests.exceptions import ConnectionError as RequestsConnectionError, SSLError, Timeout
    except ImportError:  # pragma: no cover  # azure-core depends on requests
        return False
    return isinstance(exc, RequestsConnectionError) and not isinstance(exc, (SSLError, Timeout))


def resolve_cloud(cloud_environment, verify=True, session=None, sleep=time.sleep):
    """A Cloud for a name (AzureCloud, ...) or an ARM metadata URL."""
    if not cloud_environment:
        return PUBLIC_CLOUDS["AzureCloud"]
    for name, cloud in PUBLIC_CLOUDS.items():
        if name.lower() == cloud_environment.lower():
            return cloud
    if not cloud_environment.lower().startswith("https://"):
        raise InputError("cloud_environment", cloud_environment,
                         "one of %s, or the https:// URL of an ARM metadata endpoint" % ", ".join(KNOWN_CLOUDS))
    url = _metadata_url(cloud_environment)
    if session is None:
        import requests  # azure-core depends on requests
        session = requests
    attempt = 0
    while True:
        try:
            response = session.get(url, verify=verify, timeout=30)
            break
        except Exception as exc:  # pylint: disable=broad-except
            if attempt < RESENDS and _connection_lost(exc):
                sleep(BACKOFF * (2 ** attempt))
                attempt += 1
                continue
            hint = ("Point ca_bundle at the CA that signed the endpoint's certificate."
                    if "CERTIFICATE_VERIFY_FAILED" in str(exc) else None)
            raise AzureError("Could not read cloud metadata from %s: %s" % (url, exc),
                             code="CloudMetadataUnavailable", recommended_action=hint)
    if response.status_code != 200:
        raise AzureError("Cloud metadata endpoint %s answered HTTP %s." % (url, response.status_code),
                         code="CloudMetadataUnavailable", status=response.status_code)
    try:
        document = json.loads(response.text)
    except ValueError:
        raise AzureError("Cloud metadata endpoint %s did not return JSON." % url, code="InvalidCloudMetadata")
    return parse_metadata(url, document)
