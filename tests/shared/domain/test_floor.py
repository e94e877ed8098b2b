"""Push-to-talk floor rules: one talker, a queue by priority then arrival, pre-emption."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.domain.floor import MAX_TALK_S, Floor, FloorError, priority_of

T0 = datetime(2026, 11, 25, 9, tzinfo=UTC)


def group(*members: str) -> Floor:
    floor = Floor()
    for m in members:
        floor = floor.join(m)
    return floor


def test_a_free_floor_is_granted_and_a_busy_one_queues_in_order() -> None:
    f = group("u1", "u2", "u3", "hall")
    f = f.request("u1", 1, T0)
    assert f.talker == "u1" and f.granted_at == T0
    f = f.request("u2", 1, T0)
    f = f.request("u3", 1, T0)
    assert f.talker == "u1" and [d for d, _ in f.queue] == ["u2", "u3"]
    # asking again while talking or queued changes nothing
    assert f.request("u1", 1, T0) == f and f.request("u3", 1, T0) == f
    f = f.release("u1", T0 + timedelta(seconds=5))
    assert f.talker == "u2" and [d for d, _ in f.queue] == ["u3"]
    assert "granted to u2" in f.last_event


def test_higher_priority_queues_ahead_and_a_commander_pre_empts() -> None:
    f = group("u1", "u2", "duty", "leader")
    f = f.request("u1", priority_of("field"), T0)
    f = f.request("u2", priority_of("field"), T0)
    f = f.request("duty", priority_of("duty-officer"), T0)
    # the duty officer outranks the talker: pre-emption, the field unit is not re-queued
    assert f.talker == "duty" and f.revoked == "u1"
    assert [d for d, _ in f.queue] == ["u2"]
    f = f.request("leader", priority_of("leader"), T0)
    assert f.talker == "leader" and f.revoked == "duty"
    # equal priority does not pre-empt: a second leader waits, ahead of the field unit
    f = f.join("leader2").request("leader2", priority_of("leader"), T0)
    assert f.talker == "leader" and [d for d, _ in f.queue] == ["leader2", "u2"]


def test_stuck_keys_time_out_and_offline_members_lose_their_place() -> None:
    f = group("u1", "u2", "u3").request("u1", 1, T0).request("u2", 1, T0).request("u3", 1, T0)
    assert f.expire(T0 + timedelta(seconds=MAX_TALK_S - 1)) == f
    f = f.expire(T0 + timedelta(seconds=MAX_TALK_S))
    assert f.talker == "u2" and f.revoked == "u1" and "timed out" in f.last_event
    f = f.drop("u3", T0)
    assert f.queue == ()
    f = f.drop("u2", T0)
    assert f.talker == "" and "offline" in f.last_event


def test_members_only_and_leaving_releases() -> None:
    f = group("u1")
    with pytest.raises(FloorError, match="not a member"):
        f.request("stranger", 3, T0)
    f = f.join("u2").request("u1", 1, T0).request("u2", 1, T0)
    f = f.leave("u1", T0)
    assert f.talker == "u2" and f.members == ("u2",)
    f = f.release("u2", T0)
    assert f.talker == "" and f.queue == ()
