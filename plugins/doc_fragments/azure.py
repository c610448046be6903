# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):
    # Kept 1:1 with plugins/module_utils/_azure/argspec.py (tests/unit checks it).
    DOCUMENTATION = r'''
options:
  auth_source:
    description:
      - Where the Azure credentials come from.
      - V(auto) uses a service principal given by the options (or their environment variables) when one is set -
        O(client_id) and O(tenant) with O(secret), else with O(x509_certificate_path), else with
        O(federated_token_file); then the credential file profile, then the Azure CLI login when C(az) is
        installed, then a managed identity.
      - V(env) uses only such a service principal from the options and their environment variables.
      - V(credential_file) reads the O(profile) section of C(~/.azure/credentials)
        (or the file named by E(AZURE_CREDENTIAL_FILE)); its keys are the option names (C(subscription_id),
        C(client_id), C(secret), C(tenant), C(x509_certificate_path), C(thumbprint), C(cloud_environment)).
        A profile without a client credential uses a managed identity.
      - V(cli) uses the Azure CLI login (C(az login)); C(az) runs with its own TLS settings
        (E(REQUESTS_CA_BUNDLE) in its environment), O(ca_bundle) does not reach it.
      - V(msi) uses a managed identity (O(client_id) selects a user-assigned one), as azure-identity's
        C(ManagedIdentityCredential) finds it - the endpoint the environment names (E(IDENTITY_ENDPOINT) and
        E(IDENTITY_HEADER) on App Service and Azure Arc, E(MSI_ENDPOINT) on Cloud Shell), else the instance
        metadata service (IMDS) of an Azure VM.
      - A service principal given incompletely (a secret, certificate or token file without O(client_id) or
        O(tenant)) is an error naming the missing option.
      - Falls back to E(ANSIBLE_AZURE_AUTH_SOURCE).
    type: str
    choices: [auto, cli, credential_file, env, msi]
    default: auto
  profile:
    description:
      - Section of the credential file to use with O(auth_source=credential_file) or V(auto).
      - Falls back to E(AZURE_PROFILE); the section C(default) when unset.
    type: str
  subscription_id:
    description:
      - The Azure subscription. Falls back to E(AZURE_SUBSCRIPTION_ID), the credential file, or C(az account show).
    type: str
  client_id:
    description:
      - Application (client) id of a service principal, or of a user-assigned managed identity with O(auth_source=msi).
      - Falls back to E(AZURE_CLIENT_ID).
    type: str
  secret:
    description:
      - Client secret of the service principal. Falls back to E(AZURE_SECRET), then E(AZURE_CLIENT_SECRET). Never logged.
    type: str
  tenant:
    description:
      - Microsoft Entra (Azure AD) tenant id of the service principal. Falls back to E(AZURE_TENANT), then
        E(AZURE_TENANT_ID).
    type: str
  x509_certificate_path:
    description:
      - Certificate of the service principal (certificate credential) - a PEM file holding the private key and the
        certificate (as azure.azcollection takes it), or a PKCS12 (C(.pfx)) file. Used with O(client_id) and O(tenant)
        when O(secret) is not set.
      - Falls back to E(AZURE_X509_CERTIFICATE_PATH), then E(AZURE_CLIENT_CERTIFICATE_PATH).
    type: path
  x509_certificate_password:
    description:
      - Password of the private key in O(x509_certificate_path), when it is encrypted. Never logged.
      - Falls back to E(AZURE_CLIENT_CERTIFICATE_PASSWORD).
    type: str
  thumbprint:
    description:
      - SHA-1 thumbprint of the certificate in O(x509_certificate_path). Optional (the thumbprint is computed from
        the certificate); when set, it must match, which catches a wrong file early. Accepted for azure.azcollection
        compatibility. Falls back to E(AZURE_THUMBPRINT).
    type: str
  federated_token_file:
    description:
      - Workload identity federation - a file holding a token of an identity provider the app trusts (for example
        the Kubernetes service account token of AKS workload identity), exchanged for an Azure token as
        azure-identity's C(WorkloadIdentityCredential) does. Used with O(client_id) and O(tenant) when neither
        O(secret) nor O(x509_certificate_path) is set.
      - Falls back to E(AZURE_FEDERATED_TOKEN_FILE) (AKS sets it with E(AZURE_CLIENT_ID) and E(AZURE_TENANT_ID)).
    type: path
  cloud_environment:
    description:
      - The Azure cloud, by name (V(AzureCloud), V(AzureUSGovernment), V(AzureChinaCloud)), or the
        C(https://) URL of an Azure Resource Manager metadata endpoint for any other cloud
        (sovereign clouds, Azure Stack Hub, the dr.asr lab), for example
        C(https://management.local.azurestack.external/metadata/endpoints?api-version=2022-09-01).
      - Falls back to E(AZURE_CLOUD_ENVIRONMENT).
    type: str
    default: AzureCloud
  ca_bundle:
    description:
      - Path of a PEM file (or a directory of hashed certificates) of the CA certificates that sign the endpoints'
        TLS certificates, for TLS-inspecting proxies, private clouds and the lab. The same option, with the same
        fallbacks, verifies the vCenter connection (there the vSphere modules' C(ca_path) wins).
      - When unset, the first of E(AZURE_CA_BUNDLE), E(REQUESTS_CA_BUNDLE), E(SSL_CERT_FILE) that is set is used; a
        path that does not exist is an error naming where it came from.
      - Without any of them, Azure connections trust the CA list of C(certifi) (the default of the C(requests)
        library the Azure SDK uses), not the system trust store.
      - It applies to Azure Resource Manager, the sign-in (token) endpoints, the managed identity endpoint and the
        cloud metadata endpoint; not to C(az) with O(auth_source=cli).
    type: path
  cert_validation_mode:
    description:
      - V(validate) verifies TLS certificates (the default). V(ignore) disables verification; do not use it
        outside throw-away tests. Falls back to E(AZURE_CERT_VALIDATION_MODE).
      - While verification is off, every module run (and the C(dr.asr.protected_items) inventory) warns.
    type: str
    choices: [validate, ignore]
    default: validate
  disable_instance_discovery:
    description:
      - Skip Microsoft Entra instance discovery (always skipped for clouds given by metadata URL).
      - Falls back to E(AZURE_DISABLE_INSTANCE_DISCOVERY).
    type: bool
    default: false
requirements:
  - azure-identity >= 1.27.0
'''
