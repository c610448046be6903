"""The simulator is not what limits a big plan failover (issue 14, Scale): a recovery plan job's side effects are
spread over lab time and done between requests.

* in-process (the real engine, lab time moved by hand, scale 0): the items of a Boot group complete at their own
  lab times (their callbacks run then; their VM children show Succeeded then, the others InProgress), the job
  still fails only after its group (test_asr_plans.py), and the engine's work can be cut into slices
  (`jobs.advance(ctx, deadline)`: one transition at least, each callback exactly once, the same outcome as one
  advance);
* the background advancer (drlab/azure/background.py) in-process: a clock jump wakes it and it runs the due
  transitions with no request at all;
* through the SDK against the lab: a plan failover's Azure VMs are created and its job ends after a clock jump
  before any ASR request arrives; the next ASR request finds the work done.

Tests wait on lab state (the stored job, read without advancing anything), never on wall-clock assumptions.
"""
import os
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "lab"))

from drlab.azure import background  # noqa: E402
from drlab.azure import config as configmod  # noqa: E402
from drlab.azure.providers.siterecovery import common, errors, jobs, plans  # noqa: E402

#: longest a test waits for lab state the background advancer produces (a guard against a hang, not a timing)
GUARD = 120.0


@pytest.fixture
def app(inprocess_app):
    inprocess_app.clock.set_scale(0)          # lab time moves only when a test moves it
    return inprocess_app


RAN = []


def _recorded(ctx, job, task):
    RAN.append((task["args"]["vm"], task["name"], task["end"]))


def _run(vm, durations):
    """A plan group's item run (what plans._Builder.run makes) of tasks lasting `durations`, one stage each."""
    tasks = [jobs.Task("T%d" % i, "task %d" % i, d, callback="test.background.item", args={"vm": vm}, stage=i)
             for i, d in enumerate(durations)]
    schedule, length = plans._schedule(tasks)
    return {"item": vm, "vm": vm, "taskId": "run-" + vm, "objectId": vm, "scenario": "UnplannedFailover",
            "friendly": "Failover", "on_failure": None, "tasks": schedule, "length": length}


def _group_job(ctx, vault, runs):
    """A job whose one task is a Boot group of `runs`, as plans._Builder.build makes it."""
    task = jobs.Task("Group1", "Group 1: Start (%d)" % len(runs), max(r["length"] for r in runs),
                     callback="plans.group", args={"runs": runs},
                     steps={"callback": "plans.group_steps", "offsets": [e[0] for e in plans._group_events(runs)]},
                     group_details=plans._group_details("Group1", "BootGroup", [plans._vm_child(None, r) for r in runs]))
    return jobs.start_job(ctx, vault, scenario="UnplannedFailover", friendly_name="Failover", target_id=vault + "/p",
                          target_name="p", target_type="RecoveryPlan", tasks=[task])


def _children(ctx, job_id):
    group = jobs.render_job(ctx.get(job_id))["properties"]["tasks"][0]
    return {c["friendlyName"]: c for c in group["groupTaskCustomDetails"]["childTasks"]}, group


@pytest.fixture
def recorded():
    RAN.clear()
    jobs.register_callback("test.background.item", _recorded)
    yield RAN


def test_the_items_of_a_group_complete_at_their_own_lab_times(app, recorded, bare_vault):
    with app.store.transaction():
        ctx, vault = bare_vault(app)
        t0 = common.now_epoch(ctx)
        job = _group_job(ctx, vault, [_run("a", [10, 100]), _run("b", [10, 20, 5]), _run("c", [50])])
    steps = []
    for jump, ran, states in ((15, [("a", "T0", 10), ("b", "T0", 10)], ("InProgress", "InProgress", "InProgress")),
                              (40, [("b", "T1", 30), ("b", "T2", 35)], ("InProgress", "Succeeded", "InProgress")),
                              (60, [("c", "T0", 50)], ("InProgress", "Succeeded", "Succeeded")),
                              (200, [("a", "T1", 110)], ("Succeeded", "Succeeded", "Succeeded"))):
        app.clock.advance(t0 + jump - common.now_epoch(ctx))
        recorded.clear()
        with app.store.transaction():
            jobs.advance(ctx)
            children, group = _children(ctx, job["id"])
            stored = ctx.get(job["id"])
        assert [(vm, name, end - t0) for vm, name, end in recorded] == ran, jump
        assert tuple(children[vm]["state"] for vm in "abc") == states, jump
        steps.append((jump, stored["properties"]["state"], group["state"]))
        for vm in "abc":
            if children[vm]["state"] == "Succeeded":     # at its own end, not at the group's
                length = {"a": 110, "b": 35, "c": 50}[vm]
                assert common.from_iso(children[vm]["endTime"]) == pytest.approx(t0 + length, abs=0.01)
            else:
                assert children[vm]["endTime"] is None and common.from_iso(children[vm]["startTime"]) == \
                    pytest.approx(t0, abs=0.01)
    assert steps == [(15, "InProgress", "InProgress"), (40, "InProgress", "InProgress"),
                     (60, "InProgress", "InProgress"), (200, "Succeeded", "Succeeded")]


