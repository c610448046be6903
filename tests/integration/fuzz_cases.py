# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cases of the option fuzz (tests/integration/test_fuzz_options.py, issue 14): hostile values for every option
of every module, generated from the argument spec each module builds (captured as
tests/unit/plugins/modules/test_fail_safe.py captures it: AnsibleModule and the range check stand in for the real
ones and stop the module there), with the ranges (`bounds`) the module declares.

Per option category, a deterministic sample of its values, the most telling first (COUNTS: how many, at each
depth; the sample of each option is rotated by a hash of its name, so that across the options every kind of value
is used):

* text: empty, huge, unicode, path traversal, an absolute path, NUL, newline and shell metacharacters, the ARM id of
  a resource of the wrong type (a storage account where a vault, network, plan... is expected; a network where a
  storage account is), wrong types (a number, a list, a dict);
* numbers: huge first (10**400: no float holds it), then just outside the range, negative, text, a fraction; nan
  and inf;
* booleans: text that is none, a dict, a number;
* paths: as text, plus /proc/self/environ (it holds the secret canaries of the environment) and /dev/null;
* lists: a comma string, empty, an empty element, hostile elements, elements of the wrong shape (a dict, a list),
  a long list, a dict; lists of dicts and dicts with suboptions: wrong shapes, unknown keys, then each suboption
  in an otherwise valid element;
* the secret (no_log) options: a canary value; every Azure module case also carries a canary in
  x509_certificate_password, which a service principal with a secret never uses.

The options every module shares (Azure connection, vSphere connection, vault, wait, rounds, query) are the same
code in every module: they are fuzzed in full on one module each (SHARED_ON), the module's own options on every
module. A case is one task of the fuzz playbook."""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import importlib
import os
import re
import zlib
from unittest import mock

#: every secret canary starts with this; the fuzz asserts it appears nowhere (case-insensitive)
CANARY = "drAsrFuzzCanary"
#: the canaries, by where they are put (the '/', '+' and '=' change when URL- or form-encoded: an encoded copy still
#: shows the prefix)
CANARIES = {
    "option": CANARY + "-option/secret+value=1",
    "env": CANARY + "-environment/secret+value=2",
    "credential_file": CANARY + "-credential-file/secret+value=3",
    "home_credentials": CANARY + "-home-credentials/secret+value=4",
    "sas": CANARY + "-sas-signature%2Bvalue%3D5",
}
#: environment variables that hold secrets (the modules' fallbacks, azure-identity's, vSphere's)
SECRET_ENV = ("AZURE_SECRET", "AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PASSWORD", "AZURE_PASSWORD",
              "VMWARE_PASSWORD")

#: the module each shared option set is fuzzed on (the others get the module's own options only)
SHARED_ON = {
    "azure": ("vault_info",),
    "vsphere": ("source_vm_info",),
    "asr_vault": ("protected_item_info",),
    "wait": ("recovery_plan",),
    "rounds": ("recovery_plan",),
    "query": ("job_info",),
    "ca_bundle": ("vault_info", "source_vm_info"),     # in both connection option sets
}
#: modules that run on a lab guest (over SSH), not on the controller: they act on the machine they run on
ON_GUEST = ("mobility_service",)
#: modules whose cases run in check mode: protected_item would enable the replication of a lab VM the other tests
#: protect (its checks all come before check mode stops it: resolve, decide, prepare)
CHECK_MODE = ("protected_item",)

MODULES_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "plugins", "modules")
MODULES = sorted(n[:-3] for n in os.listdir(MODULES_DIR) if n.endswith(".py") and not n.startswith("_"))


@dataclasses.dataclass
class Case:
    """One task: `module` with `args`; `option` is the fuzzed option (a.b[0].c for a suboption), `label` says what
    its value is (ASCII, for task names and reports)."""
    id: str
    module: str
    option: str
    label: str
    args: dict
    host: str = "lane"          # "lane" (the controller), "guest" (a lab guest), "env" (no secret in module_defaults)
    check_mode: bool = False
    env: dict = dataclasses.field(default_factory=dict)
    secret: bool = False        # a canary case


#: the fuzz vault's replication policy (created and associated first), the one the policy cases create and update
POLICY, POLICY2 = "pol-fuzz", "pol-fuzz-2"


@dataclasses.dataclass
class Context:
    """What the cases point at: the fuzz's own vaults in the lab's resource group, the lab's resources and files."""
    vault: str                  # the fuzz vault: its lab appliance registered, POLICY associated, nothing protected
    vault2: str                 # the vault the vault module's cases create and update
    resource_group: str
    subscription_id: str
    azure_url: str
    ca_pem: str
    client_certificate: str
    report_dir: str             # where drill_report's cases write (under the test's tmp_path)

    def arm_id(self, provider_type, name):
        return "/subscriptions/%s/resourceGroups/%s/providers/%s/%s" % (
            self.subscription_id, self.resource_group, provider_type, name)

    @property
    def storage_id(self):
        return self.arm_id("Microsoft.Storage/storageAccounts", "stdrlabcache01")

    @property
    def vnet_id(self):
        return self.arm_id("Microsoft.Network/virtualNetworks", "vnet-dr-recovery")

    @property
    def blob_url(self):
        return "%s/stdrlabcache01/drasr-fuzz-none" % self.azure_url


