"""The real offline stack's outputs that the tests assert on, measured beside each test's bound (run by hand).

    python -m bench margins [--threads N]          # OMP_NUM_THREADS=1 python -m bench margins, to compare

A model's numbers move a little from one CPU to the next (int8 kernels, thread counts), so every bound in
tests/ keeps a margin that another machine cannot cross: at least 10 % of the measured value for a rate,
and more than one label's flip for a label. This prints each figure, its bound and the margin, so a change to
a model or a bound can be checked in one run; docs/testing.md keeps the last runs.
"""

from __future__ import annotations

import argparse
import csv

import numpy as np


from sentiment.audio import SAMPLE_RATE as SR, load_audio
from sentiment.labels import label_id
from sentiment.live import LiveSession
from sentiment.pipeline import load_pipeline
from testkit.audio import with_noise
from testkit import ROOT, SHARED
from sentiment.text.normalize import normalize_text
from training.data import load_text, split
from training.evaluate import scores, word_error_rate as wer

REAL, TTS = SHARED / "data" / "speech" / "real", SHARED / "data" / "speech" / "tts"
LIVE = {"0870": "and mister john dashwood had then leisure to consider how much there might be prudently in "
                "his power to do for them",
        "0890": "unless to be rather cold hearted and rather selfish is to be ill disposed",
        "0920": "had he married a more a amiable woman he might have been made still more respectable than he was"}
CLEAR = [("i love this it is absolutely wonderful", "Positive"), ("this is terrible i hate it so much", "Negative"),
         ("the meeting is on tuesday at ten", "Neutral"), ("i love this it is wonderful and i am so happy", "Positive"),
         ("this is awful i hate it and it made me angry", "Negative")]
rows_out: list[tuple] = []


def report(name: str, value: float, bound: float, upper: bool) -> None:
    """One figure: ``upper`` when the test asserts value <= bound, else value >= bound."""
    room = bound - value if upper else value - bound
    margin = room / value if value else (float("inf") if room > 0 else 0.0)
    rows_out.append((name, value, ("<= " if upper else ">= ") + f"{bound:.3f}", margin))
    print(f"{name}: {value:.3f} (bound {rows_out[-1][2]}, margin {margin:.0%})", flush=True)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, help="torch threads (default: torch's)")
    args = p.parse_args(argv)
    if args.threads:
        import torch
        torch.set_num_threads(args.threads)
    pipe = load_pipeline("offline", device="cpu")
    asr = pipe.transcriber

    with open(REAL / "transcripts.csv", newline="") as f:
        real = list(csv.DictReader(f))
    real_waves = [load_audio(REAL / r["audio"]) for r in real]
    hyps = [t.text for t in asr.transcribe(real_waves)]
    report("WER, 7 real recordings (test_real_recordings_wer)", wer([r["text"] for r in real], hyps), 0.15, True)
    with open(TTS / "manifest.csv", newline="") as f:
        spoken = list(csv.DictReader(f))[:120]  # the tests' half
    spoken_waves = [load_audio(TTS / r["audio"]) for r in spoken]
    heard = [t.text for t in asr.transcribe(spoken_waves)]
    report("WER, 120 spoken sentences (test_spoken_sentences_wer)", wer([r["text"] for r in spoken], heard), 0.15, True)
    noisy_rows = [(REAL / r["audio"], r["text"]) for r in real] + [(TTS / r["audio"], r["text"]) for r in spoken[:30]]
    noisy = [with_noise(load_audio(a), 15, seed=i) for i, (a, _) in enumerate(noisy_rows)]
    report("WER at 15 dB SNR, 37 clips (test_wer_with_noise_at_15_db)",
           wer([t for _, t in noisy_rows], [t.text for t in asr.transcribe(noisy)]), 0.42, True)

    truth = [label_id(r["label"]) for r in spoken]
    f1_heard = scores(truth, pipe.classify(heard).argmax(1).tolist())["macro_f1"]
    f1_read = scores(truth, pipe.classify([r["text"] for r in spoken]).argmax(1).tolist())["macro_f1"]
    report("pipeline macro-F1, 120 spoken (>= reference text - 0.09)", f1_heard, f1_read - 0.09, False)
    report("pipeline macro-F1, 120 spoken (floor)", f1_heard, 0.55, False)
    print(f"  reference text macro-F1 on the same clips: {f1_read:.3f}")

    text = split(load_text(ROOT / "data" / "sentiment3.csv"), "test")  # less the sentences kept apart
    f1 = scores([label_id(r.label) for r in text], pipe.classify([r.text for r in text]).argmax(1).tolist())
    report("sentiment3 test macro-F1 (test_text_macro_f1_on_the_test_split)", f1["macro_f1"], 0.70, False)
    claimed = pipe.head.info.metrics["text_test"]["macro_f1"]
    print(f"sentiment3 test macro-F1 {f1['macro_f1']:.4f}, the head's metadata claims {claimed:.4f} "
          f"(difference {f1['macro_f1'] - claimed:+.4f}; the test allows 0.01)")

    gap = np.zeros(SR, np.float32)
    long_wave = np.concatenate([x for w in real_waves for x in (w, gap)])
    result = pipe((SR, long_wave))
    report("WER, the 7 real recordings as one file (test_long_recording_...)",
           wer([" ".join(r["text"] for r in real)], [result.transcript]), 0.15, True)

    clips = [load_audio(REAL / f"sense_and_sensibility_01_austen_64kb-{n}.wav") for n in LIVE]
    stream = np.concatenate([x for c in clips for x in (c, gap)])
    session = LiveSession()
    for at in range(0, stream.size, SR // 2):
        session.feed(pipe, SR, stream[at:at + SR // 2])
    session.finish(pipe)
    for u, (name, ref) in zip(session.utterances, LIVE.items()):
        report(f"live utterance {name}: WER (test_live)", wer([ref], [u.text]), 0.15, True)
    as_file = pipe((SR, stream))
    for f, u in zip(as_file.segments, session.utterances):
        report(f"file segment vs live utterance at {u.start:.1f} s: WER (test_live)", wer([f.text], [u.text]), 0.2,
               True)
        print(f"  same words: {normalize_text(f.text) == normalize_text(u.text)}; labels file {f.label} "
              f"({f.confidences[f.label]:.3f}), live {u.label} ({u.confidences[u.label]:.3f})")
    print(f"live utterances heard: {[u.text for u in session.utterances]}")

    for text_, want in CLEAR:
        probs = pipe.predict_text(text_).confidences
        others = max(v for k, v in probs.items() if k != want)
        print(f"clear case {text_!r}: {want} {probs[want]:.3f}, next best {others:.3f}")
    for name in ("positive", "negative", "neutral"):
        out = pipe(ROOT / "sentiment" / "examples" / f"{name}.flac")
        print(f"example {name}.flac: {out.label} {out.confidences}  {out.transcript!r}")

    print(f"\n{'figure':<72} {'measured':>9} {'bound':>9} {'margin':>8}")
    for name, value, bound, margin in rows_out:
        flag = "" if margin >= 0.10 else "   <-- under 10 %"
        print(f"{name:<72} {value:9.3f} {bound:>9} {margin:8.0%}{flag}")
