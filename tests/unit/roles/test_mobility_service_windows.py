# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The mobility_service role's Windows path (roles/mobility_service/tasks/windows.yml), which the lab cannot run (it has
no Windows guest).

What is tested instead: ansible-playbook runs the role's real task file on localhost with a stand-in `ansible.windows`
collection (written into the test's temporary directory, first on the collections path) whose modules act on a fake
Windows machine kept in one JSON file - its registry (the product code's Uninstall key, `Installed Products\\5`), its
files and directories with their ACLs, and the commands run, each command's argument vector as Ansible passes it. The
stand-in commands change the registry the way Microsoft describes the real ones (the installer writes the product key
and PostInstallActions, the configurator AgentConfigurationStatus), and the configurator records what its secret file
held and the ACL of its directory at the moment it ran. So this proves the role's own logic - the documented command
lines, the ACL steps and their order, no_log, the always-cleanup, check mode and idempotency - and not what the
real Windows tools do (see the role README: the real installer's behaviour is unverified).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
ROLE = os.path.join(ROOT, "roles", "mobility_service")
COLLECTIONS = os.path.join(ROOT, ".lab", "collections")
if not os.path.isdir(COLLECTIONS):    # an installed collection: <path>/ansible_collections/dr/asr
    COLLECTIONS = os.path.dirname(os.path.dirname(os.path.dirname(ROOT)))
PRODUCT = r"HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\{275197FC-14FD-4560-A5EB-38217F80CBD1}"
SETUP = r"HKLM:\SOFTWARE\Wow6432Node\InMage Systems\Installed Products\5"
REMOTE = r"C:\Temp\ASR"
SECRET_DIR = REMOTE + r"\registration"
INSTALL = r"C:\Program Files (x86)\Microsoft Azure Site Recovery"
OLD = "Microsoft-ASR_UA_9.62.0.0_Windows_GA_01Aug2025_release.exe"
NEW = "Microsoft-ASR_UA_9.63.0.0_Windows_GA_20Sep2025_release.exe"
PASSPHRASE = "Pa55phrase-0f-the-CS"
CONFIG_SECRET = "otp-0f-the-appliance-QmFzZTY0"
ACI = "eyJCaW9zSWQiOiAiNDIxMGExYjIifQ=="
SYSTEM, ADMINS = "S-1-5-18", "S-1-5-32-544"

# -- the stand-in ansible.windows modules --------------------------------------------------------------------------
COMMON = r'''
import json, os, re
from ansible.module_utils.basic import AnsibleModule

STATE = os.environ["DRASR_FAKE_WINDOWS"]


def load():
    with open(STATE) as f:
        return json.load(f)


def save(world):
    with open(STATE, "w") as f:
        json.dump(world, f, indent=1)


def parent(path):
    return path.rsplit("\\", 1)[0]


def under(path, top):
    return path.lower() == top.lower() or path.lower().startswith(top.lower() + "\\")


def find(mapping, path):
    for key in mapping:
        if key.lower() == path.lower():
            return key
    return None
'''

MODULES = {
    "win_reg_stat": r'''
def main():
    m = AnsibleModule(dict(path=dict(type="str", required=True), name=dict(type="str")), supports_check_mode=True)
    world = load()
    key = find(world["registry"], m.params["path"])
    if key is None:
        m.exit_json(changed=False, exists=False)
    props = dict((k, dict(value=v, raw_value=v, type="REG_SZ")) for k, v in world["registry"][key].items())
    m.exit_json(changed=False, exists=True, properties=props, sub_keys=[])
''',
    "win_file": r'''
def main():
    m = AnsibleModule(dict(path=dict(type="str", required=True), state=dict(type="str")), supports_check_mode=True)
    world = load()
    path, state = m.params["path"], m.params["state"]
    changed = False
    if state == "directory":
        if find(world["dirs"], path) is None:
            changed = True
            if not m.check_mode:
                world["dirs"][path] = dict(inherit=True, aces=["inherited:%s" % a for a in world["parent_acl"]])
    elif state == "absent":
        gone = [d for d in world["dirs"] if under(d, path)] + [f for f in world["files"] if under(f, path)]
        changed = bool(gone)
        if not m.check_mode:
            for d in gone:
                world["dirs"].pop(d, None)
                world["files"].pop(d, None)
            world["removed"].extend(gone)
    if not m.check_mode:
        save(world)
    m.exit_json(changed=changed, path=path)
''',
    "win_acl": r'''
def main():
    m = AnsibleModule(dict(path=dict(type="str", required=True), user=dict(type="str", required=True),
                           rights=dict(type="str"), type=dict(type="str"), state=dict(type="str", default="present"),
                           inherit=dict(type="str"), propagation=dict(type="str")), supports_check_mode=True)
    world = load()
    key = find(world["dirs"], m.params["path"])
    if key is None:
        m.fail_json(msg="%s file or directory does not exist on the host" % m.params["path"])
    ace = "%s:%s:%s:%s" % (m.params["type"], m.params["user"], m.params["rights"], m.params["inherit"])
    changed = ace not in world["dirs"][key]["aces"]
    if changed and not m.check_mode:
        world["dirs"][key]["aces"].append(ace)
        world["acl_steps"].append(["win_acl", m.params["path"], ace])
        save(world)
    m.exit_json(changed=changed)
''',
    "win_acl_inheritance": r'''
def main():
    m = AnsibleModule(dict(path=dict(type="str", required=True), state=dict(type="str", default="absent"),
                           reorganize=dict(type="bool", default=False)), supports_check_mode=True)
    world = load()
    key = find(world["dirs"], m.params["path"])
    if key is None:
        m.fail_json(msg="%s file or directory does not exist on the host" % m.params["path"])
    d = world["dirs"][key]
    changed = d["inherit"] != (m.params["state"] == "present")
    if changed and not m.check_mode:
        d["inherit"] = m.params["state"] == "present"
        if not d["inherit"]:
            inherited = [a for a in d["aces"] if a.startswith("inherited:")]
            d["aces"] = [a for a in d["aces"] if not a.startswith("inherited:")]
            if m.params["reorganize"]:
                d["aces"] += [a.replace("inherited:", "explicit:") for a in inherited]
        world["acl_steps"].append(["win_acl_inheritance", m.params["path"], m.params["state"], m.params["reorganize"]])
        save(world)
    m.exit_json(changed=changed)
''',
    "win_copy": r'''
def main():
    m = AnsibleModule(dict(src=dict(type="str"), content=dict(type="str"),
                           dest=dict(type="str", required=True)), supports_check_mode=True)
    world = load()
    dest = m.params["dest"]
    if find(world["dirs"], parent(dest)) is None:
        m.fail_json(msg="Destination directory %s does not exist" % parent(dest))
    if m.params["content"] is not None:
        content = m.params["content"]
    else:
        with open(m.params["src"], "rb") as f:
            content = f.read().decode("utf-8", "replace")
    changed = (world["files"].get(dest) or {}).get("content") != content
    if changed and not m.check_mode:
        world["files"][dest] = dict(content=content)
        save(world)
    m.exit_json(changed=changed, dest=dest)
''',
    "win_wait_for": r'''
def main():
    m = AnsibleModule(dict(path=dict(type="str"), state=dict(type="str"), timeout=dict(type="int")),
                      supports_check_mode=True)
    if find(load()["files"], m.params["path"]) is None:
        m.fail_json(msg="timeout while waiting for file %s to be present" % m.params["path"])
    m.exit_json(changed=False)
''',
    "win_package": r'''
def main():
    m = AnsibleModule(dict(product_id=dict(type="str"), state=dict(type="str"), log_path=dict(type="str"),
                           expected_return_code=dict(type="list", elements="int"), path=dict(type="str"),
                           arguments=dict(type="raw")), supports_check_mode=True)
    world = load()
    world["commands"].append(["win_package", m.params["product_id"], m.params["state"], m.params["log_path"]])
    key = find(world["registry"], "HKLM:\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\" + m.params["product_id"])
    changed = m.params["state"] == "absent" and key is not None
    if changed and not m.check_mode:
        world["registry"].pop(key)
        world["registry"].pop(find(world["registry"], "HKLM:\\SOFTWARE\\Wow6432Node\\InMage Systems\\Installed Products\\5"), None)
    if not m.check_mode:
        save(world)
    m.exit_json(changed=changed, rc=0, reboot_required=False)
''',
    "win_command": r'''
PRODUCT = "HKLM:\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\{275197FC-14FD-4560-A5EB-38217F80CBD1}"
SETUP = "HKLM:\\SOFTWARE\\Wow6432Node\\InMage Systems\\Installed Products\\5"


def version_of(path):
    found = re.search(r"Microsoft-ASR_UA_([0-9.]+)_", path)
    return found.group(1) if found else "0.0.0.0"


def main():
    m = AnsibleModule(dict(cmd=dict(type="str"), argv=dict(type="list", elements="str"), creates=dict(type="str"),
                           _raw_params=dict(type="str")), supports_check_mode=False)
    world = load()
    if m.params["creates"] and find(world["files"], m.params["creates"]) is not None:
        m.exit_json(changed=False, rc=0, skipped=True, msg="%s exists" % m.params["creates"])
    argv = m.params["argv"] or [m.params["cmd"]]
    world["commands"].append(argv)
    exe = re.split(r'[\\"]', argv[0].strip('"').split('" ')[0])[-1].lower()
    rc, out = world["rc"].get(exe, 0), ""
    if argv[0].startswith('"') and " /q /x:" in argv[0]:      # the installer extracting itself
        folder = re.search(r'/x:"([^"]+)"', argv[0]).group(1)
        for name in ("UnifiedAgent.exe", "UnifiedAgentInstaller.exe"):
            world["files"][folder + "\\" + name] = dict(content="exe")
    elif exe in ("unifiedagentinstaller.exe", "unifiedagent.exe"):
        version = version_of(argv[0])
        if rc in (0, 98, 1641, 3010):
            world["registry"][PRODUCT] = dict(DisplayVersion=version)
            setup = world["registry"].setdefault(SETUP, {})
            setup.update(PostInstallActions="Succeeded", Version=version)
            if "Upgrade" not in argv and argv[1:3] != ["/Platform", "VmWare"]:
                setup["AgentConfigurationStatus"] = "Failed"    # a fresh installation is not registered
        out = "Installation finished\nAgent Config Input: %s\n" % world["aci"]
    elif exe == "unifiedagentconfigurator.exe":
        secret = argv[argv.index("/SourceConfigFilePath" if "/SourceConfigFilePath" in argv else "/PassphraseFilePath") + 1]
        key = find(world["files"], secret)
        folder = find(world["dirs"], parent(secret))
        world["configurator_saw"] = dict(file=secret, content=(world["files"][key]["content"] if key else None),
                                         dir_aces=(world["dirs"][folder]["aces"] if folder else None),
                                         dir_inherit=(world["dirs"][folder]["inherit"] if folder else None))
        if key is None and rc == 0:
            rc = 100
        if rc in (0, 98):
            world["registry"].setdefault(SETUP, {})["AgentConfigurationStatus"] = "Succeeded"
        # a tool that echoes what it read: the role must not show this output
        out = "Registering with %s\n" % (world["files"][key]["content"] if key else "nothing")
    elif exe == "azurercmcli.exe":
        if find(world["registry"], PRODUCT) is None:
            rc, out = 1, "AzureRcmCli.exe is not installed"
        else:
            out = "getagentconfiginput: %s\n" % world["aci"]
    save(world)
    m.exit_json(changed=True, rc=rc, stdout=out, stderr="", cmd=" ".join(argv))
''',
}


def fake_windows(top):
    plugins = os.path.join(top, "ansible_collections", "ansible", "windows", "plugins", "modules")
    os.makedirs(plugins)
    with open(os.path.join(top, "ansible_collections", "ansible", "windows", "galaxy.yml"), "w") as f:
        f.write("namespace: ansible\nname: windows\nversion: 3.3.0\n")
    for name, body in MODULES.items():
        with open(os.path.join(plugins, name + ".py"), "w") as f:
            f.write(COMMON + body + "\n\nif __name__ == '__main__':\n    main()\n")


PLAYBOOK = """
- name: The mobility_service role on a (fake) Windows machine
  hosts: localhost
  gather_facts: false
  tasks:
    - name: The role
      ansible.builtin.include_role:
        name: dr.asr.mobility_service
    - name: Its result, for the test
      ansible.builtin.copy:
        content: "{{ mobility_service_result | to_json }}"
        dest: "{{ result_file }}"
        mode: "0600"
      changed_when: false
      check_mode: false
"""


class Machine(object):
    def __init__(self, tmp_path, registry=None, rc=None):
        self.tmp = tmp_path
        self.state = str(tmp_path / "windows.json")
        fake_windows(str(tmp_path / "collections"))
        (tmp_path / "play.yml").write_text(PLAYBOOK)
        self.config_json = str(tmp_path / "config-web-01.json")
        (tmp_path / "config-web-01.json").write_text(json.dumps({"BiosId": "4210a1b2", "Otp": CONFIG_SECRET}))
        self.installer = str(tmp_path / NEW)
        (tmp_path / NEW).write_text("MZ")
        self.save(dict(registry=registry or {}, dirs={}, files={}, commands=[], acl_steps=[], removed=[],
                       rc=rc or {}, aci=ACI, parent_acl=["Users:Read", "Administrators:FullControl"]))

    def load(self):
        with open(self.state) as f:
            return json.load(f)

    def save(self, world):
        with open(self.state, "w") as f:
            json.dump(world, f)

    def run(self, check=False, verbosity=0, **role_vars):
        variables = dict(mobility_service_os_family="Windows", result_file=str(self.tmp / "result.json"))
        variables.update(role_vars)
        (self.tmp / "vars.json").write_text(json.dumps(variables))
        if os.path.exists(variables["result_file"]):
            os.remove(variables["result_file"])
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.pathsep.join([str(self.tmp / "collections"), COLLECTIONS]),
                   ANSIBLE_NOCOLOR="1", HOME=str(self.tmp), DRASR_FAKE_WINDOWS=self.state,
                   ANSIBLE_PYTHON_INTERPRETER=sys.executable)
        if os.path.exists(os.path.join(ROOT, "ansible.cfg")):
            env["ANSIBLE_CONFIG"] = os.path.join(ROOT, "ansible.cfg")
        cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,", "-c", "local",
               str(self.tmp / "play.yml"), "-e", "@" + str(self.tmp / "vars.json")]
        cmd += ["--check"] if check else []
        cmd += ["-" + "v" * verbosity] if verbosity else []
        done = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                              timeout=300, check=False)
        recap = re.search(r"localhost\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=\d+\s+failed=(\d+)", done.stdout)
        done.changed = int(recap.group(2)) if recap else None
        done.failed = int(recap.group(3)) if recap else None
        done.output = done.stdout + done.stderr
        done.result = None
        if os.path.exists(variables["result_file"]):
            with open(variables["result_file"]) as f:
                done.result = json.loads(f.read())
        return done


