"""How far the whole pipeline falls below the same model on the reference text, on more speech than the 240.

    python -m bench pipeline_gap                                  # 1,200 test sentences, the committed head
    python -m bench pipeline_gap --heads A.safetensors B.safetensors --n 1200
    python -m bench pipeline_gap --asr-model tiny.en              # through another transcriber

Issue 19 asks the pipeline to stay within 0.02 macro-F1 of the model on the reference text; on 240 clips a gap
moves by about that much with a few labels. This speaks N more sentences of sentiment3's test split (not the
240 of the spoken test set; the same recipe: flite, voices slt, rms, awb in turn, 16 kHz mono), transcribes each
once with the offline Whisper, and classifies both texts with each head: macro-F1 on each, the gap, and a paired
bootstrap 95 % interval of the gap. Clips and each transcriber's transcripts are cached in .cache/speech-gap/
(reruns: seconds).
"""

from __future__ import annotations

import argparse
import csv
import random
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf
from sklearn.metrics import f1_score
from tqdm import tqdm


from sentiment.audio import SAMPLE_RATE, load_audio
from sentiment.labels import label_id
from sentiment.pipeline import load_pipeline
from sentiment.transcribers import load_transcriber
from training.data import load_manifest, load_text, split
from testkit import ROOT, SHARED

VOICES = ("slt", "rms", "awb")
HEAD = ROOT / "sentiment" / "heads" / "offline.safetensors"
TTS = SHARED / "data" / "speech" / "tts" / "manifest.csv"


def spoken(n: int, out: Path, asr_model: str | None = None, seed: int = 0) -> list[dict]:
    """N test sentences outside the spoken test set, spoken and transcribed once (cached in ``out``, per
    transcriber)."""
    asr = load_transcriber("whisper", asr_model)
    cache = out / f"transcripts-{_slug(asr.name)}.csv"
    if cache.is_file():
        with open(cache, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        if len(rows) >= n:
            return rows[:n]
    with open(ROOT / "data" / "speech-tts" / "manifest.csv", encoding="utf-8") as f:
        taken = {r["id"] for r in csv.DictReader(f)}
    test = [e for e in split(load_text(ROOT / "data" / "sentiment3.csv"), "test") if e.id not in taken]
    random.Random(seed).shuffle(test)
    if shutil.which("flite") is None:
        raise SystemExit("error: flite is not installed (apt-get install flite)")
    rows = []
    (out / "audio").mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for i, e in enumerate(tqdm(test[:n], desc="flite + whisper", unit="clip")):
            wav, flac = Path(tmp) / "tmp.wav", out / "audio" / f"{e.id}.flac"
            if not flac.is_file():  # the clips are the same for every transcriber
                subprocess.run(["flite", "-voice", VOICES[i % 3], "-t", e.text, "-o", str(wav)], check=True)
                sf.write(flac, load_audio(wav), SAMPLE_RATE, subtype="PCM_16", format="FLAC")
            rows.append(dict(id=e.id, label=e.label, voice=VOICES[i % 3], text=e.text,
                             transcript=asr.transcribe([load_audio(flac)])[0].text))
    with open(cache, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return rows


def spoken_test_set(out: Path, asr_model: str | None = None) -> list[dict]:
    """The 240 clips of ../shared's spoken test set, transcribed the same way (cached): the issue's own figure,
    which this bench must reproduce (assets/offline/metrics.json, "pipeline")."""
    asr = load_transcriber("whisper", asr_model)
    cache = out / f"transcripts-240-{_slug(asr.name)}.csv"
    if not cache.is_file():
        rows = []
        for e in tqdm(load_manifest(TTS), desc="whisper (the 240)", unit="clip"):
            rows.append(dict(id=e.id, label=e.label, text=e.text,
                             transcript=asr.transcribe([load_audio(e.audio)])[0].text))
        out.mkdir(parents=True, exist_ok=True)
        with open(cache, "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    return list(csv.DictReader(open(cache, newline="", encoding="utf-8")))


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-." else "_" for c in Path(name).name)


def gap(y: np.ndarray, ref: np.ndarray, hyp: np.ndarray, draws: int = 2000, seed: int = 0) -> dict:
    """Macro-F1 on the reference text and on the transcript, their difference, a paired bootstrap 95 % interval."""
    f1 = lambda p, idx: f1_score(y[idx], p[idx], average="macro")
    every = np.arange(len(y))
    rng = np.random.default_rng(seed)
    draws_ = [f1(ref, idx) - f1(hyp, idx) for idx in (rng.integers(0, len(y), len(y)) for _ in range(draws))]
    lo, hi = np.percentile(draws_, [2.5, 97.5])
    return {"reference": f1(ref, every), "pipeline": f1(hyp, every), "gap": f1(ref, every) - f1(hyp, every),
            "low": lo, "high": hi, "differ": int((ref != hyp).sum()), "ref_right": int(((ref == y) & (hyp != y)).sum()),
            "hyp_right": int(((hyp == y) & (ref != y)).sum())}


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--heads", nargs="+", type=Path, default=[HEAD], help="offline heads to compare")
    p.add_argument("--n", type=int, default=1200, help="test sentences to speak (default %(default)s)")
    p.add_argument("--out", type=Path, default=ROOT / ".cache" / "speech-gap")
    p.add_argument("--asr-model", help="the Whisper that transcribes (default the offline stack's, base; e.g. tiny.en)")
    args = p.parse_args(argv)
    sets = {f"{args.n} more test sentences": spoken(args.n, args.out, args.asr_model)}
    if TTS.is_file():
        sets["the spoken test set (240)"] = spoken_test_set(args.out, args.asr_model)
        sets["its first 120 (the suite's)"] = sets["the spoken test set (240)"][:120]  # tests/test_offline_stack.py
    print(f"flite voices {', '.join(VOICES)}, Whisper {args.asr_model or 'base (the default)'}; "
          "gap = reference text - pipeline macro-F1\n")
    print("| head | clips | reference text | pipeline | gap | 95 % interval | labels differ | ref right "
          "| transcript right |")
    print("|---|---|---|---|---|---|---|---|---|")
    for head in args.heads:
        pipe = load_pipeline("offline", head=str(head), device="cpu", speakers="off")
        for name, rows in sets.items():
            y = np.array([label_id(r["label"]) for r in rows])
            ref = pipe.classify([r["text"] for r in rows]).argmax(1).numpy()
            hyp = pipe.classify([r["transcript"] for r in rows]).argmax(1).numpy()
            g = gap(y, ref, hyp)
            print(f"| {head.parent.name}/{head.name} | {name} | {g['reference']:.3f} | {g['pipeline']:.3f} | "
                  f"{g['gap']:+.3f} | "
                  f"[{g['low']:+.3f}, {g['high']:+.3f}] | {g['differ']} | {g['ref_right']} | {g['hyp_right']} |",
                  flush=True)
