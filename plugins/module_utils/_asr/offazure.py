# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the replication appliance discovered (modernized experience): Azure Migrate's VMware site, for the
appliance_info and discovered_vm_info modules.

The appliance publishes every VM of its vCenter(s) as `Microsoft.OffAzure/VMwareSites/{site}/machines/{id}`;
that machine id is the `fabricDiscoveryMachineId` enabling replication needs. The site is named by the
InMageRcm fabric (`customDetails.vmwareSiteId`). No installed SDK models Microsoft.OffAzure, so the lists
go through `_azure.arm.list_all` (the Site Recovery client's own pipeline), one paged list per site.

Machine facts are joined here with what ASR knows: the Mobility agents registered with the appliance
(the fabric's `agentDetails`, by BIOS id) and the protected items (by `fabricDiscoveryMachineId`), and,
optionally, with vCenter's facts of the same VM (by instance UUID, else BIOS UUID).
"""

from __future__ import annotations

import fnmatch

from ansible_collections.dr.asr.plugins.module_utils._azure import arm
from ansible_collections.dr.asr.plugins.module_utils._asr import lookup

#: Azure Migrate discovery (Microsoft.OffAzure) REST version: the stable one documented for
#: "Machines - Get All Machines In Site" and "RunAsAccounts - Get All Run As Accounts In Site".
OFFAZURE_API_VERSION = "2020-01-01"


def _lower(value):
    return value.strip().lower() if isinstance(value, str) and value.strip() else None


def bios_forms(bios_id):
    """A BIOS UUID as vSphere shows it, and byte-swapped (what Linux reads from DMI on older VMs)."""
    value = _lower(bios_id)
    if value is None:
        return set()
    parts = value.split("-")
    if len(parts) != 5:
        return {value}

    def swap(text):
        return "".join(reversed([text[i:i + 2] for i in range(0, len(text), 2)]))
    return {value, "-".join([swap(parts[0]), swap(parts[1]), swap(parts[2]), parts[3], parts[4]])}


# -- Azure reads ------------------------------------------------------------------------------------

def site_ids(fabrics):
    """[(fabric REST dict, VMware site id)] of the InMageRcm fabrics that name a site."""
    out = []
    for fabric in fabrics:
        site = ((fabric.get("properties") or {}).get("customDetails") or {}).get("vmwareSiteId")
        if site:
            out.append((fabric, site))
    return out


def list_machines(clients, site_id):
    return arm.list_all(clients.client("siterecovery"), site_id.rstrip("/") + "/machines", OFFAZURE_API_VERSION,
                        "Listing the discovered machines of site %s" % lookup.last_segment(site_id))


def list_run_as_accounts(clients, site_id):
    return arm.list_all(clients.client("siterecovery"), site_id.rstrip("/") + "/runasaccounts", OFFAZURE_API_VERSION,
                        "Listing the run-as accounts of site %s" % lookup.last_segment(site_id))


def run_as_account_facts(account):
    props = account.get("properties") or {}
    return dict(id=account.get("id"), name=props.get("displayName") or account.get("name"),
                credential_type=props.get("credentialType"), appliance_name=props.get("applianceName"))


# -- ASR's view of the machines ------------------------------------------------------------------------

def registered_agents(fabric):
    """{BIOS id form: agent facts} of the Mobility agents registered with the fabric's appliances."""
    out = {}
    for agent in ((fabric.get("properties") or {}).get("customDetails") or {}).get("agentDetails") or []:
        facts = dict(agent_id=agent.get("agentId"), machine_id=agent.get("machineId"), bios_id=agent.get("biosId"),
                     fqdn=agent.get("fqdn"))
        for form in bios_forms(agent.get("biosId")):
            out[form] = facts
    return out


def protected_index(items):
    """{discovery machine id (lower) or BIOS id form: protected item} of the vault's protected items."""
    out = {}
    for item in items:
        details = (item.get("properties") or {}).get("providerSpecificDetails") or {}
        machine = _lower(details.get("fabricDiscoveryMachineId"))
        if machine:
            out[machine] = item
        for form in bios_forms(details.get("biosId")):
            out.setdefault(form, item)
    return out


def _power_state(status):
    value = _lower(status)
    return {"on": "poweredOn", "off": "poweredOff", "suspended": "suspended"}.get(value, status)


def _disk_facts(disk):
    size = disk.get("maxSizeInBytes")
    return dict(uuid=disk.get("uuid"), label=disk.get("label"), name=disk.get("name"), lun=disk.get("lun"),
                size_gb=round(size / 1024.0 ** 3, 2) if isinstance(size, (int, float)) else None,
                path=disk.get("path"))


def _nic_facts(nic):
    return dict(label=nic.get("label"), mac_address=nic.get("macAddress"), network=nic.get("networkName"),
                ip_addresses=nic.get("ipAddressList") or [])


def site_of(machine_id):
    position = (machine_id or "").lower().find("/machines/")
    return machine_id[:position] if position > 0 else None


def machine_facts(machine, fabric, agents, protected):
    """The facts discovered_vm_info returns for one OffAzure machine (before the vCenter join)."""
    props = machine.get("properties") or {}
    os_details = props.get("operatingSystemDetails") or {}
    forms = bios_forms(props.get("biosGuid"))
    agent = next((agents[f] for f in forms if f in agents), None)
    item = protected.get(_lower(machine.get("id"))) or next((protected[f] for f in forms if f in protected), None)
    item_details = ((item or {}).get("properties") or {}).get("providerSpecificDetails") or {}
    mobility = item_details.get("mobilityAgentDetails") or {}
    return dict(
        machine_id=machine.get("id"), machine_name=machine.get("name"), name=props.get("displayName"),
        instance_uuid=props.get("instanceUuid"), bios_uuid=props.get("biosGuid"), fqdn=props.get("vmFqdn"),
        os_type=os_details.get("osType"), os_name=os_details.get("osName"), firmware=props.get("firmware"),
        power_state=_power_state(props.get("powerStatus")), cpu_cores=props.get("numberOfProcessorCore"),
        memory_mb=props.get("allocatedMemoryInMB"), host=props.get("hostName"), vcenter=props.get("vCenterFQDN"),
        ip_addresses=sorted(set(ip for nic in props.get("networkAdapters") or [] for ip in nic.get("ipAddressList") or [])),
        disks=[_disk_facts(d) for d in props.get("disks") or []],
        nics=[_nic_facts(n) for n in props.get("networkAdapters") or []],
        deleted=bool(props.get("isDeleted")),
        agent_registered=agent is not None, agent_installed=agent is not None or bool(mobility.get("version")),
        agent_version=mobility.get("version"), agent=agent,
        protected=item is not None, protected_item=(item or {}).get("name"), protected_item_id=(item or {}).get("id"),
        fabric=fabric.get("name"), site_id=site_of(machine.get("id")),
        errors=[dict(code=e.get("code") or e.get("id"), message=e.get("message") or e.get("summaryMessage"))
                for e in props.get("errors") or []],
        joined=False, vcenter_facts=None,
    )


# -- filters and the vCenter join ------------------------------------------------------------------

def name_matches(name, patterns):
    """Exact name or shell-style glob (*, ?, [seq]), case-sensitive like vSphere; no patterns: all."""
    if not patterns:
        return True
    return any(name == pattern or fnmatch.fnmatchcase(name or "", pattern) for pattern in patterns)


def select(vms, names=None, only_unprotected=False, include_deleted=False):
    return [vm for vm in vms if name_matches(vm["name"], names) and (include_deleted or not vm["deleted"])
            and not (only_unprotected and vm["protected"])]


def join(vms, vcenter_vms):
    """Attach vCenter's facts to each discovered VM with the same instance UUID (else BIOS UUID)."""
    by_instance = dict((_lower(v.get("instance_uuid")), v) for v in vcenter_vms if _lower(v.get("instance_uuid")))
    by_bios = {}
    for v in vcenter_vms:
        for form in bios_forms(v.get("bios_uuid")):
            by_bios.setdefault(form, v)
    for vm in vms:
        match = by_instance.get(_lower(vm["instance_uuid"]))
        if match is None:
            match = next((by_bios[f] for f in sorted(bios_forms(vm["bios_uuid"])) if f in by_bios), None)
        vm["joined"] = match is not None
        vm["vcenter_facts"] = match
    return vms
