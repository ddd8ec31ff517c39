"""What a transcriber gives: transcripts with timed words or phrases, and the interface it has."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol
from collections.abc import Sequence

import numpy as np


@dataclass(frozen=True)
class Word:
    text: str
    start: float  # seconds from the start of the recording
    end: float
    probability: float | None = None  # the transcriber's confidence in the word (Whisper's); None: not given


@dataclass(frozen=True)
class Span:
    """A stretch of speech and its text: a transcriber's own timed segment (Whisper's), or a sentence of
    one speaker that the pipeline labels (segments.py)."""
    start: float
    end: float
    text: str
    speaker: str | None = None  # S1, S2 ... when the recording was diarized
    words: tuple[Word, ...] = ()  # the timed words it was made of, where the transcriber timed them

    @property
    def n_words(self) -> int:
        return len(self.text.split())


@dataclass
class Transcript:
    text: str
    words: list[Word] = field(default_factory=list)  # every word, timed (CTC; Whisper with word timestamps)
    phrases: list[Span] = field(default_factory=list)  # Whisper's timed segments
    language: str | None = None  # the spoken language a multilingual model heard (ISO 639-1); None: not detected
    language_probability: float | None = None


class Transcriber(Protocol):
    name: str  # model id or description, shown in results and logs

    def transcribe(self, waves: Sequence[np.ndarray], beam_size: int | None = None) -> list[Transcript]:
        """Transcribe mono 16 kHz float32 waves, one transcript each, in input order. ``beam_size``: a
        smaller search for this call where the transcriber searches (None: its own; CTC decodes greedily)."""
        ...
