"""The classic experience (configuration server, provider InMageAzureV2) and the way off it: switchProvider.

Classic protection cannot be enabled any more (Microsoft Learn: vmware-physical-azure-classic-deprecation), so the
lab never creates classic items through ARM: an admin seed puts an estate that never migrated into a vault.

* `POST /_lab/classic/seed {"vault_id", "location"?, "configuration_server"?, "version"?, "process_servers"?,
  "vms": [{"name", "disks_gb"?, "agent_version"?, "health"?, "protection_state"?, "blocking_errors"?,
  "multi_vm_group"?}], "target_resource_group_id", "target_network_id", "log_storage_account_id"?, "policy"?}` ->
  `{"vault", "fabric", "container", "policy", "items": {vm: item id}}`. The vault is created when missing (and
  marked seen, so the lab appliance does not auto-register in it), its vault setting says `Vmware` (classic), the
  configuration server fabric (`VMwareDetails`: process servers, master target, run-as accounts, versions,
  heartbeats), its vCenter, its one protection container, an InMageAzureV2 policy mapped to `Microsoft Azure`, and
  one InMageAzureV2 item per VM (Protected at Primary unless told; health from `health`; `blocking_errors` become
  the item's `switchProviderBlockingErrorDetails`). The VM names should be VMs of the lab vCenter: the switch finds
  them in the modernized vault's discovery.
* `POST {item}/switchProvider` (SwitchProviderInput, targetInstanceType InMageRcm, InMageAzureV2SwitchProviderInput
  targetVaultID / targetFabricID / targetApplianceID): refused (400, nothing started) when the item is no
  InMageAzureV2 item, its switchProviderBlockingErrorDetails are not empty (they are named), it already moved, it is
  not Protected at Primary (Learn's prerequisites: initial replication done, not failed over, no resync), the target
  is not a modernized vault of the same region with that appliance, or the appliance did not discover the machine;
  409 while a job runs on it. Else one job: the preflight, the policy copied into the target vault (Learn: named
  `<policy> <vault>_<resource group>`, mapped to the appliance's container), the new InMageRcm item in the target
  vault (replicating from the machine's disks: no new initial copy of a healthy item), and the wait for its first
  recovery point (Learn: the move completes then). Then the classic item shows `switchProviderDetails` (target vault,
  fabric, appliance, the new item's id) and the agent is registered with the appliance.

The job's scenario and task names, the classic item's switchProviderState words and the classic items' allowed
operations are guesses (docs/lab-asr.md, "Guesses and deviations"): no recording or example shows them.
"""
from drlab.azure.providers.siterecovery import common, errors, fabric, items, jobs, policies, providers
from drlab.azure.providers.siterecovery.common import (
    AZURE_FABRIC, CONTAINER, FABRIC, ITEM, ITEM_PATH, POLICY, VCENTER, private)
from drlab.azure.rp import ArmError

INSTANCE_TYPE = "InMageAzureV2"
TARGET_INSTANCE_TYPE = "InMageRcm"
VAULT_SETTING = common.VAULT + "/replicationVaultSettings"
#: [documented] the configuration server, its process servers and the agents must run 9.50 or later
MIN_VERSION = (9, 50)
DEFAULT_VERSION = "9.60.7117.1"
#: [guessed] the job's words
SCENARIO = "SwitchProvider"
FRIENDLY = "Move to modernized experience"
TASKS = ("SwitchProviderPreflightCheck", "SwitchProviderCreatePolicy", "SwitchProviderMigrateReplication",
         "SwitchProviderWaitForRecoveryPoint")
#: [guessed] the classic item's switchProviderState while its move runs and after it
STATE_RUNNING = ("MigrationInProgress", "Moving to the modernized experience")
STATE_DONE = ("MigrationCompleted", "Moved to the modernized experience")


def _version(text):
    try:
        return tuple(int(p) for p in str(text).split(".")[:2])
    except ValueError:
        return (0, 0)


def _guid(*parts):
    return common.stable_guid("classic", *parts)


# -- the seed ---------------------------------------------------------------------------------------------------

