# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A PerformanceManager for FakeVCenter: counter catalog, statistics intervals and QueryPerf.

    fake, refs = small_inventory()
    perf = add_perf_manager(fake, samples=lambda moid, instance, counter: [100, 200])
    ...
    perf.queries        # the QuerySpecs of every QueryPerf call (one list per call)

Counter keys differ from vcsim's on purpose (ids must be looked up by name).
"""

from __future__ import annotations

from pyVmomi import vim

WRITE_KBPS, WRITE_IOPS, READ_KBPS = 1174, 1172, 1173


def counter(key, group, name, level, rollup="average"):
    return vim.PerformanceManager.CounterInfo(
        key=key, nameInfo=vim.ElementDescription(key=name, label=name, summary=name),
        groupInfo=vim.ElementDescription(key=group, label=group, summary=group), rollupType=rollup,
        statsType="rate", level=level, perDeviceLevel=level,
        unitInfo=vim.ElementDescription(key="kiloBytesPerSecond", label="KBps", summary="KBps"))


DEFAULT_INTERVALS = ((300, 1, 86400), (1800, 2, 604800), (7200, 2, 2592000), (86400, 1, 31536000))


class FakePerf(object):
    def __init__(self, fake, samples, counters=None, intervals=DEFAULT_INTERVALS):
        self.fake = fake
        self.samples = samples
        self.queries = []
        counters = counters if counters is not None else [
            counter(WRITE_KBPS, "virtualDisk", "write", 2), counter(WRITE_IOPS, "virtualDisk", "numberWriteAveraged", 2),
            counter(READ_KBPS, "virtualDisk", "read", 2)]
        history = [vim.HistoricalInterval(key=i + 1, samplingPeriod=period, name="%d s" % period, length=length,
                                          level=level, enabled=True)
                   for i, (period, level, length) in enumerate(intervals)]
        self.ref = fake.add(vim.PerformanceManager, "PerfMgr", perfCounter=counters, historicalInterval=history)
        fake.content.perfManager = self.ref
        fake._m_QueryPerf = self.query  # pylint: disable=protected-access

    def query(self, mo, querySpec):  # noqa: N803  (pyVmomi's name)
        self.queries.append(list(querySpec))
        out = []
        for spec in querySpec:
            moid = spec.entity._moId
            series, length = [], 0
            for metric in spec.metricId or []:
                values = list(self.samples(moid, metric.instance, metric.counterId) or [])[-spec.maxSample:]
                length = max(length, len(values))
                series.append(vim.PerformanceManager.IntSeries(id=metric, value=values))
            info = [vim.PerformanceManager.SampleInfo(interval=spec.intervalId) for _tick in range(length)]
            out.append(vim.PerformanceManager.EntityMetric(entity=spec.entity, sampleInfo=info, value=series))
        return out


def add_perf_manager(fake, samples, **kwargs):
    return FakePerf(fake, samples, **kwargs)
