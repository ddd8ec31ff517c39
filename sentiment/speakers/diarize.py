"""Who speaks when over a whole recording, in the way of pyannote's 3.x pipeline, small enough to read:

1. segmentation (``segmentation.py``): local speakers in 10 s windows, one every 2.5 s (on real voices
   windows every 10 s lost whole turns at their edges; on the flite voices it made no difference: docs/speakers.md);
2. one voice vector per stretch of a local speaker talking alone (``embedding.py``): a stretch is a run of
   its speech between pauses, not the local speaker's whole window, because with two similar voices the
   segmentation model sometimes gives both to one local speaker, and one vector of the mix would send the
   whole window to one side (docs/speakers.md);
3. the vectors clustered (agglomerative, average linkage of cosine distances; cut at a distance, or so as
   to give ``num_speakers``);
4. the windows' activity laid back on the recording's frames, each frame of a local speaker going to the
   speaker of its nearest stretch, averaged where windows overlap, keeping at each frame as many speakers
   as the windows counted there; then runs of frames become turns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage

from sentiment.speakers.embedding import VoiceEncoder, load_voice_encoder
from sentiment.speakers.naming import Voice, by_voice
from sentiment.registry import check_num_speakers
from sentiment.speakers.segmentation import (FRAME_SIZE, FRAME_STEP, SAMPLE_RATE, WINDOW, Segmentation, Windows,
                                             frame_to_seconds, load_segmentation)

THRESHOLD = 0.25  # average cosine distance between voice clusters above which voices differ (docs/speakers.md)
MIN_EMBED_SECONDS = 0.6  # a shorter stretch of one voice gets no vector
SURE_SECONDS = 1.5  # a shorter stretch's vector joins a speaker but does not make one
MAX_TREE = 3000  # stretches in the clustering tree, at most (its memory grows with the square)
JOIN_GAP = 0.2  # seconds: a pause this short inside one local speaker's speech does not end a stretch
MIN_CLUSTER_SECONDS = 3.0  # a "speaker" heard for less, in all, joins the nearest larger one
STEP = 2.5  # seconds between segmentation windows (each frame seen by four of them; docs/speakers.md)
MIN_GAP, MIN_TURN = 0.3, 0.15  # seconds: gaps filled within one speaker's speech; shorter turns dropped


@dataclass(frozen=True)
class Turn:
    start: float
    end: float
    speaker: str  # S1, S2 ... in order of first appearance


class Diarizer:
    def __init__(self, segmentation: Segmentation | None = None, encoder: VoiceEncoder | None = None,
                 step: float = STEP, threshold: float = THRESHOLD):
        self.segmentation = segmentation or load_segmentation()
        self.encoder = encoder or load_voice_encoder()
        self.step, self.threshold = step, threshold

    def __call__(self, wave: np.ndarray, num_speakers: int | None = None, enrolled: Sequence[Voice] = ()) -> list[Turn]:
        return self.run(wave, num_speakers, enrolled)[0]

    def run(self, wave: np.ndarray, num_speakers: int | None = None,
            enrolled: Sequence[Voice] = ()) -> tuple[list[Turn], dict[str, np.ndarray]]:
        """The turns, and each speaker's voice (the unit mean of its stretches' vectors, weighted by their
        length). Speakers are S1, S2 ... in order of first appearance, or the name of the ``enrolled``
        person whose voice they have (``naming.by_voice``)."""
        check_num_speakers(num_speakers)
        wave = np.asarray(wave, np.float32)
        windows = self.segmentation(wave, step=self.step)
        keys, vectors, weights = [], [], []
        for first in range(0, len(windows.starts), 16):  # a few windows' speech at a time: bounded memory
            found, stretches = speech_per_local_speaker(wave, windows, range(first, first + 16))
            keys += found
            vectors.append(self.encoder.embed(stretches))
            weights += [len(s) / SAMPLE_RATE for s in stretches]
        if not keys:
            return [], {}
        vectors, weights = np.concatenate(vectors), np.array(weights)
        labels = cluster(vectors, weights, self.threshold, num_speakers)
        labels, enrolled_names = by_voice(vectors, weights, labels, enrolled)
        found = _turn_runs(reconstruct(windows, keys, labels))
        names = {**_names(found), **enrolled_names}
        voices = {names[k]: _unit(vectors[labels == k].T @ weights[labels == k]) for k in _names(found)}
        return [Turn(a, b, names[k]) for a, b, k in found], voices

    def voiceprint(self, wave: np.ndarray) -> np.ndarray:
        """One person's voice from a sample of them talking (a few seconds, enrolment): the unit mean of the
        vectors of their stretches of speech, weighted by length; ValueError when it has no speech."""
        wave = np.asarray(wave, np.float32)
        windows = self.segmentation(wave, step=self.step)
        _, stretches = speech_per_local_speaker(wave, windows, range(len(windows.starts)))
        if not stretches:
            raise ValueError("no speech long enough to know a voice by (give a few seconds of one person talking)")
        weights = np.array([len(s) for s in stretches], np.float32)
        return _unit(self.encoder.embed(stretches).T @ weights)


def speech_per_local_speaker(wave: np.ndarray, windows: Windows, which: range) -> tuple[list, list[np.ndarray]]:
    """Stretches of a local speaker talking alone, in the windows ``which``: (window, local speaker, first
    frame, end frame) of each run of such frames (pauses under ``JOIN_GAP`` bridged) that lasts at least
    ``MIN_EMBED_SECONDS``, and its samples."""
    padded = np.pad(wave, (0, max(0, WINDOW - wave.size)))
    keys, stretches = [], []
    for w in which[:len(windows.starts) - which.start]:
        start = windows.starts[w]
        alone = windows.active[w] & (windows.active[w].sum(1, keepdims=True) == 1)
        for k in range(alone.shape[1]):
            for a, b in _runs(alone[:, k], bridge=int(JOIN_GAP * SAMPLE_RATE / FRAME_STEP)):
                if (b - a) * FRAME_STEP / SAMPLE_RATE >= MIN_EMBED_SECONDS:
                    keys.append((w, k, a, b))
                    stretches.append(padded[start + a * FRAME_STEP:start + (b - 1) * FRAME_STEP + FRAME_SIZE])
    return keys, stretches


def cluster(vectors: np.ndarray, seconds: np.ndarray, threshold: float, num_speakers: int | None) -> np.ndarray:
    """A speaker index (0, 1, ...) per vector. Only stretches of at least ``SURE_SECONDS`` build the tree
    (average linkage, cosine distance): on the real call, four 0.7 s "Hello?"s of one person made a speaker
    of their own. Clusters heard for under ``MIN_CLUSTER_SECONDS`` in all are not speakers (a cough, a
    crosstalk). With ``num_speakers``: the counted
    clusters if they are that many (so knowing the number never changes a right count); else the tree's
    coarsest cut that has that many speakers, or, with fewer found, the largest clusters of a finer cut.
    The tree's own members of a speaker stay with it; every other vector goes to the nearest centroid."""
    if len(vectors) == 1:
        return np.zeros(1, int)
    sure = np.flatnonzero(seconds >= SURE_SECONDS)
    if len(sure) < 2:
        sure = np.arange(len(vectors))
    if len(sure) > MAX_TREE:  # the tree needs n^2 memory: a spread-out sample of a very long recording
        sure = sure[np.linspace(0, len(sure) - 1, MAX_TREE).astype(int)]
    tree_vectors, tree_seconds = vectors[sure], seconds[sure]
    tree = linkage(tree_vectors, method="average", metric="cosine")
    labels = fcluster(tree, threshold, "distance") - 1
    sizes = np.bincount(labels, weights=tree_seconds)
    large = np.flatnonzero(sizes >= MIN_CLUSTER_SECONDS)
    if len(large) == 0:
        large = np.array([int(np.argmax(sizes))])
    if num_speakers and len(large) != num_speakers:
        labels, sizes = _cut(tree, tree_seconds, num_speakers, more=len(large) > num_speakers)
        large = np.argsort(-sizes)[:num_speakers]
    centroids = _centroids(tree_vectors, labels, large)
    out = np.argmax(vectors @ centroids.T, axis=1)
    member = np.isin(labels, large)  # the tree's own members of a speaker stay with it
    out[sure[member]] = np.argmax(labels[member, None] == large[None, :], axis=1)
    return np.unique(out, return_inverse=True)[1]


