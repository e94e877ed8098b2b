"""``field-unit window``: the field or liaison window, with its position source."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from shared.gps import Fix, GpsError, read_file, read_gpsd, read_serial, simulated

GPS_KINDS = "sim, nmea:FILE, serial:PORT[:BAUD], gpsd[:HOST[:PORT]] or none"


def position_source(spec: str) -> AsyncIterator[Fix] | None:
    """``sim``, ``nmea:FILE``, ``serial:PORT[:BAUD]``, ``gpsd[:HOST[:PORT]]`` or ``none``.

    Raises:
        ValueError: an unknown kind (the message lists the known ones).
    """
    kind, _, rest = spec.partition(":")
    if kind == "none":
        return None
    if kind == "sim":
        return simulated()
    if kind == "nmea":
        return read_file(Path(rest), pace_s=0.2)
    if kind == "serial":
        port, _, baud = rest.partition(":")
        return read_serial(port, int(baud or 4800))
    if kind == "gpsd":
        host, _, port_text = rest.partition(":")
        return read_gpsd(host or "127.0.0.1", int(port_text or 2947))
    raise ValueError(
        f"--gps {spec!r}: use sim, nmea:FILE, serial:PORT[:BAUD], gpsd[:HOST:PORT] or none"
    )


def run_window(
    bundle_path: Path | None,
    *,
    data_dir: Path,
    gps: str = "none",
    theme: str = "day",
    screenshot: Path | None = None,
    seconds: float = 0.0,
    ready_json: bool = False,
    every_s: float = 5.0,
    min_distance_m: float = 20.0,
    camera: str = "none",
    mic: str = "none",
) -> int:
    """Open the window (the first-run wizard when no bundle is known yet)."""
    import qasync
    from PySide6.QtWidgets import QApplication

    from field_unit.app.qt_field_window import QtFieldWindow
    from field_unit.app.wizard import QtSetupWizard, explain
    from shared.field import FieldSession
    from shared.identity import BundleError, load_bundle

    source = position_source(gps)
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    stored = data_dir / "bundle.json"
    path = bundle_path or stored
    if bundle_path is not None and not bundle_path.exists():
        print(f"field-unit: no key bundle at {bundle_path}", file=sys.stderr)
        return 2
    if not path.exists():  # first run: the wizard
        wizard = QtSetupWizard(stored)
        wizard.show()
        done = asyncio.Event()
        wizard.finished.connect(lambda _code: done.set())
        loop.run_until_complete(done.wait())
        if wizard.bundle is None:
            print("field-unit: no key bundle imported", file=sys.stderr)
            return 2
    try:
        bundle = load_bundle(path)
    except BundleError as exc:
        print(f"field-unit: {explain(exc)}", file=sys.stderr)
        return 2
    from shared.gps import SendFilter

    send_filter = SendFilter(
        interval_s=every_s, min_distance_m=min_distance_m, max_silence_s=max(30.0, every_s)
    )
    session = FieldSession(bundle, data_dir, send_filter=send_filter)
    window = QtFieldWindow(session, theme=theme)
    window.resize(1366, 768)
    window.show()
    if ready_json:  # the benchmark's cold-start figure: process start → window drawn
        import json
        import time

        import psutil

        app.processEvents()
        started = psutil.Process().create_time()
        print(json.dumps({"ready_s": round(time.time() - started, 3)}), flush=True)

    media: list[Any] = []

    async def main() -> None:
        await session.start()
        # the media stack after the window is up: the window starts as fast as before
        from shared.field.media import FieldMedia
        from shared.media.sources import SourceError

        try:
            fm = FieldMedia(session, camera=camera, mic=mic)
        except SourceError as exc:
            window.voice.message.setText(str(exc))
            fm = FieldMedia(session)
        fm.start()
        media.append(fm)
        window.voice.attach(fm)
        follower = (
            asyncio.get_running_loop().create_task(session.follow(source)) if source else None
        )
        try:
            if seconds:
                await asyncio.sleep(seconds)
                if screenshot is not None:
                    window.grab().save(str(screenshot))
                return
            closed = asyncio.Event()
            app.lastWindowClosed.connect(closed.set)
            await closed.wait()
        finally:
            if follower is not None:
                follower.cancel()
            window.voice.close_tasks()
            for m in media:
                await m.aclose()
            await session.aclose()

    try:
        loop.run_until_complete(main())
    except GpsError as exc:
        print(f"field-unit: {exc}", file=sys.stderr)
        return 1
    finally:
        window.close()
    return 0
