# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Modernized experience (InMageRcm), protected items: REST inputs, comparison, facts. Pure functions.

`want` is one VM's wanted settings, resolved by `_asr.items` (ids instead of names, disks and NICs by
their discovered ids; None = not set by the user). `details` is an item's
`providerSpecificDetails` (InMageRcmReplicationDetails, REST camelCase).

    body = enable_input(want, machine)              # InMageRcmEnableProtectionInput
    changes = compare(want, details)                # [Change(key, before, after, updatable)]
    body = update_input(changes, want, details)     # InMageRcmUpdateReplicationProtectedItemInput
    facts = item_facts(details)                     # snake_case
"""

from __future__ import annotations

from ansible_collections.dr.asr.plugins.module_utils._asr.common import AZURE, DIRECTIONS, ON_PREMISES, POINT_KEYWORDS

INSTANCE_TYPE = "InMageRcm"
DEFAULT_DISK_TYPE = "Standard_LRS"

# want key -> InMageRcm field, for the scalar settings both the enable and the update input carry
_SCALARS = (
    ("target_resource_group_id", "targetResourceGroupId", True),   # (key, field, is an ARM id)
    ("target_network_id", "targetNetworkId", True),
    ("test_network_id", "testNetworkId", True),
    ("target_vm_name", "targetVmName", False),
    ("target_vm_size", "targetVmSize", False),
    ("availability_zone", "targetAvailabilityZone", False),
    ("availability_set_id", "targetAvailabilitySetId", True),
    ("proximity_placement_group_id", "targetProximityPlacementGroupId", True),
    ("license_type", "licenseType", False),
    ("sql_server_license_type", "sqlServerLicenseType", False),
    ("linux_license_type", "linuxLicenseType", False),
)
# want key -> InMageRcm tag field (lists of {tagName, tagValue}); seed disk tags only at enable
_TAGS = (("target_vm_tags", "targetVmTags", True), ("target_disk_tags", "targetManagedDiskTags", True),
         ("target_nic_tags", "targetNicTags", True), ("seed_disk_tags", "seedManagedDiskTags", False))
# settings the update input has no field for: fixed once replication is enabled
_FIXED = {
    "process_server_id": "processServerId",
    "multi_vm_group": "multiVmGroupName",
}
# NIC option -> (InMageRcmNicDetails field, InMageRcmNicInput field)
_NIC_FIELDS = (("primary", "isPrimaryNic", "isPrimaryNic"), ("failover", "isSelectedForFailover", "isSelectedForFailover"),
               ("target_subnet", "targetSubnetName", "targetSubnetName"),
               ("target_ip", "targetIPAddress", "targetStaticIPAddress"),
               ("test_subnet", "testSubnetName", "testSubnetName"),
               ("test_ip", "testIPAddress", "testStaticIPAddress"),
               ("target_nic_name", "targetNicName", "targetNicName"))
FIXED_HINT = ("Azure Site Recovery cannot change this on a replicating VM (its update input has no such field). "
              "Disable replication and enable it again with the new value, or leave the option unset.")


class Change(object):
    """One setting that differs: `key` (the option), current `before`, wanted `after`, whether PATCH can change it."""

    __slots__ = ("key", "before", "after", "updatable")

    def __init__(self, key, before, after, updatable=True):
        self.key, self.before, self.after, self.updatable = key, before, after, updatable

    def __repr__(self):
        return "Change(%r, %r -> %r%s)" % (self.key, self.before, self.after, "" if self.updatable else ", fixed")


def _low(value):
    return value.lower() if isinstance(value, str) else value


def _tags_in(tags):
    if tags is None:
        return None
    return [{"tagName": str(k), "tagValue": "" if v is None else str(v)} for k, v in sorted(tags.items())]


def _tags_out(tags):
    return dict((t.get("tagName"), t.get("tagValue") or "") for t in tags or [] if t.get("tagName"))


def _bool_text(value):
    return None if value is None else ("true" if value else "false")


def _text_bool(value):
    if value is None:
        return None
    return str(value).lower() == "true"


def _compact(body):
    """The provider input without unset values (None, empty lists and dicts)."""
    return dict((k, v) for k, v in body.items() if v not in (None, [], {}))


# -- enable ---------------------------------------------------------------------------------------------

def disk_inputs(want, machine):
    """(disksDefault, disksToInclude) of the enable input: one default unless disks are chosen one by one."""
    disk_type = want.get("disk_type") or DEFAULT_DISK_TYPE
    common = {"logStorageAccountId": want.get("log_storage_account_id"), "diskEncryptionSetId":
              want.get("disk_encryption_set_id")}
    chosen = want.get("disks") or []
    if not any(d.get("exclude") is not None or d.get("disk_type") for d in chosen):
        return _compact(dict(common, diskType=disk_type)), None
    by_id = dict(((d.get("id") or "").lower(), d) for d in chosen)
    include = []
    for disk in machine["disks"]:
        spec = by_id.get((disk["id"] or "").lower()) or {}
        if spec.get("exclude"):
            continue
        include.append(_compact(dict(common, diskId=disk["id"], diskType=spec.get("disk_type") or disk_type)))
    return None, include


def enable_input(want, machine):
    """providerSpecificDetails of the PUT that enables replication of `machine` (machine_facts)."""
    body = {"instanceType": INSTANCE_TYPE, "fabricDiscoveryMachineId": machine["id"],
            "processServerId": want.get("process_server_id"), "runAsAccountId": want.get("run_as_account_id"),
            "multiVmGroupName": want.get("multi_vm_group"), "targetSubnetName": want.get("target_subnet"),
            "testSubnetName": want.get("test_subnet")}
    for key, field, _is_id in _SCALARS:
        body[field] = want.get(key)
    for key, field, _updatable in _TAGS:
        body[field] = _tags_in(want.get(key))
    default, include = disk_inputs(want, machine)
    body["disksDefault"] = default
    body["disksToInclude"] = include
    return _compact(body)


# -- current settings ---------------------------------------------------------------------------------------

def current_nics(details):
    """{mac: {option: value}} of the item's NICs, in the module's terms."""
    out = {}
    for nic in details.get("vmNics") or []:
        values = {}
        for option, field, _input in _NIC_FIELDS:
            value = nic.get(field)
            values[option] = _text_bool(value) if option in ("primary", "failover") else (value or "")
        out[(nic.get("nicId") or "").lower()] = values
    return out


def _drive_number(disk):
    """A disk's position as the agent names it (PHYSICALDRIVEn, /dev/sdX), or None."""
    name = (disk.get("diskName") or disk.get("diskId") or "")
    tail = name.rsplit("PHYSICALDRIVE", 1)
    if len(tail) == 2 and tail[1].isdigit():
        return int(tail[1])
    if name.startswith("/dev/") and name[5:7] in ("sd", "vd", "xv"):
        letters = name[7:] if name[5:7] != "xv" else name[8:]
        if letters.isalpha():
            number = 0
            for char in letters:
                number = number * 26 + (ord(char) - 96)
            return number - 1
    return None


