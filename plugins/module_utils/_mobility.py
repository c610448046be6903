# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ASR Mobility service on Linux, from what the agent itself leaves on disk.

Runs on the protected machine, with its Python and the standard library only. Everything here
is a pure function of files and command output (paths are taken under a `root`, "/" on a real
machine, a temporary directory in the unit tests):

* detection: `/usr/local/.vx_version` (VERSION, PROD_VERSION, BUILD_TAG, INSTALLATION_DIR,
  AGENT_CONFIGURATION_STATUS) and `<INSTALLATION_DIR>/etc/drscout.conf` (CSType, Role, Hostname,
  Port), plus the accepted `config.json` the configurator keeps as `etc/SourceConfig.json`;
* versions: the public MAJOR.MINOR.BUILD.PATCH. The version file's VERSION is MAJOR.MINOR.0.PATCH
  (the build number is NOT there but in BUILD_TAG), so two builds of one release compare equal on
  VERSION alone: `agent_version` puts the build back before anything is compared;
* the installer's command lines (`install`, `UnifiedAgentConfigurator.sh`, `uninstall.sh`,
  `AzureRcmCli --getagentconfiginput`) and its exit codes (SetupHelper.UASetupReturnValues).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import tarfile

from ansible_collections.dr.asr.plugins.module_utils._errors import DrAsrError

VX_VERSION_FILE = "/usr/local/.vx_version"
DRSCOUT_LINK = "/usr/local/drscout.conf"
INSTALL_LOG = "/var/log/ua_install.log"
UNINSTALL_LOG = "/var/log/ua_uninstall.log"
ERRORS_JSON = "/var/log/InstallerErrors.json"
DEFAULT_INSTALL_DIR = "/usr/local/ASR"
ROOT = "/"  # the machine's file system; the unit tests point it at a directory

# the experience a user names -> the installer's CS type
CS_TYPES = {"modernized": "CSPrime", "CSPrime": "CSPrime", "classic": "CSLegacy", "CSLegacy": "CSLegacy"}
EXPERIENCES = {"CSPrime": "modernized", "CSLegacy": "classic"}

_VERSION_RE = re.compile(r"^(\d+)\.(\d+)\.(\d+)\.(\d+)$")
_TARBALL_RE = re.compile(r"Microsoft-ASR_UA_(\d+\.\d+\.\d+\.\d+)_")
_ACI_RE = re.compile(r"^(?:Agent Config Input:|getagentconfiginput:)\s*([A-Za-z0-9+/=]+)\s*$", re.MULTILINE)

