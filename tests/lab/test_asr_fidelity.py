"""Every response body the lab's ASR simulator sends during one whole life of a replicated item (and a
recovery plan around it) fits its SDK model: no field lost, none unknown, across the board.

The test records every response of the Azure simulator for a Microsoft.RecoveryServices replication
path or a Microsoft.OffAzure path (a wrapper around `requests.Session.send`, which both the SDK's
transport and `AsrLab.arm` use), drives the life through the real SDK (begin_* pollers: their status
and result polls are recorded too), then checks each body against the model of its URL:
azure-mgmt-recoveryservicessiterecovery 2.0.0 (Job, ReplicationProtectedItem, Policy, ...), the
operation status against azure-mgmt-recoveryservices' OperationResource (ARM's async operation
shape), Azure Migrate machines (no SDK in this venv) against the properties of VMwareMachine of the
OffAzure REST spec 2023-06-06, refusals against ASR's error envelope. A response no rule knows fails the
test: the walk is proven whole, not sampled.
"""
import json
import re
from urllib.parse import urlparse

import pytest
import requests
from azure.core.exceptions import HttpResponseError
from azure.mgmt.recoveryservices import models as R
from azure.mgmt.recoveryservicessiterecovery import models as M

from drlab.testing.fidelity import misfits

VM = "fid-01"
PLAN = "fid-plan"
HOUR = 3600

_SUB = r"(?:/subscriptions/[^/]+/resourcegroups/[^/]+/providers/microsoft\.recoveryservices/vaults/[^/]+)"
#: (path regex after the vault, lower case; model) - a path of a collection answers {"value": [model...]}
_RULES = [
    (r"/replicationjobs(/[^/]+)?", M.Job),
    (r"/replicationjobs/[^/]+/(cancel|restart|resume)", M.Job),
    (r"/replicationfabrics(/[^/]+)?", M.Fabric),
    (r"/replicationfabrics/[^/]+/replicationprotectioncontainers(/[^/]+)?", M.ProtectionContainer),
    (r"/replicationprotectioncontainers", M.ProtectionContainer),
    (r"(/replicationfabrics/[^/]+/replicationprotectioncontainers/[^/]+)?/replicationprotectioncontainermappings"
     r"(/[^/]+)?", M.ProtectionContainerMapping),
    (r"(/replicationfabrics/[^/]+/replicationprotectioncontainers/[^/]+)?/replicationprotecteditems(/[^/]+)?",
     M.ReplicationProtectedItem),
    (r"/replicationfabrics/[^/]+/replicationprotectioncontainers/[^/]+/replicationprotecteditems/[^/]+/"
     r"recoverypoints(/[^/]+)?", M.RecoveryPoint),
    (r"/replicationfabrics/[^/]+/replicationprotectioncontainers/[^/]+/replicationprotecteditems/[^/]+/"
     r"targetcomputesizes", M.TargetComputeSize),
    (r"(/replicationfabrics/[^/]+)?/replicationvcenters(/[^/]+)?", M.VCenter),
    (r"(/replicationfabrics/[^/]+)?/replicationrecoveryservicesproviders(/[^/]+)?", M.RecoveryServicesProvider),
    (r"/replicationappliances", M.ReplicationAppliance),
    (r"/replicationpolicies(/[^/]+)?", M.Policy),
    (r"/replicationrecoveryplans(/[^/]+)?", M.RecoveryPlan),
    (r"/replicationevents(/[^/]+)?", M.Event),
    (r"/replicationvaulthealth(/default)?", M.VaultHealthDetails),
    (r"/replicationoperationstatus/[^/]+", R.OperationResource),
]
_COLLECTIONS = re.compile(r"/(replicationjobs|replicationfabrics|replicationprotectioncontainers|"
                          r"replicationprotectioncontainermappings|replicationprotecteditems|recoverypoints|"
                          r"targetcomputesizes|replicationvcenters|replicationrecoveryservicesproviders|"
                          r"replicationappliances|replicationpolicies|replicationrecoveryplans|replicationevents|"
                          r"machines)$")

