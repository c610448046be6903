"""protect, drill, failover and failback as AWX runs its job templates: through ansible-runner, against the lab.

Each job gets a private data dir laid out as AWX lays it out (awx/main/tasks/jobs.py):

    project/            the project checkout the template runs from (ansible.cfg, playbooks/)
    inventory/hosts     the inventory as AWX writes it: an executable script printing JSON (localhost, local)
    env/extravars       the template's extra vars, then the survey answers and AWX's awx_*/tower_* variables, dumped as
                        AWX's safe_dump does: survey answers are text and tagged !unsafe
    env/envvars         AWX's job environment (ANSIBLE_* settings, JOB_ID, collections paths...) and what the
                        credentials inject: the built-in types "Microsoft Azure Resource Manager" and "VMware vCenter"
                        exactly as awx_plugins.credentials.injectors.azure_rm / vmware set them, and the custom type
                        "CA bundle" of examples/awx/configure.yml (its file and env injectors, rendered as AWX renders
                        a custom type: the PEM written to a file under env/, its path in the variables the type names)
    env/settings        job_timeout, suppress_ansible_output, suppress_output_file (AWX's runner settings)
    env/cmdline         -u root (AWX's build_args without a machine credential)
    requirements_collections/   the collections of the job (dr.asr), first in ANSIBLE_COLLECTIONS_PATH as AWX puts it

and runs as AWX runs it: `ansible-runner transmit` | `ansible-runner worker --private-data-dir <dir>` (the execution
environment's side; on a hybrid node the same directory) | `ansible-runner process`, each without a terminal (stdin
the job stream or nothing, no controlling tty), the worker's environment that of an execution environment (PATH, LANG,
HOME an empty directory, nothing else); ansible-runner gives ansible-playbook a pseudo-terminal of its own (pexpect,
its default mode, as in AWX). AWX sends the job's environment variables with the job's keyword arguments; here they
are the env/envvars file, which ansible-runner reads the same way. No container: the execution environment is this
machine's virtualenv. VMWARE_VALIDATE_CERTS is "False" (AWX's default for its setting of that name); the job
templates' vars (examples/awx/vars/dr_asr.yml) give vSphere validate_certs: true, which wins over it, so the vCenter
certificate is checked against the CA bundle credential.

The VMs (it-awx-01, it-awx-02) are the test's own, in a vault of its own, on the session's private lab. Lab time runs
SCALE times faster, and stands still while the job of a long wait runs until that wait's progress line is out (Hold):
every wait shows progress whatever the machine's load. Each job is checked through what AWX keeps of it: the status
and rc, the job events (stdout of each; the wait rounds' progress lines as events between the start and the end of the
waiting task), the `set_stats` data (the playbook_on_stats event's artifact_data, AWX's job artifacts), and the lab
afterwards (jobs, items, the policy, the VMs' power state in vCenter).
"""
import configparser
import json
import os
import random
import re
import shutil
import ssl
import stat
import string
import subprocess
import tempfile
import threading
import time
import urllib.request

import pytest
import yaml


ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VENV_BIN = os.path.join(ROOT, ".venv", "bin")
RUNNER = os.path.join(VENV_BIN, "ansible-runner")
VMS = ["it-awx-01", "it-awx-02"]
#: lab time scale while the jobs run (the lab's own default: a drill of minutes takes seconds)
SCALE = 60
#: longest a Hold keeps lab time still without seeing a progress line (a job that ended just before the hold)
HOLD_AT_MOST = 90
JOB_TYPE = "Microsoft.RecoveryServices/vaults/replicationJobs"
ITEM_TYPE = "Microsoft.RecoveryServices/vaults/replicationFabrics/replicationProtectionContainers/replicationProtectedItems"
POLICY_TYPE = "Microsoft.RecoveryServices/vaults/replicationPolicies"
REPROTECT = "SwitchReplicationGroupProtection"
SITE_RECOVERY_API = "2025-08-01"
RUNNING = ("InProgress", "NotStarted")
ANSI = re.compile(r"\x1b\[[0-9;]*m")
#: a wait round's progress line (plugins/plugin_utils/_rounds.py progress_line, printed by _wait_action.py)
PROGRESS = re.compile(r"^\[localhost\] (dr\.asr\.\w+): \d+m\d\ds of \d+m\d\ds: (.+)$", re.M)
#: variables a credential type may not set (awx/main/constants.py ENV_BLOCKLIST; and no ANSIBLE_*)
AWX_ENV_BLOCKLIST = ("VIRTUAL_ENV", "PATH", "PYTHONPATH", "JOB_ID", "INVENTORY_ID", "INVENTORY_SOURCE_ID",
                     "INVENTORY_UPDATE_ID", "AD_HOC_COMMAND_ID", "REST_API_URL", "REST_API_TOKEN", "MAX_EVENT_RES",
                     "CALLBACK_QUEUE", "CALLBACK_CONNECTION", "CACHE", "JOB_CALLBACK_DEBUG", "INVENTORY_HOSTVARS",
                     "AWX_HOST", "PROJECT_REVISION", "SUPERVISOR_CONFIG_PATH")
