"""Encoder features, computed once and cached on disk so that re-training takes seconds.

The cache key covers everything that changes a feature: the encoder's weights (Hub commit, or a hash of
the weight files), pooling, layers, text normalisation, maximum length, and the texts themselves.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from sentiment.text.encoder import TextEncoder
from sentiment.runtime.bundled import sha256
from sentiment.text.normalize import NORMALIZATION, normalize_text

log = logging.getLogger(__name__)
WEIGHT_FILES = ("*.safetensors", "*.bin")


def encoder_fingerprint(encoder: TextEncoder) -> str:
    """The Hub commit the weights came from, or the SHA-256 of the weight files of a local folder."""
    folder = Path(encoder.source)
    if folder.is_dir():
        files = sorted(p for pattern in WEIGHT_FILES for p in folder.glob(pattern))
        return "sha256:" + hashlib.sha256("".join(sha256(p) for p in files).encode()).hexdigest()
    commit = getattr(encoder.config, "_commit_hash", None)
    return f"{encoder.source}@{commit or 'unknown-revision'}"


def cache_key(encoder: TextEncoder, texts: list[str]) -> str:
    spec = json.dumps({"encoder": encoder.name, "weights": encoder_fingerprint(encoder), "pooling": encoder.pooling,
                       "layers": list(encoder.layers), "normalization": NORMALIZATION,
                       "max_length": encoder.max_length, "precision": encoder.runtime.precision,
                       **({"adapter": encoder.adapter.digest} if encoder.adapter else {})}, sort_keys=True)
    h = hashlib.sha256(spec.encode())
    for text in texts:
        h.update(text.encode() + b"\0")
    return h.hexdigest()[:24]


def features(encoder: TextEncoder, texts: list[str], cache_dir: str | Path | None, name: str = "texts") -> torch.Tensor:
    """Pooled features of the normalised texts, read from the cache when present."""
    normalised = [normalize_text(t) for t in texts]
    path = Path(cache_dir) / f"features-{cache_key(encoder, normalised)}.safetensors" if cache_dir else None
    if path is not None and path.is_file():
        log.info("%s: %d features from the cache %s", name, len(texts), path)
        return load_file(str(path))["features"]
    out = encoder.encode(normalised, progress=f"encoding {name}")
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        save_file({"features": out.contiguous()}, str(path), metadata={"encoder": encoder.name, "n": str(len(texts))})
    return out
