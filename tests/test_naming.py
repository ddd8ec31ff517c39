"""Named speakers: names in order of first appearance, and enrolment by voice (a known person's sample). The
real-voice tests use real people (scripts/real_voices.py; they skip where the recordings cannot be fetched);
figures on 12 conversations: ``python -m bench real_voices enrol --seed 1``."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import shared_path

from sentiment.errors import SpeakerNamesError
from sentiment.speakers.naming import Voice, by_voice, in_order, parse_enrolment, parse_names

SR = 16_000


def unit(*values):
    v = np.array(values, np.float32)
    return v / np.linalg.norm(v)


def test_each_cluster_takes_the_nearest_enrolled_name_once_and_a_stranger_keeps_a_number():
    a, b, c = unit(1, 0, 0), unit(0, 1, 0), unit(0, 0, 1)
    vectors = np.stack([a, a, b, b, c, unit(1, 0.05, 0)])  # three people; the last stretch is clearly a's
    labels = np.array([0, 0, 1, 1, 2, 1])  # ... but the clustering put it with b
    out, names = by_voice(vectors, np.ones(6), labels, [Voice("Bea", b), Voice("Ann", a)])
    speaker = [names.get(k, f"#{k}") for k in out]
    assert speaker[:4] == ["Ann", "Ann", "Bea", "Bea"]
    assert speaker[4] not in ("Ann", "Bea")  # c sounds like nobody enrolled: stays unnamed
    assert speaker[5] == "Ann"  # sure enough to leave the cluster it fell in
    out, names = by_voice(vectors, np.ones(6), labels, [Voice("Ann", a), Voice("Ann's twin", unit(1, 0.01, 0))])
    assert sum(n.startswith("Ann") for n in names.values()) <= 2 and len(set(names.values())) == len(names)


def test_an_enrolled_voice_that_is_not_there_names_nobody():
    vectors = np.stack([unit(1, 0, 0), unit(0, 1, 0)])
    out, names = by_voice(vectors, np.ones(2), np.array([0, 1]), [Voice("Cy", unit(0, 0, 1))])
    assert names == {} and sorted(set(out)) == [0, 1]


def test_names_in_order_and_the_lists_that_do_not_fit():
    assert in_order(["S1", "S2"], ["Agent", "Customer"]) == {"S1": "Agent", "S2": "Customer"}
    assert in_order(["S1", "Bea", "S3"], ["Cy"], enrolled=["Bea"]) == {"S1": "Cy"}  # the enrolled aside
    assert parse_names(" Agent, Customer ") == ["Agent", "Customer"] and parse_names(None) == []
    with pytest.raises(SpeakerNamesError, match="3 speaker names were given but the recording has 2 speakers"):
        in_order(["S1", "S2"], ["A", "B", "C"])
    with pytest.raises(SpeakerNamesError, match="no speakers to name"):
        in_order([], ["A"])
    with pytest.raises(ValueError, match="already an enrolled person's"):
        in_order(["Bea", "S2"], ["Bea"], enrolled=["Bea"])
    for bad, words in (("A,,B", "empty name"), ("A,B,A", "name A twice")):
        with pytest.raises(ValueError, match=words):
            parse_names(bad)
    assert parse_enrolment(["Agent=a.wav", " Bo = b c.wav"]) == {"Agent": "a.wav", "Bo": "b c.wav"}
    for bad in (["Agent"], ["=a.wav"], ["A=x.wav", "A=y.wav"]):
        with pytest.raises(ValueError, match="--enroll"):
            parse_enrolment(bad)


@pytest.fixture(scope="module")
def conversation():
    from scripts import real_voices
    shared_path("data", "speech", "real")  # the reader's voice
    try:
        return real_voices.enrolment(seed=2004, speakers=3, seconds=96.0)  # FEE083, MEE009, the reader
    except FileNotFoundError as err:
        pytest.skip(f"the real voices could not be fetched: {err}")


def names_heard(recording, turns) -> list[str]:
    """Per reference turn, the found speaker heard most in it."""
    out = []
    for r in recording.turns:
        heard = {}
        for t in turns:
            heard[t.speaker] = heard.get(t.speaker, 0.0) + max(0.0, min(t.end, r.end) - max(t.start, r.start))
        out.append(max(heard, key=heard.get) if heard else "")
    return out


def test_real_people_enrolled_by_a_sample_are_named_and_a_stranger_never_is(conversation):
    from sentiment.speakers.diarize import Diarizer
    recording, samples = conversation
    diarizer = Diarizer()
    voices = [Voice(v, diarizer.voiceprint(w)) for v, w in samples.items()]  # samples the conversation lacks
    got = names_heard(recording, diarizer(recording.wave, enrolled=voices))
    assert np.mean([g == t.speaker for g, t in zip(got, recording.turns)]) >= 0.9  # bench: 94.7 % on 12
    for stranger in voices:  # each person in turn not enrolled: none of their turns gets a name
        known = [v for v in voices if v is not stranger]
        got = names_heard(recording, diarizer(recording.wave, enrolled=known))
        theirs = {g for g, t in zip(got, recording.turns) if t.speaker == stranger.name}
        assert theirs and not theirs & {v.name for v in known}, (stranger.name, theirs)
        assert all(g.startswith("S") for g in theirs)


def test_names_flow_into_segments_speakers_and_subtitles(offline_pipe, conversation, tmp_path):
    import soundfile as sf
    import srt

    from sentiment import subtitles
    from sentiment.result import to_row
    recording, samples = conversation
    sample = tmp_path / "reader.wav"
    sf.write(sample, samples["reader"], SR)
    result = offline_pipe((SR, recording.wave), enroll={"Reader": str(sample)}, speaker_names=["Ann", "Bo"])
    assert {s.speaker for s in result.segments} == {"Reader", "Ann", "Bo"}
    assert {s.speaker for s in result.speakers} == {"Reader", "Ann", "Bo"}
    first = [s.speaker for s in result.segments if s.speaker != "Reader"]
    assert first[0] == "Ann" and "Bo" in first  # the names in order of first appearance
    cues = list(srt.parse(subtitles.write(to_row("call.wav", result), tmp_path / "c.srt").read_text()))
    assert any(c.content.startswith("Reader (") for c in cues) and any(c.content.startswith("Ann (") for c in cues)
    [bad] = offline_pipe.predict([(SR, recording.wave)], return_errors=True, speaker_names="A,B,C,D")
    assert isinstance(bad, SpeakerNamesError) and "give at most 3" in str(bad)  # one input's error, not the batch's


def test_an_enrolment_sample_that_is_not_a_voice_says_so(offline_pipe, tmp_path):
    text = tmp_path / "notes.wav"
    text.write_text("not audio")
    with pytest.raises(ValueError, match="The voice sample for Agent: Could not read notes.wav"):
        offline_pipe.enroll({"Agent": str(text)})
    silent = tmp_path / "quiet.wav"
    import soundfile as sf
    sf.write(silent, np.zeros(5 * SR, np.float32), SR)
    with pytest.raises(ValueError, match="The voice sample for Agent: No speech detected"):
        offline_pipe.enroll({"Agent": str(silent)})

