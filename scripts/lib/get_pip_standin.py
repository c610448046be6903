"""Stand-in for pypa's get-pip.py, which ansible-test downloads from a host this project's machines
cannot reach. ansible-test runs it inside a fresh virtualenv with pip's install arguments; this
installs the interpreter's bundled pip (ensurepip), then runs `pip install` with those arguments
(the wanted pip version comes from PyPI like every other package)."""
import ensurepip
import os
import subprocess
import sys

args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
env = dict(os.environ)  # ensurepip points PIP_CONFIG_FILE at /dev/null in this process: keep the machine's pip config
ensurepip.bootstrap()
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install"] + args, env=env))
