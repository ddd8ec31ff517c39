"""The sentiment head (hidden → 30 → 3) and its self-describing safetensors checkpoint.

The file carries everything needed to use it correctly: which encoder and pooling made its inputs,
the label order, the text normalisation, how it was trained and how it scored. No pickle.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import save_file
from torch import nn

from sentiment.text.adapter import PREFIX, Adapter, split_tensors
from sentiment.text.encoder import short_name
from sentiment.errors import EncoderMismatchError, ModelError
from sentiment.labels import LABELS
from sentiment.text.normalize import NORMALIZATION

FORMAT = "sentiment-head/1"


@dataclass
class HeadInfo:
    encoder: str
    hidden_size: int
    pooling: str = "mean"
    layers: tuple[int, ...] = (-1,)
    labels: tuple[str, ...] = LABELS
    normalization: str = NORMALIZATION
    units: int = 30
    dropout: float = 0.1
    temperature: float = 1.0  # the logits are divided by it before the softmax (training/calibrate.py)
    adapter: dict = field(default_factory=dict)  # a fine-tuned encoder's adapters: their config (adapter.py)
    training: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)


class SentimentHead(nn.Module):
    """Standardise the pooled features, then hidden → units → len(labels)."""

    def __init__(self, info: HeadInfo):
        super().__init__()
        self.info = info
        self.adapter: Adapter | None = None  # set with the adapters' tensors when the encoder was fine-tuned
        self.register_buffer("feature_mean", torch.zeros(info.hidden_size))
        self.register_buffer("feature_std", torch.ones(info.hidden_size))
        self.net = nn.Sequential(nn.Linear(info.hidden_size, info.units), nn.ReLU(), nn.Dropout(info.dropout),
                                 nn.Linear(info.units, len(info.labels)))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.net((features - self.feature_mean) / self.feature_std)

    @torch.inference_mode()
    def probabilities(self, features: torch.Tensor) -> torch.Tensor:
        was_training = self.training
        self.eval()
        logits = self(features.to(self.feature_mean.device)).float()
        probs = torch.softmax(logits / self.info.temperature, dim=-1)
        self.train(was_training)
        return probs

    def check_encoder(self, encoder_name: str, hidden_size: int | None = None) -> None:
        """Refuse features from an encoder this head was not trained on; ``hidden_size=None`` checks the
        name only (before the encoder is loaded)."""
        size_differs = hidden_size is not None and hidden_size != self.info.hidden_size
        if short_name(encoder_name) != short_name(self.info.encoder) or size_differs:
            dims = "" if hidden_size is None else f" ({hidden_size} dims)"
            raise EncoderMismatchError(
                f"This head was trained on the encoder '{self.info.encoder}' ({self.info.hidden_size} dims), "
                f"but the encoder loaded is '{encoder_name}'{dims}. Load '{self.info.encoder}', "
                "or train a head for this encoder.")


def save_head(head: SentimentHead, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = {"format": FORMAT, **{k: json.dumps(v) for k, v in asdict(head.info).items()}}
    tensors = {k: v.detach().cpu().contiguous() for k, v in head.state_dict().items()}
    if head.adapter is not None:
        tensors |= {PREFIX + k: v.detach().cpu().contiguous() for k, v in head.adapter.tensors.items()}
    save_file(tensors, str(path), metadata=meta)
    return path


def load_head(path: str | Path, device: str = "cpu") -> SentimentHead:
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"No sentiment head at {path}")
    try:
        with safe_open(str(path), framework="pt", device="cpu") as f:
            meta = f.metadata() or {}
            tensors = {k: f.get_tensor(k) for k in f.keys()}
    except Exception as err:  # safetensors raises its own error types for corrupt files
        raise ModelError(f"{path} is not a readable safetensors file: {err}") from err
    if meta.get("format") != FORMAT:
        raise ModelError(f"{path} is not a sentiment head (format {meta.get('format')!r}, expected {FORMAT!r})")
    fields = {k: json.loads(v) for k, v in meta.items() if k != "format"}
    info = HeadInfo(**{**fields, "layers": tuple(fields["layers"]), "labels": tuple(fields["labels"])})
    if info.labels != LABELS:
        raise ModelError(f"{path} predicts {info.labels}; this package expects {LABELS}")
    head = SentimentHead(info)
    own, adapters = split_tensors(tensors)
    head.load_state_dict(own)
    if bool(info.adapter) != bool(adapters):
        raise ModelError(f"{path} is damaged: its adapter metadata and tensors do not match")
    head.adapter = Adapter(info.adapter, adapters) if adapters else None
    return head.eval().to(device)
