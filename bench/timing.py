"""The one timer of the benchmarks: wall seconds of a block (GPU-synchronised when it runs on one), the
median of repeated calls after a warm-up, and real-time factors."""

from __future__ import annotations

import statistics
import time
from contextlib import contextmanager
from dataclasses import dataclass
from collections.abc import Callable, Iterator


class Clock:
    """Started when made: ``clock.seconds`` is the wall time since. On a GPU device, queued work is waited
    for at the start and at each reading, so the time is the work's and not its launch's."""

    def __init__(self, device: str | None = None):
        self.device = device
        _sync(device)
        self.start = time.perf_counter()

    @property
    def seconds(self) -> float:
        _sync(self.device)
        return time.perf_counter() - self.start


@dataclass
class Lap:
    seconds: float = 0.0


@contextmanager
def stopwatch(device: str | None = None) -> Iterator[Lap]:
    """``with stopwatch() as lap: ...`` then ``lap.seconds``: the block's wall time (a ``Clock``)."""
    lap, clock = Lap(), Clock(device)
    try:
        yield lap
    finally:
        lap.seconds = clock.seconds


def median_seconds(fn: Callable[[], object], repeat: int = 5, warmup: int = 1, device: str | None = None) -> float:
    """Median wall time of ``repeat`` calls of ``fn``, after ``warmup`` calls that are not timed."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        with stopwatch(device) as lap:
            fn()
        times.append(lap.seconds)
    return statistics.median(times)


def rtf(seconds: float, audio_seconds: float) -> float:
    """Real-time factor: compute seconds per second of audio (below 1: faster than real time)."""
    return seconds / audio_seconds


def _sync(device: str | None) -> None:
    if device is not None and str(device).startswith("cuda"):
        import torch
        torch.cuda.synchronize(device)