def _ensure_vault(ctx, vault_id, location):
    vault = ctx.get(vault_id)
    if vault is None:
        rid = ctx.parse(vault_id)
        if not ctx.exists_rg(rid.subscription, rid.resource_group):
            raise ArmError(404, "ResourceGroupNotFound", "Resource group '%s' could not be found." % rid.resource_group)
        now = common.to_iso(common.now_epoch(ctx))
        vault = {"id": vault_id, "name": vault_id.rsplit("/", 1)[-1], "type": common.VAULT, "location": location,
                 "tags": {}, "sku": {"name": "RS0", "tier": "Standard"}, "etag": 'W/"datetime\'1\'"',
                 "properties": {"provisioningState": "Succeeded", "privateEndpointStateForBackup": "None",
                                "privateEndpointStateForSiteRecovery": "None", "publicNetworkAccess": "Enabled"},
                 "systemData": {"createdBy": "lab", "createdByType": "User", "createdAt": now,
                                "lastModifiedBy": "lab", "lastModifiedByType": "User", "lastModifiedAt": now}}
        ctx.put(vault_id, vault)
        vault = ctx.get(vault_id)
    vault_id = vault["id"]
    if fabric.fabric_of(ctx, vault_id) is not None:
        raise ArmError(409, "Conflict", "The vault '%s' has a replication appliance (modernized experience): a "
                                        "classic estate needs a vault of its own." % vault["name"])
    seen = common.meta_get(ctx, common.VAULTS_SEEN_KEY, {})      # the lab appliance stays out of a classic vault
    seen[vault_id.lower()] = (vault.get("systemData") or {}).get("createdAt") or ""
    common.meta_set(ctx, common.VAULTS_SEEN_KEY, seen)
    setting_id = "%s/replicationVaultSettings/default" % vault_id
    ctx.put(setting_id, {"id": setting_id, "name": "default", "type": VAULT_SETTING,
                         "properties": {"vmwareToAzureProviderType": "Vmware", "migrationSolutionId": None}})
    return vault


def _process_server(ctx, vault_id, name, version, count, primary):
    return {"friendlyName": name, "id": _guid(vault_id, "ps", name).upper(), "ipAddress": "10.0.0.%d" % (10 + count),
            "osType": "Windows", "agentVersion": version, "lastHeartbeat": common.to_iso(common.now_epoch(ctx) - 60),
            "versionStatus": "Supported", "mobilityServiceUpdates": [], "hostId": _guid(vault_id, "ps-host", name),
            "machineCount": "0", "replicationPairCount": "0", "systemLoad": "1", "systemLoadStatus": "Healthy",
            "cpuLoad": "12", "cpuLoadStatus": "Healthy", "totalMemoryInBytes": 34359738368,
            "availableMemoryInBytes": 20401094656, "memoryUsageStatus": "Healthy", "totalSpaceInBytes": 644245094400,
            "availableSpaceInBytes": 429496729600, "spaceUsageStatus": "Healthy", "psServiceStatus": "Running",
            "sslCertExpiryDate": "2029-01-01T00:00:00Z", "sslCertExpiryRemainingDays": 900, "osVersion": "6.3",
            "healthErrors": [], "agentExpiryDate": None, "agentVersionDetails": {
                "version": version, "expiryDate": None, "status": "Supported"},
            "health": "Normal", "psStatsRefreshTime": common.to_iso(common.now_epoch(ctx) - 60),
            "throughputUploadPendingDataInBytes": 0, "throughputInMBps": 0, "throughputInBytes": 0,
            "throughputStatus": "Healthy", "marsCommunicationStatus": "Healthy", "marsRegistrationStatus": "Healthy",
            "_primary": primary}


def _fabric_body(ctx, vault_id, cs_name, version, ps_names):
    name = common.stable_guid(vault_id, "cs", cs_name).replace("-", "") * 2           # [O] a 64-hex hash
    fabric_id = "%s/replicationFabrics/%s" % (vault_id, name)
    servers = [_process_server(ctx, vault_id, ps, version, i, i == 0) for i, ps in enumerate(ps_names)]
    for server in servers:
        server.pop("_primary")
    master = {"id": servers[0]["id"], "ipAddress": servers[0]["ipAddress"], "name": cs_name, "osType": "Windows",
              "agentVersion": version, "lastHeartbeat": servers[0]["lastHeartbeat"], "versionStatus": "Supported",
              "retentionVolumes": [{"volumeName": "E:\\", "capacityInBytes": 1099511627776,
                                    "freeSpaceInBytes": 879609302220, "thresholdPercentage": 80}],
              "dataStores": [], "validationErrors": [], "healthErrors": [], "diskCount": 3, "osVersion": "6.3",
              "agentExpiryDate": None, "marsAgentVersion": "2.0.9249.0", "marsAgentExpiryDate": None,
              "agentVersionDetails": {"version": version, "expiryDate": None, "status": "Supported"},
              "marsAgentVersionDetails": {"version": "2.0.9249.0", "expiryDate": None, "status": "Supported"}}
    heartbeat = common.to_iso(common.now_epoch(ctx) - 60)
    details = {
        "instanceType": "VMware", "processServers": servers, "masterTargetServers": [master],
        "runAsAccounts": [{"accountId": "1", "accountName": "vCenter_account"},
                          {"accountId": "2", "accountName": "push_install_account"}],     # [O] the shape
        "replicationPairCount": "0", "processServerCount": str(len(servers)), "agentCount": "0",
        "protectedServers": "0", "systemLoad": "1", "systemLoadStatus": "Healthy", "cpuLoad": "12",
        "cpuLoadStatus": "Healthy", "totalMemoryInBytes": 34359738368, "availableMemoryInBytes": 20401094656,
        "memoryUsageStatus": "Healthy", "totalSpaceInBytes": 644245094400, "availableSpaceInBytes": 429496729600,
        "spaceUsageStatus": "Healthy", "webLoad": "1", "webLoadStatus": "Healthy", "databaseServerLoad": "1",
        "databaseServerLoadStatus": "Healthy", "csServiceStatus": "Running", "ipAddress": servers[0]["ipAddress"],
        "agentVersion": version, "hostName": cs_name, "lastHeartbeat": heartbeat, "versionStatus": "Supported",
        "sslCertExpiryDate": "2029-01-01T00:00:00Z", "sslCertExpiryRemainingDays": 900, "psTemplateVersion": version,
        "agentExpiryDate": None, "agentVersionDetails": {"version": version, "expiryDate": None, "status": "Supported"},
        "switchProviderBlockingErrorDetails": []}
    return {"id": fabric_id, "name": name, "type": FABRIC, "properties": {
        "friendlyName": cs_name, "encryptionDetails": {"kekState": "None"},
        "rolloverEncryptionDetails": {"kekState": "None"}, "internalIdentifier": common.internal_id(fabric_id),
        "bcdrState": "Valid", "customDetails": details, "healthErrorDetails": [], "health": "Normal"},
        common.PRIVATE: {"classic": True}}


