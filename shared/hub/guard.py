"""The hub's defences against one peer: fair draining and the conduct of each device.

Every frame that reaches the request socket belongs to one CURVE key. Two things keep one key
from costing the others:

* :class:`FairQueue` — frames wait in a bounded queue per key, and each batch takes from the
  queues in turn, so a client flooding tens of thousands of frames a second gets its share of
  a batch and no more; a frame over its key's bound is refused at once (``busy``) without
  being decoded. An honest client never reaches the bound: it keeps at most its window of
  messages in flight (2,000 by default, below the default bound of 4,096).
* :class:`ConductBook` — every malformed, forbidden or misaddressed frame is an offence. A key
  with ``throttle_after`` offences within ``window_s`` is throttled (a small queue and a small
  share); with ``cutoff_after`` it is cut off for ``cutoff_s``: its frames are dropped unread,
  new handshakes from it are refused, and the duty officer sees an alarm naming the device
  until it is revoked or has been quiet for ``alarm_hold_s``.
"""

from __future__ import annotations

import collections
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

Standing = Literal["ok", "throttled", "cut_off"]
ABUSE_RULE = "device_abuse"
ABUSE_ALARM_NAME = "持续发送异常数据"
"""The alarm's name; the hall shows 设备 X 持续发送异常数据."""


@dataclass(frozen=True)
class ConductLimits:
    """Thresholds of :class:`ConductBook` and the per-key bounds of :class:`FairQueue`."""

    window_s: float = 10.0
    throttle_after: int = 20
    cutoff_after: int = 100
    cutoff_s: float = 300.0
    alarm_hold_s: float = 3600.0
    queue_max: int = 4096
    throttled_queue_max: int = 64
    throttled_share: int = 8


@dataclass
class Conduct:
    """What the hub knows of one key's behaviour."""

    name: str
    offences: collections.deque[float] = field(default_factory=collections.deque)
    standing: Standing = "ok"
    until: float = 0.0
    """When a cut-off ends (monotonic seconds)."""
    last_offence: float = 0.0
    last_notice: float = -1e9
    total: int = 0
    alarmed: bool = False


@dataclass(frozen=True)
class ConductChange:
    """A key's standing changed: audit it, and raise or clear the device's alarm."""

    key: str
    name: str
    standing: Standing | Literal["cleared"]
    offences: int
    until: float = 0.0


class ConductBook:
    """Offences per key in a sliding window, and the standing they earn.

    ``cut_keys`` is read by the ZAP thread (a plain dict lookup) to refuse new handshakes.
    """

    def __init__(self, limits: ConductLimits) -> None:
        self.limits = limits
        self.keys: dict[str, Conduct] = {}
        self.cut_keys: dict[str, float] = {}
        self.dropped = 0
        """Frames dropped unread from cut-off keys."""
        self.offences = 0

    def standing(self, key: str) -> Standing:
        """``ok`` for every key that has not offended lately (one dict lookup)."""
        c = self.keys.get(key)
        return "ok" if c is None else c.standing

    def offence(self, key: str, name: str, now: float) -> ConductChange | None:
        """Count one offence; returns the change of standing it caused, if any."""
        lim = self.limits
        c = self.keys.get(key)
        if c is None:
            c = self.keys[key] = Conduct(name)
        self.offences += 1
        c.total += 1
        c.last_offence = now
        window = c.offences
        window.append(now)
        while window and window[0] < now - lim.window_s:
            window.popleft()
        if c.standing == "cut_off":
            return None
        if len(window) >= lim.cutoff_after:
            c.standing = "cut_off"
            c.until = now + lim.cutoff_s
            c.alarmed = True
            self.cut_keys[key] = c.until
            return ConductChange(key, name, "cut_off", len(window), c.until)
        if len(window) >= lim.throttle_after and c.standing == "ok":
            c.standing = "throttled"
            return ConductChange(key, name, "throttled", len(window))
        return None

    def notice_due(self, key: str, now: float, every_s: float = 1.0) -> bool:
        """Whether a throttled or cut-off key should be told again (once a second at most)."""
        c = self.keys.get(key)
        if c is None:
            return True
        if now - c.last_notice >= every_s:
            c.last_notice = now
            return True
        return False

    def sweep(self, now: float) -> list[ConductChange]:
        """End cut-offs and throttles that have run their time; clear old alarms."""
        lim = self.limits
        changes: list[ConductChange] = []
        for key, c in list(self.keys.items()):
            while c.offences and c.offences[0] < now - lim.window_s:
                c.offences.popleft()
            if c.standing == "cut_off" and now >= c.until:
                c.standing = "ok"
                self.cut_keys.pop(key, None)
                changes.append(ConductChange(key, c.name, "ok", len(c.offences)))
            elif c.standing == "throttled" and not c.offences:
                c.standing = "ok"
                changes.append(ConductChange(key, c.name, "ok", 0))
            if c.standing == "ok" and now - c.last_offence >= lim.alarm_hold_s:
                if c.alarmed:
                    changes.append(ConductChange(key, c.name, "cleared", 0))
                del self.keys[key]
        return changes

    def forget(self, keys: Iterable[str]) -> list[ConductChange]:
        """Revoked keys: their record and alarm go (the revocation is the answer)."""
        changes = []
        for key in keys:
            self.cut_keys.pop(key, None)
            c = self.keys.pop(key, None)
            if c is not None and c.alarmed:
                changes.append(ConductChange(key, c.name, "cleared", 0))
        return changes


