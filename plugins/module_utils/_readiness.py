# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Is a VMware VM ready for Azure Site Recovery? The rules, as pure functions.

Facts in (one VM as `_vsphere.facts.collect_vm_facts` returns it, plus a context), check results out:

    ctx = context(vms, vcenter={"version": "8.0.2", "api_type": "VirtualCenter"}, target_size=None)
    result = evaluate(vm, ctx)      # {"name", "moid", "result", "azure_vm_name", "failed", "warnings", "checks"}

Every check is {rule_id, status, measured, limit, message, fix}; status is pass, warn, fail or skip (the rule
could not be evaluated: no target size, no statistics, ...). A VM's result is fail when a check fails, warn
when a check warns, else pass; skips don't count.

Where the limits come from (each rule names its source in RULES):
* MS = MicrosoftDocs azure-docs articles/site-recovery/vmware-physical-azure-support-matrix.md, the copy
  dated 2025-12-18 (https://learn.microsoft.com/azure/site-recovery/vmware-physical-azure-support-matrix),
  sections "On-premises virtualization servers", "Replicated machines", "Storage", "Network",
  "Azure VM requirements" and "Churn limits".
* RN = articles/azure-resource-manager/troubleshooting/error-reserved-resource-name.md (reserved words).
* DP = articles/site-recovery/site-recovery-deployment-planner.md (95th percentile, 30 % growth).
* VMware vSphere Storage guide, "Storage Device Formats and ESXi" (4Kn devices and guest sector size).
* Azure VM sizes: the capabilities the Resource SKUs API returns (MaxNetworkInterfaces, MaxDataDiskCount,
  HyperVGenerations), passed in as ctx["target_size"].
"""

from __future__ import annotations

import ipaddress
import math
import re
import unicodedata

PASS, WARN, FAIL, SKIP = "pass", "warn", "fail", "skip"

MS = "https://learn.microsoft.com/azure/site-recovery/vmware-physical-azure-support-matrix"
RESERVED_DOC = "https://learn.microsoft.com/azure/azure-resource-manager/troubleshooting/error-reserved-resource-name"
MOBILITY_DOC = "https://learn.microsoft.com/azure/site-recovery/vmware-physical-mobility-service-overview"
SIZES_DOC = "https://learn.microsoft.com/azure/virtual-machines/sizes"
GEN2_DOC = "https://learn.microsoft.com/azure/virtual-machines/generation-2"
VSPHERE_4KN_DOC = ("https://docs.vmware.com/en/VMware-vSphere/6.7/com.vmware.vsphere.storage.doc/"
                   "GUID-5E7B4EBC-2147-42F9-9CCD-B63315EE1C52.html")


def check(rule_id, status, measured=None, limit=None, message="", fix=None):
    """One check result. `fix` only when there is something to do."""
    return {"rule_id": rule_id, "status": status, "measured": measured, "limit": limit, "message": message,
            "fix": fix if status in (WARN, FAIL) else None}


# -- vSphere versions (MS, "On-premises virtualization servers": vCenter and ESXi 8.0 and its updates,
#    7.0, 6.7 or 6.5) -------------------------------------------------------------------------------
SUPPORTED_VSPHERE = ("6.5", "6.7", "7.0", "8.0")


def _major_minor(version):
    match = re.match(r"^\s*(\d+)\.(\d+)", version or "")
    return (int(match.group(1)), int(match.group(2))) if match else None


def _version_status(version):
    """pass (listed), fail (older than 6.5 or an unlisted 6.x/7.x), warn (newer than 8.x: not listed yet)."""
    mm = _major_minor(version)
    if mm and "%d.%d" % mm in SUPPORTED_VSPHERE:
        return PASS
    if mm and mm[0] > 8:
        return WARN
    return FAIL


def rule_esxi_version(vm, ctx):
    version, host = vm.get("esxi_version"), vm.get("host")
    limit = ", ".join(SUPPORTED_VSPHERE)
    if not version:
        return check("esxi-version", WARN, None, limit, "The ESXi version of the VM's host is unknown.",
                     "Check the host's version in vCenter; Site Recovery supports ESXi %s." % limit)
    status = _version_status(version)
    message = {PASS: "ESXi %s on %s is supported." % (version, host),
               WARN: "ESXi %s on %s is newer than the versions the support matrix lists." % (version, host),
               FAIL: "ESXi %s on %s is not supported by Site Recovery." % (version, host)}[status]
    return check("esxi-version", status, version, limit, message,
                 "Move the VM (vMotion) to a host running ESXi %s, or upgrade host %s." % (limit, host))


def rule_vcenter_version(vm, ctx):
    vcenter = ctx.get("vcenter") or {}
    limit = ", ".join(SUPPORTED_VSPHERE)
    if vcenter.get("api_type") != "VirtualCenter" or not vcenter.get("version"):
        return check("vcenter-version", SKIP, vcenter.get("version"), limit,
                     "Not connected to a vCenter (a standalone ESXi host): the host's version is checked by "
                     "esxi-version.")
    version = vcenter["version"]
    status = _version_status(version)
    message = {PASS: "vCenter %s is supported." % version,
               WARN: "vCenter %s is newer than the versions the support matrix lists." % version,
               FAIL: "vCenter %s is not supported by Site Recovery." % version}[status]
    return check("vcenter-version", status, version, limit, message,
                 "Upgrade vCenter to %s (the replication appliance discovers VMs through it)." % limit)


# -- guest OS (MS, "Replicated machines" > "For Windows" / "For Linux"; vSphere guest ids) -----------------
# Windows by vSphere guest id: (status, what it is). 32-bit ids are judged on their version here; the
# guest-os-arch rule fails them.
WINDOWS_IDS = {
    "windows2022srvNext_64Guest": (PASS, "Windows Server 2025"),
    "windows2019srvNext_64Guest": (PASS, "Windows Server 2022"),
    "windows2019srv_64Guest": (PASS, "Windows Server 2019"),
    "windows9Server64Guest": (PASS, "Windows Server 2016"),
    "windows8Server64Guest": (PASS, "Windows Server 2012 or 2012 R2"),
    "windows7Server64Guest": (PASS, "Windows Server 2008 R2 (SP1 or later needed)"),
    "winLonghorn64Guest": (FAIL, "Windows Server 2008, supported for migration only, not for disaster recovery"),
    "winLonghornGuest": (FAIL, "Windows Server 2008, supported for migration only, not for disaster recovery"),
    "windows9_64Guest": (PASS, "Windows 10"),
    "windows9Guest": (PASS, "Windows 10"),
    "windows8_64Guest": (PASS, "Windows 8 or 8.1"),
    "windows8Guest": (PASS, "Windows 8 or 8.1"),
    "windows7_64Guest": (PASS, "Windows 7 (SP1 or later needed)"),
    "windows7Guest": (PASS, "Windows 7 (SP1 or later needed)"),
    "windows11_64Guest": (WARN, "Windows 11, which the support matrix does not list"),
    "windows12_64Guest": (WARN, "a Windows client release the support matrix does not list"),
    "windowsHyperVGuest": (WARN, "Hyper-V Server, which the support matrix does not list"),
}
# Windows older than Windows 7 / Server 2008 R2: win2000*, winNT, winXP*, winNet* (2003), winVista*, 9x, 3.1
_OLD_WINDOWS = re.compile(r"^win(2000|NT|XP|Net|Vista|95|98|Me|31)")

# Linux: (regex on the guest id, {version: status} or a status, what it is). Versions the matrix lists:
# RHEL 5.2-10.1, Oracle Linux 6.4-9.5, Debian 7-12 (9.0 excluded), SLES 11 SP3/SP4, 12 SP1-SP5, 15-15 SP7,
# Ubuntu 14.04-24.04 LTS, Rocky Linux 8.7-10.1. CentOS is no longer in the matrix (end of life).
_LINUX = (
    (re.compile(r"^rhel(\d+)(_64)?Guest$"), range(5, 11), "Red Hat Enterprise Linux %s"),
    (re.compile(r"^oracleLinux(\d+)(_64)?Guest$"), range(6, 10), "Oracle Linux %s"),
    (re.compile(r"^debian(\d+)(_64)?Guest$"), range(7, 13), "Debian %s"),
    (re.compile(r"^sles(\d+)(_64)?Guest$"), (11, 12, 15), "SUSE Linux Enterprise Server %s"),
)
LINUX_IDS = {
    "ubuntu64Guest": (PASS, "Ubuntu (the matrix lists 14.04 to 24.04 LTS; vSphere's guest id has no version)"),
    "ubuntuGuest": (PASS, "Ubuntu (the matrix lists 14.04 to 24.04 LTS; vSphere's guest id has no version)"),
    "rockylinux_64Guest": (PASS, "Rocky Linux (the matrix lists 8.7 to 10.1)"),
    "oracleLinux64Guest": (FAIL, "Oracle Linux 4 or 5"),
    "oracleLinuxGuest": (FAIL, "Oracle Linux 4 or 5"),
    "sles64Guest": (FAIL, "SUSE Linux Enterprise Server 9 or older"),
    "slesGuest": (FAIL, "SUSE Linux Enterprise Server 9 or older"),
    "redhatGuest": (FAIL, "Red Hat Linux (before RHEL)"),
}
_CENTOS = re.compile(r"^centos")
# Not Windows, not Linux, and known: fail. "otherGuest"/"otherGuest64" (unknown OS) only warn.
_OTHER_KNOWN = re.compile(r"^(darwin|freebsd|solaris|netware|os2|dos|eComStation|openServer|unixWare|vmkernel|"
                          r"crx|oes|sjds|win31)")


def classify_guest(guest_id, family=None):
    """(status, description) of a vSphere guest id against the support matrix."""
    if not guest_id:
        return WARN, "unknown (the VM has no guest OS id)"
    if guest_id in WINDOWS_IDS:
        return WINDOWS_IDS[guest_id]
    if _OLD_WINDOWS.match(guest_id):
        return FAIL, "a Windows release older than Windows 7 / Windows Server 2008 R2"
    if guest_id in LINUX_IDS:
        return LINUX_IDS[guest_id]
    for pattern, versions, label in _LINUX:
        match = pattern.match(guest_id)
        if match:
            version = int(match.group(1))
            if version in versions:
                return PASS, label % version
            if version > max(versions):
                return WARN, (label % version) + ", which the support matrix does not list yet"
            return FAIL, (label % version) + ", older than the support matrix lists"
    if _CENTOS.match(guest_id):
        return WARN, "CentOS, end of life and no longer in the support matrix (CentOS 6 to 8.7 used to be)"
    if family == "windows" or guest_id.startswith("win"):
        return WARN, "a Windows release the support matrix does not list"
    if family == "linux":
        return WARN, "a Linux distribution the support matrix does not list"
    if _OTHER_KNOWN.match(guest_id):
        return FAIL, "not Windows or Linux"
    return WARN, "unknown (vSphere guest id %s)" % guest_id


def rule_guest_os(vm, ctx):
    guest_id = vm.get("guest_id")
    status, what = classify_guest(guest_id, vm.get("guest_family"))
    linux = vm.get("guest_family") == "linux"
    message = "Guest OS %s: %s." % (guest_id, what)
    if status == PASS and linux:
        message += " Only the distribution's stock kernels are supported."
    fix = ("Upgrade the guest OS to a version the Site Recovery support matrix lists (Windows Server 2008 R2 SP1 "
           "to 2025, Windows 7 SP1/8/8.1/10; RHEL, Oracle Linux, Ubuntu LTS, Debian, SLES, Rocky Linux)"
           + ("; if the OS is right but vSphere's guest OS setting is wrong, correct the setting." if status == WARN
              else "."))
    return check("guest-os", status, guest_id, "Windows and Linux releases in the Site Recovery support matrix",
                 message, fix)


def rule_guest_os_arch(vm, ctx):
    is_64 = vm.get("is_64bit")
    if is_64 is None:
        return check("guest-os-arch", WARN, None, "64-bit", "The VM has no guest OS id: bitness unknown.",
                     "Set the VM's guest OS in vSphere to the OS it runs.")
    return check("guest-os-arch", PASS if is_64 else FAIL, "64-bit" if is_64 else "32-bit", "64-bit",
                 "The guest OS is %s." % ("64-bit" if is_64 else "32-bit, which Site Recovery does not replicate"),
                 "Only 64-bit guests can be protected: migrate the workload to a 64-bit OS.")


# -- disks (MS, "Azure VM requirements" and "Storage") --------------------------------------------------
OS_DISK_MAX_GB = {"bios": 2048, "efi": 4095}          # Generation 1 / Generation 2
DATA_DISK_MAX_COUNT = 64
DISK_MIN_GB = 1                                        # "at least 1 GB"
DATA_DISK_MAX_GB = 32767                               # to managed disks, Mobility service 9.41 and later


def data_disks(vm):
    os_key = (vm.get("os_disk") or {}).get("key")
    return [disk for disk in vm.get("disks") or [] if disk.get("key") != os_key]


def rule_os_disk_count(vm, ctx):
    os_disk = vm.get("os_disk")
    if not os_disk:
        return check("os-disk-count", FAIL, 0, 1, "The VM has no disk to boot from.",
                     "A machine without a boot disk can't be replicated: attach its OS disk.")
    basis = {"boot_order": "named in the VM's boot order",
             "controller_order": "the first disk by controller and unit (the boot order names no disk)"}
    return check("os-disk-count", PASS, 1, 1,
                 "OS disk: %s, %s. Boot and system partitions on different disks can't be seen from vSphere "
                 "and aren't supported." % (os_disk.get("label"), basis.get(vm.get("os_disk_basis"), "")))


def rule_os_disk_size(vm, ctx):
    os_disk = vm.get("os_disk")
    firmware = vm.get("firmware") or "bios"
    limit = OS_DISK_MAX_GB.get(firmware, OS_DISK_MAX_GB["bios"])
    generation = "Generation 2 (UEFI)" if firmware == "efi" else "Generation 1 (BIOS)"
    if not os_disk:
        return check("os-disk-size", SKIP, None, limit, "No OS disk (see os-disk-count).")
    size = os_disk.get("size_gb") or 0
    ok = size <= limit
    return check("os-disk-size", PASS if ok else FAIL, size, limit,
                 "OS disk %s is %s GB; a %s VM's OS disk can have up to %s GB." % (
                     os_disk.get("label"), _num(size), generation, limit),
                 "Shrink the OS volume and disk below %s GB (move data to a data disk)%s." % (
                     limit, "" if firmware == "efi" else ", or convert the VM to UEFI (up to 4,095 GB)"))


def rule_data_disk_count(vm, ctx):
    count = len(data_disks(vm))
    return check("data-disk-count", PASS if count <= DATA_DISK_MAX_COUNT else FAIL, count, DATA_DISK_MAX_COUNT,
                 "%d data disk%s (up to %d can be replicated)." % (count, "" if count == 1 else "s", DATA_DISK_MAX_COUNT),
                 "Exclude disks from replication or consolidate them to %d or fewer." % DATA_DISK_MAX_COUNT)


def rule_disk_size(vm, ctx):
    os_key = (vm.get("os_disk") or {}).get("key")
    bad = []
    for disk in vm.get("disks") or []:
        size = disk.get("size_gb") or 0
        too_big = disk.get("key") != os_key and size > DATA_DISK_MAX_GB  # the OS disk: os-disk-size
        if size < DISK_MIN_GB or too_big:
            bad.append("%s: %s GB" % (disk.get("label"), _num(size)))
    limit = "%d GB to %s GB per disk" % (DISK_MIN_GB, "{:,}".format(DATA_DISK_MAX_GB))
    if not bad:
        return check("disk-size", PASS, len(vm.get("disks") or []), limit, "Every disk is within %s." % limit)
    return check("disk-size", FAIL, bad, limit, "Disks outside %s: %s." % (limit, ", ".join(bad)),
                 "Grow disks under 1 GB, split disks over 32,767 GB, or exclude them from replication.")


def rule_independent_disk(vm, ctx):
    # Not in the support matrix (it doesn't name VMware disk modes): dr.asr's policy. Independent disks are
    # left out of VMware snapshots, and nonpersistent ones drop their writes at power off, so a replica can
    # drift from the source; see the module notes.
    bad = ["%s: %s" % (d.get("label"), d.get("mode")) for d in vm.get("disks") or []
           if d.get("mode") not in (None, "persistent")]
    if not bad:
        return check("independent-disk", PASS, "persistent", "persistent (dependent) disks only",
                     "Every disk is in persistent (dependent) mode.")
    return check("independent-disk", FAIL, bad, "persistent (dependent) disks only",
                 "Disks not in persistent (dependent) mode: %s." % ", ".join(bad),
                 "Power off the VM and set these disks to Dependent mode (Edit Settings > Hard disk > Disk Mode), "
                 "or exclude them from replication.")


def rule_shared_disk(vm, ctx):
    bad = []
    for disk in vm.get("disks") or []:
        if disk.get("sharing") == "sharingMultiWriter":
            bad.append("%s: multi-writer" % disk.get("label"))
        elif disk.get("bus_sharing") in ("physicalSharing", "virtualSharing"):
            bad.append("%s: %s bus sharing on %s" % (disk.get("label"), disk["bus_sharing"][:-7],
                                                     disk.get("controller")))
    limit = "no shared disks (multi-writer or SCSI bus sharing)"
    if not bad:
        return check("shared-disk", PASS, [], limit, "No disk is shared with another VM.")
    return check("shared-disk", FAIL, bad, limit,
                 "Shared (guest cluster) disks are not supported: %s." % ", ".join(bad),
                 "Exclude the shared disks from replication and protect the cluster another way "
                 "(e.g. application-level replication).")


def rule_disk_sector_size(vm, ctx):
    # MS "Storage": disks with 4K logical sectors (4Kn or 4K logical/512 physical) are not supported. ESXi
    # presents VMDKs to the guest with 512-byte logical sectors even on 4Kn devices, and does not support 4Kn
    # devices as RDMs (vSphere Storage guide), so every VMDK or RDM a VMware guest sees has 512-byte logical
    # sectors. Disks the guest attaches itself (in-guest iSCSI) are invisible to vSphere.
    unknown = ["%s: %s" % (d.get("label"), d.get("backing")) for d in vm.get("disks") or []
               if d.get("backing") not in ("flat", "sesparse", "rdm_virtual", "rdm_physical")]
    limit = "512-byte logical sectors"
    if unknown:
        return check("disk-sector-size", WARN, unknown, limit,
                     "Backing of %s unknown: its sector size can't be told from vSphere." % ", ".join(unknown),
                     "Check inside the guest that these disks have 512-byte logical sectors.")
    return check("disk-sector-size", PASS, "512 (VMDK/RDM)", limit,
                 "ESXi presents VMDK and RDM disks with 512-byte logical sectors; disks attached inside the "
                 "guest (iSCSI) are not visible here.")


def rule_nvme_linux(vm, ctx):
    # MS "Storage": Guest/server - NVMe interface: yes for Windows machines, not supported for Linux machines.
    nvme = [d.get("label") for d in vm.get("disks") or [] if (d.get("controller") or "").startswith("nvme")]
    linux = vm.get("guest_family") == "linux"
    if not nvme or not linux:
        return check("nvme-linux", PASS, len(nvme), "no NVMe disks on Linux",
                     "NVMe disks: %d%s." % (len(nvme), " (supported on Windows)" if nvme else ""))
    return check("nvme-linux", FAIL, nvme, "no NVMe disks on Linux",
                 "Linux disks on an NVMe controller are not supported: %s." % ", ".join(nvme),
                 "Move the disks to a SCSI (paravirtual) controller.")


# -- firmware (MS, "Storage": Guest/server EFI/UEFI boot) -----------------------------------------------------
UEFI_UNSUPPORTED_IDS = {
    "windows7Server64Guest": "Windows Server 2008 R2",
    "winLonghorn64Guest": "Windows Server 2008",
    "winLonghornGuest": "Windows Server 2008",
    "oracleLinux6_64Guest": "Oracle Linux 6 (not supported as an Azure Generation 2 VM)",
    "oracleLinux6Guest": "Oracle Linux 6 (not supported as an Azure Generation 2 VM)",
}


def rule_secure_boot(vm, ctx):
    efi, secure = vm.get("firmware") == "efi", bool(vm.get("secure_boot"))
    measured = "UEFI, secure boot on" if secure else ("UEFI, secure boot off" if efi else "BIOS")
    return check("secure-boot", FAIL if secure else PASS, measured, "secure boot off",
                 "UEFI with secure boot is not supported." if secure else "Firmware: %s." % measured,
                 "Power off the VM and clear Secure Boot (Edit Settings > VM Options > Boot Options).")


def rule_uefi_os(vm, ctx):
    what = UEFI_UNSUPPORTED_IDS.get(vm.get("guest_id"))
    if vm.get("firmware") != "efi" or not what:
        return check("uefi-os", PASS, vm.get("firmware"), "no UEFI on Windows Server 2008/2008 R2 or Oracle Linux 6",
                     "The firmware suits the guest OS.")
    return check("uefi-os", FAIL, "UEFI, %s" % what, "no UEFI on Windows Server 2008/2008 R2 or Oracle Linux 6",
                 "UEFI boot is not supported for %s." % what,
                 "Reinstall or convert the VM to BIOS firmware, or upgrade the OS.")


# -- name (MS, "Azure VM requirements": VM name; RN: reserved words) ------------------------------------
NAME_MAX = 63
RESERVED_WORDS = frozenset((
    "ACCESS", "APP_CODE", "APP_THEMES", "APP_DATA", "APP_GLOBALRESOURCES", "APP_LOCALRESOURCES",
    "APP_WEBREFERENCES", "APP_BROWSERS", "AZURE", "BING", "BIZSPARK", "BIZTALK", "CORTANA", "DIRECTX", "DOTNET",
    "DYNAMICS", "EXCEL", "EXCHANGE", "FOREFRONT", "GROOVE", "HOLOLENS", "HYPERV", "KINECT", "LYNC", "MSDN",
    "O365", "OFFICE", "OFFICE365", "ONEDRIVE", "ONENOTE", "OUTLOOK", "POWERPOINT", "SHAREPOINT", "SKYPE",
    "VISIO", "VISUALSTUDIO", "WEB.CONFIG", "XBOX",
))
RESERVED_SUBSTRINGS = {"MICROSOFT": "ms", "WINDOWS": "win"}   # not even as part of a name
RESERVED_PREFIXES = ("LOGIN",)                                # not at the start
_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$")


def name_problems(name):
    """Why `name` can't be an Azure VM name as Site Recovery requires (empty list: it can)."""
    problems = []
    name = name or ""
    if not 1 <= len(name) <= NAME_MAX:
        problems.append("%d characters (1 to %d allowed)" % (len(name), NAME_MAX))
    invalid = sorted(set(c for c in name if not re.match(r"[A-Za-z0-9-]", c)))
    if invalid:
        problems.append("characters other than letters, digits and hyphens: %s" % " ".join(repr(c) for c in invalid))
    if name and not (name[0].isascii() and name[0].isalnum() and name[-1].isascii() and name[-1].isalnum()):
        problems.append("must start and end with a letter or digit")
    upper = name.upper()
    if upper in RESERVED_WORDS:
        problems.append("'%s' is a reserved word" % name)
    for word in RESERVED_SUBSTRINGS:
        if word in upper:
            problems.append("contains the reserved word %s" % word)
    for word in RESERVED_PREFIXES:
        if upper.startswith(word):
            problems.append("starts with the reserved word %s" % word)
    return problems


def azure_vm_name(name, fallback="vm"):
    """The name the Azure VM would get: `name` if valid, else a sanitized one (letters, digits, hyphens)."""
    if not name_problems(name):
        return name
    text = unicodedata.normalize("NFKD", name or "")
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"[^A-Za-z0-9-]", "-", text)
    for word, short in RESERVED_SUBSTRINGS.items():
        text = re.sub(word, short, text, flags=re.IGNORECASE)
    text = re.sub(r"-{2,}", "-", text).strip("-")
    if any(text.upper().startswith(word) for word in RESERVED_PREFIXES):
        text = "vm-" + text
    text = text[:NAME_MAX].rstrip("-")
    if text.upper() in RESERVED_WORDS:
        text += "-vm"
    if not text:
        text = re.sub(r"[^A-Za-z0-9-]", "-", fallback or "vm").strip("-")[:NAME_MAX] or "vm"
    return text


