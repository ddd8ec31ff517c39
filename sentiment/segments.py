"""Group timed words into segments: a new one at each pause, or when one grows too long."""

from __future__ import annotations

from dataclasses import dataclass

from .transcribe import Word


@dataclass(frozen=True)
class Span:
    start: float
    end: float
    words: tuple[Word, ...]

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)


def split_words(words: list[Word], pause: float = 0.8, max_seconds: float = 15.0) -> list[Span]:
    """Consecutive words, cut where the silence between two words reaches ``pause`` seconds or
    where adding a word would make the span longer than ``max_seconds``."""
    spans: list[Span] = []
    current: list[Word] = []
    for word in words:
        if current and (word.start - current[-1].end >= pause or word.end - current[0].start > max_seconds):
            spans.append(Span(current[0].start, current[-1].end, tuple(current)))
            current = []
        current.append(word)
    if current:
        spans.append(Span(current[0].start, current[-1].end, tuple(current)))
    return spans
