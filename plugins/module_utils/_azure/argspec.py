# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shared Azure argument spec. Documented, option for option, by doc fragment dr.asr.azure."""

from __future__ import annotations

from ansible.module_utils.basic import env_fallback

from ansible_collections.dr.asr.plugins.module_utils._tls import CA_BUNDLE_SPEC

AUTH_SOURCES = ["auto", "cli", "credential_file", "env", "msi"]
KNOWN_CLOUDS = ["AzureCloud", "AzureUSGovernment", "AzureChinaCloud"]


def azure_argument_spec():
    return dict(
        auth_source=dict(type="str", choices=AUTH_SOURCES, default="auto",
                         fallback=(env_fallback, ["ANSIBLE_AZURE_AUTH_SOURCE"])),
        profile=dict(type="str", fallback=(env_fallback, ["AZURE_PROFILE"])),
        subscription_id=dict(type="str", fallback=(env_fallback, ["AZURE_SUBSCRIPTION_ID"])),
        client_id=dict(type="str", fallback=(env_fallback, ["AZURE_CLIENT_ID"])),
        secret=dict(type="str", no_log=True, fallback=(env_fallback, ["AZURE_SECRET", "AZURE_CLIENT_SECRET"])),
        tenant=dict(type="str", fallback=(env_fallback, ["AZURE_TENANT", "AZURE_TENANT_ID"])),
        x509_certificate_path=dict(type="path", fallback=(env_fallback, ["AZURE_X509_CERTIFICATE_PATH",
                                                                         "AZURE_CLIENT_CERTIFICATE_PATH"])),
        x509_certificate_password=dict(type="str", no_log=True,
                                       fallback=(env_fallback, ["AZURE_CLIENT_CERTIFICATE_PASSWORD"])),
        thumbprint=dict(type="str", fallback=(env_fallback, ["AZURE_THUMBPRINT"])),
        federated_token_file=dict(type="path", fallback=(env_fallback, ["AZURE_FEDERATED_TOKEN_FILE"])),
        cloud_environment=dict(type="str", default="AzureCloud",
                               fallback=(env_fallback, ["AZURE_CLOUD_ENVIRONMENT"])),
        ca_bundle=dict(CA_BUNDLE_SPEC),       # and AZURE_CA_BUNDLE, REQUESTS_CA_BUNDLE, SSL_CERT_FILE: _tls
        cert_validation_mode=dict(type="str", choices=["validate", "ignore"], default="validate",
                                  fallback=(env_fallback, ["AZURE_CERT_VALIDATION_MODE"])),
        disable_instance_discovery=dict(type="bool", default=False,
                                        fallback=(env_fallback, ["AZURE_DISABLE_INSTANCE_DISCOVERY"])),
    )
