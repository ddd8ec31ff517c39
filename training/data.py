"""Data sources, one interface: rows of id, text, label, split and optional audio.

- SLUE-VoxCeleb from the Hub (gated ``asapp/slue``): the three TSVs, and the audio zips when asked.
- A local SLUE folder in the layout of SLUE's release: ``slue-voxceleb_{split}.tsv`` and ``{split}_raw/*.flac``.
- Any manifest: CSV, TSV or JSONL with ``text,label`` and optional ``split``, ``audio`` (and ``id``).
Labels outside Negative/Neutral/Positive (SLUE's ``<mixed>`` and ``Disagreement``) are dropped and counted.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import logging
import zipfile
from collections import Counter
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from sentiment.labels import LABELS

from .paths import ROOT, SHARED

log = logging.getLogger(__name__)

# What a stack is trained and tested on, when not SLUE-VoxCeleb (its own splits and test audio, from the Hub):
# the text manifest in the repository and the spoken test set in ../shared.
# "asr_text": transcripts of spoken train sentences that fine-tuning adds (scripts/make_asr_text.py).
STACK_DATA = {"offline": {"data": ROOT / "data" / "sentiment3.csv",
                          "speech": SHARED / "data" / "speech" / "tts" / "manifest.csv",
                          "asr_text": ROOT / "data" / "sentiment3-asr.csv"}}


# Keys of sentences kept apart to measure transfer (a copy of ../shared/data/exclude/sentences.sha256, so that a
# clone without ../shared decontaminates the same way): never trained or selected on. data/exclude/README.md.
EXCLUDED = ROOT / "data" / "exclude" / "sentences.sha256"


def stack_data(stack: str) -> dict:
    """The stack's training text and spoken test set, as paths (None: SLUE-VoxCeleb's own)."""
    return STACK_DATA.get(stack, {"data": None, "speech": None, "asr_text": None})

SLUE_REPO = "asapp/slue"
SLUE_SPLITS = {"fine-tune": "train", "dev": "dev", "test": "test"}  # SLUE's name -> ours


@dataclass(frozen=True)
class Example:
    id: str
    text: str
    label: str
    split: str  # train, dev or test
    audio: str | None = None  # path to an audio file
    start: float | None = None  # seconds, when the file holds more than this utterance
    end: float | None = None
    source: str = ""  # where the text comes from (sentiment3: tweets, Amazon or NYT snippets), when known
    rating: float | None = None  # the mean human rating the label was cut from (sentiment3: -4..+4), when known


def split(examples: list[Example], name: str) -> list[Example]:
    return [e for e in examples if e.split == name]


def keep_known_labels(rows: list[Example], source: str) -> list[Example]:
    """Keep the three labels; log how many of each other label were dropped."""
    kept = [r for r in rows if r.label in LABELS]
    dropped = Counter(r.label for r in rows if r.label not in LABELS)
    if dropped:
        log.warning("%s: dropped %d rows with other labels (%s)", source, sum(dropped.values()),
                    ", ".join(f"{k}: {v}" for k, v in sorted(dropped.items())))
    return kept


def sentence_key(text: str) -> str:
    """The exclusion list's key: lowercase, runs of other than a-z0-9 as one space, stripped, SHA-256."""
    return hashlib.sha256(re.sub(r"[^a-z0-9]+", " ", text.lower()).strip().encode()).hexdigest()


@lru_cache(maxsize=1)
def excluded_keys(path: Path | None = None) -> frozenset[str]:
    path = path or EXCLUDED
    if not path.is_file():
        raise FileNotFoundError(f"The exclusion list {path} is missing: it is part of the repository (git checkout it)")
    return frozenset(line.strip() for line in path.read_text().splitlines() if line.strip())


def decontaminate(rows: list[Example], source: str) -> list[Example]:
    """Drop every row whose sentence is on the exclusion list; log how many, by split and source."""
    keys = excluded_keys()
    dropped = Counter((r.split, r.source or "-") for r in rows if sentence_key(r.text) in keys)
    if dropped:
        log.warning("%s: dropped %d sentences kept apart to measure transfer (%s)", source, sum(dropped.values()),
                    ", ".join(f"{s} {src}: {n}" for (s, src), n in sorted(dropped.items())))
    return [r for r in rows if sentence_key(r.text) not in keys]


def load_text(path: str | Path) -> list[Example]:
    """A text manifest to train, select or test a head on: ``load_manifest`` less the excluded sentences."""
    return decontaminate(load_manifest(path), Path(path).name)


def load_asr_text(path: str | Path, text: list[Example]) -> list[Example]:
    """Transcripts of spoken sentences (``scripts/make_asr_text.py``), each of a train row of ``text`` (same
    id, whose rating it takes): a transcript of a dev or test sentence would leak it into training, so any
    other id is refused."""
    rows = load_text(path)
    splits = {e.id: e.split for e in text}
    stray = [r.id for r in rows if splits.get(r.id) != "train"]
    if stray:
        raise ValueError(f"{path}: {len(stray)} of {len(rows)} transcripts are not of train sentences of the data "
                         f"(e.g. id {stray[0]!r}); make them from this manifest with scripts/make_asr_text.py --data")
    rating = {e.id: e.rating for e in text}
    return [replace(r, split="train", rating=rating[r.id]) for r in rows]  # the sentence's rating


