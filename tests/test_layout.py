"""The package's shape: its modules import one another one way only (no cycles, also through imports
inside functions), the leaves stay leaves, and each choice list is defined once, in the registry."""

import ast
import re
from pathlib import Path

from conftest import ROOT

PACKAGE = ROOT / "sentiment"
LEAVES = {"registry", "transcript", "labels", "errors"}  # import nothing from the package but errors


def package_imports() -> dict[str, set[str]]:
    """module -> the package modules it imports, anywhere in its body."""
    graph = {}
    for path in PACKAGE.glob("*.py"):
        found = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                if node.level == 1 and node.module:
                    found.add(node.module.split(".")[0])
                elif node.level == 1:
                    found.update(a.name for a in node.names)
                elif node.module and node.module.startswith("sentiment."):
                    found.add(node.module.split(".")[1])
            elif isinstance(node, ast.Import):
                found.update(a.name.split(".")[1] for a in node.names if a.name.startswith("sentiment."))
        graph[path.stem] = found - {path.stem}
    return graph


def test_imports_go_one_way():
    graph, done, stack = package_imports(), set(), []

    def visit(module: str) -> None:
        if module in stack:
            raise AssertionError("import cycle: " + " -> ".join(stack[stack.index(module):] + [module]))
        if module in done or module not in graph:
            return
        stack.append(module)
        for other in sorted(graph[module]):
            visit(other)
        stack.pop()
        done.add(module)

    for module in sorted(set(graph) - {"__init__", "__main__"}):
        visit(module)


def test_leaves_import_nothing_of_the_package():
    graph = package_imports()
    for leaf in LEAVES:
        assert graph[leaf] <= {"errors"}, f"{leaf} imports {graph[leaf]}"


def test_core_never_imports_the_app_or_training():
    for path in PACKAGE.glob("*.py"):
        text = path.read_text()
        assert not re.search(r"^\s*(from|import) (gradio|training|app)\b", text, re.M), path.name


def literal_lists(path: Path) -> list[set[str]]:
    """Every literal tuple, list or set of strings, and every dict's string keys, in a file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        items = node.keys if isinstance(node, ast.Dict) else node.elts if isinstance(node, (ast.Tuple, ast.List, ast.Set)) \
            else []
        strings = {k.value for k in items if isinstance(k, ast.Constant) and isinstance(k.value, str)}
        if len(strings) >= 2:
            found.append(strings)
    return found


def test_each_choice_list_is_defined_once():
    """Stacks, transcriber kinds, bundled encoders, poolings, precisions and backends: a literal list of
    them (two or more of its names together) only in the registry; everything else imports it."""
    from sentiment import registry
    choices = {"stacks": set(registry.STACKS), "transcribers": set(registry.TRANSCRIBERS),
               "encoders": set(registry.ENCODERS), "poolings": set(registry.POOLINGS),
               "precisions": set(registry.PRECISIONS) - {"auto"}, "backends": set(registry.BACKENDS) - {"auto"}}
    files = [*PACKAGE.glob("*.py"), *(ROOT / "training").glob("*.py"), ROOT / "app.py", ROOT / "demo_api_client.py"]
    for what, names in choices.items():
        where = [p.relative_to(ROOT).as_posix() for p in files if any(len(s & names) >= 2 for s in literal_lists(p))]
        assert where == ["sentiment/registry.py"], f"{what} defined in {where}"
