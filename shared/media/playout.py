"""Received voice to loudspeaker samples: Opus packets → 48 kHz mono 16-bit PCM."""

from __future__ import annotations

from typing import Any

import av

from shared.media.encoding import FrameDecoder


class VoiceDecoder:
    """Decodes one stream's Opus packets to PCM bytes for a speaker."""

    def __init__(self) -> None:
        self.decoder = FrameDecoder("audio", "opus")
        self.resampler = av.AudioResampler(format="s16", layout="mono", rate=48_000)

    def pcm(self, packet: Any) -> bytes:
        out = bytearray()
        for frame in self.decoder.decode(packet):
            for part in self.resampler.resample(frame):
                out += bytes(part.planes[0])[: part.samples * 2]
        return bytes(out)
