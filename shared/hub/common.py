"""What the hub's message handlers share: refusals, roles, the services and the batch."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, NestedTransaction

from shared.domain import DeadlineEngine, Departments, Plans, packaged_departments, packaged_plans
from shared.hub.limits import DeviceLimits, UploadBook
from shared.hub.state import StateStore
from shared.protocol.messages import ErrorCode
from shared.protocol.state import StateValue, signin_key
from shared.store.audit import AuditRecord
from shared.store.blobs import BlobStore

HUB_NAME = "hub"
COMMANDERS = ("leader", "duty-officer")
# Report stages (初报/续报/终报) → the deadline stages they settle. A written 初报 settles the
# phone-report deadline as well: a phone call logged nowhere cannot settle anything.
STAGES_SETTLED = {"initial": ("initial", "initial_written"), "follow_up": ("follow_up",)}

Pending = MutableMapping[tuple[str, str], StateValue | None]
"""State changes of the batch being written, applied only after it commits. A handler sees
the batch's changes so far and adds its own to an overlay that is kept only if the message is
accepted."""


class Refusal(Exception):
    """A request refused for its content; the sender gets ``code`` and ``detail``."""

    def __init__(self, code: ErrorCode, detail: str) -> None:
        super().__init__(detail)
        self.code: ErrorCode = code
        self.detail = detail


@dataclass
class Services:
    """What the message handlers use beyond the batch: the store, the picture, the clocks,
    the site's plans and departments. One instance, shared by every handler of a hub."""

    engine: Engine
    state: StateStore
    deadlines: DeadlineEngine | None
    blobs: BlobStore
    device_limits: DeviceLimits
    is_recipient: Callable[[str], bool]
    """Whether a device name may receive orders (the hub's enrolled-device check)."""
    plans: Plans = field(default_factory=packaged_plans)
    departments: Departments = field(default_factory=packaged_departments)
    uploads: UploadBook = field(init=False)
    rule_stage: dict[str, str] = field(init=False)
    """Deadline rule code → the report stage that settles it."""

    def __post_init__(self) -> None:
        self.uploads = UploadBook(self.device_limits)
        rules = self.deadlines.config.rules if self.deadlines is not None else ()
        self.rule_stage = {r.code: r.stage for r in rules}


@dataclass
class Batch:
    """The batch being written, as a handler sees it while it handles one message.

    ``pending`` is that message's overlay over the batch's state changes so far: kept only
    if the message is accepted. The rest collects for the whole batch and is applied by the
    persister after the commit (``ops``: deadline events; ``ended``: values published just
    before their removal, which is how an incident ended).

    A message's rows go into a savepoint, opened when its handler first uses :attr:`conn`:
    a message that writes nothing there (most reports, an SOS, a sign-in) costs no
    savepoint."""

    connection: Connection
    """The batch's transaction (the persister's; handlers use :attr:`conn`)."""
    now: datetime
    state: StateStore
    audits: list[AuditRecord]
    report_rows: list[dict[str, Any]] = field(default_factory=list)
    ops: list[tuple[Any, ...]] = field(default_factory=list)
    ended: list[tuple[str, str, StateValue]] = field(default_factory=list)
    pending: Pending = field(default_factory=dict)
    savepoint: NestedTransaction | None = None
    """The savepoint of the message being handled, once its handler used :attr:`conn`."""
    reports_per_incident: Counter[str] = field(default_factory=Counter)
    """How many of ``report_rows`` each incident has (a report's version counts them)."""

    @property
    def conn(self) -> Connection:
        """The batch's connection, inside the current message's savepoint."""
        if self.savepoint is None:
            self.savepoint = self.connection.begin_nested()
        return self.connection

    def add_report(self, row: dict[str, Any]) -> None:
        """A report row to insert with the batch."""
        self.report_rows.append(row)
        self.reports_per_incident[row["incident_id"]] += 1

    def begin(self, pending: Pending) -> tuple[int, int, int, int]:
        """Start a message with its own state overlay; returns where the batch stands, which
        :meth:`rollback` returns to."""
        self.pending = pending
        self.savepoint = None
        return (len(self.report_rows), len(self.audits), len(self.ops), len(self.ended))

    def keep(self) -> None:
        """The message is accepted: its savepoint (if it opened one) is released."""
        if self.savepoint is not None:
            self.savepoint.commit()
            self.savepoint = None

    def rollback(self, mark: tuple[int, int, int, int]) -> None:
        """Forget what a refused message did: its rows (its savepoint) and what it added to
        the batch (its state overlay is dropped by the persister)."""
        if self.savepoint is not None:
            self.savepoint.rollback()
            self.savepoint = None
        for row in self.report_rows[mark[0] :]:
            self.reports_per_incident[row["incident_id"]] -= 1
        del self.report_rows[mark[0] :], self.audits[mark[1] :]
        del self.ops[mark[2] :], self.ended[mark[3] :]

    def current(self, topic: str, key: str) -> StateValue | None:
        """A value of the picture as of this message: the batch's changes first."""
        if (topic, key) in self.pending:
            return self.pending[(topic, key)]
        value: StateValue | None = self.state.get(topic, key)
        return value

    def person(self, device: str) -> str:
        """Who is signed in to duty at ``device`` (as of this batch), or "" when nobody is:
        recorded beside the device on every change it makes."""
        signed = self.current("duty", signin_key(device))
        return str(getattr(signed, "person", "") or "")
