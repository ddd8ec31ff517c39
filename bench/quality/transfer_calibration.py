"""Can one temperature make the head's confidences hold on a source it never saw? For each source of sentiment3
left out, the frozen head trained on the other two, its temperature fitted (a) not at all, (b) on the dev rows
it was selected on (what training.run does), (c) on out-of-source predictions among the training sources only
(a head on one of them predicting the other: nested, so the source left out is never looked at); the
expected calibration error on every row of the source left out. Frozen MPNet features (cached by training.run).

    python -m bench transfer_calibration        # ~4 min on 2 cores
"""
import logging
from dataclasses import asdict

import torch


from sentiment.labels import label_id
from sentiment.stacks import resolve_stack
from sentiment.text.encoder import TextEncoder
from sentiment.text.head import HeadInfo
from training import data as datasets
from training.features import features
from training.train import TrainConfig, soft_targets, train_head
from training.calibrate import fit_temperature, reliability
from testkit import ROOT
LAYERS = (-4, -3, -2, -1)


def main(argv: list[str] | None = None) -> None:
    logging.disable(logging.WARNING)
    examples = datasets.load_text(datasets.stack_data("offline")["data"])
    config = resolve_stack("offline", require_head=False)
    encoder = TextEncoder(config.encoder, config.encoder_runtime, pooling="mean", layers=LAYERS,
                          name=config.encoder_name)
    order = [e for s in ("train", "dev", "test") for e in datasets.split(examples, s)]
    x = torch.cat([features(encoder, [e.text for e in datasets.split(examples, s)], ROOT / ".cache", name=s)
                   for s in ("train", "dev", "test")])
    y = torch.tensor([label_id(e.label) for e in order])
    soft = soft_targets(y, [e.rating for e in order], TrainConfig().soft_labels)
    info = HeadInfo(encoder=encoder.name, hidden_size=encoder.hidden_size, pooling="mean", layers=LAYERS)
    mask = lambda keep: torch.tensor([keep(e) for e in order])

    def head_on(sources):
        train, dev = mask(lambda e: e.split == "train" and e.source in sources), mask(
            lambda e: e.split == "dev" and e.source in sources)
        head, _ = train_head(x[train], y[train], x[dev], y[dev], HeadInfo(**asdict(info)), TrainConfig(),
                             soft=soft[train])
        return head.eval(), dev

    print("| source left out | temperature | T | ECE on the source left out |\n|---|---|---|---|")
    sources = sorted({e.source for e in order})
    for left_out in sources:
        rest = [s for s in sources if s != left_out]
        head, dev = head_on(rest)
        test = mask(lambda e, left_out=left_out: e.source == left_out)
        with torch.no_grad():
            dev_logits, test_logits = head(x[dev]), head(x[test])
        logits, truth = [], []  # nested: a head on one training source, predicting the other's dev and test rows
        for one in rest:
            other = next(s for s in rest if s != one)
            single, _ = head_on([one])
            rows = mask(lambda e, other=other: e.source == other and e.split != "train")
            with torch.no_grad():
                logits.append(single(x[rows]))
            truth.append(y[rows])
        t_dev, t_out = fit_temperature(dev_logits, y[dev]), fit_temperature(torch.cat(logits), torch.cat(truth))
        for name, t in (("none", 1.0), ("dev rows seen (training.run)", t_dev), ("out-of-source, nested", t_out)):
            ece = reliability(torch.softmax(test_logits / t, 1), y[test])["ece"]
            print(f"| {left_out} | {name} | {t:.3f} | {ece:.4f} |", flush=True)