def installed(version="9.62.0.0", registered=True):
    return {PRODUCT: {"DisplayVersion": version},
            SETUP: {"PostInstallActions": "Succeeded", "Version": version,
                    "AgentConfigurationStatus": "Succeeded" if registered else "Failed"}}


def commands(world, name):
    return [c for c in world["commands"] if name.lower() in c[0].lower()]


# -- the documented command lines ----------------------------------------------------------------------------------
def test_a_fresh_modernized_install_runs_microsofts_command_lines_and_is_idempotent(tmp_path):
    machine = Machine(tmp_path)
    first = machine.run(mobility_service_windows_installer=machine.installer)
    assert first.returncode == 0, first.output
    world = machine.load()
    extracted = REMOTE + "\\" + NEW[:-4]
    assert world["commands"][0] == ['"%s\\%s" /q /x:"%s"' % (REMOTE, NEW, extracted)]
    assert world["commands"][1] == [extracted + r"\UnifiedAgentInstaller.exe", "/Platform", "vmware", "/Silent",
                                    "/Role", "MS", "/CSType", "CSPrime", "/InstallLocation", INSTALL]
    assert world["commands"][2] == [INSTALL + r"\agent\AzureRcmCli.exe", "--getagentconfiginput"]
    assert len(world["commands"]) == 3
    assert first.result["actions"] == ["install"] and first.result["changed"] is True
    assert first.result["installed"] is True and first.result["version"] == "9.63.0.0"
    assert first.result["registered"] is False and first.result["agent_config_input"] == ACI
    assert first.result["diff"] == {"before": {"installed": False, "version": None, "registered": False},
                                    "after": {"installed": True, "version": "9.63.0.0", "registered": False}}
    assert ACI in first.stdout    # what to paste into the Configuration Manager

    again = machine.run(mobility_service_windows_installer=machine.installer)
    assert again.returncode == 0, again.output
    assert again.changed == 0, again.output
    assert again.result["actions"] == [] and again.result["agent_config_input"] == ACI
    assert machine.load()["commands"][3:] == [[INSTALL + r"\agent\AzureRcmCli.exe", "--getagentconfiginput"]]


