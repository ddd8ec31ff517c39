"""CTC transcription on tiny random models: frames, batching, chunk stitching, word timings."""

import numpy as np
import pytest
import torch
from conftest import tone

from sentiment.transcribers.ctc import CTCTranscriber


@pytest.fixture(scope="module")
def ctc(tiny_ctc):
    """Pads like on a GPU (any length batches), so that the padding paths are exercised."""
    return CTCTranscriber(str(tiny_ctc), chunk_seconds=2.0, stride_seconds=0.4, batch_size=3, max_padding=1.0)


def waves():
    return [tone(s, f, seed=i) for i, (s, f) in enumerate([(1.0, 200), (2.5, 300), (7.3, 150), (0.6, 500)])]


def test_frame_count_matches_the_model_for_any_length(ctc, tiny_ctc):
    lengths = [400, 719, 16000, 32000, 40000, 116_800]
    model = CTCTranscriber(str(tiny_ctc), backend="torch").model
    assert [ctc.num_frames(n) for n in lengths] == model._get_feat_extract_output_lengths(
        torch.tensor(lengths)).tolist()
    ids = ctc.frame_ids([tone(n / 16000) for n in lengths], ctc.logits)
    assert [len(i) for i in ids] == [ctc.num_frames(n) for n in lengths]


def test_one_transcript_per_wave_in_input_order(tiny_ctc_layer):
    ctc = CTCTranscriber(str(tiny_ctc_layer), chunk_seconds=2.0, stride_seconds=0.4, batch_size=3)
    w = waves()
    batched = ctc.transcribe(w)
    assert len(batched) == len(w)
    for wave, transcript in zip(w, batched):
        assert transcript.text == ctc.transcribe([wave])[0].text


def test_windows_tile_the_clip_and_share_one_length(ctc):
    n = int(7.3 * 16000)
    plan = ctc.windows(0, n)
    assert len(plan) > 1 and plan[0].start == 0 and plan[-1].end == n
    assert {w.end - w.start for w in plan[:-1]} == {ctc.chunk}  # equal windows batch without padding
    assert sum(w.keep_to - w.keep_from for w in plan) == ctc.num_frames(n)
    assert ctc.windows(0, ctc.chunk) == [ctc.windows(0, ctc.chunk)[0]]  # up to one chunk: a single window


def local_logits(inputs: torch.Tensor, mask) -> torch.Tensor:
    """A stand-in model whose frame f sees only samples [320 f, 320 f + 400), like the conv encoder."""
    frames = inputs.unfold(1, 400, 320)
    proj = torch.Generator().manual_seed(0)
    return frames @ torch.randn(400, 32, generator=proj)


def test_chunked_stitching_equals_one_long_pass_for_a_local_model(tiny_ctc):
    long = tone(7.3, 180) + tone(7.3, 330, amp=0.2, seed=1)
    chunked = CTCTranscriber(str(tiny_ctc), chunk_seconds=2.0, stride_seconds=0.4)
    whole = CTCTranscriber(str(tiny_ctc), chunk_seconds=60.0, stride_seconds=1.0)
    for t in (chunked, whole):
        t.feature_extractor.do_normalize = False  # per-window normalisation is the only intended difference
    a, b = chunked.frame_ids([long], local_logits)[0], whole.frame_ids([long], local_logits)[0]
    assert len(chunked.windows(0, len(long))) > 3 and len(whole.windows(0, len(long))) == 1
    np.testing.assert_array_equal(a, b)


def test_chunked_equals_unchunked_on_short_input(tiny_ctc):
    short = tone(1.7, 240)
    chunked = CTCTranscriber(str(tiny_ctc), chunk_seconds=2.0, stride_seconds=0.4)
    whole = CTCTranscriber(str(tiny_ctc), chunk_seconds=60.0, stride_seconds=1.0)
    np.testing.assert_array_equal(chunked.frame_ids([short], chunked.logits)[0],
                                  whole.frame_ids([short], whole.logits)[0])