# -- the argument specs, as the modules build them ----------------------------------------------------------------

class _Stop(Exception):
    pass


def capture_specs():
    """module -> (argument spec, bounds, AnsibleModule keyword arguments) of every module."""
    from ansible_collections.dr.asr.plugins.module_utils import _module
    seen = {}

    class Module(object):
        def __init__(self, argument_spec=None, **kwargs):
            seen["spec"], seen["kwargs"] = argument_spec, kwargs
            self.params = {}
            self.no_log_values = set()

    def capture(params, bounds):
        seen["bounds"] = bounds
        raise _Stop()

    specs = {}
    with mock.patch.object(_module, "AnsibleModule", Module), mock.patch.object(_module, "check_bounds", capture):
        for name in MODULES:
            seen.clear()
            with contextlib.suppress(_Stop):
                importlib.import_module("ansible_collections.dr.asr.plugins.modules." + name).main()
            specs[name] = (seen["spec"], seen["bounds"], seen["kwargs"])
    return specs


def shared_options():
    """option -> the shared option set it belongs to."""
    from ansible_collections.dr.asr.plugins.module_utils import _query, _waiter
    from ansible_collections.dr.asr.plugins.module_utils._asr.argspec import asr_vault_argument_spec
    from ansible_collections.dr.asr.plugins.module_utils._azure.argspec import azure_argument_spec
    from ansible_collections.dr.asr.plugins.module_utils._vsphere.argspec import vsphere_argument_spec
    owner = {}
    for group, spec in (("azure", azure_argument_spec()), ("vsphere", vsphere_argument_spec()),
                        ("asr_vault", asr_vault_argument_spec()), ("wait", _waiter.WAIT_ARGUMENT_SPEC),
                        ("rounds", _waiter.ROUND_ARGUMENT_SPEC), ("query", _query.QUERY_ARGUMENT_SPEC)):
        for option in spec:
            owner.setdefault(option, group)
    owner["ca_bundle"] = "ca_bundle"
    return owner


# -- the least each module needs to get past its own checks (against the fuzz's own vault, never a write that
#    matters: the VMs named are not protected in it) ----------------------------------------------------------------

