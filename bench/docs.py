"""The figure tables in docs/ (and the README), rendered from the benchmark records in bench/results.

A table that comes from a record stands between two markers, which name the record and its table:

    <!-- bench: offline-2026-12-07 main -->
    | clips | ours | ... |
    <!-- /bench -->

``python -m bench docs`` rewrites every such table from its record; ``--check`` changes nothing and lists
the tables that differ from their record (exit 1), as tests/test_docs.py does.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from bench.records import RESULTS, ROOT, read

MARKER = re.compile(r"^<!-- bench: (?P<record>[\w.-]+) (?P<table>[\w.-]+) -->\n(?P<body>.*?)^<!-- /bench -->$",
                    re.M | re.S)


def pages() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def render(table: dict) -> str:
    """A record's table as a Markdown table (cells as stored; a ``|`` in a cell is escaped)."""
    def line(cells) -> str:
        return "| " + " | ".join("" if c is None else str(c).replace("|", "\\|") for c in cells) + " |"
    return "\n".join([line(table["columns"]), "|" + "---|" * len(table["columns"]),
                      *(line(r) for r in table["rows"])]) + "\n"


def refreshed(text: str, results: Path = RESULTS) -> str:
    """``text`` with every marked table rendered from its record."""
    def one(m: re.Match) -> str:
        path = results / f"{m['record']}.json"
        if not path.exists():
            raise ValueError(f"no record {path.name} in {results} (named by a table in the docs)")
        tables = read(path)["tables"]
        if m["table"] not in tables:
            raise ValueError(f"record {path.name} has no table {m['table']!r} (it has {', '.join(tables)})")
        return f"<!-- bench: {m['record']} {m['table']} -->\n{render(tables[m['table']])}<!-- /bench -->"
    return MARKER.sub(one, text)


def stale(results: Path = RESULTS) -> list[str]:
    """The pages whose marked tables differ from their records."""
    return [str(p.relative_to(ROOT)) for p in pages() if refreshed(p.read_text(encoding="utf-8"), results)
            != p.read_text(encoding="utf-8")]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench docs", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--check", action="store_true", help="change nothing; list the pages whose tables are stale")
    args = p.parse_args(argv)
    if args.check:
        out = stale()
        for page in out:
            print(f"{page}: a table differs from its record (python -m bench docs rewrites it)")
        return 1 if out else 0
    for page in pages():
        text = page.read_text(encoding="utf-8")
        new = refreshed(text)
        if new != text:
            page.write_text(new, encoding="utf-8")
            print(f"rewrote {page.relative_to(ROOT)}")
    return 0
