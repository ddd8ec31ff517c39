"""The segments of a long recording: the transcriber's own (Whisper), or timed words grouped at pauses
(CTC): a new segment at each pause, or when one grows too long."""

from __future__ import annotations

from dataclasses import dataclass

from sentiment.transcribers.transcript import Transcript, Word


@dataclass(frozen=True)
class Span:
    start: float
    end: float
    text: str

    @property
    def n_words(self) -> int:
        return len(self.text.split())


def split_transcript(transcript: Transcript, pause: float = 0.8, max_seconds: float = 15.0) -> list[Span]:
    """Whisper's phrases, joined into sentences; otherwise ``split_words``."""
    if transcript.phrases:
        return join_sentences([Span(p.start, p.end, p.text) for p in transcript.phrases], max_seconds)
    return split_words(transcript.words, pause, max_seconds)


def join_sentences(spans: list[Span], max_seconds: float = 15.0) -> list[Span]:
    """Whisper's timed segments often end mid-sentence ("... might be prudently in" | "his power to do for
    them."), and half a sentence can carry the opposite sentiment: a segment that does not end a sentence
    is joined with the next, as long as the whole stays within ``max_seconds``."""
    out: list[Span] = []
    for span in spans:
        last = out[-1] if out else None
        if last and not last.text.rstrip().endswith(_SENTENCE_ENDS) and span.end - last.start <= max_seconds:
            out[-1] = Span(last.start, span.end, f"{last.text} {span.text}")
        else:
            out.append(span)
    return out


_SENTENCE_ENDS = (".", "!", "?", "…", '."', '!"', '?"')


def split_words(words: list[Word], pause: float = 0.8, max_seconds: float = 15.0) -> list[Span]:
    """Consecutive words, cut where the silence between two words reaches ``pause`` seconds or
    where adding a word would make the span longer than ``max_seconds``."""
    groups: list[list[Word]] = []
    for word in words:
        if not groups or word.start - groups[-1][-1].end >= pause or word.end - groups[-1][0].start > max_seconds:
            groups.append([])
        groups[-1].append(word)
    return [Span(g[0].start, g[-1].end, " ".join(w.text for w in g)) for g in groups]
