"""The transcriber interface: batches of 16 kHz waves in, transcripts with timings out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, Sequence

import numpy as np


@dataclass(frozen=True)
class Word:
    text: str
    start: float  # seconds from the start of the recording
    end: float


@dataclass(frozen=True)
class Phrase:
    """A transcriber's own timed segment (Whisper's), used as a sentiment segment as it is."""
    text: str
    start: float
    end: float


@dataclass
class Transcript:
    text: str
    words: list[Word] = field(default_factory=list)  # CTC: every word, timed
    phrases: list[Phrase] = field(default_factory=list)  # Whisper: timed segments, no word timings


class Transcriber(Protocol):
    name: str  # model id or description, shown in results and logs

    def transcribe(self, waves: Sequence[np.ndarray]) -> list[Transcript]:
        """Transcribe mono 16 kHz float32 waves, one transcript each, in input order."""
        ...


TRANSCRIBERS = ("whisper", "wav2vec2")


def load_transcriber(kind: str, model: str | None = None, device: str = "cpu", **options) -> Transcriber:
    """Build a transcriber: ``whisper`` (any faster-whisper model; default the bundled tiny.en) or
    ``wav2vec2`` (any CTC model id or folder; default facebook/wav2vec2-base-960h)."""
    if kind == "whisper":
        from .transcribe_whisper import WhisperTranscriber
        return WhisperTranscriber(model, device=device, **options)
    if kind == "wav2vec2":
        from .transcribe_ctc import CTCTranscriber
        return CTCTranscriber(model or "facebook/wav2vec2-base-960h", device=device, **options)
    raise ValueError(f"Unknown transcriber {kind!r}; expected one of {', '.join(TRANSCRIBERS)}")
