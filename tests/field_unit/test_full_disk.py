"""A full disk while the field unit is offline: a photo that no longer fits is refused with
a message that says what to do, and everything queued before it is kept and still sent.

The disk is made "full" for real with a file-size limit (RLIMIT_FSIZE) on a child process:
SQLite's writes past the limit fail as they would on a full disk."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any


def test_a_full_disk_refuses_the_new_photo_and_keeps_what_was_queued(
    hub: Any, tmp_path: Path
) -> None:
    team = hub.enroll("team-07", "field")
    bundle_file = tmp_path / "team.json"
    team.save(bundle_file)

    async def declare_incident() -> None:
        from shared.client import HubClient
        from tests.support import declare

        async with HubClient(team, tmp_path / "declare.db") as c:
            await c.wait_online(10)
            await declare(c, "X-1")

    import asyncio

    asyncio.run(declare_incident())
    script = textwrap.dedent(
        f"""
        import asyncio, json, resource, signal, sys
        from pathlib import Path
        from shared.field import FieldError, FieldSession
        from shared.identity import load_bundle

        async def main():
            bundle = load_bundle(Path({str(bundle_file)!r}))
            session = FieldSession(bundle, Path({str(tmp_path / "field")!r}))
            small = Path({str(tmp_path / "small.jpg")!r}); small.write_bytes(b"\\xff" * 20_000)
            big = Path({str(tmp_path / "big.jpg")!r}); big.write_bytes(b"\\xee" * 3_000_000)
            session.max_attachment_bytes = 1_000_000
            try:  # over the size limit: refused before anything is queued
                await session.send_report(
                    "X-1", "initial", "too big", {{"what": "a", "where": "b"}}, files=[big])
                oversize = ""
            except FieldError as exc:
                oversize = str(exc)
            session.max_attachment_bytes = 32 * 1024 * 1024
            first = await session.send_report(
                "X-1", "initial", "first", {{"what": "a", "where": "b"}}, files=[small])
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (1_000_000, 1_000_000))
            try:
                await session.send_report(
                    "X-1", "follow_up", "second", {{"what": "c"}}, files=[big])
                refused = ""
            except FieldError as exc:
                refused = str(exc)
            queued = session.client.queued()
            print(json.dumps({{"first": first, "refused": refused, "queued": queued,
                              "oversize": oversize}}))
            await session.aclose()

        asyncio.run(main())
        """
    )
    res = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert "超过 1 MB 上限" in out["oversize"] and "请压缩" in out["oversize"]
    assert "free disk space" in out["refused"] and "already queued is kept" in out["refused"]
    assert out["queued"] >= 2  # the small photo's chunk and the first report, still there

    # with room again, the queued report reaches the hub, once
    import asyncio

    from shared.field import FieldSession
    from shared.store.models import Report
    from tests.support import until

    async def flush() -> None:
        session = FieldSession(team, tmp_path / "field")
        await session.start()
        try:
            await until(lambda: session.client.queued() == 0, 20)
        finally:
            await session.aclose()

    asyncio.run(flush())
    from sqlalchemy import select

    with hub.engine.connect() as conn:
        titles = conn.execute(select(Report.msg_id, Report.title)).all()
    assert [(r[0], r[1]) for r in titles] == [(out["first"], "first")]