def test_check_mode_predicts_the_install_and_writes_nothing(tmp_path):
    machine = Machine(tmp_path)
    before = machine.load()
    done = machine.run(check=True, mobility_service_windows_installer=machine.installer)
    assert done.returncode == 0, done.output
    assert done.changed == 1, done.output
    assert "Would install." in done.stdout
    assert done.result["actions"] == ["install"] and done.result["changed"] is True
    assert done.result["agent_config_input"] is None    # not known before the agent is there
    assert machine.load() == before


def test_registration_writes_config_json_only_into_a_directory_for_system_and_administrators(tmp_path):
    machine = Machine(tmp_path, registry=installed(registered=False))
    done = machine.run(verbosity=3, mobility_service_config_json=machine.config_json)
    assert done.returncode == 0, done.output
    world = machine.load()
    assert commands(world, "UnifiedAgentConfigurator.exe") == [
        [INSTALL + r"\agent\UnifiedAgentConfigurator.exe", "/SourceConfigFilePath", SECRET_DIR + r"\config.json",
         "/CSType", "CSPrime"]]
    saw = world["configurator_saw"]
    assert CONFIG_SECRET in saw["content"]
    # at the moment the configurator read it: only SYSTEM and Administrators, nothing inherited
    assert saw["dir_inherit"] is False
    assert sorted(saw["dir_aces"]) == sorted(["allow:%s:FullControl:ContainerInherit, ObjectInherit" % s
                                              for s in (SYSTEM, ADMINS)])
    # explicit entries first, inheritance cut afterwards (the directory is never left without an entry)
    assert [s[0] for s in world["acl_steps"]] == ["win_acl", "win_acl", "win_acl_inheritance"]
    assert world["acl_steps"][2] == ["win_acl_inheritance", SECRET_DIR, "absent", False]
    # removed afterwards
    assert SECRET_DIR in world["removed"] and not [f for f in world["files"] if f.startswith(SECRET_DIR)]
    assert SECRET_DIR not in world["dirs"]
    assert CONFIG_SECRET not in done.output    # neither the file nor the configurator's output is shown
    assert done.result["actions"] == ["register"] and done.result["registered"] is True
    assert done.result["agent_config_input"] is None

    again = machine.run(mobility_service_config_json=machine.config_json)
    assert again.returncode == 0 and again.changed == 0, again.output
    assert len(commands(machine.load(), "UnifiedAgentConfigurator.exe")) == 1


