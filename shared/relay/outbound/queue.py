"""The relay's durable store-and-forward queue, in the hub's database.

An alert is written once (``relay_alerts``: its EDXL-DE document, digest, CAP reference) with
one delivery row per destination (``relay_deliveries``). Each destination is served strictly
in alert order: the head waits (with back-off) until it is delivered or rejected, so the
province never sees a 续报 before its 初报. A distribution id seen again adds nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import cast

import msgspec
from sqlalchemy import Engine, Table, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from shared.store.models import Meta, RelayAlert, RelayDelivery
from shared.store.types import from_epoch_us, to_epoch_us

_alerts = cast(Table, RelayAlert.__table__)
_deliveries = cast(Table, RelayDelivery.__table__)
_meta = cast(Table, Meta.__table__)


class Queued(msgspec.Struct, frozen=True):
    """A delivery waiting at the head of a destination's queue (its document is read with
    :meth:`RelayQueue.document` when it is sent: documents with photos are large)."""

    delivery_id: int
    alert_seq: int
    distribution_id: str
    attempts: int
    next_attempt: datetime


class Backlog(msgspec.Struct, frozen=True):
    """A destination's queue as the command hall shows it."""

    destination: str
    queued: int
    oldest: datetime | None
    delivered: int
    rejected: int
    last_done: datetime | None
    last_ack: str
    last_error: str
    attempts: int
    """Attempts made on the current head (0 when nothing waits)."""
    quarantined: int = 0
    """Alerts whose document could not be built: never sent, kept with the reason."""
    quarantine_note: str = ""
    """The latest of those reasons (with its incident)."""


