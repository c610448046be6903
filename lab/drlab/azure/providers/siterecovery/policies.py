"""Replication policies and protection container mappings (policy associations).

* `PUT V/replicationPolicies/{p}` `{"properties": {"providerSpecificInput": {...}}}`: job
  `AddProtectionProfile` (target type ProtectionProfile); the policy exists once the job completed.
  InMageRcm (recoveryPointHistoryInMinutes 0-21600, crashConsistentFrequencyInMinutes 1-720,
  appConsistentFrequencyInMinutes 0-720 and not above the history, enableMultiVmSync "true"/"false")
  and InMageRcmFailback (the two frequencies); defaults from config `asr.policy_defaults`. The
  classic providers (InMageAzureV2, InMage) answer "not supported in this lab yet"; the other ASR
  scenarios (A2A, Hyper-V, VMwareCbt) are refused for a VMware modernized vault.
* `PATCH` `{"properties": {"replicationProviderSettings": {...}}}`: job `ModifyProtectionProfile`.
* `DELETE`: job `RemoveProtectionProfile`; refused (400, no job) while a container mapping uses it.
* `PUT .../replicationProtectionContainerMappings/{m}` `{"properties": {"targetProtectionContainerId", "policyId",
  "providerSpecificInput"}}`: job `AssociateProtectionProfile` whose target is the policy (ProtectionProfile);
  state `Paired`. An InMageRcm policy's mapping targets `Microsoft Azure` and gets InMageRcm details
  (enableAgentAutoUpgrade "true" unless told otherwise, also from the generic
  ReplicationProviderSpecificContainerMappingInput); an InMageRcmFailback policy's mapping targets the source
  container itself and has no provider details [recorded: TestV2ARCMContainerMapping]. `POST .../{m}/remove` and
  `DELETE` (purge): refused while protected items of the container use the policy. `PATCH`: InMageRcm
  `enableAgentAutoUpgrade`. Lists per container and vault-wide (`V/replicationProtectionContainerMappings`).
* The appliance's registration makes a new vault's default policies and their mappings (vocabulary WORDS
  default_policies: 24-hour-replication-policy, crashconsistency-policy-failback, appconsistency-policy-failback
  [recorded names and settings]): `ensure_defaults(ctx, vault, container)`.
Job names and tasks: vocabulary.JOBS (policy_*, mapping_*).
"""
import copy

from drlab.azure.providers.siterecovery import common, errors, jobs, vocabulary
from drlab.azure.providers.siterecovery.common import (AZURE_FABRIC, CONTAINER, CONTAINER_PATH, ITEM, MAPPING,
                                                       POLICY, VAULT_PATH, private)
from drlab.azure.rp import Paged, ResourceType

CLASSIC = ("InMageAzureV2", "InMage")
MODERNIZED = ("InMageRcm", "InMageRcmFailback")
OTHER_SCENARIOS = ("A2A", "A2ACrossClusterMigration", "HyperVReplica2012", "HyperVReplica2012R2",
                   "HyperVReplicaAzure", "VMwareCbt")


# -- policy input -----------------------------------------------------------------------------------

def _minutes(inp, key, default, low, high):
    value = inp.get(key, default)
    if value is None:
        value = default
    if isinstance(value, bool) or not isinstance(value, int):
        raise errors.invalid_input("'%s' must be an integer number of minutes." % key)
    if not low <= value <= high:
        raise errors.invalid_input("'%s' must be between %d and %d minutes; got %d." % (key, low, high, value))
    return value


def instance_type_of(inp, field):
    if not isinstance(inp, dict):
        raise errors.missing_input(field)
    kind = inp.get("instanceType")
    if not isinstance(kind, str) or not kind:
        raise errors.missing_input(field + ".instanceType")
    for known in MODERNIZED + CLASSIC + OTHER_SCENARIOS:
        if known.lower() == kind.lower():
            return known
    raise errors.invalid_input("'%s' is not a known replication provider." % kind)


