"""Speakers and sentences, measured (run by hand; needs ../shared): the offline pipeline on generated
conversations (scripts/make_conversations.py), with pyannote.metrics as the judge.

    python -m bench speakers quality [--count 20] [--seed 0]   # DER, speaker count, sentence boundaries
    python -m bench speakers cost [--repeat 3]                  # a 2-minute conversation: with and without
    python -m bench speakers memory [--minutes 60]              # peak RSS of one long recording, own process
    python -m bench speakers tune [--seed 7]                    # the clustering threshold, diarization only
    python -m bench speakers punctuation [--count 10 --seed 7]  # ways to more full stops, tried and not kept

quality: per conversation, the diarization error rate of the diarizer's turns against the reference RTTM
(``DiarizationErrorRate(collar=...)``, overlaps scored; pyannote's collar is the whole width removed around
each reference boundary, so 0.5 is NIST's ±0.25 s; both are printed), whether the number of speakers found
is right, and the share of reference sentences that came back as a segment of their own (start and end
within 0.3 s of the reference), and the same share with a full stop at every reference sentence end (what a
perfect punctuator would leave: the rest is word times, speaker changes, and Whisper's own extra full stops).
cost: the whole offline pipeline on one 2-minute conversation, as the commit before ran it (``--speakers
off``, Whisper without word timestamps: the baseline), with word timestamps only (sentences), and with
both (the default); warm, the median of ``--repeat`` runs each, interleaved.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

import numpy as np


from scripts.make_conversations import SAMPLE_RATE, conversation, plan, write
from sentiment import load_pipeline
from sentiment.segments import ends_sentence, speakers_of, split_words
from sentiment.transcribers.transcript import Word
from bench.timing import Clock, stopwatch
from testkit.memory import in_child

TOLERANCE = 0.3  # seconds, for a sentence's start and end


def quality(count: int, seed: int) -> None:
    import warnings

    from pyannote.core import Annotation, Segment
    from pyannote.metrics.diarization import DiarizationErrorRate

    warnings.filterwarnings("ignore", message=".*'uem' was approximated")
    pipe = load_pipeline("offline")
    metrics = {c: DiarizationErrorRate(collar=c) for c in (0.25, 0.5)}
    right = found = total = stops = boundaries = ideal = 0
    print("| conversation | speakers | found | minutes | DER (collar 0.25) | sentences own segment |\n"
          "|---|---|---|---|---|---|")
    for i, spec in enumerate(plan(count, seed)):
        wave, sentences = conversation(**spec)
        turns = pipe.diarize(wave)
        [transcript] = pipe.transcribe([wave])
        spans = pipe.spans(transcript, wave.size / SAMPLE_RATE, turns)
        ref, hyp = Annotation(), Annotation()
        for s in sentences:
            ref[Segment(s.start, s.end)] = s.speaker
        for t in turns:
            hyp[Segment(t.start, t.end)] = t.speaker
        der = {c: m(ref, hyp) for c, m in metrics.items()}
        n_ref, n_hyp = len(ref.labels()), len(hyp.labels())
        own = whole(spans, sentences)
        ideal += own_with_every_full_stop(transcript.words, turns, sentences)
        right, found, total = right + (n_ref == n_hyp), found + own, total + len(sentences)
        ended, between = full_stops(transcript.words, sentences)
        stops, boundaries = stops + ended, boundaries + between
        print(f"| {i:02d} (seed {spec['seed']}) | {n_ref} | {n_hyp} | {wave.size / SAMPLE_RATE / 60:.1f} | "
              f"{der[0.25]:.3f} | {own}/{len(sentences)} |", flush=True)
    print(f"\nDER over all {count}: {abs(metrics[0.25]):.4f} (collar 0.25 = ±0.125 s), "
          f"{abs(metrics[0.5]):.4f} (collar 0.5 = NIST's ±0.25 s)")
    print(f"speaker count right: {right}/{count} = {right / count:.0%}")
    print(f"reference sentences that are a segment of their own (±{TOLERANCE} s): {found}/{total} = "
          f"{found / total:.1%}")
    print(f"boundaries between two sentences of one speaker that Whisper's text ends with a full stop (or ? !): "
          f"{stops}/{boundaries} = {stops / max(boundaries, 1):.1%}")
    print(f"the same with a full stop put at every reference sentence end, no cut at pauses (a ceiling for "
          f"better punctuation): {ideal}/{total} = {ideal / total:.1%}")


def own_with_every_full_stop(words: list[Word], turns, sentences) -> int:
    """Reference sentences that would be segments of their own if the transcript had a full stop after the
    last word before every reference sentence start (and no pause cuts): what a perfect punctuator would give
    with these word times and turns."""
    words = list(words)
    for s in sentences[1:]:
        before = [i for i, w in enumerate(words) if w.end <= s.start + 0.2]
        if before and not ends_sentence(words[before[-1]].text):
            w = words[before[-1]]
            words[before[-1]] = Word(w.text.rstrip(",;:") + ".", w.start, w.end)
    return whole(split_words(words, speakers_of(words, turns), None), sentences)


def whole(spans, sentences) -> int:
    """Reference sentences that came back as a segment of their own (start and end within TOLERANCE)."""
    return sum(any(abs(p.start - s.start) <= TOLERANCE and abs(p.end - s.end) <= TOLERANCE for p in spans)
               for s in sentences)


def full_stops(words: list[Word], sentences) -> tuple[int, int]:
    """(boundaries where Whisper ended the sentence, boundaries): between two sentences of one speaker."""
    stops = boundaries = 0
    for a, b in zip(sentences, sentences[1:]):
        before = [w for w in words if w.end <= b.start + 0.2 and w.start < a.end + 0.2]
        if a.speaker == b.speaker and before:
            boundaries, stops = boundaries + 1, stops + ends_sentence(before[-1].text)
    return stops, boundaries


def tune(count: int, seed: int, thresholds: list[float], step: float) -> None:
    """DER, speaker counts and time per clustering threshold, on a set that is not the benchmark's."""
    import warnings

    from pyannote.core import Annotation, Segment
    from pyannote.metrics.diarization import DiarizationErrorRate

    from sentiment.speakers.diarize import Diarizer
    warnings.filterwarnings("ignore", message=".*'uem' was approximated")
    data = [conversation(**spec) for spec in plan(count, seed)]
    diarizer = Diarizer(step=step)
    minutes = sum(w.size for w, _ in data) / SAMPLE_RATE / 60
    print(f"{count} conversations (seed {seed}, {minutes:.0f} minutes), windows every {step} s\n\n"
          "| threshold | DER (collar 0.25) | speaker count right | diarization time |\n|---|---|---|---|")
    for threshold in thresholds:
        diarizer.threshold, metric, right, seconds = threshold, DiarizationErrorRate(collar=0.25), 0, 0.0
        for wave, sentences in data:
            ref, hyp = Annotation(), Annotation()
            for s in sentences:
                ref[Segment(s.start, s.end)] = s.speaker
            t0 = Clock()
            found = diarizer(wave)
            seconds += t0.seconds
            for t in found:
                hyp[Segment(t.start, t.end)] = t.speaker
            metric(ref, hyp)
            right += len(ref.labels()) == len(hyp.labels())
        print(f"| {threshold} | {abs(metric):.4f} | {right}/{count} | {seconds:.1f} s |", flush=True)


