"""Roles and what each may send. The table is data (``shared/data/permissions.toml``)."""

from __future__ import annotations

import msgspec

from shared.data import load_toml


class Permissions(msgspec.Struct, frozen=True):
    """The role → message-kind table."""

    roles: list[str]
    kinds: dict[str, list[str]]

    def allows(self, role: str, kind: str) -> bool:
        """Whether ``role`` may send messages of ``kind``."""
        allowed = self.kinds.get(kind)
        if allowed is None:
            return False
        return "*" in allowed or role in allowed

    def allowed_roles(self, kind: str) -> list[str]:
        """The roles that may send ``kind`` (for error messages)."""
        allowed = self.kinds.get(kind, [])
        return list(self.roles) if "*" in allowed else list(allowed)


def load_permissions(text: str | None = None) -> Permissions:
    """Load the permission table from TOML text, or the packaged default."""
    return load_toml("permissions.toml", Permissions, text)


PERMISSIONS = load_permissions()
ROLES: tuple[str, ...] = tuple(PERMISSIONS.roles)
