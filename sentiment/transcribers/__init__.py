"""Loading a transcriber by kind (the kinds are in ``registry.TRANSCRIBERS``)."""

from __future__ import annotations

import importlib
import inspect

from sentiment.registry import TRANSCRIBERS

SPEED_OPTIONS = ("backend", "precision")  # chosen per stack, understood by some kinds only
from sentiment.transcribers.transcript import Phrase, Transcriber, Transcript, Word  # noqa: F401  (the interface, re-exported)


def transcriber_class(kind: str) -> type:
    if kind not in TRANSCRIBERS:
        raise ValueError(f"Unknown transcriber {kind!r}; expected one of {', '.join(TRANSCRIBERS)}")
    module, name = TRANSCRIBERS[kind].split(":")
    return getattr(importlib.import_module(module), name)


def load_transcriber(kind: str, model: str | None = None, device: str = "cpu", **options) -> Transcriber:
    """Build a transcriber of ``kind`` (``whisper``: any faster-whisper model, default the bundled tiny.en;
    ``wav2vec2``: any CTC model, default facebook/wav2vec2-base-960h). The speed options (``backend``,
    ``precision``) go only to a kind that takes them: Whisper's CTranslate2 picks its own."""
    cls = transcriber_class(kind)
    takes = inspect.signature(cls).parameters
    options = {k: v for k, v in options.items() if k in takes or k not in SPEED_OPTIONS}
    return cls(model or cls.DEFAULT_MODEL, device=device, **options)