def disk_map(machine_disks, details):
    """{VMware disk uuid (lower): the item's disk id} of a replicated VM.

    The item names its disks as the Mobility agent sees them (`{GUID}` and PHYSICALDRIVE1 on Windows
    [recorded], a device on Linux), not by the VMware disk's UUID the enable input took: the disks are matched by
    the OS disk flag, then by capacity where it is unique, then by position (the agent's drive order against
    vCenter's disk order). A disk whose id already is the UUID matches directly."""
    item_disks = list(details.get("protectedDisks") or []) + [dict(d, isOSDisk="false") for d in
                                                              details.get("unprotectedDisks") or []]
    out, left = {}, []
    ids = dict(((d.get("diskId") or "").lower(), d) for d in item_disks)
    for disk in machine_disks:
        uuid = (disk.get("id") or "").lower()
        if uuid in ids:
            out[uuid] = ids.pop(uuid)["diskId"]
        else:
            left.append(disk)
    remaining = [d for d in item_disks if (d.get("diskId") or "").lower() in ids]
    for disk in list(left):
        if disk.get("os_disk"):
            found = [d for d in remaining if str(d.get("isOSDisk")).lower() == "true"]
            if len(found) == 1:
                out[(disk["id"] or "").lower()] = found[0]["diskId"]
                remaining.remove(found[0])
                left.remove(disk)
    for disk in list(left):
        size = disk.get("size_bytes")
        same = [d for d in remaining if size and int(d.get("capacityInBytes") or 0) == int(size)]
        if len(same) == 1 and len([m for m in left if m.get("size_bytes") == size]) == 1:
            out[(disk["id"] or "").lower()] = same[0]["diskId"]
            remaining.remove(same[0])
            left.remove(disk)
    remaining.sort(key=lambda d: (_drive_number(d) is None, _drive_number(d) or 0))
    for disk, item_disk in zip(sorted(left, key=lambda d: d.get("position") or 0), remaining):
        out[(disk["id"] or "").lower()] = item_disk["diskId"]
    return out


