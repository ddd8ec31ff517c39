"""Speakers of a live stream, online: each closed utterance joins the known voice it sounds most like, or
starts a new one. No going back (a stream's earlier utterances keep their speaker); the file path, which
sees the whole recording at once, clusters instead (``diarize.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sentiment.speakers.embedding import SAMPLE_RATE, VoiceEncoder

JOIN = 0.78  # cosine similarity to a voice's mean above which an utterance is that voice (bench/quality/speakers.py)
MIN_NEW_SECONDS = 1.0  # a shorter utterance never starts a new speaker: too little to tell a voice by


@dataclass
class SpeakerTracker:
    encoder: VoiceEncoder
    join: float = JOIN
    most: int | None = None  # --num-speakers: never more voices than this (the nearest one is joined)
    voices: list[np.ndarray] = field(default_factory=list)  # per speaker, the sum of its utterances' vectors

    def assign(self, wave: np.ndarray) -> str:
        """The speaker (S1, S2 ...) of one utterance's audio; the voice's mean is updated with it."""
        [vector] = self.encoder.embed([wave])
        if self.voices:
            means = np.stack([v / np.linalg.norm(v) for v in self.voices])
            scores = means @ vector
            best = int(np.argmax(scores))
            full = self.most is not None and len(self.voices) >= self.most
            if full or scores[best] >= self.join or wave.size < MIN_NEW_SECONDS * SAMPLE_RATE:
                self.voices[best] = self.voices[best] + vector
                return f"S{best + 1}"
        self.voices.append(vector.copy())
        return f"S{len(self.voices)}"
