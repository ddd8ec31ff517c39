"""What timing every word costs Whisper on short clips (the product times them on every recording):
the first 60 spoken test sentences (synthetic, ../shared), transcribed twice each way, alternating.

    python -m bench word_timestamps
"""

from __future__ import annotations

import csv


from sentiment.audio import load_audio
from sentiment.transcribers.whisper import WhisperTranscriber
from testkit import SHARED
from bench.timing import Clock


def main(argv: list[str] | None = None) -> None:
    folder = SHARED / "data" / "speech" / "tts"
    with open(folder / "manifest.csv", newline="") as f:
        waves = [load_audio(str(folder / r["audio"])) for r in list(csv.DictReader(f))[:60]]
    whisper = WhisperTranscriber()
    whisper.transcribe(waves[:3])  # warm
    seconds: dict[bool, list[float]] = {True: [], False: []}
    texts: dict[bool, list[str]] = {}
    for _ in range(2):
        for words in (False, True):
            whisper.decoding["word_timestamps"] = words
            t0 = Clock()
            texts[words] = [t.text for t in whisper.transcribe(waves)]
            seconds[words].append(t0.seconds)
    audio = sum(w.size for w in waves) / 16_000
    for words, times in seconds.items():
        print(f"word timestamps {'on ' if words else 'off'}: {sum(times) / len(times):.1f} s for {audio:.0f} s "
              f"of audio ({', '.join(f'{t:.1f}' for t in times)})")
    print(f"transcripts equal both ways: {sum(a == b for a, b in zip(texts[True], texts[False]))} of {len(waves)}")
