"""The product on real people's voices (scripts/real_voices.py: the call, AMI meeting clips, conversations
assembled from real single-speaker stretches), beside nothing synthetic; run by hand.

    python -m bench real_voices speakers [--threshold T ...]   # DER and speaker count, counted and told
    python -m bench real_voices wer [--beam 1 --no-fallback]   # WER: the call, LibriVox, spoken sentences
    python -m bench real_voices enrol [--match M --sure S]     # named speakers: enrolled by a 10 s sample

speakers: the diarizer alone, ``DiarizationErrorRate(collar=0.25)`` of pyannote.metrics (overlaps scored),
for each recording counted and told the reference's number of speakers (``num_speakers``); the AMI clips
are reported, not targeted (a 30 s piece of a meeting where someone speaks 0.2 s is not a count anyone can
get right). The flite set's figure is ``python -m bench speakers tune --seed 7`` / ``quality``.
"""

from __future__ import annotations

import argparse
import json
import warnings


from scripts import real_voices
from bench.timing import Clock


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
            t0 = Clock()
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
                  f"{abs(told):.3f} | {worse} | {t0.seconds:.0f} s |", flush=True)


def named(recording, turns) -> list[str]:
    """Per reference turn (a stretch of one person), the name of the found speaker heard most in it."""
    out = []
    for r in recording.turns:
        heard: dict[str, float] = {}
        for t in turns:
            heard[t.speaker] = heard.get(t.speaker, 0.0) + max(0.0, min(t.end, r.end) - max(t.start, r.start))
        out.append(max(heard, key=heard.get) if heard and max(heard.values()) > 0 else "")
    return out


def enrol(count: int, seed: int, match: list[float], sure: list[float], verbose: bool) -> None:
    """Enrolment on the real conversations: each person enrolled by a 10 s sample of their own speech that
    the conversation does not use (``real_voices.enrolment``). Right: the reference turns that carry their
    person's name, everyone enrolled. Unknown: each person in turn left out of the enrolment, their turns
    that carry an enrolled name (never is the target). Counted speakers, not told."""
    import itertools

    from sentiment.speakers import naming
    from sentiment.speakers.diarize import Diarizer
    diarizer = Diarizer()
    cases = []
    for spec in real_voices.plan(count, seed):
        recording, samples = real_voices.enrolment(**spec)
        cases.append((recording, [naming.Voice(v, diarizer.voiceprint(w)) for v, w in samples.items()]))
    print(f"{len(cases)} conversations of {', '.join(sorted({str(len(r.speakers)) for r, _ in cases}))} real voices, "
          f"{sum(r.seconds for r, _ in cases) / 60:.1f} minutes (seed {seed}); a 10 s sample per person\n")
    print("| match | sure | turns named right, all enrolled | turns of a voice not enrolled given a name | time |"
          "\n|---|---|---|---|---|")
    for m, s in itertools.product(match, sure):
        naming.MATCH, naming.SURE = m, s
        right = total = wrong = unknown = 0
        t0 = Clock()
        for recording, voices in cases:
            got = named(recording, diarizer(recording.wave, enrolled=voices))
            right += sum(g == t.speaker for g, t in zip(got, recording.turns))
            total += len(got)
            for left in voices:
                some = [v for v in voices if v is not left]
                got = named(recording, diarizer(recording.wave, enrolled=some))
                mine = [g for g, t in zip(got, recording.turns) if t.speaker == left.name]
                wrong += sum(g in {v.name for v in some} for g in mine)
                unknown += len(mine)
                if verbose and any(g in {v.name for v in some} for g in mine):
                    print(f"|  | {recording.name}: {left.name} not enrolled, named {sorted(set(mine))} | | | |")
        print(f"| {m} | {s} | {right / total:.1%} ({right}/{total}) | {wrong / unknown:.1%} ({wrong}/{unknown}) | "
              f"{t0.seconds:.0f} s |", flush=True)


