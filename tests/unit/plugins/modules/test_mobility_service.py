"""mobility_service: versions, detection, command lines, check mode and secrets, on a fake machine.

The machine is a temporary directory (`_mobility.ROOT`) and the only process boundary patched is
AnsibleModule.run_command: a fake of the agent's tools (install, UnifiedAgentConfigurator.sh,
AzureRcmCli, uninstall.sh) that changes the files the real ones change, as lab/drlab/mobility/README.md
describes them. The installer packages are real tarballs (extracted by the module).
"""
import base64
import io
import json
import hashlib
import itertools
import os
import shutil
import stat
import tarfile

import pytest

from ansible.module_utils import basic

from ansible_collections.dr.asr.plugins.module_utils import _mobility as ms
from ansible_collections.dr.asr.plugins.modules import mobility_service

from .utils import fail_module, patch_exit_json, run_module, set_module_args

BIOS_ID = "4210a1b2-0000-4000-8000-00000000e001"
FQDN = "web-01.lab.local"
PASSPHRASE = "Pa55phrase-0f-the-CS"
SIGNATURE = "c2lnbmF0dXJlLW9mLXRoZS1hcHBsaWFuY2U="


def vx_text(version, build_in_tag=True, install_dir="/usr/local/ASR", **extra):
    major, minor, build, patch = version.split(".")
    vx = "%s.%s.0.%s" % (major, minor, patch)
    lines = ["VERSION=" + vx, "PROD_VERSION=" + version, "PARTNER=inmage",
             "INSTALLATION_DIR=%s/Vx" % install_dir, "VERSION_FILE_PARENT_DIR=/usr/local",
             "BUILD_TAG=RELEASE_%s_GA_%s_Jan_01_2005_INMAGE" % (vx, build if build_in_tag else "X"),
             "OS_BUILT_FOR=UBUNTU-22.04-64", "CONFIG=release"]
    lines += ["%s=%s" % kv for kv in extra.items()]
    return "\n".join(lines) + "\n"


def make_package(directory, version):
    """A Linux installer tarball named and laid out like Microsoft's (contents: what the module reads)."""
    path = os.path.join(str(directory), "Microsoft-ASR_UA_%s_UBUNTU-22.04-64_GA_01Jan2005_release.tar.gz" % version)
    with tarfile.open(path, "w:gz") as tar:
        for name, text, mode in ((".vx_version", vx_text(version).replace("/usr/local/ASR/Vx", "RUNTIME_INSTALL_PATH"), 0o644),
                                 ("install", "#!/bin/sh\n", 0o755), ("Vx/bin/UnifiedAgentConfigurator.sh", "#!/bin/sh\n", 0o755)):
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), mode
            tar.addfile(info, io.BytesIO(data))
    return path


VAULT_ID = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.RecoveryServices/vaults/rsv"


def lab_config(bios_id=BIOS_ID, appliance="ap-1", vault=VAULT_ID):
    return {"SubscriptionId": "s", "ResourceId": vault, "BiosId": bios_id, "Fqdn": FQDN, "ClientCertificate": "",
            "RcmProxyTransportSettings": {"Id": appliance, "FriendlyName": "appliance-" + appliance},
            "ServerSignature": SIGNATURE}


