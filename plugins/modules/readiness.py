#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: readiness
short_description: Check VMware VMs against Azure Site Recovery's support matrix and Azure VM limits
description:
  - Evaluates VMware virtual machines before they are protected with Azure Site Recovery (modernized,
    VMware to Azure) - host and vCenter versions, guest OS and bitness, OS and data disks, disk modes and
    sharing, firmware and secure boot, the Azure VM name, network and VM state - the checks of the seed's
    "Is the environment suitable?" step, per VM.
  - Each VM gets an overall result (V(pass), V(warn) or V(fail)) and one check per rule, with what was
    measured, the limit, a message and a fix. RV(table) is the same as text lines for a debug task.
  - With O(target_vm_size) and O(location), also compares each VM with that Azure VM size (network
    interfaces, data disks, VM generation), read from the Azure Resource SKUs API.
  - With O(churn), estimates each disk's data change rate from vCenter performance statistics and
    recommends a target disk type, like a small Deployment Planner.
  - Selects VMs with the same filters as M(dr.asr.source_vm_info) and reads their facts the same way
    (two property-collector round trips, however many VMs match). Templates are left out.
  - Changes nothing.
version_added: 0.1.0
author:
  - dr.asr maintainers (@dr-asr)
requirements:
  - pyvmomi
  - azure-identity and azure-mgmt-compute (imported always; Azure is called only with O(target_vm_size))
options:
  names:
    description:
      - Names of the VMs to check, exact or as shell-style glob patterns (V(*), V(?), V([seq])),
        case-sensitive. Omit to check every VM in scope.
    type: list
    elements: str
    aliases: [name]
  folder:
    description:
      - Only VMs in this VM folder or its subfolders, as a path below the datacenter's VM folder
        (V(Production/Web)) or an inventory path (V(/DC1/vm/Production/Web)). An unknown folder is an error.
    type: str
  cluster:
    description:
      - Only VMs on hosts of this cluster. An unknown cluster is an error.
    type: str
  datacenter:
    description:
      - Only VMs in this datacenter; also narrows the lookup of O(folder) and O(cluster).
    type: str
  target_vm_size:
    description:
      - The Azure VM size the replicas will get, for example V(Standard_D4s_v5). Case-insensitive.
      - Read from the Resource SKUs API of the subscription in O(location); a size not offered there, or
        restricted for the subscription there, is an error listing sizes that are.
      - Without it, the rules C(nic-count), C(vm-generation) and C(target-data-disks) report V(skip).
    type: str
  location:
    description:
      - The Azure region of the replicas (V(westeurope) or V(West Europe)). Required with O(target_vm_size).
    type: str
  churn:
    description:
      - Estimate each disk's churn (write rate) from vCenter performance statistics and check it against
        Site Recovery's churn limits (rules C(churn-disk) and C(churn-vm)).
      - Reads C(virtualDisk.write.average) (KBps) and C(virtualDisk.numberWriteAveraged.average) (write IOPS)
        of every disk of every selected VM in one C(QueryPerf) call.
    type: dict
    suboptions:
      enabled:
        description:
          - Whether to estimate churn (giving the other suboptions turns it on).
        type: bool
        default: true
      interval:
        description:
          - The statistics interval in seconds. V(20) is real time (about the last hour, powered-on VMs
            only, any statistics level). V(300) (kept for a day), V(1800) (a week), V(7200) (a month)
            and V(86400) (a year) are vCenter's default historical intervals; vCenter keeps the disk counters
            there only at statistics level 2 or higher, otherwise the churn rules report V(skip) and say so.
        type: int
        default: 300
      days:
        description:
          - How far back to look, in days (samples = days x 86400 / interval), more than V(0). Default 1.
          - Mutually exclusive with O(churn.samples).
        type: float
      samples:
        description:
          - How many of the most recent samples to read, V(1) or more. Mutually exclusive with O(churn.days).
        type: int
      percentile:
        description:
          - The percentile of the samples compared with the limits (the Deployment Planner uses the 95th), from V(1)
            to V(100).
        type: int
        default: 95
      growth_percent:
        description:
          - Growth added to the measured churn before comparing (the Deployment Planner assumes 30%), V(0) or more.
        type: int
        default: 30
