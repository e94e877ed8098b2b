"""The persister's batch: one transaction, each message whole or not at all, against a real
SQLite store (no sockets: the hub's ``commit`` is called as the request desk calls it)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, insert, select

from shared.hub.common import Batch, Refusal
from shared.hub.persist import Persister
from shared.hub.state import StateStore
from shared.protocol import (
    Ack,
    AckBatch,
    Error,
    IncidentDeclare,
    Message,
    Ping,
    SituationReport,
    decode_reply,
    new_id,
)
from shared.protocol.state import IncidentState, ReportState
from shared.store import open_engine
from shared.store.blobs import BlobStore
from shared.store.models import DutyLogRow, Incident, Report

NOW = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)


def _persister(tmp_path: Path) -> Persister:
    engine = open_engine(f"sqlite+pysqlite:///{tmp_path / 'hub.db'}")
    return Persister(engine, StateStore(), blobs=BlobStore(tmp_path / "blobs"))


def _declare(incident_id: str) -> IncidentDeclare:
    return IncidentDeclare(
        id=new_id(),
        sender="duty",
        sent=NOW,
        incident_id=incident_id,
        title="桃城区仓库火灾",
        lat=37.74,
        lon=115.67,
        division="131102",
        type_code="fire",
    )


def _report(incident_id: str, title: str) -> SituationReport:
    return SituationReport(
        id=new_id(),
        sender="duty",
        sent=NOW,
        incident_id=incident_id,
        stage="follow_up",
        title=title,
        text="现场情况",
    )


def _writes_then_refuses(b: Batch, msg: Message, device: str, role: str) -> None:
    """A handler that writes a row, then finds a reason to refuse."""
    b.conn.execute(
        insert(DutyLogRow).values(
            msg_id=msg.id, at=b.now, by=device, category="note", text="written, then refused"
        )
    )
    raise Refusal("invalid", "refused after writing")


def _refs(reply: bytes) -> set[str]:
    decoded = decode_reply(reply)
    if isinstance(decoded, AckBatch):
        return set(decoded.ok)
    assert isinstance(decoded, Ack), decoded
    return {decoded.ref}


def test_a_refused_message_leaves_nothing_and_its_neighbours_everything(tmp_path: Path) -> None:
    persister = _persister(tmp_path)
    persister.routes[Ping] = _writes_then_refuses  # a kind the hub answers itself, here routed
    declare = _declare("INC-A")
    first = _report("INC-A", "第一次续报")
    bad = Ping(id=new_id(), sender="duty", sent=NOW)
    second = _report("INC-A", "第二次续报")
    batch = [(b"r", m, "duty", "duty-officer") for m in (declare, first, bad, second)]
    replies = persister.commit(batch, [], NOW)

    errors = [decode_reply(p) for _, p in replies if isinstance(decode_reply(p), Error)]
    assert [(e.ref, e.code) for e in errors] == [(bad.id, "invalid")]  # type: ignore[union-attr]
    acked = set().union(*(_refs(p) for _, p in replies if not isinstance(decode_reply(p), Error)))
    assert acked == {declare.id, first.id, second.id}
    with persister.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(DutyLogRow)).scalar_one() == 0
        assert conn.execute(select(Incident.title)).scalars().all() == ["桃城区仓库火灾"]
        versions = conn.execute(select(Report.title, Report.version).order_by(Report.version))
        # the refused message between them does not leave a gap in the reports' sequence
        assert [tuple(v) for v in versions] == [("第一次续报", 1), ("第二次续报", 2)]
    assert isinstance(persister.state.get("incident", "INC-A"), IncidentState)
    published = [persister.state.get("report", m.id) for m in (first, second)]
    assert [r.version for r in published if isinstance(r, ReportState)] == [1, 2]


def test_a_refused_report_does_not_count_in_the_versions_after_it(tmp_path: Path) -> None:
    persister = _persister(tmp_path)
    persister.commit([(b"r", _declare("INC-B"), "duty", "duty-officer")], [], NOW)
    original = persister.reports.handle

    def refuse_the_second(b: Batch, msg: Message, device: str, role: str) -> None:
        original(b, msg, device, role)  # its row is added to the batch, then refused
        if isinstance(msg, SituationReport) and msg.title == "refused":
            raise Refusal("invalid", "refused after the row was made")

    persister.routes[SituationReport] = refuse_the_second
    reports = [_report("INC-B", t) for t in ("one", "refused", "two")]
    persister.commit([(b"r", m, "duty", "duty-officer") for m in reports], [], NOW)
    with persister.engine.connect() as conn:
        rows = conn.execute(select(Report.title, Report.version).order_by(Report.version))
        assert [tuple(r) for r in rows] == [("one", 1), ("two", 2)]
