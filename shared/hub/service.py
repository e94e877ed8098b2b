"""Opening a hub's data folder: configuration, store URL, keys and endpoints (CLI helpers)."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Engine

from shared.config import HubConfig
from shared.identity.keys import Endpoints, load_or_create_hub_keys
from shared.store.database import open_engine, sqlite_url


def store_url(data_dir: Path, config: HubConfig, override: str | None = None) -> str:
    """The database URL: ``--db``, else the config's ``db``, else SQLite in the data folder."""
    return override or config.db or sqlite_url(data_dir / "hub.db")


class NoHubHere(ValueError):
    """A data folder that holds no hub (a mistyped ``--data-dir``, say)."""


def is_new_folder(data_dir: Path) -> bool:
    """A folder that does not exist yet, or is empty: where a new hub may be made."""
    return not data_dir.exists() or (data_dir.is_dir() and not any(data_dir.iterdir()))


def holds_hub(data_dir: Path, config: HubConfig, override: str | None = None) -> bool:
    """Whether ``data_dir`` holds a hub: its SQLite store, or (with a database server) the
    hub's keys."""
    if override or config.db:
        return (data_dir / "keys" / "hub.json").is_file()
    return (data_dir / "hub.db").is_file()


def open_store(
    data_dir: Path,
    config: HubConfig,
    override: str | None = None,
    *,
    create: bool = False,
) -> Engine:
    """The migrated store of this data folder.

    An administration command never creates or blesses an empty store: without ``create``
    a folder that holds no hub is refused. With it (``serve``, and ``enroll`` into a folder
    that is absent or empty) the hub's store is made.

    Raises:
        NoHubHere: no hub in ``data_dir`` (the message names the path looked at).
    """
    if not create and not holds_hub(data_dir, config, override):
        looked = "keys/hub.json" if override or config.db else "hub.db"
        raise NoHubHere(
            f"no hub in {data_dir.resolve()} (looked for {looked} there): check --data-dir; "
            "a new hub's folder is made by `serve`, or by the first `enroll` into an empty "
            "or new folder"
        )
    return open_engine(store_url(data_dir, config, override))


def advertised_endpoints(data_dir: Path, config: HubConfig) -> Endpoints:
    """Endpoints to write into bundles: a running hub's ``hub.json``, else the configuration."""
    info = data_dir / "hub.json"
    if info.exists():
        ep = json.loads(info.read_text("utf-8"))["endpoints"]
        return Endpoints(ep["request"], ep["publish"], ep["snapshot"])
    host = config.advertised_host()
    return Endpoints(
        f"tcp://{host}:{config.request_port}",
        f"tcp://{host}:{config.publish_port}",
        f"tcp://{host}:{config.snapshot_port}",
    )


def hub_public_key(data_dir: Path) -> str:
    """The hub's CURVE public key (created with the data folder)."""
    return load_or_create_hub_keys(data_dir).public


def parse_listen(addr: str, config: HubConfig) -> HubConfig:
    """Apply ``--listen HOST[:PORT]``: PORT is the request port, +1 publish, +2 snapshot;
    port 0 makes all three ephemeral."""
    host, _, port_text = addr.rpartition(":") if ":" in addr else (addr, "", "")
    import msgspec

    changes: dict[str, object] = {"listen_host": host or addr}
    if port_text:
        try:
            port = int(port_text)
        except ValueError:
            raise ValueError(f"--listen {addr!r}: port must be a number") from None
        if not 0 <= port <= 65533:
            raise ValueError(f"--listen {addr!r}: port must be 0–65533")
        changes.update(
            request_port=port,
            publish_port=port + 1 if port else 0,
            snapshot_port=port + 2 if port else 0,
        )
    return msgspec.structs.replace(config, **changes)
