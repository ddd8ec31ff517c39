"""The summary of a recording's segments, and its timeline plot."""

import io

import pytest
from matplotlib.patches import Rectangle

from sentiment.pipeline import Segment
from sentiment.summary import summarize
from sentiment.timeline import COLORS, plot_timeline


def seg(start, end, label, confidence):
    rest = (1 - confidence) / 2
    return Segment(start, end, f"{label} words", label,
                   {name: confidence if name == label else rest for name in ("Negative", "Neutral", "Positive")})


SEGMENTS = [seg(0.0, 4.0, "Positive", 0.6), seg(4.5, 6.5, "Negative", 0.9), seg(7.0, 13.0, "Neutral", 0.5),
            seg(14.0, 16.0, "Positive", 0.95), seg(16.5, 18.5, "Negative", 0.7)]


def test_shares_counts_and_strongest_segments():
    s = summarize(SEGMENTS)
    assert s.counts == {"Negative": 2, "Neutral": 1, "Positive": 2}
    assert s.seconds == pytest.approx(16.0)
    assert s.speaking_time == pytest.approx({"Negative": 4 / 16, "Neutral": 6 / 16, "Positive": 6 / 16}, abs=1e-4)
    assert s.segments == pytest.approx({"Negative": 0.4, "Neutral": 0.2, "Positive": 0.4})
    assert (s.most_negative, s.most_positive) == (1, 3)
    assert list(s.speaking_time) == ["Negative", "Neutral", "Positive"]


def test_no_pole_and_no_segments():
    s = summarize([seg(0.0, 3.0, "Neutral", 0.8)])
    assert (s.most_negative, s.most_positive) == (None, None) and s.speaking_time["Neutral"] == 1.0
    empty = summarize([])
    assert empty.seconds == 0 and sum(empty.counts.values()) == 0 and empty.most_positive is None


def test_timeline_draws_one_span_per_segment_in_its_colour(tmp_path):
    fig = plot_timeline(SEGMENTS, "Neutral", 0.41, duration=19.0, title="a test")
    ax = fig.axes[0]
    bars = [p for p in ax.patches if isinstance(p, Rectangle) and p.get_width() > 0.01 and p.get_y() == 0]
    assert [(b.get_x(), b.get_width(), round(b.get_height(), 2)) for b in bars] == [
        (s.start, s.end - s.start, round(s.confidences[s.label], 2)) for s in SEGMENTS]
    assert [b.get_facecolor()[:3] for b in bars] == [
        tuple(int(COLORS[s.label][i:i + 2], 16) / 255 for i in (1, 3, 5)) for s in SEGMENTS]
    assert ax.get_xlim() == (0, 19.0) and "overall: Neutral (0.41)" in [t.get_text() for t in ax.texts]
    out = io.BytesIO()
    fig.savefig(out, format="png")
    assert out.getvalue()[:4] == b"\x89PNG"
