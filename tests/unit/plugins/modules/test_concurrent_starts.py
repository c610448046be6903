# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Many targets' writes go out several at a time (issue 14: a write per VM, one at a time, spent 20-25 s of a 100-VM
protect or failback in round trips alone): the first write alone (its job's start bounds the job lists the wait
reads), then up to JobTracker.CONCURRENCY in flight; every target written once; a lost answer among them is looked
for, not sent again. The real SDK clients talk to the in-memory ASR at the network edge (tests/unit/asr_fake.py)."""

from __future__ import annotations

import threading

import pytest

from ansible_collections.dr.asr.plugins.module_utils._asr import jobs
from ansible_collections.dr.asr.plugins.module_utils._asr.tracker import JobTracker
from ansible_collections.dr.asr.plugins.modules import protected_item, test_failover
from ansible_collections.dr.asr.tests.unit.asr_fake import RG, VAULT, FakeAsr
from ansible_collections.dr.asr.tests.unit.plugins.modules.utils import patch_exit_json, run_module, set_module_args

BASE = dict(vault_name=VAULT, vault_resource_group=RG, wait_sleep=0, wait_timeout=5)
ENABLE = dict(BASE, run_as_account="linux-root", target_resource_group=RG, target_network="vnet-dr-recovery", test_network="vnet-dr-test",
              log_storage_account="stcache01", policy="pol-24h", target_vm_size="Standard_D4s_v5")
COUNT = 12


class Writes(object):
    """Watches the fake's writes: the order they enter and leave, how many are in flight. The second and third
    writes after the first wait (at most 10 s) until both are in flight: only writes sent side by side get past
    that at once (`overlapped`)."""

    def __init__(self, fake, monkeypatch):
        self.events = []                    # ("in" | "out", index of the write)
        self.in_flight = self.most = 0
        self.overlapped = None
        self._lock = threading.Lock()
        self._barrier = threading.Barrier(2, timeout=10)
        request = fake.request

        def watched(method, url, data=None, **kwargs):
            if method == "GET":
                return request(method, url, data=data, **kwargs)
            with self._lock:
                index = len([e for e in self.events if e[0] == "in"])
                self.events.append(("in", index))
                self.in_flight += 1
                self.most = max(self.most, self.in_flight)
            if index in (1, 2):
                try:
                    self._barrier.wait()
                    self.overlapped = True if self.overlapped is None else self.overlapped
                except threading.BrokenBarrierError:
                    self.overlapped = False
            try:
                return request(method, url, data=data, **kwargs)
            finally:
                with self._lock:
                    self.in_flight -= 1
                    self.events.append(("out", index))
        monkeypatch.setattr(fake, "request", watched)

    def first_alone(self):
        """The first write left before any other entered."""
        return self.events[:2] == [("in", 0), ("out", 0)]


@pytest.fixture
def arm(monkeypatch):
    patch_exit_json(monkeypatch)
    monkeypatch.setattr(jobs, "RESEND_DELAY", 0)

    def use(**kwargs):
        fake = FakeAsr(**kwargs).patch(monkeypatch)
        return fake, Writes(fake, monkeypatch)
    return use


def run(module, args):
    with set_module_args(args):
        return run_module(module.main)


def names(count):
    return ["web-%02d" % i for i in range(1, count + 1)]


def test_enabling_many_vms_sends_the_writes_side_by_side(arm):
    fake, writes = arm(vms=names(COUNT), policies=["pol-24h"])
    result = run(protected_item, dict(ENABLE, vms=[{"name": n} for n in names(COUNT)], wait="enabled"))
    assert [v["action"] for v in result["vms"]] == ["enable"] * COUNT and all(v["job"] for v in result["vms"])
    assert fake.count("PUT") == COUNT and len(set(path for _m, path, _b in fake.writes())) == COUNT
    assert writes.first_alone() and writes.overlapped is True
    assert 2 <= writes.most <= JobTracker.CONCURRENCY


def test_an_action_on_many_items_sends_the_posts_side_by_side(arm):
    fake, writes = arm(protected=names(COUNT))
    result = run(test_failover, dict(BASE, items=names(COUNT)))
    assert [r["action"] for r in result["protected_items"]] == ["start"] * COUNT
    assert len(set(r["job"]["name"] for r in result["protected_items"])) == COUNT
    assert fake.count("POST") == COUNT and len(set(path for _m, path, _b in fake.writes())) == COUNT
    assert writes.first_alone() and writes.overlapped is True
    assert 2 <= writes.most <= JobTracker.CONCURRENCY


def test_lost_answers_among_concurrent_writes_are_looked_for_not_sent_again(arm):
    """Two test failover answers lost (503 after ASR acted) while the others are in flight: each is found on its
    item and awaited; no item gets a second POST."""
    fake, writes = arm(protected=names(COUNT))
    fake.fail_answers["action"] = [503, 503]
    result = run(test_failover, dict(BASE, items=names(COUNT)))
    assert [r["action"] for r in result["protected_items"]] == ["start"] * COUNT
    assert len(set(r["job"]["name"] for r in result["protected_items"])) == COUNT
    assert fake.count("POST") == COUNT and len(set(path for _m, path, _b in fake.writes())) == COUNT
    assert [r["phase"] for r in result["protected_items"]] == ["test_failover"] * COUNT
    assert fake.fail_answers["action"] == []
    assert writes.overlapped is True and writes.most <= JobTracker.CONCURRENCY
