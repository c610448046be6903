# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""An in-memory ASR vault with recovery plans at the network edge: the real SDK clients send their requests
through azure-core's RequestsTransport into `PlanArm.request` (a requests.Session stand-in). It answers as ASR
does where it matters for comparing: groups normalized to Shutdown, Failover, then Boot groups, ids in
`/Subscriptions/` casing, timeouts re-spelled (PT15M -> PT0H15M0S); writes answer 202 with job headers.

    arm = PlanArm(vms=["db-01", "app-01", "web-01"])
    arm.clients()                 # AzureClients whose SDK clients talk to `arm`
    arm.writes()                  # [(method, path, body)] of the PUT/PATCH/DELETE requests
"""

from __future__ import annotations

import copy
import json
import re
import types
import uuid
from urllib.parse import parse_qs, urlparse

import requests
from azure.core.credentials import AccessToken
from azure.core.pipeline.transport import RequestsTransport

from ansible_collections.dr.asr.plugins.module_utils._azure.client import AzureClients

SUB = "00000000-0000-4000-8000-000000000003"
RG = "rg-dr"
VAULT = "rsv-rp"
GROUP = "/subscriptions/%s/resourceGroups/%s" % (SUB, RG)
V = GROUP + "/providers/Microsoft.RecoveryServices/vaults/" + VAULT
FABRIC = V + "/replicationFabrics/fab1"
OTHER_FABRIC = V + "/replicationFabrics/fab2"
CONTAINER = FABRIC + "/replicationProtectionContainers/cont1"
OTHER_CONTAINER = OTHER_FABRIC + "/replicationProtectionContainers/cont2"
PLANS = V + "/replicationRecoveryPlans"
IDLE = {"scenarioName": "None", "jobId": V + "/replicationJobs/None", "startTime": "1753-01-01T01:01:01Z"}


def asr_id(value):
    return "/Subscriptions/" + value[len("/subscriptions/"):] if value.lower().startswith("/subscriptions/") else value


def item_name(vm):
    return "item-" + vm


def internal_id(vm):
    """The item's providerSpecificDetails.internalIdentifier: what a plan names its members by [recorded]."""
    return "00000000-0000-5000-8000-%012x" % (sum(ord(c) * 31 ** i for i, c in enumerate(vm)) % 16 ** 12)


class FakeCredential(object):
    def get_token(self, *scopes, **kwargs):
        return AccessToken("fake", 4102444800)


def _respell(timeout):
    """ASR's spelling of a duration, to prove the module compares durations, not strings."""
    match = re.match(r"^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$", timeout or "")
    if not match:
        return timeout
    h, m, s = (int(x or 0) for x in match.groups())
    return "PT%dH%dM%dS" % (h, m, s)


