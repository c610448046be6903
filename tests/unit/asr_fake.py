# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""THE in-memory ASR of the unit tests, at the network edge: the real SDK clients send their requests through
azure-core's RequestsTransport into `FakeAsr.request` (a requests.Session stand-in). One vault with one appliance
(fabric fab1, container cont1, site site1; `far` VMs in a second fabric fab2/cont2), one resource store, one job
engine, one request log.

ASR's words (item states and their allowedOperations, job scenarios and friendly names, the item's scenario name
while a job runs, task names, default association targets) come from the lab's table,
drlab.azure.providers.siterecovery.vocabulary; this module only stores and routes. It answers as recorded ASR does
[tests/recorded/asr_modernized.json]:

* a LIST of protected items carries protectedDisks, vmNics and agentUpgradeBlockingErrorDetails EMPTY; a GET of
  the item fills them (so a test proves the collection GETs what it compares); a job GET carries its tasks (the
  vocabulary's names), a job list does not [guessed: no recording shows a job list; the sparse case is the one the
  collection must survive, so a test proves a stopped job is read whole];
* while a job runs on an item its currentScenario names the job (by the item's scenario name: EnableProtection
  for EnableDr) and nothing is allowed; once the job succeeded its effects apply and the item shows no scenario;
  a FAILED job stays the item's currentScenario (a failed enable: EnablingFailed, DisableProtection allowed);
  allowedOperations always follow the item's state (vocabulary.operations);
* writes answer 202 with Location {target}/operationresults/{job} and Azure-AsyncOperation
  {vault}/replicationOperationStatus/{job} (Retry-After 0 here, 30 recorded); a create or update is a
  SaveRecoveryPlan / AddProtectionProfile / ... job whose effects land when the job succeeded;
* recovery plans: GET and list both answer, groups normalized to Shutdown, Failover, then Boot groups, members
  named by the item's internalIdentifier, ids in `/Subscriptions/` casing, timeouts re-spelled (PT15M ->
  PT0H15M0S); policies: an association's job targets the POLICY; a failback policy's association targets the
  container itself.

Jobs never follow the wall clock: a job ends when the test says so. New jobs end at once in `job_state`
("Succeeded", "Failed"), or after `job_looks` looks at the jobs (a job list looks at every running job, a GET of
a job or of its operation status at that job); job_state "InProgress" leaves them running until `end_after`.

    fake = FakeAsr(vms=["web-01"], policies=["pol-24h"])   # discovered VMs, forward policies with their mapping
    fake.patch(monkeypatch)          # every module run gets fresh AzureClients talking to `fake`
    fake.count("GET", "item_get")    # requests by method and kind (a route's name); fake.calls: [Call]
    fake.writes(), fake.reads("/replicationJobs"), fake.kinds()
    fake.lose_answers.add("action")  # faults by kind: the request runs, its answer is lost (ServiceResponseError);
    fake.fail_answers["action"] = [503]    # the request runs, then a gateway error answers it;
    fake.fail_requests["action"] = [503]   # a gateway error answers it and nothing runs
"""

from __future__ import annotations

import collections
import copy
import datetime
import json
import re
import threading
import types
import uuid
from urllib.parse import parse_qs, urlparse

import requests
from azure.core.credentials import AccessToken
from azure.core.exceptions import ServiceResponseError
from azure.core.pipeline.transport import RequestsTransport
from drlab.azure.providers.siterecovery import vocabulary as words

from ansible_collections.dr.asr.plugins.module_utils._azure.client import AzureClients
from ansible_collections.dr.asr.plugins.module_utils._module import DrAsrModule

SUB = "00000000-0000-4000-8000-000000000001"
RG = "rg-dr"
VAULT = "rsv-dr"
GROUP = "/subscriptions/%s/resourceGroups/%s" % (SUB, RG)
V = GROUP + "/providers/Microsoft.RecoveryServices/vaults/" + VAULT
FABRIC = V + "/replicationFabrics/fab1"
CONTAINER = FABRIC + "/replicationProtectionContainers/cont1"
FAR_FABRIC = V + "/replicationFabrics/fab2"
FAR_CONTAINER = FAR_FABRIC + "/replicationProtectionContainers/cont2"
SITE = GROUP + "/providers/Microsoft.OffAzure/VMwareSites/site1"
PLANS = V + "/replicationRecoveryPlans"
PROCESS_SERVER = "ps-0001"
AZURE = words.WORDS["azure_container"].value
TEST_NETWORK = GROUP + "/providers/Microsoft.Network/virtualNetworks/vnet-dr-test"
VNETS = {"vnet-dr-recovery": {"default": "10.10.0.0/24", "app": "10.10.1.0/24"},
         "vnet-dr-test": {"default": "10.20.0.0/24", "app": "10.20.1.0/24"}}
SIZES = ("Standard_D2s_v5", "Standard_D4s_v5", "Standard_B1s")
#: an item's currentScenario when no job runs on it [recorded]
IDLE = {"scenarioName": "None", "jobId": V + "/replicationJobs/None", "startTime": "1753-01-01T01:01:01Z"}
#: what a recovery plan allows when no job runs on it [spec: the List example]
PLAN_OPERATIONS = ["PlannedFailover", "UnplannedFailover", "TestFailover"]
FINAL_STATES = ("Succeeded", "Failed", "Cancelled", "Canceled", "Skipped", "Other")
RUNNING_STATES = ("NotStarted", "InProgress", "Suspended")
#: the error a failed job of a scenario shows (the fake's; a scenario not listed shows the last one)
FAILURES = {
    words.job("enable").scenario: ("95117", "Push installation failed."),
    words.job("policy_create").scenario: ("150261", "Replication policy creation failed."),
    words.job("plan_save").scenario: ("990023", "The protected item does not belong to the primary fabric."),
    None: ("150000", "The job failed."),
}
#: the item actions the fake runs: what the item shows once the job succeeded [recorded, but the test failover's
#: WaitingForCompletion: the REST spec's example]; while the job runs the item names it and allows nothing
ITEM_ACTIONS = {
    "testfailover": ("test_failover", {"testFailoverState": "WaitingForCompletion"}),
    # a cleanup leaves MarkedForDeletion, with a second drill allowed [recorded]
    "testfailovercleanup": ("test_failover_cleanup", {"testFailoverState": "MarkedForDeletion"}),
    "unplannedfailover": ("unplanned_failover", {"activeLocation": words.RECOVERY,
                                                 "protectionState": "UnplannedFailoverCommitPendingStatesBegin"}),
}
JOB_ACTIONS = {"cancel": "Cancelled", "resume": "InProgress", "restart": "InProgress"}
EPOCH = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)

#: one request: method, kind (the name of the route that answered it, "unknown" for none), path, query, body
Call = collections.namedtuple("Call", "method kind path query body")


def asr_id(value):
    """An id as ASR writes it: `/Subscriptions/...`."""
    return "/Subscriptions/" + value[len("/subscriptions/"):] if value.lower().startswith("/subscriptions/") else value


def item_name(vm):
    return "item-" + vm


def internal_id(vm):
    """The item's providerSpecificDetails.internalIdentifier: what a plan names its members by [recorded]."""
    return "00000000-0000-5000-8000-%012x" % (sum(ord(c) * 31 ** i for i, c in enumerate(vm)) % 16 ** 12)


