"""The package layout as a test: layers point one way and no module imports itself back.

`pyproject.toml`'s ``[tool.importlinter]`` contracts name the layers (ais_ingest <- geo <-
simulate/app, and the rooms inside app); this runs them, and then looks for cycles between
single modules, which layers alone do not forbid inside one room. Imports inside functions
count too (grimp reads them), so a cycle cannot hide behind a deferred import.
"""

from __future__ import annotations

from pathlib import Path

import grimp
from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("app", "simulate", "geo", "ais_ingest")


def test_the_layer_contracts_hold() -> None:
    import os

    here = os.getcwd()
    os.chdir(ROOT)
    try:
        assert lint_imports(no_cache=True) == 0, "an import runs up the layers (see above)"
    finally:
        os.chdir(here)


def strongly_connected(graph: grimp.ImportGraph) -> list[list[str]]:
    """Return the groups of modules that import each other in a ring (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    counter = 0

    def visit(v: str) -> None:
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.find_modules_directly_imported_by(v):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return groups


def test_no_module_imports_itself_back() -> None:
    graph = grimp.build_graph(*PACKAGES, cache_dir=None)
    # a package's __init__ importing its own submodules is how packages re-export, not a ring
    for module in list(graph.modules):
        for imported in graph.find_modules_directly_imported_by(module):
            if imported.startswith(module + "."):
                graph.remove_import(importer=module, imported=imported)
    cycles = strongly_connected(graph)
    assert not cycles, f"modules that import each other: {cycles}"


def test_a_cycle_is_found_when_there_is_one() -> None:
    graph = grimp.ImportGraph()
    for m in ("a", "a.x", "a.y", "a.z"):
        graph.add_module(m)
    graph.add_import(importer="a.x", imported="a.y")
    graph.add_import(importer="a.y", imported="a.z")
    graph.add_import(importer="a.z", imported="a.x")
    assert strongly_connected(graph) == [["a.x", "a.y", "a.z"]]
