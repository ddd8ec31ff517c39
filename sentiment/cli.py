"""Command line: ``python -m sentiment predict FILE...`` and ``python -m sentiment info``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sentiment.audio import DEFAULT_MAX_SECONDS
from sentiment.errors import run_command
from sentiment.labels import LABELS
from sentiment.logs import setup_logging
from sentiment.batch.inputs import collect_inputs
from sentiment.batch.rows import append_partial, read_done, write_rows
from sentiment.exports import ONE_RECORDING, check_formats, check_output, is_folder
from sentiment.result import to_row
from sentiment.registry import (Parser, add_model_options, add_speaker_options, model_options, non_negative_float,
                                positive_float, positive_int, speaker_options)
from sentiment.speakers.naming import parse_enrolment, parse_names



def main(argv: list[str] | None = None) -> int:
    return run_command(_main, sys.argv[1:] if argv is None else argv)


def _main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    setup_logging(args.verbose)
    return args.run(args)


def _parser() -> argparse.ArgumentParser:
    p = Parser(prog=program_name(), description="Transcribe English speech and "
               "tell whether it is Negative, Neutral or Positive.")
    sub = p.add_subparsers(required=True, metavar="COMMAND", parser_class=Parser)
    pred = sub.add_parser("predict", help="transcribe and classify audio files", description=(
        "Transcribe and classify audio. Each INPUT is an audio file, a folder of audio files, a CSV/TSV "
        "manifest with an 'audio' column (paths relative to the manifest), or with --engine ray a URI that "
        "Ray Data reads (s3://, gs://). Several files run as a batch with a progress bar. With -o, a second "
        "run with the same output skips the inputs that already have a result (resume after a crash)."))
    pred.add_argument("inputs", nargs="+", metavar="INPUT")
    pred.add_argument("--json", action="store_true", help="print one JSON object per input instead of text")
    pred.add_argument("-o", "--output", help="also write all results, one row per input, to a .csv, "
                      ".jsonl or .parquet file (rows are kept in OUTPUT.partial.jsonl while the run goes on); "
                      "or one input's result (.json), subtitles (.srt, .vtt: each cue 'S1 (Negative): ...'), who "
                      "spoke when (.rttm) or report (.html); or a folder (ending in /): one file per input, "
                      "in each --format")
    pred.add_argument("--format", default="srt", metavar="F,F", help="with -o FOLDER/: the files written per "
                      "input, from json, srt, vtt, rttm, html (default srt)")
    pred.add_argument("--no-words", dest="words", action="store_false", help="leave each segment's timed words "
                      "out of the results (smaller JSON, CSV and Parquet)")
    pred.add_argument("--retry-errors", action="store_true", help="resuming: run again the inputs whose "
                      "row is an error")
    ray = pred.add_argument_group("engine")
    ray.add_argument("--engine", choices=("local", "ray"), default="local", help="local: this process "
                     "(default); ray: a pool of Ray actors, here or on a cluster (pip install -r requirements-ray.txt)")
    ray.add_argument("--address", help="Ray cluster to join (ray://host:10001, auto, or RAY_ADDRESS); "
                     "default: start Ray here with this machine's cores")
    ray.add_argument("--workers", type=positive_int, help="Ray actors, each loading the models once; default one per "
                     "core, the cores shared out as threads (actors x threads = cores)")
    ray.add_argument("--gpus-per-worker", type=non_negative_float, default=0.0, help="GPUs each actor asks Ray for")
    pred.add_argument("--batch-size", type=positive_int, default=8, help="clips transcribed together (default 8)")
    pred.add_argument("--max-seconds", type=positive_float, default=DEFAULT_MAX_SECONDS,
                      help=f"refuse recordings longer than this (default {DEFAULT_MAX_SECONDS:.0f})")
    add_naming_options(add_speaker_options(pred))
    pred.set_defaults(run=_predict)
    rep = sub.add_parser("report", help="one recording as a page to share (self-contained HTML)", description=(
        "Analyse one recording and write a self-contained HTML page (opens with no network): the sentiment "
        "over time per speaker, each speaker's summary, the transcript with its labels, and the models with "
        "their measured figures."))
    rep.add_argument("inputs", nargs=1, metavar="INPUT")
    rep.add_argument("-o", "--output", type=Path, help="the page (default: INPUT's name with .html, here)")
    rep.add_argument("--max-seconds", type=positive_float, default=DEFAULT_MAX_SECONDS,
                     help=f"refuse recordings longer than this (default {DEFAULT_MAX_SECONDS:.0f})")
    add_naming_options(add_speaker_options(rep))
    rep.set_defaults(run=_report, json=False, words=True, engine="local", batch_size=1)
    info = sub.add_parser("info", help="show which stack and models would answer, and the head's metrics")
    info.set_defaults(run=_info)
    for s in (pred, rep, info):
        add_model_options(s)
        s.add_argument("-v", "--verbose", action="store_true", help="log what is loaded and how long it takes")
    return p


def add_naming_options(g) -> None:
    g.add_argument("--speaker-names", metavar="A,B", help="names for the speakers "
                   "in order of first appearance (e.g. Agent,Customer); an input with fewer speakers is an error")
    g.add_argument("--enroll", metavar="NAME=FILE", action="append", default=[], help="a few seconds (10 s is "
                   "plenty, 60 s at most) of a known person talking: the speaker whose voice matches is called "
                   "NAME, others keep S1, S2 ... (repeat for each person; with --speaker-names, the names "
                   "go to the speakers not enrolled)")


def program_name(argv0: str | None = None) -> str:
    """``sentiment`` when called as the console command, ``python -m sentiment`` when run as a module."""
    name = Path(sys.argv[0] if argv0 is None else argv0).name
    return "python -m sentiment" if name in ("__main__.py", "-m", "") else name


def _info(args) -> int:
    from sentiment.text.head import load_head
    from sentiment.stacks import resolve_stack
    from sentiment.transcribers.whisper import DEFAULT_MODEL, MEASURED, SHORT_NAMES

    config = resolve_stack(options=model_options(args))
    head = load_head(config.head)
    print(json.dumps({"config": config.describe(), "pooling": head.info.pooling, "layers": head.info.layers,
                      "labels": head.info.labels, "normalization": head.info.normalization,
                      "adapter": head.info.adapter or None,
                      "metrics": head.info.metrics,
                      "bundled_transcribers": {name: {"asr_model": short, "default": name == DEFAULT_MODEL,
                                                      **MEASURED[name]}
                                               for short, name in SHORT_NAMES.items()}},
                     indent=2))
    return 0


def _predict(args) -> int:
    from tqdm import tqdm

    from sentiment import exports

    if args.engine != "ray":
        ray_only = [o for o, v in (("--address", args.address), ("--workers", args.workers),
                                   ("--gpus-per-worker", args.gpus_per_worker)) if v]
        if ray_only:
            raise ValueError(f"{ray_only[0]} is for --engine ray; this run is local (add --engine ray)")
    folder = Path(args.output) if args.output and is_folder(args.output) else None  # "out/": Path drops the /
    args.output = Path(args.output) if args.output else None
    if args.output and not folder:
        check_output(args.output)
    files = collect_inputs(args.inputs)
    formats = check_formats(args.format.split(",")) if folder else []
    if args.output and not folder and args.output.suffix.lower() in ONE_RECORDING:
        if len(files) != 1:
            raise ValueError(f"-o {args.output.name} writes one recording's {args.output.suffix[1:]}: give one "
                             f"input, not {len(files)} (for a batch: -o results.jsonl, or -o FOLDER/ --format "
                             f"{args.output.suffix[1:]})")
        return _one(args, files[0], args.output)
    done: dict[str, dict] = {}
    if args.output and not folder:
        done = {k: r for k, r in read_done(args.output).items() if not (args.retry_errors and "error" in r)}
    todo = [f for f in files if f not in done]
    if len(todo) < len(files):
        print(f"resuming {args.output}: {len(files) - len(todo)} of {len(files)} inputs already have a result, "
              "skipped", file=sys.stderr)
    new: dict[str, dict] = {}
    with tqdm(total=len(todo), unit="file", disable=len(todo) < 2, file=sys.stderr) as bar:
        for rows in _run(args, todo):
            for row in rows:
                row.pop("index", None)
                new[row["path"]] = row
                bar.write(json.dumps(row) if args.json else _text(row), file=sys.stdout)
            if args.output and not folder:
                append_partial(args.output, rows)
            bar.update(len(rows))
    if folder:
        rows = [new[f] for f in files]
        written = exports.write_each(rows, folder, formats, _measured(args, formats, rows))
        print(f"wrote {len(written)} files to {folder}", file=sys.stderr)
    elif args.output:
        write_rows([done.get(f) or new[f] for f in files], args.output)
        print(f"wrote {len(files)} results to {args.output}", file=sys.stderr)
    return 1 if any("error" in r for r in new.values()) else 0


def _report(args) -> int:
    output = args.output or Path(Path(args.inputs[0]).stem + ".html")
    if output.suffix.lower() != ".html":
        raise ValueError(f"A report is an .html page, not {output.name}")
    return _one(args, collect_inputs(args.inputs)[0], output)


def _one(args, path: str, output: Path) -> int:
    """One recording: its result printed, then written as ``output`` (.json, .srt, .vtt, .rttm, .html)."""
    from sentiment import exports

    [row] = [r for rows in _run(args, [path]) for r in rows]
    row.pop("index", None)
    print(json.dumps(row) if args.json else _text(row))
    if "error" in row:
        return 1
    print(f"wrote {exports.write(row, output, _measured(args, [output.suffix.lower()], [row]))}", file=sys.stderr)
    return 0


def _measured(args, formats, rows) -> list[tuple[str, str]]:
    """The report's figures (the head's metadata, the transcriber's measured WER), when a report is written."""
    done = [r for r in rows if "models" in r]
    if ".html" not in formats or not done:
        return []
    from sentiment import report
    from sentiment.stacks import resolve_stack
    from sentiment.text.head import load_head
    from sentiment.transcribers.whisper import MEASURED

    head = load_head(resolve_stack(options=model_options(args)).head)
    return report.figures(head.info.metrics, MEASURED.get(done[0]["models"]["transcriber"]))


