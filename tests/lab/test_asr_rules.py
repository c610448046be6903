"""Rules of the lab's ASR simulator that hold across its modules, checked in-process (no simulator, no
vCenter): the one allowedOperations table and the item actions / recovery plans that are gated by it,
the one source of config defaults, the one catalog of error codes, the job engine's public API (plan
jobs lock their items), the appliance's disk sizes, and what `POST /_lab/reset` forgets.
"""
import os
import re
import types

import pytest
import yaml
from azure.mgmt.recoveryservicessiterecovery import models as M

from drlab.azure import config as configmod
from drlab.azure.providers.siterecovery import actions, common, errors, fabric, items, jobs, plans, vocabulary
from drlab.settings import REPO_ROOT

PACKAGE = os.path.join(REPO_ROOT, "lab", "drlab", "azure", "providers", "siterecovery")
CONTAINER = ("/subscriptions/s/resourceGroups/rg/providers/Microsoft.RecoveryServices/vaults/v/replicationFabrics/f/"
             "replicationProtectionContainers/c")


def _sources():
    for name in sorted(os.listdir(PACKAGE)):
        if name.endswith(".py"):
            with open(os.path.join(PACKAGE, name), encoding="utf-8") as f:
                yield name, f.read()


def _item(provider, location, state, tfo="None", **details):
    return {"id": CONTAINER + "/replicationProtectedItems/vm1", "name": "vm1",
            "properties": {"friendlyName": "vm1", "protectionState": state, "activeLocation": location,
                           "testFailoverState": tfo,
                           "providerSpecificDetails": dict(details, instanceType=provider)}}


def _states():
    """Every row of the table (vocabulary.STATES; a row of any provider for both), the Protected row with
    the test failover states, and states outside it."""
    out = []
    for row in vocabulary.STATES:
        for provider in [row.provider] if row.provider else [vocabulary.RCM, vocabulary.FAILBACK]:
            for location in [row.location] if row.location else [vocabulary.PRIMARY, vocabulary.RECOVERY]:
                out.append(_item(provider, location, row.state, row.tfo or "None"))
    out.append(_item("InMageRcm", "Primary", "Protected", "MarkedForDeletion"))     # after a cleanup
    out.append(_item("InMageRcm", "Primary", "Protected", resyncRequired="true"))
    out.append(_item("InMageRcm", "Recovery", "PlannedFailoverCommitRequired"))     # not an InMageRcm state
    out.append(_item("InMageRcmFailback", "Recovery", "Protected"))                 # not a row: DisableProtection
    return out


# -- 1. allowedOperations and the actions agree: one table ------------------------------------------------

def test_allowed_operations_and_the_item_actions_agree():
    """For every state: an action's gate lets it through exactly when its operation is in the item's
    allowedOperations; every operation the table lists has an action (DisableProtection: /remove;
    CompleteMigration: recorded in allowedOperations, but a protected item has no such action in the API)."""
    gated = [a for a in actions.ACTIONS.values() if a.operation]
    assert {a.operation for a in gated} >= {op for row in vocabulary.STATES for op in row.operations} - {
        "DisableProtection", "CompleteMigration"}
    for item in _states():
        allowed = items.allowed_operations(item)
        assert set(allowed) <= set(plans.ITEM_OPERATIONS)       # ReplicationProtectedItemOperation values
        for action in gated:
            try:
                action.gate(item)
                passed = True
            except errors.AsrError as err:
                passed = False
                assert (err.status, err.asr_code) == (400, errors.OPERATION_NOT_ALLOWED)
            assert passed == (action.operation in allowed), (action.segment, item["properties"], allowed)


