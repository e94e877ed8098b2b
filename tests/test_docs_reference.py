"""docs/reference/ is the code's own account of its commands, configuration keys and message
kinds (written by docs/generate.py): it fails here when a command, option, key or kind exists
in the code but not on its page, and when a key or kind has nothing said about it."""

from __future__ import annotations

import importlib.util
import inspect
import typing
from pathlib import Path
from types import ModuleType

import msgspec
import pytest

ROOT = Path(__file__).resolve().parent.parent


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docs_generate", ROOT / "docs" / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GEN = _generator()


@pytest.mark.parametrize("page", sorted(GEN.PAGES))
def test_the_reference_page_is_what_the_code_says(page: str) -> None:
    written = (ROOT / "docs" / "reference" / page).read_text("utf-8")
    assert written == GEN.PAGES[page](), (
        f"docs/reference/{page} is stale: the code has changed since it was written; "
        "run ./run docs and commit the page"
    )


def test_every_command_and_option_is_on_the_commands_page() -> None:
    import argparse

    from command_center.cli import build_parser as hall
    from field_unit.cli import build_parser as field

    page = (ROOT / "docs" / "reference" / "commands.md").read_text("utf-8")
    seen = 0
    for program, parser in (("command-center", hall()), ("field-unit", field())):
        for path, _help, sub in GEN._commands(parser, program):
            has_sub = any(isinstance(a, argparse._SubParsersAction) for a in sub._actions)
            if not has_sub:
                assert f"`{path}`" in page, f"command {path!r} is not on the page"
            for action in sub._actions:
                for option in action.option_strings:
                    if option not in ("-h", "--help"):
                        assert f"`{option}`" in page, f"{path} {option} is not on the page"
                        seen += 1
    assert seen > 200  # the walk reached the sub-commands' options


def test_every_configuration_key_says_what_it_is() -> None:
    from shared.config import Config

    silent = []
    for section in msgspec.structs.fields(Config):
        cls = typing.get_type_hints(Config)[section.name]
        structs = [cls]
        for field in msgspec.structs.fields(cls):
            structs += [
                a
                for a in typing.get_args(typing.get_type_hints(cls)[field.name])
                if isinstance(a, type) and issubclass(a, msgspec.Struct)
            ]
        for struct in structs:
            docs = GEN._attribute_docs(struct)
            silent += [
                f"{struct.__name__}.{f.name}"
                for f in msgspec.structs.fields(struct)
                if not docs.get(f.name)
            ]
    assert not silent, f"configuration keys with no docstring under them: {silent}"


def test_every_message_kind_is_on_the_protocol_page_and_says_what_it_is() -> None:
    from shared.protocol import KIND_OF
    from shared.protocol.messages import Reply

    page = (ROOT / "docs" / "reference" / "protocol.md").read_text("utf-8")
    kinds = [*KIND_OF.items(), *((c, str(c.__struct_config__.tag)) for c in typing.get_args(Reply))]
    assert len(kinds) > 30
    for cls, kind in kinds:
        assert f"### {kind}\n" in page, f"message kind {kind!r} is not on the page"
        assert inspect.getdoc(cls), f"{cls.__name__} has no docstring"


def test_the_pages_are_linked_from_the_docs() -> None:
    operations = (ROOT / "docs" / "operations.md").read_text("utf-8")
    for page in GEN.PAGES:
        assert f"reference/{page}" in operations, f"docs/operations.md does not link {page}"


def test_the_roles_named_in_the_security_page_are_every_role() -> None:
    """The roles list in docs/protocol-security-store.md is the permission table's (it had
    left out gateway and media)."""
    from shared.identity.roles import ROLES

    text = (
        Path(__file__).resolve().parent.parent / "docs" / "protocol-security-store.md"
    ).read_text("utf-8")
    line = next(li for li in text.splitlines() if li.startswith("* **Roles**"))
    missing = [r for r in ROLES if f"`{r}`" not in line]
    assert not missing, f"roles missing from the security page: {missing}"
