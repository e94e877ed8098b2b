"""docs/operations.md's command list is kept true: every command of both programs, and
every action of ``ctl incident``, is in it (it had left out ``incident reopen``,
``field-unit media`` and ``enroll --qr``)."""

from __future__ import annotations

import argparse
from pathlib import Path

from command_center.cli import build_parser as hall_parser
from field_unit.cli import build_parser as field_parser

DOC = Path(__file__).resolve().parent.parent / "docs" / "operations.md"


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _block() -> str:
    text = DOC.read_text("utf-8")
    start = text.index("## Commands")
    return text[start : text.index("```\n", text.index("```sh", start) + 5)]


def test_every_command_is_in_the_command_list() -> None:
    block = _block()
    missing = [
        f"{program} {name}"
        for program, parser in (("command-center", hall_parser()), ("field-unit", field_parser()))
        for name in _subcommands(parser)
        if f"{program} {name}" not in block and f"| {name}" not in block
    ]
    assert not missing, f"commands missing from {DOC.name}: {missing}"


def test_every_incident_action_and_the_qr_option_are_listed() -> None:
    block = _block()
    ctl = _subcommands(hall_parser())["ctl"]
    incident = _subcommands(_subcommands(ctl)["incident"])
    line = next(li for li in block.splitlines() if " incident declare" in li)
    missing = [a for a in incident if a not in line]
    assert not missing, f"ctl incident actions missing from {DOC.name}: {missing}"
    assert "--qr" in block
