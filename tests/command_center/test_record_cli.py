"""The record's administration, used as a person would from the command line: one hub per
data folder, no blessing of a mistyped folder, validity days, the CA kept, JSON everywhere,
one exit-code table."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from command_center import exits
from tests.support import HubProcess, free_ports, running_hub


def _cc(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "command_center", *args], capture_output=True, text=True, timeout=60
    )


def test_a_second_hub_on_one_data_folder_is_refused_and_touches_nothing(tmp_path: Path) -> None:
    data = tmp_path / "hub"
    data.mkdir()
    with running_hub(data) as hub:
        info = json.loads((data / "hub.json").read_text("utf-8"))
        port = free_ports(3)[0]
        second = _cc("serve", "--data-dir", str(data), "--listen", f"127.0.0.1:{port}")
        assert second.returncode == exits.HUB_RUNNING, second.stderr
        assert f"pid {hub.proc.pid}" in second.stderr and info["endpoints"]["request"] in (
            second.stderr
        )
        assert "Traceback" not in second.stderr
        # the running hub's hub.json is untouched: enrolment writes its endpoints
        assert json.loads((data / "hub.json").read_text("utf-8")) == info
        out = tmp_path / "team.json"
        res = hub.cli("enroll", "--name", "team-1", "--role", "field", "--out", str(out), "--json")
        assert res.returncode == exits.OK, res.stderr
        assert json.loads(res.stdout)["endpoints"] == info["endpoints"]
    assert not (data / "hub.json").exists()  # the hub that wrote it removed it at stop


def test_admin_commands_refuse_a_folder_that_holds_no_hub(tmp_path: Path) -> None:
    typo = tmp_path / "hub-dta"
    for args in (("audit", "verify"), ("devices",), ("revoke", "x"), ("relay", "status")):
        res = _cc(*args, "--data-dir", str(typo))
        assert res.returncode == exits.NO_HUB, (args, res.stdout, res.stderr)
        assert f"no hub in {typo}" in res.stderr and "hub.db" in res.stderr
        assert "intact" not in res.stdout
    assert not typo.exists()  # nothing was created
    home = tmp_path / "home"  # a folder with other things in it is not a new hub's folder
    home.mkdir()
    (home / "notes.txt").write_text("x")
    res = _cc("enroll", "--data-dir", str(home), "--name", "a", "--role", "field", "--out", "a")
    assert res.returncode == exits.NO_HUB and not (home / "hub.db").exists()


def test_validity_days_and_json_answers(tmp_path: Path) -> None:
    hub = HubProcess(tmp_path / "hub")
    out = tmp_path / "t.json"
    for days in ("-1", "0", "5000", "abc"):
        res = hub.cli(
            "enroll", "--name", "t", "--role", "field", "--out", str(out), "--valid-days", days
        )
        assert res.returncode == exits.BAD_INPUT and "days" in res.stderr, res.stderr
        assert not out.exists()
    res = hub.cli("enroll", "--name", "t", "--role", "field", "--out", str(out), "--json")
    assert res.returncode == exits.OK and json.loads(res.stdout)["expires"] is not None
    res = hub.cli("enroll", "--name", "u", "--role", "field", "--out", str(out), "--no-expiry")
    assert res.returncode == exits.OK, res.stderr
    res = hub.cli("revoke", "t", "--json")
    assert json.loads(res.stdout) == {"ok": True, "revoked": "t"}
    devices = [json.loads(line) for line in hub.cli("devices", "--json").stdout.splitlines()]
    assert {(d["device"], d["state"]) for d in devices} == {("t", "revoked"), ("u", "active")}
    res = hub.cli("audit", "verify", "--json")
    assert res.returncode == exits.OK and json.loads(res.stdout)["ok"] is True
    res = hub.cli("enroll", "--name", "t", "--role", "emperor", "--out", str(out))
    assert res.returncode == exits.BAD_INPUT  # a usage error is not "no answer from the hub"


def test_pki_init_keeps_a_ca_without_force(tmp_path: Path) -> None:
    pki = tmp_path / "pki"
    assert _cc("pki", "init", str(pki)).returncode == exits.OK
    ca = (pki / "ca.crt").read_bytes()
    res = _cc("pki", "init", str(pki))
    assert res.returncode == exits.BAD_INPUT and "--force" in res.stderr
    assert (pki / "ca.crt").read_bytes() == ca
    res = _cc("pki", "init", str(pki), "--force", "--department", "fire.dept.hengshui")
    assert res.returncode == exits.OK
    assert (pki / "ca.crt").read_bytes() != ca
    from cryptography import x509

    def cn(stem: str) -> str:
        cert = x509.load_pem_x509_certificate((pki / f"{stem}.crt").read_bytes())
        return str(cert.subject.rfc4514_string())

    # a department's client certificate, and the intake's own (not the province's)
    assert "CN=fire.dept.hengshui" in cn("fire")
    assert "CN=intake.131100.emergency.hengshui" in cn("intake")


def test_the_exit_codes_are_documented() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "record-integrity.md").read_text()
    for code, name in exits.NAMES.items():
        assert f"| {code} | {name} |" in doc, (code, name)


def test_a_revoked_device_is_told_so_and_a_missing_hub_is_not_called_a_refusal(
    tmp_path: Path,
) -> None:
    data = tmp_path / "hub"
    data.mkdir()
    bundle = tmp_path / "duty.json"
    with running_hub(data) as hub:
        res = hub.cli("enroll", "--name", "duty-9", "--role", "duty-officer", "--out", str(bundle))
        assert res.returncode == exits.OK, res.stderr
        assert hub.cli("revoke", "duty-9", "--reason", "laptop lost").returncode == exits.OK
        res = _cc("ctl", "--bundle", str(bundle), "--timeout", "20", "incident", "list")
        assert res.returncode == exits.REFUSED, (res.stdout, res.stderr)
        assert "refuses this device's key" in res.stderr and "revoked" in res.stderr
    res = _cc("ctl", "--bundle", str(bundle), "--timeout", "1", "incident", "list")
    assert res.returncode == exits.NO_ANSWER and "is it running" in res.stderr


def test_a_port_in_use_is_named_not_a_traceback(tmp_path: Path) -> None:
    import socket

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        res = _cc("serve", "--data-dir", str(tmp_path / "hub"), "--listen", f"127.0.0.1:{port}")
    assert res.returncode == exits.BAD_INPUT, res.stderr
    assert f"cannot listen on tcp://127.0.0.1:{port}" in res.stderr
    assert "Traceback" not in res.stderr


async def test_re_keying_a_revoked_device_keeps_what_it_queued(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from shared.client import HubClient
    from shared.identity import load_bundle
    from shared.protocol import PositionReport

    data = tmp_path / "hub"
    data.mkdir()
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    outbox = tmp_path / "outbox.db"
    with running_hub(data) as hub:
        res = hub.cli("enroll", "--name", "county-x", "--role", "county", "--out", str(old))
        assert res.returncode == exits.OK
        assert hub.cli("revoke", "county-x", "--reason", "key leaked").returncode == exits.OK
        async with HubClient(load_bundle(old), outbox) as c:  # refused: everything stays queued
            made = [
                c.make(
                    PositionReport,
                    unit_id=f"U-{i}",
                    lat=37.7,
                    lon=115.7,
                    fix_time=datetime.now(UTC),
                )
                for i in range(20)
            ]
            await c.submit(*made)
            assert c.queued() == 20
        res = hub.cli("enroll", "--name", "county-x", "--role", "county", "--out", str(new))
        assert res.returncode == exits.OK, res.stderr  # re-keyed under its name
        async with HubClient(load_bundle(new), outbox) as c:
            await c.wait_online(10)
            assert await c.drain(20)
            held = await c.query_inbox([m.id for m in made])
        assert held == {m.id: 1 for m in made}
        res = hub.cli("audit", "verify")
        assert res.returncode == exits.OK


def test_setting_only_the_request_port_moves_all_three(tmp_path: Path) -> None:
    cfg = tmp_path / "hub.toml"
    cfg.write_text("[hub]\nrequest_port = 9701\n", "utf-8")
    hub = HubProcess(tmp_path / "hub")
    out = tmp_path / "t.json"
    res = hub.cli(
        "enroll",
        "--config",
        str(cfg),
        "--name",
        "t",
        "--role",
        "field",
        "--out",
        str(out),
        "--json",
    )
    assert res.returncode == exits.OK, res.stderr
    assert json.loads(res.stdout)["endpoints"] == {
        "request": "tcp://127.0.0.1:9701",
        "publish": "tcp://127.0.0.1:9702",
        "snapshot": "tcp://127.0.0.1:9703",
    }
