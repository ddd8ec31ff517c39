"""Audio in: decode, down-mix, resample to 16 kHz float32, validate.

Accepts a file path, raw file bytes, or a ``(sample_rate, array)`` pair (Gradio's numpy format).
soundfile (libsndfile) decodes wav, flac, ogg and mp3 in-process; anything else goes through an
``ffmpeg`` binary when one is installed.
"""

from __future__ import annotations

import io
import math
import shutil
import subprocess
from os import PathLike
from pathlib import Path

import numpy as np
import soundfile as sf
import torch
import torchaudio.functional as AF

from sentiment.errors import (EmptyAudioError, NoSpeechError, NonFiniteAudioError, TooLongError,
                     TooShortError, UnreadableAudioError)

SAMPLE_RATE = 16_000
MIN_SECONDS = 0.1
DEFAULT_MAX_SECONDS = 3600.0
RATES = (1_000, 384_000)  # Hz: what any real recording comes at; a damaged header can say 16,793,216
SILENCE_DBFS = -60.0  # loudest 30 ms frame below this: nothing to transcribe
NATIVE_FORMATS = "wav, flac, ogg, mp3"
_BLOCK_FRAMES = 1 << 20  # read files in blocks so a long stereo file is never held in full

AudioSource = str | PathLike | bytes | tuple


class NamedBytes(bytes):
    """A file's bytes with its name, so that messages about it name the file (Ray hands actors bytes)."""

    def __new__(cls, data: bytes, name: str):
        self = super().__new__(cls, data)
        self.name = name
        return self

    def __reduce__(self):  # sent to Ray actors whole: the bytes and the name
        return NamedBytes, (bytes(self), self.name)


def load_audio(source: AudioSource, max_seconds: float = DEFAULT_MAX_SECONDS) -> np.ndarray:
    """Decode ``source`` to validated mono 16 kHz float32 samples."""
    if isinstance(source, tuple):
        if len(source) != 2:
            raise UnreadableAudioError("Audio arrays must come as a (sample_rate, samples) pair.")
        rate, samples = source
        mono, rate = to_mono(samples), _check_rate(int(rate))
        _check_duration(len(mono) / rate, max_seconds)
    elif isinstance(source, (bytes, bytearray)):
        name = getattr(source, "name", "the uploaded data")
        if not source:
            raise EmptyAudioError(f"{name} is empty (0 bytes)." if hasattr(source, "name") else
                                  "The uploaded data is empty (0 bytes).")
        mono, rate = _decode(bytes(source), max_seconds, name=name)
    elif isinstance(source, (str, PathLike)):
        path = check_file(source)
        mono, rate = _decode(path, max_seconds, name=path.name)
    else:
        raise UnreadableAudioError(
            f"Cannot read audio from a {type(source).__name__}; give a file path, bytes, "
            "or a (sample_rate, samples) pair.")
    wave = resample(mono, rate)
    validate(wave, max_seconds)
    return wave


def check_file(source: str | PathLike) -> Path:
    """The path, if it names a non-empty file; else the error every path (local, Ray) reports for it."""
    path = Path(source)
    if not path.is_file():
        raise UnreadableAudioError(f"No such audio file: {path}")
    if path.stat().st_size == 0:
        raise EmptyAudioError(f"{path.name} is empty (0 bytes).")
    return path


def read_stretch(path: str | PathLike, start: float | None = None, end: float | None = None) -> AudioSource:
    """The stretch [start, end) seconds of a file, as ``load_audio`` takes it (SLUE's utterances are
    stretches of longer files); the path itself when no stretch is given."""
    if start is None or end is None or np.isnan(start) or np.isnan(end):
        return path
    try:
        with sf.SoundFile(path) as f:
            f.seek(min(int(start * f.samplerate), f.frames))
            return f.samplerate, f.read(int((end - start) * f.samplerate), dtype="float32")
    except (sf.LibsndfileError, RuntimeError) as err:
        raise UnreadableAudioError(f"Could not read {Path(path).name}: {err}") from err


def resample(mono: np.ndarray, rate: int) -> np.ndarray:
    """Resample mono float32 samples to 16 kHz with torchaudio (band-limited sinc). torchaudio's kernel
    grows with the rates' ratio in lowest terms: an odd rate (44,101 Hz) would take gigabytes, so it is
    resampled as the nearest multiple of 50 Hz, a pitch change under 0.1 %."""
    if _check_rate(rate) == SAMPLE_RATE:
        return np.ascontiguousarray(mono, dtype=np.float32)
    if rate // math.gcd(rate, SAMPLE_RATE) > 2000:
        rate = round(rate / 50) * 50
    out = AF.resample(torch.from_numpy(np.ascontiguousarray(mono, dtype=np.float32)), rate, SAMPLE_RATE)
    return out.numpy()


