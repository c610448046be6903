# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The replication provider seam: everything that differs between ASR's VMware experiences.

    provider = providers.get("modernized")          # or providers.of_instance_type("InMageRcm")
    provider = providers.for_item(item)             # the provider of a protected item (its instanceType)
    body = provider.policy.policy_input(params)     # provider-specific REST input
    facts = provider.item.item_facts(details)       # provider-specific details -> snake_case facts

modernized: InMageRcm (replication appliance) and its failback twin InMageRcmFailback.
classic:    InMageAzureV2 (configuration server) and its failback twin InMage.

Each experience has two parts, each a module with the same functions (see inmagercm_item and inmagercm_policy
for the list): `policy` (policies, container mappings) and `item` (the lifecycle phase and where the VM runs,
enable, update, the actions' provider inputs, details). Everything above the seam calls only these; nothing
above it branches on instanceType. A new provider is a new pair of modules registered in _PROVIDERS.
"""

from __future__ import annotations

from ansible_collections.dr.asr.plugins.module_utils._errors import InputError
# Imported statically (not by name at run time): AnsiballZ ships only the module_utils that are imported.
from ansible_collections.dr.asr.plugins.module_utils._asr.providers import (
    classic_item, classic_policy, inmagercm_item, inmagercm_policy)

EXPERIENCES = ("modernized", "classic")


class Provider(object):
    def __init__(self, experience, instance_type, failback_instance_type, policy, item):
        self.experience = experience
        self.instance_type = instance_type
        self.failback_instance_type = failback_instance_type
        self.policy = policy
        self.item = item

    def is_failback(self, instance_type):
        return (instance_type or "").lower() == self.failback_instance_type.lower()


_PROVIDERS = {
    "modernized": Provider("modernized", "InMageRcm", "InMageRcmFailback", inmagercm_policy, inmagercm_item),
    "classic": Provider("classic", "InMageAzureV2", "InMage", classic_policy, classic_item),
}
#: the provider of an item whose instanceType names none (an item ASR answered without details)
DEFAULT = _PROVIDERS["modernized"]


def get(experience):
    if experience not in _PROVIDERS:
        raise InputError("experience", experience, "one of %s" % ", ".join(EXPERIENCES))
    return _PROVIDERS[experience]


def of_instance_type(instance_type):
    """The provider whose forward or failback instanceType this is, or None."""
    for provider in _PROVIDERS.values():
        if (instance_type or "").lower() in (provider.instance_type.lower(), provider.failback_instance_type.lower()):
            return provider
    return None


def instance_type_of(resource):
    """The instanceType of a protected item's (or policy's) provider-specific details."""
    return (((resource or {}).get("properties") or {}).get("providerSpecificDetails") or {}).get("instanceType")


def for_item(resource):
    """The provider of a protected item (DEFAULT when its instanceType names none dr.asr knows: its phase is then
    "unknown" only if its state says nothing the lifecycle model reads)."""
    return of_instance_type(instance_type_of(resource)) or DEFAULT
