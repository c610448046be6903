"""The whole DR lifecycle through the playbooks, against the lab, for a recovery plan of two boot groups with a manual
action after the first:

    protect (playbooks/protect.yml) -> drill (playbooks/drill.yml, left up, then rerun to clean up) -> a second drill
    -> failover (playbooks/failover.yml) -> commit (and its rerun) -> failback (playbooks/failback.yml: reprotect to
    on-premises, failback) -> cancel of the failback -> failback again and reprotect to Azure before the commit (ASR
    commits on the way, as recorded) -> Protected again.

Every step is rerun and the rerun is a no-op (changed=0, no PUT/PATCH/POST/DELETE in the lab's request log). Each long
step is interrupted (ansible-playbook killed mid-wait once its job has started, lab time slowed down meanwhile) and
rerun: it resumes and finishes without starting a second job (the vault's jobs of that scenario are counted). The
failover job stops at the plan's manual action: the role reports it and fails, and a rerun with
failover_resume_manual_actions resumes it. Illegal orders are refused with the state and the allowed operations:
failover during a drill, commit before the failover. The lab answers what recorded real ASR answered
(tests/lab/test_asr_recorded.py): testFailoverState stays MarkedForDeletion after a cleanup, a committed failover is
UnplannedFailoverCommitted, InMageRcmFailback is active at Primary in Azure, reprotects are
SwitchReplicationGroupProtection jobs.

The VMs are the test's own (created in the lab vCenter, deleted at the end), in a vault of its own. They run no VMware
Tools (vcsim gives created VMs none), so the role's guest shutdown falls back to a power off here; the guest-shutdown
path itself is unit-tested (tests/unit/plugins/modules/test_source_vm_power.py).
"""
import json
import os
import random
import re
import signal
import string
import subprocess
import time

import pytest
from drlab.settings import venv_bin


ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VMS = ["it-lc-01", "it-lc-02"]
PLAN = "rp-it-lc"
WRITES = re.compile(r"^(PUT|PATCH|DELETE|POST) Microsoft\.")
JOB_TYPE = "Microsoft.RecoveryServices/vaults/replicationJobs"
REPROTECT = "SwitchReplicationGroupProtection"      # the reprotect's job [recorded]
FAST, SLOW = 600, 60
#: lab time of an interruption that freezes the clock once the job is under way (a cleanup of two VMs takes ~300 lab
#: seconds: ~30 real seconds to see a task done before it ends, on a loaded machine too)
CRAWL = 10
# the manual action after the first boot group (failover to Azure only)
CHECK_DB = {"name": "check-db", "type": "manual", "description": "Check the database", "failover_types": ["UnplannedFailover"]}


