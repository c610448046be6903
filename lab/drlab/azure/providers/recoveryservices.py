"""Microsoft.RecoveryServices for the lab's ARM simulator: vaults and replicationVaultSettings.

Matches azure-mgmt-recoveryservices 4.3.0 (api-version 2026-11-01) and
azure-mgmt-recoveryservicessiterecovery 2.0.0 (2025-08-01):

* Vault PUT: 201 (create) / 200 (update) with the vault and an `Azure-AsyncOperation` header
  (`{vault}/operationStatus/{id}`); the SDK polls it, then GETs the vault. PATCH: 200 + the same
  header. DELETE: 202 + `Location` (`{vault}/operationResults/{id}`) + `Azure-AsyncOperation`;
  a missing vault: 204. The SDK accepts 200/201, 200/202 and 202/204 respectively.
* A vault reads like a real one: `sku {name, tier: Standard}`, `properties.provisioningState`,
  `privateEndpointStateForBackup/SiteRecovery`, `publicNetworkAccess`, `monitoringSettings`,
  `restoreSettings`, `redundancySettings`, `securitySettings`, `secureScore`, `bcdrSecurityLevel`,
  `systemData`, a weak `etag`; `identity` (SystemAssigned/UserAssigned) gets principal ids.
* Names: 2-50 characters, letters, digits and hyphens, starting with a letter; location required.
* Deleting a vault deletes what is inside (vault settings, ...); a vault with replicated items
  answers 400 `ServiceResourceNotEmpty`, like Azure.
* `replicationVaultSettings/{name}` (name `default`): PUT is synchronous and answers 200 even on
  create (the SDK's begin_create accepts 200 only), GET, list. Ids are rendered with ASR's
  `/Subscriptions/` casing.
* `POST .../resourceGroups/{rg}/providers/Microsoft.RecoveryServices/locations/{l}/checkNameAvailability`.
"""
import copy
import re
import uuid

from drlab.azure.rp import LroStyle, ResourceType, bad_request

NS = "Microsoft.RecoveryServices"
VAULT = NS + "/vaults"
VAULT_SETTING = VAULT + "/replicationVaultSettings"

NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9-]{1,49}$")
NAME_MESSAGE = ("The vault name '%s' is invalid. Recovery Services vault names must be 2 - 50 characters long, start "
                "with a letter, and contain only letters, numbers and hyphens.")

_ENUMS = {
    ("publicNetworkAccess",): ("Enabled", "Disabled"),
    ("redundancySettings", "standardTierStorageRedundancy"): ("LocallyRedundant", "GeoRedundant", "ZoneRedundant"),
    ("redundancySettings", "crossRegionRestore"): ("Enabled", "Disabled"),
    ("securitySettings", "softDeleteSettings", "softDeleteState"): ("Enabled", "Disabled", "AlwaysON", "Invalid"),
    ("securitySettings", "immutabilitySettings", "state"): ("Disabled", "Unlocked", "Locked"),
    ("restoreSettings", "crossSubscriptionRestoreSettings", "crossSubscriptionRestoreState"):
        ("Enabled", "Disabled", "PermanentlyDisabled"),
}
_READ_ONLY = ("provisioningState", "privateEndpointConnections", "privateEndpointStateForBackup",
              "privateEndpointStateForSiteRecovery", "moveState", "backupStorageVersion", "secureScore",
              "bcdrSecurityLevel", "resourceGuardOperationRequests")


def _defaults():
    return {
        "provisioningState": "Succeeded",
        "privateEndpointStateForBackup": "None",
        "privateEndpointStateForSiteRecovery": "None",
        "publicNetworkAccess": "Enabled",
        "monitoringSettings": {
            "azureMonitorAlertSettings": {"alertsForAllJobFailures": "Enabled",
                                          "alertsForAllReplicationIssues": "Enabled",
                                          "alertsForAllFailoverIssues": "Enabled"},
            "classicAlertSettings": {"alertsForCriticalOperations": "Disabled",
                                     "emailNotificationsForSiteRecovery": "Enabled"}},
        "restoreSettings": {"crossSubscriptionRestoreSettings": {"crossSubscriptionRestoreState": "Enabled"}},
        "redundancySettings": {"standardTierStorageRedundancy": "GeoRedundant", "crossRegionRestore": "Disabled"},
        "securitySettings": {"softDeleteSettings": {"softDeleteRetentionPeriodInDays": 14, "softDeleteState": "Enabled",
                                                    "enhancedSecurityState": "Enabled"},
                             "multiUserAuthorization": "Disabled"},
        "secureScore": "None",
        "bcdrSecurityLevel": "Poor",
        "backupStorageVersion": "V2",
    }