def policy_details(ctx, inp, field, existing=None):
    """providerSpecificDetails of a policy from its input (create, or update over `existing`)."""
    kind = instance_type_of(inp, field)
    if kind in CLASSIC:
        raise errors.provider_not_simulated(kind)
    if kind in OTHER_SCENARIOS:
        raise errors.invalid_input("The replication provider '%s' does not apply to this vault: it replicates "
                                   "VMware machines with the InMageRcm provider (replication appliance)." % kind)
    base = existing if existing and existing.get("instanceType") == kind else {}
    crash = _minutes(inp, "crashConsistentFrequencyInMinutes", base.get(
        "crashConsistentFrequencyInMinutes", common.setting(ctx, "policy_defaults", "crash_consistent_frequency_minutes")),
        1, 720)
    app = _minutes(inp, "appConsistentFrequencyInMinutes", base.get(
        "appConsistentFrequencyInMinutes", common.setting(ctx, "policy_defaults", "app_consistent_frequency_minutes")),
        0, 720)
    if kind == "InMageRcmFailback":
        return {"instanceType": kind, "appConsistentFrequencyInMinutes": app,
                "crashConsistentFrequencyInMinutes": crash}
    history = _minutes(inp, "recoveryPointHistoryInMinutes", base.get(
        "recoveryPointHistoryInMinutes", common.setting(ctx, "policy_defaults", "recovery_point_history_minutes")),
        0, 21600)
    if history and app > history:
        raise errors.invalid_input("The app-consistent snapshot frequency (%d minutes) can't exceed the recovery "
                                   "point retention (%d minutes)." % (app, history))
    multi = inp.get("enableMultiVmSync", base.get("enableMultiVmSync", common.setting(ctx, "policy_defaults", "enable_multi_vm_sync")))
    multi = common.choose(str(multi).lower() if isinstance(multi, bool) else multi, ("true", "false"),
                          "enableMultiVmSync")
    return {"instanceType": kind, "recoveryPointHistoryInMinutes": history,
            "appConsistentFrequencyInMinutes": app, "crashConsistentFrequencyInMinutes": crash,
            "enableMultiVmSync": multi}


def frequencies(ctx, policy):
    """(crash, app, history) minutes of a policy; config `asr.policy_defaults` for missing values (an
    InMageRcmFailback policy has no history: its recovery points are kept as long as the default's)."""
    details = (policy or {}).get("properties", {}).get("providerSpecificDetails") or {}

    def pick(field, key):
        value = details.get(field)
        return common.setting(ctx, "policy_defaults", key) if value is None else value
    return (pick("crashConsistentFrequencyInMinutes", "crash_consistent_frequency_minutes") or 1,
            pick("appConsistentFrequencyInMinutes", "app_consistent_frequency_minutes"),
            pick("recoveryPointHistoryInMinutes", "recovery_point_history_minutes"))


# -- policies -----------------------------------------------------------------------------------------

def _policy_id(vault, name):
    return "%s/replicationPolicies/%s" % (vault, name)


def _put_policy(ctx, match, query, body):
    vault = common.require_vault(ctx, match)
    name = match.group("policy")
    policy_id = _policy_id(vault, name)
    jobs.ensure_idle(ctx, policy_id, name)
    existing = ctx.get(policy_id)
    props = (body or {}).get("properties")
    if not isinstance(props, dict):
        raise errors.missing_input("properties")
    details = policy_details(ctx, props.get("providerSpecificInput"), "properties.providerSpecificInput",
                             existing["properties"]["providerSpecificDetails"] if existing else None)
    stored = {"id": policy_id, "name": name, "type": POLICY,
              "properties": {"friendlyName": name, "providerSpecificDetails": details}}
    return _policy_job(ctx, vault, policy_id, name, "policy_update" if existing else "policy_create",
                       "asr.policy.store", {"body": stored})


def _patch_policy(ctx, match, query, body):
    vault = common.require_vault(ctx, match)
    name = match.group("policy")
    policy_id = _policy_id(vault, name)
    existing = ctx.get(policy_id)
    if existing is None:
        raise errors.not_found("replication policy", name)
    jobs.ensure_idle(ctx, policy_id, name)
    props = (body or {}).get("properties")
    if not isinstance(props, dict):
        raise errors.missing_input("properties")
    old = existing["properties"]["providerSpecificDetails"]
    inp = props.get("replicationProviderSettings") or {"instanceType": old["instanceType"]}
    details = policy_details(ctx, inp, "properties.replicationProviderSettings", old)
    if details["instanceType"] != old["instanceType"]:
        raise errors.invalid_input("The replication provider of policy '%s' is %s; it can't change to %s." % (
            name, old["instanceType"], details["instanceType"]))
    stored = common.public(existing)
    stored["properties"]["providerSpecificDetails"] = details
    return _policy_job(ctx, vault, policy_id, name, "policy_update", "asr.policy.store", {"body": stored})


