"""Emergency plans (应急预案) and the response (应急响应) they drive.

A plan lists, per response level Ⅰ–Ⅳ (1 is the highest), the departments that get a dispatch
order and the checklist the command opens. A higher level adds to the levels below it.
Activating a response applies the plan at a level; raising it applies what the higher level
adds; lowering and ending are recorded without new orders. The departments and their
liaison devices come from ``departments.toml``; a plan naming a department that is not there
is refused when the plans are loaded, so the mistake shows at start-up, not in an emergency.
"""

from __future__ import annotations

from functools import cache
from typing import Annotated

import msgspec

from shared.data import load_toml
from shared.domain.classification import Classification, DomainError, classification

LEVEL_KEYS = ("1", "2", "3", "4")


UNENROLLED_LIAISON = (
    "{department}（{code}）的联络员终端 {device} 未登记，指令未发出："
    "请电话通知该部门，并为其联络员登记终端"
)
"""A response's warning when a department it orders has no enrolled liaison device."""
UNENROLLED_TEAM = "队伍终端 {device} 未登记，指令未发出：请电话通知该队伍，并为其登记终端"
"""A response's warning when a team it orders has no enrolled device."""
RESPONSE_WARNINGS = (UNENROLLED_LIAISON, UNENROLLED_TEAM)
"""Every warning a response step writes (screens translate them by these templates)."""


class Department(msgspec.Struct, frozen=True):
    """A department that receives orders, and the enrolled device of its liaison."""

    code: str
    name: str
    liaison: str


class Departments(msgspec.Struct, frozen=True):
    """The departments file."""

    departments: list[Department]

    def __post_init__(self) -> None:
        codes = [d.code for d in self.departments]
        dupes = sorted({c for c in codes if codes.count(c) > 1})
        if dupes:
            raise DomainError(f"departments listed twice: {', '.join(dupes)}")

    def get(self, code: str) -> Department:
        """The department ``code``.

        Raises:
            DomainError: unknown code, naming the known ones.
        """
        for d in self.departments:
            if d.code == code:
                return d
        known = ", ".join(d.code for d in self.departments)
        raise DomainError(f"unknown department {code!r}; known departments: {known}")


class ChecklistEntry(msgspec.Struct, frozen=True):
    """A checklist item of a plan level."""

    item: Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9_]{1,64}$")]
    text: Annotated[str, msgspec.Meta(min_length=1, max_length=512)]


class PlanLevel(msgspec.Struct, frozen=True):
    """What one response level adds: departments to order and checklist items."""

    departments: list[str] = msgspec.field(default_factory=list)
    teams: list[Annotated[str, msgspec.Meta(min_length=1, max_length=128)]] = msgspec.field(
        default_factory=list
    )
    """Enrolled devices of rescue teams ordered directly (not through a department)."""
    checklist: list[ChecklistEntry] = msgspec.field(default_factory=list)
    inherit: bool = True
    """Whether the lower levels' departments and checklist apply too."""


class Plan(msgspec.Struct, frozen=True):
    """One plan: the incident types it covers and its four levels."""

    code: str
    name: str
    types: list[str]
    levels: dict[str, PlanLevel]
    """Keyed by the level as a string ("1" = Ⅰ … "4" = Ⅳ): TOML keys are strings."""

    def __post_init__(self) -> None:
        bad = sorted(k for k in self.levels if k not in LEVEL_KEYS)
        if bad:
            raise DomainError(
                f'plan {self.code!r}: levels are "1" (Ⅰ, highest) to "4" (Ⅳ), not {bad}'
            )

    def at(self, level: int) -> tuple[list[str], list[ChecklistEntry]]:
        """Departments and checklist at ``level``, the lower levels' included (in order:
        level Ⅳ's first)."""
        departments, _teams, checklist = self.scope(level)
        return departments, checklist

    def scope(self, level: int) -> tuple[list[str], list[str], list[ChecklistEntry]]:
        """Departments, teams and checklist at ``level``, the lower levels' included."""
        if level not in range(1, 5):
            raise DomainError(f"response level must be 1 (Ⅰ, highest) to 4 (Ⅳ), not {level}")
        departments: list[str] = []
        teams: list[str] = []
        checklist: list[ChecklistEntry] = []
        for lv in range(4, level - 1, -1):
            step = self.levels.get(str(lv))
            if step is None:
                continue
            if not step.inherit:
                departments, teams, checklist = [], [], []
            departments += [d for d in step.departments if d not in departments]
            teams += [t for t in step.teams if t not in teams]
            checklist += step.checklist
        return departments, teams, checklist