def rule_vm_name(vm, ctx):
    name = vm.get("name") or ""
    problems = name_problems(name)
    limit = "1-63 letters, digits and hyphens; letter or digit at both ends; no Azure reserved word"
    if not problems:
        return check("vm-name", PASS, name, limit, "'%s' is a valid Azure VM name." % name)
    suggested = azure_vm_name(name, vm.get("moid"))
    return check("vm-name", FAIL, name, limit,
                 "'%s' is not a valid Azure VM name: %s." % (name, "; ".join(problems)),
                 "Give the replica the Azure name '%s' when enabling replication (target VM name), or rename "
                 "the VM in vCenter." % suggested)


# -- identity (MS, "Replicated machines": different machines with the same BIOS ID aren't supported) -----
def rule_bios_uuid(vm, ctx):
    counts = ctx.get("bios_uuid_counts") or {}
    uuid = vm.get("bios_uuid")
    if not uuid:
        return check("bios-uuid", WARN, None, "unique", "The VM reports no BIOS UUID.",
                     "Check the VM's configuration (uuid.bios in the .vmx).")
    others = counts.get(uuid.lower(), 1) - 1
    if others <= 0:
        return check("bios-uuid", PASS, uuid, "unique", "No other VM checked here has this BIOS UUID.")
    plural = ("", "s") if others == 1 else ("s", "")
    return check("bios-uuid", FAIL, uuid, "unique",
                 "%d other VM%s checked here share%s BIOS UUID %s." % (others, plural[0], plural[1], uuid),
                 "Give clones a new BIOS UUID (power off, remove uuid.bios from the .vmx or answer 'I copied "
                 "it' at power on).")


