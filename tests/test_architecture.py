"""The shape of the code: the core imports without the web, and no module imports in a cycle."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

# Reads and writes no database: run once, in the SQLite pass (tests/conftest.py).
pytestmark = pytest.mark.no_database

PACKAGE = Path(__file__).resolve().parents[1] / "intake"
CORE = ("intake.questionnaire", "intake.scoring", "intake.brief.content", "intake.change")
WEB = ("flask", "flask_sqlalchemy", "sqlalchemy", "flask_wtf", "flask_login", "werkzeug")


def test_the_core_imports_without_flask_or_a_database() -> None:
    # A fresh interpreter: this test process has long imported Flask for the other tests.
    script = (
        "import json, sys\n"
        f"import {', '.join(CORE)}\n"
        f"print(json.dumps(sorted(m for m in {WEB!r} if m in sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]", f"the core pulled in {done.stdout.strip()}"


def module_name(path: Path) -> str:
    """intake/brief/jobs.py -> intake.brief.jobs; intake/brief/__init__.py -> intake.brief."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, modules: set[str], *, late: bool) -> set[str]:
    """The modules of ours this file imports: at the top, or (late) inside a function."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text(), str(path))
    functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]
    inside = {id(n) for f in functions for n in ast.walk(f)}
    found: set[str] = set()
    for node in ast.walk(tree):
        if (id(node) in inside) != late:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in modules)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{base}.{node.module}" if node.module else base
            else:
                base = node.module or ""
            for alias in node.names:
                # "from . import audit" names a module; "from . import bp" the package itself.
                candidate = f"{base}.{alias.name}"
                found.add(candidate if candidate in modules else base)
    return {m for m in found if m in modules and m != name}


def import_graph() -> dict[str, set[str]]:
    """Our modules and whom each imports, at the top or late.

    A package's __init__ importing its own children at the top is left out: that is how a
    blueprint registers its route modules once `bp` exists (Microblog, CTFd), and the route
    modules importing `bp` back is the pattern, not a cycle. Late imports all count, so a
    module that imports create_app back from the package is one.
    """
    files = [p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts]
    modules = {module_name(p) for p in files}
    graph = {}
    for path in files:
        name = module_name(path)
        top = imports_of(path, modules, late=False)
        if path.name == "__init__.py":
            top = {m for m in top if not m.startswith(name + ".")}
        graph[name] = top | imports_of(path, modules, late=True)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_module_imports_in_a_cycle() -> None:
    assert cycles(import_graph()) == []


@pytest.mark.parametrize(
    ("graph", "expected"),
    [
        ({"a": {"b"}, "b": {"a"}}, [["a", "b"]]),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, [["a", "b", "c"]]),
        ({"a": {"b"}, "b": set()}, []),
    ],
)
def test_the_cycle_finder_finds_cycles(
    graph: dict[str, set[str]], expected: list[list[str]]
) -> None:
    assert cycles(graph) == expected


def test_the_graph_sees_late_and_relative_imports() -> None:
    graph = import_graph()
    assert "intake.scoring" in graph["intake.questionnaire.examples"]  # from ..scoring import
    assert "intake.client" in graph["intake.client.wizard"]  # from . import bp
    assert "intake.brief.jobs" in graph["intake.lifecycle"]  # from .brief import jobs
    assert "intake.web" in graph["intake"]  # create_app's late imports
