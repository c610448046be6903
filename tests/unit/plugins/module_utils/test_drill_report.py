"""_drill_report: RTO/RPO from ASR job timestamps, the checks, and the three renderings."""
import json
import xml.etree.ElementTree as ET

from ansible_collections.dr.asr.plugins.module_utils import _drill_report as dr

from ansible_collections.dr.asr.tests.unit.plugins.module_utils.drill_facts import PROD_NET, facts


def vms(report):
    return dict((v["name"], v) for v in report["vms"])


def test_rto_and_rpo_come_from_the_job_timestamps():
    report = dr.build(facts())
    plan = report["plans"][0]
    assert plan["rto_seconds"] == 750                       # 08:00:00.12 -> 08:12:30
    by = vms(report)
    assert by["db-01"]["group"] == 1 and by["db-01"]["rto_seconds"] == 300          # end of Group 1
    assert by["web-01"]["group"] == 2 and by["web-01"]["rto_seconds"] == 720        # end of Group 2
    assert by["web-01"]["rpo_seconds"] == 120                                       # 07:58 -> job start
    assert by["web-01"]["recovery_point"] == {"time": "2026-11-26T07:58:00Z", "name": "p-web1", "source": "job"}
    assert by["app-01"]["plan"] is None and by["app-01"]["rto_seconds"] == 480 and by["app-01"]["rpo_seconds"] == 60
    assert report["max_rto_seconds"] == 750 and report["max_rpo_seconds"] == 300
    assert plan["vms"] == ["db-01", "web-01", "web-02"]
    assert [g["duration_seconds"] for g in plan["groups"]] == [270, 420]
    assert [r["group"] for r in plan["timeline"]] == [None, 1, 2, None]


def test_everything_passes():
    report = dr.build(facts())
    assert report["result"] == "passed" and report["counts"]["failed"] == 0
    names = [c["name"] for c in vms(report)["web-01"]["checks"]]
    assert names == ["test VM exists", "test VM running", "NICs in the test network", "smoke: http", "cleanup"]
    assert [c["name"] for c in vms(report)["app-01"]["checks"]][0] == "test failover"
    assert report["cleaned_up"] == ["db-01", "web-01", "web-02", "app-01"]


def test_failures_are_named():
    f = facts()
    f["vms"][1]["test_vm"] = dict(f["vms"][1]["test_vm"], power_state="stopped")
    f["vms"][2]["test_vm"]["nics"][0].update(network_id=PROD_NET, network="vnet-dr-recovery")
    f["vms"][0]["smoke"][0].update(rc=3, passed=False, message="rc=3 on db-01", stdout="boom")
    f["vms"][3]["left_behind"] = ["/s/nic/nic-app-01-00-test"]
    report = dr.build(f)
    assert report["result"] == "failed" and report["counts"]["failed"] == 4
    assert "web-01: test VM running: power state stopped" in report["failed_checks"]
    assert any(c.startswith("web-02: NICs in the test network: nic-web-02-00-test (vnet-dr-recovery) not in")
               for c in report["failed_checks"])
    assert "app-01: cleanup: left behind: nic-app-01-00-test" in report["failed_checks"]
    assert report["left_behind"] == ["/s/nic/nic-app-01-00-test"]


def test_missing_test_vm_and_failed_job():
    f = facts()
    f["vms"][0]["test_vm"] = dict(exists=False, vm_name="db-01-test")
    f["vms"][3]["job"] = dict(f["vms"][3]["job"], state="Failed", end_time=None)
    by = vms(dr.build(f))
    assert [c["status"] for c in by["db-01"]["checks"][:3]] == ["failed", "skipped", "skipped"]
    app = by["app-01"]["checks"]
    assert app[0]["status"] == "failed" and app[1]["status"] == "skipped" and "is Failed" in app[1]["message"]
    assert by["app-01"]["rto_seconds"] is None


def test_targets_and_check_mode():
    f = facts()
    f.update(rto_target_seconds=600, rpo_target_seconds=150)
    by = vms(dr.build(f))
    rto = dict((c["name"], c["status"]) for c in by["web-01"]["checks"])
    assert rto["RTO"] == "failed" and rto["RPO"] == "passed"
    assert dict((c["name"], c["status"]) for c in by["db-01"]["checks"])["RPO"] == "failed"   # 5 minutes
    check = dr.build(dict(facts(), check_mode=True, plans=[dict(name="rp-shop", action="start", groups=[])],
                          vms=[dict(name="x", action="start")]))
    assert check["result"] == "check mode" and check["counts"]["failed"] == 0


