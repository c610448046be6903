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
      - It may carry the port (V(vcenter.example.com:8443), V([2001:db8::5]:443)); it must then agree with
        O(port) unless O(port) is left at its default. A scheme or a path (V(https://vcenter/sdk)) is an error.
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
      - The HTTPS port of the vSphere API, from 1 to 65535. Falls back to E(VMWARE_PORT). A port in O(hostname) wins
        over the default.
    type: int
    default: 443
  validate_certs:
    description:
      - Verify the server's TLS certificate. Falls back to E(VMWARE_VALIDATE_CERTS).
      - Leave it on; use O(ca_path) or O(ca_bundle) for a vCenter signed by a private CA. While it is off, every module
        run warns.
    type: bool
    default: true
  ca_path:
    description:
      - PEM file (or directory of hashed certificates) of the CA certificates to trust for the vCenter connection
        only. Falls back to E(VMWARE_CA_PATH). Wins over O(ca_bundle).
    type: path
  ca_bundle:
    description:
      - Path of a PEM file (or a directory of hashed certificates) of CA certificates, the same option as the Azure
        modules' C(ca_bundle) - one CA bundle for both sides (a TLS-inspecting proxy, a private CA, the lab).
      - When neither O(ca_path) nor this is set, the first of E(AZURE_CA_BUNDLE), E(REQUESTS_CA_BUNDLE),
        E(SSL_CERT_FILE) that is set is used; a path that does not exist is an error naming where it came from.
      - Without any of them the system trust store is used (OpenSSL's default paths).
    type: path
requirements:
  - pyvmomi >= 9.0.0.0
'''
