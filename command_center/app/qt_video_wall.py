"""The video wall: live feeds from the scene in 1 / 4 / 9 / 16 tiles, push-to-talk, recordings.

Each feed is decoded once (in a worker thread, scaled to its tile) whatever else uses it:
the hall's relay forwards and records the encoded packets. A tile shows the unit, the
incident and the feed's age; a double click puts it full screen (on the wall screen when
there is one), again or Esc brings it back. The selected tile can be forwarded to another
unit or ended. Push-to-talk: hold the button (or the space bar in the wall) to ask the hub
for the incident's floor; the talker is shown to everyone.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QImage, QKeyEvent, QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from command_center.app.i18n import tr
from shared.client import SituationPicture
from shared.media.hall import Feed, HallMedia
from shared.media.recording import RecordingLibrary
from shared.protocol.state import TalkGroupState

LAYOUTS = (1, 4, 9, 16)


class QtVideoTile(QWidget):
    """One feed's picture and label."""

    double_clicked = Signal(object)
    clicked = Signal(object)

    def __init__(self, index: int) -> None:
        super().__init__()
        self.index = index
        self.image: QImage | None = None
        self.title = ""
        self.feed: Feed | None = None
        self.last_frame = 0.0
        self.frames = 0
        self.selected = False
        self.note = ""
        self.setMinimumSize(160, 90)
        self.setSizePolicy(self.sizePolicy().horizontalPolicy(), self.sizePolicy().verticalPolicy())

    def show_frame(self, image: QImage) -> None:
        self.image = image
        self.last_frame = time.monotonic()
        self.frames += 1
        self.update()

    def clear(self, note: str = "") -> None:
        self.feed = None
        self.image = None
        self.title = ""
        self.note = note
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor("#05080c"))
        if self.image is not None:
            img = self.image
            scale = min(self.width() / img.width(), self.height() / img.height())
            w, h = img.width() * scale, img.height() * scale
            target = QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)
            p.drawImage(target, img)
        p.setPen(QColor("#f5c400") if self.selected else QColor("#30404c"))
        p.drawRect(self.rect().adjusted(0, 0, -1, -1))
        font = QFont(self.font())
        font.setPointSizeF(max(9.0, self.height() / 28))
        p.setFont(font)
        if self.feed is not None:
            age = time.monotonic() - self.last_frame if self.last_frame else None
            stale = age is None or age > 2.0
            text = self.title + (
                tr("  ·  无画面 {s:.0f} 秒").format(s=age) if stale and age else ""
            )
            p.fillRect(QRectF(0, 0, self.width(), font.pointSizeF() * 2.2), QColor(0, 0, 0, 170))
            p.setPen(QColor("#ff6b6b") if stale else QColor("#e8f0f8"))
            p.drawText(
                QRectF(8, 0, self.width() - 16, font.pointSizeF() * 2.2),
                Qt.AlignmentFlag.AlignVCenter,
                text,
            )
        else:
            p.setPen(QColor("#6c7c8c"))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.note or tr("空闲"))
        p.end()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        self.double_clicked.emit(self)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.clicked.emit(self)


class _FullScreen(QWidget):
    """A tile alone on a screen; Esc or a double click closes it."""

    def __init__(self, tile: QtVideoTile, on_close: Any) -> None:
        super().__init__()
        self.setWindowTitle(tile.title)
        self.on_close = on_close
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(tile)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.close()

    def closeEvent(self, event: Any) -> None:
        self.on_close()
        super().closeEvent(event)