def _delete_policy(ctx, match, query, body):
    vault = common.require_vault(ctx, match)
    name = match.group("policy")
    policy_id = _policy_id(vault, name)
    if ctx.get(policy_id) is None:
        return 204, None
    jobs.ensure_idle(ctx, policy_id, name)
    users = [m for m in common.list_in_vault(ctx, MAPPING, vault)
             if common.same_id(m["properties"].get("policyId"), policy_id)]
    if users:
        raise errors.in_use("replication policy", name, "the container mapping(s) %s" % ", ".join(
            m["name"] for m in users))
    return _policy_job(ctx, vault, policy_id, name, "policy_delete", "asr.policy.delete", {})


def _policy_job(ctx, vault, policy_id, name, key, callback, args):
    words = vocabulary.job(key)
    return jobs.lro_response(ctx, jobs.start_job(ctx, vault, scenario=words.scenario, friendly_name=words.friendly,
                                                 target_id=policy_id, target_name=name, target_type=words.target_type,
                                                 tasks=_tasks(ctx, words, "policy", callback, args)), policy_id)


def _tasks(ctx, words, duration_key, callback, args):
    """The job's recorded task list over `duration_key`'s lab seconds; the last task does the work."""
    total = common.duration(ctx, duration_key)
    names = words.tasks
    share = total / len(names)
    return [jobs.Task(n, n, share, stage=i, callback=callback if i == len(names) - 1 else None,
                      args=args if i == len(names) - 1 else None) for i, n in enumerate(names)]


def _store_callback(ctx, job, task):
    body = copy.deepcopy(task["args"]["body"])
    if ctx.get(common.vault_id_of(body["id"])) is None:
        raise errors.asr_error(400, errors.POLICY_CREATION_FAILED, "Replication policy creation failed.",
                               "The vault was deleted.", "Retry the operation.")
    ctx.put(body["id"], body)


def _delete_callback(ctx, job, task):
    ctx.delete(private(job)["target"])


class ReplicationPolicy(ResourceType):
    full_type = POLICY
    parent_type = common.VAULT
    tracked = False
    list_at_subscription = False

    def prepare_put(self, ctx, rid, body, existing):   # PUT is a ROUTE (job-backed)
        raise errors.invalid_input("unexpected PUT")

    def render(self, ctx, stored):
        out = common.public(stored)
        out["id"] = common.asr_id(out["id"])
        return out


# -- container mappings ----------------------------------------------------------------------------

def _mapping_target(ctx, match):
    vault = common.require_vault(ctx, match)
    container_id = "%s/replicationFabrics/%s/replicationProtectionContainers/%s" % (
        vault, match.group("fabric"), match.group("container"))
    container = ctx.get(container_id)
    if container is None:
        raise errors.not_found("protection container", match.group("container"))
    return vault, container, "%s/replicationProtectionContainerMappings/%s" % (container["id"], match.group("mapping"))


def _mapping_details(ctx, policy, inp):
    if policy["properties"]["providerSpecificDetails"]["instanceType"] != "InMageRcm":
        return None
    auto = (inp or {}).get("enableAgentAutoUpgrade", "true")
    return {"instanceType": "InMageRcm", "enableAgentAutoUpgrade": common.choose(
        str(auto).lower() if isinstance(auto, bool) else auto, ("true", "false"), "enableAgentAutoUpgrade")}


def _put_mapping(ctx, match, query, body):
    vault, container, mapping_id = _mapping_target(ctx, match)
    name = match.group("mapping")
    jobs.ensure_idle(ctx, mapping_id, name)
    if ctx.get(mapping_id) is not None:
        raise errors.already_exists("protection container mapping", name)
    props = (body or {}).get("properties")
    if not isinstance(props, dict):
        raise errors.missing_input("properties")
    target = props.get("targetProtectionContainerId")
    if not target:
        raise errors.missing_input("properties.targetProtectionContainerId")
    policy_id = props.get("policyId")
    if not policy_id:
        raise errors.missing_input("properties.policyId")
    policy = ctx.get(policy_id)
    if policy is None or not common.under(policy_id, vault):
        raise errors.not_found("replication policy", policy_id, status=400)
    failback = policy["properties"]["providerSpecificDetails"]["instanceType"] == "InMageRcmFailback"
    if failback and not common.same_id(target, container["id"]):
        raise errors.invalid_input("The target protection container of the failback policy '%s' must be the source "
                                   "container itself ('%s'); got '%s'." % (policy["name"],
                                                                           common.asr_id(container["id"]), target),
                                   "Give the container's own id as targetProtectionContainerId and retry.")
    if not failback and str(target).lower() != AZURE_FABRIC.lower():
        raise errors.invalid_input("The target protection container of a VMware to Azure mapping must be '%s'; "
                                   "got '%s'." % (AZURE_FABRIC, target))
    inp = props.get("providerSpecificInput") or {}
    if inp.get("instanceType") in ("A2A", "VMwareCbt"):
        raise errors.invalid_input("The mapping input '%s' does not apply to an InMageRcm container." % inp["instanceType"])
    for other in ctx.list(MAPPING, container["id"]):
        if common.same_id(other["properties"].get("policyId"), policy_id):
            raise errors.already_exists("association of policy '%s' with container" % policy["name"], container["name"])
    fabric = ctx.get(container["id"].rsplit("/replicationProtectionContainers/", 1)[0])
    mapping = new_mapping(container, fabric, mapping_id, name, policy, _mapping_details(ctx, policy, inp))
    return _mapping_job(ctx, vault, container, mapping_id, policy, "mapping_create", "asr.mapping.store",
                        {"body": mapping})


