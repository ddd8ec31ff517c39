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
class Phrase:
    """A transcriber's own timed segment (Whisper's), used as a sentiment segment as it is."""
    text: str
    start: float
    end: float


@dataclass
class Transcript:
    text: str
    words: list[Word] = field(default_factory=list)  # every word, timed (CTC; Whisper with word timestamps)
    phrases: list[Phrase] = field(default_factory=list)  # Whisper's timed segments
    language: str | None = None  # the spoken language a multilingual model heard (ISO 639-1); None: not detected
    language_probability: float | None = None


class Transcriber(Protocol):
    name: str  # model id or description, shown in results and logs

    def transcribe(self, waves: Sequence[np.ndarray], beam_size: int | None = None) -> list[Transcript]:
        """Transcribe mono 16 kHz float32 waves, one transcript each, in input order. ``beam_size``: a
        smaller search for this call where the transcriber searches (None: its own; CTC decodes greedily)."""
        ...
