"""Push-to-talk floor control for a talk group: one talker, a queue, commander pre-emption.

The rules (after the floor control of MCPTT, 3GPP TS 24.380, simplified for one site):

- a member asking for a free floor gets it at once;
- a member asking for a busy floor is queued, higher priority first, then first come;
- a member of *higher* priority than the talker pre-empts: the talker loses the floor (told
  why) and is not queued again — they ask again if they still need to speak;
- the talker releasing, leaving or going silent past ``max_talk_s`` (a stuck button, a
  radio dropped with the key pressed) passes the floor to the head of the queue;
- a queued member releasing or leaving leaves the queue;
- only members may ask; a request from the talker or a queued member changes nothing.

Priorities come from roles, never from the request (a field unit cannot claim to be the
commander): leader 3, duty officer 2, everyone else 1.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

ROLE_PRIORITY = {"leader": 3, "duty-officer": 2}
MAX_TALK_S = 60.0
MAX_MEMBERS = 256


def priority_of(role: str) -> int:
    return ROLE_PRIORITY.get(role, 1)


class FloorError(ValueError):
    """A floor request that breaks a rule (not a member, a full group)."""


@dataclass(frozen=True)
class Floor:
    """A talk group's floor: who speaks, since when, who waits (device, priority)."""

    members: tuple[str, ...] = ()
    talker: str = ""
    talker_priority: int = 0
    granted_at: datetime | None = None
    queue: tuple[tuple[str, int], ...] = ()
    last_event: str = ""
    """What the last change was, for the screen and the audit log: granted, queued,
    pre-empted, released, timed out, left."""
    revoked: str = ""
    """Who last lost the floor against their will (pre-empted, timed out), for their screen."""

    def join(self, device: str) -> Floor:
        if device in self.members:
            return self
        if len(self.members) >= MAX_MEMBERS:
            raise FloorError(f"the talk group is full ({MAX_MEMBERS} members)")
        return replace(self, members=(*self.members, device), last_event=f"{device} joined")

    def leave(self, device: str, now: datetime) -> Floor:
        if device not in self.members:
            return self
        floor = self.release(device, now)
        return replace(
            floor,
            members=tuple(m for m in floor.members if m != device),
            last_event=f"{device} left",
        )

    def request(self, device: str, priority: int, now: datetime) -> Floor:
        if device not in self.members:
            raise FloorError(f"{device} is not a member of this talk group: join it first")
        if device == self.talker or any(d == device for d, _ in self.queue):
            return self
        if not self.talker:
            return self._grant(device, priority, now, f"granted to {device}")
        if priority > self.talker_priority:
            loser = self.talker
            floor = self._grant(device, priority, now, f"{device} pre-empted {loser}")
            return replace(floor, revoked=loser)
        queue = sorted(
            (*self.queue, (device, priority)),
            key=lambda item: -item[1],  # stable: first come first within a priority
        )
        return replace(self, queue=tuple(queue), last_event=f"{device} queued")

    def release(self, device: str, now: datetime) -> Floor:
        if device == self.talker:
            return self._next(now, f"released by {device}")
        if any(d == device for d, _ in self.queue):
            return replace(
                self,
                queue=tuple(q for q in self.queue if q[0] != device),
                last_event=f"{device} left the queue",
            )
        return self

    def expire(self, now: datetime, max_talk_s: float = MAX_TALK_S) -> Floor:
        """The floor after ``now`` if the talker has held it too long (else unchanged)."""
        if (
            self.talker
            and self.granted_at is not None
            and now - self.granted_at >= timedelta(seconds=max_talk_s)
        ):
            loser = self.talker
            return replace(self._next(now, f"{loser} timed out"), revoked=loser)
        return self

    def drop(self, device: str, now: datetime) -> Floor:
        """``device`` went offline: it neither speaks nor waits any more."""
        floor = self.release(device, now)
        return floor if floor is self else replace(floor, last_event=f"{device} went offline")

    def _next(self, now: datetime, event: str) -> Floor:
        if self.queue:
            (device, priority), rest = self.queue[0], self.queue[1:]
            floor = self._grant(device, priority, now, f"{event}; granted to {device}")
            return replace(floor, queue=rest)
        return replace(
            self, talker="", talker_priority=0, granted_at=None, last_event=event, revoked=""
        )

    def _grant(self, device: str, priority: int, now: datetime, event: str) -> Floor:
        return replace(
            self,
            talker=device,
            talker_priority=priority,
            granted_at=now,
            queue=tuple(q for q in self.queue if q[0] != device),
            last_event=event,
            revoked="",
        )
