"""Assessment (综合研判) of a live incident against the resources in the picture.

The hall, the command line and the field client all assess the same way: the incident and
the resources come from a :class:`~shared.client.Replica` (what the hub publishes), the
population grid from the packaged sample until a site installs its own.
"""

from __future__ import annotations

from collections.abc import Iterable

from shared.domain import (
    Assessment,
    AssessmentContext,
    Casualties,
    Facility,
    Incident,
    PopulationCell,
    Shelter,
    Team,
    Wind,
    assess,
    grading_for,
)
from shared.protocol.state import IncidentState, ResourceState

FACILITY_TYPES = ("facility", "shelter")
"""Resource types counted as facilities inside a hazard zone (shelters are both)."""


def context_from_resources(
    resources: Iterable[ResourceState], population: list[PopulationCell]
) -> AssessmentContext:
    """Build the spatial indexes over the published resources."""
    facilities: list[Facility] = []
    teams: list[Team] = []
    shelters: list[Shelter] = []
    for r in resources:
        if r.resource_type in FACILITY_TYPES:
            kind = r.category or r.resource_type
            facilities.append(Facility(r.resource_id, kind, r.name, r.lat, r.lon))
        if r.resource_type == "shelter":
            shelters.append(Shelter(r.resource_id, r.name, r.lat, r.lon, r.capacity, r.occupancy))
        elif r.resource_type == "team":
            available = r.availability == "available"
            kind = r.category or "rescue"
            teams.append(Team(r.resource_id, kind, r.name, r.lat, r.lon, available))
    return AssessmentContext(facilities, teams, shelters, population)


def domain_incident(state: IncidentState) -> Incident:
    """The domain's incident for a published one (graded again from its facts)."""
    casualties = Casualties(
        state.dead, state.missing, state.seriously_injured, state.trapped, state.evacuated
    )
    computed = (
        grading_for(state.type_code, casualties, state.direct_loss_cny) if state.type_code else None
    )
    return Incident(
        incident_id=state.incident_id,
        type_code=state.type_code,
        title=state.title,
        lat=state.lat,
        lon=state.lon,
        division=state.division or "",
        occurred=state.occurred or state.updated,
        reported=state.updated,
        casualties=casualties,
        direct_loss_cny=state.direct_loss_cny,
        status=state.status,  # type: ignore[arg-type]
        computed=computed,
        exercise=state.exercise,
    )


def assess_incident(
    incident: IncidentState,
    resources: Iterable[ResourceState],
    population: list[PopulationCell],
    wind: Wind | None = None,
) -> Assessment:
    """Assess a published incident against the published resources."""
    return assess(
        domain_incident(incident), context_from_resources(resources, population), wind=wind
    )
