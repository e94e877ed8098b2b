"""Parsing XML that arrives from outside: hostile until proven otherwise.

What is refused, and why:

* a document larger than ``max_bytes`` (checked before any parsing);
* any DOCTYPE: a DTD is how entity expansion ("billion laughs"), external entities (file or
  network reads) and DTD fetches get in. CAP and EDXL-DE never need one;
* element nesting deeper than ``max_depth`` (the pull parser stops at the first element too
  deep, so a deep document costs no more than its allowed part);
* anything libxml2 reports as not well-formed.

The parser never touches the network (``no_network``), never loads a DTD and never resolves
entities, whatever the document says.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

DEFAULT_MAX_BYTES = 4 * 1024 * 1024
DEFAULT_MAX_DEPTH = 48


class XmlRejected(ValueError):
    """A document refused by :func:`parse_untrusted`; ``reason`` says why, in a few words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _parser() -> Any:
    return etree.XMLPullParser(
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_pis=True,
    )


def parse_untrusted(
    data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES, max_depth: int = DEFAULT_MAX_DEPTH
) -> Any:
    """The root element of ``data``, parsed safely.

    Raises:
        XmlRejected: too large, a DOCTYPE, too deep, entity references, or not well-formed.
    """
    if len(data) > max_bytes:
        raise XmlRejected(f"document of {len(data)} bytes is over the {max_bytes}-byte limit")
    if not data.strip():
        raise XmlRejected("empty document")
    if b"<!doctype" in data[:4096].lower():  # the cheap early refusal; docinfo below is sure
        raise XmlRejected("a DOCTYPE or entity declaration is not accepted (DTDs are refused)")
    parser = _parser()
    depth = 0
    step = 64 * 1024
    try:
        for start in range(0, len(data), step):
            parser.feed(data[start : start + step])
            for event, _ in parser.read_events():
                depth += 1 if event == "start" else -1
                if depth > max_depth:
                    raise XmlRejected(f"elements nested deeper than {max_depth}")
        root = parser.close()
        for event, _ in parser.read_events():
            depth += 1 if event == "start" else -1
            if depth > max_depth:
                raise XmlRejected(f"elements nested deeper than {max_depth}")
    except etree.XMLSyntaxError as exc:
        raise XmlRejected(f"not well-formed XML: {exc.msg}") from None
    tree = root.getroottree()
    if tree.docinfo.doctype:
        raise XmlRejected("a DOCTYPE is not accepted (DTDs are refused)")
    for _ in root.iter(etree.Entity):
        raise XmlRejected("entity references are not accepted")
    return root


def local_name(element: Any) -> str:
    """An element's name without its namespace."""
    tag = element.tag
    return str(etree.QName(tag).localname) if isinstance(tag, str) else ""


def namespace(element: Any) -> str:
    """An element's namespace URI ('' when none)."""
    tag = element.tag
    return str(etree.QName(tag).namespace or "") if isinstance(tag, str) else ""
