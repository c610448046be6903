import pytest

from ansible_collections.dr.asr.plugins.module_utils._errors import WaitTimeout
from ansible_collections.dr.asr.plugins.module_utils._waiter import Probe, Waiter
from ansible_collections.dr.asr.tests.unit.plugins.module_utils.fake_clock import FakeClock


def probes(*items):
    it = iter(items)
    return lambda: next(it)


def test_returns_value_when_done():
    c = FakeClock()
    w = Waiter(timeout=100, sleep=5, clock=c.clock, sleeper=c.sleep)
    assert w.until(probes(Probe(False), Probe(False), Probe(True, value="ok"))) == "ok"
    assert c.sleeps == [1.25, 2.5]


def test_first_looks_come_sooner_then_wait_sleep():
    c = FakeClock()
    w = Waiter(timeout=100, sleep=8, clock=c.clock, sleeper=c.sleep)
    w.until(probes(*([Probe(False)] * 5 + [Probe(True)])))
    assert c.sleeps == [2, 4, 8, 8, 8]


def test_retry_after_is_not_shortened_by_the_ramp():
    c = FakeClock()
    w = Waiter(timeout=100, sleep=8, clock=c.clock, sleeper=c.sleep)
    w.until(probes(Probe(False, retry_after=6), Probe(False), Probe(True)))
    assert c.sleeps == [6, 4]


def test_retry_after_wins_over_wait_sleep():
    c = FakeClock()
    w = Waiter(timeout=100, sleep=30, clock=c.clock, sleeper=c.sleep)
    w.until(probes(Probe(False, retry_after=2), Probe(False, retry_after=7), Probe(True)))
    assert c.sleeps == [2, 7]


def test_never_sleeps_past_the_deadline():
    c = FakeClock()
    w = Waiter(timeout=12, sleep=5, clock=c.clock, sleeper=c.sleep)
    with pytest.raises(WaitTimeout):
        w.until(lambda: Probe(False))
    assert sum(c.sleeps) == 12
    assert c.sleeps[:3] == [1.25, 2.5, 5]
    assert c.sleeps[-1] == 12 - 1.25 - 2.5 - 5


def test_timeout_carries_partial_result_and_progress():
    c = FakeClock()
    w = Waiter(timeout=3, sleep=1, clock=c.clock, sleeper=c.sleep)
    with pytest.raises(WaitTimeout) as info:
        w.until(lambda: Probe(False, value={"percent": 40}, progress="40% replicated"), what="initial replication")
    err = info.value
    assert err.partial == {"percent": 40}
    assert "initial replication" in err.message and "40% replicated" in err.message
    assert err.to_dict()["partial"] == {"percent": 40}
    assert err.recommended_action


def test_custom_sleeper_is_used():
    c = FakeClock()
    seen = []
    w = Waiter(timeout=10, sleep=3, clock=c.clock, sleeper=c.sleep)
    w.until(probes(Probe(False), Probe(True)), sleeper=lambda s: (seen.append(s), c.sleep(s)))
    assert seen == [0.75]


def test_negative_timeout_rejected():
    with pytest.raises(ValueError):
        Waiter(timeout=-1, sleep=1)