def current_disks(details):
    """{disk id: {disk_type, exclude, target_disk_name, log_storage_account_id}} of the item's disks."""
    out = {}
    for disk in details.get("protectedDisks") or []:
        out[(disk.get("diskId") or "").lower()] = dict(
            disk_type=disk.get("diskType"), exclude=False, target_disk_name=disk.get("customTargetDiskName") or "",
            log_storage_account_id=disk.get("logStorageAccountId"))
    for disk in details.get("unprotectedDisks") or []:
        out[(disk.get("diskId") or "").lower()] = dict(disk_type=None, exclude=True, target_disk_name="",
                                                       log_storage_account_id=None)
    return out


def wanted_nics(want, details):
    """{mac: {option: wanted}} for the NIC settings the user set (top-level subnets apply to every NIC
    selected for failover that has none of its own)."""
    current = current_nics(details)
    explicit = dict(((n.get("mac") or "").lower(), n) for n in want.get("nics") or [])
    out = {}
    for mac, now in current.items():
        spec = explicit.get(mac) or {}
        failover = spec.get("failover") if spec.get("failover") is not None else now["failover"]
        values = {}
        for option, _field, _input in _NIC_FIELDS:
            value = spec.get(option)
            if value is None and option in ("target_subnet", "test_subnet") and failover is not False:
                value = want.get(option)
            if value is not None:
                values[option] = value
        if values:
            out[mac] = values
    return out


# -- compare -----------------------------------------------------------------------------------------------

def compare(want, details):
    """The settings that differ between `want` and the item, as Changes (only what the user set counts)."""
    changes = []

    def add(key, before, after, updatable=True, is_id=False):
        if after is None:
            return
        same = _low(before) == _low(after) if is_id or isinstance(after, str) else before == after
        if not same:
            changes.append(Change(key, before, after, updatable))

    for key, field, is_id in _SCALARS:
        before = details.get(field)
        if key in ("availability_zone", "availability_set_id", "proximity_placement_group_id"):
            before = before or ""
        add(key, before, want.get(key), is_id=is_id and key not in ("license_type",))
    for key, field, updatable in _TAGS:
        if want.get(key) is not None:
            wanted = dict((str(k), "" if v is None else str(v)) for k, v in want[key].items())
            add(key, _tags_out(details.get(field)), wanted, updatable)
    for key, field in _FIXED.items():
        add(key, details.get(field) or ("" if key == "multi_vm_group" else None), want.get(key), updatable=False,
            is_id=True)
    _compare_disks(want, details, add)
    _compare_nics(want, details, add)
    return changes


