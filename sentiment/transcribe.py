"""The transcriber interface: batches of 16 kHz waves in, transcripts with word timings out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, Sequence

import numpy as np


@dataclass(frozen=True)
class Word:
    text: str
    start: float  # seconds from the start of the recording
    end: float


@dataclass
class Transcript:
    text: str
    words: list[Word] = field(default_factory=list)


class Transcriber(Protocol):
    name: str  # model id or description, shown in results and logs

    def transcribe(self, waves: Sequence[np.ndarray]) -> list[Transcript]:
        """Transcribe mono 16 kHz float32 waves, one transcript each, in input order."""
        ...


def load_transcriber(kind: str, model: str | None = None, device: str = "cpu", **options) -> Transcriber:
    """Build a transcriber: ``wav2vec2`` (any CTC model id or folder) or ``pocketsphinx``."""
    if kind == "wav2vec2":
        from .transcribe_ctc import CTCTranscriber
        return CTCTranscriber(model or "facebook/wav2vec2-base-960h", device=device, **options)
    if kind == "pocketsphinx":
        from .transcribe_sphinx import SphinxTranscriber
        return SphinxTranscriber(**options)
    raise ValueError(f"Unknown transcriber {kind!r}; expected 'wav2vec2' or 'pocketsphinx'")
