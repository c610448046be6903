"""The Blob service of the lab's storage accounts: a minimal data plane, as Azure Storage answers it.

Reached **path-style** on the simulator's own address and port, as the storage emulator and Azurite are
(`http://127.0.0.1:10000/devstoreaccount1/...`), over the lab's TLS:

    https://127.0.0.1:PORT/{account}/{container}/{blob}

Each storage account says so: its `primaryEndpoints.blob` is `https://127.0.0.1:PORT/{account}/` (the other
endpoints keep their `*.core.drlab.test` names: nothing answers there). Real Azure is host-style
(`https://{account}.blob.core.windows.net/{container}/{blob}`); the SDKs take both (azure-storage-blob reads the
account from the first path segment when the host is an IP address), and a client that uses the account's
`primaryEndpoints.blob` as its base URL works unchanged against both. A path whose first segment is the name of
a lab storage account is the Blob service's; the names the simulator's other endpoints start with
(`RESERVED`: subscriptions, providers, tenants, metadata, msi, common, organizations) are "already taken"
storage account names in the lab (providers/storage.py), so nothing is ambiguous.

Operations (`op` in the request log's resource_type `blob/<op>`):

    Create Container        PUT       /{a}/{c}?restype=container                201
    Get Container Properties GET|HEAD /{a}/{c}?restype=container                200
    Delete Container        DELETE    /{a}/{c}?restype=container                202
    List Blobs              GET       /{a}/{c}?restype=container&comp=list      200 EnumerationResults (prefix,
                                                                                delimiter, marker, maxresults,
                                                                                include=metadata)
    List Containers         GET       /{a}/?comp=list                           200 EnumerationResults
    Put Blob (BlockBlob)    PUT       /{a}/{c}/{blob}                           201
    Get Blob                GET       /{a}/{c}/{blob}  (Range / x-ms-range)     200 / 206 / 416
    Get Blob Properties     HEAD      /{a}/{c}/{blob}                           200
    Delete Blob             DELETE    /{a}/{c}/{blob}                           202

Put Blob: `x-ms-blob-type: BlockBlob` (required: 400 MissingRequiredHeader; PageBlob/AppendBlob: 501, not
simulated), `Content-Length` (411 MissingContentLengthHeader without it); `Content-MD5` is checked against the
body (400 InvalidMd5 when it is not 128 bits base64, 400 Md5Mismatch with UserSpecifiedMd5/ServerCalculatedMd5
when it differs) and stored; without it the service computes the MD5 and stores it (Get Blob, Get Blob
Properties and List Blobs return it as `Content-MD5`); `x-ms-blob-content-md5` sets the stored value unchecked.
The blob's content type is `x-ms-blob-content-type`, else `Content-Type`, else `application/octet-stream`
(likewise encoding, language, cache control, disposition); `x-ms-meta-*` is its metadata; `If-Match` /
`If-None-Match` (412 ConditionNotMet, 409 BlobAlreadyExists for `If-None-Match: *`). The answer carries
`ETag` ("0x..."), `Last-Modified`, `Content-MD5`, `x-ms-request-server-encrypted: true`.

Every answer: `x-ms-request-id`, `x-ms-version` (the request's), `x-ms-client-request-id` (echoed), `Date`,
`Server: Windows-Azure-Blob/1.0 Microsoft-HTTPAPI/2.0`. Errors in Azure Storage's shape: XML
`<Error><Code/><Message>...\\nRequestId:...\\nTime:...</Message>[details]</Error>`, `x-ms-error-code` (also on
HEAD, which has no body).

Authorization, in this order:
* `x-ms-version` must be a version the service knows (`VERSIONS`), else 400 InvalidHeaderValue.
* `Authorization: Bearer <token>` (Microsoft Entra ID): needs x-ms-version 2017-11-09 or later (else 403
  AuthenticationFailed, "Authentication scheme Bearer is not supported in this version."); a token of the lab's
  token endpoint for `https://storage.azure.com/` (scope `https://storage.azure.com/.default`), valid (401
  InvalidAuthenticationInfo with `WWW-Authenticate: Bearer authorization_uri=<authority>/<tenant>/oauth2/authorize
  resource_id=https://storage.azure.com` and an AuthenticationErrorDetail: "Audience validation failed. Audience did
  not match.", "Lifetime validation failed. The token is expired.", "Issuer validation failed. Issuer did not
  match." for another tenant than the account's subscription's). What the principal may do is the account's
  lab data role (`PUT /_lab/storage/data-access`, providers/storage.py): `write` (default, as Storage Blob Data
  Contributor), `read` (Storage Blob Data Reader), `none`: 403 AuthorizationPermissionMismatch.
* a shared access signature (`sig` in the query): service SAS (`sr=c` or `sr=b`) and account SAS (`ss`, `srt`) of
  version 2020-12-06 or later, signed with key1 or key2 of the account (the FAKE keys of listKeys); checked like
  Azure: the signature over the string to sign (403 AuthenticationFailed "Signature did not match. String to sign
  used was ..."), the time window (st/se), the protocol (https), the source IP (sip), the service and resource
  types (403 AuthorizationServiceMismatch / AuthorizationResourceTypeMismatch), the permissions (403
  AuthorizationPermissionMismatch); `allowSharedKeyAccess: false` refuses it (403
  KeyBasedAuthenticationNotPermitted). User delegation SAS and stored access policies (`si`) are not simulated.
* `Authorization: SharedKey ...`: not simulated (403 AuthenticationFailed saying so).
* anonymous: 409 PublicAccessNotPermitted while the account's `allowBlobPublicAccess` is false (the lab's
  default); else reads of a container created with `x-ms-blob-public-access` (blob / container) are served, other
  reads answer 404 ResourceNotFound and writes 401 NoAuthenticationInformation.
* `networkAcls.defaultAction: Deny` (or `publicNetworkAccess: Disabled`): 403 AuthorizationFailure unless the
  client address is in `networkAcls.ipRules`.

Sources: learn.microsoft.com, Azure Storage REST API: "Put Blob", "Get Blob", "Get Blob Properties", "Create
Container", "Get Container Properties", "List Blobs", "Authorize with Microsoft Entra ID" (x-ms-version 2017-11-09
or later for OAuth, the `https://storage.azure.com/` resource), "Versioning for the Azure Storage services",
"Status and error codes", "Common REST API error codes", "Blob Storage error codes", "Create a service SAS",
"Create an account SAS"; the string-to-sign and the versions of azure-storage-blob 12.31.1
(`_shared_access_signature.py`, `_serialize._SUPPORTED_API_VERSIONS`); the error answers seen in public issues
(Azure/AzureStor#119: InvalidAuthenticationInfo and its WWW-Authenticate; AzureStorageExplorer#3767:
AuthorizationPermissionMismatch). What no source showed is listed with the lab's other guesses: README.md,
"Fidelity notes".

Not simulated: tokens for an account's own audience (https://{account}.blob.core.windows.net), blocks (Put Block /
Put Block List), page and append blobs, snapshots, versions, leases, tiers,
Set Blob Properties / Metadata, Shared Key, user delegation SAS, CORS, the secondary endpoint of RA-GRS accounts;
blobs larger than `MAX_PUT_BYTES` in one Put Blob (Azure takes up to 5000 MiB). Times are real time (not the lab
clock), like token lifetimes.
"""
import base64
import binascii
import datetime
import email.utils
import hashlib
import hmac
import ipaddress
import re
import time
from urllib.parse import quote, unquote
from xml.sax.saxutils import escape

