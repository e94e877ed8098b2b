"""``command-center ctl`` against a real hub process, as a script would use it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.support import running_hub


def _ctl(bundle: Path, *args: str) -> tuple[int, dict[str, object]]:
    res = subprocess.run(
        [sys.executable, "-m", "command_center", "ctl", "--bundle", str(bundle), "--json", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "Traceback" not in res.stderr, res.stderr
    return res.returncode, json.loads(res.stdout.strip().splitlines()[-1])


def test_incident_report_and_order_actions_from_the_command_line(tmp_path: Path) -> None:
    data = tmp_path / "hub"
    data.mkdir()
    with running_hub(data) as hub:
        duty, field = data / "duty.json", data / "field.json"
        for name, role, out in (("duty-1", "duty-officer", duty), ("fire-01", "field", field)):
            assert (
                hub.cli("enroll", "--name", name, "--role", role, "--out", str(out)).returncode == 0
            )

        code, out = _ctl(
            field,
            "incident",
            "declare",
            "--id",
            "HZ-1",
            "--title",
            "氨气泄漏",
            "--lat",
            "37.5",
            "--lon",
            "115.75",
            "--type",
            "hazchem.leak",
            "--dead",
            "3",
            "--division",
            "131121",
        )
        assert (code, out["ok"], out["kind"]) == (0, True, "incident")
        code, out = _ctl(duty, "incident", "show", "HZ-1")
        incident = out["incident"]
        assert code == 0 and incident["level"] == 3  # type: ignore[index]
        assert incident["level_criteria"] == ["死亡 3 ≥ 3（Ⅲ级 较大）"]  # type: ignore[index]

        code, out = _ctl(duty, "incident", "transition", "HZ-1", "--to", "stabilised")
        assert code == 1 and out["code"] == "invalid" and "allowed" in str(out["error"])
        code, out = _ctl(field, "incident", "override", "HZ-1", "--level", "1", "--reason", "x")
        assert code == 1 and out["code"] == "forbidden"
        code, _ = _ctl(duty, "incident", "transition", "HZ-1", "--to", "verified")
        assert code == 0
        code, out = _ctl(
            field, "report", "submit", "--incident", "HZ-1", "--stage", "initial", "--title", "初报"
        )
        assert code == 0
        code, out = _ctl(duty, "order", "issue", "--id", "O-1", "--to", "nobody", "--text", "去")
        assert code == 1 and "no enrolled device named 'nobody'" in str(out["error"])
        code, out = _ctl(duty, "order", "issue", "--id", "O-1", "--to", "fire-01", "--text", "去")
        assert code == 0
        code, out = _ctl(duty, "order", "list")
        assert code == 0 and [o["order_id"] for o in out["items"]] == ["O-1"]  # type: ignore[union-attr, index]
        code, out = _ctl(duty, "incident", "list")
        assert [i["incident_id"] for i in out["items"]] == ["HZ-1"]  # type: ignore[union-attr, index]
        code, out = _ctl(duty, "alarms")
        assert code == 0 and out["items"] == []

        # Plain (non-JSON) output for people: stored, then refused.
        close = [
            sys.executable,
            "-m",
            "command_center",
            "ctl",
            "--bundle",
            str(duty),
            "incident",
            "close",
            "HZ-1",
            "--reason",
            "处置完毕",
        ]
        res = subprocess.run(close, capture_output=True, text=True, timeout=60)
        assert res.returncode == 0 and res.stdout.startswith("stored (incident_close ")
        res = subprocess.run(close, capture_output=True, text=True, timeout=60)
        assert res.returncode == 1 and "refused: not_found no open incident 'HZ-1'" in res.stderr


def test_a_missing_hub_and_a_bad_bundle_are_explained(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    res = subprocess.run(
        [sys.executable, "-m", "command_center", "ctl", "--bundle", str(bad), "alarms"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 2 and "not a key bundle" in res.stderr
