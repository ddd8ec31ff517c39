"""Speed and memory of the prediction path, each figure beside a baseline measured in the same run.

    python -m bench mission                      # the whole table (about 30 min on 2 CPU cores)
    python -m bench mission --long-minutes 10    # skip the 60-minute recording
    python -m bench mission --device cuda        # the GPU table: ours fp32 / bf16 against padded batches

"ours" is the product's path: ONNX Runtime fp32 on a CPU (exported once, cached), batched and chunked;
"int8" is the opt-in precision, with its agreement with fp32 measured in the same run.

The mission stack is timed with full-size architectures and random weights built from ../shared/models
(wav2vec2-base-960h, bert-base-uncased): compute does not depend on the weights' values, so the
timings hold for the real models. Run by hand; never a timed test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch


from testkit.models import make_full_size
from testkit import SHARED

from sentiment.audio import SAMPLE_RATE, load_audio
from sentiment.text.encoder import TextEncoder
from sentiment.text.head import HeadInfo, SentimentHead, save_head
from sentiment.pipeline import SentimentPipeline, load_pipeline
from sentiment.transcribers.ctc import CTCTranscriber
from bench.timing import median_seconds, stopwatch
from testkit.memory import in_child

REAL = SHARED / "data" / "speech" / "real"
WORDS_PER_SECOND = 2.87  # the read speech in ../shared/data/speech/real: 71 words in 24.7 s
ROWS: list[tuple[str, str, str, str]] = []


def spoken_text(seconds: float) -> str:
    """A transcript as long as a real one for ``seconds`` of read speech. Random CTC weights spell out
    hundreds of characters of noise, which would inflate the text stage; its cost depends on the
    transcript's length, so both sides of each comparison get text of realistic length."""
    with open(REAL / "transcripts.csv") as f:
        words = " ".join(line.split(",", 1)[1].strip() for line in list(f)[1:]).split()
    n = max(1, round(seconds * WORDS_PER_SECOND))
    return " ".join((words * (n // len(words) + 1))[:n])


class RealisticText:
    """A transcriber that does the full CTC work, then answers with text of realistic length."""

    def __init__(self, inner: CTCTranscriber):
        self.inner, self.name = inner, inner.name

    def transcribe(self, waves):
        from sentiment.transcribers import Transcript
        self.inner.transcribe(waves)
        return [Transcript(spoken_text(len(w) / SAMPLE_RATE)) for w in waves]


def row(what: str, value: str, baseline: str = "", ratio: str = "") -> None:
    ROWS.append((what, value, baseline, ratio))
    print(f"  {what}: {value}  {baseline}  {ratio}", flush=True)


class Naive:
    """How the replaced system predicted: one clip at a time, processor → CTC → decode → BERT → head."""

    def __init__(self, w2v: str, bert: str, head: SentimentHead, device: str):
        from transformers import AutoModel, AutoTokenizer, Wav2Vec2ForCTC, Wav2Vec2Processor
        self.processor = Wav2Vec2Processor.from_pretrained(w2v)
        self.ctc = Wav2Vec2ForCTC.from_pretrained(w2v).eval().to(device)
        self.tokenizer = AutoTokenizer.from_pretrained(bert)
        self.bert = AutoModel.from_pretrained(bert).eval().to(device)
        self.head, self.device = head.to(device), device

    @torch.inference_mode()
    def __call__(self, wave: np.ndarray) -> int:
        inputs = self.processor(wave, sampling_rate=SAMPLE_RATE, return_tensors="pt").to(self.device)
        ids = self.ctc(inputs.input_values).logits.argmax(-1)
        self.processor.batch_decode(ids)
        text = spoken_text(len(wave) / SAMPLE_RATE)  # as RealisticText does for the pipeline
        batch = self.tokenizer([text], return_tensors="pt", truncation=True).to(self.device)
        states = self.bert(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).float()
        return int(self.head((states * mask).sum(1) / mask.sum(1)).argmax())


def clip_of(seconds: float) -> np.ndarray:
    """Real read speech from ../shared, concatenated and cut to ``seconds``."""
    pieces = [load_audio(p) for p in sorted(REAL.glob("sense_and_sensibility_*.wav"))]
    wave = np.concatenate(pieces * int(np.ceil(seconds * SAMPLE_RATE / sum(map(len, pieces)))))
    return wave[: int(seconds * SAMPLE_RATE)]


def long_recording(model: str, minutes: float, device: str) -> float:
    """In its own process (``in_child``): seconds to transcribe ``minutes`` of noise."""
    t = CTCTranscriber(model, device=device, backend="auto" if device == "cpu" else "torch")
    wave = (0.1 * np.random.default_rng(0).standard_normal(int(minutes * 60 * SAMPLE_RATE))).astype(np.float32)
    with stopwatch() as lap:
        t.transcribe([wave])
    return lap.seconds


def first_prediction(w2v: str, bert: str, head: str, device: str, wav: str, precision: str) -> float:
    """In a fresh process: load the pipeline, predict once; the moment of that prediction (epoch seconds)."""
    pipe = load_pipeline("offline", transcriber="wav2vec2", asr_model=w2v, encoder=bert, head=head, device=device,
                         precision=precision)
    pipe(wav)
    return time.time()


def agreement(w2v: str, device: str) -> None:
    """int8 against fp32: CTC argmax per frame on real speech (full-size wav2vec2, random weights)."""
    wave = np.concatenate([load_audio(p) for p in sorted(REAL.glob("*.wav"))])
    fp32, int8 = (CTCTranscriber(w2v, device=device, precision=p) for p in ("fp32", "int8"))
    a, b = (t.frame_ids([wave])[0] for t in (fp32, int8))
    row(f"int8 vs fp32: CTC argmax, {len(a)} frames of real speech", f"{(a == b).mean():.1%} of frames agree",
        "full-size wav2vec2-base, random weights", "")
    # The real text encoders' int8 agreement: bench/studies/int8_agreement.py (int8 is refused for them, docs/speed.md).


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="cpu")
    p.add_argument("--long-minutes", type=float, nargs="*", default=[10, 60], help="long recordings (minutes)")
    p.add_argument("--clips", type=int, default=32, help="clips in the batch-throughput test")
    p.add_argument("--skip", nargs="*", default=[], choices=("agreement", "batch", "cold", "offline", "seed"),
                   help="leave rows out")
    args = p.parse_args(argv)
    cpu = args.device == "cpu"
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, device {args.device}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["SENTIMENT_CACHE"] = str(Path(tmp) / "cache")  # every export is made, and timed, in this run
        w2v = str(make_full_size(SHARED / "models" / "wav2vec2-base-960h", Path(tmp) / "w2v", "Wav2Vec2ForCTC"))
        bert = str(make_full_size(SHARED / "models" / "bert-base-uncased", Path(tmp) / "bert", "BertModel"))
        torch.manual_seed(0)
        head = SentimentHead(HeadInfo(encoder=bert, hidden_size=768))
        head_path = str(save_head(head, Path(tmp) / "head.safetensors"))
        if args.device.startswith("cuda"):  # the GPU table of issue 13, then nothing else
            from bench.speed.gpu import gpu_table
            gpu_table(w2v, bert, head, SHARED, args.device, RealisticText)
            return

        def mission(precision: str = "fp32", backend: str = "auto") -> SentimentPipeline:
            backend = backend if cpu else "torch"
            return SentimentPipeline(
                RealisticText(CTCTranscriber(w2v, device=args.device, backend=backend, precision=precision)),
                TextEncoder(bert, device=args.device, backend=backend, precision=precision), head,
                stack=f"mission {backend} {precision}")

        with stopwatch() as export:
            pipe = mission()
        row("first start only: ONNX export of both models", f"{export.seconds:.1f} s",
            "cached on disk afterwards", "")
        eager = mission(backend="torch")
        pipe8 = mission("int8") if cpu else None
        naive = Naive(w2v, bert, head, args.device)
        clip = clip_of(9.0)
        wav = Path(tmp) / "clip.wav"
        import soundfile as sf
        sf.write(wav, clip, SAMPLE_RATE)
        seconds = len(clip) / SAMPLE_RATE

        print("warm latency, one 9 s clip", flush=True)
        base = median_seconds(lambda: naive(clip))
        ours = median_seconds(lambda: pipe(str(wav)))
        naive_cell = f"naive loop {base:.2f} s (RTF {base / seconds:.3f})"
        row("mission pipeline, warm, 9 s clip (ours, fp32)", f"{ours:.2f} s (RTF {ours / seconds:.3f})", naive_cell,
            f"{base / ours:.2f}x")
        if cpu:
            e = median_seconds(lambda: eager(str(wav)))
            row("  same, our code on eager PyTorch", f"{e:.2f} s (RTF {e / seconds:.3f})", naive_cell,
                f"{base / e:.2f}x")
            q = median_seconds(lambda: pipe8(str(wav)))
            row("  same, opt-in int8", f"{q:.2f} s (RTF {q / seconds:.3f})", naive_cell, f"{base / q:.2f}x")

        if "seed" not in args.skip:
            per_request = median_seconds(lambda: Naive(w2v, bert, head, args.device)(clip), repeat=2)
            row("per request, models loaded once (ours)", f"{ours:.2f} s",
                f"seed style (load, predict, discard) {per_request:.2f} s", f"{per_request / ours:.1f}x")

        if "batch" not in args.skip:
            print(f"batch throughput, {args.clips} clips of 3-15 s", flush=True)
            rng = np.random.default_rng(0)
            clips = [clip_of(s) for s in rng.uniform(3, 15, args.clips)]
            audio = sum(map(len, clips)) / SAMPLE_RATE
            loop = median_seconds(lambda: [naive(c) for c in clips], repeat=1)
            batched = median_seconds(lambda: pipe.predict([(SAMPLE_RATE, c) for c in clips]), repeat=1)
            single = median_seconds(lambda: [pipe.predict([(SAMPLE_RATE, c)]) for c in clips], repeat=1)
            row(f"batch of {args.clips} clips ({audio:.0f} s of audio), ours", f"{audio / batched:.1f} s audio/s",
                f"unbatched naive loop {audio / loop:.1f} s audio/s", f"{loop / batched:.2f}x")
            row("  ours one clip at a time", f"{audio / single:.1f} s audio/s", f"ours batched {audio / batched:.1f}",
                f"{single / batched:.2f}x")
            if pipe8 is not None:
                b8 = median_seconds(lambda: pipe8.predict([(SAMPLE_RATE, c) for c in clips]), repeat=1)
                row("  same batch, opt-in int8", f"{audio / b8:.1f} s audio/s",
                    f"unbatched naive loop {audio / loop:.1f} s audio/s", f"{loop / b8:.2f}x")

        if "cold" not in args.skip:
            print("cold start", flush=True)
            for precision in ("fp32", "int8") if cpu else ("fp32",):
                starts = []
                for _ in range(3):
                    start = time.time()
                    first, _ = in_child(first_prediction, w2v, bert, head_path, args.device, str(wav), precision)
                    starts.append(first - start)
                row(f"cold start, {precision}: process start to first prediction (median of 3)",
                    f"{statistics.median(starts):.1f} s",
                    "models and exports on local disk", "")

        if "offline" not in args.skip:
            offline = load_pipeline("offline", device=args.device)
            off = median_seconds(lambda: offline(str(wav)))
            row("offline stack, warm, same clip", f"{off:.2f} s (RTF {off / seconds:.3f})", f"mission {ours:.2f} s",
                f"{ours / off:.2f}x")

        if cpu and "agreement" not in args.skip:
            print("int8 agreement", flush=True)
            agreement(w2v, args.device)

        # The long recordings run last, each in its own process.
        for minutes in args.long_minutes:
            print(f"{minutes:g}-minute recording", flush=True)
            took, rss = in_child(long_recording, w2v, minutes, args.device)
            row(f"{minutes:g}-minute recording, transcription", f"{took:.0f} s (RTF {took / minutes / 60:.3f})",
                f"peak RSS {rss:.0f} MB", "")


    print("\n| measurement | value | baseline (same run) | ratio |\n|---|---|---|---|")
    for r in ROWS:
        print("| " + " | ".join(r) + " |")
