"""The ASR package's layering and its start-up (lab/drlab/azure/providers/siterecovery, docs/lab-asr.md
"Package layout"), checked by parsing its modules and by starting simulators that must not start:

* the import graph of the package is a DAG from the state layer up, each module imports only its layer or
  below, no import is inside a function (or a try, or an if), nothing is imported by name at run time
  (importlib), nothing registers itself at import time;
* every callback key a task names is registered, exactly once, and every registered one is named;
* the registry refuses a key registered by two modules and a callback that is not callable; a job naming an
  unregistered key is refused when it starts, and a stored one stops the simulator's start;
* a resource provider that fails to import (any of them, a NameError in the ASR package's actions.py
  included) stops the simulator's start: exit status 1, the error on stderr, no READY line.
"""
import ast
import os
import subprocess
import sys
import types

import pytest

from drlab.azure import config as configmod
from drlab.azure import providers
from drlab.azure.client import LAB_DIR, SimulatorProcess
from drlab.azure.providers.siterecovery import common, errors, jobs, plans, registry
from drlab.settings import REPO_ROOT, Settings

PACKAGE = "drlab.azure.providers.siterecovery"
PACKAGE_DIR = os.path.join(REPO_ROOT, "lab", "drlab", "azure", "providers", "siterecovery")

#: the layers of docs/lab-asr.md, bottom up: a module may import modules of a lower rank (and, inside the state
#: layer, common may import errors)
LAYERS = {
    "errors": 0, "vocabulary": 0, "vcenter": 0, "common": 1,                  # the state layer
    "jobs": 2,                                                                # the engine
    "effects": 3, "policies": 3, "fabric": 4, "providers": 5, "items": 6,     # resource providers
    "actions": 7, "health": 7, "classic": 7, "plans": 8,
    "registry": 9, "__init__": 10,                                            # the package's start-up
}
STATE_LAYER = {"errors", "vocabulary", "vcenter", "common"}
#: callback keys are written as strings with these prefixes (the actions' task helpers add actions.CALLBACK_PREFIX)
KEY_PREFIXES = ("asr.item.", "asr.action.", "asr.fabric.", "asr.policy.", "asr.mapping.", "asr.classic.", "plans.")


def _modules():
    out = {}
    for name in sorted(os.listdir(PACKAGE_DIR)):
        if name.endswith(".py"):
            with open(os.path.join(PACKAGE_DIR, name), encoding="utf-8") as f:
                out[name[:-3]] = ast.parse(f.read(), filename=name)
    return out


def _package_imports(tree, names):
    """The package modules a module imports: `from <package> import a, b`, `from <package>.a import x`,
    `import <package>.a`."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == PACKAGE:
                for alias in node.names:
                    assert alias.name in names, "imports %s from the package's __init__" % alias.name
                    out.add(alias.name)
            elif node.module.startswith(PACKAGE + "."):
                out.add(node.module[len(PACKAGE) + 1:].split(".")[0])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(PACKAGE + "."):
                    out.add(alias.name[len(PACKAGE) + 1:].split(".")[0])
    return out


def _cycle(graph):
    """A cycle of the graph as a list of nodes, or None."""
    state = {}

    def visit(node, path):
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                return path[path.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt, path + [nxt])
                if found:
                    return found
        state[node] = "done"
        return None
    for start in sorted(graph):
        if start not in state:
            found = visit(start, [start])
            if found:
                return found
    return None


# -- the import graph ---------------------------------------------------------------------------------------------

def test_the_import_graph_is_a_dag_of_layers():
    modules = _modules()
    assert set(modules) == set(LAYERS), "a module without a layer (or a layer without its module)"
    graph = {name: _package_imports(tree, set(modules)) for name, tree in modules.items()}
    assert _cycle(graph) is None, "import cycle: %s" % " -> ".join(_cycle(graph))
    for name, imported in graph.items():
        for other in imported:
            assert LAYERS[other] < LAYERS[name], "%s (layer %d) imports %s (layer %d)" % (
                name, LAYERS[name], other, LAYERS[other])
    for name in STATE_LAYER:
        assert graph[name] <= STATE_LAYER, "%s (state layer) imports %s" % (name, graph[name] - STATE_LAYER)
    assert graph["jobs"] <= STATE_LAYER                       # the engine depends on the state layer only
    # the registry puts the engine and every provider module together
    assert graph["registry"] >= {"jobs", "effects", "policies", "fabric", "items", "actions", "health", "plans"}


def test_no_import_inside_a_function_a_try_or_an_if():
    """Every import is a statement of the module's body: a module that cannot import fails its importer."""
    for name, tree in _modules().items():
        top = {id(node) for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))}
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                assert id(node) in top, "%s.py line %d: an import that is not at the module's top level" % (
                    name, node.lineno)
            if isinstance(node, ast.Try):
                assert not any(isinstance(n, (ast.Import, ast.ImportFrom)) for n in ast.walk(node)), name
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id != "__import__", "%s.py line %d: __import__" % (name, node.lineno)
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [getattr(node, "module", None) or ""] + [a.name for a in node.names]
                assert not any(n == "importlib" or n.startswith("importlib.") for n in names), \
                    "%s.py imports importlib: modules are imported by name, statically" % name


