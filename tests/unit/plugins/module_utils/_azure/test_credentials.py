"""Each credential kind: which azure-identity class the options select, with what, and the errors that name
the missing or wrong option. No network: azure-identity credentials do not call out until get_token."""
import datetime

import pytest

from ansible_collections.dr.asr.plugins.module_utils._errors import AzureError, InputError
from ansible_collections.dr.asr.plugins.module_utils._azure import client as client_mod
from ansible_collections.dr.asr.plugins.module_utils._azure.client import AzureClients

TENANT = "72f988bf-0000-4000-8000-00000000d2a5"
APP = "0c0ffee0-0000-4000-8000-000000000c1d"


def params(**kw):
    base = dict(auth_source="auto", profile=None, subscription_id="sub", client_id=None, secret=None, tenant=None,
                x509_certificate_path=None, x509_certificate_password=None, thumbprint=None,
                federated_token_file=None, cloud_environment="AzureCloud", ca_bundle=None,
                cert_validation_mode="validate", disable_instance_discovery=False)
    base.update(kw)
    return base


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("AZURE_CREDENTIAL_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("PATH", str(tmp_path))  # no `az` on PATH
    for name in ("AZURE_CA_BUNDLE", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "IDENTITY_ENDPOINT", "IDENTITY_HEADER",
                 "MSI_ENDPOINT", "AZURE_FEDERATED_TOKEN_FILE", "AZURE_CLIENT_ID", "AZURE_TENANT_ID"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """(pem path with key + certificate, encrypted pem path, password, SHA-1 thumbprint)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "unit")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    d = tmp_path_factory.mktemp("cert")
    plain, enc = d / "sp.pem", d / "sp-enc.pem"
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    plain.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption()) + cert_pem)
    enc.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.BestAvailableEncryption(b"p4ss")) + cert_pem)
    return str(plain), str(enc), "p4ss", cert.fingerprint(hashes.SHA1()).hex().upper()


def credential_of(**kw):
    c = AzureClients(params(**kw))
    return c._resolve_settings()["kind"], c.credential


# -- secret --------------------------------------------------------------------------------------------------
def test_secret():
    kind, cred = credential_of(client_id=APP, secret="s", tenant=TENANT)
    assert kind == "secret" and type(cred).__name__ == "ClientSecretCredential"


@pytest.mark.parametrize("missing", ["client_id", "tenant"])
def test_secret_without_client_id_or_tenant_names_it(missing):
    kw = dict(client_id=APP, secret="s", tenant=TENANT)
    kw.pop(missing)
    with pytest.raises(InputError) as info:
        AzureClients(params(**kw))._resolve_settings()
    assert info.value.parameter == missing and "secret" in info.value.message


# -- certificate -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("source", ["auto", "env"])
def test_certificate(certificate, source):
    kind, cred = credential_of(auth_source=source, client_id=APP, tenant=TENANT, x509_certificate_path=certificate[0])
    assert kind == "certificate" and type(cred).__name__ == "CertificateCredential"


def test_certificate_with_matching_thumbprint_in_any_spelling(certificate):
    spelled = ":".join(certificate[3][i:i + 2] for i in range(0, 40, 2)).lower()
    kind, cred = credential_of(client_id=APP, tenant=TENANT, x509_certificate_path=certificate[0], thumbprint=spelled)
    assert type(cred).__name__ == "CertificateCredential"


def test_certificate_thumbprint_mismatch_names_thumbprint(certificate):
    with pytest.raises(InputError) as info:
        credential_of(client_id=APP, tenant=TENANT, x509_certificate_path=certificate[0], thumbprint="00" * 20)
    assert info.value.parameter == "thumbprint" and certificate[3] in info.value.message


def test_encrypted_certificate_with_password(certificate):
    kind, cred = credential_of(client_id=APP, tenant=TENANT, x509_certificate_path=certificate[1],
                               x509_certificate_password=certificate[2])
    assert type(cred).__name__ == "CertificateCredential"


def test_encrypted_certificate_wrong_password_names_the_password_not_its_value(certificate):
    with pytest.raises(InputError) as info:
        credential_of(client_id=APP, tenant=TENANT, x509_certificate_path=certificate[1],
                      x509_certificate_password="wrong")
    assert info.value.parameter == "x509_certificate_password" and "wrong" not in str(info.value)


def test_missing_certificate_file_names_the_option(tmp_path):
    with pytest.raises(InputError) as info:
        credential_of(client_id=APP, tenant=TENANT, x509_certificate_path=str(tmp_path / "nope.pem"))
    assert info.value.parameter == "x509_certificate_path"


def test_certificate_without_tenant_names_tenant(certificate):
    with pytest.raises(InputError) as info:
        AzureClients(params(client_id=APP, x509_certificate_path=certificate[0]))._resolve_settings()
    assert info.value.parameter == "tenant" and "x509_certificate_path" in info.value.message


def test_secret_wins_over_certificate(certificate):
    assert credential_of(client_id=APP, tenant=TENANT, secret="s", x509_certificate_path=certificate[0])[0] == "secret"


def test_certificate_from_credential_file(isolated, certificate):
    (isolated / "credentials").write_text("[default]\nsubscription_id=s1\nclient_id=%s\ntenant=%s\n"
                                          "x509_certificate_path=%s\n" % (APP, TENANT, certificate[0]))
    kind, cred = credential_of(auth_source="credential_file", subscription_id=None)
    assert kind == "certificate" and type(cred).__name__ == "CertificateCredential"


# -- workload identity federation -----------------------------------------------------------------------------------
def test_workload_identity(isolated):
    token = isolated / "token"
    token.write_text("eyJ.a.b")
    kind, cred = credential_of(client_id=APP, tenant=TENANT, federated_token_file=str(token))
    assert kind == "workload" and type(cred).__name__ == "WorkloadIdentityCredential"


def test_workload_identity_without_client_id_names_it(isolated):
    token = isolated / "token"
    token.write_text("x")
    with pytest.raises(InputError) as info:
        AzureClients(params(tenant=TENANT, federated_token_file=str(token)))._resolve_settings()
    assert info.value.parameter == "client_id" and "federated_token_file" in info.value.message


def test_workload_identity_missing_token_file_names_the_option(isolated):
    with pytest.raises(InputError) as info:
        credential_of(client_id=APP, tenant=TENANT, federated_token_file=str(isolated / "gone"))
    assert info.value.parameter == "federated_token_file"


def test_env_source_without_any_client_credential_lists_the_choices():
    with pytest.raises(AzureError) as info:
        AzureClients(params(auth_source="env", client_id=APP, tenant=TENANT))._resolve_settings()
    assert info.value.code == "CredentialUnavailable"
    assert "x509_certificate_path" in info.value.message and "federated_token_file" in info.value.message


# -- managed identity and the CLI --------------------------------------------------------------------------------------
def test_managed_identity_system_and_user_assigned(monkeypatch):
    seen = []
    from azure import identity
    real = identity.ManagedIdentityCredential

    def spy(**kw):
        seen.append(kw)
        return real(**kw)
    monkeypatch.setattr(identity, "ManagedIdentityCredential", spy)
    assert credential_of(auth_source="msi")[0] == "msi"
    assert credential_of(auth_source="msi", client_id=APP)[0] == "msi"
    assert "client_id" not in seen[0] and seen[1]["client_id"] == APP
    assert all(kw["connection_verify"] is True for kw in seen)


def test_client_id_alone_in_auto_is_a_managed_identity():
    assert credential_of(client_id=APP)[0] == "msi"


def test_cli(monkeypatch):
    kind, cred = credential_of(auth_source="cli", tenant=TENANT)
    assert kind == "cli" and type(cred).__name__ == "AzureCliCredential"


def test_credentials_get_the_ca_bundle(tmp_path, monkeypatch, certificate):
    ca = tmp_path / "ca.pem"
    ca.write_text("pem")
    monkeypatch.setenv("SSL_CERT_FILE", str(ca))
    c = AzureClients(params(client_id=APP, tenant=TENANT, x509_certificate_path=certificate[0]))
    assert c.verify == str(ca) and c._transport_kwargs()["connection_verify"] == str(ca)


def test_thumbprint_helper_reads_pkcs12(tmp_path, certificate):
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs12
    data = open(certificate[0], "rb").read()
    key = serialization.load_pem_private_key(data, password=None)
    cert = x509.load_pem_x509_certificate(data[data.index(b"-----BEGIN CERTIFICATE-----"):])
    pfx = tmp_path / "sp.pfx"
    pfx.write_bytes(pkcs12.serialize_key_and_certificates(
        b"sp", key, cert, None, serialization.BestAvailableEncryption(b"pw")))
    assert client_mod.certificate_thumbprint(str(pfx), "pw") == certificate[3]