# -- network (MS, "Network": guest IPv6 not supported; Azure size: MaxNetworkInterfaces) -----------------
def _is_ipv4(text):
    try:
        return ipaddress.ip_address(text.split("%")[0]).version == 4
    except ValueError:
        return False


def rule_ipv6_only(vm, ctx):
    nics = vm.get("nics") or []
    reported = [nic for nic in nics if nic.get("ip_addresses")]
    limit = "an IPv4 address on every NIC that has addresses"
    if not reported:
        if vm.get("tools_running_status") != "guestToolsRunning":
            return check("ipv6-only", SKIP, None, limit,
                         "No guest addresses: VMware Tools is not running, so the guest reports none.")
        return check("ipv6-only", PASS, [], limit, "The guest reports no addresses on its NICs.")
    v6_only = [nic.get("label") for nic in reported if not any(_is_ipv4(ip) for ip in nic["ip_addresses"])]
    if not v6_only:
        return check("ipv6-only", PASS, [], limit, "Every NIC with addresses has an IPv4 address.")
    return check("ipv6-only", FAIL, v6_only, limit,
                 "IPv6 in the guest is not supported; these NICs have only IPv6 addresses: %s." % ", ".join(v6_only),
                 "Give these NICs an IPv4 address (the Azure replica's NICs are IPv4).")


