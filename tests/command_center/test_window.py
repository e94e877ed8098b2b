"""The command-hall window: in-process with pytest-qt, and end to end against a real hub."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from command_center.app.qt_main_window import QtMainWindow
from command_center.map.qt_map_view import choose_render
from shared.client import HubClient, Replica, SituationPicture, act
from shared.geo import county_seats
from shared.protocol import IncidentState, PositionReport, UnitState, utcnow
from shared.sim import make_units
from tests.conftest import HubHandle
from tests.support import idle_replica, page_painted
from tests.support import run_in_qt as _run_in_qt
from tests.support import until as _until


def _unit(i: int, age_s: float = 0.0) -> UnitState:
    u = make_units("T", i + 1, seed=5)[i]
    return UnitState(
        unit_id=u.unit_id,
        device="sim",
        lat=u.lat,
        lon=u.lon,
        fix_time=datetime.now(UTC) - timedelta(seconds=age_s),
        heading_deg=0.0,
        speed_mps=u.speed_mps,
        unit_type=u.unit_type,
        callsign=u.callsign,
    )


def test_window_draws_units_incidents_and_staleness(qtbot: object, artifacts: Path) -> None:
    picture = SituationPicture()
    replica = idle_replica()
    window = QtMainWindow(picture, replica)
    qtbot.addWidget(window)  # type: ignore[attr-defined]
    window.resize(1600, 900)
    window.show()
    for i in range(40):
        picture.on_update("unit", f"T-{i + 1:04d}", _unit(i, age_s=120 if i < 5 else 0))
    now = datetime.now(UTC)
    picture.on_update(
        "incident",
        "I-1",
        IncidentState(
            incident_id="I-1",
            title="滏阳河漫堤",
            lat=37.62,
            lon=115.63,
            status="responding",
            updated=now,
            level=2,
        ),
    )
    qtbot.waitUntil(lambda: window.view.unit_count() == 40, timeout=3000)  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: window.table.rowCount() == 40, timeout=3000)  # type: ignore[attr-defined]
    assert picture.unit_counts() == (35, 5)
    assert "35 在线 / 5 失联" in window.status.text()
    assert "未连接" in window.status.text()
    picture.on_update("unit", "T-0001", None)
    qtbot.waitUntil(lambda: window.view.unit_count() == 39, timeout=3000)  # type: ignore[attr-defined]
    window.grab().save(str(artifacts / "command-hall-offline.png"))


@pytest.mark.parametrize("render", ["auto", "gpu"])
async def test_real_window_shows_200_moving_units(
    hub: HubHandle, tmp_path: Path, artifacts: Path, render: str
) -> None:
    """The window as users start it; ``auto`` draws in software on these GPU-less machines,
    ``gpu`` forces the OpenGL path (Mesa's llvmpipe here) so both stay working."""
    sim = hub.enroll("sim-1", "field")
    hall = hub.enroll("hall-1", "leader")
    hall_path = tmp_path / "hall.json"
    hall.save(hall_path)
    units = make_units("S", 200, seed=9)
    shot = artifacts / ("command-hall-live.png" if render == "auto" else "command-hall-live-gl.png")
    async with HubClient(sim, tmp_path / "sim.db", window=5000) as c:
        await c.wait_online(10)
        window = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "command_center",
            "window",
            "--bundle",
            str(hall_path),
            "--seconds",
            "8",
            "--screenshot",
            str(shot),
            "--render",
            render,
            stdout=subprocess.PIPE,
        )
        seats = county_seats()
        for _ in range(16):  # the units move while the window watches
            batch = []
            for u in units:
                u.step(30.0, seats)
                batch.append(
                    c.make(
                        PositionReport,
                        unit_id=u.unit_id,
                        lat=u.lat,
                        lon=u.lon,
                        fix_time=utcnow(),
                        unit_type=u.unit_type,
                        callsign=u.callsign,
                    )
                )
            await c.submit(*batch)
            await asyncio.sleep(0.5)
        out, _err = await asyncio.wait_for(window.communicate(), 60)
    assert window.returncode == 0
    shown = json.loads(out.decode().strip().splitlines()[-1])
    expected = choose_render()[0] if render == "auto" else render
    assert shown == {
        "units": 200,
        "incidents": 0,
        "drawn": 200,
        "rows": 200,
        "synced": True,
        "problem": "",
        "render": expected,
    }
    assert shot.exists() and shot.stat().st_size > 20_000


