"""The evaluation file, ``assets/<stack>/metrics.json``: one definition, which training writes and the app's
Evaluation tab reads (through the package: the app needs nothing of training/). Plain dataclasses and json."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

FILE_NAME = "metrics.json"
PLOTS = ("loss.png", "confusion_text.png", "confusion_pipeline.png", "reliability.png",
         "transfer.png")  # beside it, in the order the app shows them


@dataclass
class Metrics:
    stack: str
    data: dict  # source (str), counts: split -> label -> rows
    models: dict  # transcriber, encoder, pooling, layers
    training: dict  # the TrainConfig, best_epoch, epochs_run, feature_seconds, train_seconds
    majority_baseline: dict  # label, accuracy, macro_f1: what always answering the commonest label scores
    text: dict  # split (dev, test) -> scores: n, accuracy, macro_f1, per_class, confusion, labels
    # The audio pipeline on the spoken test set: the scores above plus wer, failed, source, seconds and
    # text_same_clips (the head on those clips' reference text). Absent with --skip-pipeline.
    pipeline: dict | None = None
    # Temperature scaling (training/calibrate.py): method, temperature, bins, and the test split's ECE,
    # accuracy and bins before and after.
    calibration: dict | None = None
    extra: dict = field(default_factory=dict)  # keys a later version adds, kept when read back

    def runs(self) -> list[tuple[str, dict]]:
        """(name, scores) of each evaluation, as the app lists them."""
        out = [("text, test split", self.text["test"])]
        return out + ([("audio pipeline, spoken test set", self.pipeline)] if self.pipeline else [])

    def summary(self) -> dict:
        """The few figures a head's metadata carries (``sentiment info`` prints them)."""
        out = {"data": self.data["source"],
               "text_test": {k: round(self.text["test"][k], 4) for k in ("accuracy", "macro_f1")}}
        if self.pipeline:
            out["pipeline_test"] = {k: round(self.pipeline[k], 4) for k in ("accuracy", "macro_f1", "wer")}
            out["pipeline_test"]["text_macro_f1_same_clips"] = round(self.pipeline["text_same_clips"]["macro_f1"], 4)
        if self.calibration:
            out["calibration"] = {"temperature": self.calibration["temperature"],
                                  "test_ece_before": self.calibration["test_before"]["ece"],
                                  "test_ece_after": self.calibration["test_after"]["ece"]}
        return out

    def write(self, folder: Path) -> Path:
        path = Path(folder) / FILE_NAME
        body = {k: v for k, v in asdict(self).items() if k != "extra" and v is not None} | self.extra
        path.write_text(json.dumps(body, indent=2) + "\n")
        return path


def read_metrics(folder: Path) -> Metrics | None:
    """The stack's metrics from ``folder``, or None when it has none yet."""
    path = Path(folder) / FILE_NAME
    if not path.is_file():
        return None
    raw = json.loads(path.read_text())
    known = set(Metrics.__dataclass_fields__) - {"extra"}
    return Metrics(**{k: v for k, v in raw.items() if k in known}, extra={k: v for k,
                                                                          v in raw.items() if k not in known})