def _target(ctx):
    return ctx.get("target_size")


def rule_nic_count(vm, ctx):
    count = len(vm.get("nics") or [])
    size = _target(ctx)
    if not size:
        return check("nic-count", SKIP, count, None,
                     "No target_vm_size given: the NIC count is not compared with a VM size.")
    limit = size.get("max_nics")
    if count == 0:
        return check("nic-count", WARN, 0, limit, "The VM has no network adapter.",
                     "Add a NIC: the Mobility service needs the network, and the Azure VM gets one NIC per source NIC.")
    if limit is None:
        return check("nic-count", SKIP, count, None, "%s publishes no MaxNetworkInterfaces." % size["name"])
    ok = count <= limit
    return check("nic-count", PASS if ok else FAIL, count, limit,
                 "%d NIC%s; %s takes up to %d." % (count, "" if count == 1 else "s", size["name"], limit),
                 "Choose a VM size with at least %d network interfaces, or remove NICs." % count)


def rule_vm_generation(vm, ctx):
    size = _target(ctx)
    needed = "V2" if vm.get("firmware") == "efi" else "V1"
    if not size:
        return check("vm-generation", SKIP, needed, None,
                     "No target_vm_size given: the VM generation is not compared with a VM size.")
    generations = size.get("hyperv_generations") or []
    if not generations:
        return check("vm-generation", SKIP, needed, None, "%s publishes no HyperVGenerations." % size["name"])
    ok = needed in generations
    kind = "Generation 2 (UEFI)" if needed == "V2" else "Generation 1 (BIOS)"
    return check("vm-generation", PASS if ok else FAIL, needed, generations,
                 "The replica is a %s VM; %s supports %s." % (kind, size["name"], ", ".join(generations)),
                 "Choose a VM size that supports %s VMs." % kind)


