"""The naive baseline: how DR scripts drive Azure Site Recovery today, for comparison with the collection.

Straight Azure SDK (azure-mgmt-recoveryservicessiterecovery, azure-mgmt-recoveryservices), one VM at a time:
the operation of each VM is submitted in turn (one request each, no batching), then every VM is polled with its
own GET, all VMs in turn, every `--poll` seconds, until each reached the state the step needs. Vault, policies and
their associations use the SDK's own long-running-operation pollers (`.result()`), as scripts do.

    python -m bench.baseline --inventory .lab/ansible/inventory.yml --vms vms.json --scenario protect

Scenarios: protect (vault, appliance, policies, associations, enable, initial replication), rerun (what an
idempotent script checks before doing nothing: the vault, the policies, the associations, a GET per VM), drill
(test failover of every VM, then the cleanup), failover (failover to Azure with shutdown, then commit), failback
(reprotect to on-premises until protected, planned failover back, commit). Same names and settings as the
collection's roles, so both leave the lab in the same state.
"""
import argparse
import json
import sys
import time

import yaml
from azure.core.exceptions import ResourceNotFoundError
from azure.core.rest import HttpRequest
from azure.identity import ClientSecretCredential
from azure.mgmt.recoveryservices import RecoveryServicesClient
from azure.mgmt.recoveryservicessiterecovery import SiteRecoveryManagementClient

SCOPES = ["https://management.core.windows.net//.default"]
POLICY = "dr-asr-24h"
FAILBACK_POLICY = POLICY + "-failback"
AZURE_CONTAINER = "Microsoft Azure"
OFFAZURE_API = "2020-01-01"


def _ops(props):
    """What ASR allows the item now: the script decides from it, as real ASR's states are not documented."""
    return props.get("allowedOperations") or []


def _none(value):
    return value in (None, "", "None")