def base_args(ctx):
    vault = dict(vault_name=ctx.vault, vault_resource_group=ctx.resource_group)
    nowait = dict(vault, wait=False, wait_timeout=30, wait_sleep=1)
    return {
        "appliance_info": dict(vault),
        "classic_info": dict(vault),
        "discovered_vm_info": dict(vault),
        "drill_report": dict(path=ctx.report_dir, name="fuzz", facts=dict(title="fuzz drill")),
        "posture_report": dict(path=ctx.report_dir, name="fuzz-posture", facts=dict(title="fuzz posture")),
        "failover": dict(nowait, items=["web-01"], confirm=True),
        "failover_cancel": dict(nowait, items=["web-01"]),
        "failover_commit": dict(nowait, items=["web-01"]),
        "failover_recovery_point": dict(nowait, items=["web-01"], recovery_point="Latest"),
        "job": dict(nowait, name="00000000-0000-4000-8000-00000000f022"),
        "job_info": dict(vault),
        "mobility_service": dict(installer_path="/nonexistent/drasr-fuzz/installer.tar.gz"),
        "mobility_service_upgrade": dict(nowait, items=["web-01"]),
        # everything enabling needs (in check mode: the VM is not protected, nothing is written)
        "protected_item": dict(nowait, name="web-01", wait="none", policy=POLICY, run_as_account="linux-root",
                               target_resource_group=ctx.resource_group, target_network="vnet-dr-recovery",
                               target_subnet="default", test_network="vnet-dr-test", test_subnet="default",
                               log_storage_account="stdrlabcache01"),
        "protected_item_disks": dict(nowait, items=["web-01"]),
        "protected_item_info": dict(vault),
        "readiness": dict(names=["web-01"]),
        "recovered_vm_info": dict(vault, items=["web-01"]),
        # waits (the wait options' module: the waiting action takes them first); fails before waiting
        "recovery_plan": dict(vault, wait_timeout=30, wait_sleep=1, wait_round=10, name="rp-fuzz",
                              groups=[dict(vms=["web-01"])]),
        "recovery_plan_info": dict(vault),
        "recovery_point_info": dict(vault, items=["web-01"]),
        "replication_policy": dict(nowait, name=POLICY2),
        "replication_policy_info": dict(vault),
        "reprotect": dict(nowait, items=["web-01"]),
        "resolve_health_errors": dict(nowait, items=["web-01"]),
        "resync": dict(nowait, items=["web-01"]),
        "switch_appliance": dict(nowait, items=["web-01"]),
        # the fuzz's vault has no classic item: web-01 is refused by name before any write
        "switch_provider": dict(nowait, items=["web-01"], target_vault=ctx.vault),
        "source_vm_info": dict(names=["web-01"]),
        "source_vm_power": dict(names=["drasr-fuzz-no-such-vm"], state="powered_on", task_timeout=30, poll_interval=1),
        "test_failover": dict(nowait, items=["web-01"]),
        "vault": dict(name=ctx.vault2, resource_group=ctx.resource_group, wait_timeout=60, wait_sleep=1),
        "vault_info": dict(resource_group=ctx.resource_group, name=ctx.vault),
        "virtual_network_info": dict(networks=["vnet-dr-recovery"], resource_group=ctx.resource_group),
    }


#: a valid element of a list of dicts (or a valid dict) to put a fuzzed suboption in
ELEMENTS = {
    ("protected_item", "vms"): dict(name="web-01"),
    ("protected_item", "disks"): dict(disk="disk-0"),
    ("protected_item", "nics"): dict(nic="nic-0"),
    ("protected_item", "vms.disks"): dict(disk="disk-0"),
    ("protected_item", "vms.nics"): dict(nic="nic-0"),
    ("recovery_plan", "groups"): dict(vms=["web-01"]),
    ("recovery_plan", "groups.pre_actions"): dict(name="check", type="manual"),
    ("recovery_plan", "groups.post_actions"): dict(name="check", type="manual"),
    ("recovery_plan", "shutdown_group.pre_actions"): dict(name="check", type="manual"),
    ("recovery_plan", "shutdown_group.post_actions"): dict(name="check", type="manual"),
    ("recovery_plan", "failover_group.pre_actions"): dict(name="check", type="manual"),
    ("recovery_plan", "failover_group.post_actions"): dict(name="check", type="manual"),
    ("appliance_info", "wait_for_appliance"): dict(timeout=0, sleep=1),
    ("readiness", "churn"): dict(enabled=True, days=0.01, samples=2, interval=300),
}
#: suboptions that repeat others of the same module: only the shape of their container is fuzzed (the pre_actions of
#: the groups stand for every action list; a VM's own options for the top-level ones)
REPEATS = {
    "recovery_plan": ("groups.post_actions.", "shutdown_group.pre_actions.", "shutdown_group.post_actions.",
                      "failover_group.pre_actions.", "failover_group.post_actions."),
    "protected_item": ("vms.disks.", "vms.nics."),
}
#: suboptions of a repeat fuzzed with one value each (not the full sample)
LIGHT = {"protected_item": ("vms.",)}


# -- values -----------------------------------------------------------------------------------------------------

HUGE_TEXT = "x" * 5000
UNICODE = u"\u00dcn\u00efc\u00f8d\u00e9-\u540d\u524d-\U0001f642"
HUGE_INT = 10 ** 400


