"""The field device's loudspeaker (Qt's audio sink), or why there is none.

The command hall has its own (command_center.app.speaker): the two applications share no
Qt code (an import contract), and this is the few lines of it a field device needs."""

from __future__ import annotations

from typing import Any

from PySide6.QtMultimedia import QAudioFormat, QAudioSink, QMediaDevices


class Speaker:
    def __init__(self) -> None:
        self.problem = ""
        self.io: Any = None
        self.sink: QAudioSink | None = None
        device = QMediaDevices.defaultAudioOutput()
        if device.isNull():
            self.problem = "没有扬声器: 对讲声音无法播放 (请接耳机或扬声器)"
            return
        fmt = QAudioFormat()
        fmt.setSampleRate(48_000)
        fmt.setChannelCount(1)
        fmt.setSampleFormat(QAudioFormat.SampleFormat.Int16)
        self.sink = QAudioSink(device, fmt)
        self.io = self.sink.start()

    def play(self, pcm: bytes) -> None:
        if self.io is not None and pcm:
            self.io.write(pcm)

    def close(self) -> None:
        if self.sink is not None:
            self.sink.stop()