def test_classic_registration_uses_a_passphrase_file_that_is_never_shown(tmp_path):
    machine = Machine(tmp_path, registry=installed(registered=False))
    done = machine.run(verbosity=3, mobility_service_experience="classic", mobility_service_cs_endpoint="10.0.0.5",
                       mobility_service_passphrase=PASSPHRASE, mobility_service_cs_port=9443)
    assert done.returncode == 0, done.output
    world = machine.load()
    assert commands(world, "UnifiedAgentConfigurator.exe") == [
        [INSTALL + r"\agent\UnifiedAgentConfigurator.exe", "/CSEndPoint", "10.0.0.5", "/PassphraseFilePath",
         SECRET_DIR + r"\connection.passphrase", "/CSPort", "9443"]]
    assert world["configurator_saw"]["content"] == PASSPHRASE and world["configurator_saw"]["dir_inherit"] is False
    assert SECRET_DIR not in world["dirs"] and SECRET_DIR in world["removed"]
    assert PASSPHRASE not in done.output


def test_classic_on_the_default_port_is_the_documented_command_line(tmp_path):
    machine = Machine(tmp_path, registry=installed(registered=False))
    world = machine.load()
    world["files"][r"C:\secure\cs.passphrase"] = dict(content=PASSPHRASE)    # the user's own file on the machine
    machine.save(world)
    done = machine.run(mobility_service_experience="classic", mobility_service_cs_endpoint="cs.example.com",
                       mobility_service_passphrase_path=r"C:\secure\cs.passphrase")
    assert done.returncode == 0, done.output
    world = machine.load()
    assert commands(world, "UnifiedAgentConfigurator.exe") == [
        [INSTALL + r"\agent\UnifiedAgentConfigurator.exe", "/CSEndPoint", "cs.example.com", "/PassphraseFilePath",
         r"C:\secure\cs.passphrase"]]
    assert world["configurator_saw"]["file"] == r"C:\secure\cs.passphrase"
    assert r"C:\secure\cs.passphrase" in world["files"] and not world["removed"]    # used as it is, never removed
    assert world["acl_steps"] == [] and SECRET_DIR not in world["dirs"]    # no secret of the role's to protect


