"""The collection artifact and what is built from it: the tarball `ansible-galaxy collection build` makes (what it
ships, that nothing shipped needs the unshipped lab, that shipped docs link only to shipped files, the changelog's
release, the dependencies), the execution environment of examples/execution-environment (`ansible-builder create`
writes its build context; no container is built), antsibull-docs' lint of the installed collection, and
ansible-lint of the AWX configuration example (examples/awx)."""
import ast
import json
import os
import re
import shutil
import subprocess
import tarfile

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, ".venv", "bin")
GALAXY = yaml.safe_load(open(os.path.join(ROOT, "galaxy.yml")))
PREFIX = "ansible_collections.%s.%s" % (GALAXY["namespace"], GALAXY["name"])
LAB_PACKAGES = ("drlab", "lab")


def run(cmd, cwd, env=None, timeout=900):
    env = dict(os.environ, PATH=BIN + os.pathsep + os.environ.get("PATH", ""), ANSIBLE_FORCE_COLOR="0",
               ANSIBLE_NOCOLOR="1", **(env or {}))
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False,
                            stdin=subprocess.DEVNULL)   # ansible refuses a non-blocking stdin (a CI runner's)
    return result.returncode, result.stdout + result.stderr


@pytest.fixture(scope="module")
def tarball(tmp_path_factory):
    out = tmp_path_factory.mktemp("artifact")
    rc, log = run([os.path.join(BIN, "ansible-galaxy"), "collection", "build", "--force", "--output-path", str(out),
                   ROOT], ROOT)
    assert rc == 0, log
    path = out / ("%s-%s-%s.tar.gz" % (GALAXY["namespace"], GALAXY["name"], GALAXY["version"]))
    assert path.is_file(), log
    return path


@pytest.fixture(scope="module")
def shipped(tarball):
    """{path: bytes} of the files in the tarball."""
    with tarfile.open(tarball) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}


@pytest.fixture(scope="module")
def installed(tarball, tmp_path_factory):
    """The tarball installed as <path>/ansible_collections/dr/asr (no dependencies: nothing is downloaded)."""
    path = tmp_path_factory.mktemp("installed")
    rc, log = run([os.path.join(BIN, "ansible-galaxy"), "collection", "install", "--no-deps", "--offline", "--force",
                   "-p", str(path), str(tarball)], ROOT)
    assert rc == 0, log
    return path


