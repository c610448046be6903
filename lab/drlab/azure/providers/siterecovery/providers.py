"""The replication-provider seam: what depends on `providerSpecificDetails.instanceType`.

`get(instance_type)` returns the implementation:

* `InMageRcm` (VMware -> Azure, modernized): validates `InMageRcmEnableProtectionInput` and
  `InMageRcmUpdateReplicationProtectedItemInput` like ASR (every referenced resource must exist in the
  lab's ARM store, in the vault's region; sizes from the Compute catalog; the machine must be in the
  vault's Azure Migrate site; the process server must be the appliance's; push install needs a run-as
  account of the appliance unless the Mobility agent already registered), builds the stored details,
  renders `InMageRcmReplicationDetails` (initial replication progress, RPO, recovery points, agent,
  discovered VM), and builds the failback details of a reprotect (`reprotect_details`).
* `InMageRcmFailback` (Azure -> VMware after a failover): renders `InMageRcmFailbackReplicationDetails`
  and builds the forward details of the reprotect back to Azure.
* `InMageAzureV2`, `InMage` (classic, configuration server): registered, answer "not supported in this
  lab yet" (errors.PROVIDER_NOT_SIMULATED) until the classic seam is filled.

Stored details keep what does not change by itself; the dynamic values (progress, RPO, heartbeats)
come from items.replication_status() at render time.
"""
import copy
import ipaddress
import re

from drlab.azure.providers import catalog
from drlab.azure.providers.siterecovery import common, errors, fabric

VNET = "Microsoft.Network/virtualNetworks"
STORAGE = "Microsoft.Storage/storageAccounts"
DISK_TYPES = ("Standard_LRS", "Premium_LRS", "StandardSSD_LRS", "PremiumV2_LRS", "UltraSSD_LRS",
              "StandardSSD_ZRS", "Premium_ZRS")
LICENSE_TYPES = ("NotSpecified", "NoLicenseType", "WindowsServer")
SQL_LICENSE_TYPES = ("NotSpecified", "NoLicenseType", "PAYG", "AHUB")
LINUX_LICENSE_TYPES = ("NotSpecified", "NoLicenseType", "LinuxServer", "RHEL_BYOS", "SLES_BYOS")
VM_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,62}[A-Za-z0-9_])?$")
MIN_ESXI = (6, 5)
MAX_OS_DISK_GB = {"bios": 2048, "efi": 4095}


class Enablement:
    """What items.py resolved before a provider validates an enable input."""

    def __init__(self, vault, vault_body, fabric_body, site, container, item_id, item_name, policy):
        self.vault = vault
        self.site = site
        self.vault_body = vault_body
        self.fabric = fabric_body
        self.container = container
        self.item_id = item_id
        self.item_name = item_name
        self.policy = policy
        self.location = vault_body.get("location") or "westeurope"


# -- reference checks (the lab's ARM store) -------------------------------------------------------

def _typed(ctx, value, full_type, field, what):
    if not isinstance(value, str) or not value:
        raise errors.missing_input(field)
    try:
        rid = ctx.parse(value)
    except ValueError:
        raise errors.invalid_input("'%s' is not a valid %s id (%s)." % (value, what, field)) from None
    if rid.full_type.lower() != full_type.lower():
        raise errors.invalid_input("'%s' is not a %s id (%s)." % (value, what, field))
    body = ctx.get(value)
    if body is None:
        raise errors.invalid_input("The %s '%s' (%s) does not exist." % (what, value, field),
                                   "Create the %s, or give an existing one, and retry." % what)
    return body


def resource_group(ctx, value, field):
    if not isinstance(value, str) or not value:
        raise errors.missing_input(field)
    try:
        rid = ctx.parse(value)
    except ValueError:
        raise errors.invalid_input("'%s' is not a valid resource group id (%s)." % (value, field)) from None
    if not rid.is_resource_group:
        raise errors.invalid_input("'%s' is not a resource group id (%s)." % (value, field))
    if not ctx.exists_rg(rid.subscription, rid.resource_group):
        raise errors.invalid_input("The target resource group '%s' (%s) does not exist." % (value, field),
                                   "Create the resource group, or give an existing one, and retry.")
    return ctx.engine.canonical(rid).id


def _same_region(body, location, what, field):
    where = (body.get("location") or "").replace(" ", "").lower()
    if where and where != location:
        raise errors.invalid_input("The %s '%s' (%s) is in %s; it must be in the vault's region %s." % (
            what, body["id"], field, where, location))


def virtual_network(ctx, value, location, field):
    body = _typed(ctx, value, VNET, field, "virtual network")
    _same_region(body, location, "virtual network", field)
    return body


def subnet(ctx, vnet, name, field):
    subnets = ctx.list(VNET + "/subnets", vnet["id"]) or []
    if not name:
        return sorted(subnets, key=lambda s: s["name"].lower())[0] if subnets else None
    for candidate in subnets:
        if candidate["name"].lower() == str(name).lower():
            return candidate
    raise errors.invalid_input("The subnet '%s' (%s) does not exist in virtual network '%s'." % (
        name, field, vnet["name"]))


def storage_account(ctx, value, location, field):
    body = _typed(ctx, value, STORAGE, field, "storage account")
    _same_region(body, location, "storage account", field)
    return body


def vm_size(name, location, field):
    size = catalog.size(name)
    if size is None or location not in size.regions:
        offered = ", ".join(s.name for s in catalog.sizes_in(location))
        raise errors.invalid_input("The virtual machine size '%s' (%s) is not available in %s. Sizes there: %s."
                                   % (name, field, location, offered))
    return size


def vm_name(name, os_type, field):
    limit = 15 if os_type == "Windows" else 64
    if not isinstance(name, str) or not VM_NAME.match(name) or len(name) > limit:
        raise errors.invalid_input(
            "'%s' is not a valid target virtual machine name (%s): use 1-%d letters, digits, hyphens, "
            "underscores and periods, starting with a letter or digit and not ending with a period or "
            "hyphen." % (name, field, limit), "Give a valid name in 'targetVmName' and retry.")
    return name


