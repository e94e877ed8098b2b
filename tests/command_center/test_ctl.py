"""``command-center ctl`` against a real hub process, as a script would use it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.support import ctl as _ctl
from tests.support import running_hub


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
        assert res.returncode == 0 and res.stdout.startswith("stored: incident_close ")
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
    assert res.returncode == 4 and "not a key bundle" in res.stderr


def test_seed_assess_respond_and_keep_duty_from_the_command_line(tmp_path: Path) -> None:
    data = tmp_path / "hub"
    data.mkdir()
    with running_hub(data) as hub:
        bundles = {}
        for name, role in (
            ("leader-1", "leader"),
            ("duty-1", "duty-officer"),
            ("fire-01", "field"),
            ("liaison-fire", "liaison"),
            ("gauge-gw", "sensor"),
        ):
            bundles[name] = data / f"{name}.json"
            res = hub.cli("enroll", "--name", name, "--role", role, "--out", str(bundles[name]))
            assert res.returncode == 0, res.stderr
        leader, duty, field = bundles["leader-1"], bundles["duty-1"], bundles["fire-01"]

        seed = subprocess.run(
            [sys.executable, "-m", "command_center", "seed-demo", "--bundle", str(duty), "--json"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert seed.returncode == 0, seed.stderr
        seeded = json.loads(seed.stdout)
        assert seeded["resources"] == 105 and seeded["by_type"]["shelter"] == 11
        code, out = _ctl(duty, "resource", "list", "--type", "shelter")
        assert code == 0 and len(out["items"]) == 11  # type: ignore[arg-type]
        assert all(s["sample"] for s in out["items"])  # type: ignore[union-attr]

        # A leak at the (fictional) Zaoqiang chemical park, with an area drawn around it.
        area = "37.535,115.725;37.535,115.75;37.555,115.75;37.555,115.725"
        code, out = _ctl(
            field, "incident", "declare", "--id", "HZ-1", "--title", "氨气泄漏", "--lat",
            "37.5445", "--lon", "115.7367", "--type", "hazchem.leak", "--dead", "3",
            "--area", area, "--occurred", "2026-11-25T09:10:00+08:00",
        )  # fmt: skip
        assert code == 0, out
        bowtie = "37.535,115.725;37.555,115.75;37.535,115.75;37.555,115.725"
        code, out = _ctl(
            field, "incident", "declare", "--id", "HZ-2", "--title", "x", "--lat", "37.498",
            "--lon", "115.741", "--area", bowtie,
        )  # fmt: skip
        assert code == 1 and "self-intersection" in str(out["error"])
        photo = tmp_path / "现场.jpg"
        photo.write_bytes(bytes(range(256)) * 2000)
        code, out = _ctl(
            field, "report", "submit", "--incident", "HZ-1", "--stage", "initial", "--title",
            "初报", "--source", "phone", "--author", "赵队长", "--attach", str(photo),
        )  # fmt: skip
        assert code == 0 and out["attachments"][0]["size"] == 512_000  # type: ignore[index]
        code, out = _ctl(
            field, "report", "submit", "--incident", "HZ-1", "--stage", "follow_up", "--title",
            "续报", "--attach", str(tmp_path / "missing.jpg"),
        )  # fmt: skip
        assert code == 4 and "no such file" in str(out["error"])

        code, out = _ctl(duty, "assess", "HZ-1", "--wind-from", "0", "--wind-speed", "4")
        assert code == 0, out
        result = out["assessment"]
        assert result["zone_model"] == "plume"  # type: ignore[index]
        assert "CHEM-131121" in result["facilities_inside"]  # type: ignore[index]
        assert result["population_inside"] > 0  # type: ignore[index]
        km = [t["distance_km"] for t in result["nearest_teams"]]  # type: ignore[index]
        assert km == sorted(km) and len(km) == 5  # nearest first (arrival depends on the kind)
        assert result["suggested_level"] == 3  # type: ignore[index]
        code, out = _ctl(duty, "assess", "HZ-1", "--wind-from", "0")
        assert code == 4 and "both" in str(out["error"])

        code, out = _ctl(duty, "incident", "transition", "HZ-1", "--to", "verified")
        assert code == 0
        code, out = _ctl(leader, "response", "activate", "HZ-1", "--level", "4", "--reason", "x")
        assert code == 0, out
        code, out = _ctl(duty, "response", "show", "HZ-1")
        response = out["response"]
        # Only the fire liaison is enrolled: one order; the other three departments are
        # named in warnings (notify by phone).
        (order_id,) = response["orders"]  # type: ignore[index]
        assert order_id.endswith("-fire")
        warned = " ".join(response["warnings"])  # type: ignore[index]
        assert all(f"liaison-{d}" in warned for d in ("emergency", "environment", "county"))
        code, out = _ctl(duty, "checklist", "tick", "HZ-1", "isolate", "--note", "已警戒")
        assert code == 0
        code, out = _ctl(duty, "incident", "show", "HZ-1")
        assert out["incident"]["status"] == "responding"  # type: ignore[index]
        assert out["reports"][0]["attachments"][0]["name"] == "现场.jpg"  # type: ignore[index]
        assert out["response"]["checklist"][0]["done"] is True  # type: ignore[index]

        gauge = bundles["gauge-gw"]
        code, out = _ctl(gauge, "reading", "--point", "WL-FUYANG-1", "--value", "23.9")
        assert code == 0, out
        code, out = _ctl(duty, "monitor", "list")
        (alarm,) = out["items"]  # type: ignore[misc]
        assert alarm["severity"] == "alarm" and alarm["draft"]["type_code"] == "flood"
        code, out = _ctl(duty, "incident", "drafts")
        (draft,) = out["items"]  # type: ignore[misc]
        assert draft["from_draft"] == "WL-FUYANG-1" and draft["type_code"] == "flood"
        code, out = _ctl(
            duty, "incident", "declare", "--id", "FL-9", "--title", draft["title"],
            "--lat", str(draft["lat"]), "--lon", str(draft["lon"]), "--from-draft", "WL-FUYANG-1",
        )  # fmt: skip
        assert code == 0, out
        code, out = _ctl(duty, "incident", "show", "FL-9")
        assert out["incident"]["type_code"] == "flood"  # the draft's type, not none
        code, out = _ctl(duty, "incident", "drafts")
        assert out["items"] == []  # confirmed: no longer waiting

        code, _ = _ctl(duty, "duty", "log", "--text", "接市气象台暴雨预警", "--category", "call")
        assert code == 0
        code, out = _ctl(
            duty, "duty", "shift", "--id", "S1", "--person", "张三", "--post", "值班员",
            "--start", "2026-11-25T08:00:00+08:00", "--end", "2026-11-25T07:00:00+08:00",
        )  # fmt: skip
        assert code == 1 and "must end after it starts" in str(out["error"])
        code, _ = _ctl(duty, "duty", "handover", "--from", "张三", "--to", "李四", "--open", "水位")
        assert code == 0
        code, out = _ctl(duty, "duty", "list")
        texts = [i.get("text", "") for i in out["items"]]  # type: ignore[union-attr]
        assert "接市气象台暴雨预警" in texts and any(t.startswith("交接班") for t in texts)
