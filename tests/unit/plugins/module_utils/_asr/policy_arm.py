# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""An in-memory ASR vault at the network edge for the policy, appliance, discovery and job modules: the
real SDK clients send their requests through azure-core's RequestsTransport into `PolicyArm.request` (a
requests.Session stand-in), which answers like ASR (lists with nextLink, 202 + job headers, jobs) and
records every request. Job names are the recorded ones (AddProtectionProfile, ModifyProtectionProfile, and
AssociateProtectionProfile, whose target is the POLICY [recorded: TestV2ARCMContainerMapping]).

    arm = PolicyArm()
    clients = arm.clients()          # AzureClients whose SDK clients talk to `arm`
    arm.writes()                     # [(method, path, body)] of the PUT/PATCH/DELETE/POST requests
"""

from __future__ import annotations

import json
import re
import types
import uuid
from urllib.parse import parse_qs, urlparse

import requests
from azure.core.credentials import AccessToken
from azure.core.pipeline.transport import RequestsTransport

from ansible_collections.dr.asr.plugins.module_utils._azure.client import AzureClients

SUB = "00000000-0000-4000-8000-000000000002"
RG = "rg-dr"
VAULT = "rsv-pol"
GROUP = "/subscriptions/%s/resourceGroups/%s" % (SUB, RG)
V = GROUP + "/providers/Microsoft.RecoveryServices/vaults/" + VAULT
FABRIC = V + "/replicationFabrics/fab1"
CONTAINER = FABRIC + "/replicationProtectionContainers/cont1"
SITE = GROUP + "/providers/Microsoft.OffAzure/VMwareSites/site1"
AZURE = "Microsoft Azure"


def asr_id(value):
    return "/Subscriptions/" + value[len("/subscriptions/"):] if value.lower().startswith("/subscriptions/") else value


class FakeCredential(object):
    def get_token(self, *scopes, **kwargs):
        return AccessToken("fake", 4102444800)


class PolicyArm(object):
    """One vault (optionally without its appliance) with policies, mappings, jobs, machines."""

    def __init__(self, appliance=True, vault_exists=True, page_size=100):
        self.vault_exists = vault_exists
        self.appliance = appliance
        self.page_size = page_size
        self.policies = {}
        self.mappings = {}
        self.jobs = {}
        self.machines = []
        self.items = []
        self.agents = []
        self.calls = []
        self.clock = 0
        self.job_state = "Succeeded"     # state of the jobs writes start
        self.running = {}                # job name -> [GETs left before it succeeds, callback]

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
                if not self.vault_exists and parsed.path.lower().startswith(V.lower()):
                    return self._response(404, {"error": {"code": "ResourceNotFound", "message": "no vault"}}, {}, url)
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
        mapping = CONTAINER + r"/replicationProtectionContainerMappings/(?P<m>[^/]+)"
        return [
            ("GET", V, self._vault),
            ("GET", GROUP + "/providers/Microsoft.RecoveryServices/vaults", self._vaults),
            ("GET", V + "/replicationFabrics", self._fabrics),
            ("GET", V + "/replicationProtectionContainers", self._containers),
            ("GET", V + "/replicationAppliances", self._appliances),
            ("GET", V + "/replicationvCenters", lambda m, q, b: self._page([], q)),
            ("GET", V + "/replicationPolicies", lambda m, q, b: self._page(list(self.policies.values()), q)),
            ("PUT", V + r"/replicationPolicies/(?P<p>[^/]+)", self._put_policy),
            ("PATCH", V + r"/replicationPolicies/(?P<p>[^/]+)", self._patch_policy),
            ("DELETE", V + r"/replicationPolicies/(?P<p>[^/]+)", self._delete_policy),
            ("GET", V + "/replicationProtectionContainerMappings",
             lambda m, q, b: self._page(list(self.mappings.values()), q)),
            ("PUT", mapping, self._put_mapping),
            ("POST", mapping + "/remove", self._remove_mapping),
            ("GET", V + "/replicationProtectedItems", lambda m, q, b: self._page(self.items, q)),
            ("GET", V + "/replicationRecoveryPlans", lambda m, q, b: self._page([], q)),
            ("GET", V + "/replicationJobs", self._job_list),
            ("GET", V + r"/replicationJobs/(?P<job>[^/]+)", self._job_get),
            ("GET", SITE + "/machines", lambda m, q, b: self._page(self.machines, q, SITE + "/machines")),
            ("GET", SITE + "/runasaccounts", self._run_as),
        ]

    # -- reads -------------------------------------------------------------------------------------
    def _page(self, values, query, base=""):
        start = int(query.get("$skiptoken") or 0)
        out = {"value": values[start:start + self.page_size]}
        if start + self.page_size < len(values):
            out["nextLink"] = "https://management.azure.com%s?api-version=x&$skiptoken=%d" % (base, start + self.page_size)
        return 200, out, {}

    def _vault(self, match, query, body):
        return 200, {"id": V, "name": VAULT, "location": "westeurope", "properties": {}}, {}

    def _vaults(self, match, query, body):
        return self._page([{"id": V, "name": VAULT, "location": "westeurope"}] if self.vault_exists else [], query)

    def _fabrics(self, match, query, body):
        if not self.appliance:
            return self._page([], query)
        return self._page([{"id": asr_id(FABRIC), "name": "fab1", "properties": {"customDetails": {
            "instanceType": "InMageRcm", "vmwareSiteId": SITE, "agentDetails": self.agents}}}], query)

    def _containers(self, match, query, body):
        if not self.appliance:
            return self._page([], query)
        return self._page([{"id": asr_id(CONTAINER), "name": "cont1", "properties": {
            "fabricType": "InMageRcm", "fabricSpecificDetails": {"instanceType": "InMageRcm"}}}], query)

    def _appliances(self, match, query, body):
        if not self.appliance:
            return self._page([], query)
        component = {"id": "ps1", "name": "appliance-01", "version": "9.66", "health": "Normal",
                     "lastHeartbeatUtc": "2026-01-01T00:00:00Z", "healthErrors": []}
        return self._page([{"properties": {"providerSpecificDetails": {"instanceType": "InMageRcm", "appliances": [{
            "id": "ps1", "name": "appliance-01", "fabricArmId": asr_id(FABRIC), "processServer": component,
            "rcmProxy": dict(component, id="rp1"), "pushInstaller": dict(component, id="pi1"),
            "replicationAgent": dict(component, id="ra1"),
            "reprotectAgent": dict(component, id="rea1", health="Warning", accessibleDatastores=["ds1"]),
            "marsAgent": dict(component, id="ma1"), "dra": dict(component, id="dra1")}]}}}], query)

    def _run_as(self, match, query, body):
        return self._page([
            {"id": SITE + "/runasaccounts/r1", "name": "r1", "properties": {
                "displayName": "linux-root", "credentialType": "LinuxServer", "applianceName": "appliance-01"}},
            {"id": SITE + "/runasaccounts/r2", "name": "r2", "properties": {
                "displayName": "vcenter", "credentialType": "VMwareFabric", "applianceName": "appliance-01"}}], query)

    def _job_list(self, match, query, body):
        jobs = list(self.jobs.values())
        wanted = re.search(r"JobStatus eq '([^']+)'", query.get("$filter") or "")
        if wanted:
            jobs = [j for j in jobs if j["properties"]["state"] == wanted.group(1)]
        return self._page(jobs, query, V + "/replicationJobs")

    def _job_get(self, match, query, body):
        name = match.group("job")
        job = self.jobs.get(name)
        if name in self.running:
            self.running[name][0] -= 1
            if self.running[name][0] <= 0:
                callback = self.running.pop(name)[1]
                job["properties"]["state"] = "Succeeded"
                if callback:
                    callback()
        return (200, job, {}) if job else (404, {"error": {"code": "NotFound", "message": "no job"}}, {})

    # -- writes ------------------------------------------------------------------------------------
    def job(self, scenario, target, target_type, state=None):
        self.clock += 1
        name = str(uuid.uuid4())
        self.jobs[name] = {"id": asr_id(V) + "/replicationJobs/" + name, "name": name, "properties": {
            "scenarioName": scenario, "friendlyName": scenario, "state": state or self.job_state,
            "startTime": "2026-01-01T00:%02d:00Z" % self.clock, "targetObjectName": target,
            "targetObjectId": str(uuid.uuid5(uuid.NAMESPACE_URL, target)), "targetInstanceType": target_type,
            "tasks": [], "errors": [] if (state or self.job_state) != "Failed" else [
                {"serviceErrorDetails": {"code": "150261", "message": "Replication policy creation failed."}}]}}
        return name

    @staticmethod
    def _accepted(path, job):
        return 202, None, {"Location": "https://management.azure.com%s/operationresults/%s?api-version=x" % (path, job),
                           "Retry-After": "0"}

    def _put_policy(self, match, query, body):
        name = match.group("p")
        inp = body["properties"]["providerSpecificInput"]
        self.policies[name.lower()] = {"id": asr_id(V) + "/replicationPolicies/" + name, "name": name,
                                       "properties": {"friendlyName": name, "providerSpecificDetails": dict(inp)}}
        return self._accepted(V + "/replicationPolicies/" + name, self.job("AddProtectionProfile", name, "ProtectionProfile"))

    def _patch_policy(self, match, query, body):
        name = match.group("p")
        inp = body["properties"]["replicationProviderSettings"]
        self.policies[name.lower()]["properties"]["providerSpecificDetails"] = dict(inp)
        return self._accepted(V + "/replicationPolicies/" + name, self.job("ModifyProtectionProfile", name, "ProtectionProfile"))

    def _delete_policy(self, match, query, body):
        name = match.group("p")
        policy = self.policies[name.lower()]
        if any(m["properties"]["policyId"] == policy["id"] for m in self.mappings.values()):
            return 400, {"error": {"code": "BadRequest", "message": "in use", "details": [
                {"code": "990008", "message": "The policy is in use.", "possibleCauses": "A mapping uses it.",
                 "recommendedAction": "Remove the mapping."}]}}, {}
        del self.policies[name.lower()]
        return self._accepted(V + "/replicationPolicies/" + name, self.job("RemoveProtectionProfile", name, "ProtectionProfile"))

    def _put_mapping(self, match, query, body):
        name = match.group("m")
        props = body["properties"]
        path = CONTAINER + "/replicationProtectionContainerMappings/" + name
        self.mappings[name.lower()] = {"id": asr_id(path), "name": name, "properties": {
            "targetProtectionContainerId": props["targetProtectionContainerId"], "policyId": props["policyId"],
            "state": "Paired", "health": "Normal"}}
        # [recorded: TestV2ARCMContainerMapping#12] the association's job targets the policy (its name)
        policy = props["policyId"].rsplit("/", 1)[-1]
        return self._accepted(path, self.job("AssociateProtectionProfile", policy, "ProtectionProfile"))

    def _remove_mapping(self, match, query, body):
        name = match.group("m")
        mapping = self.mappings.pop(name.lower())
        policy = mapping["properties"]["policyId"].rsplit("/", 1)[-1]      # by analogy with the association [guessed]
        return self._accepted(CONTAINER + "/replicationProtectionContainerMappings/" + name,
                              self.job("DissociateProtectionProfile", policy, "ProtectionProfile"))

    # -- test helpers --------------------------------------------------------------------------------
    def running_job(self, scenario, target, target_type, gets=2, then=None):
        """A job InProgress that succeeds after `gets` GETs of it, then calls `then`."""
        name = self.job(scenario, target, target_type, state="InProgress")
        self.running[name] = [gets, then]
        return name

    def add_policy(self, name, details):
        self.policies[name.lower()] = {"id": asr_id(V) + "/replicationPolicies/" + name, "name": name,
                                       "properties": {"friendlyName": name, "providerSpecificDetails": details}}
        return self.policies[name.lower()]

    def add_mapping(self, name, policy_name):
        """An association made elsewhere: a forward policy's targets "Microsoft Azure", a failback policy's the
        container itself [recorded: a real vault's failback mappings]."""
        path = CONTAINER + "/replicationProtectionContainerMappings/" + name
        policy = self.policies[policy_name.lower()]
        failback = policy["properties"]["providerSpecificDetails"].get("instanceType") == "InMageRcmFailback"
        self.mappings[name.lower()] = {"id": asr_id(path), "name": name, "properties": {
            "targetProtectionContainerId": asr_id(CONTAINER) if failback else AZURE, "policyId": policy["id"],
            "state": "Paired", "health": "Normal"}}
