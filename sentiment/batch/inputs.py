"""What a batch reads: audio files, folders of them, manifests, and URIs for Ray Data."""

from __future__ import annotations

import csv
from pathlib import Path

AUDIO_SUFFIXES = {".wav", ".flac", ".ogg", ".mp3", ".opus", ".m4a", ".webm", ".aac"}
MANIFEST_SUFFIXES = {".csv", ".tsv"}


def collect_inputs(inputs: list[str]) -> list[str]:
    """Expand folders (their audio files, sorted) and manifests (their 'audio' column); URIs pass as they are."""
    files: list[str] = []
    for text in inputs:
        item = Path(text)
        if "://" in text:
            files.append(text)  # Ray Data reads it (--engine ray)
        elif item.is_dir():
            found = sorted(p for p in item.rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES)
            if not found:
                raise ValueError(f"No audio files ({', '.join(sorted(AUDIO_SUFFIXES))}) in the folder {item}")
            files += map(str, found)
        elif item.suffix.lower() in MANIFEST_SUFFIXES:
            with open(item, newline="", encoding="utf-8") as f:
                reader = csv.DictReader(f, delimiter="\t" if item.suffix.lower() == ".tsv" else ",")
                if "audio" not in (reader.fieldnames or []):
                    raise ValueError(f"The manifest {item} has no 'audio' column")
                files += [str(item.parent / r["audio"]) for r in reader]
        else:
            files.append(text)  # a missing or bad file gets its own error row
    return files
