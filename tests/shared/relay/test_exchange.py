"""Exchange bundles: an incident with its report versions and a photo exported from one
hub's store, verified, imported into another hub (twice: the second changes nothing); every
kind of tampering and hostile archive refused with the reason."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from shared.client import HubClient, Replica, upload
from shared.protocol import (
    DispatchOrder,
    IncidentDeclare,
    OrderUpdate,
    ShiftSignIn,
    SituationReport,
)
from shared.relay.exchange.bundle import (
    BundleRefused,
    collect,
    load_or_create_signing_key,
    load_trusted,
    public_pem,
    read_bundle,
    write_bundle,
)
from shared.relay.exchange.importer import import_bundle
from shared.store.blobs import BlobStore
from shared.store.models import Report, ReportAttachment
from tests.support import until as _until

PHOTO = hashlib.shake_256(b"bridge").digest(200_000)


async def _source_incident(hub: Any, tmp_path: Path) -> None:
    field = hub.enroll("fire-01", "field")
    async with HubClient(field, tmp_path / "f.db") as c:
        await c.wait_online(10)
        declare = c.make(
            IncidentDeclare,
            incident_id="BR-1",
            title="滏阳河桥梁坍塌",
            lat=37.73,
            lon=115.68,
            type_code="building_collapse",
            division="131102",
            dead=2,
        )
        assert await c.submit_and_wait(declare, 10) is None
        ref = await upload(c, PHOTO, name="桥.jpg", media_type="image/jpeg")
        for stage, title, atts in (
            ("initial", "初报：桥梁坍塌", [ref]),
            ("follow_up", "续报：搜救中", []),
        ):
            rep = c.make(
                SituationReport,
                incident_id="BR-1",
                stage=stage,
                title=title,
                text="现场已封闭",
                author="赵队长",
                attachments=atts,
            )
            assert await c.submit_and_wait(rep, 10) is None
    # an order for it, declined with a reason by the team leader signed in at the device
    duty = hub.enroll("duty-1", "duty-officer")
    async with HubClient(duty, tmp_path / "d.db") as d, HubClient(field, tmp_path / "f.db") as c:
        await d.wait_online(10)
        await c.wait_online(10)
        order = d.make(
            DispatchOrder,
            order_id="O-BR-1",
            recipient="fire-01",
            text="封控桥面",
            incident_id="BR-1",
        )
        assert await d.submit_and_wait(order, 10) is None
        assert await c.submit_and_wait(c.make(ShiftSignIn, person="赵刚"), 10) is None
        for state, note in (("acknowledged", ""), ("declined", "人手不足，请改派")):
            answer = c.make(OrderUpdate, order_id="O-BR-1", state=state, note=note)
            assert await c.submit_and_wait(answer, 10) is None


def _export(hub: Any, tmp_path: Path) -> tuple[Path, Path]:
    key = load_or_create_signing_key(hub.data_dir)
    pub = tmp_path / "city.pub"
    pub.write_bytes(public_pem(key))
    out = tmp_path / "BR-1.hsx"
    bundle = collect(hub.engine, "BR-1", "131100.emergency.hengshui")
    write_bundle(bundle, BlobStore(hub.data_dir / "attachments"), key, out)
    return out, pub


async def test_an_incident_travels_between_two_hubs_in_a_signed_bundle(
    hub_factory: Any, tmp_path: Path
) -> None:
    source = hub_factory()
    await _source_incident(source, tmp_path)
    out, pub = _export(source, tmp_path)
    verified = read_bundle(out, load_trusted([pub]))
    assert [r.stage for r in verified.bundle.reports] == ["initial", "follow_up"]
    assert list(verified.attachments.values()) == [PHOTO]
    [order] = verified.bundle.orders  # every word of the order travels too
    assert (order.state, order.note) == ("declined", "人手不足，请改派")
    assert [(s.to_state, s.person, s.note) for s in order.steps] == [
        ("delivered", "赵刚", "随“已收到”"),
        ("acknowledged", "赵刚", ""),
        ("declined", "赵刚", "人手不足，请改派"),
    ]

    target = hub_factory()
    officer = target.enroll("duty-9", "duty-officer")
    async with HubClient(officer, tmp_path / "o.db") as c, Replica(officer) as r:
        await c.wait_online(10)
        first = await import_bundle(c, verified)
        again = await import_bundle(c, read_bundle(out, load_trusted([pub])))
        assert first["reports"] == again["reports"] == 2
        assert first["orders"] == first["orders_logged"] == 1
        # the source's order is not an order here: its words are in the duty log, once
        await _until(lambda: any("O-BR-1" in str(v) for v in r.items["duty"].values()))
        [line] = [v for v in r.items["duty"].values() if "O-BR-1" in str(getattr(v, "text", ""))]
        assert "封控桥面" in line.text and "人手不足，请改派" in line.text and "赵刚" in line.text
        await _until(
            lambda: len([x for x in r.items["report"].values() if x.incident_id == "BR-1"]) == 2
        )
        inc = r.get("incident", "BR-1")
        assert inc.title == "滏阳河桥梁坍塌" and inc.dead == 2 and inc.division == "131102"
        reps = sorted(
            (x for x in r.items["report"].values() if x.incident_id == "BR-1"),
            key=lambda x: x.version,
        )
        assert (
            reps[0].source == "written"
            and "经交换包" in reps[0].author
            and "131100" in reps[0].author
        )
        assert reps[0].attachments[0].sha256 == hashlib.sha256(PHOTO).hexdigest()
    held = (
        target.data_dir
        / "attachments"
        / reps[0].attachments[0].sha256[:2]
        / reps[0].attachments[0].sha256
    )
    assert held.read_bytes() == PHOTO
    with target.engine.connect() as conn:  # imported once, whatever the number of imports
        assert conn.execute(select(func.count()).select_from(Report)).scalar_one() == 2
        assert conn.execute(select(func.count()).select_from(ReportAttachment)).scalar_one() == 1


def _rewrite(src: Path, dst: Path, change: Any) -> None:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        entries = {i.filename: zin.read(i.filename) for i in zin.infolist()}
        for name, data in change(entries).items():
            zout.writestr(name, data)


@pytest.fixture
async def exported(hub_factory: Any, tmp_path: Path) -> tuple[Path, Path]:
    hub = hub_factory()
    await _source_incident(hub, tmp_path)
    return _export(hub, tmp_path)


def _flip_attachment(e: dict[str, bytes]) -> dict[str, bytes]:
    name = next(n for n in e if n.startswith("attachments/"))
    e[name] = b"X" + e[name][1:]
    return e


def _edit_report(e: dict[str, bytes]) -> dict[str, bytes]:
    e["incident.json"] = e["incident.json"].replace("初报".encode(), "伪报".encode())
    return e


def _forge_manifest(e: dict[str, bytes]) -> dict[str, bytes]:
    m = json.loads(e["manifest.json"])
    e["incident.json"] = e["incident.json"].replace(b'"dead":2', b'"dead":0')
    m["files"]["incident.json"] = [
        hashlib.sha256(e["incident.json"]).hexdigest(),
        len(e["incident.json"]),
    ]
    e["manifest.json"] = json.dumps(m).encode()
    return e


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (_flip_attachment, "does not match the manifest"),
        (_edit_report, "incident.json does not match the manifest"),
        (_forge_manifest, "signature does not match"),
        (lambda e: {**e, "../../etc/cron.d/x": b"boom"}, "unexpected entry"),
        (lambda e: {**e, "attachments/" + "a" * 64: b"extra"}, "files not in the manifest"),
        (lambda e: {k: v for k, v in e.items() if k != "signature.json"}, "signature.json missing"),
    ],
)
def test_tampered_bundles_are_refused(
    exported: tuple[Path, Path], tmp_path: Path, change: Any, reason: str
) -> None:
    out, pub = exported
    bad = tmp_path / "bad.hsx"
    _rewrite(out, bad, change)
    with pytest.raises(BundleRefused, match=reason):
        read_bundle(bad, load_trusted([pub]))


def test_untrusted_signers_bombs_and_junk_are_refused(
    exported: tuple[Path, Path], tmp_path: Path
) -> None:
    out, _pub = exported
    other = load_or_create_signing_key(tmp_path / "other")
    stranger = tmp_path / "stranger.pub"
    stranger.write_bytes(public_pem(other))
    with pytest.raises(BundleRefused, match="not trusted here"):
        read_bundle(out, load_trusted([stranger]))
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("incident.json", b"\0" * 50_000_000)
    with pytest.raises(BundleRefused, match="expands"):
        read_bundle(bomb.getvalue(), {})
    with pytest.raises(BundleRefused, match="not a zip"):
        read_bundle(b"PK\x03\x04 not really", {})


def test_every_flipped_byte_is_refused_not_raised(exported: tuple[Path, Path]) -> None:
    """A bundle damaged anywhere (a bad USB stick, a truncated ferry) is refused with a
    reason: never another exception (one flipped byte once gave a BadZipFile traceback)."""
    out, pub = exported
    trusted = load_trusted([pub])
    raw = out.read_bytes()
    reasons: set[str] = set()
    step = max(1, len(raw) // 1500)  # every part of the file: headers, data, directory
    for i in range(0, len(raw), step):
        for flip in (0x01, 0x80):
            damaged = raw[:i] + bytes([raw[i] ^ flip]) + raw[i + 1 :]
            try:
                read_bundle(damaged, trusted)
            except BundleRefused as exc:
                reasons.add(str(exc).split(" (")[0][:40])
    assert any("damaged" in r for r in reasons), reasons
