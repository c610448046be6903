"""Microsoft.Compute for the lab's ARM simulator: managed disks, virtual machines, VM sizes and the
resource SKU list.

Behaves like the Compute resource provider for azure-mgmt-compute 39.0.0 (virtualMachines
api-version 2026-04-01, disks 2026-03-02, resource SKUs 2021-07-01):

* Disks: PUT/PATCH/DELETE answer 202 with `Location` and `Azure-AsyncOperation`. `creationData`
  `Empty` (needs `diskSizeGB`), `Copy`/`Restore` (from an existing disk), `Import` (a VHD in a
  storage account that exists), `FromImage`, `Upload`. `diskState` is `Unattached`, `Attached`
  (VM allocated) or `Reserved` (VM deallocated); `managedBy` names the VM. An attached disk cannot
  be deleted (409 `OperationNotAllowed`) nor attached to a second VM (409 `ConflictingUserInput`).
* Virtual machines: PUT answers 201/200 + `Azure-AsyncOperation` (provisioningState `Creating` or
  `Updating` until the operation completes); PATCH 200 + `Azure-AsyncOperation`; DELETE and the
  power actions (`start`, `powerOff`, `restart`, `deallocate`) 202 + `Location` +
  `Azure-AsyncOperation`.
  - `hardwareProfile.vmSize` is checked against the catalog: unknown or not offered in the region ->
    400 `InvalidParameter` (target `vmSize`); restricted for the subscription or zone -> 409
    `SkuNotAvailable`; more NICs than the size allows -> 400 `NetworkInterfaceCountExceeded`; more
    data disks -> 409 `OperationNotAllowed`; a premium disk on a size without premium storage ->
    400 `InvalidParameter`; a Gen1 disk on a Gen2-only size -> 400 `BadRequest`.
  - `storageProfile.osDisk`: `Attach` (a managed disk that exists; `osProfile` is then not
    allowed) or `FromImage` (creates the OS disk; `osProfile` required). Data disks: `Attach` or
    `Empty` (creates the disk), distinct LUNs. Attached disks get `managedBy`.
  - `networkProfile.networkInterfaces`: NICs that exist in the VM's region and are free; one
    primary (the only NIC is primary). Attached NICs get `virtualMachine` and `primary`, and a
    `macAddress` once the VM runs.
  - delete honours `deleteOption` (`Delete`/`Detach`, default `Detach`) of the OS disk, data disks
    and NICs.
  - `instanceView` (GET `.../instanceView` and `?$expand=instanceView`): provisioning and power
    state statuses (`PowerState/running|stopped|deallocated`), disks, Hyper-V generation.
* `GET /subscriptions/{s}/providers/Microsoft.Compute/locations/{loc}/vmSizes`,
  `GET .../virtualMachines/{vm}/vmSizes` and `GET /subscriptions/{s}/providers/Microsoft.Compute/skus`
  (with `$filter=location eq '...'`) come from `catalog.py`.
"""
import re

from drlab.azure.rp import ArmError, LroStyle, ResourceType, bad_request, not_found
from drlab.azure.providers import catalog
from drlab.azure.providers import network as net
from drlab.azure.providers.network import LAB, parse_id, props, ref_id, same_id, strip_lab

NS = "Microsoft.Compute"
DISK = NS + "/disks"
VM = NS + "/virtualMachines"
STORAGE_ACCOUNT = "Microsoft.Storage/storageAccounts"

DISK_SKUS = {
    "standard_lrs": ("Standard_LRS", "Standard"),
    "premium_lrs": ("Premium_LRS", "Premium"),
    "standardssd_lrs": ("StandardSSD_LRS", "Standard"),
    "ultrassd_lrs": ("UltraSSD_LRS", "Ultra"),
    "premium_zrs": ("Premium_ZRS", "Premium"),
    "standardssd_zrs": ("StandardSSD_ZRS", "Standard"),
    "premiumv2_lrs": ("PremiumV2_LRS", "Premium"),
}
PREMIUM_SKUS = {"premium_lrs", "premium_zrs", "ultrassd_lrs", "premiumv2_lrs"}

# Premium SSD performance tiers: (max size GB, tier, IOPS, MBps)
_PREMIUM_TIERS = (
    (4, "P1", 120, 25), (8, "P2", 120, 25), (16, "P3", 120, 25), (32, "P4", 120, 25),
    (64, "P6", 240, 50), (128, "P10", 500, 100), (256, "P15", 1100, 125), (512, "P20", 2300, 150),
    (1024, "P30", 5000, 200), (2048, "P40", 7500, 250), (4096, "P50", 7500, 250),
    (8192, "P60", 16000, 500), (16384, "P70", 18000, 750), (32767, "P80", 20000, 900),
)
DISK_CREATE_OPTIONS = ("Empty", "Copy", "Restore", "Import", "FromImage", "Upload", "Attach",
                       "ImportSecure", "UploadPreparedSecure", "CopyStart", "CopyFromSanSnapshot")

POWER_DISPLAY = {
    "running": "VM running", "stopped": "VM stopped", "deallocated": "VM deallocated",
    "starting": "VM starting", "stopping": "VM stopping", "deallocating": "VM deallocating",
}


def compute_etag(existing):
    """Compute's etags are a quoted write counter: "1", "2", ..."""
    try:
        n = int((existing or {}).get("etag", '"0"').strip('"')) + 1
    except ValueError:
        n = 1
    return '"%d"' % n


