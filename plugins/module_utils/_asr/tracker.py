# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one job tracker of a module run: every ASR write of dr.asr starts, recovers, attaches to and waits for its
jobs here.

    tracker = JobTracker(vault, params)              # one per module run: its deadline is wait_timeout from now
    tracker.start(entry, begin, what, *args, recover=...)   # entry.job = the job ASR started (no SDK poller)
    tracker.start_each([Start(entry, begin, what, args, recover), ...])   # many entries, CONCURRENCY at a time
    tracker.wait(entries)                            # together: one GET for one job, one vault-wide list per poll
    tracker.look(entries)                            # one look without waiting (wait=false)
    tracker.attach(targets, what)                    # wait for jobs an earlier, interrupted run left running
    tracker.progress()                               # what the last look saw, for the module's `progress`

An *entry* is anything that runs a job (`Entry`: a protected item or plan of an action, a VM of a protect batch,
a policy or plan write): the tracker sets its `job` and `job_facts`, and its `error` when the job failed.

* Start: after an uncertain answer (the request may have run: lost answer, gateway error, conflict), `recover()`
  looks for the job the target runs (or ran) for this write and returns it, so a write is never sent twice blind:
  it is sent again only when the target shows that nothing started (jobs.start).
* Wait: one deadline for every wait of the run (wait_timeout); a timeout raises WaitTimeout with the jobs' last
  facts on the entries (the caller reports the partial result). A job that ended or waits at a manual action
  (Suspended) ends the wait: a failed job becomes its entry's error, a suspended one a warning.
