"""The lab clock.

Lab time runs `time_scale` times faster than real time (default 60: one real second is one lab
minute), plus manual jumps (`advance`). It is stored as an anchor pair (real epoch, lab epoch), so
it survives restarts and keeps running while the simulator is down, like the real world would:

    lab_now = anchor_lab + (real_now - anchor_real) * time_scale

Every change (advance, new scale) re-anchors at the current instant, so lab time never jumps
backwards. Durations of long-running operations are in lab seconds.
"""
import datetime
import threading
import time

UTC = datetime.timezone.utc


def iso(epoch):
    """Epoch seconds -> ARM's timestamp format (UTC, 7 fractional digits like .NET, 'Z')."""
    dt = datetime.datetime.fromtimestamp(epoch, UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + "%07d" % (dt.microsecond * 10) + "Z"


class LabClock:
    def __init__(self, time_scale=60.0, anchor_real=None, anchor_lab=None, real_time=time.time,
                 on_change=None):
        self._real = real_time
        self._lock = threading.Lock()
        now = self._real()
        self.anchor_real = now if anchor_real is None else float(anchor_real)
        self.anchor_lab = now if anchor_lab is None else float(anchor_lab)
        self.time_scale = float(time_scale)
        self._on_change = on_change

    def now_epoch(self):
        with self._lock:
            return self.anchor_lab + (self._real() - self.anchor_real) * self.time_scale

    def now(self):
        return datetime.datetime.fromtimestamp(self.now_epoch(), UTC)

    def now_iso(self):
        return iso(self.now_epoch())

    def _reanchor(self, lab_epoch):
        self.anchor_real = self._real()
        self.anchor_lab = lab_epoch

    def set_scale(self, time_scale):
        if float(time_scale) < 0:
            raise ValueError("time_scale must be >= 0")
        lab = self.now_epoch()
        with self._lock:
            self._reanchor(lab)
            self.time_scale = float(time_scale)
        self._changed()

    def advance(self, seconds):
        if float(seconds) < 0:
            raise ValueError("the lab clock does not run backwards")
        lab = self.now_epoch()
        with self._lock:
            self._reanchor(lab + float(seconds))
        self._changed()

    def real_seconds_until(self, lab_epoch):
        """Real seconds until the lab clock reaches lab_epoch (inf when the clock is stopped)."""
        delta = lab_epoch - self.now_epoch()
        if delta <= 0:
            return 0.0
        return delta / self.time_scale if self.time_scale > 0 else float("inf")

    def state(self):
        lab = self.now_epoch()
        return {"lab_time": iso(lab), "lab_epoch": lab, "real_time": iso(self._real()),
                "time_scale": self.time_scale, "anchor_real": self.anchor_real, "anchor_lab": self.anchor_lab}

    def _changed(self):
        if self._on_change:
            self._on_change(self)
