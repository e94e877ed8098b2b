"""Device identity: CURVE keys, key bundles, enrolment, revocation, roles.

The registry (enrolment, revocation: the store, SQLAlchemy, Alembic) loads on first use, so a
client that only needs its key bundle starts without the database layer.
"""

import typing as _typing

from shared.identity.keys import (
    BUNDLE_FORMAT,
    Bundle,
    BundleError,
    Endpoints,
    KeyPair,
    load_bundle,
    load_or_create_hub_keys,
    parse_bundle,
)
from shared.identity.roles import PERMISSIONS, ROLES, Permissions, load_permissions

if _typing.TYPE_CHECKING:
    from shared.identity.registry import (
        DeviceInfo,
        EnrolmentError,
        devices_revision,
        enroll,
        list_devices,
        revoke,
    )

_REGISTRY = frozenset(
    {"DeviceInfo", "EnrolmentError", "devices_revision", "enroll", "list_devices", "revoke"}
)


def __getattr__(name: str) -> _typing.Any:
    if name in _REGISTRY:
        from shared.identity import registry

        return getattr(registry, name)
    raise AttributeError(f"module 'shared.identity' has no attribute {name!r}")


__all__ = [
    "BUNDLE_FORMAT",
    "PERMISSIONS",
    "ROLES",
    "Bundle",
    "BundleError",
    "DeviceInfo",
    "Endpoints",
    "EnrolmentError",
    "KeyPair",
    "Permissions",
    "devices_revision",
    "enroll",
    "list_devices",
    "load_bundle",
    "load_or_create_hub_keys",
    "load_permissions",
    "parse_bundle",
    "revoke",
]
