"""Benchmark the offline stack beside its baselines, in one run (run by hand; about 5 minutes on 2 cores).

    python -m bench offline [--repeat 3] [--skip cold]
    git show HEAD~1:sentiment/heads/offline.safetensors > /tmp/before.safetensors
    python -m bench offline --before /tmp/before.safetensors     # also the stack with another head, same run
    python -m bench offline --asr-model tiny.en --skip cold       # with Whisper tiny.en

On the 5-10 s clips of ../shared (the three real LibriVox recordings of that length and the first 12
spoken sentences of that length), warm, median of ``--repeat`` runs per clip:
- ours: the whole offline pipeline (decode → Whisper base → encoder → head), as the app runs it;
- faster-whisper called the way its README shows (``WhisperModel(...).transcribe(path, beam_size=5)``,
  default options otherwise), the same bundled model: transcription only;
- PocketSphinx (the transcriber the offline stack had before; ``pip install pocketsphinx==5.1.1``),
  plain ``Decoder`` on the whole clip: transcription only.
The text stage alone (encoder and pooling on one 20-word transcript), MPNet against MiniLM. Then the cold
start of ``python app.py``: process start until the page answers (models on disk).
"""

from __future__ import annotations

import argparse
import csv
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np


from sentiment import load_pipeline
from sentiment.runtime import bundled
from sentiment.audio import SAMPLE_RATE, load_audio
from testkit import ROOT, SHARED
from bench.timing import Clock

SPEECH = SHARED / "data" / "speech"


def clips(lo: float = 5.0, hi: float = 10.0, n_tts: int = 12) -> list[Path]:
    real = sorted((SPEECH / "real").glob("*.wav"))
    with open(SPEECH / "tts" / "manifest.csv", newline="") as f:
        tts = [SPEECH / "tts" / r["audio"] for r in csv.DictReader(f)]
    length = lambda p: len(load_audio(p)) / SAMPLE_RATE
    return [p for p in real if lo <= length(p) <= hi] + [p for p in tts if lo <= length(p) <= hi][:n_tts]


def rtf(fn, paths: list[Path], repeat: int) -> float:
    """Sum over clips of the median time of ``fn(path)``, over the clips' total duration."""
    fn(paths[0])  # warm-up
    total = 0.0
    for p in paths:
        times = []
        for _ in range(repeat):
            t0 = Clock()
            fn(p)
            times.append(t0.seconds)
        total += statistics.median(times)
    return total / sum(len(load_audio(p)) / SAMPLE_RATE for p in paths)


def faster_whisper_readme(asr_model: str | None = None):
    from faster_whisper import WhisperModel

    from sentiment.transcribers.whisper import resolve_model
    model = WhisperModel(resolve_model(asr_model)[0], device="cpu", compute_type="int8")
    return lambda path: [s.text for s in model.transcribe(str(path), beam_size=5)[0]]


def pocketsphinx_plain():
    try:
        from pocketsphinx import Decoder
    except ImportError:
        return None
    decoder = Decoder(samprate=SAMPLE_RATE, loglevel="FATAL")

    def run(path):
        pcm = (np.clip(load_audio(path), -1, 1) * 32767).astype("<i2").tobytes()
        decoder.start_utt()
        decoder.process_raw(pcm, full_utt=True)
        decoder.end_utt()
        return decoder.hyp().hypstr if decoder.hyp() else ""
    return run


def text_stage(pipe) -> None:
    from sentiment.text.encoder import TextEncoder

    sentence = "i bought this for my daughter and honestly the battery lasts all day which is more than i expected"
    minilm = TextEncoder(str(bundled.minilm()), layers=(-3, -2, -1), name=bundled.MINILM.model_id)
    times = {}
    for name, encoder in ((pipe.encoder.name, pipe.encoder), (minilm.name, minilm)):
        encoder.encode([sentence])
        runs = []
        for _ in range(20):
            t0 = Clock()
            encoder.encode([sentence])
            runs.append(t0.seconds)
        times[name] = statistics.median(runs)
    (a, ta), (b, tb) = times.items()
    print(f"\ntext stage, one {len(sentence.split())}-word transcript (median of 20): {a} {ta * 1000:.1f} ms, "
          f"{b} {tb * 1000:.1f} ms ({ta / tb:.1f}x)")


def cold_start(repeat: int, head: Path | None = None) -> list[float]:
    """Seconds from ``python app.py`` to the first answer of its page, models already on disk; ``head``: the
    offline head it loads (default: the committed one)."""
    env = {**os.environ, **({"SENTIMENT_HEAD": str(head)} if head else {})}
    times = []
    for _ in range(repeat):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        t0 = Clock()
        proc = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--port", str(port)], cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        try:
            while t0.seconds < 120:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1).read()
                    times.append(t0.seconds)
                    break
                except OSError as err:
                    if proc.poll() is not None:
                        raise RuntimeError("app.py exited before it served its page") from err
                    time.sleep(0.1)
        finally:
            proc.terminate()
            proc.wait()
    return times


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--skip", nargs="*", default=[], choices=("cold", "pocketsphinx", "readme", "text"))
    p.add_argument("--before", type=Path, help="another offline head (e.g. the previous commit's): its pipeline "
                   "and cold start are measured in the same run, beside ours")
    p.add_argument("--asr-model", help="the transcriber (default the stack's, base; e.g. tiny.en): ours and the "
                   "README's faster-whisper both use it")
    args = p.parse_args(argv)
    paths = clips()
    seconds = sum(len(load_audio(c)) / SAMPLE_RATE for c in paths)
    print(f"{len(paths)} clips of 5-10 s, {seconds:.1f} s of audio\n")
    pipe = load_pipeline("offline", device="cpu", asr_model=args.asr_model)
    ours = rtf(pipe, paths, args.repeat)
    print("| what | real-time factor | ratio to ours |\n|---|---|---|")
    print(f"| ours: whole offline pipeline ({pipe.models['transcriber']} → {pipe.models['encoder']} → head) "
          f"| {ours:.3f} | 1.00 |")
    others = {"readme": ("faster-whisper as its README shows (beam 5, defaults), transcription only",
                         lambda: faster_whisper_readme(args.asr_model)),
              "pocketsphinx": ("PocketSphinx, plain decoder, transcription only", pocketsphinx_plain)}
    if args.before:
        before = load_pipeline("offline", device="cpu", head=str(args.before))
        value = rtf(before, paths, args.repeat)
        print(f"| before: the same stack with {args.before.name} ({before.models['encoder']}) | {value:.3f} "
              f"| {value / ours:.2f}x ours |")
        del before
    for key, (what, make) in others.items():
        if key in args.skip:
            continue
        fn = make()
        if fn is None:
            print(f"| {what} | not installed | |")
            continue
        value = rtf(fn, paths, args.repeat)
        print(f"| {what} | {value:.3f} | {value / ours:.2f}x ours |")
    if "text" not in args.skip:
        text_stage(pipe)
    if "cold" not in args.skip:
        for name, head in [("ours", None)] + ([("before", args.before)] if args.before else []):
            times = cold_start(3, head)
            print(f"\ncold start of `python app.py` to its page answering ({name}): median "
                  f"{statistics.median(times):.1f} s ({', '.join(f'{t:.1f}' for t in times)})")
