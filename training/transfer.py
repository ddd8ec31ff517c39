"""Leave one source out: how a recipe does on a kind of text it never saw. For each source of the manifest
(sentiment3: tweets, Amazon review snippets, New York Times editorial snippets), a head is trained on the
other sources' train split, selected on their dev split, and tested on every row of the source left out.
Issue 19 decides between recipes by these figures, not by the in-domain test split alone.

    python -m training.transfer                      # the offline stack's recipe: frozen MPNet + head
    python -m training.transfer --data other.csv     # any manifest with a source column

Writes assets/<stack>/transfer.json and prints a table.
"""

from __future__ import annotations

import argparse
import json
import logging
from dataclasses import asdict
from pathlib import Path

import torch

from sentiment.labels import label_id
from sentiment.registry import STACK_DEFAULTS, TRAINABLE_STACKS
from sentiment.stacks import resolve_stack
from sentiment.text.encoder import TextEncoder
from sentiment.text.head import HeadInfo

from . import data as datasets
from .evaluate import scores
from .features import features
from .shared import ROOT
from .train import TrainConfig, train_head

log = logging.getLogger("training")


def leave_one_out(examples: list[datasets.Example], x: torch.Tensor, info: HeadInfo,
                  config: TrainConfig = TrainConfig()) -> dict:
    """{source: scores on all its rows} of heads trained and selected without it (``x``: the examples'
    features, in order), and "all" for the ordinary split (train, dev → test) for comparison."""
    y = torch.tensor([label_id(e.label) for e in examples])
    sources = sorted({e.source for e in examples})
    if len(sources) < 2 or "" in sources:
        raise ValueError(f"Leaving a source out needs at least two named sources; the data has {sources}")
    out = {}
    for held_out in [None, *sources]:
        pick = lambda split: torch.tensor([e.split == split and e.source != held_out for e in examples])  # noqa: E731
        train, dev = pick("train"), pick("dev")
        test = torch.tensor([e.source == held_out if held_out else e.split == "test" for e in examples])
        head, _ = train_head(x[train], y[train], x[dev], y[dev], HeadInfo(**asdict(info)), config)
        predicted = head.probabilities(x[test]).argmax(1).tolist()
        name = held_out or "all"
        out[name] = {"train": int(train.sum()), "dev": int(dev.sum()), **scores(y[test].tolist(), predicted)}
        log.info("%s: macro-F1 %.3f on %d rows", name, out[name]["macro_f1"], out[name]["n"])
    return out


def main(argv=None) -> dict:
    from sentiment.logs import setup_logging

    p = argparse.ArgumentParser(prog="python -m training.transfer", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--stack", choices=TRAINABLE_STACKS, default="offline", help="whose encoder and recipe")
    p.add_argument("--data", type=Path, help="manifest with split and source columns (default: the stack's)")
    p.add_argument("--assets", type=Path, default=ROOT / "assets", help="where <stack>/transfer.json goes")
    p.add_argument("--cache-dir", type=Path, default=ROOT / ".cache", help="feature cache")
    args = p.parse_args(argv)
    setup_logging(False, level=logging.INFO)
    path = args.data or datasets.stack_data(args.stack)["data"]
    if path is None:
        raise ValueError(f"The {args.stack} stack has no manifest with sources here: give --data")
    examples = datasets.load_manifest(path)
    config = resolve_stack(args.stack, require_head=False)
    pooling, layers = STACK_DEFAULTS[args.stack]["pooling"], tuple(STACK_DEFAULTS[args.stack]["layers"])
    encoder = TextEncoder(config.encoder, config.encoder_runtime, pooling=pooling, layers=layers,
                          name=config.encoder_name)
    # Per split, in the same order as training.run: its cached features are reused.
    order = [e for s in ("train", "dev", "test") for e in datasets.split(examples, s)]
    x = torch.cat([features(encoder, [e.text for e in datasets.split(examples, s)], args.cache_dir, name=s)
                   for s in ("train", "dev", "test")])
    info = HeadInfo(encoder=encoder.name, hidden_size=encoder.hidden_size, pooling=pooling, layers=layers)
    result = {"data": str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path),
              "recipe": f"frozen {encoder.name} ({pooling} pooling of layers {list(layers)}) + head",
              "training": asdict(TrainConfig()), "scores": leave_one_out(order, x, info)}
    out = args.assets / args.stack / "transfer.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"\n{result['recipe']}\n\n| tested on | trained on | n | accuracy | macro-F1 |\n|---|---|---|---|---|")
    for name, s in result["scores"].items():
        where = "test split (all sources seen)" if name == "all" else f"{name}, all rows (never seen)"
        print(f"| {where} | {s['train']:,} rows | {s['n']:,} | {s['accuracy']:.3f} | {s['macro_f1']:.3f} |")
    print(f"\nwrote {out}")
    return result


if __name__ == "__main__":
    from sentiment.errors import run_command

    raise SystemExit(run_command(main))
