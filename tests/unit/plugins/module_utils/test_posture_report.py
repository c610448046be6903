"""The posture report (module_utils/_posture_report.py): judged checks, JSON, JUnit XML, HTML (also in Chromium)."""
import json
import os
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.dr.asr.plugins.module_utils import _posture_report as pr
from ansible_collections.dr.asr.plugins.module_utils._errors import InputError
from ansible_collections.dr.asr.tests.unit.plugins.module_utils.posture_facts import facts
from ansible_collections.dr.asr.tests.unit.plugins.module_utils.test_drill_report_screenshot import (
    CHROMIUM, near, read_png, screenshot)


def check(report, target, name):
    for entry in report["vms"] + report["plans"] + report["appliances"]:
        if entry["name"] == target:
            return next(c for c in entry["checks"] if c["name"] == name)
    raise AssertionError("no %s of %s" % (name, target))


def test_rpo_over_the_target_fails_and_names_both():
    report = pr.build(facts())
    rpo = check(report, "db-01", "RPO")
    assert rpo["status"] == "failed" and rpo["message"] == "RPO 1h 10m is over the target of 30m 00s (max_rpo_minutes)"
    assert check(report, "web-01", "RPO")["status"] == "passed"
    assert report["over_rpo"] == ["db-01"] and report["max_rpo_seconds"] == 4200
    plan = check(report, "rp-shop", "RPO")
    assert plan["status"] == "failed" and "1h 10m" in plan["message"]
    assert report["result"] == "failed"
    assert "db-01: RPO: RPO 1h 10m is over the target of 30m 00s (max_rpo_minutes)" in report["failed_checks"]


def test_no_rpo_target_is_not_judged_and_no_rpo_is_skipped():
    f = facts()
    f["thresholds"]["max_rpo_minutes"] = None
    f["vms"][0].update(rpo_seconds=None, progress=42)
    report = pr.build(f)
    assert check(report, "db-01", "RPO")["status"] == "passed"
    skipped = check(report, "web-01", "RPO")
    assert skipped["status"] == "skipped" and "initial replication 42%" in skipped["message"]


def test_drill_age():
    report = pr.build(facts())
    web = check(report, "web-01", "last drill")
    assert web["status"] == "passed" and "7.0 days ago" in web["message"]
    assert check(report, "db-01", "last drill")["status"] == "failed"
    assert report["never_drilled"] == ["db-01"]
    f = facts()
    f["thresholds"]["max_drill_age_days"] = 5
    assert "older than max_drill_age_days 5" in check(pr.build(f), "web-01", "last drill")["message"]
    f["thresholds"]["max_drill_age_days"] = None
    assert check(pr.build(f), "db-01", "last drill")["status"] == "warning"


def test_health_errors_carry_asr_recommended_action():
    report = pr.build(facts())
    health = check(report, "db-01", "replication health")
    assert health["status"] == "warning"
    assert "Error 78052: The RPO is 70 minutes. Recommended action: Check the source machine." in health["message"]
    f = facts()
    f["thresholds"]["max_health_errors"] = 0
    assert check(pr.build(f), "db-01", "replication health")["status"] == "failed"
    assert check(pr.build(f), "web-01", "replication health")["status"] == "passed"


def test_agent_behind_warns_or_fails():
    report = pr.build(facts())
    agent = check(report, "db-01", "agent version")
    assert agent["status"] == "warning" and agent["message"] == "agent 9.60.1.1 is behind the newest 9.62.7172.1"
    assert report["agents_behind"] == ["db-01"]
    f = facts()
    f["thresholds"]["allow_agent_behind"] = False
    assert check(pr.build(f), "db-01", "agent version")["status"] == "failed"
    f["newest_agent_version"] = "9.63.0.0"     # the appliance's, newer than ASR's latest of the items
    assert check(pr.build(f), "web-01", "agent version")["status"] == "failed"


@pytest.mark.parametrize("a,b", [("9.62.10.0", "9.62.9.9"), ("10.0", "9.99"), ("9.62.1", "9.62.0.7")])
def test_versions_compare_as_numbers(a, b):
    assert pr.newest_version([b, a, None, "unknown"]) == a


def test_source_gone_and_drift():
    report = pr.build(facts())
    assert check(report, "db-01", "source VM")["status"] == "failed"
    assert report["source_gone"] == ["db-01"]
    assert report["drift_check"]["status"] == "failed" and report["drift_check"]["message"] == "not protected: web-02"
    f = facts()
    f["thresholds"].update(allow_drift=True, allow_source_gone=True)
    f["vms"][0]["source_gone"] = None
    report = pr.build(f)
    assert report["drift_check"]["status"] == "warning"
    assert check(report, "db-01", "source VM")["status"] == "warning"
    assert check(report, "web-01", "source VM")["status"] == "skipped"
    f["scope"] = {"folders": [], "tags": []}
    assert pr.build(f)["drift_check"]["status"] == "skipped"


