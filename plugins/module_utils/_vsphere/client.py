# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The vSphere connection: one pyvmomi session per module run, and the one error translation point.

    session = VSphereSession(module.params)          # connects, or raises VSphereError / InputError
    with vsphere_errors("listing virtual machines"):
        contents = session.retrieve(object_specs, property_specs)
    session.close()

Nothing outside `_vsphere` sees a pyvmomi exception: `vsphere_errors` turns `vmodl.MethodFault`
(and so `vmodl.RuntimeFault`), socket, TLS and HTTP errors into `VSphereError`.

pyVmomi's session-oriented stub sends a call again after any socket or HTTP error. For a call that changes
something (a task: PowerOnVM_Task, ...; a guest power operation: ShutdownGuest, ...) whose answer was lost after it
left, that would run it twice: the SOAP stub under it (`SendOnceSoap`) raises `AnswerLost` instead, which reaches the
caller as VSphereError code AnswerLost; `_vsphere.power` then reads the VM's power state and recent tasks before it
calls again. Calls vCenter refused unauthenticated (a lost session: nothing ran) log in again and are sent again.
"""

from __future__ import annotations

import http.client
import os
import socket
import ssl
from contextlib import contextmanager
from xml.parsers.expat import ExpatError

try:
    from pyVim.connect import Disconnect, SmartStubAdapter, VimSessionOrientedStub
    from pyVmomi import vim, vmodl
    HAS_PYVMOMI = True
except ImportError:  # reported by DrAsrModule with missing_required_lib("pyvmomi")
    Disconnect = SmartStubAdapter = VimSessionOrientedStub = vim = vmodl = None
    HAS_PYVMOMI = False

# A call answered NotAuthenticated (the session expired, was terminated by an administrator, or vCenter
# restarted) logs in again and is sent again, up to RELOGINS times; so is a call that hit a dropped
# connection, unless it changes something and may have reached vCenter (SendOnceSoap). (pyVmomi's
# session-oriented stub; every object of the session goes through it.)
RELOGINS = 4
RELOGIN_DELAY = 0.5
#: a listing through a ContainerView is made again this often when the session was lost under it (retrieve_view)
VIEW_ATTEMPTS = 10
#: calls besides tasks that change a VM, never sent again blindly after their answer was lost
GUEST_POWER = ("ShutdownGuest", "RebootGuest", "StandbyGuest")
#: the code of the VSphereError of such a call (what `_vsphere.power` looks for)
ANSWER_LOST = "AnswerLost"

from ansible_collections.dr.asr.plugins.module_utils._errors import DrAsrError, InputError, VSphereError
from ansible_collections.dr.asr.plugins.module_utils._tls import resolve_ca_bundle

# Objects per page of RetrievePropertiesEx; the server may return fewer (and a continuation token).
PAGE_SIZE = 500

_TLS_CAUSES = ("The vCenter certificate is signed by a CA this machine does not trust (self-signed or a "
               "private CA), it has expired, or it does not name the host you connect to.")
_TLS_ACTION = ("Set ca_path to the PEM file of the CA that signed the vCenter certificate (for the dr.asr lab: "
               ".lab/ca/ca.pem) and connect with a host name the certificate names. Use validate_certs=false "
               "only against a throwaway lab.")

# Hints for the faults an operator can act on; anything else is reported with its own message.
FAULT_HINTS = {
    "InvalidLogin": ("The user name or password is wrong, the account is locked or its password expired.",
                     "Check username and password (or VMWARE_USER / VMWARE_PASSWORD); an SSO user is "
                     "written user@domain, e.g. administrator@vsphere.local."),
    "NotAuthenticated": ("The session expired or was closed by the server.", "Run the task again."),
    "NoPermission": ("The vSphere user lacks a privilege on the object.",
                     "Grant the user a role with the privilege named in the error on that object."),
    "ManagedObjectNotFound": ("The object was deleted meanwhile, or the managed object id is wrong.",
                              "Check the object still exists and run again."),
    "HostConnectFault": ("The vSphere API endpoint could not be reached or answered unexpectedly.",
                         "Check hostname and port and that the vCenter services are running."),
}


def fault_name(fault):
    """The WSDL name of a fault (InvalidLogin, NoPermission, ...)."""
    return getattr(fault, "_wsdlName", None) or type(fault).__name__


def fault_message(fault):
    message = getattr(fault, "localizedMessage", None) or getattr(fault, "msg", None)
    if not message:
        for item in getattr(fault, "faultMessage", None) or []:
            message = getattr(item, "message", None)
            if message:
                break
    return message or fault_name(fault)


def _fault_details(fault):
    details = {"fault": fault_name(fault)}
    if getattr(fault, "privilegeId", None):
        details["privilege"] = fault.privilegeId
    obj = getattr(fault, "object", None) or getattr(fault, "obj", None)
    if obj is not None and hasattr(obj, "_moId"):
        details["object"] = obj._moId
    return details


def error_from_fault(fault, action):
    """VSphereError for a vmodl.MethodFault raised while doing `action`."""
    name = fault_name(fault)
    causes, recommended = FAULT_HINTS.get(name, (None, None))
    message = "vSphere error while %s: %s" % (action, fault_message(fault)) if action else fault_message(fault)
    if name == "HostConnectFault" and _looks_like_tls(fault_message(fault)):
        causes, recommended = _TLS_CAUSES, _TLS_ACTION
    return VSphereError(message, code=name, possible_causes=causes, recommended_action=recommended,
                        details=_fault_details(fault))


def _looks_like_tls(text):
    text = str(text or "")
    return "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text


def error_from_transport(error, action, endpoint=None):
    """VSphereError for a socket/TLS/HTTP error raised while doing `action` (None if it is none of those)."""
    where = " at %s" % endpoint if endpoint else ""
    if isinstance(error, ssl.SSLCertVerificationError) or (isinstance(error, ssl.SSLError) and _looks_like_tls(error)):
        reason = getattr(error, "verify_message", None) or str(error)
        return VSphereError("TLS certificate verification failed for the vSphere API%s while %s: %s."
                            % (where, action, reason), code="TLSVerificationFailed",
                            possible_causes=_TLS_CAUSES, recommended_action=_TLS_ACTION)
    if isinstance(error, ssl.SSLError):
        return VSphereError("TLS error talking to the vSphere API%s while %s: %s." % (where, action, error),
                            code="TLSError", possible_causes="The endpoint does not speak HTTPS, or no common "
                            "TLS version or cipher.", recommended_action="Check hostname and port.")
    if isinstance(error, socket.gaierror):
        return VSphereError("Cannot resolve the vSphere host%s while %s: %s." % (where, action, error),
                            code="NameResolutionFailed", recommended_action="Check hostname (and DNS).")
    if isinstance(error, (socket.timeout, TimeoutError)):
        return VSphereError("Timed out reaching the vSphere API%s while %s." % (where, action),
                            code="ConnectionTimeout", possible_causes="The host is down or a firewall drops "
                            "the traffic.", recommended_action="Check hostname, port and the network path.")
    if isinstance(error, ConnectionRefusedError):
        return VSphereError("The vSphere API%s refused the connection while %s: %s." % (where, action, error),
                            code="ConnectionRefused", possible_causes="Nothing listens on that port: the port "
                            "is wrong or the vCenter services are down.",
                            recommended_action="Check hostname and port and that the vCenter is up.")
    if isinstance(error, (OSError, http.client.HTTPException)):
        reason = str(error) or type(error).__name__
        return VSphereError("Cannot reach the vSphere API%s while %s: %s." % (where, action, reason),
                            code="ConnectionFailed", possible_causes="The host is down, the port is wrong, "
                            "or a firewall blocks it.",
                            recommended_action="Check hostname and port and that the vCenter is up.")
    return None


class AnswerLost(Exception):
    """A call that changes something left for vCenter and its answer was lost (the connection broke): it may have
    run. Not a socket error, so pyVmomi's session stub does not send it again."""

    def __init__(self, method, error):
        super().__init__("%s: %s" % (method, error))
        self.method = method
        self.error = error


