"""python -m drlab.mobility build [--version V] | config --agent-config-input S --out FILE | passphrase

build       build the stand-in installer tarball(s) into <state_dir>/mobility/ and print their paths
            (default: every lab version)
config      write the config.json the lab appliance issues for an Agent Config Input string
passphrase  print the path of the classic configuration server's passphrase file
"""
import argparse
import json
import os
import sys

from drlab.mobility import build, config
from drlab.settings import get_settings


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m drlab.mobility", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_build = sub.add_parser("build", help="build the installer tarball(s)")
    p_build.add_argument("--version", action="append",
                         help="MAJOR.MINOR.BUILD.PATCH (repeatable; default: %s)" % ", ".join(build.LAB_VERSIONS))
    p_config = sub.add_parser("config", help="config.json for an Agent Config Input")
    p_config.add_argument("--agent-config-input", required=True)
    p_config.add_argument("--out", required=True, help="file to write ('-' for stdout)")
    p_config.add_argument("--vault-id", help="ARM id of the vault (default: a lab vault id)")
    sub.add_parser("passphrase", help="path of the configuration server passphrase file")
    args = parser.parse_args(argv)
    settings = get_settings()
    if args.command == "build":
        try:
            for version in args.version or build.LAB_VERSIONS:
                print(build.build_installer(settings, version))
        except build.BuildError as err:
            parser.error(str(err))
    elif args.command == "config":
        try:
            document = config.make_config(settings, args.agent_config_input, vault_id=args.vault_id)
        except config.ConfigError as err:
            print("error: %s" % err.message, file=sys.stderr)
            return 1
        text = json.dumps(document, indent=2) + "\n"
        if args.out == "-":
            sys.stdout.write(text)
        else:
            tmp = args.out + ".tmp"
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(text)
            os.replace(tmp, args.out)
            print(args.out)
    else:
        print(config.passphrase_path(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