def _disks(vm, name):
    out = []
    for i, size in enumerate(vm.get("disks_gb") or [32]):
        size_bytes = int(float(size) * 1024 ** 3)
        out.append({"diskId": "6000C29%s" % _guid(name, "disk", i).replace("-", "")[:25], "diskName": "%s_disk%d" % (
            name, i), "protectionStage": "Protected", "healthErrorCode": None, "rpoInSeconds": 120,
            "resyncRequired": "false", "resyncProgressPercentage": 100, "resyncDurationInSeconds": 0,
            "diskCapacityInBytes": size_bytes, "fileSystemCapacityInBytes": size_bytes, "sourceDataInMegaBytes": 0.0,
            "psDataInMegaBytes": 0.0, "targetDataInMegaBytes": 0.0, "diskResized": "false",
            "lastRpoCalculatedTime": None, "resyncProcessedBytes": size_bytes, "resyncTotalTransferredBytes": size_bytes,
            "resyncLast15MinutesTransferredBytes": 0, "resyncLastDataTransferTimeUTC": None, "resyncStartTime": None,
            "progressHealth": "NoProgress", "progressStatus": "Completed", "secondsToTakeSwitchProvider": 3600})
    return out


def _health_errors(item_id, vm):
    level = vm.get("health") or "Normal"
    if level == "Normal":
        return []
    return [{"innerHealthErrors": [], "errorSource": "ReplicationUnit", "errorType": "RPO", "errorLevel":
             "Error" if level == "Critical" else "Warning", "errorCategory": "Replication",
             "errorCode": errors.RPO_THRESHOLD_EXCEEDED, "summaryMessage": "The RPO is over the policy's threshold.",
             "errorMessage": "The RPO of '%s' is over the policy's threshold." % vm["name"],
             "possibleCauses": "The process server can't keep up with the churn.",
             "recommendedAction": "Check the process server's health and network.", "creationTimeUtc": None,
             "recoveryProviderErrorMessage": None, "entityId": common.internal_id(item_id),
             "errorId": "%s:%s" % (errors.RPO_THRESHOLD_EXCEEDED, _guid(item_id)[:8]),
             "customerResolvability": "NotAllowed"}]


def _blocking(vm):
    out = []
    for entry in vm.get("blocking_errors") or []:
        out.append({"errorCode": str(entry.get("code") or ""), "errorMessage": entry.get("message") or "",
                    "possibleCauses": entry.get("possible_causes") or "",
                    "recommendedAction": entry.get("recommended_action") or "",
                    "errorMessageParameters": {}, "errorTags": {}})
    return out


