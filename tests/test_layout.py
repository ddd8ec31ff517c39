"""The package's shape: its modules import one another one way only (no cycles, also through imports
inside functions), the leaves stay leaves, and each choice list is defined once, in the registry."""

import ast
import re
from pathlib import Path

from conftest import ROOT

PACKAGE = ROOT / "sentiment"
# Modules that import nothing of the package but errors: every other module may import them.
LEAVES = {"registry", "labels", "errors", "logs", "transcribers.transcript", "text.normalize"}
# Folders, lowest first: a folder imports only leaves, itself and the folders before it. Top-level
# modules (audio, segments, pipeline, live, cli ...) sit above the folders, batch above the pipeline.
FOLDERS = ["runtime", "transcribers", "text", "speakers"]
ABOVE_PIPELINE = {"batch", "live", "cli", "exports", "__main__", "__init__"}
MAX_LINES = 250


def modules() -> dict[str, Path]:
    """Dotted module name inside the package (``text.encoder``; a package's ``__init__`` is its name) -> file."""
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" and len(parts) > 1 else parts)
        out[name] = path
    return out


def package_imports() -> dict[str, set[str]]:
    """module -> the package modules it imports, anywhere in its body (``from sentiment.x import y``
    counts as ``x.y`` when y is a module, else as ``x``)."""
    known, graph = modules(), {}
    for name, path in known.items():
        found = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level:
                raise AssertionError(f"{path.name}: relative import; the package imports itself by full name")
            targets = []
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "sentiment":
                base = node.module.split(".", 1)[1] if "." in node.module else ""
                targets = [f"{base}.{a.name}".strip(".") if f"{base}.{a.name}".strip(".") in known else base
                           for a in node.names]
            elif isinstance(node, ast.Import):
                targets = [a.name.split(".", 1)[1] for a in node.names if a.name.startswith("sentiment.")]
            found.update(t for t in targets if t)
        graph[name] = found - {name}
    return graph


def folder(module: str) -> str:
    return module.split(".")[0]


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


def test_folders_import_only_downwards():
    """runtime knows no model; transcribers and text know the runtime, not each other's users; nothing
    below the pipeline imports it, the batch engine, the live path or the command line."""
    graph = package_imports()
    for module, imported in graph.items():
        if folder(module) not in FOLDERS:
            continue
        allowed = set(FOLDERS[: FOLDERS.index(folder(module)) + 1])
        for other in imported - LEAVES:
            where = folder(other)
            assert where in allowed or other in {"audio", "transcribers"} and folder(module) != "runtime", \
                f"{module} imports {other}: {folder(module)}/ may import only leaves, audio and {sorted(allowed)}"
    for module, imported in graph.items():
        if folder(module) not in ABOVE_PIPELINE and module != "pipeline":
            assert not {folder(o) for o in imported} & (ABOVE_PIPELINE | {"pipeline"}), f"{module} imports {imported}"


def test_modules_are_short():
    long = {name: n for name, path in modules().items() if (n := len(path.read_text().splitlines())) > MAX_LINES}
    assert not long, f"over {MAX_LINES} lines: {long}"


def test_no_test_helpers_or_data_paths_in_the_package():
    """Random models and ../shared belong to the repository's tests and training, not to the wheel."""
    for name, path in modules().items():
        strings = [n.value for n in ast.walk(ast.parse(path.read_text()))
                   if isinstance(n, ast.Constant) and isinstance(n.value, str)]
        paths = [t for t in strings if re.search(r"SENTIMENT_SHARED|(^|/)shared(/|$)|\w\.csv$", t)]
        assert not paths and "make_tiny" not in path.read_text(), f"{name}: {paths}"


def test_core_never_imports_the_app_or_training():
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text()
        assert not re.search(r"^\s*(from|import) (gradio|training|app)\b", text, re.M), path.name


def literal_lists(path: Path) -> list[set[str]]:
    """Every literal tuple, list or set of strings, and every dict's string keys, in a file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        items = node.keys if isinstance(node, ast.Dict) else node.elts if isinstance(node, (ast.Tuple, ast.List,
                                                                                            ast.Set)) \
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
    files = [*PACKAGE.rglob("*.py"), *(ROOT / "training").glob("*.py"), *(ROOT / "ui").glob("*.py"), ROOT / "app.py",
             ROOT / "demo_api_client.py"]
    meaning = {"precisions", "backends"}  # what each precision and backend means is decided in runtime/plan.py
    for what, names in choices.items():
        where = [p.relative_to(ROOT).as_posix() for p in files if any(len(s & names) >= 2 for s in literal_lists(p))]
        allowed = {"sentiment/registry.py"} | ({"sentiment/runtime/plan.py"} if what in meaning else set())
        assert where and set(where) <= allowed, f"{what} defined in {where}"


def test_app_is_a_thin_page():
    """app.py lays out the page and starts it; handlers, the Live tab and the Evaluation tab live in ui/."""
    assert len((ROOT / "app.py").read_text().splitlines()) < 120
    for path in (ROOT / "ui").glob("*.py"):
        assert len(path.read_text().splitlines()) <= MAX_LINES, path.name


def test_the_metrics_file_has_one_definition():
    """Only sentiment/evaluation.py names metrics.json; training writes it and the app reads it through the
    package, not through training/."""
    files = [*PACKAGE.rglob("*.py"), *(ROOT / "training").glob("*.py"), *(ROOT / "ui").glob("*.py"), ROOT / "app.py"]
    naming = [p.relative_to(ROOT).as_posix() for p in files if '"metrics.json"' in p.read_text()]
    assert naming == ["sentiment/evaluation.py"]
    for user in ("training/run.py", "ui/evaluation.py"):
        assert "from sentiment.evaluation import" in (ROOT / user).read_text()
    assert not any("training" in line for line in (ROOT / "ui" / "evaluation.py").read_text().splitlines()
                   if line.startswith(("import", "from")))
