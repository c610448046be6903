"""Static checks, as part of the one test command: ansible-test sanity (on a copy of the tree laid
out as ansible_collections/dr/asr, which ansible-test requires), ansible-lint on roles and
playbooks, and the changelog fragments."""
import os
import shutil
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, ".venv", "bin")


def project_files():
    out = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    return [f for f in out.splitlines() if os.path.isfile(os.path.join(ROOT, f))]


@pytest.fixture(scope="module")
def collection_copy():
    dest = os.path.join(ROOT, "build", "sanity", "ansible_collections", "dr", "asr")
    shutil.rmtree(dest, ignore_errors=True)
    for rel in project_files():
        target = os.path.join(dest, rel)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copy2(os.path.join(ROOT, rel), target)
    subprocess.run(["git", "init", "-q"], cwd=dest, check=True)
    subprocess.run(["git", "add", "-A"], cwd=dest, check=True)
    return dest


def run(cmd, cwd, timeout=1800, env=None):
    env = dict(os.environ, PATH=BIN + os.pathsep + os.environ.get("PATH", ""), ANSIBLE_FORCE_COLOR="0", **(env or {}))
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False,
                            stdin=subprocess.DEVNULL)   # ansible refuses a non-blocking stdin (a CI runner's)
    return result.returncode, result.stdout + result.stderr


def test_ansible_test_sanity(collection_copy):
    rc, out = run([os.path.join(BIN, "ansible-test"), "sanity", "--venv", "--python", "3.11", "--color", "no"],
                  collection_copy)
    assert rc == 0, out[-20000:]


def test_ignore_files_are_empty():
    sanity = os.path.join(ROOT, "tests", "sanity")
    for name in os.listdir(sanity) if os.path.isdir(sanity) else []:
        lines = [line for line in open(os.path.join(sanity, name)) if line.strip() and not line.startswith("#")]
        assert lines == [], "%s should stay empty: %s" % (name, lines)


def test_ansible_lint(collection_copy):
    paths = [p for p in ("roles", "playbooks") if os.path.isdir(os.path.join(collection_copy, p))]
    # the copy itself first (its ansible_collections root), then .lab/collections for ansible.windows
    # (scripts/setup installs it: the mobility_service role's Windows tasks use its modules)
    collections = os.pathsep.join((os.path.dirname(os.path.dirname(os.path.dirname(collection_copy))),
                                   os.path.join(ROOT, ".lab", "collections")))
    rc, out = run([os.path.join(BIN, "ansible-lint"), "--offline", "-q"] + paths, collection_copy,
                  env={"ANSIBLE_COLLECTIONS_PATH": collections})
    assert rc == 0, out[-20000:]


def test_changelog_fragments_lint():
    rc, out = run([os.path.join(BIN, "antsibull-changelog"), "lint"], ROOT)
    assert rc == 0, out
