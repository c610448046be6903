"""vault: what the module decides from what exists and what the user asked (no Azure needed)."""
import pytest

from ansible_collections.dr.asr.plugins.module_utils._errors import InputError
from ansible_collections.dr.asr.plugins.modules import vault

EXISTING = dict(id="/subscriptions/s/resourceGroups/rg/providers/Microsoft.RecoveryServices/vaults/v1", name="v1",
                resource_group="rg", location="westeurope", sku="Standard", tags={"a": "1"},
                provisioning_state="Succeeded", public_network_access="Enabled",
                vmware_to_azure_provider_type=None, classic_vmware_replication=False)


def params(**kw):
    p = dict(name="v1", resource_group="rg", location=None, sku=None, tags=None, append_tags=True,
             public_network_access=None, classic_vmware_replication=None, state="present")
    p.update(kw)
    return p


class NoClients(object):
    def client(self, kind):
        raise AssertionError("no Azure call expected")


def test_unset_options_change_nothing():
    assert vault.desired_facts(params(), EXISTING, NoClients()) == EXISTING


def test_tags_append_and_replace():
    assert vault.desired_facts(params(tags={"b": 2}), EXISTING, NoClients())["tags"] == {"a": "1", "b": "2"}
    assert vault.desired_facts(params(tags={"b": 2}, append_tags=False), EXISTING, NoClients())["tags"] == {"b": "2"}


def test_location_comparison_ignores_case_and_spaces():
    assert vault.desired_facts(params(location="West Europe"), EXISTING, NoClients()) == EXISTING
    with pytest.raises(InputError) as info:
        vault.desired_facts(params(location="eastus"), EXISTING, NoClients())
    assert info.value.parameter == "location" and "westeurope" in info.value.message


def test_classic_can_be_chosen_once():
    after = vault.desired_facts(params(classic_vmware_replication=True), EXISTING, NoClients())
    assert after["classic_vmware_replication"] and after["vmware_to_azure_provider_type"] == "Vmware"
    classic = dict(EXISTING, classic_vmware_replication=True, vmware_to_azure_provider_type="Vmware")
    assert vault.desired_facts(params(classic_vmware_replication=True), classic, NoClients()) == classic
    with pytest.raises(InputError) as info:
        vault.desired_facts(params(classic_vmware_replication=False), classic, NoClients())
    assert info.value.parameter == "classic_vmware_replication"


@pytest.mark.parametrize("name", ["a", "1vault", "vault_1", "v" * 51, "vault.1"])
def test_invalid_names(name):
    with pytest.raises(InputError) as info:
        vault.validate(params(name=name))
    assert info.value.parameter == "name" and repr(name) in info.value.message


@pytest.mark.parametrize("name", ["ab", "rsv-dr-weu", "V" + "1" * 49])
def test_valid_names(name):
    vault.validate(params(name=name))


def test_tag_filter_of_vault_info():
    from ansible_collections.dr.asr.plugins.modules import vault_info
    tags = {"purpose": "dr", "tier": "gold"}
    assert vault_info.tags_match(tags, ["purpose", "tier:gold"])
    assert not vault_info.tags_match(tags, ["tier:silver"])
    assert not vault_info.tags_match(tags, ["owner"])
    assert vault_info.tags_match(tags, None)
