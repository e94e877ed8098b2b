"""The hall's loudspeaker: 48 kHz mono PCM pushed to Qt's audio sink, when there is one."""

from __future__ import annotations

from PySide6.QtMultimedia import QAudioFormat, QAudioSink, QMediaDevices

from command_center.app.i18n import tr


class Speaker:
    """Plays what it is given; ``problem`` says why not when there is no output device."""

    def __init__(self) -> None:
        self.problem = ""
        self.sink: QAudioSink | None = None
        self.io = None
        self.written = 0
        device = QMediaDevices.defaultAudioOutput()
        if device.isNull():
            self.problem = tr("没有可用的扬声器: 现场声音不播放 (仍在录制)")
            return
        fmt = QAudioFormat()
        fmt.setSampleRate(48_000)
        fmt.setChannelCount(1)
        fmt.setSampleFormat(QAudioFormat.SampleFormat.Int16)
        self.sink = QAudioSink(device, fmt)
        self.sink.setBufferSize(48_000 * 2 // 5)  # 200 ms: enough for jitter, not a delay
        self.io = self.sink.start()
        if self.sink.error().name != "NoError":
            self.problem = tr("扬声器无法打开: {e}").format(e=self.sink.error().name)
            self.io = None

    def play(self, pcm: bytes) -> None:
        if self.io is not None and pcm:
            self.io.write(pcm)
            self.written += len(pcm)

    def close(self) -> None:
        if self.sink is not None:
            self.sink.stop()