#: AWX's settings that build_env puts in every job's environment (awx/settings/defaults.py)
AWX_ANSIBLE_SETTINGS = {"ANSIBLE_HOST_KEY_CHECKING": "False", "ANSIBLE_PARAMIKO_RECORD_HOST_KEYS": "False",
                        "ANSIBLE_FORCE_COLOR": "True", "ANSIBLE_INVENTORY_UNPARSED_FAILED": "True"}


# -- AWX's side: credentials, extra vars, the private data dir ---------------------------------------------------------
class _SafeStringDumper(yaml.SafeDumper):
    """awx/main/utils/safe_yaml.py: every string of an extra var AWX does not trust is dumped as !unsafe."""

    def represent_data(self, data):
        if isinstance(data, str):
            return self.represent_scalar("!unsafe", data)
        return super().represent_data(data)


def awx_safe_dump(extra_vars, safe_dict):
    """awx/main/utils/safe_yaml.py safe_dump: top-level keys equal to the template's own extra vars stay plain (the
    template's extra vars are trusted, ALLOW_JINJA_IN_EXTRA_VARS 'template'), everything else is !unsafe."""
    out = []
    for key, value in extra_vars.items():
        dumper = yaml.SafeDumper if key in safe_dict and safe_dict[key] == value else _SafeStringDumper
        out.append(yaml.dump_all([{key: value}], None, Dumper=dumper, default_flow_style=False))
    return "".join(out)


def inject_azure_rm(inputs, env):
    """awx_plugins.credentials.injectors.azure_rm (Microsoft Azure Resource Manager)."""
    client, tenant = inputs.get("client", ""), inputs.get("tenant", "")
    env["AZURE_SUBSCRIPTION_ID"] = inputs.get("subscription", "")
    if len(client) and len(tenant):
        env["AZURE_CLIENT_ID"] = client
        env["AZURE_TENANT"] = tenant
        env["AZURE_SECRET"] = inputs.get("secret", "")
    else:
        env["AZURE_AD_USER"] = inputs.get("username", "")
        env["AZURE_PASSWORD"] = inputs.get("password", "")
    if "cloud_environment" in inputs:
        env["AZURE_CLOUD_ENVIRONMENT"] = inputs["cloud_environment"]


def inject_vmware(inputs, env, validate_certs):
    """awx_plugins.credentials.injectors.vmware (VMware vCenter); VMWARE_VALIDATE_CERTS is AWX's setting of that name
    (str(bool)), False unless an administrator turns it on."""
    env["VMWARE_USER"] = inputs.get("username", "")
    env["VMWARE_PASSWORD"] = inputs.get("password", "")
    env["VMWARE_HOST"] = inputs.get("host", "")
    env["VMWARE_VALIDATE_CERTS"] = str(validate_certs)


def _unsafe_scalar(loader, node):
    return loader.construct_scalar(node)


def documented_ca_credential_type():
    """The custom credential type examples/awx/configure.yml creates (inputs and injectors, as AWX stores them)."""
    loader = type("Loader", (yaml.SafeLoader,), {})
    loader.add_constructor("!unsafe", _unsafe_scalar)
    with open(os.path.join(ROOT, "examples", "awx", "configure.yml")) as handle:
        plays = yaml.load(handle, Loader=loader)         # a SafeLoader with one more tag
    for task in plays[0]["tasks"]:
        if "awx.awx.credential_type" in task:
            return task["awx.awx.credential_type"]
    raise AssertionError("examples/awx/configure.yml creates no credential type")