def test_the_table_follows_the_recordings_and_the_spec_examples():
    protected = _item("InMageRcm", "Primary", "Protected")
    # [recorded] TestV2ARCMCommit#10; no PlannedFailover for InMageRcm (the SDK has no InMageRcm planned failover
    # input, only InMageRcmFailback's)
    assert items.allowed_operations(protected) == ["UnplannedFailover", "DisableProtection", "TestFailover"]
    assert "PlannedFailover" not in items.provider_operations("InMageRcm")
    assert not hasattr(M, "InMageRcmPlannedFailoverProviderInput") and hasattr(M, "InMageRcmFailbackPlannedFailoverProviderInput")
    # [S] _TestFailover: a drill waiting for its cleanup allows the cleanup only (no disable: the test VM)
    assert items.allowed_operations(_item("InMageRcm", "Primary", "Protected", "WaitingForCompletion")) == \
        ["TestFailoverCleanup"]
    # [recorded] TestV2ARCMFailover#11: after a cleanup MarkedForDeletion stays, and a drill is allowed again
    assert items.allowed_operations(_item("InMageRcm", "Primary", "Protected", "MarkedForDeletion")) == \
        ["UnplannedFailover", "DisableProtection", "TestFailover"]
    # [recorded] TestV2ARCMCommit#11; [D] a failover to Azure cannot be canceled
    failed_over = items.allowed_operations(_item("InMageRcm", "Recovery", "UnplannedFailoverCommitPendingStatesBegin"))
    assert failed_over == ["CompleteMigration", "Commit", "DisableProtection", "ChangePit", "SwitchProtection"]
    assert items.allowed_operations(_item("InMageRcm", "Recovery", "UnplannedFailoverCommitted")) == \
        ["CompleteMigration", "DisableProtection", "SwitchProtection"]
    assert "CancelFailover" not in items.provider_operations("InMageRcm")
    assert "ReverseReplicate" not in items.provider_operations("InMageRcm") | items.provider_operations(
        "InMageRcmFailback")
    # [recorded] a failback item replicates from Azure at Primary, and waits for its commit at Recovery
    assert items.allowed_operations(_item("InMageRcmFailback", "Primary", "Protected")) == \
        ["PlannedFailover", "DisableProtection"]
    assert items.allowed_operations(_item("InMageRcmFailback", "Recovery", "CommitPendingStatesBegin")) == \
        ["CompleteMigration", "Commit", "DisableProtection", "SwitchProtection", "CancelFailover"]
    # [recorded] a state of a running job allows nothing
    assert items.allowed_operations(_item("InMageRcmFailback", "Primary", "PlannedFailoverTransitionStatesBegin")) == []
    # not supported at all for the provider: told so (not "wait for another state")
    with pytest.raises(errors.AsrError) as err:
        actions.ACTIONS["plannedfailover"].gate(protected)
    assert "not supported" in err.value.message and "InMageRcm" in err.value.message
    with pytest.raises(errors.AsrError) as err:
        actions.ACTIONS["failovercancel"].gate(_item("InMageRcm", "Recovery", "UnplannedFailoverCommitPendingStatesBegin"))
    assert "not supported" in err.value.message


def test_plan_allowed_operations_are_what_the_plan_actions_accept():
    """A plan lists an operation exactly when its plan action would pass the gates (members' table rows,
    PLAN_UNSUPPORTED)."""
    for item in _states():
        member = plans.Member("vm1", item)
        listed = plans.allowed_operations([member])
        for spec in plans.PLAN_ACTIONS.values():
            accepted = spec.operation in member.allowed and not plans._unsupported(spec.operation, [member])  # pylint: disable=protected-access
            assert (spec.operation in listed) == accepted, (spec.operation, item["properties"])
            if accepted:
                plans.item_action(spec).gate(item)


# -- 3. one source of config defaults ------------------------------------------------------------------------

