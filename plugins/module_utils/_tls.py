# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which CA certificates verify TLS: one rule for the Azure and the vSphere side.

The first of these that is set wins:

1. the side's own option: vSphere `ca_path` (or VMWARE_CA_PATH); Azure has none;
2. the `ca_bundle` option (both sides);
3. the environment: AZURE_CA_BUNDLE, REQUESTS_CA_BUNDLE, SSL_CERT_FILE (in that order, both sides);
4. nothing: the library default - the Azure SDK (requests) uses certifi's CA list, pyvmomi (Python's ssl)
   the system trust store (OpenSSL's default paths).

A file or a directory of hashed certificates (c_rehash) is accepted; a path that does not exist is an
InputError naming where it came from, never a silent fallback to the default trust.
"""

from __future__ import annotations

import os

from ansible_collections.dr.asr.plugins.module_utils._errors import InputError

CA_BUNDLE_ENV = ("AZURE_CA_BUNDLE", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE")

# The one definition of the shared option (in both the azure and the vsphere argument specs).
CA_BUNDLE_SPEC = dict(type="path")


def resolve_ca_bundle(params, own_option=None, environ=None):
    """(path, source) of the CA bundle to verify with, or (None, None) for the library default.

    `own_option`: the name of the side's own, more specific option (vSphere: ca_path), checked first.
    `source` is the option or variable the path came from (for messages)."""
    environ = os.environ if environ is None else environ
    candidates = []
    if own_option:
        candidates.append((own_option, params.get(own_option)))
    candidates.append(("ca_bundle", params.get("ca_bundle")))
    candidates.extend((name, environ.get(name)) for name in CA_BUNDLE_ENV)
    for source, value in candidates:
        if not value:
            continue
        path = os.path.expanduser(value)
        if not os.path.exists(path):
            where = "the environment variable %s" % source if source in CA_BUNDLE_ENV else "option %s" % source
            raise InputError(source, value, "the path of a PEM file (or a hashed directory) of CA certificates",
                             hint="It was taken from %s; it does not exist on the host the module runs on."
                             % where)
        return path, source
    return None, None
