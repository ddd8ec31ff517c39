"""Leave one source out: how a recipe does on a kind of text it never saw. For each source of the manifest
(sentiment3: tweets, Amazon review snippets, New York Times editorial snippets), a head is trained on the
other sources' train split, selected on their dev split, and tested on every row of the source left out.
Issue 19 decides between recipes by these figures, not by the in-domain test split alone.

    python -m training.transfer                      # the offline stack's recipe: frozen MPNet + head
    python -m training.transfer --finetune lora      # + LoRA fine-tuning (training/finetune.py): ~12 min a source
    python -m training.transfer --finetune lora --hold-out tweets    # one source (the others' figures are kept)
    python -m training.transfer --data other.csv     # any manifest with a source column

Writes assets/<stack>/transfer.json ("scores": frozen; "finetuned": the fine-tuned recipe, beside it) and
transfer.png (the app's Evaluation tab shows it), and prints a table.
"""

from __future__ import annotations

import argparse
import json
import logging
from dataclasses import asdict
from pathlib import Path
from collections.abc import Callable

import torch

from sentiment.evaluation import read_metrics
from sentiment.labels import label_id
from sentiment.registry import STACK_DEFAULTS, TRAINABLE_STACKS
from sentiment.stacks import resolve_stack
from sentiment.text.encoder import TextEncoder
from sentiment.text.adapter import weights_sha256
from sentiment.text.head import HeadInfo
from sentiment.text.normalize import normalize_text

from . import data as datasets
from .calibrate import calibrate
from .evaluate import scores
from .features import features
from .finetune import METHODS, add_arguments, config_from_args
from .plots import plot_transfer
from .paths import ROOT
from .train import TrainConfig, soft_targets, train_head

log = logging.getLogger("training")


def leave_one_out(examples: list[datasets.Example], x: torch.Tensor, info: HeadInfo,
                  config: TrainConfig = TrainConfig(), tune: Callable | None = None,
                  hold_out: list[str] | None = None) -> dict:
    """{source: scores on all its rows} of heads trained and selected without it (``x``: the examples'
    features, in order), and "all" for the ordinary split (train, dev → test) for comparison. Each head's
    temperature is fitted on the dev rows it was selected on, as ``training.run`` does, and its calibration
    error reported on the rows it is tested on: do its confidences hold on text of a kind it never saw?
    ``tune``: ``tune(head, train, dev) -> (head, encode)``, a recipe that goes on from the frozen head, with
    ``encode(rows) -> features`` for its encoder (then no "all": that is ``training.run``'s figure);
    ``hold_out``: only these sources."""
    y = torch.tensor([label_id(e.label) for e in examples])
    sources = sorted({e.source for e in examples})
    if len(sources) < 2 or "" in sources:
        raise ValueError(f"Leaving a source out needs at least two named sources; the data has {sources}")
    unknown = set(hold_out or []) - set(sources)
    if unknown:
        raise ValueError(f"No source {', '.join(sorted(unknown))} in the data; it has {', '.join(sources)}")
    out = {}
    for held_out in ([] if tune else [None]) + [s for s in sources if not hold_out or s in hold_out]:
        pick = lambda split, held_out=held_out: torch.tensor([e.split == split and e.source != held_out
                                                             for e in examples])
        train, dev = pick("train"), pick("dev")
        test = torch.tensor([e.source == held_out if held_out else e.split == "test" for e in examples])
        soft = soft_targets(y, [e.rating for e in examples], config.soft_labels)[train]
        head, _ = train_head(x[train], y[train], x[dev], y[dev], HeadInfo(**asdict(info)), config, soft=soft)
        if tune:
            rows = lambda mask: [e for e, m in zip(examples, mask.tolist()) if m]
            head, encode = tune(head, rows(train), rows(dev))
            dev_x, test_x = encode(rows(dev)), encode(rows(test))
        else:
            dev_x, test_x = x[dev], x[test]
        calibration = calibrate(head, dev_x, y[dev], test_x, y[test])
        predicted = head.probabilities(test_x).argmax(1).tolist()
        name = held_out or "all"
        out[name] = {"train": int(train.sum()), "dev": int(dev.sum()), **scores(y[test].tolist(), predicted),
                     "calibration": _summary(calibration)}
        log.info("%s: macro-F1 %.3f on %d rows, ECE %.3f (temperature %.2f, fitted on the dev rows seen)", name,
                 out[name]["macro_f1"], out[name]["n"], calibration["test_after"]["ece"], calibration["temperature"])
    return out