def _compare_disks(want, details, add):
    current = current_disks(details)
    protected = [d for d in current.values() if not d["exclude"]]
    if want.get("log_storage_account_id") is not None and protected:
        add("log_storage_account_id", protected[0]["log_storage_account_id"], want["log_storage_account_id"],
            updatable=False, is_id=True)
    mapping = disk_map(want.get("machine_disks") or [], details)
    explicit = dict(((mapping.get((d.get("id") or "").lower()) or d.get("id") or "").lower(), d)
                    for d in want.get("disks") or [])
    fixed_before, fixed_after, names_before, names_after, default_before = {}, {}, {}, {}, {}
    for disk_id, now in current.items():
        spec = explicit.get(disk_id) or {}
        if spec.get("exclude") is not None and bool(spec["exclude"]) != now["exclude"]:
            fixed_before.setdefault(disk_id, {})["exclude"] = now["exclude"]
            fixed_after.setdefault(disk_id, {})["exclude"] = bool(spec["exclude"])
        if not now["exclude"] and spec.get("disk_type") and _low(spec["disk_type"]) != _low(now["disk_type"]):
            fixed_before.setdefault(disk_id, {})["disk_type"] = now["disk_type"]
            fixed_after.setdefault(disk_id, {})["disk_type"] = spec["disk_type"]
        elif not now["exclude"] and not spec.get("disk_type") and want.get("disk_type") and \
                _low(want["disk_type"]) != _low(now["disk_type"]):
            default_before[disk_id] = now["disk_type"]
        if spec.get("target_disk_name") is not None and spec["target_disk_name"] != now["target_disk_name"]:
            names_before[disk_id] = now["target_disk_name"]
            names_after[disk_id] = spec["target_disk_name"]
    if default_before:
        types = sorted(set(default_before.values()))
        add("disk_type", types[0] if len(types) == 1 else default_before, want["disk_type"], updatable=False)
    if fixed_after:
        add("disks", fixed_before, fixed_after, updatable=False)
    if names_after:
        add("target_disk_names", names_before, names_after)


def _compare_nics(want, details, add):
    current = current_nics(details)
    before, after = {}, {}
    for mac, values in wanted_nics(want, details).items():
        for option, value in values.items():
            now = current[mac].get(option)
            same = now == value if option in ("primary", "failover") else _low(now or "") == _low(value)
            if not same:
                before.setdefault(mac, {})[option] = now
                after.setdefault(mac, {})[option] = value
    if after:
        add("nics", before, after)


def fixed(changes):
    return [c for c in changes if not c.updatable]


def update_input(changes, want, details):
    """providerSpecificDetails of the PATCH that applies the (updatable) changes."""
    body = {"instanceType": INSTANCE_TYPE}
    keys = dict((c.key, c) for c in changes if c.updatable)
    for key, field, _is_id in _SCALARS:
        if key in keys:
            body[field] = keys[key].after
    for key, field, updatable in _TAGS:
        if updatable and key in keys:
            body[field] = _tags_in(keys[key].after)
    if "target_disk_names" in keys:
        body["vmDisks"] = [{"diskId": _disk_id(details, disk_id), "targetDiskName": name}
                           for disk_id, name in sorted(keys["target_disk_names"].after.items())]
    nics = nic_inputs(keys, want, details)
    if nics:
        body["vmNics"] = nics
    return body


def _disk_id(details, lower_id):
    for disk in details.get("protectedDisks") or []:
        if (disk.get("diskId") or "").lower() == lower_id:
            return disk["diskId"]
    return lower_id


def nic_inputs(keys, want, details):
    """vmNics of an update: the NICs whose settings change, and every NIC selected for failover when the
    target or test network changes (each with the subnet it will have there)."""
    changed = keys["nics"].after if "nics" in keys else {}
    network_moves = "target_network_id" in keys or "test_network_id" in keys
    wanted = wanted_nics(want, details)
    out = []
    for nic in details.get("vmNics") or []:
        mac = (nic.get("nicId") or "").lower()
        if mac not in changed and not (network_moves and nic.get("isSelectedForFailover") != "false"):
            continue
        entry = {"nicId": nic.get("nicId")}
        for option, field, input_field in _NIC_FIELDS:
            value = wanted.get(mac, {}).get(option)
            if value is None:
                value = nic.get(field)
                if option in ("primary", "failover"):
                    value = _text_bool(value)
            if option in ("primary", "failover"):
                value = _bool_text(value)
            if value is not None:
                entry[input_field] = value
        out.append(entry)
    return out


def effective_nics(want, details):
    """{mac: {option: value}} the item's NICs will have after the update (for validating subnets and IPs)."""
    out = current_nics(details)
    for mac, values in wanted_nics(want, details).items():
        out.setdefault(mac, {}).update(values)
    return out


# -- facts ---------------------------------------------------------------------------------------------------

