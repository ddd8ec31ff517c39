"""Confidences that mean what they say: the head's logits divided by one temperature, fitted on dev by
negative log-likelihood (temperature scaling: Guo et al., 2017, "On Calibration of Modern Neural Networks").
The temperature goes into the head's metadata; it never changes which label wins, only how sure the bars
say it is. The expected calibration error (ECE) and a reliability diagram of the test split, before and
after, show what it changed.

    python -m training.calibrate --stack offline    # the committed head in place, and assets/offline/

``training.run`` calibrates every head it trains; this command does it for a head that is already there.
"""

from __future__ import annotations

import argparse
import logging
import math
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F

from sentiment.text.head import SentimentHead

BINS = 15  # equal-width confidence bins, as in Guo et al.
log = logging.getLogger("training")


def fit_temperature(logits: torch.Tensor, y: torch.Tensor) -> float:
    """The temperature in [0.05, 20] that minimises the negative log-likelihood of ``y``."""
    from scipy.optimize import minimize_scalar

    logits, y = logits.double(), y.long()
    nll = lambda log_t: F.cross_entropy(logits / math.exp(log_t), y).item()
    best = minimize_scalar(nll, bounds=(math.log(0.05), math.log(20.0)), method="bounded",
                           options={"xatol": 1e-5})
    return round(math.exp(best.x), 4)


def reliability(probs: torch.Tensor, y: torch.Tensor, bins: int = BINS) -> dict:
    """Top-label calibration: predictions grouped by their confidence into ``bins`` equal-width bins (the
    binning of sklearn's ``calibration_curve``); per bin its mean confidence, accuracy and count; the ECE is
    the count-weighted mean of |accuracy − confidence|."""
    confidence, predicted = probs.max(1)
    confidence = confidence.double().numpy()
    correct = (predicted == y).double().numpy()
    which = np.searchsorted(np.linspace(0.0, 1.0, bins + 1)[1:-1], confidence)
    n = np.bincount(which, minlength=bins)
    accuracy = np.bincount(which, correct, bins) / np.maximum(n, 1)
    mean_confidence = np.bincount(which, confidence, bins) / np.maximum(n, 1)
    ece = float(np.sum(n * np.abs(accuracy - mean_confidence)) / max(n.sum(), 1))
    return {"ece": round(ece, 4), "accuracy": round(float(correct.mean()), 4),
            "bins": [{"confidence": round(float(c), 4), "accuracy": round(float(a), 4), "n": int(k)}
                     for c, a, k in zip(mean_confidence, accuracy, n) if k]}


def calibrate(head: SentimentHead, dev_x: torch.Tensor, dev_y: torch.Tensor, test_x: torch.Tensor,
              test_y: torch.Tensor) -> dict:
    """Fit ``head``'s temperature on dev (in place); what the test split's confidences were and became."""
    head.eval()
    with torch.no_grad():
        dev_logits = head(dev_x)
    head.info.temperature = 1.0
    before = reliability(head.probabilities(test_x), test_y)
    head.info.temperature = fit_temperature(dev_logits, dev_y)
    after = reliability(head.probabilities(test_x), test_y)
    return {"method": "temperature scaling, fitted on dev (negative log-likelihood)",
            "temperature": head.info.temperature, "bins": BINS, "test_before": before, "test_after": after}


def main(argv=None) -> dict:
    from sentiment.logs import setup_logging
    from sentiment.text.encoder import TextEncoder
    from sentiment.text.head import load_head, save_head
    from sentiment.labels import label_id
    from sentiment.registry import TRAINABLE_STACKS
    from sentiment.stacks import HEADS_DIR, resolve_stack

    from . import data as datasets
    from .features import features
    from sentiment.evaluation import read_metrics
    from .plots import plot_reliability
    from .paths import ROOT

    p = argparse.ArgumentParser(prog="python -m training.calibrate", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--stack", choices=TRAINABLE_STACKS, default="offline", help="whose head (default offline)")
    p.add_argument("--data", help="text manifest with dev and test splits (default: the stack's)")
    p.add_argument("--head", help="the head to calibrate in place (default: the package's <stack>.safetensors)")
    p.add_argument("--assets", type=Path, default=ROOT / "assets", help="where <stack>/metrics.json and its "
                   "reliability.png go (default assets/)")
    p.add_argument("--cache-dir", type=Path, default=ROOT / ".cache", help="feature cache")
    args = p.parse_args(argv)
    setup_logging(False, level=logging.INFO)
    path = args.head or HEADS_DIR / f"{args.stack}.safetensors"
    data = args.data or datasets.stack_data(args.stack)["data"]
    if data is None:
        raise ValueError(f"The {args.stack} stack's data is SLUE-VoxCeleb: `python -m training.run --stack "
                         f"{args.stack}` calibrates the head it trains, or give --data with dev and test splits")
    head = load_head(path)
    config = resolve_stack(args.stack, require_head=False)
    encoder = TextEncoder(config.encoder, config.encoder_runtime, pooling=head.info.pooling,
                          layers=head.info.layers, name=config.encoder_name, adapter=head.adapter)
    head.check_encoder(encoder.name, encoder.hidden_size)
    text = datasets.load_text(data)
    x, y = {}, {}
    for s in ("dev", "test"):
        rows = datasets.split(text, s)
        x[s] = features(encoder, [e.text for e in rows], args.cache_dir, name=s)
        y[s] = torch.tensor([label_id(e.label) for e in rows])
    result = calibrate(head, x["dev"], y["dev"], x["test"], y["test"])
    folder = args.assets / args.stack
    metrics = read_metrics(folder)
    if metrics is not None:
        metrics.calibration = result
        metrics.write(folder)
        head.info.metrics = metrics.summary()
    save_head(head, path)
    plot_reliability(result, folder / "reliability.png", f"{args.stack} head on reference text (test)")
    log.info("temperature %.3f: test ECE %.4f → %.4f; wrote %s and %s", result["temperature"],
             result["test_before"]["ece"], result["test_after"]["ece"], path, folder)
    return result


if __name__ == "__main__":
    from sentiment.errors import run_command

    raise SystemExit(run_command(main))