def main(argv=None) -> dict:
    from sentiment.logs import setup_logging

    p = argparse.ArgumentParser(prog="python -m training.transfer", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--stack", choices=TRAINABLE_STACKS, default="offline", help="whose encoder and recipe")
    p.add_argument("--data", type=Path, help="manifest with split and source columns (default: the stack's)")
    p.add_argument("--assets", type=Path, default=ROOT / "assets", help="where <stack>/transfer.json goes")
    p.add_argument("--cache-dir", type=Path, default=ROOT / ".cache", help="feature cache")
    p.add_argument("--finetune", choices=METHODS, default="off", help="lora: measure the fine-tuned "
                   "recipe (training.run's for the offline stack) beside the frozen one")
    p.add_argument("--asr-text", metavar="CSV", help="transcripts that fine-tuning adds, as in training.run "
                   "(default: the stack's unless --data is given; 'none': written sentences only)")
    add_arguments(p.add_argument_group("fine-tuning (--finetune lora), as in training.run"))
    p.add_argument("--hold-out", nargs="+", metavar="SOURCE", help="leave out only these sources (default: each)")
    args = p.parse_args(argv)
    setup_logging(False, level=logging.INFO)
    path = args.data or datasets.stack_data(args.stack)["data"]
    if path is None:
        raise ValueError(f"The {args.stack} stack has no manifest with sources here: give --data")
    examples = datasets.load_text(path)
    config = resolve_stack(args.stack, require_head=False)
    pooling, layers = STACK_DEFAULTS[args.stack]["pooling"], tuple(STACK_DEFAULTS[args.stack]["layers"])
    encoder = TextEncoder(config.encoder, config.encoder_runtime, pooling=pooling, layers=layers,
                          name=config.encoder_name)
    # Per split, in the same order as training.run: its cached features are reused.
    order = [e for s in ("train", "dev", "test") for e in datasets.split(examples, s)]
    x = torch.cat([features(encoder, [e.text for e in datasets.split(examples, s)], args.cache_dir, name=s)
                   for s in ("train", "dev", "test")])
    info = HeadInfo(encoder=encoder.name, hidden_size=encoder.hidden_size, pooling=pooling, layers=layers)
    out = args.assets / args.stack / "transfer.json"
    result = json.loads(out.read_text()) if out.is_file() else {}
    result |= {"data": str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path),
               "recipe": f"frozen {encoder.name} ({pooling} pooling of layers {list(layers)}) + head",
               "training": asdict(TrainConfig())}
    if args.finetune == "off":
        result["scores"] = {**result.get("scores", {}), **leave_one_out(order, x, info, hold_out=args.hold_out)}
    else:
        ft_config = config_from_args(args)
        asr_path = args.asr_text or (None if args.data else datasets.stack_data(args.stack)["asr_text"])
        asr = [] if asr_path in (None, "none") else datasets.load_asr_text(asr_path, examples)
        tuned = leave_one_out(order, x, info, tune=_tuner(config, encoder, ft_config, asr), hold_out=args.hold_out)
        old = result.get("finetuned", {})
        where = " (attention and feed-forward)" if ft_config.modules == "all" else ""
        recipe = f"LoRA rank {ft_config.rank}{where} on {encoder.name}, from the frozen head" + (
            f", with {len(asr):,} transcripts of spoken train sentences" if asr else "")
        result["finetuned"] = {"recipe": recipe, "finetune": asdict(ft_config), "asr_text": len(asr),
                               "scores": {**(old.get("scores", {}) if old.get("recipe") == recipe else {}), **tuned}}
    in_domain(result, args.assets / args.stack)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")
    plot_transfer(result, out.with_suffix(".png"), f"{args.stack}: macro-F1 on text of a source never trained on")
    print(table(result) + f"\nwrote {out} and {out.with_suffix('.png').name}")
    return result


