"""Loading the hub's picture and deadline clocks from the store at start."""

from __future__ import annotations

from typing import cast

from sqlalchemy import Engine, Table, func, select

from shared.domain import (
    DeadlineEngine,
)
from shared.domain.orders import FINAL as FINAL_ORDER_STATES
from shared.hub.common import (
    STAGES_SETTLED,
)
from shared.hub.state import StateStore
from shared.protocol import (
    IncidentState,
    OrderStatus,
    ReportState,
    UnitState,
)
from shared.store.models import (
    Incident,
    Order,
    Position,
    Report,
)

_positions = cast(Table, Position.__table__)
_reports = cast(Table, Report.__table__)


def load_state(engine: Engine, state: StateStore, deadlines: DeadlineEngine | None = None) -> None:
    """Fill the in-memory picture from the store (at hub start), and restart the deadline
    clocks of open incidents with the reports they already have."""
    with engine.connect() as conn:
        latest = select(func.max(_positions.c.id)).group_by(_positions.c.unit_id).scalar_subquery()
        for p in conn.execute(select(_positions).where(_positions.c.id.in_(latest))).all():
            state.set(
                "unit",
                p.unit_id,
                UnitState(
                    p.unit_id,
                    p.device,
                    p.lat,
                    p.lon,
                    p.fix_time,
                    p.heading_deg,
                    p.speed_mps,
                    p.unit_type,
                    p.callsign,
                    p.exercise,
                ),
            )
        open_ids = []
        stages_done: dict[str, set[str]] = {}
        open_rows = []
        for inc in conn.execute(
            select(Incident.__table__).where(Incident.status != "closed")
        ).all():
            open_ids.append(inc.incident_id)
            open_rows.append(inc)
            state.set(
                "incident",
                inc.incident_id,
                IncidentState(
                    inc.incident_id,
                    inc.title,
                    inc.lat,
                    inc.lon,
                    inc.status,
                    inc.updated,
                    inc.level,
                    inc.division,
                    inc.exercise,
                    inc.closed_reason,
                    inc.type_code,
                    inc.computed_level,
                    [c for c in inc.level_criteria.split("\n") if c],
                    inc.override_reason,
                    inc.dead,
                    inc.missing,
                    inc.seriously_injured,
                    inc.trapped,
                    inc.evacuated,
                    inc.direct_loss_cny,
                ),
            )
        for o in conn.execute(
            select(Order.__table__).where(Order.state.not_in(FINAL_ORDER_STATES))
        ).all():
            state.set(
                "order",
                o.order_id,
                OrderStatus(
                    o.order_id,
                    o.recipient,
                    o.text,
                    o.state,
                    o.issued_by,
                    o.updated,
                    o.incident_id,
                    o.exercise,
                    o.issued_at,
                    o.fallback,
                    o.resends,
                ),
            )
        for i in range(0, len(open_ids), 900):
            part = open_ids[i : i + 900]
            for r in conn.execute(select(_reports).where(_reports.c.incident_id.in_(part))).all():
                stages_done.setdefault(r.incident_id, set()).update(
                    STAGES_SETTLED.get(r.stage, (r.stage,))
                )
                state.set(
                    "report",
                    r.msg_id,
                    ReportState(
                        r.msg_id,
                        r.incident_id,
                        r.stage,
                        r.title,
                        r.sender,
                        r.sent,
                        r.dead,
                        r.missing,
                        r.injured,
                        r.exercise,
                    ),
                )
    if deadlines is not None:
        for inc in open_rows:
            known = inc.known_at or inc.updated
            deadlines.track(
                inc.incident_id,
                known_at=known,
                occurred=inc.occurred or known,
                type_code=inc.type_code,
                level=inc.level,
                done=stages_done.get(inc.incident_id, set()),
                exercise=inc.exercise,
            )
