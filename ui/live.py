"""The Live tab: microphone chunks feed a ``LiveSession`` (in memory only), slots limit how many streams run,
and each chunk's file in Gradio's cache is deleted as soon as it is read."""

from __future__ import annotations

import contextlib
import os
import threading
import time

import gradio as gr

from sentiment.errors import EXPECTED, message
from sentiment.live import LiveSession
from sentiment.timeline import plot_timeline
from ui.page import run, summary_markdown

# Live streams at once. A stream holds its worker for as long as it lasts, so streams have their own
# limit, apart from uploads and API calls; a slot not fed for LIVE_IDLE seconds (a closed tab) frees itself.
LIVE_SLOTS, LIVE_SECONDS, LIVE_IDLE, LIVE_BEHIND = 2, 600, 15.0, 3.0


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
    rows = [f"`{u.start:6.1f}-{u.end:6.1f} s` {f'**{u.speaker}** ' if u.speaker else ''}**{u.label}** "
            f"({u.confidences[u.label]:.2f}) {u.text}" for u in session.utterances]
    transcript = "  \n".join(rows) or "*(nothing yet: speak, then pause)*"
    now = session.overall()
    status = (f"{'Stopped' if final else 'Listening'}: {session.received:.1f} s heard, "
              f"{len(session.utterances)} utterances.")
    if not final and session.behind() > LIVE_BEHIND:
        status += f" **This machine is falling behind by {session.behind():.0f} s: labels arrive late.**"
    return (now[1] if now else None), transcript, status


def live_tab(pipe) -> None:
    """The tab's components and their wiring, inside the caller's ``gr.Tab``."""
    gr.Markdown("Speak into the microphone: each utterance is transcribed and labelled when you pause. "
                "Nothing is recorded or stored.")
    with gr.Row():
        with gr.Column():
            mic = gr.Audio(sources=["microphone"], streaming=True, type="filepath", label="Microphone",
                           elem_id="live-mic")
            status = gr.Markdown(elem_id="live-status")
        label = gr.Label(num_top_classes=3, label="Sentiment so far", elem_id="live-sentiment")
    text = gr.Markdown(elem_id="live-transcript")
    plot = gr.Plot(label="Sentiment over time", visible=False, elem_id="live-timeline")
    summary = gr.Markdown(elem_id="live-summary")
    build_live(pipe, mic, gr.State(None), [label, text, status], plot, summary)


def build_live(pipe, mic, state, view: list, plot, summary, slots: LiveSlots | None = None) -> None:
    """Wire the Live tab: start takes a slot, each chunk feeds the session, stop flushes and summarises."""
    slots = slots or LiveSlots(LIVE_SLOTS)

    def start(request: gr.Request):
        if not slots.take(request.session_hash):
            return None, None, "", (f"All {slots.n} live slots are taken. Try again in a minute, or upload a "
                                    "recording in the Analyse tab."), gr.update(visible=False), ""
        return LiveSession(), None, "", "Listening: speak, then pause.", gr.update(visible=False), ""

    def chunk(audio, session: LiveSession | None, request: gr.Request):
        chunk_audio = read_chunk(audio) if audio else None  # read and deleted, whatever happens next
        if session is None or chunk_audio is None or session.finished:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip()
        slots.take(request.session_hash)  # still here
        before = len(session.utterances)
        try:
            session.feed(pipe, *chunk_audio)
        except EXPECTED as err:
            return session, gr.skip(), gr.skip(), f"This audio cannot be used: {message(err)}"
        if len(session.utterances) == before:  # nothing new but the status line
            return session, gr.skip(), gr.skip(), live_view(session)[2]
        return session, *live_view(session)

    def stop(audio, session: LiveSession | None, request: gr.Request):
        if audio:  # the stream's last chunk, if Gradio hands one to the stop event
            read_chunk(audio)
        slots.release(request.session_hash)
        if session is None:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
        run(session.finish, pipe)  # a second stop finds it finished and adds nothing
        confidences, text, status = live_view(session, final=True)
        several = len(session.utterances) > 1
        figure = plot_timeline(session.utterances, *_top(confidences)) if several else None
        return (session, confidences, text, status, gr.update(value=figure, visible=several),
                summary_markdown(session.summary(), session.utterances, session.per_speaker())
                if session.utterances else "")

    outputs = [state, *view, plot, summary]
    mic.start_recording(start, None, outputs, concurrency_limit=None, api_visibility="private")
    mic.stream(chunk, [mic, state], [state, *view], stream_every=0.5, time_limit=LIVE_SECONDS,
               concurrency_limit=slots.n, concurrency_id="live", api_visibility="private", show_progress="hidden")
    mic.stop_recording(stop, [mic, state], outputs, concurrency_limit=None, api_visibility="private")


def read_chunk(path: str) -> tuple | None:
    """A streamed chunk, which Gradio hands over as a file in its cache: read it, then delete it at once,
    so that no microphone audio stays on disk (the session keeps what it needs in memory)."""
    import soundfile as sf

    try:
        samples, rate = sf.read(path, dtype="float32")
    except (OSError, RuntimeError):  # gone: Gradio names files by content, so two equal chunks share one
        return None
    finally:
        with contextlib.suppress(OSError):
            os.remove(path)
    return rate, samples


def _top(confidences: dict | None) -> tuple[str, float]:
    label = max(confidences, key=confidences.get)
    return label, confidences[label]
