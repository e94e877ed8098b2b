"""The CAP 1.2 and EDXL-DE 1.0 schemas, read from a folder the site provides.

The schemas are OASIS documents the project does not ship: the team keeps them in
``../shared/standards`` beside the repository, and a site points at its own copy with
``HENGSHUI_STANDARDS`` or ``--schemas``. Loading never touches the network.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from lxml import etree

from shared.relay.formats.cap_read import is_cap
from shared.relay.formats.edxl import EDXL_NS
from shared.relay.formats.safexml import local_name, namespace

CAP_XSD = "cap-1.2.xsd"
EDXL_XSD = "edxl-de-1.0.xsd"


class SchemaUnavailable(RuntimeError):
    """The schema folder is missing or a schema in it cannot be read."""


def standards_dir() -> Path | None:
    """The schema folder: ``HENGSHUI_STANDARDS``, else ``../shared/standards`` beside the
    repository this code runs from; None when neither exists."""
    env = os.environ.get("HENGSHUI_STANDARDS")
    if env:
        return Path(env)
    beside = Path(__file__).resolve().parents[4] / "shared" / "standards"
    return beside if (beside / CAP_XSD).is_file() else None


class Schemas:
    """Both schemas, loaded once; :meth:`problems` validates a document."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.cap = _load(folder / CAP_XSD)
        self.edxl = _load(folder / EDXL_XSD)

    def problems(self, root: Any) -> list[str]:
        """What is wrong with ``root`` (an EDXL-DE envelope or a CAP alert): the schema's
        complaints, and those of every CAP alert embedded in the envelope. Empty when valid."""
        if is_cap(root):
            return self._check(self.cap, root, "CAP")
        if local_name(root) != "EDXLDistribution" or namespace(root) != EDXL_NS:
            return [f"neither EDXL-DE 1.0 nor CAP: root {local_name(root)!r}"]
        found = self._check(self.edxl, root, "EDXL-DE")
        q = f"{{{EDXL_NS}}}"
        for i, emb in enumerate(root.iter(q + "embeddedXMLContent")):
            for doc in emb:
                if is_cap(doc):
                    copy = etree.fromstring(etree.tostring(doc))
                    found += [f"content {i + 1}: {p}" for p in self._check(self.cap, copy, "CAP")]
        return found

    @staticmethod
    def _check(schema: Any, root: Any, label: str) -> list[str]:
        if schema.validate(root):
            return []
        return [f"{label} line {e.line}: {e.message}" for e in list(schema.error_log)[:20]]


def _load(path: Path) -> Any:
    parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)
    try:
        return etree.XMLSchema(etree.parse(str(path), parser))
    except OSError as exc:
        raise SchemaUnavailable(f"cannot read schema {path}: {exc}") from None
    except (etree.XMLSyntaxError, etree.XMLSchemaParseError) as exc:
        raise SchemaUnavailable(f"schema {path} cannot be used: {exc}") from None


def load_schemas(folder: Path | None = None) -> Schemas:
    """The schemas from ``folder`` (default :func:`standards_dir`).

    Raises:
        SchemaUnavailable: no folder, or a schema missing or unreadable (says where to put it).
    """
    where = folder or standards_dir()
    if where is None:
        raise SchemaUnavailable(
            "the CAP 1.2 and EDXL-DE 1.0 schemas were not found: set HENGSHUI_STANDARDS (or "
            f"--schemas) to a folder holding {CAP_XSD} and {EDXL_XSD}"
        )
    return Schemas(where)
