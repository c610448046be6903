# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one Azure client factory: credentials, cloud, subscription, and any management client on demand.

    clients = AzureClients(module.params, wait_sleep=10)
    vaults = clients.client("recoveryservices").vaults

Authentication follows azure.azcollection: `auth_source` auto|env|credential_file|cli|msi, the
AZURE_* variables, `~/.azure/credentials` profiles. Credentials are azure-identity objects, one kind per
source (`_resolve_settings`):

    secret        service principal with a client secret             ClientSecretCredential
    certificate   service principal with a certificate (PEM/PKCS12)  CertificateCredential
    workload      workload identity federation (a token file)        WorkloadIdentityCredential
    cli           the Azure CLI login                                AzureCliCredential
    msi           a managed identity (IMDS or the host's endpoint)   ManagedIdentityCredential

TLS: `verify` is the CA bundle of _tls.resolve_ca_bundle (ca_bundle, AZURE_CA_BUNDLE, REQUESTS_CA_BUNDLE,
SSL_CERT_FILE) for ARM, the identity endpoints and the cloud metadata alike.
"""

from __future__ import annotations

import configparser
import importlib
import json
import os
import shutil
import string
import subprocess

from ansible_collections.dr.asr.plugins.module_utils._errors import AzureError, InputError
from ansible_collections.dr.asr.plugins.module_utils._tls import resolve_ca_bundle
from ansible_collections.dr.asr.plugins.module_utils._azure.cloud import resolve_cloud
from ansible_collections.dr.asr.plugins.module_utils._journal import Journal
from ansible_collections.dr.asr.plugins.module_utils._azure.policies import (
    RETRY, FreshTokenPolicy, JournalPolicy, PacingPolicy, ResendUnsentPolicy, SendOnceRetryPolicy)
from ansible_collections.dr.asr.plugins.module_utils._azure.models import as_dict
from ansible_collections.dr.asr.plugins.module_utils._azure.reads import RunCache, read_or_none

USER_AGENT = "dr.asr-ansible"

# name -> (module, class); every client takes (credential, subscription_id, base_url=, ...)
CLIENTS = {
    "compute": ("azure.mgmt.compute", "ComputeManagementClient"),
    "network": ("azure.mgmt.network", "NetworkManagementClient"),
    "recoveryservices": ("azure.mgmt.recoveryservices", "RecoveryServicesClient"),
    "siterecovery": ("azure.mgmt.recoveryservicessiterecovery", "SiteRecoveryManagementClient"),
    "resource": ("azure.mgmt.resource.resources", "ResourceManagementClient"),
}

REQUIRED_LIBRARIES = {
    "azure.identity": "azure-identity",
    "azure.mgmt.compute": "azure-mgmt-compute",
    "azure.mgmt.network": "azure-mgmt-network",
    "azure.mgmt.recoveryservices": "azure-mgmt-recoveryservices",
    "azure.mgmt.recoveryservicessiterecovery": "azure-mgmt-recoveryservicessiterecovery",
    "azure.mgmt.resource.resources": "azure-mgmt-resource",
}

CREDENTIAL_FILE = os.path.join("~", ".azure", "credentials")

# the options (and credential file keys) that describe a service principal, in the order of precedence of
# their credential: a secret, then a certificate, then a federated token file
SP_KEYS = ("subscription_id", "client_id", "secret", "tenant", "x509_certificate_path", "x509_certificate_password",
           "thumbprint", "federated_token_file")
SP_CREDENTIALS = (("secret", "secret"), ("x509_certificate_path", "certificate"), ("federated_token_file", "workload"))
ENV_NAMES = {"client_id": "AZURE_CLIENT_ID", "tenant": "AZURE_TENANT", "secret": "AZURE_SECRET",
             "x509_certificate_path": "AZURE_X509_CERTIFICATE_PATH", "federated_token_file": "AZURE_FEDERATED_TOKEN_FILE"}


def service_principal(values, where="the options"):
    """The settings of the service principal `values` describe (kind secret|certificate|workload), None when
    they name no client credential; an InputError naming the missing option when they name one incompletely."""
    kind = None
    for key, candidate in SP_CREDENTIALS:
        if values.get(key):
            kind = candidate
            break
    if kind is None:
        return None
    used = [key for key, candidate in SP_CREDENTIALS if candidate == kind][0]
    for needed in ("client_id", "tenant"):
        if not values.get(needed):
            raise InputError(needed, None, "the %s of the service principal whose %s is given (in %s), or %s"
                             % ("application (client) id" if needed == "client_id" else "Microsoft Entra tenant id",
                                used, where, ENV_NAMES[needed]),
                             hint="A service principal needs client_id and tenant with its %s." % used)
    return dict(((k, values.get(k)) for k in SP_KEYS if values.get(k)), kind=kind)


#: what azure-identity takes in a tenant id (a GUID or a domain name); it raises a ValueError on anything else
TENANT_CHARACTERS = frozenset(string.ascii_letters + string.digits + "-.")


def check_tenant(tenant):
    """InputError when `tenant` is no tenant id azure-identity would take."""
    if tenant and not set(tenant) <= TENANT_CHARACTERS:
        raise InputError("tenant", tenant, "a Microsoft Entra tenant id (a GUID) or domain name: letters, digits, '-' "
                                           "and '.' (the option, AZURE_TENANT or the credential file's tenant)")


def certificate_thumbprint(path, password=None):
    """SHA-1 thumbprint (hex, upper case) of the certificate in a PEM or PKCS12 file."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.serialization import pkcs12
    with open(path, "rb") as f:
        data = f.read()
    if b"-----BEGIN CERTIFICATE-----" in data:
        cert = x509.load_pem_x509_certificate(data[data.index(b"-----BEGIN CERTIFICATE-----"):])
    else:
        cert = pkcs12.load_key_and_certificates(data, password.encode("utf-8") if password else None)[1]
    return cert.fingerprint(hashes.SHA1()).hex().upper()  # nosec: a thumbprint is an identifier, as Azure names it


def missing_library(module_name):
    """The pip name of an SDK that cannot be imported, or None."""
    try:
        importlib.import_module(module_name)
    except ImportError:
        return REQUIRED_LIBRARIES.get(module_name, module_name)
    return None


def _credential_file_error(path, line, what):
    """The error of a credential file that does not parse: the file and the line NUMBER, never the line (it may hold
    a secret, which configparser's own messages quote)."""
    where = "line %s" % line if line else "a line"
    return AzureError("The Azure credential file %s cannot be read: %s %s. (The line is not shown: it may hold a "
                      "secret.)" % (path, where, what), code="InvalidCredentialFile",
                      recommended_action="Fix %s of %s. The file has [profile] sections of key = value lines "
                                         "(azure.azcollection's format) and # or ; comments; a literal %% in a value "
                                         "is written %%%%." % (where, path),
                      details={"file": path, "line": line})


def _line_of(text, section, option):
    """The number of the line that sets `option` in [section] (for an error about its value), or None."""
    current = None
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            current = stripped[1:-1].strip()
        elif current == section and stripped.split("=", 1)[0].split(":", 1)[0].strip().lower() == option:
            return number
    return None


def parse_credential_file(path):
    """The ConfigParser of an azure.azcollection-style credential file, or an AzureError naming the file and the line
    number of what is wrong in it."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except (IOError, OSError) as exc:
        raise AzureError("The Azure credential file %s cannot be read: %s." % (path, exc.strerror or type(exc).__name__),
                         code="InvalidCredentialFile", details={"file": path})
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _credential_file_error(path, data.count(b"\n", 0, exc.start) + 1, "is not UTF-8 text") from None
    parser = configparser.ConfigParser()
    try:
        parser.read_string(text, source=path)
    except configparser.MissingSectionHeaderError as exc:
        raise _credential_file_error(path, exc.lineno, "comes before the first [profile] header") from None
    except configparser.DuplicateSectionError as exc:
        raise _credential_file_error(path, exc.lineno, "repeats the profile [%s]" % exc.section) from None
    except configparser.DuplicateOptionError as exc:
        raise _credential_file_error(path, exc.lineno, "sets %s of profile [%s] a second time"
                                     % (exc.option, exc.section)) from None
    except configparser.ParsingError as exc:
        numbers = [str(error[0]) for error in getattr(exc, "errors", ()) if error]
        raise _credential_file_error(path, ", ".join(numbers) or None,
                                     "is neither a [profile] header, a key = value line nor a comment") from None
    except configparser.Error as exc:
        raise _credential_file_error(path, getattr(exc, "lineno", None), "does not parse (%s)"
                                     % type(exc).__name__) from None
    return parser, text


def read_credential_file(profile, path=None):
    path = os.path.expanduser(path or os.environ.get("AZURE_CREDENTIAL_FILE") or CREDENTIAL_FILE)
    if not os.path.exists(path):
        return None
    parser, text = parse_credential_file(path)
    section = profile or "default"
    if not parser.has_section(section):
        if profile:
            raise InputError("profile", profile, "a section of %s (found: %s)" % (path, ", ".join(parser.sections()) or "none"))
        return None
    values = {}
    for option in parser.options(section):
        try:
            values[option] = parser.get(section, option)
        except configparser.InterpolationError:
            # a % that is neither %% nor %(name)s (azure.azcollection reads the file the same way)
            raise _credential_file_error(path, _line_of(text, section, option), "has a %% in the value of %s that is "
                                         "neither %%%% nor %%(name)s" % option) from None
    return values


class AzureClients(object):
    """Resolves auth once, then creates management clients lazily, one per kind."""

    def __init__(self, params, wait_sleep=None, credential=None):
        self._params = dict(params)
        self._wait_sleep = wait_sleep
        self._clients = {}
        self._credential = credential
        self._subscription_id = None
        self._cloud = None
        self._settings = None
        self.cache = RunCache()         # reads shared by the whole module run (_azure.reads)
        self.journal = Journal()        # the writes ARM may have carried out (DrAsrModule sets the run's own)
        self._pacing = PacingPolicy()   # one for every client: they share the subscription's request buckets

    def read(self, key, what, call, convert=as_dict, missing=None):
        """A resource read once per run (`key`), None (or `missing`) when it does not exist."""
        return self.cache.once(key, lambda: read_or_none(what, call, convert, missing))

    # -- TLS ---------------------------------------------------------------------------------
    @property
    def verify(self):
        """False (cert_validation_mode=ignore), the CA bundle path (_tls.resolve_ca_bundle), or True."""
        if self._params.get("cert_validation_mode") == "ignore":
            return False
        path = resolve_ca_bundle(self._params)[0]
        return path or True

    # -- auth -------------------------------------------------------------------------------
    def _resolve_settings(self):
        """Which credential material to use, per auth_source. Returns a dict (never logged)."""
        if self._settings is not None:
            return self._settings
        p = self._params
        source = p.get("auth_source") or "auto"
        explicit = dict((k, p.get(k)) for k in SP_KEYS if p.get(k))
        settings = None
        if source in ("auto", "env"):
            settings = service_principal(explicit)
            if settings is None and source == "env":
                raise AzureError("auth_source=env needs a service principal: client_id and tenant with secret, "
                                 "x509_certificate_path or federated_token_file (or AZURE_CLIENT_ID, AZURE_TENANT and "
                                 "AZURE_SECRET, AZURE_X509_CERTIFICATE_PATH or AZURE_FEDERATED_TOKEN_FILE).",
                                 code="CredentialUnavailable")
        if settings is None and source in ("auto", "credential_file"):
            from_file = read_credential_file(p.get("profile"))
            if from_file:
                where = "profile %s of %s" % (p.get("profile") or "default", CREDENTIAL_FILE)
                settings = service_principal(from_file, where) or dict(from_file, kind="msi")
                settings.update(dict((k, v) for k, v in explicit.items() if k == "subscription_id"))
                if from_file.get("cloud_environment") and p.get("cloud_environment") in (None, "AzureCloud"):
                    self._params["cloud_environment"] = from_file["cloud_environment"]
            elif source == "credential_file":
                raise AzureError("auth_source=credential_file but no profile '%s' in %s."
                                 % (p.get("profile") or "default", CREDENTIAL_FILE), code="CredentialUnavailable")
        if settings is None and source in ("auto", "cli") and (source == "cli" or shutil.which("az")):
            settings = dict(explicit, kind="cli")
        if settings is None and source in ("auto", "msi"):
            settings = dict(explicit, kind="msi")
        self._settings = settings
        return settings

    @property
    def cloud(self):
        if self._cloud is None:
            self._cloud = resolve_cloud(self._params.get("cloud_environment"), verify=self.verify)
        return self._cloud

    def _transport_kwargs(self):
        kwargs = {"connection_verify": self.verify}
        return kwargs

    @property
    def credential(self):
        if self._credential is not None:
            return self._credential
        settings = self._resolve_settings()
        try:
            from azure import identity
        except ImportError:
            raise AzureError("azure-identity is required.", code="MissingLibrary")
        cloud = self.cloud
        common = dict(self._transport_kwargs())
        common["authority"] = cloud.authority
        if cloud.custom or self._params.get("disable_instance_discovery"):
            common["disable_instance_discovery"] = True
        kind = settings["kind"]
        if kind != "msi":
            check_tenant(settings.get("tenant"))
        if kind == "secret":
            self._credential = identity.ClientSecretCredential(settings["tenant"], settings["client_id"],
                                                               settings["secret"], **common)
        elif kind == "certificate":
            self._credential = self._certificate_credential(identity, settings, common)
        elif kind == "workload":
            path = settings["federated_token_file"]
            if not os.path.isfile(path):
                raise InputError("federated_token_file", path, "the path of a readable file holding the federated "
                                 "token (a Kubernetes service account token; AZURE_FEDERATED_TOKEN_FILE)")
            self._credential = identity.WorkloadIdentityCredential(tenant_id=settings["tenant"],
                                                                   client_id=settings["client_id"],
                                                                   token_file_path=path, **common)
        elif kind == "cli":
            # `az` runs in its own process with its own TLS settings (REQUESTS_CA_BUNDLE in its environment)
            self._credential = identity.AzureCliCredential(tenant_id=settings.get("tenant"))
        else:
            msi = dict(self._transport_kwargs())
            if settings.get("client_id"):
                msi["client_id"] = settings["client_id"]
            self._credential = identity.ManagedIdentityCredential(**msi)
        return self._credential

    @staticmethod
    def _certificate_credential(identity, settings, common):
        path = settings["x509_certificate_path"]
        password = settings.get("x509_certificate_password")
        if not os.path.isfile(path):
            raise InputError("x509_certificate_path", path, "the path of a readable PEM (private key and certificate) "
                             "or PKCS12 file")
        if settings.get("thumbprint"):
            try:
                actual = certificate_thumbprint(path, password)
            except (ValueError, TypeError, IndexError):
                actual = None       # the credential below says what is wrong with the file
            wanted = settings["thumbprint"].replace(":", "").replace(" ", "").upper()
            if actual is not None and actual != wanted:
                raise InputError("thumbprint", settings["thumbprint"], "the SHA-1 thumbprint of the certificate in "
                                 "x509_certificate_path (%s)" % actual,
                                 hint="thumbprint is optional: azure-identity computes it from the certificate.")
        try:
            return identity.CertificateCredential(settings["tenant"], settings["client_id"], certificate_path=path,
                                                  password=password, **common)
        except (ValueError, TypeError) as exc:
            expected = "a PEM file with the private key and the certificate, or a PKCS12 file"
            if password or "password" in str(exc).lower() or "encrypted" in str(exc).lower():
                raise InputError("x509_certificate_password", "(hidden)", "the password of the private key in "
                                 "x509_certificate_path (or AZURE_CLIENT_CERTIFICATE_PASSWORD)",
                                 hint=str(exc)) from None
            raise InputError("x509_certificate_path", path, expected, hint=str(exc)) from None

    @property
    def subscription_id(self):
        if self._subscription_id:
            return self._subscription_id
        settings = self._resolve_settings()
        sub = settings.get("subscription_id")
        if not sub and settings["kind"] == "cli":
            sub = self._cli_subscription()
        if not sub:
            raise InputError("subscription_id", None, "an Azure subscription id (or AZURE_SUBSCRIPTION_ID)")
        self._subscription_id = sub
        return sub

    @staticmethod
    def _cli_subscription():
        try:
            out = subprocess.run(["az", "account", "show", "--output", "json"], check=True,
                                 capture_output=True, text=True, timeout=60).stdout
            return json.loads(out).get("id")
        except Exception as exc:  # pylint: disable=broad-except
            raise AzureError("auth_source=cli: could not read the subscription from 'az account show': %s" % exc,
                             code="CredentialUnavailable", recommended_action="Run 'az login' or set subscription_id.")

    # -- clients ----------------------------------------------------------------------------
    def client(self, kind):
        """A management client (compute, network, recoveryservices, siterecovery, resource), cached."""
        if kind in self._clients:
            return self._clients[kind]
        if kind not in CLIENTS:
            raise ValueError("unknown Azure client %r" % kind)
        module_name, class_name = CLIENTS[kind]
        cls = getattr(importlib.import_module(module_name), class_name)
        cloud = self.cloud
        kwargs = dict(self._transport_kwargs())
        kwargs.update(base_url=cloud.resource_manager, credential_scopes=[cloud.scope], user_agent=USER_AGENT)
        # a token ARM calls expired is replaced once; a request that never left is sent again; a POST (or a write
        # marked SEND_ONCE) that may have run is not (_azure.policies)
        kwargs.update(authentication_policy=FreshTokenPolicy(self.credential, cloud.scope),
                      per_call_policies=[JournalPolicy(self.journal)], retry_policy=SendOnceRetryPolicy(**RETRY),
                      per_retry_policies=[self._pacing, ResendUnsentPolicy()], **RETRY)
        if self._wait_sleep is not None:
            kwargs["polling_interval"] = self._wait_sleep
        client = cls(self.credential, self.subscription_id, **kwargs)
        self._clients[kind] = client
        return client

    def close(self):
        for client in self._clients.values():
            try:
                client.close()
            except Exception:  # pylint: disable=broad-except
                pass
        self._clients = {}