def changes_something(info):
    """Whether a vSphere call (its pyVmomi method info) changes something: a task, or a guest power operation."""
    return bool(getattr(info, "isTask", False)) or getattr(info, "wsdlName", None) in GUEST_POWER


def never_sent(error):
    """Whether a transport error came before the request could reach vCenter (no connection, no name, no trust)."""
    return isinstance(error, (ConnectionRefusedError, socket.gaierror, ssl.SSLCertVerificationError))


class SendOnceSoap(object):
    """pyVmomi's SOAP stub as the session-oriented stub above it sees it: the same, except that a call that changes
    something (`changes_something`) whose request may have reached vCenter raises AnswerLost on a transport error,
    instead of the socket error the session stub would answer by sending it again."""

    def __init__(self, soap):
        self._soap = soap

    def __getattr__(self, name):
        if name == "_soap":
            raise AttributeError(name)
        return getattr(self._soap, name)

    def InvokeMethod(self, mo, info, args, outerStub=None):  # noqa: N802,N803  # pyVmomi's names
        try:
            return self._soap.InvokeMethod(mo, info, args, outerStub)
        except (socket.error, http.client.HTTPException, ExpatError) as error:
            if changes_something(info) and not never_sent(error):
                raise AnswerLost(info.wsdlName, error) from error
            raise


