"""The Python package is layered: each module imports only its own floor or
the floors below (read from the source with ast, function-level imports
included), and no imports run in a circle."""

from __future__ import annotations

import ast
from pathlib import Path

import emclust
import pytest

PACKAGE = Path(emclust.__file__).parent

# Floors, lowest first. A module may import its own floor and lower ones.
FLOORS = [
    ("ground", ["emclust._core", "emclust._validation", "emclust._version"]),
    ("ground", ["emclust.exceptions", "emclust.datasets"]),
    ("reference", ["emclust.reference"]),
    ("models", ["emclust.models"]),
    ("drivers", ["emclust.drivers"]),
    ("io", ["emclust.io", "emclust._atomic"]),
    ("estimators", ["emclust.estimators"]),
    ("package", ["emclust"]),
    ("tools", ["emclust.cli", "emclust._benchmark", "emclust.__main__"]),
]


def _floor(module):
    """Index of the floor of a module name (the longest matching prefix)."""
    best, best_len = None, -1
    for i, (_, prefixes) in enumerate(FLOORS):
        for p in prefixes:
            if (module == p or module.startswith(p + ".")) and len(p) > best_len:
                best, best_len = i, len(p)
    return best


def _modules():
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        parts = list(rel.parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        out[".".join(parts)] = (path, is_package)
    return out


MODULES = _modules()
CORE = "emclust._core"  # the extension module: no source to read


def _resolve(name):
    """The module an imported dotted name refers to (a name imported from a
    package that is not a module refers to the package)."""
    while name and name not in MODULES and name != CORE:
        name = name.rpartition(".")[0]
    return name or None


def _imports(module):
    """The emclust modules that ``module`` imports, anywhere in its source."""
    path, is_package = MODULES[module]
    package = module if is_package else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            # "from package import name": the submodule when name is one,
            # else the package (or module) the name is defined in.
            names = [
                f"{prefix}.{a.name}"
                if f"{prefix}.{a.name}" in MODULES or f"{prefix}.{a.name}" == CORE
                else prefix
                for a in node.names
            ]
        else:
            continue
        for name in names:
            if name == "emclust" or name.startswith("emclust."):
                target = _resolve(name)
                if target and target != module:
                    found.add(target)
    return found


GRAPH = {m: _imports(m) for m in MODULES}


def test_every_module_has_a_floor():
    assert [m for m in MODULES if _floor(m) is None] == []


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_only_run_downward(module):
    mine = _floor(module)
    upward = sorted(t for t in GRAPH[module] if _floor(t) > mine)
    assert upward == [], f"{module} ({FLOORS[mine][0]}) imports upward: " + ", ".join(
        f"{t} ({FLOORS[_floor(t)][0]})" for t in upward
    )


# The command line registers its commands on the click group that its
# package defines (cli/__init__ imports the command modules, which import the
# group back): a circle inside the top floor, owned by the CLI, left out here.
LIBRARY = {m: t for m, t in GRAPH.items() if not m.startswith("emclust.cli")}


def _cycles(graph):
    """Every circle a depth-first walk of graph meets, each as a path."""
    state, cycles = {}, []

    def visit(node, stack):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                cycles.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt, stack)
        stack.pop()
        state[node] = "done"

    for m in sorted(graph):
        if m not in state:
            visit(m, [])
    return cycles


def test_no_import_cycle():
    assert _cycles(LIBRARY) == []


def test_the_checker_sees_imports():
    # Guards the test itself: known edges must be found.
    assert "emclust.models.gaussian" in GRAPH["emclust.estimators.gaussian_mixture"]
    assert "emclust._validation" in GRAPH["emclust.models.kmeans"]
    assert "emclust.drivers.dask" in GRAPH["emclust.estimators._mixture"]
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [
        ["a", "b", "c", "a"]
    ]


def test_reference_is_reachable_lazily():
    assert emclust.reference.GaussianMixture.__module__ == "emclust.reference.gmm"
    with pytest.raises(AttributeError):
        emclust.no_such_name  # noqa: B018
