"""Full-size architectures (wav2vec2-base-960h, bert-base-uncased) with random weights, built from the real
configs and tokenizer files in ../shared/models and loaded through the same code path as Hub models."""

import pytest

import numpy as np
import torch
from conftest import tone

from sentiment.text.encoder import TextEncoder
from sentiment.text.normalize import normalize_text
from sentiment.transcribers.ctc import CTCTranscriber
from testkit.memory import in_child, peak_rss_mb

pytestmark = pytest.mark.slow  # the full-size architectures


def test_wav2vec2_base_loads_from_a_saved_folder(full_ctc):
    ctc = CTCTranscriber(str(full_ctc), backend="torch")
    assert ctc.model.config.num_hidden_layers == 12 and ctc.model.config.hidden_size == 768
    assert sum(p.numel() for p in ctc.model.parameters()) > 90_000_000
    assert not ctc.use_mask and ctc.hop == 320  # group norm: zero padding, no attention mask
    assert len(ctc.tokenizer) == 32
    vocab = ctc.tokenizer.get_vocab()
    ids = np.array([0, vocab["H"], vocab["I"], 0, vocab["|"], vocab["T"], vocab["O"], vocab["O"], 0, vocab["O"]])
    assert ctc.decode(ids).text == "hi too"
    [transcript] = ctc.transcribe([tone(2.0)])
    assert isinstance(transcript.text, str)


def test_onnx_runtime_gives_the_eager_frames_and_features(full_ctc, full_bert):
    """The default CPU path (ONNX Runtime) against eager PyTorch on the full-size architectures:
    the same CTC argmax on every frame of real speech, and text features equal to float rounding."""
    from conftest import shared_path

    from sentiment.audio import load_audio
    wave = np.concatenate([load_audio(p) for p in sorted(shared_path("data", "speech", "real").glob("*.wav"))[:3]])
    fast, eager = CTCTranscriber(str(full_ctc)), CTCTranscriber(str(full_ctc), backend="torch")
    assert fast.runtime.backend == "onnx"
    np.testing.assert_array_equal(fast.frame_ids([wave], fast.logits)[0], eager.frame_ids([wave], eager.logits)[0])
    texts = ["i did not enjoy that at all", "what a lovely morning"]
    torch.testing.assert_close(TextEncoder(str(full_bert)).encode(texts),
                               TextEncoder(str(full_bert), backend="torch").encode(texts), atol=1e-4, rtol=1e-4)


def test_bert_base_tokenises_real_text_with_its_real_vocabulary(full_bert):
    encoder = TextEncoder(str(full_bert))
    ids = encoder.tokenizer(normalize_text("Hello, World! I don't like it."))["input_ids"]
    assert ids == [101, 7592, 2088, 1045, 2123, 1005, 1056, 2066, 2009, 102]
    features = encoder.encode(["hello world", "i don't like it at all", "ok"])
    assert features.shape == (3, 768) and torch.isfinite(features).all()
    one = encoder.encode(["i don't like it at all"])
    torch.testing.assert_close(features[1:2], one, atol=1e-4, rtol=1e-4)  # batching does not change a text


def transcribe_minutes(model: str) -> dict:
    """In a fresh process: transcribe 1 and then 3 minutes, with the peak RSS after each."""
    transcriber = CTCTranscriber(model)
    rng = np.random.default_rng(0)
    report = {}
    for minutes in (1, 3):
        wave = (0.1 * rng.standard_normal(minutes * 60 * 16000)).astype(np.float32)
        ids = transcriber.frame_ids([wave])[0]
        report[str(minutes)] = {"peak_mb": peak_rss_mb(), "frames": len(ids),
                                "expected_frames": transcriber.num_frames(wave.size)}
        del wave, ids
    return report


def test_long_recordings_transcribe_in_flat_memory(full_ctc):
    """Peak RSS after 3 minutes is within 150 MB of the peak after 1 minute (the 3-minute wave itself is
    12 MB); without chunking, attention over 9,000 frames would need about 4 GB (12 heads x 9,000² floats).
    (bench/speed/long_memory.py measures 10 and 60 minutes.)"""
    report, _ = in_child(transcribe_minutes, str(full_ctc))
    for r in report.values():
        assert r["frames"] == r["expected_frames"]
    assert report["3"]["peak_mb"] - report["1"]["peak_mb"] < 150, report