def test_nothing_registers_itself_at_import_time():
    """Callbacks, results and discovery listeners are declared (CALLBACKS, RESULTS, DISCOVERY_LISTENERS) and
    collected by registry.py; no module calls a registration function or decorates with one."""
    for name, tree in _modules().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                assert func not in ("register_callback", "register_result", "on_discovery"), \
                    "%s.py line %d calls %s" % (name, node.lineno, func)
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                for decorator in node.decorator_list:
                    func = decorator.attr if isinstance(decorator, ast.Attribute) else getattr(decorator, "id", "")
                    assert func not in ("register_callback", "register_result", "on_discovery"), \
                        "%s.py: %s is registered by a decorator" % (name, node.name)


# -- the callback keys ----------------------------------------------------------------------------------------------

def _named_keys():
    """Every callback key the package's code names (its tasks, job hooks, action hooks), without the CALLBACKS
    declarations themselves."""
    named = set()
    for name, tree in _modules().items():
        declared = set()
        for node in tree.body:
            if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "CALLBACKS"
                                                    for t in node.targets):
                declared.update(id(n) for n in ast.walk(node))
        for node in ast.walk(tree):
            if id(node) in declared:
                continue
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith(KEY_PREFIXES) \
                    and " " not in node.value and not node.value.endswith("."):     # not a prefix itself
                named.add(node.value)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                    isinstance(node.func.value, ast.Name) and node.func.value.id == "self" and \
                    node.func.attr in ("task", "prerequisites"):
                position = 5 if node.func.attr == "task" else 3       # ItemAction.task / prerequisites
                args = list(node.args[position:position + 1]) + [k.value for k in node.keywords
                                                                 if k.arg == "callback"]
                for arg in args:
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                        named.add("asr.action." + arg.value)
    return named


def test_every_named_callback_key_is_registered_once_and_every_registered_one_is_named():
    built = registry.build()
    named = _named_keys()
    assert len(named) > 40
    assert named - set(built.callbacks) == set(), "keys named by tasks without a callback"
    assert set(built.callbacks) - named == set(), "registered callbacks no task names"
    assert all(jobs.callback(key) is built.callbacks[key] for key in built.callbacks)      # what is installed
    assert set(built.results) == {"vault_health"}
    routing = ["jobs", "health", "fabric", "policies", "items", "classic", "actions", "plans", "effects"]
    assert [m.__name__.rsplit(".", 1)[-1] for m in built.modules] == routing


