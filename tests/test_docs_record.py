"""docs/record-integrity.md is kept true: its authority table is the data file's."""

from __future__ import annotations

from pathlib import Path

import msgspec

from shared.domain.authority import RoleRow, authority

DOC = Path(__file__).resolve().parent.parent / "docs" / "record-integrity.md"


def test_the_documented_authority_table_is_the_data_file() -> None:
    text = DOC.read_text("utf-8")
    columns = [f.name for f in msgspec.structs.fields(RoleRow)]
    header = "| role | " + " | ".join(columns) + " |"
    assert header in text, f"{DOC.name} must have the table header {header!r}"
    for role, row in authority().roles.items():
        line = f"| {role} | " + " | ".join(getattr(row, c) for c in columns) + " |"
        assert line in text, f"{DOC.name} does not show {role}'s row as the data file has it"


def test_the_readme_links_the_page() -> None:
    readme = (DOC.parent.parent / "README.md").read_text("utf-8")
    assert "docs/record-integrity.md" in readme
