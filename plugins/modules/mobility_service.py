#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: mobility_service
short_description: Install, upgrade, register or remove the ASR Mobility service on a Linux machine
version_added: 0.1.0
description:
  - Manages the Azure Site Recovery Mobility service (the agent that replicates a VMware VM or physical server)
    on the Linux machine the task runs on, with the agent's own installer, configurator and uninstaller.
  - Finds an installed agent only from the files the agent leaves on disk, C(/usr/local/.vx_version) (C(VERSION),
    C(PROD_VERSION), C(BUILD_TAG), C(INSTALLATION_DIR), C(AGENT_CONFIGURATION_STATUS)) and its C(drscout.conf),
    so it recognizes agents installed by hand, by push installation or by an earlier run.
  - Registers the agent with the replication appliance (modernized experience, a C(config.json) per machine) or
    with a configuration server (classic experience, a passphrase).
  - Returns the machine's I(Agent Config Input), which the appliance's Configuration Manager turns into the
    machine's C(config.json). It is read from the installed agent (C(AzureRcmCli --getagentconfiginput)), never by
    reinstalling.
  - Runs on the protected machine with its Python and the standard library only.
author:
  - dr.asr maintainers (@dr-asr)
options:
  state:
    description:
      - V(present) installs the agent if it is absent; an installed agent of another version is left alone.
      - V(latest) also upgrades an installed agent in place when the given installer is newer (the registration is
        kept). An older installer never downgrades (the module warns).
      - V(absent) uninstalls the agent (C(uninstall.sh -Y)), which also unregisters it.
      - Versions are compared as the public C(MAJOR.MINOR.BUILD.PATCH). The version file's C(VERSION) is
        C(MAJOR.MINOR.0.PATCH); the build number is read from its C(BUILD_TAG).
    type: str
    choices: [present, latest, absent]
    default: present
  installer_path:
    description:
      - The Linux installer package on the machine, C(Microsoft-ASR_UA_<version>_<DISTRO>-64_GA_<date>_release.tar.gz),
        or the directory it was extracted into.
      - Needed to install, and with O(state=latest). Mutually exclusive with O(installer_url).
      - In check mode a package that does not exist yet (one an earlier task would copy) is judged by its name when it
        follows Microsoft's naming.
    type: path
  installer_url:
    description:
      - URL the machine downloads the installer package from (with ansible's own HTTP client). The download is
        verified against O(installer_checksum) before it is used.
      - In check mode the version is taken from the package name when it follows Microsoft's naming, so nothing is
        downloaded; otherwise the package is downloaded to a temporary directory and read.
      - An C(http://) or C(https://) URL. Its query (a storage SAS token, C(?sv=...&sig=...)) and a password in it
        (C(https://user:password@host/...)) are never shown or logged - results, messages and the module's log show
        them as C(********) - so a URL with a SAS token can be given as it is.
    type: str
  installer_checksum:
    description:
      - The expected checksum of the package from O(installer_url), C(sha256:<64 hex digits>). Required with it.
    type: str
  validate_certs:
    description:
      - Whether the TLS certificate of O(installer_url) is verified. While it is not, the module warns.
    type: bool
    default: true
  ca_path:
    description:
      - CA bundle (PEM, on the machine) that verifies the TLS certificate of O(installer_url).
    type: path
  download_timeout:
    description:
      - Timeout in seconds of the connection that downloads O(installer_url), V(1) or more.
    type: int
    default: 60
  install_dir:
    description:
      - Where a fresh installation goes (the installer's C(-d)). An installed agent stays where it is; the module warns
        when it is elsewhere.
    type: path
    default: /usr/local/ASR
  experience:
    description:
      - V(modernized) (installer type C(CSPrime)) for a replication appliance, V(classic) (C(CSLegacy)) for a
        configuration server. V(CSPrime) and V(CSLegacy) are accepted as the installer's names of the same.
      - The role the installer is given follows the experience, as the installer wants it, C(-r MS) for modernized and
        C(-r Agent) for classic; an upgrade keeps the installed agent's role and experience.
    type: str
    choices: [modernized, classic, CSPrime, CSLegacy]
    default: modernized
  config_json_path:
    description:
      - Modernized experience. The machine's C(config.json) from the appliance's Configuration Manager, as a file on the
        machine. The agent is registered unless it already is, with the same appliance and vault.
      - Mutually exclusive with O(config_json_content).
    type: path
  config_json_content:
    description:
      - Modernized experience. The content of the machine's C(config.json) (a JSON string or a dictionary). It is
        written to a private temporary file on the machine for the configurator, and never returned or logged.
      - Prefer the string (for example C(lookup('ansible.builtin.file', ...))). Ansible hides every value of a
        dictionary given to this option wherever it appears in the output, so the BIOS id, host name and appliance
        name of the result would then show as C(********).
    type: raw
  cs_endpoint:
    description:
      - Classic experience. IP address or name of the configuration server to register with.
    type: str
  cs_port:
    description:
      - Classic experience. HTTPS port of the configuration server, from 1 to 65535.
    type: int
    default: 443
  passphrase_path:
    description:
      - Classic experience. File on the machine with the configuration server's connection passphrase.
      - Mutually exclusive with O(passphrase).
    type: path
  passphrase:
    description:
      - Classic experience. The configuration server's connection passphrase. Written to a private temporary file for the
        configurator, never returned or logged.
    type: str
notes:
  - Needs root on the machine (use O(ignore:become) otherwise); the installer and the configurator refuse other users.
  - Check mode predicts the result exactly, including C(diff), without running the installer. The Agent Config Input
    of an agent that is not installed yet is not known in check mode (returned as V(null)).
  - The installer's exit codes (Microsoft's C(UASetupReturnValues), for example C(42) UnsupportedOS or C(15)
    DowngradeNotSupported) are reported by name with what to do, the errors the setup recorded
    (C(/var/log/InstallerErrors.json)) and the log to read (C(/var/log/ua_install.log)).
  - A modernized C(config.json) comes from the appliance's Configuration Manager, a UI step, from the Agent Config
    Input this module returns. The role M(dr.asr.mobility_service) chains install, C(config.json) and registration.
  - Windows is not handled by this module. The role M(dr.asr.mobility_service) installs on Windows with the
    C(ansible.windows) modules, running C(UnifiedAgentInstaller.exe /Platform vmware /Silent /Role MS /CSType CSPrime
    /InstallLocation <dir>), detecting the agent by its product code C({275197FC-14FD-4560-A5EB-38217F80CBD1})
    under C(HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall) and registering with
    C(UnifiedAgentConfigurator.exe /SourceConfigFilePath config.json /CSType CSPrime).
attributes:
  check_mode:
    support: full
    description: Predicts the result exactly without changing the machine.
  diff_mode:
    support: full
    description: Returns C(installed), C(version) and C(registered) before and after.
  platform:
    support: full
    platforms: posix
    description: Linux machines supported by Azure Site Recovery.
seealso:
  - name: Mobility service overview
    description: Microsoft's description of the agent, its installers and command lines.
    link: https://learn.microsoft.com/azure/site-recovery/vmware-physical-mobility-service-overview
'''

EXAMPLES = r'''
- name: Install the Mobility service (modernized) and show what to paste into the appliance
  dr.asr.mobility_service:
    installer_path: /tmp/Microsoft-ASR_UA_9.63.0.0_UBUNTU-22.04-64_GA_01Jan2005_release.tar.gz
  register: agent

- name: Register it with the config.json the appliance issued for this machine
  dr.asr.mobility_service:
    config_json_content: "{{ lookup('ansible.builtin.file', 'asr/' ~ inventory_hostname ~ '.json') }}"

- name: Keep the agent at the newest version, downloaded by the machine
  dr.asr.mobility_service:
    state: latest
    installer_url: https://repo.example.com/asr/Microsoft-ASR_UA_9.66.7567.1_RHEL8-64_GA_20Sep2025_release.tar.gz
    installer_checksum: sha256:0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9

- name: Classic experience, registered with a configuration server
  dr.asr.mobility_service:
    experience: classic
    installer_path: /tmp/Microsoft-ASR_UA_9.55.0.0_RHEL8-64_GA_01Apr2023_release.tar.gz
    cs_endpoint: 10.0.0.5
    passphrase: "{{ vault_cs_passphrase }}"

- name: Remove the agent
  dr.asr.mobility_service:
    state: absent
'''

RETURN = r'''
installed:
  description: Whether the agent is installed (after the change, or as predicted in check mode).
  returned: always
  type: bool
  sample: true
version:
  description: The installed agent's public version C(MAJOR.MINOR.BUILD.PATCH).
  returned: always
  type: str
  sample: 9.63.0.0
install_dir:
  description: Where the agent is installed (C(INSTALLATION_DIR) of the version file without C(/Vx)).
  returned: always
  type: str
  sample: /usr/local/ASR
experience:
  description: V(modernized) or V(classic), from the agent's C(CSType).
  returned: always
  type: str
  sample: modernized
registered:
  description: Whether the agent's last configuration succeeded (C(AGENT_CONFIGURATION_STATUS=Succeeded)).
  returned: always
  type: bool
  sample: true
registration:
  description: What the agent is registered with; empty when it is not registered. No secrets.
  returned: always
  type: dict
  sample: {cs_type: CSPrime, appliance_name: appliance-01, appliance_id: 2b1d3c52-0000-4000-8000-000000000001,
           vault_id: /subscriptions/0000/resourceGroups/rg-dr/providers/Microsoft.RecoveryServices/vaults/rsv-dr,
           bios_id: 4210a1b2-0000-4000-8000-00000000e001, fqdn: web-01.example.com}
agent_config_input:
  description:
    - The machine's Agent Config Input (what the installer prints), to paste into the appliance's Configuration Manager
      for the machine's C(config.json). Modernized agents only.
  returned: always
  type: str
  sample: eyJCaW9zSWQiOiAiNDIxMGExYjItLi4uIiwgIkZxZG4iOiAid2ViLTAxIn0=
installer_version:
  description: The version of the installer package, when one was examined.
  returned: when an installer was needed
  type: str
  sample: 9.63.0.0
actions:
  description: What was done (or would be done in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: [install, register]
'''

import hashlib
import json
import os
import re
import time

from ansible.module_utils.urls import fetch_url

from ansible_collections.dr.asr.plugins.module_utils._module import DrAsrModule, run
from ansible_collections.dr.asr.plugins.module_utils._errors import DrAsrError, InputError
from ansible_collections.dr.asr.plugins.module_utils._redact import redact_text, redact_url
from ansible_collections.dr.asr.plugins.module_utils import _mobility as ms
from ansible_collections.dr.asr.plugins.module_utils._mobility import MobilityError

CHECKSUM_RE = re.compile(r"^sha256:([0-9a-fA-F]{64})$")

ARGUMENT_SPEC = dict(
    state=dict(type="str", choices=["present", "latest", "absent"], default="present"),
    installer_path=dict(type="path"),
    # no_log: never in the invocation log; DrAsrModule(secret_urls) then hides only its query (a SAS token) and password
    installer_url=dict(type="str", no_log=True),
    installer_checksum=dict(type="str"),
    validate_certs=dict(type="bool", default=True),
    ca_path=dict(type="path"),
    download_timeout=dict(type="int", default=60),
    install_dir=dict(type="path", default=ms.DEFAULT_INSTALL_DIR),
    experience=dict(type="str", choices=["modernized", "classic", "CSPrime", "CSLegacy"], default="modernized"),
    config_json_path=dict(type="path"),
    config_json_content=dict(type="raw", no_log=True),
    cs_endpoint=dict(type="str"),
    cs_port=dict(type="int", default=443),
    passphrase_path=dict(type="path", no_log=False),
    passphrase=dict(type="str", no_log=True),
)
BOUNDS = dict(
    download_timeout=dict(minimum=1, unit="seconds"),
    cs_port=dict(minimum=1, maximum=65535, unit="a TCP port"),
)
UNVERIFIED_DOWNLOAD = ("TLS certificate verification is OFF for the installer download (validate_certs=false): nothing "
                       "proves that the package comes from %s. Its sha256 is still checked; verify the server against "
                       "your CA instead (ca_path).")


def new_module():
    return DrAsrModule(
        ARGUMENT_SPEC,
        mutually_exclusive=[("installer_path", "installer_url"), ("config_json_path", "config_json_content"),
                            ("passphrase_path", "passphrase"), ("config_json_path", "cs_endpoint"),
                            ("config_json_content", "cs_endpoint")],
        required_together=[("installer_url", "installer_checksum")],
        bounds=BOUNDS,
        secret_urls=("installer_url",),
    )


def validate(params):
    url = params["installer_url"]
    if url is not None and not re.match(r"^https?://[^/?#\s]+", url, re.I):
        raise InputError("installer_url", redact_url(url), "an http:// or https:// URL of the installer package")
    if not os.path.isabs(params["install_dir"]):
        raise InputError("install_dir", params["install_dir"], "an absolute path")
    if params["installer_checksum"] is not None and not CHECKSUM_RE.match(params["installer_checksum"]):
        raise InputError("installer_checksum", params["installer_checksum"], "sha256:<64 hex digits>")
    cs_type = ms.CS_TYPES[params["experience"]]
    if cs_type == "CSPrime" and (params["cs_endpoint"] or params["passphrase_path"] or params["passphrase"]):
        raise InputError("experience", params["experience"], "classic when cs_endpoint or a passphrase is given")
    if cs_type == "CSLegacy" and (params["config_json_path"] or params["config_json_content"] is not None):
        raise InputError("experience", params["experience"], "modernized when a config.json is given")
    if params["cs_endpoint"] and not (params["passphrase_path"] or params["passphrase"]):
        raise InputError("passphrase", None, "passphrase or passphrase_path with cs_endpoint")
    if (params["passphrase_path"] or params["passphrase"]) and not params["cs_endpoint"]:
        raise InputError("cs_endpoint", None, "the configuration server's address when a passphrase is given")


# -- the installer package -------------------------------------------------------------------------
class Installer(object):
    """The package from installer_path or installer_url: its version, then (lazily) its files."""

    def __init__(self, module):
        self.module = module
        params = module.params
        self.url = params["installer_url"]
        self.path = params["installer_path"]
        if not self.url and not self.path:
            raise InputError("installer_path", None, "installer_path or installer_url: an installer is needed here")
        self._downloaded = None
        self._package_dir = None
        self.version = None
        if module.check_mode and (self.url or not os.path.exists(self.path)):
            # judged by its name: nothing is downloaded, and a package an earlier task would have copied may be missing
            self.version = ms.installer_version_from_name((self.url or self.path).split("?")[0])
        if self.path and not os.path.exists(self.path) and self.version is None:
            raise MobilityError("The installer %s does not exist on this machine." % self.path, code="InstallerNotFound",
                                recommended_action="Copy the package to the machine first, or give installer_url.")
        if self.version is None:
            self.version = ms.installer_info(self.local_path())["version"]

    def local_path(self):
        if self.path:
            return self.path
        if self._downloaded is None:
            self._downloaded = download(self.module, self.url, self.module.params["installer_checksum"])
        return self._downloaded

    def package_dir(self):
        if self._package_dir is None:
            path = self.local_path()
            if os.path.isdir(path):
                self._package_dir = ms.package_dir(path)
            else:
                self._package_dir = ms.extract(path, os.path.join(self.module.tmpdir, "package"))
        return self._package_dir


def download(module, url, checksum):
    """Download url into the module's temporary directory, verify its sha256; returns the path. Messages show the URL
    without its query (a SAS token) or password (_redact)."""
    expected = CHECKSUM_RE.match(checksum).group(1).lower()
    name = os.path.basename(url.split("?")[0].split("#")[0]) or "installer.tar.gz"
    dest = os.path.join(module.tmpdir, name)
    params = module.params
    response, info = fetch_url(module.ansible_module, url, timeout=params["download_timeout"], ca_path=params["ca_path"])
    if info.get("status") != 200 or response is None:
        raise MobilityError("Downloading the installer from %s failed: HTTP %s %s" % (
            redact_url(url), info.get("status"), redact_text(str(info.get("msg")), [url])), code="DownloadFailed")
    digest = hashlib.sha256()
    with open(dest, "wb") as f:
        while True:
            chunk = response.read(1024 * 1024)
            if not chunk:
                break
            digest.update(chunk)
            f.write(chunk)
    if digest.hexdigest() != expected:
        os.unlink(dest)
        raise MobilityError("The installer downloaded from %s has sha256 %s, not the expected %s; it was not used."
                            % (redact_url(url), digest.hexdigest(), expected), code="ChecksumMismatch",
                            recommended_action="Check installer_url and installer_checksum.")
    return dest


# -- registration ----------------------------------------------------------------------------------
class Registration(object):
    """What the agent should be registered with (None when the task asks for no registration)."""

    def __init__(self, module, cs_type):
        params = module.params
        self.module = module
        self.cs_type = cs_type
        self.target = None
        self._config = None
        if params["config_json_path"]:
            text = read_file(params["config_json_path"], "config_json_path")
            self._config = parse_config(text, "config_json_path")
            self.target = ms.source_config_target(self._config)
        elif params["config_json_content"] is not None:
            content = params["config_json_content"]
            self._config = content if isinstance(content, dict) else parse_config(content, "config_json_content")
            self.target = ms.source_config_target(self._config)
        elif params["cs_endpoint"]:
            self.target = {"cs_type": "CSLegacy", "cs_endpoint": params["cs_endpoint"], "cs_port": params["cs_port"]}

    def check(self, agent, identity):
        """Refuse what the configurator would refuse, before anything runs (check mode included)."""
        current = agent["registration"]
        if agent["registered"] and current.get("cs_type") != self.target["cs_type"]:
            raise MobilityError(
                "The agent is registered with the %s experience (%s); it cannot be registered with the %s one."
                % (ms.EXPERIENCES.get(current.get("cs_type"), current.get("cs_type")), describe(current),
                   ms.EXPERIENCES[self.target["cs_type"]]),
                code="ExperienceChangeNotAllowed",
                recommended_action="Move replication with Azure Site Recovery's classic-to-modernized migration, or "
                                   "uninstall the agent (state=absent) and install it again.")
        if self.target["cs_type"] == "CSLegacy" and agent["registered"] and not ms.same_target(current, self.target):
            name, meaning, action = ms.EXIT_CODES[13]
            raise MobilityError("%s It is registered with %s, not %s." % (meaning, describe(current), describe(self.target)),
                                code=name, recommended_action=action)
        if self.target["cs_type"] == "CSPrime":
            bios = self.target.get("bios_id")
            if not bios or not self.target.get("appliance_id"):
                raise MobilityError("The config.json given is not an appliance configuration (no BiosId or "
                                    "RcmProxyTransportSettings.Id).", code="InvalidSourceConfigFile",
                                    recommended_action=ms.EXIT_CODES[19][2])
            if identity.get("BiosId") and not ms.same_machine(bios, identity["BiosId"]):
                name, meaning, action = ms.EXIT_CODES[118]
                raise MobilityError("%s It names BIOS id %s (%s); this machine is %s (%s)."
                                    % (meaning, bios, self.target.get("fqdn"), identity["BiosId"], identity.get("Fqdn")),
                                    code=name, recommended_action=action)

    def needed(self, agent):
        return not (agent["registered"] and ms.same_target(agent["registration"], self.target))

    def apply(self, agent):
        params = self.module.params
        errors_file = os.path.join(self.module.tmpdir, "configurator-errors.json")
        if self.cs_type == "CSPrime":
            config_file = params["config_json_path"]
            if config_file is None:
                config_file = private_file(self.module.tmpdir, "config.json", json.dumps(self._config))
            argv = ms.configure_command(agent["vx_dir"], "CSPrime", config_file=os.path.abspath(config_file),
                                        errors_file=errors_file)
        else:
            passphrase_file = params["passphrase_path"]
            if passphrase_file is None:
                passphrase_file = private_file(self.module.tmpdir, "connection.passphrase", params["passphrase"])
            argv = ms.configure_command(agent["vx_dir"], "CSLegacy", cs_endpoint=params["cs_endpoint"],
                                        cs_port=params["cs_port"], passphrase_file=os.path.abspath(passphrase_file),
                                        errors_file=errors_file)
        self.module.journal.record("ran the configurator (register the agent)")
        rc, out, err = self.module.run_command(argv)
        if rc not in ms.SUCCESS_CODES:
            raise ms.step_error("Registering the agent (UnifiedAgentConfigurator.sh)", rc, ms.INSTALL_LOG,
                                ms.read_errors_file(errors_file), out + err)
        if rc != 0:
            self.module.warn("The configurator %s" % warning_text(rc, ms.read_errors_file(errors_file)))


def describe(target):
    if target.get("cs_type") == "CSPrime":
        return "appliance %s of vault %s" % (target.get("appliance_name") or target.get("appliance_id"), target.get("vault_id"))
    return "configuration server %s:%s" % (target.get("cs_endpoint"), target.get("cs_port"))


def read_file(path, parameter):
    try:
        with open(path) as f:
            return f.read()
    except (IOError, OSError) as err:
        raise MobilityError("Cannot read %s %s: %s" % (parameter, path, err.strerror), code="InvalidSourceConfigFile")


def parse_config(text, parameter):
    try:
        config = json.loads(text)
    except ValueError as err:
        # the message names the position only, never the content
        where = (parameter, getattr(err, "lineno", "?"), getattr(err, "colno", "?"))
        raise MobilityError("%s is not JSON (line %s, column %s)." % where,
                            code="InvalidSourceConfigFile", recommended_action=ms.EXIT_CODES[19][2])
    if not isinstance(config, dict):
        raise MobilityError("%s is not a JSON object." % parameter, code="InvalidSourceConfigFile")
    return config


def private_file(directory, name, content):
    """A 0600 file in the module's temporary directory (removed with it when the module exits)."""
    path = os.path.join(directory, name)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(content)
    return path


def warning_text(rc, errors):
    name, meaning = ms.EXIT_CODES.get(rc, ("Unknown", ""))[:2]
    text = "exited with %s (%s): %s" % (rc, name, meaning)
    if errors:
        text += " " + "; ".join("%s: %s" % e for e in errors)
    return text


# -- steps -----------------------------------------------------------------------------------------
def run_installer(module, installer, argv):
    started = time.time()
    module.journal.record("ran the installer (%s)" % " ".join(argv))
    rc, out, err = module.run_command(argv, cwd=installer.package_dir())
    errors_json = ms.local(ms.ERRORS_JSON)
    errors = ms.read_errors_file(errors_json) if _newer_than(errors_json, started) else []
    if rc not in ms.SUCCESS_CODES:
        raise ms.step_error("The installer (%s)" % " ".join(argv), rc, ms.INSTALL_LOG, errors, out + err)
    if rc != 0:
        module.warn("The installer %s" % warning_text(rc, errors))
    return out


def _newer_than(path, when):
    try:
        return os.stat(path).st_mtime >= when - 1
    except OSError:
        return False


def agent_config_input(module, agent):
    """The Agent Config Input of the installed agent, from AzureRcmCli (read-only)."""
    rc, out, err = module.run_command(ms.agent_config_input_command(agent["vx_dir"]))
    value = ms.parse_agent_config_input(out) if rc == 0 else None
    if value is None:
        module.warn("Could not read the Agent Config Input (%s exited with %s): %s"
                    % (ms.agent_config_input_command(agent["vx_dir"])[0], rc, (err or out).strip()[-500:]))
    return value


def facts(agent):
    return dict((k, agent[k]) for k in ("installed", "version", "registered"))


def result(agent, actions, before, aci=None, installer=None):
    out = dict(changed=bool(actions), actions=actions, installed=agent["installed"], version=agent["version"],
               install_dir=agent["install_dir"], experience=agent["experience"], registered=agent["registered"],
               registration=agent["registration"], agent_config_input=aci,
               diff=dict(before=facts(before), after=facts(agent)))
    if installer is not None:
        out["installer_version"] = installer.version
    return out


def ensure_absent(module, before):
    if not before["installed"]:
        return result(before, [], before)
    after = dict(before, installed=False, version=None, install_dir=None, vx_dir=None, cs_type=None, experience=None,
                 role=None, registered=False, registration={})
    if not module.check_mode:
        argv = ms.uninstall_command(before["install_dir"])
        if not os.path.exists(ms.local(argv[0])):
            raise MobilityError("The agent's uninstaller %s is missing." % argv[0], code="UninstallerNotFound",
                                recommended_action="Reinstall the same version over it, then uninstall.")
        module.journal.record("ran the uninstaller (%s)" % " ".join(argv))
        rc, out, err = module.run_command(argv)
        if rc != 0:
            raise ms.step_error("Uninstalling the agent (%s)" % " ".join(argv), rc, ms.UNINSTALL_LOG, (), out + err)
        after = ms.detect()
        if after["installed"]:
            raise MobilityError("uninstall.sh succeeded but %s is still there." % ms.VX_VERSION_FILE,
                                code="UninstallIncomplete", recommended_action="Read %s." % ms.UNINSTALL_LOG)
    return result(after, ["uninstall"], before)


def plan_install(module, before, installer):
    """'install', 'upgrade' or None for the agent `before` and the package `installer`."""
    params = module.params
    if not before["installed"]:
        return "install"
    if before["install_dir"] != params["install_dir"].rstrip("/"):
        module.warn("The agent is installed in %s; install_dir %s is used only for a fresh installation."
                    % (before["install_dir"], params["install_dir"]))
    if params["state"] != "latest":
        return None
    try:
        order = ms.compare_versions(installer.version, before["version"])
    except ValueError:
        raise MobilityError("Cannot compare the installer version %s with the installed agent's %s."
                            % (installer.version, before["version"]), code="UnknownVersion",
                            recommended_action="Check %s." % ms.VX_VERSION_FILE)
    if order < 0:
        module.warn("The installed agent %s is newer than the installer %s; it is not downgraded."
                    % (before["version"], installer.version))
    return "upgrade" if order > 0 else None


def register_agent(module, registration, agent, aci):
    """Run the configurator for `registration`; returns the agent found afterwards."""
    identity = {}
    if registration.target["cs_type"] == "CSPrime":
        identity = ms.decode_agent_config_input(aci or agent_config_input(module, agent))
    registration.check(agent, identity)
    registration.apply(agent)
    agent = ms.detect()
    if not agent["registered"]:
        raise MobilityError("The configurator succeeded, but the agent is not registered (%s)." % ms.VX_VERSION_FILE,
                            code="RegistrationIncomplete", recommended_action="Read %s." % ms.INSTALL_LOG)
    return agent


def ensure_present(module, before):
    params = module.params
    cs_type = ms.CS_TYPES[params["experience"]]
    installer = None
    if not before["installed"] or params["state"] == "latest":
        installer = Installer(module)
    install = plan_install(module, before, installer)
    registration = Registration(module, cs_type)
    identity = {}
    if before["installed"] and registration.target and registration.target["cs_type"] == "CSPrime":
        identity = ms.decode_agent_config_input(agent_config_input(module, before))
    if registration.target:
        registration.check(before, identity)
    register = bool(registration.target) and (install == "install" or registration.needed(before))
    actions = [a for a in (install, "register" if register else None) if a]

    if module.check_mode:
        after = dict(before)
        if install:
            after.update(installed=True, version=installer.version)
        if install == "install":
            after.update(install_dir=params["install_dir"].rstrip("/"), experience=ms.EXPERIENCES[cs_type])
        if register:
            after.update(registered=True, registration=dict((k, v) for k, v in registration.target.items()),
                         experience=ms.EXPERIENCES[registration.target["cs_type"]])
        aci = None
        if not install and after["experience"] == "modernized":
            aci = agent_config_input(module, before)
        return result(after, actions, before, aci, installer)

    aci = None
    if install:
        agent_cs_type = cs_type if install == "install" else before["cs_type"] or cs_type
        argv = ms.install_command(agent_cs_type, params["install_dir"].rstrip("/"), upgrade=install == "upgrade",
                                  installed_role=before["role"])
        out = run_installer(module, installer, argv)
        aci = ms.parse_agent_config_input(out)
    agent = ms.detect()
    if install and not (agent["installed"] and agent["version"] == installer.version):
        raise MobilityError("The installer succeeded, but the agent found afterwards is %s."
                            % ("version %s" % agent["version"] if agent["installed"] else "not installed"),
                            code="InstallIncomplete", recommended_action="Read %s." % ms.INSTALL_LOG)
    if register:
        try:
            agent = register_agent(module, registration, agent, aci)
        except DrAsrError as error:
            if not install:
                raise
            # the agent was installed or upgraded: say so with the failure
            module.fail_from(error, changed=True, actions=[install], installed=agent["installed"],
                             version=agent["version"])
    if agent["experience"] == "modernized" and aci is None:
        aci = agent_config_input(module, agent)
    return result(agent, actions, before, aci, installer)


def run_module(module):
    validate(module.params)
    if module.params["installer_url"] and not module.params["validate_certs"]:
        module.warn(UNVERIFIED_DOWNLOAD % redact_url(module.params["installer_url"]))
    before = ms.detect()
    if module.params["state"] == "absent":
        return ensure_absent(module, before)
    return ensure_present(module, before)


def main():
    run(new_module, run_module)


if __name__ == "__main__":
    main()
