# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The uniform finders: by name, moid, uuid, path; None, NotFound, or Ambiguous naming the matches."""

from __future__ import annotations

from unittest import mock

import pytest
from pyVmomi import vim

from ansible_collections.dr.asr.plugins.module_utils._errors import VSphereError
from ansible_collections.dr.asr.plugins.module_utils._vsphere import finders
from ansible_collections.dr.asr.plugins.module_utils._vsphere.client import VSphereSession
from ansible_collections.dr.asr.tests.unit.plugins.module_utils._vsphere.fake_vcenter import (
    SMART_CONNECT, small_inventory)


@pytest.fixture
def inv():
    fake, refs = small_inventory()
    # a second datacenter with a VM and a folder path that also exist in DC1
    dc2 = fake.datacenter("DC2")
    host = fake.host(dc2, "esx-dc2.lab.local")
    refs["dc2"] = dc2
    refs["dc2_web"] = fake.vm_folder(dc2, "Production/Web")
    refs["dc2_web01"] = fake.vm("web-01", refs["dc2_web"], host)
    refs["slash"] = fake.vm("a%2fb", refs["infra"], refs["esx1"])
    with mock.patch(SMART_CONNECT, fake.smart_connect):
        session = VSphereSession(fake.params())
    fake.calls.clear()
    return fake, refs, session


def test_vm_by_unique_name(inv):
    fake, refs, session = inv
    assert finders.get_vm(session, name="win-dc-01") == refs["win-dc-01"]
    assert fake.calls["RetrievePropertiesEx"] == 1


def test_vm_name_in_two_datacenters_is_ambiguous_and_names_both(inv):
    _fake, refs, session = inv
    with pytest.raises(VSphereError) as raised:
        finders.get_vm(session, name="web-01")
    error = raised.value
    assert error.code == "Ambiguous"
    assert refs["web-01"]._moId in error.message and refs["dc2_web01"]._moId in error.message
    assert sorted(error.details["matches"]) == sorted([refs["web-01"]._moId, refs["dc2_web01"]._moId])
    assert "datacenter" in error.recommended_action


def test_datacenter_narrows_the_search(inv):
    _fake, refs, session = inv
    assert finders.get_vm(session, name="web-01", datacenter="DC2") == refs["dc2_web01"]
    assert finders.get_vm(session, name="web-01", datacenter=refs["dc"]) == refs["web-01"]


def test_missing_vm_is_none_or_not_found(inv):
    _fake, _refs, session = inv
    assert finders.get_vm(session, name="nope") is None
    with pytest.raises(VSphereError) as raised:
        finders.get_vm(session, name="nope", fail_on_missing=True)
    assert raised.value.code == "NotFound" and "nope" in raised.value.message


def test_escaped_names_match_their_plain_form(inv):
    _fake, refs, session = inv
    assert finders.get_vm(session, name="a/b") == refs["slash"]


def test_vm_by_moid(inv):
    _fake, refs, session = inv
    found = finders.get_vm(session, moid=refs["web-02"]._moId)
    assert isinstance(found, vim.VirtualMachine) and found == refs["web-02"]
    assert finders.get_vm(session, moid="vm-999") is None
    with pytest.raises(VSphereError) as raised:
        finders.get_vm(session, moid="vm-999", fail_on_missing=True)
    assert "vm-999" in raised.value.message


def test_vm_by_uuids(inv):
    fake, refs, session = inv
    props = fake.props(refs["web-02"])
    assert finders.get_vm(session, instance_uuid=props["config.instanceUuid"]) == refs["web-02"]
    assert finders.get_vm(session, bios_uuid=props["config.uuid"]) == refs["web-02"]
    assert finders.get_vm(session, instance_uuid=props["config.uuid"]) is None  # a BIOS UUID is no instance UUID
    assert fake.calls["FindByUuid"] == 3
    with pytest.raises(VSphereError) as raised:
        finders.get_vm(session, bios_uuid="0000", fail_on_missing=True)
    assert "BIOS UUID 0000" in raised.value.message


def test_unknown_datacenter_fails(inv):
    _fake, _refs, session = inv
    with pytest.raises(VSphereError) as raised:
        finders.get_vm(session, name="web-01", datacenter="DC9")
    assert raised.value.code == "NotFound" and "datacenter" in raised.value.message


def test_other_finders(inv):
    _fake, refs, session = inv
    assert finders.get_datacenter(session, name="DC2") == refs["dc2"]
    assert finders.get_cluster(session, name="Prod-Cluster") == refs["cluster"]
    assert finders.get_cluster(session, name="Prod-Cluster", datacenter="DC2") is None
    assert finders.get_host(session, name="esx-legacy01.lab.local") == refs["legacy"]
    assert finders.get_datastore(session, name="ds-prod-02") == refs["ds2"]
    assert finders.get_network(session, name="VM Network") == refs["vmnet"]
    assert finders.get_network(session, name="Prod-App") == refs["app"]  # a distributed port group
    assert finders.get_cluster(session, moid=refs["cluster"]._moId) == refs["cluster"]


def test_folder_by_relative_path(inv):
    _fake, refs, session = inv
    assert finders.get_folder(session, "Infrastructure") == refs["infra"]
    assert finders.get_folder(session, "/Production/DB/", datacenter="DC1") == refs["db"]
    with pytest.raises(VSphereError) as raised:
        finders.get_folder(session, "Production/Web")
    assert raised.value.code == "Ambiguous"
    assert "/DC1/vm/Production/Web" in raised.value.message and "/DC2/vm/Production/Web" in raised.value.message
    assert finders.get_folder(session, "Production/Web", datacenter="DC2") == refs["dc2_web"]


def test_folder_top_and_absolute_paths(inv):
    fake, refs, session = inv
    assert finders.get_folder(session, "", datacenter="DC1") == fake.props(refs["dc"])["vmFolder"]
    assert finders.get_folder(session, "/DC1/vm/Production/Web") == refs["web"]
    assert finders.get_folder(session, "/DC1/vm/Nope") is None
    assert fake.calls["FindByInventoryPath"] == 2


def test_folder_paths_are_per_folder_type(inv):
    fake, refs, session = inv
    fake.folder(fake.props(refs["dc"])["hostFolder"], "Infrastructure2")
    assert finders.get_folder(session, "Infrastructure2") is None
    assert finders.get_folder(session, "Infrastructure2", folder_type="host") is not None


def test_entity_path():
    nodes = {
        "dc": {"type": "Datacenter", "name": "DC1", "parent": "root"},
        "root": {"type": "Folder", "name": "Datacenters", "parent": None},
        "vm": {"type": "Folder", "name": "vm", "parent": "dc"},
        "p": {"type": "Folder", "name": "Production", "parent": "vm"},
        "w": {"type": "Folder", "name": "Web%2fFront", "parent": "p"},
    }
    assert finders.entity_path(nodes, "w") == ("dc", "Production/Web/Front")
    assert finders.entity_path(nodes, "vm") == ("dc", "")
    assert finders.entity_path(nodes, "root") == (None, None)
    assert finders.entity_path(nodes, "unknown") == (None, None)