"""

from __future__ import annotations

import threading
import time
from collections import namedtuple
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.dr.asr.plugins.module_utils._errors import AzureError, WaitTimeout
from ansible_collections.dr.asr.plugins.module_utils._waiter import Waiter
from ansible_collections.dr.asr.plugins.module_utils._asr import jobs
from ansible_collections.dr.asr.plugins.module_utils._asr.common import props
from ansible_collections.dr.asr.plugins.module_utils._asr.state import suspended_task


#: one write of start_each: start(entry, begin, what, *args, recover=recover)
Start = namedtuple("Start", "entry begin what args recover")


class Entry(object):
    """One thing of a run that runs a job."""

    label = ""

    def __init__(self):
        self.action = "none"       # none | attach (its own job runs) | after_job (another job runs first) | start | ...
        self.job = None
        self.job_facts = None
        self.extra_jobs = []       # jobs awaited with it (the busy members of a plan)
        self.error = None
        self.warnings = []
        self.changed = False
        self.followup = False      # decide again once the awaited job ended

    def fail(self, error):
        if self.error is None:
            self.error = error

    def job_what(self):
        """What its job does, for the error of a failed job: "Test failover of web-01"."""
        return "The job of %s" % self.label

    def running_resource(self):
        """The resource whose currentScenario names the job it attached to (its start time bounds the job list)."""
        return None

    def attached_start(self):
        if self.action not in ("attach", "after_job"):
            return None
        return (props(self.running_resource()).get("currentScenario") or {}).get("startTime")


class JobTracker(object):
    """The jobs of one module run (see the module docstring)."""

    #: how a write's errors name what it did
    VERBS = {"create": "Creating", "update": "Updating", "delete": "Deleting"}

    def __init__(self, vault, params, warn=None):
        self.vault = vault
        self.params = params
        self.warn = warn or (lambda message: None)
        self.deadline = time.monotonic() + (params.get("wait_timeout") or 0)
        self.first_started = None       # the run's first started job: its start time bounds the job lists
        self.ended = set()              # jobs a currentScenario names that ended (ASR keeps failed ones there)
        self.seen = {}                  # name -> the job's facts, as the last look saw them
        self.summary = None             # what the run waits for after its jobs, as its last look saw it

    def waiter(self):
        """A Waiter for what is left of the run's one deadline."""
        return Waiter(timeout=max(0, int(self.deadline - time.monotonic() + 0.999)), sleep=self.params["wait_sleep"])

    # -- what runs on the targets ---------------------------------------------------------------------------------
    def check_ended(self, resources):
        """Read (once) the jobs the resources' currentScenario names; remember the ones that ended."""
        self.ended |= self.vault.jobs.ended(resources)
        return self.ended

    def busy_job(self, resource):
        """The job that runs on an item now (its currentScenario, unless known to have ended), or None."""
        name = jobs.scenario_job_name(resource)
        return None if name in self.ended else name

    # -- start ---------------------------------------------------------------------------------------------------
    def start(self, entry, begin, what, *args, recover=None):
        """Send one write (`begin`, an SDK begin_* method) for the entry; its job becomes `entry.job`. An Azure
        error becomes the entry's error (the other entries go on)."""
        entry.job_facts = None
        try:
            entry.job = jobs.start(begin, what, *args, recover=recover)
        except AzureError as err:
            entry.fail(err)
            return None
        if self.first_started is None and entry.job:
            self.first_started = entry.job
        return entry.job

    #: action requests in flight at once (one per VM: ASR answers each with 202 and a job; 500 VMs one at a time
    #: spend minutes in round trips alone)
    CONCURRENCY = 8

    def start_each(self, starts):
        """start() for each Start, in order until one of them started a job - the first job's start is the earliest
        start the waits look for (since()), so it is sent alone - then CONCURRENCY at a time. A recovery after an
        uncertain answer (it reads the vault and its jobs) runs one at a time. An error that is not an Azure error
        (a bug) is raised once every write was sent."""
        starts = list(starts)
        while starts and self.first_started is None:
            item = starts.pop(0)
            self.start(item.entry, item.begin, item.what, *item.args, recover=item.recover)
        if len(starts) <= 1:
            for item in starts:
                self.start(item.entry, item.begin, item.what, *item.args, recover=item.recover)
            return
        lock = threading.Lock()

        def one_at_a_time(recover):
            def call():
                with lock:
                    return recover()
            return call if recover is not None else None

        with ThreadPoolExecutor(max_workers=min(self.CONCURRENCY, len(starts))) as pool:
            futures = [pool.submit(self.start, item.entry, item.begin, item.what, *item.args,
                                   recover=one_at_a_time(item.recover)) for item in starts]
        for future in futures:
            future.result()

    def start_write(self, begin, what, *args, target=None, recover=None):
        """Send one write of a policy, mapping, plan or job and return its job (None: ASR did it at once). After an
        uncertain answer `recover()` says whether it was done (see jobs.start); by default the job running on `target`
        ((name, target type)) is taken as its job."""
        if recover is None and target:
            def recover():
                return self.running_job(target)
        name = jobs.start(begin, what, *args, recover=recover)
        if self.first_started is None and name:
            self.first_started = name
        return name

    def running_job(self, target):
        found = self.vault.jobs.running([target])
        return sorted(found, key=lambda j: j.get("start_time") or "")[-1]["name"] if found else None

    # -- wait ----------------------------------------------------------------------------------------------------
    def since(self, entries):
        """The earliest start (service clock) of the jobs awaited: the attached jobs' and the run's first one."""
        times = [e.attached_start() for e in entries]
        if self.first_started:
            times.append(self.vault.jobs.get(self.first_started).get("start_time"))
        times = [t for t in times if t and not t.startswith("1753")]
        return min(times) if times else None

    def _pending(self, entries):
        return [e for e in entries if e.job and e.error is None and
                (e.job_facts or {}).get("state") not in jobs.STOPPED_STATES]

    @staticmethod
    def _names(pending):
        names = set()
        for entry in pending:
            names.add(entry.job)
            names.update(entry.extra_jobs)
        return names

    def wait(self, entries, waiter=None):
        """Wait for the entries' jobs together; a failed job becomes its entry's error (not the error of an entry
        that only waited for another job first), a suspended one a warning."""
        pending = self._pending(entries)
        names = self._names(pending)
        if not names:
            return
        what = "%d jobs" % len(names) if len(names) > 1 else "job %s (%s)" % (pending[0].job, pending[0].label)
        probe = self.vault.jobs.probe(names, self.since(pending) if len(names) > 1 else None)
        try:
            seen = (waiter or self.waiter()).until(self._remember(probe), what)
        except WaitTimeout as err:
            for entry in pending:
                entry.job_facts = (err.partial or {}).get(entry.job) or entry.job_facts
            raise
        for entry in pending:
            self._judge(entry, seen.get(entry.job) or {})

    def _remember(self, probe):
        def look():
            found = probe()
            self.seen.update(found.value or {})
            return found
        return look

    def _judge(self, entry, facts):
        entry.job_facts = facts
        state = facts.get("state")
        if state == "Suspended":
            task = suspended_task(facts)
            at = " (%s)" % task.get("friendly_name") if task else ""
            entry.warnings.append("Job %s of %s waits at a manual action%s: resume it with dr.asr.job "
                                  "(action=resume) once done." % (entry.job, entry.label, at))
        elif state != "Succeeded" and entry.action != "after_job":
            entry.fail(jobs.job_error(facts, entry.job_what()))

    def look(self, entries):
        """One look at the entries' started jobs (one GET, or one list for many) for the report, without waiting."""
        pending = [e for e in entries if e.job and e.error is None and e.job_facts is None]
        if not pending:
            return
        # the start time filters a list of many jobs; one job is read with one GET (since() would GET it too)
        since = self.since(pending) if len(set(e.job for e in pending)) > 1 else None
        seen = self._remember(self.vault.jobs.probe([e.job for e in pending], since))().value or {}
        for entry in pending:
            entry.job_facts = seen.get(entry.job)

    def wait_names(self, names, what):
        """Wait for jobs of writes that must succeed (a policy, a mapping, a plan); a job that did not succeed raises
        its ASR error. Returns their facts."""
        names = [n for n in names if n]
        if not names:
            return []
        done = self.vault.jobs.wait(names, self.waiter(), what)
        self.seen.update(done)
        for name in names:
            job = done.get(name) or {}
            if job.get("state") != "Succeeded":
                raise jobs.job_error(job, what)
        return [done[n] for n in names]

    def attach(self, targets, what, check=None):
        """Before a write: wait for the jobs an earlier, interrupted run left running on `targets` ((name, target
        type) pairs). `check(running)` may refuse them first. Returns the names waited for, or None when wait=false
        says not to wait (a warning says so)."""
        running = self.vault.jobs.running(targets)
        if check is not None:
            check(running)
        if not running:
            return []
        names = [job["name"] for job in running]
        if not self.params["wait"]:
            self.warn("ASR job(s) %s still run on %s; nothing was changed. Rerun with wait=true to wait for them."
                      % (", ".join(names), what))
            return None
        # an earlier run's job that failed is not this run's error: the write is decided again on what it left
        self.seen.update(self.vault.jobs.wait(names, self.waiter(), "the running job(s) of %s" % what))
        self.vault.forget()
        return names

    # -- progress ------------------------------------------------------------------------------------------------
    def progress(self, names=None):
        """{total, ended, running: [{job, scenario, target, state, step, task}], summary} of the jobs the last look
        saw (only `names` when given) and of what the run waits for after them."""
        seen = dict((n, f) for n, f in self.seen.items() if names is None or n in names)
        running = []
        for name, facts in sorted(seen.items()):
            if (facts or {}).get("state") in jobs.STOPPED_STATES:
                continue
            tasks = facts.get("tasks") or []
            done = len([t for t in tasks if t.get("state") in jobs.FINAL_STATES])
            current = [t for t in tasks if t.get("state") == "InProgress"]
            running.append(dict(job=name, scenario=facts.get("scenario"), target=facts.get("target_object_name"),
                                state=facts.get("state"), step="%d/%d" % (done, len(tasks)) if tasks else None,
                                task=(current[0].get("friendly_name") or current[0].get("name")) if current else None))
        return dict(total=len(seen), ended=len(seen) - len(running), running=running, summary=self.summary)
