"""A fuzz of every module's options against the lab (issue 14): hostile values for each option, generated from the
argument spec each module builds (tests/integration/fuzz_cases.py: wrong types, empty, huge, negative, unicode,
path traversal and absolute paths, NUL, ARM ids of the wrong resource type, lists and dicts of the wrong shape),
run as the tasks of one ansible-playbook at -vvv: a few lanes (the hosts of a `free` play) run side by side, the
Mobility service's cases on a lab guest. For every case:

* no traceback - the module fails cleanly (an input problem names the option) or succeeds; no internal error;
* no write in the lab's request log when the module refuses its input (each case's Azure requests carry its id in
  the user agent, AZURE_HTTP_USER_AGENT); a failure after writes says changed and lists them; a success after
  writes says changed;
* no secret canary anywhere: canaries in every secret option (and in x509_certificate_password of every Azure case,
  a secret the service principal never uses), in the secret environment variables, in an AZURE_CREDENTIAL_FILE and in
  ~/.azure/credentials of a temporary HOME; none may appear in the output, in any file the run wrote under the test's
  tmp_path (HOME, TMPDIR, the drill reports, the results), on the guest, in the lab's request log or its log.

The cases go against two vaults of the fuzz's own in the lab's resource group (created first - the first with its
lab appliance and an associated policy - and deleted at the end): the VMs named are not protected there and
protected_item's cases run in check mode, the vSphere VM the power cases name does not exist - nothing the other
tests use changes.

DRASR_FUZZ_DEPTH=1 (the default: every option once or twice, ~290 cases, a few minutes), 2 (~750) or 3 (~1500, up
to 8 values an option) chooses how many values each option gets."""
import json
import os
import random
import re
import string
import subprocess
import time

import pytest

from drlab import guests, seed
from drlab.azure.client import AdminClient

from ansible_collections.dr.asr.tests.integration import fuzz_cases

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CALLBACKS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fuzz_callback")
LANES = 3
TASK_TIMEOUT = 120
WRITE_METHODS = ("PUT", "PATCH", "DELETE", "POST")
TRACEBACK = "Traceback (most recent call last)"
UA = "drasr-fuzz/"


def _dump(data):
    return json.dumps(data, indent=1, ensure_ascii=False)


def _task(case):
    task = {
        "name": "fuzz %s %s %s = %s" % (case.id, case.module, case.option, case.label),
        "dr.asr." + case.module: case.args,
        "environment": dict(case.env, AZURE_HTTP_USER_AGENT=UA + case.id),
        "ignore_errors": True,
        "timeout": TASK_TIMEOUT,
    }
    if case.check_mode:
        task["check_mode"] = True
    return task


#: module_defaults: the lab's connection; on the lane of the environment's credentials without the secret and the
#: password (the modules then take AZURE_SECRET, VMWARE_PASSWORD, the credential files)
DEFAULTS = {
    "group/dr.asr.azure": "{{ dr_asr_azure | dict2items | rejectattr('key', 'in', fuzz_without | default([])) "
                          "| items2dict }}",
    "group/dr.asr.vsphere": "{{ dr_asr_vsphere | dict2items | rejectattr('key', 'in', fuzz_without | default([])) "
                            "| items2dict }}",
}


def _plumbing(task_name, module, args, may_fail=True):
    task = {"name": task_name, "dr.asr." + module: args, "environment": {"AZURE_HTTP_USER_AGENT": UA + "plumbing"},
            "timeout": 300}
    if may_fail:
        task["failed_when"] = False
    return task