def test_a_stopped_drill_fails_and_no_cleanup_is_skipped():
    f = facts()
    f["error"] = {"task": "Wait", "message": "timeout"}
    f["plans"][0]["cleanup"] = {}
    for vm in f["vms"]:
        vm["cleanup"] = {}
        vm["left_behind"] = None
    report = dr.build(f)
    assert report["result"] == "failed"
    assert dict((c["name"], c["status"]) for c in report["plans"][0]["checks"])["cleanup"] == "skipped"


def test_json_and_junit():
    report = dr.build(facts())
    assert json.loads(dr.to_json(report)) == json.loads(json.dumps(report))
    root = ET.fromstring(dr.to_junit(report))
    assert root.tag == "testsuites" and int(root.get("tests")) == report["counts"]["total"]
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["recovery plan rp-shop", "virtual machines"]
    cases = [c for s in suites for c in s.findall("testcase")]
    assert len(cases) == report["counts"]["total"]
    assert ("drill.web-01", "smoke: http") in [(c.get("classname"), c.get("name")) for c in cases]
    f = facts()
    f["vms"][0]["smoke"][0].update(rc=3, passed=False, message="rc=3 <&> on db-01", stdout="boom")
    failed = ET.fromstring(dr.to_junit(dr.build(f)))
    failure = failed.find(".//failure")
    assert failure.get("message") == "rc=3 <&> on db-01" and "boom" in failure.text
    assert failed.findall("testsuite")[0].get("failures") == "1"


def test_html_is_self_contained_and_escaped():
    f = facts()
    f["plans"][0]["name"] = "rp-<shop>"
    for vm in f["vms"][:3]:
        vm["plan"] = "rp-<shop>"
    page = dr.to_html(dr.build(f))
    assert page.startswith("<!DOCTYPE html>") and "<style>" in page
    assert "rp-&lt;shop&gt;" in page and "rp-<shop>" not in page
    for external in ("http://", "https://", "<script", "<link", "src="):
        assert external not in page
    assert "Group 2: Start (2)" in page and "12m 30s" in page and "Verified: no test VM" in page


def test_durations_and_times():
    assert dr.duration_text(None) == "-" and dr.duration_text(45) == "45s" and dr.duration_text(125) == "2m 05s"
    assert dr.duration_text(3725) == "1h 02m"
    assert dr.seconds_between("2026-11-26T08:00:00.9999999Z", "2026-11-26T08:00:10Z") == 9
    assert dr.parse_time("1753-01-01T01:01:01Z") is None and dr.parse_time("") is None
    assert dr.parse_time("2026-11-26T09:00:00+01:00") == dr.parse_time("2026-11-26T08:00:00Z")


def test_resumed_cleanup_skips_the_drill_checks_and_says_so():
    f = facts()
    f["resumed_cleanup"] = True
    for plan in f["plans"]:
        plan["job"] = None
    for vm in f["vms"]:
        vm["job"] = None
        vm["test_vm"] = None
        vm["smoke"] = []
    report = dr.build(f)
    assert report["resumed_cleanup"] is True
    assert report["counts"]["failed"] == 0 and report["result"] == dr.PASSED
    drill_checks = [c for p in report["plans"] for c in p["checks"] if c["name"] == "test failover"]
    drill_checks += [c for v in report["vms"] for c in v["checks"] if c["name"] in ("test failover", "test VM exists")]
    assert drill_checks and all(c["status"] == dr.SKIPPED and c["message"] == dr.RESUMED for c in drill_checks)
    assert "Cleanup only:" in dr.to_html(report)


def test_without_resume_a_missing_drill_fails():
    f = facts()
    for plan in f["plans"]:
        plan["job"] = None
    report = dr.build(f)
    assert report["resumed_cleanup"] is False
    assert any(c["name"] == "test failover" and c["status"] == dr.FAILED for p in report["plans"] for c in p["checks"])
