"""The rooms of ``polytrain/`` import in one direction (docs/architecture.md): no cycles, no
back-edges. Read from the sources (``ast``), every import counted: those inside functions, and those
under ``if TYPE_CHECKING:`` too (a cycle hidden from the interpreter is still a cycle for the reader)."""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "polytrain"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(tree: ast.AST, module: str, is_package: bool) -> set[str]:
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against this module's package
                package = module.split(".") if is_package else module.split(".")[:-1]
                base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)  # `from pkg import submodule`
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


@functools.cache  # read once per session: every room's test reads the same sources
def import_graph() -> dict[str, set[str]]:
    """polytrain module -> the polytrain modules it imports (a submodule import also runs its packages)."""
    files = {_module_name(p): p for p in ROOT.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        raw = _imports(ast.parse(path.read_text(encoding="utf-8")), name, path.name == "__init__.py")
        edges: set[str] = set()
        for target in raw:
            parts = target.split(".")
            for i in range(1, len(parts) + 1):
                prefix = ".".join(parts[:i])
                if prefix in files and prefix != name and not name.startswith(prefix + "."):
                    edges.add(prefix)
        graph[name] = edges
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return found


def test_there_is_no_import_cycle_inside_polytrain() -> None:
    assert cycles(import_graph()) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


# Which room may not import which (the flow: prepare -> shards -> stream -> objective -> module).
FORBIDDEN = {
    "polytrain.types": ("polytrain.",),
    "polytrain.rng": ("polytrain.",),
    "polytrain.models": ("polytrain.objectives", "polytrain.stream", "polytrain.shards", "polytrain.prepare",
                         "polytrain.module", "polytrain.callbacks", "polytrain.distributed", "polytrain.checkpoint"),
    "polytrain.objectives": ("polytrain.stream", "polytrain.prepare", "polytrain.models", "polytrain.module",
                             "polytrain.callbacks", "polytrain.cli", "polytrain.registry"),
    "polytrain.shards": ("polytrain.prepare", "polytrain.stream", "polytrain.objectives", "polytrain.module",
                         "polytrain.callbacks", "polytrain.models"),
    "polytrain.prepare": ("polytrain.stream", "polytrain.module", "polytrain.callbacks", "polytrain.models"),
    "polytrain.stream": ("polytrain.callbacks", "polytrain.module", "polytrain.cli", "polytrain.prepare",
                         "polytrain.models", "polytrain.checkpoint"),
    "polytrain.distributed.collectives": ("polytrain.",),
}


@pytest.mark.parametrize("room", sorted(FORBIDDEN))
def test_rooms_import_only_downstream(room: str) -> None:
    graph = import_graph()
    bad = sorted(f"{module} -> {target}" for module, targets in graph.items()
                 if module == room or module.startswith(room + ".")
                 for target in targets
                 if any(target == f or target.startswith(f if f.endswith(".") else f + ".") or target == f.rstrip(".")
                        for f in FORBIDDEN[room]) and not target.startswith(room))
    assert bad == []
