"""A probe for issue 19, run by hand: does fine-tuning the offline stack's text model pay, and what does an
epoch cost on this machine? LoRA adapters (peft) on MPNet's attention (q, k, v, o of all 12 layers) and the
committed head (warm start; with ``--hold-out``, a head trained the same way without that source), trained
together on sentiment3's train split with the class-weighted loss; macro-F1 on dev and test after each
epoch, and the time. Not yet the product's training command: nothing is
saved, and the pipeline still runs the frozen encoder.

    pip install peft==0.21.2                        # not in the requirements yet
    python bench/finetune_probe.py --epochs 2 --rank 8 --lr 5e-4
    python bench/finetune_probe.py --hold-out tweets   # train and select without a source, test on all of it
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
import time
from pathlib import Path

import torch
from sklearn.metrics import f1_score

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sentiment.labels import label_id  # noqa: E402
from sentiment.runtime import bundled  # noqa: E402
from sentiment.text.head import load_head  # noqa: E402
from sentiment.text.normalize import normalize_text  # noqa: E402
from training.train import class_weights  # noqa: E402

BATCH, HEAD_LR, WARMUP, MAX_TOKENS = 16, 1e-3, 50, 128


def load(hold_out: str | None) -> dict[str, tuple[list[str], torch.Tensor]]:
    with open(ROOT / "data" / "sentiment3.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    seen = lambda r, split: r["split"] == split and r["source"] != hold_out  # noqa: E731
    parts = {"train": [r for r in rows if seen(r, "train")], "dev": [r for r in rows if seen(r, "dev")],
             "test": [r for r in rows if r["source"] == hold_out] if hold_out else
             [r for r in rows if r["split"] == "test"]}
    return {k: ([normalize_text(r["text"]) for r in v], torch.tensor([label_id(r["label"]) for r in v]))
            for k, v in parts.items()}


def warm_head(data: dict, hold_out: str | None):
    """The head to start from: the committed one; with ``hold_out``, one trained the committed way on frozen
    features without that source (as ``training.transfer`` does), so that nothing of it has been seen."""
    if not hold_out:
        return load_head(ROOT / "sentiment" / "heads" / "offline.safetensors")
    from sentiment.registry import STACK_DEFAULTS
    from sentiment.stacks import resolve_stack
    from sentiment.text.encoder import TextEncoder
    from sentiment.text.head import HeadInfo
    from training.features import features
    from training.train import train_head

    config, defaults = resolve_stack("offline", require_head=False), STACK_DEFAULTS["offline"]
    encoder = TextEncoder(config.encoder, config.encoder_runtime, pooling=defaults["pooling"],
                          layers=defaults["layers"], name=config.encoder_name)
    x = {k: features(encoder, data[k][0], ROOT / ".cache", name=k) for k in ("train", "dev")}
    info = HeadInfo(encoder=encoder.name, hidden_size=encoder.hidden_size, pooling=defaults["pooling"],
                    layers=tuple(defaults["layers"]))
    head, _ = train_head(x["train"], data["train"][1], x["dev"], data["dev"][1], info)
    return head


def main() -> None:
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModel, AutoTokenizer

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--rank", type=int, default=8, help="LoRA rank (alpha = 2 x rank)")
    p.add_argument("--lr", type=float, default=5e-4, help="the adapters' peak learning rate (the head's: 1e-3)")
    p.add_argument("--hold-out", choices=("amazonReviewSnippets", "nytEditorialSnippets", "tweets"))
    args = p.parse_args()
    torch.manual_seed(0)
    data = load(args.hold_out)
    folder = str(bundled.mpnet())
    tokenizer = AutoTokenizer.from_pretrained(folder)
    encoder = get_peft_model(AutoModel.from_pretrained(folder), LoraConfig(
        r=args.rank, lora_alpha=2 * args.rank, lora_dropout=0.1, target_modules=["q", "k", "v", "o"]))
    head = warm_head(data, args.hold_out).train()

    def features(texts: list[str]) -> torch.Tensor:  # the offline stack's pooling: mean of the last 4 layers
        t = tokenizer(texts, padding=True, truncation=True, max_length=MAX_TOKENS, return_tensors="pt")
        hidden = torch.stack(encoder(**t, output_hidden_states=True).hidden_states[-4:]).mean(0)
        mask = t["attention_mask"].unsqueeze(-1).float()
        return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1)

    @torch.no_grad()
    def macro_f1(texts: list[str], y: torch.Tensor) -> float:
        encoder.eval(), head.eval()
        order, predicted = sorted(range(len(texts)), key=lambda i: len(texts[i])), torch.empty(len(texts), dtype=torch.long)
        for b in range(0, len(order), 64):
            predicted[order[b:b + 64]] = head(features([texts[i] for i in order[b:b + 64]])).argmax(1)
        encoder.train(), head.train()
        return float(f1_score(y, predicted, average="macro"))

    texts, y = data["train"]
    steps = args.epochs * math.ceil(len(texts) / BATCH)
    optimizer = torch.optim.AdamW([{"params": [q for q in encoder.parameters() if q.requires_grad], "lr": args.lr},
                                   {"params": head.parameters(), "lr": HEAD_LR}], weight_decay=0.01)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: min(1.0, s / WARMUP) * max(0.0, 1 - s / steps))
    loss_fn = torch.nn.CrossEntropyLoss(weight=class_weights(y, 3))
    trainable = sum(q.numel() for q in encoder.parameters() if q.requires_grad)
    print(f"train {len(texts):,} / dev {len(data['dev'][0]):,} / test {len(data['test'][0]):,} "
          f"({args.hold_out or 'all sources'}); LoRA rank {args.rank}: {trainable:,} parameters; "
          f"{torch.get_num_threads()} threads", flush=True)
    print(f"before: dev {macro_f1(*data['dev']):.4f} test {macro_f1(*data['test']):.4f}", flush=True)
    t0 = time.time()
    for epoch in range(args.epochs):
        g = torch.Generator().manual_seed(epoch)  # batches of similar length (less padding), in random order
        perm = torch.randperm(len(texts), generator=g).tolist()
        pools = [sorted(perm[i:i + BATCH * 50], key=lambda j: len(texts[j])) for i in range(0, len(perm), BATCH * 50)]
        batches = [pool[i:i + BATCH] for pool in pools for i in range(0, len(pool), BATCH)]
        for k in torch.randperm(len(batches), generator=g).tolist():
            loss = loss_fn(head(features([texts[i] for i in batches[k]])), y[batches[k]])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
        print(f"epoch {epoch + 1}: dev {macro_f1(*data['dev']):.4f} test {macro_f1(*data['test']):.4f} "
              f"({time.time() - t0:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
