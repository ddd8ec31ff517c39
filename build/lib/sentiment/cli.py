"""Command line: ``python -m sentiment predict FILE...`` and ``python -m sentiment info``."""

from __future__ import annotations

import argparse
import csv
import json
import logging
import sys
import traceback
from pathlib import Path

from .audio import DEFAULT_MAX_SECONDS
from .errors import EXPECTED
from .labels import LABELS
from .registry import add_model_options, model_options

AUDIO_SUFFIXES = {".wav", ".flac", ".ogg", ".mp3", ".opus", ".m4a", ".webm", ".aac"}
MANIFEST_SUFFIXES = {".csv", ".tsv"}


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
    try:
        return args.run(args)
    except EXPECTED as err:
        if args.verbose:
            traceback.print_exc()
        print(f"error: {err}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m sentiment", description="Transcribe English speech and "
                                "tell whether it is Negative, Neutral or Positive.")
    sub = p.add_subparsers(required=True, metavar="COMMAND")
    pred = sub.add_parser("predict", help="transcribe and classify audio files", description=(
        "Transcribe and classify audio. Each INPUT is an audio file, a folder of audio files, or a CSV/TSV "
        "manifest with an 'audio' column (paths relative to the manifest). Several files run as a batch "
        "with a progress bar."))
    pred.add_argument("inputs", nargs="+", metavar="INPUT")
    pred.add_argument("--json", action="store_true", help="print one JSON object per input instead of text")
    pred.add_argument("-o", "--output", type=Path, help="also write all results to a .csv or .jsonl file")
    pred.add_argument("--batch-size", type=int, default=8, help="clips transcribed together (default 8)")
    pred.add_argument("--max-seconds", type=float, default=DEFAULT_MAX_SECONDS,
                      help=f"refuse recordings longer than this (default {DEFAULT_MAX_SECONDS:.0f})")
    pred.set_defaults(run=_predict)
    info = sub.add_parser("info", help="show which stack and models would answer, and the head's metrics")
    info.set_defaults(run=_info)
    for s in (pred, info):
        add_model_options(s)
        s.add_argument("-v", "--verbose", action="store_true", help="log what is loaded and how long it takes")
    return p


def _info(args) -> int:
    from .head import load_head
    from .stacks import resolve_stack

    config = resolve_stack(**model_options(args))
    head = load_head(config.head)
    print(json.dumps({"config": config.describe(), "pooling": head.info.pooling, "layers": head.info.layers,
                      "labels": head.info.labels, "normalization": head.info.normalization,
                      "metrics": head.info.metrics}, indent=2))
    return 0


def _predict(args) -> int:
    from tqdm import tqdm

    from .pipeline import load_pipeline

    files = collect_inputs(args.inputs)
    pipe = load_pipeline(max_seconds=args.max_seconds, **model_options(args))
    rows, failed = [], 0
    with tqdm(total=len(files), unit="file", disable=len(files) < 2, file=sys.stderr) as bar:
        for b in range(0, len(files), args.batch_size):
            batch = files[b:b + args.batch_size]
            for path, result in zip(batch, pipe.predict(batch, return_errors=True)):
                row = _row(path, result)
                failed += "error" in row
                rows.append(row)
                bar.write(json.dumps(row) if args.json else _text(row), file=sys.stdout)
            bar.update(len(batch))
    if args.output:
        _write(rows, args.output)
        print(f"wrote {len(rows)} results to {args.output}", file=sys.stderr)
    return 1 if failed else 0


def collect_inputs(inputs: list[str]) -> list[Path]:
    """Expand folders (their audio files, sorted) and manifests (their 'audio' column)."""
    files: list[Path] = []
    for item in map(Path, inputs):
        if item.is_dir():
            found = sorted(p for p in item.rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES)
            if not found:
                raise ValueError(f"No audio files ({', '.join(sorted(AUDIO_SUFFIXES))}) in the folder {item}")
            files += found
        elif item.suffix.lower() in MANIFEST_SUFFIXES:
            with open(item, newline="", encoding="utf-8") as f:
                reader = csv.DictReader(f, delimiter="\t" if item.suffix.lower() == ".tsv" else ",")
                if "audio" not in (reader.fieldnames or []):
                    raise ValueError(f"The manifest {item} has no 'audio' column")
                files += [item.parent / r["audio"] for r in reader]
        else:
            files.append(item)  # a missing or bad file gets its own error row
    return files


def _row(path: Path, result) -> dict:
    if isinstance(result, Exception):
        return {"path": str(path), "error": str(result)}
    return {"path": str(path), "label": result.label, **result.confidences, "transcript": result.transcript,
            "duration": result.duration, "segments": [vars(s) for s in result.segments]}


def _text(row: dict) -> str:
    if "error" in row:
        return f"{row['path']}: ERROR {row['error']}"
    scores = "  ".join(f"{name} {row[name]:.2f}" for name in LABELS)
    return f"{row['path']}: {row['label']}  ({scores})\n    {row['transcript']}"


def _write(rows: list[dict], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        return
    fields = ["path", "label", *LABELS, "transcript", "duration", "error"]
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