def test_a_failed_item_shows_at_its_time_and_fails_the_job_after_its_group(app, recorded, bare_vault):
    def boom(ctx, job, task):
        recorded.append((task["args"]["vm"], task["name"], task["end"]))
        raise errors.asr_error(400, "990001", "the Azure VM could not be created")
    jobs.register_callback("test.background.boom", boom)
    with app.store.transaction():
        ctx, vault = bare_vault(app)
        t0 = common.now_epoch(ctx)
        failing = _run("b", [10, 20])
        failing["tasks"][1]["callback"] = "test.background.boom"
        job = _group_job(ctx, vault, [_run("a", [100]), failing])
    app.clock.advance(40)
    with app.store.transaction():
        jobs.advance(ctx)
        children, _group = _children(ctx, job["id"])
        assert ctx.get(job["id"])["properties"]["state"] == "InProgress"      # the group is not over
    assert children["b"]["state"] == "Failed" and common.from_iso(children["b"]["endTime"]) == \
        pytest.approx(t0 + 30, abs=0.01)
    assert children["b"]["errors"][0]["serviceErrorDetails"]["code"] == "990001"
    assert children["a"]["state"] == "InProgress"
    first_errors = children["b"]["errors"]
    app.clock.advance(100)
    with app.store.transaction():
        jobs.advance(ctx)
        stored = ctx.get(job["id"])
        children, _group = _children(ctx, job["id"])
    assert stored["properties"]["state"] == "Failed" and children["a"]["state"] == "Succeeded"
    assert children["b"]["errors"] == first_errors            # the same entry (ids) from poll to poll
    assert stored["_lab"]["status_error"]["code"] == "990001"
    assert [r[:2] for r in recorded] == [("b", "T0"), ("b", "T1"), ("a", "T0")]


def test_the_engine_works_in_slices_with_each_callback_once(app, recorded, bare_vault):
    runs = [_run("vm%02d" % i, [10 + i, 20]) for i in range(8)]
    with app.store.transaction():
        ctx, vault = bare_vault(app)
        job = _group_job(ctx, vault, runs)
    app.clock.advance(1000)
    slices = 0
    while True:
        with app.store.transaction():
            more = jobs.advance(ctx, deadline=time.monotonic() - 1)     # a deadline already passed: one step each
        slices += 1
        if not more:
            break
        assert slices < 100
    with app.store.transaction():
        assert ctx.get(job["id"])["properties"]["state"] == "Succeeded"
        children, _group = _children(ctx, job["id"])
    assert slices > 8                        # cut into many slices (one step, then the deadline), not one
    assert sorted(recorded) == sorted(set(recorded)) and len(recorded) == 16     # every callback once
    assert [r[:2] for r in recorded] == [("vm%02d" % i, "T0") for i in range(8)] + \
        [("vm%02d" % i, "T1") for i in range(8)]       # in lab-time order, as one advance runs them
    assert {c["state"] for c in children.values()} == {"Succeeded"}


def test_the_background_advancer_runs_due_work_without_a_request(app, recorded, bare_vault):
    with app.store.transaction():
        ctx, vault = bare_vault(app)
        job = _group_job(ctx, vault, [_run("a", [10, 20]), _run("b", [30])])
    advancer = app.engine.advancer = background.Advancer(app).start()
    assert advancer.state()["running"]
    app.clock.advance(60)               # wakes the advancer: nothing else touches the store
    state = _wait_for_job(app, job["id"], "Succeeded")
    assert state == "Succeeded" and sorted(r[:2] for r in recorded) == [("a", "T0"), ("a", "T1"), ("b", "T0")]
    assert advancer.state()["slices"] >= 1