def write_playbook(inputs, ctx, cases, guest):
    """The fuzz playbook: the fuzz vault; the lanes (a free play, one task file per host: the controller's lanes,
    the lane of the environment's credentials, the guest's); the cleanup. Returns (playbook, inventory of the lanes)."""
    lanes = ["drasr-fuzz-lane-%d" % (i + 1) for i in range(LANES)]
    per_host = dict((name, []) for name in lanes + ["drasr-fuzz-env", guest])
    for i, case in enumerate(c for c in cases if c.host == "lane"):
        per_host[lanes[i % LANES]].append(_task(case))
    per_host["drasr-fuzz-env"] = [_task(c) for c in cases if c.host == "env"]
    per_host[guest] = [_task(c) for c in cases if c.host == "guest"]
    for host, tasks in per_host.items():
        with open(os.path.join(inputs, "lane-%s.yml" % host), "w", encoding="utf-8") as f:
            f.write(_dump(tasks))
    local = {"ansible_connection": "local", "ansible_python_interpreter": os.path.join(ROOT, ".venv", "bin", "python")}
    hosts = dict((name, local) for name in lanes)
    hosts["drasr-fuzz-env"] = dict(local, fuzz_without=["secret", "password"])
    inventory = os.path.join(inputs, "lanes.yml")
    with open(inventory, "w") as f:
        f.write(_dump({"all": {"children": {"drasr_fuzz_lanes": {"hosts": hosts}}}}))
    vault = dict(resource_group=ctx.resource_group, wait_timeout=120, wait_sleep=1)
    in_vault = dict(vault_name=ctx.vault, vault_resource_group=ctx.resource_group, wait_timeout=300, wait_sleep=1)
    setup = [
        _plumbing("the fuzz vault", "vault", dict(vault, name=ctx.vault), may_fail=False),
        _plumbing("its lab appliance", "appliance_info", dict(
            vault_name=ctx.vault, vault_resource_group=ctx.resource_group, wait_for_appliance=dict(timeout=300, sleep=1)),
            may_fail=False),
        _plumbing("its replication policy", "replication_policy", dict(
            in_vault, name=fuzz_cases.POLICY, associate=True), may_fail=False),
    ]
    cleanup = [_plumbing("the fuzz policy %s" % name, "replication_policy", dict(in_vault, name=name, state="absent"))
               for name in (fuzz_cases.POLICY, fuzz_cases.POLICY2)]
    cleanup += [_plumbing("the fuzz vault %s" % name, "vault", dict(vault, name=name, state="absent"))
                for name in (ctx.vault, ctx.vault2)]
    plays = [
        {"name": "fuzz setup", "hosts": "localhost", "gather_facts": False, "module_defaults": DEFAULTS,
         "tasks": [{"block": setup, "rescue": cleanup + [{"ansible.builtin.fail": {"msg": "the fuzz setup failed"}}]}]},
        {"name": "fuzz lanes", "hosts": "drasr_fuzz_lanes:%s" % guest, "gather_facts": False, "strategy": "free",
         "module_defaults": DEFAULTS,
         "tasks": [{"name": "the cases of this lane",
                    "ansible.builtin.include_tasks": os.path.join(inputs, "lane-{{ inventory_hostname }}.yml")}]},
        {"name": "fuzz cleanup", "hosts": "localhost", "gather_facts": False, "module_defaults": DEFAULTS,
         "tasks": cleanup},
    ]
    path = os.path.join(inputs, "fuzz.yml")
    with open(path, "w", encoding="utf-8") as f:
        f.write(_dump(plays))
    return path, inventory


# -- what a case did ----------------------------------------------------------------------------------------------

def _names(case):
    option = case.option
    return {option, option.split(".")[0], option.rsplit(".", 1)[-1]}


def outcome(case, record):
    """How a case ended: ok, refused (its value refused, naming the option), other-input (refused for another
    option: the value got past the module's checks), error (Azure, vSphere, a timeout: the value reached the work)."""
    if record is None or record["status"] != "failed":
        return "ok" if record else "missing"
    result = record["result"]
    error = result.get("error") if isinstance(result.get("error"), dict) else None
    if error is None:
        return "refused"            # Ansible's own argument checks, or a module's plain failure
    if error.get("kind") != "input":
        return "error"
    return "refused" if (error.get("details") or {}).get("parameter", "").split("[")[0] in _names(case) or \
        (error.get("details") or {}).get("parameter", "") in _names(case) else "other-input"


def problems_of(case, record, writes):
    """What is wrong with one case's result ([] when nothing)."""
    if record is None:
        return ["no result (the case did not run)"]
    result = record["result"]
    text = json.dumps(result)
    msg = str(result.get("msg", ""))
    out = []
    if record["status"] not in ("ok", "failed"):
        out.append("status %s" % record["status"])
    if TRACEBACK in text or "MODULE FAILURE" in msg or result.get("module_stderr"):
        out.append("traceback")     # (ansible-core 2.19 puts "exception": "(traceback unavailable)" in every failure)
    elif record["status"] == "failed" and "Module failed:" in msg and "invocation" not in result:
        out.append("an exception ended the module")     # ansible-core 2.19's report of one (no traceback shown)
    error = result.get("error") if isinstance(result.get("error"), dict) else None
    if error and error.get("kind") == "internal":
        out.append("internal error")
    if "timed out" in msg and not error:
        out.append("hung (the task timed out)")
    done = [w for w in writes if 200 <= w["status"] < 300]
    if record["status"] == "failed":
        if not msg.strip():
            out.append("a failure without a message")
        if error is None and not out:
            # Ansible's argument checks (or a module's own plain failure): about the fuzzed option, naming it
            value = case.args.get(case.option) if "." not in case.option else None
            if not case.secret and not any(name in msg for name in _names(case)) and \
                    not (isinstance(value, str) and value and value in msg):
                out.append("a refusal that does not name %s" % case.option)
        if error is not None and error.get("kind") == "input":
            parameter = (error.get("details") or {}).get("parameter")
            if not parameter or parameter not in msg:
                out.append("an input error that names no parameter")
        if (error is None or error.get("kind") == "input") and not out:
            if writes:
                out.append("%d write(s) before the input error: %s" % (len(writes), _writes(writes)))
            if result.get("changed") and not (result.get("writes") or result.get("files")):
                out.append("an input error that says changed, not what it wrote")
        elif done and not (result.get("changed") and result.get("writes")):
            out.append("a failure after %d write(s) that does not say so: %s" % (len(done), _writes(done)))
    elif done and not result.get("changed"):
        out.append("unchanged after %d write(s): %s" % (len(done), _writes(done)))
    return out


