"""Commanding incidents from the hall with the mouse and keyboard, against a real hub: a
call taken (接报登记) with its place typed or clicked on the map, the lifecycle steps, a level
override with its reason, closing; mistakes highlighted, refusals shown in words."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from command_center.app.qt_main_window import QtMainWindow
from shared.client import (
    HubClient,
    Replica,
    SituationPicture,
    act,
    new_incident_id,
    read_record,
    take_call,
)
from shared.protocol import IncidentDeclare, IncidentState, Message
from tests.conftest import HubHandle
from tests.support import idle_replica, run_in_qt, until


def test_a_call_is_taken_stepped_regraded_and_closed_from_the_hall(
    hub: HubHandle, tmp_path: Path, qapp: Any, artifacts: Path
) -> None:
    from PySide6.QtCore import QDateTime, Qt
    from PySide6.QtTest import QTest

    leader = hub.enroll("hall-1", "leader")

    async def scenario() -> None:
        picture = SituationPicture()
        async with HubClient(leader, tmp_path / "hall.db") as hc, Replica(leader) as hr:
            hr.listeners.append(picture.on_update)
            await hc.wait_online(10)

            async def act_on(kind: type[Message], **fields: Any) -> str | None:
                return await act(hc, kind, **fields)

            async def call_taken(fields: dict[str, Any], **call: str) -> tuple[bool, str | None]:
                return await take_call(hc, hc.make(IncidentDeclare, **fields), **call)  # type: ignore[arg-type]

            window = QtMainWindow(
                picture,
                hr,
                act=act_on,
                take_call=call_taken,
                new_incident_id=lambda: new_incident_id(datetime.now(UTC)),
                read_record=lambda incident_id: read_record(hc, incident_id),
            )
            window.resize(1920, 1080)
            window.show()
            board = window.incidents
            form = board.form
            click = QTest.mouseClick
            left = Qt.MouseButton.LeftButton
            assert "暂无事件" in board.detail.toPlainText()  # an empty board says what to do

            # 接报登记 with nothing filled in: the title and the place are marked, nothing sent.
            click(board.take, left)
            assert form.isVisible() and form.heading.text() == "接报登记"
            assert form.submit.height() >= 40 and form.title_edit.height() > 20
            click(form.submit, left)
            assert "请填写标题" in form.message.text() and "请选定地点" in form.message.text()
            assert "ff5c5c" in form.title_edit.styleSheet()
            assert "ff5c5c" in form.place.styleSheet()
            assert not picture.incidents

            # Chinese is typed through the input method, which QTest cannot drive: the texts
            # are set as the input method would commit them; keys and clicks are real.
            # A place that does not exist is named as such.
            form.place.setText("不存在的地方")
            QTest.keyClick(form.place, Qt.Key.Key_Return)
            assert "找不到地名" in form.message.text()

            # A time received more than a day ago: the hub refuses, the form says why.
            form.title_edit.setText("景县化工厂储罐泄漏")
            form.place.clear()
            form.place.setText("景县")
            QTest.keyClick(form.place, Qt.Key.Key_Return)
            assert form.division.text() == "区县：景县"
            form.occurred.setDateTime(QDateTime.currentDateTime().addDays(-3))
            form.received.setDateTime(QDateTime.currentDateTime().addDays(-2))
            click(form.submit, left)
            await until(lambda: "指挥中心拒绝" in form.message.text(), what="the refusal")
            assert "more than 1 day ago" in form.message.text()
            assert not picture.incidents

            # Put right: the call is declared and what the caller said filed as its 初报.
            received = QDateTime.currentDateTime().addSecs(-600)
            form.occurred.setDateTime(received.addSecs(-300))
            form.received.setDateTime(received)
            form.kind.setCurrentIndex(form.kind.findData("hazchem.leak"))
            form.counts["dead"].setValue(2)
            form.caller.setText("张三")
            QTest.keyClicks(form.phone, "13800000000")
            form.text.setPlainText("储罐阀门泄漏，有刺激性气味，厂区已疏散")
            window.grab().save(str(artifacts / "hall-take-call.png"))
            click(form.submit, left)
            await until(lambda: len(picture.incidents) == 1, what="the declared incident")
            (inc,) = picture.incidents.values()
            assert inc.incident_id.startswith("HS-")
            assert (inc.title, inc.type_code, inc.division, inc.dead) == (
                "景县化工厂储罐泄漏",
                "hazchem.leak",
                "131127",
                2,
            )
            await until(lambda: not form.isVisible(), what="the form put away once stored")
            assert board.current == inc.incident_id and "已登记" in form.message.text()
            await until(lambda: len(picture.reports_of(inc.incident_id)) == 1, what="初报")
            (rep,) = picture.reports_of(inc.incident_id)
            assert (rep.stage, rep.source, rep.author) == ("initial", "phone", "张三")

            # The lifecycle, one click per step, then a level override that needs a reason.
            steps = board.steps
            for status, label in (("verified", "核实"), ("responding", "启动响应")):
                await until(lambda t=f"下一步：{label}": steps.step.text() == t, what=label)
                await until(steps.step.isEnabled, what="the step button free again")
                click(steps.step, left)
                await until(
                    lambda s=status: picture.incidents[inc.incident_id].status == s, what=status
                )
            steps.level.setCurrentIndex(steps.level.findData(2))
            click(steps.override, left)
            assert "请填写理由" in steps.message.text() and "ff5c5c" in steps.reason.styleSheet()
            steps.reason.setText("周边村庄需转移，市级统一指挥")
            click(steps.override, left)
            await until(lambda: picture.incidents[inc.incident_id].level == 2, what="Ⅱ级")
            await until(lambda: "等级已调整" in steps.message.text())
            window.grab().save(str(artifacts / "hall-incident-steps.png"))

            # Closing needs a reason too, and a responding incident is first stabilised:
            # the hub's refusal says so in its words.
            await until(steps.close_button.isEnabled, what="the close button free again")
            steps.reason.setText("险情排除，终报已报")
            click(steps.close_button, left)
            await until(lambda: "指挥中心拒绝" in steps.message.text(), what="the refusal")
            assert "allowed: stabilised" in steps.message.text()
            await until(lambda: steps.step.text() == "下一步：已控制", what="the next step")
            click(steps.step, left)
            await until(lambda: picture.incidents[inc.incident_id].status == "stabilised")
            await until(steps.close_button.isEnabled, what="the close button free again")
            steps.reason.setText("险情排除，终报已报")
            click(steps.close_button, left)
            await until(lambda: not picture.incidents, what="the incident closed")
            board.refresh()
            assert board.table.rowCount() == 0
            # 调阅: the closed incident's record by its id, and 重新打开 with a reason
            records = board.records
            records.lookup_id.setText("NO-SUCH-1")
            QTest.mouseClick(records.lookup, left)
            await until(lambda: "no incident 'NO-SUCH-1'" in board.detail.toPlainText())
            assert not records.reopen.isVisible()
            # the incident just closed is offered in the drop-down: chosen with the mouse alone
            assert records.recent.itemData(1) == inc.incident_id
            assert records.recent.itemText(1).startswith(f"{inc.incident_id} · ")
            records.recent.setCurrentIndex(1)
            records.recent.activated.emit(1)
            await until(lambda: "已关闭：险情排除，终报已报" in board.detail.toPlainText())
            assert records.lookup_id.text() == inc.incident_id
            board.refresh()  # a change in the picture redraws the board: the record stays
            assert "已关闭：险情排除，终报已报" in board.detail.toPlainText()
            text = board.detail.toPlainText()
            assert "储罐阀门泄漏" in text and "响应中 → 已控制" in text
            assert records.reopen.isVisible()
            window.grab().save(str(artifacts / "hall-closed-record.png"))
            QTest.mouseClick(records.reopen, left)
            assert "请填写重新打开的理由" in board.detail.toPlainText()
            records.reason.setText("复燃，再次出现泄漏")
            QTest.mouseClick(records.reopen, left)
            await until(lambda: inc.incident_id in picture.incidents, what="reopened")
            assert inc.incident_id not in picture.closed  # no longer offered as closed
            assert picture.incidents[inc.incident_id].status == "verified"
            await until(lambda: board.current == inc.incident_id, what="selected again")
            await until(lambda: steps.step.text() == "下一步：启动响应", what="its next step")
            window.close()

    run_in_qt(qapp, scenario)


def test_the_place_is_picked_with_a_click_on_the_map(
    hub: HubHandle, tmp_path: Path, qapp: Any
) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from command_center.map.qt_map_view import QtMapView

    leader = hub.enroll("hall-1", "leader")

    async def scenario() -> None:
        picture = SituationPicture()
        async with Replica(leader) as hr:
            window = QtMainWindow(picture, hr)
            window.resize(1920, 1080)
            window.show()
            assert isinstance(window.view, QtMapView)
            await until(lambda: window.view.page_ready, 30, what="the map page")
            form = window.incidents.form
            window.incidents.open_form(call=False)
            assert form.pick_button.height() >= 30  # the form has room, not a collapsed pane
            assert form.heading.text() == "新建事件" and not form.source.isVisible()
            QTest.mouseClick(form.pick_button, Qt.MouseButton.LeftButton)
            assert form.pick_button.isChecked()
            # The click arrives as the page sees one (Leaflet's click event at a point).
            await until(lambda: _js(window.view, "hall.pickingNow()") is True, what="pick mode")
            window.view.page().runJavaScript(
                "hall.map().fire('click', {latlng: L.latLng(37.5445, 115.7367)})"
            )
            await until(lambda: abs(form.lat.value() - 37.5445) < 1e-4, what="the picked point")
            assert abs(form.lon.value() - 115.7367) < 1e-4
            assert form.division.text() == "区县：枣强县"
            assert not form.pick_button.isChecked()
            window.close()

    run_in_qt(qapp, scenario)


def _js(view: Any, script: str) -> Any:
    """The last result of ``script`` run on the page (None until it has answered)."""
    box = getattr(view, "_js_box", {})
    view._js_box = box
    view.page().runJavaScript(script, 0, lambda r: box.__setitem__(script, r))
    return box.get(script)


def test_a_team_proposed_by_the_assessment_is_dispatched_and_its_liaison_answers(
    hub: HubHandle, tmp_path: Path, qapp: Any, artifacts: Path
) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from shared.client import OrderInbox, issue_order
    from shared.domain import sample_data
    from shared.protocol import ResourceUpsert

    leader = hub.enroll("hall-1", "leader")
    fire = hub.enroll("liaison-fire", "liaison")

    async def scenario() -> None:
        picture = SituationPicture()
        async with (
            HubClient(leader, tmp_path / "hall.db") as hc,
            Replica(leader) as hr,
            HubClient(fire, tmp_path / "fire.db") as fc,
            Replica(fire, topics=("order",)) as fr,
        ):
            inbox = OrderInbox(fc, fr)
            hr.listeners.append(picture.on_update)
            await hc.wait_online(10)
            data = sample_data()
            await hc.submit(
                *[hc.make(ResourceUpsert, sample=True, **msgspec_fields(r)) for r in data.resources]
            )
            await hc.submit(
                hc.make(
                    IncidentDeclare,
                    incident_id="HZ-1",
                    title="枣强化工园区氨气泄漏",
                    lat=37.5445,
                    lon=115.7367,
                    type_code="hazchem.leak",
                    status="verified",
                    division="131121",
                )
            )
            assert await hc.drain(20)
            await until(lambda: len(picture.resources) == 105 and "HZ-1" in picture.incidents)

            async def issue(recipient: str, text: str, incident: str | None) -> str | None:
                return (await issue_order(hc, recipient, text, incident))[1]

            window = QtMainWindow(picture, hr, issue_order=issue)
            window.resize(1920, 1080)
            window.show()
            window.incidents.refresh()
            window.incidents.table.selectRow(0)
            panel = window.assessment
            window.tabs.setCurrentWidget(panel)
            assert panel.teams.rowCount() == 5
            teams = [picture.resources[t.team_id] for t in panel.result.nearest_teams]  # type: ignore[union-attr]
            fire_team = next(t for t in teams if t.department == "fire")
            other = next(t for t in teams if t.department not in ("fire",))
            # A team whose department has no enrolled liaison: said so, nothing sent.
            button = panel.dispatch_button(other.resource_id)
            assert button is not None
            QTest.mouseClick(button, Qt.MouseButton.LeftButton)
            assert "无法接收指令" in panel.status.text() and not picture.orders
            # A fire team: the order goes to the fire brigade's liaison, naming the team.
            button = panel.dispatch_button(fire_team.resource_id)
            assert button is not None and button.isEnabled()
            QTest.mouseClick(button, Qt.MouseButton.LeftButton)
            await until(lambda: len(inbox.orders) == 1, what="the order at the liaison")
            (order,) = inbox.orders.values()
            assert order.text.startswith(
                f"【{fire_team.name}】请立即出动前往“枣强化工园区氨气泄漏”"
            )
            assert order.incident_id == "HZ-1"
            await until(lambda: panel.dispatch_button(fire_team.resource_id).text() == "已派遣")  # type: ignore[union-attr]
            await inbox.update(order.order_id, "acknowledged")
            window.tabs.setCurrentWidget(window.dispatch)
            await until(lambda: window.dispatch.state_of(order.order_id) == "已确认")
            window.tabs.setCurrentWidget(panel)
            window.grab().save(str(artifacts / "hall-dispatch-from-assessment.png"))

            # The picker lists devices, departments, teams and units, searched by any part.
            board = window.dispatch
            labels = list(board.choices)
            assert any(label.startswith("【部门】市消防救援支队") for label in labels)
            assert any(f"【队伍】{fire_team.name}" in label for label in labels)
            assert any("【终端】liaison-fire" in label for label in labels)
            window.dispatch_to(f"team:{fire_team.resource_id}")
            assert window.tabs.currentWidget() is board
            assert board.recipient.currentText().startswith(f"【队伍】{fire_team.name}")
            board.text.setText("携带防化装备")
            QTest.mouseClick(board.send, Qt.MouseButton.LeftButton)
            await until(lambda: len(inbox.orders) == 2, what="the second order")
            second = next(o for o in inbox.orders.values() if o.order_id != order.order_id)
            assert second.text == f"【{fire_team.name}】携带防化装备"
            window.close()

    run_in_qt(qapp, scenario)


def msgspec_fields(struct: Any) -> dict[str, Any]:
    return {f: getattr(struct, f) for f in struct.__struct_fields__}


def test_an_sos_clicked_in_the_bar_takes_the_hall_to_the_person(
    hub: HubHandle, tmp_path: Path, qapp: Any, artifacts: Path
) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from command_center.map.qt_map_view import QtMapView
    from shared.protocol import Emergency, EmergencyAck, PositionReport, utcnow

    leader = hub.enroll("hall-1", "leader")
    field = hub.enroll("fire-7", "field")

    async def scenario() -> None:
        picture = SituationPicture()
        async with (
            HubClient(leader, tmp_path / "hall.db") as hc,
            Replica(leader) as hr,
            HubClient(field, tmp_path / "field.db") as fc,
        ):
            hr.listeners.append(picture.on_update)

            async def ack(alert_id: str) -> str | None:
                return await act(hc, EmergencyAck, alert_id=alert_id)

            window = QtMainWindow(picture, hr, ack_emergency=ack)
            window.resize(1920, 1080)
            window.show()
            assert isinstance(window.view, QtMapView)
            await until(lambda: window.view.page_ready, 30, what="the map page")
            others = [
                fc.make(
                    PositionReport,
                    unit_id=f"OTHER-{i}",
                    lat=37.70 + i / 100,
                    lon=115.60,
                    fix_time=utcnow(),
                    callsign=f"其他{i:02d}",
                    unit_type="police",
                )
                for i in range(30)
            ]
            me = fc.make(
                PositionReport,
                unit_id="FIRE-7",
                lat=37.81513,
                lon=116.08244,
                fix_time=utcnow(),
                callsign="消防七中队",
                unit_type="fire",
            )
            # the person walked a little before pressing SOS: that is their track
            walk = [
                fc.make(
                    PositionReport,
                    unit_id="FIRE-7",
                    lat=37.81513 - 0.001 * k,
                    lon=116.08244 - 0.001 * k,
                    fix_time=utcnow(),
                    callsign="消防七中队",
                    unit_type="fire",
                )
                for k in (4, 3, 2, 1)
            ]
            for step in walk:
                await fc.submit(step)
                await until(lambda s=step: picture.units.get("FIRE-7") is not None
                            and picture.units["FIRE-7"].lat == s.lat, what="a step")  # fmt: skip
            await fc.submit(*others, me)
            await until(lambda: len(picture.units) == 31, what="the units")
            await until(lambda: len(picture.tracks["FIRE-7"]) == 5, what="the track")
            sos = fc.make(
                Emergency, alert_id="SOS-1", lat=37.81513, lon=116.08244, callsign="消防七中队"
            )
            await fc.submit(sos)
            bar = window.alarms
            await until(lambda: "消防七中队" in bar.label.text(), what="the SOS in the bar")
            text = bar.label.text()
            assert "武邑县，距阜城县驻地 7.5 km" in text and "37.815" not in text
            assert bar.locate_button.isVisible()
            QTest.mouseClick(bar.label, Qt.MouseButton.LeftButton)
            # the unit list shows the person's unit selected (not the last, cut-off row)
            assert window.tabs.currentWidget() is window.table
            row = window.table.shown.index("FIRE-7")
            assert window.table.selectedItems() and window.table.currentRow() in (row, -1)
            assert {i.row() for i in window.table.selectedItems()} == {row}
            rect = window.table.visualItemRect(window.table.item(row, 0))
            assert window.table.viewport().rect().contains(rect.center())
            # the map flew there and rings it
            centre: list[Any] = []

            def centred() -> bool:
                script = "JSON.stringify(hall.highlighted())"
                window.view.page().runJavaScript(script, 0, centre.append)
                got = json.loads(centre[-1]) if centre and centre[-1] else None
                return got is not None and abs(got[0] - 37.81513) + abs(got[1] - 116.08244) < 0.01

            await until(centred, what="the map centred on the ringed person")
            points: list[Any] = []
            window.view.page().runJavaScript("hall.highlightedTrack()", 0, points.append)
            await until(lambda: bool(points), what="the track drawn")
            assert points[-1] == 5  # the way the person came, drawn behind the ring
            window.grab().save(str(artifacts / "hall-sos-located.png"))
            QTest.mouseClick(bar.ack, Qt.MouseButton.LeftButton)
            await until(lambda: "消防七中队" not in bar.label.text(), what="the bar cleared")
            assert "hall-1" in bar.history[0] and "武邑县" in bar.history[0]
            window.close()

    run_in_qt(qapp, scenario)


def test_a_call_declared_whose_first_report_is_refused_is_not_declared_twice(
    hub: HubHandle, tmp_path: Path, qapp: Any
) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    leader = hub.enroll("hall-1", "leader")

    async def scenario() -> None:
        picture = SituationPicture()
        async with HubClient(leader, tmp_path / "hall.db") as hc, Replica(leader) as hr:
            hr.listeners.append(picture.on_update)
            await hc.wait_online(10)

            async def call_taken(fields: dict[str, Any], **call: str) -> tuple[bool, str | None]:
                return await take_call(hc, hc.make(IncidentDeclare, **fields), **call)  # type: ignore[arg-type]

            window = QtMainWindow(
                picture,
                hr,
                use_map=False,
                take_call=call_taken,
                new_incident_id=lambda: new_incident_id(datetime.now(UTC)),
            )
            window.resize(1920, 1080)
            window.show()
            form = window.incidents.form
            QTest.mouseClick(window.incidents.take, Qt.MouseButton.LeftButton)
            form.title_edit.setText("桃城区人民路积水")
            form.place.setText("桃城区")
            QTest.keyClick(form.place, Qt.Key.Key_Return)
            form.text.setPlainText("水" * 70_000)  # longer than a report may be
            QTest.mouseClick(form.submit, Qt.MouseButton.LeftButton)
            await until(lambda: "初报未保存" in form.message.text(), what="the partial answer")
            assert "已登记" in form.message.text() and not form.isVisible()
            await until(lambda: len(picture.incidents) == 1)
            assert not picture.reports
            window.close()

    run_in_qt(qapp, scenario)


def test_a_call_taken_while_the_hub_is_away_is_queued_once(
    hub: HubHandle, tmp_path: Path, qapp: Any
) -> None:
    """…and a step or a reopening meanwhile is said as queued, not as a refusal."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    leader = hub.enroll("hall-1", "leader")
    hub.hub.stop()  # nothing answers at the bundle's address now

    async def scenario() -> None:
        picture = SituationPicture()
        async with HubClient(leader, tmp_path / "hall.db") as hc:

            async def call_taken(fields: dict[str, Any], **call: str) -> tuple[bool, str | None]:
                declare = hc.make(IncidentDeclare, **fields)
                return await take_call(hc, declare, timeout=0.5, **call)  # type: ignore[arg-type]

            async def act_on(kind: type[Message], **fields: Any) -> str | None:
                return await act(hc, kind, timeout=0.5, **fields)

            window = QtMainWindow(
                picture,
                idle_replica(),
                use_map=False,
                act=act_on,
                take_call=call_taken,
                new_incident_id=lambda: new_incident_id(datetime.now(UTC)),
            )
            window.resize(1920, 1080)
            window.show()
            form = window.incidents.form
            QTest.mouseClick(window.incidents.take, Qt.MouseButton.LeftButton)
            form.title_edit.setText("桃城区人民路积水")
            form.place.setText("桃城区")
            QTest.keyClick(form.place, Qt.Key.Key_Return)
            QTest.mouseClick(form.submit, Qt.MouseButton.LeftButton)
            await until(lambda: "已排队" in form.message.text(), what="the queued answer")
            # said plainly (not as a refusal), and the form is put away: no second press
            assert "请勿重复登记" in form.message.text() and "拒绝" not in form.message.text()
            assert not form.isVisible()
            assert hc.queued() == 1  # the declaration waits in the outbox, once

            # an incident the hall saw before the hub went away: its next step waits too
            picture.on_update(
                "incident",
                "HS-OLD-1",
                IncidentState(
                    incident_id="HS-OLD-1",
                    title="旧事件",
                    lat=37.7,
                    lon=115.7,
                    status="reported",
                    updated=datetime.now(UTC),
                    level=4,
                ),
            )
            window.incidents.refresh()
            steps = window.incidents.steps
            steps.show_incident("HS-OLD-1")
            QTest.mouseClick(steps.step, Qt.MouseButton.LeftButton)
            await until(lambda: "已排队" in steps.message.text(), what="the step queued")
            assert "拒绝" not in steps.message.text() and steps.step.isEnabled()
            records = window.incidents.records
            records.set_closed("HS-OLD-2")
            records.reason.setText("复燃")
            QTest.mouseClick(records.reopen, Qt.MouseButton.LeftButton)
            detail = window.incidents.detail
            await until(lambda: "已排队" in detail.toPlainText(), what="the reopening queued")
            assert "拒绝" not in detail.toPlainText()
            assert hc.queued() == 3
            window.close()

    run_in_qt(qapp, scenario)


