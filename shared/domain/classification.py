"""The incident classification tree (classes → types → subtypes), loaded from data."""

from __future__ import annotations

from functools import cache

import msgspec

from shared.data import load_toml


class DomainError(ValueError):
    """A domain rule refused an input; the message says what is wrong and what is allowed."""


class Subtype(msgspec.Struct, frozen=True):
    """A subtype of an incident type."""

    code: str
    name: str


class IncidentType(msgspec.Struct, frozen=True, rename={"class_": "class"}):
    """An incident type: its class, subtypes, and the grading table that applies."""

    code: str
    class_: str
    name: str
    gb_code: str = ""
    grading: str = ""
    subtypes: list[Subtype] = msgspec.field(default_factory=list)


class IncidentClass(msgspec.Struct, frozen=True):
    """One of the four classes of the Emergency Response Law."""

    name: str
    en: str


class Classification(msgspec.Struct, frozen=True):
    """The whole tree."""

    classes: dict[str, IncidentClass]
    types: list[IncidentType]

    def __post_init__(self) -> None:
        for t in self.types:
            if t.class_ not in self.classes:
                raise DomainError(f"incident type {t.code!r} names unknown class {t.class_!r}")

    def type(self, code: str) -> IncidentType:
        """The type with ``code`` (a subtype code resolves to its type).

        Raises:
            DomainError: unknown code, naming the known ones.
        """
        head = code.split(".", 1)[0]
        for t in self.types:
            if t.code == head and (code == head or any(s.code == code for s in t.subtypes)):
                return t
        known = ", ".join(t.code for t in self.types)
        raise DomainError(f"unknown incident type {code!r}; known types: {known}")


def load_classification(text: str | None = None) -> Classification:
    """Load the tree from TOML text, or the packaged ``incident_types.toml``."""
    return load_toml("incident_types.toml", Classification, text, error=DomainError)


@cache
def classification() -> Classification:
    """The packaged tree (loaded once)."""
    return load_classification()
