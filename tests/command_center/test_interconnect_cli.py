"""The interconnection commands as an operator runs them: a test PKI, the provincial
simulator as its own process, a hub process relaying to it, the queue status."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from tests.support import ctl as _ctl
from tests.support import free_ports, running_hub

CC = [sys.executable, "-m", "command_center"]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CC, *args], capture_output=True, text=True, timeout=60)


def test_a_report_travels_from_ctl_through_a_hub_process_to_the_province_process(
    tmp_path: Path,
) -> None:
    pki = tmp_path / "pki"
    made = _run("pki", "init", str(pki))
    assert made.returncode == 0, made.stderr
    assert [json.loads(line)["role"] for line in made.stdout.splitlines()] == [
        "ca",
        "province",
        "city",
        "intake",
    ]
    port = free_ports(1)[0]
    record = tmp_path / "province"
    sim = subprocess.Popen(
        [
            *CC,
            "province-sim",
            "--listen",
            f"127.0.0.1:{port}",
            "--record",
            str(record),
            "--pki",
            str(pki),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert sim.stdout is not None
        ready = json.loads(sim.stdout.readline())
        assert ready == {"ready": True, "url": f"https://127.0.0.1:{port}/edxl"}
        data = tmp_path / "hub"
        data.mkdir()
        relay = (
            "--relay-url",
            ready["url"],
            "--relay-ca",
            str(pki / "ca.crt"),
            "--relay-cert",
            str(pki / "city.crt"),
            "--relay-key",
            str(pki / "city.key"),
            "--relay-drop",
            str(tmp_path / "ferry"),
        )
        with running_hub(data, serve_args=relay) as hub:
            duty = data / "duty.json"
            assert (
                hub.cli(
                    "enroll", "--name", "duty-1", "--role", "duty-officer", "--out", str(duty)
                ).returncode
                == 0
            )
            code, _ = _ctl(
                duty,
                "incident",
                "declare",
                "--id",
                "HZ-9",
                "--title",
                "氨气泄漏",
                "--lat",
                "37.7",
                "--lon",
                "115.7",
                "--type",
                "hazchem.leak",
                "--division",
                "131102",
            )
            assert code == 0
            code, _ = _ctl(
                duty,
                "report",
                "submit",
                "--incident",
                "HZ-9",
                "--stage",
                "initial",
                "--title",
                "储罐泄漏",
            )
            assert code == 0
            log = record / "log.jsonl"
            for _ in range(500):
                if log.exists() and log.read_text().strip():
                    break
                time.sleep(0.02)
            [entry] = [json.loads(line) for line in log.read_text().splitlines()]
            assert entry["valid"] and entry["type"] == "Report" and entry["incident"] == "HZ-9"
            assert entry["peer"] == "131100.emergency.hengshui"
            for _ in range(200):
                status = hub.cli("relay", "status")
                rows = [json.loads(line) for line in status.stdout.splitlines()]
                if rows and all(r["delivered"] == 1 for r in rows):
                    break
                time.sleep(0.05)
            assert {r["destination"]: (r["queued"], r["delivered"]) for r in rows} == {
                "province": (0, 1),
                "drop": (0, 1),
            }
            assert rows[1]["last_ack"].startswith("ACK-")
    finally:
        sim.terminate()
        sim.wait(10)
    assert sim.returncode == 0


def test_unusable_settings_are_explained(tmp_path: Path) -> None:
    res = _run("province-sim", "--record", str(tmp_path / "r"))
    assert res.returncode == 4 and "give --pki DIR" in res.stderr and "Traceback" not in res.stderr
    res = _run("province-sim", "--record", str(tmp_path / "r"), "--pki", str(tmp_path / "none"))
    assert res.returncode == 4 and "unusable" in res.stderr
    data = tmp_path / "hub"
    res = _run(
        "serve",
        "--data-dir",
        str(data),
        "--listen",
        "127.0.0.1:0",
        "--relay-url",
        "https://127.0.0.1:1/edxl",
    )
    assert res.returncode == 4 and "ca file '' not found" in res.stderr, res.stderr


def test_exchange_bundles_from_the_command_line(tmp_path: Path) -> None:
    src, dst = tmp_path / "src", tmp_path / "dst"
    src.mkdir()
    dst.mkdir()
    with running_hub(src) as a:
        duty = src / "duty.json"
        assert (
            a.cli(
                "enroll", "--name", "duty-1", "--role", "duty-officer", "--out", str(duty)
            ).returncode
            == 0
        )
        code, _ = _ctl(
            duty,
            "incident",
            "declare",
            "--id",
            "FX-1",
            "--title",
            "大雾致连环追尾",
            "--lat",
            "37.6",
            "--lon",
            "115.9",
            "--type",
            "road_traffic",
        )
        assert code == 0
        photo = tmp_path / "scene.jpg"
        photo.write_bytes(b"\xff\xd8" + bytes(range(256)) * 100)
        code, _ = _ctl(
            duty,
            "report",
            "submit",
            "--incident",
            "FX-1",
            "--stage",
            "initial",
            "--title",
            "初报",
            "--attach",
            str(photo),
        )
        assert code == 0
    key = _run("exchange", "key", "--data-dir", str(src))
    assert key.returncode == 0 and key.stdout.startswith("-----BEGIN PUBLIC KEY-----")
    pub = tmp_path / "src.pub"
    pub.write_text(key.stdout)
    out = tmp_path / "FX-1.hsx"
    res = _run("exchange", "export", "FX-1", "--out", str(out), "--data-dir", str(src))
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["files"] == 2
    res = _run("exchange", "verify", str(out), "--trust", str(pub))
    line = json.loads(res.stdout)
    assert (
        res.returncode == 0
        and line["accepted"]
        and line["reports"] == 1
        and line["attachments"] == 1
    )
    res = _run("exchange", "verify", str(out), "--trust", str(tmp_path))  # a folder of keys
    assert res.returncode == 0
    with running_hub(dst) as b:
        officer = dst / "duty.json"
        assert (
            b.cli(
                "enroll", "--name", "duty-9", "--role", "duty-officer", "--out", str(officer)
            ).returncode
            == 0
        )
        res = _run(
            "exchange",
            "import",
            str(out),
            "--trust",
            str(pub),
            "--bundle",
            str(officer),
            "--outbox",
            str(tmp_path / "imp.db"),
        )
        assert res.returncode == 0, res.stderr + res.stdout
        assert json.loads(res.stdout)["imported"] is True
        code, shown = _ctl(officer, "incident", "show", "FX-1")
        assert code == 0 and shown["incident"]["title"] == "大雾致连环追尾"  # type: ignore[index]
    damaged = tmp_path / "damaged.hsx"
    damaged.write_bytes(out.read_bytes()[:-40])
    res = _run("exchange", "verify", str(damaged), "--trust", str(pub))
    assert res.returncode == 1 and json.loads(res.stdout)["accepted"] is False
    assert "Traceback" not in res.stderr