TEXTS = [
    ("empty", ""),
    ("huge text", HUGE_TEXT),
    ("unicode", UNICODE),
    ("path traversal", "../../x"),
    ("absolute path", "/etc/passwd"),
    ("NUL", "nul\x00byte"),
    ("newline and shell metacharacters", "a b;c`id`$(id)|d\n--e"),
    ("number as text", "-1"),
]
WRONG_TYPES = [("a number", 12345), ("a list", ["a", "b"]), ("a dict", {"k": "v"}), ("a float", 1e308)]

PATHS = [
    ("empty", ""),
    ("path traversal", "../../x"),
    ("absolute path of a file", "/etc/passwd"),
    ("NUL", "nul\x00byte"),
    ("unicode", "/nonexistent/" + UNICODE),
    ("a directory", "/etc"),
    ("/dev/null", "/dev/null"),
    ("huge text", "/" + "x" * 5000),
]
URLS = [
    ("a file URL", "file:///proc/self/environ"),
    ("a closed port", "https://127.0.0.1:1/x?sig=" + CANARIES["sas"]),
    ("no scheme", "127.0.0.1/x"),
    ("unicode host", u"https://\u00fcn\u00efc\u00f8d\u00e9.invalid/x"),
]
LISTS = [
    ("a comma string", "a,b"),
    ("empty list", []),
    ("an empty element", [""]),
    ("a dict element", [{"k": "v"}]),
    ("a list element", [["nested"]]),
    ("a null element", [None]),
    ("unicode element", [UNICODE]),
    ("path traversal element", ["../../x"]),
    ("a long list", ["x-%d" % i for i in range(300)]),
    ("a dict", {"k": "v"}),
]
LISTS_OF_DICTS = [
    ("a string", "a,b"),
    ("a string element", ["web-01"]),
    ("an empty element", [{}]),
    ("an unknown key", [{"drasr_fuzz_unknown": 1}]),
    ("a list element", [[1]]),
    ("a null element", [None]),
    ("a dict", {"k": "v"}),
]
DICTS = [
    ("a string", "a"),
    ("a list", [1]),
    ("an unknown key", {"drasr_fuzz_unknown": 1}),
]
FREE_DICTS = [
    ("an empty key", {"": "v"}),
    ("a nested value", {"k": {"nested": {"deep": [1]}}}),
    ("a huge key", {"k" * 600: "v"}),
    ("unicode key and NUL value", {u"\u043a\u043b\u044e\u0447/../x": "nul\x00byte"}),
    ("a null value", {"k": None}),
    ("a key=value string", "a=b"),
    ("a list", [1]),
    ("many keys", dict(("k%03d" % i, "v") for i in range(200))),
]
RAWS = [("a dict", {"k": "v"}), ("a list", [1]), ("empty", ""), ("a number", 12345), ("unicode", UNICODE),
        ("NUL", "nul\x00byte")]
#: option (of any module) -> its own values: what a generic sample does not reach
SPECIFIC = {
    "facts": [
        ("vms a string", {"vms": "web-01"}),
        ("plans of numbers", {"plans": [1, 2]}),
        ("started not a time", {"started": "not a time", "ended": UNICODE}),
        ("smoke rc as text", {"vms": [{"name": "web-01", "smoke": [{"name": "s", "rc": "abc"}]}]}),
        ("rto target negative and huge", {"rto_target_seconds": -1, "rpo_target_seconds": HUGE_INT}),
        ("vault a list", {"vault": ["a"], "title": "nul\x00byte"}),
        ("nested job of the wrong shape", {"plans": [{"name": "rp", "job": "not-a-job", "groups": {"a": 1}}]}),
    ],
    "mode": [("setuid", "4755"), ("above 0777", 0o1777), ("negative", -1), ("not octal", "0999"), ("a list", [1]),
             ("huge", HUGE_INT), ("empty", "")],
    "installer_checksum": [("not sha256", "md5:abc"), ("short hex", "sha256:abc"), ("empty", ""),
                           ("NUL", "sha256:" + "0" * 63 + "\x00")],
    "since": [("not a time", "yesterday-ish"), ("huge duration", "99999999999999999999d"),
              ("negative duration", "-2h"), ("unicode", UNICODE), ("a number", 12345)],
    "until": [("not a time", "2026-13-45T99:99:99Z"), ("huge duration", "9" * 400 + "h"), ("empty", "")],
    "recovery_point_time": [("not a time", "2026-02-30T00:00:00Z"), ("huge duration", "9" * 400 + "h"),
                            ("negative duration", "-5m"), ("empty", "")],
    "query": [("bad JMESPath", "[?"), ("huge", "a" * 5000), ("unicode", UNICODE),
              ("a function error", "length(`1`)"), ("a list", ["a"]), ("NUL", "a\x00b")],
    "cloud_environment": [("a file URL", "file:///proc/self/environ"),
                          ("closed port", "https://127.0.0.1:1/metadata/endpoints"),
                          ("unknown name", "AzureMoonCloud"), ("unicode", UNICODE), ("empty", "")],
}