def _wait_for_job(app, job_id, wanted, read=None):
    """The job's stored state once it is `wanted` (read without advancing anything), else its last state after
    GUARD seconds."""
    deadline = time.monotonic() + GUARD
    while True:
        if read is None:
            with app.store.lock:
                state = (app.store.get_row(job_id.lower()) or {}).get("body", {}).get("properties", {}).get("state")
        else:
            state = read()
        if state == wanted or time.monotonic() > deadline:
            return state
        time.sleep(0.05)


def test_config_background_is_checked():
    cfg = configmod.load()
    assert cfg["background"] == {"enabled": True, "slice_seconds": 0.25, "max_sleep_seconds": 1.0}
    for bad in ({"enabled": "yes"}, {"slice_seconds": 0}, {"max_sleep_seconds": -1}):
        with pytest.raises(ValueError, match="background"):
            configmod.validate(configmod.merge(cfg, {"background": bad}))


# ---------------------------------------------------------------------------------------------
# through the SDK against the lab (its simulator runs the background advancer)

VMS = ("bg-web-01", "bg-web-02", "bg-app-01", "bg-app-02")
PLAN = "bg-plan"


@pytest.fixture(scope="module")
def protected(asr_lab, asr_manual_clock):
    """Four VMs protected with an InMageRcm policy (AsrLab.protect)."""
    lab = asr_lab
    lab.protect("bg", VMS)
    item_ids = {vm: "%s/replicationProtectedItems/%s" % (lab.container_id, vm) for vm in VMS}
    assert {lab.arm("GET", i).json()["properties"]["protectionState"] for i in item_ids.values()} == {"Protected"}
    return lab, item_ids


def _stored(lab, rid):
    """A resource as the store holds it, read through the admin API (which brings no ASR job up to date)."""
    found = lab.sim.admin.resources(prefix=rid.lower())
    return next((r["body"] for r in found if r["id"].lower() == rid.lower()), None)


def test_a_plan_failover_is_done_before_the_next_request(protected):
    lab, item_ids = protected
    plan_id = "%s/replicationRecoveryPlans/%s" % (lab.vault_id, PLAN)
    body = {"properties": {"primaryFabricId": lab.fabric_id, "recoveryFabricId": "Microsoft Azure",
                           "failoverDeploymentModel": "ResourceManager", "groups": [
                               {"groupType": "Boot", "replicationProtectedItems": [{"id": item_ids[v]} for v in VMS[:2]]},
                               {"groupType": "Boot", "replicationProtectedItems": [{"id": item_ids[v]} for v in VMS[2:]]}]}}
    saved = lab.asr.replication_recovery_plans.begin_create(lab.rg, lab.vault, PLAN, body)
    lab.advance(60)
    saved.result()
    answer = lab.arm("POST", plan_id + "/unplannedFailover", {"properties": {
        "failoverDirection": "PrimaryToRecovery", "sourceSiteOperations": "Required",
        "providerSpecificDetails": [{"instanceType": "InMageRcm", "recoveryPointType": "Latest"}]}})
    assert answer.status_code == 202
    job_id = answer.headers["x-ms-request-id"]
    assert _stored(lab, job_id)["properties"]["state"] == "InProgress"
    lab.sim.admin.clear_requests()
    lab.advance(3 * 3600)              # far past the job's end: only the background advancer can do its work now
    state = _wait_for_job(None, job_id, "Succeeded", read=lambda: _stored(lab, job_id)["properties"]["state"])
    assert state == "Succeeded"
    # no request reached the simulator meanwhile (the admin API is not logged): the side effects are there already
    assert lab.sim.admin.requests() == []
    job = _stored(lab, job_id)
    groups = [t for t in job["_lab"]["tasks"] if t["name"].startswith("Group")]
    for group in groups:               # each VM child completed at its own end (the groups' items in parallel)
        assert {c["state"] for c in group["group_details"]["childTasks"]} == {"Succeeded"}
    vms = {r["body"]["name"]: r["body"] for r in lab.sim.admin.resources(
        type="Microsoft.Compute/virtualMachines", prefix=lab.target_rg_id.lower())}
    assert {vm + "-dr" for vm in VMS} <= set(vms)
    assert {str(lab.vm(vm).runtime.powerState) for vm in VMS} == {"poweredOff"}
    # the next ASR request finds the work done: the job (as ASR renders it) and the items failed over
    rendered = lab.arm("GET", job_id).json()["properties"]
    assert rendered["state"] == "Succeeded" and rendered["scenarioName"] == "UnplannedFailover"
    for item_id in item_ids.values():
        props = lab.arm("GET", item_id).json()["properties"]
        assert (props["protectionState"], props["activeLocation"]) == \
            ("UnplannedFailoverCommitPendingStatesBegin", "Recovery")


