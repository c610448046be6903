"""The lab's Azure Resource Manager simulator (HTTPS on loopback).

The real Azure SDKs and azure-identity talk to it unchanged; only the endpoint, the authority and
the CA bundle point at it. See README.md in this directory; run it with
`PYTHONPATH=lab python -m drlab.azure --state-dir DIR --port N`.

Modules: server (HTTPS, request pipeline), engine (ARM routing, store, LROs), rp (the contract with
the resource providers), providers/ (the providers), identity (AAD), metadata (cloud endpoints),
store (SQLite), lro, clock, throttle, faults, reqlog, admin (/_lab API), config, client (a Python
client for the admin API and a launcher, used by tests and benchmarks).
"""
