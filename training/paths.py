"""Where ``../shared`` is: the data kept beside the repository (model configs, spoken test sets, real
recordings; its README says what each is and its licence). One definition, for training, the tests and the
benchmarks; ``SENTIMENT_SHARED`` moves it. Nothing in the ``sentiment`` package reads it."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent  # the repository
SHARED = Path(os.environ.get("SENTIMENT_SHARED") or ROOT.parent / "shared")
