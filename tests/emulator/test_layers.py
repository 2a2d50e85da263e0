"""The emulator's modules import one way (STYLE.md item 11): no cycle, not even for typing."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import kazoo_tasks.esl.emulator as package

PACKAGE = package.__name__
FOLDER = Path(package.__file__).parent


def imported_siblings(path: Path) -> set[str]:
    """The emulator modules ``path`` imports anywhere (top level, functions, TYPE_CHECKING)."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == PACKAGE:
                out.update(alias.name for alias in node.names)
            elif node.module.startswith(PACKAGE + "."):
                out.add(node.module.removeprefix(PACKAGE + ".").split(".")[0])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(PACKAGE + "."):
                    out.add(alias.name.removeprefix(PACKAGE + ".").split(".")[0])
    return out


def module_graph() -> dict[str, set[str]]:
    modules = {p.stem for p in FOLDER.glob("*.py") if p.stem != "__init__"}
    return {name: imported_siblings(FOLDER / f"{name}.py") & modules - {name} for name in modules}


def test_given_the_emulator_modules_when_their_imports_are_followed_then_there_is_no_cycle():
    graph = module_graph()

    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError as error:
        raise AssertionError(f"import cycle: {' -> '.join(error.args[1])}") from None

    assert order.index("core") < order.index("session") < order.index("switch")
    assert order.index("session") < order.index("apps") < order.index("originate")


def test_given_the_public_api_when_imported_then_the_names_of_the_docs_are_there():
    from kazoo_tasks.esl.emulator import Call, Emulator, EndpointRule, MediaCatalog, script

    assert callable(script.on_answer)
    assert {Call, Emulator, EndpointRule, MediaCatalog}
