"""Moving the deadline clocks for what a batch committed, and taking back alarms."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.domain.deadlines import SUPPLEMENT_STAGE
from shared.hub.common import Services


class DeadlineBook:
    """The deadline clocks moved for what a batch committed (the batch's ``ops``)."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def apply(self, ops: list[tuple[Any, ...]], now: datetime) -> None:
        """Move the deadline clocks for what this batch committed, and take back published
        alarms that a report settled or that no longer apply."""
        engine = self.services.deadlines
        if engine is None:
            return
        for op in ops:
            kind, incident_id = op[0], op[1]
            if kind == "track":
                _, _, known_at, occurred, type_code, level, exercise = op
                engine.track(
                    incident_id,
                    known_at=known_at,
                    occurred=occurred,
                    type_code=type_code,
                    level=level,
                    exercise=exercise,
                )
            elif kind == "level":
                level = op[2]
                engine.level_changed(incident_id, level)
                stale = {
                    r.code
                    for r in engine.config.rules
                    if r.applies_to_levels and level not in r.applies_to_levels
                }
                self._clear_alarms(incident_id, stale)
            elif kind == "casualties":
                engine.casualties_changed(incident_id, now)
            elif kind == "filed":
                stage = op[2]
                engine.report_filed(incident_id, stage)
                settled = {code for code, st in self.services.rule_stage.items() if st == stage}
                self._clear_alarms(incident_id, settled, supplements=stage == SUPPLEMENT_STAGE)
            elif kind == "untrack":
                engine.untrack(incident_id)
                self._clear_alarms(incident_id, None)

    def _clear_alarms(
        self, incident_id: str, rules: set[str] | None, *, supplements: bool = False
    ) -> None:
        """Take back published alarms of ``rules`` (None: all) and, if asked, supplements."""
        prefix = f"{incident_id}:"
        for key in [k for k in self.services.state.topics["alarm"].items if k.startswith(prefix)]:
            rule = key[len(prefix) :]
            if rules is None or rule in rules or (supplements and rule.startswith("supplement@")):
                self.services.state.set("alarm", key, None)
