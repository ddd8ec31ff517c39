"""On a GPU (skipped without CUDA): the mission stack's bf16 path agrees with fp32, and batches fill."""

import numpy as np
import pytest
import torch
from conftest import shared_path

from sentiment.audio import load_audio
from sentiment.transcribers.ctc import CTCTranscriber

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


def test_bf16_frames_agree_with_fp32_on_real_speech(full_ctc):
    folder = shared_path("data", "speech", "real")
    clips = [load_audio(p) for p in sorted(folder.glob("*.wav"))]
    fp32 = CTCTranscriber(str(full_ctc), device="cuda")
    bf16 = CTCTranscriber(str(full_ctc), device="cuda", precision="bf16")
    a, b = (np.concatenate(t.frame_ids(clips, t.logits)) for t in (fp32, bf16))
    print(f"bf16 vs fp32: {(a == b).mean():.2%} of {a.size} frames agree")
    assert (a == b).mean() >= 0.98


def test_gpu_batches_hold_many_clips(full_ctc):
    gpu = CTCTranscriber(str(full_ctc), device="cuda", precision="bf16")
    windows = [gpu.windows(i, n)[0] for i, n in enumerate(np.random.default_rng(0).integers(3, 15, 256) * 16000)]
    batches = list(gpu._batches(windows))
    assert len(batches) < 40 and max(len(b) for b in batches) >= 32
