"""The mission stack on a GPU, in one run: ours in fp32 and bf16 against wav2vec2-base alone on plain
padded batches (the references of issue 13), with GPU memory peaks. Called by
``python bench/benchmark.py --device cuda``; about a minute on an H100.

The clips: 256 stretches of 3-15 s of real read speech from ../shared (its spoken sentences and real
recordings, cycled and cut), full-size architectures with random weights (``benchmark.py``), so the text
stage gets transcripts of realistic length (``RealisticText``).
"""

from __future__ import annotations

import csv
import time
from pathlib import Path

import numpy as np
import torch

from sentiment.audio import SAMPLE_RATE, load_audio
from sentiment.encode import TextEncoder
from sentiment.pipeline import SentimentPipeline
from sentiment.transcribe_ctc import CTCTranscriber


def clips(shared: Path, n: int = 256, seed: int = 0) -> list[np.ndarray]:
    speech = shared / "data" / "speech"
    with open(speech / "tts" / "manifest.csv", newline="") as f:
        paths = [speech / "tts" / r["audio"] for r in csv.DictReader(f)] + sorted((speech / "real").glob("*.wav"))
    audio = np.concatenate([load_audio(p) for p in paths])
    rng = np.random.default_rng(seed)
    out, at = [], 0
    for seconds in rng.uniform(3, 15, n):
        k = int(seconds * SAMPLE_RATE)
        at = 0 if at + k > audio.size else at
        out.append(audio[at:at + k])
        at += k
    return out


def measure(fn, device: str, repeat: int = 3) -> tuple[float, float]:
    """(median seconds, peak GPU GiB) of ``fn()``, after a warm-up call."""
    fn()
    torch.cuda.synchronize(device)
    torch.cuda.reset_peak_memory_stats(device)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        torch.cuda.synchronize(device)
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), torch.cuda.max_memory_allocated(device) / 2 ** 30


def padded_reference(w2v: str, device: str, dtype: torch.dtype, waves: list[np.ndarray], batch: int = 64):
    """wav2vec2-base alone: clips in input order, zero-padded into batches of ``batch``, argmax only."""
    from transformers import Wav2Vec2ForCTC

    model = Wav2Vec2ForCTC.from_pretrained(w2v).eval().to(device, dtype)

    @torch.inference_mode()
    def run():
        for b in range(0, len(waves), batch):
            part = waves[b:b + batch]
            x = torch.zeros(len(part), max(map(len, part)))
            for i, w in enumerate(part):
                x[i, :len(w)] = torch.from_numpy((w - w.mean()) / np.sqrt(w.var() + 1e-7))
            model(x.to(device, dtype)).logits.argmax(-1).cpu()
    return run


def gpu_table(w2v: str, bert: str, head, shared: Path, device: str, realistic) -> None:
    waves = clips(shared)
    seconds = sum(map(len, waves)) / SAMPLE_RATE
    print(f"{len(waves)} clips, {seconds:.0f} s of speech, {torch.cuda.get_device_name(device)}", flush=True)
    rows = []
    for precision in ("fp32", "bf16"):
        pipe = SentimentPipeline(realistic(CTCTranscriber(w2v, device=device, precision=precision)),
                                 TextEncoder(bert, device=device, precision=precision), head.to(device),
                                 stack=f"mission {precision}")
        took, peak = measure(lambda: pipe.predict([(SAMPLE_RATE, w) for w in waves]), device)
        rows.append((f"ours, {precision}: predict on all clips (transcribe + text stage + head)", took, peak))
        del pipe
        torch.cuda.empty_cache()
    for precision, dtype in (("fp32", torch.float32), ("bf16", torch.bfloat16)):
        took, peak = measure(padded_reference(w2v, device, dtype, waves), device)
        rows.append((f"reference: wav2vec2-base alone, padded batches of 64, {precision}", took, peak))
        torch.cuda.empty_cache()
    print("\n| path | time | × real time | GPU memory peak |\n|---|---|---|---|")
    for what, took, peak in rows:
        print(f"| {what} | {took:.2f} s | {seconds / took:,.0f}× | {peak:.1f} GiB |")