def _writes(writes):
    return ", ".join("%s %s %s" % (w["method"], w["path"], w["status"]) for w in writes[:3])


def _short(value, size=160):
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=True)
    return text if len(text) <= size else text[:size] + "..."


# -- secrets ------------------------------------------------------------------------------------------------------

def _canary_hits(data):
    return data.lower().count(fuzz_cases.CANARY.lower().encode() if isinstance(data, bytes) else
                              fuzz_cases.CANARY.lower())


def files_with_canary(roots, since=0.0, inputs=(), limit=20 * 1024 * 1024):
    """The files under `roots` (changed since `since`; not under the test's own `inputs`) that hold a canary."""
    found = []
    for root in roots:
        for folder, _dirs, files in os.walk(root):
            for name in files:
                path = os.path.join(folder, name)
                try:
                    if any(path == i or path.startswith(i + os.sep) for i in inputs) or os.path.islink(path) or \
                            not os.path.isfile(path) or os.path.getmtime(path) < since:
                        continue
                    with open(path, "rb") as f:
                        if _canary_hits(f.read(limit)):
                            found.append(path)
                except OSError:
                    continue
    return found


def _environment(playbook, home, tmp, results, credential_file):
    env = playbook.env()
    env.update(HOME=home, TMPDIR=tmp, DRASR_FUZZ_RESULTS=results, AZURE_CREDENTIAL_FILE=credential_file,
               ANSIBLE_CALLBACK_PLUGINS=CALLBACKS, ANSIBLE_CALLBACKS_ENABLED="fuzz_results",
               ANSIBLE_LOCAL_TEMP=os.path.join(home, ".ansible", "tmp"), ANSIBLE_FORKS=str(LANES + 2), ANSIBLE_PIPELINING="True")
    for name in fuzz_cases.SECRET_ENV:
        env[name] = fuzz_cases.CANARIES["env"]
    return env


