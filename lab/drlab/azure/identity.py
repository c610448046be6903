"""Microsoft Entra ID (AAD) as far as the SDKs need it, and the bearer checks of ARM.

* `GET /{tenant}/v2.0/.well-known/openid-configuration` (and v1 `/{tenant}/.well-known/...`)
* `POST /{tenant}/oauth2/v2.0/token`, client credentials (client_secret_post or _basic) with a
  `<audience>/.default` scope; `POST /{tenant}/oauth2/token` (v1, `resource=`)
* `GET /common/discovery/instance` (MSAL's instance discovery, when not disabled)
* `GET /{tenant}/discovery/v2.0/keys`
* client credentials of three kinds for the lab's app (settings.client_id): the client secret; a client
  assertion signed with the app's certificate (`.lab/azure/client-cert.pem`, RS256 with `x5t` or PS256 with
  `x5t#S256`, the signature verified against that certificate's public key, `aud` the token endpoint,
  `iss` = `sub` = client id, time window); a federated assertion (workload identity federation): a JWT of
  the lab's own OIDC issuer (`<base>/_lab/oidc`, `POST /_lab/identity/federated-token` hands one out; HS256
  with the lab key, verified) whose issuer, subject and audience match the app's federated credential
* managed identity, as a host offers it: the IMDS protocol (`GET /metadata/identity/oauth2/token`, header
  `Metadata: true`; clients reach it through AZURE_POD_IDENTITY_AUTHORITY_HOST=<base>) and the App Service
  protocol (`GET /msi/token`, header `X-IDENTITY-HEADER`; IDENTITY_ENDPOINT=<base>/msi/token,
  IDENTITY_HEADER=settings.identity_header). The identity is settings.managed_identity_client_id (system
  assigned, or asked for by that client id); any other client id is "not found".

Tokens are issued for ARM's audiences and for the data planes' (`DATA_PLANE_AUDIENCES`: Azure Storage,
`https://storage.azure.com/`, which blob.py checks and ARM refuses); `verify()` checks a token's signature and
lifetime for both, each answering audience and tenant its own way.

`{tenant}` is the lab tenant id, `organizations` or `common`. Tokens are JWTs signed with a key
kept in the state database (so they stay valid across restarts); ARM requests are checked for
signature, expiry (real time), audience and tenant, and answered 401 exactly like ARM otherwise:
`WWW-Authenticate: Bearer authorization_uri=..., error="invalid_token", error_description=...` and ARM's
error code (AuthenticationFailed, InvalidAuthenticationToken, ExpiredAuthenticationToken,
InvalidAuthenticationTokenAudience, InvalidAuthenticationTokenTenant).

Tokens expiring under a client's feet (the lab admin API): `revoke()` makes every token issued so far
expired for ARM (401 ExpiredAuthenticationToken, as a token past its expiry or revoked by the service is
answered), while the client still believes it valid until its `expires_on`; tokens issued afterwards
work. The revocation survives restarts (kept in the state database).
"""
import base64
import hashlib
import hmac
import json
import re
import secrets
import os
import time
import uuid
from urllib.parse import unquote_plus, urlsplit

from drlab.azure.rp import ArmError
from drlab.azure.wire import Response

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
OIDC_PATH = "/_lab/oidc"
CLOCK_SKEW = 300
GUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
_TENANT_ALIASES = ("organizations", "common")
#: audiences of the data planes the lab serves (tokens for them are issued; ARM refuses them)
DATA_PLANE_AUDIENCES = ("https://storage.azure.com/",)


def _b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _norm_aud(value):
    return value.rstrip("/").lower()


def _dotnet_time(epoch):
    """ARM prints token times the .NET way: 1/2/2026 3:04:05 PM."""
    t = time.gmtime(epoch)
    hour = t.tm_hour % 12 or 12
    return "%d/%d/%d %d:%02d:%02d %s" % (t.tm_mon, t.tm_mday, t.tm_year, hour, t.tm_min, t.tm_sec,
                                         "AM" if t.tm_hour < 12 else "PM")