def test_the_assessment_follows_the_incident_on_screen_however_it_was_chosen(
    hub: HubHandle, tmp_path: Path, qapp: Any
) -> None:
    """研判 names the incident selected on the board by its title and id: after a row is
    clicked, after the highlighted row is clicked again, after a click on the map and after
    接报登记 → 提交 — before, it kept the previous incident (with its 派遣 buttons) while
    another was highlighted."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    leader = hub.enroll("hall-1", "leader")

    async def scenario() -> None:
        picture = SituationPicture()
        async with HubClient(leader, tmp_path / "hall.db") as hc, Replica(leader) as hr:
            hr.listeners.append(picture.on_update)
            await hc.wait_online(10)

            async def act_on(kind: type[Message], **fields: Any) -> str | None:
                return await act(hc, kind, **fields)

            async def call_taken(fields: dict[str, Any], **call: str) -> tuple[bool, str | None]:
                return await take_call(hc, hc.make(IncidentDeclare, **fields), **call)  # type: ignore[arg-type]

            for incident_id, title, lat in (
                ("HS-A", "景县氯气泄漏", 37.69),
                ("HS-B", "武邑县燃气爆炸", 37.80),
            ):
                declared = hc.make(
                    IncidentDeclare, incident_id=incident_id, title=title, lat=lat, lon=115.9,
                    type_code="hazchem.leak",
                )  # fmt: skip
                assert await hc.submit_and_wait(declared, 10) is None
            await until(lambda: len(picture.incidents) == 2, what="both incidents")
            window = QtMainWindow(
                picture, hr, act=act_on, take_call=call_taken,
                new_incident_id=lambda: new_incident_id(datetime.now(UTC)),
                read_record=lambda incident_id: read_record(hc, incident_id),
            )  # fmt: skip
            window.resize(1920, 1080)
            window.show()
            board, panel = window.incidents, window.assessment
            board.refresh()

            def heading() -> str:
                return (
                    panel.report.toPlainText().splitlines()[0] if panel.report.toPlainText() else ""
                )

            def click_row(incident_id: str) -> None:
                row = board.shown.index(incident_id)
                rect = board.table.visualRect(board.table.model().index(row, 1))
                QTest.mouseClick(
                    board.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center()
                )

            click_row("HS-A")
            await until(lambda: "景县氯气泄漏（HS-A）" in heading(), what="研判 of HS-A")
            window.on_map_clicked("incident", "HS-B")  # a click on its mark
            await until(lambda: "武邑县燃气爆炸（HS-B）" in heading(), what="研判 of HS-B")
            assert board.current == "HS-B"
            # the highlighted row clicked again after 研判 was moved elsewhere by hand
            panel.show_incident("HS-A")
            click_row("HS-B")
            await until(lambda: "（HS-B）" in heading(), what="the same row again")
            # a call taken: the new incident is highlighted and assessed
            form = board.form
            QTest.mouseClick(board.take, Qt.MouseButton.LeftButton)
            form.title_edit.setText("枣强县厂房火灾")
            form.place.setText("枣强县")
            QTest.keyClick(form.place, Qt.Key.Key_Return)
            form.kind.setCurrentIndex(form.kind.findData("fire"))
            QTest.mouseClick(form.submit, Qt.MouseButton.LeftButton)
            await until(lambda: len(picture.incidents) == 3, what="the call declared")
            (new,) = [i for i in picture.incidents if i not in ("HS-A", "HS-B")]
            await until(lambda: board.current == new, what="the new row selected")
            await until(lambda: f"枣强县厂房火灾（{new}）" in heading(), what="研判 of the call")
            window.close()

    run_in_qt(qapp, scenario)


def test_the_level_picked_stays_while_the_hall_redraws(
    hub: HubHandle, tmp_path: Path, qapp: Any
) -> None:
    """Pick Ⅰ级 and type the reason while the board redraws (a unit moving, the clock): the
    picker keeps Ⅰ级 and 调整等级 records 3 → 1 — before, the redraw put it back within a
    second and 'level: 3 → 3' went in with the reason meant for Ⅰ级."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from shared.protocol import PositionReport

    leader = hub.enroll("hall-1", "leader")

    async def scenario() -> None:
        picture = SituationPicture()
        async with HubClient(leader, tmp_path / "hall.db") as hc, Replica(leader) as hr:
            hr.listeners.append(picture.on_update)
            await hc.wait_online(10)

            async def act_on(kind: type[Message], **fields: Any) -> str | None:
                return await act(hc, kind, **fields)

            declared = hc.make(
                IncidentDeclare, incident_id="HS-L", title="桃城区仓库火灾", lat=37.74,
                lon=115.67, level=3, status="verified",
            )  # fmt: skip
            assert await hc.submit_and_wait(declared, 10) is None
            await until(lambda: "HS-L" in picture.incidents, what="the incident")
            window = QtMainWindow(picture, hr, act=act_on)
            window.resize(1920, 1080)
            window.show()
            board = window.incidents
            board.select("HS-L")
            steps = board.steps
            assert steps.level.currentData() == 3
            steps.level.setCurrentIndex(steps.level.findData(1))
            steps.reason.setText("多村受威胁，提级指挥")
            redraws = [0]
            shown = board.show_detail

            def counted() -> None:
                redraws[0] += 1
                shown()

            board.show_detail = counted  # type: ignore[method-assign]
            for i in range(3):  # the picture moves: the board redraws each time
                fix = hc.make(PositionReport, unit_id="U-1", lat=37.7 + i / 1000, lon=115.7,
                              fix_time=datetime.now(UTC))  # fmt: skip
                await hc.submit(fix)
                await until(lambda n=i: redraws[0] > n, what="a redraw")
                board.refresh()
            assert steps.level.currentData() == 1 and steps.reason.text() == "多村受威胁，提级指挥"
            QTest.mouseClick(steps.override, Qt.MouseButton.LeftButton)
            await until(lambda: picture.incidents["HS-L"].level == 1, what="Ⅰ级 recorded")
            window.close()

    run_in_qt(qapp, scenario)