def test_the_registry_refuses_a_key_registered_twice_and_what_is_not_callable():
    def fn(ctx, job, task):
        return None
    first = types.SimpleNamespace(__name__="first", CALLBACKS={"test.layers.same": fn})
    second = types.SimpleNamespace(__name__="second", CALLBACKS={"test.layers.same": fn})
    with pytest.raises(registry.RegistryError, match="'test.layers.same' is registered by both first and second"):
        registry.build([first, second])
    with pytest.raises(registry.RegistryError, match="not callable"):
        registry.build([types.SimpleNamespace(__name__="m", CALLBACKS={"test.layers.x": "not a function"})])
    with pytest.raises(registry.RegistryError, match="must be a dict"):
        registry.build([types.SimpleNamespace(__name__="m", CALLBACKS=[("test.layers.x", fn)])])
    with pytest.raises(registry.RegistryError, match="RESULTS key 'vault_health' is registered by both"):
        registry.build(list(registry.MODULES) + [types.SimpleNamespace(__name__="m", RESULTS={"vault_health": fn})])
    with pytest.raises(registry.RegistryError, match="listed twice"):
        registry.build([first, first])
    assert registry.build([first]).callbacks == {"test.layers.same": fn}


def test_a_job_naming_an_unregistered_callback_is_refused_when_it_starts(inprocess_app, bare_vault):
    app = inprocess_app
    with app.store.transaction():
        ctx, vault = bare_vault(app)
        for tasks, hooks in (([jobs.Task("a", duration=10, callback="asr.item.no_such_key")], {}),
                             ([jobs.Task("a", duration=10)], {"on_failure": "asr.action.no_such_hook"})):
            with pytest.raises(errors.AsrError) as err:
                jobs.start_job(ctx, vault, scenario="Drill", friendly_name="Drill", target_id=vault + "/x",
                               target_name="x", target_type="Other", tasks=tasks, **hooks)
            assert (err.value.status, err.value.asr_code) == (500, errors.INTERNAL_ERROR)
            assert "no_such" in err.value.message
        assert ctx.list(common.JOB) == [] and not app.store.meta_get(jobs.ACTIVE_KEY)


def _store_job_naming(tmp_path, key, bare_vault, nested=False):
    """A state directory with a running job whose task (or, nested, a plan group's item task) names `key`."""
    from drlab.azure.server import App
    first = App(Settings(state_dir=str(tmp_path)), configmod.load(), str(tmp_path), "https://127.0.0.1:1")
    try:
        with first.store.transaction():
            ctx, vault = bare_vault(first)
            run = {"item": vault + "/x", "on_failure": None, "tasks": [{"callback": "asr.action.tfo_create"}]}
            job = jobs.start_job(ctx, vault, scenario="Drill", friendly_name="Drill", target_id=vault + "/x",
                                 target_name="x", target_type="Other",
                                 tasks=[jobs.Task("a", duration=600, callback="plans.finalize",
                                                  args={"runs": [run]})])
            assert registry.job_callbacks(job) == {"plans.finalize", "asr.action.tfo_create"}
            task = common.private(job)["tasks"][0]
            if nested:
                task["args"]["runs"][0]["tasks"][0]["callback"] = key
            else:
                task["callback"] = key
            ctx.put(job["id"], job)            # what another version of the lab left in the store
            return job["id"]
    finally:
        first.close()


@pytest.mark.parametrize("nested", [False, True])
def test_a_stored_job_naming_an_unregistered_callback_stops_the_start(tmp_path, nested, bare_vault):
    from drlab.azure.server import App
    job_id = _store_job_naming(tmp_path, "asr.item.retired_key", bare_vault, nested)
    with pytest.raises(providers.ProviderError) as err:
        App(Settings(state_dir=str(tmp_path)), configmod.load(), str(tmp_path), "https://127.0.0.1:1")
    assert "refused to start" in str(err.value) and "asr.item.retired_key" in str(err.value)
    assert job_id in str(err.value)
    assert isinstance(err.value.__cause__, registry.RegistryError)
    assert plans.nested_callbacks({"args": {"runs": [{"on_failure": "a.b", "tasks": [{"callback": None}]}]}}) == {"a.b"}