def inject_custom(credential_type, inputs, env, private_data_dir):
    """awx/main/models/credential.py CredentialType.inject_credential for a custom type: each file injector rendered
    to a file under env/ (0600), its path as tower.filename.<label>; each env injector rendered with that namespace.
    (In an execution environment container the path is the container's, /runner/env/...; here there is none.)"""
    from jinja2 import sandbox
    renderer = sandbox.ImmutableSandboxedEnvironment()
    namespace = dict((k, v) for k, v in inputs.items() if v)
    filenames = {}
    for label, template in (credential_type["injectors"].get("file") or {}).items():
        handle, path = tempfile.mkstemp(dir=os.path.join(private_data_dir, "env"))
        with os.fdopen(handle, "w") as out:
            out.write(renderer.from_string(template).render(**namespace))
        os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
        filenames[label.split(".", 1)[1] if "." in label else None] = path
    tower = {"filename": filenames.get(None) or dict((k, v) for k, v in filenames.items() if k)}
    for var, template in (credential_type["injectors"].get("env") or {}).items():
        # CredentialTypeInjectorField.validate_env_var_allowed: AWX refuses these in a credential type
        assert not var.startswith("ANSIBLE_") and var not in AWX_ENV_BLOCKLIST, "AWX does not allow %s" % var
        env[var] = renderer.from_string(template).render(tower=tower, **namespace)


def awx_meta_vars(ident, template, inventory):
    """UnifiedJob/Job.awx_meta_vars: what every AWX job gets, as awx_* and tower_* (JOB_VARIABLE_PREFIXES)."""
    meta = {}
    for prefix in ("awx", "tower"):
        meta.update({"%s_job_id" % prefix: ident, "%s_job_launch_type" % prefix: "manual",
                     "%s_user_id" % prefix: 1, "%s_user_name" % prefix: "admin",
                     "%s_user_email" % prefix: "", "%s_user_first_name" % prefix: "", "%s_user_last_name" % prefix: "",
                     "%s_inventory_id" % prefix: 2, "%s_inventory_name" % prefix: inventory,
                     "%s_project_revision" % prefix: "0" * 40, "%s_project_scm_branch" % prefix: "main",
                     "%s_job_template_id" % prefix: 10 + ident % 10, "%s_job_template_name" % prefix: template,
                     "%s_execution_node" % prefix: "localhost"})
    return meta


