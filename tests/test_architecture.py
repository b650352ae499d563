"""ARCHITECTURE.md stays true: every package it names exists and every package of app/ is in it,
no module imports a layer above its own, every module says its one job in its opening
docstring, and none grows past the size a reader takes in at once."""

import ast
import re
from pathlib import Path

import pytest

from app.config import PROJECT_ROOT

APP = PROJECT_ROOT / "app"
MAP = (PROJECT_ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
# The layers, bottom first: a module may import its own layer and those below it. The table in
# ARCHITECTURE.md ("Layers") lists the same order; the test below holds the two together.
LAYERS = [
    {"vocab", "config", "errors", "formats"},
    {"schemas"},
    {"facts"},
    {"store"},
    {"curation"},
    {"reads"},
    {"proposals"},
    {"api"},
    {"explorer", "cli"},
    {"main"},
]
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}
MAX_LINES = 410  # "about 400": a module past this is doing more than one job


def _modules() -> list[Path]:
    return sorted(p for p in APP.rglob("*.py") if p.name != "__init__.py" or p.stat().st_size)


def _part(path: Path) -> str:
    """The layer a module belongs to: its package under app/, or its own name at the top."""
    return path.relative_to(APP).parts[0].removesuffix(".py")


def test_every_part_of_app_is_on_the_map_and_the_map_names_no_other() -> None:
    parts = {_part(p) for p in APP.rglob("*.py")} - {"__init__"}
    assert parts == set(RANK), "a new part of app/ needs its place in LAYERS and the map"
    named = set(re.findall(r"`app/([a-z_]+)(?:/|\.py)`", MAP))
    assert named == parts, (sorted(parts - named), sorted(named - parts))
    # The map's layer table lists them bottom first, in the order the test enforces.
    order = re.findall(r"^\| (\d+) \| ([^|]+) \|", MAP, flags=re.M)
    table = [set(re.findall(r"`app/([a-z_]+)", cell)) for _, cell in order]
    assert table == LAYERS


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(APP)))
def test_a_module_imports_only_its_own_layer_and_those_below(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    upward = [
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        and node.module
        and node.module.startswith("app.")
        and RANK[node.module.split(".")[1]] > RANK[_part(path)]
    ]
    assert upward == [], f"{path.relative_to(APP)} imports from a layer above it: {upward}"


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(APP)))
def test_a_module_says_its_job_and_stays_readable(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    docstring = ast.get_docstring(ast.parse(source))
    assert docstring and len(docstring) >= 20, f"{path.relative_to(APP)}: no opening docstring"
    assert "TODO" not in docstring
    lines = source.count("\n")
    assert lines <= MAX_LINES, f"{path.relative_to(APP)}: {lines} lines; split it by job"