def test_a_stored_job_naming_an_unregistered_callback_stops_the_simulator(tmp_path, bare_vault):
    _store_job_naming(tmp_path, "asr.item.retired_key", bare_vault)
    sim = SimulatorProcess(str(tmp_path), port=0)
    with pytest.raises(RuntimeError) as err:
        sim.start(timeout=60)
    text = str(err.value)
    assert "exit status 1" in text and "asr.item.retired_key" in text and "cannot start" in text


# -- a provider that fails to import stops the start ---------------------------------------------------------------

BROKEN = '''"""A resource provider with a bug (tests/lab/test_asr_layers.py)."""
RESOURCE_TYPES = []
raise NameError("name 'undefined_name' is not defined")
'''


def test_load_modules_raises_for_any_provider_that_fails_to_import(tmp_path, monkeypatch):
    (tmp_path / "drlab_test_broken_provider.py").write_text(BROKEN)
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(providers.ProviderError, match="drlab_test_broken_provider failed to import: NameError"):
        providers.load_modules(["drlab.azure.providers.resources", "drlab_test_broken_provider"])
    with pytest.raises(providers.ProviderError, match="ModuleNotFoundError"):
        providers.load_modules(["drlab.azure.providers.no_such_provider"])
    monkeypatch.setenv(providers.EXTRA_ENV, " drlab_test_broken_provider ,")
    assert providers.module_names() == providers.MODULES + ["drlab_test_broken_provider"]
    with pytest.raises(providers.ProviderError):
        providers.load_modules()
    monkeypatch.delenv(providers.EXTRA_ENV)
    assert [m.__name__ for m in providers.load_modules()] == providers.MODULES


def test_a_provider_that_fails_to_import_stops_the_simulator(tmp_path):
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "drlab_test_broken_provider.py").write_text(BROKEN)
    sim = SimulatorProcess(str(tmp_path / "state"), port=0, env={
        providers.EXTRA_ENV: "drlab_test_broken_provider", "PYTHONPATH": LAB_DIR + os.pathsep + str(extra)})
    with pytest.raises(RuntimeError) as err:
        sim.start(timeout=60)
    text = str(err.value)
    assert "exit status 1" in text and "NameError" in text and "drlab_test_broken_provider failed to import" in text
    assert sim.proc is None                                   # nothing left running


#: `python -c` with a NameError in the ASR package's actions.py (an import hook replaces the module's code)
BROKEN_ACTIONS = '''
import importlib.abc, importlib.machinery, sys

class BrokenActions(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name, path, target=None):
        if name == "drlab.azure.providers.siterecovery.actions":
            return importlib.machinery.ModuleSpec(name, self)
        return None

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        raise NameError("name 'undefined_name' is not defined")

sys.meta_path.insert(0, BrokenActions())
from drlab.azure.__main__ import main
sys.exit(main(sys.argv[1:]))
'''


def test_a_name_error_in_the_asr_package_stops_the_simulator(tmp_path):
    env = dict(os.environ, PYTHONPATH=LAB_DIR, DRLAB_STATE_DIR=str(tmp_path))
    done = subprocess.run([sys.executable, "-c", BROKEN_ACTIONS, "--state-dir", str(tmp_path), "--port", "0"],
                          env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 1, done.stderr[-4000:]
    assert "AZURE-SIM READY" not in done.stdout
    assert "cannot start" in done.stderr and "drlab.azure.providers.siterecovery failed to import: NameError" in \
        done.stderr, done.stderr[-4000:]


def test_register_callback_is_for_keys_outside_the_package():
    with pytest.raises(ValueError, match="one of the package's modules"):
        jobs.register_callback("asr.item.update", lambda ctx, job, task: None)
    with pytest.raises(ValueError, match="not callable"):
        jobs.register_callback("test.layers.callable", "not a function")
    assert jobs.callback("test.layers.callable") is None
