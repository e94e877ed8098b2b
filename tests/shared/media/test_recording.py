"""Recordings keep every packet that arrived (shared.media.recording), whatever its time
says: a talk group's floor stamped on arrival while the hall was busy, a session's RTP
timestamps wrapping. No network: real Opus packets, a clock the test moves."""

from __future__ import annotations

import itertools
import time
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

from shared.media import stamp
from shared.media.encoding import SharedAudioEncoder
from shared.media.hall import TalkGroupRelay
from shared.media.meter import ToneListenerAdapter
from shared.media.recording import OPUS_FRAME, Recorder, RecordingLibrary, opus_samples

RATE = stamp.SAMPLE_RATE


def _voice(seconds: int, first_second: int = 1_000_000) -> list[Any]:
    """``seconds`` of the synthetic microphone (a timed tone on each whole second), encoded
    as the field units and the hall send it: 20 ms Opus packets."""
    encoder = SharedAudioEncoder(source=None)  # type: ignore[arg-type]
    packets = []
    for n in range(seconds * RATE // OPUS_FRAME):
        second, offset = divmod(n * OPUS_FRAME, RATE)
        samples = stamp.tone_samples(first_second + second, offset, OPUS_FRAME)
        pcm = (samples * 32767).astype(np.int16).reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(pcm, format="s16", layout="mono")
        frame.sample_rate = RATE
        frame.pts = n * OPUS_FRAME
        packets.extend(encoder._encode(frame))
    return packets


def _as_received(packets: list[Any], origin: int) -> list[Any]:
    """The packets as the hall's receiver hands them on: bare data, the sender's 32-bit RTP
    timestamp (from a random origin) as their time."""
    out = []
    for i, p in enumerate(packets):
        q = av.Packet(bytes(p))
        q.pts = (origin + i * OPUS_FRAME) % (1 << 32)
        out.append(q)
    return out


def _played(path: Path) -> tuple[list[int], int, int]:
    """A recording's audio as a player reads it: the packets' times (48 kHz ticks), the
    samples decoded, the tones heard in them."""
    times, samples, tones = [], 0, 0
    listener = ToneListenerAdapter()
    with av.open(str(path)) as f:
        stream = f.streams.audio[0]
        tick = stream.time_base
        assert tick is not None
        for packet in f.demux(stream):
            if packet.pts is None:
                continue
            times.append(int(packet.pts * tick * RATE))
            for frame in packet.decode():
                samples += frame.samples
                tones += len(listener.feed(frame, time.time()))
    return times, samples, tones


def test_a_talk_group_recording_keeps_a_floor_that_arrived_in_bursts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the hall is busy: its loop gets to the voice every 200 ms (once 600 ms), and then
    # relays the packets that came meanwhile in one go, all at the same moment of its clock
    now = [100.0]
    monkeypatch.setattr(time, "monotonic", lambda: now[0])
    group = TalkGroupRelay("HZ-1", started=now[0])
    group.recorder = Recorder(tmp_path, "talkgroup-HZ-1", "对讲组", "HZ-1", "HZ-1")
    group.recorder.add("audio")
    u1 = _as_received(_voice(3), origin=(1 << 32) - 40 * OPUS_FRAME)  # wraps mid-turn
    hall = _voice(2)  # the hall's own microphone: its encoder's times

    def bursts(packets: list[Any], origin: str, sizes: list[int]) -> None:
        assert sum(sizes) == len(packets)
        for size in sizes:
            now[0] += size * OPUS_FRAME / RATE
            for _ in range(size):
                group.publish(packets.pop(0), origin)

    now[0] += 0.5
    bursts(list(u1), "u1", [10] * 5 + [30] + [10] * 7)
    u1_ended = now[0]
    now[0] += 1.0  # the floor passes to the hall
    bursts(list(hall), "hall-1", [10] * 10)
    card = group.recorder.close("hall closing")

    # every packet relayed is in the recording, and it says it was not cut short
    assert card.audio_packets == len(u1) + len(hall) == 250
    assert card.note == "hall closing"
    (listed,) = RecordingLibrary(tmp_path).cards("HZ-1")
    times, samples, tones = _played(RecordingLibrary(tmp_path).path_of(listed))
    assert len(times) == 250 and samples == 250 * OPUS_FRAME
    # what was said: the tones of u1's three seconds, then the hall's two
    assert tones == 5
    # one after the other, none overlapping: each turn as its talker spoke it, in 20 ms
    # steps (not bunched as it arrived), the hall's turn where the hall's clock had it
    steps = [b - a for a, b in itertools.pairwise(times)]
    assert all(s >= OPUS_FRAME for s in steps), sorted(steps)[:5]
    assert steps[: len(u1) - 1] == [OPUS_FRAME] * (len(u1) - 1)
    assert steps[len(u1) :] == [OPUS_FRAME] * (len(hall) - 1)
    hall_starts = times[len(u1)] - times[0]
    assert hall_starts == pytest.approx((u1_ended + 1.2 - 100.7) * RATE, abs=2)


def test_a_recording_keeps_packets_whose_times_do_not_increase(tmp_path: Path) -> None:
    rec = Recorder(tmp_path, "s-1", "unit-a", "HZ-2")
    rec.add("audio")
    packets = _as_received(_voice(3), origin=(1 << 32) - 50 * OPUS_FRAME)
    # a session's own times: the RTP timestamps wrap past 2^32 after a second
    for p in packets[:100]:
        rec.write(p, "audio")
    # the same time twice, a time gone back
    again = av.Packet(bytes(packets[100]))
    again.pts = packets[99].pts
    rec.write(again, "audio")
    back = av.Packet(bytes(packets[101]))
    back.pts = packets[90].pts
    rec.write(back, "audio")
    for p in packets[102:]:
        rec.write(p, "audio")
    card = rec.close("看完了")
    assert card.audio_packets == 150 and card.note == "看完了"
    times, samples, tones = _played(RecordingLibrary(tmp_path).path_of(card))
    assert len(times) == 150 and samples == 150 * OPUS_FRAME and tones == 3
    assert all(b - a >= OPUS_FRAME for a, b in itertools.pairwise(times))
    assert times[-1] - times[0] == 149 * OPUS_FRAME


def test_a_recording_that_stopped_says_why_on_its_card(tmp_path: Path) -> None:
    rec = Recorder(tmp_path, "s-2", "unit-a", "HZ-3")
    rec.add("audio")
    packets = _as_received(_voice(1), origin=0)
    rec.write(packets[0], "audio")

    class FullDisk:
        def mux(self, packet: Any) -> None:
            raise OSError(28, "No space left on device")

        def close(self) -> None:
            pass

    real, rec._out = rec._out, FullDisk()
    rec.write(packets[1], "audio")
    real.close()
    card = rec.close("hall closing")
    assert card.audio_packets == 1
    assert "hall closing" in card.note and "No space left on device" in card.note


@pytest.mark.parametrize(
    ("data", "samples"),
    [
        (bytes([0x7C]) + bytes(30), 960),  # hybrid 20 ms: the system's own encoder
        (bytes([0xF8]) + bytes(30), 960),  # CELT 20 ms
        (bytes([0x18]) + bytes(30), 2880),  # SILK 60 ms
        (bytes([0x81]) + bytes(30), 240),  # CELT 2.5 ms, two frames
        (bytes([0x83, 8]) + bytes(30), 960),  # CELT 2.5 ms, eight frames
        (bytes([0xFB, 6]) + bytes(30), 5760),  # CELT 20 ms, six: 120 ms, the most allowed
        (bytes([0xFB, 7]) + bytes(30), OPUS_FRAME),  # more than a packet may hold
        (bytes([0xFB]), OPUS_FRAME),  # no frame count
        (b"", OPUS_FRAME),
    ],
)
def test_an_opus_packet_says_how_long_it_is(data: bytes, samples: int) -> None:
    assert opus_samples(data) == samples