def new_mapping(container, fabric, mapping_id, name, policy, details):
    """A mapping body [recorded shapes]: InMageRcm -> 'Microsoft Azure' with details; failback -> the container."""
    failback = details is None
    fabric_name = fabric["properties"].get("friendlyName", fabric["name"]) if fabric else ""
    target = common.asr_id(container["id"]) if failback else AZURE_FABRIC
    mapping = {"id": mapping_id, "name": name, "type": MAPPING, "properties": {
        "targetProtectionContainerId": target,
        "targetProtectionContainerFriendlyName": container["properties"].get("friendlyName", container["name"])
        if failback else AZURE_FABRIC,
        "health": "Normal", "healthErrorDetails": [], "policyId": policy["id"], "state": "Paired",
        "sourceProtectionContainerFriendlyName": container["properties"].get("friendlyName", container["name"]),
        "sourceFabricFriendlyName": fabric_name,
        "targetFabricFriendlyName": fabric_name if failback else AZURE_FABRIC, "policyFriendlyName": policy["name"],
        "providerSpecificDetails": details}}
    return mapping


def _patch_mapping(ctx, match, query, body):
    vault, container, mapping_id = _mapping_target(ctx, match)
    name = match.group("mapping")
    existing = ctx.get(mapping_id)
    if existing is None:
        raise errors.not_found("protection container mapping", name)
    jobs.ensure_idle(ctx, mapping_id, name)
    inp = ((body or {}).get("properties") or {}).get("providerSpecificInput")
    if not isinstance(inp, dict) or not inp.get("instanceType"):
        raise errors.missing_input("properties.providerSpecificInput")
    if inp["instanceType"].lower() != "inmagercm":
        raise errors.invalid_input("Only InMageRcm container mappings can be updated in this lab.")
    policy = ctx.get(existing["properties"]["policyId"])
    stored = common.public(existing)
    details = _mapping_details(ctx, policy, inp) if policy else None
    if details is None:
        raise errors.invalid_input("The mapping of policy '%s' has no InMageRcm settings to update." % (
            existing["properties"].get("policyFriendlyName")))
    stored["properties"]["providerSpecificDetails"] = details
    return _mapping_job(ctx, vault, container, mapping_id, policy, "mapping_update", "asr.mapping.store",
                        {"body": stored})


def _remove_mapping(ctx, match, query, body):
    vault, container, mapping_id = _mapping_target(ctx, match)
    name = match.group("mapping")
    existing = ctx.get(mapping_id)
    if existing is None:
        if ctx.request is not None and ctx.request.method == "DELETE":
            return 204, None
        raise errors.not_found("protection container mapping", name)
    jobs.ensure_idle(ctx, mapping_id, name)
    users = [i for i in ctx.list(ITEM, container["id"])
             if common.same_id(i["properties"].get("policyId"), existing["properties"]["policyId"])]
    if users:
        raise errors.in_use("protection container mapping", name, "the replicated item(s) %s" % ", ".join(
            i["properties"].get("friendlyName", i["name"]) for i in users))
    return _mapping_job(ctx, vault, container, mapping_id, ctx.get(existing["properties"]["policyId"]) or
                        {"id": existing["properties"]["policyId"], "name": existing["properties"].get(
                            "policyFriendlyName")}, "mapping_delete", "asr.mapping.delete", {})


