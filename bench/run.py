"""`python -m bench` (`make bench`): the dr.asr benchmark.

For each size N (`--sizes 10,100,500`) a private lab is started with a vCenter of generated VMs (DRLAB_VCENTER_VMS,
enough that N of them pass the protect role's readiness gate), ARM latency injected on every call (`--latency`),
lab time running `--time-scale` times faster than real time. Then, measured one by one:

  protect    playbooks/protect.yml from scratch (vault, appliance, policies, enable, initial replication)
  rerun      the same again (idempotent: nothing to do)
  drill      recovery plans of at most 100 VMs, test failover of each, cleanup (bench/playbooks/drill.yml)
  failover   failover of each plan, commit (bench/playbooks/failover.yml)
  failback   reprotect to on-premises until protected, planned failover back, commit (bench/playbooks/failback.yml)

then the lab's Azure state is reset and the naive SDK baseline (bench/baseline.py) runs the same scenarios. Each
step records wall time, controller CPU time and peak memory, the ARM requests by verb and resource type from the
lab's request log, 429s, module invocations (bench/callback_plugins/bench_counter.py), its lower bound
(bench/lowerbound.py) and the controller's overhead (wall - lower bound, the part inside lab requests apart).
Results: bench/results/<date>.json and .md (sizes of an earlier run of the same name kept); `--compare FILE` adds
"before -> after" columns against an earlier result file.

Above 200 VMs (`--appliances auto`), the VMs replicate through several appliances (ASR's documented capacity: 200
protected machines per appliance): an unmeasured set-up step (bench/playbooks/appliances.yml) creates the vault and
registers them before the measured protect, as people do before they run the protect playbook.
"""
import argparse
import datetime
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

from bench import labctl, lowerbound, measure, report

REPO = labctl.REPO
BENCH = os.path.join(REPO, "bench")
VENV_BIN = os.path.join(REPO, ".venv", "bin")
SCENARIOS = ("protect", "rerun", "drill", "failover", "failback")
PLAN_SIZE = 100                 # ASR: at most 100 protected items per recovery plan
PASS_RATE = 0.55                # share of generated VMs that pass readiness (the generator's mix: ~0.6)
VAULT = "rsv-dr-lab"            # the protect playbook's lab default
DATASTORE = "ds-prod-01"
BIG_SUBNET = "bench"
#: protected machines one appliance handles: Microsoft Learn, "Deploy Azure Site Recovery replication appliance -
#: Modernized", "Sizing and capacity" (plugins/module_utils/_asr/capacity.py MAX_PROTECTED_MACHINES, the same source)
PER_APPLIANCE = 200
#: replication appliances one Recovery Services vault takes: Microsoft Learn, "Azure subscription and service limits",
#: "Site Recovery limits" ("Number of appliances per Recovery Services vault: 250"; its earlier text: "servers")
PER_VAULT_APPLIANCES = 250
#: from this size on, at least two appliances (issue 14: 1,000 VMs "over at least two appliances")
MULTI_APPLIANCE_FROM = 1000
FIRST_APPLIANCE = "drlab-appliance-01"      # the lab's own (lab/config/azure.yml asr.appliance.name)


def _log(msg):
    sys.stderr.write("[bench %s] %s\n" % (time.strftime("%H:%M:%S"), msg))
    sys.stderr.flush()


def ansible_env(counter_out):
    env = dict(os.environ)
    env.update(ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, ".lab", "collections"),
               ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
               ANSIBLE_DEPRECATION_WARNINGS="0", PYTHONPATH=labctl.LAB,
               ANSIBLE_CALLBACK_PLUGINS=os.path.join(BENCH, "callback_plugins"),
               ANSIBLE_CALLBACKS_ENABLED="bench_counter", BENCH_COUNTER_OUT=counter_out)
    return env


