"""The real offline stack on real audio: PocketSphinx transcripts scored with jiwer, MiniLM features."""

import csv

import jiwer
import numpy as np
import pytest
import torch
from conftest import SR, shared_path

from sentiment.audio import load_audio
from sentiment.head import HeadInfo, SentimentHead, save_head
from sentiment.hub import MINILM_ID
from sentiment.pipeline import load_pipeline
from sentiment.text import normalize_text


def real_recordings():
    folder = shared_path("data", "speech", "real")
    with open(folder / "transcripts.csv", newline="") as f:
        return [(folder / r["audio"], r["text"]) for r in csv.DictReader(f)]


def test_real_recordings_wer(sphinx):
    rows = real_recordings()
    hyps = [t.text for t in sphinx.transcribe([load_audio(path) for path, _ in rows])]
    wer = jiwer.wer([normalize_text(ref) for _, ref in rows], hyps)
    print(f"PocketSphinx WER on {len(rows)} real recordings: {wer:.3f}")
    assert wer <= 0.35
    assert hyps[-2] == "go forward ten meters"  # goforward.wav, as listed in transcripts.csv


def test_spoken_sentiment_sentences(sphinx):
    folder = shared_path("data", "speech", "tts")
    with open(folder / "manifest.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    plain = [r for r in rows if 5 <= len(r["text"].split()) <= 15 and not any(c.isdigit() for c in r["text"])]
    picked = [next(r for r in plain if r["voice"] == v) for v in ("slt", "rms", "awb")]  # digits are spelt out
    refs = [normalize_text(r["text"]) for r in picked]
    hyps = [t.text for t in sphinx.transcribe([load_audio(folder / r["audio"]) for r in picked])]
    for ref, hyp in zip(refs, hyps):
        shared = set(ref.split()) & set(hyp.split())
        assert len(shared) >= len(set(ref.split())) / 2, (ref, hyp)
    assert jiwer.wer(refs, hyps) <= 0.45


def test_long_recording_is_cut_at_pauses_with_timed_words(sphinx):
    rows = real_recordings()
    gap = np.zeros(SR // 2, np.float32)
    wave = np.concatenate([piece for path, _ in rows for piece in (load_audio(path), gap)])
    assert wave.size / SR > 30  # longer than one PocketSphinx piece
    transcript = sphinx.transcribe([wave])[0]
    assert jiwer.wer(" ".join(normalize_text(t) for _, t in rows), transcript.text) <= 0.35
    starts = [w.start for w in transcript.words]
    assert starts == sorted(starts) and all(w.start < w.end <= wave.size / SR + 0.01 for w in transcript.words)


@pytest.fixture(scope="module")
def offline_pipe(tmp_path_factory):
    torch.manual_seed(0)  # an untrained head until training/ commits the real one
    head = save_head(SentimentHead(HeadInfo(encoder=MINILM_ID, hidden_size=384)),
                     tmp_path_factory.mktemp("h") / "offline.safetensors")
    return load_pipeline("offline", head=str(head), device="cpu")


def test_offline_pipeline_on_a_real_recording(offline_pipe):
    folder = shared_path("data", "speech", "real")
    result = offline_pipe(folder / "goforward.wav")
    assert result.transcript == "go forward ten meters"
    assert result.models["stack"] == "offline" and result.models["encoder"] == MINILM_ID
    assert sum(result.confidences.values()) == pytest.approx(1.0, abs=1e-5)
    assert offline_pipe.encoder.hidden_size == 384 and offline_pipe.encoder.config.num_hidden_layers == 6
