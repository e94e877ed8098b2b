"""Test support: a throwaway PostgreSQL server, real hub processes, free ports."""

from __future__ import annotations

import glob
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from shared.identity import Endpoints


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


_SLICE = 1000
_WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
_BASE = 12000 + (_WORKER % ((_ephemeral_low() - 12000) // _SLICE)) * _SLICE
_next = [secrets.randbelow(_SLICE)]


def free_ports(n: int, consecutive: bool = False) -> list[int]:
    """``n`` distinct TCP ports on loopback, free now and not reused by this run's others.

    They come from below the kernel's ephemeral range, so no ``bind(0)`` and no outgoing
    connection anywhere on the machine is handed one, and from a slice of their own for each
    pytest-xdist worker, taken in turn (from a random start, so two runs side by side rarely
    meet): a hub restarted on its ports after 30 s finds them still free, where a port picked
    by binding 0 and releasing it was once taken by another worker meanwhile.
    ``consecutive``: ``n`` ports in a row (a hub's request, publish and snapshot ports)."""
    for _ in range(_SLICE):
        first = _BASE + _next[0] % _SLICE
        _next[0] += n if consecutive else 1
        if first + n > _BASE + _SLICE and consecutive:
            continue
        wanted = [first + i for i in range(n)] if consecutive else [first]
        if all(_bindable(p) for p in wanted):
            if consecutive or n == 1:
                return wanted
            return [wanted[0], *free_ports(n - 1)]
    raise RuntimeError(f"no free port left in {_BASE}-{_BASE + _SLICE - 1}")


def _bindable(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _pg_bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not candidates:
        raise RuntimeError(
            f"PostgreSQL's {name} not found: run ./run setup (installs the postgresql package)"
        )
    return candidates[-1]


class PostgresServer:
    """A real PostgreSQL server in a temporary folder, on a loopback port, trust auth."""

    def __init__(self) -> None:
        # Not under pytest's tmp folder: that is private to root, and the server runs as the
        # postgres user when the tests run as root.
        self.base = Path(tempfile.mkdtemp(prefix="hengshui-pg-"))
        self.data = self.base / "pgdata"
        self.port = free_ports(1)[0]
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            # PostgreSQL refuses to run as root: run it as the postgres system user.
            pwd.getpwnam("postgres")
            self._as_user = ["runuser", "-u", "postgres", "--"]
        self._counter = 0

    def _run(self, *cmd: str) -> None:
        subprocess.run([*self._as_user, *cmd], check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        if self._as_user:
            shutil.chown(self.base, "postgres", "postgres")
            os.chmod(self.base, 0o700)
        self._run(
            _pg_bin("initdb"),
            "-D",
            str(self.data),
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--no-sync",
        )
        self._run(
            _pg_bin("pg_ctl"),
            "-D",
            str(self.data),
            "-w",
            "-t",
            "60",
            "-l",
            str(self.base / "pg.log"),
            "-o",
            f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c max_connections=200",
            "start",
        )

    def stop(self) -> None:
        try:
            self._run(_pg_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.base, ignore_errors=True)

    def new_database(self) -> str:
        """A fresh empty database; returns its SQLAlchemy URL."""
        import psycopg

        self._counter += 1
        name = f"t{os.getpid()}_{self._counter}"
        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True
        ) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"


class HubProcess:
    """``command-center serve`` as a real child process on fixed loopback ports."""

    def __init__(
        self, data_dir: Path, db: str | None = None, serve_args: tuple[str, ...] = ()
    ) -> None:
        self.data_dir = data_dir
        self.db = db
        self.serve_args = serve_args
        self.port = self._pick_ports()
        self.proc: subprocess.Popen[bytes] | None = None

    @staticmethod
    def _pick_ports() -> int:
        return free_ports(3, consecutive=True)[0]

    @property
    def endpoints(self) -> Endpoints:
        return Endpoints(
            f"tcp://127.0.0.1:{self.port}",
            f"tcp://127.0.0.1:{self.port + 1}",
            f"tcp://127.0.0.1:{self.port + 2}",
        )

    def command(self, *args: str) -> list[str]:
        cmd = [sys.executable, "-m", "command_center", *args, "--data-dir", str(self.data_dir)]
        if self.db:
            cmd += ["--db", self.db]
        return cmd

    def start(self, timeout: float = 30) -> None:
        info = self.data_dir / "hub.json"
        if info.exists():
            info.unlink()
        log = open(self.data_dir / "hub-stdout.log", "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(
            self.command("serve", "--listen", f"127.0.0.1:{self.port}", *self.serve_args),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while not info.exists():
            if self.proc.poll() is not None:
                raise RuntimeError(f"hub exited with {self.proc.returncode}; see {log.name}")
            if time.monotonic() > deadline:
                raise TimeoutError("hub did not become ready")
            time.sleep(0.02)
        json.loads(info.read_text())

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self.command(*args), capture_output=True, text=True, timeout=60)


@contextmanager
def running_hub(
    data_dir: Path, db: str | None = None, serve_args: tuple[str, ...] = ()
) -> Iterator[HubProcess]:
    hub = HubProcess(data_dir, db, serve_args)
    hub.start()
    try:
        yield hub
    finally:
        hub.stop()


class RawPeer:
    """A bare DEALER with a device's CURVE identity, for sending hand-made frames."""

    def __init__(
        self,
        bundle: object,
        *,
        curve: bool = True,
        keys: tuple[str, str] | None = None,
        sndhwm: int | None = None,
    ):
        import zmq

        from shared.identity import Bundle

        assert isinstance(bundle, Bundle)
        self.ctx = zmq.Context()
        self.sock = self.ctx.socket(zmq.DEALER)
        self.sock.linger = 0
        self.sock.maxmsgsize = -1
        if sndhwm is not None:
            self.sock.sndhwm = sndhwm
        if curve:
            pub, sec = keys or (bundle.keys.public, bundle.keys.secret)
            self.sock.curve_serverkey = bundle.hub_public_key.encode()
            self.sock.curve_publickey = pub.encode()
            self.sock.curve_secretkey = sec.encode()
        self.monitor = self.sock.get_monitor_socket()
        self.sock.connect(bundle.endpoints.request)

    def send(self, *frames: bytes) -> None:
        self.sock.send_multipart(list(frames))

    def recv(self, timeout: float = 5.0) -> bytes | None:
        if self.sock.poll(int(timeout * 1000)):
            return bytes(self.sock.recv())
        return None

    def events(self, timeout: float = 2.0) -> list[int]:
        from zmq.utils.monitor import recv_monitor_message

        out = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.monitor.poll(50):
                out.append(recv_monitor_message(self.monitor)["event"])
        return out

    def close(self) -> None:
        self.sock.disable_monitor()
        self.monitor.close(0)
        self.sock.close(0)
        self.ctx.term()


class LossProxy:
    """A TCP relay that cuts the connection at random: it loses ``drop`` of the ``chunk``-byte
    blocks it carries (a short read counts as its share of a block), and a loss closes both
    sides at once — a link that drops, as a userspace stand-in where netem is not available.
    Counts the bytes each way and the cuts."""

    def __init__(self, host: str, port: int, drop: float, *, seed: int = 7, chunk: int = 16384):
        import random

        self.target = (host, port)
        self.drop = drop
        self.chunk = chunk
        self.rng = random.Random(seed)
        self.up_bytes = 0
        self.down_bytes = 0
        self.cuts = 0
        self.connections = 0
        self.port = 0
        self._server: Any = None

    async def start(self) -> int:
        import asyncio

        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self.port

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()

    async def _serve(self, reader: Any, writer: Any) -> None:
        import asyncio

        self.connections += 1
        try:
            up_r, up_w = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        cut = asyncio.Event()

        async def pump(src: Any, dst: Any, upstream: bool) -> None:
            try:
                while not cut.is_set():
                    data = await src.read(self.chunk)
                    if not data or cut.is_set():
                        break
                    if self.rng.random() < 1 - (1 - self.drop) ** (len(data) / self.chunk):
                        self.cuts += 1
                        break
                    if upstream:
                        self.up_bytes += len(data)
                    else:
                        self.down_bytes += len(data)
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                if not cut.is_set():
                    cut.set()
                    for w in (writer, up_w):  # at once: nothing buffered gets through
                        w.transport.abort()

        await asyncio.gather(pump(reader, up_w, True), pump(up_r, writer, False))


DEADLINE_SCALE = float(os.environ.get("TEST_DEADLINE_SCALE", "3"))
"""Every :func:`until` deadline is this many times what the test names: deadlines are hang
guards, and the suite must hold on a machine three times slower than ours, under load
(waiting on a condition costs nothing more when it is met sooner)."""


async def until(predicate: Any, timeout: float = 10.0, step: float = 0.02, what: str = "") -> None:
    """Wait until ``predicate()`` is true; fail the test after ``timeout`` seconds, saying
    ``what`` was awaited.

    A predicate that looks at something not there yet (``picture.get(...).state`` before the
    item arrived: AttributeError on None, or a LookupError) counts as not yet true: which of
    two subscribers hears of a change first is not fixed. At the deadline it runs once more,
    and whatever it raises then fails the test."""
    import asyncio

    timeout *= DEADLINE_SCALE
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except (AttributeError, LookupError):
            pass
        await asyncio.sleep(step)
    if predicate():
        return
    raise AssertionError(f"not reached in {timeout:g} s: {what or predicate}")


async def declare(client: Any, *incident_ids: str, timeout: float = 10.0) -> None:
    """Declare test incidents (a report is taken only on an incident that exists) and wait
    until the hub has them."""
    from shared.protocol import IncidentDeclare

    msgs = [
        client.make(IncidentDeclare, incident_id=i, title=f"{i} 测试事件", lat=37.74, lon=115.67)
        for i in incident_ids
    ]
    held: set[str] = set()
    client.on_ack.append(lambda ref, status, latency: held.add(ref))
    await client.submit(*msgs)
    await until(lambda: all(m.id in held for m in msgs), timeout)


def raw_declare(peer: Any, sender: str, incident_id: str) -> None:
    """Declare a test incident through a :class:`RawPeer` and wait for its acknowledgement."""
    from shared.protocol import Ack, IncidentDeclare, decode_reply, encode, new_id, utcnow

    msg = IncidentDeclare(
        id=new_id(),
        sender=sender,
        sent=utcnow(),
        incident_id=incident_id,
        title=f"{incident_id} 测试事件",
        lat=37.74,
        lon=115.67,
    )
    peer.send(encode(msg))
    reply = decode_reply(peer.recv(timeout=10) or b"")
    assert isinstance(reply, Ack) and reply.ref == msg.id, reply


def run_in_qt(qapp: Any, scenario: Any) -> None:
    """Run ``scenario()`` on a qasync loop over the test's QApplication, then close the loop
    (joining its executor threads: a QThread must not outlive the test)."""
    import asyncio

    import qasync

    qapp.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(scenario())
    finally:
        loop.close()
        asyncio.set_event_loop(None)


async def page_painted(view: Any, timeout: float = 10.0) -> None:
    """Wait until a web view's page has painted two frames since now (what a screenshot
    of a map needs after the last change), not a fixed time."""
    token = new_token()
    view.page().runJavaScript(
        "requestAnimationFrame(() => requestAnimationFrame(() => "
        f"{{ window.__painted = {token}; }}))"
    )
    seen: list[Any] = []

    def done() -> bool:
        view.page().runJavaScript("window.__painted", 0, seen.append)
        return bool(seen) and seen[-1] == token

    await until(done, timeout, 0.02, "the page painted")


def new_token() -> int:
    """A number not used before in this process."""
    global _TOKENS
    _TOKENS += 1
    return _TOKENS


_TOKENS = 0


def ctl(bundle: Path, *args: str) -> tuple[int, dict[str, object]]:
    """``command-center ctl --json …`` as a user runs it: (exit code, its JSON answer)."""
    import json
    import subprocess
    import sys

    res = subprocess.run(
        [sys.executable, "-m", "command_center", "ctl", "--bundle", str(bundle), "--json", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "Traceback" not in res.stderr, res.stderr
    return res.returncode, json.loads(res.stdout.strip().splitlines()[-1])


def idle_replica() -> Any:
    """A hall replica that is never started: the test feeds its picture directly (or the hub
    is away), and the window sees a replica that has not synced and heard no beat."""
    import asyncio

    from shared.client import Replica

    replica = Replica.__new__(Replica)
    replica.synced = asyncio.Event()
    replica.last_beat = 0.0
    return replica


def hall_marked_texts() -> dict[str, str]:
    """text → where it is marked (file:line), for every literal inside ``tr("…")`` or
    ``N_("…")`` in the hall's modules (``command_center/app`` and ``command_center/map``)."""
    import ast

    root = Path(__file__).resolve().parent.parent / "command_center"
    found: dict[str, str] = {}
    for path in sorted([*(root / "app").glob("*.py"), *(root / "map").glob("*.py")]):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("tr", "N_")
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.setdefault(node.args[0].value, f"{path.name}:{node.lineno}")
    return found


def loose_bundle(request: str = "tcp://127.0.0.1:9") -> Any:
    """A device bundle enrolled nowhere (fresh keys, no hub behind ``request``): for a client
    whose link is in memory, or that must never reach a hub."""
    from datetime import UTC, datetime

    from shared.identity.keys import Bundle, KeyPair

    return Bundle(
        device="unit-1",
        role="field",
        keys=KeyPair.generate(),
        hub_public_key=KeyPair.generate().public,
        endpoints=Endpoints(request, "tcp://127.0.0.1:9", "tcp://127.0.0.1:9"),
        issued=datetime.now(UTC),
        expires=None,
    )
