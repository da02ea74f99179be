"""The house: rooms that import in one direction, no import cycles, one installed import name.

The contracts live in ``pyproject.toml`` (``[tool.importlinter]``) and are checked here by
import-linter; cycles are found on the same import graph (grimp's, which counts imports inside
functions, the lazy ones, too).
"""

from __future__ import annotations

import ast
import subprocess
import sys
import zipfile
from pathlib import Path

import grimp
from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[1]


def test_the_rooms_import_in_one_direction() -> None:
    assert lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True) == 0


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append(
                        (child, iter(sorted(graph.find_modules_directly_imported_by(child))))
                    )
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_module_imports_one_that_imports_it_back() -> None:
    graph = grimp.build_graph("judge")
    # the package's own __init__ exports its public API lazily (PEP 562), which is not a cycle
    graph.remove_module("judge")
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_cycles() -> None:
    graph = grimp.ImportGraph()
    for a, b in [("p.a", "p.b"), ("p.b", "p.c"), ("p.c", "p.a"), ("p.c", "p.d")]:
        graph.add_import(importer=a, imported=b)
    assert _cycles(graph) == [["p.a", "p.b", "p.c"]]


def test_nothing_imports_the_folders_by_their_old_top_level_names() -> None:
    """``metrics/`` and ``reports/`` are the packages ``judge.metrics`` and ``judge.reports``;
    an import of ``metrics`` or ``reports`` would load a user's own package of that name."""
    offenders = []
    for folder in ("judge", "metrics", "reports", "tests", "benchmarks"):
        for path in (ROOT / folder).rglob("*.py"):
            if "build" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                bad = [n for n in names if n.split(".")[0] in ("metrics", "reports")]
                offenders += [f"{path.relative_to(ROOT)}:{node.lineno}: {n}" for n in bad]
    assert offenders == []


def test_the_wheel_installs_one_import_name(tmp_path: Path) -> None:
    """The built wheel holds ``judge/`` alone (``metrics/`` and ``reports/`` inside it, with the
    report's templates), so it cannot shadow or be shadowed by a user's own packages."""
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
         str(tmp_path), str(ROOT)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    (wheel,) = tmp_path.glob("judge_harness-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    assert tops == {"judge"}
    for expected in (
        "judge/metrics/base.py",
        "judge/reports/analysis/stats.py",
        "judge/reports/templates/report.html",
        "judge/reports/templates/js/main.js",
    ):
        assert expected in names
    top_level = next(n for n in names if n.endswith(".dist-info/top_level.txt"))
    assert zipfile.ZipFile(wheel).read(top_level).decode().split() == ["judge"]