def iso(minutes):
    """The fake's clock: minute `minutes` of 2026-01-01, as ASR writes times (7 fractional digits, Z)."""
    return (EPOCH + datetime.timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%S.0000000Z")


def _parse_time(text):
    match = re.match(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)", text or "")
    return datetime.datetime.strptime(match.group(1), "%Y-%m-%dT%H:%M:%S") if match else None


def _respell(timeout):
    """ASR's spelling of a duration, to prove the collection compares durations, not strings."""
    match = re.match(r"^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$", timeout or "")
    if not match:
        return timeout
    hours, minutes, seconds = (int(x or 0) for x in match.groups())
    return "PT%dH%dM%dS" % (hours, minutes, seconds)


def _job_entry(scenario):
    """The vocabulary's Job of a scenario name (EnableDr, TestFailover, ...)."""
    found = [j for j in words.JOBS.values() if j.scenario.lower() == scenario.lower()]
    if not found:
        raise KeyError("no job scenario %s in the lab's vocabulary" % scenario)
    return found[0]


class FakeCredential(object):
    def get_token(self, *scopes, **kwargs):
        return AccessToken("fake", 4102444800)


def machine(name, index, nics=1, disks=1, firmware="bios"):
    """A Microsoft.OffAzure machine of site1 as the appliance discovered it."""
    instance = "5010c3d4-0000-4000-8000-%012d" % index
    return {"id": "%s/machines/vc1_%s" % (SITE, instance), "name": "vc1_%s" % instance, "properties": {
        "displayName": name, "instanceUuid": instance, "biosGuid": "4210a1b2-0000-4000-8000-%012d" % index,
        "powerStatus": "ON", "firmware": firmware, "vCenterFQDN": "vc1.lab.local", "isDeleted": False,
        "operatingSystemDetails": {"osType": "linuxguest", "osName": "RHEL 8"},
        "disks": [{"uuid": "6000c290-0000-4000-8000-%08d%04d" % (index, d), "label": "Hard disk %d" % (d + 1),
                   "name": "scsi0:%d" % d, "maxSizeInBytes": 40 * 1024 ** 3} for d in range(disks)],
        "networkAdapters": [{"macAddress": "00:50:56:90:%02x:%02x" % (index % 256, n),
                             "label": "Network adapter %d" % (n + 1), "networkName": "Prod",
                             "ipAddressList": ["192.168.1.%d" % (index % 250)]} for n in range(nics)]}}


class FakeAsr(object):
    """One vault. `vms`: discovered VMs (app-* have two NICs, db-* two disks); `protected`: discovered VMs with a
    Protected item (item-<vm>); `far`: VMs protected in a second fabric; `agents`: VMs whose Mobility agent is
    registered; `policies`: forward (InMageRcm) policies, each with its association to cont1."""

    def __init__(self, vms=(), protected=(), far=(), agents=(), policies=(), appliance=True, vault_exists=True,
                 page_size=1000, job_state="Succeeded", job_looks=0):
        self.appliance = appliance
        self.vault_exists = vault_exists
        self.page_size = page_size
        self.job_state = job_state      # how new jobs end: Succeeded, Failed; InProgress: they run on (end_after)
        self.job_looks = job_looks      # > 0: new jobs run until that many looks at them
        self.machines = [machine(name, i + 1, nics=2 if name.startswith("app") else 1,
                                 disks=2 if name.startswith("db") else 1)
                         for i, name in enumerate(list(vms) + list(protected))]
        self.agents = [{"biosId": m["properties"]["biosGuid"]} for m in self.machines
                       if m["properties"]["displayName"] in agents]
        self.items = {}                 # item name (lower) -> item as a GET answers it, without allowedOperations
        self.policies = {}              # name (lower) -> policy
        self.mappings = {}              # name (lower) -> container mapping
        self.plans = {}                 # name (lower) -> recovery plan, as stored (rendered on reads)
        self.item_filters = []          # the $filter of every item list (None: the whole vault)
        self.jobs = {}                  # job name -> job, without tasks (rendered on GETs)
        self.calls = []
        self.bodies = []                # the action POSTs: (action, target name, body)
        self.lose_answers = set()       # kinds whose answer is lost after the request ran (ServiceResponseError)
        self.fail_answers = {}          # kind -> [status, ...]: the next requests of that kind run, then answer these
        self.fail_requests = {}         # kind -> [status, ...]: the next requests of that kind answer these, not run
        self.far = bool(far)
        self.clock = 0
        self._running = {}              # job name -> [looks left, the state it ends in]
        self._hooks = {}                # job name -> (on success, on failure)
        self._lock = threading.RLock()
        for vm in protected:
            self.add_item(vm)
        for vm in far:
            self.add_item(vm, container=FAR_CONTAINER)
        for name in policies:
            self.add_policy(name, {"instanceType": words.RCM})
            self.add_mapping(name + "-association", name)

    # -- the client side -------------------------------------------------------------------------
    def clients(self):
        fake = self

        class Clients(AzureClients):
            def _transport_kwargs(self):
                return {"transport": RequestsTransport(session=fake, session_owner=False)}

        return Clients({"subscription_id": SUB, "client_id": "c", "secret": "s", "tenant": "t"},
                       wait_sleep=0, credential=FakeCredential())

    def patch(self, monkeypatch):
        """Modules' Azure clients talk to this fake (fresh clients per module run, as in real use; the module's
        write journal records what they write)."""
        monkeypatch.setattr(DrAsrModule, "new_azure_clients", lambda module: self.clients())
        return self

    # -- the request log ----------------------------------------------------------------------------
    def count(self, method=None, kind=None):
        return len([c for c in self.calls
                    if (method is None or c.method == method) and (kind is None or c.kind == kind)])

    def kinds(self):
        """[(method, kind)] of every request, in order."""
        return [(c.method, c.kind) for c in self.calls]

    def reads(self, fragment=""):
        """[(path, query)] of the GETs whose path contains `fragment`."""
        return [(c.path, c.query) for c in self.calls if c.method == "GET" and fragment in c.path]

    def writes(self):
        """[(method, path, body)] of every other request."""
        return [(c.method, c.path, c.body) for c in self.calls if c.method != "GET"]

    # -- requests.Session stand-in ---------------------------------------------------------------
    def request(self, method, url, data=None, **kwargs):  # pylint: disable=unused-argument
        parsed = urlparse(url)
        query = dict((k, v[0]) for k, v in parse_qs(parsed.query).items())
        body = json.loads(data) if data else None
        with self._lock:
            for verb, pattern, handler in self.routes():
                match = re.match(pattern + r"$", parsed.path, re.I)
                if verb == method and match:
                    kind = handler.__name__.lstrip("_")
                    self.calls.append(Call(method, kind, parsed.path, query, body))
                    if not self.vault_exists and parsed.path.lower().startswith(V.lower()):
                        return self._response(404, {"error": {"code": "ResourceNotFound", "message": "no vault"}},
                                              {}, url)
                    if self.fail_requests.get(kind):    # a gateway error before anything ran
                        return self._response(self.fail_requests[kind].pop(0), {"error": {
                            "code": "ServiceUnavailable", "message": "The service is temporarily unavailable."}}, {},
                            url)
                    status, payload, headers = handler(match, query, body)
                    if kind in self.lose_answers:
                        raise ServiceResponseError("Connection aborted: the remote end closed the connection "
                                                   "without response")
                    if self.fail_answers.get(kind):     # a gateway error after the work was done
                        status = self.fail_answers[kind].pop(0)
                        return self._response(status, {"error": {"code": "ServiceUnavailable", "message": "The "
                                                                 "service is temporarily unavailable."}}, {}, url)
                    return self._response(status, payload, headers, url)
            self.calls.append(Call(method, "unknown", parsed.path, query, body))
            return self._response(404, {"error": {"code": "NotFound", "message": "%s %s" % (method, parsed.path)}},
                                  {}, url)

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
        container = V + r"/replicationFabrics/[^/]+/replicationProtectionContainers/[^/]+"
        item = container + r"/replicationProtectedItems/(?P<item>[^/]+)"
        mapping = container + r"/replicationProtectionContainerMappings/(?P<mapping>[^/]+)"
        plan = PLANS + r"/(?P<plan>[^/]+)"
        job = V + r"/replicationJobs/(?P<job>[^/]+)"
        return [
            ("GET", GROUP + "/providers/Microsoft.RecoveryServices/vaults", self._vaults),
            ("GET", V, self._vault),
            ("GET", V + "/replicationFabrics", self._fabrics),
            ("GET", V + "/replicationProtectionContainers", self._containers),
            ("GET", V + "/replicationAppliances", self._appliances),
            ("GET", V + "/replicationvCenters", self._vcenters),
            ("GET", V + "/replicationPolicies", self._policies),
            ("PUT", V + r"/replicationPolicies/(?P<policy>[^/]+)", self._policy_put),
            ("PATCH", V + r"/replicationPolicies/(?P<policy>[^/]+)", self._policy_patch),
            ("DELETE", V + r"/replicationPolicies/(?P<policy>[^/]+)", self._policy_delete),
            ("GET", V + "/replicationProtectionContainerMappings", self._mappings),
            ("PUT", mapping, self._mapping_put),
            ("POST", mapping + "/remove", self._mapping_remove),
            ("GET", V + "/replicationProtectedItems", self._item_list),
            ("GET", item, self._item_get),
            ("PUT", item, self._enable),
            ("PATCH", item, self._update),
            ("POST", item + "/remove", self._disable),
            ("POST", item + r"/(?P<action>testFailover|testFailoverCleanup|unplannedFailover)", self._action),
            ("POST", item + r"/(?P<action>addDisks|repairReplication|resolveHealthErrors)", self._day2_action),
            ("GET", item + "/recoveryPoints", self._points),
            ("GET", PLANS, self._plan_list),
            ("GET", plan, self._plan_get),
            ("POST", plan + r"/(?P<action>testFailover|testFailoverCleanup|unplannedFailover)", self._plan_action),
            ("PUT", plan, self._plan_put),
            ("PATCH", plan, self._plan_patch),
            ("DELETE", plan, self._plan_delete),
            ("GET", V + "/replicationJobs", self._job_list),
            ("GET", job, self._job_get),
            ("POST", job + r"/(?P<action>cancel|resume|restart)", self._job_action),
            ("GET", V + r"/replicationOperationStatus/(?P<job>[^/]+)", self._operation_status),
            ("GET", SITE + "/machines", self._machines),
            ("GET", SITE + "/runasaccounts", self._run_as),
            ("GET", r"/subscriptions/[^/]+/providers/Microsoft\.Compute/skus", self._skus),
            ("GET", r"/subscriptions/[^/]+/resourcegroups/(?P<rg>[^/]+)", self._group),
            ("GET", GROUP + r"/providers/Microsoft\.Network/virtualNetworks", self._vnet_list),
            ("GET", GROUP + r"/providers/Microsoft\.Network/virtualNetworks/(?P<vnet>[^/]+)", self._vnet),
            ("GET", GROUP + r"/providers/Microsoft\.Storage/storageAccounts/(?P<sa>[^/]+)", self._storage),
        ]

    # -- answers ------------------------------------------------------------------------------------
    def _page(self, values, query, path):
        start = int(query.get("$skiptoken") or 0)
        out = {"value": values[start:start + self.page_size]}
        if start + self.page_size < len(values):
            out["nextLink"] = "https://management.azure.com%s?api-version=x&$skiptoken=%d" % (path,
                                                                                              start + self.page_size)
        return 200, out, {}

    @staticmethod
    def _not_found(what, code="NotFound"):
        return 404, {"error": {"code": code, "message": "%s not found" % what}}, {}

    def _accepted(self, path, job):
        """202 as ASR answers a write [recorded: TestV2ARCMEnableDR#19, TestV2ARCMPolicy#3]."""
        return 202, None, {
            "Location": "https://management.azure.com%s/operationresults/%s?api-version=x" % (asr_id(path), job),
            "Azure-AsyncOperation": "https://management.azure.com%s/replicationOperationStatus/%s?api-version=x"
                                    % (asr_id(V), job),
            "Retry-After": "0"}

    # -- the vault and its appliance ------------------------------------------------------------------
    def _vaults(self, match, query, body):
        values = [{"id": V, "name": VAULT, "location": "westeurope"}] if self.vault_exists else []
        return self._page(values, query, match.group(0))

    def _vault(self, match, query, body):
        return 200, {"id": V, "name": VAULT, "location": "westeurope", "properties": {}}, {}

    def _fabric_ids(self):
        if not self.appliance:
            return []
        return [(FABRIC, CONTAINER, SITE, PROCESS_SERVER)] + \
            ([(FAR_FABRIC, FAR_CONTAINER, SITE.replace("site1", "site2"), "ps-0002")] if self.far else [])

    def _fabrics(self, match, query, body):
        values = [{"id": asr_id(fabric), "name": fabric.rsplit("/", 1)[-1], "properties": {
            "friendlyName": fabric.rsplit("/", 1)[-1], "customDetails": {
                "instanceType": words.RCM, "vmwareSiteId": site,
                "processServers": [{"id": ps, "name": "appliance-%s" % ps[-2:]}],
                "agentDetails": self.agents if fabric == FABRIC else []}}}
            for fabric, _c, site, ps in self._fabric_ids()]
        return self._page(values, query, match.group(0))

    def _containers(self, match, query, body):
        values = [{"id": asr_id(cont), "name": cont.rsplit("/", 1)[-1], "properties": {
            "fabricType": words.RCM, "fabricSpecificDetails": {"instanceType": words.RCM}}}
            for _f, cont, _s, _p in self._fabric_ids()]
        return self._page(values, query, match.group(0))

    def _appliances(self, match, query, body):
        if not self.appliance:
            return self._page([], query, match.group(0))
        component = {"id": "ps1", "name": "appliance-01", "version": "9.66", "health": "Normal",
                     "lastHeartbeatUtc": "2026-01-01T00:00:00Z", "healthErrors": []}
        return self._page([{"properties": {"providerSpecificDetails": {"instanceType": words.RCM, "appliances": [{
            "id": "ps1", "name": "appliance-01", "fabricArmId": asr_id(FABRIC), "processServer": component,
            "rcmProxy": dict(component, id="rp1"), "pushInstaller": dict(component, id="pi1"),
            "replicationAgent": dict(component, id="ra1"),
            "reprotectAgent": dict(component, id="rea1", health="Warning", accessibleDatastores=["ds1"]),
            "marsAgent": dict(component, id="ma1"), "dra": dict(component, id="dra1")}]}}}], query, match.group(0))

    def _vcenters(self, match, query, body):
        return self._page([], query, match.group(0))

    def _machines(self, match, query, body):
        return self._page(self.machines, query, match.group(0))

    def _run_as(self, match, query, body):
        return self._page([
            {"id": SITE + "/runasaccounts/r1", "name": "r1", "properties": {
                "displayName": "linux-root", "credentialType": "LinuxServer", "applianceName": "appliance-01"}},
            {"id": SITE + "/runasaccounts/r2", "name": "r2", "properties": {
                "displayName": "vcenter", "credentialType": "VMwareFabric", "applianceName": "appliance-01"}}],
            query, match.group(0))

    # -- Azure around the vault ---------------------------------------------------------------------------
    def _skus(self, match, query, body):
        return 200, {"value": [{"resourceType": "virtualMachines", "name": n, "locations": ["westeurope"],
                                "restrictions": [], "capabilities": [
                                    {"name": "MaxNetworkInterfaces", "value": "2"},
                                    {"name": "MaxDataDiskCount", "value": "8"},
                                    {"name": "HyperVGenerations", "value": "V1,V2"},
                                    {"name": "PremiumIO", "value": "True"},
                                    {"name": "vCPUs", "value": "2"}, {"name": "MemoryGB", "value": "8"}]}
                               for n in SIZES]}, {}

    def _group(self, match, query, body):
        if match.group("rg").lower() != RG.lower():
            return self._not_found("resource group", "ResourceGroupNotFound")
        return 200, {"id": GROUP, "name": RG, "location": "westeurope"}, {}

    def _vnet_list(self, match, query, body):
        return 200, {"value": [self._vnet_body(name) for name in VNETS]}, {}

    def _vnet(self, match, query, body):
        name = next((n for n in VNETS if n.lower() == match.group("vnet").lower()), None)
        if name is None:
            return self._not_found("virtual network", "ResourceNotFound")
        return 200, self._vnet_body(name), {}

    @staticmethod
    def _vnet_body(name):
        rid = GROUP + "/providers/Microsoft.Network/virtualNetworks/" + name
        return {"id": rid, "name": name, "location": "westeurope", "properties": {"subnets": [
            {"id": rid + "/subnets/" + s, "name": s, "properties": {"addressPrefix": p}}
            for s, p in VNETS[name].items()]}}

    def _storage(self, match, query, body):
        rid = GROUP + "/providers/Microsoft.Storage/storageAccounts/" + match.group("sa")
        return 200, {"id": rid, "name": match.group("sa"), "location": "westeurope", "properties": {}}, {}

    # -- the job engine -----------------------------------------------------------------------------------
    def job(self, scenario, target, state=None, looks=None, then=None, on_failure=None, target_type=None):
        """Start a job of `scenario` (ASR's name: EnableDr, AddProtectionProfile...) on `target` (its name) and return
        its name. It ends in `state` (default job_state) at once, or after `looks` looks (default job_looks);
        state InProgress or Suspended: it runs until end_after(). `then` runs when it succeeded, `on_failure` when
        it failed."""
        name = self._new_job(scenario, target, then, on_failure, target_type)
        self._run(name, state, looks)
        return name

    def _new_job(self, scenario, target, then=None, on_failure=None, target_type=None):
        entry = _job_entry(scenario)
        self.clock += 1
        name = str(uuid.uuid4())
        self.jobs[name] = {"id": asr_id(V) + "/replicationJobs/" + name, "name": name, "properties": {
            "scenarioName": entry.scenario, "friendlyName": entry.friendly, "state": "InProgress",
            "startTime": iso(self.clock), "targetObjectId": str(uuid.uuid5(uuid.NAMESPACE_URL, target)),
            "targetObjectName": target, "targetInstanceType": target_type or entry.target_type, "errors": []}}
        self._hooks[name] = (then, on_failure)
        return name

    def _run(self, name, state=None, looks=None):
        state = state or self.job_state
        looks = self.job_looks if looks is None else looks
        if state in RUNNING_STATES:
            self.jobs[name]["properties"]["state"] = state
        elif looks:
            self._running[name] = [looks, state]
        else:
            self.finish(name, state)

    def end_after(self, name, looks, state="Succeeded"):
        """A running job ends in `state` at the `looks`-th look at it from now."""
        self.jobs[name]["properties"]["state"] = "InProgress"
        self._running[name] = [looks, state]

    def finish(self, name, state):
        """The job ends in `state`: its effects once it succeeded, its failure hook and ASR's error once it failed."""
        self._running.pop(name, None)
        props = self.jobs[name]["properties"]
        props["state"] = state
        if state == "Failed":
            code, message = FAILURES.get(props["scenarioName"], FAILURES[None])
            props["errors"] = [{"serviceErrorDetails": {"code": code, "message": message}}]
        then, on_failure = self._hooks.pop(name, (None, None))
        hook = then if state == "Succeeded" else on_failure if state == "Failed" else None
        if hook:
            hook()
        self._settle(name, state)

    def _look(self, names):
        """A look at the running jobs `names`: the ones at their last look end."""
        for name in [n for n in names if n in self._running]:
            self._running[name][0] -= 1
            if self._running[name][0] <= 0:
                self.finish(name, self._running[name][1])

    def _rendered_job(self, name):
        """A job as its GET answers it: with its tasks [the vocabulary's names], in states that follow the job's."""
        out = copy.deepcopy(self.jobs[name])
        props = out["properties"]
        tasks = _job_entry(props["scenarioName"]).tasks
        state = props["state"]
        if state == "Succeeded":
            states = ["Succeeded"] * len(tasks)
        elif state == "Failed":
            states = ["Succeeded"] * (len(tasks) - 1) + ["Failed"]
        else:
            states = [state] + ["NotStarted"] * (len(tasks) - 1)
        props["tasks"] = [{"name": task, "friendlyName": task, "state": task_state, "taskType": "TaskDetails",
                           "errors": props["errors"] if task_state == "Failed" else []}
                          for task, task_state in zip(tasks, states)]
        return out

    def _job_list(self, match, query, body):
        self._look(list(self._running))
        jobs = list(self.jobs.values())
        odata = query.get("$filter") or ""
        wanted = re.search(r"JobStatus eq '([^']+)'", odata)
        if wanted:
            jobs = [j for j in jobs if j["properties"]["state"] == wanted.group(1)]
        since = re.search(r"StartTime eq '([^']+)'", odata)      # a lower bound, as JobQueryParameter's startTime
        if since:
            jobs = [j for j in jobs if _parse_time(j["properties"]["startTime"]) >= _parse_time(since.group(1))]
        return self._page(copy.deepcopy(jobs), query, match.group(0))

    def _job_get(self, match, query, body):
        name = match.group("job")
        if name not in self.jobs:
            return self._not_found("job " + name)
        self._look([name])
        return 200, self._rendered_job(name), {}

    def _operation_status(self, match, query, body):
        name = match.group("job")
        if name not in self.jobs:
            return self._not_found("operation " + name)
        self._look([name])
        props = self.jobs[name]["properties"]
        status = "InProgress" if props["state"] in RUNNING_STATES else props["state"].replace("Cancelled", "Canceled")
        return 200, {"id": asr_id(V) + "/replicationOperationStatus/" + name, "name": name, "status": status,
                     "startTime": props["startTime"]}, {}

    def _job_action(self, match, query, body):
        name = match.group("job")
        if name not in self.jobs:
            return self._not_found("job " + name)
        action = match.group("action")
        self.bodies.append((action, name, body))
        state = JOB_ACTIONS[action]
        if state in FINAL_STATES:
            self.finish(name, state)
        else:
            self.jobs[name]["properties"]["state"] = state
        props = self.jobs[name]["properties"]      # what was done is no longer allowed
        props["allowedActions"] = [a for a in props.get("allowedActions") or [] if a.lower() != action]
        return 200, self._rendered_job(name), {}

    # -- protected items --------------------------------------------------------------------------------
    def item(self, vm):
        """The item of a VM (by its friendlyName), as stored."""
        return next(i for i in self.items.values() if i["properties"]["friendlyName"] == vm)

    def _item_by_name(self, name):
        return self.items.get(name.lower())

    def add_item(self, vm, container=CONTAINER, **properties):
        """A Protected item of `vm` (item-<vm>): what real ASR shows once initial replication is done."""
        found = [m for m in self.machines if m["properties"]["displayName"] == vm]
        details = {"instanceType": words.RCM, "internalIdentifier": internal_id(vm), "testNetworkId": TEST_NETWORK,
                   "targetResourceGroupId": GROUP}
        if found:
            details["fabricDiscoveryMachineId"] = found[0]["id"]
        props = {"friendlyName": vm, "protectionState": "Protected", "activeLocation": words.PRIMARY,
                 "testFailoverState": "None", "currentScenario": dict(IDLE), "providerSpecificDetails": details}
        props.update(properties)
        item = {"id": asr_id(container) + "/replicationProtectedItems/" + item_name(vm), "name": item_name(vm),
                "properties": props}
        self.items[item["name"].lower()] = item
        return item

    def _job_of(self, item):
        scenario = (item["properties"].get("currentScenario") or {}).get("jobId") or ""
        return self.jobs.get(scenario.rsplit("/", 1)[-1])

    def _rendered_item(self, item):
        """An item as a GET answers it: allowedOperations from its state [vocabulary], none while a job runs."""
        out = copy.deepcopy(item)
        props = out["properties"]
        details = props.get("providerSpecificDetails") or {}
        job = self._job_of(item)
        running = job is not None and job["properties"]["state"] in RUNNING_STATES
        if job is not None:         # the plan's last job, as it is now [lab: plans.render_plan]
            props["currentScenarioStatus"] = job["properties"]["state"]
        props["allowedOperations"] = words.operations(
            details.get("instanceType"), props.get("activeLocation"), props.get("protectionState"),
            props.get("testFailoverState") or "None", details, running=running)
        return out

    @staticmethod
    def listed(item):
        """An item as a LIST answers it: protectedDisks, vmNics, agentUpgradeBlockingErrorDetails empty."""
        details = item["properties"].get("providerSpecificDetails") or {}
        for key in words.WORDS["item_list_empty"].value:
            if key in details:
                details[key] = []
        return item

    def _item_list(self, match, query, body):
        items = list(self.items.values())
        self.item_filters.append(query.get("$filter"))
        plan = re.search(r"recoveryPlanName eq '((?:[^']|'')*)'", query.get("$filter") or "", re.I)
        if plan:                                        # ProtectedItemsQueryParameter: the plan's members
            found = self.plans.get(plan.group(1).replace("''", "'").lower())
            ids = set(r["id"].lower() for g in (found["properties"]["groups"] if found else [])
                      for r in g["replicationProtectedItems"])
            items = [i for i in items if i["id"].lower() in ids]
        return self._page([self.listed(self._rendered_item(i)) for i in items], query, match.group(0))

    def _item_get(self, match, query, body):
        item = self._item_by_name(match.group("item"))
        if item is None:
            return self._not_found("item " + match.group("item"))
        return 200, self._rendered_item(item), {}

    def start_on(self, item, scenario, effects=None, then=None, on_failure=None, state=None, looks=None):
        """A job of `scenario` runs on `item`: meanwhile ASR names it as the item's currentScenario (the item's
        scenario name, vocabulary.item_scenario) and allows nothing; once it succeeded `effects` (item properties)
        apply and the item shows no scenario; a failed job stays the item's currentScenario."""
        props = item["properties"]

        def succeeded():
            props.update(copy.deepcopy(effects or {}))
            if then:
                then()
        name = self._new_job(scenario, props["friendlyName"], succeeded, on_failure)
        props["currentScenario"] = {"scenarioName": words.item_scenario(scenario),
                                    "jobId": asr_id(V) + "/replicationJobs/" + name,
                                    "startTime": self.jobs[name]["properties"]["startTime"]}
        self._run(name, state, looks)
        return name

    def _settle(self, name, state):
        """The items whose current job ended: no scenario, but a failed job [recorded: it stays]."""
        if state == "Failed":
            return
        for item in self.items.values():
            scenario = item["properties"].get("currentScenario") or {}
            if (scenario.get("jobId") or "").rsplit("/", 1)[-1] == name:
                item["properties"]["currentScenario"] = dict(IDLE)

    def _enable(self, match, query, body):
        name = match.group("item")
        path = match.group(0)
        existing = self.items.get(name.lower())
        running = self._job_of(existing) if existing is not None else None
        if running is not None and running["properties"]["state"] in RUNNING_STATES:
            message = "Another operation ('%s', job '%s') is in progress on '%s'." % (
                running["properties"]["scenarioName"], running["name"], name)
            return 409, {"error": {"code": "AnotherOperationInProgress", "message": message}}, {}
        inp = body["properties"]["providerSpecificDetails"]
        mach = next(m for m in self.machines if m["id"].lower() == inp["fabricDiscoveryMachineId"].lower())
        vm = mach["properties"]["displayName"]
        details = {"instanceType": words.RCM, "internalIdentifier": internal_id(vm),
                   "fabricDiscoveryMachineId": mach["id"],
                   "processServerId": inp["processServerId"], "multiVmGroupName": inp.get("multiVmGroupName"),
                   "targetResourceGroupId": inp["targetResourceGroupId"],
                   "targetNetworkId": inp.get("targetNetworkId", ""), "testNetworkId": inp.get("testNetworkId", ""),
                   "targetVmName": inp.get("targetVmName") or vm,
                   "targetVmSize": inp.get("targetVmSize") or "Standard_D2s_v5",
                   "licenseType": inp.get("licenseType", "NoLicenseType"),
                   "targetVmTags": inp.get("targetVmTags", []),
                   "protectedDisks": [], "unprotectedDisks": [],
                   "vmNics": [{"nicId": n["macAddress"], "isPrimaryNic": "true" if i == 0 else "false",
                               "isSelectedForFailover": "true",
                               "targetSubnetName": inp.get("targetSubnetName", "default"),
                               "testSubnetName": inp.get("testSubnetName", "default"), "targetIPAddress": "",
                               "testIPAddress": "", "targetNicName": ""}
                              for i, n in enumerate(mach["properties"]["networkAdapters"])],
                   "initialReplicationProgressPercentage": 0}
        self._disks_of(details, mach, inp)
        policy_id = body["properties"].get("policyId") or ""
        policy = self.policies.get(policy_id.rsplit("/", 1)[-1].lower())
        item = self.items[name.lower()] = {"id": asr_id(path), "name": name, "properties": {
            "friendlyName": vm, "protectionState": "UnprotectedStatesBegin", "activeLocation": words.PRIMARY,
            "testFailoverState": "None", "policyId": policy["id"] if policy else asr_id(policy_id),
            "policyFriendlyName": policy["name"] if policy else policy_id.rsplit("/", 1)[-1],
            "currentScenario": dict(IDLE), "providerSpecificDetails": details}}
        job = self.start_on(item, words.job("enable").scenario, {"protectionState": "InitialReplicationInProgress"},
                            on_failure=lambda: item["properties"].update(protectionState="EnablingFailed"))
        return self._accepted(path, job)

    @staticmethod
    def _disks_of(details, mach, inp):
        """The item's disks as the Mobility agent names them (a Linux VM: /dev/sda, /dev/sdb in vCenter's order
        [guessed]; on Windows {GUID} and PHYSICALDRIVEn [recorded]: vocabulary disk_id_*), not by the VMware disk
        UUID the enable input takes; disks left out of disksToInclude are unprotected."""
        default = inp.get("disksDefault")
        chosen = dict((d["diskId"].lower(), d) for d in inp.get("disksToInclude") or [])
        disk_id, disk_name = words.WORDS["disk_id_linux"].value
        for index, disk in enumerate(mach["properties"]["disks"]):
            letter = "abcdefghij"[index]
            entry = {"diskId": disk_id % letter, "diskName": disk_name % letter,
                     "capacityInBytes": disk["maxSizeInBytes"], "isOSDisk": "true" if index == 0 else "false"}
            spec = default if default is not None else chosen.get(disk["uuid"].lower())
            if spec is None:
                details["unprotectedDisks"].append(entry)
            else:
                details["protectedDisks"].append(dict(entry, diskType=spec.get("diskType"),
                                                      logStorageAccountId=spec.get("logStorageAccountId")))

    def _update(self, match, query, body):
        item = self._item_by_name(match.group("item"))
        inp = body["properties"]["providerSpecificDetails"]
        details = item["properties"]["providerSpecificDetails"]
        for key in ("targetVmSize", "targetVmName", "targetResourceGroupId", "targetNetworkId", "testNetworkId"):
            if key in inp:
                details[key] = inp[key]
        for nic_input in inp.get("vmNics") or []:
            nic = next(n for n in details["vmNics"] if n["nicId"] == nic_input["nicId"])
            for src, dst in (("targetStaticIPAddress", "targetIPAddress"), ("testStaticIPAddress", "testIPAddress"),
                             ("targetSubnetName", "targetSubnetName"), ("testSubnetName", "testSubnetName"),
                             ("isPrimaryNic", "isPrimaryNic"), ("isSelectedForFailover", "isSelectedForFailover")):
                if src in nic_input:
                    nic[dst] = nic_input[src]
        return self._accepted(match.group(0), self.start_on(item, words.job("update").scenario))

    def _disable(self, match, query, body):
        item = self._item_by_name(match.group("item"))
        state = item["properties"]["protectionState"]
        item["properties"]["protectionState"] = "DisablingProtection"
        job = self.start_on(item, words.job("disable").scenario,
                            then=lambda: self.items.pop(item["name"].lower(), None),
                            on_failure=lambda: item["properties"].update(protectionState=state))
        return self._accepted(match.group(0).rsplit("/", 1)[0], job)

    def _action(self, match, query, body):
        item = self._item_by_name(match.group("item"))
        action = match.group("action").lower()
        self.bodies.append((action, item["properties"]["friendlyName"], body))
        key, effects = ITEM_ACTIONS[action]
        job = self.start_on(item, words.job(key).scenario, effects)
        return self._accepted(match.group(0).rsplit("/", 1)[0], job)

    def _day2_action(self, match, query, body):
        """addDisks / repairReplication / resolveHealthErrors [lab: actions.py]: once the job succeeded, the given disks
        are protected (the agent names a disk /dev/sdX by its position), resyncRequired is false, the given health
        errors are gone."""
        item = self._item_by_name(match.group("item"))
        action = match.group("action").lower()
        self.bodies.append((action, item["properties"]["friendlyName"], body))
        props = item["properties"]
        details = props["providerSpecificDetails"]
        inp = (body or {}).get("properties") or {}
        if action == "repairreplication":
            key = "repair"

            def then():
                details["resyncRequired"] = "false"
        elif action == "resolvehealtherrors":
            key = "resolve_health"
            ids = set(e["healthErrorId"].lower() for e in inp["healthErrors"])

            def then():
                props["healthErrors"] = [e for e in props.get("healthErrors") or [] if e["errorId"].lower() not in ids]
        else:
            key = "add_disks"
            disks = next(m for m in self.machines if m["id"] == details["fabricDiscoveryMachineId"])["properties"]["disks"]
            positions = [[d["uuid"] for d in disks].index(x["diskId"]) for x in inp["providerSpecificDetails"]["disks"]]

            def then():
                for index, spec in zip(positions, inp["providerSpecificDetails"]["disks"]):
                    device = "/dev/sd" + "abcdefgh"[index]
                    details["unprotectedDisks"] = [d for d in details.get("unprotectedDisks") or []
                                                   if d["diskId"] != device]
                    details.setdefault("protectedDisks", []).append(dict(
                        diskId=device, diskName=device, isOSDisk="false", capacityInBytes=disks[index]["maxSizeInBytes"],
                        diskType=spec["diskType"], logStorageAccountId=spec["logStorageAccountId"],
                        diskState="Protected"))
        job = self.start_on(item, words.job(key).scenario, then=then)
        return self._accepted(match.group(0).rsplit("/", 1)[0], job)

    def _points(self, match, query, body):
        return 200, {"value": [{"id": "p/recoveryPoints/rp-%d" % m, "name": "rp-%d" % m, "properties": {
            "recoveryPointTime": "2026-01-01T00:%02d:00Z" % m,
            "recoveryPointType": "ApplicationConsistent" if m % 30 == 0 else "CrashConsistent",
            "providerSpecificDetails": {"instanceType": words.RCM, "isMultiVmSyncPoint": "false"}}}
            for m in (0, 5, 10, 15, 20, 25, 30, 35)]}, {}

    def protect_all(self):
        """Every item Protected (initial replication done)."""
        for item in self.items.values():
            item["properties"]["protectionState"] = "Protected"
            item["properties"]["providerSpecificDetails"]["initialReplicationProgressPercentage"] = None

    def busy(self, vm, scenario="EnableDr", looks=1, effects=None, state="Succeeded"):
        """The VM's item runs a job of `scenario` that ends in `state` after `looks` looks at the jobs; the item
        allows nothing meanwhile, then what its state (with `effects`) allows."""
        item = self.item(vm)
        name = self.start_on(item, scenario, effects, state="InProgress")
        self.end_after(name, looks, state)
        return name

    # -- replication policies and their associations -------------------------------------------------------
    def add_policy(self, name, details):
        self.policies[name.lower()] = {"id": asr_id(V) + "/replicationPolicies/" + name, "name": name,
                                       "properties": {"friendlyName": name, "providerSpecificDetails": details}}
        return self.policies[name.lower()]

    def add_mapping(self, name, policy_name, container=CONTAINER):
        """An association: a forward policy's targets "Microsoft Azure", a failback policy's the container itself
        [recorded: vocabulary failback_mapping_target]."""
        policy = self.policies[policy_name.lower()]
        failback = policy["properties"]["providerSpecificDetails"].get("instanceType") == words.FAILBACK
        return self._store_mapping(name, container, asr_id(container) if failback else AZURE, policy["id"])

    def _store_mapping(self, name, container, target, policy_id):
        path = container + "/replicationProtectionContainerMappings/" + name
        self.mappings[name.lower()] = {"id": asr_id(path), "name": name, "properties": {
            "targetProtectionContainerId": target, "policyId": policy_id, "state": "Paired", "health": "Normal"}}
        return self.mappings[name.lower()]

    def _policies(self, match, query, body):
        return self._page(list(self.policies.values()), query, match.group(0))

    def _mappings(self, match, query, body):
        return self._page(list(self.mappings.values()), query, match.group(0))

    def _policy_put(self, match, query, body):
        name = match.group("policy")
        details = dict(body["properties"]["providerSpecificInput"])
        job = self.job(words.job("policy_create").scenario, name, then=lambda: self.add_policy(name, details))
        return self._accepted(match.group(0), job)

    def _policy_patch(self, match, query, body):
        policy = self.policies[match.group("policy").lower()]
        details = dict(body["properties"]["replicationProviderSettings"])
        job = self.job(words.job("policy_update").scenario, policy["name"],
                       then=lambda: policy["properties"].update(providerSpecificDetails=details))
        return self._accepted(match.group(0), job)

    def _policy_delete(self, match, query, body):
        name = match.group("policy")
        policy = self.policies[name.lower()]
        if any(m["properties"]["policyId"] == policy["id"] for m in self.mappings.values()):
            return 400, {"error": {"code": "BadRequest", "message": "in use", "details": [
                {"code": "990008", "message": "The policy is in use.", "possibleCauses": "A mapping uses it.",
                 "recommendedAction": "Remove the mapping."}]}}, {}
        job = self.job(words.job("policy_delete").scenario, name, then=lambda: self.policies.pop(name.lower(), None))
        return self._accepted(match.group(0), job)

    def _mapping_put(self, match, query, body):
        name = match.group("mapping")
        props = body["properties"]
        container = match.group(0).rsplit("/replicationProtectionContainerMappings/", 1)[0]
        # [recorded: TestV2ARCMContainerMapping#12] the association's job targets the policy (its name)
        job = self.job(words.job("mapping_create").scenario, props["policyId"].rsplit("/", 1)[-1],
                       then=lambda: self._store_mapping(name, container, props["targetProtectionContainerId"],
                                                        props["policyId"]))
        return self._accepted(match.group(0), job)

    def _mapping_remove(self, match, query, body):
        name = match.group("mapping")
        mapping = self.mappings[name.lower()]
        job = self.job(words.job("mapping_delete").scenario, mapping["properties"]["policyId"].rsplit("/", 1)[-1],
                       then=lambda: self.mappings.pop(name.lower(), None))
        return self._accepted(match.group(0).rsplit("/", 1)[0], job)

    # -- recovery plans ------------------------------------------------------------------------------------
    def _rendered_plan(self, plan):
        out = copy.deepcopy(plan)
        props = out["properties"]
        job = self.jobs.get((props.get("currentScenario") or {}).get("jobId", "").rsplit("/", 1)[-1])
        running = job is not None and job["properties"]["state"] in RUNNING_STATES
        if job is not None:         # the plan's last job, as it is now [lab: plans.render_plan]
            props["currentScenarioStatus"] = job["properties"]["state"]
        props["allowedOperations"] = [] if running else list(PLAN_OPERATIONS)
        props["replicationProviders"] = [words.RCM] if any(g["replicationProtectedItems"]
                                                           for g in props["groups"]) else []
        return out

    def _plan_list(self, match, query, body):
        return self._page([self._rendered_plan(p) for p in self.plans.values()], query, match.group(0))

    def _plan_get(self, match, query, body):
        plan = self.plans.get(match.group("plan").lower())
        if plan is None:
            return self._not_found("recovery plan " + match.group("plan"))
        return 200, self._rendered_plan(plan), {}

    @staticmethod
    def _normalized(groups):
        """ASR's answer: Shutdown, Failover, then Boot groups [recorded: vocabulary plan_groups]; /Subscriptions/
        ids; re-spelled timeouts."""
        fixed = words.WORDS["plan_groups"].value
        out = dict((kind, []) for kind in fixed + ("Boot",))
        for group in groups:
            entry = {"groupType": group["groupType"],
                     "replicationProtectedItems": [
                         {"id": asr_id(r["id"]), "virtualMachineId": r.get("virtualMachineId")}
                         for r in group.get("replicationProtectedItems") or []],
                     "startGroupActions": copy.deepcopy(group.get("startGroupActions") or []),
                     "endGroupActions": copy.deepcopy(group.get("endGroupActions") or [])}
            for action in entry["startGroupActions"] + entry["endGroupActions"]:
                details = action["customDetails"]
                if details.get("timeout"):
                    details["timeout"] = _respell(details["timeout"])
            out[entry["groupType"]].append(entry)
        for kind in fixed:
            if not out[kind]:
                out[kind].append({"groupType": kind, "replicationProtectedItems": [], "startGroupActions": [],
                                  "endGroupActions": []})
        return [g for kind in fixed + ("Boot",) for g in out[kind]]

    def _store_plan(self, name, props):
        self.plans[name.lower()] = {"id": asr_id(PLANS + "/" + name), "name": name, "type": "x", "properties": props}

    def _plan_put(self, match, query, body):
        name = match.group("plan")
        inp = body["properties"]
        props = {"friendlyName": name, "primaryFabricId": asr_id(inp["primaryFabricId"]),
                 "primaryFabricFriendlyName": inp["primaryFabricId"].rsplit("/", 1)[-1],
                 "recoveryFabricId": inp["recoveryFabricId"], "recoveryFabricFriendlyName": inp["recoveryFabricId"],
                 "failoverDeploymentModel": inp.get("failoverDeploymentModel"), "currentScenario": dict(IDLE),
                 "groups": self._normalized(inp["groups"])}
        # [recorded: TestV2ARCMRecoveryPlan#14-15] a create and an update are both SaveRecoveryPlan jobs
        job = self.job(words.job("plan_save").scenario, name, then=lambda: self._store_plan(name, props))
        return self._accepted(match.group(0), job)

    def _plan_patch(self, match, query, body):
        plan = self.plans[match.group("plan").lower()]
        props = dict(copy.deepcopy(plan["properties"]), groups=self._normalized(body["properties"]["groups"]))
        job = self.job(words.job("plan_save").scenario, plan["name"],
                       then=lambda: self._store_plan(plan["name"], props))
        return self._accepted(match.group(0), job)

    def _plan_delete(self, match, query, body):
        name = match.group("plan")
        job = self.job(words.job("plan_delete").scenario, name, then=lambda: self.plans.pop(name.lower(), None))
        return self._accepted(match.group(0), job)

    def _plan_action(self, match, query, body):
        """A plan action: one plan job (its target the plan); once it succeeded every member shows the item action's
        effects. The plan's currentScenario names the job, also after it ended [lab: plans.render_plan]."""
        plan = self.plans.get(match.group("plan").lower())
        if plan is None:
            return self._not_found("recovery plan " + match.group("plan"))
        action = match.group("action").lower()
        self.bodies.append(("plan_" + action, plan["name"], body))
        key, effects = ITEM_ACTIONS[action]
        ids = set(r["id"].lower() for g in plan["properties"]["groups"] for r in g["replicationProtectedItems"])
        members = [i for i in self.items.values() if i["id"].lower() in ids]

        def succeeded():
            for member in members:
                member["properties"].update(copy.deepcopy(effects))
        job = self.job(words.job(key).scenario, plan["name"], then=succeeded, target_type="RecoveryPlan")
        plan["properties"]["currentScenario"] = {"scenarioName": words.job(key).scenario,
                                                 "jobId": asr_id(V) + "/replicationJobs/" + job,
                                                 "startTime": self.jobs[job]["properties"]["startTime"]}
        return self._accepted(match.group(0).rsplit("/", 1)[0], job)

    def add_plan(self, name, boot_groups, shutdown_actions=(), reverse=False):
        """A plan as ASR would answer it; `boot_groups` lists VM names; `reverse` stores the groups in another
        order than ASR's (Boot groups first), to prove the collection finds groups by type."""
        groups = [{"groupType": kind, "replicationProtectedItems": [],
                   "startGroupActions": list(shutdown_actions) if kind == "Shutdown" else [], "endGroupActions": []}
                  for kind in words.WORDS["plan_groups"].value]
        for vms in boot_groups:
            refs = [{"id": self.item(vm)["id"],
                     "virtualMachineId": self.item(vm)["properties"]["providerSpecificDetails"]["internalIdentifier"]}
                    for vm in vms]
            groups.append({"groupType": "Boot", "replicationProtectedItems": refs, "startGroupActions": [],
                           "endGroupActions": []})
        if reverse:
            groups = groups[2:] + groups[:2]
        self._store_plan(name, {
            "friendlyName": name, "primaryFabricId": asr_id(FABRIC), "primaryFabricFriendlyName": "fab1",
            "recoveryFabricId": AZURE, "recoveryFabricFriendlyName": AZURE,
            "failoverDeploymentModel": "ResourceManager", "currentScenario": dict(IDLE), "groups": groups})

    def busy_plan(self, name, scenario="TestFailover", state="Suspended"):
        """The plan runs a job of its own (a drill waiting at a manual action by default)."""
        job = self.job(scenario, name, state=state, target_type="RecoveryPlan")
        props = self.plans[name.lower()]["properties"]
        props["currentScenario"] = {"scenarioName": scenario, "jobId": asr_id(V) + "/replicationJobs/" + job,
                                    "startTime": self.jobs[job]["properties"]["startTime"]}
        props["currentScenarioStatus"] = state
        return job
