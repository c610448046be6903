"""Microsoft.Resources for the lab's ARM simulator: tenants, subscriptions, locations, resource
providers, resource groups and the generic resource lists (azure-mgmt-resource 26,
api-version 2025-04-01; subscriptions 2022-12-01).

* Resource groups: PUT is synchronous (201 create / 200 update; another location: 409
  `InvalidResourceGroupLocation`), GET, HEAD (204/404), PATCH (tags, managedBy: 200), DELETE 202 +
  `Location` (`/subscriptions/{s}/operationresults/{token}`) that removes every resource inside when
  it completes (`delete_duration` lab seconds); list (`$filter` tagName/tagValue, paged).
* `GET /subscriptions/{s}/resources`, `/resourceGroups/{rg}/resources`: every top-level resource of
  every type, paged, with `$filter` (resourceType, name, location, resourceGroup, tagName/tagValue,
  substringof(), startswith()) joined with `and`, `$expand` (createdTime, changedTime,
  provisioningState) and `$top`.
* Every resource provider is `Registered`: the simulator never answers
  `MissingSubscriptionRegistration` (azure-mgmt-core would try to register on its own).
"""
import base64
import json
import re

from drlab.azure import apiversions, ids, tags as tagsmod
from drlab.azure.clock import iso
from drlab.azure.rp import ArmError, LroStyle, Paged, ResourceType, bad_request

RG_TYPE = ids.RG_TYPE

#: namespaces listed as registered besides those the simulator implements
_EXTRA_NAMESPACES = ("Microsoft.Authorization", "Microsoft.Insights", "Microsoft.KeyVault",
                     "Microsoft.ManagedIdentity", "Microsoft.Migrate", "Microsoft.OffAzure",
                     "Microsoft.OperationalInsights", "Microsoft.Compute", "Microsoft.Network", "Microsoft.Storage",
                     "Microsoft.RecoveryServices")
#: the api-versions each type lists in the provider list are drlab/azure/apiversions.py's (the same
#: table the engine checks requests against)

#: name -> (geography group, physical location, latitude, longitude, paired region)
_REGION_META = {
    "westeurope": ("Europe", "Netherlands", "52.3667", "4.9", "northeurope"),
    "northeurope": ("Europe", "Ireland", "53.3478", "-6.2597", "westeurope"),
    "uksouth": ("Europe", "London", "50.941", "-0.799", "ukwest"),
    "ukwest": ("Europe", "Cardiff", "53.427", "-3.084", "uksouth"),
    "francecentral": ("Europe", "Paris", "46.3772", "2.3730", "francesouth"),
    "germanywestcentral": ("Europe", "Frankfurt", "50.110924", "8.682127", "germanynorth"),
    "swedencentral": ("Europe", "Gävle", "60.67488", "17.14127", "swedensouth"),
    "eastus": ("US", "Virginia", "37.3719", "-79.8164", "westus"),
    "eastus2": ("US", "Virginia", "36.6681", "-78.3889", "centralus"),
    "westus2": ("US", "Washington", "47.233", "-119.852", "westcentralus"),
    "centralus": ("US", "Iowa", "41.5908", "-93.6208", "eastus2"),
    "southeastasia": ("Asia Pacific", "Singapore", "1.283", "103.833", "eastasia"),
}

_RG_NAME = re.compile(r"^[-\w._()]{1,90}$", re.UNICODE)


# ---------------------------------------------------------------------------------------------
# $filter on generic lists

_CLAUSE = re.compile(r"^\s*(?P<field>[A-Za-z/]+)\s+eq\s+'(?P<value>(?:[^']|'')*)'\s*$", re.I)
_FUNC = re.compile(r"^\s*(?P<fn>substringof|startswith)\(\s*(?:'(?P<v1>(?:[^']|'')*)'\s*,\s*(?P<f1>[A-Za-z/]+)|"
                   r"(?P<f2>[A-Za-z/]+)\s*,\s*'(?P<v2>(?:[^']|'')*)')\s*\)\s*(?:eq\s+true\s*)?$", re.I)
_AND = re.compile(r"\s+and\s+", re.I)


def _invalid_filter(text):
    return bad_request("InvalidFilterInQueryString",
                       "The $filter '%s' is not supported. Supported: resourceType, name, location, resourceGroup, "
                       "tagName, tagValue (eq), substringof('value', name), startswith(name, 'value'), joined with "
                       "'and'." % text)


def _field_name(rid, body, _type):
    return (body.get("name") or rid.name).lower()


def _field_type(_rid, _body, type_name):
    return type_name.lower()


