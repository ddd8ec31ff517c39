"""Soft targets from sentiment3's ratings against one-hot labels, on the frozen MPNet features (run by hand).

    python -m bench soft_labels [--seeds 0 1 2] [--scales 0 0.1 0.2 0.3 0.5]

sentiment3's labels are cut from a mean rating at -0.5 and +0.5, so a sentence rated 0.55 is "Positive" as
surely as one rated 3. ``TrainConfig.soft_labels`` teaches the head how far past a threshold each sentence is
(``training.train.soft_targets``); this trains the frozen-feature head (``training.run``'s first stage, features
from its cache) for each scale and seed and prints dev and test macro-F1, so the default can be checked.
"""

from __future__ import annotations

import argparse
from dataclasses import replace

import torch
from sklearn.metrics import f1_score


from sentiment.labels import label_id
from sentiment.registry import STACK_DEFAULTS
from sentiment.runtime.plan import plan
from sentiment.stacks import resolve_stack
from sentiment.text.encoder import TextEncoder
from sentiment.text.head import HeadInfo
from training.data import load_text, split
from training.features import features
from training.train import TrainConfig, best_epoch, soft_targets, train_head
from testkit import ROOT

DECIDES = "training.train:TrainConfig.soft_labels"


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--scales", type=float, nargs="+", default=[0.0, 0.1, 0.2, 0.3, 0.5])
    args = p.parse_args(argv)
    config = resolve_stack("offline", require_head=False)
    config = replace(config, encoder_runtime=plan("encoder", config.encoder_name, device="cpu", precision="fp32"))
    pooling, layers = STACK_DEFAULTS["offline"]["pooling"], tuple(STACK_DEFAULTS["offline"]["layers"])
    encoder = TextEncoder(config.encoder, config.encoder_runtime, pooling=pooling, layers=layers,
                          name=config.encoder_name)
    rows = load_text(ROOT / "data" / "sentiment3.csv")
    x, y, ratings = {}, {}, {}
    for s in ("train", "dev", "test"):  # the same order and cache as training.run
        part = split(rows, s)
        x[s] = features(encoder, [e.text for e in part], ROOT / ".cache", name=s)
        y[s] = torch.tensor([label_id(e.label) for e in part])
        ratings[s] = [e.rating for e in part]
    info = HeadInfo(encoder=encoder.name, hidden_size=encoder.hidden_size, pooling=pooling, layers=layers)
    print("| seed | soft_labels | dev macro-F1 | test macro-F1 |\n|---|---|---|---|")
    for seed in args.seeds:
        for scale in args.scales:
            cfg = TrainConfig(seed=seed, soft_labels=scale)
            soft = soft_targets(y["train"], ratings["train"], scale)
            head, history = train_head(x["train"], y["train"], x["dev"], y["dev"], HeadInfo(**vars(info)), cfg,
                                       soft=soft)
            test = f1_score(y["test"], head.probabilities(x["test"]).argmax(1), average="macro")
            print(f"| {seed} | {scale:g} | {best_epoch(history)['dev_macro_f1']:.3f} | {test:.3f} |", flush=True)
