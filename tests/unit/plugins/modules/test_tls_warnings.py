# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""TLS verification turned off is never silent: every module run warns while it is off - Azure
(cert_validation_mode=ignore, AZURE_CERT_VALIDATION_MODE=ignore) and vSphere (validate_certs=false,
VMWARE_VALIDATE_CERTS=false) - and so does the protected_items inventory plugin. Verified TLS warns nothing.
The network edges are the fakes (ASR behind the real SDK clients, the vCenter stub)."""

from __future__ import annotations

from unittest import mock

import pytest

from ansible.inventory.data import InventoryData
from ansible.module_utils import basic

from ansible_collections.dr.asr.plugins.inventory import protected_items as inventory_plugin
from ansible_collections.dr.asr.plugins.module_utils._asr import inventory
from ansible_collections.dr.asr.plugins.modules import replication_policy_info, source_vm_info, vault_info
from ansible_collections.dr.asr.tests.unit.asr_fake import RG, VAULT, FakeAsr
from ansible_collections.dr.asr.tests.unit.plugins.module_utils._vsphere.fake_vcenter import SMART_CONNECT, small_inventory
from ansible_collections.dr.asr.tests.unit.plugins.modules.utils import patch_exit_json, run_module, set_module_args

AZURE_OFF = "TLS certificate verification is OFF for Azure"
VSPHERE_OFF = "TLS certificate verification is OFF for vSphere"


@pytest.fixture
def warnings(monkeypatch):
    patch_exit_json(monkeypatch)
    for name in ("AZURE_CERT_VALIDATION_MODE", "VMWARE_VALIDATE_CERTS"):
        monkeypatch.delenv(name, raising=False)
    seen = []
    monkeypatch.setattr(basic.AnsibleModule, "warn", lambda self, msg, **kw: seen.append(msg))
    return seen


@pytest.fixture
def arm(monkeypatch):
    return FakeAsr(policies=["pol"]).patch(monkeypatch)


def run(module, args):
    with set_module_args(args):
        return run_module(module.main)


@pytest.mark.parametrize("how", ["option", "environment"])
def test_azure_modules_warn_every_run_while_verification_is_off(warnings, arm, monkeypatch, how):
    args = dict(vault_name=VAULT, vault_resource_group=RG)
    if how == "option":
        args["cert_validation_mode"] = "ignore"
    else:
        monkeypatch.setenv("AZURE_CERT_VALIDATION_MODE", "ignore")
    run(replication_policy_info, args)
    run(replication_policy_info, args)
    assert len([w for w in warnings if w.startswith(AZURE_OFF)]) == 2
    assert "ca_bundle" in warnings[0]


def test_azure_modules_say_nothing_while_verifying(warnings, arm):
    run(replication_policy_info, dict(vault_name=VAULT, vault_resource_group=RG))
    run(vault_info, dict(resource_group=RG))
    assert not [w for w in warnings if "TLS" in w]


@pytest.fixture
def vcenter(monkeypatch):
    fake, _refs = small_inventory()
    with mock.patch(SMART_CONNECT, fake.smart_connect):
        yield fake


@pytest.mark.parametrize("how", ["option", "environment"])
def test_vsphere_modules_warn_while_verification_is_off(warnings, vcenter, monkeypatch, how):
    args = dict(hostname="vcenter.lab.local", username=vcenter.user, password=vcenter.password)
    if how == "option":
        args["validate_certs"] = False
    else:
        monkeypatch.setenv("VMWARE_VALIDATE_CERTS", "false")
    run(source_vm_info, args)
    off = [w for w in warnings if w.startswith(VSPHERE_OFF)]
    assert len(off) == 1 and "vcenter.lab.local" in off[0] and "ca_path" in off[0]


def test_vsphere_modules_say_nothing_while_verifying(warnings, vcenter):
    run(source_vm_info, dict(hostname="vcenter.lab.local", username=vcenter.user, password=vcenter.password))
    assert not [w for w in warnings if "TLS" in w]


def test_the_rule():
    from ansible_collections.dr.asr.plugins.module_utils._tls import unverified_warnings
    assert unverified_warnings(dict(cert_validation_mode="validate", validate_certs=True, hostname="h")) == []
    assert unverified_warnings(dict(cert_validation_mode="ignore"))[0].startswith(AZURE_OFF)
    assert unverified_warnings(dict(validate_certs="no", hostname="h"))[0].startswith(VSPHERE_OFF)
    assert unverified_warnings(dict(validate_certs=False, hostname=None)) == []     # no vCenter to talk to


def test_the_inventory_plugin_warns_while_verification_is_off(monkeypatch):
    fake = FakeAsr(protected=["web-01"])
    monkeypatch.setattr(inventory, "AzureClients", lambda params: fake.clients())
    shown = []
    monkeypatch.setattr(inventory_plugin.display, "warning", lambda msg, *a, **kw: shown.append(msg))
    options = dict(cache=False, vault_name=VAULT, vault_resource_group=RG, recovered_addresses=True,
                   hostnames="vm_name", phases=None, strict=False, compose={}, groups={}, keyed_groups=[],
                   cert_validation_mode="ignore")
    plugin = inventory_plugin.InventoryModule()
    monkeypatch.setattr(plugin, "get_option", options.get)
    monkeypatch.setattr(plugin, "_read_config_data", lambda path: None)
    data = InventoryData()
    plugin.parse(data, None, "protected_items.yml", cache=False)
    assert "web-01" in data.hosts
    assert len(shown) == 1 and AZURE_OFF in shown[0] and shown[0].startswith("dr.asr.protected_items: ")
    options["cert_validation_mode"] = "validate"
    shown[:] = []
    plugin.parse(InventoryData(), None, "protected_items.yml", cache=False)
    assert shown == []
