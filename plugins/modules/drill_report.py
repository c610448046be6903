#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: drill_report
short_description: Write the report of a DR drill - JSON, JUnit XML and a self-contained HTML page
version_added: 1.0.0
description:
  - Takes what a DR drill (test failover) collected - the recovery plans and VMs drilled, the ASR jobs as
    M(dr.asr.job_info) returns them, the test VMs as M(dr.asr.recovered_vm_info) returns them, the smoke checks'
    results and the cleanup - and judges and measures it. Writes the report into a directory as JSON (for machines),
    JUnit XML (for CI systems and AWX - one testcase per check per recovery plan and VM) and one self-contained HTML
    page (inline CSS, no external assets).
  - B(RTO) is measured from the ASR job timestamps - a recovery plan's from its test failover job's start to its end, a
    VM of a plan from the job's start to the end of its boot group's task, a VM drilled on its own from its job's start
    to its end.
  - B(RPO) is the time between the recovery point the job used (the job's C(customDetails), else the point the drill
    chose) and the start of the job.
  - The checks - the test failover job succeeded, the test VM exists and runs, all its NICs are in the test network,
    the optional RTO/RPO targets, the smoke checks, and the cleanup left nothing behind - each pass, fail or are
    skipped (with the reason).
  - Runs on the controller (delegate it to C(localhost)); used by the C(dr.asr.drill) role.
author:
  - dr.asr maintainers (@dr-asr)
options:
  path:
    description:
      - Directory the report files go to; created when missing.
    type: path
    required: true
  name:
    description:
      - Base name of the files - C(<name>.json), C(<name>.xml) and C(<name>.html).
    type: str
    default: drill-report
  formats:
    description:
      - Which files to write.
    type: list
    elements: str
    choices: [json, junit, html]
    default: [json, junit, html]
  facts:
    description:
      - What the drill collected (the keys below; others are ignored).
      - C(title), C(started), C(ended) (ISO 8601), C(vault) (C(name), C(resource_group)), C(test_network),
        C(check_mode), C(resumed_cleanup) (this run only finished the cleanup of an interrupted drill - the drill's
        own checks are skipped), C(error) (why the drill stopped, if it did), C(rto_target_seconds),
        C(rpo_target_seconds).
      - C(plans) - per recovery plan - C(name), C(groups) (C(group), C(vms) - as M(dr.asr.recovery_plan_info) returns
        them), C(action), C(job) (the test failover job), C(cleanup) (C(action), C(job), C(error), C(comments)),
        C(error).
      - C(vms) - per VM - C(name), C(item_name), C(plan), C(action), C(job) (a VM drilled on its own),
        C(recovery_point) (C(name), C(time), C(type)), C(test_network_id), C(test_vm) (read while the drill was
        up), C(left_behind) (resource ids still there after the cleanup), C(smoke) (C(name), C(host), C(rc),
        C(stdout), C(stderr), C(passed), C(message), C(skipped)), C(cleanup), C(error).
    type: dict
    required: true
  mode:
    description: File mode of the report files.
    type: raw
    default: "0644"
attributes:
  check_mode:
    support: full
    description: Builds the report and tells which files would change; writes nothing.
  diff_mode:
    support: none
    description: No diff of the report files is returned.
  idempotent:
    support: full
    description: The report depends on the facts only (no generation time); a file with the same content is not
      rewritten.
seealso:
  - module: dr.asr.test_failover
  - module: dr.asr.recovered_vm_info
  - module: dr.asr.job_info
'''

EXAMPLES = r'''
- name: Write the drill report
  dr.asr.drill_report:
    path: /var/lib/dr/reports
    name: drill-rp-shop-20261126T0800
    facts:
      title: Quarterly drill of rp-shop
      vault: {name: rsv-dr-weu, resource_group: rg-dr}
      plans:
        - name: rp-shop
          groups: "{{ plan.recovery_plans[0].groups }}"
          job: "{{ tfo_job.jobs[0] }}"
          cleanup: {action: start, job: "{{ cleanup_job.jobs[0] }}"}
      vms:
        - name: web-01
          plan: rp-shop
          test_network_id: "{{ test_vnet_id }}"
          test_vm: "{{ test_vms.vms[0] }}"
          left_behind: []
  delegate_to: localhost
  register: drill_report

