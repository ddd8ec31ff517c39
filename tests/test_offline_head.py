"""The committed offline head, on real data: a macro-F1 floor on the sentiment3 test split, the figure its
metadata claims, and clear cases."""

import csv

import pytest
from conftest import ROOT
from sklearn.metrics import f1_score

import torch

from sentiment.labels import label_id
from sentiment.stacks import OFFLINE_ENCODER
from training.calibrate import reliability
from training.metrics import read_metrics



@pytest.fixture(scope="module")
def pipe(offline_pipe):
    return offline_pipe


def test_head_describes_itself(pipe):
    info = pipe.head.info
    assert info.encoder == OFFLINE_ENCODER and info.hidden_size == pipe.encoder.hidden_size and info.units == 30
    metrics = read_metrics(ROOT / "assets" / "offline")
    assert info.metrics == metrics.summary()  # the head and the evaluation file tell the same figures
    assert metrics.text["test"]["macro_f1"] > metrics.majority_baseline["macro_f1"] + 0.3


@pytest.mark.slow
def test_text_macro_f1_on_the_test_split(pipe):
    with open(ROOT / "data" / "sentiment3.csv", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["split"] == "test"]
    probs = pipe.classify([r["text"] for r in rows])
    predicted = [pipe.head.info.labels[i] for i in probs.argmax(1).tolist()]
    macro_f1 = f1_score([r["label"] for r in rows], predicted, average="macro")
    assert macro_f1 >= 0.66  # measured 0.741 (bench/margins.py); a floor far from other CPUs' last digits
    # The figure the head claims is the one it scores: within 0.01 (about 25 of 2,617 labels); it was 0.7408
    # both on an AMD EPYC and on an Intel Xeon (docs/testing.md).
    assert macro_f1 == pytest.approx(pipe.head.info.metrics["text_test"]["macro_f1"], abs=0.01)
    # Its confidences are calibrated (temperature scaling, training/calibrate.py): issue 19 asks ECE ≤ 0.05.
    ece = reliability(probs, torch.tensor([label_id(r["label"]) for r in rows]))["ece"]
    assert ece <= 0.05  # measured 0.031 (0.037 before temperature scaling)
    assert ece == pytest.approx(pipe.head.info.metrics["calibration"]["test_ece_after"], abs=0.01)


@pytest.mark.parametrize("text,label", [
    ("i love this it is absolutely wonderful", "Positive"),
    ("this is terrible i hate it so much", "Negative"),
    ("the meeting is on tuesday at ten", "Neutral"),
])
def test_clear_cases(pipe, text, label):
    assert pipe.predict_text(text).label == label
