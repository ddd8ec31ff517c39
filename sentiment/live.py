"""Live sentiment: audio arrives in chunks; an utterance closes at a pause; each is transcribed once.

A ``LiveSession`` is the whole state of one stream, in memory only: the audio since the last closed
utterance, and the utterances so far. Each ``feed`` resamples the chunk to 16 kHz mono, runs the Silero
VAD that faster-whisper ships over that pending audio (a few seconds: cheap), and closes every utterance
followed by a pause of ``pause`` seconds, or cut by the VAD at ``max_utterance``. A closed utterance is
transcribed once, on its own audio only, and labelled by ``SentimentPipeline.label_spans``: the same
step the file path uses, so that the summary of a stream and of the same audio uploaded agree up to
where the utterance boundaries fall. When the pipeline diarizes, each utterance also gets a speaker, online
(``speakers/online.py``).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import numpy as np

from sentiment.audio import SAMPLE_RATE, resample, to_mono
from sentiment.pipeline import Segment, SentimentPipeline, overall
from sentiment.registry import SEGMENT_SECONDS
from sentiment.transcribers.transcript import Span
from sentiment.speakers.online import SpeakerTracker
from sentiment.summary import Speaker, Summary, per_speaker, summarize


@dataclass
class LiveSession:
    pause: float = 0.6  # seconds of silence that close an utterance
    max_utterance: float = SEGMENT_SECONDS  # longer speech is cut by the VAD at its last short pause
    pad: float = 0.2  # seconds of audio kept around each utterance
    # Whisper's beam for an utterance: greedy, for the time from the end of speech to its label (beam 5, the
    # file path's, took the median to 1.86 s with Whisper base: python -m bench live)
    beam_size: int = 1
    pending: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))  # audio not yet closed
    offset: float = 0.0  # where ``pending`` starts, in seconds from the start of the stream
    utterances: list[Segment] = field(default_factory=list)
    received: float = 0.0  # seconds of audio fed
    busy: float = 0.0  # seconds spent computing
    started: float | None = None  # wall clock of the first chunk
    finished: bool = False
    tracker: SpeakerTracker | None = None  # each utterance's speaker, online (when the pipeline diarizes)
    # A stream's chunks may be handled by two threads at once when the machine falls behind (Gradio sends
    # each chunk as it comes): audio is appended under one lock, and one thread at a time closes utterances,
    # so that no chunk is lost while another is being transcribed.
    _audio: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)
    _work: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def feed(self, pipe: SentimentPipeline, rate: int, samples: np.ndarray) -> list[Segment]:
        """Add a chunk (any rate, mono or channels last, int or float); the utterances it closed (none
        when another thread is closing utterances: that one takes this audio up on its next chunk)."""
        if self.finished:
            return []
        wave = resample(to_mono(samples), rate)
        with self._audio:
            self.started = self.started or time.monotonic()
            self.pending = np.concatenate([self.pending, wave])
            self.received += wave.size / SAMPLE_RATE
        if not self._work.acquire(blocking=False):
            return []
        try:
            return self._close(pipe, final=False)
        finally:
            self._work.release()

    def finish(self, pipe: SentimentPipeline) -> list[Segment]:
        """The stream ended: close what is pending. Safe to call twice (Gradio may send stop twice)."""
        with self._work:
            if self.finished:
                return []
            closed = self._close(pipe, final=True)
            self.finished, self.pending = True, np.zeros(0, np.float32)
            return closed

    @property
    def transcript(self) -> str:
        return " ".join(u.text for u in self.utterances)

    def overall(self) -> tuple[str, dict[str, float]] | None:
        return overall(self.utterances) if self.utterances else None

    def summary(self) -> Summary:
        return summarize(self.utterances)

    def per_speaker(self) -> list[Speaker]:
        return per_speaker(self.utterances, self.received)

    def behind(self) -> float:
        """Seconds the stream's audio lags the wall clock: how far the machine is falling behind."""
        return 0.0 if self.started is None else max(0.0, time.monotonic() - self.started - self.received)

    def _close(self, pipe: SentimentPipeline, final: bool) -> list[Segment]:
        t0 = time.perf_counter()
        with self._audio:
            pending = self.pending  # a snapshot: other threads may append while this one transcribes
        speech = speech_spans(pending, self.pause, self.max_utterance)
        n = pending.size
        # Every span but the last is followed by a pause (or a VAD cut); the last only when its pause is in.
        done = [sp for i, sp in enumerate(speech)
                if final or i < len(speech) - 1 or n - sp[1] >= self.pause * SAMPLE_RATE]
        pad = int(self.pad * SAMPLE_RATE)
        pieces = [(max(0, a - pad), min(n, b + pad)) for a, b in done]
        # The pipeline's stages, as for a file: transcribe, cut into spans, label (times shifted into the stream).
        transcripts = pipe.transcribe([pending[a:b] for a, b in pieces], beam_size=self.beam_size)
        if pipe.diarizer is not None and self.tracker is None:
            self.tracker = SpeakerTracker(pipe.diarizer.encoder, most=pipe.num_speakers)
        spans = []
        for (a, b), t in zip(pieces, transcripts):
            if t.text.strip():
                who = self.tracker.assign(pending[a:b]) if self.tracker else None
                spans += [Span(round(self.offset + (a + s.start * SAMPLE_RATE) / SAMPLE_RATE, 3),
                               round(self.offset + a / SAMPLE_RATE + min(s.end, (b - a) / SAMPLE_RATE), 3),
                               s.text, who) for s in pipe.spans(t, (b - a) / SAMPLE_RATE)]
        closed = pipe.label_spans(spans)
        self.utterances += closed
        if done:
            keep_from = done[-1][1]
        elif not speech:  # silence so far: keep only what a starting word could need
            keep_from = max(0, n - pad)
        else:
            keep_from = max(0, speech[0][0] - pad)
        with self._audio:  # what was appended meanwhile stays: only the snapshot's head is dropped
            self.pending, self.offset = self.pending[keep_from:], self.offset + keep_from / SAMPLE_RATE
        self.busy += time.perf_counter() - t0
        return closed


def speech_spans(wave: np.ndarray, pause: float, max_utterance: float) -> list[tuple[int, int]]:
    """(start, end) samples of the speech in ``wave``, split at pauses of ``pause`` seconds (Silero VAD)."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    if wave.size < 512:
        return []
    options = VadOptions(min_silence_duration_ms=int(pause * 1000), speech_pad_ms=0,
                         max_speech_duration_s=max_utterance, min_speech_duration_ms=200)
    return [(s["start"], s["end"]) for s in get_speech_timestamps(wave, options)]
