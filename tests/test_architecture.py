"""The shape of the tree: no import cycle between modules at module level, and the backend
never depends on the bot (nor on aiogram's dialog side: dispatcher, handlers, FSM, i18n).

Imports are read with ``ast`` from the source, so nothing is executed. Imports inside functions
and under ``if TYPE_CHECKING:`` are not module-level and are left out; a function-level import
that exists only to break a cycle is found by reading them in a review, not here.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("backend", "bot", "sanat")
# aiogram's client (Bot, types, exceptions) is what backend.delivery sends with; the dialog
# machinery below belongs to the bot.
DIALOG_MODULES = (
    "aiogram.dispatcher",
    "aiogram.filters",
    "aiogram.fsm",
    "aiogram.handlers",
    "aiogram.utils.i18n",
    "aiogram.utils.keyboard",
)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def source_modules() -> dict[str, Path]:
    return {
        module_name(path): path
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
    }


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def module_level_imports(tree: ast.Module) -> Iterator[ast.Import | ast.ImportFrom]:
    """Imports run when the module is imported: top level, and inside top-level if/try."""
    pending: list[ast.stmt] = list(tree.body)
    while pending:
        node = pending.pop(0)
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If) and not _is_type_checking(node):
            pending.extend([*node.body, *node.orelse])
        elif isinstance(node, ast.Try):
            pending.extend([*node.body, *node.orelse, *node.finalbody])
            for handler in node.handlers:
                pending.extend(handler.body)


def imported_names(name: str, path: Path) -> Iterator[str]:
    """Every module ``name`` imports at module level (absolute names, submodules resolved)."""
    is_package = path.name == "__init__.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in module_level_imports(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
            continue
        if node.level:
            base = name.split(".")
            if not is_package:
                base = base[:-1]
            base = base[: len(base) - (node.level - 1)]
            target = ".".join([*base, *([node.module] if node.module else [])])
        else:
            target = node.module or ""
        yield target
        for alias in node.names:
            yield f"{target}.{alias.name}"  # "from pkg import module" imports the module


def import_graph() -> dict[str, set[str]]:
    modules = source_modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = set()
        for imported in imported_names(name, path):
            if imported in modules and imported != name:
                targets.add(imported)
        graph[name] = targets
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a path a → … → a, or None; a package's ``__init__`` importing its
    own submodules is not a cycle (a submodule importing a sibling loads the package first,
    which is already under way)."""
    visiting: list[str] = []
    state: dict[str, int] = {}  # 1 visiting, 2 done

    def edges(module: str) -> set[str]:
        return {t for t in graph[module] if not t.startswith(module + ".")}

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        visiting.append(module)
        for target in sorted(edges(module)):
            if state.get(target) == 1:
                return [*visiting[visiting.index(target) :], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        visiting.pop()
        state[module] = 2
        return None

    for module in sorted(graph):
        if module not in state and (cycle := visit(module)):
            return cycle
    return None


def test_the_graph_sees_the_imports() -> None:
    graph = import_graph()
    assert "backend.delivery.enqueue" in graph["backend.courses.sweep"]
    assert "backend.cli.common" in graph["backend.cli.admin"]
    assert "backend.cli.curator" in graph["backend.cli.admin"]


def test_cycle_finder_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({"p": {"p.x"}, "p.x": {"p"}}) is None  # a package and its submodule


def test_no_import_cycle_between_modules() -> None:
    assert find_cycle(import_graph()) is None


def test_backend_never_imports_the_bot_nor_aiogram_dialog_code() -> None:
    offending = []
    for name, path in source_modules().items():
        if not name.startswith("backend"):
            continue
        for imported in imported_names(name, path):
            if imported == "bot" or imported.startswith(("bot.", *DIALOG_MODULES)):
                offending.append(f"{name} imports {imported}")
        # function-level imports count here too: the backend must not reach the bot at all
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            module = node.module if isinstance(node, ast.ImportFrom) and not node.level else None
            if module and (module == "bot" or module.startswith(("bot.", *DIALOG_MODULES))):
                offending.append(f"{name} imports {module}")
    assert offending == []


def test_no_module_is_left_in_the_retired_services_package() -> None:
    assert not (ROOT / "backend" / "services").exists()