def _stable(text):
    return zlib.crc32(text.encode("utf-8"))


def _rotate(pool, key, count):
    """`count` values of `pool`, starting at a place that depends on `key` (deterministic)."""
    if count >= len(pool):
        return list(pool)
    start = _stable(key) % len(pool)
    return [pool[(start + i) % len(pool)] for i in range(count)]


def _number_values(spec, bound, key):
    """Huge first (no float holds it: the overflows of time arithmetic), then out of range (tests/unit's
    test_fail_safe.py refuses one out-of-range value of every module), then the wrong types."""
    bound = bound or {}
    out = [("huge", HUGE_INT)]
    low, high, above = bound.get("minimum"), bound.get("maximum"), bound.get("above")
    if low is not None:
        out.append(("below the minimum", low - 1))
    elif above is not None:
        out.append(("at the exclusive minimum", above))
    if low is None or low > -1:
        out.append(("negative", -1 if (low is None or low > -1) else low - 1))
    if high is not None:
        out.append(("above the maximum", high + 1))
    if spec.get("type") == "float":
        out += [("nan", "nan"), ("inf", "inf"), ("not a number", "abc")]
    else:
        out += _rotate([("not a number", "abc"), ("a fraction", 1.5), ("a list", [1]), ("hex text", "0x10")], key, 2)
    seen, values = set(), []
    for label, value in out:
        if repr(value) not in seen:
            seen.add(repr(value))
            values.append((label, value))
    return values


#: how many values an option gets, by its category, at DRASR_FUZZ_DEPTH 1 (the default: the test suite's few minutes),
#: 2 and 3 (up to 8 values an option): the first values of each category are the most telling ones
COUNTS = {
    "specific": (2, 5, 8), "number": (1, 3, 6), "bool": (1, 2, 3), "choice": (1, 2, 3), "path": (1, 3, 6),
    "url": (2, 3, 4), "raw": (1, 3, 6), "dicts": (1, 2, 4), "free_dict": (1, 3, 6), "list_id": (1, 3, 6),
    "list": (1, 3, 6), "text_id": (1, 4, 8), "text": (1, 3, 8),
}
#: options that take an Azure resource by name or ARM id: they get the ARM id of a resource of the wrong type first
#: (the others may get it in their sample)
ID_LIKE = re.compile(r"(^|_)(network|resource_group|storage_account|recovery_plan|policy|appliance|vault_name|items?|"
                     r"availability_set|proximity_placement_group|container|account|target)$")


def category(path, spec):
    leaf = path.rsplit(".", 1)[-1]
    kind = spec.get("type", "str")
    if leaf in SPECIFIC:
        return "specific"
    if kind in ("int", "float"):
        return "number"
    if kind in ("bool", "path", "raw"):
        return kind
    if kind == "list" and (spec.get("elements") == "dict" or spec.get("options")):
        return "dicts"
    if kind == "dict":
        return "dicts" if spec.get("options") else "free_dict"
    if spec.get("choices"):
        return "choice"
    if kind == "list":
        return "list_id" if ID_LIKE.search(leaf) else "list"
    if "url" in leaf:
        return "url"
    return "text_id" if ID_LIKE.search(leaf) else "text"


