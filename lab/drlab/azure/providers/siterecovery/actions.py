"""The actions of a replicated item (`POST {item}/{action}`) as task lists, shared by items and plans.

Each action is declared once (docs/lab-asr.md, "Actions as task lists"): `validate(ctx, item, body)`
raises an ASR error (no job starts), `tasks(ctx, item, body)` returns the job's tasks (their
callbacks change the item and do the side effects of effects.py, idempotently, at the task's end in
lab time), `custom_details(ctx, item, body)` the job's customDetails (TestFailoverJobDetails,
FailoverJobDetails, AsrJobDetails). This module routes `POST {item}/{action}` (`item_action`): a running
job on the item (409), then `validate` (the gate: `operation` in allowedOperations, then the input); plans.py
runs the same tasks for the items of a plan (every callback finds its item in `task["args"]["item"]`, never
from the job). It sits above items.py (the item, its state and its replication) and below plans.py.

The lifecycle (VMware -> Azure, modernized), and what is simulated. States, operations, job and task names come
from vocabulary.py, where each has its source (recorded real traffic first); the effects outside ASR are the
lab's reading of Microsoft Learn [D]:

* testFailover: the test VM `<name>-test` with NICs `nic-<name>-NN-test` in the test network (the
  input's networkId, else the item's testNetworkId; each NIC's testSubnetName / test IP), disks
  `<name>-OSdisk-00-test`..., running; testFailoverState WaitingForCompletion. The recovery point: the
  input's recoveryPointId, else the latest processed one (the newest when the job starts) [D]; the job
  records it.
* testFailoverCleanup: testFailoverState MarkedForDeletion (it stays so after the cleanup, with TestFailover
  allowed again [recorded]), the test VM, NICs and disks are deleted; lastSuccessfulTestFailoverTime = when
  the test failover started [recorded].
* unplannedFailover (performShutdown "true"/"false" required): the source VM is shut down in vCenter
  (guest shutdown when VMware Tools run, else power off; the failover goes on if that fails [D]; without
  performShutdown the task is skipped [recorded]), replication stops, the Azure VM is created in the target
  resource group / network / subnets with the target size and disks;
  UnplannedFailoverCommitPendingStatesBegin, activeLocation Recovery [recorded].
* applyRecoveryPoint (ChangePit): another recovery point before the commit (the VM is restarted on it).
* failoverCommit: UnplannedFailoverCommitted [recorded]; the recovery points are gone [D].
* reProtect, InMageRcm failed over (commit pending or committed: SwitchProtection [recorded]) with
  InMageRcmReprotectInput (reprotectAgentId, datastoreName, logStorageAccountId, policyId): a pending
  failover is committed first (VmCommitFailover [recorded]); original-location recovery when the
  on-premises VM still exists (it is turned off [D]), else alternate location: the VM is created in
  vCenter on the chosen datastore (powered off) [D]; the provider becomes InMageRcmFailback, active at
  Primary (Azure) [recorded]; initial replication Azure -> on-premises, then Protected.
* plannedFailover (InMageRcmFailback, recoveryPointType): PlannedFailoverTransitionStatesBegin while it
  runs [recorded]; the Azure VM is shut down, the latest changes are synchronized into a new recovery
  point, the on-premises VM is powered on [D]; CommitPendingStatesBegin, activeLocation Recovery
  (on-premises) [recorded].
* failoverCancel (InMageRcmFailback only [D: "Only planned failover from Azure to on-premises can be
  canceled"]): the on-premises VM is turned off, the Azure VM on again, replication resumes: Protected at
  Primary again [guessed].
* failoverCommit (InMageRcmFailback): the Azure VM (with its NICs and disks) is removed [D: "When you
  commit the failover, Site Recovery removes the failed back Azure VMs in Azure"];
  PlannedFailoverCommitted [guessed].
* reProtect, InMageRcmFailback failed back (InMageRcmFailbackReprotectInput: processServerId, policyId,
  runAsAccountId; no failoverDirection [recorded]): a pending failback is committed first; back to
  InMageRcm at Primary, initial replication, Protected.
* repairReplication (when allowed), updateMobilityService, reinstallMobilityService.
* addDisks (InMageRcm, Protected at Primary): disks the appliance discovered on the machine since are protected;
  removeDisks is refused for VMware items (the spec has no InMageRcm input for it); resolveHealthErrors marks the
  given health errors resolved. Lab controls: `POST /_lab/items/health_errors`, `POST /_lab/items/resync_required`.
* updateAppliance (InMageRcmUpdateApplianceForReplicationProtectedItemInput): the item replicates through another
  registered appliance (its process server) afterwards [recorded: TestV2ARCMSwitchAppliance].

Not in the API, refused like ASR would [D]: a planned failover of an InMageRcm item (VMware -> Azure only
has the (unplanned) failover; plannedFailover inputs exist only for InMageRcmFailback), and canceling a
failover to Azure.
"""
import copy

from drlab.azure.providers.siterecovery import common, effects, errors, fabric, items, jobs, providers, vocabulary
from drlab.azure.providers.siterecovery.common import ITEM, ITEM_PATH, private
from drlab.azure.rp import ArmError

#: the tasks last config `asr.durations.<key>` lab seconds (defaults in drlab/azure/config.py DEFAULTS,
#: documented in lab/config/azure.yml): action_prerequisites, tfo_*, failover_*, change_pit, commit*,
#: reprotect_*, failback_*, cancel_*, resync, agent_update, agent_reinstall

RECOVERY_POINT_TYPES = ("ApplicationConsistent", "CrashConsistent")
DIRECTIONS = ("PrimaryToRecovery", "RecoveryToPrimary")
#: prefix of the callback keys of the actions' tasks and hooks (stored with the jobs: never change it)
CALLBACK_PREFIX = "asr.action."

#: SDK action names of a protected item (POST {item}/{name}); `remove` is the disable of items.py
KNOWN_ACTIONS = ("addDisks", "applyRecoveryPoint", "failoverCancel", "failoverCommit", "plannedFailover",
                 "removeDisks", "repairReplication", "reProtect", "resolveHealthErrors", "switchProvider",
                 "testFailover", "testFailoverCleanup", "unplannedFailover", "updateAppliance",
                 "updateMobilityService", "reinstallMobilityService")


def _d(ctx, key):
    return common.duration(ctx, key)


# ---------------------------------------------------------------------------------------------
# input


def _properties(body):
    props = (body or {}).get("properties")
    if props is None:
        return {}
    if not isinstance(props, dict):
        raise errors.invalid_input("The property 'properties' must be an object.")
    return props


def _provider(item):
    return (item["properties"].get("providerSpecificDetails") or {}).get("instanceType") or ""


def _details(item):
    return item["properties"].get("providerSpecificDetails") or {}


def _psd(props, item, required=False, expected=None):
    """providerSpecificDetails of an action input: an object whose instanceType is the item's provider."""
    psd = props.get("providerSpecificDetails")
    if psd is None:
        if required:
            raise errors.missing_input("properties.providerSpecificDetails")
        return {}
    if isinstance(psd, list):      # a recovery plan's list shape given to an item: take the item's entry
        psd = next((p for p in psd if isinstance(p, dict) and str(p.get("instanceType")).lower()
                    == (expected or _provider(item)).lower()), None) or {}
    if not isinstance(psd, dict):
        raise errors.invalid_input("The property 'providerSpecificDetails' must be an object.")
    kind = psd.get("instanceType")
    if not kind:
        raise errors.missing_input("properties.providerSpecificDetails.instanceType")
    providers.get(kind)                 # unknown kinds / other scenarios: ASR's errors
    want = expected or _provider(item)
    if str(kind).lower() != want.lower():
        raise errors.invalid_input(
            "The provider specific input '%s' does not match the replication provider '%s' of the replicated "
            "item '%s'." % (kind, want, item["properties"].get("friendlyName")),
            "Give providerSpecificDetails with instanceType '%s' and retry." % want)
    return psd


def _direction(props, allowed, item):
    value = props.get("failoverDirection")
    if value is None:
        return allowed
    direction = common.choose(value, DIRECTIONS, "properties.failoverDirection")
    if direction != allowed:
        raise errors.invalid_input(
            "The failover direction '%s' is not valid for the replicated item '%s' (provider %s, active location "
            "%s): use '%s'." % (direction, item["properties"].get("friendlyName"), _provider(item),
                                item["properties"].get("activeLocation"), allowed))
    return direction


def _recovery_point(ctx, item, value, field):
    """The item's recovery point `value` (id or name), else the latest processed one; ASR errors."""
    if value:
        point = items.find_recovery_point(ctx, item, value)
        if point is None:
            raise errors.invalid_input("The recovery point '%s' (%s) is not a recovery point of the replicated "
                                       "item '%s'." % (value, field, item["properties"].get("friendlyName")),
                                       "List the item's recovery points and give one of them.")
        return point
    point = items.latest_recovery_point(ctx, item)
    if point is None:
        raise errors.no_recovery_point(item["properties"].get("friendlyName"))
    return point


