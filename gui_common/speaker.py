"""A loudspeaker: 48 kHz mono 16-bit PCM pushed to Qt's default audio output, or why there
is none. Each application words the problem for its users."""

from __future__ import annotations

from typing import Any, Literal

from PySide6.QtMultimedia import QAudioFormat, QAudioSink, QMediaDevices

SAMPLE_RATE = 48_000


class Speaker:
    """Plays what it is given. ``problem`` is "" when it plays, ``"no_device"`` when the
    machine has no audio output, ``"open_failed"`` when the output would not open (``error``
    names Qt's reason)."""

    def __init__(self, buffer_ms: int = 200) -> None:
        self.problem: Literal["", "no_device", "open_failed"] = ""
        self.error = ""
        self.sink: QAudioSink | None = None
        self.io: Any = None
        self.written = 0
        device = QMediaDevices.defaultAudioOutput()
        if device.isNull():
            self.problem = "no_device"
            return
        fmt = QAudioFormat()
        fmt.setSampleRate(SAMPLE_RATE)
        fmt.setChannelCount(1)
        fmt.setSampleFormat(QAudioFormat.SampleFormat.Int16)
        self.sink = QAudioSink(device, fmt)
        # enough for network jitter, short enough not to be heard as a delay
        self.sink.setBufferSize(SAMPLE_RATE * 2 * buffer_ms // 1000)
        self.io = self.sink.start()
        if self.sink.error().name != "NoError":
            self.problem = "open_failed"
            self.error = self.sink.error().name
            self.io = None

    def play(self, pcm: bytes) -> None:
        """Queue ``pcm`` for playing (dropped when there is no output)."""
        if self.io is not None and pcm:
            self.io.write(pcm)
            self.written += len(pcm)

    def close(self) -> None:
        """Stop the output."""
        if self.sink is not None:
            self.sink.stop()