def test_appliance_health_and_load():
    assert [c["status"] for c in pr.build(facts())["appliances"][0]["checks"]] == ["passed", "passed"]
    f = facts()
    f["appliances"][0].update(health="Critical", health_errors=[{"code": "E1", "level": "Error", "message": "full",
                                                                 "recommended_action": "Add an appliance."}])
    f["appliances"][0]["load"]["disk_usage_status"] = "Critical"
    checks = pr.build(f)["appliances"][0]["checks"]
    assert [c["status"] for c in checks] == ["failed", "failed"]
    assert "Recommended action: Add an appliance." in checks[0]["message"] and "disk usage Critical" in checks[1]["message"]
    f["thresholds"]["allow_appliance_unhealthy"] = True
    assert [c["status"] for c in pr.build(f)["appliances"][0]["checks"]] == ["warning", "warning"]


def test_a_healthy_estate_passes():
    f = facts()
    f["vms"] = f["vms"][:1]
    f["plans"][0]["vms"] = ["web-01"]
    f["drift"] = []
    report = pr.build(f)
    assert report["result"] == "passed" and report["failed_checks"] == [] and report["counts"]["failed"] == 0


@pytest.mark.parametrize("change,field,expected", [
    (lambda f: f.update(vms={"web-01": {}}), "facts.vms", "a list of dictionaries"),
    (lambda f: f["vms"][0].update(rpo_seconds="a minute"), "facts.vms[0].rpo_seconds", "a whole number"),
    (lambda f: f["thresholds"].update(allow_drift="perhaps"), "facts.thresholds.allow_drift", "true or false"),
    (lambda f: f["vms"][1]["errors"][0].update(code=["x"]), "facts.vms[1].errors[0].code", "a string"),
    (lambda f: f["vms"].append(None), "facts.vms[2]", "a dictionary"),
    (lambda f: f["appliances"][0]["health_errors"].append(None), "facts.appliances[0].health_errors[0]", "a dictionary"),
])
def test_wrong_shaped_facts_name_the_field(change, field, expected):
    bad = facts()
    change(bad)
    with pytest.raises(InputError) as err:
        pr.build(bad)
    assert "'%s'" % field in str(err.value) and expected in str(err.value)


def test_text_numbers_are_taken():
    f = facts()
    f["thresholds"]["max_rpo_minutes"] = "60"
    f["vms"][1]["rpo_seconds"] = "4200"
    assert check(pr.build(f), "db-01", "RPO")["status"] == "failed"


def test_json_and_junit():
    report = pr.build(facts())
    assert json.loads(pr.to_json(report))["over_rpo"] == ["db-01"]
    root = ET.fromstring(pr.to_junit(report))
    assert [s.get("name") for s in root] == ["virtual machines", "recovery plans", "appliances", "drift"]
    assert int(root.get("failures")) == report["counts"]["failed"] == len(root.findall(".//failure"))
    failure = root.find(".//testcase[@classname='posture.db-01'][@name='RPO']/failure")
    assert failure.get("message").startswith("RPO 1h 10m is over")
    warning = root.find(".//testcase[@classname='posture.db-01'][@name='agent version']/system-out")
    assert warning.text.startswith("warning: agent 9.60.1.1")


def test_html_is_self_contained_and_escapes():
    f = facts()
    f["vms"][1]["errors"][0]["message"] = "<script>alert(1)</script>"
    page = pr.to_html(pr.build(f))
    assert page.startswith("<!DOCTYPE html>") and "<script>" not in page and "&lt;script&gt;" in page
    assert "http://" not in page.split("</style>", maxsplit=1)[0] and "src=" not in page
    assert "Recommended action: <b>Check the source machine.</b>" in page and "web-02" in page


def test_report_renders_in_chromium(tmp_path):
    assert CHROMIUM, "chromium is not installed: scripts/setup installs it (bindep.txt, profile test)"
    page = tmp_path / "posture.html"
    page.write_text(pr.to_html(pr.build(facts())), encoding="utf-8")
    png = tmp_path / "posture.png"
    screenshot(str(page), str(png), str(tmp_path / "profile"))
    width, height, rows = read_png(str(png))
    assert width >= 1000 and height >= 1000
    assert near(rows[20][20], (0x0b, 0x3d, 0x6e))                        # the header band
    pixels = [p for row in rows[:1500:3] for p in row[::3]]
    assert any(near(p, (0xfd, 0xe0, 0xe0), 6) for p in pixels)           # a failed badge
    assert any(near(p, (0xfe, 0xf3, 0xc7), 6) for p in pixels)           # a warning badge
    assert any(near(p, (0xd6, 0xf5, 0xe3), 6) for p in pixels)           # a passed badge
    assert os.path.getsize(str(png)) > 10000
