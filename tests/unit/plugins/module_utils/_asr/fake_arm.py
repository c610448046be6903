# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A tiny in-memory ARM for protected_item, at the network edge: the real SDK clients send their
requests through azure-core's RequestsTransport into `FakeArm.request` (a requests.Session stand-in),
which answers like ASR (lists, 202 + job headers, jobs) and counts every request.

It answers like real ASR does [recorded, tests/recorded/asr_modernized.json]:

* a LIST of protected items carries protectedDisks, vmNics and agentUpgradeBlockingErrorDetails EMPTY; a GET of
  the item fills them (so a test proves the collection GETs what it compares);
* while a job runs on an item, its currentScenario names the job (the item's scenario name: EnableProtection for
  EnableDr, SwitchProtection for SwitchReplicationGroupProtection) and nothing is allowed; once the job
  succeeded the item shows no scenario and allows what its new state allows; a FAILED job stays the item's
  currentScenario (an enable that failed: EnablingFailed, DisableProtection allowed);
* Protected allows UnplannedFailover, DisableProtection, TestFailover.

    arm = FakeArm(vms=["web-01", "web-02"])
    clients = arm.clients()                      # AzureClients whose SDK clients talk to `arm`
    ...
    arm.count("GET")                             # requests by method (and arm.calls: [(method, kind)])
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

SUB = "00000000-0000-4000-8000-000000000001"
RG = "rg-dr"
VAULT = "rsv-dr"
V = "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.RecoveryServices/vaults/%s" % (SUB, RG, VAULT)
GROUP = "/subscriptions/%s/resourceGroups/%s" % (SUB, RG)
FABRIC = V + "/replicationFabrics/fab1"
CONTAINER = FABRIC + "/replicationProtectionContainers/cont1"
SITE = GROUP + "/providers/Microsoft.OffAzure/VMwareSites/site1"
POLICY = V + "/replicationPolicies/pol-24h"
PROCESS_SERVER = "ps-0001"
VNETS = {"vnet-dr-recovery": {"default": "10.10.0.0/24", "app": "10.10.1.0/24"},
         "vnet-dr-test": {"default": "10.20.0.0/24", "app": "10.20.1.0/24"}}
SIZES = ("Standard_D2s_v5", "Standard_D4s_v5", "Standard_B1s")
IDLE = {"scenarioName": "None", "jobId": V + "/replicationJobs/None", "startTime": "1753-01-01T01:01:01Z"}
#: what real ASR allows a Protected InMageRcm item [recorded]
PROTECTED_OPERATIONS = ["UnplannedFailover", "DisableProtection", "TestFailover"]
#: an item's currentScenario.scenarioName while a job of that scenario runs [recorded]; others: the job's name
ITEM_SCENARIOS = {"EnableDr": "EnableProtection", "SwitchReplicationGroupProtection": "SwitchProtection"}
#: the arrays a list of items carries empty [recorded]; a GET fills them
LIST_EMPTY = ("protectedDisks", "vmNics", "agentUpgradeBlockingErrorDetails")
FINAL_STATES = ("Succeeded", "Failed", "Cancelled", "Canceled", "Skipped", "Other")


def asr_id(value):
    return "/Subscriptions/" + value[len("/subscriptions/"):]


class FakeCredential(object):
    def get_token(self, *scopes, **kwargs):
        return AccessToken("fake", 4102444800)


def machine(name, index, nics=1, disks=1, firmware="bios"):
    instance = "5010c3d4-0000-4000-8000-%012d" % index
    return {"id": "%s/machines/vc1_%s" % (SITE, instance), "name": "vc1_%s" % instance, "properties": {
        "displayName": name, "instanceUuid": instance, "biosGuid": "4210a1b2-0000-4000-8000-%012d" % index,
        "powerStatus": "ON", "firmware": firmware, "vCenterFQDN": "vc1.lab.local", "isDeleted": False,
        "operatingSystemDetails": {"osType": "linuxguest", "osName": "RHEL 8"},
        "disks": [{"uuid": "6000c290-0000-4000-8000-%08d%04d" % (index, d), "label": "Hard disk %d" % (d + 1),
                   "name": "scsi0:%d" % d, "maxSizeInBytes": 40 * 1024 ** 3} for d in range(disks)],
        "networkAdapters": [{"macAddress": "00:50:56:90:%02x:%02x" % (index % 256, n), "label": "Network adapter %d" % (n + 1),
                             "networkName": "Prod", "ipAddressList": ["192.168.1.%d" % (index % 250)]}
                            for n in range(nics)]}}


