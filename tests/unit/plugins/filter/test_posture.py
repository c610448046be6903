"""The dr.asr.posture role's filters (plugins/filter/posture.py): the info modules' results in, the report's facts out."""
import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.dr.asr.plugins.filter.posture import posture_facts, posture_summary
from ansible_collections.dr.asr.plugins.module_utils import _posture_report as pr

MACHINE = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.OffAzure/VMwareSites/site/machines/vc_%s"


def item(vm, **kw):
    out = {"name": "i-" + vm, "vm_name": vm, "state": "Protected", "phase": "protected", "health": "Normal",
           "errors": [], "rpo_seconds": 45, "rpo_calculated_time": "2026-12-07T09:59:00Z", "progress": None,
           "policy": "pol-24h", "agent": {"version": "9.62.0.0", "latest_version": "9.62.0.0", "last_heartbeat": "x"},
           "last_successful_test_failover_time": None, "appliance": "appliance-01", "machine_id": MACHINE % vm}
    out.update(kw)
    return out


ITEMS = {"changed": False, "protected_items": [
    item("web-01"),
    item("db-01", health="Warning", errors=[{"code": "150", "level": "Warning", "category": "Replication",
                                             "message": "RPO high", "possible_causes": "off",
                                             "recommended_action": "Power it on", "created": "2026-12-07T09:00:00Z"}]),
    item("old-01")]}
PLANS = {"recovery_plans": [{"name": "rp-shop", "last_test_failover_time": "2026-12-01T08:00:00Z",
                             "allowed_operations": ["TestFailover"],
                             "groups": [{"group": 1, "vms": ["db-01"]}, {"group": 2, "vms": ["web-01"]}]}]}
POLICIES = {"policies": [{"name": "pol-24h", "crash_consistent_frequency_minutes": 5, "retention_hours": 24}]}
APPLIANCES = {"appliances": [{"name": "appliance-01", "health": "Normal", "version": "9.66.1.1",
                              "last_heartbeat": "2026-12-07T09:59:00Z",
                              "process_server": {"protected_item_count": 3, "memory_usage_status": "Warning",
                                                 "memory_usage_percentage": 91.0, "fqdn": "ignored",
                                                 "health_errors": [{"error_code": "E7", "error_level": "Warning",
                                                                    "error_message": "memory",
                                                                    "recommended_action": "Add memory"}]}}]}
# a loop of dr.asr.source_vm_info over a folder and a tag
IN_SCOPE = {"results": [
    {"item": "Production/Web", "vms": [{"name": "web-01", "folder": "Production/Web"},
                                       {"name": "web-02", "folder": "Production/Web"},
                                       {"name": "tpl-01", "folder": "Production/Web", "template": True}]},
    {"item": "tier-1", "vms": [{"name": "web-02", "folder": "Production/Web",
                                "tags": [{"category": "DR-Tier", "name": "tier-1"}]},
                               {"name": "app-09", "folder": "Production/App",
                                "tags": [{"category": "DR-Tier", "name": "tier-1"}]}]},
    {"skipped": True}]}
INVENTORY = {"vms": [{"name": "web-01"}, {"name": "web-02"}, {"name": "app-09"}, {"name": "old-01"}]}
DISCOVERED = {"vms": [{"machine_id": (MACHINE % "old-01").upper(), "name": "old-01", "deleted": True},
                      {"machine_id": MACHINE % "web-01", "name": "web-01", "deleted": False}]}


def facts(**kw):
    args = dict(plans=PLANS, policies=POLICIES, appliances=APPLIANCES, in_scope=IN_SCOPE, inventory=INVENTORY,
                discovered=DISCOVERED, as_of="2026-12-07T10:00:00Z", vault_name="rsv", vault_resource_group="rg",
                folders=["Production/Web"], tags=["DR-Tier:tier-1"], thresholds={"max_rpo_minutes": 30})
    args.update(kw)
    return posture_facts(ITEMS, **args)


def vm(f, name):
    return next(v for v in f["vms"] if v["name"] == name)


def test_drift_is_the_scope_minus_the_protected_vms_without_templates():
    f = facts()
    assert f["drift"] == [{"name": "web-02", "folder": "Production/Web", "tags": ["DR-Tier:tier-1"]},
                          {"name": "app-09", "folder": "Production/App", "tags": ["DR-Tier:tier-1"]}]


