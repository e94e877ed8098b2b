"""Configuration: a TOML file decoded into typed structs, with per-user default folders.

Example ``hub.toml``::

    [hub]
    listen_host = "0.0.0.0"       # address the sockets bind to
    public_host = "10.1.2.3"      # address written into key bundles for devices
    request_port = 7701           # 0 = ephemeral (tests)
    publish_port = 7702
    snapshot_port = 7703
    max_frame_bytes = 16777216
    db = "postgresql+psycopg://hub:secret@db.local/hub"

    [[relay.destinations]]        # the provincial platform, HTTPS with mutual TLS
    name = "province"
    url = "https://10.13.0.5:8443/edxl"
    ca = "/etc/hengshui/pki/ca.crt"
    cert = "/etc/hengshui/pki/city.crt"
    key = "/etc/hengshui/pki/city.key"

    [[relay.destinations]]        # a drop folder for the data ferry
    name = "ferry"
    drop_dir = "/srv/ferry/out"

    [log]
    level = "INFO"
"""

from __future__ import annotations

import tomllib
from datetime import timedelta
from pathlib import Path

import msgspec
import platformdirs

from shared.protocol.codec import DEFAULT_MAX_BLOB_BYTES, DEFAULT_MAX_FRAME_BYTES
from shared.protocol.values import ValueRules

APP_NAME = "hengshui-command"
APP_AUTHOR = "Hengshui"

DEFAULT_REQUEST_PORT = 7701
DEFAULT_PUBLISH_PORT = 7702
DEFAULT_SNAPSHOT_PORT = 7703


class ConfigError(Exception):
    """A configuration that cannot be used; the message names the file and the field."""


class HubConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Where and how the hub listens."""

    listen_host: str = "127.0.0.1"
    """The address the hub binds (``0.0.0.0``: every interface)."""
    public_host: str = ""
    """The address written into key bundles for devices to connect to (default: the listen
    address, or 127.0.0.1 when it binds every interface)."""
    request_port: int = msgspec.field(default=DEFAULT_REQUEST_PORT)
    """Reports, orders and commands (ROUTER); 0 picks a free port, written to ``hub.json``."""
    publish_port: int = DEFAULT_PUBLISH_PORT
    """State updates and heartbeats to every replica (PUB)."""
    snapshot_port: int = DEFAULT_SNAPSHOT_PORT
    """The current picture for replicas that join late or saw a gap (ROUTER)."""
    db: str = ""
    """SQLAlchemy URL of the store (``postgresql+psycopg://…``); empty: SQLite in the data
    folder."""
    max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES
    """The largest request frame accepted; larger ones are answered ``oversized`` (twice
    this cuts the connection)."""
    heartbeat_s: float = 1.0
    """Interval of the hub's beats and of presence checks (clients ping at their own)."""
    offline_after_beats: int = 3
    """A device silent this many beats is shown offline (stale after 1.5)."""
    batch_max: int = 1024
    """Requests read, written in one transaction and answered together at most."""
    level: str = "city"
    """``city`` or ``county`` (a county hub links up to the city with ``[upstream]``)."""
    order_ack_timeout_s: float = 300.0
    """An order not acknowledged within this is resent (then alarmed, then handed over)."""
    order_max_resends: int = 2
    """Resends of an unacknowledged order before it is alarmed and handed over."""
    attachment_max_bytes: int = DEFAULT_MAX_BLOB_BYTES
    """The largest attachment (photo, document) the hub accepts."""
    plans_file: str = ""
    """The site's plans (预案) in the format of ``shared/data/plans.toml`` (default: the
    packaged SAMPLE plans)."""
    departments_file: str = ""
    """The site's departments and liaison devices (default: the packaged sample list)."""
    client_queue_max: int = 4096
    """Requests one device may have waiting at the hub; more are refused ``busy`` unread."""
    abuse_window_s: float = 10.0
    """The window in which a device's malformed or forbidden messages are counted."""
    abuse_throttle_after: int = 20
    """Offences within the window after which a device is throttled."""
    abuse_cutoff_after: int = 100
    """Offences within the window after which a device is cut off (and alarmed)."""
    abuse_cutoff_s: float = 300.0
    """How long a cut-off lasts: frames dropped unread, new handshakes refused."""
    device_open_uploads_max: int = 8
    """Unfinished attachment uploads one device may have at once."""
    device_upload_bytes_max: int = 256 * 1024 * 1024
    """Declared bytes of one device's unfinished uploads, in all."""
    device_attachment_bytes_max: int = 4 * 1024 * 1024 * 1024
    """Attachment bytes the hub keeps for one device, in all."""
    device_media_sessions_max: int = 16
    """Media sessions one device takes part in at once (calling or called)."""
    abuse_alarm_hold_s: float = 3600.0
    """The alarm naming a cut-off device stays this long after its last offence (or until
    it is revoked)."""
    value_skew_s: float = 300.0
    """How far an observed time in a message (sent, a fix, a reading, occurred, received)
    may lie ahead of the hub's clock (see shared/protocol/values.py)."""
    value_recent_days: float = 30.0
    """How old a message's times may be: the longest a device may be cut off and still have
    what it queued taken."""
    value_history_days: float = 3660.0
    """How long ago an incident may have occurred."""
    value_planned_days: float = 366.0
    """How far ahead a planned time (a warning's expiry, a duty shift's end) may lie."""

    def value_rules(self) -> ValueRules:
        """The value windows as :class:`shared.protocol.values.ValueRules`."""
        return ValueRules(
            skew=timedelta(seconds=self.value_skew_s),
            recent=timedelta(days=self.value_recent_days),
            history=timedelta(days=self.value_history_days),
            planned=timedelta(days=self.value_planned_days),
        )

    def advertised_host(self) -> str:
        """The host devices should connect to."""
        if self.public_host:
            return self.public_host
        return "127.0.0.1" if self.listen_host in ("0.0.0.0", "*", "") else self.listen_host


class RelayDestination(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Where relayed alerts go: an HTTPS endpoint with mutual TLS (``url``, ``ca``, ``cert``,
    ``key``) or a drop folder (``drop_dir``) for a one-way gateway or a data ferry."""

    name: str
    """The destination's name in logs, the relay status and the hall's 报送 tab."""
    url: str = ""
    """The provincial platform's HTTPS endpoint."""
    ca: str = ""
    """The CA certificate (PEM) the platform's certificate is signed by."""
    cert: str = ""
    """This platform's client certificate (PEM)."""
    key: str = ""
    """Its private key (PEM)."""
    drop_dir: str = ""
    """A folder to write each EDXL-DE document into instead (one-way gateway, data ferry)."""
    timeout_s: float = 30.0
    """How long one HTTPS delivery may take before it counts as failed and is retried."""


class RelayConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The upward relay to the provincial platform (``[[relay.destinations]]``)."""

    destinations: list[RelayDestination] = msgspec.field(default_factory=list)
    """Where alerts go, each with its own queue (none: nothing is relayed)."""
    cap_file: str = ""
    """The site's CAP mapping in the format of ``shared/data/cap.toml`` (default: packaged)."""
    backoff_first_s: float = 2.0
    """The first wait before retrying a destination that failed; it doubles from there."""
    backoff_max_s: float = 60.0
    """The longest wait between retries."""


class UpstreamSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """``[upstream]`` of a county hub: the key bundle the city enrolled for this county (role
    ``county``), and the county device that takes the city's orders."""

    bundle: str = ""
    """The key bundle the city enrolled for this county (role ``county``)."""
    orders_to: str = ""
    """The county device that receives the city's orders (a duty officer, say)."""
    prefix: str = ""
    """How the county's incident ids look at the city (default: the county's device name)."""


class LogConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Structured rotating logs."""

    level: str = "INFO"
    """The least severe log level written (DEBUG, INFO, WARNING, ERROR)."""
    max_bytes: int = 10 * 1024 * 1024
    """A log file is rotated at this size."""
    backups: int = 5
    """Rotated log files kept."""


class Config(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The whole configuration file."""

    hub: HubConfig = msgspec.field(default_factory=HubConfig)
    relay: RelayConfig = msgspec.field(default_factory=RelayConfig)
    upstream: UpstreamSettings = msgspec.field(default_factory=UpstreamSettings)
    log: LogConfig = msgspec.field(default_factory=LogConfig)


def load_config(path: Path | None) -> Config:
    """Read ``path`` (or defaults when None).

    Raises:
        ConfigError: unreadable file, bad TOML, an unknown key or a wrongly typed value.
    """
    if path is None:
        return Config()
    try:
        raw = tomllib.loads(path.read_text("utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read configuration {path}: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"configuration {path} is not UTF-8 text (byte {exc.start}): save it as UTF-8"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"configuration {path} is not valid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(f"configuration {path} nests too deeply") from None
    hub = raw.get("hub")
    if isinstance(hub, dict) and isinstance(hub.get("request_port"), int):
        # The three ports go together, as with --listen: publish and snapshot follow the
        # request port unless they are given (bundles carry all three).
        port = hub["request_port"]
        hub.setdefault("publish_port", port + 1 if port else 0)
        hub.setdefault("snapshot_port", port + 2 if port else 0)
    try:
        return msgspec.convert(raw, Config)
    except msgspec.ValidationError as exc:
        raise ConfigError(f"configuration {path}: {exc}") from None


def default_data_dir() -> Path:
    """Per-user data folder (e.g. ~/.local/share/hengshui-command)."""
    return Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR))


def default_log_dir() -> Path:
    """Per-user log folder."""
    return Path(platformdirs.user_log_dir(APP_NAME, APP_AUTHOR))