class QtVideoWall(QWidget):
    """Feeds, layout, forward, end, push-to-talk and recordings (see the module)."""

    def __init__(
        self, media: HallMedia, picture: SituationPicture, recordings: Path | None = None
    ) -> None:
        super().__init__()
        self.media = media
        self.picture = picture
        self.library = RecordingLibrary(recordings) if recordings else None
        self.tiles = [QtVideoTile(i) for i in range(16)]
        for tile in self.tiles:
            tile.double_clicked.connect(self.toggle_full)
            tile.clicked.connect(self.select)
        self.decoders: dict[int, asyncio.Task[None]] = {}
        self.full: _FullScreen | None = None
        self.selected: QtVideoTile | None = None
        self.group: TalkGroupState | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        outer = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.layout_box = QComboBox()
        for n in LAYOUTS:
            self.layout_box.addItem(tr("{n} 画面").format(n=n), n)
        self.layout_box.setCurrentIndex(1)
        self.layout_box.currentIndexChanged.connect(
            lambda _i: self.set_layout(self.layout_box.currentData())
        )
        self.unit_box = QComboBox()
        self.unit_box.setMinimumWidth(180)
        self.watch_button = QPushButton(tr("调看视频"))
        self.watch_button.clicked.connect(self.on_watch)
        self.camera_box = QComboBox()
        self.camera_box.setMinimumWidth(160)
        self.pull_button = QPushButton(tr("调看监控"))
        self.pull_button.clicked.connect(self.on_pull)
        self.forward_box = QComboBox()
        self.forward_button = QPushButton(tr("转发所选画面"))
        self.forward_button.clicked.connect(self.on_forward)
        self.end_button = QPushButton(tr("挂断所选"))
        self.end_button.clicked.connect(self.on_end)
        for w in (
            QLabel(tr("布局")),
            self.layout_box,
            self.unit_box,
            self.watch_button,
            self.camera_box,
            self.pull_button,
            self.forward_box,
            self.forward_button,
            self.end_button,
        ):
            bar.addWidget(w)
        bar.addStretch(1)
        outer.addLayout(bar)
        self.grid_host = QWidget()
        self.grid = QGridLayout(self.grid_host)
        self.grid.setSpacing(4)
        self.grid.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.grid_host, 1)
        ptt = QHBoxLayout()
        self.group_box = QComboBox()
        self.group_box.setMinimumWidth(160)
        self.open_group_button = QPushButton(tr("建立对讲组"))
        self.open_group_button.clicked.connect(self.on_open_group)
        self.ptt_button = QPushButton(tr("按住讲话"))
        self.ptt_button.setMinimumHeight(48)
        self.ptt_button.pressed.connect(self.on_press)
        self.ptt_button.released.connect(self.on_release)
        self.talker = QLabel(tr("对讲: 空闲"))
        self.talker.setObjectName("status")
        self.sound_label = QLabel("")
        for w in (
            QLabel(tr("对讲组")),
            self.group_box,
            self.open_group_button,
            self.ptt_button,
            self.talker,
        ):
            ptt.addWidget(w)
        ptt.addStretch(1)
        ptt.addWidget(self.sound_label)
        outer.addLayout(ptt)
        rec = QHBoxLayout()
        self.recording_list = QListWidget()
        self.recording_list.setMaximumHeight(110)
        self.play_button = QPushButton(tr("回放"))
        self.play_button.clicked.connect(self.on_play)
        self.export_button = QPushButton(tr("导出…"))
        self.export_button.clicked.connect(self.on_export)
        rec.addWidget(self.recording_list, 1)
        side = QVBoxLayout()
        side.addWidget(self.play_button)
        side.addWidget(self.export_button)
        rec.addLayout(side)
        outer.addLayout(rec)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        outer.addWidget(self.message)
        from gui_common.speaker import Speaker

        # sound follows the selected tile; the talk group's talker is always heard
        self.speaker = Speaker()
        problems = {
            "no_device": tr("没有可用的扬声器: 现场声音不播放 (仍在录制)"),
            "open_failed": tr("扬声器无法打开: {e}").format(e=self.speaker.error),
        }
        self.sound_label.setText(problems.get(self.speaker.problem) or tr("声音: 跟随所选画面"))
        self.sound_feeds: dict[str, Feed] = {}
        self._listening: set[str] = set()
        self.heard = 0
        """Sound packets played (or, with no speaker, that would have been)."""
        self.set_layout(4)
        media.on_feed = self.on_feed
        media.on_feed_end = self.on_feed_end
        media.on_talkgroup = self.on_talkgroup
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.refresh)
        self._timer.start(1000)
        self.refresh()
        self._refresh_recordings()

    # --- layout -------------------------------------------------------------------------

    def set_layout(self, n: int) -> None:
        side = int(n**0.5)
        for tile in self.tiles:
            self.grid.removeWidget(tile)
            tile.hide()
        for i in range(n):
            tile = self.tiles[i]
            if self.full is not None and tile is self.selected:
                continue
            self.grid.addWidget(tile, i // side, i % side)
            tile.show()
        self.count = n
        idx = LAYOUTS.index(n)
        if self.layout_box.currentIndex() != idx:
            self.layout_box.setCurrentIndex(idx)

    def select(self, tile: QtVideoTile) -> None:
        if self.selected is not None:
            self.selected.selected = False
            self.selected.update()
        self.selected = tile
        tile.selected = True
        tile.update()

    def close_tasks(self) -> None:
        """Stop the decoders, playbacks and the speaker (the window is closing)."""
        for task in [*self.decoders.values(), *self._tasks]:
            task.cancel()
        self.speaker.close()

    def toggle_full(self, tile: QtVideoTile) -> None:
        if self.full is not None:
            self.full.close()
            return
        self.select(tile)
        self.grid.removeWidget(tile)
        screens = self.screen().virtualSiblings() if self.screen() else []
        self.full = _FullScreen(tile, self._full_closed)
        if len(screens) > 1:
            # the wall: the screen this window is not on
            other = next(s for s in screens if s is not self.screen())
            self.full.setGeometry(other.geometry())
        self.full.showFullScreen()

    def _full_closed(self) -> None:
        self.full = None
        self.set_layout(self.count)

    # --- feeds --------------------------------------------------------------------------

    def refresh(self) -> None:
        online = sorted(
            name
            for name, p in self.picture.presence.items()
            if p.status != "offline"
            and p.role in ("field", "county", "liaison")
            and name != self.media.device
        )
        for box in (self.unit_box, self.forward_box):
            current = box.currentText()
            if [box.itemText(i) for i in range(box.count())] != online:
                box.clear()
                box.addItems(online)
                if current in online:
                    box.setCurrentText(current)
        cameras = sorted(
            (r.name or r.resource_id, r.resource_id)
            for r in self.picture.resources.values()
            if r.stream_url
        )
        if [self.camera_box.itemData(i) for i in range(self.camera_box.count())] != [
            rid for _, rid in cameras
        ]:
            self.camera_box.clear()
            for name, rid in cameras:
                self.camera_box.addItem(name, rid)
        incidents = sorted(k for k, i in self.picture.incidents.items() if i.status != "closed")
        if [self.group_box.itemText(i) for i in range(self.group_box.count())] != incidents:
            current = self.group_box.currentText()
            self.group_box.clear()
            self.group_box.addItems(incidents)
            if current in incidents:
                self.group_box.setCurrentText(current)
        for tile in self.tiles:
            if tile.feed is not None:
                tile.update()  # the age in the label

    def _recordings_changed(self) -> None:
        """A recording starts or ends with a feed: read the cards once it is written (the
        relay closes it right after telling the wall), not on every tick."""
        QTimer.singleShot(0, self, self._refresh_recordings)  # dropped if the wall is gone

    def _refresh_recordings(self) -> None:
        if self.library is None:
            return
        cards = self.library.cards()
        if not all(c.ended for c in cards):
            # a recording still being written (or closed just after the wall was told):
            # shown as 录制中 and looked at again until its card says it has ended
            QTimer.singleShot(500, self, self._refresh_recordings)
        ids = [c.recording_id for c in cards]
        shown = [
            self.recording_list.item(i).data(Qt.ItemDataRole.UserRole)
            for i in range(self.recording_list.count())
        ]
        if ids == shown and all(c.ended for c in cards):
            return
        self.recording_list.clear()
        for c in cards:
            mb = c.bytes / 1e6
            when = c.started[:19].replace("T", " ")
            size = f"{mb:.1f} MB" if c.ended else tr("录制中")
            text = f"{when}  {c.peer}  {c.incident_id or '-'}  {c.label}  {size}"
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, c.recording_id)
            self.recording_list.addItem(item)

    def say(self, text: str) -> None:
        self.message.setText(text)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def on_watch(self) -> None:
        device = self.unit_box.currentText()
        if not device:
            self.say(tr("没有在线的现场单位可调看"))
            return
        incident = self.group_box.currentText() or None
        self._spawn(self._watch(device, incident))

    async def _watch(self, device: str, incident: str | None) -> None:
        try:
            await self.media.watch(device, incident_id=incident, label=device)
            self.say(tr("正在调看 {d} 的视频…").format(d=device))
        except Exception as exc:  # refused by the hub: shown, nothing else changes
            self.say(tr("调看失败: {e}").format(e=exc))

    def on_pull(self) -> None:
        rid = self.camera_box.currentData()
        camera = self.picture.resources.get(rid) if rid else None
        if camera is None or not camera.stream_url:
            self.say(tr("没有登记视频地址的监控点"))
            return
        incident = self.group_box.currentText() or None
        self._spawn(self._pull(camera.resource_id, camera.stream_url, camera.name, incident))

    async def _pull(self, rid: str, url: str, name: str, incident: str | None) -> None:
        try:
            await self.media.pull(rid, url, name=name, incident_id=incident)
            self.say(tr("正在调看监控 {n}").format(n=name))
        except Exception as exc:  # a camera that cannot be reached: said, nothing else
            self.say(tr("监控调看失败: {e}").format(e=exc))

    def on_feed(self, feed: Feed) -> None:
        self._recordings_changed()
        if feed.stream.kind == "audio":
            self.sound_feeds[feed.stream.session_id] = feed
            self._spawn(self._sound(feed.fanout.track(), feed.stream.session_id))
            return
        tile = next((t for t in self.tiles[: self.count] if t.feed is None), None)
        if tile is None:
            tile = next((t for t in self.tiles if t.feed is None), None)
        if tile is None:
            self.say(tr("16 个画面已满: 先挂断一路"))
            return
        tile.feed = feed
        incident = feed.stream.incident_id or tr("未关联事件")
        tile.title = f"{feed.stream.peer} · {incident}" + (
            f" · {feed.stream.label}"
            if feed.stream.label and feed.stream.label != feed.stream.peer
            else ""
        )
        tile.note = ""
        self.decoders[tile.index] = asyncio.ensure_future(self._decode(tile, feed))

    def on_feed_end(self, feed: Feed) -> None:
        self._recordings_changed()
        self.sound_feeds.pop(feed.stream.session_id, None)
        for tile in self.tiles:
            if tile.feed is feed:
                task = self.decoders.pop(tile.index, None)
                if task is not None:
                    task.cancel()
                tile.clear(tr("已结束"))

    async def _decode(self, tile: QtVideoTile, feed: Feed) -> None:
        from shared.media.playout import live_pictures

        try:
            async for pic in live_pictures(feed.fanout.track(), tile.width):
                tile.show_frame(_image(pic))
        except Exception:
            pass  # the feed ended (its track stops with it)

    def heard_session(self) -> str | None:
        """The session whose sound plays: the selected tile's."""
        tile = self.selected
        return tile.feed.stream.session_id if tile is not None and tile.feed is not None else None

    async def _sound(self, track: Any, session_id: str | None) -> None:
        """Decode one sound source; play it while it is the one to hear (a talk group's
        talker: always)."""
        from shared.media.playout import VoiceDecoder

        decoder = VoiceDecoder()
        try:
            while True:
                packet = await track.recv()
                if session_id is None or session_id == self.heard_session():
                    self.speaker.play(decoder.pcm(packet))
                    self.heard += 1
        except Exception:
            pass
        finally:
            track.stop()

    def on_forward(self) -> None:
        tile = self.selected
        device = self.forward_box.currentText()
        if tile is None or tile.feed is None or not device:
            self.say(tr("先选中一个画面和接收单位"))
            return
        self._spawn(self._forward(tile.feed, device))

    async def _forward(self, feed: Feed, device: str) -> None:
        try:
            await self.media.forward(feed.stream.session_id, device)
            self.say(tr("已转发 {p} 的画面给 {d}").format(p=feed.stream.peer, d=device))
        except Exception as exc:
            self.say(tr("转发失败: {e}").format(e=exc))

    def on_end(self) -> None:
        tile = self.selected
        if tile is None or tile.feed is None:
            return
        self._spawn(self.media.end(tile.feed.stream.session_id, tr("指挥大厅挂断")))

    # --- push-to-talk ---------------------------------------------------------------------

    def on_open_group(self) -> None:
        group = self.group_box.currentText()
        members = [self.unit_box.itemText(i) for i in range(self.unit_box.count())]
        if not group or not members:
            self.say(tr("需要一个进行中的事件和在线的现场单位"))
            return
        self._spawn(self._open_group(group, members))

    async def _open_group(self, group: str, members: list[str]) -> None:
        try:
            await self.media.open_talkgroup(group, members, incident_id=group)
            track = self.media.groups[group].listen(self.media.device)
            if track is not None and group not in self._listening:
                self._listening.add(group)
                self._spawn(self._sound(track, None))
            self.say(tr("对讲组 {g}: {n} 个成员").format(g=group, n=len(members)))
        except Exception as exc:
            self.say(tr("对讲组建立失败: {e}").format(e=exc))

    def on_press(self) -> None:
        group = self.group_box.currentText()
        if group:
            self._spawn(self.media.press(group))

    def on_release(self) -> None:
        group = self.group_box.currentText()
        if group:
            self._spawn(self.media.release(group))

    def on_talkgroup(self, group: TalkGroupState) -> None:
        if group.group_id != self.group_box.currentText() and self.group_box.currentText():
            return
        self.group = group
        if group.talker:
            who = tr("本席") if group.talker == self.media.device else group.talker
            text = tr("对讲 {g}: {w} 正在讲话").format(g=group.group_id, w=who)
            if group.queue:
                text += tr("  · 排队: {q}").format(q="、".join(group.queue))
        else:
            text = tr("对讲 {g}: 空闲").format(g=group.group_id)
        if group.revoked == self.media.device:
            text += tr("  · 本席被抢占")
        self.talker.setText(text)

    # --- recordings -----------------------------------------------------------------------

    def on_play(self) -> None:
        item = self.recording_list.currentItem()
        if item is None or self.library is None:
            return
        rid = item.data(Qt.ItemDataRole.UserRole)
        card = next((c for c in self.library.cards() if c.recording_id == rid), None)
        tile = self.selected or next((t for t in self.tiles[: self.count] if t.feed is None), None)
        if card is None or tile is None or tile.feed is not None:
            self.say(tr("选一个空闲画面来回放"))
            return
        self._spawn(
            self._play(
                tile,
                self.library.path_of(card),
                f"{tr('回放')} · {card.peer} · {card.incident_id or '-'}",
            )
        )

    async def _play(self, tile: QtVideoTile, path: Path, title: str) -> None:
        """Play a recording into a tile at its own pace (shared.media.playout)."""
        from shared.media.playout import paced_pictures

        tile.title = title
        tile.note = title
        try:
            async with contextlib.aclosing(paced_pictures(path)) as pictures:
                async for pic in pictures:
                    if tile.feed is not None:
                        break  # a live feed taking the tile stops the playback
                    tile.image = _image(pic)
                    tile.update()
        except Exception as exc:
            self.say(tr("回放失败: {e}").format(e=exc))
        tile.note = tr("回放结束")
        tile.update()

    def on_export(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        item = self.recording_list.currentItem()
        if item is None or self.library is None:
            return
        folder = QFileDialog.getExistingDirectory(self, tr("导出到"))
        if folder:
            self.export_to(item.data(Qt.ItemDataRole.UserRole), Path(folder))

    def export_to(self, recording_id: str, folder: Path) -> None:
        assert self.library is not None
        card = next((c for c in self.library.cards() if c.recording_id == recording_id), None)
        if card is not None and not card.ended:
            self.say(tr("录制尚未结束：结束后才能导出（导出文件带校验值）"))
            return
        try:
            out = self.library.export(recording_id, folder)
            self.say(tr("已导出: {p}").format(p=out))
        except Exception as exc:
            self.say(tr("导出失败: {e}").format(e=exc))


def _image(pic: Any) -> QImage:
    """A decoded picture as a QImage that owns its pixels."""
    return QImage(pic.data, pic.width, pic.height, pic.stride, QImage.Format.Format_RGB888).copy()
