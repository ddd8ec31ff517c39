"""scripts/make_asr_text.py: train sentences spoken by espeak-ng and transcribed by the bundled Whisper, for
fine-tuning on what the product reads; and the committed transcripts it made."""

import csv
import shutil
from pathlib import Path

import pytest

from sentiment.text.normalize import normalize_text
from training import data

ROOT = Path(__file__).resolve().parent.parent
SENTENCES = {"a": ("I love this camera, it is wonderful.", "Positive", "train"),
             "b": ("The battery died after one day.", "Negative", "train"),
             "c": ("The meeting is on Tuesday.", "Neutral", "dev"),
             "d": ("This is the worst phone I have ever owned.", "Negative", "train")}


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng (apt-get install espeak-ng)")
def test_train_sentences_are_spoken_transcribed_and_resumed(whisper, tmp_path):
    from scripts.make_asr_text import main

    manifest, out = tmp_path / "m.csv", tmp_path / "asr.csv"
    with open(manifest, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "text", "label", "split"])
        w.writerows([k, *v] for k, v in SENTENCES.items())
    assert main(["--data", str(manifest), "--out", str(out), "--limit", "2"], transcriber=whisper) == 0
    assert len(out.read_text().splitlines()) - 1 == 2  # stopped at the limit
    assert main(["--data", str(manifest), "--out", str(out)], transcriber=whisper) == 0  # resumes
    rows = {r["id"]: r for r in csv.DictReader(out.read_text().splitlines())}
    assert sorted(rows) == ["a", "b", "d"]  # every train sentence once; the dev sentence never spoken
    for key, row in rows.items():
        assert row["label"] == SENTENCES[key][1] and row["reference"] == SENTENCES[key][0]
        assert row["voice"].startswith("espeak-ng ")
    assert len({r["voice"] for r in rows.values()}) == 3  # voices in turn
    for row in rows.values():  # heard, not copied: most words of each sentence come back ("battery" may not)
        said, heard = normalize_text(row["reference"]).split(), set(normalize_text(row["text"]).split())
        assert sum(w in heard for w in said) / len(said) >= 0.5, row
    assert "love" in normalize_text(rows["a"]["text"]).split()  # the word the label rests on (one voice, clear)
    assert [e.id for e in data.load_asr_text(out, data.load_text(manifest))] == list(rows)


def test_committed_transcripts_are_of_train_sentences_with_their_labels():
    """data/sentiment3-asr.csv: of decontaminated train rows only, each with its sentence's label, and
    transcripts that differ from the sentence (Whisper's, not a copy)."""
    text = data.load_text(ROOT / "data" / "sentiment3.csv")
    asr = data.load_asr_text(ROOT / "data" / "sentiment3-asr.csv", text)  # raises on any dev, test or unknown id
    by_id = {e.id: e for e in text}
    assert len(asr) >= 1000 and len({e.id for e in asr}) == len(asr)
    assert all(e.label == by_id[e.id].label for e in asr)
    keys = data.excluded_keys()
    with open(ROOT / "data" / "sentiment3-asr.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert all(data.sentence_key(r["reference"]) not in keys for r in rows)
    assert all(r["reference"] == by_id[r["id"]].text for r in rows)
    changed = sum(data.sentence_key(r["text"]) != data.sentence_key(r["reference"]) for r in rows) / len(rows)
    assert 0.3 < changed < 0.99
