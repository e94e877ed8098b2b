"""The hub's defences in isolation: conduct per key, fair draining, per-device uploads."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from shared.hub.guard import ConductBook, ConductLimits, FairQueue
from shared.hub.limits import DeviceLimits, UploadBook


def test_offences_throttle_then_cut_off_then_restore_and_clear() -> None:
    book = ConductBook(
        ConductLimits(window_s=10, throttle_after=3, cutoff_after=5, cutoff_s=30, alarm_hold_s=60)
    )
    changes = [book.offence("K", "dev", t) for t in (0.0, 1.0, 2.0, 3.0, 4.0, 5.0)]
    assert [c.standing if c else None for c in changes] == [
        None,
        None,
        "throttled",
        None,
        "cut_off",
        None,
    ]
    assert book.standing("K") == "cut_off" and book.cut_keys["K"] == 34.0
    assert book.standing("other") == "ok"
    assert book.sweep(33.0) == []
    restored = book.sweep(34.0)
    assert [c.standing for c in restored] == ["ok"] and "K" not in book.cut_keys
    # the alarm stays until the device has been quiet for alarm_hold_s
    assert book.sweep(64.0) == []
    cleared = book.sweep(65.1)
    assert [c.standing for c in cleared] == ["cleared"] and "K" not in book.keys


def test_offences_outside_the_window_do_not_add_up() -> None:
    book = ConductBook(ConductLimits(window_s=1, throttle_after=3, cutoff_after=5))
    for i in range(100):  # never more than two within a second
        assert book.offence("K", "dev", i * 0.6) is None
    assert book.standing("K") == "ok" and book.keys["K"].total == 100


def test_a_throttled_key_with_no_new_offences_is_restored() -> None:
    book = ConductBook(ConductLimits(window_s=2, throttle_after=2, cutoff_after=10))
    book.offence("K", "dev", 0.0)
    assert book.offence("K", "dev", 0.5) is not None
    assert book.standing("K") == "throttled"
    assert [c.standing for c in book.sweep(3.0)] == ["ok"]


def test_revoking_forgets_a_key_and_clears_its_alarm() -> None:
    book = ConductBook(ConductLimits(throttle_after=1, cutoff_after=2))
    book.offence("K", "dev", 0.0)
    book.offence("K", "dev", 0.1)
    assert [c.standing for c in book.forget(["K"])] == ["cleared"]
    assert book.standing("K") == "ok" and not book.cut_keys


def test_notices_to_a_refused_key_are_rate_limited() -> None:
    book = ConductBook(ConductLimits(throttle_after=1))
    book.offence("K", "dev", 0.0)
    assert book.notice_due("K", 10.0)
    assert not book.notice_due("K", 10.5)
    assert book.notice_due("K", 11.0)


def _fill(q: FairQueue, key: str, n: int, bound: int = 10_000) -> int:
    return sum(q.put(key, (b"r", i, 0), bound) for i in range(n))


def test_a_key_alone_gets_whole_batches() -> None:
    q = FairQueue()
    _fill(q, "flood", 3000)
    batch = q.take(1024, now=0.0)
    assert len(batch) == 1024 and q.size == 1976
    assert [item[1] for _, item in batch[:3]] == [0, 1, 2]  # in order


def test_a_light_key_goes_first_in_a_short_batch_beside_a_flood() -> None:
    q = FairQueue()
    _fill(q, "flood", 3000)
    _fill(q, "good", 2)
    batch = q.take(1024, now=5.0)
    assert Counter(k for k, _ in batch) == {"good": 2, "flood": 62}
    assert [k for k, _ in batch[:2]] == ["good", "good"] and q.light == 2
    # while the contention lasts, the flood alone still goes in small bites …
    assert len(q.take(1024, now=5.5)) == 64
    # … and once it has been alone for a while, in whole batches again
    assert len(q.take(1024, now=7.0)) == 1024


def test_equal_heavy_keys_share_equally_and_bounds_hold() -> None:
    q = FairQueue()
    assert _fill(q, "a", 500, bound=300) == 300  # the rest refused at the bound
    _fill(q, "b", 500)
    batch = q.take(1024, now=0.0)
    assert Counter(k for k, _ in batch) == {"a": 32, "b": 32} and q.light == 0
    capped = q.take(1024, {"a": 8}, now=0.1)
    assert Counter(k for k, _ in capped)["a"] == 8
    assert q.drop("a") == 300 - 32 - 8
    assert q.size == 500 - 32 - len([k for k, _ in capped if k == "b"])


def test_uploads_are_bounded_per_device_and_idle_ones_stop_counting() -> None:
    t0 = datetime(2026, 11, 28, tzinfo=UTC)
    book = UploadBook(DeviceLimits(open_uploads=2, upload_bytes=1000))
    assert book.admit("d", "a", 400, t0) is None
    assert book.admit("d", "a", 400, t0) is None  # the same upload continues
    assert book.admit("d", "b", 400, t0) is None
    assert "2 unfinished uploads" in (book.admit("d", "c", 10, t0) or "")
    assert book.admit("other", "c", 10, t0) is None  # another device is unaffected
    book.finished("d", "a")
    assert "1200 bytes" in (book.admit("d", "c", 800, t0) or "")
    assert book.admit("d", "c", 600, t0) is None
    later = t0 + timedelta(hours=2)
    assert book.admit("d", "e", 900, later) is None  # the idle ones no longer count
