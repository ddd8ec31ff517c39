"""Where results go, chosen by the output's suffix: a batch's rows (.csv, .jsonl, .parquet: ``batch/rows.py``),
or one recording's files people take away: its result (.json), subtitles and turns (.srt, .vtt, .rttm:
``subtitles.py``) and the page to share (.html: ``report.py``). The CLI's ``-o`` and the Analyse tab's
downloads both write through ``write``, so they give the same files.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from sentiment import report, subtitles
from sentiment.batch.rows import FORMATS as ROWS
from sentiment.batch.rows import write_rows

ONE_RECORDING = (".json", *subtitles.FORMATS, ".html")
DOWNLOADS = (".json", ".csv", ".srt", ".vtt", ".html")  # the Analyse tab's buttons


def check_output(path: Path) -> None:
    """A results file, one recording's file, or a folder (one file per input: ``write_each``)."""
    if is_folder(path):
        return
    if path.suffix.lower() not in ROWS + ONE_RECORDING:
        raise ValueError(f"Output {path.name}: use a {', '.join(ROWS)} file for results, "
                         f"{', '.join(ONE_RECORDING)} for one recording, or a folder (ending in /) for one "
                         "file per input")


def is_folder(path: Path | str) -> bool:
    return str(path).endswith(("/", "\\")) or Path(path).is_dir()


def check_formats(formats: Sequence[str]) -> list[str]:
    """``["srt", ".VTT"]`` -> [".srt", ".vtt"]; ValueError for one that is not a one-recording format."""
    out = ["." + f.strip().lower().lstrip(".") for f in formats if f.strip()]
    bad = [f for f in out if f not in ONE_RECORDING]
    if bad or not out:
        raise ValueError(f"--format {','.join(formats)}: choose from {', '.join(f[1:] for f in ONE_RECORDING)}")
    return list(dict.fromkeys(out))


def write(row: dict, path: Path, measured: Sequence[tuple[str, str]] = ()) -> Path:
    """One recording's ``row`` as the file ``path`` names by its suffix (``measured``: the report's figures)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if "error" in row:
        raise ValueError(f"No result to write to {path.name}: {row['error']}")
    if suffix in subtitles.FORMATS:
        return subtitles.write(row, path)
    if suffix == ".html":
        return report.write(row, path, measured)
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".json":
        path.write_text(json.dumps(row, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    elif suffix == ".csv":
        write_rows([row], path)
    else:
        raise ValueError(f"Cannot write {path.name}: one recording's files are {', '.join(DOWNLOADS)}, .rttm")
    return path


def write_each(rows: Sequence[dict], folder: Path, formats: Sequence[str],
               measured: Sequence[tuple[str, str]] = ()) -> list[Path]:
    """For a batch: each input's files in ``folder``, named after the input (``talk.wav`` -> ``talk.srt``;
    two inputs of one name get ``talk-2.srt``); inputs that failed have none."""
    folder, written, taken = Path(folder), [], set()
    for row in rows:
        if "error" in row:
            continue
        stem, n = Path(row["path"]).stem, 1
        while stem + ("" if n == 1 else f"-{n}") in taken:
            n += 1
        stem += "" if n == 1 else f"-{n}"
        taken.add(stem)
        written += [write(row, folder / (stem + suffix), measured) for suffix in formats]
    return written
