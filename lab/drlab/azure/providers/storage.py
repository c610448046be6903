"""Microsoft.Storage for the lab's ARM simulator: storage accounts (the ASR cache and log accounts).

Behaves like the Storage resource provider for azure-mgmt-storage 25.3.0 (api-version 2026-09-01):

* PUT (`begin_create`) answers 202 with `Location` (no body); polling it answers 202 until the
  account is provisioned, then 200 with the account. PATCH (`update`) and DELETE are synchronous
  (DELETE of a missing account answers 204).
* Names: 3 to 24 lower-case letters and digits (400 `AccountNameInvalid`), unique across the
  whole lab: 409 `StorageAccountAlreadyExists` when the name is used in the same subscription,
  `StorageAccountAlreadyTaken` when another subscription has it.
  `POST /subscriptions/{s}/providers/Microsoft.Storage/checkNameAvailability` answers
  `{nameAvailable, reason: AccountNameInvalid|AlreadyExists, message}`.
* `primaryEndpoints.blob` is the lab's Blob service of the account, path-style on the simulator's own address:
  `https://127.0.0.1:PORT/{name}/` (drlab/azure/blob.py: containers and block blobs, bearer tokens for
  `https://storage.azure.com/` and SAS); rendered with the simulator's current URL, so a restart on another port
  keeps it right. The other endpoints use the lab's storage suffix (`core.drlab.test`, never a real Azure host):
  `https://{name}.dfs.core.drlab.test/`, ... - nothing answers there. The names the Blob service cannot tell from
  the simulator's other endpoints (blob.RESERVED: subscriptions, providers, tenants, metadata, msi, common,
  organizations) are "already taken" (409 StorageAccountAlreadyTaken; checkNameAvailability: AlreadyExists).
* The Blob service's data goes with the account: deleting it (or its group) deletes its containers and blobs.
* `PUT /_lab/storage/data-access {"account": name, "access": "write"|"read"|"none"}` (admin API): what a bearer
  token's principal may do in the account's Blob service - the lab's stand-in for the data roles Storage Blob
  Data Contributor (`write`, the default) and Reader (`read`) on the account; `none`: 403
  AuthorizationPermissionMismatch for everything.
* `listKeys` / `regenerateKey` return FAKE keys, derived from the account id and a counter. They
  look like Azure keys (64 random-looking bytes, base64) and open nothing anywhere.
"""
import base64
import hashlib
import re

from drlab.azure import blob, metadata
from drlab.azure.rp import ArmError, LroStyle, ResourceType, bad_request
from drlab.azure.providers import catalog
from drlab.azure.providers import network as net
from drlab.azure.providers.network import LAB, id_of, parse_id, props, strip_lab

STORAGE_ACCOUNT = "Microsoft.Storage/storageAccounts"
#: the lab's counterpart of Azure's `core.windows.net` (the cloud metadata's `suffixes.storage`)
STORAGE_SUFFIX = metadata.STORAGE_SUFFIX

NAME_RE = re.compile(r"^[a-z0-9]{3,24}$")
SKUS = {
    "standard_lrs": ("Standard_LRS", "Standard"), "standard_grs": ("Standard_GRS", "Standard"),
    "standard_ragrs": ("Standard_RAGRS", "Standard"), "standard_zrs": ("Standard_ZRS", "Standard"),
    "standard_gzrs": ("Standard_GZRS", "Standard"), "standard_ragzrs": ("Standard_RAGZRS", "Standard"),
    "premium_lrs": ("Premium_LRS", "Premium"), "premium_zrs": ("Premium_ZRS", "Premium"),
}
KINDS = ("Storage", "StorageV2", "BlobStorage", "FileStorage", "BlockBlobStorage")
#: Azure's region pairs (for the secondary of geo-redundant accounts)
PAIRS = {
    "westeurope": "northeurope", "northeurope": "westeurope", "uksouth": "ukwest", "ukwest": "uksouth",
    "francecentral": "francesouth", "germanywestcentral": "germanynorth", "swedencentral": "swedensouth",
    "eastus": "westus", "eastus2": "centralus", "centralus": "eastus2", "westus2": "westcentralus",
    "southeastasia": "eastasia",
}


