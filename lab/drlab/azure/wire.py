"""HTTP request and response objects of the simulator (independent of http.server)."""
import json
from urllib.parse import parse_qsl


class CaseInsensitiveDict(dict):
    """A dict with case-insensitive string keys (the first spelling is kept)."""

    def __init__(self, items=()):
        super().__init__()
        self._keys = {}
        for k, v in (items.items() if isinstance(items, dict) else items):
            self[k] = v

    def __setitem__(self, key, value):
        low = key.lower()
        if low in self._keys:
            super().__delitem__(self._keys[low])
        self._keys[low] = key
        super().__setitem__(key, value)

    def __getitem__(self, key):
        return super().__getitem__(self._keys[key.lower()])

    def __delitem__(self, key):
        low = key.lower()
        super().__delitem__(self._keys.pop(low))

    def __contains__(self, key):
        return isinstance(key, str) and key.lower() in self._keys

    def get(self, key, default=None):
        return self[key] if key in self else default

    def setdefault(self, key, default=None):
        if key not in self:
            self[key] = default
        return self[key]

    def update(self, other=(), **kw):
        for k, v in (other.items() if isinstance(other, dict) else other):
            self[k] = v
        for k, v in kw.items():
            self[k] = v

    def pop(self, key, *default):
        if key in self:
            v = self[key]
            del self[key]
            return v
        if default:
            return default[0]
        raise KeyError(key)


class Request:
    """One HTTP request: method, path (no query), query (case-insensitive, first value), headers."""

    def __init__(self, method, target, headers, body=b"", client=None):
        self.method = method.upper()
        path, qs = (target.split("?", 1) + [""])[:2]
        self.raw_path = path
        self.path = path if path.startswith("/") else "/" + path
        self.query_string = qs
        self.query = CaseInsensitiveDict()
        for k, v in parse_qsl(qs, keep_blank_values=True):
            if k not in self.query:
                self.query[k] = v
        self.headers = CaseInsensitiveDict(headers)
        self.body = body or b""
        self.client = client
        # filled in while the request is handled, read by the request log
        self.kind = None
        self.resource_type = None
        self.principal = None
        self.fault = None

    def json(self):
        """The body as JSON (None when empty); raises ValueError when it is not JSON."""
        if not self.body or not self.body.strip():
            return None
        return json.loads(self.body.decode("utf-8-sig"))

    def form(self):
        return dict(parse_qsl(self.body.decode("utf-8"), keep_blank_values=True))


class Response:
    """An answer. `body`: dict/list (sent as JSON), bytes/str, or None (no body)."""

    DROP = object()   # sentinel: close the connection without answering

    def __init__(self, status, body=None, headers=None, content_type="application/json; charset=utf-8"):
        self.status = int(status)
        self.body = body
        self.headers = CaseInsensitiveDict(headers or {})
        self.content_type = content_type

    def payload(self):
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode("utf-8")
        return json.dumps(self.body, separators=(",", ":")).encode("utf-8")