def default_size(location, cores, memory_mb, generation):
    """The smallest catalog size of the region that fits the source machine (what ASR proposes)."""
    fits = [s for s in catalog.sizes_in(location) if s.vcpus >= cores and s.memory_gb * 1024 >= memory_mb
            and generation in s.hyperv_generations and s.premium_io]
    pool = fits or catalog.sizes_in(location)
    return sorted(pool, key=lambda s: (s.vcpus, s.memory_gb, s.name))[0 if fits else -1].name


def _tags(value, field):
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(t, dict) and t.get("tagName") for t in value):
        raise errors.invalid_input("'%s' must be a list of {\"tagName\", \"tagValue\"}." % field)
    return [{"tagName": t["tagName"], "tagValue": t.get("tagValue", "")} for t in value]


def _enum(value, allowed, field, default):
    if value is None:
        return default
    return common.choose(value, allowed, field)


def _zone(value, location, field):
    if value in (None, ""):
        return ""
    zones = catalog.REGIONS.get(location, ("", ()))[1]
    if str(value) not in zones:
        raise errors.invalid_input("The availability zone '%s' (%s) is not a zone of %s (zones: %s)." % (
            value, field, location, ", ".join(zones) or "none"))
    return str(value)


def _optional_resource(ctx, value, full_type, field, what):
    if value in (None, ""):
        return ""
    return _typed(ctx, value, full_type, field, what)["id"]


# -- machines --------------------------------------------------------------------------------------

def os_type(machine):
    return "Windows" if (machine["properties"].get("operatingSystemDetails") or {}).get(
        "osType", "").lower().startswith("windows") else "Linux"


def agent_disk_ids(machine):
    """{VMware disk uuid (lower): (diskId, diskName)} as the Mobility agent names the machine's disks in the item's
    protectedDisks [recorded for Windows: `{GUID}` and `\\\\.\\PHYSICALDRIVEn`; guessed for Linux: the device path],
    in the order vCenter lists the disks."""
    windows = os_type(machine) == "Windows"
    out = {}
    for index, disk in enumerate(machine["properties"].get("disks") or []):
        if windows:
            out[disk["uuid"].lower()] = ("{%s}" % common.stable_guid("agent-disk", disk["uuid"].lower()).upper(),
                                         "\\\\.\\PHYSICALDRIVE%d" % index)
        else:
            device = "/dev/sd" + ("abcdefghijklmnopqrstuvwxyz"[index] if index < 26 else "a" + chr(97 + index - 26))
            out[disk["uuid"].lower()] = (device, device)
    return out


def disk_uuid(item, disk_id):
    """The VMware disk uuid of one of the item's disks (by the agent's diskId), or None."""
    return (common.private(item).get("disk_uuids") or {}).get(str(disk_id or "").lower())


