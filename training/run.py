"""Train, select and evaluate a head for one stack, and write everything the app shows.

    python -m training.run --stack offline                 # sentiment3.csv + spoken test set, no network
                                                           # (fine-tunes the encoder with LoRA: ~25 min, 2 cores)
    python -m training.run --stack slue                    # SLUE-VoxCeleb from the Hub (gated)
    python -m training.run --stack slue --slue-dir DIR     # a local copy in SLUE's layout

Writes sentiment/heads/<stack>.safetensors (package data) and assets/<stack>/{metrics.json, history.json, loss.png,
confusion_text.png, confusion_pipeline.png, reliability.png, pipeline_predictions.csv}.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import os
import time
from collections import Counter
from dataclasses import asdict, replace
from pathlib import Path

import torch

from sentiment.text.encoder import TextEncoder
from sentiment.evaluation import Metrics
from sentiment.errors import run_command
from sentiment.logs import setup_logging
from sentiment.text.adapter import weights_sha256
from sentiment.text.head import HeadInfo, save_head
from sentiment.labels import LABELS, label_id
from sentiment.pipeline import SentimentPipeline
from sentiment.registry import POOLINGS, STACK_DEFAULTS, TRAINABLE_STACKS, add_model_options, model_options
from sentiment.runtime.plan import plan
from sentiment.stacks import HEADS_DIR, resolve_stack
from sentiment.transcribers import load_transcriber

from . import data as datasets
from .calibrate import calibrate
from .evaluate import evaluate_pipeline, majority_baseline, scores
from .features import features
from .finetune import METHODS, add_arguments, config_from_args, describe, finetune
from .paths import ROOT
from .plots import plot_confusion, plot_history, plot_reliability
from .train import TrainConfig, best_epoch, soft_targets, train_head

FINETUNED = ("offline",)  # stacks whose encoder is fine-tuned by default; the mission keeps its frozen bert-base
REGENERATED = ROOT / ".cache" / "speech-tts" / "manifest.csv"  # scripts/make_spoken_tests.py, without ../shared
log = logging.getLogger("training")


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m training.run", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--stack", choices=TRAINABLE_STACKS, required=True, help="which stack's head to train")
    src = p.add_argument_group("data")
    src.add_argument("--data", type=Path, help="text manifest (CSV/TSV/JSONL: text,label,split); default: "
                     "the stack's (offline: data/sentiment3.csv; slue: SLUE-VoxCeleb)")
    src.add_argument("--speech", type=Path, help="spoken test manifest (audio,text,label) for the pipeline "
                     "evaluation; default offline: ../shared/data/speech/tts/manifest.csv; slue: SLUE's test audio")
    src.add_argument("--slue-dir", type=Path, help="local SLUE-VoxCeleb folder (slue-voxceleb_*.tsv, *_raw/*.flac)")
    src.add_argument("--hf-token", help="Hub token for the gated asapp/slue (default: your `hf auth login`)")
    src.add_argument("--speech-limit", type=int, help="evaluate the pipeline on the first N recordings only")
    src.add_argument("--skip-pipeline", action="store_true", help="text evaluation only (no audio needed)")
    src.add_argument("--engine", choices=("local", "ray"), default="local", help="run the pipeline evaluation "
                     "in this process or on Ray Data actors (pip install -r requirements-ray.txt)")
    src.add_argument("--workers", type=int, help="Ray actors for --engine ray (default one per core)")
    mod = add_model_options(p, ("transcriber", "asr_model", "encoder", "device", "precision"))
    mod.add_argument("--pooling", choices=POOLINGS, help="default: the stack's")
    mod.add_argument("--layers", type=int, nargs="+", help="hidden states to average (default: the stack's)")
    hp = p.add_argument_group("training")
    defaults = TrainConfig()
    for field, value in asdict(defaults).items():
        if not isinstance(value, bool):
            hp.add_argument(f"--{field.replace('_', '-')}", type=type(value), default=value,
                            help=f"(default {value})")
    ft = p.add_argument_group("fine-tuning the encoder (after the head; training/finetune.py)")
    ft.add_argument("--finetune", choices=METHODS, help="LoRA adapters on the encoder, trained with the "
                    "head and stored in its checkpoint; default: the stack's (offline lora, slue off)")
    add_arguments(ft)
    ft.add_argument("--asr-text", metavar="CSV", help="transcripts of spoken train sentences, added to the "
                    "fine-tuning data (scripts/make_asr_text.py); default: the stack's (offline: "
                    "data/sentiment3-asr.csv) unless --data is given; 'none': written sentences only")
    p.add_argument("-v", "--verbose", action="store_true", help="show the traceback of a failure")
    out = p.add_argument_group("output")
    out.add_argument("--assets", type=Path, default=ROOT / "assets", help="where <stack>/ (metrics, plots) goes")
    out.add_argument("--heads-dir", type=Path, default=HEADS_DIR, help="where <stack>.safetensors goes "
                     "(default: the package's heads, which load_pipeline finds)")
    out.add_argument("--cache-dir", type=Path, default=ROOT / ".cache", help="feature and download cache")
    return p.parse_args(argv)


def load_asr_text(args, text: list[datasets.Example]) -> list[datasets.Example]:
    """The transcripts fine-tuning adds to its train split: --asr-text, or the stack's with its own data."""
    path = args.asr_text or (None if args.data else datasets.stack_data(args.stack)["asr_text"])
    if path is None or str(path) == "none":
        return []
    return datasets.load_asr_text(path, text)