def invalid_parameter(message, target=None):
    return ArmError(400, "InvalidParameter", message, target=target)


def not_found_ref(resource_id):
    return ArmError(404, "NotFound", "Resource %s was not found." % resource_id)


def disk_sku(name, target="sku.name"):
    key = (name or "Standard_LRS").lower()
    if key not in DISK_SKUS:
        raise invalid_parameter(
            "The value '%s' of parameter '%s' is invalid. Allowed values are: %s."
            % (name, target, ", ".join(v[0] for v in DISK_SKUS.values())), target=target)
    return DISK_SKUS[key]


def disk_performance(sku_name, size_gb):
    key = sku_name.lower()
    if key.startswith("premium_"):
        for max_gb, tier, iops, mbps in _PREMIUM_TIERS:
            if size_gb <= max_gb:
                return tier, iops, mbps
        return "P80", 20000, 900
    if key.startswith("standardssd"):
        return None, (500 if size_gb <= 4096 else 2000), (100 if size_gb <= 4096 else 400)
    if key in ("ultrassd_lrs", "premiumv2_lrs"):
        return None, 3000, 125
    return None, 500, 60


def vm_power(vm):
    return (vm.get(LAB) or {}).get("power", "running") if vm else None


# ---------------------------------------------------------------------------------------------
# disks