def validate(wave: np.ndarray, max_seconds: float = DEFAULT_MAX_SECONDS) -> None:
    """Raise the typed error for empty, too short, too long, non-finite or silent 16 kHz audio."""
    if wave.size == 0:
        raise EmptyAudioError("The audio is empty: it has no samples.")
    seconds = wave.size / SAMPLE_RATE
    if seconds < MIN_SECONDS:
        raise TooShortError(f"The audio is too short ({seconds:.2f} s); it must last at least {MIN_SECONDS} s.")
    _check_duration(seconds, max_seconds)
    if not np.isfinite(wave).all():
        raise NonFiniteAudioError("The audio contains invalid samples (NaN or infinity).")
    if loudest_frame_dbfs(wave) < SILENCE_DBFS:
        raise NoSpeechError("No speech detected: the recording is silent.")


def loudest_frame_dbfs(wave: np.ndarray, frame: int = 480) -> float:
    """Level of the loudest 30 ms frame in dB relative to full scale."""
    n = max(1, wave.size // frame)
    frames = wave[: n * frame].reshape(n, -1) if wave.size >= frame else wave[None, :]
    rms = np.sqrt(np.mean(np.square(frames, dtype=np.float64), axis=1)).max()
    return float(20 * np.log10(max(rms, 1e-12)))


def _check_rate(rate: int) -> int:
    if not RATES[0] <= rate <= RATES[1]:
        raise UnreadableAudioError(f"Unsupported sample rate: {rate:,} Hz; audio must be recorded at "
                                   f"{RATES[0]:,} to {RATES[1]:,} Hz.")
    return rate


def _check_duration(seconds: float, max_seconds: float) -> None:
    if seconds > max_seconds:
        raise TooLongError(
            f"The audio is too long ({_minutes(seconds)}); the limit is {_minutes(max_seconds)}.")


def _minutes(seconds: float) -> str:
    return f"{seconds:.1f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


def to_mono(samples) -> np.ndarray:
    """Integer PCM is scaled to [-1, 1]; 2-D input is (samples, channels), or (channels, samples)
    when the first axis is short (up to 8) and the second long."""
    a = np.asarray(samples)
    if a.dtype.kind not in "iuf" or a.ndim not in (1, 2):
        raise UnreadableAudioError(
            f"Audio arrays must be 1-D or 2-D numbers; got {a.ndim}-D {a.dtype}.")
    if a.dtype.kind == "i":
        a = a.astype(np.float32) / float(2 ** (8 * a.dtype.itemsize - 1))
    elif a.dtype.kind == "u":
        half = float(2 ** (8 * a.dtype.itemsize - 1))
        a = (a.astype(np.float32) - half) / half
    if a.ndim == 2:
        if a.shape[0] <= 8 < a.shape[1]:
            a = a.T
        a = a.mean(axis=1)
    return a.astype(np.float32, copy=False)


def _decode(src: Path | bytes, max_seconds: float, name: str) -> tuple[np.ndarray, int]:
    try:
        f = sf.SoundFile(io.BytesIO(src) if isinstance(src, bytes) else src)
    except (sf.LibsndfileError, RuntimeError, TypeError):
        if shutil.which("ffmpeg") is None:  # not a format libsndfile knows: ffmpeg may
            raise UnreadableAudioError(
                f"Could not read {name}: it is not audio in a supported format ({NATIVE_FORMATS}). "
                "Install ffmpeg to read other formats (m4a, webm, aac, ...).") from None
        return _decode_ffmpeg(src, max_seconds, name), SAMPLE_RATE
    with f:
        if f.frames == 0:
            raise EmptyAudioError(f"The audio in {name} is empty: it has no samples.")
        _check_duration(f.frames / f.samplerate, max_seconds)
        try:
            blocks = [b.mean(axis=1) for b in f.blocks(_BLOCK_FRAMES, dtype="float32", always_2d=True)]
        except (sf.LibsndfileError, RuntimeError) as err:  # a known format, but broken inside
            raise UnreadableAudioError(f"Could not read {name}: the file is damaged or truncated ({err}).") from None
        return np.concatenate(blocks) if blocks else np.zeros(0, np.float32), f.samplerate


def _decode_ffmpeg(src: Path | bytes, max_seconds: float, name: str) -> np.ndarray:
    """Decode anything ffmpeg knows straight to mono 16 kHz; reading stops just past the limit."""
    cmd = ["ffmpeg", "-nostdin", "-v", "error", "-i", "pipe:0" if isinstance(src, bytes) else str(src),
           "-t", str(max_seconds + 1), "-vn", "-ac", "1", "-ar", str(SAMPLE_RATE), "-f", "f32le", "pipe:1"]
    try:  # a bound, so that no input can hold a worker for ever
        proc = subprocess.run(cmd, input=src if isinstance(src, bytes) else None, capture_output=True,
                              timeout=60 + max_seconds / 4)
    except subprocess.TimeoutExpired:
        raise UnreadableAudioError(f"Could not read {name}: decoding it took too long.") from None
    if proc.returncode != 0:
        reason = (proc.stderr.decode(errors="replace").strip().splitlines() or ["unknown error"])[-1]
        reason = reason.replace(str(src) if isinstance(src, Path) else "pipe:0", name)  # no server paths
        raise UnreadableAudioError(f"Could not read {name}: it is not audio in a format we know ({reason})")
    wave = np.frombuffer(proc.stdout, dtype=np.float32).copy()
    if wave.size == 0:
        raise EmptyAudioError(f"The audio in {name} is empty: ffmpeg decoded no samples.")
    return wave
