"""Lab stand-in of the Azure Site Recovery Mobility service (the agent on protected VMs).

build     the installer tarball (build_installer), from the templates in payload/
config    the lab appliance's side: config.json for an Agent Config Input (make_config) and the
          checks of the registration endpoint (verify_config, verify_request)

See README.md for the command lines, files and the registration contract.
"""
from drlab.mobility.build import LAB_VERSIONS, build_all, build_installer, tarball_name
from drlab.mobility.config import (ConfigError, cs_passphrase, make_config, passphrase_path, verify_config,
                                   verify_request)

__all__ = ["LAB_VERSIONS", "build_all", "build_installer", "tarball_name", "ConfigError", "cs_passphrase",
           "make_config", "passphrase_path", "verify_config", "verify_request"]
