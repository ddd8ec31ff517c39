"""PocketSphinx transcription: the offline transcriber, with the English model shipped in its wheel.

Long recordings are decoded piece by piece, cut at the quietest moment near each ``max_seconds``
boundary, so that memory stays flat and no word is cut in half by a fixed grid.
"""

from __future__ import annotations

import re
import threading
from typing import Sequence

import numpy as np

from .audio import SAMPLE_RATE
from .transcribe import Transcript, Word

_ALTERNATE = re.compile(r"\(\d+\)$")  # "the(2)": the second pronunciation of "the"


class SphinxTranscriber:
    name = "pocketsphinx (en-us)"

    def __init__(self, max_seconds: float = 30.0, search_seconds: float = 5.0, **config):
        from pocketsphinx import Decoder

        config.setdefault("loglevel", "FATAL")
        self.decoder = Decoder(samprate=SAMPLE_RATE, **config)
        self.frame_rate = int(self.decoder.config["frate"])
        self.max_samples = int(max_seconds * SAMPLE_RATE)
        self.search_samples = int(search_seconds * SAMPLE_RATE)
        self._lock = threading.Lock()  # one decoder, not thread-safe

    def transcribe(self, waves: Sequence[np.ndarray]) -> list[Transcript]:
        return [self._one(wave) for wave in waves]

    def _one(self, wave: np.ndarray) -> Transcript:
        words: list[Word] = []
        for start, end in quiet_cuts(wave, self.max_samples, self.search_samples):
            words += self._decode(wave[start:end], offset=start / SAMPLE_RATE)
        return Transcript(" ".join(w.text for w in words), words)

    def _decode(self, wave: np.ndarray, offset: float) -> list[Word]:
        pcm = (np.clip(wave, -1.0, 1.0) * 32767).astype("<i2").tobytes()
        with self._lock:
            self.decoder.start_utt()
            self.decoder.process_raw(pcm, full_utt=True)
            self.decoder.end_utt()
            segments = [(s.word, s.start_frame, s.end_frame) for s in self.decoder.seg()]
        words = []
        for token, first, last in segments:
            if token.startswith(("<", "[", "++")):  # <s>, </s>, <sil>, [NOISE], fillers
                continue
            words.append(Word(_ALTERNATE.sub("", token), round(offset + first / self.frame_rate, 3),
                              round(offset + (last + 1) / self.frame_rate, 3)))
        return words


def quiet_cuts(wave: np.ndarray, max_samples: int, search_samples: int, frame: int = 160) -> list[tuple[int, int]]:
    """Split [0, len) into pieces of at most ``max_samples``, each cut at the quietest 10 ms frame
    of the last ``search_samples`` before the limit."""
    cuts, start, n = [], 0, len(wave)
    while n - start > max_samples:
        lo, hi = start + max_samples - search_samples, start + max_samples
        frames = wave[lo:hi][: (hi - lo) // frame * frame].reshape(-1, frame)
        cut = lo + int(np.argmin(np.square(frames).sum(axis=1))) * frame + frame // 2
        cuts.append((start, cut))
        start = cut
    cuts.append((start, n))
    return cuts
