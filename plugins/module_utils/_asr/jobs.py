# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ASR jobs: start an operation without the SDK's per-operation poller, learn its job, wait on jobs.

Every mutating ASR call runs as a job. We take the job name from the first response (as Az
PowerShell does: `Location: .../operationresults/{job}`), so that
* many operations started in one module run are awaited with ONE vault-wide job list per poll
  (not a poller thread and a GET per item), and
* a rerun after an interruption finds the running job on the target (`currentScenario.jobId`) and
  waits for it instead of starting the operation again, and
* a write is never sent twice blindly (`start`): after an answer that may mean it ran (a gateway error, a lost
  answer) the target is looked at first; the write is sent again only when it shows that nothing started.
"""

from __future__ import annotations

import re
import time

from ansible_collections.dr.asr.plugins.module_utils._errors import AzureError
from ansible_collections.dr.asr.plugins.module_utils._waiter import Probe
from ansible_collections.dr.asr.plugins.module_utils._azure.errors import azure_errors
from ansible_collections.dr.asr.plugins.module_utils._azure.models import as_dict
from ansible_collections.dr.asr.plugins.module_utils._azure.policies import SEND_ONCE

try:
    from azure.core.polling import PollingMethod
except ImportError:  # reported by DrAsrModule through missing_required_lib
    PollingMethod = object

FINAL_STATES = ("Succeeded", "Failed", "Cancelled", "Canceled", "Other")
#: a job that does not run on by itself: it ended, or waits at a manual action
STOPPED_STATES = FINAL_STATES + ("Suspended",)
#: a stopped job whose tasks and errors say what to do: it failed, was cancelled, or waits at a manual action
ATTENTION_STATES = ("Failed", "Cancelled", "Canceled", "Suspended")
_JOB_IN_URL = (re.compile(r"/operationresults/([^/?]+)", re.I),
               re.compile(r"/replicationOperationStatus/([^/?]+)", re.I),
               re.compile(r"/replicationJobs/([^/?]+)", re.I))
IDLE_JOB_NAMES = ("", "none")
#: the $filter of "jobs that are running" (Az PowerShell: Get-AzRecoveryServicesAsrJob -State InProgress)
RUNNING_FILTER = "JobStatus eq 'InProgress'"


class JobStart(PollingMethod):
    """A polling method that does not poll: it keeps the first response so we can read its headers."""

    def __init__(self):
        self.initial_response = None

    def initialize(self, client, initial_response, deserialization_callback):
        self.initial_response = initial_response

    def run(self):
        return None

    def status(self):
        return "accepted"

    def finished(self):
        return True

    def resource(self):
        return None


def job_name_from_headers(headers):
    for header in ("Location", "Azure-AsyncOperation", "x-ms-request-id"):
        value = headers.get(header) or ""
        for pattern in _JOB_IN_URL:
            match = pattern.search(value)
            if match:
                return match.group(1)
    return None


# Errors after which the service may have started the operation although the caller did not learn it:
# the answer was lost (connection closed after the request went out, or no answer in time), a gateway error (the
# provider may have accepted it), or a conflict with a running operation (the first request runs).
UNCERTAIN_CODES = ("ServiceResponseError", "ServiceResponseTimeoutError", "ServiceRequestError")
UNCERTAIN_STATUS = (409, 500, 502, 503, 504)
# ... and after which the request is sent again once its target shows that nothing started (not after a conflict:
# something else runs there; not after ServiceRequestError: the pipeline sent it again already, it never left)
RESEND_CODES = ("ServiceResponseError", "ServiceResponseTimeoutError")
RESEND_STATUS = (500, 502, 503, 504)
#: how often one write is sent again after uncertain answers (each time only when nothing started)
RESENDS = 3
#: seconds between the two looks at the target before a write is sent again (doubled per resend; a Retry-After of
#: the answer wins): a job the service registers a moment after it answered is found by the second look
RESEND_DELAY = 2.0
MAX_RESEND_DELAY = 60.0


def uncertain(err):
    """True when, after `err`, the operation may be running anyway (see UNCERTAIN_*)."""
    return err.code in UNCERTAIN_CODES or err.status in UNCERTAIN_STATUS


def resendable(err):
    """True when, after `err` and a target that shows nothing started, the request may be sent again."""
    return err.code in RESEND_CODES or err.status in RESEND_STATUS


def retry_after(err):
    """The Retry-After (seconds) of the answer behind an AzureError, or None."""
    response = getattr(err.__cause__, "response", None)
    headers = getattr(response, "headers", None) or {}
    try:
        value = float(headers.get("Retry-After"))
    except (TypeError, ValueError):
        return None
    return max(0.0, value)


def start(begin, what, *args, recover=None, sleep=time.sleep, **kwargs):
    """Call an SDK `begin_*` method; return the name of the job the service started for it.

    The request is never sent twice blindly: the pipeline does not send it again after an answer that may mean it
    ran (`_azure.policies.SendOnceRetryPolicy`, SEND_ONCE). After an uncertain failure (`uncertain`) `recover()`,
    when given, looks at the target again and returns the name of the job the target now runs (or ran) *for this
    operation*, or None: that job is returned as if the request had answered, so an operation whose answer was lost
    is awaited, not started a second time. When it shows nothing after a gateway error or a lost answer
    (`resendable`), it looks once more after a pause (RESEND_DELAY, or the answer's Retry-After), and only then sends
    the request again (RESENDS times at most). Without `recover` nothing is sent again.
    """
    kwargs[SEND_ONCE] = True
    resends = 0
    while True:
        method = JobStart()
        try:
            with azure_errors(what):
                begin(*args, polling=method, **kwargs)
        except AzureError as err:
            if recover is None or not uncertain(err):
                raise
            running = recover()
            if running:
                return running
            if not resendable(err) or resends >= RESENDS:
                raise
            pause = retry_after(err)
            sleep(min(MAX_RESEND_DELAY, pause if pause is not None else RESEND_DELAY * (2 ** resends)))
            running = recover()
            if running:
                return running
            resends += 1
            continue
        break
    response = method.initial_response.http_response
    name = job_name_from_headers(response.headers)
    if name is None and response.status_code in (200, 204):
        return None  # completed synchronously
    if name is None:
        raise AzureError("%s: the service accepted the request but named no job (status %s)." % (what, response.status_code),
                         code="NoJob")
    return name


def scenario_job_name(resource):
    """The job a protected item or recovery plan is busy with (`currentScenario.jobId`), or None."""
    scenario = ((resource or {}).get("properties") or {}).get("currentScenario") or {}
    job_id = scenario.get("jobId") or ""
    name = job_id.rstrip("/").rsplit("/", 1)[-1]
    return None if name.lower() in IDLE_JOB_NAMES else name


def _details(error):
    service = error.get("serviceErrorDetails") or {}
    provider = error.get("providerErrorDetails") or {}
    return dict(code=service.get("code") or (str(provider["errorCode"]) if provider.get("errorCode") is not None else None),
                message=service.get("message") or provider.get("errorMessage"),
                possible_causes=service.get("possibleCauses") or provider.get("possibleCauses"),
                recommended_action=service.get("recommendedAction") or provider.get("recommendedAction"))


def _manual_action(task):
    """The recovery plan action a task of a plan job is (ManualActionTaskDetails {name, instructions, observation}:
    the action's name as the plan defines it), or None for any other task."""
    details = task.get("customDetails") or {}
    if details.get("instanceType") != "ManualActionTaskDetails":
        return None
    return dict(name=details.get("name"), instructions=details.get("instructions"))


def job_facts(job):
    """A job as the modules return it (snake_case)."""
    props = (job or {}).get("properties") or {}
    return dict(
        id=job.get("id"), name=job.get("name"), scenario=props.get("scenarioName"),
        friendly_name=props.get("friendlyName"), state=props.get("state"),
        state_description=props.get("stateDescription"), start_time=props.get("startTime"),
        end_time=props.get("endTime"), allowed_actions=props.get("allowedActions") or [],
        target_object_id=props.get("targetObjectId"), target_object_name=props.get("targetObjectName"),
        target_instance_type=props.get("targetInstanceType"),
        tasks=[dict(name=t.get("name"), friendly_name=t.get("friendlyName"), state=t.get("state"),
                    start_time=t.get("startTime"), end_time=t.get("endTime"), manual_action=_manual_action(t))
               for t in props.get("tasks") or []],
        errors=[_details(e) for e in props.get("errors") or []],
        custom_details=props.get("customDetails") or {},
    )


def job_error(facts, what):
    """AzureError for a failed job, with ASR's code, causes and action from its first error."""
    first = (facts.get("errors") or [{}])[0]
    message = "%s: job %s (%s) ended %s" % (what, facts.get("name"), facts.get("friendly_name") or facts.get("scenario"),
                                            facts.get("state"))
    if first.get("message"):
        message += ": " + first["message"]
    return AzureError(message, code=first.get("code"), possible_causes=first.get("possible_causes"),
                      recommended_action=first.get("recommended_action"), details={"job": facts})


class Jobs(object):
    """The jobs of one vault."""

    def __init__(self, clients, resource_group, vault):
        self._clients = clients
        self.resource_group = resource_group
        self.vault = vault

    @property
    def _ops(self):
        return self._clients.client("siterecovery").replication_jobs

    def get(self, name):
        with azure_errors("Reading job %s" % name):
            return job_facts(as_dict(self._ops.get(self.resource_group, self.vault, name)))

    def list(self, odata_filter=None):
        with azure_errors("Listing jobs of vault %s" % self.vault):
            return [job_facts(as_dict(j)) for j in self._ops.list(self.resource_group, self.vault, filter=odata_filter)]

    def read(self, names, since=None):
        """{name: facts} of the jobs: one GET for a single job, one vault-wide list (jobs started since `since`) for
        many, a GET for one not listed."""
        names = set(n for n in names if n)
        if len(names) == 1:
            return {job["name"]: job for job in [self.get(next(iter(names)))]}
        odata = "StartTime eq '%s'" % since if since else None  # Az PowerShell's JobQueryParameter
        seen = dict((job["name"], job) for job in self.list(odata) if job["name"] in names) if names else {}
        for name in names - set(seen):  # older than the filter window, or not listed yet
            seen[name] = self.get(name)
        return seen

    def complete(self, seen):
        """`seen` with the jobs that failed or wait at a manual action but were listed without tasks read whole (a
        GET): what went wrong, or what a job waits for, never comes from a list's silence. Real lists can be sparser
        than a GET; no recording shows a job list, so this costs nothing where they are not. Once, at a wait's end."""
        out = dict(seen)
        for name, job in seen.items():
            if job.get("state") in ATTENTION_STATES and not job.get("tasks"):
                out[name] = self.get(name)
        return out

    def probe(self, names, since=None):
        """A waiter probe over several jobs (`read`): done when none runs any more - every job ended, or waits at a
        manual action (Suspended: a person has to act, waiting longer would not help). The progress names the
        running tasks."""
        names = set(n for n in names if n)

        def look():
            if not names:
                return Probe(True, value={})
            seen = self.read(names, since)
            running = [n for n, j in seen.items() if j.get("state") not in STOPPED_STATES]
            if not running:
                seen = self.complete(seen)
            tasks = []
            for name in running:
                current = [t for t in seen[name].get("tasks") or [] if t.get("state") == "InProgress"]
                if current:
                    tasks.append(current[0].get("friendly_name") or current[0].get("name"))
            progress = "%d of %d jobs ended" % (len(seen) - len(running), len(seen))
            if tasks:
                progress += "; running: " + ", ".join(tasks[:5])
            return Probe(not running, value=seen, progress=progress)
        return look

    def running(self, targets):
        """Jobs still running on any of `targets` ((name, target type) pairs: a policy, a mapping, a plan).

        One vault-wide list with the service's $filter; the target is matched here (ASR's targetObjectId is an
        internal id callers cannot know, targetObjectName is the policy's, mapping's or plan's name).
        """
        wanted = set((name.lower(), kind.lower()) for name, kind in targets if name)
        if not wanted:
            return []
        out = []
        for job in self.list(RUNNING_FILTER):
            key = ((job.get("target_object_name") or "").lower(), (job.get("target_instance_type") or "").lower())
            if key in wanted and job.get("state") not in FINAL_STATES:
                out.append(job)
        return out

    def latest_of(self, resource):
        """The newest job of a protected item or plan (one job list, matched by its target like job_info)."""
        p = (resource or {}).get("properties") or {}
        keys = set(k.lower() for k in (resource.get("name"), p.get("friendlyName"), (
            p.get("providerSpecificDetails") or {}).get("internalIdentifier"), resource.get("id")) if k)
        found = [j for j in self.list() if (j.get("target_object_name") or "").lower() in keys or
                 (j.get("target_object_id") or "").lower() in keys]
        found.sort(key=lambda j: j.get("start_time") or "", reverse=True)
        return found[0] if found else None

    def ended(self, resources):
        """The names of the jobs the resources' currentScenario names that do not run any more: ASR keeps a failed
        job there [recorded: an EnablingFailed item], so a currentScenario is no proof of a running job. One GET
        for one job, one vault-wide list (from the oldest start) for many."""
        starts = {}
        for resource in resources:
            name = scenario_job_name(resource)
            if name:
                scenario = ((resource.get("properties") or {}).get("currentScenario") or {})
                start = scenario.get("startTime") or ""
                starts[name] = None if start.startswith("1753") else start or None
        if not starts:
            return set()
        times = [t for t in starts.values() if t]
        try:
            seen = self.read(list(starts), min(times) if len(starts) > 1 and times else None)
        except AzureError as err:
            if err.status != 404:
                raise
            seen = {}
            for name in starts:         # one of them is gone (jobs are kept for a limited time): it ended
                try:
                    seen[name] = self.get(name)
                except AzureError as gone:
                    if gone.status != 404:
                        raise
                    seen[name] = {"state": "Other"}
        return set(name for name, facts in seen.items() if (facts or {}).get("state") in FINAL_STATES)

    def wait(self, names, waiter, what, since=None):
        """Wait until no job runs (`probe`); return {name: job facts}. Failed jobs are returned, not raised."""
        return waiter.until(self.probe(names, since), what)
