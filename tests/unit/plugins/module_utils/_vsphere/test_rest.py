# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The vSphere Automation REST client: both dialects, the session, errors, tag names and the batch calls."""

from __future__ import annotations

import socket
import ssl
from unittest import mock
from urllib.error import URLError

import pytest

from ansible_collections.dr.asr.plugins.module_utils._errors import InputError, VSphereError
from ansible_collections.dr.asr.plugins.module_utils._vsphere import rest
from ansible_collections.dr.asr.plugins.module_utils._vsphere.rest import Tagging, VSphereRest
from ansible_collections.dr.asr.tests.unit.plugins.module_utils._vsphere.fake_vapi import (
    REQUEST, FakeVapi, serve_https)
from ansible_collections.dr.asr.tests.unit.plugins.module_utils._vsphere.fake_vcenter import PASSWORD, USER


def params(**overrides):
    out = dict(hostname="vcenter.lab.local", username=USER, password=PASSWORD, port=443, validate_certs=True,
               ca_path=None)
    out.update(overrides)
    return out


@pytest.fixture(params=["api", "rest"])
def vapi(request):
    """A vCenter serving /api and /rest (7.0 U2+), or /rest only (before 7.0 U2, and vcsim)."""
    vapi = FakeVapi(dialect=request.param)
    with mock.patch(REQUEST, vapi.request_class()):
        yield vapi


def connect(vapi, **overrides):
    client = VSphereRest(params(**overrides))
    vapi.calls.clear()
    del vapi.paths[:]
    return client


# -- session and dialects ---------------------------------------------------------------------------
def test_login_tries_api_first_and_falls_back_to_rest_on_404(vapi):
    client = VSphereRest(params())
    assert client.dialect.name == vapi.dialect
    if vapi.dialect == "api":
        assert vapi.paths == ["POST /api/session"]
        assert client.endpoint == "https://vcenter.lab.local:443/api"
    else:
        assert vapi.paths == ["POST /api/session", "POST /rest/com/vmware/cis/session"]
        assert client.endpoint == "https://vcenter.lab.local:443/rest"
    assert vapi.calls["login"] == 1 and len(vapi.sessions) == 1


def test_calls_carry_the_session_and_close_logs_out_once(vapi):
    client = connect(vapi)
    assert client.list_categories() == []  # needs the session id: 401 without
    client.close()
    client.close()
    assert vapi.calls["logout"] == 1 and not vapi.sessions
    assert vapi.paths[-1] == ("DELETE /api/session" if vapi.dialect == "api" else "DELETE /rest/com/vmware/cis/session")


def test_paths_actions_and_ids_of_each_dialect(vapi):
    ids = vapi.lab_tags()
    tier1 = ids["DR-Tier:tier-1"]
    category = vapi.tags[tier1]["category_id"]
    client = connect(vapi)
    assert client.get_category(category)["name"] == "DR-Tier"
    assert client.get_tag(tier1)["name"] == "tier-1"
    assert sorted(client.list_tags_for_category(category)) == sorted(
        ids[key] for key in ids if key.startswith("DR-Tier:"))
    assert client.list_attached_objects_on_tags([tier1]) == {tier1: []}
    assert client.list_attached_tags_on_objects([("VirtualMachine", "vm-1")]) == {("VirtualMachine", "vm-1"): []}
    if vapi.dialect == "api":
        assert vapi.paths == [
            "GET /api/cis/tagging/category/%s" % category,
            "GET /api/cis/tagging/tag/%s" % tier1,
            "POST /api/cis/tagging/tag?action=list-tags-for-category",
            "POST /api/cis/tagging/tag-association?action=list-attached-objects-on-tags",
            "POST /api/cis/tagging/tag-association?action=list-attached-tags-on-objects",
        ]
    else:
        assert vapi.paths == [
            "GET /rest/com/vmware/cis/tagging/category/id:%s" % category,
            "GET /rest/com/vmware/cis/tagging/tag/id:%s" % tier1,
            "POST /rest/com/vmware/cis/tagging/tag/id:%s?~action=list-tags-for-category" % category,
            "POST /rest/com/vmware/cis/tagging/tag-association?~action=list-attached-objects-on-tags",
            "POST /rest/com/vmware/cis/tagging/tag-association?~action=list-attached-tags-on-objects",
        ]


def test_same_tls_settings_as_the_soap_session(vapi, tmp_path):
    from drlab.ca import ensure_ca

    VSphereRest(params())
    context = vapi.request_kwargs["context"]
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert vapi.request_kwargs["use_proxy"] is False and vapi.request_kwargs["use_netrc"] is False
    VSphereRest(params(validate_certs=False))
    assert vapi.request_kwargs["context"].verify_mode == ssl.CERT_NONE
    VSphereRest(params(ca_path=ensure_ca(str(tmp_path / "ca"))))
    subjects = [rdn for cert in vapi.request_kwargs["context"].get_ca_certs() for rdn in cert["subject"]]
    assert (("commonName", "dr.asr lab CA"),) in subjects


