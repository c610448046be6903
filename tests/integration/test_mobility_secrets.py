"""dr.asr.mobility_service never prints its secrets, even at -vvv: the classic configuration
server's passphrase and the content of a modernized config.json (here: its ServerSignature) are
given to the module on the Ubuntu lab guest over SSH, and looked for in everything ansible-playbook
prints. The secrets are real: both registrations must succeed with them. So is the storage SAS token
in the query of an installer_url (the lab serves no package there: the download fails, and neither
its error nor the module arguments show the token)."""
import json
import os

from drlab import guests
from drlab.mobility import config

PLAY = """
- hosts: {guest}
  gather_facts: false
  vars:
    lab_python: "{{{{ ansible_playbook_python }}}}"
  tasks:
    - name: Installers built by the lab
      ansible.builtin.command:
        argv: ["{{{{ lab_python }}}}", -m, drlab.mobility, build, --version, 9.63.0.0]
      environment: "{{{{ dr_asr_lab.environment }}}}"
      delegate_to: localhost
      changed_when: false
      register: built

    - name: Installer on the guest
      ansible.builtin.copy:
        src: "{{{{ built.stdout_lines | last }}}}"
        dest: /var/tmp/secrets-test.tar.gz
        mode: "0600"

    - name: Start clean
      dr.asr.mobility_service:
        state: absent

    - name: Classic, with the passphrase
      dr.asr.mobility_service:
        experience: classic
        installer_path: /var/tmp/secrets-test.tar.gz
        cs_endpoint: "{{{{ dr_asr_lab.environment.DRLAB_HOST }}}}"
        cs_port: "{{{{ dr_asr_lab.environment.DRLAB_AZURE_PORT | int }}}}"
        passphrase: "{{{{ lookup('ansible.builtin.file', '{passphrase_file}') }}}}"
      register: classic
      failed_when: not classic.registered

    - name: Remove the classic agent
      dr.asr.mobility_service:
        state: absent

    - name: Modernized install
      dr.asr.mobility_service:
        installer_path: /var/tmp/secrets-test.tar.gz
      register: modern

    - name: The lab appliance issues config.json
      ansible.builtin.command:
        argv: ["{{{{ lab_python }}}}", -m, drlab.mobility, config, --agent-config-input,
               "{{{{ modern.agent_config_input }}}}", --out, "{config_file}"]
      environment: "{{{{ dr_asr_lab.environment }}}}"
      delegate_to: localhost
      changed_when: false

    - name: Modernized, with the config.json content
      dr.asr.mobility_service:
        config_json_content: "{{{{ lookup('ansible.builtin.file', '{config_file}') }}}}"
      register: modern_registered
      failed_when: not modern_registered.registered

    - name: Remove the agent
      dr.asr.mobility_service:
        state: absent

    - name: An installer URL with a storage SAS token (nothing is served there, the download fails)
      dr.asr.mobility_service:
        installer_url: "{{{{ packages }}}}/Microsoft-ASR_UA_9.63.0.0_UBUNTU-22.04-64_GA_01Jan2005_release.tar.gz?sv=2022-11-02&sp=r&sig={sas_sig}"
        installer_checksum: "sha256:{zeros}"
        validate_certs: false
        download_timeout: 10
      vars:
        packages: "https://{{{{ dr_asr_lab.environment.DRLAB_HOST }}}}:{{{{ dr_asr_lab.environment.DRLAB_AZURE_PORT }}}}/dr-asr-packages"
      register: sas_download
      failed_when: false
"""
SAS_SIG = "drAsrLabSasSignatureNeverShown0123456789%3D"


def test_mobility_service_never_prints_secrets(playbook, tmp_path):
    settings = playbook.settings
    guest = next(g for g in guests.guests(settings) if g.guest_id == "ubuntu64Guest")
    config_file = os.path.join(settings.state_dir, "mobility", "secrets-test.json")
    play = tmp_path / "secrets.yml"
    play.write_text(PLAY.format(guest=guest.name, passphrase_file=config.passphrase_path(settings),
                                config_file=config_file, sas_sig=SAS_SIG, zeros="0" * 64))
    result = playbook.run_playbook(str(play), "-vvv")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-20000:]
    assert "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" in output  # -vvv did print the module arguments
    passphrase = config.cs_passphrase(settings)
    with open(config_file) as f:
        signature = json.load(f)["ServerSignature"]
    assert passphrase not in output
    assert signature not in output
    assert "ServerSignature" not in output
    assert "An installer URL with a storage SAS token" in output
    assert SAS_SIG.split("%", maxsplit=1)[0] not in output      # neither the token nor its decoded form
