"""Configuration of the simulator: built-in defaults, then `lab/config/azure.yml` (or --config).

The file is documented in lab/config/azure.yml. A part can be changed at runtime through the
admin API (`PATCH /_lab/config`, `/_lab/throttle`, `/_lab/faults`, `/_lab/clock`); those changes
last until the next restart or `POST /_lab/reset {"all": true}`.
"""
import copy
import json
import os

from drlab.azure import throttle
from drlab.settings import REPO_ROOT

DEFAULT_FILE = os.path.join(REPO_ROOT, "lab", "config", "azure.yml")

DEFAULTS = {
    "time_scale": 60.0,
    "retry_after": 1,
    "page_size": 100,
    "token_lifetime_seconds": 3599,
    "audiences": ["https://management.core.windows.net/", "https://management.azure.com/"],
    "tenant_domains": ["drlab.onmicrosoft.com"],
    "cloud_name": "AzureDrLab",
    "subscriptions": [],          # [] -> the lab subscription from drlab.settings
    "locations": [],              # [] -> the regions of providers/catalog.py (or a built-in list)
    "durations": {},              # {"Microsoft.RecoveryServices/vaults": {"put": 30, "patch": 10, "delete": 20}}
    "throttle": throttle.DEFAULTS,
    "faults": {"seed": None, "rules": []},
    "request_log": {"max_entries": 20000},
    "log_requests": False,
    "background": {"enabled": True, "slice_seconds": 0.25, "max_sleep_seconds": 1.0},   # background.py
    "asr": {                      # Azure Site Recovery (providers/siterecovery); documented in azure.yml
        "appliance": {
            "auto_register": True,
            "name": "drlab-appliance-01",
            "register_delay_seconds": 300,
            "discovery_interval_seconds": 900,
            "version": "9.66.7614.1",
            "agent_version": "9.66.7643.1",
            "credentials": [{"name": "linux-root", "type": "LinuxServer"},
                            {"name": "windows-admin", "type": "WindowsServer"}],
        },
        "durations": {            # lab seconds; every key the ASR code reads (common.duration) is here
            "policy": 20, "mapping": 20, "enable": 180, "push_install": 120, "update": 30,
            "disable": 60, "purge": 15, "discovery": 30,
            "initial_replication_base": 300, "initial_replication_per_gb": 45, "initial_replication_completion": 60,
            # item actions (actions.py)
            "action_prerequisites": 30,
            "tfo_create_vm": 240, "tfo_prepare_vm": 120, "tfo_start_vm": 90, "tfo_cleanup_end": 30,
            "tfo_cleanup_delete": 120,
            "failover_shutdown": 120, "failover_create_vm": 240, "failover_start_vm": 90,
            "change_pit": 180, "commit": 30, "commit_delete_vm": 60,
            "reprotect_prepare": 60, "reprotect_requirements": 30, "reprotect_configure": 120,
            "failback_shutdown_azure": 60, "failback_sync": 120, "failback_prepare": 30, "failback_start_vm": 90,
            "cancel_shutdown": 60, "cancel_start_vm": 60, "resync": 60, "agent_update": 300, "agent_reinstall": 300,
            "add_disks": 120, "resolve_health": 30,
            "appliance_update": 450,
            # recovery plans (plans.py): CRUD jobs and the plan job's own steps
            "plan": 10, "plan_prerequisites": 5, "plan_shutdown": 60, "plan_script": 30, "plan_runbook": 60,
            "plan_finalize": 5,
        },
        "policy_defaults": {"recovery_point_history_minutes": 1440, "crash_consistent_frequency_minutes": 5,
                            "app_consistent_frequency_minutes": 60, "enable_multi_vm_sync": "true"},
        "rpo": {"steady_seconds": 45, "warning_seconds": 1800, "critical_seconds": 3600},
    },
}

#: keys PATCH /_lab/config may change at runtime
RUNTIME_KEYS = ("retry_after", "page_size", "token_lifetime_seconds", "durations", "log_requests", "asr",
                "background")


def merge(base, override, _top=True):
    out = copy.deepcopy(base)
    for k, v in (override or {}).items():
        top_durations = _top and k == "durations"
        if isinstance(v, dict) and isinstance(out.get(k), dict) and not top_durations:
            out[k] = merge(out[k], v, _top=False)
        elif top_durations and isinstance(v, dict):
            d = dict(out.get(k) or {})
            for t, spec in v.items():
                if spec is None:
                    d.pop(t, None)
                else:
                    d[t] = dict(d.get(t) or {}, **spec)
            out[k] = d
        else:
            out[k] = copy.deepcopy(v)
    return out


def load_file(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if path.endswith(".json"):
        data = json.loads(text)
    else:
        import yaml  # PyYAML is a lab requirement (tests/requirements.txt)
        data = yaml.safe_load(text)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValueError("%s: the configuration must be a mapping" % path)
    return data.get("azure", data) if isinstance(data.get("azure"), dict) else data


def load(path=None):
    """Defaults merged with the given file, else with lab/config/azure.yml when it exists."""
    cfg = copy.deepcopy(DEFAULTS)
    if path is None and os.path.exists(DEFAULT_FILE):
        path = DEFAULT_FILE
    if path:
        cfg = merge(cfg, load_file(path))
    validate(cfg)
    return cfg


def validate(cfg):
    for key in ("time_scale", "retry_after", "page_size", "token_lifetime_seconds"):
        if not isinstance(cfg.get(key), (int, float)) or cfg[key] < 0:
            raise ValueError("config: %s must be a number >= 0" % key)
    if cfg["page_size"] < 1:
        raise ValueError("config: page_size must be >= 1")
    if cfg["retry_after"] < 1:
        # azure-core treats Retry-After: 0 as absent and falls back to its 30 s polling interval
        raise ValueError("config: retry_after must be >= 1 (0 makes the SDK wait 30 s)")
    bg = cfg.get("background")
    if not isinstance(bg, dict) or not isinstance(bg.get("enabled"), bool) or any(
            not isinstance(bg.get(k), (int, float)) or isinstance(bg.get(k), bool) or bg[k] <= 0
            for k in ("slice_seconds", "max_sleep_seconds")):
        raise ValueError("config: background takes enabled (true/false), slice_seconds and max_sleep_seconds "
                         "(real seconds > 0)")
    for t, spec in (cfg.get("durations") or {}).items():
        if not isinstance(spec, dict) or any(k not in ("put", "patch", "delete", "action") for k in spec):
            raise ValueError("config: durations.%s takes put/patch/delete/action (lab seconds)" % t)
