"""Report templates for the field: which fields a 初报 or 续报 of each incident type asks
for, which are required, and how a filled form becomes a report's text."""

from __future__ import annotations

from typing import Literal

import msgspec

from shared.data import load_toml


class TemplateField(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One field of a report form."""

    key: str
    label: str
    required: bool = False
    kind: Literal["text", "count"] = "text"


class Template(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The fields of one incident type's reports."""

    fields: list[TemplateField]


class Templates(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """``shared/data/report_templates.toml``."""

    default: Template
    types: dict[str, Template] = msgspec.field(default_factory=dict)

    def for_type(self, type_code: str) -> Template:
        """The template of an incident type (a subtype uses its type's; unknown: default)."""
        return self.types.get(type_code.split(".", 1)[0], self.default)


def load_templates(text: str | None = None) -> Templates:
    """The packaged templates (or ``text``)."""
    return load_toml("report_templates.toml", Templates, text)


class FormProblem(ValueError):
    """A report form that cannot be sent yet; ``problems`` names every field at fault."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("；".join(problems))
        self.problems = problems


def check_form(
    template: Template, stage: str, title: str, values: dict[str, str], note: str = ""
) -> None:
    """Refuse a form that misses what its stage needs.

    Raises:
        FormProblem: a missing title, a required field of a 初报 left empty, a count that is
            not a whole number, or a 续报 that says nothing.
    """
    problems = []
    if not title.strip():
        problems.append("标题必填")
    for f in template.fields:
        value = values.get(f.key, "").strip()
        if f.kind == "count" and value and not value.isdigit():
            problems.append(f"{f.label}应为整数")
        if stage == "initial" and f.required and not value:
            problems.append(f"初报必须填写：{f.label}")
    if stage != "initial" and not note.strip() and not any(v.strip() for v in values.values()):
        problems.append("续报/终报至少填写一项情况或说明")
    if problems:
        raise FormProblem(problems)


def compose_text(template: Template, values: dict[str, str], note: str = "") -> str:
    """The report's text: ``label：value`` lines in the template's order, then the note."""
    lines = [
        f"{f.label}：{values[f.key].strip()}"
        for f in template.fields
        if values.get(f.key, "").strip()
    ]
    if note.strip():
        lines.append(note.strip())
    return "\n".join(lines)