class Machine(object):
    """The fake machine: its files under `root`, and the agent's tools as run_command sees them."""

    def __init__(self, root):
        self.root = str(root)
        self.calls = []
        self.rc = {}          # tool name -> exit code to return instead of doing the work
        self.seen = {}        # what the configurator read: config / passphrase content and file mode

    def path(self, path):
        return os.path.join(self.root, path.lstrip("/"))

    def write(self, path, text):
        full = self.path(path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w") as f:
            f.write(text)

    def read(self, path):
        with open(self.path(path)) as f:
            return f.read()

    def vx(self):
        return ms.parse_kv(self.read(ms.VX_VERSION_FILE)) if os.path.exists(self.path(ms.VX_VERSION_FILE)) else {}

    def set_vx(self, **values):
        vx = self.vx()
        vx.update(values)
        self.write(ms.VX_VERSION_FILE, "".join("%s=%s\n" % kv for kv in vx.items()))

    def drscout(self):
        return ms.parse_kv(self.read(self.vx()["INSTALLATION_DIR"] + "/etc/drscout.conf"))

    def set_drscout(self, **values):
        conf = self.drscout()
        conf.update(values)
        self.write(self.vx()["INSTALLATION_DIR"] + "/etc/drscout.conf",
                   "[vxagent]\n" + "".join("%s=%s\n" % kv for kv in conf.items()))

    def install(self, version, cs_type="CSPrime", role="Agent", install_dir="/usr/local/ASR"):
        self.write(ms.VX_VERSION_FILE, vx_text(version, install_dir=install_dir))
        self.write(install_dir + "/Vx/etc/drscout.conf",
                   "[vxagent]\nHostId=h-1\nCSType=%s\nRole=%s\nVmPlatform=VmWare\nHostname = \nPort = 443\n" % (cs_type, role))
        self.write(install_dir + "/uninstall.sh", "#!/bin/sh\n")

    def identity(self):
        return base64.b64encode(json.dumps({"BiosId": BIOS_ID, "Fqdn": FQDN,
                                            "AgentVersion": ms.agent_version(self.vx())}).encode()).decode()

    # the tools
    def run(self, args, cwd=None):
        tool = os.path.basename(args[0])
        self.calls.append(list(args))
        if tool in self.rc:
            return self.rc[tool], "", "failed"
        return getattr(self, "_" + tool.replace(".", "_"))(args, cwd)

    def _install(self, args, cwd):
        opts = _options(args[1:])
        package = ms.parse_kv(open(os.path.join(cwd, ".vx_version")).read())
        version = ms.agent_version(package)
        if opts.get("-a") == "Upgrade":
            self.set_vx(VERSION=package["VERSION"], PROD_VERSION=package["PROD_VERSION"], BUILD_TAG=package["BUILD_TAG"])
        else:
            self.install(version, opts["-c"], "MasterTarget" if opts["-r"] == "MasterTarget" else "Agent", opts["-d"])
        out = "Installation of the Vx agent has completed successfully.\n"
        if opts["-c"] == "CSPrime":
            out += "Agent Config Input: %s\n" % self.identity()
        return 0, out, ""

    def _UnifiedAgentConfigurator_sh(self, args, cwd):
        opts = _options(args[1:])
        if opts["-c"] == "CSPrime":
            path = opts["-S"]
            self.seen["config"] = (open(path).read(), stat.S_IMODE(os.stat(path).st_mode))
            self.write(self.vx()["INSTALLATION_DIR"] + "/etc/SourceConfig.json", open(path).read())
            self.set_drscout(CSType="CSPrime")
        else:
            path = opts["-P"]
            self.seen["passphrase"] = (open(path).read(), stat.S_IMODE(os.stat(path).st_mode))
            self.set_drscout(CSType="CSLegacy", Hostname=opts["-i"], Port=opts["-p"])
        self.set_vx(AGENT_CONFIGURATION_STATUS="Succeeded")
        return 0, "Agent configuration is completed successfully.\n", ""

    def _AzureRcmCli(self, args, cwd):
        return 0, "\nBuild Version: %s\ngetagentconfiginput:%s\n" % (ms.agent_version(self.vx()), self.identity()), ""

    def _uninstall_sh(self, args, cwd):
        assert args[1:] == ["-Y"]
        install_dir = os.path.dirname(self.vx()["INSTALLATION_DIR"])
        os.unlink(self.path(ms.VX_VERSION_FILE))
        shutil.rmtree(self.path(install_dir))
        return 0, "", ""


def _options(argv):
    opts, i = {}, 0
    while i < len(argv):
        if argv[i] in ("-q",):
            i += 1
            continue
        opts[argv[i]] = argv[i + 1]
        i += 2
    return opts


@pytest.fixture
def machine(tmp_path, monkeypatch):
    m = Machine(tmp_path / "machine")
    os.makedirs(m.path("/usr/local"))
    monkeypatch.setattr(ms, "ROOT", m.root)
    monkeypatch.setattr(basic.AnsibleModule, "run_command", lambda self, args, **kw: m.run(args, kw.get("cwd")))
    patch_exit_json(monkeypatch)
    m.tmp = tmp_path
    return m


_RUNS = itertools.count()


def _args(machine, args):
    """The module arguments, with a fresh temporary directory of the module's own (as ansible gives it)."""
    tmpdir = str(machine.tmp / ("module-tmp-%d" % next(_RUNS)))
    os.makedirs(tmpdir)
    return dict(args, _ansible_tmpdir=tmpdir)


def module_run(machine, check_mode=False, **args):
    with set_module_args(_args(machine, args), check_mode=check_mode):
        return run_module(mobility_service.main)


def module_fail(machine, check_mode=False, **args):
    with set_module_args(_args(machine, args), check_mode=check_mode):
        return fail_module(mobility_service.main)


# -- versions ----------------------------------------------------------------------------------------
def test_public_version_puts_the_build_back_from_build_tag():
    vx = ms.parse_kv(vx_text("9.66.7567.1"))
    assert vx["VERSION"] == "9.66.0.1"  # the version file's VERSION has no build number ...
    assert ms.agent_version(vx) == "9.66.7567.1"  # ... BUILD_TAG has it


def test_the_version_trap():
    """Two builds of 9.66: VERSION alone orders them wrongly (9.66.0.1 > 9.66.0.0)."""
    older = ms.parse_kv(vx_text("9.66.7567.1"))
    newer = ms.parse_kv(vx_text("9.66.7600.0"))
    assert ms.parse_version(older["VERSION"]) > ms.parse_version(newer["VERSION"])
    assert ms.compare_versions(ms.agent_version(newer), ms.agent_version(older)) == 1


@pytest.mark.parametrize("left,right,order", [
    ("9.63.0.0", "9.62.0.0", 1), ("9.62.0.0", "9.63.0.0", -1), ("9.63.0.0", "9.63.0.0", 0),
    ("9.10.0.0", "9.9.0.0", 1),            # numbers, not strings
    ("9.66.7567.1", "9.66.7567.0", 1), ("10.0.0.0", "9.99.9999.9", 1)])
def test_compare_versions(left, right, order):
    assert ms.compare_versions(left, right) == order


def test_compare_versions_refuses_other_formats():
    with pytest.raises(ValueError):
        ms.compare_versions("9.63", "9.62.0.0")


def test_build_from_an_unknown_tag_layout():
    # one more field before the build (the real configurator reads it with `cut -d_ -f5`)
    assert ms.build_from_tag("GA_RELEASE_9.66.0.1_GA_7567_Sep_20_2025_INMAGE", "9.66.0.1") == 7567
    assert ms.build_from_tag("RELEASE_9.66.0.1_GA_7567_Sep_20_2025_INMAGE", "9.66.0.1") == 7567
    assert ms.build_from_tag("something else", "9.66.0.1") is None
    # no build in the tag: PROD_VERSION if it is the same release, else VERSION as it is
    assert ms.agent_version({"VERSION": "9.66.0.1", "BUILD_TAG": "x", "PROD_VERSION": "9.66.7567.1"}) == "9.66.7567.1"
    assert ms.agent_version({"VERSION": "9.66.0.1", "BUILD_TAG": "x", "PROD_VERSION": "9.65.1.1"}) == "9.66.0.1"
    assert ms.agent_version({"PROD_VERSION": "9.66.7567.1"}) == "9.66.7567.1"


# -- detection ---------------------------------------------------------------------------------------
def test_nothing_installed(machine):
    assert ms.detect() == {"installed": False, "version": None, "install_dir": None, "vx_dir": None,
                           "cs_type": None, "experience": None, "role": None, "registered": False,
                           "registration": {}}


def test_detects_a_classic_agent_registered_with_a_configuration_server(machine):
    machine.install("9.55.6765.1", cs_type="CSLegacy", install_dir="/opt/ASR")
    machine.write("/opt/ASR/Vx/etc/drscout.conf",
                  "[vxagent]\nHostId=h\nCSType=CSLegacy\nRole=Agent\nHostname = 10.0.0.5\nPort = 443\nLogLevel = 3\n")
    machine.set_vx(AGENT_CONFIGURATION_STATUS="Succeeded")
    agent = ms.detect()
    assert agent == {"installed": True, "version": "9.55.6765.1", "install_dir": "/opt/ASR", "vx_dir": "/opt/ASR/Vx",
                     "cs_type": "CSLegacy", "experience": "classic", "role": "Agent", "registered": True,
                     "registration": {"cs_type": "CSLegacy", "cs_endpoint": "10.0.0.5", "cs_port": 443}}


def test_detects_a_modernized_registration_from_source_config(machine):
    machine.install("9.63.0.0")
    machine.write("/usr/local/ASR/Vx/etc/SourceConfig.json", json.dumps(lab_config()))
    machine.set_vx(AGENT_CONFIGURATION_STATUS="Succeeded")
    agent = ms.detect()
    assert agent["registered"] and agent["registration"] == {
        "cs_type": "CSPrime", "appliance_id": "ap-1", "appliance_name": "appliance-ap-1",
        "vault_id": lab_config()["ResourceId"], "bios_id": BIOS_ID, "fqdn": FQDN}
    assert SIGNATURE not in json.dumps(agent)


def test_a_failed_configuration_is_not_registered(machine):
    machine.install("9.63.0.0")
    machine.set_vx(AGENT_CONFIGURATION_STATUS="Failed")
    assert ms.detect()["registered"] is False and ms.detect()["registration"] == {}


def test_drscout_conf_through_the_usr_local_link(machine):
    machine.install("9.63.0.0")
    conf = machine.read("/usr/local/ASR/Vx/etc/drscout.conf")
    os.unlink(machine.path("/usr/local/ASR/Vx/etc/drscout.conf"))
    machine.write(ms.DRSCOUT_LINK, conf)
    assert ms.detect()["cs_type"] == "CSPrime"


def test_parse_kv_reads_both_spellings():
    assert ms.parse_kv("[vxagent]\nHostname = 10.0.0.5\nPort=443\n# c\nRole=Agent\nRole=Other\n") == {
        "Hostname": "10.0.0.5", "Port": "443", "Role": "Agent"}


# -- command lines -----------------------------------------------------------------------------------
def test_command_lines():
    assert ms.install_command("CSPrime", "/usr/local/ASR") == [
        "./install", "-q", "-r", "MS", "-v", "VmWare", "-c", "CSPrime", "-d", "/usr/local/ASR"]
    assert ms.install_command("CSLegacy", "/usr/local/ASR") == [
        "./install", "-q", "-r", "Agent", "-v", "VmWare", "-c", "CSLegacy", "-d", "/usr/local/ASR"]
    assert ms.install_command("CSPrime", "/x", upgrade=True) == [
        "./install", "-q", "-r", "MS", "-v", "VmWare", "-c", "CSPrime", "-a", "Upgrade"]
    assert ms.install_command("CSLegacy", "/x", upgrade=True, installed_role="MasterTarget")[3] == "MasterTarget"
    assert ms.configure_command("/usr/local/ASR/Vx", "CSPrime", config_file="/tmp/c.json", errors_file="/tmp/e") == [
        "/usr/local/ASR/Vx/bin/UnifiedAgentConfigurator.sh", "-c", "CSPrime", "-S", "/tmp/c.json", "-q", "-f", "/tmp/e"]
    assert ms.configure_command("/usr/local/ASR/Vx", "CSLegacy", cs_endpoint="10.0.0.5", cs_port=443,
                                passphrase_file="/tmp/p") == [
        "/usr/local/ASR/Vx/bin/UnifiedAgentConfigurator.sh", "-i", "10.0.0.5", "-P", "/tmp/p", "-p", "443",
        "-c", "CSLegacy", "-q"]
    assert ms.uninstall_command("/usr/local/ASR") == ["/usr/local/ASR/uninstall.sh", "-Y"]
    assert ms.agent_config_input_command("/usr/local/ASR/Vx") == [
        "/usr/local/ASR/Vx/bin/AzureRcmCli", "--getagentconfiginput"]


def test_agent_config_input_from_either_tool():
    assert ms.parse_agent_config_input("banner\nAgent Config Input: eyJh\nCheck the log\n") == "eyJh"
    assert ms.parse_agent_config_input("\nBuild Version: 9.63.0.0\ngetagentconfiginput:eyJi\n") == "eyJi"
    assert ms.parse_agent_config_input("nothing") is None


def test_bios_ids_match_byte_swapped():
    assert ms.same_machine("4210a1b2-0000-4000-8000-00000000e001", "B2A11042-0000-0040-8000-00000000E001")
    assert not ms.same_machine("4210a1b2-0000-4000-8000-00000000e001", "4210a1b2-0000-4000-8000-00000000e002")


def test_extraction_refuses_members_outside_the_package(tmp_path):
    evil = str(tmp_path / "evil.tar.gz")
    with tarfile.open(evil, "w:gz") as tar:
        info = tarfile.TarInfo("../outside")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    with pytest.raises(ms.MobilityError) as info:
        ms.extract(evil, str(tmp_path / "dest"))
    assert "../outside" in info.value.message
    assert not (tmp_path / "outside").exists()


def test_installer_version_from_the_package_then_its_name(tmp_path):
    package = make_package(tmp_path, "9.63.7600.2")
    assert ms.installer_info(package) == {"version": "9.63.7600.2", "os_built_for": "UBUNTU-22.04-64"}
    assert ms.installer_version_from_name("https://x/Microsoft-ASR_UA_9.66.7567.1_RHEL8-64_GA_20Sep2025_release.tar.gz") \
        == "9.66.7567.1"


# -- the module: check mode predicts, then the same happens; idempotent ---------------------------------
def test_install_check_mode_predicts_exactly(machine):
    package = make_package(machine.tmp, "9.62.0.0")
    check = module_run(machine, check_mode=True, installer_path=package)
    assert machine.calls == [] and not os.path.exists(machine.path(ms.VX_VERSION_FILE))
    done = module_run(machine, installer_path=package)
    assert check["changed"] and done["changed"] and check["actions"] == done["actions"] == ["install"]
    for key in ("installed", "version", "install_dir", "experience", "registered", "registration", "diff"):
        assert check[key] == done[key], key
    assert done["diff"] == {"before": {"installed": False, "version": None, "registered": False},
                            "after": {"installed": True, "version": "9.62.0.0", "registered": False}}
    assert machine.calls[0] == ["./install", "-q", "-r", "MS", "-v", "VmWare", "-c", "CSPrime", "-d", "/usr/local/ASR"]
    assert check["agent_config_input"] is None and done["agent_config_input"] == machine.identity()
    # idempotent, and the Agent Config Input comes from AzureRcmCli, not from a new installation
    calls = len(machine.calls)
    again = module_run(machine, installer_path=package)
    assert not again["changed"] and again["actions"] == [] and again["agent_config_input"] == machine.identity()
    assert [os.path.basename(c[0]) for c in machine.calls[calls:]] == ["AzureRcmCli"]


def test_present_leaves_another_version_alone_latest_upgrades(machine):
    machine.install("9.62.0.0")
    newer = make_package(machine.tmp, "9.63.0.0")
    assert not module_run(machine, installer_path=newer)["changed"]
    check = module_run(machine, check_mode=True, state="latest", installer_path=newer)
    done = module_run(machine, state="latest", installer_path=newer)
    assert check["actions"] == done["actions"] == ["upgrade"]
    assert check["diff"] == done["diff"] == {"before": {"installed": True, "version": "9.62.0.0", "registered": False},
                                             "after": {"installed": True, "version": "9.63.0.0", "registered": False}}
    assert machine.calls[-1] == ["./install", "-q", "-r", "MS", "-v", "VmWare", "-c", "CSPrime", "-a", "Upgrade"]
    older = make_package(machine.tmp, "9.62.0.0")
    assert not module_run(machine, state="latest", installer_path=older)["changed"]  # never downgrades
    assert not module_run(machine, state="latest", installer_path=newer)["changed"]


def test_register_modernized_with_content_never_returns_it(machine):
    machine.install("9.63.0.0")
    content = json.dumps(lab_config())
    check = module_run(machine, check_mode=True, config_json_content=content)
    done = module_run(machine, config_json_content=content)
    assert check["actions"] == done["actions"] == ["register"]
    assert check["registration"] == done["registration"] and check["diff"] == done["diff"]
    assert done["registered"] and done["registration"]["appliance_id"] == "ap-1"
    config_text, mode = machine.seen["config"]
    assert json.loads(config_text) == lab_config() and mode == 0o600  # a private temporary file
    for result in (check, done):
        assert SIGNATURE not in json.dumps(result)
    # idempotent: the same appliance and vault (a re-issued config.json has another signature)
    assert not module_run(machine, config_json_content=dict(lab_config(), ServerSignature="other"))["changed"]
    # another appliance: registered again
    assert module_run(machine, config_json_content=lab_config(appliance="ap-2"))["actions"] == ["register"]


def test_register_modernized_from_a_file_on_the_machine(machine, tmp_path):
    machine.install("9.63.0.0")
    path = tmp_path / "config.json"
    path.write_text(json.dumps(lab_config()))
    done = module_run(machine, config_json_path=str(path))
    assert done["registered"] and machine.calls[-2][:5] == [
        "/usr/local/ASR/Vx/bin/UnifiedAgentConfigurator.sh", "-c", "CSPrime", "-S", str(path)]


def test_install_and_register_classic_never_returns_the_passphrase(machine):
    package = make_package(machine.tmp, "9.63.0.0")
    args = dict(experience="classic", installer_path=package, cs_endpoint="10.0.0.5", passphrase=PASSPHRASE)
    check = module_run(machine, check_mode=True, **args)
    done = module_run(machine, **args)
    assert check["actions"] == done["actions"] == ["install", "register"]
    assert check["diff"] == done["diff"] and check["registration"] == done["registration"] == {
        "cs_type": "CSLegacy", "cs_endpoint": "10.0.0.5", "cs_port": 443}
    assert machine.calls[0][:9] == ["./install", "-q", "-r", "Agent", "-v", "VmWare", "-c", "CSLegacy", "-d"]
    assert machine.seen["passphrase"] == (PASSPHRASE, 0o600)
    for result in (check, done):
        assert PASSPHRASE not in json.dumps(result)
    assert done["agent_config_input"] is None  # classic agents have none
    assert not module_run(machine, **args)["changed"]
    failure = module_fail(machine, experience="classic", cs_endpoint="10.0.0.6", passphrase=PASSPHRASE)
    assert failure["error"]["code"] == "AgentPointingToDifferentCS" and PASSPHRASE not in json.dumps(failure)


def test_a_config_for_another_machine_is_refused_before_anything_runs(machine):
    machine.install("9.63.0.0")
    failure = module_fail(machine, check_mode=True, config_json_content=lab_config(bios_id="4210a1b2-0000-4000-8000-0000000000ff"))
    assert failure["error"]["code"] == "BiosIdMismatchFound" and BIOS_ID in failure["msg"]
    assert [os.path.basename(c[0]) for c in machine.calls] == ["AzureRcmCli"]
    assert SIGNATURE not in json.dumps(failure)


def test_not_json_names_the_position_never_the_content(machine):
    machine.install("9.63.0.0")
    failure = module_fail(machine, config_json_content='{"ServerSignature": "%s", oops}' % SIGNATURE)
    assert failure["error"]["code"] == "InvalidSourceConfigFile" and SIGNATURE not in json.dumps(failure)


def test_absent_check_mode_then_uninstall_once(machine):
    machine.install("9.63.0.0")
    check = module_run(machine, check_mode=True, state="absent")
    assert os.path.exists(machine.path(ms.VX_VERSION_FILE))
    done = module_run(machine, state="absent")
    assert check["diff"] == done["diff"] == {"before": {"installed": True, "version": "9.63.0.0", "registered": False},
                                             "after": {"installed": False, "version": None, "registered": False}}
    assert machine.calls == [["/usr/local/ASR/uninstall.sh", "-Y"]]
    assert not module_run(machine, state="absent")["changed"]


# -- exit codes --------------------------------------------------------------------------------------
def test_installer_exit_codes_are_named_with_what_to_do(machine):
    package = make_package(machine.tmp, "9.63.0.0")
    machine.rc["install"] = 42
    errors = [{"ErrorName": "ASRMobilityServiceUnsupportedOS", "DefaultMessage": "RHEL8-64 is not UBUNTU-22.04-64"}]
    machine.write(ms.ERRORS_JSON, json.dumps({"Errors": errors}))
    failure = module_fail(machine, installer_path=package)
    assert "exit code 42 (UnsupportedOS)" in failure["msg"]
    assert "RHEL8-64 is not UBUNTU-22.04-64" in failure["msg"]
    assert failure["error"]["code"] == "UnsupportedOS" and failure["error"]["details"]["exit_code"] == 42
    assert "/var/log/ua_install.log" in failure["error"]["recommended_action"]


def test_configurator_failure_97_reads_its_errors_file(machine, monkeypatch):
    machine.install("9.63.0.0")

    def configurator(args, cwd):
        errors = args[args.index("-f") + 1]
        with open(errors, "w") as f:
            json.dump({"Errors": [{"ErrorName": "ASRMobilityServiceRegistrationRejected",
                                   "DefaultMessage": "ConfigExpired"}]}, f)
        return 97, "", ""
    monkeypatch.setattr(machine, "_UnifiedAgentConfigurator_sh", configurator)
    failure = module_fail(machine, config_json_content=lab_config())
    assert "97 (FailedWithErrors)" in failure["msg"] and "ConfigExpired" in failure["msg"]


@pytest.mark.parametrize("rc,name", [(15, "DowngradeNotSupported"), (75, "AgentRoleChangeNotAllowed"),
                                     (13, "AgentPointingToDifferentCS"), (130, "AgentConfigInputFailure"),
                                     (12345, "Unknown")])
def test_exit_code_names(rc, name):
    error = ms.step_error("step", rc, "/var/log/x.log")
    assert error.code == name and ("exit code %d (%s)" % (rc, name)) in error.message


# -- the installer from a URL ------------------------------------------------------------------------
class Response(object):
    def __init__(self, data):
        self.stream = io.BytesIO(data)

    def read(self, size=-1):
        return self.stream.read(size)


def test_download_is_verified_before_use(machine, monkeypatch):
    package = make_package(machine.tmp, "9.63.0.0")
    data = open(package, "rb").read()
    url = "https://repo.example.com/" + os.path.basename(package)
    fetched = []

    def fetch_url(module, target, **kw):
        fetched.append(target)
        return Response(data), {"status": 200, "msg": "OK"}
    monkeypatch.setattr(mobility_service, "fetch_url", fetch_url)
    wrong = module_fail(machine, installer_url=url, installer_checksum="sha256:" + "0" * 64)
    assert wrong["error"]["code"] == "ChecksumMismatch" and machine.calls == []
    right = "sha256:" + hashlib.sha256(data).hexdigest()
    check = module_run(machine, check_mode=True, installer_url=url, installer_checksum=right)
    assert check["installer_version"] == "9.63.0.0" and len(fetched) == 1  # the check-mode run read the name only
    assert module_run(machine, installer_url=url, installer_checksum=right)["version"] == "9.63.0.0"


@pytest.mark.parametrize("args,parameter", [
    (dict(installer_checksum="md5:abc", installer_url="https://x/y.tar.gz"), "installer_checksum"),
    (dict(install_dir="relative/dir"), "install_dir"),
    (dict(cs_endpoint="10.0.0.5", passphrase="p"), "experience"),
    (dict(experience="classic", config_json_content="{}"), "experience"),
    (dict(experience="classic", cs_endpoint="10.0.0.5"), "passphrase")])
def test_invalid_input(machine, args, parameter):
    failure = module_fail(machine, **args)
    assert failure["error"]["kind"] == "input" and failure["error"]["details"]["parameter"] == parameter


def test_installing_needs_an_installer(machine):
    failure = module_fail(machine)
    assert failure["error"]["details"]["parameter"] == "installer_path"


def test_a_failed_registration_after_an_installation_reports_the_change(machine):
    package = make_package(machine.tmp, "9.63.0.0")
    machine.rc["UnifiedAgentConfigurator.sh"] = 97
    failure = module_fail(machine, installer_path=package, config_json_content=lab_config())
    assert failure["changed"] and failure["actions"] == ["install"] and failure["installed"]
    assert failure["error"]["code"] == "FailedWithErrors" and SIGNATURE not in json.dumps(failure)


# -- an installer URL with a storage token (SAS): its query is never shown nor logged ---------------------------
SAS_SIG = "k7Q2xV9sEcReTsIgNaTuRe0fThEsToRaGeAcCoUnT%3D"
SAS_URL = ("https://stdrpackages.blob.core.windows.net/asr/Microsoft-ASR_UA_9.63.0.0_UBUNTU-22.04-64_GA_01Jan2005"
           "_release.tar.gz?sv=2022-11-02&ss=b&srt=o&sp=r&se=2030-01-01T00:00:00Z&sig=" + SAS_SIG)
SHOWN_URL = SAS_URL.split("?", maxsplit=1)[0] + "?********"
REAL_EXIT_JSON, REAL_FAIL_JSON = basic.AnsibleModule.exit_json, basic.AnsibleModule.fail_json


def module_output(machine, monkeypatch, **args):
    """Run the module as ansible does - real exit_json/fail_json, their result as it is printed, and what the module
    logs to syslog/journal (its invocation) - and return (printed result, logged lines)."""
    printed, logged = [], []
    monkeypatch.setattr(basic.AnsibleModule, "exit_json", REAL_EXIT_JSON)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", REAL_FAIL_JSON)
    monkeypatch.setattr(basic.AnsibleModule, "_record_module_result", lambda self, o: printed.append(o))
    monkeypatch.setattr(basic.AnsibleModule, "log", lambda self, msg, log_args=None: logged.append((msg, log_args)))
    with set_module_args(_args(machine, args)):
        with pytest.raises(SystemExit):
            mobility_service.main()
    return printed[0], logged


def test_a_sas_token_never_shows_in_a_download_error_nor_in_the_logged_arguments(machine, monkeypatch):
    def fetch_url(module, target, **kw):      # as ansible's fetch_url answers a 403 (the library's message quotes the URL)
        assert target == SAS_URL               # the module downloads from the URL as given
        return None, {"status": 403, "msg": "HTTP Error 403: Server failed to authenticate the request (%s)" % target,
                      "url": target}
    monkeypatch.setattr(mobility_service, "fetch_url", fetch_url)
    result, logged = module_output(machine, monkeypatch, installer_url=SAS_URL, installer_checksum="sha256:" + "0" * 64)
    assert result["failed"] and result["error"]["code"] == "DownloadFailed"
    assert SHOWN_URL in result["msg"] and "HTTP 403" in result["msg"]
    assert result["invocation"]["module_args"]["installer_url"].startswith(SAS_URL.split("?", maxsplit=1)[0])
    text = json.dumps(result, default=str) + json.dumps([str(entry) for entry in logged])
    assert SAS_SIG not in text and "sig=" not in text and "se=2030" not in text


def test_a_sas_token_never_shows_in_a_checksum_error_nor_in_a_result(machine, monkeypatch):
    package = make_package(machine.tmp, "9.63.0.0")
    data = open(package, "rb").read()
    monkeypatch.setattr(mobility_service, "fetch_url", lambda module, target, **kw: (Response(data), {"status": 200}))
    wrong, _logged = module_output(machine, monkeypatch, installer_url=SAS_URL, installer_checksum="sha256:" + "0" * 64)
    assert wrong["error"]["code"] == "ChecksumMismatch" and SHOWN_URL in wrong["msg"] and SAS_SIG not in json.dumps(wrong, default=str)
    right = "sha256:" + hashlib.sha256(data).hexdigest()
    done, logged = module_output(machine, monkeypatch, installer_url=SAS_URL, installer_checksum=right)
    assert done["changed"] and done["version"] == "9.63.0.0"
    assert done["invocation"]["module_args"]["installer_url"] == SAS_URL.split("?", maxsplit=1)[0] + "********"
    assert SAS_SIG not in json.dumps(done, default=str) + json.dumps([str(entry) for entry in logged])


def test_a_url_without_a_secret_shows_whole(machine, monkeypatch):
    plain = SAS_URL.split("?", maxsplit=1)[0]
    monkeypatch.setattr(mobility_service, "fetch_url", lambda module, target, **kw: (None, {"status": 404, "msg": "Not Found"}))
    failure, _logged = module_output(machine, monkeypatch, installer_url=plain, installer_checksum="sha256:" + "0" * 64)
    assert plain in failure["msg"] and failure["invocation"]["module_args"]["installer_url"] == plain


def test_a_password_in_the_url_is_hidden_too(machine, monkeypatch):
    url = "https://deploy:Pa55-w0rd@repo.example.com/asr/pkg.tar.gz"
    monkeypatch.setattr(mobility_service, "fetch_url", lambda module, target, **kw: (None, {"status": 500, "msg": "x"}))
    failure, _logged = module_output(machine, monkeypatch, installer_url=url, installer_checksum="sha256:" + "0" * 64)
    assert "Pa55-w0rd" not in json.dumps(failure, default=str) and "https://deploy:********@repo.example.com/asr/pkg.tar.gz" in failure["msg"]


def test_an_installer_url_that_is_not_http_is_refused_without_its_query(machine):
    failure = module_fail(machine, installer_url="ftp://repo.example.com/pkg.tar.gz?sig=" + SAS_SIG,
                          installer_checksum="sha256:" + "0" * 64)
    assert failure["error"]["details"]["parameter"] == "installer_url" and SAS_SIG not in json.dumps(failure)


def test_an_unverified_download_warns(machine, monkeypatch):
    warnings = []
    monkeypatch.setattr(basic.AnsibleModule, "warn", lambda self, msg, **kw: warnings.append(msg))
    monkeypatch.setattr(mobility_service, "fetch_url", lambda module, target, **kw: (None, {"status": 404, "msg": "x"}))
    module_fail(machine, installer_url=SAS_URL, installer_checksum="sha256:" + "0" * 64, validate_certs=False)
    assert [w for w in warnings if "TLS certificate verification is OFF for the installer download" in w
            and SHOWN_URL in w and SAS_SIG not in w]
