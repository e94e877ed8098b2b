"""The public surface of each core package is what its ``__all__`` says, and it imports."""

from __future__ import annotations

import importlib
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
]


@pytest.mark.parametrize("name", PACKAGES)
def test_every_exported_name_exists(name: str) -> None:
    module = importlib.import_module(name)
    exported = module.__all__
    missing = [n for n in exported if not hasattr(module, n)]
    assert not missing, f"{name} exports names it does not define: {missing}"


def test_example_configuration_is_valid_and_matches_the_defaults() -> None:
    path = Path(__file__).resolve().parent.parent / "resources" / "hub.example.toml"
    assert load_config(path) == Config()