def test_an_order_issued_from_the_window_reaches_a_liaison_and_its_answer_shows(
    hub: HubHandle, tmp_path: Path, qapp: object, artifacts: Path
) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from shared.client import OrderInbox, issue_order

    leader = hub.enroll("hall-1", "leader")
    liaison = hub.enroll("liaison-police", "liaison")

    async def scenario() -> None:
        picture = SituationPicture()
        async with (
            HubClient(leader, tmp_path / "hall.db") as hc,
            Replica(leader) as hr,
            HubClient(liaison, tmp_path / "police.db") as pc,
            Replica(liaison, topics=("order",)) as pr,
        ):
            inbox = OrderInbox(pc, pr)
            hr.listeners.append(picture.on_update)
            for key, items in hr.items.items():  # what the snapshot already brought
                for k, v in items.items():
                    picture.on_update(key, k, v)

            async def issue(recipient: str, text: str, incident: str | None) -> str | None:
                return (await issue_order(hc, recipient, text, incident))[1]

            window = QtMainWindow(picture, hr, issue_order=issue)
            window.resize(1600, 900)
            window.show()
            window.tabs.setCurrentWidget(window.dispatch)
            board = window.dispatch
            await _until(lambda: any("liaison-police" in label for label in board.choices))
            # A recipient nobody enrolled: refused, and the board says why.
            board.recipient.setCurrentText("nobody")
            board.text.setText("前往现场")
            QTest.mouseClick(board.send, Qt.MouseButton.LeftButton)
            await _until(lambda: "未下达" in board.result.text())
            assert "no enrolled device named 'nobody'" in board.result.text()
            board.recipient.setCurrentText("liaison-police")
            board.text.setText("请公安支队封控滏阳河大桥")
            QTest.mouseClick(board.send, Qt.MouseButton.LeftButton)
            await _until(lambda: board.result.text() == "已下达给 liaison-police")
            await _until(lambda: len(inbox.orders) == 1)
            (order_id,) = inbox.orders
            await _until(lambda: board.state_of(order_id) == "已送达")  # receipted, flashing
            await inbox.update(order_id, "acknowledged")
            await _until(lambda: board.state_of(order_id) == "已确认")
            # A decline stays on the board, with its reason.
            await inbox.update(order_id, "declined", "警力不足，请改派")
            await _until(lambda: board.state_of(order_id) == "已拒绝")
            row = next(
                r
                for r in range(board.table.rowCount())
                if board.table.item(r, 0).text() == order_id
            )
            assert "答复：警力不足，请改派" in board.table.item(row, 4).text()
            window.grab().save(str(artifacts / "command-hall-dispatch.png"))
            window.close()

    _run_in_qt(qapp, scenario)


def test_assessing_an_incident_and_activating_its_plan_from_the_window(
    hub: HubHandle, tmp_path: Path, qapp: object, artifacts: Path
) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from command_center.map.qt_map_view import QtMapView
    from shared.client import respond
    from shared.domain import sample_data
    from shared.protocol import IncidentDeclare, ResourceUpsert

    leader = hub.enroll("hall-1", "leader")
    hub.enroll("liaison-fire", "liaison")

    async def scenario() -> None:
        picture = SituationPicture()
        async with HubClient(leader, tmp_path / "hall.db") as hc, Replica(leader) as hr:
            hr.listeners.append(picture.on_update)
            await hc.wait_online(10)
            resources = [
                hc.make(
                    ResourceUpsert, sample=True, **{f: getattr(r, f) for f in r.__struct_fields__}
                )
                for r in sample_data().resources
            ]
            await hc.submit(*resources)
            leak = hc.make(
                IncidentDeclare,
                incident_id="HZ-1",
                title="枣强化工园区氨气泄漏",
                lat=37.5445,
                lon=115.7367,
                type_code="hazchem.leak",
                status="verified",
                dead=3,
                division="131121",
            )
            await hc.submit(leak)
            assert await hc.drain(20)
            await _until(lambda: len(picture.resources) == 105 and "HZ-1" in picture.incidents)

            async def respond_to(incident: str, action: str, level: int | None) -> str | None:
                return await respond(hc, incident, action, level)

            window = QtMainWindow(picture, hr, respond=respond_to)
            window.resize(1600, 900)
            window.show()
            panel = window.assessment
            window.incidents.refresh()
            window.incidents.table.selectRow(0)  # the board's selection drives the panel
            assert panel.incident_id == "HZ-1"
            panel.wind_from.setValue(0)
            panel.wind_speed.setValue(4)
            QTest.mouseClick(panel.run, Qt.MouseButton.LeftButton)
            result = panel.result
            assert result is not None and result.zone_model == "plume"
            assert "CHEM-131121" in result.facilities_inside and result.population_inside > 0
            text = panel.report.toPlainText()
            assert "化工企业" in text and "Ⅲ级 较大" in text
            assert panel.teams.rowCount() == 5  # the nearest teams, each with 派遣
            assert panel.level.currentData() == 3  # the suggested level is preselected
            panel.level.setCurrentIndex(panel.level.findData(4))
            QTest.mouseClick(panel.activate, Qt.MouseButton.LeftButton)
            await _until(lambda: "HZ-1" in picture.responses)
            response = picture.responses["HZ-1"]
            assert (response.level, response.active, response.plan) == (4, True, "hazchem")
            await _until(lambda: panel.status.text() == "已启动Ⅳ级响应")
            await _until(lambda: "当前 Ⅳ级" in panel.activate.text())
            if isinstance(window.view, QtMapView):
                await _until(lambda: window.view.page_ready)
                zones: list[str] = []
                window.view.page().runJavaScript("JSON.stringify(hall.counts())", 0, zones.append)
                await _until(lambda: bool(zones))
                assert json.loads(zones[0])["zones"] == 1  # the hazard zone is drawn
                await page_painted(window.view)
            window.tabs.setCurrentWidget(panel)
            window.grab().save(str(artifacts / "command-hall-assessment.png"))
            window.close()

    _run_in_qt(qapp, scenario)