def _network(ctx, item, network_id, field):
    location = _details(item).get("targetLocation") or (ctx.get(common.vault_id_of(item["id"])) or {}).get(
        "location") or "westeurope"
    return providers.virtual_network(ctx, network_id, location, field)


# ---------------------------------------------------------------------------------------------
# what the callbacks share


def _item(ctx, task):
    item = ctx.get(task["args"]["item"])
    if item is None:
        raise errors.not_found("replicated item", task["args"]["item"])
    return item


def _set(item, protection_state=None, active_location=None, tfo_state=None):
    """Change the item's state; the descriptions come from vocabulary.py."""
    props = item["properties"]
    if active_location is not None:
        props["activeLocation"] = active_location
    if tfo_state is not None:
        props["testFailoverState"] = tfo_state
        props["testFailoverStateDescription"] = vocabulary.TEST_FAILOVER_STATES[tfo_state].value
    if protection_state is not None:
        items.set_state(item, protection_state)
    elif tfo_state is not None:
        items.set_state(item, props.get("protectionState"))
    return item


def _record(item, key):
    """The item's record of an action's side effects (private: what cleanup/commit/failback need)."""
    return private(item).setdefault("actions", {}).setdefault(key, {})


def warn(ctx, job, task, message):
    """A warning on the job's task (an ASR JobErrorDetails with errorLevel Warning)."""
    if job is None or task is None:
        return
    stored = ctx.get(job["id"])
    if stored is None:
        return
    record = next((t for t in private(stored).get("tasks", []) if t.get("taskId") == task.get("taskId")), None)
    entry = errors.asr_error(200, errors.EFFECT_WARNING, message, "", "").job_error(
        task.get("taskId"), common.to_iso(jobs.task_end(task)))
    entry["errorLevel"] = "Warning"
    if record is not None:
        record.setdefault("errors", []).append(entry)
    else:      # a task of a recovery plan's group: the warning goes to the plan job
        stored["properties"].setdefault("errors", []).append(entry)
    ctx.put(stored["id"], stored)


def _update_job_details(ctx, job, item, fields):
    """Set fields of the item's protectedItemDetails entry in the job's customDetails (item or plan job)."""
    stored = ctx.get(job["id"]) if job is not None else None
    if stored is None:
        return
    details = stored["properties"].get("customDetails") or {}
    names = {item["name"], _details(item).get("internalIdentifier")} - {None}     # see _item_details
    for entry in details.get("protectedItemDetails") or []:
        if entry.get("name") in names:
            entry.update(fields)
    ctx.put(stored["id"], stored)


def _source(ctx, item):
    """The on-premises VM of the item as vCenter knows it: {"name", "instance_uuid", "bios_uuid"}."""
    onprem = _record(item, "onprem").get("vm")
    if onprem:
        return dict(onprem)
    machine = fabric.machine_for_item(ctx, item)
    if machine is None:
        return {"name": item["properties"].get("friendlyName")}
    props = machine["properties"]
    return {"name": props.get("displayName"), "instance_uuid": props.get("instanceUuid"),
            "bios_uuid": props.get("biosGuid")}


def _outcome(ctx, job, task, outcome):
    if isinstance(outcome, dict) and outcome.get("warning"):
        warn(ctx, job, task, outcome["warning"])


def _rediscover(ctx, item, power=None):
    """The appliance's discovery sees a power change now (its agents report it; the lab syncs). With `power` ("ON",
    "OFF": the outcome of the lab's own power operation), only the item's machine is updated (fabric.power_seen)."""
    if power is not None and fabric.power_seen(ctx, item, power):
        return
    try:
        fabric.sync(ctx, common.vault_id_of(item["id"]))
    except Exception:  # pylint: disable=broad-except  # discovery is best effort here, its own health shows it
        fabric.LOG.warning("discovery after a power change failed", exc_info=True)


def _discovered_on(ctx, item, outcome):
    """Whether the appliance's discovery may still show the source VM on after a shutdown: it did something, or
    the last discovery saw the VM on (a VM found off that discovery already shows off needs no new discovery: a
    recovery plan's shutdown step discovers once for all its VMs)."""
    if outcome.get("action") not in (None, "none"):
        return True
    machine = fabric.machine_for_item(ctx, item)
    return machine is None or machine["properties"].get("powerStatus") != "OFF"


def _subnet_name(ctx, vnet_id, wanted):
    vnet = ctx.get(vnet_id)
    chosen = providers.subnet(ctx, vnet, None, "subnet") if vnet else None
    if wanted and vnet is not None:
        for candidate in ctx.list(providers.VNET + "/subnets", vnet["id"]) or []:
            if candidate["name"].lower() == wanted.lower():
                return candidate["name"]
    return chosen["name"] if chosen else (wanted or "default")


def vm_spec(ctx, item, test=False, network_id=None):
    """effects.create_azure_vm's spec from the item's InMageRcm details (failover or test failover)."""
    d = _details(item)
    if test:
        network_id = network_id or d.get("testNetworkId")
    else:
        network_id = network_id or d.get("targetNetworkId")
    nics = []
    for nic in d.get("vmNics") or []:
        if str(nic.get("isSelectedForFailover", "true")).lower() != "true":
            continue
        if test:
            ip = nic.get("testIPAddress") if nic.get("testIPAddressType") == "Static" else None
            subnet = nic.get("testSubnetName")
        else:
            ip = nic.get("targetIPAddress") if nic.get("targetIPAddressType") == "Static" else None
            subnet = nic.get("targetSubnetName")
        entry = {"subnet": _subnet_name(ctx, network_id, subnet), "static_ip": ip or None,
                 "primary": str(nic.get("isPrimaryNic")).lower() == "true", "source_nic_id": nic.get("nicId")}
        if nic.get("targetNicName"):
            entry["name"] = nic["targetNicName"] + ("-test" if test else "")
        nics.append(entry)
    disks = []
    for disk in d.get("protectedDisks") or []:
        entry = {"disk_id": disk.get("diskId"), "capacity_bytes": disk.get("capacityInBytes"),
                 "size_gb": disk.get("diskSizeInGB"), "disk_type": disk.get("diskType") or "Standard_LRS",
                 "is_os": str(disk.get("isOSDisk")).lower() == "true", "seed_disk_id": disk.get("seedManagedDiskId")}
        if disk.get("customTargetDiskName"):
            entry["name"] = disk["customTargetDiskName"] + ("-test" if test else "")
        disks.append(entry)
    return {
        "resource_group_id": d.get("targetResourceGroupId"), "vm_name": d.get("targetVmName"),
        "suffix": "-test" if test else "", "network_id": network_id, "nics": nics, "disks": disks,
        "os_type": d.get("osType") or "Linux", "generation": d.get("targetGeneration") or (
            "V2" if (d.get("firmwareType") or "").upper() == "UEFI" else "V1"),
        "vm_size": d.get("targetVmSize"), "cores": d.get("processorCoreCount"), "memory_mb": d.get("allocatedMemoryInMB"),
        "location": d.get("targetLocation"), "zone": d.get("targetAvailabilityZone") or None,
        "availability_set_id": d.get("targetAvailabilitySetId") or None,
        "proximity_placement_group_id": d.get("targetProximityPlacementGroupId") or None,
        "boot_diagnostics_storage_account_id": d.get("targetBootDiagnosticsStorageAccountId") or None,
        "license_type": d.get("licenseType"), "vm_tags": d.get("targetVmTags"), "nic_tags": d.get("targetNicTags"),
        "disk_tags": d.get("targetManagedDiskTags"),
    }


def _affected(item):
    d = _details(item)
    return {"PrimaryVmId": d.get("internalIdentifier", ""), "PrimaryVmName": item["properties"].get("friendlyName"),
            "RecoveryVmName": d.get("targetVmName") or "", "ProtectionProfileId":
                item["properties"].get("policyFriendlyName") or "",
            "PrimaryFabricProviderId": "InMageRcm", "RecoveryFabricProviderId": "Azure"}


def _item_details(item, point=None, **extra):
    """A FailoverReplicationProtectedItemDetails entry [S: TestFailoverJobDetails, FailoverJobDetails]."""
    out = {"name": _details(item).get("internalIdentifier") or item["name"],          # [recorded]
           "friendlyName": item["properties"].get("friendlyName")}
    if point is not None:
        out["recoveryPointId"] = common.asr_id(point["id"])
        out["recoveryPointTime"] = point["time"]
    out.update({k: v for k, v in extra.items() if v is not None})
    return out


def _primary_subnet(spec):
    nics = spec["nics"]
    primary = next((n for n in nics if n.get("primary")), nics[0] if nics else None)
    return primary["subnet"] if primary else None


# ---------------------------------------------------------------------------------------------
# the actions