def _progress(details):
    for key in ("initialReplicationProgressPercentage", "resyncProgressPercentage"):
        if details.get(key) is not None:
            return details[key]
    return None


def listed(details):
    """Whether the details come from a list answer: a list carries protectedDisks (and vmNics) empty [recorded],
    a GET always has the OS disk. Such details say nothing about disks and NICs."""
    return not details.get("protectedDisks")


def item_facts(details):
    """The provider part of an item's facts (target settings, disks, NICs, agent, replication figures). Disks and
    NICs are None when the details come from a list (`listed`): GET the item for them."""
    agent = details.get("mobilityAgentDetails") or {}
    nics = []
    for mac, values in current_nics(details).items():
        nic = next((n for n in details.get("vmNics") or [] if (n.get("nicId") or "").lower() == mac), {})
        nics.append(dict(values, mac=mac, source_ip=nic.get("sourceIPAddress"), source_network=nic.get("sourceNetworkId")))
    disks = []
    for disk in details.get("protectedDisks") or []:
        disks.append(dict(id=disk.get("diskId"), name=disk.get("diskName"), os_disk=_text_bool(disk.get("isOSDisk")),
                          size_gb=int(disk["capacityInBytes"]) // 1024 ** 3 if disk.get("capacityInBytes") else None,
                          disk_type=disk.get("diskType"), excluded=False, state=disk.get("diskState"),
                          initial_replication_complete=_text_bool(disk.get("isInitialReplicationComplete")),
                          log_storage_account_id=disk.get("logStorageAccountId"),
                          target_disk_name=disk.get("customTargetDiskName"),
                          seed_disk_id=disk.get("seedManagedDiskId"), target_disk_id=disk.get("targetManagedDiskId")))
    for disk in details.get("unprotectedDisks") or []:
        disks.append(dict(id=disk.get("diskId"), name=disk.get("diskName"), os_disk=False,
                          size_gb=int(disk["capacityInBytes"]) // 1024 ** 3 if disk.get("capacityInBytes") else None,
                          disk_type=None, excluded=True, state=None, initial_replication_complete=None,
                          log_storage_account_id=None, target_disk_name=None, seed_disk_id=None, target_disk_id=None))
    return dict(
        provider=details.get("instanceType"),
        progress=_progress(details),
        initial_replication_progress=details.get("initialReplicationProgressPercentage"),
        resync_progress=details.get("resyncProgressPercentage"),
        resync_required=_text_bool(details.get("resyncRequired")),
        rpo_seconds=details.get("lastRpoInSeconds"),
        rpo_calculated_time=details.get("lastRpoCalculatedTime"),
        last_recovery_point_time=details.get("lastRecoveryPointReceived"),
        machine_id=details.get("fabricDiscoveryMachineId"),
        appliance=details.get("processServerName"),
        process_server_id=details.get("processServerId"),
        run_as_account_id=details.get("runAsAccountId"),
        multi_vm_group=details.get("multiVmGroupName") or None,
        os_type=details.get("osType"),
        firmware_type=details.get("firmwareType"),
        target=dict(
            resource_group_id=details.get("targetResourceGroupId"), location=details.get("targetLocation"),
            vm_name=details.get("targetVmName"), vm_size=details.get("targetVmSize"),
            network_id=details.get("targetNetworkId") or None, test_network_id=details.get("testNetworkId") or None,
            availability_zone=details.get("targetAvailabilityZone") or None,
            availability_set_id=details.get("targetAvailabilitySetId") or None,
            proximity_placement_group_id=details.get("targetProximityPlacementGroupId") or None,
            generation=details.get("targetGeneration"),
            license_type=details.get("licenseType"), sql_server_license_type=details.get("sqlServerLicenseType"),
            linux_license_type=details.get("linuxLicenseType"),
            vm_tags=_tags_out(details.get("targetVmTags")), disk_tags=_tags_out(details.get("targetManagedDiskTags")),
            nic_tags=_tags_out(details.get("targetNicTags")), seed_disk_tags=_tags_out(details.get("seedManagedDiskTags")),
        ),
        nics=None if listed(details) else nics,
        disks=None if listed(details) else disks,
        agent=dict(
            version=agent.get("version"), latest_version=agent.get("latestVersion"),
            last_heartbeat=agent.get("lastHeartbeatUtc"), upgradeable=_text_bool(agent.get("isUpgradeable")),
            upgrade_state=details.get("agentUpgradeState"), reasons_blocking_upgrade=agent.get("reasonsBlockingUpgrade") or [],
        ),
    )


