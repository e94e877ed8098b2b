"""A relay from configuration: destinations checked before the hub binds, so a missing
certificate stops the hub with the file named instead of failing at the first alert."""

from __future__ import annotations

import ssl
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import cast

from sqlalchemy import Engine, Table, select

from shared.config import ConfigError, RelayConfig, RelayDestination
from shared.relay.formats.cap import CapError
from shared.relay.outbound.alerts import AlertFactory, CapSettings, load_cap_settings
from shared.relay.outbound.queue import RelayQueue
from shared.relay.outbound.relayer import Backoff, Relayer
from shared.relay.outbound.transports import DropTransport, HttpsTransport, Transport, client_tls
from shared.store.blobs import BlobStore
from shared.store.models import Report

_reports = cast(Table, Report.__table__)


def build_transport(dest: RelayDestination) -> Transport:
    """One destination's transport.

    Raises:
        ConfigError: neither or both of ``url`` and ``drop_dir``; a certificate file missing
            or not matching its key; a drop folder that cannot be created.
    """
    if bool(dest.url) == bool(dest.drop_dir):
        raise ConfigError(f"relay destination {dest.name!r}: give either url or drop_dir")
    if dest.drop_dir:
        folder = Path(dest.drop_dir)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(
                f"relay destination {dest.name!r}: cannot create {folder}: {exc.strerror}"
            ) from None
        return DropTransport(folder, name=dest.name)
    if not dest.url.startswith("https://"):
        raise ConfigError(f"relay destination {dest.name!r}: url must be https:// (mutual TLS)")
    for label, path in (("ca", dest.ca), ("cert", dest.cert), ("key", dest.key)):
        if not path or not Path(path).is_file():
            raise ConfigError(
                f"relay destination {dest.name!r}: {label} file {path!r} not found "
                "(the government PKI issues it; `command-center pki init` makes test ones)"
            )
    try:
        tls = client_tls(Path(dest.ca), Path(dest.cert), Path(dest.key))
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"relay destination {dest.name!r}: TLS files unusable: {exc}") from None
    return HttpsTransport(dest.url, tls, name=dest.name, timeout_s=dest.timeout_s)


def build_relayer(
    cfg: RelayConfig,
    engine: Engine,
    blobs: BlobStore | None,
    clock: Callable[[], datetime],
) -> Relayer | None:
    """The relay the configuration asks for (None when it names no destination).

    Raises:
        ConfigError: a destination unusable (see :func:`build_transport`), names repeated, or
            the CAP mapping file unreadable.
    """
    if not cfg.destinations:
        return None
    names = [d.name for d in cfg.destinations]
    if len(set(names)) != len(names):
        raise ConfigError(f"relay destinations need distinct names: {names}")
    transports = [build_transport(d) for d in cfg.destinations]
    settings: CapSettings | None = None
    if cfg.cap_file:
        try:
            settings = load_cap_settings(Path(cfg.cap_file).read_text("utf-8"))
        except OSError as exc:
            raise ConfigError(f"cannot read {cfg.cap_file}: {exc.strerror}") from None
        except CapError as exc:
            raise ConfigError(str(exc)) from None

    def report_text(report_id: str) -> str:
        with engine.connect() as conn:
            text = conn.execute(
                select(_reports.c.text).where(_reports.c.msg_id == report_id).limit(1)
            ).scalar()
        return str(text or "")

    factory = AlertFactory(settings, clock=clock, report_text=report_text)
    return Relayer(
        RelayQueue(engine),
        transports,
        factory=factory,
        blobs=blobs,
        clock=clock,
        backoff=Backoff(cfg.backoff_first_s, cfg.backoff_max_s),
    )