#: VMwareMachine of Microsoft.OffAzure 2023-06-06 (azure-rest-api-specs, specification/migrate/.../
#: Microsoft.OffAzure/stable/2023-06-06): its field names; None = a leaf, a dict = an object, [dict] = a list
_OS = {"osType": None, "osName": None, "osVersion": None, "osArchitecture": None}
_DISCOVERY_ERROR = {k: None for k in ("message", "messageParameters", "applianceName", "id", "code",
                                      "possibleCauses", "recommendedAction", "severity", "summaryMessage", "source",
                                      "updatedTimeStamp", "runAsAccountId", "discoveryScope")}
_SCOPE = {"discoveryScopeStatus": None, "errors": [_DISCOVERY_ERROR], "hydratedRunAsAccountId": None}
OFFAZURE_MACHINE = {
    "id": None, "name": None, "type": None, "systemData": None, "properties": {
        "hostProcessorInfo": {"name": None, "numberOfSockets": None, "numberOfCoresPerSocket": None}, "tags": None,
        "vCenterFqdn": None, "vCenterId": None, "instanceUuid": None, "dataCenterScope": None, "description": None,
        "disks": [{k: None for k in ("uuid", "label", "diskProvisioningPolicy", "diskScrubbingPolicy", "diskMode",
                                     "controllerType", "maxSizeInBytes", "name", "diskType", "lun", "path")}],
        "hostInMaintenanceMode": None, "hostName": None, "hostPowerState": None, "hostVersion": None,
        "networkAdapters": [{k: None for k in ("label", "adapterType", "nicId", "macAddress", "ipAddressList",
                                               "networkName", "ipAddressType")}],
        "vMwareToolsStatus": None, "vMwareToolsVersion": None, "changeTrackingSupported": None,
        "changeTrackingEnabled": None, "maxSnapshots": None, "diskEnabledUuid": None, "numberOfSnapshots": None,
        "altGuestName": None, "powerStatus": None, "vmFqdn": None, "vmConfigurationFileLocation": None,
        "firmware": None, "guestOsDetails": _OS, "numberOfApplications": None, "guestDetailsDiscoveryTimestamp": None,
        "isGuestDetailsDiscoveryInProgress": None, "dependencyMapping": None, "dependencyMappingStartTime": None,
        "dependencyMappingEndTime": None, "runAsAccountId": None, "applianceNames": None,
        "errors": [_DISCOVERY_ERROR], "applicationDiscovery": _SCOPE, "dependencyMapDiscovery": _SCOPE,
        "staticDiscovery": _SCOPE, "sqlDiscovery": None, "webAppDiscovery": None, "oracleDiscovery": None,
        "springBootDiscovery": None, "appsAndRoles": None, "numberOfProcessorCore": None,
        "allocatedMemoryInMb": None, "operatingSystemDetails": _OS, "biosSerialNumber": None, "biosGuid": None,
        "displayName": None, "isDeleted": None, "createdTimestamp": None, "updatedTimestamp": None,
        "provisioningState": None}}


def _shape_misfits(shape, payload, path="$"):
    if shape is None or payload is None:
        return []
    if isinstance(shape, list):
        if not isinstance(payload, list):
            return ["%s: expected a list" % path]
        return [p for i, v in enumerate(payload) for p in _shape_misfits(shape[0], v, "%s[%d]" % (path, i))]
    if not isinstance(payload, dict):
        return ["%s: expected an object" % path]
    out = []
    for key, value in payload.items():
        if key not in shape:
            out.append("%s.%s: not a field of the spec" % (path, key))
        else:
            out.extend(_shape_misfits(shape[key], value, "%s.%s" % (path, key)))
    return out


def _error_misfits(body):
    """ASR's refusal: ARM's envelope with ASR's fields in details (errors.py)."""
    error = (body or {}).get("error")
    if set(body or {}) != {"error"} or not isinstance(error, dict):
        return ["not ARM's error envelope: %r" % body]
    known = ("code", "message", "target", "details", "additionalInfo")
    out = ["error.%s: unknown" % k for k in error if k not in known]
    for detail in error.get("details") or []:
        out.extend("error.details.%s: unknown" % k for k in detail if k not in (
            "code", "message", "possibleCauses", "recommendedAction", "clientRequestId", "activityId"))
    return out


