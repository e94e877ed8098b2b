"""What a hub is set up with before it binds: the site's plans and departments, and for a
county hub the key bundle the city enrolled it with. Each is checked here so a bad file stops
the hub with the file named, before any socket is open."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from shared.config import ConfigError, HubConfig, UpstreamSettings
from shared.domain import DomainError, load_departments, load_plans, packaged_departments
from shared.domain.plans import Departments, Plans


def load_site_plans(cfg: HubConfig) -> tuple[Plans, Departments] | None:
    """The site's plans and departments when configured, checked against each other.

    Raises:
        ConfigError: an unreadable file, or plans naming a missing department (the message
            names the plan, the level and the department).
    """
    if not (cfg.plans_file or cfg.departments_file):
        return None
    try:
        departments = (
            load_departments(Path(cfg.departments_file).read_text(encoding="utf-8"))
            if cfg.departments_file
            else packaged_departments()
        )
        plans_text = Path(cfg.plans_file).read_text(encoding="utf-8") if cfg.plans_file else None
        return load_plans(plans_text, departments), departments
    except OSError as exc:
        raise ConfigError(f"cannot read {exc.filename}: {exc.strerror}") from None
    except DomainError as exc:
        raise ConfigError(f"plans: {exc}") from None


def city_bundle(settings: UpstreamSettings, config: HubConfig) -> Any:
    """The key bundle the city enrolled for this county, checked before the hub binds."""
    from shared.identity import BundleError, load_bundle

    if config.level != "county":
        raise ConfigError("an upstream link is for a county hub: run it with --level county")
    try:
        bundle = load_bundle(Path(settings.bundle))
    except BundleError as exc:
        raise ConfigError(f"upstream bundle {settings.bundle}: {exc}") from None
    if bundle.role != "county":
        raise ConfigError(
            f"upstream bundle {settings.bundle} is for role {bundle.role!r}; the city must "
            "enrol this county with --role county"
        )
    return bundle