@pytest.mark.parametrize("overrides,parameter", [
    ({"password": None}, "password"), ({"hostname": "https://vc/api"}, "hostname"),
    ({"ca_path": "/nonexistent/ca.pem"}, "ca_path")])
def test_bad_settings_are_input_errors_before_any_request(vapi, overrides, parameter):
    with pytest.raises(InputError) as raised:
        VSphereRest(params(**overrides))
    assert raised.value.parameter == parameter
    assert vapi.paths == []


def test_wrong_password_is_invalid_login_without_fallback_or_password(vapi):
    with pytest.raises(VSphereError) as raised:
        VSphereRest(params(password="not-the-password"))
    error = raised.value
    assert error.code == "InvalidLogin" and error.status == 401
    assert "rejected the login of user '%s'" % USER in error.message
    assert "Check username and password" in error.summary()
    assert "not-the-password" not in error.summary() and PASSWORD not in error.summary()
    assert vapi.calls["login"] == 1  # a 401 from /api is an answer: no second try on /rest


def test_no_automation_api_at_all():
    vapi = FakeVapi(dialect="rest")
    vapi.errors["login"] = (404, None)
    with mock.patch(REQUEST, vapi.request_class()):
        with pytest.raises(VSphereError) as raised:
            VSphereRest(params())
    assert raised.value.code == "NotFound"
    assert "ESXi" in raised.value.possible_causes and "vCenter" in raised.value.recommended_action


@pytest.mark.parametrize("reason,code", [
    (ConnectionRefusedError(111, "Connection refused"), "ConnectionRefused"),
    (socket.gaierror(-2, "Name or service not known"), "NameResolutionFailed"),
    (ssl.SSLCertVerificationError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"),
     "TLSVerificationFailed"),
])
def test_transport_errors_are_translated_like_soap_ones(vapi, reason, code):
    vapi.transport_error = URLError(reason)
    with pytest.raises(VSphereError) as raised:
        VSphereRest(params())
    assert raised.value.code == code
    assert "vcenter.lab.local" in raised.value.message
    if code == "TLSVerificationFailed":
        assert "ca_path" in raised.value.recommended_action


@pytest.mark.parametrize("status,code", [(403, "Unauthorized"), (503, "ServiceUnavailable"), (401, "Unauthenticated")])
def test_http_errors_carry_the_vapi_error_type_and_message(vapi, status, code):
    client = connect(vapi)
    vapi.errors["list-attached-objects-on-tags"] = (status, "Permission to perform this operation was denied.")
    with pytest.raises(VSphereError) as raised:
        client.list_attached_objects_on_tags(["urn:tag"])
    error = raised.value
    assert (error.code, error.status) == (code, status)
    assert "Permission to perform this operation was denied." in error.message
    assert "listing the objects with tags urn:tag" in error.message
    assert error.recommended_action


# -- names ----------------------------------------------------------------------------------------
def test_tag_by_name_or_category_and_name(vapi):
    ids = vapi.lab_tags()
    catalog = rest.TagCatalog(connect(vapi))
    assert catalog.resolve("tier-1") == ids["DR-Tier:tier-1"]
    assert catalog.resolve("Environment:test") == ids["Environment:test"]
    assert catalog.label(ids["Environment:test"]) == {"category": "Environment", "name": "test"}


def test_category_and_name_reads_only_that_category(vapi):
    vapi.lab_tags()
    catalog = rest.TagCatalog(connect(vapi))
    catalog.resolve("Environment:production")
    assert vapi.calls["tag.list"] == 0 and vapi.calls["tag.list-tags-for-category"] == 1
    assert vapi.calls["tag.get"] == 2  # production, test: not the three DR-Tier tags


def test_a_colon_before_no_category_is_part_of_the_name(vapi):
    ids = vapi.lab_tags()
    odd = vapi.tag("Backup", "policy:daily")
    catalog = rest.TagCatalog(connect(vapi))
    assert catalog.resolve("policy:daily") == odd
    assert catalog.resolve("Backup:policy:daily") == odd
    assert catalog.resolve("DR-Tier:tier-2") == ids["DR-Tier:tier-2"]


def test_a_name_in_several_categories_must_be_qualified(vapi):
    vapi.lab_tags()
    vapi.tag("Owner", "test")
    with pytest.raises(InputError) as raised:
        rest.TagCatalog(connect(vapi)).resolve("test")
    assert raised.value.parameter == "tags"
    assert "Environment:test, Owner:test" in raised.value.message


