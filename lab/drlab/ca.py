"""The lab's own certificate authority.

The lab serves TLS with certificates signed by this CA so that clients verify TLS exactly as they
would against Azure or a vCenter: the collection is pointed at the CA bundle, never told to skip
verification.
"""
import datetime
import ipaddress
import os

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

_VALIDITY = datetime.timedelta(days=825)


def _write(path, data, mode=0o600):
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def _key_pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _load(ca_dir):
    with open(os.path.join(ca_dir, "ca.pem"), "rb") as f:
        cert = x509.load_pem_x509_certificate(f.read())
    with open(os.path.join(ca_dir, "ca.key"), "rb") as f:
        key = serialization.load_pem_private_key(f.read(), password=None)
    return cert, key


def ensure_ca(ca_dir):
    """Create the CA in ca_dir unless it exists. Returns the path of ca.pem."""
    os.makedirs(ca_dir, mode=0o700, exist_ok=True)
    pem = os.path.join(ca_dir, "ca.pem")
    if os.path.exists(pem) and os.path.exists(os.path.join(ca_dir, "ca.key")):
        return pem
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "dr.asr lab"),
                      x509.NameAttribute(NameOID.COMMON_NAME, "dr.asr lab CA")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + _VALIDITY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False,
                                         encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    _write(os.path.join(ca_dir, "ca.key"), _key_pem(key))
    _write(pem, cert.public_bytes(serialization.Encoding.PEM), mode=0o644)
    return pem


def ensure_server_cert(ca_dir, name, hosts=("127.0.0.1", "localhost")):
    """Issue (once) a server certificate for `hosts`, signed by the lab CA.

    Returns (cert_path, key_path). The certificate file holds the leaf certificate followed by
    the CA certificate (a full chain), as TLS servers expect.
    """
    ensure_ca(ca_dir)
    cert_path = os.path.join(ca_dir, name + ".pem")
    key_path = os.path.join(ca_dir, name + ".key")
    if os.path.exists(cert_path) and os.path.exists(key_path):
        return cert_path, key_path
    ca_cert, ca_key = _load(ca_dir)
    key = ec.generate_private_key(ec.SECP256R1())
    sans = []
    for h in hosts:
        try:
            sans.append(x509.IPAddress(ipaddress.ip_address(h)))
        except ValueError:
            sans.append(x509.DNSName(h))
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])]))
            .issuer_name(ca_cert.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + _VALIDITY)
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    _write(key_path, _key_pem(key))
    chain = cert.public_bytes(serialization.Encoding.PEM) + ca_cert.public_bytes(serialization.Encoding.PEM)
    _write(cert_path, chain, mode=0o644)
    return cert_path, key_path


def ensure_client_certificate(path, common_name="dr.asr lab service principal"):
    """Create (once) the lab app's certificate credential: an RSA key and its self-signed certificate in one
    PEM file (key first, then the certificate: the layout azure.azcollection's x509_certificate_path and
    azure-identity's CertificateCredential read). Returns the certificate (cryptography x509.Certificate)."""
    from cryptography.hazmat.primitives.asymmetric import rsa
    if not os.path.exists(path):
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "dr.asr lab"),
                          x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
        now = datetime.datetime.now(datetime.timezone.utc)
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + _VALIDITY)
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .sign(key, hashes.SHA256()))
        _write(path, _key_pem(key) + cert.public_bytes(serialization.Encoding.PEM))
    with open(path, "rb") as f:
        return x509.load_pem_x509_certificate(f.read())