def _item_body(ctx, vault_id, fabric_body, container, policy, vm, body):
    name = vm["name"]
    item_name = _guid(vault_id, "item", name)
    item_id = "%s/replicationProtectedItems/%s" % (container["id"], item_name)
    servers = fabric_body["properties"]["customDetails"]["processServers"]
    server = servers[int(vm.get("process_server", 0)) % len(servers)]
    agent = vm.get("agent_version") or fabric_body["properties"]["customDetails"]["agentVersion"]
    state = vm.get("protection_state") or "Protected"
    now = common.now_epoch(ctx)
    disks = _disks(vm, name)
    details = {
        "instanceType": INSTANCE_TYPE, "infrastructureVmId": _guid(name, "infra"),
        "vCenterInfrastructureId": _guid(vault_id, "vcenter"), "protectionStage": "Protected" if state == "Protected"
        else "Resync", "vmId": _guid(name, "vm"), "vmProtectionState": state, "vmProtectionStateDescription": state,
        "resyncProgressPercentage": 100 if state == "Protected" else 40, "rpoInSeconds": 120,
        "compressedDataRateInMB": 0.1, "uncompressedDataRateInMB": 0.3, "ipAddress": "10.0.1.%d" % (
            10 + sum(ord(c) for c in name) % 200), "agentVersion": agent, "agentExpiryDate": None,
        "isAgentUpdateRequired": "false", "isRebootAfterUpdateRequired": "false",
        "lastHeartbeat": common.to_iso(now - 30), "processServerId": server["id"],
        "processServerName": server["friendlyName"], "multiVmGroupId": _guid(vault_id, "group", vm.get(
            "multi_vm_group") or name), "multiVmGroupName": vm.get("multi_vm_group") or name,
        "multiVmSyncStatus": "Disabled", "protectedDisks": disks, "diskResized": "false",
        "masterTargetId": fabric_body["properties"]["customDetails"]["masterTargetServers"][0]["id"],
        "sourceVmCpuCount": 2, "sourceVmRamSizeInMB": 4096, "osType": "Linux", "vhdName": disks[0]["diskName"],
        "osDiskId": disks[0]["diskId"], "azureVMDiskDetails": [], "recoveryAzureVMName": name,
        "recoveryAzureVMSize": vm.get("target_vm_size") or "Standard_D2s_v3", "recoveryAzureStorageAccount": None,
        "recoveryAzureLogStorageAccountId": body.get("log_storage_account_id"), "vmNics": [],
        "selectedRecoveryAzureNetworkId": body.get("target_network_id"), "selectedTfoAzureNetworkId": None,
        "selectedSourceNicId": None, "discoveryType": "vCenter", "enableRdpOnTargetOption": "Never",
        "datastores": ["datastore1"], "targetVmId": None,
        "recoveryAzureResourceGroupId": body.get("target_resource_group_id"), "recoveryAvailabilitySetId": None,
        "targetAvailabilityZone": None, "targetProximityPlacementGroupId": None, "useManagedDisks": "True",
        "licenseType": "NoLicenseType", "sqlServerLicenseType": "NotSpecified", "validationErrors": [],
        "lastRpoCalculatedTime": common.to_iso(now - 120), "lastUpdateReceivedTime": common.to_iso(now - 30),
        "replicaId": _guid(name, "replica"), "osVersion": "Ubuntu 22.04", "protectedManagedDisks": [],
        "lastRecoveryPointReceived": common.to_iso(now - 300), "firmwareType": "BIOS", "azureVmGeneration": "1",
        "isAdditionalStatsAvailable": False, "totalDataTransferred": 0, "totalProgressHealth": "NoProgress",
        "targetVmTags": {}, "seedManagedDiskTags": {}, "targetManagedDiskTags": {}, "targetNicTags": {},
        "switchProviderBlockingErrorDetails": _blocking(vm), "switchProviderDetails": None,
        "supportedOSVersions": [], "allAvailableOSUpgradeConfigurations": [], "osName": "Ubuntu 22.04"}
    return {"id": item_id, "name": item_name, "type": ITEM, "properties": {
        "friendlyName": name, "protectedItemType": "VMwareVirtualMachine",
        "protectableItemId": "%s/replicationProtectableItems/%s" % (container["id"], _guid(name, "protectable")),
        "recoveryServicesProviderId": "%s/replicationRecoveryServicesProviders/%s" % (
            fabric_body["id"], _guid(vault_id, "dra")),
        "primaryFabricFriendlyName": fabric_body["properties"]["friendlyName"], "primaryFabricProvider": "VMware",
        "recoveryFabricFriendlyName": AZURE_FABRIC, "recoveryFabricId": AZURE_FABRIC,
        "primaryProtectionContainerFriendlyName": container["properties"]["friendlyName"],
        "recoveryProtectionContainerFriendlyName": AZURE_FABRIC, "protectionState": state,
        "protectionStateDescription": "Protected" if state == "Protected" else state, "activeLocation": "Primary",
        "testFailoverState": "None", "testFailoverStateDescription": "None", "switchProviderState": "None",
        "switchProviderStateDescription": None, "policyId": policy["id"], "policyFriendlyName": policy["name"],
        "lastSuccessfulFailoverTime": None, "lastSuccessfulTestFailoverTime": None, "failoverRecoveryPointId": None,
        "providerSpecificDetails": details, "recoveryContainerId": AZURE_FABRIC,
        "eventCorrelationId": _guid(item_id, "events")},
        common.PRIVATE: {"classic": True, "health_errors": _health_errors(item_id, vm),
                         "replication": {"windows": [], "ir": None, "protected_since": None, "stopped": None,
                                         "rp_floor": None}}}


