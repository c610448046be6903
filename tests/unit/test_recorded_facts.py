"""Integrity of tests/recorded/asr_modernized.json (facts read from recorded real ASR traffic)."""
import datetime
import json
import re

import pytest

from ansible_collections.dr.asr.tests.recorded import facts

TOP_KEYS = ["about", "sources", "item_states", "jobs", "requests", "list_vs_get", "mappings", "policies",
            "fabric", "recovery_plans", "vocabulary", "sequences", "not_recorded"]

RECORDINGS = {
    "TestV2ARCMFabric", "TestV2ARCMContainer", "TestV2ARCMProtectableItem", "TestV2ARCMPolicy",
    "TestV2ARCMContainerMapping", "TestV2ARCMEnableDR", "TestV2ARCMTestFailover", "TestV2ARCMFailover",
    "TestV2ARCMCommit", "TestV2ARCMReprotect", "TestV2ARCM540Reprotect", "TestV2ARCMFailback",
    "TestV2ARCMCancelFailover", "TestV2ARCMRecoveryPlan", "TestV2ARCMUpdateProtection", "TestV2ARCMSwitchAppliance",
}

OPERATIONS = {
    "ReverseReplicate", "Commit", "PlannedFailover", "UnplannedFailover", "DisableProtection", "TestFailover",
    "TestFailoverCleanup", "Failback", "FinalizeFailback", "CancelFailover", "ChangePit", "RepairReplication",
    "SwitchProtection", "CompleteMigration",
}

ITEM_KEYS = ["id", "source", "from", "item", "item_name", "captured_at", "provider", "activeLocation",
             "protectionState", "protectionStateDescription", "testFailoverState", "testFailoverStateDescription",
             "allowedOperations", "currentScenario", "replicationHealth", "failoverHealth", "details", "counts", "step"]
JOB_KEYS = ["source", "job", "polled", "operation", "context", "scenarioName", "friendlyName", "targetInstanceType",
            "targetObjectName", "states_seen", "allowedActions_while_running", "tasks", "customDetails", "notes"]
POLLED_JOB_KEYS = ["targetObjectId", "targetObjectId_is", "task_states_seen", "customDetails_fields", "polls",
                   "request", "startTime", "endTime"]
REQUEST_KEYS = ["source", "method", "operation", "path", "context", "at", "item_state_before", "body", "status",
                "job", "lro"]
LRO_KEYS = ["location", "azure_async_operation", "retry_after", "x_ms_request_id"]
SOURCE_KEYS = ["repository", "path", "commit", "captured", "coverage"]

REF = re.compile(r"^(TestV2ARCM\w+)#(\d+)$")
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
# keys whose values are provenance references '<recording>#<i>' (or lists of them), wherever they occur
REF_KEYS = {"source", "sources", "get_source", "request", "evidence", "created_by", "customDetails_fields_source"}


@pytest.fixture(scope="module")
def doc():
    return facts.load()


