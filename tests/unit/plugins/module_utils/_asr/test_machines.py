# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Discovered machines found by VM name, instance UUID or BIOS UUID; unknown ones name close matches."""

from __future__ import annotations

import pytest

from ansible_collections.dr.asr.plugins.module_utils._errors import InputError
from ansible_collections.dr.asr.plugins.module_utils._asr.machines import MachineIndex, machine_facts


def machine(name, n, deleted=False, vcenter="vc1"):
    return machine_facts({"id": "/s/machines/m%d" % n, "name": "m%d" % n, "properties": {
        "displayName": name, "instanceUuid": "5010c3d4-0000-4000-8000-%012d" % n,
        "biosGuid": "4210a1b2-0c0d-4e0f-8000-%012d" % n, "isDeleted": deleted, "vCenterFQDN": vcenter,
        "firmware": "efi", "operatingSystemDetails": {"osType": "windowsguest"},
        "disks": [{"uuid": "d%d" % n, "label": "Hard disk 1", "name": "scsi0:0", "maxSizeInBytes": 64 * 1024 ** 3}],
        "networkAdapters": [{"macAddress": "00:50:56:AA:00:%02d" % n, "label": "Network adapter 1"}]}})


INDEX = MachineIndex([machine("web-01", 1), machine("web-02", 2), machine("db-01", 3), machine("old-01", 4, deleted=True),
                      machine("twin", 5), machine("twin", 6, vcenter="vc2")])


def test_facts():
    facts = INDEX.find("name", name="web-01")
    assert (facts["os_type"], facts["firmware"], facts["nics"][0]["mac"]) == ("windows", "efi", "00:50:56:aa:00:01")
    # size in bytes and position: what rcm.disk_map matches the item's agent-named disks by
    assert facts["disks"] == [{"id": "d1", "label": "Hard disk 1", "location": "scsi0:0", "size_gb": 64,
                               "size_bytes": 64 * 1024 ** 3, "os_disk": True, "position": 0}]


def test_by_uuid_either_bios_byte_order():
    assert INDEX.find("instance_uuid", instance_uuid="5010C3D4-0000-4000-8000-000000000002")["vm_name"] == "web-02"
    assert INDEX.find("bios_uuid", bios_uuid="4210a1b2-0c0d-4e0f-8000-000000000003")["vm_name"] == "db-01"
    assert INDEX.find("bios_uuid", bios_uuid="b2a11042-0d0c-0f4e-8000-000000000003")["vm_name"] == "db-01"


def test_unknown_name_lists_close_matches():
    with pytest.raises(InputError) as info:
        INDEX.find("vms[3].name", name="web-1")
    assert info.value.parameter == "vms[3].name" and "Close matches: web-01, web-02" in info.value.message
    with pytest.raises(InputError) as info:
        INDEX.find("name", name="zzzz")
    assert "No discovered VM has a similar name" in info.value.message


@pytest.mark.parametrize("name,text", [("old-01", "deleted from vCenter"), ("twin", "instance_uuid")])
def test_deleted_and_ambiguous(name, text):
    with pytest.raises(InputError) as info:
        INDEX.find("name", name=name)
    assert text in info.value.message
