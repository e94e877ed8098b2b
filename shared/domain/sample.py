"""The fictional sample data for Hengshui (``sample_hengshui.toml``): resources for
``command-center seed-demo`` and a coarse population grid for assessments.

Nothing in it is real; every resource it yields is marked ``sample``.
"""

from __future__ import annotations

from functools import cache

import msgspec

from shared.data import load_toml
from shared.domain.assessment import PopulationCell
from shared.domain.classification import DomainError


class SampleResource(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One sample resource, with the fields of a resource registration."""

    resource_id: str
    resource_type: str
    name: str
    lat: float
    lon: float
    department: str = ""
    category: str = ""
    capacity: int = 0
    occupancy: int = 0
    stock: dict[str, int] = msgspec.field(default_factory=dict)
    phone: str = ""
    measure: str = ""
    warn_at: float | None = None
    alarm_at: float | None = None
    draft_type: str = ""


class SamplePopulation(msgspec.Struct, frozen=True):
    """Square cells of ``cell_m`` metres: (centre lat, centre lon, people)."""

    cell_m: float
    cells: list[tuple[float, float, int]]


class SampleData(msgspec.Struct, frozen=True):
    """The whole sample file."""

    sample: bool
    resources: list[SampleResource]
    population: SamplePopulation

    def __post_init__(self) -> None:
        if not self.sample:
            raise DomainError("the sample data file must say `sample = true`")

    def population_cells(self) -> list[PopulationCell]:
        """The grid as assessment cells."""
        size = self.population.cell_m
        return [PopulationCell(lat, lon, size, float(n)) for lat, lon, n in self.population.cells]


@cache
def sample_data() -> SampleData:
    """The packaged fictional sample data (loaded once)."""
    return load_toml("sample_hengshui.toml", SampleData, error=DomainError)
