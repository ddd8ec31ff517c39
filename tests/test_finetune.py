"""Fine-tuning the text encoder (LoRA adapters stored in the head's checkpoint) and decontamination, on tiny
models: what is stored, that the product's encoder (merged, exported) is the model that was selected on dev,
and that the wrong base or a damaged file is refused."""

import logging
import re
import sys
from dataclasses import replace

import pytest
import torch
from safetensors import safe_open

from sentiment.errors import EncoderMismatchError, ModelError, ModelUnavailableError
from sentiment.text.adapter import PREFIX, weights_sha256
from sentiment.text.encoder import TextEncoder
from sentiment.text.head import HeadInfo, SentimentHead, load_head, save_head
from sentiment.text.normalize import normalize_text
from training import data
from training.finetune import FinetuneConfig, finetune, length_batches
from training.transfer import leave_one_out
from training.train import TrainConfig

WORDS = {0: "i hate this it was bad awful", 1: "it is a movie the day", 2: "i love it great good"}
FAST = FinetuneConfig(epochs=3, lr=1e-2, head_lr=1e-2, warmup_steps=2)


def sentences(n: int, seed: int) -> tuple[list[str], torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    texts, labels = [], []
    for i in range(n):
        words = WORDS[i % 3].split()
        texts.append(" ".join(words[j] for j in torch.randint(len(words), (4,), generator=g).tolist()))
        labels.append(i % 3)
    return texts, torch.tensor(labels)


@pytest.fixture(scope="module")
def tuned(tiny_bert):
    """A head and adapters fine-tuned on the tiny BERT, with its history and dev set."""
    head = SentimentHead(HeadInfo(encoder=str(tiny_bert), hidden_size=32))
    dev = sentences(30, seed=1)
    tuned, history, config = finetune(str(tiny_bert), str(tiny_bert), weights_sha256(str(tiny_bert), str(tiny_bert)),
                                      head, sentences(90, seed=0), dev, FAST)
    return tuned, history, config, dev


def test_adapters_are_trained_and_stored_small_with_what_they_need(tuned, tiny_bert, tmp_path):
    head, history, config, _ = tuned
    assert [r["epoch"] for r in history] == [1, 2, 3] and config.target_modules == ("query", "key", "value")
    lora_b = [t for k, t in head.adapter.tensors.items() if "lora_B" in k]
    assert lora_b and all(t.abs().sum() > 0 for t in lora_b)  # B starts at zero: these were trained
    path = save_head(head, tmp_path / "h.safetensors")
    with safe_open(str(path), "pt") as f:
        names = list(f.keys())
    adapters = [k for k in names if k.startswith(PREFIX)]
    assert adapters and all("lora_" in k for k in adapters)  # no base weight travels with the head
    loaded = load_head(path)
    assert loaded.info.adapter == {"method": "lora", "base": str(tiny_bert), "rank": 8, "alpha": 16,
                                   "base_sha256": weights_sha256(str(tiny_bert), str(tiny_bert)),
                                   "target_modules": ["query", "key",
                                                      "value"], "library": loaded.info.adapter["library"]}
    assert loaded.adapter.digest == head.adapter.digest


@pytest.mark.parametrize("backend", ["torch", "onnx"])
def test_the_merged_encoder_is_the_model_selected_on_dev(tuned, tiny_bert, tmp_path, monkeypatch, backend):
    monkeypatch.setenv("SENTIMENT_CACHE", str(tmp_path))
    head, history, _, (dev_texts, dev_y) = tuned
    best = max(history, key=lambda r: (r["dev_macro_f1"], -r["epoch"]))
    loaded = load_head(save_head(head, tmp_path / "h.safetensors"))
    where = dict(pooling="mean", name=str(tiny_bert), backend=backend, precision="fp32", device="cpu")
    merged = TextEncoder(str(tiny_bert), adapter=loaded.adapter, **where)
    predicted = loaded.probabilities(merged.encode([normalize_text(t) for t in dev_texts])).argmax(1)
    assert (predicted == dev_y).float().mean().item() == pytest.approx(best["dev_accuracy"], abs=1e-6)
    base = TextEncoder(str(tiny_bert), **where)  # and the base model's export is another one
    assert not torch.allclose(merged.encode(dev_texts[:4]), base.encode(dev_texts[:4]), atol=1e-4)


def test_adapters_on_the_feed_forward_layers_too_merge_into_the_product(tiny_bert, tmp_path, monkeypatch):
    """--finetune-modules all: adapters on every linear layer of the encoder, stored and merged like the rest."""
    monkeypatch.setenv("SENTIMENT_CACHE", str(tmp_path))
    head = SentimentHead(HeadInfo(encoder=str(tiny_bert), hidden_size=32))
    dev_texts, dev_y = sentences(30, seed=1)
    tuned, history, config = finetune(str(tiny_bert), str(tiny_bert), weights_sha256(str(tiny_bert), str(tiny_bert)),
                                      head, sentences(90, seed=0), (dev_texts, dev_y),
                                      replace(FAST, epochs=1, modules="all", rank=4, alpha=8))
    assert config.target_modules == ("query", "key", "value", "intermediate.dense", "output.dense")
    trained = {k.split(".lora_")[0].rsplit(".", 1)[-1] for k in tuned.adapter.tensors if "lora_B" in k}
    assert {"query", "key", "value", "dense"} <= trained  # feed-forward (and attention output) adapters stored
    loaded = load_head(save_head(tuned, tmp_path / "h.safetensors"))
    assert loaded.info.adapter["rank"] == 4 and "intermediate.dense" in loaded.info.adapter["target_modules"]
    merged = TextEncoder(str(tiny_bert), adapter=loaded.adapter, pooling="mean", name=str(tiny_bert),
                         backend="torch", precision="fp32", device="cpu")
    predicted = loaded.probabilities(merged.encode([normalize_text(t) for t in dev_texts])).argmax(1)
    assert (predicted == dev_y).float().mean().item() == pytest.approx(history[0]["dev_accuracy"], abs=1e-6)
    with pytest.raises(ValueError, match="modules must be one of"):
        finetune(str(tiny_bert), str(tiny_bert), "x", head, sentences(9, seed=0), (dev_texts, dev_y),
                 replace(FAST, modules="everything"))


def test_adapters_on_other_weights_or_a_damaged_file_are_refused(tuned, tiny_bert, tmp_path, monkeypatch):
    head = tuned[0]
    other = dict(head.adapter.config, base_sha256="0" * 64)
    with pytest.raises(EncoderMismatchError, match="SHA-256"):
        TextEncoder(str(tiny_bert), adapter=type(head.adapter)(other, head.adapter.tensors), backend="torch")
    with pytest.raises(EncoderMismatchError, match="trained on"):
        head.adapter.check_base("bert-base-uncased", str(tiny_bert))
    damaged = SentimentHead(head.info)  # adapter metadata, no adapter tensors
    with pytest.raises(ModelError, match="damaged"):
        load_head(save_head(damaged, tmp_path / "d.safetensors"))
    monkeypatch.setitem(sys.modules, "peft", None)  # a head with adapters, peft not installed
    with pytest.raises(ModelUnavailableError, match="pip install"):
        TextEncoder(str(tiny_bert), adapter=head.adapter, backend="torch")


def test_length_batches_cover_every_row_once_with_similar_lengths():
    lengths = torch.randint(1, 100, (1000,), generator=torch.Generator().manual_seed(0)).tolist()
    batches = length_batches(lengths, 16, seed=1)
    assert sorted(i for b in batches for i in b) == list(range(1000))
    spread = sum(max(lengths[i] for i in b) - min(lengths[i] for i in b) for b in batches) / len(batches)
    assert spread < 15  # random batches of 16 spread about 85
    assert batches != length_batches(lengths, 16, seed=2)  # another epoch, another order


def test_excluded_sentences_are_dropped_by_their_key_and_counted(tmp_path, monkeypatch, caplog):
    keys = tmp_path / "keys.sha256"
    keys.write_text(data.sentence_key("What a GREAT movie!!") + "\n")
    monkeypatch.setattr(data, "EXCLUDED", keys)
    data.excluded_keys.cache_clear()
    manifest = tmp_path / "m.csv"
    manifest.write_text("text,label,split,source\n\"what a great movie\",positive,train,a\n"
                        "\"  What, a great... movie \",positive,test,b\nwhat a movie,neutral,train,a\n")
    try:
        with caplog.at_level(logging.WARNING):
            kept = data.decontaminate(data.load_manifest(manifest), "m.csv")
    finally:
        data.excluded_keys.cache_clear()
    assert [e.text for e in kept] == ["what a movie"]
    assert "dropped 2 sentences" in caplog.text and "test b: 1" in caplog.text and "train a: 1" in caplog.text


def test_sentiment3_loses_exactly_its_listed_rows():
    rows = data.load_text(data.ROOT / "data" / "sentiment3.csv")
    keys = data.excluded_keys()
    assert len(rows) == 13_098 - 29 and not any(data.sentence_key(e.text) in keys for e in rows)
    assert [len(data.split(rows, s)) for s in ("train", "dev", "test")] == [9_154, 1_306, 2_609]


def test_the_fine_tuned_transfer_recipe_sees_only_the_other_sources():
    examples, seen = [], []
    for source in ("news", "reviews", "tweets"):
        for i in range(30):
            examples.append(data.Example(f"{source}{i}", source, data.LABELS[i % 3], ("train", "dev",
                                                                                      "test")[i // 3 % 3],
                                         source=source))
    x = torch.nn.functional.one_hot(torch.tensor([i % 3 for i in range(90)]), 8).float() * 3

    def tune(head, train, dev):
        seen.append(({e.source for e in train}, {e.source for e in dev}))
        # the tuned encoder: features of the rows given, whichever they are
        encode = lambda rows: torch.stack([x[examples.index(e)] for e in rows])
        return head, encode

    result = leave_one_out(examples, x, HeadInfo(encoder="enc", hidden_size=8),
                           TrainConfig(lr=1e-2, max_epochs=30, patience=30), tune=tune, hold_out=["tweets", "news"])
    assert set(result) == {"news", "tweets"}  # no in-domain "all": that is training.run's figure
    assert seen == [({"reviews", "tweets"}, {"reviews", "tweets"}), ({"news", "reviews"}, {"news", "reviews"})]
    assert result["tweets"]["macro_f1"] > 0.9 and result["tweets"]["n"] == 30  # all rows of the source left out
    calibration = result["tweets"]["calibration"]  # temperature fitted on the dev rows seen, ECE on the rows left out
    assert calibration["temperature"] > 0 and 0 <= calibration["ece_after"] <= 1
    with pytest.raises(ValueError, match="No source blogs"):
        leave_one_out(examples, x, HeadInfo(encoder="enc", hidden_size=8), tune=tune, hold_out=["blogs"])


def test_transcripts_follow_their_sentences_out_of_training():
    """Leaving a source out leaves out the transcripts of its sentences too (``transfer._tuner``)."""
    rows = [data.Example(f"{s}{i}", f"{s} text {i}", "Neutral", "train", source=s) for s in ("news", "tweets")
            for i in range(3)]
    asr = [replace(e, text=e.text.replace("text", "test")) for e in rows[::2]]  # news0, news2, tweets1
    kept = data.with_transcripts([e for e in rows if e.source != "tweets"], asr)
    assert [e.text for e in kept] == ["news text 0", "news text 1", "news text 2", "news test 0", "news test 2"]


def test_a_pipeline_refuses_a_fine_tuned_head_on_the_frozen_encoder(tuned, tiny_bert):
    from sentiment.pipeline import SentimentPipeline

    frozen = TextEncoder(str(tiny_bert), pooling="mean", name=str(tiny_bert), backend="torch")
    with pytest.raises(ModelError, match="fine-tuned encoder"):
        SentimentPipeline(None, frozen, tuned[0])


def test_the_committed_transfer_figures_put_both_recipes_side_by_side():
    import json

    from sentiment.evaluation import read_metrics
    from training.transfer import in_domain, table

    result = json.loads((data.ROOT / "assets" / "offline" / "transfer.json").read_text())
    tuned = result["finetuned"]["scores"]
    assert set(tuned) == set(result["scores"]) == {"all", "amazonReviewSnippets", "nytEditorialSnippets", "tweets"}
    for source in ("amazonReviewSnippets", "nytEditorialSnippets", "tweets"):
        assert tuned[source]["n"] == result["scores"][source]["n"] > 3000  # all rows of the source left out
    del tuned["all"]
    in_domain(result, data.ROOT / "assets" / "offline")  # the in-domain figure is training.run's own
    assert tuned["all"]["macro_f1"] == read_metrics(data.ROOT / "assets" / "offline").text["test"]["macro_f1"]
    assert len(re.findall(r"\| [+-]0\.\d{3} \|", table(result))) == 4  # every row: fine-tuned beside frozen, the change
