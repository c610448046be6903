# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""VSphereSession and vsphere_errors: connection settings, and every failure as a clear VSphereError."""

from __future__ import annotations

import http.server
import socket
import ssl
import threading
from unittest import mock

import pytest
from pyVmomi import vim, vmodl

from ansible_collections.dr.asr.plugins.module_utils._errors import DrAsrError, InputError, VSphereError
from ansible_collections.dr.asr.plugins.module_utils._vsphere import client
from ansible_collections.dr.asr.plugins.module_utils._vsphere.client import VSphereSession, vsphere_errors
from ansible_collections.dr.asr.tests.unit.plugins.module_utils._vsphere.fake_vcenter import (
    PASSWORD, SMART_CONNECT, FakeVCenter, small_inventory)


@pytest.fixture
def fake():
    fake = FakeVCenter()
    with mock.patch(SMART_CONNECT, fake.smart_connect):
        yield fake


def connect_error(fake, error, **params):
    fake.connect_error = error
    with pytest.raises(VSphereError) as raised:
        VSphereSession(fake.params(**params))
    return raised.value


# -- connection settings ----------------------------------------------------------------------------
def test_connects_with_verified_tls_by_default(fake):
    session = VSphereSession(fake.params(port=18989))
    kwargs = fake.connect_kwargs
    assert (kwargs["host"], kwargs["port"], kwargs["user"]) == ("vcenter.lab.local", 18989, fake.user)
    context = kwargs["sslContext"]
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert session.content.about.apiType == "VirtualCenter"
    assert session.si is not None


def test_ca_path_trusts_that_ca(fake, tmp_path):
    from drlab.ca import ensure_ca

    ca = ensure_ca(str(tmp_path / "ca"))
    VSphereSession(fake.params(ca_path=ca))
    context = fake.connect_kwargs["sslContext"]
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert any(("commonName", "dr.asr lab CA") in rdn for cert in context.get_ca_certs() for rdn in cert["subject"])


def test_validate_certs_false_skips_verification(fake):
    VSphereSession(fake.params(validate_certs=False, ca_path="/ignored"))
    assert fake.connect_kwargs["sslContext"].verify_mode == ssl.CERT_NONE


def test_unreadable_ca_path_is_an_input_error(fake, tmp_path):
    with pytest.raises(InputError) as raised:
        VSphereSession(fake.params(ca_path=str(tmp_path / "missing.pem")))
    assert raised.value.parameter == "ca_path"
    assert fake.calls["SmartConnect"] == 0


@pytest.mark.parametrize("parameter", ["hostname", "username", "password"])
def test_missing_connection_parameter_names_it(fake, parameter):
    with pytest.raises(InputError) as raised:
        VSphereSession(fake.params(**{parameter: None}))
    assert raised.value.parameter == parameter
    assert "'%s'" % parameter in raised.value.message
    assert "module_defaults" in raised.value.message


def test_hostname_with_scheme_is_rejected(fake):
    with pytest.raises(InputError) as raised:
        VSphereSession(fake.params(hostname="https://vcenter.lab.local/sdk"))
    assert "without scheme" in raised.value.message


def test_close_logs_out_once(fake):
    session = VSphereSession(fake.params())
    session.close()
    session.close()
    assert fake.calls["Logout"] == 1 and session.si is None


# -- connection failures ----------------------------------------------------------------------------
def test_wrong_password_says_so_without_the_password(fake):
    error = connect_error(fake, None, password="wrong-password")
    assert error.code == "InvalidLogin"
    assert "rejected the login of user 'administrator@vsphere.local'" in error.message
    assert "https://vcenter.lab.local:443/sdk" in error.message
    assert "username and password" in error.recommended_action
    assert "wrong-password" not in error.summary() and PASSWORD not in error.summary()