from drlab.azure.wire import Response

STORAGE_AUDIENCE = "https://storage.azure.com/"
SERVER = "Windows-Azure-Blob/1.0 Microsoft-HTTPAPI/2.0"
STORAGE_ACCOUNT_TYPE = "microsoft.storage/storageaccounts"
#: first path segments of the simulator's other endpoints (ARM, Entra ID, metadata, managed identity): never a
#: storage account the Blob service answers for (the storage provider refuses these account names)
RESERVED = frozenset(("subscriptions", "providers", "tenants", "metadata", "msi", "common", "organizations"))
ACCOUNT_RE = re.compile(r"^[a-z0-9]{3,24}$")
CONTAINER_RE = re.compile(r"^(\$root|\$web|\$logs|[a-z0-9](?:[a-z0-9]|-(?!-))*[a-z0-9])$")
META_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
#: the service versions (x-ms-version, sv) the lab's Blob service knows: "Versioning for the Azure Storage
#: services" up to 2018-11-09, then azure-storage-blob 12.31.1's list
VERSIONS = (
    "2009-09-19", "2011-08-18", "2012-02-12", "2013-08-15", "2014-02-14", "2015-02-21", "2015-04-05", "2015-07-08",
    "2015-12-11", "2016-05-31", "2017-04-17", "2017-07-29", "2017-11-09", "2018-02-01", "2018-03-28", "2018-11-09",
    "2019-02-02", "2019-07-07", "2019-10-10", "2019-12-12", "2020-02-10", "2020-04-08", "2020-06-12", "2020-08-04",
    "2020-10-02", "2020-12-06", "2021-02-12", "2021-04-10", "2021-06-08", "2021-08-06", "2021-12-02", "2022-11-02",
    "2023-01-03", "2023-05-03", "2023-08-03", "2023-11-03", "2024-05-04", "2024-08-04", "2024-11-04", "2025-01-05",
    "2025-05-05", "2025-07-05", "2025-11-05", "2026-02-06", "2026-04-06", "2026-06-06", "2026-10-06",
)
BEARER_SINCE = "2017-11-09"
SAS_SINCE = "2020-12-06"
ANONYMOUS_VERSION = "2009-09-19"
#: the largest body the lab takes in one Put Blob (Azure: 5000 MiB since 2019-12-12)
MAX_PUT_BYTES = 64 * 1024 * 1024
MAX_RESULTS = 5000

# (what it needs: read|write|delete|list, the resource type an account SAS must name: s|c|o)
OPERATIONS = {
    "ListContainers": ("list", "s"), "CreateContainer": ("create", "c"), "GetContainerProperties": ("read", "c"),
    "DeleteContainer": ("delete", "c"), "ListBlobs": ("list", "c"), "PutBlob": ("write", "o"),
    "GetBlob": ("read", "o"), "GetBlobProperties": ("read", "o"), "DeleteBlob": ("delete", "o"),
}
#: what each lab data role allows a bearer principal (Storage Blob Data Contributor / Reader)
DATA_ROLES = {"write": {"list", "create", "read", "write", "delete"}, "read": {"list", "read"}, "none": set()}

AUTH_FAILED = ("Server failed to authenticate the request. Make sure the value of Authorization header is formed "
               "correctly including the signature.")
AUTH_INFO = "Server failed to authenticate the request. Please refer to the information in the www-authenticate header."


class BlobError(Exception):
    """An answer in Azure Storage's error shape: status, code, message, extra XML elements, headers."""

    def __init__(self, status, code, message, details=None, headers=None):
        super().__init__("%s %s: %s" % (status, code, message))
        self.status = status
        self.code = code
        self.message = message
        self.details = details or []     # [(element, text)]
        self.headers = dict(headers or {})


def _error(status, code, message, *details, **headers):
    return BlobError(status, code, message, list(details), headers)


def http_date(epoch):
    return email.utils.formatdate(epoch, usegmt=True)


def iso7(epoch):
    """Azure Storage's time in messages: 2026-01-02T03:04:05.1234567Z."""
    dt = datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + "%07d" % (dt.microsecond * 10) + "Z"


def etag_of(epoch):
    """An ETag as Azure Storage makes them: "0x" and the hex of the modification time in .NET ticks."""
    ticks = int((epoch + 62135596800) * 10 ** 7)
    return '"0x%X"' % ticks


