"""A recording's sentiment over time, in a few numbers: the share of speaking time and of segments per
label, and the most negative and most positive segment (what AssemblyAI and Speechmatics report); and the
same per speaker, with each speaker's overall label.

One function for every path: the file path and the live stream both summarise their labelled segments
here, so that the same audio gives the same summary whichever way it came in.
"""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Sequence

from sentiment.labels import LABELS, label_of


@dataclass
class Summary:
    speaking_time: dict[str, float]  # share of the segments' total duration per label, in LABELS order
    segments: dict[str, float]  # share of the segments per label
    counts: dict[str, int]  # segments per label
    seconds: float  # total duration of the segments
    most_negative: int | None  # index into the segments: the highest Negative confidence
    most_positive: int | None  # the highest Positive confidence


def summarize(segments: Sequence) -> Summary:
    """Summary of labelled segments (anything with ``start``, ``end``, ``label`` and ``confidences``)."""
    counts = {name: sum(s.label == name for s in segments) for name in LABELS}
    time = {name: sum(max(0.0, s.end - s.start) for s in segments if s.label == name) for name in LABELS}
    seconds = sum(time.values())
    n = len(segments)

    def strongest(name: str) -> int | None:
        picked = [i for i, s in enumerate(segments) if s.label == name]
        return max(picked, key=lambda i: segments[i].confidences[name]) if picked else None

    return Summary(speaking_time={k: round(v / seconds, 4) if seconds else 0.0 for k, v in time.items()},
                   segments={k: round(v / n, 4) if n else 0.0 for k, v in counts.items()},
                   counts=counts, seconds=round(seconds, 3),
                   most_negative=strongest("Negative"), most_positive=strongest("Positive"))


@dataclass
class Speaker:
    speaker: str  # S1, S2 ... in order of first appearance
    seconds: float  # speaking time: the total duration of the speaker's segments
    share: float  # of the recording's duration
    label: str  # overall, as for the whole recording: the word-weighted mean of the segments' probabilities
    confidences: dict[str, float]
    summary: Summary  # of the speaker's segments; its indexes point into the recording's segments


def overall(segments: Sequence) -> tuple[str, dict[str, float]]:
    """The label and confidences of several segments: their probabilities' mean, weighted by words."""
    weights = [max(1, len(s.text.split())) for s in segments]
    total = sum(weights)
    return label_of([sum(w * s.confidences[name] for w, s in zip(weights, segments)) / total for name in LABELS])


def per_speaker(segments: Sequence, duration: float) -> list[Speaker]:
    """One entry per speaker named in the segments, in order of first appearance; none if no segment has one."""
    out = []
    for name in dict.fromkeys(s.speaker for s in segments if getattr(s, "speaker", None)):
        mine = [i for i, s in enumerate(segments) if s.speaker == name]
        summary = summarize([segments[i] for i in mine])
        summary.most_negative, summary.most_positive = (None if k is None else mine[k]
                                                        for k in (summary.most_negative, summary.most_positive))
        out.append(Speaker(name, summary.seconds, round(summary.seconds / duration, 4) if duration else 0.0,
                           *overall([segments[i] for i in mine]), summary))
    return out