# -- the DR lifecycle: state model and action inputs (dr.asr action modules) ----------------------------------
#
# What ASR states explicitly decides (docs/dr-actions.md): the provider and activeLocation say where the VM runs
# and which way it replicates; allowedOperations say what can be done now; the job running on the item (its
# currentScenario, once a job read confirmed it runs) says what is under way. Protection state strings are
# shown, never matched exactly: the service has states nobody documented (tests/recorded holds the ones recorded).
#
# activeLocation is relative to the provider's direction [recorded]: InMageRcm (VMware -> Azure) is active at
# Primary on-premises and at Recovery in Azure; InMageRcmFailback (Azure -> VMware, after a reprotect) at Primary
# in Azure and at Recovery on-premises.
#
#   initial_replication  InMageRcm on-premises, nothing to fail over yet (enabling, initial replication)
#   protected            InMageRcm on-premises: UnplannedFailover / TestFailover allowed
#   test_failover        ... a test failover is up: TestFailoverCleanup allowed
#   failed_over          InMageRcm in Azure: Commit allowed                    -> commit, change recovery point,
#                                                                                reprotect (SwitchProtection)
#   committed            InMageRcm in Azure, no Commit, SwitchProtection       -> reprotect to on-premises
#   reprotecting         InMageRcmFailback in Azure, not yet able to fail back (initial replication)
#   reprotected          InMageRcmFailback in Azure: PlannedFailover allowed   -> failback
#   failed_back          InMageRcmFailback on-premises: Commit / CancelFailover -> commit, cancel, reprotect
#   failback_committed   InMageRcmFailback on-premises, no Commit, SwitchProtection -> reprotect to Azure
#   failed, disabling, unknown
# While a job runs and ASR allows nothing, the phase is the one the job started from (a failover running: still
# `protected`), so what waits for it and what resumes it is clear; `busy` facts name the job.

FAILBACK_INSTANCE_TYPE = "InMageRcmFailback"
PRIMARY, RECOVERY = "Primary", "Recovery"
#: InMageRcmFailbackRecoveryPointType (a failback takes only a type, never a given point)
FAILBACK_POINT_TYPES = ("ApplicationConsistent", "CrashConsistent")
#: the operation that reprotects [recorded: SwitchProtection; ReverseReplicate is another scenario's name]
REPROTECT_OPERATIONS = ("SwitchProtection", "ReverseReplicate")
#: job and item scenario names -> the action they run [recorded names first; the rest the lab's or the SDK's]
SCENARIO_ACTIONS = {
    "enabledr": "enable", "enableprotection": "enable", "updatevmproperties": "update", "disabledr": "disable",
    "purgeprotection": "disable", "testfailover": "test_failover", "testfailovercleanup": "test_failover_cleanup",
    "cleanuptestfailover": "test_failover_cleanup", "unplannedfailover": "failover", "failover": "failover",
    "plannedfailover": "failback", "commitfailover": "commit", "commit": "commit", "failovercommit": "commit",
    "cancelfailover": "cancel", "failovercancel": "cancel", "changepit": "change_recovery_point",
    "applyrecoverypoint": "change_recovery_point", "changerecoverypoint": "change_recovery_point",
    "switchreplicationgroupprotection": "reprotect", "switchprotection": "reprotect", "reprotect": "reprotect",
    "reverserepliction": "reprotect", "reversereplication": "reprotect", "reversereplicate": "reprotect",
    "repairreplication": "repair", "updateapplianceforrpi": "update_appliance",
    "updatemobilityservice": "update_agent",      # the lab's name (not recorded: docs/lab-asr.md)
    "adddisks": "add_disks", "resolvehealtherrors": "resolve_health",      # the lab's names (not recorded)
}
#: the phase a job started from, per where the item runs and the action the job runs (a running job with nothing
#: allowed: see above)
_BUSY_PHASES = {
    (False, ON_PREMISES): {"test_failover": "protected", "failover": "protected", "test_failover_cleanup":
                           "test_failover", "enable": "initial_replication", "repair": "protected",
                           "update": "protected", "update_appliance": "protected", "update_agent": "protected",
                           "add_disks": "protected", "resolve_health": "protected",
                           "reprotect": "initial_replication"},
    (False, AZURE): {"commit": "failed_over", "change_recovery_point": "failed_over", "reprotect": "committed"},
    (True, AZURE): {"failback": "reprotected", "reprotect": "reprotecting", "enable": "reprotecting"},
    (True, ON_PREMISES): {"commit": "failed_back", "cancel": "failed_back", "reprotect": "failback_committed",
                          "failback": "reprotected"},
}


