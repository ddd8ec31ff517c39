"""The product on real people's voices (scripts/real_voices.py: the call, AMI meeting clips, conversations
assembled from real single-speaker stretches), beside nothing synthetic; run by hand.

    python bench/real_voices.py speakers [--threshold T ...]   # DER and speaker count, counted and told
    python bench/real_voices.py wer [--asr-model base]          # WER on the call and the LibriVox readings

speakers: the diarizer alone, ``DiarizationErrorRate(collar=0.25)`` of pyannote.metrics (overlaps scored),
for each recording counted and told the reference's number of speakers (``num_speakers``); the AMI clips
are reported, not targeted (a 30 s piece of a meeting where someone speaks 0.2 s is not a count anyone can
get right). The flite set's figure is ``bench/speakers.py tune --seed 7`` / ``quality``.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts import real_voices  # noqa: E402


def reference(recording):
    from pyannote.core import Annotation, Segment
    ann = Annotation(uri=recording.name)
    for t in recording.turns:
        ann[Segment(t.start, t.end)] = t.speaker
    return ann


def hypothesis(turns, name):
    from pyannote.core import Annotation, Segment
    ann = Annotation(uri=name)
    for t in turns:
        ann[Segment(t.start, t.end)] = t.speaker
    return ann


def sets(count: int, seed: int) -> dict[str, list]:
    return {"call": [real_voices.call()],
            "conversations": [real_voices.conversation(**spec) for spec in real_voices.plan(count, seed)],
            "meetings": [m for m in real_voices.meetings() if len(m.speakers) > 1]}


def speakers(count: int, seed: int, thresholds: list[float | None], verbose: bool) -> None:
    from pyannote.metrics.diarization import DiarizationErrorRate

    from sentiment.speakers.diarize import Diarizer
    warnings.filterwarnings("ignore", message=".*'uem' was approximated")
    data = sets(count, seed)
    diarizer = Diarizer()
    for name, recordings in data.items():
        minutes = sum(r.seconds for r in recordings) / 60
        print(f"\n{name}: {len(recordings)} recordings, {minutes:.1f} minutes, "
              f"{min(len(r.speakers) for r in recordings)}-{max(len(r.speakers) for r in recordings)} speakers")
    print("\n| threshold | set | DER counted | count right | DER told | worse told than counted | time |"
          "\n|---|---|---|---|---|---|---|")
    for threshold in thresholds:
        diarizer.threshold = threshold if threshold is not None else diarizer.threshold
        for name, recordings in data.items():
            counted, told = DiarizationErrorRate(collar=0.25), DiarizationErrorRate(collar=0.25)
            right = worse = 0
            t0 = time.perf_counter()
            for r in recordings:
                ref = reference(r)
                hyp = hypothesis(diarizer(r.wave), r.name)
                a = counted(ref, hyp)
                b = told(ref, hypothesis(diarizer(r.wave, num_speakers=len(r.speakers)), r.name))
                right += len(hyp.labels()) == len(r.speakers)
                worse += b > a + 1e-9
                if verbose:
                    print(f"|  | {r.name} ({len(r.speakers)}) | {a:.3f} | {len(hyp.labels())} | {b:.3f} | | |")
            print(f"| {diarizer.threshold} | {name} | {abs(counted):.3f} | {right}/{len(recordings)} | "
                  f"{abs(told):.3f} | {worse} | {time.perf_counter() - t0:.0f} s |", flush=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("what", choices=("speakers",))
    p.add_argument("--count", type=int, default=12, help="assembled conversations (default 12)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threshold", type=float, nargs="+", default=[None], help="clustering thresholds to try")
    p.add_argument("-v", "--verbose", action="store_true", help="a row per recording")
    args = p.parse_args()
    speakers(args.count, args.seed, args.threshold, args.verbose)


if __name__ == "__main__":
    main()
