"""The field device's live media: its camera and microphone answer the hall, and its
push-to-talk in the incident's talk group (no Qt; the window shows it)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shared.media.agent import MediaAgent, Session, Stream
from shared.media.sources import LocalMedia
from shared.protocol import FloorRequest
from shared.protocol.state import TalkGroupState


class FieldMedia:
    """Sessions with the hall and the talk group this device is in."""

    def __init__(
        self,
        session: Any,
        *,
        camera: str = "none",
        mic: str = "none",
        ice: tuple[Any, ...] = (),
        cap_bps: int | None = 1_000_000,
    ) -> None:
        self.session = session
        self.device: str = session.device
        self.local = LocalMedia.open(camera, mic, cap_bps=cap_bps)
        self.sounds: list[Stream] = []
        self.on_sound: Callable[[Stream], None] | None = None
        self.ended: list[Session] = []
        self.agent = MediaAgent(
            session.client,
            session.replica,
            self.local,
            ice_servers=ice,
            on_stream=self._on_stream,
            on_session=self.ended.append,
        )

    def start(self) -> None:
        self.agent.start()

    async def aclose(self) -> None:
        await self.agent.aclose()

    def _on_stream(self, stream: Stream) -> None:
        if stream.kind == "audio":
            self.sounds.append(stream)
            if self.on_sound is not None:
                self.on_sound(stream)

    def group(self) -> TalkGroupState | None:
        """The talk group this device belongs to (the latest changed, if several)."""
        groups = [
            g
            for g in self.session.replica.items.get("talkgroup", {}).values()
            if isinstance(g, TalkGroupState) and self.device in g.members
        ]
        if not groups:
            return None
        return max(groups, key=lambda g: g.updated.timestamp() if g.updated else 0.0)

    async def press(self) -> str | None:
        """Ask for the floor; the refusal's reason, or None."""
        group = self.group()
        if group is None:
            return "不在任何对讲组中: 指挥大厅建立对讲组后可用"
        client = self.session.client
        await client.submit(client.make(FloorRequest, group_id=group.group_id, action="request"))
        return None

    async def release(self) -> None:
        group = self.group()
        if group is not None:
            client = self.session.client
            await client.submit(
                client.make(FloorRequest, group_id=group.group_id, action="release")
            )

    def status(self) -> str:
        """What the device sends and to whom, for the screen."""
        live = [s for s in self.agent.sessions.values() if s.status != "ended"]
        if not live:
            what = "视频回传: 待命" if self.local.video is not None else "无摄像头: 仅语音"
            return what
        parts = []
        for s in live:
            kind = {"watch": "视频回传", "call": "通话", "talkgroup": "对讲", "forward": "转发画面"}
            parts.append(f"{kind.get(s.purpose, s.purpose)} → {s.peer}")
        return "；".join(parts)
