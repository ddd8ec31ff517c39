"""What timing every word costs Whisper on short clips (the product times them on every recording):
the first 60 spoken test sentences (synthetic, ../shared), transcribed twice each way, alternating.

    python bench/word_timestamps.py
"""

from __future__ import annotations

import csv
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sentiment.audio import load_audio  # noqa: E402
from sentiment.transcribers.whisper import WhisperTranscriber  # noqa: E402
from training.shared import SHARED  # noqa: E402


def main() -> None:
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
            t0 = time.perf_counter()
            texts[words] = [t.text for t in whisper.transcribe(waves)]
            seconds[words].append(time.perf_counter() - t0)
    audio = sum(w.size for w in waves) / 16_000
    for words, times in seconds.items():
        print(f"word timestamps {'on ' if words else 'off'}: {sum(times) / len(times):.1f} s for {audio:.0f} s "
              f"of audio ({', '.join(f'{t:.1f}' for t in times)})")
    print(f"transcripts equal both ways: {sum(a == b for a, b in zip(texts[True], texts[False]))} of {len(waves)}")


if __name__ == "__main__":
    main()
