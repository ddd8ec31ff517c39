"""Fine-tune the text encoder with the head: LoRA adapters (peft) on the attention of every layer, trained
together with a head that starts from the frozen-encoder head (``train.train_head``).

One readable loop: class-weighted cross-entropy, AdamW (adapters and head at their own rates), linear
warm-up then linear decay, batches of similar length (less padding) in random order, dev macro-F1 after each
epoch and the best epoch's weights kept. The adapters go into the head's checkpoint (``SentimentHead.adapter``),
so that the product merges them into the bundled base weights when it loads (``sentiment/text/adapter.py``).
Figures: docs/training.md (the first probe, since removed: bench/results/finetune-probe-2026-12-02.json).
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import asdict, dataclass, replace

import torch
from sklearn.metrics import accuracy_score, f1_score
from tqdm import tqdm

from sentiment.runtime.hub import from_pretrained
from sentiment.text.adapter import Adapter, lora_config
from sentiment.text.encoder import Pooled
from sentiment.text.head import SentimentHead
from sentiment.text.normalize import normalize_text

from .train import class_weights

METHODS = ("off", "lora")  # how a recipe treats the encoder: frozen, or LoRA adapters trained with the head
TARGETS = {"mpnet": ("q", "k", "v", "o"), "bert": ("query", "key", "value")}  # attention projections, by model type
FEED_FORWARD = ("intermediate.dense",
                "output.dense")  # both model types' feed-forward layers (and BERT's attention output)
MODULES = ("attention", "all")  # --finetune-modules: the attention projections, or those and the feed-forward


def target_modules(model_type: str, modules: str = "attention") -> tuple[str, ...]:
    """The LoRA targets of a model type: its attention projections, with ``all`` its feed-forward layers too."""
    if model_type not in TARGETS:
        raise ValueError(f"No LoRA targets known for {model_type} models; known: {', '.join(TARGETS)}")
    if modules not in MODULES:
        raise ValueError(f"modules must be one of {', '.join(MODULES)}, not {modules!r}")
    return TARGETS[model_type] + (FEED_FORWARD if modules == "all" else ())


def add_arguments(group) -> None:
    """The fine-tuning options ``training.run`` and ``training.transfer`` share (argparse group)."""
    group.add_argument("--finetune-epochs", type=int, default=FinetuneConfig.epochs, help="(default %(default)s)")
    group.add_argument("--finetune-rank", type=int, default=FinetuneConfig.rank,
                       help="LoRA rank; alpha is twice it (default %(default)s)")
    group.add_argument("--finetune-lr", type=float, default=FinetuneConfig.lr,
                       help="the adapters' learning rate (default %(default)s)")
    group.add_argument("--finetune-modules", choices=MODULES, default=FinetuneConfig.modules,
                       help="adapters on the attention projections, or on those and the feed-forward layers "
                       "(default %(default)s)")


def config_from_args(args) -> FinetuneConfig:
    return FinetuneConfig(epochs=args.finetune_epochs, rank=args.finetune_rank, alpha=2 * args.finetune_rank,
                          lr=args.finetune_lr, modules=args.finetune_modules)


@dataclass(frozen=True)
class FinetuneConfig:
    rank: int = 8  # 590k parameters on MPNet (2.4 MB), the probe's choice
    alpha: int = 16
    dropout: float = 0.1
    modules: str = "attention"  # which layers get adapters (MODULES), when target_modules is None
    target_modules: tuple[str, ...] | None = None  # None: the model type's, by ``modules``
    epochs: int = 2  # dev macro-F1 rose over both in the probe; the best epoch is kept
    lr: float = 5e-4  # adapters
    head_lr: float = 1e-3
    weight_decay: float = 0.01
    batch_size: int = 16
    warmup_steps: int = 50
    max_tokens: int = 128  # sentiment3's longest sentence is under 100 tokens
    seed: int = 0


def finetune(base: str, name: str, base_sha256: str, head: SentimentHead, train: tuple[list[str], torch.Tensor],
             dev: tuple[list[str], torch.Tensor], config: FinetuneConfig = FinetuneConfig(),
             soft: torch.Tensor | None = None) -> tuple[SentimentHead, list[dict], FinetuneConfig]:
    """A copy of ``head`` trained with adapters on ``base`` (Hub id or folder; ``name`` its identity), carrying
    the adapters of the best dev epoch; the history (train/dev loss, dev macro-F1 per epoch); the config as
    run (its target modules filled in). ``soft``: (n, 3) soft targets of the train rows (``train.soft_targets``)."""
    from peft import get_peft_model, get_peft_model_state_dict
    from transformers import AutoModel, AutoTokenizer

    torch.manual_seed(config.seed)
    tokenizer = from_pretrained(AutoTokenizer, base)
    model = from_pretrained(AutoModel, base)
    if config.target_modules is None:
        config = replace(config, target_modules=target_modules(model.config.model_type, config.modules))
    model = get_peft_model(model, lora_config(config.rank, config.alpha, config.target_modules, config.dropout))
    pooled = Pooled(model, head.info.pooling, head.info.layers)
    head = copy.deepcopy(head)
    texts, y = [normalize_text(t) for t in train[0]], train[1]
    targets = y if soft is None else soft
    dev_texts = [normalize_text(t) for t in dev[0]]

    def forward(batch: list[str]) -> torch.Tensor:
        t = tokenizer(batch, padding=True, truncation=True, max_length=config.max_tokens, return_tensors="pt")
        return head(pooled(t["input_ids"], t["attention_mask"], t.get("token_type_ids")))

    steps = config.epochs * math.ceil(len(texts) / config.batch_size)
    adapters = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW([{"params": adapters, "lr": config.lr},
                                   {"params": head.parameters(), "lr": config.head_lr}],
                                  weight_decay=config.weight_decay)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min(1.0, (s + 1) / config.warmup_steps) * max(0.0, 1 - s / steps))
    loss_fn = torch.nn.CrossEntropyLoss(weight=class_weights(y, len(head.info.labels)))
    history, best, t0 = [], None, time.perf_counter()
    for epoch in range(1, config.epochs + 1):
        model.train(), head.train()
        total, window, curve = 0.0, [], []
        batches = length_batches([len(t) for t in texts], config.batch_size, seed=config.seed + epoch)
        for k, idx in enumerate(tqdm(batches, desc=f"fine-tuning, epoch {epoch}/{config.epochs}", unit="batch"), 1):
            loss = loss_fn(forward([texts[i] for i in idx]), targets[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            total += loss.item() * len(idx)
            window.append(loss.item())
            if k % max(1, len(batches) // 10) == 0 or k == len(batches):  # the loss curve, ten points an epoch
                curve.append({"epoch": round(epoch - 1 + k / len(batches), 3), "train_loss": sum(window) / len(window)})
                window = []
        logits = predict_logits(forward, model, head, dev_texts)
        predicted = logits.argmax(1)
        record = {"epoch": epoch, "train_loss": total / len(texts), "dev_loss": loss_fn(logits, dev[1]).item(),
                  "dev_macro_f1": float(f1_score(dev[1], predicted, average="macro")),
                  "dev_accuracy": float(accuracy_score(dev[1], predicted)),
                  "seconds": round(time.perf_counter() - t0, 1), "curve": curve}
        history.append(record)
        tqdm.write(f"epoch {epoch}: train loss {record['train_loss']:.3f}, dev loss {record['dev_loss']:.3f}, "
                   f"dev macro-F1 {record['dev_macro_f1']:.3f}")
        if best is None or record["dev_macro_f1"] > best[0]:
            state = {k: v.detach().clone() for k, v in get_peft_model_state_dict(model).items()}
            best = record["dev_macro_f1"], state, copy.deepcopy(head.state_dict())
    _, state, head_state = best
    head.load_state_dict(head_state)
    head.adapter = Adapter({"method": "lora", "base": name, "base_sha256": base_sha256, "rank": config.rank,
                            "alpha": config.alpha, "target_modules": list(config.target_modules),
                            "library": f"peft=={_version('peft')}"}, state)
    head.info.adapter = head.adapter.config
    return head.eval(), history, config


@torch.no_grad()
def predict_logits(forward, model, head, texts: list[str], batch_size: int = 64) -> torch.Tensor:
    """The logits of ``texts`` in eval mode, computed in batches of similar length."""
    model.eval(), head.eval()
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out = torch.empty(len(texts), len(head.info.labels))
    for b in range(0, len(order), batch_size):
        idx = order[b:b + batch_size]
        out[idx] = forward([texts[i] for i in idx]).float()
    return out


def length_batches(lengths: list[int], size: int, seed: int) -> list[list[int]]:
    """Batches of ``size`` indices of similar length, in random order: shuffle, sort within pools of 50
    batches, cut, shuffle the batches."""
    g = torch.Generator().manual_seed(seed)
    perm = torch.randperm(len(lengths), generator=g).tolist()
    pool = size * 50
    pools = [sorted(perm[i:i + pool], key=lengths.__getitem__) for i in range(0, len(perm), pool)]
    batches = [p[i:i + size] for p in pools for i in range(0, len(p), size)]
    return [batches[k] for k in torch.randperm(len(batches), generator=g).tolist()]


def describe(config: FinetuneConfig, history: list[dict], head: SentimentHead) -> dict:
    """What metrics.json and the head's metadata say about the fine-tuning."""
    best = max(history, key=lambda r: (r["dev_macro_f1"], -r["epoch"]))
    return {**asdict(config), "method": "lora", "adapter_parameters": head.adapter.parameters,
            "best_epoch": best["epoch"], "history": history}


def _version(package: str) -> str:
    import importlib.metadata

    return importlib.metadata.version(package)