def _seed(ctx, match, body):
    body = body or {}
    vault_id = body.get("vault_id")
    if not vault_id:
        raise ArmError(400, "BadRequest", "vault_id is required")
    vms = body.get("vms") or []
    if not isinstance(vms, list) or not all(isinstance(v, dict) and v.get("name") for v in vms):
        raise ArmError(400, "BadRequest", "vms: a list of {name, ...}")
    vault = _ensure_vault(ctx, vault_id, body.get("location") or "westeurope")
    vault_id = vault["id"]
    version = body.get("version") or DEFAULT_VERSION
    cs_name = body.get("configuration_server") or "cs-lab-01"
    fabric_body = None
    for existing in ctx.list(FABRIC, vault_id):
        if (existing["properties"].get("customDetails") or {}).get("instanceType") == "VMware":
            fabric_body = existing
    if fabric_body is None:
        fabric_body = _fabric_body(ctx, vault_id, cs_name, version, body.get("process_servers") or [cs_name])
        ctx.put(fabric_body["id"], fabric_body)
        vcenter_id = "%s/replicationvCenters/%s" % (fabric_body["id"], _guid(vault_id, "vcenter"))
        ctx.put(vcenter_id, {"id": vcenter_id, "name": vcenter_id.rsplit("/", 1)[-1], "type": VCENTER, "properties": {
            "friendlyName": body.get("vcenter") or "vcenter-lab", "internalId": _guid(vault_id, "vcenter"),
            "lastHeartbeat": None, "discoveryStatus": "Completed",
            "processServerId": fabric_body["properties"]["customDetails"]["processServers"][0]["id"],
            "ipAddress": "127.0.0.1", "infrastructureId": _guid(vault_id, "vcenter"), "port": "443",
            "runAsAccountId": "1", "fabricArmResourceName": fabric_body["name"], "healthErrors": []}})
        container_id = "%s/replicationProtectionContainers/cloud_%s" % (fabric_body["id"], _guid(vault_id, "cloud"))
        ctx.put(container_id, {"id": container_id, "name": container_id.rsplit("/", 1)[-1], "type": CONTAINER,
                               "properties": {"fabricFriendlyName": cs_name, "friendlyName": cs_name,
                                              "fabricType": "VMware", "role": "Primary",
                                              "fabricSpecificDetails": None}})
    fabric_body = ctx.get(fabric_body["id"])
    container = ctx.list(CONTAINER, fabric_body["id"])[0]
    policy_name = body.get("policy") or "classic-24h-policy"
    policy_id = "%s/replicationPolicies/%s" % (vault_id, policy_name)
    if ctx.get(policy_id) is None:
        ctx.put(policy_id, {"id": policy_id, "name": policy_name, "type": POLICY, "properties": {
            "friendlyName": policy_name, "providerSpecificDetails": {
                "instanceType": INSTANCE_TYPE, "crashConsistentFrequencyInMinutes": 5,
                "recoveryPointThresholdInMinutes": 15, "recoveryPointHistory": 1440,
                "appConsistentFrequencyInMinutes": 60, "multiVmSyncStatus": "Enabled"}}})
        mapping_id = "%s/replicationProtectionContainerMappings/%s-mapping" % (container["id"], policy_name)
        ctx.put(mapping_id, policies.new_mapping(container, fabric_body, mapping_id, mapping_id.rsplit("/", 1)[-1],
                                                 ctx.get(policy_id), None))
        mapping = ctx.get(mapping_id)
        mapping["properties"].update(targetProtectionContainerId=AZURE_FABRIC,
                                     targetProtectionContainerFriendlyName=AZURE_FABRIC,
                                     targetFabricFriendlyName=AZURE_FABRIC)
        ctx.put(mapping_id, mapping)
    policy = ctx.get(policy_id)
    out = {}
    for vm in vms:
        item = _item_body(ctx, vault_id, fabric_body, container, policy, vm, body)
        if ctx.get(item["id"]) is None:
            ctx.put(item["id"], item)
        out[vm["name"]] = common.asr_id(item["id"])
    return 200, {"vault": common.asr_id(vault_id), "fabric": common.asr_id(fabric_body["id"]),
                 "container": common.asr_id(container["id"]), "policy": common.asr_id(policy_id), "items": out}


# -- switchProvider ---------------------------------------------------------------------------------------------