class AwxJob(object):
    """One job: its private data dir (written by `prepare`), its run (`run`), and what AWX keeps of it."""

    def __init__(self, base, ident, playbook, template):
        self.ident, self.playbook, self.template = ident, playbook, template
        self.dir = str(base / ("awx_%d" % ident))
        self.home = str(base / ("home_%d" % ident))          # an execution environment's home: empty
        self.artifacts = os.path.join(self.dir, "artifacts", str(ident))
        self.logs = str(base / ("awx_%d.log" % ident))
        self._events = {}

    # -- the private data dir ---------------------------------------------------------------------------------------
    def prepare(self, template_vars, survey, credentials, job_timeout=900):
        for sub in ("inventory", "env", "project", "requirements_collections/ansible_collections/dr", "cp"):
            os.makedirs(os.path.join(self.dir, sub), mode=0o700, exist_ok=True)
        os.makedirs(self.home, mode=0o700)
        # the project: the repository's checkout as the template runs it (its ansible.cfg and playbooks)
        shutil.copy(os.path.join(ROOT, "ansible.cfg"), os.path.join(self.dir, "project", "ansible.cfg"))
        shutil.copytree(os.path.join(ROOT, "playbooks"), os.path.join(self.dir, "project", "playbooks"))
        # the collection, where a project's collections/requirements.yml (or the EE) would have installed it
        os.symlink(ROOT, os.path.join(self.dir, "requirements_collections", "ansible_collections", "dr", "asr"))
        # the inventory: one host, localhost, run locally with the playbook's own Python (the EE's)
        script = {"all": {"hosts": ["localhost"]},
                  "_meta": {"hostvars": {"localhost": {
                      "ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}",
                      "remote_tower_enabled": "true", "remote_tower_id": 1,
                      "remote_host_enabled": "true", "remote_host_id": 1}}}}
        self._write("inventory/hosts", "#! /usr/bin/env python3\n# -*- coding: utf-8 -*-\nprint(%r)\n" % json.dumps(script),
                    0o700)
        extra_vars = dict(template_vars)
        extra_vars.update(survey)
        extra_vars.update(awx_meta_vars(self.ident, self.template, "dr.asr controller"))
        self._write("env/extravars", awx_safe_dump(extra_vars, template_vars))
        self._write("env/envvars", json.dumps(self._environment(credentials)))
        self._write("env/settings", json.dumps({"job_timeout": job_timeout, "suppress_ansible_output": True,
                                                "suppress_output_file": True}))
        self._write("env/cmdline", "-u root")

    def _environment(self, credentials):
        """RunJob.build_env, then each credential's injection (BaseTask.run)."""
        env = dict(AWX_ANSIBLE_SETTINGS)
        env.update(AWX_PRIVATE_DATA_DIR=self.dir, JOB_ID=str(self.ident), INVENTORY_ID="2", PROJECT_REVISION="0" * 40,
                   ANSIBLE_RETRY_FILES_ENABLED="False", MAX_EVENT_RES="700000", AWX_HOST="https://platformhost",
                   ANSIBLE_SSH_CONTROL_PATH_DIR=os.path.join(self.dir, "cp"))
        config = configparser.ConfigParser()
        config.read(os.path.join(self.dir, "project", "ansible.cfg"))
        for key, setting, folder, default in (
                ("ANSIBLE_COLLECTIONS_PATHS", "collections_paths", "requirements_collections",
                 "~/.ansible/collections:/usr/share/ansible/collections"),
                ("ANSIBLE_ROLES_PATH", "roles_path", "requirements_roles", "~/.ansible/roles:/usr/share/ansible/roles:/etc/ansible/roles"),
                ("ANSIBLE_COLLECTIONS_PATH", "collections_path", "requirements_collections",
                 "~/.ansible/collections:/usr/share/ansible/collections")):
            paths = default.split(":")
            configured = config.get("defaults", setting, fallback=None)
            if configured:
                paths = [configured] + paths
            env[key] = os.pathsep.join([os.path.join(self.dir, folder)] + paths)
        for inject in credentials:
            inject(env, self.dir)
        return env

    def _write(self, name, text, mode=0o600):
        path = os.path.join(self.dir, name)
        with open(path, "w") as handle:
            handle.write(text)
        os.chmod(path, mode)

    # -- the run ----------------------------------------------------------------------------------------------------
    def run(self, timeout=1200):
        """transmit | worker | process, as AWX and Receptor run a job; returns (status, rc) from the artifacts."""
        env = {"PATH": VENV_BIN + ":/usr/local/bin:/usr/bin:/bin", "HOME": self.home, "LANG": "C.UTF-8"}
        ident = str(self.ident)
        commands = [[RUNNER, "transmit", self.dir, "-p", self.playbook, "--ident", ident, "--inventory",
                     os.path.join(self.dir, "inventory", "hosts")],
                    [RUNNER, "worker", "--private-data-dir", self.dir],
                    [RUNNER, "process", self.dir, "--ident", ident]]
        procs = []
        with open(self.logs, "w") as log:
            stdin = subprocess.DEVNULL
            try:
                for index, command in enumerate(commands):
                    last = index == len(commands) - 1
                    procs.append(subprocess.Popen(command, env=env, cwd=self.home, stdin=stdin, stderr=log,
                                                  stdout=subprocess.DEVNULL if last else subprocess.PIPE,
                                                  start_new_session=True))
                    if stdin is not subprocess.DEVNULL:
                        stdin.close()       # the next process holds it now
                    stdin = procs[-1].stdout
                deadline = time.monotonic() + timeout
                for proc in procs:
                    proc.wait(max(1, deadline - time.monotonic()))
            finally:
                for proc in procs:
                    if proc.poll() is None:
                        proc.kill()
                        proc.wait(30)
        assert [p.returncode for p in procs][:2] == [0, 0], "transmit/worker failed (%s):\n%s\n%s" % (
            [p.returncode for p in procs], self.read_log(), self.stdout()[-8000:])
        return self.status(), self.rc()

    # -- what AWX keeps of it ---------------------------------------------------------------------------------------
    def read_log(self):
        with open(self.logs) as handle:
            return handle.read()[-4000:]

    def status(self):
        with open(os.path.join(self.artifacts, "status")) as handle:
            return handle.read().strip()

    def rc(self):
        with open(os.path.join(self.artifacts, "rc")) as handle:
            return int(handle.read().strip())

    def events(self):
        """The job events so far, in order (read as they arrive: the Hold watches them while the job runs)."""
        folder = os.path.join(self.artifacts, "job_events")
        for name in os.listdir(folder) if os.path.isdir(folder) else []:
            if name not in self._events and re.match(r"^\d+-[0-9a-f-]+\.json$", name):
                try:
                    with open(os.path.join(folder, name)) as handle:
                        self._events[name] = json.load(handle)
                except (OSError, ValueError):
                    continue            # being replaced (worker and process write the same event); read next time
        return sorted(self._events.values(), key=lambda e: e["counter"])

    def stdout(self):
        """The job's output as AWX shows it: the events' stdout, in order, without colors."""
        return "\n".join(ANSI.sub("", e["stdout"]).replace("\r\n", "\n") for e in self.events() if e.get("stdout"))

    def progress(self):
        """[(counter, module, line)] of the wait rounds' progress lines."""
        out = []
        for event in self.events():
            for match in PROGRESS.finditer(ANSI.sub("", event.get("stdout") or "").replace("\r\n", "\n")):
                out.append((event["counter"], match.group(1), match.group(0)))
        return out

    def progress_during(self, module):
        """The progress lines of `module` that are events between the start of one of its tasks and that task's end."""
        events = self.events()
        spans = []
        for start in (e for e in events if e["event"] == "playbook_on_task_start"
                      and e["event_data"].get("task_action") == module):
            uuid = start["event_data"].get("task_uuid")
            ends = [e["counter"] for e in events if e["counter"] > start["counter"]
                    and e["event"] in ("runner_on_ok", "runner_on_failed", "runner_on_skipped")
                    and e["event_data"].get("task_uuid") == uuid]
            spans.append((start["counter"], min(ends) if ends else float("inf")))
        return [line for counter, name, line in self.progress()
                if name == module and any(a < counter < b for a, b in spans)]

    def artifact_data(self):
        """What the job's set_stats left: AWX stores the playbook_on_stats event's artifact_data as the job's artifacts
        (and hands them to the next workflow node)."""
        stats = [e for e in self.events() if e["event"] == "playbook_on_stats"]
        assert len(stats) == 1, "no playbook_on_stats event:\n%s" % self.stdout()[-6000:]
        return stats[0]["event_data"].get("artifact_data") or {}

    def recap(self):
        stats = [e for e in self.events() if e["event"] == "playbook_on_stats"][0]["event_data"]
        return dict((k, stats.get(k) or {}) for k in ("ok", "changed", "failures", "dark", "skipped"))