def imported_modules(relpath, source):
    """Absolute names of the modules a Python file imports (relative imports resolved to the collection)."""
    package = (PREFIX + "." + relpath[:-3].replace("/", ".")).rsplit(".", 1)[0]
    names = set()
    for node in ast.walk(ast.parse(source, relpath)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[:len(package.split(".")) - (node.level - 1)]
                base = ".".join(parts + ([base] if base else []))
            names.add(base)
            names.update(base + "." + alias.name for alias in node.names)
    return names


def test_tarball_ships_no_lab_and_no_dangling_import(shipped):
    """Nothing shipped imports the lab (`drlab`, lab/), and every import of the collection's own modules resolves
    to a shipped file: a test that needs an unshipped helper (tests/unit/asr_fake.py) is left out too."""
    modules = set()
    for name in shipped:
        if name.endswith(".py"):
            dotted = PREFIX + "." + name[:-3].replace("/", ".")
            modules.add(dotted[:-len(".__init__")] if dotted.endswith(".__init__") else dotted)
            modules.update(dotted.rsplit(".", i)[0] for i in range(1, dotted.count(".")))   # its packages
    problems = []
    for name, data in sorted(shipped.items()):
        if not name.endswith(".py"):
            continue
        for module in imported_modules(name, data.decode()):
            if module.split(".")[0] in LAB_PACKAGES:
                problems.append("%s imports the lab (%s)" % (name, module))
            elif module.startswith(PREFIX + ".") and module not in modules:
                # `from package import name` names an attribute as often as a module: only the module part counts
                if module.rsplit(".", 1)[0] not in modules:
                    problems.append("%s imports %s, which is not shipped" % (name, module))
    for name in shipped:
        assert not name.startswith(("lab/", "tests/lab/", "tests/integration/", "bench/", "scripts/", ".")), name
    assert problems == []


LINK = re.compile(r"(?<!!)\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)"
                  r"|^ {0,3}\[[^\]]+\]:\s*(\S+)(?:\s+\"[^\"]*\")?\s*$", re.M)


def test_shipped_docs_link_to_shipped_files(shipped):
    """Every relative link in README.md, docs/*.md and roles/*/README.md resolves to a shipped file or directory."""
    docs = [n for n in shipped if n == "README.md" or re.fullmatch(r"docs/[^/]+\.md|roles/[^/]+/README\.md", n)]
    assert "README.md" in docs
    directories = {os.path.dirname(n) for n in shipped}
    directories |= {d.rsplit("/", i)[0] for d in list(directories) for i in range(1, d.count("/") + 1)}
    broken = []
    for doc in docs:
        text = re.sub(r"```.*?```", "", shipped[doc].decode(), flags=re.S)   # code blocks hold no links
        for match in LINK.finditer(text):
            target = (match.group(1) or match.group(2)).split("#", 1)[0]
            if not target or re.match(r"[a-z][a-z0-9+.-]*:", target, re.I):
                continue   # an anchor in the same page, or a URL
            resolved = os.path.normpath(os.path.join(os.path.dirname(doc), target)).rstrip("/")
            if resolved not in shipped and resolved not in directories:
                broken.append("%s -> %s" % (doc, target))
    assert broken == []


def test_changelog_has_the_release(shipped):
    changes = yaml.safe_load(shipped["changelogs/changelog.yaml"])
    assert GALAXY["version"] in (changes.get("releases") or {}), "no release %s in changelogs/changelog.yaml" % (
        GALAXY["version"])
    assert "CHANGELOG.rst" in shipped


def test_manifest_dependencies_and_ee_metadata(shipped):
    manifest = json.loads(shipped["MANIFEST.json"])["collection_info"]
    assert "ansible.windows" in manifest["dependencies"]
    # the Windows tasks' modules are ansible.windows ones, so the dependency is real
    windows = shipped["roles/mobility_service/tasks/windows.yml"].decode()
    assert "ansible.windows.win_package" in windows
    meta = yaml.safe_load(shipped["meta/execution-environment.yml"])
    assert meta["version"] == 1
    assert shipped[meta["dependencies"]["python"]] == open(os.path.join(ROOT, "requirements.txt"), "rb").read()
    assert meta["dependencies"]["system"] in shipped


def requirement_names(lines):
    names = {}
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if line:
            names[re.split(r"[<>=!~;\[\s]", line, maxsplit=1)[0].lower()] = line
    return names


def test_execution_environment_context(tarball, installed, tmp_path):
    """`ansible-builder create` on examples/execution-environment: the context holds dr.asr's tarball, the galaxy
    requirements with dr.asr, azure.azcollection and vmware.vmware, and the Python requirements; the introspection
    the build runs (the context's own introspect.py) yields every requirement of dr.asr."""
    example = os.path.join(ROOT, "examples", "execution-environment")
    src = tmp_path / "ee"
    shutil.copytree(example, src, ignore=shutil.ignore_patterns("*.tar.gz", "context"))
    shutil.copy(tarball, src / "dr-asr.tar.gz")
    context = tmp_path / "context"
    rc, log = run([os.path.join(BIN, "ansible-builder"), "create", "-f", str(src / "execution-environment.yml"),
                   "-c", str(context)], str(tmp_path))
    assert rc == 0, log
    build = context / "_build"
    assert any((context / name).is_file() for name in ("Containerfile", "Dockerfile")), log
    steps = next((context / n).read_text() for n in ("Containerfile", "Dockerfile") if (context / n).is_file())
    assert "introspect" in steps and "ansible-galaxy collection install" in steps

    # the tarball, where requirements.yml takes it from (the build's WORKDIR is /build, holding _build)
    assert (build / "dr-asr" / "dr-asr.tar.gz").read_bytes() == tarball.read_bytes()
    galaxy = yaml.safe_load((build / "requirements.yml").read_text())
    collections = {c["name"]: c for c in galaxy["collections"]}
    assert collections["dr-asr/dr-asr.tar.gz"]["type"] == "file"
    assert {"azure.azcollection", "vmware.vmware"} <= set(collections)

    # what the build's introspection makes of dr.asr: all of requirements.txt, the excluded ones from the EE's
    # own requirements.txt with dr.asr's floors, and no system package
    ours = requirement_names(open(os.path.join(ROOT, "requirements.txt")))
    user = requirement_names((build / "requirements.txt").read_text().splitlines())
    excluded = set(requirement_names((build / "exclude-requirements.txt").read_text().splitlines()))
    for name in excluded & set(ours):
        assert user.get(name) == ours[name], "examples/execution-environment/requirements.txt: %s" % name
    pip_out, bindep_out = tmp_path / "pip.txt", tmp_path / "bindep.txt"
    rc, log = run([os.path.join(BIN, "python"), str(build / "scripts" / "introspect.py"), "introspect",
                   str(installed), "--user-pip", str(build / "requirements.txt"),
                   "--exclude-pip-reqs", str(build / "exclude-requirements.txt"),
                   "--write-pip", str(pip_out), "--write-bindep", str(bindep_out)], str(tmp_path))
    assert rc == 0, log
    result = requirement_names(pip_out.read_text().splitlines())
    assert {name: result.get(name) for name in ours} == ours, pip_out.read_text()
    # bindep.txt lines are all for the lab's and the suite's profiles: the image's default profile gets none
    rc, log = run([os.path.join(BIN, "bindep"), "--file", str(bindep_out) if bindep_out.exists() else os.devnull,
                   "--list_all=newline"], str(tmp_path))
    assert rc == 0 and log.strip() == "", log


def test_antsibull_docs_lint(installed):
    """antsibull-docs' lint of the installed collection, plugin docs included: no problem anywhere."""
    collection = installed / "ansible_collections" / GALAXY["namespace"] / GALAXY["name"]
    rc, out = run([os.path.join(BIN, "antsibull-docs"), "lint-collection-docs", "--plugin-docs", "."],
                  str(collection), env={"ANSIBLE_COLLECTIONS_PATH": os.pathsep.join(
                      # the dependency ansible.windows from .lab/collections (scripts/setup); dr.asr from the install
                      (str(installed), os.path.join(ROOT, ".lab", "collections")))})
    problems = [line for line in out.splitlines() if re.match(r"\S+:\d+:\d+: ", line)]
    assert problems == [] and rc == 0, out


#: what a docsite built offline cannot resolve: antsibull-docs' pages refer to Ansible core's own pages (common return
#: values, action plugins, configuration settings and its environment variables) through docs.ansible.com's intersphinx
#: inventory, which is not reachable here
OFFLINE_REFERENCES = re.compile(r"WARNING: (undefined label: '(common_return_values|action_plugins|"
                                r"ansible_configuration_settings)'|'envvar' reference target not found: ANSIBLE_\w+)")


def test_docsite_builds(installed, tmp_path):
    """The installed collection's docsite builds as antsibull-docs sets it up (sphinx-init, then its build.sh's two
    steps: antsibull-docs collection, sphinx-build -W --keep-going), offline: no warning but the references into
    Ansible core's docs, and a page for every module, inventory and filter plugin and role."""
    collection = installed / "ansible_collections" / GALAXY["namespace"] / GALAXY["name"]
    env = {"ANSIBLE_COLLECTIONS_PATH": os.pathsep.join((str(installed), os.path.join(ROOT, ".lab", "collections")))}
    site = tmp_path / "docsite"
    site.mkdir()
    fqcn = "%s.%s" % (GALAXY["namespace"], GALAXY["name"])
    rc, out = run([os.path.join(BIN, "antsibull-docs"), "sphinx-init", "--use-current", "--dest-dir", str(site), fqcn],
                  str(tmp_path), env=env)
    assert rc == 0, out
    with open(site / "conf.py", "a") as handle:         # offline: no inventory to fetch
        handle.write("\nintersphinx_mapping = {}\n")
    os.chmod(site / "rst", 0o755)          # build.sh: antsibull-docs wants it writable by itself only
    rc, out = run([os.path.join(BIN, "antsibull-docs"), "--config-file", "antsibull-docs.cfg", "collection",
                   "--cleanup", "everything", "--use-current", "--dest-dir", "rst", fqcn], str(site), env=env)
    assert rc == 0, out
    rc, out = run([os.path.join(BIN, "sphinx-build"), "-M", "html", "rst", "build", "-c", ".", "-W", "--keep-going"],
                  str(site), env=env)
    warnings = [line for line in out.splitlines() if "WARNING" in line and not OFFLINE_REFERENCES.search(line)]
    assert warnings == [] and "build finished" in out, out[-6000:]
    html = site / "build" / "html" / "collections" / GALAXY["namespace"] / GALAXY["name"]
    pages = set(p.name for p in html.glob("*.html"))
    wanted = set("%s_module.html" % f[:-3] for f in os.listdir(collection / "plugins" / "modules")
                 if f.endswith(".py") and not f.startswith("_"))
    wanted |= set("%s_inventory.html" % f[:-3] for f in os.listdir(collection / "plugins" / "inventory")
                  if f.endswith(".py") and not f.startswith("_"))
    wanted |= set("%s_role.html" % r for r in os.listdir(collection / "roles"))
    wanted |= set("%s_filter.html" % f[:-4] for f in os.listdir(collection / "plugins" / "filter") if f.endswith(".yml"))
    assert wanted - pages == set() and "index.html" in pages, sorted(wanted - pages)


def test_awx_example_lint():
    """examples/awx passes ansible-lint (the repository's .ansible-lint) with the awx.awx collection scripts/setup
    installs into .lab/collections."""
    collections = os.path.join(ROOT, ".lab", "collections")
    assert os.path.isdir(os.path.join(collections, "ansible_collections", "awx", "awx")), "run scripts/setup"
    rc, out = run([os.path.join(BIN, "ansible-lint"), "--offline", "-q", "examples/awx"], ROOT,
                  env={"ANSIBLE_COLLECTIONS_PATH": collections})
    assert rc == 0, out[-20000:]