def rule_target_data_disks(vm, ctx):
    size = _target(ctx)
    count = len(data_disks(vm))
    if not size:
        return check("target-data-disks", SKIP, count, None,
                     "No target_vm_size given: the data disk count is not compared with a VM size.")
    limit = size.get("max_data_disks")
    if limit is None:
        return check("target-data-disks", SKIP, count, None, "%s publishes no MaxDataDiskCount." % size["name"])
    ok = count <= limit
    return check("target-data-disks", PASS if ok else FAIL, count, limit,
                 "%d data disk%s; %s takes up to %d." % (count, "" if count == 1 else "s", size["name"], limit),
                 "Choose a VM size with at least %d data disks, or exclude disks from replication." % count)


# -- state (Mobility service push installation and replication need a running guest) ---------------------
def rule_power_state(vm, ctx):
    state = vm.get("power_state")
    ok = state == "poweredOn"
    return check("power-state", PASS if ok else WARN, state, "poweredOn",
                 "The VM is %s." % state + ("" if ok else " Replication runs in the guest (Mobility service): "
                                            "nothing replicates while it is not running."),
                 "Power the VM on before enabling replication (push installation needs it running).")


def rule_vmware_tools(vm, ctx):
    status = vm.get("tools_running_status")
    ok = status == "guestToolsRunning"
    return check("vmware-tools", PASS if ok else WARN, status, "guestToolsRunning",
                 "VMware Tools: %s." % status + ("" if ok else " vCenter reports no guest IP address or OS, which "
                                                 "discovery and push installation of the Mobility service use."),
                 "Install or start VMware Tools in the guest.")