def _refuse(message, action, causes=""):
    raise errors.asr_error(400, errors.OPERATION_NOT_ALLOWED, message, causes, action)


def _target(ctx, item, inp):
    field = "properties.providerSpecificDetails."
    vault_ref = inp.get("targetVaultID")
    if not vault_ref:
        raise errors.missing_input(field + "targetVaultID")
    target_vault = ctx.get(vault_ref)
    if target_vault is None:
        raise errors.invalid_input("The target vault '%s' (%s) does not exist." % (vault_ref, field + "targetVaultID"))
    source_vault = ctx.get(common.vault_id_of(item["id"]))
    if common.same_id(target_vault["id"], source_vault["id"]):
        raise errors.invalid_input("The target vault must be another vault, one with the modernized experience.")
    if (target_vault.get("location") or "").lower() != (source_vault.get("location") or "").lower():
        raise errors.invalid_input("The target vault '%s' is in %s; it must be in the classic vault's region %s." % (
            target_vault["name"], target_vault.get("location"), source_vault.get("location")))
    target_fabric = fabric.fabric_of(ctx, target_vault["id"])
    if target_fabric is None:
        _refuse("The vault '%s' has no replication appliance registered (modernized experience)." % target_vault["name"],
                "Deploy a replication appliance, register it with the vault and add the vCenter server to it.")
    if not common.same_id(inp.get("targetFabricID"), target_fabric["id"]):
        raise errors.invalid_input("The target fabric '%s' (%s) is not the replication fabric of vault '%s' (%s)." % (
            inp.get("targetFabricID"), field + "targetFabricID", target_vault["name"], target_fabric["name"]))
    appliance = fabric.appliance_by_process_server(target_fabric, inp.get("targetApplianceID"))
    if appliance is None:
        raise errors.invalid_input("The appliance '%s' (%s) is not registered in fabric '%s'." % (
            inp.get("targetApplianceID"), field + "targetApplianceID", target_fabric["name"]))
    site = fabric.site_of(ctx, target_fabric)
    name = item["properties"]["friendlyName"].lower()
    machine = next((m for m in fabric.machines(ctx, site["id"]) if (m["properties"].get("displayName") or "").lower()
                    == name and not m["properties"].get("isDeleted")), None)
    if machine is None:
        _refuse("The replication appliance '%s' has not discovered the machine '%s'." % (appliance["name"], name),
                "Add the machine's vCenter server to the appliance and wait for its discovery.")
    return target_vault, target_fabric, appliance, machine


def _gate(ctx, item):
    props = item["properties"]
    details = props.get("providerSpecificDetails") or {}
    name = props.get("friendlyName")
    if details.get("instanceType") != INSTANCE_TYPE:
        _refuse("Only items replicating through a configuration server (InMageAzureV2) can move to the modernized "
                "experience; '%s' uses %s." % (name, details.get("instanceType")), "No action is needed.")
    if details.get("switchProviderDetails"):
        _refuse("The replicated item '%s' has already moved to the modernized experience." % name,
                "Manage it from the target vault.")
    blocking = details.get("switchProviderBlockingErrorDetails") or []
    if blocking:
        raise errors.asr_error(400, errors.OPERATION_NOT_ALLOWED, "The replicated item '%s' can't move to the "
                               "modernized experience: %s." % (name, "; ".join(
                                   "%s %s" % (b.get("errorCode"), b.get("errorMessage")) for b in blocking)),
                               "; ".join(b.get("possibleCauses") or "" for b in blocking),
                               "; ".join(b.get("recommendedAction") or "" for b in blocking))
    if props.get("protectionState") != "Protected" or props.get("activeLocation") != "Primary":
        _refuse("The replicated item '%s' is %s at %s: only a protected item replicating to Azure (initial "
                "replication done, not failed over, no resynchronization) can move." % (
                    name, props.get("protectionState"), props.get("activeLocation")),
                "Wait for its initial replication or resynchronization to finish, or commit and reprotect it.")
    cs = ctx.get(private(item).get("fabric") or item["id"].split("/replicationProtectionContainers/")[0])
    cs_version = ((cs or {}).get("properties", {}).get("customDetails") or {}).get("agentVersion")
    for what, version in (("configuration server", cs_version), ("Mobility service", details.get("agentVersion"))):
        if _version(version) < MIN_VERSION:
            _refuse("The %s of '%s' runs version %s; moving needs 9.50 or later." % (what, name, version),
                    "Upgrade the %s to 9.50 or later." % what)