def candidates(ctx, module, path, spec, bound):
    """Every hostile value of one option (`path`: a.b for a suboption), the most telling first."""
    leaf = path.rsplit(".", 1)[-1]
    key = module + "." + path
    cat = category(path, spec)
    wrong_id = ctx.vnet_id if "storage" in leaf else ctx.storage_id
    if cat == "specific":
        return list(SPECIFIC[leaf])
    if cat == "number":
        return _number_values(spec, bound, key)
    if cat == "bool":
        return _rotate([("text that is no boolean", "maybe"), ("a dict", {"k": "v"}), ("a number", 2),
                        ("empty", "")], key, 3)
    if cat == "path":
        return [("/proc/self/environ", "/proc/self/environ")] + _rotate(PATHS + WRONG_TYPES[:2], key, 7)
    if cat == "raw":
        return _rotate(RAWS, key, 6)
    if cat == "dicts":
        return _rotate(LISTS_OF_DICTS if spec.get("type") == "list" else DICTS, key, 4)
    if cat == "free_dict":
        return _rotate(FREE_DICTS, key, 6)
    if cat == "choice":
        if spec.get("type") == "list":
            return [("an unknown choice", ["drasr-fuzz-unknown"]), ("a dict element", [{"k": "v"}]),
                    ("a choice in another case", [spec["choices"][0].swapcase()])]
        choice = spec["choices"][0]
        swapped = choice.swapcase() if choice.swapcase() not in spec["choices"] else choice + "-"
        others = [("a list", ["a"]), ("path traversal", "../../x")]
        return [("a choice in another case", swapped)] + _rotate(others, key, 2)
    if cat in ("list", "list_id"):
        head = [("ARM id of the wrong type", [wrong_id])] if cat == "list_id" else []
        return head + _rotate(LISTS, key, 6 - len(head))
    if cat == "url":
        return list(URLS)
    head = [("ARM id of the wrong type", wrong_id)] if cat == "text_id" else []
    return head + _rotate(TEXTS + WRONG_TYPES + ([] if head else [("ARM id of the wrong type", wrong_id)]), key,
                          8 - len(head))


def values_for(ctx, module, path, spec, bound, light=False, depth=1):
    """The hostile values of one option at `depth` (a light option - one that repeats another - gets fewer)."""
    count = COUNTS[category(path, spec)][min(max(depth, 1), 3) - 1]
    if light:   # none at depth 1; deeper, one in three, then two in three, with fewer values
        count = min(count, depth - 1) if _stable(module + "." + path) % 3 < depth - 1 else 0
    return candidates(ctx, module, path, spec, bound)[:count]


#: what an option needs beside it to be used at all (required_together, an experience, a container)
COMPANIONS = {
    ("mobility_service", "installer_url"): dict(installer_path=None, installer_checksum="sha256:" + "0" * 64,
                                                download_timeout=5),
    ("mobility_service", "installer_checksum"): dict(installer_path=None, download_timeout=5,
                                                     installer_url="https://127.0.0.1:1/Microsoft-ASR_UA_9.63.0.0_"
                                                                   "UBUNTU-22.04-64_GA_01Jan2005_release.tar.gz"),
    ("mobility_service", "cs_endpoint"): dict(experience="classic", passphrase_path="/nonexistent/passphrase"),
    ("mobility_service", "cs_port"): dict(experience="classic", cs_endpoint="127.0.0.1",
                                          passphrase_path="/nonexistent/passphrase"),
    ("mobility_service", "passphrase"): dict(experience="classic", cs_endpoint="127.0.0.1"),
    ("mobility_service", "passphrase_path"): dict(experience="classic", cs_endpoint="127.0.0.1"),
    ("drill_report", "storage_account"): dict(container="drasr-fuzz-none"),
    ("drill_report", "container"): dict(storage_account="stdrlabcache01"),
    ("drill_report", "storage_resource_group"): dict(storage_account="stdrlabcache01", container="drasr-fuzz-none"),
    ("posture_report", "storage_account"): dict(container="drasr-fuzz-none"),
    ("posture_report", "container"): dict(storage_account="stdrlabcache01"),
    ("posture_report", "storage_resource_group"): dict(storage_account="stdrlabcache01", container="drasr-fuzz-none"),
    ("readiness", "target_vm_size"): dict(location="westeurope"),
    ("readiness", "location"): dict(target_vm_size="Standard_D2s_v3"),
}
#: values that would write outside the test's directories (drill_report creates its `path`, relative to the
#: playbook's directory, tmp_path/inputs/play): replaced
UNSAFE = {
    ("drill_report", "path"): [("path traversal (into tmp_path)", "../../drasr-fuzz-relative"),
                               ("absolute path of a file", "/etc/passwd"),
                               ("/proc/self/environ", "/proc/self/environ"), ("NUL", "nul\x00byte"),
                               ("a number (a relative path)", 12345), ("a list", ["a"])],
}
UNSAFE[("posture_report", "path")] = UNSAFE[("drill_report", "path")]


