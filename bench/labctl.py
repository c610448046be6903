"""A private lab per benchmark size: started through the lab's own code (drlab.testing.privatelab, as the
integration tests do) with the vCenter inventory sized by DRLAB_VCENTER_VMS, and the knobs a benchmark sets:
time scale, ASR durations, ARM latency."""
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LAB = os.path.join(REPO, "lab")
if LAB not in sys.path:
    sys.path.insert(0, LAB)

# pylint: disable=wrong-import-position
from drlab import cli  # noqa: E402
from drlab.azure.client import AdminClient  # noqa: E402
from drlab.testing import privatelab  # noqa: E402
from drlab.vcenter.inventory import VM_COUNT_ENV  # noqa: E402

LATENCY_RULE = "bench-arm-latency"
FABRIC_TYPE = "Microsoft.RecoveryServices/vaults/replicationFabrics"
ITEM_TYPE = ("Microsoft.RecoveryServices/vaults/replicationFabrics/replicationProtectionContainers/"
             "replicationProtectedItems")


def appliance_load(admin):
    """{appliance name: protected items replicating through it} from the lab's records (no ARM request, so nothing in
    the step's request log): each item's processServerId (what ASR states on the item) against the process server of
    each appliance registered in the vault's fabrics. Items whose process server is no registered appliance count
    under their id."""
    names = {}
    for res in admin.resources(type=FABRIC_TYPE):
        res = res.get("body") or res
        for appliance in (res.get("_lab") or {}).get("appliances") or []:
            names[str((appliance.get("ids") or {}).get("processServer") or "").lower()] = appliance.get("name")
    load = dict((name, 0) for name in names.values())
    for res in admin.resources(type=ITEM_TYPE):
        res = res.get("body") or res
        details = (res.get("properties") or {}).get("providerSpecificDetails") or {}
        server = str(details.get("processServerId") or "")
        if not server:
            continue
        name = names.get(server.lower(), server)
        load[name] = load.get(name, 0) + 1
    return load


class BenchLab(object):
    """A running private lab of `vm_count` generated VMs (app-0001...)."""

    def __init__(self, state_dir, vm_count):
        self.state_dir = state_dir
        self.vm_count = vm_count
        self.settings = None
        self.admin = None

    def start(self):
        os.environ[VM_COUNT_ENV] = str(self.vm_count)     # read when the vCenter inventory is written
        self.settings = privatelab.start(self.state_dir)
        self.admin = AdminClient(self.settings.azure_url, self.settings.ca_pem, timeout=120)
        return self

    def stop(self):
        if self.settings is not None:
            cli.down(self.settings)
            self.settings = None

    def reset(self):
        """Wipe the Azure state (the runtime config stays) and restart vCenter from its inventory."""
        os.environ[VM_COUNT_ENV] = str(self.vm_count)
        cli.reset(self.settings)

    @property
    def inventory(self):
        return self.settings.path("ansible", "inventory.yml")

    def configure(self, time_scale, durations, latency_ms, seed=1):
        """Lab time scale, ASR durations (lab seconds, merged into asr.durations), per-call ARM latency."""
        if durations:
            self.admin.patch_config(asr={"durations": durations})
        self.admin.call("POST", "clock", {"time_scale": time_scale})
        rules = []
        if latency_ms:
            rules.append({"name": LATENCY_RULE, "match": {"kinds": ["arm"]}, "latency_ms": list(latency_ms)})
        self.admin.set_faults(rules, seed=seed)

    def add_subnets(self, name):
        """A /20 subnet `name` (4091 usable addresses) in the seeded recovery and test networks: their `app` and
        `default` subnets are /24 (251 usable addresses in Azure), too small for more VMs than that."""
        from azure.identity import ClientSecretCredential  # pylint: disable=import-outside-toplevel
        from azure.mgmt.network import NetworkManagementClient  # pylint: disable=import-outside-toplevel
        from azure.mgmt.network.models import Subnet  # pylint: disable=import-outside-toplevel
        from drlab import seed  # pylint: disable=import-outside-toplevel
        s = self.settings
        cred = ClientSecretCredential(s.tenant_id, s.client_id, s.client_secret, authority=s.azure_url,
                                      disable_instance_discovery=True, connection_verify=s.ca_pem)
        net = NetworkManagementClient(cred, s.subscription_id, base_url=s.azure_url, connection_verify=s.ca_pem,
                                      credential_scopes=["https://management.core.windows.net//.default"])
        for vnet, space, _subnets in (seed.RECOVERY_VNET, seed.TEST_VNET):
            prefix = "%s.16.0/20" % ".".join(space.split(".")[:2])
            net.subnets.begin_create_or_update(seed.RESOURCE_GROUP, vnet, name, Subnet(address_prefix=prefix)).result()

    def clock(self):
        return self.admin.clock()

    def config(self):
        return self.admin.config()

    def env(self):
        """What points `python -m drlab...` and the SDK baseline at this lab."""
        s = self.settings
        return {"PYTHONPATH": LAB, "DRLAB_STATE_DIR": s.state_dir, "DRLAB_HOST": s.host,
                "DRLAB_AZURE_PORT": str(s.azure_port), "DRLAB_VCENTER_PORT": str(s.vcenter_port)}
