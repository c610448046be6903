"""The lab appliance's side of Mobility service registration.

On a real replication appliance, the Configuration Manager turns the *Agent Config Input* string that
the installer prints into a `config.json` ("Download configuration file"); the agent's configurator
then registers with it. Here:

* `make_config(settings, agent_config_input)` is that download: it decodes the identity, and
  returns the config (the real file's fields, plus a `DrLab` block with the lab's registration URL
  and CA), signed with the lab appliance key (HMAC-SHA256, in `ServerSignature`).
* `verify_config` / `verify_request` are what the appliance endpoint (`POST /_lab/appliance/agents`
  of the Azure simulator) checks. The wire contract is in README.md.

The appliance key and the classic configuration server's passphrase are lab secrets kept under
`<state_dir>/mobility/` (created on first use, mode 0600).
"""
import base64
import binascii
import datetime
import hashlib
import hmac
import json
import os
import secrets
import string
import uuid

from drlab import ca

REGISTRATION_PATH = "/_lab/appliance/agents"
APPLIANCE_NAME = "drlab-appliance"
SIGNATURE_FIELD = "ServerSignature"
DEFAULT_VALIDITY = datetime.timedelta(days=7)
DEFAULT_LOCATION = "westeurope"
DEFAULT_VAULT_GROUP = "drlab-asr"
DEFAULT_VAULT_NAME = "drlab-vault"
ACTIONS = ("register", "unregister", "heartbeat")
CS_TYPES = ("CSPrime", "CSLegacy")
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


class ConfigError(ValueError):
    """A config or request the appliance refuses: `code` and `message` go into the 4xx answer."""

    def __init__(self, code, message, status=400):
        super().__init__("%s: %s" % (code, message))
        self.code = code
        self.message = message
        self.status = status

    def to_json(self):
        return {"error": {"code": self.code, "message": self.message}}


def mobility_dir(settings):
    return settings.path("mobility")


def _secret_file(settings, name, make):
    path = os.path.join(mobility_dir(settings), name)
    try:
        with open(path) as f:
            value = f.read().strip()
        if value:
            return value
    except FileNotFoundError:
        pass
    os.makedirs(mobility_dir(settings), exist_ok=True)
    value = make()
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(value + "\n")
    os.replace(tmp, path)
    return value


def appliance_key(settings):
    """The lab appliance's HMAC key (bytes)."""
    return bytes.fromhex(_secret_file(settings, "appliance.key", lambda: secrets.token_hex(32)))


def passphrase_path(settings):
    """Path of the classic configuration server's passphrase file (what genpassphrase.exe writes)."""
    cs_passphrase(settings)
    return os.path.join(mobility_dir(settings), "cs.passphrase")


def cs_passphrase(settings):
    """The classic configuration server's connection passphrase (16 letters and digits)."""
    alphabet = string.ascii_letters + string.digits
    return _secret_file(settings, "cs.passphrase", lambda: "".join(secrets.choice(alphabet) for position in range(16)))


def appliance(settings):
    """The lab appliance's identity: {"id", "name"}."""
    return {"id": str(uuid.uuid5(uuid.NAMESPACE_URL, settings.azure_url + "/appliance/" + APPLIANCE_NAME)),
            "name": APPLIANCE_NAME}


def registration_url(settings):
    return settings.azure_url + REGISTRATION_PATH


def default_vault_id(settings):
    return "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.RecoveryServices/vaults/%s" % (
        settings.subscription_id, DEFAULT_VAULT_GROUP, DEFAULT_VAULT_NAME)


