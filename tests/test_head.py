"""The head checkpoint: metadata round-trip, label order, refusal of a mismatched encoder."""

import pytest
import torch
from safetensors import safe_open

from sentiment.errors import EncoderMismatchError, ModelError
from sentiment.text.head import HeadInfo, SentimentHead, load_head, save_head
from sentiment.labels import LABELS, label_id
from sentiment.text.normalize import NORMALIZATION


def make_head(encoder="google-bert/bert-base-uncased", hidden=768, **kw) -> SentimentHead:
    torch.manual_seed(0)
    head = SentimentHead(HeadInfo(encoder=encoder, hidden_size=hidden, **kw))
    head.feature_mean.normal_()
    head.feature_std.uniform_(0.5, 2.0)
    return head


def test_labels_are_sorted_as_slue_sorts_them():
    assert LABELS == ("Negative", "Neutral", "Positive") == tuple(sorted(LABELS))
    assert label_id("positive") == 2 and label_id(" Negative ") == 0
    with pytest.raises(ValueError, match="Negative, Neutral, Positive"):
        label_id("<mixed>")


def test_shape_is_hidden_30_3():
    head = make_head(hidden=384)
    shapes = [tuple(p.shape) for p in head.net.parameters()]
    assert shapes == [(30, 384), (30,), (3, 30), (3,)]


def test_round_trip_keeps_weights_and_metadata(tmp_path):
    head = make_head(pooling="cls", layers=(-2, -1), dropout=0.2, training={"lr": 1e-3, "epochs": 7},
                     metrics={"dev": {"macro_f1": 0.71}})
    path = save_head(head, tmp_path / "h.safetensors")
    loaded = load_head(path)
    assert loaded.info == head.info
    assert loaded.info.normalization == NORMALIZATION and loaded.info.labels == LABELS
    x = torch.randn(5, 768)
    torch.testing.assert_close(loaded.probabilities(x), head.probabilities(x))
    with safe_open(str(path), "pt") as f:  # readable by anyone with safetensors, no pickle
        meta = f.metadata()
    assert meta["format"] == "sentiment-head/1" and meta["encoder"] == '"google-bert/bert-base-uncased"'


def test_probabilities_are_in_eval_mode_and_sum_to_one():
    head = make_head(dropout=0.9).train()
    x = torch.randn(4, 768)
    p1, p2 = head.probabilities(x), head.probabilities(x)
    torch.testing.assert_close(p1, p2)  # no dropout at inference
    torch.testing.assert_close(p1.sum(-1), torch.ones(4))
    assert head.training  # restored


@pytest.mark.parametrize("name,hidden", [("sentence-transformers/all-MiniLM-L6-v2", 384),
                                         ("google-bert/bert-base-uncased", 384),
                                         ("distilbert-base-uncased", 768)])
def test_mismatched_encoder_is_refused_naming_both(name, hidden):
    head = make_head()
    with pytest.raises(EncoderMismatchError) as err:
        head.check_encoder(name, hidden)
    assert "google-bert/bert-base-uncased" in str(err.value) and name in str(err.value)


def test_same_model_from_a_local_folder_is_accepted():
    make_head().check_encoder("/models/bert-base-uncased/", 768)


def test_not_a_head(tmp_path):
    bad = tmp_path / "x.safetensors"
    bad.write_bytes(b"garbage")
    with pytest.raises(ModelError, match="not a readable safetensors"):
        load_head(bad)
    with pytest.raises(ModelError, match="No sentiment head"):
        load_head(tmp_path / "missing.safetensors")
    from safetensors.torch import save_file
    save_file({"w": torch.zeros(1)}, str(bad), metadata={"format": "other"})
    with pytest.raises(ModelError, match="not a sentiment head"):
        load_head(bad)


def test_a_check_by_name_alone_claims_no_size_for_the_encoder():
    """Before the encoder is loaded only its name is known: the message must not invent its size."""
    with pytest.raises(EncoderMismatchError) as err:
        make_head().check_encoder("/models/all-MiniLM-L6-v2")
    assert "'/models/all-MiniLM-L6-v2'. Load" in str(err.value)
    make_head().check_encoder("google-bert/bert-base-uncased")  # same name, size unknown yet: accepted
