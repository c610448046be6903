"""One CA-bundle rule for both sides (_tls.resolve_ca_bundle): vSphere's ca_path, then ca_bundle, then
AZURE_CA_BUNDLE, REQUESTS_CA_BUNDLE, SSL_CERT_FILE; a missing path names where it came from."""
import ssl

import pytest

from ansible_collections.dr.asr.plugins.module_utils._errors import InputError
from ansible_collections.dr.asr.plugins.module_utils._tls import CA_BUNDLE_ENV, resolve_ca_bundle
from ansible_collections.dr.asr.plugins.module_utils._azure.argspec import azure_argument_spec
from ansible_collections.dr.asr.plugins.module_utils._azure.client import AzureClients
from ansible_collections.dr.asr.plugins.module_utils._vsphere.argspec import vsphere_argument_spec
from ansible_collections.dr.asr.plugins.module_utils._vsphere.client import ssl_context


@pytest.fixture
def files(tmp_path, monkeypatch):
    for name in CA_BUNDLE_ENV:
        monkeypatch.delenv(name, raising=False)
    from drlab.ca import ensure_ca
    out = {}
    for name in ("a", "b", "c", "d", "e"):
        out[name] = ensure_ca(str(tmp_path / name))
    return out


def test_nothing_set_is_the_library_default(files):
    assert resolve_ca_bundle({}) == (None, None)
    assert resolve_ca_bundle({}, own_option="ca_path") == (None, None)


@pytest.mark.parametrize("env", CA_BUNDLE_ENV)
def test_each_variable_applies_to_both_sides(files, monkeypatch, env):
    monkeypatch.setenv(env, files["a"])
    assert resolve_ca_bundle({}) == (files["a"], env)
    assert resolve_ca_bundle({}, own_option="ca_path") == (files["a"], env)
    assert AzureClients(dict(ca_bundle=None, cert_validation_mode="validate")).verify == files["a"]
    context = ssl_context(dict(validate_certs=True, ca_path=None, ca_bundle=None))
    assert any(("commonName", "dr.asr lab CA") in rdn for cert in context.get_ca_certs() for rdn in cert["subject"])


def test_order(files, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", files["e"])
    assert resolve_ca_bundle({})[1] == "SSL_CERT_FILE"
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", files["d"])
    assert resolve_ca_bundle({})[1] == "REQUESTS_CA_BUNDLE"
    monkeypatch.setenv("AZURE_CA_BUNDLE", files["c"])
    assert resolve_ca_bundle({})[1] == "AZURE_CA_BUNDLE"
    assert resolve_ca_bundle({"ca_bundle": files["b"]}) == (files["b"], "ca_bundle")
    both = {"ca_bundle": files["b"], "ca_path": files["a"]}
    assert resolve_ca_bundle(both, own_option="ca_path") == (files["a"], "ca_path")
    assert resolve_ca_bundle(both) == (files["b"], "ca_bundle")     # Azure: ca_path is vSphere's alone


def test_missing_path_names_the_variable(files, monkeypatch, tmp_path):
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "gone.pem"))
    with pytest.raises(InputError) as info:
        resolve_ca_bundle({})
    assert info.value.parameter == "SSL_CERT_FILE" and "environment variable SSL_CERT_FILE" in info.value.message
    with pytest.raises(InputError) as info:
        AzureClients(dict(ca_bundle=str(tmp_path / "x.pem"), cert_validation_mode="validate")).verify
    assert info.value.parameter == "ca_bundle"


def test_validation_off_ignores_every_bundle(files, monkeypatch, tmp_path):
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "gone.pem"))
    assert AzureClients(dict(cert_validation_mode="ignore")).verify is False
    assert ssl_context(dict(validate_certs=False)).verify_mode == ssl.CERT_NONE


def test_directory_of_certificates(files, tmp_path):
    import os
    path = resolve_ca_bundle({"ca_bundle": str(tmp_path / "a")})[0]
    assert os.path.isdir(path)
    assert ssl_context(dict(validate_certs=True, ca_bundle=path)).verify_mode == ssl.CERT_REQUIRED


def test_both_specs_define_the_same_ca_bundle_option():
    assert azure_argument_spec()["ca_bundle"] == vsphere_argument_spec()["ca_bundle"]
