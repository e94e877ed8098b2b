"""Media through an intranet TURN server (a real coturn on loopback), relay candidates only:
the TURN settings the hall and the field units take do carry media."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiortc import RTCPeerConnection, RTCSessionDescription

from shared.media.agent import MediaError, ice_servers, peer_config
from shared.media.encoding import SharedVideoEncoder, codec_preferences, install_passthrough
from shared.media.meter import VideoMeter
from shared.sim.synthetic_media import SyntheticVideoTrack
from tests.support import free_ports


@pytest.fixture
def turn_server(tmp_path: Path) -> Iterator[int]:
    binary = shutil.which("turnserver")
    if binary is None:
        pytest.skip("coturn is not installed (./run setup installs it)")
    port = free_ports(1)[0]
    proc = subprocess.Popen(
        [
            binary,
            "-n",
            "--listening-ip",
            "127.0.0.1",
            "--relay-ip",
            "127.0.0.1",
            "--listening-port",
            str(port),
            "--min-port",
            "49200",
            "--max-port",
            "49400",
            "--lt-cred-mech",
            "--user",
            "hall:s3cret",
            "--realm",
            "hengshui.gov",
            "--no-tls",
            "--no-dtls",
            "--no-cli",
            "--allow-loopback-peers",
            "--log-file",
            str(tmp_path / "turn.log"),
            "--pidfile",
            str(tmp_path / "turn.pid"),
            "--userdb",
            str(tmp_path / "turn.db"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    # it writes its pid file once it has read its configuration and opened its listeners
    deadline = time.monotonic() + 10
    while not (tmp_path / "turn.pid").exists() and proc.poll() is None:
        assert time.monotonic() < deadline, "turnserver did not start in 10 s"
        time.sleep(0.02)
    assert proc.poll() is None, (
        (tmp_path / "turn.log").read_text()
        if (tmp_path / "turn.log").exists()
        else "turnserver exited"
    )
    yield port
    proc.terminate()
    proc.wait(10)


async def test_video_flows_through_the_turn_server_only(turn_server: int) -> None:
    port = turn_server
    install_passthrough()
    servers = ice_servers(f"turn:127.0.0.1:{port}?transport=udp", "hall", "s3cret")
    a = RTCPeerConnection(peer_config(servers, relay_only=True))
    b = RTCPeerConnection(peer_config(servers, relay_only=True))
    enc = SharedVideoEncoder(SyntheticVideoTrack(320, 180, 15))
    enc.start()
    t = a.addTransceiver(enc.fanout.track(), direction="sendonly")
    t.setCodecPreferences(codec_preferences("video", "H264"))
    tracks: asyncio.Queue = asyncio.Queue()
    b.on("track", tracks.put_nowait)
    try:
        await a.setLocalDescription(await a.createOffer())
        offer = a.localDescription.sdp
        # only relayed candidates are offered: nothing goes peer to peer
        candidates = [line for line in offer.split("\r\n") if line.startswith("a=candidate:")]
        assert candidates and all(" typ relay" in c for c in candidates), candidates
        await b.setRemoteDescription(RTCSessionDescription(offer, "offer"))
        await b.setLocalDescription(await b.createAnswer())
        await a.setRemoteDescription(b.localDescription)
        meter = VideoMeter()
        task = asyncio.ensure_future(meter.run(await asyncio.wait_for(tracks.get(), 20)))
        for _ in range(200):
            if meter.frames > 20:
                break
            await asyncio.sleep(0.05)
        task.cancel()
        assert meter.frames > 20 and meter.delays_ms
    finally:
        await enc.stop()
        await a.close()
        await b.close()


async def test_wrong_turn_credentials_or_settings_are_explained() -> None:
    with pytest.raises(MediaError, match="needs a TURN server"):
        peer_config((), relay_only=True)
