"""Training and evaluation end to end on tiny models: a synthetic folder in SLUE's layout, a mocked Hub."""

import csv
import json
import logging
import zipfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
from conftest import SR, tone
from PIL import Image

from sentiment.text.encoder import TextEncoder
from sentiment.text.head import HeadInfo, load_head
from sentiment.labels import LABELS
from training import data, features, run
from training.evaluate import audio_source, scores
from training.train import TrainConfig, class_weights, train_head
from sentiment.evaluation import read_metrics

SLUE_COLUMNS = ["id", "normalized_text", "speaker_id", "split", "sentiment", "start_second", "end_second"]
WORDS = {"Negative": "i hate this it was bad awful", "Neutral": "it is a movie the day",
         "Positive": "i love it great good"}


def make_slue(folder: Path, per_label: dict[str, int], extra=("<mixed>", "Disagreement")) -> Path:
    """slue-voxceleb_{split}.tsv and {split}_raw/{id}.flac; each flac holds 0.5 s before the utterance."""
    rng = np.random.default_rng(0)
    for slue_split, n in per_label.items():
        raw = folder / f"{slue_split}_raw"
        raw.mkdir(parents=True)
        rows = []
        for label in (*LABELS, *extra):
            for i in range(n if label in LABELS else 1):
                uid = f"{slue_split}-{label.strip('<>')}-{i}"
                words = WORDS.get(label, "so so").split()
                text = " ".join(rng.choice(words, size=4))
                seconds = 1.0 + 0.25 * i
                sf.write(raw / f"{uid}.flac", np.concatenate([np.zeros(SR // 2, np.float32), tone(seconds, seed=i)]),
                         SR)
                rows.append([uid, text, "spk1", slue_split, label, "0.5", str(0.5 + seconds)])
        with open(folder / f"slue-voxceleb_{slue_split}.tsv", "w", newline="") as f:
            w = csv.writer(f, delimiter="\t")
            w.writerow(SLUE_COLUMNS)
            w.writerows(rows)
    return folder


def test_slue_folder_maps_splits_drops_other_labels_and_logs(tmp_path, caplog):
    folder = make_slue(tmp_path / "slue", {"fine-tune": 3, "dev": 2, "test": 2})
    with caplog.at_level(logging.WARNING):
        rows = data.load_slue_dir(folder)
    assert "dropped 6 rows" in caplog.text and "<mixed>: 3" in caplog.text and "Disagreement: 3" in caplog.text
    assert {r.label for r in rows} == set(LABELS)
    assert [len(data.split(rows, s)) for s in ("train", "dev", "test")] == [9, 6, 6]
    first = data.split(rows, "train")[0]
    assert first.audio.endswith("fine-tune_raw/fine-tune-Negative-0.flac") and (first.start, first.end) == (0.5, 1.5)
    rate, samples = audio_source(first)
    assert rate == SR and len(samples) == SR  # cut to the utterance: the 0.5 s of silence is gone
    np.testing.assert_allclose(samples[:100], tone(1.0, seed=0)[:100], atol=1e-4)


def test_blind_test_split_is_named(tmp_path):
    folder = make_slue(tmp_path / "slue", {"fine-tune": 1, "dev": 1})
    (folder / "slue-voxceleb_test_blind.tsv").write_text("id\n")
    with pytest.raises(FileNotFoundError, match="test_blind.tsv has no labels"):
        data.load_slue_dir(folder)


def test_hub_download_at_the_huggingface_hub_boundary(tmp_path, monkeypatch):
    import huggingface_hub
    from huggingface_hub.errors import GatedRepoError

    hub = make_slue(tmp_path / "hub", {"fine-tune": 2, "dev": 1, "test": 1})
    for s in ("fine-tune", "dev", "test"):  # the Hub repo's layout: data/voxceleb/{split}.tsv, audio/{split}.zip
        with zipfile.ZipFile(hub / f"{s}.zip", "w") as z:
            for flac in (hub / f"{s}_raw").iterdir():
                z.write(flac, f"{s}/{flac.name}")
    calls = []

    def fake_download(repo_id, filename, repo_type=None, token=None, **kw):
        calls.append((repo_id, filename, repo_type))
        name = Path(filename).name
        return str(hub / (f"slue-voxceleb_{name}" if name.endswith(".tsv") else name))

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", fake_download)
    folder = data.fetch_slue(tmp_path / "cache", audio=True)
    assert ("asapp/slue", "data/voxceleb/fine-tune.tsv", "dataset") in calls
    assert ("asapp/slue", "data/voxceleb/audio/test.zip", "dataset") in calls
    assert not any("fine-tune.zip" in c[1] for c in calls)  # only the test audio is transcribed
    rows = data.load_slue_dir(folder)
    assert len(rows) == 3 * 4 and all(r.audio and Path(r.audio).is_file() for r in data.split(rows, "test"))

    def gated(*a, **k):
        import httpx
        raise GatedRepoError("403 gated", response=httpx.Response(403, request=httpx.Request("GET", "https://hub")))

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", gated)
    with pytest.raises(PermissionError, match="gated.*--slue-dir"):
        data.fetch_slue(tmp_path / "cache2")


def test_manifests_csv_tsv_jsonl(tmp_path):
    (tmp_path / "a.csv").write_text('text,label,split\n"Good, really",positive,train\nmeh,<mixed>,dev\n')
    (tmp_path / "a.jsonl").write_text('{"text": "bad", "label": "Negative", "audio": "x.wav"}\n')
    (tmp_path / "a.tsv").write_text("sentence\tlabel\nhi\tNeutral\n")
    csv_rows = data.load_manifest(tmp_path / "a.csv")
    assert [(r.text, r.label, r.split) for r in csv_rows] == [("Good, really", "Positive", "train")]
    [row] = data.load_manifest(tmp_path / "a.jsonl")
    assert row.split == "test" and row.audio == str(tmp_path / "x.wav")
    with pytest.raises(ValueError, match="needs 'text' and 'label'"):
        data.load_manifest(tmp_path / "a.tsv")


def test_features_are_cached_by_encoder_pooling_and_text(tiny_bert, tmp_path, monkeypatch):
    encoder = TextEncoder(str(tiny_bert))
    first = features.features(encoder, ["I love it", "bad day"], tmp_path)
    monkeypatch.setattr(encoder, "encode", lambda *a, **k: pytest.fail("recomputed a cached feature"))
    torch.testing.assert_close(features.features(encoder, ["I love it", "bad day"], tmp_path), first)
    cls = TextEncoder(str(tiny_bert), pooling="cls")
    assert features.cache_key(cls, ["x"]) != features.cache_key(encoder, ["x"]) != features.cache_key(encoder, ["y"])
    assert features.encoder_fingerprint(encoder).startswith("sha256:")


def test_class_weights_balance_the_classes():
    y = torch.tensor([1] * 8 + [0] + [2])
    w = class_weights(y, 3)
    torch.testing.assert_close(w * torch.bincount(y, minlength=3).float(), torch.full((3,), 10 / 3))


def test_training_learns_minority_classes_and_stops_early():
    g = torch.Generator().manual_seed(0)
    y = torch.tensor([1] * 300 + [0] * 50 + [2] * 50)  # three-quarters Neutral, like SLUE
    x = torch.randn(len(y), 16, generator=g) + 3.0 * torch.nn.functional.one_hot(y, 16).float()
    head, history = train_head(x[::2], y[::2], x[1::2], y[1::2], HeadInfo(encoder="e", hidden_size=16),
                               TrainConfig(lr=1e-3, max_epochs=200, patience=5))
    pred = head.probabilities(x[1::2]).argmax(1)
    assert scores(y[1::2].tolist(), pred.tolist())["macro_f1"] > 0.8
    assert set(pred.tolist()) == {0, 1, 2}
    assert len(history) < 200 and {"train_loss", "dev_loss", "dev_macro_f1"} <= set(history[0])


def test_run_on_slue_layout_writes_everything_the_app_shows(tiny_bert, tiny_ctc, tmp_path):
    folder = make_slue(tmp_path / "slue", {"fine-tune": 6, "dev": 3, "test": 3})
    assets = tmp_path / "assets"
    metrics = run.main(["--stack", "slue", "--slue-dir", str(folder), "--encoder", str(tiny_bert),
                        "--asr-model", str(tiny_ctc), "--device", "cpu", "--assets", str(assets),
                        "--heads-dir", str(assets / "heads"),
                        "--cache-dir", str(tmp_path / "cache"), "--max-epochs", "4", "--patience", "10"])
    assert metrics.data["counts"]["train"] == {label: 6 for label in LABELS}
    assert metrics.text["test"]["n"] == 9 and metrics.pipeline["n"] + metrics.pipeline["failed"] == 9
    assert metrics.pipeline["wer"] >= 0 and len(metrics.text["test"]["confusion"]) == 3
    out = assets / "slue"
    assert read_metrics(out) == metrics  # the one definition, written and read back
    history = json.loads((out / "history.json").read_text())
    assert len(history) == metrics.training["epochs_run"] == 4
    for png in ("loss.png", "confusion_text.png", "confusion_pipeline.png", "reliability.png"):
        with Image.open(out / png) as image:
            assert image.width > 400 and image.height > 300
    head = load_head(assets / "heads" / "slue.safetensors")
    assert head.info.encoder == str(tiny_bert) and head.info.labels == LABELS and head.info.pooling == "mean"
    assert head.info.training["lr"] == TrainConfig().lr and head.info.training["max_epochs"] == 4
    assert head.info.metrics == metrics.summary() and head.info.metrics["text_test"]["macro_f1"] == round(
        metrics.text["test"]["macro_f1"], 4)
    assert head.info.temperature == metrics.calibration["temperature"] > 0  # fitted on dev, saved with the head
    assert 0 <= metrics.calibration["test_after"]["ece"] <= 1
    with open(out / "pipeline_predictions.csv", newline="") as f:
        assert len(list(csv.DictReader(f))) == 9


def test_training_says_it_runs_the_encoder_in_fp32_and_records_the_runtimes(tiny_bert, tiny_ctc, tmp_path, caplog):
    """--precision asks bf16 of the encoder: training keeps fp32 for the cached features and says so, and
    --precision still reaches the transcriber (fp32 asked of it here, on ONNX Runtime as on the CPU)."""
    folder = make_slue(tmp_path / "slue", {"fine-tune": 3, "dev": 3, "test": 3})
    with caplog.at_level(logging.WARNING, logger="training"):
        metrics = run.main(["--stack", "slue", "--slue-dir", str(folder), "--encoder", str(tiny_bert),
                            "--asr-model", str(tiny_ctc), "--device", "cpu", "--assets", str(tmp_path / "assets"),
                            "--heads-dir", str(tmp_path / "heads"), "--cache-dir", str(tmp_path / "cache"),
                            "--max-epochs", "1", "--precision", "transcriber=fp32,encoder=bf16"])
    assert "runs the encoder in fp32, not bf16" in caplog.text
    assert metrics.models["runtimes"] == {"transcriber": "onnx fp32 on cpu", "encoder": "onnx fp32 on cpu"}


def test_leave_one_source_out_never_trains_or_selects_on_the_source_it_tests():
    from training.transfer import leave_one_out

    g = torch.Generator().manual_seed(0)
    examples, rows = [], []
    for source in ("news", "reviews", "tweets"):
        for i in range(240):
            label = i % 3
            split = ("train", "train", "train", "dev", "test")[i % 5]
            examples.append(data.Example(f"{source}{i}", "x", LABELS[label], split, source=source))
            rows.append(torch.nn.functional.one_hot(torch.tensor(label), 8).float() * 3 + torch.randn(8, generator=g))
    x = torch.stack(rows)
    result = leave_one_out(examples, x, HeadInfo(encoder="enc", hidden_size=8),
                           TrainConfig(lr=1e-2, max_epochs=30, patience=30))
    assert set(result) == {"all", "news", "reviews", "tweets"}
    for source in ("news", "reviews", "tweets"):
        assert result[source]["n"] == 240  # every row of the source left out
        assert result[source]["train"] == 2 * 144 and result[source]["dev"] == 2 * 48  # the others' only
        assert result[source]["macro_f1"] > 0.9  # the labels are in the features, whatever the source
        # confident and right on a source never seen: a temperature fitted on the others' dev, a small error
        assert result[source]["calibration"]["temperature"] > 0 and result[source]["calibration"]["ece_after"] < 0.2
    assert result["all"]["n"] == 3 * 48 and result["all"]["train"] == 3 * 144
    with pytest.raises(ValueError, match="two named sources"):
        leave_one_out([data.Example("a", "x", "Positive", "train")], x[:1], HeadInfo(encoder="enc", hidden_size=8))


def test_a_manifest_keeps_its_source_column(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("text,label,split,source\ngood,positive,train,tweets\nbad,negative,test,\n")
    assert [e.source for e in data.load_manifest(path)] == ["tweets", ""]


def test_run_with_lora_fine_tuning_stores_adapters_the_pipeline_merges(tiny_bert, tiny_ctc, tmp_path, monkeypatch):
    from sentiment.pipeline import load_pipeline

    monkeypatch.setenv("SENTIMENT_CACHE", str(tmp_path / "models"))
    folder = make_slue(tmp_path / "slue", {"fine-tune": 6, "dev": 3, "test": 3})
    assets = tmp_path / "assets"
    rows = data.load_slue_dir(folder)
    train = data.split(rows, "train")
    asr = tmp_path / "asr.csv"  # transcripts of four train sentences, one of them misheard
    asr.write_text("id,text,label\n" + "".join(f"{e.id},{e.text if i else 'i loathe it'},{e.label}\n"
                                               for i, e in enumerate(train[:4])))
    metrics = run.main(["--stack", "slue", "--slue-dir", str(folder), "--encoder", str(tiny_bert),
                        "--asr-model", str(tiny_ctc), "--device", "cpu", "--assets", str(assets),
                        "--heads-dir", str(assets / "heads"), "--skip-pipeline", "--cache-dir", str(tmp_path / "cache"),
                        "--max-epochs", "3", "--finetune", "lora", "--finetune-epochs", "2", "--asr-text", str(asr)])
    tuned = metrics.training["finetune"]
    assert tuned["method"] == "lora" and len(tuned["history"]) == 2 and tuned["adapter_parameters"] > 0
    assert tuned["asr_text"]["rows"] == 4 and tuned["train_rows"] == len(train) + 4
    assert metrics.models["encoder"].endswith("+ LoRA rank 8")
    path = assets / "heads" / "slue.safetensors"
    head = load_head(path)
    assert head.adapter is not None and head.info.adapter["target_modules"] == ["query", "key", "value"]
    assert head.info.training["finetune"]["best_epoch"] in (1, 2)
    pipe = load_pipeline("slue", head=str(path), encoder=str(tiny_bert), asr_model=str(tiny_ctc), device="cpu",
                         speakers="off")
    assert pipe.encoder.adapter.digest == head.adapter.digest  # the product runs the fine-tuned encoder
    dev = data.split(data.load_slue_dir(folder), "dev")
    predicted = pipe.classify([e.text for e in dev]).argmax(1)
    accuracy = (predicted == torch.tensor([LABELS.index(e.label) for e in dev])).float().mean().item()
    assert accuracy == pytest.approx(metrics.text["dev"]["accuracy"], abs=1e-6)  # the figures are its figures


def test_transcripts_of_sentences_outside_train_are_refused(tmp_path):
    """A transcript of a dev or test sentence in the fine-tuning data would leak it: refused, with the id."""
    manifest = tmp_path / "m.csv"
    manifest.write_text("id,text,label,split\na,good,positive,train\nb,bad,negative,dev\nc,meh,neutral,test\n")
    text = data.load_text(manifest)
    asr = tmp_path / "asr.csv"
    asr.write_text("id,text,label\na,could,positive\n")
    assert [(e.id, e.text, e.split) for e in data.load_asr_text(asr, text)] == [("a", "could", "train")]
    for stray in ("b", "c", "z"):
        asr.write_text(f"id,text,label\na,could,positive\n{stray},bat,negative\n")
        with pytest.raises(ValueError, match=f"1 of 2 transcripts are not of train sentences.*'{stray}'"):
            data.load_asr_text(asr, text)


def test_soft_targets_follow_the_rating_the_label_was_cut_from():
    from training.train import soft_targets

    y = torch.tensor([2, 2, 1, 0, 1])  # Positive on its threshold, far Positive, Neutral, Negative, no rating
    t = soft_targets(y, [0.5, 3.0, 0.0, -0.5, None], scale=0.2)
    assert torch.allclose(t.sum(1), torch.ones(5))
    assert t[0, 1] == pytest.approx(0.5, abs=0.01) and t[0, 2] == pytest.approx(0.5, abs=0.01)  # on the line
    assert t[3, 0] == pytest.approx(0.5, abs=0.01) and t[3, 1] == pytest.approx(0.5, abs=0.01)
    assert t[1, 2] > 0.999 and 0.8 < t[2, 1] < 0.9  # sure far from a threshold; 0.5 from both: mostly Neutral
    assert t[4].tolist() == [0.0, 1.0, 0.0]  # no rating: one-hot
    assert torch.equal(soft_targets(y, [0.5, 3.0, 0.0, -0.5, None], scale=0), torch.nn.functional.one_hot(y, 3).float())
    with pytest.raises(ValueError, match="1 of 4 ratings do not give their row's label"):
        soft_targets(y, [0.5, 3.0, 0.0, 0.7, None], scale=0.2)  # "Negative" at +0.7: another scale


def test_reevaluate_measures_the_committed_head_anew_and_leaves_its_weights(tiny_bert, tiny_ctc, tmp_path):
    """``training.reevaluate``: the pipeline figures of a head already trained, measured again (another
    transcriber, another spoken set); the text figures and every tensor of the head stay as training left them."""
    from safetensors.torch import load_file

    from training import reevaluate

    folder = make_slue(tmp_path / "slue", {"fine-tune": 4, "dev": 2, "test": 2})
    assets, heads = tmp_path / "assets", tmp_path / "assets" / "heads"
    trained = run.main(["--stack", "slue", "--slue-dir", str(folder), "--encoder", str(tiny_bert), "--asr-model",
                        str(tiny_ctc), "--device", "cpu", "--assets", str(assets), "--heads-dir", str(heads),
                        "--cache-dir", str(tmp_path / "cache"), "--max-epochs", "2", "--patience", "10"])
    tensors = load_file(heads / "slue.safetensors")
    speech = tmp_path / "speech.csv"
    clips = sorted((folder / "test_raw").glob("test-*-0.flac"))[:4]
    speech.write_text("audio,text,label\n" + "".join(f"{c},so so good,Positive\n" for c in clips))
    summary = reevaluate.main(["--stack", "slue", "--speech", str(speech), "--encoder", str(tiny_bert),
                               "--asr-model", str(tiny_ctc), "--device", "cpu", "--assets", str(assets),
                               "--heads-dir", str(heads)])
    again = read_metrics(assets / "slue")
    assert again.pipeline["n"] + again.pipeline["failed"] == len(clips) != trained.pipeline["n"]
    assert again.text == trained.text and again.calibration == trained.calibration  # training.run's, untouched
    assert again.pipeline["source"].endswith("speech.csv") and again.models["transcriber"] == str(tiny_ctc)
    head = load_head(heads / "slue.safetensors")
    assert head.info.metrics == summary == again.summary()  # the head's metadata says the new figures
    after = load_file(heads / "slue.safetensors")
    assert after.keys() == tensors.keys() and all(torch.equal(after[k], tensors[k]) for k in tensors)
    with pytest.raises(FileNotFoundError, match="No metrics.json"):
        reevaluate.main(["--stack", "slue", "--assets", str(tmp_path / "none"), "--heads-dir", str(heads)])
