"""dr.asr.posture_report: the files written (idempotent, check mode, diff), bad input refused before anything is written.
The upload is the shared writer's (module_utils/_report_files.py), tested through dr.asr.drill_report."""
import json
import os

import pytest

from ansible_collections.dr.asr.plugins.modules import posture_report
from ansible_collections.dr.asr.tests.unit.plugins.module_utils.posture_facts import facts
from ansible_collections.dr.asr.tests.unit.plugins.modules.utils import (
    fail_module, patch_exit_json, run_module, set_module_args)


def args(tmp_path, **kw):
    out = {"path": str(tmp_path / "reports"), "name": "posture-1", "facts": facts()}
    out.update(kw)
    return out


def test_writes_the_three_files_then_changes_nothing(monkeypatch, tmp_path):
    patch_exit_json(monkeypatch)
    with set_module_args(dict(args(tmp_path), _ansible_diff=True)):
        first = run_module(posture_report.main)
    assert first["changed"] is True and first["result"] == "failed"
    assert sorted(os.path.basename(p) for p in first["files"].values()) == ["posture-1.html", "posture-1.json",
                                                                            "posture-1.xml"]
    assert [oct(os.stat(p).st_mode & 0o7777) for p in first["files"].values()] == ["0o600"] * 3
    with open(first["files"]["json"]) as handle:
        written = json.load(handle)
    assert written == json.loads(json.dumps(first["report"])) and written["over_rpo"] == ["db-01"]
    assert first["diff"]["before"][first["files"]["json"]] is None
    assert first["counts"]["failed"] == len(first["report"]["failed_checks"]) > 0
    with set_module_args(args(tmp_path)):
        again = run_module(posture_report.main)
    assert again["changed"] is False and again["files"] == first["files"]


def test_check_mode_predicts_and_writes_nothing(monkeypatch, tmp_path):
    patch_exit_json(monkeypatch)
    with set_module_args(dict(args(tmp_path), _ansible_check_mode=True)):
        result = run_module(posture_report.main)
    assert result["changed"] is True and not os.path.exists(tmp_path / "reports")
    assert result["files"]["html"].endswith("/posture-1.html")


def test_other_facts_rewrite_the_files(monkeypatch, tmp_path):
    patch_exit_json(monkeypatch)
    with set_module_args(args(tmp_path)):
        run_module(posture_report.main)
    changed = facts()
    changed["as_of"] = "2026-12-08T10:00:00Z"
    with set_module_args(args(tmp_path, facts=changed, formats=["json"])):
        result = run_module(posture_report.main)
    assert result["changed"] is True and list(result["files"]) == ["json"]


@pytest.mark.parametrize("name", ["../x", "a/b", ".."])
def test_a_name_with_a_path_is_refused(monkeypatch, tmp_path, name):
    patch_exit_json(monkeypatch)
    with set_module_args(args(tmp_path, name=name)):
        failed = fail_module(posture_report.main)
    assert "'name'" in failed["msg"] and "posture-20261207" in failed["msg"]
    assert os.listdir(tmp_path) == []


def test_wrong_facts_are_refused_naming_the_field(monkeypatch, tmp_path):
    patch_exit_json(monkeypatch)
    bad = facts()
    bad["vms"][0]["agent"] = "9.62"
    with set_module_args(args(tmp_path, facts=bad)):
        failed = fail_module(posture_report.main)
    assert "'facts.vms[0].agent'" in failed["msg"] and "a dictionary" in failed["msg"]
    assert failed["error"]["details"]["parameter"] == "facts.vms[0].agent" and os.listdir(tmp_path) == []


def test_a_sas_without_an_upload_is_refused(monkeypatch, tmp_path):
    patch_exit_json(monkeypatch)
    with set_module_args(args(tmp_path, sas_token="sv=1&sig=abc")):
        failed = fail_module(posture_report.main)
    assert "'sas_token'" in failed["msg"] and "sig=abc" not in json.dumps(failed) and os.listdir(tmp_path) == []


def test_a_directory_that_cannot_be_made_fails_cleanly(monkeypatch, tmp_path):
    patch_exit_json(monkeypatch)
    (tmp_path / "file").write_text("x")
    with set_module_args(args(tmp_path, path=str(tmp_path / "file" / "reports"))):
        failed = fail_module(posture_report.main)
    assert failed["msg"].startswith("Could not write the posture report to ") and "Traceback" not in failed["msg"]


def test_the_options_are_documented_one_to_one():
    import yaml
    from ansible_collections.dr.asr.plugins.module_utils._report_files import REPORT_ARGUMENT_SPEC
    doc = yaml.safe_load(posture_report.DOCUMENTATION)
    own = dict((k, v) for k, v in posture_report.ARGUMENT_SPEC.items() if k not in REPORT_ARGUMENT_SPEC)
    assert sorted(doc["options"]) == sorted(own) == ["facts", "name"]
    for name, spec in own.items():
        assert doc["options"][name]["type"] == spec["type"], name
        assert doc["options"][name].get("default") == spec.get("default"), name
    assert doc["extends_documentation_fragment"] == ["dr.asr.report_files", "dr.asr.azure"]
    assert posture_report.ARGUMENT_SPEC["sas_token"]["no_log"] is True
