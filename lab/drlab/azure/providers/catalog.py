"""Static catalog of the lab's Azure: regions and virtual machine sizes.

A realistic subset of what Azure publishes (`az vm list-sizes`, `az vm list-skus`): the numbers
(vCPUs, memory, data disks, NICs, temporary disk) are those of the real sizes. The compute provider
validates `hardwareProfile.vmSize` against it and serves the location's `vmSizes` and the
subscription's resource `skus` from it.

Availability follows Azure's two failure modes:

* a size not offered in a region (not in `Size.regions`): a VM create answers 400 `InvalidParameter`
  ("...provided for the VM size is not valid. The valid sizes in the current region are: ...");
* a size offered but restricted for the subscription (`RESTRICTIONS`): the SKU list shows it with
  `restrictions` (reasonCode `NotAvailableForSubscription`) and a VM create answers 409
  `SkuNotAvailable`. A zone restriction only bites when the VM asks for that zone.
"""
from dataclasses import dataclass, field

#: region name -> (display name, availability zones)
REGIONS = {
    "westeurope": ("West Europe", ("1", "2", "3")),
    "northeurope": ("North Europe", ("1", "2", "3")),
    "uksouth": ("UK South", ("1", "2", "3")),
    "ukwest": ("UK West", ()),
    "francecentral": ("France Central", ("1", "2", "3")),
    "germanywestcentral": ("Germany West Central", ("1", "2", "3")),
    "swedencentral": ("Sweden Central", ("1", "2", "3")),
    "eastus": ("East US", ("1", "2", "3")),
    "eastus2": ("East US 2", ("1", "2", "3")),
    "westus2": ("West US 2", ("1", "2", "3")),
    "centralus": ("Central US", ("1", "2", "3")),
    "southeastasia": ("Southeast Asia", ("1", "2", "3")),
}

ALL_REGIONS = tuple(REGIONS)
OS_DISK_SIZE_MB = 1047552  # what Azure reports as osDiskSizeInMB for every size


@dataclass(frozen=True)
class Size:
    name: str                 # Standard_D2s_v5
    family: str               # standardDSv5Family
    vcpus: int
    memory_gb: float
    max_data_disks: int
    max_nics: int
    temp_disk_mb: int         # MaxResourceVolumeMB; 0 for the sizes without a temporary disk
    premium_io: bool
    hyperv_generations: str = "V1,V2"
    accelerated_networking: bool = True
    regions: tuple = field(default=ALL_REGIONS)

    @property
    def short(self):
        """The `size` of a resource SKU: the name without its tier ("D2s_v5")."""
        return self.name.split("_", 1)[1]

    @property
    def memory_mb(self):
        return int(self.memory_gb * 1024)


def _s(name, family, vcpus, mem, disks, nics, temp, premium, **kw):
    return Size(name, family, vcpus, mem, disks, nics, temp, premium, **kw)


# Lsv3 is not offered everywhere (a smaller region, UK West, lacks it).
_L_REGIONS = tuple(r for r in ALL_REGIONS if r not in ("ukwest",))

