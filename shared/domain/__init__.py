"""The emergency domain (no Qt, no I/O): classification, grading, incidents, orders,
reporting deadlines. Numbers come from the data files in ``shared/data``."""

from shared.domain.assessment import (
    Assessment,
    AssessmentContext,
    Facility,
    PopulationCell,
    Shelter,
    Team,
    Wind,
    assess,
)
from shared.domain.classification import (
    Classification,
    DomainError,
    IncidentType,
    classification,
    load_classification,
)
from shared.domain.deadlines import Alarm, DeadlineConfig, DeadlineEngine, load_deadlines
from shared.domain.grading import LEVEL_NAMES, CriteriaTable, Facts, Grading, grade, tables
from shared.domain.incident import (
    TRANSITIONS,
    Casualties,
    Incident,
    new_incident,
    override_level,
    transition,
    update_facts,
)
from shared.domain.orders import (
    ORDER_TRANSITIONS,
    Escalation,
    EscalationPolicy,
    Order,
    advance,
    escalations,
)

__all__ = [
    "LEVEL_NAMES",
    "ORDER_TRANSITIONS",
    "TRANSITIONS",
    "Alarm",
    "Assessment",
    "AssessmentContext",
    "Casualties",
    "Classification",
    "CriteriaTable",
    "DeadlineConfig",
    "DeadlineEngine",
    "DomainError",
    "Escalation",
    "EscalationPolicy",
    "Facility",
    "Facts",
    "Grading",
    "Incident",
    "IncidentType",
    "Order",
    "PopulationCell",
    "Shelter",
    "Team",
    "Wind",
    "advance",
    "assess",
    "classification",
    "escalations",
    "grade",
    "load_classification",
    "load_deadlines",
    "new_incident",
    "override_level",
    "tables",
    "transition",
    "update_facts",
]