def parse_filter(text):
    """$filter -> list of predicates over (row id, body, type name)."""
    preds = []
    tag_name = None
    tag_value = None
    for part in _AND.split(text.strip()):
        m = _CLAUSE.match(part)
        if m:
            field, value = m.group("field").lower(), m.group("value").replace("''", "'")
            if field == "tagname":
                tag_name = value
            elif field == "tagvalue":
                tag_value = value
            elif field == "resourcetype":
                preds.append(lambda rid, b, t, v=value.lower(): t.lower() == v)
            elif field == "name":
                preds.append(lambda rid, b, t, v=value.lower(): (b.get("name") or rid.name).lower() == v)
            elif field == "location":
                preds.append(lambda rid, b, t, v=value.replace(" ", "").lower():
                             (b.get("location") or "").replace(" ", "").lower() == v)
            elif field == "resourcegroup":
                preds.append(lambda rid, b, t, v=value.lower(): (rid.resource_group or "").lower() == v)
            else:
                raise _invalid_filter(text)
            continue
        m = _FUNC.match(part)
        if m:
            field = (m.group("f1") or m.group("f2")).lower()
            value = (m.group("v1") if m.group("v1") is not None else m.group("v2")).replace("''", "'").lower()
            fn = m.group("fn").lower()
            if field == "name":
                get = _field_name
            elif field == "resourcetype":
                get = _field_type
            elif field == "tagname":
                preds.append(lambda rid, b, t, v=value, f=fn: any(
                    (v in k.lower()) if f == "substringof" else k.lower().startswith(v) for k in (b.get("tags") or {})))
                continue
            else:
                raise _invalid_filter(text)
            if fn == "substringof":
                preds.append(lambda rid, b, t, v=value, g=get: v in g(rid, b, t))
            else:
                preds.append(lambda rid, b, t, v=value, g=get: g(rid, b, t).startswith(v))
            continue
        raise _invalid_filter(text)
    if tag_value is not None and tag_name is None:
        raise _invalid_filter(text)
    if tag_name is not None:
        def tag_pred(rid, b, t, n=tag_name.lower(), v=tag_value):
            tags = {k.lower(): val for k, val in (b.get("tags") or {}).items()}
            return n in tags and (v is None or tags[n] == v)
        preds.append(tag_pred)
    return preds


def apply_filter(items, text):
    """items: [(ResourceId, body, type name)] -> the ones matching $filter."""
    if not text:
        return items
    preds = parse_filter(text)
    return [it for it in items if all(p(*it) for p in preds)]


# ---------------------------------------------------------------------------------------------
# resource groups


class ResourceGroup(ResourceType):
    full_type = RG_TYPE
    tracked = True
    put_style = LroStyle.SYNC
    patch_style = LroStyle.SYNC
    delete_style = LroStyle.LOCATION
    delete_duration = 30.0
    list_at_subscription = True

    def prepare_put(self, ctx, rid, body, existing):
        name = rid.resource_group
        if not _RG_NAME.match(name) or name.endswith("."):
            raise bad_request("InvalidResourceGroup",
                              "The provided resource group name '%s' has these invalid characters or length. The name "
                              "can only be a letter, digit, '-', '.', '_', '(', ')', up to 90 characters, and cannot "
                              "end with '.'." % name)
        location = ctx.normalize_location(body.get("location"))
        if existing is not None and existing.get("location") != location:
            raise ArmError(409, "InvalidResourceGroupLocation",
                           "Invalid resource group location '%s'. The Resource group already exists in location "
                           "'%s'." % (location, existing.get("location")))
        out = {"id": rid.id, "name": name, "type": RG_TYPE, "location": location,
               "properties": {"provisioningState": "Succeeded"}}
        tags = body.get("tags")
        if tags is None and existing is not None:
            tags = existing.get("tags")
        if tags is not None:
            _check_tags(tags)
            out["tags"] = tags
        managed_by = body.get("managedBy") or (existing or {}).get("managedBy")
        if managed_by:
            out["managedBy"] = managed_by
        return out

    def prepare_patch(self, ctx, rid, body, existing):
        out = json.loads(json.dumps(existing))
        if "tags" in body and body["tags"] is not None:
            _check_tags(body["tags"])
            out["tags"] = body["tags"]
        if body.get("managedBy"):
            out["managedBy"] = body["managedBy"]
        return out

    def operation_paths(self, ctx, rid, operation_id, verb):
        job = {"jobId": "RESOURCEGROUPDELETIONJOB-%s-%s" % (
            re.sub(r"[^A-Z0-9]", "", rid.resource_group.upper())[:20] or "RG", operation_id.replace("-", "")[:12].upper()),
            "jobLocation": ctx.location_of_rg(rid.subscription, rid.resource_group) or "westeurope"}
        token = base64.urlsafe_b64encode(json.dumps(job, separators=(",", ":")).encode()).decode().rstrip("=")
        base = "/subscriptions/%s" % rid.subscription
        return base + "/operationstatuses/" + token, base + "/operationresults/" + token

    def filter_list(self, ctx, items, query):
        text = query.get("$filter")
        if not text:
            return items
        triples = [(ids.parse(b["id"]), b, RG_TYPE) for b in items]
        return [b for _r, b, _t in apply_filter(triples, text)]


