"""Records of benchmark runs, machine-readable: ``bench/results/NAME-DATE.json`` holds the command, the
commit, the machine (CPU, cores, GPU), the library versions and the figures, as named values (``figure``)
and as tables (``table``) that docs/ renders (``bench.docs``). A benchmark adds to the record of its run;
``python -m bench --record NAME`` writes it."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import platform
import subprocess
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
ROOT = RESULTS.parent.parent
LIBRARIES = ("torch", "onnxruntime", "ctranslate2", "faster-whisper", "transformers", "sentence-transformers",
             "numpy", "scikit-learn", "pyannote.metrics", "jiwer", "gradio", "ray")


@dataclass
class Record:
    name: str
    command: list[str]
    date: str = field(default_factory=lambda: dt.date.today().isoformat())
    commit: str | None = None
    machine: dict = field(default_factory=dict)
    versions: dict = field(default_factory=dict)
    figures: dict = field(default_factory=dict)
    tables: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


_current: Record | None = None


def start(name: str, command: list[str]) -> Record:
    """Begin the record of this run (``python -m bench`` does, before the benchmark's ``main``)."""
    global _current
    _current = Record(name, command, commit=commit(), machine=machine(), versions=versions())
    return _current


def current() -> Record:
    """This run's record; a benchmark called from Python without ``start`` gets one of its own."""
    return _current if _current is not None else start("adhoc", [])


def figure(key: str, value) -> None:
    """A named figure of this run (a number, or a short string with its unit)."""
    current().figures[key] = value


def table(name: str, columns: list[str], rows: list[list]) -> None:
    """A table of this run, as docs/ shows it: cells are strings or numbers, one list per row."""
    current().tables[name] = {"columns": list(columns), "rows": [[_cell(c) for c in row] for row in rows]}


def note(text: str) -> None:
    current().notes.append(text)


def from_output(text: str) -> None:
    """What a benchmark printed, into its record: each Markdown table as a table (``main``, ``table2`` ...,
    unless the benchmark named its tables itself) and the other lines as notes."""
    record, block = current(), []

    def flush() -> None:
        if len(block) >= 2 and set(block[1]) <= set("|-: "):
            cells = [[c.strip() for c in line.strip().strip("|").split("|")] for line in block]
            name = "main" if not record.tables else f"table{len(record.tables) + 1}"
            record.tables.setdefault(name, {"columns": cells[0], "rows": cells[2:]})
        else:
            record.notes.extend(block)
        block.clear()

    for line in text.splitlines():
        if line.startswith("|"):
            block.append(line)
            continue
        flush()
        if line.strip():
            record.notes.append(line.strip())
    flush()


def write(record: Record | None = None, folder: Path | None = None) -> Path:
    record, folder = record or current(), folder or RESULTS
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{record.name}-{record.date}.json"
    path.write_text(json.dumps(asdict(record), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def read(path: Path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def commit() -> str | None:
    """HEAD's short hash, with ``-dirty`` when the working tree has changes; None outside a checkout."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return head + ("-dirty" if dirty else "")


def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {"cpu": cpu, "cores": cores, "gpu": _gpu(), "python": platform.python_version(),
            "system": platform.platform()}


def versions() -> dict:
    found = {}
    for name in LIBRARIES:
        with contextlib.suppress(metadata.PackageNotFoundError):
            found[name] = metadata.version(name)
    return found


def _gpu() -> str | None:
    try:
        import torch
        return torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    except ImportError:
        return None


def _cell(value):
    return value if isinstance(value, (str, int, float)) or value is None else str(value)
