"""``python -m bench --list`` names every benchmark by group; ``python -m bench NAME [options]`` runs one
(``--record`` before NAME also writes its figures to ``bench/results/NAME-DATE.json``); ``python -m bench
docs [--check]`` renders the figure tables in docs/ from those records."""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import pkgutil
import re
import sys
from dataclasses import dataclass

GROUPS = ("speed", "quality", "studies")


@dataclass(frozen=True)
class Benchmark:
    name: str
    group: str
    module: str
    summary: str  # the docstring's first sentence
    decides: str | None  # a study's constant


def benchmarks() -> dict[str, Benchmark]:
    """Every module of the groups that has a ``main(argv)``, by its name (names are unique across groups)."""
    found: dict[str, Benchmark] = {}
    for group in GROUPS:
        package = importlib.import_module(f"bench.{group}")
        for info in pkgutil.iter_modules(package.__path__):
            module = importlib.import_module(f"bench.{group}.{info.name}")
            if not callable(getattr(module, "main", None)):
                continue  # a helper of another benchmark
            if info.name in found:
                raise ValueError(f"two benchmarks named {info.name}: {found[info.name].module}, {module.__name__}")
            summary = re.split(r"(?<=[.?])\s", " ".join((module.__doc__ or "").split()), maxsplit=1)[0]
            found[info.name] = Benchmark(info.name, group, module.__name__, summary, getattr(module, "DECIDES", None))
    return found


def listing(found: dict[str, Benchmark]) -> str:
    lines = []
    for group in GROUPS:
        lines.append(f"{group}:")
        for b in sorted((b for b in found.values() if b.group == group), key=lambda b: b.name):
            decides = f" [decides {b.decides}]" if b.decides else ""
            lines.append(f"  {b.name:<22} {b.summary}{decides}")
    lines.append("docs:\n  docs                   render the figure tables in docs/ from bench/results "
                 "(--check: compare)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--list", action="store_true", help="name every benchmark, by group")
    p.add_argument("--record", action="store_true", help="write the run's figures to bench/results/NAME-DATE.json")
    p.add_argument("name", nargs="?", metavar="NAME", help="the benchmark to run (see --list), or docs")
    p.add_argument("args", nargs=argparse.REMAINDER, help="its own options (python -m bench NAME --help)")
    args = p.parse_args(argv)
    if args.name == "docs":
        from bench.docs import main as docs
        return docs(args.args)
    found = benchmarks()
    if args.list or not args.name:
        print(listing(found))
        return 0
    if args.name not in found:
        p.error(f"no benchmark named {args.name!r}; python -m bench --list names them")
    from bench import records
    bench = found[args.name]
    sys.argv[0] = f"python -m bench {bench.name}"  # argparse's prog in the benchmark's --help
    records.start(bench.name, ["python", "-m", "bench", bench.name, *args.args])
    run = importlib.import_module(bench.module).main
    if not args.record:
        run(args.args)
        return 0
    printed = io.StringIO()
    with contextlib.redirect_stdout(_Tee(sys.stdout, printed)):
        run(args.args)
    records.from_output(printed.getvalue())
    print(f"record: {records.write()}")
    return 0


class _Tee(io.TextIOBase):
    """stdout as the user sees it, and a copy for the record."""

    def __init__(self, *streams):
        self.streams = streams

    def write(self, text: str) -> int:
        for stream in self.streams:
            stream.write(text)
        return len(text)

    def flush(self) -> None:
        for stream in self.streams:
            stream.flush()


if __name__ == "__main__":
    sys.exit(main())