class PlanArm(object):
    """One vault with an appliance fabric, protected items for `vms` (and `other_vms` in a second fabric)."""

    def __init__(self, vms=(), other_vms=()):
        self.items = [self._item(vm, CONTAINER) for vm in vms] + [self._item(vm, OTHER_CONTAINER) for vm in other_vms]
        self.plans = {}
        self.jobs = {}
        self.calls = []
        self.clock = 0
        self.job_state = "Succeeded"
        self.running = {}                # job name -> [polls left, callback]
        self.fabrics = [FABRIC] + ([OTHER_FABRIC] if other_vms else [])

    @staticmethod
    def _item(vm, container):
        return {"id": asr_id(container + "/replicationProtectedItems/" + item_name(vm)), "name": item_name(vm),
                "properties": {"friendlyName": vm, "protectionState": "Protected", "currentScenario": dict(IDLE),
                               "providerSpecificDetails": {"instanceType": "InMageRcm",
                                                           "internalIdentifier": internal_id(vm)}}}

    # -- the client side -------------------------------------------------------------------------
    def clients(self):
        arm = self

        class Clients(AzureClients):
            def _transport_kwargs(self):
                return {"transport": RequestsTransport(session=arm, session_owner=False)}

        return Clients({"subscription_id": SUB, "client_id": "c", "secret": "s", "tenant": "t"},
                       wait_sleep=0, credential=FakeCredential())

    def writes(self):
        return [(m, p, b) for m, p, _q, b in self.calls if m != "GET"]

    def reads(self, fragment=""):
        return [(p, q) for m, p, q, _b in self.calls if m == "GET" and fragment in p]

    # -- requests.Session stand-in ---------------------------------------------------------------
    def request(self, method, url, data=None, **kwargs):  # pylint: disable=unused-argument
        parsed = urlparse(url)
        query = dict((k, v[0]) for k, v in parse_qs(parsed.query).items())
        body = json.loads(data) if data else None
        self.calls.append((method, parsed.path, query, body))
        for verb, pattern, handler in self.routes():
            match = re.match(pattern + r"$", parsed.path, re.I)
            if verb == method and match:
                status, payload, headers = handler(match, query, body)
                return self._response(status, payload, headers, url)
        return self._response(404, {"error": {"code": "NotFound", "message": "%s %s" % (method, parsed.path)}}, {}, url)

    def mount(self, *args):
        pass

    def close(self):
        pass

    @staticmethod
    def _response(status, payload, headers, url):
        raw = requests.Response()
        raw.status_code = status
        raw.reason = "OK" if status < 300 else "Error"
        raw.url = url
        raw._content = json.dumps(payload).encode() if payload is not None else b""  # pylint: disable=protected-access
        raw._content_consumed = True  # pylint: disable=protected-access
        raw.raw = types.SimpleNamespace()
        raw.headers["Content-Type"] = "application/json"
        raw.headers.update(headers or {})
        return raw

    def routes(self):
        plan = PLANS + r"/(?P<plan>[^/]+)"
        return [
            ("GET", V, self._vault),
            ("GET", V + "/replicationFabrics", self._fabric_list),
            ("GET", V + "/replicationProtectedItems", self._item_list),
            ("GET", PLANS, self._plan_list),
            ("GET", plan, self._plan_get),
            ("PUT", plan, self._plan_put),
            ("PATCH", plan, self._plan_patch),
            ("DELETE", plan, self._plan_delete),
            ("GET", V + "/replicationJobs", self._job_list),
            ("GET", V + r"/replicationJobs/(?P<job>[^/]+)", self._job_get),
        ]

    # -- reads -------------------------------------------------------------------------------------
    @staticmethod
    def _list(values):
        return 200, {"value": values}, {}

    def _vault(self, match, query, body):
        return 200, {"id": V, "name": VAULT, "location": "westeurope", "properties": {}}, {}

    def _fabric_list(self, match, query, body):
        return self._list([{"id": asr_id(f), "name": f.rsplit("/", 1)[-1], "properties": {
            "friendlyName": f.rsplit("/", 1)[-1], "customDetails": {"instanceType": "InMageRcm"}}} for f in self.fabrics])

    def _item_list(self, match, query, body):
        return self._list(self.items)

    def _plan_list(self, match, query, body):
        return self._list([self._render(p) for p in self.plans.values()])

    def _plan_get(self, match, query, body):
        plan = self.plans.get(match.group("plan").lower())
        if plan is None:
            return 404, {"error": {"code": "NotFound", "message": "no plan"}}, {}
        return 200, self._render(plan), {}

    def _render(self, plan):
        out = copy.deepcopy(plan)
        props = out["properties"]
        props["allowedOperations"] = ["PlannedFailover", "UnplannedFailover", "TestFailover"]
        props["replicationProviders"] = ["InMageRcm"] if any(g["replicationProtectedItems"] for g in props["groups"]) else []
        return out

    def _tick(self):
        for name in list(self.running):
            self.running[name][0] -= 1
            if self.running[name][0] <= 0:
                self.jobs[name]["properties"]["state"] = "Succeeded"
                callback = self.running.pop(name)[1]
                if callback:
                    callback()

    def _job_list(self, match, query, body):
        self._tick()
        jobs = list(self.jobs.values())
        if "InProgress" in (query.get("$filter") or ""):
            jobs = [j for j in jobs if j["properties"]["state"] == "InProgress"]
        return self._list(jobs)

    def _job_get(self, match, query, body):
        self._tick()
        job = self.jobs.get(match.group("job"))
        return (200, job, {}) if job else (404, {"error": {"code": "NotFound", "message": "job"}}, {})

    # -- writes ------------------------------------------------------------------------------------
    def _job(self, scenario, target, state=None):
        self.clock += 1
        name = str(uuid.uuid4())
        state = state or self.job_state
        self.jobs[name] = {"id": asr_id(V) + "/replicationJobs/" + name, "name": name, "properties": {
            "scenarioName": scenario, "friendlyName": scenario, "state": state,
            "startTime": "2026-01-01T00:00:%02dZ" % (self.clock % 60), "targetObjectName": target,
            "targetInstanceType": "RecoveryPlan",
            "errors": [] if state != "Failed" else [
                {"serviceErrorDetails": {"code": "990023", "message": "The protected item does not belong to the primary fabric."}}]}}
        return name

    @staticmethod
    def _accepted(name, job):
        return 202, None, {"Location": "https://management.azure.com%s/%s/operationresults/%s?api-version=x" % (PLANS, name, job),
                           "Retry-After": "0"}

    @staticmethod
    def _normalized(groups):
        """ASR's answer: Shutdown, Failover, then Boot groups; /Subscriptions/ ids; re-spelled timeouts."""
        out = {"Shutdown": [], "Failover": [], "Boot": []}
        for group in groups:
            g = {"groupType": group["groupType"],
                 "replicationProtectedItems": [{"id": asr_id(r["id"]), "virtualMachineId": r.get("virtualMachineId")}
                                               for r in group.get("replicationProtectedItems") or []],
                 "startGroupActions": copy.deepcopy(group.get("startGroupActions") or []),
                 "endGroupActions": copy.deepcopy(group.get("endGroupActions") or [])}
            for action in g["startGroupActions"] + g["endGroupActions"]:
                details = action["customDetails"]
                if details.get("timeout"):
                    details["timeout"] = _respell(details["timeout"])
            out[g["groupType"]].append(g)
        for kind in ("Shutdown", "Failover"):
            if not out[kind]:
                out[kind].append({"groupType": kind, "replicationProtectedItems": [], "startGroupActions": [],
                                  "endGroupActions": []})
        return out["Shutdown"] + out["Failover"] + out["Boot"]

    def _store(self, name, props, write_state):
        def store():
            self.plans[name.lower()] = {"id": asr_id(PLANS + "/" + name), "name": name, "type": "x",
                                        "properties": props}
        if write_state == "InProgress":
            return store
        store()
        return None

    def _write(self, name, scenario, props):
        state = "InProgress" if self.write_polls else self.job_state
        job = self._job(scenario, name, state)
        callback = self._store(name, props, state) if self.job_state != "Failed" else None
        if state == "InProgress":
            self.running[job] = [self.write_polls, callback]
        return self._accepted(name, job)

    write_polls = 0   # > 0: writes start InProgress and end after that many job polls

    def _plan_put(self, match, query, body):
        name = match.group("plan")
        inp = body["properties"]
        props = {"friendlyName": name, "primaryFabricId": asr_id(inp["primaryFabricId"]),
                 "primaryFabricFriendlyName": inp["primaryFabricId"].rsplit("/", 1)[-1],
                 "recoveryFabricId": inp["recoveryFabricId"], "recoveryFabricFriendlyName": inp["recoveryFabricId"],
                 "failoverDeploymentModel": inp.get("failoverDeploymentModel"), "currentScenario": dict(IDLE),
                 "groups": self._normalized(inp["groups"])}
        # [recorded: TestV2ARCMRecoveryPlan#14-15] a create and an update are both SaveRecoveryPlan jobs
        return self._write(name, "SaveRecoveryPlan", props)

    def _plan_patch(self, match, query, body):
        plan = self.plans[match.group("plan").lower()]
        props = dict(copy.deepcopy(plan["properties"]), groups=self._normalized(body["properties"]["groups"]))
        return self._write(plan["name"], "SaveRecoveryPlan", props)

    def _plan_delete(self, match, query, body):
        name = match.group("plan")
        job = self._job("DeleteRecoveryPlan", name)
        self.plans.pop(name.lower(), None)
        return self._accepted(name, job)

    # -- test helpers ----------------------------------------------------------------------------------
    def seed(self, name, boot_groups, shutdown_actions=(), reverse=False):
        """A plan as ASR would answer it; `boot_groups` lists VM names; `reverse` stores the groups in another
        order than ASR's (Boot groups first), to prove the module finds groups by type."""
        groups = [{"groupType": "Shutdown", "replicationProtectedItems": [], "startGroupActions": list(shutdown_actions),
                   "endGroupActions": []},
                  {"groupType": "Failover", "replicationProtectedItems": [], "startGroupActions": [], "endGroupActions": []}]
        for vms in boot_groups:
            refs = []
            for vm in vms:
                item = next(i for i in self.items if i["properties"]["friendlyName"] == vm)
                refs.append({"id": item["id"], "virtualMachineId": item["properties"]["providerSpecificDetails"][
                    "internalIdentifier"]})
            groups.append({"groupType": "Boot", "replicationProtectedItems": refs, "startGroupActions": [],
                           "endGroupActions": []})
        if reverse:
            groups = groups[2:] + groups[:2]
        self.plans[name.lower()] = {"id": asr_id(PLANS + "/" + name), "name": name, "properties": {
            "friendlyName": name, "primaryFabricId": asr_id(FABRIC), "primaryFabricFriendlyName": "fab1",
            "recoveryFabricId": "Microsoft Azure", "recoveryFabricFriendlyName": "Microsoft Azure",
            "failoverDeploymentModel": "ResourceManager", "currentScenario": dict(IDLE), "groups": groups}}

    def busy(self, name, scenario="TestFailover", status="Suspended"):
        """The plan runs a job of its own (a drill waiting at a manual action by default)."""
        job = self._job(scenario, name, status)
        props = self.plans[name.lower()]["properties"]
        props["currentScenario"] = {"scenarioName": scenario, "jobId": asr_id(V) + "/replicationJobs/" + job,
                                    "startTime": "2026-01-01T00:00:00Z"}
        props["currentScenarioStatus"] = status
        return job