- name: Fail the pipeline when a check failed
  ansible.builtin.fail:
    msg: "{{ drill_report.report.failed_checks | join('; ') }}"
  when: drill_report.result == 'failed'
'''

RETURN = r'''
files:
  description: The report files (written, or that would be in check mode), by format.
  returned: always
  type: dict
  sample: {json: /var/lib/dr/reports/drill.json, junit: /var/lib/dr/reports/drill.xml, html: /var/lib/dr/reports/drill.html}
result:
  description: V(passed) (no check failed), V(failed), or V(check mode).
  returned: always
  type: str
  sample: passed
counts:
  description: Number of checks - C(total), C(passed), C(failed), C(skipped).
  returned: always
  type: dict
  sample: {total: 14, passed: 14, failed: 0, skipped: 0}
report:
  description:
    - The report as written to the JSON file - C(result), C(counts), C(max_rto_seconds), C(max_rpo_seconds),
      C(failed_checks), C(cleaned_up), C(left_behind), C(plans) (per plan - C(job), C(timeline) (the job's tasks with
      C(offset_seconds) and C(duration_seconds)), C(groups), C(rto_seconds), C(checks), C(cleanup)) and C(vms) (per VM
      - C(plan), C(group), C(ready_time), C(rto_seconds), C(rpo_seconds), C(recovery_point), C(test_vm), C(checks),
      C(cleanup), C(left_behind)).
  returned: always
  type: dict
'''

import os
import tempfile

from ansible_collections.dr.asr.plugins.module_utils._module import DrAsrModule
from ansible_collections.dr.asr.plugins.module_utils import _drill_report

ARGUMENT_SPEC = dict(
    path=dict(type="path", required=True),
    name=dict(type="str", default="drill-report"),
    formats=dict(type="list", elements="str", choices=["json", "junit", "html"], default=["json", "junit", "html"]),
    facts=dict(type="dict", required=True),
    mode=dict(type="raw", default="0644"),
)


def file_mode(value):
    if isinstance(value, int):
        return value
    return int(str(value), 8)


def write_if_changed(path, text, mode, check_mode):
    """Write `text` to `path` unless it holds exactly that already; True when it (would have) changed."""
    data = text.encode("utf-8")
    try:
        with open(path, "rb") as handle:
            same = handle.read() == data
    except (IOError, OSError):
        same = False
    if not same and not check_mode:
        fd, tmp = tempfile.mkstemp(prefix=".drill-report-", dir=os.path.dirname(path))
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.chmod(tmp, mode)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    elif same and not check_mode and (os.stat(path).st_mode & 0o7777) != mode:
        os.chmod(path, mode)
        return True
    return not same


def run_module(module):
    params = module.params
    report = _drill_report.build(params["facts"])
    directory = params["path"]
    changed = False
    if not os.path.isdir(directory):
        changed = True
        if not module.check_mode:
            os.makedirs(directory, 0o755)
    files = {}
    mode = file_mode(params["mode"])
    for fmt in params["formats"]:
        suffix, render = _drill_report.RENDERERS[fmt]
        path = os.path.join(directory, "%s.%s" % (params["name"], suffix))
        files[fmt] = path
        changed = write_if_changed(path, render(report), mode, module.check_mode) or changed
    return dict(changed=changed, files=files, result=report["result"], counts=report["counts"], report=report)


def main():
    module = DrAsrModule(ARGUMENT_SPEC)
    try:
        module.exit_json(**run_module(module))
    except (IOError, OSError, ValueError) as exc:
        module.fail_json(msg="Could not write the drill report to %s: %s" % (module.params["path"], exc))


if __name__ == "__main__":
    main()