def cost(repeat: int) -> None:
    wave, _ = conversation(seed=424242, speakers=2, seconds=120.0)
    base = load_pipeline("offline", speakers="off")
    base.transcriber.decoding["word_timestamps"] = False
    words = load_pipeline("offline", speakers="off")
    full = load_pipeline("offline")
    runs = {"baseline: --speakers off, no word timestamps": base, "sentences: word timestamps": words,
            "default: word timestamps + speakers": full}
    times: dict[str, list[float]] = {k: [] for k in runs}
    stages: dict[str, list[dict]] = {k: [] for k in runs}
    for pipe in runs.values():
        pipe((SAMPLE_RATE, wave))  # warm-up
    for _ in range(repeat):
        for name, pipe in runs.items():
            t0 = Clock()
            result = pipe((SAMPLE_RATE, wave))
            times[name].append(t0.seconds)
            stages[name].append(result.timings)
    baseline = statistics.median(times[next(iter(runs))])
    print(f"{wave.size / SAMPLE_RATE:.0f} s conversation, {repeat} runs each, median\n")
    print("| pipeline | time | vs baseline | transcribe | diarize | classify |\n|---|---|---|---|---|---|")
    for name, values in times.items():
        stage = {k: statistics.median(t.get(k, 0.0) for t in stages[name]) for k in ("transcribe", "diarize",
                                                                                     "classify")}
        print(f"| {name} | {statistics.median(values):.2f} s | {statistics.median(values) / baseline:.2f}x | "
              + " | ".join(f"{v:.2f} s" for v in stage.values()) + " |")
    print(f"\nlast run: {len(result.segments)} segments, {len(result.speakers)} speakers")


PROMPT = "Yes. I think so. Really? That was awful. Thanks, it went well."


