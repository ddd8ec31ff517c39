"""Evaluation: scikit-learn scores, confusion matrices, and the transcriber's WER (jiwer).

Text-only evaluation scores the head on reference text; pipeline evaluation runs each test recording
through the whole audio pipeline and scores the same head on what the transcriber heard.
"""

from __future__ import annotations

from collections.abc import Sequence

import jiwer
import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support
from tqdm import tqdm

from sentiment.audio import read_stretch
from sentiment.labels import LABELS, label_id
from sentiment.pipeline import SentimentPipeline
from sentiment.result import to_row
from sentiment.text.normalize import normalize_text

from .data import Example


def scores(y_true: Sequence[int], y_pred: Sequence[int]) -> dict:
    """Accuracy, macro-F1, per-class precision/recall/F1/support and the confusion matrix (rows: truth)."""
    labels = list(range(len(LABELS)))
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    return {
        "n": len(y_true),
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "macro_f1": float(f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)),
        "per_class": {name: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]),
                             "support": int(s[i])} for i, name in enumerate(LABELS)},
        "confusion": confusion_matrix(y_true, y_pred, labels=labels).tolist(),
        "labels": list(LABELS),
    }


def majority_baseline(train_y: Sequence[int], test_y: Sequence[int]) -> dict:
    """What always answering the most frequent training label scores: the floor to beat."""
    majority = int(np.bincount(train_y, minlength=len(LABELS)).argmax())
    s = scores(test_y, [majority] * len(test_y))
    return {"label": LABELS[majority], "accuracy": s["accuracy"], "macro_f1": s["macro_f1"]}


def audio_source(example: Example):
    """The example's audio as the pipeline takes it: a path, or the (rate, samples) of its stretch."""
    return read_stretch(example.audio, example.start, example.end)


def evaluate_pipeline(pipe: SentimentPipeline, examples: list[Example], batch_size: int = 8,
                      ray_options=None, workers: int | None = None) -> tuple[dict, list[dict]]:
    """Audio → transcript → label for each example; scores over the clips that produced a prediction
    (failures are counted and listed), and WER of the transcripts against the reference text. With
    ``ray_options`` (a resolved ``StackConfig``, or ``load_pipeline``'s options) the clips run on Ray Data actors
    instead of ``pipe``."""
    predicted = _on_ray(examples, ray_options, batch_size, workers) if ray_options is not None else []
    for b in ([] if ray_options is not None else
              tqdm(range(0, len(examples), batch_size), desc="pipeline evaluation", unit="batch")):
        batch = examples[b:b + batch_size]
        results = pipe.predict([audio_source(e) for e in batch], return_errors=True)
        predicted += [to_row(e.audio, r) for e, r in zip(batch, results)]
    rows: list[dict] = []
    for e, result in zip(examples, predicted):
        row = {"id": e.id, "label": e.label, "reference": normalize_text(e.text)}
        if "error" in result:
            row.update(predicted=None, transcript="", error=result["error"])
        else:
            row.update(predicted=result["label"], transcript=result["transcript"],
                       **{f"p_{k}": result["confidences"][k] for k in LABELS})
        rows.append(row)
    done = [r for r in rows if r["predicted"] is not None]
    metrics = scores([label_id(r["label"]) for r in done], [label_id(r["predicted"]) for r in done])
    metrics["failed"] = len(rows) - len(done)
    # The same clips' reference text through the same head: what the transcriber's errors cost.
    text_pred = pipe.classify([e.text for e in examples]).argmax(1).tolist()
    metrics["text_same_clips"] = {k: v for k, v in scores([label_id(e.label) for e in examples], text_pred).items()
                                  if k in ("n", "accuracy", "macro_f1")}
    metrics["wer"] = word_error_rate([r["reference"] for r in rows], [r["transcript"] for r in rows])
    return metrics, rows


def _on_ray(examples: list[Example], options: dict, batch_size: int, workers: int | None) -> list[dict]:
    """The examples' rows from Ray Data actors (each reads its clips' stretches), in the examples' order."""
    from sentiment.batch.ray_engine import predict_on_ray

    out: list = [None] * len(examples)
    with tqdm(total=len(examples), desc="pipeline evaluation (Ray)", unit="clip") as bar:
        for rows in predict_on_ray([e.audio or "" for e in examples], options, workers=workers,
                                   batch_size=batch_size, stretches=[(e.start, e.end) for e in examples]):
            for row in rows:
                out[row["index"]] = row
            bar.update(len(rows))
    return out


def word_error_rate(references: Sequence[str], hypotheses: Sequence[str]) -> float:
    """jiwer's WER after our normalisation and Whisper's English number normaliser on both sides, so that
    "10" and "ten" count as the same word (Whisper writes numbers as digits)."""
    from transformers.models.whisper.english_normalizer import EnglishNumberNormalizer

    numbers = EnglishNumberNormalizer()
    norm = lambda s: numbers(normalize_text(s))
    return float(jiwer.wer([norm(r) or "<empty>" for r in references], [norm(h) for h in hypotheses]))
