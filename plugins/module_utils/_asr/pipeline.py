# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one pipeline of every ASR write over many targets (protect batches, DR actions on items and plans):

    resolve -> decide -> prepare -> (check mode: report the prediction) -> execute -> wait -> follow-up -> report

A *work* (`Work`: items.Batch, actions.run.Run) knows its targets; the pipeline knows the order, check mode,
waiting, the one deadline and what a timeout returns:

* resolve, decide and prepare only read; every target's input problems raise together before any write;
* execute sends one write per target that needs one (`JobTracker.start`);
* wait: the jobs together, then the follow-up (targets that waited for another job are decided again and sent),
  then whatever the work waits for after its jobs (e.g. protection); wait_timeout covers all of it;
* a timeout fails with the partial result: the targets as they are, their jobs as last seen;
* the result carries `progress` (the jobs still running, and where), which the controller-side action prints.
"""

from __future__ import annotations

from ansible_collections.dr.asr.plugins.module_utils._errors import DrAsrError, WaitTimeout


class Work(object):
    """What the pipeline runs. Subclasses fill the steps; `tracker` is the run's JobTracker."""

    tracker = None

    def resolve(self):
        """Targets from the options (vault-wide lists): InputError for all of them before anything else."""

    def decide(self):
        """Per target what to do (none, attach, after_job, start ...); refusals of every target raise together."""

    def prepare(self):
        """The request bodies of the targets to start: InputError before any write."""

    def execute(self):
        """Send the writes."""

    def entries(self):
        """The entries whose jobs are awaited."""
        return []

    def followup(self):
        """After the jobs: decide again what waited for another job, send what is still needed. True when sent."""
        return False

    def wait_more(self, waiter):
        """What the work waits for after its jobs (e.g. protection), within the same deadline."""

    def look(self):
        """wait=false: one look at the started jobs for the report."""

    def refresh(self):
        """Read the targets again for the report."""

    def report(self, predicted=False):
        """The module's result (changed, per-target results, diff)."""
        raise NotImplementedError


def run(work, check_mode, wait):
    """Run `work` through the pipeline; return the module result (with `progress`)."""
    work.resolve()
    work.decide()
    work.prepare()
    if check_mode:
        return _with_progress(work, work.report(predicted=True))
    work.execute()
    tracker = work.tracker
    try:
        if wait:
            tracker.wait(work.entries())
            if work.followup():
                tracker.wait(work.entries())
            work.wait_more(tracker.waiter())
        else:
            work.look()
    except WaitTimeout as err:
        work.refresh()
        err.partial = _with_progress(work, work.report())
        raise
    work.refresh()
    return _with_progress(work, work.report(predicted=not wait))


def _with_progress(work, result):
    entries = work.entries()
    names = set(e.job for e in entries if e.job)
    for entry in entries:
        names.update(entry.extra_jobs)
    progress = work.tracker.progress(names)
    progress["targets"] = len(entries)
    progress["failed"] = len([e for e in entries if e.error is not None])
    result["progress"] = progress
    return result


def finish(module, runner, entries_of, what="targets"):
    """main() of a pipeline module: run, warn what the targets warn, fail when a target failed (with the results);
    anything unexpected through the module's guard()."""
    with module.guard():
        _finish(module, runner, entries_of, what)


def _finish(module, runner, entries_of, what):
    try:
        result = runner(module)
    except WaitTimeout as err:
        module.fail_from(err, **_partial(err))
        return
    except DrAsrError as err:
        module.fail_from(err)
        return
    entries = entries_of(result)
    for entry in entries:
        for warning in entry.get("warnings") or []:
            module.warn(warning)
    failed = [e for e in entries if e.get("error")]
    if failed:
        module.fail_json(msg="%d of %d %s failed: %s" % (len(failed), len(entries), what, "; ".join(
            "%s: %s" % (e["name"], e["error"]["message"]) for e in failed)), **result)
    module.exit_json(**result)


def _partial(err):
    partial = err.partial or {}
    return dict(changed=partial.get("changed", False), progress=partial.get("progress"))
