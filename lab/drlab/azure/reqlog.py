"""The request log: every request the simulator answered (admin calls under /_lab excepted).

Entries live in memory in a bounded ring (`max_entries`); the counters behind the summary are exact
and unbounded until reset. Nothing secret is recorded: no headers but the client request id and the
user agent, no bodies, no query string but the api-version.
"""
import collections
import datetime
import re
import threading
import time


def parse_time(value):
    """Epoch seconds (number or numeric string) or an ISO 8601 timestamp -> epoch seconds."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(value)
    except ValueError:
        pass
    text = value.strip().replace("Z", "+00:00")
    dt = datetime.datetime.fromisoformat(text)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=datetime.timezone.utc)
    return dt.timestamp()


class RequestLog:
    def __init__(self, max_entries=10000):
        self._lock = threading.Lock()
        self.max_entries = int(max_entries)
        self.reset()

    def reset(self):
        with self._lock:
            self._entries = collections.deque(maxlen=self.max_entries)
            self._seq = 0
            self._total = 0
            self._counters = {k: collections.Counter() for k in
                              ("method", "resource_type", "status", "kind", "operation", "fault")}
            self._since = time.time()

    def record(self, entry):
        with self._lock:
            self._seq += 1
            entry["seq"] = self._seq
            self._entries.append(entry)
            self._total += 1
            c = self._counters
            c["method"][entry["method"]] += 1
            c["resource_type"][entry.get("resource_type") or "-"] += 1
            c["status"][str(entry["status"])] += 1
            c["kind"][entry.get("kind") or "-"] += 1
            c["operation"]["%s %s %s" % (entry["method"], entry.get("resource_type") or "-", entry["status"])] += 1
            if entry.get("fault"):
                c["fault"][entry["fault"]] += 1

    def query(self, since=None, until=None, method=None, status=None, resource_type=None, kind=None,
              path_regex=None, client_request_id=None, limit=None):
        since, until = parse_time(since), parse_time(until)
        methods = {m.upper() for m in method.split(",")} if method else None
        statuses = {int(s) for s in str(status).split(",")} if status else None
        rx = re.compile(path_regex, re.I) if path_regex else None
        with self._lock:
            entries = list(self._entries)
        out = []
        for e in entries:
            if since is not None and e["epoch"] < since:
                continue
            if until is not None and e["epoch"] > until:
                continue
            if methods and e["method"] not in methods:
                continue
            if statuses and e["status"] not in statuses:
                continue
            if resource_type and (e.get("resource_type") or "").lower() != resource_type.lower():
                continue
            if kind and e.get("kind") != kind:
                continue
            if rx and not rx.search(e["path"]):
                continue
            if client_request_id and e.get("client_request_id") != client_request_id:
                continue
            out.append(e)
        if limit:
            out = out[-int(limit):]
        return out

    def summary(self):
        with self._lock:
            c = self._counters
            return {"total": self._total, "since": self._since, "retained": len(self._entries),
                    "max_entries": self.max_entries,
                    "by_method": dict(c["method"]), "by_resource_type": dict(c["resource_type"]),
                    "by_status": dict(c["status"]), "by_kind": dict(c["kind"]),
                    "by_operation": dict(c["operation"]), "by_fault": dict(c["fault"])}
