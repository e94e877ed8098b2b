"""The province's answers: an EDXL-DE ``Ack`` or ``Error`` that references what it answers.

An ``Error`` carries the reasons as a ``text/plain`` content object (EDXL-DE has no free-text
field of its own). Both are what :mod:`shared.sim.province` sends and what the relay's
HTTPS transport reads back.
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from shared.protocol import new_id
from shared.relay.formats.edxl import ContentObject, Distribution, NonXmlContent, read_distribution
from shared.relay.formats.safexml import XmlRejected, parse_untrusted


class Answer(msgspec.Struct, frozen=True):
    """What an answer says: acknowledged or not, its id, and the reasons when refused."""

    ok: bool
    answer_id: str
    references: list[str]
    reasons: list[str]


def ack_for(received: Distribution, sender_id: str, now: datetime, note: str = "") -> Distribution:
    """An ``Ack`` of ``received``."""
    contents = []
    if note:
        contents = [_text(note)]
    return Distribution(
        distribution_id=f"ACK-{new_id()}",
        sender_id=sender_id,
        sent=now,
        status="Actual" if received.status == "Actual" else received.status,
        type="Ack",
        references=[received.reference()],
        contents=contents,
    )


def error_for(reference: str, sender_id: str, now: datetime, reasons: list[str]) -> Distribution:
    """An ``Error`` answering ``reference`` (``distributionID,senderID,sent``; may be partly
    unknown when the document could not be read)."""
    return Distribution(
        distribution_id=f"ERR-{new_id()}",
        sender_id=sender_id,
        sent=now,
        status="Actual",
        type="Error",
        references=[reference] if reference else [],
        contents=[_text("\n".join(reasons) or "refused")],
    )


def _text(text: str) -> ContentObject:
    return ContentObject(
        description="reasons",
        non_xml=NonXmlContent.of_bytes(text.encode("utf-8"), "text/plain"),
    )


def read_answer(body: bytes) -> Answer:
    """Read an answer document.

    Raises:
        ValueError: not an EDXL-DE ``Ack`` or ``Error`` (the message says what it is).
    """
    try:
        dist = read_distribution(parse_untrusted(body, max_bytes=1024 * 1024))
    except XmlRejected as exc:
        raise ValueError(f"answer is not usable XML: {exc.reason}") from None
    except Exception as exc:  # whatever else a damaged answer makes the reader raise
        raise ValueError(f"answer is not a readable EDXL-DE document ({exc!s:.160})") from None
    if dist.type not in ("Ack", "Error"):
        raise ValueError(f"answer is an EDXL-DE {dist.type!r}, not Ack or Error")
    reasons = [
        c.non_xml.data.decode("utf-8", "replace")
        for c in dist.contents
        if c.non_xml is not None and c.non_xml.data
    ]
    return Answer(dist.type == "Ack", dist.distribution_id, dist.references, reasons)