def load_examples(args) -> tuple[list[datasets.Example], list[datasets.Example], str]:
    """(text examples with train/dev/test splits, spoken test examples, description of the source)."""
    recipe = datasets.stack_data(args.stack)
    if args.data or recipe["data"]:
        path = args.data or recipe["data"]
        text = datasets.load_text(path)
        source = _display(path)
    else:
        folder = args.slue_dir or datasets.fetch_slue(args.cache_dir, audio=not args.skip_pipeline,
                                                      token=args.hf_token)
        text = datasets.decontaminate(datasets.load_slue_dir(folder), "SLUE-VoxCeleb")
        source = f"SLUE-VoxCeleb ({folder})"
    speech_path = args.speech or recipe["speech"]
    if not args.speech and speech_path and not Path(speech_path).is_file():
        speech_path = REGENERATED if REGENERATED.is_file() else None
        if speech_path is None and not args.skip_pipeline:
            raise FileNotFoundError(
                f"No spoken test set: {recipe['speech']} is absent. Make it with `python scripts/make_spoken_tests.py` "
                "(flite), or pass --speech MANIFEST, or --skip-pipeline.")
    args.speech_source = speech_path  # what the pipeline evaluation reads, for metrics.json
    if args.skip_pipeline:
        speech = []  # a fresh clone without ../shared trains and evaluates on text alone
    elif speech_path:
        speech = datasets.load_manifest(speech_path)
    else:
        speech = [e for e in datasets.split(text, "test") if e.audio]
    missing = [s for s in ("train", "dev", "test") if not datasets.split(text, s)]
    if missing:
        raise ValueError(f"{source} has no {', '.join(missing)} rows; a 'split' column must give train, dev and test")
    return text, speech[: args.speech_limit] if args.speech_limit else speech, source


