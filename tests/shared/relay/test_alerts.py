"""CAP alerts and EDXL-DE envelopes built from the picture, validated against the OASIS
schemas, read back, and chained (Alert → Update with references → Cancel/AllClear)."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import msgspec

from shared.protocol.messages import AttachmentRef
from shared.protocol.state import ResponseState, ResponseStep
from shared.relay import (
    AlertFactory,
    Schemas,
    distribution_xml,
    envelope,
    parse_untrusted,
    read_alert,
    read_distribution,
)
from shared.store.blobs import BlobStore
from tests.shared.relay.conftest import T0, incident, report


def _factory() -> AlertFactory:
    return AlertFactory(
        clock=lambda: T0 + timedelta(minutes=5), report_text=lambda rid: "现场风向东北"
    )


def test_first_report_is_a_valid_cap_alert_in_a_valid_envelope(
    schemas: Schemas, tmp_path: Path
) -> None:
    blobs = BlobStore(tmp_path / "blobs")
    photo = b"\xff\xd8\xff" + bytes(range(256)) * 40
    digest = blobs.put_bytes(photo)
    f = _factory()
    f.prime([incident()])
    ref = AttachmentRef(
        sha256=digest, name="现场照片.jpg", media_type="image/jpeg", size=len(photo)
    )
    [event] = f.observe(report("R1", attachments=[ref]))
    dist = envelope(event, f.settings, blobs)
    doc = distribution_xml(dist)
    root = parse_untrusted(doc)
    assert schemas.problems(root) == []

    back = read_distribution(root)
    assert back.type == "Report" and back.status == "Actual"
    assert back.distribution_id == "DE.CN-131100.INC-20260712-001.R.R1"
    [cap_content, photo_content] = back.contents
    assert photo_content.non_xml is not None and photo_content.non_xml.data == photo
    assert photo_content.non_xml.digest == hashlib.sha1(photo).hexdigest()
    alert = read_alert(parse_untrusted(cap_content.xml or b""))
    assert alert.msg_type == "Alert" and alert.status == "Actual" and alert.references == []
    info = alert.infos[0]
    assert info.severity == "Moderate"  # Ⅲ级 较大
    assert info.certainty == "Observed" and info.category == ["CBRNE"]
    assert info.event == "危险化学品事故" and info.language == "zh-CN"
    assert "初报" in info.headline and "现场风向东北" in info.description
    assert info.resources[0].digest == hashlib.sha1(photo).hexdigest()
    [area] = info.areas
    assert area.area_desc == "河北省衡水市桃城区"
    assert area.polygons[0][0] == area.polygons[0][-1] == (37.69, 115.69)
    assert ("GB/T 2260", "131102") in area.geocodes
    # times carry the +08:00 offset, never Z
    text = (cap_content.xml or b"").decode()
    assert "<sent>2026-07-12T21:36:38+08:00</sent>" in text
    assert "<onset>2026-07-12T21:31:38+08:00</onset>" in text


def test_follow_ups_level_changes_responses_and_closing_chain_on(schemas: Schemas) -> None:
    f = _factory()
    f.prime([incident()])
    first = f.observe(report("R1"))[0].alert
    second = f.observe(report("R2", stage="follow_up", version=2))[0].alert
    assert second.msg_type == "Update"
    assert second.references == [first.reference()]
    assert "续报" in second.infos[0].headline

    raised = f.observe(incident(level=2, updated=T0 + timedelta(minutes=30)))
    assert [e.kind for e in raised] == ["level"]
    assert raised[0].alert.infos[0].severity == "Severe"
    assert f.observe(incident(level=2, updated=T0 + timedelta(minutes=31))) == []  # no change
    # a type change reaches the province as an Update in the chain, level unchanged
    [retyped] = f.observe(
        incident(level=2, type_code="hazchem.explosion", updated=T0 + timedelta(minutes=33))
    )
    assert retyped.alert.msg_type == "Update" and "类型调整" in retyped.alert.infos[0].headline
    assert "hazchem.explosion" in retyped.alert.infos[0].description
    back = f.observe(incident(level=2, updated=T0 + timedelta(minutes=34)))  # and back again
    assert len(back) == 1

    step = ResponseStep(action="activate", level=2, by="市长", at=T0 + timedelta(minutes=40))
    resp = ResponseState(
        incident_id="INC-20260712-001",
        plan="危化品事故专项预案",
        level=2,
        active=True,
        updated=T0,
        history=[step],
    )
    [activated] = f.observe(resp)
    assert ("响应级别", "Ⅱ") in activated.alert.infos[0].parameters
    assert f.observe(resp) == []  # the same step seen again

    [closed] = f.observe(incident(status="closed", closed_reason="处置完毕", level=2))
    assert closed.alert.msg_type == "Update"
    assert closed.alert.infos[0].urgency == "Past"
    assert closed.alert.infos[0].response_type == ["AllClear"]
    assert len(closed.alert.references) == 6
    # reopened: an Update in the same chain that says so and why; closing again is relayed
    back = incident(status="verified", level=2, status_note="复燃")
    [reopened] = f.observe(back)
    assert reopened.kind == "reopen" and reopened.alert.msg_type == "Update"
    assert "事件重新打开。理由：复燃。" in (reopened.alert.infos[0].description or "")
    assert len(reopened.alert.references) == 7
    [again] = f.observe(incident(status="closed", closed_reason="处置完毕", level=2))
    assert again.alert.infos[0].response_type == ["AllClear"]
    for event in (raised[0], retyped, activated, closed, reopened, again):
        doc = distribution_xml(envelope(event, f.settings, None))
        assert schemas.problems(parse_untrusted(doc)) == []


def test_false_alarm_cancels_and_exercises_never_leave() -> None:
    f = _factory()
    f.prime([incident(status="reported")])
    f.observe(report("R1"))
    [cancel] = f.observe(incident(status="closed", closed_reason="误报"))
    assert cancel.alert.msg_type == "Cancel"

    drill = _factory()
    drill.prime([incident(exercise=True)])
    assert drill.observe(report("R1", exercise=True)) == []
    assert drill.observe(incident(exercise=True, level=1)) == []
    real = _factory()
    real.prime([incident()])
    assert real.observe(report("R9", exercise=True)) == []  # a drill report never relayed


def test_an_incident_without_an_area_is_a_circle_and_no_level_is_unknown(schemas: Schemas) -> None:
    f = _factory()
    f.prime([incident(area=None, level=None, division=None, type_code="")])
    [event] = f.observe(report("R1"))
    info = event.alert.infos[0]
    assert info.severity == "Unknown" and info.category == ["Other"]
    assert info.areas[0].circles[0].radius_km == 1.0
    doc = distribution_xml(envelope(event, f.settings, None))
    assert schemas.problems(parse_untrusted(doc)) == []


def test_identifiers_are_stable_and_cap_safe() -> None:
    a, b = _factory(), _factory()
    odd = incident(incident_id="INC 7,<x>&y")
    a.prime([odd])
    b.prime([odd])
    ea = a.observe(report("R1", incident_id=odd.incident_id))[0].alert
    eb = b.observe(report("R1", incident_id=odd.incident_id))[0].alert
    assert ea.identifier == eb.identifier
    assert not set(" ,<&") & set(ea.identifier)
    assert msgspec.json.encode(ea)  # a plain struct, serialisable for the queue


def test_a_report_with_a_sketched_area_sends_that_area() -> None:
    f = _factory()
    f.prime([incident()])
    sketched = [(37.60, 115.60), (37.61, 115.60), (37.61, 115.61), (37.60, 115.61), (37.60, 115.60)]
    [event] = f.observe(report("R1", area=sketched))
    assert event.alert.infos[0].areas[0].polygons == [sketched]
