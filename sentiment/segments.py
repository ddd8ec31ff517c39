"""The segments of a long recording: one sentence of one speaker each. With timed words (Whisper's word
timestamps, CTC's words), a segment ends at a sentence end, at a change of speaker, at a pause in text that
has no punctuation (CTC), or when it grows too long; without them (a transcriber that gives only timed
phrases), the phrases are joined into sentences."""

from __future__ import annotations

from dataclasses import replace
from collections.abc import Sequence

import numpy as np

from sentiment.registry import SEGMENT_SECONDS
from sentiment.transcribers.transcript import Span, Transcript, Word


def split_transcript(transcript: Transcript, turns: Sequence = (), pause: float = 0.8,
                     max_seconds: float = SEGMENT_SECONDS) -> list[Span]:
    """Sentences of one speaker each from the timed words (``turns``: the diarizer's, may be empty);
    without words, the transcriber's phrases joined into sentences. Punctuated text (Whisper's) is also cut
    at pauses of ``SENTENCE_PAUSE``: Whisper leaves out about a quarter of the full stops between sentences
    of one speaker (docs/speakers.md); unpunctuated text (CTC's) at pauses of ``pause``."""
    if transcript.words:
        punctuated = any(ends_sentence(w.text) for w in transcript.words)
        return split_words(transcript.words, speakers_of(transcript.words, turns),
                           SENTENCE_PAUSE if punctuated else pause, max_seconds)
    return join_sentences(list(transcript.phrases), max_seconds)


def join_sentences(spans: list[Span], max_seconds: float = SEGMENT_SECONDS) -> list[Span]:
    """Whisper's timed segments often end mid-sentence ("... might be prudently in" | "his power to do for
    them."), and half a sentence can carry the opposite sentiment: a segment that does not end a sentence
    is joined with the next, as long as the whole stays within ``max_seconds``."""
    out: list[Span] = []
    for span in spans:
        last = out[-1] if out else None
        if last and not ends_sentence((last.text.split() or [''])[-1]) and span.end - last.start <= max_seconds:
            out[-1] = Span(last.start, span.end, f"{last.text} {span.text}")
        else:
            out.append(span)
    return out


SENTENCE_PAUSE = 0.35  # seconds between two words of punctuated text that end a sentence anyway
_SENTENCE_ENDS = (".", "!", "?", "…", '."', '!"', '?"')
# Words whose full stop does not end a sentence ("Mr. John Dashwood"), and initials ("J. Smith").
_ABBREVIATIONS = {"mr.", "mrs.", "ms.", "dr.", "prof.", "st.", "jr.", "sr.", "vs.", "mt.", "e.g.", "i.e."}


def ends_sentence(word: str) -> bool:
    word = word.strip()
    if word.lower() in _ABBREVIATIONS or (len(word) == 2 and word[0].isupper() and word[1] == "."):
        return False
    return word.endswith(_SENTENCE_ENDS)


def split_words(words: Sequence[Word], speakers: Sequence[str | None] = (), pause: float | None = 0.8,
                max_seconds: float = SEGMENT_SECONDS) -> list[Span]:
    """Consecutive words, cut after a sentence end, where the speaker changes, where the silence between two
    words reaches ``pause`` seconds (None: never) or where a word would make the span longer than
    ``max_seconds``."""
    speakers = list(speakers) or [None] * len(words)
    groups: list[list[int]] = []
    for i, word in enumerate(words):
        last = words[groups[-1][-1]] if groups else None
        if (last is None or ends_sentence(last.text) or speakers[i] != speakers[i - 1]
                or (pause is not None and word.start - last.end >= pause and len(groups[-1]) > 1
                    and not ends_sentence(word.text))  # a pause never leaves a one-word sentence
                or word.end - words[groups[-1][0]].start > max_seconds):
            groups.append([])
        groups[-1].append(i)
    return [Span(words[g[0]].start, words[g[-1]].end, " ".join(words[i].text.strip() for i in g), speakers[g[0]],
                 tuple(replace(words[i], text=words[i].text.strip()) for i in g)) for g in groups]


def speakers_of(words: Sequence[Word], turns: Sequence) -> list[str | None]:
    """Each word's speaker: the turn that overlaps it most, else the nearest (anything with ``start``,
    ``end`` and ``speaker``). A speaker's run of words too short to be a sentence of its own (under
    ``MIN_RUN`` seconds and not a whole sentence) inside a sentence goes to its neighbour: the diarizer's
    boundaries are a few frames off, and one stray word must not cut a sentence in two."""
    if not turns:
        return [None] * len(words)
    names = sorted({t.speaker for t in turns})
    starts, ends = np.array([t.start for t in turns]), np.array([t.end for t in turns])
    who = np.array([names.index(t.speaker) for t in turns])
    out = []
    for w in words:
        overlap = np.bincount(who, np.clip(np.minimum(w.end, ends) - np.maximum(w.start, starts), 0, None),
                              len(names))
        nearest = who[np.argmin(np.maximum(starts - w.end, w.start - ends))]
        out.append(names[int(np.argmax(overlap)) if overlap.max() > 0 else nearest])
    sentence = np.cumsum([0] + [ends_sentence(w.text) for w in words[:-1]])  # each word's sentence number
    runs = _runs(list(zip(sentence, out)))
    for a, b in runs:
        first, last = a == 0 or sentence[a - 1] != sentence[a], b == len(out) or sentence[b] != sentence[b - 1]
        if words[b - 1].end - words[a].start < MIN_RUN and not (first and last):
            take = out[b] if first else out[a - 1]  # the rest of its sentence's speaker
            out[a:b] = [take] * (b - a)
    return out


MIN_RUN = 0.6  # seconds


def _runs(values: list) -> list[tuple[int, int]]:
    """[start, end) of each run of equal values."""
    cuts = [0] + [i for i in range(1, len(values)) if values[i] != values[i - 1]] + [len(values)]
    return list(zip(cuts[:-1], cuts[1:]))
