"""Speakers: sentences of one speaker each, per-speaker summaries, the diarizer's steps on made-up data,
and the bundled diarizer on generated conversations of ../shared's voices (pyannote.metrics judges)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from conftest import SR, shared_path
from sentiment.errors import ModelUnavailableError
from sentiment.labels import LABELS
from sentiment.result import Segment
from sentiment.runtime import bundled
from sentiment.segments import split_transcript, speakers_of
from sentiment.speakers.diarize import MIN_CLUSTER_SECONDS, SURE_SECONDS, Turn, cluster, turns
from sentiment.speakers.segmentation import FRAME_STEP
from sentiment.summary import per_speaker
from sentiment.transcribers.transcript import Transcript, Word


def words(*items):
    return [Word(text, start, end) for text, start, end in items]


def test_a_sentence_ends_at_its_full_stop_but_not_at_mr():
    ws = words(("And", 0.0, 0.2), ("Mr.", 0.3, 0.5), ("Smith", 0.6, 0.9), ("came.", 1.0, 1.3),
               ("He", 1.8, 1.9), ("left!", 2.0, 2.4), ("J.", 2.9, 3.0), ("Doe", 3.1, 3.3), ("stayed.", 3.4, 3.9))
    spans = split_transcript(Transcript("", words=ws))
    assert [s.text for s in spans] == ["And Mr. Smith came.", "He left!", "J. Doe stayed."]
    assert [(s.start, s.end) for s in spans] == [(0.0, 1.3), (1.8, 2.4), (2.9, 3.9)]


def test_a_sentence_never_spans_two_speakers():
    ws = words(("I", 0.0, 0.2), ("agree", 0.3, 0.8), ("completely", 0.9, 1.6), ("no", 1.7, 2.0),
               ("way", 2.1, 2.5), ("that", 2.6, 2.9), ("works.", 3.0, 3.5))
    turns_ = [Turn(0.0, 1.65, "S1"), Turn(1.65, 3.6, "S2")]
    spans = split_transcript(Transcript("", words=ws), turns_)
    assert [(s.text, s.speaker) for s in spans] == [("I agree completely", "S1"), ("no way that works.", "S2")]


def test_a_stray_word_at_a_turn_edge_stays_with_its_sentence():
    """The diarizer's boundary a little late: "Really", inside S1's turn, must not become a sentence of S1."""
    ws = words(("That", 0.0, 0.3), ("was", 0.4, 0.6), ("fine.", 0.7, 1.1), ("Really", 1.5, 1.8),
               ("great", 1.85, 2.1), ("work", 2.15, 2.5), ("there.", 2.6, 3.1), ("No.", 3.5, 3.8))
    turns_ = [Turn(0.0, 1.95, "S1"), Turn(1.95, 3.2, "S2"), Turn(3.4, 3.9, "S1")]
    assert speakers_of(ws, turns_) == ["S1"] * 3 + ["S2"] * 4 + ["S1"]  # "No." is a whole sentence: kept
    spans = split_transcript(Transcript("", words=ws), turns_)
    assert [(s.text, s.speaker) for s in spans] == [
        ("That was fine.", "S1"), ("Really great work there.", "S2"), ("No.", "S1")]


def test_each_speaker_gets_a_summary_that_points_into_the_recording():
    def seg(start, end, text, label, speaker, p=0.8):
        rest = (1 - p) / 2
        return Segment(start, end, text, label, {n: p if n == label else rest for n in LABELS}, speaker)

    segments = [seg(0, 4, "this is awful", "Negative", "S1", 0.9), seg(4, 8, "glad to help you", "Positive", "S2"),
                seg(8, 10, "still broken", "Negative", "S1", 0.7), seg(10, 20, "we will fix it today", "Positive",
                                                                        "S2", 0.95)]
    s1, s2 = per_speaker(segments, duration=25.0)
    assert (s1.speaker, s1.label, s1.seconds, s1.share) == ("S1", "Negative", 6.0, 0.24)
    assert (s2.speaker, s2.label, s2.seconds, s2.share) == ("S2", "Positive", 14.0, 0.56)
    assert s1.summary.counts == {"Negative": 2, "Neutral": 0, "Positive": 0}
    assert (s1.summary.most_negative, s2.summary.most_positive) == (0, 3)  # indexes into all four segments
    assert sum(s1.confidences.values()) == pytest.approx(1.0)
    assert per_speaker([Segment(0, 1, "x", "Neutral", {n: 1 / 3 for n in LABELS})], 1.0) == []  # not diarized


def test_turns_come_from_frames_with_gaps_filled_and_names_by_first_appearance():
    active = np.zeros((600, 2), bool)
    active[300:400, 0] = True  # speaker index 0 speaks second: it is S2
    active[100:200, 1] = True
    active[205:250, 1] = True  # a gap of 5 frames (84 ms): filled
    active[500:503, 1] = True  # 3 frames (51 ms): too short to be a turn
    found = turns(active)
    assert [t.speaker for t in found] == ["S1", "S2"]
    frame = FRAME_STEP / SR
    assert found[0].start == pytest.approx(100 * frame + 0.011, abs=0.02)
    assert found[0].end == pytest.approx(250 * frame + 0.011, abs=0.02)


def test_clustering_counts_voices_and_obeys_a_given_number():
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((3, 256))
    vectors = np.concatenate([c + 0.25 * rng.standard_normal((8, 256)) for c in centres])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    seconds = np.full(len(vectors), 5.0)
    labels = cluster(vectors, seconds, threshold=0.5, num_speakers=None)
    assert len(set(labels)) == 3 and all(len(set(labels[i * 8:(i + 1) * 8])) == 1 for i in range(3))
    assert len(set(cluster(vectors, seconds, 0.5, num_speakers=2))) == 2
    assert len(set(cluster(vectors, seconds, 0.5, num_speakers=4))) == 4  # more than found: a finer cut
    hellos = seconds.copy()
    hellos[16:] = SURE_SECONDS / 2  # 8 short stretches, 6 s in all: the real call's "Hello?"s
    assert len(set(cluster(vectors, hellos, 0.5, None))) == 2
    short = seconds.copy()
    short[16:] = MIN_CLUSTER_SECONDS / 10  # the third voice heard for under MIN_CLUSTER_SECONDS in all
    assert len(set(cluster(vectors, short, 0.5, None))) == 2


def test_bundled_diarization_models_are_checked(tmp_path):
    assert bundled.sha256(bundled.segmentation()) == bundled.SEGMENTATION.sha256
    assert bundled.sha256(bundled.voice_encoder()) == bundled.VOICE_ENCODER.sha256
    copy = tmp_path / bundled.SEGMENTATION.weights
    copy.write_bytes(bundled.segmentation().read_bytes()[:-10] + b"0123456789")
    with pytest.raises(ModelUnavailableError, match="not the published pyannote/segmentation-3.0"):
        bundled.verify(tmp_path, bundled.SEGMENTATION)


@pytest.fixture(scope="module")
def diarizer():
    from sentiment.speakers.diarize import Diarizer
    return Diarizer()


@pytest.mark.parametrize("seed,speakers", [(101, 2), (102, 3)])
def test_generated_conversations_are_diarized(diarizer, seed, speakers):
    from pyannote.core import Annotation, Segment as Span
    from pyannote.metrics.diarization import DiarizationErrorRate

    from scripts.make_conversations import conversation
    shared_path("data", "speech", "tts", "manifest.csv")
    wave, sentences = conversation(seed=seed, speakers=speakers, seconds=60.0)
    found = diarizer(wave)
    ref, hyp = Annotation(), Annotation()
    for s in sentences:
        ref[Span(s.start, s.end)] = s.speaker
    for t in found:
        hyp[Span(t.start, t.end)] = t.speaker
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        der = DiarizationErrorRate(collar=0.25)(ref, hyp)
    assert len(hyp.labels()) == speakers and der <= 0.15, der  # bench/quality/speakers.py: about 0.03 on 20
    assert [t.speaker for t in found][0] == "S1"
    assert len({t.speaker for t in diarizer(wave, num_speakers=speakers)}) == speakers
    # Told one more than there are: the clustering makes it (test above), but a voice that is nowhere the
    # main one gets no turns, so the turns never hold more speakers than asked, nor fewer than there are.
    assert speakers <= len({t.speaker for t in diarizer(wave, num_speakers=speakers + 1)}) <= speakers + 1


def test_silence_has_no_speakers(diarizer):
    assert diarizer(np.zeros(20 * SR, np.float32)) == []


def two_voices(seed: int = 11, seconds: float = 50.0, texts=None):
    """A generated conversation: slt says only negative sentences, rms only positive ones."""
    from scripts.make_conversations import conversation
    shared_path("data", "speech", "tts", "manifest.csv")
    return conversation(seed=seed, seconds=seconds, voices=("slt", "rms"),
                        labels={"slt": "Negative", "rms": "Positive"}, texts=texts)


def clear_sentences(pipe) -> set[str]:
    """The two voices' sentences whose written text the text model itself labels as their reference does,
    with confidence over 0.6: the test below is about whose sentences they are, not about the text model
    (its own figures are in the Evaluation tab)."""
    from scripts.make_conversations import sentences_of
    shared_path("data", "speech", "tts", "manifest.csv")  # the voices' sentences
    rows = [(text, label) for voice in ("slt", "rms") for _, text, label in sentences_of(voice)]
    probs = pipe.classify([text for text, _ in rows])
    return {text for (text, label), p in zip(rows, probs) if float(p[LABELS.index(label)]) > 0.6}


def test_each_speaker_gets_their_own_sentiment_through_the_whole_pipeline(offline_pipe):
    wave, sentences = two_voices(texts=clear_sentences(offline_pipe))
    result = offline_pipe((SR, wave))
    first = sentences[0].speaker  # S1 is whoever speaks first
    expected = {"S1": "Negative" if first == "slt" else "Positive", "S2": "Positive" if first == "slt" else "Negative"}
    assert {s.speaker: s.label for s in result.speakers} == expected
    assert sum(s.seconds for s in result.speakers) == pytest.approx(sum(s.end - s.start for s in result.segments))
    assert {s.speaker for s in result.segments} == {"S1", "S2"} and result.timings["diarize"] > 0
    assert len(result.segments) >= len(sentences) // 2  # sentences, not 15 s stretches
    for segment in result.segments:  # each sentence keeps its timed words, Whisper's confidence in each
        assert " ".join(w.text for w in segment.words) == segment.text
        assert all(segment.start <= w.start <= w.end <= segment.end for w in segment.words)
        assert all(0 < w.probability <= 1 for w in segment.words)
    assert sum(w.probability > 0.5 for s in result.segments for w in s.words) > 0.8 * sum(
        len(s.words) for s in result.segments)  # clear synthetic speech: Whisper is sure of most words
    row = result.to_dict()["segments"][0]["words"][0]
    assert set(row) == {"text", "start", "end", "probability"}  # as the API, --json and the batch rows give it


def test_speakers_off_and_a_given_number(offline_pipe, monkeypatch):
    wave, _ = two_voices(seed=12, seconds=30.0)
    monkeypatch.setattr(offline_pipe, "diarizer", None)
    monkeypatch.setattr(offline_pipe, "words", False)
    off = offline_pipe((SR, wave))
    assert off.speakers == [] and {s.speaker for s in off.segments} == {None} and "diarize" not in off.timings
    assert len(off.segments) > 1 and all(s.words == [] for s in off.segments)  # words=False: left out
    monkeypatch.undo()
    monkeypatch.setattr(offline_pipe, "num_speakers", 3)
    assert len({t.speaker for t in offline_pipe.diarize(wave)}) in (2, 3)  # asked for three of two voices
    monkeypatch.setattr(offline_pipe, "num_speakers", 1)
    assert {t.speaker for t in offline_pipe.diarize(wave)} == {"S1"}


def test_the_page_shows_a_lane_and_a_summary_row_per_speaker(offline_pipe, tmp_path):
    import soundfile as sf

    from ui.page import SEGMENT_COLUMNS, handlers
    wave, _ = two_voices(seed=13, seconds=40.0)
    sf.write(tmp_path / "two.wav", wave, SR)
    analyse = handlers(offline_pipe)[0]
    _, _, figure, summary, table, _, _ = analyse(str(tmp_path / "two.wav"))
    assert [ax.get_ylabel() for ax in figure["value"].axes] == ["S1", "S2"]  # one lane each, S1 on top
    assert "| **S1** |" in summary["value"] and "| **S2** |" in summary["value"]
    assert SEGMENT_COLUMNS[:5] == ["speaker", "start (s)", "end (s)", "label", "confidence"]  # text last
    assert {row[0] for row in table["value"]} == {"S1", "S2"} and all(row[3] in LABELS for row in table["value"])


def test_live_utterances_join_the_voice_they_sound_like(diarizer):
    from scripts.make_conversations import sentences_of
    from sentiment.speakers.online import SpeakerTracker
    shared_path("data", "speech", "tts", "manifest.csv")
    order = ["slt", "rms", "slt", "reader", "rms", "slt", "reader"]
    pools = {v: list(sentences_of(v)) for v in set(order)}
    tracker = SpeakerTracker(diarizer.encoder)
    got = [tracker.assign(pools[v].pop()[0]) for v in order]
    assert got == ["S1", "S2", "S1", "S3", "S2", "S1", "S3"]


def test_live_speakers_honour_a_given_number(offline_pipe, monkeypatch):
    """--num-speakers reaches the Live tab: the tracker never makes more voices than that."""
    from scripts.make_conversations import sentences_of
    from sentiment.live import LiveSession
    from sentiment.speakers.online import SpeakerTracker
    shared_path("data", "speech", "tts", "manifest.csv")
    order = ["slt", "rms", "slt", "reader", "rms", "reader"]
    pools = {v: list(sentences_of(v)) for v in set(order)}
    tracker = SpeakerTracker(offline_pipe.diarizer.encoder, most=2)
    got = [tracker.assign(pools[v].pop()[0]) for v in order]
    assert got[:3] == ["S1", "S2", "S1"] and set(got) == {"S1", "S2"}  # the reader joins a known voice
    monkeypatch.setattr(offline_pipe, "num_speakers", 1)
    session = LiveSession()
    pause = np.zeros(SR, np.float32)
    stream = np.concatenate([x for v in ("slt", "rms", "reader") for x in (pools[v].pop()[0], pause)])
    for i in range(0, stream.size, SR // 2):  # half-second chunks, as the microphone sends them
        session.feed(offline_pipe, SR, stream[i:i + SR // 2])
    session.finish(offline_pipe)
    assert session.tracker.most == 1 and {u.speaker for u in session.utterances} == {"S1"}