def switch_provider(ctx, match, query, body):
    vault_id, item = items.existing_item(ctx, match)
    jobs.ensure_idle(ctx, item["id"], match.group("item"))
    props = (body or {}).get("properties")
    if not isinstance(props, dict):
        raise errors.missing_input("properties")
    if props.get("targetInstanceType") != TARGET_INSTANCE_TYPE:
        raise errors.invalid_input("targetInstanceType must be InMageRcm (the modernized experience), not %r." %
                                   props.get("targetInstanceType"))
    inp = props.get("providerSpecificDetails")
    if not isinstance(inp, dict) or inp.get("instanceType") != INSTANCE_TYPE:
        raise errors.invalid_input("properties.providerSpecificDetails must be an InMageAzureV2SwitchProviderInput "
                                   "(instanceType InMageAzureV2).")
    _gate(ctx, item)
    target_vault, target_fabric, appliance, machine = _target(ctx, item, inp)
    item["properties"]["switchProviderState"], item["properties"]["switchProviderStateDescription"] = STATE_RUNNING
    items.save(ctx, item)
    args = {"target_vault": target_vault["id"], "target_fabric": target_fabric["id"],
            "appliance": appliance["ids"]["processServer"], "machine": machine["id"], "item": item["id"]}
    prereq = common.duration(ctx, "action_prerequisites")
    wait = common.duration(ctx, "initial_replication_completion")
    tasks = [jobs.Task(TASKS[0], "Prerequisites check for moving to the modernized experience", prereq, stage=0),
             jobs.Task(TASKS[1], "Creating the replication policy in the target vault", prereq,
                       callback="asr.classic.policy", args=args, stage=1),
             jobs.Task(TASKS[2], "Moving replication to the replication appliance", prereq * 2,
                       callback="asr.classic.migrate", args=args, stage=2),
             jobs.Task(TASKS[3], "Waiting for the first recovery point in the target vault", wait + 1,
                       callback="asr.classic.done", args=args, stage=3)]
    job = jobs.start_job(ctx, vault_id, scenario=SCENARIO, friendly_name=FRIENDLY, target_id=item["id"],
                         target_name=item["properties"]["friendlyName"], target_type="ProtectionEntity", tasks=tasks,
                         on_failure="asr.classic.failed",
                         custom_details={"instanceType": "AsrJobDetails", "affectedObjectDetails": {
                             "PrimaryVmName": item["properties"]["friendlyName"],
                             "TargetVaultId": common.asr_id(target_vault["id"])}})
    return jobs.lro_response(ctx, job, item["id"])


def _policy_name(ctx, classic_policy, target_vault):
    rid = ctx.parse(target_vault)
    return "%s %s_%s" % (classic_policy["name"], target_vault.rsplit("/", 1)[-1], rid.resource_group)


def _cb_policy(ctx, job, task):
    """[documented] the classic policy copied into the target vault (same settings), mapped to the appliance."""
    args = task["args"]
    item = ctx.get(args["item"])
    classic_policy = ctx.get(item["properties"]["policyId"])
    old = classic_policy["properties"]["providerSpecificDetails"]
    name = _policy_name(ctx, classic_policy, args["target_vault"])
    policy_id = "%s/replicationPolicies/%s" % (args["target_vault"], name)
    if ctx.get(policy_id) is None:
        ctx.put(policy_id, {"id": policy_id, "name": name, "type": POLICY, "properties": {
            "friendlyName": name, "providerSpecificDetails": {
                "instanceType": TARGET_INSTANCE_TYPE,
                "recoveryPointHistoryInMinutes": old.get("recoveryPointHistory") or 1440,
                "crashConsistentFrequencyInMinutes": old.get("crashConsistentFrequencyInMinutes") or 5,
                "appConsistentFrequencyInMinutes": old.get("appConsistentFrequencyInMinutes") or 60,
                "enableMultiVmSync": "true" if old.get("multiVmSyncStatus") == "Enabled" else "false"}}})
    target_fabric = ctx.get(args["target_fabric"])
    container = fabric.container_of(ctx, target_fabric)
    if policies.mapping_for(ctx, container["id"], policy_id) is None:
        mapping_id = "%s/replicationProtectionContainerMappings/%s" % (
            container["id"], common.stable_guid(policy_id, "mapping"))
        ctx.put(mapping_id, policies.new_mapping(container, target_fabric, mapping_id, mapping_id.rsplit("/", 1)[-1],
                                                 ctx.get(policy_id), {"instanceType": TARGET_INSTANCE_TYPE,
                                                                      "enableAgentAutoUpgrade": "true"}))