# SetupHelper.UASetupReturnValues of the Unified Agent setup: code -> (name, what it means, what to do)
EXIT_CODES = {
    0: ("Successful", "Succeeded.", None),
    1: ("Failed", "The step failed.", "Read the log named below; the installer and the configurator must run as root."),
    2: ("InvalidCommandLine", "The installer rejected its command line.",
        "The installer may be of a version that takes other options: report it with the log."),
    3: ("InvalidCommandLineArguments", "The installer rejected an option value (role, platform, CS type or action).",
        "Check experience; report it with the log if the values are right."),
    10: ("InvalidInstallLocation", "The installation directory is not valid.",
         "Set install_dir to an absolute path on a local file system, for example /usr/local/ASR."),
    11: ("UpgradeNotSupported", "The installed version cannot be upgraded to this one.",
         "Uninstall the agent (state=absent), then install the new version."),
    13: ("AgentPointingToDifferentCS", "The agent is registered with another configuration server.",
         "Uninstall the agent (state=absent) and install it again to register with another configuration server."),
    14: ("InvalidPassphraseOrCSEndPoint", "The configuration server is unreachable or refused the passphrase.",
         "Check cs_endpoint and cs_port, that the machine reaches the configuration server on that port, and that "
         "the passphrase is the one the configuration server prints (genpassphrase.exe -v)."),
    15: ("DowngradeNotSupported", "A newer agent is installed; the installer does not downgrade.",
         "Use an installer at least as new as the installed agent."),
    16: ("DotNetIsNotAvailable", "The .NET Framework is missing.", "Install .NET Framework 4.5 or later."),
    17: ("AgentRegistrationFailed", "Registration with the configuration server failed.",
         "Read the log; check the connection to the configuration server (HTTPS 443 and 9443)."),
    18: ("VMwareToolsAreNotAvailable", "VMware Tools are not running on the machine.", "Install and start VMware Tools."),
    19: ("InvalidSourceConfigFile", "The source configuration file (config.json) is not valid.",
         "Download a new config.json for this machine from the appliance's Configuration Manager."),
    41: ("AnInstanceIsAlreadyRunning", "Another installer is running.", "Wait for it to finish, then retry."),
    42: ("UnsupportedOS", "The installer package is not built for this machine's operating system.",
         "Use the package for this distribution and version (Microsoft-ASR_UA_<version>_<DISTRO>-64_...; "
         "see the ASR support matrix)."),
    43: ("UnableToStopServices", "The agent's services could not be stopped.", "Stop them, then retry."),
    44: ("UnableToStartServices", "The agent's services could not be started.", "Read the log; start them by hand."),
    56: ("FailedToCreateSymlinks", "The installer could not create its symbolic links.", "Read the log."),
    57: ("FailedToInstallAndConfigureServices", "The agent's services or drivers could not be set up.",
         "Read the log; a reboot may be needed."),
    62: ("SystemRestartPending", "A restart of the machine is pending.", "Restart the machine, then retry."),
    64: ("BootDriversAreNotAvailable", "Boot drivers the agent needs are missing.", "See the ASR support matrix."),
    65: ("BlockMSInstallationOnASRServerSetup", "The Mobility service cannot be installed on an ASR server.",
         "Do not install it on the appliance or configuration server."),
    75: ("AgentRoleChangeNotAllowed", "The installed agent has another role (e.g. master target).",
         "Uninstall the agent first to change its role."),
    76: ("PlatformChangeNotAllowed", "The installed agent is set up for another platform.",
         "Uninstall the agent first to change its platform."),
    77: ("CDPCLIRegistrationFailed", "Registration of the agent's replication component failed.", "Read the log."),
    78: ("InvalidProxyDetails", "The proxy settings are not valid.", "Fix the proxy settings."),
    79: ("ProxyConfigurationFailed", "The proxy could not be configured.", "Read the log."),
    90: ("OutOfMemoryException", "The setup ran out of memory.", "Free memory, then retry."),
    96: ("ConfiguratorUsage", "The configurator rejected its command line.",
         "The agent may be of a version that takes other options: report it with the log."),
    97: ("FailedWithErrors", "The step failed; the reasons are in the errors file.", "Read the errors below and the log."),
    98: ("SucceededWithWarnings", "Succeeded with warnings.", None),
    99: ("ProductPrereqsValidationFailed", "A prerequisite check failed.", "Read the errors and the log."),
    100: ("CredentialsFileMissing", "The source configuration file is missing.", "Give the machine's config.json."),
    101: ("CorruptCredentialsFile", "The source configuration file is not in the right format.",
          "Download config.json again from the appliance's Configuration Manager."),
    102: ("CredentialsFileExpired", "The source configuration file has expired.",
          "Download a new config.json from the appliance's Configuration Manager."),
    103: ("BiosIdDetectionFailed", "The agent could not read the machine's BIOS id.", "Read the log."),
    118: ("BiosIdMismatchFound", "config.json was issued for another machine (BIOS id).",
          "Use the config.json made from this machine's Agent Config Input."),
    119: ("RCMRegistrationFailure", "Registration with the replication appliance failed.",
          "Check that the machine reaches the appliance (HTTPS 443 and 9443)."),
    128: ("CSPrimeLoginFailure", "The agent could not log in to the replication appliance.", "Read the log."),
    129: ("RcmProxyRegistrationFailure", "The appliance is not registered with Azure Site Recovery.",
          "Check the appliance's registration in the vault."),
    130: ("AgentConfigInputFailure", "The agent could not produce its Agent Config Input.",
          "Run <install_dir>/Vx/bin/AzureRcmCli --getagentconfiginput and read its output."),
    131: ("UnconfigureAgentFailure", "Unregistering the agent failed.", "Read the log."),
    132: ("DiagnoseAndFixFailure", "The agent's diagnose-and-fix step failed.", "Read the log."),
    1641: ("SuccessfulMandatoryReboot", "Succeeded; a restart is required.", "Restart the machine."),
    3010: ("SuccessfulRecommendedReboot", "Succeeded; a restart is recommended.", "Restart the machine."),
}
SUCCESS_CODES = (0, 98, 1641, 3010)


class MobilityError(DrAsrError):
    """A Mobility service step failed (installer, configurator, uninstaller) or cannot be done."""

    kind = "mobility"


# -- files ---------------------------------------------------------------------------------------
def under(root, path):
    """`path` (absolute, as on the machine) below `root`."""
    return os.path.join(root, path.lstrip("/")) if root and root != "/" else path


def local(path):
    """Where the machine's `path` is read (below ROOT)."""
    return under(ROOT, path)


