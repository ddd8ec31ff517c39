"""The Analyse tab's and the API's handlers: the package's results turned into what the page shows, and its
errors into ``gr.Error`` (the one place in the product that does; the words come from ``errors.message``)."""

from __future__ import annotations

import logging

import shutil
import tempfile
import time
from pathlib import Path

import gradio as gr

from sentiment import exports, report
from sentiment.errors import EXPECTED, message
from sentiment.result import to_row
from sentiment.speakers.naming import parse_names
from sentiment.timeline import plot_timeline
from sentiment.transcribers.whisper import MEASURED

log = logging.getLogger("app")


def run(fn, *args):
    """Call the package; its expected errors become their message, anything else a generic one (logged)."""
    try:
        return fn(*args)
    except EXPECTED as err:
        raise gr.Error(message(err), print_exception=False) from None
    except Exception:
        log.exception("unexpected error")
        raise gr.Error("Something went wrong while analysing this input; the error was logged.",
                       print_exception=False) from None


def audio_path(audio) -> str:
    if not audio:
        raise gr.Error("No audio: upload a file or record with the microphone.", print_exception=False)
    return audio if isinstance(audio, str) else audio["path"]


def stack_line(models: dict) -> str:
    return (f"Answered by the **{models['stack']}** stack: {models['transcriber']} → {models['encoder']} "
            f"→ head ({models['head']})")


SEGMENT_COLUMNS = ["speaker", "start (s)", "end (s)", "label", "confidence", "text"]  # the text last: it wraps


def summary_markdown(s, segments, speakers=()) -> str:
    """The summary of a recording with several segments, for people: shares, counts, strongest segments;
    and a row per speaker."""
    lines = ["**Speaking time**: " + " · ".join(f"{k} {v:.0%}" for k, v in s.speaking_time.items()),
             "**Segments**: " + " · ".join(f"{k} {v}" for k, v in s.counts.items())]
    for name, i in (("Most negative", s.most_negative), ("Most positive", s.most_positive)):
        if i is not None:
            seg = segments[i]
            lines.append(f"**{name}** ({seg.start:.1f}-{seg.end:.1f} s, {seg.confidences[seg.label]:.2f}): {seg.text}")
    text = "  \n".join(lines)
    if speakers:
        rows = [f"| **{p.speaker}** | {p.seconds:.0f} s ({p.share:.0%}) | {p.label} "
                f"({p.confidences[p.label]:.2f}) | " + " · ".join(f"{k[:3]} {v}" for k, v in p.summary.counts.items())
                + f" | {_strongest(segments, p.summary.most_negative)}"
                + f" | {_strongest(segments, p.summary.most_positive)} |"
                for p in speakers]
        text += ("\n\n| speaker | speaking time | overall | segments | most negative | most positive |\n"
                 "|---|---|---|---|---|---|\n" + "\n".join(rows))
    return text


def _strongest(segments, i) -> str:
    if i is None:
        return "–"
    seg = segments[i]
    short = seg.text if len(seg.text) <= 60 else seg.text[:57] + "..."
    return f"{seg.start:.0f} s: {short.replace('|', '/')}"


def speaker_fields():
    """The Analyse tab's (names, voice samples) inputs, folded away: most recordings need neither."""
    with gr.Accordion("Speakers' names (optional)", open=False):
        names = gr.Textbox(label="Names, in order of first appearance", placeholder="Agent, Customer",
                           elem_id="speaker-names")
        samples = gr.File(label="Or voice samples: a few seconds of each person, the file named after them "
                                "(Agent.wav)", file_count="multiple", type="filepath", elem_id="voice-samples")
    return names, samples


def naming_options(names: str | None, samples) -> dict:
    """The page's and the API's speaker fields as ``pipe``'s call options: names separated by commas, and
    voice samples each named after its person (``Agent.wav`` enrols Agent)."""
    paths = [s if isinstance(s, str) else s["path"] if isinstance(s, dict) else s.name for s in samples or []]
    enroll = {}
    for path in paths:
        name = Path(path).stem.strip()
        if name in enroll:
            raise gr.Error(f"Two voice samples are named {name}: one file per person, named after them",
                           print_exception=False)
        enroll[name] = path
    return {"speaker_names": run(parse_names, names), "enroll": enroll}


DOWNLOADS = Path(tempfile.gettempdir()) / "sentiment-downloads"
KEEP_SECONDS = 3600  # a request's files are served for an hour, as Gradio keeps its cache (app.py)


def downloads(row: dict, measured) -> list[str]:
    """The analysed recording's files (JSON, CSV, SRT, VTT, the HTML report), written as the CLI writes them,
    in a folder of this request's own; folders older than ``KEEP_SECONDS`` are removed on the way."""
    DOWNLOADS.mkdir(parents=True, exist_ok=True)
    for old in DOWNLOADS.iterdir():
        if time.time() - old.stat().st_mtime > KEEP_SECONDS:
            shutil.rmtree(old, ignore_errors=True)
    folder = Path(tempfile.mkdtemp(dir=DOWNLOADS))
    stem = Path(row["path"]).stem or "recording"
    return [str(exports.write(row, folder / (stem + suffix), measured)) for suffix in exports.DOWNLOADS]


def handlers(pipe):
    """(analyse, predict, predict_text) for ``pipe``: the Analyse button's outputs, and the two API endpoints."""

    measured = report.figures(pipe.head.info.metrics, MEASURED.get(pipe.transcriber.name))

    def analyse(audio, names=None, samples=None):
        path = audio_path(audio)
        result = run(lambda a: pipe(a, **naming_options(names, samples)), path)
        files = downloads(to_row(Path(path).name, result), measured)
        segments = [[s.speaker or "", s.start, s.end, s.label, round(s.confidences[s.label], 3), s.text]
                    for s in result.segments]
        timing = ", ".join(f"{k} {v:.2f} s" for k, v in result.timings.items() if k != "batch_size")
        several = len(result.segments) > 1
        for warning in result.warnings:
            gr.Warning(warning)
        warnings = "".join(f"**⚠ {w}**  \n" for w in result.warnings)
        figure = plot_timeline(result.segments, result.label, result.confidences[result.label],
                               result.duration) if several else None
        return (result.confidences, result.transcript, gr.update(value=figure, visible=several),
                gr.update(value=summary_markdown(result.summary, result.segments, result.speakers) if several else "",
                          visible=several),
                gr.update(value=segments, visible=several),
                f"{warnings}{stack_line(result.models)}  \n{result.duration:.1f} s of audio; {timing}",
                gr.update(value=files, visible=True))

    def predict(audio, speaker_names: str = "", voice_samples: list | None = None) -> dict:
        """One audio file in (with, optionally, speaker names in order of first appearance, "Agent,Customer",
        and voice samples named after their person, "Agent.wav"); label, confidences, transcript, segments,
        speakers, summary, models and timings out."""
        options = naming_options(speaker_names, voice_samples)
        return run(lambda a: pipe(a, **options), audio_path(audio)).to_dict()

    def predict_text(text: str) -> dict:
        """A transcript you already have in; the same dict out (no audio fields)."""
        return run(pipe.predict_text, text or "").to_dict()

    return analyse, predict, predict_text