def test_batching_equals_one_by_one_with_attention_mask(tiny_ctc_layer):
    ctc = CTCTranscriber(str(tiny_ctc_layer), chunk_seconds=2.0, stride_seconds=0.4, batch_size=4)
    assert ctc.use_mask
    w = waves()
    for one, batched in zip([ctc.frame_ids([x], ctc.logits)[0] for x in w], ctc.frame_ids(w, ctc.logits)):
        np.testing.assert_array_equal(one, batched)


def test_group_norm_model_gets_zero_padding_and_no_mask(ctc):
    """base-960h's rule: no attention mask; padding changes its group-norm statistics a little, so the
    unpadded longest clip is exact and the padded ones stay close even with random weights."""
    assert not ctc.use_mask
    seen = []
    ctc.frame_ids(waves(), lambda x, mask: seen.append(mask) or ctc.logits(x, mask))
    assert seen and all(m is None for m in seen)
    w = waves()
    one = [ctc.frame_ids([x], ctc.logits)[0] for x in w]
    batched = ctc.frame_ids(w, ctc.logits)
    np.testing.assert_array_equal(one[2], batched[2])
    assert all((a == b).mean() > 0.75 for a, b in zip(one, batched))


def test_on_a_cpu_only_equal_windows_batch_so_results_equal_one_by_one(tiny_ctc):
    ctc = CTCTranscriber(str(tiny_ctc), chunk_seconds=2.0, stride_seconds=0.4, batch_size=3)
    assert ctc.max_padding == 0.0
    w = waves()
    batches = list(ctc._batches([win for i, wave in enumerate(w) for win in ctc.windows(i, len(wave))]))
    assert all(len({win.end - win.start for win in b}) == 1 for b in batches)  # no padding anywhere
    assert all(sum(win.end - win.start for win in b) <= ctc.chunk for b in batches)  # at most one window's worth
    same = [tone(0.5, f, seed=i) for i, f in enumerate((200, 300, 400, 500))]
    assert [len(b) for b in ctc._batches([ctc.windows(i, len(x))[0] for i, x in enumerate(same)])] == [3, 1]
    for one, batched in zip([ctc.frame_ids([x], ctc.logits)[0] for x in w], ctc.frame_ids(w, ctc.logits)):
        np.testing.assert_array_equal(one, batched)


def test_normalisation_ignores_padding(ctc):
    quiet, loud = tone(0.5, amp=0.01), tone(2.0, amp=0.5)
    inputs, _ = ctc._batch([quiet, loud], [ctc.windows(1, len(loud))[0], ctc.windows(0, len(quiet))[0]])
    row = inputs[1, :len(quiet)].numpy()
    assert abs(row.mean()) < 1e-3 and abs(row.std() - 1) < 1e-2  # unit variance over its own samples
    assert torch.all(inputs[1, len(quiet):] == 0)


def test_word_timings_come_from_ctc_frames(ctc):
    vocab = ctc.tokenizer.get_vocab()
    ids = [0] * 10 + [vocab[c] for c in "HE"] + [vocab["L"], 0, vocab["L"], vocab["O"]] + [vocab["|"]] * 3 \
        + [0] * 20 + [vocab[c] for c in "BAD"] + [0] * 5
    transcript = ctc.decode(np.array(ids))
    assert transcript.text == "hello bad"
    hello, bad = transcript.words
    assert (hello.start, hello.end) == (0.2, 0.32)  # frames 10..15, 20 ms each
    assert bad.start == pytest.approx(39 * 0.02) and bad.end == pytest.approx(42 * 0.02)