def test_every_asr_config_key_has_its_default_in_config_py_and_is_documented():
    asr = configmod.DEFAULTS["asr"]
    with open(os.path.join(REPO_ROOT, "lab", "config", "azure.yml"), encoding="utf-8") as f:
        documented = yaml.safe_load(f)["asr"]
    assert documented == asr                      # azure.yml shows every key with the built-in default
    read = set()
    for name, text in _sources():
        assert not re.search(r"^DURATIONS\s*=", text, re.M), name          # no second copy of the defaults
        for key in re.findall(r'common\.duration\((?:self\.)?ctx, "(\w+)"\)', text):
            read.add(("durations", key))
        for key in re.findall(r'self\.task\(\s*ctx,\s*\d+,\s*"[^"]*",\s*"(\w+)"', text):   # actions.py tasks
            read.add(("durations", key))
        for path in re.findall(r'common\.setting\(ctx, ((?:"\w+"(?:, )?)+)\)', text):
            read.add(tuple(re.findall(r'"(\w+)"', path)))
        for key in re.findall(r'common\.appliance_setting\(ctx, "(\w+)"\)', text):
            read.add(("appliance", key))
        assert not re.search(r"common\.duration\([^)]*,[^)]*,", text), name   # no inline default
    assert len(read) > 40
    for path in read:
        value = asr
        for key in path:
            assert key in value, "asr.%s has no default in drlab/azure/config.py" % ".".join(path)
            value = value[key]
    plan_keys = {"plan", "plan_prerequisites", "plan_shutdown", "plan_script", "plan_runbook", "plan_finalize"}
    assert plan_keys <= {k for p, k in (x for x in read if len(x) == 2 and x[0] == "durations")}


def test_setting_falls_back_to_the_default_and_refuses_unknown_keys():
    ctx = types.SimpleNamespace(config={"asr": {"durations": {"tfo_create_vm": 7}, "rpo": {}}})
    assert common.duration(ctx, "tfo_create_vm") == 7.0
    assert common.duration(ctx, "plan_script") == configmod.DEFAULTS["asr"]["durations"]["plan_script"]
    assert common.setting(ctx, "rpo", "warning_seconds") == 1800
    with pytest.raises(KeyError):
        common.duration(ctx, "no_such_duration")


# -- 8. one catalog of error codes ------------------------------------------------------------------------------

def test_error_codes_are_defined_once_in_errors_py():
    codes = {name: value for name, value in vars(errors).items() if name.isupper() and isinstance(value, str)
             and value.isdigit()}
    assert len(set(codes.values())) == len(codes)                   # no code twice
    lab = sorted(v for v in codes.values() if v.startswith("990"))
    assert all(len(v) == 6 for v in lab) and lab == sorted(set(lab))
    for name, text in _sources():
        if name == "errors.py":
            continue
        assert not re.findall(r'"(?:99\d{4}|\d{5})"', text), "%s writes a numeric ASR code inline" % name


# -- 7. the job engine's public API -----------------------------------------------------------------------------

def test_callbacks_are_read_through_the_public_accessor():
    fn = jobs.callback("plans.group")
    assert fn is plans._run_group                  # pylint: disable=protected-access
    assert jobs.callback(None) is None and jobs.callback("no.such.key") is None
    for name, text in _sources():
        if name != "jobs.py":
            assert "_CALLBACKS" not in text, name


# -- 2. disk sizes from vCenter --------------------------------------------------------------------------------

def test_disk_size_falls_back_to_capacity_in_kb():
    """vcsim leaves capacityInBytes 0 for a disk created with capacityInKB only: the size comes from KB."""
    VirtualDisk = type("VirtualDisk", (), {})        # pylint: disable=invalid-name
    backing = types.SimpleNamespace(uuid="6000C29a-0000-0000-0000-000000000001", thinProvisioned=True,
                                    diskMode="persistent", fileName="[ds-prod-01] vm/vm.vmdk")

    def disk(key, kb, size_bytes):
        dev = VirtualDisk()
        dev.__dict__.update(key=key, controllerKey=1000, unitNumber=key - 2000, capacityInKB=kb,
                            capacityInBytes=size_bytes, backing=backing, deviceInfo=None)
        return dev
    entries = fabric._disk_entries([disk(2000, 20 << 20, 0), disk(2001, 0, 5 << 30),    # pylint: disable=protected-access
                                    disk(2002, 3 << 20, None)], "owner")
    assert [e["maxSizeInBytes"] for e in entries] == [20 << 30, 5 << 30, 3 << 30]


# -- 9 and 6: in-process: reset, plan locks --------------------------------------------------------------------

