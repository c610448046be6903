# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A vCenter's vSphere Automation (vAPI) REST endpoint at the HTTP edge, in both dialects.

Only what sends HTTP is fake: `rest.Request` (ansible's urls.Request) is replaced by a class whose
`open()` hands the request, as method, URL, headers and body bytes, to `FakeVapi.handle`, and answers
with its status and body (an HTTPError for 4xx/5xx, as urllib does). `handle` can also sit behind a
real HTTPS server (`serve_https`), to test the real TLS handshake and Basic auth header.

    vapi = FakeVapi(dialect="rest")        # "api": /api and /rest (7.0 U2+); "rest": /rest only (vcsim)
    tier1 = vapi.tag("DR-Tier", "tier-1")  # creates the category on first use
    vapi.attach(tier1, "vm-12")
    vapi.tag_vms(refs, SMALL_INVENTORY_TAGS)   # or: the lab's tags on fake_vcenter.small_inventory()
    with mock.patch(REQUEST, vapi.request_class()):
        rest = VSphereRest(params)

`vapi.calls` counts operations (login, logout, category.list, category.get, tag.list, tag.get,
tag.list-tags-for-category, list-attached-objects-on-tags, list-attached-tags-on-objects) and
`vapi.paths` lists every "METHOD path?query" in order.
"""

from __future__ import annotations

import base64
import collections
import http.server
import io
import itertools
import json
import ssl
import threading
from urllib.error import HTTPError
from urllib.parse import parse_qs, unquote, urlsplit

from ansible_collections.dr.asr.tests.unit.plugins.module_utils._vsphere.fake_vcenter import PASSWORD, USER

REQUEST = "ansible_collections.dr.asr.plugins.module_utils._vsphere.rest.Request"

LAB_TAGS = (("DR-Tier", ("tier-1", "tier-2", "tier-3")), ("Environment", ("production", "test")))
# Tags on fake_vcenter.small_inventory(), like the lab's (plus a template and a second tier-1 + production VM).
SMALL_INVENTORY_TAGS = {
    "web-01": ["DR-Tier:tier-2", "Environment:production"], "web-02": ["DR-Tier:tier-2"],
    "ora-rac-01": ["DR-Tier:tier-1"], "win-dc-01": ["DR-Tier:tier-1"],
    "fs-archive-01": ["DR-Tier:tier-1", "Environment:production"], "test-vm-01": ["Environment:test"],
    "tmpl-rhel9": ["DR-Tier:tier-1"],
}

_ERROR_TYPES = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "UNAUTHORIZED", 404: "NOT_FOUND",
                503: "SERVICE_UNAVAILABLE"}


class _Response(object):
    def __init__(self, status, raw):
        self.status, self._raw = status, raw

    def getcode(self):
        return self.status

    def read(self):
        return self._raw


class FakeVapi(object):
    def __init__(self, user=USER, password=PASSWORD, dialect="api"):
        assert dialect in ("api", "rest")
        self.user, self.password, self.dialect = user, password, dialect
        self.calls = collections.Counter()
        self.paths = []
        self.request_kwargs = None     # what rest.Request was constructed with
        self.sessions = set()
        self.categories = collections.OrderedDict()   # id -> model
        self.tags = collections.OrderedDict()         # id -> model
        self.attached = collections.defaultdict(list)  # tag id -> [{"type", "id"}]
        self.errors = {}               # operation -> (status, message)
        self.transport_error = None    # raised by open() instead of answering
        self._ids = itertools.count(1)

    # -- state --------------------------------------------------------------------------------
    def category(self, name, cardinality="SINGLE"):
        for category_id, model in self.categories.items():
            if model["name"] == name:
                return category_id
        category_id = "urn:vmomi:InventoryServiceCategory:%04d:GLOBAL" % next(self._ids)
        self.categories[category_id] = {"id": category_id, "name": name, "description": "",
                                        "cardinality": cardinality, "associable_types": ["VirtualMachine"],
                                        "used_by": []}
        return category_id

    def tag(self, category, name):
        category_id = self.category(category)
        tag_id = "urn:vmomi:InventoryServiceTag:%04d:GLOBAL" % next(self._ids)
        self.tags[tag_id] = {"id": tag_id, "name": name, "category_id": category_id, "description": "",
                             "used_by": []}
        return tag_id

    def attach(self, tag_id, moid, kind="VirtualMachine"):
        self.attached[tag_id].append({"type": kind, "id": moid})

    def lab_tags(self):
        """The categories and tags of lab/config/vcenter.yml: {"DR-Tier:tier-1": tag id, ...}."""
        ids = {}
        for category, names in LAB_TAGS:
            for name in names:
                ids["%s:%s" % (category, name)] = self.tag(category, name)
        return ids

    def tag_vms(self, refs, tags):
        """lab_tags(), attached to VMs: tags {VM name: ["Category:tag", ...]}, refs {VM name: ref}."""
        ids = self.lab_tags()
        for vm, labels in tags.items():
            for label in labels:
                self.attach(ids[label], refs[vm]._moId)
        return ids

    def rest_calls(self):
        return sum(self.calls.values())

    # -- HTTP ---------------------------------------------------------------------------------
    def handle(self, method, url, headers, body):
        """(status, JSON-able document or bytes) for one request."""
        parts = urlsplit(url)
        self.paths.append("%s %s%s" % (method, parts.path, "?" + parts.query if parts.query else ""))
        query = dict((key, values[0]) for key, values in parse_qs(parts.query).items())
        if parts.path.startswith("/api/") and self.dialect == "api":
            dialect, resource, action = "api", parts.path[len("/api/"):], query.get("action")
        elif parts.path.startswith("/rest/com/vmware/"):
            dialect, resource, action = "rest", parts.path[len("/rest/com/vmware/"):], query.get("~action")
        else:
            return 404, b"404 page not found\n"
        headers = dict((key.lower(), value) for key, value in headers.items())
        document = json.loads(body) if body else {}
        status, value = self._route(dialect, method, resource, action, headers, document)
        if status >= 400:
            return status, self._error(dialect, status, value)
        if dialect == "rest":
            return status, {"value": value} if value is not None else b""
        return status, value if value is not None else b""

    def _error(self, dialect, status, message):
        error_type = _ERROR_TYPES.get(status, "ERROR")
        messages = [{"id": "vapi.fake", "default_message": message, "args": []}] if message else []
        if dialect == "api":
            return {"error_type": error_type, "messages": messages}
        return {"type": "com.vmware.vapi.std.errors.%s" % error_type.lower(),
                "value": {"error_type": error_type, "messages": messages}}

    def _route(self, dialect, method, resource, action, headers, document):
        session = "session" if dialect == "api" else "cis/session"
        if resource == session:
            return self._session(dialect, method, headers)
        if headers.get("vmware-api-session-id") not in self.sessions:
            return 401, "This method requires authentication."
        ident = None
        for base in ("cis/tagging/category", "cis/tagging/tag-association", "cis/tagging/tag"):
            if resource == base or resource.startswith(base + "/"):
                rest = resource[len(base) + 1:]
                if rest:
                    ident = unquote(rest)
                    if dialect == "rest":
                        if not ident.startswith("id:"):
                            return 404, None
                        ident = ident[len("id:"):]
                resource = base
                break
        else:
            return 404, None
        operation = resource.rsplit("/", 1)[-1]
        if operation == "tag-association":
            operation = action
        elif action:
            operation += "." + action
        else:
            operation += ".get" if ident else ".list"
        self.calls[operation] += 1
        if operation in self.errors:
            return self.errors[operation]
        return self._operation(operation, ident, document)

    def _session(self, dialect, method, headers):
        if method == "DELETE":
            self.calls["logout"] += 1
            self.sessions.discard(headers.get("vmware-api-session-id"))
            return (200 if dialect == "rest" else 204), None
        self.calls["login"] += 1
        if "login" in self.errors:
            return self.errors["login"]
        auth = headers.get("authorization", "")
        user, _sep, password = (base64.b64decode(auth[6:]).decode() if auth.startswith("Basic ") else "") \
            .partition(":")
        if (user, password) != (self.user, self.password):
            return 401, None
        token = "session-%d" % next(self._ids)
        self.sessions.add(token)
        return (200 if dialect == "rest" else 201), token

    def _operation(self, operation, ident, document):
        if operation == "category.list":
            return 200, list(self.categories)
        if operation == "category.get":
            return (200, self.categories[ident]) if ident in self.categories else (404, "No category %s" % ident)
        if operation == "tag.list":
            return 200, list(self.tags)
        if operation == "tag.get":
            return (200, self.tags[ident]) if ident in self.tags else (404, "No tag %s" % ident)
        if operation == "tag.list-tags-for-category":
            category_id = ident if ident is not None else document.get("category_id")
            return 200, [tag_id for tag_id, tag in self.tags.items() if tag["category_id"] == category_id]
        if operation == "list-attached-objects-on-tags":
            return 200, [{"tag_id": tag_id, "object_ids": list(self.attached.get(tag_id, []))}
                         for tag_id in document.get("tag_ids") or []]
        if operation == "list-attached-tags-on-objects":
            out = []
            for obj in document.get("object_ids") or []:
                tag_ids = [tag_id for tag_id, objs in self.attached.items() if obj in objs]
                out.append({"object_id": obj, "tag_ids": tag_ids})
            return 200, out
        return 400, "Unknown operation %s" % operation

    # -- the patched edge ---------------------------------------------------------------------
    def _open(self, method, url, data=None, headers=None, url_username=None, url_password=None,
              force_basic_auth=False):
        if self.transport_error is not None:
            raise self.transport_error
        headers = dict(headers or {})
        if url_username is not None:
            assert force_basic_auth, "send the credentials with the first request"
            token = base64.b64encode(("%s:%s" % (url_username, url_password)).encode()).decode()
            headers["Authorization"] = "Basic " + token
        status, document = self.handle(method, url, headers, data.encode() if isinstance(data, str) else data)
        raw = document if isinstance(document, bytes) else json.dumps(document).encode()
        if status >= 400:
            raise HTTPError(url, status, "fake", {}, io.BytesIO(raw))
        return _Response(status, raw)

    def request_class(self):
        """A stand-in for ansible.module_utils.urls.Request talking to this fake."""
        vapi = self

        class FakeRequest(object):
            def __init__(self, **kwargs):
                vapi.request_kwargs = kwargs

            def open(self, method, url, **kwargs):
                return vapi._open(method, url, **kwargs)

        return FakeRequest


def serve_https(vapi, cert, key):
    """A real HTTPS server on loopback answering with vapi.handle; use as a context manager."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def _any(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            status, document = vapi.handle(self.command, self.path, dict(self.headers.items()), body)
            raw = document if isinstance(document, bytes) else json.dumps(document).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        do_GET = do_POST = do_DELETE = _any  # noqa: N815

        def log_message(self, *args):
            pass

    return _Server(Handler, cert, key)


class _Server(object):
    def __init__(self, handler, cert, key):
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
