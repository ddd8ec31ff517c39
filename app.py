"""Speech sentiment in the browser and over HTTP (Gradio).

    python app.py [--host 127.0.0.1] [--port 7860] [--stack auto|slue|offline] [--share] [model options]

The models are loaded once at start-up. Endpoints for gradio_client: ``predict`` (one audio file in, a
JSON-ready dict out) and ``predict_text`` (a transcript in, the same dict out). Only this file turns the
package's typed errors into ``gr.Error``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import threading
import time
from pathlib import Path

import gradio as gr

import sentiment
from sentiment.errors import SentimentError, run_command
from sentiment.labels import LABELS
from sentiment.live import LiveSession
from sentiment.logs import setup_logging
from sentiment.registry import add_model_options, model_options
from sentiment.stacks import EXAMPLES_DIR
from sentiment.timeline import plot_timeline

ROOT = Path(__file__).resolve().parent
ASSETS = ROOT / "assets"
EXAMPLES = EXAMPLES_DIR
MAX_FILE_SIZE = "25mb"  # about 13 minutes of 16-bit mono wav at 16 kHz
MAX_SECONDS = 900.0
# Requests computed at once; the rest wait in the queue. Two: Whisper (CTranslate2) and the encoder (ONNX
# Runtime) release the GIL, so a second request overlaps with the first. Measured with
# bench/load_app.py (8 clients x 25 requests, 2 cores): 64.6 s with two, 76.4 s with one.
CONCURRENCY = 2
QUEUE_SIZE = 64
# Live streams at once. A stream holds its worker for as long as it lasts, so streams have their own
# limit, apart from uploads and API calls; a slot not fed for LIVE_IDLE seconds (a closed tab) frees itself.
LIVE_SLOTS, LIVE_SECONDS, LIVE_IDLE, LIVE_BEHIND = 2, 600, 15.0, 3.0
log = logging.getLogger("app")


def _run(fn, *args):
    """Call the package; its typed errors become short messages, anything else a generic one (logged)."""
    try:
        return fn(*args)
    except (SentimentError, ValueError) as err:
        raise gr.Error(str(err), print_exception=False) from None
    except Exception:
        log.exception("unexpected error")
        raise gr.Error("Something went wrong while analysing this input; the error was logged.",
                       print_exception=False) from None


def _audio_path(audio) -> str:
    if not audio:
        raise gr.Error("No audio: upload a file or record with the microphone.", print_exception=False)
    return audio if isinstance(audio, str) else audio["path"]


def _stack_line(models: dict) -> str:
    return (f"Answered by the **{models['stack']}** stack: {models['transcriber']} → {models['encoder']} "
            f"→ head ({models['head']})")


def summary_markdown(s, segments) -> str:
    """The summary of a recording with several segments, for people: shares, counts, strongest segments."""
    lines = ["**Speaking time**: " + " · ".join(f"{k} {v:.0%}" for k, v in s.speaking_time.items()),
             "**Segments**: " + " · ".join(f"{k} {v}" for k, v in s.counts.items())]
    for name, i in (("Most negative", s.most_negative), ("Most positive", s.most_positive)):
        if i is not None:
            seg = segments[i]
            lines.append(f"**{name}** ({seg.start:.1f}-{seg.end:.1f} s, {seg.confidences[seg.label]:.2f}): {seg.text}")
    return "  \n".join(lines)


class LiveSlots:
    """Which browser sessions hold a live slot (by Gradio's session hash; no audio, nothing on disk)."""

    def __init__(self, n: int, idle: float = LIVE_IDLE):
        self.n, self.idle, self.seen, self.lock = n, idle, {}, threading.Lock()

    def take(self, key: str) -> bool:
        with self.lock:
            now = time.monotonic()
            self.seen = {k: t for k, t in self.seen.items() if now - t < self.idle}
            if key in self.seen or len(self.seen) < self.n:
                self.seen[key] = now
                return True
            return False

    def release(self, key: str) -> None:
        with self.lock:
            self.seen.pop(key, None)


def live_view(session: LiveSession, final: bool = False) -> tuple:
    """(running label, transcript markdown, status line) of a live session."""
    rows = [f"`{u.start:6.1f}-{u.end:6.1f} s` **{u.label}** ({u.confidences[u.label]:.2f}) {u.text}"
            for u in session.utterances]
    transcript = "  \n".join(rows) or "*(nothing yet: speak, then pause)*"
    now = session.overall()
    status = (f"{'Stopped' if final else 'Listening'}: {session.received:.1f} s heard, "
              f"{len(session.utterances)} utterances.")
    if not final and session.behind() > LIVE_BEHIND:
        status += f" **This machine is falling behind by {session.behind():.0f} s: labels arrive late.**"
    return (now[1] if now else None), transcript, status


def evaluation_view(stack: str) -> tuple[str, list[list], list[list], list[str]]:
    """(description, summary rows, per-class rows, plot paths) from assets/<stack>/, or how to produce them."""
    folder = ASSETS / stack
    metrics_file = folder / "metrics.json"
    if not metrics_file.is_file():
        return (f"No evaluation for the **{stack}** stack yet. Produce it with "
                f"`python -m training.run --stack {stack}` (see the README).", [], [], [])
    m = json.loads(metrics_file.read_text())
    runs = [("text, test split", m["text"]["test"])]
    if "pipeline" in m:
        runs.append(("audio pipeline, spoken test set", m["pipeline"]))
    summary = [[name, s["n"], round(s["accuracy"], 3), round(s["macro_f1"], 3),
                round(s["wer"], 3) if "wer" in s else "—"] for name, s in runs]
    per_class = [[name, label, *(round(s["per_class"][label][k], 3) for k in ("precision", "recall", "f1")),
                  s["per_class"][label]["support"]] for name, s in runs for label in LABELS]
    base = m["majority_baseline"]
    text = (f"**Data**: {m['data']['source']} · **transcriber**: {m['models']['transcriber']} · "
            f"**encoder**: {m['models']['encoder']} ({m['models']['pooling']} pooling of layers "
            f"{m['models']['layers']}) · **head**: hidden → 30 → 3, kept at epoch {m['training']['best_epoch']}.\n\n"
            f"Always answering {base['label']} would score accuracy {base['accuracy']:.3f}, "
            f"macro-F1 {base['macro_f1']:.3f}. Macro-F1 is the figure that counts (SLUE's metric).")
    if "pipeline" in m and "text_same_clips" in m["pipeline"]:
        text += (f" On the spoken clips' reference text the head scores macro-F1 "
                 f"{m['pipeline']['text_same_clips']['macro_f1']:.3f}: the gap to the pipeline is what "
                 "transcription errors cost.")
    plots = [p for p in (folder / n for n in ("loss.png", "confusion_text.png", "confusion_pipeline.png")) if p.is_file()]
    return text, summary, per_class, [str(p) for p in plots]


def build_app(pipe: sentiment.SentimentPipeline) -> gr.Blocks:
    stack = pipe.models["stack"]

    def analyse(audio):
        result = _run(pipe, _audio_path(audio))
        segments = [[s.start, s.end, s.text, s.label, round(s.confidences[s.label], 3)] for s in result.segments]
        timing = ", ".join(f"{k} {v:.2f} s" for k, v in result.timings.items() if k != "batch_size")
        several = len(result.segments) > 1
        figure = plot_timeline(result.segments, result.label, result.confidences[result.label],
                               result.duration) if several else None
        return (result.confidences, result.transcript, gr.update(value=figure, visible=several),
                gr.update(value=summary_markdown(result.summary, result.segments) if several else "", visible=several),
                gr.update(value=segments, visible=several),
                f"{_stack_line(result.models)}  \n{result.duration:.1f} s of audio; {timing}")

    def predict(audio) -> dict:
        """One audio file in; label, confidences, transcript, segments, summary, models and timings out."""
        return _run(pipe, _audio_path(audio)).to_dict()

    def predict_text(text: str) -> dict:
        """A transcript you already have in; the same dict out (no audio fields)."""
        return _run(pipe.predict_text, text or "").to_dict()

    description, summary, per_class, plots = evaluation_view(stack)
    with gr.Blocks(title="Speech sentiment", delete_cache=(3600, 3600)) as demo:
        gr.Markdown("# Speech sentiment\nUpload or record English speech: get the transcript and whether it "
                    "sounds **Negative**, **Neutral** or **Positive**.")
        with gr.Tab("Analyse"):
            with gr.Row():
                with gr.Column():
                    audio = gr.Audio(sources=["upload", "microphone"], type="filepath", label="Speech", elem_id="speech")
                    button = gr.Button("Analyse", variant="primary", elem_id="analyse")
                    gr.Examples([[str(p)] for p in sorted(EXAMPLES.glob("*.flac"))], inputs=audio,
                                label="Examples (synthesised from sentences written for this app)")
                with gr.Column():
                    label = gr.Label(num_top_classes=3, label="Sentiment", elem_id="sentiment")
                    transcript = gr.Textbox(label="Transcript", lines=3, interactive=False, elem_id="transcript")
                    stack_info = gr.Markdown(f"Stack: **{stack}** ({pipe.models['transcriber']} → "
                                             f"{pipe.models['encoder']})")
            timeline = gr.Plot(label="Sentiment over time", visible=False, elem_id="timeline")
            summary_box = gr.Markdown(visible=False, elem_id="summary")
            segments = gr.Dataframe(headers=["start (s)", "end (s)", "text", "label", "confidence"],
                                    label="Segments", visible=False, interactive=False, wrap=True)
            button.click(analyse, audio, [label, transcript, timeline, summary_box, segments, stack_info],
                         api_visibility="private")
        with gr.Tab("Live", elem_id="live"):
            gr.Markdown("Speak into the microphone: each utterance is transcribed and labelled when you pause. "
                        "Nothing is recorded or stored.")
            with gr.Row():
                with gr.Column():
                    mic = gr.Audio(sources=["microphone"], streaming=True, type="filepath", label="Microphone",
                                   elem_id="live-mic")
                    live_status = gr.Markdown(elem_id="live-status")
                live_label = gr.Label(num_top_classes=3, label="Sentiment so far", elem_id="live-sentiment")
            live_text = gr.Markdown(elem_id="live-transcript")
            live_plot = gr.Plot(label="Sentiment over time", visible=False, elem_id="live-timeline")
            live_summary = gr.Markdown(elem_id="live-summary")
            live_state = gr.State(None)
            build_live(pipe, mic, live_state, [live_label, live_text, live_status], live_plot, live_summary)
        with gr.Tab("Evaluation", elem_id="evaluation"):
            gr.Markdown(f"## How the {stack} stack was evaluated\n{description}")
            if summary:
                gr.Dataframe(value=summary, headers=["evaluation", "n", "accuracy", "macro-F1", "WER"],
                             interactive=False, label="Metrics")
                gr.Dataframe(value=per_class, headers=["evaluation", "label", "precision", "recall", "F1", "support"],
                             interactive=False, label="Per class")
            for path in plots:
                gr.Image(path, label=Path(path).stem.replace("_", " "), interactive=False, buttons=[])
        with gr.Row(visible=False):  # API-only components: raw file in, JSON out
            api_file, api_text, api_out = gr.File(type="filepath"), gr.Textbox(), gr.JSON()
            api_button = gr.Button()
        api_button.click(predict, api_file, api_out, api_name="predict")
        api_text.submit(predict_text, api_text, api_out, api_name="predict_text")
    return demo


def build_live(pipe, mic, state, view: list, plot, summary, slots: LiveSlots | None = None) -> None:
    """Wire the Live tab: start takes a slot, each chunk feeds the session, stop flushes and summarises."""
    slots = slots or LiveSlots(LIVE_SLOTS)

    def start(request: gr.Request):
        if not slots.take(request.session_hash):
            return None, None, "", (f"All {slots.n} live slots are taken. Try again in a minute, or upload a "
                                    "recording in the Analyse tab."), gr.update(visible=False), ""
        return LiveSession(), None, "", "Listening: speak, then pause.", gr.update(visible=False), ""

    def chunk(audio, session: LiveSession | None, request: gr.Request):
        chunk_audio = _read_chunk(audio) if audio else None  # read and deleted, whatever happens next
        if session is None or chunk_audio is None or session.finished:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip()
        slots.take(request.session_hash)  # still here
        before = len(session.utterances)
        try:
            session.feed(pipe, *chunk_audio)
        except (SentimentError, ValueError) as err:
            return session, gr.skip(), gr.skip(), f"This audio cannot be used: {err}"
        if len(session.utterances) == before:  # nothing new but the status line
            return session, gr.skip(), gr.skip(), live_view(session)[2]
        return session, *live_view(session)

    def stop(audio, session: LiveSession | None, request: gr.Request):
        if audio:  # the stream's last chunk, if Gradio hands one to the stop event
            _read_chunk(audio)
        slots.release(request.session_hash)
        if session is None:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
        _run(session.finish, pipe)  # a second stop finds it finished and adds nothing
        confidences, text, status = live_view(session, final=True)
        several = len(session.utterances) > 1
        figure = plot_timeline(session.utterances, *_top(confidences)) if several else None
        return (session, confidences, text, status, gr.update(value=figure, visible=several),
                summary_markdown(session.summary(), session.utterances) if session.utterances else "")

    outputs = [state, *view, plot, summary]
    mic.start_recording(start, None, outputs, concurrency_limit=None, api_visibility="private")
    mic.stream(chunk, [mic, state], [state, *view], stream_every=0.5, time_limit=LIVE_SECONDS,
               concurrency_limit=slots.n, concurrency_id="live", api_visibility="private", show_progress="hidden")
    mic.stop_recording(stop, [mic, state], outputs, concurrency_limit=None, api_visibility="private")


def _read_chunk(path: str) -> tuple | None:
    """A streamed chunk, which Gradio hands over as a file in its cache: read it, then delete it at once,
    so that no microphone audio stays on disk (the session keeps what it needs in memory)."""
    import soundfile as sf

    try:
        samples, rate = sf.read(path, dtype="float32")
    except (OSError, RuntimeError):  # gone: Gradio names files by content, so two equal chunks share one
        return None
    finally:
        try:
            os.remove(path)
        except OSError:
            pass
    return rate, samples


def _top(confidences: dict | None) -> tuple[str, float]:
    label = max(confidences, key=confidences.get)
    return label, confidences[label]


def launch(demo: gr.Blocks, host: str = "127.0.0.1", port: int | None = 7860, share: bool = False,
           concurrency: int = CONCURRENCY, **kwargs):
    """Queue with a concurrency limit, a file size limit, and no file access beyond Gradio's own."""
    demo.queue(default_concurrency_limit=concurrency, max_size=QUEUE_SIZE)
    return demo.launch(server_name=host, server_port=port, share=share, max_file_size=MAX_FILE_SIZE,
                       allowed_paths=[], show_error=True, footer_links=["api"], **kwargs)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
                   help="address to listen on (default 127.0.0.1, or GRADIO_SERVER_NAME as on Spaces; 0.0.0.0 for all)")
    p.add_argument("--port", type=int, default=int(os.environ.get("GRADIO_SERVER_PORT", 7860)),
                   help="port (default 7860, or GRADIO_SERVER_PORT)")
    p.add_argument("--share", action="store_true", help="also open a temporary public gradio.live link")
    p.add_argument("--concurrency", type=int, default=CONCURRENCY,
                   help=f"requests computed at once (default {CONCURRENCY}; more only with more cores or a GPU)")
    p.add_argument("--max-seconds", type=float, default=MAX_SECONDS, help=f"longest recording accepted "
                   f"(default {MAX_SECONDS:.0f})")
    p.add_argument("-v", "--verbose", action="store_true", help="show the traceback of a failed start, and the libraries' progress bars")
    add_model_options(p)
    args = p.parse_args(argv)
    setup_logging(args.verbose, level=logging.INFO, fmt="%(asctime)s %(name)s %(message)s")
    pipe = sentiment.load_pipeline(max_seconds=args.max_seconds, **model_options(args))
    log.info("serving the %s stack: %s", pipe.models["stack"], pipe.models)
    launch(build_app(pipe), host=args.host, port=args.port, share=args.share, concurrency=args.concurrency)


if __name__ == "__main__":
    raise SystemExit(run_command(main))  # no network, no head, bad option: one line, exit 2