def _as_list(value):
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _walk_refs(node, path=()):
    """Yield (path, ref) for every provenance reference below node."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in REF_KEYS and not isinstance(value, dict):
                for ref in _as_list(value):
                    yield path + (key,), ref
            else:
                yield from _walk_refs(value, path + (key,))
    elif isinstance(node, list):
        for idx, value in enumerate(node):
            yield from _walk_refs(value, path + (idx,))


def _ts(value):
    """Parse '2021-08-26T06:35:54.8007834Z' / '2021-08-26T06:35:54Z'."""
    match = re.match(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?Z$", value)
    assert match, value
    base = datetime.datetime.strptime(match.group(1), "%Y-%m-%dT%H:%M:%S")
    frac = (match.group(2) or "0")[:6].ljust(6, "0")
    return base + datetime.timedelta(microseconds=int(frac))


def test_file_is_canonical_json(doc):
    with open(facts.PATH, encoding="utf-8") as handle:
        text = handle.read()
    assert text == json.dumps(json.loads(text), indent=1, ensure_ascii=False) + "\n"
    assert list(doc) == TOP_KEYS


def test_load_is_cached():
    assert facts.load() is facts.load()


def test_sources_name_all_sixteen_recordings(doc):
    assert set(doc["sources"]) == RECORDINGS
    for name, meta in doc["sources"].items():
        for key in SOURCE_KEYS:
            assert meta.get(key), (name, key)
        assert meta["repository"] == "Azure/azure-powershell"
        assert meta["path"].endswith("/RecoveryServices.SiteRecovery.Test.AsrV2ARCMTests/%s.json" % name)
        assert re.match(r"^[0-9a-f]{40}$", meta["commit"]), name
        assert re.match(r"^\d{4}-\d\d-\d\d$", meta["captured"]), name
        assert meta["coverage"].startswith(("full", "sampled")), name


def test_every_reference_names_a_recording_and_an_entry(doc):
    refs = list(_walk_refs({k: v for k, v in doc.items() if k != "sources"}))
    assert len(refs) > 300
    for path, ref in refs:
        match = REF.match(ref)
        assert match, (path, ref)
        assert match.group(1) in doc["sources"], (path, ref)
        assert int(match.group(2)) >= 3, (path, ref)  # entries 0-2 (vault GETs) carry no facts


@pytest.mark.parametrize("section", ["item_states", "jobs", "requests", "list_vs_get", "mappings", "policies",
                                     "recovery_plans", "sequences"])
def test_every_fact_has_a_source(doc, section):
    assert doc[section], section
    for fact in doc[section]:
        assert _as_list(fact.get("source")), (section, fact)
    assert _as_list(doc["fabric"]["source"])


def test_item_states_have_the_required_keys_and_ids(doc):
    seen = set()
    for state in doc["item_states"]:
        for key in ITEM_KEYS:
            assert key in state, (state["id"], key)
        assert state["from"] in ("list", "get"), state["id"]
        assert state["id"] == "%s:%s:%s" % (state["source"], state["item"], state["from"])
        key = (state["source"], state["item"], state["from"])
        assert key not in seen, key
        seen.add(key)
        assert state["provider"] in ("InMageRcm", "InMageRcmFailback", None), state["id"]
        assert set(state["counts"]) == {"protectedDisks", "vmNics", "agentUpgradeBlockingErrorDetails"}
        if state["captured_at"] is not None:
            _ts(state["captured_at"])
        if state["currentScenario"] is not None:
            assert set(state["currentScenario"]) == {"scenarioName", "jobId"}
            job = state["currentScenario"]["jobId"]
            assert job == "None" or GUID.match(job), state["id"]


def test_allowed_operations_are_known_values(doc):
    lists = [state["allowedOperations"] for state in doc["item_states"]]
    lists += [plan["allowedOperations"] for plan in doc["recovery_plans"]]
    for state in doc["vocabulary"]["protection_states"].values():
        lists += [ops for _provider, ops in state["allowedOperations_by_provider"]]
    for ops in lists:
        if ops is None:
            continue
        assert isinstance(ops, list), ops
        assert len(ops) == len(set(ops)), ops
        assert set(ops) <= OPERATIONS, set(ops) - OPERATIONS


def test_list_observations_have_empty_disk_and_nic_arrays(doc):
    for state in facts.item_states(from_="list"):
        for key in ("protectedDisks", "vmNics", "agentUpgradeBlockingErrorDetails"):
            assert state["counts"][key] in (0, None), (state["id"], key)


def test_jobs(doc):
    guids = [entry["job"] for entry in doc["jobs"]]
    assert len(guids) == len(set(guids))
    for entry in doc["jobs"]:
        assert GUID.match(entry["job"]), entry["job"]
        for key in JOB_KEYS:
            assert key in entry, (entry["job"], key)
        if not entry["polled"]:
            assert entry["states_seen"] == []
            continue
        for key in POLLED_JOB_KEYS:
            assert key in entry, (entry["job"], key)
        assert entry["scenarioName"]
        assert entry["states_seen"]
        assert set(entry["states_seen"]) <= {"NotStarted", "InProgress", "Succeeded", "Failed", "Cancelled", "Other"}
        assert entry["source"] == entry["polls"][0]["source"]
        for poll in entry["polls"]:
            assert poll["state"] is None or poll["state"] in entry["states_seen"]
            assert len(poll["task_states"]) == len(entry["tasks"]), entry["job"]
        for states in entry["task_states_seen"]:
            assert len(states) == len(entry["tasks"]), entry["job"]
        if "InProgress" not in entry["states_seen"]:
            assert entry["allowedActions_while_running"] is None
        _ts(entry["startTime"])


def test_requests(doc):
    ids = {state["id"] for state in doc["item_states"]}
    guids = {entry["job"] for entry in doc["jobs"]}
    sources = set()
    for req in doc["requests"]:
        for key in REQUEST_KEYS:
            assert key in req, (req["source"], key)
        assert req["source"] not in sources
        sources.add(req["source"])
        assert req["method"] in ("POST", "PUT", "PATCH", "DELETE")
        assert req["status"] == 202
        assert req["job"] in guids, req["source"]
        assert facts.job(req["job"])["request"] == req["source"]
        for key in ("item_state_before", "item_state_after"):
            if req.get(key) is not None:
                assert req[key] in ids, (req["source"], key, req[key])
        assert list(req["lro"]) == LRO_KEYS
        assert req["job"] in req["lro"]["location"]
        assert "api-version=2021-06-01" in req["lro"]["location"]
        assert req["lro"]["retry_after"] == "30"
        if "body_note" in req:  # recorded RequestBody was empty
            assert req["body"] is None, req["source"]
        else:
            assert isinstance(req["body"], dict) and req["body"], req["source"]
        _ts(req["at"])


def test_sequences_reference_existing_item_states_and_jobs(doc):
    ids = {state["id"] for state in doc["item_states"]}
    guids = {entry["job"] for entry in doc["jobs"]}
    requests = {req["source"] for req in doc["requests"]}
    items = set()
    for seq in doc["sequences"]:
        assert seq["item"] not in items
        items.add(seq["item"])
        assert seq["steps"]
        last = None
        for step in seq["steps"]:
            assert step["kind"] in ("observed", "action", "gap"), step
            for key in ("state", "before", "after"):
                if step.get(key) is not None:
                    assert step[key] in ids, (seq["item"], key, step[key])
                    assert facts.item_state(step[key])["item"] == seq["item"]
            if step["kind"] == "observed":
                assert step["state"] in ids
            if step["kind"] == "action":
                assert step["request"] in requests, step
                assert step["job"] in guids, step
            if step.get("job") is not None:
                assert step["job"] in guids, step
            when = _ts(step["at"])
            if last is not None:
                assert when >= last, (seq["item"], step["at"])
            last = when


def test_every_item_state_of_a_sequenced_item_is_in_its_sequence(doc):
    for seq in doc["sequences"]:
        used = {step.get(key) for step in seq["steps"] for key in ("state", "before", "after")}
        for state in facts.item_states(item=seq["item"]):
            assert state["id"] in used, state["id"]


def test_vocabulary_is_backed_by_item_states_and_jobs(doc):
    voc = doc["vocabulary"]
    for name, entry in voc["protection_states"].items():
        assert entry["sources"]
        for ref in entry["sources"]:
            assert any(s["protectionState"] == name for s in facts.item_states(source=ref))
    for name, entry in voc["test_failover_states"].items():
        assert any(s["testFailoverState"] == name for s in doc["item_states"])
    for name, entry in voc["job_scenarios"].items():
        assert facts.jobs(scenarioName=name)
    for pair in voc["item_currentScenario_vs_job_scenarioName"]:
        assert len(pair) == 4
        assert _as_list(pair[2])


def test_not_recorded_is_a_list_of_lines(doc):
    assert doc["not_recorded"]
    for line in doc["not_recorded"]:
        assert isinstance(line, str) and line and "\n" not in line


def test_helper_read_facts_are_marked(doc):
    marked = [s["id"] for s in doc["item_states"] if "read_by_helper" in s]
    assert "TestV2ARCMFailover#10:Rcm-W2K16-153:list" in marked
    for state_id in marked:
        assert "recording" in facts.item_state(state_id)["read_by_helper"]


def test_accessors():
    failback = facts.item_states(provider="InMageRcmFailback", protectionState="CommitPendingStatesBegin")
    assert failback and all(s["activeLocation"] == "Recovery" for s in failback)
    assert facts.item_states(from_="get", item="Rcm-W2K19-152", source="TestV2ARCMCommit") == [
        facts.item_state("TestV2ARCMCommit#11:Rcm-W2K19-152:get")]
    assert facts.item_states(scenarioName="PlannedFailover")
    assert facts.item_states(has_operation="RepairReplication")
    with pytest.raises(TypeError):
        facts.item_states(protection_state="Protected")
    assert [j["job"] for j in facts.jobs("TestFailover")] == ["cfdf53d8-2a8a-4128-81e0-ebcda7e22f18"]
    assert len(facts.requests("reProtect")) == 2
    assert facts.sequence("Rcm-W2K19-152")["steps"]
    assert facts.sequence("no-such-item") is None
    where = facts.source(facts.requests("reProtect")[0])
    assert where["repository"] == "Azure/azure-powershell"
    assert where["recording"] == "TestV2ARCMReprotect" and where["index"] == 14
    assert where["path"] == facts.sources()["TestV2ARCMReprotect"]["path"]
    several = facts.source(facts.load()["mappings"][0])
    assert isinstance(several, list) and len(several) > 1
    assert facts.source("TestV2ARCMCommit#12")["commit"] == facts.sources()["TestV2ARCMCommit"]["commit"]