# -- the lab's side ---------------------------------------------------------------------------------------------------
class Lab(object):
    def __init__(self, settings, playbook, tmp_path):
        from drlab.azure.client import AdminClient
        self.settings = settings
        self.playbook = playbook
        self.tmp = tmp_path
        self.admin = AdminClient(settings.azure_url, settings.ca_pem)
        with open(playbook.inventory) as handle:
            inventory = yaml.safe_load(handle)["all"]["vars"]
        self.lab_env = dict(os.environ, **inventory["dr_asr_lab"]["environment"])
        self.azure = inventory["dr_asr_lab_azure"]
        self.rg = self.azure["resource_group"]
        self.vault = "rsv-it-awx-" + "".join(random.choice(string.ascii_lowercase + string.digits) for _i in range(6))

    def clock(self, scale):
        self.admin.set_time_scale(scale)

    def mine(self, resource):
        return "/vaults/%s/" % self.vault.lower() in resource["id"].lower()

    def jobs(self, *scenarios):
        """The vault's ASR jobs as the lab stored them (its state advances lazily: at the next ASR request)."""
        out = []
        for r in self.admin.resources(type=JOB_TYPE):
            props = r["body"].get("properties") or {}
            if self.mine(r) and (not scenarios or props.get("scenarioName") in scenarios):
                out.append({"id": r["id"], "name": r["body"]["name"], "scenario": props.get("scenarioName"),
                            "state": props.get("state"), "target": props.get("targetObjectName")})
        return out

    def job_state(self, job_id):
        """A job's state now: a GET through ARM, before which the lab brings its jobs up to lab time."""
        request = urllib.request.Request("%s%s?api-version=%s" % (self.settings.azure_url, job_id, SITE_RECOVERY_API),
                                         headers={"Authorization": "Bearer " + self.admin.token()})
        with urllib.request.urlopen(request, context=ssl.create_default_context(cafile=self.settings.ca_pem),
                                    timeout=30) as response:
            return json.loads(response.read())["properties"]["state"]

    def items(self):
        return dict((r["body"]["properties"].get("friendlyName"), r["body"]["properties"])
                    for r in self.admin.resources(type=ITEM_TYPE) if self.mine(r))

    def policies(self):
        return dict((r["body"]["name"], r["body"]["properties"]) for r in self.admin.resources(type=POLICY_TYPE)
                    if self.mine(r))

    def lab_vm(self, *args):
        script = os.path.join(ROOT, "tests", "integration", "targets", "setup_asr_protected", "files", "lab_vm.py")
        result = subprocess.run([os.path.join(VENV_BIN, "python"), script] + list(args), env=self.lab_env,
                                capture_output=True, text=True, timeout=120, check=True)
        return json.loads(result.stdout)

    def power_states(self):
        from pyVim.connect import Disconnect, SmartConnect
        from pyVmomi import vim
        si = SmartConnect(host=self.settings.host, port=self.settings.vcenter_port, user=self.settings.vcenter_user,
                          pwd=self.settings.vcenter_password,
                          sslContext=ssl.create_default_context(cafile=self.settings.ca_pem))
        try:
            content = si.RetrieveContent()
            view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
            try:
                return dict((vm.name, str(vm.runtime.powerState)) for vm in view.view if vm.name in VMS)
            finally:
                view.Destroy()
        finally:
            Disconnect(si)

    def delete_vault(self):
        play = self.tmp / "cleanup.yml"
        play.write_text(json.dumps([{
            "hosts": "localhost", "gather_facts": False,
            "module_defaults": {"group/dr.asr.azure": "{{ dr_asr_azure }}"},
            "tasks": [{"name": "Delete the test's vault", "dr.asr.vault": {
                "name": self.vault, "resource_group": self.rg, "state": "absent"}, "failed_when": False}]}]))
        self.playbook.run_playbook(str(play))


