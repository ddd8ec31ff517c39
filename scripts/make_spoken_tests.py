"""Regenerate the spoken test set: the 240 sentences of data/speech-tts/manifest.csv (80 per class, from
sentiment3's test split), each spoken by the flite voice its row names (slt, rms, awb), as 16 kHz mono
16-bit FLAC. The same recipe as ../shared/data/speech/tts, so that a clone without ../shared can run the
offline pipeline evaluation:

    apt-get install flite
    python scripts/make_spoken_tests.py                       # into .cache/speech-tts/
    python -m training.run --stack offline --speech .cache/speech-tts/manifest.csv
"""

from __future__ import annotations

import argparse
import csv
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import soundfile as sf
from tqdm import tqdm

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sentiment.audio import SAMPLE_RATE, load_audio  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--manifest", type=Path, default=ROOT / "data" / "speech-tts" / "manifest.csv")
    p.add_argument("--out", type=Path, default=ROOT / ".cache" / "speech-tts")
    args = p.parse_args(argv)
    if shutil.which("flite") is None:
        print("error: flite is not installed (apt-get install flite)", file=sys.stderr)
        return 2
    with open(args.manifest, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    (args.out / "audio").mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for row in tqdm(rows, desc="flite", unit="sentence"):
            wav = Path(tmp) / "tmp.wav"
            subprocess.run(["flite", "-voice", row["voice"], "-t", row["text"], "-o", str(wav)], check=True)
            sf.write(args.out / row["audio"], load_audio(wav), SAMPLE_RATE, subtype="PCM_16", format="FLAC")
    shutil.copy(args.manifest, args.out / "manifest.csv")
    print(f"wrote {len(rows)} clips and manifest.csv to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
