#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: posture_report
short_description: Write the DR posture report of a vault - JSON, JUnit XML and a self-contained HTML page
version_added: 1.0.0
description:
  - Takes what the estate looks like now - the protected items, recovery plans and appliances as the dr.asr info
    modules return them, the VMs of the protected vCenter folders and tags that are not protected - and judges it
    against thresholds. Writes the report into a directory as JSON (for machines), JUnit XML (for CI systems and AWX -
    one testcase per check per VM, recovery plan and appliance) and one self-contained HTML page (inline CSS, no
    external assets), in the style of M(dr.asr.drill_report).
  - Per VM - B(RPO) now (ASR's C(lastRpoInSeconds)) against the target C(thresholds.max_rpo_minutes) (an C(InMageRcm)
    replication policy states no RPO target, only its recovery point history and snapshot frequencies, which the
    report shows next to each VM);
    replication health and each health error with ASR's possible causes and recommended action; the Mobility agent
    against the newest version; the age of the last successful test failover; whether the source VM is gone.
  - Per recovery plan - the RPO of its worst member and the age of its last test failover. Per appliance - its
    health, heartbeat and load (the process server's CPU, memory, disk, throughput and system load status).
  - Drift - VMs in the protected folders and tags that are not protected.
  - Each check passes, warns, fails or is skipped (with the reason); RV(result) is V(failed) when a check failed.
    The module itself does not fail on a failed check - the C(dr.asr.posture) role fails the play after the report
    is written.
  - Optionally uploads the files to an Azure Blob Storage container, as M(dr.asr.drill_report) does.
  - Runs on the controller (delegate it to C(localhost)); used by the C(dr.asr.posture) role, whose filter
    C(dr.asr.posture_facts) makes the facts from the info modules' results.
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
    default: posture-report
  facts:
    description:
      - What the estate looks like (the keys below; others are ignored). Each key's type is checked first - a list
        where a dictionary belongs, or text where a number belongs, is refused naming the field
        (C(facts.vms[0].rpo_seconds)) before anything is written; numbers and booleans given as text are taken.
      - C(title), C(as_of) (ISO 8601 - the time ages are measured at), C(vault) (C(name), C(resource_group)),
        C(scope) (C(folders), C(tags) - what counts as protected), C(newest_agent_version), C(check_mode).
      - C(thresholds) - C(max_rpo_minutes), C(max_drill_age_days), C(max_health_errors) (per VM), C(allow_drift),
        C(allow_source_gone), C(allow_agent_behind) (false - an agent behind fails; else it warns),
        C(allow_appliance_unhealthy); an unset threshold is not judged (a warning at most).
      - C(vms) - per protected VM - C(name), C(item_name), C(plan), C(policy), C(policy_frequency_minutes),
        C(policy_retention_hours),
        C(state), C(phase), C(health), C(errors) (C(code), C(level), C(category), C(message), C(possible_causes),
        C(recommended_action), C(created)), C(rpo_seconds), C(rpo_calculated_time), C(progress), C(agent)
        (C(version), C(latest_version)), C(last_successful_test_failover_time), C(appliance), C(source_gone),
        C(source_gone_reason) (C(source_gone) null - not checked).
      - C(plans) - C(name), C(vms), C(last_test_failover_time), C(allowed_operations).
      - C(appliances) - C(name), C(health), C(version), C(last_heartbeat), C(protected_item_count),
        C(health_errors), C(load) (the process server's C(*_status) and usage fields).
      - C(drift) - C(name), C(folder), C(tags) of each VM in scope that is not protected.
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
    description: The report depends on the facts only (C(as_of) is one of them); a file with the same content is not
      rewritten, a blob with the same MD5 and size not uploaded again.
seealso:
  - module: dr.asr.drill_report
  - module: dr.asr.protected_item_info
  - module: dr.asr.appliance_info
  - module: dr.asr.source_vm_info
  - name: Monitor Site Recovery (replication health, RPO, health errors)
    description: What ASR reports about replicated items.
    link: https://learn.microsoft.com/azure/site-recovery/site-recovery-monitor-and-troubleshoot
'''

EXAMPLES = r'''
- name: Write the posture report from facts made by the dr.asr.posture_facts filter
  dr.asr.posture_report:
    path: /var/lib/dr/reports
    name: "posture-{{ now(utc=true).strftime('%Y%m%d') }}"
    facts: "{{ posture_facts }}"
  delegate_to: localhost
  register: posture

- name: Page someone when a check failed (after the report is written)
  ansible.builtin.fail:
    msg: "{{ posture.report.failed_checks | join('; ') }}"
  when: posture.result == 'failed'
'''

RETURN = r'''
files:
  description: The report files (written, or that would be in check mode), by format.
  returned: always
  type: dict
  sample: {json: /var/lib/dr/reports/posture.json, junit: /var/lib/dr/reports/posture.xml,
           html: /var/lib/dr/reports/posture.html}
result:
  description: V(passed) (every check passed or was skipped), V(warning) (a check warned, none failed) or V(failed).
  returned: always
  type: str
  sample: failed
counts:
  description: Number of checks - C(total), C(passed), C(warning), C(failed), C(skipped).
  returned: always
  type: dict
  sample: {total: 24, passed: 20, warning: 2, failed: 1, skipped: 1}
blobs:
  description: The blobs' URLs (without a SAS), by format; empty when nothing is uploaded.
  returned: always
  type: dict
uploads:
  description: Per file uploaded or found unchanged - C(format), C(url), C(action), C(changed), C(content_md5), C(size).
  returned: when O(blob_url) or O(storage_account) is set
  type: list
  elements: dict
report:
  description:
    - The report as written to the JSON file - C(result), C(counts), C(failed_checks), C(max_rpo_seconds),
      C(oldest_drill_age_seconds), C(never_drilled), C(over_rpo), C(agents_behind), C(source_gone), C(health_errors),
      C(drift) and C(drift_check), C(vms) (per VM its facts, C(rpo_target_seconds), C(drill_age_seconds) and
      C(checks)), C(plans) and C(appliances) (each with C(checks)).
  returned: always
  type: dict
'''

from ansible_collections.dr.asr.plugins.module_utils import _posture_report, _report_files
from ansible_collections.dr.asr.plugins.module_utils._report_files import REPORT_ARGUMENT_SPEC

ARGUMENT_SPEC = dict(REPORT_ARGUMENT_SPEC, name=dict(type="str", default="posture-report"),
                     facts=dict(type="dict", required=True))


def main():
    _report_files.main(ARGUMENT_SPEC, _posture_report.build, _posture_report.RENDERERS, "posture report", "posture-20261207")


if __name__ == "__main__":
    main()
