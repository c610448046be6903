# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The vSphere Automation (vAPI) REST endpoint of vCenter: what the SOAP API does not serve, i.e. tags.

    rest = VSphereRest(module.params)                    # logs in, or raises VSphereError / InputError
    tagging = Tagging(rest)
    moids = tagging.vms_with_all(["DR-Tier:tier-1"])     # one tag-association call, however many tags
    tags = tagging.of_vms(moids)                         # one tag-association call, however many VMs
    rest.close()                                         # logs out

Same connection settings as the SOAP session (hostname, port, username, password) and the same TLS
verification (client.ssl_context: validate_certs, ca_path, ca_bundle and the CA variables of _tls). Transport
and TLS errors go through
client.vsphere_errors; HTTP errors become VSphereError with the vAPI error type as code.

Two dialects of the same API; the first one that serves the login is used for the whole run:

  api    /api/session, /api/cis/tagging/<resource>/<id>, ?action=<op>, bare JSON      vCenter 7.0 U2+
  rest   /rest/com/vmware/cis/session, .../<resource>/id:<id>, ?~action=<op>,           deprecated; the
         results wrapped in {"value": ...}                                              only one before 7.0 U2

/api/session answering 404 means a vCenter that predates /api (govmomi's vcsim serves only /rest).

Names: the API reads tags and categories by id only (one GET each, there is no batch read), so names
are resolved through a per-run cache (TagCatalog) that reads only what is needed.
"""

from __future__ import annotations

import json
from urllib.error import HTTPError, URLError
from urllib.parse import quote

from ansible.module_utils.urls import Request

from ansible_collections.dr.asr.plugins.module_utils._errors import InputError, VSphereError
from ansible_collections.dr.asr.plugins.module_utils._vsphere.client import (
    FAULT_HINTS, connection_settings, endpoint_host, ssl_context, vsphere_errors)

SESSION_HEADER = "vmware-api-session-id"
TIMEOUT = 60
VM_TYPE = "VirtualMachine"
# How many known tags an "unknown tag" error lists.
KNOWN_TAGS_SHOWN = 50

_HINTS = {
    "Unauthenticated": FAULT_HINTS["NotAuthenticated"],
    "Unauthorized": ("The vSphere user lacks a privilege the tagging API checks (reading tags, categories or "
                     "the tagged objects).",
                     "Grant the user a role with System.Read (Read-only) on the vCenter root, propagated."),
    "ServiceUnavailable": ("The vSphere Automation API service (vapi-endpoint) of the vCenter is down or "
                           "still starting.", "Check the vCenter services (vmon-cli --list) and run again."),
}


class _Dialect(object):
    """Where the resources live and how operations, ids and results are written in one dialect."""

    def __init__(self, name, session_path, prefix, action_key, id_prefix, wrapped):
        self.name = name
        self.session_path = session_path
        self.prefix = prefix
        self.action_key = action_key
        self.id_prefix = id_prefix
        self.wrapped = wrapped

    def path(self, resource, ident=None, action=None):
        path = self.prefix + resource
        if ident is not None:
            path += "/" + quote(self.id_prefix + ident, safe=":")
        if action:
            path += "?%s=%s" % (self.action_key, action)
        return path

    def unwrap(self, document):
        if self.wrapped:
            return document.get("value") if isinstance(document, dict) else None
        return document


API = _Dialect("api", "/api/session", "/api/", "action", "", wrapped=False)
REST = _Dialect("rest", "/rest/com/vmware/cis/session", "/rest/com/vmware/", "~action", "id:", wrapped=True)
DIALECTS = (API, REST)


def _camel(error_type):
    """NOT_FOUND / not_found / com.vmware.vapi.std.errors.not_found -> NotFound."""
    name = (error_type or "").rsplit(".", 1)[-1]
    return "".join(part.capitalize() for part in name.lower().split("_") if part)


def _parse_error(raw):
    """(error type, messages) of a vAPI error body, in either dialect; (None, []) if it is none."""
    try:
        document = json.loads(raw.decode("utf-8")) if raw else None
    except (ValueError, UnicodeDecodeError):
        return None, []
    if not isinstance(document, dict):
        return None, []
    value = document.get("value") if isinstance(document.get("value"), dict) else {}
    error_type = document.get("error_type") or value.get("error_type") or document.get("type")
    messages = []
    for item in document.get("messages") or value.get("messages") or []:
        text = item.get("default_message") if isinstance(item, dict) else item
        if text:
            messages.append(str(text))
    return error_type, messages


def error_from_response(status, raw, action, endpoint):
    """VSphereError for an HTTP error status of the vAPI endpoint, code from the vAPI error type."""
    error_type, messages = _parse_error(raw)
    code = _camel(error_type) or {401: "Unauthenticated", 403: "Unauthorized", 404: "NotFound",
                                  503: "ServiceUnavailable"}.get(status, "HTTP%d" % status)
    reason = "; ".join(messages) or code
    causes, recommended = _HINTS.get(code, (None, None))
    return VSphereError("vSphere Automation API error at %s while %s: HTTP %d, %s."
                        % (endpoint, action, status, reason), code=code, status=status,
                        possible_causes=causes, recommended_action=recommended)


class VSphereRest(object):
    """A logged-in vAPI REST session; `dialect` is API or REST (see the module docstring)."""

    def __init__(self, params):
        self.hostname, self.port, self.username, password = connection_settings(params)
        self.base_url = "https://%s:%s" % (endpoint_host(self.hostname), self.port)
        self.endpoint = self.base_url
        self.dialect = None
        self._token = None
        # No proxy and no ~/.netrc: the same direct path and credentials as the SOAP session.
        self._http = Request(context=ssl_context(params), use_proxy=False, use_netrc=False, timeout=TIMEOUT,
                             follow_redirects="none", http_agent="dr.asr")
        self._login(password)

    # -- HTTP ---------------------------------------------------------------------------------------
    def _send(self, method, path, action, body=None, auth=None):
        """(status, raw body) of one request; transport and TLS errors raise VSphereError."""
        headers = {"Accept": "application/json"}
        if self._token is not None:
            headers[SESSION_HEADER] = self._token
        data = None
        if body is not None:
            data = json.dumps(body)
            headers["Content-Type"] = "application/json"
        extra = {}
        if auth is not None:
            extra = dict(url_username=auth[0], url_password=auth[1], force_basic_auth=True)
        with vsphere_errors(action, endpoint=self.endpoint):
            try:
                response = self._http.open(method, self.base_url + path, data=data, headers=headers, **extra)
                return response.getcode(), response.read()
            except HTTPError as error:
                raw = b""
                if error.fp is not None:
                    raw = error.read()
                    error.close()
                return error.code, raw
            except URLError as error:
                # urllib wraps the socket / TLS error: translate that one (TLS hint, refused, DNS, ...)
                if isinstance(error.reason, BaseException):
                    raise error.reason from None
                raise

    def call(self, method, resource, action, ident=None, operation=None, body=None):
        """The result of one vAPI operation (unwrapped from {"value": ...} in the rest dialect)."""
        path = self.dialect.path(resource, ident=ident, action=operation)
        status, raw = self._send(method, path, action, body=body)
        if not 200 <= status < 300:
            raise error_from_response(status, raw, action, self.endpoint)
        if not raw:
            return None
        try:
            document = json.loads(raw.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            raise VSphereError("The vSphere Automation API at %s answered %s %s with something that is not "
                               "JSON while %s." % (self.endpoint, method, path, action), code="InvalidResponse",
                               recommended_action="Check hostname and port point at a vCenter.") from None
        return self.dialect.unwrap(document)

    # -- session ------------------------------------------------------------------------------------
    def _login(self, password):
        action = "logging in to the vSphere Automation API as %s" % self.username
        for dialect in DIALECTS:
            self.endpoint = self.base_url + "/" + dialect.prefix.strip("/").split("/")[0]  # .../api, .../rest
            status, raw = self._send("POST", dialect.session_path, action, auth=(self.username, password))
            if status == 404 and dialect is not DIALECTS[-1]:
                continue  # a vCenter before 7.0 U2: the deprecated /rest dialect
            if 200 <= status < 300:  # 201 Created from /api, 200 from /rest
                try:
                    token = dialect.unwrap(json.loads(raw.decode("utf-8")))
                except (ValueError, UnicodeDecodeError):
                    token = None
                if isinstance(token, str) and token:
                    self.dialect, self._token = dialect, token
                    return
                raise VSphereError("The vSphere Automation API at %s answered the login without a session id."
                                   % self.endpoint, code="InvalidResponse",
                                   recommended_action="Check hostname and port point at a vCenter.")
            if status == 401:
                causes, recommended = FAULT_HINTS["InvalidLogin"]
                raise VSphereError("vCenter %s rejected the login of user '%s' to the vSphere Automation API."
                                   % (self.endpoint, self.username), code="InvalidLogin", status=status,
                                   possible_causes=causes, recommended_action=recommended)
            if status == 404:
                raise VSphereError("No vSphere Automation API at %s (neither /api nor /rest answers)."
                                   % self.base_url, code="NotFound", status=status,
                                   possible_causes="The host is an ESXi host, not a vCenter: only vCenter "
                                   "serves tags.", recommended_action="Connect to the vCenter that manages "
                                   "the VMs, or leave out tags and include_tags.")
            raise error_from_response(status, raw, action, self.endpoint)

    def close(self):
        """Log out (once); a failure to log out never hides the result."""
        if self._token is None:
            return
        try:
            self._send("DELETE", self.dialect.session_path, "logging out of the vSphere Automation API")
        except Exception:  # pylint: disable=broad-except  # the session expires on the server anyway
            pass
        self._token = None

    # -- tagging operations -------------------------------------------------------------------------
    def list_categories(self):
        return self.call("GET", "cis/tagging/category", "listing tag categories") or []

    def get_category(self, category_id):
        return self.call("GET", "cis/tagging/category", "reading tag category %s" % category_id, ident=category_id)

    def list_tags(self):
        return self.call("GET", "cis/tagging/tag", "listing tags") or []

    def get_tag(self, tag_id):
        return self.call("GET", "cis/tagging/tag", "reading tag %s" % tag_id, ident=tag_id)

    def list_tags_for_category(self, category_id):
        action = "listing the tags of category %s" % category_id
        if self.dialect is API:
            return self.call("POST", "cis/tagging/tag", action, operation="list-tags-for-category",
                             body={"category_id": category_id}) or []
        return self.call("POST", "cis/tagging/tag", action, ident=category_id,
                         operation="list-tags-for-category") or []

    def list_attached_objects_on_tags(self, tag_ids):
        """{tag id: [(object type, object id)]} for all tag_ids, in one call."""
        result = self.call("POST", "cis/tagging/tag-association", "listing the objects with tags %s"
                           % ", ".join(tag_ids), operation="list-attached-objects-on-tags",
                           body={"tag_ids": list(tag_ids)}) or []
        out = dict((tag_id, []) for tag_id in tag_ids)
        for entry in result:
            out.setdefault(entry.get("tag_id"), []).extend(
                (obj.get("type"), obj.get("id")) for obj in entry.get("object_ids") or [])
        return out

    def list_attached_tags_on_objects(self, objects):
        """{(object type, object id): [tag id]} for all objects [(type, id)], in one call."""
        result = self.call("POST", "cis/tagging/tag-association", "listing the tags of %d objects" % len(objects),
                           operation="list-attached-tags-on-objects",
                           body={"object_ids": [{"type": kind, "id": ident} for kind, ident in objects]}) or []
        out = dict((tuple(obj), []) for obj in objects)
        for entry in result:
            obj = entry.get("object_id") or {}
            out.setdefault((obj.get("type"), obj.get("id")), []).extend(entry.get("tag_ids") or [])
        return out


class TagCatalog(object):
    """Tag and category names by id, read on demand and cached for the run."""

    def __init__(self, rest):
        self.rest = rest
        self._categories = {}     # id -> model
        self._tags = {}           # id -> model
        self._all_categories = False
        self._all_tags = False
        self._by_category = {}    # category id -> [tag id]

    def category(self, category_id):
        if category_id not in self._categories:
            self._categories[category_id] = self.rest.get_category(category_id)
        return self._categories[category_id]

    def tag(self, tag_id):
        if tag_id not in self._tags:
            self._tags[tag_id] = self.rest.get_tag(tag_id)
        return self._tags[tag_id]

    def categories(self):
        if not self._all_categories:
            for category_id in self.rest.list_categories():
                self.category(category_id)
            self._all_categories = True
        return list(self._categories.values())

    def tags(self):
        if not self._all_tags:
            for tag_id in self.rest.list_tags():
                self.tag(tag_id)
            self._all_tags = True
        return list(self._tags.values())

    def tags_of_category(self, category_id):
        if category_id not in self._by_category:
            if self._all_tags:
                ids = [t["id"] for t in self._tags.values() if t.get("category_id") == category_id]
            else:
                ids = list(self.rest.list_tags_for_category(category_id))
            self._by_category[category_id] = ids
        return [self.tag(tag_id) for tag_id in self._by_category[category_id]]

    def label(self, tag_id):
        """{"category": name, "name": name} of a tag."""
        tag = self.tag(tag_id)
        return {"category": self.category(tag["category_id"])["name"], "name": tag["name"]}

    def known(self):
        """Every tag as category:name, sorted."""
        return sorted("%s:%s" % (self.category(t["category_id"])["name"], t["name"]) for t in self.tags())

    # -- name -> id -------------------------------------------------------------------------------
    def resolve(self, spec, parameter="tags"):
        """The id of the tag `spec` names: "name", or "category:name" (an InputError if none or several)."""
        category_name, sep, name = spec.partition(":")
        if sep and category_name and name:
            category = next((c for c in self.categories() if c["name"] == category_name), None)
            if category is not None:
                found = [t for t in self.tags_of_category(category["id"]) if t["name"] == name]
                if found:
                    return found[0]["id"]
                raise self._unknown(spec, parameter)
            # no such category: the whole value may be a tag name with a colon in it
        found = [t for t in self.tags() if t["name"] == spec]
        if len(found) == 1:
            return found[0]["id"]
        if found:
            qualified = sorted("%s:%s" % (self.category(t["category_id"])["name"], spec) for t in found)
            raise InputError(parameter, spec, "a tag name that is unique across categories, or category:name",
                             hint="Tag '%s' exists in several categories: write one of %s."
                             % (spec, ", ".join(qualified)))
        raise self._unknown(spec, parameter)

    def _unknown(self, spec, parameter):
        known = self.known()
        listed = ", ".join(known[:KNOWN_TAGS_SHOWN]) or "none"
        if len(known) > KNOWN_TAGS_SHOWN:
            listed += " and %d more" % (len(known) - KNOWN_TAGS_SHOWN)
        return InputError(parameter, spec, "the name, or category:name, of an existing vSphere tag",
                          hint="Known tags: %s. Tag and category names are case-sensitive." % listed)


class Tagging(object):
    """The two batch questions source_vm_info asks: which VMs carry all these tags, which tags have these VMs."""

    def __init__(self, rest):
        self.rest = rest
        self.catalog = TagCatalog(rest)

    def vms_with_all(self, specs, parameter="tags"):
        """Moids of the VMs that have every tag in specs; one association call for all of them."""
        tag_ids = []
        for spec in specs:
            tag_id = self.catalog.resolve(spec, parameter)
            if tag_id not in tag_ids:
                tag_ids.append(tag_id)
        attached = self.rest.list_attached_objects_on_tags(tag_ids)
        sets = [set(ident for kind, ident in attached.get(tag_id, []) if kind == VM_TYPE) for tag_id in tag_ids]
        return set.intersection(*sets) if sets else set()

    def of_vms(self, moids):
        """{moid: [{"category", "name"}, ...] sorted} for the VMs; one association call for all of them."""
        moids = list(moids)
        if not moids:
            return {}
        attached = self.rest.list_attached_tags_on_objects([(VM_TYPE, moid) for moid in moids])
        out = {}
        for moid in moids:
            labels = [self.catalog.label(tag_id) for tag_id in attached.get((VM_TYPE, moid), [])]
            out[moid] = sorted(labels, key=lambda label: (label["category"], label["name"]))
        return out