def invalid_bases(ctx, specs):
    """module -> Ansible's complaints about its base arguments (each with the companions of an option): [] each."""
    from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
    out = {}
    for module, base in base_args(ctx).items():
        spec, _bounds, kwargs = specs[module]
        checks = dict((k, v) for k, v in kwargs.items() if k in ("mutually_exclusive", "required_together",
                                                                 "required_one_of", "required_if", "required_by"))
        variants = [(None, base)] + [(option, dict((k, v) for k, v in dict(base, **extra).items() if v is not None))
                                     for (name, option), extra in COMPANIONS.items() if name == module]
        errors = [e for option, args in variants for e in ArgumentSpecValidator(spec, **checks).validate(args)
                  .error_messages if option is None or option not in e]     # (what the fuzzed option itself adds)
        if errors:
            out[module] = errors
    return out


# -- the cases ----------------------------------------------------------------------------------------------------

def _walk(spec, prefix=""):
    for name, option in sorted(spec.items()):
        yield prefix + name, option
        if option.get("options"):
            yield from _walk(option["options"], prefix + name + ".")


def _place(module, base, path, value, spec):
    """`base` with `value` at `path` (a.b.c: a suboption inside a valid element / dict of its parents)."""
    args = copy.deepcopy(base)
    parts = path.split(".")
    node, specs, done = args, spec, []
    for part in parts[:-1]:
        done.append(part)
        parent = specs[part]
        element = copy.deepcopy(ELEMENTS.get((module, ".".join(done)), {}))
        if parent.get("type") == "list":
            existing = node.get(part)
            element = dict(existing[0]) if isinstance(existing, list) and existing and isinstance(existing[0], dict) \
                else element
            node[part] = [element]
        else:
            existing = node.get(part)
            node[part] = dict(existing) if isinstance(existing, dict) else element
            element = node[part]
        node, specs = element, parent["options"]
    node[parts[-1]] = value
    return args


def _without_conflicts(args, option, kwargs):
    """Drop base arguments that are mutually exclusive with the fuzzed top-level `option`."""
    for group in kwargs.get("mutually_exclusive") or ():
        if option in group:
            for other in group:
                if other != option:
                    args.pop(other, None)
    return args


def cases(ctx, specs=None, depth=1):
    specs = specs or capture_specs()
    owner = shared_options()
    bases = base_args(ctx)
    out = []

    def add(module, option, label, args, **kw):
        out.append(Case(id="%04d" % (len(out) + 1), module=module, option=option, label=label, args=args,
                        host="guest" if module in ON_GUEST else "lane", check_mode=module in CHECK_MODE, **kw))

    for module in MODULES:
        spec, bounds, kwargs = specs[module]
        for path, option_spec in _walk(spec):
            top = path.split(".")[0]
            if owner.get(top) and module not in SHARED_ON[owner[top]]:
                continue
            if any(path.startswith(prefix) for prefix in REPEATS.get(module, ())):
                continue
            light = any(path.startswith(prefix) for prefix in LIGHT.get(module, ()))
            values = values_for(ctx, module, path, option_spec, bounds.get(path), light, depth)
            values = UNSAFE.get((module, path), values)[:len(values)]
            base = dict((k, v) for k, v in dict(bases[module], **COMPANIONS.get((module, top), {})).items()
                        if v is not None)       # a companion None drops a base argument
            base = _without_conflicts(base, top, kwargs)
            for label, value in values:
                add(module, path, label, _place(module, base, path, value, spec))
            if option_spec.get("no_log"):
                add(module, path, "secret canary", _place(module, base, path, CANARIES["option"], spec), secret=True)
    out += secret_cases(ctx, bases, len(out))
    for case in out:
        if "secret" in specs[case.module][0] and case.host == "lane":
            # a secret the module never uses (the service principal has a secret): it must stay hidden all the same
            case.args.setdefault("x509_certificate_password", CANARIES["option"])
    return out


