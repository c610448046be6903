# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The protected_items inventory's hosts from the one in-memory ASR (tests/unit/asr_fake.py) behind the real SDK
clients: every item a host with its GET facts (a list has NICs empty), its plans, its groups and its address."""

from __future__ import annotations

from ansible_collections.dr.asr.plugins.module_utils._asr import inventory
from ansible_collections.dr.asr.tests.unit.asr_fake import RG, VAULT, FakeAsr


def test_hosts_groups_and_addresses(monkeypatch):
    fake = FakeAsr(vms=["web-01", "web-02", "db-01"], protected=["web-01", "web-02", "db-01"])
    fake.add_plan("rp-web", [["web-01", "web-02"]])
    for vm, ip in (("web-01", "10.0.0.11"), ("web-02", "10.0.0.12"), ("db-01", "10.0.0.21")):
        fake.item(vm)["properties"]["providerSpecificDetails"].update(
            protectedDisks=[{"diskId": "/dev/sda", "isOSDisk": "true", "capacityInBytes": 2 ** 34}],
            vmNics=[{"nicId": "00:50:56:00:00:01", "isPrimaryNic": "true", "sourceIPAddress": ip}])
    monkeypatch.setattr(inventory, "AzureClients", lambda params: fake.clients())
    hosts = inventory.read({}, RG, VAULT)
    by_name = dict((h["item"]["vm_name"], h) for h in hosts)
    assert sorted(by_name) == ["db-01", "web-01", "web-02"]
    web = by_name["web-01"]
    assert web["recovery_plans"] == ["rp-web"] and by_name["db-01"]["recovery_plans"] == []
    assert web["item"]["nics"], "the item's NICs come from its GET (a list has them empty)"
    assert web["address"] == web["source_address"] == "10.0.0.11" and web["recovered"] is None
    assert fake.count("GET", "item_get") == 3
    groups = inventory.groups_of(web)
    assert "recovery_plan_rp-web" in groups and "phase_protected" in groups and "runs_in_on_premises" in groups


def test_the_recovered_vm_is_the_address_while_it_is_up():
    host = {"item": {"phase": "test_failover"}, "recovered": {"exists": True, "nics": [
        {"attached": True, "primary": False, "private_ip": "10.20.0.9"},
        {"attached": True, "primary": True, "private_ip": "10.20.0.4"}]}}
    assert inventory._recovered_address(host["recovered"]) == "10.20.0.4"
    assert inventory._recovered_address({"exists": False, "nics": []}) is None
    assert inventory._source_address({"nics": [{"primary": False, "source_ip": "10.0.0.9"},
                                               {"primary": True, "source_ip": "10.0.0.5"}]}) == "10.0.0.5"
