"""Which faster-whisper decoding options the offline transcriber uses, measured (run by hand).

    python -m bench whisper_options [--tts 240]

WER (jiwer, after our text normalisation and Whisper's English number normaliser on both sides, so
that "10" and "ten" match) and real-time factor of the bundled Whisper tiny.en (int8, 2 threads here)
on ../shared's spoken sentences (the first ``--tts``), the real recordings, and both with white noise
added at 15 dB SNR (fixed seed), for each set of options below.
"""

from __future__ import annotations

import argparse
import csv

import numpy as np


from sentiment.audio import SAMPLE_RATE, load_audio
from sentiment.transcribers.whisper import DECODING, WhisperTranscriber
from training.evaluate import word_error_rate as wer
from testkit import SHARED
from bench.timing import Clock

DECIDES = "sentiment.transcribers.whisper:DECODING"

SPEECH = SHARED / "data" / "speech"
OPTIONS = {
    "ours (greedy, segment timestamps)": {},
    "beam 5": {"beam_size": 5},
    "no timestamps": {"without_timestamps": True},
    "word timestamps": {"word_timestamps": True},
    "Silero VAD on every clip": {"vad_filter": True},
}


def with_noise(wave: np.ndarray, snr_db: float, rng: np.random.Generator) -> np.ndarray:
    noise = rng.standard_normal(wave.size).astype(np.float32)
    return wave + noise * np.sqrt(np.mean(wave ** 2) / 10 ** (snr_db / 10))


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tts", type=int, default=240, help="spoken sentences to use (default all 240)")
    args = p.parse_args(argv)
    with open(SPEECH / "tts" / "manifest.csv", newline="") as f:
        tts = [(SPEECH / "tts" / r["audio"], r["text"]) for r in csv.DictReader(f)][: args.tts]
    with open(SPEECH / "real" / "transcripts.csv", newline="") as f:
        real = [(SPEECH / "real" / r["audio"], r["text"]) for r in csv.DictReader(f)]
    rng = np.random.default_rng(0)
    sets = {}
    for name, rows in (("spoken sentences", tts), ("real recordings", real)):
        waves = [load_audio(path) for path, _ in rows]
        sets[name] = (waves, [t for _, t in rows])
        sets[name + " +noise 15 dB"] = ([with_noise(w, 15, rng) for w in waves], [t for _, t in rows])
    print(f"decoding base: {DECODING}\n")
    print("| options | " + " | ".join(f"WER {k}" for k in sets) + " | RTF (clean sets) |")
    print("|---|" + "---|" * (len(sets) + 1))
    for label, options in OPTIONS.items():
        asr = WhisperTranscriber(**options)
        cells, busy, audio = [], 0.0, 0.0
        for name, (waves, refs) in sets.items():
            t0 = Clock()
            hyps = [t.text for t in asr.transcribe(waves)]
            if "noise" not in name:
                busy += t0.seconds
                audio += sum(w.size for w in waves) / SAMPLE_RATE
            cells.append(f"{wer(refs, hyps):.3f}")
        print(f"| {label} | " + " | ".join(cells) + f" | {busy / audio:.3f} |", flush=True)
