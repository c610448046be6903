"""The one place the package's modules are put together, once, at start-up (when the engine imports the package).

The layers (docs/lab-asr.md, "Package layout"). A module imports only modules below it, so the import graph is a
DAG from the state layer up (tests/lab/test_asr_layers.py parses the modules: no cycle, no import inside a
function, no import-time registration):

    __init__     the provider module the engine loads: this registry's tables and the engine hooks
    registry     this module: imports the modules below, collects, checks and installs their declarations
    ---------    resource providers (each imports only those listed after it, and the layers below)
    plans        recovery plans                                   -> actions, items, fabric, effects
    health       the vault's health                               -> items, fabric
    actions      the item actions (task lists) and their route    -> items, providers, fabric, effects
    classic      the classic estate (seed) and switchProvider     -> items, providers, policies, fabric
    items        protected items, replication, recovery points    -> providers, policies, fabric, effects
    providers    the replication-provider seam                    -> fabric
    fabric       the appliance, discovery, agents                 -> policies, vcenter
    policies     replication policies, container mappings
    effects      side effects in Azure (Compute, Network) and vCenter -> vcenter
    ---------    the engine
    jobs         tasks, stages, advance, LRO headers, replicationJobs, events
    ---------    the state layer (imports nothing of the package above it)
    common       store access, ids, meta keys, lab time, config   -> errors
    errors       the ASR error catalog
    vocabulary   states, operations, job words: what ASR says
    vcenter      the appliance's pyVmomi link to the lab vCenter

What a module contributes is declared at its module level and read here, nowhere else:

* `RESOURCE_TYPES`, `ROUTES`, `ADMIN_ROUTES` (drlab/azure/rp.py): served in the order of MODULES (routing order).
* `CALLBACKS = {key: fn(ctx, job, task)}`: the job task callbacks and job hooks the module owns. The keys are
  stored with the jobs (SQLite) and name their callback again after a restart: they never change.
* `RESULTS = {kind: fn(ctx, job) -> (status, body)}`: what `operationresults` answers for a finished job of
  that result kind.
* `DISCOVERY_LISTENERS = (fn(ctx, vault, when, item_ids), ...)`: called after every discovery sync (fabric.sync;
  item_ids None) and after the lab's own power change of one item's machine (fabric.power_seen; item_ids: that item).

`build(modules)` collects them and refuses (RegistryError) a key or kind registered twice, a value that is not
callable, a declaration of the wrong shape; `install(registry)` gives the tables to the engine (jobs.install) and
to the appliance (fabric.install_discovery_listeners); `check_jobs(ctx)` (the engine's `on_start` hook, before the
simulator answers anything) refuses a stored job that names a callback key nobody registered. Any error stops
the simulator's start (drlab.azure.providers.load_modules, Engine): nothing is skipped with a warning.
"""
from drlab.azure.providers.siterecovery import (
    actions, classic, common, effects, fabric, health, items, jobs, plans, policies)

#: the package's provider modules, in routing order (a route of an earlier module is matched first: items.py's
#: `POST {item}/remove` and classic.py's `POST {item}/switchProvider` before actions.py's `POST {item}/{action}`)
MODULES = (jobs, health, fabric, policies, items, classic, actions, plans, effects)

#: job states in which a stored job may still run a callback (a failed job can be restarted)
_MAY_RUN = jobs.RUNNING_STATES + ("Failed",)


class RegistryError(RuntimeError):
    """The package's modules do not fit together: the simulator must not start."""


class Registry:
    """What build() collected: the tables and the engine's lists."""

    def __init__(self):
        self.modules = []
        self.callbacks = {}
        self.results = {}
        self.owners = {}          # (table name, key) -> module name
        self.listeners = []
        self.resource_types = []
        self.routes = []
        self.admin_routes = []


def _name(module):
    return getattr(module, "__name__", repr(module))


def _table(registry, module, attr, table):
    declared = getattr(module, attr, None)
    if declared is None:
        return
    if not isinstance(declared, dict):
        raise RegistryError("%s.%s must be a dict {key: function}, not %s" % (
            _name(module), attr, type(declared).__name__))
    for key, fn in declared.items():
        if not isinstance(key, str) or not key:
            raise RegistryError("%s.%s: the key %r is not a non-empty string" % (_name(module), attr, key))
        if key in table:
            raise RegistryError("%s key %r is registered by both %s and %s" % (
                attr, key, registry.owners[(attr, key)], _name(module)))
        if not callable(fn):
            raise RegistryError("%s.%s[%r] is not callable" % (_name(module), attr, key))
        table[key] = fn
        registry.owners[(attr, key)] = _name(module)


def build(modules=MODULES):
    """Collect and check the modules' declarations (see the module docstring); raises RegistryError."""
    registry = Registry()
    for module in modules:
        if module in registry.modules:
            raise RegistryError("%s is listed twice" % _name(module))
        registry.modules.append(module)
        _table(registry, module, "CALLBACKS", registry.callbacks)
        _table(registry, module, "RESULTS", registry.results)
        listeners = getattr(module, "DISCOVERY_LISTENERS", None) or ()
        if not all(callable(fn) for fn in listeners):
            raise RegistryError("%s.DISCOVERY_LISTENERS must hold functions" % _name(module))
        registry.listeners.extend(listeners)
        registry.resource_types.extend(getattr(module, "RESOURCE_TYPES", None) or [])
        registry.routes.extend(getattr(module, "ROUTES", None) or [])
        registry.admin_routes.extend(getattr(module, "ADMIN_ROUTES", None) or [])
    return registry


def install(registry):
    """Give the tables to the job engine and the discovery listeners to the appliance (replacing any before)."""
    jobs.install(registry.callbacks, registry.results)
    fabric.install_discovery_listeners(registry.listeners)


def start(modules=MODULES):
    """build + install: the package's start-up (its __init__ calls it once). Returns the Registry."""
    registry = build(modules)
    install(registry)
    return registry


def job_callbacks(job):
    """Every callback key a stored job names: its tasks', its hooks', and the item callbacks of a recovery plan
    job's group tasks (plans.nested_callbacks)."""
    keys = set(jobs.named_callbacks(job))
    for task in common.private(job).get("tasks") or []:
        keys |= plans.nested_callbacks(task)
    return keys


def check_jobs(ctx):
    """Refuse to start when a stored job that may still run a callback (running, suspended, or failed: a restart
    runs its tasks again) names a key without a registered callback (RegistryError naming the jobs and keys)."""
    problems = []
    for job in ctx.list(common.JOB):
        if jobs.job_state(job) not in _MAY_RUN:
            continue
        missing = jobs.unregistered(job_callbacks(job))
        if missing:
            problems.append("%s (%s): %s" % (job["id"], job["properties"].get("scenarioName"), ", ".join(missing)))
    if problems:
        raise RegistryError("stored jobs name callback keys that no module registers (keys are stored with the "
                            "jobs and must keep their callback): %s" % "; ".join(problems))
