"""The simulated appliance's link to the lab vCenter (what a real replication appliance has: vCenter
credentials added in its Configuration Manager).

Configured by the process environment, which `lab up` sets when it starts the simulator:
DRLAB_VCENTER_URL (https://host:port/sdk), DRLAB_VCENTER_USER, DRLAB_VCENTER_PASSWORD,
DRLAB_VCENTER_CA (PEM file). Without DRLAB_VCENTER_URL the simulator runs with no vCenter
(discovery finds nothing; source-side effects are skipped and reported as such).
"""
import os
import ssl
import threading
from urllib.parse import urlparse

from pyVim.connect import SmartConnect

_lock = threading.Lock()
_si = None


class NoVCenter(Exception):
    pass


def configured():
    return bool(os.environ.get("DRLAB_VCENTER_URL"))


def _connect():
    url = urlparse(os.environ["DRLAB_VCENTER_URL"])
    ctx = ssl.create_default_context(cafile=os.environ.get("DRLAB_VCENTER_CA") or None)
    return SmartConnect(host=url.hostname, port=url.port or 443, user=os.environ.get("DRLAB_VCENTER_USER", ""),
                        pwd=os.environ.get("DRLAB_VCENTER_PASSWORD", ""), sslContext=ctx)


def service_instance():
    """A connected pyVmomi ServiceInstance (shared, reconnects when the session is gone)."""
    global _si  # pylint: disable=global-statement
    if not configured():
        raise NoVCenter("the simulator has no vCenter (DRLAB_VCENTER_URL is not set)")
    with _lock:
        if _si is not None:
            try:
                if _si.content.sessionManager.currentSession is not None:
                    return _si
            except Exception:  # pylint: disable=broad-except
                pass
        _si = _connect()
        return _si


def reset():
    global _si  # pylint: disable=global-statement
    with _lock:
        _si = None
