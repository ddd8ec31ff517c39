"""Synthesise the app's example clips (one per label) with flite: sentences written for this repo.

    python scripts/make_examples.py        # needs `apt-get install flite`; writes sentiment/examples/*.flac
"""

import subprocess
import tempfile
from pathlib import Path

import soundfile as sf

from sentiment.audio import load_audio

OUT = Path(__file__).resolve().parent.parent / "sentiment" / "examples"
SENTENCES = {
    "positive": "I really love this new phone. The screen is bright and the battery lasts all day.",
    "negative": "This was a terrible day. The train was late again and the food was awful.",
    "neutral": "The meeting starts at nine in the morning on the second floor.",
}


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in SENTENCES.items():
            wav = Path(tmp) / f"{name}.wav"
            subprocess.run(["flite", "-voice", "rms", "-t", text, "-o", str(wav)], check=True)
            sf.write(OUT / f"{name}.flac", load_audio(wav), 16_000)  # 16 kHz mono, as the app hears it
            print(OUT / f"{name}.flac", "-", text)
    (OUT / "sentences.txt").write_text("".join(f"{k}\t{v}\n" for k, v in SENTENCES.items()))


if __name__ == "__main__":
    main()
