"""Names instead of S1, S2: given in order of first appearance (``--speaker-names Agent,Customer``), or found by
voice (``--enroll Agent=agent.wav``: a few seconds of a known person).

By voice, two steps (``python -m bench real_voices enrol``; docs/speakers.md): each speaker the clustering
found takes the enrolled name whose voice is nearest to its own, one name per speaker (an assignment, so two
speakers never share a name), if the similarity reaches ``MATCH``; then any stretch of speech that sounds
like an enrolled person beyond doubt (``SURE``, and nearer them than anyone else enrolled) is theirs,
whichever cluster it fell in: that mends two enrolled voices the clustering had merged. A speaker below
``MATCH`` to every enrolled voice keeps its number.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from sentiment.errors import SpeakerNamesError

MATCH = 0.75  # cosine similarity of a speaker's voice to an enrolled one, at least, to take its name
SURE = 0.85  # a stretch this near an enrolled voice (and nearest it) is that person's in any cluster


@dataclass(frozen=True)
class Voice:
    """An enrolled person: a name and their voice (a unit GE2E vector, ``Diarizer.voiceprint``)."""
    name: str
    vector: np.ndarray


def check_names(names: Sequence[str], what: str = "speaker names") -> list[str]:
    """Names stripped, none empty, none twice (ValueError otherwise)."""
    names = [str(n).strip() for n in names]
    if any(not n for n in names):
        raise ValueError(f"The {what} have an empty name: give each speaker a name, separated by commas")
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f"The {what} name {', '.join(twice)} twice: each name is one person")
    return names


def parse_names(text: str | None) -> list[str]:
    """``"Agent, Customer"`` -> ["Agent", "Customer"]; None or "" -> []."""
    return check_names(text.split(",")) if text and text.strip() else []


def parse_enrolment(items: Sequence[str]) -> dict[str, str]:
    """``["Agent=agent.wav", ...]`` -> {"Agent": "agent.wav"}."""
    out: dict[str, str] = {}
    for item in items:
        name, sep, path = item.partition("=")
        if not sep or not name.strip() or not path.strip():
            raise ValueError(f"--enroll takes NAME=FILE (e.g. --enroll Agent=agent.wav), not {item!r}")
        if name.strip() in out:
            raise ValueError(f"--enroll names {name.strip()} twice: one sample per person")
        out[name.strip()] = path.strip()
    return out


def by_voice(vectors: np.ndarray, seconds: np.ndarray, labels: np.ndarray,
             enrolled: Sequence[Voice]) -> tuple[np.ndarray, dict[int, str]]:
    """(labels, {label: name}): the clustering's labels of the stretch ``vectors`` (weighted by ``seconds``)
    revised by the enrolled voices, and the name of each label that is an enrolled person. Labels
    0 .. len(enrolled)-1 are the enrolled people (absent ones unused); the clusters left unnamed follow."""
    if not enrolled or not len(vectors):
        return labels, {}
    prints = np.stack([v.vector for v in enrolled])
    clusters = np.unique(labels)
    means = np.stack([vectors[labels == k].T @ seconds[labels == k] for k in clusters])
    means /= np.linalg.norm(means, axis=1, keepdims=True).clip(1e-8)
    similarity = means @ prints.T
    rows, cols = linear_sum_assignment(-similarity)
    named = {int(clusters[r]): int(c) for r, c in zip(rows, cols) if similarity[r, c] >= MATCH}
    unnamed = {int(k): len(enrolled) + i for i, k in enumerate(k for k in clusters if int(k) not in named)}
    out = np.array([named.get(int(k), unnamed.get(int(k), -1)) for k in labels])
    near = vectors @ prints.T
    best = np.argmax(near, axis=1)
    sure = near[np.arange(len(vectors)), best] >= SURE
    out[sure] = best[sure]
    used, out = np.unique(out, return_inverse=True)
    return out, {i: enrolled[int(k)].name for i, k in enumerate(used) if k < len(enrolled)}


def in_order(speakers: Sequence[str], names: Sequence[str], enrolled: Sequence[str] = ()) -> dict[str, str]:
    """{found speaker: name}: ``names`` given to the ``speakers`` (in order of first appearance) that
    enrolment did not already name; ValueError when there are more names than such speakers."""
    left = [s for s in speakers if s not in enrolled]
    if len(names) > len(left):
        if not speakers:
            raise SpeakerNamesError(f"{len(names)} speaker names were given but this recording has no speakers to "
                                    "name (recordings of 15 s or less are one segment, not diarized)")
        other = " other than the enrolled ones" if enrolled else ""
        raise SpeakerNamesError(f"{len(names)} speaker names were given but the recording has {len(left)} "
                                f"speaker{'s' if len(left) != 1 else ''}{other}: give at most {len(left)}")
    taken = set(speakers) - set(left)
    clash = sorted(set(names) & taken)
    if clash:
        raise ValueError(f"The speaker name {', '.join(clash)} is already an enrolled person's")
    return dict(zip(left, names))



def rename(segments: Sequence, names: Sequence[str], enrolled: Sequence[str] = ()) -> None:
    """Segments' speakers (in place) given ``names`` in order of first appearance, the ``enrolled`` aside."""
    if names:
        found = list(dict.fromkeys(s.speaker for s in segments if s.speaker))
        given = in_order(found, names, [s for s in found if s in enrolled])
        for s in segments:
            s.speaker = given.get(s.speaker, s.speaker)
