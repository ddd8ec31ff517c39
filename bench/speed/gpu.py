"""The mission stack on a GPU, in one run: ours in fp32 and bf16 against wav2vec2-base alone on plain
padded batches (the references of issue 13), with GPU memory peaks. Called by
``python -m bench mission --device cuda``; about a minute on an H100.

The clips: 256 stretches of 3-15 s of real read speech from ../shared (its spoken sentences and real
recordings, cycled and cut), full-size architectures with random weights (``benchmark.py``), so the text
stage gets transcripts of realistic length (``RealisticText``).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import torch

from sentiment.audio import SAMPLE_RATE, load_audio
from sentiment.text.encoder import TextEncoder
from sentiment.pipeline import SentimentPipeline
from sentiment.transcribers.ctc import CTCTranscriber
from bench.timing import median_seconds
from testkit.memory import gpu_peak_gib


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
    took, peak = gpu_peak_gib(lambda: median_seconds(fn, repeat=repeat, warmup=0, device=device), device)
    return took, peak


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
    sources = [(SAMPLE_RATE, w) for w in waves]
    hour = np.concatenate(waves)[: 3600 * SAMPLE_RATE]
    hour = np.tile(hour, -(-3600 * SAMPLE_RATE // hour.size))[: 3600 * SAMPLE_RATE]
    rows, other, frames = [], [], {}
    for precision in ("fp32", "bf16", "fp16"):
        ctc = CTCTranscriber(w2v, device=device, precision=precision)
        pipe = SentimentPipeline(realistic(ctc), TextEncoder(bert, device=device, precision=precision),
                                 head.to(device), stack=f"mission {precision}")
        took, peak = measure(lambda pipe=pipe: pipe.predict(sources), device)
        rows.append((f"ours, {precision}: predict on all clips (transcribe + text stage + head)", took, peak))
        frames[precision] = np.concatenate(ctc.frame_ids(waves))
        if precision != "fp16":
            took, peak = measure(lambda pipe=pipe: pipe.predict([(SAMPLE_RATE, hour)]), device, repeat=1)
            other.append((f"ours, {precision}: one 60-minute recording", took, peak, 3600))
            took, peak = measure(lambda pipe=pipe: pipe.predict(sources[:1]), device, repeat=5)
            other.append((f"ours, {precision}: one clip of {len(waves[0]) / SAMPLE_RATE:.1f} s, end to end", took,
                          peak, len(waves[0]) / SAMPLE_RATE))
        pipe = ctc = None  # free the GPU memory before the next precision
        torch.cuda.empty_cache()
    for precision, dtype in (("fp32", torch.float32), ("bf16", torch.bfloat16)):
        took, peak = measure(padded_reference(w2v, device, dtype, waves), device)
        rows.append((f"reference: wav2vec2-base alone, padded batches of 64, {precision}", took, peak))
        torch.cuda.empty_cache()
    print("\n| path | time | × real time | GPU memory peak |\n|---|---|---|---|")
    for what, took, peak in rows:
        print(f"| {what} | {took:.2f} s | {seconds / took:,.0f}× | {peak:.1f} GiB |")
    for what, took, peak, length in other:
        print(f"| {what} | {took * 1000:.0f} ms | {length / took:,.0f}× | {peak:.1f} GiB |")
    for precision in ("bf16", "fp16"):
        same = (frames[precision] == frames["fp32"]).mean()
        print(f"CTC frames equal to fp32's, {precision}: {same:.2%} of {frames['fp32'].size:,} (random weights)")
    breakdown(w2v, bert, device, waves, realistic, seconds)


def breakdown(w2v: str, bert: str, device: str, waves: list[np.ndarray], realistic, seconds: float) -> None:
    """Where the bf16 time goes: frames alone by batch size and padding, CTC decoding, the text stage."""
    print("\nbf16 stages on the same clips (median of 3):")
    for batch_seconds in (240, 480, 960, 1920):
        for padding in (0.1, 0.25):
            ctc = CTCTranscriber(w2v, device=device, precision="bf16", batch_seconds=batch_seconds,
                                 max_padding=padding)
            took, peak = measure(lambda ctc=ctc: ctc.frame_ids(waves), device)
            print(f"  frames only, batches of {batch_seconds} s, padding <= {padding:.0%}: {took:.3f} s "
                  f"({seconds / took:,.0f}x), {peak:.1f} GiB")
    for tf32 in (False, True):
        torch.backends.cuda.matmul.allow_tf32 = tf32
        ctc32 = CTCTranscriber(w2v, device=device)
        took, peak = measure(lambda ctc32=ctc32: ctc32.frame_ids(waves), device)
        print(f"  frames only, fp32, TF32 matmuls {'on' if tf32 else 'off'}: {took:.3f} s ({seconds / took:,.0f}x)")
    torch.backends.cuda.matmul.allow_tf32 = False
    ids = ctc.frame_ids(waves)
    took, _ = measure(lambda: [ctc.decode(i) for i in ids], device)
    print(f"  CTC decoding of {len(ids)} clips on the CPU: {took:.3f} s")
    texts = [t.text for t in realistic(ctc).transcribe(waves)]
    encoder = TextEncoder(bert, device=device, precision="bf16")
    took, _ = measure(lambda: encoder.encode(texts), device)
    print(f"  text stage, {len(texts)} transcripts of {np.mean([len(t.split()) for t in texts]):.0f} words: "
          f"{took:.3f} s")