def main(argv=None) -> Metrics:
    args = parse_args(argv)
    setup_logging(args.verbose, level=logging.INFO)
    config = resolve_stack(options=model_options(args), require_head=False)  # --stack is among them
    # Features in fp32 on any device (cached; a head must not depend on the card it was trained on): the
    # encoder's runtime, re-planned once, is the one the local and the Ray evaluation both use.
    asked = config.encoder_runtime
    config = replace(config, encoder_runtime=plan("encoder", config.encoder_name, device=config.device,
                                                  precision="fp32"))
    if asked.precision != "fp32":
        log.warning("training runs the encoder in fp32, not %s as --precision asked: its features are cached and "
                    "a head must not depend on the card it was trained on (--precision still reaches the "
                    "transcriber: %s)", asked.precision, config.transcriber_runtime)
    train_config = TrainConfig(**{k: getattr(args, k) for k in asdict(TrainConfig()) if hasattr(args, k)})
    layers = tuple(args.layers or STACK_DEFAULTS[args.stack]["layers"])
    args.pooling = args.pooling or STACK_DEFAULTS[args.stack]["pooling"]
    text, speech, source = load_examples(args)
    counts = {s: dict(Counter(e.label for e in datasets.split(text, s))) for s in ("train", "dev", "test")}
    log.info("data: %s %s; spoken test recordings: %d", source, counts, len(speech))

    encoder = TextEncoder(config.encoder, config.encoder_runtime, pooling=args.pooling, layers=layers,
                          name=config.encoder_name)
    t0 = time.perf_counter()
    x, y = {}, {}
    for s in ("train", "dev", "test"):
        rows = datasets.split(text, s)
        x[s] = features(encoder, [e.text for e in rows], args.cache_dir, name=s)
        y[s] = torch.tensor([label_id(e.label) for e in rows])
    feature_seconds = time.perf_counter() - t0

    t0 = time.perf_counter()
    info = HeadInfo(encoder=encoder.name, hidden_size=encoder.hidden_size, pooling=args.pooling, layers=layers)
    soft = soft_targets(y["train"], [e.rating for e in datasets.split(text, "train")], train_config.soft_labels)
    head, history = train_head(x["train"], y["train"], x["dev"], y["dev"], info, train_config, soft=soft)
    train_seconds = time.perf_counter() - t0
    finetuned = None
    if (args.finetune or ("lora" if args.stack in FINETUNED else "off")) == "lora":
        asr = load_asr_text(args, text)
        head, encoder, x, finetuned = _finetune(args, config, encoder, head, text, asr, y, x, train_config.soft_labels)
    predict = lambda s: head.probabilities(x[s]).argmax(1).tolist()
    metrics = Metrics(
        stack=config.stack, data={"source": source, "counts": counts},
        models={"transcriber": config.asr_model or config.transcriber, "encoder": encoder.name,
                "pooling": args.pooling, "layers": list(layers),
                "runtimes": {"transcriber": str(config.transcriber_runtime), "encoder": str(config.encoder_runtime)}},
        training={**asdict(train_config), "best_epoch": best_epoch(history)["epoch"],
                  "epochs_run": len(history), "feature_seconds": round(feature_seconds, 1),
                  "train_seconds": round(train_seconds, 1)},
        majority_baseline=majority_baseline(y["train"].tolist(), y["test"].tolist()),
        text={s: scores(y[s].tolist(), predict(s)) for s in ("dev", "test")},
        calibration=calibrate(head, x["dev"], y["dev"], x["test"], y["test"]))
    if finetuned:
        metrics.training["finetune"] = finetuned
        metrics.models["encoder"] = f"{encoder.name} + LoRA rank {finetuned['rank']}"
    out = args.assets / config.stack
    out.mkdir(parents=True, exist_ok=True)
    if not args.skip_pipeline and speech:
        transcriber = load_transcriber(config.transcriber, config.asr_model, config.transcriber_runtime)
        evaluate_speech(metrics, SentimentPipeline(transcriber, encoder, head, stack=config.stack), speech, out,
                        _display(args.speech_source or source), **_engine(args, config, head))
    head.info.training = metrics.training
    head.info.metrics = metrics.summary()
    head_path = save_head(head, args.heads_dir / f"{config.stack}.safetensors")
    metrics.write(out)
    (out / "history.json").write_text(json.dumps(history, indent=1) + "\n")
    plot_history(history, out / "loss.png", f"{config.stack} head: {encoder.name}, {args.pooling} pooling",
                 finetune=finetuned["history"] if finetuned else None)
    plot_confusion(metrics.text["test"]["confusion"], list(LABELS), out / "confusion_text.png",
                   f"{config.stack} head on reference text (test), n={metrics.text['test']['n']}")
    plot_reliability(metrics.calibration, out / "reliability.png", f"{config.stack} head on reference text (test)")
    log.info("wrote %s and %s: %s", head_path, out, json.dumps(head.info.metrics))
    return metrics