def _cut(tree: np.ndarray, seconds: np.ndarray, speakers: int, more: bool) -> tuple[np.ndarray, np.ndarray]:
    """(labels, seconds per cluster) of the coarsest cut of ``tree`` with ``speakers`` clusters of at least
    ``MIN_CLUSTER_SECONDS`` (``more``: counting found more; the extra small clusters join the nearest), or,
    where counting found fewer, the cut into ``speakers`` clusters, small ones included."""
    n = len(tree) + 1
    for k in range(min(speakers, n), n + 1):
        labels = fcluster(tree, k, "maxclust") - 1
        sizes = np.bincount(labels, weights=seconds)
        if not more or (sizes >= MIN_CLUSTER_SECONDS).sum() >= speakers:
            break
    return labels, sizes


def reconstruct(windows: Windows, keys: list[tuple[int, int, int, int]], labels: np.ndarray) -> np.ndarray:
    """(recording frames, speakers) bool: where each speaker is active. In each window, a local speaker's
    active frames go to the speaker of its nearest stretch (in time); a local speaker with no stretch long
    enough for a vector is left out there (the overlapping windows usually hear it better)."""
    n_speakers = int(labels.max()) + 1
    offsets = np.round(windows.starts / FRAME_STEP).astype(int)
    total = max(int(offsets[-1]) + windows.frames, 1)
    score, count, covered = np.zeros((total, n_speakers)), np.zeros(total), np.zeros(total)
    mine: dict[tuple[int, int], list[tuple[int, int, int]]] = {}
    for (w, k, a, b), label in zip(keys, labels):
        mine.setdefault((w, k), []).append((a, b, int(label)))
    frames = np.arange(windows.frames)
    for w, off in enumerate(offsets):
        covered[off:off + windows.frames] += 1
        count[off:off + windows.frames] += windows.active[w].sum(1)
        for k in range(windows.active.shape[2]):
            if (w, k) in mine:
                stretches = np.array(mine[(w, k)])  # (n, 3): first frame, end frame, speaker
                distance = np.maximum(stretches[:, :1] - frames, frames - stretches[:, 1:2] + 1).clip(0)
                speaker = stretches[np.argmin(distance, axis=0), 2]
                np.add.at(score, (off + frames, speaker), windows.active[w, :, k])
    covered = np.maximum(covered, 1)
    score, count = score / covered[:, None], np.round(count / covered).astype(int)
    ranked = np.argsort(-score, axis=1)
    active = np.zeros_like(score, dtype=bool)
    for c in range(1, min(3, n_speakers) + 1):
        rows = np.flatnonzero(count >= c)
        keep = score[rows, ranked[rows, c - 1]] > 0
        active[rows[keep], ranked[rows[keep], c - 1]] = True
    last = int(np.ceil((windows.samples - FRAME_STEP) / FRAME_STEP))  # no turns in the padding
    active[max(last, 0):] = False
    return active


