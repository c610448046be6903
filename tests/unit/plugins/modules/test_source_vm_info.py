# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""dr.asr.source_vm_info end to end in-process: arguments -> exit_json/fail_json, vCenter faked at the stub."""

from __future__ import annotations

import ssl
from unittest import mock

import pytest
import yaml

from ansible_collections.dr.asr.plugins.modules import source_vm_info
from ansible_collections.dr.asr.tests.unit.plugins.module_utils._vsphere.fake_vcenter import (
    PASSWORD, SMART_CONNECT, small_inventory)
from ansible_collections.dr.asr.tests.unit.plugins.modules.utils import (
    fail_module, patch_exit_json, run_module, set_module_args)


@pytest.fixture
def fake(monkeypatch):
    patch_exit_json(monkeypatch)
    fake, _refs = small_inventory()
    with mock.patch(SMART_CONNECT, fake.smart_connect):
        yield fake


def args(fake, **extra):
    base = dict(hostname="vcenter.lab.local", username=fake.user, password=fake.password)
    base.update(extra)
    return base


def run(fake, check_mode=False, **extra):
    with set_module_args(args(fake, **extra), check_mode=check_mode):
        return run_module(source_vm_info.main)


def fail(fake, **extra):
    with set_module_args(args(fake, **extra)):
        return fail_module(source_vm_info.main)


def test_lists_every_vm_and_changes_nothing(fake):
    result = run(fake)
    assert result["changed"] is False
    assert [vm["name"] for vm in result["vms"]] == ["app-api-01", "fs-archive-01", "legacy-app-01", "ora-rac-01",
                                                    "test-vm-01", "web-01", "web-02", "win-dc-01"]
    assert fake.calls["Logout"] == 1  # the session is closed


def test_filters_are_passed_through(fake):
    result = run(fake, names=["web-*", "win-dc-01"], folder="Production", cluster="Prod-Cluster", datacenter="DC1")
    assert [vm["name"] for vm in result["vms"]] == ["web-01", "web-02"]


def test_name_alias_and_templates(fake):
    assert [vm["name"] for vm in run(fake, name=["tmpl-*"])["vms"]] == []
    assert [vm["name"] for vm in run(fake, name=["tmpl-*"], include_templates=True)["vms"]] == ["tmpl-rhel9"]


def test_nothing_matches_is_an_empty_list(fake):
    assert run(fake, names=["no-such-vm"])["vms"] == []


def test_check_mode_returns_the_same(fake):
    assert run(fake, check_mode=True) == run(fake)


def test_wrong_password_fails_clearly(fake):
    result = fail(fake, password="not-the-password")
    assert "rejected the login of user 'administrator@vsphere.local'" in result["msg"]
    assert result["error"]["code"] == "InvalidLogin" and result["error"]["kind"] == "vsphere"
    assert "Check username and password" in result["msg"]
    assert "not-the-password" not in str(result) and PASSWORD not in str(result)


def test_tls_failure_hints_at_ca_path(fake):
    fake.connect_error = ssl.SSLCertVerificationError(1, "certificate verify failed: unable to get local issuer")
    result = fail(fake)
    assert result["error"]["code"] == "TLSVerificationFailed"
    assert "ca_path" in result["msg"]


def test_missing_hostname_names_the_parameter(fake, monkeypatch):
    monkeypatch.delenv("VMWARE_HOST", raising=False)
    result = fail(fake, hostname=None)
    assert "'hostname'" in result["msg"] and result["error"]["kind"] == "input"
    assert fake.calls["SmartConnect"] == 0


def test_unknown_cluster_fails(fake):
    result = fail(fake, cluster="Nope")
    assert result["error"]["code"] == "NotFound" and "cluster named 'Nope'" in result["msg"]


def test_documentation_matches_the_argument_spec():
    doc = yaml.safe_load(source_vm_info.DOCUMENTATION)
    options = doc["options"]
    assert sorted(options) == sorted(source_vm_info.ARGUMENT_SPEC)
    for name, spec in source_vm_info.ARGUMENT_SPEC.items():
        assert options[name]["type"] == spec["type"], name
        assert options[name].get("default") == spec.get("default"), name
        assert options[name].get("elements") == spec.get("elements"), name
        assert sorted(options[name].get("aliases", [])) == sorted(spec.get("aliases", [])), name
    assert doc["extends_documentation_fragment"] == ["dr.asr.vsphere"]
    assert doc["attributes"]["check_mode"]["support"] == "full"


def test_return_documents_every_key(fake):
    returned = yaml.safe_load(source_vm_info.RETURN)["vms"]["contains"]
    vm = run(fake, names=["web-02"])["vms"][0]
    assert sorted(vm) == sorted(returned)
    assert sorted(vm["disks"][0]) == sorted(returned["disks"]["contains"])
    assert sorted(vm["nics"][0]) == sorted(returned["nics"]["contains"])
    nested = list(returned.items())
    nested += [(key, doc) for parent in ("disks", "nics") for key, doc in returned[parent]["contains"].items()]
    for key, doc in nested:
        assert doc.get("description") and doc.get("type") and ("sample" in doc or "contains" in doc), key