def secret_cases(ctx, bases, start):
    """Secrets where they are used: wrong secrets that reach the lab (each must fail without showing itself), the
    environment's secrets (a play whose module_defaults have no secret), the credential files."""
    out = []

    def add(module, option, label, args, host="lane", env=None):
        out.append(Case(id="%04d" % (start + len(out) + 1), module=module, option=option, label=label, args=args,
                        host=host, env=env or {}, secret=True))

    sas = "sv=2022-11-02&sp=rcw&sig=" + CANARIES["sas"]
    report = bases["drill_report"]
    add("drill_report", "sas_token", "a SAS the lab refuses", dict(report, blob_url=ctx.blob_url, sas_token=sas))
    add("drill_report", "blob_url", "a SAS in the URL's query", dict(report, blob_url=ctx.blob_url + "?" + sas))
    add("mobility_service", "installer_url", "a SAS in the query, a password in the URL", dict(
        installer_url="https://drasr-fuzz:%s@127.0.0.1:1/dr-asr-packages/Microsoft-ASR_UA_9.63.0.0_UBUNTU-22.04-64_GA_"
                      "01Jan2005_release.tar.gz?%s" % (CANARIES["option"].replace("/", "%2F"), sas),
        installer_checksum="sha256:" + "0" * 64, download_timeout=5), host="guest")
    add("mobility_service", "passphrase", "classic registration", dict(
        bases["mobility_service"], experience="classic", cs_endpoint="127.0.0.1", cs_port=1,
        passphrase=CANARIES["option"]), host="guest")
    add("mobility_service", "config_json_content", "a canary in a config.json", dict(
        config_json_content='{"ServerSignature": "%s", "BiosId": "x"' % CANARIES["option"]), host="guest")
    add("mobility_service", "config_json_content", "a canary in a config.json dict", dict(
        config_json_content={"ServerSignature": CANARIES["option"], "BiosId": ["x"]}), host="guest")
    add("vault_info", "x509_certificate_password", "the password of a key that has none", dict(
        bases["vault_info"], secret=None, x509_certificate_path=ctx.client_certificate,
        x509_certificate_password=CANARIES["option"]))
    # the play of env credentials: module_defaults without secret or password
    add("vault_info", "AZURE_SECRET", "the environment's secret", dict(bases["vault_info"], auth_source="env"),
        host="env")
    add("vault_info", "AZURE_CREDENTIAL_FILE", "the credential file's secret", dict(
        bases["vault_info"], auth_source="credential_file"), host="env")
    add("vault_info", "AZURE_CREDENTIAL_FILE", "a profile with a bad %", dict(
        bases["vault_info"], auth_source="credential_file", profile="broken"), host="env")
    add("vault_info", "~/.azure/credentials", "a malformed credential file", dict(
        bases["vault_info"], auth_source="auto"), host="env", env={"AZURE_CREDENTIAL_FILE": ""})
    add("vault_info", "AZURE_CLIENT_CERTIFICATE_PASSWORD", "the environment's certificate password", dict(
        bases["vault_info"], auth_source="env", secret=None, x509_certificate_path=ctx.client_certificate), host="env")
    add("source_vm_info", "VMWARE_PASSWORD", "the environment's password", dict(bases["source_vm_info"]), host="env")
    add("readiness", "VMWARE_PASSWORD", "the environment's password", dict(bases["readiness"]), host="env")
    add("drill_report", "AZURE_SECRET", "an upload with the environment's secret", dict(
        bases["drill_report"], storage_account="stdrlabcache01", container="drasr-fuzz-none"), host="env")
    return out


def credential_files(ctx):
    """(AZURE_CREDENTIAL_FILE content, ~/.azure/credentials content): the first parses (a default profile whose
    secret the lab refuses, a profile with a stray %), the second does not (a line that is no key = value)."""
    good = ("[default]\nsubscription_id = %s\nclient_id = 0c0ffee0-0000-4000-8000-000000000c1d\n"
            "tenant = 72f988bf-0000-4000-8000-00000000d2a5\nsecret = %s\ncloud_environment = %s\n\n"
            "[broken]\nsubscription_id = %s\nsecret = 100%% %s %%d\n"
            % (ctx.subscription_id, CANARIES["credential_file"], ctx.azure_url + "/metadata/endpoints?api-version="
               "2022-09-01", ctx.subscription_id, CANARIES["credential_file"]))
    home = "[default]\nclient_id = 0c0ffee0-0000-4000-8000-000000000c1d\n%s\n" % CANARIES["home_credentials"]
    return good, home