def invalid_name_message(name):
    return ("%s is not a valid storage account name. Storage account name must be between 3 and 24 characters "
            "in length and use numbers and lower-case letters only." % name)


def accounts_named(ctx, name):
    """Every account of the lab (all subscriptions: no scope) with this name."""
    return [acc for acc in ctx.list(STORAGE_ACCOUNT) or [] if acc.get("name", "").lower() == name.lower()]


def endpoints(name, secondary=False, base_url=None):
    """The account's endpoints; with `base_url` (the simulator's), `blob` is the lab's Blob service of the account."""
    suffix = "-secondary" if secondary else ""
    out = {service: "https://%s%s.%s.%s/" % (name, suffix, service, STORAGE_SUFFIX)
           for service in ("dfs", "web", "blob", "queue", "table", "file")}
    if base_url and not secondary:
        out["blob"] = "%s/%s/" % (base_url.rstrip("/"), name)
    return out


def _reserved(name):
    return name.lower() in blob.RESERVED


def fake_key(account_id, key_name, generation):
    """FAKE, lab only: looks like an Azure storage key and opens nothing."""
    seed = ("drlab-fake-storage-key|%s|%s|%d" % (account_id.lower(), key_name, generation)).encode()
    raw = hashlib.sha512(seed).digest()
    return base64.b64encode(raw).decode()


