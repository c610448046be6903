"""Fixtures for the conformance tests of the lab's Azure simulator (and anyone who needs one).

Session fixture `azure_sim`: one simulator per test session (per xdist worker), started with
`python -m drlab.azure --port 0` in a temporary state directory, so it has its own database and its
own temporary lab CA. It yields an `AzureSim`:

    azure_sim.url / .base_url      https://127.0.0.1:<port>  (ARM endpoint, AAD authority, metadata host)
    azure_sim.ca                   path of the CA bundle that verifies its TLS certificate
    azure_sim.credential           a real azure.identity.ClientSecretCredential(tenant, client, secret,
                                   authority=url, disable_instance_discovery=True, connection_verify=ca)
    azure_sim.subscription_id, .tenant_id, .client_id, .client_secret
    azure_sim.credential_scopes    ["https://management.core.windows.net//.default"]
    azure_sim.client(Cls, **kw)    Cls(credential, subscription_id, base_url=url, credential_scopes=...,
                                   connection_verify=ca, **kw) for any azure-mgmt-* client
    azure_sim.client_kwargs()      those keyword arguments, for clients built by hand
    azure_sim.new_credential(**kw) a fresh ClientSecretCredential (e.g. another secret)
    azure_sim.admin                drlab.azure.client.AdminClient for /_lab: requests(), summary(),
                                   set_faults(), set_throttle(), advance(), set_durations(), token(), reset()
    azure_sim.settings             drlab.settings.Settings of this simulator (state_dir, port)
    azure_sim.process              the drlab.azure.client.SimulatorProcess (stop(), restart())

Other fixtures:
* `azure_clients` (session): `azure_clients(Cls, **kw)` is `azure_sim.client`.
* `resource_group` (session): `resource_group(name, location="westeurope")` creates (idempotently)
  a resource group and returns its name.
* `azure_lab` (function): `azure_sim`, with the runtime knobs (faults, throttle, runtime config,
  time scale) restored after the test. Tests never wipe the shared simulator's resources: they use
  unique names, so test modules can share it (and interleave under xdist).
* `azure_sim_factory` (function): `azure_sim_factory(config=None)` starts a separate, private
  simulator (own state dir, CA, port) and stops it after the test; `config` is a dict written as its
  configuration file.
"""
import dataclasses
import json
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if os.path.join(ROOT, "lab") not in sys.path:
    sys.path.insert(0, os.path.join(ROOT, "lab"))

from drlab.azure.client import AdminClient, SimulatorProcess  # noqa: E402
from drlab.settings import Settings  # noqa: E402

AUDIENCE = "https://management.core.windows.net/"


class AzureSim:
    """A running simulator and what a client needs to use it (see the module docstring)."""

    def __init__(self, process, settings):
        self.process = process
        self.settings = settings
        self.tenant_id = settings.tenant_id
        self.subscription_id = settings.subscription_id
        self.client_id = settings.client_id
        self.client_secret = settings.client_secret
        self.credential_scopes = [AUDIENCE + "/.default"]
        self._refresh()

    def _refresh(self):
        self.url = self.base_url = self.process.url
        self.ca = self.process.ca_pem
        self.admin = AdminClient(self.url, self.ca)
        self.credential = self.new_credential()

    def new_credential(self, client_secret=None, client_id=None, **kw):
        from azure.identity import ClientSecretCredential
        return ClientSecretCredential(self.tenant_id, client_id or self.client_id,
                                      client_secret or self.client_secret, authority=self.url,
                                      disable_instance_discovery=True, connection_verify=self.ca, **kw)

    def client_kwargs(self, **extra):
        kw = {"base_url": self.url, "credential_scopes": list(self.credential_scopes),
              "connection_verify": self.ca}
        kw.update(extra)
        return kw

    def client(self, cls, credential=None, **kw):
        return cls(credential or self.credential, self.subscription_id, **self.client_kwargs(**kw))

    def restart(self):
        """Stop (SIGTERM) and start again on the same port with the same state."""
        self.process.restart()
        self._refresh()
        return self


def _start(state_dir, config=None):
    cfg_path = None
    if config is not None:
        cfg_path = os.path.join(state_dir, "azure-test.json")
        os.makedirs(state_dir, exist_ok=True)
        with open(cfg_path, "w") as f:
            json.dump(config, f)
    proc = SimulatorProcess(state_dir, port=0, config=cfg_path).start()
    settings = dataclasses.replace(Settings(), state_dir=state_dir, azure_port=proc.port)
    return AzureSim(proc, settings)


@pytest.fixture(scope="session")
def azure_sim(tmp_path_factory):
    sim = _start(str(tmp_path_factory.mktemp("azure-sim")))
    yield sim
    sim.process.stop()


@pytest.fixture(scope="session")
def azure_clients(azure_sim):
    return azure_sim.client


@pytest.fixture(scope="session")
def resource_group(azure_sim):
    from azure.mgmt.resource.resources import ResourceManagementClient
    rm = azure_sim.client(ResourceManagementClient)

    def make(name, location="westeurope", tags=None):
        body = {"location": location}
        if tags:
            body["tags"] = tags
        rm.resource_groups.create_or_update(name, body)
        return name
    return make


@pytest.fixture
def azure_lab(azure_sim):
    yield azure_sim
    admin = azure_sim.admin
    admin.clear_faults()
    admin.reset_throttle()
    admin.call("DELETE", "config")    # runtime config and time scale back to the startup values


@pytest.fixture
def azure_sim_factory(tmp_path):
    started = []

    def factory(config=None, name=None):
        sim = _start(str(tmp_path / (name or "sim-%d" % len(started))), config)
        started.append(sim)
        return sim
    yield factory
    for sim in started:
        sim.process.stop()