SIZES = (
    # B-series (burstable)
    _s("Standard_B1s", "standardBSFamily", 1, 1, 2, 2, 4096, True, accelerated_networking=False),
    _s("Standard_B1ms", "standardBSFamily", 1, 2, 2, 2, 4096, True, accelerated_networking=False),
    _s("Standard_B2s", "standardBSFamily", 2, 4, 4, 3, 8192, True, accelerated_networking=False),
    _s("Standard_B2ms", "standardBSFamily", 2, 8, 4, 3, 16384, True, accelerated_networking=False),
    _s("Standard_B4ms", "standardBSFamily", 4, 16, 8, 4, 32768, True, accelerated_networking=False),
    _s("Standard_B8ms", "standardBSFamily", 8, 32, 16, 4, 65536, True, accelerated_networking=False),
    # Dv3 / Dsv3
    _s("Standard_D2_v3", "standardDv3Family", 2, 8, 4, 2, 51200, False),
    _s("Standard_D4_v3", "standardDv3Family", 4, 16, 8, 2, 102400, False),
    _s("Standard_D8_v3", "standardDv3Family", 8, 32, 16, 4, 204800, False),
    _s("Standard_D16_v3", "standardDv3Family", 16, 64, 32, 8, 409600, False),
    _s("Standard_D2s_v3", "standardDSv3Family", 2, 8, 4, 2, 16384, True),
    _s("Standard_D4s_v3", "standardDSv3Family", 4, 16, 8, 2, 32768, True),
    _s("Standard_D8s_v3", "standardDSv3Family", 8, 32, 16, 4, 65536, True),
    _s("Standard_D16s_v3", "standardDSv3Family", 16, 64, 32, 8, 131072, True),
    # Dv4 / Dsv4 (no temporary disk)
    _s("Standard_D2_v4", "standardDv4Family", 2, 8, 4, 2, 0, False),
    _s("Standard_D4_v4", "standardDv4Family", 4, 16, 8, 2, 0, False),
    _s("Standard_D8_v4", "standardDv4Family", 8, 32, 16, 4, 0, False),
    _s("Standard_D2s_v4", "standardDSv4Family", 2, 8, 4, 2, 0, True),
    _s("Standard_D4s_v4", "standardDSv4Family", 4, 16, 8, 2, 0, True),
    _s("Standard_D8s_v4", "standardDSv4Family", 8, 32, 16, 4, 0, True),
    # Dv5 / Dsv5 (no temporary disk)
    _s("Standard_D2_v5", "standardDv5Family", 2, 8, 4, 2, 0, False),
    _s("Standard_D4_v5", "standardDv5Family", 4, 16, 8, 2, 0, False),
    _s("Standard_D8_v5", "standardDv5Family", 8, 32, 16, 4, 0, False),
    _s("Standard_D16_v5", "standardDv5Family", 16, 64, 32, 8, 0, False),
    _s("Standard_D2s_v5", "standardDSv5Family", 2, 8, 4, 2, 0, True),
    _s("Standard_D4s_v5", "standardDSv5Family", 4, 16, 8, 2, 0, True),
    _s("Standard_D8s_v5", "standardDSv5Family", 8, 32, 16, 4, 0, True),
    _s("Standard_D16s_v5", "standardDSv5Family", 16, 64, 32, 8, 0, True),
    _s("Standard_D32s_v5", "standardDSv5Family", 32, 128, 32, 8, 0, True),
    # Ev5 / Esv5 (memory optimised, no temporary disk)
    _s("Standard_E2_v5", "standardEv5Family", 2, 16, 4, 2, 0, False),
    _s("Standard_E4_v5", "standardEv5Family", 4, 32, 8, 2, 0, False),
    _s("Standard_E8_v5", "standardEv5Family", 8, 64, 16, 4, 0, False),
    _s("Standard_E2s_v5", "standardESv5Family", 2, 16, 4, 2, 0, True),
    _s("Standard_E4s_v5", "standardESv5Family", 4, 32, 8, 2, 0, True),
    _s("Standard_E8s_v5", "standardESv5Family", 8, 64, 16, 4, 0, True),
    _s("Standard_E16s_v5", "standardESv5Family", 16, 128, 32, 8, 0, True),
    # Fsv2 (compute optimised)
    _s("Standard_F2s_v2", "standardFSv2Family", 2, 4, 4, 2, 16384, True),
    _s("Standard_F4s_v2", "standardFSv2Family", 4, 8, 8, 2, 32768, True),
    _s("Standard_F8s_v2", "standardFSv2Family", 8, 16, 16, 4, 65536, True),
    _s("Standard_F16s_v2", "standardFSv2Family", 16, 32, 32, 4, 131072, True),
    # Lsv3 (storage optimised; Gen2 only)
    _s("Standard_L8s_v3", "standardLSv3Family", 8, 64, 16, 4, 81920, True, hyperv_generations="V2",
       regions=_L_REGIONS),
    _s("Standard_L16s_v3", "standardLSv3Family", 16, 128, 32, 8, 163840, True, hyperv_generations="V2",
       regions=_L_REGIONS),
)

#: (size, region, zones): the subscription may not use the size there. zones None: the whole region
#: (NotAvailableForSubscription); a tuple: only those zones.
RESTRICTIONS = (
    ("Standard_L16s_v3", "westeurope", None),
    ("Standard_D16s_v3", "northeurope", ("3",)),
)

