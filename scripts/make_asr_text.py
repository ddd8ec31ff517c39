"""Transcripts of spoken training sentences: what the offline text model meets in the product.

The text model learns from written sentences, but in the product it reads Whisper's transcript, errors included
("overall I'm happy with my toy" comes back as "well we're all unhappy with my toys"). This script speaks
sentiment3's train sentences with espeak-ng (four voices in turn: not flite's, which the spoken test set uses)
and writes the offline transcriber's text for each, with the sentence's label, to a CSV that fine-tuning adds to
its training data (``training.run --asr-text``). Sentences are taken in a fixed shuffled order and the file is
appended to, so a stopped run resumes and any prefix is a random sample of the train split.

    apt-get install espeak-ng
    python scripts/make_asr_text.py                     # data/sentiment3-asr.csv (~0.5 s a sentence, 2 cores)
    python scripts/make_asr_text.py --limit 2000        # stop after 2,000 transcripts in the file
    python scripts/make_asr_text.py --report            # the file's word error rate, by voice
"""

from __future__ import annotations

import argparse
import csv
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tqdm import tqdm

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sentiment.audio import load_audio  # noqa: E402
from sentiment.transcribers import load_transcriber  # noqa: E402
from training.data import load_text, split  # noqa: E402

VOICES = ("en-us", "en-gb+f3", "en-us+m4", "en-gb-x-rp+f2")  # espeak-ng voice+variant, in turn
FIELDS = ("id", "text", "label", "split", "source", "voice", "reference", "transcriber")
SEED = 0


def main(argv=None, transcriber=None) -> int:
    """``transcriber``: default the offline stack's (the bundled Whisper base), or ``--asr-model``'s."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, default=ROOT / "data" / "sentiment3.csv", help="text manifest (train split)")
    p.add_argument("--out", type=Path, default=ROOT / "data" / "sentiment3-asr.csv")
    p.add_argument("--asr-model", help="the Whisper model (default the offline stack's: the bundled base)")
    p.add_argument("--limit", type=int, help="stop when the file holds this many transcripts")
    p.add_argument("--report", action="store_true", help="print the file's WER (all, and by voice), make nothing")
    args = p.parse_args(argv)
    if args.report:
        return report(args.out)
    if shutil.which("espeak-ng") is None:
        print("error: espeak-ng is not installed (apt-get install espeak-ng)", file=sys.stderr)
        return 2
    rows = split(load_text(args.data), "train")  # decontaminated: listed sentences are never spoken
    random.Random(SEED).shuffle(rows)
    done, made_by = set(), set()
    if args.out.is_file():
        with open(args.out, newline="", encoding="utf-8") as f:
            old = list(csv.DictReader(f))
        done, made_by = {r["id"] for r in old}, {r.get("transcriber") for r in old}
    todo = [(i, r) for i, r in enumerate(rows) if r.id not in done][: None if args.limit is None
                                                                      else max(0, args.limit - len(done))]
    transcriber = transcriber or load_transcriber("whisper", model=args.asr_model)
    if made_by - {transcriber.name}:
        print(f"error: {args.out} holds transcripts by {', '.join(map(str, made_by))}, not {transcriber.name}: "
              "choose another --out", file=sys.stderr)
        return 2
    new = not args.out.is_file()
    with open(args.out, "a", newline="", encoding="utf-8") as f, tempfile.TemporaryDirectory() as tmp:
        writer = csv.DictWriter(f, fieldnames=FIELDS)
        if new:
            writer.writeheader()
        wav = str(Path(tmp) / "tmp.wav")
        for i, row in tqdm(todo, desc="espeak-ng + whisper", unit="sentence"):
            voice = VOICES[i % len(VOICES)]
            subprocess.run(["espeak-ng", "-v", voice, "-w", wav, row.text], check=True)
            text = transcriber.transcribe([load_audio(wav)])[0].text
            writer.writerow(dict(id=row.id, text=text, label=row.label, split="train", source=row.source,
                                 voice=f"espeak-ng {voice}", reference=row.text,
                                 transcriber=transcriber.name))
            f.flush()
    print(f"{args.out}: {len(done) + len(todo)} transcripts")
    return 0


def report(path: Path) -> int:
    """Word error rate of the transcripts against their sentences, normalised as the text model sees them."""
    from training.evaluate import word_error_rate

    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for voice in [None, *sorted({r["voice"] for r in rows})]:
        part = [r for r in rows if voice in (None, r["voice"])]
        wer = word_error_rate([r["reference"] for r in part], [r["text"] for r in part])
        print(f"{voice or 'all voices'}: {len(part):,} transcripts, WER {wer:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
