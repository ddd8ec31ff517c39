"""Does Whisper's compute type change what the product says? A bundled Whisper (base, the default, or
tiny.en) in CTranslate2 int8 (the CPU default) and float32 on ../shared's spoken test sentences: WER of each,
and the offline head's labels (fp32 encoder) on each transcript, their agreement and macro-F1 against the
sentences' labels.

    python -m bench whisper_precision [--clips 240] [--asr-model tiny.en]
"""

from __future__ import annotations

import argparse


from sentiment.audio import load_audio
from sentiment.labels import label_id
from sentiment.pipeline import load_pipeline
from sentiment.runtime.plan import plan
from sentiment.transcribers.whisper import WhisperTranscriber
from training.data import load_manifest
from training.evaluate import scores, word_error_rate
from testkit import SHARED
from bench.timing import Clock

DECIDES = "sentiment.runtime.plan:COMPUTE_TYPES"


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--clips", type=int, default=240)
    p.add_argument("--asr-model", help="which Whisper (default the offline stack's, base)")
    args = p.parse_args(argv)
    clips = load_manifest(SHARED / "data" / "speech" / "tts" / "manifest.csv")[: args.clips]
    waves = [load_audio(e.audio) for e in clips]
    truth = [label_id(e.label) for e in clips]
    pipe = load_pipeline("offline", precision="fp32")  # the encoder and head, fp32
    labels = {}
    for precision in ("fp32", "int8"):
        asr = WhisperTranscriber(args.asr_model, runtime=plan("whisper", device="cpu", precision=precision))
        t0 = Clock()
        texts = [t.text for t in asr.transcribe(waves)]
        seconds = t0.seconds
        labels[precision] = pipe.classify(texts).argmax(-1).tolist()
        print(f"whisper {asr.runtime}: WER {word_error_rate([e.text for e in clips], texts):.3f}, "
              f"pipeline macro-F1 {scores(truth, labels[precision])['macro_f1']:.3f}, {seconds:.1f} s "
              f"for {len(clips)} clips", flush=True)
    same = sum(a == b for a, b in zip(labels["int8"], labels["fp32"])) / len(clips)
    print(f"int8 labels equal to float32's: {same:.2%}")
