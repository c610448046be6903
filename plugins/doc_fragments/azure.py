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
      - V(auto) uses O(client_id)/O(secret)/O(tenant) (or their E(AZURE_*) variables) when set, then the
        credential file profile, then the Azure CLI login when C(az) is installed, then a managed identity.
      - V(env) uses only O(client_id), O(secret), O(tenant) and their environment variables.
      - V(credential_file) reads the O(profile) section of C(~/.azure/credentials)
        (or the file named by E(AZURE_CREDENTIAL_FILE)).
      - V(cli) uses the Azure CLI login; V(msi) a managed identity (O(client_id) selects a user-assigned one).
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
      - Client secret of the service principal. Falls back to E(AZURE_SECRET). Never logged.
    type: str
  tenant:
    description:
      - Microsoft Entra (Azure AD) tenant id. Falls back to E(AZURE_TENANT).
    type: str
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
      - Path of a PEM file of CA certificates that sign the endpoints' TLS certificates, for
        TLS-inspecting proxies, private clouds and the lab. Falls back to E(AZURE_CA_BUNDLE).
      - Without it the system trust store (and E(REQUESTS_CA_BUNDLE)) is used.
    type: path
  cert_validation_mode:
    description:
      - V(validate) verifies TLS certificates (the default). V(ignore) disables verification; do not use it
        outside throw-away tests. Falls back to E(AZURE_CERT_VALIDATION_MODE).
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