class Baseline(object):
    def __init__(self, inventory, poll, log=None, subnet=None):
        with open(inventory) as f:
            inv = yaml.safe_load(f)["all"]["vars"]
        az, lab = inv["dr_asr_azure"], inv["dr_asr_lab_azure"]
        self.url = inv["dr_asr_lab"]["azure_url"]
        ca = az["ca_bundle"]
        cred = ClientSecretCredential(az["tenant"], az["client_id"], az["secret"], authority=self.url,
                                      disable_instance_discovery=True, connection_verify=ca)
        kwargs = dict(base_url=self.url, credential_scopes=SCOPES, connection_verify=ca)
        self.asr = SiteRecoveryManagementClient(cred, az["subscription_id"], **kwargs)
        self.rs = RecoveryServicesClient(cred, az["subscription_id"], **kwargs)
        self.sub = az["subscription_id"]
        self.rg = lab["resource_group"]
        self.vault = "rsv-dr-lab"
        self.location = lab["location"]
        self.target_rg_id = lab["resource_group_id"]
        self.recovery_vnet = lab["recovery_vnet_id"]
        self.test_vnet = lab["test_vnet_id"]
        self.storage = lab["storage_account_id"]
        self.poll = poll
        self.subnet = subnet
        self.log = log or sys.stderr
        self.stats = {"submitted": 0, "polls": 0, "poll_rounds": 0}
        self.fabric = self.container = None

    def say(self, msg):
        self.log.write("[baseline] %s\n" % msg)
        self.log.flush()

    # -- the vault side --------------------------------------------------------------------------------
    def vault_id(self):
        return "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.RecoveryServices/vaults/%s" % (
            self.sub, self.rg, self.vault)

    def ensure_vault(self):
        try:
            return self.rs.vaults.get(self.rg, self.vault)
        except ResourceNotFoundError:
            pass
        body = {"location": self.location, "sku": {"name": "Standard"}, "properties": {"publicNetworkAccess": "Enabled"}}
        return self.rs.vaults.begin_create_or_update(self.rg, self.vault, body).result()

    def appliances(self):
        """Wait (fixed interval) until the vault has a replication appliance; the facts of every one it has."""
        while True:
            apps = []
            for entry in self.asr.replication_appliances.list(self.rg, self.vault):
                apps.extend((entry.get("properties") or {}).get("providerSpecificDetails", {}).get("appliances") or [])
            if apps:
                return apps
            self.stats["polls"] += 1
            time.sleep(self.poll)

    def appliance(self):
        return self.appliances()[0]

    def fabric_and_container(self):
        fabric = next(iter(self.asr.replication_fabrics.list(self.rg, self.vault)))
        container = next(iter(self.asr.replication_protection_containers.list_by_replication_fabrics(
            self.rg, self.vault, fabric["name"])))
        self.fabric, self.container = fabric, container
        return fabric, container

    def policy_id(self, name):
        return self.vault_id() + "/replicationPolicies/" + name

    def ensure_policies(self):
        for name, psi in ((POLICY, {"instanceType": "InMageRcm", "recoveryPointHistoryInMinutes": 1440,
                                    "crashConsistentFrequencyInMinutes": 5, "appConsistentFrequencyInMinutes": 240,
                                    "enableMultiVmSync": "true"}),
                          (FAILBACK_POLICY, {"instanceType": "InMageRcmFailback", "crashConsistentFrequencyInMinutes": 5,
                                             "appConsistentFrequencyInMinutes": 240})):
            try:
                self.asr.replication_policies.get(self.rg, self.vault, name)
            except ResourceNotFoundError:
                self.asr.replication_policies.begin_create(
                    self.rg, self.vault, name, {"properties": {"providerSpecificInput": psi}}).result()
            mapping = name + "-association"
            try:
                self.asr.replication_protection_container_mappings.get(
                    self.rg, self.vault, self.fabric["name"], self.container["name"], mapping)
            except ResourceNotFoundError:
                self.asr.replication_protection_container_mappings.begin_create(
                    self.rg, self.vault, self.fabric["name"], self.container["name"], mapping,
                    # a failback policy's association targets the container itself [recorded]
                    {"properties": {"targetProtectionContainerId": self.container["id"] if name == FAILBACK_POLICY
                                    else AZURE_CONTAINER, "policyId": self.policy_id(name),
                                    "providerSpecificInput": {}}}).result()

    def _arm_list(self, path):
        url = self.url + path + ("&" if "?" in path else "?") + "api-version=" + OFFAZURE_API
        out = []
        while url:
            resp = self.asr._client.send_request(HttpRequest("GET", url))  # pylint: disable=protected-access
            resp.raise_for_status()
            page = resp.json()
            out.extend(page.get("value") or [])
            url = page.get("nextLink")
        return out

    def machines(self):
        site = self.fabric["properties"]["customDetails"]["vmwareSiteId"]
        return dict(((m["properties"].get("displayName") or ""), m) for m in self._arm_list(site + "/machines"))

    def run_as_accounts(self):
        site = self.fabric["properties"]["customDetails"]["vmwareSiteId"]
        return dict((a["properties"].get("credentialType"), a["id"]) for a in self._arm_list(site + "/runasaccounts"))

    # -- items ---------------------------------------------------------------------------------------
    def _item_args(self, name):
        return (self.rg, self.vault, self.fabric["name"], self.container["name"], name)

    def get_item(self, name):
        try:
            return self.asr.replication_protected_items.get(*self._item_args(name))
        except ResourceNotFoundError:
            return None

    def items_by_vm(self, vms):
        """Item names of the VMs (what a script keeps from the enable; here listed once)."""
        found = {}
        for item in self.asr.replication_protected_items.list(self.rg, self.vault):
            found[item["properties"]["friendlyName"]] = item["name"]
        return [(vm, found[vm]) for vm in vms]

    def wait_all(self, items, done, what):
        """Poll every item with its own GET, every `poll` seconds, until done(item) for all. Failed jobs raise."""
        pending = dict(items)
        started = time.monotonic()
        while pending:
            self.stats["poll_rounds"] += 1
            for vm, name in list(pending.items()):
                item = self.get_item(name)
                self.stats["polls"] += 1
                if item is not None and done(item["properties"]):
                    del pending[vm]
            if pending:
                time.sleep(self.poll)
        self.say("%s: %d VMs in %.1f s" % (what, len(items), time.monotonic() - started))

    @staticmethod
    def _idle(props):
        scenario = props.get("currentScenario") or {}
        return _none(scenario.get("scenarioName"))

    # -- scenarios -------------------------------------------------------------------------------------
    def protect(self, vms):
        """Several appliances (registered before, as people do): the VMs in turn over them (round robin), as a script
        keeps each within ASR's documented capacity of 200 protected machines per appliance."""
        self.ensure_vault()
        apps = self.appliances()
        self.fabric_and_container()
        self.ensure_policies()
        machines = self.machines()
        accounts = self.run_as_accounts()
        items = []
        for i, vm in enumerate(vms):
            app = apps[i % len(apps)]
            machine = machines[vm]
            linux = "windows" not in json.dumps(machine["properties"].get("guestOSDetails") or {}).lower()
            body = {"properties": {"policyId": self.policy_id(POLICY), "providerSpecificDetails": {
                "instanceType": "InMageRcm", "fabricDiscoveryMachineId": machine["id"],
                "processServerId": app["processServer"]["id"],
                "runAsAccountId": accounts["LinuxServer" if linux else "WindowsServer"],
                "targetResourceGroupId": self.target_rg_id, "targetNetworkId": self.recovery_vnet,
                "testNetworkId": self.test_vnet,
                "disksDefault": {"logStorageAccountId": self.storage, "diskType": "Standard_LRS"}}}}
            if self.subnet:
                body["properties"]["providerSpecificDetails"].update(targetSubnetName=self.subnet, testSubnetName=self.subnet)
            self.asr.replication_protected_items.begin_create(*self._item_args(machine["name"]), input=body, polling=False)
            self.stats["submitted"] += 1
            items.append((vm, machine["name"]))
        self.wait_all(items, lambda p: p.get("protectionState") == "Protected" and self._idle(p), "protected")

    def rerun(self, vms):
        self.rs.vaults.get(self.rg, self.vault)
        self.fabric_and_container()
        for name in (POLICY, FAILBACK_POLICY):
            self.asr.replication_policies.get(self.rg, self.vault, name)
            self.asr.replication_protection_container_mappings.get(
                self.rg, self.vault, self.fabric["name"], self.container["name"], name + "-association")
        machines = self.machines()
        for vm in vms:
            self.get_item(machines[vm]["name"])
            self.stats["polls"] += 1

    def _each(self, items, start, done, what):
        for _vm, name in items:
            start(name)
            self.stats["submitted"] += 1
        self.wait_all(items, done, what)

    def drill(self, vms):
        self.fabric_and_container()
        items = self.items_by_vm(vms)
        ops = self.asr.replication_protected_items
        tfo = {"properties": {"failoverDirection": "PrimaryToRecovery", "networkType": "VmNetworkAsInput",
                              "networkId": self.test_vnet,
                              "providerSpecificDetails": {"instanceType": "InMageRcm", "networkId": self.test_vnet}}}
        self._each(items, lambda n: ops.begin_test_failover(*self._item_args(n), testfailover_input=tfo, polling=False),
                   lambda p: p.get("testFailoverState") == "WaitingForCompletion" and self._idle(p), "test failover")
        cleanup = {"properties": {"comments": "bench"}}
        self._each(items, lambda n: ops.begin_test_failover_cleanup(*self._item_args(n), cleanup_input=cleanup,
                                                                    polling=False),
                   lambda p: "TestFailoverCleanup" not in _ops(p) and self._idle(p), "test failover cleanup")

    def failover(self, vms):
        self.fabric_and_container()
        items = self.items_by_vm(vms)
        ops = self.asr.replication_protected_items
        body = {"properties": {"failoverDirection": "PrimaryToRecovery", "sourceSiteOperations": "Required",
                               "providerSpecificDetails": {"instanceType": "InMageRcm", "performShutdown": "true"}}}
        self._each(items, lambda n: ops.begin_unplanned_failover(*self._item_args(n), failover_input=body, polling=False),
                   lambda p: p.get("activeLocation") == "Recovery" and self._idle(p), "failover")
        self._each(items, lambda n: ops.begin_failover_commit(*self._item_args(n), polling=False),
                   lambda p: "Commit" not in _ops(p) and self._idle(p), "commit")

    def failback(self, vms, datastore):
        app = self.appliance()
        self.fabric_and_container()
        items = self.items_by_vm(vms)
        ops = self.asr.replication_protected_items
        body = {"properties": {"failoverDirection": "RecoveryToPrimary", "providerSpecificDetails": {
            "instanceType": "InMageRcm", "reprotectAgentId": app["reprotectAgent"]["id"], "datastoreName": datastore,
            "logStorageAccountId": self.storage, "policyId": self.policy_id(FAILBACK_POLICY)}}}
        self._each(items, lambda n: ops.begin_reprotect(*self._item_args(n), reprotect_input=body, polling=False),
                   lambda p: p.get("protectionState") == "Protected" and self._idle(p), "reprotect")
        # the failback is sent without failoverDirection [recorded]; it is done when its commit is allowed
        back = {"properties": {"providerSpecificDetails": {"instanceType": "InMageRcmFailback",
                                                           "recoveryPointType": "CrashConsistent"}}}
        self._each(items, lambda n: ops.begin_planned_failover(*self._item_args(n), failover_input=back, polling=False),
                   lambda p: "Commit" in _ops(p) and self._idle(p), "failback")
        self._each(items, lambda n: ops.begin_failover_commit(*self._item_args(n), polling=False),
                   lambda p: "Commit" not in _ops(p) and self._idle(p), "commit")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.baseline", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--inventory", required=True, help="the lab's inventory.yml (written by lab up)")
    parser.add_argument("--vms", required=True, help="JSON file: the VM names")
    parser.add_argument("--scenario", required=True, choices=["protect", "rerun", "drill", "failover", "failback"])
    parser.add_argument("--poll", type=float, default=2.0, help="seconds between poll rounds (fixed)")
    parser.add_argument("--datastore", default="ds-prod-01")
    parser.add_argument("--subnet", help="subnet of the replicas and test VMs (default: ASR's choice)")
    parser.add_argument("--stats", help="write what it did (requests submitted, polls) as JSON here")
    args = parser.parse_args(argv)
    with open(args.vms) as f:
        vms = json.load(f)
    run = Baseline(args.inventory, args.poll, subnet=args.subnet)
    started = time.monotonic()
    if args.scenario == "failback":
        run.failback(vms, args.datastore)
    else:
        getattr(run, args.scenario)(vms)
    run.stats["seconds"] = round(time.monotonic() - started, 3)
    run.say("%s of %d VMs: %s" % (args.scenario, len(vms), run.stats))
    if args.stats:
        with open(args.stats, "w") as f:
            json.dump(run.stats, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
