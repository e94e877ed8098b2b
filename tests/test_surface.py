"""The public surface of each package of ``shared`` is exactly its ``__all__``: every name
listed resolves (lazily loaded ones too), and nothing public is there that is not listed
(the way httpx keeps its exports honest). A name is part of the surface on purpose or not
at all: add it to ``__all__``, or give it a leading underscore."""

from __future__ import annotations

import importlib
import pkgutil
import types
from pathlib import Path

import pytest

from shared.config import Config, load_config

PACKAGES = [
    "shared.domain",
    "shared.protocol",
    "shared.store",
    "shared.identity",
    "shared.hub",
    "shared.client",
    "shared.sim",
    "shared.geo",
    "shared.relay",
    "shared.media",
    "shared.field",
    "shared.gps",
    "shared.data",
]


@pytest.mark.parametrize("name", PACKAGES)
def test_every_exported_name_exists(name: str) -> None:
    module = importlib.import_module(name)
    exported = module.__all__
    missing = [n for n in exported if not hasattr(module, n)]
    assert not missing, f"{name} exports names it does not define: {missing}"
    assert len(set(exported)) == len(exported), f"{name} lists a name twice"


@pytest.mark.parametrize("name", PACKAGES)
def test_nothing_public_is_left_out_of_all(name: str) -> None:
    module = importlib.import_module(name)
    public = {
        n
        for n, value in vars(module).items()
        if not n.startswith("_")
        and not isinstance(value, types.ModuleType)  # submodules are reached by their path
        and n != "annotations"  # from __future__ import annotations
    }
    unlisted = sorted(public - set(module.__all__))
    assert not unlisted, f"{name} has public names not in __all__: {unlisted}"


def test_every_package_of_shared_is_checked() -> None:
    import shared

    packages = {f"shared.{m.name}" for m in pkgutil.iter_modules(shared.__path__) if m.ispkg}
    assert packages <= set(PACKAGES), sorted(packages - set(PACKAGES))


def test_example_configuration_is_valid_and_matches_the_defaults() -> None:
    path = Path(__file__).resolve().parent.parent / "resources" / "hub.example.toml"
    assert load_config(path) == Config()