@pytest.mark.parametrize("port, tail", [("443", []), ("9443", ["/CSPort", "9443"])])
def test_a_port_given_as_survey_text_is_the_number(tmp_path, port, tail):
    """An AWX survey or `-e mobility_service_cs_port=443` gives text: typed once at the role's entry."""
    machine = Machine(tmp_path, registry=installed(registered=False))
    done = machine.run(mobility_service_experience="classic", mobility_service_cs_endpoint="10.0.0.5",
                       mobility_service_passphrase=PASSPHRASE, mobility_service_cs_port=port)
    assert done.returncode == 0, done.output
    assert commands(machine.load(), "UnifiedAgentConfigurator.exe") == [
        [INSTALL + r"\agent\UnifiedAgentConfigurator.exe", "/CSEndPoint", "10.0.0.5", "/PassphraseFilePath",
         SECRET_DIR + r"\connection.passphrase"] + tail]


def test_a_classic_fresh_install_uses_the_classic_command_line(tmp_path):
    machine = Machine(tmp_path)
    done = machine.run(mobility_service_experience="classic", mobility_service_windows_installer=machine.installer)
    assert done.returncode == 0, done.output
    extracted = REMOTE + "\\" + NEW[:-4]
    assert machine.load()["commands"][1] == [extracted + r"\UnifiedAgent.exe", "/Role", "MS", "/InstallLocation",
                                             INSTALL, "/Platform", "VmWare", "/Silent", "/CSType", "CSLegacy"]
    assert len(machine.load()["commands"]) == 2    # no Agent Config Input for classic


