"""Does a lower precision change the labels? The offline stack's real text encoder (all-mpnet-base-v2,
bundled) and its trained head on sentiment3's test split, in fp32 and in bf16 / fp16: label agreement
and macro-F1 of each. The mission transcriber's agreement needs its real weights (the Hub): bench/speed/gpu.py
gives the random-weight frame agreement.

    python -m bench precision_agreement                 # CPU: fp32 vs bf16
    python -m bench precision_agreement --device cuda   # GPU: fp32 vs bf16 and fp16
"""

from __future__ import annotations

import argparse

import torch


from sentiment.text.encoder import TextEncoder
from sentiment.text.head import load_head
from sentiment.labels import label_id
from sentiment.stacks import resolve_stack
from sentiment.text.normalize import normalize_text
from training.data import load_manifest, split
from training.evaluate import scores
from testkit import ROOT
from bench.timing import Clock

DECIDES = "sentiment.runtime.plan:COMPUTE_TYPES"


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="cpu")
    args = p.parse_args(argv)
    config = resolve_stack("offline", device=args.device)
    head = load_head(config.head, device=args.device)
    test = split(load_manifest(ROOT / "data" / "sentiment3.csv"), "test")
    texts, truth = [normalize_text(e.text) for e in test], [label_id(e.label) for e in test]
    precisions = ("fp32", "bf16", "fp16") if args.device.startswith("cuda") else ("fp32", "bf16")
    labels = {}
    for precision in precisions:
        encoder = TextEncoder(config.encoder, device=args.device, pooling=head.info.pooling, layers=head.info.layers,
                              name=config.encoder_name, adapter=head.adapter, backend="torch", precision=precision)
        t0 = Clock()
        labels[precision] = head.probabilities(encoder.encode(texts).to(args.device)).argmax(-1).cpu().tolist()
        print(f"{precision}: macro-F1 {scores(truth, labels[precision])['macro_f1']:.4f}, "
              f"{t0.seconds:.1f} s", flush=True)
    for precision in precisions[1:]:
        same = sum(a == b for a, b in zip(labels[precision], labels["fp32"]))
        print(f"{precision} labels equal to fp32's: {same}/{len(texts)} ({same / len(texts):.2%}) on {args.device}, "
              f"torch {torch.__version__}")
