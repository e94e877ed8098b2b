"""The reporting deadline engine: due-soon and overdue alarms for every open incident.

Rules are data (``deadlines.toml``). Each incident's deadlines go into one heap ordered by
the time an alarm is due, so a pass costs only what has come due, not the number of open
incidents. Changes (a report filed, a level raised, casualties changed) bump the
incident's version; heap entries of older versions are dropped when they surface.
"""

from __future__ import annotations

import heapq
from datetime import datetime, timedelta
from typing import Literal

import msgspec

from shared.data import load_toml
from shared.domain.classification import DomainError


class DeadlineRule(msgspec.Struct, frozen=True):
    """A report of ``stage`` due ``minutes`` after the event became known."""

    code: str
    name: str
    stage: str
    minutes: int
    applies_to_levels: list[int] = msgspec.field(default_factory=list)
    note: str = ""


class SupplementRule(msgspec.Struct, frozen=True):
    """Casualty changes within ``days`` of the event need a supplement within ``minutes``."""

    days: int
    minutes: int
    days_by_type: dict[str, int] = msgspec.field(default_factory=dict)


class DeadlineConfig(msgspec.Struct, frozen=True):
    """The whole rule set."""

    due_soon_minutes: int
    rules: list[DeadlineRule]
    supplement: SupplementRule


def load_deadlines(text: str | None = None) -> DeadlineConfig:
    """Load the rules from TOML text, or the packaged ``deadlines.toml``."""
    return load_toml("deadlines.toml", DeadlineConfig, text, error=DomainError)


AlarmKind = Literal["due_soon", "overdue"]
_Entry = tuple[str, int | None, str, str, datetime, float, AlarmKind]
SUPPLEMENT_STAGE = "follow_up"
"""The report stage (续报) that settles casualty-change supplements."""
SUPPLEMENT_NAME = "伤亡变化补报"
"""The name of a casualty-change supplement's deadline."""


class Alarm(msgspec.Struct, frozen=True):
    """A deadline about to pass, or passed, without its report."""

    incident_id: str
    rule: str
    name: str
    due: datetime
    kind: AlarmKind
    exercise: bool = False


class _Tracked(msgspec.Struct):
    known_at: datetime
    occurred: datetime
    type_code: str
    level: int | None
    done: set[str]
    version: int = 0
    exercise: bool = False
    supplements: set[str] = msgspec.field(default_factory=set)  # pending, by code


class DeadlineEngine:
    """Schedules deadlines per incident and hands out alarms as they come due."""

    def __init__(self, config: DeadlineConfig | None = None) -> None:
        self.config = config or load_deadlines()
        self._soon = timedelta(minutes=self.config.due_soon_minutes)
        self._tracked: dict[str, _Tracked] = {}
        # Alarm times (POSIX seconds) in a heap, each with a bucket of the alarms due then:
        # a burst of incidents known at the same moment costs one heap entry, not one each.
        self._times: list[float] = []
        # entry: incident id, version (None: a supplement, which outlives rescheduling),
        # rule code, rule name, due, due as POSIX seconds, kind
        self._buckets: dict[float, list[_Entry]] = {}

    def __len__(self) -> int:
        return len(self._tracked)

    def _push(
        self,
        at: datetime,
        incident_id: str,
        version: int,
        code: str,
        name: str,
        due: datetime,
        kind: AlarmKind,
    ) -> None:
        key = at.timestamp()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = []
            heapq.heappush(self._times, key)
        is_supplement = code.startswith("supplement@")
        bucket.append(
            (
                incident_id,
                None if is_supplement else version,
                code,
                name,
                due,
                due.timestamp(),
                kind,
            )
        )

    def _schedule(self, incident_id: str) -> None:
        t = self._tracked[incident_id]
        t.version += 1
        for rule in self.config.rules:
            if rule.stage in t.done:
                continue
            if rule.applies_to_levels and t.level not in rule.applies_to_levels:
                continue
            due = t.known_at + timedelta(minutes=rule.minutes)
            self._push(
                due - self._soon, incident_id, t.version, rule.code, rule.name, due, "due_soon"
            )

    def track(
        self,
        incident_id: str,
        *,
        known_at: datetime,
        occurred: datetime,
        type_code: str,
        level: int | None,
        done: set[str] | None = None,
        exercise: bool = False,
    ) -> None:
        """Start (or restart) the clocks of an incident, known to the hall at ``known_at``."""
        if known_at.tzinfo is None or occurred.tzinfo is None:
            raise DomainError("deadline times must carry a timezone")
        self._tracked[incident_id] = _Tracked(
            known_at, occurred, type_code, level, set(done or ()), exercise=exercise
        )
        self._schedule(incident_id)

    def report_filed(self, incident_id: str, stage: str) -> None:
        """A report of ``stage`` was made: its deadline no longer alarms. A ``follow_up``
        (续报) also settles every supplement due so far."""
        t = self._tracked.get(incident_id)
        if t is None:
            return
        if stage == SUPPLEMENT_STAGE:
            t.supplements.clear()
        if stage not in t.done:
            t.done.add(stage)
            self._schedule(incident_id)

    def level_changed(self, incident_id: str, level: int | None) -> None:
        """Rules that depend on the level are re-evaluated (raising to Ⅱ starts the 2 h
        clock to the province, counted from when the event became known)."""
        t = self._tracked.get(incident_id)
        if t is not None and t.level != level:
            t.level = level
            self._schedule(incident_id)

    def casualties_changed(self, incident_id: str, at: datetime) -> bool:
        """Casualties changed at ``at``: within the supplement window a 续报 is due; returns
        whether one was scheduled."""
        t = self._tracked.get(incident_id)
        if t is None:
            return False
        rule = self.config.supplement
        days = rule.days_by_type.get(t.type_code, rule.days)
        if at - t.occurred > timedelta(days=days):
            return False
        due = at + timedelta(minutes=rule.minutes)
        code = f"supplement@{at.isoformat()}"
        t.supplements.add(code)
        self._push(due - self._soon, incident_id, t.version, code, SUPPLEMENT_NAME, due, "due_soon")
        return True

    def untrack(self, incident_id: str) -> None:
        """The incident is closed: no more alarms."""
        self._tracked.pop(incident_id, None)

    def poll(self, now: datetime) -> list[Alarm]:
        """Every alarm that has come due since the last poll (each is given out once)."""
        out = []
        times = self._times
        limit = now.timestamp()
        tracked = self._tracked
        while times and times[0] <= limit:
            for incident_id, version, code, name, due, due_s, kind in self._buckets.pop(
                heapq.heappop(times)
            ):
                t = tracked.get(incident_id)
                if t is None:
                    continue  # closed
                if version is None:
                    if code not in t.supplements:
                        continue  # settled by a 续报
                elif version != t.version:
                    continue  # rescheduled since
                if kind == "due_soon":
                    if due_s > limit:
                        # Due soon now; the overdue alarm is scheduled only from here, so a
                        # late pass gives one alarm per deadline, not two.
                        self._push(due, incident_id, t.version, code, name, due, "overdue")
                    else:
                        kind = "overdue"
                out.append(Alarm(incident_id, code, name, due, kind, t.exercise))
        return out
