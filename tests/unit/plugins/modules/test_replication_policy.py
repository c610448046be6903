# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""replication_policy and replication_policy_info end to end in-process: the real SDK clients talk to an
in-memory vault at the network edge (tests/unit/asr_fake.py). Check mode predicts, reruns write nothing, updates are
PATCHes of the whole provider settings, deletion removes the associations first, a rerun waits for a job
still running, errors come before any write."""

from __future__ import annotations

import pytest

from ansible_collections.dr.asr.plugins.modules import replication_policy, replication_policy_info
from ansible_collections.dr.asr.tests.unit.asr_fake import AZURE, CONTAINER, RG, VAULT, FakeAsr
from ansible_collections.dr.asr.tests.unit.plugins.modules.utils import (
    fail_module, patch_exit_json, run_module, set_module_args)

BASE = dict(vault_name=VAULT, vault_resource_group=RG, wait_sleep=0)


@pytest.fixture
def arm(monkeypatch):
    patch_exit_json(monkeypatch)
    fake = FakeAsr().patch(monkeypatch)

    def use(**kwargs):
        for key, value in kwargs.items():
            setattr(fake, key, value)
        return fake
    return use


def run(args, check_mode=False, module=replication_policy):
    base = BASE if module is replication_policy else dict(vault_name=VAULT, vault_resource_group=RG)
    with set_module_args(dict(base, **args), check_mode=check_mode):
        return run_module(module.main)


def fail(args, check_mode=False):
    with set_module_args(dict(BASE, **args), check_mode=check_mode):
        return fail_module(replication_policy.main)


def test_check_mode_predicts_the_creation_and_writes_nothing(arm):
    fake = arm()
    check = run(dict(name="pol", retention_hours=24, app_consistent_frequency_minutes=120, associate=True), check_mode=True)
    assert check["changed"] and fake.writes() == []
    assert check["diff"]["before"] == {}
    done = run(dict(name="pol", retention_hours=24, app_consistent_frequency_minutes=120, associate=True))
    assert done["changed"]
    predicted, actual = check["policy"], done["policy"]
    assert actual["id"].endswith("/replicationPolicies/pol") and predicted["id"] is None
    assert dict(actual, id=None, associations=None) == dict(predicted, associations=None)
    assert [(a["name"], a["container"], a["state"]) for a in actual["associations"]] == \
        [(a["name"], a["container"], a["state"]) for a in predicted["associations"]] == [("pol-association", "cont1", "Paired")]
    assert len(done["jobs"]) == 2


def test_create_sends_the_inmagercm_input_then_the_mapping(arm):
    fake = arm()
    run(dict(name="pol", retention_minutes=720, multi_vm_sync=False, associate=True))
    (m1, p1, b1), (m2, p2, b2) = fake.writes()
    assert (m1, p1.rsplit("/", 2)[-2:]) == ("PUT", ["replicationPolicies", "pol"])
    assert b1 == {"properties": {"providerSpecificInput": {
        "instanceType": "InMageRcm", "recoveryPointHistoryInMinutes": 720, "crashConsistentFrequencyInMinutes": 5,
        "appConsistentFrequencyInMinutes": 240, "enableMultiVmSync": "false"}}}
    assert m2 == "PUT" and p2.lower() == (CONTAINER + "/replicationProtectionContainerMappings/pol-association").lower()
    assert b2["properties"]["targetProtectionContainerId"] == AZURE
    assert b2["properties"]["policyId"].endswith("/replicationPolicies/pol")


def test_rerun_reads_only(arm):
    fake = arm()
    first = run(dict(name="pol", retention_hours=24, associate=True))
    del fake.calls[:]
    writes = len(fake.writes())
    again = run(dict(name="pol", retention_hours=24, associate=True))
    assert not again["changed"] and again["jobs"] == [] and len(fake.writes()) == writes
    assert again["policy"] == first["policy"]
    assert fake.reads("/replicationJobs") == []   # no job lookups on a rerun that changes nothing


def test_update_patches_the_whole_provider_settings_once(arm):
    fake = arm()
    fake.add_policy("pol", {"instanceType": "InMageRcm", "recoveryPointHistoryInMinutes": 1440,
                            "crashConsistentFrequencyInMinutes": 10, "appConsistentFrequencyInMinutes": 60,
                            "enableMultiVmSync": "false"})
    check = run(dict(name="pol", retention_hours=48), check_mode=True)
    assert check["diff"]["before"]["retention_minutes"] == 1440 and check["diff"]["after"]["retention_minutes"] == 2880
    assert fake.writes() == []
    result = run(dict(name="pol", retention_hours=48))
    assert result["changed"] and result["policy"] == check["policy"]
    [(method, _path, body)] = fake.writes()
    assert method == "PATCH"
    assert body == {"properties": {"replicationProviderSettings": {
        "instanceType": "InMageRcm", "recoveryPointHistoryInMinutes": 2880, "crashConsistentFrequencyInMinutes": 10,
        "appConsistentFrequencyInMinutes": 60, "enableMultiVmSync": "false"}}}


def test_failback_policy(arm):
    fake = arm()
    result = run(dict(name="pol-fb", failback=True, crash_consistent_frequency_minutes=10, associate=True))
    assert result["policy"]["instance_type"] == "InMageRcmFailback" and result["policy"]["retention_minutes"] is None
    assert fake.writes()[0][2] == {"properties": {"providerSpecificInput": {
        "instanceType": "InMageRcmFailback", "crashConsistentFrequencyInMinutes": 10,
        "appConsistentFrequencyInMinutes": 240}}}
    # a failback policy's association targets the appliance's container itself [recorded: the failback mappings
    # of a real vault], not "Microsoft Azure" as a forward policy's does
    mapping = fake.writes()[1][2]["properties"]
    assert mapping["targetProtectionContainerId"].lower() == CONTAINER.lower() != AZURE.lower()
    assert mapping["providerSpecificInput"] == {"instanceType": "ReplicationProviderSpecificContainerMappingInput"}
    assert [(a["name"], a["state"]) for a in result["policy"]["associations"]] == [("pol-fb-association", "Paired")]
    assert not run(dict(name="pol-fb", failback=True, crash_consistent_frequency_minutes=10, associate=True))["changed"]


def test_a_failback_twin_in_the_same_run_both_created_then_both_associated(arm):
    fake = arm()
    args = dict(name="pol", failback_policy="pol-fb", retention_hours=24, app_consistent_frequency_minutes=120,
                associate=True)
    check = run(args, check_mode=True)
    assert check["changed"] and fake.writes() == []
    assert [d["before"] for d in check["diff"]] == [{}, {}]
    done = run(args)
    # both policy creations first, then both associations: the twin's jobs run beside the policy's
    assert [(m, p.rsplit("/", 1)[-1]) for m, p, _b in fake.writes()] == [
        ("PUT", "pol"), ("PUT", "pol-fb"), ("PUT", "pol-association"), ("PUT", "pol-fb-association")]
    twin_body = fake.writes()[1][2]["properties"]["providerSpecificInput"]
    assert twin_body == {"instanceType": "InMageRcmFailback", "crashConsistentFrequencyInMinutes": 5,
                         "appConsistentFrequencyInMinutes": 120}
    assert fake.writes()[3][2]["properties"]["targetProtectionContainerId"].lower() == CONTAINER.lower()
    assert done["changed"] and len(done["jobs"]) == 4
    assert done["policy"]["instance_type"] == "InMageRcm" and done["failback_policy"]["instance_type"] == "InMageRcmFailback"
    assert [a["name"] for a in done["failback_policy"]["associations"]] == ["pol-fb-association"]
    assert dict(done["failback_policy"], id=None, associations=None) == dict(check["failback_policy"], associations=None)
    assert [d["after_header"] for d in done["diff"]] == ["replication policy pol", "replication policy pol-fb"]
    again = run(args)
    assert not again["changed"] and again["failback_policy"] == done["failback_policy"] and len(fake.writes()) == 4
    # the same twin managed on its own is the same policy: nothing to do
    assert not run(dict(name="pol-fb", failback=True, app_consistent_frequency_minutes=120, associate=True))["changed"]
    gone = run(dict(name="pol", failback_policy="pol-fb", state="absent"))
    assert gone["changed"] and gone["policy"] == {} and gone["failback_policy"] == {}
    assert [(m, p.rsplit("/", 1)[-1]) for m, p, _b in fake.writes()[4:]] == [
        ("POST", "remove"), ("DELETE", "pol"), ("POST", "remove"), ("DELETE", "pol-fb")]


def test_only_the_twin_missing_is_created(arm):
    fake = arm()
    run(dict(name="pol", associate=True))
    writes = len(fake.writes())
    result = run(dict(name="pol", failback_policy="pol-fb", associate=True))
    assert result["changed"] and [d["before"] == {} for d in result["diff"]] == [False, True]
    assert [(m, p.rsplit("/", 1)[-1]) for m, p, _b in fake.writes()[writes:]] == [("PUT", "pol-fb"), ("PUT", "pol-fb-association")]


def test_associate_false_removes_the_mapping_and_an_existing_one_is_recognised_by_policy(arm):
    fake = arm()
    fake.add_policy("pol", {"instanceType": "InMageRcm", "recoveryPointHistoryInMinutes": 1440,
                            "crashConsistentFrequencyInMinutes": 5, "appConsistentFrequencyInMinutes": 240,
                            "enableMultiVmSync": "true"})
    fake.add_mapping("made-in-the-portal", "pol")
    assert not run(dict(name="pol", associate=True))["changed"]
    result = run(dict(name="pol", associate=False))
    assert result["changed"] and result["policy"]["associations"] == []
    [(method, path, body)] = fake.writes()
    assert method == "POST" and path.endswith("/made-in-the-portal/remove")
    assert body == {"properties": {"providerSpecificInput": {}}}


def test_absent_removes_associations_then_deletes(arm):
    fake = arm()
    run(dict(name="pol", associate=True))
    del fake.calls[:]
    check = run(dict(name="pol", state="absent"), check_mode=True)
    assert check["changed"] and fake.writes() == []
    result = run(dict(name="pol", state="absent"))
    assert result["changed"] and result["policy"] == {} and len(result["jobs"]) == 2
    assert [(m, p.rsplit("/", 1)[-1]) for m, p, _b in fake.writes()] == [("POST", "remove"), ("DELETE", "pol")]
    assert not run(dict(name="pol", state="absent"))["changed"]


def test_rerun_waits_for_the_running_job_then_compares_again(arm):
    fake = arm()

    def created():
        fake.add_policy("pol", {"instanceType": "InMageRcm", "recoveryPointHistoryInMinutes": 1440,
                                "crashConsistentFrequencyInMinutes": 5, "appConsistentFrequencyInMinutes": 240,
                                "enableMultiVmSync": "true"})
    job = fake.job("AddProtectionProfile", "pol", looks=2, then=created)
    result = run(dict(name="pol"))
    assert result["jobs"] == [job] and not result["changed"] and fake.writes() == []
    assert result["policy"]["id"].endswith("/replicationPolicies/pol")
    [(_path, query)] = fake.reads("/replicationJobs")[:1]
    assert query["$filter"] == "JobStatus eq 'InProgress'"


def test_with_wait_false_a_running_job_is_left_alone(arm):
    fake = arm()
    fake.job("AddProtectionProfile", "pol", looks=5)
    result = run(dict(name="pol", wait=False))
    assert not result["changed"] and fake.writes() == []


def test_a_failed_job_is_an_error_with_asr_details(arm):
    arm(job_state="Failed")
    failure = fail(dict(name="pol"))
    assert failure["error"]["code"] == "150261" and "Replication policy creation failed." in failure["msg"]


@pytest.mark.parametrize("args,parameter,text", [
    (dict(name="pol", experience="classic"), "experience", "not implemented"),
    (dict(name="pol", retention_hours=400), "retention_hours", "from 0 to 360"),
    (dict(name="pol", failback=True, multi_vm_sync=True), "multi_vm_sync", "failback"),
    (dict(name="pol", retention_minutes=30, app_consistent_frequency_minutes=60), "app_consistent_frequency_minutes",
     "(30 minutes)"),
    (dict(name="pol", associate=True, protection_container="nope"), "protection_container", "found: cont1"),
    (dict(name="pol", failback=True, failback_policy="pol-fb"), "failback_policy", "failback=true"),
    (dict(name="pol", failback_policy="POL"), "failback_policy", "another name"),
    (dict(name="pol", failback_policy="pol fb"), "failback_policy", "pol fb"),
    (dict(name="pol", failback_policy="p" * 250, associate=True), "failback_policy", "-association"),
])
def test_bad_input_fails_before_any_write(arm, args, parameter, text):
    fake = arm()
    failure = fail(args)
    assert failure["error"]["details"]["parameter"] == parameter and text in failure["msg"]
    assert fake.writes() == []


def test_direction_and_experience_of_an_existing_policy_cannot_change(arm):
    fake = arm()
    fake.add_policy("pol", {"instanceType": "InMageRcm"})
    fake.add_policy("old", {"instanceType": "InMageAzureV2"})
    failure = fail(dict(name="pol", failback=True))
    assert failure["error"]["details"]["parameter"] == "failback" and "InMageRcm" in failure["msg"]
    failure = fail(dict(name="old"))
    assert failure["error"]["details"]["parameter"] == "experience" and "classic" in failure["msg"]
    assert fake.writes() == []


def test_no_appliance_yet(arm):
    arm(appliance=False)
    failure = fail(dict(name="pol", associate=True))
    assert failure["error"]["details"]["parameter"] == "protection_container"
    assert "no appliance protection container" in failure["msg"] and "wait_for_appliance" in failure["msg"]


def test_unknown_vault_names_vault_name_and_the_vaults_there(arm):
    arm(vault_exists=False)
    failure = fail(dict(name="pol"))
    assert failure["error"]["details"]["parameter"] == "vault_name" and VAULT in failure["msg"]
    assert "found: none" in failure["msg"]


def test_info_lists_filters_and_reads_two_lists(arm):
    fake = arm()
    fake.add_policy("b-fwd", {"instanceType": "InMageRcm", "recoveryPointHistoryInMinutes": 60,
                              "crashConsistentFrequencyInMinutes": 5, "appConsistentFrequencyInMinutes": 0,
                              "enableMultiVmSync": "false"})
    fake.add_policy("a-fb", {"instanceType": "InMageRcmFailback", "crashConsistentFrequencyInMinutes": 5,
                             "appConsistentFrequencyInMinutes": 60})
    fake.add_policy("classic", {"instanceType": "InMageAzureV2", "recoveryPointHistory": 1440})
    fake.add_mapping("m1", "a-fb")
    result = run({}, module=replication_policy_info)
    assert [p["name"] for p in result["policies"]] == ["a-fb", "b-fwd", "classic"]
    assert len(fake.calls) == 2
    classic = result["policies"][2]
    assert classic["experience"] == "classic" and classic["instance_type"] == "InMageAzureV2"
    assert classic["retention_minutes"] is None and classic["failback"] is False
    assert [p["name"] for p in run(dict(failback=True), module=replication_policy_info)["policies"]] == ["a-fb"]
    assert [p["name"] for p in run(dict(associated=False), module=replication_policy_info)["policies"]] == \
        ["b-fwd", "classic"]
    assert run(dict(name="B-FWD"), module=replication_policy_info)["policies"][0]["retention_hours"] == 1
    assert run(dict(name="none"), module=replication_policy_info)["policies"] == []
