"""The simulated appliance's link to the lab vCenter (what a real replication appliance has: vCenter
credentials added in its Configuration Manager).

Configured by the process environment, which `lab up` sets when it starts the simulator:
DRLAB_VCENTER_URL (https://host:port/sdk), DRLAB_VCENTER_USER, DRLAB_VCENTER_PASSWORD,
DRLAB_VCENTER_CA (PEM file). Without DRLAB_VCENTER_URL the simulator runs with no vCenter
(discovery finds nothing; source-side effects are skipped and reported as such).

A lost session (terminated by an administrator - the fault suite's vcenter_session lane does it every 0.7 s -,
expired, vCenter restarted) does not fail what the appliance was doing: `call(operation, what)` runs
`operation(si)`, and when it failed and vCenter says the session it ran in is gone, logs in again and runs the
whole operation again (the objects of the old session, e.g. its ContainerViews, are gone with it), as a real
appliance does. Operations are idempotent (they find what an earlier attempt did before they act), and an error
raised while the session is alive is the operation's own: raised at once.
"""
import logging
import os
import ssl
import threading
from urllib.parse import urlparse

from pyVim.connect import SmartConnect
from pyVmomi import vim

LOG = logging.getLogger("drlab.azure.asr.vcenter")

#: runs of one operation at most (the first and the re-logins) while its session keeps being lost under it (the
#: fault suite ends sessions every 0.7 s; on a loaded machine a login and a discovery can take about that long)
ATTEMPTS = 10

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
    """A connected pyVmomi ServiceInstance (shared). Its session is not checked before every use (that cost a
    round trip per vCenter call: a plan's 100 VMs paid it hundreds of times): `call` logs in again when an operation
    failed because the session was gone (`session_lost`, `_forget`)."""
    global _si  # pylint: disable=global-statement
    if not configured():
        raise NoVCenter("the simulator has no vCenter (DRLAB_VCENTER_URL is not set)")
    with _lock:
        if _si is None:
            _si = _connect()
        return _si


def session_lost(si):
    """Whether vCenter says the session of `si` is gone: it answers NotAuthenticated (vcsim: also for reading
    currentSession), or no current session. False when that cannot be told (vCenter unreachable...)."""
    try:
        return si.content.sessionManager.currentSession is None
    except vim.fault.NotAuthenticated:
        return True
    except Exception:  # pylint: disable=broad-except  # not an answer about the session
        return False


def _forget(si):
    """Drop `si` as the shared link (unless another thread has replaced it already): the next use logs in."""
    global _si  # pylint: disable=global-statement
    with _lock:
        if _si is si:
            _si = None


def call(operation, what):
    """`operation(si)` with the appliance's session, logging in again when the session was lost under it (see the
    module docstring): at most ATTEMPTS runs; `what` names the operation in the log. Raises NoVCenter without a
    configured vCenter, and what the operation raised otherwise."""
    for attempt in range(1, ATTEMPTS + 1):
        si = service_instance()
        try:
            return operation(si)
        except Exception as err:  # pylint: disable=broad-except  # decided below: the session, or the operation's own
            if attempt >= ATTEMPTS or not session_lost(si):
                raise
            LOG.warning("%s: the vCenter session was lost (%s); logging in again (run %d of %d)",
                        what, type(err).__name__, attempt + 1, ATTEMPTS)
            _forget(si)
    raise AssertionError("unreachable")


def reset():
    global _si  # pylint: disable=global-statement
    with _lock:
        _si = None
