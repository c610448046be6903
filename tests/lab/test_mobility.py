"""The lab stand-in of the ASR Mobility service (drlab.mobility) and lab guests (drlab.guestroot).

Each test installs into its own guest (a private /usr/local and /var/log under the test's state
directory), runs the real command lines (./install, UnifiedAgentConfigurator.sh, uninstall.sh), and
checks the files, exit codes and the calls a local HTTPS stub of the appliance endpoint received.
The stub answers with drlab.mobility.config.verify_request, the checks the Azure simulator's
endpoint makes. Needs root (mount namespaces).
"""
import base64
import hashlib
import json
import os
import shutil
import socket
import ssl
import tarfile
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from drlab import ca, guestroot
from drlab.mobility import build, config
from drlab.settings import Settings

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or shutil.which("unshare") is None,
                                reason="lab guests need root and unshare")

OLD, NEW = build.LAB_VERSIONS
MODERN = ("./install", "-q", "-r", "MS", "-v", "VmWare", "-c", "CSPrime")
CLASSIC = ("./install", "-d", "/usr/local/ASR", "-r", "Agent", "-v", "VmWare", "-q")
CONFIGURATOR = "/usr/local/ASR/Vx/bin/UnifiedAgentConfigurator.sh"
HOST_FILES = ("/usr/local/.vx_version", "/usr/local/drscout.conf", "/usr/local/ASR", "/usr/local/InMage")


class Appliance:
    """HTTPS stub of POST /_lab/appliance/agents that records every call."""

    def __init__(self, state_dir):
        self.calls = []
        self.registered = set()
        self.lock = threading.Lock()
        cert, key = ca.ensure_server_cert(os.path.join(state_dir, "ca"), "appliance-stub")
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # pylint: disable=arguments-differ
                pass

            def do_POST(self):  # noqa: N802 (http.server's naming)
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"null")
                status, answer = stub.answer(self.path, body)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.settings = Settings(state_dir=state_dir, azure_port=self.port)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def answer(self, path, body):
        if path != config.REGISTRATION_PATH:
            return 404, {"error": {"code": "NotFound", "message": path}}
        try:
            call = config.verify_request(self.settings, body)
        except config.ConfigError as err:
            with self.lock:
                self.calls.append({"action": (body or {}).get("action"), "rejected": err.code, "body": body})
            return err.status, err.to_json()
        call["body"] = body
        with self.lock:
            self.calls.append(call)
            key = call["biosId"].lower()
            if call["action"] == "register":
                self.registered.add(key)
            elif key not in self.registered:
                return 404, {"error": {"code": "NotRegistered", "message": "unknown machine"}}
            elif call["action"] == "unregister":
                self.registered.discard(key)
        status = {"register": "Registered", "unregister": "Unregistered"}.get(call["action"], "Registered")
        return 200, {"status": status, "appliance": config.appliance(self.settings)}

    def of(self, action, bios_id=None):
        return [c for c in self.calls if c["action"] == action and (bios_id is None or c.get("biosId") == bios_id)]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def lab():
    for path in HOST_FILES:
        assert not os.path.lexists(path), "the host already has %s; refusing to run" % path
    state = tempfile.mkdtemp(prefix="drlab-mobility-")
    os.chmod(state, 0o755)  # the non-root test reads the extracted packages
    appliance = Appliance(state)
    packages = {}
    for version in (OLD, NEW):
        tarball = build.build_installer(appliance.settings, version)
        packages[version] = os.path.join(state, "pkg-" + version)
        with tarfile.open(tarball) as tar:
            tar.extractall(packages[version])  # nosec: our own tarball
    yield {"settings": appliance.settings, "appliance": appliance, "packages": packages, "state": state}
    appliance.close()
    shutil.rmtree(state, ignore_errors=True)
    for path in HOST_FILES:
        assert not os.path.lexists(path), "a guest leaked %s onto the host" % path