def classify(method, url):
    """(kind, model) of a recorded response's URL: kind "asr" (SDK model), "offazure" (spec shape)."""
    path = urlparse(url).path.lower().rstrip("/")
    if "/providers/microsoft.offazure/vmwaresites/" in path:
        if re.search(r"/machines(/[^/]+)?$", path):
            return "offazure", OFFAZURE_MACHINE
        return None, None
    match = re.match(_SUB + r"(?P<rest>/.*)$", path)
    if match is None:
        return None, None
    rest = match.group("rest")
    if "/operationresults/" in rest:        # the final result of an LRO: the target's model (a job: Job)
        rest = rest.split("/operationresults/")[0]
        if rest == "/replicationjobs":
            return "asr", M.Job
    for pattern, model in _RULES:
        if re.fullmatch(pattern, rest):
            return "asr", model
    return None, None


@pytest.fixture
def recorded(asr_lab, monkeypatch):
    """Every (method, url, status, body) the Azure simulator answers for ASR / Azure Migrate paths."""
    seen = []
    send = requests.Session.send

    def recording(self, request, **kw):
        response = send(self, request, **kw)
        path = urlparse(request.url).path.lower()
        if request.url.startswith(asr_lab.sim.url) and not path.startswith("/_lab/") and (
                "/providers/microsoft.offazure/" in path or re.search(r"/vaults/[^/]+/replication", path)
                or "/operationresults/" in path):
            seen.append((request.method, request.url, response.status_code, response.content))
        return response
    monkeypatch.setattr(requests.Session, "send", recording)
    return seen


