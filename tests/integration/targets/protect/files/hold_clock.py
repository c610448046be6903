"""Lab time for the protect target's real run, moved by lab state and never by how fast this machine is.

The target stops the lab clock (time_scale 0) and starts this in the background before the real run. It then:

1. drives the clock while the run prepares (vault, appliance registration, policies): `--step` lab seconds every
   `--every` real seconds, until the lab's request log shows the run's first enable (a PUT of a protected item
   in `--vault`). From then on lab time stands still (at most the one step decided before the PUT was logged,
   far less than the enable job and the initial replication): the module run that enabled cannot see the VMs
   protected, however long it takes, and its round ends with them replicating;
2. lets time run again (`--release-scale`) once the next module run has started, i.e. the run's second round: the
   first request of every module run is its cloud's metadata (`GET /metadata/endpoints`), and only the
   second round of the same task comes after the enable;
3. writes what it did to `--out` (JSON) and exits 0; 1 with the reason when `--timeout` passes first, or when
   `--stop-file` appears (the target's clean-up), after letting time run again.
"""
import argparse
import json
import os
import re
import ssl
import sys
import time
import urllib.parse
import urllib.request


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="the lab's Azure simulator (https://host:port)")
    parser.add_argument("--ca", required=True, help="the lab CA (PEM)")
    parser.add_argument("--vault", required=True)
    parser.add_argument("--step", type=float, default=30.0, help="lab seconds per step while the run prepares")
    parser.add_argument("--every", type=float, default=0.2, help="real seconds between steps")
    parser.add_argument("--release-scale", type=float, default=200.0)
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--out", required=True)
    parser.add_argument("--stop-file", required=True)
    args = parser.parse_args(argv)
    tls = ssl.create_default_context(cafile=args.ca)

    def lab(method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(args.url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, context=tls, timeout=30) as resp:
            raw = resp.read()
            return json.loads(raw) if raw else None

    def logged(method, path_regex, since=None):
        query = {"method": method, "path_regex": path_regex, "limit": "1000"}
        if since is not None:
            query["since"] = "%f" % since
        return lab("GET", "/_lab/requests?" + urllib.parse.urlencode(query))["value"]

    report = {"steps": 0, "step_seconds": args.step, "enabled_at": None, "released_at": None, "error": None}
    enable = r"/vaults/%s/replicationFabrics/[^/]+/replicationProtectionContainers/[^/]+/replicationProtectedItems/" \
        % re.escape(args.vault)
    deadline = time.monotonic() + args.timeout
    try:
        while True:         # 1. drive until the first enable is logged
            if os.path.exists(args.stop_file) or time.monotonic() > deadline:
                raise RuntimeError("no enable of a VM in vault %s was seen" % args.vault)
            puts = logged("PUT", enable)
            if puts:
                report["enabled_at"] = min(e["epoch"] for e in puts)
                break
            lab("POST", "/_lab/clock", {"advance_seconds": args.step})
            report["steps"] += 1
            time.sleep(args.every)
        while True:         # 2. time stands still until the next module run starts
            if os.path.exists(args.stop_file) or time.monotonic() > deadline:
                raise RuntimeError("no module run started after the enable (no second round)")
            runs = logged("GET", r"^/metadata/endpoints", since=report["enabled_at"])
            if runs:
                report["released_at"] = min(e["epoch"] for e in runs)
                break
            time.sleep(args.every)
        return 0
    except Exception as exc:  # pylint: disable=broad-except  # reported to the target
        report["error"] = "%s: %s" % (type(exc).__name__, exc)
        return 1
    finally:
        try:
            lab("POST", "/_lab/clock", {"time_scale": args.release_scale})
        finally:
            with open(args.out + ".tmp", "w") as f:       # whole, or not there: the target waits for the file
                json.dump(report, f)
            os.replace(args.out + ".tmp", args.out)


if __name__ == "__main__":
    sys.exit(main())