def parse_sas_time(text):
    """st / se: ISO 8601 UTC (date, minutes, seconds or fractions) -> epoch seconds; None when it does not parse."""
    text = (text or "").strip()
    for fmt in ("%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%MZ", "%Y-%m-%d"):
        try:
            value = text
            if fmt.endswith(".%fZ") and "." in text:
                head, frac = text[:-1].split(".", 1)
                value = "%s.%sZ" % (head, frac[:6])
            dt = datetime.datetime.strptime(value, fmt).replace(tzinfo=datetime.timezone.utc)
            return dt.timestamp()
        except ValueError:
            continue
    return None


def _b64_md5(data):
    return base64.b64encode(hashlib.md5(data).digest()).decode("ascii")   # nosec: Azure's Content-MD5


class BlobService:
    """The Blob service of every storage account of the lab (one per simulator: App.blob)."""

    def __init__(self, app):
        self.app = app

    @property
    def store(self):
        return self.app.store

    # -- which requests are ours ------------------------------------------------------------------
    def account_for(self, req):
        """The stored storage account whose Blob service the request's path addresses, or None."""
        segs = req.path.split("/")
        first = unquote(segs[1]).lower() if len(segs) > 1 else ""
        if first in RESERVED or not ACCOUNT_RE.match(first):
            return None
        for row in self.store.list(type_key=STORAGE_ACCOUNT_TYPE):
            if row["name"].lower() == first:
                return row
        return None

    def endpoint(self, account_name):
        """The account's blob endpoint as its primaryEndpoints.blob names it."""
        return "%s/%s/" % (self.app.base_url, account_name)

    # -- the request ----------------------------------------------------------------------------
    def handle(self, req, row, request_id):
        """The answer to a request for the Blob service of the account `row` (a store row)."""
        ctx = _Request(req, row, request_id)
        try:
            with self.store.transaction():
                resp = self._handle(ctx)
        except BlobError as err:
            resp = self.error_response(ctx, err)
        self._common_headers(ctx, resp)
        return resp

    def _handle(self, ctx):
        req = ctx.req
        op = self._operation(ctx)
        req.resource_type = "blob/" + op
        ctx.op = op
        self._authorize(ctx)
        return getattr(self, "_op_" + op)(ctx)

    def _operation(self, ctx):
        req, q = ctx.req, ctx.req.query
        m = req.method
        restype = (q.get("restype") or "").lower()
        comp = (q.get("comp") or "").lower()
        if ctx.container is None:                               # the account: /{account}/
            if m == "GET" and comp == "list":
                return "ListContainers"
            raise _not_simulated("this operation on the Blob service")
        if ctx.blob is None and restype == "container":         # a container
            if comp == "list" and m == "GET":
                return "ListBlobs"
            if comp:
                raise _not_simulated("comp=%s on a container" % comp)
            ops = {"PUT": "CreateContainer", "GET": "GetContainerProperties", "HEAD": "GetContainerProperties",
                   "DELETE": "DeleteContainer"}
            if m not in ops:
                raise _error(405, "UnsupportedHttpVerb", "The resource doesn't support specified Http Verb.")
            return ops[m]
        if ctx.blob is None:                                    # /{account}/{name}: a blob of $root
            ctx.blob, ctx.container = ctx.container, "$root"
        if comp or q.get("snapshot") or q.get("versionid"):
            raise _not_simulated("comp=%s, snapshots and versions of blobs" % (comp or "-"))
        ops = {"PUT": "PutBlob", "GET": "GetBlob", "HEAD": "GetBlobProperties", "DELETE": "DeleteBlob"}
        if m not in ops:
            raise _error(405, "UnsupportedHttpVerb", "The resource doesn't support specified Http Verb.")
        return ops[m]

    # -- authorization --------------------------------------------------------------------------
    def _authorize(self, ctx):
        req = ctx.req
        version = req.headers.get("x-ms-version")
        if version is not None and version not in VERSIONS:
            raise _error(400, "InvalidHeaderValue", "The value for one of the HTTP headers is not in the correct format.",
                         ("HeaderName", "x-ms-version"), ("HeaderValue", version))
        ctx.version = version
        auth = req.headers.get("Authorization")
        if auth:
            scheme = auth.split(" ", 1)[0].lower()
            if scheme == "bearer":
                self._bearer(ctx, auth)
            elif scheme in ("sharedkey", "sharedkeylite"):
                if self._props(ctx).get("allowSharedKeyAccess") is False:
                    raise _error(403, "KeyBasedAuthenticationNotPermitted",
                                 "Key based authentication is not permitted on this storage account.")
                raise _error(403, "AuthenticationFailed", AUTH_FAILED, (
                    "AuthenticationErrorDetail", "The lab does not simulate Shared Key authorization: use a bearer "
                    "token (scope https://storage.azure.com/.default) or a shared access signature."))
            else:
                raise _error(400, "InvalidAuthenticationInfo", "Authentication information is not given in the "
                             "correct format. Check the value of Authorization header.")
        elif req.query.get("sig") is not None:
            self._sas(ctx)
        else:
            self._anonymous(ctx)
        self._network(ctx)

    def _props(self, ctx):
        return ctx.account.get("properties") or {}

    def _tenant(self, ctx):
        sub = ctx.account_id.split("/")[2].lower()
        info = self.app.engine.subscriptions.get(sub) or {}
        return info.get("tenantId") or self.app.settings.tenant_id

    def _challenge(self, ctx):
        return {"WWW-Authenticate": "Bearer authorization_uri=%s/%s/oauth2/authorize resource_id=%s" % (
            self.app.base_url, self._tenant(ctx), STORAGE_AUDIENCE.rstrip("/"))}

    def _bearer(self, ctx, auth):
        from drlab.azure.identity import TokenProblem
        if not ctx.version or ctx.version < BEARER_SINCE:
            raise _error(403, "AuthenticationFailed", AUTH_FAILED,
                         ("AuthenticationErrorDetail", "Authentication scheme Bearer is not supported in this version."))
        token = auth.split(" ", 1)[1].strip() if " " in auth else ""

        def invalid(detail):
            return BlobError(401, "InvalidAuthenticationInfo", AUTH_INFO, [("AuthenticationErrorDetail", detail)],
                             self._challenge(ctx))
        try:
            claims = self.app.identity.verify(token)
        except TokenProblem as problem:
            if problem.kind in ("expired", "revoked"):
                raise invalid("Lifetime validation failed. The token is expired.")
            if problem.kind == "not_yet_valid":
                raise invalid("Lifetime validation failed. The token is not yet valid.")
            raise invalid("Signature validation failed. Signature is invalid.")
        if str(claims.get("aud") or "").rstrip("/").lower() != STORAGE_AUDIENCE.rstrip("/"):
            raise invalid("Audience validation failed. Audience did not match.")
        if str(claims.get("tid") or "").lower() != self._tenant(ctx).lower():
            raise invalid("Issuer validation failed. Issuer did not match.")
        ctx.principal = {"tenant_id": claims.get("tid"), "client_id": claims.get("appid"), "object_id": claims.get("oid")}
        role = (ctx.account.get("_lab") or {}).get("data_access") or "write"
        if OPERATIONS[ctx.op][0] not in DATA_ROLES.get(role, set()):
            raise _error(403, "AuthorizationPermissionMismatch",
                         "This request is not authorized to perform this operation using this permission.")

    def _anonymous(self, ctx):
        if not self._props(ctx).get("allowBlobPublicAccess"):
            raise _error(409, "PublicAccessNotPermitted", "Public access is not permitted on this storage account.")
        need, level = OPERATIONS[ctx.op]
        public = None
        if ctx.container is not None:
            public = (self.store.container_get(ctx.key, ctx.container) or {}).get("public_access")
        allowed = (need == "read" and level == "o" and public in ("blob", "container")) or \
            (ctx.op in ("ListBlobs", "GetContainerProperties") and public == "container")
        if allowed:
            ctx.version = ctx.version or ANONYMOUS_VERSION
            return
        if need in ("read", "list"):
            raise _error(404, "ResourceNotFound", "The specified resource does not exist.")
        raise BlobError(401, "NoAuthenticationInformation", AUTH_INFO, headers=self._challenge(ctx))

    def _network(self, ctx):
        props = self._props(ctx)
        acls = props.get("networkAcls") or {}
        closed = str(props.get("publicNetworkAccess") or "").lower() == "disabled"
        if not closed and str(acls.get("defaultAction") or "Allow").lower() != "deny":
            return
        client = ctx.req.client[0] if ctx.req.client else None
        if not closed and client:
            for rule in acls.get("ipRules") or []:
                try:
                    if ipaddress.ip_address(client) in ipaddress.ip_network(str(rule.get("value")), strict=False):
                        return
                except ValueError:
                    continue
        raise _error(403, "AuthorizationFailure", "This request is not authorized to perform this operation.")

    # -- shared access signatures -----------------------------------------------------------------
    def _sas(self, ctx):
        q = ctx.req.query

        def failed(detail):
            return _error(403, "AuthenticationFailed", AUTH_FAILED, ("AuthenticationErrorDetail", detail))
        if self._props(ctx).get("allowSharedKeyAccess") is False:
            raise _error(403, "KeyBasedAuthenticationNotPermitted",
                         "Key based authentication is not permitted on this storage account.")
        for name in ("sv", "sp", "se"):
            if not q.get(name):
                raise failed("%s is mandatory. Cannot be empty" % name)
        sv = q.get("sv")
        if sv not in VERSIONS:
            raise failed("Version %s is not a known service version." % sv)
        if sv < SAS_SINCE:
            raise failed("The lab simulates shared access signatures of version %s and later (sv=%s)." % (SAS_SINCE, sv))
        if q.get("skoid") or q.get("si"):
            raise failed("The lab does not simulate user delegation SAS and stored access policies (skoid, si).")
        account = ctx.account["name"]
        if q.get("ss") is not None or q.get("srt") is not None:
            kind = "account"
            fields = [account, q.get("sp"), q.get("ss"), q.get("srt"), q.get("st"), q.get("se"), q.get("sip"),
                      q.get("spr"), sv, q.get("ses")]
            string_to_sign = "\n".join(x or "" for x in fields) + "\n"
        else:
            kind = "service"
            sr = q.get("sr") or ""
            if sr not in ("c", "b"):
                raise failed("The lab simulates service SAS for containers and blobs (sr=c or sr=b), not sr=%s." % sr)
            resource = "/blob/%s/%s" % (account, ctx.container or "")
            if sr == "b":
                resource += "/" + (ctx.blob or "")
            fields = [q.get("sp"), q.get("st"), q.get("se"), resource, q.get("si"), q.get("sip"), q.get("spr"), sv, sr,
                      q.get("snapshot"), q.get("ses"), q.get("rscc"), q.get("rscd"), q.get("rsce"), q.get("rscl"),
                      q.get("rsct")]
            string_to_sign = "\n".join(x or "" for x in fields)
        try:
            signature = base64.b64decode(q.get("sig"), validate=True)
        except (binascii.Error, ValueError):
            raise failed("Signature fields not well formed.")
        from drlab.azure.providers.storage import fake_key
        lab = ctx.account.get("_lab") or {}
        matched = False
        for key_name in ("key1", "key2"):
            key = base64.b64decode(fake_key(ctx.account_id, key_name, int(lab.get(key_name, 0))))
            expected = hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).digest()
            matched = matched or hmac.compare_digest(expected, signature)
        if not matched:
            raise failed("Signature did not match. String to sign used was %s" % string_to_sign)
        now = time.time()
        start = parse_sas_time(q.get("st")) if q.get("st") else None
        expiry = parse_sas_time(q.get("se"))
        if expiry is None or (q.get("st") and start is None):
            raise failed("Signature fields not well formed.")
        if now > expiry or (start is not None and now < start - 300):
            raise failed("Signature not valid in the specified time frame: Start [%s] - Expiry [%s] - Current [%s]" % (
                http_date(start) if start is not None else "", http_date(expiry), http_date(now)))
        protocols = [p.strip() for p in (q.get("spr") or "https,http").split(",")]
        if "https" not in protocols:
            raise _error(403, "AuthorizationProtocolMismatch",
                         "This request is not authorized to perform this operation using this protocol.")
        if q.get("sip") and ctx.req.client:
            low, _sep, high = q.get("sip").partition("-")
            try:
                ip = ipaddress.ip_address(ctx.req.client[0])
                inside = ipaddress.ip_address(low) <= ip <= ipaddress.ip_address(high or low)
            except ValueError:
                inside = False
            if not inside:
                raise _error(403, "AuthorizationSourceIPMismatch", "This request is not authorized to perform this "
                             "operation using this source IP %s." % ctx.req.client[0])
        need, level = OPERATIONS[ctx.op]
        if kind == "account":
            if "b" not in (q.get("ss") or ""):
                raise _error(403, "AuthorizationServiceMismatch",
                             "This request is not authorized to perform this operation using this service.")
            if level not in (q.get("srt") or ""):
                raise _error(403, "AuthorizationResourceTypeMismatch",
                             "This request is not authorized to perform this operation using this resource type.",
                             ("ExtendedErrorDetail", "SignedResourceTypes '%s' is required to perform this operation."
                              % level))
        elif level != "o" and not (q.get("sr") == "c" and ctx.op == "ListBlobs"):
            raise _error(403, "AuthorizationResourceTypeMismatch",
                         "This request is not authorized to perform this operation using this resource type.")
        sp = q.get("sp")
        letters = {"read": "r", "list": "l", "delete": "d", "write": "w", "create": "cw"}[need]
        if need == "write" and self.store.blob_get(ctx.key, ctx.container, ctx.blob, data=False) is None:
            letters = "wc"           # a new blob: create or write
        if not any(letter in sp for letter in letters):
            raise _error(403, "AuthorizationPermissionMismatch",
                         "This request is not authorized to perform this operation using this permission.")
        ctx.version = ctx.version or sv

    # -- containers ---------------------------------------------------------------------------
    def _container(self, ctx):
        props = self.store.container_get(ctx.key, ctx.container)
        if props is None:
            raise _error(404, "ContainerNotFound", "The specified container does not exist.")
        return props

    def _op_CreateContainer(self, ctx):
        name = ctx.container
        if not 3 <= len(name) <= 63:
            raise _error(400, "OutOfRangeInput", "The specified resource name length is not within the permissible "
                         "limits.")
        if not CONTAINER_RE.match(name):
            raise _error(400, "InvalidResourceName", "The specified resource name contains invalid characters.")
        public = ctx.req.headers.get("x-ms-blob-public-access")
        if public is not None:
            if public not in ("blob", "container"):
                raise _error(400, "InvalidHeaderValue", "The value for one of the HTTP headers is not in the correct "
                             "format.", ("HeaderName", "x-ms-blob-public-access"), ("HeaderValue", public))
            if not self._props(ctx).get("allowBlobPublicAccess"):
                raise _error(409, "PublicAccessNotPermitted", "Public access is not permitted on this storage account.")
        if self.store.container_get(ctx.key, name) is not None:
            raise _error(409, "ContainerAlreadyExists", "The specified container already exists.")
        now = time.time()
        props = {"created": now, "modified": now, "etag": etag_of(now), "metadata": ctx.metadata(),
                 "public_access": public}
        self.store.container_put(ctx.key, name, props)
        return Response(201, None, {"ETag": props["etag"], "Last-Modified": http_date(now)})

    def _op_GetContainerProperties(self, ctx):
        props = self._container(ctx)
        headers = {"ETag": props["etag"], "Last-Modified": http_date(props["modified"]),
                   "x-ms-lease-status": "unlocked", "x-ms-lease-state": "available",
                   "x-ms-has-immutability-policy": "false", "x-ms-has-legal-hold": "false",
                   "x-ms-default-encryption-scope": "$account-encryption-key",
                   "x-ms-deny-encryption-scope-override": "false",
                   "x-ms-immutable-storage-with-versioning-enabled": "false"}
        if props.get("public_access"):
            headers["x-ms-blob-public-access"] = props["public_access"]
        for key, value in (props.get("metadata") or {}).items():
            headers["x-ms-meta-" + key] = value
        return Response(200, None, headers)

    def _op_DeleteContainer(self, ctx):
        self._container(ctx)
        self.store.container_delete(ctx.key, ctx.container)
        return Response(202, None, {})

    def _op_ListContainers(self, ctx):
        q = ctx.req.query
        prefix = q.get("prefix") or ""
        limit = self._max_results(q)
        marker = _unmark(q.get("marker"))
        rows = [(n, p) for n, p in self.store.containers(ctx.key, prefix) if marker is None or n >= marker]
        page, rest = rows[:limit], rows[limit:]
        out = ['<?xml version="1.0" encoding="utf-8"?>',
               '<EnumerationResults ServiceEndpoint="%s">' % escape(self.endpoint(ctx.account["name"]))]
        out += _optional(("Prefix", q.get("prefix")), ("Marker", q.get("marker")), ("MaxResults", q.get("maxresults")))
        out.append("<Containers>")
        for name, props in page:
            out.append("<Container><Name>%s</Name><Properties><Last-Modified>%s</Last-Modified><Etag>%s</Etag>"
                       "<LeaseStatus>unlocked</LeaseStatus><LeaseState>available</LeaseState>"
                       "<DefaultEncryptionScope>$account-encryption-key</DefaultEncryptionScope>"
                       "<DenyEncryptionScopeOverride>false</DenyEncryptionScopeOverride>"
                       "<HasImmutabilityPolicy>false</HasImmutabilityPolicy><HasLegalHold>false</HasLegalHold>"
                       "<ImmutableStorageWithVersioningEnabled>false</ImmutableStorageWithVersioningEnabled>"
                       "%s</Properties></Container>" % (
                           escape(name), http_date(props["modified"]), escape(props["etag"].strip('"')),
                           "<PublicAccess>%s</PublicAccess>" % props["public_access"] if props.get("public_access")
                           else ""))
        out.append("</Containers>")
        out.append("<NextMarker>%s</NextMarker>" % (_mark(rest[0][0]) if rest else ""))
        out.append("</EnumerationResults>")
        return Response(200, "".join(out), {"Content-Type": "application/xml"}, content_type="application/xml")

    def _op_ListBlobs(self, ctx):
        self._container(ctx)
        q = ctx.req.query
        prefix = q.get("prefix") or ""
        delimiter = q.get("delimiter") or ""
        limit = self._max_results(q)
        marker = _unmark(q.get("marker"))
        include = [x.strip().lower() for x in (q.get("include") or "").split(",") if x.strip()]
        entries = []          # ("blob", name, props) | ("prefix", name, None), in name order
        seen_prefixes = set()
        for name, props in self.store.blobs(ctx.key, ctx.container, prefix):
            if delimiter:
                cut = name.find(delimiter, len(prefix))
                if cut >= 0:
                    group = name[:cut + len(delimiter)]
                    if group not in seen_prefixes:
                        seen_prefixes.add(group)
                        entries.append(("prefix", group, None))
                    continue
            entries.append(("blob", name, props))
        if marker is not None:
            entries = [e for e in entries if e[1] >= marker]
        page, rest = entries[:limit], entries[limit:]
        out = ['<?xml version="1.0" encoding="utf-8"?>',
               '<EnumerationResults ServiceEndpoint="%s" ContainerName="%s">' % (
                   escape(self.endpoint(ctx.account["name"])), escape(ctx.container))]
        out += _optional(("Prefix", q.get("prefix")), ("Marker", q.get("marker")), ("MaxResults", q.get("maxresults")),
                         ("Delimiter", q.get("delimiter")))
        out.append("<Blobs>")
        for kind, name, props in page:
            if kind == "prefix":
                out.append("<BlobPrefix><Name>%s</Name></BlobPrefix>" % escape(name))
                continue
            out.append("<Blob><Name>%s</Name><Properties>%s</Properties>%s</Blob>" % (
                escape(name), self._list_properties(props), self._list_metadata(props) if "metadata" in include else ""))
        out.append("</Blobs>")
        out.append("<NextMarker>%s</NextMarker>" % (_mark(rest[0][1]) if rest else ""))
        out.append("</EnumerationResults>")
        return Response(200, "".join(out), {"Content-Type": "application/xml"}, content_type="application/xml")

    @staticmethod
    def _max_results(q):
        raw = q.get("maxresults")
        if raw is None:
            return MAX_RESULTS
        try:
            value = int(raw)
        except ValueError:
            value = 0
        if not 1 <= value <= MAX_RESULTS:
            raise _error(400, "OutOfRangeQueryParameterValue", "One of the query parameters specified in the request "
                         "URI is outside the permissible range.", ("QueryParameterName", "maxresults"),
                         ("QueryParameterValue", raw), ("MinimumAllowed", "1"), ("MaximumAllowed", str(MAX_RESULTS)))
        return value

    @staticmethod
    def _list_metadata(props):
        pairs = (props.get("metadata") or {}).items()
        return "<Metadata>%s</Metadata>" % "".join("<%s>%s</%s>" % (k, escape(v), k) for k, v in pairs)

    @staticmethod
    def _list_properties(props):
        fields = [("Creation-Time", http_date(props["created"])), ("Last-Modified", http_date(props["modified"])),
                  ("Etag", props["etag"].strip('"')), ("Content-Length", str(props["size"])),
                  ("Content-Type", props.get("content_type") or ""),
                  ("Content-Encoding", props.get("content_encoding") or ""),
                  ("Content-Language", props.get("content_language") or ""),
                  ("Content-CRC64", ""), ("Content-MD5", props.get("md5") or ""),
                  ("Cache-Control", props.get("cache_control") or ""),
                  ("Content-Disposition", props.get("content_disposition") or ""),
                  ("BlobType", props.get("blob_type") or "BlockBlob"), ("AccessTier", "Hot"),
                  ("AccessTierInferred", "true"), ("LeaseStatus", "unlocked"), ("LeaseState", "available"),
                  ("ServerEncrypted", "true")]
        return "".join("<%s>%s</%s>" % (k, escape(v), k) if v != "" else "<%s />" % k for k, v in fields)

    # -- blobs --------------------------------------------------------------------------------
    def _conditions(self, ctx, props, write):
        """If-Match / If-None-Match against a blob's ETag (None: the blob does not exist)."""
        h = ctx.req.headers
        etag = props["etag"] if props else None
        if_match, if_none = h.get("If-Match"), h.get("If-None-Match")
        if if_none is not None:
            tags = [t.strip() for t in if_none.split(",")]
            if props is not None and ("*" in tags or etag in tags):
                if write and "*" in tags:
                    raise _error(409, "BlobAlreadyExists", "The specified blob already exists.")
                if write:
                    raise _error(412, "ConditionNotMet", "The condition specified using HTTP conditional header(s) "
                                 "is not met.")
                raise BlobError(304, "ConditionNotMet", "The condition specified using HTTP conditional header(s) "
                                "is not met.")
        if if_match is not None:
            tags = [t.strip() for t in if_match.split(",")]
            if props is None or not ("*" in tags or etag in tags):
                if props is None and not write:
                    raise _error(404, "BlobNotFound", "The specified blob does not exist.")
                raise _error(412, "ConditionNotMet", "The condition specified using HTTP conditional header(s) is not "
                             "met.")

    def _op_PutBlob(self, ctx):
        req = ctx.req
        h = req.headers
        self._container(ctx)
        if len(ctx.blob) > 1024:
            raise _error(400, "InvalidUri", "The requested URI does not represent any resource on the server.")
        blob_type = h.get("x-ms-blob-type")
        if not blob_type:
            raise _error(400, "MissingRequiredHeader", "An HTTP header that's mandatory for this request is not specified.",
                         ("HeaderName", "x-ms-blob-type"))
        if blob_type in ("PageBlob", "AppendBlob"):
            raise _not_simulated("%s (the lab's Blob service stores block blobs only)" % blob_type)
        if blob_type != "BlockBlob":
            raise _error(400, "InvalidHeaderValue", "The value for one of the HTTP headers is not in the correct format.",
                         ("HeaderName", "x-ms-blob-type"), ("HeaderValue", blob_type))
        if h.get("Content-Length") is None:
            raise _error(411, "MissingContentLengthHeader", "Content-Length HTTP header is missing.")
        data = req.body
        if len(data) > MAX_PUT_BYTES:
            raise _error(413, "RequestBodyTooLarge", "The request body is too large and exceeds the maximum permissible "
                         "limit.", ("MaxLimit", str(MAX_PUT_BYTES)))
        computed = _b64_md5(data)
        given = h.get("Content-MD5")
        if given is not None:
            try:
                raw = base64.b64decode(given, validate=True)
            except (binascii.Error, ValueError):
                raw = b""
            if len(raw) != 16:
                raise _error(400, "InvalidMd5", "The MD5 value specified in the request is invalid. The MD5 value must "
                             "be 128 bits and Base64-encoded.")
            if given != computed:
                raise _error(400, "Md5Mismatch", "The MD5 value specified in the request did not match with the MD5 "
                             "value calculated by the server.", ("UserSpecifiedMd5", given),
                             ("ServerCalculatedMd5", computed))
        existing = self.store.blob_get(ctx.key, ctx.container, ctx.blob, data=False)
        self._conditions(ctx, existing[1] if existing else None, write=True)
        now = time.time()
        if existing is not None and etag_of(now) == existing[1]["etag"]:
            now += 1e-7                   # the ETag changes with every write
        props = {
            "created": existing[1]["created"] if existing else now, "modified": now, "etag": etag_of(now),
            "size": len(data), "md5": h.get("x-ms-blob-content-md5") or computed, "blob_type": "BlockBlob",
            "content_type": h.get("x-ms-blob-content-type") or h.get("Content-Type") or "application/octet-stream",
            "content_encoding": h.get("x-ms-blob-content-encoding") or h.get("Content-Encoding"),
            "content_language": h.get("x-ms-blob-content-language") or h.get("Content-Language"),
            "content_disposition": h.get("x-ms-blob-content-disposition"),
            "cache_control": h.get("x-ms-blob-cache-control") or h.get("Cache-Control"),
            "metadata": ctx.metadata(),
        }
        self.store.blob_put(ctx.key, ctx.container, ctx.blob, data, props)
        return Response(201, None, {"ETag": props["etag"], "Last-Modified": http_date(now), "Content-MD5": computed,
                                    "x-ms-request-server-encrypted": "true"})

    def _blob_props(self, ctx, with_data):
        self._container(ctx)
        found = self.store.blob_get(ctx.key, ctx.container, ctx.blob, data=with_data)
        if found is None:
            self._conditions(ctx, None, write=False)
            raise _error(404, "BlobNotFound", "The specified blob does not exist.")
        self._conditions(ctx, found[1], write=False)
        return found

    @staticmethod
    def _blob_headers(props):
        headers = {"Last-Modified": http_date(props["modified"]), "x-ms-creation-time": http_date(props["created"]),
                   "ETag": props["etag"], "Content-Type": props.get("content_type") or "application/octet-stream",
                   "x-ms-blob-type": props.get("blob_type") or "BlockBlob", "x-ms-lease-status": "unlocked",
                   "x-ms-lease-state": "available", "x-ms-server-encrypted": "true", "Accept-Ranges": "bytes"}
        for header, key in (("Content-Encoding", "content_encoding"), ("Content-Language", "content_language"),
                            ("Content-Disposition", "content_disposition"), ("Cache-Control", "cache_control")):
            if props.get(key):
                headers[header] = props[key]
        for key, value in (props.get("metadata") or {}).items():
            headers["x-ms-meta-" + key] = value
        return headers

    def _op_GetBlobProperties(self, ctx):
        _data, props = self._blob_props(ctx, with_data=False)
        headers = self._blob_headers(props)
        headers.update({"Content-Length": str(props["size"]), "x-ms-access-tier": "Hot",
                        "x-ms-access-tier-inferred": "true"})
        if props.get("md5"):
            headers["Content-MD5"] = props["md5"]
        return Response(200, None, headers)

    def _op_GetBlob(self, ctx):
        data, props = self._blob_props(ctx, with_data=True)
        headers = self._blob_headers(props)
        h = ctx.req.headers
        wanted = h.get("x-ms-range") or h.get("Range")
        if not wanted:
            if props.get("md5"):
                headers["Content-MD5"] = props["md5"]
            return Response(200, data, headers, content_type=headers["Content-Type"])
        match = re.match(r"^bytes=(\d+)-(\d*)$", wanted.strip())
        if match is None:
            if h.get("x-ms-range"):
                raise _error(400, "InvalidHeaderValue", "The value for one of the HTTP headers is not in the correct "
                             "format.", ("HeaderName", "x-ms-range"), ("HeaderValue", wanted))
            if props.get("md5"):
                headers["Content-MD5"] = props["md5"]
            return Response(200, data, headers, content_type=headers["Content-Type"])
        start = int(match.group(1))
        end = int(match.group(2)) if match.group(2) else len(data) - 1
        if start >= len(data) or end < start:
            raise _error(416, "InvalidRange", "The range specified is invalid for the current size of the resource.",
                         **{"Content-Range": "bytes */%d" % len(data)})
        end = min(end, len(data) - 1)
        part = data[start:end + 1]
        headers["Content-Range"] = "bytes %d-%d/%d" % (start, end, len(data))
        if props.get("md5"):
            headers["x-ms-blob-content-md5"] = props["md5"]
        if (h.get("x-ms-range-get-content-md5") or "").lower() == "true":
            if len(part) > 4 * 1024 * 1024:
                raise _error(400, "OutOfRangeInput", "One of the request inputs is out of range.")
            headers["Content-MD5"] = _b64_md5(part)
        return Response(206, part, headers, content_type=headers["Content-Type"])

    def _op_DeleteBlob(self, ctx):
        self._blob_props(ctx, with_data=False)
        self.store.blob_delete(ctx.key, ctx.container, ctx.blob)
        return Response(202, None, {"x-ms-delete-type-permanent": "true"})

    # -- answers ------------------------------------------------------------------------------
    def error_response(self, ctx, err):
        message = "%s\nRequestId:%s\nTime:%s" % (err.message, ctx.request_id, iso7(time.time()))
        headers = dict(err.headers)
        headers["x-ms-error-code"] = err.code
        if err.status == 304:
            return Response(304, None, headers)
        body = '<?xml version="1.0" encoding="utf-8"?><Error><Code>%s</Code><Message>%s</Message>%s</Error>' % (
            escape(err.code), escape(message), "".join("<%s>%s</%s>" % (k, escape(v), k) for k, v in err.details))
        headers["Content-Type"] = "application/xml"
        return Response(err.status, body, headers, content_type="application/xml")

    def fault_response(self, req, resp, request_id):
        """An injected fault (faults.py, rule kinds ["blob"]) in Azure Storage's shape."""
        ctx = _Request(req, None, request_id)
        status = resp.status
        code, message = {500: ("InternalError", "Server encountered an internal error. Please try again after some "
                                                "time."),
                         503: ("ServerBusy", "The server is currently unable to receive requests. Please retry your "
                                             "request."),
                         429: ("ServerBusy", "Operations per second is over the account limit.")}.get(
            status, ("InternalError", "Server encountered an internal error. Please try again after some time."))
        if status == 429:
            status = 503                    # Azure Storage throttles with 503 ServerBusy
        headers = {k: v for k, v in resp.headers.items() if k.lower() == "retry-after"}
        out = self.error_response(ctx, BlobError(status, code, message, headers=headers))
        self._common_headers(ctx, out)
        return out

    def internal_error(self, req, request_id):
        ctx = _Request(req, None, request_id)
        out = self.error_response(ctx, BlobError(500, "InternalError", "Server encountered an internal error. Please "
                                                 "try again after some time."))
        self._common_headers(ctx, out)
        return out

    @staticmethod
    def _common_headers(ctx, resp):
        h = resp.headers
        h.setdefault("x-ms-request-id", ctx.request_id)
        version = ctx.version or ctx.req.headers.get("x-ms-version")
        if version in VERSIONS:
            h.setdefault("x-ms-version", version)
        client_id = ctx.req.headers.get("x-ms-client-request-id")
        if client_id:
            h.setdefault("x-ms-client-request-id", client_id)
        resp.server = SERVER