@pytest.fixture
def fuzz(playbook, tmp_path):
    """Runs the fuzz once: the cases, their results and writes (by case id), the output, the lab's requests and log,
    where to look for canaries."""
    settings = playbook.settings
    suffix = "".join(random.choice(string.ascii_lowercase + string.digits) for _position in range(6))
    dirs = dict((name, tmp_path / name) for name in ("inputs", "home", "tmp", "reports"))
    for path in dirs.values():
        path.mkdir()
    # the playbook's directory, where the modules run: drill_report's ../../x lands in tmp_path
    play_dir = dirs["inputs"] / "play"
    play_dir.mkdir()
    ctx = fuzz_cases.Context(vault="rsv-fuzz-%s" % suffix, vault2="rsv-fuzz-%s-v" % suffix,
                             resource_group=seed.RESOURCE_GROUP, subscription_id=settings.subscription_id,
                             azure_url=settings.azure_url, ca_pem=settings.ca_pem,
                             client_certificate=settings.client_certificate, report_dir=str(dirs["reports"]))
    cases = fuzz_cases.cases(ctx, depth=int(os.environ.get("DRASR_FUZZ_DEPTH") or 1))
    guest = guests.guests(settings)[-1]
    play, lanes = write_playbook(str(play_dir), ctx, cases, guest.name)
    good, malformed = fuzz_cases.credential_files(ctx)
    credential_file = dirs["inputs"] / "credentials"
    credential_file.write_text(good)
    (dirs["home"] / ".azure").mkdir()
    home_credentials = dirs["home"] / ".azure" / "credentials"
    home_credentials.write_text(malformed)
    results = tmp_path / "results.jsonl"
    env = _environment(playbook, str(dirs["home"]), str(dirs["tmp"]), str(results), str(credential_file))
    lab_log = settings.path("log", "azure-sim.log")
    log_start = os.path.getsize(lab_log) if os.path.exists(lab_log) else 0
    started = time.time()
    cmd = [os.path.join(ROOT, ".venv", "bin", "ansible-playbook"), "-i", playbook.inventory, "-i", lanes, play, "-vvv"]
    run = subprocess.run(cmd, env=env, cwd=str(play_dir), capture_output=True, text=True, timeout=1800, check=False,
                         stdin=subprocess.DEVNULL)
    took = time.time() - started
    output = run.stdout + run.stderr
    (tmp_path / "output.txt").write_text(output)
    assert run.returncode == 0, output[-20000:]
    records = {}
    with open(results, encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
            match = re.match(r"fuzz (\d{4}) ", record["task"])
            if match:
                records[match.group(1)] = record
    entries = AdminClient(settings.azure_url, settings.ca_pem).requests(since=started - 1)
    writes = {}
    for entry in entries:
        agent = entry.get("user_agent") or ""
        if entry["method"] in WRITE_METHODS and entry.get("kind") != "identity" and UA in agent:
            writes.setdefault(agent.split(UA, 1)[1].split()[0], []).append(entry)
    lab_output = ""
    if os.path.exists(lab_log):
        with open(lab_log, "rb") as f:
            f.seek(log_start)
            lab_output = f.read().decode("utf-8", "replace")
    guest_dirs = [os.path.join(guest.root, name) for name in ("root", "var-log", "usr-local", "opt")]
    yield dict(cases=cases, records=records, writes=writes, output=output, entries=entries, lab_output=lab_output,
               inputs=[str(dirs["inputs"]), str(home_credentials)], guest_dirs=guest_dirs, started=started,
               took=took, tmp_path=tmp_path)


def test_the_base_arguments_pass_the_argument_checks():
    """Each case changes one option of arguments that pass Ansible's argument checks (else its refusal says nothing
    about the fuzzed value); no lab needed."""
    ctx = fuzz_cases.Context(vault="rsv-fuzz-x", vault2="rsv-fuzz-x-v", resource_group="rg", subscription_id="s",
                             azure_url="https://127.0.0.1:1", ca_pem="/ca.pem", client_certificate="/cert.pem",
                             report_dir="/reports")
    assert fuzz_cases.invalid_bases(ctx, fuzz_cases.capture_specs()) == {}


def test_fuzz_options(fuzz):
    cases, records, writes = fuzz["cases"], fuzz["records"], fuzz["writes"]
    problems = []
    summary = {}
    for case in cases:
        record = records.get(case.id)
        found = problems_of(case, record, writes.get(case.id, []))
        row = summary.setdefault(case.module, {"cases": 0, "ok": 0, "refused": 0, "other-input": 0, "error": 0,
                                               "missing": 0, "problems": 0})
        row["cases"] += 1
        row[outcome(case, record)] += 1
        if found:
            row["problems"] += 1
            msg = str((record or {}).get("result", {}).get("msg", ""))
            value = _short(case.args.get(case.option.split(".")[0]), 80)
            problems.append("%s %s %s = %s (%s): %s\n      msg: %s" % (
                case.id, case.module, case.option, case.label, value, "; ".join(found), _short(msg, 400)))
    tagged = [e for e in fuzz["entries"] if UA in (e.get("user_agent") or "") and UA + "plumbing" not in e["user_agent"]]
    (fuzz["tmp_path"] / "summary.json").write_text(_dump(dict(took=fuzz["took"], modules=summary, requests=len(tagged),
                                                              writes=sum(len(w) for w in writes.values()))))
    print("option fuzz: %d cases in %.0f s; %s" % (len(cases), fuzz["took"], _dump(summary)))
    assert not problems, "%d of %d cases:\n%s" % (len(problems), len(cases), "\n".join(problems))
    # the write check is not vacuous: the cases' requests reach the log with their ids (the cases that succeed write)
    assert len(tagged) > len(cases) and any(writes.get(case.id) for case in cases)

    # no traceback anywhere in the output
    output = fuzz["output"]
    assert TRACEBACK not in output, output[max(0, output.index(TRACEBACK) - 3000):output.index(TRACEBACK) + 3000]
    assert "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" in output or "********" in output   # -vvv showed the arguments

    # no canary anywhere
    hits = _canary_hits(output)
    at = output.lower().find(fuzz_cases.CANARY.lower())
    assert hits == 0, "%d canaries in the output, the first:\n%s" % (hits, output[max(0, at - 3000):at + 500])
    leaked = files_with_canary([str(fuzz["tmp_path"])], inputs=fuzz["inputs"]) + \
        files_with_canary(fuzz["guest_dirs"], since=fuzz["started"])
    assert leaked == [], leaked
    assert [e for e in fuzz["entries"] if _canary_hits(json.dumps(e))] == []
    assert _canary_hits(fuzz["lab_output"]) == 0
