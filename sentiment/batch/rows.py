"""Batch results as rows, one per input (its path, and its prediction or its error: ``result.py``), written
as CSV, JSONL or Parquet. While a batch runs, rows are appended to ``<output>.partial.jsonl`` and flushed, so
that a crash loses nothing done; a second run with the same output reads both files back and skips what is there."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from collections.abc import Iterable

from sentiment.result import FLAT_FIELDS, flatten, unflatten

FORMATS = (".csv", ".jsonl", ".parquet")


def partial_path(output: Path) -> Path:
    return output.with_name(output.name + ".partial.jsonl")


def append_partial(output: Path, rows: Iterable[dict]) -> None:
    """Rows done so far, appended and flushed: what a resumed run finds if this one dies."""
    output.parent.mkdir(parents=True, exist_ok=True)
    with open(partial_path(output), "a", encoding="utf-8") as f:
        f.writelines(json.dumps(r) + "\n" for r in rows)
        f.flush()


def read_done(output: Path) -> dict[str, dict]:
    """Rows already written for this output (its final file, then any partial one), by path."""
    rows = read_rows(output) if output.is_file() else []
    partial = partial_path(output)
    if partial.is_file():
        for line in partial.read_text(encoding="utf-8").splitlines():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:  # the last line of a run that died while writing it
                continue
    return {r["path"]: r for r in rows if r.get("path")}


def write_rows(rows: list[dict], path: Path) -> None:
    """The final output, all rows, then the partial file removed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix.lower()
    flat = [flatten(r) for r in rows]
    tmp = path.with_name(path.name + ".tmp")
    if suffix == ".jsonl":
        tmp.write_text("".join(json.dumps({k: v for k, v in r.items() if v is not None}) + "\n" for r in rows),
                       encoding="utf-8")
    elif suffix == ".parquet":
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError as err:
            raise ValueError("Parquet output needs pyarrow: pip install pyarrow (or use .csv / .jsonl)") from err
        pq.write_table(pa.Table.from_pylist(flat), tmp)
    else:
        with open(tmp, "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=FLAT_FIELDS)
            writer.writeheader()
            writer.writerows(flat)
    tmp.replace(path)  # never a half-written output file
    partial_path(path).unlink(missing_ok=True)


def read_rows(path: Path) -> list[dict]:
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if suffix == ".parquet":
        import pyarrow.parquet as pq
        rows = pq.read_table(path).to_pylist()
    else:
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
    return [unflatten(r) for r in rows]