# -- churn (MS, "Churn limits"; DP: 95th percentile and 30 % growth) -------------------------------------
# (replication target, premium row, from average write I/O size KB, MB/s). 1 MB = 1,024 KB (2 MB/s = 168 GB/day).
CHURN_LIMITS = (
    ("Standard_LRS", None, 8, 2),
    ("Premium_LRS", "P10-P15", 8, 2),
    ("Premium_LRS", "P10-P15", 16, 4),
    ("Premium_LRS", "P10-P15", 32, 8),
    ("Premium_LRS", "P20-P50", 8, 5),
    ("Premium_LRS", "P20-P50", 16, 20),
)
VM_CHURN_MAX_MBPS = 54
PROCESS_SERVER_GB_PER_DAY = 2048
# Premium SSD tiers by disk size (GiB): the managed disk ASR creates has the source disk's size.
PREMIUM_TIERS = ((4, "P1"), (8, "P2"), (16, "P3"), (32, "P4"), (64, "P6"), (128, "P10"), (256, "P15"),
                 (512, "P20"), (1024, "P30"), (2048, "P40"), (4096, "P50"), (8192, "P60"), (16384, "P70"),
                 (32767, "P80"))


def premium_tier(size_gb):
    for top, tier in PREMIUM_TIERS:
        if size_gb <= top:
            return tier
    return None


def premium_row(tier):
    """The churn-table row of a premium tier. The table lists P10-P50: smaller tiers are held to the P10/P15
    row, larger ones (P60-P80) get the P20-P50 row."""
    if tier is None:
        return None
    return "P10-P15" if int(tier[1:]) <= 15 else "P20-P50"


def churn_limit(disk_type, row, io_kb):
    """MB/s a disk may churn: the row with the largest I/O size not above io_kb (unknown or < 8 KB: the 8 KB row,
    the smallest the table lists)."""
    size = io_kb or 8
    best_kb = best = None
    for target, premium, min_kb, mbps in CHURN_LIMITS:
        if target == disk_type and premium == row and (min_kb <= size or min_kb == 8):
            if best_kb is None or min_kb > best_kb:
                best_kb, best = min_kb, mbps
    return best


def percentile(values, pct):
    """Nearest-rank percentile of a list (None when empty)."""
    values = sorted(v for v in values if v is not None)
    if not values:
        return None
    rank = max(1, int(math.ceil(pct / 100.0 * len(values))))
    return values[rank - 1]


def _mbps(kbps):
    return round(kbps / 1024.0, 3)


