# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shared vSphere argument spec. Documented, option for option, by doc fragment dr.asr.vsphere."""

from __future__ import annotations

from ansible.module_utils.basic import env_fallback

from ansible_collections.dr.asr.plugins.module_utils._tls import CA_BUNDLE_SPEC


def vsphere_argument_spec():
    return dict(
        hostname=dict(type="str", fallback=(env_fallback, ["VMWARE_HOST"])),
        username=dict(type="str", aliases=["user"], fallback=(env_fallback, ["VMWARE_USER"])),
        password=dict(type="str", aliases=["pass", "pwd"], no_log=True, fallback=(env_fallback, ["VMWARE_PASSWORD"])),
        port=dict(type="int", default=443, fallback=(env_fallback, ["VMWARE_PORT"])),
        validate_certs=dict(type="bool", default=True, fallback=(env_fallback, ["VMWARE_VALIDATE_CERTS"])),
        ca_path=dict(type="path", fallback=(env_fallback, ["VMWARE_CA_PATH"])),
        ca_bundle=dict(CA_BUNDLE_SPEC),
    )


#: the ranges of its numbers (DrAsrModule checks them with the arguments)
VSPHERE_BOUNDS = dict(
    port=dict(minimum=1, maximum=65535, unit="a TCP port"),
)
