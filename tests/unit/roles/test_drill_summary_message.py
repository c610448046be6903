# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The drill role's last word (roles/drill/tasks/summary.yml) rendered by the ansible-core this suite runs: a drill
that stopped on an error says where and why, with the failed checks and where the report is - not a templating error
(under ansible-core 2.19 a dict used as a condition replaced the reason with one). Runs ansible-playbook on localhost
with the summary's inputs as a drill leaves them; nothing else (no lab)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

PLAYBOOK = """
- name: The drill's summary
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Summary
      ansible.builtin.include_role:
        name: dr.asr.drill
        tasks_from: summary.yml
"""


def report(error=None, failed_checks=()):
    checks = [dict(name=c, status="failed", message="rc=3", target="web-01", kind="vm", details={}) for c in failed_checks]
    counts = dict(total=len(checks), passed=0, failed=len(checks), skipped=0)
    return dict(changed=True, files={"json": "/tmp/r/drill.json", "html": "/tmp/r/drill.html"}, blobs={}, report=dict(
        result="failed", check_mode=False, error=error, counts=counts,
        failed_checks=["web-01: %s: rc=3" % c for c in failed_checks], left_behind=[], cleaned_up=["web-01"],
        max_rto_seconds=None, max_rpo_seconds=None, plans=[], vms=[]))


def run(tmp_path, drill_report, cleanup=True, fail_on_checks=True):
    (tmp_path / "summary.yml").write_text(PLAYBOOK)
    extra = {"__drill_report": drill_report,
             "__drill_in": {"drill_cleanup": cleanup, "drill_fail_on_check_failure": fail_on_checks}}
    (tmp_path / "vars.json").write_text(json.dumps(extra))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".lab", "collections"),
               ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1", HOME=str(tmp_path))
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,", "-c", "local",
           str(tmp_path / "summary.yml"), "-e", "@" + str(tmp_path / "vars.json")]
    return subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          timeout=300, check=False)


def test_a_drill_that_stopped_says_where_and_why(tmp_path):
    done = run(tmp_path, report(error={"task": "Start | the test failovers", "message": "plan rp-shop: job failed"},
                                failed_checks=["smoke: http"]))
    assert done.returncode != 0
    assert "The drill stopped at 'Start | the test failovers': plan rp-shop: job failed." in done.stdout, done.stdout
    assert "1 check(s) failed: web-01: smoke: http: rc=3." in done.stdout
    assert "It was cleaned up - report /tmp/r/drill.html" in done.stdout
    assert "rror while" not in done.stdout + done.stderr and "Conditional" not in done.stdout + done.stderr


@pytest.mark.parametrize("fail_on_checks, rc_zero", [(True, False), (False, True)])
def test_failed_checks_fail_the_role_only_when_asked(tmp_path, fail_on_checks, rc_zero):
    done = run(tmp_path, report(failed_checks=["smoke: http"]), fail_on_checks=fail_on_checks)
    assert (done.returncode == 0) is rc_zero, done.stdout + done.stderr
    if not rc_zero:
        assert "1 check(s) failed: web-01: smoke: http: rc=3." in done.stdout
        assert "The drill stopped" not in done.stdout
