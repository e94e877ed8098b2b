"""Media signalling and push-to-talk floors through a real hub."""

from __future__ import annotations

from pathlib import Path

from shared.client import HubClient, Replica
from shared.protocol import FloorRequest, MediaSignal
from tests.conftest import HubHandle
from tests.support import until

SDP = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"


async def test_offer_answer_end_between_two_devices(hub: HubHandle, tmp_path: Path) -> None:
    hall = hub.enroll("hall-1", "leader")
    unit = hub.enroll("unit-1", "field")
    other = hub.enroll("unit-2", "field")
    async with (
        HubClient(hall, tmp_path / "h.db") as hc,
        HubClient(unit, tmp_path / "u.db") as uc,
        HubClient(other, tmp_path / "o.db") as oc,
        Replica(unit, topics=("media",)) as r,
    ):
        for c in (hc, uc, oc):
            await c.wait_online(10)
        offer = hc.make(
            MediaSignal,
            session_id="s1",
            action="offer",
            to_device="unit-1",
            sdp=SDP,
            purpose="watch",
            incident_id="HZ-1",
            label="现场 1",
        )
        assert await hc.submit_and_wait(offer, 10) is None
        await until(lambda: r.get("media", "s1") is not None)
        s = r.get("media", "s1")
        assert (s.caller, s.callee, s.status, s.offer_sdp) == ("hall-1", "unit-1", "offered", SDP)
        # a third device may neither answer nor end someone else's session
        err = await oc.submit_and_wait(
            oc.make(MediaSignal, session_id="s1", action="answer", sdp=SDP), 10
        )
        assert err is not None and err.code == "forbidden"
        # only the callee answers
        err = await hc.submit_and_wait(
            hc.make(MediaSignal, session_id="s1", action="answer", sdp=SDP), 10
        )
        assert err is not None and "only the called device" in err.detail
        bad = await uc.submit_and_wait(
            uc.make(MediaSignal, session_id="s1", action="answer", sdp="hello"), 10
        )
        assert bad is not None and "SDP" in bad.detail
        assert (
            await uc.submit_and_wait(
                uc.make(MediaSignal, session_id="s1", action="answer", sdp=SDP), 10
            )
            is None
        )
        await until(lambda: r.get("media", "s1").status == "answered")
        assert r.get("media", "s1").answer_sdp == SDP
        end = hc.make(MediaSignal, session_id="s1", action="end", reason="看完了")
        assert await hc.submit_and_wait(end, 10) is None
        await until(lambda: r.get("media", "s1").status == "ended")
        s = r.get("media", "s1")
        assert (s.ended_by, s.reason, s.offer_sdp) == ("hall-1", "看完了", "")
        # offers to nobody, to oneself, reused ids
        for kw, words in (
            (dict(session_id="s2", to_device="ghost"), "no enrolled device"),
            (dict(session_id="s3", to_device="hall-1"), "cannot call itself"),
            (dict(session_id="s1", to_device="unit-1"), "exists"),
        ):
            err = await hc.submit_and_wait(hc.make(MediaSignal, action="offer", sdp=SDP, **kw), 10)
            assert err is not None and words in err.detail


async def test_an_offer_to_an_offline_device_is_ended_by_the_hub(
    hub: HubHandle, tmp_path: Path
) -> None:
    hall = hub.enroll("hall-1", "leader")
    hub.enroll("unit-9", "field")
    async with HubClient(hall, tmp_path / "h.db") as hc, Replica(hall, topics=("media",)) as r:
        await hc.wait_online(10)
        msg = hc.make(MediaSignal, session_id="s9", action="offer", to_device="unit-9", sdp=SDP)
        assert await hc.submit_and_wait(msg, 10) is None
        await until(lambda: getattr(r.get("media", "s9"), "status", "") == "ended")
        assert r.get("media", "s9").reason == "unit-9 went offline"


async def test_floor_control_through_the_hub_uses_roles_for_priority(
    hub: HubHandle, tmp_path: Path
) -> None:
    names = {"u1": "field", "u2": "field", "leader": "leader"}
    clients = {}
    async with Replica(hub.enroll("watch", "duty-officer"), topics=("talkgroup",)) as r:
        for name, role in names.items():
            c = HubClient(hub.enroll(name, role), tmp_path / f"{name}.db")
            await c.start()
            await c.wait_online(10)
            clients[name] = c
        try:
            for c in clients.values():
                join = c.make(FloorRequest, group_id="HZ-1", action="join", incident_id="HZ-1")
                assert await c.submit_and_wait(join, 10) is None
            c1, c2, cl = clients["u1"], clients["u2"], clients["leader"]
            assert (
                await c1.submit_and_wait(
                    c1.make(FloorRequest, group_id="HZ-1", action="request"), 10
                )
                is None
            )
            assert (
                await c2.submit_and_wait(
                    c2.make(FloorRequest, group_id="HZ-1", action="request"), 10
                )
                is None
            )
            await until(
                lambda: (
                    r.get("talkgroup", "HZ-1") is not None
                    and r.get("talkgroup", "HZ-1").queue == ["u2"]
                )
            )
            g = r.get("talkgroup", "HZ-1")
            assert (
                g.talker == "u1"
                and g.incident_id == "HZ-1"
                and sorted(g.members) == ["leader", "u1", "u2"]
            )
            assert (
                await cl.submit_and_wait(
                    cl.make(FloorRequest, group_id="HZ-1", action="request"), 10
                )
                is None
            )
            await until(lambda: r.get("talkgroup", "HZ-1").talker == "leader")
            g = r.get("talkgroup", "HZ-1")
            assert g.revoked == "u1" and g.queue == ["u2"] and g.talker_priority == 3
            assert (
                await cl.submit_and_wait(
                    cl.make(FloorRequest, group_id="HZ-1", action="release"), 10
                )
                is None
            )
            await until(lambda: r.get("talkgroup", "HZ-1").talker == "u2")
            # a stranger cannot take the floor
            stranger = HubClient(hub.enroll("u3", "field"), tmp_path / "u3.db")
            async with stranger:
                await stranger.wait_online(10)
                err = await stranger.submit_and_wait(
                    stranger.make(FloorRequest, group_id="HZ-1", action="request"), 10
                )
                assert err is not None and "not a member" in err.detail
        finally:
            for c in clients.values():
                await c.aclose()
