"""The committed head through another transcriber, not trained again: when the stack's default transcriber
changes (the offline stack's went from Whisper tiny.en to base), the pipeline figures the app shows are
measured anew, with the head's weights untouched.

    python -m training.reevaluate --stack offline                    # through the stack's default transcriber
    python -m training.reevaluate --stack offline --asr-model tiny.en --assets DIR    # another, elsewhere

Rewrites assets/<stack>/metrics.json's "pipeline" and "models.transcriber", pipeline_predictions.csv and
confusion_pipeline.png; the text and calibration figures stay training.run's. The head's metadata gets
the same summary (``sentiment info`` prints it): its tensors are written back unchanged.
"""

from __future__ import annotations

import argparse
import logging
from dataclasses import replace
from pathlib import Path

from sentiment.evaluation import read_metrics
from sentiment.errors import run_command
from sentiment.logs import setup_logging
from sentiment.pipeline import load_pipeline
from sentiment.registry import TRAINABLE_STACKS, add_model_options, model_options
from sentiment.stacks import HEADS_DIR
from sentiment.text.head import save_head

from . import data as datasets
from .run import REGENERATED, _display, evaluate_speech
from .paths import ROOT

log = logging.getLogger("training")


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(prog="python -m training.reevaluate", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--stack", choices=TRAINABLE_STACKS, required=True, help="whose committed head")
    p.add_argument("--speech", type=Path, help="spoken test manifest (audio,text,label); default: the stack's")
    p.add_argument("--speech-limit", type=int, help="the first N recordings only")
    add_model_options(p, ("transcriber", "asr_model", "encoder", "device", "precision"))
    p.add_argument("--assets", type=Path, default=ROOT / "assets", help="where <stack>/metrics.json is (and goes)")
    p.add_argument("--heads-dir", type=Path, default=HEADS_DIR, help="where <stack>.safetensors is (and goes)")
    p.add_argument("-v", "--verbose", action="store_true", help="show the traceback of a failure")
    args = p.parse_args(argv)
    setup_logging(args.verbose, level=logging.INFO)
    head_path = args.heads_dir / f"{args.stack}.safetensors"
    out = args.assets / args.stack
    metrics = read_metrics(out) or read_metrics(ROOT / "assets" / args.stack)
    if metrics is None:
        raise FileNotFoundError(f"No metrics.json for the {args.stack} stack: train it first (python -m training.run)")
    speech_path = args.speech or datasets.stack_data(args.stack)["speech"]
    if not args.speech and (speech_path is None or not Path(speech_path).is_file()):
        speech_path = REGENERATED if REGENERATED.is_file() else None
    if speech_path is None:
        raise FileNotFoundError("No spoken test set: pass --speech MANIFEST, or make the offline one with "
                                "`python scripts/make_spoken_tests.py` (flite)")
    speech = datasets.load_manifest(speech_path)[: args.speech_limit]
    pipe = load_pipeline(args.stack, options=replace(model_options(args), head=str(head_path)), speakers="off")
    before = metrics.models.get("transcriber")
    out.mkdir(parents=True, exist_ok=True)
    evaluate_speech(metrics, pipe, speech, out, _display(speech_path))
    metrics.write(out)
    pipe.head.info.metrics = metrics.summary()
    save_head(pipe.head, head_path)
    log.info("the %s head through %s (before: %s): pipeline macro-F1 %.3f, WER %.3f; reference text of the same "
             "clips %.3f; wrote %s and %s", args.stack, metrics.models["transcriber"], before,
             metrics.pipeline["macro_f1"], metrics.pipeline["wer"], metrics.pipeline["text_same_clips"]["macro_f1"],
             out, head_path)
    return metrics.summary()


if __name__ == "__main__":
    raise SystemExit(run_command(main))