def _life(lab):
    """Policies, mapping, an item's whole life (enable -> ... -> protected again), a recovery plan's drill,
    and the reads a client makes on the way; every kind of ASR response at least once."""
    asr, rg, vault, fabric, container = lab.asr, lab.rg, lab.vault, lab.fabric, lab.container
    items, plans, points = asr.replication_protected_items, asr.replication_recovery_plans, asr.recovery_points

    def run(poller, advance):
        lab.advance(advance)
        return poller.result()

    def act(name, body=None, advance=600):
        args = (rg, vault, fabric, container, VM) + ((body,) if body is not None else ())
        return run(getattr(items, "begin_" + name)(*args), advance)

    policy = run(asr.replication_policies.begin_create(rg, vault, "fid-policy", {"properties": {
        "providerSpecificInput": {"instanceType": "InMageRcm", "recoveryPointHistoryInMinutes": 1440,
                                  "crashConsistentFrequencyInMinutes": 5, "appConsistentFrequencyInMinutes": 60,
                                  "enableMultiVmSync": "true"}}}), 30)
    failback = run(asr.replication_policies.begin_create(rg, vault, "fid-failback", {"properties": {
        "providerSpecificInput": {"instanceType": "InMageRcmFailback", "crashConsistentFrequencyInMinutes": 5,
                                  "appConsistentFrequencyInMinutes": 60}}}), 30)
    run(asr.replication_protection_container_mappings.begin_create(rg, vault, fabric, container, "fid-mapping", {
        "properties": {"targetProtectionContainerId": "Microsoft Azure", "policyId": policy.id,
                       "providerSpecificInput": {"instanceType": "InMageRcm"}}}), 30)
    lab.create_vm(VM, disk_gb=10)
    lab.register_agent(VM)
    machine = lab.machine(VM)
    lab.arm("GET", machine["id"], api="2023-06-06")
    run(items.begin_create(rg, vault, fabric, container, VM, {"properties": {
        "policyId": policy.id, "providerSpecificDetails": {
            "instanceType": "InMageRcm", "fabricDiscoveryMachineId": machine["id"],
            "processServerId": lab.process_server_id, "targetResourceGroupId": lab.target_rg_id,
            "targetNetworkId": lab.recovery_vnet_id, "targetSubnetName": "app", "testNetworkId": lab.test_vnet_id,
            "testSubnetName": "default", "targetVmName": VM + "-dr", "targetVmSize": "Standard_D2s_v3",
            "disksDefault": {"logStorageAccountId": lab.storage_account_id, "diskType": "Standard_LRS"}}}}), 300)
    lab.arm("GET", "%s/replicationProtectedItems/%s" % (lab.container_id, VM))     # initial replication
    lab.advance(300 + 45 * 10 + 2 * HOUR)
    lab.power(VM, False)                        # the RPO grows: replication health events
    lab.discover()
    lab.advance(2400)
    lab.discover()
    lab.power(VM, True)
    lab.discover()
    lab.advance(600)
    # reads
    list(asr.replication_fabrics.list(rg, vault))
    asr.replication_fabrics.get(rg, vault, fabric)
    list(asr.replication_protection_containers.list(rg, vault))
    list(asr.replication_protection_containers.list_by_replication_fabrics(rg, vault, fabric))
    asr.replication_protection_containers.get(rg, vault, fabric, container)
    list(asr.replication_protection_container_mappings.list(rg, vault))
    list(asr.replication_protection_container_mappings.list_by_replication_protection_containers(
        rg, vault, fabric, container))
    asr.replication_protection_container_mappings.get(rg, vault, fabric, container, "fid-mapping")
    list(asr.replication_policies.list(rg, vault))
    asr.replication_policies.get(rg, vault, "fid-failback")
    list(asr.replication_appliances.list(rg, vault))
    list(asr.replicationv_centers.list(rg, vault))
    list(asr.replication_recovery_services_providers.list(rg, vault))
    list(items.list(rg, vault))
    list(items.list_by_replication_protection_containers(rg, vault, fabric, container))
    listed = list(points.list_by_replication_protected_items(rg, vault, fabric, container, VM))
    points.get(rg, vault, fabric, container, VM, listed[0].name)
    list(asr.target_compute_sizes.list_by_replication_protected_items(rg, vault, fabric, container, VM))
    events = list(asr.replication_events.list(rg, vault))
    asr.replication_events.get(rg, vault, events[0].name)
    asr.replication_vault_health.get(rg, vault)
    run(asr.replication_vault_health.begin_refresh(rg, vault), 30)
    lab.arm("GET", lab.site_id + "/machines", api="2023-06-06")
    # a recovery plan: a drill of the item and its cleanup
    member = {"id": lab.container_id + "/replicationProtectedItems/" + VM}
    run(plans.begin_create(rg, vault, PLAN, {"properties": {
        "primaryFabricId": lab.fabric_id, "recoveryFabricId": "Microsoft Azure",
        "groups": [{"groupType": "Boot", "replicationProtectedItems": [member]}]}}), 30)
    list(plans.list(rg, vault))
    run(plans.begin_test_failover(rg, vault, PLAN, {"properties": {
        "failoverDirection": "PrimaryToRecovery", "networkType": "VmNetworkAsInput", "networkId": lab.test_vnet_id,
        "providerSpecificDetails": [{"instanceType": "InMageRcm", "recoveryPointType": "LatestProcessed"}]}}), 900)
    with pytest.raises(HttpResponseError):                    # a refusal (only the cleanup is allowed)
        items.begin_unplanned_failover(rg, vault, fabric, container, VM, {"properties": {
            "providerSpecificDetails": {"instanceType": "InMageRcm", "performShutdown": "true"}}})
    run(plans.begin_test_failover_cleanup(rg, vault, PLAN, {"properties": {"comments": "ok"}}), 600)
    # the item's life
    act("update", {"properties": {"providerSpecificDetails": {"instanceType": "InMageRcm",
                                                              "targetVmSize": "Standard_D2s_v3"}}}, 60)
    act("test_failover", {"properties": {"failoverDirection": "PrimaryToRecovery", "networkType": "VmNetworkAsInput",
                                         "providerSpecificDetails": {"instanceType": "InMageRcm",
                                                                     "networkId": lab.test_vnet_id}}})
    act("test_failover_cleanup", {"properties": {"comments": "drill ok"}}, 300)
    act("unplanned_failover", {"properties": {"failoverDirection": "PrimaryToRecovery",
                                              "sourceSiteOperations": "Required", "providerSpecificDetails": {
                                                  "instanceType": "InMageRcm", "performShutdown": "true"}}}, 900)
    older = list(points.list_by_replication_protected_items(rg, vault, fabric, container, VM))[2]
    act("apply_recovery_point", {"properties": {"providerSpecificDetails": {
        "instanceType": "InMageRcm", "recoveryPointId": older.id}}}, 400)
    act("failover_commit", None, 120)
    act("reprotect", {"properties": {"failoverDirection": "RecoveryToPrimary", "providerSpecificDetails": {
        "instanceType": "InMageRcm", "reprotectAgentId": lab.reprotect_agent_id, "datastoreName": "ds-prod-01",
        "logStorageAccountId": lab.storage_account_id, "policyId": failback.id}}}, 300)
    lab.advance(300 + 45 * 10 + 900)
    back = {"properties": {"failoverDirection": "RecoveryToPrimary", "providerSpecificDetails": {
        "instanceType": "InMageRcmFailback", "recoveryPointType": "CrashConsistent"}}}
    item = act("planned_failover", back, 400)
    points.get(rg, vault, fabric, container, VM, item.properties.failover_recovery_point_id.rsplit("/", 1)[-1])
    list(points.list_by_replication_protected_items(rg, vault, fabric, container, VM))
    act("failover_cancel", None, 300)
    act("planned_failover", back, 400)
    act("failover_commit", None, 120)
    act("reprotect", {"properties": {"failoverDirection": "PrimaryToRecovery", "providerSpecificDetails": {
        "instanceType": "InMageRcmFailback", "processServerId": lab.process_server_id, "policyId": policy.id}}}, 300)
    lab.advance(300 + 45 * 10 + 600)
    items.get(rg, vault, fabric, container, VM)
    # jobs: list, filter, get, a cancelled job, an export
    jobs = list(asr.replication_jobs.list(rg, vault, filter="targetObjectName eq '%s'" % VM))
    asr.replication_jobs.get(rg, vault, jobs[0].name)
    items.begin_update(rg, vault, fabric, container, VM, {"properties": {"providerSpecificDetails": {
        "instanceType": "InMageRcm", "targetVmSize": "Standard_D2s_v3"}}})
    running = list(asr.replication_jobs.list(rg, vault, filter="jobStatus eq 'InProgress'"))
    run(asr.replication_jobs.begin_cancel(rg, vault, [j for j in running
                                                      if j.properties.target_object_name == VM][0].name), 0)
    run(asr.replication_jobs.begin_export(rg, vault, {"startTime": jobs[-1].properties.start_time.isoformat()}), 30)
    # the end: the plan, the item, the mapping, the policies
    run(plans.begin_delete(rg, vault, PLAN), 30)
    run(items.begin_delete(rg, vault, fabric, container, VM, {"properties": {"disableProtectionReason":
                                                                             "NotSpecified"}}), 90)
    run(asr.replication_protection_container_mappings.begin_delete(rg, vault, fabric, container, "fid-mapping",
                                                                   {"properties": {}}), 30)
    for name in ("fid-policy", "fid-failback"):
        run(asr.replication_policies.begin_delete(rg, vault, name), 30)


