"""Audio made harder on purpose, for the tests and the benchmarks."""

from __future__ import annotations

import numpy as np


def with_noise(wave: np.ndarray, snr_db: float, seed: int) -> np.ndarray:
    """White noise added at ``snr_db`` below the wave's own power (seeded: the same noise every run)."""
    noise = np.random.default_rng(seed).standard_normal(wave.size).astype(np.float32)
    return wave + noise * np.sqrt(np.mean(wave ** 2) / 10 ** (snr_db / 10))
