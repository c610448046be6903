# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shared Azure argument spec. Documented, option for option, by doc fragment dr.asr.azure."""

from __future__ import annotations

from ansible.module_utils.basic import env_fallback

AUTH_SOURCES = ["auto", "cli", "credential_file", "env", "msi"]
KNOWN_CLOUDS = ["AzureCloud", "AzureUSGovernment", "AzureChinaCloud"]


def azure_argument_spec():
    return dict(
        auth_source=dict(type="str", choices=AUTH_SOURCES, default="auto",
                         fallback=(env_fallback, ["ANSIBLE_AZURE_AUTH_SOURCE"])),
        profile=dict(type="str", fallback=(env_fallback, ["AZURE_PROFILE"])),
        subscription_id=dict(type="str", fallback=(env_fallback, ["AZURE_SUBSCRIPTION_ID"])),
        client_id=dict(type="str", fallback=(env_fallback, ["AZURE_CLIENT_ID"])),
        secret=dict(type="str", no_log=True, fallback=(env_fallback, ["AZURE_SECRET"])),
        tenant=dict(type="str", fallback=(env_fallback, ["AZURE_TENANT"])),
        cloud_environment=dict(type="str", default="AzureCloud",
                               fallback=(env_fallback, ["AZURE_CLOUD_ENVIRONMENT"])),
        ca_bundle=dict(type="path", fallback=(env_fallback, ["AZURE_CA_BUNDLE"])),
        cert_validation_mode=dict(type="str", choices=["validate", "ignore"], default="validate",
                                  fallback=(env_fallback, ["AZURE_CERT_VALIDATION_MODE"])),
        disable_instance_discovery=dict(type="bool", default=False,
                                        fallback=(env_fallback, ["AZURE_DISABLE_INSTANCE_DISCOVERY"])),
    )
