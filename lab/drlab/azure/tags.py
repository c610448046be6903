"""Tags as an extension resource: `{scope}/providers/Microsoft.Resources/tags/default`.

ARM's "Tags - Get At Scope / Create Or Update At Scope / Update At Scope / Delete At Scope"
(specification/resources/resource-manager/Microsoft.Resources/resources, resources.json, operations
Tags_GetAtScope, Tags_CreateOrUpdateAtScope, Tags_UpdateAtScope, Tags_DeleteAtScope) on any scope
that exists: the subscription, a resource group, any resource (nested ones too).

* GET    -> 200 TagsResource `{"id": "{scope}/providers/Microsoft.Resources/tags/default",
            "name": "default", "type": "Microsoft.Resources/tags", "properties": {"tags": {...}}}`
* PUT    `{"properties": {"tags": {...}}}` -> replaces the whole set; 200 TagsResource
* PATCH  `{"operation": "Merge|Replace|Delete", "properties": {"tags": {...}}}` -> 200 TagsResource
* DELETE -> removes every tag; 200 (no body)

The tags are the scope's own `tags`: a GET of the resource (or group) shows them, and the limits
of resource tags apply (check_tags: at most 50, names up to 512 characters, values up to 256).
A subscription's tags are kept in the store's meta items (subscriptions are not stored resources)
and shown by `GET /subscriptions/{s}` (providers/resources.py).

Since api-version 2023-07-01 (azure-mgmt-resource 23.1+) the SDK runs these as long-running
operations (200 or 202 + Location); the lab always answers 200 at once (ARM does for scopes whose
tags it writes itself; for a resource it may answer 202 while the provider updates it: not simulated).
Tag names are case-insensitive for Merge and Delete, values are compared as they are (Azure's rule).
Our guesses: `Delete` with an empty value removes the tag whatever its value; the error code of an
unknown `operation` (InvalidRequestContent).
"""
import copy

from drlab.azure import ids
from drlab.azure.rp import ArmError, bad_request
from drlab.azure.wire import Response

TAGS_TYPE = "Microsoft.Resources/tags"
#: meta items holding a subscription's tags: prefix + lower-case subscription id
SUBSCRIPTION_TAGS_PREFIX = "arm.subscription-tags."
OPERATIONS = ("Merge", "Replace", "Delete")


def check_tags(tags):
    """ARM's limits on a resource's tags (400 otherwise)."""
    if not isinstance(tags, dict):
        raise bad_request("InvalidRequestContent", "The request content was invalid and could not be deserialized: "
                                                   "'tags' must be an object.")
    if len(tags) > 50:
        raise bad_request("InvalidTagCount", "The number of tags (%d) exceeds the maximum of 50." % len(tags))
    for k, v in tags.items():
        if len(k) > 512 or (v is not None and len(str(v)) > 256):
            raise bad_request("InvalidTagNameCharacters" if len(k) > 512 else "InvalidTagValueLength",
                              "The tag '%s' is too long: names may have 512 characters, values 256." % k[:40])


def subscription_tags(store, subscription_id):
    return dict(store.meta_get(SUBSCRIPTION_TAGS_PREFIX + subscription_id.lower()) or {})


def _set_subscription_tags(store, subscription_id, tags):
    store.meta_set(SUBSCRIPTION_TAGS_PREFIX + subscription_id.lower(), dict(tags))


def _tags_resource(scope_id, tags):
    return {"id": scope_id + "/providers/" + TAGS_TYPE + "/default", "name": "default", "type": TAGS_TYPE,
            "properties": {"tags": dict(tags)}}


def _body_tags(body):
    """The `properties.tags` of a TagsResource / TagsPatchResource body (400 when malformed)."""
    if body is None:
        raise ArmError(400, "InvalidRequestContent", "The request content was invalid and could not be "
                                                     "deserialized: 'The request body is empty'.")
    props = body.get("properties")
    if props is None:
        props = {}
    if not isinstance(props, dict):
        raise bad_request("InvalidRequestContent", "The request content was invalid and could not be deserialized: "
                                                   "'properties' must be an object.")
    tags = props.get("tags")
    if tags is None:
        tags = {}
    check_tags(tags)
    return {str(k): ("" if v is None else str(v)) for k, v in tags.items()}


def _merge(current, given):
    out = dict(current)
    lower = {k.lower(): k for k in out}
    for k, v in given.items():
        out[lower.get(k.lower(), k)] = v     # an existing name keeps its casing
    return out


def _delete(current, given):
    wanted = {k.lower(): v for k, v in given.items()}
    return {k: v for k, v in current.items()
            if not (k.lower() in wanted and wanted[k.lower()] in ("", v))}


def handle(engine, ctx, req, scope_segs):
    """A request to `{scope}/providers/Microsoft.Resources/tags/default` (scope_segs: the scope's segments)."""
    req.resource_type = TAGS_TYPE
    method = req.method
    if method not in ("GET", "HEAD", "PUT", "PATCH", "DELETE"):
        raise ArmError(405, "MethodNotAllowed", "The requested resource does not support http method '%s'." % method)
    try:
        rid = ids.parse_segments(list(scope_segs))
    except ids.InvalidResourceId:
        raise engine.no_route(req)     # tenant or management group scopes: not in the lab
    if rid.is_subscription:
        scope_id = "/subscriptions/%s" % rid.subscription.lower()
        current = subscription_tags(engine.store, rid.subscription)

        def write(new):
            _set_subscription_tags(engine.store, rid.subscription, new)
    else:
        crid = engine.canonical(rid)
        row = engine.store.get_row(crid.key)
        if row is None:
            raise engine.missing(crid)
        scope_id = crid.id
        current = dict(row["body"].get("tags") or {})

        def write(new):
            op = engine.pending_delete(crid)
            if op is not None:
                raise ArmError(409, "Conflict", "The resource '%s' is being deleted: operation '%s' is in progress."
                               % (op["resource_id"], op["id"]))
            body = copy.deepcopy(engine.store.get_row(crid.key)["body"])
            if new:
                body["tags"] = dict(new)
            else:
                body.pop("tags", None)
            engine.store_body(crid, body)

    if method in ("GET", "HEAD"):
        return Response(200 if method == "GET" else 204, _tags_resource(scope_id, current) if method == "GET" else None)
    if method == "DELETE":
        write({})
        return Response(200)
    body = engine.json_body(req)
    given = _body_tags(body)
    if method == "PUT":
        new = given
    else:
        operation = (body or {}).get("operation")
        match = [o for o in OPERATIONS if isinstance(operation, str) and o.lower() == operation.lower()]
        if not match:
            raise bad_request("InvalidRequestContent",
                              "The request content was invalid and could not be deserialized: 'operation' must be "
                              "one of %s, not '%s'." % (", ".join(OPERATIONS), operation))
        new = {"Merge": lambda: _merge(current, given), "Replace": lambda: dict(given),
               "Delete": lambda: _delete(current, given)}[match[0]]()
    check_tags(new)
    write(new)
    return Response(200, _tags_resource(scope_id, new))