def is_failback(instance_type):
    return (instance_type or "").lower() == FAILBACK_INSTANCE_TYPE.lower()


def runs_in(provider, active_location):
    """Where the VM runs: "on-premises" or "azure" (None: an active location ASR never showed)."""
    failback = is_failback(provider)
    if active_location in (None, "", PRIMARY):
        return AZURE if failback else ON_PREMISES
    if active_location == RECOVERY:
        return ON_PREMISES if failback else AZURE
    return None


def replicates_to(provider, active_location, allowed=None):
    """Where the item's data flows now: "recovery" (VMware -> Azure), "primary" (Azure -> VMware) or None."""
    where = runs_in(provider, active_location)
    if not is_failback(provider) and where == ON_PREMISES:
        return "recovery"
    if is_failback(provider) and where == AZURE:
        return "primary"
    return None


def scenario_action(scenario):
    """The action a job (or item) scenario name runs, or None for one dr.asr does not know."""
    return SCENARIO_ACTIONS.get((scenario or "").replace(" ", "").lower())


def _replicating(state, progress):
    """No operation allowed and no job: an initial replication (ASR's progress, or its state's name says so)."""
    text = (state or "").lower()
    return progress is not None or "initialreplication" in text or "unprotected" in text or "enabling" in text


def phase(provider, active_location, state, allowed, running=None, progress=None):
    """The lifecycle phase (above) of an item. `allowed`: its allowedOperations; `running`: the scenario of the
    job that runs on it now (None when none runs); `progress`: its initial replication %, if ASR gives one."""
    failback = is_failback(provider)
    where = runs_in(provider, active_location)
    ops = set(allowed or [])
    text = (state or "").lower()
    if where is None:
        return "unknown"
    if not failback and where == ON_PREMISES:
        if "TestFailoverCleanup" in ops:
            return "test_failover"
        if ops & {"UnplannedFailover", "TestFailover"}:
            return "protected"
    elif not failback:
        if "Commit" in ops:
            return "failed_over"
        if ops & set(REPROTECT_OPERATIONS):
            return "committed"
    elif where == AZURE:
        if "PlannedFailover" in ops:
            return "reprotected"
    else:
        if "Commit" in ops or "CancelFailover" in ops:
            return "failed_back"
        if ops & set(REPROTECT_OPERATIONS):
            return "failback_committed"
    if "disabling" in text:
        return "disabling"
    if text.endswith("failed"):
        return "failed"
    if running:
        busy = _BUSY_PHASES[(failback, where)].get(scenario_action(running))
        if busy:
            return busy
    if where == (AZURE if failback else ON_PREMISES) and _replicating(state, progress):
        return "reprotecting" if failback else "initial_replication"
    return "unknown"


def test_failover_input(network_id=None, recovery_point_id=None):
    """providerSpecificDetails of an item's test failover (InMageRcmTestFailoverInput); no point = latest."""
    return _compact({"instanceType": INSTANCE_TYPE, "networkId": network_id, "recoveryPointId": recovery_point_id})


def unplanned_failover_input(perform_shutdown, recovery_point_id=None):
    """providerSpecificDetails of a failover to Azure (InMageRcmUnplannedFailoverInput)."""
    return _compact({"instanceType": INSTANCE_TYPE, "performShutdown": _bool_text(bool(perform_shutdown)),
                     "recoveryPointId": recovery_point_id})