def _merge(base, override):
    out = copy.deepcopy(base)
    for k, v in (override or {}).items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        elif v is not None:
            out[k] = copy.deepcopy(v)
    return out


def _validate_properties(props):
    if props is None:
        return {}
    if not isinstance(props, dict):
        raise bad_request("BadRequest", "The request content was invalid: 'properties' must be an object.")
    props = {k: v for k, v in props.items() if k not in _READ_ONLY}
    for path, allowed in _ENUMS.items():
        cur = props
        for key in path[:-1]:
            cur = cur.get(key) if isinstance(cur, dict) else None
        value = cur.get(path[-1]) if isinstance(cur, dict) else None
        if value is None:
            continue
        match = [a for a in allowed if a.lower() == str(value).lower()]
        if not match:
            raise bad_request("BadRequest", "Invalid value '%s' for 'properties.%s'. Allowed values: %s."
                              % (value, ".".join(path), ", ".join(allowed)))
        cur[path[-1]] = match[0]
    return props


def _sku(body, existing):
    sku = body.get("sku")
    if sku is None:
        return (existing or {}).get("sku") or {"name": "RS0", "tier": "Standard"}
    if not isinstance(sku, dict) or not sku.get("name"):
        raise bad_request("BadRequest", "The request content was invalid: 'sku.name' is required.")
    name = {"rs0": "RS0", "standard": "Standard"}.get(str(sku["name"]).lower())
    if name is None:
        raise bad_request("BadRequest", "Invalid value '%s' for 'sku.name'. Allowed values: RS0, Standard." % sku["name"])
    out = dict(sku)
    out["name"] = name
    out["tier"] = "Standard"
    return out


def _identity(ctx, vault_id, identity, existing):
    if identity is None:
        return (existing or {}).get("identity")
    if not isinstance(identity, dict):
        raise bad_request("BadRequest", "The request content was invalid: 'identity' must be an object.")
    kind = identity.get("type") or "None"
    kinds = {k.strip().lower() for k in kind.split(",")}
    if kinds == {"none"}:
        return None
    out = {"type": kind}
    if "systemassigned" in kinds:
        out["principalId"] = str(uuid.uuid5(uuid.NAMESPACE_URL, "msi:" + vault_id.lower()))
        out["tenantId"] = ctx.tenant_id
    if "userassigned" in kinds:
        uai = {}
        for uid in identity.get("userAssignedIdentities") or {}:
            uai[uid] = {"principalId": str(uuid.uuid5(uuid.NAMESPACE_URL, "uai-p:" + uid.lower())),
                        "clientId": str(uuid.uuid5(uuid.NAMESPACE_URL, "uai-c:" + uid.lower()))}
        out["userAssignedIdentities"] = uai
    return out


def _etag(ctx):
    stamp = ctx.now_iso()[:23].replace(":", "%3A") + "Z"
    return 'W/"datetime\'%s\'"' % stamp


def _system_data(ctx, existing):
    who = (ctx.principal or {}).get("client_id") or ctx.engine.app.settings.client_id
    now = ctx.now_iso()
    prev = (existing or {}).get("systemData") or {}
    return {"createdBy": prev.get("createdBy", who), "createdByType": prev.get("createdByType", "Application"),
            "createdAt": prev.get("createdAt", now), "lastModifiedBy": who, "lastModifiedByType": "Application",
            "lastModifiedAt": now}