def assess_disk_churn(disk, series, options):
    """Churn of one disk: {write_mbps, peak_mbps, planned_mbps, write_io_kb, premium_tier,
    recommended_disk_type, limit_mbps, status} from its write KBps (and write IOPS) samples."""
    kbps = [v for v in series.get("write_kbps") or [] if v is not None]
    out = {"label": disk.get("label"), "instance": series.get("instance"), "size_gb": disk.get("size_gb"),
           "samples": len(kbps)}
    if not kbps:
        out.update(status=SKIP, recommended_disk_type=None)
        return out
    iops = [v for v in series.get("write_iops") or [] if v is not None]
    io_kb = round(sum(kbps) / float(sum(iops)), 1) if iops and sum(iops) > 0 else None
    value = percentile(kbps, options["percentile"])
    planned = value * (1 + options["growth_percent"] / 100.0)
    tier = premium_tier(disk.get("size_gb") or 0)
    row = premium_row(tier)
    out.update(write_mbps=_mbps(value), peak_mbps=_mbps(max(kbps)), planned_mbps=_mbps(planned), write_io_kb=io_kb,
               premium_tier=tier)
    standard = churn_limit("Standard_LRS", None, io_kb)
    premium = churn_limit("Premium_LRS", row, io_kb) if row else None
    if planned / 1024.0 <= standard:
        out.update(status=PASS, recommended_disk_type="Standard_LRS", limit_mbps=standard)
    elif premium is not None and planned / 1024.0 <= premium:
        out.update(status=PASS, recommended_disk_type="Premium_LRS", limit_mbps=premium)
    else:
        out.update(status=FAIL, recommended_disk_type=None, limit_mbps=premium or standard)
    return out


def assess_churn(vm, stats, options):
    """Churn of a VM from its disks' series: {interval, samples, disks, vm_mbps, vm_peak_mbps, vm_planned_mbps,
    status, reason}. stats: {"disks": {instance: {"write_kbps": [...], "write_iops": [...]}}, "reason": str}."""
    stats = stats or {}
    series_by_instance = stats.get("disks") or {}
    disks = []
    for disk in vm.get("disks") or []:
        instance = disk_instance(disk)
        series = dict(series_by_instance.get(instance) or {}, instance=instance)
        disks.append(assess_disk_churn(disk, series, options))
    out = {"interval": options["interval"], "percentile": options["percentile"],
           "growth_percent": options["growth_percent"], "disks": disks, "reason": stats.get("reason")}
    measured = [series_by_instance.get(d["instance"], {}).get("write_kbps") or [] for d in disks]
    measured = [m for m in measured if m]
    if not measured:
        out.update(samples=0, status=SKIP)
        return out
    length = max(len(m) for m in measured)
    totals = [sum(m[i] for m in measured if i < len(m) and m[i] is not None) for i in range(length)]
    value = percentile(totals, options["percentile"])
    planned = value * (1 + options["growth_percent"] / 100.0)
    out.update(samples=length, vm_mbps=_mbps(value), vm_peak_mbps=_mbps(max(totals)), vm_planned_mbps=_mbps(planned),
               status=PASS if planned / 1024.0 <= VM_CHURN_MAX_MBPS else FAIL)
    return out


def disk_instance(disk):
    """The performance-counter instance of a virtual disk: controller kind+bus, ':', unit (scsi0:1)."""
    if not disk.get("controller") or disk.get("unit_number") is None:
        return None
    return "%s:%s" % (disk["controller"], disk["unit_number"])


def _churn_reason(churn):
    return churn.get("reason") or "vCenter returned no samples of virtualDisk.write.average."


def rule_churn_disk(vm, ctx):
    churn = (ctx.get("churn") or {}).get(vm.get("moid")) or {}
    disks = [d for d in churn.get("disks") or [] if d.get("status") != SKIP]
    if not disks:
        return check("churn-disk", SKIP, None, None, "No churn statistics: %s" % _churn_reason(churn))
    measured = dict((d["label"], d["planned_mbps"]) for d in disks)
    limits = dict((d["label"], d["limit_mbps"]) for d in disks)
    over = [d for d in disks if d["status"] == FAIL]
    basis = "%dth percentile + %d%% growth, MB/s" % (churn["percentile"], churn["growth_percent"])
    if not over:
        kinds = ", ".join("%s: %s" % (d["label"], d["recommended_disk_type"]) for d in disks)
        return check("churn-disk", PASS, measured, limits, "Disk churn (%s) fits; target disk types: %s." % (
            basis, kinds))
    names = ", ".join("%s %.1f > %s MB/s" % (d["label"], d["planned_mbps"], d["limit_mbps"]) for d in over)
    small = [d for d in over if premium_row(d.get("premium_tier")) == "P10-P15"]
    fix = "Reduce the write rate of these disks or spread it over more disks"
    if small:
        fix += ("; a replica of 257 GB or more is a P20+ premium disk, which takes 5 MB/s at 8 KB and 20 MB/s at "
                "16 KB or larger writes")
    return check("churn-disk", FAIL, measured, limits, "Disk churn (%s) over the Site Recovery limit: %s." % (
        basis, names), fix + ".")


def rule_churn_vm(vm, ctx):
    churn = (ctx.get("churn") or {}).get(vm.get("moid")) or {}
    if churn.get("status") in (None, SKIP):
        return check("churn-vm", SKIP, None, VM_CHURN_MAX_MBPS, "No churn statistics: %s" % _churn_reason(churn))
    ok = churn["status"] == PASS
    return check("churn-vm", PASS if ok else FAIL, churn["vm_planned_mbps"], VM_CHURN_MAX_MBPS,
                 "All disks together churn %.1f MB/s (%dth percentile + %d%% growth; peak %.1f MB/s); a VM may churn "
                 "up to %d MB/s." % (churn["vm_planned_mbps"], churn["percentile"], churn["growth_percent"],
                                     churn["vm_peak_mbps"], VM_CHURN_MAX_MBPS),
                 "Reduce the VM's write rate, or move part of the workload to another VM.")