class Identity:
    def __init__(self, app):
        self.app = app
        key = app.store.meta_get("token_key")
        if not key:
            key = _b64(secrets.token_bytes(32))
            app.store.meta_set("token_key", key)
        self._key = _unb64(key)
        self._generation = self._revoked_at = None
        self._client_cert = None
        self.client_certificate       # the app's certificate credential exists with the lab's state

    @property
    def client_certificate_path(self):
        return os.path.join(os.path.dirname(self.app.store.path), "client-cert.pem")

    @property
    def client_certificate(self):
        """The certificate registered on the lab's app (created with the lab's state)."""
        if self._client_cert is None:
            from drlab.ca import ensure_client_certificate
            self._client_cert = ensure_client_certificate(self.client_certificate_path)
        return self._client_cert

    @property
    def oidc_issuer(self):
        return self.app.base_url + OIDC_PATH

    def public(self):
        """What a client needs to use each credential kind (GET /_lab/config: identity)."""
        from cryptography.hazmat.primitives import hashes
        return {"client_certificate": self.client_certificate_path,
                "client_certificate_thumbprint": self.client_certificate.fingerprint(hashes.SHA1()).hex().upper(),
                "managed_identity_client_id": self.settings.managed_identity_client_id,
                "identity_endpoint": self.app.base_url + "/msi/token",
                "identity_header": self.settings.identity_header,
                "imds_authority_host": self.app.base_url,
                "federated_issuer": self.oidc_issuer, "federated_subject": self.settings.federated_subject,
                "federated_audience": self.settings.federated_audience}

    def federated_token(self, subject=None, audience=None, lifetime=3600, issuer=None, now=None):
        """A workload's assertion from the lab's OIDC issuer (what Kubernetes writes to AZURE_FEDERATED_TOKEN_FILE)."""
        now = int(time.time() if now is None else now)
        header = {"typ": "JWT", "alg": "HS256", "kid": "drlab-oidc"}
        claims = {"iss": issuer or self.oidc_issuer, "sub": subject or self.settings.federated_subject,
                  "aud": [audience or self.settings.federated_audience], "iat": now, "nbf": now,
                  "exp": now + int(lifetime), "jti": str(uuid.uuid4())}
        return self._sign_hs256(header, claims)

    def _sign_hs256(self, header, claims):
        signing_input = _b64(json.dumps(header, separators=(",", ":")).encode()) + "." + \
            _b64(json.dumps(claims, separators=(",", ":")).encode())
        sig = hmac.new(self._key, signing_input.encode("ascii"), hashlib.sha256).digest()
        return signing_input + "." + _b64(sig)

    # -- revocation -----------------------------------------------------------------------------
    @property
    def generation(self):
        """Tokens carry the generation they were issued in; older generations are revoked."""
        if self._generation is None:
            self._generation = int(self.app.store.meta_get("token_generation") or 0)
            self._revoked_at = self.app.store.meta_get("token_revoked_at")
        return self._generation

    def revoke(self):
        """Every token issued so far is refused from now on (ExpiredAuthenticationToken)."""
        gen = self.generation + 1
        self._revoked_at = time.time()
        self.app.store.meta_set("token_generation", gen)
        self.app.store.meta_set("token_revoked_at", self._revoked_at)
        self._generation = gen
        return gen

    # -- configuration --------------------------------------------------------------------------
    @property
    def settings(self):
        return self.app.settings

    @property
    def tenant_id(self):
        return self.settings.tenant_id

    def audiences(self):
        """The audiences ARM accepts (configuration `audiences`, and the simulator's own URL)."""
        auds = list(self.app.config["audiences"])
        auds.append(self.app.base_url + "/")
        return auds

    def token_audiences(self):
        """The audiences the token endpoints issue tokens for: ARM's, and the data planes' (Azure Storage,
        `https://storage.azure.com/`, drlab/azure/blob.py) - which ARM refuses, as ARM does."""
        return self.audiences() + list(DATA_PLANE_AUDIENCES)

    def known_tenant(self, tenant):
        t = tenant.lower()
        return t == self.tenant_id.lower() or t in _TENANT_ALIASES or \
            t in [d.lower() for d in self.app.config.get("tenant_domains", [])]

    # -- routing --------------------------------------------------------------------------------
    def route(self, req):
        """A Response when the request is an identity endpoint, else None."""
        segs = [s for s in req.path.split("/") if s]
        low = [s.lower() for s in segs]
        if len(segs) < 2:
            return None
        if low[:3] == ["common", "discovery", "instance"] and req.method == "GET":
            req.resource_type = "identity/instance-discovery"
            return self._instance_discovery(req)
        if req.method == "GET" and low == ["metadata", "identity", "oauth2", "token"]:
            req.resource_type = "identity/imds-token"
            return self._managed_identity(req, imds=True)
        if req.method == "GET" and low == ["msi", "token"]:
            req.resource_type = "identity/msi-token"
            return self._managed_identity(req, imds=False)
        tenant = segs[0]
        if low[0] in ("subscriptions", "providers", "metadata", "_lab"):
            return None
        rest = low[1:]
        openid = (["v2.0", ".well-known", "openid-configuration"], [".well-known", "openid-configuration"])
        if req.method == "GET" and rest in openid:
            req.resource_type = "identity/openid-configuration"
            return self._openid(req, tenant, v2=rest[0] == "v2.0")
        if req.method == "POST" and rest in (["oauth2", "v2.0", "token"], ["oauth2", "token"]):
            req.resource_type = "identity/token"
            return self._token(req, tenant, v2=rest[1] == "v2.0")
        if req.method == "GET" and rest in (["discovery", "v2.0", "keys"], ["discovery", "keys"]):
            req.kind = "identity"
            req.resource_type = "identity/keys"
            return Response(200, {"keys": []})
        return None

    # -- AAD answers ----------------------------------------------------------------------------
    def _aad_error(self, status, error, code, description, correlation_id=None):
        now = time.time()
        trace = str(uuid.uuid4())
        corr = correlation_id or str(uuid.uuid4())
        stamp = time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime(now))
        desc = "AADSTS%d: %s Trace ID: %s Correlation ID: %s Timestamp: %s" % (code, description, trace, corr, stamp)
        return Response(status, {"error": error, "error_description": desc, "error_codes": [code],
                                 "timestamp": stamp, "trace_id": trace, "correlation_id": corr,
                                 "error_uri": self.app.base_url + "/error?code=%d" % code},
                        headers={"x-ms-request-id": trace, "Cache-Control": "no-store, no-cache", "Pragma": "no-cache"})

    def _unknown_tenant(self, tenant, corr=None):
        return self._aad_error(400, "invalid_request", 90002,
                               "Tenant '%s' not found. Check to make sure you have the correct tenant ID and are "
                               "signing into the correct cloud." % tenant, corr)

    def _openid(self, req, tenant, v2=True):
        req.kind = "identity"
        if not self.known_tenant(tenant):
            return self._unknown_tenant(tenant)
        base = self.app.base_url
        ver = "/v2.0" if v2 else ""
        tid = self.tenant_id if tenant.lower() not in _TENANT_ALIASES else "{tenantid}"
        issuer = "%s/%s%s" % (base, tid, ver) if v2 else "%s/%s/" % (base, tid)
        doc = {
            "token_endpoint": "%s/%s/oauth2%s/token" % (base, tenant, ver),
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            "jwks_uri": "%s/%s/discovery%s/keys" % (base, tenant, ver),
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": issuer,
            "request_uri_parameter_supported": False,
            "userinfo_endpoint": "%s/oidc/userinfo" % base,
            "authorization_endpoint": "%s/%s/oauth2%s/authorize" % (base, tenant, ver),
            "device_authorization_endpoint": "%s/%s/oauth2%s/devicecode" % (base, tenant, ver),
            "http_logout_supported": True,
            "frontchannel_logout_supported": True,
            "end_session_endpoint": "%s/%s/oauth2%s/logout" % (base, tenant, ver),
            "claims_supported": ["sub", "iss", "cloud_instance_name", "cloud_instance_host_name", "cloud_graph_host_name",
                                 "msgraph_host", "aud", "exp", "iat", "auth_time", "acr", "nonce", "preferred_username",
                                 "name", "tid", "ver", "at_hash", "c_hash", "email"],
            "kerberos_endpoint": "%s/%s/kerberos" % (base, tenant),
            "tenant_region_scope": "EU",
            "cloud_instance_name": "drlab",
            "cloud_graph_host_name": "graph.windows.net",
            "msgraph_host": "graph.microsoft.com",
            "rbac_url": "https://pas.windows.net",
        }
        return Response(200, doc, headers={"Cache-Control": "max-age=86400, private",
                                           "Access-Control-Allow-Origin": "*"})

    def _instance_discovery(self, req):
        req.kind = "identity"
        base = self.app.base_url
        host = base.split("://", 1)[1]
        return Response(200, {
            "tenant_discovery_endpoint": "%s/%s/v2.0/.well-known/openid-configuration" % (base, self.tenant_id),
            "api-version": req.query.get("api-version", "1.1"),
            "metadata": [{"preferred_network": host, "preferred_cache": host, "aliases": [host]}]})

    def _token(self, req, tenant, v2=True):
        req.kind = "identity"
        corr = req.headers.get("client-request-id")
        try:
            form = req.form()
        except UnicodeDecodeError:
            form = {}
        if not self.known_tenant(tenant):
            return self._unknown_tenant(tenant, corr)
        client_id = form.get("client_id")
        secret = form.get("client_secret")
        auth = req.headers.get("Authorization", "")
        if auth.lower().startswith("basic "):
            try:
                user, pw = (base64.b64decode(auth[6:]).decode("utf-8").split(":", 1) + [""])[:2]
                client_id, secret = unquote_plus(user), unquote_plus(pw)
            except (ValueError, UnicodeDecodeError):
                pass
        grant = form.get("grant_type")
        if grant != "client_credentials":
            return self._aad_error(400, "unsupported_grant_type", 70003,
                                   "The app requested an unsupported grant type '%s'." % (grant or ""), corr)
        if not client_id:
            return self._aad_error(400, "invalid_request", 900144,
                                   "The request body must contain the following parameter: 'client_id'.", corr)
        if client_id.lower() != self.settings.client_id.lower():
            return self._aad_error(400, "unauthorized_client", 700016,
                                   "Application with identifier '%s' was not found in the directory '%s'. This can "
                                   "happen if the application has not been installed by the administrator of the "
                                   "tenant or consented to by any user in the tenant. You may have sent your "
                                   "authentication request to the wrong tenant." % (client_id, self.tenant_id), corr)
        if form.get("client_assertion"):
            refused = self._check_assertion(req, form, client_id, corr)
            if refused is not None:
                return refused
        elif not secret:
            return self._aad_error(401, "invalid_client", 7000218,
                                   "The request body must contain the following parameter: 'client_assertion' or "
                                   "'client_secret'.", corr)
        elif not hmac.compare_digest(secret.encode("utf-8"), self.settings.client_secret.encode("utf-8")):
            return self._aad_error(401, "invalid_client", 7000215,
                                   "Invalid client secret provided. Ensure the secret being sent in the request is the "
                                   "client secret value, not the client secret ID, for a secret added to app '%s'."
                                   % client_id, corr)
        if v2:
            scopes = (form.get("scope") or "").split()
            resources = [s[:-len(".default")] for s in scopes if s.endswith("/.default")]
            bad = [s for s in scopes if not s.endswith("/.default") and s not in ("openid", "profile", "offline_access")]
            if bad or len(resources) != 1:
                return self._aad_error(400, "invalid_scope", 1002012,
                                       "The provided value for scope %s is not valid. Client credential flows must have "
                                       "a scope value with /.default suffixed to the resource identifier (application ID "
                                       "URI)." % (form.get("scope") or "''"), corr)
            resource = resources[0]
        else:
            resource = form.get("resource") or ""
        known = {_norm_aud(a): a for a in self.token_audiences()}
        if _norm_aud(resource) not in known:
            return self._aad_error(400, "invalid_resource", 500011,
                                   "The resource principal named %s was not found in the tenant named %s. This can "
                                   "happen if the application has not been installed by the administrator of the "
                                   "tenant or consented to by any user in the tenant. You might have sent your "
                                   "authentication request to the wrong tenant." % (resource, self.tenant_id), corr)
        aud = known[_norm_aud(resource)]
        lifetime = int(self.app.config["token_lifetime_seconds"])
        token = self.issue(aud, lifetime)
        body = {"token_type": "Bearer", "expires_in": lifetime, "ext_expires_in": lifetime, "access_token": token}
        if not v2:
            now = int(time.time())
            body.update({"expires_on": str(now + lifetime), "not_before": str(now), "resource": resource,
                         "expires_in": str(lifetime), "ext_expires_in": str(lifetime)})
        return Response(200, body, headers={"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"})

    # -- client assertions ------------------------------------------------------------------------
    def _check_assertion(self, req, form, client_id, corr):
        """None when the client assertion (certificate or federated) proves the app, else the AAD error."""
        if form.get("client_assertion_type") != JWT_BEARER:
            return self._aad_error(400, "invalid_request", 50027,
                                   "Invalid client_assertion_type '%s'; expected '%s'."
                                   % (form.get("client_assertion_type") or "", JWT_BEARER), corr)
        malformed = self._aad_error(400, "invalid_request", 50027,
                                    "Invalid JWT token. The token is not in a valid format.", corr)
        parts = form["client_assertion"].split(".")
        if len(parts) != 3:
            return malformed
        try:
            header = json.loads(_unb64(parts[0]))
            claims = json.loads(_unb64(parts[1]))
            signature = _unb64(parts[2])
        except (ValueError, UnicodeError):
            return malformed
        if not isinstance(header, dict) or not isinstance(claims, dict):
            return malformed
        now = time.time()
        try:
            exp, nbf = float(claims.get("exp", 0)), float(claims.get("nbf", claims.get("iat", 0)))
        except (TypeError, ValueError):
            return malformed
        if exp + CLOCK_SKEW < now or nbf - CLOCK_SKEW > now:
            return self._aad_error(400, "invalid_client", 700024,
                                   "Client assertion is not within its valid time range. Current time: %s, "
                                   "assertion valid from %s, expiry time of assertion %s."
                                   % (_dotnet_time(now), _dotnet_time(nbf), _dotnet_time(exp)), corr)
        signing_input = (parts[0] + "." + parts[1]).encode("ascii")
        if str(claims.get("iss", "")) == str(claims.get("sub", "")) == client_id:
            return self._check_certificate_assertion(req, header, claims, signing_input, signature, corr)
        return self._check_federated_assertion(header, claims, signing_input, signature, corr)

    def _check_certificate_assertion(self, req, header, claims, signing_input, signature, corr):
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding
        cert = self.client_certificate
        expected = {"x5t": _b64(cert.fingerprint(hashes.SHA1())), "x5t#S256": _b64(cert.fingerprint(hashes.SHA256()))}
        named = [k for k in expected if header.get(k)]
        # base64url of the digest; msal keeps the padding, others drop it
        if not named or any(str(header[k]).rstrip("=") != expected[k] for k in named):
            return self._aad_error(401, "invalid_client", 700027,
                                   "The certificate with identifier used to sign the client assertion is not "
                                   "registered on application. [Reason - The key was not found., Thumbprint of key "
                                   "used by client: '%s']" % (header.get("x5t#S256") or header.get("x5t") or ""), corr)
        alg = header.get("alg")
        if alg == "RS256":
            pad = padding.PKCS1v15()
        elif alg == "PS256":
            pad = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.AUTO)
        else:
            return self._aad_error(401, "invalid_client", 5002738,
                                   "Invalid JWT token. '%s' is not a supported signature algorithm." % alg, corr)
        try:
            cert.public_key().verify(signature, signing_input, pad, hashes.SHA256())
        except InvalidSignature:
            return self._aad_error(401, "invalid_client", 700027,
                                   "Client assertion failed signature validation.", corr)
        if not self._is_token_endpoint(claims.get("aud"), req):
            return self._aad_error(401, "invalid_client", 700021,
                                   "Client assertion audience claim does not match Realm issuer. Review the "
                                   "documentation at https://aka.ms/certCredentials. Audience: '%s'."
                                   % claims.get("aud"), corr)
        if not claims.get("jti"):
            return self._aad_error(401, "invalid_client", 700022, "The client assertion has no 'jti' claim.", corr)
        return None

    def _is_token_endpoint(self, aud, req):
        if not isinstance(aud, str):
            return False
        url = urlsplit(aud)
        base = urlsplit(self.app.base_url)
        if (url.scheme, url.netloc.lower()) != (base.scheme, base.netloc.lower()):
            return False
        segs = [s.lower() for s in url.path.split("/") if s]
        return len(segs) >= 3 and self.known_tenant(segs[0]) and segs[1:] in (
            ["oauth2", "v2.0", "token"], ["oauth2", "token"])

    def _check_federated_assertion(self, header, claims, signing_input, signature, corr):
        issuer = str(claims.get("iss", ""))
        if issuer.rstrip("/") != self.oidc_issuer:
            return self._aad_error(400, "invalid_request", 700211,
                                   "No matching federated identity record found for presented assertion issuer "
                                   "'%s'. Please check your federated identity credential Subject, Audience and "
                                   "Issuer against the presented assertion." % issuer, corr)
        expected = hmac.new(self._key, signing_input, hashlib.sha256).digest()
        if header.get("alg") != "HS256" or not hmac.compare_digest(expected, signature):
            return self._aad_error(400, "invalid_client", 50013,
                                   "Assertion failed signature validation. [Reason - The key was not found.]", corr)
        if claims.get("sub") != self.settings.federated_subject:
            return self._aad_error(400, "invalid_request", 700213,
                                   "No matching federated identity record found for presented assertion subject "
                                   "'%s'. Please check your federated identity credential Subject, Audience and "
                                   "Issuer against the presented assertion." % claims.get("sub"), corr)
        auds = claims.get("aud")
        auds = auds if isinstance(auds, list) else [auds]
        if self.settings.federated_audience not in auds:
            return self._aad_error(400, "invalid_request", 700212,
                                   "No matching federated identity record found for presented assertion audience "
                                   "'%s'." % ",".join(str(a) for a in auds), corr)
        return None

    # -- managed identity ---------------------------------------------------------------------------
    def _managed_identity(self, req, imds):
        """A managed identity token, as IMDS (imds=True) or an App Service identity endpoint answers."""
        req.kind = "identity"
        q = req.query
        if imds and (req.headers.get("Metadata") or "").lower() != "true":
            return Response(400, {"error": "invalid_request",
                                  "error_description": "Required metadata header not specified"})
        if not imds and req.headers.get("X-IDENTITY-HEADER") != self.settings.identity_header:
            return Response(401, {"statusCode": 401, "message": "Unauthorized request: the X-IDENTITY-HEADER "
                                  "header is missing or wrong."})
        asked = q.get("client_id") or q.get("clientid")
        if (asked and asked.lower() != self.settings.managed_identity_client_id.lower()) \
                or q.get("object_id") or q.get("msi_res_id") or q.get("mi_res_id"):
            if imds:
                return Response(400, {"error": "invalid_request", "error_description": "Identity not found"})
            return Response(400, {"statusCode": 400, "message": "No managed identity found for the specified "
                                  "ClientId/ResourceId/PrincipalId."})
        resource = q.get("resource") or ""
        known = {_norm_aud(a): a for a in self.token_audiences()}
        if _norm_aud(resource) not in known:
            if imds:
                return Response(400, {"error": "invalid_resource", "error_description":
                                      "AADSTS500011: The resource principal named %s was not found in the tenant "
                                      "named %s." % (resource, self.tenant_id)})
            return Response(500, {"statusCode": 500, "message": "An unexpected error occurred while fetching the "
                                  "AAD Token. AADSTS500011: The resource principal named %s was not found." % resource})
        lifetime = int(self.app.config["token_lifetime_seconds"])
        now = int(time.time())
        client_id = self.settings.managed_identity_client_id
        token = self.issue(known[_norm_aud(resource)], lifetime, now=now, client_id=client_id)
        body = {"access_token": token, "client_id": client_id, "expires_on": str(now + lifetime),
                "not_before": str(now), "resource": resource, "token_type": "Bearer"}
        if imds:
            body.update({"expires_in": str(lifetime), "ext_expires_in": str(lifetime)})
        return Response(200, body, headers={"Cache-Control": "no-store, no-cache"})

    # -- tokens ---------------------------------------------------------------------------------
    def issue(self, audience, lifetime, now=None, tenant_id=None, client_id=None):
        now = int(time.time() if now is None else now)
        tenant_id = tenant_id or self.tenant_id
        client_id = client_id or self.settings.client_id
        oid = self.object_id_of(client_id)
        header = {"typ": "JWT", "alg": "HS256", "kid": "drlab"}
        claims = {"aud": audience, "iss": "https://sts.windows.net/%s/" % tenant_id, "iat": now, "nbf": now,
                  "exp": now + int(lifetime), "aio": _b64(secrets.token_bytes(12)), "appid": client_id,
                  "appidacr": "1" if client_id == self.settings.client_id else "2",
                  "idp": "https://sts.windows.net/%s/" % tenant_id, "idtyp": "app",
                  "oid": oid, "sub": oid, "tid": tenant_id,
                  "uti": _b64(secrets.token_bytes(16)), "ver": "1.0", "xms_drlab_gen": self.generation}
        return self._sign_hs256(header, claims)

    @property
    def object_id(self):
        return self.object_id_of(self.settings.client_id)

    @staticmethod
    def object_id_of(client_id):
        # a stable object id for a lab principal, derived from its client id
        return str(uuid.uuid5(uuid.NAMESPACE_URL, "drlab-sp:" + client_id))

    def _challenge(self, code, message, description=None):
        desc = (description or message).replace('"', "'")
        header = 'Bearer authorization_uri="%s/%s", error="invalid_token", error_description="%s"' % (
            self.app.base_url, self.tenant_id, desc)
        return ArmError(401, code, message, headers={"WWW-Authenticate": header})

    def verify(self, token):
        """The claims of a token the lab issued, checked for format, signature, expiry (real time), revocation
        and not-before; raises TokenProblem (kind: format, signature, expired, revoked, not_yet_valid).
        Audience and tenant are the caller's to check (ARM and the data planes answer them differently)."""
        parts = token.split(".")
        if len(parts) != 3:
            raise TokenProblem("format")
        try:
            expected = hmac.new(self._key, (parts[0] + "." + parts[1]).encode("ascii"), hashlib.sha256).digest()
            if not hmac.compare_digest(expected, _unb64(parts[2])):
                raise TokenProblem("signature")
            claims = json.loads(_unb64(parts[1]))
        except (ValueError, UnicodeError):
            raise TokenProblem("format")
        if not isinstance(claims, dict):
            raise TokenProblem("format")
        now = time.time()
        exp = float(claims.get("exp", 0))
        if exp <= now:
            raise TokenProblem("expired", exp, now)
        if int(claims.get("xms_drlab_gen", 0)) < self.generation:
            raise TokenProblem("revoked", float(self._revoked_at or now), now)
        if float(claims.get("nbf", 0)) > now + 300:
            raise TokenProblem("not_yet_valid", float(claims.get("nbf", 0)), now)
        return claims

    def authenticate(self, req):
        """The principal of an ARM request ({tenant_id, client_id, object_id}); raises ArmError 401."""
        auth = req.headers.get("Authorization")
        if not auth:
            raise self._challenge("AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.",
                                  "The authentication failed because of missing 'Authorization' header.")
        scheme, token = (auth.split(" ", 1) + [""])[:2]
        if scheme.lower() != "bearer" or not token.strip():
            raise self._challenge("AuthenticationFailed",
                                  "Authentication failed. The 'Authorization' header is provided in an invalid format.")
        try:
            claims = self.verify(token.strip())
        except TokenProblem as problem:
            if problem.kind in ("expired", "revoked"):
                raise self._challenge("ExpiredAuthenticationToken",
                                      "The access token expiry UTC time '%s' is earlier than current UTC time '%s'."
                                      % (_dotnet_time(problem.when), _dotnet_time(problem.now)))
            raise self._challenge("InvalidAuthenticationToken", "The access token is invalid.")
        allowed = self.audiences()
        if _norm_aud(str(claims.get("aud", ""))) not in {_norm_aud(a) for a in allowed}:
            listed = ",".join("'%s','%s'" % (a, a.rstrip("/")) for a in allowed)
            raise self._challenge("InvalidAuthenticationTokenAudience",
                                  "The access token has been obtained for wrong audience or resource '%s'. It should "
                                  "exactly match with one of the allowed audiences %s." % (claims.get("aud"), listed))
        tid = str(claims.get("tid") or "")
        if tid.lower() != self.tenant_id.lower():
            raise self._challenge(
                "InvalidAuthenticationTokenTenant",
                "The access token is from the wrong issuer 'https://sts.windows.net/%s/'. It must match the tenant "
                "'https://sts.windows.net/%s/' associated with this subscription. Please use the authority (URL) "
                "'%s/%s' to get the token. Note, if the subscription is transferred to another tenant there is no "
                "impact to the services, but information about new tenant could take time to propagate (up to an "
                "hour). If you just transferred your subscription and see this error message, please try back later."
                % (tid, self.tenant_id, self.app.base_url, self.tenant_id),
                "The access token is from the wrong issuer.")
        return {"tenant_id": claims.get("tid"), "client_id": claims.get("appid"), "object_id": claims.get("oid")}


class TokenProblem(Exception):
    """Why a bearer token is refused (Identity.verify): kind, and for expired/revoked/not_yet_valid tokens the time
    that decided it (`when`) and the current time (`now`), epoch seconds."""

    def __init__(self, kind, when=None, now=None):
        super().__init__(kind)
        self.kind = kind
        self.when = when
        self.now = now
