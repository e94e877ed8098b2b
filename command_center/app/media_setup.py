"""Builds the hall's media relay from the window's settings (kept apart so it is tested)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from shared.media.agent import MediaAgent, ice_servers
from shared.media.hall import HallMedia
from shared.media.recording import RecordingLibrary
from shared.media.sources import LocalMedia, SourceError


def hall_media_for(
    client: Any,
    replica: Any,
    picture: Any,
    folder: Path,
    *,
    mic: str = "none",
    keep_days: float = 30.0,
    turn: tuple[str | None, str, str] = (None, "", ""),
    turn_only: bool = False,
) -> tuple[HallMedia, list[str]]:
    """The relay, after retention has run over ``folder``; and what to tell the user."""
    notes: list[str] = []
    open_ids = [k for k, i in picture.incidents.items() if i.status != "closed"]
    gone = RecordingLibrary(folder).apply_retention(keep_days, open_ids)
    if gone:
        notes.append(f"{len(gone)} recordings older than {keep_days:g} days deleted")
    try:
        local = LocalMedia.open("none", mic)
    except SourceError as exc:
        notes.append(f"{exc}; the hall listens without speaking")
        local = LocalMedia.open("none", "none")
    servers = ice_servers(*turn)

    def agent(**kw: Any) -> MediaAgent:
        return MediaAgent(client, replica, local, ice_servers=servers, relay_only=turn_only, **kw)

    return HallMedia(agent, record_to=folder), notes
