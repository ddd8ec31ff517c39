"""Results people take elsewhere: subtitles (SRT, VTT) whose cues say who speaks and how it sounds, and
who-spoke-when (RTTM) for diarization tools. Written with the well-kept libraries of each format (``srt``,
``webvtt-py``, ``pyannote.core``), from a result row (``Prediction.to_dict()``, or a row read back).

A cue is one segment, ``S1 (Negative): text``; a segment longer than a reader can take in at once is
split into cues at its word times (at most ``MAX_CHARS`` characters or ``MAX_SECONDS`` seconds each).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

MAX_CHARS = 84  # two lines of 42, the common subtitle guideline
MAX_SECONDS = 7.0
FORMATS = (".srt", ".vtt", ".rttm")


def cues(row: dict, max_chars: int = MAX_CHARS, max_seconds: float = MAX_SECONDS) -> list[tuple[float, float, str]]:
    """(start, end, text) of each cue, in time order: each segment whole, or cut at its words' times where
    it is too long to read at once. Each cue lies within its segment; a segment's cues, joined, give its text."""
    out = []
    for segment in row.get("segments") or []:
        prefix = f"{segment['speaker']} ({segment['label']}): " if segment.get("speaker") else f"({segment['label']}) "
        words = segment.get("words") or []
        if not words or (len(segment["text"]) <= max_chars and segment["end"] - segment["start"] <= max_seconds):
            out.append((segment["start"], segment["end"], prefix + segment["text"]))
            continue
        group: list[dict] = []
        for w in words:
            if group and (len(" ".join(g["text"] for g in group + [w])) > max_chars
                          or w["end"] - group[0]["start"] > max_seconds):
                out.append(_cue(segment, group, prefix))
                group = []
            group.append(w)
        out.append(_cue(segment, group, prefix))
    return out


def _cue(segment: dict, words: list[dict], prefix: str) -> tuple[float, float, str]:
    start, end = max(segment["start"], words[0]["start"]), min(segment["end"], words[-1]["end"])
    return start, max(start, end), prefix + " ".join(w["text"] for w in words)


def to_srt(row: dict) -> str:
    import srt

    return srt.compose([srt.Subtitle(i, timedelta(seconds=a), timedelta(seconds=b), text)
                        for i, (a, b, text) in enumerate(cues(row), 1)])


def to_vtt(row: dict) -> str:
    import webvtt

    vtt = webvtt.WebVTT(captions=[webvtt.Caption(_vtt_time(a), _vtt_time(b), text) for a, b, text in cues(row)])
    return vtt.content


def _vtt_time(seconds: float) -> str:
    ms = round(seconds * 1000)
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"


def to_rttm(row: dict, uri: str) -> str:
    """Who spoke when: one line per segment of speech, its speaker (S1 where the recording was not diarized)."""
    from pyannote.core import Annotation, Segment

    annotation = Annotation(uri=uri)
    for k, segment in enumerate(row.get("segments") or []):
        if segment["end"] > segment["start"]:
            annotation[Segment(segment["start"], segment["end"]), k] = segment.get("speaker") or "S1"
    return annotation.to_rttm()


def write(row: dict, path: Path) -> Path:
    """``row`` as the file ``path`` names by its suffix (.srt, .vtt, .rttm)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"Cannot write {path.name}: subtitles and turns are {', '.join(FORMATS)}")
    if "error" in row:
        raise ValueError(f"No result to write to {path.name}: {row['error']}")
    uri = Path(row.get("path") or path.stem).stem.replace(" ", "_")
    text = {".srt": to_srt, ".vtt": to_vtt, ".rttm": lambda r: to_rttm(r, uri)}[suffix](row)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