class Vault(ResourceType):
    full_type = VAULT
    tracked = True
    put_style = LroStyle.ASYNC_OPERATION
    patch_style = LroStyle.ASYNC_OPERATION
    delete_style = LroStyle.BOTH
    put_duration = 30.0
    patch_duration = 10.0
    delete_duration = 30.0

    def prepare_put(self, ctx, rid, body, existing):
        if not NAME_RE.match(rid.name):
            raise bad_request("BadRequest", NAME_MESSAGE % rid.name)
        props = _validate_properties(body.get("properties"))
        base = existing["properties"] if existing else _defaults()
        base = {k: v for k, v in base.items() if k not in ("provisioningState",)}
        out = {"location": ctx.normalize_location(body["location"]), "name": rid.name, "etag": _etag(ctx),
               "id": rid.id, "type": VAULT, "sku": _sku(body, existing),
               "properties": dict(_merge(base, props), provisioningState="Succeeded"),
               "systemData": _system_data(ctx, existing)}
        if body.get("tags") is not None:
            if not isinstance(body["tags"], dict):
                raise bad_request("BadRequest", "The request content was invalid: 'tags' must be an object.")
            out["tags"] = body["tags"]
        ident = _identity(ctx, rid.id, body.get("identity"), existing)
        if ident:
            out["identity"] = ident
        return out

    def prepare_patch(self, ctx, rid, body, existing):
        out = copy.deepcopy(existing)
        props = _validate_properties(body.get("properties"))
        out["properties"] = dict(_merge(existing.get("properties") or {}, props), provisioningState="Succeeded")
        if body.get("tags") is not None:
            out["tags"] = body["tags"]
        if body.get("sku") is not None:
            out["sku"] = _sku(body, existing)
        if "identity" in body:
            ident = _identity(ctx, rid.id, body.get("identity"), existing)
            if ident:
                out["identity"] = ident
            else:
                out.pop("identity", None)
        out["etag"] = _etag(ctx)
        out["systemData"] = _system_data(ctx, existing)
        return out

    def check_delete(self, ctx, rid, existing):
        protected = [r for r in ctx.engine.store.subtree(rid.key)
                     if r["type_key"].endswith("/replicationprotecteditems")]
        if protected:
            raise bad_request(
                "ServiceResourceNotEmpty",
                "Vault %s cannot be deleted as there are existing resources within the vault. Please delete any "
                "replicated items, registered servers, Hyper-V sites (Used for Site Recovery), policy associations "
                "for System Center VMM clouds (Used for Site Recovery) and then delete the vault." % rid.name)

    def operation_paths(self, ctx, rid, operation_id, verb):
        return rid.id + "/operationStatus/" + operation_id, rid.id + "/operationResults/" + operation_id


def _asr_id(value):
    """ASR answers ids with `/Subscriptions/`."""
    return "/Subscriptions/" + value[len("/subscriptions/"):] if value.lower().startswith("/subscriptions/") else value


class VaultSetting(ResourceType):
    full_type = VAULT_SETTING
    parent_type = VAULT
    tracked = False
    list_at_subscription = False
    put_style = LroStyle.SYNC
    create_status = 200

    def prepare_put(self, ctx, rid, body, existing):
        props = body.get("properties")
        if not isinstance(props, dict):
            raise bad_request("BadRequest", "The request content was invalid: 'properties' is required.")
        out_props = {}
        for key in ("migrationSolutionId", "vmwareToAzureProviderType"):
            value = props.get(key)
            if value is not None and not isinstance(value, str):
                raise bad_request("BadRequest", "Invalid value for 'properties.%s': a string is expected." % key)
            if value is not None:
                out_props[key] = value
            elif existing is not None and (existing.get("properties") or {}).get(key) is not None:
                out_props[key] = existing["properties"][key]
        return {"id": rid.id, "name": rid.name, "type": VAULT_SETTING, "properties": out_props}

    def render(self, ctx, stored):
        out = copy.deepcopy(stored)
        out["id"] = _asr_id(out["id"])
        return out


def check_name_availability(ctx, match, query, body):
    body = body or {}
    name = body.get("name")
    rtype = body.get("type") or VAULT
    if not name:
        raise bad_request("BadRequest", "The request content was invalid: 'name' is required.")
    if rtype.lower() != VAULT.lower():
        raise bad_request("BadRequest", "Invalid value '%s' for 'type'. Allowed value: %s." % (rtype, VAULT))
    if not NAME_RE.match(name):
        return 200, {"nameAvailable": False, "reason": "Invalid", "message": NAME_MESSAGE % name}
    vault_id = "/subscriptions/%s/resourceGroups/%s/providers/%s/%s" % (
        match.group("sub"), match.group("rg"), VAULT, name)
    if ctx.get(vault_id) is not None:
        return 200, {"nameAvailable": False, "reason": "AlreadyExists", "message": "Resource name already exists"}
    return 200, {"nameAvailable": True}


check_name_availability.resource_type = NS + "/locations/checkNameAvailability"

ROUTES = [
    ("POST", r"/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/Microsoft\.RecoveryServices/"
             r"locations/(?P<loc>[^/]+)/checkNameAvailability", check_name_availability),
]

RESOURCE_TYPES = [Vault, VaultSetting]
