"""Sentiment over time as a picture: each segment a coloured span along the time axis, as high as its
label's confidence, with the overall label marked; one lane per speaker when the segments have speakers
(who grew angry, and when). Built on a bare matplotlib Figure (no pyplot state), so that concurrent
requests can draw at once."""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.figure import Figure
from matplotlib.patches import Patch

from sentiment.labels import LABELS

COLORS = {"Negative": "#d62728", "Neutral": "#8c8c8c", "Positive": "#2ca02c"}


def plot_timeline(segments: Sequence, label: str, confidence: float, duration: float | None = None,
                  title: str | None = None) -> Figure:
    """``segments``: anything with ``start``, ``end``, ``label`` and ``confidences`` (Segment, LiveUtterance),
    and ``speaker`` for lanes (S1 on top)."""
    lanes = list(dict.fromkeys(s.speaker for s in segments if getattr(s, "speaker", None))) or [None]
    fig = Figure(figsize=(9, 1.2 + 1.4 * len(lanes) if len(lanes) > 1 else 3.0), layout="constrained")
    axes = fig.subplots(len(lanes), 1, sharex=True, squeeze=False)[:, 0]
    end = max([duration or 0.0] + [s.end for s in segments]) or 1.0
    for ax, lane in zip(axes, lanes):
        for s in segments:
            if lane is None or getattr(s, "speaker", None) == lane:
                ax.bar(s.start, s.confidences[s.label], width=max(s.end - s.start, 0.05), align="edge",
                       color=COLORS[s.label], edgecolor="white", linewidth=0.8)
        ax.set(xlim=(0, end), ylim=(-0.1, 1.0))
        ax.set_yticks([0, 0.5, 1.0] if lane else [0, 0.25, 0.5, 0.75, 1.0])
        ax.set_ylabel(lane or "confidence of the segment's label", rotation=0 if lane else 90,
                      ha="right" if lane else "center", va="center", fontweight="bold" if lane else None)
        ax.spines[["top", "right"]].set_visible(False)
    top, bottom = axes[0], axes[-1]
    bottom.axhspan(-0.09, -0.03, color=COLORS[label], clip_on=False)  # the overall label, a band under the axis
    bottom.set_xlabel("time (s)")
    top.text(end, 1.04, f"overall: {label} ({confidence:.2f})", ha="right", va="bottom", color=COLORS[label],
             fontweight="bold")
    top.legend(handles=[Patch(color=COLORS[name], label=name) for name in LABELS], loc="upper left",
               ncols=3, frameon=False, bbox_to_anchor=(0, 1.16 if len(lanes) == 1 else 1.35))
    if title:
        fig.suptitle(title)
    return fig
