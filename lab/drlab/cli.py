"""`lab up | down | status | reset | env | prepare`: the lab's one command.

up       prepare, start the Azure and vCenter simulators and the guests (an sshd per powered-on Linux
         VM of the vCenter inventory), seed the Azure side, write the Ansible inventory
down     stop the guests and both simulators (by pid)
status   what runs where
reset    wipe the Azure state and restart the vCenter simulator from its inventory
env      shell exports (AZURE_*, VMWARE_*) for tools that read the environment
prepare  create the lab CA and build the vCenter simulator (what scripts/setup calls)
"""
import argparse
import json
import os
import ssl
import sys
import time
import urllib.request

from drlab import ca, guests, procs
from drlab.settings import REPO_ROOT, get_settings, venv_bin

AZURE = "azure-sim"
VCENTER = "vcsim-lab"


def _azure_argv(settings):
    return [sys.executable, "-m", "drlab.azure", "--state-dir", settings.state_dir,
            "--host", settings.host, "--port", str(settings.azure_port)]


def _env(settings=None):
    env = dict(os.environ)
    lab = os.path.join(REPO_ROOT, "lab")
    env["PYTHONPATH"] = lab + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    if settings is not None:
        # the simulated replication appliance reaches the lab vCenter like a real one does
        env.update(DRLAB_VCENTER_URL=settings.vcenter_url, DRLAB_VCENTER_USER=settings.vcenter_user,
                   DRLAB_VCENTER_PASSWORD=settings.vcenter_password, DRLAB_VCENTER_CA=settings.ca_pem)
    return env


def prepare(settings):
    ca.ensure_ca(settings.ca_dir)
    ca.ensure_server_cert(settings.ca_dir, "azure", (settings.host, "localhost"))
    ca.ensure_server_cert(settings.ca_dir, "vcenter", (settings.host, "localhost"))
    from drlab.vcenter import build
    return build.build(settings)


def _vcenter_argv(settings):
    from drlab.vcenter import inventory, build
    inv = inventory.write_json(settings)
    return build.command(settings, inv)


def admin(settings, method, path, body=None):
    """Call the Azure simulator's /_lab admin API."""
    ctx = ssl.create_default_context(cafile=settings.ca_pem)
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(settings.azure_url + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, context=ctx, timeout=30) as resp:
        raw = resp.read()
        return json.loads(raw) if raw else None


def up(settings):
    prepare(settings)
    procs.start(settings, AZURE, _azure_argv(settings), marker="drlab.azure",
                ready_line="AZURE-SIM READY", env=_env(settings))
    procs.start(settings, VCENTER, _vcenter_argv(settings), marker="vcsim-lab",
                ready_line="VCSIM-LAB READY", env=_env())
    guests.up(settings)
    from drlab import seed
    seed.seed_azure(settings)
    path = write_inventory(settings)
    status(settings)
    print("inventory: %s" % path)


def restart_azure(settings, pause=0.0):
    """Stop the Azure simulator and start it again (its state is SQLite: resources, jobs and the lab clock
    survive; the runtime configuration, faults, throttle and request log start from the configuration).
    Returns the new pid."""
    procs.stop(settings, AZURE, "drlab.azure")
    if pause:
        time.sleep(pause)
    return procs.start(settings, AZURE, _azure_argv(settings), marker="drlab.azure",
                       ready_line="AZURE-SIM READY", env=_env(settings))


def down(settings):
    stopped = guests.down(settings)
    print("guests: %s" % ("stopped " + ", ".join(stopped) if stopped else "not running"))
    for name, marker in ((VCENTER, "vcsim-lab"), (AZURE, "drlab.azure")):
        print("%s: %s" % (name, "stopped" if procs.stop(settings, name, marker) else "not running"))


def status(settings):
    ok = True
    for name, marker, url in ((AZURE, "drlab.azure", settings.azure_url),
                              (VCENTER, "vcsim-lab", settings.vcenter_url)):
        pid = procs.running_pid(settings, name, marker)
        ok = ok and bool(pid)
        print("%-12s %-10s %s" % (name, ("pid %d" % pid) if pid else "down", url))
    for guest, pid in guests.status(settings):
        ok = ok and bool(pid)
        state = ("pid %d" % pid) if pid else "down"
        print("%-12s %-10s ssh://root@%s:%d (%s)" % (guest.name, state, guest.address, guest.port, guest.hostname))
    return ok