def turns(active: np.ndarray) -> list[Turn]:
    """Runs of active frames per speaker, gaps under ``MIN_GAP`` filled, turns under ``MIN_TURN`` dropped;
    speakers named S1, S2 ... by first appearance."""
    found = _turn_runs(active)
    names = _names(found)
    return [Turn(a, b, names[k]) for a, b, k in found]


def _turn_runs(active: np.ndarray) -> list[tuple[float, float, int]]:
    """(start, end, speaker index) of ``turns``, in time order."""
    found = []
    for k in range(active.shape[1]):
        runs = _runs(active[:, k])
        merged: list[list[float]] = []
        for a, b in runs:
            half = FRAME_STEP / SAMPLE_RATE / 2
            start, end = frame_to_seconds(a) - half, frame_to_seconds(b) - half
            if merged and start - merged[-1][1] < MIN_GAP:
                merged[-1][1] = end
            else:
                merged.append([max(0.0, start), end])
        found += [(round(a, 3), round(b, 3), k) for a, b in merged if b - a >= MIN_TURN]
    return sorted(found)


def _names(found: list[tuple[float, float, int]]) -> dict[int, str]:
    """Speaker index -> S1, S2 ... in order of first appearance."""
    names: dict[int, str] = {}
    for _, _, k in found:
        names.setdefault(k, f"S{len(names) + 1}")
    return names


def _runs(mask: np.ndarray, bridge: int = 0) -> list[tuple[int, int]]:
    """[start, end) frame indexes of the True runs, runs less than ``bridge`` frames apart joined."""
    edges = np.flatnonzero(np.diff(np.r_[0, mask.astype(int), 0]))
    runs: list[list[int]] = []
    for a, b in zip(edges[::2], edges[1::2]):
        if runs and a - runs[-1][1] < bridge:
            runs[-1][1] = int(b)
        else:
            runs.append([int(a), int(b)])
    return [(a, b) for a, b in runs]


def _unit(vector: np.ndarray) -> np.ndarray:
    return (vector / max(float(np.linalg.norm(vector)), 1e-8)).astype(np.float32)


def _centroids(vectors: np.ndarray, labels: np.ndarray, which: np.ndarray) -> np.ndarray:
    means = np.stack([vectors[labels == k].mean(0) for k in which])
    return means / np.linalg.norm(means, axis=1, keepdims=True).clip(1e-8)
