# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""protect_disks: the protect role's disk reconciliation summary from a dr.asr.protected_item_disks result."""

from __future__ import annotations

from ansible_collections.dr.asr.plugins.filter.protect import protect_disks


def _disk(disk_id, protected):
    return dict(id=disk_id, name=disk_id, protected=protected, size_gb=40, disk_type="Standard_LRS", state=None)


def _result():
    return dict(changed=True, protected_items=[
        dict(name="db-01", action="start", changed=True, error=None, warnings=[],
             diff=dict(before=dict(disks=[_disk("/dev/sda", True), _disk("/dev/sdb", False)]),
                       after=dict(disks=[_disk("/dev/sda", True), _disk("/dev/sdb", True)]))),
        dict(name="web-01", action="none", changed=False, error=None, diff=dict(before={}, after={}),
             warnings=["web-01: protected disks vCenter no longer has (/dev/sdb) stay replicated - ..."]),
        dict(name="app-01", action="none", changed=False, error=dict(message="Cannot add disks: app-01 is ..."),
             diff=dict(before={}, after={}))])


def test_added_disks_removed_ones_and_errors_per_vm():
    out = protect_disks(_result())
    assert out["changed"] == ["db-01"] and out["failed"] == [["app-01", "Cannot add disks: app-01 is ..."]]
    assert out["vms"]["db-01"]["added"] == ["/dev/sdb"] and out["vms"]["web-01"]["added"] == []
    assert out["vms"]["web-01"]["removed_in_vcenter"] and not out["vms"]["db-01"]["removed_in_vcenter"]
    assert out["lines"][0] == "db-01: added disk(s) /dev/sdb"
    assert protect_disks(_result(), check_mode=True)["lines"][0] == "db-01: would add disk(s) /dev/sdb"


def test_not_run_or_skipped_is_empty_and_a_module_failure_is_a_line():
    empty = dict(vms={}, changed=[], failed=[], lines=[])
    assert protect_disks(None) == empty and protect_disks(dict(skipped=True, changed=False)) == empty
    failed = protect_disks(dict(failed=False, msg="vault not found", protected_items=[]))
    assert failed["lines"] == ["disks not reconciled: vault not found"]