def test_a_wheel_over_a_figure_changes_nothing_until_it_is_clicked(qapp: Any) -> None:
    """Three wheel notches over 死亡 in the 接报登记 form: still 0 (it turned 0 into 3); once
    the box is clicked, the wheel is the person's to use."""
    from PySide6.QtCore import QPoint, QPointF, Qt
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    window = QtMainWindow(SituationPicture(), idle_replica())
    window.resize(1920, 1080)
    window.show()
    form = window.incidents.form
    QTest.mouseClick(window.incidents.take, Qt.MouseButton.LeftButton)
    dead = form.counts["dead"]
    window.activateWindow()
    form.title_edit.setFocus()
    qapp.processEvents()

    def notch() -> None:
        at = QPointF(dead.width() / 2, dead.height() / 2)
        wheel = QWheelEvent(
            at, QPointF(dead.mapToGlobal(QPoint(5, 5))), QPoint(0, 0), QPoint(0, 120),
            Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
            Qt.ScrollPhase.NoScrollPhase, False,
        )  # fmt: skip
        QApplication.sendEvent(dead, wheel)

    for _ in range(3):
        notch()
    assert dead.value() == 0 and not dead.hasFocus()
    dead.setFocus()  # clicked or tabbed into
    qapp.processEvents()
    assert dead.hasFocus()
    notch()
    assert dead.value() == 1
    window.close()


