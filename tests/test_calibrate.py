"""Temperature scaling and the calibration error (training/calibrate.py): a known temperature is found
again, the reliability bins agree with scikit-learn's, and a calibrated head keeps its labels and its
temperature through a save and a load."""

import numpy as np
import pytest
import torch
from sklearn.calibration import calibration_curve

from sentiment.text.head import HeadInfo, SentimentHead, load_head, save_head
from training.calibrate import BINS, calibrate, fit_temperature, reliability


def sampled(n: int, temperature: float, seed: int = 0):
    """Logits, and labels drawn from softmax(logits / temperature): the right temperature is known."""
    g = torch.Generator().manual_seed(seed)
    logits = 3 * torch.randn(n, 3, generator=g)
    y = torch.multinomial(torch.softmax(logits / temperature, 1), 1, generator=g).squeeze(1)
    return logits, y


@pytest.mark.parametrize("temperature", [0.5, 1.0, 2.5])
def test_the_temperature_that_made_the_labels_is_found(temperature):
    logits, y = sampled(20_000, temperature)
    assert fit_temperature(logits, y) == pytest.approx(temperature, rel=0.1)


def test_reliability_bins_agree_with_scikit_learn_and_the_error_shows_overconfidence():
    logits, y = sampled(20_000, 2.5, seed=1)
    over = reliability(torch.softmax(logits, 1), y)  # too sure: the labels came from a flatter softmax
    right = reliability(torch.softmax(logits / 2.5, 1), y)
    confidence, predicted = torch.softmax(logits, 1).max(1)
    accuracy, mean_confidence = calibration_curve((predicted == y).numpy(), confidence.numpy(), n_bins=BINS)
    assert np.allclose([b["accuracy"] for b in over["bins"]], accuracy, atol=1e-4)
    assert np.allclose([b["confidence"] for b in over["bins"]], mean_confidence, atol=1e-4)
    assert sum(b["n"] for b in over["bins"]) == 20_000
    assert right["ece"] < 0.02 < 0.1 < over["ece"]
    assert right["accuracy"] == over["accuracy"]  # a temperature never changes which label wins


def test_a_calibrated_head_keeps_its_labels_and_its_temperature(tmp_path):
    torch.manual_seed(0)
    head = SentimentHead(HeadInfo(encoder="enc", hidden_size=8))
    with torch.no_grad():
        head.net[-1].weight.mul_(20)  # a head far too sure of itself
    x = torch.randn(3000, 8)
    with torch.no_grad():
        y = torch.multinomial(torch.softmax(head(x) / 20, 1), 1).squeeze(1)
    labels = head.probabilities(x).argmax(1)
    result = calibrate(head, x[:1500], y[:1500], x[1500:], y[1500:])
    assert result["temperature"] == head.info.temperature > 5
    assert result["test_after"]["ece"] < result["test_before"]["ece"] / 2
    assert torch.equal(head.probabilities(x).argmax(1), labels)
    loaded = load_head(save_head(head, tmp_path / "head.safetensors"))
    assert loaded.info.temperature == head.info.temperature
    assert torch.allclose(loaded.probabilities(x), head.probabilities(x))


def test_a_head_saved_before_calibration_existed_loads_with_temperature_one(tmp_path):
    from safetensors import safe_open
    from safetensors.torch import save_file

    path = save_head(SentimentHead(HeadInfo(encoder="enc", hidden_size=8)), tmp_path / "old.safetensors")
    with safe_open(str(path), framework="pt") as f:
        meta, tensors = f.metadata(), {k: f.get_tensor(k) for k in f.keys()}
    save_file(tensors, str(path), metadata={k: v for k, v in meta.items() if k != "temperature"})
    assert load_head(path).info.temperature == 1.0


def test_the_command_says_what_to_do_where_it_has_no_data(capsys):
    from sentiment.errors import run_command
    from training.calibrate import main

    assert run_command(main, ["--stack", "slue"]) == 2
    assert "python -m training.run --stack slue" in capsys.readouterr().err