@pytest.mark.parametrize("spec", ["tier-9", "DR-Tier:tier-9", "Tier-1", "Nope:tier-1"])
def test_unknown_tag_names_the_parameter_the_value_and_the_known_tags(vapi, spec):
    vapi.lab_tags()
    with pytest.raises(InputError) as raised:
        rest.TagCatalog(connect(vapi)).resolve(spec)
    error = raised.value
    assert error.parameter == "tags" and error.details["value"] == spec
    assert "'tags'" in error.message and repr(spec) in error.message
    assert ("Known tags: DR-Tier:tier-1, DR-Tier:tier-2, DR-Tier:tier-3, Environment:production, "
            "Environment:test.") in error.message


def test_long_known_tag_lists_are_cut(vapi, monkeypatch):
    monkeypatch.setattr(rest, "KNOWN_TAGS_SHOWN", 2)
    vapi.lab_tags()
    with pytest.raises(InputError) as raised:
        rest.TagCatalog(connect(vapi)).resolve("nope")
    assert "Known tags: DR-Tier:tier-1, DR-Tier:tier-2 and 3 more." in raised.value.message


# -- the batch questions --------------------------------------------------------------------------
def tagged_vapi(vapi):
    ids = vapi.lab_tags()
    for moid, tags in (("vm-1", ["DR-Tier:tier-1", "Environment:production"]), ("vm-2", ["DR-Tier:tier-1"]),
                       ("vm-3", ["DR-Tier:tier-2", "Environment:production"]), ("vm-4", [])):
        for tag in tags:
            vapi.attach(ids[tag], moid)
    vapi.attach(ids["DR-Tier:tier-1"], "host-9", kind="HostSystem")  # not a VM: never returned
    vapi.attach(ids["Environment:production"], "host-9", kind="HostSystem")
    return ids


def test_vms_with_all_tags_in_one_association_call(vapi):
    tagged_vapi(vapi)
    tagging = Tagging(connect(vapi))
    assert tagging.vms_with_all(["tier-1"]) == {"vm-1", "vm-2"}
    assert tagging.vms_with_all(["tier-1", "Environment:production", "DR-Tier:tier-1"]) == {"vm-1"}
    assert tagging.vms_with_all(["tier-1", "tier-2"]) == set()
    assert tagging.vms_with_all(["tier-3"]) == set()
    assert vapi.calls["list-attached-objects-on-tags"] == 4  # one per question, whatever the number of tags


def test_tags_of_vms_in_one_association_call_names_read_once(vapi):
    tagged_vapi(vapi)
    tagging = Tagging(connect(vapi))
    assert tagging.of_vms(["vm-1", "vm-2", "vm-3", "vm-4"]) == {
        "vm-1": [{"category": "DR-Tier", "name": "tier-1"}, {"category": "Environment", "name": "production"}],
        "vm-2": [{"category": "DR-Tier", "name": "tier-1"}],
        "vm-3": [{"category": "DR-Tier", "name": "tier-2"}, {"category": "Environment", "name": "production"}],
        "vm-4": [],
    }
    assert vapi.calls["list-attached-tags-on-objects"] == 1
    assert (vapi.calls["tag.get"], vapi.calls["category.get"]) == (3, 2)  # the distinct tags and categories
    assert tagging.of_vms([]) == {}
    assert vapi.calls["list-attached-tags-on-objects"] == 1


# -- through a real HTTPS server -------------------------------------------------------------------
@pytest.mark.parametrize("dialect", ["api", "rest"])
def test_real_https_basic_auth_and_verified_tls(tmp_path, dialect):
    from drlab.ca import ensure_server_cert

    ca_dir = str(tmp_path / "ca")
    cert, key = ensure_server_cert(ca_dir, "server", ("127.0.0.1",))
    vapi = FakeVapi(dialect=dialect)
    tagged_vapi(vapi)
    with serve_https(vapi, cert, key) as server:
        with pytest.raises(VSphereError) as untrusted:
            VSphereRest(params(hostname="127.0.0.1", port=server.port))
        client = VSphereRest(params(hostname="127.0.0.1", port=server.port, ca_path=str(tmp_path / "ca" / "ca.pem")))
        assert client.dialect.name == dialect
        assert Tagging(client).vms_with_all(["DR-Tier:tier-1", "production"]) == {"vm-1"}
        client.close()
    assert untrusted.value.code == "TLSVerificationFailed" and "ca_path" in untrusted.value.recommended_action
    assert vapi.calls["login"] == 1 and vapi.calls["logout"] == 1 and not vapi.sessions