class StorageAccount(ResourceType):
    full_type = STORAGE_ACCOUNT
    put_style = LroStyle.LOCATION
    patch_style = LroStyle.SYNC
    delete_style = LroStyle.SYNC
    put_duration = 20.0
    actions = {
        "listKeys": ("list_keys", LroStyle.SYNC),
        "regenerateKey": ("regenerate_key", LroStyle.SYNC),
    }

    def prepare_put(self, ctx, rid, body, existing):
        body = body or {}
        account_id = id_of(rid)
        name = account_id.rsplit("/", 1)[-1]
        if not NAME_RE.match(name):
            raise bad_request("AccountNameInvalid", invalid_name_message(name))
        if existing is None:
            if _reserved(name):
                raise ArmError(409, "StorageAccountAlreadyTaken",
                               "The storage account named %s is already taken." % name)
            ctx.engine.store.blob_delete_account(rid.key)     # nothing of an earlier account of that id
            sub = parse_id(account_id)["sub"]
            for other in accounts_named(ctx, name):
                if net.same_id(other["id"], account_id):
                    continue
                if parse_id(other["id"])["sub"].lower() == sub.lower():
                    raise ArmError(409, "StorageAccountAlreadyExists",
                                   "The storage account named %s already exists under the subscription." % name)
                raise ArmError(409, "StorageAccountAlreadyTaken",
                               "The storage account named %s is already taken." % name)
        base = net.tracked_base(ctx, rid, STORAGE_ACCOUNT, body, existing)
        base.pop("etag", None)   # storage accounts carry no etag
        sku_name = (body.get("sku") or {}).get("name")
        if not sku_name:
            raise bad_request("MissingRequiredParameter", "The request is missing the required parameter 'sku'.")
        if sku_name.lower() not in SKUS:
            raise bad_request("InvalidValuesForRequestParameters",
                              "Values for request parameters are invalid: sku.name '%s'." % sku_name)
        sku_name, tier = SKUS[sku_name.lower()]
        kind = body.get("kind")
        if not kind:
            raise bad_request("MissingRequiredParameter", "The request is missing the required parameter 'kind'.")
        match = [k for k in KINDS if k.lower() == kind.lower()]
        if not match:
            raise bad_request("InvalidValuesForRequestParameters",
                              "Values for request parameters are invalid: kind '%s'." % kind)
        kind = match[0]
        base["sku"] = {"name": sku_name, "tier": tier}
        base["kind"] = kind
        p = props(body)
        keep = props(existing)
        now = ctx.now_iso()
        created = keep.get("creationTime") or now
        enc_time = ((((keep.get("encryption") or {}).get("services") or {}).get("blob") or {})
                    .get("lastEnabledTime")) or now
        out = {
            "keyCreationTime": keep.get("keyCreationTime") or {"key1": now, "key2": now},
            "privateEndpointConnections": [],
            "minimumTlsVersion": p.get("minimumTlsVersion") or keep.get("minimumTlsVersion") or "TLS1_2",
            "allowBlobPublicAccess": bool(p.get("allowBlobPublicAccess", keep.get("allowBlobPublicAccess", False))),
            "supportsHttpsTrafficOnly": bool(p.get("supportsHttpsTrafficOnly",
                                                   keep.get("supportsHttpsTrafficOnly", True))),
            "networkAcls": p.get("networkAcls") or keep.get("networkAcls") or {
                "bypass": "AzureServices", "virtualNetworkRules": [], "ipRules": [], "defaultAction": "Allow"},
            "encryption": {
                "requireInfrastructureEncryption": False,
                "services": {s: {"keyType": "Account", "enabled": True, "lastEnabledTime": enc_time}
                             for s in ("file", "blob")},
                "keySource": "Microsoft.Storage",
            },
            "provisioningState": "Creating" if existing is None else "Succeeded",
            "primaryEndpoints": endpoints(name, base_url=ctx.base_url),
            "primaryLocation": base["location"],
            "statusOfPrimary": "available",
            "creationTime": created,
        }
        if kind in ("StorageV2", "BlobStorage"):
            out["accessTier"] = p.get("accessTier") or keep.get("accessTier") or "Hot"
        for key in ("allowSharedKeyAccess", "isHnsEnabled", "publicNetworkAccess", "largeFileSharesState",
                    "dnsEndpointType", "allowCrossTenantReplication", "defaultToOAuthAuthentication"):
            value = p.get(key, keep.get(key))
            if value is not None:
                out[key] = value
        if "GRS" in sku_name or "GZRS" in sku_name:
            out["secondaryLocation"] = PAIRS.get(base["location"], base["location"])
            out["statusOfSecondary"] = "available"
            if sku_name.startswith("Standard_RA"):
                out["secondaryEndpoints"] = {k: v for k, v in endpoints(name, secondary=True).items()
                                             if k in ("dfs", "web", "blob", "queue", "table")}
        base["properties"] = out
        if body.get("identity"):
            base["identity"] = body["identity"]
        base[LAB] = dict((existing or {}).get(LAB) or {"key1": 0, "key2": 0})
        return base

    def prepare_patch(self, ctx, rid, body, existing):
        """StorageAccountUpdateParameters: tags, sku, kind and properties, merged."""
        body = body or {}
        merged = strip_lab(existing)
        merged["properties"] = dict(props(existing))
        for key in ("tags", "sku", "kind", "identity"):
            if key in body:
                merged[key] = body[key]
        merged["properties"].update(props(body))
        out = self.prepare_put(ctx, rid, merged, existing)
        out["properties"]["provisioningState"] = "Succeeded"
        return out

    def render(self, ctx, stored):
        out = strip_lab(stored)
        p = out.get("properties")
        if isinstance(p, dict) and isinstance(p.get("primaryEndpoints"), dict):
            out["properties"] = p = dict(p)
            blob_endpoint = endpoints(out.get("name") or "", base_url=ctx.base_url)["blob"]
            p["primaryEndpoints"] = dict(p["primaryEndpoints"], blob=blob_endpoint)
        return out

    def on_deleted(self, ctx, rid, existing):
        ctx.engine.store.blob_delete_account(rid.key)

    def operation_paths(self, ctx, rid, operation_id, verb):
        """Storage's polling URL: .../providers/Microsoft.Storage/locations/{loc}/asyncoperations/{id}."""
        return net.provider_operation_paths(ctx, rid, "Microsoft.Storage", operation_id, "operationStatuses",
                                            "asyncoperations")

    def on_lro_complete(self, ctx, rid, stored, verb):
        if verb in ("PUT", "PATCH"):
            stored["properties"]["provisioningState"] = "Succeeded"
        return stored

    # -- actions (keys are FAKE: lab only) -------------------------------------------------------
    def _keys(self, ctx, account):
        lab = account.get(LAB) or {}
        times = props(account).get("keyCreationTime") or {}
        return {"keys": [{"keyName": k, "value": fake_key(account["id"], k, int(lab.get(k, 0))),
                          "permissions": "FULL", "creationTime": times.get(k)} for k in ("key1", "key2")]}

    def list_keys(self, ctx, rid, body):
        return self._keys(ctx, ctx.get(rid))

    def regenerate_key(self, ctx, rid, body):
        key_name = ((body or {}).get("keyName") or "").lower()
        if key_name not in ("key1", "key2"):
            raise bad_request("InvalidValuesForRequestParameters",
                              "Values for request parameters are invalid: keyName.")
        account = dict(ctx.get(rid))
        lab = dict(account.get(LAB) or {})
        lab[key_name] = int(lab.get(key_name, 0)) + 1
        account[LAB] = lab
        p = dict(props(account))
        p["keyCreationTime"] = dict(p.get("keyCreationTime") or {}, **{key_name: ctx.now_iso()})
        account["properties"] = p
        ctx.put(account["id"], account)
        return self._keys(ctx, account)


