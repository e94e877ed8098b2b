"""docs/hostile-input.md is kept true: every fuzz target, every limit the hub can be given
and every refusal code a client may get are named there."""

from __future__ import annotations

import typing
from pathlib import Path

import msgspec

from fuzz.targets import TARGETS
from shared.config import HubConfig
from shared.protocol.messages import ErrorCode

DOC = Path(__file__).resolve().parent.parent / "docs" / "hostile-input.md"


def test_every_fuzz_target_is_documented() -> None:
    text = DOC.read_text("utf-8")
    missing = [n for n in TARGETS if f"| `{n}` |" not in text]
    assert not missing, f"fuzz targets missing from {DOC.name}: {missing}"


def test_every_limit_of_the_hub_is_documented() -> None:
    text = DOC.read_text("utf-8")
    keys = [
        f.name
        for f in msgspec.structs.fields(HubConfig)
        if f.name.startswith(("abuse_", "device_", "client_queue"))
    ]
    assert len(keys) >= 10
    missing = [k for k in keys if f"`{k}`" not in text]
    assert not missing, f"configuration keys missing from {DOC.name}: {missing}"


def test_the_new_refusal_codes_are_documented() -> None:
    text = DOC.read_text("utf-8")
    codes = typing.get_args(ErrorCode)
    for code in ("internal", "busy", "throttled", "undecodable", "sender_mismatch"):
        assert code in codes and f"`{code}`" in text, code


def test_the_readme_links_the_page_and_names_the_commands() -> None:
    readme = (DOC.parent.parent / "README.md").read_text("utf-8")
    assert "docs/hostile-input.md" in readme
    assert "./run fuzz" in readme and "./run bench hostile" in readme
