"""The vault's health (`V/replicationVaultHealth`): GET, and `POST .../default/refresh` as a `RefreshVaultHealth` job
whose `operationresults` answer the health at the job's end (the `vault_health` result kind).

A resource provider of the package (docs/lab-asr.md, "Package layout"): it reads the items' and the fabrics'
health (items.py, fabric.py) and runs its job on the engine (jobs.py).
"""
from drlab.azure.providers.siterecovery import common, fabric, items, jobs
from drlab.azure.providers.siterecovery.common import VAULT_PATH, private

VAULT_HEALTH = common.VAULT + "/replicationVaultHealth"


def vault_health(ctx, vault):
    """`VaultHealthDetails` of a vault, from its items, fabrics and containers."""
    return {"id": common.asr_id(vault + "/replicationVaultHealth/default"), "name": "default",
            "type": VAULT_HEALTH,
            "properties": {"vaultErrors": [], "protectedItemsHealth": items.health_summary(ctx, vault),
                           "fabricsHealth": fabric.health_summary(ctx, vault),
                           "containersHealth": fabric.containers_health_summary(ctx, vault)}}


def _get_vault_health(ctx, match, query, body):
    return 200, vault_health(ctx, common.require_vault(ctx, match))


def _refresh_vault_health(ctx, match, query, body):
    vault = common.require_vault(ctx, match)
    job = jobs.start_job(ctx, vault, scenario="RefreshVaultHealth", friendly_name="Refresh vault health",
                         target_id=vault + "/replicationVaultHealth/default", target_name=ctx.parse(vault).name,
                         target_type="Vault", tasks=[jobs.Task("RefreshVaultHealthTask", "Refresh vault health", 10)],
                         result_kind="vault_health")
    return jobs.lro_response(ctx, job)


def _vault_health_result(ctx, job):
    """`operationresults` of a finished RefreshVaultHealth job: the vault's health now."""
    return 200, vault_health(ctx, private(job)["vault"])


_get_vault_health.resource_type = _refresh_vault_health.resource_type = VAULT_HEALTH

#: job result kinds this module answers (installed by registry.py)
RESULTS = {"vault_health": _vault_health_result}

ROUTES = [
    ("GET", VAULT_PATH + r"/replicationVaultHealth", _get_vault_health),
    ("POST", VAULT_PATH + r"/replicationVaultHealth/default/refresh", _refresh_vault_health),
]