def sim_cpu_seconds(lab):
    """CPU time used so far by the lab's Azure simulator (the server side of every request)."""
    from drlab import procs  # pylint: disable=import-outside-toplevel
    pid = procs.running_pid(lab.settings, "azure-sim", "drlab.azure")
    if not pid:
        return None
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / float(os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return None


class Run(object):
    def __init__(self, args, size, workdir):
        self.args = args
        self.size = size
        self.workdir = workdir
        self.vcenter_vms = int(math.ceil(size / PASS_RATE)) + 3
        self.lab = labctl.BenchLab(os.path.join(workdir, "lab"), self.vcenter_vms)
        self.vms = []
        self.families = {}
        self.plans = []
        self.appliances = appliances_for(args.appliances, size)
        self.result = {"size": size, "vcenter_vms": self.vcenter_vms, "scenarios": {}, "appliances": self.appliances}
        if size > self.appliances * PER_APPLIANCE:
            self.result["notes"] = ["%d VMs over %d appliance(s): more than the documented %d protected machines per "
                                    "appliance" % (size, self.appliances, PER_APPLIANCE)]
        self.on_step = None

    # -- set-up (not measured) -------------------------------------------------------------------------
    def setup(self):
        started = time.monotonic()
        self.lab.start()
        self.configure()
        out = os.path.join(self.workdir, "selected.json")
        rc = self._playbook("select", os.path.join(BENCH, "playbooks", "select.yml"),
                            {"bench_select_out": out}, measured=False)
        if rc != 0:
            raise RuntimeError("selecting the VMs failed; see %s" % self._logpath("select"))
        with open(out) as f:
            eligible = json.load(f)
        if len(eligible) < self.size:
            raise RuntimeError("only %d of %d generated VMs pass readiness; %d needed"
                               % (len(eligible), self.vcenter_vms, self.size))
        self.vms = eligible[:self.size]
        self.families = _read_json(out + ".families.json") or {}
        self.plans = [{"name": "rp-bench-%02d" % (i // PLAN_SIZE + 1), "vms": self.vms[i:i + PLAN_SIZE]}
                      for i in range(0, len(self.vms), PLAN_SIZE)]
        with open(os.path.join(self.workdir, "vms.json"), "w") as f:
            json.dump(self.vms, f)
        self.result.update(vms=len(self.vms), plans=len(self.plans), setup_seconds=round(time.monotonic() - started, 1))
        _log("size %d: lab up with %d vCenter VMs, %d selected, %d plan(s), %d appliance(s)"
             % (self.size, self.vcenter_vms, len(self.vms), len(self.plans), self.appliances))

    def appliance_names(self):
        first = ((self.lab.config().get("asr") or {}).get("appliance") or {}).get("name") or FIRST_APPLIANCE
        return [first] + ["drlab-appliance-%02d" % i for i in range(2, self.appliances + 1)]

    def prepare_vault(self):
        """Several appliances: the vault and every appliance registered before the measured protect (unmeasured), as
        in real life, where people deploy and register the appliances before the protect playbook runs. One
        appliance: nothing, protect starts from scratch (it creates the vault; the lab's appliance registers by
        itself)."""
        if self.appliances < 2:
            return
        started = time.monotonic()
        extra = dict(self.bench_vars(), bench_appliance_names=self.appliance_names())
        if self._playbook("appliances", os.path.join(BENCH, "playbooks", "appliances.yml"), extra, measured=False):
            raise RuntimeError("registering %d appliances failed; see %s" % (self.appliances, self._logpath("appliances")))
        _log("size %d: vault with %d appliances registered in %.1f s"
             % (self.size, self.appliances, time.monotonic() - started))

    def configure(self):
        self.lab.configure(self.args.time_scale, {"initial_replication_per_gb": self.args.ir_per_gb},
                           self.args.latency)
        if self.subnet:
            self.lab.add_subnets(self.subnet)

    @property
    def subnet(self):
        """The subnet replicas and test VMs get: the seed's /24 ones hold 251 VMs, bigger sizes get a /20."""
        if self.args.subnet == "auto":
            return BIG_SUBNET if self.size > 200 else None
        return self.args.subnet or None

    def _logpath(self, name):
        return os.path.join(self.workdir, "logs", "%s.log" % name)

    def _playbook(self, name, path, extra, measured=True):
        os.makedirs(os.path.join(self.workdir, "logs"), exist_ok=True)
        extra_path = os.path.join(self.workdir, "%s.vars.json" % name)
        with open(extra_path, "w") as f:
            json.dump(extra, f)
        argv = [os.path.join(VENV_BIN, "ansible-playbook"), "-i", self.lab.inventory, path, "-e", "@" + extra_path]
        counter = os.path.join(self.workdir, "%s.counter.json" % name)
        res = measure.run(argv, env=ansible_env(counter), cwd=REPO, log_path=self._logpath(name),
                          timeout=self.args.step_timeout)
        if measured:
            return res, counter
        return res["rc"]

    # -- one measured step -----------------------------------------------------------------------------
    def step(self, kind, scenario):
        admin = self.lab.admin
        name = "%s-%s" % (kind, scenario)
        admin.clear_requests()
        lab0 = admin.clock()["lab_epoch"]
        sim0 = sim_cpu_seconds(self.lab)
        load0 = os.getloadavg()
        if kind == "collection":
            if self.args.roles and scenario == "drill":     # the roles take existing plans: made here, unmeasured
                if self._playbook("plans", os.path.join(BENCH, "playbooks", "plans.yml"), self.bench_vars(), measured=False):
                    raise RuntimeError("creating the recovery plans failed; see %s" % self._logpath("plans"))
                admin.clear_requests()
                lab0 = admin.clock()["lab_epoch"]
            res, counter = self._playbook(name, self.playbook(scenario), self.extra_vars(scenario))
        else:
            stats = os.path.join(self.workdir, "%s.stats.json" % name)
            argv = [os.path.join(VENV_BIN, "python"), "-m", "bench.baseline", "--inventory", self.lab.inventory,
                    "--vms", os.path.join(self.workdir, "vms.json"), "--scenario", scenario,
                    "--poll", str(self.args.poll), "--datastore", DATASTORE, "--stats", stats]
            if self.subnet:
                argv += ["--subnet", self.subnet]
            env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + labctl.LAB)
            res = measure.run(argv, env=env, cwd=REPO, log_path=self._logpath(name), timeout=self.args.step_timeout)
        lab1 = admin.clock()["lab_epoch"]
        sim1 = sim_cpu_seconds(self.lab)
        summary = admin.summary()
        entries = admin.requests()
        if self.args.raw_dir:
            os.makedirs(self.args.raw_dir, exist_ok=True)
            with open(os.path.join(self.args.raw_dir, "%d-%s.json" % (self.size, name)), "w") as f:
                json.dump({"summary": summary, "entries": entries}, f)
        out = dict(res)
        out["lab_seconds"] = round(lab1 - lab0, 1)
        out["loadavg_1m_before_after"] = [round(load0[0], 2), round(os.getloadavg()[0], 2)]
        out["sim_cpu_seconds"] = round(sim1 - sim0, 2) if sim0 is not None and sim1 is not None else None
        out["requests"] = measure.summarize_requests(summary, entries, len(self.vms))
        out["lower_bound"] = lowerbound.compute(admin, scenario, lab0, lab1)
        if scenario in ("protect", "rerun"):
            out["appliances"] = labctl.appliance_load(admin)
        if kind == "collection":
            out["ansible"] = _read_json(counter)
            out["processes"] = (out["ansible"] or {}).get("module_invocations")
        else:
            out["baseline"] = _read_json(stats)
            out["processes"] = 1
        if res["rc"] != 0:
            out["log_tail"] = _tail(self._logpath(name))
        _log("size %d %-10s %-8s rc=%s wall %.1fs cpu %.1fs ARM %d (%.1f/VM) 429s %d LB %.0f lab s%s"
             % (self.size, kind, scenario, res["rc"], res["wall_seconds"], res["cpu_seconds"],
                out["requests"]["arm"], out["requests"]["per_vm"] or 0, out["requests"]["throttled_429"],
                out["lower_bound"]["lab_seconds"],
                " VMs per appliance %s" % out["appliances"] if out.get("appliances") else ""))
        return out

    def protect_vms(self):
        """The role's protect_vms: the names (with several appliances too: each appliance adds its own credentials and
        the role finds the push-install credential on them)."""
        return self.vms

    def playbook(self, scenario):
        if scenario in ("protect", "rerun"):
            return os.path.join(REPO, "playbooks", "protect.yml")
        if self.args.roles:
            return os.path.join(REPO, "playbooks", "%s.yml" % scenario)
        return os.path.join(BENCH, "playbooks", "%s.yml" % scenario)

    def bench_vars(self):
        return {"bench_vault_name": VAULT, "bench_vault_resource_group": "rg-dr-lab", "bench_plans": self.plans,
                "bench_datastore": DATASTORE, "bench_wait_sleep": self.args.wait_sleep}

    def extra_vars(self, scenario):
        if scenario in ("protect", "rerun"):
            extra = {"protect_vms": self.protect_vms()}
            if self.subnet:
                extra.update(protect_target_subnet=self.subnet, protect_test_subnet=self.subnet)
            return extra
        if not self.args.roles:
            return self.bench_vars()
        plans = [p["name"] for p in self.plans]
        if scenario == "drill":       # the role's own report, checks (none for the generated VMs) and cleanup
            return {"drill_recovery_plans": plans, "drill_report_dir": os.path.join(self.workdir, "drill-reports")}
        if scenario == "failover":
            return {"failover_confirm": True, "failover_recovery_plans": plans}
        return {"failback_confirm": True, "failback_recovery_plans": plans, "failback_datastore": DATASTORE,
                "failback_reprotect_to_azure": False}

    # -- all of it -----------------------------------------------------------------------------------------
    def run_kind(self, kind, wanted):
        """Every scenario up to the last one wanted, in order (the earlier ones set up the later ones); the
        wanted ones are recorded. Stops at the first failure."""
        last = max(SCENARIOS.index(s) for s in wanted)
        for scenario in SCENARIOS[:last + 1]:
            out = self.step(kind, scenario)
            if scenario in wanted:
                self.result["scenarios"].setdefault(scenario, {})[kind] = out
                self.bound(scenario)
                if self.on_step:
                    self.on_step(self.result)
            if out["rc"] != 0:
                _log("size %d: %s %s failed (rc %s); log: %s"
                     % (self.size, kind, scenario, out["rc"], self._logpath("%s-%s" % (kind, scenario))))
                return False
        return True

    def bound(self, scenario):
        """The scenario's lower bound: the smaller of the two runs' (neither way can beat it)."""
        set_bound(self.result["scenarios"][scenario], self.args.time_scale)

    def run(self, wanted, baseline):
        try:
            self.setup()
            if not self.args.no_collection:
                self.prepare_vault()
                self.result["collection_ok"] = self.run_kind("collection", wanted)
                if baseline:
                    self.lab.reset()
                    self.configure()
            if baseline:
                self.prepare_vault()
                self.result["baseline_ok"] = self.run_kind("baseline", wanted)
        finally:
            self.lab.stop()
        for scenario in self.result["scenarios"]:
            self.bound(scenario)
        return self.result


def set_bound(data, time_scale):
    """A scenario's lower bound - the smaller of the two runs' (neither way can beat it) - and each run's overhead
    against it (report.overhead)."""
    bounds = [data[k]["lower_bound"]["lab_seconds"] for k in report.KINDS if k in data and data[k]["rc"] == 0]
    lab_lb = min(bounds) if bounds else None
    data["lower_bound_lab_seconds"] = lab_lb
    data["lower_bound_seconds"] = round(lab_lb / time_scale, 2) if lab_lb is not None else None
    for kind in report.KINDS:
        if kind in data:
            data[kind]["overhead"] = report.overhead(data[kind], data["lower_bound_seconds"])


def appliances_for(option, size):
    """--appliances N|auto for a size: auto = one per PER_APPLIANCE VMs (at least one; at least two from
    MULTI_APPLIANCE_FROM VMs)."""
    if option == "auto":
        count = max(1, int(math.ceil(size / float(PER_APPLIANCE))))
        return max(2, count) if size >= MULTI_APPLIANCE_FROM else count
    return int(option)


def _appliances_option(value):
    if value == "auto":
        return value
    try:
        count = int(value)
    except ValueError:
        count = 0
    if not 1 <= count <= PER_VAULT_APPLIANCES:
        raise argparse.ArgumentTypeError("%r: 'auto' or a whole number from 1 to %d (replication appliances per vault, "
                                         "Microsoft Learn's Site Recovery limits)" % (value, PER_VAULT_APPLIANCES))
    return value


def _read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def _tail(path, lines=40):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return None


_ANSIBLE_VERSION = []


def _ansible_version():
    if _ANSIBLE_VERSION:
        return _ANSIBLE_VERSION[0]
    try:
        out = subprocess.run([os.path.join(VENV_BIN, "ansible"), "--version"], capture_output=True, text=True,
                             check=False, timeout=60).stdout
        _ANSIBLE_VERSION.append(out.splitlines()[0] if out else None)
    except (OSError, subprocess.SubprocessError):
        _ANSIBLE_VERSION.append(None)
    return _ANSIBLE_VERSION[0]


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10,100", help="VM counts, comma-separated (default 10,100)")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS),
                        help="comma-separated subset of %s (earlier ones run as unmeasured set-up)" % ",".join(SCENARIOS))
    parser.add_argument("--no-baseline", action="store_true", help="skip the naive SDK baseline")
    parser.add_argument("--no-collection", action="store_true",
                        help="only the baseline (e.g. on a second lab at the same time; --merge the files after)")
    parser.add_argument("--time-scale", type=float, default=60.0, help="lab seconds per real second (default 60)")
    parser.add_argument("--latency", default="50,150", help="ARM latency injected per call, ms: MIN,MAX (0: none)")
    parser.add_argument("--ir-per-gb", type=float, default=1.0,
                        help="lab seconds of initial replication per GB (lab default 45; 1 keeps a 1 TB disk to ~22 min)")
    parser.add_argument("--wait-sleep", type=float, default=2.0, help="poll interval of the bench playbooks (s)")
    parser.add_argument("--poll", type=float, default=2.0, help="fixed poll interval of the baseline (s)")
    parser.add_argument("--roles", action="store_true",
                        help="drill, failover, failback with playbooks/{drill,failover,failback}.yml (the roles) instead of "
                             "bench/playbooks (the modules); plans made beforehand, unmeasured")
    parser.add_argument("--subnet", default="auto",
                        help="subnet for the replicas and test VMs, made as a /20 in the lab's networks (auto: 'bench' "
                             "above 200 VMs, else the seed's /24 'app'; '' for never)")
    parser.add_argument("--appliances", default="auto", type=_appliances_option,
                        help="replication appliances of the vault: N (1-%d) or auto (default: one per %d VMs, at least "
                             "2 from %d VMs); with more than one, the vault and the appliances are made before the "
                             "measured protect (unmeasured)" % (PER_VAULT_APPLIANCES, PER_APPLIANCE, MULTI_APPLIANCE_FROM))
    parser.add_argument("--step-timeout", type=float, default=7200.0,
                        help="seconds one measured step may take at most (default 7200)")
    parser.add_argument("--compare", metavar="JSON", default=None,
                        help="an earlier result file: adds before -> after columns (wall, ARM requests per VM, module "
                             "runs, overhead, CPU) and the goal 'wall at most the baseline's'")
    parser.add_argument("--out", default=os.path.join(BENCH, "results"), help="results directory")
    parser.add_argument("--name", default=None, help="results file name (default: today's date)")
    parser.add_argument("--raw-dir", default=None, help="also write each step's request log here")
    parser.add_argument("--workdir", default=None, help="lab state and logs (default: a temporary directory)")
    parser.add_argument("--keep-workdir", action="store_true")
    parser.add_argument("--merge", nargs="+", metavar="JSON", help="only merge these result files into --name")
    args = parser.parse_args(argv)
    args.sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    args.scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    bad = [s for s in args.scenarios if s not in SCENARIOS]
    if bad or not args.scenarios:
        parser.error("unknown scenario(s) %s; choose from %s" % (", ".join(bad) or "(none)", ", ".join(SCENARIOS)))
    lat = [float(x) for x in args.latency.split(",") if x.strip()]
    args.latency = None if not lat or max(lat) <= 0 else (lat[0], lat[-1])
    return args


class Results(object):
    """bench/results/<name>.json and .md: saved after every step; sizes of earlier runs of the same name are kept
    (the file is read again before each save, so a run of another size at the same time is not lost)."""

    def __init__(self, out, name, compare=None):
        self.name = name
        self.json_path = os.path.join(out, name + ".json")
        self.md_path = os.path.join(out, name + ".md")
        self.compare = compare
        os.makedirs(out, exist_ok=True)

    def save(self, result):
        previous = _read_json(self.json_path) or {}
        sizes = dict((str(s["size"]), s) for s in previous.get("sizes") or [])
        sizes[str(result["size"])] = result
        data = {"name": self.name, "updated": datetime.datetime.now(datetime.timezone.utc).isoformat(),
                "host": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                         "ansible": _ansible_version(), "loadavg": [round(x, 2) for x in os.getloadavg()]},
                "sizes": [sizes[k] for k in sorted(sizes, key=int)]}
        compare = self.compare or (previous.get("comparison") or {}).get("file")      # kept by later runs of the name
        before = _read_json(compare) if compare else None
        if before is not None:
            data["comparison"] = {"file": compare, "name": before.get("name"),
                                  "rows": report.compare_rows(data, before)}
        for path, text in ((self.json_path, json.dumps(data, indent=1, sort_keys=True)), (self.md_path, report.markdown(data))):
            with open(path + ".tmp", "w") as f:
                f.write(text)
            os.replace(path + ".tmp", path)


