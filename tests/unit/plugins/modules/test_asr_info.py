# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""appliance_info, discovered_vm_info and job_info end to end in-process, the real SDK clients talking to an
in-memory vault at the network edge (tests/unit/asr_fake.py): what they read (vault-wide lists only), what they return,
waiting for an appliance, the $filter sent for jobs."""

from __future__ import annotations

import pytest

from ansible_collections.dr.asr.plugins.module_utils._errors import InputError
from ansible_collections.dr.asr.plugins.module_utils._waiter import Waiter
from ansible_collections.dr.asr.plugins.modules import appliance_info, discovered_vm_info, job_info
from ansible_collections.dr.asr.tests.unit.asr_fake import RG, VAULT, FakeAsr
from ansible_collections.dr.asr.tests.unit.plugins.module_utils._asr.test_offazure import BIOS, SWAPPED, machine
from ansible_collections.dr.asr.tests.unit.plugins.modules.utils import (
    fail_module, patch_exit_json, run_module, set_module_args)

BASE = dict(vault_name=VAULT, vault_resource_group=RG)


@pytest.fixture
def fake(monkeypatch):
    patch_exit_json(monkeypatch)
    monkeypatch.delenv("VMWARE_HOST", raising=False)
    return FakeAsr().patch(monkeypatch)


def run(module, args, check_mode=False):
    with set_module_args(dict(BASE, **args), check_mode=check_mode):
        return run_module(module.main)


def fail(module, args):
    with set_module_args(dict(BASE, **args)):
        return fail_module(module.main)


# -- appliance_info -----------------------------------------------------------------------------------

def test_appliance_info_reads_vault_wide_lists(fake):
    result = run(appliance_info, {})
    assert [a["name"] for a in result["appliances"]] == ["appliance-01"]
    assert [f["name"] for f in result["fabrics"]] == ["fab1"]
    paths = sorted(p.rsplit("/", 1)[-1] for p, _q in fake.reads())
    assert paths == ["replicationAppliances", "replicationFabrics", "replicationProtectionContainers",
                     "replicationvCenters", "runasaccounts"]


def test_appliance_info_waits_for_a_registration(fake, monkeypatch):
    fake.appliance = False
    looks = []

    def pause(seconds):
        looks.append(seconds)
        if len(looks) == 2:
            fake.appliance = True
    monkeypatch.setattr(appliance_info, "Waiter", lambda timeout, sleep: Waiter(timeout, sleep, sleeper=pause))
    result = run(appliance_info, dict(wait_for_appliance=dict(timeout=60, sleep=5)))
    assert looks == [1.25, 2.5] and [a["name"] for a in result["appliances"]] == ["appliance-01"]


def test_appliance_info_times_out_with_what_it_saw(fake):
    fake.appliance = False
    failure = fail(appliance_info, dict(name="appliance-01", wait_for_appliance=dict(timeout=0, sleep=1)))
    assert failure["error"]["kind"] == "timeout" and "appliance-01" in failure["msg"]
    assert "wait_for_appliance.timeout" in failure["msg"]
    assert failure["partial"] == {"fabrics": [], "containers": [], "appliances": []}


def test_appliance_info_without_appliance_is_empty(fake):
    fake.appliance = False
    result = run(appliance_info, dict(name="x"))
    assert result["appliances"] == [] and result["fabrics"] == []


# -- discovered_vm_info ---------------------------------------------------------------------------------

def test_discovered_vms_with_agents_and_protection(fake):
    fake.machines = [machine("web-01", "i-1", BIOS), machine("web-02", "i-2", "4210a1b2-0000-4000-8000-00000000e002"),
                     machine("db-01", "i-3", "4210a1b2-0000-4000-8000-00000000e003")]
    fake.agents = [{"agentId": "a1", "machineId": "m1", "biosId": SWAPPED, "fqdn": "web-01.lab"}]
    fake.items["item-2"] = {"id": "/Subscriptions/x/replicationProtectedItems/item-2", "name": "item-2", "properties": {
        "providerSpecificDetails": {"instanceType": "InMageRcm", "fabricDiscoveryMachineId": fake.machines[1]["id"],
                                    "mobilityAgentDetails": {"version": "9.66.7643.1"}}}}
    result = run(discovered_vm_info, {})
    vms = dict((v["name"], v) for v in result["vms"])
    assert [v["name"] for v in result["vms"]] == ["db-01", "web-01", "web-02"]
    assert vms["web-01"]["agent_registered"] and not vms["web-01"]["protected"]
    assert vms["web-02"]["protected"] and vms["web-02"]["agent_version"] == "9.66.7643.1"
    assert vms["web-02"]["protected_item"] == "item-2"
    assert not vms["db-01"]["agent_installed"] and not vms["db-01"]["joined"]
    assert [v["name"] for v in run(discovered_vm_info, dict(only_unprotected=True, names=["web-*"]))["vms"]] == ["web-01"]
    # fabrics, protected items, one machine list
    assert sorted(p.rsplit("/", 1)[-1] for p, _q in fake.reads()[:3]) == \
        ["machines", "replicationFabrics", "replicationProtectedItems"]


def test_discovered_vms_without_an_appliance(fake):
    fake.appliance = False
    assert run(discovered_vm_info, {})["vms"] == []


def test_join_needs_a_vcenter():
    params = dict(join_vcenter=None, hostname=None)
    assert not discovered_vm_info.wants_join(params)
    assert discovered_vm_info.wants_join(dict(params, hostname="vc.example.com"))
    assert not discovered_vm_info.wants_join(dict(params, hostname="vc.example.com", join_vcenter=False))
    with pytest.raises(InputError) as info:
        discovered_vm_info.wants_join(dict(params, join_vcenter=True))
    assert info.value.parameter == "hostname"


# -- job_info ------------------------------------------------------------------------------------------

def test_jobs_by_target_state_and_time(fake):
    first = fake.job("AddProtectionProfile", "pol")
    fake.job("TestFailover", "web-01", state="Failed")
    second = fake.job("ModifyProtectionProfile", "pol")
    result = run(job_info, dict(target="pol", states=["Succeeded"], since="2026-01-01T00:00:00Z"))
    assert [j["name"] for j in result["jobs"]] == [second, first]
    [(_path, query)] = fake.reads("/replicationJobs")
    assert query["$filter"] == "StartTime eq '2026-01-01T00:00:00.0000000Z' and JobStatus eq 'Succeeded'"
    failed = run(job_info, dict(states=["Failed", "Cancelled"]))
    assert [j["target_object_name"] for j in failed["jobs"]] == ["web-01"]
    assert run(job_info, dict(scenarios=["*protectionprofile"], until="2026-01-01T00:01:30Z"))["jobs"][0]["name"] == first


def test_one_job_by_name_or_id(fake):
    name = fake.job("AddProtectionProfile", "pol")
    by_name = run(job_info, dict(name=name))
    assert [j["name"] for j in by_name["jobs"]] == [name]
    assert run(job_info, dict(name=by_name["jobs"][0]["id"]))["jobs"] == by_name["jobs"]
    assert run(job_info, dict(name=name, states=["Failed"]))["jobs"] == []
    assert run(job_info, dict(name="00000000-0000-0000-0000-000000000000"))["jobs"] == []


def test_job_info_errors(fake):
    failure = fail(job_info, dict(since="whenever"))
    assert failure["error"]["details"]["parameter"] == "since"
    fake.vault_exists = False
    failure = fail(job_info, {})
    assert failure["error"]["details"]["parameter"] == "vault_name"


# -- query (every info module) ----------------------------------------------------------------------------

def test_query_picks_from_the_result_like_azure_cli(fake):
    result = run(appliance_info, dict(query="appliances[].name"))
    assert result["query_result"] == ["appliance-01"]
    assert [a["name"] for a in result["appliances"]] == ["appliance-01"]      # the result itself as usual
    assert run(appliance_info, dict(query="length(fabrics)"))["query_result"] == 1


def test_a_query_that_does_not_parse_names_the_option(fake):
    failure = fail(appliance_info, dict(query="appliances[?name == "))
    assert failure["error"]["details"]["parameter"] == "query"
    assert "appliances[?name == " in failure["msg"] and "JMESPath" in failure["msg"]
    assert fake.reads() == []          # refused before anything is read