def test_a_due_discovery_is_read_once_ahead_and_never_read_or_waited_for_under_the_lock(monkeypatch):
    """At fast time scales a due periodic discovery is read outside the store lock, once: by the advancer's I/O
    (fabric.read_ahead) or, when a request finds it due first, on a thread that request starts. A request never
    reads vCenter nor waits for a read under way (at 500 VMs every request waited for it): the discovery applies in
    the first advance after the read is done, with that read, once. On the tests' manual clock (scale below
    AHEAD_MIN_SCALE) nothing is read ahead: the request reads itself, exactly when the discovery is due."""
    import threading
    import types
    from drlab.azure.providers.siterecovery import fabric, vcenter
    reads, release, synced = [], threading.Event(), []

    def read_vcenter():
        reads.append(1)
        release.wait(GUARD)
        return {"vms": [], "read": len(reads)}
    monkeypatch.setattr(fabric, "read_vcenter", read_vcenter)
    monkeypatch.setattr(vcenter, "configured", lambda: True)
    monkeypatch.setattr(fabric, "_due_sites", lambda ctx: [("site-a", "vault-a"), ("site-b", "vault-b")])
    monkeypatch.setattr(fabric, "_auto_register", lambda ctx: None)
    monkeypatch.setattr(fabric, "sync", lambda ctx, vault, ahead=None: synced.append((vault, ahead)))
    monkeypatch.setattr(common, "meta_get", lambda ctx, key, default=None: default)
    fabric.forget_ahead()
    clock = types.SimpleNamespace(time_scale=1.0)
    ctx = types.SimpleNamespace(engine=types.SimpleNamespace(app=types.SimpleNamespace(clock=clock)))
    fabric.read_ahead(ctx)
    assert reads == [] and fabric._take_ahead() is None          # manual clock: nothing read ahead
    release.set()
    fabric.advance(ctx)                                           # ... the request reads itself, for each site
    assert synced == [("vault-a", None), ("vault-b", None)]
    release.clear()
    synced.clear()

    clock.time_scale = 60.0
    fabric.advance(ctx)                                # due, nothing read ahead: a thread reads, the request goes on
    deadline = time.monotonic() + GUARD
    while not reads and time.monotonic() < deadline:   # the read is under way (lab state: it has started)
        time.sleep(0.01)
    assert synced == []
    fabric.read_ahead(ctx)                             # an advancer pass meanwhile reads nothing more ...
    fabric.advance(ctx)                                # ... and a request does not wait for the read under way
    assert synced == [] and reads == [1]
    release.set()
    while fabric._AHEAD["read"] is not None and not fabric._AHEAD["read"]["event"].is_set() and \
            time.monotonic() < deadline:
        time.sleep(0.01)
    fabric.advance(ctx)                                # the read is done: both sites discover from it, once
    assert [vault for vault, _ahead in synced] == ["vault-a", "vault-b"]
    assert all(ahead["inventory"] == {"vms": [], "read": 1} for _vault, ahead in synced) and reads == [1]
    assert fabric._take_ahead() is None                # taken once

    # a read that started before the discovered state changed here (the lab's own power change, a sync) is never
    # applied: it would undo that change; it is dropped and a new read goes out
    synced.clear()
    fabric.advance(ctx)                                # due again: a new read starts (released: it ends at once)
    while (fabric._AHEAD["read"] is None or not fabric._AHEAD["read"]["event"].is_set()) and \
            time.monotonic() < deadline:
        time.sleep(0.01)
    fabric._discovered_changed()                       # e.g. fabric.power_seen powered one item's machine off
    fabric.advance(ctx)                                # the stale read is dropped, another one starts
    assert synced == []
    while (fabric._AHEAD["read"] is None or not fabric._AHEAD["read"]["event"].is_set()) and \
            time.monotonic() < deadline:
        time.sleep(0.01)
    fabric.advance(ctx)
    assert [vault for vault, _ahead in synced] == ["vault-a", "vault-b"] and len(reads) == 3