class FakeArm(object):
    """ARM + ASR for one vault with one appliance; `vms` are the discovered VM names."""

    def __init__(self, vms, page_size=1000, job_state="Succeeded", agents=()):
        self.machines = [machine(name, i + 1, nics=2 if name.startswith("app") else 1,
                                 disks=2 if name.startswith("db") else 1) for i, name in enumerate(vms)]
        self.items = {}
        self.jobs = {}
        self.calls = []
        self.page_size = page_size
        self.job_state = job_state
        self.agents = [{"biosId": m["properties"]["biosGuid"]} for m in self.machines
                       if m["properties"]["displayName"] in agents]
        self.clock = 0
        self.running = {}      # job name -> polls until it ends (busy())
        self.pending = {}      # job name -> (item, properties once it succeeded, allowedOperations before it)

    # -- the client side -------------------------------------------------------------------------
    def clients(self):
        arm = self

        class Clients(AzureClients):
            def _transport_kwargs(self):
                return {"transport": RequestsTransport(session=arm, session_owner=False)}

        return Clients({"subscription_id": SUB, "client_id": "c", "secret": "s", "tenant": "t"},
                       wait_sleep=0, credential=FakeCredential())

    def count(self, method=None, kind=None):
        return len([c for c in self.calls if (method is None or c[0] == method) and (kind is None or c[1] == kind)])

    def reads(self):
        return self.count("GET")

    def writes(self):
        return len(self.calls) - self.reads()

    # -- requests.Session stand-in ---------------------------------------------------------------
    def request(self, method, url, data=None, **kwargs):  # pylint: disable=unused-argument
        parsed = urlparse(url)
        query = dict((k, v[0]) for k, v in parse_qs(parsed.query).items())
        body = json.loads(data) if data else None
        for verb, pattern, handler in self.routes():
            match = re.match(pattern + r"$", parsed.path, re.I)
            if verb == method and match:
                self.calls.append((method, handler.__name__.lstrip("_")))
                status, payload, headers = handler(match, query, body)
                return self._response(status, payload, headers, url)
        self.calls.append((method, "unknown"))
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
        return [
            ("GET", V, self._vault),
            ("GET", V + "/replicationFabrics", self._fabrics),
            ("GET", V + "/replicationProtectionContainers", self._containers),
            ("GET", V + "/replicationPolicies", self._policies),
            ("GET", V + "/replicationProtectionContainerMappings", self._mappings),
            ("GET", V + "/replicationProtectedItems", self._item_list),
            ("GET", CONTAINER + r"/replicationProtectedItems/(?P<item>[^/]+)", self._item_get),
            ("GET", V + "/replicationJobs", self._job_list),
            ("GET", V + r"/replicationJobs/(?P<job>[^/]+)", self._job_get),
            ("GET", SITE + "/machines", self._machines),
            ("GET", SITE + "/runasaccounts", self._run_as),
            ("GET", r"/subscriptions/[^/]+/providers/Microsoft\.Compute/skus", self._skus),
            ("GET", r"/subscriptions/[^/]+/resourcegroups/(?P<rg>[^/]+)", self._group),
            ("GET", GROUP + r"/providers/Microsoft\.Network/virtualNetworks", self._vnet_list),
            ("GET", GROUP + r"/providers/Microsoft\.Network/virtualNetworks/(?P<vnet>[^/]+)", self._vnet),
            ("GET", GROUP + r"/providers/Microsoft\.Storage/storageAccounts/(?P<sa>[^/]+)", self._storage),
            ("PUT", CONTAINER + r"/replicationProtectedItems/(?P<item>[^/]+)", self._enable),
            ("PATCH", CONTAINER + r"/replicationProtectedItems/(?P<item>[^/]+)", self._update),
            ("POST", CONTAINER + r"/replicationProtectedItems/(?P<item>[^/]+)/remove", self._disable),
        ]

    # -- reads -------------------------------------------------------------------------------------
    def _page(self, values, query, base):
        start = int(query.get("$skiptoken") or 0)
        out = {"value": values[start:start + self.page_size]}
        if start + self.page_size < len(values):
            out["nextLink"] = "https://management.azure.com%s?api-version=x&$skiptoken=%d" % (base, start + self.page_size)
        return 200, out, {}

    def _vault(self, match, query, body):
        return 200, {"id": V, "name": VAULT, "location": "westeurope", "properties": {}}, {}

    def _fabrics(self, match, query, body):
        return self._page([{"id": asr_id(FABRIC), "name": "fab1", "properties": {"customDetails": {
            "instanceType": "InMageRcm", "vmwareSiteId": SITE,
            "processServers": [{"id": PROCESS_SERVER, "name": "appliance-01"}],
            "agentDetails": self.agents}}}], query, V + "/replicationFabrics")

    def _containers(self, match, query, body):
        return self._page([{"id": asr_id(CONTAINER), "name": "cont1", "properties": {}}], query, "")

    def _policies(self, match, query, body):
        return self._page([{"id": asr_id(POLICY), "name": "pol-24h", "properties": {
            "providerSpecificDetails": {"instanceType": "InMageRcm"}}}], query, "")

    def _mappings(self, match, query, body):
        return self._page([{"id": asr_id(CONTAINER) + "/replicationProtectionContainerMappings/m1", "name": "m1",
                            "properties": {"policyId": asr_id(POLICY), "state": "Paired"}}], query, "")

    def _settle(self):
        """Items whose job ended: succeeded -> its effects, no scenario; failed -> ASR keeps the job named."""
        for item in self.items.values():
            job = item["properties"]["currentScenario"]["jobId"].rsplit("/", 1)[-1]
            state = self.jobs[job]["properties"]["state"] if job in self.jobs else None
            if state not in FINAL_STATES:
                continue
            _item, effects, before = self.pending.pop(job, (None, {}, None))
            if state == "Failed":
                if before is not None:
                    item["properties"]["allowedOperations"] = before
                continue
            if state == "Succeeded":
                item["properties"].update(copy.deepcopy(effects))
            if "allowedOperations" not in effects and before is not None:
                item["properties"]["allowedOperations"] = before
            item["properties"]["currentScenario"] = dict(IDLE)

    @staticmethod
    def listed(item):
        """An item as a LIST answers it: protectedDisks, vmNics, agentUpgradeBlockingErrorDetails empty."""
        out = copy.deepcopy(item)
        details = out["properties"].get("providerSpecificDetails") or {}
        for key in LIST_EMPTY:
            if key in details:
                details[key] = []
        return out

    def _item_list(self, match, query, body):
        self._settle()
        return self._page([self.listed(i) for i in self.items.values()], query, V + "/replicationProtectedItems")

    def _item_get(self, match, query, body):
        self._settle()
        item = next((i for i in self.items.values() if i["name"].lower() == match.group("item").lower()), None)
        if item is None:
            return 404, {"error": {"code": "NotFound", "message": "item %s" % match.group("item")}}, {}
        return 200, copy.deepcopy(item), {}

    def _tick(self):
        for name in list(self.running):
            self.running[name] -= 1
            if self.running[name] <= 0:
                self.jobs[name]["properties"]["state"] = "Succeeded"
                del self.running[name]

    def _job_list(self, match, query, body):
        self._tick()
        return self._page(list(self.jobs.values()), query, V + "/replicationJobs")

    def _job_get(self, match, query, body):
        self._tick()
        job = self.jobs.get(match.group("job"))
        return (200, job, {}) if job else (404, {"error": {"code": "NotFound", "message": "job"}}, {})

    def _machines(self, match, query, body):
        return self._page(self.machines, query, SITE + "/machines")

    def _run_as(self, match, query, body):
        return self._page([{"id": SITE + "/runasaccounts/r1", "name": "r1", "properties": {
            "displayName": "linux-root", "credentialType": "LinuxServer"}}], query, "")

    def _skus(self, match, query, body):
        return 200, {"value": [{"resourceType": "virtualMachines", "name": n, "locations": ["westeurope"],
                                "restrictions": [], "capabilities": [
                                    {"name": "MaxNetworkInterfaces", "value": "2"}, {"name": "MaxDataDiskCount", "value": "8"},
                                    {"name": "HyperVGenerations", "value": "V1,V2"}, {"name": "PremiumIO", "value": "True"},
                                    {"name": "vCPUs", "value": "2"}, {"name": "MemoryGB", "value": "8"}]}
                               for n in SIZES]}, {}

    def _group(self, match, query, body):
        if match.group("rg").lower() != RG.lower():
            return 404, {"error": {"code": "ResourceGroupNotFound", "message": "no"}}, {}
        return 200, {"id": GROUP, "name": RG, "location": "westeurope"}, {}

    def _vnet_list(self, match, query, body):
        return 200, {"value": [self._vnet_body(name) for name in VNETS]}, {}

    def _vnet(self, match, query, body):
        name = next((n for n in VNETS if n.lower() == match.group("vnet").lower()), None)
        if name is None:
            return 404, {"error": {"code": "ResourceNotFound", "message": "no vnet"}}, {}
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

    # -- writes ------------------------------------------------------------------------------------
    def _job(self, scenario, target):
        self.clock += 1
        name = str(uuid.uuid4())
        self.jobs[name] = {"id": asr_id(V) + "/replicationJobs/" + name, "name": name, "properties": {
            "scenarioName": scenario, "state": self.job_state, "startTime": "2026-01-01T00:00:%02dZ" % (self.clock % 60),
            "targetObjectName": target, "errors": [] if self.job_state == "Succeeded" else [
                {"serviceErrorDetails": {"code": "95117", "message": "Push installation failed."}}]}}
        return name

    def _accepted(self, item_path, job):
        return 202, None, {"Location": "https://management.azure.com%s/operationresults/%s?api-version=x" % (item_path, job),
                           "Retry-After": "0"}

    def _enable(self, match, query, body):
        name = match.group("item")
        inp = body["properties"]["providerSpecificDetails"]
        mach = next(m for m in self.machines if m["id"].lower() == inp["fabricDiscoveryMachineId"].lower())
        details = {"instanceType": "InMageRcm", "fabricDiscoveryMachineId": mach["id"],
                   "processServerId": inp["processServerId"], "multiVmGroupName": inp.get("multiVmGroupName"),
                   "targetResourceGroupId": inp["targetResourceGroupId"],
                   "targetNetworkId": inp.get("targetNetworkId", ""), "testNetworkId": inp.get("testNetworkId", ""),
                   "targetVmName": inp.get("targetVmName") or mach["properties"]["displayName"],
                   "targetVmSize": inp.get("targetVmSize") or "Standard_D2s_v5",
                   "licenseType": inp.get("licenseType", "NoLicenseType"),
                   "targetVmTags": inp.get("targetVmTags", []),
                   "protectedDisks": [], "unprotectedDisks": [],
                   "vmNics": [{"nicId": n["macAddress"], "isPrimaryNic": "true" if i == 0 else "false",
                               "isSelectedForFailover": "true", "targetSubnetName": inp.get("targetSubnetName", "default"),
                               "testSubnetName": inp.get("testSubnetName", "default"), "targetIPAddress": "",
                               "testIPAddress": "", "targetNicName": ""}
                              for i, n in enumerate(mach["properties"]["networkAdapters"])],
                   "initialReplicationProgressPercentage": 0}
        self._disks_of(details, mach, inp)
        job = self._job("EnableDr", mach["properties"]["displayName"])
        path = CONTAINER + "/replicationProtectedItems/" + name
        item = self.items[name.lower()] = {"id": asr_id(path), "name": name, "properties": {
            "friendlyName": mach["properties"]["displayName"], "protectionState": "UnprotectedStatesBegin",
            "activeLocation": "Primary", "allowedOperations": [], "policyId": asr_id(POLICY),
            "policyFriendlyName": "pol-24h", "currentScenario": dict(IDLE), "providerSpecificDetails": details}}
        self.start_on(item, job, {"protectionState": "InitialReplicationInProgress",
                                  "allowedOperations": ["DisableProtection"]})
        if self.job_state == "Failed":      # [recorded] the failed enable stays the item's currentScenario
            item["properties"].update(protectionState="EnablingFailed", allowedOperations=["DisableProtection"])
        return self._accepted(path, job)

    @staticmethod
    def _disks_of(details, mach, inp):
        """The item's disks as the Mobility agent names them (a Linux VM: /dev/sda, /dev/sdb in vCenter's order;
        on Windows {GUID} and PHYSICALDRIVEn [recorded]), not by the VMware disk UUID the enable input takes;
        disks left out of disksToInclude are unprotected."""
        default = inp.get("disksDefault")
        chosen = dict((d["diskId"].lower(), d) for d in inp.get("disksToInclude") or [])
        for index, disk in enumerate(mach["properties"]["disks"]):
            entry = {"diskId": "/dev/sd%s" % "abcdefghij"[index], "diskName": "/dev/sd%s" % "abcdefghij"[index],
                     "capacityInBytes": disk["maxSizeInBytes"], "isOSDisk": "true" if index == 0 else "false"}
            spec = default if default is not None else chosen.get(disk["uuid"].lower())
            if spec is None:
                details["unprotectedDisks"].append(entry)
            else:
                details["protectedDisks"].append(dict(entry, diskType=spec.get("diskType"),
                                                      logStorageAccountId=spec.get("logStorageAccountId")))

    def _update(self, match, query, body):
        item = self.items[match.group("item").lower()]
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
        job = self._job("UpdateVmProperties", item["properties"]["friendlyName"])
        self.start_on(item, job, {})
        return self._accepted(CONTAINER + "/replicationProtectedItems/" + item["name"], job)

    def _disable(self, match, query, body):
        item = self.items.pop(match.group("item").lower())
        return self._accepted(CONTAINER + "/replicationProtectedItems/" + item["name"],
                              self._job("DisableDr", item["properties"]["friendlyName"]))

    def start_on(self, item, job, effects):
        """Job `job` runs on `item`: while it runs ASR names it as the item's currentScenario and allows nothing;
        `effects` (item properties) apply once it succeeded (at once for a job that ended already). A failed job
        stays the item's currentScenario."""
        props = item["properties"]
        facts = self.jobs[job]["properties"]
        scenario = ITEM_SCENARIOS.get(facts["scenarioName"], facts["scenarioName"])
        props["currentScenario"] = {"scenarioName": scenario, "jobId": asr_id(V) + "/replicationJobs/" + job,
                                    "startTime": facts["startTime"]}
        self.pending[job] = (item, effects, list(props.get("allowedOperations") or []))
        props["allowedOperations"] = []
        self._settle()

    # -- test helpers ----------------------------------------------------------------------------------
    def protect_all(self):
        """Every item Protected (initial replication done): what real ASR allows then."""
        for item in self.items.values():
            item["properties"]["protectionState"] = "Protected"
            item["properties"]["allowedOperations"] = list(PROTECTED_OPERATIONS)
            item["properties"]["providerSpecificDetails"]["initialReplicationProgressPercentage"] = None

    def busy(self, vm, scenario="EnableDr", polls=1, effects=None):
        """The VM's item runs a job that ends after `polls` looks at the jobs (a job GET or list is a look); the
        item allows nothing meanwhile, then what it allowed before (or `effects`)."""
        item = next(i for i in self.items.values() if i["properties"]["friendlyName"] == vm)
        job = self._job(scenario, vm)
        self.jobs[job]["properties"]["state"] = "InProgress"
        self.running[job] = polls
        self.start_on(item, job, effects or {})
        return job
