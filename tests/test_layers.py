"""The layers hold: every module's imports are read (ast) and checked against the rules in the
README's map, and no module grows past what a newcomer reads in one go.

Imports inside functions count as much as those at the top: a late import hides a cycle, it
does not remove it. Only imports under ``if TYPE_CHECKING:`` are left out (they never run).
"""

from __future__ import annotations

import ast
import re
import sys
from functools import cache
from pathlib import Path

from tests.server import ROOT

PACKAGE = ROOT / "voting"
MAX_LINES = 450
FLASK = {"flask", "flask_babel", "flask_login", "flask_limiter", "flask_wtf"}
WEB = FLASK | {"werkzeug", "jinja2", "wtforms", "markupsafe"}
DATABASE = {"sqlalchemy", "alembic", "psycopg"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _walk(node: ast.AST):
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child):
            continue
        yield child
        yield from _walk(child)


@cache
def imports(name: str) -> frozenset[str]:
    """Everything *name* imports: modules of the package by full name, others by top name."""
    tree = ast.parse(modules()[name].read_text(encoding="utf-8"))
    package = name if modules()[name].name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in _walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                found.add(submodule if submodule in modules() else base)
    return frozenset(
        item if item.split(".")[0] == "voting" else item.split(".")[0] for item in found
    )


def inside(name: str) -> set[str]:
    return {item for item in imports(name) if item.startswith("voting")}


def outside(name: str) -> set[str]:
    return {item for item in imports(name) if not item.startswith("voting")}


def reachable(name: str) -> set[str]:
    """The package's modules that importing *name* may load, itself included."""
    seen, todo = {name}, [name]
    while todo:
        for item in inside(todo.pop()):
            if item in modules() and item not in seen:
                seen.add(item)
                todo.append(item)
    return seen


def in_layer(prefix: str) -> list[str]:
    return [name for name in modules() if name == prefix or name.startswith(prefix + ".")]


def test_the_rules_see_the_package():
    assert {"voting.verify", "voting.models", "voting.web.voter"} <= set(modules())
    assert "voting.verify" in inside("voting.operations.audit")
    assert "flask" in outside("voting.web.voter")


def test_the_domain_is_plain_python():
    for name in in_layer("voting.domain"):
        assert not outside(name) & (WEB | DATABASE), name
        allowed = {"voting.errors", "voting.verify"}
        assert all(item in allowed or item.startswith("voting.domain") for item in inside(name)), (
            name,
            inside(name),
        )


def test_models_know_no_web_framework():
    assert not outside("voting.models") & WEB
    assert all(
        item.startswith(("voting.domain", "voting.errors")) for item in inside("voting.models")
    )


def test_operations_reach_no_web_module_and_no_framework():
    higher = ("voting.web", "voting.cli", "voting.mail", "voting.services", "voting.workflows")
    for name in in_layer("voting.operations"):
        for item in reachable(name):
            assert not any(item == h or item.startswith(h + ".") for h in higher), (name, item)
            assert not outside(item) & FLASK, (name, item, outside(item))


def test_the_verifier_needs_only_the_standard_library_and_cryptography():
    assert inside("voting.verify") == set()
    foreign = outside("voting.verify") - set(sys.stdlib_module_names) - {"__future__"}
    assert foreign == {"cryptography"}


def test_no_import_cycles():
    graph = {name: {item for item in inside(name) if item in modules()} for name in modules()}
    state: dict[str, str] = {}
    cycles: list[list[str]] = []

    def visit(name: str, path: list[str]) -> None:
        state[name] = "visiting"
        for item in sorted(graph[name]):
            if state.get(item) == "visiting":
                cycles.append([*path[path.index(item) :], item])
            elif item not in state:
                visit(item, [*path, item])
        state[name] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert cycles == [], " | ".join(" -> ".join(cycle) for cycle in cycles)


def test_no_module_but_the_verifier_is_long():
    long = {
        name: lines
        for name, path in modules().items()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert set(long) <= {"voting.verify"}, long


def _readme_map() -> dict[str, str]:
    """The README's map of where things live: each path of the first column, its text."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Where things live", 1)[1]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    found: dict[str, str] = {}
    for row in rows:
        first, what = row.split("|")[1:3]
        for path in re.findall(r"`([^`]+)`", first):
            found[path] = what
    return found


def test_the_readme_map_matches_the_tree():
    listed = _readme_map()
    for path in listed:
        assert (ROOT / path).exists(), f"the README's map names {path}, which is not there"
    unlisted = []
    for path in modules().values():
        relative = path.relative_to(ROOT).as_posix()
        folder = path.parent.relative_to(ROOT).as_posix() + "/"
        described = f"`{path.name}`" in listed.get(folder, "")
        if relative in listed or described or (path.name == "__init__.py" and folder in listed):
            continue
        unlisted.append(relative)
    assert unlisted == [], "add these to the README's map: " + ", ".join(unlisted)
