"""Sentiment over time as a picture: each segment a coloured span along the time axis, as high as its
label's confidence, with the overall label marked. Built on a bare matplotlib Figure (no pyplot state),
so that concurrent requests can draw at once."""

from __future__ import annotations

from typing import Sequence

from matplotlib.figure import Figure
from matplotlib.patches import Patch

from sentiment.labels import LABELS

COLORS = {"Negative": "#d62728", "Neutral": "#8c8c8c", "Positive": "#2ca02c"}


def plot_timeline(segments: Sequence, label: str, confidence: float, duration: float | None = None,
                  title: str | None = None) -> Figure:
    """``segments``: anything with ``start``, ``end``, ``label`` and ``confidences`` (Segment, LiveUtterance)."""
    fig = Figure(figsize=(9, 3.0), layout="constrained")
    ax = fig.add_subplot()
    for s in segments:
        ax.bar(s.start, s.confidences[s.label], width=max(s.end - s.start, 0.05), align="edge",
               color=COLORS[s.label], edgecolor="white", linewidth=0.8)
    end = max([duration or 0.0] + [s.end for s in segments]) or 1.0
    ax.axhspan(-0.09, -0.03, color=COLORS[label], clip_on=False)  # the overall label, as a band under the axis
    ax.text(end, 1.04, f"overall: {label} ({confidence:.2f})", ha="right", va="bottom", color=COLORS[label],
            fontweight="bold")
    ax.set(xlim=(0, end), ylim=(-0.1, 1.0), xlabel="time (s)", ylabel="confidence of the segment's label")
    ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0])
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(handles=[Patch(color=COLORS[name], label=name) for name in LABELS], loc="upper left",
              ncols=3, frameon=False, bbox_to_anchor=(0, 1.16))
    if title:
        fig.suptitle(title)
    return fig
