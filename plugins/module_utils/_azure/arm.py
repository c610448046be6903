# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Generic ARM reads for resource types no installed SDK models (Microsoft.OffAzure: Azure Migrate's
discovery of VMware machines, which ASR's modernized experience enables from).

The request goes through the public `send_request` of a management client we already have, so it
runs through that client's own pipeline: the same credential and bearer-token policy, ARM's retry and
throttling handling (Retry-After), TLS settings (ca_bundle), user agent and logging. Errors are the
SDK's own exceptions (ResourceNotFoundError, HttpResponseError with ARM's error body), turned into
AzureError by `azure_errors` like every other call.
"""

from __future__ import annotations

from ansible_collections.dr.asr.plugins.module_utils._azure.errors import azure_errors

try:
    from azure.core.exceptions import (ClientAuthenticationError, HttpResponseError, ResourceExistsError,
                                       ResourceNotFoundError, map_error)
    from azure.core.rest import HttpRequest
    from azure.mgmt.core.exceptions import ARMErrorFormat
except ImportError:  # reported by DrAsrModule through missing_required_lib
    HttpRequest = None

ERROR_MAP = None if HttpRequest is None else {
    401: ClientAuthenticationError, 404: ResourceNotFoundError, 409: ResourceExistsError}


def _raise_for(response):
    map_error(status_code=response.status_code, response=response, error_map=ERROR_MAP)
    raise HttpResponseError(response=response, error_format=ARMErrorFormat)


def list_all(client, path, api_version, what, params=None, max_pages=1000):
    """Every item of an ARM list (`GET path?api-version=...`, then each `nextLink`), as REST dicts.

    `client` is any management client (its pipeline and base URL are used); `path` starts with
    /subscriptions/. One request per page; the service's page size decides how many.
    """
    query = dict(params or {})
    query["api-version"] = api_version
    url, seen, out = path, set(), []
    with azure_errors(what):
        for _page in range(max_pages):
            response = client.send_request(HttpRequest("GET", url, params=query))
            if response.status_code != 200:
                _raise_for(response)
            body = response.json() or {}
            out.extend(body.get("value") or [])
            url, query = body.get("nextLink"), None
            if not url or url in seen:
                break
            seen.add(url)
    return out