def merge(paths, out, name, compare=None):
    """Sizes of several result files into one: a size run in both gets the scenarios (collection, baseline) of
    each (the later file wins for the same scenario and kind), e.g. the collection and the baseline of one size
    run at the same time on two labs (--no-collection / --no-baseline)."""
    results = Results(out, name, compare)
    for path in paths:
        for size in (_read_json(path) or {}).get("sizes") or []:
            current = dict((str(s["size"]), s) for s in (_read_json(results.json_path) or {}).get("sizes") or [])
            mine = current.get(str(size["size"]))
            if mine is not None and mine is not size:
                for scenario, kinds in size["scenarios"].items():
                    target = mine["scenarios"].setdefault(scenario, {})
                    target.update((k, v) for k, v in kinds.items() if k in ("collection", "baseline"))
                    set_bound(target, (mine.get("settings") or {}).get("time_scale") or 60.0)
                for key in ("baseline_ok", "collection_ok"):
                    if key in size:
                        mine[key] = size[key]
                mine["partial"] = bool(mine.get("partial") or size.get("partial"))
                size = mine
            results.save(size)
    return results.json_path


def main(argv=None):
    args = parse_args(argv)
    started = datetime.datetime.now(datetime.timezone.utc)
    if args.compare and _read_json(args.compare) is None:
        _log("--compare %s: not a readable result file" % args.compare)
        return 2
    results = Results(args.out, args.name or started.strftime("%Y-%m-%d"), args.compare)
    if args.merge:
        _log("merged into %s" % merge(args.merge, args.out, results.name, args.compare))
        return 0
    workroot = args.workdir or tempfile.mkdtemp(prefix="drasr-bench-")
    settings = {"time_scale": args.time_scale, "latency_ms": list(args.latency) if args.latency else None,
                "initial_replication_per_gb": args.ir_per_gb, "wait_sleep": args.wait_sleep,
                "baseline_poll": args.poll,
                "playbooks": "roles" if args.roles else "bench", "subnet": args.subnet, "appliances": args.appliances,
                "scenarios": args.scenarios, "baseline": not args.no_baseline}
    failed = False
    try:
        for size in args.sizes:
            workdir = os.path.join(workroot, "size-%d" % size)
            os.makedirs(workdir, exist_ok=True)
            t0 = time.monotonic()
            run = Run(args, size, workdir)
            run.result.update(settings=settings, started=started.isoformat(), partial=True)

            def saved(result, t0=t0):
                result["seconds"] = round(time.monotonic() - t0, 1)
                results.save(result)
            run.on_step = saved
            result = run.run(args.scenarios, not args.no_baseline)
            result["partial"] = False
            saved(result)
            failed = failed or result.get("collection_ok") is False or result.get("baseline_ok") is False
            _log("size %d done in %.0f s: %s" % (size, time.monotonic() - t0, results.json_path))
    finally:
        if args.workdir is None and not args.keep_workdir and not failed:
            shutil.rmtree(workroot, ignore_errors=True)
        elif failed or args.keep_workdir:
            _log("logs and lab state kept in %s" % workroot)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
