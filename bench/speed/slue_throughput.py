"""Measure what the SLUE training run costs on this machine, for the README's time estimate.

Full-size wav2vec2-base-960h and bert-base-uncased with random weights (built from ../shared/models;
compute does not depend on the weights' values): text encoding throughput and ASR real-time factor.

    python -m bench slue_throughput [--device cpu]
"""

import argparse
import tempfile
from pathlib import Path

import numpy as np


from testkit.models import make_full_size
from testkit import SHARED

from sentiment.text.encoder import TextEncoder
from sentiment.transcribers.ctc import CTCTranscriber
from bench.timing import Clock

SLUE = {"fine-tune": (5777, 12.8), "dev": (1454, 3.2), "test": (3553, 7.8)}  # utterances, hours (SLUE paper)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="cpu")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        bert = make_full_size(SHARED / "models" / "bert-base-uncased", Path(tmp) / "bert", "BertModel")
        w2v = make_full_size(SHARED / "models" / "wav2vec2-base-960h", Path(tmp) / "w2v", "Wav2Vec2ForCTC")
        encoder = TextEncoder(str(bert), device=args.device)
        rng = np.random.default_rng(0)
        vocab = "the a i you it was so really movie think know like good bad people just and of to".split()
        texts = [" ".join(rng.choice(vocab, size=int(rng.integers(10, 50)))) for _ in range(256)]  # SLUE-like lengths
        encoder.encode(texts[:32])
        t0 = Clock()
        encoder.encode(texts)
        per_second = len(texts) / (t0.seconds)
        ctc = CTCTranscriber(str(w2v), device=args.device)
        clips = [(0.1 * rng.standard_normal(int(s * 16000))).astype(np.float32) for s in rng.uniform(3, 15, 16)]
        ctc.transcribe(clips[:2])
        t0 = Clock()
        ctc.transcribe(clips)
        rtf = (t0.seconds) / (sum(map(len, clips)) / 16000)
    n_text = sum(n for n, _ in SLUE.values())
    print(f"bert-base features: {per_second:.1f} texts/s -> all {n_text} SLUE texts in "
          f"{n_text / per_second / 60:.1f} min")
    hours = SLUE["test"][1]
    print(f"wav2vec2-base: real-time factor {rtf:.3f} -> SLUE test audio ({hours} h) in {hours * rtf * 60:.0f} min")