def _run(args, files: list[str]):
    """Rows for ``files``, a list at a time, from this process or from Ray actors."""
    if not files:
        return
    call = {"speaker_names": parse_names(args.speaker_names), "enroll": parse_enrolment(args.enroll)}
    if args.engine == "ray":
        from sentiment.batch.ray_engine import predict_on_ray
        yield from predict_on_ray(files, _options(args), address=args.address, workers=args.workers,
                                  batch_size=args.batch_size, gpus_per_worker=args.gpus_per_worker,
                                  max_seconds=args.max_seconds, call=call)
        return
    from sentiment.pipeline import load_pipeline
    pipe = load_pipeline(max_seconds=args.max_seconds, **_options(args))
    call["enroll"] = pipe.enroll(call["enroll"])  # once, before the batch
    for b in range(0, len(files), args.batch_size):
        batch = files[b:b + args.batch_size]
        results = pipe.predict(batch, return_errors=True, **call)
        yield [to_row(path, result) for path, result in zip(batch, results)]


def _options(args) -> dict:
    """``load_pipeline``'s options from the command line: the models and the speakers."""
    return {"options": model_options(args), "speakers": speaker_options(args), "words": getattr(args, "words", True)}


def _text(row: dict) -> str:
    if "error" in row:
        return f"{row['path']}: ERROR {row['error']}"
    lines = [f"{row['path']}: {row['label']}  ({_scores(row['confidences'])})"]
    lines += [f"    warning: {w}" for w in row.get("warnings") or []]
    for who in row.get("speakers") or []:
        lines.append(f"    {who['speaker']}: {who['label']}  ({_scores(who['confidences'])})  "
                     f"{who['seconds']:.1f} s, {who['share']:.0%} of the recording")
    segments = row.get("segments") or []
    if len(segments) > 1:
        width = max(3, *(len(s.get("speaker") or "") for s in segments))
        lines += [f"    {s['start']:7.1f}-{s['end']:<7.1f} {s.get('speaker') or '':{width}} {s['label']:8} "
                  f"{s['confidences'][s['label']]:.2f}  {s['text']}" for s in segments]
    else:
        lines.append(f"    {row['transcript']}")
    return "\n".join(lines)


def _scores(confidences: dict) -> str:
    return "  ".join(f"{name} {confidences[name]:.2f}" for name in LABELS)
