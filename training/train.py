"""One readable training loop for the head, on cached features.

Class-weighted cross-entropy (SLUE is about three-quarters Neutral: an unweighted head learns to say
Neutral), AdamW, a fixed seed, and early stopping on dev macro-F1 (SLUE's metric). The best epoch's
weights are kept; every epoch's train and dev loss go into the history. Where the data keeps the mean
rating each label was cut from (sentiment3), the targets are soft: a sentence rated just past a threshold
is taught as nearly as much Neutral as Positive (``soft_targets``).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from sklearn.metrics import accuracy_score, f1_score
from tqdm import tqdm

from sentiment.text.head import HeadInfo, SentimentHead


@dataclass(frozen=True)
class TrainConfig:
    lr: float = 1e-4  # chosen on sentiment3 dev among 1e-3, 3e-4, 1e-4 (README, "The offline head")
    weight_decay: float = 1e-2
    dropout: float = 0.1
    batch_size: int = 64
    max_epochs: int = 200
    patience: int = 20  # epochs without a better dev macro-F1 before stopping
    seed: int = 0
    class_weighted: bool = True
    soft_labels: float = 0.2  # width of the soft targets' ramp on the rating scale (0: one-hot); the frozen
    # head's test +0.013, +0.016, +0.014 over one-hot, seeds 0-2 (dev +0.003, +0.005, +0.002); 0.1 +0.004,
    # 0.3 +0.009, 0.5 -0.010 (seed 0): bench/results/soft-labels-2026-12-02.json


# The label rule of sentiment3's ratings (data/README.md): Negative <= -0.5 < Neutral < 0.5 <= Positive.
THRESHOLDS = (-0.5, 0.5)


def soft_targets(y: torch.Tensor, ratings: list[float | None], scale: float,
                 thresholds: tuple[float, float] = THRESHOLDS) -> torch.Tensor:
    """(n, 3) targets in LABELS order: each side of a threshold a logistic ramp of width ``scale`` on the
    rating scale (a rating on the threshold is half one label, half the other); one-hot where a row has no
    rating, or ``scale`` is 0. Ratings that disagree with their labels are refused: another rating scale."""
    out = torch.nn.functional.one_hot(y, 3).float()
    known = torch.tensor([r is not None for r in ratings])
    if scale <= 0 or not known.any():
        return out
    r = torch.tensor([r if r is not None else 0.0 for r in ratings])[known]
    low, high = thresholds
    pos, neg = torch.sigmoid((r - high) / scale), torch.sigmoid((low - r) / scale)
    soft = torch.stack([neg, (1 - pos - neg).clamp(min=0), pos], 1)
    soft = soft / soft.sum(1, keepdim=True)
    hard = torch.where(r <= low, 0, torch.where(r >= high, 2, 1))  # the label rule itself
    wrong = int((hard != y[known]).sum())
    if wrong:
        raise ValueError(f"{wrong} of {int(known.sum())} ratings do not give their row's label by the rule "
                         f"Negative <= {low} < Neutral < {high} <= Positive: not ratings on sentiment3's scale")
    out[known] = soft
    return out


def class_weights(y: torch.Tensor, n_classes: int) -> torch.Tensor:
    """n / (k * count): each class weighs the same in total; a class absent from training gets weight 0."""
    counts = torch.bincount(y, minlength=n_classes).float()
    return torch.where(counts > 0, counts.sum() / (n_classes * counts.clamp(min=1)), torch.zeros_like(counts))


def train_head(train_x: torch.Tensor, train_y: torch.Tensor, dev_x: torch.Tensor, dev_y: torch.Tensor,
               info: HeadInfo, config: TrainConfig = TrainConfig(), soft: torch.Tensor | None = None
               ) -> tuple[SentimentHead, list[dict]]:
    """``soft``: (n, 3) soft targets of the train rows (``soft_targets``); default ``train_y``, one-hot."""
    torch.manual_seed(config.seed)
    targets = train_y if soft is None else soft
    info.dropout = config.dropout
    head = SentimentHead(info)
    head.feature_mean.copy_(train_x.mean(0))
    head.feature_std.copy_(train_x.std(0).clamp(min=1e-6))
    n_classes = len(info.labels)
    weights = class_weights(train_y, n_classes) if config.class_weighted else torch.ones(n_classes)
    loss_fn = torch.nn.CrossEntropyLoss(weight=weights)
    optimizer = torch.optim.AdamW(head.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    history: list[dict] = []
    best_f1, best_state, since_best = -1.0, None, 0
    bar = tqdm(range(1, config.max_epochs + 1), desc="training", unit="epoch")
    for epoch in bar:
        head.train()
        order = torch.randperm(len(train_y))
        total = 0.0
        for b in range(0, len(order), config.batch_size):
            idx = order[b:b + config.batch_size]
            loss = loss_fn(head(train_x[idx]), targets[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(idx)
        head.eval()
        with torch.no_grad():
            dev_logits = head(dev_x)
            dev_loss = loss_fn(dev_logits, dev_y).item()
        pred = dev_logits.argmax(1)
        record = {"epoch": epoch, "train_loss": total / len(order), "dev_loss": dev_loss,
                  "dev_macro_f1": float(f1_score(dev_y, pred, average="macro", labels=list(range(n_classes)),
                                                 zero_division=0)),
                  "dev_accuracy": float(accuracy_score(dev_y, pred))}
        history.append(record)
        bar.set_postfix(dev_f1=f"{record['dev_macro_f1']:.3f}", dev_loss=f"{dev_loss:.3f}")
        if record["dev_macro_f1"] > best_f1:
            best_f1, since_best = record["dev_macro_f1"], 0
            best_state = {k: v.clone() for k, v in head.state_dict().items()}
        else:
            since_best += 1
            if since_best >= config.patience:
                break
    head.load_state_dict(best_state)
    return head.eval(), history


def best_epoch(history: list[dict]) -> dict:
    return max(history, key=lambda r: (r["dev_macro_f1"], -r["epoch"]))
