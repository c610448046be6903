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
  - Optionally uploads the files to an Azure Blob Storage container (O(blob_url), or O(storage_account) and
    O(container)) - where an AWX job's report outlives its execution environment - with the module's Azure credentials
    (Microsoft Entra ID) or a SAS; a blob that already holds the same bytes is not uploaded again.
  - Runs on the controller (delegate it to C(localhost)); used by the C(dr.asr.drill) role.
author:
  - dr.asr maintainers (@dr-asr)
options:
  name:
    description:
      - Base name of the files - C(<name>.json), C(<name>.xml) and C(<name>.html) in O(path), and the blobs'
        names after O(blob_prefix).
      - A file name only - a name with a path separator (C(/) or C(\)) or C(..) is refused before anything is
        written.
    type: str
    default: drill-report
  facts:
    description:
      - What the drill collected (the keys below; others are ignored). Each key's type is checked first - a list where
        a dictionary belongs, or text where a number belongs, is refused naming the field (C(facts.vms[0].smoke[1].rc))
        before anything is written; numbers and booleans given as text (survey answers, C(-e)) are taken.
      - C(title), C(started), C(ended) (ISO 8601), C(vault) (C(name), C(resource_group)), C(test_network),
        C(check_mode), C(resumed_cleanup) (this run only finished the cleanup of an interrupted drill - the drill's
        own checks are skipped), C(error) (why the drill stopped, if it did), C(rto_target_seconds),
        C(rpo_target_seconds).
      - C(plans) - per recovery plan - C(name), C(groups) (C(group), C(vms) - as M(dr.asr.recovery_plan_info) returns
        them), C(action), C(job) (the test failover job), C(cleanup) (C(action), C(job), C(error), C(comments)),
        C(hooks) (C(name), C(status), C(message), ...), C(error).
      - C(vms) - per VM - C(name), C(item_name), C(plan), C(action), C(job) (a VM drilled on its own),
        C(recovery_point) (C(name), C(time), C(type)), C(test_network_id), C(test_vm) (read while the drill was
        up), C(left_behind) (resource ids still there after the cleanup), C(smoke) (C(name), C(host), C(rc),
        C(stdout), C(stderr), C(passed), C(message), C(skipped)), C(cleanup), C(error).
    type: dict
    required: true
extends_documentation_fragment:
  - dr.asr.report_files
  - dr.asr.azure
attributes:
  check_mode:
    support: full
    description: Builds the report, tells which files would change and reads the blobs' properties to tell which
      would be uploaded; writes and uploads nothing.
  diff_mode:
    support: partial
    description: The diff names each file and blob with its MD5 before and after, not the contents.
  idempotent:
    support: full
    description: The report depends on the facts only (no generation time); a file with the same content is not
      rewritten, a blob with the same MD5 and size not uploaded again.
seealso:
  - module: dr.asr.test_failover
  - name: Put Blob (Azure Storage REST API)
    description: The request that uploads each file.
    link: https://learn.microsoft.com/rest/api/storageservices/put-blob
  - name: Authorize with Microsoft Entra ID (Azure Storage)
    description: Bearer tokens for https://storage.azure.com/ and the data roles they need.
    link: https://learn.microsoft.com/rest/api/storageservices/authorize-with-azure-active-directory
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

- name: Write the drill report and keep it in a blob container (AWX throws the execution environment away)
  dr.asr.drill_report:
    path: "{{ playbook_dir }}/reports"
    name: "drill-{{ ansible_date_time.iso8601_basic_short }}"
    facts: "{{ drill_facts }}"
    blob_url: https://stdrreports.blob.core.windows.net/drill-reports
    blob_prefix: rp-shop/
  delegate_to: localhost
  register: drill_report

- name: The same with a SAS instead of Microsoft Entra ID, the account found through Azure Resource Manager
  dr.asr.drill_report:
    path: /tmp/reports
    facts: "{{ drill_facts }}"
    storage_account: stdrreports
    container: drill-reports
    sas_token: "{{ reports_sas }}"
  delegate_to: localhost

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
blobs:
  description: The blobs' URLs (without a SAS), by format; empty when nothing is uploaded.
  returned: always
  type: dict
  sample: {json: https://stdrreports.blob.core.windows.net/drill-reports/rp-shop/drill.json}
uploads:
  description:
    - Per file uploaded (or that would be in check mode) or found unchanged - C(format), C(url), C(action)
      (V(created), V(updated), V(unchanged)), C(changed), C(content_md5) (base64, as Azure shows it) and C(size).
  returned: when O(blob_url) or O(storage_account) is set
  type: list
  elements: dict
  sample:
    - {format: json, url: https://stdrreports.blob.core.windows.net/drill-reports/drill.json, action: created,
       changed: true, content_md5: 1B2M2Y8AsgTpgAmY7PhCfg==, size: 5120}
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

from ansible_collections.dr.asr.plugins.module_utils import _drill_report, _report_files
# the writer shared with dr.asr.posture_report
from ansible_collections.dr.asr.plugins.module_utils._report_files import REPORT_ARGUMENT_SPEC

ARGUMENT_SPEC = dict(REPORT_ARGUMENT_SPEC, name=dict(type="str", default="drill-report"),
                     facts=dict(type="dict", required=True))


def main():
    _report_files.main(ARGUMENT_SPEC, _drill_report.build, _drill_report.RENDERERS, "drill report", "drill-20261126T0800")


if __name__ == "__main__":
    main()
