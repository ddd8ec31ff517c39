"""Loading models by Hub id or local folder, with errors that say what to do.

The product never hard-wires a model: every loader takes a Hub id or a folder. When the Hub cannot
be reached and the model is not cached, the error names the offline stack, which needs no download.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from urllib.parse import urlparse

from sentiment.errors import ModelUnavailableError


def from_pretrained(cls, name_or_path: str, **kwargs):
    """``cls.from_pretrained`` with a clear ModelUnavailableError instead of a deep OSError. A Hub id is
    looked up in the local cache first; the Hub is asked only when it answers at all (one short connection
    attempt), so that a machine without it gets the message at once, not after a minute of retries."""
    name = str(name_or_path)
    try:
        if Path(name).exists():
            return cls.from_pretrained(name, **kwargs)
        try:
            return cls.from_pretrained(name, **{**kwargs, "local_files_only": True})
        except (OSError, ValueError):
            if os.environ.get("HF_HUB_OFFLINE", "0") not in ("0", "") or not hub_reachable():
                raise
        return cls.from_pretrained(name, **kwargs)
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


def hub_reachable(timeout: float = 3.0) -> bool:
    """Whether the Hub (or HF_ENDPOINT) accepts a connection within ``timeout`` seconds."""
    url = urlparse(os.environ.get("HF_ENDPOINT") or "https://huggingface.co")
    try:
        socket.create_connection((url.hostname, url.port or (443 if url.scheme == "https" else 80)),
                                 timeout=timeout).close()
    except OSError:
        return False
    return True


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__
