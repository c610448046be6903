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

Verification turned off (Azure: cert_validation_mode=ignore / AZURE_CERT_VALIDATION_MODE; vSphere:
validate_certs=false / VMWARE_VALIDATE_CERTS) is never silent: `unverified_warnings` are the warnings every module
run (DrAsrModule) and the inventory plugin emit while it is off.
"""

from __future__ import annotations

import os

from ansible_collections.dr.asr.plugins.module_utils._errors import InputError

CA_BUNDLE_ENV = ("AZURE_CA_BUNDLE", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE")

# The one definition of the shared option (in both the azure and the vsphere argument specs).
CA_BUNDLE_SPEC = dict(type="path")

AZURE_UNVERIFIED = ("TLS certificate verification is OFF for Azure (cert_validation_mode=ignore, or "
                    "AZURE_CERT_VALIDATION_MODE=ignore): nothing proves that the endpoints are Azure's, and the "
                    "credentials and tokens sent to them can be intercepted. Verify against your CA instead: point "
                    "ca_bundle (or AZURE_CA_BUNDLE) at it.")
VSPHERE_UNVERIFIED = ("TLS certificate verification is OFF for vSphere %s (validate_certs=false, or "
                      "VMWARE_VALIDATE_CERTS=false): nothing proves that the server is your vCenter, and the vSphere "
                      "password sent to it can be intercepted. Verify against your CA instead: point ca_path (or "
                      "VMWARE_CA_PATH, ca_bundle) at the CA that signed vCenter's certificate.")


def _off(value):
    """Whether a validate_certs value (a bool, or text from the environment) turns verification off."""
    if isinstance(value, str):
        return value.strip().lower() in ("false", "no", "off", "0", "n", "f")
    return value is not None and not value


def unverified_warnings(params):
    """The warnings for the TLS verification `params` turn off: Azure (cert_validation_mode=ignore) and vSphere
    (validate_certs false, with a vCenter to talk to), one each; [] when everything is verified."""
    warnings = []
    if str(params.get("cert_validation_mode") or "").strip().lower() == "ignore":
        warnings.append(AZURE_UNVERIFIED)
    if "validate_certs" in params and params.get("hostname") and _off(params.get("validate_certs")):
        warnings.append(VSPHERE_UNVERIFIED % params["hostname"])
    return warnings


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
