"""Fixtures for the relay: the OASIS schemas (the project's pinned copy), sample incidents."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
import pytest

from shared.protocol.state import IncidentState, ReportState
from shared.relay import Schemas, load_schemas

T0 = datetime(2026, 7, 12, 13, 31, 38, tzinfo=UTC)


@pytest.fixture(scope="session")
def schemas() -> Schemas:
    """CAP 1.2, 1.1, 1.0 and EDXL-DE 1.0 from .assets/standards, which ./run setup fills:
    missing schemas fail the tests that need them (set-up is broken), never skip them."""
    return load_schemas()


def incident(**changes: object) -> IncidentState:
    """A real verified Ⅲ-level hazardous-chemical leak in 桃城区 with a drawn area."""
    base = IncidentState(
        incident_id="INC-20260712-001",
        title="衡水工业新区化工厂储罐泄漏",
        lat=37.70,
        lon=115.70,
        status="verified",
        updated=T0,
        level=3,
        division="131102",
        type_code="hazchem.leak",
        dead=1,
        seriously_injured=12,
        evacuated=300,
        area=[(37.69, 115.69), (37.71, 115.69), (37.71, 115.71), (37.69, 115.71)],
        occurred=T0,
    )
    return msgspec.structs.replace(base, **changes)


def report(report_id: str, stage: str = "initial", **changes: object) -> ReportState:
    """A report on :func:`incident`."""
    base = ReportState(
        report_id=report_id,
        incident_id="INC-20260712-001",
        stage=stage,
        title="储罐区发生氨泄漏，已疏散周边群众",
        sender="field-01",
        sent=T0,
        author="王强",
        version=1,
    )
    return msgspec.structs.replace(base, **changes)