def _cb_migrate(ctx, job, task):
    """The new InMageRcm item in the target vault, replicating from the classic item's disks (no new initial copy:
    Learn's "smart replication"); the agent now registered with the appliance."""
    args = task["args"]
    item = ctx.get(args["item"])
    machine = ctx.get(args["machine"])
    if machine is None or item is None:
        raise errors.not_found("machine", args["machine"])
    target_fabric = ctx.get(args["target_fabric"])
    container = fabric.container_of(ctx, target_fabric)
    old = item["properties"]["providerSpecificDetails"]
    props = machine["properties"]
    fabric.put_agent(ctx, args["target_vault"], {
        "biosId": props["biosGuid"], "fqdn": props.get("vmFqdn") or props["displayName"],
        "agentVersion": common.appliance_setting(ctx, "agent_version"),
        "machineId": common.stable_guid("agent", props["biosGuid"]), "osName": (props.get(
            "operatingSystemDetails") or {}).get("osName", ""), "csType": "CSPrime", "source": "SwitchProvider",
        "registeredAt": common.to_iso(jobs.task_end(task)), "lastHeartbeat": common.to_iso(jobs.task_end(task))})
    policy_name = _policy_name(ctx, ctx.get(item["properties"]["policyId"]), args["target_vault"])
    policy = ctx.get("%s/replicationPolicies/%s" % (args["target_vault"], policy_name))
    new_name = common.stable_guid(item["id"], "switched")
    new_id = "%s/replicationProtectedItems/%s" % (container["id"], new_name)
    env = providers.Enablement(args["target_vault"], ctx.get(args["target_vault"]), target_fabric,
                               fabric.site_of(ctx, target_fabric), container, new_id, new_name, policy)
    inp = {"instanceType": TARGET_INSTANCE_TYPE, "fabricDiscoveryMachineId": machine["id"],
           "processServerId": args["appliance"], "targetResourceGroupId": old.get("recoveryAzureResourceGroupId"),
           "targetNetworkId": old.get("selectedRecoveryAzureNetworkId"), "targetVmName": old.get("recoveryAzureVMName"),
           "targetVmSize": old.get("recoveryAzureVMSize"), "multiVmGroupName": old.get("multiVmGroupName"),
           "disksDefault": {"logStorageAccountId": old.get("recoveryAzureLogStorageAccountId"),
                            "diskType": "Standard_LRS"}}
    details, extra = providers.get(TARGET_INSTANCE_TYPE).validate_enable(ctx, env, inp)
    new = items._new_item(ctx, args["target_vault"], target_fabric, container, new_id, new_name, policy, details,
                          machine)  # pylint: disable=protected-access
    private(new)["disk_uuids"] = extra.get("disk_uuids") or {}
    private(new)["switched_from"] = item["id"]
    items.save(ctx, new)
    new = items.start_initial_replication(ctx, ctx.get(new_id), jobs.task_end(task))
    for disk in items.replication(new)["ir"]["disks"].values():        # only the differential data moves
        disk["seconds"] = 0.0
    items.save(ctx, new)
    item = ctx.get(args["item"])
    private(item)["switched_to"] = new_id
    items.save(ctx, item)


def _cb_done(ctx, job, task):
    args = task["args"]
    item = ctx.get(args["item"])
    new_id = private(item).get("switched_to")
    details = item["properties"]["providerSpecificDetails"]
    details["switchProviderDetails"] = {
        "targetVaultId": common.asr_id(args["target_vault"]), "targetResourceId": common.asr_id(new_id),
        "targetFabricId": common.asr_id(args["target_fabric"]), "targetApplianceId": args["appliance"]}
    item["properties"]["switchProviderState"], item["properties"]["switchProviderStateDescription"] = STATE_DONE
    items.save(ctx, item)


def _cb_failed(ctx, job, task):
    """[documented] a failed move rolls back: the classic item replicates as before, the new item is gone."""
    item = ctx.get(private(job)["target"] or "")
    new_id = private(item).pop("switched_to", None) if item is not None else None
    if new_id and ctx.get(new_id) is not None:
        ctx.delete(new_id)
        common.meta_set(ctx, items.LIVE_KEY, [i for i in common.meta_get(ctx, items.LIVE_KEY, [])
                                              if not common.same_id(i, new_id)])
    if item is not None:
        item["properties"]["switchProviderState"], item["properties"]["switchProviderStateDescription"] = "None", None
        items.save(ctx, item)


def classic_estate(ctx, vault):
    """The classic items of a vault (what the seed made)."""
    return [i for i in common.list_in_vault(ctx, ITEM, vault)
            if (i["properties"].get("providerSpecificDetails") or {}).get("instanceType") == INSTANCE_TYPE]


CALLBACKS = {"asr.classic.policy": _cb_policy, "asr.classic.migrate": _cb_migrate, "asr.classic.done": _cb_done,
             "asr.classic.failed": _cb_failed}

ADMIN_ROUTES = [("POST", r"classic/seed", _seed)]

switch_provider.resource_type = ITEM
ROUTES = [("POST", ITEM_PATH + r"/switchProvider", switch_provider)]