Item = tuple[bytes, object, int, str]
"""(routing id, frame, extra parts, key) as the hub reads them."""


class FairQueue:
    """Bounded queues per key, taken in turn."""

    def __init__(self, contention_s: float = 1.0) -> None:
        self.queues: dict[str, collections.deque[Item]] = {}
        self.size = 0
        self.contention_s = contention_s
        self.last_shared = -1e9
        """When a batch last had frames of more than one key (monotonic seconds)."""
        self.light = 0
        """How many items at the head of the last batch belong to light keys (0: none, or
        every key was light)."""

    def put(self, key: str, item: Item, bound: int) -> bool:
        """Queue ``item``; False (nothing queued) when the key's queue is at ``bound``."""
        q = self.queues.get(key)
        if q is None:
            q = self.queues[key] = collections.deque()
        elif len(q) >= bound:
            return False
        q.append(item)
        self.size += 1
        return True

    def contended(self, now: float) -> bool:
        """Whether several keys have been sending within ``contention_s``."""
        return now - self.last_shared < self.contention_s

    def budget(self, n: int, now: float) -> int:
        """The size of the next batch: ``n``, or a sixteenth of it (at least 32) while the hub
        is shared."""
        return min(n, max(32, n // 16)) if self.contended(now) else n

    def take(
        self, n: int, small: dict[str, int] | None = None, now: float = 0.0
    ) -> list[tuple[str, Item]]:
        """Up to ``n`` items, an equal share from every waiting key (what light keys leave
        goes to the heavy ones); a key in ``small`` gets at most that many.

        A batch is written in one transaction, and a frame that arrives meanwhile waits for
        it: so while several keys have been sending (within ``contention_s``), a batch is
        a sixteenth of ``n`` (at least 32), and a flooding key's backlog goes out in small
        bites between the others' frames. A key sending alone gets whole batches (the
        throughput of one client's burst is unchanged).
        """
        out: list[tuple[str, Item]] = []
        queues = self.queues
        active = [k for k, q in queues.items() if q]
        if not active:
            queues.clear()
            return out
        if len(active) > 1:
            self.last_shared = now
        budget = self.budget(n, now)
        share = max(1, budget // len(active))
        caps = dict(small) if small else {}
        for first in (True, False):  # an equal share each, then what is left to who has more
            for key in active:
                q = queues[key]
                limit = share if first else budget - len(out)
                take = min(limit, len(q), caps.get(key, budget))
                if take <= 0:
                    continue
                if key in caps:
                    caps[key] -= take
                popleft = q.popleft
                for _ in range(take):
                    out.append((key, popleft()))
            if len(out) >= budget:
                break
        # Light keys (all they had fits in this batch) first: the hub writes them in a short
        # transaction of their own, so their answer does not wait for the heavy ones' rows.
        light = {k for k in active if not queues[k]}
        if light and len(light) < len(active):
            out.sort(key=lambda item: item[0] not in light)  # stable: order kept per key
            self.light = sum(1 for k, _ in out if k in light)
        else:
            self.light = 0
        for key in active:
            if not queues[key]:
                del queues[key]
        self.size -= len(out)
        return out

    def drop(self, key: str) -> int:
        """Forget a key's waiting frames (cut off or revoked); returns how many."""
        q = self.queues.pop(key, None)
        n = len(q) if q else 0
        self.size -= n
        return n