def punctuation(count: int, seed: int) -> None:
    """Ways to get Whisper to end more sentences, on the tuning set: as the pipeline runs; with a punctuated
    prompt before every window (faster-whisper's ``hotwords``); and transcribing pieces of speech between
    pauses (Silero VAD, pauses of 0.15 s) joined up to 10 s or 6 s, each piece on its own."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    from sentiment.transcribers.transcript import Transcript
    from sentiment.transcribers.word_times import tighten, timed
    pipe = load_pipeline("offline")
    model, decoding = pipe.transcriber.model, pipe.transcriber.decoding
    data = [conversation(**spec) for spec in plan(count, seed)]
    turns = [pipe.diarize(wave) for wave, _ in data]

    def pieces(wave, longest):
        out = []
        for t in get_speech_timestamps(wave, VadOptions(min_silence_duration_ms=150, speech_pad_ms=100)):
            if out and (t["end"] - out[-1][0]) / SAMPLE_RATE <= longest:
                out[-1][1] = t["end"] / SAMPLE_RATE
            else:
                out.append([t["start"] / SAMPLE_RATE, t["end"] / SAMPLE_RATE])
        return [x for piece in out for x in piece]

    def whisper(wave, **options):
        segments, _ = model.transcribe(wave, **{**decoding, "vad_filter": True, **options})
        phrases, words = timed(segments, 0.0)
        return Transcript(" ".join(p.text for p in phrases), words=tighten(words, wave), phrases=phrases)

    ways = {"as the pipeline runs": lambda w: pipe.transcribe([w])[0],
            f"prompt before every window: {PROMPT!r}": lambda w: whisper(w, hotwords=PROMPT),
            "pieces between pauses, up to 10 s": lambda w: whisper(w, clip_timestamps=pieces(w, 10.0)),
            "pieces between pauses, up to 6 s": lambda w: whisper(w, clip_timestamps=pieces(w, 6.0))}
    print(f"{count} conversations, seed {seed}\n\n| transcription | full stops at boundaries | sentences whole | "
          "transcription time |\n|---|---|---|---|")
    for name, transcribe in ways.items():
        stops = boundaries = own = total = 0
        seconds = 0.0
        for (wave, sentences), found in zip(data, turns):
            t0 = Clock()
            transcript = transcribe(wave)
            seconds += t0.seconds
            own += whole(pipe.spans(transcript, wave.size / SAMPLE_RATE, found), sentences)
            total += len(sentences)
            ended, between = full_stops(transcript.words, sentences)
            stops, boundaries = stops + ended, boundaries + between
        print(f"| {name} | {stops}/{boundaries} = {stops / boundaries:.1%} | {own}/{total} = {own / total:.1%} | "
              f"{seconds:.0f} s |", flush=True)


def one_long(path: str, speakers: str) -> tuple[float, str]:
    """In its own process (``in_child``): the offline pipeline on one long recording."""
    pipe = load_pipeline("offline", speakers=speakers, max_seconds=4 * 3600)
    with stopwatch() as lap:
        r = pipe(path)
    return lap.seconds, f"{len(r.segments)} segments, {len(r.speakers)} speakers"


def memory(minutes: float, which: list[str]) -> None:
    pieces, seconds, seed = [], 0.0, 0
    while seconds < minutes * 60:
        wave, _ = conversation(seed=10_000 + seed, speakers=3, seconds=180.0)
        pieces.append(wave)
        seconds, seed = seconds + wave.size / SAMPLE_RATE, seed + 1
    with tempfile.TemporaryDirectory() as tmp:
        path = write(Path(tmp), "long", np.concatenate(pieces)[: int(minutes * 60 * SAMPLE_RATE)], [])
        print("| recording | speakers | time | peak RSS | output |\n|---|---|---|---|---|")
        for speakers in which:
            (took, detail), rss = in_child(one_long, str(path), speakers)
            print(f"| {minutes:g} min | {speakers} | {took:.0f} s | {rss:,.0f} MB | {detail} |", flush=True)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("what", choices=("quality", "cost", "memory", "tune", "punctuation"))
    p.add_argument("--count", type=int, help="conversations (default 20; punctuation: 10)")
    p.add_argument("--seed", type=int, help="which set (default 0, the benchmark's; tune, punctuation: 7)")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--minutes", type=float, default=60.0)
    p.add_argument("--speakers", nargs="+", default=["off", "auto"], help="memory: which runs")
    p.add_argument("--step", type=float, default=10.0, help="tune: seconds between segmentation windows")
    p.add_argument("--thresholds", type=float, nargs="+", default=[0.45, 0.5, 0.55, 0.58, 0.6, 0.65, 0.7])
    args = p.parse_args(argv)
    tuning = args.what in ("tune", "punctuation")
    args.count = args.count or (10 if args.what == "punctuation" else 20)
    args.seed = args.seed if args.seed is not None else (7 if tuning else 0)
    {"quality": lambda: quality(args.count, args.seed), "cost": lambda: cost(args.repeat),
     "memory": lambda: memory(args.minutes, args.speakers),
     "tune": lambda: tune(args.count, args.seed, args.thresholds, args.step),
     "punctuation": lambda: punctuation(args.count, args.seed)}[args.what]()