def _mapping_job(ctx, vault, container, mapping_id, policy, key, callback, args):
    """A mapping job: its target is the policy (ProtectionProfile, the policy's name) [recorded]; it locks the
    mapping (affected) and its result is the mapping."""
    fabric_id = container["id"].rsplit("/replicationProtectionContainers/", 1)[0]
    words = vocabulary.job(key)
    job = jobs.start_job(ctx, vault, scenario=words.scenario, friendly_name=words.friendly, target_id=policy["id"],
                         target_name=policy["name"], target_type=words.target_type, fabric_id=fabric_id,
                         tasks=_tasks(ctx, words, "mapping", callback, dict(args, mapping=mapping_id)),
                         result_url=mapping_id, affected_ids=[mapping_id])
    return jobs.lro_response(ctx, job, mapping_id)


def _store_mapping(ctx, job, task):
    body = copy.deepcopy(task["args"]["body"])
    if ctx.get(body["id"].rsplit("/replicationProtectionContainerMappings/", 1)[0]) is None:
        raise errors.not_found("protection container", body["id"])
    ctx.put(body["id"], body)


def _delete_mapping(ctx, job, task):
    ctx.delete(task["args"]["mapping"])


#: the job task callbacks of this module (keys stored with the jobs; installed by registry.py)
CALLBACKS = {"asr.policy.store": _store_callback, "asr.policy.delete": _delete_callback,
             "asr.mapping.store": _store_mapping, "asr.mapping.delete": _delete_mapping}


def ensure_defaults(ctx, vault, container, fabric):
    """A new modernized vault's default policies and their container mappings (vocabulary WORDS default_policies),
    made with the appliance's registration, without jobs [names and settings recorded; when: guessed]."""
    for name, provider, settings, mapping_name in vocabulary.WORDS["default_policies"].value:
        policy_id = _policy_id(vault, name)
        if ctx.get(policy_id) is None:
            ctx.put(policy_id, {"id": policy_id, "name": name, "type": POLICY, "properties": {
                "friendlyName": name, "providerSpecificDetails": dict(settings, instanceType=provider)}})
        mapping_id = "%s/replicationProtectionContainerMappings/%s" % (container["id"], mapping_name)
        if ctx.get(mapping_id) is None:
            details = {"instanceType": "InMageRcm", "enableAgentAutoUpgrade": "true"} if provider == "InMageRcm" \
                else None
            ctx.put(mapping_id, new_mapping(container, fabric, mapping_id, mapping_name, ctx.get(policy_id), details))


def mapping_for(ctx, container_id, policy_id):
    """The container's mapping of a policy (state Paired), or None."""
    for mapping in ctx.list(MAPPING, container_id):
        if common.same_id(mapping["properties"].get("policyId"), policy_id) and \
                mapping["properties"].get("state") == "Paired":
            return mapping
    return None


def _render_mapping(stored):
    out = common.public(stored)
    out["id"] = common.asr_id(out["id"])
    out["properties"]["policyId"] = common.asr_id(out["properties"].get("policyId"))
    return out


class ContainerMapping(ResourceType):
    full_type = MAPPING
    parent_type = CONTAINER
    tracked = False
    list_at_subscription = False

    def prepare_put(self, ctx, rid, body, existing):   # PUT is a ROUTE (job-backed)
        raise errors.invalid_input("unexpected PUT")

    def render(self, ctx, stored):
        return _render_mapping(stored)


def _mappings_in_vault(ctx, match, query, body):
    vault = common.require_vault(ctx, match)
    return 200, Paged([_render_mapping(m) for m in common.list_in_vault(ctx, MAPPING, vault)])


for _handler in (_put_policy, _patch_policy, _delete_policy):
    _handler.resource_type = POLICY
for _handler in (_put_mapping, _patch_mapping, _remove_mapping, _mappings_in_vault):
    _handler.resource_type = MAPPING

RESOURCE_TYPES = [ReplicationPolicy, ContainerMapping]

_MAPPING_PATH = CONTAINER_PATH + r"/replicationProtectionContainerMappings/(?P<mapping>[^/]+)"
ROUTES = [
    ("PUT", VAULT_PATH + r"/replicationPolicies/(?P<policy>[^/]+)", _put_policy),
    ("PATCH", VAULT_PATH + r"/replicationPolicies/(?P<policy>[^/]+)", _patch_policy),
    ("DELETE", VAULT_PATH + r"/replicationPolicies/(?P<policy>[^/]+)", _delete_policy),
    ("PUT", _MAPPING_PATH, _put_mapping),
    ("PATCH", _MAPPING_PATH, _patch_mapping),
    ("DELETE", _MAPPING_PATH, _remove_mapping),
    ("POST", _MAPPING_PATH + r"/remove", _remove_mapping),
    ("GET", VAULT_PATH + r"/replicationProtectionContainerMappings", _mappings_in_vault),
]
