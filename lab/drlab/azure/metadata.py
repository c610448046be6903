"""ARM's cloud metadata endpoint: `GET /metadata/endpoints?api-version=...`.

api-version 2019-05-01 and later (2022-09-01 is current) answer a JSON list of cloud objects, the
shape management.azure.com returns; 2015-01-01 (and 2018-01-01) the legacy single object that
Azure Stack Hub still serves. The lab's authority host and resource manager are the simulator
itself; the token audience is `https://management.core.windows.net/` (like Azure Stack), so a
client asks for the scope `https://management.core.windows.net//.default` or
`https://management.core.windows.net/.default`, both accepted by the token endpoint. Every other
endpoint and suffix points at the lab or at a non-resolving `*.drlab.test` name (the storage suffix
is the one the lab's storage accounts answer with): no client is ever sent to a real Azure host.
"""
from drlab.azure.rp import ArmError
from drlab.azure.wire import Response

_LEGACY_VERSIONS = ("2015-01-01", "2018-01-01")

#: the lab's DNS domain: names under it never resolve (RFC 6761 reserves .test), so a client that
#: follows one of the endpoints below to a service the lab does not simulate fails at once instead
#: of reaching a real Microsoft host
LAB_DOMAIN = "drlab.test"
#: the lab's counterpart of Azure's `core.windows.net`: providers/storage.py builds its accounts'
#: endpoints (`https://{account}.blob.core.drlab.test/`) from it
STORAGE_SUFFIX = "core." + LAB_DOMAIN


def _lab_host(name):
    return "https://%s.%s/" % (name, LAB_DOMAIN)


def cloud(app):
    """The cloud object, with the keys azure-cli (`az cloud register --endpoint-resource-manager`),
    msrestazure and azure-identity read from management.azure.com's answer. Every endpoint a client
    may call is the lab itself or a `*.drlab.test` name; `authentication.audiences` are token
    audiences (identifiers the lab's token endpoint issues tokens for), not hosts."""
    base = app.base_url + "/"
    audiences = list(app.config["audiences"])
    return {
        "portal": base,
        "authentication": {"loginEndpoint": base, "audiences": audiences, "tenant": "common",
                           "identityProvider": "AAD"},
        "media": base,
        "graphAudience": _lab_host("graph"),
        "graph": _lab_host("graph"),
        "name": app.config["cloud_name"],
        "suffixes": {"azureDataLakeStoreFileSystem": "azuredatalakestore." + LAB_DOMAIN,
                     "acrLoginServer": "azurecr." + LAB_DOMAIN,
                     "sqlServerHostname": "database." + LAB_DOMAIN,
                     "azureDataLakeAnalyticsCatalogAndJob": "azuredatalakeanalytics." + LAB_DOMAIN,
                     "keyVaultDns": "vault." + LAB_DOMAIN, "storage": STORAGE_SUFFIX,
                     "azureFrontDoorEndpointSuffix": "azurefd." + LAB_DOMAIN,
                     "storageSyncEndpointSuffix": "afs." + LAB_DOMAIN,
                     "mhsmDns": "managedhsm." + LAB_DOMAIN, "mysqlServerEndpoint": "mysql.database." + LAB_DOMAIN,
                     "postgresqlServerEndpoint": "postgres.database." + LAB_DOMAIN,
                     "mariadbServerEndpoint": "mariadb.database." + LAB_DOMAIN,
                     "synapseAnalytics": "dev.azuresynapse." + LAB_DOMAIN,
                     "attestationEndpoint": "attest." + LAB_DOMAIN},
        "batch": _lab_host("batch"),
        "resourceManager": base,
        # azure-cli downloads this for `az vm create --image <alias>` and falls back to its own copy
        "vmImageAliasDoc": _lab_host("aliases") + "arm-compute/quickstart-templates/aliases.json",
        "activeDirectoryDataLake": _lab_host("datalake"),
        "sqlManagement": "https://sqlmanagement.%s:8443/" % LAB_DOMAIN,
        "gallery": _lab_host("gallery"),
        "microsoftGraphResourceId": _lab_host("graph"),
        "appInsightsResourceId": "https://api.applicationinsights." + LAB_DOMAIN,
        "appInsightsTelemetryChannelResourceId": "https://dc.applicationinsights.%s/v2/track" % LAB_DOMAIN,
        "attestationResourceId": "https://attest." + LAB_DOMAIN,
        "synapseAnalyticsResourceId": "https://dev.azuresynapse." + LAB_DOMAIN,
        "logAnalyticsResourceId": "https://api.loganalytics." + LAB_DOMAIN,
        "ossrDbmsResourceId": "https://ossrdbms-aad.database." + LAB_DOMAIN,
    }


def route(app, req):
    """A Response for /metadata/endpoints, else None."""
    if req.path.rstrip("/").lower() != "/metadata/endpoints" or req.method not in ("GET", "HEAD"):
        return None
    req.kind = "metadata"
    req.resource_type = "metadata/endpoints"
    version = req.query.get("api-version")
    if not version:
        raise ArmError(400, "MissingApiVersionParameter",
                       "The api-version query parameter (?api-version=) is required for all requests.")
    if version in _LEGACY_VERSIONS:
        c = cloud(app)
        return Response(200, {"galleryEndpoint": c["gallery"], "graphEndpoint": c["graph"],
                              "portalEndpoint": c["portal"],
                              "authentication": {"loginEndpoint": c["authentication"]["loginEndpoint"],
                                                 "audiences": c["authentication"]["audiences"]}})
    return Response(200, [cloud(app)])
