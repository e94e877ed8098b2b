"""Hostile and broken XML is refused with a reason; the schemas catch invalid documents."""

from __future__ import annotations

import pytest

from shared.relay import Schemas, XmlRejected, parse_untrusted, read_alert
from shared.relay.formats.cap import CapError

LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&lol3;</identifier></alert>"""

EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE a [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&xxe;</identifier></alert>"""

REMOTE_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE alert SYSTEM "http://203.0.113.9/evil.dtd">
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"/>"""

# A DOCTYPE hidden after a long comment (past the cheap first-4-KiB check)
LATE_DOCTYPE = b"<!--" + b"x" * 5000 + b'-->\n<!DOCTYPE a [<!ENTITY e "boom">]><a>&e;</a>'


@pytest.mark.parametrize(
    ("doc", "reason"),
    [
        (LAUGHS, "DOCTYPE"),
        (EXTERNAL, "DOCTYPE"),
        (REMOTE_DTD, "DOCTYPE"),
        (LATE_DOCTYPE, "DOCTYPE"),
        (b"<a>" * 100 + b"</a>" * 100, "nested deeper"),
        (b"<a><b></a>", "not well-formed"),
        (b"", "empty"),
        (b"\x00\x01garbage", "not well-formed"),
        (b"<a>" + b"x" * 5_000_000 + b"</a>", "over the"),
    ],
)
def test_hostile_documents_are_refused_with_a_reason(doc: bytes, reason: str) -> None:
    with pytest.raises(XmlRejected) as caught:
        parse_untrusted(doc)
    assert reason in caught.value.reason


def test_a_plain_document_parses() -> None:
    root = parse_untrusted(b"<?xml version='1.0' encoding='UTF-8'?><a><b>\xe8\xa1\xa1</b></a>")
    assert root.find("b").text == "衡"


NWS_STYLE = b"""<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>urn:oid:2.49.0.1.840.0.abc</identifier>
  <sender>w-nws.webmaster@noaa.gov</sender>
  <sent>2026-07-12T14:31:38-05:00</sent>
  <status>Actual</status><msgType>Alert</msgType><scope>Public</scope>
  <info>
    <category>Met</category><event>Flood Warning</event>
    <urgency>Expected</urgency><severity>Severe</severity><certainty>Likely</certainty>
    <area><areaDesc>Somewhere</areaDesc>
      <polygon>38.47,-120.14 38.34,-119.95 38.52,-119.74 38.62,-119.89 38.47,-120.14</polygon>
    </area>
  </info>
</alert>"""


def test_schema_problems_are_reported_and_valid_foreign_cap_passes(schemas: Schemas) -> None:
    assert schemas.problems(parse_untrusted(NWS_STYLE)) == []
    alert = read_alert(parse_untrusted(NWS_STYLE))
    assert alert.infos[0].areas[0].polygons[0][0] == (38.47, -120.14)
    bad = NWS_STYLE.replace(b"-05:00</sent>", b"Z</sent>").replace(b"Severe", b"Awful")
    problems = schemas.problems(parse_untrusted(bad))
    assert any("sent" in p for p in problems) and any("severity" in p for p in problems)
    with pytest.raises(CapError, match="severity"):
        read_alert(parse_untrusted(bad))


@pytest.mark.parametrize(
    ("polygon", "why"),
    [
        ("38.47,-120.14 38.34,-119.95 38.47,-120.14", "at least 4"),
        ("38.47,-120.14 38.34,-119.95 38.52,-119.74 38.62,-119.89", "not closed"),
        ("98.47,-120.14 38.34,-119.95 38.52,-119.74 98.47,-120.14", "outside"),
        ("a,b c,d e,f a,b", "not a 'lat,lon'"),
    ],
)
def test_bad_polygons_are_named(polygon: str, why: str) -> None:
    doc = NWS_STYLE.replace(
        b"38.47,-120.14 38.34,-119.95 38.52,-119.74 38.62,-119.89 38.47,-120.14",
        polygon.encode(),
    )
    with pytest.raises(CapError, match=why):
        read_alert(parse_untrusted(doc))
