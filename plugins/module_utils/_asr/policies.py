# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Replication policies and their associations (protection container mappings) of one vault.

Reads are the vault's cached lists (AsrVault): one list of policies, one of mappings, whatever the
number of policies. Writes start ASR jobs through the run's JobTracker (no SDK poller; after an
uncertain answer the job running on the policy or mapping is taken as the write's); the caller waits on them
with it too. Provider-specific shapes come from the provider seam (`provider.policy`).
"""

from __future__ import annotations

from ansible_collections.dr.asr.plugins.module_utils._errors import InputError
from ansible_collections.dr.asr.plugins.module_utils._asr import lookup, providers

POLICY_TARGET_TYPE = "ProtectionProfile"
MAPPING_TARGET_TYPE = "ProtectionContainerMapping"


def instance_type_of(policy):
    return (((policy or {}).get("properties") or {}).get("providerSpecificDetails") or {}).get("instanceType")


def find(vault, name):
    """The policy named `name` (case-insensitive), or None. One vault-wide list (cached)."""
    for policy in lookup.vault_read(vault, vault.policies):
        if (policy.get("name") or "").lower() == name.lower():
            return policy
    return None


def mappings_of(vault, policy_id):
    return [m for m in vault.mappings() if lookup.same_id((m.get("properties") or {}).get("policyId"), policy_id)]


def mapping_facts(mapping):
    props = mapping.get("properties") or {}
    details = props.get("providerSpecificDetails") or {}
    auto = details.get("enableAgentAutoUpgrade")
    return dict(
        id=mapping.get("id"), name=mapping.get("name"),
        container=lookup.segment_after(mapping.get("id"), "replicationProtectionContainers"),
        fabric=lookup.segment_after(mapping.get("id"), "replicationFabrics"),
        target=props.get("targetProtectionContainerId"), state=props.get("state"), health=props.get("health"),
        agent_auto_upgrade=None if auto is None else str(auto).lower() == "true",
    )


def predicted_mapping(container, name):
    return dict(id=None, name=name, container=container["name"],
                fabric=lookup.segment_after(container["id"], "replicationFabrics"),
                target=None, state="Paired", health=None, agent_auto_upgrade=None)


def policy_facts(policy, mappings):
    """What the policy modules return for a policy (snake_case): common keys, the provider's settings
    (modernized), and the associations."""
    kind = instance_type_of(policy)
    out = dict(id=policy.get("id"), name=policy.get("name"), experience=None, instance_type=kind, failback=None,
               retention_minutes=None, retention_hours=None, crash_consistent_frequency_minutes=None,
               app_consistent_frequency_minutes=None, multi_vm_sync=None)
    provider = providers.of_instance_type(kind)
    if provider is not None:
        out["experience"] = provider.experience
        try:
            out.update(provider.policy.details_facts(policy["properties"]["providerSpecificDetails"]))
        except InputError:  # an experience whose policies are not implemented yet (classic): common keys only
            out["failback"] = (kind or "").lower() == provider.failback_instance_type.lower()
    out["associations"] = sorted((mapping_facts(m) for m in mappings), key=lambda m: (m["container"] or "", m["name"]))
    return out


def check_kind(provider, policy, params):
    """An existing policy cannot change experience or direction: InputError naming the option."""
    kind = instance_type_of(policy)
    owner = providers.of_instance_type(kind)
    name = policy.get("name")
    if owner is None or owner.experience != provider.experience:
        raise InputError("experience", params["experience"],
                         "%s: policy %s is an %s policy" % (owner.experience if owner else "another scenario", name, kind),
                         hint="A policy keeps its replication provider; use another name for a new policy.")
    wanted = provider.failback_instance_type if params["failback"] else provider.instance_type
    if kind.lower() != wanted.lower():
        raise InputError("failback", params["failback"], "%s: policy %s is an %s policy and its direction cannot change"
                         % (not params["failback"], name, kind),
                         hint="Delete it first, or give the %s policy another name."
                              % ("failback" if params["failback"] else "forward"))


# -- writes (each starts one job through the run's JobTracker and returns its name) ----------------------------

def start(tracker, verb, name, body=None):
    """Create, update or delete the policy `name` (verb: create | update | delete)."""
    vault = tracker.vault
    return tracker.start_write(getattr(vault.client.replication_policies, "begin_" + verb),
                               "%s replication policy %s" % (tracker.VERBS[verb], name), vault.resource_group,
                               vault.name, name, *([body] if body is not None else []), target=(name, POLICY_TARGET_TYPE))


def start_associate(tracker, container, mapping_name, body):
    vault = tracker.vault
    fabric = lookup.segment_after(container["id"], "replicationFabrics")
    return tracker.start_write(vault.client.replication_protection_container_mappings.begin_create,
                               "Associating with container %s (mapping %s)" % (container["name"], mapping_name),
                               vault.resource_group, vault.name, fabric, container["name"], mapping_name, body,
                               target=(mapping_name, MAPPING_TARGET_TYPE))


def start_dissociate(tracker, mapping, body):
    vault = tracker.vault
    fabric = lookup.segment_after(mapping["id"], "replicationFabrics")
    container = lookup.segment_after(mapping["id"], "replicationProtectionContainers")
    return tracker.start_write(vault.client.replication_protection_container_mappings.begin_delete,
                               "Removing the association %s from container %s" % (mapping["name"], container),
                               vault.resource_group, vault.name, fabric, container, mapping["name"], body,
                               target=(mapping["name"], MAPPING_TARGET_TYPE))
