"""ARM's cloud metadata endpoint: `GET /metadata/endpoints?api-version=...`.

api-version 2019-05-01 and later (2022-09-01 is current) answer a JSON list of cloud objects, the
shape management.azure.com returns; 2015-01-01 (and 2018-01-01) the legacy single object that
Azure Stack Hub still serves. The lab's authority host and resource manager are the simulator
itself; the token audience is `https://management.core.windows.net/` (like Azure Stack), so a
client asks for the scope `https://management.core.windows.net//.default` or
`https://management.core.windows.net/.default`, both accepted by the token endpoint.
"""
from drlab.azure.rp import ArmError
from drlab.azure.wire import Response

_LEGACY_VERSIONS = ("2015-01-01", "2018-01-01")


def cloud(app):
    base = app.base_url + "/"
    audiences = list(app.config["audiences"])
    return {
        "portal": base,
        "authentication": {"loginEndpoint": base, "audiences": audiences, "tenant": "common",
                           "identityProvider": "AAD"},
        "media": base,
        "graphAudience": "https://graph.windows.net/",
        "graph": "https://graph.windows.net/",
        "name": app.config["cloud_name"],
        "suffixes": {"azureDataLakeStoreFileSystem": "azuredatalakestore.net", "acrLoginServer": "azurecr.io",
                     "sqlServerHostname": "database.windows.net",
                     "azureDataLakeAnalyticsCatalogAndJob": "azuredatalakeanalytics.net",
                     "keyVaultDns": "vault.azure.net", "storage": "core.windows.net",
                     "azureFrontDoorEndpointSuffix": "azurefd.net", "storageSyncEndpointSuffix": "afs.azure.net",
                     "mhsmDns": "managedhsm.azure.net", "mysqlServerEndpoint": "mysql.database.azure.com",
                     "postgresqlServerEndpoint": "postgres.database.azure.com",
                     "mariadbServerEndpoint": "mariadb.database.azure.com", "synapseAnalytics": "dev.azuresynapse.net",
                     "attestationEndpoint": "attest.azure.net"},
        "batch": "https://batch.core.windows.net/",
        "resourceManager": base,
        "vmImageAliasDoc": "https://raw.githubusercontent.com/Azure/azure-rest-api-specs/main/arm-compute/"
                           "quickstart-templates/aliases.json",
        "activeDirectoryDataLake": "https://datalake.azure.net/",
        "sqlManagement": "https://management.core.windows.net:8443/",
        "gallery": "https://gallery.azure.com/",
        "microsoftGraphResourceId": "https://graph.microsoft.com/",
        "appInsightsResourceId": "https://api.applicationinsights.io",
        "appInsightsTelemetryChannelResourceId": "https://dc.applicationinsights.azure.com/v2/track",
        "attestationResourceId": "https://attest.azure.net",
        "synapseAnalyticsResourceId": "https://dev.azuresynapse.net",
        "logAnalyticsResourceId": "https://api.loganalytics.io",
        "ossrDbmsResourceId": "https://ossrdbms-aad.database.windows.net",
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
