"""Authority over an incident's facts: who may change which fact, and how levels move.

The rules are data (``shared/data/authority.toml``): one row per role, one mode per fact
(``set``, ``raise`` or ``none``). This module turns a requested change into the list of
changes it makes, or a :class:`~shared.domain.classification.DomainError` naming the rule
it breaks and what to do instead.
"""

from __future__ import annotations

from functools import cache
from typing import Any, Literal

import msgspec

from shared.data import load_toml
from shared.domain.classification import DomainError

Mode = Literal["set", "raise", "none"]
FACTS = (
    "title",
    "place",
    "division",
    "area",
    "type_code",
    "occurred",
    "dead",
    "missing",
    "seriously_injured",
    "trapped",
    "evacuated",
    "direct_loss_cny",
)
FACT_NAMES = {
    "title": "标题",
    "place": "位置",
    "division": "行政区划",
    "area": "影响范围",
    "type_code": "事件类型",
    "occurred": "发生时间",
    "dead": "死亡",
    "missing": "失踪",
    "seriously_injured": "重伤",
    "trapped": "被困",
    "evacuated": "疏散",
    "direct_loss_cny": "直接经济损失",
}


class RoleRow(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One role's modes; ``counts`` covers every casualty and loss figure."""

    title: Mode = "none"
    place: Mode = "none"
    division: Mode = "none"
    area: Mode = "none"
    type_code: Mode = "none"
    occurred: Mode = "none"
    counts: Mode = "none"


class AuthorityTable(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The whole table (see the data file for the meaning of each mode)."""

    counts: list[str]
    roles: dict[str, RoleRow]

    def mode(self, role: str, fact: str) -> Mode:
        row = self.roles.get(role)
        if row is None:
            return "none"
        mode: Mode = getattr(row, "counts" if fact in self.counts else fact)
        return mode


class FactChange(msgspec.Struct, frozen=True):
    """One fact changed: its name, the value before and the value after."""

    fact: str
    before: Any
    after: Any

    def describe(self) -> str:
        return f"{self.fact}: {_show(self.before)} → {_show(self.after)}"


def _show(value: Any) -> str:
    if value is None or value == "":
        return "（无）"
    if isinstance(value, list):
        return f"{len(value)} 点"
    return str(value)


@cache
def authority() -> AuthorityTable:
    """The packaged table."""
    return load_authority()


def load_authority(text: str | None = None) -> AuthorityTable:
    """Read an authority table (the packaged one when ``text`` is None)."""
    table = load_toml("authority.toml", AuthorityTable, text, error=DomainError)
    unknown = [c for c in table.counts if c not in FACTS]
    if unknown:
        raise DomainError(f"authority.toml: unknown count facts {unknown}")
    return table


def check_changes(
    role: str,
    before: dict[str, Any],
    after: dict[str, Any],
    reason: str = "",
    table: AuthorityTable | None = None,
) -> list[FactChange]:
    """The changes ``after`` makes to ``before`` that ``role`` may make.

    ``after`` holds only the facts the sender names (a missing fact is unchanged).

    Raises:
        DomainError: a fact the role may not change, a count it may only raise lowered, or
            a count lowered without a reason (the message names the fact and the rule).
    """
    table = table or authority()
    changes: list[FactChange] = []
    for fact, value in after.items():
        if fact not in FACTS:
            raise DomainError(f"{fact!r} is not a fact of an incident")
        old = before.get(fact)
        if value == old:
            continue
        mode = table.mode(role, fact)
        name = f"{FACT_NAMES[fact]}（{fact}）"
        if mode == "none":
            raise DomainError(
                f"a {role} device may not change {name}; report what you see "
                "(初报/续报) and the duty officer will correct it"
            )
        if fact in table.counts:
            lowered = (old or 0) > value
            if lowered and mode == "raise":
                raise DomainError(
                    f"a {role} device may raise {name} but never lower it ({old} → {value}); "
                    "a duty officer or leader lowers it with a reason"
                )
            if mode == "raise" and implausible_jump(old, value):
                raise DomainError(
                    f"a {role} device may not raise {name} from {old or 0} to {value} on its "
                    "own (more than tenfold, or past 100): file it in a 续报 and a duty officer "
                    "or leader confirms the figure"
                )
            if lowered and not reason.strip():
                raise DomainError(
                    f"lowering {name} ({old} → {value}) needs a reason (--reason): "
                    "figures are never lowered silently"
                )
        changes.append(FactChange(fact, old, value))
    return changes


JUMP_FLOOR = 100
JUMP_FACTOR = 10
"""A count raised by a device that may only raise it (a field team, a liaison) to more than
``max(JUMP_FLOOR, JUMP_FACTOR × before)`` is implausible on its word alone: a duty officer or
leader confirms it (one stolen field key set ``dead`` to 10,000,000)."""

CONFIRMING_ROLES = ("leader", "duty-officer", "county")
"""Roles whose figures, levels and draft confirmations stand on their own (a county for
its own incidents)."""


def implausible_jump(before: int | None, after: int) -> bool:
    """Whether raising a count from ``before`` to ``after`` needs a confirming role."""
    return after > max(JUMP_FLOOR, JUMP_FACTOR * (before or 0))


def regrade(
    level: int | None,
    computed_before: int | None,
    computed_after: int | None,
    overridden: bool,
) -> int | None:
    """The incident's level after its facts changed.

    Grading only ever raises a level (Ⅰ is the highest, the smallest number): a lower
    computed level leaves the level as it is, to be lowered by an override with a reason.
    An override stands until the facts put the computed level above what it was.
    """
    if computed_after is None:
        return level
    if level is None:
        return computed_after
    if overridden and (computed_before is not None and computed_after >= computed_before):
        return level
    return min(level, computed_after)


def confined(role: str, device: str, incident_id: str, prefix: str | None = None) -> bool:
    """Whether a device may touch an incident id: a county (or post) hub only its own
    prefix (``DEVICE/…``); every other role is not confined by id."""
    if role != "county":
        return True
    return incident_id.startswith(f"{prefix or device}/")
