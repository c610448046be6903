"""dr.asr LAB STAND-IN of AzureRcmCli, the Mobility service's command-line client of the appliance.

Installed as <install dir>/Vx/bin/AzureRcmCli (the build adds the python3 shebang). The real one is
a native binary that talks to the replication appliance (RCM proxy); this one talks to the lab's
appliance endpoint (POST <RegistrationUri>, see lab/drlab/mobility/README.md) and verifies its TLS
certificate with the lab CA: from config.json (CSPrime) or from the package (CSLegacy).

Options used by the stand-in's scripts (the real tool has more):
  --getagentconfiginput                 print "getagentconfiginput:<base64 of the machine identity>"
  --verifyclientauth --configfile F     check F (config.json) against this machine, keep it as
                                        <Vx>/etc/SourceConfig.json
  --registermachine                     register with the appliance of SourceConfig.json (CSPrime)
  --registerhost --csip IP --csport P --passphrasefile F
                                        register with a configuration server (CSLegacy; the real
                                        agent uses csgetfingerprint and cdpcli --registerhost)
  --unregistermachine                   unregister (either kind); "not registered" counts as done
  --getnoncachedsettings                heartbeat: report the agent's version
  --errorfilepath F, --logfile F        where errors are summarized / accepted for compatibility
Exit codes: 0 done, 2 failed, 3 appliance unreachable, 4 rejected by the appliance, 5 bad input.
"""
import argparse
import base64
import datetime
import hashlib
import hmac
import json
import os
import socket
import ssl
import sys
import urllib.error
import urllib.request

VX_VERSION_FILE = "/usr/local/.vx_version"
PRODUCT_UUID = "/sys/class/dmi/id/product_uuid"
LAB_PRODUCT_UUID = "/etc/drlab/product_uuid"
OS_RELEASE = "/etc/os-release"
PASSPHRASE_FILE = "/usr/local/InMage/private/connection.passphrase"
REGISTRATION_PATH = "/_lab/appliance/agents"
LAB_KEYS = ("DrLabApplianceId", "DrLabApplianceName", "DrLabRegisteredAt", "DrLabRegistrationUri")

OK, FAILED, UNREACHABLE, REJECTED, BAD_INPUT = 0, 2, 3, 4, 5


class CliError(Exception):
    def __init__(self, code, name, message):
        super().__init__(message)
        self.code = code
        self.name = name
        self.message = message


def read_kv(path):
    """KEY=value and KEY = value lines of a file (the .vx_version and drscout.conf formats)."""
    values = {}
    try:
        with open(path) as f:
            for line in f:
                if "=" in line and not line.lstrip().startswith(("#", ";", "[")):
                    key, value = line.split("=", 1)
                    values.setdefault(key.strip(), value.strip())
    except OSError:
        pass
    return values


