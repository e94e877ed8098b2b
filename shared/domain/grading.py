"""Grading (分级): the level of an incident from its type's criteria table.

Any criterion of a level reached puts the incident at that level; the highest level reached
wins (Ⅰ is highest). Thresholds are inclusive ("以上" includes the number). The tables are
data (``grading.toml``); a type without a table gets no computed level and a duty officer
sets it, with a recorded reason.
"""

from __future__ import annotations

from functools import cache

import msgspec

from shared.data import load_toml
from shared.domain.classification import DomainError

LEVEL_NAMES = {1: "特别重大", 2: "重大", 3: "较大", 4: "一般"}
LEVEL_NUMERALS = {1: "Ⅰ", 2: "Ⅱ", 3: "Ⅲ", 4: "Ⅳ"}
CRITERIA_NAMES = {"dead": "死亡", "seriously_injured": "重伤", "direct_loss_cny": "直接经济损失"}


class LevelCriteria(msgspec.Struct, frozen=True):
    """The thresholds of one level; None means the criterion does not apply."""

    level: int
    dead: int | None = None
    seriously_injured: int | None = None
    direct_loss_cny: int | None = None


class CriteriaTable(msgspec.Struct, frozen=True):
    """A criteria table from a regulation or a special plan."""

    name: str
    source: str
    levels: list[LevelCriteria]
    floor: int | None = None

    def __post_init__(self) -> None:
        if sorted(c.level for c in self.levels) != [c.level for c in self.levels]:
            raise DomainError(f"criteria table {self.name!r}: levels must run from Ⅰ down")


class Facts(msgspec.Struct, frozen=True):
    """What grading looks at."""

    dead: int = 0
    seriously_injured: int = 0
    direct_loss_cny: int = 0


class Grading(msgspec.Struct, frozen=True):
    """A computed level and the criteria that put it there (empty for the floor level)."""

    level: int | None
    triggered: list[str]
    table: str


def grade(table: CriteriaTable, facts: Facts) -> Grading:
    """The level ``facts`` reach in ``table``; the highest level reached wins."""
    for criteria in table.levels:  # Ⅰ first: the first level reached is the highest
        reached = []
        for field in ("dead", "seriously_injured", "direct_loss_cny"):
            threshold = getattr(criteria, field)
            value = getattr(facts, field)
            if threshold is not None and value >= threshold:
                reached.append(
                    f"{CRITERIA_NAMES[field]} {value} ≥ {threshold}"
                    f"（{LEVEL_NUMERALS[criteria.level]}级 {LEVEL_NAMES[criteria.level]}）"
                )
        if reached:
            return Grading(criteria.level, reached, table.name)
    return Grading(table.floor, [], table.name)


def load_tables(text: str | None = None) -> dict[str, CriteriaTable]:
    """Load criteria tables from TOML text, or the packaged ``grading.toml``."""
    return load_toml("grading.toml", dict[str, CriteriaTable], text, error=DomainError)


@cache
def tables() -> dict[str, CriteriaTable]:
    """The packaged tables (loaded once)."""
    return load_tables()


REQUESTED_LEVEL_WARNING = (
    "requested level {requested} differs from the criteria's {computed}: the criteria's level "
    "stands; a duty officer sets another with a level override and a reason"
)
"""The warning an incident carries when it was declared with a level its criteria do not give
(the hall shows it in its own words, matched by this template)."""