class Guest:
    """One lab guest: run commands in it, read its files from the host side."""

    def __init__(self, lab_, name, **identity):
        self.settings = lab_["settings"]
        self.lab = lab_
        self.name = name
        self.root = guestroot.ensure_guest(self.settings, name, **identity)
        self.bios_id = guestroot.guest_identity(self.settings, name)["bios_id"]

    def run(self, argv, version=None, **kw):
        cwd = self.lab["packages"][version] if version else self.lab["state"]
        return guestroot.run_in_guest(self.settings, self.name, list(argv), cwd=cwd, **kw)

    def path(self, guest_path):
        for prefix, sub in (("/usr/local/", "usr-local"), ("/var/log/", "var-log")):
            if guest_path.startswith(prefix):
                return os.path.join(self.root, sub, guest_path[len(prefix):])
        raise ValueError(guest_path)

    def read(self, guest_path):
        with open(self.path(guest_path)) as f:
            return f.read()

    def kv(self, guest_path):
        values = {}
        for line in self.read(guest_path).splitlines():
            if "=" in line and not line.startswith("["):
                key, value = line.split("=", 1)
                values[key.strip()] = value.strip()
        return values

    def install(self, version=OLD, argv=MODERN):
        result = self.run(argv, version)
        assert result.returncode == 0, result.stdout + result.stderr
        return result

    def config_file(self, agent_config_input, settings=None, **kw):
        document = config.make_config(settings or self.settings, agent_config_input, **kw)
        path = os.path.join(self.lab["state"], "%s-config.json" % self.name)
        with open(path, "w") as f:
            json.dump(document, f)
        return path, document


def agent_config_input(stdout):
    lines = [line for line in stdout.splitlines() if line.startswith("Agent Config Input: ")]
    assert len(lines) == 1, stdout
    return lines[0][len("Agent Config Input: "):]


