"""The hub's discipline: what it does about a device's conduct. Malformed or forbidden
messages are offences counted against the key (shared.hub.guard keeps the book); a device
that goes on is throttled, then cut off with an alarm naming it in the hall, and every change
of standing is audited. Refusals of unknown keys and failed handshakes are audited once per
key and reason per minute, so a device retrying cannot flood the audit log."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from shared.hub.guard import ABUSE_ALARM_NAME, ABUSE_RULE, ConductBook, ConductChange, FairQueue
from shared.hub.state import StateStore
from shared.identity.registry import DeviceInfo
from shared.protocol.messages import ErrorCode
from shared.protocol.state import AlarmState
from shared.store.audit import AuditRecord

log = logging.getLogger(__name__)


class Discipline:
    """Offences, standings and refusals of one hub; audit lines go to ``backlog`` (written on
    the hub's next tick)."""

    def __init__(
        self,
        conduct: ConductBook,
        waiting: FairQueue,
        state: StateStore,
        backlog: list[AuditRecord],
        clock: Callable[[], datetime],
        stats: dict[str, int],
        error: Callable[[str | None, ErrorCode, str], bytes],
    ) -> None:
        self.conduct = conduct
        self.waiting = waiting
        self.state = state
        self.backlog = backlog
        self.clock = clock
        self.stats = stats
        self._error = error
        self._seen: dict[tuple[str, str], float] = {}

    def cut_off_error(self, key: str, now: float) -> bytes:
        """The answer a cut-off device gets (now and then: its frames are dropped unread)."""
        until = self.conduct.cut_keys.get(key, now)
        wall = self.clock() + timedelta(seconds=max(0.0, until - now))
        return self._error(
            None,
            "throttled",
            f"this device is cut off until {wall:%H:%M:%S} UTC for sending malformed or "
            "forbidden messages; its frames are dropped unread and the duty officer has been "
            "alerted",
        )

    def offence(self, key: str, name: str, now: float) -> None:
        """Count an offence against ``key``; act on the change of standing it makes."""
        change = self.conduct.offence(key, name, now)
        if change is not None:
            self.changed(change)

    def changed(self, change: ConductChange) -> None:
        """Audit a change of standing; raise or clear the device's alarm."""
        alarm_key = f"device:{change.name}"
        wall = self.clock()
        if change.standing == "cut_off":
            dropped = self.waiting.drop(change.key)
            self.conduct.dropped += dropped
            until = wall + timedelta(seconds=self.conduct.limits.cutoff_s)
            self.state.set(
                "alarm",
                alarm_key,
                AlarmState(
                    incident_id=change.name,
                    rule=ABUSE_RULE,
                    name=ABUSE_ALARM_NAME,
                    due=until,
                    kind="overdue",
                    raised=wall,
                ),
            )
            log.warning(
                "device cut off for abuse",
                extra={"device": change.name, "offences": change.offences},
            )
            detail = (
                f"{change.offences} malformed or forbidden messages in "
                f"{self.conduct.limits.window_s:g} s: cut off until {until:%H:%M:%S} UTC"
            )
            self.backlog.append(AuditRecord("hub", "device_cut_off", change.name, detail))
        elif change.standing == "throttled":
            log.warning("device throttled", extra={"device": change.name})
            self.backlog.append(
                AuditRecord(
                    "hub",
                    "device_throttled",
                    change.name,
                    f"{change.offences} malformed or forbidden messages in "
                    f"{self.conduct.limits.window_s:g} s",
                )
            )
        elif change.standing == "cleared":
            self.state.set("alarm", alarm_key, None)
        else:
            self.backlog.append(AuditRecord("hub", "device_restored", change.name, "limits lifted"))

    def refused(
        self,
        dev: DeviceInfo,
        key: str,
        audits: list[AuditRecord],
        subject: str,
        why: str,
        now: float,
    ) -> None:
        """An offence: counted against the key, audited (coalesced once the device is
        throttled, so a flood cannot flood the audit log too)."""
        self.stats["refused"] += 1
        if self.conduct.standing(key) == "ok":
            audits.append(AuditRecord(dev.name, "refused", subject, why[:200]))
        log.info("refused", extra={"device": dev.name, "code": subject})
        self.offence(key, dev.name, now)

    def note_refusal(self, audits: list[AuditRecord], key: str, why: str) -> None:
        # One audit entry per key and reason per minute: a refused device retrying must not
        # flood the log, but every distinct refusal is recorded.
        now = time.monotonic()
        slot = (key, why)
        if now - self._seen.get(slot, -1e9) >= 60:
            self._seen[slot] = now
            audits.append(AuditRecord("hub", "refused", key, why))
