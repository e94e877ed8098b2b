"""Write the reference pages in ``docs/reference/`` from the code itself, so they cannot go
stale: every command and option (the argument parsers), every configuration key (the
configuration structs and their attribute docstrings) and every message kind (the protocol
structs, with the roles that may send each).

    ./run docs            write the pages
    ./run docs --check    exit 1 naming the pages that differ (the test suite does this)
"""

from __future__ import annotations

import argparse
import ast
import inspect
import itertools
import sys
import types
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "reference"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

HEADER = "<!-- written by docs/generate.py from the code: edit the code, then ./run docs -->\n"


def _cell(text: object) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


# --- commands ---------------------------------------------------------------------------


def _commands(parser: argparse.ArgumentParser, path: str) -> Iterator[tuple[str, str, Any]]:
    """(command path, its help, its parser) for the parser and every sub-command, depth first."""
    yield path, parser.description or "", parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help or "" for a in action._choices_actions}
            for name, sub in action.choices.items():
                for sub_path, sub_help, sub_parser in _commands(sub, f"{path} {name}"):
                    yield (
                        sub_path,
                        (helps.get(name, "") if sub is sub_parser else sub_help),
                        (sub_parser),
                    )


def _data_dir() -> Path:
    from shared.config import default_data_dir

    return default_data_dir()


def _option_rows(parser: argparse.ArgumentParser) -> list[str]:
    rows = []
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction | argparse._SubParsersAction):
            continue
        names = ", ".join(f"`{s}`" for s in action.option_strings) or f"`{action.dest}`"
        if action.nargs == 0:
            value = ""
        elif action.choices is not None:
            value = " | ".join(str(c) for c in action.choices)
        else:
            value = action.metavar if isinstance(action.metavar, str) else action.dest.upper()
            if action.nargs in ("*", "+"):
                value += " …"
        default = action.default
        if action.required:
            shown = "required"
        elif default in (None, False, argparse.SUPPRESS, [], ""):
            shown = ""
        elif default == _data_dir():
            shown = "the user's data folder (platformdirs)"  # differs per machine and user
        else:
            shown = f"`{default}`"
        rows.append(f"| {names} | {_cell(value)} | {shown} | {_cell(action.help or '')} |")
    return rows


def commands_page() -> str:
    from command_center.cli import build_parser as hall_parser
    from field_unit.cli import build_parser as field_parser

    out = [
        HEADER,
        "# Commands and options\n",
        "Every command of `command-center` and `field-unit` with every option, as the argument "
        "parsers define them (`--help` on any command says the same). How to use them: "
        "[operations](../operations.md).\n",
    ]
    for program, parser in (("command-center", hall_parser()), ("field-unit", field_parser())):
        for path, help_text, sub in _commands(parser, program):
            rows = _option_rows(sub)
            has_sub = any(isinstance(a, argparse._SubParsersAction) for a in sub._actions)
            if not rows and has_sub and path != program:
                continue  # a group of sub-commands with no options of its own
            depth = min(path.count(" ") + 2, 4)
            out.append(f"{'#' * depth} `{path}`\n")
            if help_text:
                out.append(f"{_cell(help_text)}\n")
            if rows:
                out.append("| option | value | default | meaning |")
                out.append("|---|---|---|---|")
                out.extend(rows)
                out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


# --- configuration ----------------------------------------------------------------------


def _attribute_docs(cls: type) -> dict[str, str]:
    """The docstrings written under a class's fields (``x: int = 1`` then ``\"\"\"…\"\"\"``)."""
    tree = ast.parse(inspect.getsource(cls))
    body = tree.body[0].body  # type: ignore[attr-defined]
    docs = {}
    for node, after in itertools.pairwise(body):
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(after, ast.Expr)
            and isinstance(after.value, ast.Constant)
            and isinstance(after.value.value, str)
        ):
            docs[node.target.id] = inspect.cleandoc(after.value.value)
    return docs


def _type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Annotated:
        return _type_name(args[0])
    if origin is typing.Literal:
        return " | ".join(repr(a) for a in args)
    if origin in (typing.Union, types.UnionType):
        return " | ".join(_type_name(a) for a in args)
    if origin is not None:
        inner = ", ".join(_type_name(a) for a in args)
        return f"{getattr(origin, '__name__', str(origin))}[{inner}]"
    if tp is type(None):
        return "None"
    return getattr(tp, "__name__", str(tp))


def config_page() -> str:
    import msgspec

    from shared.config import Config

    out = [
        HEADER,
        "# Configuration keys\n",
        "The hub's TOML file (`command-center serve --config FILE`), section by section as "
        "`shared/config.py` defines it. An unknown key or a value of the wrong type is refused "
        "with the file and the key named. The example file is "
        "`resources/hub.example.toml`.\n",
    ]
    for section in msgspec.structs.fields(Config):
        cls = typing.get_type_hints(Config)[section.name]
        out.extend(_struct_table(f"[{section.name}]", cls))
        hints = typing.get_type_hints(cls)
        for field in msgspec.structs.fields(cls):
            for arg in typing.get_args(hints[field.name]):
                if isinstance(arg, type) and issubclass(arg, msgspec.Struct):
                    out.extend(_struct_table(f"[[{section.name}.{field.name}]]", arg))
    return "\n".join(out).rstrip("\n") + "\n"