class Hold(threading.Thread):
    """While an AWX job runs: when a job of one of `scenarios` runs in the test's vault, lab time stands still until a
    new progress line of the AWX job is out (a round of the waiting task ended while that job could not end), then runs
    on at SCALE. Each such lab job is held once. Lab state decides, not the machine's speed."""

    def __init__(self, lab, job, scenarios):
        super().__init__(daemon=True)
        self.lab, self.job, self.scenarios = lab, job, scenarios
        self.done = threading.Event()
        self.held = []               # [{scenario, jobs, released_by: progress | timeout}]
        self.error = None

    def run(self):
        seen, since, lines = set(), 0.0, 0
        try:
            while not self.done.wait(0.2):
                if self.held and self.held[-1]["released_by"] is None:
                    if len(self.job.progress()) > lines:
                        self.held[-1]["released_by"] = "progress"
                    elif time.monotonic() - since > HOLD_AT_MOST:
                        self.held[-1]["released_by"] = "timeout"
                    else:
                        continue
                    self.lab.clock(SCALE)
                    continue
                running = [j for j in self.lab.jobs(*self.scenarios) if j["state"] in RUNNING and j["name"] not in seen]
                if not running:
                    continue
                # stop lab time, then see which of them still run (the stored state may be older than lab time)
                self.lab.clock(0)
                since, lines = time.monotonic(), len(self.job.progress())
                seen.update(j["name"] for j in running)
                running = [j for j in running if self.lab.job_state(j["id"]) in RUNNING]
                if running:
                    self.held.append({"scenario": running[0]["scenario"], "jobs": sorted(j["name"] for j in running),
                                      "released_by": None})
                else:
                    self.lab.clock(SCALE)
        except Exception as exc:            # reported by the test
            self.error = exc
        finally:
            self.lab.clock(SCALE)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.done.set()
        self.join(60)


# -- the test ----------------------------------------------------------------------------------------------------------
@pytest.fixture
def awx(lab, playbook, tmp_path):
    assert os.path.exists(RUNNER), "ansible-runner is not installed: pip install -r tests/requirements.txt (scripts/setup)"
    world = Lab(lab, playbook, tmp_path)
    scale = world.admin.clock()["time_scale"]
    for vm in VMS:
        world.lab_vm("create", vm, "--disk-gb", "2", "--power-on")
    world.clock(SCALE)
    try:
        yield world
    finally:
        world.clock(scale)
        world.delete_vault()
        for vm in VMS:
            world.lab_vm("delete", vm)


def credentials(lab):
    """The three credentials of the job templates (examples/awx/configure.yml), from the lab's settings."""
    azure = {"subscription": lab.subscription_id, "client": lab.client_id, "secret": lab.client_secret,
             "tenant": lab.tenant_id, "cloud_environment": lab.azure_metadata_url}
    vcenter = {"host": "%s:%d" % (lab.host, lab.vcenter_port), "username": lab.vcenter_user,
               "password": lab.vcenter_password}
    with open(lab.ca_pem) as handle:
        ca_inputs = {"ca_bundle": handle.read()}
    ca_type = documented_ca_credential_type()
    # VMWARE_VALIDATE_CERTS: AWX's default setting, False; the templates' vars (examples/awx/vars/dr_asr.yml) set
    # validate_certs: true for vSphere, which wins, so the vCenter's certificate is checked against the CA bundle
    return [lambda env, pdd: inject_azure_rm(azure, env),
            lambda env, pdd: inject_vmware(vcenter, env, False),
            lambda env, pdd: inject_custom(ca_type, ca_inputs, env, pdd)]