def test_the_window_explains_an_unreachable_hub(hub: HubHandle, tmp_path: Path) -> None:
    gone = hub.enroll("hall-2", "leader")
    gone_path = tmp_path / "gone.json"
    gone.save(gone_path)
    hub.hub.stop()  # now nothing answers at the bundle's address

    def shown(bundle: Path) -> dict[str, object]:
        res = subprocess.run(
            [sys.executable, "-m", "command_center", "window", "--bundle", str(bundle),
             "--seconds", "7"],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert res.returncode == 0, res.stderr[-2000:]
        return json.loads(res.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]

    unreachable = shown(gone_path)
    assert "无法连接指挥中心" in str(unreachable["problem"])
    assert gone.endpoints.request in str(unreachable["problem"])


def test_the_window_explains_a_revoked_key(hub: HubHandle, tmp_path: Path) -> None:
    revoked = hub.enroll("hall-old", "leader")
    hub.revoke("hall-old", reason="laptop lost")
    path = tmp_path / "revoked.json"
    revoked.save(path)
    res = subprocess.run(
        [sys.executable, "-m", "command_center", "window", "--bundle", str(path),
         "--seconds", "6"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr[-2000:]
    problem = json.loads(res.stdout.strip().splitlines()[-1])["problem"]
    assert "拒绝了本机的密钥" in problem and "command-center enroll" in problem


def test_the_duty_panel_shows_who_is_on_duty_and_writes_the_log(
    hub: HubHandle, tmp_path: Path, qapp: Any, artifacts: Path
) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from shared.client import write_duty_log
    from shared.protocol import DutyShift, ShiftHandover

    duty = hub.enroll("duty-1", "duty-officer")
    planner = hub.enroll("duty-2", "duty-officer")

    async def roster() -> None:  # the roster and a handover, written before the window opens
        async with HubClient(planner, tmp_path / "p.db") as pc:
            await pc.wait_online(10)
            now = datetime.now(UTC)
            shift = pc.make(
                DutyShift,
                shift_id="today",
                person="张三",
                post="值班员",
                start=now - timedelta(hours=2),
                end=now + timedelta(hours=6),
                phone="0318-1234567",
            )
            hand = pc.make(ShiftHandover, from_person="李四", to_person="张三", notes="平稳")
            assert await pc.submit_and_wait(shift, 30) is None
            assert await pc.submit_and_wait(hand, 30) is None

    asyncio.run(roster())

    async def scenario() -> None:
        picture = SituationPicture()
        async with HubClient(duty, tmp_path / "d.db") as dc, Replica(duty) as r:
            r.listeners.append(picture.on_update)
            await dc.wait_online(20)

            async def write(text: str, category: str) -> str | None:
                return await write_duty_log(dc, text, category)

            async def act_on(kind: Any, **fields: Any) -> str | None:
                return await act(dc, kind, **fields)

            window = QtMainWindow(picture, r, write_log=write, act=act_on, use_map=False)
            window.resize(1600, 900)
            window.show()
            window.tabs.setCurrentWidget(window.duty)
            panel = window.duty
            await _until(lambda: "值班员 张三 0318-1234567" in panel.on_duty.text(), 30)
            assert "李四 → 张三" in panel.on_duty.text()
            panel.category.setCurrentIndex(panel.category.findData("call"))
            panel.text.setText("接市气象台暴雨橙色预警")
            QTest.mouseClick(panel.add, Qt.MouseButton.LeftButton)
            await _until(lambda: "接市气象台暴雨橙色预警" in panel.log.toPlainText(), 30)
            assert "[来电]" in panel.log.toPlainText()
            await _until(lambda: panel.status.text() == "已记录", 30)
            assert "交接班：李四 → 张三" in panel.log.toPlainText()  # the handover's own line
            # signing in at this station: changes made from it will name the person
            assert "本席 duty-1 无人签到" in panel.signed.text()
            QTest.mouseClick(panel.sign_in, Qt.MouseButton.LeftButton)
            assert panel.status.text() == "请填写值班人姓名"  # nothing sent without a name
            panel.person.setText("王芳")
            panel.post.setText("值班员")
            QTest.mouseClick(panel.sign_in, Qt.MouseButton.LeftButton)
            await _until(lambda: "本席 duty-1：王芳 签到于" in panel.signed.text(), 30)
            assert "王芳（值班员）@ duty-1" in panel.on_duty.text()
            # the picture can show the sign-in before the hub's answer reaches the form
            await _until(lambda: panel.status.text() == "已签到", 30)
            window.grab().save(str(artifacts / "command-hall-duty.png"))
            QTest.mouseClick(panel.sign_out, Qt.MouseButton.LeftButton)
            await _until(lambda: "本席 duty-1 无人签到" in panel.signed.text(), 30)
            window.close()

    _run_in_qt(qapp, scenario)
