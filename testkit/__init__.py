"""Helpers for the tests and the benchmarks, never for the product: random-weight models (``models``),
audio made harder (``audio``), and where the repository and ``../shared`` are (``ROOT``, ``SHARED``: one
definition, training's own). Not in the wheel."""

from training.paths import ROOT, SHARED

__all__ = ["ROOT", "SHARED"]
