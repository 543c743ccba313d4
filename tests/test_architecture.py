"""The layers of the import graph: backoffice (top) > orders > catalog > foundation.

The contracts live in pyproject.toml ([tool.importlinter]) and CI runs ``lint-imports``;
these tests run the same check inside the suite, and look for module circles of any kind.
"""

import subprocess
import sys
import tomllib
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("backoffice", "catalog", "foundation", "orders")


@pytest.fixture(scope="module")
def graph():
    return grimp.build_graph(*PACKAGES, "tests", cache_dir=None)


def test_import_linter_contracts_are_kept():
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"][
        "contracts"
    ]
    lint_imports = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run(
        [str(lint_imports), "--no-cache", "--no-logo"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for contract in contracts:
        assert f"{contract['name']} KEPT" in result.stdout, result.stdout
    assert f"Contracts: {len(contracts)} kept, 0 broken." in result.stdout


def strongly_connected_components(graph) -> list[set[str]]:
    """Tarjan's algorithm over the module import graph, without recursion."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[set[str]] = []
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
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                components.append(component)
    return components


def test_strongly_connected_components_finds_a_planted_circle():
    planted = grimp.ImportGraph()
    for module in ("a", "a.x", "a.y", "a.z", "b"):
        planted.add_module(module)
    for importer, imported in (("a.x", "a.y"), ("a.y", "a.z"), ("a.z", "a.x"), ("b", "a.x")):
        planted.add_import(importer=importer, imported=imported)
    circles = [c for c in strongly_connected_components(planted) if len(c) > 1]
    assert circles == [{"a.x", "a.y", "a.z"}]


def test_no_module_circles_anywhere_in_the_project(graph):
    circles = [sorted(c) for c in strongly_connected_components(graph) if len(c) > 1]
    assert circles == [], f"modules that import each other in a circle: {circles}"


@pytest.mark.parametrize(
    ("lower", "higher"),
    [
        ("foundation", "catalog"),
        ("foundation", "orders"),
        ("foundation", "backoffice"),
        ("catalog", "orders"),
        ("catalog", "backoffice"),
        ("orders", "backoffice"),
    ],
)
def test_lower_layer_never_imports_a_higher_one(graph, lower, higher):
    chain = graph.find_shortest_chain(importer=lower, imported=higher, as_packages=True)
    assert chain is None, f"{lower} reaches {higher}: {' -> '.join(chain)}"


def test_no_module_imports_a_test_module(graph):
    test_modules = {m for m in graph.modules if m.rsplit(".", 1)[-1].startswith("test_")}
    assert test_modules, "the graph holds the test modules"
    importers = {
        (importer, module)
        for module in test_modules
        for importer in graph.find_modules_that_directly_import(module)
    }
    assert importers == set()