_BY_NAME = {s.name.lower(): s for s in SIZES}


def size(name):
    """The Size called `name` (case-insensitive), or None."""
    return _BY_NAME.get((name or "").lower())


def region(name):
    """Normalise a location ("West Europe", "westeurope") to its name, or None when unknown."""
    key = (name or "").replace(" ", "").lower()
    return key if key in REGIONS else None


def sizes_in(location):
    loc = region(location)
    return [s for s in SIZES if loc in s.regions]


def restriction(size_name, location):
    """The zones restricted for this size in this region: None (none), () (the whole region), a tuple."""
    loc = region(location)
    for name, reg, zones in RESTRICTIONS:
        if name.lower() == (size_name or "").lower() and reg == loc:
            return () if zones is None else tuple(zones)
    return None


def capabilities(s):
    """The resource SKU capabilities, named and valued as Azure's SKU API does (all strings)."""
    def b(v):
        return "True" if v else "False"
    return [
        {"name": "MaxResourceVolumeMB", "value": str(s.temp_disk_mb)},
        {"name": "OSVhdSizeMB", "value": str(OS_DISK_SIZE_MB)},
        {"name": "vCPUs", "value": str(s.vcpus)},
        {"name": "MemoryPreservingMaintenanceSupported", "value": "True"},
        {"name": "HyperVGenerations", "value": s.hyperv_generations},
        {"name": "MemoryGB", "value": ("%g" % s.memory_gb)},
        {"name": "MaxDataDiskCount", "value": str(s.max_data_disks)},
        {"name": "CpuArchitectureType", "value": "x64"},
        {"name": "LowPriorityCapable", "value": b(not s.family.startswith("standardB"))},
        {"name": "PremiumIO", "value": b(s.premium_io)},
        {"name": "VMDeploymentTypes", "value": "IaaS"},
        {"name": "vCPUsAvailable", "value": str(s.vcpus)},
        {"name": "vCPUsPerCore", "value": "1" if s.vcpus == 1 or s.family.startswith("standardB") else "2"},
        {"name": "EphemeralOSDiskSupported", "value": b(s.temp_disk_mb > 0 and s.premium_io)},
        {"name": "EncryptionAtHostSupported", "value": "True"},
        {"name": "AcceleratedNetworkingEnabled", "value": b(s.accelerated_networking)},
        {"name": "RdmaEnabled", "value": "False"},
        {"name": "MaxNetworkInterfaces", "value": str(s.max_nics)},
    ]


def vm_size_entry(s):
    """One item of `GET .../locations/{loc}/vmSizes` (VirtualMachineSize)."""
    return {
        "name": s.name,
        "numberOfCores": s.vcpus,
        "osDiskSizeInMB": OS_DISK_SIZE_MB,
        "resourceDiskSizeInMB": s.temp_disk_mb,
        "memoryInMB": s.memory_mb,
        "maxDataDiskCount": s.max_data_disks,
    }


def resource_skus(location=None):
    """The `virtualMachines` resource SKUs, one entry per size and region as Azure lists them."""
    out = []
    for s in SIZES:
        for loc in s.regions:
            if location and loc != region(location):
                continue
            zones = list(REGIONS[loc][1])
            restrictions = []
            restricted = restriction(s.name, loc)
            if restricted == ():
                restrictions.append({
                    "type": "Location", "values": [loc],
                    "restrictionInfo": {"locations": [loc], "zones": zones},
                    "reasonCode": "NotAvailableForSubscription"})
            elif restricted:
                restrictions.append({
                    "type": "Zone", "values": [loc],
                    "restrictionInfo": {"locations": [loc], "zones": list(restricted)},
                    "reasonCode": "NotAvailableForSubscription"})
            out.append({
                "resourceType": "virtualMachines",
                "name": s.name,
                "tier": "Standard",
                "size": s.short,
                "family": s.family,
                "locations": [loc],
                "locationInfo": [{"location": loc, "zones": zones, "zoneDetails": []}],
                "capabilities": capabilities(s),
                "restrictions": restrictions,
            })
    return out
