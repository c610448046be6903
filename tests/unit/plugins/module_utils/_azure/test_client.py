"""Which credential material auth_source selects (no network)."""
import pytest

from ansible_collections.dr.asr.plugins.module_utils._errors import AzureError, InputError
from ansible_collections.dr.asr.plugins.module_utils._azure.client import AzureClients


def params(**kw):
    base = dict(auth_source="auto", profile=None, subscription_id=None, client_id=None, secret=None, tenant=None,
                x509_certificate_path=None, x509_certificate_password=None, thumbprint=None,
                federated_token_file=None, cloud_environment="AzureCloud", ca_bundle=None,
                cert_validation_mode="validate", disable_instance_discovery=False)
    base.update(kw)
    return base


@pytest.fixture(autouse=True)
def no_real_files(tmp_path, monkeypatch):
    monkeypatch.setenv("AZURE_CREDENTIAL_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("PATH", str(tmp_path))  # no `az` on PATH
    for name in ("AZURE_CA_BUNDLE", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path / "credentials"


def test_explicit_service_principal_wins_in_auto():
    c = AzureClients(params(client_id="app", secret="s3cret", tenant="t", subscription_id="sub"))
    assert c._resolve_settings()["kind"] == "secret"
    assert c.subscription_id == "sub"


def test_credential_file_profile(no_real_files):
    no_real_files.write_text("[default]\nsubscription_id=s0\n\n[dr]\nsubscription_id=s1\nclient_id=a\nsecret=b\ntenant=t\n")
    c = AzureClients(params(profile="dr"))
    assert c._resolve_settings()["kind"] == "secret"
    assert c.subscription_id == "s1"


def test_missing_profile_names_the_parameter(no_real_files):
    no_real_files.write_text("[default]\nsubscription_id=s0\n")
    with pytest.raises(InputError) as info:
        AzureClients(params(profile="nope"))._resolve_settings()
    assert info.value.parameter == "profile" and "default" in info.value.message


def test_env_source_without_secret_is_an_error():
    with pytest.raises(AzureError) as info:
        AzureClients(params(auth_source="env", client_id="a"))._resolve_settings()
    assert info.value.code == "CredentialUnavailable"


def test_auto_falls_back_to_managed_identity():
    assert AzureClients(params(subscription_id="s"))._resolve_settings()["kind"] == "msi"


def test_missing_subscription_names_the_parameter():
    with pytest.raises(InputError) as info:
        AzureClients(params(client_id="a", secret="b", tenant="t")).subscription_id
    assert info.value.parameter == "subscription_id"


def test_tls_verification_defaults_on_and_takes_the_ca_bundle(tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_text("pem")
    assert AzureClients(params()).verify is True
    assert AzureClients(params(ca_bundle=str(ca))).verify == str(ca)
    assert AzureClients(params(cert_validation_mode="ignore", ca_bundle=str(ca))).verify is False
