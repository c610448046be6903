"""ASR job helpers: job names from LRO headers, the busy job of a target, job facts, failed jobs, and
the probe's call budget (one GET for a job, one list for many)."""
import pytest

from ansible_collections.dr.asr.plugins.module_utils._asr import jobs
from ansible_collections.dr.asr.plugins.module_utils._azure.policies import SEND_ONCE

V = "/Subscriptions/s/resourceGroups/rg/providers/Microsoft.RecoveryServices/vaults/v"


def test_job_name_from_location_like_powershell():
    item = V + "/replicationFabrics/f/replicationProtectionContainers/c/replicationProtectedItems/i"
    headers = {"Location": item + "/operationresults/6f1b-42?api-version=2025-08-01",
               "Azure-AsyncOperation": V + "/replicationOperationStatus/other?api-version=2025-08-01"}
    assert jobs.job_name_from_headers(headers) == "6f1b-42"


def test_job_name_falls_back_to_async_operation_and_request_id():
    assert jobs.job_name_from_headers({"Azure-AsyncOperation": V + "/replicationOperationStatus/j1?x=1"}) == "j1"
    assert jobs.job_name_from_headers({"x-ms-request-id": V + "/replicationJobs/j2"}) == "j2"
    assert jobs.job_name_from_headers({"x-ms-request-id": "8c1d2f"}) is None


@pytest.mark.parametrize("scenario,expected", [
    ({"scenarioName": "TestFailover", "jobId": V + "/replicationJobs/abc"}, "abc"),
    ({"scenarioName": "None", "jobId": V + "/replicationJobs/None", "startTime": "1753-01-01T01:01:01Z"}, None),
    (None, None),
])
def test_scenario_job_name(scenario, expected):
    assert jobs.scenario_job_name({"properties": {"currentScenario": scenario}}) == expected


FAILED = {"id": V + "/replicationJobs/j9", "name": "j9", "properties": {
    "scenarioName": "TestFailover", "friendlyName": "Test failover", "state": "Failed",
    "tasks": [{"name": "t1", "friendlyName": "Prerequisites check", "state": "Failed"}],
    "errors": [{"serviceErrorDetails": {"code": "28031", "message": "Test failover is not allowed.",
                                        "possibleCauses": "A drill runs.", "recommendedAction": "Clean it up."},
                "providerErrorDetails": None}]}}


def test_failed_job_becomes_an_error_with_asr_details():
    facts = jobs.job_facts(FAILED)
    assert facts["state"] == "Failed" and facts["tasks"][0]["friendly_name"] == "Prerequisites check"
    err = jobs.job_error(facts, "Test failover of web-01")
    assert err.code == "28031"
    assert "j9" in err.message and "Test failover is not allowed." in err.message
    assert (err.possible_causes, err.recommended_action) == ("A drill runs.", "Clean it up.")
    assert err.details["job"]["name"] == "j9"


def test_provider_error_is_used_when_service_error_is_missing():
    job = {"name": "j", "properties": {"state": "Failed", "errors": [
        {"providerErrorDetails": {"errorCode": 95117, "errorMessage": "Push install failed",
                                  "recommendedAction": "Power on the VM."}}]}}
    facts = jobs.job_facts(job)
    assert facts["errors"][0] == {"code": "95117", "message": "Push install failed", "possible_causes": None,
                                  "recommended_action": "Power on the VM."}


class FakeJobsOps(object):
    def __init__(self, states):
        self.states = states
        self.gets = 0
        self.lists = 0

    def get(self, rg, vault, name):
        self.gets += 1
        return {"name": name, "properties": {"state": self.states[name]}}

    def list(self, rg, vault, filter=None):  # pylint: disable=redefined-builtin
        self.lists += 1
        return [{"name": n, "properties": {"state": s}} for n, s in self.states.items()]


class FakeClients(object):
    def __init__(self, ops):
        self.ops = ops

    def client(self, kind):
        return type("C", (), {"replication_jobs": self.ops})()


def test_probe_lists_once_for_many_jobs_and_gets_once_for_one():
    ops = FakeJobsOps({"a": "InProgress", "b": "Succeeded", "c": "Failed", "x": "InProgress"})
    j = jobs.Jobs(FakeClients(ops), "rg", "v")
    probe = j.probe(["a", "b", "c"])()
    assert not probe.done and probe.progress == "2 of 3 jobs ended"
    assert (ops.lists, ops.gets) == (1, 0)
    ops.states["a"] = "Succeeded"
    probe = j.probe(["a", "b", "c"])()
    assert probe.done and set(probe.value) == {"a", "b", "c"}
    # at the end of the wait the failed one, listed without tasks, is read whole (what failed never comes from a
    # list's silence); the succeeded ones are not
    assert (ops.lists, ops.gets) == (2, 1)
    single = j.probe(["x"])()
    assert not single.done and (ops.lists, ops.gets) == (2, 2)


# -- a start whose answer was lost ----------------------------------------------------------------------------
def _failing_begin(exc):
    def begin(*args, **kwargs):
        raise exc
    return begin


def _lost_answer():
    from azure.core.exceptions import ServiceResponseError
    return ServiceResponseError("Connection aborted: the remote end closed the connection without a response")


