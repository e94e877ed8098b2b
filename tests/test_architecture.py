"""The architecture as written down is the one in the code: every part of ``shared/`` is in
the package map of docs/architecture.md and in a layer of the import contract (a new package
must be given its place, or the contract would not check it); the README stays short and
links every page."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _parts() -> list[str]:
    shared = ROOT / "shared"
    packages = [p.name for p in shared.iterdir() if (p / "__init__.py").exists()]
    modules = [p.stem for p in shared.glob("*.py") if p.stem != "__init__"]
    return sorted(packages + modules)


def test_every_part_of_the_core_is_in_the_package_map() -> None:
    readme = (ROOT / "docs" / "architecture.md").read_text("utf-8")
    block = readme[readme.index("```\nshared/") :]
    block = block[: block.index("```", 4)]
    parts = _parts()
    assert len(parts) > 15
    missing = [p for p in parts if not re.search(rf"\b{p}(/|\.py)", block)]
    assert not missing, f"docs/architecture.md's package map leaves out shared/{missing}"


def test_every_part_of_the_core_has_a_layer() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    layers = next(c for c in contracts if c["type"] == "layers")["layers"]
    placed = {name.strip() for layer in layers for name in layer.split(":")}
    missing = [p for p in _parts() if f"shared.{p}" not in placed]
    assert not missing, f"parts of shared/ in no layer of the import contract: {missing}"


def test_the_readme_is_short_and_links_every_page() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    assert len(readme.splitlines()) <= 200
    pages = sorted(p.name for p in (ROOT / "docs").glob("*.md"))
    assert len(pages) >= 10
    missing = [p for p in pages if f"docs/{p}" not in readme]
    assert not missing, f"README's documentation table does not link {missing}"


def test_every_module_of_the_hub_is_in_its_table() -> None:
    """docs/architecture.md's table of the hub's modules names every one of them (it had
    left out service.py and limits.py)."""
    text = (ROOT / "docs" / "architecture.md").read_text("utf-8")
    modules = [p.name for p in (ROOT / "shared" / "hub").glob("*.py") if p.name != "__init__.py"]
    missing = [m for m in modules if f"`{m}`" not in text]
    assert not missing, f"docs/architecture.md's hub table leaves out {missing}"