def failback_point_type(keyword):
    """The InMageRcmFailback recovery point type for a choice: app-consistent when asked, else crash-consistent
    (the failback synchronizes the latest changes; ASR recommends crash-consistent). None for a given point."""
    if keyword is None:
        return "CrashConsistent"
    if keyword == "LatestApplicationConsistent":
        return "ApplicationConsistent"
    if keyword in POINT_KEYWORDS:
        return "CrashConsistent"
    return None


def planned_failback_input(recovery_point_type):
    """The body of a failback: a planned failover of an InMageRcmFailback item, sent without failoverDirection
    [recorded: TestV2ARCMFailback#12] (InMageRcmFailbackPlannedFailoverProviderInput)."""
    return {"properties": {"providerSpecificDetails": {"instanceType": FAILBACK_INSTANCE_TYPE,
                                                       "recoveryPointType": recovery_point_type}}}


def apply_recovery_point_input(recovery_point_id):
    """providerSpecificDetails of a change of recovery point before commit (InMageRcmApplyRecoveryPointInput)."""
    return {"instanceType": INSTANCE_TYPE, "recoveryPointId": recovery_point_id}


def reprotect_to_primary_input(reprotect_agent_id, datastore_name, log_storage_account_id, policy_id=None):
    """The body of the reprotect Azure -> on-premises of an InMageRcm item, failoverDirection RecoveryToPrimary
    [recorded: TestV2ARCMReprotect#14] (InMageRcmReprotectInput)."""
    return {"properties": {"failoverDirection": DIRECTIONS["recovery_to_primary"], "providerSpecificDetails": _compact(
        {"instanceType": INSTANCE_TYPE, "reprotectAgentId": reprotect_agent_id, "datastoreName": datastore_name,
         "logStorageAccountId": log_storage_account_id, "policyId": policy_id})}}


def reprotect_to_recovery_input(process_server_id, policy_id, run_as_account_id=None):
    """The body of the reprotect on-premises -> Azure of an InMageRcmFailback item, sent without failoverDirection
    [recorded: TestV2ARCM540Reprotect#15] (InMageRcmFailbackReprotectInput)."""
    return {"properties": {"providerSpecificDetails": _compact(
        {"instanceType": FAILBACK_INSTANCE_TYPE, "processServerId": process_server_id, "runAsAccountId":
         run_as_account_id, "policyId": policy_id})}}


def add_disks_input(disk_ids, log_storage_account_id, disk_type):
    """AddDisksInput of an InMageRcm item [S: InMageRcmAddDisksInput]: each disk as enable's disksToInclude names it
    (the discovered machine's disk id), its log storage account and target disk type."""
    return {"properties": {"providerSpecificDetails": {"instanceType": "InMageRcm", "disks": [
        _compact({"diskId": disk_id, "logStorageAccountId": log_storage_account_id, "diskType": disk_type})
        for disk_id in disk_ids]}}}


def plan_failover_inputs(direction, keyword=None, multi_vm_sync_point=None):
    """providerSpecificDetails (a list, one entry per provider) of a recovery plan's test failover, failover or
    failback (RecoveryPlanInMageRcmFailoverInput / RecoveryPlanInMageRcmFailbackFailoverInput)."""
    multi = None if multi_vm_sync_point is None else ("True" if multi_vm_sync_point else "False")
    if direction == "recovery_to_primary":
        return [_compact({"instanceType": FAILBACK_INSTANCE_TYPE, "recoveryPointType": failback_point_type(keyword),
                          "useMultiVmSyncPoint": multi})]
    return [_compact({"instanceType": INSTANCE_TYPE, "recoveryPointType": keyword or "LatestProcessed",
                      "useMultiVmSyncPoint": multi})]


def lifecycle_facts(details):
    """The lifecycle details of either provider: failback status, reprotect target, log storage account."""
    return dict(last_planned_failover_status=details.get("lastPlannedFailoverStatus"),
                reprotect_agent=details.get("reprotectAgentName"), datastore=details.get("targetDataStoreName"),
                log_storage_account_id=details.get("logStorageAccountId"))
