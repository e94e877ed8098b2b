"""Starting the command-hall window inside Qt's event loop (asyncio through qasync)."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import traceback
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import platformdirs
import qasync
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from command_center.app import i18n
from command_center.app.qt_main_window import QtMainWindow
from command_center.map.qt_map_view import prepare_webengine, render_choice
from shared.client import (
    HubClient,
    Replica,
    SituationPicture,
    UploadError,
    act,
    confirm_draft,
    file_written_report,
    issue_order,
    new_incident_id,
    read_record,
    respond,
    take_call,
    write_duty_log,
)
from shared.identity import BundleError, load_bundle
from shared.protocol import EmergencyAck, IncidentDeclare, IncidentDraft, Message

log = logging.getLogger(__name__)


def _install_excepthook() -> None:
    """Slot exceptions end here: log them instead of dying silently."""

    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        log.error(
            "unhandled error in the window: %s", "".join(traceback.format_exception(kind, exc, tb))
        )

    sys.excepthook = hook


def run_window(
    bundle_path: Path,
    *,
    screenshot: Path | None = None,
    seconds: float = 0.0,
    expect_units: int = 0,
    screen: int | None = None,
    full_screen: bool = False,
    desk_screen: int | None = None,
    lang: str = "zh",
    render: str = "auto",
    mic: str = "none",
    recordings: Path | None = None,
    keep_days: float = 30.0,
    turn: tuple[str | None, str, str] = (None, "", ""),
    turn_only: bool = False,
) -> int:
    """Open the window for ``bundle_path``'s identity; with ``seconds``, grab a screenshot
    (if asked) and close after that long — and after ``expect_units`` units are drawn on the
    map (a slow or busy machine takes longer to get there; five minutes at most)."""
    try:
        bundle = load_bundle(bundle_path)
    except BundleError as exc:
        print(f"command-center: {exc}", file=sys.stderr)
        return 4  # exits.BAD_INPUT
    if turn[0] or turn_only:
        from shared.media.agent import MediaError, ice_servers, peer_config

        try:
            peer_config(ice_servers(*turn), relay_only=turn_only)
        except MediaError as exc:
            print(f"command-center: {exc}", file=sys.stderr)
            return 4  # exits.BAD_INPUT
    _install_excepthook()
    if QApplication.instance() is None:
        prepare_webengine(render)
    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    try:
        i18n.install(app, lang)
    except LookupError as exc:
        print(f"command-center: {exc}; showing Chinese", file=sys.stderr)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    picture = SituationPicture()
    replica = Replica(bundle)
    replica.listeners.append(picture.on_update)
    outbox = Path(platformdirs.user_data_dir("hengshui-command-hall")) / f"{bundle.device}.db"
    outbox.parent.mkdir(parents=True, exist_ok=True)
    client = HubClient(bundle, outbox)

    async def issue(recipient: str, text: str, incident: str | None) -> str | None:
        _order_id, refusal = await issue_order(client, recipient, text, incident)
        return refusal

    async def respond_to(incident: str, action: str, level: int | None) -> str | None:
        return await respond(client, incident, action, level)

    async def write_log(text: str, category: str) -> str | None:
        return await write_duty_log(client, text, category)

    async def confirm(draft_of: str, draft: IncidentDraft) -> str | None:
        _incident, refusal = await confirm_draft(client, draft_of, draft)
        return refusal

    async def written(incident: str, document: bytes) -> str | None:
        try:
            _report, refusal = await file_written_report(
                client, incident, document, name=f"突发事件信息报告-{incident}.pdf"
            )
        except UploadError as exc:
            return str(exc)
        return refusal

    async def ack(alert_id: str) -> str | None:
        error = await client.submit_and_wait(client.make(EmergencyAck, alert_id=alert_id), 10)
        return None if error is None else error.detail

    async def act_on(kind: type[Message], **fields: Any) -> str | None:
        return await act(client, kind, **fields)

    async def call_taken(
        fields: dict[str, Any], *, source: str, caller: str, phone: str, text: str
    ) -> tuple[bool, str | None]:
        declare = client.make(IncidentDeclare, **fields)
        return await take_call(
            client, declare, source=source, caller=caller, phone=phone, text=text
        )

    hall_media: list[Any] = []

    def media() -> tuple[Any, Path | None]:
        from command_center.app.media_setup import hall_media_for

        folder = (
            recordings or Path(platformdirs.user_data_dir("hengshui-command-hall")) / "recordings"
        )
        made, notes = hall_media_for(
            client,
            replica,
            picture,
            folder,
            mic=mic,
            keep_days=keep_days,
            turn=turn,
            turn_only=turn_only,
        )
        for note in notes:
            print(f"command-center: {note}", file=sys.stderr)
        hall_media.append(made)
        return made, folder

    window = QtMainWindow(
        picture,
        replica,
        media=media,
        ack_emergency=ack,
        issue_order=issue,
        respond=respond_to,
        write_log=write_log,
        confirm_draft=confirm,
        file_written=written,
        act=act_on,
        take_call=call_taken,
        new_incident_id=lambda: new_incident_id(datetime.now(UTC)),
        read_record=lambda incident_id: read_record(client, incident_id),
    )
    window.link_state = lambda: client.state
    window.hub_address = bundle.endpoints.request
    settings = QSettings("Hengshui", "CommandHall")
    if window.restore_layout(settings):
        window.show()
    else:  # first start: the whole screen (the hall is a wall display), not a small window
        primary = app.primaryScreen()
        if primary is not None:
            window.resize(primary.availableGeometry().size())
        window.showMaximized()
    problem = None
    if desk_screen is not None:
        problem = window.split_screens((screen or 1) - 1, desk_screen - 1)
    elif screen is not None or full_screen:
        problem = window.place_on_screen((screen or 1) - 1, full_screen=full_screen)
    if problem:
        print(f"command-center: {problem}", file=sys.stderr)
    app.aboutToQuit.connect(lambda: window.save_layout(settings))

    async def main() -> None:
        await client.start()
        await replica.start()
        if seconds > 0:
            await asyncio.sleep(seconds)
            waited = 0.0
            while window.view.unit_count() < expect_units and waited < 300:
                await asyncio.sleep(0.1)
                waited += 0.1
            if screenshot is not None:
                screenshot.parent.mkdir(parents=True, exist_ok=True)
                window.grab().save(str(screenshot))
                print(f"screenshot written to {screenshot}")
            shown = {
                "units": len(picture.units),
                "incidents": len(picture.incidents),
                "drawn": window.view.unit_count(),
                "problem": window.problem.text(),
                "rows": window.table.rowCount(),
                "synced": replica.synced.is_set(),
                "render": (render_choice() or ("unknown", ""))[0],
            }
            print(json.dumps(shown), flush=True)
            if window.video_wall is not None:
                window.video_wall.close_tasks()
            for m in hall_media:
                await m.aclose()
            await replica.aclose()
            await client.aclose()
            return
        closed = asyncio.Event()
        app.aboutToQuit.connect(closed.set)
        await closed.wait()
        if window.video_wall is not None:
            window.video_wall.close_tasks()
        for m in hall_media:
            await m.aclose()
        await replica.aclose()
        await client.aclose()

    with loop:
        loop.run_until_complete(main())
    # Tear down in a fixed order while the interpreter is still whole: leaving Qt objects to
    # the garbage collector at exit has crashed PySide6 6.12 on Python 3.11 (none_dealloc).
    window.close()
    window.deleteLater()
    app.processEvents()
    return 0