def session_stub(soap, login):
    """pyVmomi's session-oriented stub over `soap` (a SOAP stub): it logs in with `login(stub)` when needed, logs in
    again after NotAuthenticated and sends reads again after a dropped connection (RELOGINS), but never a call that
    changes something whose answer was lost (SendOnceSoap)."""
    return VimSessionOrientedStub(SendOnceSoap(soap), login, retryDelay=RELOGIN_DELAY, retryCount=RELOGINS)


@contextmanager
def vsphere_errors(action, endpoint=None):
    """Translate pyvmomi faults and transport errors raised inside the block into VSphereError."""
    try:
        yield
    except DrAsrError:
        raise
    except Exception as error:  # pylint: disable=broad-except
        if HAS_PYVMOMI and isinstance(error, vmodl.MethodFault):
            raise error_from_fault(error, action) from None
        if isinstance(error, AnswerLost):
            where = " at %s" % endpoint if endpoint else ""
            raise VSphereError("The connection to the vSphere API%s broke after the call was sent while %s (%s): it "
                               "may have been carried out." % (where, action, error.error or type(error.error).__name__),
                               code=ANSWER_LOST, possible_causes="A network interruption, or vCenter restarted.",
                               recommended_action="Check the object's state in vCenter before running the task "
                                                  "again.") from None
        translated = error_from_transport(error, action, endpoint)
        if translated is None:
            raise
        raise translated from None


def ssl_context(params):
    """Verification against the CA bundle of _tls.resolve_ca_bundle (ca_path, ca_bundle, AZURE_CA_BUNDLE,
    REQUESTS_CA_BUNDLE, SSL_CERT_FILE) or the system trust store; validate_certs false: no verification."""
    if not params.get("validate_certs", True):
        return ssl._create_unverified_context()  # pylint: disable=protected-access  # user asked for it
    path, source = resolve_ca_bundle(params, own_option="ca_path")
    if path is None:
        return ssl.create_default_context()
    try:
        if os.path.isdir(path):
            return ssl.create_default_context(capath=path)
        return ssl.create_default_context(cafile=path)
    except (OSError, ssl.SSLError) as error:
        raise InputError(source, path, "a readable PEM file of CA certificates", hint=str(error)) from None


def _require(params, name, expected):
    value = params.get(name)
    if value in (None, ""):
        raise InputError(name, value, expected, hint="Set it on the task, through module_defaults "
                         "(group/dr.asr.vsphere) or in the environment.")
    return value


def _valid_port(name, value):
    try:
        port = int(value)
    except (TypeError, ValueError):
        port = None
    if port is None or not 0 < port < 65536:
        raise InputError(name, value, "a TCP port between 1 and 65535")
    return port