class _Request:
    """A Blob service request: the account, container and blob it names (decoded), its version and principal."""

    def __init__(self, req, row, request_id):
        self.req = req
        self.request_id = request_id
        self.account = dict(row["body"]) if row else {}
        self.account_id = row["id"] if row else ""
        self.key = row["key"] if row else ""
        self.op = None
        self.version = None
        self.principal = None
        rest = req.path.split("/", 2)[2] if req.path.count("/") >= 2 else ""
        container, _sep, blob = rest.partition("/")
        self.container = unquote(container) or None
        self.blob = unquote(blob) if _sep and blob else None

    def metadata(self):
        out = {}
        for key, value in self.req.headers.items():
            if key.lower().startswith("x-ms-meta-"):
                name = key[len("x-ms-meta-"):]
                if not META_NAME_RE.match(name):
                    raise _error(400, "InvalidMetadata", "The metadata specified is invalid. It has characters that "
                                 "are not permitted.")
                out[name] = value
        return out


def _not_simulated(what):
    return _error(501, "NotImplemented", "The lab's Blob service does not simulate %s." % what)


def _optional(*pairs):
    return ["<%s>%s</%s>" % (k, escape(v), k) for k, v in pairs if v]


def _mark(name):
    """A list's NextMarker: opaque to clients, the name to go on from."""
    return "2!" + base64.urlsafe_b64encode(name.encode("utf-8")).decode("ascii")


def _unmark(marker):
    if not marker:
        return None
    if not marker.startswith("2!"):
        raise _error(400, "OutOfRangeQueryParameterValue", "One of the query parameters specified in the request URI is "
                     "outside the permissible range.", ("QueryParameterName", "marker"), ("QueryParameterValue", marker))
    try:
        return base64.urlsafe_b64decode(marker[2:].encode("ascii")).decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise _error(400, "OutOfRangeQueryParameterValue", "One of the query parameters specified in the request URI "
                     "is outside the permissible range.", ("QueryParameterName", "marker"),
                     ("QueryParameterValue", marker))


def blob_url(endpoint, container, blob):
    """The URL of a blob under an account endpoint (path segments percent-encoded, '/' kept)."""
    return "%s%s/%s" % (endpoint, quote(container), quote(blob))