def test_a_failed_registration_names_the_exit_code_and_still_removes_the_secret(tmp_path):
    machine = Machine(tmp_path, registry=installed(registered=False), rc={"unifiedagentconfigurator.exe": 19})
    done = machine.run(mobility_service_config_json=machine.config_json)
    assert done.returncode != 0 and done.failed == 1, done.output
    assert "failed with exit code 19 (InvalidSourceConfigFile)" in done.stdout, done.output
    assert r"ASRUnifiedAgentConfigurator.log" in done.stdout
    world = machine.load()
    assert SECRET_DIR in world["removed"] and SECRET_DIR not in world["dirs"]
    assert not [f for f in world["files"] if f.startswith(SECRET_DIR)]
    assert CONFIG_SECRET not in done.output


def test_a_failed_installation_names_the_exit_code(tmp_path):
    machine = Machine(tmp_path, rc={"unifiedagentinstaller.exe": 62})
    done = machine.run(mobility_service_windows_installer=machine.installer)
    assert done.returncode != 0, done.output
    assert "exit code 62 (SystemRestartPending)" in done.stdout, done.output
    assert "ASRUnifiedAgentInstaller.log" in done.stdout


def test_latest_upgrades_in_place_with_the_documented_command_and_then_changes_nothing(tmp_path):
    machine = Machine(tmp_path, registry=installed("9.62.0.0"))
    done = machine.run(mobility_service_state="latest", mobility_service_windows_installer=machine.installer,
                       mobility_service_config_json=machine.config_json)
    assert done.returncode == 0, done.output
    world = machine.load()
    extracted = REMOTE + "\\" + NEW[:-4]
    assert commands(world, "UnifiedAgent.exe") == [[extracted + r"\UnifiedAgent.exe", "/Role", "MS", "/Platform",
                                                    "VmWare", "/Silent", "/InstallationType", "Upgrade", "/CSType",
                                                    "CSPrime"]]
    assert not commands(world, "UnifiedAgentConfigurator.exe")    # registered: the upgrade keeps it
    assert done.result["actions"] == ["upgrade"] and done.result["version"] == "9.63.0.0"
    assert done.result["registered"] is True

    again = machine.run(mobility_service_state="latest", mobility_service_windows_installer=machine.installer,
                        mobility_service_config_json=machine.config_json)
    assert again.returncode == 0 and again.changed == 0, again.output
    assert again.result["version"] == "9.63.0.0"


def test_latest_refuses_when_the_installed_version_is_unknown(tmp_path):
    registry = installed("9.62.0.0")
    registry[PRODUCT] = {}
    machine = Machine(tmp_path, registry=registry)
    done = machine.run(mobility_service_state="latest", mobility_service_windows_installer=machine.installer)
    assert done.returncode != 0, done.output
    assert "no DisplayVersion" in done.stdout and NEW in done.stdout, done.output
    assert machine.load()["commands"] == []