class Disk(ResourceType):
    full_type = DISK
    put_style = LroStyle.BOTH
    patch_style = LroStyle.BOTH
    delete_style = LroStyle.BOTH
    put_duration = 10.0
    delete_duration = 5.0

    def prepare_put(self, ctx, rid, body, existing):
        body = body or {}
        base = net.tracked_base(ctx, rid, DISK, body, existing)
        p = props(body)
        creation = dict(p.get("creationData") or {})
        option = creation.get("createOption")
        if not option:
            raise invalid_parameter("Required parameter 'creationData.createOption' is missing (null).",
                                    target="creationData.createOption")
        match = [o for o in DISK_CREATE_OPTIONS if o.lower() == option.lower()]
        if not match:
            raise invalid_parameter("The value '%s' of parameter 'creationData.createOption' is invalid."
                                    % option, target="creationData.createOption")
        option = creation["createOption"] = match[0]
        keep = props(existing)
        if existing and (keep.get("creationData") or {}).get("createOption") != option:
            raise ArmError(409, "PropertyChangeNotAllowed",
                           "Changing property 'creationData.createOption' is not allowed.",
                           target="creationData.createOption")
        size_gb = p.get("diskSizeGB")
        if existing:
            creation = dict(keep.get("creationData") or creation)
        elif option == "Empty":
            if size_gb is None:
                raise invalid_parameter("Required parameter 'diskSizeGB' is missing (null).", target="diskSizeGB")
        elif option in ("Copy", "Restore", "CopyStart"):
            source_id = creation.get("sourceResourceId")
            source = ctx.get(source_id) if source_id else None
            if source is None:
                raise not_found_ref(source_id)
            size_gb = size_gb or props(source).get("diskSizeGB")
            creation["sourceUniqueId"] = props(source).get("uniqueId")
            p = dict(p)
            for key in ("osType", "hyperVGeneration"):
                if props(source).get(key) and not p.get(key):
                    p[key] = props(source)[key]
        elif option in ("Import", "ImportSecure"):
            if not creation.get("sourceUri"):
                raise invalid_parameter("Required parameter 'creationData.sourceUri' is missing (null).",
                                        target="creationData.sourceUri")
            account = creation.get("storageAccountId")
            if not account or ctx.get(account) is None:
                raise invalid_parameter(
                    "Storage account %s not found. Ensure storage account is not deleted and belongs to the "
                    "same Azure location as the resource." % account, target="creationData.storageAccountId")
            size_gb = size_gb or 128
        elif option in ("Upload", "UploadPreparedSecure"):
            upload = creation.get("uploadSizeBytes")
            if not upload:
                raise invalid_parameter("Required parameter 'creationData.uploadSizeBytes' is missing (null).",
                                        target="creationData.uploadSizeBytes")
            size_gb = size_gb or max(1, -(-int(upload) // (1024 ** 3)))
        else:  # FromImage and the rest: the lab has no images, the disk is as big as asked (or 30 GB)
            size_gb = size_gb or 30
        size_gb = int(size_gb or keep.get("diskSizeGB") or 0)
        if size_gb < 1 or size_gb > 32767:
            raise invalid_parameter("Disk size %s GB is invalid. The disk size must be between 1 GB and 32767 GB."
                                    % size_gb, target="diskSizeGB")
        if existing and size_gb < int(keep.get("diskSizeGB") or 0):
            raise bad_request("BadRequest", "Disk size reduction is not supported. Current size is %s GB, "
                              "requested size is %s GB." % (keep.get("diskSizeGB"), size_gb))
        sku_name, sku_tier = disk_sku((body.get("sku") or {}).get("name")
                                      or ((existing or {}).get("sku") or {}).get("name"))
        tier, iops, mbps = disk_performance(sku_name, size_gb)
        provisioned = sku_name in ("UltraSSD_LRS", "PremiumV2_LRS")
        base["etag"] = compute_etag(existing)
        base["sku"] = {"name": sku_name, "tier": sku_tier}
        if body.get("zones"):
            base["zones"] = list(body["zones"])
        out_props = {
            "creationData": creation,
            "diskSizeGB": size_gb,
            "diskSizeBytes": size_gb * 1024 ** 3,
            # only Ultra and Premium v2 disks take provisioned performance; the others follow their size
            "diskIOPSReadWrite": (p.get("diskIOPSReadWrite") if provisioned else None) or iops,
            "diskMBpsReadWrite": (p.get("diskMBpsReadWrite") if provisioned else None) or mbps,
            "uniqueId": keep.get("uniqueId") or ctx.new_guid(),
            "timeCreated": keep.get("timeCreated") or ctx.now_iso(),
            "provisioningState": "Updating",
            "encryption": p.get("encryption") or {"type": "EncryptionAtRestWithPlatformKey"},
            "networkAccessPolicy": p.get("networkAccessPolicy") or "AllowAll",
            "publicNetworkAccess": p.get("publicNetworkAccess") or "Enabled",
        }
        if tier:
            out_props["tier"] = p.get("tier") or tier
        for key in ("osType", "hyperVGeneration", "supportedCapabilities", "securityProfile", "maxShares",
                    "burstingEnabled", "supportsHibernation", "dataAccessAuthMode", "purchasePlan"):
            if p.get(key) is not None:
                out_props[key] = p[key]
            elif keep.get(key) is not None:
                out_props[key] = keep[key]
        base["properties"] = out_props
        if existing and existing.get("managedBy"):
            base["managedBy"] = existing["managedBy"]
        return base

    def prepare_patch(self, ctx, rid, body, existing):
        """DiskUpdate: tags, sku, size and a few properties, merged into the stored disk."""
        body = body or {}
        merged = strip_lab(existing)
        merged = dict(merged, properties=dict(props(existing)))
        if "tags" in body:
            merged["tags"] = body["tags"] or {}
        if body.get("sku"):
            merged["sku"] = body["sku"]
        new_size = props(body).get("diskSizeGB")
        if new_size is not None and new_size != props(existing).get("diskSizeGB") and "tier" not in props(body):
            merged["properties"].pop("tier", None)   # a resize moves the disk to its size's baseline tier
        for key, value in props(body).items():
            merged["properties"][key] = value
        return self.prepare_put(ctx, rid, merged, existing)

    def render(self, ctx, stored):
        out = strip_lab(stored)
        p = dict(props(out))
        owner = stored.get("managedBy")
        vm = ctx.get(owner) if owner else None
        if vm is None:
            out.pop("managedBy", None)
            p["diskState"] = "Unattached"
        else:
            p["diskState"] = "Reserved" if vm_power(vm) == "deallocated" else "Attached"
        out["properties"] = p
        return out

    def check_delete(self, ctx, rid, existing):
        owner = existing.get("managedBy")
        if owner and ctx.get(owner) is not None:
            raise ArmError(409, "OperationNotAllowed",
                           "Disk %s is attached to VM %s." % (existing["name"], owner))


def set_disk_owner(ctx, disk_id, vm_id):
    disk = ctx.get(disk_id)
    if disk is None:
        return
    disk = dict(disk)
    if vm_id:
        disk["managedBy"] = vm_id
    else:
        disk.pop("managedBy", None)
    disk["etag"] = compute_etag(disk)
    ctx.put(disk["id"], disk)


# ---------------------------------------------------------------------------------------------
# virtual machines


def size_error(vm_size, location):
    valid = ",".join(s.name for s in catalog.sizes_in(location))
    return invalid_parameter(
        "The value %s provided for the VM size is not valid. The valid sizes in the current region are: %s."
        % (vm_size, valid), target="vmSize")


def sku_not_available(vm_id, location, zones, sub):
    return ArmError(
        409, "SkuNotAvailable",
        "The requested size for resource '%s' is currently not available in location '%s' zones '%s' for "
        "subscription '%s'. Please try another size or deploy to a different location or zones. See "
        "https://aka.ms/azureskunotavailable for details." % (vm_id, location, ",".join(zones or []), sub))


class VirtualMachine(ResourceType):
    full_type = VM
    put_style = LroStyle.ASYNC_OPERATION
    patch_style = LroStyle.ASYNC_OPERATION
    delete_style = LroStyle.BOTH
    put_duration = 45.0
    delete_duration = 30.0
    action_duration = 30.0
    actions = {
        "start": ("start", LroStyle.BOTH),
        "powerOff": ("power_off", LroStyle.BOTH),
        "restart": ("restart", LroStyle.BOTH),
        "deallocate": ("deallocate", LroStyle.BOTH),
    }

    # -- PUT / PATCH ---------------------------------------------------------------------------
    def prepare_put(self, ctx, rid, body, existing):
        body = body or {}
        base = net.tracked_base(ctx, rid, VM, body, existing)
        vm_id, vm_name, location = base["id"], base["name"], base["location"]
        sub = parse_id(vm_id)["sub"]
        p = props(body)
        keep = props(existing)
        power = vm_power(existing) if existing else "running"

        # size and placement
        vm_size = (p.get("hardwareProfile") or {}).get("vmSize")
        if not vm_size:
            raise invalid_parameter("Required parameter 'hardwareProfile.vmSize' is missing (null).",
                                    target="vmSize")
        size = catalog.size(vm_size)
        if size is None or location not in size.regions:
            raise size_error(vm_size, location)
        zones = [str(z) for z in body.get("zones") or []]
        if existing and sorted(zones) != sorted(existing.get("zones") or []):
            raise ArmError(409, "PropertyChangeNotAllowed", "Changing property 'zones' is not allowed.",
                           target="zones")
        region_zones = catalog.REGIONS[location][1]
        bad_zones = [z for z in zones if z not in region_zones]
        if bad_zones or len(zones) > 1:
            raise invalid_parameter(
                "The requested zone(s) '%s' is not supported for virtual machines in location '%s'. "
                "Supported zones: '%s'." % (",".join(zones), location, ",".join(region_zones)), target="zones")
        restricted = catalog.restriction(size.name, location)
        if restricted == () or (restricted and set(zones) & set(restricted)):
            raise sku_not_available(vm_id, location, zones, sub)

        storage = p.get("storageProfile") or {}
        os_disk_in = dict(storage.get("osDisk") or {})
        os_profile = p.get("osProfile")
        plan_create = []      # (disk id, body) to create
        attached = {}         # disk id (lower) -> disk body (existing or planned)

        # OS disk
        option = (os_disk_in.get("createOption") or "").lower()
        if option == "attach":
            disk_id = ref_id(os_disk_in.get("managedDisk"))
            if not disk_id:
                raise invalid_parameter("Required parameter 'osDisk.managedDisk.id' is missing (null).",
                                        target="osDisk.managedDisk.id")
            if os_profile:
                raise invalid_parameter("Parameter 'osProfile' is not allowed.", target="osProfile")
            disk = self._existing_disk(ctx, disk_id, vm_id)
            os_type = os_disk_in.get("osType") or props(disk).get("osType")
            if not os_type:
                raise invalid_parameter("Required parameter 'osDisk.osType' is missing (null).",
                                        target="osDisk.osType")
            os_disk = {"osType": os_type, "name": disk["name"], "createOption": "Attach",
                       "managedDisk": {"id": disk["id"]}}
        elif option == "fromimage":
            if existing and (keep.get("storageProfile") or {}).get("osDisk", {}).get("createOption") == "FromImage":
                os_disk = dict(keep["storageProfile"]["osDisk"])
                disk = ctx.get(ref_id(os_disk.get("managedDisk"))) or {}
            else:
                if not storage.get("imageReference"):
                    raise invalid_parameter("Required parameter 'imageReference' is missing (null).",
                                            target="imageReference")
                if not (os_profile or {}).get("adminUsername") or not (os_profile or {}).get("computerName"):
                    raise invalid_parameter("Required parameter 'osProfile' is missing (null).",
                                            target="osProfile")
                image = storage["imageReference"]
                windows = "windows" in ("%s %s" % (image.get("publisher"), image.get("offer"))).lower()
                os_type = os_disk_in.get("osType") or ("Windows" if windows else "Linux")
                name = os_disk_in.get("name") or "%s_OsDisk_1_%s" % (vm_name, ctx.new_guid().replace("-", ""))
                disk_id = "/subscriptions/%s/resourceGroups/%s/providers/%s/%s" % (
                    sub, parse_id(vm_id)["rg"], DISK, name)
                sku = (os_disk_in.get("managedDisk") or {}).get("storageAccountType") \
                    or ("Premium_LRS" if size.premium_io else "Standard_LRS")
                generation = "V1" if "V1" in size.hyperv_generations.split(",") else "V2"
                image_ref = {k: v for k, v in image.items() if k in ("publisher", "offer", "sku", "version", "id")}
                disk = self._planned_disk(ctx, disk_id, location, zones, sku,
                                          os_disk_in.get("diskSizeGB") or (127 if os_type == "Windows" else 30),
                                          {"createOption": "FromImage", "imageReference": image_ref},
                                          os_type=os_type, generation=generation)
                plan_create.append((disk_id, disk))
                os_disk = {"osType": os_type, "name": name, "createOption": "FromImage",
                           "managedDisk": {"id": disk_id}}
        else:
            raise invalid_parameter(
                "The value '%s' of parameter 'osDisk.createOption' is invalid. Allowed values are: Attach, "
                "FromImage." % os_disk_in.get("createOption"), target="osDisk.createOption")
        os_disk["caching"] = os_disk_in.get("caching") or "ReadWrite"
        os_disk["deleteOption"] = os_disk_in.get("deleteOption") or "Detach"
        for key in ("writeAcceleratorEnabled", "diffDiskSettings", "encryptionSettings"):
            if os_disk_in.get(key) is not None:
                os_disk[key] = os_disk_in[key]
        if existing:
            old_os = ref_id((keep.get("storageProfile") or {}).get("osDisk", {}).get("managedDisk"))
            if old_os and not same_id(old_os, os_disk["managedDisk"]["id"]) and power != "deallocated":
                raise ArmError(409, "PropertyChangeNotAllowed",
                               "Changing property 'osDisk.managedDisk.id' is not allowed.",
                               target="osDisk.managedDisk.id")
        attached[os_disk["managedDisk"]["id"].lower()] = disk

        # data disks
        data_disks = []
        luns = set()
        for dd in storage.get("dataDisks") or []:
            if dd.get("toBeDetached"):
                continue
            lun = dd.get("lun")
            if lun is None or not 0 <= int(lun) <= 63:
                raise invalid_parameter("Required parameter 'dataDisk.lun' is missing (null) or invalid.",
                                        target="dataDisk.lun")
            if int(lun) in luns:
                raise invalid_parameter(
                    "A disk at LUN %s already exists." % lun, target="dataDisks")
            luns.add(int(lun))
            dopt = (dd.get("createOption") or "").lower()
            disk_id = ref_id(dd.get("managedDisk"))
            old = self._data_disk_at(keep, int(lun))
            if dopt == "attach" or (old and disk_id and same_id(ref_id(old.get("managedDisk")), disk_id)):
                if not disk_id:
                    raise invalid_parameter("Required parameter 'dataDisk.managedDisk.id' is missing (null).",
                                            target="dataDisk.managedDisk.id")
                disk = self._existing_disk(ctx, disk_id, vm_id)
                entry = {"lun": int(lun), "name": disk["name"],
                         "createOption": old["createOption"] if old else "Attach",
                         "managedDisk": {"id": disk["id"]}}
            elif dopt == "empty":
                if not dd.get("diskSizeGB"):
                    raise invalid_parameter("Required parameter 'dataDisk.diskSizeGB' is missing (null).",
                                            target="dataDisk.diskSizeGB")
                name = dd.get("name") or "%s_disk%d_%s" % (vm_name, int(lun) + 2,
                                                           ctx.new_guid().replace("-", ""))
                disk_id = "/subscriptions/%s/resourceGroups/%s/providers/%s/%s" % (
                    sub, parse_id(vm_id)["rg"], DISK, name)
                if ctx.get(disk_id) is not None:
                    raise ArmError(409, "ConflictingUserInput",
                                   "A disk with name %s already exists in Resource Group %s." % (
                                       name, parse_id(vm_id)["rg"]))
                sku = (dd.get("managedDisk") or {}).get("storageAccountType") or "Standard_LRS"
                disk = self._planned_disk(ctx, disk_id, location, zones, sku, dd["diskSizeGB"],
                                          {"createOption": "Empty"})
                plan_create.append((disk_id, disk))
                entry = {"lun": int(lun), "name": name, "createOption": "Empty", "managedDisk": {"id": disk_id}}
            else:
                raise invalid_parameter(
                    "The value '%s' of parameter 'dataDisk.createOption' is invalid. Allowed values are: Attach, "
                    "Empty." % dd.get("createOption"), target="dataDisk.createOption")
            if disk_id.lower() in attached:
                raise invalid_parameter("Disk %s is referenced more than once in the storage profile." % disk_id,
                                        target="dataDisks")
            attached[disk_id.lower()] = disk
            entry["caching"] = dd.get("caching") or "None"
            entry["deleteOption"] = dd.get("deleteOption") or "Detach"
            entry["toBeDetached"] = False
            if dd.get("writeAcceleratorEnabled") is not None:
                entry["writeAcceleratorEnabled"] = dd["writeAcceleratorEnabled"]
            data_disks.append(entry)
        if len(data_disks) > size.max_data_disks:
            raise ArmError(409, "OperationNotAllowed",
                           "The maximum number of data disks allowed to be attached to a VM of this size is %d."
                           % size.max_data_disks, target="dataDisks")

        # disks against the size
        for disk in attached.values():
            sku = ((disk.get("sku") or {}).get("name") or "Standard_LRS")
            if sku.lower() in PREMIUM_SKUS and not size.premium_io:
                raise invalid_parameter(
                    "Requested operation cannot be performed because the VM size %s does not support the "
                    "storage account type %s of disk '%s'. Consider updating the VM to a size that supports "
                    "Premium storage." % (size.name, sku, disk["name"]), target="vmSize")
        gen = props(attached[os_disk["managedDisk"]["id"].lower()]).get("hyperVGeneration") or "V1"
        if gen not in size.hyperv_generations.split(","):
            raise bad_request(
                "BadRequest",
                "The selected VM size '%s' cannot boot Hypervisor Generation '%s'. If this was a Create "
                "operation please check that the Hypervisor Generation of the Image matches the Hypervisor "
                "Generation of the selected VM Size. If this was an Update operation please select a "
                "Hypervisor Generation '%s' VM Size." % (size.name, gen[1:], gen[1:]))

        # network interfaces
        nics_in = (p.get("networkProfile") or {}).get("networkInterfaces") or []
        if not nics_in:
            raise invalid_parameter("Required parameter 'networkProfile' is missing (null).",
                                    target="networkProfile")
        if len(nics_in) > size.max_nics:
            raise bad_request(
                "NetworkInterfaceCountExceeded",
                "The number of network interfaces for virtual machine %s exceeds the maximum allowed for the "
                "virtual machine size %s. The number of network interfaces is %d and the maximum allowed is %d."
                % (vm_name, size.name, len(nics_in), size.max_nics))
        primaries = [n for n in nics_in if props(n).get("primary")]
        if len(nics_in) > 1 and len(primaries) != 1:
            raise invalid_parameter(
                "Virtual machine %s must have one network interface set as the primary." % vm_name,
                target="networkProfile.networkInterfaces")
        nics = []
        seen = set()
        for n in nics_in:
            nic_id = ref_id(n)
            nic = ctx.get(nic_id) if nic_id and net.same_type(nic_id, net.NIC) else None
            if nic is None:
                raise not_found_ref(nic_id)
            if nic["id"].lower() in seen:
                raise invalid_parameter("Network interface %s is referenced more than once." % nic_id,
                                        target="networkProfile.networkInterfaces")
            seen.add(nic["id"].lower())
            owner = net.nic_vm(nic)
            if owner and not same_id(owner, vm_id):
                raise bad_request(
                    "NicInUse",
                    "Network Interface %s is used by existing resource %s. In order to delete the network "
                    "interface, it must be dissociated from the resource. To learn more, see aka.ms/deletenic."
                    % (nic["id"], owner))
            if nic.get("location") != location:
                raise invalid_parameter(
                    "Network interface %s is in location '%s', which is not the location of virtual machine "
                    "%s ('%s')." % (nic["id"], nic.get("location"), vm_name, location),
                    target="networkProfile.networkInterfaces")
            entry = {"id": nic["id"], "properties": {"primary": len(nics_in) == 1 or bool(props(n).get("primary"))}}
            if props(n).get("deleteOption"):
                entry["properties"]["deleteOption"] = props(n)["deleteOption"]
            nics.append(entry)

        # the stored body
        base["etag"] = compute_etag(existing)
        if zones:
            base["zones"] = zones
        out_props = {
            "vmId": keep.get("vmId") or ctx.new_guid(),
            "timeCreated": keep.get("timeCreated") or ctx.now_iso(),
            "provisioningState": "Updating" if existing else "Creating",
            "hardwareProfile": {"vmSize": size.name},
            "storageProfile": {"osDisk": os_disk, "dataDisks": data_disks,
                               "diskControllerType": storage.get("diskControllerType") or "SCSI"},
            "networkProfile": {"networkInterfaces": nics},
        }
        image = storage.get("imageReference") or (keep.get("storageProfile") or {}).get("imageReference")
        if image and os_disk["createOption"] == "FromImage":
            out_props["storageProfile"]["imageReference"] = image
        if os_profile or keep.get("osProfile"):
            out_props["osProfile"] = self._os_profile(os_profile or keep.get("osProfile"), os_disk["osType"])
        for key in ("securityProfile", "diagnosticsProfile", "additionalCapabilities", "licenseType",
                    "priority", "evictionPolicy", "billingProfile", "availabilitySet", "proximityPlacementGroup",
                    "userData", "extensionsTimeBudget"):
            if p.get(key) is not None:
                out_props[key] = p[key]
        base["properties"] = out_props
        if body.get("identity"):
            base["identity"] = body["identity"]
        base[LAB] = dict((existing or {}).get(LAB) or {"power": "running", "power_time": ctx.now_iso()})

        # side effects, once everything is valid
        for disk_id, disk in plan_create:
            ctx.put(disk_id, disk)
        old_disks = self._disk_ids(keep)
        for disk_id in attached:
            set_disk_owner(ctx, disk_id, vm_id)
        for disk_id in old_disks - set(attached):
            set_disk_owner(ctx, disk_id, None)
        old_nics = {ref_id(n).lower() for n in (keep.get("networkProfile") or {}).get("networkInterfaces") or []}
        for entry in nics:
            net.attach_nic(ctx, entry["id"], vm_id, entry["properties"]["primary"])
            if vm_power(base) == "running":
                net.set_nic_mac(ctx, entry["id"])
        for nic_id in old_nics - {e["id"].lower() for e in nics}:
            net.detach_nic(ctx, nic_id)
        return base

    def prepare_patch(self, ctx, rid, body, existing):
        """VirtualMachineUpdate: merge into the stored VM, then validate like a PUT."""
        body = body or {}
        merged = strip_lab(existing)
        merged["properties"] = dict(props(existing))
        if "tags" in body:
            merged["tags"] = body["tags"] or {}
        for key, value in props(body).items():
            if isinstance(value, dict) and isinstance(merged["properties"].get(key), dict):
                merged["properties"][key] = dict(merged["properties"][key], **value)
            else:
                merged["properties"][key] = value
        merged.pop("zones", None)
        if existing.get("zones"):
            merged["zones"] = existing["zones"]
        return self.prepare_put(ctx, rid, merged, existing)

    @staticmethod
    def _os_profile(given, os_type):
        """What Azure returns of an osProfile: never the password or custom data."""
        out = {k: v for k, v in (given or {}).items() if k not in ("adminPassword", "customData")}
        out.setdefault("allowExtensionOperations", True)
        out.setdefault("requireGuestProvisionSignal", True)
        out.setdefault("secrets", [])
        if os_type == "Linux":
            out.setdefault("linuxConfiguration", {"disablePasswordAuthentication": False,
                                                  "provisionVMAgent": True})
        else:
            out.setdefault("windowsConfiguration", {"provisionVMAgent": True, "enableAutomaticUpdates": True})
        return out

    @staticmethod
    def _data_disk_at(vm_props, lun):
        for dd in (vm_props.get("storageProfile") or {}).get("dataDisks") or []:
            if dd.get("lun") == lun:
                return dd
        return None

    @staticmethod
    def _disk_ids(vm_props):
        sp = vm_props.get("storageProfile") or {}
        ids = set()
        os_id = ref_id((sp.get("osDisk") or {}).get("managedDisk"))
        if os_id:
            ids.add(os_id.lower())
        for dd in sp.get("dataDisks") or []:
            if ref_id(dd.get("managedDisk")):
                ids.add(ref_id(dd["managedDisk"]).lower())
        return ids

    @staticmethod
    def _existing_disk(ctx, disk_id, vm_id):
        disk = ctx.get(disk_id) if disk_id and net.same_type(disk_id, DISK) else None
        if disk is None:
            raise not_found_ref(disk_id)
        owner = disk.get("managedBy")
        if owner and not same_id(owner, vm_id) and ctx.get(owner) is not None:
            raise ArmError(
                409, "ConflictingUserInput",
                "Cannot attach the disk %s to VM %s because it is already attached to VM %s. A disk can be "
                "attached to only one VM at a time." % (disk["name"], vm_id, owner))
        return disk

    @staticmethod
    def _planned_disk(ctx, disk_id, location, zones, sku, size_gb, creation, os_type=None, generation=None):
        sku_name, sku_tier = disk_sku(sku, target="managedDisk.storageAccountType")
        tier, iops, mbps = disk_performance(sku_name, int(size_gb))
        disk = {
            "id": disk_id, "name": disk_id.rsplit("/", 1)[-1], "type": DISK, "location": location,
            "etag": '"1"', "sku": {"name": sku_name, "tier": sku_tier},
            "properties": {
                "creationData": creation, "diskSizeGB": int(size_gb), "diskSizeBytes": int(size_gb) * 1024 ** 3,
                "diskIOPSReadWrite": iops, "diskMBpsReadWrite": mbps, "uniqueId": ctx.new_guid(),
                "timeCreated": ctx.now_iso(), "provisioningState": "Succeeded",
                "encryption": {"type": "EncryptionAtRestWithPlatformKey"},
                "networkAccessPolicy": "AllowAll", "publicNetworkAccess": "Enabled",
            },
        }
        if tier:
            disk["properties"]["tier"] = tier
        if zones:
            disk["zones"] = list(zones)
        if os_type:
            disk["properties"]["osType"] = os_type
            disk["properties"]["hyperVGeneration"] = generation or "V1"
        return disk

    # -- GET -------------------------------------------------------------------------------------
    def render(self, ctx, stored):
        out = strip_lab(stored)
        p = dict(props(out))
        sp = dict(p.get("storageProfile") or {})
        if sp.get("osDisk"):
            sp["osDisk"] = self._render_disk_ref(ctx, sp["osDisk"])
        sp["dataDisks"] = [self._render_disk_ref(ctx, dd) for dd in sp.get("dataDisks") or []]
        p["storageProfile"] = sp
        request = getattr(ctx, "request", None)
        expand = (getattr(ctx, "query", None) or {}).get("$expand") or ""
        if request is not None and request.method in ("GET", "HEAD") and expand.lower() == "instanceview":
            p["instanceView"] = instance_view(ctx, stored)
        out["properties"] = p
        return out

    @staticmethod
    def _render_disk_ref(ctx, ref):
        ref = dict(ref)
        disk = ctx.get(ref_id(ref.get("managedDisk")))
        if disk is not None:
            md = dict(ref.get("managedDisk") or {})
            md["storageAccountType"] = (disk.get("sku") or {}).get("name")
            ref["managedDisk"] = md
            ref["diskSizeGB"] = props(disk).get("diskSizeGB")
        return ref

    def on_lro_complete(self, ctx, rid, stored, verb):
        if verb in ("PUT", "PATCH"):
            stored["properties"]["provisioningState"] = "Succeeded"
        return stored

    # -- DELETE ----------------------------------------------------------------------------------
    def on_deleted(self, ctx, rid, existing):
        p = props(existing)
        sp = p.get("storageProfile") or {}
        refs = [sp.get("osDisk") or {}] + list(sp.get("dataDisks") or [])
        for ref in refs:
            disk_id = ref_id(ref.get("managedDisk"))
            if not disk_id:
                continue
            if (ref.get("deleteOption") or "Detach").lower() == "delete":
                ctx.delete(disk_id)
            else:
                set_disk_owner(ctx, disk_id, None)
        for n in (p.get("networkProfile") or {}).get("networkInterfaces") or []:
            nic_id = ref_id(n)
            if (props(n).get("deleteOption") or "Detach").lower() == "delete":
                ctx.delete(nic_id)
            else:
                net.detach_nic(ctx, nic_id)

    # -- actions: the power state is transitional while the operation runs ------------------------
    #: action -> (state while it runs, state when it completes)
    POWER_ACTIONS = {"start": ("starting", "running"), "poweroff": ("stopping", "stopped"),
                     "restart": ("starting", "running"), "deallocate": ("deallocating", "deallocated")}

    def _set_power(self, ctx, rid, state):
        vm = ctx.get(rid)
        if vm is None:
            raise not_found(rid)
        vm = dict(vm)
        lab = dict(vm.get(LAB) or {})
        lab["power"] = state
        lab["power_time"] = ctx.now_iso()
        vm[LAB] = lab
        ctx.put(vm["id"], vm)
        if state == "running":
            for n in (props(vm).get("networkProfile") or {}).get("networkInterfaces") or []:
                net.set_nic_mac(ctx, ref_id(n))
        return None

    def _begin(self, ctx, rid, action):
        return self._set_power(ctx, rid, self.POWER_ACTIONS[action][0])

    def on_action_complete(self, ctx, rid, action, result):
        states = self.POWER_ACTIONS.get((action or "").lower())
        vm = ctx.get(rid)
        if states and vm is not None and vm_power(vm) == states[0]:
            self._set_power(ctx, rid, states[1])
        return result

    def start(self, ctx, rid, body):
        return self._begin(ctx, rid, "start")

    def power_off(self, ctx, rid, body):
        vm = ctx.get(rid)
        if vm is not None and vm_power(vm) == "deallocated":
            return None  # Azure accepts it and changes nothing
        return self._begin(ctx, rid, "poweroff")

    def restart(self, ctx, rid, body):
        vm = ctx.get(rid)
        if vm is not None and vm_power(vm) != "running":
            raise ArmError(409, "OperationNotAllowed",
                           "Operation 'restart' is not allowed on VM '%s' since the VM is %s."
                           % (vm["name"], "deallocated or marked to be deallocated"
                              if vm_power(vm) == "deallocated" else "not running"))
        return self._begin(ctx, rid, "restart")

    def deallocate(self, ctx, rid, body):
        return self._begin(ctx, rid, "deallocate")


def instance_view(ctx, vm):
    """VirtualMachineInstanceView of a stored VM."""
    p = props(vm)
    lab = vm.get(LAB) or {}
    power = lab.get("power", "running")
    when = lab.get("power_time") or p.get("timeCreated")
    provisioning = (p.get("provisioningState") or "Succeeded")
    prov_status = {
        "code": "ProvisioningState/%s" % provisioning.lower(),
        "level": "Info",
        "displayStatus": {"succeeded": "Provisioning succeeded", "creating": "Creating",
                          "updating": "Updating"}.get(provisioning.lower(), provisioning),
    }
    if provisioning.lower() == "succeeded":
        prov_status["time"] = when
    sp = p.get("storageProfile") or {}
    disks = []
    os_disk = ctx.get(ref_id((sp.get("osDisk") or {}).get("managedDisk")))
    for ref in [sp.get("osDisk") or {}] + list(sp.get("dataDisks") or []):
        if ref.get("name"):
            disks.append({"name": ref["name"], "statuses": [{
                "code": "ProvisioningState/succeeded", "level": "Info",
                "displayStatus": "Provisioning succeeded", "time": p.get("timeCreated")}]})
    out = {
        "hyperVGeneration": props(os_disk).get("hyperVGeneration") or "V1",
        "disks": disks,
        "statuses": [prov_status, {"code": "PowerState/%s" % power, "level": "Info",
                                   "displayStatus": POWER_DISPLAY.get(power, power)}],
    }
    if (p.get("osProfile") or {}).get("computerName"):
        out["computerName"] = p["osProfile"]["computerName"]
    if power == "running":
        out["vmAgent"] = {"vmAgentVersion": "Unknown", "statuses": [{
            "code": "ProvisioningState/Unavailable", "level": "Warning", "displayStatus": "Not Ready",
            "message": "VM status blob is found but not yet populated.", "time": when}]}
    return out


# ---------------------------------------------------------------------------------------------
# non-resource endpoints

_SUB = r"/subscriptions/(?P<sub>[^/]+)"
_VM_PATH = _SUB + r"/resourceGroups/(?P<rg>[^/]+)/providers/Microsoft\.Compute/virtualMachines/(?P<vm>[^/]+)"


def _vm_or_404(ctx, match):
    vm_id = "/subscriptions/%s/resourceGroups/%s/providers/%s/%s" % (
        match.group("sub"), match.group("rg"), VM, match.group("vm"))
    vm = ctx.get(vm_id)
    if vm is None:
        raise not_found(ctx.parse(vm_id))
    return vm


def location_vm_sizes(ctx, match, query, body):
    location = catalog.region(match.group("loc"))
    if location is None:
        raise bad_request(
            "LocationNotAvailableForResourceType",
            "The provided location '%s' is not available for resource type 'Microsoft.Compute/locations/vmSizes'. "
            "List of available regions for the resource type is '%s'."
            % (match.group("loc"), ",".join(catalog.REGIONS)))
    return 200, {"value": [catalog.vm_size_entry(s) for s in catalog.sizes_in(location)]}


_LOCATION_FILTER = re.compile(r"^\s*location\s+eq\s+'(?P<loc>[^']*)'\s*$", re.IGNORECASE)


def resource_skus(ctx, match, query, body):
    flt = (query or {}).get("$filter")
    location = None
    if flt:
        m = _LOCATION_FILTER.match(flt)
        if not m:
            raise invalid_parameter("The filter '%s' is not supported. Supported filter: location eq '<location>'."
                                    % flt, target="$filter")
        location = catalog.region(m.group("loc")) or m.group("loc")
    return 200, {"value": catalog.resource_skus(location)}


def vm_instance_view(ctx, match, query, body):
    return 200, instance_view(ctx, _vm_or_404(ctx, match))


def vm_available_sizes(ctx, match, query, body):
    vm = _vm_or_404(ctx, match)
    return 200, {"value": [catalog.vm_size_entry(s) for s in catalog.sizes_in(vm["location"])]}


ROUTES = [
    ("GET", _SUB + r"/providers/Microsoft\.Compute/locations/(?P<loc>[^/]+)/vmSizes", location_vm_sizes),
    ("GET", _SUB + r"/providers/Microsoft\.Compute/skus", resource_skus),
    ("GET", _VM_PATH + r"/instanceView", vm_instance_view),
    ("GET", _VM_PATH + r"/vmSizes", vm_available_sizes),
]

RESOURCE_TYPES = [Disk, VirtualMachine]
