"""The result, one schema for every way out: the API's dict (``Prediction.to_dict``), the CLI's ``--json``
line and the batch rows (JSONL as is; CSV and Parquet flattened) carry the same fields under the same names.
docs/results.md describes each field.

A row is ``path``, then the prediction's fields, or ``path`` and ``error`` for an input that failed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields

from sentiment.errors import message
from sentiment.labels import LABELS, label_of
from sentiment.summary import Speaker, Summary
from sentiment.transcribers.transcript import Span, Word


@dataclass
class Segment:
    start: float
    end: float
    text: str
    label: str
    confidences: dict[str, float]
    speaker: str | None = None  # S1, S2 ... when the recording was diarized, else None
    # Its words, timed, where the transcriber timed them word by word (Whisper on recordings with segments):
    # joined with spaces they give ``text``. Empty for a short recording, text, and with words=False.
    words: list[Word] = field(default_factory=list)


@dataclass
class Prediction:
    transcript: str
    label: str
    confidences: dict[str, float]  # all three labels, in LABELS order, summing to 1
    # Audio: every labelled stretch in time order, at least one (a short recording is one segment, the
    # whole of it), so that the summary's indexes always point into this list. Text input: none.
    segments: list[Segment] = field(default_factory=list)
    summary: Summary | None = None  # audio only
    speakers: list[Speaker] = field(default_factory=list)  # per speaker, when the recording was diarized
    duration: float | None = None  # seconds of audio; None for text input
    models: dict[str, str] = field(default_factory=dict)  # stack, each model and each model's runtime
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage
    language: str | None = None  # what a multilingual transcriber heard (ISO 639-1); None: not detected
    warnings: list[str] = field(default_factory=list)  # for the person: e.g. speech in another language

    def to_dict(self) -> dict:
        return asdict(self)


FIELDS = tuple(f.name for f in fields(Prediction))
ROW_FIELDS = ("path", *FIELDS, "error")
# CSV and Parquet: the confidences as one column per label, every other list or dict as JSON text.
FLAT_FIELDS = ["path", *(f"confidences.{name}" if k == "confidences" else k for k in FIELDS for name in
                         (LABELS if k == "confidences" else [None])), "error"]


def labelled(spans: Sequence[Span], probs, words: bool = True) -> list[Segment]:
    """Spans and their probabilities → labelled segments: the one step the file, live and Ray paths share."""
    return [Segment(s.start, s.end, s.text, *label_of(p), speaker=s.speaker, words=list(s.words) if words else [])
            for s, p in zip(spans, probs)]


def to_row(path: str, result: Prediction | Exception) -> dict:
    """One input's row: its path and the prediction's fields, or its path and the error's message."""
    if isinstance(result, Exception):
        return {"path": str(path), "error": message(result)}
    return {"path": str(path), **result.to_dict()}


def flatten(row: dict) -> dict:
    """A row as flat cells (every FLAT_FIELDS column; absent ones None)."""
    out = {k: row.get(k) for k in FLAT_FIELDS if "." not in k}
    out.update({f"confidences.{name}": (row.get("confidences") or {}).get(name) for name in LABELS})
    return {k: json.dumps(v) if isinstance(v, (list, dict)) else v for k, v in out.items()}


def unflatten(cells: dict) -> dict:
    """``flatten`` undone (CSV cells are text: numbers and JSON read back), absent cells left out."""
    row = {k: v for k, v in cells.items() if v not in (None, "") and not k.startswith("confidences.")}
    confidences = {name: float(cells[f"confidences.{name}"]) for name in LABELS
                   if cells.get(f"confidences.{name}") not in (None, "")}
    if confidences:
        row["confidences"] = confidences
    for k in ("segments", "summary", "speakers", "models", "timings", "warnings"):
        if isinstance(row.get(k), str):
            row[k] = json.loads(row[k])
    if "duration" in row:
        row["duration"] = float(row["duration"])
    return {k: row[k] for k in ROW_FIELDS if k in row}