def test_present_leaves_another_installed_version_alone(tmp_path):
    machine = Machine(tmp_path, registry=installed("9.62.0.0"))
    done = machine.run(mobility_service_windows_installer=machine.installer)
    assert done.returncode == 0 and done.changed == 0, done.output
    assert machine.load()["commands"] == []


def test_absent_uninstalls_by_product_code_once(tmp_path):
    machine = Machine(tmp_path, registry=installed())
    done = machine.run(mobility_service_state="absent")
    assert done.returncode == 0, done.output
    assert machine.load()["commands"] == [["win_package", "{275197FC-14FD-4560-A5EB-38217F80CBD1}", "absent",
                                           r"C:\ProgramData\ASRSetupLogs\UnifiedAgentMSIUninstall.log"]]
    assert done.result["actions"] == ["uninstall"] and done.result["installed"] is False
    again = machine.run(mobility_service_state="absent")
    assert again.returncode == 0 and again.changed == 0, again.output


@pytest.mark.parametrize("role_vars, named", [
    (dict(mobility_service_cs_endpoint="10.0.0.5", mobility_service_passphrase=PASSPHRASE),
     "mobility_service_experience=modernized"),
    (dict(mobility_service_experience="classic", mobility_service_cs_endpoint="10.0.0.5"),
     "mobility_service_passphrase=(empty)"),
    (dict(mobility_service_experience="classic", mobility_service_config_json="config.json"),
     "mobility_service_config_json=config.json"),
])
def test_inputs_that_do_not_fit_are_refused_before_anything_is_written(tmp_path, role_vars, named):
    machine = Machine(tmp_path)
    before = machine.load()
    done = machine.run(**role_vars)
    assert done.returncode != 0, done.output
    assert named in done.stdout and "valid are" in done.stdout, done.output
    assert PASSPHRASE not in done.output
    assert machine.load() == before


def test_an_install_without_an_installer_is_refused_naming_the_variables(tmp_path):
    machine = Machine(tmp_path)
    done = machine.run()
    assert done.returncode != 0
    assert "mobility_service_windows_installer" in done.stdout and "not installed" in done.stdout, done.output
    assert machine.load()["commands"] == []


# -- the task file itself ----------------------------------------------------------------------------------------
def tasks(node):
    for task in node:
        yield task
        for key in ("block", "rescue", "always"):
            yield from tasks(task.get(key) or [])


def windows_tasks():
    with open(os.path.join(ROLE, "tasks", "windows.yml")) as f:
        return list(tasks(yaml.safe_load(f)))


def test_every_task_that_touches_a_secret_is_no_log():
    leaves = [t for t in windows_tasks() if not any(k in t for k in ("block", "rescue", "always"))]
    assert len(leaves) > 20
    for task in leaves:
        text = json.dumps(task)
        if "mobility_service_passphrase }}" in text or "mobility_service_config_json }}" in text:
            assert task.get("no_log") is True, task["name"]
        if "UnifiedAgentConfigurator.exe" in text and "argv" in json.dumps(task.get("ansible.windows.win_command")):
            assert task.get("no_log") is True, task["name"]


def test_the_secret_file_is_removed_in_an_always_section():
    with open(os.path.join(ROLE, "tasks", "windows.yml")) as f:
        top = yaml.safe_load(f)
    register = [t for t in tasks(top) if t.get("name", "").startswith("Windows - register (")][0]
    writes = [t["name"] for t in tasks(register["block"]) if "ansible.windows.win_copy" in t]
    assert len(writes) == 2
    cleanup = register["always"]
    assert [t["ansible.windows.win_file"] for t in cleanup] == [
        {"path": "{{ __mobility_service_win_secret_dir }}", "state": "absent"}]


def test_the_exit_code_names_match_the_modules_table():
    from ansible_collections.dr.asr.plugins.module_utils import _mobility as ms
    with open(os.path.join(ROLE, "vars", "main.yml")) as f:
        role_vars = yaml.safe_load(f)
    assert role_vars["__mobility_service_win_exit_codes"] == dict((k, v[0]) for k, v in ms.EXIT_CODES.items())
    assert tuple(role_vars["__mobility_service_win_success_codes"]) == ms.SUCCESS_CODES