def churn_summary(assessments):
    """Across VMs: planned MB/s, GB per day and process servers needed (2 TB/day each)."""
    planned = sum(a.get("vm_planned_mbps") or 0 for a in assessments)
    gb_day = round(planned * 86400 / 1024.0, 1)
    return {"vms_with_data": len([a for a in assessments if a.get("status") not in (None, SKIP)]),
            "planned_mbps": round(planned, 3), "gb_per_day": gb_day,
            "process_servers": max(1, int(math.ceil(gb_day / PROCESS_SERVER_GB_PER_DAY))) if planned else 0}


# -- the rule set -----------------------------------------------------------------------------------------
# rule id -> (function, documentation). Ids are stable: playbooks may filter on them.
RULES = (
    ("vcenter-version", rule_vcenter_version, MS + "#on-premises-virtualization-servers"),
    ("esxi-version", rule_esxi_version, MS + "#on-premises-virtualization-servers"),
    ("guest-os", rule_guest_os, MS + "#replicated-machines"),
    ("guest-os-arch", rule_guest_os_arch, MS + "#azure-vm-requirements"),
    ("os-disk-count", rule_os_disk_count, MS + "#azure-vm-requirements"),
    ("os-disk-size", rule_os_disk_size, MS + "#azure-vm-requirements"),
    ("data-disk-count", rule_data_disk_count, MS + "#azure-vm-requirements"),
    ("disk-size", rule_disk_size, MS + "#storage"),
    ("independent-disk", rule_independent_disk, MS + "#storage"),
    ("shared-disk", rule_shared_disk, MS + "#storage"),
    ("disk-sector-size", rule_disk_sector_size, VSPHERE_4KN_DOC),
    ("nvme-linux", rule_nvme_linux, MS + "#storage"),
    ("secure-boot", rule_secure_boot, MS + "#storage"),
    ("uefi-os", rule_uefi_os, MS + "#storage"),
    ("vm-name", rule_vm_name, RESERVED_DOC),
    ("bios-uuid", rule_bios_uuid, MS + "#replicated-machines"),
    ("ipv6-only", rule_ipv6_only, MS + "#network"),
    ("nic-count", rule_nic_count, SIZES_DOC),
    ("vm-generation", rule_vm_generation, GEN2_DOC),
    ("target-data-disks", rule_target_data_disks, SIZES_DOC),
    ("power-state", rule_power_state, MOBILITY_DOC),
    ("vmware-tools", rule_vmware_tools, MOBILITY_DOC),
)
CHURN_RULES = (
    ("churn-disk", rule_churn_disk, MS + "#churn-limits"),
    ("churn-vm", rule_churn_vm, MS + "#churn-limits"),
)
RULE_DOCS = dict((rule_id, doc) for rule_id, _fn, doc in RULES + CHURN_RULES)


def context(vms, vcenter=None, target_size=None, churn=None):
    """What the rules need beyond one VM: vCenter version, target size, BIOS UUID counts, churn."""
    counts = {}
    for vm in vms:
        if vm.get("bios_uuid"):
            counts[vm["bios_uuid"].lower()] = counts.get(vm["bios_uuid"].lower(), 0) + 1
    return {"vcenter": vcenter, "target_size": target_size, "bios_uuid_counts": counts, "churn": churn}


def overall(checks):
    statuses = set(c["status"] for c in checks)
    return FAIL if FAIL in statuses else WARN if WARN in statuses else PASS


def evaluate(vm, ctx=None):
    """The readiness of one VM: every rule (and the churn rules when ctx["churn"] is set)."""
    ctx = ctx or {}
    rules = RULES + (CHURN_RULES if ctx.get("churn") is not None else ())
    checks = [fn(vm, ctx) for _rule_id, fn, _doc in rules]
    return {
        "name": vm.get("name"),
        "moid": vm.get("moid"),
        "result": overall(checks),
        "azure_vm_name": azure_vm_name(vm.get("name"), vm.get("moid")),
        "failed": [c["rule_id"] for c in checks if c["status"] == FAIL],
        "warnings": [c["rule_id"] for c in checks if c["status"] == WARN],
        "checks": checks,
    }


def summarize(results):
    summary = {PASS: 0, WARN: 0, FAIL: 0}
    for result in results:
        summary[result["result"]] += 1
    summary["total"] = len(results)
    return summary


NAME_COLUMN_MAX = 40


def table(results):
    """Fixed-width text lines: VM | RESULT | FAILED (WARNINGS), then a totals line."""
    width = min(max([len(r["name"] or "") for r in results] + [2]), NAME_COLUMN_MAX)

    def cell(name):
        name = name or ""
        return (name if len(name) <= width else name[:width - 3] + "...").ljust(width)

    lines = ["%s | RESULT | FAILED (WARNINGS)" % "VM".ljust(width)]
    for r in results:
        issues = ", ".join(r["failed"])
        if r["warnings"]:
            issues = (issues + " " if issues else "") + "(%s)" % ", ".join(r["warnings"])
        lines.append(("%s | %-6s | %s" % (cell(r["name"]), r["result"], issues)).rstrip())
    s = summarize(results)
    lines.append("%d VM%s: %d pass, %d warn, %d fail" % (s["total"], "" if s["total"] == 1 else "s", s[PASS],
                                                         s[WARN], s[FAIL]))
    return lines


def _num(value):
    return ("%.3f" % value).rstrip("0").rstrip(".") if isinstance(value, float) else str(value)
