"""Peak memory of one long recording through the mission stack with random weights (issue 12): random CTC
weights spell out a letter in most frames, so the transcript is pathological (thousands of "words" or one
word of the whole recording), which must not blow memory. Each measurement runs in its own process; the
baseline is transcription alone, in the same run.

    python bench/long_memory.py                 # 10 minutes
    python bench/long_memory.py --minutes 10 30
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sentiment.text.head import HeadInfo, SentimentHead, save_head  # noqa: E402
from training.testing import make_full_size  # noqa: E402
from training.shared import SHARED  # noqa: E402

PROBE = """
import sys, time, numpy as np
from pathlib import Path
from sentiment.text.encoder import TextEncoder
from sentiment.text.head import load_head
from sentiment.pipeline import SentimentPipeline
from sentiment.transcribers.ctc import CTCTranscriber
w2v, bert, head, minutes, what = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), sys.argv[5]
ctc = CTCTranscriber(w2v)
wave = (0.1 * np.random.default_rng(0).standard_normal(int(minutes * 60 * 16000))).astype(np.float32)
t0 = time.perf_counter()
if what == "transcribe":
    [t] = ctc.transcribe([wave])
    detail = f"{len(t.text):,} characters, {len(t.words):,} words"
else:
    pipe = SentimentPipeline(ctc, TextEncoder(bert), load_head(head), stack="mission, random weights",
                             max_seconds=minutes * 60 + 1)
    r = pipe.predict([(16000, wave)])[0]
    detail = f"{len(r.transcript):,} characters, {len(r.segments)} segments, label {r.label}"
took = time.perf_counter() - t0
hwm = [l for l in Path('/proc/self/status').read_text().splitlines() if l.startswith('VmHWM')][0].split()[1]
print(f"{took:.1f}|{int(hwm) / 1024:.0f}|{detail}")
"""


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--minutes", type=float, nargs="+", default=[10.0])
    args = p.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        w2v = make_full_size(SHARED / "models" / "wav2vec2-base-960h", Path(tmp) / "w2v", "Wav2Vec2ForCTC")
        bert = make_full_size(SHARED / "models" / "bert-base-uncased", Path(tmp) / "bert", "BertModel")
        torch.manual_seed(0)
        head = save_head(SentimentHead(HeadInfo(encoder=str(bert), hidden_size=768)), Path(tmp) / "head.safetensors")
        env = {**os.environ, "SENTIMENT_CACHE": str(Path(tmp) / "cache")}
        # Warm: the ONNX exports are made once, here, so that no measurement includes an export.
        subprocess.run([sys.executable, "-c", PROBE, str(w2v), str(bert), str(head), "0.05", "pipeline"],
                       capture_output=True, text=True, cwd=ROOT, env=env, check=True)
        print("\n| recording | what | time | peak RSS | output |\n|---|---|---|---|---|")
        for minutes in args.minutes:
            for what in ("transcribe", "pipeline"):
                out = subprocess.run([sys.executable, "-c", PROBE, str(w2v), str(bert), str(head), str(minutes), what],
                                     capture_output=True, text=True, cwd=ROOT, env=env)
                if out.returncode:
                    raise SystemExit(out.stderr[-3000:])
                took, rss, detail = out.stdout.strip().splitlines()[-1].split("|")
                name = "transcription alone (baseline)" if what == "transcribe" else "whole pipeline (predict)"
                print(f"| {minutes:g} min | {name} | {took} s | {int(rss):,} MB | {detail} |", flush=True)
        text_stage(bert, env)


def text_stage(bert: Path, env: dict) -> None:
    """What the encoder's unpacked weights (encode.PREPACK = False) cost in speed: 64 transcripts of
    realistic length (19-40 words) through bert-base on ONNX Runtime, median of 5, both ways."""
    import statistics
    import time

    from sentiment.text.normalize import encoder as encode

    os.environ.update(env)
    words = "the train was late again and the food was awful but the people were kind".split()
    texts = [" ".join((words * 4)[: 19 + i % 22]) for i in range(64)]
    print("\n| encoder weights | text stage, 64 transcripts |\n|---|---|")
    for prepack in (True, False):
        encode.PREPACK = prepack
        encoder = encode.TextEncoder(str(bert))
        encoder.encode(texts)
        times = []
        for _ in range(5):
            t0 = time.perf_counter()
            encoder.encode(texts)
            times.append(time.perf_counter() - t0)
        print(f"| {'packed (ONNX Runtime default)' if prepack else 'not packed (ours)'} | "
              f"{statistics.median(times):.3f} s |", flush=True)


if __name__ == "__main__":
    main()
