"""Generated conversations with known turns, for the diarization tests and benchmark: ../shared's voices (the
three flite voices slt, rms and awb of the spoken test set, and the real LibriVox reader) take turns of one
to three sentences, with pauses and, now and then, some overlap. Each conversation is written as a 16 kHz
WAV, its reference turns as RTTM (what DER tools read) and its sentences as CSV (start, end, speaker, text,
label; the times are the speech's, as the Silero VAD finds it: silence and room noise around it left out).

    python scripts/make_conversations.py --out .cache/conversations --count 20 --seed 0

Only sentences that are one sentence are used (a tweet of three sentences would be three segments), so
that each reference sentence should come back as one segment.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from testkit import SHARED  # noqa: E402

SAMPLE_RATE = 16_000
TTS = SHARED / "data" / "speech" / "tts"
REAL = SHARED / "data" / "speech" / "real"
VOICES = ("slt", "rms", "awb", "reader")  # reader: the LibriVox recordings (one real man's voice)


@dataclass(frozen=True)
class Sentence:
    start: float
    end: float
    speaker: str
    text: str
    label: str  # the sentence's sentiment3 label; "" for the reader's


@cache
def sentences_of(voice: str) -> tuple[tuple[np.ndarray, str, str], ...]:
    """(speech trimmed of silence, text, label) of every usable sentence in one voice."""
    if voice == "reader":
        with open(REAL / "transcripts.csv", newline="") as f:
            rows = [(REAL / r["audio"], r["text"], "") for r in csv.DictReader(f) if r["audio"].startswith("sense")]
    else:
        with open(TTS / "manifest.csv", newline="", encoding="utf-8") as f:
            rows = [(TTS / r["audio"], r["text"], r["label"]) for r in csv.DictReader(f)
                    if r["voice"] == voice and one_sentence(r["text"])]
    out = []
    for path, text, label in rows:
        wave, rate = sf.read(path, dtype="float32")
        assert rate == SAMPLE_RATE and wave.ndim == 1, path
        out.append((trim(wave), text, label))
    return tuple(out)


def one_sentence(text: str) -> bool:
    """One sentence of at least three words: no sentence end before its last word."""
    return len(text.split()) >= 3 and not re.search(r"[.!?]+[\s\"')]+\w", text.strip())


def trim(wave: np.ndarray) -> np.ndarray:
    """The speech only: from the first to the last stretch that the Silero VAD (shipped with faster-whisper)
    calls speech. An energy threshold would keep the real recordings' room noise and breath (their noise
    floor is 35 dB under their speech), which would put a reference sentence's start 0.3 s early."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    found = get_speech_timestamps(wave, VadOptions(speech_pad_ms=0, min_silence_duration_ms=300))
    return wave[found[0]["start"]:found[-1]["end"]] if found else wave


def conversation(seed: int, speakers: int = 2, seconds: float = 90.0, overlap: float = 0.15,
                 labels: dict[str, str] | None = None, voices: tuple[str, ...] | None = None,
                 texts: set[str] | None = None):
    """(wave, sentences): turns of 1-3 sentences by ``speakers`` voices until ``seconds`` are reached; the
    next voice is, with probability 0.6, the one that has spoken least so far, else any other.
    Pauses of 0.15-0.5 s inside a turn and 0.3-1.2 s between turns, except that a turn overlaps the one
    before by 0.2-0.8 s with probability ``overlap``. ``labels`` (voice -> label) restricts a voice to
    sentences of that label, ``texts`` every voice to those sentences."""
    rng = np.random.default_rng(seed)
    chosen = [str(v) for v in (voices or rng.choice(VOICES, size=speakers, replace=False))]
    pools = {v: [s for s in sentences_of(v) if (not labels or labels.get(v, s[2]) == s[2])
                 and (texts is None or s[1] in texts)] for v in chosen}
    orders = {v: list(rng.permutation(len(pools[v]))) for v in chosen}
    gains = {v: 10 ** (rng.uniform(-3, 3) / 20) for v in chosen}
    placed, cursor, previous = [], 0.0, None
    spoken = dict.fromkeys(chosen, 0.0)
    while cursor < seconds:
        others = [v for v in chosen if v != previous] or chosen
        # Mostly whoever has spoken least (everyone gets turns), sometimes anyone else.
        voice = min(others, key=spoken.get) if rng.random() < 0.6 else str(rng.choice(others))
        for i in range(int(rng.integers(1, 4))):
            if not orders[voice]:
                orders[voice] = list(rng.permutation(len(pools[voice])))
            wave, text, label = pools[voice][orders[voice].pop()]
            if i:
                cursor += rng.uniform(0.15, 0.5)
            elif previous is not None:
                cursor += -rng.uniform(0.2, 0.8) if rng.random() < overlap else rng.uniform(0.3, 1.2)
            placed.append((round(cursor, 3), wave * gains[voice] * 0.1 / _rms(wave), voice, text, label))
            cursor += wave.size / SAMPLE_RATE
            spoken[voice] += wave.size / SAMPLE_RATE
        previous = voice
    out = np.zeros(int((cursor + 0.5) * SAMPLE_RATE), np.float32)
    sentences = []
    for start, wave, voice, text, label in placed:
        at = int(round(start * SAMPLE_RATE))
        out[at:at + wave.size] += wave
        sentences.append(Sentence(start, round(start + wave.size / SAMPLE_RATE, 3), voice, text, label))
    return np.clip(out, -1, 1), sentences


def _rms(wave: np.ndarray) -> float:
    return float(np.sqrt(np.mean(wave ** 2))) or 1.0


def plan(count: int, seed: int = 0) -> list[dict]:
    """The benchmark's set: 2, 3 and 4 speakers in turn, 1 to 3 minutes each."""
    rng = np.random.default_rng(seed)
    return [dict(seed=seed * 1000 + i, speakers=2 + i % 3, seconds=float(rng.uniform(60, 180))) for i in range(count)]


def write(folder: Path, name: str, wave: np.ndarray, sentences: list[Sentence]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    sf.write(folder / f"{name}.wav", wave, SAMPLE_RATE, subtype="PCM_16")
    with open(folder / f"{name}.rttm", "w") as f:
        for s in sentences:
            f.write(f"SPEAKER {name} 1 {s.start:.3f} {s.end - s.start:.3f} <NA> <NA> {s.speaker} <NA> <NA>\n")
    with open(folder / f"{name}.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["start", "end", "speaker", "text", "label"])
        w.writerows([s.start, s.end, s.speaker, s.text, s.label] for s in sentences)
    return folder / f"{name}.wav"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", type=Path, default=ROOT / ".cache" / "conversations")
    p.add_argument("--count", type=int, default=20, help="how many conversations (default 20)")
    p.add_argument("--seed", type=int, default=0, help="which set: the benchmark's is 0 (default)")
    args = p.parse_args(argv)
    if not TTS.is_dir():
        print(f"error: {TTS} is missing: the conversations are made of ../shared's voices", file=sys.stderr)
        return 2
    for i, spec in enumerate(plan(args.count, args.seed)):
        wave, sentences = conversation(**spec)
        path = write(args.out, f"conv-{args.seed}-{i:02d}", wave, sentences)
        print(f"{path}: {spec['speakers']} speakers, {wave.size / SAMPLE_RATE:.0f} s, {len(sentences)} sentences")
    return 0


if __name__ == "__main__":
    sys.exit(main())
