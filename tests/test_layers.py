"""The house's layers, read from the import graph of app/ (every import, inside functions too).

Bottom up: core, then the domains in LAYERS order, then the pages that combine domains (TOP).
A package imports only packages below it. The imports that still go upwards are listed in
KNOWN_UPWARD, with the module that does it: the list may only shrink (a new upward import
fails, and so does a listed one that is gone, so that the list is kept true).
"""

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app"

CORE = "core"
LAYERS = ["places", "workers", "accounts", "reminders", "exams", "training", "allowance", "payments", "reports"]
TOP = {"main", "audit", "demo", "api"}  # pages and tools that combine domains; nothing below imports them
SHARED = {"extensions"}  # the empty extension objects, below everything

# (importer, imported): imports still going up a layer, each with why. None are left; a new
# one needs a call downward or a registry the factory fills instead.
KNOWN_UPWARD: set[tuple[str, str]] = set()


def _package(path: Path) -> str:
    parts = path.relative_to(APP).parts
    return parts[0] if len(parts) > 1 else "(factory)"


def _imported_packages(tree: ast.AST):
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] if node.module != "app" else [f"app.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "app" and len(parts) > 1:
                yield parts[1], node.lineno
            if parts[0] == "worker":
                yield "worker/", node.lineno


def import_graph() -> dict[tuple[str, str], list[str]]:
    edges: dict[tuple[str, str], list[str]] = defaultdict(list)
    for path in sorted(APP.rglob("*.py")):
        source = _package(path)
        for target, line in _imported_packages(ast.parse(path.read_text(encoding="utf-8"))):
            if target != source:
                edges[(source, target)].append(f"{path.relative_to(ROOT)}:{line}")
    return edges


def _rank(package: str) -> int:
    if package in SHARED:
        return -2
    if package == CORE:
        return -1
    if package in TOP:
        return len(LAYERS)
    return LAYERS.index(package)


def test_every_package_has_a_place_in_the_layers():
    packages = {p.name for p in APP.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert packages <= {CORE, *LAYERS, *TOP, *SHARED}, "place a new package in LAYERS or TOP"


def test_core_imports_no_domain_and_app_never_imports_worker():
    edges = import_graph()
    from_core = {target: where for (source, target), where in edges.items() if source == CORE and target not in SHARED}
    assert from_core == {}
    assert not [where for (source, target), where in edges.items() if target == "worker/"]


def test_nothing_imports_upwards_beyond_the_known_list():
    edges = import_graph()
    upward = {
        (source, target): where
        for (source, target), where in edges.items()
        if source != "(factory)" and target != "worker/" and _rank(source) < _rank(target)
    }
    new = {edge: where for edge, where in upward.items() if edge not in KNOWN_UPWARD}
    assert new == {}, "an import goes up a layer: call downward, or send a signal"
    gone = KNOWN_UPWARD - set(upward)
    assert gone == set(), "this upward import is gone: remove it from KNOWN_UPWARD"


def test_the_top_pages_are_imported_by_no_domain():
    edges = import_graph()
    into_top = {edge: where for edge, where in edges.items() if edge[1] in TOP and edge[0] not in TOP | {"(factory)"}}
    assert into_top == {}
