"""Subtitles and turns (sentiment/subtitles.py): the real telephone call through the offline stack, written as
SRT, VTT and RTTM and read back by each format's own library; the cue rules on a row made here."""

from __future__ import annotations

import pytest

from sentiment import subtitles


@pytest.fixture(scope="module")
def call_row(offline_pipe, real_call):
    return {"path": "calls/diane and sheila.wav", **offline_pipe((16_000, real_call.wave)).to_dict()}


def _segments_of(row, cue_start, cue_end):
    return [s for s in row["segments"] if s["start"] - 1e-3 <= cue_start <= cue_end <= s["end"] + 1e-3]


def test_srt_and_vtt_of_the_real_call_parse_and_keep_each_segment_whole(call_row, tmp_path):
    import srt
    import webvtt

    parsed = {
        "srt": [(c.start.total_seconds(), c.end.total_seconds(), c.content)
                for c in srt.parse(subtitles.write(call_row, tmp_path / "call.srt").read_text())],
        "vtt": [(_seconds(c.start), _seconds(c.end), c.text)
                for c in webvtt.read(subtitles.write(call_row, tmp_path / "call.vtt"))],
    }
    for name, cues in parsed.items():
        assert len(cues) >= len(call_row["segments"]) > 1, name
        joined: dict[int, list[str]] = {}
        for start, end, text in cues:
            [segment] = _segments_of(call_row, start, end)  # each cue lies within one segment
            k = call_row["segments"].index(segment)
            assert text.startswith(f"{segment['speaker']} ({segment['label']}): "), (name, text)
            joined.setdefault(k, []).append(text.split("): ", 1)[1])
        assert {k: " ".join(v) for k, v in joined.items()} == {k: s["text"] for k, s in enumerate(call_row["segments"])}
    assert any("Diane" in text for _, _, text in parsed["srt"])  # a real transcript, not a template


def _seconds(stamp: str) -> float:
    h, m, s = stamp.split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)


def test_rttm_of_the_real_call_reads_back_as_the_same_turns(call_row, tmp_path):
    from pyannote.database.util import load_rttm

    path = subtitles.write(call_row, tmp_path / "call.rttm")
    [(uri, annotation)] = load_rttm(path).items()
    assert uri == "diane_and_sheila"
    turns = sorted((round(s.start, 3), round(s.end, 3), label)
                   for s, _, label in annotation.itertracks(yield_label=True))
    assert turns == sorted((s["start"], s["end"], s["speaker"]) for s in call_row["segments"])
    assert set(annotation.labels()) == {"S1", "S2"}  # the call's two people


def test_a_long_segment_becomes_cues_of_readable_length_at_its_word_times():
    words = [{"text": f"word{i}", "start": i * 0.5, "end": i * 0.5 + 0.4, "probability": 0.9} for i in range(40)]
    row = {"segments": [{"start": 0.0, "end": 19.9, "text": " ".join(w["text"] for w in words), "label": "Neutral",
                         "speaker": None, "words": words}]}
    cues = subtitles.cues(row)
    assert len(cues) > 2 and all(text.startswith("(Neutral) ") for _, _, text in cues)
    assert all(len(text) - len("(Neutral) ") <= subtitles.MAX_CHARS and b - a <= subtitles.MAX_SECONDS
               for a, b, text in cues)
    assert " ".join(t.removeprefix("(Neutral) ") for _, _, t in cues) == row["segments"][0]["text"]
    assert all(cues[k][1] <= cues[k + 1][0] for k in range(len(cues) - 1))  # in time order, never overlapping


def test_an_unknown_suffix_or_a_failed_input_is_one_clear_error(tmp_path):
    with pytest.raises(ValueError, match=r"subtitles and turns are \.srt, \.vtt, \.rttm"):
        subtitles.write({"segments": []}, tmp_path / "call.docx")
    with pytest.raises(ValueError, match="No result to write to call.srt: not audio"):
        subtitles.write({"path": "x.txt", "error": "not audio"}, tmp_path / "call.srt")
