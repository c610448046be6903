"""Long-running operations, the way ARM runs them (and azure-core's ARMPolling follows them).

* initial answer: 201/200 with the body (`ASYNC_OPERATION`) or 202 without (`LOCATION`, `BOTH`),
  with `Azure-AsyncOperation: <status URL>` and/or `Location: <result URL>` and `Retry-After`;
* status URL: always 200 `{"id", "name", "status": InProgress|Succeeded|Failed|Canceled,
  "startTime", "endTime", "error"}` with `Retry-After`;
* result URL: 202 (+ `Location`, `Retry-After`) while running; then 200 with the resource (PUT,
  PATCH) or the action's result (POST), 204 for deletes and actions without a result; a failed
  operation answers its error status with the ARM error envelope.

An operation completes when the lab clock reaches `start + duration` (see engine.complete_due).
"""
import time

from drlab.azure import ids
from drlab.azure.clock import iso
from drlab.azure.rp import LroStyle, not_found
from drlab.azure.wire import Response


def default_paths(engine, ctx, rid, op_id):
    ns = rid.namespace or "Microsoft.Resources"
    row = engine.store.get_row(rid.key)
    loc = (row["body"].get("location") if row else None) or None
    if not loc and rid.resource_group is not None:
        loc = ctx.location_of_rg(rid.subscription, rid.resource_group)
    loc = (loc or "global").replace(" ", "").lower()
    base = "/subscriptions/%s/providers/%s/locations/%s" % (rid.subscription, ns, loc)
    return base + "/operationStatuses/" + op_id, base + "/operationResults/" + op_id


def start(engine, ctx, rt, rid, verb, style, duration, action=None, result=None):
    """Record a new operation (completing it at once when its duration is 0). Returns it."""
    op_id = ctx.operation_id or ctx.new_guid()
    ctx.operation_id = None   # one operation per id
    paths = None
    if hasattr(rt, "operation_paths"):
        paths = rt.operation_paths(ctx, rid, op_id, verb)
    status_path, result_path = paths or default_paths(engine, ctx, rid, op_id)
    now = engine.app.clock.now_epoch()
    op = {"id": op_id, "resource_key": rid.key, "resource_id": rid.id, "type_key": rt.full_type.lower(),
          "verb": verb, "action": action, "style": style.value, "status": "InProgress", "error": None,
          "error_status": None, "result": result, "start_lab": now, "due_lab": now + max(0.0, duration),
          "end_lab": None, "status_key": status_path.lower(), "result_key": result_path.lower(),
          "status_path": status_path, "result_path": result_path,
          "api_version": ctx.api_version or "", "created": time.time()}
    engine.store.add_operation(op)
    if duration <= 0:
        engine.complete_operation(op)
        op = engine.store.get_operation(op_id)
    return op


def _url(engine, path, api_version):
    return "%s%s?api-version=%s" % (engine.app.base_url, path, api_version)


def _retry_after(engine):
    return str(int(engine.app.config["retry_after"]))


def initial_response(engine, ctx, op, style, status, body):
    api = ctx.api_version or op.get("api_version") or ""
    headers = {"Retry-After": _retry_after(engine)}
    if style in (LroStyle.ASYNC_OPERATION, LroStyle.BOTH):
        headers["Azure-AsyncOperation"] = _url(engine, op["status_path"], api)
    if style in (LroStyle.LOCATION, LroStyle.BOTH):
        headers["Location"] = _url(engine, op["result_path"], api)
    return Response(status, body, headers)


def status_body(op):
    body = {"id": op["status_path"], "name": op["id"], "status": op["status"], "startTime": iso(op["start_lab"])}
    if op.get("end_lab"):
        body["endTime"] = iso(op["end_lab"])
    if op.get("error"):
        body["error"] = op["error"]
    if op["verb"] == "POST" and op["status"] == "Succeeded" and isinstance(op.get("result"), dict):
        body["properties"] = op["result"]
    return body


def poll_response(engine, ctx, req, op, which):
    retry = {"Retry-After": _retry_after(engine)}
    if which == "status":
        return Response(200, status_body(op), retry)
    status = op["status"]
    if status == "InProgress":
        headers = dict(retry)
        headers["Location"] = engine.app.base_url + req.path + ("?" + req.query_string if req.query_string else "")
        return Response(202, None, headers)
    if status in ("Failed", "Canceled"):
        err = op.get("error") or {"code": status, "message": "The operation was %s." % status.lower()}
        return Response(op.get("error_status") or 500, {"error": err})
    verb = op["verb"]
    if verb == "DELETE":
        return Response(204)
    if verb == "POST":
        result = op.get("result")
        return Response(204) if result is None else Response(200, result)
    rid = ids.parse(op["resource_id"])
    row = engine.store.get_row(rid.key)
    if row is None:
        raise not_found(rid)
    rt = engine.types.get(op["type_key"])
    return Response(200, rt.render(ctx, row["body"]) if rt else row["body"])