def check_name_availability(ctx, match, query, body):
    body = body or {}
    name = body.get("name")
    if not name:
        raise bad_request("MissingRequiredParameter", "The request is missing the required parameter 'name'.")
    rtype = body.get("type") or STORAGE_ACCOUNT
    if rtype.lower() != STORAGE_ACCOUNT.lower():
        raise bad_request("InvalidValuesForRequestParameters",
                          "Values for request parameters are invalid: type '%s'." % rtype)
    if not NAME_RE.match(name):
        return 200, {"nameAvailable": False, "reason": "AccountNameInvalid", "message": invalid_name_message(name)}
    if accounts_named(ctx, name) or _reserved(name):
        return 200, {"nameAvailable": False, "reason": "AlreadyExists",
                     "message": "The storage account named %s is already taken." % name}
    return 200, {"nameAvailable": True}


def storage_skus(ctx, match, query, body):
    """GET /subscriptions/{s}/providers/Microsoft.Storage/skus (SkuInformation list)."""
    out = []
    for sku_name, tier in SKUS.values():
        for kind in ("StorageV2", "Storage", "BlobStorage") if tier == "Standard" else ("StorageV2",
                                                                                        "BlockBlobStorage",
                                                                                        "FileStorage"):
            out.append({
                "resourceType": "storageAccounts", "name": sku_name, "tier": tier, "kind": kind,
                "locations": list(catalog.REGIONS),
                "locationInfo": [{"location": r, "zones": list(z)} for r, (_n, z) in catalog.REGIONS.items()],
                "capabilities": [{"name": "supportsfileencryption", "value": "true"}],
                "restrictions": [],
            })
    return 200, {"value": out}


_SUB = r"/subscriptions/(?P<sub>[^/]+)"

ROUTES = [
    ("POST", _SUB + r"/providers/Microsoft\.Storage/checkNameAvailability", check_name_availability),
    ("GET", _SUB + r"/providers/Microsoft\.Storage/skus", storage_skus),
]


def set_data_access(ctx, match, body):
    """PUT /_lab/storage/data-access {"account": name, "access": write|read|none}: the data role of bearer principals
    in the account's Blob service (blob.py)."""
    body = body or {}
    access = body.get("access")
    if access not in blob.DATA_ROLES:
        raise bad_request("BadRequest", "access must be one of %s." % ", ".join(sorted(blob.DATA_ROLES)))
    found = accounts_named(ctx, str(body.get("account") or "").rsplit("/", 1)[-1])
    if not found:
        raise ArmError(404, "NotFound", "No storage account named %r in the lab." % body.get("account"))
    account = dict(ctx.get(found[0]["id"]))
    account[LAB] = dict(account.get(LAB) or {}, data_access=access)
    ctx.put(account["id"], account)
    return 200, {"account": account["name"], "access": access}


ADMIN_ROUTES = [("PUT", r"storage/data-access", set_data_access)]

RESOURCE_TYPES = [StorageAccount]
