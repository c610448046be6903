"""The oldest-SDK lane: the unit and lab conformance tests again with the oldest supported SDK set.

scripts/oldest-sdks builds .venv-oldest from tests/constraints-oldest.txt (the floors of requirements.txt,
azure.azcollection's pins) and runs tests/unit and tests/lab there (the lab files it leaves out, and why, are
listed in the script). This test runs it in a subprocess so `make test` (CI) covers both ends of the SDK range.
It takes a few minutes: one pip install the first time, then the tests on one worker.
"""
import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "scripts", "oldest-sdks")


def test_unit_and_lab_tests_pass_with_the_oldest_sdks():
    env = dict(os.environ)
    for name in ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_CURRENT_TEST", "PYTEST_ADDOPTS",
                 "VIRTUAL_ENV"):
        env.pop(name, None)
    proc = subprocess.run([SCRIPT], cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=3600, check=False)
    out = proc.stdout
    # pytest's summary (and the failures before it) is at the end; pip's errors are short
    assert proc.returncode == 0, "scripts/oldest-sdks failed (rc %d):\n%s" % (proc.returncode, out[-30000:])