def test_every_asr_response_of_a_whole_life_fits_its_model(asr_lab, asr_manual_clock, recorded):
    _life(asr_lab)
    problems, checked, unknown = [], set(), []
    for method, url, status, content in recorded:
        where = "%s %s -> %d" % (method, urlparse(url).path, status)
        body = json.loads(content) if content else None
        if status >= 400:
            problems.extend("%s: %s" % (where, p) for p in _error_misfits(body))
            checked.add("error")
            continue
        if body is None:
            assert status in (200, 202, 204), where          # LRO accepted / running / removed
            continue
        kind, model = classify(method, url)
        if kind is None:
            unknown.append(where)
            continue
        collection = _COLLECTIONS.search(urlparse(url).path.lower().rstrip("/")) and method == "GET" \
            and "/operationresults/" not in url.lower()
        entries = body["value"] if collection else [body]
        if collection:
            problems.extend("%s: %s: not a list field" % (where, k) for k in body if k not in ("value", "nextLink"))
        for entry in entries:
            found = _shape_misfits(model, entry) if kind == "offazure" else misfits(model, entry)
            problems.extend("%s: %s" % (where, p) for p in found)
        checked.add("OffAzure machine" if kind == "offazure" else model.__name__)
    assert not unknown, "responses no rule checks:\n  " + "\n  ".join(unknown)
    assert not problems, "\n".join(problems[:60])
    assert checked >= {"Job", "ReplicationProtectedItem", "Policy", "ProtectionContainerMapping", "Fabric",
                       "ProtectionContainer", "ReplicationAppliance", "RecoveryPlan", "RecoveryPoint", "Event",
                       "VaultHealthDetails", "OffAzure machine", "OperationResource", "VCenter",
                       "RecoveryServicesProvider", "TargetComputeSize", "error"}, checked
    assert len(recorded) > 100