def parse_kv(text):
    """KEY=value and KEY = value lines (the .vx_version and drscout.conf formats); first one wins."""
    values = {}
    for line in (text or "").splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", ";", "[")) or "=" not in stripped:
            continue
        key, value = stripped.split("=", 1)
        values.setdefault(key.strip(), value.strip())
    return values


def _read(path):
    try:
        with open(path) as f:
            return f.read()
    except (IOError, OSError):
        return None


# -- versions ------------------------------------------------------------------------------------
def parse_version(text):
    """(MAJOR, MINOR, BUILD, PATCH) of 'a.b.c.d', else None."""
    match = _VERSION_RE.match((text or "").strip())
    return tuple(int(part) for part in match.groups()) if match else None


def format_version(parts):
    return ".".join(str(part) for part in parts) if parts else None


def build_from_tag(build_tag, vx_version):
    """The build number in BUILD_TAG: the first all-digit field after the field holding VERSION
    (RELEASE_9.63.0.0_GA_7567_Sep_20_2025_INMAGE -> 7567). Read defensively: the tag's layout is
    not documented, and the real configurator's `cut -d_ -f5` suggests some tags carry one more
    field before the build."""
    fields = (build_tag or "").split("_")
    start = fields.index(vx_version) + 1 if vx_version in fields else 0
    if not start:
        return None
    for field in fields[start:]:
        if field.isdigit():
            return int(field)
    return None


def agent_version(vx):
    """The public version MAJOR.MINOR.BUILD.PATCH of a parsed version file (dict), or None.

    VERSION is MAJOR.MINOR.0.PATCH; the build comes from BUILD_TAG. PROD_VERSION serves when the
    tag has no build, if it is the same release (same MAJOR.MINOR and PATCH)."""
    raw = (vx.get("VERSION") or "").strip()
    parts = parse_version(raw)
    if parts is None:
        return format_version(parse_version(vx.get("PROD_VERSION")))
    build = build_from_tag(vx.get("BUILD_TAG"), raw)
    if build is not None:
        return format_version((parts[0], parts[1], build, parts[3]))
    prod = parse_version(vx.get("PROD_VERSION"))
    if prod and (prod[0], prod[1], prod[3]) == (parts[0], parts[1], parts[3]):
        return format_version(prod)
    return format_version(parts)


def compare_versions(left, right):
    """-1, 0 or 1 as public version `left` is older than, equal to or newer than `right`."""
    a, b = parse_version(left), parse_version(right)
    if a is None or b is None:
        raise ValueError("not a MAJOR.MINOR.BUILD.PATCH version: %r / %r" % (left, right))
    return (a > b) - (a < b)


# -- detection -----------------------------------------------------------------------------------
def source_config_target(config):
    """What a config.json registers with (no secrets): appliance, vault and machine."""
    proxy = config.get("RcmProxyTransportSettings") if isinstance(config.get("RcmProxyTransportSettings"), dict) else {}
    return {
        "cs_type": "CSPrime",
        "appliance_id": proxy.get("Id") or None,
        "appliance_name": proxy.get("FriendlyName") or None,
        "vault_id": config.get("ResourceId") or None,
        "bios_id": config.get("BiosId") or None,
        "fqdn": config.get("Fqdn") or None,
    }


def same_target(current, wanted):
    """Whether the agent's registration `current` is the one `wanted` asks for."""
    if not current or not wanted or current.get("cs_type") != wanted.get("cs_type"):
        return False
    if wanted["cs_type"] == "CSPrime":
        keys = ("appliance_id", "vault_id", "bios_id")
        return all((current.get(k) or "").lower() == (wanted.get(k) or "").lower() for k in keys)
    return (current.get("cs_endpoint"), str(current.get("cs_port"))) == (wanted.get("cs_endpoint"), str(wanted.get("cs_port")))


def detect(root=None):
    """The installed agent as its files describe it.

    Returns {installed, version, install_dir, vx_dir, cs_type, experience, role, registered,
    registration}. `registration` is {} unless the last configuration succeeded
    (AGENT_CONFIGURATION_STATUS=Succeeded)."""
    root = ROOT if root is None else root
    agent = {"installed": False, "version": None, "install_dir": None, "vx_dir": None, "cs_type": None,
             "experience": None, "role": None, "registered": False, "registration": {}}
    text = _read(under(root, VX_VERSION_FILE))
    vx = parse_kv(text)
    if text is None or not vx.get("INSTALLATION_DIR"):
        return agent
    vx_dir = vx["INSTALLATION_DIR"].rstrip("/")
    conf_text = _read(under(root, os.path.join(vx_dir, "etc", "drscout.conf")))
    if conf_text is None:
        conf_text = _read(under(root, DRSCOUT_LINK))
    conf = parse_kv(conf_text)
    cs_type = conf.get("CSType") or None
    agent.update(installed=True, version=agent_version(vx), vx_dir=vx_dir, install_dir=os.path.dirname(vx_dir),
                 cs_type=cs_type, experience=EXPERIENCES.get(cs_type), role=conf.get("Role") or None,
                 registered=vx.get("AGENT_CONFIGURATION_STATUS") == "Succeeded")
    if agent["registered"]:
        if cs_type == "CSPrime":
            try:
                config = json.loads(_read(under(root, os.path.join(vx_dir, "etc", "SourceConfig.json"))) or "{}")
            except ValueError:
                config = {}
            agent["registration"] = source_config_target(config if isinstance(config, dict) else {})
        else:
            agent["registration"] = {"cs_type": cs_type or "CSLegacy", "cs_endpoint": conf.get("Hostname") or None,
                                     "cs_port": int(conf["Port"]) if (conf.get("Port") or "").isdigit() else None}
    return agent


# -- installer packages --------------------------------------------------------------------------
def installer_version_from_name(name):
    match = _TARBALL_RE.search(os.path.basename(name or ""))
    return match.group(1) if match else None


def installer_info(path):
    """{"version", "os_built_for"} of an installer tarball or extracted directory: from the
    package's own .vx_version, else from the package file name."""
    vx = {}
    if os.path.isdir(path):
        vx = parse_kv(_read(os.path.join(package_dir(path), ".vx_version")))
    else:
        try:
            with tarfile.open(path) as tar:
                for member in tar:
                    name = _relative(member.name)
                    if member.isfile() and name in (".vx_version", "*/.vx_version"):
                        vx = parse_kv(tar.extractfile(member).read().decode("utf-8", "replace"))
                        if name == ".vx_version":
                            break
        except (tarfile.TarError, IOError, OSError) as err:
            raise MobilityError("The installer %s is not a readable tar archive: %s" % (path, err),
                                code="InvalidInstaller",
                                recommended_action="Give the Linux package Microsoft-ASR_UA_<version>_<DISTRO>-64_GA_<date>_release.tar.gz.")
    version = agent_version(vx) if vx else None
    version = version or installer_version_from_name(path)
    if version is None:
        raise MobilityError("Cannot tell the version of the installer %s: it has no .vx_version and its name is not "
                            "Microsoft-ASR_UA_<version>_..." % path, code="InvalidInstaller")
    return {"version": version, "os_built_for": vx.get("OS_BUILT_FOR") or None}


def _relative(name):
    """A member name without leading './'; a name one directory deep becomes '*/<file>'."""
    while name.startswith("./"):
        name = name[2:]
    parts = name.split("/")
    return "*/" + parts[1] if len(parts) == 2 and parts[0] else name


def package_dir(dest):
    """The directory of an extracted package that holds `install`: dest itself, or its only subdirectory."""
    if os.path.isfile(os.path.join(dest, "install")):
        return dest
    subdirs = [os.path.join(dest, d) for d in os.listdir(dest) if os.path.isdir(os.path.join(dest, d))]
    if len(subdirs) == 1 and os.path.isfile(os.path.join(subdirs[0], "install")):
        return subdirs[0]
    raise MobilityError("The installer package has no 'install' script at its top level.", code="InvalidInstaller",
                        recommended_action="Give the Linux package Microsoft-ASR_UA_<version>_<DISTRO>-64_GA_<date>_release.tar.gz.")


def safe_members(tar, dest):
    """The members of `tar` that stay inside `dest` (no absolute paths, no '..', no links out)."""
    dest = os.path.realpath(dest)
    for member in tar.getmembers():
        target = os.path.realpath(os.path.join(dest, member.name))
        if not (target == dest or target.startswith(dest + os.sep)) or member.isdev():
            raise MobilityError("The installer archive has an unsafe member: %s" % member.name, code="InvalidInstaller")
        if member.islnk() or member.issym():
            link = os.path.realpath(os.path.join(os.path.dirname(target), member.linkname))
            if not link.startswith(dest + os.sep):
                raise MobilityError("The installer archive has a link out of the package: %s" % member.name,
                                    code="InvalidInstaller")
        yield member


def extract(path, dest):
    """Extract the tarball into dest (like `tar -xf`), refusing members that would land outside.
    Returns the package directory (the one holding `install`)."""
    os.makedirs(dest)
    try:
        with tarfile.open(path) as tar:
            members = list(safe_members(tar, dest))
            if hasattr(tarfile, "data_filter"):
                tar.extractall(dest, members=members, filter="data")
            else:  # pragma: no cover - Python without extraction filters; members were checked above
                tar.extractall(dest, members=members)  # nosec B202
    except (tarfile.TarError, IOError, OSError) as err:
        raise MobilityError("Cannot extract the installer %s: %s" % (path, err), code="InvalidInstaller")
    return package_dir(dest)


# -- command lines -------------------------------------------------------------------------------
def install_role(cs_type, installed_role=None):
    """The -r value: what is installed (MasterTarget stays), else MS (modernized) / Agent (classic)."""
    if installed_role == "MasterTarget":
        return "MasterTarget"
    return "MS" if cs_type == "CSPrime" else "Agent"


def install_command(cs_type, install_dir, upgrade=False, installed_role=None):
    """./install for a fresh install (into install_dir) or an upgrade in place."""
    argv = ["./install", "-q", "-r", install_role(cs_type, installed_role), "-v", "VmWare", "-c", cs_type]
    if upgrade:
        argv += ["-a", "Upgrade"]
    else:
        argv += ["-d", install_dir]
    return argv


def configure_command(vx_dir, cs_type, config_file=None, cs_endpoint=None, cs_port=None, passphrase_file=None,
                      errors_file=None):
    """UnifiedAgentConfigurator.sh: modernized with config.json, classic with a configuration server."""
    argv = [os.path.join(vx_dir, "bin", "UnifiedAgentConfigurator.sh")]
    if cs_type == "CSPrime":
        argv += ["-c", "CSPrime", "-S", config_file, "-q"]
    else:
        argv += ["-i", cs_endpoint, "-P", passphrase_file, "-p", str(cs_port), "-c", "CSLegacy", "-q"]
    if errors_file:
        argv += ["-f", errors_file]
    return argv


def uninstall_command(install_dir):
    return [os.path.join(install_dir, "uninstall.sh"), "-Y"]


def agent_config_input_command(vx_dir):
    return [os.path.join(vx_dir, "bin", "AzureRcmCli"), "--getagentconfiginput"]


def parse_agent_config_input(output):
    """The Agent Config Input string from the installer's or AzureRcmCli's output (last one wins)."""
    found = _ACI_RE.findall(output or "")
    return found[-1] if found else None


def decode_agent_config_input(text):
    """The identity inside an Agent Config Input ({"BiosId", "Fqdn", ...}), or {} if unreadable."""
    try:
        value = json.loads(base64.b64decode(text or "", validate=True).decode("utf-8"))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return {}
    return value if isinstance(value, dict) else {}


def byteswapped_bios_id(value):
    """The BIOS UUID with its first three fields byte-swapped (how SMBIOS < 2.6 presents it)."""
    hexes = (value or "").replace("-", "")
    if len(hexes) != 32:
        return value
    swapped = "".join(hexes[i:i + 2] for i in (6, 4, 2, 0, 10, 8, 14, 12)) + hexes[16:]
    return "-".join((swapped[:8], swapped[8:12], swapped[12:16], swapped[16:20], swapped[20:]))


def same_machine(bios_a, bios_b):
    a, b = (bios_a or "").lower(), (bios_b or "").lower()
    return bool(a) and a in (b, (byteswapped_bios_id(b) or "").lower())


# -- exit codes ----------------------------------------------------------------------------------
def read_errors_file(path):
    """[(ErrorName, message)] from the setup's errors json ({"Errors": [{"ErrorName", "DefaultMessage"}]})."""
    try:
        data = json.loads(_read(path) or "{}")
    except ValueError:
        return []
    errors = data.get("Errors") if isinstance(data, dict) else None
    return [(e.get("ErrorName") or "", e.get("DefaultMessage") or e.get("Message") or "")
            for e in errors or [] if isinstance(e, dict)]


def step_error(step, rc, log_file, errors=(), output=""):
    """A MobilityError for a failed installer/configurator/uninstaller run."""
    name, meaning, action = EXIT_CODES.get(rc, ("Unknown", "Exit code %s is not a documented setup code." % rc,
                                                "Read the log."))
    message = "%s failed with exit code %s (%s): %s" % (step, rc, name, meaning)
    if errors:
        message += " Errors: " + "; ".join("%s: %s" % (n, m) if n else m for n, m in errors)
    details = {"exit_code": rc, "log_file": log_file}
    if output:
        details["output"] = output[-4000:]
    return MobilityError(message, code=name, recommended_action="%s See %s." % (action or "", log_file),
                         details=details)