@pytest.fixture
def app(tmp_path):
    from drlab.azure.server import App
    from drlab.settings import Settings
    out = App(Settings(state_dir=str(tmp_path)), configmod.load(), str(tmp_path), "https://127.0.0.1:1")
    yield out
    out.close()


def _admin(app, method, path, body=b""):
    from drlab.azure.wire import Request
    return app.admin.handle(Request(method, path, {"Content-Type": "application/json"}, body))


def test_reset_forgets_agent_registrations_and_the_job_index(app):
    vault = "/subscriptions/%s/resourceGroups/rg/providers/Microsoft.RecoveryServices/vaults/v" % (
        app.settings.subscription_id)
    with app.store.transaction():
        ctx = app.engine.admin_context()
        ctx.put("/subscriptions/%s/resourceGroups/rg" % app.settings.subscription_id, {"location": "westeurope"})
        ctx.put(vault, {"location": "westeurope", "properties": {}})
        fabric.put_agent(ctx, vault, {"biosId": "4210A1B2-0000-4000-8000-00000000E001", "agentVersion": "9.63.0.0"})
        jobs.start_job(ctx, vault, scenario="Drill", friendly_name="Drill", target_id=vault + "/x", target_name="x",
                       target_type="Other", tasks=[jobs.Task("a", duration=600)])
        assert fabric.agents(ctx, vault) and app.store.meta_get(jobs.ACTIVE_KEY)
    clock = app.store.meta_get("clock")
    listed = _admin(app, "GET", "/_lab/appliance/agents?vault_id=" + vault)
    assert listed.status == 200 and "4210a1b2" in str(listed.body).lower()
    assert _admin(app, "POST", "/_lab/reset", b"{}").status == 200
    with app.store.transaction():
        ctx = app.engine.admin_context()
        assert fabric.agents(ctx, vault) == {} and app.store.meta_get(jobs.ACTIVE_KEY) is None
        assert ctx.get(vault) is None
    assert app.store.meta_get("clock") == clock                     # the engine's own meta stays
    assert "4210a1b2" not in str(_admin(app, "GET", "/_lab/appliance/agents?vault_id=" + vault).body).lower()


def test_a_job_locks_its_affected_ids(app):
    """A recovery plan job (affected_ids: its items) is each item's running job: currentScenario, 409."""
    vault = "/subscriptions/%s/resourceGroups/rg/providers/Microsoft.RecoveryServices/vaults/v" % (
        app.settings.subscription_id)
    plan, item, other = vault + "/replicationRecoveryPlans/rp1", CONTAINER + "/replicationProtectedItems/a", \
        CONTAINER + "/replicationProtectedItems/b"
    with app.store.transaction():
        ctx = app.engine.admin_context()
        ctx.put("/subscriptions/%s/resourceGroups/rg" % app.settings.subscription_id, {"location": "westeurope"})
        ctx.put(vault, {"location": "westeurope", "properties": {}})
        job = jobs.start_job(ctx, vault, scenario="TestFailover", friendly_name="Test failover", target_id=plan,
                             target_name="rp1", target_type="RecoveryPlan", affected_ids=[item],
                             tasks=[jobs.Task("wait", manual=True)])
        assert jobs.active_job(ctx, item)["id"] == job["id"] and jobs.active_job(ctx, item, own=True) is None
        assert jobs.active_job(ctx, other) is None
        scenario = jobs.current_scenario(ctx, item, vault)
        assert (scenario["scenarioName"], scenario["jobId"]) == ("TestFailover", common.asr_id(job["id"]))
        with pytest.raises(errors.AsrError) as err:
            jobs.ensure_idle(ctx, item, "a")
        assert (err.value.status, err.value.asr_code) == (409, errors.ANOTHER_JOB_IN_PROGRESS)
        assert "recovery plan 'rp1'" in err.value.message
        jobs.cancel(ctx, ctx.get(job["id"]))
        assert jobs.active_job(ctx, item) is None
        assert jobs.current_scenario(ctx, item, vault)["scenarioName"] == "None"