def canonical(obj):
    """The bytes that are signed: JSON with sorted keys and no blanks."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def decode_agent_config_input(text):
    """The identity dict inside an Agent Config Input string (base64 of a JSON object with at least
    BiosId and Fqdn)."""
    try:
        raw = base64.b64decode((text or "").strip(), validate=True)
        ident = json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError) as err:
        raise ConfigError("InvalidAgentConfigInput", "the agent config input is not base64 of JSON: %s" % err) from err
    if not isinstance(ident, dict) or not all(isinstance(ident.get(k), str) and ident[k] for k in ("BiosId", "Fqdn")):
        raise ConfigError("InvalidAgentConfigInput", "the agent config input has no BiosId and Fqdn")
    return ident


def _now(now):
    return now or datetime.datetime.now(datetime.timezone.utc)


def sign(settings, config):
    """The ServerSignature of a config: base64 HMAC-SHA256 of the canonical config without it."""
    unsigned = {k: v for k, v in config.items() if k != SIGNATURE_FIELD}
    return base64.b64encode(hmac.new(appliance_key(settings), canonical(unsigned), hashlib.sha256).digest()).decode()


def make_config(settings, agent_config_input, vault_id=None, location=DEFAULT_LOCATION, now=None,
                valid_for=DEFAULT_VALIDITY):
    """The config.json (a dict) the lab appliance hands out for this Agent Config Input."""
    ident = decode_agent_config_input(agent_config_input)
    issued = _now(now).replace(microsecond=0)
    app = appliance(settings)
    vault_id = vault_id or default_vault_id(settings)
    with open(ca.ensure_ca(settings.ca_dir)) as f:
        ca_pem = f.read()
    config = {
        "SubscriptionId": settings.subscription_id,
        "ContainerId": str(uuid.uuid5(uuid.NAMESPACE_URL, vault_id.lower())),
        "ContainerUniqueName": vault_id.rsplit("/", 1)[-1],
        "ResourceId": vault_id,
        "ResourceLocation": location,
        "BiosId": ident["BiosId"],
        "Fqdn": ident["Fqdn"],
        "ClientCertificate": "",
        "RcmProxyTransportSettings": {
            "Id": app["id"],
            "FriendlyName": app["name"],
            "AgentVersion": "lab",
            "IpAddresses": [settings.host],
            "NatIpAddress": "",
            "Port": settings.azure_port,
        },
        "DrLab": {
            "Note": "dr.asr lab appliance configuration (not issued by Microsoft)",
            "RegistrationUri": registration_url(settings),
            "CaCertificatePem": ca_pem,
            "Identity": ident,
            "IssuedAt": issued.strftime(_TIME_FORMAT),
            "ExpiresAt": (issued + valid_for).strftime(_TIME_FORMAT),
        },
    }
    config[SIGNATURE_FIELD] = sign(settings, config)
    return config


def verify_config(settings, config, now=None):
    """Raise ConfigError unless config is one this lab appliance issued, unchanged and not expired."""
    if not isinstance(config, dict) or not isinstance(config.get(SIGNATURE_FIELD), str):
        raise ConfigError("InvalidSourceConfig", "the configuration is not a signed appliance configuration")
    if not hmac.compare_digest(config[SIGNATURE_FIELD], sign(settings, config)):
        raise ConfigError("InvalidSignature", "the configuration was not issued by this appliance or was modified",
                          status=401)
    lab = config.get("DrLab") if isinstance(config.get("DrLab"), dict) else {}
    try:
        expires = datetime.datetime.strptime(lab.get("ExpiresAt", ""), _TIME_FORMAT).replace(
            tzinfo=datetime.timezone.utc)
    except ValueError as err:
        raise ConfigError("InvalidSourceConfig", "the configuration has no valid ExpiresAt") from err
    if _now(now) >= expires:
        raise ConfigError("ConfigExpired", "the configuration expired at %s; download a new one"
                          % lab["ExpiresAt"], status=401)


def passphrase_proof(passphrase, identity):
    """What a classic agent sends instead of its passphrase: hex HMAC-SHA256(passphrase, identity)."""
    return hmac.new(passphrase.strip().encode("utf-8"), canonical(identity), hashlib.sha256).hexdigest()


def verify_request(settings, body, now=None):
    """Check a POST /_lab/appliance/agents body (see README.md); raise ConfigError if the appliance
    must refuse it. Returns {"action", "csType", "biosId", "fqdn", "agentVersion", "identity"}."""
    if not isinstance(body, dict):
        raise ConfigError("BadRequest", "the body must be a JSON object")
    action, cs_type, ident = body.get("action"), body.get("csType"), body.get("identity")
    if action not in ACTIONS:
        raise ConfigError("BadRequest", "action must be one of %s" % ", ".join(ACTIONS))
    if cs_type not in CS_TYPES:
        raise ConfigError("BadRequest", "csType must be one of %s" % ", ".join(CS_TYPES))
    if not isinstance(ident, dict) or not all(isinstance(ident.get(k), str) and ident[k] for k in ("BiosId", "Fqdn")):
        raise ConfigError("BadRequest", "identity must carry BiosId and Fqdn")
    if cs_type == "CSPrime":
        config = body.get("config")
        verify_config(settings, config, now)
        if config["BiosId"].lower() != ident["BiosId"].lower():
            raise ConfigError("BiosIdMismatch", "the configuration was issued for BIOS ID %s, not %s"
                              % (config["BiosId"], ident["BiosId"]), status=403)
    else:
        proof = body.get("passphraseProof")
        if not isinstance(proof, str) or not hmac.compare_digest(proof, passphrase_proof(cs_passphrase(settings), ident)):
            raise ConfigError("InvalidPassphrase", "the connection passphrase is wrong", status=401)
    return {"action": action, "csType": cs_type, "biosId": ident["BiosId"], "fqdn": ident["Fqdn"],
            "agentVersion": body.get("agentVersion") or ident.get("AgentVersion", ""), "identity": ident}
