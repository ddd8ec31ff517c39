"""The PNGs the app shows: loss curves, confusion matrices and reliability diagrams, readable at a glance."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def plot_history(history: list[dict], path: Path, title: str) -> Path:
    epochs = [r["epoch"] for r in history]
    best = max(history, key=lambda r: (r["dev_macro_f1"], -r["epoch"]))
    fig, loss_ax = plt.subplots(figsize=(7, 4), dpi=120)
    loss_ax.plot(epochs, [r["train_loss"] for r in history], label="train loss", color="tab:blue")
    loss_ax.plot(epochs, [r["dev_loss"] for r in history], label="dev loss", color="tab:orange")
    loss_ax.set_xlabel("epoch")
    loss_ax.set_ylabel("class-weighted cross-entropy")
    f1_ax = loss_ax.twinx()
    f1_ax.plot(epochs, [r["dev_macro_f1"] for r in history], label="dev macro-F1", color="tab:green", ls="--")
    f1_ax.set_ylabel("dev macro-F1")
    f1_ax.set_ylim(0, 1)
    loss_ax.axvline(best["epoch"], color="grey", ls=":", lw=1)
    loss_ax.annotate(f"kept: epoch {best['epoch']}\ndev macro-F1 {best['dev_macro_f1']:.3f}",
                     xy=(best["epoch"], 0.97), xycoords=("data", "axes fraction"), va="top", fontsize=8,
                     ha="left" if best["epoch"] < epochs[-1] * 0.7 else "right")
    lines = loss_ax.get_lines()[:2] + f1_ax.get_lines()
    loss_ax.legend(lines, [l.get_label() for l in lines], loc="center right", fontsize=8)
    loss_ax.set_title(title)
    return _save(fig, path)


def plot_confusion(confusion: list[list[int]], labels: list[str], path: Path, title: str) -> Path:
    """Counts on the left, rows normalised to recall on the right."""
    counts = np.asarray(confusion)
    rates = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    fig, axes = plt.subplots(1, 2, figsize=(9, 4), dpi=120)
    for ax, values, fmt, name in ((axes[0], counts, "d", "counts"), (axes[1], rates, ".2f", "share of each true label")):
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
        ax.legend(ax.patches[:1] + lines, ["accuracy in the bin"] + [l.get_label() for l in lines],
                  loc="upper left", fontsize=7)
    axes[0].set_ylabel("accuracy")
    fig.suptitle(title)
    return _save(fig, path)


def _save(fig, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