def run(world, tmp_path, ident, name, template_vars, survey, hold):
    job = AwxJob(tmp_path, ident, "playbooks/%s.yml" % name, "dr.asr %s" % name)
    job.prepare(template_vars, survey, credentials(world.settings))
    with Hold(world, job, hold) as holder:
        status, rc = job.run()
    assert holder.error is None, holder.error
    assert (status, rc) == ("successful", 0), "%s: %s rc=%s\n%s\n%s" % (
        name, status, rc, job.stdout()[-12000:], job.read_log())
    # TLS verified on both sides: AWX's VMWARE_VALIDATE_CERTS=False lost against the templates' validate_certs: true
    assert "TLS certificate verification is OFF" not in job.stdout(), job.stdout()[-6000:]
    # every held job was still running (lab time stood still) when its wait's progress line reached the job's events
    assert set(h["scenario"] for h in holder.held) == set(hold), (holder.held, job.stdout()[-6000:])
    assert set(h["released_by"] for h in holder.held) == {"progress"}, (holder.held, job.stdout()[-6000:])
    # the environment ansible-playbook ran with (the worker's record): the execution environment's, AWX's, the
    # credentials' - nothing of this machine's session
    with open(os.path.join(job.artifacts, "command")) as handle:
        env = json.load(handle)["env"]
    assert env["HOME"] == job.home, env["HOME"]
    leaked = sorted(k for k in env if k.startswith(("DRLAB_", "PYTEST", "VIRTUAL_ENV", "PYTHONPATH")) or k == "ANSIBLE_CONFIG")
    assert leaked == [], leaked
    assert env["AZURE_CA_BUNDLE"] == env["REQUESTS_CA_BUNDLE"] == env["SSL_CERT_FILE"]
    assert os.path.dirname(env["AZURE_CA_BUNDLE"]) == os.path.join(job.dir, "env"), env["AZURE_CA_BUNDLE"]
    return job


def assert_progress(job, module):
    lines = job.progress_during(module)
    assert lines, "no progress line of %s during its task:\n%s" % (module, job.stdout()[-8000:])
    assert any(re.search(r"it-awx-0[12]|jobs ended", line) for line in lines), lines
    return lines


