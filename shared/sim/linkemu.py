"""A lossy UDP link between two WebRTC peers on one machine (tests, benchmarks, drills).

netem is not available on every machine (nor to an unprivileged user), so the loss is made
here: two sockets stand in for the two peers. Each peer's host candidates in the SDP it
sends are rewritten to the stand-in's address; what the stand-in for A receives from B goes
to A from the stand-in for B, and back. ICE, DTLS and SRTP run end to end through it,
unaware. Loss (random, per datagram) and a bitrate cap (a shaper with a 300 ms queue)
apply to everything but STUN, whose checks keep the pair alive as on a real link that
loses media.
"""

from __future__ import annotations

import asyncio
import random
import re
from dataclasses import dataclass, field
from functools import partial
from typing import Any


@dataclass
class LinkStats:
    forwarded: int = 0
    lost: int = 0
    over_cap: int = 0
    bytes: int = 0


class _Side(asyncio.DatagramProtocol):
    def __init__(self, link: LossyLink, name: str) -> None:
        self.link, self.name = link, name
        self.transport: Any = None
        self.peer_addr: tuple[str, int] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # a _SelectorDatagramTransport, not a DatagramTransport

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.link._forward(self, data, addr)


def _same(side: _Side) -> _Side:
    return side


@dataclass
class LossyLink:
    """Stand-ins for peer ``a`` and peer ``b``; :meth:`rewrite` fixes up each one's SDP."""

    loss: float = 0.0
    cap_bps: int | None = None
    queue_s: float = 0.3
    seed: int = 1
    stats: LinkStats = field(default_factory=LinkStats)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._sides: dict[str, _Side] = {}
        self._real: dict[str, tuple[str, int]] = {}
        self._next_free = 0.0

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        for name in ("a", "b"):
            side = _Side(self, name)
            await loop.create_datagram_endpoint(partial(_same, side), local_addr=("127.0.0.1", 0))
            self._sides[name] = side

    def close(self) -> None:
        for side in self._sides.values():
            if side.transport is not None:
                side.transport.close()

    def address(self, name: str) -> tuple[str, int]:
        transport = self._sides[name].transport
        assert transport is not None
        host, port = transport.get_extra_info("sockname")[:2]
        return host, port

    def rewrite(self, name: str, sdp: str) -> str:
        """Peer ``name``'s SDP with its first IPv4 host candidate replaced by the stand-in's
        (other candidates removed, so every packet crosses the link)."""
        host, port = self.address(name)
        out = []
        for line in sdp.splitlines():
            m = re.match(r"a=candidate:(\S+) (\d) udp (\d+) (\S+) (\d+) typ host(.*)", line)
            if line.startswith("a=candidate:"):
                if m and name not in self._real and re.fullmatch(r"[\d.]+", m.group(4)):
                    self._real[name] = (m.group(4), int(m.group(5)))
                    out.append(
                        f"a=candidate:{m.group(1)} {m.group(2)} udp {m.group(3)} "
                        f"{host} {port} typ host{m.group(6)}"
                    )
                continue
            out.append(line)
        if name not in self._real:
            raise ValueError("no IPv4 host candidate to route through the link")
        return "\r\n".join(out) + "\r\n"

    def _forward(self, side: _Side, data: bytes, addr: tuple[str, int]) -> None:
        # a datagram to the stand-in for X comes from the other peer Y; it goes to X from
        # the stand-in for Y (which is the address X knows Y by)
        other = "b" if side.name == "a" else "a"
        dest = self._real.get(side.name)
        out = self._sides[other].transport
        if dest is None or out is None:
            return
        stun = len(data) >= 20 and data[0] < 2 and data[4:8] == b"\x21\x12\xa4\x42"
        if not stun:
            if self.loss and self._rng.random() < self.loss:
                self.stats.lost += 1
                return
            if self.cap_bps:
                # a shaper, as a router's queue is: datagrams leave at the cap's rate, and
                # what would wait longer than ``queue_s`` is dropped
                loop = asyncio.get_running_loop()
                now = loop.time()
                depart = max(now, self._next_free) + len(data) * 8 / self.cap_bps
                if depart - now > self.queue_s:
                    self.stats.over_cap += 1
                    return
                self._next_free = depart
                self.stats.forwarded += 1
                self.stats.bytes += len(data)
                loop.call_at(depart, out.sendto, data, dest)
                return
        self.stats.forwarded += 1
        self.stats.bytes += len(data)
        out.sendto(data, dest)
