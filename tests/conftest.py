"""Fixtures shared by every test: real stores (SQLite and PostgreSQL), real hubs."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import settings
from sqlalchemy import Engine

from shared.config import HubConfig
from shared.hub import Hub
from shared.identity import Bundle, enroll
from shared.store import open_engine, sqlite_url
from tests.support import PostgresServer

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "artifacts"

# Hypothesis: derandomized and without deadlines by default, so a run on a slow, busy
# machine explores the same examples as anywhere else (HYPOTHESIS_PROFILE=explore for new ones).
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("explore", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# Nothing outside the repository (conventions, lesson 19): a file opened in the team folder
# beside it (../shared, which a CI clone has and a user's clone does not) fails the test.
_BESIDE = str(ROOT.parent / "shared") + os.sep
_OUTSIDE: list[str] = []


def _watch_opens(event: str, args: tuple[object, ...]) -> None:
    if event in ("open", "os.listdir", "os.scandir") and isinstance(args[0], str | Path):
        path = os.path.abspath(args[0]) + os.sep
        if path.startswith(_BESIDE):
            _OUTSIDE.append(path)


sys.addaudithook(_watch_opens)


@pytest.fixture(autouse=True)
def _nothing_read_outside_the_repository() -> Iterator[None]:
    _OUTSIDE.clear()
    yield
    assert not _OUTSIDE, f"opened outside the repository: {sorted(set(_OUTSIDE))[:5]}"


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Folder for screenshots and other files a person may want to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One throwaway PostgreSQL server for the session."""
    server = PostgresServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh empty database on each backend."""
    if request.param == "sqlite":
        return sqlite_url(tmp_path / "store" / "hub.db")
    if request.param.startswith(("sqlite+", "postgresql+")):
        return str(request.param)
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.new_database()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """A migrated engine on each backend."""
    eng = open_engine(db_url)
    try:
        yield eng
    finally:
        eng.dispose()


@dataclass
class HubHandle:
    """An in-process hub on ephemeral loopback ports, with helpers to enrol devices."""

    hub: Hub
    data_dir: Path
    engine: Engine
    bundles: dict[str, Bundle] = field(default_factory=dict)

    def enroll(self, name: str, role: str) -> Bundle:
        assert self.hub.endpoints is not None
        bundle = enroll(
            self.engine,
            name=name,
            role=role,
            hub_public_key=self.hub.keys.public,
            endpoints=self.hub.endpoints,
        )
        self.bundles[name] = bundle
        # The hub polls the device table every 250 ms; tests need not wait for it.
        return bundle

    def revoke(self, name: str, reason: str) -> None:
        """Revoke ``name`` and return once the running hub refuses its key (it reads the
        device table every 250 ms): a condition, not a fixed wait."""
        import time

        from shared.identity import revoke

        key = self.bundles[name].keys.public
        revoke(self.engine, name, reason=reason)
        deadline = time.monotonic() + 10
        while self.hub.devices.lookup(key) is not None:
            assert time.monotonic() < deadline, f"the hub still accepts {name}'s key"
            time.sleep(0.01)


@pytest.fixture
def hub_factory(tmp_path: Path) -> Iterator[object]:
    """Start in-process hubs: ``hub_factory(db_url=None, **config)``."""
    started: list[Hub] = []

    def start(
        db_url: str | None = None,
        wall_clock: object = None,
        relay: object = None,
        upstream: object = None,
        **cfg: object,
    ) -> HubHandle:
        data_dir = tmp_path / f"hub{len(started)}"
        data_dir.mkdir(exist_ok=True)  # a hub that failed to start leaves its folder
        url = db_url or sqlite_url(data_dir / "hub.db")
        eng = open_engine(url)
        config = HubConfig(request_port=0, publish_port=0, snapshot_port=0, **cfg)  # type: ignore[arg-type]
        extra = {"wall_clock": wall_clock} if wall_clock else {}
        hub = Hub(config, data_dir, eng, relay=relay, upstream=upstream, **extra)  # type: ignore[arg-type]
        hub.start()
        started.append(hub)
        return HubHandle(hub, data_dir, eng)

    yield start
    for hub in started:
        hub.stop()


@pytest.fixture
def hub(hub_factory: object) -> HubHandle:
    """A hub on SQLite."""
    return hub_factory()  # type: ignore[operator, no-any-return]


@pytest.fixture
def any_hub(hub_factory: object, db_url: str) -> HubHandle:
    """A hub on each backend."""
    return hub_factory(db_url)  # type: ignore[operator, no-any-return]


_TIERS = {
    "gui": ("tests/command_center/", "tests/field_unit/"),
    "media": ("tests/shared/media/",),
}
"""Markers given by where a test lives (``./run test --fast`` leaves these out)."""


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "xcb" if os.environ.get("DISPLAY") else "offscreen")
    if "not gui" in (config.option.markexpr or ""):
        return  # no window in this run: do not load QtWebEngine
    # The map's hall:// scheme and QtWebEngine's settings must exist before any QApplication.
    from command_center.map.qt_map_view import prepare_webengine

    prepare_webengine()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    root = Path(str(config.rootpath))
    for item in items:
        where = Path(str(item.path)).relative_to(root).as_posix()
        for marker, places in _TIERS.items():
            if where.startswith(places):
                item.add_marker(marker)
        if "qtbot" in getattr(item, "fixturenames", ()):
            item.add_marker("gui")