def kill_tree(pid):
    """SIGKILL a process and every process below it: ansible's workers and the modules they run leave the
    playbook's process group, and a worker left alive would go on waiting (and polling the lab) after the kill."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/stat" % entry) as handle:
                    parents[int(entry)] = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(child for child, parent in parents.items() if parent == current)
    for member in tree:
        try:
            os.kill(member, signal.SIGKILL)
        except OSError:
            pass
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass


class Lifecycle(object):
    def __init__(self, settings, playbook, tmp_path):
        from drlab.azure.client import AdminClient
        self.settings = settings
        self.playbook = playbook
        self.tmp = tmp_path
        self.admin = AdminClient(settings.azure_url, settings.ca_pem)
        import yaml
        inventory = yaml.safe_load(open(playbook.inventory))["all"]["vars"]
        self.lab_env = dict(os.environ, **inventory["dr_asr_lab"]["environment"])
        self.rg = inventory["dr_asr_lab_azure"]["resource_group"]
        self.vault = "rsv-it-lc-" + "".join(random.choice(string.ascii_lowercase + string.digits) for _i in range(6))
        self.common = {"failover_vault_name": self.vault, "failback_vault_name": self.vault, "drill_vault_name": self.vault}
        self.runs = 0

    # -- running playbooks -------------------------------------------------------------------------------------
    def vars_file(self, extra):
        self.runs += 1
        path = self.tmp / ("vars-%d.json" % self.runs)
        path.write_text(json.dumps(dict(self.common, **extra)))
        return str(path)

    def command(self, name, extra, *args):
        return [venv_bin("ansible-playbook"), "-i", self.playbook.inventory,
                os.path.join(ROOT, "playbooks", name), "-e", "@" + self.vars_file(extra)] + list(args)

    def run(self, name, extra=None, *args, ok=True):
        result = subprocess.run(self.command(name, extra or {}, *args), env=self.playbook.env(), capture_output=True,
                                text=True, timeout=900, check=False, stdin=subprocess.DEVNULL)
        output = result.stdout + result.stderr
        if ok:
            assert result.returncode == 0, output[-12000:]
        else:
            assert result.returncode != 0, output[-12000:]
        return output

    def tasks_play(self, tasks):
        """A play of module tasks against the test's vault (module_defaults for the action modules)."""
        self.runs += 1
        path = self.tmp / ("play-%d.yml" % self.runs)
        path.write_text(json.dumps([{
            "hosts": "localhost", "gather_facts": False,
            "module_defaults": {"group/dr.asr.azure": "{{ dr_asr_azure | combine({'vault_name': '%s', "
                                                      "'vault_resource_group': '%s'}) }}" % (self.vault, self.rg)},
            "tasks": tasks}]))
        return str(path)

    def module(self, tasks, ok=True):
        result = self.playbook.run_playbook(self.tasks_play(tasks))
        output = result.stdout + result.stderr
        assert (result.returncode == 0) == ok, output[-8000:]
        return output

    def interrupted(self, name, extra, scenario, count, speed_up=True, freeze=False):
        """Start the playbook with lab time slowed, kill it once the vault has `count` jobs of `scenario`, then
        speed lab time up again (unless not `speed_up`). With `freeze`, lab time stops as soon as the jobs are
        there (before the kill) and stays stopped: the jobs still run whatever the machine's load, until the rerun
        has found them (`rerun_found`). Returns the names of those jobs (still running when it was killed)."""
        self.clock(CRAWL if freeze else SLOW)
        proc = subprocess.Popen(self.command(name, extra), env=self.playbook.env(), stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, start_new_session=True, stdin=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline:
                jobs = self.jobs(scenario)
                if len(jobs) >= count and freeze and not self.under_way(scenario):
                    pass                # frozen only once a task of the job is done: the items show the job
                elif len(jobs) >= count:
                    if freeze:
                        self.clock(0)
                    time.sleep(1)      # inside the wait: the role is polling the job now
                    break
                if proc.poll() is not None:
                    pytest.fail("%s ended before a %s job started: %s" % (name, scenario, proc.stdout.read()[-8000:]))
                time.sleep(0.3)
            else:
                os.killpg(proc.pid, signal.SIGKILL)
                pytest.fail("no %s job within 300 s: %s" % (scenario, proc.communicate(timeout=30)[0][-12000:]))
            assert proc.poll() is None, "%s ended before it could be interrupted" % name
            running = [j for j in self.jobs(scenario) if j["state"] in ("InProgress", "NotStarted", "Suspended")]
            kill_tree(proc.pid)
            proc.wait(30)
        finally:
            if proc.poll() is None:
                kill_tree(proc.pid)
            proc.stdout.close()
            if speed_up and not freeze:
                self.clock(FAST)
        assert running, "the %s job had ended before the interruption" % scenario
        return [j["name"] for j in self.jobs(scenario)]

    def rerun_found(self, name, extra, jobs):
        """Run the playbook again while lab time stands still (after `interrupted` with `freeze`): once it waits for
        one of `jobs` (the jobs the interrupted run left running: it has read them three times), lab time runs again
        and the rerun finishes. Returns its output."""
        pattern = "replicationJobs/(%s)" % "|".join(re.escape(j) for j in jobs)
        # the killed run's module process outlives the kill until its round ends (it polls the job meanwhile):
        # start once nothing has read the jobs for 3 s
        seen = len(self.admin.requests(method="GET", path_regex=pattern))
        for _attempt in range(20):
            time.sleep(3)
            now = len(self.admin.requests(method="GET", path_regex=pattern))
            if now == seen:
                break
            seen = now
        proc = subprocess.Popen(self.command(name, extra), env=self.playbook.env(), stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, start_new_session=True, stdin=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 300
            # the rerun reads the job once to decide, then polls it while it waits: three reads, it is waiting
            while len(self.admin.requests(method="GET", path_regex=pattern)) < seen + 3:
                if proc.poll() is not None or time.monotonic() > deadline:
                    break
                time.sleep(0.3)
        finally:
            self.clock(FAST)
        try:
            output = proc.communicate(timeout=900)[0]
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
        assert proc.returncode == 0, output[-12000:]
        return output

    # -- the lab -----------------------------------------------------------------------------------------------
    def clock(self, scale):
        self.admin.set_time_scale(scale)

    def jobs(self, scenario):
        marker = "/vaults/%s/replicationjobs/" % self.vault.lower()
        out = []
        for r in self.admin.resources(type=JOB_TYPE):
            props = r["body"].get("properties") or {}
            if marker in r["id"].lower() and props.get("scenarioName") == scenario:
                out.append({"name": r["body"]["name"], "state": props.get("state"), "target": props.get("targetObjectName")})
        return out

    def under_way(self, scenario):
        """Whether every running job of `scenario` has a task done (it has changed its items) and none has ended."""
        marker = "/vaults/%s/replicationjobs/" % self.vault.lower()
        found = False
        for r in self.admin.resources(type=JOB_TYPE):
            props = r["body"].get("properties") or {}
            if marker not in r["id"].lower() or props.get("scenarioName") != scenario:
                continue
            if props.get("state") not in ("InProgress", "NotStarted"):
                return False
            found = True
            tasks = (r["body"].get("_lab") or {}).get("tasks") or []        # the lab's own record of the tasks
            if not any(t.get("done") for t in tasks):
                return False
        return found

    def writes(self):
        return sum(v for k, v in self.admin.summary()["by_operation"].items() if WRITES.match(k))

    def rerun_is_noop(self, name, extra):
        before = self.writes()
        output = self.run(name, extra)
        assert re.search(r"localhost\s+:\s+ok=\d+\s+changed=0\s+unreachable=0\s+failed=0", output), output[-6000:]
        assert self.writes() == before, "the rerun of %s wrote to Azure:\n%s" % (name, output[-6000:])
        return output

    def lab_vm(self, *args):
        script = os.path.join(ROOT, "tests", "integration", "targets", "setup_asr_protected", "files", "lab_vm.py")
        result = subprocess.run([venv_bin("python"), script] + list(args), env=self.lab_env,
                                capture_output=True, text=True, timeout=120, check=True)
        return json.loads(result.stdout)


@pytest.fixture
def lifecycle(lab, playbook, tmp_path):
    life = Lifecycle(lab, playbook, tmp_path)
    scale = life.admin.clock()["time_scale"]
    for vm in VMS:
        life.lab_vm("create", vm, "--disk-gb", "2", "--power-on")
    life.clock(FAST)
    try:
        yield life
    finally:
        life.clock(scale)
        life.module([{"name": "Delete the plan", "dr.asr.recovery_plan": {"name": PLAN, "state": "absent"},
                      "failed_when": False},
                     {"name": "Delete the vault", "dr.asr.vault": {"name": life.vault, "resource_group": life.rg,
                                                                   "state": "absent"}, "failed_when": False}])
        for vm in VMS:
            life.lab_vm("delete", vm)


def test_lifecycle_through_the_playbooks(lifecycle):
    life = lifecycle
    failover = {"failover_recovery_plans": [PLAN], "failover_confirm": True, "failover_commit": False,
                "failover_wait_round_seconds": 2, "failover_wait_sleep": 1}
    failback = {"failback_recovery_plans": [PLAN], "failback_confirm": True, "failback_wait_round_seconds": 2,
                "failback_wait_sleep": 1}

    # -- protect, and a plan: it-lc-01, a manual check (failover only), it-lc-02 --------------------------------
    protect = {"protect_vault_name": life.vault, "protect_vms": VMS, "protect_run_as_account": "linux-root",
               "protect_readiness_blocking_warnings": [], "protect_wait_sleep": 1, "protect_wait_round_seconds": 3,
               "protect_wait_timeout": 300}
    out = life.run("protect.yml", protect)
    assert "2 VMs: 2 protected" in out, out[-6000:]
    life.module([{"name": "A plan of two groups with a manual action", "dr.asr.recovery_plan": {
        "name": PLAN, "wait_sleep": 1,
        "groups": [{"vms": [VMS[0]], "post_actions": [CHECK_DB]}, {"vms": [VMS[1]]}]}}])

    # -- illegal orders before any failover: no confirmation, commit first, failover during a drill ---------------
    out = life.run("failover.yml", dict(failover, failover_confirm=False), ok=False)
    assert "Set failover_confirm: true" in out and "Nothing was read or changed" in out
    out = life.module([{"name": "Commit before the failover", "dr.asr.failover_commit": {"recovery_plan": PLAN}}],
                      ok=False)
    assert "Cannot commit the failover: recovery plan %s allows" % PLAN in out
    assert "There is no failover to commit" in out and "UnplannedFailover" in out
    # the drill through playbooks/drill.yml, left up (drill_cleanup: false) to try a failover during it
    reports = life.tmp / "reports"
    drill = {"drill_recovery_plans": [PLAN], "drill_wait_round_seconds": 2, "drill_wait_sleep": 1,
             "drill_report_dir": str(reports), "drill_report_name": "lifecycle"}
    started = life.interrupted("drill.yml", dict(drill, drill_cleanup=False), "TestFailover", 1)
    out = life.run("drill.yml", dict(drill, drill_cleanup=False))
    drills = life.jobs("TestFailover")
    assert [j["name"] for j in drills] == started and drills[0]["state"] == "Succeeded", drills
    writes = life.writes()
    out = life.run("failover.yml", failover, ok=False)
    assert "Cannot fail over to Azure: recovery plan %s allows TestFailoverCleanup" % PLAN in out, out[-6000:]
    assert "in a test failover that waits for its cleanup" in out and "allowed operations: TestFailoverCleanup" in out
    assert "Clean up the test failover first" in out
    assert life.writes() == writes, "the refused failover wrote"
    # the rerun of the drill picks the drill that is up: validates, reports, cleans up (interrupted, then rerun),
    # starts no second one
    cleanups = life.interrupted("drill.yml", drill, "TestFailoverCleanup", 1, freeze=True)
    out = life.rerun_found("drill.yml", drill, cleanups)
    assert "Resuming the interrupted cleanup of the drill of plan %s" % PLAN in out, out[-6000:]
    assert len(life.jobs("TestFailover")) == 1, life.jobs("TestFailover")
    assert [j["name"] for j in life.jobs("TestFailoverCleanup")] == cleanups, out[-6000:]
    report = json.loads((reports / "lifecycle.json").read_text())
    assert report["result"] == "passed", report
    assert {name for plan in report["plans"] for name in plan["vms"]} == set(VMS), report["plans"]

    # -- a second drill after the first: the cleanup left testFailoverState MarkedForDeletion with TestFailover allowed
    # again [recorded]; the drill role starts a new drill (it is not mistaken for a cleanup in progress)
    out = life.run("drill.yml", dict(drill, drill_report_name="second"))
    assert "Resuming" not in out, out[-6000:]
    assert len(life.jobs("TestFailover")) == 2 and len(life.jobs("TestFailoverCleanup")) == 2, out[-6000:]
    assert json.loads((reports / "second.json").read_text())["result"] == "passed"

    # -- check mode predicts and writes nothing -----------------------------------------------------------------
    writes = life.writes()
    out = life.run("failover.yml", failover, "--check")
    assert re.search(r"it-lc-01 .*\| would shutdown, failover", out), out[-6000:]
    assert life.writes() == writes

    # -- failover: interrupted, then stopped at the manual action, then resumed -------------------------------------
    jobs = life.interrupted("failover.yml", failover, "UnplannedFailover", 1)
    out = life.run("failover.yml", failover, ok=False)
    assert "waits at manual action 'Group 1: Post-steps: check-db'" in out, out[-6000:]
    assert "failover_resume_manual_actions: true" in out
    out = life.run("failover.yml", dict(failover, failover_resume_manual_actions=True))
    assert "Health check: every VM runs in Azure (2 VMs" in out, out[-6000:]
    assert "2 VMs: 2 failed over (commit pending), 0 committed" in out
    assert [j["name"] for j in life.jobs("UnplannedFailover")] == jobs, "a second failover job was started"
    life.rerun_is_noop("failover.yml", dict(failover, failover_resume_manual_actions=True))

    # -- commit, and a rerun after it (UnplannedFailoverCommitted: no commit allowed, nothing to do) ----------------
    out = life.run("failover.yml", dict(failover, failover_commit=True))
    assert re.search(r"it-lc-01 .*\| committed .*\| commit$", out, re.M), out[-6000:]
    assert len(life.jobs("CommitFailover")) == 1
    life.rerun_is_noop("failover.yml", dict(failover, failover_commit=True))

    # -- failback: each long step interrupted, then finished ---------------------------------------------------
    out = life.run("failback.yml", failback, "--check")
    assert "would reprotect to on-premises, failback, commit, reprotect to Azure" in out, out[-6000:]
    reprotects = life.interrupted("failback.yml", failback, REPROTECT, 2)
    failbacks = life.interrupted("failback.yml", failback, "PlannedFailover", 1)
    assert sorted(j["name"] for j in life.jobs(REPROTECT)) == sorted(reprotects)
    # -- cancel the failback (waits for the interrupted planned failover first): back to replicating from Azure ------
    life.module([{"name": "Cancel the failback", "dr.asr.failover_cancel": {"recovery_plan": PLAN, "wait_sleep": 1},
                  "register": "cancel"},
                 {"name": "Canceled, the VMs run in Azure and replicate to on-premises again", "ansible.builtin.assert": {
                     "that": ["cancel is changed", "cancel.recovery_plan.job.scenario == 'CancelFailover'",
                              "cancel.protected_items | map(attribute='phase') | unique | list == ['reprotected']",
                              "cancel.protected_items | map(attribute='runs_in') | unique | list == ['azure']"]}}])
    assert len(life.jobs("CancelFailover")) == 1 and [j["name"] for j in life.jobs("PlannedFailover")] == failbacks
    # -- fail back again, then reprotect to Azure before the commit: the reprotect commits on its way [recorded] -------
    no_commit = dict(failback, failback_commit=False)
    reprotects = life.interrupted("failback.yml", no_commit, REPROTECT, 4)
    out = life.run("failback.yml", no_commit)
    assert "2 VMs: 2 on-premises, 2 protected (replicating to Azure), 0 not running in vCenter" in out, out[-6000:]
    assert re.search(r"it-lc-01 .*\| protected .*\| on-premises \| poweredOn", out), out[-6000:]
    assert sorted(j["name"] for j in life.jobs(REPROTECT)) == sorted(reprotects)
    assert len(life.jobs("PlannedFailover")) == 2 and failbacks[0] in [j["name"] for j in life.jobs("PlannedFailover")]
    assert len(life.jobs("CommitFailover")) == 1, "the failback was committed by the reprotect, not by a commit job"
    life.rerun_is_noop("failback.yml", failback)
    # the next disaster can come: the failover role sees protected VMs again
    out = life.run("failover.yml", failover, "--check")
    assert re.search(r"it-lc-02 .*\| protected .*\| on-premises .*\| would shutdown, failover", out), out[-6000:]