#: the limits of a resource's tags (shared with the tags extension resource, drlab/azure/tags.py)
_check_tags = tagsmod.check_tags


# ---------------------------------------------------------------------------------------------
# subscriptions, tenants, locations, providers


def _subscription_body(ctx, info):
    out = {"id": "/subscriptions/%s" % info["subscriptionId"], "authorizationSource": "RoleBased",
           "managedByTenants": [], "subscriptionId": info["subscriptionId"], "tenantId": info["tenantId"],
           "displayName": info["displayName"], "state": info["state"],
           "subscriptionPolicies": {"locationPlacementId": "Public_2014-09-01", "quotaId": "PayAsYouGo_2014-09-01",
                                    "spendingLimit": "Off"}}
    tags = tagsmod.subscription_tags(ctx.engine.store, info["subscriptionId"])
    if tags:
        out["tags"] = tags
    return out


def list_subscriptions(ctx, match, query, body):
    subs = sorted(ctx.engine.subscriptions.values(), key=lambda i: i["subscriptionId"].casefold())
    return 200, Paged(_subscription_body(ctx, i) for i in subs)


def get_subscription(ctx, match, query, body):
    return 200, _subscription_body(ctx, ctx.engine.subscriptions[match.group("sub").lower()])


def list_tenants(ctx, match, query, body):
    domains = list(ctx.config.get("tenant_domains") or [])
    return 200, Paged([{"id": "/tenants/%s" % ctx.tenant_id, "tenantId": ctx.tenant_id, "tenantCategory": "Home",
                        "country": "Netherlands", "countryCode": "NL", "displayName": "dr.asr lab",
                        "domains": domains, "defaultDomain": domains[0] if domains else None, "tenantType": "AAD"}])


def _location_body(ctx, sub, name, display):
    geo, place, lat, lon, pair = _REGION_META.get(name, ("", "", "0", "0", None))
    meta = {"regionType": "Physical", "regionCategory": "Recommended", "geography": place,
            "geographyGroup": geo, "longitude": lon, "latitude": lat, "physicalLocation": place}
    if pair:
        meta["pairedRegion"] = [{"name": pair, "id": "/subscriptions/%s/locations/%s" % (sub, pair)}]
    return {"id": "/subscriptions/%s/locations/%s" % (sub, name), "name": name, "type": "Region",
            "displayName": display, "regionalDisplayName": "(%s) %s" % (geo, display) if geo else display,
            "metadata": meta}


def list_locations(ctx, match, query, body):
    sub = match.group("sub").lower()
    return 200, {"value": [_location_body(ctx, sub, n, d) for n, d in ctx.engine.locations.items()]}


def _default_version(versions):
    stable = [v for v in versions if "preview" not in v]
    return (stable or list(versions))[0]


def _provider_body(ctx, sub, ns_key, ns_name, types):
    display = list(ctx.engine.locations.values())
    rtypes = []
    for rt in types:
        versions = list(apiversions.versions_for(rt.full_type))
        if not versions:
            continue        # a type the table does not know is not served (the engine would not route it)
        rtypes.append({"resourceType": rt.full_type.split("/", 1)[1],
                       "locations": display if rt.tracked else [],
                       "apiVersions": versions,
                       "defaultApiVersion": _default_version(versions),
                       "capabilities": "SupportsTags, SupportsLocation" if rt.tracked else "None"})
    if ns_key == "microsoft.resources":
        for t in ("tenants", "subscriptions", "providers", "operations", "resources", "subscriptions/locations",
                  "subscriptions/resources", "subscriptions/providers", "tags"):
            versions = list(apiversions.versions_for("Microsoft.Resources/" + t) or apiversions.ARM)
            rtypes.append({"resourceType": t, "locations": [], "apiVersions": versions,
                           "defaultApiVersion": _default_version(versions), "capabilities": "None"})
    body = {"id": "/providers/%s" % ns_name if sub is None else "/subscriptions/%s/providers/%s" % (sub, ns_name),
            "namespace": ns_name, "resourceTypes": rtypes}
    if sub is not None:
        body.update({"registrationState": "Registered", "registrationPolicy": "RegistrationRequired"})
    return body