class ItemAction:
    """One item action (see the module docstring)."""
    #: URL segment (POST {item}/{segment}) and ACTIONS key (lower case)
    segment = ""
    #: the allowedOperations value that gates it (None: gated by validate only)
    operation = None
    #: its job in vocabulary.JOBS (scenario, friendly name, task names, customDetails kind)
    job_key = ""
    #: jobs.py hook run when the job fails or is cancelled (callback key)
    on_failure = None
    #: (possible causes, recommended action) of the refusal when the item's provider never allows
    #: `operation` (vocabulary.STATES has it in no state of that provider)
    unsupported = ("The replication provider of the item does not have this operation.",
                   "Check the replicated item's provider and its allowedOperations.")

    @property
    def scenario(self):
        return vocabulary.job(self.job_key).scenario

    @property
    def friendly_name(self):
        return vocabulary.job(self.job_key).friendly

    def task_name(self, index):
        """The job's task name number `index` (vocabulary.JOBS)."""
        return vocabulary.job(self.job_key).tasks[index]

    def parse(self, ctx, item, body):
        """The normalized input (raises ASR errors); validate/tasks/custom_details share it."""
        return {}

    def gate(self, item):
        """`operation` must be in the item's allowedOperations (vocabulary.STATES: the one table, also what
        the item answers and what recovery plans are gated by). An operation the item's provider has in
        no state is refused as not supported (with the action's `unsupported` hint)."""
        if not self.operation:
            return
        allowed = items.allowed_operations(item)
        if self.operation not in allowed:
            name = item["properties"].get("friendlyName")
            if self.operation not in items.provider_operations(_provider(item)):
                raise errors.not_for_provider(self.segment, name, _provider(item), *self.unsupported)
            raise errors.operation_not_allowed(self.operation, name, allowed)

    def validate(self, ctx, item, body):
        """The gate, then the input (no job starts when either refuses)."""
        self.gate(item)
        self.parse(ctx, item, body)

    def tasks(self, ctx, item, body):
        raise NotImplementedError

    def custom_details(self, ctx, item, body):
        return {"instanceType": "AsrJobDetails", "affectedObjectDetails": _affected(item)}

    # helpers
    def task(self, ctx, index, friendly, key, stage, callback=None, item=None, **args):
        """Task number `index` of the job's recorded task list, lasting config `asr.durations.<key>`."""
        if item is not None:
            args["item"] = item["id"]
        return jobs.Task(self.task_name(index), friendly, _d(ctx, key) if key else 0.0,
                         callback=(CALLBACK_PREFIX + callback) if callback else None, args=args, stage=stage)

    def prerequisites(self, ctx, item, friendly, callback=None, **args):
        return self.task(ctx, 0, friendly, "action_prerequisites", 0, callback, item, **args)


# -- test failover ------------------------------------------------------------------------------------

class TestFailover(ItemAction):
    segment = "testFailover"
    operation = "TestFailover"
    job_key = "test_failover"
    on_failure = "asr.action.tfo_failed"

    def parse(self, ctx, item, body):
        props = _properties(body)
        _direction(props, "PrimaryToRecovery", item)
        psd = _psd(props, item)
        network_id = psd.get("networkId") or props.get("networkId") or _details(item).get("testNetworkId")
        if not network_id:
            raise errors.asr_error(400, errors.INVALID_INPUT, "No test failover network is given for the replicated "
                                   "item '%s', and none is configured on it." % item["properties"]["friendlyName"],
                                   "The input has no networkId and the item's testNetworkId is empty.",
                                   "Give providerSpecificDetails.networkId (a virtual network in the target region) "
                                   "or set the item's test network, and retry.")
        vnet = _network(ctx, item, network_id, "providerSpecificDetails.networkId")
        point = _recovery_point(ctx, item, psd.get("recoveryPointId"), "providerSpecificDetails.recoveryPointId")
        return {"network": vnet, "point": point, "network_type": props.get("networkType") or "VmNetworkAsInput"}

    def tasks(self, ctx, item, body):
        inp = self.parse(ctx, item, body)
        point = {k: inp["point"][k] for k in ("id", "name", "time", "epoch", "type")}
        common_args = {"network": inp["network"]["id"], "point": point}
        return [
            self.prerequisites(ctx, item, "Prerequisites check for test failover", "tfo_prereq", **common_args),
            self.task(ctx, 1, "Create test virtual machine", "tfo_create_vm", 1, "tfo_create", item, **common_args),
            self.task(ctx, 2, "Preparing the virtual machine", "tfo_prepare_vm", 2),
            self.task(ctx, 3, "Start the virtual machine", "tfo_start_vm", 3, "tfo_start", item, **common_args),
        ]

    def custom_details(self, ctx, item, body):
        inp = self.parse(ctx, item, body)
        spec = vm_spec(ctx, item, test=True, network_id=inp["network"]["id"])
        vnet = inp["network"]["name"]
        return {"instanceType": "TestFailoverJobDetails", "affectedObjectDetails": _affected(item),
                "testFailoverStatus": "Active", "comments": "", "networkName": vnet, "networkFriendlyName": vnet,
                "networkType": inp["network_type"],
                "protectedItemDetails": [_item_details(
                    item, inp["point"], testVmName=spec["vm_name"] + "-test", testVmFriendlyName=spec["vm_name"] + "-test",
                    networkConnectionStatus="Connected", networkFriendlyName=vnet, subnet=_primary_subnet(spec))]}


def _tfo_prereq(ctx, job, task):
    item = _item(ctx, task)
    if ctx.get(task["args"]["network"]) is None:
        raise errors.invalid_input("The test failover network '%s' no longer exists." % task["args"]["network"])
    record = _record(item, "test_failover")
    record.update({"started": common.to_iso(task["start"]), "job": job["id"] if job else None,
                   "point": task["args"]["point"], "network": task["args"]["network"]})
    items.save(ctx, item)


def _tfo_create(ctx, job, task):
    item = _item(ctx, task)
    created = effects.create_azure_vm(ctx, vm_spec(ctx, item, test=True, network_id=task["args"]["network"]))
    for message in created.get("warnings") or []:
        warn(ctx, job, task, message)
    item = _item(ctx, task)
    _record(item, "test_failover")["created"] = created
    items.save(ctx, item)


def _tfo_start(ctx, job, task):
    item = _item(ctx, task)
    created = _record(item, "test_failover").get("created") or {}
    effects.set_azure_vm_power(ctx, created.get("vmId"), "running")
    item = _item(ctx, task)
    _set(item, tfo_state="WaitingForCompletion")      # description "Cleanup test failover pending" [spec]
    _record(item, "test_failover")["completed"] = common.to_iso(jobs.task_end(task))
    items.save(ctx, item)


def _tfo_failed(ctx, job, task):
    """A test failover that failed or was cancelled leaves nothing behind, and the item as it was [guessed]."""
    item = ctx.get(private(job).get("target") or "")
    if item is None:
        return
    record = _record(item, "test_failover")
    effects.delete_azure_resources(ctx, record.get("created"))
    item = ctx.get(item["id"])
    private(item).get("actions", {}).pop("test_failover", None)
    items.save(ctx, item)


class TestFailoverCleanup(ItemAction):
    segment = "testFailoverCleanup"
    operation = "TestFailoverCleanup"
    job_key = "test_failover_cleanup"

    def parse(self, ctx, item, body):
        comments = _properties(body).get("comments")
        if comments is not None and not isinstance(comments, str):
            raise errors.invalid_input("The property 'comments' must be a string.")
        if comments and len(comments) > 1024:
            raise errors.invalid_input("The comments of a test failover cleanup take at most 1024 characters.")
        return {"comments": comments or ""}

    def tasks(self, ctx, item, body):
        self.parse(ctx, item, body)
        return [self.prerequisites(ctx, item, "Prerequisites check for test failover cleanup", "cleanup_mark"),
                self.task(ctx, 1, "End the test failover", "tfo_cleanup_end", 1),
                self.task(ctx, 2, "Delete the test virtual machine", "tfo_cleanup_delete", 2, "cleanup_delete", item)]

    def custom_details(self, ctx, item, body):
        inp = self.parse(ctx, item, body)
        record = _record(copy.deepcopy(item), "test_failover")
        created = record.get("created") or {}
        vnet = (record.get("network") or "").rsplit("/", 1)[-1]
        return {"instanceType": "TestFailoverJobDetails", "affectedObjectDetails": _affected(item),
                "testFailoverStatus": "", "comments": inp["comments"], "networkName": vnet,
                "networkFriendlyName": vnet, "networkType": "VmNetworkAsInput",
                "protectedItemDetails": [_item_details(item, record.get("point"), testVmName=created.get("vmName"),
                                                       testVmFriendlyName=created.get("vmName"),
                                                       networkFriendlyName=vnet)]}


def _cleanup_mark(ctx, job, task):
    item = _item(ctx, task)
    _set(item, tfo_state="MarkedForDeletion")
    items.save(ctx, item)


def _cleanup_delete(ctx, job, task):
    item = _item(ctx, task)
    record = _record(item, "test_failover")
    effects.delete_azure_resources(ctx, record.get("created"))
    item = _item(ctx, task)
    record = private(item).get("actions", {}).pop("test_failover", {})
    # testFailoverState stays MarkedForDeletion, TestFailover is allowed again [recorded]
    _set(item, protection_state="Protected")
    item["properties"]["lastSuccessfulTestFailoverTime"] = record.get("started") or common.to_iso(jobs.task_end(task))
    history = private(item).setdefault("test_failovers", [])
    history.append({"started": record.get("started"), "completed": record.get("completed"),
                    "cleaned": common.to_iso(jobs.task_end(task)), "point": record.get("point"),
                    "vm": (record.get("created") or {}).get("vmName")})
    del history[:-20]
    items.save(ctx, item)