def reset(settings):
    admin(settings, "POST", "/_lab/reset")
    procs.stop(settings, VCENTER, "vcsim-lab")
    procs.start(settings, VCENTER, _vcenter_argv(settings), marker="vcsim-lab",
                ready_line="VCSIM-LAB READY", env=_env())
    from drlab import seed
    seed.seed_azure(settings)
    print("lab reset")


def connection_vars(settings):
    """What points the collection at the lab: the dicts applied with module_defaults."""
    return {
        "dr_asr_azure": {
            "auth_source": "env",
            "cloud_environment": settings.azure_metadata_url,
            "subscription_id": settings.subscription_id,
            "tenant": settings.tenant_id,
            "client_id": settings.client_id,
            "secret": settings.client_secret,
            "ca_bundle": settings.ca_pem,
        },
        "dr_asr_vsphere": {
            "hostname": settings.host,
            "port": settings.vcenter_port,
            "username": settings.vcenter_user,
            "password": settings.vcenter_password,
            "ca_path": settings.ca_pem,
        },
        "dr_asr_lab": {
            "azure_url": settings.azure_url,
            "vcenter_url": settings.vcenter_url,
            "state_dir": settings.state_dir,
            # what points `python -m drlab...` on the controller at this lab (e.g. the lab appliance
            # issuing config.json for the mobility_service role)
            "environment": {"PYTHONPATH": os.path.join(REPO_ROOT, "lab"), "DRLAB_STATE_DIR": settings.state_dir,
                            "DRLAB_HOST": settings.host, "DRLAB_AZURE_PORT": str(settings.azure_port),
                            "DRLAB_VCENTER_PORT": str(settings.vcenter_port)},
        },
    }


def write_inventory(settings):
    from drlab import seed
    os.makedirs(settings.path("ansible"), exist_ok=True)
    lab_vars = connection_vars(settings)
    lab_vars.update(seed.inventory_vars(settings))
    inventory = {"all": {
        "hosts": {"localhost": {"ansible_connection": "local",
                                "ansible_python_interpreter": venv_bin("python")}},
        "children": guests.inventory_group(settings),
        "vars": lab_vars}}
    path = settings.path("ansible", "inventory.yml")
    fd = os.open(path + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write("# Written by `lab up`: points dr.asr at the lab. Lab-only credentials.\n")
        json.dump(inventory, f, indent=2)  # JSON is YAML
        f.write("\n")
    os.replace(path + ".tmp", path)
    return path


def env(settings):
    v = connection_vars(settings)
    a, s = v["dr_asr_azure"], v["dr_asr_vsphere"]
    exports = {
        "AZURE_CLOUD_ENVIRONMENT": a["cloud_environment"], "AZURE_SUBSCRIPTION_ID": a["subscription_id"],
        "AZURE_TENANT": a["tenant"], "AZURE_CLIENT_ID": a["client_id"], "AZURE_SECRET": a["secret"],
        "AZURE_CA_BUNDLE": a["ca_bundle"], "VMWARE_HOST": s["hostname"], "VMWARE_PORT": s["port"],
        "VMWARE_USER": s["username"], "VMWARE_PASSWORD": s["password"], "VMWARE_CA_PATH": s["ca_path"],
    }
    for key, value in exports.items():
        print("export %s=%s" % (key, json.dumps(str(value))))


def main(argv=None):
    parser = argparse.ArgumentParser(prog="lab", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["up", "down", "status", "reset", "env", "prepare"])
    args = parser.parse_args(argv)
    settings = get_settings()
    try:
        if args.command == "status":
            sys.exit(0 if status(settings) else 3)
        {"up": up, "down": down, "reset": reset, "env": env, "prepare": prepare}[args.command](settings)
    except procs.LabProcessError as exc:
        print("lab: %s" % exc, file=sys.stderr)
        sys.exit(1)