def prerequisite_errors(machine):
    """Why ASR would refuse to replicate a discovered machine (checked by the enable job)."""
    props = machine["properties"]
    out = []
    if props.get("isDeleted"):
        out.append("the machine no longer exists in the vCenter server")
    if (props.get("operatingSystemDetails") or {}).get("osArchitecture") == "x86":
        out.append("its operating system (%s) is 32-bit; only 64-bit operating systems are supported"
                   % props["operatingSystemDetails"].get("osName"))
    version = tuple(int(p) for p in re.findall(r"\d+", props.get("hostVersion") or "")[:2])
    if version and version < MIN_ESXI:
        out.append("its ESXi host %s runs %s; ESXi %d.%d or later is required" % (
            props.get("hostName"), props.get("hostVersion"), MIN_ESXI[0], MIN_ESXI[1]))
    disks = props.get("disks") or []
    limit = MAX_OS_DISK_GB.get((props.get("firmware") or "bios").lower(), 2048)
    if disks and disks[0]["maxSizeInBytes"] > limit * 1024 ** 3:
        out.append("its OS disk (%d GB) exceeds the %d GB an Azure %s OS disk can hold" % (
            disks[0]["maxSizeInBytes"] // 1024 ** 3, limit, "Gen2" if limit > 2048 else "Gen1"))
    return out


def _machine(ctx, env, value):
    if not isinstance(value, str) or not value:
        raise errors.missing_input("providerSpecificDetails.fabricDiscoveryMachineId")
    machine = ctx.get(value)
    site = env.site
    if machine is None or site is None or not common.under(value, site["id"]) or \
            ctx.parse(value).full_type.lower() != common.MACHINE.lower():
        raise errors.not_found("discovered machine", value, status=400)
    if machine["properties"].get("isDeleted"):
        raise errors.asr_error(400, errors.MACHINE_DELETED, "The machine '%s' no longer exists in the vCenter "
                               "server." % machine["properties"].get("displayName"),
                               "The machine was deleted or removed from the vCenter inventory.",
                               "Check the vCenter server; refresh the appliance's discovery.")
    return machine


# -- providers --------------------------------------------------------------------------------------

class ReplicationProvider:
    """The interface items.py (and the action module) use; the base answers 'not simulated'."""
    instance_type = ""
    simulated = False

    def validate_enable(self, ctx, env, inp):
        raise errors.provider_not_simulated(self.instance_type)

    def validate_update(self, ctx, item, props):
        raise errors.provider_not_simulated(self.instance_type)

    def render_details(self, ctx, item, status):
        return copy.deepcopy(item["properties"].get("providerSpecificDetails") or {})

    def reprotect_details(self, ctx, item, inp):
        raise errors.provider_not_simulated(self.instance_type)


class NotSimulated(ReplicationProvider):
    def __init__(self, instance_type):
        self.instance_type = instance_type


class InMageRcm(ReplicationProvider):
    instance_type = "InMageRcm"
    simulated = True

    # -- enable --------------------------------------------------------------------------------
    def validate_enable(self, ctx, env, inp):
        """(details, extra) of a valid InMageRcmEnableProtectionInput; extra: push_install, machine, agent."""
        field = "providerSpecificDetails."
        machine = _machine(ctx, env, inp.get("fabricDiscoveryMachineId"))
        mprops = machine["properties"]
        appliance = fabric.appliance_by_process_server(env.fabric, inp.get("processServerId"))
        if not inp.get("processServerId"):
            raise errors.missing_input(field + "processServerId")
        if appliance is None:
            raise errors.invalid_input("The process server '%s' is not a process server of the replication "
                                       "appliances registered in fabric '%s'." % (
                                           inp["processServerId"], env.fabric["name"]))
        location = env.location
        target_rg = resource_group(ctx, inp.get("targetResourceGroupId"), field + "targetResourceGroupId")
        networks = self._networks(ctx, inp, location, field, machine)
        disks = self._disks(ctx, inp, location, field, machine, target_rg)
        ostype = os_type(machine)
        name = vm_name(inp.get("targetVmName") or mprops.get("displayName"), ostype, field + "targetVmName")
        efi = (mprops.get("firmware") or "").lower() == "efi"
        size = inp.get("targetVmSize") or default_size(location, mprops.get("numberOfProcessorCore") or 1,
                                                       mprops.get("allocatedMemoryInMB") or 1024,
                                                       "V2" if efi else "V1")
        vm_size(size, location, field + "targetVmSize")
        run_as = self._run_as(ctx, env, inp.get("runAsAccountId"), field)
        agent = fabric.agent_for_machine(ctx, env.vault, machine)
        if agent is None and not run_as:
            raise errors.mobility_service_not_installed(mprops.get("displayName"))
        details = {
            "instanceType": "InMageRcm", "internalIdentifier": common.internal_id(env.item_id),
            "fabricDiscoveryMachineId": machine["id"], "multiVmGroupName": inp.get("multiVmGroupName") or None,
            "discoveryType": "VCenter", "processServerId": appliance["ids"]["processServer"],
            "processorCoreCount": mprops.get("numberOfProcessorCore"),
            "allocatedMemoryInMB": mprops.get("allocatedMemoryInMB"), "processServerName": appliance["name"],
            "runAsAccountId": run_as or None, "osType": ostype, "firmwareType": "UEFI" if efi else "BIOS",
            "primaryNicIpAddress": networks["primary_ip"], "targetGeneration": "V2" if efi else "V1",
            "licenseType": _enum(inp.get("licenseType"), LICENSE_TYPES, field + "licenseType", "NoLicenseType"),
            "linuxLicenseType": _enum(inp.get("linuxLicenseType"), LINUX_LICENSE_TYPES, field + "linuxLicenseType",
                                      "NotSpecified"),
            "sqlServerLicenseType": _enum(inp.get("sqlServerLicenseType"), SQL_LICENSE_TYPES,
                                          field + "sqlServerLicenseType", "NotSpecified"),
            "storageAccountId": None, "targetVmName": name, "targetVmSize": catalog.size(size).name,
            "targetResourceGroupId": target_rg, "targetLocation": location,
            "targetAvailabilitySetId": _optional_resource(ctx, inp.get("targetAvailabilitySetId"),
                                                          "Microsoft.Compute/availabilitySets",
                                                          field + "targetAvailabilitySetId", "availability set"),
            "targetAvailabilityZone": _zone(inp.get("targetAvailabilityZone"), location,
                                            field + "targetAvailabilityZone"),
            "targetProximityPlacementGroupId": _optional_resource(
                ctx, inp.get("targetProximityPlacementGroupId"), "Microsoft.Compute/proximityPlacementGroups",
                field + "targetProximityPlacementGroupId", "proximity placement group"),
            "targetBootDiagnosticsStorageAccountId": _optional_resource(
                ctx, inp.get("targetBootDiagnosticsStorageAccountId"), STORAGE,
                field + "targetBootDiagnosticsStorageAccountId", "storage account"),
            "targetNetworkId": networks["target"], "testNetworkId": networks["test"],
            "failoverRecoveryPointId": None, "resyncRequired": "false", "resyncState": "None",
            "agentUpgradeState": "None", "lastAgentUpgradeType": None, "agentUpgradeJobId": None,
            "agentUpgradeAttemptToVersion": None, "protectedDisks": disks["protected"],
            "unprotectedDisks": disks["unprotected"], "isLastUpgradeSuccessful": "false",
            "isAgentRegistrationSuccessfulAfterFailover": None, "lastAgentUpgradeErrorDetails": [],
            "agentUpgradeBlockingErrorDetails": [], "vmNics": networks["nics"],
            "targetVmTags": _tags(inp.get("targetVmTags"), field + "targetVmTags"),
            "seedManagedDiskTags": _tags(inp.get("seedManagedDiskTags"), field + "seedManagedDiskTags"),
            "targetManagedDiskTags": _tags(inp.get("targetManagedDiskTags"), field + "targetManagedDiskTags"),
            "targetNicTags": _tags(inp.get("targetNicTags"), field + "targetNicTags"),
            "supportedOSVersions": None,
            "osName": inp.get("userSelectedOSName") or (mprops.get("operatingSystemDetails") or {}).get("osName"),
            "targetVmSecurityProfile": inp.get("targetVmSecurityProfile") or {
                "targetVmSecurityType": "None", "targetVmSecureBoot": "Disabled", "targetVmTpm": "Disabled",
                "targetVmMonitoring": "Disabled", "targetVmConfidentialEncryption": "Disabled"},
        }
        if inp.get("targetCapacityReservationGroupId"):
            details["targetCapacityReservationGroupId"] = inp["targetCapacityReservationGroupId"]
        return details, {"push_install": agent is None, "machine": machine, "agent": agent, "disk_uuids": disks["uuids"]}

    def _run_as(self, ctx, env, value, field):
        if not value:
            return None
        for account in fabric.run_as_accounts(ctx, env.site["id"]):
            if common.same_id(account["id"], value) and account["properties"].get("credentialType") != "VMwareFabric":
                return account["id"]
        raise errors.invalid_input("The run-as account '%s' (%srunAsAccountId) is not a credential of the "
                                   "replication appliance." % (value, field),
                                   "Give the id of one of the appliance's run-as accounts "
                                   "(Microsoft.OffAzure/VMwareSites/{site}/runasaccounts) and retry.")

    def _networks(self, ctx, inp, location, field, machine):
        target = test = ""
        target_subnet = test_subnet = None
        if inp.get("targetNetworkId"):
            vnet = virtual_network(ctx, inp["targetNetworkId"], location, field + "targetNetworkId")
            target = vnet["id"]
            target_subnet = subnet(ctx, vnet, inp.get("targetSubnetName"), field + "targetSubnetName")
        elif inp.get("targetSubnetName"):
            raise errors.invalid_input("'targetSubnetName' needs 'targetNetworkId'.")
        if inp.get("testNetworkId"):
            vnet = virtual_network(ctx, inp["testNetworkId"], location, field + "testNetworkId")
            test = vnet["id"]
            test_subnet = subnet(ctx, vnet, inp.get("testSubnetName"), field + "testSubnetName")
        elif inp.get("testSubnetName"):
            raise errors.invalid_input("'testSubnetName' needs 'testNetworkId'.")
        adapters = machine["properties"].get("networkAdapters") or []
        nics = []
        for i, adapter in enumerate(adapters):
            nics.append({"nicId": adapter["macAddress"], "isPrimaryNic": "true" if i == 0 else "false",
                         "isSelectedForFailover": "true",
                         "sourceIPAddress": (adapter.get("ipAddressList") or [""])[0],
                         "sourceIPAddressType": adapter.get("ipAddressType") or "Dynamic",
                         "sourceNetworkId": adapter.get("networkName") or "", "sourceSubnetName": "",
                         "targetIPAddress": "", "targetIPAddressType": "Dynamic",
                         "targetSubnetName": target_subnet["name"] if target_subnet else "",
                         "testSubnetName": test_subnet["name"] if test_subnet else "", "testIPAddress": "",
                         "testIPAddressType": "Dynamic", "targetNicName": ""})
        primary_ip = nics[0]["sourceIPAddress"] if nics else ""
        return {"target": target, "test": test, "nics": nics, "primary_ip": primary_ip}

    def _disks(self, ctx, inp, location, field, machine, target_rg):
        default = inp.get("disksDefault")
        include = inp.get("disksToInclude")
        if default and include:
            raise errors.invalid_input("Give either 'disksDefault' or 'disksToInclude', not both.")
        if not default and not include:
            raise errors.missing_input(field + "disksDefault or " + field + "disksToInclude")
        source = machine["properties"].get("disks") or []
        by_id = {d["uuid"].lower(): d for d in source}
        if default:
            if not isinstance(default, dict):
                raise errors.invalid_input("'disksDefault' must be an object.")
            chosen = [(d, default) for d in source]
        else:
            if not isinstance(include, list) or not all(isinstance(d, dict) for d in include):
                raise errors.invalid_input("'disksToInclude' must be a list of disk inputs.")
            chosen = []
            for disk_input in include:
                disk = by_id.get(str(disk_input.get("diskId") or "").lower())
                if disk is None:
                    raise errors.invalid_input("The disk '%s' is not a disk of the machine '%s'." % (
                        disk_input.get("diskId"), machine["properties"].get("displayName")))
                chosen.append((disk, disk_input))
            if source and not any(d is source[0] for d, _spec in chosen):
                raise errors.invalid_input("The OS disk ('%s') of the machine must be replicated." % source[0]["uuid"])
        agent_ids = agent_disk_ids(machine)
        protected = [self.protected_disk(ctx, machine, disk, spec, agent_ids[disk["uuid"].lower()], location,
                                         target_rg, disk is (source[0] if source else None))
                     for disk, spec in chosen]
        chosen_ids = {d["uuid"].lower() for d, _spec in chosen}
        unprotected = [{"diskId": agent_ids[d["uuid"].lower()][0], "diskName": agent_ids[d["uuid"].lower()][1],
                        "capacityInBytes": d["maxSizeInBytes"]}
                       for d in source if d["uuid"].lower() not in chosen_ids]
        uuids = {agent_ids[d["uuid"].lower()][0].lower(): d["uuid"] for d in source}
        return {"protected": protected, "unprotected": unprotected, "uuids": uuids}

    @staticmethod
    def protected_disk(ctx, machine, disk, spec, agent, location, target_rg, is_os):
        """One protectedDisks entry of an InMageRcmDiskInput-like `spec` (enable's disksDefault/disksToInclude,
        addDisks' disks) for the machine's discovered `disk`, named `agent` = (diskId, diskName) as the agent does."""
        name = machine["properties"].get("displayName", "vm")
        log = storage_account(ctx, spec.get("logStorageAccountId"), location, "logStorageAccountId")
        disk_type = common.choose(spec.get("diskType"), DISK_TYPES, "diskType") if spec.get("diskType") else None
        if disk_type is None:
            raise errors.missing_input("diskType")
        short = disk["uuid"].replace("-", "")[:8]
        agent_id, agent_name = agent
        return {
            "diskId": agent_id, "diskName": agent_name,
            "isOSDisk": "true" if is_os else "false",
            "capacityInBytes": disk["maxSizeInBytes"], "logStorageAccountId": log["id"],
            "diskEncryptionSetId": spec.get("diskEncryptionSetId") or None,
            "seedManagedDiskId": "%s/providers/Microsoft.Compute/disks/asrseeddisk-%s-%s" % (
                target_rg, name.lower(), short),
            "seedBlobUri": None, "targetManagedDiskId": None, "diskType": disk_type,
            "dataPendingInLogDataStoreInMB": 0.0, "dataPendingAtSourceAgentInMB": 0.0,
            "customTargetDiskName": None, "sectorSizeInBytes": spec.get("sectorSizeInBytes") or 512,
            "diskSizeInGB": spec.get("diskSizeInGB") or disk["maxSizeInBytes"] // 1024 ** 3}

    # -- update ----------------------------------------------------------------------------------
    def validate_update(self, ctx, item, props):
        """New stored details from an UpdateReplicationProtectedItemInput (InMageRcm or top-level fields)."""
        old = item["properties"]["providerSpecificDetails"]
        inp = dict(props.get("providerSpecificDetails") or {})
        if inp and (inp.get("instanceType") or "").lower() != "inmagercm":
            raise errors.invalid_input("The update input '%s' does not match the item's provider InMageRcm." % (
                inp.get("instanceType")))
        for top, own in (("recoveryAzureVMName", "targetVmName"), ("recoveryAzureVMSize", "targetVmSize"),
                         ("selectedRecoveryAzureNetworkId", "targetNetworkId"),
                         ("selectedTfoAzureNetworkId", "testNetworkId"), ("licenseType", "licenseType"),
                         ("recoveryAvailabilitySetId", "targetAvailabilitySetId")):
            if props.get(top) not in (None, "") and inp.get(own) in (None, ""):
                inp[own] = props[top]
        location = old["targetLocation"]
        field = "providerSpecificDetails."
        new = copy.deepcopy(old)
        if inp.get("targetVmName") is not None:
            new["targetVmName"] = vm_name(inp["targetVmName"], old["osType"], field + "targetVmName")
        if inp.get("targetVmSize") is not None:
            new["targetVmSize"] = vm_size(inp["targetVmSize"], location, field + "targetVmSize").name
        if inp.get("targetResourceGroupId") is not None:
            new["targetResourceGroupId"] = resource_group(ctx, inp["targetResourceGroupId"],
                                                          field + "targetResourceGroupId")
        for key in ("targetNetworkId", "testNetworkId"):
            if inp.get(key):
                new[key] = virtual_network(ctx, inp[key], location, field + key)["id"]
        for key, full_type, what in (("targetAvailabilitySetId", "Microsoft.Compute/availabilitySets",
                                      "availability set"),
                                     ("targetProximityPlacementGroupId", "Microsoft.Compute/proximityPlacementGroups",
                                      "proximity placement group"),
                                     ("targetBootDiagnosticsStorageAccountId", STORAGE, "storage account")):
            if key in inp and inp[key] is not None:
                new[key] = _optional_resource(ctx, inp[key], full_type, field + key, what)
        if "targetAvailabilityZone" in inp and inp["targetAvailabilityZone"] is not None:
            new["targetAvailabilityZone"] = _zone(inp["targetAvailabilityZone"], location,
                                                  field + "targetAvailabilityZone")
        for key, allowed in (("licenseType", LICENSE_TYPES), ("sqlServerLicenseType", SQL_LICENSE_TYPES),
                             ("linuxLicenseType", LINUX_LICENSE_TYPES)):
            if inp.get(key) is not None:
                new[key] = common.choose(inp[key], allowed, field + key)
        for key in ("targetVmTags", "targetManagedDiskTags", "targetNicTags"):
            if inp.get(key) is not None:
                new[key] = _tags(inp[key], field + key)
        if inp.get("userSelectedOSName"):
            new["osName"] = inp["userSelectedOSName"]
        if inp.get("targetCapacityReservationGroupId") is not None:
            new["targetCapacityReservationGroupId"] = inp["targetCapacityReservationGroupId"]
        if inp.get("vmDisks") is not None:
            self._update_disks(new, inp["vmDisks"])
        if inp.get("vmNics") is not None:
            self._update_nics(ctx, new, inp["vmNics"])
        elif inp.get("targetNetworkId") or inp.get("testNetworkId"):
            self._revalidate_subnets(ctx, new)
        return new

    @staticmethod
    def _update_disks(details, vm_disks):
        if not isinstance(vm_disks, list):
            raise errors.invalid_input("'vmDisks' must be a list.")
        by_id = {d["diskId"].lower(): d for d in details["protectedDisks"]}
        for entry in vm_disks:
            disk = by_id.get(str((entry or {}).get("diskId") or "").lower())
            if disk is None:
                raise errors.invalid_input("The disk '%s' is not a replicated disk of the item." % (
                    (entry or {}).get("diskId")))
            disk["customTargetDiskName"] = entry.get("targetDiskName") or None

    def _update_nics(self, ctx, details, vm_nics):
        if not isinstance(vm_nics, list) or not all(isinstance(n, dict) for n in vm_nics):
            raise errors.invalid_input("'vmNics' must be a list of NIC inputs.")
        by_id = {n["nicId"].lower(): n for n in details["vmNics"]}
        for entry in vm_nics:
            nic = by_id.get(str(entry.get("nicId") or "").lower())
            if nic is None:
                raise errors.invalid_input("The NIC '%s' is not a NIC of the source machine (nicId is the MAC "
                                           "address)." % entry.get("nicId"))
            for key in ("isPrimaryNic", "isSelectedForFailover"):
                if entry.get(key) is not None:
                    nic[key] = common.choose(str(entry[key]).lower(), ("true", "false"), key)
            for key in ("targetSubnetName", "testSubnetName", "targetNicName"):
                if entry.get(key) is not None:
                    nic[key] = entry[key]
            for key, out, kind in (("targetStaticIPAddress", "targetIPAddress", "targetIPAddressType"),
                                   ("testStaticIPAddress", "testIPAddress", "testIPAddressType")):
                if entry.get(key) is not None:
                    nic[out] = entry[key]
                    nic[kind] = "Static" if entry[key] else "Dynamic"
        primaries = [n for n in details["vmNics"] if n["isPrimaryNic"] == "true"]
        if len(primaries) != 1:
            raise errors.invalid_input("Exactly one NIC must be the primary NIC; got %d." % len(primaries))
        if primaries[0]["isSelectedForFailover"] != "true":
            raise errors.invalid_input("The primary NIC must be selected for failover.")
        self._revalidate_subnets(ctx, details)

    @staticmethod
    def _revalidate_subnets(ctx, details):
        for network_key, subnet_key, ip_key in (("targetNetworkId", "targetSubnetName", "targetIPAddress"),
                                                ("testNetworkId", "testSubnetName", "testIPAddress")):
            vnet = ctx.get(details.get(network_key)) if details.get(network_key) else None
            for nic in details["vmNics"]:
                if vnet is None or nic["isSelectedForFailover"] != "true":
                    continue
                chosen = subnet(ctx, vnet, nic.get(subnet_key), subnet_key)
                nic[subnet_key] = chosen["name"] if chosen else ""
                _check_ip(nic.get(ip_key), chosen, ip_key)

    # -- rendering --------------------------------------------------------------------------------
    def render_details(self, ctx, item, status):
        details = copy.deepcopy(item["properties"].get("providerSpecificDetails") or {})
        ir = status["initial_replication"]
        if ir is not None and not ir["complete"]:
            details.update({"initialReplicationProgressPercentage": ir["percentage"],
                            "initialReplicationProcessedBytes": ir["processed"],
                            "initialReplicationTransferredBytes": ir["processed"],
                            "initialReplicationProgressHealth": ir["health"]})
        else:
            details.update({"initialReplicationProgressPercentage": None, "initialReplicationProcessedBytes": None,
                            "initialReplicationTransferredBytes": None, "initialReplicationProgressHealth": "None"})
        details.update({"resyncProgressPercentage": None, "resyncProcessedBytes": None,
                        "resyncTransferredBytes": None, "resyncProgressHealth": "None"})
        point = status["last_point"]
        details["lastRecoveryPointReceived"] = point["time"] if point else None
        details["lastRecoveryPointId"] = common.asr_id(point["id"]) if point else None
        details["lastRpoInSeconds"] = status["rpo"]
        details["lastRpoCalculatedTime"] = status["rpo_time"]
        for disk in details.get("protectedDisks") or []:
            fraction = (ir or {}).get("disks", {}).get(disk["diskId"].lower(), 1.0 if status["protected"] else 0.0)
            done = status["protected"] or fraction >= 1.0
            disk["isInitialReplicationComplete"] = "true" if done else "false"
            disk["diskState"] = "Protected" if done else "InitialReplicationPending"
            if ir is not None:
                disk["irDetails"] = _sync_details(ir, disk, fraction)
        self._render_disks(item, details, status.get("machine"))
        details["mobilityAgentDetails"] = _mobility_agent(ctx, status)
        details["discoveredVmDetails"] = _discovered_vm(status.get("machine"))
        return details

    # -- disks that follow the VM (addDisks) -------------------------------------------------------------
    @staticmethod
    def disk_names(item, machine):
        """{VMware disk uuid (lower): (diskId, diskName)} of the machine's disks as discovered now: the names the
        item has for them, and for a disk added since, the agent's next free name [guessed: the agent names a new
        disk like the others, the next drive]."""
        known = {str(u).lower(): i for i, u in (common.private(item).get("disk_uuids") or {}).items()}
        details = item["properties"].get("providerSpecificDetails") or {}
        named = {(d.get("diskId") or "").lower(): (d.get("diskId"), d.get("diskName") or d.get("diskId")) for d in
                 (details.get("protectedDisks") or []) + (details.get("unprotectedDisks") or []) if d.get("diskId")}
        taken = set(known.values()) | set(named)
        fresh = agent_disk_ids(machine)
        out = {}
        for disk in machine["properties"].get("disks") or []:
            uuid = disk["uuid"].lower()
            if uuid in known:
                out[uuid] = named.get(known[uuid]) or fresh[uuid]
                continue
            agent_id, agent_name = fresh[uuid]
            index = len(taken)
            while agent_id.lower() in taken:      # a Linux device name a removed disk still holds
                agent_id = agent_name = "/dev/sd" + "abcdefghijklmnopqrstuvwxyz"[index % 26]
                index += 1
            taken.add(agent_id.lower())
            out[uuid] = (agent_id, agent_name)
        return out

    @staticmethod
    def _render_disks(item, details, machine):
        """The item's disks against the machine as discovered now: a disk added in vCenter is an unprotected disk; a
        protected disk vCenter no longer has is Unavailable [guessed], an unprotected one is gone."""
        if machine is None or details.get("instanceType") != "InMageRcm":
            return
        names = InMageRcm.disk_names(item, machine)
        uuids = {str(i).lower(): str(u).lower() for i, u in (common.private(item).get("disk_uuids") or {}).items()}
        present = set(names)
        for disk in details.get("protectedDisks") or []:
            if uuids.get((disk.get("diskId") or "").lower(), "?") not in present and \
                    (disk.get("diskId") or "").lower() in uuids:
                disk["diskState"] = "Unavailable"
        protected = {uuids.get((d.get("diskId") or "").lower()) for d in details.get("protectedDisks") or []}
        by_uuid = {d["uuid"].lower(): d for d in machine["properties"].get("disks") or []}
        details["unprotectedDisks"] = [
            {"diskId": names[u][0], "diskName": names[u][1], "capacityInBytes": by_uuid[u]["maxSizeInBytes"]}
            for u in names if u not in protected]

    def add_disks(self, ctx, item, machine, inp):
        """(new protectedDisks entries, {diskId (lower): VMware uuid}) of a valid InMageRcmAddDisksInput [S: disks,
        a list of InMageRcmDiskInput: diskId (the disk as the appliance discovered it, as enable's disksToInclude
        takes it), logStorageAccountId, diskType required]."""
        disks = inp.get("disks")
        if disks is None:
            raise errors.missing_input("properties.providerSpecificDetails.disks")
        if not isinstance(disks, list) or not disks or not all(isinstance(d, dict) for d in disks):
            raise errors.invalid_input("'disks' must be a non-empty list of InMageRcmDiskInput objects.")
        details = item["properties"]["providerSpecificDetails"]
        names = self.disk_names(item, machine)
        uuids = {str(i).lower(): str(u).lower() for i, u in (common.private(item).get("disk_uuids") or {}).items()}
        protected = {uuids.get((d.get("diskId") or "").lower()) for d in details.get("protectedDisks") or []}
        by_uuid = {d["uuid"].lower(): d for d in machine["properties"].get("disks") or []}
        title = item["properties"].get("friendlyName")
        out, mapping, seen = [], {}, set()
        for spec in disks:
            if not spec.get("diskId"):
                raise errors.missing_input("properties.providerSpecificDetails.disks[].diskId")
            uuid = str(spec["diskId"]).lower()
            disk = by_uuid.get(uuid)
            if disk is None:
                raise errors.invalid_input(
                    "The disk '%s' is not a disk of the machine '%s' as the appliance discovered it (disks: %s)." % (
                        spec["diskId"], title, ", ".join(sorted(by_uuid)) or "none"),
                    "Add the disk in vCenter and wait for the appliance's discovery, then retry.")
            if uuid in protected:
                raise errors.invalid_input("The disk '%s' of the replicated item '%s' is already protected." % (
                    spec["diskId"], title), "Give only disks that are not replicated yet.")
            if uuid in seen:
                raise errors.invalid_input("The disk '%s' is given twice." % spec["diskId"])
            seen.add(uuid)
            if not spec.get("logStorageAccountId"):
                raise errors.missing_input("properties.providerSpecificDetails.disks[].logStorageAccountId")
            out.append(self.protected_disk(ctx, machine, disk, spec, names[uuid], details.get("targetLocation"),
                                           details.get("targetResourceGroupId"), False))
            mapping[names[uuid][0].lower()] = disk["uuid"]
        return out, mapping

    # -- reprotect (Azure -> VMware) -----------------------------------------------------------------
    def reprotect_details(self, ctx, item, inp):
        """InMageRcmFailback details of a reprotect with an InMageRcmReprotectInput (for actions.py).

        Validates reprotectAgentId (the appliance's reprotect agent), datastoreName (a datastore the
        appliance discovered), logStorageAccountId, policyId (an InMageRcmFailback policy).
        """
        field = "providerSpecificDetails."
        vault = common.vault_id_of(item["id"])
        fabric_body = fabric.fabric_of(ctx, vault)
        agent = next((a for a in fabric.appliances(fabric_body) if
                      a["ids"]["reprotectAgent"].lower() == str(inp.get("reprotectAgentId") or "").lower()), None) \
            if fabric_body else None
        if not inp.get("reprotectAgentId"):
            raise errors.missing_input(field + "reprotectAgentId")
        if agent is None:
            raise errors.invalid_input("'%s' is not the reprotect agent of a registered appliance." % (
                inp["reprotectAgentId"]))
        names = [d["name"] for d in fabric.datastores(ctx, vault)]
        if not inp.get("datastoreName"):
            raise errors.missing_input(field + "datastoreName")
        if names and inp["datastoreName"] not in names:
            raise errors.invalid_input("The datastore '%s' is not accessible to the reprotect agent (datastores: "
                                       "%s)." % (inp["datastoreName"], ", ".join(names)))
        location = item["properties"]["providerSpecificDetails"].get("targetLocation")
        log = storage_account(ctx, inp.get("logStorageAccountId"), location, field + "logStorageAccountId")
        policy_id = inp.get("policyId")
        policy = ctx.get(policy_id) if policy_id else None
        if policy_id and (policy is None or policy["properties"]["providerSpecificDetails"]["instanceType"]
                          != "InMageRcmFailback"):
            raise errors.invalid_input("'%s' is not an InMageRcmFailback replication policy of the vault." % policy_id)
        old = item["properties"]["providerSpecificDetails"]
        site = fabric.site_of(ctx, fabric_body)
        vcenter_info = common.private(site).get("vcenter") if site else None
        # a new internalIdentifier for the failback direction [recorded: Rcm-W2K19-152 422c0419... -> e9cdc517...]
        return {"instanceType": "InMageRcmFailback",
                "internalIdentifier": common.stable_guid(item["id"], "InMageRcmFailback", old.get("internalIdentifier")),
                "azureVirtualMachineId": "%s/providers/Microsoft.Compute/virtualMachines/%s" % (
                    old.get("targetResourceGroupId"), old.get("targetVmName")),
                "multiVmGroupName": old.get("multiVmGroupName"), "reprotectAgentId": agent["ids"]["reprotectAgent"],
                "reprotectAgentName": agent["name"], "osType": old.get("osType"), "logStorageAccountId": log["id"],
                "targetvCenterId": "%s/replicationvCenters/%s" % (common.asr_id(fabric_body["id"]), vcenter_info["name"])
                if vcenter_info else None,
                "targetDataStoreName": inp["datastoreName"],
                "targetVmName": (fabric.machine_for_item(ctx, item) or {}).get("properties", {}).get(
                    "displayName", old.get("targetVmName")),
                "resyncRequired": "false", "resyncState": "None",
                "protectedDisks": [{"diskId": d["diskId"], "diskName": d.get("diskName"), "isOSDisk": d.get("isOSDisk"),
                                    "capacityInBytes": d.get("capacityInBytes"),
                                    "diskUuid": disk_uuid(item, d["diskId"]) or d["diskId"],
                                    "dataPendingInLogDataStoreInMB": 0.0, "dataPendingAtSourceAgentInMB": 0.0,
                                    "isInitialReplicationComplete": "false"} for d in old.get("protectedDisks", [])],
                "vmNics": [{"macAddress": n["nicId"], "networkName": n.get("sourceNetworkId"), "adapterType": "",
                            "sourceIpAddress": n.get("sourceIPAddress")} for n in old.get("vmNics", [])],
                "lastPlannedFailoverStartTime": None, "lastPlannedFailoverStatus": None,
                "lastUsedPolicyId": policy["id"] if policy else None,
                "lastUsedPolicyFriendlyName": policy["name"] if policy else None,
                "isAgentRegistrationSuccessfulAfterFailover": True}


class InMageRcmFailback(ReplicationProvider):
    instance_type = "InMageRcmFailback"
    simulated = True

    def render_details(self, ctx, item, status):
        details = copy.deepcopy(item["properties"].get("providerSpecificDetails") or {})
        ir = status["initial_replication"]
        if ir is not None and not ir["complete"]:
            details.update({"initialReplicationProgressPercentage": ir["percentage"],
                            "initialReplicationProcessedBytes": ir["processed"],
                            "initialReplicationTransferredBytes": ir["processed"],
                            "initialReplicationProgressHealth": ir["health"]})
        else:
            details.update({"initialReplicationProgressPercentage": None, "initialReplicationProcessedBytes": None,
                            "initialReplicationTransferredBytes": None, "initialReplicationProgressHealth": "None"})
        details.update({"resyncProgressPercentage": None, "resyncProcessedBytes": None,
                        "resyncTransferredBytes": None, "resyncProgressHealth": "None"})
        for disk in details.get("protectedDisks") or []:
            fraction = (ir or {}).get("disks", {}).get(disk["diskId"].lower(), 1.0 if status["protected"] else 0.0)
            disk["isInitialReplicationComplete"] = "true" if status["protected"] or fraction >= 1.0 else "false"
        agent = _mobility_agent(ctx, status)
        details["mobilityAgentDetails"] = {k: agent[k] for k in (
            "version", "latestVersion", "driverVersion", "latestUpgradableVersionWithoutReboot",
            "lastHeartbeatUtc", "reasonsBlockingUpgrade", "isUpgradeable") if k in agent}
        details["discoveredVmDetails"] = _discovered_vm(status.get("machine"))
        return details

    def reprotect_details(self, ctx, item, inp):
        """InMageRcm details of the reprotect back to Azure (InMageRcmFailbackReprotectInput)."""
        field = "providerSpecificDetails."
        vault = common.vault_id_of(item["id"])
        fabric_body = fabric.fabric_of(ctx, vault)
        if not inp.get("processServerId"):
            raise errors.missing_input(field + "processServerId")
        appliance = fabric.appliance_by_process_server(fabric_body, inp["processServerId"]) if fabric_body else None
        if appliance is None:
            raise errors.invalid_input("The process server '%s' is not a process server of a registered "
                                       "appliance." % inp["processServerId"])
        if not inp.get("policyId"):
            raise errors.missing_input(field + "policyId")
        policy = ctx.get(inp["policyId"])
        if policy is None or policy["properties"]["providerSpecificDetails"]["instanceType"] != "InMageRcm":
            raise errors.invalid_input("'%s' is not an InMageRcm replication policy of the vault." % inp["policyId"])
        forward = copy.deepcopy((common.private(item).get("details_by_provider") or {}).get("InMageRcm") or {})
        if not forward:
            raise errors.invalid_input("The item has no earlier InMageRcm replication settings to reprotect with.")
        forward.update({"processServerId": appliance["ids"]["processServer"], "processServerName": appliance["name"]})
        if inp.get("runAsAccountId"):
            forward["runAsAccountId"] = inp["runAsAccountId"]
        return forward


def _check_ip(address, subnet_body, field):
    if not address or subnet_body is None:
        return
    prefix = (subnet_body.get("properties") or {}).get("addressPrefix")
    try:
        inside = ipaddress.ip_address(address) in ipaddress.ip_network(prefix, strict=False) if prefix else True
    except ValueError:
        raise errors.invalid_input("'%s' is not a valid IP address (%s)." % (address, field)) from None
    if not inside:
        raise errors.invalid_input("The IP address %s (%s) is not in subnet '%s' (%s)." % (
            address, field, subnet_body["name"], prefix))


def _sync_details(ir, disk, fraction):
    processed = int(disk["capacityInBytes"] * min(1.0, fraction))
    return {"progressHealth": ir["health"], "transferredBytes": processed, "last15MinutesTransferredBytes":
            int(disk["capacityInBytes"] * ir.get("rate_15m", 0.0)), "lastDataTransferTimeUtc": ir["last_transfer"],
            "processedBytes": processed, "startTime": ir["start"], "lastRefreshTime": ir["refreshed"],
            "progressPercentage": int(min(100, fraction * 100))}


def _mobility_agent(ctx, status):
    agent = status.get("agent") or {}
    latest = common.appliance_setting(ctx, "agent_version")
    version = agent.get("agentVersion") or None
    return {"version": version, "latestVersion": latest, "latestAgentReleaseDate": None,
            "driverVersion": version, "latestUpgradableVersionWithoutReboot": agent.get("withoutRebootTo") or latest,
            "agentVersionExpiryDate": None, "driverVersionExpiryDate": None,
            "lastHeartbeatUtc": status.get("agent_heartbeat"),
            "reasonsBlockingUpgrade": ["AlreadyOnLatestVersion"] if version == latest else [],
            "isUpgradeable": "false" if version == latest or not version else "true",
            "agentReinstallState": [], "reasonsBlockingReinstall": [], "reasonsBlockingReinstallDetails": []}


def _discovered_vm(machine):
    if machine is None:
        return None
    props = machine["properties"]
    datastores = sorted({d["path"].split("]")[0].lstrip("[") for d in props.get("disks") or [] if d.get("path")})
    ips = [ip for nic in props.get("networkAdapters") or [] for ip in nic.get("ipAddressList") or []]
    return {"vCenterId": props.get("vCenterId"), "vCenterFqdn": props.get("vCenterFQDN"), "datastores": datastores,
            "ipAddresses": ips, "vmwareToolsStatus": props.get("vMwareToolsStatus"),
            "powerStatus": props.get("powerStatus"), "vmFqdn": props.get("vmFqdn"),
            "osName": (props.get("operatingSystemDetails") or {}).get("osName"),
            "createdTimestamp": props.get("createdTimestamp"), "updatedTimestamp": props.get("updatedTimestamp"),
            "isDeleted": bool(props.get("isDeleted")), "lastDiscoveryTimeInUtc": props.get("updatedTimestamp")}


PROVIDERS = {p.instance_type.lower(): p for p in (
    InMageRcm(), InMageRcmFailback(), NotSimulated("InMageAzureV2"), NotSimulated("InMage"))}
OTHER_SCENARIOS = ("A2A", "A2ACrossClusterMigration", "HyperVReplicaAzure", "HyperVReplica2012",
                   "HyperVReplica2012R2", "VMwareCbt")


def get(instance_type):
    """The provider implementation of an instanceType (ASR errors for unknown / other scenarios)."""
    provider = PROVIDERS.get(str(instance_type or "").lower())
    if provider is not None:
        return provider
    if any(str(instance_type).lower() == s.lower() for s in OTHER_SCENARIOS):
        raise errors.invalid_input("The replication provider '%s' does not apply to this vault: it replicates "
                                   "VMware machines with the InMageRcm provider." % instance_type)
    if not instance_type:
        raise errors.missing_input("providerSpecificDetails.instanceType")
    raise errors.invalid_input("'%s' is not a known replication provider." % instance_type)


def of_item(item):
    return get((item["properties"].get("providerSpecificDetails") or {}).get("instanceType"))
