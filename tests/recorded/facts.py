"""Loader for the recorded-traffic facts in ``asr_modernized.json`` (same directory).

The JSON file holds facts read from real Azure Site Recovery traffic (Azure PowerShell's SessionRecords
``RecoveryServices.SiteRecovery.Test.AsrV2ARCMTests``); see README.md next to it. This module only reads it.
Standard library only; importable as ``ansible_collections.dr.asr.tests.recorded.facts`` (what the unit tests
use), as ``tests.recorded.facts`` from the repository root, or by path with ``importlib``.

    from ansible_collections.dr.asr.tests.recorded import facts
    facts.item_states(provider="InMageRcmFailback", protectionState="CommitPendingStatesBegin")
    facts.jobs(scenarioName="TestFailover")
    facts.requests(operation="reProtect")
    facts.sequence("Rcm-W2K19-152")
    facts.source(facts.requests(operation="reProtect")[0])   # repository / path / commit of the recording

The dict returned by load() and the facts returned by the accessors are shared: treat them as read-only
(``copy.deepcopy`` before changing anything).
"""
import json
import os

PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "asr_modernized.json")

_cache = {}


def load():
    """The whole facts document (parsed once, then cached)."""
    if "doc" not in _cache:
        with open(PATH, encoding="utf-8") as handle:
            _cache["doc"] = json.load(handle)
    return _cache["doc"]


def recording_of(ref):
    """'TestV2ARCMCommit#10' -> 'TestV2ARCMCommit'."""
    return ref.split("#", 1)[0]


def index_of(ref):
    """'TestV2ARCMCommit#10' -> 10 (the 0-based entry index in the recording)."""
    return int(ref.split("#", 1)[1])


def _refs(value):
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return list(value)


def _matches(value, want):
    if callable(want):
        return bool(want(value))
    if isinstance(want, (list, tuple, set, frozenset)):
        return value in want
    return value == want


def _source_matches(fact, want):
    refs = _refs(fact.get("source"))
    for ref in refs:
        if callable(want):
            if want(ref):
                return True
        elif "#" in want:
            if ref == want:
                return True
        elif recording_of(ref) == want:
            return True
    return False


def _filter(facts, filters, special=None):
    special = special or {}
    out = []
    for fact in facts:
        ok = True
        for key, want in filters.items():
            if key in special:
                ok = special[key](fact, want)
            elif key == "source" or key == "recording":
                ok = _source_matches(fact, want)
            else:
                if key not in fact:
                    raise TypeError("unknown filter %r (fact keys: %s)" % (key, ", ".join(sorted(fact))))
                ok = _matches(fact[key], want)
            if not ok:
                break
        if ok:
            out.append(fact)
    return out


def _scenario(fact, want):
    cur = fact.get("currentScenario") or {}
    return _matches(cur.get("scenarioName"), want)


def _has_operation(fact, want):
    return want in (fact.get("allowedOperations") or [])


def item_states(**filters):
    """Item observations (list or get), filtered by equality on any item-state key.

    Besides the item-state keys (provider, activeLocation, protectionState, testFailoverState, item, step, ...):
    ``from_`` (alias of the ``from`` key: "list" or "get"), ``source`` ("<recording>#<i>" or a bare recording
    name), ``recording``, ``scenarioName`` (currentScenario.scenarioName) and ``has_operation`` (an entry of
    allowedOperations). A filter value may be a collection (membership) or a callable (predicate).
    """
    if "from_" in filters:
        filters["from"] = filters.pop("from_")
    return _filter(load()["item_states"], filters, {"scenarioName": _scenario, "has_operation": _has_operation})


def item_state(state_id):
    """One item observation by its id ('<recording>#<i>:<friendlyName>:<list|get>'), or None."""
    for state in load()["item_states"]:
        if state["id"] == state_id:
            return state
    return None


def jobs(scenarioName=None, **filters):
    """Jobs (polled ones and ones only referenced by an item's currentScenario), optionally by scenarioName."""
    if scenarioName is not None:
        filters["scenarioName"] = scenarioName
    return _filter(load()["jobs"], filters)


def job(guid):
    """One job by its GUID, or None."""
    for entry in load()["jobs"]:
        if entry["job"] == guid:
            return entry
    return None


def requests(operation=None, **filters):
    """Recorded POST/PUT/PATCH/DELETE requests, optionally by operation ('reProtect', 'PUT replicationPolicies', ...)."""
    if operation is not None:
        filters["operation"] = operation
    return _filter(load()["requests"], filters)


def sequences():
    """All per-item sequences (the real order of steps, from timestamps)."""
    return load()["sequences"]


def sequence(item):
    """The sequence of one item (by friendly name, e.g. 'Rcm-W2K19-152'), or None."""
    for seq in load()["sequences"]:
        if seq["item"] == item:
            return seq
    return None


def sources():
    """recording name -> {repository, path, commit, captured, coverage, ...}."""
    return load()["sources"]


def source(fact):
    """Where a fact comes from: {recording, index, repository, path, commit} for a fact (a dict with a
    'source' key) or a '<recording>#<i>' string; a list of those when the fact has several sources."""
    refs = fact.get("source") if isinstance(fact, dict) else fact
    out = []
    for ref in _refs(refs):
        rec = recording_of(ref)
        meta = load()["sources"][rec]
        out.append({"recording": rec, "index": index_of(ref) if "#" in ref else None,
                    "repository": meta["repository"], "path": meta["path"], "commit": meta["commit"]})
    if isinstance(refs, str):
        return out[0]
    return out