def _namespaces(ctx):
    out = {k: (name, list(types)) for k, (name, types) in ctx.engine.namespaces().items()}
    for ns in _EXTRA_NAMESPACES:
        out.setdefault(ns.lower(), (ns, []))
    return dict(sorted(out.items()))


def list_providers(ctx, match, query, body):
    sub = match.groupdict().get("sub")
    sub = sub.lower() if sub else None
    return 200, Paged(_provider_body(ctx, sub, k, n, t) for k, (n, t) in _namespaces(ctx).items())


def get_provider(ctx, match, query, body):
    sub = match.groupdict().get("sub")
    sub = sub.lower() if sub else None
    ns = match.group("ns")
    found = _namespaces(ctx).get(ns.lower())
    if found is None:
        # ARM knows every public namespace: answer an empty, registered provider
        found = (ns, [])
    return 200, _provider_body(ctx, sub, ns.lower(), found[0], found[1])


def register_provider(ctx, match, query, body):
    return get_provider(ctx, match, query, body)


# ---------------------------------------------------------------------------------------------
# generic resource lists


def _generic(ctx, row, expand):
    b = row["body"]
    out = {"id": row["id"], "name": b.get("name") or ids.parse(row["id"]).name,
           "type": ctx.engine.type_name(row["type_key"])}
    for key in ("kind", "managedBy", "sku", "plan", "identity", "location", "extendedLocation", "zones", "tags"):
        if b.get(key) not in (None, ""):
            out[key] = b[key]
    wanted = {e.strip().lower() for e in (expand or "").split(",") if e.strip()}
    if "createdtime" in wanted:
        out["createdTime"] = iso(row["created"])
    if "changedtime" in wanted:
        out["changedTime"] = iso(row["changed"])
    if "provisioningstate" in wanted:
        ps = (b.get("properties") or {}).get("provisioningState") if isinstance(b.get("properties"), dict) else None
        out["provisioningState"] = ps or "Succeeded"
    return out


def _list_resources(ctx, query, sub, rg=None):
    store = ctx.engine.store
    if rg is not None and store.get_row(ids.ResourceId(sub, rg).key) is None:
        raise ArmError(404, "ResourceGroupNotFound", "Resource group '%s' could not be found." % rg)
    rows = store.list(sub_key=sub, rg_key=rg, top_level_only=True, exclude_type_keys=(RG_TYPE,))
    rows.sort(key=lambda r: r["id"].casefold())        # key order: deterministic pages (engine.page)
    triples = [(ids.parse(r["id"]), r["body"], ctx.engine.type_name(r["type_key"])) for r in rows]
    keep = {t[0].key for t in apply_filter(triples, query.get("$filter"))}
    expand = query.get("$expand")
    return 200, Paged(_generic(ctx, r, expand) for r in rows if r["key"] in keep)


def list_subscription_resources(ctx, match, query, body):
    return _list_resources(ctx, query, match.group("sub"))


def list_group_resources(ctx, match, query, body):
    return _list_resources(ctx, query, match.group("sub"), match.group("rg"))


_SUB = r"/subscriptions/(?P<sub>[^/]+)"

ROUTES = [
    ("GET", r"/subscriptions", list_subscriptions),
    ("GET", _SUB, get_subscription),
    ("GET", r"/tenants", list_tenants),
    ("GET", _SUB + r"/locations", list_locations),
    ("GET", _SUB + r"/providers", list_providers),
    ("GET", _SUB + r"/providers/(?P<ns>[^/]+)", get_provider),
    ("POST", _SUB + r"/providers/(?P<ns>[^/]+)/register", register_provider),
    ("GET", r"/providers", list_providers),
    ("GET", r"/providers/(?P<ns>[^/]+)", get_provider),
    ("GET", _SUB + r"/resources", list_subscription_resources),
    ("GET", _SUB + r"/resourceGroups/(?P<rg>[^/]+)/resources", list_group_resources),
]

# what the request log shows as the resource type of these routes
for _handler, _rtype in ((list_subscriptions, "subscriptions"), (get_subscription, "subscriptions"),
                         (list_tenants, "tenants"), (list_locations, "locations"), (list_providers, "providers"),
                         (get_provider, "providers"), (register_provider, "providers"),
                         (list_subscription_resources, "resources"), (list_group_resources, "resources")):
    _handler.resource_type = "Microsoft.Resources/" + _rtype

RESOURCE_TYPES = [ResourceGroup]


def on_reset(store):
    """POST /_lab/reset: the subscriptions' tags (meta items) go with the resources."""
    store.meta_delete_prefix(tagsmod.SUBSCRIPTION_TAGS_PREFIX)
