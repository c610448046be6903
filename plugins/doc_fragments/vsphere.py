# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):
    # Kept 1:1 with plugins/module_utils/_vsphere/argspec.py (tests/unit checks it).
    DOCUMENTATION = r'''
options:
  hostname:
    description:
      - The vCenter Server (or ESXi host) name or address. Falls back to E(VMWARE_HOST).
    type: str
  username:
    description:
      - The vSphere user. Falls back to E(VMWARE_USER).
    type: str
    aliases: [user]
  password:
    description:
      - The vSphere user's password. Falls back to E(VMWARE_PASSWORD). Never logged.
    type: str
    aliases: [pass, pwd]
  port:
    description:
      - The HTTPS port of the vSphere API. Falls back to E(VMWARE_PORT).
    type: int
    default: 443
  validate_certs:
    description:
      - Verify the server's TLS certificate. Falls back to E(VMWARE_VALIDATE_CERTS).
      - Leave it on; use O(ca_path) for a vCenter signed by a private CA.
    type: bool
    default: true
  ca_path:
    description:
      - PEM file of the CA certificates to trust for the vCenter connection. Falls back to E(VMWARE_CA_PATH).
    type: path
requirements:
  - pyvmomi >= 9.0.0.0
'''
