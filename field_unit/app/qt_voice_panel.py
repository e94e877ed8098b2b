"""对讲: the talk group's talker, a big push-to-talk button, what the device is sending.

The media stack (aiortc, FFmpeg) is attached after the window is up (:meth:`attach`), so
the window starts as fast as before; until then the button says so.
"""

from __future__ import annotations

import asyncio
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

_IDLE = "min-height: 160px; font-size: 28px; font-weight: bold;"
_TALKING = _IDLE + "background: #c62828; color: white;"


class QtVoicePanel(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.media: Any = None
        self.speaker: Any = None
        self.heard = 0
        """Voice packets played (or decoded with no speaker): tests read it."""
        layout = QVBoxLayout(self)
        self.group = QLabel("对讲: 正在启动…")
        self.group.setWordWrap(True)
        self.sending = QLabel("")
        self.sending.setWordWrap(True)
        self.sound = QLabel("")
        self.ptt = QPushButton("按住讲话")
        self.ptt.setObjectName("ptt")
        self.ptt.setStyleSheet(_IDLE)
        self.ptt.setEnabled(False)
        self.ptt.pressed.connect(self.on_press)
        self.ptt.released.connect(self.on_release)
        self.message = QLabel("")
        for w in (self.group, self.ptt, self.sending, self.sound, self.message):
            layout.addWidget(w)
        layout.addStretch(1)
        self.group.setAlignment(Qt.AlignmentFlag.AlignLeft)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.refresh)
        self._timer.start(250)

    def attach(self, media: Any) -> None:
        from gui_common.speaker import Speaker

        self.media = media
        self.speaker = Speaker()
        problems = {
            "no_device": "没有扬声器: 对讲声音无法播放 (请接耳机或扬声器)",
            "open_failed": f"扬声器无法打开: {self.speaker.error} (请检查耳机或扬声器)",
        }
        self.sound.setText(problems.get(self.speaker.problem) or "声音: 扬声器")
        media.on_sound = self._on_sound
        for stream in media.sounds:
            self._on_sound(stream)
        self.ptt.setEnabled(True)
        self.refresh()

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _on_sound(self, stream: Any) -> None:
        self._spawn(self._play(stream))

    async def _play(self, stream: Any) -> None:
        from shared.media.playout import VoiceDecoder

        decoder = VoiceDecoder()
        try:
            while True:
                packet = await stream.track.recv()
                self.speaker.play(decoder.pcm(packet))
                self.heard += 1
        except Exception:
            pass

    def refresh(self) -> None:
        if self.media is None:
            return
        group = self.media.group()
        me = self.media.device
        if group is None:
            self.group.setText("对讲: 未加入对讲组 (由指挥大厅建立)")
        elif group.talker:
            who = "本机" if group.talker == me else group.talker
            text = f"对讲组 {group.group_id}: {who} 正在讲话"
            if me in group.queue:
                text += f" · 本机排队第 {group.queue.index(me) + 1} 位"
            if group.revoked == me:
                text += " · 本机被上级抢占"
            self.group.setText(text)
        else:
            self.group.setText(f"对讲组 {group.group_id}: 空闲")
        self.sending.setText(self.media.status())
        talking = group is not None and group.talker == me
        label = "● 正在讲话 — 松开结束" if talking else "按住讲话"
        if self.ptt.text() != label:
            self.ptt.setText(label)
            self.ptt.setStyleSheet(_TALKING if talking else _IDLE)

    def on_press(self) -> None:
        if self.media is None:
            return

        async def go() -> None:
            problem = await self.media.press()
            self.message.setText(problem or "")

        self._spawn(go())

    def on_release(self) -> None:
        if self.media is not None:
            self._spawn(self.media.release())

    def close_tasks(self) -> None:
        for task in self._tasks:
            task.cancel()
        if self.speaker is not None:
            self.speaker.close()