def test_the_lab_s_own_power_change_tells_the_listeners_about_that_item_alone(app, bare_vault):
    """fabric.power_seen (the lab powered one item's source VM off or on) updates that item's discovered machine and
    tells the discovery listeners it changed that item only (a plan failback of 300 VMs made each of its 300 power
    tasks look at every item of the vault); a power state the machine already shows changes and tells nothing."""
    from drlab.azure.providers.siterecovery import fabric
    heard = []
    installed = list(fabric._DISCOVERY_LISTENERS)
    fabric.install_discovery_listeners([lambda ctx, vault, when, item_ids: heard.append((vault, item_ids))])
    try:
        with app.store.transaction():
            ctx, vault = bare_vault(app)
            site = "/subscriptions/%s/resourceGroups/rg/providers/Microsoft.OffAzure/VMwareSites/s" % (
                app.settings.subscription_id)
            ctx.put(site, {"location": "westeurope", "properties": {}})
            items = {}
            for name in ("a", "b"):
                machine_id = "%s/machines/m-%s" % (site, name)
                ctx.put(machine_id, {"properties": {"powerStatus": "ON", "vMwareToolsStatus": "Running"}})
                items[name] = {"id": "%s/replicationFabrics/f/replicationProtectionContainers/c/"
                                     "replicationProtectedItems/%s" % (vault, name),
                               "properties": {"providerSpecificDetails": {"fabricDiscoveryMachineId": machine_id}}}
            assert fabric.power_seen(ctx, items["a"], "OFF")
            assert heard == [(vault, [items["a"]["id"]])]
            assert ctx.get(site + "/machines/m-a")["properties"]["powerStatus"] == "OFF"
            assert ctx.get(site + "/machines/m-b")["properties"]["powerStatus"] == "ON"
            assert fabric.power_seen(ctx, items["a"], "OFF")
            assert heard == [(vault, [items["a"]["id"]])]            # already off: nothing changed, nobody told
    finally:
        fabric.install_discovery_listeners(installed)


def test_a_running_plan_job_is_read_once_per_request_for_all_its_items(app, bare_vault, monkeypatch):
    """A page of items or a plan render asks active_job for each member: the running jobs' index and the plan job are
    read once per request (common.memo_read), and any write - this request's or another's - is seen at once."""
    ctx, vault = bare_vault(app)
    members = ["%s/i%d" % (vault, n) for n in range(50)]
    job = jobs.start_job(ctx, vault, scenario="TestFailover", friendly_name="Test failover", target_id=vault + "/p",
                         target_name="p", target_type="RecoveryPlan", affected_ids=members,
                         tasks=[jobs.Task("T0", "task", 600)])
    reads = []
    real_get = type(ctx).get

    def counting_get(self, rid):
        if isinstance(rid, str) and rid.lower() == job["id"].lower():
            reads.append(rid)
        return real_get(self, rid)
    monkeypatch.setattr(type(ctx), "get", counting_get)
    request = app.engine.admin_context()
    assert all(jobs.active_job(request, m)["id"] == job["id"] for m in members)
    assert len(reads) == 1
    assert jobs.active_job(request, vault + "/p", own=True)["id"] == job["id"]          # its own target
    assert jobs.active_job(request, members[0], own=True) is None                        # only locked by it
    jobs.cancel(ctx, ctx.get(job["id"]))                 # another context writes: this one sees it on its next read
    assert jobs.active_job(request, members[0]) is None
    assert common.memo_read(request, "k", lambda: [1]) is common.memo_read(request, "k", lambda: [2])
    common.meta_set(request, "asr.test.key", 1)
    assert common.memo_read(request, "k", lambda: [2]) == [2]
