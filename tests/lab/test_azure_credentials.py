"""The lab's identity endpoints accept every credential kind the collection offers, through the real
azure-identity classes (as users have them), and the token they get works for an SDK call:

* CertificateCredential: a client assertion signed with the app's certificate (the lab verifies the
  signature against the certificate it registered, `.lab/azure/client-cert.pem`, the thumbprint, audience,
  issuer/subject and time window); a certificate the lab does not know is refused (AADSTS700027);
* WorkloadIdentityCredential: a federated assertion from the lab's OIDC issuer in a token file; a wrong
  subject is refused (AADSTS700213);
* ManagedIdentityCredential through the endpoints the environment names - App Service
  (IDENTITY_ENDPOINT + IDENTITY_HEADER) and IMDS (AZURE_POD_IDENTITY_AUTHORITY_HOST) - pointed at the lab,
  so nothing goes to 169.254.169.254 or any real host;
* the collection's own client factory (AzureClients) building each of them from its options.

The Azure CLI credential is not exercised: it runs `az`, which the lab does not simulate.
"""
import datetime
import os
import time

import pytest
from azure.core.exceptions import ClientAuthenticationError
from azure.mgmt.resource.resources import ResourceManagementClient

from ansible_collections.dr.asr.plugins.module_utils._azure.client import AzureClients

MI_ENV = ("IDENTITY_ENDPOINT", "IDENTITY_HEADER", "IDENTITY_SERVER_THUMBPRINT", "MSI_ENDPOINT", "MSI_SECRET",
          "IMDS_ENDPOINT", "AZURE_POD_IDENTITY_AUTHORITY_HOST", "AZURE_FEDERATED_TOKEN_FILE",
          "AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PATH",
          "AZURE_SECRET", "AZURE_TENANT", "AZURE_SUBSCRIPTION_ID", "AZURE_X509_CERTIFICATE_PATH",
          "AZURE_CLIENT_CERTIFICATE_PASSWORD", "AZURE_CA_BUNDLE", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE",
          "CURL_CA_BUNDLE", "ANSIBLE_AZURE_AUTH_SOURCE", "AZURE_CREDENTIAL_FILE")


@pytest.fixture
def clean_env(monkeypatch):
    for name in MI_ENV:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.fixture(scope="module")
def identity(azure_sim):
    return azure_sim.admin.config()["identity"]


def _works(sim, credential):
    """A token from `credential`, and an ARM call with it through the real SDK."""
    token = credential.get_token(*sim.credential_scopes)
    assert token.token and token.expires_on > 0
    rm = sim.client(ResourceManagementClient, credential=credential)
    assert isinstance(list(rm.resource_groups.list()), list)


def test_certificate_credential(azure_sim, identity, clean_env):
    from azure.identity import CertificateCredential
    assert os.path.exists(identity["client_certificate"])
    cred = CertificateCredential(azure_sim.tenant_id, azure_sim.client_id, identity["client_certificate"],
                                 authority=azure_sim.url, disable_instance_discovery=True,
                                 connection_verify=azure_sim.ca)
    _works(azure_sim, cred)


def test_certificate_credential_sha256_thumbprint_and_chain(azure_sim, identity, clean_env):
    """send_certificate_chain: msal signs PS256 with x5t#S256 and sends x5c; the lab verifies that too."""
    from azure.identity import CertificateCredential
    cred = CertificateCredential(azure_sim.tenant_id, azure_sim.client_id, identity["client_certificate"],
                                 authority=azure_sim.url, disable_instance_discovery=True,
                                 connection_verify=azure_sim.ca, send_certificate_chain=True)
    _works(azure_sim, cred)


