"""Which bundled encoder, pooling and layers make the best offline head: chosen on dev, reported on test.

    python -m training.select_encoder                       # MiniLM and MPNet on data/sentiment3.csv
    python -m training.select_encoder --encoders minilm     # one of them

Each encoder runs once over every text, keeping the mean-pooled states of its last four layers and the
[CLS] state of the last; every candidate (pooling, layers) is then an average of those, so a dozen
candidates cost one encoder pass. Each candidate gets a head trained exactly as ``training.run`` trains
one (same TrainConfig), selected on dev. Writes a JSON report beside the printed table.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import time
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from tqdm import tqdm

from sentiment.runtime import bundled
from sentiment.text.head import HeadInfo
from sentiment.labels import label_id
from sentiment.registry import ENCODERS
from sentiment.text.normalize import NORMALIZATION, normalize_text

from . import data as datasets
from .evaluate import scores
from .train import TrainConfig, train_head

ROOT = Path(__file__).resolve().parent.parent
CANDIDATES = [("mean", (-1,)), ("mean", (-2, -1)), ("mean", (-3, -2, -1)), ("mean", (-4, -3, -2, -1)),
              ("cls", (-1,))]
log = logging.getLogger("training")


def layer_features(folder: Path, texts: list[str], cache: Path, batch_size: int = 32) -> dict[str, torch.Tensor]:
    """{"mean-1": ..., "mean-2": ..., "mean-3": ..., "mean-4": ..., "cls-1": ...} for the normalised texts."""
    from transformers import AutoModel, AutoTokenizer

    key = hashlib.sha256(f"{bundled.sha256(next(folder.glob('*.safetensors')))}{NORMALIZATION}".encode())
    for t in texts:
        key.update(t.encode() + b"\0")
    path = cache / f"layers-{key.hexdigest()[:24]}.safetensors"
    if path.is_file():
        return load_file(str(path))
    tokenizer, model = AutoTokenizer.from_pretrained(folder), AutoModel.from_pretrained(folder).eval()
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out = {f"mean-{k}": torch.empty(len(texts), model.config.hidden_size) for k in range(1, 5)}
    out["cls-1"] = torch.empty(len(texts), model.config.hidden_size)
    with torch.inference_mode():
        for b in tqdm(range(0, len(order), batch_size), desc=f"encoding with {folder.name}", unit="batch"):
            idx = order[b:b + batch_size]
            batch = tokenizer([texts[i] for i in idx], padding=True, truncation=True, max_length=512,
                              return_tensors="pt")
            states = model(**batch, output_hidden_states=True).hidden_states
            mask = batch["attention_mask"].unsqueeze(-1).float()
            for k in range(1, 5):
                out[f"mean-{k}"][idx] = (states[-k] * mask).sum(1) / mask.sum(1)
            out["cls-1"][idx] = states[-1][:, 0]
    cache.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in out.items()}, str(path))
    return out


def candidate(feats: dict[str, torch.Tensor], pooling: str, layers: tuple[int, ...]) -> torch.Tensor:
    return torch.stack([feats[f"{pooling}{layer}"] for layer in layers]).mean(0)


def main(argv=None) -> list[dict]:
    p = argparse.ArgumentParser(prog="python -m training.select_encoder", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, default=ROOT / "data" / "sentiment3.csv", help="text manifest with splits")
    p.add_argument("--encoders", nargs="+", choices=list(ENCODERS), default=list(ENCODERS))
    p.add_argument("--cache-dir", type=Path, default=ROOT / ".cache")
    p.add_argument("--out", type=Path, default=ROOT / "assets" / "offline" / "encoder_selection.json")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    examples = datasets.load_text(args.data)
    splits = {s: datasets.split(examples, s) for s in ("train", "dev", "test")}
    y = {s: torch.tensor([label_id(e.label) for e in rows]) for s, rows in splits.items()}
    results = []
    for name in args.encoders:
        folder, model_id = bundled.encoder(name)
        t0 = time.perf_counter()
        texts = [normalize_text(e.text) for s in ("train", "dev", "test") for e in splits[s]]
        feats = layer_features(Path(folder), texts, args.cache_dir)
        seconds = time.perf_counter() - t0
        bounds = {"train": (0, len(y["train"])), "dev": (len(y["train"]), len(y["train"]) + len(y["dev"])),
                  "test": (len(y["train"]) + len(y["dev"]), len(texts))}
        for pooling, layers in CANDIDATES:
            x = candidate(feats, pooling, layers)
            x = {s: x[a:b] for s, (a, b) in bounds.items()}
            info = HeadInfo(encoder=model_id, hidden_size=x["train"].shape[1], pooling=pooling, layers=layers)
            head, _ = train_head(x["train"], y["train"], x["dev"], y["dev"], info, TrainConfig())
            f1 = {s: round(scores(y[s].tolist(), head.probabilities(x[s]).argmax(1).tolist())["macro_f1"], 4)
                  for s in ("dev", "test")}
            results.append({"encoder": model_id, "pooling": pooling, "layers": list(layers),
                            "dev_macro_f1": f1["dev"], "test_macro_f1": f1["test"],
                            "encode_seconds": round(seconds, 1)})
            log.info("%s", results[-1])
    best = max(results, key=lambda r: r["dev_macro_f1"])
    print("\n| encoder | pooling | layers | dev macro-F1 | test macro-F1 |\n|---|---|---|---|---|")
    for r in results:
        mark = " (best on dev)" if r is best else ""
        print(f"| {r['encoder']} | {r['pooling']} | {r['layers']} | {r['dev_macro_f1']:.3f}{mark} | "
              f"{r['test_macro_f1']:.3f} |")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"data": str(args.data.name), "candidates": results, "best_on_dev": best},
                                   indent=1) + "\n")
    return results


if __name__ == "__main__":
    main()
