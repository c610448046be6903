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
from ansible_collections.dr.asr.tests.unit.plugins.module_utils._vsphere.fake_vapi import (
    REQUEST, SMALL_INVENTORY_TAGS, FakeVapi)
from ansible_collections.dr.asr.tests.unit.plugins.module_utils._vsphere.fake_vcenter import (
    PASSWORD, SMART_CONNECT, small_inventory)
from ansible_collections.dr.asr.tests.unit.plugins.modules.utils import (
    fail_module, patch_exit_json, run_module, set_module_args)


@pytest.fixture(params=["api", "rest"])
def fake(request, monkeypatch):
    """The fake vCenter (SOAP), its vAPI REST endpoint as `fake.vapi` (both dialects), tags attached."""
    patch_exit_json(monkeypatch)
    fake, refs = small_inventory()
    fake.vapi = FakeVapi(dialect=request.param)
    fake.vapi.tag_vms(refs, SMALL_INVENTORY_TAGS)
    with mock.patch(SMART_CONNECT, fake.smart_connect), mock.patch(REQUEST, fake.vapi.request_class()):
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
    assert fake.vapi.paths == [] and fake.vapi.request_kwargs is None  # no tags asked for: no REST session
    assert all("tags" not in vm for vm in result["vms"])


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
    assert run(fake, check_mode=True, tags=["tier-1"], include_tags=True) == run(fake, tags=["tier-1"],
                                                                                 include_tags=True)


def test_tags_filter_all_of_them_with_the_other_filters(fake):
    assert [vm["name"] for vm in run(fake, tags=["tier-1"])["vms"]] == ["fs-archive-01", "ora-rac-01", "win-dc-01"]
    assert [vm["name"] for vm in run(fake, tags=["DR-Tier:tier-1", "production"])["vms"]] == ["fs-archive-01"]
    assert [vm["name"] for vm in run(fake, tags=["tier-1"], folder="Production")["vms"]] == ["ora-rac-01"]
    assert run(fake, tags=["tier-1", "tier-2"])["vms"] == []


def test_include_tags_and_both_sessions_logged_out(fake):
    vms = dict((vm["name"], vm) for vm in run(fake, include_tags=True, names=["web-*", "app-*"])["vms"])
    assert vms["web-01"]["tags"] == [{"category": "DR-Tier", "name": "tier-2"},
                                     {"category": "Environment", "name": "production"}]
    assert vms["web-02"]["tags"] == [{"category": "DR-Tier", "name": "tier-2"}]
    assert vms["app-api-01"]["tags"] == []
    assert fake.vapi.calls["list-attached-tags-on-objects"] == 1
    assert (fake.vapi.calls["login"], fake.vapi.calls["logout"], fake.calls["Logout"]) == (1, 1, 1)
    assert not fake.vapi.sessions


def test_unknown_tag_fails_naming_it_and_the_known_tags(fake):
    result = fail(fake, tags=["tier-1", "Tier-9"])
    assert result["error"]["kind"] == "input" and result["error"]["details"]["parameter"] == "tags"
    assert "Invalid value for parameter 'tags': 'Tier-9'" in result["msg"]
    assert "Known tags: DR-Tier:tier-1, DR-Tier:tier-2, DR-Tier:tier-3, Environment:production" in result["msg"]
    assert (fake.vapi.calls["logout"], fake.calls["Logout"]) == (1, 1)  # logged out on failure too


def test_tagging_api_refused_is_a_vsphere_error(fake):
    fake.vapi.errors["list-attached-objects-on-tags"] = (403, "Permission to perform this operation was denied.")
    result = fail(fake, tags=["tier-1"])
    assert result["error"]["kind"] == "vsphere" and result["error"]["code"] == "Unauthorized"
    assert result["error"]["status"] == 403 and "System.Read" in result["msg"]
    assert PASSWORD not in str(result)


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
    assert doc["extends_documentation_fragment"] == ["dr.asr.vsphere", "dr.asr.query"]
    assert doc["attributes"]["check_mode"]["support"] == "full"


def test_return_documents_every_key(fake):
    returned = yaml.safe_load(source_vm_info.RETURN)["vms"]["contains"]
    vm = run(fake, names=["web-02"], include_tags=True)["vms"][0]
    assert sorted(vm) == sorted(returned)
    conditional = set(k for k, d in returned["disks"]["contains"].items() if d.get("returned", "always") != "always")
    assert conditional == {"bus_sharing"}
    assert sorted(vm["disks"][0]) == sorted(set(returned["disks"]["contains"]) - conditional)
    assert sorted(vm["nics"][0]) == sorted(returned["nics"]["contains"])
    assert sorted(vm["tags"][0]) == sorted(returned["tags"]["contains"])
    assert returned["tags"]["returned"] == "when O(include_tags=true)"
    nested = list(returned.items())
    nested += [(key, doc) for parent in ("disks", "nics", "tags") for key, doc in returned[parent]["contains"].items()]
    for key, doc in nested:
        assert doc.get("description") and doc.get("type") and ("sample" in doc or "contains" in doc), key