def _other_certificate(path):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "not registered")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    with open(path, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    return path


def test_unregistered_certificate_refused(azure_sim, tmp_path, clean_env):
    from azure.identity import CertificateCredential
    cred = CertificateCredential(azure_sim.tenant_id, azure_sim.client_id,
                                 _other_certificate(str(tmp_path / "other.pem")), authority=azure_sim.url,
                                 disable_instance_discovery=True, connection_verify=azure_sim.ca)
    with pytest.raises(ClientAuthenticationError, match="AADSTS700027"):
        cred.get_token(*azure_sim.credential_scopes)


def test_workload_identity_credential(azure_sim, tmp_path, clean_env):
    from azure.identity import WorkloadIdentityCredential
    token_file = tmp_path / "token"
    token_file.write_text(azure_sim.admin.federated_token())
    cred = WorkloadIdentityCredential(tenant_id=azure_sim.tenant_id, client_id=azure_sim.client_id,
                                      token_file_path=str(token_file), authority=azure_sim.url,
                                      disable_instance_discovery=True, connection_verify=azure_sim.ca)
    _works(azure_sim, cred)


def test_workload_identity_wrong_subject_refused(azure_sim, tmp_path, clean_env):
    from azure.identity import WorkloadIdentityCredential
    token_file = tmp_path / "token"
    token_file.write_text(azure_sim.admin.federated_token(subject="system:serviceaccount:other:sa"))
    cred = WorkloadIdentityCredential(tenant_id=azure_sim.tenant_id, client_id=azure_sim.client_id,
                                      token_file_path=str(token_file), authority=azure_sim.url,
                                      disable_instance_discovery=True, connection_verify=azure_sim.ca)
    with pytest.raises(ClientAuthenticationError, match="AADSTS700213"):
        cred.get_token(*azure_sim.credential_scopes)


def test_managed_identity_app_service_endpoint(azure_sim, identity, clean_env):
    from azure.identity import ManagedIdentityCredential
    clean_env.setenv("IDENTITY_ENDPOINT", identity["identity_endpoint"])
    clean_env.setenv("IDENTITY_HEADER", identity["identity_header"])
    _works(azure_sim, ManagedIdentityCredential(connection_verify=azure_sim.ca))
    _works(azure_sim, ManagedIdentityCredential(client_id=identity["managed_identity_client_id"],
                                                connection_verify=azure_sim.ca))
    with pytest.raises(ClientAuthenticationError):
        ManagedIdentityCredential(client_id="0c0ffee0-0000-4000-8000-0000000000ff",
                                  connection_verify=azure_sim.ca).get_token(*azure_sim.credential_scopes)


def test_managed_identity_imds_protocol(azure_sim, identity, clean_env):
    from azure.identity import ManagedIdentityCredential
    clean_env.setenv("AZURE_POD_IDENTITY_AUTHORITY_HOST", identity["imds_authority_host"])
    _works(azure_sim, ManagedIdentityCredential(connection_verify=azure_sim.ca))
    log = azure_sim.admin.requests(resource_type="identity/imds-token")
    assert log, "the IMDS request went to the lab"


# -- the collection's client factory, end to end --------------------------------------------------------------
def _params(sim, **kw):
    params = dict(auth_source="auto", subscription_id=sim.subscription_id, cloud_environment=sim.url,
                  ca_bundle=sim.ca, cert_validation_mode="validate", disable_instance_discovery=False)
    params.update(kw)
    return params


def _factory_works(sim, params):
    clients = AzureClients(params)
    try:
        groups = list(clients.client("resource").resource_groups.list())
        assert isinstance(groups, list)
    finally:
        clients.close()
    return clients


@pytest.mark.parametrize("source", ["auto", "env"])
def test_factory_certificate(azure_sim, identity, clean_env, source):
    clients = _factory_works(azure_sim, _params(azure_sim, auth_source=source, client_id=azure_sim.client_id,
                                                tenant=azure_sim.tenant_id,
                                                x509_certificate_path=identity["client_certificate"],
                                                thumbprint=identity["client_certificate_thumbprint"]))
    assert type(clients.credential).__name__ == "CertificateCredential"


def test_factory_workload_identity(azure_sim, tmp_path, clean_env):
    token_file = tmp_path / "token"
    token_file.write_text(azure_sim.admin.federated_token())
    clean_env.setenv("AZURE_FEDERATED_TOKEN_FILE", str(token_file))
    clients = _factory_works(azure_sim, _params(azure_sim, client_id=azure_sim.client_id, tenant=azure_sim.tenant_id,
                                                federated_token_file=str(token_file)))
    assert type(clients.credential).__name__ == "WorkloadIdentityCredential"


def test_factory_managed_identity(azure_sim, identity, clean_env):
    clean_env.setenv("IDENTITY_ENDPOINT", identity["identity_endpoint"])
    clean_env.setenv("IDENTITY_HEADER", identity["identity_header"])
    clients = _factory_works(azure_sim, _params(azure_sim, auth_source="msi",
                                                client_id=identity["managed_identity_client_id"]))
    assert type(clients.credential).__name__ == "ManagedIdentityCredential"


def test_factory_ca_bundle_from_ssl_cert_file(azure_sim, clean_env):
    """SSL_CERT_FILE alone verifies the lab's TLS for the Azure side too (no ca_bundle option)."""
    clean_env.setenv("SSL_CERT_FILE", azure_sim.ca)
    params = _params(azure_sim, client_id=azure_sim.client_id, secret=azure_sim.client_secret,
                     tenant=azure_sim.tenant_id)
    params.pop("ca_bundle")
    _factory_works(azure_sim, params)


def test_factory_clients_pace_themselves_to_arms_read_bucket(azure_lab, clean_env):
    """A run reading fast (8 GETs in flight, as AsrVault.get_items) against a read bucket of 20 refilled 25 per
    second: the clients wait while ARM says few reads remain (PacingPolicy) and meet no 429 - without the pacing the
    bucket runs dry within the first 30 reads. The bucket is the lab's ARM throttle, real time on both sides."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    sim = azure_lab
    clients = AzureClients(_params(sim, client_id=sim.client_id, secret=sim.client_secret, tenant=sim.tenant_id))
    try:
        groups = clients.client("resource").resource_groups
        group = groups.create_or_update("rg-pacing", {"location": "westeurope"}).name
        since = time.time()
        sim.admin.set_throttle({"subscription": {"reads": {"capacity": 20, "refill_per_second": 25}}})
        lock, names = threading.Lock(), []

        def read(_index):
            name = groups.get(group).name
            with lock:
                names.append(name)
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(read, range(80)))
    finally:
        clients.close()
    log = [e for e in sim.admin.requests(since=since, path_regex="rg-pacing") if e["method"] == "GET"]
    assert names == [group] * 80
    assert len(log) >= 80 and [e for e in log if e["status"] == 429] == []
