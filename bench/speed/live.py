"""The live path in real time (run by hand; about 2 minutes): a 60 s recording fed as a microphone would
feed it, one 0.5 s chunk every 0.5 s, through the offline stack.

    python -m bench live [--seconds 60] [--chunk 0.5]

The recording: ../shared's real recordings and spoken sentences, one after another with 0.8-1.5 s of
silence between them. Reports, for each closed utterance, the latency from the end of its speech (in
stream time, without the 0.2 s of padding kept around it) to its label, and whether the process keeps up
(compute time against audio time).
"""

from __future__ import annotations

import argparse
import csv
import statistics
import time

import numpy as np


from sentiment import load_pipeline
from sentiment.audio import SAMPLE_RATE, load_audio
from sentiment.live import LiveSession
from testkit import SHARED
from bench.timing import Clock

SPEECH = SHARED / "data" / "speech"


def recording(seconds: float) -> np.ndarray:
    with open(SPEECH / "tts" / "manifest.csv", newline="") as f:
        tts = [SPEECH / "tts" / r["audio"] for r in csv.DictReader(f)]
    paths = sorted((SPEECH / "real").glob("sense*.wav")) + tts
    rng = np.random.default_rng(0)
    parts, total = [], 0
    for path in paths:
        wave = load_audio(path)
        gap = np.zeros(int(rng.uniform(0.8, 1.5) * SAMPLE_RATE), np.float32)
        parts += [wave, gap]
        total += wave.size + gap.size
        if total >= seconds * SAMPLE_RATE:
            break
    return np.concatenate(parts)[: int(seconds * SAMPLE_RATE)]


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--chunk", type=float, default=0.5, help="seconds per chunk, as the app's stream_every")
    args = p.parse_args(argv)
    pipe = load_pipeline("offline", device="cpu")
    wave = recording(args.seconds)
    pipe.transcriber.transcribe([wave[: SAMPLE_RATE]])  # warm-up
    session, step, latencies = LiveSession(), int(args.chunk * SAMPLE_RATE), []
    clock = Clock()  # stream time: the recording starts now
    for at in range(0, wave.size, step):
        arrives = (at + step) / SAMPLE_RATE  # a chunk is there once its last sample was spoken
        time.sleep(max(0.0, arrives - clock.seconds))
        for u in session.feed(pipe, SAMPLE_RATE, wave[at:at + step]):
            latencies.append(clock.seconds - (u.end - session.pad))  # from the speech's own end
    for u in session.finish(pipe):
        latencies.append(clock.seconds - (u.end - session.pad))
    audio = wave.size / SAMPLE_RATE
    print(f"{audio:.0f} s of speech in {args.chunk} s chunks, in real time; {len(session.utterances)} utterances")
    print(f"latency, end of an utterance to its label: median {statistics.median(latencies):.2f} s, "
          f"p95 {np.percentile(latencies, 95):.2f} s, max {max(latencies):.2f} s")
    print(f"compute {session.busy:.1f} s for {audio:.0f} s of audio ({session.busy / audio:.2f} of real time); "
          f"behind at the end: {session.behind():.2f} s")
    print("utterances:")
    for u in session.utterances:
        print(f"  {u.start:6.1f}-{u.end:6.1f}  {u.label:<8} {u.text}")