def test_two_sos_at_once_stay_on_screen_and_each_is_acted_on_by_name(
    hub: HubHandle, tmp_path: Path, qapp: Any
) -> None:
    """Two SOS at once: the window keeps its width with 静音 and 报警记录 on screen (it grew
    from 1920 to 2107 px); 定位 and 确认求救 name the SOS they act on, the first the bar lists
    (they acted on the oldest while the bar listed the newest first)."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from shared.protocol import Emergency, EmergencyAck

    leader = hub.enroll("hall-1", "leader")
    teams = [hub.enroll(name, "field") for name in ("team-a", "team-b")]

    async def scenario() -> None:
        picture = SituationPicture()
        async with (
            HubClient(leader, tmp_path / "hall.db") as hc,
            Replica(leader) as hr,
            HubClient(teams[0], tmp_path / "a.db") as ac,
            HubClient(teams[1], tmp_path / "b.db") as bc,
        ):
            hr.listeners.append(picture.on_update)
            for c in (hc, ac, bc):
                await c.wait_online(10)

            async def ack(alert_id: str) -> str | None:
                error = await hc.submit_and_wait(hc.make(EmergencyAck, alert_id=alert_id), 10)
                return None if error is None else error.detail

            window = QtMainWindow(picture, hr, use_map=False, ack_emergency=ack)
            window.resize(1920, 1080)
            window.show()
            bar = window.alarms
            first = ac.make(Emergency, alert_id="SOS-A", lat=37.74, lon=115.67,
                            callsign="消防一中队（桃城区人民路与育才街交叉口东北角）")  # fmt: skip
            await ac.submit(first)
            await until(lambda: "消防一中队" in bar.label.text(), what="the first SOS")
            second = bc.make(Emergency, alert_id="SOS-B", lat=37.55, lon=115.58,
                             callsign="救护三组（冀州区冀州镇南外环路口）")  # fmt: skip
            await bc.submit(second)
            await until(lambda: "救护三组" in bar.label.text(), what="the second SOS")
            qapp.processEvents()
            assert window.width() <= 1920
            for button in (bar.mute, bar.history_button, bar.ack, bar.locate_button):
                right = button.mapTo(window, button.rect().topRight()).x()
                assert button.isVisible() and right <= window.width(), button.text()
            # the newest is listed first, and the buttons name it
            assert bar.label.text().index("救护三组") < bar.label.text().index("消防一中队")
            assert "救护三组" in bar.ack.text() and "救护三组" in bar.locate_button.text()
            QTest.mouseClick(bar.ack, Qt.MouseButton.LeftButton)
            await until(lambda: picture.emergencies["SOS-B"].acknowledged_by == "hall-1",
                        what="the named SOS acknowledged")  # fmt: skip
            assert not picture.emergencies["SOS-A"].acknowledged_by
            await until(lambda: "消防一中队" in bar.ack.text(), what="the buttons name the other")
            QTest.mouseClick(bar.ack, Qt.MouseButton.LeftButton)
            await until(lambda: picture.emergencies["SOS-A"].acknowledged_by == "hall-1",
                        what="the other acknowledged")  # fmt: skip
            await until(lambda: not bar.ack.isVisible(), what="nothing left to acknowledge")
            assert window.width() <= 1920
            window.close()

    run_in_qt(qapp, scenario)