def _struct_table(title: str, cls: type) -> list[str]:
    import msgspec

    docs = _attribute_docs(cls)
    hints = typing.get_type_hints(cls)
    out = [f"## `{title}`\n", f"{_cell(inspect.getdoc(cls) or '')}\n"]
    out.append("| key | type | default | meaning |")
    out.append("|---|---|---|---|")
    for field in msgspec.structs.fields(cls):
        default = field.default
        if default is msgspec.NODEFAULT:
            shown = "required" if field.default_factory is msgspec.NODEFAULT else "empty"
        else:
            shown = f"`{default!r}`"
        out.append(
            f"| `{field.name}` | {_cell(_type_name(hints[field.name]))} | {shown} | "
            f"{_cell(docs.get(field.name, ''))} |"
        )
    out.append("")
    return out


# --- protocol ---------------------------------------------------------------------------


def _fields_table(cls: type) -> list[str]:
    import msgspec

    envelope = {"v", "id", "sender", "sent", "exercise"}
    hints = typing.get_type_hints(cls, include_extras=True)
    docs = _attribute_docs(cls)
    fields = [f for f in msgspec.structs.fields(cls) if f.name not in envelope]
    if not fields:
        return ["No fields beyond the envelope.\n"]
    out = ["| field | type | default | meaning |", "|---|---|---|---|"]
    for field in fields:
        if field.default is not msgspec.NODEFAULT:
            shown = f"`{field.default!r}`"
        elif field.default_factory is not msgspec.NODEFAULT:
            shown = "empty"
        else:
            shown = ""
        out.append(
            f"| `{field.name}` | {_cell(_type_name(hints[field.name]))} | {shown} | "
            f"{_cell(docs.get(field.name, ''))} |"
        )
    out.append("")
    return out


def protocol_page() -> str:
    from shared.identity.roles import PERMISSIONS
    from shared.protocol import KIND_OF
    from shared.protocol.messages import ErrorCode, Reply

    out = [
        HEADER,
        "# Message kinds\n",
        "Every message a device may send the hub, and every reply the hub sends back on the "
        "request socket, as `shared/protocol` defines them: MessagePack maps tagged by `kind`, "
        "each with the envelope `v`, `id`, `sender`, `sent` and `exercise`. *Sent by* is "
        "`shared/data/permissions.toml`; a message of a kind its role may not send is refused "
        "`forbidden`. How the link works: "
        "[protocol, security, store](../protocol-security-store.md).\n",
        "## Requests\n",
        "| kind | sent by | what it is |",
        "|---|---|---|",
    ]
    requests = sorted(KIND_OF.items(), key=lambda kv: kv[1])
    replies = sorted(
        ((cls, str(cls.__struct_config__.tag)) for cls in typing.get_args(Reply)),
        key=lambda kv: kv[1],
    )
    for cls, kind in requests:
        roles = PERMISSIONS.allowed_roles(kind) if kind in PERMISSIONS.kinds else []
        summary = (inspect.getdoc(cls) or "").split("\n\n")[0]
        out.append(f"| [`{kind}`](#{kind}) | {_cell(', '.join(roles))} | {_cell(summary)} |")
    out += ["", "## Replies\n", "| kind | what it is |", "|---|---|"]
    for cls, kind in replies:
        summary = (inspect.getdoc(cls) or "").split("\n\n")[0]
        out.append(f"| [`{kind}`](#{kind}) | {_cell(summary)} |")
    codes = typing.get_args(typing.get_args(ErrorCode)[0]) or typing.get_args(ErrorCode)
    out += [
        "",
        "An `error` reply's `code` is one of: " + ", ".join(f"`{c}`" for c in codes) + ".\n",
    ]
    for cls, kind in [*requests, *replies]:
        out.append(f"### {kind}\n")
        out.append(f"`{cls.__name__}`: {_cell(inspect.getdoc(cls) or '')}\n")
        out.extend(_fields_table(cls))
    return "\n".join(out).rstrip("\n") + "\n"


PAGES = {
    "commands.md": commands_page,
    "configuration.md": config_page,
    "protocol.md": protocol_page,
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="./run docs", description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="only say which pages are stale")
    args = ap.parse_args(argv)
    stale = []
    for name, make in PAGES.items():
        path = OUT / name
        text = make()
        if path.exists() and path.read_text("utf-8") == text:
            continue
        stale.append(name)
        if not args.check:
            OUT.mkdir(parents=True, exist_ok=True)
            path.write_text(text, "utf-8")
            print(f"wrote docs/reference/{name}")
    if args.check and stale:
        print(f"stale: {', '.join(stale)} in docs/reference/ — run ./run docs", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
