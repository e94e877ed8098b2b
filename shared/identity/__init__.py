"""Device identity: CURVE keys, key bundles, enrolment, revocation, roles."""

from shared.identity.keys import (
    BUNDLE_FORMAT,
    Bundle,
    BundleError,
    Endpoints,
    KeyPair,
    load_bundle,
    load_or_create_hub_keys,
)
from shared.identity.registry import (
    DeviceInfo,
    EnrolmentError,
    devices_revision,
    enroll,
    list_devices,
    revoke,
)
from shared.identity.roles import PERMISSIONS, ROLES, Permissions, load_permissions

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
    "revoke",
]
