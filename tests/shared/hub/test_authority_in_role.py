"""Authority within a role (issue 25): what a field key may do inside its rights is bounded
— its first level is the grading's, its received times what it could know, drafts stay the
duty officer's, and an implausible jump in figures waits for a confirming role. Against a
real hub over CURVE sockets."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from shared.client import HubClient
from shared.protocol import (
    Error,
    IncidentDeclare,
    IncidentState,
    IncidentUpdate,
    SituationReport,
    utcnow,
)
from tests.conftest import HubHandle


async def _answer(client: HubClient, msg: object) -> Error | None:
    return await client.submit_and_wait(msg, 30)  # type: ignore[arg-type]


def _incident(hub: HubHandle, incident_id: str) -> IncidentState:
    value = hub.hub.state.topics["incident"].items[incident_id]
    assert isinstance(value, IncidentState)
    return value


async def test_a_field_key_stays_within_what_one_device_can_know(
    hub: HubHandle, tmp_path: Path
) -> None:
    team = hub.enroll("team-1", "field")
    duty = hub.enroll("duty-1", "duty-officer")
    async with (
        HubClient(team, tmp_path / "t.db") as tc,
        HubClient(duty, tmp_path / "d.db") as dc,
    ):
        await tc.wait_online(30)
        await dc.wait_online(30)

        def declare(incident_id: str, **facts: object) -> IncidentDeclare:
            return tc.make(
                IncidentDeclare, incident_id=incident_id, title="现场", lat=37.7, lon=115.7, **facts
            )

        # level Ⅰ asked for an incident without a type: not taken from a field device
        assert await _answer(tc, declare("F-1", level=1)) is None
        first = _incident(hub, "F-1")
        assert first.level is None and any("sets the level" in w for w in first.warnings)
        # the same from the duty officer stands
        untyped = dc.make(
            IncidentDeclare, incident_id="D-1", title="值班员", lat=37.7, lon=115.7, level=1
        )
        assert await _answer(dc, untyped) is None and _incident(hub, "D-1").level == 1

        # a received time backdated by 23 h (reporting clocks overdue at once): refused
        back = declare("F-2", received=utcnow() - timedelta(hours=23))
        err = await _answer(tc, back)
        assert isinstance(err, Error) and err.code == "invalid" and "received" in err.detail

        # absurd figures on one device's word: not on a declaration …
        err = await _answer(tc, declare("F-3", dead=10_000_000))
        assert isinstance(err, Error) and err.code == "forbidden" and "死亡" in err.detail
        # … nor as a direct change
        jump = tc.make(IncidentUpdate, incident_id="F-1", dead=10_000_000)
        err = await _answer(tc, jump)
        assert isinstance(err, Error) and err.code == "forbidden" and "confirms" in err.detail
        # … and in a report they are kept with it, shown, and left for the duty officer
        report = tc.make(
            SituationReport, incident_id="F-1", stage="initial", title="伤亡", dead=10_000_000
        )
        assert await _answer(tc, report) is None
        held = _incident(hub, "F-1")
        assert held.dead == 0
        assert any("10000000" in w and "待值班员" in w for w in held.warnings)
        # a plausible rise still applies at once
        more = tc.make(SituationReport, incident_id="F-1", stage="follow_up", title="续", dead=3)
        assert await _answer(tc, more) is None and _incident(hub, "F-1").dead == 3
        assert any("待值班员" in w for w in _incident(hub, "F-1").warnings)  # still shown
        # the duty officer may set the large figure, which settles the warning
        confirm = dc.make(IncidentUpdate, incident_id="F-1", dead=150)
        assert await _answer(dc, confirm) is None and _incident(hub, "F-1").dead == 150
        assert not any("待值班员" in w for w in _incident(hub, "F-1").warnings)

        # a monitoring draft is the duty officer's to confirm
        draft = declare("F-4", from_draft="WL-1")
        err = await _answer(tc, draft)
        assert isinstance(err, Error) and err.code == "forbidden" and "draft" in err.detail


async def test_incident_ids_follow_the_one_rule_the_refusal_states(
    hub: HubHandle, tmp_path: Path
) -> None:
    """Letters, digits, '-', '_', '.' and '/' between parts: ``HS,1``, ``HS<1``, ``HS&1``,
    ``../../etc`` and ``county-jingxian/../HS-1`` were stored though the refusal allowed only
    those."""
    duty = hub.enroll("duty-1", "duty-officer")
    async with HubClient(duty, tmp_path / "d.db") as dc:
        await dc.wait_online(30)
        for bad in ("HS,1", "HS<1", "HS&1", "../../etc", "county-jingxian/../HS-1", "a//b"):
            msg = dc.make(IncidentDeclare, incident_id=bad, title="x", lat=37.7, lon=115.7)
            err = await _answer(dc, msg)
            assert isinstance(err, Error) and err.code == "invalid", bad
            assert "letters, digits" in err.detail
        good = dc.make(
            IncidentDeclare, incident_id="HS-20261208.1_a", title="x", lat=37.7, lon=115.7
        )
        assert await _answer(dc, good) is None