class Plans(msgspec.Struct, frozen=True):
    """All plans, checked against the departments and the classification."""

    plans: list[Plan]

    def for_type(self, type_code: str, plan_code: str = "") -> Plan:
        """The plan named ``plan_code``, or else the plan for ``type_code`` (its type's own,
        or the general plan, the one with no types).

        Raises:
            DomainError: an unknown plan code, or no plan at all for the type.
        """
        if plan_code:
            for p in self.plans:
                if p.code == plan_code:
                    return p
            known = ", ".join(p.code for p in self.plans)
            raise DomainError(f"unknown plan {plan_code!r}; known plans: {known}")
        head = type_code.split(".", 1)[0]
        general = None
        for p in self.plans:
            if head and head in p.types:
                return p
            if not p.types:
                general = p
        if general is None:
            raise DomainError(f"no plan covers incident type {type_code!r} and none is general")
        return general


def check_plans(
    plans: Plans, departments: Departments, tree: Classification | None = None
) -> Plans:
    """Refuse plans that name a missing department or type, or repeat a checklist item.

    Raises:
        DomainError: naming the plan, the level and what is wrong.
    """
    tree = tree or classification()
    codes = [p.code for p in plans.plans]
    if len(set(codes)) != len(codes):
        raise DomainError(f"plan codes must be unique: {codes}")
    for p in plans.plans:
        for t in p.types:
            try:
                tree.type(t)
            except DomainError as exc:
                raise DomainError(f"plan {p.code!r}: {exc}") from None
        for lv, step in sorted(p.levels.items()):
            for d in step.departments:
                try:
                    departments.get(d)
                except DomainError as exc:
                    raise DomainError(f"plan {p.code!r} level {lv}: {exc}") from None
        items = [c.item for c in p.at(1)[1]]
        dupes = sorted({i for i in items if items.count(i) > 1})
        if dupes:
            raise DomainError(f"plan {p.code!r}: checklist items repeated: {', '.join(dupes)}")
    return plans


def load_departments(text: str | None = None) -> Departments:
    """Load ``departments.toml`` (or ``text``)."""
    return load_toml("departments.toml", Departments, text, error=DomainError)


def load_plans(text: str | None = None, departments: Departments | None = None) -> Plans:
    """Load and check ``plans.toml`` (or ``text``) against the departments."""
    plans = load_toml("plans.toml", Plans, text, error=DomainError)
    return check_plans(plans, departments or load_departments())


@cache
def packaged_departments() -> Departments:
    """The packaged departments (loaded once)."""
    return load_departments()


@cache
def packaged_plans() -> Plans:
    """The packaged plans (loaded once, checked against the packaged departments)."""
    return load_plans(departments=packaged_departments())


class ResponseChange(msgspec.Struct, frozen=True):
    """What a response command does: the new level and activity, and what it adds."""

    level: int | None
    active: bool
    new_departments: list[str]
    new_checklist: list[ChecklistEntry]
    new_teams: list[str] = msgspec.field(default_factory=list)


def response_change(
    plan: Plan, active: bool, level: int | None, action: str, to: int | None
) -> ResponseChange:
    """Apply ``action`` (activate / raise / lower / end) to a response now at ``level``.

    Raises:
        DomainError: activating an active response, raising to a lower level, lowering to
            a higher one, ending one that is not active, or a missing level.
    """
    if action == "end":
        if not active:
            raise DomainError("there is no active response to end")
        return ResponseChange(level, False, [], [])
    if to is None:
        raise DomainError(f"{action} needs a response level (1 = Ⅰ, highest … 4 = Ⅳ)")
    if action == "activate":
        if active:
            raise DomainError(
                f"a level {level} response is already active: raise or lower it instead"
            )
        departments, teams, checklist = plan.scope(to)
        return ResponseChange(to, True, departments, checklist, teams)
    if not active or level is None:
        raise DomainError(f"there is no active response to {action}: activate one first")
    if action == "raise":
        if to >= level:
            raise DomainError(
                f"raising goes to a higher level (a smaller number) than the current {level}"
            )
        had_d, had_t, had_c = plan.scope(level)
        departments, teams, checklist = plan.scope(to)
        known = {c.item for c in had_c}
        return ResponseChange(
            to,
            True,
            [d for d in departments if d not in had_d],
            [c for c in checklist if c.item not in known],
            [t for t in teams if t not in had_t],
        )
    if action == "lower":
        if to <= level:
            raise DomainError(
                f"lowering goes to a lower level (a larger number) than the current {level}"
            )
        return ResponseChange(to, True, [], [])
    raise DomainError(f"unknown response action {action!r}: activate, raise, lower or end")