notes:
  - "Rules (stable ids; a VM fails when any rule fails). Their sources are the Site Recovery support matrix
    for VMware VMs (U(https://learn.microsoft.com/azure/site-recovery/vmware-physical-azure-support-matrix),
    the copy dated 2025-12-18) unless said otherwise."
  - "C(vcenter-version), C(esxi-version): vCenter and the VM's host run 6.5, 6.7, 7.0 or 8.0 (fail when older,
    warn when newer than listed) -
    U(https://learn.microsoft.com/azure/site-recovery/vmware-physical-azure-support-matrix#on-premises-virtualization-servers)."
  - "C(guest-os): a Windows or Linux release the matrix lists, judged from the VM's configured guest OS id
    (unlisted or unknown releases warn; Windows older than 2008 R2/7, Windows Server 2008 and non-Windows,
    non-Linux systems fail). The id carries no minor version or kernel: the matrix's minimum minor versions
    and kernel lists are not checked -
    U(https://learn.microsoft.com/azure/site-recovery/vmware-physical-azure-support-matrix#replicated-machines)."
  - "C(guest-os-arch): 64-bit only; C(os-disk-count): exactly one boot disk; C(os-disk-size): the OS disk is at
    most 2,048 GB on BIOS (Generation 1) or 4,095 GB on UEFI (Generation 2); C(data-disk-count): at most 64 data
    disks - U(https://learn.microsoft.com/azure/site-recovery/vmware-physical-azure-support-matrix#azure-vm-requirements)."
  - "C(disk-size): every disk at least 1 GB, data disks at most 32,767 GB (managed disks); C(shared-disk):
    no multi-writer disks and no SCSI bus sharing (guest cluster disks); C(nvme-linux): no NVMe disks on
    Linux; C(secure-boot): UEFI only with secure boot off; C(uefi-os): no UEFI on Windows Server 2008/2008 R2 or
    Oracle Linux 6 - U(https://learn.microsoft.com/azure/site-recovery/vmware-physical-azure-support-matrix#storage)."
  - "C(independent-disk): every disk in persistent (dependent) mode. The matrix does not name VMware disk modes:
    this is dr.asr's policy - independent disks are left out of VMware snapshots and nonpersistent ones drop
    their writes at power off, so a replica and its source can drift apart. Exclude such disks or change
    their mode."
  - "C(disk-sector-size): 4K-logical-sector disks are not supported. ESXi presents VMDKs and RDMs to the guest
    with 512-byte logical sectors (4Kn devices are emulated as 512e and not supported as RDMs - vSphere Storage,
    Storage Device Formats and ESXi), so the rule passes for VMDK and RDM backings and warns for others; disks
    attached inside the guest (iSCSI) are invisible to vSphere."
  - "C(vm-name): 1 to 63 letters, digits and hyphens, a letter or digit at both ends, and no Azure reserved word
    (U(https://learn.microsoft.com/azure/azure-resource-manager/troubleshooting/error-reserved-resource-name):
    a reserved word as the whole name, MICROSOFT or WINDOWS anywhere, LOGIN at the start). RV(vms[].azure_vm_name)
    is the name the replica can get: the VM's name when valid, else a sanitized one."
  - "C(bios-uuid): no other VM checked in the same run has the same BIOS UUID (the matrix: different machines
    with the same BIOS ID aren't supported) - only the VMs selected are compared."
  - "C(ipv6-only): a NIC whose guest addresses are all IPv6 fails (guest IPv6 is not supported); V(skip) when
    VMware Tools reports no addresses - U(https://learn.microsoft.com/azure/site-recovery/vmware-physical-azure-support-matrix#network)."
  - "C(nic-count), C(target-data-disks), C(vm-generation): against O(target_vm_size) - its MaxNetworkInterfaces,
    MaxDataDiskCount and HyperVGenerations - U(https://learn.microsoft.com/azure/virtual-machines/sizes); a UEFI VM
    becomes a Generation 2 VM, a BIOS VM a Generation 1 VM - U(https://learn.microsoft.com/azure/virtual-machines/generation-2).
    V(skip) without O(target_vm_size). A VM without NICs warns."
  - "C(power-state), C(vmware-tools): warn when the VM is not powered on or VMware Tools is not running:
    the Mobility service replicates from inside the running guest, and discovery and push installation rely on
    what VMware Tools reports - U(https://learn.microsoft.com/azure/site-recovery/vmware-physical-mobility-service-overview)."
  - "C(churn-disk), C(churn-vm) (with O(churn)): the chosen percentile of each disk's write rate, plus
    O(churn.growth_percent), is compared with the per-disk limits - Standard 2 MB/s; Premium P10/P15 2, 4 or 8 MB/s
    and P20-P50 5 or 20 MB/s by average write size (8, 16, 32 KB and up) - and the sum over a VM's disks with
    54 MB/s - U(https://learn.microsoft.com/azure/site-recovery/vmware-physical-azure-support-matrix#churn-limits).
    The premium tier is the one of the replica disk's size (ASR's managed disk has the source disk's size);
    tiers below P10 are held to the P10/P15 row, P60 and up get the P20-P50 row. An unknown write size counts
    as 8 KB. RV(vms[].churn.disks[].recommended_disk_type) is the cheapest type whose limit holds."
extends_documentation_fragment:
  - dr.asr.vsphere
  - dr.asr.azure
attributes:
  check_mode:
    support: full
    description: Reads only; check mode returns the same result.
  diff_mode:
    support: none
    description: Changes nothing, so there is no diff.
seealso:
  - module: dr.asr.source_vm_info
  - name: Support matrix for disaster recovery of VMware VMs and physical servers to Azure
    description: The limits the rules check.
    link: https://learn.microsoft.com/azure/site-recovery/vmware-physical-azure-support-matrix
  - name: Azure Site Recovery Deployment Planner for VMware to Azure
    description: The full capacity planner the churn estimate borrows its percentile and growth from.
    link: https://learn.microsoft.com/azure/site-recovery/site-recovery-deployment-planner
'''

EXAMPLES = r'''
- name: Readiness of every VM, printed as a table
  module_defaults:
    group/dr.asr.vsphere: "{{ dr_asr_vsphere }}"
    group/dr.asr.azure: "{{ dr_asr_azure }}"
  block:
    - name: Check all VMs
      dr.asr.readiness:
      register: ready

    - name: Show the table
      ansible.builtin.debug:
        var: ready.table

- name: The production web tier against the size its replicas will get
  dr.asr.readiness:
    datacenter: DC1
    folder: Production/Web
    target_vm_size: Standard_D4s_v5
    location: westeurope
  register: web

- name: Stop when a VM can't be protected
  ansible.builtin.assert:
    that: web.summary.fail == 0
    fail_msg: "{{ web.vms | selectattr('result', 'eq', 'fail') | map(attribute='name') | list }} can't be protected"

- name: Database VMs, with a churn estimate from a week of 30-minute statistics (needs statistics level 2)
  dr.asr.readiness:
    names: ["db-*", "sql*"]
    churn:
      interval: 1800
      days: 7
  register: db

- name: Target disk types per disk
  ansible.builtin.debug:
    msg: "{{ item.0.name }} {{ item.1.label }}: {{ item.1.recommended_disk_type }}"
  loop: "{{ db.vms | subelements('churn.disks') }}"
  loop_control:
    label: "{{ item.0.name }}"
'''

RETURN = r'''
vms:
  description: One entry per selected VM, sorted by name (then moid). Empty when nothing matches.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: VM name in vCenter.
      type: str
      sample: sql_prod_01.
    moid:
      description: Managed object id.
      type: str
      sample: vm-1042
    result:
      description: V(fail) when any check fails, else V(warn) when any warns, else V(pass).
      type: str
      sample: fail
    azure_vm_name:
      description: >-
        The name the Azure replica can get: the VM name when it is a valid Azure VM name, else a sanitized one
        (other characters become hyphens, reserved words are avoided, at most 63 characters).
      type: str
      sample: sql-prod-01
    failed:
      description: Ids of the rules that failed.
      type: list
      elements: str
      sample: [vm-name]
    warnings:
      description: Ids of the rules that warned.
      type: list
      elements: str
      sample: []
    checks:
      description: One result per rule, in the order of the notes.
      type: list
      elements: dict
      contains:
        rule_id:
          description: The rule's stable id (see the notes).
          type: str
          sample: os-disk-size
        status:
          description: V(pass), V(warn), V(fail), or V(skip) when the rule could not be evaluated.
          type: str
          sample: fail
        measured:
          description: What the VM has (a number, a string, or a list or dict of the offending disks or NICs).
          type: raw
          sample: 3000.0
        limit:
          description: What the rule allows.
          type: raw
          sample: 2048
        message:
          description: What was found, for people.
          type: str
          sample: OS disk Hard disk 1 is 3000 GB; a Generation 1 (BIOS) VM's OS disk can have up to 2048 GB.
        fix:
          description: What to do about it (V(null) when the check passed or was skipped).
          type: str
          sample: Shrink the OS volume and disk below 2048 GB (move data to a data disk), or convert the VM to UEFI.
    churn:
      description: The churn estimate of the VM.
      returned: when O(churn) is enabled
      type: dict
      contains:
        interval:
          description: Statistics interval in seconds.
          type: int
          sample: 300
        percentile:
          description: The percentile compared with the limits.
          type: int
          sample: 95
        growth_percent:
          description: Growth added before comparing.
          type: int
          sample: 30
        samples:
          description: Samples per disk that vCenter returned (0 when none).
          type: int
          sample: 288
        status:
          description: V(pass) or V(fail) for the VM total, V(skip) without samples.
          type: str
          sample: pass
        reason:
          description: Why there are no samples (V(null) when there are).
          type: str
          sample: null
        vm_mbps:
          description: The percentile of the sum of the VM's disk write rates, MB/s.
          returned: when there are samples
          type: float
          sample: 3.1
        vm_peak_mbps:
          description: The highest sum of the VM's disk write rates, MB/s.
          returned: when there are samples
          type: float
          sample: 7.9
        vm_planned_mbps:
          description: RV(vms[].churn.vm_mbps) plus growth, compared with 54 MB/s.
          returned: when there are samples
          type: float
          sample: 4.03
        disks:
          description: Per disk.
          type: list
          elements: dict
          contains:
            label:
              description: Disk label.
              type: str
              sample: Hard disk 2
            instance:
              description: Performance counter instance (controller and unit).
              type: str
              sample: scsi1:0
            size_gb:
              description: Disk size in GiB.
              type: float
              sample: 500.0
            samples:
              description: Samples read.
              type: int
              sample: 288
            status:
              description: V(pass), V(fail) (over every limit), or V(skip) without samples.
              type: str
              sample: pass
            write_mbps:
              description: The percentile of the disk's write rate, MB/s.
              returned: when there are samples
              type: float
              sample: 2.4
            peak_mbps:
              description: The highest write rate, MB/s.
              returned: when there are samples
              type: float
              sample: 6.2
            planned_mbps:
              description: RV(vms[].churn.disks[].write_mbps) plus growth, compared with the limits.
              returned: when there are samples
              type: float
              sample: 3.12
            write_io_kb:
              description: Average write size in KB (write KBps / write IOPS); V(null) when vCenter has no IOPS.
              returned: when there are samples
              type: float
              sample: 16.0
            premium_tier:
              description: The premium SSD tier of a replica of this size.
              returned: when there are samples
              type: str
              sample: P20
            recommended_disk_type:
              description: >-
                V(Standard_LRS) or V(Premium_LRS), the cheapest target disk type whose churn limit holds;
                V(null) when none does (or without samples).
              type: str
              sample: Premium_LRS
            limit_mbps:
              description: The churn limit of the recommended type (or of the best one, when none holds), MB/s.
              returned: when there are samples
              type: float
              sample: 20
summary:
  description: How many VMs passed, warned and failed.
  returned: always
  type: dict
  contains:
    pass:
      description: VMs that passed.
      type: int
      sample: 3
    warn:
      description: VMs with warnings and no failure.
      type: int
      sample: 2
    fail:
      description: VMs that failed a check.
      type: int
      sample: 7
    total:
      description: VMs checked.
      type: int
      sample: 12
table:
  description: The results as fixed-width text lines (VM, result, failed rules and warnings in parentheses), then totals.
  returned: always
  type: list
  elements: str
  sample:
    - "VM            | RESULT | FAILED (WARNINGS)"
    - "fs-archive-01 | fail   | os-disk-size"
    - "test-vm-01    | warn   | (power-state, vmware-tools)"
    - "web-01        | pass   |"
    - "3 VMs: 1 pass, 1 warn, 1 fail"
target_vm_size:
  description: The capabilities of O(target_vm_size) in O(location) that the rules used.
  returned: when O(target_vm_size) is set
  type: dict
  sample:
    name: Standard_D4s_v5
    location: westeurope
    max_nics: 2
    max_data_disks: 8
    hyperv_generations: [V1, V2]
    premium_io: true
    vcpus: 4
    memory_gb: "16"
churn:
  description: Churn across the selected VMs.
  returned: when O(churn) is enabled
  type: dict
  contains:
    vms_with_data:
      description: VMs with statistics.
      type: int
      sample: 10
    planned_mbps:
      description: Sum of the VMs' planned churn, MB/s.
      type: float
      sample: 31.5
    gb_per_day:
      description: The same in GB per day.
      type: float
      sample: 2657.8
    process_servers:
      description: Process servers needed at 2 TB of churn per day each.
      type: int
      sample: 2
'''

import math

from ansible_collections.dr.asr.plugins.module_utils import _readiness as readiness
from ansible_collections.dr.asr.plugins.module_utils._module import DrAsrModule, run
from ansible_collections.dr.asr.plugins.module_utils._vsphere.facts import collect_vm_facts

ARGUMENT_SPEC = dict(
    names=dict(type="list", elements="str", aliases=["name"]),
    folder=dict(type="str"),
    cluster=dict(type="str"),
    datacenter=dict(type="str"),
    target_vm_size=dict(type="str"),
    location=dict(type="str"),
    churn=dict(type="dict", mutually_exclusive=[("days", "samples")], options=dict(
        enabled=dict(type="bool", default=True),
        interval=dict(type="int", default=300),
        days=dict(type="float"),
        samples=dict(type="int"),
        percentile=dict(type="int", default=95),
        growth_percent=dict(type="int", default=30),
    )),
)
BOUNDS = {"churn.interval": dict(minimum=1, unit="seconds"), "churn.days": dict(above=0),
          "churn.samples": dict(minimum=1), "churn.percentile": dict(minimum=1, maximum=100),
          "churn.growth_percent": dict(minimum=0)}

FILTERS = ("names", "folder", "cluster", "datacenter")


def build_module():
    return DrAsrModule(argument_spec=ARGUMENT_SPEC, uses=("azure", "vsphere"), azure_libraries=("azure.mgmt.compute",),
                       bounds=BOUNDS,
                       required_together=[("target_vm_size", "location")], supports_check_mode=True)


def churn_options(value):
    """The churn suboptions with max_sample, or None when churn is off (their ranges: BOUNDS, checked with the
    arguments)."""
    if not value or not value.get("enabled"):
        return None
    options = dict(value)
    days = options.get("days") or 1
    options["max_sample"] = options.get("samples") or max(1, int(math.ceil(days * 86400 / options["interval"])))
    return options


def churn_by_vm(session, vms, options):
    """{moid: churn assessment} from one QueryPerf for all VMs."""
    from ansible_collections.dr.asr.plugins.module_utils._vsphere.perf import query_disk_writes
    stats = query_disk_writes(session, vms, readiness.disk_instance, options["interval"], options["max_sample"])
    return dict((vm["moid"], readiness.assess_churn(vm, stats.get(vm["moid"]), options)) for vm in vms)


def target_size(module):
    if not module.params["target_vm_size"]:
        return None
    from ansible_collections.dr.asr.plugins.module_utils._azure.skus import vm_size
    return vm_size(module.azure(), module.params["location"], module.params["target_vm_size"])


def vcenter_about(session):
    about = session.content.about
    return {"version": getattr(about, "version", None), "api_type": getattr(about, "apiType", None)}


def check_readiness(module):
    params = module.params
    churn = churn_options(params["churn"])
    size = target_size(module)
    session = module.vsphere()
    filters = dict((key, params[key]) for key in FILTERS)
    vms = collect_vm_facts(session, filters)
    churn_results = churn_by_vm(session, vms, churn) if churn and vms else ({} if churn else None)
    ctx = readiness.context(vms, vcenter=vcenter_about(session), target_size=size, churn=churn_results)
    results = []
    for vm in vms:
        result = readiness.evaluate(vm, ctx)
        if churn is not None:
            result["churn"] = churn_results[vm["moid"]]
        results.append(result)
    out = dict(changed=False, vms=results, summary=readiness.summarize(results), table=readiness.table(results))
    if size:
        out["target_vm_size"] = size
    if churn is not None:
        out["churn"] = readiness.churn_summary(list(churn_results.values()))
    return out


def main():
    run(build_module, check_readiness)


if __name__ == "__main__":
    main()