def test_a_lost_answer_attaches_to_the_job_the_operation_started():
    looked = []
    name = jobs.start(_failing_begin(_lost_answer()), "Failing over web-01", recover=lambda: looked.append(1) or "job-7")
    assert name == "job-7" and looked == [1]


def test_a_lost_answer_with_no_job_on_the_target_is_sent_again_after_a_second_look():
    calls, looks, sleeps = [], [], []

    def begin(*args, **kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise _lost_answer()
        method = kwargs["polling"]
        method.initial_response = _Initial(202, {"Location": V + "/replicationJobs/j-2/operationresults/j-2"})
    name = jobs.start(begin, "Failing over web-01", recover=lambda: looks.append(1), sleep=sleeps.append)
    assert name == "j-2" and len(calls) == 2 and len(looks) == 2 and sleeps == [jobs.RESEND_DELAY]
    # the pipeline is told never to send it again by itself (_azure.policies.SendOnceRetryPolicy)
    assert all(c[SEND_ONCE] is True for c in calls)


def test_a_job_found_by_the_second_look_is_taken_and_nothing_is_sent_again():
    calls, looks = [], []

    def recover():
        looks.append(1)
        return "job-7" if len(looks) == 2 else None
    name = jobs.start(_counting_begin(calls, _lost_answer()), "Failing over web-01", recover=recover,
                      sleep=lambda s: None)
    assert name == "job-7" and len(calls) == 1


def test_a_write_that_keeps_failing_is_sent_resends_plus_one_times_then_reported():
    from ansible_collections.dr.asr.plugins.module_utils._errors import AzureError
    calls, sleeps = [], []
    with pytest.raises(AzureError) as info:
        jobs.start(_counting_begin(calls, _lost_answer()), "Failing over web-01", recover=lambda: None,
                   sleep=sleeps.append)
    assert info.value.code == "ServiceResponseError" and "Failing over web-01 failed" in info.value.message
    assert len(calls) == 1 + jobs.RESENDS
    assert sleeps == [jobs.RESEND_DELAY * 2 ** n for n in range(jobs.RESENDS)]


def test_a_conflict_or_an_unsent_request_is_looked_at_but_not_sent_again():
    from ansible_collections.dr.asr.plugins.module_utils._errors import AzureError
    from azure.core.exceptions import ServiceRequestError
    for error in (_http_error(409, "990004"), ServiceRequestError("refused")):
        calls, looks = [], []
        with pytest.raises(AzureError):
            jobs.start(_counting_begin(calls, error), "Failing over web-01", recover=lambda: looks.append(1),
                       sleep=lambda s: pytest.fail("waited to send again"))
        assert len(calls) == 1 and len(looks) == 1


def test_the_answers_retry_after_sets_the_pause_before_the_second_look():
    from ansible_collections.dr.asr.plugins.module_utils._errors import AzureError
    calls, sleeps = [], []
    with pytest.raises(AzureError):
        jobs.start(_counting_begin(calls, _http_error(503, "ServiceUnavailable", {"Retry-After": "7"})),
                   "Failing over web-01", recover=lambda: None, sleep=sleeps.append)
    assert sleeps == [7.0] * jobs.RESENDS and len(calls) == 1 + jobs.RESENDS


def test_without_a_way_to_look_nothing_is_sent_again():
    from ansible_collections.dr.asr.plugins.module_utils._errors import AzureError
    calls = []
    with pytest.raises(AzureError):
        jobs.start(_counting_begin(calls, _http_error(503, "ServiceUnavailable")), "Failing over web-01")
    assert len(calls) == 1


class _Initial(object):
    def __init__(self, status, headers):
        self.http_response = type("R", (), {"status_code": status, "headers": headers})()


def _counting_begin(calls, exc):
    def begin(*args, **kwargs):
        calls.append(kwargs)
        raise exc
    return begin


def _http_error(status, code, headers=None):
    from azure.core.exceptions import HttpResponseError

    class Resp(object):
        status_code = status
        reason = "Error"

        def __init__(self):
            self.headers = dict(headers or {})

        def text(self):
            return '{"error": {"code": "%s", "message": "failed"}}' % code

    return HttpResponseError(response=Resp())


def test_a_refusal_is_not_recovered():
    from azure.core.exceptions import HttpResponseError
    from ansible_collections.dr.asr.plugins.module_utils._errors import AzureError

    class Resp(object):
        status_code = 400
        reason = "Bad Request"
        headers = {}

        def text(self):
            return '{"error": {"code": "BadRequest", "message": "not allowed"}}'

    err = HttpResponseError(response=Resp())
    with pytest.raises(AzureError):
        jobs.start(_failing_begin(err), "Failing over web-01", recover=lambda: pytest.fail("looked again"))


@pytest.mark.parametrize("code,status,expected", [
    ("ServiceResponseError", None, True), ("ServiceRequestError", None, True), ("990004", 409, True),
    ("ServiceResponseTimeoutError", None, True),
    ("InternalServerError", 500, True), ("BadGateway", 502, True), ("990003", 400, False), ("NotFound", 404, False),
])
def test_uncertain(code, status, expected):
    from ansible_collections.dr.asr.plugins.module_utils._errors import AzureError
    assert jobs.uncertain(AzureError("x", code=code, status=status)) is expected