def split_host_port(hostname, port=None):
    """(host, port) of `hostname`, which may carry a port: vcenter.example.com:8443, 10.0.0.5:443,
    [2001:db8::5]:443. A bare IPv6 address (2001:db8::5) has none. The port of `hostname` must agree
    with the `port` option unless that is the default (443); an invalid one is an InputError naming hostname."""
    host, embedded = hostname, None
    if hostname.startswith("["):
        end = hostname.find("]")
        rest = hostname[end + 1:] if end > 0 else None
        if end < 0 or (rest and not rest.startswith(":")):
            raise InputError("hostname", hostname, "a host name or address, optionally with :port ([IPv6]:port)")
        host = hostname[1:end]
        embedded = rest[1:] if rest else None
    elif hostname.count(":") == 1:
        host, embedded = hostname.split(":")
    if embedded is not None:
        if not embedded.isdigit() or not 0 < int(embedded) < 65536:
            raise InputError("hostname", hostname, "a host name or address, optionally with a port between 1 and "
                             "65535 (host:port)")
        embedded = int(embedded)
    if not host:
        raise InputError("hostname", hostname, "a host name or address, optionally with :port")
    port = _valid_port("port", port) if port not in (None, "") else None
    if embedded is not None:
        if port not in (None, 443, embedded):
            raise InputError("hostname", hostname, "no port, or the same port as the port option (%d)" % port,
                             hint="Give the port once: in hostname (host:port) or in port.")
        port = embedded
    return host, port or 443


def connection_settings(params):
    """(hostname, port, username, password) from the shared options, checked: one place for SOAP and REST.

    hostname may carry the port (host:port, [IPv6]:port), as VMWARE_HOST often does."""
    hostname = _require(params, "hostname", "the vCenter host name or address (VMWARE_HOST)").strip()
    if "://" in hostname or "/" in hostname:
        raise InputError("hostname", hostname, "a host name or address without scheme or path",
                         hint="For example vcenter.example.com, not https://vcenter.example.com/sdk.")
    host, port = split_host_port(hostname, params.get("port"))
    username = _require(params, "username", "the vSphere user name (VMWARE_USER)")
    password = _require(params, "password", "the vSphere password (VMWARE_PASSWORD)")
    return host, port, username, password


def endpoint_host(host):
    """host as it goes into a URL: an IPv6 address in brackets."""
    return "[%s]" % host if ":" in host else host


def connect(host, port, user, pwd, sslContext, on_login=None):  # pylint: disable=invalid-name  # SmartConnect's
    """A logged-in ServiceInstance whose calls log in again when the session is lost (RELOGINS); a call that changes
    something is never sent again after its answer was lost (session_stub). `on_login()` is called after each login.

    SmartConnect's API version negotiation (SmartStubAdapter), under pyVmomi's session-oriented stub; the
    first call logs in (InvalidLogin raises here)."""
    def login(soap_stub):
        # (pyVmomi's makeUserLoginMethod reads currentSession first, which some endpoints refuse unauthenticated)
        vim.ServiceInstance("ServiceInstance", soap_stub).RetrieveContent().sessionManager.Login(user, pwd)
        if on_login is not None:
            on_login()

    soap = SmartStubAdapter(host=host, port=port, sslContext=sslContext)
    si = vim.ServiceInstance("ServiceInstance", session_stub(soap, login))
    si.RetrieveContent()    # the first call logs in
    return si


