"""``command-center`` administration commands, run as a person would."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.conftest import HubHandle
from tests.support import HubProcess


def test_enroll_revoke_and_audit_verify(tmp_path: Path) -> None:
    hub = HubProcess(tmp_path)
    out = tmp_path / "fire.json"
    res = hub.cli("enroll", "--name", "fire-01", "--role", "field", "--out", str(out))
    assert res.returncode == 0 and out.exists(), res.stderr
    res = hub.cli("enroll", "--name", "fire-01", "--role", "field", "--out", str(out))
    assert res.returncode == 4 and "already enrolled" in res.stderr
    res = hub.cli("enroll", "--name", "x", "--role", "emperor", "--out", str(out))
    assert res.returncode != 0 and "emperor" in res.stderr
    assert hub.cli("revoke", "fire-01", "--reason", "lost").returncode == 0
    assert "revoked" in hub.cli("devices").stdout
    res = hub.cli("audit", "verify")
    assert res.returncode == 0 and "intact: 2 entries" in res.stdout

    db = sqlite3.connect(tmp_path / "hub.db")
    db.execute("UPDATE audit_log SET actor = 'someone-else' WHERE seq = 1")
    db.commit()
    db.close()
    res = hub.cli("audit", "verify")
    assert res.returncode == 3
    assert "entry 1" in res.stderr and "edited" in res.stderr


def test_bad_config_and_db_are_explained(tmp_path: Path) -> None:
    cfg = tmp_path / "hub.toml"
    cfg.write_text("[hub]\nrequest_port = 'seven'\n")
    hub = HubProcess(tmp_path)
    res = hub.cli("devices", "--config", str(cfg))
    assert res.returncode == 4 and "request_port" in res.stderr and "Traceback" not in res.stderr
    cfg.write_text("[hub]\nnonsense = 1\n")
    res = hub.cli("devices", "--config", str(cfg))
    assert res.returncode == 4 and "nonsense" in res.stderr
    from shared.hub.service import hub_public_key

    hub_public_key(tmp_path)  # a hub's folder (its keys) whose database server is away
    res = HubProcess(tmp_path, db="postgresql+psycopg://x@127.0.0.1:1/none").cli("devices")
    assert res.returncode == 4 and "cannot reach the database" in res.stderr


def test_enroll_can_show_the_bundle_as_a_qr_code(tmp_path: Path) -> None:
    import segno

    hub = HubProcess(tmp_path)
    out, qr = tmp_path / "team.json", tmp_path / "team.svg"
    res = hub.cli(
        "enroll", "--name", "team-9", "--role", "field", "--out", str(out), "--qr", str(qr)
    )
    assert res.returncode == 0, res.stderr
    assert "holds the secret key" in res.stdout
    expected = tmp_path / "expected.svg"
    segno.make(out.read_text("utf-8"), error="m").save(str(expected), scale=6, border=4)
    assert qr.read_bytes() == expected.read_bytes()  # exactly the bundle file's text


def test_the_window_takes_media_options_and_explains_bad_ones(
    hub: HubHandle, tmp_path: Path
) -> None:
    """--mic/--recordings/--keep-days/--turn… parse; a TURN setting without its password, or
    relay-only without a TURN server, stops before the window opens, saying why."""
    import subprocess
    import sys

    from command_center.cli import build_parser

    args = build_parser().parse_args(
        [
            "window",
            "--bundle",
            "b.json",
            "--mic",
            "alsa:default",
            "--recordings",
            "r",
            "--keep-days",
            "7",
            "--turn",
            "turn:10.0.0.5:3478",
            "--turn-user",
            "hall",
            "--turn-only",
        ]
    )
    assert (args.mic, args.keep_days, args.turn, args.turn_only) == (
        "alsa:default",
        7.0,
        "turn:10.0.0.5:3478",
        True,
    )
    bundle = tmp_path / "b.json"
    hub.enroll("hall-1", "leader").save(bundle)
    for extra, words in (
        (["--turn", "turn:10.0.0.5:3478", "--turn-user", "hall"], "user name and password"),
        (["--turn-only"], "needs a TURN server"),
    ):
        res = subprocess.run(
            [sys.executable, "-m", "command_center", "window", "--bundle", str(bundle), *extra],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert res.returncode == 4 and words in res.stderr, res.stderr