def test_gpu_batching_is_by_samples_and_length_buckets(tiny_ctc):
    """The GPU policy (no count limit; a batch closes at its sample budget or its padding limit), set
    explicitly so that a CPU can test it."""
    from sentiment.transcribers import ctc as transcribe_ctc

    assert transcribe_ctc.GPU_MAX_PADDING == 0.25 and transcribe_ctc.GPU_BATCH_SECONDS >= 300
    ctc = CTCTranscriber(str(tiny_ctc), chunk_seconds=2.0, stride_seconds=0.4, batch_seconds=6.0, max_padding=0.25)
    lengths = [0.3, 0.31, 0.32, 0.5, 0.55, 0.6, 0.61, 1.0, 1.1, 1.2, 1.9, 2.0, 2.0] + [0.4] * 12
    windows = [ctc.windows(i, int(s * 16000))[0] for i, s in enumerate(lengths)]
    batches = list(ctc._batches(windows))
    assert sorted(w.clip for b in batches for w in b) == list(range(len(lengths)))  # each window once
    for b in batches:
        longest = max(w.end - w.start for w in b)
        assert len(b) * longest <= ctc.batch_samples  # the sample budget, padding included
        assert all(1 - (w.end - w.start) / longest <= 0.25 for w in b)  # the length bucket
    assert max(len(b) for b in batches) > 8  # no fixed count: short windows fill a batch


def test_normalisation_is_the_feature_extractors_vectorised(ctc):
    clips = [tone(0.5, amp=0.01), tone(1.3, amp=0.5, seed=3), tone(0.8, 440, amp=0.2, seed=4)]
    batch = sorted((ctc.windows(i, len(x))[0] for i, x in enumerate(clips)), key=lambda w: w.start - w.end)
    inputs, _ = ctc._batch(clips, batch)
    for row, w in enumerate(batch):
        expected = ctc.feature_extractor(clips[w.clip], sampling_rate=16000, return_tensors="np")["input_values"][0]
        np.testing.assert_allclose(inputs[row, :w.end].numpy(), expected, atol=1e-5)
        assert torch.all(inputs[row, w.end:] == 0)


@pytest.mark.parametrize("precision,dtype", [("bf16", torch.bfloat16), ("fp16", torch.float16)])
def test_half_precisions_reach_the_model_and_agree_with_fp32(tiny_ctc, precision, dtype):
    fp32 = CTCTranscriber(str(tiny_ctc), backend="torch", chunk_seconds=2.0, stride_seconds=0.4)
    half = CTCTranscriber(str(tiny_ctc), precision=precision, chunk_seconds=2.0, stride_seconds=0.4)
    assert half.runtime.backend == "torch" and next(half.model.parameters()).dtype == dtype
    w = waves()
    inputs, _ = half._batch(w, [half.windows(0, len(w[0]))[0]])
    assert inputs.dtype == dtype
    agree = [(a == b).mean() for a, b in zip(fp32.frame_ids(w, fp32.logits), half.frame_ids(w, half.logits))]
    assert min(agree) > 0.8, agree


def test_vectorised_decode_equals_the_tokenizers_word_offsets(tiny_ctc):
    """``_decode`` collapses frames itself (ten times faster); its words and times are the tokenizer's."""
    from sentiment.transcribers import Word
    t = CTCTranscriber(str(tiny_ctc), backend="torch")
    rng, vocab, seconds = np.random.default_rng(0), len(t.tokenizer.get_vocab()), t.hop / 16000
    for _ in range(500):
        n, blanks = int(rng.integers(0, 60)), rng.random()  # from all blanks/delimiters to all letters
        ids = np.where(rng.random(n) < blanks, rng.integers(0, 5, n), rng.integers(0, vocab, n))
        silent = np.where(np.isin(ids, t._silent_ids), t.tokenizer.pad_token_id, ids)
        out = t.tokenizer.decode(silent.tolist(), output_word_offsets=True).word_offsets
        expected = [Word(o["word"].lower(), round(o["start_offset"] * seconds, 3), round(o["end_offset"] * seconds, 3))
                    for o in out]
        assert t.decode(ids).words == expected
