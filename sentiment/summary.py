"""A recording's sentiment over time, in a few numbers: the share of speaking time and of segments per
label, and the most negative and most positive segment (what AssemblyAI and Speechmatics report).

One function for every path: the file path and the live stream both summarise their labelled segments
here, so that the same audio gives the same summary whichever way it came in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from sentiment.labels import LABELS


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
