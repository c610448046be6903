"""Facts of a posture report (what filter dr.asr.posture_facts makes), shared by the posture report's tests."""
import copy

AS_OF = "2026-12-07T10:00:00Z"

_FACTS = {
    "title": "DR posture", "as_of": AS_OF, "vault": {"name": "rsv-dr-weu", "resource_group": "rg-dr"},
    "scope": {"folders": ["Production/Web"], "tags": []},
    "thresholds": {"max_rpo_minutes": 30, "max_drill_age_days": 90, "max_health_errors": None, "allow_drift": False,
                   "allow_source_gone": False, "allow_agent_behind": True, "allow_appliance_unhealthy": False},
    "vms": [
        {"name": "web-01", "item_name": "i-web-01", "plan": "rp-shop", "policy": "pol-24h", "policy_frequency_minutes": 5,
         "policy_retention_hours": 24, "state": "Protected", "phase": "protected", "health": "Normal", "errors": [],
         "rpo_seconds": 45, "rpo_calculated_time": "2026-12-07T09:59:00Z", "progress": None,
         "agent": {"version": "9.62.7172.1", "latest_version": "9.62.7172.1"},
         "last_successful_test_failover_time": "2026-11-30T10:00:00.0000000Z", "appliance": "appliance-weu-01",
         "source_gone": False, "source_gone_reason": None},
        {"name": "db-01", "item_name": "i-db-01", "plan": "rp-shop", "policy": "pol-24h", "state": "Protected",
         "phase": "protected", "health": "Critical",
         "errors": [{"code": "78052", "level": "Error", "category": "Replication", "message": "The RPO is 70 minutes.",
                     "possible_causes": "The source machine is off.", "recommended_action": "Check the source machine.",
                     "created": "2026-12-07T09:00:00Z"}],
         "rpo_seconds": 4200, "agent": {"version": "9.60.1.1", "latest_version": "9.62.7172.1"},
         "last_successful_test_failover_time": None, "appliance": "appliance-weu-01", "source_gone": True,
         "source_gone_reason": "no VM named db-01 in the vCenter inventory"},
    ],
    "plans": [{"name": "rp-shop", "vms": ["web-01", "db-01"], "last_test_failover_time": "2026-11-30T09:50:00Z",
               "allowed_operations": ["TestFailover"]}],
    "appliances": [{"name": "appliance-weu-01", "health": "Normal", "version": "9.66.7614.1",
                    "last_heartbeat": "2026-12-07T09:59:30Z", "protected_item_count": 2, "health_errors": [],
                    "load": {"processor_usage_status": "Healthy", "memory_usage_status": "Healthy",
                             "disk_usage_status": "Healthy", "protected_item_count": 2}}],
    "drift": [{"name": "web-02", "folder": "Production/Web", "tags": []}],
}


def facts():
    return copy.deepcopy(_FACTS)
