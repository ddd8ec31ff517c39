"""Whisper's words, as ours: faster-whisper's segments turned into phrases and words, and each word's time
fitted to the sound it spans (Whisper's word times run on over pauses and end early)."""

from __future__ import annotations

import numpy as np

from sentiment.audio import SAMPLE_RATE
from sentiment.transcribers.transcript import Span, Word


def timed(segments, offset: float) -> tuple[list[Span], list[Word]]:
    """faster-whisper's segments → our phrases and words, ``offset`` seconds later. Word pieces without a
    leading space join the word before ("ill" + "-disposed"), their probabilities multiplied."""
    segments = [s for s in segments if s.text.strip()]
    phrases = [Span(round(s.start + offset, 3), round(s.end + offset, 3), s.text.strip()) for s in segments]
    words: list[Word] = []
    for segment in segments:
        first = len(words)
        for w in segment.words or []:
            if len(words) > first and not w.word.startswith(" "):  # a word's probability: its pieces' product
                last = words[-1]
                words[-1] = Word(last.text + w.word.strip(), last.start, round(w.end + offset, 3),
                                 round(last.probability * w.probability, 4))
            elif w.word.strip():
                words.append(Word(w.word.strip(), round(w.start + offset, 3), round(w.end + offset, 3),
                                  round(w.probability, 4)))
    return phrases, words



RUN_ON = 0.5  # seconds a word's end may move on, into the sound that continues past it


def tighten(words: list[Word], wave: np.ndarray, hop: int = 160, pause: float = 0.2) -> list[Word]:
    """Whisper's word times, shrunk to the sound: the last word before a pause often runs on over the pause
    into the next word (0.5 s and more), which would hide the pause and put a sentence's end in it. A word
    whose time holds a silence of ``pause`` seconds keeps the side of it with more sound; then each word
    keeps only the stretch from its first to its last loud 10 ms frame (loud: above 35 dB under the
    recording's loud frames and 10 dB over its quiet ones). And the other way: a word whose sound runs on
    past its end (Whisper base ends words early) keeps the loud frames that follow, up to ``RUN_ON``.
    A word with no loud frame is kept as it is."""
    if not words or wave.size < hop:
        return words
    level = 10 * np.log10(np.mean(wave[: wave.size // hop * hop].reshape(-1, hop) ** 2, axis=1) + 1e-10)
    loud = level > max(np.percentile(level, 10) + 10, np.percentile(level, 95) - 35)
    out = []
    for k, w in enumerate(words):
        a, b = int(w.start * SAMPLE_RATE / hop), int(np.ceil(w.end * SAMPLE_RATE / hop))
        frames = np.flatnonzero(loud[a:b])
        end = w.end
        if frames.size:
            gaps = np.diff(frames)
            cut = int(np.argmax(gaps)) if gaps.size else -1
            if cut >= 0 and gaps[cut] * hop / SAMPLE_RATE >= pause:  # a silence inside: keep the louder side
                frames = frames[:cut + 1] if cut + 1 >= frames.size - cut - 1 else frames[cut + 1:]
            a, b = a + frames[0], a + frames[-1] + 1
            # Whisper base ends a word before its sound does (by 0.3 s at a sentence's end, median): a word
            # whose sound goes on past its end keeps it, up to RUN_ON seconds and never into the next word.
            limit = min(loud.size, b + int(RUN_ON * SAMPLE_RATE / hop),
                        int(words[k + 1].start * SAMPLE_RATE / hop) if k + 1 < len(words) else loud.size)
            if b >= int(w.end * SAMPLE_RATE / hop) - 1:
                while b < limit and loud[b]:
                    b += 1
                end = max(w.end, b * hop / SAMPLE_RATE)
        out.append(Word(w.text, round(max(w.start, a * hop / SAMPLE_RATE), 3),
                        round(min(end, b * hop / SAMPLE_RATE), 3), w.probability))
    return out
