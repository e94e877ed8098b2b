"""The findings of the record-integrity review, each through the command line against a hub
process, as the people who found them worked: a field device, a county, a duty officer."""

from __future__ import annotations

from pathlib import Path

from command_center import exits
from tests.support import ctl as _ctl
from tests.support import running_hub

PLACE = ("--lat", "37.69", "--lon", "116.27")


def test_the_record_cannot_be_overwritten_and_keeps_every_word(tmp_path: Path) -> None:
    data = tmp_path / "hub"
    data.mkdir()
    with running_hub(data) as hub:
        b = {}
        for name, role in (
            ("duty-1", "duty-officer"),
            ("fire-01", "field"),
            ("county-jingxian", "county"),
        ):
            b[name] = data / f"{name}.json"
            res = hub.cli("enroll", "--name", name, "--role", role, "--out", str(b[name]))
            assert res.returncode == exits.OK, res.stderr
        duty, field, county = b["duty-1"], b["fire-01"], b["county-jingxian"]

        # A level Ⅰ incident (30 dead); nobody can replace it by declaring it again.
        code, out = _ctl(
            duty, "incident", "declare", "--id", "CITY-INC-1", "--title", "景县化工厂爆炸",
            *PLACE, "--type", "hazchem.explosion", "--dead", "30", "--division", "131127",
        )  # fmt: skip
        assert code == exits.OK and out["subject"] == "CITY-INC-1", out
        code, out = _ctl(field, "incident", "declare", "--id", "CITY-INC-1", "--title", "x", *PLACE)
        assert code == exits.REFUSED and out["code"] == "conflict"
        # A field device may not lower the dead, nor change the type.
        code, out = _ctl(field, "incident", "update", "CITY-INC-1", "--dead", "0")
        assert code == exits.REFUSED and out["code"] == "forbidden", out
        code, out = _ctl(field, "incident", "update", "CITY-INC-1", "--type", "fire")
        assert code == exits.REFUSED and out["code"] == "forbidden"
        # A county is confined to its own prefix.
        for args in (
            ("incident", "declare", "--id", "CITY-INC-2", "--title", "越权", *PLACE),
            ("incident", "declare", "--id", "county-gucheng/FAKE-1", "--title", "越权", *PLACE),
            ("report", "submit", "--incident", "CITY-INC-1", "--stage", "final", "--title", "终报"),
            ("incident", "update", "CITY-INC-1", "--title", "改标题"),
        ):
            code, out = _ctl(county, *args)
            assert code == exits.REFUSED and out["code"] == "forbidden", (args, out)
        code, out = _ctl(
            county, "incident", "declare", "--id", "county-jingxian/J-1", "--title", "景县火情",
            *PLACE, "--division", "131127",
        )  # fmt: skip
        assert code == exits.OK, out

        # Who is on duty at each device is recorded beside the device on every change.
        code, out = _ctl(field, "duty", "sign-in", "--person", "张伟", "--post", "消防一队队长")
        assert code == exits.OK, out
        code, out = _ctl(duty, "duty", "sign-in", "--person", "李娜", "--post", "值班员")
        assert code == exits.OK, out

        # A 续报 with more dead raises the figure and regrades; fewer does not lower it.
        code, out = _ctl(
            duty, "incident", "declare", "--id", "HS-2", "--title", "储罐泄漏", *PLACE,
            "--type", "hazchem.leak", "--dead", "2",
        )  # fmt: skip
        assert code == exits.OK
        code, out = _ctl(
            field, "report", "submit", "--incident", "HS-2", "--stage", "follow_up",
            "--title", "续报", "--text", "搜救发现新增遇难者", "--dead", "10",
        )  # fmt: skip
        assert code == exits.OK, out
        code, out = _ctl(duty, "incident", "show", "HS-2")
        assert out["incident"]["dead"] == 10 and out["incident"]["level"] == 2, out
        changes = out["record"]["changes"]
        assert {
            (c["fact"], c["before"], c["after"], c["source"], c["by"], c["person"]) for c in changes
        } == {
            ("dead", 2, 10, "report", "fire-01", "张伟"),
            ("level", 4, 2, "grading", "fire-01", "张伟"),
        }
        assert out["record"]["reports"][0]["text"] == "搜救发现新增遇难者"
        code, out = _ctl(duty, "incident", "update", "HS-2", "--dead", "8")
        assert code == exits.REFUSED and "needs a reason" in out["error"]
        code, out = _ctl(duty, "incident", "update", "HS-2", "--dead", "8", "--reason", "重复统计")
        assert code == exits.OK
        code, out = _ctl(duty, "incident", "show", "HS-2")
        assert out["incident"]["dead"] == 8 and out["incident"]["level"] == 2  # level stays
        last = out["record"]["changes"][-1]
        assert (last["fact"], last["by"], last["person"]) == ("dead", "duty-1", "李娜")

        # An order's decline keeps its reason, and the declined order stays in view.
        code, out = _ctl(
            duty, "order", "issue", "--id", "O-1", "--to", "fire-01", "--text", "增援",
            "--incident", "HS-2",
        )  # fmt: skip
        assert code == exits.OK
        for state, note in (
            ("delivered", ""),
            ("acknowledged", ""),
            ("declined", "警力不足，请改派"),
        ):
            code, out = _ctl(field, "order", "update", "O-1", "--state", state, "--note", note)
            assert code == exits.OK, out
        code, out = _ctl(duty, "order", "list")
        [order] = [o for o in out["items"] if o["order_id"] == "O-1"]
        assert order["state"] == "declined" and order["note"] == "警力不足，请改派"
        code, out = _ctl(
            duty, "order", "issue", "--id", "O-2", "--to", "fire-01", "--text", "去",
            "--incident", "NO-SUCH",
        )  # fmt: skip
        assert code == exits.REFUSED and out["code"] == "not_found"

        # Closed: still shown, with its reports and every answer; reports on it are refused.
        code, out = _ctl(duty, "incident", "transition", "HS-2", "--to", "verified")
        code, out = _ctl(duty, "incident", "close", "HS-2", "--reason", "处置完毕")
        assert code == exits.OK
        code, out = _ctl(duty, "incident", "show", "HS-2")
        assert code == exits.OK and out["incident"]["status"] == "closed"
        assert out["incident"]["closed_reason"] == "处置完毕"
        [o1] = out["record"]["orders"]
        assert [e["note"] for e in o1["events"]][-1] == "警力不足，请改派"
        assert {(e["by"], e["person"]) for e in o1["events"]} == {("fire-01", "张伟")}
        code, out = _ctl(
            field, "report", "submit", "--incident", "HS-2", "--stage", "final", "--title", "终报"
        )
        assert code == exits.REFUSED and "closed" in out["error"]
        code, out = _ctl(duty, "incident", "show", "NOPE")
        assert code == exits.NOT_FOUND

        # Accepted though wrong, no more: the edge checks answer with the reason.
        for args, words in (
            (("--id", "BAD ID", "--title", "x", *PLACE), "spaces"),
            (("--id", "E-1", "--title", " ", *PLACE), "title is empty"),
            (("--id", "E-2", "--title", "x", *PLACE, "--division", "999999"), "not a division"),
            (("--id", "E-3", "--title", "x", *PLACE, "--division", "110105"), "not a division"),
            (
                ("--id", "E-4", "--title", "x", *PLACE, "--occurred", "2030-01-01T00:00:00+08:00"),
                "ahead of the hub's clock",
            ),
        ):
            code, out = _ctl(duty, "incident", "declare", *args)
            assert code == exits.REFUSED and words in out["error"], (args, out)
        code, out = _ctl(
            duty, "incident", "declare", "--id", "E-5", "--title", "x", *PLACE,
            "--dead", "100000000000000000000",
        )  # fmt: skip
        assert code == exits.BAD_INPUT and "<= 10000000" in out["error"], out
