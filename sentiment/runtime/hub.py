"""Loading models by Hub id or local folder, with errors that say what to do.

The product never hard-wires a model: every loader takes a Hub id or a folder. When the Hub cannot
be reached and the model is not cached, the error names the offline stack, which needs no download.
"""

from __future__ import annotations

from pathlib import Path

from sentiment.errors import ModelUnavailableError


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


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__