class VSphereSession(object):
    """A logged-in pyvmomi session. `si` is the ServiceInstance, `content` its ServiceContent."""

    def __init__(self, params):
        self.hostname, self.port, self.username, password = connection_settings(params)
        self.endpoint = "https://%s:%s/sdk" % (endpoint_host(self.hostname), self.port)
        self.logins = 0     # how often this session logged in (a view or a continuation token dies with its session)
        self._si = self._connect(password, ssl_context(params))
        try:
            with self.errors("reading the service content"):
                self._content = self._si.RetrieveContent()
        except DrAsrError:
            self.close()
            raise

    def _connect(self, password, context):
        try:
            with self.errors("connecting as %s" % self.username):
                try:
                    return connect(host=self.hostname, port=self.port, user=self.username, pwd=password,
                                   sslContext=context, on_login=self._logged_in)
                except vim.fault.InvalidLogin as fault:
                    causes, action = FAULT_HINTS["InvalidLogin"]
                    raise VSphereError("vCenter %s rejected the login of user '%s': %s"
                                       % (self.endpoint, self.username, fault_message(fault)), code="InvalidLogin",
                                       possible_causes=causes, recommended_action=action) from None
        except DrAsrError:
            raise
        except Exception as error:  # pylint: disable=broad-except
            # SmartConnect raises a bare Exception when the endpoint serves no vimServiceVersions.xml.
            raise VSphereError("Cannot connect to the vSphere API at %s: %s" % (self.endpoint, error),
                               code="ConnectionFailed", possible_causes="The endpoint is not a vCenter or ESXi "
                               "SDK (wrong port?) or it is still starting.",
                               recommended_action="Check hostname and port.") from None

    def _logged_in(self):
        self.logins += 1

    def errors(self, action):
        """vsphere_errors(action) naming this session's endpoint."""
        return vsphere_errors(action, endpoint=self.endpoint)

    @property
    def si(self):
        return self._si

    @property
    def content(self):
        return self._content

    @property
    def stub(self):
        return self._si._stub  # pylint: disable=protected-access

    def ref(self, vim_type, moid):
        """A managed object reference bound to this session (no round trip)."""
        return vim_type(moid, self.stub)

    # -- property collector ---------------------------------------------------------------------
    def retrieve(self, object_specs, property_specs, action="reading inventory properties"):
        """All ObjectContent for one filter spec: one RetrievePropertiesEx, then continuation pages."""
        pc = vmodl.query.PropertyCollector
        spec = pc.FilterSpec(objectSet=list(object_specs), propSet=list(property_specs),
                             reportMissingObjectsInResults=True)
        collector = self._content.propertyCollector
        objects = []
        with self.errors(action):
            result = collector.RetrievePropertiesEx(specSet=[spec], options=pc.RetrieveOptions(maxObjects=PAGE_SIZE))
            while result is not None:
                objects.extend(result.objects or [])
                if not result.token:
                    break
                result = collector.ContinueRetrievePropertiesEx(token=result.token)
        return objects

    @contextmanager
    def container_view(self, container, types, recursive=True):
        """A ContainerView over `container` (default: the root folder), destroyed on exit."""
        with self.errors("creating a container view"):
            view = self._content.viewManager.CreateContainerView(container or self._content.rootFolder,
                                                                 list(types), recursive)
        try:
            yield view
        finally:
            try:
                view.DestroyView()
            except Exception:  # pylint: disable=broad-except  # the session ends soon anyway
                pass

    def retrieve_view(self, container, types, property_specs, action):
        """retrieve() of every object of `types` under `container` through a ContainerView. A view belongs to the
        session that made it: when the session logged in again meanwhile (a lost vCenter session) and the read found
        nothing, vCenter answered the old view (with nothing), so the read starts over with a new view. A read that
        found objects is whole (a continuation token of an ended session fails instead)."""
        for _attempt in range(VIEW_ATTEMPTS):
            logins = self.logins
            with self.container_view(container, types) as view:
                contents = self.retrieve([self.view_object_spec(view)], property_specs, action=action)
            if contents or self.logins == logins:
                return contents
        raise VSphereError("vCenter %s lost the session again and again while %s" % (self.endpoint, action),
                           code="SessionLost", possible_causes="vCenter ends sessions (restarts, session limits).",
                           recommended_action="Check vCenter's health and run again.")

    def view_object_spec(self, view):
        """ObjectSpec selecting every object of a ContainerView (not the view itself)."""
        pc = vmodl.query.PropertyCollector
        return pc.ObjectSpec(obj=view, skip=True,
                             selectSet=[pc.TraversalSpec(name="view", type=vim.view.ContainerView, path="view",
                                                         skip=False)])

    def close(self):
        if self._si is not None:
            try:
                Disconnect(self._si)
            except Exception:  # pylint: disable=broad-except  # logging out must not hide the result
                pass
            self._si = None


def properties(content):
    """ObjectContent -> {path: value} (missing and unset properties are absent)."""
    return dict((prop.name, prop.val) for prop in (content.propSet or []))
