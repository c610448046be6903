# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""VM sizes from the Resource SKUs API: capabilities, restrictions, and errors that list valid sizes."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.compute.models import ResourceSku

from ansible_collections.dr.asr.plugins.module_utils._errors import AzureError, InputError
from ansible_collections.dr.asr.plugins.module_utils._azure import skus
from ansible_collections.dr.asr.plugins.module_utils._azure.models import from_rest


def sku(name, location="westeurope", nics=2, disks=4, generations="V1,V2", restricted=None, resource_type="virtualMachines"):
    restrictions = []
    if restricted == "location":
        restrictions.append({"type": "Location", "values": [location], "reasonCode": "NotAvailableForSubscription",
                             "restrictionInfo": {"locations": [location], "zones": ["1", "2", "3"]}})
    elif restricted == "zone":
        restrictions.append({"type": "Zone", "values": [location], "reasonCode": "NotAvailableForSubscription",
                             "restrictionInfo": {"locations": [location], "zones": ["3"]}})
    return from_rest(ResourceSku, {
        "resourceType": resource_type, "name": name, "tier": "Standard", "size": name.split("_", 1)[1],
        "locations": [location], "restrictions": restrictions,
        "capabilities": [{"name": "MaxNetworkInterfaces", "value": str(nics)},
                         {"name": "MaxDataDiskCount", "value": str(disks)},
                         {"name": "HyperVGenerations", "value": generations},
                         {"name": "PremiumIO", "value": "True"}, {"name": "vCPUs", "value": "2"},
                         {"name": "MemoryGB", "value": "8"}]})


CATALOG = [sku("Standard_D2s_v5"), sku("Standard_D4s_v5", nics=2, disks=8), sku("Standard_D8s_v5", nics=4, disks=16),
           sku("Standard_L8s_v3", generations="V2", nics=4, disks=16), sku("Standard_L16s_v3", restricted="location"),
           sku("Standard_D16s_v3", restricted="zone"), sku("Standard_D2s_v5", location="eastus"),
           sku("Standard_LRS", resource_type="disks")]


class FakeSkus(object):
    def __init__(self, items, error=None):
        self.items, self.error, self.filters = items, error, []

    def list(self, filter=None):  # pylint: disable=redefined-builtin  # the SDK's name
        self.filters.append(filter)
        if self.error:
            raise self.error
        return iter(self.items)


class FakeClients(object):
    def __init__(self, items=None, error=None):
        self.resource_skus = FakeSkus(CATALOG if items is None else items, error)

    def client(self, kind):
        assert kind == "compute"
        return self


def test_size_capabilities():
    clients = FakeClients()
    size = skus.vm_size(clients, "West Europe", "standard_d8s_v5")
    assert size == {"name": "Standard_D8s_v5", "location": "westeurope", "max_nics": 4, "max_data_disks": 16,
                    "hyperv_generations": ["V1", "V2"], "premium_io": True, "vcpus": 2, "memory_gb": "8"}
    assert clients.resource_skus.filters == ["location eq 'westeurope'"]


def test_zone_restriction_does_not_count():
    assert skus.vm_size(FakeClients(), "westeurope", "Standard_D16s_v3")["name"] == "Standard_D16s_v3"


def test_unknown_size_lists_close_valid_ones():
    with pytest.raises(InputError) as info:
        skus.vm_size(FakeClients(), "westeurope", "Standard_D2s_v9")
    assert info.value.parameter == "target_vm_size"
    assert "Valid sizes there include: Standard_D2s_v5" in info.value.message
    assert "Standard_L16s_v3" not in info.value.message and "Standard_LRS" not in info.value.message


def test_restricted_size_is_an_error():
    with pytest.raises(InputError) as info:
        skus.vm_size(FakeClients(), "westeurope", "Standard_L16s_v3")
    assert "NotAvailableForSubscription" in info.value.message and "Standard_L8s_v3" in info.value.message


def test_location_without_sizes():
    with pytest.raises(InputError) as info:
        skus.vm_size(FakeClients(items=[]), "marsnorth", "Standard_D2s_v5")
    assert info.value.parameter == "location"


def test_sdk_errors_become_azure_errors():
    error = HttpResponseError(message="The client does not have authorization")
    with pytest.raises(AzureError) as info:
        skus.vm_size(FakeClients(error=error), "westeurope", "Standard_D2s_v5")
    assert "Listing the VM sizes of westeurope" in info.value.message


def test_suggestions_put_close_names_first():
    names = ["Standard_A1", "Standard_D2s_v5", "Standard_D4s_v5", "Standard_E2s_v5"]
    assert skus.suggestions("Standard_D2s_v4", names, 2)[0] == "Standard_D2s_v5"
    assert "Standard_A1" not in skus.suggestions("Standard_D2s_v4", names, 3)
    assert skus.suggestions("zzz", names, 2) == ["Standard_A1", "Standard_D2s_v5"]
