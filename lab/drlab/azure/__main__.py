"""python -m drlab.azure --state-dir DIR --port N [--host H] [--config FILE]

Serves the Azure simulator over HTTPS (lab CA) until SIGTERM; prints `AZURE-SIM READY <url>` on
stdout once it listens. `--port 0` picks a free port (the READY line tells which). Run with
PYTHONPATH=lab. A resource provider that cannot start (drlab.azure.providers.ProviderError: one that
fails to import, or refuses to start) stops it before READY: the error on stderr, exit status 1.
"""
import argparse
import dataclasses
import logging
import os
import sys

from drlab.azure import server
from drlab.azure.providers import ProviderError
from drlab.settings import get_settings

LOG = logging.getLogger("drlab.azure")


def main(argv=None):
    settings = get_settings()
    p = argparse.ArgumentParser(prog="python -m drlab.azure", description="Azure Resource Manager simulator")
    p.add_argument("--state-dir", default=settings.state_dir,
                   help="lab state directory: <state-dir>/azure/state.db, the CA in <state-dir>/ca "
                        "(default %(default)s)")
    p.add_argument("--host", default=settings.host, help="address to listen on (default %(default)s)")
    p.add_argument("--port", type=int, default=settings.azure_port, help="port (0: any free port; default %(default)s)")
    p.add_argument("--config", default=None, help="configuration file (default lab/config/azure.yml)")
    p.add_argument("--log-level", default=os.environ.get("DRLAB_LOG_LEVEL", "INFO"))
    args = p.parse_args(argv)
    logging.basicConfig(level=getattr(logging, args.log_level.upper(), logging.INFO), stream=sys.stderr,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    state_dir = os.path.abspath(args.state_dir)
    if os.path.abspath(settings.state_dir) != state_dir:
        settings = dataclasses.replace(settings, state_dir=state_dir)
    try:
        return server.serve(settings, state_dir, args.host, args.port, args.config)
    except ProviderError as err:
        LOG.critical("the Azure simulator cannot start: %s", err, exc_info=True)
        return 1


if __name__ == "__main__":
    sys.exit(main())
