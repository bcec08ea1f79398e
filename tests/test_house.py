"""The house rules an engineer joining the project can rely on, read from the source of app/,
bench/ and scripts/ (migrations/ aside: Alembic writes those)."""

import ast
import statistics
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ROOTS = [ROOT / "app", ROOT / "bench", ROOT / "scripts"]
LARGEST_MODULE = 400
MEDIAN_MODULE = 120


def _modules():
    return sorted(path for folder in ROOTS for path in folder.rglob("*.py"))


def _lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def test_no_module_is_over_400_lines_and_the_median_is_at_most_120():
    sizes = {str(p.relative_to(ROOT)): _lines(p) for p in _modules() if p.name != "__init__.py" or _lines(p)}
    too_long = {name: n for name, n in sizes.items() if n > LARGEST_MODULE}
    assert too_long == {}, "split these modules by what they do"
    assert statistics.median(sizes.values()) <= MEDIAN_MODULE


def _has_reason(source: list[str], lineno: int) -> bool:
    """A comment on the import's line, or on the line above its block of imports."""
    if "#" in source[lineno - 1]:
        return True
    above = lineno - 2
    while above >= 0 and source[above].strip().startswith(("import ", "from ")):
        if "#" in source[above]:
            return True
        above -= 1
    return above >= 0 and source[above].strip().startswith("#")


def function_level_imports_without_reason() -> list[str]:
    found = []
    for path in _modules():
        source = path.read_text(encoding="utf-8").splitlines()
        tree = ast.parse("\n".join(source))
        for func in ast.walk(tree):
            if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(func):
                if isinstance(node, ast.Import | ast.ImportFrom) and not _has_reason(source, node.lineno):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return sorted(set(found))


def test_an_import_inside_a_function_says_why_beside_it():
    assert function_level_imports_without_reason() == [], "import at the top, or write the reason beside it"


def test_the_reason_check_sees_a_bare_import_and_accepts_a_commented_one(tmp_path):
    source = ["def f():", "    import json", "    return json", "def g():", "    # lazy: heavy", "    import csv"]
    assert not _has_reason(source, 2)
    assert _has_reason(source, 6)