def test_awx_jobs_protect_drill_failover_failback(awx, tmp_path):
    world = awx
    with open(os.path.join(ROOT, "examples", "awx", "vars", "dr_asr.yml")) as handle:
        common = yaml.safe_load(handle)["dr_awx_common_vars"]    # every job template's extra vars
    assert common["dr_asr_vsphere"]["validate_certs"] is True      # against AWX's VMWARE_VALIDATE_CERTS=False
    vms = ",".join(VMS)

    # -- protect: the template's vars typed, the survey's as text -------------------------------------------------
    job = run(world, tmp_path, 101, "protect", dict(
        common, protect_vault_name=world.vault, protect_vault_resource_group=world.rg,
        protect_target_network=world.azure["recovery_vnet_id"], protect_test_network=world.azure["test_vnet_id"],
        protect_log_storage_account=world.azure["storage_account_id"]), {
        "protect_vms": vms, "protect_run_as_account": "linux-root", "protect_readiness_blocking_warnings": "power-state",
        "protect_policy_multi_vm_sync": "false", "protect_policy_retention_hours": "24",
        "protect_wait_timeout": "300", "protect_enable_timeout": "300", "protect_wait_round_seconds": "3",
        "protect_wait_sleep": "1"}, ["EnableDr"])
    assert_progress(job, "dr.asr.protected_item")
    summary = job.artifact_data()["protect_summary"]
    assert sorted(summary["protected"]) == VMS and sorted(summary["to_enable"]) == VMS, summary
    assert summary["skipped"] == [] and summary["failed"] == [] and summary["changed"] is True, summary
    assert summary["vault"]["name"] == world.vault and summary["wait"]["rounds"] >= 2, summary
    assert "2 VMs: 2 protected" in job.stdout(), job.stdout()[-6000:]
    items = world.items()
    assert sorted(items) == VMS and set(i["protectionState"] for i in items.values()) == {"Protected"}, items
    assert sorted(j["state"] for j in world.jobs("EnableDr")) == ["Succeeded", "Succeeded"]
    # the survey's "false" is false: the policy replicates without multi-VM sync
    policy = world.policies()[summary["policy"]]
    assert policy["providerSpecificDetails"]["enableMultiVmSync"] == "false", policy

    # -- drill --------------------------------------------------------------------------------------------------------
    reports = os.path.join(tmp_path, "awx_102", "artifacts", "drill-reports")       # /runner/artifacts/drill-reports
    job = run(world, tmp_path, 102, "drill", dict(
        common, drill_vault_name=world.vault, drill_vault_resource_group=world.rg, drill_report_dir=reports), {
        "drill_vms": vms, "drill_cleanup": "true", "drill_wait_timeout": "300", "drill_cleanup_timeout": "300",
        "drill_wait_round_seconds": "3", "drill_wait_sleep": "1", "drill_rto_target_seconds": "3600"}, ["TestFailover"])
    assert_progress(job, "dr.asr.test_failover")
    summary = job.artifact_data()["drill_summary"]
    assert summary["result"] == "passed" and summary["error"] is None, summary
    assert summary["counts"]["failed"] == 0 and summary["counts"]["passed"] > 0, summary
    assert sorted(summary["cleaned_up"]) == VMS and summary["left_behind"] == [], summary
    assert sorted(vm["name"] for vm in summary["vms"]) == VMS, summary["vms"]
    assert os.path.isfile(summary["files"]["json"]) and summary["files"]["json"].startswith(reports), summary["files"]
    with open(summary["files"]["json"]) as handle:
        assert json.load(handle)["result"] == "passed"
    drills = world.jobs("TestFailover", "TestFailoverCleanup")
    assert sorted((j["scenario"], j["state"]) for j in drills) == [("TestFailover", "Succeeded")] * 2 + [
        ("TestFailoverCleanup", "Succeeded")] * 2, drills

    # -- failover: confirmed and committed through the survey ---------------------------------------------------------
    job = run(world, tmp_path, 103, "failover", dict(
        common, failover_vault_name=world.vault, failover_vault_resource_group=world.rg), {
        "failover_confirm": "true", "failover_vms": vms, "failover_commit": "true", "failover_timeout": "300",
        "failover_commit_timeout": "300", "failover_guest_shutdown_timeout": "60",
        "failover_wait_round_seconds": "3", "failover_wait_sleep": "1"}, ["UnplannedFailover"])
    assert_progress(job, "dr.asr.failover")
    summary = job.artifact_data()["failover_summary"]
    assert sorted(summary["committed"]) == VMS and summary["failed_over"] == [] and summary["unhealthy"] == [], summary
    assert summary["changed"] is True and summary["vault"]["name"] == world.vault, summary
    assert set(vm["phase"] for vm in summary["vms"]) == {"committed"}, summary["vms"]
    assert set(i["activeLocation"] for i in world.items().values()) == {"Recovery"}, world.items()
    assert world.power_states() == dict((vm, "poweredOff") for vm in VMS)

    # -- failback: reprotect to on-premises, failback, commit, reprotect to Azure -------------------------------------
    job = run(world, tmp_path, 104, "failback", dict(
        common, failback_vault_name=world.vault, failback_vault_resource_group=world.rg), {
        "failback_confirm": "true", "failback_vms": vms, "failback_reprotect_timeout": "300",
        "failback_timeout": "300", "failback_commit_timeout": "300", "failback_protection_timeout": "300",
        "failback_power_on": "false", "failback_wait_round_seconds": "3", "failback_wait_sleep": "1"},
        [REPROTECT, "PlannedFailover"])
    assert_progress(job, "dr.asr.reprotect")
    assert_progress(job, "dr.asr.failover")
    summary = job.artifact_data()["failback_summary"]
    assert sorted(summary["on_premises"]) == VMS and sorted(summary["protected"]) == VMS, summary
    assert summary["not_running"] == [] and summary["changed"] is True, summary
    assert set(vm["phase"] for vm in summary["vms"]) == {"protected"}, summary["vms"]
    assert set(vm["power_state"] for vm in summary["vms"]) == {"poweredOn"}, summary["vms"]
    items = world.items()
    assert set((i["protectionState"], i["activeLocation"]) for i in items.values()) == {("Protected", "Primary")}, items
    assert world.power_states() == dict((vm, "poweredOn") for vm in VMS)
    assert sorted(j["state"] for j in world.jobs(REPROTECT)) == ["Succeeded"] * 4
    assert sorted(j["state"] for j in world.jobs("PlannedFailover")) == ["Succeeded"] * 2