def test_packages_are_named_like_the_real_ones_and_built_deterministically(lab):
    settings = lab["settings"]
    first = build.build_installer(settings, NEW)
    with open(first, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    assert os.path.basename(first) == "Microsoft-ASR_UA_9.63.0.0_UBUNTU-22.04-64_GA_01Jan2005_release.tar.gz"
    with open(build.build_installer(settings, NEW), "rb") as f:
        assert hashlib.sha256(f.read()).hexdigest() == digest
    with tarfile.open(first) as tar:
        members = {m.name: m for m in tar.getmembers()}
    for script in ("install", "uninstall.sh", "Vx/bin/UnifiedAgentConfigurator.sh", "Vx/bin/AzureRcmCli",
                   "Vx/bin/vxagent", "Vx/bin/libcommon.sh"):
        assert members[script].mode & 0o111 == 0o111, script
    with open(os.path.join(lab["packages"][NEW], "Vx", "bin", "AzureRcmCli")) as f:
        assert f.readline() == "#!/usr/bin/env python3\n"
    # A real-looking version: the build number goes into the name's date and BUILD_TAG, not VERSION.
    real = build.build_installer(settings, "9.66.7567.1")
    assert os.path.basename(real) == "Microsoft-ASR_UA_9.66.7567.1_UBUNTU-22.04-64_GA_20Sep2025_release.tar.gz"
    with tarfile.open(real) as tar:
        vx = tar.extractfile(".vx_version").read().decode()
    assert "VERSION=9.66.0.1\n" in vx and "PROD_VERSION=9.66.7567.1\n" in vx
    assert "BUILD_TAG=RELEASE_9.66.0.1_GA_7567_Sep_20_2025_INMAGE\n" in vx
    assert "INSTALLATION_DIR=RUNTIME_INSTALL_PATH\n" in vx
    os.unlink(real)
    with pytest.raises(build.BuildError):
        build.build_installer(settings, "9.63")


def test_modernized_install_writes_the_real_footprint(lab):
    guest = Guest(lab, "prime")
    result = guest.install()
    assert "LAB STAND-IN" in result.stdout
    vx = guest.kv("/usr/local/.vx_version")
    assert vx["VERSION"] == OLD and vx["INSTALLATION_DIR"] == "/usr/local/ASR/Vx"
    assert vx["PROD_VERSION"] == OLD and vx["OS_BUILT_FOR"] == "UBUNTU-22.04-64" and vx["INSTALLATION_DATE"]
    assert vx["BUILD_TAG"].startswith("RELEASE_%s_GA_" % OLD) and vx["DRLAB_STANDIN"] == "true"
    assert "AGENT_CONFIGURATION_STATUS" not in vx
    assert os.readlink(guest.path("/usr/local/drscout.conf")) == "/usr/local/ASR/Vx/etc/drscout.conf"
    conf = guest.read("/usr/local/ASR/Vx/etc/drscout.conf")
    assert conf.startswith("[vxagent]\n")
    drscout = guest.kv("/usr/local/ASR/Vx/etc/drscout.conf")
    assert drscout["Role"] == "Agent" and drscout["CSType"] == "CSPrime" and drscout["VmPlatform"] == "VmWare"
    assert drscout["Hostname"] == "" and drscout["Port"] == "443"
    for script in ("/usr/local/ASR/uninstall.sh", CONFIGURATOR, "/usr/local/ASR/Vx/bin/AzureRcmCli"):
        assert os.access(guest.path(script), os.X_OK), script
    assert "UA INSTALLATION" in guest.read("/var/log/ua_install.log")
    assert guest.run(["/usr/local/ASR/Vx/bin/vxagent", "status"]).returncode == 3  # installed, not configured

    ident = json.loads(base64.b64decode(agent_config_input(result.stdout)))
    assert list(ident)[:2] == ["BiosId", "Fqdn"]
    assert ident["BiosId"] == guest.bios_id and ident["Fqdn"] == "prime"
    assert ident["MachineId"] == drscout["HostId"] and len(drscout["HostId"]) == 36
    assert ident["OsId"] == "ubuntu" and ident["OsVersion"] == "22.04" and ident["AgentVersion"] == OLD
    cli = guest.run(["/usr/local/ASR/Vx/bin/AzureRcmCli", "--getagentconfiginput"])
    assert "getagentconfiginput:" + agent_config_input(result.stdout) in cli.stdout.splitlines()

    # Installing again without -a Upgrade changes nothing: 98 (succeeded with warnings).
    again = guest.run(MODERN, NEW)
    assert again.returncode == 98, again.stdout
    assert "already installed" in again.stdout
    assert guest.kv("/usr/local/.vx_version") == vx
    assert "AlreadyInstalled" in guest.read("/var/log/InstallerErrors.json")
    for path in HOST_FILES:
        assert not os.path.lexists(path)


def test_register_then_upgrade_keeps_the_registration(lab):
    appliance = lab["appliance"]
    guest = Guest(lab, "upgrader")
    aci = agent_config_input(guest.install(OLD).stdout)
    config_path, document = guest.config_file(aci)
    assert document["BiosId"] == guest.bios_id and document["DrLab"]["Identity"]["Fqdn"] == "upgrader"
    assert document["DrLab"]["RegistrationUri"] == "https://127.0.0.1:%d/_lab/appliance/agents" % appliance.port
    config.verify_config(lab["settings"], document)

    result = guest.run([CONFIGURATOR, "-c", "CSPrime", "-S", config_path, "-q"])
    assert result.returncode == 0, result.stdout + result.stderr
    registers = appliance.of("register", guest.bios_id)
    assert len(registers) == 1
    assert registers[0]["identity"]["Fqdn"] == "upgrader" and registers[0]["csType"] == "CSPrime"
    assert registers[0]["agentVersion"] == OLD
    vx = guest.kv("/usr/local/.vx_version")
    assert vx["AGENT_CONFIGURATION_STATUS"] == "Succeeded"
    drscout = guest.kv("/usr/local/ASR/Vx/etc/drscout.conf")
    assert drscout["DrLabApplianceName"] == config.APPLIANCE_NAME and drscout["DrLabRegisteredAt"]
    assert os.path.exists(guest.path("/usr/local/ASR/Vx/etc/SourceConfig.json"))
    assert guest.run(["/usr/local/ASR/Vx/bin/vxagent", "status"]).returncode == 0

    upgrade = guest.run(["./install", "-q", "-r", "MS", "-v", "VmWare", "-a", "Upgrade", "-c", "CSPrime"], NEW)
    assert upgrade.returncode == 0, upgrade.stdout + upgrade.stderr
    after = guest.kv("/usr/local/.vx_version")
    assert after["VERSION"] == NEW and after["AGENT_CONFIGURATION_STATUS"] == "Succeeded"
    assert after["INSTALLATION_DIR"] == vx["INSTALLATION_DIR"] and after["INSTALLATION_DATE"] == vx["INSTALLATION_DATE"]
    kept = guest.kv("/usr/local/ASR/Vx/etc/drscout.conf")
    assert kept["HostId"] == drscout["HostId"] and kept["DrLabRegisteredAt"] == drscout["DrLabRegisteredAt"]
    assert guest.run(["/usr/local/ASR/Vx/bin/vxagent", "status"]).returncode == 0
    assert json.loads(base64.b64decode(agent_config_input(upgrade.stdout)))["AgentVersion"] == NEW
    assert [c["agentVersion"] for c in appliance.of("heartbeat", guest.bios_id)] == [NEW]
    assert len(appliance.of("register", guest.bios_id)) == 1

    same = guest.run(["./install", "-A", "u"], NEW)
    assert same.returncode == 0 and "nothing to upgrade" in same.stdout
    down = guest.run(["./install", "-q", "-r", "MS", "-v", "VmWare", "-a", "Upgrade", "-c", "CSPrime"], OLD)
    assert down.returncode == 15, down.stdout
    assert guest.kv("/usr/local/.vx_version")["VERSION"] == NEW


def test_tampered_foreign_or_unreachable_configs_are_refused(lab):
    appliance = lab["appliance"]
    guest = Guest(lab, "tamper")
    aci = agent_config_input(guest.install().stdout)
    config_path, document = guest.config_file(aci)
    document["ResourceId"] = document["ResourceId"].replace("drlab-vault", "other-vault")
    with open(config_path, "w") as f:
        json.dump(document, f)
    with pytest.raises(config.ConfigError):
        config.verify_config(lab["settings"], document)
    result = guest.run([CONFIGURATOR, "-c", "CSPrime", "-S", config_path, "-q"])
    assert result.returncode == 97, result.stdout
    assert "InvalidSignature" in result.stdout
    assert [c["rejected"] for c in appliance.of("register") if c.get("body", {}).get("identity", {})
            .get("BiosId") == guest.bios_id] == ["InvalidSignature"]
    assert guest.kv("/usr/local/.vx_version")["AGENT_CONFIGURATION_STATUS"] == "Failed"
    assert "RegistrationFailed" in guest.read("/var/log/InstallerErrors.json")

    # A config issued for another machine fails before any call.
    other = base64.b64encode(json.dumps({"BiosId": guestroot.default_bios_id("elsewhere"),
                                         "Fqdn": "elsewhere"}).encode()).decode()
    config_path = guest.config_file(other)[0]
    calls = len(appliance.calls)
    result = guest.run([CONFIGURATOR, "-c", "CSPrime", "-S", config_path, "-q"])
    assert result.returncode == 97 and "does not match configured BIOS ID" in result.stdout
    assert len(appliance.calls) == calls

    # The appliance of the config does not answer.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    config_path = guest.config_file(aci, Settings(state_dir=lab["state"], azure_port=closed_port))[0]
    result = guest.run([CONFIGURATOR, "-c", "CSPrime", "-S", config_path, "-q"])
    assert result.returncode == 97 and "Unable to reach the appliance" in result.stdout
    missing = guest.run([CONFIGURATOR, "-c", "CSPrime", "-S", "/nonexistent/config.json", "-q"])
    assert missing.returncode == 97 and "Unable to find Source config file" in missing.stdout


def test_classic_install_and_registration_with_a_passphrase(lab):
    appliance = lab["appliance"]
    guest = Guest(lab, "classic")
    result = guest.install(NEW, CLASSIC)
    assert "Agent Config Input" not in result.stdout
    assert guest.kv("/usr/local/ASR/Vx/etc/drscout.conf")["CSType"] == "CSLegacy"
    port = str(appliance.port)
    wrong = os.path.join(lab["state"], "wrong.passphrase")
    with open(wrong, "w") as f:
        f.write("NotThePassphrase\n")
    refused = guest.run([CONFIGURATOR, "-i", "127.0.0.1", "-p", port, "-P", wrong])
    assert refused.returncode == 14, refused.stdout
    assert appliance.of("register")[-1]["rejected"] == "InvalidPassphrase"
    missing = guest.run([CONFIGURATOR, "-i", "127.0.0.1", "-p", port, "-P", "/nonexistent"])
    assert missing.returncode == 1 and "Passphrase file passed to the installer does not exist." in missing.stdout

    passphrase = config.passphrase_path(lab["settings"])
    result = guest.run([CONFIGURATOR, "-i", "127.0.0.1", "-p", port, "-P", passphrase])
    assert result.returncode == 0, result.stdout + result.stderr
    register = appliance.of("register", guest.bios_id)[-1]
    assert register["csType"] == "CSLegacy" and register["body"]["csEndpoint"] == "127.0.0.1:" + port
    conf = guest.read("/usr/local/ASR/Vx/etc/drscout.conf")
    assert "Hostname = 127.0.0.1\n" in conf and "Port = %s\n" % port in conf and "CSType=CSLegacy\n" in conf
    assert guest.kv("/usr/local/.vx_version")["AGENT_CONFIGURATION_STATUS"] == "Succeeded"
    assert guest.read("/usr/local/InMage/private/connection.passphrase").strip() == config.cs_passphrase(
        lab["settings"])
    elsewhere = guest.run([CONFIGURATOR, "-i", "127.0.0.2", "-p", port, "-P", passphrase])
    assert elsewhere.returncode == 13 and "different Configuration server" in elsewhere.stdout


def test_uninstall_removes_everything_and_notifies(lab):
    appliance = lab["appliance"]
    guest = Guest(lab, "leaver")
    config_path = guest.config_file(agent_config_input(guest.install().stdout))[0]
    assert guest.run([CONFIGURATOR, "-c", "CSPrime", "-S", config_path, "-q"]).returncode == 0

    host_id = guest.kv("/usr/local/ASR/Vx/etc/drscout.conf")["HostId"]
    unconfigure = guest.run([CONFIGURATOR, "-c", "CSPrime", "-U", "true", "-q"])
    assert unconfigure.returncode == 0, unconfigure.stdout
    assert appliance.of("unregister", guest.bios_id)
    assert "AGENT_CONFIGURATION_STATUS" not in guest.kv("/usr/local/.vx_version")
    assert not os.path.exists(guest.path("/usr/local/ASR/Vx/etc/SourceConfig.json"))
    assert guest.run([CONFIGURATOR, "-c", "CSPrime", "-S", config_path, "-q", "-D", "true"]).returncode == 0
    drscout = guest.kv("/usr/local/ASR/Vx/etc/drscout.conf")
    assert drscout["HostId"] not in ("", host_id) and drscout["IsCredentialLessDiscovery"] == "1"

    asked = guest.run(["/usr/local/ASR/uninstall.sh"])  # interactive, no answer: nothing happens
    assert asked.returncode == 1 and "Bye..." in asked.stdout
    assert os.path.exists(guest.path("/usr/local/.vx_version"))

    result = guest.run(["/usr/local/ASR/uninstall.sh", "-Y"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert [c["action"] for c in appliance.calls if c.get("biosId") == guest.bios_id][-1] == "unregister"
    assert os.listdir(guest.path("/usr/local/")) == []
    assert "END OF UA UNINSTALLATION" in guest.read("/var/log/ua_uninstall.log")
    again = guest.run(["sh", "-c", "test -e /usr/local/ASR/uninstall.sh || echo gone"])
    assert again.stdout.strip() == "gone"
    # A fresh install works again afterwards, with a new machine id.
    assert agent_config_input(guest.install().stdout)


def test_bad_options_os_and_users_are_refused(lab):
    guest = Guest(lab, "picky")
    cases = [
        (["./install", "-x"], 2, "Usage:"),
        (["./install", "-q", "-v", "VmWare"], 2, "the role (-r) is required"),
        (["./install", "-q", "-r", "Admin", "-v", "VmWare"], 3, "invalid role"),
        (["./install", "-q", "-r", "MS", "-v", "HyperV"], 3, "invalid platform"),
        (["./install", "-q", "-r", "MS", "-v", "VmWare", "-c", "CSNext"], 3, "invalid CS type"),
        (["./install", "-q", "-r", "MS", "-v", "VmWare", "-a", "Repair"], 3, "invalid action"),
        (["./install", "-q", "-r", "MS", "-v", "VmWare", "extra"], 2, "unexpected argument"),
        (["./install", "-q", "-r", "MS", "-v", "VmWare", "-d", "relative/dir"], 10, "absolute path"),
    ]
    for argv, code, text in cases:
        result = guest.run(argv, OLD)
        assert result.returncode == code, (argv, result.stdout, result.stderr)
        assert text in result.stdout + result.stderr, argv
    assert not os.path.exists(guest.path("/usr/local/.vx_version"))
    not_installed = guest.run([os.path.join(lab["packages"][OLD], "Vx/bin/UnifiedAgentConfigurator.sh"),
                               "-c", "CSPrime", "-S", "/x", "-q"])
    assert not_installed.returncode == 97 and "Vx agent is not installed." in not_installed.stdout

    guest.install()
    usage = guest.run([CONFIGURATOR, "-c", "CSMaybe"])
    assert usage.returncode == 96 and "Usage:" in usage.stdout
    usage = guest.run([CONFIGURATOR, "-Z"])
    assert usage.returncode == 96 and "Usage:" in usage.stdout
    usage = guest.run(["/usr/local/ASR/uninstall.sh", "-Z"])
    assert usage.returncode == 1 and "Usage:" in usage.stdout

    nobody = guest.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] + list(MODERN), NEW)
    assert nobody.returncode == 1 and "must be run as root" in nobody.stderr

    debian = Guest(lab, "debian", os_release='PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\n'
                   'VERSION_ID="12"\n')
    result = debian.run(MODERN, OLD)
    assert result.returncode == 42 and "built for UBUNTU-22.04-64" in result.stdout
    assert not os.path.exists(debian.path("/usr/local/.vx_version"))


def test_guest_identity_is_private(lab):
    settings = lab["settings"]
    guest = Guest(lab, "ident", bios_id="4211aa00-0000-4000-8000-0000000000a1", hostname="web01.contoso.test")
    result = guest.run(["sh", "-c", "hostname; cat /etc/drlab/product_uuid; echo $DRLAB_GUEST_BIOS_ID; "
                        ". /etc/os-release; echo $ID $VERSION_ID; touch /usr/local/marker /var/log/marker /opt/marker"])
    assert result.stdout.split() == ["web01.contoso.test", "4211aa00-0000-4000-8000-0000000000a1",
                                     "4211aa00-0000-4000-8000-0000000000a1", "ubuntu", "22.04"]
    assert os.path.exists(guest.path("/usr/local/marker")) and os.path.exists(guest.path("/var/log/marker"))
    assert os.path.exists(os.path.join(guest.root, "opt", "marker"))
    for path in ("/usr/local/marker", "/var/log/marker", "/opt/marker"):
        assert not os.path.exists(path)
    argv = guestroot.guest_argv(settings, "ident", ["true"])
    assert argv[:5] == ["unshare", "--mount", "--uts", "--propagation", "private"] and argv[-1] == "true"
    with pytest.raises(guestroot.GuestError):
        guestroot.guest_dir(settings, "../escape")
