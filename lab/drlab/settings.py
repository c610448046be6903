"""Where the lab lives and how it is reached.

Every value can be overridden by an environment variable (DRLAB_*), so tests and benchmarks can run
a second lab beside the first one.
"""
import os
from dataclasses import dataclass, field

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _env(name, default):
    return os.environ.get("DRLAB_" + name, default)


def venv_bin(name):
    """A program of the virtualenv that runs ansible against the lab: the project's .venv, or DRLAB_VENV
    (the oldest-SDK lane runs the lifecycle with .venv-oldest: scripts/oldest-sdks)."""
    return os.path.join(_env("VENV", os.path.join(REPO_ROOT, ".venv")), "bin", name)


@dataclass(frozen=True)
class Settings:
    state_dir: str = field(default_factory=lambda: os.path.abspath(_env("STATE_DIR", os.path.join(REPO_ROOT, ".lab"))))
    host: str = field(default_factory=lambda: _env("HOST", "127.0.0.1"))
    azure_port: int = field(default_factory=lambda: int(_env("AZURE_PORT", "18443")))
    vcenter_port: int = field(default_factory=lambda: int(_env("VCENTER_PORT", "18989")))
    # Identity the lab hands out. These are lab-only values, not secrets of any real system.
    tenant_id: str = "72f988bf-0000-4000-8000-00000000d2a5"
    subscription_id: str = "8d5b1c2e-0000-4000-8000-0000000000a1"
    client_id: str = "0c0ffee0-0000-4000-8000-000000000c1d"
    client_secret: str = field(default_factory=lambda: _env("AZURE_SECRET", "lab-client-secret"))
    # The managed identity of the lab's "controller" (system-assigned; a user-assigned one is asked for by this
    # client id), and the secret header of its App Service style endpoint (IDENTITY_HEADER). Lab-only values.
    managed_identity_client_id: str = "0c0ffee0-0000-4000-8000-0000000000a1"
    identity_header: str = "lab-identity-header"
    # The workload identity federation of the lab's app: assertions the lab's own OIDC issuer signs
    # (<azure_url>/_lab/oidc) for this subject and audience are accepted for client_id.
    federated_subject: str = "system:serviceaccount:dr-asr:ansible"
    federated_audience: str = "api://AzureADTokenExchange"
    vcenter_user: str = "administrator@vsphere.local"
    vcenter_password: str = field(default_factory=lambda: _env("VCENTER_PASSWORD", "lab-Passw0rd!"))
    vcenter_inventory: str = field(default_factory=lambda: _env(
        "VCENTER_INVENTORY", os.path.join(REPO_ROOT, "lab", "config", "vcenter.yml")))
    # Lab guests (drlab.guests): the first guest's sshd listens on guest_address, the next on the
    # next address (127.0.0.10, 127.0.0.11, ...), each on guest_ssh_port and nowhere else.
    guest_address: str = field(default_factory=lambda: _env("GUEST_ADDRESS", "127.0.0.10"))
    guest_ssh_port: int = field(default_factory=lambda: int(_env("GUEST_SSH_PORT", "22")))

    @property
    def ca_dir(self):
        return os.path.join(self.state_dir, "ca")

    @property
    def ca_pem(self):
        return os.path.join(self.ca_dir, "ca.pem")

    @property
    def client_certificate(self):
        """The app's certificate credential: private key and certificate in one PEM (as azure.azcollection
        and azure-identity take it); the lab accepts client assertions signed with it."""
        return os.path.join(self.state_dir, "azure", "client-cert.pem")

    @property
    def azure_url(self):
        return "https://%s:%d" % (self.host, self.azure_port)

    @property
    def azure_metadata_url(self):
        return self.azure_url + "/metadata/endpoints?api-version=2022-09-01"

    @property
    def vcenter_url(self):
        return "https://%s:%d/sdk" % (self.host, self.vcenter_port)

    def path(self, *parts):
        return os.path.join(self.state_dir, *parts)


def get_settings():
    return Settings()