def with_transcripts(rows: list[Example], asr: list[Example]) -> list[Example]:
    """``rows`` and the transcripts of those rows only: a source left out leaves with its transcripts."""
    ids = {e.id for e in rows}
    return rows + [e for e in asr if e.id in ids]


def load_manifest(path: str | Path, default_split: str = "test") -> list[Example]:
    """CSV, TSV or JSONL with text,label [,split, audio, id, source]; audio paths are relative to the manifest."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No manifest at {path}")
    if path.suffix.lower() == ".jsonl":
        records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    else:
        with open(path, newline="", encoding="utf-8") as f:
            records = list(csv.DictReader(f, delimiter="\t" if path.suffix.lower() == ".tsv" else ","))
    if records and not {"text", "label"} <= set(records[0]):
        raise ValueError(f"{path} needs 'text' and 'label' columns; it has {', '.join(records[0])}")
    rows = [Example(id=str(r.get("id") or i), text=r["text"], label=str(r["label"]).strip().capitalize(),
                    split=r.get("split") or default_split,
                    audio=str(path.parent / r["audio"]) if r.get("audio") else None,
                    source=str(r.get("source") or ""), rating=_float(r.get("rating")))
            for i, r in enumerate(records)]
    return keep_known_labels(rows, path.name)


def load_slue_dir(folder: str | Path) -> list[Example]:
    """A local SLUE-VoxCeleb folder: slue-voxceleb_{fine-tune,dev,test}.tsv (or {split}.tsv) and
    {split}_raw/{id}.flac, cut to each row's start and end seconds."""
    folder = Path(folder)
    rows: list[Example] = []
    for slue_name, ours in SLUE_SPLITS.items():
        tsv = next((p for p in (folder / f"slue-voxceleb_{slue_name}.tsv", folder / f"{slue_name}.tsv")
                    if p.is_file()), None)
        if tsv is None:
            blind = folder / f"slue-voxceleb_{slue_name}_blind.tsv"
            hint = f" ({blind.name} has no labels)" if blind.is_file() else ""
            raise FileNotFoundError(f"{folder} has no slue-voxceleb_{slue_name}.tsv{hint}")
        audio_dir = next((d for d in (folder / f"{slue_name}_raw", folder / slue_name) if d.is_dir()), None)
        with open(tsv, newline="", encoding="utf-8") as f:
            for r in csv.DictReader(f, delimiter="\t"):
                flac = audio_dir / f"{r['id']}.flac" if audio_dir else None
                rows.append(Example(id=r["id"], text=r["normalized_text"], label=r["sentiment"].strip(),
                                    split=ours, audio=str(flac) if flac and flac.is_file() else None,
                                    start=_float(r.get("start_second")), end=_float(r.get("end_second"))))
    return keep_known_labels(rows, f"SLUE-VoxCeleb ({folder})")


def fetch_slue(cache_dir: str | Path, audio: bool = False, token: str | None = None) -> Path:
    """Download SLUE-VoxCeleb's TSVs (and, with ``audio``, the test audio: the only split whose audio the
    evaluation transcribes) from the Hub into a local SLUE folder."""
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import GatedRepoError, RepositoryNotFoundError

    folder = Path(cache_dir) / "slue-voxceleb"
    folder.mkdir(parents=True, exist_ok=True)
    try:
        for slue_name in SLUE_SPLITS:
            tsv = hf_hub_download(SLUE_REPO, f"data/voxceleb/{slue_name}.tsv", repo_type="dataset", token=token)
            (folder / f"slue-voxceleb_{slue_name}.tsv").write_bytes(Path(tsv).read_bytes())
            if audio and slue_name == "test" and not (folder / f"{slue_name}_raw").is_dir():
                zipped = hf_hub_download(SLUE_REPO, f"data/voxceleb/audio/{slue_name}.zip", repo_type="dataset",
                                         token=token)
                _unzip_flacs(Path(zipped), folder / f"{slue_name}_raw")
    except (GatedRepoError, RepositoryNotFoundError) as err:
        raise PermissionError(
            f"{SLUE_REPO} is gated: accept its terms on the Hub with your account, then log in "
            "(`hf auth login`) or pass --hf-token. Or use a local copy: --slue-dir DIR.") from err
    except OSError as err:
        raise ConnectionError(
            f"Could not download {SLUE_REPO} from the Hub ({err}). Without network, use a local copy: "
            "--slue-dir DIR, or train the offline stack: --stack offline.") from err
    return folder


def _unzip_flacs(zipped: Path, target: Path) -> None:
    """Extract the flac files of a zip flat into ``target`` (file names are the utterance ids)."""
    tmp = target.with_name(target.name + ".partial")
    tmp.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(zipped) as z:
        for member in z.infolist():
            if member.filename.endswith(".flac"):
                (tmp / Path(member.filename).name).write_bytes(z.read(member))
    tmp.rename(target)


def _float(value) -> float | None:
    return float(value) if value not in (None, "") else None