def evaluate_speech(metrics: Metrics, pipe: SentimentPipeline, speech: list[datasets.Example], out: Path,
                    source: str, **engine) -> None:
    """The whole pipeline on the spoken test set, into ``metrics`` (its pipeline scores and transcriber),
    ``out``/pipeline_predictions.csv and the confusion plot."""
    metrics.models["transcriber"] = pipe.transcriber.name
    t0 = time.perf_counter()
    metrics.pipeline, rows = evaluate_pipeline(pipe, speech, **engine)
    metrics.pipeline.update(source=source, seconds=round(time.perf_counter() - t0, 1))
    _write_rows(rows, out / "pipeline_predictions.csv")
    plot_confusion(metrics.pipeline["confusion"], list(LABELS), out / "confusion_pipeline.png",
                   f"{metrics.stack} pipeline (audio → transcript → label), n={metrics.pipeline['n']}")


def _finetune(args, config, encoder, head, text, asr, y, x, scale: float):
    """Fine-tune from the frozen-encoder head, on the written train sentences and the transcripts of spoken
    ones (``asr``), then encode dev and test again as the product will: through the merged (and, on a CPU,
    exported) encoder, so that every figure after this is the stored model's."""
    ft_config = config_from_args(args)
    texts = {s: [e.text for e in datasets.split(text, s)] for s in ("train", "dev", "test")}
    rows = datasets.split(text, "train") + asr
    train = ([e.text for e in rows], torch.tensor([label_id(e.label) for e in rows]))
    soft = soft_targets(train[1], [e.rating for e in rows], scale)
    log.info("fine-tuning on %d written and %d transcribed train sentences", len(texts["train"]), len(asr))
    sha = weights_sha256(encoder.name, encoder.source) or "unknown"
    t0 = time.perf_counter()
    head, history, ft_config = finetune(config.encoder, encoder.name, sha, head, train, (texts["dev"], y["dev"]),
                                        ft_config, soft=soft)
    seconds = time.perf_counter() - t0
    encoder = TextEncoder(config.encoder, config.encoder_runtime, pooling=head.info.pooling, layers=head.info.layers,
                          name=encoder.name, adapter=head.adapter)
    x = {**x, **{s: features(encoder, texts[s], args.cache_dir, name=f"{s} (fine-tuned)") for s in ("dev", "test")}}
    transcribed = {"rows": len(asr), "source": _display(args.asr_text or datasets.stack_data(args.stack)["asr_text"])
                   } if asr else {"rows": 0}
    return head, encoder, x, {**describe(ft_config, history, head), "asr_text": transcribed,
                              "train_rows": len(train[0]), "seconds": round(seconds, 1)}


def _engine(args, config, head) -> dict:
    """For --engine ray: the stack each actor loads (the same runtimes as the local evaluation), with this
    head saved where they read it."""
    if args.engine != "ray":
        return {}
    path = save_head(head, args.cache_dir / f"{config.stack}-head-under-evaluation.safetensors")
    return {"ray_options": replace(config, head=str(path)), "workers": args.workers}


def _display(path) -> str:
    """Paths under the repository's parent are shown relative to the repository (../shared/...)."""
    try:
        return os.path.relpath(Path(path).resolve(),
                               ROOT) if Path(path).resolve().is_relative_to(ROOT.parent) else str(path)
    except (TypeError, ValueError):
        return str(path)


def _write_rows(rows: list[dict], path: Path) -> None:
    fields = sorted({k for r in rows for k in r}, key=lambda k: (k not in ("id", "label", "predicted"), k))
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    raise SystemExit(run_command(main))  # no network, gated data, bad option: one line, exit 2