def test_tls_failure_points_to_ca_path(fake):
    error = connect_error(fake, ssl.SSLCertVerificationError(
        1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate in certificate chain"))
    assert error.code == "TLSVerificationFailed"
    assert "ca_path" in error.recommended_action
    assert "vcenter.lab.local" in error.message


@pytest.mark.parametrize("raised,code", [
    (ConnectionRefusedError(111, "Connection refused"), "ConnectionRefused"),
    (socket.gaierror(-2, "Name or service not known"), "NameResolutionFailed"),
    (socket.timeout("timed out"), "ConnectionTimeout"),
    (OSError(113, "No route to host"), "ConnectionFailed"),
    (Exception("vcenter.lab.local:443 is down or is not a VIM server"), "ConnectionFailed"),
])
def test_unreachable_host(fake, raised, code):
    error = connect_error(fake, raised)
    assert error.code == code
    assert "vcenter.lab.local" in error.message
    assert error.recommended_action


def test_host_connect_fault_with_tls_reason_gets_the_tls_hint(fake):
    error = connect_error(fake, vim.fault.HostConnectFault(msg="[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify "
                                                               "failed"))
    assert error.code == "HostConnectFault"
    assert "ca_path" in error.recommended_action


class _TLSServer(object):
    """An HTTPS server on loopback with a certificate from a throwaway CA (404 for everything)."""

    def __init__(self, ca_dir):
        from drlab.ca import ensure_server_cert

        cert, key = ensure_server_cert(ca_dir, "server", ("127.0.0.1",))
        self.httpd = http.server.HTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_real_tls_handshake_is_verified_even_on_loopback(tmp_path):
    """pyVim skips verification for 127.0.0.1 unless given a context: the session always gives one."""
    params = dict(hostname="127.0.0.1", username="u", password="p", validate_certs=True, ca_path=None)
    with _TLSServer(str(tmp_path / "ca")) as server:
        with pytest.raises(VSphereError) as untrusted:
            VSphereSession(dict(params, port=server.port))
        with pytest.raises(VSphereError) as trusted:
            VSphereSession(dict(params, port=server.port, ca_path=str(tmp_path / "ca" / "ca.pem")))
    assert untrusted.value.code == "TLSVerificationFailed"
    assert "ca_path" in untrusted.value.recommended_action
    # past TLS, the server is no vCenter
    assert trusted.value.code == "ConnectionFailed" and "not a VIM server" in trusted.value.message


# -- vsphere_errors ---------------------------------------------------------------------------------
def test_method_fault_becomes_vsphere_error_with_fault_name_and_message():
    vm = vim.VirtualMachine("vm-42")
    with pytest.raises(VSphereError) as raised:
        with vsphere_errors("reading web-01"):
            raise vim.fault.NoPermission(msg="Permission to perform this operation was denied.", object=vm,
                                         privilegeId="System.Read")
    error = raised.value
    assert error.code == "NoPermission"
    assert error.message == "vSphere error while reading web-01: Permission to perform this operation was denied."
    assert error.details == {"fault": "NoPermission", "privilege": "System.Read", "object": "vm-42"}
    assert error.recommended_action


def test_runtime_fault_is_translated_too():
    with pytest.raises(VSphereError) as raised:
        with vsphere_errors("listing VMs"):
            raise vmodl.fault.SystemError(reason="boom", msg="A general system error occurred: boom")
    assert raised.value.code == "SystemError"
    assert "boom" in raised.value.message


def test_fault_without_message_reports_its_name():
    with pytest.raises(VSphereError) as raised:
        with vsphere_errors("listing VMs"):
            raise vmodl.fault.ManagedObjectNotFound(obj=vim.VirtualMachine("vm-1"))
    assert raised.value.code == "ManagedObjectNotFound"
    assert raised.value.message.endswith("ManagedObjectNotFound")


def test_transport_errors_during_a_call():
    with pytest.raises(VSphereError) as raised:
        with vsphere_errors("listing VMs", endpoint="https://vc:443/sdk"):
            raise ConnectionResetError(104, "Connection reset by peer")
    assert raised.value.code == "ConnectionFailed"
    assert "https://vc:443/sdk" in raised.value.message


def test_other_errors_pass_unchanged():
    with pytest.raises(KeyError):
        with vsphere_errors("x"):
            raise KeyError("bug")
    own = InputError("names", 1, "a list")
    with pytest.raises(DrAsrError) as raised:
        with vsphere_errors("x"):
            raise own
    assert raised.value is own


# -- property collector -----------------------------------------------------------------------------
def test_retrieve_follows_continuation_tokens(monkeypatch):
    fake, refs = small_inventory()
    monkeypatch.setattr(client, "PAGE_SIZE", 3)
    with mock.patch(SMART_CONNECT, fake.smart_connect):
        session = VSphereSession(fake.params())
    pc = vmodl.query.PropertyCollector
    with session.container_view(None, [vim.VirtualMachine]) as view:
        contents = session.retrieve([session.view_object_spec(view)],
                                    [pc.PropertySpec(type=vim.VirtualMachine, pathSet=["name"])])
    names = sorted(c.propSet[0].val for c in contents)
    assert len(names) == 9 and "web-01" in names
    assert fake.calls["RetrievePropertiesEx"] == 1
    assert fake.calls["ContinueRetrievePropertiesEx"] == 2
    assert fake.calls["DestroyView"] == 1


# -- host:port in hostname (VMWARE_HOST) ------------------------------------------------------------------
@pytest.mark.parametrize("hostname,port,expected", [
    ("vcenter.lab.local", 443, ("vcenter.lab.local", 443)),
    ("vcenter.lab.local:8443", 443, ("vcenter.lab.local", 8443)),
    ("vcenter.lab.local:8443", 8443, ("vcenter.lab.local", 8443)),
    ("vcenter.lab.local:8443", None, ("vcenter.lab.local", 8443)),
    ("10.0.0.5:18989", 443, ("10.0.0.5", 18989)),
    ("[2001:db8::5]:443", 443, ("2001:db8::5", 443)),
    ("[2001:db8::5]", 8443, ("2001:db8::5", 8443)),
    ("2001:db8::5", 443, ("2001:db8::5", 443)),
])
def test_hostname_may_carry_the_port(hostname, port, expected):
    assert client.split_host_port(hostname, port) == expected


def test_session_connects_to_the_port_in_hostname(fake):
    session = VSphereSession(fake.params(hostname="vcenter.lab.local:18989", port=443))
    assert (fake.connect_kwargs["host"], fake.connect_kwargs["port"]) == ("vcenter.lab.local", 18989)
    assert session.endpoint == "https://vcenter.lab.local:18989/sdk"


@pytest.mark.parametrize("hostname,port", [("vcenter:0", 443), ("vcenter:70000", 443), ("vcenter:https", 443),
                                           ("vcenter:", 443), ("[2001:db8::5", 443), ("[2001:db8::5]x", 443),
                                           (":443", 443), ("vcenter:8443", 9443)])
def test_bad_port_in_hostname_names_hostname(fake, hostname, port):
    with pytest.raises(InputError) as raised:
        VSphereSession(fake.params(hostname=hostname, port=port))
    assert raised.value.parameter == "hostname" and hostname in raised.value.message
    assert fake.calls["SmartConnect"] == 0


@pytest.mark.parametrize("port", [0, 65536, -1])
def test_bad_port_option_names_port(fake, port):
    with pytest.raises(InputError) as raised:
        VSphereSession(fake.params(port=port))
    assert raised.value.parameter == "port"


def test_ca_bundle_option_verifies_vcenter_too(fake, tmp_path, monkeypatch):
    from drlab.ca import ensure_ca
    for name in ("AZURE_CA_BUNDLE", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"):
        monkeypatch.delenv(name, raising=False)
    ca = ensure_ca(str(tmp_path / "ca"))
    VSphereSession(fake.params(ca_path=None, ca_bundle=ca))
    context = fake.connect_kwargs["sslContext"]
    assert any(("commonName", "dr.asr lab CA") in rdn for cert in context.get_ca_certs() for rdn in cert["subject"])


# -- a view dies with its session -----------------------------------------------------------------------
@pytest.mark.parametrize("method", ["RetrievePropertiesEx", "CreateContainerView"])
def test_a_listing_survives_a_lost_session_between_view_and_read(method):
    """vCenter answers a ContainerView of an ended session with nothing: after pyVmomi logged in again during a
    listing, the listing starts over with a new view instead of answering 'no VMs'."""
    from ansible_collections.dr.asr.plugins.module_utils._vsphere.finders import list_names
    fake, _refs = small_inventory(session=True)
    with mock.patch(SMART_CONNECT, fake.smart_connect):
        session = VSphereSession(fake.params())
        expected = sorted(props["name"] for _ref, props in list_names(session, vim.VirtualMachine))
        assert "web-01" in expected
        logins = fake.calls["Login"]
        fake.expire_session[method] = 1
        names = sorted(props["name"] for _ref, props in list_names(session, vim.VirtualMachine))
    assert names == expected
    assert fake.calls["Login"] == logins + 1 and session.logins == fake.calls["Login"]


def test_a_session_lost_at_every_listing_is_a_clear_error():
    from ansible_collections.dr.asr.plugins.module_utils._vsphere.finders import list_names
    fake, _refs = small_inventory(session=True)
    with mock.patch(SMART_CONNECT, fake.smart_connect):
        session = VSphereSession(fake.params())
        fake.flaky_session.add("RetrievePropertiesEx")     # each read: lost session, login, then answered
        with pytest.raises(VSphereError) as raised:
            list_names(session, vim.VirtualMachine)
    assert raised.value.code == "SessionLost" and "listing VirtualMachine objects" in str(raised.value)
