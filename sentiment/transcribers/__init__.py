"""Transcribers: the interface (``transcript``), wav2vec2-style CTC (``ctc``) and Whisper (``whisper``), and
loading one by kind (the kinds are in ``registry.TRANSCRIBERS``)."""

from __future__ import annotations

import importlib

from sentiment.registry import TRANSCRIBERS
from sentiment.runtime.plan import Runtime
from sentiment.transcribers.transcript import Span, Transcriber, Transcript, Word  # noqa: F401  (re-exported)


def transcriber_class(kind: str) -> type:
    if kind not in TRANSCRIBERS:
        raise ValueError(f"Unknown transcriber {kind!r}; expected one of {', '.join(TRANSCRIBERS)}")
    module, name = TRANSCRIBERS[kind].split(":")
    return getattr(importlib.import_module(module), name)


def load_transcriber(kind: str, model: str | None = None, runtime: Runtime | None = None, **options) -> Transcriber:
    """Build a transcriber of ``kind`` (``whisper``: any faster-whisper model, default the bundled base;
    ``wav2vec2``: any CTC model, default facebook/wav2vec2-base-960h) on ``runtime`` (``plan(kind, ...)``)."""
    cls = transcriber_class(kind)
    return cls(model or cls.DEFAULT_MODEL, runtime=runtime, **options)
