"""The committed offline head, on real data: a macro-F1 floor on the sentiment3 test split, the figure its
metadata claims, and clear cases."""

import pytest
from conftest import ROOT
from sklearn.metrics import f1_score

import torch

from sentiment.labels import label_id
from sentiment.stacks import OFFLINE_ENCODER
from training.calibrate import reliability
from training.data import load_asr_text, load_text, split
from sentiment.evaluation import read_metrics



@pytest.fixture(scope="module")
def pipe(offline_pipe):
    return offline_pipe


def test_head_describes_itself(pipe):
    info = pipe.head.info
    assert info.encoder == OFFLINE_ENCODER and info.hidden_size == pipe.encoder.hidden_size and info.units == 30
    metrics = read_metrics(ROOT / "assets" / "offline")
    assert info.metrics == metrics.summary()  # the head and the evaluation file tell the same figures
    assert metrics.text["test"]["macro_f1"] > metrics.majority_baseline["macro_f1"] + 0.3


def test_the_encoder_is_fine_tuned_small_on_the_bundled_weights(pipe):
    from sentiment.runtime import bundled
    from sentiment.stacks import HEADS_DIR

    adapter = pipe.head.adapter
    assert adapter is not None and pipe.encoder.adapter is adapter  # the pipeline runs the fine-tuned encoder
    assert adapter.config["base"] == bundled.MPNET.model_id and adapter.config["base_sha256"] == bundled.MPNET.sha256
    assert (HEADS_DIR / "offline.safetensors").stat().st_size <= 25e6  # issue 19: what the repository stores
    tuned = pipe.head.info.training["finetune"]
    assert tuned["method"] == "lora" and tuned["adapter_parameters"] == adapter.parameters
    # Trained on the committed transcripts of spoken train sentences too, with soft targets from the ratings.
    text = load_text(ROOT / "data" / "sentiment3.csv")
    asr = load_asr_text(ROOT / "data" / "sentiment3-asr.csv", text)
    assert tuned["asr_text"]["rows"] == len(asr) and tuned["train_rows"] == len(split(text, "train")) + len(asr)
    assert pipe.head.info.training["soft_labels"] > 0


@pytest.mark.slow
def test_text_macro_f1_on_the_test_split(pipe):
    rows = split(load_text(ROOT / "data" / "sentiment3.csv"), "test")  # less the sentences kept apart
    probs = pipe.classify([r.text for r in rows])
    predicted = [pipe.head.info.labels[i] for i in probs.argmax(1).tolist()]
    macro_f1 = f1_score([r.label for r in rows], predicted, average="macro")
    assert macro_f1 >= 0.70  # measured 0.782 (training.run); a floor far from other CPUs' last digits
    # The figure the head claims is the one it scores: within 0.01 (about 25 of 2,609 labels). The frozen head's
    # was 0.7408 both on an AMD EPYC and on an Intel Xeon (docs/testing.md).
    assert macro_f1 == pytest.approx(pipe.head.info.metrics["text_test"]["macro_f1"], abs=0.01)
    # Its confidences are calibrated (temperature scaling, training/calibrate.py): issue 19 asks ECE ≤ 0.05.
    ece = reliability(probs, torch.tensor([label_id(r.label) for r in rows]))["ece"]
    assert ece <= 0.05  # measured 0.017 (0.026 before temperature scaling; training.run)
    assert ece == pytest.approx(pipe.head.info.metrics["calibration"]["test_ece_after"], abs=0.01)


@pytest.mark.parametrize("text,label", [
    ("i love this it is absolutely wonderful", "Positive"),
    ("this is terrible i hate it so much", "Negative"),
    ("the meeting is on tuesday at ten", "Neutral"),
])
def test_clear_cases(pipe, text, label):
    assert pipe.predict_text(text).label == label
