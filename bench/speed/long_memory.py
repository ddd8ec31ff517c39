"""Peak memory of one long recording through the mission stack with random weights (issue 12): random CTC
weights spell out a letter in most frames, so the transcript is pathological (thousands of "words" or one
word of the whole recording), which must not blow memory. Each measurement runs in its own process; the
baseline is transcription alone, in the same run.

    python -m bench long_memory                 # 10 minutes
    python -m bench long_memory --minutes 10 30
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

import numpy as np
import torch

from bench import records
from bench.timing import median_seconds, stopwatch
from sentiment.pipeline import SentimentPipeline
from sentiment.text.encoder import TextEncoder
from sentiment.text.head import HeadInfo, SentimentHead, load_head, save_head
from sentiment.transcribers.ctc import CTCTranscriber
from testkit.memory import in_child
from testkit.models import make_full_size
from testkit import SHARED

def long_recording(w2v: str, bert: str, head: str, minutes: float, what: str) -> tuple[float, str]:
    """In its own process (``in_child``): seconds to transcribe, or to predict on, ``minutes`` of noise."""
    ctc = CTCTranscriber(w2v)
    wave = (0.1 * np.random.default_rng(0).standard_normal(int(minutes * 60 * 16000))).astype(np.float32)
    with stopwatch() as lap:
        if what == "transcribe":
            [t] = ctc.transcribe([wave])
            detail = f"{len(t.text):,} characters, {len(t.words):,} words"
        else:
            pipe = SentimentPipeline(ctc, TextEncoder(bert), load_head(head), stack="mission, random weights",
                                     max_seconds=minutes * 60 + 1)
            r = pipe.predict([(16000, wave)])[0]
            detail = f"{len(r.transcript):,} characters, {len(r.segments)} segments, label {r.label}"
    return lap.seconds, detail


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--minutes", type=float, nargs="+", default=[10.0])
    args = p.parse_args(argv)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        w2v = make_full_size(SHARED / "models" / "wav2vec2-base-960h", Path(tmp) / "w2v", "Wav2Vec2ForCTC")
        bert = make_full_size(SHARED / "models" / "bert-base-uncased", Path(tmp) / "bert", "BertModel")
        torch.manual_seed(0)
        head = save_head(SentimentHead(HeadInfo(encoder=str(bert), hidden_size=768)), Path(tmp) / "head.safetensors")
        env = {"SENTIMENT_CACHE": str(Path(tmp) / "cache")}
        # Warm: the ONNX exports are made once, here, so that no measurement includes an export.
        in_child(long_recording, str(w2v), str(bert), str(head), 0.05, "pipeline", env=env)
        print("\n| recording | what | time | peak RSS | output |\n|---|---|---|---|---|")
        rows = []
        for minutes in args.minutes:
            for what in ("transcribe", "pipeline"):
                (took, detail), rss = in_child(long_recording, str(w2v), str(bert), str(head), minutes, what,
                                               env=env)
                name = "transcription alone (baseline)" if what == "transcribe" else "whole pipeline (predict)"
                rows.append([f"{minutes:g} min", name, f"{took:.1f} s", f"{rss:,.0f} MB", detail])
                print(f"| {' | '.join(rows[-1])} |", flush=True)
        records.table("main", ["recording", "what", "time", "peak RSS", "output"], rows)
        text_stage(bert, env)


def text_stage(bert: Path, env: dict) -> None:
    """What the encoder's unpacked weights (encode.PREPACK = False) cost in speed: 64 transcripts of
    realistic length (19-40 words) through bert-base on ONNX Runtime, median of 5, both ways."""
    from sentiment.text import encoder as encode

    os.environ.update(env)
    words = "the train was late again and the food was awful but the people were kind".split()
    texts = [" ".join((words * 4)[: 19 + i % 22]) for i in range(64)]
    print("\n| encoder weights | text stage, 64 transcripts |\n|---|---|")
    for prepack in (True, False):
        encode.PREPACK = prepack
        encoder = encode.TextEncoder(str(bert))
        took = median_seconds(lambda encoder=encoder: encoder.encode(texts), repeat=5)
        print(f"| {'packed (ONNX Runtime default)' if prepack else 'not packed (ours)'} | {took:.3f} s |", flush=True)