def wer(models: list[str], tts: int, options: dict) -> None:
    """WER and transcription RTF per model: the call (against sample.stm), the call followed by 30 s of
    silence and of quiet noise (words after the call's end are invented: a loop shows here), the LibriVox
    readings, and ../shared's spoken test sentences (synthetic, the first ``tts``)."""
    import csv

    import numpy as np

    from sentiment.audio import load_audio
    from sentiment.transcribers.whisper import WhisperTranscriber
    from training.evaluate import word_error_rate
    from testkit import SHARED

    c = real_voices.call()
    call_text = real_voices.call_text()
    rng = np.random.default_rng(0)
    tail = int(30 * real_voices.SAMPLE_RATE)
    silent = np.r_[c.wave, np.zeros(tail, np.float32)]
    noisy = np.r_[c.wave, 0.003 * rng.standard_normal(tail).astype(np.float32)]
    real = SHARED / "data" / "speech" / "real"
    with open(real / "transcripts.csv", newline="") as f:
        readings = [(load_audio(str(real / r["audio"])),
                     r["text"]) for r in csv.DictReader(f) if r["audio"].startswith("sense")]
    tts_dir = SHARED / "data" / "speech" / "tts"
    with open(tts_dir / "manifest.csv", newline="", encoding="utf-8") as f:
        spoken = [(load_audio(str(tts_dir / r["audio"])), r["text"]) for r in list(csv.DictReader(f))[:tts]]
    print(f"decoding options beyond the product's: {options or 'none'}\n")
    print("| model | call WER | words after the call (silence / noise) | LibriVox WER | spoken sentences WER "
          "(synthetic) | RTF | language heard on the call |\n|---|---|---|---|---|---|---|")
    for name in models:
        w = WhisperTranscriber(name, **options)
        t0, audio = Clock(), 0.0
        call_t, after_silence, after_noise = w.transcribe([c.wave, silent, noisy])
        read = w.transcribe([x for x, _ in readings])
        said = w.transcribe([x for x, _ in spoken])
        audio = (c.wave.size + silent.size + noisy.size + sum(x.size for x,
                                                              _ in readings + spoken)) / real_voices.SAMPLE_RATE
        rtf = (t0.seconds) / audio
        extra = [len(t.text.split()) - len(call_t.text.split()) for t in (after_silence, after_noise)]
        print(f"| {w.name} | {word_error_rate([call_text], [call_t.text]):.3f} | {extra[0]} / {extra[1]} | "
              f"{word_error_rate([t for _, t in readings], [t.text for t in read]):.3f} | "
              f"{word_error_rate([t for _, t in spoken], [t.text for t in said]):.3f} | {rtf:.3f} | "
              f"{call_t.language} {call_t.language_probability} |", flush=True)
        if extra[0] > 3 or extra[1] > 3:
            after = [t.text[len(call_t.text):][:200] for t in (after_silence, after_noise)]
            print(f"  after the call: {after[0]!r} / {after[1]!r}")


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("what", choices=("speakers", "wer", "enrol"))
    p.add_argument("--models", nargs="+", default=["tiny.en", "base"], help="wer: Whisper models")
    p.add_argument("--tts", type=int, default=240, help="wer: spoken test sentences (synthetic) to include")
    p.add_argument("--beam", type=int, help="wer: beam size instead of the product's (5)")
    p.add_argument("--no-fallback", action="store_true", help="wer: one temperature, no fallback (the product "
                   "falls back to 0.2 ... 1.0 where a window repeats itself or is improbable)")
    p.add_argument("--set", nargs="+", default=[], metavar="KEY=VALUE", help="wer: more faster-whisper "
                   "options, e.g. vad_filter=true log_prob_threshold=null (values read as JSON)")
    p.add_argument("--count", type=int, default=12, help="assembled conversations (default 12)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threshold", type=float, nargs="+", default=[None], help="clustering thresholds to try")
    p.add_argument("--match", type=float, nargs="+", default=[0.75], help="enrol: naming.MATCH values to try")
    p.add_argument("--sure", type=float, nargs="+", default=[0.85], help="enrol: naming.SURE values to try")
    p.add_argument("-v", "--verbose", action="store_true", help="a row per recording")
    args = p.parse_args(argv)
    if args.what == "wer":
        options = {"beam_size": args.beam} if args.beam else {}
        if args.no_fallback:
            options["temperature"] = 0.0
        for item in args.set:
            key, _, value = item.partition("=")
            options[key] = json.loads(value)
        wer(args.models, args.tts, options)
    elif args.what == "enrol":
        enrol(args.count, args.seed, args.match, args.sure, args.verbose)
    else:
        speakers(args.count, args.seed, args.threshold, args.verbose)
