"""Synthesise the app's example clips (one per label) with flite, and a short two-voice call with a voice
sample of its agent (the README's examples: ``examples/call/``): sentences written for this repo.

    python scripts/make_examples.py        # needs `apt-get install flite`; writes sentiment/examples/
"""

import subprocess
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

from sentiment.audio import load_audio

OUT = Path(__file__).resolve().parent.parent / "sentiment" / "examples"
SENTENCES = {
    "positive": "I really love this new phone. The screen is bright and the battery lasts all day.",
    "negative": "This was a terrible day. The train was late again and the food was awful.",
    "neutral": "The meeting starts at nine in the morning on the second floor.",
}

# The call: an agent (flite's rms) and a customer (slt), turn by turn; then the agent alone, other words.
CALL = [
    ("rms", "Good morning, this is the help desk. How can I help you today?"),
    ("slt", "Hello. My new laptop stopped working after two days and I am really upset about it."),
    ("rms", "I am sorry to hear that. Can you tell me what happens when you switch it on?"),
    ("slt", "The screen stays black and the fan makes a loud noise. It is very frustrating."),
    ("rms", "Thank you. We will send you a replacement today, free of charge."),
    ("slt", "Oh, that is wonderful. Thank you so much, you have been very kind."),
]
AGENT_SAMPLE = ("rms", "Our office opens at eight and closes at six. Orders placed before noon are sent out the "
                       "same day, and every parcel can be followed online with its number.")


def speak(voice: str, text: str, tmp: Path) -> np.ndarray:
    wav = tmp / "speech.wav"
    subprocess.run(["flite", "-voice", voice, "-t", text, "-o", str(wav)], check=True)
    return load_audio(wav)


def call(tmp: Path) -> None:
    folder = OUT / "call"
    folder.mkdir(parents=True, exist_ok=True)
    pause = np.zeros(int(0.6 * 16_000), np.float32)
    sf.write(folder / "call.flac", np.concatenate([x for v, t in CALL for x in (speak(v, t, tmp), pause)]), 16_000)
    sf.write(folder / "agent.flac", speak(*AGENT_SAMPLE, tmp), 16_000)
    (folder / "sentences.txt").write_text("".join(f"{v}\t{t}\n" for v, t in [*CALL, AGENT_SAMPLE]))
    print(folder / "call.flac", "and", folder / "agent.flac")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in SENTENCES.items():
            wav = Path(tmp) / f"{name}.wav"
            subprocess.run(["flite", "-voice", "rms", "-t", text, "-o", str(wav)], check=True)
            sf.write(OUT / f"{name}.flac", load_audio(wav), 16_000)  # 16 kHz mono, as the app hears it
            print(OUT / f"{name}.flac", "-", text)
        call(Path(tmp))
    (OUT / "sentences.txt").write_text("".join(f"{k}\t{v}\n" for k, v in SENTENCES.items()))


if __name__ == "__main__":
    main()
