"""A report's row and its published state come from one conversion each
(shared/store/reports.py): every stored column is filled, and every field of the state is
read back from the row."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
from sqlalchemy import create_engine, insert, select

from shared.protocol import AttachmentRef, SituationReport
from shared.protocol.state import ReportState
from shared.store.models import Base, Report
from shared.store.reports import report_row, report_state

SENT = datetime(2026, 11, 29, 6, 30, tzinfo=UTC)
RING = [(37.70, 115.60), (37.71, 115.60), (37.71, 115.61), (37.70, 115.60)]


def _report() -> SituationReport:
    return SituationReport(
        id="R-1",
        sender="fire-01",
        sent=SENT,
        incident_id="HS-1",
        stage="update",
        title="续报：仍有 2 人被困",
        text="东侧厂房坍塌",
        lat=37.705,
        lon=115.605,
        dead=1,
        missing=2,
        injured=3,
        source="phone",
        author="王队长",
    )


def test_the_row_fills_every_stored_column() -> None:
    row = report_row(_report(), sender="fire-01", exercise=True, version=2, area=RING)
    columns = {c.name for c in Report.__table__.columns} - {"id"}
    assert set(row) == columns


def test_the_state_read_back_from_a_stored_row_is_the_report() -> None:
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    photo = AttachmentRef("ab" * 32, "scene.jpg", "image/jpeg", 1000)
    row = report_row(_report(), sender="fire-01", exercise=True, version=2, area=RING)
    with engine.begin() as conn:
        conn.execute(insert(Report), [row])
        stored = conn.execute(select(Report.__table__)).one()
    from_row = report_state(row, [photo])
    from_store = report_state(stored._mapping, [photo])
    assert from_row == from_store
    expected = {
        "report_id": "R-1",
        "incident_id": "HS-1",
        "stage": "update",
        "title": "续报：仍有 2 人被困",
        "sender": "fire-01",
        "sent": SENT,
        "dead": 1,
        "missing": 2,
        "injured": 3,
        "exercise": True,
        "source": "phone",
        "author": "王队长",
        "attachments": [photo],
        "version": 2,
        "area": RING,
    }
    assert set(expected) == {f.name for f in msgspec.structs.fields(ReportState)}
    assert msgspec.structs.asdict(from_store) == expected
