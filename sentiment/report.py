"""One recording's result as a page to share: a single HTML file that opens anywhere with no network (the
timeline drawn in as SVG, the styles inline, no script, nothing fetched), with the timeline per speaker, the
per-speaker summary, the transcript with its labels, any warnings, and the models with their measured
figures. Rendered by Jinja2 from ``report.html`` with autoescaping: a transcript is text, never markup.
"""

from __future__ import annotations

import io
import re
from importlib.resources import files
from pathlib import Path
from types import SimpleNamespace

from matplotlib import rc_context

from sentiment.labels import LABELS
from sentiment.timeline import COLORS, plot_timeline

# The measured figures a report names, in this order, as people read them (others are left out).
FIGURES = {
    "text_test.macro_f1": "text model, macro-F1 on its test set",
    "text_test.accuracy": "text model, accuracy on its test set",
    "pipeline_test.macro_f1": "whole pipeline, macro-F1 on spoken test sentences (synthetic voices)",
    "pipeline_test.wer": "whole pipeline, WER on those sentences",
    "calibration.test_ece_after": "calibration error of the confidences (ECE, test set)",
    "wer_real_call": "transcriber, WER on a real telephone call",
    "wer_real_librivox": "transcriber, WER on real LibriVox readings",
    "pipeline_rtf": "seconds of computing per second of audio, 2 CPU cores",
}



def figures(head_metrics: dict, transcriber: dict | None = None) -> list[tuple[str, str]]:
    """(what, value) rows of the measured figures: the head's metrics (its metadata) and the transcriber's
    (``whisper.MEASURED``), those ``FIGURES`` names, in its order."""
    flat = {f"{k}.{j}": w for k, v in (head_metrics or {}).items() if isinstance(v, dict) for j, w in v.items()}
    flat.update(transcriber or {})
    return [(what, f"{flat[key]:.3f}") for key, what in FIGURES.items() if isinstance(flat.get(key), (int, float))]


def render(row: dict, measured: list[tuple[str, str]] = ()) -> str:
    """The page for a result row (``to_row``: ``Prediction.to_dict()`` and its ``path``)."""
    if "error" in row:
        raise ValueError(f"No result to report: {row['error']}")
    from jinja2 import Environment

    segments = row.get("segments") or []
    timeline = _svg(row) if len(segments) > 1 else ""
    env = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
    template = (files("sentiment") / "report.html").read_text(encoding="utf-8")
    return env.from_string(template).render(row=row, name=Path(row.get("path") or "recording").name,
                                            labels=LABELS, colors=COLORS, timeline=timeline,
                                            figures=list(measured), clock=_clock)


def write(row: dict, path: Path, measured: list[tuple[str, str]] = ()) -> Path:
    path = Path(path)
    text = render(row, measured)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _svg(row: dict) -> str:
    segments = [SimpleNamespace(**s) for s in row["segments"]]
    figure = plot_timeline(segments, row["label"], row["confidences"][row["label"]], row.get("duration"))
    buffer = io.StringIO()
    with rc_context({"svg.hashsalt": "sentiment"}):  # the same ids each time: the same page for the same result
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    return re.sub(r"<metadata>.*?</metadata>", "", text[text.index("<svg"):], flags=re.S)  # matplotlib's RDF


def _clock(seconds: float) -> str:
    minutes, rest = divmod(float(seconds), 60)
    return f"{int(minutes)}:{rest:04.1f}"