def test_loops_added_up_as_the_role_passes_them():
    # (folder loop).results + (tag loop).results: a list of registered results, not of VMs
    f = facts(in_scope=IN_SCOPE["results"][:1] + IN_SCOPE["results"][1:])
    assert [d["name"] for d in f["drift"]] == ["web-02", "app-09"]
    assert facts(in_scope=[])["drift"] == [] and facts(in_scope=[{"skipped": True}])["drift"] == []


def test_a_source_vm_is_gone_by_asr_discovery_or_by_vcenter():
    f = facts()
    assert vm(f, "old-01")["source_gone"] is True
    assert "ASR's discovery marks the machine vc_old-01 deleted" in vm(f, "old-01")["source_gone_reason"]
    assert vm(f, "db-01")["source_gone"] is True
    assert vm(f, "db-01")["source_gone_reason"] == "no VM named db-01 in the vCenter inventory"
    assert vm(f, "web-01")["source_gone"] is False and vm(f, "web-01")["source_gone_reason"] is None
    unchecked = facts(inventory=None, discovered=None)
    assert [v["source_gone"] for v in unchecked["vms"]] == [None, None, None]


def test_plan_policy_errors_and_appliance_load():
    f = facts()
    assert vm(f, "db-01")["plan"] == "rp-shop" and vm(f, "old-01")["plan"] is None
    assert vm(f, "web-01")["policy_frequency_minutes"] == 5 and vm(f, "web-01")["policy_retention_hours"] == 24
    assert vm(f, "db-01")["errors"][0]["recommended_action"] == "Power it on"
    assert f["plans"] == [{"name": "rp-shop", "vms": ["db-01", "web-01"], "last_test_failover_time": "2026-12-01T08:00:00Z",
                           "allowed_operations": ["TestFailover"]}]
    appliance = f["appliances"][0]
    assert appliance["load"] == {"memory_usage_status": "Warning", "memory_usage_percentage": 91.0,
                                 "protected_item_count": 3}
    assert appliance["health_errors"][0]["code"] == "E7" and appliance["health_errors"][0]["message"] == "memory"
    assert vm(f, "web-01")["agent"] == {"version": "9.62.0.0", "latest_version": "9.62.0.0"}


def test_the_facts_pass_the_report_shape_check():
    report = pr.build(facts())
    assert report["source_gone"] == ["db-01", "old-01"]
    assert [d["name"] for d in report["drift"]] == ["app-09", "web-02"]
    assert report["appliances"][0]["checks"][1]["status"] == "warning"


def test_not_a_list_is_refused():
    with pytest.raises(AnsibleFilterError, match="expected a list of protected_items"):
        posture_facts({"protected_items": "web-01"})


def test_summary_message_names_each_failure_and_the_report():
    report = pr.build(facts(thresholds={"max_rpo_minutes": 0}))
    summary = posture_summary({"report": report, "files": {"json": "/r/p.json", "html": "/r/p.html"}, "changed": True})
    assert summary["result"] == "failed" and summary["report_changed"] is True
    assert summary["message"].startswith("DR posture of vault rsv FAILED ")
    assert "(report: /r/p.html)" in summary["message"]
    for failure in report["failed_checks"]:
        assert failure in summary["message"]
    assert summary["not_protected"] == ["app-09", "web-02"] and summary["source_gone"] == ["db-01", "old-01"]
    assert summary["table"][0].split(" | ")[0].strip() == "VM" and len(summary["table"]) == 1 + 3 + 1
    assert summary["table"][-1].startswith("Posture FAILED: ")


def test_summary_of_a_passing_report_has_no_message():
    f = facts(in_scope=None, inventory=None, discovered=None, thresholds={})
    f["vms"] = [v for v in f["vms"] if v["name"] == "web-01"]
    f["plans"][0]["vms"] = ["web-01"]
    f["appliances"][0]["load"] = {}
    f["appliances"][0]["health_errors"] = []
    summary = posture_summary({"report": pr.build(f), "files": {}})
    assert summary["failed_checks"] == [] and summary["message"] == ""
