"""The PNGs the app shows: loss curves, confusion matrices and reliability diagrams, readable at a glance."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def plot_history(history: list[dict], path: Path, title: str, finetune: list[dict] | None = None) -> Path:
    """Loss and dev macro-F1 by epoch; with ``finetune``, a second panel for the epochs that fine-tuned the
    encoder with the head (they start from the first panel's kept epoch)."""
    panels = [(history, title)] + ([(finetune, "then the encoder fine-tuned with it (LoRA)")] if finetune else [])
    fig, axes = plt.subplots(1, len(panels), figsize=(7 * len(panels), 4), dpi=120, squeeze=False)
    for loss_ax, (records, name) in zip(axes[0], panels):
        _curves(loss_ax, records, name)
    return _save(fig, path)


def _curves(loss_ax, history: list[dict], title: str) -> None:
    epochs = [r["epoch"] for r in history]
    best = max(history, key=lambda r: (r["dev_macro_f1"], -r["epoch"]))
    marker = "o" if len(history) < 10 else None
    curve = [c for r in history for c in r.get("curve", [])]  # fine-tuning: the train loss ten times an epoch
    if curve:
        loss_ax.plot([c["epoch"] for c in curve], [c["train_loss"] for c in curve], label="train loss",
                     color="tab:blue")
    else:
        loss_ax.plot(epochs, [r["train_loss"] for r in history], label="train loss", color="tab:blue", marker=marker)
    loss_ax.plot(epochs, [r["dev_loss"] for r in history], label="dev loss", color="tab:orange", marker=marker)
    loss_ax.set_xlabel("epoch")
    loss_ax.set_ylabel("class-weighted cross-entropy")
    if len(history) < 10:
        loss_ax.set_xticks(epochs)
    f1_ax = loss_ax.twinx()
    f1_ax.plot(epochs, [r["dev_macro_f1"] for r in history], label="dev macro-F1", color="tab:green", ls="--",
               marker=marker)
    f1_ax.set_ylabel("dev macro-F1")
    f1_ax.set_ylim(0, 1)
    loss_ax.axvline(best["epoch"], color="grey", ls=":", lw=1)
    loss_ax.annotate(f"kept: epoch {best['epoch']}\ndev macro-F1 {best['dev_macro_f1']:.3f}",
                     xy=(best["epoch"], 0.97), xycoords=("data", "axes fraction"), va="top", fontsize=8,
                     ha="left" if best["epoch"] < epochs[-1] * 0.7 else "right")
    lines = loss_ax.get_lines()[:2] + f1_ax.get_lines()
    loss_ax.legend(lines, [line.get_label() for line in lines], loc="center right", fontsize=8)
    loss_ax.set_title(title, fontsize=10)


def plot_confusion(confusion: list[list[int]], labels: list[str], path: Path, title: str) -> Path:
    """Counts on the left, rows normalised to recall on the right."""
    counts = np.asarray(confusion)
    rates = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    fig, axes = plt.subplots(1, 2, figsize=(9, 4), dpi=120)
    for ax, values, fmt, name in ((axes[0], counts, "d", "counts"), (axes[1], rates, ".2f",
                                                                     "share of each true label")):
        ax.imshow(rates, cmap="Blues", vmin=0, vmax=1)
        for i in range(len(labels)):
            for j in range(len(labels)):
                ax.text(j, i, format(values[i, j], fmt), ha="center", va="center",
                        color="white" if rates[i, j] > 0.5 else "black", fontsize=10)
        ax.set_xticks(range(len(labels)), labels)
        ax.set_yticks(range(len(labels)), labels)
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        ax.set_title(name, fontsize=9)
    fig.suptitle(title)
    return _save(fig, path)


def plot_reliability(calibration: dict, path: Path, title: str) -> Path:
    """Accuracy against confidence per bin, before and after temperature scaling (``training/calibrate.py``):
    on the diagonal, a label given with 80 % confidence is right 80 % of the time."""
    fig, axes = plt.subplots(1, 2, figsize=(9, 4.2), dpi=120, sharey=True)
    width = 1.0 / calibration["bins"]
    panels = (("before: the head as trained", calibration["test_before"]),
              (f"after: temperature {calibration['temperature']:.2f} (fitted on dev)", calibration["test_after"]))
    for ax, (name, run) in zip(axes, panels):
        confidence = [b["confidence"] for b in run["bins"]]
        accuracy = [b["accuracy"] for b in run["bins"]]
        ax.bar(confidence, accuracy, width=width * 0.9, color="tab:blue", alpha=0.75, label="accuracy in the bin")
        ax.plot([0, 1], [0, 1], ls="--", color="grey", lw=1, label="perfectly calibrated")
        n = sum(b["n"] for b in run["bins"])
        share = ax.twinx()
        share.plot(confidence, [b["n"] / n for b in run["bins"]], color="tab:orange", marker=".", lw=1,
                   label="share of labels")
        share.set_ylim(0, 1)
        share.set_yticks([])
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_xlabel("confidence of the label given")
        ax.set_title(f"{name}\nECE {run['ece']:.3f}", fontsize=9)
        lines = ax.get_lines() + share.get_lines()
        ax.legend(ax.patches[:1] + lines, ["accuracy in the bin"] + [line.get_label() for line in lines],
                  loc="upper left", fontsize=7)
    axes[0].set_ylabel("accuracy")
    fig.suptitle(title)
    return _save(fig, path)


def plot_transfer(result: dict, path: Path, title: str) -> Path:
    """Macro-F1 per source never seen in training (``training/transfer.py``), frozen encoder beside fine-tuned,
    and the in-domain test split for scale."""
    frozen, tuned = result["scores"], result.get("finetuned", {}).get("scores", {})
    names = list(frozen)
    fig, ax = plt.subplots(figsize=(8, 4), dpi=120)
    x = np.arange(len(names))
    width = 0.38 if tuned else 0.6
    bars = [(frozen, "frozen encoder + head", "tab:grey", -width / 2 if tuned else 0)]
    if tuned:
        bars.append((tuned, "fine-tuned (LoRA) + head", "tab:blue", width / 2))
    for scores, label, color, shift in bars:
        values = [scores[n]["macro_f1"] if n in scores else np.nan for n in names]
        drawn = ax.bar(x + shift, values, width, label=label, color=color)
        ax.bar_label(drawn, labels=[f"{v:.3f}" if v == v else "" for v in values], fontsize=8, padding=2)
    ax.set_xticks(x, [("test split\n(all sources seen)" if n == "all" else f"{n}\n(left out)") for n in names],
                  fontsize=8)
    ax.set_ylim(0, 1)
    ax.set_ylabel("macro-F1")
    ax.legend(loc="upper right", ncol=2, fontsize=8)
    ax.set_title(title, fontsize=10)
    return _save(fig, path)


def _save(fig, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