def read_text(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return ""


def install_dir():
    vx = read_kv(VX_VERSION_FILE)
    if not vx.get("INSTALLATION_DIR"):
        raise CliError(FAILED, "ASRMobilityServiceNotInstalled", "Vx agent is not installed.")
    return vx["INSTALLATION_DIR"]


def drscout_path():
    return os.path.join(install_dir(), "etc", "drscout.conf")


def source_config_path():
    return os.path.join(install_dir(), "etc", "SourceConfig.json")


def public_version():
    """MAJOR.MINOR.BUILD.PATCH: VERSION of .vx_version with the build number of BUILD_TAG."""
    vx = read_kv(VX_VERSION_FILE)
    parts = vx.get("VERSION", "0.0.0.0").split(".")
    tag = vx.get("BUILD_TAG", "").split("_")
    if len(parts) == 4 and len(tag) > 3 and tag[3].isdigit():
        parts[2] = tag[3]
    return ".".join(parts)


def bios_id():
    """The machine's BIOS UUID, as the real agent reads it; in the lab the guest's, if no DMI."""
    value = read_text(PRODUCT_UUID) or os.environ.get("DRLAB_GUEST_BIOS_ID", "").strip() \
        or read_text(LAB_PRODUCT_UUID)
    if not value:
        raise CliError(FAILED, "ASRMobilityServiceBiosIdDetectionFailed", "Failed to get the BIOS ID of this machine.")
    return value


def byteswapped(value):
    """The BIOS UUID with its first three fields byte-swapped (SMBIOS < 2.6 vs >= 2.6)."""
    hexes = value.replace("-", "")
    if len(hexes) != 32:
        return value
    swapped = "".join(hexes[i:i + 2] for i in (6, 4, 2, 0)) + "".join(hexes[i:i + 2] for i in (10, 8)) \
        + "".join(hexes[i:i + 2] for i in (14, 12)) + hexes[16:]
    return "-".join((swapped[:8], swapped[8:12], swapped[12:16], swapped[16:20], swapped[20:]))


def os_release():
    values = {}
    for key, value in read_kv(OS_RELEASE).items():
        values[key] = value.strip('"').strip("'")
    return values


def identity():
    """The machine's identity: BiosId and Fqdn (the real AgentConfigInput), plus lab details."""
    osr = os_release()
    conf = read_kv(drscout_path())
    return {
        "BiosId": bios_id(),
        "Fqdn": socket.gethostname(),
        "MachineId": conf.get("HostId", ""),
        "OsName": osr.get("PRETTY_NAME", ""),
        "OsId": osr.get("ID", ""),
        "OsVersion": osr.get("VERSION_ID", ""),
        "OsBuiltFor": read_kv(VX_VERSION_FILE).get("OS_BUILT_FOR", ""),
        "AgentVersion": public_version(),
    }


def canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def passphrase_proof(passphrase, ident):
    return hmac.new(passphrase.strip().encode("utf-8"), canonical(ident), hashlib.sha256).hexdigest()


def conf_set(path, key, value):
    """KEY=VALUE right under [vxagent] (drops earlier KEY lines); value None only drops."""
    with open(path) as f:
        lines = [line for line in f if not (line.startswith(key + "=") or line.startswith(key + " "))]
    if value is not None:
        for index, line in enumerate(lines):
            if line.strip() == "[vxagent]":
                lines.insert(index + 1, "%s=%s\n" % (key, value))
                break
    with open(path + ".tmp", "w") as f:
        f.writelines(lines)
    os.chmod(path + ".tmp", os.stat(path).st_mode & 0o7777)
    os.replace(path + ".tmp", path)


def load_source_config(path):
    try:
        with open(path) as f:
            config = json.load(f)
    except OSError as err:
        raise CliError(FAILED, "ASRMobilityServiceSourceConfigNotFound",
                       "RCM client settings file not found: %s (%s)" % (path, err.strerror)) from err
    except ValueError as err:
        raise CliError(BAD_INPUT, "ASRMobilityServiceInvalidSourceConfig",
                       "The source config file %s is not valid JSON: %s" % (path, err)) from err
    if not isinstance(config, dict):
        raise CliError(BAD_INPUT, "ASRMobilityServiceInvalidSourceConfig",
                       "The source config file %s is not a JSON object." % path)
    return config


def check_source_config(config, path):
    missing = [key for key in ("SubscriptionId", "ResourceId", "BiosId", "Fqdn", "RcmProxyTransportSettings",
                               "ServerSignature", "DrLab") if key not in config]
    lab = config.get("DrLab") if isinstance(config.get("DrLab"), dict) else {}
    missing += ["DrLab." + key for key in ("RegistrationUri", "CaCertificatePem") if not lab.get(key)]
    if missing:
        raise CliError(BAD_INPUT, "ASRMobilityServiceInvalidSourceConfig",
                       "The source config file %s lacks %s." % (path, ", ".join(missing)))
    machine = bios_id()
    if config["BiosId"].lower() not in (machine.lower(), byteswapped(machine).lower()):
        raise CliError(BAD_INPUT, "ASRMobilityServiceBiosIdMismatch",
                       "BIOS ID %s of the source config does not match configured BIOS ID %s."
                       % (config["BiosId"], machine))


def post(url, ca_pem, body):
    """POST body as JSON to url, verifying TLS with ca_pem. Returns (status, parsed JSON or {})."""
    try:
        context = ssl.create_default_context(cadata=ca_pem)
    except (ssl.SSLError, ValueError) as err:
        raise CliError(BAD_INPUT, "ASRMobilityServiceInvalidCACertificate",
                       "The CA certificate for %s is not valid: %s" % (url, err)) from err
    request = urllib.request.Request(url, data=json.dumps(body).encode("utf-8"), method="POST", headers={
        "Content-Type": "application/json", "Accept": "application/json",
        "User-Agent": "AzureRcmCli/%s (dr.asr lab stand-in)" % public_version()})
    try:
        with urllib.request.urlopen(request, timeout=15, context=context) as response:
            return response.status, _json(response.read())
    except urllib.error.HTTPError as err:
        return err.code, _json(err.read())
    except (urllib.error.URLError, OSError) as err:
        reason = getattr(err, "reason", err)
        raise CliError(UNREACHABLE, "ASRMobilityServiceApplianceUnreachable",
                       "Unable to reach the appliance at %s: %s" % (url, reason)) from err


def _json(data):
    try:
        value = json.loads(data.decode("utf-8") or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def call(action, target, ok_statuses=(200, 201)):
    """POST action to the target (see target_*) and return the answer, or raise CliError."""
    ident = identity()
    body = {"action": action, "identity": ident, "agentVersion": ident["AgentVersion"], "csType": target["csType"]}
    if target["csType"] == "CSPrime":
        body["config"] = target["config"]
    else:
        body["csEndpoint"] = target["endpoint"]
        body["passphraseProof"] = passphrase_proof(target["passphrase"], ident)
    status, answer = post(target["url"], target["ca"], body)
    if status in ok_statuses:
        return status, answer
    error = answer.get("error") if isinstance(answer.get("error"), dict) else {}
    raise CliError(REJECTED if 400 <= status < 500 else FAILED, "ASRMobilityServiceRegistrationRejected",
                   "The appliance at %s refused the %s request (HTTP %d %s): %s"
                   % (target["url"], action, status, error.get("code", "Error"), error.get("message", "")))


def target_csprime():
    config = load_source_config(source_config_path())
    return {"csType": "CSPrime", "config": config, "url": config["DrLab"]["RegistrationUri"],
            "ca": config["DrLab"]["CaCertificatePem"]}


def target_cslegacy(ip=None, port=None, passphrase_file=PASSPHRASE_FILE):
    conf = read_kv(drscout_path())
    ip = ip or conf.get("Hostname", "")
    port = port or conf.get("Port", "") or "443"
    if not ip:
        raise CliError(FAILED, "ASRMobilityServiceNotRegistered", "No configuration server is configured.")
    passphrase = read_text(passphrase_file)
    if not passphrase:
        raise CliError(BAD_INPUT, "ASRMobilityServicePassphraseFileNotFound",
                       "The passphrase file %s is missing or empty." % passphrase_file)
    host = "[%s]" % ip if ":" in ip else ip
    return {"csType": "CSLegacy", "endpoint": "%s:%s" % (ip, port), "passphrase": passphrase,
            "url": "https://%s:%s%s" % (host, port, REGISTRATION_PATH),
            "ca": read_text(os.path.join(install_dir(), "etc", "lab-ca.pem"))}


def current_target():
    if read_kv(drscout_path()).get("CSType") == "CSPrime":
        return target_csprime()
    return target_cslegacy()


def record_registration(target, answer):
    path = drscout_path()
    appliance = answer.get("appliance") if isinstance(answer.get("appliance"), dict) else {}
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    if target["csType"] == "CSPrime":
        proxy = target["config"].get("RcmProxyTransportSettings", {})
        appliance.setdefault("id", proxy.get("Id", ""))
        appliance.setdefault("name", proxy.get("FriendlyName", ""))
    else:
        appliance.setdefault("name", target["endpoint"])
    conf_set(path, "DrLabApplianceId", appliance.get("id", ""))
    conf_set(path, "DrLabApplianceName", appliance.get("name", ""))
    conf_set(path, "DrLabRegisteredAt", now)
    conf_set(path, "DrLabRegistrationUri", target["url"])


def cmd_getagentconfiginput(_args):
    serialized = json.dumps(identity(), separators=(",", ":"))
    print("getagentconfiginput:" + base64.b64encode(serialized.encode("utf-8")).decode("ascii"))


def cmd_verifyclientauth(args):
    if not args.configfile:
        raise CliError(BAD_INPUT, "ASRMobilityServiceInvalidArgument", "config file is required for verifyclientauth")
    config = load_source_config(args.configfile)
    check_source_config(config, args.configfile)
    path = source_config_path()
    with open(path + ".tmp", "w") as f:
        json.dump(config, f, indent=2)
    os.chmod(path + ".tmp", 0o600)
    os.replace(path + ".tmp", path)
    print("Verify client authentication succeeded.")


def cmd_registermachine(_args):
    target = target_csprime()
    check_source_config(target["config"], source_config_path())
    answer = call("register", target)[1]
    record_registration(target, answer)
    print("Register machine succeeded: %s" % answer.get("status", ""))


def cmd_registerhost(args):
    if not (args.csip and args.passphrasefile):
        raise CliError(BAD_INPUT, "ASRMobilityServiceInvalidArgument", "--csip and --passphrasefile are required")
    target = target_cslegacy(args.csip, args.csport or "443", args.passphrasefile)
    answer = call("register", target)[1]
    record_registration(target, answer)
    print("Register host succeeded: %s" % answer.get("status", ""))


def cmd_unregistermachine(_args):
    target = current_target()
    status = call("unregister", target, ok_statuses=(200, 202, 204, 404))[0]
    for key in LAB_KEYS:
        conf_set(drscout_path(), key, None)
    print("Unregister machine succeeded." if status != 404 else "The machine was not registered.")


def cmd_getnoncachedsettings(_args):
    answer = call("heartbeat", current_target())[1]
    print("Get Non-cached settings succeeded: %s" % answer.get("status", ""))


COMMANDS = ("getagentconfiginput", "verifyclientauth", "registermachine", "registerhost",
            "unregistermachine", "getnoncachedsettings")


def parse(argv):
    parser = argparse.ArgumentParser(prog="AzureRcmCli", description="dr.asr lab stand-in of AzureRcmCli")
    for name in COMMANDS:
        parser.add_argument("--" + name, action="store_true")
    for name in ("configfile", "csip", "csport", "passphrasefile", "errorfilepath", "logfile"):
        parser.add_argument("--" + name)
    args = parser.parse_args(argv)
    chosen = [name for name in COMMANDS if getattr(args, name)]
    if len(chosen) != 1:
        parser.error("give exactly one of --" + ", --".join(COMMANDS))
    return args, chosen[0]


def main(argv=None):
    args, command = parse(sys.argv[1:] if argv is None else argv)
    print()
    print("Build Version: %s (dr.asr lab stand-in)" % public_version())
    try:
        globals()["cmd_" + command](args)
    except CliError as err:
        print("Error: " + err.message, file=sys.stderr)
        if args.errorfilepath:
            try:
                with open(args.errorfilepath, "w") as f:
                    json.dump({"Errors": [{"ErrorName": err.name, "DefaultMessage": err.message}]}, f)
                    f.write("\n")
            except OSError:
                pass
        return err.code
    return OK


if __name__ == "__main__":
    sys.exit(main())
