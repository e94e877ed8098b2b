"""The warnings and relay tab against a real hub that relays to a drop folder: inbound
warnings listed worst-first and drawn on the map, a draft confirmed as an incident with one
click, and the relay's queue shown (the confirmed incident's 初报 delivered)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from command_center.app.qt_main_window import QtMainWindow
from shared.client import (
    HubClient,
    Replica,
    SituationPicture,
    confirm_draft,
    file_written_report,
)
from shared.config import RelayConfig, RelayDestination
from shared.protocol import SituationReport
from shared.relay import parse_untrusted, read_distribution
from shared.relay.inbound.gateway import WarningGateway
from tests.shared.relay.warning_samples import US_FLOOD, cma_blizzard
from tests.support import page_painted
from tests.support import run_in_qt as _run_in_qt
from tests.support import until as _until


def test_warnings_are_listed_drawn_and_confirmed_and_the_relay_queue_shows(
    hub_factory: Any, tmp_path: Path, qapp: Any, artifacts: Path
) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from command_center.map.qt_map_view import QtMapView

    relay = RelayConfig(
        destinations=[RelayDestination(name="ferry", drop_dir=str(tmp_path / "ferry"))]
    )
    hub = hub_factory(relay=relay)
    officer = hub.enroll("duty-1", "duty-officer")
    gateway = hub.enroll("met-gw", "gateway")

    async def scenario() -> None:
        picture = SituationPicture()
        async with (
            HubClient(officer, tmp_path / "o.db") as oc,
            HubClient(gateway, tmp_path / "g.db") as gc,
            Replica(officer) as r,
        ):
            r.listeners.append(picture.on_update)
            await oc.wait_online(20)
            await gc.wait_online(20)
            gw = WarningGateway(gc, None)
            assert (await gw.ingest(US_FLOOD, "us"))["accepted"]
            assert (await gw.ingest(cma_blizzard(), "met"))["accepted"]

            async def confirm(draft_of: str, draft: Any) -> str | None:
                _incident, refusal = await confirm_draft(oc, draft_of, draft, incident_id="SNOW-1")
                return refusal

            async def written(incident: str, document: bytes) -> str | None:
                _report, refusal = await file_written_report(
                    oc, incident, document, name="报告.pdf"
                )
                return refusal

            window = QtMainWindow(picture, r, confirm_draft=confirm, file_written=written)
            window.resize(1600, 900)
            window.show()
            panel = window.warnings
            window.tabs.setCurrentWidget(panel)
            await _until(lambda: len(picture.warnings) == 2, 20)
            await _until(lambda: panel.table.rowCount() == 2)
            # the one over the city first, then the far one
            assert panel.table.item(0, 1).text() == "衡水市气象台发布暴雪橙色预警信号"
            assert panel.table.item(0, 4).text() == "是" and panel.table.item(1, 4).text() == ""
            panel.table.selectRow(0)
            assert "暴雪" in panel.detail.toPlainText() and panel.confirm_button.isEnabled()
            QTest.mouseClick(panel.confirm_button, Qt.MouseButton.LeftButton)
            await _until(lambda: "SNOW-1" in picture.incidents, 20)
            await _until(lambda: panel.status.text() == "已确认为事件，见事件列表")
            await _until(lambda: not panel.confirm_button.isEnabled())
            assert picture.incidents["SNOW-1"].type_code == "snow_cold"
            sketched = [(37.60, 115.60), (37.62, 115.60), (37.62, 115.63), (37.60, 115.63)]
            report = oc.make(
                SituationReport,
                incident_id="SNOW-1",
                stage="initial",
                title="暴雪初报",
                area=sketched,  # sketched on the scene: drawn on the hall's map too
            )
            assert await oc.submit_and_wait(report, 20) is None
            await _until(lambda: getattr(picture.relay.get("ferry"), "delivered", 0) == 1, 20)
            await _until(lambda: "ferry：已送达 1，无积压" in panel.relay.text())
            # the official report (PDF) filed as a written report goes up with the relay
            window.tabs.setCurrentWidget(window.incidents)
            window.incidents.refresh()
            window.incidents.select("SNOW-1")
            QTest.mouseClick(window.incidents.send_up, Qt.MouseButton.LeftButton)
            await _until(lambda: "书面报告已报送" in window.incidents.exported.text(), 30)
            await _until(lambda: getattr(picture.relay.get("ferry"), "delivered", 0) == 2, 20)
            if isinstance(window.view, QtMapView):
                await _until(lambda: window.view.page_ready, 30)
                counts: list[dict[str, int]] = []

                def drawn() -> bool:
                    window.view.page().runJavaScript(
                        "JSON.stringify(hall.counts())", 0, lambda c: counts.append(json.loads(c))
                    )
                    return bool(counts) and counts[-1]["zones"] == 2

                # the report's sketched area, and the hazard zone of 研判, which follows the
                # incident selected
                await _until(drawn, 30)
                assert counts[-1]["warnings"] == 2
                await page_painted(window.view)
            window.grab().save(str(artifacts / "command-hall-warnings.png"))
            window.close()
        docs = sorted((tmp_path / "ferry").glob("*.xml"), key=lambda p: p.stat().st_mtime)
        assert len(docs) == 2
        dist = read_distribution(parse_untrusted(docs[1].read_bytes(), max_bytes=10**8))
        [pdf] = [c.non_xml for c in dist.contents if c.non_xml is not None]
        assert pdf.mime_type == "application/pdf" and pdf.data is not None
        assert pdf.data.startswith(b"%PDF") and pdf.size == len(pdf.data)

    _run_in_qt(qapp, scenario)