def in_domain(result: dict, folder: Path) -> None:
    """The fine-tuned recipe's ordinary split is ``training.run``'s (not trained again here): its test figure,
    from the stack's metrics (``folder``), when that run fine-tuned."""
    m = read_metrics(folder)
    if "finetuned" in result and m is not None and "finetune" in m.training:
        result["finetuned"]["scores"]["all"] = {"train": sum(m.data["counts"]["train"].values()),
                                                "dev": sum(m.data["counts"]["dev"].values()),
                                                "from": "python -m training.run", **m.text["test"]}
        if m.calibration:
            result["finetuned"]["scores"]["all"]["calibration"] = _summary(m.calibration)


def _summary(calibration: dict) -> dict:
    """``calibrate``'s result as transfer.json keeps it: the temperature and the ECE before and after."""
    return {"temperature": calibration["temperature"], "ece_before": calibration["test_before"]["ece"],
            "ece_after": calibration["test_after"]["ece"]}


def table(result: dict) -> str:
    """Markdown: each source's figure, frozen beside fine-tuned when both are measured, and each one's
    calibration error after its temperature (fitted on the dev rows it saw) where measured."""
    tuned = result.get("finetuned", {}).get("scores", {})
    ece = lambda s: f"{s['calibration']['ece_after']:.3f}" if s and "calibration" in s else "—"
    lines = [result["recipe"], "", "| tested on | trained on | n | frozen macro-F1 | fine-tuned | change "
             "| ECE frozen | ECE fine-tuned |", "|---|---|---|---|---|---|---|---|"]
    for name, s in result["scores"].items():
        where = "test split (all sources seen)" if name == "all" else f"{name}, all rows (never seen)"
        t = tuned.get(name)
        after = f"{t['macro_f1']:.3f} | {t['macro_f1'] - s['macro_f1']:+.3f}" if t else "— | —"
        lines.append(f"| {where} | {s['train']:,} rows | {s['n']:,} | {s['macro_f1']:.3f} | {after} "
                     f"| {ece(s)} | {ece(t)} |")
    return "\n".join(lines) + "\n"


def _tuner(config, encoder: TextEncoder, ft_config, asr: list[datasets.Example]) -> Callable:
    """The fine-tuned recipe for ``leave_one_out``: adapters from the frozen head, trained on the train rows and
    the transcripts of those rows (``asr``: of the held-out source's, none); its encoder is the merged one
    (PyTorch: no export for a model used once)."""
    from .finetune import finetune

    sha = weights_sha256(encoder.name, encoder.source) or "unknown"

    def tune(head, train, dev):
        xy = lambda rows: ([e.text for e in rows], torch.tensor([label_id(e.label) for e in rows]))
        train = datasets.with_transcripts(train, asr)
        soft = soft_targets(xy(train)[1], [e.rating for e in train], TrainConfig().soft_labels)
        head, _, _ = finetune(config.encoder, encoder.name, sha, head, xy(train), xy(dev), ft_config, soft=soft)
        merged = TextEncoder(config.encoder, pooling=head.info.pooling, layers=head.info.layers, name=encoder.name,
                             adapter=head.adapter, device="cpu", backend="torch", precision="fp32")
        encode = lambda rows: merged.encode([normalize_text(e.text) for e in rows], progress=f"{len(rows):,} rows")
        return head, encode

    return tune


if __name__ == "__main__":
    from sentiment.errors import run_command

    raise SystemExit(run_command(main))
