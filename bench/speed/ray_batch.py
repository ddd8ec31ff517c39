"""Batch throughput, one process against Ray Data actors (issue 11), the offline stack (real models) on the
spoken sentences and real recordings in ../shared, all in one run. Each configuration runs the CLI as a
user would (``python -m sentiment predict FOLDER -o out.jsonl``), once on one clip (start-up: Python,
Ray, loading the models) and once on all clips; throughput = audio seconds / (all - start-up).

    python -m bench ray_batch                # 247 clips, about 12 minutes on 2 cores
    python -m bench ray_batch --clips 64
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import soundfile as sf


from testkit import ROOT, SHARED
from bench.timing import Clock

CONFIGS = [  # name, extra arguments, environment
    ("one process, 2 threads", ["--engine", "local"], {}),
    ("one process, 1 thread", ["--engine", "local"], {"OMP_NUM_THREADS": "1"}),
    ("Ray, 1 actor x 2 threads", ["--engine", "ray", "--workers", "1"], {}),
    ("Ray, 2 actors x 1 thread", ["--engine", "ray", "--workers", "2"], {}),
    # The machine's own ceiling for two workers, no Ray: two plain processes at once, half the clips each.
    ("2 plain processes x 1 thread at once (no Ray)", ["--engine", "local"], {"OMP_NUM_THREADS": "1", "SPLIT": "2"}),
]


def clips(n: int) -> list[Path]:
    speech = SHARED / "data" / "speech"
    with open(speech / "tts" / "manifest.csv", newline="") as f:
        tts = [speech / "tts" / r["audio"] for r in csv.DictReader(f)]
    real = sorted((speech / "real").glob("*.wav"))
    return (real + tts)[:n]


def run(folder: Path, out: Path, extra: list[str], env: dict) -> float:
    """Wall time of the CLI on ``folder``; with SPLIT=n, n processes at once, each on every n-th file."""
    files = sorted(map(str, folder.iterdir()))
    split = int(env.get("SPLIT", 1))
    t0 = Clock()
    procs = [subprocess.Popen([sys.executable, "-m", "sentiment", "predict", *(files[k::split] or files[:1]),
                               "-o", str(out.with_suffix(f".{k}.jsonl")), "--stack", "offline", "--batch-size", "8",
                               *extra], cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL) for k in range(split)]
    if any(proc.wait() not in (0, 1) for proc in procs):  # 1: some file had an error row
        raise SystemExit(f"failed: {extra} {env}")
    return t0.seconds


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--clips", type=int, default=247)
    args = p.parse_args(argv)
    files = clips(args.clips)
    seconds = sum(sf.info(f).duration for f in files)
    print(f"{len(files)} clips, {seconds:.0f} s of audio, {os.cpu_count()} cores", flush=True)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        one, every = Path(tmp) / "one", Path(tmp) / "all"
        one.mkdir(), every.mkdir()
        shutil.copy(files[0], one / files[0].name)
        for f in files:
            shutil.copy(f, every / f.name)
        for name, extra, env in CONFIGS:
            start = run(one, Path(tmp) / f"one-{len(results)}.jsonl", extra, env)  # new outputs: nothing to resume
            total = run(every, Path(tmp) / f"all-{len(results)}.jsonl", extra, env)
            rate = seconds / max(total - start, 1e-9)
            results.append((name, start, total, rate))
            print(f"  {name}: start-up {start:.1f} s, all {total:.1f} s, {rate:.1f} audio s/s", flush=True)
    base, one_core = results[0][3], results[1][3]
    print("\n| configuration | start-up | all clips | audio s per s (after start-up) | vs one process, 2 threads |"
          "\n|---|---|---|---|---|")
    for name, start, total, rate in results:
        print(f"| {name} | {start:.1f} s | {total:.1f} s | {rate:.1f} | {rate / base:.2f}x |")
    per_actor, per_process = results[3][3] / 2, results[4][3] / 2
    print(f"\nper actor (2 actors x 1 thread): {per_actor:.1f} audio s/s, {per_actor / one_core:.2f}x one process "
          f"alone on one core; per plain process, two at once: {per_process:.1f} ({per_process / one_core:.2f}x)")