# -- failover to Azure --------------------------------------------------------------------------------

class UnplannedFailover(ItemAction):
    segment = "unplannedFailover"
    operation = "UnplannedFailover"
    job_key = "unplanned_failover"
    on_failure = "asr.action.failover_failed"
    unsupported = ("Failback from Azure to on-premises is a planned failover in the modernized experience.",
                   "Use plannedFailover (InMageRcmFailback, recoveryPointType) to fail back.")

    def parse(self, ctx, item, body):
        props = _properties(body)
        _direction(props, "PrimaryToRecovery", item)
        if props.get("sourceSiteOperations") is not None:
            common.choose(props["sourceSiteOperations"], ("Required", "NotRequired"), "properties.sourceSiteOperations")
        psd = _psd(props, item, required=True)
        if psd.get("performShutdown") is None:
            raise errors.missing_input("properties.providerSpecificDetails.performShutdown")
        shutdown = common.choose(str(psd["performShutdown"]).lower(), ("true", "false"),
                                 "providerSpecificDetails.performShutdown") == "true"
        d = _details(item)
        if not d.get("targetNetworkId"):
            raise errors.asr_error(400, errors.INVALID_INPUT, "The replicated item '%s' has no target network for "
                                   "failover." % item["properties"]["friendlyName"],
                                   "The item's targetNetworkId is empty.",
                                   "Update the replicated item with a target network (targetNetworkId) and retry.")
        _network(ctx, item, d["targetNetworkId"], "targetNetworkId")
        providers.resource_group(ctx, d.get("targetResourceGroupId"), "targetResourceGroupId")
        point = _recovery_point(ctx, item, psd.get("recoveryPointId"), "providerSpecificDetails.recoveryPointId")
        return {"shutdown": shutdown, "point": point}

    def tasks(self, ctx, item, body):
        inp = self.parse(ctx, item, body)
        point = {k: inp["point"][k] for k in ("id", "name", "time", "epoch", "type")}
        # VmShutdownVmOnPrimary: without performShutdown it ends at once, Other / "Skipped" [recorded]
        return [self.prerequisites(ctx, item, "Prerequisites check for failover", point=point),
                self.task(ctx, 1, "Shut down the virtual machine", "failover_shutdown" if inp["shutdown"] else None,
                          1, "failover_shutdown", item, shutdown=inp["shutdown"]),
                self.task(ctx, 2, "Start failover", "failover_create_vm", 2, "failover_create", item, point=point),
                self.task(ctx, 3, "Starting Azure virtual machine", "failover_start_vm", 3, "failover_start", item,
                          point=point, scenario=self.scenario)]

    def custom_details(self, ctx, item, body):
        inp = self.parse(ctx, item, body)
        spec = vm_spec(ctx, item)
        vnet = (spec["network_id"] or "").rsplit("/", 1)[-1]
        return {"instanceType": "FailoverJobDetails", "affectedObjectDetails": _affected(item),
                "protectedItemDetails": [_item_details(item, inp["point"], networkFriendlyName=vnet,
                                                       subnet=_primary_subnet(spec))]}


def _failover_shutdown(ctx, job, task):
    """performShutdown: guest shutdown / power off, and the latest changes sent; the failover goes on when it
    fails [D]. Without performShutdown the task is skipped [recorded]."""
    item = _item(ctx, task)
    if not task["args"].get("shutdown"):
        return jobs.SKIPPED
    try:
        outcome = effects.power_off_source(_source(ctx, item))
    except ArmError as err:
        outcome = {"warning": "The source machine could not be shut down (%s); the failover continues." % err.message}
    _outcome(ctx, job, task, outcome)
    if not outcome.get("skipped") and not outcome.get("warning") and _discovered_on(ctx, item, outcome):
        _rediscover(ctx, item, "OFF")
    item = _item(ctx, task)
    items.stop_replication(ctx, item, jobs.task_end(task))
    _record(item, "failover")["source_shutdown"] = outcome
    items.save(ctx, item)


def _failover_create(ctx, job, task):
    item = _item(ctx, task)
    created = effects.create_azure_vm(ctx, vm_spec(ctx, item))
    for message in created.get("warnings") or []:
        warn(ctx, job, task, message)
    item = _item(ctx, task)
    if items.replication(item).get("stopped") is None:
        items.stop_replication(ctx, item, jobs.task_end(task))
    _record(item, "failover").update({"created": created, "point": task["args"]["point"]})
    items.save(ctx, item)


def _failover_start(ctx, job, task):
    item = _item(ctx, task)
    record = _record(item, "failover")
    effects.set_azure_vm_power(ctx, (record.get("created") or {}).get("vmId"), "running")
    item = _item(ctx, task)
    point = task["args"]["point"]
    when = common.to_iso(jobs.task_end(task))
    _set(item, protection_state="UnplannedFailoverCommitPendingStatesBegin", active_location="Recovery")
    props = item["properties"]
    props["lastSuccessfulFailoverTime"] = when
    props["failoverRecoveryPointId"] = point["id"]
    props["providerSpecificDetails"]["failoverRecoveryPointId"] = common.asr_id(point["id"])
    _record(item, "failover").update({"completed": when, "point": point})
    items.save(ctx, item)


def _failover_failed(ctx, job, task):
    """A failover that failed: the Azure VM it made is removed; the item stays failed over only if the VM
    came up [U: ASR asks to retry]."""
    item = ctx.get(private(job).get("target") or "")
    if item is None:
        return
    record = _record(item, "failover")
    if record.get("completed"):
        return
    effects.delete_azure_resources(ctx, record.get("created"))
    item = ctx.get(item["id"])
    private(item).get("actions", {}).pop("failover", None)
    items.resume_replication(ctx, item, common.now_epoch(ctx))
    items.save(ctx, item)


class ApplyRecoveryPoint(ItemAction):
    segment = "applyRecoveryPoint"
    operation = "ChangePit"
    job_key = "change_recovery_point"

    def parse(self, ctx, item, body):
        props = _properties(body)
        psd = _psd(props, item, required=True)
        value = psd.get("recoveryPointId") or props.get("recoveryPointId")
        if not value:
            raise errors.missing_input("properties.providerSpecificDetails.recoveryPointId")
        return {"point": _recovery_point(ctx, item, value, "providerSpecificDetails.recoveryPointId")}

    def tasks(self, ctx, item, body):
        inp = self.parse(ctx, item, body)
        point = {k: inp["point"][k] for k in ("id", "name", "time", "epoch", "type")}
        return [self.prerequisites(ctx, item, "Prerequisites check for change recovery point"),
                self.task(ctx, 1, "Apply the recovery point", "change_pit", 1, "change_pit", item, point=point),
                self.task(ctx, 2, "Starting Azure virtual machine", "failover_start_vm", 2, "change_pit_start", item,
                          point=point)]

    def custom_details(self, ctx, item, body):
        inp = self.parse(ctx, item, body)
        return {"instanceType": "FailoverJobDetails", "affectedObjectDetails": _affected(item),
                "protectedItemDetails": [_item_details(item, inp["point"])]}


def _change_pit(ctx, job, task):
    """The VM's disks move to another point: the VM is stopped while they do [U]."""
    item = _item(ctx, task)
    effects.set_azure_vm_power(ctx, (_record(item, "failover").get("created") or {}).get("vmId"), "deallocated")


def _change_pit_start(ctx, job, task):
    item = _item(ctx, task)
    record = _record(item, "failover")
    effects.set_azure_vm_power(ctx, (record.get("created") or {}).get("vmId"), "running")
    item = _item(ctx, task)
    point = task["args"]["point"]
    record = _record(item, "failover")
    record.setdefault("previous_points", []).append(record.get("point"))
    record["point"] = point
    item["properties"]["failoverRecoveryPointId"] = point["id"]
    item["properties"]["providerSpecificDetails"]["failoverRecoveryPointId"] = common.asr_id(point["id"])
    items.save(ctx, item)


# -- commit / cancel ------------------------------------------------------------------------------------

class FailoverCommit(ItemAction):
    segment = "failoverCommit"
    operation = "Commit"
    job_key = "commit"

    def tasks(self, ctx, item, body):
        failback = _provider(item) == "InMageRcmFailback"
        return [self.prerequisites(ctx, item, "Prerequisites check for commit"),
                self.task(ctx, 1, "Commit the failover", "commit_delete_vm" if failback else "commit", 1, "commit",
                          item)]

    def custom_details(self, ctx, item, body):
        return {"instanceType": "AsrJobDetails", "affectedObjectDetails": _affected(item)}     # [recorded]