class RelayQueue:
    """Alerts and their deliveries; every method is one short transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(
        self,
        *,
        distribution_id: str,
        identifier: str,
        incident_id: str,
        kind: str,
        reference: str,
        level: int | None,
        document: bytes,
        destinations: list[str],
        now: datetime,
    ) -> int | None:
        """Queue an alert for every destination; None when its distribution id is held."""
        alert = {
            "distribution_id": distribution_id,
            "identifier": identifier,
            "incident_id": incident_id,
            "kind": kind,
            "reference": reference,
            "level": level,
            "created": now,
            "document": document,
        }
        return self._insert(alert, destinations, now, state="queued", error="", done_at=None)

    def _insert(
        self,
        alert: Mapping[str, object],
        destinations: list[str],
        now: datetime,
        *,
        state: str,
        error: str,
        done_at: datetime | None,
    ) -> int | None:
        """One alert row and a delivery row per destination, in one transaction; None when
        the distribution id is held already."""
        document = alert["document"]
        assert isinstance(document, bytes)
        try:
            with self.engine.begin() as conn:
                seq = conn.execute(
                    insert(_alerts).values(**alert, sha256=hashlib.sha256(document).hexdigest())
                ).inserted_primary_key[0]  # type: ignore[index]
                if destinations:
                    conn.execute(
                        insert(_deliveries),
                        [
                            {
                                "alert_seq": seq,
                                "destination": d,
                                "state": state,
                                "attempts": 0,
                                "next_attempt": now,
                                "last_error": error,
                                "ack": "",
                                "done_at": done_at,
                            }
                            for d in destinations
                        ],
                    )
        except IntegrityError:
            return None
        return int(seq)

    def quarantine(
        self,
        *,
        identifier: str,
        incident_id: str,
        kind: str,
        reason: str,
        destinations: list[str],
        now: datetime,
    ) -> bool:
        """Keep an alert whose document could not be built, with why, for every destination
        (state ``quarantined``: never sent, never at a queue's head, so everything after it
        still goes). False when it is kept already (seen again after a restart)."""
        alert = {
            "distribution_id": f"{identifier}!quarantined"[:255],
            "identifier": identifier[:255],
            "incident_id": incident_id[:128],
            "kind": kind[:16],
            "reference": "",
            "level": None,
            "created": now,
            "document": b"",
        }
        seq = self._insert(
            alert,
            destinations,
            now,
            state="quarantined",
            error=f"{incident_id}: {reason}"[:2000],
            done_at=now,
        )
        return seq is not None

    def head(self, destination: str) -> Queued | None:
        """The oldest alert not yet delivered or rejected at ``destination``."""
        heads = self.heads(destination, 1)
        return heads[0] if heads else None

    def heads(self, destination: str, limit: int) -> list[Queued]:
        """The ``limit`` oldest alerts waiting for ``destination``, oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(
                    _deliveries.c.id,
                    _alerts.c.seq,
                    _alerts.c.distribution_id,
                    _deliveries.c.attempts,
                    _deliveries.c.next_attempt,
                )
                .join(_alerts, _alerts.c.seq == _deliveries.c.alert_seq)
                .where(_deliveries.c.destination == destination, _deliveries.c.state == "queued")
                .order_by(_deliveries.c.alert_seq)
                .limit(limit)
            ).all()
        return [Queued(*row) for row in rows]

    def document(self, alert_seq: int) -> bytes:
        """The EDXL-DE document of an alert."""
        with self.engine.connect() as conn:
            return bytes(
                conn.execute(
                    select(_alerts.c.document).where(_alerts.c.seq == alert_seq)
                ).scalar_one()
            )

    def done(
        self, delivery_id: int, state: str, now: datetime, ack: str = "", error: str = ""
    ) -> None:
        """Mark a delivery ``delivered``, ``acknowledged`` or ``rejected``."""
        self.done_many([(delivery_id, state, now, ack, error)])

    def done_many(self, outcomes: list[tuple[int, str, datetime, str, str]]) -> None:
        """:meth:`done` for several deliveries (id, state, when, ack, error) in one commit."""
        if not outcomes:
            return
        with self.engine.begin() as conn:
            for delivery_id, state, now, ack, error in outcomes:
                conn.execute(
                    update(_deliveries)
                    .where(_deliveries.c.id == delivery_id)
                    .values(
                        state=state,
                        done_at=now,
                        ack=ack[:2000],
                        last_error=error[:2000],
                        attempts=_deliveries.c.attempts + 1,
                    )
                )

    def retry_later(self, delivery_id: int, error: str, next_attempt: datetime) -> None:
        """Count a failed attempt and set when to try again."""
        with self.engine.begin() as conn:
            conn.execute(
                update(_deliveries)
                .where(_deliveries.c.id == delivery_id)
                .values(
                    attempts=_deliveries.c.attempts + 1,
                    last_error=error[:2000],
                    next_attempt=next_attempt,
                )
            )

    def backlog(self, destination: str) -> Backlog:
        """How the destination's queue stands."""
        d, a = _deliveries, _alerts
        with self.engine.connect() as conn:
            counts: dict[str, int] = dict(
                conn.execute(
                    select(d.c.state, func.count())
                    .where(d.c.destination == destination)
                    .group_by(d.c.state)
                ).all()
            )
            oldest = conn.execute(
                select(func.min(a.c.created))
                .join(d, a.c.seq == d.c.alert_seq)
                .where(d.c.destination == destination, d.c.state == "queued")
            ).scalar()
            last = conn.execute(
                select(d.c.done_at, d.c.ack)
                .where(d.c.destination == destination, d.c.state.in_(("delivered", "acknowledged")))
                .order_by(d.c.alert_seq.desc())
                .limit(1)
            ).first()
            head = conn.execute(
                select(d.c.attempts, d.c.last_error)
                .where(d.c.destination == destination, d.c.state == "queued")
                .order_by(d.c.alert_seq)
                .limit(1)
            ).first()
            rejected = conn.execute(
                select(d.c.last_error)
                .where(d.c.destination == destination, d.c.state == "rejected")
                .order_by(d.c.alert_seq.desc())
                .limit(1)
            ).first()
            quarantined = conn.execute(
                select(d.c.last_error)
                .where(d.c.destination == destination, d.c.state == "quarantined")
                .order_by(d.c.alert_seq.desc())
                .limit(1)
            ).first()
        error = head[1] if head else (f"rejected: {rejected[0]}" if rejected else "")
        return Backlog(
            destination=destination,
            queued=int(counts.get("queued", 0)),
            oldest=oldest,
            delivered=int(counts.get("delivered", 0)) + int(counts.get("acknowledged", 0)),
            rejected=int(counts.get("rejected", 0)),
            last_done=last[0] if last else None,
            last_ack=last[1] if last else "",
            last_error=error,
            attempts=int(head[0]) if head else 0,
            quarantined=int(counts.get("quarantined", 0)),
            quarantine_note=quarantined[0] if quarantined else "",
        )

    def history(self) -> list[tuple[str, str, int | None, str]]:
        """Every alert queued so far, oldest first: (incident, reference, level, kind)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(
                    _alerts.c.incident_id, _alerts.c.reference, _alerts.c.level, _alerts.c.kind
                ).order_by(_alerts.c.seq)
            ).all()
        return [(r[0], r[1], r[2], r[3]) for r in rows]

    def identifiers(self) -> set[str]:
        """The CAP identifiers of every alert queued so far."""
        with self.engine.connect() as conn:
            return set(conn.execute(select(_alerts.c.identifier)).scalars())

    def deliveries(self, destination: str) -> list[tuple[str, str, int]]:
        """(distribution id, state, attempts) of every delivery to ``destination``, in order."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(_alerts.c.distribution_id, _deliveries.c.state, _deliveries.c.attempts)
                .join(_alerts, _alerts.c.seq == _deliveries.c.alert_seq)
                .where(_deliveries.c.destination == destination)
                .order_by(_deliveries.c.alert_seq)
            ).all()
        return [(r[0], r[1], r[2]) for r in rows]

    def since(self, now: datetime) -> datetime:
        """When relaying began on this store (set to ``now`` the first time it is asked):
        changes older than this are history, not news for the province."""
        key = "relay_since_us"
        with self.engine.begin() as conn:
            held = conn.execute(select(_meta.c.value).where(_meta.c.key == key)).scalar()
            if held is not None:
                return from_epoch_us(int(held))
            conn.execute(insert(_meta).values(key=key, value=to_epoch_us(now)))
        return now


__all__ = ["Backlog", "Queued", "RelayQueue"]
