"""The one peak-memory probe of the tests and the benchmarks: a function run in a fresh process (spawned,
so nothing the caller loaded counts), its result and that process's peak resident memory. Also the peak
GPU memory of a call, on the device it runs on."""

from __future__ import annotations

import os
import resource
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from multiprocessing import get_context
from pathlib import Path
from typing import Any
from collections.abc import Callable


def in_child(fn: Callable[..., Any], *args: Any, env: dict[str, str] | None = None) -> tuple[Any, float]:
    """``(fn(*args), peak RSS in MB)`` of a new process that runs only that call. ``fn`` must be importable
    (defined at a module's top level); ``env`` is added to the child's environment (threads, caches)."""
    with _environment(env or {}), ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        return pool.submit(_measured, fn, args).result()


def peak_rss_mb(pid: int | str = "self") -> float:
    """A process's peak resident memory so far, in MB: Linux's VmHWM, which starts afresh in a new program
    (``ru_maxrss`` would carry the parent's peak over a fork into the child)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    if pid != "self":
        return float("nan")
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes; elsewhere than Linux


def gpu_peak_gib(fn: Callable[[], Any], device: str) -> tuple[Any, float]:
    """``(fn(), peak GPU memory allocated during it, GiB)``."""
    import torch
    torch.cuda.synchronize(device)
    torch.cuda.reset_peak_memory_stats(device)
    out = fn()
    torch.cuda.synchronize(device)
    return out, torch.cuda.max_memory_allocated(device) / 2 ** 30


def _measured(fn: Callable[..., Any], args: tuple) -> tuple[Any, float]:
    out = fn(*args)
    return out, peak_rss_mb()


@contextmanager
def _environment(env: dict[str, str]):
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