def commit_failover(ctx, item, when):
    """What a commit does, also the reprotect's VmCommitFailover while the failover is pending. InMageRcm: the
    recovery points are gone [D], UnplannedFailoverCommitted [recorded]; InMageRcmFailback: the Azure VM (NICs,
    disks) is removed [D: "When you commit the failover, Site Recovery removes the failed back Azure VMs in
    Azure"], PlannedFailoverCommitted [guessed]. Returns the item (saved)."""
    if _provider(item) == "InMageRcmFailback":
        gone = effects.delete_azure_resources(ctx, _record(item, "failover").get("created"))
        item = ctx.get(item["id"])
        _set(item, protection_state="PlannedFailoverCommitted", active_location="Recovery")
        _record(item, "failback").update({"committed": common.to_iso(when), "azure_deleted": gone})
        private(item)["actions"].pop("failover", None)
    else:
        items.clear_recovery_points(ctx, item, when)
        _set(item, protection_state="UnplannedFailoverCommitted", active_location="Recovery")
        _record(item, "failover")["committed"] = common.to_iso(when)
    items.save(ctx, item)
    return item


def committed(item):
    """Whether the item's failover (or failback) is committed, or there is none to commit."""
    return "Commit" not in items.allowed_operations(item)


def _commit(ctx, job, task):
    commit_failover(ctx, _item(ctx, task), jobs.task_end(task))


class FailoverCancel(ItemAction):
    segment = "failoverCancel"
    operation = "CancelFailover"
    job_key = "cancel_failover"
    unsupported = ("Only a planned failover from Azure to on-premises can be canceled; a failover from "
                   "on-premises to Azure cannot.",
                   "Commit the failover, or change its recovery point (applyRecoveryPoint).")

    def tasks(self, ctx, item, body):
        return [self.prerequisites(ctx, item, "Prerequisites check for cancel failover"),
                self.task(ctx, 1, "Shut down the on-premises virtual machine", "cancel_shutdown", 1,
                          "cancel_shutdown", item),
                self.task(ctx, 2, "Resume replication", None, 2),
                self.task(ctx, 3, "Start the Azure virtual machine", "cancel_start_vm", 3, "cancel_start", item)]


def _cancel_shutdown(ctx, job, task):
    item = _item(ctx, task)
    try:
        outcome = effects.power_off_source(_source(ctx, item))
    except ArmError as err:
        outcome = {"warning": "The on-premises machine could not be shut down (%s)." % err.message}
    _outcome(ctx, job, task, outcome)
    if not outcome.get("skipped"):
        _rediscover(ctx, item, None if outcome.get("warning") else "OFF")


def _cancel_start(ctx, job, task):
    item = _item(ctx, task)
    effects.set_azure_vm_power(ctx, (_record(item, "failover").get("created") or {}).get("vmId"), "running")
    item = _item(ctx, task)
    when = jobs.task_end(task)
    items.resume_replication(ctx, item, when)
    # back to where the planned failover started: replicating to on-premises from Azure [guessed]
    _set(item, protection_state="Protected", active_location="Primary")
    item["properties"]["failoverRecoveryPointId"] = None
    details = item["properties"]["providerSpecificDetails"]
    details["lastPlannedFailoverStatus"] = "Cancelled"
    _record(item, "failback").update({"cancelled": common.to_iso(when)})
    items.save(ctx, item)


# -- reprotect ------------------------------------------------------------------------------------------

class Reprotect(ItemAction):
    """Reprotect (`SwitchProtection`), both ways [recorded: SwitchReplicationGroupProtection]: InMageRcm failed over
    to Azure -> InMageRcmFailback (InMageRcmReprotectInput, failoverDirection RecoveryToPrimary); InMageRcmFailback
    failed back -> InMageRcm (InMageRcmFailbackReprotectInput, sent without failoverDirection). A failover still
    pending is committed on the way (VmCommitFailover). Both end active at Primary of the new provider."""
    segment = "reProtect"
    operation = "SwitchProtection"
    job_key = "reprotect"

    def parse(self, ctx, item, body):
        props = _properties(body)
        failback = _provider(item) == "InMageRcmFailback"
        _direction(props, "PrimaryToRecovery" if failback else "RecoveryToPrimary", item)
        psd = _psd(props, item, required=True)
        details = providers.get(_provider(item)).reprotect_details(ctx, item, psd)
        return {"details": details, "failback": failback, "datastore": psd.get("datastoreName"),
                "policy": psd.get("policyId")}

    def tasks(self, ctx, item, body):
        inp = self.parse(ctx, item, body)
        if inp["failback"]:     # on-premises -> Azure again
            discover = self.task(ctx, 2, "Prepare the source machine", "reprotect_prepare", 2, "reprotect_source", item)
        else:
            discover = self.task(ctx, 2, "Prepare the on-premises virtual machine", "reprotect_prepare", 2,
                                 "reprotect_onprem", item, datastore=inp["datastore"])
        return [self.prerequisites(ctx, item, "Prerequisites check for reprotect"),
                self.task(ctx, 1, "Commit the failover", "commit", 1, "reprotect_commit", item),
                discover,
                self.task(ctx, 3, "Get the protection requirements", "reprotect_requirements", 3, "reprotect_switch",
                          item, details=inp["details"], policy=inp["policy"]),
                self.task(ctx, 4, "Protect the replica", "reprotect_configure", 4, "reprotect_start", item)]

    def custom_details(self, ctx, item, body):
        """SwitchProtectionJobDetails [recorded]."""
        failback = _provider(item) == "InMageRcmFailback"
        return {"instanceType": "SwitchProtectionJobDetails", "newReplicationProtectedItemId": None,
                "affectedObjectDetails": {"primaryVmName": item["properties"].get("friendlyName"),
                                          "primaryFabricProviderId": "Azure" if failback else "InMageRcm",
                                          "recoveryFabricProviderId": "InMageRcm" if failback else "Azure"}}


def _reprotect_commit(ctx, job, task):
    """VmCommitFailover: commits a failover (or failback) still pending; nothing to do once committed."""
    item = _item(ctx, task)
    if committed(item):
        return jobs.SKIPPED
    commit_failover(ctx, item, jobs.task_end(task))
    return None


