"""Live video and voice over WebRTC (aiortc): the media agent, sources, encoding once for many
viewers, playout, recording, push-to-talk stations.

Nothing is exported here on purpose: each part is imported by its module path
(``shared.media.agent`` …), because each pulls in aiortc and PyAV, which a process that only
carries situation data should never load."""

__all__: list[str] = []