def _alternate_spec(ctx, item, datastore):
    machine = fabric.machine_for_item(ctx, item)
    props = (machine or {}).get("properties") or {}
    source = _source(ctx, item)
    disks = [{"size_gb": max(1, int(d.get("maxSizeInBytes") or 0) // 1024 ** 3)} for d in props.get("disks") or []]
    nics = [{"network": n.get("networkName")} for n in props.get("networkAdapters") or [] if n.get("networkName")]
    return {"name": source.get("name") or item["properties"].get("friendlyName"), "datastore": datastore,
            "guest_id": None, "num_cpu": props.get("numberOfProcessorCore"),
            "memory_mb": props.get("allocatedMemoryInMB"), "firmware": props.get("firmware"),
            "disks": disks or None, "nics": nics,
            "instance_uuid": common.stable_guid(item["id"], "failback-vm"),
            "bios_uuid": source.get("bios_uuid"), "power_on": False}


def _reprotect_onprem(ctx, job, task):
    """Original location when the on-premises VM exists (turned off [D]), else alternate location: the VM is
    created on the chosen datastore [D]."""
    item = _item(ctx, task)
    source = _source(ctx, item)
    record = {}
    try:
        state = effects.source_power_state(source)
        if state is None and effects.vcenter.configured():
            created = effects.create_vm_in_vcenter(_alternate_spec(ctx, item, task["args"]["datastore"]))
            record = {"location": "Alternate", "vm": {"name": created["name"], "instance_uuid": created["instance_uuid"],
                                                      "bios_uuid": created["bios_uuid"]}}
        else:
            outcome = effects.power_off_source(source)
            _outcome(ctx, job, task, outcome)
            record = {"location": "Original", "vm": source if not outcome.get("skipped") else None}
    except ArmError as err:
        raise errors.asr_error(400, errors.INVALID_INPUT, "The on-premises virtual machine could not be prepared "
                               "for reprotection: %s" % err.message, "vCenter refused the operation.",
                               "Check the vCenter server and the datastore, and retry the job.") from None
    item = _item(ctx, task)
    onprem = _record(item, "onprem")
    onprem.update({k: v for k, v in record.items() if v is not None})
    onprem["datastore"] = task["args"]["datastore"]
    items.save(ctx, item)


def _reprotect_source(ctx, job, task):
    """Back to Azure after a failback: the machine the appliance discovered (an alternate-location VM is
    a new machine of the site: the item follows it)."""
    item = _item(ctx, task)
    vm = _record(item, "onprem").get("vm")
    if not vm or _record(item, "onprem").get("location") != "Alternate":
        return
    _rediscover(ctx, item)
    item = _item(ctx, task)
    site_machines = fabric.machines(ctx, fabric.site_of(ctx, fabric.fabric_of(ctx, common.vault_id_of(item["id"])))["id"])
    machine = next((m for m in site_machines if (m["properties"].get("instanceUuid") or "").lower()
                    == (vm.get("instance_uuid") or "").lower()), None)
    if machine is not None:
        private(item)["machine"] = machine["id"]
        private(item)["failback_machine"] = machine["id"]
        items.save(ctx, item)


def _reprotect_switch(ctx, job, task):
    """The item switches to the other direction's provider, active at its Primary; its initial replication starts
    (InitialReplicationStartInProgress, currentScenario EnableProtection: recorded for InMageRcmFailback)."""
    item = _item(ctx, task)
    details = copy.deepcopy(task["args"]["details"])
    if details.get("instanceType") == "InMageRcm" and private(item).get("failback_machine"):
        details["fabricDiscoveryMachineId"] = private(item)["failback_machine"]
    items.switch_provider(item, details)
    _set(item, protection_state="InitialReplicationStartInProgress", active_location="Primary", tfo_state="None")
    item["properties"]["failoverRecoveryPointId"] = None
    if details.get("instanceType") == "InMageRcm":
        private(item).get("actions", {}).pop("failback", None)
        policy = ctx.get(task["args"].get("policy") or "") if task["args"].get("policy") else None
        if policy is not None:
            item["properties"].update(policyId=policy["id"], policyFriendlyName=policy["name"])
    items.save(ctx, item)
    jobs.set_item_scenario(ctx, job, "EnableProtection")


def _reprotect_start(ctx, job, task):
    items.start_initial_replication(ctx, _item(ctx, task), jobs.task_end(task))


# -- failback -------------------------------------------------------------------------------------------

class PlannedFailover(ItemAction):
    segment = "plannedFailover"
    operation = "PlannedFailover"
    job_key = "planned_failover"
    on_failure = "asr.action.failback_failed"
    unsupported = ("VMware machines replicating to Azure fail over with an (unplanned) failover; a planned "
                   "failover is the failback from Azure to on-premises (the SDK has no InMageRcm planned failover "
                   "input).", "Use unplannedFailover with performShutdown 'true' to shut the machine down and fail "
                   "over with its latest changes.")

    def parse(self, ctx, item, body):
        props = _properties(body)
        _direction(props, "RecoveryToPrimary", item)
        psd = _psd(props, item, required=True)
        if psd.get("recoveryPointType") is None:
            raise errors.missing_input("properties.providerSpecificDetails.recoveryPointType")
        kind = common.choose(psd["recoveryPointType"], RECOVERY_POINT_TYPES,
                             "providerSpecificDetails.recoveryPointType")
        return {"type": kind}

    def tasks(self, ctx, item, body):
        inp = self.parse(ctx, item, body)
        return [self.prerequisites(ctx, item, "Prerequisites check for planned failover", "failback_prereq"),
                self.task(ctx, 1, "Shut down the Azure virtual machine", "failback_shutdown_azure", 1,
                          "failback_shutdown", item),
                self.task(ctx, 2, "Synchronize the latest changes to on-premises", "failback_sync", 2,
                          "failback_sync", item, type=inp["type"]),
                self.task(ctx, 3, "Prepare the protected entities", "failback_prepare", 3),
                self.task(ctx, 4, "Start the on-premises virtual machine", "failback_start_vm", 4, "failback_start",
                          item)]

    def custom_details(self, ctx, item, body):
        self.parse(ctx, item, body)
        return {"instanceType": "FailoverJobDetails", "affectedObjectDetails": _affected(item),
                "protectedItemDetails": [_item_details(item)]}


def _failback_prereq(ctx, job, task):
    item = _item(ctx, task)
    details = item["properties"]["providerSpecificDetails"]
    details["lastPlannedFailoverStartTime"] = common.to_iso(task["start"])
    details["lastPlannedFailoverStatus"] = "Unknown"
    _set(item, protection_state="PlannedFailoverTransitionStatesBegin")     # [recorded: while the job runs]
    items.save(ctx, item)


def _failback_shutdown(ctx, job, task):
    item = _item(ctx, task)
    effects.set_azure_vm_power(ctx, (_record(item, "failover").get("created") or {}).get("vmId"), "deallocated")


def _failback_sync(ctx, job, task):
    """[D] "pending changes are copied to on-premises, a latest recovery point of the VM is generated"."""
    item = _item(ctx, task)
    when = jobs.task_end(task)
    items.stop_replication(ctx, item, when)
    point = items.add_recovery_point(item, when, task["args"]["type"], "failback-rp")   # listed and gettable
    _record(item, "failback")["point"] = point
    items.save(ctx, item)
    _update_job_details(ctx, job, item, {"recoveryPointId": common.asr_id(point["id"]),
                                         "recoveryPointTime": point["time"]})


def _failback_start(ctx, job, task):
    item = _item(ctx, task)
    onprem = _record(item, "onprem")
    try:
        outcome = effects.power_on_source(_source(ctx, item))
    except ArmError as err:
        raise errors.asr_error(400, errors.INVALID_INPUT, "The on-premises virtual machine could not be started: "
                               "%s" % err.message, "The virtual machine is missing or vCenter refused to start it.",
                               "Check the virtual machine in vCenter and retry the job.") from None
    _outcome(ctx, job, task, outcome)
    if not outcome.get("skipped"):
        _rediscover(ctx, item, None if outcome.get("warning") else "ON")
    item = _item(ctx, task)
    when = common.to_iso(jobs.task_end(task))
    point = _record(item, "failback").get("point") or {}
    _set(item, protection_state="CommitPendingStatesBegin", active_location="Recovery")     # [recorded]
    props = item["properties"]
    props["lastSuccessfulFailoverTime"] = when
    props["failoverRecoveryPointId"] = point.get("id")
    props["providerSpecificDetails"]["lastPlannedFailoverStatus"] = "Succeeded"
    _record(item, "failback").update({"completed": when, "location": onprem.get("location", "Original")})
    items.save(ctx, item)


def together(ctx, tasks):
    """A context in which the item task callbacks `tasks` (a recovery plan's Boot group items due at the same lab
    time) run: their on-premises VMs to start are powered on at once first (effects.powered_on_together); each
    callback then finds its VM's outcome. Other callbacks need nothing shared."""
    sources = []
    for task in tasks:
        if task.get("callback") != CALLBACK_PREFIX + "failback_start":
            continue
        item = ctx.get((task.get("args") or {}).get("item") or "")
        if item is not None:
            sources.append(_source(ctx, item))
    return effects.powered_on_together(sources)


def _failback_failed(ctx, job, task):
    """[D] a failed planned failover is canceled by ASR: the machine goes back to its state before it."""
    item = ctx.get(private(job).get("target") or "")
    if item is None or _record(item, "failback").get("completed"):
        return
    effects.set_azure_vm_power(ctx, (_record(item, "failover").get("created") or {}).get("vmId"), "running")
    item = ctx.get(item["id"])
    items.resume_replication(ctx, item, common.now_epoch(ctx))
    item["properties"]["providerSpecificDetails"]["lastPlannedFailoverStatus"] = "Failed"
    _set(item, protection_state="Protected", active_location="Primary")
    items.save(ctx, item)


# -- replication and agent maintenance ---------------------------------------------------------------------

class RepairReplication(ItemAction):
    segment = "repairReplication"
    operation = "RepairReplication"
    job_key = "repair"

    def tasks(self, ctx, item, body):
        return [self.prerequisites(ctx, item, "Prerequisites check for resynchronization", "resync_prepare"),
                self.task(ctx, 1, "Resynchronize the replicated item", "resync", 1, "resync", item)]


def _resync_prepare(ctx, job, task):
    item = _item(ctx, task)
    item["properties"]["providerSpecificDetails"]["resyncState"] = "StartedResynchronization"
    items.save(ctx, item)


def _resync(ctx, job, task):
    item = _item(ctx, task)
    details = item["properties"]["providerSpecificDetails"]
    details.update({"resyncRequired": "false", "resyncState": "None"})
    private(item)["health_errors"] = [e for e in private(item).get("health_errors") or []
                                      if e.get("errorCategory") != "Replication"]
    items.save(ctx, item)


# -- disks that follow the VM, health errors ----------------------------------------------------------------------

def _protected_to_azure(action, item):
    """The gate of the item operations ReplicationProtectedItemOperation has no value for (addDisks,
    resolveHealthErrors) [guessed: the portal offers them on a protected item]: InMageRcm, at Primary, Protected."""
    name = item["properties"].get("friendlyName")
    if _provider(item) != "InMageRcm":
        raise errors.not_for_provider(action, name, _provider(item), "Only an item that replicates to Azure "
                                      "(InMageRcm) has this operation.", "Reprotect the item to Azure first.")
    if item["properties"].get("activeLocation") != "Primary" or item["properties"].get("protectionState") != "Protected":
        raise errors.operation_not_allowed(action, name, items.allowed_operations(item))


class AddDisks(ItemAction):
    """addDisks [S: AddDisksInput, InMageRcmAddDisksInput {disks: [InMageRcmDiskInput]}]: disks of the discovered
    machine that the item does not replicate yet are protected (the item stays Protected) [guessed]."""
    segment = "addDisks"
    job_key = "add_disks"

    def gate(self, item):
        _protected_to_azure(self.segment, item)

    def parse(self, ctx, item, body):
        props = _properties(body)
        psd = _psd(props, item, required=True)
        machine = fabric.machine_for_item(ctx, item)
        if machine is None:
            raise errors.not_found("discovered machine of the replicated item", item["properties"].get("friendlyName"))
        disks, mapping = providers.get("InMageRcm").add_disks(ctx, item, machine, psd)
        return {"disks": disks, "mapping": mapping}

    def tasks(self, ctx, item, body):
        parsed = self.parse(ctx, item, body)
        return [self.prerequisites(ctx, item, "Prerequisites check for adding disks"),
                self.task(ctx, 1, "Add disks to replication", "add_disks", 1, "add_disks", item, **parsed)]


def _add_disks(ctx, job, task):
    item = _item(ctx, task)
    details = item["properties"]["providerSpecificDetails"]
    have = {(d.get("diskId") or "").lower() for d in details.get("protectedDisks") or []}
    added = [d for d in task["args"]["disks"] if d["diskId"].lower() not in have]      # idempotent on a restart
    details.setdefault("protectedDisks", []).extend(copy.deepcopy(added))
    details["unprotectedDisks"] = [d for d in details.get("unprotectedDisks") or []
                                   if (d.get("diskId") or "").lower() not in task["args"]["mapping"]]
    private(item).setdefault("disk_uuids", {}).update(task["args"]["mapping"])
    items.save(ctx, item)


class RemoveDisks(ItemAction):
    """removeDisks [S]: RemoveDisksProviderSpecificInput has no InMageRcm kind (A2A only): ASR cannot remove a
    disk of a VMware item; it is refused, nothing starts."""
    segment = "removeDisks"

    def validate(self, ctx, item, body):
        psd = _psd(_properties(body), item, required=True)
        raise errors.not_for_provider(
            self.segment, item["properties"].get("friendlyName"), psd.get("instanceType"),
            "Removing disks from replication has a provider input for Azure VMs (A2A) only; VMware machines "
            "(InMageRcm) have none.", "Disable replication of the item and enable it again without the disk.")


class ResolveHealthErrors(ItemAction):
    """resolveHealthErrors [S: ResolveHealthInput {healthErrors: [{healthErrorId}]}]: the item's health errors of
    those ids are marked resolved; an error whose cause lasts (a condition the lab computes) comes back [guessed]."""
    segment = "resolveHealthErrors"
    job_key = "resolve_health"

    def gate(self, item):
        if _provider(item) not in ("InMageRcm", "InMageRcmFailback"):
            raise errors.not_for_provider(self.segment, item["properties"].get("friendlyName"), _provider(item),
                                          "The lab resolves health errors of modernized items only.", "")

    def parse(self, ctx, item, body):
        wanted = _properties(body).get("healthErrors")
        if wanted is None:
            raise errors.missing_input("properties.healthErrors")
        if not isinstance(wanted, list) or not wanted or not all(isinstance(e, dict) for e in wanted):
            raise errors.invalid_input("'healthErrors' must be a non-empty list of {healthErrorId} objects.")
        current = {e["errorId"].lower(): e for e in items.health_errors(ctx, item, items.replication_status(ctx, item))
                   if e.get("errorId")}
        ids = []
        for entry in wanted:
            value = entry.get("healthErrorId")
            if not value:
                raise errors.missing_input("properties.healthErrors[].healthErrorId")
            if str(value).lower() not in current:
                raise errors.invalid_input(
                    "The health error '%s' is not a health error of the replicated item '%s' (its errors: %s)." % (
                        value, item["properties"].get("friendlyName"), ", ".join(sorted(current)) or "none"),
                    "Read the item's healthErrors and give their errorId.")
            ids.append(str(value).lower())
        return {"ids": ids}

    def tasks(self, ctx, item, body):
        parsed = self.parse(ctx, item, body)
        return [self.prerequisites(ctx, item, "Prerequisites check for resolving health errors"),
                self.task(ctx, 1, "Resolve health errors", "resolve_health", 1, "resolve_health", item, **parsed)]


def _resolve_health(ctx, job, task):
    item = _item(ctx, task)
    ids = set(task["args"]["ids"])
    private(item)["health_errors"] = [e for e in private(item).get("health_errors") or []
                                      if (e.get("errorId") or "").lower() not in ids]
    items.save(ctx, item)


# -- lab controls (/_lab/items/...) ---------------------------------------------------------------------------------

def _admin_item(ctx, body):
    item_id = (body or {}).get("item_id")
    item = ctx.get(ctx.engine.canonical(ctx.parse(item_id)).id) if item_id else None
    if item is None:
        raise ArmError(404, "NotFound", "item_id: no such replicated item: %s" % item_id)
    return item


def _admin_health_errors(ctx, match, body):
    """POST /_lab/items/health_errors {"item_id", "errors": [{"code", "message", "level", "category",
    "possible_causes", "recommended_action"}]}: the item carries these health errors (resolvable by the user) until
    resolveHealthErrors resolves them; answers their errorIds."""
    item = _admin_item(ctx, body)
    added = []
    for spec in (body or {}).get("errors") or []:
        code = str(spec.get("code") or "lab-%d" % (len(private(item).get("health_errors") or []) + 1))
        error = items.health_error(item, code, spec.get("level") or "Error", spec.get("category") or "Replication",
                                   spec.get("message") or "Lab health error %s." % code,
                                   spec.get("possible_causes") or "Injected by the lab.",
                                   spec.get("recommended_action") or "Resolve the health error.",
                                   common.now_epoch(ctx), resolvable="Allowed")
        private(item).setdefault("health_errors", []).append(error)
        added.append(error["errorId"])
    items.save(ctx, item)
    return 200, {"errorIds": added}


def _admin_resync_required(ctx, match, body):
    """POST /_lab/items/resync_required {"item_id"}: ASR asks for a resync of the item (resyncRequired "true",
    RepairReplication allowed, a Replication health error) until repairReplication runs."""
    item = _admin_item(ctx, body)
    item["properties"]["providerSpecificDetails"].update({"resyncRequired": "true", "resyncState": "None"})
    error = items.health_error(item, errors.RESYNC_REQUIRED, "Error", "Replication",
                               "Replication of '%s' needs a resynchronization." % item["properties"].get("friendlyName"),
                               "The source and target disks are out of sync (the agent lost track of changes).",
                               "Resynchronize the replicated item (repairReplication).", common.now_epoch(ctx))
    private(item)["health_errors"] = [e for e in private(item).get("health_errors") or []
                                      if e.get("errorCode") != errors.RESYNC_REQUIRED] + [error]
    items.save(ctx, item)
    return 200, {"errorIds": [error["errorId"]]}


ADMIN_ROUTES = [
    ("POST", r"items/health_errors", _admin_health_errors),
    ("POST", r"items/resync_required", _admin_resync_required),
]


class _AgentAction(ItemAction):
    """Mobility agent maintenance: a protected (or replicating) InMageRcm item with a discovered machine.
    Not an allowedOperations value (ReplicationProtectedItemOperation has none for it): its own gate."""

    def gate(self, item):
        if _provider(item) != "InMageRcm":
            raise errors.not_for_provider(self.segment, item["properties"].get("friendlyName"), _provider(item),
                                          "The Mobility service of the source machine is managed while it "
                                          "replicates to Azure (InMageRcm).", "Reprotect the item to Azure first.")
        if item["properties"].get("activeLocation") != "Primary" or \
                item["properties"].get("protectionState") not in ("Protected", "InitialReplicationInProgress"):
            raise errors.operation_not_allowed(self.segment, item["properties"].get("friendlyName"),
                                               items.allowed_operations(item))

    def parse(self, ctx, item, body):
        run_as = _properties(body).get("runAsAccountId")
        if run_as:
            fabric_body = fabric.fabric_of(ctx, common.vault_id_of(item["id"]))
            site = fabric.site_of(ctx, fabric_body) if fabric_body else None
            known = [a["id"] for a in fabric.run_as_accounts(ctx, site["id"])] if site else []
            if not any(common.same_id(a, run_as) or a.rsplit("/", 1)[-1].lower() == str(run_as).lower() for a in known):
                raise errors.invalid_input("The run-as account '%s' is not a credential of the replication "
                                           "appliance." % run_as)
        return {"run_as": run_as}

    @staticmethod
    def agent(ctx, item):
        machine = fabric.machine_for_item(ctx, item)
        vault = common.vault_id_of(item["id"])
        return machine, (fabric.agent_for_machine(ctx, vault, machine) if machine is not None else None)


class UpdateMobilityService(_AgentAction):
    segment = "updateMobilityService"
    job_key = "update_agent"

    def validate(self, ctx, item, body):
        super().validate(ctx, item, body)
        _machine, agent = self.agent(ctx, item)
        latest = common.appliance_setting(ctx, "agent_version")
        if agent is None:
            raise errors.mobility_service_not_installed(item["properties"].get("friendlyName"))
        if agent.get("agentVersion") == latest:
            raise errors.asr_error(400, errors.OPERATION_NOT_ALLOWED,
                                   "The Mobility service on '%s' is already on the latest version %s." % (
                                       item["properties"].get("friendlyName"), latest),
                                   "The agent needs no update.", "No action is needed.")

    def tasks(self, ctx, item, body):
        self.parse(ctx, item, body)
        return [self.prerequisites(ctx, item, "Prerequisites check for the Mobility service update"),
                self.task(ctx, 1, "Update Mobility Service", "agent_update", 1,
                          "agent_update", item, reinstall=False)]


class ReinstallMobilityService(_AgentAction):
    segment = "reinstallMobilityService"
    job_key = "reinstall_agent"

    def parse(self, ctx, item, body):
        out = super().parse(ctx, item, body)
        if not out["run_as"] and not _details(item).get("runAsAccountId"):
            raise errors.missing_input("properties.runAsAccountId")
        return out

    def tasks(self, ctx, item, body):
        self.parse(ctx, item, body)
        return [self.prerequisites(ctx, item, "Prerequisites check for the Mobility service reinstallation"),
                self.task(ctx, 1, "Reinstall Mobility Service", "agent_reinstall", 1,
                          "agent_update", item, reinstall=True)]


def _agent_update(ctx, job, task):
    item = _item(ctx, task)
    machine, agent = _AgentAction.agent(ctx, item)
    vault = common.vault_id_of(item["id"])
    latest = common.appliance_setting(ctx, "agent_version")
    now = common.to_iso(jobs.task_end(task))
    if machine is not None:
        record = dict(agent or {"biosId": machine["properties"].get("biosGuid"),
                                "fqdn": machine["properties"].get("vmFqdn") or machine["properties"].get("displayName"),
                                "machineId": common.stable_guid("agent", machine["properties"].get("biosGuid")),
                                "osName": (machine["properties"].get("operatingSystemDetails") or {}).get("osName", ""),
                                "csType": "CSPrime", "registeredAt": now})
        record.update({"agentVersion": latest, "lastHeartbeat": now, "withoutRebootTo": None,
                       "source": "PushInstall" if task["args"].get("reinstall") else record.get("source", "Manual")})
        fabric.put_agent(ctx, vault, record)
    item = _item(ctx, task)
    details = item["properties"]["providerSpecificDetails"]
    details.update({"agentUpgradeState": "None", "lastAgentUpgradeType": "Manual",
                    "agentUpgradeJobId": common.asr_id(job["id"]) if job else None,
                    "agentUpgradeAttemptToVersion": latest, "isLastUpgradeSuccessful": "true"})
    items.save(ctx, item)


# -- appliance switch ------------------------------------------------------------------------------------------

class UpdateAppliance(ItemAction):
    """`POST {item}/updateAppliance` [recorded: TestV2ARCMSwitchAppliance#15]: body {properties: {targetApplianceId:
    the target appliance's process server id, providerSpecificDetails: {instanceType: InMageRcm, runAsAccountId?}}};
    job UpdateApplianceForRPI; afterwards processServerId/processServerName (and recoveryServicesProviderId) name the
    new appliance, state and allowedOperations unchanged [recorded #12/#13]. No allowedOperations value gates it
    (ReplicationProtectedItemOperation has none): the lab lets an InMageRcm item at Primary that is protected or in
    initial replication switch [guessed]; the same appliance again is refused [guessed]."""
    segment = "updateAppliance"
    job_key = "update_appliance"

    def gate(self, item):
        _AgentAction.gate(self, item)

    def parse(self, ctx, item, body):
        props = _properties(body)
        target = props.get("targetApplianceId")
        if not target:
            raise errors.missing_input("properties.targetApplianceId")
        self_psd = _psd(props, item, required=True)
        fabric_body = fabric.fabric_of(ctx, common.vault_id_of(item["id"]))
        appliance = fabric.appliance_by_process_server(fabric_body, str(target)) if fabric_body else None
        if appliance is None:
            raise errors.invalid_input("The appliance '%s' (targetApplianceId) is not a process server registered "
                                       "with the vault's replication fabric." % target)
        if str(_details(item).get("processServerId") or "").lower() == str(target).lower():
            raise errors.invalid_input("The replicated item '%s' already replicates through appliance '%s'." % (
                item["properties"].get("friendlyName"), appliance["name"]),
                "Choose another appliance (targetApplianceId).")
        run_as = self_psd.get("runAsAccountId")
        if run_as:
            _AgentAction.parse(self, ctx, item, {"properties": {"runAsAccountId": run_as}})
        return {"appliance": appliance, "run_as": run_as}

    def tasks(self, ctx, item, body):
        parsed = self.parse(ctx, item, body)
        return [self.prerequisites(ctx, item, "Prerequisites check for the appliance switch"),
                self.task(ctx, 1, "Update the appliance of the protected item", "appliance_update", 1,
                          "appliance_update", item, process_server=parsed["appliance"]["ids"]["processServer"],
                          run_as=parsed["run_as"])]


def _appliance_update(ctx, job, task):
    item = _item(ctx, task)
    fabric_body = fabric.fabric_of(ctx, common.vault_id_of(item["id"]))
    appliance = fabric.appliance_by_process_server(fabric_body, task["args"]["process_server"]) if fabric_body else None
    if appliance is None:
        return
    details = item["properties"]["providerSpecificDetails"]
    details.update({"processServerId": appliance["ids"]["processServer"], "processServerName": appliance["name"]})
    if task["args"].get("run_as"):
        details["runAsAccountId"] = task["args"]["run_as"]
    item["properties"]["recoveryServicesProviderId"] = "%s/replicationRecoveryServicesProviders/%s" % (
        fabric_body["id"], appliance["ids"]["dra"])
    items.save(ctx, item)


# ---------------------------------------------------------------------------------------------

ACTIONS = {a.segment.lower(): a for a in (
    TestFailover(), TestFailoverCleanup(), UnplannedFailover(), PlannedFailover(), ApplyRecoveryPoint(),
    FailoverCommit(), FailoverCancel(), Reprotect(), RepairReplication(), UpdateMobilityService(),
    ReinstallMobilityService(), UpdateAppliance(), AddDisks(), RemoveDisks(), ResolveHealthErrors())}

#: the job task callbacks and job hooks of the actions (keys stored with the jobs; installed by registry.py)
CALLBACKS = {CALLBACK_PREFIX + name: fn for name, fn in (
    ("tfo_prereq", _tfo_prereq), ("tfo_create", _tfo_create), ("tfo_start", _tfo_start), ("tfo_failed", _tfo_failed),
    ("cleanup_mark", _cleanup_mark), ("cleanup_delete", _cleanup_delete), ("failover_shutdown", _failover_shutdown),
    ("failover_create", _failover_create), ("failover_start", _failover_start), ("failover_failed", _failover_failed),
    ("change_pit", _change_pit), ("change_pit_start", _change_pit_start), ("commit", _commit),
    ("cancel_shutdown", _cancel_shutdown), ("cancel_start", _cancel_start), ("reprotect_commit", _reprotect_commit),
    ("reprotect_switch", _reprotect_switch), ("reprotect_onprem", _reprotect_onprem),
    ("reprotect_source", _reprotect_source), ("reprotect_start", _reprotect_start),
    ("failback_prereq", _failback_prereq), ("failback_shutdown", _failback_shutdown),
    ("failback_sync", _failback_sync), ("failback_start", _failback_start), ("failback_failed", _failback_failed),
    ("resync_prepare", _resync_prepare), ("resync", _resync), ("agent_update", _agent_update),
    ("appliance_update", _appliance_update), ("add_disks", _add_disks), ("resolve_health", _resolve_health))}


# ---------------------------------------------------------------------------------------------
# the route: POST {item}/{action}

def item_action(ctx, match, query, body):
    """`POST {item}/{action}`: a running job on the item (or a plan job that includes it) refuses it (409), then
    the action's validate (its gate: allowedOperations, then its input); then one job of its tasks."""
    name = match.group("action")
    vault, item = items.existing_item(ctx, match)
    action = ACTIONS.get(name.lower())
    if action is None:
        if name.lower() in (a.lower() for a in KNOWN_ACTIONS):
            raise errors.not_supported(name)
        raise ArmError(404, "NotFound", "No HTTP resource was found that matches the request URI '%s'." % (
            ctx.request.path if ctx.request is not None else name))
    title = item["properties"]["friendlyName"]
    jobs.ensure_idle(ctx, item["id"], title)
    body = body or {}
    action.validate(ctx, item, body)      # allowedOperations (vocabulary.STATES), then the input
    tasks = action.tasks(ctx, item, body)
    details = action.custom_details(ctx, item, body) if hasattr(action, "custom_details") else None
    job = jobs.start_job(ctx, vault, scenario=action.scenario,
                         friendly_name=getattr(action, "friendly_name", None) or action.scenario,
                         target_id=item["id"], target_name=title, target_type="ProtectionEntity", tasks=tasks,
                         custom_details=details or items.job_details(ctx, item),
                         fabric_id=private(item).get("fabric"), on_failure=getattr(action, "on_failure", None),
                         on_restart=getattr(action, "on_restart", None))
    return jobs.lro_response(ctx, job, item["id"])


item_action.resource_type = ITEM

#: after items.py's routes (its `POST {item}/remove` is matched first)
ROUTES = [
    ("POST", ITEM_PATH + r"/(?P<action>[A-Za-z]+)", item_action),
]
